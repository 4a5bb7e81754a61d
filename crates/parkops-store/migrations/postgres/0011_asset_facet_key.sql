-- The facets of a text search that matches most of a large register (docs/benchmarks.md
-- figure 9): grouping 100,000 matching CIs by the seven facet columns took PostgreSQL about
-- 25 ms of a 45 ms statement, hashing three 36-character ids and four codes per row.
--
-- Each CI now carries its facet combination as one 64-bit key, computed by PostgreSQL from
-- the seven columns (a generated column: no write path can forget it). A text search counts
-- its CIs per key (one integer to hash per row) and the store names each key from the
-- grouped covering index `asset_facets`, where the key is a function of the columns before
-- it, so the index keeps its deduplicated size. The store checks that no two combinations
-- share a key before it trusts one (crates/parkops-store/src/asset.rs, `FacetKeys`).
--
-- SQLite keeps grouping by the columns (its list meets the goal that way): its migration
-- 0011 changes nothing.
ALTER TABLE asset ADD COLUMN facet_key BIGINT GENERATED ALWAYS AS (hashtextextended(
    class || chr(31) || state || chr(31) || coalesce(zone_id, '') || chr(31) || coalesce(enterprise_org_id, '')
    || chr(31) || coalesce(maintainer_org_id, '') || chr(31) || family || chr(31) || holds_sensitive_data::text,
    0)) STORED;
DROP INDEX asset_facets;
CREATE INDEX asset_facets ON asset
    (park_id, class, state, zone_id, enterprise_org_id, maintainer_org_id, family, holds_sensitive_data, facet_key);
ALTER TABLE asset DROP CONSTRAINT asset_code_unique;
ALTER TABLE asset ADD CONSTRAINT asset_code_unique UNIQUE (park_id, code)
    INCLUDE (search_text, id, class, state, zone_id, enterprise_org_id, maintainer_org_id, family,
             holds_sensitive_data, facet_key);
