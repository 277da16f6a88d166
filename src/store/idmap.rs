//! The id map: which Visma document (number, external reference) a WooCommerce entity became, with the hash of
//! the payload that was posted and when. UNIQUE per entity and Visma company ([`Books`]), so a document is recorded
//! once, re-sending a posted order is a no-op the engine can report, and a store pointed at another company starts
//! afresh there. Written by `complete` in the job's transaction, or on its own here.

use super::db::{args, Backend, Db, Failure, Val};
use super::encoding::{from_micros, hash_bytes, hash_text, micros};
use super::queue::{DocKind, JobId};
use super::{Store, StoreError};
use chrono::{DateTime, Utc};

/// Whose books a document is in: the WooCommerce store (settings `store_id`) and the Visma company it posts to
/// (`tenant/company`, see `visma::Config::books_key`). Issue #13: keyed by store alone, a store switched to another
/// company re-used the first company's customer numbers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Books {
    /// The shop.
    pub store_id: String,
    /// The Visma company.
    pub company: String,
}

impl Books {
    /// The books of `store_id` in `company`.
    pub fn new(store_id: impl Into<String>, company: impl Into<String>) -> Self {
        Self {
            store_id: store_id.into(),
            company: company.into(),
        }
    }
}

/// A mapping to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMapping {
    /// The shop.
    pub store_id: String,
    /// The Visma company (see [`Books`]).
    pub company: String,
    /// What the row records.
    pub kind: DocKind,
    /// The WooCommerce id.
    pub woo_id: u64,
    /// The Visma document number (customer number, invoice reference number, …).
    pub visma_number: String,
    /// The external reference written on the document (`woo:{store}:{order id}`).
    pub external_ref: String,
    /// SHA-256 hex of the payload that was posted (to tell "unchanged" from "edited after posting").
    pub payload_hash: String,
    /// When Visma accepted (or the engine adopted) the document.
    pub posted_at: DateTime<Utc>,
}

/// A recorded mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// What was recorded.
    pub mapping: NewMapping,
    /// The job that recorded it, if any.
    pub job_id: Option<JobId>,
}

/// Inserts on `conn` (inside the caller's transaction); a UNIQUE clash becomes [`StoreError::AlreadyMapped`].
pub(crate) fn insert(
    store: &Store,
    conn: &dyn Db,
    m: &NewMapping,
    job: Option<JobId>,
) -> Result<(), StoreError> {
    let woo_id = i64::try_from(m.woo_id).map_err(|_| StoreError::Invalid {
        field: "woo_id",
        reason: "larger than SQLite's integer range".into(),
    })?;
    ensure_names(store, conn, &[&m.store_id, &m.company])?;
    // PostgreSQL aborts the whole transaction on a failed statement, and the caller goes on after a clash
    // (`insert_step`), so there a clash inserts nothing instead of failing. SQLite and MySQL undo only the statement.
    let sql = if conn.backend() == Backend::Postgres {
        "INSERT INTO id_map (store_ref, woo_kind, woo_id, visma_number, external_ref, payload_hash, job_id, \
             posted_at, company_ref) VALUES ((SELECT id FROM names WHERE name = ?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, \
             (SELECT id FROM names WHERE name = ?9)) ON CONFLICT DO NOTHING"
    } else {
        "INSERT INTO id_map (store_ref, woo_kind, woo_id, visma_number, external_ref, payload_hash, job_id, \
             posted_at, company_ref) VALUES ((SELECT id FROM names WHERE name = ?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, \
             (SELECT id FROM names WHERE name = ?9))"
    };
    let result = conn.exec(
        sql,
        args![
            m.store_id,
            m.kind.as_str(),
            woo_id,
            m.visma_number,
            m.external_ref,
            hash_bytes(&m.payload_hash)?,
            job.map(JobId::get),
            micros(m.posted_at),
            m.company
        ],
    );
    match result {
        Ok(n) if n > 0 => Ok(()),
        Ok(_) => Err(StoreError::AlreadyMapped {
            store_id: m.store_id.clone(),
            kind: m.kind.as_str(),
            woo_id: m.woo_id,
            visma_number: m.visma_number.clone(),
        }),
        Err(e) if e.failure() == Failure::Unique => Err(StoreError::AlreadyMapped {
            store_id: m.store_id.clone(),
            kind: m.kind.as_str(),
            woo_id: m.woo_id,
            visma_number: m.visma_number.clone(),
        }),
        Err(e) => Err(store.classify("record mapping", e)),
    }
}

