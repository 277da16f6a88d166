//! PURE mapping of WooCommerce orders, refunds and customers to Visma.net documents:
//! `(&woo::Order, &Settings) -> OrderDocuments`, `(&woo::Refund, &woo::Order, &Settings) -> CreditNoteDocument`.
//! No I/O, no clock, no env, no globals: everything comes in as arguments.
//!
//! The invariant: the document's totals computed THE WAY VISMA COMPUTES THEM ([`totals::visma_totals`]) give
//! WooCommerce's gross (`total` / refund `amount`) to the minor unit. Every line's net equals WooCommerce's
//! line `total`; where Visma's per-category VAT rounding differs from WooCommerce's, an explicit rounding line
//! (rounding account, 0 % category) carries the difference and [`Rounding`] reports it. Without a rounding
//! account that is a [`MappingError`]. Nothing is adjusted silently.

pub mod accounts;
pub mod cancellation;
pub mod credit_note;
pub mod customer;
pub mod invoice;
pub mod lines;
pub mod payment;
pub mod preview;
pub mod sales_order;
pub mod settlement;
pub mod tax_details;
pub mod text;
pub mod totals;
pub mod vat;

pub use credit_note::{map_refund, CreditNoteDocument};
pub use customer::{map_customer, map_order_customer, Party};
pub use invoice::{map_order, should_map};
pub use preview::preview;
pub use totals::{credit_note_totals, invoice_totals, visma_totals, Totals, VatDifference};

use crate::money::{MoneyError, VatRate};
use crate::visma::dto::{
    CustomerInvoiceUpdateDto, CustomerUpdateDto, DtoValue, NewSalesOrderCommand, PaymentUpdateDto,
};

/// Why a WooCommerce document cannot become a Visma document. Each variant names the document
/// (`order 70`, `refund 367 of order 70`), the line where relevant and the missing key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    /// The currency is not allowed in settings or its decimals are unknown.
    #[error("{doc}: currency {code:?} is not configured (settings `currencies`)")]
    Currency {
        /// Document.
        doc: String,
        /// ISO code received.
        code: String,
    },
    /// An amount is not a number or out of range.
    #[error("{doc}, {line}: field `{field}` is not a valid amount: {source}")]
    Amount {
        /// Document.
        doc: String,
        /// Line (`line_items[0] id 239 "Kinobillett"`) or `order`.
        line: String,
        /// WooCommerce field name.
        field: &'static str,
        /// Parser error.
        #[source]
        source: MoneyError,
    },
    /// A WooCommerce tax rate has no Visma VAT category.
    #[error("{doc}, {line}: WooCommerce tax rate id {rate_id} ({rate_percent} %, {country}) has no entry in settings `vat.rates`")]
    MissingVatMapping {
        /// Document.
        doc: String,
        /// Line.
        line: String,
        /// WooCommerce rate id.
        rate_id: i64,
        /// Rate in per cent as WooCommerce reports it ("?" if unknown).
        rate_percent: String,
        /// Destination country.
        country: String,
    },
    /// The mapped Visma category's rate differs from WooCommerce's rate: the wrong VAT code.
    #[error("{doc}, {line}: WooCommerce rate id {rate_id} is {woo_rate} but Visma category {category:?} is {visma_rate}")]
    VatRateMismatch {
        /// Document.
        doc: String,
        /// Line.
        line: String,
        /// WooCommerce rate id.
        rate_id: i64,
        /// WooCommerce's rate.
        woo_rate: VatRate,
        /// Mapped category.
        category: String,
        /// The category's rate in settings.
        visma_rate: VatRate,
    },
    /// A paid order's gateway has no Visma payment method.
    #[error("{doc}: payment gateway {gateway:?} has no entry in settings `payment_methods`")]
    MissingPaymentMethod {
        /// Document.
        doc: String,
        /// WooCommerce gateway id.
        gateway: String,
    },
    /// Visma's rounding would leave a residue and no rounding account is configured.
    #[error("{doc}: Visma's VAT rounding leaves {residue} against WooCommerce's total; configure `accounts.rounding` to post it on an explicit rounding line")]
    NoRoundingAccount {
        /// Document.
        doc: String,
        /// The residue, e.g. `0.01 NOK`.
        residue: String,
    },
    /// The residue is larger than rounding can explain: the order's own totals disagree.
    #[error("{doc}: the lines and VAT differ from WooCommerce's total by {residue}, more than rounding ({limit}) can explain")]
    ResidueTooLarge {
        /// Document.
        doc: String,
        /// The residue.
        residue: String,
        /// The largest residue accepted as rounding.
        limit: String,
    },
    /// A date needed for the document is missing or malformed.
    #[error("{doc}: field `{field}` is not a WooCommerce date ({value:?})")]
    Date {
        /// Document.
        doc: String,
        /// WooCommerce field.
        field: &'static str,
        /// What was there.
        value: String,
    },
    /// A per-email customer needs the order's billing email.
    #[error(
        "{doc}: billing email is empty (settings `customer.identity = \"per_email\"` needs it)"
    )]
    MissingEmail {
        /// Document.
        doc: String,
    },
    /// The refund does not belong to the order, or refunds more than it can.
    #[error("{doc}: {problem}")]
    Refund {
        /// Document.
        doc: String,
        /// What is wrong.
        problem: String,
    },
    /// A Visma id the document needs was never chosen (issue #14: no built-in example id stands in for it).
    #[error("{doc}: settings `{key}` is not set; choose it in the settings (it must be an id of your Visma company)")]
    MissingSetting {
        /// Document.
        doc: String,
        /// Dotted settings key, e.g. `accounts.shipping`.
        key: &'static str,
    },
    /// The document type asks for something this order cannot give (e.g. a sales order line without SKU).
    #[error("{doc}, {line}: {problem}")]
    Unsupported {
        /// Document.
        doc: String,
        /// Line.
        line: String,
        /// What is missing.
        problem: String,
    },
}

