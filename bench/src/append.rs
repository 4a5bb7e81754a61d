//! Figure 1: durable audit append rate.
//!
//! Chained path: one write transaction per record through `Store::begin`, `Tx::audit` and
//! `Tx::commit` (writer gate, `write_lock` row, chain head read, SHA-256, insert, commit).
//! Plain path: one transaction per row inserting the same values into `bench_plain_event`, a
//! table with the columns and indexes of `audit_event` but no chain. A third, diagnostic path
//! adds the store's writer protocol to the plain insert (the `write_lock` row update and the
//! chain head read, no hashing) to show where the difference goes. All run on the same
//! database with the same durability settings, in rotating blocks so that drift (other load
//! on the machine, WAL growth) hits each alike; the SQLite WAL is checkpointed between blocks,
//! outside the timed region.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use clap::Args;
use parkops_app::App;
use parkops_domain::audit::{AuditEntry, AuditRecord};
use parkops_store::{DatabaseUrl, Db};
use sqlx::Row;

use crate::fixture;
use crate::report::{Summary, Table, per_sec, say, secs};
use crate::work::WorkDir;

/// `parkops-bench audit-append`.
#[derive(Debug, Args)]
pub struct AppendArgs {
    /// Timed write transactions per path and engine.
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u64).range(100..=200_000))]
    rows: u64,
    /// Rows per block; the paths take turns block by block.
    #[arg(long, default_value_t = 250, value_parser = clap::value_parser!(u64).range(10..=10_000))]
    block: u64,
    /// PostgreSQL server (`postgres://…`): measured too, in a fresh schema dropped afterwards.
    #[arg(long, env = "PARKOPS_TEST_POSTGRES_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Measure SQLite only, even when a PostgreSQL URL is configured.
    #[arg(long)]
    sqlite_only: bool,
    /// Where the SQLite file goes (default: the system temporary directory). It must be a real
    /// disk: on tmpfs `synchronous=FULL` costs nothing and the figure means nothing.
    #[arg(long)]
    work_dir: Option<PathBuf>,
}

/// Untimed transactions per path before measuring (statement caches, first pages).
const WARMUP: u64 = 50;

/// Goal: the chained rate is at least this fraction of the plain rate.
const GOAL: f64 = 0.8;

const PLAIN_TABLE: &str = "CREATE TABLE bench_plain_event (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    source_ip TEXT NOT NULL,
    request_id TEXT NOT NULL,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
    detail TEXT NOT NULL,
    detail_digest TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX bench_plain_event_at ON bench_plain_event (at);
CREATE INDEX bench_plain_event_actor ON bench_plain_event (actor_name, seq);
CREATE INDEX bench_plain_event_action ON bench_plain_event (action, seq);";

const PLAIN_INSERT: &str = "INSERT INTO bench_plain_event (seq, at, actor_id, actor_name, source_ip, request_id, \
    action, entity_type, entity_id, outcome, detail, detail_digest, prev_hash, hash) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";

/// Latencies of each path.
struct PathRun {
    chained: Vec<Duration>,
    plain: Vec<Duration>,
    locked: Vec<Duration>,
}

/// The ways of writing one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    Chained,
    Plain,
    Locked,
}

