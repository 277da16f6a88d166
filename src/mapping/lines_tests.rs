//! Unit tests of `lines.rs` (kept apart so the module stays short).

use super::*;
use crate::money::VatRate;

fn line() -> DocLine {
    DocLine {
        kind: LineKind::Item,
        description: "Kinobillett".to_owned(),
        quantity: 1,
        unit_price_minor: 0,
        discount_minor: 0,
        account: "3000".to_owned(),
        category: Category {
            id: "3".to_owned(),
            rate: VatRate::from_percent(25),
        },
        subaccount: Vec::new(),
        sku: String::new(),
    }
}

#[test]
fn unit_price_and_coupon_discount_make_the_line_net_exactly_the_woo_total() {
    // (quantity, subtotal, total) → (quantity sent, unit price, discount, description suffix)
    let cases = [
        ((4, 12000, 12000), (4, 3000, 0, "")),
        ((6, 77679, 77679), (6, 12947, 3, "")),
        ((2, 10000, 9000), (2, 5000, 1000, "")),
        ((3, 2061, 2061), (3, 687, 0, "")),
        ((3, 2062, 1856), (3, 688, 208, "")),
        ((2, -1000, -1000), (2, -500, 0, "")),
        ((-2, -1000, -1000), (-2, 500, 0, "")),
        ((2, 0, 0), (2, 0, 0, "")),
        ((2, 10000, 11000), (2, 5500, 0, "")),
        ((1, -500, -500), (1, -500, 0, "")),
        ((0, 750, 750), (1, 750, 0, "")),
    ];
    for ((qty, subtotal, total), (q, unit, discount, suffix)) in cases {
        let mut l = line();
        set_price(&mut l, qty, subtotal, total).expect("exact");
        assert_eq!(
            (l.quantity, l.unit_price_minor, l.discount_minor),
            (q, unit, discount),
            "{qty} {subtotal} {total}"
        );
        assert_eq!(l.description, format!("Kinobillett{suffix}"));
        assert_eq!(l.net_minor(), total);
    }
}

#[test]
fn a_negative_line_without_an_exact_unit_price_is_refused_never_made_quantity_one() {
    // Issue #15: quantity −3 of −100.00 and −2 of −10.00 less a coupon have no exact unit price.
    for (qty, subtotal, total) in [(-3, -10000, -10000), (-2, -1000, -900), (3, -1000, -1000)] {
        let mut l = line();
        let err = set_price(&mut l, qty, subtotal, total).expect_err("refused");
        assert!(err.contains(&format!("quantity {qty}")), "{err}");
        assert_eq!(l.quantity, 1, "the line is left as it was");
    }
}

#[test]
fn dto_line_carries_discount_only_when_there_is_one() {
    let nok = Currency::parse("NOK", &[]).expect("NOK");
    let mut l = line();
    set_price(&mut l, 2, 10000, 9000).expect("exact");
    let dto = l.to_dto(1, nok);
    assert_eq!(
        dto.discount_amount_in_currency
            .map(|d| d.value.0.to_string()),
        Some("10.00".to_owned())
    );
    assert_eq!(dto.manual_discount.map(|d| d.value), Some(true));
    set_price(&mut l, 2, 10000, 10000).expect("exact");
    assert!(l.to_dto(1, nok).discount_amount_in_currency.is_none());
}
