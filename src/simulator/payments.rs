//! Customer payments (`POST /v1/customerPayment` with `PaymentUpdateDto`, `GET` by number and list), stored as
//! `PaymentDto`. The customer, payment method, cash account (a cash GL account), currency and every invoice a
//! payment line names must exist.
//! Strict as Visma's AR (issue #14): a payment line may only name a released document (status Open) and no
//! more than its balance; release (`POST …/{number}/action/release`) applies the lines, lowering each
//! document's balance (Closed at zero). Types: `Payment`, `Refund` (pays out a released credit note) and
//! `CreditNote` (applies the released credit note `referenceNumber` to invoices; it takes the credit note's number).
//! Must not: touch balances before release.

use super::customers;
use super::http::{Query, Reply};
use super::listing;
use super::routes::Ctx;
use super::seed;
use super::totals::{minor_to_json, Dec};
use serde_json::{json, Value};

/// `GET /v1/customerPayment`.
pub fn list(ctx: &mut Ctx<'_>, q: &Query) -> Reply {
    let since = match listing::date_filter(q, "lastModifiedDateTime") {
        Ok(s) => s,
        Err(m) => return ctx.error(400, &m),
    };
    let (number, size) = match listing::paging(q) {
        Ok(p) => p,
        Err(m) => return ctx.error(400, &m),
    };
    let filters: [(&str, &[&str]); 4] = [
        ("customer", &["customer", "number"]),
        ("status", &["status"]),
        ("paymentRef", &["paymentRef"]),
        ("paymentType", &["type"]),
    ];
    // With `invoiceRefNbr` (the engine's search before each payment) only that document's payments can match.
    let store = &mut ctx.state.store;
    store.payment_index.sync(&store.payments);
    let payments = &store.payments;
    let candidates: Box<dyn Iterator<Item = &Value>> = match q.get("invoiceRefNbr") {
        Some(refnbr) => Box::new(
            store
                .payment_index
                .by_applied(refnbr)
                .iter()
                .filter_map(|&i| payments.get(i)),
        ),
        None => Box::new(payments.iter()),
    };
    let items: Vec<Value> = candidates
        .filter(|p| since.is_none_or(|s| s.matches(p, "lastModifiedDateTime")))
        .filter(|p| {
            filters.iter().all(|(name, path)| {
                q.get(name)
                    .is_none_or(|want| listing::field_is(p, path, want))
            })
        })
        // SPEC25 `invoiceRefNbr`: payments with a line applied to that document (the index's answer, checked).
        .filter(|p| {
            q.get("invoiceRefNbr").is_none_or(|want| {
                p.get("paymentLines")
                    .and_then(Value::as_array)
                    .is_some_and(|lines| {
                        lines
                            .iter()
                            .any(|l| listing::field_is(l, &["refNbr"], want))
                    })
            })
        })
        .cloned()
        .collect();
    Reply::ok(Value::Array(listing::page(items, number, size)))
}

/// `GET /v1/customerPayment/{number}`.
pub fn get(ctx: &mut Ctx<'_>, number: &str) -> Reply {
    let store = &mut ctx.state.store;
    store.payment_index.sync(&store.payments);
    let found = store
        .payment_index
        .by_number(number)
        .first()
        .and_then(|&i| store.payments.get(i))
        .cloned();
    match found {
        Some(p) => Reply::ok(p),
        None => ctx.not_found("Payment", number),
    }
}

