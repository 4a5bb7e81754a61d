//! Result tables and summary statistics.

use std::io::Write;
use std::time::Duration;

/// A titled table, printed with aligned columns (first column left, the rest right).
#[derive(Debug)]
pub struct Table {
    title: String,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table.
    pub fn new(title: impl Into<String>, headers: &[&str]) -> Self {
        Self { title: title.into(), headers: headers.iter().map(|h| (*h).to_owned()).collect(), rows: Vec::new() }
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Prints the table to stdout.
    ///
    /// # Errors
    /// When stdout is closed.
    pub fn print(&self) -> std::io::Result<()> {
        let columns = self.headers.len();
        let width = |i: usize| {
            self.rows
                .iter()
                .filter_map(|r| r.get(i))
                .chain(std::iter::once(&self.headers[i]))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..columns).map(width).collect();
        let line = |cells: &[String]| {
            let mut out = String::new();
            for (i, w) in widths.iter().enumerate() {
                let cell = cells.get(i).map_or("", String::as_str);
                let pad = w.saturating_sub(cell.chars().count());
                if i > 0 {
                    out.push_str("  ");
                }
                if i == 0 {
                    out.push_str(cell);
                    out.push_str(&" ".repeat(pad));
                } else {
                    out.push_str(&" ".repeat(pad));
                    out.push_str(cell);
                }
            }
            out.trim_end().to_owned()
        };
        let mut out = std::io::stdout().lock();
        writeln!(out)?;
        writeln!(out, "{}", self.title)?;
        let header = line(&self.headers);
        writeln!(out, "{header}")?;
        writeln!(out, "{}", "-".repeat(header.chars().count()))?;
        for r in &self.rows {
            writeln!(out, "{}", line(r))?;
        }
        Ok(())
    }
}

/// Prints one line to stdout.
///
/// # Errors
/// When stdout is closed.
pub fn say(text: impl AsRef<str>) -> std::io::Result<()> {
    writeln!(std::io::stdout().lock(), "{}", text.as_ref())
}

/// Prints what the figures depend on: this tool's build profile, the cores and the load.
///
/// # Errors
/// When stdout is closed.
pub fn context(what: &str) -> std::io::Result<()> {
    let profile = if cfg!(debug_assertions) { "debug" } else { "release" };
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    say(format!("{what}: parkops-bench {profile} build, {cores} cores, load average {}", load.join(" ")))
}

/// Order statistics of a set of latencies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Samples.
    pub n: usize,
    /// Median (nearest rank).
    pub p50: Duration,
    /// 95th percentile (nearest rank).
    pub p95: Duration,
    /// 99th percentile (nearest rank).
    pub p99: Duration,
    /// Largest sample.
    pub max: Duration,
    /// Arithmetic mean.
    pub mean: Duration,
    /// Sum of all samples.
    pub total: Duration,
}

impl Summary {
    /// Summarises `samples` (at least one).
    pub fn of(samples: &[Duration]) -> Self {
        let mut s = samples.to_vec();
        s.sort_unstable();
        let n = s.len();
        let rank = |p: usize| s.get((p * n).div_ceil(100).saturating_sub(1)).copied().unwrap_or_default();
        let total: Duration = s.iter().sum();
        let mean = u32::try_from(n).ok().filter(|&k| k > 0).map_or(Duration::ZERO, |k| total / k);
        Self { n, p50: rank(50), p95: rank(95), p99: rank(99), max: s.last().copied().unwrap_or_default(), mean, total }
    }

    /// The cells `n, p50, p95, p99, max, mean` in milliseconds.
    pub fn cells(&self) -> Vec<String> {
        vec![self.n.to_string(), ms(self.p50), ms(self.p95), ms(self.p99), ms(self.max), ms(self.mean)]
    }
}

/// Milliseconds with two decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

/// Seconds with three decimals.
pub fn secs(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

/// `count` per second over `d`, without decimals.
#[allow(clippy::cast_precision_loss, reason = "benchmark counts are far below 2^52")]
pub fn per_sec(count: u64, d: Duration) -> f64 {
    count as f64 / d.as_secs_f64().max(1e-9)
}

/// The median of a few durations (the upper one of an even count).
pub fn median(samples: &[Duration]) -> Duration {
    let mut s = samples.to_vec();
    s.sort_unstable();
    s.get(s.len() / 2).copied().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let s = Summary::of(&samples);
        assert_eq!((s.p50, s.p95, s.p99, s.max), (ms_(50), ms_(95), ms_(99), ms_(100)));
        let ten: Vec<Duration> = (1..=10).map(Duration::from_millis).collect();
        let s = Summary::of(&ten);
        assert_eq!((s.p50, s.p95, s.p99), (ms_(5), ms_(10), ms_(10)));
        assert_eq!(median(&[ms_(3), ms_(1), ms_(2)]), ms_(2));
    }

    fn ms_(n: u64) -> Duration {
        Duration::from_millis(n)
    }
}
