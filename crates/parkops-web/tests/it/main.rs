//! End-to-end tests of the web layer through the real router, on SQLite and PostgreSQL.
//! Requests go through `tower::ServiceExt::oneshot`; time is a `ManualClock`.

mod access;
mod auth;
mod browser;
mod channels;
mod desk;
mod flows;
mod support;
