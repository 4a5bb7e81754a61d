//! Service desk figure 2: the ticket queue (page and API) at a million tickets.
//!
//! Loads the demo park with `parkops demo` (SQLite in a fresh data directory or, with
//! `--database-url`, a fresh PostgreSQL schema), writes `--tickets` generated tickets for it
//! straight into the `ticket` table (store column set; mostly closed, a few thousand open with
//! resolution due times spread from five days ago to five days ahead, some resolved), then
//! starts the real server on that data and times sequential requests on one keep-alive
//! connection per case: `GET /desk` (the queue page, with the session cookie of `jb.op01`) and
//! `GET /api/v1/tickets` (with an API token), first page, unfiltered, open only, open 致命 only,
//! and a text search. Each case comes from its own loopback address (127.0.0.2, …) so the
//! server's 600 requests per minute per address never throttle it. After the server has
//! stopped, the queue query and its `COUNT(*)` are run directly for each filter — timed, with
//! `EXPLAIN QUERY PLAN` (SQLite) or `EXPLAIN (ANALYZE, BUFFERS)` (PostgreSQL) — to show where
//! the time goes; the SLA watcher's query (every 60 s in `serve`) is shown too.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use clap::Args;
use parkops_store::{Backend, DatabaseUrl, Db};
use sqlx::Row;

use crate::report::{Summary, Table, median, ms, say, secs};
use crate::schema::FreshSchema;
use crate::server::{Conn, Server};
use crate::session;
use crate::tickets::{self, Plan};
use crate::work::WorkDir;

/// `parkops-bench queue`.
#[derive(Debug, Args)]
pub struct QueueArgs {
    /// Generated tickets (besides the demo's own).
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(10_000..=5_000_000))]
    tickets: u64,
    /// Of which open.
    #[arg(long, default_value_t = 3_000, value_parser = clap::value_parser!(u64).range(100..=100_000))]
    open: u64,
    /// Of which resolved (not yet closed).
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(0..=100_000))]
    resolved: u64,
    /// Days the closed tickets are spread over.
    #[arg(long, default_value_t = 1_095, value_parser = clap::value_parser!(i64).range(30..=3_650))]
    days: i64,
    /// Sequential requests per case.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=500))]
    requests: u32,
    /// Longest time per case; a case stops early (with fewer samples) after it.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(5..=600))]
    case_seconds: u64,
    /// Direct runs of each query for the breakdown (median reported).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=50))]
    query_runs: u32,
    /// Skip the what-if part (candidate indexes and a capped count tried on the scratch data).
    #[arg(long)]
    skip_what_if: bool,
    /// PostgreSQL server (`postgres://…`): everything goes into a fresh schema of it, dropped
    /// afterwards. Without it the data is a SQLite file in a fresh data directory.
    #[arg(long)]
    database_url: Option<String>,
    /// The `parkops` binary (default: the build of this tool's profile).
    #[arg(long = "bin")]
    bin: Option<PathBuf>,
    /// Where the data directory goes (default: the system temporary directory).
    #[arg(long)]
    work_dir: Option<PathBuf>,
}

/// The demo account whose queue is read (一线 operator: sees the whole park).
const USER: &str = "jb.op01";
/// Goal: p95 at most this.
const GOAL: Duration = Duration::from_millis(50);

/// A filter of the queue, as the page and the API take it, and as the store turns it into SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filter {
    /// No filter: what `/desk` shows from the menu (every state, nearest due first).
    All,
    /// `state=open`.
    Open,
    /// `state=open&level=fatal`.
    OpenFatal,
    /// `q=道闸` (every state).
    Text,
    /// `state=waiting`: only in the what-if part, to see whether an index for the order
    /// misleads the planner when the filter matches rows without a due time.
    Waiting,
}

impl Filter {
    const ALL: [Self; 4] = [Self::All, Self::Open, Self::OpenFatal, Self::Text];

    fn query(self) -> String {
        match self {
            Self::All => String::new(),
            Self::Open => "state=open".to_owned(),
            Self::OpenFatal => "state=open&level=fatal".to_owned(),
            Self::Text => format!("q={}", percent_encode(tickets::SEARCH_WORD)),
            Self::Waiting => "state=waiting".to_owned(),
        }
    }

