//! Server-rendered pages. Every page is an askama template with a [`Chrome`] (layout, side
//! navigation from the caller's capabilities, breadcrumbs, flash) and its own data.

pub mod admin;
// Asset register (issue #4).
pub mod assets;
pub mod assets_admin;
pub mod assets_import;
pub mod audit;
pub mod auth;
// Calibration register (R-9.1.1d).
pub mod calibration;
pub mod channels;
pub mod desk;
pub mod desk_admin;
pub mod home;
pub mod inbox;
pub mod orgs;
pub mod posts;
// Inspections, maintenance and calibration by plan (issue #4).
pub mod schedules;
pub mod users;

use std::collections::HashMap;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use parkops_app::FieldError;
use parkops_app::ports::Page;
use parkops_domain::access::{Capability, Post, Principal};
use parkops_domain::org::OrgType;

use crate::error::field_message;
use crate::guard::Ctx;
use crate::i18n::I18n;

/// Renders a template, or a plain error if the template fails (it is compile-checked, so it
/// would be a bug in a value's `Display`).
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// Renders with a status.
pub fn render_status<T: Template>(status: StatusCode, t: &T) -> Response {
    let mut r = render(t);
    if r.status() == StatusCode::OK {
        *r.status_mut() = status;
    }
    r
}

/// One side-navigation link.
#[derive(Debug, Clone)]
pub struct NavItem {
    /// Label.
    pub label: String,
    /// Target.
    pub href: &'static str,
    /// The current section.
    pub active: bool,
    /// False for modules still to come (shown, not linked).
    pub enabled: bool,
    /// A count shown beside the label (unread messages); empty for none.
    pub badge: String,
}

/// A group of links under a heading.
#[derive(Debug, Clone)]
pub struct NavGroup {
    /// Heading.
    pub label: String,
    /// Links.
    pub items: Vec<NavItem>,
}

/// The frame around every page.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// Messages.
    pub i: I18n,
    /// `<title>` and heading.
    pub title: String,
    /// Breadcrumbs: label and link (empty link for the current page).
    pub crumbs: Vec<(String, String)>,
    /// Logged-in user's display name, login and posts.
    pub user: Option<(String, String, String)>,
    /// Side navigation.
    pub nav: Vec<NavGroup>,
    /// CSRF token for forms.
    pub csrf: String,
    /// A success message after a redirect.
    pub flash: String,
}

/// The modules of the standard still to be built, shown greyed in the navigation.
pub(crate) const PLANNED: [&str; 5] =
    ["nav-monitoring", "nav-changes", "nav-suppliers", "nav-backup", "nav-improvement"];

impl Chrome {
    /// The frame for `ctx`, titled by the message `title_key`, with `section` highlighted.
    #[must_use]
    pub fn new(ctx: &Ctx, title_key: &str, section: &str) -> Self {
        let i = ctx.i;
        let p = ctx.caller.principal.as_ref();
        let user = p.map(|p| (p.display_name.clone(), p.username.clone(), posts_label(&i, p.posts.iter().copied())));
        let nav = p.map(|p| nav(&i, p, section, ctx.unread)).unwrap_or_default();
        let mut crumbs = vec![(i.t("nav-home"), "/dashboard".to_owned())];
        if title_key != "nav-dashboard" {
            crumbs.push((i.t(title_key), String::new()));
        }
        Self { i, title: i.t(title_key), crumbs, user, nav, csrf: ctx.csrf(), flash: String::new() }
    }

    /// Adds a breadcrumb level before the current page.
    #[must_use]
    pub fn under(mut self, label_key: &str, href: &str) -> Self {
        let last = self.crumbs.pop();
        self.crumbs.push((self.i.t(label_key), href.to_owned()));
        if let Some(l) = last {
            self.crumbs.push(l);
        }
        self
    }

    /// Replaces the title (and last breadcrumb) with literal text.
    #[must_use]
    pub fn titled(mut self, title: String) -> Self {
        if let Some(last) = self.crumbs.last_mut() {
            last.0.clone_from(&title);
        }
        self.title = title;
        self
    }

    /// Shows the flash message `flash-<key>` if `key` is set.
    #[must_use]
    pub fn flash(mut self, key: Option<&str>) -> Self {
        if let Some(k) = key.filter(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')) {
            self.flash = self.i.t(&format!("flash-{k}"));
        }
        self
    }
}

