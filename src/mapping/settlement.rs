//! How a credit note is settled so the customer's balance in Visma is right (issue #14). Pure, no I/O.
//!
//! - The order was paid: the shop gave the money back, so a customer refund (`PaymentUpdateDto` type `Refund`)
//!   from the gateway's cash account is applied to the credit note — both end closed.
//! - The order was not paid: the credit note lowers what the customer owes, so it is applied to the invoice
//!   (type `CreditNote`, `referenceNumber` = the credit note; no money moves, no payment method).
//!
//! The engine decides which (it knows whether it posted the order's payment and what the invoice still owes);
//! this module only builds the bodies.

use super::{document_date, MappingError};
use crate::money::{Currency, Decimal};
use crate::settings::Settings;
use crate::visma::dto::{
    val, DtoDecimal, DtoValue, Operation, PaymentLinesUpdateDto, PaymentUpdateDto,
};
use crate::woo::Order;

/// What a settlement needs to know besides the order.
#[derive(Debug, Clone)]
pub struct SettlementFacts<'a> {
    /// The credit note's document key (`woo:{store}:refund:{id}`), for the payment reference.
    pub key: &'a str,
    /// The Visma customer.
    pub customer: &'a str,
    /// The credit note's number.
    pub credit_note: &'a str,
    /// The amount to settle, in minor units (positive).
    pub amount_minor: i64,
    /// The document currency.
    pub currency: Currency,
    /// The refund's (or cancellation's) date, WooCommerce local time.
    pub date: &'a str,
}

fn amount(facts: &SettlementFacts<'_>) -> DtoDecimal {
    DtoDecimal(Decimal::from_minor(
        facts.amount_minor,
        facts.currency.decimals(),
    ))
}

/// A customer refund applied to the credit note: the money the shop paid back, from the gateway's cash account.
///
/// # Errors
/// [`MappingError::MissingPaymentMethod`] when the order's gateway has no payment method and cash account;
/// [`MappingError::Date`] for a bad date.
pub fn refund_payment(
    order: &Order,
    settings: &Settings,
    facts: &SettlementFacts<'_>,
) -> Result<PaymentUpdateDto, MappingError> {
    let doc = format!("order {}", order.id);
    let method = settings
        .payment_methods
        .get(&order.payment_method)
        .ok_or_else(|| MappingError::MissingPaymentMethod {
            doc: doc.clone(),
            gateway: order.payment_method.clone(),
        })?;
    let amount = amount(facts);
    Ok(PaymentUpdateDto {
        reference_number: None,
        payment_type: DtoValue {
            value: "Refund".to_owned(),
        },
        hold: DtoValue { value: false },
        application_date: DtoValue {
            value: document_date(&doc, "date_created", facts.date)?,
        },
        payment_ref: DtoValue {
            value: facts.key.to_owned(),
        },
        customer: val(facts.customer.to_owned()),
        payment_method: val(method.payment_method_id.clone()),
        cash_account: val(method.cash_account.clone()),
        currency: DtoValue {
            value: facts.currency.code().to_owned(),
        },
        payment_amount: DtoValue { value: amount },
        invoice_text: DtoValue {
            value: format!(
                "Refund to the customer of WooCommerce order {} ({})",
                order.number, facts.key
            ),
        },
        branch: settings.invoice.branch_number.clone().and_then(val),
        payment_lines: vec![PaymentLinesUpdateDto {
            operation: Operation::Insert,
            document_type: DtoValue {
                value: "CreditNote".to_owned(),
            },
            ref_nbr: val(facts.credit_note.to_owned()),
            amount_paid: DtoValue { value: amount },
        }],
        orders_to_apply: Vec::new(),
    })
}

/// The credit note applied to the unpaid `invoice`.
///
/// # Errors
/// [`MappingError::Date`] for a bad date.
pub fn credit_application(
    order: &Order,
    settings: &Settings,
    facts: &SettlementFacts<'_>,
    invoice: &str,
) -> Result<PaymentUpdateDto, MappingError> {
    let doc = format!("order {}", order.id);
    let amount = amount(facts);
    Ok(PaymentUpdateDto {
        reference_number: val(facts.credit_note.to_owned()),
        payment_type: DtoValue {
            value: "CreditNote".to_owned(),
        },
        hold: DtoValue { value: false },
        application_date: DtoValue {
            value: document_date(&doc, "date_created", facts.date)?,
        },
        payment_ref: DtoValue {
            value: facts.key.to_owned(),
        },
        customer: val(facts.customer.to_owned()),
        payment_method: None,
        cash_account: None,
        currency: DtoValue {
            value: facts.currency.code().to_owned(),
        },
        payment_amount: DtoValue { value: amount },
        invoice_text: DtoValue {
            value: format!(
                "Credit note {} applied to invoice {invoice} (WooCommerce order {})",
                facts.credit_note, order.number
            ),
        },
        branch: settings.invoice.branch_number.clone().and_then(val),
        payment_lines: vec![PaymentLinesUpdateDto {
            operation: Operation::Insert,
            document_type: DtoValue {
                value: "Invoice".to_owned(),
            },
            ref_nbr: val(invoice.to_owned()),
            amount_paid: DtoValue { value: amount },
        }],
        orders_to_apply: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> Order {
        let text = include_str!("../../tests/fixtures/woo/real/orders/70.json");
        Order::from_json(text.as_bytes()).expect("real order 70")
    }

    fn facts(currency: Currency) -> SettlementFacts<'static> {
        SettlementFacts {
            key: "woo:default:refund:71",
            customer: "10001",
            credit_note: "CN0001",
            amount_minor: 12_345,
            currency,
            date: "2026-11-24T10:00:00",
        }
    }

    #[test]
    fn a_paid_orders_refund_pays_the_money_back_against_the_credit_note() {
        let settings = Settings::example().expect("settings");
        let nok = Currency::parse("NOK", &[]).expect("NOK");
        let mut o = order();
        o.payment_method = "bacs".to_owned();
        let p = refund_payment(&o, &settings, &facts(nok)).expect("refund");
        let json = serde_json::to_value(&p).expect("json");
        assert_eq!(json["type"]["value"], "Refund");
        assert_eq!(json["paymentMethod"]["value"], "BANK");
        assert_eq!(
            json["paymentLines"][0]["documentType"]["value"],
            "CreditNote"
        );
        assert_eq!(json["paymentLines"][0]["refNbr"]["value"], "CN0001");
        assert_eq!(json["paymentAmount"]["value"], 123.45);
        o.payment_method = "stripe".to_owned();
        assert!(matches!(
            refund_payment(&o, &settings, &facts(nok)),
            Err(MappingError::MissingPaymentMethod { .. })
        ));
    }

    #[test]
    fn an_unpaid_orders_refund_applies_the_credit_note_to_the_invoice() {
        let settings = Settings::example().expect("settings");
        let nok = Currency::parse("NOK", &[]).expect("NOK");
        let p = credit_application(&order(), &settings, &facts(nok), "INV0001").expect("apply");
        let json = serde_json::to_value(&p).expect("json");
        assert_eq!(json["type"]["value"], "CreditNote");
        assert_eq!(json["referenceNumber"]["value"], "CN0001");
        assert!(json.get("paymentMethod").is_none());
        assert!(json.get("cashAccount").is_none());
        assert_eq!(json["paymentLines"][0]["documentType"]["value"], "Invoice");
        assert_eq!(json["paymentLines"][0]["refNbr"]["value"], "INV0001");
    }
}
