//! Releasing documents and following the release (issue #14). Visma creates invoices, credit notes and payments
//! unreleased (status Balanced or Hold): they are not in the ledger, and a payment cannot be applied to them.
//! `POST …/{number}/action/release` answers 200 with `actionResult` Queued, InProcess, Done or Failed (SPEC25
//! `ReleaseInvoiceActionResultDto`: "operation starts in the background and 200-OK is returned with a reference").
//! A Queued or InProcess release is followed by reading the document's status until it is released, fails with
//! `errorInfo`, or the wait is used up (the caller then tries again later: a release is never sent twice while the
//! document says it is still in progress, and a released document is never released again).

use crate::visma::client::Client;
use crate::visma::error::{VismaError, VismaMessage};
use std::time::Duration;

/// A document that is released through an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Releasable {
    /// `/v1/customerinvoice/{n}`.
    Invoice,
    /// `/v1/customerCreditNote/{n}`.
    CreditNote,
    /// `/v1/customerPayment/{n}`.
    Payment,
}

impl Releasable {
    /// The document's name for the merchant.
    pub fn noun(self) -> &'static str {
        match self {
            Self::Invoice => "invoice",
            Self::CreditNote => "credit note",
            Self::Payment => "customer payment",
        }
    }
}

/// A document's release state as Visma shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentState {
    /// `Hold`, `Balanced`, `Open`, `Closed`, … (SPEC25 status enums).
    pub status: String,
    /// Why a background release failed, when Visma says so.
    pub error_info: Option<String>,
}

impl DocumentState {
    /// Released documents are in the ledger: Open (a balance remains) or Closed (settled). Voided and reserved
    /// documents are not "released" for our purpose.
    pub fn is_released(&self) -> bool {
        matches!(self.status.as_str(), "Open" | "Closed")
    }
}

/// How a release ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Released {
    /// It was released before this call (an earlier attempt, or by hand).
    Already,
    /// This call released it.
    Now,
    /// Visma is still working on it after the wait: look again later.
    InProgress,
    /// Visma reported the release failed, with its `errorInfo`.
    Failed(String),
}

/// How long to follow a Queued release: reads of the document's status, with these pauses before each.
const FOLLOW_PAUSES_MS: [u64; 6] = [200, 400, 800, 1600, 3200, 6400];

impl Client {
    /// The release state of document `number`; `None` when it does not exist.
    ///
    /// # Errors
    /// Any [`VismaError`] but 404.
    pub fn document_state(
        &self,
        kind: Releasable,
        number: &str,
    ) -> Result<Option<DocumentState>, VismaError> {
        let state = |status: Option<String>, error_info: Option<String>| DocumentState {
            status: status.unwrap_or_default(),
            error_info: error_info.filter(|e| !e.trim().is_empty()),
        };
        Ok(match kind {
            Releasable::Invoice => self
                .get_invoice(number)?
                .map(|d| state(d.status, d.error_info)),
            Releasable::CreditNote => self
                .get_credit_note(number)?
                .map(|d| state(d.status, d.error_info)),
            Releasable::Payment => self
                .get_customer_payment(number)?
                .map(|d| state(d.status, None)),
        })
    }

    /// Releases `number` unless it is released already, and follows a queued release for a few seconds.
    /// `fresh`: this attempt created the document, so it cannot be released yet and the first status read is
    /// skipped (one call less per document; an adopted document is always read first).
    ///
    /// `may_wait(pause)` is asked before each pause of the follow: a caller holding a lease renews it there and
    /// says no when the pause would outlive it (the release is then [`Released::InProgress`], looked at again on
    /// the job's next attempt instead of another worker taking the job over mid-wait).
    ///
    /// # Errors
    /// [`VismaError`] from the status read or the action; a release whose answer was lost is looked up again
    /// before it is reported.
    pub fn release_once(
        &self,
        kind: Releasable,
        number: &str,
        fresh: bool,
        may_wait: &mut dyn FnMut(Duration) -> bool,
    ) -> Result<Released, VismaError> {
        let endpoint = match kind {
            Releasable::Invoice => "customerinvoice.get",
            Releasable::CreditNote => "customercreditnote.get",
            Releasable::Payment => "customerpayment.get",
        };
        let missing = || VismaError::Rejected {
            endpoint,
            status: 404,
            message: Box::new(VismaMessage {
                text: format!("{} {number} was not found", kind.noun()),
                ..VismaMessage::default()
            }),
        };
        if !fresh {
            let before = self.document_state(kind, number)?.ok_or_else(missing)?;
            if before.is_released() {
                return Ok(Released::Already);
            }
        }
        let action = match kind {
            Releasable::Invoice => self.release_invoice(number),
            Releasable::CreditNote => self.release_credit_note(number),
            Releasable::Payment => self.release_customer_payment(number),
        };
        let result = match action {
            Ok(r) => r,
            // The release may have been applied: the document says whether it was.
            Err(e) if e.is_outcome_unknown() => {
                return match self.document_state(kind, number) {
                    Ok(Some(s)) if s.is_released() => Ok(Released::Now),
                    _ => Err(e),
                };
            }
            Err(e) => return Err(e),
        };
        match result.action_result.as_deref() {
            Some("Failed") => {
                return Ok(Released::Failed(
                    result
                        .error_info
                        .filter(|e| !e.trim().is_empty())
                        .unwrap_or_else(|| "Visma gave no reason".to_owned()),
                ))
            }
            // Done means done (SPEC25 `actionResult`): no read-back.
            Some("Done") => return Ok(Released::Now),
            // An answer without a result (an older server): the document's status decides below.
            None => {
                if self
                    .document_state(kind, number)?
                    .is_some_and(|s| s.is_released())
                {
                    return Ok(Released::Now);
                }
            }
            Some(_) => {}
        }
        for pause in FOLLOW_PAUSES_MS.map(Duration::from_millis) {
            if !may_wait(pause) {
                break;
            }
            self.clock.sleep(pause);
            let state = self.document_state(kind, number)?.ok_or_else(missing)?;
            if state.is_released() {
                return Ok(Released::Now);
            }
            if let Some(why) = state.error_info {
                return Ok(Released::Failed(why));
            }
        }
        Ok(Released::InProgress)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_open_and_closed_documents_count_as_released() {
        for (status, released) in [
            ("Open", true),
            ("Closed", true),
            ("Balanced", false),
            ("Hold", false),
            ("Voided", false),
            ("", false),
        ] {
            let s = DocumentState {
                status: status.to_owned(),
                error_info: None,
            };
            assert_eq!(s.is_released(), released, "{status}");
        }
    }
}
