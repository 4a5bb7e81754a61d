//! Row → domain mapping. Status and type codes are mapped here and only here, through the
//! domain's exhaustive `code`/`parse` pairs (round-trip tested in the contract suite).

use chrono::NaiveDate;
use std::collections::BTreeSet;

use parkops_app::StoreError;
use parkops_app::ports::{ApiTokenRecord, JobDescriptionRecord, PolicyRecord, SessionRecord, SessionStage, UserRecord};
use parkops_domain::access::Post;
use parkops_domain::audit::{AuditEntry, AuditRecord, Checkpoint, Hash, Outcome};
use parkops_domain::id::{ApiTokenId, JobDescriptionId, OrgId, ParkId, UserId};
use parkops_domain::org::{OrgType, Organisation, Park};
use parkops_domain::session::LoginFailures;
use parkops_domain::time::Timestamp;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::unavailable;

/// A value in a row that does not decode into its domain type.
#[derive(Debug, thiserror::Error)]
#[error("column {column} holds an invalid value")]
pub struct BadColumn {
    column: &'static str,
}

/// The error for a column whose value does not decode.
pub(crate) fn bad(column: &'static str) -> StoreError {
    unavailable(BadColumn { column })
}

/// A nullable text column.
pub(crate) fn opt_text(row: &AnyRow, c: &'static str) -> Result<Option<String>, StoreError> {
    row.try_get::<Option<String>, _>(c).map_err(unavailable)
}

/// A coded column (status, kind, level …) parsed by the domain's `parse`.
pub(crate) fn code<T>(row: &AnyRow, c: &'static str, parse: impl Fn(&str) -> Option<T>) -> Result<T, StoreError> {
    parse(&text(row, c)?).ok_or_else(|| bad(c))
}

/// A UUID stored as text.
pub(crate) fn uuid(row: &AnyRow, c: &'static str) -> Result<uuid::Uuid, StoreError> {
    uuid::Uuid::parse_str(&text(row, c)?).map_err(|_| bad(c))
}

/// A required id column, parsed by the id type's `parse`.
pub(crate) fn id<T, E>(row: &AnyRow, c: &'static str, parse: impl Fn(&str) -> Result<T, E>) -> Result<T, StoreError> {
    parse(&text(row, c)?).map_err(|_| bad(c))
}

/// An optional id column, parsed by the id type's `parse`.
pub(crate) fn opt_id<T, E>(
    row: &AnyRow,
    c: &'static str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<Option<T>, StoreError> {
    opt_text(row, c)?.map(|t| parse(&t).map_err(|_| bad(c))).transpose()
}

/// A calendar date stored as `YYYY-MM-DD` text.
pub(crate) fn date(row: &AnyRow, c: &'static str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(&text(row, c)?, "%Y-%m-%d").map_err(|_| bad(c))
}

/// An optional calendar date stored as `YYYY-MM-DD` text.
pub(crate) fn opt_date(row: &AnyRow, c: &'static str) -> Result<Option<NaiveDate>, StoreError> {
    opt_text(row, c)?.map(|t| NaiveDate::parse_from_str(&t, "%Y-%m-%d").map_err(|_| bad(c))).transpose()
}

/// A calendar date as stored: `YYYY-MM-DD`.
pub(crate) fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub(crate) fn text(row: &AnyRow, c: &'static str) -> Result<String, StoreError> {
    row.try_get::<String, _>(c).map_err(unavailable)
}

pub(crate) fn int(row: &AnyRow, c: &'static str) -> Result<i64, StoreError> {
    row.try_get::<i64, _>(c).map_err(unavailable)
}

pub(crate) fn opt_int(row: &AnyRow, c: &'static str) -> Result<Option<i64>, StoreError> {
    row.try_get::<Option<i64>, _>(c).map_err(unavailable)
}

pub(crate) fn time(row: &AnyRow, c: &'static str) -> Result<Timestamp, StoreError> {
    int(row, c).map(Timestamp::from_millis)
}

pub(crate) fn flag(row: &AnyRow, c: &'static str) -> Result<bool, StoreError> {
    int(row, c).map(|v| v != 0)
}

macro_rules! id {
    ($t:ty, $row:expr, $c:expr) => {
        <$t>::parse(&text($row, $c)?).map_err(|_| bad($c))
    };
}

fn hash(row: &AnyRow, c: &'static str) -> Result<Hash, StoreError> {
    hex::decode(text(row, c)?).ok().and_then(|b| b.try_into().ok()).ok_or_else(|| bad(c))
}

pub(crate) fn park(row: &AnyRow) -> Result<Park, StoreError> {
    Ok(Park { id: id!(ParkId, row, "id")?, code: text(row, "code")?, name: text(row, "name")? })
}

pub(crate) fn org(row: &AnyRow) -> Result<Organisation, StoreError> {
    Ok(Organisation {
        id: id!(OrgId, row, "id")?,
        park_id: id!(ParkId, row, "park_id")?,
        org_type: OrgType::parse(&text(row, "org_type")?).map_err(|_| bad("org_type"))?,
        code: text(row, "code")?,
        name: text(row, "name")?,
        contact: text(row, "contact")?,
        phone: text(row, "phone")?,
        is_active: flag(row, "is_active")?,
    })
}

pub(crate) const USER_COLUMNS: &str = "id, park_id, org_id, username, display_name, phone, email, password_hash, \
    password_changed_at, must_change_password, is_active, failed_count, locked_until, last_failure_at, totp_secret, totp_last_step, \
    created_at, last_login_at";

