//! Service desk figure 1: ticket creation latency at a fixed request rate.
//!
//! Starts the real server (`parkops serve --demo` on a loopback port, SQLite in a fresh data
//! directory or, with `--database-url`, a fresh PostgreSQL schema), logs in once as `jb.op01`
//! through `POST /api/v1/session`, creates an API token, and then sends `POST /api/v1/tickets`
//! open-loop: request i is due at start + i / rate whatever happened to earlier ones, and its
//! latency runs from that due time to the end of the answer, so a stalled server shows in the
//! figures instead of slowing the load down (no coordinated omission). The requests go over
//! keep-alive connections from `--addresses` loopback source addresses 127.0.0.2, 127.0.0.3, …
//! (request i from address i mod N, each address with its own small connection pool): the
//! server allows 600 requests per minute per address in its normal rate class (a bucket of
//! 600 refilled at 10 per second), and the load must stay inside that budget on every address.
//! Afterwards the ticket count seen through the API must have grown by the number of 201s.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use clap::Args;
use parkops_store::{DatabaseUrl, Db};
use serde_json::json;
use sqlx::Row;
use tokio::sync::Semaphore;

use crate::report::{Summary, Table, per_sec, say, secs};
use crate::schema::FreshSchema;
use crate::server::{self, Conn, Server};
use crate::session::{self, Credentials};
use crate::work::WorkDir;

/// `parkops-bench create-ticket`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Requests per second, fixed (open loop).
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=2_000))]
    rate: u64,
    /// Seconds of load.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=120))]
    seconds: u64,
    /// Loopback source addresses (127.0.0.2 onwards) the requests are spread over.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u8).range(1..=250))]
    addresses: u8,
    /// Most connections open at once per source address.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    connections: u32,
    /// Untimed requests per source address before the load (statement caches, connections).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=20))]
    warmup: u64,
    /// PostgreSQL server (`postgres://…`): the server runs in a fresh schema of it, dropped
    /// afterwards. Without it the server runs on SQLite in a fresh data directory.
    #[arg(long)]
    database_url: Option<String>,
    /// The `parkops` binary to serve (default: the build of this tool's profile next to it or
    /// under `$CARGO_TARGET_DIR`).
    #[arg(long = "bin")]
    bin: Option<PathBuf>,
    /// Where the data directory goes (default: the system temporary directory; a real disk).
    #[arg(long)]
    work_dir: Option<PathBuf>,
}

/// The demo account that opens the tickets (一线 operator).
const USER: &str = "jb.op01";
/// The server's normal rate class: bucket size and refill per second, per address.
const BUCKET: u64 = 600;
const REFILL_PER_SEC: u64 = 10;
/// Goals: p99 below this, by engine.
const GOAL_SQLITE: Duration = Duration::from_millis(20);
const GOAL_POSTGRES: Duration = Duration::from_millis(30);

/// The binary of this tool's own build profile, unless one is given.
pub fn serve_binary(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let profile = if cfg!(debug_assertions) { "debug" } else { "release" };
    match given {
        Some(b) => Ok(b),
        None => server::parkops_binary(profile)
            .with_context(|| format!("no {profile} parkops binary found; build it or pass --bin")),
    }
}

/// One loopback source address with its idle keep-alive connections.
struct Source {
    ip: IpAddr,
    idle: Mutex<Vec<Conn>>,
    slots: Semaphore,
}

/// What happened to one request.
#[derive(Debug)]
struct Outcome {
    /// From the due time to the end of the answer.
    latency: Duration,
    /// From sending (connection taken or opened) to the end of the answer.
    service: Duration,
    /// How late the request left, behind its due time (dispatch and waiting for a connection).
    lag: Duration,
    /// The status, or what went wrong.
    result: Result<u16, String>,
    /// Due time, from the start of the load.
    due: Duration,
}

/// Runs the benchmark.
///
/// # Errors
/// When the server cannot be run, the login fails or the rate limit would be exceeded.
pub async fn run(args: CreateArgs) -> anyhow::Result<()> {
    crate::report::context("create-ticket")?;
    let total = args.rate * args.seconds;
    let addresses = u64::from(args.addresses);
    let per_address = total.div_ceil(addresses) + args.warmup;
    let budget = BUCKET + REFILL_PER_SEC * args.seconds;
    if per_address * 10 > budget * 9 {
        let needed = total.div_ceil((budget * 9 / 10).saturating_sub(args.warmup).max(1));
        bail!(
            "{per_address} requests per address would exceed 90 % of the server's budget of {budget} per address \
             in {} s (600 per minute per address); use --addresses {needed} or more",
            args.seconds
        );
    }
    let bin = serve_binary(args.bin.clone())?;
    let dir = WorkDir::new(args.work_dir.as_deref(), "create")?;
    let (engine, goal) =
        if args.database_url.is_some() { ("PostgreSQL", GOAL_POSTGRES) } else { ("SQLite", GOAL_SQLITE) };
    let schema = match args.database_url.as_deref() {
        Some(base) => Some(FreshSchema::create(base).await?),
        None => None,
    };
    let result = measure(&args, &bin, dir.path(), schema.as_ref().map(|s| s.url.as_str())).await;
    if let Some(s) = schema {
        let name = s.name.clone();
        s.drop_now().await?;
        say(format!("PostgreSQL schema {name} dropped"))?;
    }
    let run = result?;
    report(&args, &bin, engine, goal, &run)?;
    crate::report::context("done")?;
    Ok(())
}

