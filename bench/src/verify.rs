//! Figure 2: full verification rate.
//!
//! Fills a fresh SQLite chain with generated records (sealed in memory, inserted in large
//! transactions with the columns the store writes), signs one checkpoint through the app,
//! then times, each `--repeat` times:
//!
//! 1. `parkops_app::audit::verify_store`, what `parkops audit verify` runs;
//! 2. reading the same records through `Store::audit_after` alone (the database share), and,
//!    to split that share, the same `SELECT` through sqlx `Any` and through sqlx's native
//!    SQLite driver, rows fetched but not decoded into records;
//! 3. `ChainVerifier::push` over the records in memory (the hashing share);
//! 4. raw SHA-256 (`sha2`) over as many bytes as `VerifyReport::bytes` counted.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use clap::Args;
use parkops_domain::audit::{AuditRecord, ChainVerifier};
use parkops_store::{DatabaseUrl, Db};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::fixture;
use crate::report::{Table, median, per_sec, say, secs};
use crate::work::WorkDir;

/// `parkops-bench verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Records in the generated chain.
    #[arg(long, default_value_t = 200_000, value_parser = clap::value_parser!(u64).range(1_000..=5_000_000))]
    records: u64,
    /// Timed runs of each measurement; the median is reported.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=10))]
    repeat: u64,
    /// Where the SQLite file goes (default: the system temporary directory).
    #[arg(long)]
    work_dir: Option<PathBuf>,
}

/// Goal: verification runs at no less than this fraction of raw SHA-256.
const GOAL: f64 = 0.8;

/// Rows per INSERT statement while filling (14 parameters each: 448 per statement). Kept small:
/// binding looks each parameter's name up in a list (`sqlite3_bind_parameter_name`), so the cost
/// per row grows with the number of parameters in the statement.
const ROWS_PER_STATEMENT: usize = 32;
/// Rows per fill transaction.
const ROWS_PER_TX: usize = 50_000;
/// Records per read, as `verify_store` reads them.
const READ_BATCH: i64 = 5_000;

/// Runs the benchmark.
///
/// # Errors
/// When the database cannot be filled or read, or the chain does not verify.
pub async fn run(args: VerifyArgs) -> anyhow::Result<()> {
    crate::report::context("verify")?;
    let dir = WorkDir::new(args.work_dir.as_deref(), "verify")?;
    let file = dir.path().join("parkops.db");
    let db = Db::connect(&DatabaseUrl::Sqlite(file.clone())).await.context("open SQLite")?;
    db.migrate().await.context("migrate")?;
    let app = fixture::app(&db);

    let started = Instant::now();
    let n = args.records;
    let start = fixture::now().as_millis() - i64::try_from(n)? * 1_000;
    let records = fixture::chain(n, parkops_domain::time::Timestamp::from_millis(start));
    let generated = started.elapsed();
    let started = Instant::now();
    fill(&db, &records).await.context("fill")?;
    let cp = app.checkpoint_if_due(true).await?.context("no checkpoint signed")?;
    db.checkpoint_wal().await?;
    let filled = started.elapsed();
    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    say(format!(
        "chain of {} records + 1 checkpoint record (seq {}) in {} ({:.1} MB): sealed in {} s, inserted in {} s",
        n,
        cp.seq,
        file.display(),
        mb(size),
        secs(generated),
        secs(filled)
    ))?;

    let vk = app.audit_key.verifying_key();
    let store = app.store.as_ref();
    let mut full = Vec::new();
    let mut report = None;
    for _ in 0..args.repeat {
        let t = Instant::now();
        let r = parkops_app::audit::verify_store(store, &vk, fixture::ORIGIN, &[]).await?;
        full.push(t.elapsed());
        ensure!(r.result.is_ok() && r.records == cp.seq && r.checkpoints == 1, "chain does not verify: {r:?}");
        report = Some(r);
    }
    let report = report.context("no run")?;

    let mut read = Vec::new();
    for _ in 0..args.repeat {
        let t = Instant::now();
        let (mut after, mut count) = (0, 0);
        loop {
            let batch = store.audit_after(after, READ_BATCH).await?;
            let Some(last) = batch.last() else { break };
            after = last.seq;
            count += batch.len();
        }
        read.push(t.elapsed());
        ensure!(i64::try_from(count)? == cp.seq, "read {count} records");
    }

    let any_pool = db.pool().clone();
    let mut any = Vec::new();
    for _ in 0..args.repeat {
        let t = Instant::now();
        let count = select_all(|after| {
            let pool = any_pool.clone();
            async move {
                let rows = sqlx::query(SELECT_AFTER).bind(after).bind(READ_BATCH).fetch_all(&pool).await?;
                Ok((rows.len(), rows.last().map(|r| r.try_get::<i64, _>(0)).transpose()?))
            }
        })
        .await?;
        any.push(t.elapsed());
        ensure!(i64::try_from(count)? == cp.seq, "read {count} records");
    }
    let native_pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect(&format!("sqlite://{}", file.display()))
        .await
        .context("open SQLite natively")?;
    let mut native = Vec::new();
    for _ in 0..args.repeat {
        let t = Instant::now();
        let count = select_all(|after| {
            let pool = native_pool.clone();
            async move {
                let rows = sqlx::query(SELECT_AFTER).bind(after).bind(READ_BATCH).fetch_all(&pool).await?;
                Ok((rows.len(), rows.last().map(|r| r.try_get::<i64, _>(0)).transpose()?))
            }
        })
        .await?;
        native.push(t.elapsed());
        ensure!(i64::try_from(count)? == cp.seq, "read {count} records");
    }
    native_pool.close().await;

    let mem_bytes: u64 = records.iter().map(fixture::record_len).sum();
    let mut memory = Vec::new();
    for _ in 0..args.repeat {
        let t = Instant::now();
        let mut v = ChainVerifier::default();
        for r in &records {
            v.push(r)?;
        }
        memory.push(t.elapsed());
        ensure!(v.verified() == i64::try_from(n)?, "in-memory chain");
    }

    let mut raw = Vec::new();
    for _ in 0..args.repeat {
        raw.push(raw_sha256(report.bytes));
    }

    let raw_rate = per_sec(report.bytes, median(&raw));
    let mut table = Table::new(
        format!("Full verification, SQLite, {} records (median of {} runs)", report.records, args.repeat),
        &["measurement", "records", "MB", "seconds", "records/s", "MB/s", "% of raw SHA-256"],
    );
    let mut add = |label: &str, records: u64, bytes: u64, runs: &[Duration]| {
        let t = median(runs);
        let rate = per_sec(bytes, t);
        table.row(vec![
            label.to_owned(),
            if records == 0 { "-".to_owned() } else { records.to_string() },
            format!("{:.1}", mb(bytes)),
            secs(t),
            if records == 0 { "-".to_owned() } else { format!("{:.0}", per_sec(records, t)) },
            format!("{:.1}", rate / 1e6),
            format!("{:.1} %", 100.0 * rate / raw_rate),
        ]);
        rate
    };
    let records_total = u64::try_from(report.records)?;
    let verify_rate = add("verify_store (parkops audit verify)", records_total, report.bytes, &full);
    add("  of which: read via Store::audit_after", records_total, report.bytes, &read);
    add("    SELECT via sqlx Any, not decoded", records_total, report.bytes, &any);
    add("    SELECT via sqlx SQLite, not decoded", records_total, report.bytes, &native);
    add("  of which: ChainVerifier in memory", n, mem_bytes, &memory);
    add("raw SHA-256 (sha2), one stream", 0, report.bytes, &raw);
    table.print()?;
    let ratio = verify_rate / raw_rate;
    let verdict = if ratio >= GOAL { "meets" } else { "MISSES" };
    say(format!(
        "\nverify_store runs at {:.1} % of raw SHA-256 — {verdict} the goal of ≥ {:.0} %",
        100.0 * ratio,
        100.0 * GOAL
    ))?;
    db.pool().close().await;
    crate::report::context("done")?;
    Ok(())
}

