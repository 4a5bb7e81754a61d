//! Service-desk pages: the queue, the reporter's form and list, the ticket page with
//! its two SLA clocks, the actions its state allows, assignment, escalation, notes,
//! attachments and rating, and the CSV/XLSX exports of any list.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use parkops_app::AppError;
use parkops_app::desk::{ClockView, NewTicket, TicketDetail};
use parkops_app::ports::desk::{TicketEvent, TicketFilter, TicketRecord};
use parkops_app::ports::{OrgFilter, PageRequest, UserFilter};
use parkops_domain::access::{Capability, Post, Scope};
use parkops_domain::id::UserId;
use parkops_domain::ticket::{
    self, BusinessDomain, HandlingMode, Level, SupportLine, TicketAction, TicketKind, TicketState, WaitingOn,
};
use parkops_domain::time::Timestamp;
use serde::Deserialize;

use super::{Chrome, FormState, Pager, render, render_status, see_other};
use crate::AppState;
use crate::form::{FormData, IdPath};
use crate::guard::Ctx;
use crate::i18n::I18n;

/// Largest upload accepted by the attachment routes (the use case keeps files up to 10 MiB;
/// base64 in JSON needs a third more).
pub const UPLOAD_LIMIT: usize = 15 * 1024 * 1024;

/// The tag colour of a level: 致命 red, 严重 orange, 一般 blue, 轻微 and 建议 grey.
#[must_use]
pub const fn level_tone(l: Level) -> &'static str {
    match l {
        Level::Fatal => "red",
        Level::Severe => "orange",
        Level::General => "blue",
        Level::Minor | Level::Suggestion => "grey",
    }
}

/// The tag colour of a state.
#[must_use]
pub fn state_tone(code: &str) -> &'static str {
    match code {
        "new" => "purple",
        "acknowledged" | "in_progress" => "blue",
        "waiting" => "orange",
        "resolved" => "green",
        _ => "grey",
    }
}

/// The label of a coded value: `ticket-state-new`, `level-fatal`, …
#[must_use]
pub fn label(i: &I18n, family: &str, code: &str) -> String {
    i.t(&format!("{family}-{code}"))
}

/// Wall-clock time: `2 天 17 小时` (minutes left out beyond a day), `3 小时 5 分钟`.
#[must_use]
pub fn duration_text(i: &I18n, d: chrono::Duration) -> String {
    let minutes = d.num_minutes().max(0);
    let (days, hours, mins) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(i.ta("dur-days", &[("n", days.to_string())]));
    }
    if hours > 0 {
        parts.push(i.ta("dur-hours", &[("n", hours.to_string())]));
    }
    if (mins > 0 && days == 0) || parts.is_empty() {
        parts.push(i.ta("dur-minutes", &[("n", mins.to_string())]));
    }
    parts.join(" ")
}

/// Service time as SLA clocks count it, in hours and minutes only: on working-hours
/// coverage a "day" would be ambiguous (24 working hours are three working days).
#[must_use]
pub fn service_time_text(i: &I18n, d: chrono::Duration) -> String {
    let minutes = d.num_minutes().max(0);
    let (hours, mins) = (minutes / 60, minutes % 60);
    let mut parts = Vec::new();
    if hours > 0 {
        parts.push(i.ta("dur-hours", &[("n", hours.to_string())]));
    }
    if mins > 0 || parts.is_empty() {
        parts.push(i.ta("dur-minutes", &[("n", mins.to_string())]));
    }
    parts.join(" ")
}

/// `2026-01-01 08:15`, China Standard Time.
#[must_use]
pub fn minute_text(t: Timestamp) -> String {
    t.to_cst().format("%Y-%m-%d %H:%M").to_string()
}

/// Options of a coded enum: (code, label).
pub fn options<T: Copy>(i: &I18n, family: &str, all: &[T], code: impl Fn(T) -> &'static str) -> Vec<(String, String)> {
    all.iter().map(|v| (code(*v).to_owned(), label(i, family, code(*v)))).collect()
}

/// Display names of users, looked up once each.
pub async fn names(state: &AppState, ids: impl Iterator<Item = UserId>) -> BTreeMap<UserId, String> {
    let mut out = BTreeMap::new();
    for id in ids {
        if let std::collections::btree_map::Entry::Vacant(slot) = out.entry(id) {
            let name = state.app.store.user(id).await.ok().flatten().map(|u| u.display_name).unwrap_or_default();
            slot.insert(name);
        }
    }
    out
}