/// Everything measured.
struct Run {
    outcomes: Vec<Outcome>,
    wall: Duration,
    before: i64,
    after: i64,
    warmed: u64,
    server_cpu: Duration,
    bench_cpu: Duration,
    store: String,
    numbering: Vec<String>,
}

async fn measure(args: &CreateArgs, bin: &Path, dir: &Path, url: Option<&str>) -> anyhow::Result<Run> {
    let store = url.map_or_else(|| format!("SQLite in {}", dir.display()), |_| "PostgreSQL".to_owned());
    say(format!("starting {} serve --demo on {store} …", bin.display()))?;
    let started = Instant::now();
    let server = Server::start_on(bin, dir, url).await?;
    server.wait_healthy().await?;
    say(format!("listening on {} (pid {}) after {} s", server.addr, server.pid(), secs(started.elapsed())))?;
    let creds = session::log_in(server.addr, USER).await?;
    let before = ticket_total(server.addr, &creds).await?;

    let sources: Vec<Arc<Source>> = (0..args.addresses)
        .map(|k| {
            Arc::new(Source {
                ip: IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + k)),
                idle: Mutex::new(Vec::new()),
                slots: Semaphore::new(usize::try_from(args.connections).unwrap_or(1)),
            })
        })
        .collect();
    let creds = Arc::new(creds);
    // Warm-up: connections opened and a few tickets per address, untimed.
    let mut warmed = 0;
    for w in 0..args.warmup {
        for (k, src) in sources.iter().enumerate() {
            let o = one(server.addr, Arc::clone(src), Arc::clone(&creds), w * 1000 + k as u64, Instant::now()).await;
            match o.result {
                Ok(201) => warmed += 1,
                Ok(s) => bail!("warm-up request from {} answered {s}:\n{}", src.ip, server.log()),
                Err(e) => bail!("warm-up request from {} failed: {e}", src.ip),
            }
        }
    }

    let total = args.rate * args.seconds;
    let cpu_server = process_cpu(server.pid());
    let cpu_bench = process_cpu(std::process::id());
    let start = Instant::now() + Duration::from_millis(50);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..total {
        let due = start + Duration::from_nanos(i * 1_000_000_000 / args.rate);
        tokio::time::sleep_until(due.into()).await;
        let src = Arc::clone(&sources[usize::try_from(i % u64::from(args.addresses))?]);
        let creds = Arc::clone(&creds);
        let addr = server.addr;
        tasks.spawn(async move {
            let mut o = one(addr, src, creds, i, due).await;
            o.due = due.duration_since(start);
            o
        });
    }
    let mut outcomes = Vec::with_capacity(usize::try_from(total)?);
    while let Some(o) = tasks.join_next().await {
        outcomes.push(o?);
    }
    let wall = start.elapsed();
    let server_cpu = process_cpu(server.pid()).saturating_sub(cpu_server);
    let bench_cpu = process_cpu(std::process::id()).saturating_sub(cpu_bench);
    for src in &sources {
        src.idle.lock().map(|mut v| v.clear()).ok();
    }
    let status = server.stop().await?;
    say(format!("server stopped on SIGTERM: {status}"))?;
    // The API's pager counts at most 10,001 rows, so the tickets are counted in the database.
    let (after, numbering) = numbering_probe(dir, url).await.context("numbering probe")?;
    Ok(Run { outcomes, wall, before, after, warmed, server_cpu, bench_cpu, store, numbering })
}