impl MappingError {
    /// Never: the same input maps the same way until the order or the settings change.
    pub fn is_retryable(&self) -> bool {
        false
    }
}

/// The explicit rounding line a document carries, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rounding {
    /// Amount of the rounding line in minor units (either sign; 0 % VAT, so it moves only the gross).
    pub amount_minor: i64,
    /// Visma's VAT (per category, rounded) minus WooCommerce's `total_tax`.
    pub vat_difference_minor: i64,
    /// Human text for the audit: `"rounding 0.01 NOK: Visma VAT 1210.66 vs WooCommerce 1210.67"`.
    pub explanation: String,
}

/// The sales document an order becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum SalesDocument {
    /// A customer invoice (`POST /v2/customerinvoice`).
    Invoice(CustomerInvoiceUpdateDto),
    /// A SalesOrders v3 order.
    SalesOrder(NewSalesOrderCommand),
}

/// How the engine finds or creates the order's Visma customer before posting the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRef {
    /// The Visma customer number when it is known from settings (generic customer, prefix numbering);
    /// `None` when Visma's series assigns it: look it up by `email_key`, else create `customer` and read
    /// the number from `Location`, then set it on the document.
    pub number: Option<String>,
    /// Normalised (trimmed, lower-case) billing email, the match key for per-email customers.
    pub email_key: String,
    /// Customer text cut to fit Visma (issue #15), for the audit.
    pub cuts: Vec<String>,
}

/// Everything one order becomes, ready for the engine to post in order: customer, document, payment.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderDocuments {
    /// The store-unique key `woo:{store}:{order id}` (invoice `externalReference` and `customerRefNumber`).
    pub key: String,
    /// The customer to match or create.
    pub customer_ref: CustomerRef,
    /// The customer body (create or update) for `customer_ref`; `None` for the generic customer.
    pub customer: Option<CustomerUpdateDto>,
    /// The invoice or sales order.
    pub document: SalesDocument,
    /// A customer payment when the order is paid and `invoice.post_payments` is on; the engine calls
    /// `apply_to(customer, invoice number)` once both exist.
    pub payment: Option<PaymentUpdateDto>,
    /// Visma's totals of the document (after the rounding line).
    pub totals: Totals,
    /// The rounding line added, if any.
    pub rounding: Option<Rounding>,
    /// VAT categories where Visma's VAT differs from WooCommerce's tax (also written to the invoice note).
    pub vat_differences: Vec<VatDifference>,
    /// A VAT decision the accountant should see in the audit (total_tax chosen over the per-rate sum).
    pub vat_note: Option<String>,
    /// Text cut to fit Visma (issue #15): the customer's and the document's, for the audit.
    pub cuts: Vec<String>,
}

impl OrderDocuments {
    /// Sets the Visma customer number (found by `customer_ref.email_key` or read from the create
    /// response's `Location`) on the document and the payment. Post order: customer → document →
    /// payment (after [`crate::visma::dto::PaymentUpdateDto::apply_to`] with the invoice number).
    pub fn set_customer_number(&mut self, number: &str) {
        self.customer_ref.number = Some(number.to_owned());
        match &mut self.document {
            SalesDocument::Invoice(inv) => {
                inv.customer_number = Some(DtoValue {
                    value: number.to_owned(),
                })
            }
            SalesDocument::SalesOrder(so) => so.customer.id = Some(number.to_owned()),
        }
        if let Some(p) = &mut self.payment {
            p.customer = Some(DtoValue {
                value: number.to_owned(),
            });
        }
    }
}

impl CreditNoteDocument {
    /// Sets the Visma customer number on the credit note (the order's customer).
    pub fn set_customer_number(&mut self, number: &str) {
        self.customer_ref.number = Some(number.to_owned());
        self.credit_note.customer_number = Some(DtoValue {
            value: number.to_owned(),
        });
    }
}

/// `woo:{store}:{order id}`.
pub fn order_key(store: &str, order_id: i64) -> String {
    format!("woo:{store}:{order_id}")
}

/// `woo:{store}:refund:{refund id}`.
pub fn refund_key(store: &str, refund_id: i64) -> String {
    format!("woo:{store}:refund:{refund_id}")
}

/// `YYYY-MM-DDT00:00:00` from a WooCommerce local date-time; the date only, so no time zone can shift it.
pub(crate) fn document_date(
    doc: &str,
    field: &'static str,
    value: &str,
) -> Result<String, MappingError> {
    let date = value.get(..10).unwrap_or("");
    let ok = date.len() == 10
        && date.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if ok {
        Ok(format!("{date}T00:00:00"))
    } else {
        Err(MappingError::Date {
            doc: doc.to_owned(),
            field,
            value: value.to_owned(),
        })
    }
}
