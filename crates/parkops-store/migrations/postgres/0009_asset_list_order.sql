-- The asset list at 100,000 CIs (docs/benchmarks.md figure 9): the "last updated" sort had no
-- index that keeps the list's order, so each page sorted every matching CI.
CREATE INDEX asset_by_updated ON asset (park_id, updated_at DESC, code);
