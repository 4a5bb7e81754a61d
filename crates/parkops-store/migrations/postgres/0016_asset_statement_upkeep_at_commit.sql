-- A large import sets the statement triggers of `asset` aside and does their work once before its
-- commit (ADR 0020). The facet counts' triggers (migration 0015) and the party checks (migration
-- 0014) are statement triggers with transition tables: for every statement of an import
-- PostgreSQL copies the rows written into a tuple store and runs both functions over it — 0.5–1 s
-- of a 100,000-CI import in 100 statements (docs/benchmarks.md figure 7). The store now disables
-- them inside such an import's transaction (which already holds the register's tables, ADR 0015),
-- enables them again before the commit, counts the facets afresh (as it did) and checks every
-- CI's parties with `parkops_asset_parties_exist_in_register()` below. `ALTER TABLE … DISABLE
-- TRIGGER` is transactional: a failed or abandoned import leaves them as they were.

-- The row that set the facet counts' triggers aside (migration 0015) is no longer written here:
-- disabled triggers do not run at all. SQLite keeps its row (its triggers cannot be disabled).
CREATE OR REPLACE FUNCTION parkops_asset_facet_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    -- A transition table's rows as (combination, +1 or -1).
    rows_of CONSTANT TEXT := 'SELECT park_id, class, state, coalesce(zone_id, '''') AS zone_id, '
        'coalesce(enterprise_org_id, '''') AS enterprise_org_id, coalesce(maintainer_org_id, '''') AS maintainer_org_id, '
        'family, holds_sensitive_data, %s AS d FROM %I';
    changed TEXT;
BEGIN
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
DROP TABLE asset_facet_count_deferred;

-- The check of the organisations and users named by the CIs of `source` (a table, or a trigger's
-- transition table), as one statement: each distinct party is locked `FOR KEY SHARE` (in id
-- order, the mode a key's check takes, so that none can be deleted before this transaction
-- ends), and the statement yields the key of the first reference that names no row it could
-- lock — a row deleted meanwhile is not locked, so it counts as missing. One text serves the
-- trigger and the check at the commit; a transition table is visible only to the trigger
-- function's own statements, so each runs it itself.
CREATE FUNCTION parkops_asset_parties_sql(source TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
SELECT format(
    'WITH n AS MATERIALIZED (SELECT DISTINCT enterprise_org_id, maintainer_org_id, owner_user_id FROM %I), '
    'o AS (SELECT o.id FROM organisation o WHERE o.id IN (SELECT enterprise_org_id FROM n UNION SELECT maintainer_org_id FROM n) '
    'ORDER BY o.id FOR KEY SHARE OF o), '
    'u AS (SELECT u.id FROM app_user u WHERE u.id IN (SELECT owner_user_id FROM n) ORDER BY u.id FOR KEY SHARE OF u) '
    'SELECT r.key FROM n CROSS JOIN LATERAL (VALUES '
    '(''asset_enterprise_org_id_fkey'', n.enterprise_org_id, TRUE), '
    '(''asset_maintainer_org_id_fkey'', n.maintainer_org_id, TRUE), '
    '(''asset_owner_user_id_fkey'', n.owner_user_id, FALSE)) AS r (key, id, is_org) '
    'WHERE r.id IS NOT NULL AND NOT CASE WHEN r.is_org THEN r.id IN (SELECT id FROM o) ELSE r.id IN (SELECT id FROM u) END '
    'LIMIT 1', source)
$$;

-- Refuses with SQLSTATE 23503 and the name of the key the reference had, when there is one.
CREATE FUNCTION parkops_asset_party_missing(missing TEXT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update on table "asset" violates foreign key constraint "%"', missing
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = missing, TABLE = 'asset';
    END IF;
END;
$$;

-- After each statement that inserts or updates CIs (the triggers of migration 0014).
CREATE OR REPLACE FUNCTION parkops_asset_parties_exist() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing TEXT;
BEGIN
    EXECUTE parkops_asset_parties_sql('written') INTO missing;
    PERFORM parkops_asset_party_missing(missing);
    RETURN NULL;
END;
$$;

-- Before the commit of an import that set the triggers aside: every CI of the register.
CREATE FUNCTION parkops_asset_parties_exist_in_register() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    missing TEXT;
BEGIN
    EXECUTE parkops_asset_parties_sql('asset') INTO missing;
    PERFORM parkops_asset_party_missing(missing);
END;
$$;
