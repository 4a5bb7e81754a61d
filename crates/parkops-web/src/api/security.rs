//! Job descriptions and the security policy over the API.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Body, created, ok};
use crate::AppState;
use crate::guard::Ctx;

/// `GET /api/v1/job-descriptions`.
pub async fn job_descriptions(State(state): State<AppState>, ctx: Ctx) -> Response {
    match state.app.job_descriptions(&ctx.caller).await {
        Ok(list) => ok(json!({ "items": list.iter().map(|j| json!({
            "id": j.id.to_string(), "post": j.post.code(), "version": j.version, "title": j.title, "content": j.content,
            "change_note": j.change_note, "created_by": j.created_by, "created_at": j.created_at.rfc3339(),
        })).collect::<Vec<_>>() })),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// Publish body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishBody {
    post: String,
    title: String,
    content: String,
    #[serde(default)]
    change_note: String,
}

/// `POST /api/v1/job-descriptions`.
pub async fn publish_job_description(State(state): State<AppState>, ctx: Ctx, Body(b): Body<PublishBody>) -> Response {
    match state.app.publish_job_description(&ctx.caller, &b.post, &b.title, &b.content, &b.change_note).await {
        Ok(j) => created(json!({ "id": j.id.to_string(), "post": j.post.code(), "version": j.version })),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /api/v1/security/policy`.
pub async fn policy(State(state): State<AppState>, ctx: Ctx) -> Response {
    let history = match state.app.security_policy_history(&ctx.caller).await {
        Ok(h) => h,
        Err(e) => return ctx.err(e).into_response(),
    };
    match state.app.security_policy().await {
        Ok(p) => ok(json!({
            "policy": p.to_json(),
            "versions": history.iter().map(|r| json!({
                "version": r.version, "created_by": r.created_by, "created_at": r.created_at.rfc3339(),
                "policy": serde_json::from_str::<Value>(&r.body).unwrap_or(Value::Null),
            })).collect::<Vec<_>>(),
        })),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// Known policy fields only: an unknown field is refused rather than silently ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code, reason = "fields are read through the JSON value; this type only validates the shape")]
pub struct PolicyBody {
    password_min_length: Option<u32>,
    password_require_upper: Option<bool>,
    password_require_lower: Option<bool>,
    password_require_digit: Option<bool>,
    password_require_special: Option<bool>,
    password_history_count: Option<u32>,
    password_max_age_days: Option<u32>,
    lockout_threshold: Option<u32>,
    lockout_minutes: Option<u32>,
    session_idle_minutes: Option<u32>,
    session_absolute_hours: Option<u32>,
    totp_for_all: Option<bool>,
}

/// `PUT /api/v1/security/policy`.
pub async fn policy_update(State(state): State<AppState>, ctx: Ctx, Body(v): Body<Value>) -> Response {
    if let Err(e) = serde_json::from_value::<PolicyBody>(v.clone()) {
        let body = json!({ "error": "invalid_body", "message": ctx.i.t("err-invalid_body"), "detail": e.to_string(), "fields": [] });
        return (axum::http::StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    }
    match state.app.update_security_policy(&ctx.caller, &v).await {
        Ok(p) => ok(json!({ "policy": p.to_json() })),
        Err(e) => ctx.err(e).into_response(),
    }
}
