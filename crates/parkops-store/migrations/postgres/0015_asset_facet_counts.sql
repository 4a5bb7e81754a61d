-- The register's facet counts kept as they change (ADR 0019). The asset list counts its CIs by
-- seven facets; without a text search or a filter on the site or criticality, those counts now
-- come from this table — one row per park and combination of facet values (631 at 104,314 CIs) —
-- instead of grouping every matching CI: the unfiltered list read all 104,314 entries of the
-- covering index `asset_facets` for 20–27 ms of its 30–40 ms (docs/benchmarks.md figure 9).
--
-- Statement triggers keep it in the writing transaction: after each statement that inserts,
-- updates or deletes CIs, the statement's rows (its transition tables) are grouped by combination
-- and the counts moved by the difference, so a rolled-back import leaves no count behind.
-- Absent zones and organisations are kept as '' (a key's columns cannot be NULL); a combination
-- no CI has any more keeps its row with n = 0, which reads skip (as on SQLite).
--
-- The covering index `asset_facets` served those counts only, and goes: building it again was
-- 0.5–0.9 s of a 100,000-CI import (ADR 0016).
CREATE TABLE asset_facet_count (
    park_id TEXT NOT NULL,
    class TEXT NOT NULL,
    state TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    enterprise_org_id TEXT NOT NULL,
    maintainer_org_id TEXT NOT NULL,
    family TEXT NOT NULL,
    holds_sensitive_data INTEGER NOT NULL,
    -- No CHECK (n >= 0): the upsert below proposes a row with the (negative) difference before
    -- it finds the existing one, and a CHECK is tested on the proposal.
    n BIGINT NOT NULL,
    CONSTRAINT asset_facet_count_pkey
        PRIMARY KEY (park_id, class, state, zone_id, enterprise_org_id, maintainer_org_id, family, holds_sensitive_data)
);

-- A row here, written inside a large import's transaction and deleted before its commit (so no
-- other transaction ever sees it), sets the triggers below aside: grouping each statement's rows
-- and updating hundreds of counts per statement was 0.4–0.9 s of a 100,000-CI import, counting
-- the table afresh at the commit about 0.1 s (the store's `FACET_RECOUNT`).
CREATE TABLE asset_facet_count_deferred (deferred INTEGER NOT NULL);

CREATE FUNCTION parkops_asset_facet_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    -- A transition table's rows as (combination, +1 or -1).
    rows_of CONSTANT TEXT := 'SELECT park_id, class, state, coalesce(zone_id, '''') AS zone_id, '
        'coalesce(enterprise_org_id, '''') AS enterprise_org_id, coalesce(maintainer_org_id, '''') AS maintainer_org_id, '
        'family, holds_sensitive_data, %s AS d FROM %I';
    changed TEXT;
BEGIN
    IF EXISTS (SELECT 1 FROM asset_facet_count_deferred) THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM asset_facet_count;
        RETURN NULL;
    END IF;
    changed := CASE TG_OP
        WHEN 'INSERT' THEN format(rows_of, 1, 'written')
        WHEN 'DELETE' THEN format(rows_of, -1, 'gone')
        ELSE format(rows_of, 1, 'written') || ' UNION ALL ' || format(rows_of, -1, 'gone')
    END;
    EXECUTE 'INSERT INTO asset_facet_count AS c (park_id, class, state, zone_id, enterprise_org_id, '
        'maintainer_org_id, family, holds_sensitive_data, n) '
        'SELECT park_id, class, state, zone_id, enterprise_org_id, maintainer_org_id, family, '
        'holds_sensitive_data, sum(d) FROM (' || changed || ') AS x '
        'GROUP BY park_id, class, state, zone_id, enterprise_org_id, maintainer_org_id, family, holds_sensitive_data '
        'HAVING sum(d) <> 0 '
        'ON CONFLICT ON CONSTRAINT asset_facet_count_pkey DO UPDATE SET n = c.n + excluded.n';
    RETURN NULL;
END;
$$;

CREATE TRIGGER asset_facet_count_on_insert AFTER INSERT ON asset
REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION parkops_asset_facet_counts();
CREATE TRIGGER asset_facet_count_on_update AFTER UPDATE ON asset
REFERENCING OLD TABLE AS gone NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION parkops_asset_facet_counts();
CREATE TRIGGER asset_facet_count_on_delete AFTER DELETE ON asset
REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION parkops_asset_facet_counts();
CREATE TRIGGER asset_facet_count_on_truncate AFTER TRUNCATE ON asset
FOR EACH STATEMENT EXECUTE FUNCTION parkops_asset_facet_counts();

INSERT INTO asset_facet_count
    (park_id, class, state, zone_id, enterprise_org_id, maintainer_org_id, family, holds_sensitive_data, n)
SELECT park_id, class, state, coalesce(zone_id, ''), coalesce(enterprise_org_id, ''), coalesce(maintainer_org_id, ''),
    family, holds_sensitive_data, count(*)
FROM asset
GROUP BY park_id, class, state, coalesce(zone_id, ''), coalesce(enterprise_org_id, ''), coalesce(maintainer_org_id, ''),
    family, holds_sensitive_data;

DROP INDEX asset_facets;
