//! The asset register's pages (R-9.1.1c): the list with faceted filters and exports, the CI
//! page (attributes by group, the relation graph as SVG, impact both ways, lifecycle timeline,
//! part replacements, tickets), the forms generated from the class schema, lifecycle events
//! with the dependants shown before confirming, and relations.
//!
//! Classes, locations and spare parts are in `assets_admin.rs`; import in `assets_import.rs`.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use parkops_app::asset::{AssetInput, AssetQuery, ImpactedAsset, LifecycleRequest, MAX_HOPS};
use parkops_app::ports::asset::{AssetRecord, LocationRecord};
use parkops_app::ports::{OrgFilter, PageRequest};
use parkops_app::{AppError, FieldError};
use parkops_domain::access::Capability;
use parkops_domain::asset::{
    self, AssetId, AttributeDef, AttributeType, CiFamily, Criticality, LifecycleEvent, LifecycleState, LocationLevel,
    RelationKind,
};
use parkops_domain::id::ParkId;
use parkops_domain::org::{OrgType, Organisation};
use parkops_domain::ticket::BusinessDomain;
use serde::Deserialize;
use serde_json::Value;

use super::desk::{label, minute_text};
use super::{Chrome, FormState, Pager, render, render_status, see_other};
use crate::AppState;
use crate::form::{FormData, IdPath};
use crate::guard::Ctx;
use crate::i18n::I18n;
use crate::svg_graph::{self, Graph, GraphLabels, GraphNode};

// ---------------------------------------------------------------------------------------------
// Labels and colours shared by the asset pages and the API
// ---------------------------------------------------------------------------------------------

/// The tag colour of a lifecycle state: in service green, faulty red, maintenance orange,
/// trial run blue, construction purple, everything out of work grey.
#[must_use]
pub const fn state_tone(s: LifecycleState) -> &'static str {
    match s {
        LifecycleState::InService => "green",
        LifecycleState::Faulty => "red",
        LifecycleState::UnderMaintenance => "orange",
        LifecycleState::TrialRun => "blue",
        LifecycleState::UnderConstruction => "purple",
        LifecycleState::Planned
        | LifecycleState::OutOfService
        | LifecycleState::Scrapped
        | LifecycleState::Disposed => "grey",
    }
}

/// A lifecycle state by name.
#[must_use]
pub fn state_label(i: &I18n, s: LifecycleState) -> String {
    label(i, "asset-state", s.code())
}

/// A family by name.
#[must_use]
pub fn family_label(i: &I18n, f: CiFamily) -> String {
    label(i, "asset-family", f.code())
}

/// A lifecycle event by name.
#[must_use]
pub fn event_label(i: &I18n, e: LifecycleEvent) -> String {
    label(i, "asset-event", e.code())
}

/// A relation kind by name.
#[must_use]
pub fn relation_label(i: &I18n, k: RelationKind) -> String {
    label(i, "asset-relation", k.code())
}

/// A criticality by name.
#[must_use]
pub fn criticality_label(i: &I18n, c: Criticality) -> String {
    label(i, "asset-criticality", c.code())
}

/// Events that take a CI out of work: the dependants are shown before they are confirmed.
#[must_use]
pub const fn is_outage(e: LifecycleEvent) -> bool {
    matches!(
        e,
        LifecycleEvent::Fault
            | LifecycleEvent::MaintainStart
            | LifecycleEvent::Retire
            | LifecycleEvent::Scrap
            | LifecycleEvent::Dispose
    )
}

/// Every organisation of the park (for names and the forms' choices).
pub async fn park_orgs(state: &AppState, park: ParkId) -> Vec<Organisation> {
    let filter = OrgFilter { park_id: Some(park), ..OrgFilter::default() };
    let mut out = Vec::new();
    for page in 1..=50 {
        let Ok(p) = state.app.store.orgs(&filter, PageRequest { page, per_page: 200 }).await else { break };
        let n = p.items.len();
        out.extend(p.items);
        if n < 200 {
            break;
        }
    }
    out
}

/// The id in a CI's path.
fn asset_id(id: uuid::Uuid) -> AssetId {
    AssetId::from_uuid(id)
}

// ---------------------------------------------------------------------------------------------
// The list
// ---------------------------------------------------------------------------------------------

/// The list's filters, as in the query string of the page, the exports and the API.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct ListQuery {
    pub(crate) family: Option<String>,
    pub(crate) class: Option<String>,
    pub(crate) state: Option<String>,
    pub(crate) zone: Option<String>,
    pub(crate) enterprise: Option<String>,
    pub(crate) maintainer: Option<String>,
    pub(crate) criticality: Option<String>,
    pub(crate) sensitive: Option<String>,
    pub(crate) q: Option<String>,
    pub(crate) sort: Option<String>,
    pub(crate) page: Option<i64>,
    pub(crate) ok: Option<String>,
}

/// The filter keys, in query-string order.
const FILTER_KEYS: [&str; 10] =
    ["family", "class", "state", "zone", "enterprise", "maintainer", "criticality", "sensitive", "q", "sort"];

impl ListQuery {
    fn s(v: Option<&String>) -> String {
        v.map(|s| s.trim().to_owned()).unwrap_or_default()
    }

    fn get(&self, key: &str) -> String {
        Self::s(match key {
            "family" => self.family.as_ref(),
            "class" => self.class.as_ref(),
            "state" => self.state.as_ref(),
            "zone" => self.zone.as_ref(),
            "enterprise" => self.enterprise.as_ref(),
            "maintainer" => self.maintainer.as_ref(),
            "criticality" => self.criticality.as_ref(),
            "sensitive" => self.sensitive.as_ref(),
            "q" => self.q.as_ref(),
            "sort" => self.sort.as_ref(),
            _ => None,
        })
    }

    /// The use case's query.
    #[must_use]
    pub fn query(&self) -> AssetQuery {
        let one = |k: &str| {
            let v = self.get(k);
            if v.is_empty() { Vec::new() } else { vec![v] }
        };
        AssetQuery {
            classes: one("class"),
            family: self.get("family"),
            states: one("state"),
            zone: self.get("zone"),
            site: String::new(),
            enterprise: self.get("enterprise"),
            maintainer: self.get("maintainer"),
            criticality: self.get("criticality"),
            text: self.get("q"),
            sensitive: self.get("sensitive"),
            sort: self.get("sort"),
        }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        FILTER_KEYS.iter().map(|k| (*k, self.get(k))).collect()
    }

