//! The audit log for the audit administrator: filters, paging, CSV export, checkpoints and
//! chain verification (R-8.1.2d; 等保 8.1.4.3, 8.1.5.2).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use parkops_app::audit::VerifyReport;
use parkops_app::ports::{AuditFilter, PageRequest};
use parkops_domain::access::Capability;
use parkops_domain::audit::Outcome;
use parkops_domain::time::Timestamp;
use serde::Deserialize;

use super::{Chrome, Pager, render};
use crate::AppState;
use crate::form::FormData;
use crate::guard::Ctx;
use crate::i18n::I18n;

/// Filters of the log.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct LogQuery {
    actor: Option<String>,
    action: Option<String>,
    outcome: Option<String>,
    from: Option<String>,
    until: Option<String>,
    page: Option<i64>,
}

/// Start of a calendar day in China Standard Time.
pub(crate) fn day_start(date: &str) -> Option<Timestamp> {
    let d = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok()?;
    let utc = d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis() - 8 * 3_600_000;
    Some(Timestamp::from_millis(utc))
}

impl LogQuery {
    fn filter(&self) -> AuditFilter {
        AuditFilter {
            actor: self.actor.clone().filter(|s| !s.trim().is_empty()).map(|s| s.trim().to_owned()),
            action: self.action.clone().filter(|s| !s.trim().is_empty()).map(|s| s.trim().to_owned()),
            outcome: self.outcome.clone().filter(|s| Outcome::parse(s).is_some()),
            entity_id: None,
            from: self.from.as_deref().and_then(day_start),
            until: self.until.as_deref().and_then(day_start).map(|t| t.plus(chrono::Duration::days(1))),
        }
    }
}

/// One row.
pub struct AuditRow {
    seq: i64,
    time: String,
    actor: String,
    ip: String,
    action: String,
    entity: String,
    outcome: String,
    tone: &'static str,
    detail: String,
    hash: String,
    hash_short: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct LogPage {
    c: Chrome,
    rows: Vec<AuditRow>,
    outcomes: Vec<(String, String)>,
    actor: String,
    action: String,
    outcome: String,
    from: String,
    until: String,
    pager: Pager,
    can_export: bool,
    can_verify: bool,
    verify_message: String,
    verify_tone: &'static str,
}

fn outcome_label(i: &I18n, o: Outcome) -> (String, &'static str) {
    let tone = match o {
        Outcome::Success => "green",
        Outcome::Failure => "orange",
        Outcome::Denied => "red",
    };
    (i.t(&format!("outcome-{}", o.code())), tone)
}

async fn log_page(state: &AppState, ctx: &Ctx, q: LogQuery, verify: Option<&VerifyReport>) -> Response {
    let page = match state.app.audit_page(&ctx.caller, q.filter(), PageRequest::clamped(q.page, Some(50))).await {
        Ok(p) => p,
        Err(e) => return ctx.err(e).into_response(),
    };
    let i = ctx.i;
    let s = |o: &Option<String>| o.clone().unwrap_or_default();
    let (actor, action, outcome, from, until) = (s(&q.actor), s(&q.action), s(&q.outcome), s(&q.from), s(&q.until));
    let pager = Pager::of(
        &page,
        &[("actor", &actor), ("action", &action), ("outcome", &outcome), ("from", &from), ("until", &until)],
    );
    let rows = page
        .items
        .into_iter()
        .map(|r| {
            let (label, tone) = outcome_label(&i, r.entry.outcome);
            let hash = hex::encode(r.hash);
            AuditRow {
                seq: r.seq,
                time: r.at.display_cst(),
                actor: r.entry.actor_name,
                ip: r.entry.source_ip,
                action: r.entry.action,
                entity: format!("{} {}", r.entry.entity_type, r.entry.entity_id.chars().take(13).collect::<String>()),
                outcome: label,
                tone,
                detail: r.entry.detail.chars().take(200).collect(),
                hash_short: hash.chars().take(12).collect(),
                hash,
            }
        })
        .collect();
    let p = ctx.caller.principal.as_ref();
    let (verify_message, verify_tone) = match verify {
        None => (String::new(), "ok"),
        Some(r) => match &r.result {
            Ok(()) => (
                i.ta("verify-ok", &[("records", r.records.to_string()), ("checkpoints", r.checkpoints.to_string())]),
                "ok",
            ),
            Err(b) => (i.ta("verify-bad", &[("seq", b.first_bad_seq().to_string()), ("reason", b.to_string())]), "err"),
        },
    };
    let outcomes = Outcome::ALL.iter().map(|o| (o.code().to_owned(), outcome_label(&i, *o).0)).collect();
    render(&LogPage {
        c: Chrome::new(ctx, "nav-audit", "/audit"),
        rows,
        outcomes,
        actor,
        action,
        outcome,
        from,
        until,
        pager,
        can_export: p.is_some_and(|p| p.has(Capability::AuditExport)),
        can_verify: p.is_some_and(|p| p.has(Capability::AuditVerify)),
        verify_message,
        verify_tone,
    })
}

/// `GET /audit`.
pub async fn log(State(state): State<AppState>, ctx: Ctx, Query(q): Query<LogQuery>) -> Response {
    log_page(&state, &ctx, q, None).await
}

/// `POST /audit/verify`: verifies and shows the result above the log.
pub async fn verify(State(state): State<AppState>, ctx: Ctx, _form: FormData) -> Response {
    match state.app.verify_audit(&ctx.caller).await {
        Ok(report) => log_page(&state, &ctx, LogQuery::default(), Some(&report)).await,
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /audit/export.csv`.
pub async fn csv(State(state): State<AppState>, ctx: Ctx, Query(q): Query<LogQuery>) -> Response {
    match state.app.audit_csv(&ctx.caller, q.filter()).await {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"parkops-audit.csv\""),
            ],
            body,
        )
            .into_response(),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /audit/checkpoints.txt`.
pub async fn checkpoints(State(state): State<AppState>, ctx: Ctx) -> Response {
    match state.app.export_checkpoints(&ctx.caller).await {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"parkops-checkpoints.txt\""),
            ],
            body,
        )
            .into_response(),
        Err(e) => ctx.err(e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_days_in_china_standard_time() {
        // 2026-01-01 00:00 +08:00 is 2025-12-31T16:00Z.
        assert_eq!(day_start("2026-01-01").map(Timestamp::rfc3339).as_deref(), Some("2025-12-31T16:00:00.000Z"));
        assert_eq!(day_start("not a date"), None);
    }
}