/// Runs the benchmark on SQLite and, when configured, PostgreSQL.
///
/// # Errors
/// When a database cannot be opened or a write fails.
pub async fn run(args: AppendArgs) -> anyhow::Result<()> {
    crate::report::context("audit-append")?;
    let mut table = Table::new(
        format!(
            "Durable audit append: {} single-record write transactions per path (blocks of {}, rotating)",
            args.rows, args.block
        ),
        &["engine / path", "rows", "seconds", "rows/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "mean ms"],
    );
    let mut verdicts = Vec::new();

    let dir = WorkDir::new(args.work_dir.as_deref(), "append")?;
    let file = dir.path().join("parkops.db");
    let db = Db::connect(&DatabaseUrl::Sqlite(file.clone())).await.context("open SQLite")?;
    db.migrate().await.context("migrate SQLite")?;
    let settings: Vec<String> = db.durability().await?.iter().map(|(k, v)| format!("{k}={v}")).collect();
    say(format!("SQLite file {} ({})", file.display(), settings.join(", ")))?;
    let r = measure(&db, args.rows, args.block).await.context("SQLite")?;
    db.pool().close().await;
    verdicts.push(add_rows(&mut table, "SQLite", &r));

    match args.database_url.as_deref().filter(|_| !args.sqlite_only) {
        Some(base) if base.starts_with("postgres://") || base.starts_with("postgresql://") => {
            let r = on_fresh_schema(base, args.rows, args.block).await.context("PostgreSQL")?;
            verdicts.push(add_rows(&mut table, "PostgreSQL", &r));
        }
        Some(_) => bail!("--database-url must be a postgres:// URL"),
        None => say("PostgreSQL: skipped (no --database-url or PARKOPS_TEST_POSTGRES_URL)")?,
    }

    table.print()?;
    say("")?;
    for (engine, ratio, p50) in verdicts {
        let verdict = if ratio >= GOAL { "meets" } else { "MISSES" };
        say(format!(
            "{engine}: chained / plain rate = {ratio:.3} — {verdict} the goal of ≥ {GOAL:.2} \
             (from the medians alone: {p50:.3})"
        ))?;
    }
    crate::report::context("done")?;
    Ok(())
}

fn add_rows(table: &mut Table, engine: &str, r: &PathRun) -> (String, f64, f64) {
    let mut rate = |label: &str, samples: &[Duration]| {
        let s = Summary::of(samples);
        let per = per_sec(s.n as u64, s.total);
        let mut cells = vec![format!("{engine} / {label}"), s.n.to_string(), secs(s.total), format!("{per:.0}")];
        cells.extend(s.cells().into_iter().skip(1));
        table.row(cells);
        per
    };
    let chained = rate("chained audit", &r.chained);
    let plain = rate("plain insert", &r.plain);
    rate("plain + lock row + head read", &r.locked);
    let p50 = Summary::of(&r.plain).p50.as_secs_f64() / Summary::of(&r.chained).p50.as_secs_f64().max(1e-12);
    (engine.to_owned(), chained / plain.max(1e-9), p50)
}

/// Creates a schema of its own on the server, measures in it and drops it, also on failure.
async fn on_fresh_schema(base: &str, rows: u64, block: u64) -> anyhow::Result<PathRun> {
    let schema = format!("bench_{}", uuid::Uuid::now_v7().simple());
    let admin = Db::connect(&DatabaseUrl::Postgres(base.to_owned())).await.context("connect")?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(admin.pool()).await?;
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    let result = async {
        let db = Db::connect(&DatabaseUrl::Postgres(url)).await.context("connect to the schema")?;
        db.migrate().await.context("migrate")?;
        let mut settings = Vec::new();
        for name in ["server_version", "synchronous_commit", "fsync", "wal_sync_method", "full_page_writes"] {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!("SHOW {name}"))).fetch_one(db.pool()).await?;
            settings.push(format!("{name}={}", row.try_get::<String, _>(0)?));
        }
        say(format!("PostgreSQL schema {schema} ({})", settings.join(", ")))?;
        let r = measure(&db, rows, block).await;
        db.pool().close().await;
        r
    }
    .await;
    let dropped =
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE"))).execute(admin.pool()).await;
    admin.pool().close().await;
    let r = result?;
    dropped.context("drop the benchmark schema")?;
    Ok(r)
}

