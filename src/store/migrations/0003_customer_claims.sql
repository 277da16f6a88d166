-- Issue #5: who is creating a Visma customer right now. Customers numbered by Visma's series have no key we
-- choose, so two workers with orders from the same new e-mail both searched, found nothing and both created
-- one (eight processes on one queue: two customers for one e-mail). The worker holding the claim creates;
-- the others wait for the customer index. A claim of a crashed worker expires like a job lease.
CREATE TABLE customer_claims (
    store_id   TEXT NOT NULL,
    claim_key  TEXT NOT NULL CHECK (claim_key <> ''),
    owner      TEXT NOT NULL CHECK (owner <> ''),
    expires_at TEXT NOT NULL,
    PRIMARY KEY (store_id, claim_key)
);
