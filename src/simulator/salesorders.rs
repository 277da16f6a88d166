//! SalesOrders v3 (SOV3, NOTES §4.5): `POST /api/v3/SalesOrders` with a plain `NewSalesOrderCommand` → 201 +
//! `Location`; `GET /api/v3/SalesOrders/{type}/{orderId}` → `SalesOrderDto`; `GET /api/v3/SalesOrders[/{type}]`
//! → `{value, nextPage, totalCount}` with zero-based `pageIndex`. Errors are RFC 7807 ProblemDetails. The
//! stored order keeps its lines under `_lines`, which is never served.
//! Must not: answer in the ERP's `Exception*` format — this service speaks ProblemDetails.

use super::customers;
use super::http::{self, Query, Reply};
use super::listing;
use super::routes::Ctx;
use super::schema::{self, Spec};
use super::seed;
use super::totals::{self, minor_to_json, Dec, LineInput};
use serde_json::{json, Value};

/// Routes under `/api/v3/SalesOrders` (`l` starts with `salesorders`).
pub fn dispatch(
    ctx: &mut Ctx<'_>,
    method: &str,
    segs: &[String],
    l: &[&str],
    q: &Query,
    body: &[u8],
) -> Reply {
    let id = |i: usize| segs.get(i).map(String::as_str).unwrap_or("");
    match (method, l) {
        ("POST", [_]) => create(ctx, body),
        ("GET", [_]) => list(ctx, None, q),
        ("GET", [_, _]) => list(ctx, Some(id(1)), q),
        ("GET", [_, _, _]) => get(ctx, id(1), id(2)),
        _ => http::problem(
            404,
            "Not Found",
            &format!("No route for {method} /api/v3/{}", segs.join("/")),
        ),
    }
}

fn find<'a>(orders: &'a [Value], kind: &str, id: &str) -> Option<&'a Value> {
    orders
        .iter()
        .find(|o| listing::field_is(o, &["type"], kind) && listing::field_is(o, &["orderId"], id))
}

fn served(mut order: Value) -> Value {
    if let Some(o) = order.as_object_mut() {
        o.remove("_lines");
    }
    order
}

fn get(ctx: &mut Ctx<'_>, kind: &str, id: &str) -> Reply {
    match find(&ctx.state.store.sales_orders, kind, id) {
        Some(o) => Reply::ok(served(o.clone())),
        None => http::problem(
            404,
            "Not Found",
            &format!("Sales order {kind} {id} was not found."),
        ),
    }
}

fn list(ctx: &mut Ctx<'_>, kind: Option<&str>, q: &Query) -> Reply {
    let size = match q.get("pageSize").map(|s| s.trim().parse::<usize>()) {
        None => 100,
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        Some(_) => {
            return http::so_validation(
                "pageSize",
                "0100-OutsideValidRange",
                "Value is outside the valid range",
            )
        }
    };
    let index = match q.get("pageIndex").map(|s| s.trim().parse::<usize>()) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            return http::so_validation("pageIndex", "0003-InvalidValue", "Invalid value")
        }
    };
    let since = match q.get("modifiedSince") {
        None => None,
        Some(s) => match schema::parse_date_time(s) {
            Some(t) => Some(t),
            None => {
                return http::so_validation("modifiedSince", "0003-InvalidValue", "Invalid value")
            }
        },
    };
    let filter = q.get("filter").map(str::to_lowercase);
    let rows: Vec<Value> = ctx
        .state
        .store
        .sales_orders
        .iter()
        .filter(|o| kind.is_none_or(|k| listing::field_is(o, &["type"], k)))
        .filter(|o| {
            q.get("customerId")
                .is_none_or(|c| listing::field_is(o, &["customer", "id"], c))
        })
        .filter(|o| {
            q.get("status")
                .is_none_or(|s| listing::field_is(o, &["status", "description"], s))
        })
        .filter(|o| {
            since.is_none_or(|t| {
                o.get("lastModified")
                    .and_then(Value::as_str)
                    .and_then(schema::parse_date_time)
                    .is_some_and(|m| m >= t)
            })
        })
        // SOV3: `filter` applies to OrderId, CustomerOrderNumber and CustomerName.
        .filter(|o| {
            filter.as_ref().is_none_or(|f| {
                ["/orderId", "/customer/order", "/customer/name"]
                    .iter()
                    .any(|p| {
                        o.pointer(p)
                            .and_then(Value::as_str)
                            .is_some_and(|v| v.to_lowercase().contains(f.as_str()))
                    })
            })
        })
        .map(list_row)
        .collect();
    let total = rows.len();
    let page: Vec<Value> = rows
        .into_iter()
        .skip(index.saturating_mul(size))
        .take(size)
        .collect();
    let next = if (index + 1).saturating_mul(size) < total {
        let path = kind.map_or(String::new(), |k| format!("/{k}"));
        json!(format!(
            "{}/api/v3/SalesOrders{path}?pageSize={size}&pageIndex={}",
            ctx.base,
            index + 1
        ))
    } else {
        Value::Null
    };
    Reply::ok(json!({"value": page, "nextPage": next, "totalCount": total}))
}

