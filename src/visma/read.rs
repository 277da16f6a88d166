//! GET response shapes of Visma.net ERP (SPEC25 `CustomerDto`, `CustomerInvoiceDto`, …, NOTES §4.6) and of the
//! SalesOrders v3 service (SOV3 `SalesOrderDto`, `SalesOrderListDtoPagedResult`). GET bodies are plain JSON (no
//! `{"value"}` wrapper). Only the fields the connector uses are here; unknown fields are ignored, and every field is
//! optional because Visma omits empty ones.
//!
//! Amounts are [`Decimal`]s: exact decimal values, never summed as `f64`. No logic beyond parsing.

use serde::{Deserialize, Deserializer};

/// An exact decimal read from a JSON number or string: `value = digits / 10^scale`.
///
/// JSON numbers reach serde as `f64`; the shortest representation that round-trips (Rust's `Display`) is the
/// decimal Visma wrote for any value with up to 15 significant digits, so it is parsed from that text. No
/// arithmetic is done in floating point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    /// The digits, sign included.
    pub digits: i64,
    /// Places after the decimal point.
    pub scale: u32,
}

impl Decimal {
    /// Parses `-12.50`, `3`, `0.125`. `None` for anything else or more than 18 digits.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        if whole.is_empty() && fraction.is_empty() {
            return None;
        }
        if !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let fraction = fraction.trim_end_matches('0');
        let all: String = format!("{whole}{fraction}");
        let all = all.trim_start_matches('0');
        if all.len() > 18 {
            return None;
        }
        let magnitude: i64 = if all.is_empty() { 0 } else { all.parse().ok()? };
        let scale = u32::try_from(fraction.len()).ok()?;
        Some(Self {
            digits: if negative { -magnitude } else { magnitude },
            scale,
        })
    }

    /// The value in minor units of a currency with `decimals` places (`12.50` with 2 → 1250). `None` when the value
    /// has more places than the currency (it would need rounding) or does not fit.
    pub fn to_minor(self, decimals: u32) -> Option<i64> {
        if self.scale > decimals {
            return None;
        }
        self.digits
            .checked_mul(10i64.checked_pow(decimals - self.scale)?)
    }
}

impl std::fmt::Display for Decimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.digits < 0 { "-" } else { "" };
        let magnitude = self.digits.unsigned_abs().to_string();
        let scale = usize::try_from(self.scale).unwrap_or(usize::MAX);
        if scale == 0 {
            return write!(f, "{sign}{magnitude}");
        }
        let padded = format!("{magnitude:0>width$}", width = scale.saturating_add(1));
        let (whole, fraction) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{whole}.{fraction}")
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Decimal;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a decimal number")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Decimal, E> {
                Ok(Decimal {
                    digits: v,
                    scale: 0,
                })
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Decimal, E> {
                i64::try_from(v)
                    .map(|digits| Decimal { digits, scale: 0 })
                    .map_err(E::custom)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Decimal, E> {
                Decimal::parse(&v.to_string())
                    .ok_or_else(|| E::custom(format!("unsupported decimal {v}")))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Decimal, E> {
                Decimal::parse(v).ok_or_else(|| E::custom("unsupported decimal string"))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// Paging facts carried by every list item (NOTES §5.6).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetadataDto {
    /// Items matching the query, all pages together.
    pub total_count: Option<u64>,
    /// The page size the server actually used.
    pub max_page_size: Option<u64>,
}

/// `{id, description}` pairs (customer class, credit terms, VAT zone, VAT code, …).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdDescription {
    /// The id.
    pub id: Option<String>,
    /// The description.
    pub description: Option<String>,
}

/// `{number, name}` pairs (invoice customer, branch number).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NumberName {
    /// The number.
    pub number: Option<String>,
    /// The name.
    pub name: Option<String>,
}

/// `{id, name}` pairs (country).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdName {
    /// The id.
    pub id: Option<String>,
    /// The name.
    pub name: Option<String>,
}

/// An address as read back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressDto {
    /// Line 1.
    pub address_line1: Option<String>,
    /// Line 2.
    pub address_line2: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Country `{id, name}`.
    pub country: Option<IdName>,
}

/// A contact as read back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactDto {
    /// Name.
    pub name: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone1: Option<String>,
}

/// `CustomerDto` (SPEC25).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerDto {
    /// Internal id.
    pub internal_id: Option<i64>,
    /// Customer number (`customerCd`).
    pub number: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// `Active`, `OnHold`, …
    pub status: Option<String>,
    /// Main address.
    pub main_address: Option<AddressDto>,
    /// Main contact.
    pub main_contact: Option<ContactDto>,
    /// Customer class.
    pub customer_class: Option<IdDescription>,
    /// Credit terms.
    pub credit_terms: Option<IdDescription>,
    /// Currency.
    pub currency_id: Option<String>,
    /// VAT registration id.
    pub vat_registration_id: Option<String>,
    /// Organisation number.
    pub corporate_id: Option<String>,
    /// VAT zone.
    pub vat_zone: Option<IdDescription>,
    /// Last change, as Visma formats it.
    pub last_modified_date_time: Option<String>,
    /// Paging facts (list answers).
    pub metadata: Option<MetadataDto>,
}

