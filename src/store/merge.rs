//! Merging a second queue into a live one (issue #16: a shop on several web servers that each kept a SQLite file
//! moves one node's file into the WordPress database; the other nodes' files still hold their own jobs, notes and
//! history, which must reach the shared queue too, without losing or re-sending anything).
//!
//! Unlike a move ([`Store::move_into`], into an empty destination, ids kept), the destination is live: other
//! servers write to it while the merge runs. So rows get new ids, and every row is checked against what the
//! destination already holds:
//! - a job whose payload the destination already queued for the same entity is that job (its audit rows join it);
//! - an id map row for an entity the destination already mapped to the same document is kept once; to another
//!   document, it is a **conflict**: both servers posted it, Visma holds two documents, and the accountant must
//!   credit one. It is audited (`merge_conflict`), never hidden, and the destination's row stays in force;
//! - notes, cursors, credentials and the customer index rows the destination already has stay as they are (a note
//!   only says "build this object's JSON again"; the shared queue's cursors and secret are the live ones);
//! - queue flags stay behind: they say how that queue was (paused for want of a secret, which instance sends).
//!
//! The order of the steps is the move's: the source is marked `moved` in a fenced write (so two runners cannot both
//! merge it, and late writes to it are refused and retried on the shared queue), locked against writers, then
//! everything goes into the destination in one transaction, with an audit row saying what arrived.

use super::audit::{self, AuditAction, AuditEvent};
use super::db::{args, Db, Row, Val};
use super::idmap::{self, Mapping};
use super::queue::{JobId, JobKind};
use super::transfer::MOVED;
use super::{Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// What a merge brought into the destination.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Merged {
    /// Jobs added (with new ids).
    pub jobs: u64,
    /// Jobs the destination already had (same entity and payload, or a newer revision of one still to send).
    pub jobs_already_there: u64,
    /// Jobs added that still have to be sent (pending, running with an expired lease, failed).
    pub unfinished: u64,
    /// Audit rows added.
    pub audit: u64,
    /// Id map rows added.
    pub mappings: u64,
    /// Entities both queues mapped to different Visma documents (each audited as `merge_conflict`).
    pub conflicts: Vec<String>,
    /// Noted objects added (their JSON is built by the destination's runner).
    pub notes: u64,
    /// Cursors, credentials, customer index rows and claims added (the destination's own stay).
    pub other: u64,
}

impl Merged {
    /// One line for the audit and the merchant.
    pub fn summary(&self) -> String {
        format!(
            "{} jobs ({} of them still to send; {} were already in this queue), {} audit rows, {} documents \
             posted, {} noted objects, {} other rows, {} conflicts",
            self.jobs,
            self.unfinished,
            self.jobs_already_there,
            self.audit,
            self.mappings,
            self.notes,
            self.other,
            self.conflicts.len()
        )
    }
}

/// Where a source row's references point in the destination.
#[derive(Default)]
struct Ids {
    jobs: HashMap<i64, i64>,
}

impl Ids {
    fn job(&self, v: &Val) -> Val {
        match v {
            Val::Int(old) => self.jobs.get(old).map_or(Val::Null, |new| Val::Int(*new)),
            _ => Val::Null,
        }
    }
}

/// Key columns of the tables whose rows are added only when the destination has none with that key.
const KEYED: &[(&str, &str, &str)] = &[
    (
        "cursors",
        "store_id, name, value, updated_at",
        "store_id = ?1 AND name = ?2",
    ),
    (
        "credentials",
        "name, nonce, ciphertext, key_fingerprint, updated_at",
        "name = ?1",
    ),
    (
        "customer_index",
        "store_id, company, email_key, visma_number, updated_at",
        "store_id = ?1 AND company = ?2 AND email_key = ?3",
    ),
    (
        "customer_claims",
        "store_id, claim_key, owner, expires_at",
        "store_id = ?1 AND claim_key = ?2",
    ),
    (
        "notes",
        "store_id, kind, woo_id, parent_id, seq, noted_at",
        "store_id = ?1 AND kind = ?2 AND woo_id = ?3",
    ),
];

const JOB_COLUMNS: &str =
    "source, store_id, kind, woo_id, revision, payload_hash, state, attempts, \
     next_attempt_at, lease_owner, lease_expires_at, last_error, depends_on_job, depends_on_kind, \
     depends_on_woo_id, created_at, updated_at";

impl Store {
    /// Whether this queue was merged into another ([`Store::merge_into`]), not moved.
    ///
    /// # Errors
    /// Database failures.
    pub fn merged_away(&self) -> Result<bool, StoreError> {
        Ok(self
            .moved_mark()?
            .is_some_and(|mark| mark["merged"] == serde_json::Value::Bool(true)))
    }

