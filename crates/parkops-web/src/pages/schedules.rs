//! Inspection and maintenance pages (巡检与维护, R-9.1.1a): inspection standards per CI class
//! with their versions, plans (list, form, pause and resume), the task list with filters and
//! paging, a month calendar of due work (a grid on a desktop, a list per day on a phone), a
//! task's page with the inspection form that works on a phone (one card per item, big inputs,
//! the normal range shown, photo capture), and the result page with its versions and the
//! correction form.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Days, NaiveDate};
use parkops_app::AppError;
use parkops_app::ports::asset::AssetRecord;
use parkops_app::ports::schedule::{PlanRecord, ResultRecord, StandardRecord, TaskRecord};
use parkops_app::ports::{OrgFilter, PageRequest};
use parkops_app::schedule::{
    ItemInput, PhotoUpload, PlanInput, ResultInput, StandardInput, TASK_STATUSES, TaskDetail, TaskQuery, task_status,
};
use parkops_domain::access::Capability;
use parkops_domain::id::OrgId;
use parkops_domain::org::OrgType;
use parkops_domain::recurrence::Shift;
use parkops_domain::schedule::{
    CheckItem, ItemKind, PhotoId, PlanId, PlanKind, ResultId, StandardId, TaskId, TaskState, Verdict, cst_date,
    default_standards,
};
use serde::Deserialize;

use super::desk::{attachment_response, minute_text, names};
use super::{Chrome, FormState, Pager, render, render_status, see_other};
use crate::AppState;
use crate::form::{FormData, IdPath, PathValue};
use crate::guard::Ctx;
use crate::i18n::I18n;

/// Largest result form accepted (photos of every item of a long standard, from a phone).
pub const RESULT_UPLOAD_LIMIT: usize = 40 * 1024 * 1024;

macro_rules! path_ids {
    ($($t:ty),*) => { $(impl PathValue for $t {
        fn from_path(text: &str) -> Option<Self> {
            <$t>::parse(text).ok()
        }
    })* };
}
path_ids!(StandardId, PlanId, TaskId, ResultId, PhotoId);

// ---------------------------------------------------------------------------------------------
// Labels and tones
// ---------------------------------------------------------------------------------------------

/// The tag colour of a plan kind.
const fn kind_tone(k: PlanKind) -> &'static str {
    match k {
        PlanKind::Inspection => "blue",
        PlanKind::Maintenance => "purple",
        PlanKind::Calibration => "orange",
    }
}

/// The tag colour of a task status (see [`task_status`]).
fn status_tone(status: &str) -> &'static str {
    match status {
        "open" => "purple",
        "in_progress" => "blue",
        "overdue" => "orange",
        "escalated" => "red",
        "done" => "green",
        _ => "grey",
    }
}

fn every_text(i: &I18n, p: &PlanRecord) -> String {
    let r = &p.recurrence;
    let unit = r.every().unit_code();
    let mut t = if r.every().count() == 1 {
        i.t(&format!("insp-every-{unit}-one"))
    } else {
        i.ta(&format!("insp-every-{unit}"), &[("n", r.every().count().to_string())])
    };
    if r.shift() == Shift::NextWorkingDay {
        t.push_str(&i.t("insp-on-working-days"));
    }
    t
}

fn range_text(i: &I18n, item: &CheckItem) -> String {
    match &item.kind {
        ItemKind::Numeric { unit, min, max } => match (min, max) {
            (Some(lo), Some(hi)) => format!("{lo} ~ {hi} {unit}"),
            (Some(lo), None) => format!("≥ {lo} {unit}"),
            (None, Some(hi)) => format!("≤ {hi} {unit}"),
            (None, None) => unit.clone(),
        },
        ItemKind::Choice { accepted, .. } => accepted.join(" / "),
        ItemKind::YesNo { expected } => i.t(if *expected { "insp-yes" } else { "insp-no" }),
        ItemKind::Text => String::new(),
    }
}

fn value_text(i: &I18n, item: Option<&CheckItem>, value: &str) -> String {
    match item.map(|x| &x.kind) {
        Some(ItemKind::YesNo { .. }) => i.t(if value == "yes" { "insp-yes" } else { "insp-no" }),
        Some(ItemKind::Numeric { unit, .. }) => format!("{value} {unit}").trim().to_owned(),
        _ => value.to_owned(),
    }
}

async fn org_names(state: &AppState, ids: impl Iterator<Item = OrgId>) -> BTreeMap<OrgId, String> {
    let mut out = BTreeMap::new();
    for id in ids {
        if let std::collections::btree_map::Entry::Vacant(slot) = out.entry(id) {
            let name = state.app.store.org(id).await.ok().flatten().map(|o| o.name).unwrap_or_default();
            slot.insert(name);
        }
    }
    out
}

async fn class_names(state: &AppState, ctx: &Ctx) -> BTreeMap<String, String> {
    state
        .app
        .assets()
        .classes(&ctx.caller)
        .await
        .map(|cs| cs.into_iter().map(|c| (c.code, c.name)).collect())
        .unwrap_or_default()
}

fn can_manage(ctx: &Ctx) -> bool {
    ctx.caller
        .principal
        .as_ref()
        .is_some_and(|p| p.scope_of(Capability::PlanManage) == Some(parkops_domain::access::Scope::Park))
}

/// Field errors whose `item` argument names a check item, by item; the rest as sentences.
fn split_errors(i: &I18n, errors: &[parkops_app::FieldError]) -> (BTreeMap<String, String>, Vec<String>) {
    let mut by_item: BTreeMap<String, String> = BTreeMap::new();
    let mut other = Vec::new();
    for e in errors {
        let msg = crate::error::field_message(i, e);
        match e.args.iter().find(|(k, _)| *k == "item") {
            Some((_, code)) => {
                let slot = by_item.entry(code.clone()).or_default();
                if !slot.is_empty() {
                    slot.push('；');
                }
                slot.push_str(&msg);
            }
            None if e.field == "reason" || e.field == "note" => {}
            None => other.push(msg),
        }
    }
    (by_item, other)
}

/// "3 check items need changes" above a refused form (empty when none).
fn banner(i: &I18n, n: usize) -> String {
    if n == 0 { String::new() } else { i.ta("insp-form-has-errors", &[("n", n.to_string())]) }
}

// ---------------------------------------------------------------------------------------------
// Standards
// ---------------------------------------------------------------------------------------------

/// One row of the standards list.
pub struct StandardRow {
    id: String,
    code: String,
    name: String,
    class: String,
    version: i64,
    items: usize,
    photos: usize,
    updated: String,
    by: String,
}

#[derive(Template)]
#[template(path = "schedules/standards.html")]
struct StandardsPage {
    c: Chrome,
    rows: Vec<StandardRow>,
    can_manage: bool,
    missing_defaults: usize,
    defaults_label: String,
}

/// `GET /inspection/standards`.
pub async fn standards(State(state): State<AppState>, ctx: Ctx, Query(q): Query<OkQuery>) -> Response {
    let list = match state.app.inspection_standards(&ctx.caller).await {
        Ok(l) => l,
        Err(e) => return ctx.err(e).into_response(),
    };
    let classes = class_names(&state, &ctx).await;
    let missing_defaults = default_standards().iter().filter(|d| !list.iter().any(|s| s.code == d.code)).count();
    let rows = list
        .iter()
        .map(|s| StandardRow {
            id: s.id.to_string(),
            code: s.code.clone(),
            name: s.name.clone(),
            class: classes.get(&s.class).cloned().unwrap_or_else(|| s.class.clone()),
            version: s.version,
            items: s.items.len(),
            photos: s.items.iter().filter(|i| i.photo_required).count(),
            updated: minute_text(s.created_at),
            by: s.created_by.clone(),
        })
        .collect();
    let mut c = Chrome::new(&ctx, "nav-insp-standards", "/inspection/standards").under("nav-insp", "/inspection/tasks");
    c = c.flash(q.ok.as_deref());
    if q.ok.as_deref() == Some("defaults_installed") {
        c.flash = ctx.i.ta("flash-defaults_installed", &[("n", q.n.unwrap_or(0).to_string())]);
    }
    let defaults_label = ctx.i.ta("insp-defaults-install", &[("n", missing_defaults.to_string())]);
    render(&StandardsPage { c, rows, can_manage: can_manage(&ctx), missing_defaults, defaults_label })
}

