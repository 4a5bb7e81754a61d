//! Users and posts over the API.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use parkops_app::ports::{PageRequest, UserFilter};
use parkops_app::user::{NewUser, ProfileInput};
use parkops_domain::access::Post;
use parkops_domain::id::{OrgId, UserId};
use serde::Deserialize;
use serde_json::json;

use super::{Body, created, ok, page_json, user_json};
use crate::AppState;
use crate::form::IdPath;
use crate::guard::Ctx;

/// List query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    org_id: Option<String>,
    post: Option<String>,
    active: Option<bool>,
    q: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// `GET /api/v1/users`.
pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> Response {
    let filter = UserFilter {
        org_id: q.org_id.as_deref().and_then(|s| OrgId::parse(s).ok()),
        post: q.post.as_deref().and_then(|s| Post::parse(s).ok()),
        active: q.active,
        text: q.q,
        ..UserFilter::default()
    };
    match state.app.list_users(&ctx.caller, filter, PageRequest::clamped(q.page, q.per_page)).await {
        Ok(p) => ok(page_json(&p, user_json)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// Create body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    org_id: String,
    username: String,
    display_name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    posts: Vec<String>,
    #[serde(default)]
    password: String,
}

/// `POST /api/v1/users`: a generated initial password is returned once.
pub async fn create(State(state): State<AppState>, ctx: Ctx, Body(b): Body<CreateBody>) -> Response {
    let input = NewUser {
        org_id: b.org_id,
        username: b.username,
        display_name: b.display_name,
        phone: b.phone,
        email: b.email,
        posts: b.posts,
        password: b.password,
    };
    match state.app.create_user(&ctx.caller, input).await {
        Ok(c) => created(json!({ "user": user_json(&c.user), "initial_password": c.initial_password })),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /api/v1/users/{id}`.
pub async fn show(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<UserId>) -> Response {
    match state.app.get_user(&ctx.caller, id).await {
        Ok(u) => ok(user_json(&u)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// Profile body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileBody {
    display_name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    is_active: bool,
}

/// `PUT /api/v1/users/{id}`.
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<UserId>,
    Body(b): Body<ProfileBody>,
) -> Response {
    let input = ProfileInput { display_name: b.display_name, phone: b.phone, email: b.email, is_active: b.is_active };
    match state.app.update_user(&ctx.caller, id, input).await {
        Ok(u) => ok(user_json(&u)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// Posts body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostsBody {
    posts: Vec<String>,
}

/// `PUT /api/v1/users/{id}/posts`.
pub async fn posts(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<UserId>,
    Body(b): Body<PostsBody>,
) -> Response {
    match state.app.assign_posts(&ctx.caller, id, &b.posts).await {
        Ok(u) => ok(user_json(&u)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /api/v1/users/{id}/reset-password`.
pub async fn reset_password(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<UserId>) -> Response {
    match state.app.reset_password(&ctx.caller, id).await {
        Ok(p) => ok(json!({ "password": p, "must_change_password": true })),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /api/v1/users/{id}/unlock`.
pub async fn unlock(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<UserId>) -> Response {
    match state.app.unlock_user(&ctx.caller, id).await {
        Ok(()) => ok(json!({ "unlocked": true })),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /api/v1/users/{id}/reset-totp`.
pub async fn reset_totp(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<UserId>) -> Response {
    match state.app.reset_totp(&ctx.caller, id).await {
        Ok(()) => ok(json!({ "reset": true })),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /api/v1/users/{id}/end-sessions`.
pub async fn end_sessions(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<UserId>) -> Response {
    match state.app.end_sessions(&ctx.caller, id).await {
        Ok(n) => ok(json!({ "ended": n })),
        Err(e) => ctx.err(e).into_response(),
    }
}
