//! Tasks: the list and calendar of due work, a task's page, its work (start, assign,
//! cancel), results item by item with corrections as new versions and a desk ticket for an
//! out-of-range result, the watcher that marks late tasks overdue and escalates them once
//! each, and the completion of calibration tasks by the calibration register.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use parkops_domain::access::{Capability, Post, Scope};
use parkops_domain::asset::AssetId;
use parkops_domain::audit::Outcome;
use parkops_domain::id::{OrgId, UserId};
use parkops_domain::schedule::{
    self as domain, CheckItem, ItemKind, PhotoId, PlanId, PlanKind, ResultId, TaskAction, TaskId, TaskState, Verdict,
};
use parkops_domain::ticket::{HandlingMode, Level, SupportLine, TicketKind};
use parkops_domain::time::Timestamp;
use serde_json::json;

use super::{actor, can_on_task, plan_manager};
use crate::desk::TicketDraft;
use crate::ports::asset::AssetRecord;
use crate::ports::desk::{NotificationRecord, TicketRecord};
use crate::ports::schedule::{
    DayCount, Lateness, PhotoRecord, PlanRecord, ResultItemRecord, ResultRecord, StandardRecord, TaskEventRecord,
    TaskFilter, TaskRecord,
};
use crate::ports::{Page, PageRequest, Tx, UserFilter};
use crate::{App, AppError, Caller, FieldError};

/// Largest photo kept, in bytes.
pub const PHOTO_MAX: usize = 10 * 1024 * 1024;

/// The task list's query, as text from the page or the API.
#[derive(Debug, Clone, Default)]
pub struct TaskQuery {
    /// Plan id.
    pub plan: String,
    /// Kind code.
    pub kind: String,
    /// `pending` (open or in progress), a state code, `overdue` or `escalated`.
    pub status: String,
    /// Due from `YYYY-MM-DD`.
    pub from: String,
    /// Due until `YYYY-MM-DD` (inclusive).
    pub until: String,
    /// `me`, or a user id.
    pub assignee: String,
    /// CI id.
    pub asset: String,
}

/// One page of tasks with the CIs and plans they name.
#[derive(Debug, Clone)]
pub struct TaskList {
    /// The page.
    pub page: Page<TaskRecord>,
    /// The CIs of the page's tasks.
    pub assets: BTreeMap<AssetId, AssetRecord>,
    /// The park's plans.
    pub plans: BTreeMap<PlanId, PlanRecord>,
}

/// Due work of one month, per day and plan.
#[derive(Debug, Clone)]
pub struct CalendarMonth {
    /// The first day of the month.
    pub month: NaiveDate,
    /// Counts per due date and plan.
    pub days: Vec<DayCount>,
    /// The park's plans.
    pub plans: BTreeMap<PlanId, PlanRecord>,
}

/// A task with everything its page shows.
#[derive(Debug, Clone)]
pub struct TaskDetail {
    /// The task.
    pub task: TaskRecord,
    /// Its plan.
    pub plan: PlanRecord,
    /// The standard version it follows.
    pub standard: Option<StandardRecord>,
    /// The CI.
    pub asset: AssetRecord,
    /// Timeline.
    pub events: Vec<TaskEventRecord>,
    /// Result versions, oldest first.
    pub results: Vec<ResultRecord>,
    /// Photos.
    pub photos: Vec<PhotoRecord>,
    /// Whether the caller may record (or correct) its result.
    pub can_record: bool,
    /// Whether the caller may assign or cancel it.
    pub can_manage: bool,
}

/// A result with every version of its task, for the result page.
#[derive(Debug, Clone)]
pub struct ResultDetail {
    /// The version asked for.
    pub result: ResultRecord,
    /// The task, its plan, standard and CI, timeline and photos.
    pub task: TaskDetail,
}

/// A photo as uploaded.
#[derive(Debug, Clone, Default)]
pub struct PhotoUpload {
    /// File name.
    pub name: String,
    /// MIME type.
    pub content_type: String,
    /// Content.
    pub data: Vec<u8>,
}

/// A result as entered: values by item code, with notes and photos. For a correction, items
/// left out keep their value, note and photo of the version corrected.
#[derive(Debug, Clone, Default)]
pub struct ResultInput {
    /// Values by item code.
    pub values: BTreeMap<String, String>,
    /// Notes by item code.
    pub notes: BTreeMap<String, String>,
    /// Photos by item code.
    pub photos: BTreeMap<String, PhotoUpload>,
    /// Overall note.
    pub note: String,
    /// Why (corrections only; required there).
    pub reason: String,
}

/// What recording a result did.
#[derive(Debug, Clone)]
pub struct ResultOutcome {
    /// The new version.
    pub result: ResultRecord,
    /// The ticket it opened, for an out-of-range result.
    pub ticket: Option<TicketRecord>,
}

/// What a watcher run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WatchReport {
    /// Tasks newly marked overdue.
    pub overdue: u32,
    /// Tasks escalated.
    pub escalated: u32,
}

fn event(task: TaskId, caller: &Caller, kind: &str, note: &str, now: Timestamp) -> TaskEventRecord {
    TaskEventRecord {
        task_id: task,
        seq: 0,
        at: now,
        actor: actor(caller),
        kind: kind.to_owned(),
        note: note.to_owned(),
    }
}

/// A refused task action as the message people see: already started, or already closed.
fn transition_error(e: domain::TaskError) -> AppError {
    let key = match (e.action, e.state) {
        (TaskAction::Start, TaskState::InProgress) => "err-task-started",
        (TaskAction::Start | TaskAction::Complete | TaskAction::Cancel, _) => "err-task-closed",
    };
    AppError::Conflict(key.to_owned())
}

