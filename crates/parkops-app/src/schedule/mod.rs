//! Inspections, maintenance and calibration by plan (R-9.1.1a, R-9.1.1d, R-7.3.3): versioned
//! inspection standards per CI class, plans with their targets and recurrence on the working
//! calendar, generation of due tasks (idempotent: one task per plan, CI and due date), the
//! tasks' work and timeline, results entered item by item as original records with
//! corrections as new versions, tickets for out-of-range results, and the watcher that marks
//! late tasks overdue and escalates them, once each.
//!
//! Standards and plans are park-wide and kept by managers with park scope (`PlanManage`).
//! Tasks are seen and worked park-wide by the O&M staff, and by a supplier's engineers for the
//! tasks assigned to their organisation or about the CIs it owns or maintains. Every change
//! writes its rows, its timeline entry and its audit record in one transaction.

mod demo;
mod demo_history;
mod tasks;

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use parkops_domain::access::{Capability, Post, Principal, Scope};
use parkops_domain::asset::{AssetId, Decimal, LifecycleState, LocationId, LocationLevel};
use parkops_domain::audit::Outcome;
use parkops_domain::id::{OrgId, ParkId, UserId};
use parkops_domain::org::OrgType;
use parkops_domain::recurrence::{Every, Recurrence, Shift};
use parkops_domain::schedule::{
    self as domain, CheckItem, Deadline, ItemKind, PlanId, PlanKind, StandardId, TaskId, TaskState,
};
use serde_json::{Value, json};

pub use tasks::{
    CalendarMonth, PhotoUpload, ResultDetail, ResultInput, ResultOutcome, TaskDetail, TaskList, TaskQuery, WatchReport,
};

use crate::ports::asset::{AssetFilter, AssetRecord};
use crate::ports::schedule::{PlanRecord, PlanTarget, StandardRecord, TaskRecord};
use crate::ports::{PageRequest, UserFilter};
use crate::{App, AppError, Caller, FieldError};

// ---------------------------------------------------------------------------------------------
// Items as JSON (storage and the API)
// ---------------------------------------------------------------------------------------------

/// A check item as JSON: `{code, name, method, kind, photo_required}` and, by kind, `unit`,
/// `min`, `max` (numeric, decimal text or null), `options`, `accepted` (choice), `expected`
/// (yes/no).
#[must_use]
pub fn item_json(item: &CheckItem) -> Value {
    let mut v = json!({
        "code": item.code, "name": item.name, "method": item.method, "kind": item.kind.code(),
        "photo_required": item.photo_required,
    });
    match &item.kind {
        ItemKind::Numeric { unit, min, max } => {
            v["unit"] = json!(unit);
            v["min"] = min.map_or(Value::Null, |d| json!(d.to_string()));
            v["max"] = max.map_or(Value::Null, |d| json!(d.to_string()));
        }
        ItemKind::Choice { options, accepted } => {
            v["options"] = json!(options);
            v["accepted"] = json!(accepted);
        }
        ItemKind::YesNo { expected } => v["expected"] = json!(expected),
        ItemKind::Text => {}
    }
    v
}

fn item_from_value(v: &Value) -> Option<CheckItem> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let list = |k: &str| -> Option<Vec<String>> {
        v.get(k)?.as_array()?.iter().map(|x| x.as_str().map(str::to_owned)).collect()
    };
    let bound = |k: &str| match v.get(k) {
        None | Some(Value::Null) => Some(None),
        Some(x) => x.as_str().and_then(Decimal::parse).map(Some),
    };
    let kind = match s("kind")?.as_str() {
        "numeric" => ItemKind::Numeric { unit: s("unit").unwrap_or_default(), min: bound("min")?, max: bound("max")? },
        "choice" => ItemKind::Choice { options: list("options")?, accepted: list("accepted")? },
        "yes_no" => ItemKind::YesNo { expected: v.get("expected").and_then(Value::as_bool).unwrap_or(true) },
        "text" => ItemKind::Text,
        _ => return None,
    };
    Some(CheckItem {
        code: s("code")?,
        name: s("name")?,
        method: s("method").unwrap_or_default(),
        kind,
        photo_required: v.get("photo_required").and_then(Value::as_bool).unwrap_or(false),
    })
}

/// The items of a standard version as stored (a JSON array of [`item_json`]).
#[must_use]
pub fn items_to_json(items: &[CheckItem]) -> String {
    Value::Array(items.iter().map(item_json).collect()).to_string()
}

