//! The calibration register over the API (R-9.1.1d): records with their versions, corrections
//! and attachments, the overdue and due-soon lists with their counts, and the class cycles.

use axum::extract::{Query, Request, State};
use axum::response::{IntoResponse, Response};
use parkops_app::calibration::{
    CalibrationDetail, CalibrationInput, CycleInput, CycleView, DueList, PointInput, RegisterList, date_text,
};
use parkops_app::ports::PageRequest;
use parkops_app::ports::calibration::{CalibrationAttachment, CalibrationRecord};
use parkops_domain::calibration::CalibrationId;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Body, created, ok};
use crate::AppState;
use crate::form::IdPath;
use crate::guard::Ctx;
use crate::pages::calibration::{DueParams, RegisterParams};
use crate::registry::RouteId;

/// A record version as JSON.
#[must_use]
pub fn record_json(r: &CalibrationRecord) -> Value {
    json!({
        "id": r.id.to_string(), "asset_id": r.asset_id.to_string(), "class": r.class, "version": r.version,
        "root_id": r.root_id.to_string(), "corrects_id": r.corrects_id.map(|c| c.to_string()),
        "correction_reason": r.correction_reason, "method": r.method.code(), "standard_name": r.standard_name,
        "standard_certificate": r.standard_certificate,
        "standard_valid_until": r.standard_valid_until.map(date_text), "certificate_no": r.certificate_no,
        "performer": r.performer, "performer_org_id": r.performer_org_id.map(|o| o.to_string()),
        "performed_on": date_text(r.performed_on), "conclusion": r.conclusion.code(),
        "points": r.points.iter().map(|p| json!({
            "nominal": p.nominal, "reading": p.reading, "error": p.error,
            "allowed": if p.allowed.is_empty() { Value::Null } else { json!(p.allowed) },
        })).collect::<Vec<_>>(),
        "cycle": r.cycle.code(), "computed_due": date_text(r.computed_due), "next_due": date_text(r.next_due),
        "next_due_reason": r.next_due_reason, "task_id": r.task_id.map(|t| t.to_string()), "note": r.note,
        "created_by": r.created_by, "created_at": r.created_at.rfc3339(),
    })
}

fn attachment_json(a: &CalibrationAttachment) -> Value {
    json!({
        "id": a.id.to_string(), "record_id": a.record_id.to_string(), "name": a.name, "content_type": a.content_type,
        "size": a.size, "sha256": a.sha256, "created_by": a.created_by, "created_at": a.created_at.rfc3339(),
        "href": format!("/api/v1/calibration/attachments/{}", a.id),
    })
}

fn due_state_json(state: parkops_domain::calibration::DueState) -> Value {
    use parkops_domain::calibration::DueState as D;
    let days = match state {
        D::Never => Value::Null,
        D::Overdue { days } | D::DueSoon { days } | D::Valid { days } => json!(days),
    };
    json!({ "state": state.code(), "days": days })
}

fn register_json(list: &RegisterList) -> Value {
    let items: Vec<Value> = list
        .page
        .items
        .iter()
        .map(|row| {
            let mut v = record_json(&row.head.record);
            v["in_force"] = json!(row.head.in_force);
            v["asset_code"] = json!(row.asset.as_ref().map(|a| a.code.clone()));
            v["asset_name"] = json!(row.asset.as_ref().map(|a| a.name.clone()));
            v["due"] = row.due.map_or(Value::Null, due_state_json);
            v
        })
        .collect();
    json!({ "items": items, "total": list.page.total, "page": list.page.request.page, "per_page": list.page.request.per_page })
}