/// Filters of a ticket list, shared by the queue, "my tickets", the exports and their links.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct ListQuery {
    pub(crate) state: Option<String>,
    pub(crate) level: Option<String>,
    pub(crate) kind: Option<String>,
    pub(crate) domain: Option<String>,
    pub(crate) line: Option<String>,
    /// `me`: only tickets assigned to the caller.
    pub(crate) assignee: Option<String>,
    /// `me`: only tickets the caller reported.
    pub(crate) reported: Option<String>,
    pub(crate) q: Option<String>,
    pub(crate) from: Option<String>,
    pub(crate) until: Option<String>,
    /// Only tickets about this CI (its id).
    pub(crate) asset: Option<String>,
    pub(crate) page: Option<i64>,
    pub(crate) ok: Option<String>,
}

/// The states of an open ticket (the queue's "open" choice).
const OPEN: [&str; 4] = ["new", "acknowledged", "in_progress", "waiting"];

impl ListQuery {
    fn s(v: Option<&String>) -> String {
        v.map(|s| s.trim().to_owned()).unwrap_or_default()
    }

    /// The filter for the use case.
    #[must_use]
    pub fn filter(&self, me: Option<UserId>) -> TicketFilter {
        let state = Self::s(self.state.as_ref());
        let states = if state == "open" {
            OPEN.iter().map(|s| (*s).to_owned()).collect()
        } else if ticket::STATE_CODES.contains(&state.as_str()) {
            vec![state]
        } else {
            Vec::new()
        };
        let text = Self::s(self.q.as_ref());
        TicketFilter {
            states,
            level: Level::parse(&Self::s(self.level.as_ref())),
            kind: TicketKind::parse(&Self::s(self.kind.as_ref())),
            domain: BusinessDomain::parse(&Self::s(self.domain.as_ref())),
            line: SupportLine::parse(&Self::s(self.line.as_ref())),
            assignee: if self.assignee.as_deref() == Some("me") { me } else { None },
            reporter: if self.reported.as_deref() == Some("me") { me } else { None },
            text: (!text.is_empty()).then_some(text),
            from: self.from.as_deref().and_then(super::audit::day_start),
            until: self.until.as_deref().and_then(super::audit::day_start).map(|t| t.plus(chrono::Duration::days(1))),
            asset_id: self.asset.as_deref().and_then(|a| parkops_domain::asset::AssetId::parse(a).ok()),
            ..TicketFilter::default()
        }
    }

    /// The query pairs of the filter (for paging and export links).
    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("state", Self::s(self.state.as_ref())),
            ("level", Self::s(self.level.as_ref())),
            ("kind", Self::s(self.kind.as_ref())),
            ("domain", Self::s(self.domain.as_ref())),
            ("line", Self::s(self.line.as_ref())),
            ("assignee", Self::s(self.assignee.as_ref())),
            ("reported", Self::s(self.reported.as_ref())),
            ("q", Self::s(self.q.as_ref())),
            ("from", Self::s(self.from.as_ref())),
            ("until", Self::s(self.until.as_ref())),
            ("asset", Self::s(self.asset.as_ref())),
        ]
    }
}

/// One row of a ticket list.
pub struct TicketRow {
    id: String,
    number: String,
    title: String,
    level: String,
    level_tone: &'static str,
    state: String,
    state_tone: &'static str,
    paused: bool,
    kind: String,
    line: String,
    assignee: String,
    reporter: String,
    due: String,
    overdue: bool,
    response_due: String,
    response_overdue: bool,
    created: String,
}

fn row(i: &I18n, t: &TicketRecord, names: &BTreeMap<UserId, String>, now: Timestamp) -> TicketRow {
    let code = ticket::state_code(&t.state);
    TicketRow {
        id: t.id.to_string(),
        number: t.number.clone(),
        title: t.title.clone(),
        level: label(i, "level", t.level.code()),
        level_tone: level_tone(t.level),
        state: label(i, "ticket-state", code),
        state_tone: state_tone(code),
        paused: matches!(t.state, TicketState::Waiting { .. }),
        kind: label(i, "kind", t.kind.code()),
        line: label(i, "line", t.line.code()),
        assignee: t.assignee_user_id.and_then(|u| names.get(&u).cloned()).unwrap_or_default(),
        reporter: t.reporter_name.clone(),
        due: t.resolve_due_at.map(minute_text).unwrap_or_default(),
        overdue: t.resolve_due_at.is_some_and(|d| d < now),
        response_due: t.response_due_at.map(minute_text).unwrap_or_default(),
        response_overdue: t.response_due_at.is_some_and(|d| d < now),
        created: minute_text(t.created_at),
    }
}

/// The choices of the list filters.
pub struct Choices {
    states: Vec<(String, String)>,
    levels: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    domains: Vec<(String, String)>,
    lines: Vec<(String, String)>,
}

