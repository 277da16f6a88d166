-- Issue #8: every change of a job's state rewrote an entry in each of the four state-led indexes, though three of
-- them are only ever searched for one state: the claim walks pending jobs, the lease takeover running ones, and
-- replay failed or dead ones. As partial indexes they hold only those rows, so completing a job (running → done,
-- by far the most common change) touches the lease index and the state index, not four. `jobs_due` stays whole:
-- it is the state index that counts by state read.
DROP INDEX jobs_claim;
CREATE INDEX jobs_claim ON jobs (state, (CASE kind WHEN 'customer' THEN 0 WHEN 'order' THEN 1 ELSE 2 END), id)
    WHERE state = 'pending';
DROP INDEX jobs_lease;
CREATE INDEX jobs_lease ON jobs (state, lease_expires_at) WHERE state = 'running';
DROP INDEX jobs_updated;
CREATE INDEX jobs_updated ON jobs (state, updated_at) WHERE state IN ('failed', 'dead');
