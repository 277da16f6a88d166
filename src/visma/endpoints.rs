//! One function per Visma.net ERP endpoint the connector uses (paths from SPEC25, NOTES §3): customers and
//! suppliers, customer invoices and credit notes, customer payments, and the lookups a settings screen needs.
//!
//! Write functions take any `Serialize` body (the value-wrapped DTOs of `visma::dto`) and return the created number
//! from the `Location` header. No mapping or business rules here: build, send, parse.

use crate::visma::client::{created_number, parse_json, Call, Client, HasMetadata, Kind, Service};
use crate::visma::error::VismaError;
use crate::visma::read::{
    AccountDto, ActionResultDto, BranchDto, CurrencyDto, CustomerCreditNoteDto, CustomerDto,
    CustomerInvoiceDto, DimensionDto, MetadataDto, PaymentDto, PaymentMethodDto, SubAccountDto,
    SupplierDto, VatCategoryDto,
};
use chrono::NaiveDateTime;
use reqwest::Method;
use serde::Serialize;

/// Page size asked for on paged lists; the server silently lowers it to its maximum (NOTES §5.6), which the
/// paging loop detects through `metadata.totalCount`.
pub const PAGE_SIZE: u32 = 1000;

macro_rules! has_metadata {
    ($($t:ty),*) => {$(
        impl HasMetadata for $t {
            fn metadata(&self) -> Option<MetadataDto> {
                self.metadata
            }
        }
    )*};
}
has_metadata!(
    CustomerDto,
    SupplierDto,
    CustomerInvoiceDto,
    CustomerCreditNoteDto,
    SubAccountDto,
    PaymentDto
);

/// `lastModifiedDateTime` + `lastModifiedDateTimeCondition=>=` (NOTES §5.6: both or neither).
fn modified_since(since: Option<NaiveDateTime>) -> Vec<(&'static str, String)> {
    since
        .map(|t| {
            vec![
                (
                    "lastModifiedDateTime",
                    t.format("%Y-%m-%dT%H:%M:%S").to_string(),
                ),
                ("lastModifiedDateTimeCondition", ">=".to_owned()),
            ]
        })
        .unwrap_or_default()
}

/// `Ok(None)` for a 404.
fn found<T>(result: Result<T, VismaError>) -> Result<Option<T>, VismaError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

impl Client {
    fn erp_create(
        &self,
        endpoint: &'static str,
        segments: &[&str],
        body: &impl Serialize,
    ) -> Result<String, VismaError> {
        let reply = self.create(endpoint, Service::Erp, segments, body)?;
        created_number(endpoint, &reply)
    }

    fn erp_action(
        &self,
        endpoint: &'static str,
        segments: &[&str],
    ) -> Result<ActionResultDto, VismaError> {
        // ONIT `InvoiceAction` posts an empty object; SPEC25 declares no body.
        let call = Call {
            endpoint,
            method: Method::POST,
            service: Service::Erp,
            segments: segments.iter().map(|s| (*s).to_owned()).collect(),
            query: Vec::new(),
            body: Some(b"{}".to_vec()),
            kind: Kind::Create,
        };
        let reply = self.send(&call)?;
        if reply.body.is_empty() {
            return Ok(ActionResultDto::default());
        }
        parse_json(endpoint, &reply)
    }

    // --- customers: /v1/customer ---

    /// `GET /v1/customer`, every page; with `since`, only customers changed at or after it (Visma's local time).
    ///
    /// # Errors
    /// Any [`VismaError`] after retries.
    pub fn list_customers(
        &self,
        since: Option<NaiveDateTime>,
    ) -> Result<Vec<CustomerDto>, VismaError> {
        let call = Call::get("customer.list", Service::Erp, &["v1", "customer"])
            .with_query(modified_since(since));
        self.list_all(call, PAGE_SIZE)
    }

