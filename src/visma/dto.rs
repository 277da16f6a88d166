//! Visma.net write bodies, named and shaped as in the swagger (`shared/reference/visma/
//! visma-net-erp-api-openapi-v1_20250424.json`, SalesOrders v3 `visma-net-salesorders-api-v3-openapi-1.1.0.1279.json`).
//! ERP `*UpdateDto` fields are `{"value": …}` wrapped ([`DtoValue`]); line `operation`, `subaccount`
//! segment arrays and line arrays are plain (NOTES.md §4.1). SalesOrders v3 is plain JSON. Absent fields
//! (`None`) are omitted, meaning "unchanged/default" to Visma. Only serialization here: no rules, no I/O.

use crate::money::Decimal;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

/// Visma's `DtoValueOf<T>` wrapper: `{"value": T}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DtoValue<T> {
    /// The wrapped value.
    pub value: T,
}

/// Wraps a value as `Some({"value": v})`, for optional DTO fields.
pub fn val<T>(value: T) -> Option<DtoValue<T>> {
    Some(DtoValue { value })
}

/// An exact decimal sent as a JSON number (`DtoValueOfDecimal`).
///
/// serde_json (without `arbitrary_precision`) writes numbers from f64, so the exact decimal text is
/// converted to the nearest f64 (a conversion, not arithmetic); serde_json prints the shortest text
/// that round-trips, which is our text for every amount with up to 15 significant digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtoDecimal(pub Decimal);

impl Serialize for DtoDecimal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = self.0.to_string();
        let number: f64 = text.parse().map_err(serde::ser::Error::custom)?;
        s.serialize_f64(number)
    }
}

/// Line `operation` (plain string enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Operation {
    /// Add the line.
    Insert,
    /// Change the line.
    Update,
    /// Remove the line.
    Delete,
}

/// `SegmentUpdateDto` (plain): one subaccount segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentUpdateDto {
    /// Segment number, 1-based.
    pub segment_id: u32,
    /// Segment value, e.g. `10`.
    pub segment_value: String,
}

/// `AddressUpdateDto`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressUpdateDto {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line1: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line2: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_id: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub county: Option<DtoValue<String>>,
}

/// `ContactInfoUpdateDto`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactInfoUpdateDto {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attention: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone1: Option<DtoValue<String>>,
}

/// `CustomerUpdateDto` (create/update a customer).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerUpdateDto {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_class_id: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency_id: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit_terms_id: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corporate_id: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_registration_id: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub main_address: Option<DtoValue<AddressUpdateDto>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub main_contact: Option<DtoValue<ContactInfoUpdateDto>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_address: Option<DtoValue<AddressUpdateDto>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_contact: Option<DtoValue<ContactInfoUpdateDto>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_number_series: Option<DtoValue<bool>>,
}

/// `SupplierUpdateDto` (create/update a supplier).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SupplierUpdateDto {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supplier_class_id: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency_id: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit_terms_id: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_method_id: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corporate_id: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_registration_id: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub main_address: Option<DtoValue<AddressUpdateDto>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub main_contact: Option<DtoValue<ContactInfoUpdateDto>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_number_series: Option<DtoValue<bool>>,
}

/// `CustomerInvoiceLinesUpdateDto`; also used as `CustomerCreditNoteLineUpdateDto` (same fields we send).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerInvoiceLinesUpdateDto {
    /// Plain, not wrapped.
    pub operation: Operation,
    pub line_number: DtoValue<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inventory_number: Option<DtoValue<String>>,
    pub description: DtoValue<String>,
    pub quantity: DtoValue<DtoDecimal>,
    pub unit_price_in_currency: DtoValue<DtoDecimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manual_amount_in_currency: Option<DtoValue<DtoDecimal>>,
    pub account_number: DtoValue<String>,
    /// Plain array of segments.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subaccount: Vec<SegmentUpdateDto>,
    pub vat_code_id: DtoValue<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount_amount_in_currency: Option<DtoValue<DtoDecimal>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manual_discount: Option<DtoValue<bool>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<DtoValue<String>>,
}

/// The credit note line: the swagger's `CustomerCreditNoteLineUpdateDto` has the same fields we send.
pub type CustomerCreditNoteLineUpdateDto = CustomerInvoiceLinesUpdateDto;

