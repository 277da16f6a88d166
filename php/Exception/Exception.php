<?php
/**
 * Base class of every exception the ml-connector extension throws for an expected failure.
 *
 * Thrown from Rust with a stable code (see each subclass); catch this to handle all of them.
 * Bugs are not Exceptions: they arrive as InternalError, an \Error.
 *
 * @package MlConnector
 */

declare(strict_types=1);

namespace MlConnector\Exception;

/**
 * An expected failure reported by the extension.
 */
class Exception extends \RuntimeException {
}
