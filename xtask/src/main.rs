//! Project tasks in Rust, run as `cargo xtask <task>` (alias in `.cargo/config.toml`).
//!
//! - `arch`: reads `cargo metadata` and fails on a dependency edge that breaks the layer
//!   rules of STYLE.md §2 (domain ← app ← adapters ← binary; testkit only as a dev-dependency).
//! - `migrations`: fails unless `crates/parkops-store/migrations/{sqlite,postgres}` hold
//!   files with identical names.
//!
//! Never: build or change anything; these tasks only read and report.

mod arch;
mod migrations;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <task>\n\ntasks:\n  arch         check the dependency direction between workspace crates\n  migrations   check that the SQLite and PostgreSQL migration folders hold the same file names\n";

fn main() -> ExitCode {
    let task = std::env::args().nth(1);
    let result = match task.as_deref() {
        Some("arch") => run_arch(),
        Some("migrations") => run_migrations(),
        Some("help" | "-h" | "--help") => {
            let _ = std::io::stdout().write_all(USAGE.as_bytes());
            return ExitCode::SUCCESS;
        }
        _ => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: the parent of this crate's folder.
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map_or_else(|| manifest.to_path_buf(), Path::to_path_buf)
}

fn run_arch() -> Result<(), String> {
    let metadata = arch::cargo_metadata(&workspace_root())?;
    let violations = arch::check(&metadata)?;
    if violations.is_empty() {
        let _ = writeln!(std::io::stdout(), "arch: ok, every dependency edge follows the layer rules");
        return Ok(());
    }
    let lines: Vec<String> = violations.iter().map(ToString::to_string).collect();
    Err(format!("arch: {} forbidden dependency edge(s):\n  {}", lines.len(), lines.join("\n  ")))
}

fn run_migrations() -> Result<(), String> {
    let root = workspace_root().join("crates/parkops-store/migrations");
    let mismatch = migrations::compare(&root.join("sqlite"), &root.join("postgres"))?;
    if mismatch.is_empty() {
        let _ = writeln!(std::io::stdout(), "migrations: ok, sqlite/ and postgres/ hold the same file names");
        return Ok(());
    }
    Err(format!("migrations: the folders differ:\n  {}", mismatch.join("\n  ")))
}
