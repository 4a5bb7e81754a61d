//! The schedule half of the store: inspection standard versions, plans, tasks with their
//! timeline, result records with their items, and photos (migration `0006_schedules`).
//!
//! Dates of the working calendar are stored as `YYYY-MM-DD` text, which compares and sorts as
//! a date on both engines. Tasks are inserted in multi-row statements that skip a plan, CI
//! and due date already present, so generation can run as often as wanted.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::NaiveDate;
use parkops_app::StoreError;
use parkops_app::ports::schedule::{
    DayCount, Lateness, PhotoRecord, PlanRecord, PlanTarget, ResultItemRecord, ResultRecord, ScheduleReads,
    ScheduleWrites, StandardRecord, TaskEventRecord, TaskFilter, TaskRecord,
};
use parkops_app::ports::{Page, PageRequest};
use parkops_domain::asset::{AssetId, LocationId};
use parkops_domain::id::{OrgId, ParkId, UserId};
use parkops_domain::recurrence::{Every, Recurrence, Shift};
use parkops_domain::schedule::{Finding, PhotoId, PlanId, PlanKind, ResultId, StandardId, TaskId, TaskState, Verdict};
use parkops_domain::time::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::read::page_clause;
use crate::rows::{bad, code, date, date_text, flag, id, int, opt_date, opt_id, opt_int, text, time};
use crate::tx::DbTx;
use crate::{Db, Sql, unavailable};

const STANDARD_COLUMNS: &str = "id, park_id, code, version, class, name, items, change_note, created_by, created_at";
const PLAN_COLUMNS: &str = "id, park_id, kind, name, standard_code, target_class, target_zone_id, \
    target_enterprise_id, target_assets, anchor, every_unit, every_count, shift, assignee_org_id, assignee_user_id, \
    owner_user_id, lead_days, grace_days, escalate_after_days, paused, effective_from, generated_until, revision, \
    created_by, created_at, updated_by, updated_at";
const TASK_COLUMNS: &str = "id, park_id, plan_id, kind, standard_id, asset_id, due_date, overdue_after, \
    escalate_after, assignee_org_id, assignee_user_id, state, overdue_at, escalated_at, started_at, closed_at, \
    closed_by, record_ref, created_at, updated_at";
const TASK_COLUMN_COUNT: usize = 20;
const RESULT_COLUMNS: &str = "id, park_id, task_id, version, corrects_id, reason, standard_id, asset_id, passed, \
    note, ticket_id, recorded_by, recorded_at";
const ITEM_COLUMNS: &str = "result_id, position, code, value, verdict, finding, note, photo_id";
const PHOTO_COLUMNS: &str = "id, park_id, task_id, item_code, name, content_type, size_bytes, sha256, created_by, \
    created_at";

/// Bound parameters per multi-row statement (as for the asset import).
const PARAMS_PER_STATEMENT: usize = 480;
/// Values per `IN (…)` list.
const VALUES_PER_QUERY: usize = 400;

fn opt_time(row: &AnyRow, c: &'static str) -> Result<Option<Timestamp>, StoreError> {
    Ok(opt_int(row, c)?.map(Timestamp::from_millis))
}

fn days(row: &AnyRow, c: &'static str) -> Result<u32, StoreError> {
    u32::try_from(int(row, c)?).map_err(|_| bad(c))
}

fn standard(row: &AnyRow) -> Result<StandardRecord, StoreError> {
    Ok(StandardRecord {
        id: id(row, "id", StandardId::parse)?,
        park_id: id(row, "park_id", ParkId::parse)?,
        code: text(row, "code")?,
        version: int(row, "version")?,
        class: text(row, "class")?,
        name: text(row, "name")?,
        items: parkops_app::schedule::items_from_json(&text(row, "items")?).ok_or_else(|| bad("items"))?,
        change_note: text(row, "change_note")?,
        created_by: text(row, "created_by")?,
        created_at: time(row, "created_at")?,
    })
}

