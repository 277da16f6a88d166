<?php
/**
 * A value passed to the extension was rejected.
 *
 * Thrown by the ml-connector extension with code 2.
 *
 * @package MlConnector
 */

declare(strict_types=1);

namespace MlConnector\Exception;

/**
 * A value passed to the extension was rejected.
 */
class InputException extends Exception {
	public const CODE = 2;
}
