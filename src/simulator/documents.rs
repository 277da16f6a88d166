//! Customer invoices and credit notes: create (`POST /v2/customerinvoice`, `/v1/customerinvoice`,
//! `/v2/customerCreditNote`, `/v1/customerCreditNote`), get, list (filters, paging, `lastModifiedDateTime`) and the
//! release action; PUT and DELETE while unreleased. The stored document is the GET DTO (`CustomerInvoiceDto`/`CustomerCreditNoteDto`) with totals
//! computed by [`super::totals`]. Business rules: the customer must exist and not be on hold or inactive; account,
//! subaccount segment values, VAT category, currency, payment method, credit terms, branch and inventory must
//! exist in the seeded company.
//! Must not: change a released document, or serve a field the GET DTO lacks (the contract test checks).

use super::ar_build::build;
use super::doc_index::DocIndex;
use super::http::{Query, Reply};
use super::listing;
use super::routes::Ctx;
use serde_json::{json, Map, Value};

/// Which AR document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `customerinvoice`.
    Invoice,
    /// `customerCreditNote`.
    CreditNote,
}

impl Kind {
    fn schema(self) -> &'static str {
        match self {
            Kind::Invoice => "CustomerInvoiceUpdateDto",
            Kind::CreditNote => "CustomerCreditNoteUpdateDto",
        }
    }
    pub(super) fn lines_field(self) -> &'static str {
        match self {
            Kind::Invoice => "invoiceLines",
            Kind::CreditNote => "lines",
        }
    }
    fn path(self) -> &'static str {
        match self {
            Kind::Invoice => "customerinvoice",
            Kind::CreditNote => "customerCreditNote",
        }
    }
    fn noun(self) -> &'static str {
        match self {
            Kind::Invoice => "Invoice",
            Kind::CreditNote => "Credit note",
        }
    }
    fn series(self) -> (&'static str, u64) {
        match self {
            Kind::Invoice => ("invoice", 100_001),
            Kind::CreditNote => ("creditNote", 200_001),
        }
    }
    fn items<'a>(self, ctx: &'a Ctx<'_>) -> &'a Vec<Value> {
        match self {
            Kind::Invoice => &ctx.state.store.invoices,
            Kind::CreditNote => &ctx.state.store.credit_notes,
        }
    }
    /// Mutable documents; the lookup index goes stale (an edit or removal may move keys or positions).
    fn items_mut<'a>(self, ctx: &'a mut Ctx<'_>) -> &'a mut Vec<Value> {
        let store = &mut ctx.state.store;
        match self {
            Kind::Invoice => {
                store.invoice_index.mark_stale();
                &mut store.invoices
            }
            Kind::CreditNote => {
                store.credit_note_index.mark_stale();
                &mut store.credit_notes
            }
        }
    }
    /// The documents with their lookup index brought up to date.
    fn indexed<'a>(self, ctx: &'a mut Ctx<'_>) -> (&'a [Value], &'a DocIndex) {
        let store = &mut ctx.state.store;
        let (docs, index) = match self {
            Kind::Invoice => (&store.invoices, &mut store.invoice_index),
            Kind::CreditNote => (&store.credit_notes, &mut store.credit_note_index),
        };
        index.sync(docs);
        (docs, index)
    }
    /// Appends a document; the index picks it up incrementally on its next sync.
    fn push(self, ctx: &mut Ctx<'_>, doc: Value) {
        match self {
            Kind::Invoice => ctx.state.store.invoices.push(doc),
            Kind::CreditNote => ctx.state.store.credit_notes.push(doc),
        }
    }
    /// True when a document with this `referenceNumber` exists (ASCII case ignored, as `field_is`).
    fn has_number(self, ctx: &mut Ctx<'_>, number: &str) -> bool {
        !self.indexed(ctx).1.by_number(number).is_empty()
    }
}

