//! The per-route guard: rate limit, authentication (session cookie or API token), stage and
//! capability checks with an audit record for every denial, and CSRF defence. Every route
//! runs behind it with its registry entry, so a handler cannot forget a check.

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use parkops_app::ports::{SessionRecord, SessionStage};
use parkops_app::{AppError, Caller};
use serde_json::json;

use crate::AppState;
use crate::error::WebError;
use crate::i18n::{I18n, Lang};
use crate::registry::{Access, Kind, RouteSpec};

/// What a handler knows about its request.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Language.
    pub i: I18n,
    /// Caller for the use cases.
    pub caller: Caller,
    /// The session, when authenticated by cookie.
    pub session: Option<SessionRecord>,
    /// The raw session token (for staged login steps), when authenticated by cookie.
    pub token: Option<String>,
    /// The route being served.
    pub spec: &'static RouteSpec,
    /// Unread notifications of a logged-in user (pages only; shown in the navigation).
    pub unread: usize,
}

impl Ctx {
    /// An error response in this request's language and kind.
    #[must_use]
    pub fn err(&self, error: AppError) -> WebError {
        WebError { error, i: self.i, api: self.spec.kind == Kind::Api }
    }

    /// The CSRF token to embed in forms.
    #[must_use]
    pub fn csrf(&self) -> String {
        self.session.as_ref().map(|s| s.csrf_token.clone()).unwrap_or_default()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Self>().cloned().ok_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// The session cookie's name: `__Host-` prefixed when served over HTTPS (ASVS V3.3.1).
#[must_use]
pub const fn cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-parkops_session" } else { "parkops_session" }
}

/// A cookie value from the request.
#[must_use]
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// `Set-Cookie` for a session token (empty token and max-age 0 to clear).
#[must_use]
pub fn session_cookie(secure: bool, token: &str) -> HeaderValue {
    let max_age = if token.is_empty() { "; Max-Age=0" } else { "" };
    let secure_attr = if secure { "; Secure" } else { "" };
    let v = format!("{}={token}; Path=/; HttpOnly; SameSite=Lax{secure_attr}{max_age}", cookie_name(secure));
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static("parkops_session=; Max-Age=0"))
}

/// Where a session that is not yet fully logged in must go next.
#[must_use]
pub const fn stage_page(stage: SessionStage) -> &'static str {
    match stage {
        SessionStage::NeedsTotp => "/login/totp",
        SessionStage::NeedsTotpEnrolment => "/login/totp-enrol",
        SessionStage::NeedsPasswordChange => "/password",
        SessionStage::Full => "/dashboard",
    }
}

fn client_ip(req: &Request) -> String {
    req.extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map_or_else(|| "local".to_owned(), |c| c.0.ip().to_string())
}

fn request_id(req: &Request) -> String {
    req.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().filter(char::is_ascii_graphic).take(64).collect())
        .unwrap_or_default()
}

/// Refuses cross-site state changes (ASVS V3.5). Browsers that send `Sec-Fetch-Site` are
/// judged by it; otherwise by `Origin` against `Host` (`Origin: null` is refused then).
fn is_cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => origin.split("://").nth(1) != Some(host),
        _ => false,
    }
}

fn deny(ctx: &Ctx, status: StatusCode) -> Response {
    let error = if status == StatusCode::FORBIDDEN {
        AppError::Forbidden { capability: parkops_domain::access::Capability::DashboardView }
    } else {
        AppError::Unauthenticated
    };
    let mut r = ctx.err(error).into_response();
    *r.status_mut() = status;
    r
}

