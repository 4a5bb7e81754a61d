-- A CI's enterprise, maintainer and owner checked once per statement on PostgreSQL (ADR 0018).
-- As foreign keys these three references were checked by a trigger per row and key: 1.3 s of the
-- 2.5–2.8 s that inserting 104,314 CIs took in `psql` (docs/benchmarks.md figure 7). An import
-- cannot set these keys aside as it does the register's own (ADR 0015): dropping them would hold
-- `organisation` and `app_user`, which every request reads for its principal, until the commit.
--
-- The statement triggers below keep what the keys guaranteed. After each statement that inserts
-- or updates CIs they lock the organisations and users it names — once per distinct row, in the
-- mode a key's check takes (`FOR KEY SHARE`), so that none can be deleted before this transaction
-- ends — and refuse the statement if one of them does not exist, with SQLSTATE 23503 and the
-- name the key had. On the other side, deleting an organisation or a user, changing its id or
-- truncating the table is refused while a CI names it. SQLite keeps the keys (its checks are an
-- index probe inside the statement, and its bulk writes check keys once per table, ADR 0017).
ALTER TABLE asset
    DROP CONSTRAINT asset_enterprise_org_id_fkey,
    DROP CONSTRAINT asset_maintainer_org_id_fkey,
    DROP CONSTRAINT asset_owner_user_id_fkey;

CREATE FUNCTION parkops_asset_parties_exist() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing TEXT;
BEGIN
    PERFORM 1 FROM organisation o
    WHERE o.id IN (SELECT n.enterprise_org_id FROM written n UNION SELECT n.maintainer_org_id FROM written n)
    ORDER BY o.id FOR KEY SHARE OF o;
    PERFORM 1 FROM app_user u WHERE u.id IN (SELECT n.owner_user_id FROM written n) ORDER BY u.id FOR KEY SHARE OF u;
    -- Each reference of each row once: the first that names no row, by the key it replaces.
    SELECT r.key INTO missing
    FROM written n
    CROSS JOIN LATERAL (VALUES
        ('asset_enterprise_org_id_fkey', n.enterprise_org_id, TRUE),
        ('asset_maintainer_org_id_fkey', n.maintainer_org_id, TRUE),
        ('asset_owner_user_id_fkey', n.owner_user_id, FALSE)) AS r (key, id, is_org)
    WHERE r.id IS NOT NULL
      AND NOT CASE WHEN r.is_org THEN EXISTS (SELECT 1 FROM organisation o WHERE o.id = r.id)
                   ELSE EXISTS (SELECT 1 FROM app_user u WHERE u.id = r.id) END
    LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update on table "asset" violates foreign key constraint "%"', missing
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = missing, TABLE = 'asset';
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER asset_parties_on_insert AFTER INSERT ON asset
REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION parkops_asset_parties_exist();
CREATE TRIGGER asset_parties_on_update AFTER UPDATE ON asset
REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION parkops_asset_parties_exist();

-- An organisation or a user a CI names stays (as its key kept it).
CREATE FUNCTION parkops_asset_party_stays() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    named TEXT;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        IF TG_TABLE_NAME = 'organisation' THEN
            SELECT 'asset_enterprise_org_id_fkey' INTO named FROM asset
            WHERE enterprise_org_id IS NOT NULL OR maintainer_org_id IS NOT NULL LIMIT 1;
        ELSE
            SELECT 'asset_owner_user_id_fkey' INTO named FROM asset WHERE owner_user_id IS NOT NULL LIMIT 1;
        END IF;
    ELSIF TG_OP = 'UPDATE' AND OLD.id = NEW.id THEN
        RETURN NEW;
    ELSIF TG_TABLE_NAME = 'organisation' THEN
        SELECT CASE WHEN a.enterprise_org_id = OLD.id THEN 'asset_enterprise_org_id_fkey'
                    ELSE 'asset_maintainer_org_id_fkey' END
        INTO named FROM asset a WHERE a.enterprise_org_id = OLD.id OR a.maintainer_org_id = OLD.id LIMIT 1;
    ELSE
        SELECT 'asset_owner_user_id_fkey' INTO named FROM asset a WHERE a.owner_user_id = OLD.id LIMIT 1;
    END IF;
    IF named IS NOT NULL THEN
        RAISE EXCEPTION 'update or delete on table "%" violates foreign key constraint "%" on table "asset"', TG_TABLE_NAME, named
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = named, TABLE = TG_TABLE_NAME;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER organisation_named_by_assets BEFORE DELETE OR UPDATE OF id ON organisation
FOR EACH ROW EXECUTE FUNCTION parkops_asset_party_stays();
CREATE TRIGGER organisation_truncate_named_by_assets BEFORE TRUNCATE ON organisation
FOR EACH STATEMENT EXECUTE FUNCTION parkops_asset_party_stays();
CREATE TRIGGER app_user_named_by_assets BEFORE DELETE OR UPDATE OF id ON app_user
FOR EACH ROW EXECUTE FUNCTION parkops_asset_party_stays();
CREATE TRIGGER app_user_truncate_named_by_assets BEFORE TRUNCATE ON app_user
FOR EACH STATEMENT EXECUTE FUNCTION parkops_asset_party_stays();
