<?php
/**
 * A WooCommerce document could not be turned into a Visma document.
 *
 * Thrown by the ml-connector extension with code 3.
 *
 * @package MlConnector
 */

declare(strict_types=1);

namespace MlConnector\Exception;

/**
 * A WooCommerce document could not be turned into a Visma document.
 */
class MappingException extends Exception {
	public const CODE = 3;
}
