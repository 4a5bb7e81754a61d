-- Asset register (R-9.1.1c): the park's location tree, administrators' class extensions, CIs
-- with their attributes (JSON text), relations between CIs, the CI timeline, and spare parts
-- with their stock movements. Class codes are data (extensible), so only families, states,
-- relation kinds and the other closed sets carry CHECK constraints.

CREATE TABLE asset_location (
    id TEXT PRIMARY KEY,
    park_id TEXT NOT NULL REFERENCES park (id),
    parent_id TEXT REFERENCES asset_location (id),
    level TEXT NOT NULL CHECK (level IN ('zone', 'site', 'point')),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    latitude TEXT NOT NULL,
    longitude TEXT NOT NULL,
    ex_zone TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT asset_location_code_unique UNIQUE (park_id, code),
    CONSTRAINT asset_location_parent CHECK ((level = 'zone') = (parent_id IS NULL))
);
CREATE INDEX asset_location_by_parent ON asset_location (parent_id);

CREATE TABLE asset_class (
    park_id TEXT NOT NULL REFERENCES park (id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    family TEXT NOT NULL CHECK (family IN ('business_service', 'application', 'compute', 'network', 'facility', 'data_acquisition', 'safety_instrument', 'environmental_instrument', 'video', 'access_control', 'emergency', 'energy', 'end_user')),
    attributes TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (park_id, code)
);

CREATE TABLE asset (
    id TEXT PRIMARY KEY,
    park_id TEXT NOT NULL REFERENCES park (id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    class TEXT NOT NULL,
    family TEXT NOT NULL CHECK (family IN ('business_service', 'application', 'compute', 'network', 'facility', 'data_acquisition', 'safety_instrument', 'environmental_instrument', 'video', 'access_control', 'emergency', 'energy', 'end_user')),
    state TEXT NOT NULL CHECK (state IN ('planned', 'under_construction', 'trial_run', 'in_service', 'under_maintenance', 'faulty', 'out_of_service', 'scrapped', 'disposed')),
    state_since BIGINT NOT NULL,
    zone_id TEXT REFERENCES asset_location (id),
    site_id TEXT REFERENCES asset_location (id),
    point_id TEXT REFERENCES asset_location (id),
    enterprise_org_id TEXT REFERENCES organisation (id),
    maintainer_org_id TEXT REFERENCES organisation (id),
    owner_user_id TEXT REFERENCES app_user (id),
    criticality TEXT NOT NULL CHECK (criticality IN ('a', 'b', 'c')),
    domain TEXT NOT NULL CHECK (domain IN ('safety_production', 'environmental', 'emergency', 'energy', 'logistics', 'closed_area', 'network_security')),
    holds_sensitive_data INTEGER NOT NULL CHECK (holds_sensitive_data IN (0, 1)),
    attributes TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT asset_code_unique UNIQUE (park_id, code)
);
-- The list pages by code within a park; each facet filter has an index that keeps that order.
CREATE INDEX asset_by_class ON asset (park_id, class, code);
CREATE INDEX asset_by_state ON asset (park_id, state, code);
CREATE INDEX asset_by_zone ON asset (park_id, zone_id, code);
CREATE INDEX asset_by_enterprise ON asset (park_id, enterprise_org_id, code);
CREATE INDEX asset_by_maintainer ON asset (park_id, maintainer_org_id, code);

CREATE TABLE asset_relation (
    park_id TEXT NOT NULL REFERENCES park (id),
    from_id TEXT NOT NULL REFERENCES asset (id),
    to_id TEXT NOT NULL REFERENCES asset (id),
    kind TEXT NOT NULL CHECK (kind IN ('part_of', 'connected_to', 'reports_to', 'runs_on', 'hosted_by', 'uses', 'depends_on', 'stores_on', 'backed_up_by', 'protected_by', 'monitors', 'linked_alarm', 'pushes_to', 'located_at')),
    note TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (from_id, kind, to_id),
    CONSTRAINT asset_relation_not_self CHECK (from_id <> to_id)
);
-- Impact traversal follows relations from either end.
CREATE INDEX asset_relation_by_to ON asset_relation (to_id, kind, from_id);

CREATE TABLE asset_event (
    asset_id TEXT NOT NULL REFERENCES asset (id),
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    note TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (asset_id, seq)
);

CREATE TABLE spare_part (
    id TEXT PRIMARY KEY,
    park_id TEXT NOT NULL REFERENCES park (id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    class TEXT NOT NULL,
    unit TEXT NOT NULL,
    stock BIGINT NOT NULL,
    min_stock BIGINT NOT NULL CHECK (min_stock >= 0),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT spare_part_code_unique UNIQUE (park_id, code),
    CONSTRAINT spare_part_stock CHECK (stock >= 0)
);

CREATE TABLE spare_part_movement (
    part_id TEXT NOT NULL REFERENCES spare_part (id),
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    delta BIGINT NOT NULL,
    stock_after BIGINT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('receipt', 'issue', 'return', 'adjustment')),
    asset_id TEXT REFERENCES asset (id),
    note TEXT NOT NULL,
    PRIMARY KEY (part_id, seq)
);
CREATE INDEX spare_part_movement_by_asset ON spare_part_movement (asset_id);

-- Timelines and stock movements are records: append-only (R-8.1.2d).
CREATE TRIGGER asset_event_no_update BEFORE UPDATE ON asset_event
BEGIN SELECT RAISE(ABORT, 'asset_event is append-only'); END;
CREATE TRIGGER asset_event_no_delete BEFORE DELETE ON asset_event
BEGIN SELECT RAISE(ABORT, 'asset_event is append-only'); END;
CREATE TRIGGER spare_part_movement_no_update BEFORE UPDATE ON spare_part_movement
BEGIN SELECT RAISE(ABORT, 'spare_part_movement is append-only'); END;
CREATE TRIGGER spare_part_movement_no_delete BEFORE DELETE ON spare_part_movement
BEGIN SELECT RAISE(ABORT, 'spare_part_movement is append-only'); END;
