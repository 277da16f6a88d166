-- 0001_init (MariaDB ≥ 10.6 / MySQL ≥ 8.0, issue #16): the store's schema as of SQLite's 0007_books_and_notes, in
-- the shop's WordPress database. `{prefix}` becomes the table prefix (wp_mlc_); a line `-- ;;` ends each statement.
-- InnoDB, utf8mb4 with binary collation: text compares byte by byte as in SQLite (e-mail keys and hashes are
-- case-sensitive). MySQL commits each DDL statement on its own, so a run that died half-way is simply run again:
-- every statement may find its object already there. Never edit this file once released: add 0002_….sql instead.

-- Which numbered migrations ran (the newest is the schema version).
CREATE TABLE IF NOT EXISTS {prefix}schema_migrations (
    version    BIGINT       NOT NULL PRIMARY KEY,
    name       VARCHAR(200) NOT NULL,
    applied_at VARCHAR(32)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
-- ;;

-- The durable queue; the WooCommerce JSON lives in job_payloads (issue #8). Timestamps are UTC text in one
-- fixed-width form (2026-05-01T10:00:00.000000Z), so text order is time order.
CREATE TABLE IF NOT EXISTS {prefix}jobs (
    id                BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    source            VARCHAR(16)  NOT NULL CHECK (source IN ('hook', 'webhook', 'poll', 'cli')),
    store_id          VARCHAR(100) NOT NULL CHECK (char_length(store_id) BETWEEN 1 AND 100),
    kind              VARCHAR(16)  NOT NULL CHECK (kind IN ('customer', 'order', 'refund', 'payment')),
    woo_id            BIGINT       NOT NULL CHECK (woo_id >= 0),
    revision          BIGINT       NOT NULL,
    payload_hash      CHAR(64)     NOT NULL CHECK (char_length(payload_hash) = 64),
    state             VARCHAR(16)  NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'dead')),
    attempts          BIGINT       NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at   VARCHAR(32)  NOT NULL,
    lease_owner       VARCHAR(255) NULL,
    lease_expires_at  VARCHAR(32)  NULL,
    last_error        TEXT         NULL,
    depends_on_job    BIGINT       NULL,
    depends_on_kind   VARCHAR(16)  NULL CHECK (depends_on_kind IN ('customer', 'order', 'refund', 'payment')),
    depends_on_woo_id BIGINT       NULL,
    created_at        VARCHAR(32)  NOT NULL,
    updated_at        VARCHAR(32)  NOT NULL,
    -- A running job always has a lease; no other state has one.
    CHECK ((state = 'running') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL)),
    CHECK ((depends_on_kind IS NULL) = (depends_on_woo_id IS NULL)),
    -- The same payload for the same WooCommerce entity is one job, however often it arrives.
    UNIQUE KEY jobs_payload (store_id, kind, woo_id, payload_hash),
    KEY jobs_due (state, next_attempt_at),
    -- SQLite's partial and expression indexes (0004, 0006) as plain ones: MySQL has neither.
    KEY jobs_claim (state, id),
    KEY jobs_lease (state, lease_expires_at),
    KEY jobs_entity (store_id, kind, woo_id, id),
    KEY jobs_updated (state, updated_at),
    FOREIGN KEY (depends_on_job) REFERENCES {prefix}jobs (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
-- ;;

-- Written once at enqueue (and again only when a newer revision replaces a job's payload). The store checks the
-- JSON; MariaDB's JSON is LONGTEXT with a json_valid CHECK, MySQL's a binary type, so neither is used here.
CREATE TABLE IF NOT EXISTS {prefix}job_payloads (
    job_id  BIGINT   NOT NULL PRIMARY KEY,
    payload LONGTEXT NOT NULL,
    FOREIGN KEY (job_id) REFERENCES {prefix}jobs (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
-- ;;

-- Append-only: the store never updates or deletes an audit row (the triggers below make sure of it).
CREATE TABLE IF NOT EXISTS {prefix}audit (
    id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at           VARCHAR(32)  NOT NULL,
    job_id       BIGINT       NULL,
    store_id     VARCHAR(100) NULL,
    woo_kind     VARCHAR(16)  NULL CHECK (woo_kind IN ('customer', 'order', 'refund', 'payment')),
    woo_id       BIGINT       NULL,
    action       TEXT         NOT NULL,
    endpoint     TEXT         NULL,
    http_status  BIGINT       NULL CHECK (http_status BETWEEN 100 AND 599),
    duration_ms  BIGINT       NULL CHECK (duration_ms >= 0),
    visma_number TEXT         NULL,
    error        TEXT         NULL,
    KEY audit_job (job_id, id),
    KEY audit_entity (store_id, woo_kind, woo_id, id),
    KEY audit_at (at),
    FOREIGN KEY (job_id) REFERENCES {prefix}jobs (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
-- ;;
DROP TRIGGER IF EXISTS {prefix}audit_no_update
-- ;;
CREATE TRIGGER {prefix}audit_no_update BEFORE UPDATE ON {prefix}audit FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit rows are append-only'
-- ;;
DROP TRIGGER IF EXISTS {prefix}audit_no_delete
-- ;;
CREATE TRIGGER {prefix}audit_no_delete BEFORE DELETE ON {prefix}audit FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit rows are append-only'
-- ;;

-- One Visma document per WooCommerce entity of one company (the "books", issues #13/#14), recorded once.
CREATE TABLE IF NOT EXISTS {prefix}id_map (
    id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    store_id     VARCHAR(100) NOT NULL,
    company      VARCHAR(100) NOT NULL DEFAULT '',
    woo_kind     VARCHAR(16)  NOT NULL
                 CHECK (woo_kind IN ('customer', 'order', 'refund', 'payment', 'cancellation', 'settlement')),
    woo_id       BIGINT       NOT NULL,
    visma_number VARCHAR(100) NOT NULL CHECK (char_length(visma_number) > 0),
    external_ref TEXT         NOT NULL,
    payload_hash CHAR(64)     NOT NULL CHECK (char_length(payload_hash) = 64),
    job_id       BIGINT       NULL,
    posted_at    VARCHAR(32)  NOT NULL,
    -- A document number belongs to one entity of one company (customers excepted: several shop accounts may
    -- match one customer; settlements too: a credit note applied to an invoice is numbered by the credit note).
    -- SQLite's partial unique index as a column that is NULL for the exceptions; NULLs never clash.
    document_key VARCHAR(100) AS
                 (CASE WHEN woo_kind NOT IN ('customer', 'settlement') THEN visma_number END) STORED,
    UNIQUE KEY id_map_entity (store_id, company, woo_kind, woo_id),
    UNIQUE KEY id_map_document (company, woo_kind, document_key),
    KEY id_map_job (job_id),
    FOREIGN KEY (job_id) REFERENCES {prefix}jobs (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
-- ;;

-- Polling positions (WooCommerce REST, Visma's lastModifiedDateTime delta).
CREATE TABLE IF NOT EXISTS {prefix}cursors (
    store_id   VARCHAR(100) NOT NULL,
    name       VARCHAR(200) NOT NULL,
    value      TEXT         NOT NULL,
    updated_at VARCHAR(32)  NOT NULL,
    PRIMARY KEY (store_id, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
-- ;;

-- Values are XChaCha20-Poly1305 ciphertexts; the key never lives in this database.
CREATE TABLE IF NOT EXISTS {prefix}credentials (
    name            VARCHAR(200)  NOT NULL PRIMARY KEY CHECK (char_length(name) BETWEEN 1 AND 200),
    nonce           VARBINARY(24) NOT NULL CHECK (length(nonce) = 24),
    ciphertext      LONGBLOB      NOT NULL,
    key_fingerprint VARCHAR(200)  NOT NULL,
    updated_at      VARCHAR(32)   NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
-- ;;

-- Visma customers by normalised e-mail, per company (issue #13/#14).
CREATE TABLE IF NOT EXISTS {prefix}customer_index (
    store_id     VARCHAR(100) NOT NULL,
    company      VARCHAR(100) NOT NULL DEFAULT '',
    email_key    VARCHAR(320) NOT NULL CHECK (email_key <> ''),
    visma_number VARCHAR(100) NOT NULL CHECK (visma_number <> ''),
    updated_at   VARCHAR(32)  NOT NULL,
    PRIMARY KEY (store_id, company, email_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
-- ;;

-- Issue #5: who is creating a Visma customer right now; a claim of a crashed worker expires like a job lease.
CREATE TABLE IF NOT EXISTS {prefix}customer_claims (
    store_id   VARCHAR(100) NOT NULL,
    claim_key  VARCHAR(400) NOT NULL CHECK (claim_key <> ''),
    owner      VARCHAR(255) NOT NULL CHECK (owner <> ''),
    expires_at VARCHAR(32)  NOT NULL,
    PRIMARY KEY (store_id, claim_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
-- ;;

-- Issue #13: the shopper's request only notes that an object changed; the background runner builds its JSON and
-- enqueues it, which removes the note. One row per object, however often it changes.
CREATE TABLE IF NOT EXISTS {prefix}notes (
    store_id  VARCHAR(100) NOT NULL CHECK (char_length(store_id) BETWEEN 1 AND 100),
    kind      VARCHAR(16)  NOT NULL CHECK (kind IN ('customer', 'order', 'refund')),
    woo_id    BIGINT       NOT NULL CHECK (woo_id > 0),
    parent_id BIGINT       NOT NULL DEFAULT 0 CHECK (parent_id >= 0),
    -- Changes on every note of the object, so the runner clears only the note it read.
    seq       BIGINT       NOT NULL,
    noted_at  VARCHAR(32)  NOT NULL,
    PRIMARY KEY (store_id, kind, woo_id),
    KEY notes_age (noted_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
-- ;;

-- Issue #14: small named facts about the whole queue (a pause, a move). Values are JSON, checked by the store.
CREATE TABLE IF NOT EXISTS {prefix}queue_flags (
    name       VARCHAR(100) NOT NULL PRIMARY KEY CHECK (char_length(name) BETWEEN 1 AND 100),
    value      TEXT         NOT NULL,
    updated_at VARCHAR(32)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
-- ;;
