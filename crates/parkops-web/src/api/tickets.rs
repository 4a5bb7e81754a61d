//! The service desk over the API: tickets, their lifecycle, notes, attachments and ratings;
//! statistics; the SLA policy, calendar and support lines; notifications; progress lookup.

use axum::extract::{Query, Request, State};
use axum::response::{IntoResponse, Response};
use parkops_app::AppError;
use parkops_app::desk::{ClockView, NewTicket, TicketDetail};
use parkops_app::ports::PageRequest;
use parkops_app::ports::desk::{AttachmentRecord, NotificationRecord, SupportLineRecord, TicketEvent, TicketRecord};
use parkops_domain::ticket::{self, SupportLine, TicketState};
use parkops_domain::time::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Body, created, ok, page_json};
use crate::AppState;
use crate::form::{IdPath, Year};
use crate::guard::Ctx;
use crate::pages::desk::ListQuery;

fn time(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| json!(t.rfc3339()))
}

/// A ticket as JSON.
#[must_use]
pub fn ticket_json(t: &TicketRecord) -> Value {
    let (waiting_on, closed_by) = match &t.state {
        TicketState::Waiting { on, .. } => (json!(on.code()), Value::Null),
        TicketState::Closed { by, .. } => (Value::Null, json!(by.code())),
        _ => (Value::Null, Value::Null),
    };
    json!({
        "id": t.id.to_string(), "number": t.number, "kind": t.kind.code(), "level": t.level.code(),
        "priority": t.priority.code(), "domain": t.domain.code(), "handling_mode": t.handling_mode.code(),
        "line": t.line.code(), "state": ticket::state_code(&t.state), "waiting_on": waiting_on, "closed_by": closed_by,
        "title": t.title, "description": t.description,
        "reporter_user_id": t.reporter_user_id.map(|u| u.to_string()), "reporter_name": t.reporter_name,
        "enterprise_org_id": t.enterprise_org_id.map(|o| o.to_string()), "location": t.location, "affected": t.affected,
        "asset_id": t.asset_id.map(|a| a.to_string()),
        "assignee_user_id": t.assignee_user_id.map(|u| u.to_string()), "sla_version": t.sla_version,
        "coverage": t.coverage, "response_due_at": time(t.response_due_at), "resolve_due_at": time(t.resolve_due_at),
        "acknowledged_at": time(t.acknowledged_at), "resolved_at": time(t.resolved_at),
        "rating": t.rating, "rating_comment": t.rating_comment,
        "created_by": t.created_by, "created_at": t.created_at.rfc3339(), "updated_at": t.updated_at.rfc3339(),
    })
}

fn clock_json(c: &ClockView) -> Value {
    json!({
        "target_minutes": c.target.num_minutes(), "elapsed_minutes": c.elapsed.num_minutes(), "percent": c.percent,
        "due_at": time(c.due), "running": c.running,
    })
}

fn event_json(e: &TicketEvent) -> Value {
    json!({ "seq": e.seq, "at": e.at.rfc3339(), "actor": e.actor, "kind": e.kind, "from": e.from_state, "to": e.to_state, "note": e.note })
}

fn attachment_json(a: &AttachmentRecord) -> Value {
    json!({
        "id": a.id.to_string(), "name": a.name, "content_type": a.content_type, "size": a.size, "sha256": a.sha256,
        "created_by": a.created_by, "created_at": a.created_at.rfc3339(),
        "href": format!("/api/v1/attachments/{}", a.id),
    })
}

fn detail_json(d: &TicketDetail, staff: bool) -> Value {
    let mut v = ticket_json(&d.ticket);
    v["events"] = d
        .events
        .iter()
        .filter(|e| staff || !matches!(e.kind.as_str(), "handover" | "sla_warning" | "sla_breach"))
        .map(event_json)
        .collect();
    v["pauses"] = d.pauses.iter().map(|p| json!({ "start": p.start.rfc3339(), "end": time(p.end) })).collect();
    v["attachments"] = d.attachments.iter().map(attachment_json).collect();
    v["clocks"] = json!({ "response": clock_json(&d.response), "resolve": clock_json(&d.resolve) });
    v
}

/// List query: the page filters plus paging.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    state: Option<String>,
    level: Option<String>,
    kind: Option<String>,
    domain: Option<String>,
    line: Option<String>,
    assignee: Option<String>,
    reported: Option<String>,
    q: Option<String>,
    from: Option<String>,
    until: Option<String>,
    asset: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