/// Issue #16: the id map names its store and company by a number from `names` (each text once, not twice per
/// order in the rows and again in two indexes). A name is added the first time it is needed: looked up first, so
/// the common case is one read, writes nothing and takes no lock.
fn ensure_names(store: &Store, conn: &dyn Db, names: &[&str]) -> Result<(), StoreError> {
    let fail = |e| store.classify("names", e);
    let mut wanted: Vec<&str> = names.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    let marks: Vec<String> = (1..=wanted.len()).map(|i| format!("?{i}")).collect();
    let values: Vec<Val> = wanted.iter().map(|n| Val::Text((*n).to_string())).collect();
    let known: i64 = conn
        .row(
            &format!(
                "SELECT count(*) FROM names WHERE name IN ({})",
                marks.join(", ")
            ),
            &values,
            |r| r.get(0),
        )
        .map_err(fail)?;
    if usize::try_from(known).ok() != Some(wanted.len()) {
        // Rare (a new store or company): the upsert leaves a name already there as it is.
        for name in wanted {
            conn.exec(
                "INSERT INTO names (name) VALUES (?1) ON CONFLICT (name) DO UPDATE SET name = excluded.name",
                args![name],
            )
            .map_err(fail)?;
        }
    }
    Ok(())
}

/// Records a step's document inside the job's transaction. The same row again (an attempt that adopted the step)
/// is fine; another number for the same step is [`StoreError::AlreadyMapped`].
pub(crate) fn insert_step(
    store: &Store,
    conn: &dyn Db,
    m: &NewMapping,
    job: Option<JobId>,
) -> Result<(), StoreError> {
    match insert(store, conn, m, job) {
        Err(StoreError::AlreadyMapped { .. }) => {
            let woo_id = i64::try_from(m.woo_id).unwrap_or(-1);
            let same: bool = conn
                .row("SELECT EXISTS (SELECT 1 FROM id_map WHERE store_ref = (SELECT id FROM names WHERE name = ?1) \
                     AND company_ref = (SELECT id FROM names WHERE name = ?2) AND woo_kind = ?3 AND woo_id = ?4 \
                     AND visma_number = ?5)", args![m.store_id, m.company, m.kind.as_str(), woo_id, m.visma_number], |r| r.get(0))
                .map_err(|e| store.classify("record step", e))?;
            if same {
                Ok(())
            } else {
                Err(StoreError::AlreadyMapped {
                    store_id: m.store_id.clone(),
                    kind: m.kind.as_str(),
                    woo_id: m.woo_id,
                    visma_number: m.visma_number.clone(),
                })
            }
        }
        other => other,
    }
}

impl Store {
    /// Records a mapping outside a job (e.g. a customer matched in Visma by e-mail).
    ///
    /// # Errors
    /// [`StoreError::AlreadyMapped`] when the entity or the document is already recorded; SQLite failures.
    pub fn record_mapping(&self, m: &NewMapping) -> Result<(), StoreError> {
        self.write("record mapping", |tx| insert(self, tx, m, None))
    }

    /// The Visma document a WooCommerce entity became, if any.
    ///
    /// # Errors
    /// SQLite failures, [`StoreError::BadRow`].
    pub fn lookup_mapping(
        &self,
        books: &Books,
        kind: impl Into<DocKind>,
        woo_id: u64,
    ) -> Result<Option<Mapping>, StoreError> {
        let Ok(woo) = i64::try_from(woo_id) else {
            return Ok(None);
        };
        self.select_mapping(
            "WHERE store_ref = (SELECT id FROM names WHERE name = ?1) \
             AND company_ref = (SELECT id FROM names WHERE name = ?2) AND woo_kind = ?3 AND woo_id = ?4",
            args![books.store_id, books.company, kind.into().as_str(), woo],
        )
    }

    /// The WooCommerce entity a Visma document of `company` was recorded for, if any (customers may match several;
    /// the first).
    ///
    /// # Errors
    /// SQLite failures, [`StoreError::BadRow`].
    pub fn lookup_document(
        &self,
        company: &str,
        kind: impl Into<DocKind>,
        visma_number: &str,
    ) -> Result<Option<Mapping>, StoreError> {
        self.select_mapping(
            "WHERE company_ref = (SELECT id FROM names WHERE name = ?1) AND woo_kind = ?2 AND visma_number = ?3 \
             ORDER BY id LIMIT 1",
            args![company, kind.into().as_str(), visma_number],
        )
    }

