//! The storage port of inspections, maintenance and calibration by plan (R-9.1.1a): the
//! versions of inspection standards, plans, the tasks they generate with their timeline, and
//! result records with their item values and photos.
//!
//! Standard versions, task timelines, result records, their items and photos are records:
//! append-only (a correction is a new result version naming the one it corrects).

use async_trait::async_trait;
use chrono::NaiveDate;
use parkops_domain::asset::{AssetId, LocationId};
use parkops_domain::id::{OrgId, ParkId, UserId};
use parkops_domain::recurrence::Recurrence;
use parkops_domain::schedule::{
    CheckItem, Finding, PhotoId, PlanId, PlanKind, ResultId, StandardId, TaskId, TaskState, Verdict,
};
use parkops_domain::time::Timestamp;

use super::{Page, PageRequest};
use crate::StoreError;

/// One version of an inspection standard (append-only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandardRecord {
    /// Identifier of this version.
    pub id: StandardId,
    /// Park.
    pub park_id: ParkId,
    /// Code, the same for every version, e.g. `camera_monthly`.
    pub code: String,
    /// Version, from 1.
    pub version: i64,
    /// CI class code it applies to.
    pub class: String,
    /// Name.
    pub name: String,
    /// Check items in order.
    pub items: Vec<CheckItem>,
    /// Why this version was issued.
    pub change_note: String,
    /// Author (login name).
    pub created_by: String,
    /// Issued.
    pub created_at: Timestamp,
}

/// Which CIs a plan covers: a class, optionally narrowed by zone and enterprise, or an
/// explicit list. Only CIs in service get tasks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanTarget {
    /// Class code.
    pub class: String,
    /// Only CIs in this zone.
    pub zone: Option<LocationId>,
    /// Only CIs of this enterprise.
    pub enterprise: Option<OrgId>,
    /// These CIs only (when not empty).
    pub assets: Vec<AssetId>,
}

/// A plan. Edits replace the row, raise `revision` and leave an audit record with the
/// values before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRecord {
    /// Identifier.
    pub id: PlanId,
    /// Park.
    pub park_id: ParkId,
    /// Inspection, maintenance or calibration.
    pub kind: PlanKind,
    /// Name.
    pub name: String,
    /// The standard used (its code; tasks take the version in force when generated). Empty
    /// for a calibration plan, whose tasks are completed by calibration records.
    pub standard_code: String,
    /// Which CIs.
    pub target: PlanTarget,
    /// When tasks fall due.
    pub recurrence: Recurrence,
    /// Organisation the tasks go to.
    pub assignee_org_id: Option<OrgId>,
    /// Person the tasks go to.
    pub assignee_user_id: Option<UserId>,
    /// The manager answerable for the plan (escalations go to them).
    pub owner_user_id: Option<UserId>,
    /// Tasks appear this many days before they are due.
    pub lead_days: u32,
    /// Days after the due date before a task is overdue.
    pub grace_days: u32,
    /// Days overdue before escalation (`None`: never).
    pub escalate_after_days: Option<u32>,
    /// Paused plans generate nothing.
    pub paused: bool,
    /// No task is generated for a date before this (creation or resumption day).
    pub effective_from: NaiveDate,
    /// Due dates up to here have been generated.
    pub generated_until: Option<NaiveDate>,
    /// Edits so far, from 1.
    pub revision: i64,
    /// Who created it.
    pub created_by: String,
    /// Created.
    pub created_at: Timestamp,
    /// Who changed it last.
    pub updated_by: String,
    /// Last change.
    pub updated_at: Timestamp,
}