/// `POST /v1/customerPayment`.
pub fn create(ctx: &mut Ctx<'_>, body: &[u8]) -> Reply {
    let action = "Error inserting the payment.";
    let plain = match ctx.erp_body(body, "PaymentUpdateDto", action) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let text = |k: &str| {
        plain
            .get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let result = (|| -> Result<Value, String> {
        let customer_number = text("customer").ok_or("Error: 'Customer' cannot be empty.")?;
        let customer = customers::find(&ctx.state.store.customers, customer_number).ok_or(
            format!("Error: Customer '{customer_number}' does not exist."),
        )?;
        let kind = text("type").unwrap_or("Payment");
        if !matches!(kind, "Payment" | "Refund" | "CreditNote") {
            return Err(format!(
                "Error: Type '{kind}' is not supported by this endpoint."
            ));
        }
        let mut doc = json!({
            "type": kind,
            "status": if plain.get("hold").and_then(Value::as_bool).unwrap_or(false) { "Hold" } else { "Balanced" },
            "hold": plain.get("hold").and_then(Value::as_bool).unwrap_or(false),
            "customer": {"number": customer.get("number"), "name": customer.get("name")},
            "currency": text("currency").unwrap_or(&ctx.config.company.base_currency),
            "applicationDate": text("applicationDate").map_or_else(|| ctx.now.format("%Y-%m-%dT00:00:00").to_string(), str::to_string),
            "lastModifiedDateTime": ctx.stamp(),
        });
        if let Some(c) = text("currency") {
            if !ctx.config.company.has_currency(c) {
                return Err(format!("Error: Currency '{c}' does not exist."));
            }
        }
        if let Some(pm) = text("paymentMethod") {
            let d = ctx
                .config
                .company
                .payment_method(pm)
                .ok_or(format!("Error: Payment method '{pm}' does not exist."))?;
            doc["paymentMethod"] = json!({"id": pm, "description": d});
        }
        if let Some(ca) = text("cashAccount") {
            match ctx.config.company.account(ca) {
                Some(a) if a.cash => doc["cashAccount"] = json!(ca),
                _ => return Err(format!("Error: Cash account '{ca}' does not exist.")),
            }
        }
        for k in ["paymentRef", "invoiceText", "applicationPeriod", "branch"] {
            if let Some(v) = text(k) {
                doc[k] = json!(v);
            }
        }
        let decimals = seed::CURRENCY_DECIMALS;
        let amount = plain
            .get("paymentAmount")
            .and_then(Dec::from_json)
            .unwrap_or(Dec::ZERO)
            .to_minor(decimals);
        let mut applied = 0_i64;
        let mut lines = Vec::new();
        for (i, line) in plain
            .get("paymentLines")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let refnbr = line.get("refNbr").and_then(Value::as_str).unwrap_or("");
            let doc_type = line
                .get("documentType")
                .and_then(Value::as_str)
                .unwrap_or("Invoice");
            let store = &mut ctx.state.store;
            let (target, index) = match doc_type {
                "CreditNote" => (&store.credit_notes, &mut store.credit_note_index),
                _ => (&store.invoices, &mut store.invoice_index),
            };
            index.sync(target);
            let found = index.by_number(refnbr).first().and_then(|&i| target.get(i));
            let found = found.ok_or(format!(
                "Error: Line {}: Document '{refnbr}' does not exist.",
                i + 1
            ))?;
            if !listing::field_is(found, &["status"], "Open") {
                return Err(format!(
                    "Error: Line {}: Document '{refnbr}' is not released and cannot be paid.",
                    i + 1
                ));
            }
            let paid = line
                .get("amountPaid")
                .and_then(Dec::from_json)
                .unwrap_or(Dec::ZERO)
                .to_minor(decimals);
            let balance = found
                .get("balance")
                .and_then(Dec::from_json)
                .unwrap_or(Dec::ZERO)
                .to_minor(decimals);
            if paid <= 0 || paid > balance {
                return Err(format!(
                    "Error: Line {}: Amount paid must be greater than zero and cannot exceed the balance of document '{refnbr}'.",
                    i + 1
                ));
            }
            applied = applied.saturating_add(paid);
            lines.push(json!({"documentType": doc_type, "refNbr": refnbr, "amountPaid": minor_to_json(paid, decimals),
                              "balance": found.get("balance"), "currency": found.get("currencyId")}));
        }
        let (orders, reserved) = reserve_for_orders(ctx, &plain, customer_number, decimals)?;
        if applied.saturating_add(reserved) > amount {
            return Err(
                "Error: The amount applied to documents cannot exceed the payment amount.".into(),
            );
        }
        if !orders.is_empty() {
            doc["ordersToApply"] = Value::Array(orders);
            doc["appliedToOrders"] = minor_to_json(reserved, decimals);
        }
        let applied = applied.saturating_add(reserved);
        if kind == "CreditNote" {
            let note =
                text("referenceNumber").ok_or("Error: 'Reference number' cannot be empty.")?;
            let store = &mut ctx.state.store;
            store.credit_note_index.sync(&store.credit_notes);
            let found = store
                .credit_note_index
                .by_number(note)
                .first()
                .and_then(|&i| store.credit_notes.get(i))
                .ok_or(format!("Error: Credit note '{note}' does not exist."))?;
            if !listing::field_is(found, &["status"], "Open") {
                return Err(format!("Error: Credit note '{note}' is not released."));
            }
            doc["refNbr"] = json!(note);
        }
        doc["paymentAmount"] = minor_to_json(amount, decimals);
        doc["paymentAmountInCurrency"] = minor_to_json(amount, decimals);
        doc["appliedToDocuments"] = minor_to_json(applied, decimals);
        doc["availableBalance"] = minor_to_json(amount.saturating_sub(applied), decimals);
        doc["availableBalanceInCurrency"] = minor_to_json(amount.saturating_sub(applied), decimals);
        doc["paymentLines"] = Value::Array(lines);
        Ok(doc)
    })();
    let mut doc = match result {
        Ok(d) => d,
        Err(m) => return ctx.error(400, &format!("{action} {m}")),
    };
    let store = &mut ctx.state.store;
    store.payment_index.sync(&store.payments);
    if let Some(number) = doc
        .get("refNbr")
        .and_then(Value::as_str)
        .map(str::to_string)
    {
        if !store.payment_index.by_number(&number).is_empty() {
            return ctx.error(
                400,
                &format!(
                    "{action} Error: Credit note '{number}' already has an application document."
                ),
            );
        }
        store.payments.push(doc);
        return Reply::created(format!("{}/v1/customerPayment/{number}", ctx.base));
    }
    let number = loop {
        let n = store.next("payment", 300_001).to_string();
        if store.payment_index.by_number(&n).is_empty() {
            break n;
        }
    };
    doc["refNbr"] = json!(number);
    store.payments.push(doc);
    Reply::created(format!("{}/v1/customerPayment/{number}", ctx.base))
}