fn choices(i: &I18n) -> Choices {
    let mut states = vec![("open".to_owned(), i.t("ticket-open-states"))];
    states.extend(ticket::STATE_CODES.iter().map(|s| ((*s).to_owned(), label(i, "ticket-state", s))));
    Choices {
        states,
        levels: options(i, "level", Level::ALL, Level::code),
        kinds: options(i, "kind", TicketKind::ALL, TicketKind::code),
        domains: options(i, "domain", BusinessDomain::ALL, BusinessDomain::code),
        lines: options(i, "line", SupportLine::ALL, SupportLine::code),
    }
}

#[derive(Template)]
#[template(path = "desk_queue.html")]
struct QueuePage {
    c: Chrome,
    rows: Vec<TicketRow>,
    ch: Choices,
    v: FormState,
    pager: Pager,
    action: &'static str,
    is_queue: bool,
    can_report: bool,
    export_query: String,
}

async fn list_page(state: &AppState, ctx: &Ctx, mut q: ListQuery, mine: bool) -> Response {
    let p = ctx.caller.principal.as_ref();
    if mine {
        q.reported = Some("me".into());
        q.assignee = None;
    }
    let me = p.map(|p| p.user_id);
    let page = match state.app.ticket_queue(&ctx.caller, q.filter(me), PageRequest::clamped(q.page, Some(20))).await {
        Ok(p) => p,
        Err(e) => return ctx.err(e).into_response(),
    };
    let i = ctx.i;
    let now = state.app.clock.now();
    let pairs = q.pairs();
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let pager = Pager::of(&page, &borrowed);
    let names = names(state, page.items.iter().filter_map(|t| t.assignee_user_id)).await;
    let rows = page.items.iter().map(|t| row(&i, t, &names, now)).collect();
    let (title, section, action) =
        if mine { ("nav-desk-mine", "/desk/mine", "/desk/mine") } else { ("nav-desk-queue", "/desk", "/desk") };
    let c = Chrome::new(ctx, title, section).under("nav-desk", "/desk").flash(q.ok.as_deref());
    let export_query = pager.query.trim_end_matches('&').to_owned();
    render(&QueuePage {
        c,
        rows,
        ch: choices(&i),
        v: pairs.iter().fold(FormState::new(), |f, (k, val)| f.with(k, val.clone())),
        pager,
        action,
        is_queue: !mine,
        can_report: p.is_some_and(|p| p.has(Capability::TicketReport)),
        export_query,
    })
}

