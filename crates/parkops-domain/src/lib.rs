//! ParkOps domain model — the pure core of the platform.
//!
//! Key types: [`org::OrgType`], [`access::Post`], [`access::Capability`] and
//! [`access::Principal`] (who may do what, where), [`password::PasswordPolicy`]
//! (R-9.1.2d), [`session::SessionPolicy`] and [`session::LockoutPolicy`]
//! (等保 8.1.4.1b), and [`audit`] (the tamper-evident record chain, R-8.1.2d).
//!
//! This crate must never do I/O, never be async, and never read the clock:
//! `now` is always a parameter ([`time::Timestamp`]).

pub mod access;
pub mod asset;
pub mod audit;
pub mod calendar;
pub mod calibration;
pub mod id;
pub mod notify;
pub mod org;
pub mod password;
pub mod recurrence;
// Inspections, maintenance and calibration by plan (issue #4).
pub mod schedule;
pub mod session;
pub mod sla;
pub mod ticket;
pub mod time;