    /// The query string with `key` set to `value` (or cleared when it already has it),
    /// back on the first page.
    fn toggle(&self, key: &str, value: &str) -> String {
        let mut enc = form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.pairs() {
            let v = if k == key { if v == value { String::new() } else { value.to_owned() } } else { v };
            if !v.is_empty() {
                enc.append_pair(k, &v);
            }
        }
        let q = enc.finish();
        if q.is_empty() { "/assets".to_owned() } else { format!("/assets?{q}") }
    }
}

/// One facet value.
pub struct FacetItem {
    label: String,
    count: i64,
    href: String,
    active: bool,
    tone: &'static str,
}

/// One facet: a heading and its values with counts.
pub struct Facet {
    title: String,
    items: Vec<FacetItem>,
}

/// One row of the list.
pub struct AssetRow {
    id: String,
    code: String,
    name: String,
    class: String,
    state: String,
    tone: &'static str,
    location: String,
    location_path: String,
    enterprise: String,
    maintainer: String,
    criticality: String,
    critical: bool,
    sensitive: bool,
    updated: String,
}

#[derive(Template)]
#[template(path = "assets/list.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<AssetRow>,
    facets: Vec<Facet>,
    v: FormState,
    pager: Pager,
    sorts: Vec<(String, String)>,
    export_query: String,
    can_manage: bool,
    filtered: bool,
    hidden: Vec<(&'static str, String)>,
}

fn name_of(names: &BTreeMap<String, String>, key: Option<String>) -> String {
    key.and_then(|k| names.get(&k).cloned()).unwrap_or_default()
}

/// `GET /assets`.
pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> Response {
    let i = ctx.i;
    let result = state.app.assets().list(&ctx.caller, &q.query(), PageRequest::clamped(q.page, Some(20)), true).await;
    let list = match result {
        Ok(l) => l,
        Err(e) => return ctx.err(e).into_response(),
    };
    let names = &list.names;
    let rows = list
        .page
        .items
        .iter()
        .map(|a| AssetRow {
            id: a.id.to_string(),
            code: a.code.clone(),
            name: a.name.clone(),
            class: names.get(&a.class).cloned().unwrap_or_else(|| a.class.clone()),
            state: state_label(&i, a.state),
            tone: state_tone(a.state),
            location: [a.location.point, a.location.site, a.location.zone]
                .into_iter()
                .flatten()
                .find_map(|l| names.get(&l.to_string()).cloned())
                .unwrap_or_default(),
            location_path: [a.location.zone, a.location.site, a.location.point]
                .into_iter()
                .flatten()
                .filter_map(|l| names.get(&l.to_string()).cloned())
                .collect::<Vec<_>>()
                .join(" / "),
            enterprise: name_of(names, a.enterprise_org_id.map(|o| o.to_string())),
            maintainer: name_of(names, a.maintainer_org_id.map(|o| o.to_string())),
            criticality: criticality_label(&i, a.criticality),
            critical: a.criticality == Criticality::A,
            sensitive: a.holds_sensitive_data,
            updated: minute_text(a.updated_at),
        })
        .collect();
    let mut facets = Vec::new();
    if let Some(f) = &list.facets {
        let item = |key: &str, value: String, label: String, count: i64, tone: &'static str| FacetItem {
            active: q.get(key) == value,
            href: q.toggle(key, &value),
            label,
            count,
            tone,
        };
        let none = i.t("asset-none");
        let mut families: Vec<FacetItem> =
            f.families.iter().map(|(x, n)| item("family", x.code().into(), family_label(&i, *x), *n, "")).collect();
        families.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
        facets.push(Facet { title: i.t("asset-family"), items: families });
        facets.push(Facet {
            title: i.t("asset-state"),
            items: f
                .states
                .iter()
                .map(|(x, n)| item("state", x.code().into(), state_label(&i, *x), *n, state_tone(*x)))
                .collect(),
        });
        let mut classes: Vec<FacetItem> = f
            .classes
            .iter()
            .map(|(x, n)| item("class", x.clone(), names.get(x).cloned().unwrap_or_else(|| x.clone()), *n, ""))
            .collect();
        classes.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
        facets.push(Facet { title: i.t("asset-class"), items: classes });
        let opt = |key: &'static str, list: Vec<(Option<String>, i64)>| -> Vec<FacetItem> {
            let mut items: Vec<FacetItem> = list
                .into_iter()
                .filter_map(|(x, n)| {
                    let id = x?;
                    let name = names.get(&id).cloned().unwrap_or_else(|| id.clone());
                    Some(item(key, id, name, n, ""))
                })
                .collect();
            items.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
            items
        };
        let unzoned = f.zones.iter().filter(|(z, _)| z.is_none()).map(|(_, n)| *n).sum::<i64>();
        let mut zones = opt("zone", f.zones.iter().map(|(z, n)| (z.map(|z| z.to_string()), *n)).collect());
        if unzoned > 0 {
            zones.push(FacetItem { label: none.clone(), count: unzoned, href: String::new(), active: false, tone: "" });
        }
        facets.push(Facet { title: i.t("asset-zone"), items: zones });
        facets.push(Facet {
            title: i.t("field-enterprise"),
            items: opt("enterprise", f.enterprises.iter().map(|(o, n)| (o.map(|o| o.to_string()), *n)).collect()),
        });
        facets.push(Facet {
            title: i.t("asset-maintainer"),
            items: opt("maintainer", f.maintainers.iter().map(|(o, n)| (o.map(|o| o.to_string()), *n)).collect()),
        });
        facets.push(Facet {
            title: i.t("asset-sensitive"),
            items: f
                .sensitive
                .iter()
                .map(|(yes, n)| {
                    let (code, text) = if *yes { ("true", i.t("yes")) } else { ("false", i.t("no")) };
                    item("sensitive", code.into(), text, *n, if *yes { "orange" } else { "" })
                })
                .collect(),
        });
    }
    let pairs = q.pairs();
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let pager = Pager::of(&list.page, &borrowed);
    let export_query = pager.query.trim_end_matches('&').to_owned();
    let can_manage = ctx.caller.principal.as_ref().is_some_and(|p| p.has(Capability::AssetManage));
    let filtered = pairs.iter().any(|(k, v)| *k != "sort" && !v.is_empty());
    render(&ListPage {
        c: Chrome::new(&ctx, "nav-asset-list", "/assets").under("nav-group-assets", "/assets").flash(q.ok.as_deref()),
        rows,
        facets,
        v: pairs.iter().fold(FormState::new(), |f, (k, val)| f.with(k, val.clone())),
        pager,
        sorts: parkops_app::ports::asset::AssetSort::ALL
            .iter()
            .map(|s| (s.code().to_owned(), label(&i, "asset-sort", s.code())))
            .collect(),
        export_query,
        can_manage,
        filtered,
        hidden: pairs.iter().filter(|(k, v)| !matches!(*k, "q" | "sort") && !v.is_empty()).cloned().collect(),
    })
}