    fn label(self) -> String {
        match self {
            Self::All => "no filter".to_owned(),
            Self::Open => "state=open".to_owned(),
            Self::OpenFatal => "state=open&level=fatal".to_owned(),
            Self::Text => format!("q={}", tickets::SEARCH_WORD),
            Self::Waiting => "state=waiting".to_owned(),
        }
    }

    /// The WHERE clause `ticket_where` in `parkops-store/src/desk.rs` builds for this filter
    /// and a park-wide caller, with its bound values.
    fn where_clause(self, park: &str) -> (String, Vec<String>) {
        let mut text = " WHERE 1 = 1 AND park_id = $1".to_owned();
        let mut binds = vec![park.to_owned()];
        if matches!(self, Self::Open | Self::OpenFatal) {
            text.push_str(" AND state IN ($2, $3, $4, $5)");
            binds.extend(["new", "acknowledged", "in_progress", "waiting"].map(str::to_owned));
        }
        if self == Self::Waiting {
            text.push_str(" AND state IN ($2)");
            binds.push("waiting".to_owned());
        }
        if self == Self::OpenFatal {
            text.push_str(" AND level = $6");
            binds.push("fatal".to_owned());
        }
        if self == Self::Text {
            text.push_str(
                " AND (lower(number) LIKE $2 ESCAPE '\\' OR lower(title) LIKE $3 ESCAPE '\\' \
                 OR lower(location) LIKE $4 ESCAPE '\\' OR lower(affected) LIKE $5 ESCAPE '\\')",
            );
            let like = format!("%{}%", tickets::SEARCH_WORD.to_lowercase());
            binds.extend(std::iter::repeat_n(like, 4));
        }
        (text, binds)
    }
}

/// The columns `DeskReads::tickets` selects.
const TICKET_COLUMNS: &str = "id, park_id, number, kind, level, priority, domain, handling_mode, line, title, \
    description, reporter_user_id, reporter_name, reporter_phone, enterprise_org_id, location, affected, \
    assignee_user_id, state, state_since, waiting_on, closed_by, sla_version, response_target_ms, resolve_target_ms, \
    coverage, response_due_at, resolve_due_at, acknowledged_at, resolved_at, response_warned, response_breached, \
    resolve_warned, resolve_breached, rating, rating_comment, created_by, created_at, updated_at";
/// The queue's order and first page (`DeskReads::tickets`, 20 per page as `/desk` asks).
const ORDER_PAGE: &str =
    " ORDER BY CASE WHEN resolve_due_at IS NULL THEN 1 ELSE 0 END, resolve_due_at, created_at DESC LIMIT 20 OFFSET 0";
/// `DeskReads::tickets_to_watch` as the SLA watcher calls it (limit 10,000).
const WATCH: &str = "SELECT id, park_id, number, kind, level, priority, domain, handling_mode, line, title, \
    description, reporter_user_id, reporter_name, reporter_phone, enterprise_org_id, location, affected, \
    assignee_user_id, state, state_since, waiting_on, closed_by, sla_version, response_target_ms, resolve_target_ms, \
    coverage, response_due_at, resolve_due_at, acknowledged_at, resolved_at, response_warned, response_breached, \
    resolve_warned, resolve_breached, rating, rating_comment, created_by, created_at, updated_at FROM ticket \
    WHERE state IN ('new', 'acknowledged', 'in_progress', 'waiting') AND \
    (response_warned = 0 OR response_breached = 0 OR resolve_warned = 0 OR resolve_breached = 0) \
    ORDER BY created_at LIMIT 10000";

fn percent_encode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// Candidate indexes tried on the scratch data after the measurement (never in the store's
/// migrations): one matching the queue's ORDER BY, one for the SLA watcher's query.
const CANDIDATES: [(&str, &str); 2] = [
    (
        "ticket (park_id, CASE WHEN resolve_due_at IS NULL THEN 1 ELSE 0 END, resolve_due_at, created_at DESC)",
        "CREATE INDEX bench_ticket_due_order ON ticket \
         (park_id, (CASE WHEN resolve_due_at IS NULL THEN 1 ELSE 0 END), resolve_due_at, created_at DESC)",
    ),
    ("ticket (state, created_at)", "CREATE INDEX bench_ticket_state_created ON ticket (state, created_at)"),
];
/// A count that stops early: what a pager showing "10,000+" would need.
const COUNT_CAP: i64 = 10_000;