fn plan(row: &AnyRow) -> Result<PlanRecord, StoreError> {
    let assets: Vec<String> = serde_json::from_str(&text(row, "target_assets")?).map_err(|_| bad("target_assets"))?;
    let assets =
        assets.iter().map(|a| AssetId::parse(a).map_err(|_| bad("target_assets"))).collect::<Result<_, _>>()?;
    let count = days(row, "every_count")?;
    let every = Every::parse(&text(row, "every_unit")?, count).ok_or_else(|| bad("every_unit"))?;
    let shift = code(row, "shift", Shift::parse)?;
    let recurrence = Recurrence::new(date(row, "anchor")?, every, shift).map_err(|_| bad("every_count"))?;
    Ok(PlanRecord {
        id: id(row, "id", PlanId::parse)?,
        park_id: id(row, "park_id", ParkId::parse)?,
        kind: code(row, "kind", PlanKind::parse)?,
        name: text(row, "name")?,
        standard_code: text(row, "standard_code")?,
        target: PlanTarget {
            class: text(row, "target_class")?,
            zone: opt_id(row, "target_zone_id", LocationId::parse)?,
            enterprise: opt_id(row, "target_enterprise_id", OrgId::parse)?,
            assets,
        },
        recurrence,
        assignee_org_id: opt_id(row, "assignee_org_id", OrgId::parse)?,
        assignee_user_id: opt_id(row, "assignee_user_id", UserId::parse)?,
        owner_user_id: opt_id(row, "owner_user_id", UserId::parse)?,
        lead_days: days(row, "lead_days")?,
        grace_days: days(row, "grace_days")?,
        escalate_after_days: opt_int(row, "escalate_after_days")?
            .map(|n| u32::try_from(n).map_err(|_| bad("escalate_after_days")))
            .transpose()?,
        paused: flag(row, "paused")?,
        effective_from: date(row, "effective_from")?,
        generated_until: opt_date(row, "generated_until")?,
        revision: int(row, "revision")?,
        created_by: text(row, "created_by")?,
        created_at: time(row, "created_at")?,
        updated_by: text(row, "updated_by")?,
        updated_at: time(row, "updated_at")?,
    })
}