    /// `GET /v1/customer/{number}`; `None` when it does not exist.
    ///
    /// # Errors
    /// Any [`VismaError`] but 404.
    pub fn get_customer(&self, number: &str) -> Result<Option<CustomerDto>, VismaError> {
        found(self.get_json(&Call::get(
            "customer.get",
            Service::Erp,
            &["v1", "customer", number],
        )))
    }

    /// `POST /v1/customer` (`CustomerUpdateDto`); returns the customer number.
    ///
    /// # Errors
    /// [`VismaError`]; check [`VismaError::is_outcome_unknown`] before creating again.
    pub fn create_customer(&self, body: &impl Serialize) -> Result<String, VismaError> {
        self.erp_create("customer.create", &["v1", "customer"], body)
    }

    /// `PUT /v1/customer/{number}` (`CustomerUpdateDto`, 204).
    ///
    /// # Errors
    /// Any [`VismaError`] after retries.
    pub fn update_customer(&self, number: &str, body: &impl Serialize) -> Result<(), VismaError> {
        self.update("customer.update", &["v1", "customer", number], body)
    }

    // --- suppliers: /v1/supplier ---

    /// `GET /v1/supplier`, every page, optionally changed since `since`.
    ///
    /// # Errors
    /// Any [`VismaError`] after retries.
    pub fn list_suppliers(
        &self,
        since: Option<NaiveDateTime>,
    ) -> Result<Vec<SupplierDto>, VismaError> {
        let call = Call::get("supplier.list", Service::Erp, &["v1", "supplier"])
            .with_query(modified_since(since));
        self.list_all(call, PAGE_SIZE)
    }

    /// `GET /v1/supplier/{number}`; `None` when it does not exist.
    ///
    /// # Errors
    /// Any [`VismaError`] but 404.
    pub fn get_supplier(&self, number: &str) -> Result<Option<SupplierDto>, VismaError> {
        found(self.get_json(&Call::get(
            "supplier.get",
            Service::Erp,
            &["v1", "supplier", number],
        )))
    }

    /// `POST /v1/supplier` (`SupplierUpdateDto`); returns the supplier number.
    ///
    /// # Errors
    /// [`VismaError`]; check [`VismaError::is_outcome_unknown`] before creating again.
    pub fn create_supplier(&self, body: &impl Serialize) -> Result<String, VismaError> {
        self.erp_create("supplier.create", &["v1", "supplier"], body)
    }

    /// `PUT /v1/supplier/{number}` (`SupplierUpdateDto`, 204).
    ///
    /// # Errors
    /// Any [`VismaError`] after retries.
    pub fn update_supplier(&self, number: &str, body: &impl Serialize) -> Result<(), VismaError> {
        self.update("supplier.update", &["v1", "supplier", number], body)
    }

    // --- customer invoices: /v2/customerinvoice (create), /v1/customerinvoice ---

    /// `POST /v2/customerinvoice` (`CustomerInvoiceUpdateDto`); returns the invoice number. Prefer
    /// [`Client::create_invoice_once`], which never creates a duplicate.
    ///
    /// # Errors
    /// [`VismaError`]; check [`VismaError::is_outcome_unknown`] before creating again.
    pub fn create_invoice(&self, body: &impl Serialize) -> Result<String, VismaError> {
        self.erp_create("customerinvoice.create", &["v2", "customerinvoice"], body)
    }

    /// `GET /v1/customerinvoice/{number}`; `None` when it does not exist.
    ///
    /// # Errors
    /// Any [`VismaError`] but 404.
    pub fn get_invoice(&self, number: &str) -> Result<Option<CustomerInvoiceDto>, VismaError> {
        found(self.get_json(&Call::get(
            "customerinvoice.get",
            Service::Erp,
            &["v1", "customerinvoice", number],
        )))
    }

