//! Customer payments (`POST /v1/customerPayment` with `PaymentUpdateDto`, `GET` by number and list), stored as
//! `PaymentDto`. The customer, payment method, cash account (a cash GL account), currency and every invoice a
//! payment line names must exist.
//! Must not: touch invoice balances (application happens on release, which is not simulated).

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
    let filters: [(&str, &[&str]); 3] = [
        ("customer", &["customer", "number"]),
        ("status", &["status"]),
        ("paymentRef", &["paymentRef"]),
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
        let mut doc = json!({
            "type": text("type").unwrap_or("Payment"),
            "status": if plain.get("hold").and_then(Value::as_bool).unwrap_or(false) { "Hold" } else { "Balanced" },
            "hold": plain.get("hold").and_then(Value::as_bool).unwrap_or(false),
            "customer": {"number": customer.get("number"), "name": customer.get("name")},
            "currency": text("currency").unwrap_or(seed::BASE_CURRENCY),
            "applicationDate": text("applicationDate").map_or_else(|| ctx.now.format("%Y-%m-%dT00:00:00").to_string(), str::to_string),
            "lastModifiedDateTime": ctx.stamp(),
        });
        if let Some(c) = text("currency") {
            if !seed::has_currency(c) {
                return Err(format!("Error: Currency '{c}' does not exist."));
            }
        }
        if let Some(pm) = text("paymentMethod") {
            let d = seed::payment_method(pm)
                .ok_or(format!("Error: Payment method '{pm}' does not exist."))?;
            doc["paymentMethod"] = json!({"id": pm, "description": d});
        }
        if let Some(ca) = text("cashAccount") {
            match seed::account(ca) {
                Some((_, _, _, true)) => doc["cashAccount"] = json!(ca),
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
            let paid = line
                .get("amountPaid")
                .and_then(Dec::from_json)
                .unwrap_or(Dec::ZERO)
                .to_minor(decimals);
            applied = applied.saturating_add(paid);
            lines.push(json!({"documentType": doc_type, "refNbr": refnbr, "amountPaid": minor_to_json(paid, decimals),
                              "balance": found.get("balance"), "currency": found.get("currencyId")}));
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
