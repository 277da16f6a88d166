//! Customers and suppliers: `GET` list (paging, `lastModifiedDateTime`, text filters), `GET` by number, `POST`
//! create (201 + `Location`, number given or auto-numbered, duplicate → 400), `PUT` update (204). Bodies are
//! `CustomerUpdateDto`/`SupplierUpdateDto` (NOTES §4.2–4.3), stored as `CustomerDto`/`SupplierDto` (§4.6).
//! Must not: trust a reference the seeded company lacks, or serve a field `CustomerDto`/`SupplierDto` lacks.

use super::http::{Query, Reply};
use super::listing;
use super::routes::Ctx;
use serde_json::{json, Map, Value};

/// Which ledger the party lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// `/v1/customer`.
    Customer,
    /// `/v1/supplier`.
    Supplier,
}

impl Party {
    fn path(self) -> &'static str {
        match self {
            Party::Customer => "customer",
            Party::Supplier => "supplier",
        }
    }
    fn noun(self) -> &'static str {
        match self {
            Party::Customer => "Customer",
            Party::Supplier => "Supplier",
        }
    }
    fn schema(self) -> &'static str {
        match self {
            Party::Customer => "CustomerUpdateDto",
            Party::Supplier => "SupplierUpdateDto",
        }
    }
    fn first_number(self) -> u64 {
        match self {
            Party::Customer => 10000,
            Party::Supplier => 50000,
        }
    }
    fn items<'a>(self, ctx: &'a Ctx<'_>) -> &'a Vec<Value> {
        match self {
            Party::Customer => &ctx.state.store.customers,
            Party::Supplier => &ctx.state.store.suppliers,
        }
    }
    fn items_mut<'a>(self, ctx: &'a mut Ctx<'_>) -> &'a mut Vec<Value> {
        match self {
            Party::Customer => &mut ctx.state.store.customers,
            Party::Supplier => &mut ctx.state.store.suppliers,
        }
    }
}

/// The stored customer with this number (case-insensitive, as Acumatica keys are).
pub fn find<'a>(items: &'a [Value], number: &str) -> Option<&'a Value> {
    items
        .iter()
        .find(|c| listing::field_is(c, &["number"], number))
}

/// `GET /v1/{customer|supplier}`.
pub fn list(ctx: &mut Ctx<'_>, party: Party, q: &Query) -> Reply {
    let since = match listing::date_filter(q, "lastModifiedDateTime") {
        Ok(s) => s,
        Err(m) => return ctx.error(400, &m),
    };
    let created = match listing::date_filter(q, "createdDateTime") {
        Ok(s) => s,
        Err(m) => return ctx.error(400, &m),
    };
    let (number, size) = match listing::paging(q) {
        Ok(p) => p,
        Err(m) => return ctx.error(400, &m),
    };
    let filters: [(&str, &[&str]); 5] = [
        ("name", &["name"]),
        ("status", &["status"]),
        ("corporateId", &["corporateId"]),
        ("vatRegistrationId", &["vatRegistrationId"]),
        ("email", &["mainContact", "email"]),
    ];
    let matching: Vec<Value> = party
        .items(ctx)
        .iter()
        .filter(|c| since.is_none_or(|s| s.matches(c, "lastModifiedDateTime")))
        .filter(|c| created.is_none_or(|s| s.matches(c, "createdDateTime")))
        .filter(|c| {
            filters.iter().all(|(name, path)| {
                q.get(name)
                    .is_none_or(|want| listing::field_is(c, path, want))
            })
        })
        .cloned()
        .map(|c| served(party, c))
        .collect();
    Reply::ok(Value::Array(listing::page(matching, number, size)))
}

/// Suppliers have no `createdDateTime` in SPEC25's `SupplierDto`; it is kept for filtering and dropped here.
fn served(party: Party, mut item: Value) -> Value {
    if party == Party::Supplier {
        if let Some(o) = item.as_object_mut() {
            o.remove("createdDateTime");
        }
    }
    item
}

/// `GET /v1/{customer|supplier}/{number}`: the DTO and its `ETag`.
pub fn get(ctx: &mut Ctx<'_>, party: Party, number: &str) -> Reply {
    match find(party.items(ctx), number).cloned() {
        Some(c) => {
            let tag = etag(&c);
            Reply::ok(served(party, c)).with_header("etag", tag)
        }
        None => ctx.not_found(party.noun(), number),
    }
}

/// A strong ETag over the stored document's content (D-ETAG: the header on GET/POST/PUT, `If-Match` on PUT).
pub fn etag(doc: &Value) -> String {
    use sha2::{Digest, Sha256};
    let mut content = doc.clone();
    if let Some(o) = content.as_object_mut() {
        o.remove("timeStamp");
    }
    let digest = Sha256::digest(serde_json::to_vec(&content).unwrap_or_default());
    format!("\"{}\"", hex::encode(digest.get(..8).unwrap_or_default()))
}

