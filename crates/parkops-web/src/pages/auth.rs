//! Login, second factor, password change, logout, own profile and API tokens.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use parkops_app::AppError;
use parkops_app::ports::SessionStage;
use parkops_domain::id::ApiTokenId;
use serde::Deserialize;

use super::{Chrome, FormState, render, render_status, see_other};
use crate::AppState;
use crate::error::{message, status};
use crate::form::{FormData, IdPath};
use crate::guard::{Ctx, session_cookie, stage_page};

/// A flash key in the query (`?ok=saved`).
#[derive(Debug, Deserialize, Default)]
pub struct Flash {
    /// The flash message key.
    pub ok: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    f: FormState,
    error: String,
    empty: bool,
}

/// `GET /login`.
pub async fn login_page(State(state): State<AppState>, ctx: Ctx, Query(flash): Query<Flash>) -> Response {
    if let Some(s) = &ctx.session {
        return see_other(stage_page(s.stage));
    }
    let empty = matches!(state.app.store.count_users().await, Ok(0));
    let c = Chrome::new(&ctx, "login-title", "").flash(flash.ok.as_deref());
    render(&LoginPage { c, f: FormState::new(), error: String::new(), empty })
}

fn with_cookie(mut r: Response, secure: bool, token: &str) -> Response {
    r.headers_mut().insert(header::SET_COOKIE, session_cookie(secure, token));
    r
}

