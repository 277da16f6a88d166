//! What the host answers with: plain, serialisable views of the queue, the audit trail and a connection test,
//! shaped for the plugin's screens. No logic beyond renaming.

use crate::store::audit::AuditEntry;
use crate::store::queue::{JobId, JobKind};
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
}

/// One job, for the queue screen.
#[derive(Debug, Serialize)]
pub struct JobRow {
    /// Job id.
    pub id: i64,
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
    /// Last failure.
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
