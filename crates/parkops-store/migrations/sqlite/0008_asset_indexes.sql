-- The asset list's facet counts (AssetReads::asset_facets) group every facet column in one
-- statement; this index covers it, so the counts read the index once instead of the table once
-- per facet (docs/benchmarks.md, figure 9: 7 statements of up to 110 ms at 100,000 CIs).
CREATE INDEX asset_facets ON asset (park_id, class, state, zone_id, enterprise_org_id, maintainer_org_id, family, holds_sensitive_data);
