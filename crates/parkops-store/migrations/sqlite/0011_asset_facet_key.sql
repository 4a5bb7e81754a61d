-- PostgreSQL's migration 0011 gives each CI a generated facet key for the facets of a text
-- search that matches most of a large register. SQLite counts those facets from its covering
-- index `asset_facets` (migration 0010) within the list's goal, so nothing changes here; the
-- file keeps the two engines' migration lists alike (STYLE.md §8).
SELECT 1;
