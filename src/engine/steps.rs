//! The steps after a document is created (issue #14), each exactly once and each safe to run again:
//! release it (and follow Visma's background release), post a paid order's payment against the released invoice
//! and release it, settle a refund's credit note (a customer refund for a paid order, else the credit note applied
//! to the invoice), and credit an order cancelled after it was invoiced. Every step's document goes into the id
//! map with the job's outcome ([`super::Held::map`]), so a retry skips what is done and a paid-later order gets its
//! payment once.

use super::{Engine, Held, JobFailure};
use crate::mapping::settlement::{self, SettlementFacts};
use crate::mapping::{self, CreditNoteDocument};
use crate::money::Currency;
use crate::store::audit::{Attempt, AuditAction, AuditEvent};
use crate::store::queue::Completion;
use crate::store::{DocKind, NewMapping};
use crate::visma::dto::PaymentUpdateDto;
use crate::visma::{CreateOutcome, Prior, Releasable, Released};
use crate::woo::Order;
use std::time::Duration;
use std::time::Instant;

/// A note for the audit trail, written with the job's outcome.
pub(crate) fn audit_note(
    engine: &Engine,
    held: &Held<'_>,
    endpoint: Option<&'static str>,
    visma_number: Option<&str>,
    text: String,
) {
    audit_event(
        engine,
        held,
        AuditAction::Call,
        Attempt {
            endpoint,
            http_status: None,
            duration_ms: None,
        },
        visma_number,
        text,
    );
}

/// Notes an audit row of this job (written with the job's outcome).
pub(crate) fn audit_event(
    engine: &Engine,
    held: &Held<'_>,
    action: AuditAction,
    attempt: Attempt,
    visma_number: Option<&str>,
    text: String,
) {
    let job = &held.claimed.job;
    held.note(AuditEvent {
        at: engine.now(),
        job_id: Some(job.id),
        store_id: Some(job.store_id.clone()),
        woo_kind: Some(job.kind),
        woo_id: Some(job.woo_id),
        action,
        attempt,
        visma_number: visma_number.map(str::to_owned),
        error: (!text.is_empty()).then_some(text),
    });
}

/// An id map row for a step of this job's document.
pub(crate) fn step_mapping(
    engine: &Engine,
    kind: DocKind,
    woo_id: u64,
    number: &str,
    key: &str,
) -> NewMapping {
    NewMapping {
        store_id: engine.books().store_id.clone(),
        company: engine.books().company.clone(),
        kind,
        woo_id,
        visma_number: number.to_owned(),
        external_ref: key.to_owned(),
        // Steps have no document of their own to compare later: the hash of the key marks them.
        payload_hash: crate::store::payload_hash(key),
        posted_at: engine.now(),
    }
}

/// Whether documents are released after create (settings `invoice.leave_on_hold` off, the default).
pub(crate) fn releases(engine: &Engine) -> bool {
    !engine.settings().invoice.leave_on_hold
}

/// Releases `number` and waits for Visma's background release (a few seconds). Not released yet: the job tries
/// again later; Visma says it failed: the job fails with Visma's `errorInfo`.
pub(crate) fn release(
    engine: &Engine,
    held: &Held<'_>,
    kind: Releasable,
    number: &str,
    fresh: bool,
) -> Result<(), JobFailure> {
    let endpoint = match kind {
        Releasable::Invoice => "customerinvoice.release",
        Releasable::CreditNote => "customercreditnote.release",
        Releasable::Payment => "customerpayment.release",
    };
    engine.keep_lease(held).map_err(JobFailure::from)?;
    // A queued release is followed for a few seconds: the lease is renewed before each pause, and a pause
    // longer than half the lease is not taken (the next attempt looks again).
    let half_lease = engine.options.lease / 2;
    let mut may_wait = |pause: Duration| pause <= half_lease && engine.keep_lease(held).is_ok();
    match engine
        .visma()
        .release_once(kind, number, fresh, &mut may_wait)
    {
        Ok(Released::Already) => Ok(()),
        Ok(Released::Now) => {
            // The endpoint and the number say it all (issue #16: a sentence per release was 30 bytes of every
            // order's audit).
            audit_note(engine, held, Some(endpoint), Some(number), String::new());
            Ok(())
        }
        // Charged an attempt (a release Visma never finishes must end the job), after a short fixed pause.
        Ok(Released::InProgress) => Err(JobFailure::look_again(
            format!(
                "Visma is still releasing {} {number}; it is checked again on the next attempt",
                kind.noun()
            ),
            Duration::from_secs(10),
            true,
        )),
        Ok(Released::Failed(why)) => Err(JobFailure::permanent(format!(
            "Visma could not release {} {number}: {why}",
            kind.noun()
        ))),
        Err(e) => Err(JobFailure::visma(endpoint, &e)),
    }
}

