//! Builds the stored AR document (`CustomerInvoiceDto` / `CustomerCreditNoteDto`, SPEC25 GET shapes) from a
//! validated, unwrapped update DTO: header references checked against the seeded company, lines checked (account,
//! subaccount segment values, VAT category, inventory), totals from [`super::totals`]. No state is changed here.

use super::company::Company;
use super::customers;
use super::documents::Kind;
use super::routes::Ctx;
use super::seed;
use super::totals::{self, minor_to_json, Dec, LineInput};
use serde_json::{json, Map, Value};

/// The GET DTO of document `number` built from `plain`.
///
/// # Errors
/// A Visma-style message naming what does not exist or is not allowed.
pub(super) fn build(
    ctx: &Ctx<'_>,
    kind: Kind,
    plain: &Map<String, Value>,
    number: &str,
) -> Result<Value, String> {
    let company = ctx.config.company.clone();
    let company = company.as_ref();
    let text = |k: &str| {
        plain
            .get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let customer_number = text("customerNumber").ok_or("Error: 'Customer' cannot be empty.")?;
    let customer = customers::find(&ctx.state.store.customers, customer_number).ok_or(format!(
        "Error: Customer '{customer_number}' does not exist."
    ))?;
    let customer_status = customer
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("Active");
    if matches!(customer_status, "OnHold" | "Inactive") {
        return Err(format!(
            "Error: The customer status is '{customer_status}'."
        ));
    }
    let currency = text("currencyId")
        .or(customer.get("currencyId").and_then(Value::as_str))
        .unwrap_or(&company.base_currency)
        .to_ascii_uppercase();
    if !company.has_currency(&currency) {
        return Err(format!("Error: Currency '{currency}' does not exist."));
    }
    let terms = text("creditTermsId").map(str::to_string).or_else(|| {
        customer
            .pointer("/creditTerms/id")
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    let terms_days = match &terms {
        Some(t) => {
            company
                .credit_terms(t)
                .ok_or(format!("Error: Credit terms '{t}' do not exist."))?
                .days
        }
        None => 0,
    };
    let doc_date = match text("documentDate") {
        Some(d) => super::schema::parse_date_time(d)
            .ok_or(format!("Error: Invalid document date '{d}'."))?,
        None => ctx
            .now
            .naive_utc()
            .date()
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default(),
    };
    let due = match text("documentDueDate") {
        Some(d) => {
            super::schema::parse_date_time(d).ok_or(format!("Error: Invalid due date '{d}'."))?
        }
        None => doc_date + chrono::Duration::days(i64::from(terms_days)),
    };
    let fmt = |d: chrono::NaiveDateTime| d.format("%Y-%m-%dT%H:%M:%S").to_string();
    let stamp = ctx.stamp();
    let hold = plain.get("hold").and_then(Value::as_bool).unwrap_or(false);
    let mut doc = json!({
        "documentType": match kind { Kind::Invoice => "Invoice", Kind::CreditNote => "CreditNote" },
        "referenceNumber": number,
        "status": if hold { "Hold" } else { "Balanced" },
        "hold": hold,
        "customer": {"number": customer.get("number"), "name": customer.get("name")},
        "documentDate": fmt(doc_date),
        "documentDueDate": fmt(due),
        "postPeriod": doc_date.format("%m%Y").to_string(),
        "financialPeriod": doc_date.format("%Y%m").to_string(),
        "currencyId": currency,
        "exchangeRate": 1.0,
        "lastModifiedDateTime": stamp,
        "createdDateTime": stamp,
    });
    if let Some(t) = &terms {
        doc["creditTerms"] =
            json!({"id": t, "description": company.credit_terms(t).map(|c| c.description.clone())});
    }
    for k in [
        "customerRefNumber",
        "externalReference",
        "paymentReference",
        "invoiceText",
        "note",
        "cashAccount",
        "accountingCostRef",
        "originatorDocRef",
        "contractDocRef",
    ] {
        if let Some(v) = text(k) {
            doc[k] = json!(v);
        }
    }
    for k in [
        "dontPrint",
        "dontEmail",
        "sendToAutoInvoice",
        "revoked",
        "excludeDebtCollection",
    ] {
        if let Some(v) = plain.get(k).and_then(Value::as_bool) {
            doc[k] = json!(v);
        }
    }
    if let Some(pm) = text("paymentMethodId") {
        let d = company
            .payment_method(pm)
            .ok_or(format!("Error: Payment method '{pm}' does not exist."))?;
        doc["paymentMethod"] = json!({"id": pm, "description": d});
    }
    if let Some(b) = text("branchNumber") {
        let name = company
            .branch(b)
            .ok_or(format!("Error: Branch '{b}' does not exist."))?;
        doc["branchNumber"] = json!({"number": b, "name": name});
    }
    let lines_in = plain
        .get(kind.lines_field())
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut inputs = Vec::new();
    let mut lines_out = Vec::new();
    for (i, line) in lines_in.iter().enumerate() {
        let (input, out) = line_of(company, i + 1, line)?;
        inputs.push(input);
        lines_out.push(out);
    }
    let decimals = seed::CURRENCY_DECIMALS;
    let mut t = totals::compute(&inputs, decimals, |id| company.vat_rate(id))
        .map_err(|e| format!("Error: {e}."))?;
    apply_tax_overrides(company, plain, &mut t, decimals)?;
    for ((out, amount), discount) in lines_out
        .iter_mut()
        .zip(&t.line_minor)
        .zip(&t.line_discount_minor)
    {
        out["amount"] = minor_to_json(*amount, decimals);
        out["amountInCurrency"] = minor_to_json(*amount, decimals);
        out["discountAmount"] = minor_to_json(*discount, decimals);
        out["discountAmountInCurrency"] = minor_to_json(*discount, decimals);
    }
    let tax_details: Vec<Value> = t
        .tax_lines
        .iter()
        .enumerate()
        .map(|(i, tax)| {
            let rate = company.vat_rate(&tax.vat_category).map_or(0, |r| r.percent.to_minor(0));
            let vat_id = company.vat_id_of(&tax.vat_category).unwrap_or(&tax.vat_category);
            json!({"taxId": vat_id, "recordId": i + 1,
                   "vatId": {"number": vat_id, "description": company.vat_description(&tax.vat_category)},
                   "vatRate": minor_to_json(rate, 0), "taxableAmount": minor_to_json(tax.taxable_minor, decimals),
                   "vatAmount": minor_to_json(tax.vat_minor, decimals)})
        })
        .collect();
    for (field, minor) in [
        ("amount", t.amount),
        ("balance", t.amount),
        ("detailTotal", t.detail_total),
        ("discountTotal", t.discount_total),
        ("vatTaxableTotal", t.vat_taxable_total),
        ("vatExemptTotal", t.vat_exempt_total),
        ("vatTotal", t.vat_total),
        ("cashDiscount", 0),
    ] {
        doc[field] = minor_to_json(minor, decimals);
        doc[format!("{field}InCurrency")] = minor_to_json(minor, decimals);
    }
    doc["roundingDiff"] = minor_to_json(0, decimals);
    doc["taxDetails"] = Value::Array(tax_details);
    doc[kind.lines_field()] = Value::Array(lines_out);
    Ok(doc)
}

/// `taxDetailLines` (taxId, taxableAmount, vatAmount) replace the computed VAT of the category that holds the VAT
/// id, so Visma books the VAT the sender charged instead of recomputing it (issue #14). An unknown VAT id, or one
/// whose category no line uses, is refused as Visma refuses unknown ids.
fn apply_tax_overrides(
    company: &Company,
    plain: &Map<String, Value>,
    t: &mut totals::Totals,
    decimals: u32,
) -> Result<(), String> {
    let overrides = plain
        .get("taxDetailLines")
        .or(plain.get("taxDetails"))
        .and_then(Value::as_array);
    for o in overrides.into_iter().flatten() {
        let Some(id) = o.get("taxId").and_then(Value::as_str) else {
            return Err("Error: 'VAT ID' cannot be empty.".into());
        };
        let category = company.category_of_vat_id(id).ok_or(format!(
            "Error: VAT ID '{id}' cannot be found in the system."
        ))?;
        let Some(vat) = o.get("vatAmount").and_then(Dec::from_json) else {
            continue;
        };
        let line = t
            .tax_lines
            .iter_mut()
            .find(|l| l.vat_category == category)
            .ok_or(format!(
                "Error: VAT ID '{id}' is not used by any line of the document."
            ))?;
        line.vat_minor = vat.to_minor(decimals);
    }
    t.vat_total = t
        .tax_lines
        .iter()
        .fold(0_i64, |acc, l| acc.saturating_add(l.vat_minor));
    t.amount = t.detail_total.saturating_add(t.vat_total);
    Ok(())
}

/// One plain update line → the totals input and the GET line (amounts filled in later).
fn line_of(company: &Company, n: usize, line: &Value) -> Result<(LineInput, Value), String> {
    let text = |k: &str| {
        line.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let dec = |k: &str| line.get(k).and_then(Dec::from_json);
    if let Some(op) = text("operation") {
        if op != "Insert" {
            return Err(format!(
                "Error: Line {n}: operation '{op}' is not possible on a new document."
            ));
        }
    }
    let line_number = line
        .get("lineNumber")
        .and_then(Value::as_i64)
        .unwrap_or(i64::try_from(n).unwrap_or(0));
    let mut out = json!({"lineNumber": line_number});
    if let Some(item) = text("inventoryNumber") {
        if !company.has_inventory(item) {
            return Err(format!(
                "Error: Line {n}: Inventory item '{item}' does not exist."
            ));
        }
        out["inventoryNumber"] = json!(item);
    }
    let account = text("accountNumber").unwrap_or(company.default_sales_account());
    let found = company.account(account).ok_or(format!(
        "Error: Line {n}: Account '{account}' does not exist."
    ))?;
    let (cd, description, kind) = (&found.id, &found.description, &found.kind);
    out["account"] =
        json!({"type": kind, "active": true, "number": cd, "description": description});
    if let Some(segments) = line.get("subaccount").and_then(Value::as_array) {
        let mut values = Vec::new();
        for s in segments {
            let id = s.get("segmentId").and_then(Value::as_i64).unwrap_or(0);
            let v = s.get("segmentValue").and_then(Value::as_str).unwrap_or("");
            company.segment_value(id, v).ok_or_else(|| {
                let name = company.segment_name(id).unwrap_or("Segment");
                format!("Error: Line {n}: An error occurred during processing of the field Subaccount : Error: {name} of Subaccount do not exist.")
            })?;
            values.push((id, v.to_string()));
        }
        out["subaccount"] = seed::subaccount_json(company, &values);
    }
    let vat = text("vatCodeId").map(str::to_string);
    if let Some(v) = &vat {
        // Visma's own words for an unknown category (seen from a real company, issue #13).
        let d = company.vat_description(v).ok_or(format!(
            "Error: Line {n}: 'VAT category' cannot be found in the system."
        ))?;
        out["vatCode"] = json!({"id": v, "description": d});
    }
    for k in ["description", "uom", "note", "discountCode", "deferralCode"] {
        if let Some(v) = text(k) {
            out[k] = json!(v);
        }
    }
    let quantity = dec("quantity").unwrap_or(Dec::ZERO);
    let unit_price = dec("unitPriceInCurrency").unwrap_or(Dec::ZERO);
    out["quantity"] = line.get("quantity").cloned().unwrap_or(json!(0.0));
    out["unitPrice"] = line
        .get("unitPriceInCurrency")
        .cloned()
        .unwrap_or(json!(0.0));
    out["unitPriceInCurrency"] = out["unitPrice"].clone();
    if let Some(p) = line.get("discountPercent").filter(|v| v.is_number()) {
        out["discountPercent"] = p.clone();
    }
    if let Some(m) = line.get("manualAmountInCurrency").filter(|v| v.is_number()) {
        out["manualAmount"] = m.clone();
        out["manualAmountInCurrency"] = m.clone();
    }
    out["manualDiscount"] = json!(line
        .get("manualDiscount")
        .and_then(Value::as_bool)
        .unwrap_or(false));
    let input = LineInput {
        quantity,
        unit_price,
        manual_amount: dec("manualAmountInCurrency"),
        discount_percent: dec("discountPercent"),
        discount_amount: dec("discountAmountInCurrency"),
        vat_category: vat,
    };
    Ok((input, out))
}
