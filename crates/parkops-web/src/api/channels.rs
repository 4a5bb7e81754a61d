//! Notification channels and the delivery log over the API. Secrets are write-only: a
//! channel reads back with `secret_set` only, and its endpoint with the access token masked.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use parkops_app::notify::ChannelInput;
use parkops_app::ports::notify::{ChannelRecord, DeliveryRecord};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Body, created, ok};
use crate::AppState;
use crate::form::IdPath;
use crate::guard::Ctx;
use crate::pages::channels::{effective_limit, masked_endpoint, own_channel};

/// A channel as JSON: never the secret, and the endpoint masked.
#[must_use]
pub fn channel_json(c: &ChannelRecord) -> Value {
    let limit = effective_limit(c);
    json!({
        "id": c.id.to_string(), "kind": c.kind, "name": c.name,
        "endpoint": masked_endpoint(&c.kind, &c.endpoint), "secret_set": !c.secret.is_empty(),
        "recipients": c.recipients, "smtp_from": c.smtp_from, "smtp_username": c.smtp_username,
        "smtp_security": c.smtp_security, "per_minute": c.per_minute, "per_second": c.per_second,
        "effective_limit": limit.map(|l| json!({ "per_minute": l.per_minute, "per_second": l.per_second })),
        "enabled": c.enabled, "levels": c.levels, "domains": c.domains, "events": c.events,
        "created_at": c.created_at.rfc3339(),
    })
}

fn delivery_json(d: &DeliveryRecord, channel: &str) -> Value {
    json!({
        "id": d.id.to_string(), "channel_id": d.channel_id.to_string(), "channel": channel, "covers": d.covers,
        "title": d.title, "body": d.body, "status": d.status, "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at.map(|t| t.rfc3339()), "last_error": d.last_error,
        "created_at": d.created_at.rfc3339(), "updated_at": d.updated_at.rfc3339(),
    })
}

/// `GET /api/v1/desk/channels`.
pub async fn list(State(state): State<AppState>, ctx: Ctx) -> Response {
    match state.app.channels(&ctx.caller).await {
        Ok(channels) => ok(json!({ "items": channels.iter().map(channel_json).collect::<Vec<_>>() })),
        Err(e) => ctx.err(e).into_response(),
    }
}

const fn enabled_by_default() -> bool {
    true
}

/// A channel as submitted. On update an empty (or absent) `secret` or `endpoint` keeps the
/// stored one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelBody {
    kind: String,
    name: String,
    #[serde(default)]
    endpoint: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    recipients: Vec<String>,
    #[serde(default)]
    smtp_from: String,
    #[serde(default)]
    smtp_username: String,
    #[serde(default)]
    smtp_security: String,
    #[serde(default)]
    per_minute: Option<u32>,
    #[serde(default)]
    per_second: Option<u32>,
    #[serde(default = "enabled_by_default")]
    enabled: bool,
    #[serde(default)]
    levels: Vec<String>,
    #[serde(default)]
    domains: Vec<String>,
    #[serde(default)]
    events: Vec<String>,
}

impl ChannelBody {
    fn input(self) -> ChannelInput {
        ChannelInput {
            kind: self.kind,
            name: self.name,
            endpoint: self.endpoint,
            secret: self.secret,
            recipients: self.recipients.join("\n"),
            smtp_from: self.smtp_from,
            smtp_username: self.smtp_username,
            smtp_security: self.smtp_security,
            per_minute: self.per_minute.map(|n| n.to_string()).unwrap_or_default(),
            per_second: self.per_second.map(|n| n.to_string()).unwrap_or_default(),
            enabled: self.enabled,
            levels: self.levels,
            domains: self.domains,
            events: self.events,
        }
    }
}

/// `POST /api/v1/desk/channels`.
pub async fn create(State(state): State<AppState>, ctx: Ctx, Body(b): Body<ChannelBody>) -> Response {
    match state.app.save_channel(&ctx.caller, None, b.input()).await {
        Ok(c) => created(channel_json(&c)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `PUT /api/v1/desk/channels/{id}`.
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    Body(b): Body<ChannelBody>,
) -> Response {
    let existing = match own_channel(&state, &ctx, id).await {
        Ok(c) => c,
        Err(e) => return ctx.err(e).into_response(),
    };
    let mut input = b.input();
    if input.endpoint.trim().is_empty() {
        input.endpoint = existing.endpoint;
    }
    match state.app.save_channel(&ctx.caller, Some(id), input).await {
        Ok(c) => ok(channel_json(&c)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /api/v1/desk/channels/{id}/test`: 202, the message is queued for the delivery job.
pub async fn test(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<uuid::Uuid>) -> Response {
    match state.app.test_channel(&ctx.caller, id).await {
        Ok(()) => (StatusCode::ACCEPTED, Json(json!({ "queued": true, "channel_id": id.to_string() }))).into_response(),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /api/v1/desk/deliveries`.
pub async fn deliveries(State(state): State<AppState>, ctx: Ctx) -> Response {
    match state.app.delivery_log(&ctx.caller).await {
        Ok(log) => ok(json!({ "items": log.iter().map(|(d, name)| delivery_json(d, name)).collect::<Vec<_>>() })),
        Err(e) => ctx.err(e).into_response(),
    }
}