/// `CustomerInvoiceUpdateDto` (`POST /v2/customerinvoice`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerInvoiceUpdateDto {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_number: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_number: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_number_series: Option<DtoValue<bool>>,
    pub document_date: DtoValue<String>,
    pub currency_id: DtoValue<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit_terms_id: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_method_id: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cash_account: Option<DtoValue<String>>,
    pub customer_ref_number: DtoValue<String>,
    pub external_reference: DtoValue<String>,
    pub invoice_text: DtoValue<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch_number: Option<DtoValue<String>>,
    pub hold: DtoValue<bool>,
    /// Plain array.
    pub invoice_lines: Vec<CustomerInvoiceLinesUpdateDto>,
    /// The VAT per VAT id as WooCommerce charged it, so Visma books it instead of recomputing (plain array).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tax_detail_lines: Vec<TaxDetailUpdateDto>,
}

/// `TaxDetailUpdateDto`: one VAT id's taxable amount and VAT (invoice `taxDetailLines`, credit note `taxDetails`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaxDetailUpdateDto {
    /// The VAT id (`vatCategoryLines[].vatId`), not the category.
    pub tax_id: DtoValue<String>,
    pub taxable_amount: DtoValue<DtoDecimal>,
    pub vat_amount: DtoValue<DtoDecimal>,
}

/// `CustomerCreditNoteUpdateDto` (`POST /v1/customerCreditNote`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerCreditNoteUpdateDto {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_number: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_number: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_number_series: Option<DtoValue<bool>>,
    pub document_date: DtoValue<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orig_invoice_date: Option<DtoValue<String>>,
    pub currency_id: DtoValue<String>,
    pub customer_ref_number: DtoValue<String>,
    pub external_reference: DtoValue<String>,
    pub invoice_text: DtoValue<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<DtoValue<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch_number: Option<DtoValue<String>>,
    pub hold: DtoValue<bool>,
    /// Plain array.
    pub lines: Vec<CustomerCreditNoteLineUpdateDto>,
    /// As the invoice's `taxDetailLines`; the credit note's field is named `taxDetails`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tax_details: Vec<TaxDetailUpdateDto>,
}

/// `PaymentLinesUpdateDto`: which document a payment settles.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentLinesUpdateDto {
    /// Plain.
    pub operation: Operation,
    /// `Invoice`.
    pub document_type: DtoValue<String>,
    /// The invoice's Visma number: known only after the invoice is created unless we numbered it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ref_nbr: Option<DtoValue<String>>,
    pub amount_paid: DtoValue<DtoDecimal>,
}

/// `PaymentUpdateDto` (`POST /v1/customerPayment`; the "CustomerPaymentUpdateDto" is named
/// `PaymentUpdateDto` in the swagger).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentUpdateDto {
    /// The credit note's number when a `CreditNote` is applied to an invoice (issue #14); else not sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_number: Option<DtoValue<String>>,
    /// `Payment`, `Refund` (money back to the customer) or `CreditNote` (a credit note applied to an invoice).
    #[serde(rename = "type")]
    pub payment_type: DtoValue<String>,
    pub hold: DtoValue<bool>,
    pub application_date: DtoValue<String>,
    pub payment_ref: DtoValue<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<DtoValue<String>>,
    /// Not sent when a credit note is applied (no money moves).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<DtoValue<String>>,
    /// Not sent when a credit note is applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cash_account: Option<DtoValue<String>>,
    pub currency: DtoValue<String>,
    pub payment_amount: DtoValue<DtoDecimal>,
    pub invoice_text: DtoValue<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<DtoValue<String>>,
    /// Plain array.
    pub payment_lines: Vec<PaymentLinesUpdateDto>,
    /// Sales orders the payment is reserved for (issue #17, sales-order mode).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub orders_to_apply: Vec<PaymentOrdersLinesUpdateDto>,
}

/// `PaymentOrdersLinesUpdateDto`: a sales order a payment is reserved for.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentOrdersLinesUpdateDto {
    /// Plain, not wrapped.
    pub operation: Operation,
    pub order_type: DtoValue<String>,
    /// Empty until Visma has numbered the order ([`PaymentUpdateDto::apply_to_order`]).
    pub order_number: DtoValue<String>,
    pub applied_to_order: DtoValue<DtoDecimal>,
}

