-- PostgreSQL's migration 0013 gives the asset list's text search a narrow index per facet key
-- and a trigram index (ADR 0016). SQLite answers the same searches from its covering index
-- `asset_facets` (migration 0010) within the list's goal, so nothing changes here; the file
-- keeps the two engines' migration lists alike (STYLE.md §8).
SELECT 1;
