<?php
/**
 * Visma.net refused a request or could not be reached.
 *
 * Thrown by the ml-connector extension with code 4.
 *
 * @package MlConnector
 */

declare(strict_types=1);

namespace MlConnector\Exception;

/**
 * Visma.net refused a request or could not be reached.
 */
class VismaException extends Exception {
	public const CODE = 4;
}
