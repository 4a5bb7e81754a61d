//! Typed settings, parsed once from the command line ([`crate::cli`]) and checked before
//! anything is opened: a refused setting never touches the database.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, bail};
use parkops_jobs::JobIntervals;
use parkops_store::DatabaseUrl;

use crate::cli::{DbArgs, ServeArgs};

/// A duration written as a number and a unit: `500ms`, `30s`, `5m`, `1h`, `1d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl FromStr for HumanDuration {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (number, unit) = s.split_at(split);
        let n: u64 = number.parse().map_err(|_| format!("`{s}` is not a duration like 30s, 5m or 1h"))?;
        let duration = match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.saturating_mul(60)),
            "h" => Duration::from_secs(n.saturating_mul(3600)),
            "d" => Duration::from_secs(n.saturating_mul(86_400)),
            _ => return Err(format!("`{s}`: the unit must be ms, s, m, h or d")),
        };
        if duration.is_zero() {
            return Err(format!("`{s}`: the duration must be positive"));
        }
        Ok(Self(duration))
    }
}

/// Where the data lives, resolved.
#[derive(Debug, Clone)]
pub struct DataSettings {
    /// The data directory (audit key files; the SQLite file by default).
    pub data_dir: PathBuf,
    /// The database.
    pub database: DatabaseUrl,
}

impl DataSettings {
    /// Resolves `--data-dir` and `--database-url`.
    ///
    /// # Errors
    /// A database URL of an unknown scheme.
    pub fn from_args(args: &DbArgs) -> anyhow::Result<Self> {
        let database = DatabaseUrl::resolve(args.database_url.as_deref(), &args.data_dir)
            .map_err(anyhow::Error::msg)
            .context("invalid --database-url")?;
        Ok(Self { data_dir: args.data_dir.clone(), database })
    }
}

/// TLS certificate and key files.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// Certificate chain, PEM.
    pub cert: PathBuf,
    /// Private key, PEM.
    pub key: PathBuf,
}

/// Everything `serve` needs.
#[derive(Debug, Clone)]
pub struct ServeSettings {
    /// Main listener.
    pub listen: SocketAddr,
    /// The data.
    pub data: DataSettings,
    /// HTTPS when set.
    pub tls: Option<TlsFiles>,
    /// Load the demo park at start.
    pub demo: bool,
    /// Separate listener for the server's own metrics.
    pub metrics_listen: Option<SocketAddr>,
    /// Audit records between checkpoints.
    pub checkpoint_every: i64,
    /// Job intervals.
    pub jobs: JobIntervals,
    /// Whether notification channels may point at loopback addresses.
    pub notify_allow_loopback: bool,
    /// Grace period for open connections at shutdown.
    pub shutdown_grace: Duration,
}