/// The items of a stored standard version; `None` when the text is not such an array.
#[must_use]
pub fn items_from_json(text: &str) -> Option<Vec<CheckItem>> {
    serde_json::from_str::<Value>(text).ok()?.as_array()?.iter().map(item_from_value).collect()
}

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/// A check item as entered in the standard form or the API: text as typed.
#[derive(Debug, Clone, Default)]
pub struct ItemInput {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Method.
    pub method: String,
    /// Kind code (`numeric`, `choice`, `yes_no`, `text`).
    pub kind: String,
    /// Unit (numeric).
    pub unit: String,
    /// Lower limit (numeric), empty for none.
    pub min: String,
    /// Upper limit (numeric), empty for none.
    pub max: String,
    /// Options (choice), separated by commas, `、` or new lines.
    pub options: String,
    /// Accepted values (choice), separated the same way.
    pub accepted: String,
    /// The passing answer of a yes/no item (`yes`/`no`, 是/否); empty for yes.
    pub expected: String,
    /// Whether a photo is required.
    pub photo_required: bool,
}

/// A new version of a standard as submitted.
#[derive(Debug, Clone, Default)]
pub struct StandardInput {
    /// Code (the same for every version).
    pub code: String,
    /// CI class code.
    pub class: String,
    /// Name.
    pub name: String,
    /// Why this version.
    pub change_note: String,
    /// Items in order.
    pub items: Vec<ItemInput>,
}

/// A plan as submitted: text as typed.
#[derive(Debug, Clone, Default)]
pub struct PlanInput {
    /// Kind code.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Standard code (required for inspection and maintenance).
    pub standard_code: String,
    /// CI class (calibration plans without a standard; otherwise the standard's class).
    pub class: String,
    /// Zone (location id or code), empty for the whole park.
    pub zone: String,
    /// Enterprise (organisation id), empty for any.
    pub enterprise: String,
    /// Explicit CIs by code, separated by commas, spaces or new lines; empty for all of the class.
    pub assets: String,
    /// First due date `YYYY-MM-DD`.
    pub anchor: String,
    /// `day`, `week` or `month`.
    pub every_unit: String,
    /// N.
    pub every_count: String,
    /// Move due dates onto the next working day.
    pub on_working_days: bool,
    /// Assignee organisation id, empty for none.
    pub assignee_org: String,
    /// Assignee user id or login name, empty for none.
    pub assignee_user: String,
    /// Owner (manager) user id or login name, empty for none.
    pub owner: String,
    /// Lead days.
    pub lead_days: String,
    /// Grace days.
    pub grace_days: String,
    /// Days overdue before escalation; empty for never.
    pub escalate_after_days: String,
    /// Why it was changed (edits).
    pub note: String,
}

/// What a generation run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GenerateReport {
    /// Plans looked at.
    pub plans: u32,
    /// Tasks created.
    pub created: u64,
}

