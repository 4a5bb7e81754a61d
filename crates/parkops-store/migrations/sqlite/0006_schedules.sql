-- Inspections, maintenance and calibration by plan (R-9.1.1a, R-9.1.1d, R-7.3.3): versions of
-- the inspection standard of a CI class, plans with their recurrence and targets, the tasks
-- they generate (one per plan, CI and due date) with a timeline, and result records item by
-- item with photos. Standard versions, timelines, results, their items and photos are records:
-- append-only; a correction is a new result version naming the one it corrects and why.
-- Dates of the working calendar (anchor, due dates) are `YYYY-MM-DD` text in China Standard
-- Time, which sorts and compares as dates on both engines.

CREATE TABLE inspection_standard (
    id TEXT PRIMARY KEY,
    park_id TEXT NOT NULL REFERENCES park (id),
    code TEXT NOT NULL,
    version BIGINT NOT NULL CHECK (version >= 1),
    class TEXT NOT NULL,
    name TEXT NOT NULL,
    items TEXT NOT NULL,
    change_note TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT inspection_standard_version UNIQUE (park_id, code, version)
);

CREATE TABLE schedule_plan (
    id TEXT PRIMARY KEY,
    park_id TEXT NOT NULL REFERENCES park (id),
    kind TEXT NOT NULL CHECK (kind IN ('inspection', 'maintenance', 'calibration')),
    name TEXT NOT NULL,
    standard_code TEXT NOT NULL,
    target_class TEXT NOT NULL,
    target_zone_id TEXT REFERENCES asset_location (id),
    target_enterprise_id TEXT REFERENCES organisation (id),
    target_assets TEXT NOT NULL,
    anchor TEXT NOT NULL,
    every_unit TEXT NOT NULL CHECK (every_unit IN ('day', 'week', 'month')),
    every_count BIGINT NOT NULL CHECK (every_count >= 1),
    shift TEXT NOT NULL CHECK (shift IN ('keep', 'next_working_day')),
    assignee_org_id TEXT REFERENCES organisation (id),
    assignee_user_id TEXT REFERENCES app_user (id),
    owner_user_id TEXT REFERENCES app_user (id),
    lead_days BIGINT NOT NULL CHECK (lead_days >= 0),
    grace_days BIGINT NOT NULL CHECK (grace_days >= 0),
    escalate_after_days BIGINT CHECK (escalate_after_days >= 0),
    paused INTEGER NOT NULL CHECK (paused IN (0, 1)),
    effective_from TEXT NOT NULL,
    generated_until TEXT,
    revision BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT schedule_plan_standard CHECK ((kind = 'calibration') OR (standard_code <> ''))
);
CREATE INDEX schedule_plan_by_park ON schedule_plan (park_id, name);

CREATE TABLE schedule_task (
    id TEXT PRIMARY KEY,
    park_id TEXT NOT NULL REFERENCES park (id),
    plan_id TEXT NOT NULL REFERENCES schedule_plan (id),
    kind TEXT NOT NULL CHECK (kind IN ('inspection', 'maintenance', 'calibration')),
    standard_id TEXT REFERENCES inspection_standard (id),
    asset_id TEXT NOT NULL REFERENCES asset (id),
    due_date TEXT NOT NULL,
    overdue_after BIGINT NOT NULL,
    escalate_after BIGINT,
    assignee_org_id TEXT REFERENCES organisation (id),
    assignee_user_id TEXT REFERENCES app_user (id),
    state TEXT NOT NULL CHECK (state IN ('open', 'in_progress', 'done', 'cancelled')),
    overdue_at BIGINT,
    escalated_at BIGINT,
    started_at BIGINT,
    closed_at BIGINT,
    closed_by TEXT NOT NULL,
    record_ref TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT schedule_task_unique UNIQUE (plan_id, asset_id, due_date)
);
-- The task list and the calendar go by due date within a park; "mine" by assignee; a CI's
-- page by CI; the watcher by pending state and overdue instant.
CREATE INDEX schedule_task_by_due ON schedule_task (park_id, due_date, id);
CREATE INDEX schedule_task_by_assignee ON schedule_task (assignee_user_id, due_date);
CREATE INDEX schedule_task_by_asset ON schedule_task (asset_id, due_date);
CREATE INDEX schedule_task_to_watch ON schedule_task (state, overdue_after);

