//! The asset half of the store: CIs, relations, timelines, the location tree, class
//! extensions, spare parts and stock movements.
//!
//! Imports write through [`DbTx::bulk_insert`]: multi-row `VALUES` within SQLite's parameter
//! budget, one array per column of [`POSTGRES_BULK_ROWS`] rows on PostgreSQL (ADR 0013), both
//! measured on the import of 100,000 CIs. Lookups by many ids or codes go in chunks of
//! [`IDS_PER_QUERY`].

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use parkops_app::StoreError;
use parkops_app::asset::{AssetStorage, AssetTx};
use parkops_app::ports::asset::{
    AssetClassRecord, AssetEventRecord, AssetFacets, AssetFilter, AssetReads, AssetRecord, AssetSort, AssetWrites,
    LocationPath, LocationRecord, RelationRecord, SparePartRecord, StockMovementRecord, StockReason,
};
use parkops_app::ports::{Page, PageRequest};
use parkops_domain::asset::{
    AssetId, CiFamily, Criticality, LifecycleState, LocationId, LocationLevel, RelationKind, SparePartId, search_query,
    search_text,
};
use parkops_domain::id::{OrgId, ParkId, UserId};
use parkops_domain::ticket::BusinessDomain;
use sqlx::any::AnyRow;

use crate::read::{like_pattern, page_clause};
use crate::rows::{bad, code, flag, id, int, opt_id, opt_text, text, time};
use crate::sql::{ColumnArrays, POSTGRES_BULK_ROWS};
use crate::tx::DbTx;
use crate::{Backend, Db, Sql, unavailable};

const ASSET_COLUMNS: &str = "id, park_id, code, name, class, family, state, state_since, zone_id, site_id, point_id, \
    enterprise_org_id, maintainer_org_id, owner_user_id, criticality, domain, holds_sensitive_data, attributes, \
    created_by, created_at, updated_at";
/// Bound values of a CI written by the import: [`ASSET_INSERT`].
const ASSET_COLUMN_COUNT: usize = 22;
/// The columns an update replaces (the search text follows the code and name).
const ASSET_MUTABLE: &str = "code, name, class, family, state, state_since, zone_id, site_id, point_id, \
    enterprise_org_id, maintainer_org_id, owner_user_id, criticality, domain, holds_sensitive_data, attributes, \
    updated_at, search_text";
/// The columns an insert writes: the fixed ones, then [`ASSET_MUTABLE`] (a macro, so that
/// [`ASSET_INSERT_KEYED`] can extend it).
macro_rules! asset_insert {
    () => {
        "id, park_id, created_by, created_at, code, name, class, family, state, state_since, \
         zone_id, site_id, point_id, enterprise_org_id, maintainer_org_id, owner_user_id, criticality, domain, \
         holds_sensitive_data, attributes, updated_at, search_text"
    };
}
const ASSET_INSERT: &str = asset_insert!();

/// Every column of [`ASSET_MUTABLE`] set from the incoming row when the id exists (`put_assets`).
const ASSET_UPSERT: &str = " ON CONFLICT (id) DO UPDATE SET code = excluded.code, name = excluded.name, \
    class = excluded.class, family = excluded.family, state = excluded.state, state_since = excluded.state_since, \
    zone_id = excluded.zone_id, site_id = excluded.site_id, point_id = excluded.point_id, \
    enterprise_org_id = excluded.enterprise_org_id, maintainer_org_id = excluded.maintainer_org_id, \
    owner_user_id = excluded.owner_user_id, criticality = excluded.criticality, domain = excluded.domain, \
    holds_sensitive_data = excluded.holds_sensitive_data, attributes = excluded.attributes, \
    updated_at = excluded.updated_at, search_text = excluded.search_text";

const RELATION_COLUMNS: &str = "park_id, from_id, to_id, kind, note, created_by, created_at";
const EVENT_COLUMNS: &str = "asset_id, seq, at, actor, kind, from_state, to_state, note, data";
/// A relation already present is skipped ([`AssetWrites::insert_relations`]).
const RELATION_SKIP: &str = " ON CONFLICT (from_id, kind, to_id) DO NOTHING";

/// A table's bulk insert ([`DbTx::bulk_insert`]): its columns, what PostgreSQL selects from the
/// unnested rows `r` for them, and the values each row binds on SQLite.
struct Bulk {
    table: &'static str,
    columns: &'static str,
    select: &'static str,
    params_per_row: usize,
}

const ASSET_BULK: Bulk =
    Bulk { table: "asset", columns: ASSET_INSERT, select: ASSET_INSERT, params_per_row: ASSET_COLUMN_COUNT };
/// SQLite's plain insert of new CIs with their facet keys given ([`DbTx::facet_keys_of`]): the
/// dictionary's insert trigger then leaves the rows alone (migration 0013), where it would
/// update each row once more to set its key.
const ASSET_KEYED_BULK: Bulk = Bulk {
    table: "asset",
    columns: ASSET_INSERT_KEYED,
    select: ASSET_INSERT_KEYED,
    params_per_row: ASSET_COLUMN_COUNT + 1,
};
const ASSET_INSERT_KEYED: &str = concat!(asset_insert!(), ", facet_key");
/// As `bind_event`: a seq of 0 asks for the next one of the CI's timeline. Ten values a row on
/// SQLite (the CI's id is bound twice).
const EVENT_BULK: Bulk = Bulk {
    table: "asset_event",
    columns: EVENT_COLUMNS,
    select: "r.asset_id, CASE WHEN r.seq > 0 THEN r.seq ELSE (SELECT COALESCE(MAX(e.seq), 0) + 1 FROM asset_event e \
             WHERE e.asset_id = r.asset_id) END, r.at, r.actor, r.kind, r.from_state, r.to_state, r.note, r.data",
    params_per_row: 10,
};
const RELATION_BULK: Bulk =
    Bulk { table: "asset_relation", columns: RELATION_COLUMNS, select: RELATION_COLUMNS, params_per_row: 7 };
const LOCATION_COLUMNS: &str =
    "id, park_id, parent_id, level, code, name, latitude, longitude, ex_zone, created_at, updated_at";
const PART_COLUMNS: &str = "id, park_id, code, name, class, unit, stock, min_stock, created_at, updated_at";
const MOVEMENT_COLUMNS: &str = "part_id, seq, at, actor, delta, stock_after, reason, asset_id, note";

/// The facet columns, grouped together in one statement (`Db::facet_groups`) and in this order
/// after `park_id` in the covering index `asset_facets`.
const FACET_COLUMNS: &str = "class, state, zone_id, enterprise_org_id, maintainer_org_id, family, holds_sensitive_data";
/// The text columns of [`FACET_COLUMNS`], in its order; the flag is read apart.
const FACET_TEXT: [&str; 6] = ["class", "state", "zone_id", "enterprise_org_id", "maintainer_org_id", "family"];
/// Facet keys the store keeps named at most; past it the names are learnt afresh.
const FACET_KEYS_KEPT: usize = 100_000;
/// Values per `IN (…)` list.
const IDS_PER_QUERY: usize = 400;
/// Values per array bound in one statement (PostgreSQL's lookups by code or id).
const VALUES_PER_ARRAY: usize = 10_000;
/// A text search matching at most this many CIs is answered from their ids
/// ([`Db::search_ids`]); the ids are bound in one `IN (…)` list.
const SPARSE_MATCHES: usize = 1_000;

