-- Calibration register (R-9.1.1d): the versioned cycle of each calibrated class, calibration
-- records as original records (a correction is a new version naming the one it corrects and
-- why), their certificate scans, the per-CI status the overdue list reads, and the reminders
-- already sent to a CI's owners. Dates (performed, due, validity) are calendar days in China
-- Standard Time as `YYYY-MM-DD` text, which sorts and compares as dates on both engines.

CREATE TABLE calibration_cycle (
    park_id TEXT NOT NULL REFERENCES park (id),
    class TEXT NOT NULL,
    version BIGINT NOT NULL CHECK (version >= 1),
    enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    cycle_months BIGINT NOT NULL CHECK (cycle_months BETWEEN 1 AND 120),
    method TEXT NOT NULL CHECK (method IN ('value_transfer', 'calibration', 'performance_test')),
    basis TEXT NOT NULL,
    note TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (park_id, class, version)
);

CREATE TABLE calibration_record (
    id TEXT PRIMARY KEY,
    park_id TEXT NOT NULL REFERENCES park (id),
    asset_id TEXT NOT NULL REFERENCES asset (id),
    class TEXT NOT NULL,
    version BIGINT NOT NULL CHECK (version >= 1),
    root_id TEXT NOT NULL REFERENCES calibration_record (id),
    corrects_id TEXT REFERENCES calibration_record (id),
    correction_reason TEXT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('value_transfer', 'calibration', 'performance_test')),
    standard_name TEXT NOT NULL,
    standard_certificate TEXT NOT NULL,
    standard_valid_until TEXT,
    certificate_no TEXT NOT NULL,
    performer TEXT NOT NULL,
    performer_org_id TEXT REFERENCES organisation (id),
    performed_on TEXT NOT NULL,
    conclusion TEXT NOT NULL CHECK (conclusion IN ('pass', 'fail', 'pass_after_adjustment')),
    points TEXT NOT NULL,
    -- `12m` (a class's cycle in months) or `365d` (a CI's own cycle in days).
    cycle TEXT NOT NULL,
    computed_due TEXT NOT NULL,
    next_due TEXT NOT NULL,
    next_due_reason TEXT NOT NULL,
    -- The schedules' calibration task it completes (0006_schedules), if any.
    task_id TEXT REFERENCES schedule_task (id),
    note TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- The original has no predecessor and is its own root; a correction names one.
    CONSTRAINT calibration_record_version_chain CHECK ((version = 1) = (corrects_id IS NULL)),
    CONSTRAINT calibration_record_original_root CHECK (corrects_id IS NOT NULL OR root_id = id),
    -- A version is corrected at most once, so every record has one newest version.
    CONSTRAINT calibration_record_corrected_once UNIQUE (corrects_id),
    CONSTRAINT calibration_record_version_unique UNIQUE (root_id, version)
);
CREATE INDEX calibration_record_by_asset ON calibration_record (asset_id, performed_on);
CREATE INDEX calibration_record_by_park ON calibration_record (park_id, performed_on, created_at);

CREATE TABLE calibration_attachment (
    id TEXT PRIMARY KEY,
    record_id TEXT NOT NULL REFERENCES calibration_record (id),
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data BYTEA NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX calibration_attachment_by_record ON calibration_attachment (record_id);

-- The record in force per CI (its latest valid record): a projection of calibration_record,
-- rewritten in the transaction of every record and correction. Not a record itself.
CREATE TABLE calibration_status (
    asset_id TEXT PRIMARY KEY REFERENCES asset (id),
    park_id TEXT NOT NULL REFERENCES park (id),
    record_id TEXT NOT NULL REFERENCES calibration_record (id),
    performed_on TEXT NOT NULL,
    conclusion TEXT NOT NULL CHECK (conclusion IN ('pass', 'fail', 'pass_after_adjustment')),
    next_due TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX calibration_status_due ON calibration_status (park_id, next_due);

CREATE TABLE calibration_notice (
    park_id TEXT NOT NULL REFERENCES park (id),
    asset_id TEXT NOT NULL REFERENCES asset (id),
    kind TEXT NOT NULL CHECK (kind IN ('due_soon', 'overdue')),
    due_key TEXT NOT NULL,
    recipients BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (asset_id, kind, due_key)
);

-- Records, their attachments, cycle versions and reminders are append-only (R-8.1.2d).
CREATE TRIGGER calibration_record_append_only BEFORE UPDATE OR DELETE ON calibration_record
FOR EACH ROW EXECUTE FUNCTION parkops_refuse_change();
CREATE TRIGGER calibration_record_no_truncate BEFORE TRUNCATE ON calibration_record
FOR EACH STATEMENT EXECUTE FUNCTION parkops_refuse_change();
CREATE TRIGGER calibration_attachment_append_only BEFORE UPDATE OR DELETE ON calibration_attachment
FOR EACH ROW EXECUTE FUNCTION parkops_refuse_change();
CREATE TRIGGER calibration_attachment_no_truncate BEFORE TRUNCATE ON calibration_attachment
FOR EACH STATEMENT EXECUTE FUNCTION parkops_refuse_change();
CREATE TRIGGER calibration_cycle_append_only BEFORE UPDATE OR DELETE ON calibration_cycle
FOR EACH ROW EXECUTE FUNCTION parkops_refuse_change();
CREATE TRIGGER calibration_cycle_no_truncate BEFORE TRUNCATE ON calibration_cycle
FOR EACH STATEMENT EXECUTE FUNCTION parkops_refuse_change();
CREATE TRIGGER calibration_notice_append_only BEFORE UPDATE OR DELETE ON calibration_notice
FOR EACH ROW EXECUTE FUNCTION parkops_refuse_change();
CREATE TRIGGER calibration_notice_no_truncate BEFORE TRUNCATE ON calibration_notice
FOR EACH STATEMENT EXECUTE FUNCTION parkops_refuse_change();
