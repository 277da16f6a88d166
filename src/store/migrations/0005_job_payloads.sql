-- Issue #8: the WooCommerce JSON (5–30 KB) sat in the middle of every jobs row, so the columns after it (state,
-- attempts, next_attempt_at, the lease) lived on the row's overflow pages: each claim candidate read two or three
-- overflow pages, and each state change (claim, renew, complete) rewrote them into the WAL. The payload now has a
-- table of its own, written once at enqueue (and again only when a newer revision replaces a job's payload).
CREATE TABLE job_payloads (
    job_id  INTEGER PRIMARY KEY REFERENCES jobs (id),
    payload TEXT    NOT NULL CHECK (json_valid(payload))
);
INSERT INTO job_payloads (job_id, payload) SELECT id, payload FROM jobs;
ALTER TABLE jobs DROP COLUMN payload;