/// `SupplierDto` (SPEC25).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SupplierDto {
    /// Internal id.
    pub internal_id: Option<i64>,
    /// Supplier number.
    pub number: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Status.
    pub status: Option<String>,
    /// Main address.
    pub main_address: Option<AddressDto>,
    /// Main contact.
    pub main_contact: Option<ContactDto>,
    /// Currency.
    pub currency_id: Option<String>,
    /// VAT registration id.
    pub vat_registration_id: Option<String>,
    /// Organisation number.
    pub corporate_id: Option<String>,
    /// Optimistic-concurrency stamp (NOTES §5.4).
    pub time_stamp: Option<String>,
    /// Last change.
    pub last_modified_date_time: Option<String>,
    /// Paging facts.
    pub metadata: Option<MetadataDto>,
}

/// An invoice or credit-note line (`CustomerInvoiceLineDto` / `CustomerCreditNoteLineDto`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentLineDto {
    /// Line number.
    pub line_number: Option<i64>,
    /// Inventory item.
    pub inventory_number: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Quantity.
    pub quantity: Option<Decimal>,
    /// Unit price in document currency.
    pub unit_price_in_currency: Option<Decimal>,
    /// Line amount in document currency (after discount, before VAT).
    pub amount_in_currency: Option<Decimal>,
    /// Discount in document currency.
    pub discount_amount_in_currency: Option<Decimal>,
    /// GL account `{number, …}`.
    pub account: Option<NumberName>,
    /// VAT category `{id, description}`.
    pub vat_code: Option<IdDescription>,
}

/// A VAT line of a document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaxDetailDto {
    /// VAT id.
    pub tax_id: Option<String>,
    /// Rate in percent.
    pub vat_rate: Option<Decimal>,
    /// Taxable amount.
    pub taxable_amount: Option<Decimal>,
    /// VAT amount.
    pub vat_amount: Option<Decimal>,
}

/// `CustomerInvoiceDto` (SPEC25); credit notes read through [`CustomerCreditNoteDto`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerInvoiceDto {
    /// Invoice number.
    pub reference_number: Option<String>,
    /// `Invoice`, `CreditNote`, …
    pub document_type: Option<String>,
    /// `Hold`, `Balanced`, `Open`, `Closed`, …
    pub status: Option<String>,
    /// On hold.
    pub hold: Option<bool>,
    /// Customer `{number, name}`.
    pub customer: Option<NumberName>,
    /// Document date.
    pub document_date: Option<String>,
    /// Currency.
    pub currency_id: Option<String>,
    /// Total in document currency, VAT included.
    pub amount_in_currency: Option<Decimal>,
    /// Open balance in document currency.
    pub balance_in_currency: Option<Decimal>,
    /// VAT total in document currency.
    pub vat_total_in_currency: Option<Decimal>,
    /// Lines total in document currency.
    pub detail_total_in_currency: Option<Decimal>,
    /// Rounding difference.
    pub rounding_diff: Option<Decimal>,
    /// `customerRefNumber` (our document key).
    pub customer_ref_number: Option<String>,
    /// `externalReference` (our document key).
    pub external_reference: Option<String>,
    /// Invoice text.
    pub invoice_text: Option<String>,
    /// Lines.
    #[serde(default)]
    pub invoice_lines: Vec<DocumentLineDto>,
    /// VAT per category.
    #[serde(default)]
    pub tax_details: Vec<TaxDetailDto>,
    /// Last change.
    pub last_modified_date_time: Option<String>,
    /// Paging facts.
    pub metadata: Option<MetadataDto>,
}

/// `CustomerCreditNoteDto` (SPEC25): like an invoice, lines under `lines`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerCreditNoteDto {
    /// Credit note number.
    pub reference_number: Option<String>,
    /// Document type.
    pub document_type: Option<String>,
    /// Status.
    pub status: Option<String>,
    /// Customer.
    pub customer: Option<NumberName>,
    /// Currency.
    pub currency_id: Option<String>,
    /// Total in document currency.
    pub amount_in_currency: Option<Decimal>,
    /// VAT total in document currency.
    pub vat_total_in_currency: Option<Decimal>,
    /// `customerRefNumber`.
    pub customer_ref_number: Option<String>,
    /// `externalReference` (our refund key).
    pub external_reference: Option<String>,
    /// Lines.
    #[serde(default)]
    pub lines: Vec<DocumentLineDto>,
    /// Paging facts.
    pub metadata: Option<MetadataDto>,
}

