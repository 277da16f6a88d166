//! One job, end to end: parse the stored WooCommerce JSON, map it (pure), check the id map, make sure the
//! customer exists, post the document exactly once, and say how it ended. No SQL here beyond the store's API;
//! the outcome is recorded by the caller in the same transaction as the job change.

use super::{steps, Engine, Held, JobFailure};
use crate::mapping::{self, SalesDocument};
use crate::store::audit::{Attempt, AuditAction};
use crate::store::idmap::NewMapping;
use crate::store::queue::{Completion, DocKind, Job, JobKind};
use crate::visma::dto::DtoValue;
use crate::visma::{CreateOutcome, Prior, Releasable};
use crate::woo::{Customer, Order, Refund};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::time::Instant;

/// Runs a claimed job against Visma and returns how it completed, or why not.
pub(crate) fn process(engine: &Engine, held: &Held<'_>) -> Result<Completion, JobFailure> {
    let job = &held.claimed.job;
    match job.kind {
        JobKind::Order => order(engine, held),
        JobKind::Refund => refund(engine, held),
        JobKind::Customer => customer(engine, held),
        JobKind::Payment => Err(JobFailure::permanent(
            "payment jobs are not queued by this version; payments are posted with their order",
        )),
    }
}

/// An error with its causes, for the job's reason. Issue #5: `WooError::Json` says only "order is not valid
/// WooCommerce JSON" and keeps the parser's position and expected type in its source, which the reason
/// dropped; the merchant could not tell what to fix (tests/engine_bad_input.rs).
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// The hash the id map keeps: of the Visma document we sent, so a WooCommerce edit that does not change the
/// document (a status change, a note) is "already posted", and one that does is "edited after posting".
fn document_hash(doc: &impl serde::Serialize) -> Result<String, JobFailure> {
    let text = serde_json::to_string(doc)
        .map_err(|e| JobFailure::permanent(format!("could not serialise the document: {e}")))?;
    Ok(hex::encode(Sha256::digest(text.as_bytes())))
}

/// The hash the id map keeps for an invoice: the document without its date. Issue #14: an order invoiced when it
/// was placed gets its `date_paid` later, which moved `documentDate` (settings `document_date = "paid"`) and made a
/// paid-later order look "edited after posting"; the date alone is no edit of what was invoiced.
fn invoice_hash(doc: &SalesDocument) -> Result<String, JobFailure> {
    match doc {
        SalesDocument::Invoice(dto) => {
            let mut dto = dto.clone();
            dto.document_date.value.clear();
            document_hash(&dto)
        }
        SalesDocument::SalesOrder(cmd) => {
            let mut cmd = cmd.clone();
            cmd.date.clear();
            document_hash(&cmd)
        }
    }
}

/// How a document already on record compares with the one the job would post now.
fn on_record(found: &crate::store::Mapping, hash: &str) -> Completion {
    let visma_number = found.mapping.visma_number.clone();
    if found.mapping.payload_hash == hash {
        Completion::AlreadyPosted { visma_number }
    } else {
        Completion::EditedAfterPosting { visma_number }
    }
}

fn completion(
    engine: &Engine,
    job: &Job,
    outcome: CreateOutcome<String>,
    key: &str,
    hash: String,
    attempt: Attempt,
) -> Completion {
    let adopted = outcome.was_adopted();
    let mapping = NewMapping {
        store_id: job.store_id.clone(),
        company: engine.books().company.clone(),
        kind: job.kind.into(),
        woo_id: job.woo_id,
        visma_number: outcome.number().clone(),
        external_ref: key.to_owned(),
        payload_hash: hash,
        posted_at: engine.now(),
    };
    if adopted {
        Completion::Adopted { mapping, attempt }
    } else {
        Completion::Posted { mapping, attempt }
    }
}

/// A sales order's outcome under its id-map name, `"SO 000123"` (`sales_orders::split` reads it back).
fn named(made: CreateOutcome<crate::visma::SalesOrderKey>) -> CreateOutcome<String> {
    let name = |k: crate::visma::SalesOrderKey| format!("{} {}", k.order_type, k.order_id);
    match made {
        CreateOutcome::Created(k) => CreateOutcome::Created(name(k)),
        CreateOutcome::Adopted(k) => CreateOutcome::Adopted(name(k)),
    }
}

fn timed(endpoint: &'static str, started: Instant, status: u16) -> Attempt {
    Attempt {
        endpoint: Some(endpoint),
        http_status: Some(status),
        duration_ms: u64::try_from(started.elapsed().as_millis()).ok(),
    }
}

