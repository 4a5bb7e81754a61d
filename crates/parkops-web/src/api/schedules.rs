//! Inspections, maintenance and calibration by plan over the API (R-9.1.1a): inspection
//! standards and their versions, plans (create, edit, pause, resume), generation of due tasks,
//! tasks with filters and the calendar of due work, task work (start, assign, cancel),
//! results item by item with photos (base64) and their corrections, and photo downloads.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use parkops_app::AppError;
use parkops_app::ports::PageRequest;
use parkops_app::ports::asset::AssetRecord;
use parkops_app::ports::schedule::{PlanRecord, ResultRecord, StandardRecord, TaskEventRecord, TaskRecord};
use parkops_app::schedule::{
    ItemInput, PhotoUpload, PlanInput, ResultInput, StandardInput, TaskDetail, TaskQuery, item_json, task_status,
};
use parkops_domain::schedule::{PhotoId, PlanId, ResultId, StandardId, TaskId};
use parkops_domain::time::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Body, created, ok, page_json};
use crate::AppState;
use crate::form::IdPath;
use crate::guard::Ctx;

fn time(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| json!(t.rfc3339()))
}

/// A standard version as JSON.
#[must_use]
pub fn standard_json(s: &StandardRecord) -> Value {
    json!({
        "id": s.id.to_string(), "code": s.code, "version": s.version, "class": s.class, "name": s.name,
        "change_note": s.change_note, "created_by": s.created_by, "created_at": s.created_at.rfc3339(),
        "items": s.items.iter().map(item_json).collect::<Vec<_>>(),
    })
}

/// A plan as JSON.
#[must_use]
pub fn plan_json(p: &PlanRecord) -> Value {
    let r = &p.recurrence;
    json!({
        "id": p.id.to_string(), "kind": p.kind.code(), "name": p.name, "standard_code": p.standard_code,
        "target": {
            "class": p.target.class, "zone": p.target.zone.map(|z| z.to_string()),
            "enterprise": p.target.enterprise.map(|o| o.to_string()),
            "assets": p.target.assets.iter().map(ToString::to_string).collect::<Vec<_>>(),
        },
        "recurrence": {
            "anchor": r.anchor().to_string(), "every_unit": r.every().unit_code(), "every_count": r.every().count(),
            "on_working_days": r.shift() == parkops_domain::recurrence::Shift::NextWorkingDay,
        },
        "assignee_org": p.assignee_org_id.map(|o| o.to_string()), "assignee_user": p.assignee_user_id.map(|u| u.to_string()),
        "owner": p.owner_user_id.map(|u| u.to_string()), "lead_days": p.lead_days, "grace_days": p.grace_days,
        "escalate_after_days": p.escalate_after_days, "paused": p.paused, "effective_from": p.effective_from.to_string(),
        "generated_until": p.generated_until.map(|d| d.to_string()), "revision": p.revision,
        "created_by": p.created_by, "created_at": p.created_at.rfc3339(), "updated_by": p.updated_by,
        "updated_at": p.updated_at.rfc3339(),
    })
}

/// A task as JSON, with its CI and plan name when known.
#[must_use]
pub fn task_json(t: &TaskRecord, asset: Option<&AssetRecord>, plan: Option<&PlanRecord>) -> Value {
    json!({
        "id": t.id.to_string(), "plan_id": t.plan_id.to_string(), "plan_name": plan.map(|p| p.name.clone()),
        "kind": t.kind.code(), "standard_id": t.standard_id.map(|s| s.to_string()),
        "asset": asset.map_or_else(|| json!({ "id": t.asset_id.to_string() }), |a| json!({ "id": a.id.to_string(), "code": a.code, "name": a.name, "class": a.class })),
        "due_date": t.due_date.to_string(), "overdue_after": t.overdue_after.rfc3339(), "escalate_after": time(t.escalate_after),
        "assignee_org": t.assignee_org_id.map(|o| o.to_string()), "assignee_user": t.assignee_user_id.map(|u| u.to_string()),
        "state": t.state.code(), "status": task_status(t), "overdue_at": time(t.overdue_at), "escalated_at": time(t.escalated_at),
        "started_at": time(t.started_at), "closed_at": time(t.closed_at), "closed_by": t.closed_by, "record_ref": t.record_ref,
        "created_at": t.created_at.rfc3339(),
    })
}

