//! The record chain as use cases: browse, export, verify, checkpoint (R-8.1.2d).

use std::collections::{BTreeMap, BTreeSet};

use parkops_domain::access::Capability;
use parkops_domain::audit::{self, AuditRecord, ChainBreak, ChainVerifier, Checkpoint, Hash, Outcome, VerifyingKey};
use serde_json::json;

use crate::ports::{AuditFilter, Page, PageRequest, Store};
use crate::{App, AppError, Caller, StoreError};

/// Records read per batch while verifying or exporting.
const BATCH: i64 = 5_000;

/// The result of a full verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Records checked before the end or the first break.
    pub records: i64,
    /// Checkpoints checked.
    pub checkpoints: usize,
    /// Bytes of record content hashed.
    pub bytes: u64,
    /// The first break, if any.
    pub result: Result<(), ChainBreak>,
}

/// Verifies the whole chain in `store` and its checkpoints (stored ones plus `external`, e.g.
/// a file exported earlier and kept elsewhere). Shared by the CLI and the web page.
///
/// # Errors
/// [`StoreError`] when the database cannot be read; a broken chain is a report, not an error.
pub async fn verify_store(
    store: &dyn Store,
    key: &VerifyingKey,
    origin: &str,
    external: &[Checkpoint],
) -> Result<VerifyReport, StoreError> {
    let mut checkpoints = store.checkpoints().await?;
    checkpoints.extend_from_slice(external);
    let wanted: BTreeSet<i64> = checkpoints.iter().map(|c| c.seq).collect();
    let mut heads: BTreeMap<i64, Hash> = BTreeMap::new();
    let mut verifier = ChainVerifier::default();
    let mut bytes = 0u64;
    let mut after = 0;
    loop {
        let batch = store.audit_after(after, BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = last.seq;
        for r in &batch {
            bytes += record_len(r);
            if let Err(e) = verifier.push(r) {
                return Ok(VerifyReport { records: verifier.verified(), checkpoints: 0, bytes, result: Err(e) });
            }
            if wanted.contains(&r.seq) {
                heads.insert(r.seq, r.hash);
            }
        }
    }
    let len = verifier.verified();
    let result = audit::check_checkpoints(&checkpoints, key, origin, len, |seq| heads.get(&seq).copied());
    Ok(VerifyReport { records: len, checkpoints: checkpoints.len(), bytes, result })
}

fn record_len(r: &AuditRecord) -> u64 {
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

/// One CSV field: quoted, quotes doubled, and text a spreadsheet would run as a formula
/// (`=`, `+`, `-`, `@`, tab, carriage return) prefixed with `'` (CWE-1236). Every CSV export
/// (audit log, ticket lists) uses it.
#[must_use]
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() };
    format!("\"{}\"", s.replace('"', "\"\""))
}

