//! The calibration half of the store (R-9.1.1d): record versions and their attachments
//! (append-only, refused by triggers otherwise), the per-CI status projection, the versioned
//! class cycles and the reminders sent; migration `0007_calibration`.
//!
//! Dates are `YYYY-MM-DD` text, which compares as dates on both engines.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use chrono::NaiveDate;
use parkops_app::StoreError;
use parkops_app::ports::asset::{AssetReads, AssetRecord};
use parkops_app::ports::calibration::{
    CalibrationAttachment, CalibrationReads, CalibrationRecord, CalibrationStatus, CalibrationWrites, CycleRecord,
    DueCount, DueFilter, DueRow, HeadRecord, NoticeRecord, PointRecord, RecordFilter,
};
use parkops_app::ports::{Page, PageRequest};
use parkops_domain::asset::AssetId;
use parkops_domain::calibration::{CalibrationId, Conclusion, Cycle, Method, NoticeKind};
use parkops_domain::id::{OrgId, ParkId};
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::read::{like, page_clause};
use crate::rows::{bad, code, date, date_text, flag, int, opt_date, opt_text, text, time, uuid};
use crate::tx::DbTx;
use crate::{Db, Sql, unavailable};

/// The columns of a record, prefixed for queries that join the CI.
const RECORD_COLUMNS: &str = "r.id, r.park_id, r.asset_id, r.class, r.version, r.root_id, r.corrects_id, \
    r.correction_reason, r.method, r.standard_name, r.standard_certificate, r.standard_valid_until, r.certificate_no, \
    r.performer, r.performer_org_id, r.performed_on, r.conclusion, r.points, r.cycle, r.computed_due, \
    r.next_due, r.next_due_reason, r.task_id, r.note, r.created_by, r.created_at";
const ATTACHMENT_COLUMNS: &str = "id, record_id, name, content_type, size_bytes, sha256, created_by, created_at";
const STATUS_COLUMNS: &str = "asset_id, park_id, record_id, performed_on, conclusion, next_due, updated_at";
const CYCLE_COLUMNS: &str =
    "park_id, class, version, enabled, cycle_months, method, basis, note, created_by, created_at";
/// Values per `IN (…)` list.
const IDS_PER_QUERY: usize = 400;

fn calibration_id(row: &AnyRow, c: &'static str) -> Result<CalibrationId, StoreError> {
    CalibrationId::parse(&text(row, c)?).map_err(|_| bad(c))
}

fn points_json(points: &[PointRecord]) -> String {
    Value::Array(
        points
            .iter()
            .map(|p| json!({ "nominal": p.nominal, "reading": p.reading, "error": p.error, "allowed": p.allowed }))
            .collect(),
    )
    .to_string()
}

fn points(row: &AnyRow) -> Result<Vec<PointRecord>, StoreError> {
    let v: Value = serde_json::from_str(&text(row, "points")?).map_err(|_| bad("points"))?;
    let field = |p: &Value, k: &str| p.get(k).and_then(Value::as_str).map(str::to_owned).ok_or_else(|| bad("points"));
    v.as_array()
        .ok_or_else(|| bad("points"))?
        .iter()
        .map(|p| {
            Ok(PointRecord {
                nominal: field(p, "nominal")?,
                reading: field(p, "reading")?,
                error: field(p, "error")?,
                allowed: field(p, "allowed")?,
            })
        })
        .collect()
}

fn record(row: &AnyRow) -> Result<CalibrationRecord, StoreError> {
    Ok(CalibrationRecord {
        id: calibration_id(row, "id")?,
        park_id: ParkId::parse(&text(row, "park_id")?).map_err(|_| bad("park_id"))?,
        asset_id: AssetId::parse(&text(row, "asset_id")?).map_err(|_| bad("asset_id"))?,
        class: text(row, "class")?,
        version: int(row, "version")?,
        root_id: calibration_id(row, "root_id")?,
        corrects_id: opt_text(row, "corrects_id")?
            .map(|t| CalibrationId::parse(&t).map_err(|_| bad("corrects_id")))
            .transpose()?,
        correction_reason: text(row, "correction_reason")?,
        method: code(row, "method", Method::parse)?,
        standard_name: text(row, "standard_name")?,
        standard_certificate: text(row, "standard_certificate")?,
        standard_valid_until: opt_date(row, "standard_valid_until")?,
        certificate_no: text(row, "certificate_no")?,
        performer: text(row, "performer")?,
        performer_org_id: opt_text(row, "performer_org_id")?
            .map(|t| OrgId::parse(&t).map_err(|_| bad("performer_org_id")))
            .transpose()?,
        performed_on: date(row, "performed_on")?,
        conclusion: code(row, "conclusion", Conclusion::parse)?,
        points: points(row)?,
        cycle: code(row, "cycle", Cycle::parse)?,
        computed_due: date(row, "computed_due")?,
        next_due: date(row, "next_due")?,
        next_due_reason: text(row, "next_due_reason")?,
        task_id: opt_text(row, "task_id")?
            .map(|t| uuid::Uuid::parse_str(&t).map_err(|_| bad("task_id")))
            .transpose()?,
        note: text(row, "note")?,
        created_by: text(row, "created_by")?,
        created_at: time(row, "created_at")?,
    })
}