/// One timed case.
struct Case {
    label: String,
    samples: Vec<Duration>,
    bytes: usize,
    total: Option<i64>,
}

/// Runs the benchmark.
///
/// # Errors
/// When the data cannot be made, the server cannot be run or a request fails.
pub async fn run(args: QueueArgs) -> anyhow::Result<()> {
    crate::report::context("queue")?;
    let bin = crate::create::serve_binary(args.bin.clone())?;
    let dir = WorkDir::new(args.work_dir.as_deref(), "queue")?;
    let schema = match args.database_url.as_deref() {
        Some(base) => Some(FreshSchema::create(base).await?),
        None => None,
    };
    let result = measure(&args, &bin, dir.path(), schema.as_ref().map(|s| s.url.clone())).await;
    if let Some(s) = schema {
        let name = s.name.clone();
        s.drop_now().await?;
        say(format!("PostgreSQL schema {name} dropped"))?;
    }
    result?;
    crate::report::context("done")?;
    Ok(())
}

#[allow(clippy::too_many_lines, reason = "the steps of one run, in order")]
async fn measure(args: &QueueArgs, bin: &Path, dir: &Path, url: Option<String>) -> anyhow::Result<()> {
    let engine = if url.is_some() { "PostgreSQL" } else { "SQLite" };
    let db_url = url.clone().map_or_else(|| DatabaseUrl::Sqlite(dir.join("parkops.db")), DatabaseUrl::Postgres);

    // 1. The demo park, through the real binary (its own audit key in the data directory).
    let t = Instant::now();
    crate::server::load_demo(bin, dir, url.as_deref()).await?;
    say(format!("demo park loaded by {} demo in {} s", bin.display(), secs(t.elapsed())))?;

    // 2. The bulk tickets.
    let db = Db::connect(&db_url).await.context("open the database")?;
    let park = tickets::park(&db).await?;
    let demo = count(&db, "SELECT COUNT(*) FROM ticket").await?;
    let plan = Plan { total: args.tickets, open: args.open, resolved: args.resolved, days: args.days };
    ensure!(plan.open + plan.resolved < plan.total, "--open and --resolved must leave closed tickets");
    say(format!(
        "writing {} tickets for park {} ({}) beside the demo's {demo}: {} open, {} resolved, the rest closed over {} days …",
        plan.total, park.code, park.id, plan.open, plan.resolved, plan.days
    ))?;
    let t = Instant::now();
    let filled = tickets::fill(&db, &park, plan, crate::fixture::now(), true).await?;
    let fill_time = t.elapsed();
    if db.backend() == Backend::Postgres {
        // What autovacuum does on its own within a minute or so of a bulk load.
        sqlx::raw_sql("ANALYZE").execute(db.pool()).await?;
    }
    let mut states = Vec::new();
    for r in
        sqlx::query("SELECT state, COUNT(*) FROM ticket GROUP BY state ORDER BY state").fetch_all(db.pool()).await?
    {
        states.push(format!("{} {}", r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?));
    }
    let size = database_size(&db, &db_url).await?;
    say(format!(
        "{} tickets + {} open pauses written in {} s ({:.0} rows/s); now {} ({}); database {:.0} MB{}",
        filled.tickets,
        filled.pauses,
        secs(fill_time),
        crate::report::per_sec(filled.tickets, fill_time),
        count(&db, "SELECT COUNT(*) FROM ticket").await?,
        states.join(", "),
        size as f64 / 1e6,
        if db.backend() == Backend::Postgres {
            "; ANALYZE run (as autovacuum would)"
        } else {
            "; no ANALYZE (serve never runs one)"
        }
    ))?;
    db.pool().close().await;

    // 3. The server on that data, and the timed requests.
    let t = Instant::now();
    let server = Server::start_on(bin, dir, url.as_deref()).await?;
    server.wait_healthy().await?;
    say(format!(
        "{} serve listening on {} (pid {}) after {} s",
        bin.display(),
        server.addr,
        server.pid(),
        secs(t.elapsed())
    ))?;
    let creds = session::log_in(server.addr, USER).await?;
    let mut cases = Vec::new();
    let mut k = 0u8;
    for (page, route) in [(true, "/desk"), (false, "/api/v1/tickets")] {
        for f in Filter::ALL {
            let q = f.query();
            let path = if q.is_empty() { route.to_owned() } else { format!("{route}?{q}") };
            let auth = if page { ("Cookie", creds.cookie.as_str()) } else { ("Authorization", creds.bearer.as_str()) };
            let headers = [auth, ("Accept-Language", "zh-CN")];
            let ip = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + k));
            k += 1;
            let case = time_case(&server, ip, &path, &headers, args.requests, args.case_seconds, !page).await?;
            say(format!(
                "  GET {path}: {} requests, p50 {} ms, p95 {} ms",
                case.samples.len(),
                ms(Summary::of(&case.samples).p50),
                ms(Summary::of(&case.samples).p95)
            ))?;
            cases.push(Case { label: format!("GET {route} {}", f.label()), ..case });
        }
    }
    let status = server.stop().await?;
    say(format!("server stopped on SIGTERM: {status}"))?;

    let mut table = Table::new(
        format!(
            "Ticket queue at {} tickets, {engine}, {} server, first page, sequential requests on one keep-alive connection (ms)",
            demo + i64::try_from(filled.tickets)?,
            crate::server::profile_of(bin)
        ),
        &["request", "n", "p50", "p95", "p99", "max", "mean", "bytes", "total", "goal p95 ≤ 50"],
    );
    let mut verdicts = Vec::new();
    for c in &cases {
        let s = Summary::of(&c.samples);
        let mut cells = vec![c.label.clone()];
        cells.extend(s.cells());
        cells.push(c.bytes.to_string());
        cells.push(c.total.map_or_else(|| "-".to_owned(), |t| t.to_string()));
        let ok = s.p95 <= GOAL;
        cells.push(if ok { "meets".to_owned() } else { "MISSES".to_owned() });
        verdicts.push(ok);
        table.row(cells);
    }
    table.print()?;

    // 4. Where the time goes: the store's two statements per filter, directly.
    let db = Db::connect(&db_url).await.context("reopen the database")?;
    let mut breakdown = Table::new(
        format!(
            "The queue's statements run directly on {engine} (median of {} runs after one warm-up, ms)",
            args.query_runs
        ),
        &["filter", "COUNT(*) capped", "rows counted", "first page (20 rows)", "both"],
    );
    let mut plans = Vec::new();
    for f in Filter::ALL {
        let (clause, binds) = f.where_clause(&park.id);
        // As the store counts for the pager since migration 0005: at most one row past the cap.
        let count_sql =
            format!("SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM ticket{clause} LIMIT {}) capped", COUNT_CAP + 1);
        let page_sql = format!("SELECT {TICKET_COLUMNS} FROM ticket{clause}{ORDER_PAGE}");
        let (count_time, n) = time_query(&db, &count_sql, &binds, args.query_runs).await?;
        let (page_time, rows) = time_query(&db, &page_sql, &binds, args.query_runs).await?;
        ensure!(rows <= 20, "page of {rows} rows");
        breakdown.row(vec![f.label(), ms(count_time), n.to_string(), ms(page_time), ms(count_time + page_time)]);
        plans.push((format!("COUNT, {}", f.label()), explain(&db, &count_sql, &binds).await?));
        plans.push((format!("first page, {}", f.label()), explain(&db, &page_sql, &binds).await?));
    }
    let (watch_time, watched) = time_query(&db, WATCH, &[], args.query_runs).await?;
    breakdown.row(vec![
        "SLA watcher's query (every 60 s)".to_owned(),
        "-".to_owned(),
        "-".to_owned(),
        format!("{} ({watched} rows)", ms(watch_time)),
        ms(watch_time),
    ]);
    plans.push(("SLA watcher's query".to_owned(), explain(&db, WATCH, &[]).await?));
    breakdown.print()?;
    for (label, plan) in plans {
        say(format!("\nplan — {label}:"))?;
        for line in plan {
            say(format!("  {line}"))?;
        }
    }
    if !args.skip_what_if {
        what_if(&db, &park.id, args.query_runs).await?;
    }
    db.pool().close().await;
    say("")?;
    let met = verdicts.iter().filter(|v| **v).count();
    say(format!(
        "{engine}: {met} of {} cases meet the goal of p95 ≤ {} ms at {} tickets",
        verdicts.len(),
        GOAL.as_millis(),
        demo + i64::try_from(filled.tickets)?
    ))?;
    Ok(())
}

