<?php
/**
 * The connector settings are incomplete or invalid.
 *
 * Thrown by the ml-connector extension with code 1.
 *
 * @package MlConnector
 */

declare(strict_types=1);

namespace MlConnector\Exception;

/**
 * The connector settings are incomplete or invalid.
 */
class ConfigException extends Exception {
	public const CODE = 1;
}
