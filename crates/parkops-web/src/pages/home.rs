//! Health, assets, language switch, first-run page, dashboard.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use parkops_app::ports::{AuditFilter, OrgFilter, PageRequest, UserFilter};
use parkops_domain::access::Capability;
use serde::Deserialize;

use super::{Chrome, render, see_other};
use crate::AppState;
use crate::form::FormData;
use crate::guard::Ctx;

/// `GET /healthz`: 200 once the database answers, 503 otherwise.
pub async fn health(State(state): State<AppState>) -> Response {
    match state.app.store.count_users().await {
        Ok(_) => (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "ok").into_response(),
        Err(_) => {
            (StatusCode::SERVICE_UNAVAILABLE, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "unavailable")
                .into_response()
        }
    }
}

/// The stylesheet, embedded in the binary.
pub async fn css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/app.css"),
    )
        .into_response()
}

/// The script, embedded in the binary.
pub async fn js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/app.js"),
    )
        .into_response()
}

/// `GET /`: where to start.
pub async fn root(State(state): State<AppState>, ctx: Ctx) -> Response {
    if ctx.caller.principal.is_some() {
        let audit_only = ctx
            .caller
            .principal
            .as_ref()
            .is_some_and(|p| p.has(Capability::AuditView) && !p.has(Capability::DashboardView));
        return see_other(if audit_only { "/audit" } else { "/dashboard" });
    }
    match state.app.store.count_users().await {
        Ok(0) => see_other("/setup"),
        _ => see_other("/login"),
    }
}

/// Query of `/lang`.
#[derive(Debug, Deserialize)]
pub struct LangQuery {
    to: Option<String>,
}

/// `GET /lang?to=en`: remembers the language in a cookie.
pub async fn lang(Query(q): Query<LangQuery>) -> Response {
    let tag = if q.to.as_deref() == Some("en") { "en" } else { "zh-CN" };
    let mut r = see_other("/");
    if let Ok(v) = HeaderValue::from_str(&format!("lang={tag}; Path=/; Max-Age=31536000; SameSite=Lax")) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    c: Chrome,
}

/// `GET /setup`: only while the installation has no users.
pub async fn setup(State(state): State<AppState>, ctx: Ctx) -> Response {
    match state.app.store.count_users().await {
        Ok(0) => render(&SetupPage { c: Chrome::new(&ctx, "setup-title", "") }),
        Ok(_) => see_other("/login"),
        Err(e) => ctx.err(e.into()).into_response(),
    }
}

/// `POST /setup/demo`: loads the demo park, only into an installation without users.
pub async fn setup_demo(State(state): State<AppState>, ctx: Ctx, _form: FormData) -> Response {
    match state.app.store.count_users().await {
        Ok(0) => match state.app.load_demo(&ctx.caller).await {
            Ok(_) => see_other("/login?ok=demo_loaded"),
            Err(e) => ctx.err(e).into_response(),
        },
        Ok(_) => see_other("/login"),
        Err(e) => ctx.err(e.into()).into_response(),
    }
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    c: Chrome,
    stats: Vec<(String, String, String)>,
    org_name: String,
    posts: Vec<String>,
    capabilities: Vec<String>,
    modules: Vec<(String, String, String)>,
}

/// `GET /dashboard`.
pub async fn dashboard(State(state): State<AppState>, ctx: Ctx) -> Response {
    let Some(p) = ctx.caller.principal.clone() else { return see_other("/login") };
    let i = ctx.i;
    let app = &state.app;
    let one = PageRequest { page: 1, per_page: 1 };
    let mut stats = Vec::new();
    if let Ok(page) = app.list_orgs(&ctx.caller, OrgFilter::default(), one).await {
        stats.push((i.t("nav-orgs"), page.total.to_string(), "/orgs".to_owned()));
    }
    if let Ok(page) = app.list_users(&ctx.caller, UserFilter::default(), one).await {
        stats.push((i.t("nav-users"), page.total.to_string(), "/users".to_owned()));
        let active = UserFilter { active: Some(true), ..UserFilter::default() };
        if let Ok(a) = app.list_users(&ctx.caller, active, one).await {
            stats.push((i.t("dash-active-users"), a.total.to_string(), "/users?active=1".to_owned()));
        }
    }
    if let Ok(jds) = app.job_descriptions(&ctx.caller).await {
        let posts: std::collections::BTreeSet<_> = jds.iter().map(|j| j.post).collect();
        stats.push((i.t("dash-job-descriptions"), posts.len().to_string(), "/posts".to_owned()));
    }
    if p.has(Capability::AuditView)
        && let Ok(pg) = app.store.audit_page(&AuditFilter::default(), one).await
    {
        stats.push((i.t("nav-audit"), pg.total.to_string(), "/audit".to_owned()));
    }
    let org_name = app.store.org(p.org_id).await.ok().flatten().map(|o| o.name).unwrap_or_default();
    let posts = p.posts.iter().map(|x| i.t(&format!("post-{}", x.code()))).collect();
    let capabilities = Capability::ALL
        .iter()
        .filter(|c| p.has(**c))
        .map(|c| i.t(&format!("cap-{}", c.code().replace('.', "-"))))
        .collect();
    let done = [
        ("mod-org", "green", "status-ready"),
        ("mod-audit", "green", "status-ready"),
        ("mod-auth", "green", "status-ready"),
        ("mod-desk", "green", "status-ready"),
        // Asset register (issue #4).
        ("nav-assets", "green", "status-ready"),
        // Inspections, maintenance and calibration by plan (issue #4).
        ("nav-inspection", "green", "status-ready"),
    ];
    let mut modules: Vec<_> = done.iter().map(|(k, tone, s)| (i.t(k), (*tone).to_owned(), i.t(s))).collect();
    modules.extend(super::PLANNED.iter().map(|k| (i.t(k), "grey".to_owned(), i.t("nav-planned"))));
    render(&DashboardPage {
        c: Chrome::new(&ctx, "nav-dashboard", "/dashboard"),
        stats,
        org_name,
        posts,
        capabilities,
        modules,
    })
}
