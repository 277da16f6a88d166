-- 0009_compact_history (issue #16): the tables that grow with every order (jobs, audit, id_map) hold 1 M orders in
-- under 1 GB. Their times become integers (microseconds since 1970 UTC: 6 bytes against 27 of text, and they
-- still order as times), payload hashes their 32 bytes (against 64 hex digits), and the id map's store and
-- company are numbers from a table of names. The audit keeps one index, `audit_woo`: its three indexes were 472
-- bytes per order and no query used them (the reads bound every filter as `(x = ?1 OR ?1 IS NULL)`, which no
-- index serves; they now name only the filters given). `jobs_entity` goes: the UNIQUE index on (store_id, kind,
-- woo_id, payload_hash) leads with the same columns.
-- The tables are rebuilt (SQLite cannot change a column's type); the store runs this one with foreign keys off
-- (SQLite's documented way to rebuild a table others reference) and checks them before it commits.
-- foreign keys off

CREATE TABLE jobs_v9 (
    id                INTEGER PRIMARY KEY,
    source            TEXT    NOT NULL CHECK (source IN ('hook', 'webhook', 'poll', 'cli')),
    store_id          TEXT    NOT NULL CHECK (length(store_id) BETWEEN 1 AND 100),
    kind              TEXT    NOT NULL CHECK (kind IN ('customer', 'order', 'refund', 'payment')),
    woo_id            INTEGER NOT NULL CHECK (woo_id >= 0),
    revision          INTEGER NOT NULL,
    payload_hash      BLOB    NOT NULL CHECK (length(payload_hash) = 32),
    state             TEXT    NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'dead')),
    attempts          INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at   INTEGER NOT NULL,
    lease_owner       TEXT,
    lease_expires_at  INTEGER,
    last_error        TEXT,
    depends_on_job    INTEGER REFERENCES jobs (id),
    depends_on_kind   TEXT CHECK (depends_on_kind IN ('customer', 'order', 'refund', 'payment')),
    depends_on_woo_id INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    CHECK ((state = 'running') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL)),
    CHECK ((depends_on_kind IS NULL) = (depends_on_woo_id IS NULL)),
    UNIQUE (store_id, kind, woo_id, payload_hash)
);
INSERT INTO jobs_v9 (id, source, store_id, kind, woo_id, revision, payload_hash, state, attempts, next_attempt_at,
                     lease_owner, lease_expires_at, last_error, depends_on_job, depends_on_kind, depends_on_woo_id,
                     created_at, updated_at)
    SELECT id, source, store_id, kind, woo_id, revision, unhex(payload_hash), state, attempts,
           CAST(strftime('%s', substr(next_attempt_at, 1, 19)) AS INTEGER) * 1000000
               + CAST(substr(next_attempt_at, 21, 6) AS INTEGER),
           lease_owner,
           CAST(strftime('%s', substr(lease_expires_at, 1, 19)) AS INTEGER) * 1000000
               + CAST(substr(lease_expires_at, 21, 6) AS INTEGER),
           last_error, depends_on_job, depends_on_kind, depends_on_woo_id,
           CAST(strftime('%s', substr(created_at, 1, 19)) AS INTEGER) * 1000000
               + CAST(substr(created_at, 21, 6) AS INTEGER),
           CAST(strftime('%s', substr(updated_at, 1, 19)) AS INTEGER) * 1000000
               + CAST(substr(updated_at, 21, 6) AS INTEGER)
    FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_v9 RENAME TO jobs;
CREATE INDEX jobs_due ON jobs (state, next_attempt_at);
CREATE INDEX jobs_lease ON jobs (state, lease_expires_at) WHERE state = 'running';
CREATE INDEX jobs_updated ON jobs (state, updated_at) WHERE state IN ('failed', 'dead');
CREATE INDEX jobs_claim ON jobs (state, (CASE kind WHEN 'customer' THEN 0 WHEN 'order' THEN 1 ELSE 2 END), id)
    WHERE state = 'pending';

DROP TRIGGER audit_no_update;
DROP TRIGGER audit_no_delete;
CREATE TABLE audit_v9 (
    id            INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,
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
INSERT INTO audit_v9 (id, at, job_id, store_id, woo_kind, woo_id, action, endpoint, http_status, duration_ms,
                      visma_number, error)
    SELECT id, CAST(strftime('%s', substr(at, 1, 19)) AS INTEGER) * 1000000 + CAST(substr(at, 21, 6) AS INTEGER),
           job_id, store_id, woo_kind, woo_id, action, endpoint, http_status, duration_ms, visma_number, error
    FROM audit;
DROP TABLE audit;
ALTER TABLE audit_v9 RENAME TO audit;
CREATE INDEX audit_woo ON audit (woo_id) WHERE woo_id IS NOT NULL;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;

-- The id map names its store and company by a number from `names`: the company key (`{tenant GUID}/{company}`,
-- 40-odd bytes) and the store id were stored in each of an order's two rows and again in two indexes. The entity
-- index puts the company last, so the searches by store, kind and id (a refund waiting for its order, a completion
-- checking its number in any company) use it too.
CREATE TABLE names (
    id    INTEGER PRIMARY KEY,
    name  TEXT    NOT NULL UNIQUE
);
INSERT INTO names (name) SELECT store_id FROM id_map UNION SELECT company FROM id_map;
CREATE TABLE id_map_v9 (
    id            INTEGER PRIMARY KEY,
    store_ref     INTEGER NOT NULL REFERENCES names (id),
    company_ref   INTEGER NOT NULL REFERENCES names (id),
    woo_kind      TEXT    NOT NULL
                  CHECK (woo_kind IN ('customer', 'order', 'refund', 'payment', 'cancellation', 'settlement')),
    woo_id        INTEGER NOT NULL,
    visma_number  TEXT    NOT NULL CHECK (length(visma_number) > 0),
    external_ref  TEXT    NOT NULL,
    payload_hash  BLOB    NOT NULL CHECK (length(payload_hash) = 32),
    job_id        INTEGER REFERENCES jobs (id),
    posted_at     INTEGER NOT NULL,
    UNIQUE (store_ref, woo_kind, woo_id, company_ref)
);
INSERT INTO id_map_v9 (id, store_ref, company_ref, woo_kind, woo_id, visma_number, external_ref, payload_hash,
                       job_id, posted_at)
    SELECT id, (SELECT n.id FROM names n WHERE n.name = store_id), (SELECT n.id FROM names n WHERE n.name = company),
           woo_kind, woo_id, visma_number, external_ref, unhex(payload_hash), job_id,
           CAST(strftime('%s', substr(posted_at, 1, 19)) AS INTEGER) * 1000000
               + CAST(substr(posted_at, 21, 6) AS INTEGER)
    FROM id_map;
DROP TABLE id_map;
ALTER TABLE id_map_v9 RENAME TO id_map;
CREATE UNIQUE INDEX id_map_document ON id_map (company_ref, woo_kind, visma_number)
    WHERE woo_kind NOT IN ('customer', 'settlement');