impl ListParams {
    fn query(&self) -> ListQuery {
        ListQuery {
            state: self.state.clone(),
            level: self.level.clone(),
            kind: self.kind.clone(),
            domain: self.domain.clone(),
            line: self.line.clone(),
            assignee: self.assignee.clone(),
            reported: self.reported.clone(),
            q: self.q.clone(),
            from: self.from.clone(),
            until: self.until.clone(),
            asset: self.asset.clone(),
            page: self.page,
            ok: None,
        }
    }
}

/// `GET /api/v1/tickets`.
pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListParams>) -> Response {
    let me = ctx.caller.principal.as_ref().map(|p| p.user_id);
    let filter = q.query().filter(me);
    match state.app.ticket_queue(&ctx.caller, filter, PageRequest::clamped(q.page, q.per_page)).await {
        Ok(p) => ok(page_json(&p, ticket_json)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// Create body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    kind: String,
    level: String,
    #[serde(default)]
    priority: String,
    domain: String,
    #[serde(default)]
    handling_mode: String,
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    affected: String,
    #[serde(default)]
    asset_code: String,
    #[serde(default)]
    enterprise_org_id: String,
    #[serde(default)]
    reporter_name: String,
    #[serde(default)]
    reporter_phone: String,
}

/// `POST /api/v1/tickets`.
pub async fn create(State(state): State<AppState>, ctx: Ctx, Body(b): Body<CreateBody>) -> Response {
    let input = NewTicket {
        kind: b.kind,
        level: b.level,
        priority: b.priority,
        domain: b.domain,
        handling_mode: b.handling_mode,
        title: b.title,
        description: b.description,
        reporter_name: b.reporter_name,
        reporter_phone: b.reporter_phone,
        enterprise_org_id: b.enterprise_org_id,
        location: b.location,
        affected: b.affected,
        asset_code: b.asset_code,
    };
    match state.app.open_ticket(&ctx.caller, input).await {
        Ok(t) => created(ticket_json(&t)),
        Err(e) => ctx.err(e).into_response(),
    }
}

async fn detail(state: &AppState, ctx: &Ctx, id: uuid::Uuid) -> Response {
    let staff = ctx.caller.principal.as_ref().is_some_and(|p| p.has(parkops_domain::access::Capability::TicketView));
    match state.app.ticket_detail(&ctx.caller, id).await {
        Ok(d) => ok(detail_json(&d, staff)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /api/v1/tickets/{id}`.
pub async fn show(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<uuid::Uuid>) -> Response {
    detail(&state, &ctx, id).await
}

/// Action body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    action: String,
    #[serde(default)]
    waiting_on: String,
    #[serde(default)]
    note: String,
}

fn changed(ctx: &Ctx, r: Result<TicketRecord, AppError>) -> Response {
    match r {
        Ok(t) => ok(ticket_json(&t)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /api/v1/tickets/{id}/actions`.
pub async fn action(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    Body(b): Body<ActionBody>,
) -> Response {
    changed(&ctx, state.app.ticket_action(&ctx.caller, id, &b.action, &b.waiting_on, &b.note).await)
}

/// Assign body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    line: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    dispatch: bool,
}

/// `POST /api/v1/tickets/{id}/assign`.
pub async fn assign(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    Body(b): Body<AssignBody>,
) -> Response {
    changed(&ctx, state.app.assign_ticket(&ctx.caller, id, &b.line, &b.assignee, &b.note, b.dispatch).await)
}

/// Escalate body: the handover note for the next line (may be empty, but must be given).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalateBody {
    note: String,
}

/// `POST /api/v1/tickets/{id}/escalate`.
pub async fn escalate(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    Body(b): Body<EscalateBody>,
) -> Response {
    changed(&ctx, state.app.escalate_ticket(&ctx.caller, id, &b.note).await)
}

/// Comment body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    #[serde(default = "comment_kind")]
    kind: String,
    note: String,
}

fn comment_kind() -> String {
    "comment".to_owned()
}

/// `POST /api/v1/tickets/{id}/comments`.
pub async fn comment(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    Body(b): Body<CommentBody>,
) -> Response {
    match state.app.comment_ticket(&ctx.caller, id, &b.kind, &b.note).await {
        Ok(()) => created(json!({ "kind": b.kind, "note": b.note.trim() })),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// Rating body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateBody {
    stars: i64,
    #[serde(default)]
    comment: String,
}

/// `POST /api/v1/tickets/{id}/rating`.
pub async fn rate(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    Body(b): Body<RateBody>,
) -> Response {
    changed(&ctx, state.app.rate_ticket(&ctx.caller, id, b.stars, &b.comment).await)
}

/// `POST /api/v1/tickets/{id}/attachments`: JSON `{name, content_type, data_base64}` or a
/// multipart body with a `file` part.
pub async fn attach(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<uuid::Uuid>, req: Request) -> Response {
    let (name, content_type, data) = match super::read_attachment(&state, &ctx, req).await {
        Ok(upload) => upload,
        Err(r) => return r,
    };
    match state.app.attach_to_ticket(&ctx.caller, id, &name, &content_type, &data).await {
        Ok(a) => created(attachment_json(&a)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /api/v1/attachments/{id}`.
pub async fn attachment(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<uuid::Uuid>) -> Response {
    match state.app.attachment(&ctx.caller, id).await {
        Ok((rec, data)) => crate::pages::desk::attachment_response(&rec.name, &rec.content_type, data),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// Statistics period (dates in China Standard Time, `until` inclusive).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    from: Option<String>,
    until: Option<String>,
}

/// `GET /api/v1/desk/stats`.
pub async fn stats(State(state): State<AppState>, ctx: Ctx, Query(q): Query<StatsQuery>) -> Response {
    let (dfrom, duntil) = crate::pages::desk_admin::last_30_days(state.app.clock.now());
    let from = q.from.as_deref().and_then(crate::pages::audit::day_start).unwrap_or(dfrom);
    let until = q
        .until
        .as_deref()
        .and_then(crate::pages::audit::day_start)
        .map_or(duntil, |t| t.plus(chrono::Duration::days(1)));
    match state.app.desk_stats(&ctx.caller, from, until).await {
        Ok(s) => {
            let att = |name: String, a: f64, b: f64, n: i64| json!({ "name": name, "response_in_time_percent": a, "resolve_in_time_percent": b, "count": n });
            ok(json!({
                "from": from.rfc3339(), "until": until.rfc3339(),
                "open_by_level": s.open_by_level.iter().map(|(l, n)| (l.code().to_owned(), json!(n))).collect::<serde_json::Map<_, _>>(),
                "opened_by_level": s.opened_by_level.iter().map(|(l, n)| (l.code().to_owned(), json!(n))).collect::<serde_json::Map<_, _>>(),
                "attainment_by_level": s.attainment_by_level.iter().map(|(l, a, b, n)| att(l.code().to_owned(), *a, *b, *n)).collect::<Vec<_>>(),
                "attainment_by_line": s.attainment_by_line.iter().map(|(l, a, b, n)| att(l.code().to_owned(), *a, *b, *n)).collect::<Vec<_>>(),
                "attainment_by_org": s.attainment_by_org.iter().map(|(o, a, b, n)| att(o.clone(), *a, *b, *n)).collect::<Vec<_>>(),
                "mtta_minutes": s.mtta_minutes, "mttr_minutes": s.mttr_minutes, "satisfaction": s.satisfaction,
                "per_day": s.per_day.iter().map(|(d, n)| json!({ "date": d.format("%Y-%m-%d").to_string(), "count": n })).collect::<Vec<_>>(),
            }))
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /api/v1/desk/sla-policy`.
pub async fn sla_policy(State(state): State<AppState>, ctx: Ctx) -> Response {
    match state.app.sla_policy_view(&ctx.caller).await {
        Ok((current, versions)) => ok(json!({
            "current": current,
            "versions": versions.iter().map(|(v, body, by, at)| json!({
                "version": v, "policy": serde_json::from_str::<Value>(body).unwrap_or(Value::Null),
                "created_by": by, "created_at": at.rfc3339(),
            })).collect::<Vec<_>>(),
        })),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// One level's targets.
#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct TargetBody {
    response_minutes: i64,
    resolve_minutes: i64,
    coverage: String,
}

/// The targets of every level.
#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct TargetsBody {
    fatal: TargetBody,
    severe: TargetBody,
    general: TargetBody,
    minor: TargetBody,
    suggestion: TargetBody,
}

/// SLA policy body.
#[derive(Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct SlaBody {
    targets: TargetsBody,
    warn_percent: i64,
    day_start: String,
    day_end: String,
    auto_close_hours: i64,
}

/// `PUT /api/v1/desk/sla-policy`.
pub async fn sla_policy_update(State(state): State<AppState>, ctx: Ctx, Body(b): Body<SlaBody>) -> Response {
    let doc = serde_json::to_value(&b).unwrap_or(Value::Null);
    match state.app.update_sla_policy(&ctx.caller, &doc).await {
        Ok(v) => ok(v),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /api/v1/desk/calendar`.
pub async fn calendar(State(state): State<AppState>, ctx: Ctx) -> Response {
    match state.app.calendar_view(&ctx.caller).await {
        Ok(years) => {
            let dates = |d: &std::collections::BTreeSet<chrono::NaiveDate>| {
                d.iter().map(|x| x.format("%Y-%m-%d").to_string()).collect::<Vec<_>>()
            };
            ok(json!({ "years": years.iter().map(|(y, s, v)| json!({
                "year": y, "version": v, "holidays": dates(&s.holidays), "makeup_days": dates(&s.makeup_days),
            })).collect::<Vec<_>>() }))
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

/// A year's schedule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarBody {
    holidays: Vec<String>,
    makeup_days: Vec<String>,
}

/// `PUT /api/v1/desk/calendar/{year}`.
pub async fn calendar_update(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(Year(year)): IdPath<Year>,
    Body(b): Body<CalendarBody>,
) -> Response {
    match state.app.update_calendar(&ctx.caller, year, &b.holidays.join("\n"), &b.makeup_days.join("\n")).await {
        Ok(s) => ok(json!({
            "year": year,
            "holidays": s.holidays.iter().map(|d| d.format("%Y-%m-%d").to_string()).collect::<Vec<_>>(),
            "makeup_days": s.makeup_days.iter().map(|d| d.format("%Y-%m-%d").to_string()).collect::<Vec<_>>(),
        })),
        Err(e) => ctx.err(e).into_response(),
    }
}

fn line_json(l: &SupportLineRecord) -> Value {
    json!({
        "line": l.line.code(), "name": l.name, "lead_user_id": l.lead_user_id.map(|u| u.to_string()),
        "members": l.members.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}

/// `GET /api/v1/desk/support-lines`.
pub async fn support_lines(State(state): State<AppState>, ctx: Ctx) -> Response {
    match state.app.support_lines(&ctx.caller).await {
        Ok(lines) => ok(json!({ "items": lines.iter().map(line_json).collect::<Vec<_>>() })),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// Support line body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineBody {
    name: String,
    #[serde(default)]
    lead_user_id: String,
    members: Vec<String>,
}

/// `PUT /api/v1/desk/support-lines/{line}`.
pub async fn support_line_update(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(line): IdPath<SupportLine>,
    Body(b): Body<LineBody>,
) -> Response {
    match state.app.set_support_line(&ctx.caller, line.code(), &b.name, &b.lead_user_id, &b.members).await {
        Ok(l) => ok(line_json(&l)),
        Err(e) => ctx.err(e).into_response(),
    }
}

fn notification_json(n: &NotificationRecord) -> Value {
    json!({
        "id": n.id.to_string(), "ticket_id": n.ticket_id.map(|t| t.to_string()), "event": n.event, "level": n.level,
        "title": n.title, "body": n.body, "created_at": n.created_at.rfc3339(), "read_at": time(n.read_at),
    })
}

/// `GET /api/v1/notifications`.
pub async fn notifications(State(state): State<AppState>, ctx: Ctx) -> Response {
    match state.app.my_notifications(&ctx.caller).await {
        Ok(list) => ok(json!({
            "items": list.iter().map(notification_json).collect::<Vec<_>>(),
            "unread": list.iter().filter(|n| n.read_at.is_none()).count(),
        })),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /api/v1/notifications/read`.
pub async fn notifications_read(State(state): State<AppState>, ctx: Ctx) -> Response {
    match state.app.read_notifications(&ctx.caller).await {
        Ok(n) => ok(json!({ "marked": n })),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// Lookup query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackParams {
    number: String,
    phone: String,
}

/// `GET /api/v1/track?number=…&phone=…`.
pub async fn track(State(state): State<AppState>, ctx: Ctx, Query(q): Query<TrackParams>) -> Response {
    match state.app.lookup_ticket(&ctx.caller, q.number.trim(), q.phone.trim()).await {
        Ok(t) => ok(json!({
            "number": t.number, "title": t.title, "level": t.level.code(), "state": t.state,
            "created_at": t.created_at.rfc3339(), "resolve_due_at": time(t.resolve_due_at),
            "steps": t.steps.iter().map(|(at, kind, note)| json!({ "at": at.rfc3339(), "kind": kind, "note": note })).collect::<Vec<_>>(),
        })),
        Err(e) => ctx.err(e).into_response(),
    }
}