fn nav(i: &I18n, p: &Principal, section: &str, unread: usize) -> Vec<NavGroup> {
    let item = |key: &str, href: &'static str, enabled: bool| NavItem {
        label: i.t(key),
        href,
        active: href.split('?').next() == Some(section),
        enabled,
        badge: String::new(),
    };
    let mut groups = Vec::new();
    let mut main = Vec::new();
    if p.has(Capability::DashboardView) || !p.has(Capability::AuditView) {
        main.push(item("nav-dashboard", "/dashboard", true));
    }
    groups.push(NavGroup { label: i.t("nav-group-work"), items: main });
    let mut desk = Vec::new();
    if p.has(Capability::TicketView) {
        // The queue people work from: open tickets, nearest due first (the full history is one
        // filter away; docs/benchmarks.md figure 6).
        desk.push(item("nav-desk-queue", "/desk?state=open", true));
    }
    if p.has(Capability::TicketReport) {
        desk.push(item("nav-desk-new", "/desk/new", true));
        desk.push(item("nav-desk-mine", "/desk/mine", true));
    }
    if p.has(Capability::TicketView) {
        desk.push(item("nav-desk-dashboard", "/desk/dashboard", true));
    }
    if p.has(Capability::TicketManage) {
        desk.push(item("nav-desk-settings", "/desk/settings", true));
    }
    let mut inbox = item("nav-inbox", "/inbox", true);
    if unread > 0 {
        inbox.badge = if unread > 99 { "99+".to_owned() } else { unread.to_string() };
    }
    desk.push(inbox);
    groups.push(NavGroup { label: i.t("nav-group-desk"), items: desk });
    // Asset register (issue #4).
    if p.has(Capability::AssetView) {
        let mut assets = vec![item("nav-asset-list", "/assets", true)];
        if p.has(Capability::AssetManage) {
            assets.push(item("nav-asset-import", "/assets/import", true));
        }
        assets.push(item("nav-asset-parts", "/assets/spare-parts", true));
        assets.push(item("nav-asset-locations", "/assets/locations", true));
        assets.push(item("nav-asset-classes", "/assets/classes", true));
        groups.push(NavGroup { label: i.t("nav-group-assets"), items: assets });
    }
    // Inspections, maintenance and calibration by plan (issue #4).
    if p.has(Capability::InspectionView) {
        let insp = vec![
            item("nav-insp-tasks", "/inspection/tasks?status=pending", true),
            item("nav-insp-calendar", "/inspection/calendar", true),
            item("nav-insp-plans", "/inspection/plans", true),
            item("nav-insp-standards", "/inspection/standards", true),
        ];
        groups.push(NavGroup { label: i.t("nav-insp"), items: insp });
    }
    // Calibration register (R-9.1.1d): under 巡检与维护 when shown, else a group of its own.
    if p.has(Capability::AssetView) {
        let cal = vec![
            item("nav-calibration-register", "/calibration", true),
            item("nav-calibration-due", "/calibration/due", true),
            item("nav-calibration-cycles", "/calibration/cycles", true),
        ];
        let insp = i.t("nav-insp");
        match groups.iter_mut().find(|g| g.label == insp) {
            Some(g) => g.items.extend(cal),
            None => groups.push(NavGroup { label: i.t("nav-calibration"), items: cal }),
        }
    }
    let mut org = Vec::new();
    if p.has(Capability::OrgView) {
        org.push(item("nav-orgs", "/orgs", true));
    }
    if p.has(Capability::UserView) {
        org.push(item("nav-users", "/users", true));
    }
    if p.has(Capability::JobDescriptionView) {
        org.push(item("nav-posts", "/posts", true));
    }
    if !org.is_empty() {
        groups.push(NavGroup { label: i.t("nav-group-org"), items: org });
    }
    let mut sec = Vec::new();
    if p.has(Capability::SecurityPolicyManage) {
        sec.push(item("nav-policy", "/security/policy", true));
    }
    if p.has(Capability::AuditView) {
        sec.push(item("nav-audit", "/audit", true));
    }
    if !sec.is_empty() {
        groups.push(NavGroup { label: i.t("nav-group-security"), items: sec });
    }
    if p.has(Capability::DashboardView) {
        groups.push(NavGroup {
            label: i.t("nav-group-modules"),
            items: PLANNED.iter().map(|k| item(k, "#", false)).collect(),
        });
    }
    groups.push(NavGroup {
        label: i.t("nav-group-me"),
        items: vec![item("nav-profile", "/me", true), item("nav-api", "/api/docs", true)],
    });
    groups
}

/// Posts by name, joined.
#[must_use]
pub fn posts_label(i: &I18n, posts: impl Iterator<Item = Post>) -> String {
    posts.map(|p| i.t(&format!("post-{}", p.code()))).collect::<Vec<_>>().join("、")
}