/// A task: one CI, one due date, one plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRecord {
    /// Identifier.
    pub id: TaskId,
    /// Park.
    pub park_id: ParkId,
    /// Plan.
    pub plan_id: PlanId,
    /// The plan's kind (kept for filters).
    pub kind: PlanKind,
    /// The standard version in force when generated (none for calibration tasks).
    pub standard_id: Option<StandardId>,
    /// The CI.
    pub asset_id: AssetId,
    /// Due date.
    pub due_date: NaiveDate,
    /// When it becomes overdue.
    pub overdue_after: Timestamp,
    /// When it is escalated, if ever.
    pub escalate_after: Option<Timestamp>,
    /// Organisation it is assigned to.
    pub assignee_org_id: Option<OrgId>,
    /// Person it is assigned to.
    pub assignee_user_id: Option<UserId>,
    /// Work state.
    pub state: TaskState,
    /// Marked overdue (once).
    pub overdue_at: Option<Timestamp>,
    /// Escalated (once).
    pub escalated_at: Option<Timestamp>,
    /// Work began.
    pub started_at: Option<Timestamp>,
    /// Completed or cancelled.
    pub closed_at: Option<Timestamp>,
    /// Who completed or cancelled it.
    pub closed_by: String,
    /// What completed it: `result:<id>` or another register's record (`calibration:<id>`).
    pub record_ref: String,
    /// Generated.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// One entry of a task's timeline (append-only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskEventRecord {
    /// Task.
    pub task_id: TaskId,
    /// Position, from 1 (assigned by the store).
    pub seq: i64,
    /// When.
    pub at: Timestamp,
    /// Who (login name or `system`).
    pub actor: String,
    /// What: `started`, `assigned`, `overdue`, `escalated`, `completed`, `corrected`, `cancelled`.
    pub kind: String,
    /// Free text.
    pub note: String,
}

/// One item of a result record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultItemRecord {
    /// Item code in the standard version.
    pub code: String,
    /// The value in canonical form.
    pub value: String,
    /// Pass or fail, as computed from the standard.
    pub verdict: Verdict,
    /// Why it failed.
    pub finding: Option<Finding>,
    /// Note.
    pub note: String,
    /// Photo taken for it.
    pub photo_id: Option<PhotoId>,
}

/// One version of a task's result (append-only). Version 1 is the original; each correction
/// is a new version naming the one it corrects and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultRecord {
    /// Identifier.
    pub id: ResultId,
    /// Park.
    pub park_id: ParkId,
    /// Task.
    pub task_id: TaskId,
    /// Version, from 1.
    pub version: i64,
    /// The version it corrects.
    pub corrects: Option<ResultId>,
    /// Why it was corrected (empty for the original).
    pub reason: String,
    /// Standard version the items follow.
    pub standard_id: StandardId,
    /// The CI.
    pub asset_id: AssetId,
    /// Whether every item passed.
    pub passed: bool,
    /// Overall note.
    pub note: String,
    /// The desk ticket an out-of-range result opened.
    pub ticket_id: Option<uuid::Uuid>,
    /// Who recorded it (login name).
    pub recorded_by: String,
    /// When.
    pub recorded_at: Timestamp,
    /// The items, in the standard's order.
    pub items: Vec<ResultItemRecord>,
}

/// A photo kept with its SHA-256 (append-only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoRecord {
    /// Identifier.
    pub id: PhotoId,
    /// Park.
    pub park_id: ParkId,
    /// Task.
    pub task_id: TaskId,
    /// Item code it was taken for.
    pub item_code: String,
    /// File name.
    pub name: String,
    /// MIME type.
    pub content_type: String,
    /// Size in bytes.
    pub size: i64,
    /// SHA-256, hex.
    pub sha256: String,
    /// Uploaded by.
    pub created_by: String,
    /// Uploaded.
    pub created_at: Timestamp,
}

/// A task's lateness, for filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lateness {
    /// Pending and marked overdue (escalated or not).
    Overdue,
    /// Pending and escalated.
    Escalated,
}

/// Filter for task lists and the calendar.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskFilter {
    /// Park.
    pub park_id: Option<ParkId>,
    /// Plan.
    pub plan_id: Option<PlanId>,
    /// Kind.
    pub kind: Option<PlanKind>,
    /// States (empty: all).
    pub states: Vec<TaskState>,
    /// Only late tasks.
    pub lateness: Option<Lateness>,
    /// Due from (inclusive).
    pub due_from: Option<NaiveDate>,
    /// Due until (inclusive).
    pub due_until: Option<NaiveDate>,
    /// Assigned to this person.
    pub assignee_user: Option<UserId>,
    /// Assigned to this organisation.
    pub assignee_org: Option<OrgId>,
    /// This CI.
    pub asset_id: Option<AssetId>,
    /// Own-organisation scope: assigned to this organisation, or about a CI it owns or
    /// maintains.
    pub org_scope: Option<OrgId>,
}