fn attachment(row: &AnyRow) -> Result<CalibrationAttachment, StoreError> {
    Ok(CalibrationAttachment {
        id: uuid(row, "id")?,
        record_id: calibration_id(row, "record_id")?,
        name: text(row, "name")?,
        content_type: text(row, "content_type")?,
        size: int(row, "size_bytes")?,
        sha256: text(row, "sha256")?,
        created_by: text(row, "created_by")?,
        created_at: time(row, "created_at")?,
    })
}

/// A status from columns named `<prefix>…` (the due list joins it under `s_`).
fn status(row: &AnyRow, asset_column: &'static str, prefix: bool) -> Result<Option<CalibrationStatus>, StoreError> {
    let c = |name: &'static str, prefixed: &'static str| if prefix { prefixed } else { name };
    let Some(record_id) = opt_text(row, c("record_id", "s_record_id"))? else { return Ok(None) };
    Ok(Some(CalibrationStatus {
        asset_id: AssetId::parse(&text(row, asset_column)?).map_err(|_| bad(asset_column))?,
        park_id: ParkId::parse(&text(row, c("park_id", "s_park_id"))?).map_err(|_| bad("park_id"))?,
        record_id: CalibrationId::parse(&record_id).map_err(|_| bad("record_id"))?,
        performed_on: date(row, c("performed_on", "s_performed_on"))?,
        conclusion: code(row, c("conclusion", "s_conclusion"), Conclusion::parse)?,
        next_due: date(row, c("next_due", "s_next_due"))?,
        updated_at: time(row, c("updated_at", "s_updated_at"))?,
    }))
}

fn cycle(row: &AnyRow) -> Result<CycleRecord, StoreError> {
    Ok(CycleRecord {
        park_id: ParkId::parse(&text(row, "park_id")?).map_err(|_| bad("park_id"))?,
        class: text(row, "class")?,
        version: int(row, "version")?,
        enabled: flag(row, "enabled")?,
        cycle_months: int(row, "cycle_months")?,
        method: code(row, "method", Method::parse)?,
        basis: text(row, "basis")?,
        note: text(row, "note")?,
        created_by: text(row, "created_by")?,
        created_at: time(row, "created_at")?,
    })
}

fn notice(row: &AnyRow) -> Result<NoticeRecord, StoreError> {
    Ok(NoticeRecord {
        park_id: ParkId::parse(&text(row, "park_id")?).map_err(|_| bad("park_id"))?,
        asset_id: AssetId::parse(&text(row, "asset_id")?).map_err(|_| bad("asset_id"))?,
        kind: code(row, "kind", NoticeKind::parse)?,
        due_key: text(row, "due_key")?,
        recipients: int(row, "recipients")?,
        created_at: time(row, "created_at")?,
    })
}