/// Sequential GETs of `path` from `ip` on one keep-alive connection (a new one if the server
/// closes it): two untimed, then up to `n` timed within `limit_secs`.
async fn time_case(
    server: &Server,
    ip: IpAddr,
    path: &str,
    headers: &[(&str, &str)],
    n: u32,
    limit_secs: u64,
    api: bool,
) -> anyhow::Result<Case> {
    let mut conn = Conn::open(server.addr, Some(ip)).await?;
    let mut samples = Vec::new();
    let (mut bytes, mut total) = (0, None);
    let limit = Duration::from_secs(limit_secs);
    let started = Instant::now();
    for i in 0..n + 2 {
        if !conn.usable() {
            conn = Conn::open(server.addr, Some(ip)).await?;
        }
        let t = Instant::now();
        let r = conn.send("GET", path, headers, b"").await.with_context(|| format!("GET {path}"))?;
        let elapsed = t.elapsed();
        ensure!(
            r.status == 200,
            "GET {path} answered {}: {}",
            r.status,
            String::from_utf8_lossy(&r.body).chars().take(300).collect::<String>()
        );
        if i >= 2 {
            samples.push(elapsed);
        } else if api {
            total = r.json()["total"].as_i64();
            ensure!(r.json()["items"].as_array().is_some_and(|a| !a.is_empty()), "GET {path}: no items");
        }
        bytes = r.bytes;
        if started.elapsed() > limit {
            break;
        }
    }
    Ok(Case { label: String::new(), samples, bytes, total })
}