fn asset(row: &AnyRow) -> Result<AssetRecord, StoreError> {
    let attributes: BTreeMap<String, String> =
        serde_json::from_str(&text(row, "attributes")?).map_err(|_| bad("attributes"))?;
    Ok(AssetRecord {
        id: id(row, "id", AssetId::parse)?,
        park_id: id(row, "park_id", ParkId::parse)?,
        code: text(row, "code")?,
        name: text(row, "name")?,
        class: text(row, "class")?,
        family: code(row, "family", CiFamily::parse)?,
        state: code(row, "state", LifecycleState::parse)?,
        state_since: time(row, "state_since")?,
        location: LocationPath {
            zone: opt_id(row, "zone_id", LocationId::parse)?,
            site: opt_id(row, "site_id", LocationId::parse)?,
            point: opt_id(row, "point_id", LocationId::parse)?,
        },
        enterprise_org_id: opt_id(row, "enterprise_org_id", OrgId::parse)?,
        maintainer_org_id: opt_id(row, "maintainer_org_id", OrgId::parse)?,
        owner_user_id: opt_id(row, "owner_user_id", UserId::parse)?,
        criticality: code(row, "criticality", Criticality::parse)?,
        domain: code(row, "domain", BusinessDomain::parse)?,
        holds_sensitive_data: flag(row, "holds_sensitive_data")?,
        attributes,
        created_by: text(row, "created_by")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

fn relation(row: &AnyRow) -> Result<RelationRecord, StoreError> {
    Ok(RelationRecord {
        park_id: id(row, "park_id", ParkId::parse)?,
        from_id: id(row, "from_id", AssetId::parse)?,
        to_id: id(row, "to_id", AssetId::parse)?,
        kind: code(row, "kind", RelationKind::parse)?,
        note: text(row, "note")?,
        created_by: text(row, "created_by")?,
        created_at: time(row, "created_at")?,
    })
}

fn event(row: &AnyRow) -> Result<AssetEventRecord, StoreError> {
    Ok(AssetEventRecord {
        asset_id: id(row, "asset_id", AssetId::parse)?,
        seq: int(row, "seq")?,
        at: time(row, "at")?,
        actor: text(row, "actor")?,
        kind: text(row, "kind")?,
        from_state: text(row, "from_state")?,
        to_state: text(row, "to_state")?,
        note: text(row, "note")?,
        data: text(row, "data")?,
    })
}

fn location(row: &AnyRow) -> Result<LocationRecord, StoreError> {
    Ok(LocationRecord {
        id: id(row, "id", LocationId::parse)?,
        park_id: id(row, "park_id", ParkId::parse)?,
        parent_id: opt_id(row, "parent_id", LocationId::parse)?,
        level: code(row, "level", LocationLevel::parse)?,
        code: text(row, "code")?,
        name: text(row, "name")?,
        latitude: text(row, "latitude")?,
        longitude: text(row, "longitude")?,
        ex_zone: text(row, "ex_zone")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

fn part(row: &AnyRow) -> Result<SparePartRecord, StoreError> {
    Ok(SparePartRecord {
        id: id(row, "id", SparePartId::parse)?,
        park_id: id(row, "park_id", ParkId::parse)?,
        code: text(row, "code")?,
        name: text(row, "name")?,
        class: text(row, "class")?,
        unit: text(row, "unit")?,
        stock: int(row, "stock")?,
        min_stock: int(row, "min_stock")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

fn movement(row: &AnyRow) -> Result<StockMovementRecord, StoreError> {
    Ok(StockMovementRecord {
        part_id: id(row, "part_id", SparePartId::parse)?,
        seq: int(row, "seq")?,
        at: time(row, "at")?,
        actor: text(row, "actor")?,
        delta: int(row, "delta")?,
        stock_after: int(row, "stock_after")?,
        reason: code(row, "reason", StockReason::parse)?,
        asset_id: opt_id(row, "asset_id", AssetId::parse)?,
        note: text(row, "note")?,
    })
}

fn class_record(row: &AnyRow) -> Result<AssetClassRecord, StoreError> {
    Ok(AssetClassRecord {
        park_id: id(row, "park_id", ParkId::parse)?,
        code: text(row, "code")?,
        name: text(row, "name")?,
        family: code(row, "family", CiFamily::parse)?,
        attributes: text(row, "attributes")?,
        updated_by: text(row, "updated_by")?,
        updated_at: time(row, "updated_at")?,
    })
}

fn attributes_json(attributes: &BTreeMap<String, String>) -> Result<String, StoreError> {
    serde_json::to_string(attributes).map_err(unavailable)
}

/// Binds a CI's mutable values in the order of [`ASSET_MUTABLE`].
fn bind_asset_fields(sql: &mut Sql, a: &AssetRecord) -> Result<(), StoreError> {
    for (i, (_, get)) in MUTABLE_COLUMNS.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        get(a).bind_to(sql)?;
    }
    Ok(())
}

/// Binds one CI in the order of [`ASSET_INSERT`], as `(…)`.
fn bind_asset(sql: &mut Sql, a: &AssetRecord) -> Result<(), StoreError> {
    bind_asset_row(sql, a, None)
}

/// Binds one CI as `(…)`, in the order of [`ASSET_INSERT`], then its facet key when given
/// ([`ASSET_INSERT_KEYED`]).
fn bind_asset_row(sql: &mut Sql, a: &AssetRecord, key: Option<i64>) -> Result<(), StoreError> {
    sql.push("(").bind(a.id.to_string()).push(", ").bind(a.park_id.to_string()).push(", ");
    sql.bind(a.created_by.clone()).push(", ").bind(a.created_at.as_millis()).push(", ");
    bind_asset_fields(sql, a)?;
    if let Some(key) = key {
        sql.push(", ").bind(key);
    }
    sql.push(")");
    Ok(())
}

fn asset_where(sql: &mut Sql, f: &AssetFilter) {
    filter_where(sql, f, false);
}

/// Whether the filter names nothing but the park and maybe a text (a plain search: without a
/// text such a filter's facets are read from the counts per combination first).
fn park_and_text_only(f: &AssetFilter) -> bool {
    *f == AssetFilter { park_id: f.park_id, text: f.text.clone(), sort: f.sort, ..AssetFilter::default() }
}

/// The filter's `WHERE`. With `opaque`, equalities on the facet columns that are not the
/// covering index's leading ones (zone, enterprise, maintainer, family) are written as
/// `coalesce(column, '') = value`: SQLite's planner, seeing a grouped column fixed by the
/// `WHERE`, sorts the grouped rows in a temporary B-tree instead of taking the index's order
/// (46,314 CIs of one zone: 44 ms against 16 ms), and no index serves such a filter better than
/// the covering one the facets read anyway.
fn filter_where(sql: &mut Sql, f: &AssetFilter, opaque: bool) {
    let eq = |column: &'static str, opaque_form: &'static str| if opaque { opaque_form } else { column };
    sql.push(" WHERE 1 = 1");
    if let Some(p) = f.park_id {
        sql.push(" AND park_id = ").bind(p.to_string());
    }
    if !f.classes.is_empty() {
        sql.push(" AND class IN (");
        sql.bind_list(f.classes.iter().cloned());
        sql.push(")");
    }
    if let Some(family) = f.family {
        sql.push(eq(" AND family = ", " AND coalesce(family, '') = ")).bind(family.code().to_owned());
    }
    if !f.states.is_empty() {
        sql.push(" AND state IN (");
        sql.bind_list(f.states.iter().map(|s| s.code().to_owned()));
        sql.push(")");
    }
    if let Some(z) = f.zone {
        sql.push(eq(" AND zone_id = ", " AND coalesce(zone_id, '') = ")).bind(z.to_string());
    }
    if let Some(s) = f.site {
        sql.push(" AND site_id = ").bind(s.to_string());
    }
    if let Some(o) = f.enterprise {
        sql.push(eq(" AND enterprise_org_id = ", " AND coalesce(enterprise_org_id, '') = ")).bind(o.to_string());
    }
    if let Some(o) = f.maintainer {
        sql.push(eq(" AND maintainer_org_id = ", " AND coalesce(maintainer_org_id, '') = ")).bind(o.to_string());
    }
    if let Some(c) = f.criticality {
        sql.push(" AND criticality = ").bind(c.code().to_owned());
    }
    if let Some(o) = f.org_scope {
        sql.push(" AND (enterprise_org_id = ").bind(o.to_string()).push(" OR maintainer_org_id = ");
        sql.bind(o.to_string()).push(")");
    }
    if let Some(yes) = f.sensitive {
        sql.push(" AND holds_sensitive_data = ").bind(i64::from(yes));
    }
    if let Some(q) = search(f) {
        sql.push(" AND search_text LIKE ").bind(like_pattern(&q)).push(" ESCAPE '\\'");
    }
}

impl Db {
    async fn assets_where_in(
        &self,
        column: &'static str,
        park: Option<ParkId>,
        values: Vec<String>,
    ) -> Result<Vec<AssetRecord>, StoreError> {
        let mut out = Vec::with_capacity(values.len());
        for chunk in values.chunks(self.values_per_in()) {
            let mut sql = Sql::select(ASSET_COLUMNS, " FROM asset WHERE ");
            if let Some(p) = park {
                sql.push("park_id = ").bind(p.to_string()).push(" AND ");
            }
            sql.push(column).push(" IN (");
            self.push_in_values(&mut sql, chunk)?;
            sql.push(")");
            for row in self.all(sql).await? {
                out.push(asset(&row)?);
            }
        }
        Ok(out)
    }

    /// The relations with one of `ids` in one of `ends` (`from_id`, `to_id`), each once.
    async fn relations_where_in(
        &self,
        ends: &[&'static str],
        ids: &[AssetId],
    ) -> Result<Vec<RelationRecord>, StoreError> {
        let ids: Vec<String> = ids.iter().collect::<BTreeSet<_>>().into_iter().map(ToString::to_string).collect();
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        // An import of a sheet whose CIs exist reads the relations of all of them: 100,000 ids took
        // 478 statements and 2.6 s on PostgreSQL as lists of 400 (docs/benchmarks.md figure 7).
        for chunk in ids.chunks(self.values_per_in()) {
            for column in ends {
                let mut sql = Sql::select(RELATION_COLUMNS, " FROM asset_relation WHERE ");
                sql.push(column).push(" IN (");
                self.push_in_values(&mut sql, chunk)?;
                sql.push(")");
                for row in self.all(sql).await? {
                    let r = relation(&row)?;
                    if ends.len() == 1 || seen.insert((r.from_id, r.kind, r.to_id)) {
                        out.push(r);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Values looked up per statement by [`Self::push_in_values`]: PostgreSQL takes them as one
    /// array (an import looks up every code of its sheet: 250 statements of 400 for 100,000 codes
    /// took about 0.4 s, one array 0.07 s), SQLite as a bound list.
    fn values_per_in(&self) -> usize {
        if self.backend() == Backend::Postgres { VALUES_PER_ARRAY } else { IDS_PER_QUERY }
    }

    /// The inside of `IN (…)` for `values` (at most [`Self::values_per_in`]): on PostgreSQL
    /// `SELECT r.v FROM unnest(…)` of one bound array, on SQLite a list of bound values.
    fn push_in_values(&self, sql: &mut Sql, values: &[String]) -> Result<(), StoreError> {
        if self.backend() != Backend::Postgres {
            sql.bind_list(values.iter().cloned());
            return Ok(());
        }
        let mut list = ColumnArrays::new("v");
        for v in values {
            list.row().text("v", v);
        }
        sql.push("SELECT r.v FROM ");
        list.unnest(sql)
    }

    /// One page of CIs matching a filter, in its order.
    async fn asset_rows(&self, filter: &AssetFilter, page: PageRequest) -> Result<Vec<AssetRecord>, StoreError> {
        let mut sql = Sql::select(ASSET_COLUMNS, " FROM asset");
        asset_where(&mut sql, filter);
        order_by(&mut sql, filter.sort);
        page_clause(&mut sql, page);
        self.all(sql).await?.iter().map(asset).collect()
    }

    /// Every facet's counts over the filter. A filter of the park and facet columns alone reads
    /// the counts per combination ([`Db::counted_facets`]); a text search on PostgreSQL, and on
    /// SQLite a text alone, count by facet key ([`Db::keyed_facets`]) from an index of the key and
    /// the search text; everything else groups by the facet columns (measured no faster by key:
    /// docs/benchmarks.md figure 9).
    async fn facet_groups(&self, f: &AssetFilter) -> Result<AssetFacets, StoreError> {
        if counted_by_combination(f) {
            return self.counted_facets(f).await;
        }
        let keyed = match self.backend() {
            Backend::Postgres => search(f).is_some(),
            Backend::Sqlite => park_and_text_only(f),
        };
        if keyed {
            return self.keyed_facets(f).await;
        }
        self.grouped_facets(f).await
    }

    /// Every facet's counts from the register's counts per combination ([`FACET_COUNTS`]): a few
    /// hundred rows at 100,000 CIs, whatever the filter matches.
    async fn counted_facets(&self, f: &AssetFilter) -> Result<AssetFacets, StoreError> {
        let mut sql = Sql::new(FACET_COUNTS);
        filter_where(&mut sql, f, false);
        sql.push(" AND n > 0");
        facets_of(&self.all(sql).await?)
    }

    /// Every facet's counts from one statement grouped by the facet columns, summed here: one
    /// pass over the matching CIs instead of a scan per facet (on SQLite over the covering index
    /// `asset_facets`, migration 0010, which also carries the search text).
    async fn grouped_facets(&self, f: &AssetFilter) -> Result<AssetFacets, StoreError> {
        let mut sql = Sql::new("SELECT ");
        sql.push(FACET_COLUMNS).push(", COUNT(*) AS n FROM asset");
        if search(f).is_some() {
            sql.planned_each_time();
        }
        filter_where(&mut sql, f, self.backend() == Backend::Sqlite);
        sql.push(" GROUP BY ").push(FACET_COLUMNS);
        facets_of(&self.all(sql).await?)
    }

    /// Facets counted per facet key (PostgreSQL: generated, migration 0011; SQLite: numbered by
    /// a dictionary, migration 0012), one integer to group per CI instead of seven texts, and
    /// named from what the store has learnt of the keys; keys it has not seen yet are learnt
    /// first. Should two combinations share a key, the columns are grouped instead.
    async fn keyed_facets(&self, f: &AssetFilter) -> Result<AssetFacets, StoreError> {
        let counts = self.key_counts(f).await?;
        self.name_keys(f, &counts).await
    }

    /// The CIs matching `f` counted per facet key.
    async fn key_counts(&self, f: &AssetFilter) -> Result<Vec<(i64, i64)>, StoreError> {
        let mut sql = Sql::new("SELECT facet_key, COUNT(*) AS n FROM asset");
        sql.planned_each_time();
        filter_where(&mut sql, f, false);
        sql.push(" GROUP BY facet_key");
        self.all(sql).await?.iter().map(|r| Ok((int(r, "facet_key")?, int(r, "n")?))).collect()
    }

    /// SQLite, a text search with no other filter: the facets per facet key as
    /// [`Db::keyed_facets`] counts them and, when at most [`SPARSE_MATCHES`] CIs match, their
    /// ids — read after the counts from the entries of the keys that have matches only
    /// (`asset_by_facet_key` is ordered by the key), where reading the ids and the counts side by
    /// side read the narrow index whole twice for a text that few CIs match.
    async fn keyed_facets_and_ids(&self, f: &AssetFilter) -> Result<(AssetFacets, Option<Vec<String>>), StoreError> {
        let counts = self.key_counts(f).await?;
        let total: i64 = counts.iter().map(|(_, n)| n).sum();
        let ids = if counts.is_empty() {
            Some(Vec::new())
        } else if usize::try_from(total).is_ok_and(|t| t <= SPARSE_MATCHES) {
            let mut probe = Sql::new("SELECT id FROM asset");
            probe.planned_each_time();
            filter_where(&mut probe, f, false);
            probe.push(" AND facet_key IN (");
            for (i, (key, _)) in counts.iter().enumerate() {
                probe.push(if i == 0 { "" } else { ", " }).bind(*key);
            }
            probe.push(")");
            Some(self.all(probe).await?.iter().map(|r| text(r, "id")).collect::<Result<Vec<_>, _>>()?)
        } else {
            None
        };
        Ok((self.name_keys(f, &counts).await?, ids))
    }

    /// The facets of counts per facet key, named from what the store has learnt of the keys;
    /// keys it has not seen yet are learnt first. Should two combinations share a key, the
    /// columns of `f`'s CIs are grouped instead.
    async fn name_keys(&self, f: &AssetFilter, counts: &[(i64, i64)]) -> Result<AssetFacets, StoreError> {
        if let Some(facets) = self.facet_keys.name(counts)? {
            return Ok(facets);
        }
        let learn = match self.backend() {
            Backend::Postgres => {
                let mut learn = Sql::new("SELECT facet_key, ");
                learn.push(FACET_COLUMNS).push(" FROM asset");
                if let Some(p) = f.park_id {
                    learn.push(" WHERE park_id = ").bind(p.to_string());
                }
                learn.push(" GROUP BY ").push(FACET_COLUMNS).push(", facet_key");
                learn
            }
            Backend::Sqlite => Sql::new(SQLITE_DICTIONARY),
        };
        let named = self.all(learn).await?;
        let named =
            named.iter().map(|r| Ok((int(r, "facet_key")?, FacetCombo::of(r)?))).collect::<Result<Vec<_>, _>>()?;
        self.facet_keys.learn(named);
        match self.facet_keys.name(counts)? {
            Some(facets) => Ok(facets),
            None => self.grouped_facets(f).await,
        }
    }

    /// The ids of the CIs a filter with text matches when there are at most [`SPARSE_MATCHES`],
    /// from an index that holds the search text and the id (SQLite: migrations 0010 and 0013;
    /// PostgreSQL: migration 0013, or its trigram index for three characters or more); `None`
    /// when more match.
    async fn search_ids(&self, f: &AssetFilter) -> Result<Option<Vec<String>>, StoreError> {
        let mut probe = Sql::new("SELECT id FROM asset");
        probe.planned_each_time();
        filter_where(&mut probe, f, self.backend() == Backend::Sqlite);
        probe.push(" LIMIT ").bind(i64::try_from(SPARSE_MATCHES + 1).unwrap_or(i64::MAX));
        let rows = self.all(probe).await?;
        if rows.len() > SPARSE_MATCHES {
            return Ok(None);
        }
        rows.iter().map(|r| text(r, "id")).collect::<Result<Vec<_>, _>>().map(Some)
    }

    /// A page of the CIs with these ids, in the list's order.
    async fn rows_by_ids(
        &self,
        ids: Vec<String>,
        sort: AssetSort,
        page: PageRequest,
    ) -> Result<Vec<AssetRecord>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::select(ASSET_COLUMNS, " FROM asset WHERE id IN (");
        sql.bind_list(ids);
        sql.push(")");
        order_by(&mut sql, sort);
        page_clause(&mut sql, page);
        self.all(sql).await?.iter().map(asset).collect()
    }

    /// A page of a text search that many CIs match: the page's ids are found in the list's
    /// order through a covering index (on PostgreSQL the code's unique index, which carries the
    /// search text), and only those CIs are read.
    async fn text_page(&self, f: &AssetFilter, page: PageRequest) -> Result<Vec<AssetRecord>, StoreError> {
        let mut sql = Sql::select(ASSET_COLUMNS, " FROM asset WHERE id IN (SELECT id FROM asset");
        sql.planned_each_time();
        asset_where(&mut sql, f);
        order_by(&mut sql, f.sort);
        page_clause(&mut sql, page);
        sql.push(")");
        order_by(&mut sql, f.sort);
        self.all(sql).await?.iter().map(asset).collect()
    }
}

/// The text of a search, as the CIs' search text holds it; `None` for no or blank text.
fn search(f: &AssetFilter) -> Option<String> {
    f.text.as_deref().map(search_query).filter(|q| !q.is_empty())
}

fn order_by(sql: &mut Sql, sort: AssetSort) {
    sql.push(match sort {
        AssetSort::Code => " ORDER BY code",
        AssetSort::Name => " ORDER BY name, code",
        AssetSort::Class => " ORDER BY class, code",
        AssetSort::State => " ORDER BY state, code",
        AssetSort::Updated => " ORDER BY updated_at DESC, code",
    });
}

/// One combination of the facet columns' values: the texts of [`FACET_TEXT`] and the flag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct FacetCombo {
    text: [Option<String>; 6],
    sensitive: bool,
}

impl FacetCombo {
    fn of(r: &AnyRow) -> Result<Self, StoreError> {
        let mut text: [Option<String>; 6] = Default::default();
        for (t, column) in text.iter_mut().zip(FACET_TEXT) {
            *t = opt_text(r, column)?;
        }
        Ok(Self { text, sensitive: int(r, "holds_sensitive_data")? != 0 })
    }

    /// A CI's combination.
    fn of_asset(a: &AssetRecord) -> Self {
        let text = [
            Some(a.class.clone()),
            Some(a.state.code().to_owned()),
            a.location.zone.map(|l| l.to_string()),
            a.enterprise_org_id.map(|o| o.to_string()),
            a.maintainer_org_id.map(|o| o.to_string()),
            Some(a.family.code().to_owned()),
        ];
        Self { text, sensitive: a.holds_sensitive_data }
    }
}

/// The facet columns of a table that keeps absent values as '' (a key's columns cannot be
/// `NULL`), read as [`FacetCombo::of`] reads a row: absent values come back as `NULL`.
macro_rules! combination_columns {
    () => {
        "class, state, nullif(zone_id, '') AS zone_id, nullif(enterprise_org_id, '') AS enterprise_org_id, \
         nullif(maintainer_org_id, '') AS maintainer_org_id, family, holds_sensitive_data"
    };
}

/// SQLite's dictionary of facet combinations (migration 0012).
const SQLITE_DICTIONARY: &str = concat!("SELECT facet_key, ", combination_columns!(), " FROM asset_facet_combo");

/// The register's counts per park and combination of facet values (migration 0015, ADR 0019),
/// kept by triggers on `asset`; a combination no CI has any more stays with `n = 0`.
const FACET_COUNTS: &str = concat!("SELECT ", combination_columns!(), ", n FROM asset_facet_count");

/// Whether `f` filters by nothing but the park and facet columns, so that its count and facets
/// can be read from [`FACET_COUNTS`] (every field named: a new one must be decided here).
fn counted_by_combination(f: &AssetFilter) -> bool {
    let AssetFilter {
        park_id: _,
        classes: _,
        family: _,
        states: _,
        zone: _,
        site,
        enterprise: _,
        maintainer: _,
        criticality,
        org_scope: _,
        text: _,
        sensitive: _,
        sort: _,
    } = f;
    site.is_none() && criticality.is_none() && search(f).is_none()
}

/// The facet combination each facet key stands for, as learnt by grouping the park's CIs by the
/// facet columns and the key (PostgreSQL, migration 0011) or from the dictionary of combinations
/// (SQLite, migration 0012);
/// `None` for a key two combinations were seen to share. A key is a function of its combination
/// (a hash, or a number never reused), so a name once learnt stays true; only a collision (two
/// combinations of a 64-bit hash) could make it wrong, and each learning checks for one.
#[derive(Debug, Default)]
pub(crate) struct FacetKeys(std::sync::Mutex<std::collections::HashMap<i64, Option<FacetCombo>>>);

impl FacetKeys {
    /// Records keys with their combinations (a key seen with two becomes `None`).
    fn learn(&self, named: Vec<(i64, FacetCombo)>) {
        let mut keys = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if keys.len() + named.len() > FACET_KEYS_KEPT {
            keys.clear();
        }
        for (key, combo) in named {
            match keys.get_mut(&key) {
                None => {
                    keys.insert(key, Some(combo));
                }
                Some(known) => {
                    if known.as_ref().is_some_and(|k| *k != combo) {
                        *known = None;
                    }
                }
            }
        }
    }

    /// The facets of counts per key, when every key is known and has one combination.
    fn name(&self, counts: &[(i64, i64)]) -> Result<Option<AssetFacets>, StoreError> {
        let keys = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut groups = Vec::with_capacity(counts.len());
        for (key, n) in counts {
            match keys.get(key) {
                Some(Some(combo)) => groups.push((combo, *n)),
                _ => return Ok(None),
            }
        }
        sum_facets(groups).map(Some)
    }
}

/// The facets of rows of counts per combination (its columns as [`FacetCombo::of`] reads them,
/// and `n`).
fn facets_of(rows: &[AnyRow]) -> Result<AssetFacets, StoreError> {
    let groups = rows.iter().map(|r| Ok((FacetCombo::of(r)?, int(r, "n")?))).collect::<Result<Vec<_>, _>>()?;
    sum_facets(groups.iter().map(|(c, n)| (c, *n)))
}

/// Sums counts per facet combination into the facets.
fn sum_facets<'a>(groups: impl IntoIterator<Item = (&'a FacetCombo, i64)>) -> Result<AssetFacets, StoreError> {
    let mut counts: [BTreeMap<Option<String>, i64>; 6] = Default::default();
    let mut sensitive: BTreeMap<bool, i64> = BTreeMap::new();
    for (combo, n) in groups {
        for (c, value) in counts.iter_mut().zip(&combo.text) {
            *c.entry(value.clone()).or_default() += n;
        }
        *sensitive.entry(combo.sensitive).or_default() += n;
    }
    let [classes, states, zones, enterprises, maintainers, families] = counts.map(|c| c.into_iter().collect());
    Ok(AssetFacets {
        classes: some_facet(classes, "class", |s| Some(s.to_owned()))?,
        states: some_facet(states, "state", LifecycleState::parse)?,
        zones: opt_facet(zones, "zone_id", LocationId::parse)?,
        enterprises: opt_facet(enterprises, "enterprise_org_id", OrgId::parse)?,
        maintainers: opt_facet(maintainers, "maintainer_org_id", OrgId::parse)?,
        families: some_facet(families, "family", CiFamily::parse)?,
        sensitive: sensitive.into_iter().collect(),
    })
}

fn some_facet<T>(
    rows: Vec<(Option<String>, i64)>,
    c: &'static str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<(T, i64)>, StoreError> {
    rows.into_iter().map(|(k, n)| Ok((k.as_deref().and_then(&parse).ok_or_else(|| bad(c))?, n))).collect()
}

fn opt_facet<T, E>(
    rows: Vec<(Option<String>, i64)>,
    c: &'static str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<Vec<(Option<T>, i64)>, StoreError> {
    rows.into_iter().map(|(k, n)| Ok((k.map(|k| parse(&k).map_err(|_| bad(c))).transpose()?, n))).collect()
}

#[async_trait]
impl AssetReads for Db {
    async fn asset(&self, id: AssetId) -> Result<Option<AssetRecord>, StoreError> {
        let mut sql = Sql::select(ASSET_COLUMNS, " FROM asset WHERE id = ");
        sql.bind(id.to_string());
        self.all(sql).await?.first().map(asset).transpose()
    }

    async fn asset_by_code(&self, park: ParkId, code: &str) -> Result<Option<AssetRecord>, StoreError> {
        let mut sql = Sql::select(ASSET_COLUMNS, " FROM asset WHERE park_id = ");
        sql.bind(park.to_string()).push(" AND code = ").bind(code.trim().to_owned());
        self.all(sql).await?.first().map(asset).transpose()
    }

    async fn assets_by_codes(&self, park: ParkId, codes: &[String]) -> Result<Vec<AssetRecord>, StoreError> {
        let distinct: BTreeSet<&String> = codes.iter().collect();
        self.assets_where_in("code", Some(park), distinct.into_iter().cloned().collect()).await
    }

    async fn assets_by_ids(&self, ids: &[AssetId]) -> Result<Vec<AssetRecord>, StoreError> {
        let distinct: BTreeSet<&AssetId> = ids.iter().collect();
        self.assets_where_in("id", None, distinct.into_iter().map(ToString::to_string).collect()).await
    }

    async fn assets(&self, filter: &AssetFilter, page: PageRequest) -> Result<Page<AssetRecord>, StoreError> {
        let mut count = if counted_by_combination(filter) {
            Sql::new("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS n FROM asset_facet_count")
        } else {
            Sql::new("SELECT COUNT(*) AS n FROM asset")
        };
        asset_where(&mut count, filter);
        let total = self.count(count).await?;
        Ok(Page { items: self.asset_rows(filter, page).await?, total, request: page })
    }

    async fn asset_list(
        &self,
        filter: &AssetFilter,
        page: PageRequest,
    ) -> Result<(Vec<AssetRecord>, AssetFacets), StoreError> {
        if search(filter).is_none() {
            return Ok((self.asset_rows(filter, page).await?, self.facet_groups(filter).await?));
        }
        // A text search may have to read an index whole (always on SQLite; on PostgreSQL for
        // fewer than three characters or a common text, else its trigram index finds the few
        // CIs): the ids of the few CIs it may match and the facets are read side by side, on
        // two connections — on SQLite, for a text alone, the counts first and then the ids from
        // the keys with matches only ([`Db::keyed_facets_and_ids`]); when many match, a page in
        // the list's order ends early.
        let (ids, facets) = if self.backend() == Backend::Sqlite && park_and_text_only(filter) {
            let (facets, ids) = self.keyed_facets_and_ids(filter).await?;
            (ids, facets)
        } else {
            let (ids, facets) = tokio::join!(self.search_ids(filter), self.facet_groups(filter));
            (ids?, facets?)
        };
        let items = match ids {
            Some(ids) => self.rows_by_ids(ids, filter.sort, page).await?,
            None => self.text_page(filter, page).await?,
        };
        Ok((items, facets))
    }

    async fn asset_facets(&self, filter: &AssetFilter) -> Result<AssetFacets, StoreError> {
        self.facet_groups(filter).await
    }

    async fn asset_events(&self, id: AssetId) -> Result<Vec<AssetEventRecord>, StoreError> {
        let mut sql = Sql::select(EVENT_COLUMNS, " FROM asset_event WHERE asset_id = ");
        sql.bind(id.to_string()).push(" ORDER BY seq");
        self.all(sql).await?.iter().map(event).collect()
    }

    async fn relations_touching(&self, ids: &[AssetId]) -> Result<Vec<RelationRecord>, StoreError> {
        // Two index-backed lookups (primary key from the `from` end, `asset_relation_by_to`
        // from the other) rather than one OR over both columns.
        self.relations_where_in(&["from_id", "to_id"], ids).await
    }

    async fn relations_from(&self, ids: &[AssetId]) -> Result<Vec<RelationRecord>, StoreError> {
        self.relations_where_in(&["from_id"], ids).await
    }

    async fn locations(&self, park: ParkId) -> Result<Vec<LocationRecord>, StoreError> {
        let mut sql = Sql::select(LOCATION_COLUMNS, " FROM asset_location WHERE park_id = ");
        sql.bind(park.to_string()).push(" ORDER BY code");
        self.all(sql).await?.iter().map(location).collect()
    }

    async fn asset_classes(&self, park: ParkId) -> Result<Vec<AssetClassRecord>, StoreError> {
        let mut sql = Sql::new(
            "SELECT park_id, code, name, family, attributes, updated_by, updated_at FROM asset_class WHERE park_id = ",
        );
        sql.bind(park.to_string()).push(" ORDER BY code");
        self.all(sql).await?.iter().map(class_record).collect()
    }

    async fn spare_parts(&self, park: ParkId) -> Result<Vec<SparePartRecord>, StoreError> {
        let mut sql = Sql::select(PART_COLUMNS, " FROM spare_part WHERE park_id = ");
        sql.bind(park.to_string()).push(" ORDER BY code");
        self.all(sql).await?.iter().map(part).collect()
    }

    async fn spare_part(&self, id: SparePartId) -> Result<Option<SparePartRecord>, StoreError> {
        let mut sql = Sql::select(PART_COLUMNS, " FROM spare_part WHERE id = ");
        sql.bind(id.to_string());
        self.all(sql).await?.first().map(part).transpose()
    }

    async fn stock_movements(&self, id: SparePartId) -> Result<Vec<StockMovementRecord>, StoreError> {
        let mut sql = Sql::select(MOVEMENT_COLUMNS, " FROM spare_part_movement WHERE part_id = ");
        sql.bind(id.to_string()).push(" ORDER BY seq");
        self.all(sql).await?.iter().map(movement).collect()
    }
}

/// The asset use cases run on the database directly until the asset port is part of the
/// general [`parkops_app::ports::Store`].
#[async_trait]
impl AssetStorage for Db {
    type Tx = dyn AssetTx;

    async fn begin_assets(&self) -> Result<Box<dyn AssetTx>, StoreError> {
        Ok(Box::new(DbTx::begin(self).await?))
    }
}

impl DbTx {
    /// `batch` into `b.table` in multi-row statements, each followed by `tail` (a conflict
    /// clause, or nothing): on SQLite as `VALUES` bound by `bind` within the engine's parameter
    /// budget, on PostgreSQL as one array per column written by `arrays` (ADR 0013). The rows
    /// affected.
    async fn bulk_insert<T>(
        &mut self,
        b: &Bulk,
        tail: &'static str,
        batch: &[T],
        bind: impl Fn(&mut Sql, &T) -> Result<(), StoreError>,
        arrays: impl Fn(&mut ColumnArrays, &T) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        self.wrote(b.table, batch.len());
        let mut affected = 0;
        if self.backend() == Backend::Postgres {
            for rows in self.bulk_runs(batch, b.params_per_row) {
                let mut columns = ColumnArrays::new(b.columns);
                for row in rows {
                    arrays(&mut columns, row)?;
                }
                let mut sql = Sql::new("INSERT INTO ");
                sql.push(b.table).push(" (").push(b.columns).push(") SELECT ").push(b.select).push(" FROM ");
                columns.unnest(&mut sql)?;
                sql.push(tail);
                affected += self.exec(sql).await?;
            }
            return Ok(affected);
        }
        for rows in self.bulk_runs(batch, b.params_per_row) {
            let mut sql = Sql::new(self.bulk_insert_verb());
            sql.push(b.table).push(" (").push(b.columns).push(") VALUES ");
            for (i, row) in rows.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                bind(&mut sql, row)?;
            }
            sql.push(tail);
            affected += match self.exec(sql).await {
                Ok(n) => n,
                Err(e) => return Err(self.bulk_failed(e)),
            };
        }
        Ok(affected)
    }
}

/// The foreign keys a bulk write of the register sets aside on PostgreSQL (ADR 0015): those of
/// the tables it writes that point at CIs, locations or the park, per table as the statement that
/// drops them and the one that adds them back — with their names and definitions as the catalog
/// has them, so a later migration's change to one is kept. A CI's organisations and owner are no
/// keys on PostgreSQL but checks once per statement (migration 0014, ADR 0018), which stay:
/// setting them aside would hold those tables, which every request reads for its principal, until
/// the commit (`park` is read only to open a ticket, a write, which waits for the import anyway).
const REGISTER_REFERENCES: &str = "SELECT \
    format('ALTER TABLE %s %s', conrelid::regclass, \
        string_agg(format('DROP CONSTRAINT %I', conname), ', ' ORDER BY conname)) AS set_aside, \
    format('ALTER TABLE %s %s', conrelid::regclass, \
        string_agg(format('ADD CONSTRAINT %I %s', conname, pg_get_constraintdef(oid)), ', ' ORDER BY conname)) AS restore \
    FROM pg_constraint WHERE contype = 'f' \
    AND conrelid = ANY (CAST(CAST($1 AS text[]) AS regclass[])) \
    AND confrelid IN ('asset'::regclass, 'asset_location'::regclass, 'park'::regclass) \
    GROUP BY conrelid ORDER BY conrelid::regclass::text";

/// The secondary indexes of `asset` and `asset_relation` a bulk write of the register sets aside
/// on PostgreSQL and builds again before the commit (ADR 0016) — as the statement that drops each
/// and the one that creates it, as the catalog has it. Building one from the whole table costs
/// less than adding the batch's rows one at a time once the batch is a good share of the table
/// ([`UPKEEP_DEFERRED_FROM_SHARE`]); the trigram index most of all (a few dozen entries per
/// CI); a relation's index by its `to` end takes its rows in no order (in `psql`, 123,146
/// relations: 0.72–0.77 s with it, 0.36–0.45 s without and 0.19–0.20 s to build it after). The
/// unique indexes stay: they arbitrate the import's upserts.
const REGISTER_INDEXES: &str = "SELECT format('DROP INDEX %s', indexrelid::regclass) AS set_aside, \
    pg_get_indexdef(indexrelid) AS restore \
    FROM pg_index WHERE indrelid = ANY (CAST(CAST($1 AS text[]) AS regclass[])) AND NOT indisunique \
    ORDER BY indexrelid::regclass::text";

/// SQLite: sets the facet counts' triggers aside for the rest of the transaction (migration
/// 0015): the row is deleted again by [`FACET_COUNTS_RESUMED`] before the commit, so no other
/// transaction sees it.
const FACET_COUNTS_DEFERRED: &str = "INSERT INTO asset_facet_count_deferred (deferred) VALUES (1)";

/// SQLite: the facet counts' triggers back, before [`FACET_RECOUNT`].
const FACET_COUNTS_RESUMED: &str = "DELETE FROM asset_facet_count_deferred";

/// Run before the commit of a bulk write that set the facet counts aside: every park's counts
/// per combination counted afresh from `asset` (about 0.1 s at 104,314 CIs, against 0.4–0.9 s of
/// keeping them statement by statement through the import). Grouped by the columns themselves,
/// which SQLite reads in the order of its covering index `asset_facets`: no zone or organisation
/// id is '', so the groups are the combinations.
const FACET_RECOUNT: [&str; 2] = [
    "DELETE FROM asset_facet_count",
    "INSERT INTO asset_facet_count \
     (park_id, class, state, zone_id, enterprise_org_id, maintainer_org_id, family, holds_sensitive_data, n) \
     SELECT park_id, class, state, coalesce(zone_id, ''), coalesce(enterprise_org_id, ''), \
     coalesce(maintainer_org_id, ''), family, holds_sensitive_data, COUNT(*) FROM asset \
     GROUP BY park_id, class, state, zone_id, enterprise_org_id, maintainer_org_id, family, holds_sensitive_data",
];

/// PostgreSQL: the statement triggers of `asset` a bulk write disables until just before its
/// commit (ADR 0020) — the facet counts' (migration 0015) and the party checks' (migration 0014),
/// whose work the commit then does once for the whole register ([`FACET_RECOUNT`],
/// [`PARTIES_CHECKED`]). With none of them enabled PostgreSQL keeps no transition tables either.
/// `TRUNCATE`'s trigger stays: an import does not truncate.
const STATEMENT_TRIGGERS: [&str; 5] = [
    "asset_facet_count_on_insert",
    "asset_facet_count_on_update",
    "asset_facet_count_on_delete",
    "asset_parties_on_insert",
    "asset_parties_on_update",
];

/// PostgreSQL: every CI's enterprise, maintainer and owner checked (and held) as the disabled
/// triggers would have checked each statement's (migration 0016).
const PARTIES_CHECKED: &str = "SELECT parkops_asset_parties_exist_in_register()";

/// `ALTER TABLE asset` with `action` (`DISABLE` or `ENABLE`) for each of [`STATEMENT_TRIGGERS`].
fn statement_triggers(action: &str) -> String {
    let each: Vec<String> = STATEMENT_TRIGGERS.iter().map(|t| format!("{action} TRIGGER {t}")).collect();
    format!("ALTER TABLE asset {}", each.join(", "))
}

/// A bulk write defers the register's upkeep when it writes at least this share (one in …) of
/// the CIs the table already holds: at the commit the keys are checked and the indexes built
/// over whole tables (about 20 µs per CI held, against about 70 µs per CI written row by row at
/// 100,000 CIs: ADR 0016).
const UPKEEP_DEFERRED_FROM_SHARE: usize = 4;

/// A mutable column's value as a CI holds it.
type Getter = for<'a> fn(&'a AssetRecord) -> Field<'a>;

/// The columns of [`ASSET_MUTABLE`], in its order, each with its value in a CI.
const MUTABLE_COLUMNS: [(&str, Getter); 18] = [
    ("code", |a| Field::Text(&a.code)),
    ("name", |a| Field::Text(&a.name)),
    ("class", |a| Field::Text(&a.class)),
    ("family", |a| Field::Text(a.family.code())),
    ("state", |a| Field::Text(a.state.code())),
    ("state_since", |a| Field::Int(a.state_since.as_millis())),
    ("zone_id", |a| Field::Id(a.location.zone.as_ref().map(LocationId::as_uuid))),
    ("site_id", |a| Field::Id(a.location.site.as_ref().map(LocationId::as_uuid))),
    ("point_id", |a| Field::Id(a.location.point.as_ref().map(LocationId::as_uuid))),
    ("enterprise_org_id", |a| Field::Id(a.enterprise_org_id.as_ref().map(OrgId::as_uuid))),
    ("maintainer_org_id", |a| Field::Id(a.maintainer_org_id.as_ref().map(OrgId::as_uuid))),
    ("owner_user_id", |a| Field::Id(a.owner_user_id.as_ref().map(UserId::as_uuid))),
    ("criticality", |a| Field::Text(a.criticality.code())),
    ("domain", |a| Field::Text(a.domain.code())),
    ("holds_sensitive_data", |a| Field::Int(i64::from(a.holds_sensitive_data))),
    ("attributes", |a| Field::Attributes(&a.attributes)),
    ("updated_at", |a| Field::Int(a.updated_at.as_millis())),
    ("search_text", |a| Field::Search(&a.code, &a.name)),
];

/// One of a CI's [`MUTABLE_COLUMNS`] as the record holds it: compared to tell whether an update
/// changes the column, and bound or added to arrays to write it (ids in the domain's text form,
/// hyphenated, as their `Display` writes them).
#[derive(PartialEq, Eq)]
enum Field<'a> {
    Text(&'a str),
    Id(Option<&'a uuid::Uuid>),
    Int(i64),
    Attributes(&'a BTreeMap<String, String>),
    /// The search text, from the code and the name.
    Search(&'a str, &'a str),
}

impl Field<'_> {
    /// Binds the value (`bind_asset_fields`, SQLite's multi-row statements).
    fn bind_to(&self, sql: &mut Sql) -> Result<(), StoreError> {
        match self {
            Self::Text(v) => sql.bind((*v).to_owned()),
            Self::Id(v) => sql.bind(v.map(|u| u.hyphenated().to_string())),
            Self::Int(v) => sql.bind(*v),
            Self::Attributes(v) => sql.bind(attributes_json(v)?),
            Self::Search(code, name) => sql.bind(search_text(code, name)),
        };
        Ok(())
    }

    /// Adds the value to the column `name` of PostgreSQL's arrays.
    fn push_to(&self, arrays: &mut ColumnArrays, name: &'static str) -> Result<(), StoreError> {
        match self {
            Self::Text(v) => arrays.text(name, v),
            Self::Id(v) => arrays.opt(name, v.map(|u| u.hyphenated().to_string())),
            Self::Int(v) => arrays.int(name, *v),
            Self::Attributes(v) => arrays.text(name, &attributes_json(v)?),
            Self::Search(code, name_text) => arrays.text(name, &search_text(code, name_text)),
        };
        Ok(())
    }
}

/// `column = r.column, …` for `columns`.
fn push_assignments(sql: &mut Sql, columns: &[(&'static str, Getter)]) {
    for (i, (name, _)) in columns.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push(name).push(" = r.").push(name);
    }
}

/// Whether writing `cis` CIs into a register of `held` pays for redoing keys and indexes over
/// whole tables ([`UPKEEP_DEFERRED_FROM_SHARE`]).
fn upkeep_deferred(cis: usize, held: i64) -> bool {
    let deferred = cis.saturating_mul(UPKEEP_DEFERRED_FROM_SHARE) >= usize::try_from(held).unwrap_or(usize::MAX);
    if !deferred {
        tracing::info!(cis, held, "the register's keys and indexes stay: too few CIs written to redo whole tables");
    }
    deferred
}

impl DbTx {
    /// The rows of each of a bulk write's statements: [`POSTGRES_BULK_ROWS`] on PostgreSQL, which
    /// binds one array per column, else as many as SQLite's parameter budget takes
    /// ([`DbTx::runs`]).
    fn bulk_runs<'a, T>(&self, batch: &'a [T], params_per_row: usize) -> std::slice::Chunks<'a, T> {
        if self.backend() == Backend::Postgres {
            batch.chunks(POSTGRES_BULK_ROWS)
        } else {
            self.runs(batch, params_per_row)
        }
    }

    /// One statement setting `columns` (of [`MUTABLE_COLUMNS`]) of `rows` to their values, by id
    /// and park: `UPDATE … FROM unnest(…)` on PostgreSQL, `WITH r AS (VALUES …) UPDATE … FROM r`
    /// on SQLite.
    fn update_statement(&self, columns: &[(&'static str, Getter)], rows: &[&AssetRecord]) -> Result<Sql, StoreError> {
        let postgres = self.backend() == Backend::Postgres;
        let mut sql = Sql::new("");
        if postgres {
            let mut arrays =
                ColumnArrays::of(["id", "park_id"].into_iter().chain(columns.iter().map(|(name, _)| *name)));
            for a in rows {
                arrays.row().text("id", &a.id.to_string()).text("park_id", &a.park_id.to_string());
                for (name, get) in columns {
                    get(a).push_to(&mut arrays, name)?;
                }
            }
            sql.push("UPDATE asset AS a SET ");
            push_assignments(&mut sql, columns);
            sql.push(" FROM ");
            arrays.unnest(&mut sql)?;
            sql.push(" WHERE a.id = r.id AND a.park_id = r.park_id");
            return Ok(sql);
        }
        sql.push("WITH r (id, park_id");
        for (name, _) in columns {
            sql.push(", ").push(name);
        }
        sql.push(") AS (VALUES ");
        for (i, a) in rows.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(a.id.to_string()).push(", ").bind(a.park_id.to_string());
            for (_, get) in columns {
                sql.push(", ");
                get(a).bind_to(&mut sql)?;
            }
            sql.push(")");
        }
        // Without a statement journal (the bulk connection) a failing statement cannot be
        // undone alone: it fails the transaction, as the bulk inserts do.
        sql.push(if self.keys_off() { ") UPDATE OR FAIL asset AS a SET " } else { ") UPDATE asset AS a SET " });
        push_assignments(&mut sql, columns);
        sql.push(" FROM r WHERE a.id = r.id AND a.park_id = r.park_id");
        Ok(sql)
    }

    /// SQLite: the dictionary's facet key of each combination of `batch`, the new ones numbered
    /// first (migration 0012).
    async fn facet_keys_of(
        &mut self,
        batch: &[AssetRecord],
    ) -> Result<std::collections::HashMap<FacetCombo, i64>, StoreError> {
        let combos: Vec<FacetCombo> =
            batch.iter().map(FacetCombo::of_asset).collect::<std::collections::HashSet<_>>().into_iter().collect();
        for run in combos.chunks(IDS_PER_QUERY / 7) {
            let mut sql = Sql::new("INSERT OR IGNORE INTO asset_facet_combo (");
            sql.push(FACET_COLUMNS).push(") VALUES ");
            for (i, combo) in run.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" });
                // The dictionary keeps absent values as ''.
                sql.bind_list(combo.text.iter().map(|t| t.clone().unwrap_or_default()));
                sql.push(", ").bind(i64::from(combo.sensitive)).push(")");
            }
            self.exec(sql).await?;
        }
        let mut keys = std::collections::HashMap::with_capacity(combos.len());
        for r in self.fetch_all(Sql::new(SQLITE_DICTIONARY)).await? {
            keys.insert(FacetCombo::of(&r)?, int(&r, "facet_key")?);
        }
        Ok(keys)
    }

    /// SQLite: sets the facet counts' triggers aside until the commit, which counts them afresh
    /// ([`FACET_COUNTS_DEFERRED`], [`FACET_RECOUNT`]).
    async fn defer_facet_counts(&mut self) -> Result<(), StoreError> {
        self.exec(Sql::new(FACET_COUNTS_DEFERRED)).await?;
        self.before_commit(std::iter::once(FACET_COUNTS_RESUMED).chain(FACET_RECOUNT).map(String::from));
        Ok(())
    }

    /// Takes the register's tables and `park` for this transaction (waiting at most a second for
    /// readers to finish), drops [`REGISTER_INDEXES`] and [`REGISTER_REFERENCES`] and disables
    /// [`STATEMENT_TRIGGERS`]; returns the statements that build and add them back, enable the
    /// triggers and do their work over the whole register.
    async fn set_register_upkeep_aside(&mut self, relations: bool) -> Result<Vec<String>, StoreError> {
        self.exec(Sql::new("SET LOCAL lock_timeout = '1s'")).await?;
        self.exec(Sql::new(
            "LOCK TABLE asset, asset_relation, asset_event, asset_location, park IN ACCESS EXCLUSIVE MODE",
        ))
        .await?;
        // Readers wait for the commit from here on; later statements wait as they did before
        // (ParkOps never sets the timeout for a session, so the default is the session's value:
        // the server's, the role's or the URL's).
        self.exec(Sql::new("SET LOCAL lock_timeout TO DEFAULT")).await?;
        let mut restore = Vec::new();
        // Indexes first: the keys' checks at the commit then run with the indexes complete. The
        // relations' table only when relations are written (an import that changes CIs only
        // would build its index and check its keys again for nothing: 0.4 s at 123,146).
        let (indexed, keyed) = if relations {
            ("{asset,asset_relation}", "{asset,asset_event,asset_relation}")
        } else {
            ("{asset}", "{asset,asset_event}")
        };
        for (list, tables) in [(REGISTER_INDEXES, indexed), (REGISTER_REFERENCES, keyed)] {
            let (head, tail) = list.split_once("$1").unwrap_or((list, ""));
            let mut sql = Sql::new(head);
            sql.bind(tables.to_owned()).push(tail);
            for row in self.fetch_all(sql).await? {
                self.exec_catalog_text(text(&row, "set_aside")?).await?;
                restore.push(text(&row, "restore")?);
            }
        }
        self.exec_catalog_text(statement_triggers("DISABLE")).await?;
        restore.push(statement_triggers("ENABLE"));
        restore.push(PARTIES_CHECKED.to_owned());
        restore.extend(FACET_RECOUNT.map(String::from));
        Ok(restore)
    }
}

/// One CI as a row of [`ColumnArrays`] of the columns of [`ASSET_INSERT`].
fn asset_arrays(rows: &mut ColumnArrays, a: &AssetRecord) -> Result<(), StoreError> {
    rows.row().text("id", &a.id.to_string()).text("park_id", &a.park_id.to_string());
    rows.text("created_by", &a.created_by).int("created_at", a.created_at.as_millis());
    for (name, get) in MUTABLE_COLUMNS {
        get(a).push_to(rows, name)?;
    }
    Ok(())
}

fn event_arrays(rows: &mut ColumnArrays, e: &AssetEventRecord) -> Result<(), StoreError> {
    rows.row().text("asset_id", &e.asset_id.to_string()).int("seq", e.seq).int("at", e.at.as_millis());
    rows.text("actor", &e.actor).text("kind", &e.kind).text("from_state", &e.from_state);
    rows.text("to_state", &e.to_state).text("note", &e.note).text("data", &e.data);
    Ok(())
}

fn relation_arrays(rows: &mut ColumnArrays, r: &RelationRecord) -> Result<(), StoreError> {
    rows.row().text("park_id", &r.park_id.to_string()).text("from_id", &r.from_id.to_string());
    rows.text("to_id", &r.to_id.to_string()).text("kind", r.kind.code()).text("note", &r.note);
    rows.text("created_by", &r.created_by).int("created_at", r.created_at.as_millis());
    Ok(())
}

fn bind_event(sql: &mut Sql, e: &AssetEventRecord) -> Result<(), StoreError> {
    // A seq given by the caller (1 for the first entry of a new CI) is written as it is; 0 asks
    // for the next one of the CI's timeline, computed in the statement itself. The primary key
    // (asset_id, seq) refuses a given seq that is taken.
    sql.push("(").bind(e.asset_id.to_string()).push(", ");
    if e.seq > 0 {
        sql.bind(e.seq);
    } else {
        sql.push("(SELECT COALESCE(MAX(seq), 0) + 1 FROM asset_event WHERE asset_id = ").bind(e.asset_id.to_string());
        sql.push(")");
    }
    sql.push(", ").bind(e.at.as_millis()).push(", ").bind(e.actor.clone()).push(", ").bind(e.kind.clone());
    sql.push(", ").bind(e.from_state.clone()).push(", ").bind(e.to_state.clone()).push(", ").bind(e.note.clone());
    sql.push(", ").bind(e.data.clone()).push(")");
    Ok(())
}

fn bind_relation(sql: &mut Sql, r: &RelationRecord) -> Result<(), StoreError> {
    sql.push("(").bind(r.park_id.to_string()).push(", ").bind(r.from_id.to_string()).push(", ");
    sql.bind(r.to_id.to_string()).push(", ").bind(r.kind.code().to_owned()).push(", ").bind(r.note.clone());
    sql.push(", ").bind(r.created_by.clone()).push(", ").bind(r.created_at.as_millis()).push(")");
    Ok(())
}

#[async_trait]
impl AssetWrites for DbTx {
    async fn insert_asset(&mut self, a: &AssetRecord) -> Result<(), StoreError> {
        let mut sql = Sql::new("INSERT INTO asset (");
        sql.push(ASSET_INSERT).push(") VALUES ");
        bind_asset(&mut sql, a)?;
        self.exec(sql).await.map(|_| ())
    }

    async fn update_asset(&mut self, a: &AssetRecord) -> Result<(), StoreError> {
        // A row-value assignment (PostgreSQL; SQLite since 3.15) in the order of
        // `bind_asset_fields`, so insert and update share one binding.
        let mut sql = Sql::new("UPDATE asset SET (");
        sql.push(ASSET_MUTABLE).push(") = (");
        bind_asset_fields(&mut sql, a)?;
        sql.push(") WHERE id = ").bind(a.id.to_string()).push(" AND park_id = ").bind(a.park_id.to_string());
        self.exec_one(sql).await
    }

    async fn put_assets(&mut self, batch: &[AssetRecord]) -> Result<(), StoreError> {
        self.bulk_insert(&ASSET_BULK, ASSET_UPSERT, batch, bind_asset, asset_arrays).await.map(|_| ())
    }

    async fn update_assets(&mut self, changes: &[(&AssetRecord, AssetRecord)]) -> Result<(), StoreError> {
        // The rows grouped by the columns they change, one `UPDATE … FROM` per group and chunk
        // that sets those only: an `ON CONFLICT` insert of rows that all exist tries each as an
        // insert first, and a column set to its own value still rewrites the indexes holding it
        // and, on SQLite, fires the triggers `UPDATE OF` it (the facet key's, which writes the row
        // once more). 100,000 renamed CIs: docs/benchmarks.md figure 7.
        self.wrote(ASSET_BULK.table, changes.len());
        let mut groups: BTreeMap<Vec<usize>, Vec<&AssetRecord>> = BTreeMap::new();
        for (old, new) in changes {
            // The time of the change always, so that no statement sets nothing.
            let changed = MUTABLE_COLUMNS
                .iter()
                .enumerate()
                .filter(|(_, (name, get))| *name == "updated_at" || get(old) != get(new))
                .map(|(i, _)| i)
                .collect();
            groups.entry(changed).or_default().push(new);
        }
        for (changed, rows) in groups {
            let columns: Vec<(&'static str, Getter)> =
                changed.iter().filter_map(|i| MUTABLE_COLUMNS.get(*i).copied()).collect();
            for run in self.bulk_runs(&rows, 2 + columns.len()) {
                let sql = self.update_statement(&columns, run)?;
                if self.exec(sql).await? != u64::try_from(run.len()).unwrap_or(u64::MAX) {
                    return Err(StoreError::NotFound);
                }
            }
        }
        Ok(())
    }

    async fn insert_assets(&mut self, batch: &[AssetRecord]) -> Result<(), StoreError> {
        // Plain inserts: on PostgreSQL an `ON CONFLICT` insert probes the arbiter index before
        // each row (0.9 s more for 100,000 CIs, docs/benchmarks.md figure 7).
        if self.backend() == Backend::Sqlite {
            let keys = self.facet_keys_of(batch).await?;
            let bind = |sql: &mut Sql, a: &AssetRecord| {
                let key = keys.get(&FacetCombo::of_asset(a)).copied().ok_or_else(|| bad("facet_key"))?;
                bind_asset_row(sql, a, Some(key))
            };
            return self.bulk_insert(&ASSET_KEYED_BULK, "", batch, bind, asset_arrays).await.map(|_| ());
        }
        self.bulk_insert(&ASSET_BULK, "", batch, bind_asset, asset_arrays).await.map(|_| ())
    }

    async fn append_asset_event(&mut self, e: &AssetEventRecord) -> Result<i64, StoreError> {
        let mut next = Sql::new("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM asset_event WHERE asset_id = ");
        next.bind(e.asset_id.to_string());
        let seq = self.fetch_int(next, "n").await?;
        let mut sql = Sql::new("INSERT INTO asset_event (");
        sql.push(EVENT_COLUMNS).push(") VALUES (").bind(e.asset_id.to_string()).push(", ").bind(seq).push(", ");
        sql.bind(e.at.as_millis()).push(", ").bind(e.actor.clone()).push(", ").bind(e.kind.clone()).push(", ");
        sql.bind(e.from_state.clone()).push(", ").bind(e.to_state.clone()).push(", ").bind(e.note.clone());
        sql.push(", ").bind(e.data.clone()).push(")");
        self.exec(sql).await?;
        Ok(seq)
    }

    async fn append_asset_events(&mut self, batch: &[AssetEventRecord]) -> Result<(), StoreError> {
        self.bulk_insert(&EVENT_BULK, "", batch, bind_event, event_arrays).await.map(|_| ())
    }

    async fn defer_register_upkeep(&mut self, cis: usize, relations: bool) -> Result<bool, StoreError> {
        if self.has_deferred_checks() || self.keys_off() {
            return Ok(true);
        }
        // Counted outside the transaction, which may still move to another connection (SQLite):
        // the gate and the `write_lock` row keep every other writer out meanwhile.
        let held: i64 = sqlx::query("SELECT COUNT(*) AS n FROM asset")
            .fetch_one(self.db().pool())
            .await
            .map_err(crate::map_err)
            .and_then(|r| int(&r, "n"))?;
        let deferred = upkeep_deferred(cis, held);
        if self.backend() == Backend::Sqlite {
            // SQLite moves to the connection without foreign keys, whose keys are checked once per
            // table before the commit and whose bulk statements keep no statement journal
            // ([`DbTx::switch_to_bulk_connection`], ADR 0017). Its indexes stay: without the
            // statement journal it adds to them row by row for less than building them again (an
            // import of 100,000 CIs took 8.7–8.9 s with the five secondary indexes of `asset`
            // built at the commit, 7.5–8.2 s without, docs/benchmarks.md figure 7). Its readers
            // go on reading the last commit (WAL).
            let moved = deferred && self.switch_to_bulk_connection().await?;
            if moved {
                self.defer_facet_counts().await?;
            }
            // The bulk write's pages need a larger cache either way.
            self.raise_page_cache().await?;
            return Ok(moved);
        }
        if !deferred {
            return Ok(false);
        }
        // Inside a savepoint: tables busy past the wait, or a role that does not own them,
        // leave the transaction as it was, checking row by row.
        self.exec(Sql::new("SAVEPOINT register_checks")).await?;
        match self.set_register_upkeep_aside(relations).await {
            Ok(restore) => {
                self.exec(Sql::new("RELEASE SAVEPOINT register_checks")).await?;
                self.before_commit(restore);
                Ok(true)
            }
            Err(e) => {
                tracing::info!(error = %e, "the register's keys and indexes stay (tables busy, or not this role's): kept row by row");
                self.exec(Sql::new("ROLLBACK TO SAVEPOINT register_checks")).await?;
                self.exec(Sql::new("RELEASE SAVEPOINT register_checks")).await?;
                Ok(false)
            }
        }
    }

    async fn insert_relations(&mut self, batch: &[RelationRecord]) -> Result<u64, StoreError> {
        self.bulk_insert(&RELATION_BULK, RELATION_SKIP, batch, bind_relation, relation_arrays).await
    }

    async fn append_relations(&mut self, batch: &[RelationRecord]) -> Result<u64, StoreError> {
        // Plain inserts, as for `insert_assets` (0.27 s less for 123,146 relations).
        self.bulk_insert(&RELATION_BULK, "", batch, bind_relation, relation_arrays).await
    }

    async fn delete_relation(&mut self, from: AssetId, to: AssetId, kind: RelationKind) -> Result<(), StoreError> {
        let mut sql = Sql::new("DELETE FROM asset_relation WHERE from_id = ");
        sql.bind(from.to_string()).push(" AND kind = ").bind(kind.code().to_owned());
        sql.push(" AND to_id = ").bind(to.to_string());
        self.exec_one(sql).await
    }

    async fn put_location(&mut self, l: &LocationRecord) -> Result<(), StoreError> {
        let mut sql = Sql::new("INSERT INTO asset_location (");
        sql.push(LOCATION_COLUMNS).push(") VALUES (").bind(l.id.to_string()).push(", ");
        sql.bind(l.park_id.to_string()).push(", ").bind(l.parent_id.map(|p| p.to_string())).push(", ");
        sql.bind(l.level.code().to_owned()).push(", ").bind(l.code.clone()).push(", ").bind(l.name.clone());
        sql.push(", ").bind(l.latitude.clone()).push(", ").bind(l.longitude.clone()).push(", ");
        sql.bind(l.ex_zone.clone()).push(", ").bind(l.created_at.as_millis()).push(", ");
        sql.bind(l.updated_at.as_millis()).push(
            ") ON CONFLICT (id) DO UPDATE SET parent_id = excluded.parent_id, level = excluded.level, \
             code = excluded.code, name = excluded.name, latitude = excluded.latitude, \
             longitude = excluded.longitude, ex_zone = excluded.ex_zone, updated_at = excluded.updated_at",
        );
        self.exec(sql).await.map(|_| ())
    }

    async fn put_asset_class(&mut self, c: &AssetClassRecord) -> Result<(), StoreError> {
        let mut sql = Sql::new(
            "INSERT INTO asset_class (park_id, code, name, family, attributes, updated_by, updated_at) VALUES (",
        );
        sql.bind(c.park_id.to_string()).push(", ").bind(c.code.clone()).push(", ").bind(c.name.clone());
        sql.push(", ").bind(c.family.code().to_owned()).push(", ").bind(c.attributes.clone()).push(", ");
        sql.bind(c.updated_by.clone()).push(", ").bind(c.updated_at.as_millis()).push(
            ") ON CONFLICT (park_id, code) DO UPDATE SET name = excluded.name, family = excluded.family, \
             attributes = excluded.attributes, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        );
        self.exec(sql).await.map(|_| ())
    }

    async fn insert_spare_part(&mut self, p: &SparePartRecord) -> Result<(), StoreError> {
        let mut sql = Sql::new("INSERT INTO spare_part (");
        sql.push(PART_COLUMNS).push(") VALUES (").bind(p.id.to_string()).push(", ").bind(p.park_id.to_string());
        sql.push(", ").bind(p.code.clone()).push(", ").bind(p.name.clone()).push(", ").bind(p.class.clone());
        sql.push(", ").bind(p.unit.clone()).push(", ").bind(p.stock).push(", ").bind(p.min_stock).push(", ");
        sql.bind(p.created_at.as_millis()).push(", ").bind(p.updated_at.as_millis()).push(")");
        self.exec(sql).await.map(|_| ())
    }

    async fn update_spare_part(&mut self, p: &SparePartRecord) -> Result<(), StoreError> {
        let mut sql = Sql::new("UPDATE spare_part SET code = ");
        sql.bind(p.code.clone()).push(", name = ").bind(p.name.clone()).push(", class = ").bind(p.class.clone());
        sql.push(", unit = ").bind(p.unit.clone()).push(", min_stock = ").bind(p.min_stock);
        sql.push(", updated_at = ").bind(p.updated_at.as_millis()).push(" WHERE id = ").bind(p.id.to_string());
        self.exec_one(sql).await
    }

    async fn move_stock(&mut self, m: &StockMovementRecord) -> Result<i64, StoreError> {
        let part = m.part_id.to_string();
        // Conditional, so a concurrent issue can never take the stock below zero.
        let mut up = Sql::new("UPDATE spare_part SET stock = stock + ");
        up.bind(m.delta).push(", updated_at = ").bind(m.at.as_millis()).push(" WHERE id = ").bind(part.clone());
        up.push(" AND stock + ").bind(m.delta).push(" >= 0");
        if self.exec(up).await? == 0 {
            let mut exists = Sql::new("SELECT COUNT(*) AS n FROM spare_part WHERE id = ");
            exists.bind(part);
            return Err(if self.fetch_int(exists, "n").await? == 0 {
                StoreError::NotFound
            } else {
                StoreError::Conflict { constraint: "spare_part_stock".to_owned() }
            });
        }
        let mut stock = Sql::new("SELECT stock AS n FROM spare_part WHERE id = ");
        stock.bind(part.clone());
        let after = self.fetch_int(stock, "n").await?;
        let mut next = Sql::new("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM spare_part_movement WHERE part_id = ");
        next.bind(part.clone());
        let seq = self.fetch_int(next, "n").await?;
        let mut sql = Sql::new("INSERT INTO spare_part_movement (");
        sql.push(MOVEMENT_COLUMNS).push(") VALUES (").bind(part).push(", ").bind(seq).push(", ");
        sql.bind(m.at.as_millis()).push(", ").bind(m.actor.clone()).push(", ").bind(m.delta).push(", ");
        sql.bind(after).push(", ").bind(m.reason.code().to_owned()).push(", ");
        sql.bind(m.asset_id.map(|a| a.to_string())).push(", ").bind(m.note.clone()).push(")");
        self.exec(sql).await?;
        Ok(after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::{PARAMS_PER_STATEMENT, SQLITE_BULK_PARAMS_PER_STATEMENT, SQLITE_PARAMS_PER_STATEMENT};

    #[test]
    fn the_mutable_columns_are_those_of_the_statements_in_their_order() {
        let names: Vec<&str> = MUTABLE_COLUMNS.iter().map(|(name, _)| *name).collect();
        let listed: Vec<&str> = ASSET_MUTABLE.split(',').map(str::trim).collect();
        assert_eq!(listed, names);
        let inserted: Vec<&str> = ASSET_INSERT.split(',').map(str::trim).skip(4).collect();
        assert_eq!(inserted, names, "the insert's columns after id, park and creation");
    }

    #[test]
    fn batches_stay_within_the_parameter_budget() {
        const { assert!(SQLITE_PARAMS_PER_STATEMENT / ASSET_COLUMN_COUNT >= 8) };
        // SQLite's own limit on bound parameters is 32,766.
        const { assert!(SQLITE_BULK_PARAMS_PER_STATEMENT / (ASSET_COLUMN_COUNT + 1) >= 64) };
        const { assert!(SQLITE_BULK_PARAMS_PER_STATEMENT <= 32_766) };
        const { assert!(PARAMS_PER_STATEMENT / ASSET_COLUMN_COUNT >= 16) };
        assert_eq!(ASSET_COLUMNS.split(',').count() + 1, ASSET_COLUMN_COUNT, "all but the search text");
        assert_eq!(ASSET_INSERT.split(',').count(), ASSET_COLUMN_COUNT);
        assert_eq!(ASSET_MUTABLE.split(',').count() + 4, ASSET_COLUMN_COUNT);
        assert_eq!(EVENT_COLUMNS.split(',').count(), 9);
        assert_eq!(RELATION_COLUMNS.split(',').count(), 7);
    }

    fn combo(class: &str, sensitive: bool) -> FacetCombo {
        let mut text: [Option<String>; 6] = Default::default();
        text[0] = Some(class.to_owned());
        text[1] = Some("in_service".to_owned());
        text[5] = Some("video".to_owned());
        FacetCombo { text, sensitive }
    }

    #[test]
    fn facet_keys_name_only_keys_learnt_with_one_combination() {
        let keys = FacetKeys::default();
        assert!(keys.name(&[(7, 3)]).unwrap().is_none(), "nothing learnt yet");
        keys.learn(vec![(7, combo("ip_camera", false)), (9, combo("nvr", true))]);
        let facets = keys.name(&[(7, 3), (9, 2)]).unwrap().unwrap();
        assert_eq!(facets.classes, vec![("ip_camera".to_owned(), 3), ("nvr".to_owned(), 2)]);
        assert_eq!(facets.sensitive, vec![(false, 3), (true, 2)]);
        assert_eq!(facets.zones, vec![(None, 5)]);
        assert!(keys.name(&[(7, 3), (8, 1)]).unwrap().is_none(), "an unknown key");
        // Learning the same name again changes nothing; a second combination for a key makes
        // the key unusable, for good.
        keys.learn(vec![(7, combo("ip_camera", false))]);
        assert!(keys.name(&[(7, 1)]).unwrap().is_some());
        keys.learn(vec![(7, combo("ptz_camera", false))]);
        assert!(keys.name(&[(7, 1)]).unwrap().is_none());
        keys.learn(vec![(7, combo("ip_camera", false))]);
        assert!(keys.name(&[(7, 1)]).unwrap().is_none());
        assert!(keys.name(&[(9, 1)]).unwrap().is_some(), "other keys keep their names");
    }
}
