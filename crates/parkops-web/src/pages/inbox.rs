//! The message inbox of every logged-in user, and the public progress lookup by ticket
//! number and reporter phone (R-9.2.2: anyone entitled can look up progress).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use parkops_app::AppError;
use serde::Deserialize;

use super::desk::{label, level_tone, minute_text, state_tone};
use super::{Chrome, render, render_status, see_other};
use crate::AppState;
use crate::form::FormData;
use crate::guard::Ctx;

/// One notification.
pub struct NoticeRow {
    at: String,
    event: String,
    tone: &'static str,
    level: String,
    level_tone: &'static str,
    title: String,
    link: String,
    unread: bool,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    c: Chrome,
    rows: Vec<NoticeRow>,
    unread: usize,
}

/// Query of the inbox.
#[derive(Debug, Deserialize, Default)]
pub struct InboxQuery {
    ok: Option<String>,
}

/// `GET /inbox`.
pub async fn inbox(State(state): State<AppState>, ctx: Ctx, Query(q): Query<InboxQuery>) -> Response {
    let list = match state.app.my_notifications(&ctx.caller).await {
        Ok(l) => l,
        Err(e) => return ctx.err(e).into_response(),
    };
    let i = ctx.i;
    let rows: Vec<NoticeRow> = list
        .iter()
        .map(|n| {
            let level = parkops_domain::ticket::Level::parse(&n.level);
            NoticeRow {
                at: minute_text(n.created_at),
                event: label(&i, "notice", &n.event),
                tone: match n.event.as_str() {
                    "sla_breach" => "red",
                    "sla_warning" | "ticket_escalated" => "orange",
                    "ticket_resolved" => "green",
                    _ => "blue",
                },
                level: level.map(|l| label(&i, "level", l.code())).unwrap_or_default(),
                level_tone: level.map_or("grey", level_tone),
                title: n.title.clone(),
                link: n.ticket_id.map(|t| format!("/desk/tickets/{t}")).unwrap_or_default(),
                unread: n.read_at.is_none(),
            }
        })
        .collect();
    let unread = rows.iter().filter(|r| r.unread).count();
    let c = Chrome::new(&ctx, "nav-inbox", "/inbox").flash(q.ok.as_deref());
    render(&InboxPage { c, rows, unread })
}

/// `POST /inbox/read`.
pub async fn read(State(state): State<AppState>, ctx: Ctx, _form: FormData) -> Response {
    match state.app.read_notifications(&ctx.caller).await {
        Ok(_) => see_other("/inbox?ok=read"),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// The lookup form's fields.
#[derive(Debug, Deserialize, Default)]
pub struct TrackQuery {
    number: Option<String>,
    phone: Option<String>,
}

/// One reached or future step of the progress bar.
pub struct Step {
    label: String,
    done: bool,
    current: bool,
}

/// The progress steps of a state: new → acknowledged → in progress → resolved → closed.
fn steps(i: &crate::i18n::I18n, state: &str) -> Vec<Step> {
    let order = ["new", "acknowledged", "in_progress", "resolved", "closed"];
    let at = match state {
        "waiting" => 2,
        s => order.iter().position(|x| *x == s).unwrap_or(0),
    };
    order
        .iter()
        .enumerate()
        .map(|(k, s)| Step { label: label(i, "ticket-state", s), done: k <= at, current: k == at })
        .collect()
}

/// A found ticket.
pub struct Found {
    number: String,
    title: String,
    level: String,
    level_tone: &'static str,
    state: String,
    state_tone: &'static str,
    created: String,
    due: String,
    steps: Vec<Step>,
    timeline: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "track.html")]
struct TrackPage {
    c: Chrome,
    number: String,
    phone: String,
    found: Option<Found>,
    error: String,
}

/// `GET /track?number=…&phone=…`: the same "not found" for a wrong number and a wrong
/// phone, so the page reveals nothing without both.
pub async fn track(State(state): State<AppState>, ctx: Ctx, Query(q): Query<TrackQuery>) -> Response {
    let i = ctx.i;
    let number = q.number.unwrap_or_default().trim().to_owned();
    let phone = q.phone.unwrap_or_default().trim().to_owned();
    let c = Chrome::new(&ctx, "track-title", "/track");
    if number.is_empty() && phone.is_empty() {
        return render(&TrackPage { c, number, phone, found: None, error: String::new() });
    }
    match state.app.lookup_ticket(&ctx.caller, &number, &phone).await {
        Ok(t) => {
            let found = Found {
                number: t.number,
                title: t.title,
                level: label(&i, "level", t.level.code()),
                level_tone: level_tone(t.level),
                state: label(&i, "ticket-state", t.state),
                state_tone: state_tone(t.state),
                created: minute_text(t.created_at),
                due: t.resolve_due_at.map(minute_text).unwrap_or_default(),
                steps: steps(&i, t.state),
                timeline: t
                    .steps
                    .iter()
                    .rev()
                    .map(|(at, kind, note)| (minute_text(*at), label(&i, "event", kind), note.clone()))
                    .collect(),
            };
            render(&TrackPage { c, number, phone, found: Some(found), error: String::new() })
        }
        Err(AppError::NotFound) => {
            let page = TrackPage { c, number, phone, found: None, error: i.t("track-not-found") };
            render_status(axum::http::StatusCode::NOT_FOUND, &page)
        }
        Err(e) => ctx.err(e).into_response(),
    }
}
