-- SQLite's migration 0012 gives each CI a facet key numbered from a dictionary of combinations,
-- for the unfiltered list's facets. PostgreSQL has had a generated facet key since its migration
-- 0011 and counts the unfiltered facets from its deduplicated covering index `asset_facets`
-- within the goal, so nothing changes here; the file keeps the two engines' migration lists alike
-- (STYLE.md §8).
SELECT 1;