/// Checks, on the data just written, that numbering kept one counter row per park and day
/// (migration 0005) whose value is the day's highest number, and explains the statement that
/// bumps it once per new ticket while the write transaction holds the writer gate.
async fn numbering_probe(dir: &Path, url: Option<&str>) -> anyhow::Result<(i64, Vec<String>)> {
    let db_url =
        url.map_or_else(|| DatabaseUrl::Sqlite(dir.join("parkops.db")), |u| DatabaseUrl::Postgres(u.to_owned()));
    let db = Db::connect(&db_url).await?;
    let rows =
        sqlx::query("SELECT park_id, day, last FROM ticket_number ORDER BY day DESC").fetch_all(db.pool()).await?;
    let Some(row) = rows.first() else { anyhow::bail!("no ticket_number row after the run") };
    let (park, day, last): (String, String, i64) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    let like = format!("%{day}%");
    let numbered: i64 = sqlx::query("SELECT COUNT(*) FROM ticket WHERE park_id = $1 AND number LIKE $2")
        .bind(park.clone())
        .bind(like)
        .fetch_one(db.pool())
        .await?
        .try_get(0)?;
    anyhow::ensure!(numbered == last, "counter {last} but {numbered} tickets numbered on {day}");
    let sql = format!("UPDATE ticket_number SET last = last WHERE park_id = $1 AND day = '{day}' RETURNING last");
    let binds = [park];
    let mut out = vec![format!(
        "numbering: counter row of {day} at {last} = tickets numbered that day ({} counter rows); the bump \
         statement (once per new ticket inside the write transaction) plan:",
        rows.len()
    )];
    out.extend(crate::queue::explain(&db, &sql, &binds).await?.into_iter().map(|l| format!("  {l}")));
    let stored: i64 = sqlx::query("SELECT COUNT(*) FROM ticket").fetch_one(db.pool()).await?.try_get(0)?;
    db.pool().close().await;
    Ok((stored, out))
}

/// One `POST /api/v1/tickets` due at `due`, from `src` on a pooled connection (a fresh one when
/// none is idle, or when a reused one turns out closed).
async fn one(server: SocketAddr, src: Arc<Source>, creds: Arc<Credentials>, i: u64, due: Instant) -> Outcome {
    let body = ticket_body(i);
    let headers = [("Authorization", creds.bearer.as_str()), ("Content-Type", "application/json")];
    let permit = src.slots.acquire().await;
    let sent = Instant::now();
    let pooled = src.idle.lock().ok().and_then(|mut v| v.pop());
    let reused = pooled.is_some();
    let mut result = attempt(server, src.ip, pooled, &headers, body.as_bytes()).await;
    // A kept connection the server has closed meanwhile: once more on a new one.
    if reused && matches!(&result, Ok((_, Err(_))) | Err(_)) {
        result = attempt(server, src.ip, None, &headers, body.as_bytes()).await;
    }
    let end = Instant::now();
    let result = match result {
        Ok((conn, Ok(reply))) => {
            if conn.usable()
                && let Ok(mut idle) = src.idle.lock()
            {
                idle.push(conn);
            }
            Ok(reply.status)
        }
        Ok((_, Err(e))) | Err(e) => Err(format!("{e:#}")),
    };
    drop(permit);
    Outcome {
        latency: end.saturating_duration_since(due),
        service: end.duration_since(sent),
        lag: sent.saturating_duration_since(due),
        result,
        due: Duration::ZERO,
    }
}

/// One exchange on `conn`, or on a new connection from `ip` when there is none.
async fn attempt(
    server: SocketAddr,
    ip: IpAddr,
    conn: Option<Conn>,
    headers: &[(&str, &str)],
    body: &[u8],
) -> anyhow::Result<(Conn, anyhow::Result<crate::server::Reply>)> {
    let mut conn = match conn {
        Some(c) => c,
        None => Conn::open(server, Some(ip)).await?,
    };
    let r = conn.send("POST", "/api/v1/tickets", headers, body).await;
    Ok((conn, r))
}

/// The i-th ticket of a repeating mix: levels as [`crate::tickets::level`] (致命 and 严重 also
/// notify the first line), three kinds, the seven domains.
fn ticket_body(i: u64) -> String {
    let level = crate::tickets::level(i).code();
    let kind = ["fault_report", "repair", "service_request"][usize::try_from(i % 3).unwrap_or(0)];
    let domain = crate::tickets::DOMAINS[usize::try_from(i % 7).unwrap_or(0)];
    let (title, location, affected) = crate::tickets::subject(i);
    json!({
        "kind": kind, "level": level, "domain": domain, "title": title, "location": location, "affected": affected,
        "description": format!("压测工单 {i}：{title}。位置：{location}；影响对象：{affected}。"),
    })
    .to_string()
}

/// `total` of `GET /api/v1/tickets?per_page=1` with the token.
async fn ticket_total(server: SocketAddr, creds: &Credentials) -> anyhow::Result<i64> {
    let mut conn = Conn::open(server, None).await?;
    let r = conn.send("GET", "/api/v1/tickets?per_page=1", &[("Authorization", creds.bearer.as_str())], b"").await?;
    ensure!(r.status == 200, "GET /api/v1/tickets answered {}", r.status);
    let v = r.json();
    ensure!(v["total_capped"] == false, "the API's total is capped; count in the database instead");
    v["total"].as_i64().context("no total")
}

