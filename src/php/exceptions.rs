//! The errors PHP sees: an [`ExceptionKind`] with a stable integer code per kind, and [`PhpError`], which becomes
//! a `MlConnector\Exception\<Kind>Exception` (declared in `php/Exception/`, found through the autoloader).
//!
//! No business logic here. Each library area adds one `From<AreaError> for PhpError` below, choosing the kind.
//! The class lookup runs PHP's autoloader, so a [`PhpException`] is built only after all Rust locks are released.

use ext_php_rs::exception::PhpException;
use ext_php_rs::zend::{ce, ClassEntry};
use std::fmt;

/// The kinds of failure PHP code can tell apart. The codes are part of the PHP API: never renumber them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExceptionKind {
    /// The settings are incomplete or invalid (`ConfigException`, code 1).
    Config,
    /// The caller passed a value the connector cannot accept (`InputException`, code 2).
    Input,
    /// A WooCommerce document could not be turned into a Visma document (`MappingException`, code 3).
    Mapping,
    /// Visma.net refused a request or could not be reached (`VismaException`, code 4).
    Visma,
    /// The local SQLite store failed (`StoreException`, code 5).
    Store,
    /// A bug: a Rust panic or a broken invariant (`InternalError`, an `\Error`, code 6).
    Internal,
}

impl ExceptionKind {
    /// Every kind, in code order.
    pub const ALL: [Self; 6] = [
        Self::Config,
        Self::Input,
        Self::Mapping,
        Self::Visma,
        Self::Store,
        Self::Internal,
    ];

    /// The stable `getCode()` of the PHP exception.
    pub const fn code(self) -> i32 {
        match self {
            Self::Config => 1,
            Self::Input => 2,
            Self::Mapping => 3,
            Self::Visma => 4,
            Self::Store => 5,
            Self::Internal => 6,
        }
    }

    /// The fully qualified PHP class (declared in `php/Exception/`).
    pub const fn class_name(self) -> &'static str {
        match self {
            Self::Config => "MlConnector\\Exception\\ConfigException",
            Self::Input => "MlConnector\\Exception\\InputException",
            Self::Mapping => "MlConnector\\Exception\\MappingException",
            Self::Visma => "MlConnector\\Exception\\VismaException",
            Self::Store => "MlConnector\\Exception\\StoreException",
            Self::Internal => "MlConnector\\Exception\\InternalError",
        }
    }
}

/// An error on its way to PHP: the kind decides the class and code, the message is what `getMessage()` returns.
/// Messages carry facts (ids, endpoints, statuses), never secrets or request bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhpError {
    kind: ExceptionKind,
    message: String,
}

impl PhpError {
    /// An error of `kind` with `message`.
    pub fn new(kind: ExceptionKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// An error of `kind` whose message is `err` followed by its `source()` chain, joined with `": "`.
    pub fn from_error(kind: ExceptionKind, err: &(dyn std::error::Error + 'static)) -> Self {
        Self {
            kind,
            message: error_chain(err),
        }
    }

    /// The kind, which decides the PHP class and code.
    pub fn kind(&self) -> ExceptionKind {
        self.kind
    }

    /// The message PHP will see.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for PhpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for PhpError {}

impl From<PhpError> for PhpException {
    fn from(err: PhpError) -> Self {
        PhpException::new(err.message, err.kind.code(), class_entry(err.kind))
    }
}

impl From<crate::host::HostError> for PhpError {
    fn from(err: crate::host::HostError) -> Self {
        use crate::host::HostError as H;
        let kind = match &err {
            H::Config(_) | H::Settings(_) => ExceptionKind::Config,
            H::Intake(e) if matches!(**e, crate::engine::IntakeError::Store { .. }) => {
                ExceptionKind::Store
            }
            H::Store(_) | H::Engine(_) => ExceptionKind::Store,
            H::Intake(_) | H::Input(_) | H::Woo(_) => ExceptionKind::Input,
            H::Mapping(_) => ExceptionKind::Mapping,
            H::Visma(e) if e.is_configuration() => ExceptionKind::Config,
            H::Visma(_) => ExceptionKind::Visma,
        };
        Self::from_error(kind, &err)
    }
}

/// `err` followed by its `source()` chain, joined with `": "` (reqwest and rusqlite put the useful part, such as
/// "Connection refused", in the source).
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// The class to throw for `kind`: the `MlConnector\Exception` class when it is loaded or autoloadable, else
/// `\Exception` (`\Error` for [`ExceptionKind::Internal`], so a bug is never caught by a `catch (\Exception)`).
fn class_entry(kind: ExceptionKind) -> &'static ClassEntry {
    ClassEntry::try_find(kind.class_name()).unwrap_or_else(|| match kind {
        ExceptionKind::Internal => ce::error(),
        _ => ce::exception(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_distinct() {
        let codes: Vec<i32> = ExceptionKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(codes, vec![1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn class_names_live_in_the_exception_namespace() {
        for kind in ExceptionKind::ALL {
            assert!(kind.class_name().starts_with("MlConnector\\Exception\\"));
        }
        assert_eq!(
            ExceptionKind::Internal.class_name(),
            "MlConnector\\Exception\\InternalError"
        );
        assert_eq!(
            ExceptionKind::Store.class_name(),
            "MlConnector\\Exception\\StoreException"
        );
    }

    #[derive(Debug, thiserror::Error)]
    #[error("outer failed")]
    struct Outer {
        #[source]
        source: std::io::Error,
    }

    #[test]
    fn from_error_keeps_the_source_chain() {
        let err = Outer {
            source: std::io::Error::other("disk full"),
        };
        let php = PhpError::from_error(ExceptionKind::Store, &err);
        assert_eq!(php.kind(), ExceptionKind::Store);
        assert_eq!(php.message(), "outer failed: disk full");
    }
}
