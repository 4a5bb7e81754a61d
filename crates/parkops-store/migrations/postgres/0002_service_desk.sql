-- Service desk (R-9.2): SLA policy and calendar versions, support lines, tickets with their
-- timeline, pauses and attachments, and the notification outbox.

CREATE TABLE sla_policy (
    version BIGINT PRIMARY KEY,
    body TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE calendar_year (
    year BIGINT NOT NULL,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (year, version)
);

CREATE TABLE support_line (
    park_id TEXT NOT NULL REFERENCES park (id),
    line TEXT NOT NULL CHECK (line IN ('l1', 'l2', 'l3')),
    name TEXT NOT NULL,
    lead_user_id TEXT REFERENCES app_user (id),
    PRIMARY KEY (park_id, line)
);

CREATE TABLE support_line_member (
    park_id TEXT NOT NULL,
    line TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES app_user (id),
    PRIMARY KEY (park_id, line, user_id)
);

CREATE TABLE ticket (
    id TEXT PRIMARY KEY,
    park_id TEXT NOT NULL REFERENCES park (id),
    number TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('fault_report', 'repair', 'service_request', 'change_request', 'approval', 'suggestion')),
    level TEXT NOT NULL CHECK (level IN ('fatal', 'severe', 'general', 'minor', 'suggestion')),
    priority TEXT NOT NULL CHECK (priority IN ('very_urgent', 'urgent', 'normal', 'low')),
    domain TEXT NOT NULL CHECK (domain IN ('safety_production', 'environmental', 'emergency', 'energy', 'logistics', 'closed_area', 'network_security')),
    handling_mode TEXT NOT NULL CHECK (handling_mode IN ('on_site', 'remote', 'both')),
    line TEXT NOT NULL CHECK (line IN ('l1', 'l2', 'l3')),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    reporter_user_id TEXT REFERENCES app_user (id),
    reporter_name TEXT NOT NULL,
    reporter_phone TEXT NOT NULL,
    enterprise_org_id TEXT REFERENCES organisation (id),
    location TEXT NOT NULL,
    affected TEXT NOT NULL,
    assignee_user_id TEXT REFERENCES app_user (id),
    state TEXT NOT NULL CHECK (state IN ('new', 'acknowledged', 'in_progress', 'waiting', 'resolved', 'closed')),
    state_since BIGINT NOT NULL,
    waiting_on TEXT CHECK (waiting_on IN ('reporter', 'vendor')),
    closed_by TEXT CHECK (closed_by IN ('reporter', 'automatic', 'staff')),
    sla_version BIGINT NOT NULL,
    response_target_ms BIGINT NOT NULL,
    resolve_target_ms BIGINT NOT NULL,
    coverage TEXT NOT NULL CHECK (coverage IN ('7x24', 'working_hours')),
    response_due_at BIGINT,
    resolve_due_at BIGINT,
    acknowledged_at BIGINT,
    resolved_at BIGINT,
    response_warned INTEGER NOT NULL CHECK (response_warned IN (0, 1)),
    response_breached INTEGER NOT NULL CHECK (response_breached IN (0, 1)),
    resolve_warned INTEGER NOT NULL CHECK (resolve_warned IN (0, 1)),
    resolve_breached INTEGER NOT NULL CHECK (resolve_breached IN (0, 1)),
    rating BIGINT CHECK (rating BETWEEN 1 AND 5),
    rating_comment TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT ticket_number_unique UNIQUE (number)
);
CREATE INDEX ticket_queue ON ticket (park_id, state, resolve_due_at);
CREATE INDEX ticket_created ON ticket (park_id, created_at);
CREATE INDEX ticket_assignee ON ticket (assignee_user_id, state);
CREATE INDEX ticket_reporter ON ticket (reporter_user_id, created_at);

CREATE TABLE ticket_event (
    ticket_id TEXT NOT NULL REFERENCES ticket (id),
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (ticket_id, seq)
);

CREATE TABLE ticket_pause (
    ticket_id TEXT NOT NULL REFERENCES ticket (id),
    started_at BIGINT NOT NULL,
    ended_at BIGINT,
    PRIMARY KEY (ticket_id, started_at)
);

CREATE TABLE ticket_attachment (
    id TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL REFERENCES ticket (id),
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data BYTEA NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ticket_attachment_ticket ON ticket_attachment (ticket_id);

CREATE TABLE notification (
    id TEXT PRIMARY KEY,
    park_id TEXT NOT NULL REFERENCES park (id),
    user_id TEXT NOT NULL REFERENCES app_user (id),
    ticket_id TEXT REFERENCES ticket (id),
    event TEXT NOT NULL,
    level TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notification_user ON notification (user_id, created_at);

-- Timelines, attachments and configuration versions are records: append-only (R-8.1.2d).
CREATE TRIGGER ticket_event_append_only BEFORE UPDATE OR DELETE ON ticket_event
FOR EACH ROW EXECUTE FUNCTION parkops_refuse_change();
CREATE TRIGGER ticket_event_no_truncate BEFORE TRUNCATE ON ticket_event
FOR EACH STATEMENT EXECUTE FUNCTION parkops_refuse_change();
CREATE TRIGGER ticket_attachment_append_only BEFORE UPDATE OR DELETE ON ticket_attachment
FOR EACH ROW EXECUTE FUNCTION parkops_refuse_change();
CREATE TRIGGER ticket_attachment_no_truncate BEFORE TRUNCATE ON ticket_attachment
FOR EACH STATEMENT EXECUTE FUNCTION parkops_refuse_change();
CREATE TRIGGER sla_policy_append_only BEFORE UPDATE OR DELETE ON sla_policy
FOR EACH ROW EXECUTE FUNCTION parkops_refuse_change();
CREATE TRIGGER sla_policy_no_truncate BEFORE TRUNCATE ON sla_policy
FOR EACH STATEMENT EXECUTE FUNCTION parkops_refuse_change();
CREATE TRIGGER calendar_year_append_only BEFORE UPDATE OR DELETE ON calendar_year
FOR EACH ROW EXECUTE FUNCTION parkops_refuse_change();
CREATE TRIGGER calendar_year_no_truncate BEFORE TRUNCATE ON calendar_year
FOR EACH STATEMENT EXECUTE FUNCTION parkops_refuse_change();
