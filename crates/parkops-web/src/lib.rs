//! ParkOps web adapter: server-rendered pages (zh-CN by default, English switchable), the
//! JSON API under `/api/v1`, its OpenAPI document, `/healthz` and the server's own metrics.
//!
//! Key types: [`registry::ROUTES`] (every route with its access rule, audit events, rate
//! class and API description), [`guard::guard`] (runs before every handler), [`AppState`],
//! [`error::WebError`] (the only place that picks status codes).
//!
//! This crate never talks SQL and holds no business rule: handlers parse input, call one use
//! case of `parkops_app::App`, and render the result.

mod api;
pub mod error;
pub mod export;
pub mod form;
pub mod guard;
pub mod i18n;
mod metrics;
mod openapi;
pub mod pages;
pub mod ratelimit;
pub mod registry;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::{MethodRouter, get, post, put};
use parkops_app::App;
use tower_http::set_header::SetResponseHeaderLayer;

pub use metrics::Metrics;
use registry::{Method, ROUTES, RouteId};

/// Web settings from the binary.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Set `Secure` and the `__Host-` prefix on cookies and send HSTS (true when serving HTTPS).
    pub secure_cookies: bool,
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The use cases.
    pub app: App,
    /// Settings.
    pub config: WebConfig,
    /// Request budgets.
    pub limiter: Arc<ratelimit::RateLimiter>,
    /// The server's own metrics.
    pub metrics: Metrics,
}

fn handler(id: RouteId) -> MethodRouter<AppState> {
    use RouteId as R;
    use api::{audit as aa, channels as ac, me, orgs as ao, security as asec, session, tickets as at, users as au};
    use pages::{
        admin, audit as pa, auth as pauth, channels as pc, desk as pd, desk_admin as pda, home, inbox, orgs as po,
        posts as pp, users as pu,
    };
    let upload = || axum::extract::DefaultBodyLimit::max(pages::desk::UPLOAD_LIMIT);
    match id {
        R::Health => get(home::health),
        R::Css => get(home::css),
        R::Js => get(home::js),
        R::OpenApi => get(openapi::document),
        R::ApiDocs => get(openapi::page),
        R::Home => get(home::root),
        R::Lang => get(home::lang),
        R::Setup => get(home::setup),
        R::SetupDemo => post(home::setup_demo),
        R::LoginPage => get(pauth::login_page),
        R::LoginSubmit => post(pauth::login_submit),
        R::TotpPage => get(pauth::totp_page),
        R::TotpSubmit => post(pauth::totp_submit),
        R::TotpEnrolPage => get(pauth::enrol_page),
        R::TotpEnrolSubmit => post(pauth::enrol_submit),
        R::PasswordPage => get(pauth::password_page),
        R::PasswordSubmit => post(pauth::password_submit),
        R::Logout => post(pauth::logout),
        R::Dashboard => get(home::dashboard),
        R::Profile => get(pauth::profile),
        R::TokenCreate => post(pauth::token_create),
        R::TokenRevoke => post(pauth::token_revoke),
        R::OrgList => get(po::list),
        R::OrgNew => get(po::new),
        R::OrgCreate => post(po::create),
        R::OrgShow => get(po::show),
        R::OrgEdit => get(po::edit),
        R::OrgUpdate => post(po::update),
        R::UserList => get(pu::list),
        R::UserNew => get(pu::new),
        R::UserCreate => post(pu::create),
        R::UserShow => get(pu::show),
        R::UserUpdate => post(pu::update),
        R::UserPosts => post(pu::posts),
        R::UserResetPassword => post(pu::reset_password),
        R::UserUnlock => post(pu::unlock),
        R::UserResetTotp => post(pu::reset_totp),
        R::UserEndSessions => post(pu::end_sessions),
        R::PostList => get(pp::list),
        R::PostShow => get(pp::show),
        R::PostEdit => get(pp::edit),
        R::PostPublish => post(pp::publish),
        R::PolicyPage => get(admin::policy_page),
        R::PolicyUpdate => post(admin::policy_update),
        R::AuditLog => get(pa::log),
        R::AuditCsv => get(pa::csv),
        R::AuditCheckpoints => get(pa::checkpoints),
        R::AuditVerify => post(pa::verify),
        R::DeskQueue => get(pd::queue),
        R::DeskNew => get(pd::new),
        R::DeskCreate => post(pd::create),
        R::DeskMine => get(pd::mine),
        R::DeskDashboard => get(pda::dashboard),
        R::DeskExportCsv => get(pd::export_csv),
        R::DeskExportXlsx => get(pd::export_xlsx),
        R::DeskSettings => get(pda::settings),
        R::DeskSlaUpdate => post(pda::update_sla),
        R::DeskCalendarUpdate => post(pda::update_calendar),
        R::DeskLineUpdate => post(pda::update_line),
        R::DeskChannels => get(pc::list),
        R::DeskChannelNew => get(pc::new),
        R::DeskChannelCreate => post(pc::create),
        R::DeskChannelEdit => get(pc::edit),
        R::DeskChannelUpdate => post(pc::update),
        R::DeskChannelTest => post(pc::test),
        R::DeskDeliveries => get(pc::deliveries),
        R::TicketShow => get(pd::show),
        R::TicketAction => post(pd::action),
        R::TicketAssign => post(pd::assign),
        R::TicketEscalate => post(pd::escalate),
        R::TicketComment => post(pd::comment),
        R::TicketAttach => post(pd::attach).layer(upload()),
        R::TicketRate => post(pd::rate),
        R::TicketAttachment => get(pd::attachment),
        R::Track => get(inbox::track),
        R::Inbox => get(inbox::inbox),
        R::InboxRead => post(inbox::read),
        R::ApiLogin => post(session::login),
        R::ApiTotp => post(session::totp),
        R::ApiLogout => post(session::logout),
        R::ApiPassword => post(session::password),
        R::ApiMe => get(me::me),
        R::ApiTokens => get(me::tokens),
        R::ApiTokenCreate => post(me::token_create),
        R::ApiTokenRevoke => post(me::token_revoke),
        R::ApiOrgList => get(ao::list),
        R::ApiOrgCreate => post(ao::create),
        R::ApiOrgShow => get(ao::show),
        R::ApiOrgUpdate => put(ao::update),
        R::ApiUserList => get(au::list),
        R::ApiUserCreate => post(au::create),
        R::ApiUserShow => get(au::show),
        R::ApiUserUpdate => put(au::update),
        R::ApiUserPosts => put(au::posts),
        R::ApiUserResetPassword => post(au::reset_password),
        R::ApiUserUnlock => post(au::unlock),
        R::ApiUserResetTotp => post(au::reset_totp),
        R::ApiUserEndSessions => post(au::end_sessions),
        R::ApiJobDescriptions => get(asec::job_descriptions),
        R::ApiJobDescriptionPublish => post(asec::publish_job_description),
        R::ApiPolicy => get(asec::policy),
        R::ApiPolicyUpdate => put(asec::policy_update),
        R::ApiTicketList => get(at::list),
        R::ApiTicketCreate => post(at::create),
        R::ApiTicketShow => get(at::show),
        R::ApiTicketAction => post(at::action),
        R::ApiTicketAssign => post(at::assign),
        R::ApiTicketEscalate => post(at::escalate),
        R::ApiTicketComment => post(at::comment),
        R::ApiTicketRate => post(at::rate),
        R::ApiTicketAttach => post(at::attach).layer(upload()),
        R::ApiAttachment => get(at::attachment),
        R::ApiDeskStats => get(at::stats),
        R::ApiSlaPolicy => get(at::sla_policy),
        R::ApiSlaPolicyUpdate => put(at::sla_policy_update),
        R::ApiCalendar => get(at::calendar),
        R::ApiCalendarUpdate => put(at::calendar_update),
        R::ApiSupportLines => get(at::support_lines),
        R::ApiSupportLineUpdate => put(at::support_line_update),
        R::ApiChannels => get(ac::list),
        R::ApiChannelCreate => post(ac::create),
        R::ApiChannelUpdate => put(ac::update),
        R::ApiChannelTest => post(ac::test),
        R::ApiDeliveries => get(ac::deliveries),
        R::ApiNotifications => get(at::notifications),
        R::ApiNotificationsRead => post(at::notifications_read),
        R::ApiTrack => get(at::track),
        R::ApiAudit => get(aa::list),
        R::ApiAuditVerify => post(aa::verify),
        R::ApiAuditCheckpoints => get(aa::checkpoints),
    }
}

