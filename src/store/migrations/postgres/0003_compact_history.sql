-- 0003_compact_history (PostgreSQL, issue #16, SQLite's 0009): times in jobs, audit and id_map become integers
-- (microseconds since 1970 UTC), payload hashes their 32 bytes; the audit keeps one index (`audit_woo`), the jobs
-- lose `jobs_entity` (the UNIQUE index leads with the same columns). Rewriting a column's type fires no row
-- trigger, so the append-only audit is converted in place.
ALTER TABLE {prefix}jobs
    ALTER COLUMN next_attempt_at TYPE BIGINT
        USING round(extract(epoch FROM next_attempt_at::timestamptz) * 1000000)::bigint,
    ALTER COLUMN lease_expires_at TYPE BIGINT
        USING round(extract(epoch FROM lease_expires_at::timestamptz) * 1000000)::bigint,
    ALTER COLUMN created_at TYPE BIGINT USING round(extract(epoch FROM created_at::timestamptz) * 1000000)::bigint,
    ALTER COLUMN updated_at TYPE BIGINT USING round(extract(epoch FROM updated_at::timestamptz) * 1000000)::bigint,
    DROP CONSTRAINT IF EXISTS {prefix}jobs_payload_hash_check,
    ALTER COLUMN payload_hash TYPE BYTEA USING decode(payload_hash, 'hex'),
    ADD CONSTRAINT {prefix}jobs_payload_hash_check CHECK (length(payload_hash) = 32);
DROP INDEX IF EXISTS {prefix}jobs_entity;

ALTER TABLE {prefix}id_map
    ALTER COLUMN posted_at TYPE BIGINT USING round(extract(epoch FROM posted_at::timestamptz) * 1000000)::bigint,
    DROP CONSTRAINT IF EXISTS {prefix}id_map_payload_hash_check,
    ALTER COLUMN payload_hash TYPE BYTEA USING decode(payload_hash, 'hex'),
    ADD CONSTRAINT {prefix}id_map_payload_hash_check CHECK (length(payload_hash) = 32);

ALTER TABLE {prefix}audit
    ALTER COLUMN at TYPE BIGINT USING round(extract(epoch FROM at::timestamptz) * 1000000)::bigint;
DROP INDEX IF EXISTS {prefix}audit_at;
DROP INDEX IF EXISTS {prefix}audit_entity;
DROP INDEX IF EXISTS {prefix}audit_job;
CREATE INDEX {prefix}audit_woo ON {prefix}audit (woo_id) WHERE woo_id IS NOT NULL;
