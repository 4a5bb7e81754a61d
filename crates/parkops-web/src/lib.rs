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
pub mod svg_graph;

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
    /// Background asset imports and their progress (issue #4).
    pub imports: Arc<pages::assets_import::ImportJobs>,
}

fn handler(id: RouteId) -> MethodRouter<AppState> {
    use RouteId as R;
    use api::{audit as aa, channels as ac, me, orgs as ao, security as asec, session, tickets as at, users as au};
    use pages::{
        admin, audit as pa, auth as pauth, channels as pc, desk as pd, desk_admin as pda, home, inbox, orgs as po,
        posts as pp, users as pu,
    };
    let upload = || axum::extract::DefaultBodyLimit::max(pages::desk::UPLOAD_LIMIT);
    // Inspection results carry a photo per item (issue #4).
    let result_limit = || axum::extract::DefaultBodyLimit::max(pages::schedules::RESULT_UPLOAD_LIMIT);
    // Asset import (issue #4): files up to 20 MiB.
    let import_limit = || axum::extract::DefaultBodyLimit::max(pages::assets_import::IMPORT_BODY_LIMIT);
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
        // Asset register (issue #4).
        R::AssetList => get(pages::assets::list),
        R::AssetExportCsv => get(pages::assets::export_csv),
        R::AssetExportXlsx => get(pages::assets::export_xlsx),
        R::AssetNew => get(pages::assets::new),
        R::AssetCreate => post(pages::assets::create),
        R::AssetClasses => get(pages::assets_admin::classes),
        R::AssetClassDefine => post(pages::assets_admin::define_class),
        R::AssetLocations => get(pages::assets_admin::locations),
        R::AssetLocationPut => post(pages::assets_admin::location_put),
        R::AssetParts => get(pages::assets_admin::parts),
        R::AssetPartCreate => post(pages::assets_admin::part_create),
        R::AssetPart => get(pages::assets_admin::part),
        R::AssetPartMove => post(pages::assets_admin::part_move),
        R::AssetImport => get(pages::assets_import::page),
        R::AssetImportStart => post(pages::assets_import::start).layer(import_limit()),
        R::AssetImportJob => get(pages::assets_import::job),
        R::AssetImportTemplate => get(pages::assets_import::template),
        R::AssetShow => get(pages::assets::show),
        R::AssetEdit => get(pages::assets::edit),
        R::AssetUpdate => post(pages::assets::update),
        R::AssetLifecyclePreview => get(pages::assets::lifecycle_preview),
        R::AssetLifecycle => post(pages::assets::lifecycle),
        R::AssetRelationAdd => post(pages::assets::relation_add),
        R::AssetRelationRemove => post(pages::assets::relation_remove),
        R::ApiAssetList => get(api::assets::list),
        R::ApiAssetCreate => post(api::assets::create),
        R::ApiAssetImport => post(api::assets::import).layer(import_limit()),
        R::ApiAssetShow => get(api::assets::show),
        R::ApiAssetUpdate => put(api::assets::update),
        R::ApiAssetImpact => get(api::assets::impact),
        R::ApiAssetEvents => get(api::assets::events),
        R::ApiAssetEvent => post(api::assets::event),
        R::ApiAssetRelations => get(api::assets::relations),
        R::ApiAssetRelationAdd => post(api::assets::relation_add),
        R::ApiAssetRelationRemove => post(api::assets::relation_remove),
        R::ApiAssetClasses => get(api::assets::classes),
        R::ApiAssetClassDefine => post(api::assets::define_class),
        R::ApiAssetLocations => get(api::assets::locations),
        R::ApiAssetLocationPut => post(api::assets::location_put),
        R::ApiSpareParts => get(api::assets::parts),
        R::ApiSparePartCreate => post(api::assets::part_create),
        R::ApiSparePartMovements => get(api::assets::movements),
        R::ApiSparePartMove => post(api::assets::part_move),
        // Calibration register (R-9.1.1d).
        R::CalibrationRegister => get(pages::calibration::register),
        R::CalibrationExportCsv => get(pages::calibration::export_csv),
        R::CalibrationExportXlsx => get(pages::calibration::export_xlsx),
        R::CalibrationNew => get(pages::calibration::new),
        R::CalibrationCreate => post(pages::calibration::create),
        R::CalibrationShow => get(pages::calibration::show),
        R::CalibrationCorrect => post(pages::calibration::correct),
        R::CalibrationAttach => post(pages::calibration::attach).layer(upload()),
        R::CalibrationAttachment => get(pages::calibration::attachment),
        R::CalibrationDue => get(pages::calibration::due),
        R::CalibrationDueCsv => get(pages::calibration::due_csv),
        R::CalibrationDueXlsx => get(pages::calibration::due_xlsx),
        R::CalibrationCycles => get(pages::calibration::cycles),
        R::CalibrationCycleUpdate => post(pages::calibration::cycle_update),
        R::ApiCalibrationList => get(api::calibration::list),
        R::ApiCalibrationCreate => post(api::calibration::create),
        R::ApiCalibrationShow => get(api::calibration::show),
        R::ApiCalibrationCorrect => post(api::calibration::correct),
        R::ApiCalibrationAttach => post(api::calibration::attach).layer(upload()),
        R::ApiCalibrationAttachment => get(api::calibration::attachment),
        R::ApiCalibrationDue => get(api::calibration::due),
        R::ApiCalibrationCycles => get(api::calibration::cycles),
        R::ApiCalibrationCycleUpdate => put(api::calibration::cycle_update),
        // Inspections, maintenance and calibration by plan (issue #4).
        R::InspStandards => get(pages::schedules::standards),
        R::InspStandardNew => get(pages::schedules::standard_new),
        R::InspStandardCreate => post(pages::schedules::standard_create),
        R::InspStandardDefaults => post(pages::schedules::standard_defaults),
        R::InspStandardShow => get(pages::schedules::standard),
        R::InspStandardEdit => get(pages::schedules::standard_edit),
        R::InspPlans => get(pages::schedules::plans),
        R::InspPlanNew => get(pages::schedules::plan_new),
        R::InspPlanCreate => post(pages::schedules::plan_create),
        R::InspPlanShow => get(pages::schedules::plan),
        R::InspPlanEdit => get(pages::schedules::plan_edit),
        R::InspPlanUpdate => post(pages::schedules::plan_update),
        R::InspPlanPause => post(pages::schedules::plan_pause),
        R::InspPlanResume => post(pages::schedules::plan_resume),
        R::InspGenerate => post(pages::schedules::generate),
        R::InspTasks => get(pages::schedules::tasks),
        R::InspCalendar => get(pages::schedules::calendar),
        R::InspTaskShow => get(pages::schedules::task),
        R::InspTaskStart => post(pages::schedules::task_start),
        R::InspTaskAssign => post(pages::schedules::task_assign),
        R::InspTaskCancel => post(pages::schedules::task_cancel),
        R::InspTaskRecord => post(pages::schedules::task_record).layer(result_limit()),
        R::InspResultShow => get(pages::schedules::result),
        R::InspResultCorrect => post(pages::schedules::result_correct).layer(result_limit()),
        R::InspPhoto => get(pages::schedules::photo),
        R::ApiInspStandards => get(api::schedules::standards),
        R::ApiInspStandardCreate => post(api::schedules::standard_create),
        R::ApiInspStandardDefaults => post(api::schedules::standard_defaults),
        R::ApiInspStandardShow => get(api::schedules::standard),
        R::ApiInspPlans => get(api::schedules::plans),
        R::ApiInspPlanCreate => post(api::schedules::plan_create),
        R::ApiInspPlanShow => get(api::schedules::plan),
        R::ApiInspPlanUpdate => put(api::schedules::plan_update),
        R::ApiInspPlanPause => post(api::schedules::plan_pause),
        R::ApiInspPlanResume => post(api::schedules::plan_resume),
        R::ApiInspGenerate => post(api::schedules::generate),
        R::ApiInspTasks => get(api::schedules::tasks),
        R::ApiInspCalendar => get(api::schedules::calendar),
        R::ApiInspTaskShow => get(api::schedules::task),
        R::ApiInspTaskStart => post(api::schedules::task_start),
        R::ApiInspTaskAssign => post(api::schedules::task_assign),
        R::ApiInspTaskCancel => post(api::schedules::task_cancel),
        R::ApiInspTaskRecord => post(api::schedules::task_record).layer(result_limit()),
        R::ApiInspResultShow => get(api::schedules::result),
        R::ApiInspResultCorrect => post(api::schedules::result_correct).layer(result_limit()),
        R::ApiInspPhoto => get(api::schedules::photo),
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
    let state = AppState {
        app,
        config,
        limiter: Arc::new(ratelimit::RateLimiter::default()),
        metrics: metrics.clone(),
        imports: Arc::default(),
    };
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
