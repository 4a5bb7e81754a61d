//! `parkops serve`: migrate, check durability, wire the app, then run the web listener(s)
//! and the job scheduler until a signal, with one cancellation token for all of them.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use axum_server::tls_rustls::RustlsConfig;
use parkops_app::notify::Notifier;
use parkops_app::{App, Caller};
use parkops_jobs::Schedule;
use parkops_store::Db;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::{ServeSettings, TlsFiles};
use crate::notifier::ChannelNotifier;
use crate::wiring;

/// How often a `serve` that does not hold the jobs lock asks for it again.
const SINGLETON_RETRY: Duration = Duration::from_secs(30);

/// Runs the server until SIGINT or SIGTERM (or until a part of it fails).
///
/// # Errors
/// When startup fails (database, durability, key, TLS files, listener) or the server fails.
pub async fn run(settings: ServeSettings) -> anyhow::Result<()> {
    let db = wiring::open_migrated(&settings.data).await?;
    check_durability(&db).await?;
    let mut app = wiring::app(&db, &settings.data.data_dir, settings.checkpoint_every)?;
    if settings.demo {
        if app.load_demo(&Caller::command_line()).await.context("cannot load the demo park")? {
            tracing::info!("demo park loaded");
        } else {
            tracing::info!("demo park already present");
        }
        app.load_demo_history(&Caller::command_line()).await.context("cannot load the demo park's history")?;
    }
    wiring::settle_origin(&mut app, &settings.data.data_dir).await?;
    if app.has_demo().await.context("cannot read the parks")? {
        tracing::warn!(
            "the demo park is present: its 95 accounts share the password published in the README; \
             use this installation for trial only, never for a real park"
        );
    }
    if app.store.count_users().await.context("cannot count users")? == 0 {
        tracing::info!("empty database: the web UI offers to load the demo park");
    }
    let tls = match &settings.tls {
        Some(files) => Some(tls_config(files).await?),
        None => None,
    };

    // Built before anything listens: the HTTP client of the notification channels, and the
    // signal handlers, so a SIGTERM arriving as soon as the port is open is never lost.
    let notifier: Arc<dyn Notifier> = Arc::new(ChannelNotifier::new(settings.notify_allow_loopback)?);
    let mut signals = Signals::install()?;
    // Migrations ran above: only now does anything listen.
    let cancel = CancellationToken::new();
    // One metrics registry, fed by the web router and read on the metrics listener.
    let (web, metrics_router) = parkops_web::routers(app.clone(), settings.web_config());
    let mut server = spawn_listener("web", settings.listen, web, tls.clone(), &cancel, settings.shutdown_grace)?;
    let mut metrics = match settings.metrics_listen {
        Some(addr) => Some(spawn_listener("metrics", addr, metrics_router, tls, &cancel, settings.shutdown_grace)?),
        None => None,
    };
    let mut jobs = tokio::spawn(run_jobs(db, app, notifier, settings.jobs.schedules(), cancel.clone()));

    // `main` of the server: whichever part ends first, or a signal, stops them all.
    let (mut server_done, mut metrics_done, mut jobs_done) = (false, metrics.is_none(), false);
    let mut failure = None;
    tokio::select! {
        ended = &mut server => {
            server_done = true;
            failure = ended_early("web server", ended);
        }
        ended = async { match metrics.as_mut() { Some(h) => h.await, None => std::future::pending().await } } => {
            metrics_done = true;
            failure = ended_early("metrics server", ended);
        }
        ended = &mut jobs => {
            jobs_done = true;
            failure = ended_early("job scheduler", ended.map(|()| Ok(())));
        }
        signal = signals.next() => match signal {
            Ok(name) => tracing::info!(signal = name, "shutdown requested"),
            Err(e) => failure = Some(e.context("cannot listen for shutdown signals")),
        },
    }
    cancel.cancel();
    // Every part got the same token: wait for the rest, bounded.
    let rest = async {
        if !server_done {
            log_end("web server", server.await);
        }
        if let (false, Some(m)) = (metrics_done, metrics) {
            log_end("metrics server", m.await);
        }
        if !jobs_done {
            log_end("job scheduler", jobs.await.map(|()| Ok(())));
        }
    };
    if tokio::time::timeout(settings.shutdown_grace + Duration::from_secs(5), rest).await.is_err() {
        tracing::warn!("shutdown grace period over; exiting with work still open");
    }
    match failure {
        Some(e) => Err(e),
        None => {
            tracing::info!("shut down cleanly");
            Ok(())
        }
    }
}