/// A request id for every request that comes without one (UUIDv7), echoed in the response
/// and carried into the audit record and the request log.
#[derive(Clone, Copy, Debug, Default)]
struct NewRequestId;

impl tower_http::request_id::MakeRequestId for NewRequestId {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<tower_http::request_id::RequestId> {
        HeaderValue::from_str(&uuid::Uuid::now_v7().to_string()).ok().map(tower_http::request_id::RequestId::new)
    }
}

/// Request ids and a request log line per request, with method, path, status and latency.
fn with_request_ids(router: Router) -> Router {
    let trace =
        tower_http::trace::TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<axum::body::Body>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        });
    router
        .layer(tower_http::request_id::PropagateRequestIdLayer::x_request_id())
        .layer(trace)
        .layer(tower_http::request_id::SetRequestIdLayer::x_request_id(NewRequestId))
}

/// Security headers on every response (ASVS V3.4; G17).
fn with_headers(router: Router, secure: bool) -> Router {
    let set = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    let router = router
        .layer(set(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; \
             base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        ))
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
        .layer(set(header::REFERRER_POLICY, "same-origin"))
        .layer(set(HeaderName::from_static("permissions-policy"), "camera=(), microphone=(), geolocation=()"))
        .layer(set(HeaderName::from_static("cross-origin-opener-policy"), "same-origin"));
    if secure {
        router.layer(set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains"))
    } else {
        router
    }
}

/// The whole web application: pages, JSON API, OpenAPI document, `/healthz`.
pub fn router(app: App, config: WebConfig) -> Router {
    routers(app, config).0
}

/// The web application and, for a separate listener, its `/metrics` (one shared registry).
pub fn routers(app: App, config: WebConfig) -> (Router, Router) {
    let metrics = Metrics::default();
    let secure = config.secure_cookies;
    let state =
        AppState { app, config, limiter: Arc::new(ratelimit::RateLimiter::default()), metrics: metrics.clone() };
    let mut router = Router::new();
    for spec in ROUTES {
        let method_router =
            handler(spec.id).layer(axum::middleware::from_fn_with_state((state.clone(), spec), guard::guard));
        router = router.route(spec.path, method_router);
    }
    let router =
        router.fallback(pages::not_found).with_state(state).layer(axum::extract::DefaultBodyLimit::max(1024 * 1024));
    (with_request_ids(with_headers(router, secure)), metrics_router(metrics))
}

/// Registry method to axum method, for tests that walk the registry.
#[must_use]
pub fn http_method(m: Method) -> axum::http::Method {
    match m {
        Method::Get => axum::http::Method::GET,
        Method::Post => axum::http::Method::POST,
        Method::Put => axum::http::Method::PUT,
    }
}

/// The server's own metrics in Prometheus text format, served on a separate listener.
fn metrics_router(metrics: Metrics) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let m = metrics.clone();
            async move { ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], m.encode()) }
        }),
    )
}
