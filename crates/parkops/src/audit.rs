//! `parkops audit verify | export-checkpoints | checkpoint` (R-8.1.2d).

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use parkops_app::audit::verify_store;
use parkops_domain::audit::{Checkpoint, export_checkpoints, parse_checkpoints};

use crate::cli::{DbArgs, ExportArgs, VerifyArgs};
use crate::config::DataSettings;
use crate::{keys, wiring};

/// Exit status of `audit verify` when the chain or a checkpoint is broken.
const EXIT_BROKEN: u8 = 1;
/// Exit status of `audit verify` when it could not verify (usage, I/O, database).
const EXIT_CANNOT_VERIFY: u8 = 2;

/// `parkops audit verify`: 0 intact, 1 broken (naming the first bad seq), 2 cannot verify.
pub async fn verify(args: VerifyArgs) -> ExitCode {
    match verify_inner(args).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: cannot verify the audit chain: {e:#}");
            ExitCode::from(EXIT_CANNOT_VERIFY)
        }
    }
}

async fn verify_inner(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let data = DataSettings::from_args(&args.db)?;
    let external = match &args.checkpoints {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            let (origin, key, checkpoints) = parse_checkpoints(&text).with_context(|| path.display().to_string())?;
            Some((origin, key, checkpoints))
        }
        None => None,
    };
    let key = keys::verifying_key(&data.data_dir, args.public_key.as_deref())?;
    let db = wiring::open_existing(&data).await?;
    // The origin recorded with the key; else the one the exported file names; else what
    // the installation would derive (first park's code).
    let origin = match (keys::recorded_origin(&data.data_dir)?, &external) {
        (Some(origin), _) => origin,
        (None, Some((origin, _, _))) => origin.clone(),
        (None, None) => keys::derived_origin(&db).await?,
    };
    let mut err = std::io::stderr().lock();
    if let Some((file_origin, file_key, _)) = &external {
        if *file_origin != origin {
            writeln!(err, "warning: the checkpoint file is for origin {file_origin}, verifying for {origin}")?;
        }
        if file_key.to_hex() != key.to_hex() {
            writeln!(
                err,
                "warning: the checkpoint file names public key {}, verifying with {}",
                file_key.to_hex(),
                key.to_hex()
            )?;
        }
    }
    let external: Vec<Checkpoint> = external.map(|(_, _, c)| c).unwrap_or_default();

    let started = Instant::now();
    let report = verify_store(&db, &key, &origin, &external).await.context("cannot read the audit chain")?;
    let seconds = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss, reason = "a rate for display")]
    let megabytes = report.bytes as f64 / 1_000_000.0;
    let rate = if seconds > 0.0 { megabytes / seconds } else { 0.0 };

    let mut out = std::io::stdout().lock();
    writeln!(out, "database: {:?}", data.database)?;
    writeln!(out, "origin: {origin}")?;
    writeln!(out, "public key: {}", key.to_hex())?;
    writeln!(out, "records checked: {}", report.records)?;
    writeln!(out, "checkpoints checked: {} ({} from file)", report.checkpoints, external.len())?;
    writeln!(out, "hashed: {megabytes:.2} MB in {seconds:.3} s ({rate:.1} MB/s)")?;
    match report.result {
        Ok(()) => {
            writeln!(out, "result: intact (审计链完整)")?;
            Ok(ExitCode::SUCCESS)
        }
        Err(chain_break) => {
            writeln!(out, "result: BROKEN (审计链被篡改): {chain_break}")?;
            writeln!(out, "first bad seq: {}", chain_break.first_bad_seq())?;
            writeln!(err, "audit chain broken: {chain_break}")?;
            Ok(ExitCode::from(EXIT_BROKEN))
        }
    }
}

/// `parkops audit export-checkpoints`.
///
/// # Errors
/// When the key, the database or the output cannot be used.
pub async fn export(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let data = DataSettings::from_args(&args.db)?;
    let key = keys::verifying_key(&data.data_dir, None)?;
    let db = wiring::open_existing(&data).await?;
    let origin = match keys::recorded_origin(&data.data_dir)? {
        Some(origin) => origin,
        None => keys::derived_origin(&db).await?,
    };
    let checkpoints = parkops_app::ports::Store::checkpoints(&db).await.context("cannot read the checkpoints")?;
    let text = export_checkpoints(&origin, &key, &checkpoints);
    // The export is recorded like the one from the audit page (等保 8.1.4.3a).
    let mut tx = parkops_app::ports::Store::begin(&db).await.context("cannot record the export")?;
    let detail = format!("{{\"checkpoints\":{}}}", checkpoints.len());
    let entry = parkops_app::Caller::command_line().entry(
        "audit.checkpoints_export",
        "audit",
        "",
        parkops_domain::audit::Outcome::Success,
        detail,
    );
    tx.audit(entry, parkops_app::clock::Clock::now(&parkops_app::clock::SystemClock))
        .await
        .context("cannot record the export")?;
    tx.commit().await.context("cannot record the export")?;
    match &args.out {
        Some(path) => {
            std::fs::write(path, &text).with_context(|| format!("cannot write {}", path.display()))?;
            writeln!(std::io::stderr().lock(), "{} checkpoints written to {}", checkpoints.len(), path.display())?;
        }
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `parkops audit checkpoint`: signs one now, if any record came since the last.
///
/// # Errors
/// When the key or the database cannot be used, or the key did not sign earlier checkpoints.
pub async fn checkpoint(args: DbArgs) -> anyhow::Result<ExitCode> {
    let data = DataSettings::from_args(&args)?;
    let db = wiring::open_migrated(&data).await?;
    let mut app = wiring::app(&db, &data.data_dir, 1000)?;
    wiring::settle_origin(&mut app, &data.data_dir).await?;
    let mut out = std::io::stdout().lock();
    match app.checkpoint_if_due(true).await.context("cannot sign a checkpoint")? {
        Some(cp) => writeln!(out, "checkpoint signed at seq {} for origin {}", cp.seq, app.audit_origin)?,
        None => writeln!(out, "no new audit records since the last checkpoint; nothing signed")?,
    }
    Ok(ExitCode::SUCCESS)
}
