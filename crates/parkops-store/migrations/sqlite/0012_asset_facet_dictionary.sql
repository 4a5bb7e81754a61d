-- The unfiltered asset list's facets on SQLite (docs/benchmarks.md figure 9): grouping 104,314
-- CIs by the seven facet columns read the whole covering index `asset_facets` (31 MB, with the
-- search text and the id) and compared seven texts per row — 30 ms of a 35–50 ms list, the one
-- list case that missed its goal on a slow machine.
--
-- Each CI now carries a facet key, as on PostgreSQL (its migration 0011), but SQLite has no hash
-- function for a generated column: the key is the number of the CI's combination of facet
-- values in a dictionary of the combinations seen, which triggers keep. A combination once
-- numbered keeps its number and numbers are never reused, so no two combinations share one. The
-- unfiltered list counts its CIs per key from a narrow index (5 MB, 9 ms) and names the keys
-- from the dictionary (crates/parkops-store/src/asset.rs, `FacetKeys`). Filtered lists and text
-- searches keep grouping by the columns: they read fewer rows, or spend their time on the text,
-- and measured no faster by key.
--
-- Absent values are kept as '' in the dictionary so that its unique index sees them as equal
-- (ids are UUIDs, never empty). The triggers insert a combination only when it is missing rather
-- than with `OR IGNORE`: a trigger's conflict clause gives way to the firing statement's, and an
-- upsert of a CI would then fail on the dictionary's unique index.
CREATE TABLE asset_facet_combo (
    facet_key INTEGER PRIMARY KEY AUTOINCREMENT,
    class TEXT NOT NULL,
    state TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    enterprise_org_id TEXT NOT NULL,
    maintainer_org_id TEXT NOT NULL,
    family TEXT NOT NULL,
    holds_sensitive_data INTEGER NOT NULL,
    CONSTRAINT asset_facet_combo_unique
        UNIQUE (class, state, zone_id, enterprise_org_id, maintainer_org_id, family, holds_sensitive_data)
);
ALTER TABLE asset ADD COLUMN facet_key INTEGER NOT NULL DEFAULT 0;
-- Numbering a CI's combination, in one place for both triggers and the CIs already present: a
-- row written to this view adds the combination if missing and sets the CI's key.
CREATE VIEW asset_facet_assign AS
    SELECT rowid AS asset_rowid, class, state, zone_id, enterprise_org_id, maintainer_org_id, family,
        holds_sensitive_data
    FROM asset WHERE 0;
CREATE TRIGGER asset_facet_assign_key INSTEAD OF INSERT ON asset_facet_assign
BEGIN
    INSERT INTO asset_facet_combo
        (class, state, zone_id, enterprise_org_id, maintainer_org_id, family, holds_sensitive_data)
        SELECT NEW.class, NEW.state, coalesce(NEW.zone_id, ''), coalesce(NEW.enterprise_org_id, ''),
            coalesce(NEW.maintainer_org_id, ''), NEW.family, NEW.holds_sensitive_data
        WHERE NOT EXISTS (
            SELECT 1 FROM asset_facet_combo c
            WHERE c.class = NEW.class AND c.state = NEW.state AND c.zone_id = coalesce(NEW.zone_id, '')
                AND c.enterprise_org_id = coalesce(NEW.enterprise_org_id, '')
                AND c.maintainer_org_id = coalesce(NEW.maintainer_org_id, '')
                AND c.family = NEW.family AND c.holds_sensitive_data = NEW.holds_sensitive_data);
    UPDATE asset SET facet_key = (
        SELECT c.facet_key FROM asset_facet_combo c
        WHERE c.class = NEW.class AND c.state = NEW.state AND c.zone_id = coalesce(NEW.zone_id, '')
            AND c.enterprise_org_id = coalesce(NEW.enterprise_org_id, '')
            AND c.maintainer_org_id = coalesce(NEW.maintainer_org_id, '')
            AND c.family = NEW.family AND c.holds_sensitive_data = NEW.holds_sensitive_data)
    WHERE rowid = NEW.asset_rowid;
END;
CREATE TRIGGER asset_facet_key_on_insert AFTER INSERT ON asset
BEGIN
    INSERT INTO asset_facet_assign VALUES (NEW.rowid, NEW.class, NEW.state, NEW.zone_id, NEW.enterprise_org_id,
        NEW.maintainer_org_id, NEW.family, NEW.holds_sensitive_data);
END;
CREATE TRIGGER asset_facet_key_on_update
AFTER UPDATE OF class, state, zone_id, enterprise_org_id, maintainer_org_id, family, holds_sensitive_data ON asset
BEGIN
    INSERT INTO asset_facet_assign VALUES (NEW.rowid, NEW.class, NEW.state, NEW.zone_id, NEW.enterprise_org_id,
        NEW.maintainer_org_id, NEW.family, NEW.holds_sensitive_data);
END;
-- The CIs already present (1.6 s for 104,314 in `sqlite3`).
INSERT INTO asset_facet_assign
    SELECT rowid, class, state, zone_id, enterprise_org_id, maintainer_org_id, family, holds_sensitive_data
    FROM asset;
CREATE INDEX asset_by_facet_key ON asset (park_id, facet_key);
