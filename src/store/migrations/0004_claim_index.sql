-- Pending jobs in claim order (customers, then orders, then refunds and payments; by id within a kind), so a
-- claim reads the next few due jobs instead of sorting every pending one. The expression must stay identical to
-- the ORDER BY of the claim query in store/lease.rs, or SQLite cannot use it (the query names it with INDEXED BY,
-- so a mismatch fails loudly instead of silently sorting).
CREATE INDEX jobs_claim ON jobs (state, (CASE kind WHEN 'customer' THEN 0 WHEN 'order' THEN 1 ELSE 2 END), id);
