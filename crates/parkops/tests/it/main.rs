//! End-to-end tests of the `parkops` binary: the built executable is run as an operator
//! would run it, on a fresh SQLite database and, when configured (always in CI), on a
//! fresh PostgreSQL schema. One test binary; one module per feature.

mod asset_cli;
mod audit_cli;
mod helpers;
mod jobs;
mod notify;
mod serve;