fn task_detail_json(t: &TaskRecord) -> serde_json::Value {
    json!({ "plan": t.plan_id.to_string(), "asset": t.asset_id.to_string(), "due": t.due_date.to_string(), "state": t.state.code() })
}

/// The range of an item as text for a ticket (`30 – ∞ 天`).
fn range_text(item: &CheckItem) -> String {
    match &item.kind {
        ItemKind::Numeric { unit, min, max } => {
            let lo = min.map_or_else(|| "-∞".to_owned(), |d| d.to_string());
            let hi = max.map_or_else(|| "∞".to_owned(), |d| d.to_string());
            format!("{lo} ~ {hi} {unit}")
        }
        ItemKind::Choice { accepted, .. } => accepted.join("/"),
        ItemKind::YesNo { expected } => (if *expected { "yes" } else { "no" }).to_owned(),
        ItemKind::Text => String::new(),
    }
}

/// The judged items of a result and the photos to store with it.
type Judged = (Vec<ResultItemRecord>, Vec<(PhotoRecord, Vec<u8>)>);

impl TaskQuery {
    fn filter(&self, me: UserId, errors: &mut Vec<FieldError>) -> TaskFilter {
        let mut f = TaskFilter::default();
        let date = |t: &str, field: &'static str, errors: &mut Vec<FieldError>| {
            let t = t.trim();
            if t.is_empty() {
                return None;
            }
            let d = NaiveDate::parse_from_str(t, "%Y-%m-%d").ok();
            if d.is_none() {
                errors.push(FieldError::new(field, "err-insp-date"));
            }
            d
        };
        f.due_from = date(&self.from, "from", errors);
        f.due_until = date(&self.until, "until", errors);
        if !self.plan.trim().is_empty() {
            match PlanId::parse(&self.plan) {
                Ok(p) => f.plan_id = Some(p),
                Err(_) => errors.push(FieldError::new("plan", "err-plan-unknown")),
            }
        }
        if !self.kind.trim().is_empty() {
            f.kind = PlanKind::parse(&self.kind);
            if f.kind.is_none() {
                errors.push(FieldError::new("kind", "err-plan-kind"));
            }
        }
        match self.status.trim() {
            "" => {}
            "pending" => f.states = vec![TaskState::Open, TaskState::InProgress],
            "overdue" => f.lateness = Some(Lateness::Overdue),
            "escalated" => f.lateness = Some(Lateness::Escalated),
            s => match TaskState::parse(s) {
                Some(st) => f.states = vec![st],
                None => errors.push(FieldError::new("status", "err-task-status")),
            },
        }
        match self.assignee.trim() {
            "" => {}
            "me" => f.assignee_user = Some(me),
            s => match UserId::parse(s) {
                Ok(u) => f.assignee_user = Some(u),
                Err(_) => errors.push(FieldError::new("assignee", "err-plan-user")),
            },
        }
        if !self.asset.trim().is_empty() {
            match AssetId::parse(&self.asset) {
                Ok(a) => f.asset_id = Some(a),
                Err(_) => errors.push(FieldError::new("asset", "err-insp-asset")),
            }
        }
        f
    }
}

impl App {
    fn scoped_filter(caller: &Caller, mut f: TaskFilter) -> Result<TaskFilter, AppError> {
        let p = caller.require_any(Capability::InspectionView)?;
        f.park_id = Some(p.park_id);
        if p.scope_of(Capability::InspectionView) != Some(Scope::Park) {
            f.org_scope = Some(p.org_id);
        }
        Ok(f)
    }

    async fn plan_map(&self, caller: &Caller) -> Result<BTreeMap<PlanId, PlanRecord>, AppError> {
        Ok(self.schedule_plans(caller).await?.into_iter().map(|p| (p.id, p)).collect())
    }

    /// Tasks visible to the caller, by due date, with filters (due window, status, plan,
    /// kind, assignee or "mine", CI).
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a filter that cannot be read.
    pub async fn schedule_tasks(
        &self,
        caller: &Caller,
        query: &TaskQuery,
        page: PageRequest,
    ) -> Result<TaskList, AppError> {
        let p = caller.require_any(Capability::InspectionView)?;
        let mut errors = Vec::new();
        let filter = query.filter(p.user_id, &mut errors);
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let filter = Self::scoped_filter(caller, filter)?;
        let page = self.store.tasks(&filter, page).await?;
        let ids: Vec<AssetId> = page.items.iter().map(|t| t.asset_id).collect();
        let assets = self.store.assets_by_ids(&ids).await?.into_iter().map(|a| (a.id, a)).collect();
        Ok(TaskList { page, assets, plans: self.plan_map(caller).await? })
    }

    /// Due work of a month (`YYYY-MM`), per day and plan, with the list's filters.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a month or filter that cannot be read.
    pub async fn due_calendar(
        &self,
        caller: &Caller,
        month: &str,
        query: &TaskQuery,
    ) -> Result<CalendarMonth, AppError> {
        let p = caller.require_any(Capability::InspectionView)?;
        let month = if month.trim().is_empty() {
            let today = domain::cst_date(self.clock.now());
            today.with_day(1).unwrap_or(today)
        } else {
            NaiveDate::parse_from_str(&format!("{}-01", month.trim()), "%Y-%m-%d")
                .map_err(|_| AppError::field("month", "err-insp-month"))?
        };
        let mut errors = Vec::new();
        let mut filter = query.filter(p.user_id, &mut errors);
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let last = month.checked_add_months(chrono::Months::new(1)).and_then(|m| m.pred_opt()).unwrap_or(month);
        filter.due_from = Some(month);
        filter.due_until = Some(last);
        let filter = Self::scoped_filter(caller, filter)?;
        let days = self.store.task_day_counts(&filter).await?;
        Ok(CalendarMonth { month, days, plans: self.plan_map(caller).await? })
    }

