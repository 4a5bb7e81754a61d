//! The asset register's reference pages: class schemas (administrators extend a class with
//! attributes), the location tree (park → zone → site → point) and spare parts with their
//! stock movements.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use parkops_app::asset::{LocationInput, SparePartInput, attributes_to_json};
use parkops_app::ports::asset::{LocationRecord, StockReason};
use parkops_app::{AppError, FieldError};
use parkops_domain::access::{Capability, Scope};
use parkops_domain::asset::{AttributeDef, AttributeType, CiClass, CiFamily, LocationLevel, SparePartId};
use serde::Deserialize;

use super::assets::{by_code, family_label, level_label, location_options};
use super::desk::label;
use super::{Chrome, FormState, render_status, see_other};
use crate::AppState;
use crate::form::{FormData, IdPath};
use crate::guard::Ctx;
use crate::i18n::I18n;

/// Whether the caller keeps the park's register (class schemas, locations, parts).
fn is_park_manager(ctx: &Ctx) -> bool {
    ctx.caller.principal.as_ref().is_some_and(|p| p.scope_of(Capability::AssetManage) == Some(Scope::Park))
}

// ---------------------------------------------------------------------------------------------
// Class schemas
// ---------------------------------------------------------------------------------------------

/// One attribute row of a schema.
pub struct AttrRow {
    code: String,
    label: String,
    kind: String,
    unit: String,
    required: bool,
    values: String,
    origin: String,
}

/// A class in the side list: code, name, number of own attributes, whether selected.
type ClassLink = (String, String, usize, bool);

#[derive(Template)]
#[template(path = "assets/classes.html")]
struct ClassesPage {
    c: Chrome,
    families: Vec<(String, Vec<ClassLink>)>,
    selected: String,
    selected_name: String,
    selected_family: String,
    family_code: String,
    attrs: Vec<AttrRow>,
    can_define: bool,
    family_options: Vec<(String, String)>,
    types: Vec<(String, String)>,
    f: FormState,
    error: String,
}

/// Query of the classes page.
#[derive(Debug, Deserialize, Default)]
pub struct ClassQuery {
    class: Option<String>,
    ok: Option<String>,
}

/// The attributes an administrator added to a class (the built-in ones are fixed).
#[must_use]
pub fn extension_of(c: &CiClass) -> Vec<AttributeDef> {
    let built_in = parkops_domain::asset::built_in_classes()
        .into_iter()
        .find(|b| b.code == c.code)
        .map(|b| b.attributes.len())
        .unwrap_or(0);
    c.attributes.iter().skip(built_in).cloned().collect()
}

fn type_label(i: &I18n, k: &AttributeType) -> String {
    label(i, "attribute-type", k.code())
}

async fn classes_page(
    state: &AppState,
    ctx: &Ctx,
    selected: &str,
    f: FormState,
    error: String,
    status: StatusCode,
    flash: Option<&str>,
) -> Response {
    let i = ctx.i;
    let classes = match state.app.assets().classes(&ctx.caller).await {
        Ok(c) => c,
        Err(e) => return ctx.err(e).into_response(),
    };
    let selected = if selected.is_empty() {
        classes.first().map(|c| c.code.clone()).unwrap_or_default()
    } else {
        selected.to_owned()
    };
    let mut families = Vec::new();
    for fam in CiFamily::ALL {
        let list: Vec<ClassLink> = classes
            .iter()
            .filter(|c| c.family == *fam)
            .map(|c| (c.code.clone(), c.name.clone(), c.attributes.len(), c.code == selected))
            .collect();
        if !list.is_empty() {
            families.push((family_label(&i, *fam), list));
        }
    }
    let class = classes.iter().find(|c| c.code == selected);
    let extension: Vec<String> =
        class.map(|c| extension_of(c).into_iter().map(|a| a.code).collect()).unwrap_or_default();
    let common: Vec<String> = parkops_domain::asset::common_attributes().into_iter().map(|a| a.code).collect();
    let attrs = class
        .map(|c| {
            c.schema()
                .iter()
                .map(|a| AttrRow {
                    code: a.code.clone(),
                    label: a.label.clone(),
                    kind: type_label(&i, &a.kind),
                    unit: a.unit.clone().unwrap_or_default(),
                    required: a.required,
                    values: match &a.kind {
                        AttributeType::Enum(v) => v.join("、"),
                        AttributeType::Text
                        | AttributeType::Integer
                        | AttributeType::Decimal
                        | AttributeType::Date
                        | AttributeType::Bool => String::new(),
                    },
                    origin: i.t(if common.contains(&a.code) {
                        "attribute-origin-common"
                    } else if extension.contains(&a.code) {
                        "attribute-origin-extension"
                    } else {
                        "attribute-origin-built-in"
                    }),
                })
                .collect()
        })
        .unwrap_or_default();
    let f = if f.has_errors() { f } else { f.with("attr_type", "text") };
    let page = ClassesPage {
        c: Chrome::new(ctx, "nav-asset-classes", "/assets/classes").under("nav-group-assets", "/assets").flash(flash),
        families,
        selected_name: class.map(|c| c.name.clone()).unwrap_or_default(),
        selected_family: class.map(|c| family_label(&i, c.family)).unwrap_or_default(),
        family_code: class.map(|c| c.family.code().to_owned()).unwrap_or_default(),
        selected,
        attrs,
        can_define: is_park_manager(ctx),
        family_options: CiFamily::ALL.iter().map(|f| (f.code().to_owned(), family_label(&i, *f))).collect(),
        types: ["text", "integer", "decimal", "date", "enum", "bool"]
            .iter()
            .map(|t| ((*t).to_owned(), label(&i, "attribute-type", t)))
            .collect(),
        f,
        error,
    };
    render_status(status, &page)
}

