-- The register's facet counts kept as they change (ADR 0019), as on PostgreSQL (its migration
-- 0015): one row per park and combination of facet values, from which the asset list counts its
-- facets unless it searches text or filters by site or criticality — instead of counting every
-- matching CI per facet key (the unfiltered list) or grouping the covering index `asset_facets`
-- (a filter by facet). Row triggers keep it in the writing statement. Absent zones and
-- organisations are kept as ''; a combination no CI has any more keeps its row with n = 0, which
-- reads skip (removing it would cost a probe per row of a bulk update).
--
-- `asset_facets` stays on SQLite: it also carries the search text, and a text search filtered by
-- a facet reads it (PostgreSQL reads its trigram index there).
CREATE TABLE asset_facet_count (
    park_id TEXT NOT NULL,
    class TEXT NOT NULL,
    state TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    enterprise_org_id TEXT NOT NULL,
    maintainer_org_id TEXT NOT NULL,
    family TEXT NOT NULL,
    holds_sensitive_data INTEGER NOT NULL,
    n INTEGER NOT NULL,
    CONSTRAINT asset_facet_count_pkey
        PRIMARY KEY (park_id, class, state, zone_id, enterprise_org_id, maintainer_org_id, family, holds_sensitive_data)
) WITHOUT ROWID;

-- A row here, written inside a large import's transaction and deleted before its commit, sets
-- the triggers below aside; the store counts the table afresh at the commit instead
-- (`FACET_RECOUNT`).
CREATE TABLE asset_facet_count_deferred (deferred INTEGER NOT NULL);

-- Moves one combination's count by `d`: every trigger below inserts its rows here (SQLite's
-- triggers cannot share a statement otherwise). No `CHECK (n >= 0)`: the upsert proposes the
-- difference, which may be negative, and a CHECK would be tested on the proposal (as on PostgreSQL).
CREATE VIEW asset_facet_move AS
    SELECT park_id, class, state, zone_id, enterprise_org_id, maintainer_org_id, family, holds_sensitive_data, 0 AS d
    FROM asset WHERE 0;
CREATE TRIGGER asset_facet_move_count INSTEAD OF INSERT ON asset_facet_move
BEGIN
    INSERT INTO asset_facet_count
        (park_id, class, state, zone_id, enterprise_org_id, maintainer_org_id, family, holds_sensitive_data, n)
    VALUES (NEW.park_id, NEW.class, NEW.state, coalesce(NEW.zone_id, ''), coalesce(NEW.enterprise_org_id, ''),
        coalesce(NEW.maintainer_org_id, ''), NEW.family, NEW.holds_sensitive_data, NEW.d)
    ON CONFLICT DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER asset_facet_count_on_insert AFTER INSERT ON asset
WHEN NOT EXISTS (SELECT 1 FROM asset_facet_count_deferred)
BEGIN
    INSERT INTO asset_facet_move VALUES (NEW.park_id, NEW.class, NEW.state, NEW.zone_id, NEW.enterprise_org_id,
        NEW.maintainer_org_id, NEW.family, NEW.holds_sensitive_data, 1);
END;

CREATE TRIGGER asset_facet_count_on_update
AFTER UPDATE OF park_id, class, state, zone_id, enterprise_org_id, maintainer_org_id, family, holds_sensitive_data
ON asset
WHEN NOT EXISTS (SELECT 1 FROM asset_facet_count_deferred)
BEGIN
    INSERT INTO asset_facet_move VALUES (OLD.park_id, OLD.class, OLD.state, OLD.zone_id, OLD.enterprise_org_id,
        OLD.maintainer_org_id, OLD.family, OLD.holds_sensitive_data, -1);
    INSERT INTO asset_facet_move VALUES (NEW.park_id, NEW.class, NEW.state, NEW.zone_id, NEW.enterprise_org_id,
        NEW.maintainer_org_id, NEW.family, NEW.holds_sensitive_data, 1);
END;

CREATE TRIGGER asset_facet_count_on_delete AFTER DELETE ON asset
WHEN NOT EXISTS (SELECT 1 FROM asset_facet_count_deferred)
BEGIN
    INSERT INTO asset_facet_move VALUES (OLD.park_id, OLD.class, OLD.state, OLD.zone_id, OLD.enterprise_org_id,
        OLD.maintainer_org_id, OLD.family, OLD.holds_sensitive_data, -1);
END;

INSERT INTO asset_facet_count
    (park_id, class, state, zone_id, enterprise_org_id, maintainer_org_id, family, holds_sensitive_data, n)
SELECT park_id, class, state, coalesce(zone_id, ''), coalesce(enterprise_org_id, ''), coalesce(maintainer_org_id, ''),
    family, holds_sensitive_data, count(*)
FROM asset
GROUP BY park_id, class, state, coalesce(zone_id, ''), coalesce(enterprise_org_id, ''), coalesce(maintainer_org_id, ''),
    family, holds_sensitive_data;
