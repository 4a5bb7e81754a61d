//! Organisations over the API.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use parkops_app::org::OrgInput;
use parkops_app::ports::{OrgFilter, PageRequest};
use parkops_domain::id::OrgId;
use serde::Deserialize;

use super::{Body, created, ok, org_json, page_json};
use crate::AppState;
use crate::form::IdPath;
use crate::guard::Ctx;

/// List query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    org_type: Option<String>,
    q: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// `GET /api/v1/orgs`.
pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> Response {
    let filter = OrgFilter { org_type: q.org_type, text: q.q, ..OrgFilter::default() };
    match state.app.list_orgs(&ctx.caller, filter, PageRequest::clamped(q.page, q.per_page)).await {
        Ok(p) => ok(page_json(&p, org_json)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// Create/update body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgBody {
    org_type: String,
    code: String,
    name: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    phone: String,
    #[serde(default = "yes")]
    is_active: bool,
}

const fn yes() -> bool {
    true
}

impl From<OrgBody> for OrgInput {
    fn from(b: OrgBody) -> Self {
        Self {
            org_type: b.org_type,
            code: b.code,
            name: b.name,
            contact: b.contact,
            phone: b.phone,
            is_active: b.is_active,
        }
    }
}

/// `POST /api/v1/orgs`.
pub async fn create(State(state): State<AppState>, ctx: Ctx, Body(b): Body<OrgBody>) -> Response {
    match state.app.create_org(&ctx.caller, b.into()).await {
        Ok(o) => created(org_json(&o)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /api/v1/orgs/{id}`.
pub async fn show(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<OrgId>) -> Response {
    match state.app.get_org(&ctx.caller, id).await {
        Ok(o) => ok(org_json(&o)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `PUT /api/v1/orgs/{id}`.
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<OrgId>,
    Body(b): Body<OrgBody>,
) -> Response {
    match state.app.update_org(&ctx.caller, id, b.into()).await {
        Ok(o) => ok(org_json(&o)),
        Err(e) => ctx.err(e).into_response(),
    }
}
