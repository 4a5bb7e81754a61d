//! The asset register over the API: the faceted list, CIs with their schema, impact both
//! ways, lifecycle events and the timeline, relations, whole-sheet import (the request body
//! is the file), class schemas, locations and spare parts with stock movements.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use parkops_app::asset::{
    AssetInput, AssetList, ImpactedAsset, LifecycleRequest, LocationInput, MAX_HOPS, SparePartInput, attributes_to_json,
};
use parkops_app::ports::PageRequest;
use parkops_app::ports::asset::{
    AssetEventRecord, AssetRecord, LocationRecord, RelationRecord, SparePartRecord, StockMovementRecord,
};
use parkops_app::{AppError, FieldError};
use parkops_domain::asset::{AssetId, CiClass, SparePartId};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Body, created, ok};
use crate::AppState;
use crate::form::IdPath;
use crate::guard::Ctx;
use crate::pages::assets::{ListQuery, by_code};
use crate::pages::assets_import::{parse_file, report};

/// A CI as JSON.
#[must_use]
pub fn asset_json(a: &AssetRecord) -> Value {
    let id = |x: Option<String>| x.map_or(Value::Null, Value::String);
    json!({
        "id": a.id.to_string(), "code": a.code, "name": a.name, "class": a.class, "family": a.family.code(),
        "state": a.state.code(), "state_since": a.state_since.rfc3339(),
        "zone_id": id(a.location.zone.map(|l| l.to_string())), "site_id": id(a.location.site.map(|l| l.to_string())),
        "point_id": id(a.location.point.map(|l| l.to_string())),
        "enterprise_org_id": id(a.enterprise_org_id.map(|o| o.to_string())),
        "maintainer_org_id": id(a.maintainer_org_id.map(|o| o.to_string())),
        "owner_user_id": id(a.owner_user_id.map(|u| u.to_string())),
        "criticality": a.criticality.code(), "domain": a.domain.code(),
        "holds_sensitive_data": a.holds_sensitive_data, "attributes": a.attributes,
        "created_by": a.created_by, "created_at": a.created_at.rfc3339(), "updated_at": a.updated_at.rfc3339(),
    })
}

fn impacted_json(x: &ImpactedAsset) -> Value {
    json!({
        "id": x.asset.id.to_string(), "code": x.asset.code, "name": x.asset.name, "class": x.asset.class,
        "state": x.asset.state.code(), "hops": x.hops, "through": x.through.to_string(), "via": x.via.code(),
    })
}

fn event_json(e: &AssetEventRecord) -> Value {
    json!({
        "seq": e.seq, "at": e.at.rfc3339(), "actor": e.actor, "kind": e.kind, "from": e.from_state,
        "to": e.to_state, "note": e.note, "data": serde_json::from_str::<Value>(&e.data).unwrap_or(Value::Null),
    })
}

fn relation_json(r: &RelationRecord) -> Value {
    json!({
        "from_id": r.from_id.to_string(), "to_id": r.to_id.to_string(), "kind": r.kind.code(), "note": r.note,
        "created_by": r.created_by, "created_at": r.created_at.rfc3339(),
    })
}

fn class_json(c: &CiClass) -> Value {
    json!({
        "code": c.code, "name": c.name, "family": c.family.code(), "built_in": c.is_built_in,
        "attributes": attributes_to_json(&c.attributes), "schema": attributes_to_json(&c.schema()),
    })
}

fn location_json(l: &LocationRecord) -> Value {
    json!({
        "id": l.id.to_string(), "parent_id": l.parent_id.map(|p| p.to_string()), "level": l.level.code(),
        "code": l.code, "name": l.name, "latitude": l.latitude, "longitude": l.longitude, "ex_zone": l.ex_zone,
    })
}

fn part_json(p: &SparePartRecord) -> Value {
    json!({
        "id": p.id.to_string(), "code": p.code, "name": p.name, "class": p.class, "unit": p.unit,
        "stock": p.stock, "min_stock": p.min_stock, "low": p.stock <= p.min_stock,
    })
}

