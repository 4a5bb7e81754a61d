-- Notification channels (R-9.2; domain.md §2.4): channels with their subscription rule, the
-- per-channel message queue written with its cause, and the delivery log.

CREATE TABLE notify_channel (
    id TEXT PRIMARY KEY,
    park_id TEXT NOT NULL REFERENCES park (id),
    kind TEXT NOT NULL CHECK (kind IN ('email', 'webhook', 'dingtalk', 'wecom', 'feishu', 'sms')),
    name TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    secret TEXT NOT NULL,
    recipients TEXT NOT NULL,
    smtp_from TEXT NOT NULL,
    smtp_username TEXT NOT NULL,
    smtp_security TEXT NOT NULL CHECK (smtp_security IN ('plain', 'starttls', 'tls')),
    per_minute BIGINT,
    per_second BIGINT,
    enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    levels TEXT NOT NULL,
    domains TEXT NOT NULL,
    events TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE notify_delivery (
    id TEXT PRIMARY KEY,
    channel_id TEXT NOT NULL REFERENCES notify_channel (id),
    covers BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('sent', 'retry', 'failed')),
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT,
    last_error TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX notify_delivery_channel ON notify_delivery (channel_id, updated_at);

CREATE TABLE notify_attempt (
    channel_id TEXT NOT NULL REFERENCES notify_channel (id),
    delivery_id TEXT NOT NULL REFERENCES notify_delivery (id),
    at BIGINT NOT NULL
);
CREATE INDEX notify_attempt_channel ON notify_attempt (channel_id, at);

CREATE TABLE notify_message (
    id TEXT PRIMARY KEY,
    channel_id TEXT NOT NULL REFERENCES notify_channel (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    level TEXT NOT NULL,
    link TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    delivery_id TEXT REFERENCES notify_delivery (id)
);
CREATE INDEX notify_message_pending ON notify_message (channel_id, delivery_id, created_at);
