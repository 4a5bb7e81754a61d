//! Calibration register pages (R-9.1.1d): 校准台账 (the register: filters, paging, coloured
//! conclusion and due tags, CSV/XLSX), the new-record form (one column on a phone), a record
//! with every version and the correction form, 逾期清单 (overdue and due-soon CIs grouped per
//! enterprise and class, with counts and exports) and the class cycles.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use parkops_app::AppError;
use parkops_app::calibration::{
    CalibrationDetail, CalibrationInput, CycleInput, DueList, DueQuery, PointInput, RegisterList, RegisterQuery,
    date_text, day_of,
};
use parkops_app::ports::PageRequest;
use parkops_app::ports::calibration::CalibrationRecord;
use parkops_domain::access::{Capability, Scope};
use parkops_domain::calibration::{CalibrationId, Conclusion, Cycle, DueState, Method};
use serde::Deserialize;

use super::desk::{attachment_response, minute_text, read_upload};
use super::{Chrome, FormState, Pager, render, render_status, see_other};
use crate::AppState;
use crate::form::{FormData, IdPath};
use crate::guard::Ctx;
use crate::i18n::I18n;

/// Rows of measured points the form offers.
const POINT_ROWS: usize = 5;

/// The tag colour of a conclusion: 合格 green, 调整后合格 blue, 不合格 red.
#[must_use]
pub const fn conclusion_tone(c: Conclusion) -> &'static str {
    match c {
        Conclusion::Pass => "green",
        Conclusion::PassAfterAdjustment => "blue",
        Conclusion::Fail => "red",
    }
}

/// A due state as a tag: text and colour (逾期 red, due soon orange, valid green).
#[must_use]
pub fn due_tag(i: &I18n, state: DueState) -> (String, &'static str) {
    match state {
        DueState::Never => (i.t("cal-due-never"), "red"),
        DueState::Overdue { days } => (i.ta("cal-due-overdue", &[("days", days.to_string())]), "red"),
        DueState::DueSoon { days } => (i.ta("cal-due-soon", &[("days", days.to_string())]), "orange"),
        DueState::Valid { .. } => (i.t("cal-due-valid"), "green"),
    }
}

/// A method's name.
#[must_use]
pub fn method_label(i: &I18n, m: Method) -> String {
    i.t(&format!("cal-method-{}", m.code()))
}

/// A conclusion's name.
#[must_use]
pub fn conclusion_label(i: &I18n, c: Conclusion) -> String {
    i.t(&format!("cal-conclusion-{}", c.code()))
}

/// A cycle as read: `12 个月`, `365 天`.
#[must_use]
pub fn cycle_text(i: &I18n, c: Cycle) -> String {
    match c {
        Cycle::Months(n) => i.ta("cal-cycle-of-months", &[("n", n.to_string())]),
        Cycle::Days(n) => i.ta("cal-cycle-of-days", &[("n", n.to_string())]),
    }
}

fn methods(i: &I18n) -> Vec<(String, String)> {
    Method::ALL.iter().map(|m| (m.code().to_owned(), method_label(i, *m))).collect()
}

fn conclusions(i: &I18n) -> Vec<(String, String, &'static str)> {
    Conclusion::ALL.iter().map(|c| (c.code().to_owned(), conclusion_label(i, *c), conclusion_tone(*c))).collect()
}

fn name(names: &BTreeMap<String, String>, key: impl ToString) -> String {
    names.get(&key.to_string()).cloned().unwrap_or_default()
}

fn can(ctx: &Ctx, capability: Capability) -> bool {
    ctx.caller.principal.as_ref().is_some_and(|p| p.has(capability))
}

/// Filter choices shared by the register and the overdue list.
pub struct Choices {
    classes: Vec<(String, String)>,
    enterprises: Vec<(String, String)>,
    zones: Vec<(String, String)>,
    methods: Vec<(String, String)>,
    conclusions: Vec<(String, String, &'static str)>,
}

async fn choices(state: &AppState, ctx: &Ctx) -> Choices {
    let app = &state.app;
    let i = ctx.i;
    Choices {
        classes: app
            .calibrated_classes(&ctx.caller)
            .await
            .map(|v| v.into_iter().map(|(code, name, _)| (code, name)).collect())
            .unwrap_or_default(),
        enterprises: app
            .calibration_enterprises(&ctx.caller)
            .await
            .map(|v| v.into_iter().map(|(id, n)| (id.to_string(), n)).collect())
            .unwrap_or_default(),
        zones: app
            .calibration_zones(&ctx.caller)
            .await
            .map(|v| v.into_iter().map(|(id, n)| (id.to_string(), n)).collect())
            .unwrap_or_default(),
        methods: methods(&i),
        conclusions: conclusions(&i),
    }
}

fn pairs_of<'a>(pairs: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    pairs.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn state_of(pairs: &[(&'static str, String)]) -> FormState {
    pairs.iter().fold(FormState::new(), |f, (k, v)| f.with(k, v.clone()))
}

// ---------------------------------------------------------------------------------------------
// The register
// ---------------------------------------------------------------------------------------------