    /// A task the caller may see, with its CI (otherwise "not found").
    async fn visible_task(&self, caller: &Caller, id: TaskId) -> Result<(TaskRecord, AssetRecord), AppError> {
        let p = caller.require_any(Capability::InspectionView)?;
        let t = self.store.task(id).await?.ok_or(AppError::NotFound)?;
        let a = self.store.asset(t.asset_id).await?.ok_or(AppError::NotFound)?;
        if can_on_task(p, Capability::InspectionView, &t, Some(&a)) { Ok((t, a)) } else { Err(AppError::NotFound) }
    }

    /// A task with its plan, standard version, CI, timeline, results and photos.
    ///
    /// # Errors
    /// [`AppError::NotFound`].
    pub async fn schedule_task(&self, caller: &Caller, id: TaskId) -> Result<TaskDetail, AppError> {
        let p = caller.principal()?.clone();
        let (task, asset) = self.visible_task(caller, id).await?;
        let plan = self.store.plan(task.plan_id).await?.ok_or(AppError::NotFound)?;
        let standard = match task.standard_id {
            Some(s) => self.store.standard(s).await?,
            None => None,
        };
        Ok(TaskDetail {
            can_record: can_on_task(&p, Capability::InspectionRecord, &task, Some(&asset)),
            can_manage: p.scope_of(Capability::PlanManage) == Some(Scope::Park),
            events: self.store.task_events(id).await?,
            results: self.store.results(id).await?,
            photos: self.store.photos(id).await?,
            task,
            plan,
            standard,
            asset,
        })
    }

    async fn workable_task(&self, caller: &Caller, id: TaskId) -> Result<(TaskRecord, AssetRecord), AppError> {
        let (t, a) = self.visible_task(caller, id).await?;
        if can_on_task(caller.principal()?, Capability::InspectionRecord, &t, Some(&a)) {
            Ok((t, a))
        } else {
            Err(AppError::Forbidden { capability: Capability::InspectionRecord })
        }
    }

