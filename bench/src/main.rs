//! ParkOps benchmarks: the four foundation figures of `docs/benchmarks.md` and the service
//! desk's two (ticket creation at a fixed rate, the queue at a million tickets).
//!
//! Each subcommand sets up its own fresh data (a SQLite file in a temporary directory, a
//! PostgreSQL schema of its own, or a spawned `parkops serve` on a loopback port), measures a
//! bounded number of operations, prints a result table and removes what it created. Nothing
//! leaves 127.0.0.1. This crate is a tool, not a library: nothing depends on it.

/// The product's allocator (ADR 0014), so that use cases run in process as in `parkops`.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

mod append;
// Asset register figures 7–9 (issue 4).
mod assets;
mod create;
mod fixture;
mod login;
mod memory;
mod queue;
mod report;
mod schema;
mod server;
mod session;
mod tickets;
mod verify;
mod work;

use clap::{Parser, Subcommand};

/// ParkOps benchmarks (docs/benchmarks.md).
#[derive(Debug, Parser)]
#[command(name = "parkops-bench", about)]
struct Cli {
    /// The figure to measure.
    #[command(subcommand)]
    command: Command,
}

/// The figures.
#[derive(Debug, Subcommand)]
enum Command {
    /// Durable audit append rate: chained audit transactions vs plain single-row insert transactions.
    AuditAppend(append::AppendArgs),
    /// Full verification rate of the audit chain vs raw SHA-256 over the same bytes.
    Verify(verify::VerifyArgs),
    /// Login latency: argon2 verification, the login use case in process, and real HTTP logins.
    Login(login::LoginArgs),
    /// Resident memory of an idle `parkops serve --demo`.
    IdleMemory(memory::MemoryArgs),
    /// Ticket creation latency: `POST /api/v1/tickets` to a real server at a fixed rate (open loop).
    CreateTicket(create::CreateArgs),
    /// The ticket queue page and API at a million tickets.
    Queue(queue::QueueArgs),
    /// Asset register: import of 100,000 CIs, two-hop impact on 10,000, the list at 100,000.
    Assets(assets::AssetsArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::AuditAppend(args) => append::run(args).await,
        Command::Verify(args) => verify::run(args).await,
        Command::Login(args) => login::run(args).await,
        Command::IdleMemory(args) => memory::run(args).await,
        Command::CreateTicket(args) => create::run(args).await,
        Command::Queue(args) => queue::run(args).await,
        Command::Assets(args) => assets::run(args).await,
    }
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
    fn counts_are_bounded() {
        assert!(Cli::try_parse_from(["parkops-bench", "login", "--http-logins", "11"]).is_err());
        assert!(Cli::try_parse_from(["parkops-bench", "audit-append", "--rows", "100000000"]).is_err());
        assert!(Cli::try_parse_from(["parkops-bench", "verify", "--records", "1000"]).is_ok());
        assert!(Cli::try_parse_from(["parkops-bench", "create-ticket", "--rate", "5000"]).is_err());
        assert!(Cli::try_parse_from(["parkops-bench", "create-ticket", "--seconds", "1000"]).is_err());
        assert!(Cli::try_parse_from(["parkops-bench", "queue", "--tickets", "100000000"]).is_err());
        assert!(Cli::try_parse_from(["parkops-bench", "queue", "--requests", "5000"]).is_err());
        assert!(Cli::try_parse_from(["parkops-bench", "create-ticket", "--rate", "500", "--seconds", "20"]).is_ok());
    }
}