/// The register's conditions on `r` (record) and `a` (its CI), newest versions only.
fn record_where(sql: &mut Sql, f: &RecordFilter) {
    sql.push(" WHERE NOT EXISTS (SELECT 1 FROM calibration_record c WHERE c.corrects_id = r.id)");
    if let Some(p) = f.park_id {
        sql.push(" AND r.park_id = ").bind(p.to_string());
    }
    if let Some(a) = f.asset {
        sql.push(" AND r.asset_id = ").bind(a.to_string());
    }
    if !f.classes.is_empty() {
        sql.push(" AND r.class IN (");
        sql.bind_list(f.classes.iter().cloned());
        sql.push(")");
    }
    if let Some(o) = f.enterprise {
        sql.push(" AND a.enterprise_org_id = ").bind(o.to_string());
    }
    if let Some(z) = f.zone {
        sql.push(" AND a.zone_id = ").bind(z.to_string());
    }
    if let Some(s) = f.site {
        sql.push(" AND a.site_id = ").bind(s.to_string());
    }
    if let Some(c) = f.conclusion {
        sql.push(" AND r.conclusion = ").bind(c.code().to_owned());
    }
    if let Some(m) = f.method {
        sql.push(" AND r.method = ").bind(m.code().to_owned());
    }
    if let Some(d) = f.from {
        sql.push(" AND r.performed_on >= ").bind(date_text(d));
    }
    if let Some(d) = f.until {
        sql.push(" AND r.performed_on <= ").bind(date_text(d));
    }
    if let Some(o) = f.org_scope {
        sql.push(" AND (a.enterprise_org_id = ").bind(o.to_string()).push(" OR a.maintainer_org_id = ");
        sql.bind(o.to_string()).push(")");
    }
    if let Some(t) = f.text.as_ref().filter(|t| !t.trim().is_empty()) {
        let p = like(t);
        sql.push(" AND (lower(a.code) LIKE ").bind(p.clone()).push(" ESCAPE '\\' OR lower(a.name) LIKE ");
        sql.bind(p.clone()).push(" ESCAPE '\\' OR lower(r.certificate_no) LIKE ").bind(p).push(" ESCAPE '\\')");
    }
}

/// The due lists' conditions on `a` (the CI) and `s` (its status); `with_due` adds the due
/// bounds (the counts leave them out).
fn due_where(sql: &mut Sql, f: &DueFilter, with_due: bool) {
    sql.push(" WHERE 1 = 1");
    if let Some(p) = f.park_id {
        sql.push(" AND a.park_id = ").bind(p.to_string());
    }
    sql.push(" AND a.class IN (");
    sql.bind_list(f.classes.iter().cloned());
    sql.push(")");
    if !f.states.is_empty() {
        sql.push(" AND a.state IN (");
        sql.bind_list(f.states.iter().map(|s| s.code().to_owned()));
        sql.push(")");
    }
    if let Some(o) = f.enterprise {
        sql.push(" AND a.enterprise_org_id = ").bind(o.to_string());
    }
    if let Some(z) = f.zone {
        sql.push(" AND a.zone_id = ").bind(z.to_string());
    }
    if let Some(s) = f.site {
        sql.push(" AND a.site_id = ").bind(s.to_string());
    }
    if let Some(o) = f.org_scope {
        sql.push(" AND (a.enterprise_org_id = ").bind(o.to_string()).push(" OR a.maintainer_org_id = ");
        sql.bind(o.to_string()).push(")");
    }
    if with_due {
        sql.push(" AND (");
        if f.include_never {
            sql.push("s.next_due IS NULL OR ");
        }
        sql.push("(s.next_due IS NOT NULL");
        if let Some(d) = f.due_from {
            sql.push(" AND s.next_due >= ").bind(date_text(d));
        }
        if let Some(d) = f.due_until {
            sql.push(" AND s.next_due <= ").bind(date_text(d));
        }
        sql.push("))");
    }
}

#[async_trait]
impl CalibrationReads for Db {
    async fn calibration(&self, id: CalibrationId) -> Result<Option<CalibrationRecord>, StoreError> {
        let mut sql = Sql::new("SELECT ");
        sql.push(RECORD_COLUMNS).push(" FROM calibration_record r WHERE r.id = ").bind(id.to_string());
        self.all(sql).await?.first().map(record).transpose()
    }

    async fn calibration_versions(&self, root: CalibrationId) -> Result<Vec<CalibrationRecord>, StoreError> {
        let mut sql = Sql::new("SELECT ");
        sql.push(RECORD_COLUMNS).push(" FROM calibration_record r WHERE r.root_id = ").bind(root.to_string());
        sql.push(" ORDER BY r.version");
        self.all(sql).await?.iter().map(record).collect()
    }

    async fn calibrations_of_asset(&self, asset: AssetId) -> Result<Vec<CalibrationRecord>, StoreError> {
        let mut sql = Sql::new("SELECT ");
        sql.push(RECORD_COLUMNS).push(" FROM calibration_record r WHERE r.asset_id = ").bind(asset.to_string());
        sql.push(" ORDER BY r.performed_on DESC, r.root_id, r.version");
        self.all(sql).await?.iter().map(record).collect()
    }