fn detail_json(d: &CalibrationDetail) -> Value {
    json!({
        "asset": { "id": d.asset.id.to_string(), "code": d.asset.code, "name": d.asset.name, "class": d.asset.class,
                   "state": d.asset.state.code() },
        "head": record_json(d.head()),
        "versions": d.versions.iter().map(record_json).collect::<Vec<_>>(),
        "attachments": d.attachments.iter().map(attachment_json).collect::<Vec<_>>(),
        "in_force": d.in_force,
        "status": d.status.as_ref().map(|s| json!({
            "record_id": s.record_id.to_string(), "performed_on": date_text(s.performed_on),
            "conclusion": s.conclusion.code(), "next_due": date_text(s.next_due),
        })),
    })
}

fn due_json(list: &DueList) -> Value {
    let items: Vec<Value> = list
        .page
        .items
        .iter()
        .map(|item| {
            let a = &item.row.asset;
            let s = item.row.status.as_ref();
            json!({
                "asset_id": a.id.to_string(), "code": a.code, "name": a.name, "class": a.class, "state": a.state.code(),
                "enterprise_org_id": a.enterprise_org_id.map(|o| o.to_string()),
                "zone_id": a.location.zone.map(|z| z.to_string()),
                "record_id": s.map(|s| s.record_id.to_string()),
                "performed_on": s.map(|s| date_text(s.performed_on)),
                "conclusion": s.map(|s| s.conclusion.code()),
                "next_due": s.map(|s| date_text(s.next_due)),
                "due": due_state_json(item.state),
            })
        })
        .collect();
    let counts: Vec<Value> = list
        .counts
        .iter()
        .map(|c| {
            json!({
                "enterprise_org_id": c.enterprise.map(|o| o.to_string()), "class": c.class, "total": c.total,
                "never": c.never, "overdue": c.overdue, "due_soon": c.due_soon,
            })
        })
        .collect();
    json!({
        "today": date_text(list.today), "counts": counts, "items": items, "total": list.page.total,
        "page": list.page.request.page, "per_page": list.page.request.per_page,
    })
}

fn cycle_json(v: &CycleView) -> Value {
    json!({
        "class": v.cycle.class, "class_name": v.class_name, "enabled": v.cycle.enabled,
        "cycle_months": v.cycle.months, "method": v.cycle.method.code(), "basis": v.cycle.basis,
        "version": v.version, "updated_by": v.updated_by, "updated_at": v.updated_at.map(|t| t.rfc3339()),
    })
}

/// Register query: the page filters plus paging.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    class: Option<String>,
    enterprise: Option<String>,
    zone: Option<String>,
    conclusion: Option<String>,
    method: Option<String>,
    from: Option<String>,
    until: Option<String>,
    q: Option<String>,
    asset: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// `GET /api/v1/calibration/records`.
pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListParams>) -> Response {
    let params = RegisterParams {
        class: q.class,
        enterprise: q.enterprise,
        zone: q.zone,
        conclusion: q.conclusion,
        method: q.method,
        from: q.from,
        until: q.until,
        q: q.q,
        asset: q.asset,
        page: q.page,
        ok: None,
    };
    let page = PageRequest::clamped(q.page, q.per_page);
    match state.app.calibration_register(&ctx.caller, &params.query(), page).await {
        Ok(l) => ok(register_json(&l)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// A measured point in a body; numbers as strings or JSON numbers.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointBody {
    nominal: Value,
    reading: Value,
    #[serde(default)]
    error: Value,
    #[serde(default)]
    allowed: Value,
}

fn number_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Record body (also the correction's, with `reason`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordBody {
    #[serde(default)]
    asset: String,
    #[serde(default)]
    method: String,
    standard_name: String,
    #[serde(default)]
    standard_certificate: String,
    #[serde(default)]
    standard_valid_until: String,
    certificate_no: String,
    #[serde(default)]
    performer: String,
    #[serde(default)]
    performer_org_id: String,
    performed_on: String,
    conclusion: String,
    #[serde(default)]
    points: Vec<PointBody>,
    #[serde(default)]
    next_due: String,
    #[serde(default)]
    next_due_reason: String,
    #[serde(default)]
    task_id: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    reason: String,
}

impl RecordBody {
    fn input(self) -> (CalibrationInput, String) {
        let input = CalibrationInput {
            asset: self.asset,
            method: self.method,
            standard_name: self.standard_name,
            standard_certificate: self.standard_certificate,
            standard_valid_until: self.standard_valid_until,
            certificate_no: self.certificate_no,
            performer: self.performer,
            performer_org: self.performer_org_id,
            performed_on: self.performed_on,
            conclusion: self.conclusion,
            points: self
                .points
                .iter()
                .map(|p| PointInput {
                    nominal: number_text(&p.nominal),
                    reading: number_text(&p.reading),
                    error: number_text(&p.error),
                    allowed: number_text(&p.allowed),
                })
                .collect(),
            next_due: self.next_due,
            next_due_reason: self.next_due_reason,
            task: self.task_id,
            note: self.note,
        };
        (input, self.reason)
    }
}

fn outcome_json(out: &parkops_app::calibration::RecordOutcome) -> Value {
    let mut v = record_json(&out.record);
    v["in_force"] = json!(out.in_force);
    v["fault_opened"] = json!(out.fault_opened);
    v
}

/// `POST /api/v1/calibration/records`.
pub async fn create(State(state): State<AppState>, ctx: Ctx, Body(b): Body<RecordBody>) -> Response {
    let (input, _) = b.input();
    match state.app.record_calibration(&ctx.caller, input).await {
        Ok(out) => created(outcome_json(&out)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /api/v1/calibration/records/{id}`: any version's id gives the record with every version.
pub async fn show(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<uuid::Uuid>) -> Response {
    match state.app.calibration_detail(&ctx.caller, CalibrationId::from_uuid(id)).await {
        Ok(d) => ok(detail_json(&d)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /api/v1/calibration/records/{id}/corrections`: the full corrected record and `reason`.
pub async fn correct(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    Body(b): Body<RecordBody>,
) -> Response {
    let (input, reason) = b.input();
    match state.app.correct_calibration(&ctx.caller, CalibrationId::from_uuid(id), input, &reason).await {
        Ok(out) => created(outcome_json(&out)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /api/v1/calibration/records/{id}/attachments`: JSON `{name, content_type,
/// data_base64}` or a multipart body with a `file` part.
pub async fn attach(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<uuid::Uuid>, req: Request) -> Response {
    let (name, content_type, data) = match super::read_attachment(&state, &ctx, req).await {
        Ok(upload) => upload,
        Err(r) => return r,
    };
    let id = CalibrationId::from_uuid(id);
    match state.app.attach_to_calibration(&ctx.caller, id, &name, &content_type, &data).await {
        Ok(a) => created(attachment_json(&a)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /api/v1/calibration/attachments/{id}`.
pub async fn attachment(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<uuid::Uuid>) -> Response {
    match state.app.calibration_attachment(&ctx.caller, id).await {
        Ok((rec, data)) => crate::pages::desk::attachment_response(&rec.name, &rec.content_type, data),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// Due-list query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DueListParams {
    status: Option<String>,
    class: Option<String>,
    enterprise: Option<String>,
    zone: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// `GET /api/v1/calibration/due`: `status` = `overdue` (default), `due_soon` or `all`.
pub async fn due(State(state): State<AppState>, ctx: Ctx, Query(q): Query<DueListParams>) -> Response {
    let params = DueParams { status: q.status, class: q.class, enterprise: q.enterprise, zone: q.zone, page: q.page };
    let page = PageRequest::clamped(q.page, q.per_page);
    match state.app.calibration_due(&ctx.caller, &params.query(), page).await {
        Ok(l) => ok(due_json(&l)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /api/v1/calibration/cycles`.
pub async fn cycles(State(state): State<AppState>, ctx: Ctx) -> Response {
    match state.app.calibration_cycles(&ctx.caller).await {
        Ok(s) => ok(json!({
            "cycles": s.cycles.iter().map(cycle_json).collect::<Vec<_>>(),
            "history": s.history.iter().map(|h| json!({
                "class": h.class, "version": h.version, "enabled": h.enabled, "cycle_months": h.cycle_months,
                "method": h.method.code(), "basis": h.basis, "note": h.note, "created_by": h.created_by,
                "created_at": h.created_at.rfc3339(),
            })).collect::<Vec<_>>(),
        })),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// Cycle body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CycleBody {
    class: String,
    enabled: bool,
    cycle_months: Value,
    method: String,
    #[serde(default)]
    basis: String,
    #[serde(default)]
    note: String,
}

/// `PUT /api/v1/calibration/cycles`: a new version of one class's cycle.
pub async fn cycle_update(State(state): State<AppState>, ctx: Ctx, Body(b): Body<CycleBody>) -> Response {
    let input = CycleInput {
        class: b.class,
        enabled: b.enabled,
        cycle_months: number_text(&b.cycle_months),
        method: b.method,
        basis: b.basis,
        note: b.note,
    };
    match state.app.set_calibration_cycle(&ctx.caller, input).await {
        Ok(v) => ok(cycle_json(&v)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// The request-body schemas of this module's routes, for the OpenAPI document.
#[must_use]
pub fn request_schema(id: RouteId) -> Option<Value> {
    let s = |props: Value, required: &[&str]| json!({ "type": "object", "additionalProperties": false, "properties": props, "required": required });
    let text = json!({ "type": "string" });
    let date = json!({ "type": "string", "format": "date" });
    let number = json!({ "type": ["string", "number"] });
    let codes = |all: Vec<&'static str>| json!({ "type": "string", "enum": all });
    use parkops_domain::calibration::{Conclusion, Method};
    match id {
        RouteId::ApiCalibrationCreate | RouteId::ApiCalibrationCorrect => {
            let point = s(
                json!({ "nominal": number, "reading": number, "error": number, "allowed": number }),
                &["nominal", "reading"],
            );
            let props = json!({
                "asset": { "type": "string", "description": "the CI's id or code (a correction: empty or the same CI)" },
                "method": codes(Method::ALL.iter().map(|m| m.code()).collect()),
                "standard_name": text, "standard_certificate": text, "standard_valid_until": date,
                "certificate_no": text, "performer": text, "performer_org_id": text, "performed_on": date,
                "conclusion": codes(Conclusion::ALL.iter().map(|c| c.code()).collect()),
                "points": { "type": "array", "maxItems": parkops_app::calibration::MAX_POINTS, "items": point },
                "next_due": { "type": "string", "format": "date", "description": "empty: one cycle after performed_on" },
                "next_due_reason": text, "task_id": text, "note": text,
                "reason": { "type": "string", "description": "why the record is corrected (corrections only)" },
            });
            let required: &[&str] = if id == RouteId::ApiCalibrationCreate {
                &["asset", "standard_name", "certificate_no", "performed_on", "conclusion"]
            } else {
                &["standard_name", "certificate_no", "performed_on", "conclusion", "reason"]
            };
            Some(s(props, required))
        }
        RouteId::ApiCalibrationAttach => Some(s(
            json!({ "name": text, "content_type": text, "data_base64": { "type": "string", "contentEncoding": "base64" } }),
            &["name", "data_base64"],
        )),
        RouteId::ApiCalibrationCycleUpdate => Some(s(
            json!({ "class": text, "enabled": { "type": "boolean" },
                    "cycle_months": { "type": ["integer", "string"], "minimum": 1, "maximum": parkops_domain::calibration::MAX_CYCLE_MONTHS },
                    "method": codes(Method::ALL.iter().map(|m| m.code()).collect()), "basis": text, "note": text }),
            &["class", "enabled", "cycle_months", "method"],
        )),
        _ => None,
    }
}
