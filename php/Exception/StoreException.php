<?php
/**
 * The local SQLite store failed.
 *
 * Thrown by the ml-connector extension with code 5.
 *
 * @package MlConnector
 */

declare(strict_types=1);

namespace MlConnector\Exception;

/**
 * The local SQLite store failed.
 */
class StoreException extends Exception {
	public const CODE = 5;
}