/// Notes the rounding line's explanation for the audit trail: the accountant sees every correction.
fn audit_rounding(engine: &Engine, held: &Held<'_>, rounding: Option<&mapping::Rounding>) {
    if let Some(r) = rounding {
        steps::audit_event(
            engine,
            held,
            AuditAction::Rounded,
            Attempt::default(),
            None,
            r.explanation.clone(),
        );
    }
}

/// Issue #14: how the document's VAT was decided, when there was a choice (an amount-only refund's VAT, total tax
/// chosen over WooCommerce's per-rate sum), in the audit trail next to the document.
/// Issue #15: each text cut to fit Visma, in the audit next to the document.
fn audit_vat_note(
    engine: &Engine,
    held: &Held<'_>,
    endpoint: &'static str,
    number: &str,
    note: Option<&str>,
    cuts: &[String],
) {
    let vat = note.map(|text| format!("VAT: {text}"));
    let texts = cuts.iter().map(|cut| format!("text: {cut}"));
    for text in vat.into_iter().chain(texts) {
        steps::audit_note(engine, held, Some(endpoint), Some(number), text);
    }
}

/// Issue #5: the lease is fresh right before a document is searched for and created, so no other worker can
/// take the job over between our search and our create (customer matching before it can take long). A lost
/// lease ends the attempt here, before anything is sent.
fn before_create(engine: &Engine, held: &Held<'_>) -> Result<(), JobFailure> {
    engine.keep_lease(held).map_err(JobFailure::from)
}

fn order(engine: &Engine, held: &Held<'_>) -> Result<Completion, JobFailure> {
    let job = &held.claimed.job;
    let order = Order::from_json(job.payload.as_bytes())
        .map_err(|e| JobFailure::permanent(with_causes(&e)))?;
    let invoiced = engine
        .store()
        .lookup_mapping(engine.books(), DocKind::Order, job.woo_id)?;
    if !mapping::should_map(&order, engine.settings()) {
        return Ok(match invoiced {
            // Cancelled after its invoice was posted: credited (settings invoice.on_cancel), or reported.
            Some(m) if mapping::cancellation::is_cancelled(&order) => {
                steps::cancel(engine, held, &order, &m.mapping.visma_number)?
            }
            // Put on hold after its invoice was posted: the accountant must act.
            Some(m) => Completion::EditedAfterPosting {
                visma_number: m.mapping.visma_number,
            },
            None => Completion::Skipped {
                reason: format!(
                    "order status {:?} is not invoiced (settings invoice.statuses)",
                    order.status
                ),
            },
        });
    }
    let mut docs = mapping::map_order(&order, engine.settings())
        .map_err(|e| JobFailure::permanent(with_causes(&e)))?;
    let hash = invoice_hash(&docs.document)?;
    if let Some(found) = invoiced {
        // On record: nothing is posted again, but a payment that was not due then may be now (paid later), and an
        // earlier attempt may have stopped before the release or the payment.
        let invoice = found.mapping.visma_number.clone();
        if let (SalesDocument::SalesOrder(_), Some(payment)) =
            (&docs.document, docs.payment.as_mut())
        {
            // Paid later: the payment is reserved for the sales order on record.
            let customer = super::customers::resolve(engine, &docs.customer_ref, None)?;
            payment.customer = Some(DtoValue { value: customer });
            let (id, key) = (job.woo_id, &docs.key);
            super::sales_orders::pay(engine, held, id, &invoice, key, payment, Prior::MayExist)?;
        }
        if let (SalesDocument::Invoice(_), Some(payment)) = (&docs.document, docs.payment.as_mut())
        {
            if steps::releases(engine) {
                steps::release(engine, held, Releasable::Invoice, &invoice, false)?;
            }
            let customer = super::customers::resolve(engine, &docs.customer_ref, None)?;
            payment.customer = Some(DtoValue { value: customer });
            let owes = order.refunds.is_empty()
                || engine
                    .store()
                    .lookup_mapping(engine.books(), DocKind::Payment, job.woo_id)?
                    .is_some()
                || steps::cap_to_balance(engine, held, &invoice, payment)?;
            if !owes {
                return Ok(on_record(&found, &hash));
            }
            steps::pay(
                engine,
                held,
                job.woo_id,
                &invoice,
                &docs.key,
                payment,
                Prior::MayExist,
            )?;
        }
        return Ok(on_record(&found, &hash));
    }
    let customer = super::customers::resolve(engine, &docs.customer_ref, docs.customer.as_ref())?;
    before_create(engine, held)?;
    let started = Instant::now();
    let outcome = match &mut docs.document {
        SalesDocument::Invoice(dto) => {
            dto.customer_number = Some(DtoValue {
                value: customer.clone(),
            });
            engine
                .visma()
                .create_invoice_once(&docs.key, dto)
                .map_err(|e| JobFailure::visma("customerinvoice.create", &e))?
        }
        SalesDocument::SalesOrder(cmd) => {
            cmd.customer.id = Some(customer.clone());
            let made = engine
                .visma()
                .create_sales_order_once(&customer, &docs.key, cmd)
                .map_err(|e| JobFailure::visma("salesorder.create", &e))?;
            named(made)
        }
    };
    let status = if outcome.was_adopted() { 200 } else { 201 };
    let endpoint = match docs.document {
        SalesDocument::Invoice(_) => "customerinvoice.create",
        SalesDocument::SalesOrder(_) => "salesorder.create",
    };
    let attempt = timed(endpoint, started, status);
    audit_rounding(engine, held, docs.rounding.as_ref());
    audit_vat_note(
        engine,
        held,
        endpoint,
        outcome.number(),
        docs.vat_note.as_deref(),
        &docs.cuts,
    );
    let is_invoice = matches!(docs.document, SalesDocument::Invoice(_));
    if is_invoice && steps::releases(engine) {
        steps::release_made(engine, held, Releasable::Invoice, &outcome)?;
    }
    if let Some(payment) = docs.payment.as_mut() {
        payment.customer = Some(DtoValue {
            value: customer.clone(),
        });
        // A document this attempt created has no payment yet, so the search before the payment is skipped (one
        // call less per paid order); an adopted one may carry an earlier attempt's payment.
        let prior = if outcome.was_adopted() {
            Prior::MayExist
        } else {
            Prior::CannotExist
        };
        let (id, number, key) = (job.woo_id, outcome.number(), &docs.key);
        if is_invoice {
            steps::pay(engine, held, id, number, key, payment, prior)?;
        } else {
            super::sales_orders::pay(engine, held, id, number, key, payment, prior)?;
        }
    }
    Ok(completion(engine, job, outcome, &docs.key, hash, attempt))
}

