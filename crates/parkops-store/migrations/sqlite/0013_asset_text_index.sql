-- Text search in the asset list on SQLite (docs/benchmarks.md figure 9, ADR 0016). A search with
-- no other filter grouped its facets by the seven facet columns of the covering index
-- `asset_facets` (migration 0010): 34–38 ms in `sqlite3` for a text that every CI of 104,314
-- contains. Counted per facet key (migration 0012) from an index that holds the key and the
-- search text, the same took 13–15 ms. The key's index of migration 0012, which the whole park's
-- facets read, now carries the search text and the id too (it also answers the ids of a few
-- matches), instead of a second index of the key on every insert.
DROP INDEX asset_by_facet_key;
CREATE INDEX asset_by_facet_key ON asset (park_id, facet_key, search_text, id);

-- A plain insert of many new CIs (an import) gives each its key, read from the dictionary in the
-- same transaction (crates/parkops-store/src/asset.rs, `DbTx::facet_keys_of`): the insert trigger
-- then leaves such a row alone instead of updating it once more (0.55 s of 2.8 s for 100,000 CIs
-- in `sqlite3`). Every other insert leaves the key at 0, and the trigger numbers it as before.
DROP TRIGGER asset_facet_key_on_insert;
CREATE TRIGGER asset_facet_key_on_insert AFTER INSERT ON asset WHEN NEW.facet_key = 0
BEGIN
    INSERT INTO asset_facet_assign VALUES (NEW.rowid, NEW.class, NEW.state, NEW.zone_id, NEW.enterprise_org_id,
        NEW.maintainer_org_id, NEW.family, NEW.holds_sensitive_data);
END;
