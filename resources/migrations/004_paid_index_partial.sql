-- PayDesk schema, version 4: finance's index over payments holds the paid ones only.
-- Nothing but SUCCEEDED payments is read through it (money received per day and per channel,
-- FinanceStats, which names the state as a literal so the planner can pick a partial index).
-- As a full index it moved on every change of state: each payment the timer closed unpaid
-- deleted and re-inserted an entry, about 6 us of the ~50 us of SQL a close costs at a million
-- open payments (docs/benchmarks.md). Now a close leaves it alone and a payment adds one entry.
DROP INDEX attempts_state_paid;
CREATE INDEX attempts_state_paid ON payment_attempts (state, paid_at, amount_minor, channel) WHERE state = 'SUCCEEDED';