    /// Merges this queue into the live queue `dest` and marks this one moved (see the module docs). `Ok(None)`
    /// when this queue was already moved or merged (by this runner or another).
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when a job of this queue is being sent right now (a live lease: try again when the
    /// drain has finished); database failures (the mark is then cleared, and nothing reached `dest`).
    pub fn merge_into(
        &self,
        dest: &Store,
        now: DateTime<Utc>,
    ) -> Result<Option<Merged>, StoreError> {
        if self.stalled_count(now + chrono::Duration::days(36_500))? > self.stalled_count(now)? {
            return Err(StoreError::Invalid {
                field: "queue",
                reason:
                    "a drain is sending jobs from it right now; it is merged when it has finished"
                        .into(),
            });
        }
        // Fenced: a queue already moved or merged refuses the write, so it is merged once.
        let to = dest.path_text();
        let marked = self.write("mark merged", |tx| {
            let value = serde_json::json!({ "to": to, "merged": true }).to_string();
            tx.exec(
                "INSERT INTO queue_flags (name, value, updated_at) VALUES (?1, ?2, ?3)",
                args![MOVED, value, super::ts(now)],
            )
            .map_err(|e| self.classify("mark merged", e))
        });
        match marked {
            Ok(_) => {}
            Err(StoreError::Moved { .. }) => return Ok(None),
            Err(e) => return Err(e),
        }
        let src = self.conn()?;
        let result = src
            .lock_for_copy(&super::transfer::table_names())
            .map_err(|e| self.classify("lock for merge", e))
            .and_then(|()| {
                let merged = dest.write("merge", |tx| merge_rows(self, src, dest, tx, now));
                // Once the rows are in, this queue must stay marked whatever the unlock says: clearing the mark
                // would let a later merge bring them again.
                if let Err(e) = src.unlock_after_copy() {
                    tracing::warn!(error = %self.classify("unlock after merge", e), "unlock after merge failed");
                }
                merged
            });
        if result.is_err() {
            // Nothing reached the destination: this queue stays as it was.
            self.mark_moved(None, now)?;
        }
        result.map(Some)
    }
}

/// Every table of `src` into `tx` (the destination's transaction); run again whole after a deadlock.
fn merge_rows(
    source: &Store,
    src: &dyn Db,
    dest: &Store,
    tx: &dyn Db,
    now: DateTime<Utc>,
) -> Result<Merged, StoreError> {
    let from = |e| source.classify("merge: read", e);
    let to = |e| dest.classify("merge", e);
    let mut merged = Merged::default();
    let mut ids = Ids::default();

    // Jobs in id order: a job's dependency was queued before it, so its new id is known.
    let jobs = read_all(
        src,
        &format!("SELECT id, {JOB_COLUMNS} FROM jobs ORDER BY id"),
        18,
    )
    .map_err(from)?;
    for row in jobs {
        let [old, rest @ ..] = row.as_slice() else {
            continue;
        };
        let Val::Int(old) = old else { continue };
        let existing: Option<i64> = tx
            .row_opt(
                "SELECT id FROM jobs WHERE store_id = ?1 AND kind = ?2 AND woo_id = ?3 AND payload_hash = ?4",
                &[rest[1].clone(), rest[2].clone(), rest[3].clone(), rest[5].clone()],
                |r| r.get(0),
            )
            .map_err(to)?;
        // A job still to send whose entity the shared queue holds at a newer revision is superseded there (as a
        // late enqueue of an older revision is): sending it after the newer one would report a false edit.
        let unfinished = matches!(&rest[6], Val::Text(s) if s != "done" && s != "dead");
        let newer = || -> Result<Option<i64>, StoreError> {
            tx.row_opt(
                "SELECT id FROM jobs WHERE store_id = ?1 AND kind = ?2 AND woo_id = ?3 AND revision >= ?4 \
                 ORDER BY revision DESC, id DESC LIMIT 1",
                &[rest[1].clone(), rest[2].clone(), rest[3].clone(), rest[4].clone()],
                |r| r.get(0),
            )
            .map_err(to)
        };
        let there = match existing {
            Some(id) => Some(id),
            None if unfinished => newer()?,
            None => None,
        };
        if let Some(id) = there {
            ids.jobs.insert(*old, id);
            merged.jobs_already_there += 1;
            continue;
        }
        let mut values = rest.to_vec();
        values[12] = ids.job(&values[12]);
        let marks = placeholders(values.len());
        let new = tx
            .insert(
                &format!("INSERT INTO jobs ({JOB_COLUMNS}) VALUES ({marks})"),
                &values,
            )
            .map_err(to)?;
        ids.jobs.insert(*old, new);
        merged.jobs += 1;
        if unfinished {
            merged.unfinished += 1;
        }
        let payload: Option<Val> = src
            .row_opt(
                "SELECT payload FROM job_payloads WHERE job_id = ?1",
                args![*old],
                |r| r.get(0),
            )
            .map_err(from)?;
        if let Some(payload) = payload {
            tx.exec(
                "INSERT INTO job_payloads (job_id, payload) VALUES (?1, ?2)",
                &[Val::Int(new), payload],
            )
            .map_err(to)?;
        }
    }

    // The audit in its order, after the destination's rows (new ids), each on its job's new id.
    let columns =
        "at, job_id, store_id, woo_kind, woo_id, action, endpoint, http_status, duration_ms, \
                   visma_number, error";
    let marks = placeholders(11);
    let mut failed = None;
    let read = src.query(
        &format!("SELECT {columns} FROM audit ORDER BY id"),
        &[],
        &mut |row: Row| {
            let mut values = row_values(&row, 11)?;
            values[1] = ids.job(&values[1]);
            if let Err(e) = tx.exec(
                &format!("INSERT INTO audit ({columns}) VALUES ({marks})"),
                &values,
            ) {
                failed = Some(e);
                return Err(super::db::DbError::Setup("merge stopped".into()));
            }
            merged.audit += 1;
            Ok(())
        },
    );
    if let Err(e) = read {
        return Err(failed.take().map_or_else(|| from(e), to));
    }

    for m in idmap::all(source, src)? {
        merge_mapping(dest, tx, &ids, m, now, &mut merged)?;
    }

    for (table, columns, key) in KEYED {
        let n = columns.split(',').count();
        let keys = key.matches('?').count();
        let rows = read_all(src, &format!("SELECT {columns} FROM {table}"), n).map_err(from)?;
        for values in rows {
            let there: Option<i64> = tx
                .row_opt(
                    &format!("SELECT 1 FROM {table} WHERE {key}"),
                    values.get(..keys).unwrap_or(&[]),
                    |r| r.get(0),
                )
                .map_err(to)?;
            if there.is_some() {
                continue;
            }
            tx.exec(
                &format!(
                    "INSERT INTO {table} ({columns}) VALUES ({})",
                    placeholders(n)
                ),
                &values,
            )
            .map_err(to)?;
            if *table == "notes" {
                merged.notes += 1;
            } else {
                merged.other += 1;
            }
        }
    }

    audit::insert(
        tx,
        &AuditEvent {
            at: now,
            job_id: None,
            store_id: None,
            woo_kind: None,
            woo_id: None,
            action: AuditAction::Merged,
            attempt: audit::Attempt::default(),
            visma_number: None,
            error: Some(format!(
                "merged the queue left in {}: {}",
                source.path_text(),
                merged.summary()
            )),
        },
    )
    .map_err(to)?;
    Ok(merged)
}

/// One id map row of the source: added, already there, or a conflict (audited; the destination's row stays).
fn merge_mapping(
    dest: &Store,
    tx: &dyn Db,
    ids: &Ids,
    m: Mapping,
    now: DateTime<Utc>,
    merged: &mut Merged,
) -> Result<(), StoreError> {
    let job = m
        .job_id
        .and_then(|j| ids.jobs.get(&j.get()).copied())
        .map(JobId);
    match idmap::insert_step(dest, tx, &m.mapping, job) {
        Ok(()) => {
            merged.mappings += 1;
            Ok(())
        }
        Err(StoreError::AlreadyMapped { .. }) => {
            let n = &m.mapping;
            let text = match idmap::entity_in(dest, tx, n)? {
                Some(here) => format!(
                    "{} {} was posted as {} by the queue merged in and as {} by this one: Visma holds two \
                     documents for it; credit one of them",
                    n.kind, n.woo_id, n.visma_number, here.mapping.visma_number
                ),
                None => format!(
                    "{} {} was posted as {} by the queue merged in, a number this queue recorded for another {}: \
                     check both in Visma",
                    n.kind, n.woo_id, n.visma_number, n.kind
                ),
            };
            audit::insert(
                tx,
                &AuditEvent {
                    at: now,
                    job_id: None,
                    store_id: Some(n.store_id.clone()),
                    woo_kind: JobKind::parse(n.kind.as_str()).ok(),
                    woo_id: Some(n.woo_id),
                    action: AuditAction::MergeConflict,
                    attempt: audit::Attempt::default(),
                    visma_number: Some(n.visma_number.clone()),
                    error: Some(text.clone()),
                },
            )
            .map_err(|e| dest.classify("merge", e))?;
            merged.conflicts.push(text);
            Ok(())
        }
        Err(e) => Err(e),
    }
}

fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn row_values(row: &Row, n: usize) -> Result<Vec<Val>, super::db::DbError> {
    (0..n).map(|i| row.get::<Val>(i)).collect()
}

fn read_all(db: &dyn Db, sql: &str, n: usize) -> Result<Vec<Vec<Val>>, super::db::DbError> {
    db.rows(sql, &[], |r| row_values(r, n))
}