/// `GET /desk`: the queue, nearest resolution due first.
pub async fn queue(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> Response {
    list_page(&state, &ctx, q, false).await
}

/// `GET /desk/mine`: tickets the caller reported.
pub async fn mine(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> Response {
    list_page(&state, &ctx, q, true).await
}

#[derive(Template)]
#[template(path = "desk_new.html")]
struct NewPage {
    c: Chrome,
    f: FormState,
    kinds: Vec<(String, String)>,
    levels: Vec<(String, String, String, &'static str)>,
    domains: Vec<(String, String)>,
    modes: Vec<(String, String)>,
    enterprises: Vec<(String, String)>,
    staff: bool,
}

const NEW_FIELDS: [&str; 12] = [
    "kind",
    "level",
    "domain",
    "handling_mode",
    "title",
    "description",
    "location",
    "affected",
    "asset_code",
    "enterprise_org_id",
    "reporter_name",
    "reporter_phone",
];

async fn new_page(state: &AppState, ctx: &Ctx, f: FormState) -> Response {
    let i = ctx.i;
    let p = ctx.caller.principal.as_ref();
    let staff = p.is_some_and(|p| p.has(Capability::TicketView));
    let enterprises = if p.is_some_and(|p| p.has(Capability::OrgView)) {
        let filter = OrgFilter { org_type: Some("enterprise".into()), ..OrgFilter::default() };
        state
            .app
            .list_orgs(&ctx.caller, filter, PageRequest { page: 1, per_page: 200 })
            .await
            .map(|p| p.items.into_iter().map(|o| (o.id.to_string(), o.name)).collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let levels = Level::ALL
        .iter()
        .map(|l| (l.code().to_owned(), label(&i, "level", l.code()), label(&i, "level-help", l.code()), level_tone(*l)))
        .collect();
    let status = if f.has_errors() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let f = if f.has_errors() { f } else { f.with("handling_mode", "remote").with("kind", "fault_report") };
    render_status(
        status,
        &NewPage {
            c: Chrome::new(ctx, "nav-desk-new", "/desk/new").under("nav-desk", "/desk"),
            f,
            kinds: options(&i, "kind", TicketKind::ALL, TicketKind::code),
            levels,
            domains: options(&i, "domain", BusinessDomain::ALL, BusinessDomain::code),
            modes: options(&i, "mode", HandlingMode::ALL, HandlingMode::code),
            enterprises,
            staff,
        },
    )
}

/// `GET /desk/new`.
pub async fn new(State(state): State<AppState>, ctx: Ctx) -> Response {
    new_page(&state, &ctx, FormState::new()).await
}

/// `POST /desk`: opens the ticket and shows it.
pub async fn create(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Response {
    let g = |k: &str| form.get(k).to_owned();
    let input = NewTicket {
        kind: g("kind"),
        level: g("level"),
        priority: String::new(),
        domain: g("domain"),
        handling_mode: g("handling_mode"),
        title: g("title"),
        description: g("description"),
        reporter_name: g("reporter_name"),
        reporter_phone: g("reporter_phone"),
        enterprise_org_id: g("enterprise_org_id"),
        location: g("location"),
        affected: g("affected"),
        asset_code: g("asset_code"),
    };
    match state.app.open_ticket(&ctx.caller, input).await {
        Ok(t) => see_other(&format!("/desk/tickets/{}?ok=ticket_opened", t.id)),
        Err(AppError::Invalid(errors)) => {
            let mut f = FormState::new();
            for k in NEW_FIELDS {
                f = f.with(k, form.get(k));
            }
            new_page(&state, &ctx, f.errors(&ctx.i, &errors)).await
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

/// One SLA clock as a bar.
pub struct ClockBar {
    label: String,
    percent: i64,
    bucket: String,
    tone: &'static str,
    due: String,
    elapsed: String,
    target: String,
    status: String,
}

fn clock_bar(i: &I18n, key: &str, c: &ClockView, paused: bool, now: Timestamp) -> ClockBar {
    let percent = c.percent.max(0);
    let (tone, status) = if !c.running {
        let met = percent < 100;
        (if met { "done" } else { "over" }, i.t(if met { "sla-met" } else { "sla-missed" }))
    } else if paused {
        ("paused", i.t("sla-paused"))
    } else if percent >= 100 || c.due.is_some_and(|d| d < now) {
        ("over", i.t("sla-overdue"))
    } else if percent >= 80 {
        ("warn", i.t("sla-warning"))
    } else {
        ("ok", i.t("sla-running"))
    };
    ClockBar {
        label: i.t(key),
        percent,
        bucket: format!("p{}", (percent.min(100) / 5) * 5),
        tone,
        due: c.due.map(minute_text).unwrap_or_default(),
        elapsed: service_time_text(i, c.elapsed),
        target: service_time_text(i, c.target),
        status,
    }
}

/// The displayed fields of a ticket.
pub struct TicketView {
    id: String,
    number: String,
    description: String,
    level: String,
    level_tone: &'static str,
    priority: String,
    state: String,
    state_tone: &'static str,
    waiting_on: String,
    kind: String,
    domain: String,
    mode: String,
    line: String,
    assignee: String,
    reporter: String,
    phone: String,
    enterprise: String,
    location: String,
    affected: String,
    /// The linked CI's id, when the caller may open the register.
    asset_id: String,
    created: String,
    created_by: String,
    sla_version: i64,
    rating: String,
    rating_comment: String,
}

/// One timeline entry.
pub struct EventRow {
    at: String,
    actor: String,
    kind: String,
    tone: &'static str,
    change: String,
    note: String,
}

/// Timeline kinds only the desk sees (reporters and outside contacts do not).
const INTERNAL_EVENTS: [&str; 3] = ["handover", "sla_warning", "sla_breach"];

fn event_row(i: &I18n, e: &TicketEvent) -> EventRow {
    let change = if e.from_state != e.to_state && !e.from_state.is_empty() {
        let name = |code: &str| {
            if SupportLine::parse(code).is_some() { label(i, "line", code) } else { label(i, "ticket-state", code) }
        };
        format!("{} → {}", name(&e.from_state), name(&e.to_state))
    } else {
        String::new()
    };
    let tone = match e.kind.as_str() {
        "sla_breach" | "reopen" => "red",
        "sla_warning" | "escalated" | "wait" => "orange",
        "resolve" | "confirm" | "close" | "auto_close" | "rated" => "green",
        "created" | "acknowledge" | "start" | "resume" | "assigned" | "dispatch" => "blue",
        _ => "grey",
    };
    EventRow {
        at: e.at.display_cst(),
        actor: e.actor.clone(),
        kind: label(i, "event", &e.kind),
        tone,
        change,
        note: e.note.clone(),
    }
}

/// One action button.
pub struct ActionButton {
    code: &'static str,
    label: String,
    primary: bool,
    /// A reason is asked for (reopen, close).
    needs_note: bool,
}

#[derive(Template)]
#[template(path = "ticket.html")]
struct TicketPage {
    c: Chrome,
    t: TicketView,
    clocks: Vec<ClockBar>,
    stars: Vec<(i64, String)>,
    actions: Vec<ActionButton>,
    can_wait: bool,
    can_work: bool,
    can_comment: bool,
    can_rate: bool,
    can_escalate: bool,
    lines: Vec<(String, String)>,
    people: Vec<(String, Vec<(String, String)>)>,
    waiting: Vec<(String, String)>,
    events: Vec<EventRow>,
    attachments: Vec<(String, String, String, String, String)>,
    f: FormState,
    error: String,
}

async fn ticket_page(
    state: &AppState,
    ctx: &Ctx,
    id: uuid::Uuid,
    f: FormState,
    error: String,
    status: StatusCode,
    flash: Option<&str>,
) -> Response {
    let d: TicketDetail = match state.app.ticket_detail(&ctx.caller, id).await {
        Ok(d) => d,
        Err(e) => return ctx.err(e).into_response(),
    };
    let Some(p) = ctx.caller.principal.as_ref() else { return ctx.err(AppError::Unauthenticated).into_response() };
    let i = ctx.i;
    let now = state.app.clock.now();
    let t = &d.ticket;
    let assignee = match t.assignee_user_id {
        Some(u) => state.app.store.user(u).await.ok().flatten(),
        None => None,
    };
    let can_work = t.park_id == p.park_id
        && match p.scope_of(Capability::TicketWork) {
            Some(Scope::Park) => true,
            Some(Scope::OwnOrganisation) => assignee.as_ref().is_some_and(|a| a.org_id == p.org_id),
            None => false,
        };
    let own = t.reporter_user_id == Some(p.user_id);
    let staff = p.has(Capability::TicketView);
    // Closing outright is the park's desk management (the use case asks park-wide scope).
    let manage = p.scope_of(Capability::TicketManage) == Some(Scope::Park);
    let candidates: [(TicketAction, bool, bool); 8] = [
        (TicketAction::Acknowledge, can_work, false),
        (TicketAction::Start, can_work, false),
        (TicketAction::Resume, can_work, false),
        (TicketAction::Resolve, can_work, false),
        (TicketAction::Confirm, own || can_work, false),
        (TicketAction::Reopen, own || can_work, true),
        (TicketAction::Close, manage, true),
        (TicketAction::Wait { on: WaitingOn::Vendor }, false, false),
    ];
    let actions: Vec<ActionButton> = candidates
        .iter()
        .filter(|(a, allowed, _)| *allowed && ticket::transition(&t.state, a, now).is_ok())
        .map(|(a, _, needs_note)| ActionButton {
            code: a.code(),
            label: label(&i, "ticket-action", a.code()),
            primary: matches!(a, TicketAction::Acknowledge | TicketAction::Resolve | TicketAction::Confirm),
            needs_note: *needs_note,
        })
        .collect();
    let can_wait = can_work && ticket::transition(&t.state, &TicketAction::Wait { on: WaitingOn::Vendor }, now).is_ok();
    let enterprise = match t.enterprise_org_id {
        Some(o) => state.app.store.org(o).await.ok().flatten().map(|o| o.name).unwrap_or_default(),
        None => String::new(),
    };
    let code = ticket::state_code(&t.state);
    let waiting_on = match &t.state {
        TicketState::Waiting { on, .. } => label(&i, "waiting", on.code()),
        _ => String::new(),
    };
    let paused = matches!(t.state, TicketState::Waiting { .. });
    let view = TicketView {
        id: t.id.to_string(),
        number: t.number.clone(),
        description: t.description.clone(),
        level: label(&i, "level", t.level.code()),
        level_tone: level_tone(t.level),
        priority: label(&i, "priority", t.priority.code()),
        state: label(&i, "ticket-state", code),
        state_tone: state_tone(code),
        waiting_on,
        kind: label(&i, "kind", t.kind.code()),
        domain: label(&i, "domain", t.domain.code()),
        mode: label(&i, "mode", t.handling_mode.code()),
        line: label(&i, "line", t.line.code()),
        assignee: assignee.as_ref().map(|a| a.display_name.clone()).unwrap_or_default(),
        reporter: t.reporter_name.clone(),
        phone: if staff || own { t.reporter_phone.clone() } else { String::new() },
        enterprise,
        location: t.location.clone(),
        affected: t.affected.clone(),
        asset_id: t
            .asset_id
            .filter(|_| ctx.caller.principal.as_ref().is_some_and(|p| p.has(Capability::AssetView)))
            .map(|a| a.to_string())
            .unwrap_or_default(),
        created: t.created_at.display_cst(),
        created_by: t.created_by.clone(),
        sla_version: t.sla_version,
        rating: t.rating.map(|r| "★".repeat(usize::try_from(r).unwrap_or(0))).unwrap_or_default(),
        rating_comment: t.rating_comment.clone(),
    };
    // People for the assignment: each line's lead and members, then supplier engineers.
    let mut people = Vec::new();
    if can_work {
        let lines = state.app.support_lines(&ctx.caller).await.unwrap_or_default();
        for l in &lines {
            let ids: Vec<UserId> = l.lead_user_id.into_iter().chain(l.members.iter().copied()).collect();
            let n = names(state, ids.iter().copied()).await;
            let mut seen = std::collections::BTreeSet::new();
            let group = ids
                .iter()
                .filter(|u| seen.insert(**u))
                .map(|u| (u.to_string(), n.get(u).cloned().unwrap_or_default()))
                .collect();
            people.push((format!("{} · {}", label(&i, "line", l.line.code()), l.name), group));
        }
        let vendors = state
            .app
            .store
            .users(
                &UserFilter {
                    park_id: Some(t.park_id),
                    post: Some(Post::SupplierEngineer),
                    active: Some(true),
                    ..UserFilter::default()
                },
                PageRequest { page: 1, per_page: 200 },
            )
            .await
            .map(|p| p.items)
            .unwrap_or_default();
        if !vendors.is_empty() {
            people.push((
                i.t("post-supplier_engineer"),
                vendors
                    .into_iter()
                    .map(|u| (u.id.to_string(), format!("{} ({})", u.display_name, u.username)))
                    .collect(),
            ));
        }
    }
    let events = d
        .events
        .iter()
        .filter(|e| staff || !INTERNAL_EVENTS.contains(&e.kind.as_str()))
        .map(|e| event_row(&i, e))
        .rev()
        .collect();
    let attachments = d
        .attachments
        .iter()
        .map(|a| {
            (
                a.id.to_string(),
                a.name.clone(),
                size_text(a.size),
                a.created_by.clone(),
                a.sha256.chars().take(12).collect::<String>(),
            )
        })
        .collect();
    let f = if f.has_errors() { f } else { f.with("line", t.line.code()) };
    let page = TicketPage {
        c: Chrome::new(ctx, "nav-desk-queue", if staff { "/desk" } else { "/desk/mine" })
            .under("nav-desk", if staff { "/desk" } else { "/desk/mine" })
            .titled(format!("{} {}", t.number, t.title))
            .flash(flash),
        clocks: vec![
            clock_bar(&i, "sla-response", &d.response, false, now),
            clock_bar(&i, "sla-resolve", &d.resolve, paused, now),
        ],
        stars: (1..=5).map(|n| (n, "★".repeat(usize::try_from(n).unwrap_or(0)))).collect(),
        t: view,
        actions,
        can_wait,
        can_work,
        can_comment: can_work || own,
        can_rate: own && matches!(t.state, TicketState::Closed { .. }) && t.rating.is_none(),
        can_escalate: can_work && ticket::is_open(&t.state) && t.line.next().is_some(),
        lines: options(&i, "line", SupportLine::ALL, SupportLine::code),
        people,
        waiting: options(&i, "waiting", WaitingOn::ALL, WaitingOn::code),
        events,
        attachments,
        f,
        error,
    };
    render_status(status, &page)
}

/// `12.5 KB` (ticket and calibration attachments).
pub(crate) fn size_text(bytes: i64) -> String {
    #[allow(clippy::cast_precision_loss, reason = "a file size shown to one decimal")]
    let b = bytes as f64;
    if b >= 1024.0 * 1024.0 {
        format!("{:.1} MB", b / 1024.0 / 1024.0)
    } else if b >= 1024.0 {
        format!("{:.1} KB", b / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

/// Query of the ticket page.
#[derive(Debug, Deserialize, Default)]
pub struct ShowQuery {
    ok: Option<String>,
}

/// `GET /desk/tickets/{id}`.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    Query(q): Query<ShowQuery>,
) -> Response {
    ticket_page(&state, &ctx, id, FormState::new(), String::new(), StatusCode::OK, q.ok.as_deref()).await
}

/// After a change on the ticket page: back to the page, or the page again with the reason.
async fn after<T>(
    state: &AppState,
    ctx: &Ctx,
    id: uuid::Uuid,
    result: Result<T, AppError>,
    form: &FormData,
    flash: &str,
) -> Response {
    match result {
        Ok(_) => see_other(&format!("/desk/tickets/{id}?ok={flash}")),
        Err(AppError::Invalid(errors)) => {
            let mut f = FormState::new();
            for k in ["line", "assignee", "note", "kind", "waiting_on", "rating", "rating_comment"] {
                f = f.with(k, form.get(k));
            }
            let f = f.errors(&ctx.i, &errors);
            let msg = ctx.i.t("form-has-errors");
            ticket_page(state, ctx, id, f, msg, StatusCode::BAD_REQUEST, None).await
        }
        Err(e @ AppError::Conflict(_)) => {
            let msg = crate::error::message(&ctx.i, &e);
            ticket_page(state, ctx, id, FormState::new(), msg, StatusCode::CONFLICT, None).await
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /desk/tickets/{id}/action`.
pub async fn action(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    form: FormData,
) -> Response {
    let action = form.get("action");
    let r = state.app.ticket_action(&ctx.caller, id, action, form.get("waiting_on"), form.get("note")).await;
    let flash = format!("done_{}", action_flash(action));
    after(&state, &ctx, id, r, &form, &flash).await
}

fn action_flash(action: &str) -> &'static str {
    match action {
        "acknowledge" => "acknowledge",
        "start" => "start",
        "wait" => "wait",
        "resume" => "resume",
        "resolve" => "resolve",
        "confirm" => "confirm",
        "close" => "close",
        "reopen" => "reopen",
        _ => "saved",
    }
}

/// `POST /desk/tickets/{id}/assign`.
pub async fn assign(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    form: FormData,
) -> Response {
    let r = state
        .app
        .assign_ticket(&ctx.caller, id, form.get("line"), form.get("assignee"), form.get("note"), form.flag("dispatch"))
        .await;
    after(&state, &ctx, id, r, &form, "assigned").await
}

/// `POST /desk/tickets/{id}/escalate`.
pub async fn escalate(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    form: FormData,
) -> Response {
    let r = state.app.escalate_ticket(&ctx.caller, id, form.get("note")).await;
    after(&state, &ctx, id, r, &form, "escalated").await
}

/// `POST /desk/tickets/{id}/comment`.
pub async fn comment(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    form: FormData,
) -> Response {
    let kind = if form.get("kind").is_empty() { "comment" } else { form.get("kind") };
    let r = state.app.comment_ticket(&ctx.caller, id, kind, form.get("note")).await;
    after(&state, &ctx, id, r, &form, "commented").await
}

/// `POST /desk/tickets/{id}/rate`.
pub async fn rate(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<uuid::Uuid>, form: FormData) -> Response {
    // A missing or garbled rating is 0 stars, which the use case refuses after checking who
    // may rate at all.
    let stars = form.get("rating").trim().parse::<i64>().unwrap_or(0);
    let r = state.app.rate_ticket(&ctx.caller, id, stars, form.get("rating_comment")).await;
    after(&state, &ctx, id, r, &form, "rated").await
}

/// A file from a multipart body, with the form's CSRF token.
pub struct Upload {
    /// The synchronizer token sent with the form.
    pub csrf: String,
    /// File name.
    pub name: String,
    /// Declared type.
    pub content_type: String,
    /// Content.
    pub data: Vec<u8>,
}

/// Reads the `csrf` and `file` parts of a multipart body.
///
/// # Errors
/// A refused field when the body is not readable multipart.
pub async fn read_upload(mut m: Multipart) -> Result<Upload, AppError> {
    let bad = || AppError::field("file", "err-attachment");
    let mut up = Upload { csrf: String::new(), name: String::new(), content_type: String::new(), data: Vec::new() };
    while let Some(field) = m.next_field().await.map_err(|_| bad())? {
        match field.name() {
            Some("csrf") => up.csrf = field.text().await.map_err(|_| bad())?,
            Some("file") => {
                up.name = field.file_name().unwrap_or_default().to_owned();
                up.content_type = field.content_type().unwrap_or_default().to_owned();
                up.data = field.bytes().await.map_err(|_| bad())?.to_vec();
            }
            _ => {}
        }
    }
    Ok(up)
}

/// `POST /desk/tickets/{id}/attachments` (multipart: `csrf`, `file`).
pub async fn attach(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let upload = match multipart {
        Ok(m) => read_upload(m).await,
        Err(_) => Err(AppError::field("file", "err-attachment")),
    };
    let r = match upload {
        Ok(up) => {
            // The form's synchronizer token, as `FormData` checks it for other forms.
            if !crate::form::same(&up.csrf, &ctx.csrf()) {
                return ctx.err(AppError::Forbidden { capability: Capability::TicketReport }).into_response();
            }
            state.app.attach_to_ticket(&ctx.caller, id, &up.name, &up.content_type, &up.data).await
        }
        Err(e) => Err(e),
    };
    after(&state, &ctx, id, r, &FormData::default(), "attached").await
}

/// A download of a stored attachment. Only images and PDF keep their type; anything else
/// is sent as bytes, always as a download, so an uploaded page can never run in ours.
#[must_use]
pub fn attachment_response(name: &str, content_type: &str, data: Vec<u8>) -> Response {
    let safe = matches!(content_type, "image/png" | "image/jpeg" | "image/gif" | "image/webp" | "application/pdf");
    let ct = if safe { content_type.to_owned() } else { "application/octet-stream".to_owned() };
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let mut r = data.into_response();
    let h = r.headers_mut();
    if let Ok(v) = header::HeaderValue::from_str(&ct) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = header::HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static("sandbox; default-src 'none'"));
    r
}

/// `GET /desk/attachments/{id}`.
pub async fn attachment(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<uuid::Uuid>) -> Response {
    match state.app.attachment(&ctx.caller, id).await {
        Ok((rec, data)) => attachment_response(&rec.name, &rec.content_type, data),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// The export table: localised header and one row per ticket.
pub async fn export_table(state: &AppState, i: &I18n, rows: &[TicketRecord]) -> (Vec<String>, Vec<Vec<String>>) {
    let header = [
        "col-number",
        "field-title",
        "field-kind",
        "field-level",
        "field-priority",
        "field-domain",
        "field-mode",
        "field-line",
        "col-status",
        "field-reporter",
        "field-enterprise",
        "field-location",
        "field-affected",
        "field-assignee",
        "col-created",
        "col-acknowledged",
        "col-resolved",
        "col-due",
        "col-rating",
    ]
    .iter()
    .map(|k| i.t(k))
    .collect();
    let names = names(state, rows.iter().filter_map(|t| t.assignee_user_id)).await;
    let mut orgs: BTreeMap<String, String> = BTreeMap::new();
    for o in rows.iter().filter_map(|t| t.enterprise_org_id) {
        if let std::collections::btree_map::Entry::Vacant(slot) = orgs.entry(o.to_string()) {
            slot.insert(state.app.store.org(o).await.ok().flatten().map(|o| o.name).unwrap_or_default());
        }
    }
    let time = |t: Option<Timestamp>| t.map(Timestamp::display_cst).unwrap_or_default();
    let body = rows
        .iter()
        .map(|t| {
            vec![
                t.number.clone(),
                t.title.clone(),
                label(i, "kind", t.kind.code()),
                label(i, "level", t.level.code()),
                label(i, "priority", t.priority.code()),
                label(i, "domain", t.domain.code()),
                label(i, "mode", t.handling_mode.code()),
                label(i, "line", t.line.code()),
                label(i, "ticket-state", ticket::state_code(&t.state)),
                t.reporter_name.clone(),
                t.enterprise_org_id.and_then(|o| orgs.get(&o.to_string()).cloned()).unwrap_or_default(),
                t.location.clone(),
                t.affected.clone(),
                t.assignee_user_id.and_then(|u| names.get(&u).cloned()).unwrap_or_default(),
                t.created_at.display_cst(),
                time(t.acknowledged_at),
                time(t.resolved_at),
                time(t.resolve_due_at),
                t.rating.map(|r| r.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    (header, body)
}

async fn export(state: &AppState, ctx: &Ctx, q: &ListQuery, xlsx: bool) -> Response {
    let me = ctx.caller.principal.as_ref().map(|p| p.user_id);
    let rows = match state.app.ticket_export(&ctx.caller, q.filter(me)).await {
        Ok(r) => r,
        Err(e) => return ctx.err(e).into_response(),
    };
    let (header, body) = export_table(state, &ctx.i, &rows).await;
    let stamp = state.app.clock.now().to_cst().format("%Y%m%d-%H%M");
    if xlsx {
        match crate::export::xlsx(&ctx.i.t("export-sheet-tickets"), &header, &body) {
            Ok(bytes) => crate::export::download(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                &format!("parkops-tickets-{stamp}.xlsx"),
                bytes,
            ),
            Err(e) => {
                tracing::error!(error = %e, "workbook failed");
                (StatusCode::INTERNAL_SERVER_ERROR, ctx.i.t("err-unavailable")).into_response()
            }
        }
    } else {
        crate::export::download(
            "text/csv; charset=utf-8",
            &format!("parkops-tickets-{stamp}.csv"),
            crate::export::csv(&header, &body).into_bytes(),
        )
    }
}

/// `GET /desk/export.csv`.
pub async fn export_csv(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> Response {
    export(&state, &ctx, &q, false).await
}

/// `GET /desk/export.xlsx`.
pub async fn export_xlsx(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> Response {
    export(&state, &ctx, &q, true).await
}
