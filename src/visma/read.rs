//! GET response shapes of Visma.net ERP (SPEC25 `CustomerDto`, `CustomerInvoiceDto`, …, NOTES §4.6) and of the
//! SalesOrders v3 service (SOV3 `SalesOrderDto`, `SalesOrderListDtoPagedResult`). GET bodies are plain JSON (no
//! `{"value"}` wrapper). Only the fields the connector uses are here; unknown fields are ignored, and every field is
//! optional because Visma omits empty ones.
//!
//! Amounts are [`Decimal`]s: exact decimal values, never summed as `f64`. No logic beyond parsing. The SalesOrders
//! v3 shapes live in `sales_orders.rs`.

pub use crate::visma::decimal::Decimal;
use serde::Deserialize;

/// Paging facts carried by every list item (NOTES §5.6).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetadataDto {
    /// Items matching the query, all pages together.
    pub total_count: Option<u64>,
    /// The page size the server actually used.
    pub max_page_size: Option<u64>,
}

/// `PaymentDto` (GET `/v1/customerPayment`): only what finding a payment by its invoice needs.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PaymentDto {
    /// The payment's number.
    pub ref_nbr: Option<String>,
    /// `Payment`, `Refund`, `CreditNote`, … (SPEC25 `PaymentDto.type`).
    #[serde(rename = "type")]
    pub payment_type: Option<String>,
    /// `Hold`, `Balanced`, `Open`, `Closed`, …
    pub status: Option<String>,
    /// The amount paid.
    pub payment_amount: Option<Decimal>,
    /// The documents it pays.
    pub payment_lines: Vec<PaymentLineDto>,
    /// The sales orders it is reserved for (`OrderToApplyDto`).
    pub orders_to_apply: Vec<OrderToApplyDto>,
    /// Paging facts.
    pub metadata: Option<MetadataDto>,
}

/// A sales order a payment is reserved for (SPEC25 `OrderToApplyDto`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OrderToApplyDto {
    /// Order type.
    pub order_type: Option<String>,
    /// Order number.
    pub order_no: Option<String>,
}

/// One line of a payment: the document it is applied to.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PaymentLineDto {
    /// `Invoice`, `CreditNote`, …
    pub document_type: Option<String>,
    /// The document's number.
    pub ref_nbr: Option<String>,
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
    /// Why a background action (release) failed.
    pub error_info: Option<String>,
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
    /// Document date.
    pub document_date: Option<String>,
    /// Open balance in document currency.
    pub balance_in_currency: Option<Decimal>,
    /// VAT per category.
    #[serde(default)]
    pub tax_details: Vec<TaxDetailDto>,
    /// Why a background action (release) failed.
    pub error_info: Option<String>,
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

#[cfg(test)]
mod tests {
    use super::*;

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