/// Releases a document this step created or adopted: one created by this very call cannot be released yet, so
/// its status read is skipped; an adopted one is read first.
pub(crate) fn release_made(
    engine: &Engine,
    held: &Held<'_>,
    kind: Releasable,
    made: &CreateOutcome<String>,
) -> Result<(), JobFailure> {
    release(engine, held, kind, made.number(), !made.was_adopted())
}

/// Whether `number` is released (for a step that may only follow a released document when documents are left on
/// hold for review).
fn is_released(engine: &Engine, kind: Releasable, number: &str) -> Result<bool, JobFailure> {
    let endpoint = match kind {
        Releasable::Invoice => "customerinvoice.get",
        Releasable::CreditNote => "customercreditnote.get",
        Releasable::Payment => "customerpayment.get",
    };
    Ok(engine
        .visma()
        .document_state(kind, number)
        .map_err(|e| JobFailure::visma(endpoint, &e))?
        .is_some_and(|s| s.is_released()))
}

/// A paid order's payment, applied to its released invoice and released, once (issue #14 "paid later": an order
/// invoiced before it was paid gets its payment when it is sent again as paid). `prior` says whether an earlier
/// attempt may have made it.
pub(crate) fn pay(
    engine: &Engine,
    held: &Held<'_>,
    order_id: u64,
    invoice: &str,
    key: &str,
    payment: &mut PaymentUpdateDto,
    prior: Prior,
) -> Result<(), JobFailure> {
    let books = engine.books();
    if let Some(done) = engine
        .store()
        .lookup_mapping(books, DocKind::Payment, order_id)?
    {
        // Created by an earlier attempt: only its release may be missing.
        if releases(engine) {
            release(
                engine,
                held,
                Releasable::Payment,
                &done.mapping.visma_number,
                false,
            )?;
        }
        return Ok(());
    }
    if !releases(engine) && !is_released(engine, Releasable::Invoice, invoice)? {
        audit_note(
            engine,
            held,
            None,
            Some(invoice),
            format!(
                "payment not posted: invoice {invoice} is on hold for review (settings invoice.leave_on_hold); \
                 it is posted when the order is sent again after the invoice was released"
            ),
        );
        return Ok(());
    }
    engine.keep_lease(held).map_err(JobFailure::from)?;
    let customer = payment.customer_number();
    payment.apply_to(&customer, invoice);
    let started = Instant::now();
    let made = engine
        .visma()
        .create_payment_once(invoice, prior, payment)
        .map_err(|e| JobFailure::visma("customerpayment.create", &e))?;
    let target = format!("invoice {invoice}");
    paid(
        engine,
        held,
        order_id,
        key,
        &made,
        started,
        ("applied to", &target),
    )
}

/// A payment made (or found): into the id map, the audit (`call`, not `posted`: the job's one posted/adopted row
/// stays the document's) and released. `target` is (verb, what it pays), e.g. ("applied to", "invoice 1").
pub(crate) fn paid(
    engine: &Engine,
    held: &Held<'_>,
    order_id: u64,
    key: &str,
    made: &CreateOutcome<String>,
    started: Instant,
    (verb, what): (&str, &str),
) -> Result<(), JobFailure> {
    held.map(step_mapping(
        engine,
        DocKind::Payment,
        order_id,
        made.number(),
        key,
    ));
    audit_event(
        engine,
        held,
        AuditAction::Call,
        Attempt {
            endpoint: Some("customerpayment.create"),
            http_status: Some(if made.was_adopted() { 200 } else { 201 }),
            duration_ms: u64::try_from(started.elapsed().as_millis()).ok(),
        },
        Some(made.number()),
        format!(
            "customer payment {} {what}",
            if made.was_adopted() {
                "found (adopted) for"
            } else {
                verb
            }
        ),
    );
    if releases(engine) {
        release_made(engine, held, Releasable::Payment, made)?;
    }
    Ok(())
}

