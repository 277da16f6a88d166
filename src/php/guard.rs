//! [`guard`]: the wrapper every exported PHP function body runs in. A Rust error becomes its
//! `MlConnector\Exception\…` class; a panic becomes `MlConnector\Exception\InternalError` (an `\Error`) instead of
//! aborting the worker or leaking as ext-php-rs's generic "Rust panic" `Error`.
//!
//! Nothing here writes to stderr: the panic hook installed at startup (`super::install_panic_hook`) only logs.

use super::exceptions::{ExceptionKind, PhpError};
use ext_php_rs::exception::{PhpException, PhpResult};
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `body`, turning its error into a PHP exception and a panic into `InternalError`.
///
/// `body` must not call back into PHP: a PHP fatal error would `longjmp` over it and skip its destructors
/// (`NOTES-ext-php-rs.md` §4.4). The exception class is looked up after `body` has returned and dropped its locks.
///
/// # Errors
/// The error of `body` converted to a [`PhpException`], or an `InternalError` when `body` panicked.
pub fn guard<T, E>(body: impl FnOnce() -> Result<T, E>) -> PhpResult<T>
where
    E: Into<PhpException>,
{
    match run(body) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(err.into()),
        Err(panic) => Err(panic.into()),
    }
}

/// The pure half of [`guard`]: the outcome of `body`, or the panic as an [`ExceptionKind::Internal`] error.
fn run<T, E>(body: impl FnOnce() -> Result<T, E>) -> Result<Result<T, E>, PhpError> {
    // AssertUnwindSafe: a panicking body leaves nothing half-updated that PHP can reach; shared state behind
    // mutexes is read with `unwrap_or_else(PoisonError::into_inner)` and cells rebuild what they cannot trust.
    catch_unwind(AssertUnwindSafe(body)).map_err(|payload| {
        PhpError::new(
            ExceptionKind::Internal,
            format!("internal error: {}", panic_message(payload.as_ref())),
        )
    })
}

/// The text of a panic payload (`panic!` with a literal or a format string), or a placeholder.
pub fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "non-string panic payload"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_and_err_pass_through_unchanged() {
        let ok: Result<Result<i32, PhpError>, PhpError> = run(|| Ok(7));
        assert_eq!(ok, Ok(Ok(7)));

        let failing = PhpError::new(ExceptionKind::Input, "bad url");
        let err: Result<Result<i32, PhpError>, PhpError> = run(|| Err(failing.clone()));
        assert_eq!(err, Ok(Err(failing)));
    }

    #[test]
    fn a_panic_becomes_an_internal_error_with_its_message() {
        let outcome: Result<Result<(), PhpError>, PhpError> = run(|| panic!("boom {}", 42));
        let err = outcome.expect_err("the panic must be caught");
        assert_eq!(err.kind(), ExceptionKind::Internal);
        assert_eq!(err.message(), "internal error: boom 42");
    }

    #[test]
    fn a_literal_panic_keeps_its_text() {
        let outcome: Result<Result<(), PhpError>, PhpError> = run(|| panic!("plain"));
        assert_eq!(
            outcome.expect_err("caught").message(),
            "internal error: plain"
        );
    }
}
