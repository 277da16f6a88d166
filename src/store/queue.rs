//! The job types of the durable queue: ids, kinds, states, what `enqueue` takes and returns, what a worker
//! holds while it works on a job. The SQL that moves jobs lives in `store/jobs.rs`; this file holds no SQL.

use super::audit::Attempt;
use super::idmap::NewMapping;
use super::StoreError;
use chrono::{DateTime, Utc};
use std::fmt;

/// A job's row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(pub(crate) i64);

impl JobId {
    /// Wraps a row id (from the CLI or the admin page). Existence is checked by the call that uses it.
    pub fn new(id: i64) -> Self {
        Self(id)
    }

    /// The row id.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident, $table:literal, $column:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The text stored in SQL (the schema's `CHECK` lists the same words).
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// Reads the stored text back.
            ///
            /// # Errors
            /// [`StoreError::BadRow`] for text this build does not know.
            pub fn parse(text: &str) -> Result<Self, StoreError> {
                match text {
                    $($text => Ok(Self::$variant),)+
                    other => Err(StoreError::BadRow { table: $table, column: $column, value: other.chars().take(64).collect() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum! {
    /// What a job carries. Declaration order is claim priority: customers before the orders that need them,
    /// orders before the refunds and payments that need their invoices.
    JobKind, "jobs", "kind" {
        /// A WooCommerce customer → Visma customer.
        Customer => "customer",
        /// A WooCommerce order → Visma customer invoice (or sales order).
        Order => "order",
        /// A WooCommerce refund → Visma credit note.
        Refund => "refund",
        /// A WooCommerce payment → Visma customer payment.
        Payment => "payment",
    }
}

text_enum! {
    /// What an id map row records: the Visma document a WooCommerce entity (or a step of its order) became.
    DocKind, "id_map", "woo_kind" {
        /// A WooCommerce customer → Visma customer or supplier.
        Customer => "customer",
        /// An order → its invoice (or sales order).
        Order => "order",
        /// A refund → its credit note.
        Refund => "refund",
        /// An order (by order id) → its customer payment.
        Payment => "payment",
        /// An order cancelled after invoicing (by order id) → the credit note that cancels it.
        Cancellation => "cancellation",
        /// A refund (by refund id) → how its credit note was settled: a customer refund payment, or the credit
        /// note applied to the unpaid invoice.
        Settlement => "settlement",
    }
}

impl From<JobKind> for DocKind {
    fn from(kind: JobKind) -> Self {
        match kind {
            JobKind::Customer => Self::Customer,
            JobKind::Order => Self::Order,
            JobKind::Refund => Self::Refund,
            JobKind::Payment => Self::Payment,
        }
    }
}

text_enum! {
    /// Where a job is in its life: `Pending` → `Running` → `Done`, or back to `Pending` (retry), or `Failed`
    /// (permanent, the merchant must act), or `Dead` (attempts exhausted). `replay` moves failed/dead to pending.
    JobState, "jobs", "state" {
        /// Waiting for `next_attempt_at` (and its dependency).
        Pending => "pending",
        /// Claimed by a worker under a lease.
        Running => "running",
        /// Posted, adopted or found already posted.
        Done => "done",
        /// Stopped on a permanent error.
        Failed => "failed",
        /// Stopped after the maximum number of attempts.
        Dead => "dead",
    }
}

text_enum! {
    /// Who put the job in the queue.
    JobSource, "jobs", "source" {
        /// A WooCommerce hook in the PHP plugin (checkout, order edit).
        Hook => "hook",
        /// A signed WooCommerce webhook received by the service.
        Webhook => "webhook",
        /// The REST poller.
        Poll => "poll",
        /// The command line.
        Cli => "cli",
    }
}

impl JobKind {
    /// Claim order: lower first.
    pub fn priority(self) -> u8 {
        match self {
            Self::Customer => 0,
            Self::Order => 1,
            Self::Refund | Self::Payment => 2,
        }
    }
}

/// What must be posted before a job may be claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dependency {
    /// Another job must be `done`.
    Job(JobId),
    /// The id map must hold a document for this WooCommerce entity of the same shop (e.g. a refund's order).
    Woo {
        /// The entity kind.
        kind: JobKind,
        /// Its WooCommerce id.
        woo_id: u64,
    },
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// Who sends it.
    pub source: JobSource,
    /// The shop (settings `store_id`, default `default`).
    pub store_id: String,
    /// What it carries.
    pub kind: JobKind,
    /// The WooCommerce id of the entity.
    pub woo_id: u64,
    /// Larger is newer: WooCommerce `date_modified_gmt` as Unix seconds, or a counter.
    pub revision: i64,
    /// The entity's REST v3 JSON, exactly as received (must be valid JSON).
    pub payload: String,
    /// What must be posted first, if anything.
    pub depends_on: Option<Dependency>,
}

/// What `enqueue` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnqueueOutcome {
    /// A new job.
    Inserted(JobId),
    /// The same payload was already queued (in any state): nothing changed.
    Duplicate(JobId),
    /// A pending (or failed/dead, now pending again) job for the same entity now carries this newer payload.
    Replaced(JobId),
    /// An older revision than the job already queued for this entity arrived late: nothing changed.
    Superseded(JobId),
}

impl EnqueueOutcome {
    /// The job that now represents the entity.
    pub fn job_id(self) -> JobId {
        match self {
            Self::Inserted(id)
            | Self::Duplicate(id)
            | Self::Replaced(id)
            | Self::Superseded(id) => id,
        }
    }
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Row id.
    pub id: JobId,
    /// Who sent it.
    pub source: JobSource,
    /// The shop.
    pub store_id: String,
    /// What it carries.
    pub kind: JobKind,
    /// The WooCommerce id.
    pub woo_id: u64,
    /// The payload's revision (larger is newer).
    pub revision: i64,
    /// The REST v3 JSON.
    pub payload: String,
    /// SHA-256 of the payload, lower-case hex.
    pub payload_hash: String,
    /// Where it is.
    pub state: JobState,
    /// How many times a worker claimed it.
    pub attempts: u32,
    /// Not claimed before this time (UTC).
    pub next_attempt_at: DateTime<Utc>,
    /// The worker holding it (running jobs only).
    pub lease_owner: Option<String>,
    /// When that lease ends (running jobs only).
    pub lease_expires_at: Option<DateTime<Utc>>,
    /// The last failure, for the merchant.
    pub last_error: Option<String>,
    /// What must be posted first.
    pub depends_on: Option<Dependency>,
    /// When it was first queued.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A worker's right to change one job: valid while nobody reclaimed the job after the lease expired.
/// `attempt` is the fencing token: each claim increments it, so an old holder's calls no longer match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The job.
    pub job_id: JobId,
    /// The worker (unique per process, e.g. `host:pid:random`).
    pub owner: String,
    /// The job's attempt number at this claim.
    pub attempt: u32,
    /// When another worker may take the job over.
    pub expires_at: DateTime<Utc>,
}

/// A job handed to a worker by `claim`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    /// The worker's lease; pass it to `complete` / `retry_later` / `fail`.
    pub lease: Lease,
    /// The job as it stands after the claim (state `running`).
    pub job: Job,
}

/// How a job ended well. `Posted` and `Adopted` record the id map in the same transaction as the job change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completion {
    /// A document was created in Visma.
    Posted {
        /// The id map row to record.
        mapping: NewMapping,
        /// The call that created it.
        attempt: Attempt,
    },
    /// An earlier, unanswered attempt had created the document; it was found by external reference and adopted.
    Adopted {
        /// The id map row to record.
        mapping: NewMapping,
        /// The call that found it.
        attempt: Attempt,
    },
    /// The id map already held this entity with the same payload: nothing was sent.
    AlreadyPosted {
        /// The document number on record.
        visma_number: String,
    },
    /// Nothing to post for this revision (e.g. an order still `pending` or `on-hold`): done without a document.
    /// A later revision that needs a document is queued as a new job.
    Skipped {
        /// Why, for the audit trail.
        reason: String,
    },
    /// The entity changed after its document was posted; posted documents are immutable, so this is reported
    /// (audit action `edited_after_posting`), not re-posted.
    EditedAfterPosting {
        /// The document number on record.
        visma_number: String,
    },
}

/// What `retry_later` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryOutcome {
    /// Pending again from this time.
    Scheduled(DateTime<Utc>),
    /// Attempts exhausted: the job is `dead`.
    Dead,
}

/// Jobs per state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateCounts {
    /// Waiting.
    pub pending: u64,
    /// Claimed.
    pub running: u64,
    /// Finished.
    pub done: u64,
    /// Stopped on a permanent error.
    pub failed: u64,
    /// Attempts exhausted.
    pub dead: u64,
}

/// Which jobs `list` returns: all given conditions hold; newest first, paged by `before`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFilter {
    /// Only this shop.
    pub store_id: Option<String>,
    /// Only this state.
    pub state: Option<JobState>,
    /// Only this kind.
    pub kind: Option<JobKind>,
    /// Only this WooCommerce id.
    pub woo_id: Option<u64>,
    /// Only ids below this one (the last id of the previous page).
    pub before: Option<JobId>,
    /// Page size; 0 means 50, capped at 1000.
    pub limit: u32,
    /// Rows to skip (page-by-number for admin screens; issue #15: page 2 showed page 1).
    pub offset: u32,
}