async fn count(db: &Db, sql: &'static str) -> anyhow::Result<i64> {
    Ok(sqlx::query(sql).fetch_one(db.pool()).await?.try_get::<i64, _>(0)?)
}

/// Median time of `runs` runs of `sql` (after one warm-up), and the first column of the first
/// row for a count or the row count otherwise.
pub async fn time_query(db: &Db, sql: &str, binds: &[String], runs: u32) -> anyhow::Result<(Duration, i64)> {
    let mut times = Vec::new();
    let mut result = 0;
    for i in 0..=runs {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
        for b in binds {
            q = q.bind(b.clone());
        }
        let t = Instant::now();
        let rows = q.fetch_all(db.pool()).await?;
        let elapsed = t.elapsed();
        result = if sql.starts_with("SELECT COUNT") {
            rows.first().map(|r| r.try_get::<i64, _>(0)).transpose()?.unwrap_or(0)
        } else {
            i64::try_from(rows.len())?
        };
        if i > 0 {
            times.push(elapsed);
        }
    }
    Ok((median(&times), result))
}

/// The plan of `sql` with `binds` written in as literals: `EXPLAIN QUERY PLAN` on SQLite,
/// `EXPLAIN (ANALYZE, BUFFERS)` on PostgreSQL.
pub async fn explain(db: &Db, sql: &str, binds: &[String]) -> anyhow::Result<Vec<String>> {
    let mut text = sql.to_owned();
    // Highest placeholder first, so that $1 does not eat into $10.
    for (i, b) in binds.iter().enumerate().rev() {
        text = text.replace(&format!("${}", i + 1), &format!("'{}'", b.replace('\'', "''")));
    }
    let mut out = Vec::new();
    match db.backend() {
        Backend::Sqlite => {
            let rows =
                sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {text}"))).fetch_all(db.pool()).await?;
            // (id, parent, notused, detail): indent by depth.
            let mut depth: Vec<(i64, usize)> = Vec::new();
            for r in rows {
                let (id, parent): (i64, i64) = (r.try_get(0)?, r.try_get(1)?);
                let detail: String = r.try_get(3)?;
                let d = depth.iter().find(|(i, _)| *i == parent).map_or(0, |(_, d)| d + 1);
                depth.push((id, d));
                out.push(format!("{}{detail}", "  ".repeat(d)));
            }
        }
        Backend::Postgres => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN (ANALYZE, BUFFERS) {text}")))
                .fetch_all(db.pool())
                .await?;
            for r in rows {
                out.push(r.try_get::<String, _>(0)?);
            }
        }
    }
    Ok(out)
}