/// A result version as JSON.
#[must_use]
pub fn result_json(r: &ResultRecord) -> Value {
    json!({
        "id": r.id.to_string(), "task_id": r.task_id.to_string(), "version": r.version,
        "corrects": r.corrects.map(|c| c.to_string()), "reason": r.reason, "standard_id": r.standard_id.to_string(),
        "asset_id": r.asset_id.to_string(), "passed": r.passed, "note": r.note, "ticket_id": r.ticket_id.map(|t| t.to_string()),
        "recorded_by": r.recorded_by, "recorded_at": r.recorded_at.rfc3339(),
        "items": r.items.iter().map(|i| json!({
            "code": i.code, "value": i.value, "verdict": i.verdict.code(), "finding": i.finding.map(|f| f.code()),
            "note": i.note, "photo_id": i.photo_id.map(|p| p.to_string()),
            "photo_href": i.photo_id.map(|p| format!("/api/v1/inspection/photos/{p}")),
        })).collect::<Vec<_>>(),
    })
}

fn event_json(e: &TaskEventRecord) -> Value {
    json!({ "seq": e.seq, "at": e.at.rfc3339(), "actor": e.actor, "kind": e.kind, "note": e.note })
}

fn detail_json(d: &TaskDetail) -> Value {
    let mut v = task_json(&d.task, Some(&d.asset), Some(&d.plan));
    v["standard"] = d.standard.as_ref().map_or(Value::Null, standard_json);
    v["events"] = d.events.iter().map(event_json).collect();
    v["results"] = d.results.iter().map(result_json).collect();
    v["photos"] = d
        .photos
        .iter()
        .map(|p| {
            json!({ "id": p.id.to_string(), "item": p.item_code, "name": p.name, "content_type": p.content_type,
            "size": p.size, "sha256": p.sha256, "created_by": p.created_by, "created_at": p.created_at.rfc3339(),
            "href": format!("/api/v1/inspection/photos/{}", p.id) })
        })
        .collect();
    v["can_record"] = json!(d.can_record);
    v
}

