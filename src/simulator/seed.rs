//! The seeded demo company (COMMON.md "The seeded demo company"): accounts, VAT categories, subaccount segments,
//! currencies, payment methods, credit terms, customer classes, branch, inventory, and their GET DTOs (SPEC25
//! shapes, plain JSON). Static data only: no I/O, no state.

use super::totals::{Dec, VatRate};
use serde_json::{json, Value};

/// When the seeded records were last modified (a fixed instant, so lists filtered by date are deterministic).
pub const SEEDED_AT: &str = "2026-01-01T00:00:00";

/// GL accounts: (accountCD, description, type, is a cash account).
pub const ACCOUNTS: &[(&str, &str, &str, bool)] = &[
    ("1500", "Kundefordringer", "Asset", false),
    ("1920", "Bankinnskudd", "Asset", true),
    ("1930", "Kortoppgjør", "Asset", true),
    ("2400", "Leverandørgjeld", "Liability", false),
    ("2700", "Utgående mva", "Liability", false),
    ("3000", "Salgsinntekt 25 %", "Income", false),
    ("3010", "Salgsinntekt mat 15 %", "Income", false),
    ("3020", "Salgsinntekt 12 %", "Income", false),
    ("3100", "Salgsinntekt avgiftsfri", "Income", false),
    ("3200", "Salgsinntekt utland", "Income", false),
    ("3700", "Fraktinntekt", "Income", false),
    ("3710", "Gebyrinntekt", "Income", false),
    ("3740", "Øreavrunding", "Income", false),
    ("4000", "Varekjøp", "Expense", false),
];

/// VAT categories: (vatCategoryId, description, rate in percent, exempt/outside scope).
pub const VAT_CATEGORIES: &[(&str, &str, &str, bool)] = &[
    ("3", "Utgående høy sats", "25", false),
    ("31", "Utgående middels sats", "15", false),
    ("33", "Utgående lav sats", "12", false),
    ("5", "Fritatt (nullsats)", "0", false),
    ("6", "Utenfor avgiftsområdet", "0", true),
    ("52", "Utførsel / EU B2B omvendt avgiftsplikt", "0", true),
];

/// Currencies: (id, description, symbol, is the base currency). All have two decimals.
pub const CURRENCIES: &[(&str, &str, &str, bool)] = &[
    ("NOK", "Norske kroner", "kr", true),
    ("SEK", "Svenske kronor", "kr", false),
    ("EUR", "Euro", "€", false),
];

/// Decimal places of every seeded currency.
pub const CURRENCY_DECIMALS: u32 = 2;

/// The base currency.
pub const BASE_CURRENCY: &str = "NOK";

/// (value, description) pairs of one segment.
pub type SegmentValues = &'static [(&'static str, &'static str)];

/// Subaccount segments of dimension `SUBACCOUNT`: (segmentId, description, values).
pub const SEGMENTS: &[(i32, &str, SegmentValues)] = &[
    (
        1,
        "Avdeling",
        &[("00", "Felles"), ("10", "Nettbutikk"), ("20", "Butikk")],
    ),
    (
        2,
        "Kanal",
        &[("000", "Ingen"), ("100", "Web"), ("200", "Marked")],
    ),
];

/// Payment methods: (paymentMethodID, meansOfPayment, description).
pub const PAYMENT_METHODS: &[(&str, &str, &str)] = &[
    ("BANK", "DirectDeposit", "Bankoverføring"),
    ("COD", "CashOrCheck", "Betal ved levering"),
    ("CARD", "CreditCard", "Kort"),
];

/// Credit terms: (id, description, days).
pub const CREDIT_TERMS: &[(&str, &str, i32)] = &[("0", "Kontant", 0), ("14", "14 dager", 14)];

/// Customer classes: (id, description).
pub const CUSTOMER_CLASSES: &[(&str, &str)] = &[("1", "Innenlands"), ("2", "Utland")];

/// Branches: (number, name).
pub const BRANCHES: &[(&str, &str)] = &[("1", "Hovedkontor")];

/// Inventory items (the SKUs of the reference shop's products.json plus the non-stock items).
pub const INVENTORY: &[&str] = &[
    "UG-001",
    "MAT-KAFFE",
    "MAT-SJOKO",
    "MAT-BRUNOST",
    "MAT-LAKRIS",
    "BOK-SULT",
    "BOK-KOKE",
    "OPP-KINO",
    "EL-HODE",
    "EL-USBC",
    "TS-BASIC-XL",
    "TS-BASIC-L",
    "TS-BASIC-M",
    "TS-BASIC-S",
    "RJ-VEST-BLA",
    "RJ-VEST-GUL",
    "OPP-MUSEUM-B",
    "OPP-MUSEUM-V",
    "FRAKT",
    "GEBYR",
    "AVRUNDING",
];