/// `GET /v1/{customerinvoice|customerCreditNote}`.
pub fn list(ctx: &mut Ctx<'_>, kind: Kind, q: &Query) -> Reply {
    let mut dates = Vec::new();
    for (param, field) in [
        ("lastModifiedDateTime", "lastModifiedDateTime"),
        ("createdDateTime", "createdDateTime"),
        ("documentDate", "documentDate"),
        ("documentDueDate", "documentDueDate"),
    ] {
        match listing::date_filter(q, param) {
            Ok(Some(s)) => dates.push((s, field)),
            Ok(None) => {}
            Err(m) => return ctx.error(400, &m),
        }
    }
    let (number, size) = match listing::paging(q) {
        Ok(p) => p,
        Err(m) => return ctx.error(400, &m),
    };
    let filters: [(&str, &[&str]); 6] = [
        ("externalReference", &["externalReference"]),
        ("customerRefNumber", &["customerRefNumber"]),
        ("customer", &["customer", "number"]),
        ("status", &["status"]),
        ("paymentReference", &["paymentReference"]),
        ("financialPeriod", &["financialPeriod"]),
    ];
    // With an external reference (the engine's search before every create) only its documents can match.
    let (docs, index) = kind.indexed(ctx);
    let candidates: Box<dyn Iterator<Item = &Value>> = match q.get("externalReference") {
        Some(reference) => Box::new(
            index
                .by_external_ref(reference)
                .iter()
                .filter_map(|&i| docs.get(i)),
        ),
        None => Box::new(docs.iter()),
    };
    let matching: Vec<Value> = candidates
        .filter(|d| dates.iter().all(|(s, field)| s.matches(d, field)))
        .filter(|d| {
            filters.iter().all(|(name, path)| {
                q.get(name)
                    .is_none_or(|want| listing::field_is(d, path, want))
            })
        })
        .cloned()
        .collect();
    Reply::ok(Value::Array(listing::page(matching, number, size)))
}

/// `GET /v1/{customerinvoice|customerCreditNote}/{number}`.
pub fn get(ctx: &mut Ctx<'_>, kind: Kind, number: &str) -> Reply {
    match kind
        .items(ctx)
        .iter()
        .find(|d| listing::field_is(d, &["referenceNumber"], number))
        .cloned()
    {
        Some(d) => Reply::ok(d),
        None => ctx.not_found(kind.noun(), number),
    }
}

/// `POST …/{number}/action/release`: 200 `Release…ActionResultDto`, status Balanced → Open.
pub fn release(ctx: &mut Ctx<'_>, kind: Kind, number: &str) -> Reply {
    let stamp = ctx.stamp();
    // A release edits status fields in place: the index stays fresh (see `doc_index::find_mut`).
    let store = &mut ctx.state.store;
    let (docs, index) = match kind {
        Kind::Invoice => (&mut store.invoices, &mut store.invoice_index),
        Kind::CreditNote => (&mut store.credit_notes, &mut store.credit_note_index),
    };
    let Some(doc) = super::doc_index::find_mut(docs, index, number) else {
        return ctx.not_found(kind.noun(), number);
    };
    let status = doc
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    match status.as_str() {
        // NOTES §7: release takes Balanced or Hold to Open (§8.9: not verified against a live tenant).
        "Balanced" | "Hold" => {
            doc["status"] = json!("Open");
            doc["hold"] = json!(false);
            doc["lastModifiedDateTime"] = json!(stamp);
            let action_id = super::http::guid(&mut ctx.state.rng);
            // Queued: Visma releases in the background; the caller must read the document to know.
            let result = if ctx.config.queued_release {
                "Queued"
            } else {
                "Done"
            };
            let mut r = Reply::ok(
                json!({"actionId": action_id, "actionResult": result, "errorInfo": null}),
            );
            r.mutated = true;
            r
        }
        other => ctx.error(
            400,
            &format!(
                "Error: {} '{number}' has status {other} and cannot be released.",
                kind.noun()
            ),
        ),
    }
}

