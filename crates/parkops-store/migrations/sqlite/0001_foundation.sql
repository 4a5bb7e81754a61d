-- Foundation: parks, organisations, users and posts, sessions, API tokens, job descriptions,
-- the security policy, and the audit chain. Times are UTC epoch milliseconds (BIGINT),
-- ids are UUID text, booleans are INTEGER 0/1 (portable through sqlx Any).

CREATE TABLE park (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT park_code_unique UNIQUE (code)
);

CREATE TABLE organisation (
    id TEXT PRIMARY KEY,
    park_id TEXT NOT NULL REFERENCES park (id),
    org_type TEXT NOT NULL CHECK (org_type IN ('supervising_department', 'using_unit', 'service_organisation', 'product_vendor', 'enterprise', 'carrier')),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    contact TEXT NOT NULL,
    phone TEXT NOT NULL,
    is_active INTEGER NOT NULL CHECK (is_active IN (0, 1)),
    created_at BIGINT NOT NULL,
    CONSTRAINT organisation_code_unique UNIQUE (park_id, code)
);

CREATE TABLE app_user (
    id TEXT PRIMARY KEY,
    park_id TEXT NOT NULL REFERENCES park (id),
    org_id TEXT NOT NULL REFERENCES organisation (id),
    username TEXT NOT NULL,
    username_key TEXT NOT NULL,
    display_name TEXT NOT NULL,
    phone TEXT NOT NULL,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    password_changed_at BIGINT NOT NULL,
    must_change_password INTEGER NOT NULL CHECK (must_change_password IN (0, 1)),
    is_active INTEGER NOT NULL CHECK (is_active IN (0, 1)),
    failed_count BIGINT NOT NULL,
    locked_until BIGINT,
    last_failure_at BIGINT,
    totp_secret TEXT,
    totp_last_step BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    last_login_at BIGINT,
    CONSTRAINT app_user_username_unique UNIQUE (username_key)
);
CREATE INDEX app_user_org ON app_user (org_id);

CREATE TABLE user_post (
    user_id TEXT NOT NULL REFERENCES app_user (id),
    post TEXT NOT NULL CHECK (post IN ('manager', 'technician', 'operator', 'supervisor', 'supplier_engineer', 'reporter', 'system_admin', 'security_admin', 'audit_admin')),
    is_admin INTEGER NOT NULL CHECK (is_admin IN (0, 1)),
    PRIMARY KEY (user_id, post)
);
-- 三员分立: at most one of the three administrator posts per account, enforced by the database too.
CREATE UNIQUE INDEX user_post_one_admin ON user_post (user_id) WHERE is_admin = 1;

CREATE TABLE password_history (
    user_id TEXT NOT NULL REFERENCES app_user (id),
    password_hash TEXT NOT NULL,
    replaced_at BIGINT NOT NULL
);
CREATE INDEX password_history_user ON password_history (user_id, replaced_at);

CREATE TABLE user_session (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES app_user (id),
    stage TEXT NOT NULL CHECK (stage IN ('needs_totp', 'needs_totp_enrolment', 'needs_password_change', 'full')),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    ip TEXT NOT NULL
);
CREATE INDEX user_session_user ON user_session (user_id);

CREATE TABLE api_token (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES app_user (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    prefix TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    CONSTRAINT api_token_hash_unique UNIQUE (token_hash)
);
CREATE INDEX api_token_user ON api_token (user_id);

CREATE TABLE job_description (
    id TEXT PRIMARY KEY,
    park_id TEXT NOT NULL REFERENCES park (id),
    post TEXT NOT NULL CHECK (post IN ('manager', 'technician', 'operator', 'supervisor', 'supplier_engineer', 'reporter', 'system_admin', 'security_admin', 'audit_admin')),
    version BIGINT NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    change_note TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT job_description_version_unique UNIQUE (park_id, post, version)
);

CREATE TABLE security_policy (
    version BIGINT PRIMARY KEY,
    body TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE audit_event (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    source_ip TEXT NOT NULL,
    request_id TEXT NOT NULL,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
    detail TEXT NOT NULL,
    detail_digest TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_event_at ON audit_event (at);
CREATE INDEX audit_event_actor ON audit_event (actor_name, seq);
CREATE INDEX audit_event_action ON audit_event (action, seq);

CREATE TABLE audit_checkpoint (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    hash TEXT NOT NULL,
    signature TEXT NOT NULL
);

-- Every write transaction updates this row first: it serialises writers across processes
-- (SQLite takes its write lock at once; PostgreSQL locks the row), so the chain head read
-- next is always the true head.
CREATE TABLE write_lock (
    id BIGINT PRIMARY KEY,
    n BIGINT NOT NULL
);
INSERT INTO write_lock (id, n) VALUES (1, 0);

CREATE TABLE job_run (
    job TEXT PRIMARY KEY,
    last_success_at BIGINT NOT NULL
);

-- Records are append-only (R-8.1.2d): the database refuses UPDATE and DELETE as a second line.
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;
CREATE TRIGGER audit_checkpoint_no_update BEFORE UPDATE ON audit_checkpoint
BEGIN SELECT RAISE(ABORT, 'audit_checkpoint is append-only'); END;
CREATE TRIGGER audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint
BEGIN SELECT RAISE(ABORT, 'audit_checkpoint is append-only'); END;
CREATE TRIGGER job_description_no_update BEFORE UPDATE ON job_description
BEGIN SELECT RAISE(ABORT, 'job_description is append-only'); END;
CREATE TRIGGER job_description_no_delete BEFORE DELETE ON job_description
BEGIN SELECT RAISE(ABORT, 'job_description is append-only'); END;
CREATE TRIGGER security_policy_no_update BEFORE UPDATE ON security_policy
BEGIN SELECT RAISE(ABORT, 'security_policy is append-only'); END;
CREATE TRIGGER security_policy_no_delete BEFORE DELETE ON security_policy
BEGIN SELECT RAISE(ABORT, 'security_policy is append-only'); END;
