//! The caller's own account and API tokens.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use parkops_app::AppError;
use parkops_domain::access::Capability;
use parkops_domain::id::ApiTokenId;
use serde::Deserialize;
use serde_json::json;

use super::{Body, created, ok};
use crate::AppState;
use crate::form::IdPath;
use crate::guard::Ctx;

/// `GET /api/v1/me`.
pub async fn me(ctx: Ctx) -> Response {
    let Some(p) = &ctx.caller.principal else { return ctx.err(AppError::Unauthenticated).into_response() };
    let caps: Vec<_> = Capability::ALL.iter().filter(|c| p.has(**c)).map(|c| c.code()).collect();
    ok(json!({
        "id": p.user_id.to_string(), "username": p.username, "display_name": p.display_name,
        "park_id": p.park_id.to_string(), "org_id": p.org_id.to_string(), "org_type": p.org_type.code(),
        "posts": p.posts.iter().map(|x| x.code()).collect::<Vec<_>>(), "capabilities": caps,
    }))
}

/// `GET /api/v1/me/tokens`.
pub async fn tokens(State(state): State<AppState>, ctx: Ctx) -> Response {
    match state.app.my_api_tokens(&ctx.caller).await {
        Ok(list) => ok(json!({ "items": list.iter().map(|t| json!({
            "id": t.id.to_string(), "name": t.name, "prefix": t.prefix, "created_at": t.created_at.rfc3339(),
            "expires_at": t.expires_at.rfc3339(), "revoked_at": t.revoked_at.map(|r| r.rfc3339()),
        })).collect::<Vec<_>>() })),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// Token body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    name: String,
    days: i64,
}

/// `POST /api/v1/me/tokens`.
pub async fn token_create(State(state): State<AppState>, ctx: Ctx, Body(b): Body<TokenBody>) -> Response {
    match state.app.create_api_token(&ctx.caller, &b.name, b.days).await {
        Ok(t) => created(
            json!({ "id": t.record.id.to_string(), "name": t.record.name, "secret": t.secret, "expires_at": t.record.expires_at.rfc3339() }),
        ),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /api/v1/me/tokens/{id}/revoke`.
pub async fn token_revoke(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<ApiTokenId>) -> Response {
    match state.app.revoke_api_token(&ctx.caller, id).await {
        Ok(()) => ok(json!({ "revoked": true })),
        Err(e) => ctx.err(e).into_response(),
    }
}