impl App {
    /// A page of the audit log, newest first. Reading it is itself recorded (等保 8.1.5.2).
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without [`Capability::AuditView`].
    pub async fn audit_page(
        &self,
        caller: &Caller,
        filter: AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditRecord>, AppError> {
        caller.require_any(Capability::AuditView)?;
        let result = self.store.audit_page(&filter, page).await?;
        let d = json!({ "actor": filter.actor, "action": filter.action, "outcome": filter.outcome, "page": page.page });
        let mut tx = self.store.begin().await?;
        tx.audit(caller.entry("audit.view", "audit", "", Outcome::Success, d.to_string()), self.clock.now()).await?;
        tx.commit().await?;
        Ok(result)
    }

    /// The audit log as CSV (UTF-8 with BOM, so spreadsheet programs show the Chinese text).
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without [`Capability::AuditExport`].
    pub async fn audit_csv(&self, caller: &Caller, filter: AuditFilter) -> Result<String, AppError> {
        caller.require_any(Capability::AuditExport)?;
        let mut out = String::from(
            "\u{feff}seq,time_utc,time_cst,actor,source_ip,request_id,action,entity_type,entity_id,outcome,detail,hash\n",
        );
        let mut page = 1;
        let mut rows = 0;
        loop {
            let p = self.store.audit_page(&filter, PageRequest { page, per_page: 200 }).await?;
            for r in &p.items {
                let e = &r.entry;
                let fields = [
                    r.seq.to_string(),
                    r.at.rfc3339(),
                    r.at.display_cst(),
                    e.actor_name.clone(),
                    e.source_ip.clone(),
                    e.request_id.clone(),
                    e.action.clone(),
                    e.entity_type.clone(),
                    e.entity_id.clone(),
                    e.outcome.code().to_owned(),
                    e.detail.clone(),
                    hex::encode(r.hash),
                ];
                out.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
                out.push('\n');
                rows += 1;
            }
            if page >= p.pages() || rows >= 100_000 {
                break;
            }
            page += 1;
        }
        let mut tx = self.store.begin().await?;
        tx.audit(
            caller.entry(
                "audit.export",
                "audit",
                "",
                Outcome::Success,
                json!({ "rows": rows, "action": filter.action, "actor": filter.actor }).to_string(),
            ),
            self.clock.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Verifies the chain and every checkpoint; the result is recorded.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without [`Capability::AuditVerify`].
    pub async fn verify_audit(&self, caller: &Caller) -> Result<VerifyReport, AppError> {
        caller.require_any(Capability::AuditVerify)?;
        let report =
            verify_store(self.store.as_ref(), &self.audit_key.verifying_key(), &self.audit_origin, &[]).await?;
        let d = json!({ "records": report.records, "checkpoints": report.checkpoints,
                        "first_bad_seq": report.result.as_ref().err().map(ChainBreak::first_bad_seq) });
        let outcome = if report.result.is_ok() { Outcome::Success } else { Outcome::Failure };
        let mut tx = self.store.begin().await?;
        tx.audit(caller.entry("audit.verify", "audit", "", outcome, d.to_string()), self.clock.now()).await?;
        tx.commit().await?;
        Ok(report)
    }

    /// Signs a checkpoint over the current head if `checkpoint_every` records (or `force`) have
    /// accrued since the last one. The checkpoint's own audit record is covered by it.
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn checkpoint_if_due(&self, force: bool) -> Result<Option<Checkpoint>, AppError> {
        let (head, _) = self.store.audit_head().await?;
        let last = self.store.checkpoints().await?.last().map_or(0, |c| c.seq);
        if head == 0 || (!force && head - last < self.checkpoint_every) || head == last {
            return Ok(None);
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let entry = Caller::system().entry(
            "audit.checkpoint",
            "audit",
            "",
            Outcome::Success,
            json!({ "previous": last }).to_string(),
        );
        let rec = tx.audit(entry, now).await?;
        let cp = Checkpoint::sign(&self.audit_key, &self.audit_origin, rec.seq, rec.hash, now);
        tx.insert_checkpoint(&cp).await?;
        tx.commit().await?;
        Ok(Some(cp))
    }

    /// Storage housekeeping (the maintenance job): WAL checkpoint and removal of sessions
    /// idle for longer than the absolute session lifetime. Sessions are bookkeeping, not
    /// records, so their expiry is not itself an audited mutation.
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn maintain_storage(&self) -> Result<u64, AppError> {
        let policy = self.security_policy().await?;
        let stale = self.clock.now().plus(-chrono::Duration::hours(i64::from(policy.session.absolute_hours)));
        Ok(self.store.maintain(stale).await?)
    }

    /// All checkpoints as the exportable text file, for a third party to keep.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without [`Capability::AuditExport`].
    pub async fn export_checkpoints(&self, caller: &Caller) -> Result<String, AppError> {
        caller.require_any(Capability::AuditExport)?;
        let cps = self.store.checkpoints().await?;
        let mut tx = self.store.begin().await?;
        tx.audit(
            caller.entry(
                "audit.checkpoints_export",
                "audit",
                "",
                Outcome::Success,
                json!({ "checkpoints": cps.len() }).to_string(),
            ),
            self.clock.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(audit::export_checkpoints(&self.audit_origin, &self.audit_key.verifying_key(), &cps))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("a\"b"), "\"a\"\"b\"");
        assert_eq!(csv_field("=SUM(A1)"), "\"'=SUM(A1)\"");
        assert_eq!(csv_field("张三"), "\"张三\"");
    }
}