fn list_row(o: &Value) -> Value {
    json!({
        "type": o.get("type"), "orderId": o.get("orderId"), "status": o.pointer("/status/description"),
        "date": o.get("date"), "customerId": o.pointer("/customer/id"), "customerName": o.pointer("/customer/name"),
        "orderQty": o.get("orderQty"), "orderTotal": o.pointer("/totals/orderTotal"),
        "taxTotal": o.pointer("/totals/taxTotal"), "currency": o.get("currencyId"), "requestOn": o.get("requestOn"),
        "customerOrder": o.pointer("/customer/order"), "customerRefNo": o.pointer("/customer/refNo"),
        "description": o.get("description"), "lastModified": o.get("lastModified"),
    })
}

fn create(ctx: &mut Ctx<'_>, body: &[u8]) -> Reply {
    let company = ctx.config.company.clone();
    let company = company.as_ref();
    let parsed: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) => return http::problem(400, "Bad Request", "The request body is not valid JSON."),
    };
    let cmd = match schema::validate_request(Spec::SalesOrders, "NewSalesOrderCommand", &parsed) {
        Ok(v) => v,
        Err(v) => {
            let code = match v.problem {
                schema::Problem::MissingRequired => "0001-NullNotAllowed",
                schema::Problem::TooLong { .. } => "0002-InvalidLength",
                schema::Problem::NullNotAllowed => "0001-NullNotAllowed",
                _ => "0003-InvalidValue",
            };
            return http::so_validation(&v.path, code, &v.message());
        }
    };
    let text = |p: &str| {
        cmd.pointer(p)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let kind = text("/type").unwrap_or("");
    if !ctx
        .config
        .company
        .order_types
        .iter()
        .any(|t| t.eq_ignore_ascii_case(kind))
    {
        return http::so_validation(
            "type",
            "0003-InvalidValue",
            &format!("Order type '{kind}' is not active."),
        );
    }
    let kind = kind.to_ascii_uppercase();
    let Some(customer_id) = text("/customer/id") else {
        return http::so_validation(
            "customer.id",
            "0001-EmptyNotAllowed",
            "Empty value not allowed",
        );
    };
    let Some(customer) = customers::find(&ctx.state.store.customers, customer_id).cloned() else {
        return http::so_validation(
            "customer.id",
            "0003-InvalidValue",
            &format!("Customer '{customer_id}' does not exist."),
        );
    };
    if matches!(
        customer.get("status").and_then(Value::as_str),
        Some("OnHold" | "Inactive")
    ) {
        return http::so_validation(
            "customer.id",
            "0005-InvalidState",
            "The customer is on hold or inactive.",
        );
    }
    let currency = text("/currencyId")
        .or(customer.get("currencyId").and_then(Value::as_str))
        .unwrap_or(&company.base_currency);
    if !company.has_currency(currency) {
        return http::so_validation(
            "currencyId",
            "0003-InvalidValue",
            &format!("Currency '{currency}' does not exist."),
        );
    }
    if let Some(b) = text("/branchId") {
        if !company
            .branches
            .iter()
            .any(|x| x.id.eq_ignore_ascii_case(b))
        {
            return http::so_validation(
                "branchId",
                "0003-InvalidValue",
                &format!("Branch '{b}' does not exist."),
            );
        }
    }
    let status = match text("/status") {
        None => "Open",
        Some(s) if s.eq_ignore_ascii_case("open") => "Open",
        Some(s) if s.eq_ignore_ascii_case("hold") => "Hold",
        Some(_) => {
            return http::so_validation(
                "status",
                "0004-ValueNotAllowed",
                "Must be null, empty, Open or Hold.",
            )
        }
    };
    let mut inputs = Vec::new();
    let mut qty = Dec::ZERO;
    let lines = cmd
        .get("orderLines")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (i, line) in lines.iter().enumerate() {
        let field = |f: &str| format!("orderLines[{i}].{f}");
        let item = line
            .get("inventoryId")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !company.has_inventory(item) {
            return http::so_validation(
                &field("inventoryId"),
                "0003-InvalidValue",
                &format!("Inventory item '{item}' does not exist."),
            );
        }
        let tax = line
            .get("taxCategoryId")
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(t) = &tax {
            if company.vat_rate(t).is_none() {
                return http::so_validation(
                    &field("taxCategoryId"),
                    "0003-InvalidValue",
                    &format!("Tax category '{t}' does not exist."),
                );
            }
        }
        if let Some(a) = line.get("salesAccountId").and_then(Value::as_str) {
            if company.account(a).is_none() {
                return http::so_validation(
                    &field("salesAccountId"),
                    "0003-InvalidValue",
                    &format!("Account '{a}' does not exist."),
                );
            }
        }
        if let Some(w) = line.get("warehouseId").and_then(Value::as_str) {
            if !company
                .warehouses
                .iter()
                .any(|x| x.id.eq_ignore_ascii_case(w))
            {
                return http::so_validation(
                    &field("warehouseId"),
                    "0003-InvalidValue",
                    &format!("Warehouse '{w}' does not exist."),
                );
            }
        }
        let q = line
            .get("quantity")
            .and_then(Dec::from_json)
            .unwrap_or(Dec::ZERO);
        qty = qty_add(qty, q);
        inputs.push(LineInput {
            quantity: q,
            unit_price: line
                .get("unitPrice")
                .and_then(Dec::from_json)
                .unwrap_or(Dec::ZERO),
            manual_amount: None,
            discount_percent: line.get("discountPercent").and_then(Dec::from_json),
            discount_amount: line.get("discountAmount").and_then(Dec::from_json),
            vat_category: tax,
        });
    }
    let decimals = seed::CURRENCY_DECIMALS;
    let t = match totals::compute(&inputs, decimals, |id| company.vat_rate(id)) {
        Ok(t) => t,
        Err(e) => return http::so_validation("orderLines", "0003-InvalidValue", &e.to_string()),
    };
    let override_numbers = cmd
        .get("overrideNumberSeries")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let order_id = match (override_numbers, text("/orderId")) {
        (true, Some(id)) => id.to_string(),
        (true, None) => {
            return http::so_validation(
                "orderId",
                "0001-EmptyNotAllowed",
                "Empty value not allowed",
            )
        }
        (false, _) => loop {
            let n = format!("{:06}", ctx.state.store.next("salesOrder", 1));
            if find(&ctx.state.store.sales_orders, &kind, &n).is_none() {
                break n;
            }
        },
    };
    if find(&ctx.state.store.sales_orders, &kind, &order_id).is_some() {
        return http::problem(
            409,
            "Conflict",
            &format!("Sales order {kind} {order_id} already exists."),
        );
    }
    let stamp = ctx.now.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let today = ctx.now.format("%Y-%m-%dT00:00:00Z").to_string();
    let money = |m: i64| minor_to_json(m, decimals);
    let order = json!({
        "type": kind, "orderId": order_id, "description": text("/description"),
        "date": text("/date").unwrap_or(&today), "requestOn": text("/requestOn").unwrap_or(&today),
        "lastModified": stamp, "currencyId": currency, "note": text("/note"),
        "orderQty": minor_to_json(qty.to_minor(6), 6),
        "status": {"description": status, "cancelled": false, "hold": status == "Hold"},
        "customer": {"id": customer.get("number"), "name": customer.get("name"), "order": text("/customer/order"),
                     "refNo": text("/customer/refNo")},
        "totals": {"orderTotal": money(t.amount), "taxableTotal": money(t.vat_taxable_total),
                   "taxExemptTotal": money(t.vat_exempt_total), "taxTotal": money(t.vat_total),
                   "discountTotal": money(t.discount_total)},
        "_lines": lines,
    });
    ctx.state.store.sales_orders.push(order);
    Reply::created(format!("{}/api/v3/SalesOrders/{kind}/{order_id}", ctx.base))
}

fn qty_add(a: Dec, b: Dec) -> Dec {
    let sum = a.to_minor(6).saturating_add(b.to_minor(6));
    Dec::parse(&format!("{sum}e-6")).unwrap_or(a)
}