/// Tasks of one plan due on one day, by state (the calendar's cells).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayCount {
    /// Due date.
    pub date: NaiveDate,
    /// Plan.
    pub plan_id: PlanId,
    /// All tasks.
    pub total: i64,
    /// Done.
    pub done: i64,
    /// Pending and overdue.
    pub overdue: i64,
}

/// Schedule reads.
#[async_trait]
pub trait ScheduleReads: Send + Sync {
    /// Every version of every standard of a park, by code then newest version first.
    async fn standards(&self, park: ParkId) -> Result<Vec<StandardRecord>, StoreError>;
    /// One standard version.
    async fn standard(&self, id: StandardId) -> Result<Option<StandardRecord>, StoreError>;
    /// The plans of a park, by name.
    async fn plans(&self, park: ParkId) -> Result<Vec<PlanRecord>, StoreError>;
    /// Every plan that is not paused, of all parks (for the generation job).
    async fn active_plans(&self) -> Result<Vec<PlanRecord>, StoreError>;
    /// One plan.
    async fn plan(&self, id: PlanId) -> Result<Option<PlanRecord>, StoreError>;
    /// Tasks matching a filter, by due date.
    async fn tasks(&self, filter: &TaskFilter, page: PageRequest) -> Result<Page<TaskRecord>, StoreError>;
    /// One task.
    async fn task(&self, id: TaskId) -> Result<Option<TaskRecord>, StoreError>;
    /// The CIs that already have a task of `plan` due on each of `dates`.
    async fn task_keys(&self, plan: PlanId, dates: &[NaiveDate]) -> Result<Vec<(AssetId, NaiveDate)>, StoreError>;
    /// Pending tasks of all parks that are past their overdue or escalation instant and not yet
    /// marked for it, oldest due first.
    async fn tasks_to_watch(&self, now: Timestamp, limit: i64) -> Result<Vec<TaskRecord>, StoreError>;
    /// Counts per due date and plan for a filter (the calendar).
    async fn task_day_counts(&self, filter: &TaskFilter) -> Result<Vec<DayCount>, StoreError>;
    /// A task's timeline, in order.
    async fn task_events(&self, id: TaskId) -> Result<Vec<TaskEventRecord>, StoreError>;
    /// Every result version of a task, oldest first, with items.
    async fn results(&self, task: TaskId) -> Result<Vec<ResultRecord>, StoreError>;
    /// One result version with its items.
    async fn result(&self, id: ResultId) -> Result<Option<ResultRecord>, StoreError>;
    /// The photos of a task (without content).
    async fn photos(&self, task: TaskId) -> Result<Vec<PhotoRecord>, StoreError>;
    /// A photo with its content.
    async fn photo(&self, id: PhotoId) -> Result<Option<(PhotoRecord, Vec<u8>)>, StoreError>;
}

/// Schedule writes (inside a [`super::Tx`], so each comes with its audit record).
#[async_trait]
pub trait ScheduleWrites: Send {
    /// Adds a standard version ([`StoreError::Conflict`] `inspection_standard_version` when the
    /// version exists).
    async fn insert_standard(&mut self, s: &StandardRecord) -> Result<(), StoreError>;
    /// Adds a plan.
    async fn insert_plan(&mut self, p: &PlanRecord) -> Result<(), StoreError>;
    /// Replaces a plan's mutable fields.
    async fn update_plan(&mut self, p: &PlanRecord) -> Result<(), StoreError>;
    /// Adds tasks, skipping any whose plan, CI and due date exist; returns how many were added.
    async fn insert_tasks(&mut self, batch: &[TaskRecord]) -> Result<u64, StoreError>;
    /// Replaces a task's mutable fields (state, assignment, marks, completion).
    async fn update_task(&mut self, t: &TaskRecord) -> Result<(), StoreError>;
    /// Appends to a task's timeline; returns the seq given.
    async fn append_task_event(&mut self, e: &TaskEventRecord) -> Result<i64, StoreError>;
    /// Adds a result version with its items ([`StoreError::Conflict`]
    /// `inspection_result_version` when the task has this version already).
    async fn insert_result(&mut self, r: &ResultRecord) -> Result<(), StoreError>;
    /// Adds a photo.
    async fn insert_photo(&mut self, p: &PhotoRecord, data: &[u8]) -> Result<(), StoreError>;
}
