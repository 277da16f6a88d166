//! What the host answers with: plain, serialisable views of the queue, the audit trail and a connection test,
//! shaped for the plugin's screens. No logic beyond renaming.

use crate::store::audit::AuditEntry;
use crate::store::queue::{JobId, JobKind};
use crate::store::Note;
use serde::Serialize;
use std::collections::BTreeMap;

/// Queue counts, the oldest pending job and the newest failure.
#[derive(Debug, Serialize)]
pub struct Status {
    /// Jobs per state.
    pub counts: BTreeMap<&'static str, u64>,
    /// When the oldest pending job was queued (RFC 3339).
    pub oldest_pending_at: Option<String>,
    /// The most recent failure reason.
    pub last_error: Option<String>,
    /// The pause in force after a configuration error, if any.
    pub paused: Option<PauseView>,
    /// Objects noted by shoppers' requests whose JSON the runner has not built yet.
    pub notes: u64,
    /// Issue #16: this server's own SQLite file, not merged into the shared queue yet (the next drain merges it).
    pub local_queue: Option<LocalQueueView>,
}

/// A server's own SQLite file that still holds a queue the shared one has not got.
#[derive(Debug, Serialize)]
pub struct LocalQueueView {
    /// The file.
    pub path: String,
    /// Jobs in it not sent yet.
    pub unfinished: u64,
    /// Objects noted in it whose jobs were never built.
    pub notes: u64,
    /// Why it could not be read, if so.
    pub error: Option<String>,
}

/// Why the queue is paused.
#[derive(Debug, Serialize)]
pub struct PauseView {
    /// What is wrong, for the merchant.
    pub reason: String,
    /// The setting to fix, when known.
    pub setting: Option<String>,
    /// Since when (RFC 3339).
    pub since: String,
}

/// A noted object waiting for its JSON.
#[derive(Debug, Serialize)]
pub struct NoteRow {
    /// order, refund, customer.
    pub kind: &'static str,
    /// WooCommerce id.
    pub woo_id: u64,
    /// A refund's order id; 0 otherwise.
    pub parent_id: u64,
    /// When it was last noted (RFC 3339).
    pub noted_at: String,
    /// Pass back to `enqueue` so only this note is cleared.
    pub seq: i64,
}

/// An order's payment in Visma.
#[derive(Debug, Serialize)]
pub struct PaymentView {
    /// The customer payment's number.
    pub visma_number: String,
}

/// One job, for the queue screen.
#[derive(Debug, Serialize)]
pub struct JobRow {
    /// Job id.
    pub id: i64,
    /// The store id it was queued under.
    pub store_id: String,
    /// order, customer, refund.
    pub kind: &'static str,
    /// WooCommerce id.
    pub woo_id: u64,
    /// State name.
    pub state: &'static str,
    /// Attempts so far.
    pub attempts: u32,
    /// Next attempt (RFC 3339).
    pub next_attempt_at: String,
    /// A running job's lease end: past it, the worker died and the job is taken over (RFC 3339).
    pub lease_expires_at: Option<String>,
    /// Last failure (jobs not done only).
    pub last_error: Option<String>,
    /// The Visma document, once posted.
    pub visma_number: Option<String>,
    /// Queued at.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

/// One audit row, for the queue screen and the order meta box.
#[derive(Debug, Serialize)]
pub struct AuditRow {
    /// When.
    pub at: String,
    /// Job id.
    pub job_id: Option<i64>,
    /// Entity kind.
    pub kind: Option<&'static str>,
    /// WooCommerce id.
    pub woo_id: Option<u64>,
    /// What happened.
    pub action: String,
    /// Visma endpoint.
    pub endpoint: Option<String>,
    /// HTTP status.
    pub http_status: Option<u16>,
    /// Call duration.
    pub duration_ms: Option<u64>,
    /// Visma document number.
    pub visma_number: Option<String>,
    /// Error or detail.
    pub error: Option<String>,
}

/// The sync state of one order, for the order list column and meta box.
#[derive(Debug, Serialize)]
pub struct OrderState {
    /// `none`, or the newest job's state.
    pub state: &'static str,
    /// The invoice or sales order number.
    pub visma_number: Option<String>,
    /// Why the newest job failed.
    pub last_error: Option<String>,
    /// The order's customer payment, once posted.
    pub payment: Option<PaymentView>,
}

/// What Visma holds for one order's invoice, for reconciliation against WooCommerce.
#[derive(Debug, Serialize)]
pub struct VismaTotals {
    /// The invoice number, when the order was posted.
    pub visma_number: Option<String>,
    /// The invoice's gross amount in minor units of its currency, as Visma computed it.
    pub amount_minor: Option<i64>,
    /// The invoice's VAT in minor units.
    pub vat_minor: Option<i64>,
    /// The invoice's currency.
    pub currency: Option<String>,
}

/// What a connection test found.
#[derive(Debug, Serialize)]
pub struct ConnectionReport {
    /// True when Visma answered.
    pub ok: bool,
    /// The company (id and branch name).
    pub company: Option<String>,
    /// GL accounts found.
    pub accounts: usize,
    /// VAT categories found.
    pub vat_categories: usize,
    /// Why it failed, in the merchant's terms.
    pub error: Option<String>,
    /// The setting to fix, when the failure names one.
    pub setting: Option<String>,
    /// Configured ids the company does not have (issue #14), each naming its setting.
    pub unknown_ids: Vec<UnknownIdView>,
}

/// A configured id the company does not have.
#[derive(Debug, Serialize)]
pub struct UnknownIdView {
    /// The dotted setting, e.g. `accounts.shipping`.
    pub setting: String,
    /// The id.
    pub id: String,
    /// The sentence for the merchant.
    pub message: String,
}

/// A document Visma holds for this store, for the Reconciliation screen.
#[derive(Debug, Serialize)]
pub struct VismaDocument {
    /// `invoice` or `credit_note`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Its number.
    pub visma_number: String,
    /// The WooCommerce order (0 for a refund's credit note: join by `woo_refund_id`).
    pub woo_order_id: u64,
    /// The WooCommerce refund, for a refund's credit note.
    pub woo_refund_id: Option<u64>,
    /// Document date.
    pub date: String,
    /// Currency.
    pub currency: String,
    /// Gross in minor units, as Visma holds it.
    pub amount_minor: i64,
    /// VAT in minor units.
    pub vat_minor: i64,
    /// VAT per VAT id, in minor units.
    pub vat_by_id: std::collections::BTreeMap<String, i64>,
    /// Visma's status.
    pub status: String,
}

pub(crate) fn note_row(n: Note) -> NoteRow {
    NoteRow {
        kind: n.kind.as_str(),
        woo_id: n.woo_id,
        parent_id: n.parent_id,
        noted_at: n.noted_at.to_rfc3339(),
        seq: n.seq,
    }
}

pub(crate) fn audit_row(e: AuditEntry) -> AuditRow {
    AuditRow {
        at: e.at.to_rfc3339(),
        job_id: e.job_id.map(JobId::get),
        kind: e.woo_kind.map(JobKind::as_str),
        woo_id: e.woo_id,
        action: e.action,
        endpoint: e.endpoint,
        http_status: e.http_status,
        duration_ms: e.duration_ms,
        visma_number: e.visma_number,
        error: e.error,
    }
}
