//! The command line. Every flag can also be given as a `PARKOPS_…` environment variable;
//! clap reads them here, so no other module looks at the environment.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::HumanDuration;

/// ParkOps — smart chemical park O&M platform (智慧化工园区运维管理平台).
#[derive(Debug, Parser)]
#[command(name = "parkops", version, about, propagate_version = true)]
pub struct Cli {
    /// Log format on stderr; the level comes from RUST_LOG (default: info for serve, warn otherwise).
    #[arg(long, global = true, env = "PARKOPS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web UI, the JSON API and the background jobs.
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(DbArgs),
    /// Manage user accounts from the server's console.
    #[command(subcommand)]
    User(UserCommand),
    /// Verify, checkpoint and export the audit chain.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Load the demo park 江滨新材料化工园区 (does nothing if it is present).
    Demo(DbArgs),
    /// Import and export the asset register's sheets (XLSX or CSV).
    #[command(subcommand)]
    Asset(AssetCommand),
}

/// Where the data lives.
#[derive(Clone, Args)]
pub struct DbArgs {
    /// Data directory: the SQLite database (unless --database-url) and the audit signing key.
    #[arg(long, env = "PARKOPS_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Database URL, `postgres://…` or `sqlite://FILE`; default: `<data-dir>/parkops.db`.
    #[arg(long, env = "PARKOPS_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

impl fmt::Debug for DbArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password.
        f.debug_struct("DbArgs")
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url.as_ref().map(|_| "<set>"))
            .finish()
    }
}

/// `parkops serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (IP:port).
    #[arg(long, env = "PARKOPS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The data.
    #[command(flatten)]
    pub db: DbArgs,
    /// TLS certificate chain (PEM). With --tls-key, serves HTTPS.
    #[arg(long, env = "PARKOPS_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, env = "PARKOPS_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Allow plain HTTP on a non-loopback address (behind a TLS-terminating proxy).
    #[arg(long, env = "PARKOPS_ALLOW_PLAIN_HTTP", value_parser = BoolishValueParser::new())]
    pub allow_plain_http: bool,
    /// Load the demo park at start if it is absent.
    #[arg(long, env = "PARKOPS_DEMO", value_parser = BoolishValueParser::new())]
    pub demo: bool,
    /// Serve the server's own Prometheus metrics on this separate address.
    #[arg(long, env = "PARKOPS_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Sign an audit checkpoint after this many new audit records.
    #[arg(long, env = "PARKOPS_CHECKPOINT_EVERY", default_value_t = 1000, value_parser = clap::value_parser!(i64).range(1..))]
    pub checkpoint_every: i64,
    /// How often the checkpoint job looks whether a checkpoint is due (e.g. 30s, 5m, 1h).
    #[arg(long, env = "PARKOPS_CHECKPOINT_INTERVAL", default_value = "5m")]
    pub checkpoint_interval: HumanDuration,
    /// How often storage housekeeping runs (WAL checkpoint, stale sessions).
    #[arg(long, env = "PARKOPS_MAINTENANCE_INTERVAL", default_value = "1h")]
    pub maintenance_interval: HumanDuration,
    /// How often the SLA watcher looks at open tickets (warning at 80 %, escalation at 100 %).
    #[arg(long, env = "PARKOPS_WATCH_SLA_EVERY", default_value = "60s")]
    pub watch_sla_every: HumanDuration,
    /// How often resolved tickets past the confirmation period are closed automatically.
    #[arg(long, env = "PARKOPS_AUTO_CLOSE_EVERY", default_value = "10m")]
    pub auto_close_every: HumanDuration,
    /// How often queued notifications are sent through their channels (within each
    /// platform's rate limit, as digests when throttled).
    #[arg(long, env = "PARKOPS_DELIVER_NOTIFICATIONS_EVERY", default_value = "5s")]
    pub deliver_notifications_every: HumanDuration,
    // Inspections, maintenance and calibration by plan (issue #4).
    /// How often plans generate their due tasks and late tasks are marked overdue and
    /// escalated (each once).
    #[arg(long, env = "PARKOPS_RUN_SCHEDULES_EVERY", default_value = "10m")]
    pub run_schedules_every: HumanDuration,
    // Calibration register (R-9.1.1d).
    /// How often the owners of CIs falling due or overdue for calibration are reminded (each
    /// once per due date; the first run is at start).
    #[arg(long, env = "PARKOPS_REMIND_CALIBRATIONS_EVERY", default_value = "1d")]
    pub remind_calibrations_every: HumanDuration,
    /// Let notification channels point at loopback addresses (local receivers and tests only;
    /// off by default as a guard against requests to the server itself).
    #[arg(long, env = "PARKOPS_NOTIFY_ALLOW_LOOPBACK")]
    pub notify_allow_loopback: bool,
    /// How long open connections may take to finish at shutdown.
    #[arg(long, env = "PARKOPS_SHUTDOWN_GRACE", default_value = "20s")]
    pub shutdown_grace: HumanDuration,
}

/// `parkops user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; the password is read from the first line of stdin.
    Create(UserCreateArgs),
    /// Set an account's password (recovery); the password is read from the first line of stdin.
    SetPassword(SetPasswordArgs),
}