fn movement_json(m: &StockMovementRecord) -> Value {
    json!({
        "seq": m.seq, "at": m.at.rfc3339(), "actor": m.actor, "delta": m.delta, "stock_after": m.stock_after,
        "reason": m.reason.code(), "asset_id": m.asset_id.map(|a| a.to_string()), "note": m.note,
    })
}

fn list_json(l: &AssetList) -> Value {
    let mut v = json!({
        "items": l.page.items.iter().map(asset_json).collect::<Vec<_>>(),
        "total": l.page.total, "page": l.page.request.page, "per_page": l.page.request.per_page,
        "pages": l.page.pages(), "names": l.names,
    });
    if let Some(f) = &l.facets {
        let opt = |x: &[(Option<String>, i64)]| -> Vec<Value> {
            x.iter().map(|(k, n)| json!({ "value": k, "count": n })).collect()
        };
        v["facets"] = json!({
            "families": f.families.iter().map(|(k, n)| json!({ "value": k.code(), "count": n })).collect::<Vec<_>>(),
            "classes": f.classes.iter().map(|(k, n)| json!({ "value": k, "count": n })).collect::<Vec<_>>(),
            "states": f.states.iter().map(|(k, n)| json!({ "value": k.code(), "count": n })).collect::<Vec<_>>(),
            "zones": opt(&f.zones.iter().map(|(k, n)| (k.map(|z| z.to_string()), *n)).collect::<Vec<_>>()),
            "enterprises": opt(&f.enterprises.iter().map(|(k, n)| (k.map(|z| z.to_string()), *n)).collect::<Vec<_>>()),
            "maintainers": opt(&f.maintainers.iter().map(|(k, n)| (k.map(|z| z.to_string()), *n)).collect::<Vec<_>>()),
            "sensitive": f.sensitive.iter().map(|(k, n)| json!({ "value": k, "count": n })).collect::<Vec<_>>(),
        });
    }
    v
}

/// List query: the page's filters plus paging and whether to count facets.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    family: Option<String>,
    class: Option<String>,
    state: Option<String>,
    zone: Option<String>,
    enterprise: Option<String>,
    maintainer: Option<String>,
    criticality: Option<String>,
    sensitive: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
    facets: Option<bool>,
}

