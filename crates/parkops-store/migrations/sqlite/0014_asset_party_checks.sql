-- PostgreSQL's migration 0014 replaces the keys of a CI's enterprise, maintainer and owner with
-- checks once per statement (ADR 0018). SQLite keeps the keys: its check is an index probe inside
-- the statement, and its bulk writes check every key once per table before the commit (ADR 0017).
-- Nothing changes here; the migration exists so that both engines carry the same versions.
SELECT 1;