/// Sales order types SalesOrders v3 accepts.
pub const ORDER_TYPES: &[&str] = &["SO"];

/// The account with this number, if it exists.
pub fn account(cd: &str) -> Option<&'static (&'static str, &'static str, &'static str, bool)> {
    ACCOUNTS.iter().find(|a| a.0 == cd)
}

/// The VAT rate of a category, if it exists.
pub fn vat_rate(id: &str) -> Option<VatRate> {
    let c = VAT_CATEGORIES.iter().find(|c| c.0 == id)?;
    Some(VatRate {
        percent: Dec::parse(c.2)?,
        exempt: c.3,
    })
}

/// The VAT category's description, if it exists.
pub fn vat_description(id: &str) -> Option<&'static str> {
    VAT_CATEGORIES.iter().find(|c| c.0 == id).map(|c| c.1)
}

/// True when the currency exists.
pub fn has_currency(id: &str) -> bool {
    CURRENCIES.iter().any(|c| c.0.eq_ignore_ascii_case(id))
}

/// The payment method's description, if it exists.
pub fn payment_method(id: &str) -> Option<&'static str> {
    PAYMENT_METHODS
        .iter()
        .find(|p| p.0.eq_ignore_ascii_case(id))
        .map(|p| p.2)
}

/// The credit terms' description, if they exist.
pub fn credit_terms(id: &str) -> Option<&'static str> {
    CREDIT_TERMS.iter().find(|t| t.0 == id).map(|t| t.1)
}

/// The customer class' description, if it exists.
pub fn customer_class(id: &str) -> Option<&'static str> {
    CUSTOMER_CLASSES.iter().find(|c| c.0 == id).map(|c| c.1)
}

/// The branch name, if it exists.
pub fn branch(number: &str) -> Option<&'static str> {
    BRANCHES.iter().find(|b| b.0 == number).map(|b| b.1)
}

/// True when the inventory item exists.
pub fn has_inventory(id: &str) -> bool {
    INVENTORY.iter().any(|i| i.eq_ignore_ascii_case(id))
}

/// The segment's description and the value's description, if both exist.
pub fn segment_value(segment_id: i64, value: &str) -> Option<(&'static str, &'static str)> {
    let seg = SEGMENTS.iter().find(|s| i64::from(s.0) == segment_id)?;
    let val = seg.2.iter().find(|v| v.0 == value)?;
    Some((seg.1, val.1))
}

/// A deterministic UUID-shaped id from a small number (seeded records need stable `internalId`s).
pub fn seeded_uuid(n: u64) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}

fn metadata(total: usize) -> Value {
    json!({"totalCount": total, "maxPageSize": super::state::MAX_PAGE_SIZE})
}

/// `GET /v1/account` items (`AccountDto`).
pub fn accounts_json() -> Vec<Value> {
    ACCOUNTS
        .iter()
        .enumerate()
        .map(|(i, (cd, description, kind, cash))| {
            json!({"accountID": i + 1, "accountCD": cd, "accountGroupCD": null, "accountClass": kind.to_uppercase(),
                   "type": kind, "active": true, "description": description, "useDefaultSub": false,
                   "postOption": "Summary", "currency": null, "taxCategory": null, "cashAccount": cash,
                   "lastModifiedDateTime": SEEDED_AT, "controlAccountModule": null, "allowManualEntry": true,
                   "metadata": metadata(ACCOUNTS.len())})
        })
        .collect()
}

