//! The audit log over the API.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use parkops_app::ports::{AuditFilter, PageRequest};
use parkops_domain::audit::Outcome;
use serde::Deserialize;
use serde_json::json;

use super::{ok, page_json};
use crate::AppState;
use crate::guard::Ctx;

/// List query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    actor: Option<String>,
    action: Option<String>,
    outcome: Option<String>,
    entity_id: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// `GET /api/v1/audit`.
pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> Response {
    let filter = AuditFilter {
        actor: q.actor,
        action: q.action,
        outcome: q.outcome.filter(|o| Outcome::parse(o).is_some()),
        entity_id: q.entity_id,
        from: None,
        until: None,
    };
    match state.app.audit_page(&ctx.caller, filter, PageRequest::clamped(q.page, q.per_page)).await {
        Ok(p) => ok(page_json(&p, |r| {
            json!({
                "seq": r.seq, "at": r.at.rfc3339(), "actor_id": r.entry.actor_id, "actor": r.entry.actor_name,
                "source_ip": r.entry.source_ip, "request_id": r.entry.request_id, "action": r.entry.action,
                "entity_type": r.entry.entity_type, "entity_id": r.entry.entity_id, "outcome": r.entry.outcome.code(),
                "detail": r.entry.detail, "prev_hash": hex::encode(r.prev_hash), "hash": hex::encode(r.hash),
            })
        })),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /api/v1/audit/verify`.
pub async fn verify(State(state): State<AppState>, ctx: Ctx) -> Response {
    match state.app.verify_audit(&ctx.caller).await {
        Ok(r) => ok(json!({
            "ok": r.result.is_ok(), "records": r.records, "checkpoints": r.checkpoints,
            "first_bad_seq": r.result.as_ref().err().map(parkops_domain::audit::ChainBreak::first_bad_seq),
            "reason": r.result.as_ref().err().map(ToString::to_string),
        })),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /api/v1/audit/checkpoints`.
pub async fn checkpoints(State(state): State<AppState>, ctx: Ctx) -> Response {
    match state.app.export_checkpoints(&ctx.caller).await {
        Ok(body) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response(),
        Err(e) => ctx.err(e).into_response(),
    }
}