/// `ReleaseInvoiceActionResultDto` (SPEC25).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionResultDto {
    /// Background action id.
    pub action_id: Option<String>,
    /// `Queued`, `InProcess`, `Failed` or `Done`.
    pub action_result: Option<String>,
    /// Why it failed.
    pub error_info: Option<String>,
}

/// `AccountDto` (SPEC25).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountDto {
    /// Internal id.
    #[serde(rename = "accountID")]
    pub account_id: Option<i64>,
    /// Account number, e.g. `3000`.
    #[serde(rename = "accountCD")]
    pub account_cd: Option<String>,
    /// `Asset`, `Liability`, `Income`, `Expense`.
    #[serde(rename = "type")]
    pub account_type: Option<String>,
    /// Active.
    pub active: Option<bool>,
    /// Name.
    pub description: Option<String>,
    /// Cash account (usable for payments).
    pub cash_account: Option<bool>,
    /// Fixed currency, if any.
    pub currency: Option<String>,
}

/// One segment of a subaccount (`SegmentDto`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentDto {
    /// Segment number.
    pub segment_id: Option<i64>,
    /// Segment name.
    pub segment_description: Option<String>,
    /// Value.
    pub segment_value: Option<String>,
    /// Value name.
    pub segment_value_description: Option<String>,
}

/// `SubAccountDto` (SPEC25).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubAccountDto {
    /// `Format 9-XX` number.
    pub subaccount_number: Option<String>,
    /// Internal id.
    pub subaccount_id: Option<i64>,
    /// Description.
    pub description: Option<String>,
    /// Active.
    pub active: Option<bool>,
    /// Segments.
    #[serde(default)]
    pub segments: Vec<SegmentDto>,
    /// Paging facts.
    pub metadata: Option<MetadataDto>,
}

/// `DtoSegmentValue` (SPEC25).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentValueDto {
    /// Value, e.g. `10`.
    pub value_id: Option<String>,
    /// Name.
    pub description: Option<String>,
    /// Active.
    pub active: Option<bool>,
}

/// `DtoSegment` (SPEC25).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DimensionSegmentDto {
    /// Segment number.
    pub segment_id: Option<i64>,
    /// Name.
    pub description: Option<String>,
    /// Value length.
    pub length: Option<i64>,
    /// Values (with `expandSegmentsValues=true`).
    #[serde(default)]
    pub segment_values: Vec<SegmentValueDto>,
}

/// `DtoDimension` (SPEC25).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DimensionDto {
    /// Dimension id, e.g. `SUBACCOUNT`.
    pub id: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Segments.
    #[serde(default)]
    pub segments: Vec<DimensionSegmentDto>,
}

/// `VatCategoryDto` (SPEC25). The invoice line `vatCodeId` is a VAT category id (NOTES §3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VatCategoryDto {
    /// Category id, e.g. `3`.
    pub vat_category_id: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Active.
    pub active: Option<bool>,
}

/// `CurrencyDto` (SPEC25).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CurrencyDto {
    /// ISO code.
    pub id: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// The company's base currency.
    pub is_base_currency: Option<bool>,
    /// Decimal places.
    pub decimal_precision: Option<u32>,
}

/// `PaymentMethodDto` (SPEC25).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMethodDto {
    /// Id, e.g. `BANK`.
    #[serde(rename = "paymentMethodID")]
    pub payment_method_id: Option<String>,
    /// Active.
    pub active: Option<bool>,
    /// `CreditCard`, `CashOrCheck`, `DirectDeposit`.
    pub means_of_payment: Option<String>,
    /// Description.
    pub description: Option<String>,
}

/// `BranchDto` (SPEC25).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BranchDto {
    /// Internal id.
    pub branch_id: Option<i64>,
    /// Branch number, e.g. `1`.
    pub number: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// The main branch.
    pub is_main_branch: Option<bool>,
    /// Active.
    pub is_active: Option<bool>,
    /// Organisation number.
    pub corporate_id: Option<String>,
}

/// SalesOrders v3 `SalesOrderCustomerDto`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SalesOrderCustomerDto {
    /// Customer number.
    pub id: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Customer's order number.
    pub order: Option<String>,
    /// Third-party reference (our document key).
    pub ref_no: Option<String>,
}

/// SalesOrders v3 `SalesOrderStatusDto`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SalesOrderStatusDto {
    /// Status text.
    pub description: Option<String>,
    /// Cancelled.
    pub cancelled: Option<bool>,
    /// On hold.
    pub hold: Option<bool>,
}

/// SalesOrders v3 `SalesOrderTotalsDto` (the parts we check).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SalesOrderTotalsDto {
    /// Total, VAT included.
    pub order_total: Option<Decimal>,
    /// VAT total.
    pub tax_total: Option<Decimal>,
}