/// `POST /v1|v2/{customerinvoice|customerCreditNote}`.
pub fn create(ctx: &mut Ctx<'_>, kind: Kind, body: &[u8]) -> Reply {
    let action = match kind {
        Kind::Invoice => "Error inserting the invoice.",
        Kind::CreditNote => "Error inserting the credit note.",
    };
    let plain = match ctx.erp_body(body, kind.schema(), action) {
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
    // overrideNumberSeries: "set to true … to use supplied referenceNumber" (SPEC25); otherwise auto-numbered.
    let override_numbers = plain
        .get("overrideNumberSeries")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let number = match (override_numbers, text("referenceNumber")) {
        (true, Some(n)) => n.to_string(),
        _ => {
            let (series, first) = kind.series();
            loop {
                let n = ctx.state.store.next(series, first).to_string();
                if !kind.has_number(ctx, &n) {
                    break n;
                }
            }
        }
    };
    if kind.has_number(ctx, &number) {
        return ctx.error(
            400,
            &format!("{action} Error: Document with reference number '{number}' already exists."),
        );
    }
    let plain = numbered_lines(plain, kind);
    let doc = match build(ctx, kind, &plain, &number) {
        Ok(d) => d,
        Err(m) => return ctx.error(400, &format!("{action} {m}")),
    };
    kind.push(ctx, doc);
    ctx.state
        .store
        .requests
        .insert(request_key(kind, &number), Value::Object(plain));
    Reply::created(format!("{}/v1/{}/{number}", ctx.base, kind.path()))
}

/// Key of the line counter kept with a document's stored request.
const LINE_COUNTER: &str = "_lineCounter";

fn request_key(kind: Kind, number: &str) -> String {
    format!("{}:{}", kind.path(), number.to_ascii_lowercase())
}

/// Gives every line a `lineNumber` (its position) so a later PUT can address it.
fn numbered_lines(mut plain: Map<String, Value>, kind: Kind) -> Map<String, Value> {
    if let Some(Value::Array(lines)) = plain.get_mut(kind.lines_field()) {
        for (i, line) in lines.iter_mut().enumerate() {
            if line.get("lineNumber").is_none_or(Value::is_null) {
                line["lineNumber"] = json!(i + 1);
            }
        }
        let highest = lines.iter().filter_map(line_number).max().unwrap_or(0);
        plain.insert(LINE_COUNTER.to_string(), json!(highest));
    }
    plain
}

fn editable(ctx: &mut Ctx<'_>, kind: Kind, number: &str, verb: &str) -> Result<usize, Reply> {
    let Some(index) = kind
        .items(ctx)
        .iter()
        .position(|d| listing::field_is(d, &["referenceNumber"], number))
    else {
        return Err(ctx.not_found(kind.noun(), number));
    };
    let status = kind
        .items(ctx)
        .get(index)
        .and_then(|d| d.get("status"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if !matches!(status.as_str(), "Balanced" | "Hold") {
        let msg = format!(
            "Error: {} '{number}' has status {status} and cannot be {verb}.",
            kind.noun()
        );
        return Err(ctx.error(400, &msg));
    }
    Ok(index)
}

/// `PUT /v1/{customerinvoice|customerCreditNote}/{number}` → 204. Header fields replace the stored ones; lines
/// are applied by `operation`: `Insert` (default) appends, `Update` merges into the line with that
/// `lineNumber`, `Delete` removes it. Released documents cannot be changed.
pub fn update(ctx: &mut Ctx<'_>, kind: Kind, number: &str, body: &[u8]) -> Reply {
    let action = match kind {
        Kind::Invoice => "Error updating the invoice.",
        Kind::CreditNote => "Error updating the credit note.",
    };
    let plain = match ctx.erp_body(body, kind.schema(), action) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let index = match editable(ctx, kind, number, "changed") {
        Ok(i) => i,
        Err(r) => return r,
    };
    let Some(old) = kind.items(ctx).get(index).cloned() else {
        return ctx.not_found(kind.noun(), number);
    };
    let stored_number = old
        .get("referenceNumber")
        .and_then(Value::as_str)
        .unwrap_or(number)
        .to_string();
    let key = request_key(kind, &stored_number);
    let mut merged = match ctx.state.store.requests.get(&key) {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    if let Err(m) = merge(&mut merged, plain, kind) {
        return ctx.error(400, &format!("{action} {m}"));
    }
    let mut doc = match build(ctx, kind, &merged, &stored_number) {
        Ok(d) => d,
        Err(m) => return ctx.error(400, &format!("{action} {m}")),
    };
    doc["createdDateTime"] = old.get("createdDateTime").cloned().unwrap_or(Value::Null);
    if let Some(slot) = kind.items_mut(ctx).get_mut(index) {
        *slot = doc;
    }
    ctx.state.store.requests.insert(key, Value::Object(merged));
    Reply::no_content()
}

fn merge(
    stored: &mut Map<String, Value>,
    update: Map<String, Value>,
    kind: Kind,
) -> Result<(), String> {
    let lines_field = kind.lines_field();
    // Acumatica's line counter only grows: a line inserted after a delete gets a fresh number.
    let mut counter = stored
        .get(LINE_COUNTER)
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let mut lines: Vec<Value> = stored
        .get(lines_field)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (k, v) in update {
        match k.as_str() {
            // The number of an existing document does not change.
            "referenceNumber" | "overrideNumberSeries" => {}
            f if f == lines_field => {
                for change in v.as_array().cloned().unwrap_or_default() {
                    apply_line(&mut lines, change, &mut counter)?;
                }
            }
            _ => {
                stored.insert(k, v);
            }
        }
    }
    stored.insert(lines_field.to_string(), Value::Array(lines));
    stored.insert(LINE_COUNTER.to_string(), json!(counter));
    Ok(())
}

fn line_number(line: &Value) -> Option<i64> {
    line.get("lineNumber").and_then(Value::as_i64)
}

fn apply_line(lines: &mut Vec<Value>, change: Value, counter: &mut i64) -> Result<(), String> {
    let op = change
        .get("operation")
        .and_then(Value::as_str)
        .unwrap_or("Insert")
        .to_string();
    let wanted = line_number(&change);
    let position = wanted.and_then(|n| lines.iter().position(|l| line_number(l) == Some(n)));
    match (op.as_str(), position) {
        ("Insert", _) => {
            let mut line = change;
            *counter = (*counter).max(lines.iter().filter_map(line_number).max().unwrap_or(0));
            if wanted.is_none() || position.is_some() {
                *counter = counter.saturating_add(1);
                line["lineNumber"] = json!(*counter);
            }
            line["operation"] = json!("Insert");
            lines.push(line);
        }
        ("Update", Some(i)) => {
            if let (Some(Value::Object(target)), Value::Object(fields)) = (lines.get_mut(i), change)
            {
                for (k, v) in fields {
                    if k != "operation" {
                        target.insert(k, v);
                    }
                }
            }
        }
        ("Delete", Some(i)) => {
            lines.remove(i);
        }
        _ => {
            let n = wanted.map_or_else(|| "(none)".to_string(), |n| n.to_string());
            return Err(format!(
                "Error: {op}: there is no line with lineNumber {n}."
            ));
        }
    }
    Ok(())
}

/// `DELETE /v1/{customerinvoice|customerCreditNote}/{number}` → 204 (unreleased documents only).
pub fn delete(ctx: &mut Ctx<'_>, kind: Kind, number: &str) -> Reply {
    let index = match editable(ctx, kind, number, "deleted") {
        Ok(i) => i,
        Err(r) => return r,
    };
    let items = kind.items_mut(ctx);
    if index < items.len() {
        let removed = items.remove(index);
        let n = removed
            .get("referenceNumber")
            .and_then(Value::as_str)
            .unwrap_or(number)
            .to_string();
        ctx.state.store.requests.remove(&request_key(kind, &n));
    }
    Reply::no_content()
}