CREATE TABLE schedule_task_event (
    task_id TEXT NOT NULL REFERENCES schedule_task (id),
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (task_id, seq)
);

CREATE TABLE inspection_photo (
    id TEXT PRIMARY KEY,
    park_id TEXT NOT NULL REFERENCES park (id),
    task_id TEXT NOT NULL REFERENCES schedule_task (id),
    item_code TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data BYTEA NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX inspection_photo_by_task ON inspection_photo (task_id);

CREATE TABLE inspection_result (
    id TEXT PRIMARY KEY,
    park_id TEXT NOT NULL REFERENCES park (id),
    task_id TEXT NOT NULL REFERENCES schedule_task (id),
    version BIGINT NOT NULL CHECK (version >= 1),
    corrects_id TEXT REFERENCES inspection_result (id),
    reason TEXT NOT NULL,
    standard_id TEXT NOT NULL REFERENCES inspection_standard (id),
    asset_id TEXT NOT NULL REFERENCES asset (id),
    passed INTEGER NOT NULL CHECK (passed IN (0, 1)),
    note TEXT NOT NULL,
    ticket_id TEXT REFERENCES ticket (id),
    recorded_by TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    CONSTRAINT inspection_result_version UNIQUE (task_id, version),
    CONSTRAINT inspection_result_corrects CHECK ((version = 1) = (corrects_id IS NULL))
);

CREATE TABLE inspection_result_item (
    result_id TEXT NOT NULL REFERENCES inspection_result (id),
    position BIGINT NOT NULL,
    code TEXT NOT NULL,
    value TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('pass', 'fail')),
    finding TEXT NOT NULL CHECK (finding IN ('', 'below_min', 'above_max', 'not_accepted', 'unexpected')),
    note TEXT NOT NULL,
    photo_id TEXT REFERENCES inspection_photo (id),
    PRIMARY KEY (result_id, position)
);

-- Standard versions, timelines, results, their items and photos are records: append-only (R-8.1.2d).
CREATE TRIGGER inspection_standard_no_update BEFORE UPDATE ON inspection_standard
BEGIN SELECT RAISE(ABORT, 'inspection_standard is append-only'); END;
CREATE TRIGGER inspection_standard_no_delete BEFORE DELETE ON inspection_standard
BEGIN SELECT RAISE(ABORT, 'inspection_standard is append-only'); END;
CREATE TRIGGER schedule_task_event_no_update BEFORE UPDATE ON schedule_task_event
BEGIN SELECT RAISE(ABORT, 'schedule_task_event is append-only'); END;
CREATE TRIGGER schedule_task_event_no_delete BEFORE DELETE ON schedule_task_event
BEGIN SELECT RAISE(ABORT, 'schedule_task_event is append-only'); END;
CREATE TRIGGER inspection_photo_no_update BEFORE UPDATE ON inspection_photo
BEGIN SELECT RAISE(ABORT, 'inspection_photo is append-only'); END;
CREATE TRIGGER inspection_photo_no_delete BEFORE DELETE ON inspection_photo
BEGIN SELECT RAISE(ABORT, 'inspection_photo is append-only'); END;
CREATE TRIGGER inspection_result_no_update BEFORE UPDATE ON inspection_result
BEGIN SELECT RAISE(ABORT, 'inspection_result is append-only'); END;
CREATE TRIGGER inspection_result_no_delete BEFORE DELETE ON inspection_result
BEGIN SELECT RAISE(ABORT, 'inspection_result is append-only'); END;
CREATE TRIGGER inspection_result_item_no_update BEFORE UPDATE ON inspection_result_item
BEGIN SELECT RAISE(ABORT, 'inspection_result_item is append-only'); END;
CREATE TRIGGER inspection_result_item_no_delete BEFORE DELETE ON inspection_result_item
BEGIN SELECT RAISE(ABORT, 'inspection_result_item is append-only'); END;
