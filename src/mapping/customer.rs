//! WooCommerce customers (registered, or a guest's order billing) → Visma `CustomerUpdateDto` /
//! `SupplierUpdateDto`, plus the reference the engine uses to find or create the customer. Pure, no I/O.
//!
//! woo billing.company (else first + last name) → name; billing address → mainAddress; shipping → delivery;
//! billing email/phone → mainContact; meta `customer.vat_number_meta_keys` → vatRegistrationId (and, in the
//! base country, its digits → corporateId, the org number).

use super::text::{self, Cuts};
use super::{CustomerRef, MappingError};
use crate::settings::{BusinessModel, CustomerIdentity, CustomerNumbering, Settings};
use crate::visma::dto::{
    val, AddressUpdateDto, ContactInfoUpdateDto, CustomerUpdateDto, SupplierUpdateDto,
};
use crate::woo::{meta_text, Address, Customer, Meta, Order};

/// A Visma customer or supplier body, per settings `business_model`.
#[derive(Debug, Clone, PartialEq)]
pub enum Party {
    /// `CustomerUpdateDto`.
    Customer(Box<CustomerUpdateDto>),
    /// `SupplierUpdateDto`.
    Supplier(Box<SupplierUpdateDto>),
}

/// The buyer's VAT/org number from the first configured meta key that is non-empty.
pub fn vat_number(meta: &[Meta], settings: &Settings) -> Option<String> {
    settings
        .customer
        .vat_number_meta_keys
        .iter()
        .find_map(|k| meta_text(meta, k))
        .map(str::to_owned)
}

fn opt(s: &str) -> Option<crate::visma::dto::DtoValue<String>> {
    let t = s.trim();
    if t.is_empty() {
        None
    } else {
        val(t.to_owned())
    }
}

fn address(a: &Address) -> AddressUpdateDto {
    AddressUpdateDto {
        address_line1: opt(&a.address_1),
        address_line2: opt(&a.address_2),
        postal_code: opt(&a.postcode),
        city: opt(&a.city),
        country_id: opt(&a.country.to_ascii_uppercase()),
        county: opt(&a.state),
    }
}

fn contact(name: &str, a: &Address, email: &str) -> ContactInfoUpdateDto {
    ContactInfoUpdateDto {
        name: opt(name),
        attention: opt(&a.full_name()),
        email: opt(email),
        phone1: opt(&a.phone),
    }
}

/// The address with each field cleaned and cut to Visma's length ([`super::text`]); cuts are named by `which`.
fn fitted(a: &Address, which: &str, cuts: &mut Cuts) -> Address {
    let mut fit = |field: &str, value: &str, max| cuts.fit(&format!("{which} {field}"), value, max);
    Address {
        first_name: fit("first name", &a.first_name, text::NAME),
        last_name: fit("last name", &a.last_name, text::NAME),
        company: fit("company", &a.company, text::NAME),
        address_1: fit("address line 1", &a.address_1, text::ADDRESS_LINE),
        address_2: fit("address line 2", &a.address_2, text::ADDRESS_LINE),
        city: fit("city", &a.city, text::ADDRESS_LINE),
        state: fit("state", &a.state, text::ADDRESS_LINE),
        postcode: fit("postcode", &a.postcode, text::POSTAL_CODE),
        country: a.country.clone(),
        email: fit("e-mail", &a.email, text::NAME),
        phone: fit("phone", &a.phone, text::PHONE),
    }
}

struct PartyFields {
    number: Option<String>,
    name: String,
    billing: Address,
    shipping: Address,
    email: String,
    vat: Option<String>,
}

fn fields_to_customer(f: &PartyFields, settings: &Settings) -> CustomerUpdateDto {
    let country = f.billing.country.trim().to_ascii_uppercase();
    let domestic = country.is_empty() || country == settings.base_country;
    let class = if domestic {
        &settings.customer.class_id
    } else {
        &settings.customer.foreign_class_id
    };
    let corporate = f
        .vat
        .as_deref()
        .filter(|_| domestic)
        .map(|v| v.chars().filter(char::is_ascii_digit).collect::<String>());
    CustomerUpdateDto {
        number: f.number.clone().and_then(val),
        name: opt(&f.name),
        status: val("Active".to_owned()),
        customer_class_id: class.as_deref().and_then(opt),
        currency_id: None,
        credit_terms_id: settings.customer.credit_terms_id.as_deref().and_then(opt),
        corporate_id: corporate.as_deref().and_then(opt),
        vat_registration_id: f.vat.as_deref().and_then(opt),
        main_address: val(address(&f.billing)),
        main_contact: val(contact(&f.name, &f.billing, &f.email)),
        delivery_address: (!f.shipping.is_empty())
            .then(|| address(&f.shipping))
            .and_then(val),
        delivery_contact: (!f.shipping.is_empty())
            .then(|| contact(&f.shipping.full_name(), &f.shipping, ""))
            .and_then(val),
        override_number_series: f.number.as_ref().and_then(|_| val(true)),
    }
}