fn task(row: &AnyRow) -> Result<TaskRecord, StoreError> {
    Ok(TaskRecord {
        id: id(row, "id", TaskId::parse)?,
        park_id: id(row, "park_id", ParkId::parse)?,
        plan_id: id(row, "plan_id", PlanId::parse)?,
        kind: code(row, "kind", PlanKind::parse)?,
        standard_id: opt_id(row, "standard_id", StandardId::parse)?,
        asset_id: id(row, "asset_id", AssetId::parse)?,
        due_date: date(row, "due_date")?,
        overdue_after: time(row, "overdue_after")?,
        escalate_after: opt_time(row, "escalate_after")?,
        assignee_org_id: opt_id(row, "assignee_org_id", OrgId::parse)?,
        assignee_user_id: opt_id(row, "assignee_user_id", UserId::parse)?,
        state: code(row, "state", TaskState::parse)?,
        overdue_at: opt_time(row, "overdue_at")?,
        escalated_at: opt_time(row, "escalated_at")?,
        started_at: opt_time(row, "started_at")?,
        closed_at: opt_time(row, "closed_at")?,
        closed_by: text(row, "closed_by")?,
        record_ref: text(row, "record_ref")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

fn event(row: &AnyRow) -> Result<TaskEventRecord, StoreError> {
    Ok(TaskEventRecord {
        task_id: id(row, "task_id", TaskId::parse)?,
        seq: int(row, "seq")?,
        at: time(row, "at")?,
        actor: text(row, "actor")?,
        kind: text(row, "kind")?,
        note: text(row, "note")?,
    })
}

fn result(row: &AnyRow) -> Result<ResultRecord, StoreError> {
    Ok(ResultRecord {
        id: id(row, "id", ResultId::parse)?,
        park_id: id(row, "park_id", ParkId::parse)?,
        task_id: id(row, "task_id", TaskId::parse)?,
        version: int(row, "version")?,
        corrects: opt_id(row, "corrects_id", ResultId::parse)?,
        reason: text(row, "reason")?,
        standard_id: id(row, "standard_id", StandardId::parse)?,
        asset_id: id(row, "asset_id", AssetId::parse)?,
        passed: flag(row, "passed")?,
        note: text(row, "note")?,
        ticket_id: opt_id(row, "ticket_id", uuid::Uuid::parse_str)?,
        recorded_by: text(row, "recorded_by")?,
        recorded_at: time(row, "recorded_at")?,
        items: Vec::new(),
    })
}

fn item(row: &AnyRow) -> Result<(ResultId, ResultItemRecord), StoreError> {
    let finding = text(row, "finding")?;
    Ok((
        id(row, "result_id", ResultId::parse)?,
        ResultItemRecord {
            code: text(row, "code")?,
            value: text(row, "value")?,
            verdict: code(row, "verdict", Verdict::parse)?,
            finding: if finding.is_empty() {
                None
            } else {
                Some(Finding::parse(&finding).ok_or_else(|| bad("finding"))?)
            },
            note: text(row, "note")?,
            photo_id: opt_id(row, "photo_id", PhotoId::parse)?,
        },
    ))
}

fn photo(row: &AnyRow) -> Result<PhotoRecord, StoreError> {
    Ok(PhotoRecord {
        id: id(row, "id", PhotoId::parse)?,
        park_id: id(row, "park_id", ParkId::parse)?,
        task_id: id(row, "task_id", TaskId::parse)?,
        item_code: text(row, "item_code")?,
        name: text(row, "name")?,
        content_type: text(row, "content_type")?,
        size: int(row, "size_bytes")?,
        sha256: text(row, "sha256")?,
        created_by: text(row, "created_by")?,
        created_at: time(row, "created_at")?,
    })
}

fn task_where(sql: &mut Sql, f: &TaskFilter) {
    sql.push(" WHERE 1 = 1");
    if let Some(p) = f.park_id {
        sql.push(" AND t.park_id = ").bind(p.to_string());
    }
    if let Some(p) = f.plan_id {
        sql.push(" AND t.plan_id = ").bind(p.to_string());
    }
    if let Some(k) = f.kind {
        sql.push(" AND t.kind = ").bind(k.code().to_owned());
    }
    if !f.states.is_empty() {
        sql.push(" AND t.state IN (");
        sql.bind_list(f.states.iter().map(|s| s.code().to_owned()));
        sql.push(")");
    }
    match f.lateness {
        Some(Lateness::Overdue) => {
            sql.push(" AND t.overdue_at IS NOT NULL AND t.state IN (");
            sql.bind(TaskState::Open.code().to_owned()).push(", ").bind(TaskState::InProgress.code().to_owned());
            sql.push(")");
        }
        Some(Lateness::Escalated) => {
            sql.push(" AND t.escalated_at IS NOT NULL AND t.state IN (");
            sql.bind(TaskState::Open.code().to_owned()).push(", ").bind(TaskState::InProgress.code().to_owned());
            sql.push(")");
        }
        None => {}
    }
    if let Some(d) = f.due_from {
        sql.push(" AND t.due_date >= ").bind(date_text(d));
    }
    if let Some(d) = f.due_until {
        sql.push(" AND t.due_date <= ").bind(date_text(d));
    }
    if let Some(u) = f.assignee_user {
        sql.push(" AND t.assignee_user_id = ").bind(u.to_string());
    }
    if let Some(o) = f.assignee_org {
        sql.push(" AND t.assignee_org_id = ").bind(o.to_string());
    }
    if let Some(a) = f.asset_id {
        sql.push(" AND t.asset_id = ").bind(a.to_string());
    }
    if let Some(o) = f.org_scope {
        // Assigned to the organisation, or about a CI it owns or maintains.
        sql.push(" AND (t.assignee_org_id = ").bind(o.to_string());
        sql.push(" OR EXISTS (SELECT 1 FROM asset a WHERE a.id = t.asset_id AND (a.enterprise_org_id = ");
        sql.bind(o.to_string()).push(" OR a.maintainer_org_id = ").bind(o.to_string()).push(")))");
    }
}

impl Db {
    async fn items_of(&self, results: &mut [ResultRecord]) -> Result<(), StoreError> {
        if results.is_empty() {
            return Ok(());
        }
        let mut by_result: BTreeMap<ResultId, Vec<ResultItemRecord>> = BTreeMap::new();
        for chunk in results.chunks(VALUES_PER_QUERY) {
            let mut sql = Sql::select(ITEM_COLUMNS, " FROM inspection_result_item WHERE result_id IN (");
            sql.bind_list(chunk.iter().map(|r| r.id.to_string()));
            sql.push(") ORDER BY result_id, position");
            for row in self.all(sql).await? {
                let (rid, item) = item(&row)?;
                by_result.entry(rid).or_default().push(item);
            }
        }
        for r in results {
            r.items = by_result.remove(&r.id).unwrap_or_default();
        }
        Ok(())
    }
}

#[async_trait]
impl ScheduleReads for Db {
    async fn standards(&self, park: ParkId) -> Result<Vec<StandardRecord>, StoreError> {
        let mut sql = Sql::select(STANDARD_COLUMNS, " FROM inspection_standard WHERE park_id = ");
        sql.bind(park.to_string()).push(" ORDER BY code, version DESC");
        self.all(sql).await?.iter().map(standard).collect()
    }

    async fn standard(&self, sid: StandardId) -> Result<Option<StandardRecord>, StoreError> {
        let mut sql = Sql::select(STANDARD_COLUMNS, " FROM inspection_standard WHERE id = ");
        sql.bind(sid.to_string());
        self.all(sql).await?.first().map(standard).transpose()
    }

    async fn plans(&self, park: ParkId) -> Result<Vec<PlanRecord>, StoreError> {
        let mut sql = Sql::select(PLAN_COLUMNS, " FROM schedule_plan WHERE park_id = ");
        sql.bind(park.to_string()).push(" ORDER BY name, id");
        self.all(sql).await?.iter().map(plan).collect()
    }

    async fn active_plans(&self) -> Result<Vec<PlanRecord>, StoreError> {
        let sql = Sql::select(PLAN_COLUMNS, " FROM schedule_plan WHERE paused = 0 ORDER BY park_id, name, id");
        self.all(sql).await?.iter().map(plan).collect()
    }

    async fn plan(&self, pid: PlanId) -> Result<Option<PlanRecord>, StoreError> {
        let mut sql = Sql::select(PLAN_COLUMNS, " FROM schedule_plan WHERE id = ");
        sql.bind(pid.to_string());
        self.all(sql).await?.first().map(plan).transpose()
    }

    async fn tasks(&self, filter: &TaskFilter, page: PageRequest) -> Result<Page<TaskRecord>, StoreError> {
        let mut count = Sql::new("SELECT COUNT(*) AS n FROM schedule_task t");
        task_where(&mut count, filter);
        let total = self.count(count).await?;
        let mut sql = Sql::new("SELECT ");
        sql.push(TASK_COLUMNS).push(" FROM schedule_task t");
        task_where(&mut sql, filter);
        sql.push(" ORDER BY t.due_date, t.id");
        page_clause(&mut sql, page);
        let items = self.all(sql).await?.iter().map(task).collect::<Result<_, _>>()?;
        Ok(Page { items, total, request: page })
    }

    async fn task(&self, tid: TaskId) -> Result<Option<TaskRecord>, StoreError> {
        let mut sql = Sql::select(TASK_COLUMNS, " FROM schedule_task WHERE id = ");
        sql.bind(tid.to_string());
        self.all(sql).await?.first().map(task).transpose()
    }

    async fn task_keys(&self, pid: PlanId, dates: &[NaiveDate]) -> Result<Vec<(AssetId, NaiveDate)>, StoreError> {
        let mut out = Vec::new();
        for chunk in dates.chunks(VALUES_PER_QUERY) {
            let mut sql = Sql::new("SELECT asset_id, due_date FROM schedule_task WHERE plan_id = ");
            sql.bind(pid.to_string()).push(" AND due_date IN (");
            sql.bind_list(chunk.iter().map(|d| date_text(*d)));
            sql.push(")");
            for row in self.all(sql).await? {
                out.push((id(&row, "asset_id", AssetId::parse)?, date(&row, "due_date")?));
            }
        }
        Ok(out)
    }

    async fn tasks_to_watch(&self, now: Timestamp, limit: i64) -> Result<Vec<TaskRecord>, StoreError> {
        let mut sql = Sql::select(TASK_COLUMNS, " FROM schedule_task WHERE state IN (");
        sql.bind(TaskState::Open.code().to_owned()).push(", ").bind(TaskState::InProgress.code().to_owned());
        sql.push(") AND overdue_after <= ").bind(now.as_millis());
        sql.push(" AND (overdue_at IS NULL OR (escalated_at IS NULL AND escalate_after <= ").bind(now.as_millis());
        sql.push(")) ORDER BY due_date, id LIMIT ").bind(limit);
        self.all(sql).await?.iter().map(task).collect()
    }

    async fn task_day_counts(&self, filter: &TaskFilter) -> Result<Vec<DayCount>, StoreError> {
        let mut sql = Sql::new("SELECT t.due_date AS due_date, t.plan_id AS plan_id, COUNT(*) AS total, ");
        sql.push("CAST(SUM(CASE WHEN t.state = ").bind(TaskState::Done.code().to_owned());
        sql.push(
            " THEN 1 ELSE 0 END) AS BIGINT) AS done, CAST(SUM(CASE WHEN t.overdue_at IS NOT NULL AND t.state IN (",
        );
        sql.bind(TaskState::Open.code().to_owned()).push(", ").bind(TaskState::InProgress.code().to_owned());
        sql.push(") THEN 1 ELSE 0 END) AS BIGINT) AS overdue FROM schedule_task t");
        task_where(&mut sql, filter);
        sql.push(" GROUP BY t.due_date, t.plan_id ORDER BY t.due_date, t.plan_id");
        self.all(sql)
            .await?
            .iter()
            .map(|r| {
                Ok(DayCount {
                    date: date(r, "due_date")?,
                    plan_id: id(r, "plan_id", PlanId::parse)?,
                    total: int(r, "total")?,
                    done: int(r, "done")?,
                    overdue: int(r, "overdue")?,
                })
            })
            .collect()
    }

    async fn task_events(&self, tid: TaskId) -> Result<Vec<TaskEventRecord>, StoreError> {
        let mut sql = Sql::select("task_id, seq, at, actor, kind, note", " FROM schedule_task_event WHERE task_id = ");
        sql.bind(tid.to_string()).push(" ORDER BY seq");
        self.all(sql).await?.iter().map(event).collect()
    }

    async fn results(&self, tid: TaskId) -> Result<Vec<ResultRecord>, StoreError> {
        let mut sql = Sql::select(RESULT_COLUMNS, " FROM inspection_result WHERE task_id = ");
        sql.bind(tid.to_string()).push(" ORDER BY version");
        let mut out = self.all(sql).await?.iter().map(result).collect::<Result<Vec<_>, _>>()?;
        self.items_of(&mut out).await?;
        Ok(out)
    }

    async fn result(&self, rid: ResultId) -> Result<Option<ResultRecord>, StoreError> {
        let mut sql = Sql::select(RESULT_COLUMNS, " FROM inspection_result WHERE id = ");
        sql.bind(rid.to_string());
        let mut out = self.all(sql).await?.iter().map(result).collect::<Result<Vec<_>, _>>()?;
        self.items_of(&mut out).await?;
        Ok(out.pop())
    }

    async fn photos(&self, tid: TaskId) -> Result<Vec<PhotoRecord>, StoreError> {
        let mut sql = Sql::select(PHOTO_COLUMNS, " FROM inspection_photo WHERE task_id = ");
        sql.bind(tid.to_string()).push(" ORDER BY created_at, id");
        self.all(sql).await?.iter().map(photo).collect()
    }

    async fn photo(&self, pid: PhotoId) -> Result<Option<(PhotoRecord, Vec<u8>)>, StoreError> {
        let mut sql = Sql::select(PHOTO_COLUMNS, ", data FROM inspection_photo WHERE id = ");
        sql.bind(pid.to_string());
        match self.all(sql).await?.first() {
            None => Ok(None),
            Some(r) => Ok(Some((photo(r)?, r.try_get::<Vec<u8>, _>("data").map_err(unavailable)?))),
        }
    }
}

/// Binds a plan's mutable values in the order of `PLAN_MUTABLE`.
fn bind_plan_fields(sql: &mut Sql, p: &PlanRecord) -> Result<(), StoreError> {
    let assets: Vec<String> = p.target.assets.iter().map(ToString::to_string).collect();
    let assets = serde_json::to_string(&assets).map_err(unavailable)?;
    let r = &p.recurrence;
    sql.bind(p.kind.code().to_owned()).push(", ").bind(p.name.clone()).push(", ").bind(p.standard_code.clone());
    sql.push(", ").bind(p.target.class.clone()).push(", ").bind(p.target.zone.map(|z| z.to_string()));
    sql.push(", ").bind(p.target.enterprise.map(|o| o.to_string())).push(", ").bind(assets).push(", ");
    sql.bind(date_text(r.anchor())).push(", ").bind(r.every().unit_code().to_owned()).push(", ");
    sql.bind(i64::from(r.every().count())).push(", ").bind(r.shift().code().to_owned()).push(", ");
    sql.bind(p.assignee_org_id.map(|o| o.to_string())).push(", ").bind(p.assignee_user_id.map(|u| u.to_string()));
    sql.push(", ").bind(p.owner_user_id.map(|u| u.to_string())).push(", ").bind(i64::from(p.lead_days));
    sql.push(", ").bind(i64::from(p.grace_days)).push(", ").bind(p.escalate_after_days.map(i64::from));
    sql.push(", ").bind(i64::from(p.paused)).push(", ").bind(date_text(p.effective_from)).push(", ");
    sql.bind(p.generated_until.map(date_text)).push(", ").bind(p.revision).push(", ").bind(p.updated_by.clone());
    sql.push(", ").bind(p.updated_at.as_millis());
    Ok(())
}

const PLAN_MUTABLE: &str = "kind, name, standard_code, target_class, target_zone_id, target_enterprise_id, \
    target_assets, anchor, every_unit, every_count, shift, assignee_org_id, assignee_user_id, owner_user_id, \
    lead_days, grace_days, escalate_after_days, paused, effective_from, generated_until, revision, updated_by, \
    updated_at";

fn bind_task(sql: &mut Sql, t: &TaskRecord) {
    sql.push("(").bind(t.id.to_string()).push(", ").bind(t.park_id.to_string()).push(", ");
    sql.bind(t.plan_id.to_string()).push(", ").bind(t.kind.code().to_owned()).push(", ");
    sql.bind(t.standard_id.map(|s| s.to_string())).push(", ").bind(t.asset_id.to_string()).push(", ");
    sql.bind(date_text(t.due_date)).push(", ").bind(t.overdue_after.as_millis()).push(", ");
    sql.bind(t.escalate_after.map(Timestamp::as_millis)).push(", ");
    bind_task_state(sql, t);
    sql.push(", ").bind(t.created_at.as_millis()).push(", ").bind(t.updated_at.as_millis()).push(")");
}

/// The columns from `assignee_org_id` to `record_ref`, in the order of `TASK_COLUMNS`.
fn bind_task_state(sql: &mut Sql, t: &TaskRecord) {
    sql.bind(t.assignee_org_id.map(|o| o.to_string())).push(", ").bind(t.assignee_user_id.map(|u| u.to_string()));
    sql.push(", ").bind(t.state.code().to_owned()).push(", ").bind(t.overdue_at.map(Timestamp::as_millis));
    sql.push(", ").bind(t.escalated_at.map(Timestamp::as_millis)).push(", ");
    sql.bind(t.started_at.map(Timestamp::as_millis)).push(", ").bind(t.closed_at.map(Timestamp::as_millis));
    sql.push(", ").bind(t.closed_by.clone()).push(", ").bind(t.record_ref.clone());
}

impl DbTx {
    async fn next_seq(&mut self, task: TaskId) -> Result<i64, StoreError> {
        let mut sql = Sql::new("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM schedule_task_event WHERE task_id = ");
        sql.bind(task.to_string());
        self.fetch_int(sql, "n").await
    }
}

#[async_trait]
impl ScheduleWrites for DbTx {
    async fn insert_standard(&mut self, s: &StandardRecord) -> Result<(), StoreError> {
        let mut sql = Sql::new("INSERT INTO inspection_standard (");
        sql.push(STANDARD_COLUMNS).push(") VALUES (").bind(s.id.to_string()).push(", ").bind(s.park_id.to_string());
        sql.push(", ").bind(s.code.clone()).push(", ").bind(s.version).push(", ").bind(s.class.clone()).push(", ");
        sql.bind(s.name.clone()).push(", ").bind(parkops_app::schedule::items_to_json(&s.items)).push(", ");
        sql.bind(s.change_note.clone()).push(", ").bind(s.created_by.clone()).push(", ");
        sql.bind(s.created_at.as_millis()).push(")");
        self.exec(sql).await.map(|_| ())
    }

    async fn insert_plan(&mut self, p: &PlanRecord) -> Result<(), StoreError> {
        let mut sql = Sql::new("INSERT INTO schedule_plan (id, park_id, created_by, created_at, ");
        sql.push(PLAN_MUTABLE).push(") VALUES (").bind(p.id.to_string()).push(", ").bind(p.park_id.to_string());
        sql.push(", ").bind(p.created_by.clone()).push(", ").bind(p.created_at.as_millis()).push(", ");
        bind_plan_fields(&mut sql, p)?;
        sql.push(")");
        self.exec(sql).await.map(|_| ())
    }

    async fn update_plan(&mut self, p: &PlanRecord) -> Result<(), StoreError> {
        // A row-value assignment (PostgreSQL; SQLite since 3.15), as for CIs.
        let mut sql = Sql::new("UPDATE schedule_plan SET (");
        sql.push(PLAN_MUTABLE).push(") = (");
        bind_plan_fields(&mut sql, p)?;
        sql.push(") WHERE id = ").bind(p.id.to_string()).push(" AND park_id = ").bind(p.park_id.to_string());
        self.exec_one(sql).await
    }

    async fn insert_tasks(&mut self, batch: &[TaskRecord]) -> Result<u64, StoreError> {
        let mut added = 0;
        for rows in batch.chunks(PARAMS_PER_STATEMENT / TASK_COLUMN_COUNT) {
            let mut sql = Sql::new("INSERT INTO schedule_task (");
            sql.push(TASK_COLUMNS).push(") VALUES ");
            for (i, t) in rows.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                bind_task(&mut sql, t);
            }
            sql.push(" ON CONFLICT (plan_id, asset_id, due_date) DO NOTHING");
            added += self.exec(sql).await?;
        }
        Ok(added)
    }

    async fn update_task(&mut self, t: &TaskRecord) -> Result<(), StoreError> {
        let mut sql = Sql::new(
            "UPDATE schedule_task SET (assignee_org_id, assignee_user_id, state, overdue_at, escalated_at, \
             started_at, closed_at, closed_by, record_ref, updated_at) = (",
        );
        bind_task_state(&mut sql, t);
        sql.push(", ").bind(t.updated_at.as_millis()).push(") WHERE id = ").bind(t.id.to_string());
        self.exec_one(sql).await
    }

    async fn append_task_event(&mut self, e: &TaskEventRecord) -> Result<i64, StoreError> {
        let seq = self.next_seq(e.task_id).await?;
        let mut sql = Sql::new("INSERT INTO schedule_task_event (task_id, seq, at, actor, kind, note) VALUES (");
        sql.bind(e.task_id.to_string()).push(", ").bind(seq).push(", ").bind(e.at.as_millis()).push(", ");
        sql.bind(e.actor.clone()).push(", ").bind(e.kind.clone()).push(", ").bind(e.note.clone()).push(")");
        self.exec(sql).await?;
        Ok(seq)
    }

    async fn insert_result(&mut self, r: &ResultRecord) -> Result<(), StoreError> {
        let mut sql = Sql::new("INSERT INTO inspection_result (");
        sql.push(RESULT_COLUMNS).push(") VALUES (").bind(r.id.to_string()).push(", ").bind(r.park_id.to_string());
        sql.push(", ").bind(r.task_id.to_string()).push(", ").bind(r.version).push(", ");
        sql.bind(r.corrects.map(|c| c.to_string())).push(", ").bind(r.reason.clone()).push(", ");
        sql.bind(r.standard_id.to_string()).push(", ").bind(r.asset_id.to_string()).push(", ");
        sql.bind(i64::from(r.passed)).push(", ").bind(r.note.clone()).push(", ");
        sql.bind(r.ticket_id.map(|t| t.to_string())).push(", ").bind(r.recorded_by.clone()).push(", ");
        sql.bind(r.recorded_at.as_millis()).push(")");
        self.exec(sql).await?;
        for (n, rows) in r.items.chunks(PARAMS_PER_STATEMENT / 8).enumerate() {
            let mut sql = Sql::new("INSERT INTO inspection_result_item (");
            sql.push(ITEM_COLUMNS).push(") VALUES ");
            for (i, it) in rows.iter().enumerate() {
                let position = i64::try_from(n * (PARAMS_PER_STATEMENT / 8) + i + 1).unwrap_or(i64::MAX);
                if i > 0 {
                    sql.push(", ");
                }
                sql.push("(").bind(r.id.to_string()).push(", ").bind(position).push(", ").bind(it.code.clone());
                sql.push(", ").bind(it.value.clone()).push(", ").bind(it.verdict.code().to_owned()).push(", ");
                sql.bind(it.finding.map_or("", Finding::code).to_owned()).push(", ").bind(it.note.clone());
                sql.push(", ").bind(it.photo_id.map(|p| p.to_string())).push(")");
            }
            self.exec(sql).await?;
        }
        Ok(())
    }

    async fn insert_photo(&mut self, p: &PhotoRecord, data: &[u8]) -> Result<(), StoreError> {
        let mut sql = Sql::new("INSERT INTO inspection_photo (");
        sql.push(PHOTO_COLUMNS).push(", data) VALUES (").bind(p.id.to_string()).push(", ");
        sql.bind(p.park_id.to_string()).push(", ").bind(p.task_id.to_string()).push(", ");
        sql.bind(p.item_code.clone()).push(", ").bind(p.name.clone()).push(", ").bind(p.content_type.clone());
        sql.push(", ").bind(p.size).push(", ").bind(p.sha256.clone()).push(", ").bind(p.created_by.clone());
        sql.push(", ").bind(p.created_at.as_millis()).push(", ").bind(data.to_vec()).push(")");
        self.exec(sql).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_lists_match_their_counts() {
        assert_eq!(TASK_COLUMNS.split(',').count(), TASK_COLUMN_COUNT);
        assert_eq!(PLAN_COLUMNS.split(',').count(), PLAN_MUTABLE.split(',').count() + 4);
        assert_eq!(ITEM_COLUMNS.split(',').count(), 8);
        const { assert!(PARAMS_PER_STATEMENT / TASK_COLUMN_COUNT >= 16) };
    }
}
