//! The embedded schema migrations and how a store applies them: each in its own transaction, skipped when
//! another process got there first, refused when the database is newer than this build. Each engine has its own
//! numbered list (issue #16): SQLite's history since the first release, and MariaDB/MySQL and PostgreSQL, which
//! start at today's schema.

use super::db::Backend;
use super::{ts, Store, StoreError};
use chrono::Utc;

/// The numbered migrations, oldest first. The number is the `user_version` after the file ran.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_init",
        sql: include_str!("migrations/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "0002_customer_index",
        sql: include_str!("migrations/0002_customer_index.sql"),
    },
    Migration {
        version: 3,
        name: "0003_customer_claims",
        sql: include_str!("migrations/0003_customer_claims.sql"),
    },
    Migration {
        version: 4,
        name: "0004_claim_index",
        sql: include_str!("migrations/0004_claim_index.sql"),
    },
    Migration {
        version: 5,
        name: "0005_job_payloads",
        sql: include_str!("migrations/0005_job_payloads.sql"),
    },
    Migration {
        version: 6,
        name: "0006_partial_job_indexes",
        sql: include_str!("migrations/0006_partial_job_indexes.sql"),
    },
    Migration {
        version: 7,
        name: "0007_books_and_notes",
        sql: include_str!("migrations/0007_books_and_notes.sql"),
    },
    Migration {
        version: 8,
        name: "0008_compressed_payloads",
        sql: include_str!("migrations/0008_compressed_payloads.sql"),
    },
];

/// MariaDB/MySQL: statements separated by `-- ;;` lines, object names after a `{prefix}` token.
const MYSQL_MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_init",
        sql: include_str!("migrations/mysql/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "0002_compressed_payloads",
        sql: include_str!("migrations/mysql/0002_compressed_payloads.sql"),
    },
];

/// PostgreSQL: object names after a `{prefix}` token.
const POSTGRES_MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_init",
        sql: include_str!("migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "0002_compressed_payloads",
        sql: include_str!("migrations/postgres/0002_compressed_payloads.sql"),
    },
];

/// The migrations of one engine, oldest first.
pub fn migrations_of(backend: Backend) -> &'static [Migration] {
    match backend {
        Backend::Sqlite => MIGRATIONS,
        Backend::MySql => MYSQL_MIGRATIONS,
        Backend::Postgres => POSTGRES_MIGRATIONS,
    }
}

/// One schema change, embedded in the binary.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// The `user_version` the database has after this migration.
    pub version: i64,
    /// The file name without `.sql`.
    pub name: &'static str,
    /// The SQL, run in one transaction.
    pub sql: &'static str,
}

/// The embedded migrations, oldest first (for tests and `status` output).
pub fn migrations() -> &'static [Migration] {
    MIGRATIONS
}

/// The schema version this build writes; [`Store::open`] refuses a newer database.
pub fn schema_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

impl Store {
    pub(super) fn migrate(&self) -> Result<(), StoreError> {
        let db = self.conn()?;
        let list = migrations_of(db.backend());
        let supported = list.last().map_or(0, |m| m.version);
        let found = self.user_version()?;
        if found > supported {
            return Err(StoreError::TooNew { found, supported });
        }
        if found == supported {
            return Ok(());
        }
        db.lock_migrations()
            .map_err(|e| self.classify("migration lock", e))?;
        let result = self.apply(list, supported);
        let unlocked = db.unlock_migrations();
        result?;
        unlocked.map_err(|e| self.classify("migration lock", e))
    }

    fn apply(&self, list: &[Migration], supported: i64) -> Result<(), StoreError> {
        for m in list {
            let failed = |source| StoreError::Migration {
                version: m.version,
                name: m.name,
                source,
            };
            let tx = self.begin_unfenced()?;
            // Another process may have migrated between our read and our lock.
            let now = tx
                .schema_version()
                .map_err(|e| self.classify("user_version", e))?;
            if now > supported {
                return Err(StoreError::TooNew {
                    found: now,
                    supported,
                });
            }
            if now >= m.version {
                continue;
            }
            tx.batch(m.sql).map_err(failed)?;
            tx.exec(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                super::db::args![m.version, m.name, ts(Utc::now())],
            )
            .map_err(failed)?;
            tx.set_schema_version(m.version).map_err(failed)?;
            self.commit(tx, "migrate")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_numbers_match_file_names_and_increase() {
        let mut last = 0;
        for m in migrations() {
            assert_eq!(m.name.get(..4), Some(format!("{:04}", m.version).as_str()));
            assert_eq!(m.version, last + 1);
            last = m.version;
        }
        assert_eq!(schema_version(), last);
        for backend in [Backend::MySql, Backend::Postgres] {
            let list = migrations_of(backend);
            // Every object name carries the room's prefix, and the numbers follow the file names.
            assert!(list.iter().all(|m| m.sql.contains("{prefix}")), "{backend}");
            for (i, m) in list.iter().enumerate() {
                assert_eq!(m.version, i64::try_from(i).expect("small") + 1, "{backend}");
                assert_eq!(m.name.get(..4), Some(format!("{:04}", m.version).as_str()));
            }
        }
    }
}