/// A plan with what its page shows.
#[derive(Debug, Clone)]
pub struct PlanDetail {
    /// The plan.
    pub plan: PlanRecord,
    /// The standard version in force.
    pub standard: Option<StandardRecord>,
    /// CIs the plan covers now (in service).
    pub targets: usize,
    /// The next due dates (up to five).
    pub next_dates: Vec<NaiveDate>,
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

pub(crate) fn actor(caller: &Caller) -> String {
    caller.principal.as_ref().map_or_else(|| "system".to_owned(), |p| p.username.clone())
}

/// The principal if it keeps the whole park's standards and plans.
pub(crate) fn plan_manager(caller: &Caller) -> Result<&Principal, AppError> {
    let p = caller.require_any(Capability::PlanManage)?;
    if p.scope_of(Capability::PlanManage) == Some(Scope::Park) {
        Ok(p)
    } else {
        Err(AppError::Forbidden { capability: Capability::PlanManage })
    }
}

/// Whether `p` holds `capability` over a task: park-wide, or for its own organisation when
/// the task is assigned to it or the CI is one it owns or maintains.
pub(crate) fn can_on_task(p: &Principal, capability: Capability, t: &TaskRecord, a: Option<&AssetRecord>) -> bool {
    p.park_id == t.park_id
        && match p.scope_of(capability) {
            Some(Scope::Park) => true,
            Some(Scope::OwnOrganisation) => {
                t.assignee_org_id == Some(p.org_id)
                    || a.is_some_and(|a| a.enterprise_org_id == Some(p.org_id) || a.maintainer_org_id == Some(p.org_id))
            }
            None => false,
        }
}

fn split_list(text: &str) -> Vec<String> {
    text.split([',', '，', '、', '\n', ';', '；']).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

fn parse_days(text: &str, max: u32) -> Option<u32> {
    text.trim().parse::<u32>().ok().filter(|n| *n <= max)
}

/// The standard's error as a field error on `items`, naming its row.
fn standard_error(e: &domain::StandardError) -> FieldError {
    let f = FieldError::new("items", format!("err-standard-{}", e.code())).arg("row", e.position());
    match e {
        domain::StandardError::TooManyItems { max } => f.arg("max", max),
        domain::StandardError::DuplicateCode { code, .. } => f.arg("code", code),
        _ => f,
    }
}

fn item_from_input(input: &ItemInput, row: usize, errors: &mut Vec<FieldError>) -> CheckItem {
    let mut bound = |text: &str| {
        if text.trim().is_empty() {
            return None;
        }
        let d = Decimal::parse(text);
        if d.is_none() {
            errors.push(FieldError::new("items", "err-standard-limit").arg("row", row));
        }
        d
    };
    let kind = match input.kind.trim() {
        "numeric" => {
            ItemKind::Numeric { unit: input.unit.trim().to_owned(), min: bound(&input.min), max: bound(&input.max) }
        }
        "choice" => ItemKind::Choice { options: split_list(&input.options), accepted: split_list(&input.accepted) },
        "yes_no" => ItemKind::YesNo {
            expected: input.expected.trim().is_empty() || domain::parse_yes_no(&input.expected).unwrap_or(true),
        },
        "text" => ItemKind::Text,
        _ => {
            errors.push(FieldError::new("items", "err-standard-kind").arg("row", row));
            ItemKind::Text
        }
    };
    CheckItem {
        code: input.code.trim().to_owned(),
        name: input.name.trim().to_owned(),
        method: input.method.trim().to_owned(),
        kind,
        photo_required: input.photo_required,
    }
}

/// The latest version of each standard, by code.
fn latest(standards: Vec<StandardRecord>) -> BTreeMap<String, StandardRecord> {
    let mut out: BTreeMap<String, StandardRecord> = BTreeMap::new();
    for s in standards {
        match out.get(&s.code) {
            Some(have) if have.version >= s.version => {}
            _ => {
                out.insert(s.code.clone(), s);
            }
        }
    }
    out
}

fn plan_json(p: &PlanRecord) -> Value {
    let r = &p.recurrence;
    json!({
        "kind": p.kind.code(), "name": p.name, "standard_code": p.standard_code, "class": p.target.class,
        "zone": p.target.zone.map(|z| z.to_string()), "enterprise": p.target.enterprise.map(|o| o.to_string()),
        "assets": p.target.assets.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "anchor": r.anchor().to_string(), "every": format!("{} {}", r.every().count(), r.every().unit_code()),
        "shift": r.shift().code(), "assignee_org": p.assignee_org_id.map(|o| o.to_string()),
        "assignee_user": p.assignee_user_id.map(|u| u.to_string()), "owner": p.owner_user_id.map(|u| u.to_string()),
        "lead_days": p.lead_days, "grace_days": p.grace_days, "escalate_after_days": p.escalate_after_days,
        "paused": p.paused, "revision": p.revision,
    })
}

/// The status shown for a task, in the order that matters to people: `done` or `cancelled`;
/// else `escalated`, `overdue`; else `in_progress` or `open`.
#[must_use]
pub fn task_status(t: &TaskRecord) -> &'static str {
    match t.state {
        TaskState::Done | TaskState::Cancelled => t.state.code(),
        TaskState::Open | TaskState::InProgress if t.escalated_at.is_some() => "escalated",
        TaskState::Open | TaskState::InProgress if t.overdue_at.is_some() => "overdue",
        TaskState::Open | TaskState::InProgress => t.state.code(),
    }
}

/// Every status [`task_status`] gives, in display order.
pub const TASK_STATUSES: [&str; 6] = ["open", "in_progress", "overdue", "escalated", "done", "cancelled"];

/// The posts that do inspections (a plan's or task's assignee holds one).
const WORKING_POSTS: [Post; 4] = [Post::Manager, Post::Technician, Post::Operator, Post::SupplierEngineer];

// ---------------------------------------------------------------------------------------------
// Standards and plans
// ---------------------------------------------------------------------------------------------

impl App {
    /// The latest version of every standard of the caller's park, by class then code.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without `InspectionView`.
    pub async fn inspection_standards(&self, caller: &Caller) -> Result<Vec<StandardRecord>, AppError> {
        let p = caller.require_any(Capability::InspectionView)?;
        let mut out: Vec<_> = latest(self.store.standards(p.park_id).await?).into_values().collect();
        out.sort_by(|a, b| (&a.class, &a.code).cmp(&(&b.class, &b.code)));
        Ok(out)
    }

    /// One standard version and every version of its code, newest first.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for a version of another park or none.
    pub async fn inspection_standard(
        &self,
        caller: &Caller,
        id: StandardId,
    ) -> Result<(StandardRecord, Vec<StandardRecord>), AppError> {
        let p = caller.require_any(Capability::InspectionView)?;
        let s = self.store.standard(id).await?.filter(|s| s.park_id == p.park_id).ok_or(AppError::NotFound)?;
        let versions = self.store.standards(p.park_id).await?.into_iter().filter(|v| v.code == s.code).collect();
        Ok((s, versions))
    }

