-- Issue #13/#14: the id map and the customer index belong to one Visma company (the "books"), not only to a
-- store id: pointing a store at another company re-used the first company's customer numbers. Rows written
-- before this migration get company '' and are adopted by the first company the store is opened with
-- (Store::adopt_legacy_books). The id map also gains the kinds of the documents an order leads to besides its
-- invoice: a cancellation's credit note and a refund's settlement (a customer refund or the credit note applied to
-- the invoice); `payment` (the order's customer payment, keyed by order id) already existed.
CREATE TABLE id_map_v7 (
    id            INTEGER PRIMARY KEY,
    store_id      TEXT    NOT NULL,
    company       TEXT    NOT NULL DEFAULT '',
    woo_kind      TEXT    NOT NULL
                  CHECK (woo_kind IN ('customer', 'order', 'refund', 'payment', 'cancellation', 'settlement')),
    woo_id        INTEGER NOT NULL,
    visma_number  TEXT    NOT NULL CHECK (length(visma_number) > 0),
    external_ref  TEXT    NOT NULL,
    payload_hash  TEXT    NOT NULL CHECK (length(payload_hash) = 64),
    job_id        INTEGER REFERENCES jobs (id),
    posted_at     TEXT    NOT NULL,
    UNIQUE (store_id, company, woo_kind, woo_id)
);
INSERT INTO id_map_v7 (id, store_id, company, woo_kind, woo_id, visma_number, external_ref, payload_hash, job_id,
                       posted_at)
    SELECT id, store_id, '', woo_kind, woo_id, visma_number, external_ref, payload_hash, job_id, posted_at
    FROM id_map;
DROP TABLE id_map;
ALTER TABLE id_map_v7 RENAME TO id_map;
-- A document number belongs to one entity of one company (customers excepted: several shop accounts may match one
-- customer; settlements too: a credit note applied to an invoice is numbered by the credit note).
CREATE UNIQUE INDEX id_map_document ON id_map (company, woo_kind, visma_number)
    WHERE woo_kind NOT IN ('customer', 'settlement');

CREATE TABLE customer_index_v7 (
    store_id     TEXT NOT NULL,
    company      TEXT NOT NULL DEFAULT '',
    email_key    TEXT NOT NULL CHECK (email_key <> ''),
    visma_number TEXT NOT NULL CHECK (visma_number <> ''),
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (store_id, company, email_key)
);
INSERT INTO customer_index_v7 (store_id, company, email_key, visma_number, updated_at)
    SELECT store_id, '', email_key, visma_number, updated_at FROM customer_index;
DROP TABLE customer_index;
ALTER TABLE customer_index_v7 RENAME TO customer_index;

-- Issue #13: the shopper's request only notes that an object changed (kind + id); the background runner builds
-- its REST JSON and enqueues it, which removes the note. One row per object, however often it changes.
CREATE TABLE notes (
    store_id  TEXT    NOT NULL CHECK (length(store_id) BETWEEN 1 AND 100),
    kind      TEXT    NOT NULL CHECK (kind IN ('customer', 'order', 'refund')),
    woo_id    INTEGER NOT NULL CHECK (woo_id > 0),
    parent_id INTEGER NOT NULL DEFAULT 0 CHECK (parent_id >= 0),
    -- Changes on every note of the object, so the runner clears only the note it read (a change made while it
    -- built the JSON stays noted).
    seq       INTEGER NOT NULL,
    noted_at  TEXT    NOT NULL,
    PRIMARY KEY (store_id, kind, woo_id)
);
CREATE INDEX notes_age ON notes (noted_at);

-- Issue #14: small named facts about the whole queue, such as a pause after a configuration error (the whole queue
-- waits until a connection test passes). Values are JSON.
CREATE TABLE queue_flags (
    name       TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 100),
    value      TEXT NOT NULL CHECK (json_valid(value)),
    updated_at TEXT NOT NULL
);