/// The register's query string.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct RegisterParams {
    pub(crate) class: Option<String>,
    pub(crate) enterprise: Option<String>,
    pub(crate) zone: Option<String>,
    pub(crate) conclusion: Option<String>,
    pub(crate) method: Option<String>,
    pub(crate) from: Option<String>,
    pub(crate) until: Option<String>,
    pub(crate) q: Option<String>,
    pub(crate) asset: Option<String>,
    pub(crate) page: Option<i64>,
    pub(crate) ok: Option<String>,
}

impl RegisterParams {
    /// The use case's query.
    #[must_use]
    pub fn query(&self) -> RegisterQuery {
        let s = |v: &Option<String>| v.as_deref().unwrap_or("").trim().to_owned();
        RegisterQuery {
            class: s(&self.class),
            enterprise: s(&self.enterprise),
            zone: s(&self.zone),
            conclusion: s(&self.conclusion),
            method: s(&self.method),
            from: s(&self.from),
            until: s(&self.until),
            text: s(&self.q),
            asset: s(&self.asset),
        }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let q = self.query();
        vec![
            ("class", q.class),
            ("enterprise", q.enterprise),
            ("zone", q.zone),
            ("conclusion", q.conclusion),
            ("method", q.method),
            ("from", q.from),
            ("until", q.until),
            ("q", q.text),
            ("asset", q.asset),
        ]
    }
}

/// One line of the register.
pub struct RegisterLine {
    id: String,
    asset_code: String,
    asset_name: String,
    class: String,
    enterprise: String,
    method: String,
    performed: String,
    certificate: String,
    performer: String,
    conclusion: String,
    conclusion_tone: &'static str,
    next_due: String,
    due: String,
    due_tone: &'static str,
    corrected: String,
}