#[derive(Deserialize)]
struct RefundEnvelope {
    order: serde_json::Value,
    refund: serde_json::Value,
}

fn refund(engine: &Engine, held: &Held<'_>) -> Result<Completion, JobFailure> {
    let job = &held.claimed.job;
    let env: RefundEnvelope = serde_json::from_str(&job.payload)
        .map_err(|e| JobFailure::permanent(format!("refund payload: {e}")))?;
    let order = serde_json::from_value::<Order>(env.order)
        .map_err(|e| JobFailure::permanent(format!("refund's order: {e}")))?;
    let refund = serde_json::from_value::<Refund>(env.refund)
        .map_err(|e| JobFailure::permanent(format!("refund: {e}")))?;
    let order_id = u64::try_from(order.id).unwrap_or(0);
    let Some(invoice) = engine
        .store()
        .lookup_mapping(engine.books(), DocKind::Order, order_id)?
    else {
        // The queue only hands out a refund once its order is on record; this guards a replay by hand.
        return Err(JobFailure::later(format!(
            "waiting for order {} to be posted",
            order.id
        )));
    };
    let invoice = invoice.mapping.visma_number;
    if super::sales_orders::returns_goods(engine, &refund) {
        return return_order(engine, held, &order, &refund);
    }
    let mut note = mapping::map_refund(&refund, &order, engine.settings())
        .map_err(|e| JobFailure::permanent(with_causes(&e)))?;
    let hash = document_hash(&note.credit_note)?;
    let customer = super::customers::resolve(engine, &note.customer_ref, None)?;
    note.set_customer_number(&customer);
    let settle = |number: &str| -> Result<(), JobFailure> {
        if steps::releases(engine) {
            steps::release(engine, held, Releasable::CreditNote, number, false)?;
        }
        steps::settle(
            engine,
            held,
            &order,
            steps::Credit::Refund(job.woo_id),
            &invoice,
            &note,
            number,
            &customer,
        )
    };
    if let Some(found) =
        engine
            .store()
            .lookup_mapping(engine.books(), DocKind::Refund, job.woo_id)?
    {
        settle(&found.mapping.visma_number)?;
        return Ok(on_record(&found, &hash));
    }
    before_create(engine, held)?;
    let started = Instant::now();
    let outcome = engine
        .visma()
        .create_credit_note_once(&note.key, &note.credit_note)
        .map_err(|e| JobFailure::visma("customercreditnote.create", &e))?;
    audit_rounding(engine, held, note.rounding.as_ref());
    audit_vat_note(
        engine,
        held,
        "customercreditnote.create",
        outcome.number(),
        note.vat_note.as_deref(),
        &note.cuts,
    );
    let status = if outcome.was_adopted() { 200 } else { 201 };
    let attempt = timed("customercreditnote.create", started, status);
    settle(outcome.number())?;
    Ok(completion(engine, job, outcome, &note.key, hash, attempt))
}