/// `GET /api/v1/assets`.
pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(p): Query<ListParams>) -> Response {
    let q = ListQuery {
        family: p.family,
        class: p.class,
        state: p.state,
        zone: p.zone,
        enterprise: p.enterprise,
        maintainer: p.maintainer,
        criticality: p.criticality,
        sensitive: p.sensitive,
        q: p.q,
        sort: p.sort,
        page: p.page,
        ok: None,
    };
    let page = PageRequest::clamped(p.page, p.per_page);
    match state.app.assets().list(&ctx.caller, &q.query(), page, p.facets.unwrap_or(true)).await {
        Ok(l) => ok(list_json(&l)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// A CI as sent: text as in a sheet's cells; attributes by code.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetBody {
    code: String,
    name: String,
    #[serde(default)]
    class: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    enterprise: String,
    #[serde(default)]
    maintainer: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    criticality: String,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    holds_sensitive_data: Option<bool>,
    #[serde(default)]
    attributes: Map<String, Value>,
}

impl AssetBody {
    fn input(self) -> AssetInput {
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        AssetInput {
            code: self.code,
            name: self.name,
            class: self.class,
            state: self.state,
            location: self.location,
            enterprise: self.enterprise,
            maintainer: self.maintainer,
            owner: self.owner,
            criticality: self.criticality,
            domain: self.domain,
            holds_sensitive_data: self.holds_sensitive_data.map(|b| b.to_string()).unwrap_or_default(),
            attributes: self.attributes.iter().map(|(k, v)| (k.clone(), text(v))).collect(),
        }
    }
}

/// `POST /api/v1/assets`.
pub async fn create(State(state): State<AppState>, ctx: Ctx, Body(b): Body<AssetBody>) -> Response {
    match state.app.assets().create(&ctx.caller, b.input()).await {
        Ok(a) => created(asset_json(&a)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /api/v1/assets/{id}`: the CI with its schema, location path, relations and the events
/// its state allows.
pub async fn show(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<uuid::Uuid>) -> Response {
    match state.app.assets().detail(&ctx.caller, AssetId::from_uuid(id)).await {
        Ok(d) => {
            let mut v = asset_json(&d.asset);
            v["class_name"] = json!(d.class.as_ref().map(|c| c.name.clone()));
            v["schema"] = attributes_to_json(&d.schema);
            v["location"] = d.location.iter().map(location_json).collect();
            v["relations"] = d
                .relations
                .iter()
                .map(|r| {
                    let mut x = relation_json(&r.relation);
                    x["direction"] = json!(if r.outgoing { "out" } else { "in" });
                    x["other"] = json!({ "id": r.other.id.to_string(), "code": r.other.code, "name": r.other.name, "state": r.other.state.code() });
                    x
                })
                .collect();
            v["allowed_events"] = d.allowed_events.iter().map(|e| json!(e.code())).collect();
            v["can_manage"] = json!(d.can_manage);
            ok(v)
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `PUT /api/v1/assets/{id}`: replaces the fixed fields (blank location, enterprise,
/// maintainer or owner clears it); attributes not listed keep their values, a blank one
/// clears it. The state changes only through events.
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    Body(b): Body<AssetBody>,
) -> Response {
    match state.app.assets().update(&ctx.caller, AssetId::from_uuid(id), b.input()).await {
        Ok(a) => ok(asset_json(&a)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// Impact query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImpactParams {
    direction: Option<String>,
    hops: Option<u32>,
}

/// `GET /api/v1/assets/{id}/impact?direction=upstream|downstream&hops=N`: what the CI depends
/// on and what depends on it (both when no direction is given), nearest first.
pub async fn impact(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    Query(p): Query<ImpactParams>,
) -> Response {
    let id = AssetId::from_uuid(id);
    let hops = p.hops.unwrap_or(MAX_HOPS);
    let register = state.app.assets();
    let mut out = json!({ "hops": hops.clamp(1, MAX_HOPS) });
    let directions: Vec<&str> = match p.direction.as_deref() {
        None | Some("") => vec!["upstream", "downstream"],
        Some(d) => vec![d],
    };
    for d in directions {
        match register.impact(&ctx.caller, id, d, hops).await {
            Ok(list) => out[d] = list.iter().map(impacted_json).collect(),
            Err(e) => return ctx.err(e).into_response(),
        }
    }
    ok(out)
}

/// `GET /api/v1/assets/{id}/events`: the timeline, oldest first.
pub async fn events(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<uuid::Uuid>) -> Response {
    match state.app.assets().detail(&ctx.caller, AssetId::from_uuid(id)).await {
        Ok(d) => ok(json!({ "items": d.events.iter().map(event_json).collect::<Vec<_>>() })),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// A part used in a replacement.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartBody {
    part: String,
    quantity: i64,
}

/// Lifecycle event body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    event: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    parts: Vec<PartBody>,
}

/// `POST /api/v1/assets/{id}/events`: applies a lifecycle event; for events that take the
/// CI out of work the answer lists every CI that depends on it.
pub async fn event(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    Body(b): Body<EventBody>,
) -> Response {
    let request = LifecycleRequest {
        event: b.event,
        note: b.note,
        parts: b.parts.into_iter().map(|p| (p.part, p.quantity)).collect(),
    };
    match state.app.assets().lifecycle(&ctx.caller, AssetId::from_uuid(id), request).await {
        Ok(out) => created(json!({
            "asset": asset_json(&out.asset),
            "dependents": out.dependents.iter().map(impacted_json).collect::<Vec<_>>(),
        })),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /api/v1/assets/{id}/relations`.
pub async fn relations(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<uuid::Uuid>) -> Response {
    match state.app.assets().detail(&ctx.caller, AssetId::from_uuid(id)).await {
        Ok(d) => ok(json!({ "items": d.relations.iter().map(|r| {
            let mut x = relation_json(&r.relation);
            x["direction"] = json!(if r.outgoing { "out" } else { "in" });
            x["other"] = json!({ "id": r.other.id.to_string(), "code": r.other.code, "name": r.other.name, "state": r.other.state.code() });
            x
        }).collect::<Vec<_>>() })),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// Relation body: the other CI by code or id; `direction` `out` (default: this CI is the
/// `from` end) or `in`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelationBody {
    other: String,
    kind: String,
    #[serde(default)]
    direction: String,
    #[serde(default)]
    note: String,
}

async fn other_id(state: &AppState, ctx: &Ctx, text: &str) -> Result<AssetId, AppError> {
    if let Ok(id) = AssetId::parse(text) {
        return Ok(id);
    }
    by_code(state, ctx, text).await.map(|a| a.id).ok_or_else(|| {
        AppError::Invalid(vec![FieldError::new("other", "err-import-relation-code").arg("code", text.trim())])
    })
}

/// `POST /api/v1/assets/{id}/relations`.
pub async fn relation_add(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    Body(b): Body<RelationBody>,
) -> Response {
    let id = AssetId::from_uuid(id);
    let other = match other_id(&state, &ctx, &b.other).await {
        Ok(o) => o,
        Err(e) => return ctx.err(e).into_response(),
    };
    let (from, to) = if b.direction == "in" { (other, id) } else { (id, other) };
    match state.app.assets().add_relation(&ctx.caller, from, to, &b.kind, &b.note).await {
        Ok(r) => created(relation_json(&r)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /api/v1/assets/{id}/relations/remove`.
pub async fn relation_remove(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    Body(b): Body<RelationBody>,
) -> Response {
    let id = AssetId::from_uuid(id);
    let other = match other_id(&state, &ctx, &b.other).await {
        Ok(o) => o,
        Err(e) => return ctx.err(e).into_response(),
    };
    let (from, to) = if b.direction == "in" { (other, id) } else { (id, other) };
    match state.app.assets().remove_relation(&ctx.caller, from, to, &b.kind).await {
        Ok(()) => ok(json!({ "removed": true })),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// Import query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    dry_run: Option<bool>,
    name: Option<String>,
}

/// `POST /api/v1/assets/import[?dry_run=true]`: the body is the file (`Content-Type` an XLSX
/// or CSV type). Answers the counts, or 400 with the whole report (sheet, row, column,
/// message) and nothing written.
pub async fn import(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Query(p): Query<ImportParams>,
    body: Bytes,
) -> Response {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let name = p.name.unwrap_or_default();
    let dry_run = p.dry_run.unwrap_or(false);
    let result = match parse_file(&name, ct, &body) {
        Ok(sheet) => {
            let register = state.app.assets();
            let none = |_: parkops_app::asset::ImportProgress| {};
            if dry_run {
                register.check_import(&ctx.caller, &sheet, &none).await
            } else {
                register.import(&ctx.caller, &sheet, &none).await
            }
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(s) => ok(json!({
            "dry_run": dry_run, "created": s.created, "updated": s.updated, "unchanged": s.unchanged,
            "relations_added": s.relations_added, "relations_unchanged": s.relations_unchanged,
        })),
        Err(AppError::Invalid(fields)) => {
            let lines: Vec<Value> = report(&ctx.i, &fields)
                .into_iter()
                .zip(&fields)
                .map(|(l, f)| {
                    let arg = |n: &str| f.args.iter().find(|(k, _)| *k == n).map(|(_, v)| v.clone());
                    json!({
                        "sheet": arg("sheet"), "row": arg("row").and_then(|r| r.parse::<u64>().ok()),
                        "column": arg("column"), "code": f.key, "message": l.message,
                    })
                })
                .collect();
            let e = AppError::Invalid(fields);
            let status = crate::error::status(&e);
            let body = json!({
                "error": crate::error::code(&e), "message": ctx.i.t("asset-import-refused"),
                "fields": [], "report": lines,
            });
            (status, axum::Json(body)).into_response()
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /api/v1/asset-classes`: every class in force with its schema.
pub async fn classes(State(state): State<AppState>, ctx: Ctx) -> Response {
    match state.app.assets().classes(&ctx.caller).await {
        Ok(list) => ok(json!({ "items": list.iter().map(class_json).collect::<Vec<_>>() })),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// Class definition body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassBody {
    code: String,
    #[serde(default)]
    name: String,
    family: String,
    attributes: Value,
}

/// `POST /api/v1/asset-classes`: stores a class's extension (the attributes added to a
/// built-in class, or a class of the park's own), replacing the previous one.
pub async fn define_class(State(state): State<AppState>, ctx: Ctx, Body(b): Body<ClassBody>) -> Response {
    match state.app.assets().define_class(&ctx.caller, &b.code, &b.name, &b.family, &b.attributes).await {
        Ok(c) => ok(class_json(&c)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /api/v1/asset-locations`: the location tree, by code.
pub async fn locations(State(state): State<AppState>, ctx: Ctx) -> Response {
    match state.app.assets().locations(&ctx.caller).await {
        Ok(list) => ok(json!({ "items": list.iter().map(location_json).collect::<Vec<_>>() })),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// Location body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationBody {
    #[serde(default)]
    id: String,
    #[serde(default)]
    parent: String,
    level: String,
    code: String,
    name: String,
    #[serde(default)]
    latitude: String,
    #[serde(default)]
    longitude: String,
    #[serde(default)]
    ex_zone: String,
}

/// `POST /api/v1/asset-locations`: adds a node, or edits the one named by `id`.
pub async fn location_put(State(state): State<AppState>, ctx: Ctx, Body(b): Body<LocationBody>) -> Response {
    let input = LocationInput {
        id: b.id,
        parent: b.parent,
        level: b.level,
        code: b.code,
        name: b.name,
        latitude: b.latitude,
        longitude: b.longitude,
        ex_zone: b.ex_zone,
    };
    match state.app.assets().put_location(&ctx.caller, input).await {
        Ok(l) => ok(location_json(&l)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /api/v1/spare-parts`.
pub async fn parts(State(state): State<AppState>, ctx: Ctx) -> Response {
    match state.app.assets().spare_parts(&ctx.caller).await {
        Ok(list) => ok(json!({ "items": list.iter().map(part_json).collect::<Vec<_>>() })),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// Spare part body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartCreateBody {
    code: String,
    name: String,
    #[serde(default)]
    class: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    stock: i64,
    #[serde(default)]
    min_stock: i64,
}

/// `POST /api/v1/spare-parts`.
pub async fn part_create(State(state): State<AppState>, ctx: Ctx, Body(b): Body<PartCreateBody>) -> Response {
    let input = SparePartInput {
        code: b.code,
        name: b.name,
        class: b.class,
        unit: b.unit,
        stock: b.stock,
        min_stock: b.min_stock,
    };
    match state.app.assets().create_spare_part(&ctx.caller, input).await {
        Ok(p) => created(part_json(&p)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /api/v1/spare-parts/{id}/movements`.
pub async fn movements(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<uuid::Uuid>) -> Response {
    match state.app.assets().stock_movements(&ctx.caller, SparePartId::from_uuid(id)).await {
        Ok(list) => ok(json!({ "items": list.iter().map(movement_json).collect::<Vec<_>>() })),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// Stock movement body: `delta` positive for receipts and returns, negative for issues.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    delta: i64,
    reason: String,
    #[serde(default)]
    asset: String,
    #[serde(default)]
    note: String,
}

/// `POST /api/v1/spare-parts/{id}/movements`.
pub async fn part_move(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    Body(b): Body<MoveBody>,
) -> Response {
    let asset = if b.asset.trim().is_empty() {
        None
    } else {
        match other_id(&state, &ctx, &b.asset).await {
            Ok(a) => Some(a),
            Err(e) => return ctx.err(e).into_response(),
        }
    };
    let r = state
        .app
        .assets()
        .move_stock(&ctx.caller, SparePartId::from_uuid(id), b.delta, &b.reason, asset, &b.note)
        .await;
    match r {
        Ok(p) => created(part_json(&p)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// The JSON request bodies of the asset routes, for the OpenAPI document (the import's body
/// is the file itself, so it has none).
pub(crate) fn request_schema(id: crate::registry::RouteId) -> Option<Value> {
    use crate::registry::RouteId as R;
    use parkops_domain::asset::{CiFamily, Criticality, LifecycleEvent, LifecycleState, LocationLevel, RelationKind};
    let s = |props: Value, required: &[&str]| json!({ "type": "object", "additionalProperties": false, "properties": props, "required": required });
    let text = json!({ "type": "string" });
    let codes = |all: Vec<&'static str>| json!({ "type": "string", "enum": all });
    Some(match id {
        R::ApiAssetCreate | R::ApiAssetUpdate => s(
            json!({
                "code": text, "name": text, "class": { "type": "string", "description": "class code or Chinese name" },
                "state": codes(LifecycleState::ALL.iter().map(|x| x.code()).collect()),
                "location": { "type": "string", "description": "location code" },
                "enterprise": { "type": "string", "description": "organisation code, name or id" },
                "maintainer": { "type": "string", "description": "organisation code, name or id" },
                "owner": { "type": "string", "description": "login name" },
                "criticality": codes(Criticality::ALL.iter().map(|x| x.code()).collect()),
                "domain": text, "holds_sensitive_data": { "type": "boolean" },
                "attributes": { "type": "object", "additionalProperties": { "type": ["string", "number", "boolean", "null"] } },
            }),
            &["code", "name"],
        ),
        R::ApiAssetEvent => s(
            json!({
                "event": codes(LifecycleEvent::ALL.iter().map(|x| x.code()).collect()), "note": text,
                "parts": { "type": "array", "items": s(json!({ "part": text, "quantity": { "type": "integer", "minimum": 1 } }), &["part", "quantity"]) },
            }),
            &["event"],
        ),
        R::ApiAssetRelationAdd | R::ApiAssetRelationRemove => s(
            json!({
                "other": { "type": "string", "description": "the other CI's code or id" },
                "kind": codes(RelationKind::ALL.iter().map(|x| x.code()).collect()),
                "direction": codes(vec!["out", "in"]), "note": text,
            }),
            &["other", "kind"],
        ),
        R::ApiAssetClassDefine => s(
            json!({
                "code": text, "name": text, "family": codes(CiFamily::ALL.iter().map(|x| x.code()).collect()),
                "attributes": { "type": "array", "items": s(json!({
                    "code": text, "label": text, "type": codes(vec!["text", "integer", "decimal", "date", "enum", "bool"]),
                    "values": { "type": "array", "items": text }, "required": { "type": "boolean" }, "unit": text,
                }), &["code", "label", "type"]) },
            }),
            &["code", "family", "attributes"],
        ),
        R::ApiAssetLocationPut => s(
            json!({
                "id": text, "parent": { "type": "string", "description": "parent's code" },
                "level": codes(LocationLevel::ALL.iter().map(|x| x.code()).collect()), "code": text, "name": text,
                "latitude": text, "longitude": text, "ex_zone": text,
            }),
            &["level", "code", "name"],
        ),
        R::ApiSparePartCreate => s(
            json!({ "code": text, "name": text, "class": text, "unit": text, "stock": { "type": "integer" }, "min_stock": { "type": "integer" } }),
            &["code", "name"],
        ),
        R::ApiSparePartMove => s(
            json!({ "delta": { "type": "integer" }, "reason": codes(parkops_app::ports::asset::StockReason::ALL.iter().map(|r| r.code()).collect()), "asset": text, "note": text }),
            &["delta", "reason"],
        ),
        _ => return None,
    })
}
