//! Organisation pages.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use parkops_app::AppError;
use parkops_app::org::OrgInput;
use parkops_app::ports::{OrgFilter, PageRequest, UserFilter};
use parkops_domain::access::Capability;
use parkops_domain::id::OrgId;
use parkops_domain::org::{OrgType, Organisation};
use serde::Deserialize;

use super::{Chrome, FormState, Pager, org_type_label, posts_label, render, render_status, see_other};
use crate::AppState;
use crate::form::{FormData, IdPath};
use crate::guard::Ctx;
use crate::i18n::I18n;

/// Filters of the list.
#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    org_type: Option<String>,
    q: Option<String>,
    page: Option<i64>,
    ok: Option<String>,
}

/// One row.
pub struct OrgRow {
    id: String,
    code: String,
    name: String,
    type_label: String,
    tone: &'static str,
    contact: String,
    phone: String,
    active: bool,
}

/// The tag colour of an organisation type.
#[must_use]
pub const fn tone(t: OrgType) -> &'static str {
    match t {
        OrgType::SupervisingDepartment => "purple",
        OrgType::UsingUnit => "blue",
        OrgType::ServiceOrganisation => "green",
        OrgType::ProductVendor | OrgType::Carrier => "orange",
        OrgType::Enterprise => "grey",
    }
}

fn types(i: &I18n) -> Vec<(String, String)> {
    OrgType::ALL.iter().map(|t| (t.code().to_owned(), org_type_label(i, *t))).collect()
}

#[derive(Template)]
#[template(path = "orgs.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<OrgRow>,
    types: Vec<(String, String)>,
    org_type: String,
    q: String,
    pager: Pager,
    can_manage: bool,
}

/// `GET /orgs`.
pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> Response {
    let filter = OrgFilter { org_type: q.org_type.clone(), text: q.q.clone(), ..OrgFilter::default() };
    let page = match state.app.list_orgs(&ctx.caller, filter, PageRequest::clamped(q.page, Some(20))).await {
        Ok(p) => p,
        Err(e) => return ctx.err(e).into_response(),
    };
    let i = ctx.i;
    let org_type = q.org_type.unwrap_or_default();
    let text = q.q.unwrap_or_default();
    let pager = Pager::of(&page, &[("org_type", &org_type), ("q", &text)]);
    let rows = page
        .items
        .into_iter()
        .map(|o| OrgRow {
            id: o.id.to_string(),
            type_label: org_type_label(&i, o.org_type),
            tone: tone(o.org_type),
            code: o.code,
            name: o.name,
            contact: o.contact,
            phone: o.phone,
            active: o.is_active,
        })
        .collect();
    let can_manage = ctx.caller.principal.as_ref().is_some_and(|p| p.has(Capability::OrgManage));
    let c = Chrome::new(&ctx, "nav-orgs", "/orgs").flash(q.ok.as_deref());
    render(&ListPage { c, rows, types: types(&i), org_type, q: text, pager, can_manage })
}

#[derive(Template)]
#[template(path = "org_form.html")]
struct FormPage {
    c: Chrome,
    f: FormState,
    types: Vec<(String, String)>,
    action: String,
    editing: bool,
}

fn form_of(o: &Organisation) -> FormState {
    FormState::new()
        .with("org_type", o.org_type.code())
        .with("code", o.code.clone())
        .with("name", o.name.clone())
        .with("contact", o.contact.clone())
        .with("phone", o.phone.clone())
        .with("is_active", if o.is_active { "1" } else { "0" })
}

fn input(form: &FormData) -> OrgInput {
    OrgInput {
        org_type: form.get("org_type").to_owned(),
        code: form.get("code").to_owned(),
        name: form.get("name").to_owned(),
        contact: form.get("contact").to_owned(),
        phone: form.get("phone").to_owned(),
        is_active: form.flag("is_active"),
    }
}