/// A payment's `ordersToApply` (issue #17): each names an existing, open sales order of the payment's customer, and
/// reserves no more than the order's total less what other payments reserved for it. Returns the stored
/// `OrderToApplyDto`s and the amount reserved.
fn reserve_for_orders(
    ctx: &Ctx<'_>,
    plain: &serde_json::Map<String, Value>,
    customer: &str,
    decimals: u32,
) -> Result<(Vec<Value>, i64), String> {
    let store = &ctx.state.store;
    let mut out = Vec::new();
    let mut total = 0_i64;
    for (i, line) in plain
        .get("ordersToApply")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let text = |k: &str| line.get(k).and_then(Value::as_str).unwrap_or("").trim();
        let (kind, number) = (text("orderType"), text("orderNumber"));
        let order = store
            .sales_orders
            .iter()
            .find(|o| {
                listing::field_is(o, &["type"], kind) && listing::field_is(o, &["orderId"], number)
            })
            .ok_or(format!(
                "Error: Orders to apply, line {}: Order '{kind} {number}' does not exist.",
                i + 1
            ))?;
        if !listing::field_is(order, &["customer", "id"], customer) {
            return Err(format!(
                "Error: Orders to apply, line {}: Order '{kind} {number}' belongs to another customer.",
                i + 1
            ));
        }
        if order.pointer("/status/cancelled").and_then(Value::as_bool) == Some(true) {
            return Err(format!(
                "Error: Orders to apply, line {}: Order '{kind} {number}' is cancelled.",
                i + 1
            ));
        }
        let minor = |v: Option<&Value>| {
            v.and_then(Dec::from_json)
                .unwrap_or(Dec::ZERO)
                .to_minor(decimals)
        };
        let already: i64 = store
            .payments
            .iter()
            .flat_map(|p| {
                p.get("ordersToApply")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
            })
            .filter(|o| {
                listing::field_is(o, &["orderType"], kind)
                    && listing::field_is(o, &["orderNo"], number)
            })
            .map(|o| minor(o.get("appliedToOrder")))
            .sum();
        let amount = minor(line.get("appliedToOrder"));
        let open = minor(order.pointer("/totals/orderTotal")).saturating_sub(already);
        if amount <= 0 || amount > open {
            return Err(format!(
                "Error: Orders to apply, line {}: The amount applied to order '{kind} {number}' must be greater \
                 than zero and cannot exceed its unpaid balance.",
                i + 1
            ));
        }
        total = total.saturating_add(amount);
        out.push(json!({"orderType": kind, "orderNo": number, "status": order.pointer("/status/description"),
                        "appliedToOrder": minor_to_json(amount, decimals), "transferredToInvoice": 0}));
    }
    Ok((out, total))
}

