//! Exactly-once creates. Visma.net has no idempotency key (NOTES §6), so a create whose answer was lost may have
//! been stored. These helpers search by the document's natural key first, create only when nothing is found, and
//! after an unknown outcome search again before trying once more — adopting the existing document instead of
//! making a duplicate. Keys: invoice `externalReference`, credit note `externalReference`, customer `number`,
//! sales order `customer.refNo`.
//!
//! No mapping here: the caller passes the key and the ready-made body.

use crate::visma::client::Client;
use crate::visma::error::VismaError;
use crate::visma::retry::{self, Decision, Failure};
use crate::visma::sales_orders::SalesOrderKey;
use serde::Serialize;

/// What a `create_*_once` call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateOutcome<N> {
    /// This call created the document.
    Created(N),
    /// The document already existed under the key (from an earlier run, or a create whose answer was lost).
    Adopted(N),
}

impl<N> CreateOutcome<N> {
    /// The document's number, however it was obtained.
    pub fn number(&self) -> &N {
        match self {
            Self::Created(n) | Self::Adopted(n) => n,
        }
    }

    /// True when an existing document was adopted rather than created.
    pub fn was_adopted(&self) -> bool {
        matches!(self, Self::Adopted(_))
    }
}

/// What the caller knows about the document before the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prior {
    /// An earlier attempt (or run, or another installation) may have created it: search before creating.
    MayExist,
    /// It cannot exist yet: its parent was created by this very attempt (a payment for an invoice whose create
    /// just answered). The first search is skipped; after an unknown outcome the search still runs.
    CannotExist,
}

impl Client {
    /// Search → create → (on unknown outcome) search again → create again, at most `max_attempts` creates.
    fn create_once<N>(
        &self,
        what: &'static str,
        prior: Prior,
        find: impl Fn() -> Result<Option<N>, VismaError>,
        create: impl Fn() -> Result<N, VismaError>,
    ) -> Result<CreateOutcome<N>, VismaError> {
        if prior == Prior::MayExist {
            if let Some(existing) = find()? {
                return Ok(CreateOutcome::Adopted(existing));
            }
        }
        let mut attempt = 0u32;
        loop {
            attempt = attempt.saturating_add(1);
            let error = match create() {
                Ok(number) => return Ok(CreateOutcome::Created(number)),
                Err(e) if e.is_outcome_unknown() => e,
                Err(e) => return Err(e),
            };
            tracing::warn!(
                document = what,
                attempt,
                "create outcome unknown; searching before trying again"
            );
            match find() {
                Ok(Some(existing)) => return Ok(CreateOutcome::Adopted(existing)),
                Ok(None) => {}
                // The search failed too: report the create's unknown outcome so the caller searches later.
                Err(_) => return Err(error),
            }
            // Searched and not found: the create did not land, so sending it again is safe.
            let proven_absent = Failure {
                retryable: true,
                outcome_unknown: false,
            };
            match retry::decide(&self.policy, proven_absent, attempt, None, self.jitter()) {
                Decision::RetryAfter(wait) => self.clock.sleep(wait),
                Decision::GiveUp => return Err(error),
            }
        }
    }

    /// Creates the invoice unless one with `externalReference == key` exists (then adopts it).
    ///
    /// # Errors
    /// [`VismaError`] from the search or the create; an `is_outcome_unknown()` error only when a search could not
    /// tell whether the last create landed.
    pub fn create_invoice_once(
        &self,
        key: &str,
        body: &impl Serialize,
    ) -> Result<CreateOutcome<String>, VismaError> {
        self.create_once(
            "customerinvoice",
            Prior::MayExist,
            || {
                Ok(self
                    .find_invoices_by_external_reference(key)?
                    .into_iter()
                    .find_map(|i| i.reference_number))
            },
            || self.create_invoice(body),
        )
    }

    /// Creates the credit note unless one with `externalReference == key` exists.
    ///
    /// # Errors
    /// As [`Client::create_invoice_once`].
    pub fn create_credit_note_once(
        &self,
        key: &str,
        body: &impl Serialize,
    ) -> Result<CreateOutcome<String>, VismaError> {
        self.create_once(
            "customercreditnote",
            Prior::MayExist,
            || {
                Ok(self
                    .find_credit_notes_by_external_reference(key)?
                    .into_iter()
                    .find_map(|c| c.reference_number))
            },
            || self.create_credit_note(body),
        )
    }

