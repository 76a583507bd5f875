-- Payment channel profiles (WeChat Pay v3, Alipay): one per channel kind. Only what is not
-- secret lives here; the merchant private key and the APIv3 key are in the OS keychain or the
-- encrypted secrets file, under secret_ref.
CREATE TABLE channel_profiles (
    id {{PK}},
    kind TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    merchant_id TEXT NOT NULL DEFAULT '',
    app_id TEXT NOT NULL,
    merchant_serial TEXT NOT NULL DEFAULT '',
    platform_public_key_id TEXT NOT NULL DEFAULT '',
    platform_public_key TEXT NOT NULL DEFAULT '',
    -- JSON array of PEM certificates
    platform_certificates TEXT NOT NULL DEFAULT '[]',
    gateway_url TEXT NOT NULL,
    notify_url TEXT NOT NULL DEFAULT '',
    secret_ref TEXT NOT NULL,
    secret_store TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL DEFAULT ''
);