/// An organisation type by name.
#[must_use]
pub fn org_type_label(i: &I18n, t: OrgType) -> String {
    i.t(&format!("orgtype-{}", t.code()))
}

/// Submitted values and field errors, for re-rendering a form.
#[derive(Debug, Clone, Default)]
pub struct FormState {
    values: HashMap<String, Vec<String>>,
    errors: HashMap<String, Vec<String>>,
}

impl FormState {
    /// Empty.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a value.
    #[must_use]
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.values.insert(name.to_owned(), vec![value.into()]);
        self
    }

    /// Sets several values (multi-select).
    #[must_use]
    pub fn with_all(mut self, name: &str, values: Vec<String>) -> Self {
        self.values.insert(name.to_owned(), values);
        self
    }

    /// Adds the messages of field errors.
    #[must_use]
    pub fn errors(mut self, i: &I18n, errors: &[FieldError]) -> Self {
        for e in errors {
            self.errors.entry(e.field.to_owned()).or_default().push(field_message(i, e));
        }
        self
    }

    /// The value of a field.
    #[must_use]
    pub fn v(&self, name: &str) -> String {
        self.values.get(name).and_then(|v| v.first()).cloned().unwrap_or_default()
    }

    /// Whether a multi-value field holds `value`.
    #[must_use]
    pub fn checked(&self, name: &str, value: &str) -> bool {
        self.values.get(name).is_some_and(|v| v.iter().any(|x| x == value))
    }

    /// Whether a field has errors.
    #[must_use]
    pub fn bad(&self, name: &str) -> bool {
        self.errors.contains_key(name)
    }

    /// The field's messages, joined.
    #[must_use]
    pub fn e(&self, name: &str) -> String {
        self.errors.get(name).map(|v| v.join("；")).unwrap_or_default()
    }

    /// Whether any field failed.
    #[must_use]
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// Paging links for a list.
#[derive(Debug, Clone)]
pub struct Pager {
    /// Current page.
    pub page: i64,
    /// Number of pages.
    pub pages: i64,
    /// Total rows (the cap when more matched).
    pub total: i64,
    /// Whether more rows matched than the lists count (shown as "10000+").
    pub capped: bool,
    /// Query string without `page` (already encoded), ending in `&` when non-empty.
    pub query: String,
}

impl Pager {
    /// From a result page and the filter's query pairs.
    #[must_use]
    pub fn of<T>(page: &Page<T>, pairs: &[(&str, &str)]) -> Self {
        let mut enc = form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            if !v.is_empty() {
                enc.append_pair(k, v);
            }
        }
        let mut query = enc.finish();
        if !query.is_empty() {
            query.push('&');
        }
        let capped = page.total_is_capped();
        let total = if capped { parkops_app::ports::PAGE_COUNT_CAP } else { page.total };
        Self { page: page.request.page, pages: page.pages(), total, capped, query }
    }

    /// Whether there is a previous page.
    #[must_use]
    pub const fn has_prev(&self) -> bool {
        self.page > 1
    }

    /// Whether there is a next page.
    #[must_use]
    pub const fn has_next(&self) -> bool {
        self.page < self.pages
    }

    /// Previous page number.
    #[must_use]
    pub const fn prev(&self) -> i64 {
        self.page - 1
    }

    /// Next page number.
    #[must_use]
    pub const fn next(&self) -> i64 {
        self.page + 1
    }
}

/// The error page.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// Messages.
    pub i: I18n,
    /// Status code.
    pub status: u16,
    /// What happened.
    pub message: String,
}

impl ErrorPage {
    /// An error page.
    #[must_use]
    pub const fn new(i: I18n, status: u16, message: String) -> Self {
        Self { i, status, message }
    }

    /// As HTML.
    pub fn html(&self) -> Html<String> {
        Html(self.render().unwrap_or_else(|_| self.message.clone()))
    }
}

/// Any path not in the registry.
pub async fn not_found(headers: axum::http::HeaderMap) -> Response {
    let lang = crate::i18n::Lang::pick(
        crate::guard::cookie(&headers, "lang"),
        headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()),
    );
    let i = I18n { lang };
    (StatusCode::NOT_FOUND, ErrorPage::new(i, 404, i.t("err-not_found")).html()).into_response()
}

/// A redirect after a successful form (303, so the browser GETs the target).
#[must_use]
pub fn see_other(to: &str) -> Response {
    axum::response::Redirect::to(to).into_response()
}
