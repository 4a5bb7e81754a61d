//! Figure 3: resident memory of an idle `parkops serve --demo` on SQLite.
//!
//! Starts the server on a fresh data directory, waits (bounded) for `/healthz` to answer 200,
//! then sends nothing for `--settle-secs` while sampling `/proc/<pid>/status` every 5 s, and
//! reports the last sample (`VmRSS`, with its anonymous and file-backed parts) and the peak
//! (`VmHWM`). Then stops the server with SIGTERM.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;

use crate::report::{Table, say, secs};
use crate::server::{self, Server};
use crate::work::WorkDir;

/// `parkops-bench idle-memory`.
#[derive(Debug, Args)]
pub struct MemoryArgs {
    /// A `parkops` binary to measure (repeatable); default: the debug build and, when present,
    /// the release build.
    #[arg(long = "bin")]
    bins: Vec<PathBuf>,
    /// Seconds of quiet after `/healthz` first answers before the reading.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(0..=600))]
    settle_secs: u64,
    /// Where the data goes (default: the system temporary directory).
    #[arg(long)]
    work_dir: Option<PathBuf>,
}

/// Goal: at most this many bytes resident when idle (40 MB).
const GOAL_BYTES: u64 = 40_000_000;
/// Interval between samples while settling.
const SAMPLE: Duration = Duration::from_secs(5);

/// Memory figures of one process, in bytes.
#[derive(Debug, Clone, Copy, Default)]
struct Status {
    rss: u64,
    hwm: u64,
    anon: u64,
    file: u64,
    threads: u64,
}

fn read_status(pid: u32) -> anyhow::Result<Status> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).context("read /proc/<pid>/status")?;
    let mut s = Status::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else { continue };
        let number = value.split_whitespace().next().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        match key {
            "VmRSS" => s.rss = number * 1024,
            "VmHWM" => s.hwm = number * 1024,
            "RssAnon" => s.anon = number * 1024,
            "RssFile" => s.file = number * 1024,
            "Threads" => s.threads = number,
            _ => {}
        }
    }
    Ok(s)
}

/// Runs the benchmark.
///
/// # Errors
/// When no binary is found or a server cannot be run.
pub async fn run(args: MemoryArgs) -> anyhow::Result<()> {
    crate::report::context("idle-memory")?;
    let bins = if args.bins.is_empty() {
        ["debug", "release"].into_iter().filter_map(server::parkops_binary).collect()
    } else {
        args.bins.clone()
    };
    if bins.is_empty() {
        bail!("no parkops binary found; build it (cargo build -p parkops) or pass --bin");
    }
    let mut table = Table::new(
        format!("Idle memory of parkops serve --demo on SQLite, {} s after /healthz first answered", args.settle_secs),
        &[
            "binary",
            "VmRSS MiB",
            "VmRSS MB",
            "RssAnon MiB",
            "RssFile MiB",
            "VmHWM MiB",
            "RSS range while idle MiB",
            "threads",
            "ready s",
            "goal ≤ 40 MB",
        ],
    );
    for bin in &bins {
        say(format!("measuring {} …", bin.display()))?;
        let (ready, last, low, high) = measure(bin, args.work_dir.as_deref(), args.settle_secs).await?;
        let size = std::fs::metadata(bin).map(|m| m.len()).unwrap_or(0);
        table.row(vec![
            format!("{} ({} MiB file)", server::profile_of(bin), mib(size)),
            mib(last.rss),
            format!("{:.1}", bytes_f(last.rss) / 1e6),
            mib(last.anon),
            mib(last.file),
            mib(last.hwm),
            format!("{}–{}", mib(low), mib(high)),
            last.threads.to_string(),
            secs(ready),
            if last.rss <= GOAL_BYTES { "meets".to_owned() } else { "MISSES".to_owned() },
        ]);
    }
    table.print()?;
    say("\nMiB = 2^20 bytes, MB = 10^6 bytes; the goal is read as 40 MB = 40,000,000 bytes.")?;
    crate::report::context("done")?;
    Ok(())
}

async fn measure(bin: &Path, work: Option<&Path>, settle: u64) -> anyhow::Result<(Duration, Status, u64, u64)> {
    let dir = WorkDir::new(work, "memory")?;
    let started = Instant::now();
    let server = Server::start(bin, dir.path()).await?;
    server.wait_healthy().await?;
    let ready = started.elapsed();
    let quiet_from = Instant::now();
    let mut last = read_status(server.pid())?;
    let (mut low, mut high) = (last.rss, last.rss);
    let settle = Duration::from_secs(settle);
    while quiet_from.elapsed() < settle {
        tokio::time::sleep(SAMPLE.min(settle.saturating_sub(quiet_from.elapsed()))).await;
        last = read_status(server.pid())?;
        low = low.min(last.rss);
        high = high.max(last.rss);
    }
    server.stop().await?;
    Ok((ready, last, low, high))
}

#[allow(clippy::cast_precision_loss, reason = "memory sizes are far below 2^52")]
fn bytes_f(b: u64) -> f64 {
    b as f64
}

fn mib(b: u64) -> String {
    format!("{:.1}", bytes_f(b) / f64::from(1u32 << 20))
}