/// Logs the durability settings and refuses weaker ones (reliability goal G2: nothing
/// acknowledged is lost on power failure).
async fn check_durability(db: &Db) -> anyhow::Result<()> {
    let pragmas: BTreeMap<String, i64> =
        db.durability().await.context("cannot read the durability settings")?.into_iter().collect();
    if pragmas.is_empty() {
        tracing::info!(backend = ?db.backend(), "durability is the database server's");
        return Ok(());
    }
    tracing::info!(
        synchronous = pragmas.get("synchronous"),
        journal_mode_wal = pragmas.get("journal_mode_wal"),
        foreign_keys = pragmas.get("foreign_keys"),
        secure_delete = pragmas.get("secure_delete"),
        "SQLite durability settings"
    );
    if pragmas.get("synchronous") != Some(&2) {
        bail!("SQLite runs with synchronous={:?}, not FULL (2): refusing to start", pragmas.get("synchronous"));
    }
    if pragmas.get("journal_mode_wal") != Some(&1) {
        bail!("SQLite is not in WAL mode (the file system may not support it): refusing to start");
    }
    Ok(())
}

async fn tls_config(files: &TlsFiles) -> anyhow::Result<RustlsConfig> {
    RustlsConfig::from_pem_file(&files.cert, &files.key).await.with_context(|| {
        format!("cannot load TLS certificate {} and key {}", files.cert.display(), files.key.display())
    })
}

/// Binds `addr` now (so a busy port fails startup) and serves `router` on it until `cancel`.
fn spawn_listener(
    name: &'static str,
    addr: SocketAddr,
    router: axum::Router,
    tls: Option<RustlsConfig>,
    cancel: &CancellationToken,
    grace: Duration,
) -> anyhow::Result<JoinHandle<anyhow::Result<()>>> {
    let listener = std::net::TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr} ({name})"))?;
    let local = listener.local_addr().context("listener address")?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(listener = name, addr = %local, url = format!("{scheme}://{local}/"), "listening");
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    let cancel = cancel.clone();
    tokio::spawn(async move {
        cancel.cancelled().await;
        stopper.graceful_shutdown(Some(grace));
    });
    // Handlers see the peer address (audit records name the source IP).
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    Ok(tokio::spawn(async move {
        match tls {
            Some(config) => axum_server::from_tcp_rustls(listener, config)?.handle(handle).serve(service).await,
            None => axum_server::from_tcp(listener)?.handle(handle).serve(service).await,
        }
        .with_context(|| format!("{name} listener on {local} failed"))
    }))
}

/// Runs the jobs while this instance holds the singleton lock, so several instances on one
/// PostgreSQL run each job once; asks again every 30 s while another instance holds it.
async fn run_jobs(db: Db, app: App, notifier: Arc<dyn Notifier>, jobs: Vec<Schedule>, cancel: CancellationToken) {
    let guard = loop {
        match db.try_singleton(parkops_jobs::SINGLETON_KEY).await {
            Ok(Some(guard)) => break guard,
            Ok(None) => tracing::info!(retry = ?SINGLETON_RETRY, "another instance runs the background jobs"),
            Err(e) => tracing::warn!(error = %e, retry = ?SINGLETON_RETRY, "cannot ask for the background-jobs lock"),
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(SINGLETON_RETRY) => {}
        }
    };
    tracing::info!("this instance runs the background jobs");
    parkops_jobs::run(app, notifier, jobs, cancel).await;
    drop(guard);
}

/// SIGINT (Ctrl-C) and SIGTERM, taken over before the server listens.
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    /// Takes over SIGINT and SIGTERM from their default (ending the process at once).
    fn install() -> anyhow::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self { interrupt: signal(SignalKind::interrupt())?, terminate: signal(SignalKind::terminate())? })
    }

    /// The next signal's name.
    async fn next(&mut self) -> anyhow::Result<&'static str> {
        tokio::select! {
            _ = self.interrupt.recv() => Ok("SIGINT"),
            _ = self.terminate.recv() => Ok("SIGTERM"),
        }
    }
}

/// A part that ended before shutdown was asked for: always a failure worth stopping for.
fn ended_early(name: &str, ended: Result<anyhow::Result<()>, tokio::task::JoinError>) -> Option<anyhow::Error> {
    let e = match ended {
        Ok(Ok(())) => anyhow::anyhow!("{name} stopped unexpectedly"),
        Ok(Err(e)) => e,
        Err(e) => anyhow::Error::new(e).context(format!("{name} panicked")),
    };
    tracing::error!(part = name, error = format!("{e:#}"), "a part of the server ended; shutting down the rest");
    Some(e)
}

fn log_end(name: &str, ended: Result<anyhow::Result<()>, tokio::task::JoinError>) {
    match ended {
        Ok(Ok(())) => tracing::info!(part = name, "stopped"),
        Ok(Err(e)) => tracing::error!(part = name, error = format!("{e:#}"), "stopped with an error"),
        Err(e) => tracing::error!(part = name, error = %e, "panicked"),
    }
}
