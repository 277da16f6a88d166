//! The bundled demo data: real WooCommerce 9.9 captures (orders, refunds, customers) from
//! `tests/fixtures/woo/real/` (source noted in its README), compiled into the binary so the demo needs no files.

/// Order JSON by id.
pub const ORDERS: [(u64, &str); 30] = [
    (52, include_str!("../../tests/fixtures/woo/real/orders/52.json")),
    (70, include_str!("../../tests/fixtures/woo/real/orders/70.json")),
    (82, include_str!("../../tests/fixtures/woo/real/orders/82.json")),
    (105, include_str!("../../tests/fixtures/woo/real/orders/105.json")),
    (113, include_str!("../../tests/fixtures/woo/real/orders/113.json")),
    (117, include_str!("../../tests/fixtures/woo/real/orders/117.json")),
    (118, include_str!("../../tests/fixtures/woo/real/orders/118.json")),
    (134, include_str!("../../tests/fixtures/woo/real/orders/134.json")),
    (175, include_str!("../../tests/fixtures/woo/real/orders/175.json")),
    (210, include_str!("../../tests/fixtures/woo/real/orders/210.json")),
    (222, include_str!("../../tests/fixtures/woo/real/orders/222.json")),
    (228, include_str!("../../tests/fixtures/woo/real/orders/228.json")),
    (233, include_str!("../../tests/fixtures/woo/real/orders/233.json")),
    (236, include_str!("../../tests/fixtures/woo/real/orders/236.json")),
    (239, include_str!("../../tests/fixtures/woo/real/orders/239.json")),
    (265, include_str!("../../tests/fixtures/woo/real/orders/265.json")),
    (275, include_str!("../../tests/fixtures/woo/real/orders/275.json")),
    (279, include_str!("../../tests/fixtures/woo/real/orders/279.json")),
    (308, include_str!("../../tests/fixtures/woo/real/orders/308.json")),
    (313, include_str!("../../tests/fixtures/woo/real/orders/313.json")),
    (315, include_str!("../../tests/fixtures/woo/real/orders/315.json")),
    (328, include_str!("../../tests/fixtures/woo/real/orders/328.json")),
    (334, include_str!("../../tests/fixtures/woo/real/orders/334.json")),
    (335, include_str!("../../tests/fixtures/woo/real/orders/335.json")),
    (343, include_str!("../../tests/fixtures/woo/real/orders/343.json")),
    (347, include_str!("../../tests/fixtures/woo/real/orders/347.json")),
    (348, include_str!("../../tests/fixtures/woo/real/orders/348.json")),
    (352, include_str!("../../tests/fixtures/woo/real/orders/352.json")),
    (363, include_str!("../../tests/fixtures/woo/real/orders/363.json")),
    (401, include_str!("../../tests/fixtures/woo/real/orders/401.json")),
];

/// Refund lists (`GET /orders/{id}/refunds`) by order id.
pub const REFUNDS: [(u64, &str); 7] = [
    (70, include_str!("../../tests/fixtures/woo/real/refunds/70.json")),
    (82, include_str!("../../tests/fixtures/woo/real/refunds/82.json")),
    (117, include_str!("../../tests/fixtures/woo/real/refunds/117.json")),
    (118, include_str!("../../tests/fixtures/woo/real/refunds/118.json")),
    (228, include_str!("../../tests/fixtures/woo/real/refunds/228.json")),
    (233, include_str!("../../tests/fixtures/woo/real/refunds/233.json")),
    (401, include_str!("../../tests/fixtures/woo/real/refunds/401.json")),
];

/// Customer JSON.
pub const CUSTOMERS: [&str; 8] = [
    include_str!("../../tests/fixtures/woo/real/customers/3.json"),
    include_str!("../../tests/fixtures/woo/real/customers/9.json"),
    include_str!("../../tests/fixtures/woo/real/customers/11.json"),
    include_str!("../../tests/fixtures/woo/real/customers/12.json"),
    include_str!("../../tests/fixtures/woo/real/customers/14.json"),
    include_str!("../../tests/fixtures/woo/real/customers/18.json"),
    include_str!("../../tests/fixtures/woo/real/customers/21.json"),
    include_str!("../../tests/fixtures/woo/real/customers/29.json"),
];