/// The columns `Store::audit_after` reads, in its order.
const SELECT_AFTER: &str = "SELECT seq, at, actor_id, actor_name, source_ip, request_id, action, entity_type, \
    entity_id, outcome, detail, detail_digest, prev_hash, hash FROM audit_event WHERE seq > $1 ORDER BY seq LIMIT $2";

/// Pages through the chain with `page(after) -> (rows, last seq)`; returns the rows seen.
async fn select_all<F, Fut>(page: F) -> anyhow::Result<usize>
where
    F: Fn(i64) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<(usize, Option<i64>)>>,
{
    let (mut after, mut count) = (0, 0);
    loop {
        let (n, last) = page(after).await?;
        let Some(last) = last else { return Ok(count) };
        (after, count) = (last, count + n);
    }
}

fn mb(bytes: u64) -> f64 {
    per_sec(bytes, Duration::from_secs(1)) / 1e6
}

/// Time to hash `bytes` bytes in one SHA-256 stream, fed from a 1 MiB buffer.
fn raw_sha256(bytes: u64) -> Duration {
    let buf: Vec<u8> = (0..1 << 20).map(|i: u32| i.to_le_bytes()[0] ^ 0x5c).collect();
    let t = Instant::now();
    let mut h = Sha256::new();
    let mut left = bytes;
    while left > 0 {
        let take = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
        h.update(&buf[..take]);
        left -= take as u64;
    }
    let digest = h.finalize();
    let elapsed = t.elapsed();
    std::hint::black_box(digest);
    elapsed
}

/// Inserts sealed records into `audit_event` as the store writes them (hashes as hex).
async fn fill(db: &Db, records: &[AuditRecord]) -> anyhow::Result<()> {
    const COLUMNS: &str = "INSERT INTO audit_event (seq, at, actor_id, actor_name, source_ip, request_id, action, \
        entity_type, entity_id, outcome, detail, detail_digest, prev_hash, hash) VALUES ";
    let text = |rows: usize| {
        let mut s = String::from(COLUMNS);
        for r in 0..rows {
            s.push_str(if r == 0 { "(" } else { ", (" });
            for c in 0..14 {
                if c > 0 {
                    s.push_str(", ");
                }
                s.push_str(&format!("${}", r * 14 + c + 1));
            }
            s.push(')');
        }
        s
    };
    let full = text(ROWS_PER_STATEMENT);
    for chunk in records.chunks(ROWS_PER_TX) {
        let mut tx = db.pool().begin().await?;
        for rows in chunk.chunks(ROWS_PER_STATEMENT) {
            let sql = if rows.len() == ROWS_PER_STATEMENT { full.clone() } else { text(rows.len()) };
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for r in rows {
                let e = &r.entry;
                q = q
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
                    .bind(hex::encode(r.hash));
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}
