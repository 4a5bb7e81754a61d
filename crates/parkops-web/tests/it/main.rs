//! End-to-end tests of the web layer through the real router, on SQLite and PostgreSQL.
//! Requests go through `tower::ServiceExt::oneshot`; time is a `ManualClock`.

mod access;
mod assets;
mod auth;
mod browser;
// Calibration register (R-9.1.1d).
mod calibration;
mod channels;
mod desk;
mod flows;
// Inspections, maintenance and calibration by plan (issue #4).
mod schedules;
mod support;
