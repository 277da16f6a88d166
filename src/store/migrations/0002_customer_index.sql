-- Visma customers by normalised e-mail, so per-email customers numbered by Visma's own series are matched
-- without re-reading the whole customer list for every order. Filled from orders the engine posted and from
-- Visma's lastModifiedDateTime delta (cursor `visma.customers.delta`).
CREATE TABLE customer_index (
    store_id     TEXT NOT NULL,
    email_key    TEXT NOT NULL CHECK (email_key <> ''),
    visma_number TEXT NOT NULL CHECK (visma_number <> ''),
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (store_id, email_key)
);