/// Paid later, after a refund: WooCommerce's refund of an unpaid order became a credit note applied to the invoice,
/// so the customer pays what the invoice still owes, not the order's total (Visma refuses a payment above the
/// balance). Found in the real shop: cash on delivery, part refunded before delivery, then completed. Returns
/// false when the invoice owes nothing (the payment is left out, with a note in the audit).
pub(crate) fn cap_to_balance(
    engine: &Engine,
    held: &Held<'_>,
    invoice: &str,
    payment: &mut PaymentUpdateDto,
) -> Result<bool, JobFailure> {
    let currency = engine
        .settings()
        .currency(&payment.currency.value)
        .map_err(|e| JobFailure::permanent(e.to_string()))?;
    let decimals = currency.decimals();
    let found = engine
        .visma()
        .get_invoice(invoice)
        .map_err(|e| JobFailure::visma("customerinvoice.get", &e))?;
    let Some(balance) = found
        .and_then(|i| i.balance_in_currency)
        .and_then(|b| b.to_minor(decimals))
    else {
        return Ok(true);
    };
    let amount = payment
        .payment_amount
        .value
        .0
        .round_to(decimals)
        .unwrap_or(i64::MAX);
    if balance >= amount {
        return Ok(true);
    }
    let owes = balance > 0;
    let text = if owes {
        let owed =
            crate::visma::dto::DtoDecimal(crate::money::Decimal::from_minor(balance, decimals));
        payment.payment_amount.value = owed;
        for line in &mut payment.payment_lines {
            line.amount_paid.value = owed;
        }
        format!(
            "payment of {} {} instead of the order total {}: the invoice's balance after the credit notes applied to it",
            currency.format_minor(balance),
            currency.code(),
            currency.format_minor(amount)
        )
    } else {
        format!("payment not posted: invoice {invoice} owes nothing (credit notes applied to it)")
    };
    audit_note(
        engine,
        held,
        Some("customerinvoice.get"),
        Some(invoice),
        text,
    );
    Ok(owes)
}

/// What a credit note stands for, which decides how a paid order's credit is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Credit {
    /// A WooCommerce refund: the shop paid the money back.
    Refund(u64),
    /// A cancellation: WooCommerce moved no money, so a paid order's credit stays open for the accountant.
    Cancellation(u64),
}

/// Settles a released credit note of `order` so the customer's balance is right: money paid back (a refund of an
/// order whose payment is on record) or the credit note applied to what the invoice still owes.
#[allow(clippy::too_many_arguments)]
pub(crate) fn settle(
    engine: &Engine,
    held: &Held<'_>,
    order: &Order,
    credit: Credit,
    invoice: &str,
    note: &CreditNoteDocument,
    credit_note: &str,
    customer: &str,
) -> Result<(), JobFailure> {
    let books = engine.books();
    let store = engine.store();
    let woo_id = match credit {
        Credit::Refund(id) | Credit::Cancellation(id) => id,
    };
    if store
        .lookup_mapping(books, DocKind::Settlement, woo_id)?
        .is_some()
    {
        return Ok(());
    }
    if !releases(engine) {
        audit_note(
            engine,
            held,
            None,
            Some(credit_note),
            format!(
                "credit note {credit_note} is on hold for review (settings invoice.leave_on_hold): it is not \
                 applied or refunded until it is released"
            ),
        );
        return Ok(());
    }
    let currency = Currency::parse(&order.currency, &[])
        .or_else(|_| engine.settings().currency(&order.currency))
        .map_err(|e| JobFailure::permanent(format!("order {}: {e}", order.id)))?;
    let order_id = u64::try_from(order.id).unwrap_or(0);
    let paid = store
        .lookup_mapping(books, DocKind::Payment, order_id)?
        .is_some();
    let mut facts = SettlementFacts {
        key: &note.key,
        customer,
        credit_note,
        amount_minor: note.totals.gross_minor,
        currency,
        date: &note.credit_note.document_date.value,
    };
    if paid && matches!(credit, Credit::Cancellation(_)) {
        leave_open(
            engine,
            held,
            woo_id,
            credit_note,
            &note.key,
            format!(
                "credit note {credit_note} left open: order {} was paid, and cancelling it in WooCommerce moved no \
                 money; a WooCommerce refund posts its own credit note, so refund or apply this credit in Visma",
                order.id
            ),
        );
        return Ok(());
    }
    if !paid && super::sales_orders::active(engine) {
        let why = super::sales_orders::unpaid_credit_note(credit_note, invoice);
        leave_open(engine, held, woo_id, credit_note, &note.key, why);
        return Ok(());
    }
    let (body, kind, target, what) = if paid {
        let body = settlement::refund_payment(order, engine.settings(), &facts)
            .map_err(|e| JobFailure::permanent(e.to_string()))?;
        (body, "Refund", credit_note, "customer refund")
    } else {
        // Apply no more than the invoice still owes (another credit note or a payment by hand may have lowered it).
        let owed = engine
            .visma()
            .get_invoice(invoice)
            .map_err(|e| JobFailure::visma("customerinvoice.get", &e))?
            .and_then(|i| i.balance_in_currency)
            .and_then(|b| b.to_minor(currency.decimals()))
            .unwrap_or(0);
        if owed <= 0 {
            leave_open(
                engine,
                held,
                woo_id,
                credit_note,
                &note.key,
                format!(
                    "credit note {credit_note} left open: invoice {invoice} owes nothing (paid outside the shop?); \
                     refund or apply the credit in Visma"
                ),
            );
            return Ok(());
        }
        facts.amount_minor = facts.amount_minor.min(owed);
        let body = settlement::credit_application(order, engine.settings(), &facts, invoice)
            .map_err(|e| JobFailure::permanent(e.to_string()))?;
        (
            body,
            "CreditNote",
            invoice,
            "credit note applied to the invoice",
        )
    };
    engine.keep_lease(held).map_err(JobFailure::from)?;
    let hint = (kind == "CreditNote").then_some(credit_note);
    let made: CreateOutcome<String> = engine
        .visma()
        .create_settlement_once(target, kind, hint, &body)
        .map_err(|e| JobFailure::visma("customerpayment.create", &e))?;
    held.map(step_mapping(
        engine,
        DocKind::Settlement,
        woo_id,
        made.number(),
        &note.key,
    ));
    audit_note(
        engine,
        held,
        Some("customerpayment.create"),
        Some(made.number()),
        format!(
            "{what}: {} for credit note {credit_note}{}",
            made.number(),
            if made.was_adopted() {
                " (found, adopted)"
            } else {
                ""
            }
        ),
    );
    release_made(engine, held, Releasable::Payment, &made)
}

