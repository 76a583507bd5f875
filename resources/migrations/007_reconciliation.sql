-- PayDesk schema, version 7: reconciliation against the channels' daily bills (issue 12).
-- The raw bill is kept (once per content hash), so a reconciliation can be shown again and
-- audited; every run of a day is recorded; each difference is kept once per day and key, so a
-- re-run finds the same differences and opens nothing new.
@sqlite CREATE TABLE bill_files (
    id {{PK}},
    channel TEXT NOT NULL,
    bill_date TEXT NOT NULL,
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL DEFAULT '',
    content BLOB NOT NULL,
    sha256 TEXT NOT NULL,
    source TEXT NOT NULL,
    imported_at BIGINT NOT NULL,
    imported_by TEXT NOT NULL
);
@postgresql CREATE TABLE bill_files (
    id {{PK}},
    channel TEXT NOT NULL,
    bill_date TEXT NOT NULL,
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL DEFAULT '',
    content BYTEA NOT NULL,
    sha256 TEXT NOT NULL,
    source TEXT NOT NULL,
    imported_at BIGINT NOT NULL,
    imported_by TEXT NOT NULL
);
CREATE UNIQUE INDEX bill_files_hash ON bill_files (channel, bill_date, kind, sha256);

CREATE TABLE recon_runs (
    id {{PK}},
    channel TEXT NOT NULL,
    bill_date TEXT NOT NULL,
    bill_file_id BIGINT NOT NULL REFERENCES bill_files (id),
    run_at BIGINT NOT NULL,
    run_by TEXT NOT NULL,
    bill_payments INTEGER NOT NULL,
    bill_refunds INTEGER NOT NULL,
    matched INTEGER NOT NULL,
    differences INTEGER NOT NULL,
    new_differences INTEGER NOT NULL,
    paid_minor BIGINT NOT NULL,
    refunded_minor BIGINT NOT NULL,
    fee_minor BIGINT NOT NULL,
    result TEXT NOT NULL CHECK (result IN ('MATCHED', 'DIFFERENCES'))
);
CREATE INDEX recon_runs_day ON recon_runs (channel, bill_date, id);

CREATE TABLE recon_differences (
    id {{PK}},
    channel TEXT NOT NULL,
    bill_date TEXT NOT NULL,
    kind TEXT NOT NULL,
    ref TEXT NOT NULL,
    out_trade_no TEXT NOT NULL DEFAULT '',
    out_refund_no TEXT NOT NULL DEFAULT '',
    bill_line INTEGER NOT NULL DEFAULT 0,
    ours_minor BIGINT NOT NULL DEFAULT 0,
    bill_minor BIGINT NOT NULL DEFAULT 0,
    params TEXT NOT NULL DEFAULT '{}',
    order_id BIGINT REFERENCES orders (id),
    anomaly_id BIGINT REFERENCES anomalies (id),
    first_run_id BIGINT NOT NULL REFERENCES recon_runs (id),
    last_run_id BIGINT NOT NULL REFERENCES recon_runs (id)
);
CREATE UNIQUE INDEX recon_differences_key ON recon_differences (channel, bill_date, kind, ref);
CREATE INDEX recon_differences_run ON recon_differences (last_run_id);
