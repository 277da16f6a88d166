-- 0002_compressed_payloads (issue #16): payloads stored zstd-compressed (bytes), NULL after the retention period.
-- Text already stored becomes its UTF-8 bytes, which read back as before.
ALTER TABLE {prefix}job_payloads ALTER COLUMN payload TYPE BYTEA USING convert_to(payload, 'UTF8');
ALTER TABLE {prefix}job_payloads ALTER COLUMN payload DROP NOT NULL;
