//! Importing the register from a spreadsheet (R-9.1.1c): upload an XLSX or CSV file (up to
//! 20 MiB), the whole of it is validated before anything is written, and the report names
//! sheet, row, column and message. The import runs as a background task of the server with
//! an in-memory progress record (rows validated, rows written) that the job page shows; the
//! page reloads itself through the `Refresh` header while the job runs — no script, nothing
//! from outside. Also the template workbook of a class and the workbook writer of exports.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use parkops_app::asset::read::{SheetFormat, read_sheet};
use parkops_app::asset::{ASSET_COLUMNS, AssetSheet, ImportProgress, ImportStage, ImportSummary, RELATION_COLUMNS};
use parkops_app::{AppError, Caller, FieldError};
use parkops_domain::access::Capability;
use parkops_domain::id::UserId;
use parkops_domain::time::Timestamp;
use serde::Deserialize;
use tokio::sync::watch;

use super::assets::family_label;
use super::{Chrome, FormState, render, render_status, see_other};
use crate::AppState;
use crate::form::IdPath;
use crate::guard::Ctx;
use crate::i18n::I18n;

/// Largest import file.
pub const IMPORT_FILE_LIMIT: usize = 20 * 1024 * 1024;
/// Largest request body of the import routes (the file plus the multipart envelope).
pub const IMPORT_BODY_LIMIT: usize = IMPORT_FILE_LIMIT + 256 * 1024;
/// Finished jobs kept in memory for their pages.
const KEEP_FINISHED: usize = 50;

/// Where a background import stands.
#[derive(Debug, Clone, Default)]
pub struct JobState {
    /// The last progress report.
    pub progress: Option<ImportProgress>,
    /// The outcome, once finished.
    pub outcome: Option<Result<ImportSummary, Vec<FieldError>>>,
    /// A failure that is not about the sheet (storage, permission), as a message key.
    pub failure: Option<String>,
}

/// One background import.
#[derive(Debug)]
pub struct ImportJob {
    owner: UserId,
    file: String,
    rows: usize,
    dry_run: bool,
    started: Timestamp,
    state: Mutex<JobState>,
    done: watch::Sender<bool>,
}

impl ImportJob {
    /// A copy of the state.
    #[must_use]
    pub fn snapshot(&self) -> JobState {
        self.state.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn set(&self, f: impl FnOnce(&mut JobState)) {
        if let Ok(mut s) = self.state.lock() {
            f(&mut s);
        }
    }
}

/// The server's background imports, by id (in memory: a restart forgets finished jobs'
/// pages, never their effect, which is in the database and the audit log).
#[derive(Debug, Default)]
pub struct ImportJobs {
    jobs: Mutex<HashMap<uuid::Uuid, Arc<ImportJob>>>,
}

impl ImportJobs {
    /// Starts an import of `sheet` for `caller` in the background; returns the job's id.
    pub fn start(
        &self,
        state: &AppState,
        caller: Caller,
        file: String,
        sheet: AssetSheet,
        dry_run: bool,
    ) -> Option<uuid::Uuid> {
        let owner = caller.principal.as_ref()?.user_id;
        let id = uuid::Uuid::now_v7();
        let (done, _) = watch::channel(false);
        let job = Arc::new(ImportJob {
            owner,
            file,
            rows: sheet.assets.len() + sheet.relations.len(),
            dry_run,
            started: state.app.clock.now(),
            state: Mutex::new(JobState::default()),
            done,
        });
        if let Ok(mut jobs) = self.jobs.lock() {
            // Forget the oldest finished jobs beyond the limit.
            let mut finished: Vec<(Timestamp, uuid::Uuid)> =
                jobs.iter().filter(|(_, j)| *j.done.borrow()).map(|(k, j)| (j.started, *k)).collect();
            finished.sort();
            let excess = finished.len().saturating_sub(KEEP_FINISHED);
            for (_, k) in finished.into_iter().take(excess) {
                jobs.remove(&k);
            }
            jobs.insert(id, job.clone());
        }
        let app = state.app.clone();
        tokio::spawn(async move {
            let progress_job = job.clone();
            let progress = move |p: ImportProgress| progress_job.set(|s| s.progress = Some(p));
            let register = app.assets();
            let result = if job.dry_run {
                register.check_import(&caller, &sheet, &progress).await
            } else {
                register.import(&caller, &sheet, &progress).await
            };
            job.set(|s| match result {
                Ok(summary) => s.outcome = Some(Ok(summary)),
                Err(AppError::Invalid(fields)) => s.outcome = Some(Err(fields)),
                Err(e) => {
                    tracing::warn!(error = %e, "asset import failed");
                    s.failure = Some(crate::error::code(&e).to_owned());
                }
            });
            job.done.send_replace(true);
        });
        Some(id)
    }