fn fields_to_supplier(f: &PartyFields, settings: &Settings) -> SupplierUpdateDto {
    let c = fields_to_customer(f, settings);
    let s = &settings.supplier;
    SupplierUpdateDto {
        number: c.number,
        name: c.name,
        status: c.status,
        // Issues #14/#17: the merchant's supplier class, terms and payment method, never the customer ones.
        supplier_class_id: s.class_id.as_deref().and_then(opt),
        currency_id: None,
        credit_terms_id: s.credit_terms_id.as_deref().and_then(opt),
        payment_method_id: s.payment_method_id.as_deref().and_then(opt),
        corporate_id: c.corporate_id,
        vat_registration_id: c.vat_registration_id,
        main_address: c.main_address,
        main_contact: c.main_contact,
        override_number_series: c.override_number_series,
    }
}

fn display_name(a: &Address, email: &str) -> String {
    let company = a.company.trim();
    if !company.is_empty() {
        return company.to_owned();
    }
    let name = a.full_name();
    if name.is_empty() {
        email.trim().to_owned()
    } else {
        name
    }
}

/// A registered WooCommerce customer → Visma customer or supplier (settings `business_model`).
///
/// # Errors
/// [`MappingError::MissingEmail`] when the customer has no email at all.
pub fn map_customer(
    customer: &Customer,
    settings: &Settings,
) -> Result<(CustomerRef, Party), MappingError> {
    let email = if customer.billing.email.trim().is_empty() {
        &customer.email
    } else {
        &customer.billing.email
    };
    if email.trim().is_empty() {
        return Err(MappingError::MissingEmail {
            doc: format!("customer {}", customer.id),
        });
    }
    let number = match (settings.business_model, settings.customer.numbering) {
        // A supplier's number is always its own prefix + id (settings/supplier.rs says why).
        (BusinessModel::Suppliers, _) => Some(format!(
            "{}{}",
            settings.supplier.number_prefix.trim(),
            customer.id
        )),
        (BusinessModel::Customers, CustomerNumbering::Prefix) => Some(format!(
            "{}{}",
            settings.customer.number_prefix, customer.id
        )),
        (BusinessModel::Customers, CustomerNumbering::VismaSeries) => None,
    };
    let mut billing = customer.billing.clone();
    if billing.full_name().is_empty() {
        billing.first_name = customer.first_name.clone();
        billing.last_name = customer.last_name.clone();
    }
    let mut cuts = Cuts::default();
    let billing = fitted(&billing, "billing", &mut cuts);
    let fields = PartyFields {
        number: number.clone(),
        name: cuts.fit("customer name", &display_name(&billing, email), text::NAME),
        shipping: fitted(&customer.shipping, "shipping", &mut cuts),
        email: cuts.fit("e-mail", email, text::NAME),
        vat: vat_number(&customer.meta_data, settings).map(|v| text::clean(&v)),
        billing,
    };
    let reference = CustomerRef {
        number,
        email_key: email.trim().to_lowercase(),
        cuts: cuts.0,
    };
    let party = match settings.business_model {
        BusinessModel::Customers => {
            Party::Customer(Box::new(fields_to_customer(&fields, settings)))
        }
        BusinessModel::Suppliers => {
            Party::Supplier(Box::new(fields_to_supplier(&fields, settings)))
        }
    };
    Ok((reference, party))
}

/// The customer an order's document goes to: the generic customer, or the buyer from the order's billing
/// (registered or guest). The body is `None` for the generic customer (it already exists in Visma).
///
/// # Errors
/// [`MappingError::MissingEmail`] for a per-email customer without billing email.
pub fn map_order_customer(
    order: &Order,
    settings: &Settings,
) -> Result<(CustomerRef, Option<CustomerUpdateDto>), MappingError> {
    let email = order.billing.email.trim();
    if settings.customer.identity == CustomerIdentity::Generic {
        let number = settings.customer.generic_number.clone();
        return Ok((
            CustomerRef {
                number,
                email_key: email.to_lowercase(),
                cuts: Vec::new(),
            },
            None,
        ));
    }
    if email.is_empty() {
        return Err(MappingError::MissingEmail {
            doc: format!("order {}", order.id),
        });
    }
    let number = match settings.customer.numbering {
        CustomerNumbering::Prefix if order.customer_id > 0 => Some(format!(
            "{}{}",
            settings.customer.number_prefix, order.customer_id
        )),
        CustomerNumbering::Prefix => {
            Some(format!("{}G{}", settings.customer.number_prefix, order.id))
        }
        CustomerNumbering::VismaSeries => None,
    };
    let mut cuts = Cuts::default();
    let billing = fitted(&order.billing, "billing", &mut cuts);
    let fields = PartyFields {
        number: number.clone(),
        name: cuts.fit("customer name", &display_name(&billing, email), text::NAME),
        shipping: fitted(&order.shipping, "shipping", &mut cuts),
        email: cuts.fit("e-mail", email, text::NAME),
        vat: vat_number(&order.meta_data, settings).map(|v| text::clean(&v)),
        billing,
    };
    Ok((
        CustomerRef {
            number,
            email_key: email.to_lowercase(),
            cuts: cuts.0,
        },
        Some(fields_to_customer(&fields, settings)),
    ))
}