/// A subaccount's `SubAccountDto`-style description for the two segment values (no metadata).
pub fn subaccount_json(values: &[(i64, String)]) -> Value {
    let segments: Vec<Value> = values
        .iter()
        .map(|(id, v)| {
            let (seg, val) = segment_value(*id, v).unwrap_or(("", ""));
            json!({"segmentId": id, "segmentDescription": seg, "segmentValue": v, "segmentValueDescription": val})
        })
        .collect();
    let number: Vec<&str> = values.iter().map(|(_, v)| v.as_str()).collect();
    let description: Vec<&str> = values
        .iter()
        .filter_map(|(id, v)| segment_value(*id, v))
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
pub fn subaccounts_json() -> Vec<Value> {
    let (Some(first), Some(second)) = (SEGMENTS.first(), SEGMENTS.get(1)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for a in first.2 {
        for b in second.2 {
            out.push(subaccount_json(&[
                (i64::from(first.0), a.0.to_string()),
                (i64::from(second.0), b.0.to_string()),
            ]));
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
pub fn subaccount_dimension_json() -> Value {
    let segments: Vec<Value> = SEGMENTS
        .iter()
        .map(|(id, description, values)| {
            let n = u64::try_from(*id).unwrap_or(0);
            let values: Vec<Value> = values
                .iter()
                .enumerate()
                .map(|(i, (v, d))| {
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
pub fn vat_categories_json() -> Vec<Value> {
    VAT_CATEGORIES
        .iter()
        .map(|(id, description, rate, exempt)| {
            let kind = if *exempt { "ExemptVat" } else { "Sales" };
            json!({"vatCategoryId": id, "description": description, "active": true, "excludeListedTaxes": false,
                   "lastModifiedDateTime": SEEDED_AT,
                   "vatCategoryLines": [{"vatId": id, "description": description, "type": kind,
                       "calculateOn": "ItemAmount", "cashDiscount": "ToTaxableAmount",
                       "vatRates": [{"revisionID": "1", "vatRate": rate.parse::<f64>().unwrap_or(0.0),
                                     "startDate": "2017-01-01T00:00:00"}]}]})
        })
        .collect()
}

/// `GET /v1/vat` items (`VatInformationDto`): one VAT id per category.
pub fn vats_json() -> Vec<Value> {
    VAT_CATEGORIES
        .iter()
        .map(|(id, description, rate, exempt)| {
            json!({"vatCategoryId": id, "vatId": id, "description": description,
                   "type": if *exempt { "ExemptVat" } else { "Sales" }, "deductibleVat": false, "reverseVat": false,
                   "statisticalVat": false, "pendingVat": false, "includeinVatExemptTotal": exempt,
                   "includeinVatTotal": !exempt, "enterFromVatInvoice": false, "calculateOn": "ItemAmount",
                   "cashDiscount": "ToTaxableAmount", "lastModifiedDateTime": SEEDED_AT,
                   "schedules": [{"startDate": "2017-01-01T00:00:00", "vatRate": rate.parse::<f64>().unwrap_or(0.0),
                                  "groupType": "Output"}]})
        })
        .collect()
}

/// `GET /v1/currency` items (`CurrencyDto`).
pub fn currencies_json() -> Vec<Value> {
    CURRENCIES
        .iter()
        .map(|(id, description, symbol, base)| {
            json!({"id": id, "description": description, "symbol": symbol, "isBaseCurrency": base,
                   "decimalPrecision": CURRENCY_DECIMALS, "isUsedForAccounting": true})
        })
        .collect()
}

/// `GET /v1/paymentmethod` items (`PaymentMethodDto`).
pub fn payment_methods_json() -> Vec<Value> {
    PAYMENT_METHODS
        .iter()
        .map(|(id, means, description)| {
            json!({"paymentMethodID": id, "active": true, "meansOfPayment": means, "description": description,
                   "useInAP": false, "details": []})
        })
        .collect()
}

/// `GET /v1/creditTerm` (`BasePaginationDtoOfCreditTermDto`).
pub fn credit_terms_json() -> Value {
    let records: Vec<Value> = CREDIT_TERMS
        .iter()
        .map(|(id, description, days)| {
            json!({"termsId": id, "description": description, "visibleTo": "AL", "dueDateType": "N",
                   "dueDay1": days, "discountType": "N", "discountDay": 0, "discountPercent": 0.0, "delayDays": 0})
        })
        .collect();
    json!({"pageNumber": 1, "pageSize": records.len(), "totalCount": records.len(), "records": records})
}

/// `GET /v1/customer/customerClass` items (`CustomerClassDto`).
pub fn customer_classes_json() -> Vec<Value> {
    CUSTOMER_CLASSES
        .iter()
        .map(|(id, description)| {
            json!({"id": id, "description": description, "taxZoneId": null, "requiredTaxzoneId": false,
                   "paymentMethodId": "BANK", "attributes": []})
        })
        .collect()
}

/// `GET /v1/branch` items (`BranchDto`).
pub fn branches_json() -> Vec<Value> {
    BRANCHES
        .iter()
        .enumerate()
        .map(|(i, (number, name))| {
            json!({"branchId": i + 1, "number": number, "name": name, "organizationId": 1, "isMainBranch": i == 0,
                   "isActive": true, "lastModifiedDateTime": SEEDED_AT})
        })
        .collect()
}