/// SalesOrders v3 `SalesOrderDto` (GET one).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SalesOrderDto {
    /// Order type, e.g. `SO`.
    #[serde(rename = "type")]
    pub order_type: Option<String>,
    /// Order number.
    pub order_id: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Currency.
    pub currency_id: Option<String>,
    /// Status.
    pub status: Option<SalesOrderStatusDto>,
    /// Customer, with `refNo`.
    pub customer: Option<SalesOrderCustomerDto>,
    /// Totals.
    pub totals: Option<SalesOrderTotalsDto>,
}

/// SalesOrders v3 `SalesOrderListDto` (list item).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SalesOrderListItemDto {
    /// Order type.
    #[serde(rename = "type")]
    pub order_type: Option<String>,
    /// Order number.
    pub order_id: Option<String>,
    /// Status text.
    pub status: Option<String>,
    /// Customer number.
    pub customer_id: Option<String>,
    /// Customer's order number.
    pub customer_order: Option<String>,
    /// Third-party reference (our document key).
    pub customer_ref_no: Option<String>,
    /// Total.
    pub order_total: Option<Decimal>,
    /// Currency.
    pub currency: Option<String>,
}

/// SalesOrders v3 `SalesOrderListDtoPagedResult`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SalesOrderPage {
    /// This page.
    #[serde(default)]
    pub value: Vec<SalesOrderListItemDto>,
    /// Link to the next page, absent on the last.
    pub next_page: Option<String>,
    /// All matches.
    pub total_count: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_exactly() {
        let cases: &[(&str, Option<(i64, u32)>)] = &[
            ("12.50", Some((125, 1))),
            ("-0.1", Some((-1, 1))),
            ("3", Some((3, 0))),
            ("0.125", Some((125, 3))),
            ("000.000", Some((0, 0))),
            (".5", Some((5, 1))),
            ("1e5", None),
            ("", None),
            ("-", None),
            ("12.3.4", None),
            ("1234567890123456789", None),
        ];
        for (text, want) in cases {
            assert_eq!(
                Decimal::parse(text).map(|d| (d.digits, d.scale)),
                *want,
                "{text}"
            );
        }
    }

    #[test]
    fn json_numbers_become_exact_minor_units() {
        // The classic f64 trap: 0.1 + 0.2 summed as f64 is not 0.3; read separately they are exact.
        let line: DocumentLineDto = serde_json::from_str(
            r#"{"amountInCurrency": 1234.56, "quantity": 3, "unitPriceInCurrency": "0.1"}"#,
        )
        .expect("valid line");
        assert_eq!(
            line.amount_in_currency.and_then(|d| d.to_minor(2)),
            Some(123_456)
        );
        assert_eq!(line.quantity.and_then(|d| d.to_minor(0)), Some(3));
        assert_eq!(
            line.unit_price_in_currency.and_then(|d| d.to_minor(2)),
            Some(10)
        );
        let precise = Decimal::parse("10.005").expect("valid");
        assert_eq!(precise.to_minor(2), None, "needs rounding: refuse");
        assert_eq!(precise.to_string(), "10.005");
        assert_eq!(
            Decimal {
                digits: -5,
                scale: 2
            }
            .to_string(),
            "-0.05"
        );
    }

    #[test]
    fn unknown_fields_are_ignored_and_missing_ones_are_none() {
        let json = r#"{"referenceNumber":"100001","status":"Open","amountInCurrency":125.0,"whatever":{"x":1},
            "invoiceLines":[{"lineNumber":1,"vatCode":{"id":"3","description":"Utgående høy sats"}}],
            "metadata":{"totalCount":3,"maxPageSize":100}}"#;
        let invoice: CustomerInvoiceDto = serde_json::from_str(json).expect("valid invoice");
        assert_eq!(invoice.reference_number.as_deref(), Some("100001"));
        assert_eq!(
            invoice.amount_in_currency.and_then(|d| d.to_minor(2)),
            Some(12_500)
        );
        assert_eq!(
            invoice
                .invoice_lines
                .first()
                .and_then(|l| l.vat_code.clone())
                .and_then(|v| v.id),
            Some("3".into())
        );
        assert_eq!(
            invoice.metadata,
            Some(MetadataDto {
                total_count: Some(3),
                max_page_size: Some(100)
            })
        );
        assert_eq!(invoice.external_reference, None);
        let account: AccountDto = serde_json::from_str(
            r#"{"accountID":5,"accountCD":"1920","type":"Asset","cashAccount":true}"#,
        )
        .expect("valid account");
        assert_eq!(account.account_cd.as_deref(), Some("1920"));
        assert_eq!(account.account_type.as_deref(), Some("Asset"));
    }
}
