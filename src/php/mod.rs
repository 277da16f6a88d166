//! The PHP extension `ml_connector` (feature `php`): module entry, MINIT, the phpinfo() section, and the
//! wiring of the exported functions. No business logic here; the functions call into the library.
//!
//! MINIT (`startup`) only registers things: the INI entry and a panic hook that logs through `tracing` and never
//! writes to stderr. No threads, clients or database handles are created there: php-fpm forks its workers after
//! MINIT, and what is created before the fork hangs or corrupts in the children (`runtime`, NOTES §4.1).

mod connector;
mod convert;
mod exceptions;
mod functions;
mod guard;
mod health;
mod runtime;

use ext_php_rs::flags::IniEntryPermission;
use ext_php_rs::prelude::*;
use ext_php_rs::zend::{ExecutorGlobals, IniEntryDef, IniEntryDefs, ModuleEntry};
use ext_php_rs::{info_table_end, info_table_row, info_table_start};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The INI directive naming the directory for the SQLite store; empty means the plugin's default.
const DATA_DIR_INI: &str = "ml_connector.data_dir";

/// `zend_result` FAILURE: MINIT returns it and PHP reports "Unable to start ml_connector module".
const MINIT_FAILURE: i32 = -1;

// PHP_INI_SYSTEM: only php.ini or `-d` may choose where the data lives, never a script.
static INI: IniEntryDefs<2> = IniEntryDefs::new([
    IniEntryDef::new(c"ml_connector.data_dir", c"", IniEntryPermission::System),
    IniEntryDef::end(),
]);

/// MINIT: registers the INI entry and installs the panic hook. A panic here would abort PHP, so it is caught.
pub fn startup(_ty: i32, module_number: i32) -> i32 {
    let registered = catch_unwind(AssertUnwindSafe(|| {
        install_panic_hook();
        IniEntryDef::register(INI.as_slice(), module_number);
    }));
    match registered {
        Ok(()) => 0,
        Err(_) => MINIT_FAILURE,
    }
}

/// Replaces Rust's default hook (which prints to stderr, with a backtrace under `RUST_BACKTRACE=1`) by one that
/// only emits a `tracing` event. Without a subscriber the event is dropped; PHP sees the panic as `InternalError`.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|at| format!("{}:{}", at.file(), at.line()))
            .unwrap_or_default();
        tracing::error!(
            target: "ml_connector::panic",
            %location,
            message = guard::panic_message(info.payload()),
            "rust panic caught by the extension"
        );
    }));
}

/// The phpinfo() section. A hand-written hook is not covered by ext-php-rs's panic handling, hence the catch.
extern "C" fn module_info(_module: *mut ModuleEntry) {
    let _ = catch_unwind(|| {
        let data_dir = ExecutorGlobals::get()
            .ini_values()
            .get(DATA_DIR_INI)
            .cloned()
            .flatten()
            .filter(|dir| !dir.is_empty());
        info_table_start!();
        info_table_row!("ml_connector support", "enabled");
        info_table_row!("Version", crate::VERSION);
        info_table_row!(
            DATA_DIR_INI,
            data_dir
                .as_deref()
                .unwrap_or("(not set: the plugin's default)")
        );
        info_table_row!(
            "HTTP client and SQLite",
            "created per worker process, never in MINIT"
        );
        info_table_end!();
    });
}

/// The PHP module name: `extension_loaded()`, `phpversion()` and the phpinfo() section use it.
const MODULE_NAME: &str = "ml_connector";

#[php_module]
#[php(startup = "startup")]
pub fn get_module(module: ModuleBuilder) -> ModuleBuilder {
    // ext-php-rs names the module after the package (`ml-connector`); PHP code checks `ml_connector`.
    connector::register(functions::register(module.name(MODULE_NAME))).info_function(module_info)
}