/// The guard itself, installed on every route with its registry entry.
pub async fn guard(
    State((state, spec)): State<(AppState, &'static RouteSpec)>,
    mut req: Request,
    next: Next,
) -> Response {
    let headers = req.headers();
    let lang = Lang::pick(cookie(headers, "lang"), headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()));
    let i = I18n { lang };
    let ip = client_ip(&req);
    let rid = request_id(&req);
    let mut ctx = Ctx { i, caller: Caller::anonymous(ip.clone(), rid), session: None, token: None, spec, unread: 0 };
    let app = &state.app;

    if !state.limiter.allow(spec.rate, &ip, app.clock.now()) {
        if spec.rate == crate::registry::RateClass::Login {
            let _ = app.record_denial(&ctx.caller, spec.path, "rate_limit").await;
        }
        let body = ctx.i.t("err-rate-limited");
        let mut r = if spec.kind == Kind::Api {
            (StatusCode::TOO_MANY_REQUESTS, axum::Json(json!({ "error": "rate_limited", "message": body })))
                .into_response()
        } else {
            (StatusCode::TOO_MANY_REQUESTS, crate::pages::ErrorPage::new(ctx.i, 429, body).html()).into_response()
        };
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("6"));
        return r;
    }

    // Authenticate: a bearer API token, or the session cookie.
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let session_token =
        cookie(headers, cookie_name(state.config.secure_cookies)).filter(|t| !t.is_empty()).map(str::to_owned);
    if let Some(token) = bearer {
        match app.resolve_api_token(&token).await {
            Ok(p) => ctx.caller.principal = Some(p),
            Err(AppError::Unavailable(e)) => return ctx.err(AppError::Unavailable(e)).into_response(),
            Err(_) if spec.access == Access::Public => {}
            Err(_) => return deny(&ctx, StatusCode::UNAUTHORIZED),
        }
    } else if let Some(token) = session_token {
        match app.resolve_session(&token).await {
            Ok(active) => {
                ctx.caller.principal = Some(active.principal);
                ctx.session = Some(active.session);
                ctx.token = Some(token);
            }
            Err(AppError::Unavailable(e)) => return ctx.err(AppError::Unavailable(e)).into_response(),
            Err(_) => {}
        }
    }

    // CSRF: cookie-authenticated state changes must come from this site; the API also wants
    // the synchronizer token in a header (forms carry it in a field, checked by `FormData`).
    if spec.is_unsafe() {
        let headers = req.headers();
        let header_ok = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()) == Some(ctx.csrf().as_str());
        if is_cross_site(headers) || (ctx.session.is_some() && spec.kind == Kind::Api && !header_ok) {
            let _ = app.record_denial(&ctx.caller, spec.path, "csrf").await;
            return deny(&ctx, StatusCode::FORBIDDEN);
        }
    }

    let stage = ctx.session.as_ref().map(|s| s.stage);
    let full = ctx.caller.principal.is_some() && stage.is_none_or(|s| s == SessionStage::Full);
    let allowed = match spec.access {
        Access::Public => true,
        Access::Staged => ctx.caller.principal.is_some(),
        Access::Authenticated | Access::Capability(_) if !full => {
            return match (spec.kind, stage) {
                (Kind::Page, Some(s)) => Redirect::to(stage_page(s)).into_response(),
                (Kind::Page, None) => Redirect::to("/login").into_response(),
                _ => deny(&ctx, StatusCode::UNAUTHORIZED),
            };
        }
        Access::Authenticated => true,
        Access::Capability(c) => {
            let ok = ctx.caller.principal.as_ref().is_some_and(|p| p.has(c));
            if !ok && let Err(e) = app.record_denial(&ctx.caller, spec.path, c.code()).await {
                return ctx.err(e).into_response();
            }
            ok
        }
    };
    if !allowed {
        return match spec.kind {
            Kind::Page if ctx.caller.principal.is_none() => Redirect::to("/login").into_response(),
            _ if ctx.caller.principal.is_none() => deny(&ctx, StatusCode::UNAUTHORIZED),
            _ => deny(&ctx, StatusCode::FORBIDDEN),
        };
    }
    if spec.kind == Kind::Page
        && full
        && let Some(p) = &ctx.caller.principal
    {
        // The navigation's message badge; a read failure only hides the count.
        ctx.unread =
            app.store.unread_notifications(p.user_id, 100).await.map_or(0, |n| usize::try_from(n).unwrap_or_default());
    }
    let authenticated = ctx.caller.principal.is_some();
    let caller = ctx.caller.clone();
    req.extensions_mut().insert(ctx);
    let started = std::time::Instant::now();
    let mut response = next.run(req).await;
    // A refusal from inside a use case (object out of scope, an administrator post the caller
    // may not grant, a form without its CSRF token) is recorded like the guard's own.
    if response.status() == StatusCode::FORBIDDEN
        && let Err(e) = app.record_denial(&caller, spec.path, "object_scope").await
    {
        tracing::error!(error = %e, "cannot record a refusal");
    }
    state.metrics.observe(spec, response.status().as_u16(), started.elapsed());
    if authenticated {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_site_requests_are_recognised() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        h.insert(header::ORIGIN, HeaderValue::from_static("http://127.0.0.1:8080"));
        assert!(!is_cross_site(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(is_cross_site(&h));
        let mut h = HeaderMap::new();
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(is_cross_site(&h));
        // Chromium sends `Origin: null` with `Sec-Fetch-Site: same-origin` under some referrer policies.
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(!is_cross_site(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-site"));
        assert!(is_cross_site(&h), "a sibling site is not this origin");
    }

    #[test]
    fn cookies_are_parsed() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("lang=en; parkops_session=abc"));
        assert_eq!(cookie(&h, "parkops_session"), Some("abc"));
        assert_eq!(cookie(&h, "lang"), Some("en"));
        assert_eq!(cookie(&h, "x"), None);
    }
}