async fn measure(db: &Db, rows: u64, block: u64) -> anyhow::Result<PathRun> {
    sqlx::raw_sql(PLAIN_TABLE).execute(db.pool()).await.context("create the plain table")?;
    let app = fixture::app(db);
    let total = WARMUP + rows;
    let entries: Vec<AuditEntry> = (0..total).map(fixture::entry).collect();
    // The plain path inserts ready-made values: it must not pay for hashing.
    let plain_rows = fixture::chain(total, fixture::now());
    // The diagnostic path writes the same rows again, after the plain ones.
    let offset = i64::try_from(total)?;
    let locked_rows: Vec<AuditRecord> =
        plain_rows.iter().cloned().map(|r| AuditRecord { seq: r.seq + offset, ..r }).collect();
    let index = |i: u64| usize::try_from(i).unwrap_or(usize::MAX);

    for i in 0..WARMUP {
        chained(&app, entries[index(i)].clone()).await?;
        plain(db, &plain_rows[index(i)], false).await?;
        plain(db, &locked_rows[index(i)], true).await?;
    }
    db.checkpoint_wal().await?;

    let mut run = PathRun { chained: Vec::new(), plain: Vec::new(), locked: Vec::new() };
    let (mut next, mut n) = (WARMUP, 0usize);
    while next < total {
        let end = (next + block).min(total);
        let mut order = [Path::Chained, Path::Plain, Path::Locked];
        order.rotate_left(n % 3);
        for path in order {
            for i in next..end {
                let start = Instant::now();
                match path {
                    Path::Chained => chained(&app, entries[index(i)].clone()).await?,
                    Path::Plain => plain(db, &plain_rows[index(i)], false).await?,
                    Path::Locked => plain(db, &locked_rows[index(i)], true).await?,
                }
                let elapsed = start.elapsed();
                match path {
                    Path::Chained => run.chained.push(elapsed),
                    Path::Plain => run.plain.push(elapsed),
                    Path::Locked => run.locked.push(elapsed),
                }
            }
            db.checkpoint_wal().await?;
        }
        (next, n) = (end, n + 1);
    }

    // Both tables hold every row, and the chain written by the store verifies.
    let count = |table: &'static str| async move {
        let row = sqlx::query(table).fetch_one(db.pool()).await?;
        anyhow::Ok(row.try_get::<i64, _>(0)?)
    };
    let expected = i64::try_from(total)?;
    ensure!(count("SELECT COUNT(*) FROM audit_event").await? == expected, "audit_event row count");
    ensure!(count("SELECT COUNT(*) FROM bench_plain_event").await? == 2 * expected, "plain row count");
    let report =
        parkops_app::audit::verify_store(app.store.as_ref(), &app.audit_key.verifying_key(), fixture::ORIGIN, &[])
            .await?;
    ensure!(report.result.is_ok() && report.records == expected, "the written chain does not verify: {report:?}");
    Ok(run)
}

/// One audited write transaction, as every use case does it.
async fn chained(app: &App, entry: AuditEntry) -> anyhow::Result<()> {
    let mut tx = app.store.begin().await?;
    tx.audit(entry, app.clock.now()).await?;
    tx.commit().await?;
    Ok(())
}

/// One plain single-row insert transaction of the same values; with `locked`, preceded by the
/// store's writer protocol (the `write_lock` row update and the chain head read).
async fn plain(db: &Db, r: &AuditRecord, locked: bool) -> anyhow::Result<()> {
    let e = &r.entry;
    let mut tx = db.pool().begin().await?;
    if locked {
        sqlx::query("UPDATE write_lock SET n = n + 1 WHERE id = 1").execute(&mut *tx).await?;
        sqlx::query("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1").fetch_all(&mut *tx).await?;
    }
    sqlx::query(PLAIN_INSERT)
        .bind(r.seq)
        .bind(r.at.as_millis())
        .bind(e.actor_id.clone())
        .bind(e.actor_name.clone())
        .bind(e.source_ip.clone())
        .bind(e.request_id.clone())
        .bind(e.action.clone())
        .bind(e.entity_type.clone())
        .bind(e.entity_id.clone())
        .bind(e.outcome.code().to_owned())
        .bind(e.detail.clone())
        .bind(hex::encode(r.detail_digest))
        .bind(hex::encode(r.prev_hash))
        .bind(hex::encode(r.hash))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