fn text_of(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Standards
// ---------------------------------------------------------------------------------------------

/// `GET /api/v1/inspection/standards`: the latest version of each.
pub async fn standards(State(state): State<AppState>, ctx: Ctx) -> Response {
    match state.app.inspection_standards(&ctx.caller).await {
        Ok(list) => ok(json!({ "items": list.iter().map(standard_json).collect::<Vec<_>>() })),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /api/v1/inspection/standards/{id}`: a version with every version of its code.
pub async fn standard(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<StandardId>) -> Response {
    match state.app.inspection_standard(&ctx.caller, id).await {
        Ok((s, versions)) => {
            let mut v = standard_json(&s);
            v["versions"] = versions
                .iter()
                .map(|x| json!({ "id": x.id.to_string(), "version": x.version, "change_note": x.change_note, "created_by": x.created_by, "created_at": x.created_at.rfc3339() }))
                .collect();
            ok(v)
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

/// One check item of a standard body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemBody {
    code: String,
    name: String,
    #[serde(default)]
    method: String,
    kind: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    min: Option<Value>,
    #[serde(default)]
    max: Option<Value>,
    #[serde(default)]
    options: Vec<String>,
    #[serde(default)]
    accepted: Vec<String>,
    #[serde(default)]
    expected: Option<bool>,
    #[serde(default)]
    photo_required: bool,
}

/// A new standard version.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandardBody {
    code: String,
    class: String,
    name: String,
    #[serde(default)]
    change_note: String,
    items: Vec<ItemBody>,
}

/// `POST /api/v1/inspection/standards`: a new version (version 1 for a new code).
pub async fn standard_create(State(state): State<AppState>, ctx: Ctx, Body(b): Body<StandardBody>) -> Response {
    let input = StandardInput {
        code: b.code,
        class: b.class,
        name: b.name,
        change_note: b.change_note,
        items: b
            .items
            .into_iter()
            .map(|i| ItemInput {
                code: i.code,
                name: i.name,
                method: i.method,
                kind: i.kind,
                unit: i.unit,
                min: text_of(i.min.as_ref()),
                max: text_of(i.max.as_ref()),
                options: i.options.join("\n"),
                accepted: i.accepted.join("\n"),
                expected: i.expected.map_or_else(String::new, |e| if e { "yes".into() } else { "no".into() }),
                photo_required: i.photo_required,
            })
            .collect(),
    };
    match state.app.save_standard(&ctx.caller, input).await {
        Ok(s) => created(standard_json(&s)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /api/v1/inspection/standards/defaults`: installs the platform's default standards
/// the park does not have yet.
pub async fn standard_defaults(State(state): State<AppState>, ctx: Ctx) -> Response {
    match state.app.install_default_standards(&ctx.caller).await {
        Ok(n) => ok(json!({ "installed": n })),
        Err(e) => ctx.err(e).into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// Plans
// ---------------------------------------------------------------------------------------------

/// `GET /api/v1/inspection/plans`.
pub async fn plans(State(state): State<AppState>, ctx: Ctx) -> Response {
    match state.app.schedule_plans(&ctx.caller).await {
        Ok(list) => ok(json!({ "items": list.iter().map(plan_json).collect::<Vec<_>>() })),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /api/v1/inspection/plans/{id}`: the plan, its standard in force, how many CIs it
/// covers and its next due dates.
pub async fn plan(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<PlanId>) -> Response {
    match state.app.schedule_plan(&ctx.caller, id).await {
        Ok(d) => {
            let mut v = plan_json(&d.plan);
            v["standard"] = d.standard.as_ref().map_or(Value::Null, standard_json);
            v["targets"] = json!(d.targets);
            v["next_due_dates"] = d.next_dates.iter().map(ToString::to_string).collect();
            ok(v)
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

/// A plan as sent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanBody {
    kind: String,
    name: String,
    #[serde(default)]
    standard_code: String,
    #[serde(default)]
    class: String,
    #[serde(default)]
    zone: String,
    #[serde(default)]
    enterprise: String,
    /// CI codes; empty for every CI of the class.
    #[serde(default)]
    assets: Vec<String>,
    anchor: String,
    every_unit: String,
    every_count: u32,
    #[serde(default)]
    on_working_days: bool,
    #[serde(default)]
    assignee_org: String,
    #[serde(default)]
    assignee_user: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    lead_days: u32,
    #[serde(default)]
    grace_days: u32,
    #[serde(default)]
    escalate_after_days: Option<u32>,
    #[serde(default)]
    note: String,
}

impl PlanBody {
    fn input(self) -> PlanInput {
        PlanInput {
            kind: self.kind,
            name: self.name,
            standard_code: self.standard_code,
            class: self.class,
            zone: self.zone,
            enterprise: self.enterprise,
            assets: self.assets.join("\n"),
            anchor: self.anchor,
            every_unit: self.every_unit,
            every_count: self.every_count.to_string(),
            on_working_days: self.on_working_days,
            assignee_org: self.assignee_org,
            assignee_user: self.assignee_user,
            owner: self.owner,
            lead_days: self.lead_days.to_string(),
            grace_days: self.grace_days.to_string(),
            escalate_after_days: self.escalate_after_days.map(|d| d.to_string()).unwrap_or_default(),
            note: self.note,
        }
    }
}

/// `POST /api/v1/inspection/plans`.
pub async fn plan_create(State(state): State<AppState>, ctx: Ctx, Body(b): Body<PlanBody>) -> Response {
    match state.app.save_plan(&ctx.caller, None, b.input()).await {
        Ok(p) => created(plan_json(&p)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `PUT /api/v1/inspection/plans/{id}`: replaces the plan (a new revision, audited).
pub async fn plan_update(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<PlanId>,
    Body(b): Body<PlanBody>,
) -> Response {
    match state.app.save_plan(&ctx.caller, Some(id), b.input()).await {
        Ok(p) => ok(plan_json(&p)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// A note for pausing, resuming, cancelling.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    #[serde(default)]
    note: String,
}

/// `POST /api/v1/inspection/plans/{id}/pause`.
pub async fn plan_pause(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<PlanId>,
    Body(b): Body<NoteBody>,
) -> Response {
    match state.app.set_plan_paused(&ctx.caller, id, true, &b.note).await {
        Ok(p) => ok(plan_json(&p)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /api/v1/inspection/plans/{id}/resume`.
pub async fn plan_resume(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<PlanId>,
    Body(b): Body<NoteBody>,
) -> Response {
    match state.app.set_plan_paused(&ctx.caller, id, false, &b.note).await {
        Ok(p) => ok(plan_json(&p)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /api/v1/inspection/generate`: generates the due tasks of every active plan of the park.
pub async fn generate(State(state): State<AppState>, ctx: Ctx) -> Response {
    match state.app.generate_due_tasks(&ctx.caller).await {
        Ok(r) => ok(json!({ "plans": r.plans, "created": r.created })),
        Err(e) => ctx.err(e).into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// Tasks
// ---------------------------------------------------------------------------------------------

/// Task filters and paging.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TaskParams {
    plan: Option<String>,
    kind: Option<String>,
    status: Option<String>,
    from: Option<String>,
    until: Option<String>,
    assignee: Option<String>,
    asset: Option<String>,
    month: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

impl TaskParams {
    fn query(&self) -> TaskQuery {
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        TaskQuery {
            plan: s(&self.plan),
            kind: s(&self.kind),
            status: s(&self.status),
            from: s(&self.from),
            until: s(&self.until),
            assignee: s(&self.assignee),
            asset: s(&self.asset),
        }
    }
}

/// `GET /api/v1/inspection/tasks`: by due date, with filters (`status`: pending, open,
/// in_progress, done, cancelled, overdue, escalated; `assignee`: me or a user id).
pub async fn tasks(State(state): State<AppState>, ctx: Ctx, Query(q): Query<TaskParams>) -> Response {
    match state.app.schedule_tasks(&ctx.caller, &q.query(), PageRequest::clamped(q.page, q.per_page)).await {
        Ok(l) => ok(page_json(&l.page, |t| task_json(t, l.assets.get(&t.asset_id), l.plans.get(&t.plan_id)))),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /api/v1/inspection/calendar?month=YYYY-MM`: due work per day and plan.
pub async fn calendar(State(state): State<AppState>, ctx: Ctx, Query(q): Query<TaskParams>) -> Response {
    match state.app.due_calendar(&ctx.caller, q.month.as_deref().unwrap_or(""), &q.query()).await {
        Ok(m) => {
            let days: Vec<Value> = m
                .days
                .iter()
                .map(|d| {
                    json!({
                        "date": d.date.to_string(), "plan_id": d.plan_id.to_string(),
                        "plan_name": m.plans.get(&d.plan_id).map(|p| p.name.clone()),
                        "total": d.total, "done": d.done, "overdue": d.overdue,
                    })
                })
                .collect();
            ok(json!({ "month": m.month.format("%Y-%m").to_string(), "days": days }))
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /api/v1/inspection/tasks/{id}`: the task with its standard, timeline, results and photos.
pub async fn task(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<TaskId>) -> Response {
    match state.app.schedule_task(&ctx.caller, id).await {
        Ok(d) => ok(detail_json(&d)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /api/v1/inspection/tasks/{id}/start`.
pub async fn task_start(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<TaskId>) -> Response {
    match state.app.start_task(&ctx.caller, id).await {
        Ok(t) => ok(task_json(&t, None, None)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// Assignment.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    #[serde(default)]
    assignee_org: String,
    #[serde(default)]
    assignee_user: String,
    #[serde(default)]
    note: String,
}

/// `POST /api/v1/inspection/tasks/{id}/assign`.
pub async fn task_assign(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<TaskId>,
    Body(b): Body<AssignBody>,
) -> Response {
    match state.app.assign_task(&ctx.caller, id, &b.assignee_org, &b.assignee_user, &b.note).await {
        Ok(t) => ok(task_json(&t, None, None)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// Cancellation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    reason: String,
}

/// `POST /api/v1/inspection/tasks/{id}/cancel`.
pub async fn task_cancel(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<TaskId>,
    Body(b): Body<CancelBody>,
) -> Response {
    match state.app.cancel_task(&ctx.caller, id, &b.reason).await {
        Ok(t) => ok(task_json(&t, None, None)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// A photo in JSON.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhotoBody {
    name: String,
    content_type: String,
    data_base64: String,
}

/// One item's entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemResultBody {
    code: String,
    #[serde(default)]
    value: Option<Value>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    photo: Option<PhotoBody>,
}

/// A result (or a correction: items left out keep their values; `reason` required).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultBody {
    items: Vec<ItemResultBody>,
    #[serde(default)]
    note: String,
    #[serde(default)]
    reason: String,
}

impl ResultBody {
    fn input(self) -> Result<ResultInput, AppError> {
        let mut input = ResultInput { note: self.note, reason: self.reason, ..ResultInput::default() };
        let mut photos = BTreeMap::new();
        for i in self.items {
            if let Some(v) = &i.value {
                input.values.insert(i.code.clone(), text_of(Some(v)));
            }
            if let Some(n) = i.note {
                input.notes.insert(i.code.clone(), n);
            }
            if let Some(p) = i.photo {
                let data = base64::engine::general_purpose::STANDARD
                    .decode(p.data_base64.trim())
                    .map_err(|_| AppError::field("data_base64", "err-base64"))?;
                photos.insert(i.code, PhotoUpload { name: p.name, content_type: p.content_type, data });
            }
        }
        input.photos = photos;
        Ok(input)
    }
}

/// `POST /api/v1/inspection/tasks/{id}/results`: the original record; an out-of-range result
/// opens a desk ticket (returned as `ticket`).
pub async fn task_record(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<TaskId>,
    Body(b): Body<ResultBody>,
) -> Response {
    let input = match b.input() {
        Ok(i) => i,
        Err(e) => return ctx.err(e).into_response(),
    };
    match state.app.record_result(&ctx.caller, id, input).await {
        Ok(o) => created(json!({
            "result": result_json(&o.result),
            "ticket": o.ticket.as_ref().map(|t| json!({ "id": t.id.to_string(), "number": t.number })),
        })),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /api/v1/inspection/results/{id}`: the version with every version of its task.
pub async fn result(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<ResultId>) -> Response {
    match state.app.inspection_result(&ctx.caller, id).await {
        Ok(d) => {
            let mut v = result_json(&d.result);
            v["versions"] = d.task.results.iter().map(result_json).collect();
            v["task"] = task_json(&d.task.task, Some(&d.task.asset), Some(&d.task.plan));
            ok(v)
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /api/v1/inspection/results/{id}/corrections`: a new version naming this one.
pub async fn result_correct(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<ResultId>,
    Body(b): Body<ResultBody>,
) -> Response {
    let input = match b.input() {
        Ok(i) => i,
        Err(e) => return ctx.err(e).into_response(),
    };
    match state.app.correct_result(&ctx.caller, id, input).await {
        Ok(o) => created(json!({
            "result": result_json(&o.result),
            "ticket": o.ticket.as_ref().map(|t| json!({ "id": t.id.to_string(), "number": t.number })),
        })),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /api/v1/inspection/photos/{id}`.
pub async fn photo(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<PhotoId>) -> Response {
    match state.app.inspection_photo(&ctx.caller, id).await {
        Ok((p, data)) => crate::pages::desk::attachment_response(&p.name, &p.content_type, data),
        Err(e) => ctx.err(e).into_response(),
    }
}