/// `SupplierDto.timeStamp` (SPEC25 `string/byte`): the ETag's bytes in base64, as the body copy of the ETag.
fn stamp_version(party: Party, doc: &mut Value) {
    if party == Party::Supplier {
        use base64::Engine;
        let tag = etag(doc);
        let raw = hex::decode(tag.trim_matches('"')).unwrap_or_default();
        doc["timeStamp"] = json!(base64::engine::general_purpose::STANDARD.encode(raw));
    }
}

/// `POST /v1/{customer|supplier}`.
pub fn create(ctx: &mut Ctx<'_>, party: Party, body: &[u8]) -> Reply {
    let action = format!("Error inserting the {}.", party.path());
    let plain = match ctx.erp_body(body, party.schema(), &action) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let number = match plain.get("number").and_then(Value::as_str).map(str::trim) {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => loop {
            let n = ctx
                .state
                .store
                .next(party.path(), party.first_number())
                .to_string();
            if find(party.items(ctx), &n).is_none() {
                break n;
            }
        },
    };
    if find(party.items(ctx), &number).is_some() {
        let msg = format!(
            "{action} Error: A {} with ID '{number}' already exists.",
            party.path()
        );
        return ctx.error(400, &msg);
    }
    // Customers and suppliers are business accounts with one series of ids (issue #17; inferred from the
    // Acumatica base of Visma.net, where both are BAccount rows): a supplier cannot take a customer's number.
    let other = match party {
        Party::Customer => &ctx.state.store.suppliers,
        Party::Supplier => &ctx.state.store.customers,
    };
    if find(other, &number).is_some() {
        let msg = format!("{action} Error: A business account with ID '{number}' already exists.");
        return ctx.error(400, &msg);
    }
    if plain
        .get("name")
        .and_then(Value::as_str)
        .is_none_or(|n| n.trim().is_empty())
    {
        return ctx.error(
            400,
            &format!("{action} Error: '{} name' cannot be empty.", party.noun()),
        );
    }
    let internal_id = ctx.state.store.next("internalId", 1);
    let stamp = ctx.stamp();
    let mut dto = json!({
        "internalId": internal_id, "number": number, "status": "Active", "currencyId": ctx.config.company.base_currency,
        "lastModifiedDateTime": stamp, "createdDateTime": stamp,
    });
    if party == Party::Customer {
        // The company's first class and terms stand in for its class defaults.
        let c = &ctx.config.company;
        if let Some(class) = c.customer_classes.first() {
            dto["customerClass"] = json!({"id": class.id, "description": class.description});
        }
        if let Some(terms) = c.credit_terms.first() {
            dto["creditTerms"] = json!({"id": terms.id, "description": terms.description});
        }
        dto["creditLimit"] = json!(0.0);
    }
    if let Err(m) = apply(&ctx.config.company, &mut dto, &plain, party, internal_id) {
        return ctx.error(400, &format!("{action} {m}"));
    }
    stamp_version(party, &mut dto);
    let tag = etag(&dto);
    party.items_mut(ctx).push(dto);
    Reply::created(format!("{}/v1/{}/{number}", ctx.base, party.path())).with_header("etag", tag)
}

/// `PUT /v1/{customer|supplier}/{number}`.
pub fn update(ctx: &mut Ctx<'_>, party: Party, number: &str, body: &[u8]) -> Reply {
    let action = format!("Error updating the {}.", party.path());
    let plain = match ctx.erp_body(body, party.schema(), &action) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(index) = party
        .items(ctx)
        .iter()
        .position(|c| listing::field_is(c, &["number"], number))
    else {
        return ctx.not_found(party.noun(), number);
    };
    let stamp = ctx.stamp();
    let Some(mut dto) = party.items(ctx).get(index).cloned() else {
        return ctx.not_found(party.noun(), number);
    };
    if let Some(wanted) = ctx.if_match.clone() {
        if wanted.trim() != "*" && wanted.trim() != etag(&dto) {
            let msg = format!(
                "Error: The {} was changed by someone else (ETag mismatch).",
                party.path()
            );
            return ctx.error(412, &msg);
        }
    }
    let internal_id = dto.get("internalId").and_then(Value::as_u64).unwrap_or(0);
    let mut plain = plain;
    plain.remove("number"); // the number is changed by `action/changeCustomerCd`, not by PUT
    if let Err(m) = apply(&ctx.config.company, &mut dto, &plain, party, internal_id) {
        return ctx.error(400, &format!("{action} {m}"));
    }
    dto["lastModifiedDateTime"] = json!(stamp);
    stamp_version(party, &mut dto);
    let tag = etag(&dto);
    if let Some(slot) = party.items_mut(ctx).get_mut(index) {
        *slot = dto;
    }
    Reply::no_content().with_header("etag", tag)
}