fn refill(form: &FormData) -> FormState {
    let mut f = FormState::new();
    for k in ["org_type", "code", "name", "contact", "phone"] {
        f = f.with(k, form.get(k));
    }
    f.with("is_active", if form.flag("is_active") { "1" } else { "0" })
}

/// `GET /orgs/new`.
pub async fn new(ctx: Ctx) -> Response {
    let c = Chrome::new(&ctx, "org-new", "/orgs").under("nav-orgs", "/orgs");
    render(&FormPage { types: types(&ctx.i), c, f: FormState::new(), action: "/orgs".into(), editing: false })
}

/// `POST /orgs`.
pub async fn create(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Response {
    match state.app.create_org(&ctx.caller, input(&form)).await {
        Ok(o) => see_other(&format!("/orgs/{}?ok=saved", o.id)),
        Err(AppError::Invalid(errors)) => {
            let c = Chrome::new(&ctx, "org-new", "/orgs").under("nav-orgs", "/orgs");
            let f = refill(&form).errors(&ctx.i, &errors);
            render_status(
                StatusCode::BAD_REQUEST,
                &FormPage { types: types(&ctx.i), c, f, action: "/orgs".into(), editing: false },
            )
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "org_show.html")]
struct ShowPage {
    c: Chrome,
    id: String,
    code: String,
    name: String,
    type_label: String,
    contact: String,
    phone: String,
    active: bool,
    can_manage: bool,
    members: Vec<(String, String, String, String)>,
}

/// `GET /orgs/{id}`.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<OrgId>,
    Query(q): Query<ListQuery>,
) -> Response {
    let o = match state.app.get_org(&ctx.caller, id).await {
        Ok(o) => o,
        Err(e) => return ctx.err(e).into_response(),
    };
    let i = ctx.i;
    let members = state
        .app
        .list_users(
            &ctx.caller,
            UserFilter { org_id: Some(id), ..UserFilter::default() },
            PageRequest { page: 1, per_page: 200 },
        )
        .await
        .map(|p| p.items)
        .unwrap_or_default()
        .into_iter()
        .map(|u| (u.id.to_string(), u.username, u.display_name, posts_label(&i, u.posts.into_iter())))
        .collect();
    let can_manage = ctx.caller.principal.as_ref().is_some_and(|p| p.has(Capability::OrgManage));
    let c =
        Chrome::new(&ctx, "nav-orgs", "/orgs").under("nav-orgs", "/orgs").titled(o.name.clone()).flash(q.ok.as_deref());
    render(&ShowPage {
        c,
        id: o.id.to_string(),
        type_label: org_type_label(&i, o.org_type),
        code: o.code,
        name: o.name,
        contact: o.contact,
        phone: o.phone,
        active: o.is_active,
        can_manage,
        members,
    })
}

/// `GET /orgs/{id}/edit`.
pub async fn edit(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<OrgId>) -> Response {
    match state.app.get_org(&ctx.caller, id).await {
        Ok(o) => {
            let c = Chrome::new(&ctx, "org-edit", "/orgs").under("nav-orgs", "/orgs");
            render(&FormPage { types: types(&ctx.i), c, f: form_of(&o), action: format!("/orgs/{id}"), editing: true })
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /orgs/{id}`.
pub async fn update(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<OrgId>, form: FormData) -> Response {
    match state.app.update_org(&ctx.caller, id, input(&form)).await {
        Ok(o) => see_other(&format!("/orgs/{}?ok=saved", o.id)),
        Err(AppError::Invalid(errors)) => {
            let c = Chrome::new(&ctx, "org-edit", "/orgs").under("nav-orgs", "/orgs");
            let f = refill(&form).errors(&ctx.i, &errors);
            render_status(
                StatusCode::BAD_REQUEST,
                &FormPage { types: types(&ctx.i), c, f, action: format!("/orgs/{id}"), editing: true },
            )
        }
        Err(e) => ctx.err(e).into_response(),
    }
}