/// `POST /inspection/standards/defaults`.
pub async fn standard_defaults(State(state): State<AppState>, ctx: Ctx, _form: FormData) -> Response {
    match state.app.install_default_standards(&ctx.caller).await {
        Ok(n) => see_other(&format!("/inspection/standards?ok=defaults_installed&n={n}")),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// One item as shown.
pub struct ItemView {
    n: usize,
    code: String,
    name: String,
    method: String,
    kind: String,
    range: String,
    photo: bool,
}

fn item_views(i: &I18n, items: &[CheckItem]) -> Vec<ItemView> {
    items
        .iter()
        .enumerate()
        .map(|(n, it)| ItemView {
            n: n + 1,
            code: it.code.clone(),
            name: it.name.clone(),
            method: it.method.clone(),
            kind: i.t(&format!("insp-kind-{}", it.kind.code())),
            range: range_text(i, it),
            photo: it.photo_required,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "schedules/standard.html")]
struct StandardPage {
    c: Chrome,
    s: StandardRow,
    note: String,
    items: Vec<ItemView>,
    versions: Vec<(String, i64, String, String, String, bool)>,
    can_manage: bool,
    is_latest: bool,
}

/// `GET /inspection/standards/{id}`.
pub async fn standard(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<StandardId>,
    Query(q): Query<OkQuery>,
) -> Response {
    let (s, versions) = match state.app.inspection_standard(&ctx.caller, id).await {
        Ok(x) => x,
        Err(e) => return ctx.err(e).into_response(),
    };
    let classes = class_names(&state, &ctx).await;
    let i = ctx.i;
    let latest = versions.iter().map(|v| v.version).max().unwrap_or(s.version);
    let row = StandardRow {
        id: s.id.to_string(),
        code: s.code.clone(),
        name: s.name.clone(),
        class: classes.get(&s.class).cloned().unwrap_or_else(|| s.class.clone()),
        version: s.version,
        items: s.items.len(),
        photos: s.items.iter().filter(|x| x.photo_required).count(),
        updated: minute_text(s.created_at),
        by: s.created_by.clone(),
    };
    let c = Chrome::new(&ctx, "nav-insp-standards", "/inspection/standards")
        .under("nav-insp", "/inspection/tasks")
        .under("nav-insp-standards", "/inspection/standards")
        .titled(format!("{} v{}", s.name, s.version))
        .flash(q.ok.as_deref());
    render(&StandardPage {
        c,
        note: s.change_note.clone(),
        items: item_views(&i, &s.items),
        versions: versions
            .iter()
            .map(|v| {
                (
                    v.id.to_string(),
                    v.version,
                    v.change_note.clone(),
                    v.created_by.clone(),
                    minute_text(v.created_at),
                    v.id == s.id,
                )
            })
            .collect(),
        can_manage: can_manage(&ctx),
        is_latest: s.version == latest,
        s: row,
    })
}

/// One row of the standard form.
#[derive(Debug, Clone, Default)]
pub struct ItemRow {
    n: usize,
    code: String,
    name: String,
    method: String,
    kind: String,
    unit: String,
    min: String,
    max: String,
    options: String,
    accepted: String,
    expected: String,
    photo: bool,
}

fn item_row(n: usize, it: &CheckItem) -> ItemRow {
    let mut r = ItemRow {
        n,
        code: it.code.clone(),
        name: it.name.clone(),
        method: it.method.clone(),
        kind: it.kind.code().to_owned(),
        photo: it.photo_required,
        ..ItemRow::default()
    };
    match &it.kind {
        ItemKind::Numeric { unit, min, max } => {
            r.unit.clone_from(unit);
            r.min = min.map(|d| d.to_string()).unwrap_or_default();
            r.max = max.map(|d| d.to_string()).unwrap_or_default();
        }
        ItemKind::Choice { options, accepted } => {
            r.options = options.join("、");
            r.accepted = accepted.join("、");
        }
        ItemKind::YesNo { expected } => r.expected = if *expected { "yes" } else { "no" }.to_owned(),
        ItemKind::Text => {}
    }
    r
}

#[derive(Template)]
#[template(path = "schedules/standard_form.html")]
struct StandardFormPage {
    c: Chrome,
    f: FormState,
    rows: Vec<ItemRow>,
    classes: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    editing: bool,
    item_errors: Vec<String>,
}

async fn standard_form(
    state: &AppState,
    ctx: &Ctx,
    f: FormState,
    rows: Vec<ItemRow>,
    editing: bool,
    errors: Vec<String>,
) -> Response {
    let i = ctx.i;
    let mut classes: Vec<(String, String)> =
        class_names(state, ctx).await.into_iter().map(|(k, v)| (k.clone(), format!("{v}（{k}）"))).collect();
    classes.sort_by(|a, b| a.1.cmp(&b.1));
    let kinds = ItemKind::CODES.iter().map(|k| ((*k).to_owned(), i.t(&format!("insp-kind-{k}")))).collect();
    let status = if f.has_errors() || !errors.is_empty() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let title = if editing { "insp-standard-edit" } else { "insp-standard-new" };
    let c = Chrome::new(ctx, title, "/inspection/standards")
        .under("nav-insp", "/inspection/tasks")
        .under("nav-insp-standards", "/inspection/standards");
    render_status(status, &StandardFormPage { c, f, rows, classes, kinds, editing, item_errors: errors })
}

fn blank_rows(from: usize, n: usize) -> Vec<ItemRow> {
    (from..from + n).map(|k| ItemRow { n: k, kind: "yes_no".into(), ..ItemRow::default() }).collect()
}

/// `GET /inspection/standards/new`.
pub async fn standard_new(State(state): State<AppState>, ctx: Ctx) -> Response {
    standard_form(&state, &ctx, FormState::new(), blank_rows(1, 8), false, Vec::new()).await
}

/// `GET /inspection/standards/{id}/edit`: a new version, starting from this one.
pub async fn standard_edit(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<StandardId>) -> Response {
    let (s, _) = match state.app.inspection_standard(&ctx.caller, id).await {
        Ok(x) => x,
        Err(e) => return ctx.err(e).into_response(),
    };
    let f = FormState::new().with("code", s.code.clone()).with("class", s.class.clone()).with("name", s.name.clone());
    let mut rows: Vec<ItemRow> = s.items.iter().enumerate().map(|(n, it)| item_row(n + 1, it)).collect();
    let next = rows.len() + 1;
    rows.extend(blank_rows(next, 3));
    standard_form(&state, &ctx, f, rows, true, Vec::new()).await
}

/// `POST /inspection/standards`: publishes a version.
pub async fn standard_create(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Response {
    let col = |k: &str| form.all(k);
    let (codes, names_, methods, kinds, units, mins, maxs, options, accepted, expected, photos) = (
        col("item_code"),
        col("item_name"),
        col("item_method"),
        col("item_kind"),
        col("item_unit"),
        col("item_min"),
        col("item_max"),
        col("item_options"),
        col("item_accepted"),
        col("item_expected"),
        col("item_photo"),
    );
    let at = |v: &Vec<String>, k: usize| v.get(k).cloned().unwrap_or_default();
    let rows: Vec<ItemRow> = (0..codes.len())
        .map(|k| ItemRow {
            n: k + 1,
            code: at(&codes, k),
            name: at(&names_, k),
            method: at(&methods, k),
            kind: at(&kinds, k),
            unit: at(&units, k),
            min: at(&mins, k),
            max: at(&maxs, k),
            options: at(&options, k),
            accepted: at(&accepted, k),
            expected: at(&expected, k),
            photo: at(&photos, k) == "1",
        })
        .collect();
    let input = StandardInput {
        code: form.get("code").to_owned(),
        class: form.get("class").to_owned(),
        name: form.get("name").to_owned(),
        change_note: form.get("change_note").to_owned(),
        items: rows
            .iter()
            .map(|r| ItemInput {
                code: r.code.clone(),
                name: r.name.clone(),
                method: r.method.clone(),
                kind: r.kind.clone(),
                unit: r.unit.clone(),
                min: r.min.clone(),
                max: r.max.clone(),
                options: r.options.clone(),
                accepted: r.accepted.clone(),
                expected: r.expected.clone(),
                photo_required: r.photo,
            })
            .collect(),
    };
    let editing = form.flag("editing");
    match state.app.save_standard(&ctx.caller, input).await {
        Ok(s) => see_other(&format!("/inspection/standards/{}?ok=standard_saved", s.id)),
        Err(AppError::Invalid(errors)) => {
            let i = ctx.i;
            let item_errors: Vec<String> =
                errors.iter().filter(|e| e.field == "items").map(|e| crate::error::field_message(&i, e)).collect();
            let others: Vec<_> = errors.into_iter().filter(|e| e.field != "items").collect();
            let mut f = FormState::new();
            for k in ["code", "class", "name", "change_note"] {
                f = f.with(k, form.get(k));
            }
            let mut rows = rows;
            if rows.is_empty() {
                rows = blank_rows(1, 8);
            }
            standard_form(&state, &ctx, f.errors(&i, &others), rows, editing, item_errors).await
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// Plans
// ---------------------------------------------------------------------------------------------

/// A flash after a redirect, with an optional count.
#[derive(Debug, Deserialize, Default)]
pub struct OkQuery {
    ok: Option<String>,
    n: Option<u64>,
}

/// One plan as listed and shown.
pub struct PlanRow {
    id: String,
    name: String,
    kind: String,
    kind_tone: &'static str,
    standard: String,
    target: String,
    every: String,
    anchor: String,
    assignee: String,
    owner: String,
    paused: bool,
    generated_until: String,
    lead: u32,
    grace: u32,
    escalate: String,
    revision: i64,
    updated: String,
}

async fn plan_rows(state: &AppState, ctx: &Ctx, plans: &[PlanRecord]) -> Vec<PlanRow> {
    let i = ctx.i;
    let classes = class_names(state, ctx).await;
    let standards: BTreeMap<String, StandardRecord> = state
        .app
        .inspection_standards(&ctx.caller)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|s| (s.code.clone(), s))
        .collect();
    let users = names(state, plans.iter().flat_map(|p| p.assignee_user_id.into_iter().chain(p.owner_user_id))).await;
    let orgs =
        org_names(state, plans.iter().flat_map(|p| p.assignee_org_id.into_iter().chain(p.target.enterprise))).await;
    let zones: BTreeMap<_, _> = state
        .app
        .assets()
        .locations(&ctx.caller)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|l| (l.id, l.name))
        .collect();
    plans
        .iter()
        .map(|p| {
            let class = classes.get(&p.target.class).cloned().unwrap_or_else(|| p.target.class.clone());
            let target = if p.target.assets.is_empty() {
                let mut parts = vec![class];
                parts.extend(p.target.zone.and_then(|z| zones.get(&z).cloned()));
                parts.extend(p.target.enterprise.and_then(|o| orgs.get(&o).cloned()));
                parts.join(" · ")
            } else {
                i.ta("insp-target-listed", &[("class", class), ("n", p.target.assets.len().to_string())])
            };
            PlanRow {
                id: p.id.to_string(),
                name: p.name.clone(),
                kind: i.t(&format!("insp-plan-kind-{}", p.kind.code())),
                kind_tone: kind_tone(p.kind),
                standard: standards
                    .get(&p.standard_code)
                    .map_or_else(|| p.standard_code.clone(), |s| format!("{} v{}", s.name, s.version)),
                target,
                every: every_text(&i, p),
                anchor: p.recurrence.anchor().to_string(),
                assignee: p
                    .assignee_user_id
                    .and_then(|u| users.get(&u).cloned())
                    .or_else(|| p.assignee_org_id.and_then(|o| orgs.get(&o).cloned()))
                    .unwrap_or_default(),
                owner: p.owner_user_id.and_then(|u| users.get(&u).cloned()).unwrap_or_default(),
                paused: p.paused,
                generated_until: p.generated_until.map(|d| d.to_string()).unwrap_or_default(),
                lead: p.lead_days,
                grace: p.grace_days,
                escalate: p
                    .escalate_after_days
                    .map_or_else(|| i.t("insp-never"), |d| i.ta("insp-days", &[("n", d.to_string())])),
                revision: p.revision,
                updated: format!("{} {}", minute_text(p.updated_at), p.updated_by),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "schedules/plans.html")]
struct PlansPage {
    c: Chrome,
    rows: Vec<PlanRow>,
    can_manage: bool,
}

/// `GET /inspection/plans`.
pub async fn plans(State(state): State<AppState>, ctx: Ctx, Query(q): Query<OkQuery>) -> Response {
    let list = match state.app.schedule_plans(&ctx.caller).await {
        Ok(l) => l,
        Err(e) => return ctx.err(e).into_response(),
    };
    let rows = plan_rows(&state, &ctx, &list).await;
    let c = Chrome::new(&ctx, "nav-insp-plans", "/inspection/plans")
        .under("nav-insp", "/inspection/tasks")
        .flash(q.ok.as_deref());
    render(&PlansPage { c, rows, can_manage: can_manage(&ctx) })
}

#[derive(Template)]
#[template(path = "schedules/plan.html")]
struct PlanPage {
    c: Chrome,
    p: PlanRow,
    standard_id: String,
    targets_label: String,
    next_dates: Vec<String>,
    can_manage: bool,
    kind_is_calibration: bool,
}

/// `GET /inspection/plans/{id}`.
pub async fn plan(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<PlanId>,
    Query(q): Query<OkQuery>,
) -> Response {
    let d = match state.app.schedule_plan(&ctx.caller, id).await {
        Ok(d) => d,
        Err(e) => return ctx.err(e).into_response(),
    };
    let row = plan_rows(&state, &ctx, std::slice::from_ref(&d.plan)).await.pop();
    let Some(row) = row else { return ctx.err(AppError::NotFound).into_response() };
    let c = Chrome::new(&ctx, "nav-insp-plans", "/inspection/plans")
        .under("nav-insp", "/inspection/tasks")
        .under("nav-insp-plans", "/inspection/plans")
        .titled(d.plan.name.clone())
        .flash(q.ok.as_deref());
    render(&PlanPage {
        c,
        p: row,
        standard_id: d.standard.as_ref().map(|s| s.id.to_string()).unwrap_or_default(),
        targets_label: ctx.i.ta("insp-targets-now", &[("n", d.targets.to_string())]),
        next_dates: d.next_dates.iter().map(ToString::to_string).collect(),
        can_manage: can_manage(&ctx),
        kind_is_calibration: d.plan.kind == PlanKind::Calibration,
    })
}

#[derive(Template)]
#[template(path = "schedules/plan_form.html")]
struct PlanFormPage {
    c: Chrome,
    f: FormState,
    action: String,
    editing: bool,
    kinds: Vec<(String, String)>,
    standards: Vec<(String, String)>,
    classes: Vec<(String, String)>,
    zones: Vec<(String, String)>,
    enterprises: Vec<(String, String)>,
    orgs: Vec<(String, String)>,
    people: Vec<(String, String)>,
    managers: Vec<(String, String)>,
    units: Vec<(String, String)>,
}

const PLAN_FIELDS: [&str; 17] = [
    "kind",
    "name",
    "standard_code",
    "class",
    "zone",
    "enterprise",
    "assets",
    "anchor",
    "every_unit",
    "every_count",
    "assignee_org",
    "assignee_user",
    "owner",
    "lead_days",
    "grace_days",
    "escalate_after_days",
    "note",
];

/// The organisations and people the forms offer for assignment.
async fn assignees(
    state: &AppState,
    ctx: &Ctx,
) -> (Vec<(String, String)>, Vec<(String, String)>, Vec<(String, String)>) {
    let orgs = state
        .app
        .list_orgs(&ctx.caller, OrgFilter::default(), PageRequest { page: 1, per_page: 200 })
        .await
        .map(|p| {
            p.items
                .into_iter()
                .filter(|o| o.is_active && !matches!(o.org_type, OrgType::SupervisingDepartment))
                .map(|o| (o.id.to_string(), o.name))
                .collect()
        })
        .unwrap_or_default();
    let people = state.app.inspection_people(&ctx.caller).await.unwrap_or_default();
    let managers = people
        .iter()
        .filter(|u| u.posts.contains(&parkops_domain::access::Post::Manager))
        .map(|u| (u.id.to_string(), format!("{}（{}）", u.display_name, u.username)))
        .collect();
    let people =
        people.into_iter().map(|u| (u.id.to_string(), format!("{}（{}）", u.display_name, u.username))).collect();
    (orgs, people, managers)
}

async fn plan_form(state: &AppState, ctx: &Ctx, f: FormState, id: Option<PlanId>) -> Response {
    let i = ctx.i;
    let standards = state
        .app
        .inspection_standards(&ctx.caller)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|s| (s.code.clone(), format!("{} v{}（{}）", s.name, s.version, s.class)))
        .collect();
    let mut classes: Vec<(String, String)> =
        class_names(state, ctx).await.into_iter().map(|(k, v)| (k.clone(), format!("{v}（{k}）"))).collect();
    classes.sort_by(|a, b| a.1.cmp(&b.1));
    let zones = state
        .app
        .assets()
        .locations(&ctx.caller)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|l| l.level == parkops_domain::asset::LocationLevel::Zone)
        .map(|l| (l.id.to_string(), l.name))
        .collect();
    let enterprises = state
        .app
        .list_orgs(
            &ctx.caller,
            OrgFilter { org_type: Some("enterprise".into()), ..OrgFilter::default() },
            PageRequest { page: 1, per_page: 200 },
        )
        .await
        .map(|p| p.items.into_iter().map(|o| (o.id.to_string(), o.name)).collect())
        .unwrap_or_default();
    let (orgs, people, managers) = assignees(state, ctx).await;
    let status = if f.has_errors() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let (title, action) = match id {
        Some(id) => ("insp-plan-edit", format!("/inspection/plans/{id}")),
        None => ("insp-plan-new", "/inspection/plans".to_owned()),
    };
    let c = Chrome::new(ctx, title, "/inspection/plans")
        .under("nav-insp", "/inspection/tasks")
        .under("nav-insp-plans", "/inspection/plans");
    render_status(
        status,
        &PlanFormPage {
            c,
            f,
            action,
            editing: id.is_some(),
            kinds: PlanKind::ALL
                .iter()
                .map(|k| (k.code().to_owned(), i.t(&format!("insp-plan-kind-{}", k.code()))))
                .collect(),
            standards,
            classes,
            zones,
            enterprises,
            orgs,
            people,
            managers,
            units: ["day", "week", "month"].iter().map(|u| ((*u).to_owned(), i.t(&format!("insp-unit-{u}")))).collect(),
        },
    )
}

/// `GET /inspection/plans/new`.
pub async fn plan_new(State(state): State<AppState>, ctx: Ctx) -> Response {
    let today = cst_date(state.app.clock.now());
    let f = FormState::new()
        .with("kind", "inspection")
        .with("anchor", today.to_string())
        .with("every_unit", "month")
        .with("every_count", "1")
        .with("lead_days", "3")
        .with("grace_days", "2")
        .with("escalate_after_days", "3")
        .with("on_working_days", "1");
    plan_form(&state, &ctx, f, None).await
}

/// `GET /inspection/plans/{id}/edit`.
pub async fn plan_edit(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<PlanId>) -> Response {
    let d = match state.app.schedule_plan(&ctx.caller, id).await {
        Ok(d) => d,
        Err(e) => return ctx.err(e).into_response(),
    };
    let p = &d.plan;
    let codes = if p.target.assets.is_empty() {
        String::new()
    } else {
        state
            .app
            .store
            .assets_by_ids(&p.target.assets)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|a| a.code)
            .collect::<Vec<_>>()
            .join("\n")
    };
    let r = &p.recurrence;
    let f = FormState::new()
        .with("kind", p.kind.code())
        .with("name", p.name.clone())
        .with("standard_code", p.standard_code.clone())
        .with("class", p.target.class.clone())
        .with("zone", p.target.zone.map(|z| z.to_string()).unwrap_or_default())
        .with("enterprise", p.target.enterprise.map(|o| o.to_string()).unwrap_or_default())
        .with("assets", codes)
        .with("anchor", r.anchor().to_string())
        .with("every_unit", r.every().unit_code())
        .with("every_count", r.every().count().to_string())
        .with("on_working_days", if r.shift() == Shift::NextWorkingDay { "1" } else { "" })
        .with("assignee_org", p.assignee_org_id.map(|o| o.to_string()).unwrap_or_default())
        .with("assignee_user", p.assignee_user_id.map(|u| u.to_string()).unwrap_or_default())
        .with("owner", p.owner_user_id.map(|u| u.to_string()).unwrap_or_default())
        .with("lead_days", p.lead_days.to_string())
        .with("grace_days", p.grace_days.to_string())
        .with("escalate_after_days", p.escalate_after_days.map(|d| d.to_string()).unwrap_or_default());
    plan_form(&state, &ctx, f, Some(id)).await
}

fn plan_input(form: &FormData) -> PlanInput {
    let g = |k: &str| form.get(k).to_owned();
    PlanInput {
        kind: g("kind"),
        name: g("name"),
        standard_code: g("standard_code"),
        class: g("class"),
        zone: g("zone"),
        enterprise: g("enterprise"),
        assets: g("assets"),
        anchor: g("anchor"),
        every_unit: g("every_unit"),
        every_count: g("every_count"),
        on_working_days: form.flag("on_working_days"),
        assignee_org: g("assignee_org"),
        assignee_user: g("assignee_user"),
        owner: g("owner"),
        lead_days: g("lead_days"),
        grace_days: g("grace_days"),
        escalate_after_days: g("escalate_after_days"),
        note: g("note"),
    }
}

async fn save_plan(state: &AppState, ctx: &Ctx, id: Option<PlanId>, form: &FormData) -> Response {
    match state.app.save_plan(&ctx.caller, id, plan_input(form)).await {
        Ok(p) => see_other(&format!("/inspection/plans/{}?ok=plan_saved", p.id)),
        Err(AppError::Invalid(errors)) => {
            let mut f = FormState::new();
            for k in PLAN_FIELDS {
                f = f.with(k, form.get(k));
            }
            if form.flag("on_working_days") {
                f = f.with("on_working_days", "1");
            }
            plan_form(state, ctx, f.errors(&ctx.i, &errors), id).await
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /inspection/plans`.
pub async fn plan_create(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Response {
    save_plan(&state, &ctx, None, &form).await
}

/// `POST /inspection/plans/{id}`.
pub async fn plan_update(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<PlanId>,
    form: FormData,
) -> Response {
    save_plan(&state, &ctx, Some(id), &form).await
}

/// `POST /inspection/plans/{id}/pause`.
pub async fn plan_pause(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<PlanId>,
    form: FormData,
) -> Response {
    match state.app.set_plan_paused(&ctx.caller, id, true, form.get("note")).await {
        Ok(p) => see_other(&format!("/inspection/plans/{}?ok=plan_paused", p.id)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /inspection/plans/{id}/resume`.
pub async fn plan_resume(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<PlanId>,
    form: FormData,
) -> Response {
    match state.app.set_plan_paused(&ctx.caller, id, false, form.get("note")).await {
        Ok(p) => see_other(&format!("/inspection/plans/{}?ok=plan_resumed", p.id)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /inspection/generate`: "生成到期任务".
pub async fn generate(State(state): State<AppState>, ctx: Ctx, _form: FormData) -> Response {
    match state.app.generate_due_tasks(&ctx.caller).await {
        Ok(r) => see_other(&format!("/inspection/tasks?ok=generated&n={}", r.created)),
        Err(e) => ctx.err(e).into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// Tasks and the calendar
// ---------------------------------------------------------------------------------------------

/// Task filters from the query string.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct TaskListQuery {
    plan: Option<String>,
    kind: Option<String>,
    status: Option<String>,
    from: Option<String>,
    until: Option<String>,
    /// `me` for "mine".
    assignee: Option<String>,
    /// A CI's id (the asset page links its tasks here).
    asset: Option<String>,
    month: Option<String>,
    page: Option<i64>,
    ok: Option<String>,
    n: Option<u64>,
}

impl TaskListQuery {
    fn s(v: Option<&String>) -> String {
        v.map(|s| s.trim().to_owned()).unwrap_or_default()
    }

    fn query(&self) -> TaskQuery {
        TaskQuery {
            plan: Self::s(self.plan.as_ref()),
            kind: Self::s(self.kind.as_ref()),
            status: Self::s(self.status.as_ref()),
            from: Self::s(self.from.as_ref()),
            until: Self::s(self.until.as_ref()),
            assignee: Self::s(self.assignee.as_ref()),
            asset: Self::s(self.asset.as_ref()),
        }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("plan", Self::s(self.plan.as_ref())),
            ("kind", Self::s(self.kind.as_ref())),
            ("status", Self::s(self.status.as_ref())),
            ("from", Self::s(self.from.as_ref())),
            ("until", Self::s(self.until.as_ref())),
            ("assignee", Self::s(self.assignee.as_ref())),
            ("asset", Self::s(self.asset.as_ref())),
        ]
    }
}

/// One row of the task list.
pub struct TaskRow {
    pub(crate) id: String,
    pub(crate) due: String,
    asset_code: String,
    asset_name: String,
    pub(crate) plan: String,
    pub(crate) kind: String,
    pub(crate) kind_tone: &'static str,
    pub(crate) assignee: String,
    pub(crate) status: String,
    pub(crate) tone: &'static str,
    pub(crate) late: bool,
}

#[derive(Template)]
#[template(path = "schedules/tasks.html")]
struct TasksPage {
    c: Chrome,
    rows: Vec<TaskRow>,
    v: FormState,
    plans: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    pager: Pager,
    can_manage: bool,
    month: String,
    people: Vec<(String, String)>,
}

fn status_choices(i: &I18n) -> Vec<(String, String)> {
    let mut out = vec![("pending".to_owned(), i.t("insp-status-pending"))];
    out.extend(TASK_STATUSES.iter().map(|s| ((*s).to_owned(), i.t(&format!("insp-status-{s}")))));
    out
}

fn kind_choices(i: &I18n) -> Vec<(String, String)> {
    PlanKind::ALL.iter().map(|k| (k.code().to_owned(), i.t(&format!("insp-plan-kind-{}", k.code())))).collect()
}

pub(crate) async fn task_rows(
    state: &AppState,
    i: &I18n,
    tasks: &[TaskRecord],
    assets: &BTreeMap<parkops_domain::asset::AssetId, AssetRecord>,
    plans: &BTreeMap<PlanId, PlanRecord>,
) -> Vec<TaskRow> {
    let users = names(state, tasks.iter().filter_map(|t| t.assignee_user_id)).await;
    let orgs =
        org_names(state, tasks.iter().filter(|t| t.assignee_user_id.is_none()).filter_map(|t| t.assignee_org_id)).await;
    tasks
        .iter()
        .map(|t| {
            let status = task_status(t);
            let a = assets.get(&t.asset_id);
            TaskRow {
                id: t.id.to_string(),
                due: t.due_date.to_string(),
                asset_code: a.map(|a| a.code.clone()).unwrap_or_default(),
                asset_name: a.map(|a| a.name.clone()).unwrap_or_default(),
                plan: plans.get(&t.plan_id).map(|p| p.name.clone()).unwrap_or_default(),
                kind: i.t(&format!("insp-plan-kind-{}", t.kind.code())),
                kind_tone: kind_tone(t.kind),
                assignee: t
                    .assignee_user_id
                    .and_then(|u| users.get(&u).cloned())
                    .or_else(|| t.assignee_org_id.and_then(|o| orgs.get(&o).cloned()))
                    .unwrap_or_default(),
                status: i.t(&format!("insp-status-{status}")),
                tone: status_tone(status),
                late: matches!(status, "overdue" | "escalated"),
            }
        })
        .collect()
}

/// `GET /inspection/tasks`.
pub async fn tasks(State(state): State<AppState>, ctx: Ctx, Query(q): Query<TaskListQuery>) -> Response {
    let i = ctx.i;
    let list = match state.app.schedule_tasks(&ctx.caller, &q.query(), PageRequest::clamped(q.page, Some(30))).await {
        Ok(l) => l,
        Err(e) => return ctx.err(e).into_response(),
    };
    let rows = task_rows(&state, &i, &list.page.items, &list.assets, &list.plans).await;
    let pairs = q.pairs();
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let pager = Pager::of(&list.page, &borrowed);
    let mut c = Chrome::new(&ctx, "nav-insp-tasks", "/inspection/tasks")
        .under("nav-insp", "/inspection/tasks")
        .flash(q.ok.as_deref());
    if q.ok.as_deref() == Some("generated") {
        c.flash = i.ta("flash-generated", &[("n", q.n.unwrap_or(0).to_string())]);
    }
    // Park-wide readers filter by any person; others by "mine" only.
    let park_wide = ctx
        .caller
        .principal
        .as_ref()
        .is_some_and(|p| p.scope_of(Capability::InspectionView) == Some(parkops_domain::access::Scope::Park));
    let people = if park_wide {
        state
            .app
            .inspection_people(&ctx.caller)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|u| (u.id.to_string(), format!("{}（{}）", u.display_name, u.username)))
            .collect()
    } else {
        Vec::new()
    };
    let month = q
        .from
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .unwrap_or_else(|| cst_date(state.app.clock.now()))
        .format("%Y-%m")
        .to_string();
    render(&TasksPage {
        c,
        rows,
        v: pairs.iter().fold(FormState::new(), |f, (k, val)| f.with(k, val.clone())),
        plans: list.plans.values().map(|p| (p.id.to_string(), p.name.clone())).collect(),
        statuses: status_choices(&i),
        kinds: kind_choices(&i),
        pager,
        can_manage: can_manage(&ctx),
        month,
        people,
    })
}

/// One plan's work on a day.
pub struct Chip {
    plan: String,
    total: i64,
    done: i64,
    overdue: i64,
    tone: &'static str,
    href: String,
}

/// A day of the month grid.
pub struct DayCell {
    date: String,
    day: u32,
    weekday: String,
    in_month: bool,
    today: bool,
    off: bool,
    chips: Vec<Chip>,
}

#[derive(Template)]
#[template(path = "schedules/calendar.html")]
struct CalendarPage {
    c: Chrome,
    month: String,
    prev: String,
    next: String,
    weekdays: Vec<String>,
    weeks: Vec<Vec<DayCell>>,
    busy: Vec<DayCell>,
    v: FormState,
    plans: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    filter_query: String,
}

/// `GET /inspection/calendar?month=YYYY-MM`.
pub async fn calendar(State(state): State<AppState>, ctx: Ctx, Query(q): Query<TaskListQuery>) -> Response {
    let i = ctx.i;
    let m = match state.app.due_calendar(&ctx.caller, q.month.as_deref().unwrap_or(""), &q.query()).await {
        Ok(m) => m,
        Err(e) => return ctx.err(e).into_response(),
    };
    let calendar = state.app.desk_config().await.map(|c| c.calendar).unwrap_or_default();
    let today = cst_date(state.app.clock.now());
    let mut by_day: BTreeMap<NaiveDate, Vec<Chip>> = BTreeMap::new();
    let mut extra = Vec::new();
    for (k, v) in [("plan", q.plan.as_ref()), ("kind", q.kind.as_ref()), ("assignee", q.assignee.as_ref())] {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            extra.push((k, v.clone()));
        }
    }
    for d in &m.days {
        let plan = m.plans.get(&d.plan_id);
        let mut enc = form_urlencoded::Serializer::new(String::new());
        enc.append_pair("plan", &d.plan_id.to_string())
            .append_pair("from", &d.date.to_string())
            .append_pair("until", &d.date.to_string());
        let tone = if d.overdue > 0 {
            "red"
        } else if d.done == d.total {
            "green"
        } else {
            plan.map_or("blue", |p| kind_tone(p.kind))
        };
        by_day.entry(d.date).or_default().push(Chip {
            plan: plan.map(|p| p.name.clone()).unwrap_or_default(),
            total: d.total,
            done: d.done,
            overdue: d.overdue,
            tone,
            href: format!("/inspection/tasks?{}", enc.finish()),
        });
    }
    let weekday = |d: NaiveDate| i.t(&format!("insp-weekday-{}", d.weekday().number_from_monday()));
    let first = m.month;
    let start = first.checked_sub_days(Days::new(u64::from(first.weekday().num_days_from_monday()))).unwrap_or(first);
    let next = first.checked_add_months(chrono::Months::new(1)).unwrap_or(first);
    let prev = first.checked_sub_months(chrono::Months::new(1)).unwrap_or(first);
    let mut weeks = Vec::new();
    let mut day = start;
    while day < next || weeks.is_empty() {
        let mut week = Vec::new();
        for _ in 0..7 {
            week.push(DayCell {
                date: day.to_string(),
                day: day.day(),
                weekday: weekday(day),
                in_month: day.month() == first.month(),
                today: day == today,
                off: !calendar.is_working_day(day),
                chips: if day.month() == first.month() { by_day.remove(&day).unwrap_or_default() } else { Vec::new() },
            });
            day = day.succ_opt().unwrap_or(day);
        }
        weeks.push(week);
        if weeks.len() > 6 {
            break;
        }
    }
    // The phone's list: the days with work, in order (the grid's cells moved, not copied).
    let busy: Vec<DayCell> = weeks
        .iter_mut()
        .flat_map(|w| w.iter_mut())
        .filter(|d| !d.chips.is_empty())
        .map(|d| DayCell {
            date: d.date.clone(),
            day: d.day,
            weekday: d.weekday.clone(),
            in_month: d.in_month,
            today: d.today,
            off: d.off,
            chips: d
                .chips
                .iter()
                .map(|c| Chip {
                    plan: c.plan.clone(),
                    total: c.total,
                    done: c.done,
                    overdue: c.overdue,
                    tone: c.tone,
                    href: c.href.clone(),
                })
                .collect(),
        })
        .collect();
    let mut enc = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &extra {
        enc.append_pair(k, v);
    }
    let mut filter_query = enc.finish();
    if !filter_query.is_empty() {
        filter_query.push('&');
    }
    let v = extra.iter().fold(FormState::new(), |f, (k, val)| f.with(k, val.clone()));
    let c = Chrome::new(&ctx, "nav-insp-calendar", "/inspection/calendar").under("nav-insp", "/inspection/tasks");
    render(&CalendarPage {
        c,
        month: first.format("%Y-%m").to_string(),
        prev: prev.format("%Y-%m").to_string(),
        next: next.format("%Y-%m").to_string(),
        weekdays: (1..=7).map(|n| i.t(&format!("insp-weekday-{n}"))).collect(),
        weeks,
        busy,
        v,
        plans: m.plans.values().map(|p| (p.id.to_string(), p.name.clone())).collect(),
        kinds: kind_choices(&i),
        filter_query,
    })
}

// ---------------------------------------------------------------------------------------------
// A task: the inspection form
// ---------------------------------------------------------------------------------------------

/// A task's header fields.
pub struct TaskView {
    id: String,
    due: String,
    asset_code: String,
    asset_name: String,
    asset_id: String,
    plan: String,
    plan_id: String,
    kind: String,
    kind_tone: &'static str,
    standard: String,
    standard_id: String,
    assignee: String,
    status: String,
    tone: &'static str,
    overdue_after: String,
    escalate_after: String,
    closed: String,
}

async fn task_view(state: &AppState, i: &I18n, d: &TaskDetail) -> TaskView {
    let t = &d.task;
    let status = task_status(t);
    let users = names(state, t.assignee_user_id.into_iter()).await;
    let orgs = org_names(state, t.assignee_org_id.into_iter()).await;
    let assignee = [
        t.assignee_user_id.and_then(|u| users.get(&u).cloned()),
        t.assignee_org_id.and_then(|o| orgs.get(&o).cloned()),
    ]
    .into_iter()
    .flatten()
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(" · ");
    TaskView {
        id: t.id.to_string(),
        due: t.due_date.to_string(),
        asset_code: d.asset.code.clone(),
        asset_name: d.asset.name.clone(),
        asset_id: d.asset.id.to_string(),
        plan: d.plan.name.clone(),
        plan_id: d.plan.id.to_string(),
        kind: i.t(&format!("insp-plan-kind-{}", t.kind.code())),
        kind_tone: kind_tone(t.kind),
        standard: d.standard.as_ref().map(|s| format!("{} v{}", s.name, s.version)).unwrap_or_default(),
        standard_id: d.standard.as_ref().map(|s| s.id.to_string()).unwrap_or_default(),
        assignee,
        status: i.t(&format!("insp-status-{status}")),
        tone: status_tone(status),
        overdue_after: minute_text(t.overdue_after),
        escalate_after: t.escalate_after.map(minute_text).unwrap_or_default(),
        closed: t.closed_at.map(|c| format!("{} {}", minute_text(c), t.closed_by)).unwrap_or_default(),
    }
}

/// One check item of the inspection form: a card on a phone.
pub struct ItemField {
    n: usize,
    code: String,
    name: String,
    method: String,
    kind: &'static str,
    unit: String,
    range: String,
    options: Vec<String>,
    value: String,
    note: String,
    photo_required: bool,
    has_photo: bool,
    error: String,
}

fn item_fields(
    i: &I18n,
    standard: &StandardRecord,
    values: &BTreeMap<String, String>,
    notes: &BTreeMap<String, String>,
    photos: &BTreeMap<String, bool>,
    errors: &BTreeMap<String, String>,
) -> Vec<ItemField> {
    standard
        .items
        .iter()
        .enumerate()
        .map(|(n, it)| ItemField {
            n: n + 1,
            code: it.code.clone(),
            name: it.name.clone(),
            method: it.method.clone(),
            kind: it.kind.code(),
            unit: match &it.kind {
                ItemKind::Numeric { unit, .. } => unit.clone(),
                _ => String::new(),
            },
            range: range_text(i, it),
            options: match &it.kind {
                ItemKind::Choice { options, .. } => options.clone(),
                _ => Vec::new(),
            },
            value: values.get(&it.code).cloned().unwrap_or_default(),
            note: notes.get(&it.code).cloned().unwrap_or_default(),
            photo_required: it.photo_required,
            has_photo: photos.get(&it.code).copied().unwrap_or(false),
            error: errors.get(&it.code).cloned().unwrap_or_default(),
        })
        .collect()
}

/// One timeline entry.
pub struct EventView {
    at: String,
    actor: String,
    kind: String,
    tone: &'static str,
    note: String,
}

/// A result version in a task's list.
pub struct VersionLink {
    id: String,
    version: i64,
    at: String,
    by: String,
    passed: bool,
    current: bool,
}

#[derive(Template)]
#[template(path = "schedules/task.html")]
struct TaskPage {
    c: Chrome,
    t: TaskView,
    events: Vec<EventView>,
    items: Vec<ItemField>,
    show_form: bool,
    form_errors: Vec<String>,
    items_banner: String,
    note: String,
    versions: Vec<VersionLink>,
    can_start: bool,
    can_manage: bool,
    pending: bool,
    is_calibration: bool,
    orgs: Vec<(String, String)>,
    people: Vec<(String, String)>,
    f: FormState,
}

#[derive(Default)]
struct Entered {
    values: BTreeMap<String, String>,
    notes: BTreeMap<String, String>,
    note: String,
    reason: String,
}

async fn task_page(
    state: &AppState,
    ctx: &Ctx,
    id: TaskId,
    entered: Entered,
    errors: &[parkops_app::FieldError],
    flash: Option<&str>,
) -> Response {
    let i = ctx.i;
    let d = match state.app.schedule_task(&ctx.caller, id).await {
        Ok(d) => d,
        Err(e) => return ctx.err(e).into_response(),
    };
    let t = task_view(state, &i, &d).await;
    let (by_item, form_errors) = split_errors(&i, errors);
    let items_banner = banner(&i, by_item.len());
    let pending = d.task.state.is_pending();
    let show_form = d.can_record && pending && d.task.kind.uses_standard() && d.standard.is_some();
    let items = d
        .standard
        .as_ref()
        .map(|s| item_fields(&i, s, &entered.values, &entered.notes, &BTreeMap::new(), &by_item))
        .unwrap_or_default();
    let current = d.results.last().map(|r| r.id);
    let versions = d
        .results
        .iter()
        .rev()
        .map(|r| VersionLink {
            id: r.id.to_string(),
            version: r.version,
            at: minute_text(r.recorded_at),
            by: r.recorded_by.clone(),
            passed: r.passed,
            current: Some(r.id) == current,
        })
        .collect();
    let events = d
        .events
        .iter()
        .map(|e| EventView {
            at: minute_text(e.at),
            actor: e.actor.clone(),
            kind: i.t(&format!("insp-event-{}", e.kind)),
            tone: match e.kind.as_str() {
                "escalated" | "ticket_opened" => "red",
                "overdue" | "corrected" => "orange",
                "completed" => "green",
                "started" | "assigned" => "blue",
                _ => "grey",
            },
            note: e.note.clone(),
        })
        .collect();
    let (orgs, people, _) = if d.can_manage && pending { assignees(state, ctx).await } else { Default::default() };
    let f = FormState::new()
        .with("assignee_org", d.task.assignee_org_id.map(|o| o.to_string()).unwrap_or_default())
        .with("assignee_user", d.task.assignee_user_id.map(|u| u.to_string()).unwrap_or_default())
        .errors(
            &i,
            &errors
                .iter()
                .filter(|e| matches!(e.field, "reason" | "assignee_org" | "assignee_user" | "note"))
                .cloned()
                .collect::<Vec<_>>(),
        );
    let c = Chrome::new(ctx, "nav-insp-tasks", "/inspection/tasks")
        .under("nav-insp", "/inspection/tasks")
        .under("nav-insp-tasks", "/inspection/tasks")
        .titled(format!("{} · {}", d.asset.code, d.plan.name))
        .flash(flash);
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    render_status(
        status,
        &TaskPage {
            c,
            t,
            events,
            items,
            show_form,
            form_errors,
            items_banner,
            note: entered.note,
            versions,
            can_start: d.can_record && d.task.state == TaskState::Open,
            can_manage: d.can_manage,
            pending,
            is_calibration: d.task.kind == PlanKind::Calibration,
            orgs,
            people,
            f,
        },
    )
}

/// `GET /inspection/tasks/{id}`: the task and, while it is due, the inspection form.
pub async fn task(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<TaskId>,
    Query(q): Query<OkQuery>,
) -> Response {
    task_page(&state, &ctx, id, Entered::default(), &[], q.ok.as_deref()).await
}

/// `POST /inspection/tasks/{id}/start`.
pub async fn task_start(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<TaskId>,
    _form: FormData,
) -> Response {
    match state.app.start_task(&ctx.caller, id).await {
        Ok(t) => see_other(&format!("/inspection/tasks/{}?ok=task_started", t.id)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /inspection/tasks/{id}/assign`.
pub async fn task_assign(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<TaskId>,
    form: FormData,
) -> Response {
    match state
        .app
        .assign_task(&ctx.caller, id, form.get("assignee_org"), form.get("assignee_user"), form.get("note"))
        .await
    {
        Ok(t) => see_other(&format!("/inspection/tasks/{}?ok=task_assigned", t.id)),
        Err(AppError::Invalid(errors)) => task_page(&state, &ctx, id, Entered::default(), &errors, None).await,
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /inspection/tasks/{id}/cancel`.
pub async fn task_cancel(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<TaskId>,
    form: FormData,
) -> Response {
    match state.app.cancel_task(&ctx.caller, id, form.get("reason")).await {
        Ok(t) => see_other(&format!("/inspection/tasks/{}?ok=task_cancelled", t.id)),
        Err(AppError::Invalid(errors)) => task_page(&state, &ctx, id, Entered::default(), &errors, None).await,
        Err(e) => ctx.err(e).into_response(),
    }
}

/// Reads the inspection form: `csrf`, `value.<code>`, `note.<code>`, `photo.<code>` (files),
/// `note` and `reason`.
async fn read_result_form(mut m: Multipart) -> Result<(String, Entered, BTreeMap<String, PhotoUpload>), AppError> {
    let bad = || AppError::field("items", "err-result-form");
    let mut csrf = String::new();
    let mut entered = Entered::default();
    let mut photos = BTreeMap::new();
    while let Some(field) = m.next_field().await.map_err(|_| bad())? {
        let name = field.name().unwrap_or_default().to_owned();
        if let Some(code) = name.strip_prefix("photo.") {
            let up = PhotoUpload {
                name: field.file_name().unwrap_or_default().to_owned(),
                content_type: field.content_type().unwrap_or_default().to_owned(),
                data: field.bytes().await.map_err(|_| bad())?.to_vec(),
            };
            if !up.data.is_empty() {
                photos.insert(code.to_owned(), up);
            }
            continue;
        }
        let text = field.text().await.map_err(|_| bad())?;
        if let Some(code) = name.strip_prefix("value.") {
            if !text.trim().is_empty() {
                entered.values.insert(code.to_owned(), text);
            }
        } else if let Some(code) = name.strip_prefix("note.") {
            entered.notes.insert(code.to_owned(), text);
        } else {
            match name.as_str() {
                "csrf" => csrf = text,
                "note" => entered.note = text,
                "reason" => entered.reason = text,
                _ => {}
            }
        }
    }
    Ok((csrf, entered, photos))
}

/// A posted result form (original or correction), its synchronizer token checked as
/// `FormData` checks other forms: what was entered (to show the form again) and the input.
async fn result_form(
    ctx: &Ctx,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(Entered, ResultInput), Response> {
    let read = match multipart {
        Ok(m) => read_result_form(m).await,
        Err(_) => Err(AppError::field("items", "err-result-form")),
    };
    let (csrf, entered, photos) = read.map_err(|e| ctx.err(e).into_response())?;
    if !crate::form::same(&csrf, &ctx.csrf()) {
        return Err(ctx.err(AppError::Forbidden { capability: Capability::InspectionRecord }).into_response());
    }
    let input = ResultInput {
        values: entered.values.clone(),
        notes: entered.notes.clone(),
        photos,
        note: entered.note.clone(),
        reason: entered.reason.clone(),
    };
    Ok((entered, input))
}

/// `POST /inspection/tasks/{id}/result` (multipart): the original record.
pub async fn task_record(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<TaskId>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let (entered, mut input) = match result_form(&ctx, multipart).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    // An original record has no correction reason.
    input.reason = String::new();
    match state.app.record_result(&ctx.caller, id, input).await {
        Ok(o) => {
            let ok = if o.ticket.is_some() { "result_ticket" } else { "result_recorded" };
            see_other(&format!("/inspection/results/{}?ok={ok}", o.result.id))
        }
        Err(AppError::Invalid(errors)) => task_page(&state, &ctx, id, entered, &errors, None).await,
        Err(e) => ctx.err(e).into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// A result: versions and the correction form
// ---------------------------------------------------------------------------------------------

/// One item of a result version.
pub struct ResultItemView {
    n: usize,
    name: String,
    value: String,
    pass: bool,
    finding: String,
    range: String,
    note: String,
    photo: String,
    changed: bool,
}

/// One version of a result.
pub struct VersionView {
    id: String,
    version: i64,
    original: bool,
    current: bool,
    reason: String,
    corrects: i64,
    by: String,
    at: String,
    passed: bool,
    failed: usize,
    note: String,
    ticket_id: String,
    ticket_number: String,
    items: Vec<ResultItemView>,
}

#[derive(Template)]
#[template(path = "schedules/result.html")]
struct ResultPage {
    c: Chrome,
    t: TaskView,
    versions: Vec<VersionView>,
    items: Vec<ItemField>,
    can_correct: bool,
    form_errors: Vec<String>,
    items_banner: String,
    reason_error: String,
    reason: String,
    note: String,
    current_id: String,
    viewing_current: bool,
}

async fn version_views(
    state: &AppState,
    i: &I18n,
    standard: Option<&StandardRecord>,
    results: &[ResultRecord],
) -> Vec<VersionView> {
    let by_code: BTreeMap<&str, &CheckItem> =
        standard.map(|s| s.items.iter().map(|x| (x.code.as_str(), x)).collect()).unwrap_or_default();
    let order: BTreeMap<&str, usize> = standard
        .map(|s| s.items.iter().enumerate().map(|(n, x)| (x.code.as_str(), n + 1)).collect())
        .unwrap_or_default();
    let version_of: BTreeMap<ResultId, i64> = results.iter().map(|r| (r.id, r.version)).collect();
    let last = results.iter().map(|r| r.version).max().unwrap_or(0);
    let mut out = Vec::new();
    for (k, r) in results.iter().enumerate().rev() {
        let before = if k > 0 { results.get(k - 1) } else { None };
        let ticket_number = match r.ticket_id {
            Some(t) => state.app.store.ticket(t).await.ok().flatten().map(|t| t.number).unwrap_or_default(),
            None => String::new(),
        };
        let items = r
            .items
            .iter()
            .map(|it| {
                let def = by_code.get(it.code.as_str()).copied();
                ResultItemView {
                    n: order.get(it.code.as_str()).copied().unwrap_or(0),
                    name: def.map_or_else(|| it.code.clone(), |d| d.name.clone()),
                    value: value_text(i, def, &it.value),
                    pass: it.verdict == Verdict::Pass,
                    finding: it.finding.map(|f| i.t(&format!("insp-finding-{}", f.code()))).unwrap_or_default(),
                    range: def.map(|d| range_text(i, d)).unwrap_or_default(),
                    note: it.note.clone(),
                    photo: it.photo_id.map(|p| p.to_string()).unwrap_or_default(),
                    changed: before.is_some_and(|b| b.items.iter().find(|o| o.code == it.code) != Some(it)),
                }
            })
            .collect();
        out.push(VersionView {
            id: r.id.to_string(),
            version: r.version,
            original: r.version == 1,
            current: r.version == last,
            reason: r.reason.clone(),
            corrects: r.corrects.and_then(|c| version_of.get(&c).copied()).unwrap_or(0),
            by: r.recorded_by.clone(),
            at: r.recorded_at.display_cst(),
            passed: r.passed,
            failed: r.items.iter().filter(|x| x.verdict == Verdict::Fail).count(),
            note: r.note.clone(),
            ticket_id: r.ticket_id.map(|t| t.to_string()).unwrap_or_default(),
            ticket_number,
            items,
        });
    }
    out
}

async fn result_page(
    state: &AppState,
    ctx: &Ctx,
    id: ResultId,
    entered: Option<Entered>,
    errors: &[parkops_app::FieldError],
    flash: Option<&str>,
) -> Response {
    let i = ctx.i;
    let d = match state.app.inspection_result(&ctx.caller, id).await {
        Ok(d) => d,
        Err(e) => return ctx.err(e).into_response(),
    };
    let t = task_view(state, &i, &d.task).await;
    let versions = version_views(state, &i, d.task.standard.as_ref(), &d.task.results).await;
    let current = d.task.results.last();
    let (by_item, form_errors) = split_errors(&i, errors);
    let items_banner = banner(&i, by_item.len());
    let reason_error = errors
        .iter()
        .filter(|e| e.field == "reason")
        .map(|e| crate::error::field_message(&i, e))
        .collect::<Vec<_>>()
        .join("；");
    let entered = entered.unwrap_or_else(|| {
        let mut e = Entered::default();
        if let Some(r) = current {
            e.values = r.items.iter().map(|x| (x.code.clone(), x.value.clone())).collect();
            e.notes = r.items.iter().map(|x| (x.code.clone(), x.note.clone())).collect();
        }
        e
    });
    let photos: BTreeMap<String, bool> =
        current.map(|r| r.items.iter().map(|x| (x.code.clone(), x.photo_id.is_some())).collect()).unwrap_or_default();
    let items = d
        .task
        .standard
        .as_ref()
        .map(|s| item_fields(&i, s, &entered.values, &entered.notes, &photos, &by_item))
        .unwrap_or_default();
    let c = Chrome::new(ctx, "insp-result", "/inspection/tasks")
        .under("nav-insp", "/inspection/tasks")
        .under("nav-insp-tasks", "/inspection/tasks")
        .titled(format!("{} · {} · {}", d.task.asset.code, d.task.plan.name, d.task.task.due_date))
        .flash(flash);
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    render_status(
        status,
        &ResultPage {
            c,
            t,
            versions,
            items,
            can_correct: d.task.can_record,
            form_errors,
            items_banner,
            reason_error,
            reason: entered.reason,
            note: entered.note,
            current_id: current.map(|r| r.id.to_string()).unwrap_or_default(),
            viewing_current: current.is_some_and(|r| r.id == d.result.id),
        },
    )
}

/// `GET /inspection/results/{id}`: every version, newest first, the original kept visible.
pub async fn result(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<ResultId>,
    Query(q): Query<OkQuery>,
) -> Response {
    result_page(&state, &ctx, id, None, &[], q.ok.as_deref()).await
}

/// `POST /inspection/results/{id}/correct` (multipart): a new version with its reason.
pub async fn result_correct(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<ResultId>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let (entered, input) = match result_form(&ctx, multipart).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match state.app.correct_result(&ctx.caller, id, input).await {
        Ok(o) => {
            let ok = if o.ticket.is_some() { "result_ticket" } else { "result_corrected" };
            see_other(&format!("/inspection/results/{}?ok={ok}", o.result.id))
        }
        Err(AppError::Invalid(errors)) => result_page(&state, &ctx, id, Some(entered), &errors, None).await,
        // Nothing changed, or someone corrected it first: the form again, with the reason.
        Err(AppError::Conflict(key)) if matches!(key.as_str(), "err-result-unchanged" | "err-result-superseded") => {
            let errors = [parkops_app::FieldError::new("items", key)];
            result_page(&state, &ctx, id, Some(entered), &errors, None).await
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /inspection/photos/{id}`.
pub async fn photo(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<PhotoId>) -> Response {
    match state.app.inspection_photo(&ctx.caller, id).await {
        Ok((p, data)) => attachment_response(&p.name, &p.content_type, data),
        Err(e) => ctx.err(e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_have_tones() {
        for s in TASK_STATUSES {
            assert!(!status_tone(s).is_empty());
        }
        assert_eq!(status_tone("escalated"), "red");
    }

    #[test]
    fn ids_come_from_paths() {
        assert!(TaskId::from_path("0190f0f0-0000-7000-8000-000000000000").is_some());
        assert!(TaskId::from_path("new").is_none());
    }
}
