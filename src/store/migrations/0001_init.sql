-- 0001_init: the first schema. Jobs (the durable queue), the audit trail, the id map, polling cursors and
-- encrypted credentials. Timestamps are UTC text in one fixed-width form (2026-05-01T10:00:00.000000Z) so text
-- comparison is time comparison. Never edit this file once released: add 0002_….sql instead.

-- Which numbered migrations ran (PRAGMA user_version holds the latest; this keeps the history).
CREATE TABLE schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
);

CREATE TABLE jobs (
    id                INTEGER PRIMARY KEY,
    source            TEXT    NOT NULL CHECK (source IN ('hook', 'webhook', 'poll', 'cli')),
    store_id          TEXT    NOT NULL CHECK (length(store_id) BETWEEN 1 AND 100),
    kind              TEXT    NOT NULL CHECK (kind IN ('customer', 'order', 'refund', 'payment')),
    woo_id            INTEGER NOT NULL CHECK (woo_id >= 0),
    revision          INTEGER NOT NULL,
    payload           TEXT    NOT NULL CHECK (json_valid(payload)),
    payload_hash      TEXT    NOT NULL CHECK (length(payload_hash) = 64),
    state             TEXT    NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'dead')),
    attempts          INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at   TEXT    NOT NULL,
    lease_owner       TEXT,
    lease_expires_at  TEXT,
    last_error        TEXT,
    depends_on_job    INTEGER REFERENCES jobs (id),
    depends_on_kind   TEXT CHECK (depends_on_kind IN ('customer', 'order', 'refund', 'payment')),
    depends_on_woo_id INTEGER,
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    -- A running job always has a lease; no other state has one.
    CHECK ((state = 'running') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL)),
    CHECK ((depends_on_kind IS NULL) = (depends_on_woo_id IS NULL)),
    -- The same payload for the same WooCommerce entity is one job, however often it arrives.
    UNIQUE (store_id, kind, woo_id, payload_hash)
);
CREATE INDEX jobs_due ON jobs (state, next_attempt_at);
CREATE INDEX jobs_lease ON jobs (state, lease_expires_at);
CREATE INDEX jobs_entity ON jobs (store_id, kind, woo_id, id);
CREATE INDEX jobs_updated ON jobs (state, updated_at);

-- Append-only: the store never updates or deletes an audit row (the triggers make sure of it).
CREATE TABLE audit (
    id            INTEGER PRIMARY KEY,
    at            TEXT    NOT NULL,
    job_id        INTEGER REFERENCES jobs (id),
    store_id      TEXT,
    woo_kind      TEXT CHECK (woo_kind IN ('customer', 'order', 'refund', 'payment')),
    woo_id        INTEGER,
    action        TEXT    NOT NULL,
    endpoint      TEXT,
    http_status   INTEGER CHECK (http_status BETWEEN 100 AND 599),
    duration_ms   INTEGER CHECK (duration_ms >= 0),
    visma_number  TEXT,
    error         TEXT
);
CREATE INDEX audit_job ON audit (job_id, id);
CREATE INDEX audit_entity ON audit (store_id, woo_kind, woo_id, id);
CREATE INDEX audit_at ON audit (at);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;

-- One Visma document per WooCommerce entity, recorded once.
CREATE TABLE id_map (
    id            INTEGER PRIMARY KEY,
    store_id      TEXT    NOT NULL,
    woo_kind      TEXT    NOT NULL CHECK (woo_kind IN ('customer', 'order', 'refund', 'payment')),
    woo_id        INTEGER NOT NULL,
    visma_number  TEXT    NOT NULL CHECK (length(visma_number) > 0),
    external_ref  TEXT    NOT NULL,
    payload_hash  TEXT    NOT NULL CHECK (length(payload_hash) = 64),
    job_id        INTEGER REFERENCES jobs (id),
    posted_at     TEXT    NOT NULL,
    UNIQUE (store_id, woo_kind, woo_id)
);
-- A document number belongs to one entity (customers excepted: several shop accounts may match one customer).
CREATE UNIQUE INDEX id_map_document ON id_map (woo_kind, visma_number) WHERE woo_kind <> 'customer';

CREATE TABLE cursors (
    store_id    TEXT NOT NULL,
    name        TEXT NOT NULL,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (store_id, name)
);

-- Values are XChaCha20-Poly1305 ciphertexts; the key never lives in this database.
CREATE TABLE credentials (
    name            TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 200),
    nonce           BLOB NOT NULL CHECK (length(nonce) = 24),
    ciphertext      BLOB NOT NULL,
    key_fingerprint TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
