-- PayDesk schema, version 1. Portable SQL for SQLite and PostgreSQL.
-- Seam (see Database.cpp): {{PK}} is the dialect's auto-increment key; statements prefixed
-- with @sqlite / @postgresql run on that dialect only. Times are ms since epoch (UTC), money
-- is BIGINT minor units plus an ISO 4217 code.

CREATE TABLE users (
    id {{PK}},
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL CHECK (role IN ('CLERK', 'FINANCE', 'ADMIN')),
    active INTEGER NOT NULL DEFAULT 1,
    password_hash TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE orders (
    id {{PK}},
    order_no TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    buyer TEXT NOT NULL DEFAULT '',
    amount_minor BIGINT NOT NULL CHECK (amount_minor >= 0),
    currency TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('PENDING', 'PAID', 'PARTIALLY_REFUNDED', 'REFUNDED', 'CLOSED')),
    close_reason TEXT NOT NULL DEFAULT '',
    channel TEXT,
    refunded_minor BIGINT NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0 AND refunded_minor <= amount_minor),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    paid_at BIGINT NOT NULL DEFAULT 0,
    closed_at BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL DEFAULT '',
    search_text TEXT NOT NULL DEFAULT '',
    -- The timer claims due work with a lease (owner + until), so several instances never
    -- run the same job at once and a crashed instance's claims simply run out.
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until BIGINT NOT NULL DEFAULT 0
);
-- The timer asks for pending orders by expiry; the GUI lists by state and creation time.
CREATE INDEX orders_state_expires ON orders (state, expires_at);
CREATE INDEX orders_created ON orders (created_at, id);
CREATE INDEX orders_state_created ON orders (state, created_at, id);
CREATE INDEX orders_channel_created ON orders (channel, created_at, id);

-- Free-text search over order_no, title and buyer (search_text is their lower-cased join).
@sqlite CREATE VIRTUAL TABLE orders_fts USING fts5(search_text, content='orders', content_rowid='id', tokenize='trigram');
@sqlite CREATE TRIGGER orders_fts_ai AFTER INSERT ON orders BEGIN
    INSERT INTO orders_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
@sqlite CREATE TRIGGER orders_fts_ad AFTER DELETE ON orders BEGIN
    INSERT INTO orders_fts (orders_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
@postgresql CREATE EXTENSION IF NOT EXISTS pg_trgm;
@postgresql CREATE INDEX orders_search_trgm ON orders USING gin (search_text gin_trgm_ops);

CREATE TABLE payment_attempts (
    id {{PK}},
    order_id BIGINT NOT NULL REFERENCES orders (id),
    out_trade_no TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('CREATED', 'PAYING', 'SUCCEEDED', 'FAILED', 'CLOSED')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    code_url TEXT NOT NULL DEFAULT '',
    channel_txn_id TEXT NOT NULL DEFAULT '',
    paid_at BIGINT NOT NULL DEFAULT 0,
    next_query_at BIGINT NOT NULL DEFAULT 0,
    query_count INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX attempts_order ON payment_attempts (order_id);
CREATE INDEX attempts_state_next_query ON payment_attempts (state, next_query_at);

CREATE TABLE refunds (
    id {{PK}},
    out_refund_no TEXT NOT NULL UNIQUE,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    attempt_id BIGINT NOT NULL REFERENCES payment_attempts (id),
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('REQUESTED', 'APPROVED', 'REJECTED', 'PROCESSING', 'SUCCEEDED', 'FAILED', 'CLOSED')),
    reason TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    reviewed_by TEXT NOT NULL DEFAULT '',
    review_note TEXT NOT NULL DEFAULT '',
    requested_at BIGINT NOT NULL,
    reviewed_at BIGINT NOT NULL DEFAULT 0,
    completed_at BIGINT NOT NULL DEFAULT 0,
    next_action_at BIGINT NOT NULL DEFAULT 0,
    attempt_count INTEGER NOT NULL DEFAULT 0,
    channel_refund_id TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT '',
    -- The same request submitted twice (double click, retry) carries the same key: one refund.
    request_key TEXT,
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX refunds_request_key ON refunds (request_key);
CREATE INDEX refunds_attempt ON refunds (attempt_id);
CREATE INDEX refunds_order ON refunds (order_id);
CREATE INDEX refunds_state_next ON refunds (state, next_action_at);
CREATE INDEX refunds_state_requested ON refunds (state, requested_at);

CREATE TABLE anomalies (
    id {{PK}},
    kind TEXT NOT NULL,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    attempt_id BIGINT REFERENCES payment_attempts (id),
    refund_id BIGINT REFERENCES refunds (id),
    state TEXT NOT NULL CHECK (state IN ('OPEN', 'RESOLVED')),
    details TEXT NOT NULL DEFAULT '',
    resolution TEXT NOT NULL DEFAULT '',
    resolved_by TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    resolved_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX anomalies_state ON anomalies (state, created_at);
CREATE INDEX anomalies_order ON anomalies (order_id);

-- Append-only, SHA-256 hash chain; audit_head holds the tip and serialises appends.
CREATE TABLE audit_log (
    seq BIGINT NOT NULL PRIMARY KEY,
    at BIGINT NOT NULL,
    user_login TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_object ON audit_log (object, seq);
CREATE INDEX audit_at ON audit_log (at);
CREATE TABLE audit_head (
    id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');

CREATE TABLE settings (
    key TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);

-- Bumped by every committed change, so other instances notice cheaply (issue: timer).
CREATE TABLE change_counter (
    id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO change_counter (id, value) VALUES (1, 0);

-- The simulated channel's own books (what "the channel" saw and did), kept apart from ours.
CREATE TABLE sim_payments (
    out_trade_no TEXT NOT NULL PRIMARY KEY,
    amount_minor BIGINT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    paid_at BIGINT NOT NULL DEFAULT 0,
    closed_at BIGINT NOT NULL DEFAULT 0,
    txn_id TEXT NOT NULL DEFAULT '',
    customer TEXT NOT NULL DEFAULT ''
);
CREATE TABLE sim_refunds (
    out_refund_no TEXT NOT NULL PRIMARY KEY,
    out_trade_no TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    settle_at BIGINT NOT NULL DEFAULT 0,
    final_state TEXT NOT NULL DEFAULT 'SUCCESS',
    refund_id TEXT NOT NULL DEFAULT ''
);
-- Scripted simulated customers (prefix of out_trade_no or an order number), shared by every
-- process on this database.
CREATE TABLE sim_scripts (
    prefix TEXT NOT NULL PRIMARY KEY,
    customer TEXT NOT NULL,
    delay_ms BIGINT NOT NULL DEFAULT 0
);
-- Every call the simulated channel answered, in order: the ledger tests and
-- `paydeskctl sim ledger` read.
CREATE TABLE sim_events (
    id {{PK}},
    at BIGINT NOT NULL,
    op TEXT NOT NULL,
    ref TEXT NOT NULL,
    result TEXT NOT NULL,
    amount_minor BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sim_events_ref ON sim_events (ref);
