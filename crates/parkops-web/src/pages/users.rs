//! User and post-assignment pages (R-8.1.1; 等保 8.1.4.2).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use parkops_app::AppError;
use parkops_app::ports::{OrgFilter, PageRequest, UserFilter, UserRecord};
use parkops_app::user::{NewUser, ProfileInput};
use parkops_domain::access::{Capability, Post, Target};
use parkops_domain::id::{OrgId, UserId};
use serde::Deserialize;

use super::{Chrome, FormState, Pager, posts_label, render, render_status, see_other};
use crate::AppState;
use crate::form::{FormData, IdPath};
use crate::guard::Ctx;
use crate::i18n::I18n;

/// Filters of the list.
#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    org: Option<String>,
    post: Option<String>,
    active: Option<String>,
    q: Option<String>,
    page: Option<i64>,
    ok: Option<String>,
}

/// One row.
pub struct UserRow {
    id: String,
    username: String,
    display_name: String,
    org: String,
    posts: String,
    last_login: String,
    status: String,
    tone: &'static str,
}

fn status_of(i: &I18n, u: &UserRecord, now: parkops_domain::time::Timestamp) -> (String, &'static str) {
    if !u.is_active {
        (i.t("inactive"), "grey")
    } else if u.failures.locked_until.is_some_and(|t| now < t) {
        (i.t("locked"), "red")
    } else {
        (i.t("active"), "green")
    }
}

fn all_posts(i: &I18n) -> Vec<(String, String)> {
    Post::ALL.iter().map(|p| (p.code().to_owned(), i.t(&format!("post-{}", p.code())))).collect()
}

async fn org_options(state: &AppState, ctx: &Ctx) -> Vec<(String, String)> {
    state
        .app
        .list_orgs(&ctx.caller, OrgFilter::default(), PageRequest { page: 1, per_page: 200 })
        .await
        .map(|p| p.items.into_iter().map(|o| (o.id.to_string(), o.name)).collect())
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "users.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<UserRow>,
    orgs: Vec<(String, String)>,
    posts: Vec<(String, String)>,
    org: String,
    post: String,
    active: String,
    q: String,
    pager: Pager,
    can_manage: bool,
}

/// `GET /users`.
pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> Response {
    let org = q.org.clone().unwrap_or_default();
    let post = q.post.clone().unwrap_or_default();
    let active = q.active.clone().unwrap_or_default();
    let text = q.q.clone().unwrap_or_default();
    let filter = UserFilter {
        org_id: OrgId::parse(&org).ok(),
        post: Post::parse(&post).ok(),
        active: match active.as_str() {
            "1" => Some(true),
            "0" => Some(false),
            _ => None,
        },
        text: q.q.clone(),
        ..UserFilter::default()
    };
    let page = match state.app.list_users(&ctx.caller, filter, PageRequest::clamped(q.page, Some(20))).await {
        Ok(p) => p,
        Err(e) => return ctx.err(e).into_response(),
    };
    let i = ctx.i;
    let orgs = org_options(&state, &ctx).await;
    let now = state.app.clock.now();
    let pager = Pager::of(&page, &[("org", &org), ("post", &post), ("active", &active), ("q", &text)]);
    let rows = page
        .items
        .into_iter()
        .map(|u| {
            let (status, tone) = status_of(&i, &u, now);
            UserRow {
                id: u.id.to_string(),
                org: orgs.iter().find(|o| o.0 == u.org_id.to_string()).map(|o| o.1.clone()).unwrap_or_default(),
                posts: posts_label(&i, u.posts.iter().copied()),
                last_login: u.last_login_at.map(|t| t.display_cst()).unwrap_or_else(|| "—".into()),
                username: u.username,
                display_name: u.display_name,
                status,
                tone,
            }
        })
        .collect();
    let can_manage = ctx.caller.principal.as_ref().is_some_and(|p| p.has(Capability::UserManage));
    let c = Chrome::new(&ctx, "nav-users", "/users").flash(q.ok.as_deref());
    render(&ListPage { c, rows, orgs, posts: all_posts(&i), org, post, active, q: text, pager, can_manage })
}