/// A user without posts; posts come from `user_post`.
pub(crate) fn user(row: &AnyRow) -> Result<UserRecord, StoreError> {
    Ok(UserRecord {
        id: id!(UserId, row, "id")?,
        park_id: id!(ParkId, row, "park_id")?,
        org_id: id!(OrgId, row, "org_id")?,
        username: text(row, "username")?,
        display_name: text(row, "display_name")?,
        phone: text(row, "phone")?,
        email: text(row, "email")?,
        password_hash: text(row, "password_hash")?,
        password_changed_at: time(row, "password_changed_at")?,
        must_change_password: flag(row, "must_change_password")?,
        is_active: flag(row, "is_active")?,
        failures: LoginFailures {
            count: u32::try_from(int(row, "failed_count")?).unwrap_or(u32::MAX),
            locked_until: opt_int(row, "locked_until")?.map(Timestamp::from_millis),
            last_failure_at: opt_int(row, "last_failure_at")?.map(Timestamp::from_millis),
        },
        totp_secret: row.try_get::<Option<String>, _>("totp_secret").map_err(unavailable)?,
        totp_last_step: int(row, "totp_last_step")?,
        posts: BTreeSet::new(),
        created_at: time(row, "created_at")?,
        last_login_at: opt_int(row, "last_login_at")?.map(Timestamp::from_millis),
    })
}

pub(crate) fn post(row: &AnyRow) -> Result<(UserId, Post), StoreError> {
    Ok((id!(UserId, row, "user_id")?, Post::parse(&text(row, "post")?).map_err(|_| bad("post"))?))
}

pub(crate) fn session(row: &AnyRow) -> Result<SessionRecord, StoreError> {
    Ok(SessionRecord {
        token_hash: text(row, "token_hash")?,
        user_id: id!(UserId, row, "user_id")?,
        stage: SessionStage::parse(&text(row, "stage")?).ok_or_else(|| bad("stage"))?,
        csrf_token: text(row, "csrf_token")?,
        created_at: time(row, "created_at")?,
        last_seen_at: time(row, "last_seen_at")?,
        ip: text(row, "ip")?,
    })
}

pub(crate) fn api_token(row: &AnyRow) -> Result<ApiTokenRecord, StoreError> {
    Ok(ApiTokenRecord {
        id: id!(ApiTokenId, row, "id")?,
        user_id: id!(UserId, row, "user_id")?,
        name: text(row, "name")?,
        token_hash: text(row, "token_hash")?,
        prefix: text(row, "prefix")?,
        created_at: time(row, "created_at")?,
        expires_at: time(row, "expires_at")?,
        revoked_at: opt_int(row, "revoked_at")?.map(Timestamp::from_millis),
    })
}

pub(crate) fn job_description(row: &AnyRow) -> Result<JobDescriptionRecord, StoreError> {
    Ok(JobDescriptionRecord {
        id: id!(JobDescriptionId, row, "id")?,
        park_id: id!(ParkId, row, "park_id")?,
        post: Post::parse(&text(row, "post")?).map_err(|_| bad("post"))?,
        version: int(row, "version")?,
        title: text(row, "title")?,
        content: text(row, "content")?,
        change_note: text(row, "change_note")?,
        created_by: text(row, "created_by")?,
        created_at: time(row, "created_at")?,
    })
}

pub(crate) fn policy(row: &AnyRow) -> Result<PolicyRecord, StoreError> {
    Ok(PolicyRecord {
        version: int(row, "version")?,
        body: text(row, "body")?,
        created_by: text(row, "created_by")?,
        created_at: time(row, "created_at")?,
    })
}

pub(crate) const AUDIT_COLUMNS: &str = "seq, at, actor_id, actor_name, source_ip, request_id, action, entity_type, \
    entity_id, outcome, detail, detail_digest, prev_hash, hash";

/// An audit row. An unknown outcome code is kept visible to the verifier as a content change
/// rather than hidden as a read error: it maps to a value whose hash cannot match.
pub(crate) fn audit(row: &AnyRow) -> Result<AuditRecord, StoreError> {
    let outcome_text = text(row, "outcome")?;
    let (outcome, tampered_outcome) = match Outcome::parse(&outcome_text) {
        Some(o) => (o, false),
        None => (Outcome::Denied, true),
    };
    let digest = hex::decode(text(row, "detail_digest")?).ok().and_then(|b| <Hash>::try_from(b).ok());
    let mut rec = AuditRecord {
        seq: int(row, "seq")?,
        at: time(row, "at")?,
        entry: AuditEntry {
            actor_id: text(row, "actor_id")?,
            actor_name: text(row, "actor_name")?,
            source_ip: text(row, "source_ip")?,
            request_id: text(row, "request_id")?,
            action: text(row, "action")?,
            entity_type: text(row, "entity_type")?,
            entity_id: text(row, "entity_id")?,
            outcome,
            detail: text(row, "detail")?,
        },
        detail_digest: digest.unwrap_or([0xff; 32]),
        prev_hash: hex::decode(text(row, "prev_hash")?).ok().and_then(|b| b.try_into().ok()).unwrap_or([0xff; 32]),
        hash: hex::decode(text(row, "hash")?).ok().and_then(|b| b.try_into().ok()).unwrap_or([0xff; 32]),
    };
    if tampered_outcome {
        // Make the record fail its hash check, so verification names this seq.
        rec.entry.actor_id.push_str("\u{0}tampered-outcome");
    }
    Ok(rec)
}

pub(crate) fn checkpoint(row: &AnyRow) -> Result<Checkpoint, StoreError> {
    let signature = hex::decode(text(row, "signature")?).ok().and_then(|b| b.try_into().ok()).unwrap_or([0u8; 64]);
    Ok(Checkpoint { seq: int(row, "seq")?, hash: hash(row, "hash")?, at: time(row, "at")?, signature })
}