    async fn calibration_heads(
        &self,
        filter: &RecordFilter,
        page: PageRequest,
    ) -> Result<Page<HeadRecord>, StoreError> {
        let mut count = Sql::new("SELECT COUNT(*) AS n FROM calibration_record r JOIN asset a ON a.id = r.asset_id");
        record_where(&mut count, filter);
        let total = self.count(count).await?;
        let mut sql = Sql::new("SELECT ");
        sql.push(RECORD_COLUMNS).push(
            ", CASE WHEN s.record_id IS NULL THEN 0 ELSE 1 END AS in_force FROM calibration_record r \
             JOIN asset a ON a.id = r.asset_id LEFT JOIN calibration_status s ON s.record_id = r.id",
        );
        record_where(&mut sql, filter);
        sql.push(" ORDER BY r.performed_on DESC, r.created_at DESC, r.id");
        page_clause(&mut sql, page);
        let items = self
            .all(sql)
            .await?
            .iter()
            .map(|row| Ok(HeadRecord { record: record(row)?, in_force: flag(row, "in_force")? }))
            .collect::<Result<_, StoreError>>()?;
        Ok(Page { items, total, request: page })
    }

    async fn calibration_status(&self, asset: AssetId) -> Result<Option<CalibrationStatus>, StoreError> {
        let mut sql = Sql::new("SELECT ");
        sql.push(STATUS_COLUMNS).push(" FROM calibration_status WHERE asset_id = ").bind(asset.to_string());
        match self.all(sql).await?.first() {
            None => Ok(None),
            Some(row) => status(row, "asset_id", false),
        }
    }

    async fn calibration_due(&self, filter: &DueFilter, page: PageRequest) -> Result<Page<DueRow>, StoreError> {
        if filter.classes.is_empty() {
            return Ok(Page { items: Vec::new(), total: 0, request: page });
        }
        let from = " FROM asset a LEFT JOIN calibration_status s ON s.asset_id = a.id";
        let mut count = Sql::new("SELECT COUNT(*) AS n");
        count.push(from);
        due_where(&mut count, filter, true);
        let total = self.count(count).await?;
        let mut sql = Sql::new(
            "SELECT a.id AS a_id, s.park_id AS s_park_id, s.record_id AS s_record_id, s.performed_on AS s_performed_on, \
             s.conclusion AS s_conclusion, s.next_due AS s_next_due, s.updated_at AS s_updated_at",
        );
        sql.push(from);
        due_where(&mut sql, filter, true);
        // Never calibrated first, then the longest overdue; the code keeps pages stable.
        sql.push(" ORDER BY CASE WHEN s.next_due IS NULL THEN 0 ELSE 1 END, s.next_due, a.code");
        page_clause(&mut sql, page);
        let rows = self.all(sql).await?;
        let mut order = Vec::with_capacity(rows.len());
        for row in &rows {
            let id = AssetId::parse(&text(row, "a_id")?).map_err(|_| bad("a_id"))?;
            order.push((id, status(row, "a_id", true)?));
        }
        let ids: Vec<AssetId> = order.iter().map(|(id, _)| *id).collect();
        let mut by_id: BTreeMap<AssetId, AssetRecord> =
            self.assets_by_ids(&ids).await?.into_iter().map(|a| (a.id, a)).collect();
        let items = order
            .into_iter()
            .filter_map(|(id, status)| by_id.remove(&id).map(|asset| DueRow { asset, status }))
            .collect();
        Ok(Page { items, total, request: page })
    }

