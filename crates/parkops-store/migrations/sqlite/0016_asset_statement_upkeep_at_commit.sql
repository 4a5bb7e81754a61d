-- PostgreSQL's migration 0016 lets a large import disable the statement triggers of `asset` (facet
-- counts, party checks) and check every CI's parties before the commit (ADR 0020). SQLite has row
-- triggers, which cannot be disabled: a large import there keeps setting the facet counts aside
-- with the row of migration 0015, and its bulk connection checks every key once per table before
-- the commit (ADR 0017). Nothing changes here; the migration exists so that both engines carry
-- the same versions.
SELECT 1;