async fn export(state: &AppState, ctx: &Ctx, q: &ListQuery, xlsx: bool) -> Response {
    let book = match state.app.assets().export(&ctx.caller, &q.query()).await {
        Ok(b) => b,
        Err(e) => return ctx.err(e).into_response(),
    };
    let stamp = state.app.clock.now().to_cst().format("%Y%m%d-%H%M");
    if xlsx {
        let sheets = [
            (ctx.i.t("asset-sheet-assets"), book.assets.columns.as_slice(), book.assets.rows.as_slice()),
            (ctx.i.t("asset-sheet-relations"), book.relations.columns.as_slice(), book.relations.rows.as_slice()),
        ];
        match super::assets_import::workbook_xlsx(&sheets) {
            Ok(bytes) => crate::export::download(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                &format!("parkops-assets-{stamp}.xlsx"),
                bytes,
            ),
            Err(e) => {
                tracing::error!(error = %e, "workbook failed");
                (StatusCode::INTERNAL_SERVER_ERROR, ctx.i.t("err-unavailable")).into_response()
            }
        }
    } else {
        crate::export::download(
            "text/csv; charset=utf-8",
            &format!("parkops-assets-{stamp}.csv"),
            crate::export::csv(&book.assets.columns, &book.assets.rows).into_bytes(),
        )
    }
}