/// `GET /assets/classes?class=…`.
pub async fn classes(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ClassQuery>) -> Response {
    let class = q.class.unwrap_or_default();
    classes_page(&state, &ctx, class.trim(), FormState::new(), String::new(), StatusCode::OK, q.ok.as_deref()).await
}

/// The attribute a form describes (None when its code is blank).
#[must_use]
pub fn attribute_from_form(form: &FormData) -> Option<AttributeDef> {
    let code = form.get("attr_code").trim().to_owned();
    if code.is_empty() {
        return None;
    }
    let values: Vec<String> = form
        .get("attr_values")
        .split(['\n', ',', '，', '、'])
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    // An unknown type code is refused by the use case's schema check as a text attribute
    // would not be: keep it visible as an empty enumeration instead.
    let kind = AttributeType::parse(form.get("attr_type").trim(), values).unwrap_or(AttributeType::Enum(Vec::new()));
    let unit = form.get("attr_unit").trim().to_owned();
    Some(AttributeDef {
        code,
        label: form.get("attr_label").trim().to_owned(),
        kind,
        required: form.flag("attr_required"),
        unit: if unit.is_empty() { None } else { Some(unit) },
    })
}

/// `POST /assets/classes`: adds an attribute to a class (or defines a class of the park's own).
pub async fn define_class(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Response {
    let register = state.app.assets();
    let code = form.get("code").trim().to_owned();
    let existing = register.classes(&ctx.caller).await.unwrap_or_default().into_iter().find(|c| c.code == code);
    let (name, family, mut attrs) = match &existing {
        Some(c) => (c.name.clone(), c.family.code().to_owned(), extension_of(c)),
        None => (form.get("name").trim().to_owned(), form.get("family").trim().to_owned(), Vec::new()),
    };
    if let Some(a) = attribute_from_form(&form) {
        attrs.push(a);
    } else if existing.is_some() {
        let e = AppError::Invalid(vec![FieldError::new("attr_code", "err-asset-attribute-code").arg("code", "")]);
        return after_define(&state, &ctx, &code, Err(e), &form).await;
    }
    let r = register.define_class(&ctx.caller, &code, &name, &family, &attributes_to_json(&attrs)).await;
    after_define(&state, &ctx, &code, r.map(|_| ()), &form).await
}

async fn after_define(state: &AppState, ctx: &Ctx, code: &str, r: Result<(), AppError>, form: &FormData) -> Response {
    match r {
        Ok(()) => see_other(&format!("/assets/classes?class={code}&ok=class_saved")),
        Err(AppError::Invalid(errors)) => {
            let mut f = FormState::new();
            for k in ["code", "name", "family", "attr_code", "attr_label", "attr_type", "attr_unit", "attr_values"] {
                f = f.with(k, form.get(k));
            }
            if form.flag("attr_required") {
                f = f.with("attr_required", "true");
            }
            let f = f.errors(&ctx.i, &errors);
            let msg = ctx.i.t("form-has-errors");
            classes_page(state, ctx, code, f, msg, StatusCode::BAD_REQUEST, None).await
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// Locations
// ---------------------------------------------------------------------------------------------

/// One node of the tree as shown.
pub struct LocationRow {
    code: String,
    name: String,
    level: String,
    depth: usize,
    ex_zone: String,
    coordinates: String,
}

#[derive(Template)]
#[template(path = "assets/locations.html")]
struct LocationsPage {
    c: Chrome,
    rows: Vec<LocationRow>,
    parents: Vec<(String, String)>,
    levels: Vec<(String, String)>,
    can_edit: bool,
    editing: bool,
    f: FormState,
    error: String,
}

/// Query of the locations page.
#[derive(Debug, Deserialize, Default)]
pub struct LocationQuery {
    edit: Option<String>,
    ok: Option<String>,
}

fn location_rows(i: &I18n, nodes: &[LocationRecord]) -> Vec<LocationRow> {
    let mut out = Vec::new();
    for (code, _) in location_options(nodes) {
        let Some(n) = nodes.iter().find(|n| n.code == code) else { continue };
        let depth = match n.level {
            LocationLevel::Zone => 0,
            LocationLevel::Site => 1,
            LocationLevel::Point => 2,
        };
        out.push(LocationRow {
            code: n.code.clone(),
            name: n.name.clone(),
            level: level_label(i, n.level),
            depth,
            ex_zone: n.ex_zone.clone(),
            coordinates: if n.latitude.is_empty() { String::new() } else { format!("{}, {}", n.latitude, n.longitude) },
        });
    }
    out
}

async fn locations_page(
    state: &AppState,
    ctx: &Ctx,
    f: FormState,
    error: String,
    status: StatusCode,
    flash: Option<&str>,
) -> Response {
    let i = ctx.i;
    let nodes = match state.app.assets().locations(&ctx.caller).await {
        Ok(n) => n,
        Err(e) => return ctx.err(e).into_response(),
    };
    let parents = location_options(&nodes)
        .into_iter()
        .filter(|(code, _)| nodes.iter().any(|n| &n.code == code && n.level != LocationLevel::Point))
        .collect();
    let page = LocationsPage {
        c: Chrome::new(ctx, "nav-asset-locations", "/assets/locations")
            .under("nav-group-assets", "/assets")
            .flash(flash),
        rows: location_rows(&i, &nodes),
        parents,
        levels: LocationLevel::ALL.iter().map(|l| (l.code().to_owned(), level_label(&i, *l))).collect(),
        can_edit: is_park_manager(ctx),
        editing: !f.v("id").is_empty(),
        f,
        error,
    };
    render_status(status, &page)
}

/// `GET /assets/locations?edit=…`.
pub async fn locations(State(state): State<AppState>, ctx: Ctx, Query(q): Query<LocationQuery>) -> Response {
    let mut f = FormState::new().with("level", "zone");
    if let Some(code) = q.edit.as_deref().filter(|c| !c.is_empty()) {
        let nodes = state.app.assets().locations(&ctx.caller).await.unwrap_or_default();
        if let Some(n) = nodes.iter().find(|n| n.code == code) {
            let parent = n.parent_id.and_then(|p| nodes.iter().find(|x| x.id == p)).map(|p| p.code.clone());
            f = FormState::new()
                .with("id", n.id.to_string())
                .with("parent", parent.unwrap_or_default())
                .with("level", n.level.code())
                .with("code", n.code.clone())
                .with("name", n.name.clone())
                .with("latitude", n.latitude.clone())
                .with("longitude", n.longitude.clone())
                .with("ex_zone", n.ex_zone.clone());
        }
    }
    locations_page(&state, &ctx, f, String::new(), StatusCode::OK, q.ok.as_deref()).await
}

const LOCATION_FIELDS: [&str; 8] = ["id", "parent", "level", "code", "name", "latitude", "longitude", "ex_zone"];

/// `POST /assets/locations`: adds or edits a node.
pub async fn location_put(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Response {
    let g = |k: &str| form.get(k).to_owned();
    let input = LocationInput {
        id: g("id"),
        parent: g("parent"),
        level: g("level"),
        code: g("code"),
        name: g("name"),
        latitude: g("latitude"),
        longitude: g("longitude"),
        ex_zone: g("ex_zone"),
    };
    match state.app.assets().put_location(&ctx.caller, input).await {
        Ok(_) => see_other("/assets/locations?ok=location_saved"),
        Err(AppError::Invalid(errors)) => {
            let f =
                LOCATION_FIELDS.iter().fold(FormState::new(), |f, k| f.with(k, form.get(k))).errors(&ctx.i, &errors);
            let msg = ctx.i.t("form-has-errors");
            locations_page(&state, &ctx, f, msg, StatusCode::BAD_REQUEST, None).await
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// Spare parts
// ---------------------------------------------------------------------------------------------

/// One part as listed.
pub struct PartRow {
    id: String,
    code: String,
    name: String,
    class: String,
    unit: String,
    stock: i64,
    min_stock: i64,
    low: bool,
}

#[derive(Template)]
#[template(path = "assets/parts.html")]
struct PartsPage {
    c: Chrome,
    rows: Vec<PartRow>,
    classes: Vec<(String, String)>,
    can_edit: bool,
    f: FormState,
    error: String,
}

/// Query with a flash message.
#[derive(Debug, Deserialize, Default)]
pub struct OkQuery {
    ok: Option<String>,
}

async fn parts_page(
    state: &AppState,
    ctx: &Ctx,
    f: FormState,
    error: String,
    status: StatusCode,
    flash: Option<&str>,
) -> Response {
    let register = state.app.assets();
    let parts = match register.spare_parts(&ctx.caller).await {
        Ok(p) => p,
        Err(e) => return ctx.err(e).into_response(),
    };
    let classes = register.classes(&ctx.caller).await.unwrap_or_default();
    let class_name =
        |code: &str| classes.iter().find(|c| c.code == code).map_or_else(|| code.to_owned(), |c| c.name.clone());
    let rows = parts
        .iter()
        .map(|p| PartRow {
            id: p.id.to_string(),
            code: p.code.clone(),
            name: p.name.clone(),
            class: if p.class.is_empty() { String::new() } else { class_name(&p.class) },
            unit: p.unit.clone(),
            stock: p.stock,
            min_stock: p.min_stock,
            low: p.stock <= p.min_stock,
        })
        .collect();
    let page = PartsPage {
        c: Chrome::new(ctx, "nav-asset-parts", "/assets/spare-parts").under("nav-group-assets", "/assets").flash(flash),
        rows,
        classes: classes.iter().map(|c| (c.code.clone(), c.name.clone())).collect(),
        can_edit: is_park_manager(ctx),
        f,
        error,
    };
    render_status(status, &page)
}

/// `GET /assets/spare-parts`.
pub async fn parts(State(state): State<AppState>, ctx: Ctx, Query(q): Query<OkQuery>) -> Response {
    let f = FormState::new().with("unit", "个").with("stock", "0").with("min_stock", "0");
    parts_page(&state, &ctx, f, String::new(), StatusCode::OK, q.ok.as_deref()).await
}

/// A whole number typed in a form (anything else is out of range, which the use case refuses).
fn number(text: &str) -> i64 {
    text.trim().parse().unwrap_or(-1)
}

/// `POST /assets/spare-parts`.
pub async fn part_create(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Response {
    let input = SparePartInput {
        code: form.get("code").to_owned(),
        name: form.get("name").to_owned(),
        class: form.get("class").to_owned(),
        unit: form.get("unit").to_owned(),
        stock: number(form.get("stock")),
        min_stock: number(form.get("min_stock")),
    };
    match state.app.assets().create_spare_part(&ctx.caller, input).await {
        Ok(p) => see_other(&format!("/assets/spare-parts/{}?ok=part_created", p.id)),
        Err(AppError::Invalid(errors)) => {
            let f = ["code", "name", "class", "unit", "stock", "min_stock"]
                .iter()
                .fold(FormState::new(), |f, k| f.with(k, form.get(k)))
                .errors(&ctx.i, &errors);
            let msg = ctx.i.t("form-has-errors");
            parts_page(&state, &ctx, f, msg, StatusCode::BAD_REQUEST, None).await
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

/// One movement as listed.
pub struct MovementRow {
    at: String,
    actor: String,
    reason: String,
    delta: i64,
    after: i64,
    asset: String,
    asset_id: String,
    note: String,
}

#[derive(Template)]
#[template(path = "assets/part.html")]
struct PartPage {
    c: Chrome,
    part: PartRow,
    rows: Vec<MovementRow>,
    reasons: Vec<(String, String)>,
    can_edit: bool,
    f: FormState,
    error: String,
}

async fn part_page(
    state: &AppState,
    ctx: &Ctx,
    id: SparePartId,
    f: FormState,
    error: String,
    status: StatusCode,
    flash: Option<&str>,
) -> Response {
    let i = ctx.i;
    let register = state.app.assets();
    let movements = match register.stock_movements(&ctx.caller, id).await {
        Ok(m) => m,
        Err(e) => return ctx.err(e).into_response(),
    };
    let Some(p) = register.spare_parts(&ctx.caller).await.unwrap_or_default().into_iter().find(|p| p.id == id) else {
        return ctx.err(AppError::NotFound).into_response();
    };
    let ids: Vec<_> = movements.iter().filter_map(|m| m.asset_id).collect();
    let mut codes = std::collections::BTreeMap::new();
    for a in ids {
        if let std::collections::btree_map::Entry::Vacant(slot) = codes.entry(a)
            && let Ok(d) = register.detail(&ctx.caller, a).await
        {
            slot.insert(d.asset.code);
        }
    }
    let rows = movements
        .iter()
        .rev()
        .map(|m| MovementRow {
            at: m.at.display_cst(),
            actor: m.actor.clone(),
            reason: label(&i, "stock-reason", m.reason.code()),
            delta: m.delta,
            after: m.stock_after,
            asset: m.asset_id.and_then(|a| codes.get(&a).cloned()).unwrap_or_default(),
            asset_id: m.asset_id.map(|a| a.to_string()).unwrap_or_default(),
            note: m.note.clone(),
        })
        .collect();
    let page = PartPage {
        c: Chrome::new(ctx, "nav-asset-parts", "/assets/spare-parts")
            .under("nav-group-assets", "/assets")
            .titled(format!("{} {}", p.code, p.name))
            .flash(flash),
        part: PartRow {
            id: p.id.to_string(),
            code: p.code.clone(),
            name: p.name.clone(),
            class: p.class.clone(),
            unit: p.unit.clone(),
            stock: p.stock,
            min_stock: p.min_stock,
            low: p.stock <= p.min_stock,
        },
        rows,
        reasons: StockReason::ALL.iter().map(|r| (r.code().to_owned(), label(&i, "stock-reason", r.code()))).collect(),
        can_edit: is_park_manager(ctx),
        f,
        error,
    };
    render_status(status, &page)
}

/// `GET /assets/spare-parts/{id}`: a part's stock movements.
pub async fn part(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    Query(q): Query<OkQuery>,
) -> Response {
    let f = FormState::new().with("reason", "receipt");
    part_page(&state, &ctx, SparePartId::from_uuid(id), f, String::new(), StatusCode::OK, q.ok.as_deref()).await
}

/// `POST /assets/spare-parts/{id}/move`: books a movement (issues are entered as positive
/// quantities and stored negative).
pub async fn part_move(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    form: FormData,
) -> Response {
    let id = SparePartId::from_uuid(id);
    let reason = form.get("reason").trim();
    let mut delta = form.get("quantity").trim().parse::<i64>().unwrap_or(0);
    if reason == StockReason::Issue.code() {
        delta = -delta.abs();
    }
    let code = form.get("asset").trim();
    let asset =
        if code.is_empty() { Ok(None) } else { by_code(&state, &ctx, code).await.map(|a| Some(a.id)).ok_or(()) };
    let r = match asset {
        Ok(a) => state.app.assets().move_stock(&ctx.caller, id, delta, reason, a, form.get("note")).await.map(|_| ()),
        Err(()) => Err(AppError::Invalid(vec![FieldError::new("asset", "err-import-relation-code").arg("code", code)])),
    };
    match r {
        Ok(()) => see_other(&format!("/assets/spare-parts/{id}?ok=stock_moved")),
        Err(AppError::Invalid(errors)) => {
            let f = ["reason", "quantity", "asset", "note"]
                .iter()
                .fold(FormState::new(), |f, k| f.with(k, form.get(k)))
                .errors(&ctx.i, &errors);
            let msg = ctx.i.t("form-has-errors");
            part_page(&state, &ctx, id, f, msg, StatusCode::BAD_REQUEST, None).await
        }
        Err(e @ AppError::Conflict(_)) => {
            let msg = crate::error::message(&ctx.i, &e);
            part_page(&state, &ctx, id, FormState::new().with("reason", reason), msg, StatusCode::CONFLICT, None).await
        }
        Err(e) => ctx.err(e).into_response(),
    }
}