/// An order cancelled or failed after its invoice `invoice` was posted: credited (settings `invoice.on_cancel`,
/// default) with a credit note that mirrors the invoice, released and applied; or only reported.
pub(crate) fn cancel(
    engine: &Engine,
    held: &Held<'_>,
    order: &Order,
    invoice: &str,
) -> Result<Completion, JobFailure> {
    let job = &held.claimed.job;
    let books = engine.books();
    let report = Completion::EditedAfterPosting {
        visma_number: invoice.to_owned(),
    };
    if engine.settings().invoice.on_cancel == crate::settings::CancelPolicy::Report {
        return Ok(report);
    }
    if super::sales_orders::active(engine) {
        return Ok(super::sales_orders::cancelled(engine, held, order, invoice));
    }
    if !order.refunds.is_empty() {
        // Its refunds have credit notes of their own: crediting the whole invoice again would credit them twice.
        audit_note(
            engine,
            held,
            None,
            Some(invoice),
            format!(
                "order {} is {} after refunds: credit what is left of invoice {invoice} by hand",
                order.id, order.status
            ),
        );
        return Ok(report);
    }
    let mut note = mapping::cancellation::map_cancellation(order, engine.settings())
        .map_err(|e| JobFailure::permanent(e.to_string()))?;
    let customer = super::customers::resolve(engine, &note.customer_ref, None)?;
    note.set_customer_number(&customer);
    let number = match engine
        .store()
        .lookup_mapping(books, DocKind::Cancellation, job.woo_id)?
    {
        // An earlier attempt credited it: only the release or the settlement may be missing.
        Some(done) => done.mapping.visma_number,
        None => {
            engine.keep_lease(held).map_err(JobFailure::from)?;
            let made = engine
                .visma()
                .create_credit_note_once(&note.key, &note.credit_note)
                .map_err(|e| JobFailure::visma("customercreditnote.create", &e))?;
            held.map(step_mapping(
                engine,
                DocKind::Cancellation,
                job.woo_id,
                made.number(),
                &note.key,
            ));
            audit_note(
                engine,
                held,
                Some("customercreditnote.create"),
                Some(made.number()),
                format!(
                    "order {} is {} after it was invoiced: invoice {invoice} credited by {}",
                    order.id,
                    order.status,
                    made.number()
                ),
            );
            made.number().clone()
        }
    };
    if releases(engine) {
        release(engine, held, Releasable::CreditNote, &number, false)?;
    }
    settle(
        engine,
        held,
        order,
        Credit::Cancellation(job.woo_id),
        invoice,
        &note,
        &number,
        &customer,
    )?;
    Ok(Completion::AlreadyPosted {
        visma_number: invoice.to_owned(),
    })
}

/// A credit note the connector does not settle: said in the audit, and its settlement step recorded as done so
/// no later attempt tries again.
fn leave_open(
    engine: &Engine,
    held: &Held<'_>,
    woo_id: u64,
    credit_note: &str,
    key: &str,
    why: String,
) {
    audit_note(engine, held, None, Some(credit_note), why);
    held.map(step_mapping(
        engine,
        DocKind::Settlement,
        woo_id,
        credit_note,
        key,
    ));
}
