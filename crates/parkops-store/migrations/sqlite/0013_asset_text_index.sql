-- Text search in the asset list on SQLite (docs/benchmarks.md figure 9, ADR 0016). A search with
-- no other filter grouped its facets by the seven facet columns of the covering index
-- `asset_facets` (migration 0010): 34–38 ms in `sqlite3` for a text that every CI of 104,314
-- contains. Counted per facet key (migration 0012) from an index that holds the key and the
-- search text, the same took 13–15 ms. The key's index of migration 0012, which the whole park's
-- facets read, now carries the search text and the id too (it also answers the ids of a few
-- matches), instead of a second index of the key on every insert.
DROP INDEX asset_by_facet_key;
CREATE INDEX asset_by_facet_key ON asset (park_id, facet_key, search_text, id);
