//! Opening a store on a database server (issue #16): MariaDB/MySQL for a shop on several web servers, PostgreSQL
//! for the connector service; and the one function that turns a `--db` / `--database` value into a store.

use super::db::{self, Db, DbError};
use super::{Store, StoreError, StoreOptions};

impl Store {
    /// A store on a database server: MariaDB/MySQL (the WordPress database) or PostgreSQL (the connector
    /// service), migrated to this build's schema.
    ///
    /// # Errors
    /// [`StoreError::Open`] when the server refuses the connection, [`StoreError::TooNew`],
    /// [`StoreError::Migration`].
    pub fn open_server(db: Box<dyn Db>, options: &StoreOptions) -> Result<Self, StoreError> {
        let store = Self {
            conn: Some(db),
            pid: std::process::id(),
            path: None,
            max_attempts: options.max_attempts.max(1),
            busy_wait: options.busy_timeout,
            last_prune: std::cell::Cell::new(None),
            gate: None,
        };
        store.migrate()?;
        Ok(store)
    }

    /// Whether `location` names a database server rather than a SQLite file.
    pub fn is_server_location(location: &str) -> bool {
        ["postgres://", "postgresql://", "mysql://", "mariadb://"]
            .iter()
            .any(|s| location.starts_with(s))
    }

    /// Opens what `location` names: `postgres://…` (or `postgresql://`), `mysql://…` (or `mariadb://`), else a
    /// SQLite file path. The CLI's `--db` and the service's `--database` take any of them.
    ///
    /// # Errors
    /// As [`Store::open`] and [`Store::open_server`].
    pub fn open_location(location: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        let refused = |e: DbError| StoreError::Open {
            path: db::redact_url(location),
            source: e,
        };
        if location.starts_with("postgres://") || location.starts_with("postgresql://") {
            let prefix = db::url_param(location, "prefix").unwrap_or_else(|| "mlc_".into());
            let url = db::strip_param(location, "prefix");
            let pg = db::postgres::PostgresDb::connect(&url, &prefix, options.busy_timeout)
                .map_err(refused)?;
            return Self::open_server(Box::new(pg), options);
        }
        if location.starts_with("mysql://") || location.starts_with("mariadb://") {
            let config = db::mysql::MySqlConfig::from_url(location).map_err(refused)?;
            let my = db::mysql::MySqlDb::connect(&config, options.busy_timeout).map_err(refused)?;
            return Self::open_server(Box::new(my), options);
        }
        Self::open_with(location, options)
    }

    /// The engine this store runs on.
    pub fn backend(&self) -> db::Backend {
        self.conn
            .as_ref()
            .map_or(db::Backend::Sqlite, |c| c.backend())
    }
}