/// `GET /assets/export.csv`: the filtered list as CSV (the CI sheet, importable).
pub async fn export_csv(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> Response {
    export(&state, &ctx, &q, false).await
}

/// `GET /assets/export.xlsx`: the filtered list and its relations as a workbook (importable).
pub async fn export_xlsx(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> Response {
    export(&state, &ctx, &q, true).await
}

// ---------------------------------------------------------------------------------------------
// The CI page
// ---------------------------------------------------------------------------------------------

/// One displayed attribute.
pub struct AttrView {
    label: String,
    value: String,
    unit: String,
}

/// One related or impacted CI.
pub struct RelatedRow {
    id: String,
    code: String,
    name: String,
    state: String,
    tone: &'static str,
    kind: String,
    kind_code: String,
    hops: u32,
    outgoing: bool,
    other_id: String,
}

/// One timeline entry.
pub struct EventView {
    at: String,
    actor: String,
    kind: String,
    tone: &'static str,
    change: String,
    note: String,
    detail: String,
}

/// One part replacement.
pub struct PartUse {
    at: String,
    actor: String,
    parts: String,
    note: String,
}

/// One ticket about the CI.
pub struct TicketLink {
    id: String,
    number: String,
    title: String,
    state: String,
    level: String,
    level_tone: &'static str,
    created: String,
}

/// The fixed fields shown.
pub struct AssetView {
    id: String,
    code: String,
    name: String,
    class: String,
    family: String,
    state: String,
    tone: &'static str,
    state_since: String,
    location: String,
    enterprise: String,
    maintainer: String,
    owner: String,
    criticality: String,
    critical: bool,
    domain: String,
    sensitive: bool,
    created: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "assets/show.html")]
struct ShowPage {
    c: Chrome,
    a: AssetView,
    common: Vec<AttrView>,
    specific: Vec<AttrView>,
    graph: String,
    legend: Vec<(String, &'static str)>,
    upstream: Vec<RelatedRow>,
    downstream: Vec<RelatedRow>,
    impact_more: (usize, usize),
    relations: Vec<RelatedRow>,
    events: Vec<EventView>,
    parts: Vec<PartUse>,
    tickets: Vec<TicketLink>,
    can_tickets: bool,
    /// Inspection, maintenance and calibration tasks of the CI (newest due first), if the
    /// caller reads them.
    tasks: Vec<super::schedules::TaskRow>,
    can_tasks: bool,
    actions: Vec<(String, String, bool)>,
    can_manage: bool,
    kinds: Vec<(String, String)>,
    f: FormState,
    error: String,
}

/// Impact lists of the CI page show at most this many CIs each (the API has them all).
const IMPACT_ROWS: usize = 50;
/// The confirmation of an outage lists at most this many dependants (and counts them all).
const DEPENDANT_ROWS: usize = 500;

fn related_row(i: &I18n, x: &ImpactedAsset) -> RelatedRow {
    RelatedRow {
        id: x.asset.id.to_string(),
        code: x.asset.code.clone(),
        name: x.asset.name.clone(),
        state: state_label(i, x.asset.state),
        tone: state_tone(x.asset.state),
        kind: relation_label(i, x.via),
        kind_code: x.via.code().to_owned(),
        hops: x.hops,
        outgoing: false,
        other_id: String::new(),
    }
}

fn graph_node(i: &I18n, a: &AssetRecord, via: Option<RelationKind>, through: Option<AssetId>) -> GraphNode {
    let mut title = format!("{} {} · {}", a.code, a.name, state_label(i, a.state));
    if let Some(k) = via {
        title.push_str(" · ");
        title.push_str(&relation_label(i, k));
    }
    GraphNode {
        href: format!("/assets/{}", a.id),
        code: a.code.clone(),
        name: a.name.clone(),
        tone: state_tone(a.state),
        title,
        through: through.map(|t| t.to_string()),
        key: a.id.to_string(),
    }
}

/// The picture of a CI's neighbourhood, two hops each way.
fn graph_svg(i: &I18n, a: &AssetRecord, up: &[ImpactedAsset], down: &[ImpactedAsset]) -> (String, usize) {
    let hop = |list: &[ImpactedAsset], n: u32| -> Vec<GraphNode> {
        list.iter().filter(|x| x.hops == n).map(|x| graph_node(i, &x.asset, Some(x.via), Some(x.through))).collect()
    };
    let g = Graph {
        centre: Some(graph_node(i, a, None, None)),
        upstream: [hop(up, 1), hop(up, 2)],
        downstream: [hop(down, 1), hop(down, 2)],
    };
    let labels = GraphLabels {
        columns: [
            i.t("asset-graph-up2"),
            i.t("asset-graph-up1"),
            i.t("asset-graph-self"),
            i.t("asset-graph-down1"),
            i.t("asset-graph-down2"),
        ],
        more: i.ta("asset-graph-more", &[("n", "{n}".to_owned())]),
        none: i.t("asset-graph-none"),
        title: i.ta("asset-graph-title", &[("code", a.code.clone())]),
    };
    (svg_graph::render(&g, &labels), svg_graph::drawn_nodes(&g))
}

fn attribute_text(i: &I18n, d: &AttributeDef, v: &str) -> String {
    match d.kind {
        AttributeType::Bool => match asset::parse_bool(v) {
            Some(true) => i.t("yes"),
            Some(false) => i.t("no"),
            None => v.to_owned(),
        },
        AttributeType::Text
        | AttributeType::Integer
        | AttributeType::Decimal
        | AttributeType::Date
        | AttributeType::Enum(_) => v.to_owned(),
    }
}

fn event_view(i: &I18n, e: &parkops_app::ports::asset::AssetEventRecord) -> EventView {
    let kind =
        LifecycleEvent::parse(&e.kind).map_or_else(|| label(i, "asset-timeline", &e.kind), |ev| event_label(i, ev));
    let tone = match e.kind.as_str() {
        "fault" | "scrap" | "dispose" => "red",
        "retire" | "maintain_start" | "part_replace" => "orange",
        "repair" | "accept" | "maintain_end" | "reactivate" | "created" => "green",
        "install" | "commission" => "blue",
        _ => "grey",
    };
    let state = |c: &str| LifecycleState::parse(c).map(|s| state_label(i, s)).unwrap_or_default();
    let change = if !e.from_state.is_empty() && e.from_state != e.to_state {
        format!("{} → {}", state(&e.from_state), state(&e.to_state))
    } else {
        String::new()
    };
    let data: Value = serde_json::from_str(&e.data).unwrap_or(Value::Null);
    let mut detail = Vec::new();
    if let Some(parts) = data["parts"].as_array().filter(|p| !p.is_empty()) {
        let list: Vec<String> = parts
            .iter()
            .map(|p| format!("{} ×{}", p["name"].as_str().unwrap_or_default(), p["quantity"].as_i64().unwrap_or(0)))
            .collect();
        detail.push(i.ta("asset-parts-used", &[("parts", list.join("、"))]));
    }
    if let Some(n) = data["dependent_count"].as_i64().filter(|n| *n > 0) {
        detail.push(i.ta("asset-dependents-affected", &[("n", n.to_string())]));
    }
    if let Some(changes) = data["changes"].as_object().filter(|c| !c.is_empty()) {
        detail
            .push(i.ta("asset-fields-changed", &[("fields", changes.keys().cloned().collect::<Vec<_>>().join("、"))]));
    }
    if matches!(e.kind.as_str(), "relation_added" | "relation_removed") {
        let kind =
            data["kind"].as_str().and_then(RelationKind::parse).map(|k| relation_label(i, k)).unwrap_or_default();
        detail.push(format!(
            "{} —{}→ {}",
            data["from"].as_str().unwrap_or_default(),
            kind,
            data["to"].as_str().unwrap_or_default()
        ));
    }
    if data["source"].as_str() == Some("import") {
        detail.push(i.t("asset-from-import"));
    }
    EventView {
        at: e.at.display_cst(),
        actor: e.actor.clone(),
        kind,
        tone,
        change,
        note: e.note.clone(),
        detail: detail.join(" · "),
    }
}

/// The CI page, with a form state and message after a refused change.
async fn show_page(
    state: &AppState,
    ctx: &Ctx,
    id: AssetId,
    f: FormState,
    error: String,
    status: StatusCode,
    flash: Option<&str>,
) -> Response {
    let i = ctx.i;
    let register = state.app.assets();
    let d = match register.detail(&ctx.caller, id).await {
        Ok(d) => d,
        Err(e) => return ctx.err(e).into_response(),
    };
    let up = register.impact(&ctx.caller, id, "upstream", MAX_HOPS).await.unwrap_or_default();
    let down = register.impact(&ctx.caller, id, "downstream", MAX_HOPS).await.unwrap_or_default();
    let a = &d.asset;
    let orgs = park_orgs(state, a.park_id).await;
    let org_name = |o: Option<parkops_domain::id::OrgId>| {
        o.and_then(|o| orgs.iter().find(|x| x.id == o)).map(|o| o.name.clone()).unwrap_or_default()
    };
    let owner = match a.owner_user_id {
        Some(u) => state.app.store.user(u).await.ok().flatten().map(|u| u.display_name).unwrap_or_default(),
        None => String::new(),
    };
    let common_codes: Vec<String> = asset::common_attributes().into_iter().map(|c| c.code).collect();
    let (mut common, mut specific) = (Vec::new(), Vec::new());
    for def in &d.schema {
        let Some(v) = a.attributes.get(&def.code) else { continue };
        let view = AttrView {
            label: def.label.clone(),
            value: attribute_text(&i, def, v),
            unit: def.unit.clone().unwrap_or_default(),
        };
        if common_codes.contains(&def.code) { common.push(view) } else { specific.push(view) }
    }
    // Values of attributes the class no longer has stay visible.
    for (k, v) in &a.attributes {
        if !d.schema.iter().any(|s| &s.code == k) {
            specific.push(AttrView { label: k.clone(), value: v.clone(), unit: String::new() });
        }
    }
    let near = |list: &[ImpactedAsset]| list.iter().filter(|x| x.hops <= 2).cloned().collect::<Vec<_>>();
    let (graph, _) = graph_svg(&i, a, &near(&up), &near(&down));
    let relations = d
        .relations
        .iter()
        .map(|r| RelatedRow {
            id: r.other.id.to_string(),
            code: r.other.code.clone(),
            name: r.other.name.clone(),
            state: state_label(&i, r.other.state),
            tone: state_tone(r.other.state),
            kind: relation_label(&i, r.relation.kind),
            kind_code: r.relation.kind.code().to_owned(),
            hops: 1,
            outgoing: r.outgoing,
            other_id: r.other.id.to_string(),
        })
        .collect();
    let events: Vec<EventView> = d.events.iter().rev().map(|e| event_view(&i, e)).collect();
    let parts = d
        .events
        .iter()
        .rev()
        .filter(|e| e.kind == LifecycleEvent::PartReplace.code())
        .map(|e| {
            let data: Value = serde_json::from_str(&e.data).unwrap_or(Value::Null);
            let parts = data["parts"]
                .as_array()
                .map(|p| {
                    p.iter()
                        .map(|x| {
                            format!(
                                "{} {} ×{}",
                                x["code"].as_str().unwrap_or_default(),
                                x["name"].as_str().unwrap_or_default(),
                                x["quantity"].as_i64().unwrap_or(0)
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("、")
                })
                .unwrap_or_default();
            PartUse { at: e.at.display_cst(), actor: e.actor.clone(), parts, note: e.note.clone() }
        })
        .collect();
    let (tickets, can_tickets) = tickets_of(state, ctx, id).await;
    let (tasks, can_tasks) = tasks_of(state, ctx, id).await;
    let actions = if d.can_manage {
        d.allowed_events.iter().map(|e| (e.code().to_owned(), event_label(&i, *e), is_outage(*e))).collect()
    } else {
        Vec::new()
    };
    let location = d.location.iter().map(|l| format!("{} {}", l.code, l.name)).collect::<Vec<_>>().join(" / ");
    let view = AssetView {
        id: a.id.to_string(),
        code: a.code.clone(),
        name: a.name.clone(),
        class: d.class.as_ref().map_or_else(|| a.class.clone(), |c| c.name.clone()),
        family: family_label(&i, a.family),
        state: state_label(&i, a.state),
        tone: state_tone(a.state),
        state_since: minute_text(a.state_since),
        location,
        enterprise: org_name(a.enterprise_org_id),
        maintainer: org_name(a.maintainer_org_id),
        owner,
        criticality: criticality_label(&i, a.criticality),
        critical: a.criticality == Criticality::A,
        domain: label(&i, "domain", a.domain.code()),
        sensitive: a.holds_sensitive_data,
        created: format!("{} {}", a.created_at.display_cst(), a.created_by),
        updated: a.updated_at.display_cst(),
    };
    let impact_more = (up.len().saturating_sub(IMPACT_ROWS), down.len().saturating_sub(IMPACT_ROWS));
    let page = ShowPage {
        c: Chrome::new(ctx, "nav-asset-list", "/assets")
            .under("nav-group-assets", "/assets")
            .titled(format!("{} {}", a.code, a.name))
            .flash(flash),
        a: view,
        common,
        specific,
        graph,
        legend: [
            LifecycleState::InService,
            LifecycleState::TrialRun,
            LifecycleState::UnderMaintenance,
            LifecycleState::Faulty,
            LifecycleState::UnderConstruction,
            LifecycleState::OutOfService,
        ]
        .iter()
        .map(|s| (state_label(&i, *s), state_tone(*s)))
        .collect(),
        upstream: up.iter().take(IMPACT_ROWS).map(|x| related_row(&i, x)).collect(),
        downstream: down.iter().take(IMPACT_ROWS).map(|x| related_row(&i, x)).collect(),
        impact_more,
        relations,
        events,
        parts,
        tickets,
        can_tickets,
        tasks,
        can_tasks,
        actions,
        can_manage: d.can_manage,
        kinds: RelationKind::ALL.iter().map(|k| (k.code().to_owned(), relation_label(&i, *k))).collect(),
        f,
        error,
    };
    render_status(status, &page)
}

/// The tickets that name the CI, newest first, if the caller reads tickets.
async fn tickets_of(state: &AppState, ctx: &Ctx, id: AssetId) -> (Vec<TicketLink>, bool) {
    let i = ctx.i;
    let can =
        ctx.caller.principal.as_ref().is_some_and(|p| p.has(Capability::TicketView) || p.has(Capability::TicketReport));
    if !can {
        return (Vec::new(), false);
    }
    let filter = parkops_app::ports::desk::TicketFilter {
        asset_id: Some(id),
        ..parkops_app::ports::desk::TicketFilter::default()
    };
    let page = state.app.ticket_queue(&ctx.caller, filter, PageRequest { page: 1, per_page: 20 }).await;
    let items = page.map(|p| p.items).unwrap_or_default();
    let links = items
        .iter()
        .map(|t| {
            let code = parkops_domain::ticket::state_code(&t.state);
            TicketLink {
                id: t.id.to_string(),
                number: t.number.clone(),
                title: t.title.clone(),
                state: label(&i, "ticket-state", code),
                level: label(&i, "level", t.level.code()),
                level_tone: super::desk::level_tone(t.level),
                created: minute_text(t.created_at),
            }
        })
        .collect();
    (links, true)
}

/// The CI's inspection, maintenance and calibration tasks (one page), if the caller reads them.
async fn tasks_of(state: &AppState, ctx: &Ctx, id: AssetId) -> (Vec<super::schedules::TaskRow>, bool) {
    if !ctx.caller.principal.as_ref().is_some_and(|p| p.has(Capability::InspectionView)) {
        return (Vec::new(), false);
    }
    let query = parkops_app::schedule::TaskQuery { asset: id.to_string(), ..Default::default() };
    match state.app.schedule_tasks(&ctx.caller, &query, PageRequest { page: 1, per_page: 10 }).await {
        Ok(l) => (super::schedules::task_rows(state, &ctx.i, &l.page.items, &l.assets, &l.plans).await, true),
        Err(_) => (Vec::new(), true),
    }
}

/// Query of the CI page.
#[derive(Debug, Deserialize, Default)]
pub struct ShowQuery {
    ok: Option<String>,
}

/// `GET /assets/{id}`.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    Query(q): Query<ShowQuery>,
) -> Response {
    show_page(&state, &ctx, asset_id(id), FormState::new(), String::new(), StatusCode::OK, q.ok.as_deref()).await
}

// ---------------------------------------------------------------------------------------------
// Forms generated from the class schema
// ---------------------------------------------------------------------------------------------

/// One attribute input.
pub struct AttrField {
    name: String,
    label: String,
    unit: String,
    kind: &'static str,
    values: Vec<String>,
    required: bool,
    value: String,
    error: String,
    msg: String,
    common: bool,
}

/// The choices of the fixed fields.
pub struct Choices {
    locations: Vec<(String, String)>,
    enterprises: Vec<(String, String)>,
    maintainers: Vec<(String, String)>,
    criticalities: Vec<(String, String)>,
    domains: Vec<(String, String)>,
    states: Vec<(String, String)>,
    classes: Vec<(String, Vec<(String, String)>)>,
}

#[derive(Template)]
#[template(path = "assets/form.html")]
struct FormPage {
    c: Chrome,
    f: FormState,
    ch: Choices,
    attrs: Vec<AttrField>,
    class: String,
    class_name: String,
    action: String,
    editing: bool,
    error: String,
}

/// The form key of an attribute.
fn attr_key(code: &str) -> String {
    format!("attr.{code}")
}

fn attr_fields(
    i: &I18n,
    schema: &[AttributeDef],
    f: &FormState,
    attr_errors: &BTreeMap<String, String>,
) -> Vec<AttrField> {
    let common: Vec<String> = asset::common_attributes().into_iter().map(|c| c.code).collect();
    schema
        .iter()
        .map(|d| {
            let (kind, values, msg_key) = match &d.kind {
                AttributeType::Text => ("text", Vec::new(), "err-attribute-too-long"),
                AttributeType::Integer => ("integer", Vec::new(), "err-attribute-integer"),
                AttributeType::Decimal => ("decimal", Vec::new(), "err-attribute-decimal"),
                AttributeType::Date => ("date", Vec::new(), "err-attribute-date"),
                AttributeType::Enum(v) => ("enum", v.clone(), "err-attribute-not-allowed"),
                AttributeType::Bool => ("bool", Vec::new(), "err-attribute-bool"),
            };
            let msg_key = if d.required { "err-attribute-missing" } else { msg_key };
            let msg = i.ta(
                msg_key,
                &[("attribute", d.label.clone()), ("max", asset::TEXT_MAX.to_string()), ("allowed", values.join(", "))],
            );
            AttrField {
                name: attr_key(&d.code),
                label: d.label.clone(),
                unit: d.unit.clone().unwrap_or_default(),
                kind,
                values,
                required: d.required,
                value: f.v(&attr_key(&d.code)),
                error: attr_errors.get(&d.code).cloned().unwrap_or_default(),
                msg,
                common: common.contains(&d.code),
            }
        })
        .collect()
}

async fn choices(state: &AppState, ctx: &Ctx) -> Choices {
    let i = ctx.i;
    let register = state.app.assets();
    let locations: Vec<LocationRecord> = register.locations(&ctx.caller).await.unwrap_or_default();
    let park = ctx.caller.principal.as_ref().map(|p| p.park_id);
    let orgs = match park {
        Some(p) => park_orgs(state, p).await,
        None => Vec::new(),
    };
    let of = |types: &[OrgType]| {
        let mut v: Vec<(String, String)> =
            orgs.iter().filter(|o| types.contains(&o.org_type)).map(|o| (o.code.clone(), o.name.clone())).collect();
        v.sort();
        v
    };
    let mut classes: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for c in register.classes(&ctx.caller).await.unwrap_or_default() {
        let fam = family_label(&i, c.family);
        match classes.iter_mut().find(|(f, _)| *f == fam) {
            Some((_, list)) => list.push((c.code.clone(), c.name.clone())),
            None => classes.push((fam, vec![(c.code.clone(), c.name.clone())])),
        }
    }
    let by_family: Vec<String> = CiFamily::ALL.iter().map(|f| family_label(&i, *f)).collect();
    classes.sort_by_key(|(f, _)| by_family.iter().position(|x| x == f).unwrap_or(usize::MAX));
    Choices {
        locations: location_options(&locations),
        enterprises: of(&[OrgType::Enterprise]),
        maintainers: of(&[OrgType::ServiceOrganisation, OrgType::ProductVendor, OrgType::Carrier]),
        criticalities: Criticality::ALL.iter().map(|c| (c.code().to_owned(), criticality_label(&i, *c))).collect(),
        domains: BusinessDomain::ALL.iter().map(|d| (d.code().to_owned(), label(&i, "domain", d.code()))).collect(),
        states: LifecycleState::ALL.iter().map(|s| (s.code().to_owned(), state_label(&i, *s))).collect(),
        classes,
    }
}

/// The location tree as indented options (code → "  code name").
#[must_use]
pub fn location_options(nodes: &[LocationRecord]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let children = |parent: Option<parkops_domain::asset::LocationId>| {
        let mut v: Vec<&LocationRecord> = nodes.iter().filter(|n| n.parent_id == parent).collect();
        v.sort_by(|a, b| a.code.cmp(&b.code));
        v
    };
    for z in children(None) {
        out.push((z.code.clone(), format!("{} {}", z.code, z.name)));
        for s in children(Some(z.id)) {
            out.push((s.code.clone(), format!("\u{3000}{} {}", s.code, s.name)));
            for p in children(Some(s.id)) {
                out.push((p.code.clone(), format!("\u{3000}\u{3000}{} {}", p.code, p.name)));
            }
        }
    }
    out
}

/// The fixed fields' errors, and the attributes' ones by attribute code.
fn split_errors(i: &I18n, errors: &[FieldError]) -> (Vec<FieldError>, BTreeMap<String, String>) {
    let mut attr = BTreeMap::new();
    let mut rest = Vec::new();
    for e in errors {
        if e.field == "attributes"
            && let Some((_, code)) = e.args.iter().find(|(k, _)| *k == "attribute")
        {
            let code = code.strip_prefix("attr.").unwrap_or(code).to_owned();
            let msg = crate::error::field_message(i, e);
            attr.entry(code).and_modify(|m: &mut String| m.push_str(&format!("；{msg}"))).or_insert(msg);
        } else {
            rest.push(e.clone());
        }
    }
    (rest, attr)
}

const FIXED: [&str; 11] = [
    "code",
    "name",
    "class",
    "state",
    "location",
    "enterprise",
    "maintainer",
    "owner",
    "criticality",
    "domain",
    "holds_sensitive_data",
];

#[allow(clippy::too_many_arguments, reason = "the form's pieces, each needed to re-render it")]
async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    class: &str,
    values: FormState,
    errors: &[FieldError],
    editing: Option<&AssetRecord>,
    status: StatusCode,
) -> Response {
    let i = ctx.i;
    let ch = choices(state, ctx).await;
    let classes = state.app.assets().classes(&ctx.caller).await.unwrap_or_default();
    let found = classes.iter().find(|c| c.code == class);
    let (rest, attr_errors) = split_errors(&i, errors);
    let f = values.errors(&i, &rest);
    let attrs = found.map(|c| attr_fields(&i, &c.schema(), &f, &attr_errors)).unwrap_or_default();
    let (title, action) = match editing {
        Some(a) => ("asset-edit", format!("/assets/{}", a.id)),
        None => ("asset-new", "/assets".to_owned()),
    };
    let mut c = Chrome::new(ctx, title, if editing.is_some() { "/assets" } else { "/assets/new" })
        .under("nav-group-assets", "/assets");
    if let Some(a) = editing {
        c = c.titled(format!("{} · {}", i.t("asset-edit"), a.code));
    }
    let error = if errors.is_empty() { String::new() } else { i.t("form-has-errors") };
    render_status(
        status,
        &FormPage {
            c,
            f,
            ch,
            attrs,
            class: class.to_owned(),
            class_name: found.map(|c| c.name.clone()).unwrap_or_default(),
            action,
            editing: editing.is_some(),
            error,
        },
    )
}

/// Query of the new-CI form.
#[derive(Debug, Deserialize, Default)]
pub struct NewQuery {
    class: Option<String>,
}

/// `GET /assets/new?class=…`: first the class, then the attribute form of that class.
pub async fn new(State(state): State<AppState>, ctx: Ctx, Query(q): Query<NewQuery>) -> Response {
    let class = q.class.unwrap_or_default();
    let f = FormState::new().with("class", class.clone()).with("criticality", "c");
    form_page(&state, &ctx, class.trim(), f, &[], None, StatusCode::OK).await
}

fn input_of(form: &FormData, schema_codes: &[String]) -> AssetInput {
    let g = |k: &str| form.get(k).to_owned();
    AssetInput {
        code: g("code"),
        name: g("name"),
        class: g("class"),
        state: g("state"),
        location: g("location"),
        enterprise: g("enterprise"),
        maintainer: g("maintainer"),
        owner: g("owner"),
        criticality: g("criticality"),
        domain: g("domain"),
        holds_sensitive_data: if form.flag("holds_sensitive_data") { "true".into() } else { "false".into() },
        attributes: schema_codes.iter().map(|c| (c.clone(), form.get(&attr_key(c)).to_owned())).collect(),
    }
}

fn values_of(form: &FormData, schema_codes: &[String]) -> FormState {
    let mut f = FormState::new();
    for k in FIXED {
        f = f.with(k, form.get(k));
    }
    for c in schema_codes {
        f = f.with(&attr_key(c), form.get(&attr_key(c)));
    }
    f
}

async fn schema_codes(state: &AppState, ctx: &Ctx, class: &str) -> Vec<String> {
    let classes = state.app.assets().classes(&ctx.caller).await.unwrap_or_default();
    classes
        .iter()
        .find(|c| c.code == class.trim() || c.name == class.trim())
        .map(|c| c.schema().into_iter().map(|d| d.code).collect())
        .unwrap_or_default()
}

/// `POST /assets`: adds a CI and shows it.
pub async fn create(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Response {
    let codes = schema_codes(&state, &ctx, form.get("class")).await;
    match state.app.assets().create(&ctx.caller, input_of(&form, &codes)).await {
        Ok(a) => see_other(&format!("/assets/{}?ok=asset_created", a.id)),
        Err(AppError::Invalid(errors)) => {
            let f = values_of(&form, &codes);
            form_page(&state, &ctx, form.get("class").trim(), f, &errors, None, StatusCode::BAD_REQUEST).await
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /assets/{id}/edit`.
pub async fn edit(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<uuid::Uuid>) -> Response {
    let d = match state.app.assets().detail(&ctx.caller, asset_id(id)).await {
        Ok(d) if d.can_manage => d,
        Ok(_) => return ctx.err(AppError::Forbidden { capability: Capability::AssetManage }).into_response(),
        Err(e) => return ctx.err(e).into_response(),
    };
    let a = &d.asset;
    let orgs = park_orgs(&state, a.park_id).await;
    let org_code =
        |o: Option<parkops_domain::id::OrgId>| o.and_then(|o| orgs.iter().find(|x| x.id == o)).map(|o| o.code.clone());
    let owner = match a.owner_user_id {
        Some(u) => state.app.store.user(u).await.ok().flatten().map(|u| u.username).unwrap_or_default(),
        None => String::new(),
    };
    let location = [a.location.point, a.location.site, a.location.zone]
        .into_iter()
        .flatten()
        .find_map(|l| d.location.iter().find(|x| x.id == l))
        .map(|l| l.code.clone())
        .unwrap_or_default();
    let mut f = FormState::new()
        .with("code", a.code.clone())
        .with("name", a.name.clone())
        .with("class", a.class.clone())
        .with("location", location)
        .with("enterprise", org_code(a.enterprise_org_id).unwrap_or_default())
        .with("maintainer", org_code(a.maintainer_org_id).unwrap_or_default())
        .with("owner", owner)
        .with("criticality", a.criticality.code())
        .with("domain", a.domain.code())
        .with("holds_sensitive_data", if a.holds_sensitive_data { "true" } else { "" });
    for (k, v) in &a.attributes {
        f = f.with(&attr_key(k), v.clone());
    }
    form_page(&state, &ctx, &a.class, f, &[], Some(a), StatusCode::OK).await
}

/// `POST /assets/{id}`: saves the edit form.
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    form: FormData,
) -> Response {
    let id = asset_id(id);
    let codes = schema_codes(&state, &ctx, form.get("class")).await;
    let register = state.app.assets();
    match register.update(&ctx.caller, id, input_of(&form, &codes)).await {
        Ok(a) => see_other(&format!("/assets/{}?ok=asset_saved", a.id)),
        Err(AppError::Invalid(errors)) => {
            let Ok(d) = register.detail(&ctx.caller, id).await else {
                return ctx.err(AppError::NotFound).into_response();
            };
            let f = values_of(&form, &codes);
            form_page(&state, &ctx, &d.asset.class, f, &errors, Some(&d.asset), StatusCode::BAD_REQUEST).await
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// Lifecycle events
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "assets/lifecycle.html")]
struct LifecyclePage {
    c: Chrome,
    id: String,
    code: String,
    event: String,
    event_label: String,
    from: String,
    from_tone: &'static str,
    to: String,
    to_tone: &'static str,
    outage: bool,
    dependants: Vec<RelatedRow>,
    dependants_more: usize,
    parts: Vec<(String, String, i64, bool)>,
    is_part: bool,
    f: FormState,
    error: String,
}

/// Query of the lifecycle page.
#[derive(Debug, Deserialize, Default)]
pub struct EventQuery {
    event: Option<String>,
}

async fn lifecycle_page(
    state: &AppState,
    ctx: &Ctx,
    id: AssetId,
    event: &str,
    f: FormState,
    error: String,
    status: StatusCode,
) -> Response {
    let i = ctx.i;
    let register = state.app.assets();
    let d = match register.detail(&ctx.caller, id).await {
        Ok(d) if d.can_manage => d,
        Ok(_) => return ctx.err(AppError::Forbidden { capability: Capability::AssetManage }).into_response(),
        Err(e) => return ctx.err(e).into_response(),
    };
    let Some(ev) = LifecycleEvent::parse(event) else {
        return ctx.err(AppError::field("event", "err-asset-event")).into_response();
    };
    let a = &d.asset;
    let next = asset::transition(a.state, ev).ok();
    let dependants = if is_outage(ev) {
        register.impact(&ctx.caller, id, "downstream", MAX_HOPS).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let parts = if ev == LifecycleEvent::PartReplace {
        register
            .spare_parts(&ctx.caller)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|p| p.class.is_empty() || p.class == a.class)
            .map(|p| (p.code.clone(), format!("{} {}", p.code, p.name), p.stock, p.stock <= p.min_stock))
            .collect()
    } else {
        Vec::new()
    };
    let error = if error.is_empty() && next.is_none() {
        crate::error::message(&i, &AppError::Conflict(format!("err-asset-transition:{}:{}", a.state.code(), ev.code())))
    } else {
        error
    };
    let page = LifecyclePage {
        c: Chrome::new(ctx, "nav-asset-list", "/assets").under("nav-group-assets", "/assets").titled(format!(
            "{} · {}",
            event_label(&i, ev),
            a.code
        )),
        id: a.id.to_string(),
        code: format!("{} {}", a.code, a.name),
        event: ev.code().to_owned(),
        event_label: event_label(&i, ev),
        from: state_label(&i, a.state),
        from_tone: state_tone(a.state),
        to: next.map(|s| state_label(&i, s)).unwrap_or_default(),
        to_tone: next.map_or("grey", state_tone),
        outage: is_outage(ev),
        dependants_more: dependants.len().saturating_sub(DEPENDANT_ROWS),
        dependants: dependants.iter().take(DEPENDANT_ROWS).map(|x| related_row(&i, x)).collect(),
        parts,
        is_part: ev == LifecycleEvent::PartReplace,
        f,
        error,
    };
    render_status(status, &page)
}

/// `GET /assets/{id}/lifecycle?event=…`: what the event will do — the state after it and, for
/// events that take the CI out of work, every CI that depends on it — before it is confirmed.
pub async fn lifecycle_preview(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    Query(q): Query<EventQuery>,
) -> Response {
    let event = q.event.unwrap_or_default();
    let f = FormState::new().with("quantity", "1");
    lifecycle_page(&state, &ctx, asset_id(id), &event, f, String::new(), StatusCode::OK).await
}

/// `POST /assets/{id}/lifecycle`: applies the confirmed event.
pub async fn lifecycle(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    form: FormData,
) -> Response {
    let id = asset_id(id);
    let part = form.get("part").trim().to_owned();
    let quantity = form.get("quantity").trim().parse::<i64>().unwrap_or(0);
    let parts = if part.is_empty() { Vec::new() } else { vec![(part, quantity)] };
    let request = LifecycleRequest { event: form.get("event").to_owned(), note: form.get("note").to_owned(), parts };
    match state.app.assets().lifecycle(&ctx.caller, id, request).await {
        Ok(out) => {
            let flash = if out.dependents.is_empty() { "asset_event" } else { "asset_event_dependants" };
            see_other(&format!("/assets/{id}?ok={flash}"))
        }
        Err(AppError::Invalid(errors)) => {
            let f = FormState::new()
                .with("note", form.get("note"))
                .with("part", form.get("part"))
                .with("quantity", form.get("quantity"))
                .errors(&ctx.i, &errors);
            let msg = ctx.i.t("form-has-errors");
            lifecycle_page(&state, &ctx, id, form.get("event"), f, msg, StatusCode::BAD_REQUEST).await
        }
        Err(e @ AppError::Conflict(_)) => {
            let msg = crate::error::message(&ctx.i, &e);
            let f = FormState::new().with("note", form.get("note"));
            lifecycle_page(&state, &ctx, id, form.get("event"), f, msg, StatusCode::CONFLICT).await
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// Relations
// ---------------------------------------------------------------------------------------------

/// The CI with exactly this code that the caller can see.
pub async fn by_code(state: &AppState, ctx: &Ctx, code: &str) -> Option<AssetRecord> {
    let code = code.trim();
    if code.is_empty() {
        return None;
    }
    let q = AssetQuery { text: code.to_owned(), ..AssetQuery::default() };
    let list = state.app.assets().list(&ctx.caller, &q, PageRequest { page: 1, per_page: 200 }, false).await.ok()?;
    list.page.items.into_iter().find(|a| a.code == code)
}

async fn after_relation(
    state: &AppState,
    ctx: &Ctx,
    id: AssetId,
    r: Result<(), AppError>,
    form: &FormData,
    flash: &str,
) -> Response {
    match r {
        Ok(()) => see_other(&format!("/assets/{id}?ok={flash}")),
        Err(AppError::Invalid(errors)) => {
            let f = FormState::new()
                .with("kind", form.get("kind"))
                .with("other", form.get("other"))
                .with("direction", form.get("direction"))
                .with("note", form.get("note"))
                .errors(&ctx.i, &errors);
            let msg = ctx.i.t("form-has-errors");
            show_page(state, ctx, id, f, msg, StatusCode::BAD_REQUEST, None).await
        }
        Err(e @ AppError::Conflict(_)) => {
            let msg = crate::error::message(&ctx.i, &e);
            show_page(state, ctx, id, FormState::new(), msg, StatusCode::CONFLICT, None).await
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /assets/{id}/relations`: relates the CI to another named by its code (`direction`
/// `out`: this CI is the `from` end; `in`: the other one is).
pub async fn relation_add(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    form: FormData,
) -> Response {
    let id = asset_id(id);
    let r = match by_code(&state, &ctx, form.get("other")).await {
        None => Err(AppError::Invalid(vec![
            FieldError::new("other", "err-import-relation-code").arg("code", form.get("other").trim()),
        ])),
        Some(other) => {
            let (from, to) = if form.get("direction") == "in" { (other.id, id) } else { (id, other.id) };
            state.app.assets().add_relation(&ctx.caller, from, to, form.get("kind"), form.get("note")).await.map(|_| ())
        }
    };
    after_relation(&state, &ctx, id, r, &form, "relation_added").await
}

/// `POST /assets/{id}/relations/remove`: removes one relation (`other`, `kind`, `direction`).
pub async fn relation_remove(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    form: FormData,
) -> Response {
    let id = asset_id(id);
    let r = match AssetId::parse(form.get("other")) {
        Err(_) => Err(AppError::field("other", "err-asset-relation-kind")),
        Ok(other) => {
            let (from, to) = if form.get("direction") == "in" { (other, id) } else { (id, other) };
            state.app.assets().remove_relation(&ctx.caller, from, to, form.get("kind")).await
        }
    };
    after_relation(&state, &ctx, id, r, &form, "relation_removed").await
}

/// Location levels by name (for the locations page).
#[must_use]
pub fn level_label(i: &I18n, l: LocationLevel) -> String {
    label(i, "location-level", l.code())
}