fn register_lines(i: &I18n, list: &RegisterList) -> Vec<RegisterLine> {
    list.page
        .items
        .iter()
        .map(|row| {
            let r = &row.head.record;
            let (due, due_tone) = match row.due {
                Some(DueState::Valid { .. }) => (String::new(), "green"),
                Some(state) => due_tag(i, state),
                None => (i.t("cal-superseded"), "grey"),
            };
            RegisterLine {
                id: r.id.to_string(),
                asset_code: row.asset.as_ref().map(|a| a.code.clone()).unwrap_or_default(),
                asset_name: row.asset.as_ref().map(|a| a.name.clone()).unwrap_or_default(),
                class: name(&list.names, &r.class),
                enterprise: row
                    .asset
                    .as_ref()
                    .and_then(|a| a.enterprise_org_id)
                    .map(|o| name(&list.names, o))
                    .unwrap_or_default(),
                method: method_label(i, r.method),
                performed: date_text(r.performed_on),
                certificate: r.certificate_no.clone(),
                performer: r.performer.clone(),
                conclusion: conclusion_label(i, r.conclusion),
                conclusion_tone: conclusion_tone(r.conclusion),
                next_due: date_text(r.next_due),
                due,
                due_tone,
                corrected: if r.version > 1 {
                    i.ta("cal-corrected-tag", &[("version", r.version.to_string())])
                } else {
                    String::new()
                },
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "calibration/register.html")]
struct RegisterPage {
    c: Chrome,
    tab: &'static str,
    rows: Vec<RegisterLine>,
    ch: Choices,
    v: FormState,
    pager: Pager,
    export_query: String,
    can_record: bool,
}

/// `GET /calibration`: the register, newest first.
pub async fn register(State(state): State<AppState>, ctx: Ctx, Query(q): Query<RegisterParams>) -> Response {
    let list =
        match state.app.calibration_register(&ctx.caller, &q.query(), PageRequest::clamped(q.page, Some(20))).await {
            Ok(l) => l,
            Err(e) => return ctx.err(e).into_response(),
        };
    let pairs = q.pairs();
    let pager = Pager::of(&list.page, &pairs_of(&pairs));
    let export_query = pager.query.trim_end_matches('&').to_owned();
    render(&RegisterPage {
        c: Chrome::new(&ctx, "nav-calibration-register", "/calibration")
            .under("nav-calibration", "/calibration")
            .flash(q.ok.as_deref()),
        tab: "register",
        rows: register_lines(&ctx.i, &list),
        ch: choices(&state, &ctx).await,
        v: state_of(&pairs),
        pager,
        export_query,
        can_record: can(&ctx, Capability::CalibrationRecord),
    })
}

fn register_table(i: &I18n, list: &RegisterList) -> (Vec<String>, Vec<Vec<String>>) {
    let header = [
        "cal-col-asset-code",
        "cal-col-asset-name",
        "cal-field-class",
        "cal-field-enterprise",
        "cal-field-method",
        "cal-field-performed-on",
        "cal-field-certificate-no",
        "cal-field-performer",
        "cal-field-standard-name",
        "cal-field-standard-certificate",
        "cal-field-standard-valid-until",
        "cal-field-conclusion",
        "cal-field-next-due",
        "cal-field-next-due-reason",
        "cal-col-version",
        "cal-field-reason",
        "cal-col-recorded-by",
        "cal-col-recorded-at",
    ]
    .iter()
    .map(|k| i.t(k))
    .collect();
    let body = list
        .page
        .items
        .iter()
        .map(|row| {
            let r = &row.head.record;
            vec![
                row.asset.as_ref().map(|a| a.code.clone()).unwrap_or_default(),
                row.asset.as_ref().map(|a| a.name.clone()).unwrap_or_default(),
                name(&list.names, &r.class),
                row.asset.as_ref().and_then(|a| a.enterprise_org_id).map(|o| name(&list.names, o)).unwrap_or_default(),
                method_label(i, r.method),
                date_text(r.performed_on),
                r.certificate_no.clone(),
                r.performer.clone(),
                r.standard_name.clone(),
                r.standard_certificate.clone(),
                r.standard_valid_until.map(date_text).unwrap_or_default(),
                conclusion_label(i, r.conclusion),
                date_text(r.next_due),
                r.next_due_reason.clone(),
                r.version.to_string(),
                r.correction_reason.clone(),
                r.created_by.clone(),
                r.created_at.display_cst(),
            ]
        })
        .collect();
    (header, body)
}

fn export_response(
    state: &AppState,
    ctx: &Ctx,
    stem: &str,
    sheet: &str,
    xlsx: bool,
    table: (Vec<String>, Vec<Vec<String>>),
) -> Response {
    let (header, body) = table;
    let stamp = state.app.clock.now().to_cst().format("%Y%m%d-%H%M");
    if xlsx {
        match crate::export::xlsx(&ctx.i.t(sheet), &header, &body) {
            Ok(bytes) => crate::export::download(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                &format!("parkops-{stem}-{stamp}.xlsx"),
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
            &format!("parkops-{stem}-{stamp}.csv"),
            crate::export::csv(&header, &body).into_bytes(),
        )
    }
}

async fn register_export(state: &AppState, ctx: &Ctx, q: &RegisterParams, xlsx: bool) -> Response {
    match state.app.calibration_register_export(&ctx.caller, &q.query()).await {
        Ok(list) => {
            export_response(state, ctx, "calibrations", "cal-sheet-register", xlsx, register_table(&ctx.i, &list))
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /calibration/export.csv`.
pub async fn export_csv(State(state): State<AppState>, ctx: Ctx, Query(q): Query<RegisterParams>) -> Response {
    register_export(&state, &ctx, &q, false).await
}

/// `GET /calibration/export.xlsx`.
pub async fn export_xlsx(State(state): State<AppState>, ctx: Ctx, Query(q): Query<RegisterParams>) -> Response {
    register_export(&state, &ctx, &q, true).await
}

// ---------------------------------------------------------------------------------------------
// New record
// ---------------------------------------------------------------------------------------------

/// Fields of the record form (besides the points).
const FORM_FIELDS: [&str; 14] = [
    "asset",
    "method",
    "standard_name",
    "standard_certificate",
    "standard_valid_until",
    "certificate_no",
    "performer",
    "performer_org",
    "performed_on",
    "conclusion",
    "next_due",
    "next_due_reason",
    "task",
    "note",
];

/// The record form's input from a submitted form.
#[must_use]
pub fn input_of(form: &FormData) -> CalibrationInput {
    let g = |k: &str| form.get(k).to_owned();
    let (n, r, e, a) =
        (form.all("point_nominal"), form.all("point_reading"), form.all("point_error"), form.all("point_allowed"));
    let rows = n.len().max(r.len()).max(e.len()).max(a.len());
    let at = |v: &[String], k: usize| v.get(k).cloned().unwrap_or_default();
    CalibrationInput {
        asset: g("asset"),
        method: g("method"),
        standard_name: g("standard_name"),
        standard_certificate: g("standard_certificate"),
        standard_valid_until: g("standard_valid_until"),
        certificate_no: g("certificate_no"),
        performer: g("performer"),
        performer_org: g("performer_org"),
        performed_on: g("performed_on"),
        conclusion: g("conclusion"),
        points: (0..rows)
            .map(|k| PointInput { nominal: at(&n, k), reading: at(&r, k), error: at(&e, k), allowed: at(&a, k) })
            .collect(),
        next_due: g("next_due"),
        next_due_reason: g("next_due_reason"),
        task: g("task"),
        note: g("note"),
    }
}

/// Point rows for a form: the given ones, padded with blank rows.
fn point_rows(mut points: Vec<PointInput>) -> Vec<PointInput> {
    points.retain(|p| ![&p.nominal, &p.reading, &p.error, &p.allowed].iter().all(|t| t.trim().is_empty()));
    let blanks = POINT_ROWS.saturating_sub(points.len()).max(1);
    points.extend(std::iter::repeat_n(PointInput::default(), blanks));
    points
}

/// Options of the record form.
pub struct FormChoices {
    methods: Vec<(String, String)>,
    conclusions: Vec<(String, String, &'static str)>,
    performers: Vec<(String, String)>,
    classes: Vec<(String, String, String)>,
    tasks: Vec<(String, String)>,
}

async fn form_choices(state: &AppState, ctx: &Ctx, asset: &str) -> FormChoices {
    let app = &state.app;
    let i = ctx.i;
    let mut tasks = Vec::new();
    if let Some(id) = asset_id(state, ctx, asset).await
        && let Ok(list) = app.pending_calibration_tasks(&ctx.caller, id).await
    {
        tasks = list
            .into_iter()
            .map(|t| (t.id.to_string(), i.ta("cal-task-due", &[("date", t.due_date.format("%Y-%m-%d").to_string())])))
            .collect();
    }
    FormChoices {
        methods: methods(&i),
        conclusions: conclusions(&i),
        performers: app
            .calibration_performers(&ctx.caller)
            .await
            .map(|v| v.into_iter().map(|(id, n)| (id.to_string(), n)).collect())
            .unwrap_or_default(),
        classes: app
            .calibrated_classes(&ctx.caller)
            .await
            .map(|v| {
                v.into_iter()
                    .map(|(code, name, c)| {
                        let cycle = i.ta("cal-cycle-months", &[("months", c.months.to_string())]);
                        (code, name, format!("{cycle} · {} · {}", method_label(&i, c.method), c.basis))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        tasks,
    }
}

/// The CI a form names (by id or code), if the caller may see it.
async fn asset_id(state: &AppState, ctx: &Ctx, text: &str) -> Option<parkops_domain::asset::AssetId> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let p = ctx.caller.principal.as_ref()?;
    let a = match parkops_domain::asset::AssetId::parse(t) {
        Ok(id) => state.app.store.asset(id).await.ok().flatten(),
        Err(_) => state.app.store.asset_by_code(p.park_id, t).await.ok().flatten(),
    }?;
    let visible = a.park_id == p.park_id
        && match p.scope_of(Capability::AssetView) {
            Some(Scope::Park) => true,
            Some(Scope::OwnOrganisation) => {
                a.enterprise_org_id == Some(p.org_id) || a.maintainer_org_id == Some(p.org_id)
            }
            None => false,
        };
    visible.then_some(a.id)
}

#[derive(Template)]
#[template(path = "calibration/new.html")]
struct NewPage {
    c: Chrome,
    f: FormState,
    points: Vec<PointInput>,
    ch: FormChoices,
}

/// The new-record form's query: a CI and a task to prefill.
#[derive(Debug, Deserialize, Default)]
pub struct NewParams {
    asset: Option<String>,
    task: Option<String>,
}

async fn new_page(state: &AppState, ctx: &Ctx, f: FormState, points: Vec<PointInput>) -> Response {
    let status = if f.has_errors() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let ch = form_choices(state, ctx, &f.v("asset")).await;
    render_status(
        status,
        &NewPage {
            c: Chrome::new(ctx, "nav-calibration-new", "/calibration").under("nav-calibration", "/calibration"),
            f,
            points: point_rows(points),
            ch,
        },
    )
}

/// `GET /calibration/new`.
pub async fn new(State(state): State<AppState>, ctx: Ctx, Query(q): Query<NewParams>) -> Response {
    let today = date_text(day_of(state.app.clock.now()));
    let f = FormState::new()
        .with("asset", q.asset.unwrap_or_default())
        .with("task", q.task.unwrap_or_default())
        .with("performed_on", today);
    new_page(&state, &ctx, f, Vec::new()).await
}

fn form_state(form: &FormData) -> FormState {
    FORM_FIELDS.iter().fold(FormState::new(), |f, k| f.with(k, form.get(k)))
}

/// `POST /calibration`: records and shows the record.
pub async fn create(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Response {
    let input = input_of(&form);
    match state.app.record_calibration(&ctx.caller, input.clone()).await {
        Ok(out) => {
            let flash = if out.fault_opened { "calibration_fault" } else { "calibration_recorded" };
            see_other(&format!("/calibration/records/{}?ok={flash}", out.record.id))
        }
        Err(AppError::Invalid(errors)) => {
            new_page(&state, &ctx, form_state(&form).errors(&ctx.i, &errors), input.points).await
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// A record with its versions
// ---------------------------------------------------------------------------------------------

/// One measured point as shown.
pub struct PointLine {
    position: usize,
    nominal: String,
    reading: String,
    error: String,
    allowed: String,
    within: bool,
}

/// One version as shown.
pub struct VersionView {
    id: String,
    version: i64,
    is_head: bool,
    is_selected: bool,
    reason: String,
    method: String,
    standard_name: String,
    standard_certificate: String,
    standard_valid_until: String,
    certificate_no: String,
    performer: String,
    performed: String,
    conclusion: String,
    conclusion_tone: &'static str,
    points: Vec<PointLine>,
    cycle: String,
    computed_due: String,
    next_due: String,
    next_due_reason: String,
    task: String,
    note: String,
    created_by: String,
    created_at: String,
}

fn version_view(i: &I18n, r: &CalibrationRecord, head: CalibrationId, selected: CalibrationId) -> VersionView {
    let measured = parkops_app::App::calibration_points(r);
    VersionView {
        id: r.id.to_string(),
        version: r.version,
        is_head: r.id == head,
        is_selected: r.id == selected,
        reason: r.correction_reason.clone(),
        method: method_label(i, r.method),
        standard_name: r.standard_name.clone(),
        standard_certificate: r.standard_certificate.clone(),
        standard_valid_until: r.standard_valid_until.map(date_text).unwrap_or_default(),
        certificate_no: r.certificate_no.clone(),
        performer: r.performer.clone(),
        performed: date_text(r.performed_on),
        conclusion: conclusion_label(i, r.conclusion),
        conclusion_tone: conclusion_tone(r.conclusion),
        points: r
            .points
            .iter()
            .zip(measured)
            .enumerate()
            .map(|(k, (p, m))| PointLine {
                position: k + 1,
                nominal: p.nominal.clone(),
                reading: p.reading.clone(),
                error: p.error.clone(),
                allowed: p.allowed.clone(),
                within: m.is_within(),
            })
            .collect(),
        cycle: cycle_text(i, r.cycle),
        computed_due: date_text(r.computed_due),
        next_due: date_text(r.next_due),
        next_due_reason: r.next_due_reason.clone(),
        task: r.task_id.map(|t| t.to_string()).unwrap_or_default(),
        note: r.note.clone(),
        created_by: r.created_by.clone(),
        created_at: minute_text(r.created_at),
    }
}

/// The CI of a record, as shown.
pub struct AssetLine {
    id: String,
    code: String,
    name: String,
    class: String,
    enterprise: String,
    location: String,
    state: String,
    state_tone: &'static str,
}

#[derive(Template)]
#[template(path = "calibration/show.html")]
struct ShowPage {
    c: Chrome,
    asset: AssetLine,
    head: VersionView,
    versions: Vec<VersionView>,
    attachments: Vec<(String, String, String, String, String)>,
    due: String,
    due_tone: &'static str,
    can_correct: bool,
    f: FormState,
    points: Vec<PointInput>,
    ch: FormChoices,
    error: String,
}

/// The correction form's initial values: the newest version's.
fn form_of(r: &CalibrationRecord) -> (FormState, Vec<PointInput>) {
    let f = FormState::new()
        .with("method", r.method.code())
        .with("standard_name", r.standard_name.clone())
        .with("standard_certificate", r.standard_certificate.clone())
        .with("standard_valid_until", r.standard_valid_until.map(date_text).unwrap_or_default())
        .with("certificate_no", r.certificate_no.clone())
        .with("performer", r.performer.clone())
        .with("performer_org", r.performer_org_id.map(|o| o.to_string()).unwrap_or_default())
        .with("performed_on", date_text(r.performed_on))
        .with("conclusion", r.conclusion.code())
        .with("next_due", if r.next_due == r.computed_due { String::new() } else { date_text(r.next_due) })
        .with("next_due_reason", r.next_due_reason.clone())
        .with("task", r.task_id.map(|t| t.to_string()).unwrap_or_default())
        .with("note", r.note.clone());
    let points = r
        .points
        .iter()
        .map(|p| PointInput {
            nominal: p.nominal.clone(),
            reading: p.reading.clone(),
            error: p.error.clone(),
            allowed: p.allowed.clone(),
        })
        .collect();
    (f, points)
}

#[allow(clippy::too_many_arguments)]
async fn show_page(
    state: &AppState,
    ctx: &Ctx,
    id: CalibrationId,
    form: Option<(FormState, Vec<PointInput>)>,
    error: String,
    status: StatusCode,
    flash: Option<&str>,
) -> Response {
    let d: CalibrationDetail = match state.app.calibration_detail(&ctx.caller, id).await {
        Ok(d) => d,
        Err(e) => return ctx.err(e).into_response(),
    };
    let i = ctx.i;
    let head = d.head().clone();
    let a = &d.asset;
    let today = day_of(state.app.clock.now());
    let (due, due_tone) = if d.in_force {
        due_tag(&i, parkops_domain::calibration::due_state(Some(head.next_due), today))
    } else {
        (i.t("cal-superseded"), "grey")
    };
    let location = [a.location.zone, a.location.site, a.location.point]
        .into_iter()
        .flatten()
        .map(|l| name(&d.names, l))
        .filter(|n| !n.is_empty())
        .collect::<Vec<_>>()
        .join(" / ");
    let asset = AssetLine {
        id: a.id.to_string(),
        code: a.code.clone(),
        name: a.name.clone(),
        class: name(&d.names, &a.class),
        enterprise: a.enterprise_org_id.map(|o| name(&d.names, o)).unwrap_or_default(),
        location,
        // The park's own lifecycle terms in Chinese; their codes in the English interface.
        state: if i.lang == crate::i18n::Lang::ZhCn { a.state.label() } else { a.state.code() }.to_owned(),
        state_tone: match a.state {
            parkops_domain::asset::LifecycleState::InService => "green",
            parkops_domain::asset::LifecycleState::Faulty => "red",
            parkops_domain::asset::LifecycleState::UnderMaintenance
            | parkops_domain::asset::LifecycleState::TrialRun => "orange",
            _ => "grey",
        },
    };
    let versions: Vec<VersionView> = d.versions.iter().rev().map(|v| version_view(&i, v, head.id, id)).collect();
    let attachments = d
        .attachments
        .iter()
        .map(|x| {
            let version = d.versions.iter().find(|v| v.id == x.record_id).map_or(0, |v| v.version);
            (
                x.id.to_string(),
                x.name.clone(),
                format!("v{version} · {}", super::desk::size_text(x.size)),
                x.created_by.clone(),
                x.sha256.chars().take(16).collect::<String>(),
            )
        })
        .collect();
    let (f, points) = form.unwrap_or_else(|| form_of(&head));
    let ch = form_choices(state, ctx, &a.id.to_string()).await;
    let page = ShowPage {
        c: Chrome::new(ctx, "nav-calibration-register", "/calibration")
            .under("nav-calibration", "/calibration")
            .titled(format!("{} {} · {}", a.code, a.name, i.t("cal-record")))
            .flash(flash),
        head: version_view(&i, &head, head.id, id),
        versions,
        attachments,
        due,
        due_tone,
        can_correct: d.can_correct,
        asset,
        f,
        points: point_rows(points),
        ch,
        error,
    };
    render_status(status, &page)
}

/// Query of the record page.
#[derive(Debug, Deserialize, Default)]
pub struct ShowQuery {
    ok: Option<String>,
}

/// `GET /calibration/records/{id}`.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    Query(q): Query<ShowQuery>,
) -> Response {
    let id = CalibrationId::from_uuid(id);
    show_page(&state, &ctx, id, None, String::new(), StatusCode::OK, q.ok.as_deref()).await
}

/// `POST /calibration/records/{id}/correct`: a new version naming this one and why.
pub async fn correct(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    form: FormData,
) -> Response {
    let id = CalibrationId::from_uuid(id);
    let input = input_of(&form);
    match state.app.correct_calibration(&ctx.caller, id, input.clone(), form.get("reason")).await {
        Ok(out) => {
            let flash = if out.fault_opened { "calibration_fault" } else { "calibration_corrected" };
            see_other(&format!("/calibration/records/{}?ok={flash}", out.record.id))
        }
        Err(AppError::Invalid(errors)) => {
            let f = form_state(&form).with("reason", form.get("reason")).errors(&ctx.i, &errors);
            let msg = ctx.i.t("form-has-errors");
            show_page(&state, &ctx, id, Some((f, input.points)), msg, StatusCode::BAD_REQUEST, None).await
        }
        Err(e @ AppError::Conflict(_)) => {
            let msg = crate::error::message(&ctx.i, &e);
            show_page(&state, &ctx, id, None, msg, StatusCode::CONFLICT, None).await
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `POST /calibration/records/{id}/attachments` (multipart: `csrf`, `file`).
pub async fn attach(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let id = CalibrationId::from_uuid(id);
    let upload = match multipart {
        Ok(m) => read_upload(m).await,
        Err(_) => Err(AppError::field("file", "err-attachment")),
    };
    let r = match upload {
        Ok(up) => {
            // The form's synchronizer token, as `FormData` checks it for other forms.
            if !crate::form::same(&up.csrf, &ctx.csrf()) {
                return ctx.err(AppError::Forbidden { capability: Capability::CalibrationRecord }).into_response();
            }
            state.app.attach_to_calibration(&ctx.caller, id, &up.name, &up.content_type, &up.data).await
        }
        Err(e) => Err(e),
    };
    match r {
        Ok(_) => see_other(&format!("/calibration/records/{id}?ok=calibration_attached")),
        Err(AppError::Invalid(errors)) => {
            let msg = errors.first().map(|e| crate::error::field_message(&ctx.i, e)).unwrap_or_default();
            show_page(&state, &ctx, id, None, msg, StatusCode::BAD_REQUEST, None).await
        }
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /calibration/attachments/{id}`.
pub async fn attachment(State(state): State<AppState>, ctx: Ctx, IdPath(id): IdPath<uuid::Uuid>) -> Response {
    match state.app.calibration_attachment(&ctx.caller, id).await {
        Ok((rec, data)) => attachment_response(&rec.name, &rec.content_type, data),
        Err(e) => ctx.err(e).into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// Overdue and due-soon lists
// ---------------------------------------------------------------------------------------------

/// The due lists' query string.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct DueParams {
    pub(crate) status: Option<String>,
    pub(crate) class: Option<String>,
    pub(crate) enterprise: Option<String>,
    pub(crate) zone: Option<String>,
    pub(crate) page: Option<i64>,
}

impl DueParams {
    /// The use case's query.
    #[must_use]
    pub fn query(&self) -> DueQuery {
        let s = |v: &Option<String>| v.as_deref().unwrap_or("").trim().to_owned();
        DueQuery {
            status: s(&self.status),
            class: s(&self.class),
            enterprise: s(&self.enterprise),
            zone: s(&self.zone),
        }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let q = self.query();
        vec![("status", q.status), ("class", q.class), ("enterprise", q.enterprise), ("zone", q.zone)]
    }
}

/// One line of the counts per enterprise and class.
pub struct CountLine {
    enterprise: String,
    first_of_enterprise: bool,
    class: String,
    total: i64,
    never: i64,
    overdue: i64,
    due_soon: i64,
    link: String,
}

/// One CI of the list.
pub struct DueLine {
    asset_id: String,
    code: String,
    name: String,
    class: String,
    enterprise: String,
    first_of_group: bool,
    location: String,
    performed: String,
    conclusion: String,
    conclusion_tone: &'static str,
    next_due: String,
    state: String,
    state_tone: &'static str,
    record: String,
}

fn due_lines(i: &I18n, list: &DueList) -> Vec<DueLine> {
    let mut previous = None;
    list.page
        .items
        .iter()
        .map(|item| {
            let a = &item.row.asset;
            let s = item.row.status.as_ref();
            let (state, state_tone) = due_tag(i, item.state);
            let group = (a.enterprise_org_id, a.class.clone());
            let first_of_group = previous.as_ref() != Some(&group);
            previous = Some(group);
            DueLine {
                asset_id: a.id.to_string(),
                code: a.code.clone(),
                name: a.name.clone(),
                class: name(&list.names, &a.class),
                enterprise: a.enterprise_org_id.map(|o| name(&list.names, o)).unwrap_or_else(|| i.t("cal-park-owned")),
                first_of_group,
                location: [a.location.zone, a.location.site]
                    .into_iter()
                    .flatten()
                    .map(|l| name(&list.names, l))
                    .filter(|n| !n.is_empty())
                    .collect::<Vec<_>>()
                    .join(" / "),
                performed: s.map(|s| date_text(s.performed_on)).unwrap_or_default(),
                conclusion: s.map(|s| conclusion_label(i, s.conclusion)).unwrap_or_default(),
                conclusion_tone: s.map_or("grey", |s| conclusion_tone(s.conclusion)),
                next_due: s.map(|s| date_text(s.next_due)).unwrap_or_default(),
                state,
                state_tone,
                record: s.map(|s| s.record_id.to_string()).unwrap_or_default(),
            }
        })
        .collect()
}

fn count_lines(i: &I18n, list: &DueList, q: &DueParams) -> Vec<CountLine> {
    let mut previous = None;
    // Only the groups with something on the list asked for; the cards above count them all.
    let status = q.status.as_deref().unwrap_or("").trim();
    list.counts
        .iter()
        .filter(|c| match status {
            "due_soon" => c.due_soon > 0,
            "all" => c.never + c.overdue + c.due_soon > 0,
            _ => c.never + c.overdue > 0,
        })
        .map(|c| {
            let enterprise = c.enterprise.map(|o| name(&list.names, o)).unwrap_or_else(|| i.t("cal-park-owned"));
            let first = previous.as_ref() != Some(&c.enterprise);
            previous = Some(c.enterprise);
            let mut enc = form_urlencoded::Serializer::new(String::new());
            enc.append_pair("status", q.status.as_deref().unwrap_or("overdue"));
            enc.append_pair("class", &c.class);
            if let Some(o) = c.enterprise {
                enc.append_pair("enterprise", &o.to_string());
            }
            if let Some(z) = q.zone.as_deref().filter(|z| !z.is_empty()) {
                enc.append_pair("zone", z);
            }
            CountLine {
                enterprise,
                first_of_enterprise: first,
                class: name(&list.names, &c.class),
                total: c.total,
                never: c.never,
                overdue: c.overdue,
                due_soon: c.due_soon,
                link: enc.finish(),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "calibration/due.html")]
struct DuePage {
    c: Chrome,
    tab: &'static str,
    counts: Vec<CountLine>,
    totals: (i64, i64, i64, i64),
    rows: Vec<DueLine>,
    ch: Choices,
    v: FormState,
    pager: Pager,
    export_query: String,
    can_record: bool,
    today: String,
}

/// `GET /calibration/due`: the overdue list (or due soon, or both).
pub async fn due(State(state): State<AppState>, ctx: Ctx, Query(q): Query<DueParams>) -> Response {
    let list = match state.app.calibration_due(&ctx.caller, &q.query(), PageRequest::clamped(q.page, Some(50))).await {
        Ok(l) => l,
        Err(e) => return ctx.err(e).into_response(),
    };
    let i = ctx.i;
    let pairs = q.pairs();
    let pager = Pager::of(&list.page, &pairs_of(&pairs));
    let export_query = pager.query.trim_end_matches('&').to_owned();
    let totals =
        list.counts.iter().fold((0, 0, 0, 0), |t, c| (t.0 + c.total, t.1 + c.never, t.2 + c.overdue, t.3 + c.due_soon));
    let v = state_of(&pairs);
    let v = if v.v("status").is_empty() { v.with("status", "overdue") } else { v };
    render(&DuePage {
        c: Chrome::new(&ctx, "nav-calibration-due", "/calibration/due").under("nav-calibration", "/calibration"),
        tab: "due",
        counts: count_lines(&i, &list, &q),
        totals,
        rows: due_lines(&i, &list),
        ch: choices(&state, &ctx).await,
        v,
        pager,
        export_query,
        can_record: can(&ctx, Capability::CalibrationRecord),
        today: date_text(list.today),
    })
}

fn due_table(i: &I18n, list: &DueList) -> (Vec<String>, Vec<Vec<String>>) {
    let header = [
        "cal-field-enterprise",
        "cal-field-class",
        "cal-col-asset-code",
        "cal-col-asset-name",
        "cal-col-location",
        "cal-col-last-performed",
        "cal-field-conclusion",
        "cal-field-next-due",
        "cal-col-due-state",
    ]
    .iter()
    .map(|k| i.t(k))
    .collect();
    let body = due_lines(i, list)
        .into_iter()
        .map(|l| {
            vec![l.enterprise, l.class, l.code, l.name, l.location, l.performed, l.conclusion, l.next_due, l.state]
        })
        .collect();
    (header, body)
}

async fn due_export(state: &AppState, ctx: &Ctx, q: &DueParams, xlsx: bool) -> Response {
    match state.app.calibration_due_export(&ctx.caller, &q.query()).await {
        Ok(list) => export_response(state, ctx, "calibration-due", "cal-sheet-due", xlsx, due_table(&ctx.i, &list)),
        Err(e) => ctx.err(e).into_response(),
    }
}

/// `GET /calibration/due.csv`.
pub async fn due_csv(State(state): State<AppState>, ctx: Ctx, Query(q): Query<DueParams>) -> Response {
    due_export(&state, &ctx, &q, false).await
}

/// `GET /calibration/due.xlsx`.
pub async fn due_xlsx(State(state): State<AppState>, ctx: Ctx, Query(q): Query<DueParams>) -> Response {
    due_export(&state, &ctx, &q, true).await
}

// ---------------------------------------------------------------------------------------------
// Class cycles
// ---------------------------------------------------------------------------------------------

/// One class's cycle as shown.
pub struct CycleLine {
    class: String,
    class_name: String,
    enabled: bool,
    months: u32,
    method: String,
    basis: String,
    version: i64,
    updated: String,
}

/// One stored version as shown.
pub struct HistoryLine {
    class_name: String,
    version: i64,
    enabled: bool,
    months: i64,
    method: String,
    basis: String,
    note: String,
    by: String,
    at: String,
}

#[derive(Template)]
#[template(path = "calibration/cycles.html")]
struct CyclesPage {
    c: Chrome,
    tab: &'static str,
    rows: Vec<CycleLine>,
    history: Vec<HistoryLine>,
    classes: Vec<(String, String)>,
    methods: Vec<(String, String)>,
    can_edit: bool,
    f: FormState,
}

/// Query of the cycles page: a class to edit.
#[derive(Debug, Deserialize, Default)]
pub struct CyclesParams {
    class: Option<String>,
    ok: Option<String>,
}

async fn cycles_page(state: &AppState, ctx: &Ctx, f: Option<FormState>, wanted: &str, flash: Option<&str>) -> Response {
    let s = match state.app.calibration_cycles(&ctx.caller).await {
        Ok(s) => s,
        Err(e) => return ctx.err(e).into_response(),
    };
    let i = ctx.i;
    let name_of: BTreeMap<&str, &str> = s.classes.iter().map(|(c, n)| (c.as_str(), n.as_str())).collect();
    let rows: Vec<CycleLine> = s
        .cycles
        .iter()
        .map(|v| CycleLine {
            class: v.cycle.class.clone(),
            class_name: v.class_name.clone(),
            enabled: v.cycle.enabled,
            months: v.cycle.months,
            method: method_label(&i, v.cycle.method),
            basis: v.cycle.basis.clone(),
            version: v.version,
            updated: v.updated_at.map(|at| format!("{} {}", minute_text(at), v.updated_by)).unwrap_or_default(),
        })
        .collect();
    let history = s
        .history
        .iter()
        .map(|h| HistoryLine {
            class_name: name_of.get(h.class.as_str()).map_or_else(|| h.class.clone(), |n| (*n).to_owned()),
            version: h.version,
            enabled: h.enabled,
            months: h.cycle_months,
            method: method_label(&i, h.method),
            basis: h.basis.clone(),
            note: h.note.clone(),
            by: h.created_by.clone(),
            at: minute_text(h.created_at),
        })
        .collect();
    let status = if f.as_ref().is_some_and(FormState::has_errors) { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let f = f.unwrap_or_else(|| {
        let current = s.cycles.iter().find(|v| v.cycle.class == wanted);
        match current {
            Some(v) => FormState::new()
                .with("class", v.cycle.class.clone())
                .with("enabled", if v.cycle.enabled { "on" } else { "" })
                .with("cycle_months", v.cycle.months.to_string())
                .with("method", v.cycle.method.code())
                .with("basis", v.cycle.basis.clone()),
            None => FormState::new()
                .with("class", wanted)
                .with("enabled", "on")
                .with("cycle_months", "12")
                .with("method", Method::Calibration.code()),
        }
    });
    render_status(
        status,
        &CyclesPage {
            c: Chrome::new(ctx, "nav-calibration-cycles", "/calibration/cycles")
                .under("nav-calibration", "/calibration")
                .flash(flash),
            tab: "cycles",
            rows,
            history,
            classes: s.classes,
            methods: methods(&i),
            can_edit: s.can_edit,
            f,
        },
    )
}

/// `GET /calibration/cycles`.
pub async fn cycles(State(state): State<AppState>, ctx: Ctx, Query(q): Query<CyclesParams>) -> Response {
    cycles_page(&state, &ctx, None, q.class.as_deref().unwrap_or(""), q.ok.as_deref()).await
}

/// `POST /calibration/cycles`: stores a new version of a class's cycle.
pub async fn cycle_update(State(state): State<AppState>, ctx: Ctx, form: FormData) -> Response {
    let input = CycleInput {
        class: form.get("class").to_owned(),
        enabled: form.flag("enabled"),
        cycle_months: form.get("cycle_months").to_owned(),
        method: form.get("method").to_owned(),
        basis: form.get("basis").to_owned(),
        note: form.get("note").to_owned(),
    };
    match state.app.set_calibration_cycle(&ctx.caller, input).await {
        Ok(v) => see_other(&format!("/calibration/cycles?class={}&ok=cycle_saved", v.cycle.class)),
        Err(AppError::Invalid(errors)) => {
            let f = ["class", "enabled", "cycle_months", "method", "basis", "note"]
                .iter()
                .fold(FormState::new(), |f, k| f.with(k, form.get(k)))
                .errors(&ctx.i, &errors);
            cycles_page(&state, &ctx, Some(f), "", None).await
        }
        Err(e) => ctx.err(e).into_response(),
    }
}
