-- Text search in the asset list (docs/benchmarks.md figure 9): `q` matched lower(code) and
-- lower(name) with LIKE '%…%' on every row of the table, three times per list. Each CI now keeps
-- its code and name as one search text (parkops_domain::asset::search_text: ASCII letters in
-- lower case, code and name joined by U+001F). translate() lowers ASCII letters only, as the
-- domain function and SQLite's lower() do.
--
-- On PostgreSQL the unique index on the code carries the search text, the id and the facet
-- columns as included (non-key) columns: a search reads that index alone — the matching CIs'
-- facets and ids, and a page in code order — while the facets' covering index of migration
-- 0008 stays as narrow as the unfiltered list needs it. (SQLite cannot widen a constraint's
-- index, so there `asset_facets` carries the search text and the id instead.)
--
-- The single-column list indexes of zone, enterprise and maintainer go: the covering index
-- counts those filters' facets, and a page in code order finds their CIs early (each is a
-- few per cent of a park or more), while every index costs every insert (about 0.28 s per
-- 100,000 CIs on PostgreSQL, docs/benchmarks.md figure 7). Class and state keep theirs: one
-- class or state can be a handful of CIs among a hundred thousand.
ALTER TABLE asset ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE asset SET search_text =
    translate(code, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') || chr(31)
    || translate(name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz');
ALTER TABLE asset DROP CONSTRAINT asset_code_unique;
ALTER TABLE asset ADD CONSTRAINT asset_code_unique UNIQUE (park_id, code)
    INCLUDE (search_text, id, class, state, zone_id, enterprise_org_id, maintainer_org_id, family, holds_sensitive_data);
DROP INDEX asset_by_zone;
DROP INDEX asset_by_enterprise;
DROP INDEX asset_by_maintainer;
