//! API login (sets the same session cookie as the page) and the staged steps.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::{Body, ok};
use crate::AppState;
use crate::guard::{Ctx, session_cookie};

/// Login body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    username: String,
    password: String,
}

/// `POST /api/v1/session`.
pub async fn login(State(state): State<AppState>, ctx: Ctx, Body(b): Body<LoginBody>) -> Response {
    match state.app.login(&ctx.caller, &b.username, &b.password).await {
        Ok(out) => {
            let csrf = match state.app.store.session(&parkops_app::secret::token_hash(&out.token)).await {
                Ok(Some(s)) => s.csrf_token,
                _ => String::new(),
            };
            let mut r = ok(json!({ "stage": out.stage.code(), "csrf_token": csrf }));
            r.headers_mut().insert(header::SET_COOKIE, session_cookie(state.config.secure_cookies, &out.token));
            r
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

/// TOTP body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    code: String,
}

/// `POST /api/v1/session/totp`.
pub async fn totp(State(state): State<AppState>, ctx: Ctx, Body(b): Body<CodeBody>) -> Response {
    let token = ctx.token.clone().unwrap_or_default();
    match state.app.verify_totp(&ctx.caller, &token, &b.code).await {
        Ok(out) => {
            let mut r = ok(json!({ "stage": out.stage.code() }));
            r.headers_mut().insert(header::SET_COOKIE, session_cookie(state.config.secure_cookies, &out.token));
            r
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /api/v1/session/logout`.
pub async fn logout(State(state): State<AppState>, ctx: Ctx) -> Response {
    if let Some(token) = &ctx.token
        && let Err(e) = state.app.logout(&ctx.caller, token).await
    {
        return ctx.err(e).into_response();
    }
    let mut r = ok(json!({ "ended": true }));
    r.headers_mut().insert(header::SET_COOKIE, session_cookie(state.config.secure_cookies, ""));
    r
}

/// Password change body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    current_password: String,
    new_password: String,
}

/// `POST /api/v1/me/password` (session only: API tokens cannot change passwords).
pub async fn password(State(state): State<AppState>, ctx: Ctx, Body(b): Body<PasswordBody>) -> Response {
    let Some(token) = ctx.token.clone() else {
        return ctx.err(parkops_app::AppError::Unauthenticated).into_response();
    };
    match state.app.change_password(&ctx.caller, &token, &b.current_password, &b.new_password, &b.new_password).await {
        Ok(new_token) => {
            let mut r = ok(json!({ "changed": true }));
            r.headers_mut().insert(header::SET_COOKIE, session_cookie(state.config.secure_cookies, &new_token));
            r
        }
        Err(e) => ctx.err(e).into_response(),
    }
}