impl ServeSettings {
    /// Checks the serve flags.
    ///
    /// # Errors
    /// Plain HTTP on a non-loopback address without `--allow-plain-http` (R-9.1.2e: the
    /// network path must be protected), or an invalid database URL.
    pub fn from_args(args: &ServeArgs) -> anyhow::Result<Self> {
        let tls = match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert: cert.clone(), key: key.clone() }),
            (None, None) => None,
            _ => bail!("--tls-cert and --tls-key go together"),
        };
        let listeners =
            std::iter::once(("--listen", args.listen)).chain(args.metrics_listen.map(|a| ("--metrics-listen", a)));
        for (flag, addr) in listeners {
            if tls.is_none() && !args.allow_plain_http && !addr.ip().is_loopback() {
                bail!(
                    "refusing plain HTTP on {addr} ({flag}), which is not a loopback address: \
                     passwords and session cookies would cross the network unencrypted. \
                     Give --tls-cert and --tls-key, or pass --allow-plain-http when a \
                     TLS-terminating proxy stands in front"
                );
            }
        }
        Ok(Self {
            listen: args.listen,
            data: DataSettings::from_args(&args.db)?,
            tls,
            demo: args.demo,
            metrics_listen: args.metrics_listen,
            checkpoint_every: args.checkpoint_every,
            jobs: JobIntervals {
                sign_audit_checkpoint: args.checkpoint_interval.0,
                maintain_storage: args.maintenance_interval.0,
                watch_sla: args.watch_sla_every.0,
                auto_close_tickets: args.auto_close_every.0,
                deliver_notifications: args.deliver_notifications_every.0,
                run_schedules: args.run_schedules_every.0,
                remind_calibrations: args.remind_calibrations_every.0,
            },
            notify_allow_loopback: args.notify_allow_loopback,
            shutdown_grace: args.shutdown_grace.0,
        })
    }

    /// The web layer's settings. Built here only, so a new field has one place to be set.
    #[must_use]
    pub fn web_config(&self) -> parkops_web::WebConfig {
        parkops_web::WebConfig { secure_cookies: self.tls.is_some() }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn serve(args: &[&str]) -> anyhow::Result<ServeSettings> {
        let cli = Cli::try_parse_from(["parkops", "serve"].iter().chain(args)).expect("parse");
        let Command::Serve(a) = cli.command else { panic!("serve") };
        ServeSettings::from_args(&a)
    }

    #[test]
    fn durations_take_a_unit() {
        assert_eq!("30s".parse(), Ok(HumanDuration(Duration::from_secs(30))));
        assert_eq!("5m".parse(), Ok(HumanDuration(Duration::from_secs(300))));
        assert_eq!("2h".parse(), Ok(HumanDuration(Duration::from_secs(7200))));
        assert_eq!("250ms".parse(), Ok(HumanDuration(Duration::from_millis(250))));
        assert!("30".parse::<HumanDuration>().is_err());
        assert!("0s".parse::<HumanDuration>().is_err());
        assert!("m".parse::<HumanDuration>().is_err());
        assert!("5 weeks".parse::<HumanDuration>().is_err());
    }

    #[test]
    fn plain_http_is_refused_off_loopback() {
        let err = serve(&["--listen", "0.0.0.0:8080"]).expect_err("refused");
        assert!(err.to_string().contains("--allow-plain-http"), "{err}");
        assert!(serve(&["--listen", "127.0.0.1:8080", "--metrics-listen", "0.0.0.0:9090"]).is_err());
    }

    #[test]
    fn plain_http_is_allowed_on_loopback_behind_a_proxy_or_with_tls() {
        assert!(serve(&["--listen", "127.0.0.1:8080"]).is_ok());
        assert!(serve(&["--listen", "[::1]:8080"]).is_ok());
        assert!(serve(&["--listen", "0.0.0.0:8080", "--allow-plain-http"]).is_ok());
        let tls = serve(&["--listen", "0.0.0.0:8443", "--tls-cert", "c.pem", "--tls-key", "k.pem"]).expect("tls");
        assert!(tls.web_config().secure_cookies);
        assert!(!serve(&[]).expect("default").web_config().secure_cookies);
    }

    #[test]
    fn every_job_has_an_interval_with_a_default() {
        let s = serve(&[]).expect("default");
        assert_eq!(s.jobs.sign_audit_checkpoint, Duration::from_secs(300));
        assert_eq!(s.jobs.maintain_storage, Duration::from_secs(3600));
        assert_eq!(s.jobs.watch_sla, Duration::from_secs(60));
        assert_eq!(s.jobs.auto_close_tickets, Duration::from_secs(600));
        let s = serve(&["--watch-sla-every", "30s", "--auto-close-every", "1h"]).expect("flags");
        assert_eq!((s.jobs.watch_sla, s.jobs.auto_close_tickets), (Duration::from_secs(30), Duration::from_secs(3600)));
        assert_eq!(s.jobs.schedules().len(), parkops_jobs::Job::ALL.len());
        let cli = Cli::try_parse_from(["parkops", "serve", "--watch-sla-every", "0s"]);
        assert!(cli.is_err(), "a zero interval is refused");
    }

    #[test]
    fn the_database_defaults_to_sqlite_in_the_data_dir() {
        let s = serve(&["--data-dir", "/srv/parkops"]).expect("settings");
        assert_eq!(s.data.database, DatabaseUrl::Sqlite(PathBuf::from("/srv/parkops/parkops.db")));
        assert!(serve(&["--database-url", "mysql://x"]).is_err());
    }
}
