//! Figure 4: login latency, at three depths.
//!
//! 1. argon2id verification alone (`parkops_app::secret::verify_password`), correct and wrong
//!    password: the cost that dominates a login.
//! 2. The login use case in process (`App::login` on a SQLite demo park): correct password,
//!    unknown user and wrong password, interleaved so the next correct login resets the failure
//!    count and the account never locks. No HTTP, hence no rate limit.
//! 3. Real `POST /login` requests to a spawned `parkops serve --demo`. The server allows 10
//!    logins per minute per address (G9), and a benchmark cannot advance a real clock, so at
//!    most 10 are sent: enough to see the HTTP overhead, not enough for a meaningful p99.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use clap::Args;
use parkops_app::demo::DEMO_PASSWORD;
use parkops_app::secret::{hash_password, verify_password};
use parkops_app::{AppError, Caller};
use parkops_store::{DatabaseUrl, Db};

use crate::fixture;
use crate::report::{Summary, Table, say};
use crate::server::{self, Server};
use crate::work::WorkDir;

/// `parkops-bench login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Iterations of the argon2 and in-process measurements (each case).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1000))]
    iterations: u32,
    /// Real HTTP logins (the server's login rate limit is 10 per minute per address).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(0..=10))]
    http_logins: u32,
    /// The `parkops` binary to serve (default: the debug build next to this one or under
    /// `$CARGO_TARGET_DIR`).
    #[arg(long = "bin")]
    bin: Option<PathBuf>,
    /// Where the data goes (default: the system temporary directory).
    #[arg(long)]
    work_dir: Option<PathBuf>,
}

/// The demo account used.
const USER: &str = "jb.manager";
/// Goal G12: one argon2 hash costs at most this on the build machine.
const HASH_CAP: Duration = Duration::from_millis(150);

/// Runs the benchmark.
///
/// # Errors
/// When a login does not behave as expected or the server cannot be run.
pub async fn run(args: LoginArgs) -> anyhow::Result<()> {
    crate::report::context("login")?;
    let n = args.iterations;
    let mut table = Table::new(
        format!("Login latency (ms); {n} iterations per in-process case, {} real HTTP logins", args.http_logins),
        &["measurement", "n", "p50", "p95", "p99", "max", "mean"],
    );
    let mut add = |label: &str, samples: &[Duration]| {
        let s = Summary::of(samples);
        let mut cells = vec![label.to_owned()];
        cells.extend(s.cells());
        table.row(cells);
        s
    };

    // 1. argon2 alone, on a blocking thread.
    let (good, bad) = tokio::task::spawn_blocking(move || argon2_samples(n)).await??;
    let argon_good = add("argon2id verify, correct password", &good);
    let argon_bad = add("argon2id verify, wrong password", &bad);

    // 2. The use case in process.
    let dir = WorkDir::new(args.work_dir.as_deref(), "login")?;
    let (ok, unknown, wrong) = in_process(&dir, n).await.context("in-process logins")?;
    add("App::login, correct password", &ok);
    let s_unknown = add("App::login, unknown user", &unknown);
    let s_wrong = add("App::login, wrong password", &wrong);

    // 3. Real HTTP logins.
    let mut http_note = None;
    if args.http_logins > 0 {
        let bin = match args.bin {
            Some(b) => b,
            None => server::parkops_binary("debug").context("no parkops binary found; build it or pass --bin")?,
        };
        let data = WorkDir::new(args.work_dir.as_deref(), "login-serve")?;
        let (samples, note) = http_logins(&bin, data.path(), args.http_logins).await?;
        add(&format!("POST /login over HTTP ({} build)", server::profile_of(&bin)), &samples);
        http_note = Some(note);
    }

    table.print()?;
    say("")?;
    let cap = if argon_good.p50 <= HASH_CAP { "meets" } else { "MISSES" };
    say(format!(
        "G12: argon2id verification median {:.1} ms — {cap} the cap of ≤ {} ms",
        argon_good.p50.as_secs_f64() * 1e3,
        HASH_CAP.as_millis()
    ))?;
    let spread = |a: Duration, b: Duration| {
        let (a, b) = (a.as_secs_f64(), b.as_secs_f64());
        100.0 * (a - b).abs() / a.min(b).max(1e-9)
    };
    let g9 = spread(s_unknown.p50, s_wrong.p50);
    say(format!(
        "G9: unknown-user and wrong-password medians differ by {g9:.1} % in process ({}; goal < 10 %); \
         argon2 correct vs wrong {:.1} %",
        if g9 < 10.0 { "meets" } else { "MISSES" },
        spread(argon_good.p50, argon_bad.p50)
    ))?;
    if let Some(note) = http_note {
        say(note)?;
    }
    crate::report::context("done")?;
    Ok(())
}

