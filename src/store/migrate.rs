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
    Migration {
        version: 9,
        name: "0009_compact_history",
        sql: include_str!("migrations/0009_compact_history.sql"),
    },
];

/// A SQLite migration that rebuilds a table others reference says so with this line; it runs with foreign keys
/// off (they cannot change inside a transaction) and is checked before it commits.
const FOREIGN_KEYS_OFF: &str = "\n-- foreign keys off\n";

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
    Migration {
        version: 3,
        name: "0003_compact_history",
        sql: include_str!("migrations/mysql/0003_compact_history.sql"),
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
    Migration {
        version: 3,
        name: "0003_compact_history",
        sql: include_str!("migrations/postgres/0003_compact_history.sql"),
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
            let rebuild =
                self.conn()?.backend() == Backend::Sqlite && m.sql.contains(FOREIGN_KEYS_OFF);
            if rebuild {
                // A no-op inside a transaction, so before it; on again below, whatever happens.
                self.conn()?
                    .batch("PRAGMA foreign_keys = OFF")
                    .map_err(failed)?;
            }
            let tx = match self.begin_unfenced() {
                Ok(tx) => tx,
                Err(e) => {
                    self.foreign_keys_back_on(rebuild)?;
                    return Err(e);
                }
            };
            // Another process may have migrated between our read and our lock.
            let now = tx
                .schema_version()
                .map_err(|e| self.classify("user_version", e));
            match now {
                Ok(now) if now < m.version && now <= supported => {}
                other => {
                    drop(tx);
                    self.foreign_keys_back_on(rebuild)?;
                    let now = other?;
                    if now > supported {
                        return Err(StoreError::TooNew {
                            found: now,
                            supported,
                        });
                    }
                    continue;
                }
            }
            let ran = tx.batch(m.sql).and_then(|()| {
                if rebuild {
                    let broken: Vec<String> =
                        tx.rows("PRAGMA foreign_key_check", super::db::args![], |r| r.get(0))?;
                    if let Some(table) = broken.first() {
                        return Err(super::db::DbError::Setup(format!(
                            "a row of {table} lost the row it refers to"
                        )));
                    }
                }
                Ok(())
            });
            let ran = ran.and_then(|()| {
                tx.exec(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                    super::db::args![m.version, m.name, ts(Utc::now())],
                )
            });
            let ran = ran.and_then(|_| tx.set_schema_version(m.version));
            let done = match ran {
                Ok(()) => self.commit(tx, "migrate"),
                Err(e) => {
                    // Rolls the transaction back (before foreign keys can be switched on again).
                    drop(tx);
                    Err(failed(e))
                }
            };
            self.foreign_keys_back_on(rebuild)?;
            done?;
        }
        Ok(())
    }

    fn foreign_keys_back_on(&self, rebuild: bool) -> Result<(), StoreError> {
        if rebuild {
            self.conn()?
                .batch("PRAGMA foreign_keys = ON")
                .map_err(|e| self.classify("pragma foreign_keys", e))?;
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