/// Issue #17, `sales_order.refunds = "return_order"`: the refund as a return order, once. Visma credits the
/// customer when the return is received and invoiced, so nothing is settled here.
fn return_order(
    engine: &Engine,
    held: &Held<'_>,
    order: &Order,
    refund: &Refund,
) -> Result<Completion, JobFailure> {
    let job = &held.claimed.job;
    let mut doc = mapping::sales_order::map_return_order(refund, order, engine.settings())
        .map_err(|e| JobFailure::permanent(with_causes(&e)))?;
    let hash = document_hash(&doc.command)?;
    if let Some(found) =
        engine
            .store()
            .lookup_mapping(engine.books(), DocKind::Refund, job.woo_id)?
    {
        return Ok(on_record(&found, &hash));
    }
    let customer = super::customers::resolve(engine, &doc.customer_ref, None)?;
    doc.command.customer.id = Some(customer.clone());
    before_create(engine, held)?;
    let started = Instant::now();
    let made = engine
        .visma()
        .create_sales_order_once(&customer, &doc.key, &doc.command)
        .map_err(|e| JobFailure::visma("salesorder.create", &e))?;
    let outcome = named(made);
    let status = if outcome.was_adopted() { 200 } else { 201 };
    steps::audit_note(
        engine,
        held,
        Some("salesorder.create"),
        Some(outcome.number()),
        format!(
            "refund {} is return order {}: Visma credits the customer when the return is invoiced",
            refund.id,
            outcome.number()
        ),
    );
    let attempt = timed("salesorder.create", started, status);
    Ok(completion(engine, job, outcome, &doc.key, hash, attempt))
}

fn customer(engine: &Engine, held: &Held<'_>) -> Result<Completion, JobFailure> {
    let job = &held.claimed.job;
    let customer = Customer::from_json(job.payload.as_bytes())
        .map_err(|e| JobFailure::permanent(with_causes(&e)))?;
    let (cref, party) = mapping::map_customer(&customer, engine.settings())
        .map_err(|e| JobFailure::permanent(with_causes(&e)))?;
    let hash = match &party {
        mapping::Party::Customer(dto) => document_hash(dto)?,
        mapping::Party::Supplier(dto) => document_hash(dto)?,
    };
    let known = engine
        .store()
        .lookup_mapping(engine.books(), DocKind::Customer, job.woo_id)?;
    if let Some(found) = &known {
        if found.mapping.payload_hash == hash {
            return Ok(Completion::AlreadyPosted {
                visma_number: found.mapping.visma_number.clone(),
            });
        }
    }
    // Issue #15: a WooCommerce customer already in Visma is updated in place, whatever changed, e-mail included:
    // it is the same person (the same WooCommerce customer id), so no second Visma customer is made. Orders
    // with the new e-mail then find the same Visma customer.
    let email_is_new = match &known {
        Some(found) => engine
            .store()
            .customer_by_email(engine.books(), &cref.email_key)?
            .is_none_or(|n| n != found.mapping.visma_number),
        None => false,
    };
    let cref = match &known {
        Some(found) => mapping::CustomerRef {
            number: Some(found.mapping.visma_number.clone()),
            ..cref
        },
        None => cref,
    };
    let started = Instant::now();
    let (outcome, endpoint) = super::customers::upsert(engine, &cref, &party)?;
    for cut in &cref.cuts {
        let text = format!("text: {cut}");
        steps::audit_note(engine, held, Some(endpoint), Some(outcome.number()), text);
    }
    if let Some(found) = known {
        // Customers, unlike invoices, follow WooCommerce: the update was sent; the id map keeps its first row.
        let number = found.mapping.visma_number;
        let what = if email_is_new {
            format!("customer {number} updated in Visma, its e-mail too: orders with the new e-mail go to it")
        } else {
            format!("customer {number} updated in Visma")
        };
        steps::audit_note(engine, held, Some(endpoint), Some(&number), what);
        return Ok(Completion::AlreadyPosted {
            visma_number: number,
        });
    }
    let key = format!("woo:{}:customer:{}", job.store_id, job.woo_id);
    Ok(completion(
        engine,
        job,
        outcome,
        &key,
        hash,
        timed(endpoint, started, 200),
    ))
}
