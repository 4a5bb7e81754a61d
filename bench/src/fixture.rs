//! What the benchmarks run on: an [`App`] over a [`Db`], and realistic audit entries.

use std::sync::Arc;

use parkops_app::App;
use parkops_app::clock::{Clock, SystemClock};
use parkops_domain::audit::{AuditEntry, AuditRecord, GENESIS, Outcome, SigningKey};
use parkops_domain::time::Timestamp;
use parkops_store::Db;

/// The audit origin the benchmarks sign checkpoints for.
pub const ORIGIN: &str = "BENCH";

/// The application over `db`, with the real clock and a fixed (benchmark-only) audit key.
pub fn app(db: &Db) -> App {
    App {
        store: Arc::new(db.clone()),
        clock: Arc::new(SystemClock),
        audit_key: Arc::new(SigningKey::from_seed([0x5a; 32])),
        audit_origin: ORIGIN.to_owned(),
        checkpoint_every: i64::MAX,
    }
}

/// Now, from the real clock (the workspace reads time only through [`Clock`]).
pub fn now() -> Timestamp {
    SystemClock.now()
}

/// The `i`-th of a repeating mix of record shapes the server writes: logins, profile
/// updates, audit views and organisation edits, with UUID ids and JSON details.
pub fn entry(i: u64) -> AuditEntry {
    let user = uuid::Uuid::from_u64_pair(0x0193_0000_0000_7000, i % 97).to_string();
    let entity = uuid::Uuid::from_u64_pair(0x0193_0001_0000_7000, i).to_string();
    let request_id = uuid::Uuid::from_u64_pair(0x0193_0002_0000_7000, i).to_string();
    let (action, entity_type, detail) = match i % 4 {
        0 => ("auth.login", "user", r#"{"stage":"full"}"#.to_owned()),
        1 => (
            "user.update",
            "user",
            format!(
                r#"{{"display_name":"王伟{i}","phone":"138{:08}","email":"user{i}@jiangbin-park.example","is_active":true,"posts":["technician","operator"]}}"#,
                i % 100_000_000
            ),
        ),
        2 => ("audit.view", "audit", format!(r#"{{"actor":null,"action":"user.","outcome":null,"page":{}}}"#, i % 50)),
        _ => (
            "org.update",
            "organisation",
            format!(
                r#"{{"code":"E{:03}","name":"恒力化工有限公司","contact":"李娜","phone":"0512-6{:07}","is_active":true}}"#,
                i % 1000,
                i % 10_000_000
            ),
        ),
    };
    AuditEntry {
        actor_id: user,
        actor_name: format!("jb.user{}", i % 97),
        source_ip: "10.20.3.41".to_owned(),
        request_id,
        action: action.to_owned(),
        entity_type: entity_type.to_owned(),
        entity_id: entity,
        outcome: Outcome::Success,
        detail,
    }
}

/// A sealed chain of `n` records of [`entry`], one second apart from `start`.
pub fn chain(n: u64, start: Timestamp) -> Vec<AuditRecord> {
    let mut out: Vec<AuditRecord> = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
    let (mut seq, mut prev) = (0, GENESIS);
    for i in 0..n {
        let at = Timestamp::from_millis(start.as_millis() + i64::try_from(i).unwrap_or(i64::MAX / 2_000) * 1_000);
        let r = parkops_domain::audit::seal(entry(i), at, seq, prev);
        (seq, prev) = (r.seq, r.hash);
        out.push(r);
    }
    out
}

/// Bytes of record content as `parkops_app::audit::verify_store` counts them
/// (`VerifyReport::bytes`): the text fields, 16 bytes of seq and time, 96 of hashes.
pub fn record_len(r: &AuditRecord) -> u64 {
    let e = &r.entry;
    (16 + 96
        + e.actor_id.len()
        + e.actor_name.len()
        + e.source_ip.len()
        + e.request_id.len()
        + e.action.len()
        + e.entity_type.len()
        + e.entity_id.len()
        + e.detail.len()) as u64
}
