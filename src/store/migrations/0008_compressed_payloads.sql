-- 0008_compressed_payloads (issue #16): a job's payload is stored zstd-compressed (a BLOB), and NULL once the job
-- is done and the retention period has passed. Rows written before stay JSON text and read as before. The JSON
-- check goes: the store validates every payload before it writes it.
CREATE TABLE job_payloads_v8 (
    job_id  INTEGER PRIMARY KEY REFERENCES jobs (id),
    payload BLOB
);
INSERT INTO job_payloads_v8 (job_id, payload) SELECT job_id, payload FROM job_payloads;
DROP TABLE job_payloads;
ALTER TABLE job_payloads_v8 RENAME TO job_payloads;