    /// Starts work on a task.
    ///
    /// # Errors
    /// [`AppError::Conflict`] (`err-task-started`, `err-task-closed`) unless it is open.
    pub async fn start_task(&self, caller: &Caller, id: TaskId) -> Result<TaskRecord, AppError> {
        let (mut t, _) = self.workable_task(caller, id).await?;
        t.state = domain::transition(t.state, TaskAction::Start).map_err(transition_error)?;
        let now = self.clock.now();
        t.started_at = Some(now);
        t.updated_at = now;
        let mut tx = self.store.begin().await?;
        tx.update_task(&t).await?;
        tx.append_task_event(&event(t.id, caller, "started", "", now)).await?;
        tx.audit(
            caller.entry(
                "task.start",
                "schedule_task",
                &t.id.to_string(),
                Outcome::Success,
                task_detail_json(&t).to_string(),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(t)
    }

    /// Assigns (or reassigns) a pending task to an organisation and, optionally, a person in
    /// it, who is told in the inbox.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for an unknown organisation or a person outside it.
    pub async fn assign_task(
        &self,
        caller: &Caller,
        id: TaskId,
        org: &str,
        user: &str,
        note: &str,
    ) -> Result<TaskRecord, AppError> {
        let p = plan_manager(caller)?.clone();
        let (mut t, asset) = self.visible_task(caller, id).await?;
        if !t.state.is_pending() {
            return Err(AppError::Conflict("err-task-closed".into()));
        }
        if note.chars().count() > 500 {
            return Err(AppError::Invalid(vec![FieldError::new("note", "err-too-long").arg("max", 500)]));
        }
        let mut errors = Vec::new();
        let user = if user.trim().is_empty() {
            None
        } else {
            let u = match UserId::parse(user.trim()) {
                Ok(u) => self.store.user(u).await?,
                Err(_) => self.store.user_by_username(user.trim()).await?,
            };
            let u = u.filter(|u| {
                u.park_id == p.park_id && u.is_active && u.posts.iter().any(|x| super::WORKING_POSTS.contains(x))
            });
            if u.is_none() {
                errors.push(FieldError::new("assignee_user", "err-plan-user"));
            }
            u
        };
        let org = if org.trim().is_empty() {
            user.as_ref().map(|u| u.org_id)
        } else {
            match OrgId::parse(org.trim()) {
                Ok(o) if self.store.org(o).await?.is_some_and(|x| x.park_id == p.park_id && x.is_active) => Some(o),
                _ => {
                    errors.push(FieldError::new("assignee_org", "err-org"));
                    None
                }
            }
        };
        if let (Some(o), Some(u)) = (org, &user)
            && u.org_id != o
        {
            errors.push(FieldError::new("assignee_user", "err-plan-assignee-org"));
        }
        if org.is_none() && errors.is_empty() {
            errors.push(FieldError::new("assignee_org", "err-org"));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let now = self.clock.now();
        let before = (t.assignee_org_id, t.assignee_user_id);
        t.assignee_org_id = org;
        t.assignee_user_id = user.as_ref().map(|u| u.id);
        t.updated_at = now;
        let mut tx = self.store.begin().await?;
        tx.update_task(&t).await?;
        let name = user.as_ref().map_or_else(String::new, |u| u.display_name.clone());
        tx.append_task_event(&event(t.id, caller, "assigned", format!("{name} {}", note.trim()).trim(), now)).await?;
        if let Some(u) = &user {
            let plan = self.store.plan(t.plan_id).await?;
            self.task_notice(&mut *tx, &t, plan.as_ref(), &asset, u.id, "task_assigned", 1, now).await?;
        }
        let detail = json!({
            "from": { "org": before.0.map(|o| o.to_string()), "user": before.1.map(|u| u.to_string()) },
            "to": { "org": t.assignee_org_id.map(|o| o.to_string()), "user": t.assignee_user_id.map(|u| u.to_string()) },
            "note": note.trim(),
        });
        tx.audit(
            caller.entry("task.assign", "schedule_task", &t.id.to_string(), Outcome::Success, detail.to_string()),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(t)
    }

    /// Calls off a pending task, with a reason.
    ///
    /// # Errors
    /// [`AppError::Invalid`] without a reason; [`AppError::Conflict`] once it is done.
    pub async fn cancel_task(&self, caller: &Caller, id: TaskId, reason: &str) -> Result<TaskRecord, AppError> {
        let p = plan_manager(caller)?.clone();
        let (mut t, _) = self.visible_task(caller, id).await?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(AppError::field("reason", "err-reason-500"));
        }
        t.state = domain::transition(t.state, TaskAction::Cancel).map_err(transition_error)?;
        let now = self.clock.now();
        t.closed_at = Some(now);
        t.closed_by.clone_from(&p.username);
        t.updated_at = now;
        let mut tx = self.store.begin().await?;
        tx.update_task(&t).await?;
        tx.append_task_event(&event(t.id, caller, "cancelled", reason, now)).await?;
        let mut detail = task_detail_json(&t);
        detail["reason"] = json!(reason);
        tx.audit(
            caller.entry("task.cancel", "schedule_task", &t.id.to_string(), Outcome::Success, detail.to_string()),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(t)
    }

    /// Judges every item of `standard` from the input (merged over `previous` for a
    /// correction) and prepares the photos to store. Field errors name the item (`item` arg).
    fn judge(
        standard: &StandardRecord,
        input: &ResultInput,
        previous: Option<&ResultRecord>,
        task: &TaskRecord,
        by: &str,
        now: Timestamp,
    ) -> Result<Judged, AppError> {
        let mut errors = Vec::new();
        let known: BTreeSet<&str> = standard.items.iter().map(|i| i.code.as_str()).collect();
        for code in input.values.keys().chain(input.notes.keys()).chain(input.photos.keys()) {
            if !known.contains(code.as_str()) {
                errors.push(FieldError::new("items", "err-item-unknown").arg("item", code).arg("name", code));
            }
        }
        let before: BTreeMap<&str, &ResultItemRecord> =
            previous.map(|r| r.items.iter().map(|i| (i.code.as_str(), i)).collect()).unwrap_or_default();
        let mut items = Vec::new();
        let mut photos = Vec::new();
        for item in &standard.items {
            let old = before.get(item.code.as_str());
            let raw = input.values.get(&item.code).map(String::as_str).or(old.map(|o| o.value.as_str())).unwrap_or("");
            let note = input
                .notes
                .get(&item.code)
                .map(|n| n.trim().to_owned())
                .or(old.map(|o| o.note.clone()))
                .unwrap_or_default();
            if note.chars().count() > 500 {
                errors.push(
                    FieldError::new("items", "err-item-note")
                        .arg("item", &item.code)
                        .arg("name", &item.name)
                        .arg("max", 500),
                );
            }
            let mut photo_id = old.and_then(|o| o.photo_id);
            if let Some(up) = input.photos.get(&item.code).filter(|u| !u.data.is_empty()) {
                let is_image = up.content_type.starts_with("image/");
                if up.data.len() > PHOTO_MAX || !is_image {
                    errors.push(FieldError::new("items", "err-photo").arg("item", &item.code).arg("name", &item.name));
                } else {
                    let id = PhotoId::from_uuid(uuid::Uuid::now_v7());
                    let name: String = up
                        .name
                        .rsplit(['/', '\\'])
                        .next()
                        .unwrap_or("")
                        .chars()
                        .filter(|c| !c.is_control())
                        .take(120)
                        .collect();
                    photos.push((
                        PhotoRecord {
                            id,
                            park_id: task.park_id,
                            task_id: task.id,
                            item_code: item.code.clone(),
                            name: if name.trim().is_empty() { format!("{}.jpg", item.code) } else { name },
                            content_type: up.content_type.chars().take(100).collect(),
                            size: i64::try_from(up.data.len()).unwrap_or(i64::MAX),
                            sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&up.data)),
                            created_by: by.to_owned(),
                            created_at: now,
                        },
                        up.data.clone(),
                    ));
                    photo_id = Some(id);
                }
            }
            if item.photo_required && photo_id.is_none() {
                errors.push(
                    FieldError::new("items", "err-photo-required").arg("item", &item.code).arg("name", &item.name),
                );
            }
            match domain::evaluate(item, raw) {
                Ok(e) => items.push(ResultItemRecord {
                    code: item.code.clone(),
                    value: e.value,
                    verdict: e.verdict,
                    finding: e.finding,
                    note,
                    photo_id,
                }),
                Err(e) => {
                    let f = FieldError::new("items", format!("err-value-{}", e.code()))
                        .arg("item", &item.code)
                        .arg("name", &item.name);
                    errors.push(match e {
                        domain::ValueError::TooLong { max } => f.arg("max", max),
                        _ => f,
                    });
                }
            }
        }
        if input.note.chars().count() > 2000 {
            errors.push(FieldError::new("note", "err-too-long").arg("max", 2000));
        }
        if errors.is_empty() { Ok((items, photos)) } else { Err(AppError::Invalid(errors)) }
    }

    /// Opens the desk ticket of an out-of-range result inside `tx`, linked to the CI.
    async fn open_result_ticket(
        &self,
        tx: &mut dyn Tx,
        caller: &Caller,
        task: &TaskRecord,
        asset: &AssetRecord,
        standard: &StandardRecord,
        items: &[ResultItemRecord],
    ) -> Result<TicketRecord, AppError> {
        let p = caller.principal()?;
        let me = self.store.user(p.user_id).await?.ok_or(AppError::Unauthenticated)?;
        let by_code: BTreeMap<&str, &CheckItem> = standard.items.iter().map(|i| (i.code.as_str(), i)).collect();
        let failed: Vec<String> = items
            .iter()
            .filter(|i| i.verdict == Verdict::Fail)
            .map(|i| {
                let item = by_code.get(i.code.as_str());
                let name = item.map_or(i.code.as_str(), |x| x.name.as_str());
                let range = item.map(|x| range_text(x)).unwrap_or_default();
                let note = if i.note.is_empty() { String::new() } else { format!(" · {}", i.note) };
                // The value against the normal range, as the park's staff read it on the desk.
                format!("- {name}：{}（{range}）{note}", i.value)
            })
            .collect();
        let first = items.iter().find(|i| i.verdict == Verdict::Fail).and_then(|i| by_code.get(i.code.as_str()));
        let title: String = format!(
            "{} {} · {}{}",
            asset.code,
            asset.name,
            first.map_or("", |i| i.name.as_str()),
            if failed.len() > 1 { format!(" +{}", failed.len() - 1) } else { String::new() }
        )
        .chars()
        .take(100)
        .collect();
        let description = format!(
            "{} v{} · {} · {}\n{}\n/inspection/tasks/{}",
            standard.name,
            standard.version,
            task.due_date,
            p.username,
            failed.join("\n"),
            task.id
        );
        let location = match asset.location.point.or(asset.location.site).or(asset.location.zone) {
            Some(l) => self
                .store
                .locations(asset.park_id)
                .await?
                .into_iter()
                .find(|x| x.id == l)
                .map(|x| x.name)
                .unwrap_or_default(),
            None => String::new(),
        };
        let draft = TicketDraft {
            park_id: task.park_id,
            kind: TicketKind::FaultReport,
            level: Level::General,
            priority: Level::General.default_priority(),
            domain: asset.domain,
            handling_mode: HandlingMode::OnSite,
            title,
            description: description.chars().take(5000).collect(),
            reporter_user_id: Some(p.user_id),
            reporter_name: me.display_name.clone(),
            reporter_phone: me.phone.clone(),
            enterprise_org_id: asset.enterprise_org_id,
            location: location.chars().take(100).collect(),
            affected: format!("{} {}", asset.code, asset.name).chars().take(100).collect(),
            asset_id: Some(asset.id),
        };
        self.open_ticket_in(tx, caller, draft).await
    }

    /// Records a task's result item by item: the original record (version 1). Pass or fail
    /// comes from the standard version the task follows; an out-of-range or failed item opens
    /// a ticket on the desk, linked to the CI, in the same transaction. Completes the task.
    ///
    /// # Errors
    /// [`AppError::Invalid`] naming each refused item (`item` argument); [`AppError::Conflict`]
    /// (`err-task-started`, `err-task-closed`) when the task is done or cancelled, (`err-task-calibration`) for
    /// a calibration task, which the calibration register completes.
    pub async fn record_result(
        &self,
        caller: &Caller,
        id: TaskId,
        input: ResultInput,
    ) -> Result<ResultOutcome, AppError> {
        let (mut t, asset) = self.workable_task(caller, id).await?;
        let p = caller.principal()?.clone();
        if !t.kind.uses_standard() {
            return Err(AppError::Conflict("err-task-calibration".into()));
        }
        let next = domain::transition(t.state, TaskAction::Complete).map_err(transition_error)?;
        let standard_id = t.standard_id.ok_or_else(|| AppError::Conflict("err-task-calibration".into()))?;
        let standard = self.store.standard(standard_id).await?.ok_or(AppError::NotFound)?;
        let now = self.clock.now();
        let (items, photos) = Self::judge(&standard, &input, None, &t, &p.username, now)?;
        let passed = items.iter().all(|i| i.verdict == Verdict::Pass);
        let mut tx = self.store.begin().await?;
        let ticket = if passed {
            None
        } else {
            Some(self.open_result_ticket(&mut *tx, caller, &t, &asset, &standard, &items).await?)
        };
        for (ph, data) in &photos {
            tx.insert_photo(ph, data).await?;
        }
        let result = ResultRecord {
            id: ResultId::from_uuid(uuid::Uuid::now_v7()),
            park_id: t.park_id,
            task_id: t.id,
            version: 1,
            corrects: None,
            reason: String::new(),
            standard_id,
            asset_id: t.asset_id,
            passed,
            note: input.note.trim().to_owned(),
            ticket_id: ticket.as_ref().map(|x| x.id),
            recorded_by: p.username.clone(),
            recorded_at: now,
            items,
        };
        tx.insert_result(&result).await?;
        t.state = next;
        t.closed_at = Some(now);
        t.closed_by.clone_from(&p.username);
        t.record_ref = format!("result:{}", result.id);
        t.updated_at = now;
        tx.update_task(&t).await?;
        let failed = result.items.iter().filter(|i| i.verdict == Verdict::Fail).count();
        tx.append_task_event(&event(
            t.id,
            caller,
            "completed",
            &format!("v1 · {} / {}", result.items.len() - failed, result.items.len()),
            now,
        ))
        .await?;
        if let Some(k) = &ticket {
            tx.append_task_event(&event(t.id, caller, "ticket_opened", &k.number, now)).await?;
        }
        let detail = json!({
            "task": t.id.to_string(), "asset": asset.code, "standard": standard.code, "standard_version": standard.version,
            "passed": passed, "failed": failed, "photos": photos.iter().map(|(ph, _)| json!({ "item": ph.item_code, "sha256": ph.sha256 })).collect::<Vec<_>>(),
            "ticket": ticket.as_ref().map(|k| k.number.clone()),
        });
        tx.audit(
            caller.entry(
                "inspection.record",
                "inspection_result",
                &result.id.to_string(),
                Outcome::Success,
                detail.to_string(),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(ResultOutcome { result, ticket })
    }

    /// Corrects a result: a new version naming the one it corrects and why; the original and
    /// every earlier version stay as they were. Items left out keep their values. A correction
    /// that turns the result out of range opens a ticket unless one was opened already.
    ///
    /// # Errors
    /// [`AppError::Invalid`] without a reason or for refused items; [`AppError::Conflict`]
    /// (`err-result-superseded`) unless it corrects the latest version, (`err-result-unchanged`)
    /// when it would change nothing.
    pub async fn correct_result(
        &self,
        caller: &Caller,
        id: ResultId,
        input: ResultInput,
    ) -> Result<ResultOutcome, AppError> {
        let p = caller.require_any(Capability::InspectionRecord)?.clone();
        let old = self.store.result(id).await?.filter(|r| r.park_id == p.park_id).ok_or(AppError::NotFound)?;
        let (mut t, asset) = self.workable_task(caller, old.task_id).await?;
        let reason = input.reason.trim().to_owned();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(AppError::field("reason", "err-reason-500"));
        }
        let versions = self.store.results(t.id).await?;
        let last = versions.iter().map(|v| v.version).max().unwrap_or(0);
        if old.version != last {
            return Err(AppError::Conflict("err-result-superseded".into()));
        }
        let standard = self.store.standard(old.standard_id).await?.ok_or(AppError::NotFound)?;
        let now = self.clock.now();
        let (items, photos) = Self::judge(&standard, &input, Some(&old), &t, &p.username, now)?;
        let note = if input.note.trim().is_empty() { old.note.clone() } else { input.note.trim().to_owned() };
        if items == old.items && note == old.note {
            return Err(AppError::Conflict("err-result-unchanged".into()));
        }
        let passed = items.iter().all(|i| i.verdict == Verdict::Pass);
        let earlier_ticket = versions.iter().rev().find_map(|v| v.ticket_id);
        let mut tx = self.store.begin().await?;
        let ticket = if passed || earlier_ticket.is_some() {
            None
        } else {
            Some(self.open_result_ticket(&mut *tx, caller, &t, &asset, &standard, &items).await?)
        };
        for (ph, data) in &photos {
            tx.insert_photo(ph, data).await?;
        }
        let result = ResultRecord {
            id: ResultId::from_uuid(uuid::Uuid::now_v7()),
            park_id: t.park_id,
            task_id: t.id,
            version: last + 1,
            corrects: Some(old.id),
            reason: reason.clone(),
            standard_id: old.standard_id,
            asset_id: old.asset_id,
            passed,
            note,
            ticket_id: ticket.as_ref().map(|k| k.id).or(earlier_ticket),
            recorded_by: p.username.clone(),
            recorded_at: now,
            items,
        };
        tx.insert_result(&result).await?;
        t.record_ref = format!("result:{}", result.id);
        t.updated_at = now;
        tx.update_task(&t).await?;
        tx.append_task_event(&event(
            t.id,
            caller,
            "corrected",
            &format!("v{} → v{} · {reason}", old.version, result.version),
            now,
        ))
        .await?;
        if let Some(k) = &ticket {
            tx.append_task_event(&event(t.id, caller, "ticket_opened", &k.number, now)).await?;
        }
        let changed: Vec<&str> = result
            .items
            .iter()
            .filter(|i| old.items.iter().find(|o| o.code == i.code) != Some(*i))
            .map(|i| i.code.as_str())
            .collect();
        let detail = json!({
            "task": t.id.to_string(), "corrects": old.id.to_string(), "version": result.version, "reason": reason,
            "changed": changed, "passed": passed, "ticket": ticket.as_ref().map(|k| k.number.clone()),
        });
        tx.audit(
            caller.entry(
                "inspection.correct",
                "inspection_result",
                &result.id.to_string(),
                Outcome::Success,
                detail.to_string(),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(ResultOutcome { result, ticket })
    }

    /// A result version with every version of its task.
    ///
    /// # Errors
    /// [`AppError::NotFound`].
    pub async fn inspection_result(&self, caller: &Caller, id: ResultId) -> Result<ResultDetail, AppError> {
        let p = caller.require_any(Capability::InspectionView)?;
        let result = self.store.result(id).await?.filter(|r| r.park_id == p.park_id).ok_or(AppError::NotFound)?;
        let task = self.schedule_task(caller, result.task_id).await?;
        Ok(ResultDetail { result, task })
    }

    /// A photo with its content, if the caller may see its task.
    ///
    /// # Errors
    /// [`AppError::NotFound`].
    pub async fn inspection_photo(&self, caller: &Caller, id: PhotoId) -> Result<(PhotoRecord, Vec<u8>), AppError> {
        caller.require_any(Capability::InspectionView)?;
        let (photo, data) = self.store.photo(id).await?.ok_or(AppError::NotFound)?;
        self.visible_task(caller, photo.task_id).await?;
        Ok((photo, data))
    }

    // -----------------------------------------------------------------------------------------
    // The watcher
    // -----------------------------------------------------------------------------------------

    #[allow(clippy::too_many_arguments, reason = "a notice names its task, plan, CI, recipient, event and count")]
    async fn task_notice(
        &self,
        tx: &mut dyn Tx,
        t: &TaskRecord,
        plan: Option<&PlanRecord>,
        asset: &AssetRecord,
        to: UserId,
        event: &str,
        count: usize,
        now: Timestamp,
    ) -> Result<(), AppError> {
        let plan_name = plan.map_or("", |p| p.name.as_str());
        let more = if count > 1 { format!(" +{}", count - 1) } else { String::new() };
        let n = NotificationRecord {
            id: uuid::Uuid::now_v7(),
            park_id: t.park_id,
            user_id: to,
            ticket_id: None,
            event: event.to_owned(),
            level: String::new(),
            title: format!("{plan_name} · {}{more} · {}", asset.code, t.due_date),
            body: format!("/inspection/tasks/{}", t.id),
            created_at: now,
            read_at: None,
        };
        tx.insert_notifications(&[n]).await?;
        Ok(())
    }

    /// Who hears that tasks are overdue: the assignee; else the working members of the
    /// assigned organisation; else the plan's owner.
    async fn overdue_recipients(
        &self,
        t: &TaskRecord,
        plan: Option<&PlanRecord>,
    ) -> Result<BTreeSet<UserId>, AppError> {
        if let Some(u) = t.assignee_user_id {
            return Ok([u].into());
        }
        let mut to = BTreeSet::new();
        if let Some(org) = t.assignee_org_id {
            let filter = UserFilter { org_id: Some(org), active: Some(true), ..UserFilter::default() };
            for u in self.store.users(&filter, PageRequest { page: 1, per_page: 50 }).await?.items {
                if u.posts.iter().any(|p| matches!(p, Post::Technician | Post::Operator | Post::SupplierEngineer)) {
                    to.insert(u.id);
                }
            }
        }
        if to.is_empty() {
            to.extend(plan.and_then(|p| p.owner_user_id));
        }
        Ok(to)
    }

    /// Who hears of an escalation: the plan's owner (else the park's managers) and the lead
    /// of the first support line.
    async fn escalation_recipients(
        &self,
        t: &TaskRecord,
        plan: Option<&PlanRecord>,
    ) -> Result<BTreeSet<UserId>, AppError> {
        let mut to: BTreeSet<UserId> = plan.and_then(|p| p.owner_user_id).into_iter().collect();
        if to.is_empty() {
            let filter = UserFilter {
                park_id: Some(t.park_id),
                post: Some(Post::Manager),
                active: Some(true),
                ..UserFilter::default()
            };
            to.extend(
                self.store.users(&filter, PageRequest { page: 1, per_page: 50 }).await?.items.into_iter().map(|u| u.id),
            );
        }
        let lines = self.store.support_lines(t.park_id).await?;
        to.extend(lines.iter().filter(|l| l.line == SupportLine::L1).filter_map(|l| l.lead_user_id));
        Ok(to)
    }

    /// Marks pending tasks past due + grace overdue and tells their assignees; escalates
    /// those past the plan's threshold to its manager and the first line's lead. Each once,
    /// ever: the marks are kept on the task. Tasks of one plan and due date go in one
    /// transaction, with one notice per recipient and one timeline entry and audit record per
    /// task.
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn watch_tasks(&self) -> Result<WatchReport, AppError> {
        let now = self.clock.now();
        let caller = Caller::system();
        let mut report = WatchReport::default();
        let due = self.store.tasks_to_watch(now, 5000).await?;
        let mut groups: BTreeMap<(PlanId, NaiveDate), Vec<TaskRecord>> = BTreeMap::new();
        for t in due {
            groups.entry((t.plan_id, t.due_date)).or_default().push(t);
        }
        for ((plan_id, _), tasks) in groups {
            let plan = self.store.plan(plan_id).await?;
            let ids: Vec<AssetId> = tasks.iter().map(|t| t.asset_id).collect();
            let assets: BTreeMap<AssetId, AssetRecord> =
                self.store.assets_by_ids(&ids).await?.into_iter().map(|a| (a.id, a)).collect();
            // Per recipient and event: the first task and how many.
            let mut notices: BTreeMap<(UserId, &'static str), (TaskRecord, usize)> = BTreeMap::new();
            // Who hears depends on the assignee (overdue) or the plan (escalation): looked up
            // once per assignee and group, before the transaction.
            let mut overdue_to: BTreeMap<(Option<UserId>, Option<OrgId>), BTreeSet<UserId>> = BTreeMap::new();
            for t in &tasks {
                let key = (t.assignee_user_id, t.assignee_org_id);
                if let std::collections::btree_map::Entry::Vacant(slot) = overdue_to.entry(key) {
                    slot.insert(self.overdue_recipients(t, plan.as_ref()).await?);
                }
            }
            let escalate_to = match tasks.first() {
                Some(t) => self.escalation_recipients(t, plan.as_ref()).await?,
                None => BTreeSet::new(),
            };
            let mut tx = self.store.begin().await?;
            for mut t in tasks {
                let steps = domain::watch(
                    t.state,
                    t.overdue_after,
                    t.escalate_after,
                    t.overdue_at.is_some(),
                    t.escalated_at.is_some(),
                    now,
                );
                if !steps.mark_overdue && !steps.escalate {
                    continue;
                }
                let mut to = Vec::new();
                if steps.mark_overdue {
                    t.overdue_at = Some(now);
                    report.overdue += 1;
                    tx.append_task_event(&event(t.id, &caller, "overdue", &t.overdue_after.display_cst(), now)).await?;
                    let key = (t.assignee_user_id, t.assignee_org_id);
                    to.extend(overdue_to.get(&key).into_iter().flatten().map(|u| (*u, "task_overdue")));
                }
                if steps.escalate {
                    t.escalated_at = Some(now);
                    report.escalated += 1;
                    let days = plan.as_ref().and_then(|p| p.escalate_after_days).unwrap_or(0);
                    tx.append_task_event(&event(t.id, &caller, "escalated", &days.to_string(), now)).await?;
                    to.extend(escalate_to.iter().map(|u| (*u, "task_escalated")));
                }
                t.updated_at = now;
                tx.update_task(&t).await?;
                for key in to {
                    notices.entry(key).and_modify(|(_, n)| *n += 1).or_insert((t.clone(), 1));
                }
                let action = if steps.escalate { "task.escalate" } else { "task.overdue" };
                let mut detail = task_detail_json(&t);
                detail["overdue"] = json!(steps.mark_overdue);
                detail["escalated"] = json!(steps.escalate);
                tx.audit(
                    caller.entry(action, "schedule_task", &t.id.to_string(), Outcome::Success, detail.to_string()),
                    now,
                )
                .await?;
            }
            for ((user, kind), (t, n)) in notices {
                if let Some(a) = assets.get(&t.asset_id) {
                    self.task_notice(&mut *tx, &t, plan.as_ref(), a, user, kind, n, now).await?;
                }
            }
            tx.commit().await?;
        }
        Ok(report)
    }

    /// The scheduler's periodic work: generate due tasks, then watch the late ones.
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn run_schedules(&self) -> Result<(super::GenerateReport, WatchReport), AppError> {
        let generated = self.generate_all_due_tasks().await?;
        let watched = self.watch_tasks().await?;
        Ok((generated, watched))
    }

    // -----------------------------------------------------------------------------------------
    // Calibration tasks (completed by the calibration register)
    // -----------------------------------------------------------------------------------------

    /// The pending calibration tasks of a CI the caller may work, by due date: what a new
    /// calibration record may complete.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without `InspectionView`.
    pub async fn pending_calibration_tasks(
        &self,
        caller: &Caller,
        asset: AssetId,
    ) -> Result<Vec<TaskRecord>, AppError> {
        let filter = TaskFilter {
            asset_id: Some(asset),
            kind: Some(PlanKind::Calibration),
            states: vec![TaskState::Open, TaskState::InProgress],
            ..TaskFilter::default()
        };
        let filter = Self::scoped_filter(caller, filter)?;
        Ok(self.store.tasks(&filter, PageRequest { page: 1, per_page: 50 }).await?.items)
    }

    /// A calibration task the caller may see.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for any other task.
    pub async fn calibration_task(&self, caller: &Caller, id: TaskId) -> Result<TaskRecord, AppError> {
        let (t, _) = self.visible_task(caller, id).await?;
        if t.kind == PlanKind::Calibration { Ok(t) } else { Err(AppError::NotFound) }
    }

    /// Marks a pending calibration task done by a record of the calibration register, inside
    /// the caller's transaction (the one that stores the record): sets the task done with
    /// `record_ref` (e.g. `calibration:<id>`) and appends its timeline entry. The caller's own
    /// audit record covers the change; it should name the task.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for a task out of reach or not a calibration task;
    /// [`AppError::Forbidden`] without `InspectionRecord` on it; [`AppError::Conflict`]
    /// (`err-task-started`, `err-task-closed`) once done or cancelled; [`AppError::Invalid`] for an empty or
    /// over-long `record_ref`.
    pub async fn complete_task_by_record(
        &self,
        tx: &mut dyn Tx,
        caller: &Caller,
        task_id: TaskId,
        record_ref: &str,
    ) -> Result<TaskRecord, AppError> {
        let record_ref = record_ref.trim();
        if record_ref.is_empty() || record_ref.chars().count() > 100 {
            return Err(AppError::field("task", "err-task-record-ref"));
        }
        let (mut t, _) = self.workable_task(caller, task_id).await?;
        if t.kind != PlanKind::Calibration {
            return Err(AppError::NotFound);
        }
        t.state = domain::transition(t.state, TaskAction::Complete).map_err(transition_error)?;
        let now = self.clock.now();
        t.closed_at = Some(now);
        t.closed_by = actor(caller);
        t.record_ref = record_ref.to_owned();
        t.updated_at = now;
        tx.update_task(&t).await?;
        tx.append_task_event(&event(t.id, caller, "completed", record_ref, now)).await?;
        Ok(t)
    }
}