/// User plus system CPU time of a process so far (Linux `/proc/<pid>/stat`, 100 ticks a second).
pub fn process_cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

fn report(args: &CreateArgs, bin: &Path, engine: &str, goal: Duration, run: &Run) -> anyhow::Result<()> {
    let total = run.outcomes.len();
    let created: Vec<&Outcome> = run.outcomes.iter().filter(|o| o.result == Ok(201)).collect();
    let mut errors: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for o in &run.outcomes {
        match &o.result {
            Ok(201) => {}
            Ok(s) => *errors.entry(format!("HTTP {s}")).or_default() += 1,
            Err(e) => *errors.entry(e.clone()).or_default() += 1,
        }
    }
    let answered: Vec<Duration> = run.outcomes.iter().filter(|o| o.result.is_ok()).map(|o| o.latency).collect();
    let mut table = Table::new(
        format!(
            "POST /api/v1/tickets at a fixed {} requests/s for {} s, open loop ({} requests from {} loopback addresses, \
             ≤ {} connections each), {engine}, {} server (ms)",
            args.rate,
            args.seconds,
            total,
            args.addresses,
            args.connections,
            server::profile_of(bin)
        ),
        &["measurement", "n", "p50", "p95", "p99", "max", "mean"],
    );
    let mut add = |label: &str, samples: &[Duration]| {
        let s = Summary::of(samples);
        let mut cells = vec![label.to_owned()];
        cells.extend(s.cells());
        table.row(cells);
        s
    };
    let all = add("due time → answer, all answers", &answered);
    let ok = add("due time → answer, 201 Created", &created.iter().map(|o| o.latency).collect::<Vec<_>>());
    add("send → answer (service time), 201", &created.iter().map(|o| o.service).collect::<Vec<_>>());
    add("send lag behind due time, all", &run.outcomes.iter().map(|o| o.lag).collect::<Vec<_>>());
    // The same in five-second windows, to show drift over the run.
    let window = Duration::from_secs(5);
    let mut w = 0;
    while w * window < Duration::from_secs(args.seconds) {
        let from = w * window;
        let part: Vec<Duration> =
            created.iter().filter(|o| o.due >= from && o.due < from + window).map(|o| o.latency).collect();
        if !part.is_empty() {
            add(&format!("  201 due in {}–{} s", from.as_secs(), (from + window).as_secs()), &part);
        }
        w += 1;
    }
    table.print()?;
    say("")?;
    // Requests left at due + lag; the first was due at 0.
    let last_sent = run.outcomes.iter().map(|o| o.due + o.lag).max().unwrap_or_default();
    let last_due = run.outcomes.iter().map(|o| o.due).max().unwrap_or_default();
    let last_done = run.outcomes.iter().map(|o| o.due + o.latency).max().unwrap_or_default();
    say(format!(
        "sent {total} requests in {} s (the last {} ms behind its due time): {:.1} requests/s achieved, target {}; \
         {} answered 201 by {} s: {:.1} tickets/s",
        secs(last_sent),
        last_sent.saturating_sub(last_due).as_millis(),
        per_sec(total.saturating_sub(1) as u64, last_sent),
        args.rate,
        created.len(),
        secs(last_done),
        per_sec(created.len() as u64, last_done),
    ))?;
    if errors.is_empty() {
        say("errors: none")?;
    } else {
        say(format!("errors: {} of {total}", total - created.len()))?;
        for (what, n) in &errors {
            say(format!("  {n} × {what}"))?;
        }
    }
    let grown = run.after - run.before;
    let expected = i64::try_from(created.len() as u64 + run.warmed)?;
    say(format!(
        "tickets: {} before (through the API), {} after (in the database) (+{grown}; {} warm-up + {} timed 201s = {expected}) — {}",
        run.before,
        run.after,
        run.warmed,
        created.len(),
        if grown == expected { "consistent" } else { "MISMATCH" }
    ))?;
    say(format!(
        "CPU during the load ({} s wall): server {} s ({:.2} ms per request), this tool {} s; store: {}",
        secs(run.wall),
        secs(run.server_cpu),
        run.server_cpu.as_secs_f64() * 1e3 / total.max(1) as f64,
        secs(run.bench_cpu),
        run.store
    ))?;
    for line in &run.numbering {
        say(line)?;
    }
    let verdict = if all.p99 < goal && errors.is_empty() && grown == expected { "meets" } else { "MISSES" };
    say(format!(
        "{engine}: p99 {} ms from the due time (201 only: {} ms), {} errors — {verdict} the goal of p99 < {} ms",
        crate::report::ms(all.p99),
        crate::report::ms(ok.p99),
        total - created.len(),
        goal.as_millis()
    ))?;
    Ok(())
}
