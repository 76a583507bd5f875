-- PayDesk schema, version 8: an anomaly need not have an order of ours (issue 12). A payment or
-- refund in a channel's bill that our books never saw ("long") opens an anomaly that names the
-- channel's facts instead: channel, out_trade_no, out_refund_no, the channel's transaction id,
-- amount and currency. order_id becomes nullable; the columns are NULL for anomalies of an order.
--
-- SQLite cannot drop a NOT NULL: the table is rebuilt with the same ids (recon_differences.anomaly_id
-- points at them). The guards of 006 are dropped first and recreated with the same bodies. The
-- rows are kept in a temporary copy, the table is dropped and created again under its own name
-- (no RENAME, so the foreign keys of other tables keep naming "anomalies"), and the rows come back
-- with their ids. With foreign keys on, dropping the table counts a violation for every
-- difference that names an anomaly; defer_foreign_keys leaves them until COMMIT, and putting the
-- parent rows back clears them, so the commit succeeds only if every reference is valid again.

-- ---- SQLite ----------------------------------------------------------------------------------
@sqlite PRAGMA defer_foreign_keys = ON;
@sqlite DROP TRIGGER IF EXISTS anomalies_guard;
@sqlite DROP TRIGGER IF EXISTS anomalies_no_delete;
@sqlite CREATE TEMP TABLE anomalies_copy AS SELECT * FROM anomalies;
@sqlite DROP TABLE anomalies;
@sqlite CREATE TABLE anomalies (
    id {{PK}},
    kind TEXT NOT NULL,
    order_id BIGINT REFERENCES orders (id),
    attempt_id BIGINT REFERENCES payment_attempts (id),
    refund_id BIGINT REFERENCES refunds (id),
    state TEXT NOT NULL CHECK (state IN ('OPEN', 'RESOLVED')),
    details TEXT NOT NULL DEFAULT '',
    resolution TEXT NOT NULL DEFAULT '',
    resolved_by TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    resolved_at BIGINT NOT NULL DEFAULT 0,
    channel TEXT,
    out_trade_no TEXT,
    out_refund_no TEXT,
    channel_txn_id TEXT,
    amount_minor BIGINT,
    currency TEXT
);
@sqlite INSERT INTO anomalies (id, kind, order_id, attempt_id, refund_id, state, details, resolution, resolved_by, created_at, resolved_at)
    SELECT id, kind, order_id, attempt_id, refund_id, state, details, resolution, resolved_by, created_at, resolved_at
    FROM anomalies_copy ORDER BY id;
@sqlite DROP TABLE anomalies_copy;
@sqlite CREATE INDEX anomalies_state ON anomalies (state, created_at);
@sqlite CREATE INDEX anomalies_order ON anomalies (order_id);

@sqlite CREATE TRIGGER anomalies_guard BEFORE UPDATE ON anomalies
WHEN NEW.kind IS NOT OLD.kind OR NEW.order_id IS NOT OLD.order_id
  OR (NEW.state <> OLD.state AND OLD.state || '>' || NEW.state NOT IN ('OPEN>RESOLVED'))
BEGIN
    SELECT RAISE(ABORT, 'refused by the database: an anomaly is only ever resolved');
END;
@sqlite CREATE TRIGGER anomalies_no_delete BEFORE DELETE ON anomalies
BEGIN
    SELECT RAISE(ABORT, 'refused by the database: anomalies are never deleted');
END;

-- ---- PostgreSQL: the column loses NOT NULL in place; the triggers of 006 stay ---------------
@postgresql ALTER TABLE anomalies ALTER COLUMN order_id DROP NOT NULL;
@postgresql ALTER TABLE anomalies ADD COLUMN channel TEXT, ADD COLUMN out_trade_no TEXT, ADD COLUMN out_refund_no TEXT,
    ADD COLUMN channel_txn_id TEXT, ADD COLUMN amount_minor BIGINT, ADD COLUMN currency TEXT;

CREATE INDEX anomalies_channel_trade ON anomalies (channel, out_trade_no);