/// Copies the fields of an update DTO onto the GET DTO, checking references against the seeded company.
fn apply(
    company: &super::company::Company,
    dto: &mut Value,
    plain: &Map<String, Value>,
    party: Party,
    internal_id: u64,
) -> Result<(), String> {
    const SAME: &[&str] = &[
        "name",
        "status",
        "accountReference",
        "numberOfEmployees",
        "currencyId",
        "creditLimit",
        "creditDaysPastDue",
        "printInvoices",
        "acceptAutoInvoices",
        "sendInvoicesByEmail",
        "sendDunningLettersViaEMail",
        "printDunningLetters",
        "printStatements",
        "sendStatementsByEmail",
        "printMultiCurrencyStatements",
        "invoiceToDefaultLocation",
        "vatRegistrationId",
        "corporateId",
        "gln",
        "creditVerification",
        "statementType",
        "excludeDebtCollection",
        "documentLanguage",
        "cashAccount",
        "paymentLeadTime",
        "paymentRefDisplayMask",
        "paySeparately",
        "chargeBearer",
        "accountUsedForPayment",
        "paymentBy",
        "retainageApply",
        "retainagePct",
        "note",
        "naceCode",
        "landedCostSupplier",
        "currencyOverride",
        "currencyRateOverride",
    ];
    for (key, value) in plain {
        if value.is_null() {
            continue;
        }
        let text = value.as_str().unwrap_or("");
        match key.as_str() {
            "number" => dto["number"] = value.clone(),
            "note" if party == Party::Customer => {}
            "currencyId" if !company.has_currency(text) => {
                return Err(format!("Error: Currency '{text}' does not exist."))
            }
            k if SAME.contains(&k) => dto[k] = value.clone(),
            "customerClassId" => {
                // Visma's own words (seen from a real company, issue #13).
                let d = company
                    .customer_class(text)
                    .ok_or("Error: 'Class' cannot be found in the system.")?;
                dto["customerClass"] = json!({"id": text, "description": d});
            }
            "supplierClassId" => {
                let d = company
                    .supplier_class(text)
                    .ok_or("Error: 'Supplier class' cannot be found in the system.")?;
                dto["supplierClass"] = json!({"id": text, "description": d});
            }
            "creditTermsId" => {
                let d = company
                    .credit_terms(text)
                    .map(|t| t.description.clone())
                    .ok_or(format!("Error: Credit terms '{text}' do not exist."))?;
                dto["creditTerms"] = json!({"id": text, "description": d});
            }
            "paymentMethodId" => {
                let d = company
                    .payment_method(text)
                    .ok_or(format!("Error: Payment method '{text}' does not exist."))?;
                dto["paymentMethod"] = json!({"id": text, "description": d});
            }
            "defaultPaymentMethod" => {
                let id = value
                    .get("paymentMethodId")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                company
                    .payment_method(id)
                    .ok_or(format!("Error: Payment method '{id}' does not exist."))?;
                dto["defaultPaymentMethodId"] = json!(id);
                dto["paymentMethods"] = json!([{"paymentMethodId": id, "isDefault": true}]);
            }
            "parentRecordNumber" => dto["parentRecord"] = json!({"number": text}),
            "vatZoneId" => dto["vatZone"] = json!({"id": text}),
            "priceClassId" if party == Party::Customer => dto["priceClass"] = json!({"id": text}),
            "mainAddress" | "invoiceAddress" | "deliveryAddress" | "remitAddress"
            | "supplierAddress" => {
                dto[key.as_str()] = address(value, internal_id);
            }
            "mainContact" | "invoiceContact" | "deliveryContact" | "remitContact"
            | "supplierContact" => {
                let mut c = value.clone();
                c["contactId"] = json!(internal_id);
                dto[key.as_str()] = c;
            }
            "attributeLines" => {
                let attrs: Vec<Value> = value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|a| json!({"id": a.get("attributeId"), "value": a.get("attributeValue")}))
                    .collect();
                dto["attributes"] = Value::Array(attrs);
            }
            // Accepted by the DTO but not part of what GET shows (or not simulated).
            _ => {}
        }
    }
    Ok(())
}

/// `AddressUpdateDto` (plain) → the GET address shape (`countryId` becomes `country {id, name}`).
fn address(update: &Value, id: u64) -> Value {
    let mut out = json!({"addressId": id});
    for k in [
        "addressLine1",
        "addressLine2",
        "addressLine3",
        "postalCode",
        "city",
    ] {
        if let Some(v) = update.get(k).filter(|v| !v.is_null()) {
            out[k] = v.clone();
        }
    }
    if let Some(c) = update.get("countryId").and_then(Value::as_str) {
        out["country"] = json!({"id": c, "name": country_name(c)});
    }
    if let Some(c) = update.get("county").and_then(Value::as_str) {
        out["county"] = json!({"id": c, "name": c});
    }
    out
}

fn country_name(id: &str) -> &str {
    match id.to_ascii_uppercase().as_str() {
        "NO" => "Norway",
        "SE" => "Sweden",
        "DK" => "Denmark",
        "FI" => "Finland",
        "DE" => "Germany",
        "GB" => "United Kingdom",
        _ => id,
    }
}