    /// Creates customer `number` (the body must carry that number) unless it exists.
    ///
    /// # Errors
    /// As [`Client::create_invoice_once`].
    pub fn create_customer_once(
        &self,
        number: &str,
        body: &impl Serialize,
    ) -> Result<CreateOutcome<String>, VismaError> {
        self.create_once(
            "customer",
            Prior::MayExist,
            || {
                Ok(self
                    .get_customer(number)?
                    .map(|c| c.number.unwrap_or_else(|| number.to_owned())))
            },
            || self.create_customer(body),
        )
    }

    /// Creates the payment unless one applied to `invoice` exists (then adopts it). With
    /// [`Prior::CannotExist`] (the invoice was created by this attempt) the first search is skipped.
    ///
    /// # Errors
    /// As [`Client::create_invoice_once`].
    pub fn create_payment_once(
        &self,
        invoice: &str,
        prior: Prior,
        body: &impl Serialize,
    ) -> Result<CreateOutcome<String>, VismaError> {
        self.create_once(
            "customerpayment",
            prior,
            // Only a `Payment`: a credit note applied to the invoice is a payment of type `CreditNote` on it too,
            // and taking it for the order's payment left a paid-later order unpaid (found in the real shop).
            || {
                Ok(self
                    .find_payments_applied_to(invoice)?
                    .into_iter()
                    .filter(|p| p.payment_type.as_deref().is_none_or(|t| t == "Payment"))
                    .find_map(|p| p.ref_nbr))
            },
            || self.create_customer_payment(body),
        )
    }

    /// Creates the payment reserved for sales order `order_type order_no` unless the customer has one (issue #17).
    ///
    /// # Errors
    /// As [`Client::create_invoice_once`].
    pub fn create_order_payment_once(
        &self,
        customer: &str,
        (order_type, order_no): (&str, &str),
        prior: Prior,
        body: &impl Serialize,
    ) -> Result<CreateOutcome<String>, VismaError> {
        self.create_once(
            "customerpayment",
            prior,
            || {
                Ok(self
                    .find_payments_reserved_for(customer, order_type, order_no)?
                    .into_iter()
                    .find_map(|p| p.ref_nbr))
            },
            || self.create_customer_payment(body),
        )
    }

    /// Creates a settlement of `document` (a `Refund` of a credit note, or a `CreditNote` application to an
    /// invoice) unless a payment of `payment_type` whose number is `number_hint` (when known) is applied to it.
    ///
    /// # Errors
    /// As [`Client::create_invoice_once`].
    pub fn create_settlement_once(
        &self,
        document: &str,
        payment_type: &str,
        number_hint: Option<&str>,
        body: &impl Serialize,
    ) -> Result<CreateOutcome<String>, VismaError> {
        self.create_once(
            "customerpayment",
            Prior::MayExist,
            || {
                Ok(self
                    .find_payments_applied_to(document)?
                    .into_iter()
                    .filter(|p| p.payment_type.as_deref() == Some(payment_type))
                    .filter(|p| number_hint.is_none_or(|n| p.ref_nbr.as_deref() == Some(n)))
                    .find_map(|p| p.ref_nbr))
            },
            || self.create_customer_payment(body),
        )
    }

    /// Creates the sales order unless one of `customer_id` with `customer.refNo == ref_no` exists.
    ///
    /// # Errors
    /// As [`Client::create_invoice_once`].
    pub fn create_sales_order_once(
        &self,
        customer_id: &str,
        ref_no: &str,
        body: &impl Serialize,
    ) -> Result<CreateOutcome<SalesOrderKey>, VismaError> {
        self.create_once(
            "salesorder",
            Prior::MayExist,
            || {
                Ok(self
                    .find_sales_orders_by_ref(Some(customer_id), ref_no)?
                    .into_iter()
                    .find_map(|o| {
                        Some(SalesOrderKey {
                            order_type: o.order_type?,
                            order_id: o.order_id?,
                        })
                    }))
            },
            || self.create_sales_order(body),
        )
    }
}
