-- Service desk at scale (issue 3 benchmarks, docs/benchmarks.md figures 5-6) and the ticket's
-- link to the asset register (issue 4).

-- A ticket may name the CI it concerns; the asset page lists its tickets, newest first.
ALTER TABLE ticket ADD COLUMN asset_id TEXT REFERENCES asset (id);
CREATE INDEX ticket_asset ON ticket (asset_id, created_at);

-- The queue's order (nearest resolution due first, paused and finished ones after, newest
-- first among equals) as an index, so the first page of a park-wide list stops after one
-- page of rows instead of sorting every ticket. The ORDER BY in store/desk.rs must stay
-- textually the same expression.
CREATE INDEX ticket_due_order ON ticket
    (park_id, (CASE WHEN resolve_due_at IS NULL THEN 1 ELSE 0 END), resolve_due_at, created_at DESC);

-- The SLA watcher reads the open states in creation order every minute.
CREATE INDEX ticket_state_created ON ticket (state, created_at);

-- Ticket numbers per park and China-time day: one counter row bumped inside the write
-- transaction, instead of counting the day's tickets for every new one.
CREATE TABLE ticket_number (
    park_id TEXT NOT NULL REFERENCES park (id),
    day TEXT NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (park_id, day)
);

-- The chain head travels with the writer gate: a write transaction's first statement bumps
-- `write_lock` and reads the head in the same statement (RETURNING), and each appended audit
-- record moves the head here by trigger, so no writer needs a separate head lookup.
ALTER TABLE write_lock ADD COLUMN head_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE write_lock ADD COLUMN head_hash TEXT NOT NULL DEFAULT '';
UPDATE write_lock SET
    head_seq = COALESCE((SELECT MAX(seq) FROM audit_event), 0),
    head_hash = COALESCE((SELECT hash FROM audit_event ORDER BY seq DESC LIMIT 1), '')
WHERE id = 1;
CREATE FUNCTION parkops_audit_moves_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE write_lock SET head_seq = NEW.seq, head_hash = NEW.hash WHERE id = 1;
    RETURN NULL;
END;
$$;
CREATE TRIGGER audit_event_moves_head AFTER INSERT ON audit_event
FOR EACH ROW EXECUTE FUNCTION parkops_audit_moves_head();
