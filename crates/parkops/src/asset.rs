//! `parkops asset import FILE` and `parkops asset export FILE`: the asset register's sheets at
//! the server's console. An import acts as a named user (`--as`), whose rights apply and whose
//! name goes into the audit record; it prints its progress (rows done / total) on stderr and
//! the report on stdout, and exits 1 with the report when the file has problems — nothing is
//! written then. Messages are the web's Chinese ones.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::{Context, bail};
use parkops_app::asset::{AssetQuery, ImportProgress, ImportStage};
use parkops_app::{AppError, Caller};
use parkops_web::i18n::{I18n, Lang};
use parkops_web::pages::assets_import::{parse_file, report, workbook_xlsx};

use crate::cli::{AssetExportArgs, AssetImportArgs};
use crate::config::DataSettings;
use crate::wiring;

/// Exit code of an import refused for problems in the file.
const REFUSED: u8 = 1;

async fn caller(app: &parkops_app::App, username: &str) -> anyhow::Result<Result<Caller, String>> {
    let Some(user) = app.store.user_by_username(username.trim()).await.context("cannot read users")? else {
        return Ok(Err(format!("用户“{}”不存在 [user]", username.trim())));
    };
    if !user.is_active {
        return Ok(Err(format!("用户“{}”已停用 [user]", user.username)));
    }
    let principal = app.principal_of(&user).await.context("cannot read the user's posts")?;
    Ok(Ok(Caller { principal: Some(principal), ip: "cli".into(), request_id: "cli".into() }))
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("csv" | "txt") => "text/csv",
        _ => "",
    }
}

/// `parkops asset import FILE [--dry-run] --as USER`.
///
/// # Errors
/// When the file or the database cannot be read; problems in the file are a report with exit 1.
pub async fn import(args: AssetImportArgs) -> anyhow::Result<ExitCode> {
    let i = I18n { lang: Lang::ZhCn };
    let data = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let settings = DataSettings::from_args(&args.db)?;
    let db = wiring::open_migrated(&settings).await?;
    let mut app = wiring::app(&db, &settings.data_dir, 1000)?;
    wiring::settle_origin(&mut app, &settings.data_dir).await?;
    let caller = match caller(&app, &args.user).await? {
        Ok(c) => c,
        Err(line) => return refused(&[line]),
    };
    let name = args.file.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
    let sheet = match parse_file(&name, content_type(&args.file), &data) {
        Ok(s) => s,
        Err(AppError::Invalid(fields)) => return print_report(&i, &fields),
        Err(e) => return Err(e).context("cannot read the file"),
    };
    let rows = sheet.assets.len() + sheet.relations.len();
    eprintln!("{}：{} 行资产，{} 行关系", args.file.display(), sheet.assets.len(), sheet.relations.len());
    // Progress on stderr: one line per report (every 1,000 rows validated, every 5,000 written).
    let last = Mutex::new(None::<(ImportStage, usize)>);
    let progress = |p: ImportProgress| {
        let Ok(mut l) = last.lock() else { return };
        if *l == Some((p.stage, p.done)) {
            return;
        }
        *l = Some((p.stage, p.done));
        let stage = match p.stage {
            ImportStage::Validating => "校验",
            ImportStage::Writing => "写入",
        };
        eprintln!("{stage} {}/{}", p.done, p.total);
    };
    let started = std::time::Instant::now();
    let register = app.assets();
    let result = if args.dry_run {
        register.check_import(&caller, &sheet, &progress).await
    } else {
        register.import(&caller, &sheet, &progress).await
    };
    let elapsed = started.elapsed();
    // A large import refreshes the planner's statistics after it answers: let that finish
    // before the process ends.
    db.statistics_settled().await;
    match result {
        Ok(s) => {
            let mut out = std::io::stdout().lock();
            let verb = if args.dry_run { "校验通过（仅校验，未写入）" } else { "导入完成" };
            writeln!(
                out,
                "{verb}：新增 {}，更新 {}，无变化 {}；新增关系 {}，已有关系 {}",
                s.created, s.updated, s.unchanged, s.relations_added, s.relations_unchanged
            )?;
            #[allow(clippy::cast_precision_loss, reason = "a rate shown to the operator")]
            let rate = rows as f64 / elapsed.as_secs_f64().max(0.001);
            eprintln!("用时 {:.1} 秒（{rate:.0} 行/秒）", elapsed.as_secs_f64());
            Ok(ExitCode::SUCCESS)
        }
        Err(AppError::Invalid(fields)) => print_report(&i, &fields),
        Err(AppError::Forbidden { .. }) => {
            refused(&[format!("用户“{}”无权维护资产台账 [forbidden]", args.user.trim())])
        }
        Err(e) => Err(e).context("cannot import"),
    }
}

/// The report on stdout as tab-separated lines (sheet, row, column, message); exit 1.
fn print_report(i: &I18n, fields: &[parkops_app::FieldError]) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "导入文件有误，未写入任何数据。共 {} 个问题：", fields.len())?;
    writeln!(out, "工作表\t行\t列\t问题")?;
    for l in report(i, fields) {
        writeln!(out, "{}\t{}\t{}\t{}", l.sheet, l.row, l.column, l.message)?;
    }
    Ok(ExitCode::from(REFUSED))
}

fn refused(lines: &[String]) -> anyhow::Result<ExitCode> {
    let mut err = std::io::stderr().lock();
    for l in lines {
        writeln!(err, "{l}")?;
    }
    Ok(ExitCode::from(REFUSED))
}

/// `parkops asset export FILE --as USER`: `.xlsx` writes the CI and relation sheets, `.csv`
/// the CI sheet; either imports back unchanged.
///
/// # Errors
/// When the database cannot be read or the file cannot be written.
pub async fn export(args: AssetExportArgs) -> anyhow::Result<ExitCode> {
    let i = I18n { lang: Lang::ZhCn };
    let xlsx = match args.file.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("xlsx") => true,
        Some("csv") => false,
        _ => bail!("the file name must end in .xlsx or .csv"),
    };
    let settings = DataSettings::from_args(&args.db)?;
    let db = wiring::open_migrated(&settings).await?;
    let mut app = wiring::app(&db, &settings.data_dir, 1000)?;
    wiring::settle_origin(&mut app, &settings.data_dir).await?;
    let caller = match caller(&app, &args.user).await? {
        Ok(c) => c,
        Err(line) => return refused(&[line]),
    };
    let query = AssetQuery { classes: args.class.clone().into_iter().collect(), ..AssetQuery::default() };
    let book = app.assets().export(&caller, &query).await.context("cannot export")?;
    let bytes = if xlsx {
        let sheets = [
            (i.t("asset-sheet-assets"), book.assets.columns.as_slice(), book.assets.rows.as_slice()),
            (i.t("asset-sheet-relations"), book.relations.columns.as_slice(), book.relations.rows.as_slice()),
        ];
        workbook_xlsx(&sheets).context("cannot write the workbook")?
    } else {
        parkops_web::export::csv(&book.assets.columns, &book.assets.rows).into_bytes()
    };
    std::fs::write(&args.file, bytes).with_context(|| format!("cannot write {}", args.file.display()))?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "已导出 {} 个资产、{} 条关系到 {}",
        book.assets.rows.len(),
        book.relations.rows.len(),
        args.file.display()
    )?;
    if !xlsx && !book.relations.rows.is_empty() {
        writeln!(out, "注意：CSV 只含资产表；需要关系时请导出为 .xlsx")?;
    }
    Ok(ExitCode::SUCCESS)
}