/// `POST /v1/customerPayment/{number}/action/release`: applies the payment's lines to the documents' balances.
pub fn release(ctx: &mut Ctx<'_>, number: &str) -> Reply {
    let stamp = ctx.stamp();
    let decimals = seed::CURRENCY_DECIMALS;
    let store = &mut ctx.state.store;
    store.payment_index.sync(&store.payments);
    let Some(&at) = store.payment_index.by_number(number).first() else {
        return ctx.not_found("Payment", number);
    };
    let payment = store.payments[at].clone();
    let status = payment.get("status").and_then(Value::as_str).unwrap_or("");
    if !matches!(status, "Balanced" | "Hold") {
        return ctx.error(
            400,
            &format!("Error: Payment '{number}' has status {status} and cannot be released."),
        );
    }
    let minor = |v: Option<&Value>| {
        v.and_then(Dec::from_json)
            .unwrap_or(Dec::ZERO)
            .to_minor(decimals)
    };
    let lines: Vec<(String, String, i64)> = payment
        .get("paymentLines")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|l| {
            let t = l
                .get("documentType")
                .and_then(Value::as_str)
                .unwrap_or("Invoice");
            let r = l.get("refNbr").and_then(Value::as_str).unwrap_or("");
            (t.to_string(), r.to_string(), minor(l.get("amountPaid")))
        })
        .collect();
    // Check every line against today's balances before changing any (release is all or nothing).
    for (i, (t, r, paid)) in lines.iter().enumerate() {
        let (docs, index) = if t == "CreditNote" {
            (&mut store.credit_notes, &mut store.credit_note_index)
        } else {
            (&mut store.invoices, &mut store.invoice_index)
        };
        let doc = super::doc_index::find_mut(docs, index, r).map(|d| &*d);
        let ok = doc.is_some_and(|d| {
            listing::field_is(d, &["status"], "Open") && *paid <= minor(d.get("balance"))
        });
        if !ok {
            return ctx.error(
                400,
                &format!("Error: Line {}: Document '{r}' is not open or its balance is lower than the amount paid.", i + 1),
            );
        }
    }
    let mut applied = 0_i64;
    // Settling edits balances and status in place: numbers and positions stay, so the indexes stay fresh (marking
    // them stale made every payment rebuild them, quadratic over a long run).
    for (t, r, paid) in &lines {
        applied = applied.saturating_add(*paid);
        let (docs, index) = if t == "CreditNote" {
            (&mut store.credit_notes, &mut store.credit_note_index)
        } else {
            (&mut store.invoices, &mut store.invoice_index)
        };
        if let Some(d) = super::doc_index::find_mut(docs, index, r) {
            settle(d, *paid, decimals, &stamp);
        }
    }
    // A credit note applied to invoices is used up by what it applied.
    if listing::field_is(&payment, &["type"], "CreditNote") {
        let (docs, index) = (&mut store.credit_notes, &mut store.credit_note_index);
        if let Some(d) = super::doc_index::find_mut(docs, index, number) {
            settle(d, applied, decimals, &stamp);
        }
    }
    let p = &mut store.payments[at];
    let available = minor(p.get("availableBalance"));
    // A payment reserved for sales orders stays open until Visma transfers it to the orders' invoices.
    let reserved = p.get("ordersToApply").is_some();
    p["status"] = json!(if available == 0 && !reserved {
        "Closed"
    } else {
        "Open"
    });
    p["hold"] = json!(false);
    p["lastModifiedDateTime"] = json!(stamp);
    let action_id = super::http::guid(&mut ctx.state.rng);
    let result = if ctx.config.queued_release {
        "Queued"
    } else {
        "Done"
    };
    let mut r =
        Reply::ok(json!({"actionId": action_id, "actionResult": result, "errorInfo": null}));
    r.mutated = true;
    r
}

/// Lowers a released document's balance by `paid`; Closed at zero.
fn settle(doc: &mut Value, paid: i64, decimals: u32, stamp: &str) {
    let balance = doc
        .get("balance")
        .and_then(Dec::from_json)
        .unwrap_or(Dec::ZERO)
        .to_minor(decimals)
        .saturating_sub(paid);
    doc["balance"] = minor_to_json(balance, decimals);
    if doc.get("balanceInCurrency").is_some() {
        doc["balanceInCurrency"] = minor_to_json(balance, decimals);
    }
    if balance == 0 {
        doc["status"] = json!("Closed");
    }
    doc["lastModifiedDateTime"] = json!(stamp);
}