/// `parkops user create`.
#[derive(Debug, Args)]
pub struct UserCreateArgs {
    /// The data.
    #[command(flatten)]
    pub db: DbArgs,
    /// Login name.
    #[arg(long, env = "PARKOPS_USERNAME")]
    pub username: String,
    /// Post code (repeatable): manager, technician, operator, supervisor, supplier_engineer,
    /// reporter, system_admin, security_admin, audit_admin.
    #[arg(long = "post", env = "PARKOPS_POSTS", value_delimiter = ',', required = true)]
    pub posts: Vec<String>,
    /// Organisation code; default: the using unit (created with a first park on an empty database).
    #[arg(long, env = "PARKOPS_ORG")]
    pub org: Option<String>,
    /// Display name; default: the login name.
    #[arg(long, env = "PARKOPS_DISPLAY_NAME")]
    pub display_name: Option<String>,
    /// Read the password from the first line of stdin (required: passwords never go on the command line).
    #[arg(long, env = "PARKOPS_PASSWORD_STDIN", value_parser = BoolishValueParser::new())]
    pub password_stdin: bool,
}

/// `parkops user set-password`.
#[derive(Debug, Args)]
pub struct SetPasswordArgs {
    /// The data.
    #[command(flatten)]
    pub db: DbArgs,
    /// Login name.
    #[arg(long, env = "PARKOPS_USERNAME")]
    pub username: String,
    /// Read the password from the first line of stdin (required).
    #[arg(long, env = "PARKOPS_PASSWORD_STDIN", value_parser = BoolishValueParser::new())]
    pub password_stdin: bool,
}

// Asset register (issue #4).
/// `parkops asset …`.
#[derive(Debug, Subcommand)]
pub enum AssetCommand {
    /// Import a whole XLSX or CSV file: every row is checked first; on any problem the report
    /// (sheet, row, column, message) is printed, nothing is written and the exit code is 1.
    Import(AssetImportArgs),
    /// Export the register (or one class) as .xlsx (CIs and relations) or .csv (CIs).
    Export(AssetExportArgs),
}

/// `parkops asset import`.
#[derive(Debug, Args)]
pub struct AssetImportArgs {
    /// The data.
    #[command(flatten)]
    pub db: DbArgs,
    /// The file (.xlsx or .csv).
    pub file: PathBuf,
    /// The login name the import acts as (its rights apply; it is named in the audit record).
    #[arg(long = "as", env = "PARKOPS_ASSET_USER")]
    pub user: String,
    /// Check the whole file and report what would change, writing nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `parkops asset export`.
#[derive(Debug, Args)]
pub struct AssetExportArgs {
    /// The data.
    #[command(flatten)]
    pub db: DbArgs,
    /// The file to write (.xlsx or .csv).
    pub file: PathBuf,
    /// The login name the export acts as (its scope applies; it is named in the audit record).
    #[arg(long = "as", env = "PARKOPS_ASSET_USER")]
    pub user: String,
    /// Only this class (code).
    #[arg(long)]
    pub class: Option<String>,
}

/// `parkops audit …`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify the hash chain and every checkpoint; exit 1 on a break, 2 when it cannot be read.
    Verify(VerifyArgs),
    /// Write all signed checkpoints as a text file for a third party to keep.
    ExportCheckpoints(ExportArgs),
    /// Sign a checkpoint over the current chain head now.
    Checkpoint(DbArgs),
}

/// `parkops audit verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The data.
    #[command(flatten)]
    pub db: DbArgs,
    /// A checkpoint file exported earlier and kept elsewhere, checked as well.
    #[arg(long, env = "PARKOPS_AUDIT_CHECKPOINTS")]
    pub checkpoints: Option<PathBuf>,
    /// The audit public key (hex); default: `<data-dir>/audit-signing.pub`.
    #[arg(long, env = "PARKOPS_AUDIT_PUBLIC_KEY")]
    pub public_key: Option<String>,
}

/// `parkops audit export-checkpoints`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The data.
    #[command(flatten)]
    pub db: DbArgs,
    /// Output file; default: stdout.
    #[arg(long, env = "PARKOPS_AUDIT_OUT")]
    pub out: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_defaults_are_loopback_and_local_data() {
        let cli = Cli::try_parse_from(["parkops", "serve"]).expect("parse");
        let Command::Serve(args) = cli.command else { panic!("serve") };
        assert_eq!(args.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(args.db.data_dir, PathBuf::from("./data"));
        assert_eq!(args.checkpoint_every, 1000);
        assert!(!args.allow_plain_http && !args.demo);
    }

    #[test]
    fn tls_needs_both_files() {
        assert!(Cli::try_parse_from(["parkops", "serve", "--tls-cert", "c.pem"]).is_err());
        assert!(Cli::try_parse_from(["parkops", "serve", "--tls-cert", "c.pem", "--tls-key", "k.pem"]).is_ok());
    }

    #[test]
    fn posts_repeat() {
        let cli = Cli::try_parse_from([
            "parkops",
            "user",
            "create",
            "--username",
            "u1",
            "--post",
            "manager",
            "--post",
            "technician",
            "--password-stdin",
        ])
        .expect("parse");
        let Command::User(UserCommand::Create(args)) = cli.command else { panic!("user create") };
        assert_eq!(args.posts, vec!["manager", "technician"]);
        assert!(args.password_stdin);
    }
}