#[derive(Template)]
#[template(path = "user_form.html")]
struct NewPage {
    c: Chrome,
    f: FormState,
    orgs: Vec<(String, String)>,
    posts: Vec<(String, String)>,
}

/// `GET /users/new`.
pub async fn new(State(state): State<AppState>, ctx: Ctx) -> Response {
    let c = Chrome::new(&ctx, "user-new", "/users").under("nav-users", "/users");
    render(&NewPage { orgs: org_options(&state, &ctx).await, posts: all_posts(&ctx.i), c, f: FormState::new() })
}

/// `POST /users`: the generated initial password is shown once on the user's page.
pub async fn create(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Response {
    let input = NewUser {
        org_id: form.get("org_id").to_owned(),
        username: form.get("username").to_owned(),
        display_name: form.get("display_name").to_owned(),
        phone: form.get("phone").to_owned(),
        email: form.get("email").to_owned(),
        posts: form.all("posts"),
        password: form.get("password").to_owned(),
    };
    match state.app.create_user(&ctx.caller, input).await {
        Ok(created) => {
            let secret = created.initial_password.unwrap_or_default();
            show_page(&state, &ctx, &created.user, secret, FormState::new(), Some("user_created")).await
        }
        Err(AppError::Invalid(errors)) => {
            let mut f = FormState::new().with_all("posts", form.all("posts"));
            for k in ["org_id", "username", "display_name", "phone", "email"] {
                f = f.with(k, form.get(k));
            }
            let f = f.errors(&ctx.i, &errors);
            let c = Chrome::new(&ctx, "user-new", "/users").under("nav-users", "/users");
            render_status(
                StatusCode::BAD_REQUEST,
                &NewPage { orgs: org_options(&state, &ctx).await, posts: all_posts(&ctx.i), c, f },
            )
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "user_show.html")]
struct ShowPage {
    c: Chrome,
    f: FormState,
    u: UserView,
    org_name: String,
    posts_label: String,
    posts: Vec<(String, String)>,
    status: String,
    tone: &'static str,
    created: String,
    last_login: String,
    totp: bool,
    failures: u32,
    secret: String,
    can_manage: bool,
    can_unlock: bool,
    can_assign: bool,
}

/// The displayed fields of a user.
pub struct UserView {
    id: String,
    org_id: String,
    username: String,
    display_name: String,
    phone: String,
    email: String,
}

fn profile_form(u: &UserRecord) -> FormState {
    FormState::new()
        .with("display_name", u.display_name.clone())
        .with("phone", u.phone.clone())
        .with("email", u.email.clone())
        .with("is_active", if u.is_active { "1" } else { "0" })
        .with_all("posts", u.posts.iter().map(|p| p.code().to_owned()).collect())
}

async fn show_page(
    state: &AppState,
    ctx: &Ctx,
    u: &UserRecord,
    secret: String,
    f: FormState,
    flash: Option<&str>,
) -> Response {
    let i = ctx.i;
    let now = state.app.clock.now();
    let (status, tone) = status_of(&i, u, now);
    let org_name = state.app.store.org(u.org_id).await.ok().flatten().map(|o| o.name).unwrap_or_default();
    let target = Target { park_id: u.park_id, org_id: Some(u.org_id) };
    let p = ctx.caller.principal.as_ref();
    let can = |c: Capability| p.is_some_and(|p| p.can(c, target));
    let f = if f.has_errors() { f } else { profile_form(u) };
    let page = ShowPage {
        c: Chrome::new(ctx, "nav-users", "/users")
            .under("nav-users", "/users")
            .titled(u.display_name.clone())
            .flash(flash),
        f,
        u: UserView {
            id: u.id.to_string(),
            org_id: u.org_id.to_string(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            phone: u.phone.clone(),
            email: u.email.clone(),
        },
        org_name,
        posts_label: posts_label(&i, u.posts.iter().copied()),
        posts: all_posts(&i),
        status,
        tone,
        created: u.created_at.display_cst(),
        last_login: u.last_login_at.map(|t| t.display_cst()).unwrap_or_else(|| "—".into()),
        totp: u.totp_secret.is_some(),
        failures: u.failures.count,
        secret,
        can_manage: can(Capability::UserManage),
        can_unlock: can(Capability::UserUnlock),
        can_assign: can(Capability::PostAssignBusiness) || can(Capability::PostAssignAdmin),
    };
    let code = if page.f.has_errors() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    render_status(code, &page)
}

/// `GET /users/{id}`.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<UserId>,
    Query(q): Query<ListQuery>,
) -> Response {
    match state.app.get_user(&ctx.caller, id).await {
        Ok(u) => show_page(&state, &ctx, &u, String::new(), FormState::new(), q.ok.as_deref()).await,
        Err(e) => ctx.err(e).into_response(),
    }
}

async fn after(
    state: &AppState,
    ctx: &Ctx,
    id: UserId,
    result: Result<(), AppError>,
    form: Option<&FormData>,
    flash: &str,
) -> Response {
    match result {
        Ok(()) => see_other(&format!("/users/{id}?ok={flash}")),
        Err(AppError::Invalid(errors)) => {
            let Ok(u) = state.app.get_user(&ctx.caller, id).await else {
                return ctx.err(AppError::NotFound).into_response();
            };
            let mut f = FormState::new();
            if let Some(form) = form {
                for k in ["display_name", "phone", "email"] {
                    f = f.with(k, form.get(k));
                }
                f = f
                    .with("is_active", if form.flag("is_active") { "1" } else { "0" })
                    .with_all("posts", form.all("posts"));
            }
            show_page(state, ctx, &u, String::new(), f.errors(&ctx.i, &errors), None).await
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /users/{id}`.
pub async fn update(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<UserId>, form: FormData) -> Response {
    let input = ProfileInput {
        display_name: form.get("display_name").to_owned(),
        phone: form.get("phone").to_owned(),
        email: form.get("email").to_owned(),
        is_active: form.flag("is_active"),
    };
    let r = state.app.update_user(&ctx.caller, id, input).await.map(|_| ());
    after(&state, &ctx, id, r, Some(&form), "saved").await
}

/// `POST /users/{id}/posts`.
pub async fn posts(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<UserId>, form: FormData) -> Response {
    let r = state.app.assign_posts(&ctx.caller, id, &form.all("posts")).await.map(|_| ());
    after(&state, &ctx, id, r, Some(&form), "posts_saved").await
}

/// `POST /users/{id}/reset-password`: the new password is shown once.
pub async fn reset_password(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<UserId>,
    _form: FormData,
) -> Response {
    match state.app.reset_password(&ctx.caller, id).await {
        Ok(password) => match state.app.get_user(&ctx.caller, id).await {
            Ok(u) => show_page(&state, &ctx, &u, password, FormState::new(), Some("password_reset")).await,
            Err(e) => ctx.err(e).into_response(),
        },
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /users/{id}/unlock`.
pub async fn unlock(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<UserId>, _form: FormData) -> Response {
    let r = state.app.unlock_user(&ctx.caller, id).await;
    after(&state, &ctx, id, r, None, "unlocked").await
}

/// `POST /users/{id}/reset-totp`.
pub async fn reset_totp(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<UserId>,
    _form: FormData,
) -> Response {
    let r = state.app.reset_totp(&ctx.caller, id).await;
    after(&state, &ctx, id, r, None, "totp_reset").await
}

/// `POST /users/{id}/end-sessions`.
pub async fn end_sessions(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<UserId>,
    _form: FormData,
) -> Response {
    let r = state.app.end_sessions(&ctx.caller, id).await.map(|_| ());
    after(&state, &ctx, id, r, None, "sessions_ended").await
}