    /// `GET /v1/customerinvoice?externalReference=…`, every page, keeping exact matches only.
    ///
    /// # Errors
    /// Any [`VismaError`] after retries.
    pub fn find_invoices_by_external_reference(
        &self,
        key: &str,
    ) -> Result<Vec<CustomerInvoiceDto>, VismaError> {
        let call = Call::get(
            "customerinvoice.list",
            Service::Erp,
            &["v1", "customerinvoice"],
        )
        .with_query(vec![("externalReference", key.to_owned())]);
        let all: Vec<CustomerInvoiceDto> = self.list_all(call, PAGE_SIZE)?;
        Ok(all
            .into_iter()
            .filter(|i| i.external_reference.as_deref() == Some(key))
            .collect())
    }

    /// `GET /v1/customerinvoice?customerRefNumber=…`, every page, keeping exact matches only.
    ///
    /// # Errors
    /// Any [`VismaError`] after retries.
    pub fn find_invoices_by_customer_ref(
        &self,
        key: &str,
    ) -> Result<Vec<CustomerInvoiceDto>, VismaError> {
        let call = Call::get(
            "customerinvoice.list",
            Service::Erp,
            &["v1", "customerinvoice"],
        )
        .with_query(vec![("customerRefNumber", key.to_owned())]);
        let all: Vec<CustomerInvoiceDto> = self.list_all(call, PAGE_SIZE)?;
        Ok(all
            .into_iter()
            .filter(|i| i.customer_ref_number.as_deref() == Some(key))
            .collect())
    }

    /// `GET /v1/customerinvoice?documentDate={from}&documentDateCondition=>=&expandTaxDetails=true`, every page: the
    /// invoices dated on or after `from` (`YYYY-MM-DD`), with their VAT per VAT id (for reconciliation).
    ///
    /// # Errors
    /// Any [`VismaError`] after retries.
    pub fn list_invoices_from(&self, from: &str) -> Result<Vec<CustomerInvoiceDto>, VismaError> {
        let call = Call::get(
            "customerinvoice.list",
            Service::Erp,
            &["v1", "customerinvoice"],
        )
        .with_query(vec![
            ("documentDate", from.to_owned()),
            ("documentDateCondition", ">=".to_owned()),
            ("expandTaxDetails", "true".to_owned()),
        ]);
        self.list_all(call, PAGE_SIZE)
    }

    /// `POST /v1/customerinvoice/{number}/action/release`.
    ///
    /// # Errors
    /// [`VismaError`]; a release whose outcome is unknown is reported, not re-sent.
    pub fn release_invoice(&self, number: &str) -> Result<ActionResultDto, VismaError> {
        self.erp_action(
            "customerinvoice.release",
            &["v1", "customerinvoice", number, "action", "release"],
        )
    }

    // --- customer credit notes: /v2/customerCreditNote (create), /v1/customerCreditNote ---

    /// `POST /v2/customerCreditNote` (`CustomerCreditNoteUpdateDto`); returns the credit note number. Prefer
    /// [`Client::create_credit_note_once`].
    ///
    /// # Errors
    /// [`VismaError`]; check [`VismaError::is_outcome_unknown`] before creating again.
    pub fn create_credit_note(&self, body: &impl Serialize) -> Result<String, VismaError> {
        self.erp_create(
            "customercreditnote.create",
            &["v2", "customerCreditNote"],
            body,
        )
    }

    /// `GET /v1/customerCreditNote/{number}`; `None` when it does not exist.
    ///
    /// # Errors
    /// Any [`VismaError`] but 404.
    pub fn get_credit_note(
        &self,
        number: &str,
    ) -> Result<Option<CustomerCreditNoteDto>, VismaError> {
        let call = Call::get(
            "customercreditnote.get",
            Service::Erp,
            &["v1", "customerCreditNote", number],
        );
        found(self.get_json(&call))
    }

    /// `GET /v1/customerCreditNote?externalReference=…`, every page, exact matches only.
    ///
    /// # Errors
    /// Any [`VismaError`] after retries.
    pub fn find_credit_notes_by_external_reference(
        &self,
        key: &str,
    ) -> Result<Vec<CustomerCreditNoteDto>, VismaError> {
        let call = Call::get(
            "customercreditnote.list",
            Service::Erp,
            &["v1", "customerCreditNote"],
        )
        .with_query(vec![("externalReference", key.to_owned())]);
        let all: Vec<CustomerCreditNoteDto> = self.list_all(call, PAGE_SIZE)?;
        Ok(all
            .into_iter()
            .filter(|c| c.external_reference.as_deref() == Some(key))
            .collect())
    }

