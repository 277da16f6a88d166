-- 0002_compressed_payloads (issue #16): payloads stored zstd-compressed (bytes), NULL after the retention period.
-- MODIFY keeps the stored bytes and can run again after a crash (MySQL commits DDL as it goes).
ALTER TABLE {prefix}job_payloads MODIFY payload LONGBLOB NULL