    /// Gives rows written before the id map knew companies (migration 0007: company `''`) to `books.company`, for
    /// `books.store_id`'s id map and customer index: they were made with the connection the store had then, which
    /// is the one it is first opened with after the upgrade. Returns how many rows moved (0 once done).
    ///
    /// # Errors
    /// SQLite failures.
    pub fn adopt_legacy_books(&self, books: &Books) -> Result<usize, StoreError> {
        if books.company.is_empty() {
            return Ok(0);
        }
        // Only SQLite files can hold rows from before the company column; the servers' schema starts after it.
        if self.backend() != Backend::Sqlite {
            return Ok(0);
        }
        let tx = self.begin()?;
        let fail = |e| self.classify("adopt legacy books", e);
        ensure_names(self, &*tx, &[&books.company])?;
        let mut moved = tx
            .exec(
                "UPDATE OR IGNORE id_map SET company_ref = (SELECT id FROM names WHERE name = ?2) \
                 WHERE store_ref = (SELECT id FROM names WHERE name = ?1) \
                 AND company_ref = (SELECT id FROM names WHERE name = '')",
                args![books.store_id, books.company],
            )
            .map_err(fail)?;
        // A row the company already has wins (OR IGNORE leaves the clashing legacy row at '', where nothing reads it).
        moved += tx
            .exec("UPDATE OR IGNORE customer_index SET company = ?2 WHERE store_id = ?1 AND company = ''", args![books.store_id, books.company])
            .map_err(fail)?;
        self.commit(tx, "adopt legacy books")?;
        Ok(moved)
    }

    fn select_mapping(&self, clause: &str, args: &[Val]) -> Result<Option<Mapping>, StoreError> {
        let mut found = select(self, self.conn()?, clause, args)?;
        Ok(if found.is_empty() {
            None
        } else {
            Some(found.swap_remove(0))
        })
    }
}

/// The row of one entity on `conn` (inside the caller's transaction).
pub(crate) fn entity_in(
    store: &Store,
    conn: &dyn Db,
    m: &NewMapping,
) -> Result<Option<Mapping>, StoreError> {
    let Ok(woo) = i64::try_from(m.woo_id) else {
        return Ok(None);
    };
    let mut found = select(
        store,
        conn,
        "WHERE store_ref = (SELECT id FROM names WHERE name = ?1) \
         AND company_ref = (SELECT id FROM names WHERE name = ?2) AND woo_kind = ?3 AND woo_id = ?4",
        args![m.store_id, m.company, m.kind.as_str(), woo],
    )?;
    Ok(found.pop())
}

/// Every row of the id map on `conn` (a queue being merged into another), in id order.
pub(crate) fn all(store: &Store, conn: &dyn Db) -> Result<Vec<Mapping>, StoreError> {
    select(store, conn, "ORDER BY id", &[])
}

fn select(
    store: &Store,
    conn: &dyn Db,
    clause: &str,
    args: &[Val],
) -> Result<Vec<Mapping>, StoreError> {
    let sql = format!(
        "SELECT (SELECT name FROM names WHERE id = store_ref), woo_kind, woo_id, visma_number, external_ref, \
         payload_hash, posted_at, job_id, (SELECT name FROM names WHERE id = company_ref) FROM id_map {clause}"
    );
    let raw = conn
        .rows(&sql, args, |r| {
            Ok((
                r.get::<String>(0)?,
                r.get::<String>(1)?,
                r.get::<i64>(2)?,
                r.get::<String>(3)?,
                r.get::<String>(4)?,
                r.get::<Vec<u8>>(5)?,
                r.get::<i64>(6)?,
                r.get::<Option<i64>>(7)?,
                r.get::<String>(8)?,
            ))
        })
        .map_err(|e| store.classify("lookup mapping", e))?;
    raw.into_iter()
        .map(
            |(
                store_id,
                kind,
                woo_id,
                visma_number,
                external_ref,
                payload_hash,
                posted_at,
                job_id,
                company,
            )| {
                Ok(Mapping {
                    mapping: NewMapping {
                        store_id,
                        company,
                        kind: DocKind::parse(&kind)?,
                        woo_id: super::stored_woo_id("id_map", woo_id)?,
                        visma_number,
                        external_ref,
                        payload_hash: hash_text("id_map", &payload_hash)?,
                        posted_at: from_micros("id_map", "posted_at", posted_at)?,
                    },
                    job_id: job_id.map(JobId),
                })
            },
        )
        .collect()
}