    /// `GET /v1/customerCreditNote?documentDate={from}&documentDateCondition=>=`, every page (for reconciliation).
    ///
    /// # Errors
    /// Any [`VismaError`] after retries.
    pub fn list_credit_notes_from(
        &self,
        from: &str,
    ) -> Result<Vec<CustomerCreditNoteDto>, VismaError> {
        let call = Call::get(
            "customercreditnote.list",
            Service::Erp,
            &["v1", "customerCreditNote"],
        )
        .with_query(vec![
            ("documentDate", from.to_owned()),
            ("documentDateCondition", ">=".to_owned()),
            ("expandTaxDetails", "true".to_owned()),
        ]);
        self.list_all(call, PAGE_SIZE)
    }

    /// `POST /v1/customerCreditNote/{number}/action/release`.
    ///
    /// # Errors
    /// [`VismaError`]; a release whose outcome is unknown is reported, not re-sent.
    pub fn release_credit_note(&self, number: &str) -> Result<ActionResultDto, VismaError> {
        self.erp_action(
            "customercreditnote.release",
            &["v1", "customerCreditNote", number, "action", "release"],
        )
    }

    // --- customer payments: /v1/customerPayment (SPEC25 spelling) ---

    /// `POST /v1/customerPayment` (`PaymentUpdateDto`); returns the payment number.
    ///
    /// # Errors
    /// [`VismaError`]; check [`VismaError::is_outcome_unknown`] before creating again.
    pub fn create_customer_payment(&self, body: &impl Serialize) -> Result<String, VismaError> {
        self.erp_create("customerpayment.create", &["v1", "customerPayment"], body)
    }

    /// `GET /v1/customerPayment/{number}`; `None` when it does not exist.
    ///
    /// # Errors
    /// Any [`VismaError`] but 404.
    pub fn get_customer_payment(&self, number: &str) -> Result<Option<PaymentDto>, VismaError> {
        found(self.get_json(&Call::get(
            "customerpayment.get",
            Service::Erp,
            &["v1", "customerPayment", number],
        )))
    }

    /// `GET /v1/customerPayment?invoiceRefNbr=…`, every page: the payments, refunds and credit note applications
    /// whose lines settle `document` (an invoice or a credit note).
    ///
    /// # Errors
    /// Any [`VismaError`] after retries.
    pub fn find_payments_applied_to(&self, document: &str) -> Result<Vec<PaymentDto>, VismaError> {
        let call = Call::get(
            "customerpayment.list",
            Service::Erp,
            &["v1", "customerPayment"],
        )
        .with_query(vec![("invoiceRefNbr", document.to_owned())]);
        let all: Vec<PaymentDto> = self.list_all(call, PAGE_SIZE)?;
        Ok(all
            .into_iter()
            .filter(|p| {
                p.payment_lines
                    .iter()
                    .any(|l| l.ref_nbr.as_deref() == Some(document))
            })
            .collect())
    }

    /// `GET /v1/customerPayment?customer=…&paymentType=Payment`, every page: the customer's payments reserved for
    /// the sales order `order_type order_no` (issue #17; SPEC25 has no order filter, so the customer's are read).
    ///
    /// # Errors
    /// Any [`VismaError`] after retries.
    pub fn find_payments_reserved_for(
        &self,
        customer: &str,
        order_type: &str,
        order_no: &str,
    ) -> Result<Vec<PaymentDto>, VismaError> {
        let call = Call::get(
            "customerpayment.list",
            Service::Erp,
            &["v1", "customerPayment"],
        )
        .with_query(vec![
            ("customer", customer.to_owned()),
            ("paymentType", "Payment".to_owned()),
        ]);
        let all: Vec<PaymentDto> = self.list_all(call, PAGE_SIZE)?;
        Ok(all
            .into_iter()
            .filter(|p| {
                p.orders_to_apply.iter().any(|o| {
                    o.order_type.as_deref() == Some(order_type)
                        && o.order_no.as_deref() == Some(order_no)
                })
            })
            .collect())
    }

