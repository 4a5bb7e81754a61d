-- Text search in the asset list on PostgreSQL (docs/benchmarks.md figure 9, ADR 0016). Until
-- now a search read the code's unique index whole (56 MB at 100,000 CIs: it carries every facet
-- column for the filters that come with a text) twice side by side, once for the ids of the few
-- CIs it may match and once for the facets per key; on a busy two-core machine that took more
-- than the list's 50 ms.
--
-- 1. A narrow index of the search text per facet key (17 MB at 100,000 CIs). A text that many
--    CIs contain, or one shorter than three characters, reads this index instead: the facets
--    come out grouped in its order, and the ids of few matches from the same pages.
CREATE INDEX asset_search_by_key ON asset (park_id, facet_key) INCLUDE (search_text, id);

-- 2. A trigram index (pg_trgm) of the search text, which answers `LIKE '%…%'` for three
--    characters or more from the few CIs that hold all of the text's trigrams; Chinese
--    characters count as letters under a UTF-8 ctype. pg_trgm is a trusted extension (a role
--    with CREATE on the database may add it); it goes into `public` when it can, so that a
--    schema dropped with CASCADE does not take it from the others, else into the current
--    schema. Where it cannot be had at all, the list keeps working from index 1 and the server
--    log of this migration says why; an administrator can add the extension and this index
--    later (README, PostgreSQL). The advisory lock keeps two servers migrating side by side
--    from creating the extension at once.
DO $$
BEGIN
    PERFORM pg_advisory_xact_lock(7236401013);
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        BEGIN
            CREATE EXTENSION pg_trgm SCHEMA public;
        EXCEPTION WHEN OTHERS THEN
            BEGIN
                CREATE EXTENSION pg_trgm;
            EXCEPTION WHEN OTHERS THEN
                RAISE WARNING 'ParkOps: pg_trgm is not available (%); the asset list searches text without a trigram index', SQLERRM;
            END;
        END;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        EXECUTE (SELECT format('CREATE INDEX asset_search_trigrams ON asset USING gin (search_text %I.gin_trgm_ops)', n.nspname)
                 FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm');
    END IF;
END $$;

-- 3. The code's unique index keeps the search text and the id, for a page of a common text in
--    code order; the facet columns it carried for searches (migrations 0010, 0011) go.
ALTER TABLE asset DROP CONSTRAINT asset_code_unique;
ALTER TABLE asset ADD CONSTRAINT asset_code_unique UNIQUE (park_id, code) INCLUDE (search_text, id);