impl PaymentUpdateDto {
    /// The Visma customer the payment is for, `""` until it is known.
    pub fn customer_number(&self) -> String {
        self.customer
            .as_ref()
            .map(|c| c.value.clone())
            .unwrap_or_default()
    }

    /// Fills in the customer and the sales order number once Visma has assigned them.
    pub fn apply_to_order(&mut self, customer_number: &str, order_type: &str, order_number: &str) {
        self.customer = Some(DtoValue {
            value: customer_number.to_owned(),
        });
        for line in &mut self.orders_to_apply {
            line.order_type.value = order_type.to_owned();
            line.order_number.value = order_number.to_owned();
        }
    }

    /// Fills in the customer and invoice number once Visma has assigned them.
    pub fn apply_to(&mut self, customer_number: &str, invoice_number: &str) {
        self.customer = Some(DtoValue {
            value: customer_number.to_owned(),
        });
        for line in &mut self.payment_lines {
            line.ref_nbr = Some(DtoValue {
                value: invoice_number.to_owned(),
            });
        }
    }
}

/// SalesOrders v3 `NewSalesOrderCustomerDto` (plain).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewSalesOrderCustomerDto {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Customer order text (max 40).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    /// Customer ref number (max 40): our document key.
    pub ref_no: String,
}

/// SalesOrders v3 `NewSalesOrderLineDto` (plain).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewSalesOrderLineDto {
    pub inventory_id: String,
    pub description: String,
    pub quantity: DtoDecimal,
    pub unit_price: DtoDecimal,
    pub has_manual_price: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount_amount: Option<DtoDecimal>,
    pub has_manual_discount: bool,
    pub tax_category_id: String,
    pub sales_account_id: String,
    /// Segment id → value.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub subaccount: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warehouse_id: Option<String>,
}

/// SalesOrders v3 `NewSalesOrderPaymentSettings` (plain).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewSalesOrderPaymentSettings {
    pub payment_method_id: String,
    pub cash_account_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_reference: Option<String>,
}

/// SalesOrders v3 `NewSalesOrderCommand` (plain JSON, `required: customer, type`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewSalesOrderCommand {
    #[serde(rename = "type")]
    pub order_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    pub override_number_series: bool,
    pub currency_id: String,
    pub date: String,
    pub description: String,
    pub customer: NewSalesOrderCustomerDto,
    pub order_lines: Vec<NewSalesOrderLineDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_settings: Option<NewSalesOrderPaymentSettings>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_serialize_as_exact_json_numbers() {
        for (text, json) in [
            ("776.79", "776.79"),
            ("-0.05", "-0.05"),
            ("1", "1.0"),
            ("0.10", "0.1"),
        ] {
            let d = DtoDecimal(Decimal::parse(text).expect("decimal"));
            assert_eq!(serde_json::to_string(&d).expect("json"), json);
        }
    }

    #[test]
    fn wrapped_fields_and_plain_operation_and_segments() {
        let line = CustomerInvoiceLinesUpdateDto {
            operation: Operation::Insert,
            line_number: DtoValue { value: 1 },
            inventory_number: None,
            description: DtoValue {
                value: "Widget".into(),
            },
            quantity: DtoValue {
                value: DtoDecimal(Decimal::new(2, 0)),
            },
            unit_price_in_currency: DtoValue {
                value: DtoDecimal(Decimal::new(10000, 2)),
            },
            manual_amount_in_currency: None,
            account_number: DtoValue {
                value: "3000".into(),
            },
            subaccount: vec![SegmentUpdateDto {
                segment_id: 1,
                segment_value: "10".into(),
            }],
            vat_code_id: DtoValue { value: "3".into() },
            discount_amount_in_currency: None,
            manual_discount: None,
            note: None,
        };
        let v = serde_json::to_value(&line).expect("json");
        assert_eq!(v["operation"], "Insert");
        assert_eq!(v["lineNumber"]["value"], 1);
        assert_eq!(v["unitPriceInCurrency"]["value"], 100.0);
        assert_eq!(v["subaccount"][0]["segmentValue"], "10");
        assert_eq!(v["vatCodeId"]["value"], "3");
        assert!(v.get("discountAmountInCurrency").is_none());
    }
}
