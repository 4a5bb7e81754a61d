//! ParkOps use cases and ports.
//!
//! Key types: [`App`] (the use cases, one method per command or query), [`ports::Store`]
//! and [`ports::Tx`] (the storage port every adapter implements), [`clock::Clock`],
//! [`Caller`] (who is asking, from where) and [`AppError`].
//!
//! Every use case takes a caller, checks access with the domain's rules, and writes its
//! state change together with its audit record in one [`ports::Tx`]. This crate does no
//! I/O of its own: no SQL, no HTTP, no files, no clock reads outside [`clock`].

pub mod asset;
pub mod audit;
pub mod auth;
// Calibration register (R-9.1.1d).
pub mod calibration;
pub mod clock;
pub mod demo;
pub mod demo_desk;
// Asset register demo (issue 4).
pub mod demo_asset;
pub mod desk;
mod error;
pub mod jobdesc;
pub mod notify;
pub mod org;
pub mod ports;
// Inspections, maintenance and calibration by plan (issue #4).
pub mod schedule;
pub mod secret;
pub mod settings;
pub mod user;

use std::sync::Arc;

pub use error::{AppError, FieldError, StoreError};
use parkops_domain::access::{Capability, Principal, Target};
use parkops_domain::audit::{AuditEntry, Outcome, SigningKey};

/// Who is calling and from where. Every use case takes one.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The authenticated user, if any.
    pub principal: Option<Principal>,
    /// Source address.
    pub ip: String,
    /// Request id, for correlating the audit record with logs.
    pub request_id: String,
}

impl Caller {
    /// A caller with no identity (login page, CLI bootstrap).
    #[must_use]
    pub fn anonymous(ip: impl Into<String>, request_id: impl Into<String>) -> Self {
        Self { principal: None, ip: ip.into(), request_id: request_id.into() }
    }

    /// The platform itself: background jobs (SLA watcher, deliveries, checkpoints).
    #[must_use]
    pub fn system() -> Self {
        Self::anonymous("system", "job")
    }

    /// The operator at the command line (`parkops user create` and friends).
    #[must_use]
    pub fn command_line() -> Self {
        Self::anonymous("cli", "cli")
    }

    /// An audit entry for an action of this caller.
    #[must_use]
    pub fn entry(
        &self,
        action: &str,
        entity_type: &str,
        entity_id: &str,
        outcome: Outcome,
        detail: String,
    ) -> AuditEntry {
        let (actor_id, actor_name) = match &self.principal {
            Some(p) => (p.user_id.to_string(), p.username.clone()),
            None if self.ip == "cli" => (String::new(), "cli".to_owned()),
            None if self.ip == "system" => (String::new(), "system".to_owned()),
            None => (String::new(), "anonymous".to_owned()),
        };
        AuditEntry {
            actor_id,
            actor_name,
            source_ip: self.ip.clone(),
            request_id: self.request_id.clone(),
            action: action.to_owned(),
            entity_type: entity_type.to_owned(),
            entity_id: entity_id.to_owned(),
            outcome,
            detail,
        }
    }

    /// The principal, or [`AppError::Unauthenticated`].
    ///
    /// # Errors
    /// When nobody is logged in.
    pub fn principal(&self) -> Result<&Principal, AppError> {
        self.principal.as_ref().ok_or(AppError::Unauthenticated)
    }

    /// The principal if it holds `capability` on `target`.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] otherwise.
    pub fn require(&self, capability: Capability, target: Target) -> Result<&Principal, AppError> {
        let p = self.principal()?;
        if p.can(capability, target) { Ok(p) } else { Err(AppError::Forbidden { capability }) }
    }

    /// The principal if it holds `capability` anywhere (function-level check).
    ///
    /// # Errors
    /// [`AppError::Forbidden`] otherwise.
    pub fn require_any(&self, capability: Capability) -> Result<&Principal, AppError> {
        let p = self.principal()?;
        if p.has(capability) { Ok(p) } else { Err(AppError::Forbidden { capability }) }
    }
}

/// The application: its ports and configuration. Cheap to clone.
#[derive(Clone)]
pub struct App {
    /// Storage.
    pub store: Arc<dyn ports::Store>,
    /// Time source.
    pub clock: Arc<dyn clock::Clock>,
    /// Audit checkpoint signing key (kept outside the database).
    pub audit_key: Arc<SigningKey>,
    /// The name checkpoints are signed for, e.g. the installation's host or park code.
    pub audit_origin: String,
    /// Sign a checkpoint after this many new records.
    pub checkpoint_every: i64,
}

impl App {
    /// Records a refused access: every authorisation denial leaves an audit record (等保 8.1.4.3a).
    ///
    /// # Errors
    /// [`AppError::Unavailable`] if the record cannot be written.
    pub async fn record_denial(&self, caller: &Caller, route: &str, capability: &str) -> Result<(), AppError> {
        let detail = serde_json::json!({ "route": route, "capability": capability }).to_string();
        let mut tx = self.store.begin().await?;
        tx.audit(caller.entry("access.denied", "route", route, Outcome::Denied, detail), self.clock.now()).await?;
        tx.commit().await?;
        Ok(())
    }
}