fn argon2_samples(n: u32) -> anyhow::Result<(Vec<Duration>, Vec<Duration>)> {
    let phc = hash_password(DEMO_PASSWORD);
    ensure!(verify_password(DEMO_PASSWORD, &phc), "warm-up verification failed");
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let t = Instant::now();
        ensure!(verify_password(DEMO_PASSWORD, &phc), "correct password refused");
        good.push(t.elapsed());
        let t = Instant::now();
        ensure!(!verify_password("Jiangbin@2027", &phc), "wrong password accepted");
        bad.push(t.elapsed());
    }
    Ok((good, bad))
}

type Samples = Vec<Duration>;

async fn in_process(dir: &WorkDir, n: u32) -> anyhow::Result<(Samples, Samples, Samples)> {
    let db = Db::connect(&DatabaseUrl::Sqlite(dir.path().join("parkops.db"))).await?;
    db.migrate().await?;
    let app = fixture::app(&db);
    ensure!(app.load_demo(&Caller::command_line()).await?, "demo park not loaded");
    let caller = Caller::anonymous("127.0.0.1", "bench");
    // Warm-up: statement caches and the lazily computed dummy hash for unknown users.
    app.login(&caller, USER, DEMO_PASSWORD).await?;
    let _ = app.login(&caller, "nobody", DEMO_PASSWORD).await;
    let (mut ok, mut unknown, mut wrong) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let t = Instant::now();
        app.login(&caller, USER, DEMO_PASSWORD).await.context("correct password")?;
        ok.push(t.elapsed());
        let t = Instant::now();
        let r = app.login(&caller, "jb.nobody", DEMO_PASSWORD).await;
        unknown.push(t.elapsed());
        ensure!(matches!(r, Err(AppError::LoginRefused)), "unknown user: {r:?}");
        let t = Instant::now();
        let r = app.login(&caller, USER, "Jiangbin@2027").await;
        wrong.push(t.elapsed());
        ensure!(matches!(r, Err(AppError::LoginRefused)), "wrong password: {r:?}");
    }
    db.pool().close().await;
    Ok((ok, unknown, wrong))
}

async fn http_logins(bin: &std::path::Path, data: &std::path::Path, count: u32) -> anyhow::Result<(Samples, String)> {
    let server = Server::start(bin, data).await?;
    server.wait_healthy().await?;
    let addr = server.addr;
    // Warm-up outside the login budget: the login page (a different rate class).
    let page = server::request(addr, "GET", "/login", &[], b"").await?;
    ensure!(page.status == 200, "GET /login answered {}", page.status);
    let origin = format!("http://{addr}");
    let body = format!("username={USER}&password={}", DEMO_PASSWORD.replace('@', "%40"));
    let headers = [
        ("Origin", origin),
        ("Content-Type", "application/x-www-form-urlencoded".to_owned()),
        ("Accept-Language", "zh-CN".to_owned()),
    ];
    let mut samples = Vec::new();
    for i in 0..count {
        let t = Instant::now();
        let r = server::request(addr, "POST", "/login", &headers, body.as_bytes()).await?;
        let elapsed = t.elapsed();
        if r.status == 429 {
            bail!("login {} of {count} was rate limited (429): the limit is 10 per minute per address", i + 1);
        }
        ensure!(r.status == 303, "login {} answered {} instead of 303:\n{}", i + 1, r.status, server.log());
        samples.push(elapsed);
    }
    let status = server.stop().await?;
    let note = format!(
        "HTTP: {count} sequential logins of {USER} to {} on {addr}, each on a new connection, timed from connect to \
         the full 303 answer; the server exited with {status} on SIGTERM. The login rate limit (10 per minute per \
         address) caps the sample, so its p95/p99 are simply its largest values.",
        bin.display()
    );
    Ok((samples, note))
}
