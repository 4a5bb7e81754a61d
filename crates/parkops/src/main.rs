//! ParkOps, the binary: configuration, wiring, subcommands and shutdown.
//!
//! Key modules: [`cli`] (the command line, the only reader of the environment), [`config`]
//! (typed settings), [`wiring`] (database + app), [`serve`] (listeners, scheduler, signals),
//! [`user`] and [`audit`] (operator commands), [`keys`] (the audit signing key files).
//!
//! Never: business rules, SQL or HTML here — this crate only wires the others together.

/// jemalloc instead of glibc's allocator (ADR 0014): the import of 100,000 CIs on SQLite took
/// 7.4–7.9 s with it against 10.5–10.7 s, where a quarter of the time went to glibc's `malloc`.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

// Asset register (issue #4).
mod asset;
mod audit;
mod cli;
mod config;
mod keys;
mod logging;
mod messages;
mod notifier;
mod serve;
mod user;
mod wiring;

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use crate::cli::{AssetCommand, AuditCommand, Cli, Command, UserCommand};
use crate::config::{DataSettings, ServeSettings};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let is_serve = matches!(cli.command, Command::Serve(_));
    logging::init(cli.log_format, if is_serve { "info" } else { "warn" });
    // One TLS provider for the whole process (listener, database, HTTP clients): ring, no C toolchain.
    if rustls::crypto::ring::default_provider().install_default().is_err() {
        tracing::debug!("a TLS crypto provider was already installed");
    }
    match run(cli.command).await {
        Ok(code) => code,
        Err(e) => {
            // The server reports through its log (maybe JSON); a command talks to the operator.
            if is_serve {
                tracing::error!(error = format!("{e:#}"), "serve failed");
            } else {
                eprintln!("error: {e:#}");
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => {
            let settings = ServeSettings::from_args(&args)?;
            serve::run(settings).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate(args) => {
            let data = DataSettings::from_args(&args)?;
            wiring::open_migrated(&data).await?;
            writeln!(std::io::stdout().lock(), "migrations applied to {:?}", data.database)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo(args) => demo(&args).await,
        Command::User(UserCommand::Create(args)) => user::create(args).await,
        Command::User(UserCommand::SetPassword(args)) => user::set_password(args).await,
        Command::Audit(AuditCommand::Verify(args)) => Ok(audit::verify(args).await),
        Command::Audit(AuditCommand::ExportCheckpoints(args)) => audit::export(args).await,
        Command::Audit(AuditCommand::Checkpoint(args)) => audit::checkpoint(args).await,
        Command::Asset(AssetCommand::Import(args)) => asset::import(args).await,
        Command::Asset(AssetCommand::Export(args)) => asset::export(args).await,
    }
}

async fn demo(args: &cli::DbArgs) -> anyhow::Result<ExitCode> {
    let data = DataSettings::from_args(args)?;
    let db = wiring::open_migrated(&data).await?;
    let app = wiring::app(&db, &data.data_dir, 1000)?;
    let loaded = app.load_demo(&parkops_app::Caller::command_line()).await.context("cannot load the demo park")?;
    app.load_demo_history(&parkops_app::Caller::command_line()).await.context("cannot load the demo park's history")?;
    // The planner's statistics of the demo's bulk writes are refreshed after their commit: let
    // that finish before the process ends.
    db.statistics_settled().await;
    let mut out = std::io::stdout().lock();
    if loaded {
        let users = app.store.count_users().await.context("cannot count users")?;
        writeln!(
            out,
            "已载入演示园区“江滨新材料化工园区”（{users} 个用户，演示账号密码：{}）",
            parkops_app::demo::DEMO_PASSWORD
        )?;
    } else {
        writeln!(out, "演示园区已存在，未做修改")?;
    }
    Ok(ExitCode::SUCCESS)
}