    async fn calibration_due_counts(
        &self,
        filter: &DueFilter,
        today: NaiveDate,
        soon_until: NaiveDate,
    ) -> Result<Vec<DueCount>, StoreError> {
        if filter.classes.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(
            "SELECT a.enterprise_org_id AS e, a.class AS c, COUNT(*) AS total, \
             CAST(SUM(CASE WHEN s.next_due IS NULL THEN 1 ELSE 0 END) AS BIGINT) AS never, \
             CAST(SUM(CASE WHEN s.next_due < ",
        );
        sql.bind(date_text(today));
        sql.push(" THEN 1 ELSE 0 END) AS BIGINT) AS overdue, CAST(SUM(CASE WHEN s.next_due >= ").bind(date_text(today));
        sql.push(" AND s.next_due <= ").bind(date_text(soon_until));
        sql.push(
            " THEN 1 ELSE 0 END) AS BIGINT) AS soon FROM asset a LEFT JOIN calibration_status s ON s.asset_id = a.id",
        );
        due_where(&mut sql, filter, false);
        sql.push(" GROUP BY a.enterprise_org_id, a.class");
        let mut out = self
            .all(sql)
            .await?
            .iter()
            .map(|row| {
                Ok(DueCount {
                    enterprise: opt_text(row, "e")?.map(|t| OrgId::parse(&t).map_err(|_| bad("e"))).transpose()?,
                    class: text(row, "c")?,
                    total: int(row, "total")?,
                    never: int(row, "never")?,
                    overdue: int(row, "overdue")?,
                    due_soon: int(row, "soon")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        // The engines order NULL differently: sort here, park-owned CIs last.
        out.sort_by(|x, y| {
            (x.enterprise.is_none(), x.enterprise, &x.class).cmp(&(y.enterprise.is_none(), y.enterprise, &y.class))
        });
        Ok(out)
    }

    async fn calibration_attachments(&self, ids: &[CalibrationId]) -> Result<Vec<CalibrationAttachment>, StoreError> {
        let ids: Vec<String> = ids.iter().collect::<BTreeSet<_>>().into_iter().map(ToString::to_string).collect();
        let mut out = Vec::new();
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let mut sql = Sql::new("SELECT ");
            sql.push(ATTACHMENT_COLUMNS).push(" FROM calibration_attachment WHERE record_id IN (");
            sql.bind_list(chunk.iter().cloned());
            sql.push(")");
            for row in self.all(sql).await? {
                out.push(attachment(&row)?);
            }
        }
        out.sort_by_key(|a| (a.created_at, a.id));
        Ok(out)
    }

    async fn calibration_attachment_data(
        &self,
        id: uuid::Uuid,
    ) -> Result<Option<(CalibrationAttachment, Vec<u8>)>, StoreError> {
        let mut sql = Sql::new("SELECT ");
        sql.push(ATTACHMENT_COLUMNS).push(", data FROM calibration_attachment WHERE id = ").bind(id.to_string());
        match self.all(sql).await?.first() {
            None => Ok(None),
            Some(r) => Ok(Some((attachment(r)?, r.try_get::<Vec<u8>, _>("data").map_err(unavailable)?))),
        }
    }

    async fn calibration_cycles(&self, park: ParkId) -> Result<Vec<CycleRecord>, StoreError> {
        let mut sql = Sql::new("SELECT ");
        sql.push(CYCLE_COLUMNS).push(" FROM calibration_cycle WHERE park_id = ").bind(park.to_string());
        sql.push(" ORDER BY class, version DESC");
        self.all(sql).await?.iter().map(cycle).collect()
    }

    async fn calibration_notices(&self, assets: &[AssetId]) -> Result<Vec<NoticeRecord>, StoreError> {
        let ids: Vec<String> = assets.iter().collect::<BTreeSet<_>>().into_iter().map(ToString::to_string).collect();
        let mut out = Vec::new();
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let mut sql = Sql::new(
                "SELECT park_id, asset_id, kind, due_key, recipients, created_at FROM calibration_notice WHERE asset_id IN (",
            );
            sql.bind_list(chunk.iter().cloned());
            sql.push(")");
            for row in self.all(sql).await? {
                out.push(notice(&row)?);
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl CalibrationWrites for DbTx {
    async fn insert_calibration(&mut self, r: &CalibrationRecord) -> Result<(), StoreError> {
        let mut sql = Sql::new(
            "INSERT INTO calibration_record (id, park_id, asset_id, class, version, root_id, corrects_id, \
             correction_reason, method, standard_name, standard_certificate, standard_valid_until, certificate_no, \
             performer, performer_org_id, performed_on, conclusion, points, cycle, computed_due, next_due, \
             next_due_reason, task_id, note, created_by, created_at) VALUES (",
        );
        sql.bind(r.id.to_string()).push(", ").bind(r.park_id.to_string()).push(", ").bind(r.asset_id.to_string());
        sql.push(", ").bind(r.class.clone()).push(", ").bind(r.version).push(", ").bind(r.root_id.to_string());
        sql.push(", ").bind(r.corrects_id.map(|c| c.to_string())).push(", ").bind(r.correction_reason.clone());
        sql.push(", ").bind(r.method.code().to_owned()).push(", ").bind(r.standard_name.clone());
        sql.push(", ").bind(r.standard_certificate.clone()).push(", ").bind(r.standard_valid_until.map(date_text));
        sql.push(", ").bind(r.certificate_no.clone()).push(", ").bind(r.performer.clone());
        sql.push(", ").bind(r.performer_org_id.map(|o| o.to_string())).push(", ").bind(date_text(r.performed_on));
        sql.push(", ").bind(r.conclusion.code().to_owned()).push(", ").bind(points_json(&r.points));
        sql.push(", ")
            .bind(r.cycle.code())
            .push(", ")
            .bind(date_text(r.computed_due))
            .push(", ")
            .bind(date_text(r.next_due));
        sql.push(", ").bind(r.next_due_reason.clone()).push(", ").bind(r.task_id.map(|t| t.to_string()));
        sql.push(", ").bind(r.note.clone()).push(", ").bind(r.created_by.clone());
        sql.push(", ").bind(r.created_at.as_millis()).push(")");
        self.exec(sql).await.map(|_| ())
    }

    async fn put_calibration_status(&mut self, s: &CalibrationStatus) -> Result<(), StoreError> {
        let mut sql = Sql::new("INSERT INTO calibration_status (");
        sql.push(STATUS_COLUMNS).push(") VALUES (").bind(s.asset_id.to_string()).push(", ");
        sql.bind(s.park_id.to_string()).push(", ").bind(s.record_id.to_string()).push(", ");
        sql.bind(date_text(s.performed_on)).push(", ").bind(s.conclusion.code().to_owned()).push(", ");
        sql.bind(date_text(s.next_due)).push(", ").bind(s.updated_at.as_millis()).push(
            ") ON CONFLICT (asset_id) DO UPDATE SET park_id = excluded.park_id, record_id = excluded.record_id, \
             performed_on = excluded.performed_on, conclusion = excluded.conclusion, next_due = excluded.next_due, \
             updated_at = excluded.updated_at",
        );
        self.exec(sql).await.map(|_| ())
    }

    async fn insert_calibration_attachment(
        &mut self,
        a: &CalibrationAttachment,
        data: &[u8],
    ) -> Result<(), StoreError> {
        let mut sql = Sql::new("INSERT INTO calibration_attachment (");
        sql.push(ATTACHMENT_COLUMNS).push(", data) VALUES (").bind(a.id.to_string()).push(", ");
        sql.bind(a.record_id.to_string()).push(", ").bind(a.name.clone()).push(", ").bind(a.content_type.clone());
        sql.push(", ").bind(a.size).push(", ").bind(a.sha256.clone()).push(", ").bind(a.created_by.clone());
        sql.push(", ").bind(a.created_at.as_millis()).push(", ").bind(data.to_vec()).push(")");
        self.exec(sql).await.map(|_| ())
    }

    async fn insert_calibration_cycle(&mut self, c: &CycleRecord) -> Result<(), StoreError> {
        let mut sql = Sql::new("INSERT INTO calibration_cycle (");
        sql.push(CYCLE_COLUMNS).push(") VALUES (").bind(c.park_id.to_string()).push(", ").bind(c.class.clone());
        sql.push(", ").bind(c.version).push(", ").bind(i64::from(c.enabled)).push(", ").bind(c.cycle_months);
        sql.push(", ").bind(c.method.code().to_owned()).push(", ").bind(c.basis.clone()).push(", ");
        sql.bind(c.note.clone()).push(", ").bind(c.created_by.clone()).push(", ").bind(c.created_at.as_millis());
        sql.push(")");
        self.exec(sql).await.map(|_| ())
    }

    async fn insert_calibration_notice(&mut self, n: &NoticeRecord) -> Result<bool, StoreError> {
        let mut sql = Sql::new(
            "INSERT INTO calibration_notice (park_id, asset_id, kind, due_key, recipients, created_at) VALUES (",
        );
        sql.bind(n.park_id.to_string()).push(", ").bind(n.asset_id.to_string()).push(", ");
        sql.bind(n.kind.code().to_owned()).push(", ").bind(n.due_key.clone()).push(", ").bind(n.recipients);
        sql.push(", ").bind(n.created_at.as_millis());
        sql.push(") ON CONFLICT (asset_id, kind, due_key) DO NOTHING");
        Ok(self.exec(sql).await? > 0)
    }
}