    /// The job with this id if `user` started it.
    #[must_use]
    pub fn get(&self, id: uuid::Uuid, user: UserId) -> Option<Arc<ImportJob>> {
        self.jobs.lock().ok()?.get(&id).filter(|j| j.owner == user).cloned()
    }
}

/// One line of an import report.
#[derive(Debug, Clone)]
pub struct ReportLine {
    /// Sheet (localised).
    pub sheet: String,
    /// Row number as the spreadsheet shows it.
    pub row: String,
    /// Column header as written.
    pub column: String,
    /// What is wrong.
    pub message: String,
}

/// The report lines of refused import fields (file-level problems have no row).
#[must_use]
pub fn report(i: &I18n, fields: &[FieldError]) -> Vec<ReportLine> {
    fields
        .iter()
        .map(|f| {
            let arg = |n: &str| f.args.iter().find(|(k, _)| *k == n).map(|(_, v)| v.clone()).unwrap_or_default();
            let sheet = arg("sheet");
            ReportLine {
                sheet: if sheet.is_empty() { String::new() } else { i.t(&format!("asset-sheet-{sheet}")) },
                row: arg("row"),
                column: arg("column"),
                message: crate::error::field_message(i, f),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "assets/import.html")]
struct ImportPage {
    c: Chrome,
    classes: Vec<(String, Vec<(String, String)>)>,
    report: Vec<ReportLine>,
    f: FormState,
    error: String,
}

async fn import_page(
    state: &AppState,
    ctx: &Ctx,
    report: Vec<ReportLine>,
    f: FormState,
    error: String,
    status: StatusCode,
) -> Response {
    let i = ctx.i;
    let mut classes: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for c in state.app.assets().classes(&ctx.caller).await.unwrap_or_default() {
        let fam = family_label(&i, c.family);
        match classes.iter_mut().find(|(f, _)| *f == fam) {
            Some((_, list)) => list.push((c.code.clone(), c.name.clone())),
            None => classes.push((fam, vec![(c.code.clone(), c.name.clone())])),
        }
    }
    render_status(
        status,
        &ImportPage {
            c: Chrome::new(ctx, "nav-asset-import", "/assets/import").under("nav-group-assets", "/assets"),
            classes,
            report,
            f,
            error,
        },
    )
}

/// `GET /assets/import`.
pub async fn page(State(state): State<AppState>, ctx: Ctx) -> Response {
    import_page(&state, &ctx, Vec::new(), FormState::new().with("class", "gas_detector"), String::new(), StatusCode::OK)
        .await
}

/// The parts of the import form.
struct Upload {
    csrf: String,
    name: String,
    content_type: String,
    data: Vec<u8>,
    dry_run: bool,
}

async fn read_upload(mut m: Multipart) -> Result<Upload, AppError> {
    let too_large = || AppError::Invalid(vec![FieldError::new("file", "err-import-too-large").arg("max", "20 MiB")]);
    let mut up = Upload {
        csrf: String::new(),
        name: String::new(),
        content_type: String::new(),
        data: Vec::new(),
        dry_run: false,
    };
    loop {
        let field = match m.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(_) => return Err(AppError::field("file", "err-import-file")),
        };
        match field.name() {
            Some("csrf") => up.csrf = field.text().await.unwrap_or_default(),
            Some("dry_run") => up.dry_run = matches!(field.text().await.as_deref(), Ok("1" | "true" | "on")),
            Some("file") => {
                up.name = field.file_name().unwrap_or_default().to_owned();
                up.content_type = field.content_type().unwrap_or_default().to_owned();
                up.data = match field.bytes().await {
                    Ok(b) => b.to_vec(),
                    Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
                    Err(_) => return Err(AppError::field("file", "err-import-file")),
                };
            }
            _ => {}
        }
    }
    if up.data.len() > IMPORT_FILE_LIMIT {
        return Err(too_large());
    }
    Ok(up)
}

/// Parses an uploaded file into a sheet (file-level problems and header problems refused).
///
/// # Errors
/// [`AppError::Invalid`] for an empty, unknown, unreadable or malformed file.
pub fn parse_file(name: &str, content_type: &str, data: &[u8]) -> Result<AssetSheet, AppError> {
    if data.is_empty() {
        return Err(AppError::field("file", "err-import-empty"));
    }
    let format =
        SheetFormat::detect(name, content_type, data).ok_or_else(|| AppError::field("file", "err-import-format"))?;
    read_sheet(data, format)
}

/// `POST /assets/import` (multipart: `csrf`, `file`, `dry_run`): reads the file and starts the
/// import in the background, then shows its progress.
pub async fn start(
    State(state): State<AppState>,
    ctx: Ctx,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let up = match multipart {
        Ok(m) => read_upload(m).await,
        Err(_) => Err(AppError::field("file", "err-import-file")),
    };
    let up = match up {
        Ok(up) => up,
        Err(e) => return refused(&state, &ctx, e).await,
    };
    // The form's synchronizer token, as `FormData` checks it for other forms.
    if !crate::form::same(&up.csrf, &ctx.csrf()) {
        return ctx.err(AppError::Forbidden { capability: Capability::AssetManage }).into_response();
    }
    let sheet = match parse_file(&up.name, &up.content_type, &up.data) {
        Ok(s) => s,
        Err(e) => return refused(&state, &ctx, e).await,
    };
    // Refuse a caller who may not import before starting anything.
    if let Err(e) = ctx.caller.require_any(Capability::AssetManage) {
        return ctx.err(e).into_response();
    }
    match state.imports.start(&state, ctx.caller.clone(), up.name.clone(), sheet, up.dry_run) {
        Some(id) => see_other(&format!("/assets/import/jobs/{id}")),
        None => ctx.err(AppError::Unauthenticated).into_response(),
    }
}

async fn refused(state: &AppState, ctx: &Ctx, e: AppError) -> Response {
    match e {
        AppError::Invalid(fields) => {
            let (file, lines): (Vec<FieldError>, Vec<FieldError>) = fields.into_iter().partition(|f| f.field == "file");
            let f = FormState::new().errors(&ctx.i, &file);
            let msg = ctx.i.t("asset-import-refused");
            import_page(state, ctx, report(&ctx.i, &lines), f, msg, StatusCode::BAD_REQUEST).await
        }
        other => ctx.err(other).into_response(),
    }
}

#[derive(Template)]
#[template(path = "assets/import_job.html")]
struct JobPage {
    c: Chrome,
    file: String,
    rows: usize,
    dry_run: bool,
    running: bool,
    stage: String,
    done: usize,
    total: usize,
    bucket: String,
    summary: Option<ImportSummary>,
    report: Vec<ReportLine>,
    failure: String,
}

/// Query of the job page: `wait=1` answers only once the job has finished (for scripts and tests).
#[derive(Debug, Deserialize, Default)]
pub struct JobQuery {
    wait: Option<String>,
}

/// `GET /assets/import/jobs/{id}`: the progress, then the outcome, of a background import.
pub async fn job(
    State(state): State<AppState>,
    ctx: Ctx,
    IdPath(id): IdPath<uuid::Uuid>,
    Query(q): Query<JobQuery>,
) -> Response {
    let i = ctx.i;
    let Some(user) = ctx.caller.principal.as_ref().map(|p| p.user_id) else {
        return ctx.err(AppError::Unauthenticated).into_response();
    };
    let Some(job) = state.imports.get(id, user) else { return ctx.err(AppError::NotFound).into_response() };
    if q.wait.is_some() {
        let mut rx = job.done.subscribe();
        // Ends when the job says it is done (the sender lives as long as the job record).
        let _ = rx.wait_for(|d| *d).await;
    }
    let s = job.snapshot();
    let running = !*job.done.borrow();
    let (stage, done, total) = match s.progress {
        Some(p) => (
            i.t(match p.stage {
                ImportStage::Validating => "asset-import-validating",
                ImportStage::Writing => "asset-import-writing",
            }),
            p.done,
            p.total,
        ),
        None => (i.t("asset-import-queued"), 0, job.rows),
    };
    let percent = (done * 100).checked_div(total).unwrap_or(0);
    let (summary, report_lines, failed) = match &s.outcome {
        Some(Ok(sum)) => (Some(*sum), Vec::new(), false),
        Some(Err(fields)) => (None, report(&i, fields), true),
        None => (None, Vec::new(), s.failure.is_some()),
    };
    let failure = s.failure.map(|code| i.t(&format!("err-{code}"))).unwrap_or_default();
    let page = JobPage {
        c: Chrome::new(&ctx, "nav-asset-import", "/assets/import").under("nav-group-assets", "/assets"),
        file: job.file.clone(),
        rows: job.rows,
        dry_run: job.dry_run,
        running,
        stage,
        done,
        total,
        bucket: format!("p{}", (percent.min(100) / 5) * 5),
        summary,
        report: report_lines,
        failure,
    };
    if running {
        let mut r = render(&page);
        r.headers_mut().insert(header::REFRESH, HeaderValue::from_static("1"));
        r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r
    } else if failed {
        render_status(StatusCode::BAD_REQUEST, &page)
    } else {
        render(&page)
    }
}

/// Query of the template download.
#[derive(Debug, Deserialize, Default)]
pub struct TemplateQuery {
    class: Option<String>,
}

/// `GET /assets/import/template.xlsx?class=…`: an empty workbook with the headers of a class
/// (Chinese labels, as the park's sheets have them), a relation sheet, and a sheet that
/// explains every column (which the import skips).
pub async fn template(State(state): State<AppState>, ctx: Ctx, Query(q): Query<TemplateQuery>) -> Response {
    let i = ctx.i;
    let classes = match state.app.assets().classes(&ctx.caller).await {
        Ok(c) => c,
        Err(e) => return ctx.err(e).into_response(),
    };
    let code = q.class.unwrap_or_default();
    let Some(class) = classes.iter().find(|c| c.code == code.trim()) else {
        return ctx.err(AppError::field("class", "err-asset-class")).into_response();
    };
    let fixed: Vec<String> = ASSET_COLUMNS.iter().map(|c| i.t(&format!("asset-column-{c}"))).collect();
    let schema = class.schema();
    let mut headers = fixed.clone();
    let mut help = Vec::new();
    for (c, h) in ASSET_COLUMNS.iter().zip(&fixed) {
        help.push(vec![
            h.clone(),
            (*c).to_owned(),
            i.t(&format!("asset-column-help-{c}")),
            String::new(),
            String::new(),
        ]);
    }
    for d in &schema {
        // A label that another column already uses goes by its code.
        let header = if headers.contains(&d.label) || schema.iter().filter(|x| x.label == d.label).count() > 1 {
            d.code.clone()
        } else {
            d.label.clone()
        };
        let values = match &d.kind {
            parkops_domain::asset::AttributeType::Enum(v) => v.join("、"),
            _ => String::new(),
        };
        help.push(vec![
            header.clone(),
            d.code.clone(),
            format!(
                "{}{}",
                super::desk::label(&i, "attribute-type", d.kind.code()),
                if d.required { " *" } else { "" }
            ),
            d.unit.clone().unwrap_or_default(),
            values,
        ]);
        headers.push(header);
    }
    let relation_headers: Vec<String> = RELATION_COLUMNS.iter().map(|c| i.t(&format!("asset-column-{c}"))).collect();
    let help_headers: Vec<String> =
        ["asset-help-header", "asset-help-code", "asset-help-type", "attribute-unit", "attribute-values"]
            .iter()
            .map(|k| i.t(k))
            .collect();
    let sheets = [
        (i.t("asset-sheet-assets"), headers.as_slice(), &[][..]),
        (i.t("asset-sheet-relations"), relation_headers.as_slice(), &[][..]),
        (i.t("asset-sheet-help"), help_headers.as_slice(), help.as_slice()),
    ];
    match workbook_xlsx(&sheets) {
        Ok(bytes) => crate::export::download(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &format!("parkops-template-{}.xlsx", class.code),
            bytes,
        ),
        Err(e) => {
            tracing::error!(error = %e, "template workbook failed");
            (StatusCode::INTERNAL_SERVER_ERROR, i.t("err-unavailable")).into_response()
        }
    }
}

/// One sheet to write: name, header and rows.
pub type SheetData<'a> = (String, &'a [String], &'a [Vec<String>]);

/// A workbook of several sheets: bold frozen header, every cell written as text.
///
/// # Errors
/// When the writer fails (it works in memory, so only on a bug).
pub fn workbook_xlsx(sheets: &[SheetData<'_>]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    for (name, header, rows) in sheets {
        let ws = book.add_worksheet();
        ws.set_name(name)?;
        for (c, h) in header.iter().enumerate() {
            let col = u16::try_from(c).unwrap_or(u16::MAX);
            ws.write_string_with_format(0, col, h, &bold)?;
            let widest = rows.iter().take(1000).filter_map(|r| r.get(c)).map(|v| v.chars().count()).max().unwrap_or(0);
            let width = widest.max(h.chars().count() * 2).clamp(8, 48);
            ws.set_column_width(col, f64::from(u32::try_from(width).unwrap_or(48)) * 1.2)?;
        }
        for (r, row) in rows.iter().enumerate() {
            let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
            for (c, v) in row.iter().enumerate() {
                ws.write_string(r, u16::try_from(c).unwrap_or(u16::MAX), v)?;
            }
        }
        ws.set_freeze_panes(1, 0)?;
    }
    book.save_to_buffer()
}
