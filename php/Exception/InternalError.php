<?php
/**
 * A bug inside the ml-connector extension (a Rust panic or a broken invariant).
 *
 * Thrown by the extension with code 6. It extends \Error, not \Exception, so code that handles expected
 * failures with `catch (\Exception)` does not swallow it; catch \Throwable at the outermost boundary.
 *
 * @package MlConnector
 */

declare(strict_types=1);

namespace MlConnector\Exception;

/**
 * A bug inside the extension.
 */
class InternalError extends \Error {
	public const CODE = 6;
}
