-- Text search in the asset list (docs/benchmarks.md figure 9): `q` matched lower(code) and
-- lower(name) with LIKE '%…%' on every row of the table, three times per list. Each CI now keeps
-- its code and name as one search text (parkops_domain::asset::search_text: ASCII letters in
-- lower case, code and name joined by U+001F), and the facets' covering index carries it and the
-- id, so a search reads that index once: the facet counts and, when few CIs match, their ids.
--
-- The single-column list indexes of zone, enterprise and maintainer go: the covering index
-- counts those filters' facets, and a page in code order finds their CIs early (each is a
-- few per cent of a park or more), while every index costs every insert (about 0.28 s per
-- 100,000 CIs on PostgreSQL, docs/benchmarks.md figure 7). Class and state keep theirs: one
-- class or state can be a handful of CIs among a hundred thousand.
ALTER TABLE asset ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE asset SET search_text = lower(code) || char(31) || lower(name);
DROP INDEX asset_facets;
CREATE INDEX asset_facets ON asset (park_id, class, state, zone_id, enterprise_org_id, maintainer_org_id, family, holds_sensitive_data, search_text, id);
DROP INDEX asset_by_zone;
DROP INDEX asset_by_enterprise;
DROP INDEX asset_by_maintainer;