/// `POST /login`.
pub async fn login_submit(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Response {
    let username = form.get("username");
    match state.app.login(&ctx.caller, username, form.get("password")).await {
        Ok(out) => with_cookie(see_other(stage_page(out.stage)), state.config.secure_cookies, &out.token),
        Err(e @ AppError::Unavailable(_)) => ctx.err(e).into_response(),
        Err(e) => {
            let c = Chrome::new(&ctx, "login-title", "");
            let page = LoginPage {
                c,
                f: FormState::new().with("username", username),
                error: message(&ctx.i, &e),
                empty: false,
            };
            render_status(status(&e), &page)
        }
    }
}

#[derive(Template)]
#[template(path = "totp.html")]
struct TotpPage {
    c: Chrome,
    f: FormState,
}

/// `GET /login/totp`.
pub async fn totp_page(ctx: Ctx) -> Response {
    match ctx.session.as_ref().map(|s| s.stage) {
        Some(SessionStage::NeedsTotp) => {
            render(&TotpPage { c: Chrome::new(&ctx, "totp-title", ""), f: FormState::new() })
        }
        Some(s) => see_other(stage_page(s)),
        None => see_other("/login"),
    }
}

/// `POST /login/totp`.
pub async fn totp_submit(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Response {
    let token = ctx.token.clone().unwrap_or_default();
    match state.app.verify_totp(&ctx.caller, &token, form.get("code")).await {
        Ok(out) => with_cookie(see_other(stage_page(out.stage)), state.config.secure_cookies, &out.token),
        Err(AppError::Invalid(errors)) => {
            let f = FormState::new().errors(&ctx.i, &errors);
            render_status(axum::http::StatusCode::BAD_REQUEST, &TotpPage { c: Chrome::new(&ctx, "totp-title", ""), f })
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "totp_enrol.html")]
struct EnrolPage {
    c: Chrome,
    f: FormState,
    secret: String,
    uri: String,
}

fn enrol(ctx: &Ctx, secret: String, f: FormState) -> EnrolPage {
    let account = ctx.caller.principal.as_ref().map_or_else(String::new, |p| p.username.clone());
    let uri = parkops_app::secret::totp_uri(&secret, "ParkOps", &account);
    EnrolPage { c: Chrome::new(ctx, "enrol-title", ""), f, secret, uri }
}

/// `GET /login/totp-enrol`: a fresh secret each time the page is shown.
pub async fn enrol_page(ctx: Ctx) -> Response {
    match ctx.session.as_ref().map(|s| s.stage) {
        Some(SessionStage::NeedsTotpEnrolment | SessionStage::Full) => {
            render(&enrol(&ctx, parkops_app::secret::new_totp_secret(), FormState::new()))
        }
        Some(s) => see_other(stage_page(s)),
        None => see_other("/login"),
    }
}

/// `POST /login/totp-enrol`.
pub async fn enrol_submit(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Response {
    let token = ctx.token.clone().unwrap_or_default();
    let secret = form.get("secret").to_owned();
    match state.app.enrol_totp(&ctx.caller, &token, &secret, form.get("code")).await {
        Ok(out) => {
            let to = if ctx.session.as_ref().is_some_and(|s| s.stage == SessionStage::Full) {
                "/me?ok=totp_enrolled"
            } else {
                stage_page(out.stage)
            };
            with_cookie(see_other(to), state.config.secure_cookies, &out.token)
        }
        Err(AppError::Invalid(errors)) => {
            let f = FormState::new().errors(&ctx.i, &errors);
            render_status(axum::http::StatusCode::BAD_REQUEST, &enrol(&ctx, secret, f))
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    c: Chrome,
    f: FormState,
    forced: bool,
    rules: String,
    min_length: u32,
}

async fn password_form(state: &AppState, ctx: &Ctx, f: FormState) -> PasswordPage {
    let policy = state.app.security_policy().await.unwrap_or_default().password;
    let mut parts = vec![ctx.i.ta("rule-min-length", &[("min", policy.min_length.to_string())])];
    for (on, key) in [
        (policy.require_upper, "rule-upper"),
        (policy.require_lower, "rule-lower"),
        (policy.require_digit, "rule-digit"),
        (policy.require_special, "rule-special"),
    ] {
        if on {
            parts.push(ctx.i.t(key));
        }
    }
    if policy.history_count > 0 {
        parts.push(ctx.i.ta("rule-history", &[("count", policy.history_count.to_string())]));
    }
    let forced = ctx.session.as_ref().is_some_and(|s| s.stage == SessionStage::NeedsPasswordChange);
    PasswordPage {
        c: Chrome::new(ctx, "password-title", ""),
        f,
        forced,
        rules: parts.join("；"),
        min_length: policy.min_length,
    }
}

/// `GET /password`.
pub async fn password_page(State(state): State<AppState>, ctx: Ctx) -> Response {
    match ctx.session.as_ref().map(|s| s.stage) {
        Some(SessionStage::NeedsPasswordChange | SessionStage::Full) => {
            render(&password_form(&state, &ctx, FormState::new()).await)
        }
        Some(s) => see_other(stage_page(s)),
        None => see_other("/login"),
    }
}

/// `POST /password`.
pub async fn password_submit(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Response {
    let token = ctx.token.clone().unwrap_or_default();
    match state
        .app
        .change_password(
            &ctx.caller,
            &token,
            form.get("current_password"),
            form.get("new_password"),
            form.get("confirm_password"),
        )
        .await
    {
        Ok(new_token) => {
            with_cookie(see_other("/dashboard?ok=password_changed"), state.config.secure_cookies, &new_token)
        }
        Err(AppError::Invalid(errors)) => {
            let f = FormState::new().errors(&ctx.i, &errors);
            render_status(axum::http::StatusCode::BAD_REQUEST, &password_form(&state, &ctx, f).await)
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /logout`: ends the session and clears browser storage for this site.
pub async fn logout(State(state): State<AppState>, ctx: Ctx, _form: FormData) -> Response {
    if let Some(token) = &ctx.token
        && let Err(e) = state.app.logout(&ctx.caller, token).await
    {
        return ctx.err(e).into_response();
    }
    let mut r = with_cookie(see_other("/login?ok=logged_out"), state.config.secure_cookies, "");
    r.headers_mut().insert("clear-site-data", axum::http::HeaderValue::from_static("\"cookies\", \"storage\""));
    r
}

/// One API token row.
pub struct TokenRow {
    id: String,
    name: String,
    prefix: String,
    created: String,
    expires: String,
    status: String,
    tone: &'static str,
    active: bool,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    c: Chrome,
    f: FormState,
    username: String,
    display_name: String,
    posts: String,
    password_changed: String,
    totp: bool,
    sessions: Vec<(String, String, String)>,
    tokens: Vec<TokenRow>,
    secret: String,
}

async fn profile_page(state: &AppState, ctx: &Ctx, f: FormState, secret: String, flash: Option<&str>) -> Response {
    let Some(p) = ctx.caller.principal.as_ref() else { return see_other("/login") };
    let app = &state.app;
    let user = match app.store.user(p.user_id).await {
        Ok(Some(u)) => u,
        Ok(None) => return ctx.err(AppError::NotFound).into_response(),
        Err(e) => return ctx.err(e.into()).into_response(),
    };
    let now = app.clock.now();
    let sessions = app
        .store
        .sessions_of(p.user_id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|s| (s.created_at.display_cst(), s.last_seen_at.display_cst(), s.ip))
        .collect();
    let i = ctx.i;
    let tokens = app
        .my_api_tokens(&ctx.caller)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|t| {
            let (status, tone, active) = if t.revoked_at.is_some() {
                (i.t("token-revoked"), "grey", false)
            } else if now >= t.expires_at {
                (i.t("token-expired"), "orange", false)
            } else {
                (i.t("active"), "green", true)
            };
            TokenRow {
                id: t.id.to_string(),
                name: t.name,
                prefix: t.prefix,
                created: t.created_at.display_cst(),
                expires: t.expires_at.display_cst(),
                status,
                tone,
                active,
            }
        })
        .collect();
    let page = ProfilePage {
        c: Chrome::new(ctx, "nav-profile", "/me").flash(flash),
        f,
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        posts: super::posts_label(&i, user.posts.iter().copied()),
        password_changed: user.password_changed_at.display_cst(),
        totp: user.totp_secret.is_some(),
        sessions,
        tokens,
        secret,
    };
    render(&page)
}

/// `GET /me`.
pub async fn profile(State(state): State<AppState>, ctx: Ctx, Query(flash): Query<Flash>) -> Response {
    profile_page(&state, &ctx, FormState::new(), String::new(), flash.ok.as_deref()).await
}

/// `POST /me/tokens`: the secret is shown once on the page that answers.
pub async fn token_create(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Response {
    let days = form.get("days").trim().parse::<i64>().unwrap_or(0);
    match state.app.create_api_token(&ctx.caller, form.get("name"), days).await {
        Ok(t) => profile_page(&state, &ctx, FormState::new(), t.secret, None).await,
        Err(AppError::Invalid(errors)) => {
            let f = FormState::new().with("name", form.get("name")).errors(&ctx.i, &errors);
            let mut r = profile_page(&state, &ctx, f, String::new(), None).await;
            *r.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            r
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /me/tokens/{id}/revoke`.
pub async fn token_revoke(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<ApiTokenId>,
    _form: FormData,
) -> Response {
    match state.app.revoke_api_token(&ctx.caller, id).await {
        Ok(()) => see_other("/me?ok=token_revoked"),
        Err(e) => ctx.err(e).into_response(),
    }
}