/// Bytes of the database: the SQLite file (and WAL), or the PostgreSQL schema's tables and indexes.
async fn database_size(db: &Db, url: &DatabaseUrl) -> anyhow::Result<u64> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            let wal = path.with_extension("db-wal");
            Ok([path.as_path(), wal.as_path()].iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum())
        }
        DatabaseUrl::Postgres(_) => {
            let row = sqlx::query(
                "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::BIGINT FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'",
            )
            .fetch_one(db.pool())
            .await?;
            Ok(u64::try_from(row.try_get::<i64, _>(0)?)?)
        }
    }
}

/// What-if on the scratch data: creates the candidate indexes, then times and explains again
/// the statements that missed, and a count capped at [`COUNT_CAP`] + 1 rows.
async fn what_if(db: &Db, park: &str, runs: u32) -> anyhow::Result<()> {
    let mut table = Table::new(
        format!(
            "What-if on this scratch database only (not the store's schema): candidate indexes and a count capped at {} \
             rows (median of {runs} runs, ms)",
            COUNT_CAP + 1
        ),
        &["statement", "before", "after", "rows"],
    );
    // Before: the same statements as above, for the side-by-side table.
    let statements = what_if_statements(park);
    let mut before = Vec::new();
    for (_, sql, binds) in &statements {
        before.push(time_query(db, sql, binds, runs).await?.0);
    }
    for (label, ddl) in CANDIDATES {
        let t = Instant::now();
        sqlx::raw_sql(sqlx::AssertSqlSafe(ddl.to_owned())).execute(db.pool()).await?;
        say(format!("\nwhat-if: created index on {label} in {} s", secs(t.elapsed())))?;
    }
    if db.backend() == Backend::Postgres {
        sqlx::raw_sql("ANALYZE ticket").execute(db.pool()).await?;
    }
    let mut plans = Vec::new();
    for ((label, sql, binds), b) in statements.iter().zip(before) {
        let (after, rows) = time_query(db, sql, binds, runs).await?;
        table.row(vec![label.clone(), ms(b), ms(after), rows.to_string()]);
        plans.push((label.clone(), explain(db, sql, binds).await?));
    }
    table.print()?;
    for (label, plan) in plans {
        say(format!("\nwhat-if plan — {label}:"))?;
        for line in plan {
            say(format!("  {line}"))?;
        }
    }
    Ok(())
}

/// (label, SQL, binds) of the statements the what-if part times.
fn what_if_statements(park: &str) -> Vec<(String, String, Vec<String>)> {
    let mut out = Vec::new();
    for f in [Filter::All, Filter::Open, Filter::Waiting, Filter::Text] {
        let (clause, binds) = f.where_clause(park);
        out.push((
            format!("first page, {}", f.label()),
            format!("SELECT {TICKET_COLUMNS} FROM ticket{clause}{ORDER_PAGE}"),
            binds.clone(),
        ));
        if matches!(f, Filter::All | Filter::Text) {
            out.push((
                format!("COUNT capped at {}, {}", COUNT_CAP + 1, f.label()),
                format!(
                    "SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM ticket{clause} LIMIT {}) AS capped",
                    COUNT_CAP + 1
                ),
                binds,
            ));
        }
    }
    out.push(("SLA watcher's query".to_owned(), WATCH.to_owned(), Vec::new()));
    out
}