    /// `GET /v1/customerPayment?invoiceRefNbr=…`, every page: the numbers of the payments applied to `invoice`.
    ///
    /// # Errors
    /// Any [`VismaError`] after retries.
    pub fn find_payments_for_invoice(&self, invoice: &str) -> Result<Vec<String>, VismaError> {
        Ok(self
            .find_payments_applied_to(invoice)?
            .into_iter()
            .filter_map(|p| p.ref_nbr)
            .collect())
    }

    /// `POST /v1/customerPayment/{number}/action/release`.
    ///
    /// # Errors
    /// [`VismaError`]; a release whose outcome is unknown is reported, not re-sent.
    pub fn release_customer_payment(&self, number: &str) -> Result<ActionResultDto, VismaError> {
        self.erp_action(
            "customerpayment.release",
            &["v1", "customerPayment", number, "action", "release"],
        )
    }

    // --- lookups for the settings screen ---

    /// `GET /v1/account` (not paged, SPEC25).
    ///
    /// # Errors
    /// Any [`VismaError`] after retries.
    pub fn list_accounts(&self) -> Result<Vec<AccountDto>, VismaError> {
        self.get_json(&Call::get("account.list", Service::Erp, &["v1", "account"]))
    }

    /// `GET /v1/subaccount`, every page.
    ///
    /// # Errors
    /// Any [`VismaError`] after retries.
    pub fn list_subaccounts(&self) -> Result<Vec<SubAccountDto>, VismaError> {
        self.list_all(
            Call::get("subaccount.list", Service::Erp, &["v1", "subaccount"]),
            PAGE_SIZE,
        )
    }

    /// `GET /v1/dimension/{id}?expandSegmentsValues=true`: segments with their values (e.g. `SUBACCOUNT`).
    ///
    /// # Errors
    /// Any [`VismaError`] after retries (404 for an unknown dimension).
    pub fn get_dimension(&self, dimension_id: &str) -> Result<DimensionDto, VismaError> {
        let call = Call::get(
            "dimension.get",
            Service::Erp,
            &["v1", "dimension", dimension_id],
        )
        .with_query(vec![("expandSegmentsValues", "true".to_owned())]);
        self.get_json(&call)
    }

    /// `GET /v1/vatCategory`.
    ///
    /// # Errors
    /// Any [`VismaError`] after retries.
    pub fn list_vat_categories(&self) -> Result<Vec<VatCategoryDto>, VismaError> {
        self.get_json(&Call::get(
            "vatcategory.list",
            Service::Erp,
            &["v1", "vatCategory"],
        ))
    }

    /// `GET /v1/currency`.
    ///
    /// # Errors
    /// Any [`VismaError`] after retries.
    pub fn list_currencies(&self) -> Result<Vec<CurrencyDto>, VismaError> {
        self.get_json(&Call::get(
            "currency.list",
            Service::Erp,
            &["v1", "currency"],
        ))
    }

    /// `GET /v1/paymentmethod`.
    ///
    /// # Errors
    /// Any [`VismaError`] after retries.
    pub fn list_payment_methods(&self) -> Result<Vec<PaymentMethodDto>, VismaError> {
        self.get_json(&Call::get(
            "paymentmethod.list",
            Service::Erp,
            &["v1", "paymentmethod"],
        ))
    }

    /// `GET /v1/branch`.
    ///
    /// # Errors
    /// Any [`VismaError`] after retries.
    pub fn list_branches(&self) -> Result<Vec<BranchDto>, VismaError> {
        self.get_json(&Call::get("branch.list", Service::Erp, &["v1", "branch"]))
    }
}
