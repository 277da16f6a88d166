//! The simulated company's GET DTOs (SPEC25 shapes, plain JSON) built from a [`Company`]: accounts, VAT
//! categories, subaccount segments, currencies, payment methods, credit terms, classes, branches. No I/O, no state.

use super::company::Company;
use serde_json::{json, Value};

/// When the seeded records were last modified (a fixed instant, so lists filtered by date are deterministic).
pub const SEEDED_AT: &str = "2026-01-01T00:00:00";

/// Decimal places of every seeded currency.
pub const CURRENCY_DECIMALS: u32 = 2;

/// A deterministic UUID-shaped id from a small number (seeded records need stable `internalId`s).
pub fn seeded_uuid(n: u64) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}

fn metadata(total: usize) -> Value {
    json!({"totalCount": total, "maxPageSize": super::state::MAX_PAGE_SIZE})
}

/// `GET /v1/account` items (`AccountDto`).
pub fn accounts_json(c: &Company) -> Vec<Value> {
    let total = c.accounts.len();
    c.accounts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let (cd, description, kind, cash) = (&a.id, &a.description, &a.kind, a.cash);
            json!({"accountID": i + 1, "accountCD": cd, "accountGroupCD": null, "accountClass": kind.to_uppercase(),
                   "type": kind, "active": true, "description": description, "useDefaultSub": false,
                   "postOption": "Summary", "currency": null, "taxCategory": null, "cashAccount": cash,
                   "lastModifiedDateTime": SEEDED_AT, "controlAccountModule": null, "allowManualEntry": true,
                   "metadata": metadata(total)})
        })
        .collect()
}

/// A subaccount's `SubAccountDto`-style description for the two segment values (no metadata).
pub fn subaccount_json(c: &Company, values: &[(i64, String)]) -> Value {
    let segments: Vec<Value> = values
        .iter()
        .map(|(id, v)| {
            let (seg, val) = c.segment_value(*id, v).unwrap_or(("", ""));
            json!({"segmentId": id, "segmentDescription": seg, "segmentValue": v, "segmentValueDescription": val})
        })
        .collect();
    let number: Vec<&str> = values.iter().map(|(_, v)| v.as_str()).collect();
    let description: Vec<&str> = values
        .iter()
        .filter_map(|(id, v)| c.segment_value(*id, v))
        .map(|(_, d)| d)
        .collect();
    let id = subaccount_id(values);
    json!({"subaccountNumber": number.join("-"), "subaccountId": id, "description": description.join(" / "),
           "lastModifiedDateTime": SEEDED_AT, "active": true, "segments": segments})
}

fn subaccount_id(values: &[(i64, String)]) -> i64 {
    values.iter().fold(0_i64, |acc, (_, v)| {
        acc.saturating_mul(1000)
            .saturating_add(v.parse::<i64>().unwrap_or(0))
    }) + 1
}