    /// Issues a new version of a standard (version 1 for a new code). Tasks already generated
    /// keep the version they were generated with.
    ///
    /// # Errors
    /// [`AppError::Invalid`] naming each refused field and item row; nothing is stored then.
    pub async fn save_standard(&self, caller: &Caller, input: StandardInput) -> Result<StandardRecord, AppError> {
        let p = plan_manager(caller)?.clone();
        let mut errors = Vec::new();
        let code = input.code.trim().to_owned();
        if !domain::is_valid_code(&code) {
            errors.push(FieldError::new("code", "err-standard-code-invalid"));
        }
        let name = input.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 {
            errors.push(FieldError::new("name", "err-required-100"));
        }
        if input.change_note.chars().count() > 500 {
            errors.push(FieldError::new("change_note", "err-too-long").arg("max", 500));
        }
        let class = input.class.trim().to_owned();
        let classes = self.assets().classes(caller).await?;
        if !classes.iter().any(|c| c.code == class) {
            errors.push(FieldError::new("class", "err-plan-class"));
        }
        let items: Vec<CheckItem> = input
            .items
            .iter()
            .filter(|i| !(i.code.trim().is_empty() && i.name.trim().is_empty()))
            .enumerate()
            .map(|(n, i)| item_from_input(i, n + 1, &mut errors))
            .collect();
        if let Err(problems) = domain::validate_items(&items) {
            errors.extend(problems.iter().map(standard_error));
        }
        let versions: Vec<StandardRecord> =
            self.store.standards(p.park_id).await?.into_iter().filter(|s| s.code == code).collect();
        if let Some(first) = versions.first()
            && first.class != class
        {
            errors.push(FieldError::new("class", "err-standard-class-fixed"));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let now = self.clock.now();
        let version = versions.iter().map(|v| v.version).max().unwrap_or(0) + 1;
        let s = StandardRecord {
            id: StandardId::from_uuid(uuid::Uuid::now_v7()),
            park_id: p.park_id,
            code,
            version,
            class,
            name,
            items,
            change_note: input.change_note.trim().to_owned(),
            created_by: p.username.clone(),
            created_at: now,
        };
        if versions.first().is_some_and(|v| v.name == s.name && v.items == s.items) {
            return Err(AppError::field("items", "err-standard-unchanged"));
        }
        let mut tx = self.store.begin().await?;
        tx.insert_standard(&s).await?;
        let detail = json!({ "code": s.code, "version": s.version, "class": s.class, "items": s.items.len(), "note": s.change_note });
        tx.audit(
            caller.entry(
                "standard.publish",
                "inspection_standard",
                &s.id.to_string(),
                Outcome::Success,
                detail.to_string(),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(s)
    }

    /// Installs the platform's default standards ([`domain::default_standards`]) whose code the
    /// park does not have yet, as version 1 each. Returns how many were installed.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without park-wide `PlanManage`.
    pub async fn install_default_standards(&self, caller: &Caller) -> Result<usize, AppError> {
        let p = plan_manager(caller)?.clone();
        self.install_default_standards_in(caller, p.park_id, &p.username).await
    }

    /// [`App::install_default_standards`] for a park, by the platform (the demo loads them).
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn install_default_standards_in(
        &self,
        caller: &Caller,
        park: ParkId,
        by: &str,
    ) -> Result<usize, AppError> {
        let have: BTreeSet<String> = self.store.standards(park).await?.into_iter().map(|s| s.code).collect();
        let now = self.clock.now();
        let missing: Vec<_> = domain::default_standards().into_iter().filter(|d| !have.contains(d.code)).collect();
        if missing.is_empty() {
            return Ok(0);
        }
        let mut tx = self.store.begin().await?;
        for d in &missing {
            let s = StandardRecord {
                id: StandardId::from_uuid(uuid::Uuid::now_v7()),
                park_id: park,
                code: d.code.to_owned(),
                version: 1,
                class: d.class.to_owned(),
                name: d.name.to_owned(),
                items: d.items.clone(),
                change_note: format!("{} · {}", d.kind.code(), d.cycle),
                created_by: by.to_owned(),
                created_at: now,
            };
            tx.insert_standard(&s).await?;
            let detail =
                json!({ "code": s.code, "version": 1, "class": s.class, "items": s.items.len(), "default": true });
            tx.audit(
                caller.entry(
                    "standard.publish",
                    "inspection_standard",
                    &s.id.to_string(),
                    Outcome::Success,
                    detail.to_string(),
                ),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(missing.len())
    }

    /// The plans of the caller's park, by name.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without `InspectionView`.
    pub async fn schedule_plans(&self, caller: &Caller) -> Result<Vec<PlanRecord>, AppError> {
        let p = caller.require_any(Capability::InspectionView)?;
        Ok(self.store.plans(p.park_id).await?)
    }

    /// A plan with its standard in force, the CIs it covers and its next due dates.
    ///
    /// # Errors
    /// [`AppError::NotFound`].
    pub async fn schedule_plan(&self, caller: &Caller, id: PlanId) -> Result<PlanDetail, AppError> {
        let p = caller.require_any(Capability::InspectionView)?;
        let plan = self.store.plan(id).await?.filter(|x| x.park_id == p.park_id).ok_or(AppError::NotFound)?;
        let standard = self.standard_in_force(&plan).await?;
        let targets = self.plan_targets(&plan).await?.len();
        let cal = self.desk_config().await?.calendar;
        let today = domain::cst_date(self.clock.now()).max(plan.effective_from);
        let until = today.checked_add_days(chrono::Days::new(800)).unwrap_or(today);
        let next_dates =
            parkops_domain::recurrence::occurrences(&plan.recurrence, today, until, &cal).into_iter().take(5).collect();
        Ok(PlanDetail { plan, standard, targets, next_dates })
    }

    /// The latest version of the plan's standard, if it names one.
    pub(crate) async fn standard_in_force(&self, plan: &PlanRecord) -> Result<Option<StandardRecord>, AppError> {
        if plan.standard_code.is_empty() {
            return Ok(None);
        }
        let all = self.store.standards(plan.park_id).await?;
        Ok(latest(all).remove(&plan.standard_code))
    }

    /// The CIs a plan covers now: its explicit list, or its class narrowed by zone and
    /// enterprise — in service only.
    pub(crate) async fn plan_targets(&self, plan: &PlanRecord) -> Result<Vec<AssetRecord>, AppError> {
        if !plan.target.assets.is_empty() {
            let found = self.store.assets_by_ids(&plan.target.assets).await?;
            return Ok(found.into_iter().filter(|a| a.park_id == plan.park_id && a.state.is_in_service()).collect());
        }
        let filter = AssetFilter {
            park_id: Some(plan.park_id),
            classes: vec![plan.target.class.clone()],
            states: vec![LifecycleState::InService],
            zone: plan.target.zone,
            enterprise: plan.target.enterprise,
            ..AssetFilter::default()
        };
        let mut out = Vec::new();
        for page in 1.. {
            let got = self.store.assets(&filter, PageRequest { page, per_page: 500 }).await?;
            let n = got.items.len();
            out.extend(got.items);
            if n < 500 || page > 1000 {
                break;
            }
        }
        Ok(out)
    }

    /// Creates a plan (`id` none) or edits one. An edit raises the revision and leaves an
    /// audit record with the values before and after; tasks already generated stay as they are.
    ///
    /// # Errors
    /// [`AppError::Invalid`] naming each refused field; nothing is stored then.
    pub async fn save_plan(
        &self,
        caller: &Caller,
        id: Option<PlanId>,
        input: PlanInput,
    ) -> Result<PlanRecord, AppError> {
        let p = plan_manager(caller)?.clone();
        let before = match id {
            Some(id) => Some(self.store.plan(id).await?.filter(|x| x.park_id == p.park_id).ok_or(AppError::NotFound)?),
            None => None,
        };
        let mut errors = Vec::new();
        let kind = PlanKind::parse(&input.kind);
        if kind.is_none() {
            errors.push(FieldError::new("kind", "err-plan-kind"));
        }
        let name = input.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 {
            errors.push(FieldError::new("name", "err-required-100"));
        }
        let standards = latest(self.store.standards(p.park_id).await?);
        let standard_code = input.standard_code.trim().to_owned();
        let standard = standards.get(&standard_code);
        let class = match (kind, standard) {
            (_, Some(s)) => s.class.clone(),
            (Some(k), None) if k.uses_standard() || !standard_code.is_empty() => {
                errors.push(FieldError::new("standard_code", "err-plan-standard"));
                String::new()
            }
            _ => {
                let class = input.class.trim().to_owned();
                let classes = self.assets().classes(caller).await?;
                if !classes.iter().any(|c| c.code == class) {
                    errors.push(FieldError::new("class", "err-plan-class"));
                }
                class
            }
        };
        let zone = self.plan_zone(p.park_id, &input.zone, &mut errors).await?;
        let enterprise =
            self.plan_org(p.park_id, &input.enterprise, "enterprise", Some(OrgType::Enterprise), &mut errors).await?;
        let codes = split_list(&input.assets.replace(' ', ","));
        let mut assets = Vec::new();
        if !codes.is_empty() {
            let found = self.store.assets_by_codes(p.park_id, &codes).await?;
            let by_code: BTreeMap<&str, &AssetRecord> = found.iter().map(|a| (a.code.as_str(), a)).collect();
            let unknown: Vec<&str> = codes.iter().map(String::as_str).filter(|c| !by_code.contains_key(c)).collect();
            if !unknown.is_empty() {
                errors.push(FieldError::new("assets", "err-plan-assets").arg("codes", unknown.join("、")));
            }
            let other: Vec<&str> =
                found.iter().filter(|a| !class.is_empty() && a.class != class).map(|a| a.code.as_str()).collect();
            if !other.is_empty() {
                errors.push(FieldError::new("assets", "err-plan-asset-class").arg("codes", other.join("、")));
            }
            let mut seen = BTreeSet::new();
            assets = codes
                .iter()
                .filter_map(|c| by_code.get(c.as_str()))
                .map(|a| a.id)
                .filter(|id| seen.insert(*id))
                .collect();
            if assets.len() > 2000 {
                errors.push(FieldError::new("assets", "err-plan-assets-many").arg("max", 2000));
            }
        }
        let anchor = parse_date(&input.anchor);
        if anchor.is_none() {
            errors.push(FieldError::new("anchor", "err-plan-anchor"));
        }
        let every = input
            .every_count
            .trim()
            .parse::<u32>()
            .ok()
            .and_then(|n| Every::parse(&input.every_unit, n))
            .filter(|e| (1..=e.max_count()).contains(&e.count()));
        if every.is_none() {
            errors.push(FieldError::new("every_count", "err-plan-every"));
        }
        let shift = if input.on_working_days { Shift::NextWorkingDay } else { Shift::Keep };
        let recurrence = match (anchor, every) {
            (Some(a), Some(e)) => Recurrence::new(a, e, shift).ok(),
            _ => None,
        };
        let assignee_org = self.plan_org(p.park_id, &input.assignee_org, "assignee_org", None, &mut errors).await?;
        let assignee_user =
            self.plan_user(p.park_id, &input.assignee_user, "assignee_user", &WORKING_POSTS, &mut errors).await?;
        if let (Some(org), Some(user)) = (assignee_org, &assignee_user)
            && user.org_id != org
        {
            errors.push(FieldError::new("assignee_user", "err-plan-assignee-org"));
        }
        let owner = self.plan_user(p.park_id, &input.owner, "owner", &[Post::Manager], &mut errors).await?;
        let lead = parse_days(&input.lead_days, 90);
        let grace = parse_days(&input.grace_days, 90);
        for (field, ok) in [("lead_days", lead.is_some()), ("grace_days", grace.is_some())] {
            if !ok {
                errors.push(FieldError::new(field, "err-plan-days").arg("max", 90));
            }
        }
        let escalate = if input.escalate_after_days.trim().is_empty() {
            Some(None)
        } else {
            parse_days(&input.escalate_after_days, 365).map(Some)
        };
        if escalate.is_none() {
            errors.push(FieldError::new("escalate_after_days", "err-plan-days").arg("max", 365));
        }
        if input.note.chars().count() > 500 {
            errors.push(FieldError::new("note", "err-too-long").arg("max", 500));
        }
        let (Some(kind), Some(recurrence), Some(lead), Some(grace), Some(escalate)) =
            (kind, recurrence, lead, grace, escalate)
        else {
            return Err(AppError::Invalid(errors));
        };
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let now = self.clock.now();
        let today = domain::cst_date(now);
        let mut plan = before.clone().unwrap_or_else(|| PlanRecord {
            id: PlanId::from_uuid(uuid::Uuid::now_v7()),
            park_id: p.park_id,
            kind,
            name: String::new(),
            standard_code: String::new(),
            target: PlanTarget::default(),
            recurrence,
            assignee_org_id: None,
            assignee_user_id: None,
            owner_user_id: None,
            lead_days: 0,
            grace_days: 0,
            escalate_after_days: None,
            paused: false,
            effective_from: today,
            generated_until: None,
            revision: 0,
            created_by: p.username.clone(),
            created_at: now,
            updated_by: String::new(),
            updated_at: now,
        });
        plan.kind = kind;
        plan.name = name;
        plan.standard_code = standard.map(|s| s.code.clone()).unwrap_or_default();
        plan.target = PlanTarget { class, zone, enterprise, assets };
        plan.recurrence = recurrence;
        plan.assignee_org_id = assignee_org.or(assignee_user.as_ref().map(|u| u.org_id));
        plan.assignee_user_id = assignee_user.map(|u| u.id);
        plan.owner_user_id = owner.map(|u| u.id);
        plan.lead_days = lead;
        plan.grace_days = grace;
        plan.escalate_after_days = escalate;
        if let Some(b) = &before
            && plan_json(b) == plan_json(&plan)
        {
            return Err(AppError::field("name", "err-plan-unchanged"));
        }
        plan.revision += 1;
        plan.updated_by = p.username.clone();
        plan.updated_at = now;
        let mut tx = self.store.begin().await?;
        let (action, detail) = match &before {
            None => {
                tx.insert_plan(&plan).await?;
                ("plan.create", json!({ "after": plan_json(&plan) }))
            }
            Some(b) => {
                tx.update_plan(&plan).await?;
                ("plan.update", json!({ "before": plan_json(b), "after": plan_json(&plan), "note": input.note.trim() }))
            }
        };
        tx.audit(
            caller.entry(action, "schedule_plan", &plan.id.to_string(), Outcome::Success, detail.to_string()),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(plan)
    }

    async fn plan_zone(
        &self,
        park: ParkId,
        text: &str,
        errors: &mut Vec<FieldError>,
    ) -> Result<Option<LocationId>, AppError> {
        let t = text.trim();
        if t.is_empty() {
            return Ok(None);
        }
        let found = self
            .store
            .locations(park)
            .await?
            .into_iter()
            .find(|l| l.level == LocationLevel::Zone && (l.id.to_string() == t || l.code == t));
        if found.is_none() {
            errors.push(FieldError::new("zone", "err-plan-zone"));
        }
        Ok(found.map(|l| l.id))
    }

    async fn plan_org(
        &self,
        park: ParkId,
        text: &str,
        field: &'static str,
        of_type: Option<OrgType>,
        errors: &mut Vec<FieldError>,
    ) -> Result<Option<OrgId>, AppError> {
        let t = text.trim();
        if t.is_empty() {
            return Ok(None);
        }
        let org = match OrgId::parse(t) {
            Ok(id) => self.store.org(id).await?,
            Err(_) => None,
        };
        match org.filter(|o| o.park_id == park && o.is_active && of_type.is_none_or(|k| o.org_type == k)) {
            Some(o) => Ok(Some(o.id)),
            None => {
                errors.push(FieldError::new(field, "err-org"));
                Ok(None)
            }
        }
    }

    async fn plan_user(
        &self,
        park: ParkId,
        text: &str,
        field: &'static str,
        posts: &[Post],
        errors: &mut Vec<FieldError>,
    ) -> Result<Option<crate::ports::UserRecord>, AppError> {
        let t = text.trim();
        if t.is_empty() {
            return Ok(None);
        }
        let user = match UserId::parse(t) {
            Ok(id) => self.store.user(id).await?,
            Err(_) => self.store.user_by_username(t).await?,
        };
        match user.filter(|u| u.park_id == park && u.is_active && u.posts.iter().any(|p| posts.contains(p))) {
            Some(u) => Ok(Some(u)),
            None => {
                errors.push(FieldError::new(field, "err-plan-user"));
                Ok(None)
            }
        }
    }

    /// Pauses a plan (it generates nothing) or resumes it (from today: dates that fell while
    /// it was paused are not caught up).
    ///
    /// # Errors
    /// [`AppError::Conflict`] (`err-plan-already-paused` / `err-plan-not-paused`).
    pub async fn set_plan_paused(
        &self,
        caller: &Caller,
        id: PlanId,
        paused: bool,
        note: &str,
    ) -> Result<PlanRecord, AppError> {
        let p = plan_manager(caller)?.clone();
        let mut plan = self.store.plan(id).await?.filter(|x| x.park_id == p.park_id).ok_or(AppError::NotFound)?;
        if note.chars().count() > 500 {
            return Err(AppError::Invalid(vec![FieldError::new("note", "err-too-long").arg("max", 500)]));
        }
        if plan.paused == paused {
            return Err(AppError::Conflict(
                if paused { "err-plan-already-paused" } else { "err-plan-not-paused" }.to_owned(),
            ));
        }
        let now = self.clock.now();
        plan.paused = paused;
        if !paused {
            plan.effective_from = plan.effective_from.max(domain::cst_date(now));
        }
        plan.revision += 1;
        plan.updated_by = p.username.clone();
        plan.updated_at = now;
        let mut tx = self.store.begin().await?;
        tx.update_plan(&plan).await?;
        let action = if paused { "plan.pause" } else { "plan.resume" };
        tx.audit(
            caller.entry(
                action,
                "schedule_plan",
                &plan.id.to_string(),
                Outcome::Success,
                json!({ "note": note.trim() }).to_string(),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(plan)
    }

    /// Generates the due tasks of every active plan of the caller's park ("生成到期任务").
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without park-wide `PlanManage`.
    pub async fn generate_due_tasks(&self, caller: &Caller) -> Result<GenerateReport, AppError> {
        let p = plan_manager(caller)?.clone();
        let plans: Vec<_> = self.store.plans(p.park_id).await?.into_iter().filter(|x| !x.paused).collect();
        self.generate_for(caller, plans).await
    }

    /// Generates the due tasks of every active plan of every park (the scheduler's job).
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn generate_all_due_tasks(&self) -> Result<GenerateReport, AppError> {
        let plans = self.store.active_plans().await?;
        self.generate_for(&Caller::system(), plans).await
    }

    async fn generate_for(&self, caller: &Caller, plans: Vec<PlanRecord>) -> Result<GenerateReport, AppError> {
        let calendar = self.desk_config().await?.calendar;
        let mut report = GenerateReport::default();
        for plan in plans {
            report.plans += 1;
            report.created += self.generate_plan(caller, plan, &calendar).await?;
        }
        Ok(report)
    }

    async fn generate_plan(
        &self,
        caller: &Caller,
        mut plan: PlanRecord,
        calendar: &parkops_domain::calendar::WorkingCalendar,
    ) -> Result<u64, AppError> {
        let now = self.clock.now();
        let today = domain::cst_date(now);
        let w = domain::generation_window(
            &plan.recurrence,
            calendar,
            plan.effective_from,
            plan.generated_until,
            today,
            plan.lead_days,
        );
        let advanced = plan.generated_until.is_none_or(|g| w.until > g);
        let standard = self.standard_in_force(&plan).await?;
        if plan.kind.uses_standard() && standard.is_none() {
            tracing::warn!(plan = %plan.id, standard = %plan.standard_code, "plan names a standard that does not exist; nothing generated");
            return Ok(0);
        }
        let mut batch = Vec::new();
        let targets = if w.dates.is_empty() { Vec::new() } else { self.plan_targets(&plan).await? };
        if !targets.is_empty() {
            let have: BTreeSet<(AssetId, NaiveDate)> =
                self.store.task_keys(plan.id, &w.dates).await?.into_iter().collect();
            for due in &w.dates {
                let deadline =
                    Deadline { due: *due, grace_days: plan.grace_days, escalate_after_days: plan.escalate_after_days };
                for a in targets.iter().filter(|a| !have.contains(&(a.id, *due))) {
                    batch.push(TaskRecord {
                        id: TaskId::from_uuid(uuid::Uuid::now_v7()),
                        park_id: plan.park_id,
                        plan_id: plan.id,
                        kind: plan.kind,
                        standard_id: standard.as_ref().map(|s| s.id),
                        asset_id: a.id,
                        due_date: *due,
                        overdue_after: deadline.overdue_from(),
                        escalate_after: deadline.escalate_from(),
                        assignee_org_id: plan.assignee_org_id,
                        assignee_user_id: plan.assignee_user_id,
                        state: TaskState::Open,
                        overdue_at: None,
                        escalated_at: None,
                        started_at: None,
                        closed_at: None,
                        closed_by: String::new(),
                        record_ref: String::new(),
                        created_at: now,
                        updated_at: now,
                    });
                }
            }
        }
        if batch.is_empty() && !advanced {
            return Ok(0);
        }
        let mut tx = self.store.begin().await?;
        let created = tx.insert_tasks(&batch).await?;
        plan.generated_until = Some(plan.generated_until.map_or(w.until, |g| g.max(w.until)));
        tx.update_plan(&plan).await?;
        let detail = json!({
            "plan": plan.name, "from": w.from.to_string(), "until": w.until.to_string(),
            "dates": w.dates.iter().map(ToString::to_string).collect::<Vec<_>>(), "created": created,
            "standard_version": standard.as_ref().map(|s| s.version),
        });
        tx.audit(
            caller.entry(
                "schedule.generate",
                "schedule_plan",
                &plan.id.to_string(),
                Outcome::Success,
                detail.to_string(),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Users of the caller's park who may be given tasks (managers, technicians, operators and
    /// supplier engineers), active, by login name: for the assignee choices of forms.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without `InspectionView`.
    pub async fn inspection_people(&self, caller: &Caller) -> Result<Vec<crate::ports::UserRecord>, AppError> {
        let p = caller.require_any(Capability::InspectionView)?;
        let mut out = Vec::new();
        for post in WORKING_POSTS {
            let filter =
                UserFilter { park_id: Some(p.park_id), post: Some(post), active: Some(true), ..UserFilter::default() };
            out.extend(self.store.users(&filter, PageRequest { page: 1, per_page: 200 }).await?.items);
        }
        let mut seen = BTreeSet::new();
        out.retain(|u| seen.insert(u.id));
        out.sort_by(|a, b| a.username.cmp(&b.username));
        Ok(out)
    }
}
