//! Read-only lookups of the seeded company, in SPEC25's GET shapes (plain, not wrapped): `/v1/account`,
//! `/v1/subaccount` (paged), `/v1/dimension` and `/v1/dimension/{id}`, `/v1/vatCategory`, `/v1/vat`,
//! `/v1/currency`, `/v1/paymentmethod`, `/v1/cashaccount`, `/v1/branch`, `/v1/creditTerm` (a `BasePaginationDto` envelope) and
//! `/v1/customer/customerClass`. No state is changed here.

use super::http::{Query, Reply};
use super::listing;
use super::routes::Ctx;
use super::seed;
use serde_json::Value;

fn cash_accounts(c: &super::Company) -> Vec<Value> {
    c.accounts
        .iter()
        .filter(|a| a.cash)
        .map(|a| {
            serde_json::json!({"number": a.id, "description": a.description,
                               "currency": {"id": c.base_currency}, "entryTypes": []})
        })
        .collect()
}

/// `GET /v1/customer/customerClass`.
pub fn customer_classes(ctx: &Ctx<'_>) -> Reply {
    let c = &ctx.config.company;
    Reply::ok(Value::Array(seed::classes_json(c, &c.customer_classes)))
}

/// `GET /v1/customer/customerClass/{id}`.
pub fn customer_class(ctx: &mut Ctx<'_>, id: &str) -> Reply {
    let c = ctx.config.company.clone();
    one(
        ctx,
        seed::classes_json(&c, &c.customer_classes),
        "id",
        id,
        "Customer class",
    )
}

/// `GET /v1/supplier/supplierClass`.
pub fn supplier_classes(ctx: &Ctx<'_>) -> Reply {
    let c = &ctx.config.company;
    Reply::ok(Value::Array(seed::classes_json(c, &c.supplier_classes)))
}

fn one(ctx: &mut Ctx<'_>, items: Vec<Value>, key: &str, id: &str, what: &str) -> Reply {
    match items.into_iter().find(|i| listing::field_is(i, &[key], id)) {
        Some(mut item) => {
            if let Some(o) = item.as_object_mut() {
                o.remove("metadata");
            }
            Reply::ok(item)
        }
        None => ctx.not_found(what, id),
    }
}

fn filtered(
    ctx: &mut Ctx<'_>,
    items: Vec<Value>,
    q: &Query,
    date_field: &str,
) -> Result<Vec<Value>, Reply> {
    let since = listing::date_filter(q, "lastModifiedDateTime").map_err(|m| ctx.error(400, &m))?;
    let active = q.get("active").map(|a| a.eq_ignore_ascii_case("true"));
    Ok(items
        .into_iter()
        .filter(|i| since.is_none_or(|s| s.matches(i, date_field)))
        .filter(|i| active.is_none_or(|a| i.get("active").and_then(Value::as_bool) == Some(a)))
        .collect())
}

/// The `GET /v1/...` lookups; anything else is a 404 route.
pub fn dispatch(ctx: &mut Ctx<'_>, segs: &[String], l: &[&str], q: &Query) -> Reply {
    let id = |i: usize| segs.get(i).map(String::as_str).unwrap_or("");
    let company = ctx.config.company.clone();
    let c = company.as_ref();
    match l {
        [_, "account"] => match filtered(ctx, seed::accounts_json(c), q, "lastModifiedDateTime") {
            // No paging on /v1/account (SPEC25); every item still carries metadata.
            Ok(items) => Reply::ok(Value::Array(items)),
            Err(r) => r,
        },
        [_, "account", _] => one(ctx, seed::accounts_json(c), "accountCD", id(2), "Account"),
        // `/v1/cashaccount` (ERP OpenAPI CashAccountDto): the accounts the company marks as cash accounts.
        [_, "cashaccount"] => Reply::ok(Value::Array(cash_accounts(c))),
        [_, "cashaccount", _] => one(ctx, cash_accounts(c), "number", id(2), "Cash account"),
        [_, "subaccount"] => {
            let items = match filtered(ctx, seed::subaccounts_json(c), q, "lastModifiedDateTime") {
                Ok(items) => items,
                Err(r) => return r,
            };
            match listing::paging(q) {
                Ok((n, size)) => Reply::ok(Value::Array(listing::page(items, n, size))),
                Err(m) => ctx.error(400, &m),
            }
        }
        [_, "subaccount", _] => one(
            ctx,
            seed::subaccounts_json(c),
            "subaccountNumber",
            id(2),
            "Subaccount",
        ),
        [_, "dimension"] => Reply::ok(Value::Array(seed::dimension_ids())),
        [_, "dimension", "subaccount"] => Reply::ok(seed::subaccount_dimension_json(c)),
        [_, "dimension", _] => ctx.not_found("Dimension", id(2)),
        [_, "vatcategory"] => {
            match filtered(ctx, seed::vat_categories_json(c), q, "lastModifiedDateTime") {
                Ok(items) => Reply::ok(Value::Array(items)),
                Err(r) => r,
            }
        }
        [_, "vatcategory", _] => one(
            ctx,
            seed::vat_categories_json(c),
            "vatCategoryId",
            id(2),
            "VAT category",
        ),
        [_, "vat"] => Reply::ok(Value::Array(seed::vats_json(c))),
        [_, "vat", _] => one(ctx, seed::vats_json(c), "vatId", id(2), "VAT"),
        [_, "currency"] => Reply::ok(Value::Array(seed::currencies_json(c))),
        [_, "currency", _] => one(ctx, seed::currencies_json(c), "id", id(2), "Currency"),
        [_, "paymentmethod"] => Reply::ok(Value::Array(seed::payment_methods_json(c))),
        [_, "paymentmethod", _] => one(
            ctx,
            seed::payment_methods_json(c),
            "paymentMethodID",
            id(2),
            "Payment method",
        ),
        [_, "branch"] => Reply::ok(Value::Array(seed::branches_json(c))),
        [_, "branch", _] => one(ctx, seed::branches_json(c), "number", id(2), "Branch"),
        [_, "creditterm"] => Reply::ok(seed::credit_terms_json(c)),
        [_, "warehouse"] => Reply::ok(Value::Array(seed::warehouses_json(c))),
        [_, "inventory"] => Reply::ok(Value::Array(seed::inventory_json(c))),
        [_, "salesordertype"] => Reply::ok(Value::Array(seed::order_types_json(c))),
        _ => super::http::no_route(&format!("/{}", segs.join("/"))),
    }
}