/// `GET /v1/subaccount` items: every combination of the two segments.
pub fn subaccounts_json(c: &Company) -> Vec<Value> {
    let (Some(first), Some(second)) = (c.segments.first(), c.segments.get(1)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for a in &first.values {
        for b in &second.values {
            out.push(subaccount_json(
                c,
                &[(first.id, a.id.clone()), (second.id, b.id.clone())],
            ));
        }
    }
    out
}

/// `GET /v1/dimension` → the dimension ids.
pub fn dimension_ids() -> Vec<Value> {
    [
        "ACCOUNT",
        "BIZACCT",
        "CUSTOMER",
        "SUBACCOUNT",
        "SUPLLIER",
        "INVENTORY",
    ]
    .iter()
    .map(|s| json!(s))
    .collect()
}

/// `GET /v1/dimension/SUBACCOUNT` (`DtoDimension` with segment values).
pub fn subaccount_dimension_json(c: &Company) -> Value {
    let segments: Vec<Value> = c
        .segments
        .iter()
        .map(|s| {
            let (id, description) = (s.id, &s.description);
            let n = u64::try_from(id).unwrap_or(0);
            let values: Vec<Value> = s
                .values
                .iter()
                .enumerate()
                .map(|(i, nv)| {
                    let (v, d) = (&nv.id, &nv.description);
                    let k = n * 100 + u64::try_from(i).unwrap_or(0);
                    json!({"internalId": seeded_uuid(1000 + k), "segmentId": id, "valueId": v, "description": d,
                           "publicId": seeded_uuid(2000 + k), "active": true, "lastModified": SEEDED_AT})
                })
                .collect();
            let length = values.first().and_then(|v| v["valueId"].as_str()).map_or(0, str::len);
            json!({"internalId": seeded_uuid(n), "segmentId": id, "description": description, "length": length,
                   "publicId": seeded_uuid(100 + n), "lastModified": SEEDED_AT, "validate": true,
                   "segmentValues": values, "isAutoNumber": false})
        })
        .collect();
    json!({"id": "SUBACCOUNT", "length": 5, "description": "Subaccount", "segments": segments})
}

/// `GET /v1/vatCategory` items (`VatCategoryDto`).
pub fn vat_categories_json(c: &Company) -> Vec<Value> {
    c.vat_categories
        .iter()
        .map(|v| {
            let (id, description, rate, exempt, vat_id) = (&v.id, &v.description, &v.rate, v.exempt, &v.vat_id);
            let kind = if exempt { "ExemptVat" } else { "Sales" };
            json!({"vatCategoryId": id, "description": description, "active": true, "excludeListedTaxes": false,
                   "lastModifiedDateTime": SEEDED_AT,
                   "vatCategoryLines": [{"vatId": vat_id, "description": description, "type": kind,
                       "calculateOn": "ItemAmount", "cashDiscount": "ToTaxableAmount",
                       "vatRates": [{"revisionID": "1", "vatRate": rate.parse::<f64>().unwrap_or(0.0),
                                     "startDate": "2017-01-01T00:00:00"}]}]})
        })
        .collect()
}

/// `GET /v1/vat` items (`VatInformationDto`): one VAT id per category.
pub fn vats_json(c: &Company) -> Vec<Value> {
    c.vat_categories
        .iter()
        .map(|v| {
            let (id, description, rate, exempt) = (&v.id, &v.description, &v.rate, v.exempt);
            json!({"vatCategoryId": id, "vatId": v.vat_id, "description": description,
                   "type": if exempt { "ExemptVat" } else { "Sales" }, "deductibleVat": false, "reverseVat": false,
                   "statisticalVat": false, "pendingVat": false, "includeinVatExemptTotal": exempt,
                   "includeinVatTotal": !exempt, "enterFromVatInvoice": false, "calculateOn": "ItemAmount",
                   "cashDiscount": "ToTaxableAmount", "lastModifiedDateTime": SEEDED_AT,
                   "schedules": [{"startDate": "2017-01-01T00:00:00", "vatRate": rate.parse::<f64>().unwrap_or(0.0),
                                  "groupType": "Output"}]})
        })
        .collect()
}

/// `GET /v1/currency` items (`CurrencyDto`).
pub fn currencies_json(c: &Company) -> Vec<Value> {
    c.currencies
        .iter()
        .map(|cur| {
            let (id, description, symbol) = (&cur.id, &cur.description, &cur.symbol);
            let base = cur.id == c.base_currency;
            json!({"id": id, "description": description, "symbol": symbol, "isBaseCurrency": base,
                   "decimalPrecision": CURRENCY_DECIMALS, "isUsedForAccounting": true})
        })
        .collect()
}

/// `GET /v1/paymentmethod` items (`PaymentMethodDto`).
pub fn payment_methods_json(c: &Company) -> Vec<Value> {
    c.payment_methods
        .iter()
        .map(|p| {
            let (id, means, description) = (&p.id, &p.means, &p.description);
            json!({"paymentMethodID": id, "active": true, "meansOfPayment": means, "description": description,
                   "useInAP": false, "details": []})
        })
        .collect()
}

/// `GET /v1/creditTerm` (`BasePaginationDtoOfCreditTermDto`).
pub fn credit_terms_json(c: &Company) -> Value {
    let records: Vec<Value> = c
        .credit_terms
        .iter()
        .map(|t| {
            let (id, description, days) = (&t.id, &t.description, t.days);
            json!({"termsId": id, "description": description, "visibleTo": "AL", "dueDateType": "N",
                   "dueDay1": days, "discountType": "N", "discountDay": 0, "discountPercent": 0.0, "delayDays": 0})
        })
        .collect();
    json!({"pageNumber": 1, "pageSize": records.len(), "totalCount": records.len(), "records": records})
}

/// `GET /v1/customer/customerClass` items (`CustomerClassDto`).
pub fn classes_json(c: &Company, classes: &[super::company::Named]) -> Vec<Value> {
    let method = c.payment_methods.first().map(|p| p.id.clone());
    classes
        .iter()
        .map(|n| {
            let (id, description) = (&n.id, &n.description);
            json!({"id": id, "description": description, "taxZoneId": null, "requiredTaxzoneId": false,
                   "paymentMethodId": method, "attributes": []})
        })
        .collect()
}

/// `GET /v1/branch` items (`BranchDto`).
pub fn branches_json(c: &Company) -> Vec<Value> {
    c.branches
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let (number, name) = (&b.id, &b.description);
            json!({"branchId": i + 1, "number": number, "name": name, "organizationId": 1, "isMainBranch": i == 0,
                   "isActive": true, "lastModifiedDateTime": SEEDED_AT})
        })
        .collect()
}

/// `GET /v1/warehouse` items.
pub fn warehouses_json(c: &Company) -> Vec<Value> {
    c.warehouses
        .iter()
        .map(|w| {
            json!({"warehouseID": w.id, "description": w.description, "active": true,
                        "lastModifiedDateTime": SEEDED_AT})
        })
        .collect()
}

/// `GET /v1/inventory` items (number and description only).
pub fn inventory_json(c: &Company) -> Vec<Value> {
    c.inventory
        .iter()
        .map(|i| {
            json!({"inventoryNumber": i, "description": i, "status": "Active",
                        "lastModifiedDateTime": SEEDED_AT})
        })
        .collect()
}

/// `GET /v1/salesordertype` items.
pub fn order_types_json(c: &Company) -> Vec<Value> {
    c.order_types
        .iter()
        .map(|t| json!({"orderType": t, "description": t, "active": true}))
        .collect()
}
