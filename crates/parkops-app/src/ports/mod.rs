//! The storage port. One implementation (`parkops-store`) serves SQLite and PostgreSQL.
//!
//! Reads go through [`Store`]; every write goes through a [`Tx`], which appends the
//! audit record in the same transaction and refuses to commit without one.

use std::collections::BTreeSet;

use async_trait::async_trait;
use parkops_domain::access::Post;
use parkops_domain::audit::{AuditEntry, AuditRecord, Checkpoint, Hash};
use parkops_domain::id::{ApiTokenId, JobDescriptionId, OrgId, ParkId, UserId};
use parkops_domain::org::{Organisation, Park};
use parkops_domain::session::LoginFailures;
use parkops_domain::time::Timestamp;

use crate::StoreError;

pub mod asset;
pub mod desk;
pub mod notify;
// Inspections, maintenance and calibration by plan (issue #4).
pub mod schedule;
// Calibration register (R-9.1.1d).
pub mod calibration;

/// A stored user account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// Identifier.
    pub id: UserId,
    /// Park.
    pub park_id: ParkId,
    /// Organisation.
    pub org_id: OrgId,
    /// Login name, unique case-insensitively.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Phone.
    pub phone: String,
    /// E-mail.
    pub email: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// When the password was last set.
    pub password_changed_at: Timestamp,
    /// The password must be changed at next login (initial or reset password).
    pub must_change_password: bool,
    /// Disabled accounts cannot log in.
    pub is_active: bool,
    /// Failed-login state.
    pub failures: LoginFailures,
    /// TOTP secret (base32), once enrolled.
    pub totp_secret: Option<String>,
    /// Last TOTP time step accepted (replay protection).
    pub totp_last_step: i64,
    /// Posts held.
    pub posts: BTreeSet<Post>,
    /// Created.
    pub created_at: Timestamp,
    /// Last successful login.
    pub last_login_at: Option<Timestamp>,
}

/// A login session. Only the SHA-256 of the token is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// SHA-256 of the cookie token, hex.
    pub token_hash: String,
    /// The user.
    pub user_id: UserId,
    /// What the session may do yet.
    pub stage: SessionStage,
    /// Synchronizer CSRF token for forms.
    pub csrf_token: String,
    /// Login time.
    pub created_at: Timestamp,
    /// Last use.
    pub last_seen_at: Timestamp,
    /// Source address at login.
    pub ip: String,
}

/// How far a login has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStage {
    /// Password accepted; the TOTP code is still due.
    NeedsTotp,
    /// Password accepted; the post requires TOTP and none is enrolled yet.
    NeedsTotpEnrolment,
    /// Fully logged in but the password must be changed first.
    NeedsPasswordChange,
    /// Fully logged in.
    Full,
}

impl SessionStage {
    /// Every stage.
    pub const ALL: [Self; 4] = [Self::NeedsTotp, Self::NeedsTotpEnrolment, Self::NeedsPasswordChange, Self::Full];

    /// Storage code.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::NeedsTotp => "needs_totp",
            Self::NeedsTotpEnrolment => "needs_totp_enrolment",
            Self::NeedsPasswordChange => "needs_password_change",
            Self::Full => "full",
        }
    }

    /// The stage with this code.
    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// An API token for integrations. Only the SHA-256 of the secret is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRecord {
    /// Identifier.
    pub id: ApiTokenId,
    /// Owner; the token acts with the owner's posts.
    pub user_id: UserId,
    /// Label.
    pub name: String,
    /// SHA-256 of the secret, hex.
    pub token_hash: String,
    /// First characters of the secret, to recognise it.
    pub prefix: String,
    /// Created.
    pub created_at: Timestamp,
    /// Expiry.
    pub expires_at: Timestamp,
    /// Revoked at, if revoked.
    pub revoked_at: Option<Timestamp>,
}

/// One version of a job description (岗位职责说明书, R-8.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobDescriptionRecord {
    /// Identifier of this version.
    pub id: JobDescriptionId,
    /// Park.
    pub park_id: ParkId,
    /// The post described.
    pub post: Post,
    /// Version number, from 1.
    pub version: i64,
    /// Title.
    pub title: String,
    /// Duties, qualifications and authority, as text.
    pub content: String,
    /// Why this version was issued.
    pub change_note: String,
    /// Author.
    pub created_by: String,
    /// Issued.
    pub created_at: Timestamp,
}

/// A stored version of the security policy (password, lockout, session), as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRecord {
    /// Version, from 1.
    pub version: i64,
    /// The settings as JSON.
    pub body: String,
    /// Author.
    pub created_by: String,
    /// Issued.
    pub created_at: Timestamp,
}

/// Paging for lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Page number from 1.
    pub page: i64,
    /// Rows per page (capped at 200).
    pub per_page: i64,
}

impl PageRequest {
    /// The page clamped to sane limits.
    #[must_use]
    pub fn clamped(page: Option<i64>, per_page: Option<i64>) -> Self {
        Self { page: page.unwrap_or(1).max(1), per_page: per_page.unwrap_or(20).clamp(1, 200) }
    }

    /// Rows to skip.
    #[must_use]
    pub const fn offset(&self) -> i64 {
        (self.page - 1) * self.per_page
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Total matching rows.
    pub total: i64,
    /// The request that produced it.
    pub request: PageRequest,
}

/// Lists count matching rows up to this many; past it `total` is `PAGE_COUNT_CAP + 1` and
/// pages show "10,000+" (an exact count of a large table costs more than the page itself).
pub const PAGE_COUNT_CAP: i64 = 10_000;

impl<T> Page<T> {
    /// Whether `total` is only a lower bound (more rows matched than the lists count).
    #[must_use]
    pub const fn total_is_capped(&self) -> bool {
        self.total > PAGE_COUNT_CAP
    }

    /// Number of pages.
    #[must_use]
    pub fn pages(&self) -> i64 {
        ((self.total + self.request.per_page - 1) / self.request.per_page).max(1)
    }
}

/// Filter for organisation lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgFilter {
    /// Park.
    pub park_id: Option<ParkId>,
    /// Only this organisation (own-organisation scope).
    pub only: Option<OrgId>,
    /// Organisation type code.
    pub org_type: Option<String>,
    /// Text in name or code.
    pub text: Option<String>,
}

/// Filter for user lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    /// Park.
    pub park_id: Option<ParkId>,
    /// Organisation.
    pub org_id: Option<OrgId>,
    /// Post code.
    pub post: Option<Post>,
    /// Text in username or display name.
    pub text: Option<String>,
    /// Active state.
    pub active: Option<bool>,
}

/// Filter for the audit log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Actor login name (exact).
    pub actor: Option<String>,
    /// Action code prefix, e.g. `user.` or `auth.login`.
    pub action: Option<String>,
    /// Outcome code.
    pub outcome: Option<String>,
    /// Entity id (exact).
    pub entity_id: Option<String>,
    /// From (inclusive).
    pub from: Option<Timestamp>,
    /// Until (exclusive).
    pub until: Option<Timestamp>,
}

/// Reads.
#[async_trait]
pub trait Store:
    asset::AssetReads
    + desk::DeskReads
    + notify::NotifyReads
    + schedule::ScheduleReads
    + calibration::CalibrationReads
    + Send
    + Sync
{
    /// Starts a write transaction. Writers are serialised; the audit chain head is read inside.
    async fn begin(&self) -> Result<Box<dyn Tx>, StoreError>;

    /// All parks.
    async fn parks(&self) -> Result<Vec<Park>, StoreError>;
    /// One organisation.
    async fn org(&self, id: OrgId) -> Result<Option<Organisation>, StoreError>;
    /// Organisations matching a filter, by name.
    async fn orgs(&self, filter: &OrgFilter, page: PageRequest) -> Result<Page<Organisation>, StoreError>;
    /// One user.
    async fn user(&self, id: UserId) -> Result<Option<UserRecord>, StoreError>;
    /// A user by login name, case-insensitively.
    async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>, StoreError>;
    /// Users matching a filter, by username.
    async fn users(&self, filter: &UserFilter, page: PageRequest) -> Result<Page<UserRecord>, StoreError>;
    /// Number of user accounts.
    async fn count_users(&self) -> Result<i64, StoreError>;
    /// The last `count` password hashes of a user, newest first.
    async fn password_history(&self, user: UserId, count: u32) -> Result<Vec<String>, StoreError>;
    /// A session by token hash.
    async fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>, StoreError>;
    /// Records use of a session (bookkeeping, not an audited mutation).
    async fn touch_session(&self, token_hash: &str, now: Timestamp) -> Result<(), StoreError>;
    /// Sessions of a user.
    async fn sessions_of(&self, user: UserId) -> Result<Vec<SessionRecord>, StoreError>;
    /// An API token by secret hash.
    async fn api_token(&self, token_hash: &str) -> Result<Option<ApiTokenRecord>, StoreError>;
    /// API tokens of a user.
    async fn api_tokens_of(&self, user: UserId) -> Result<Vec<ApiTokenRecord>, StoreError>;
    /// All versions of the job descriptions of a park, newest version first per post.
    async fn job_descriptions(&self, park: ParkId) -> Result<Vec<JobDescriptionRecord>, StoreError>;
    /// The latest security policy, if one was ever stored.
    async fn policy(&self) -> Result<Option<PolicyRecord>, StoreError>;
    /// All policy versions, newest first.
    async fn policy_history(&self) -> Result<Vec<PolicyRecord>, StoreError>;
    /// Audit records matching a filter, newest first.
    async fn audit_page(&self, filter: &AuditFilter, page: PageRequest) -> Result<Page<AuditRecord>, StoreError>;
    /// Up to `limit` audit records with seq > `after`, in seq order (for verification and export).
    async fn audit_after(&self, after: i64, limit: i64) -> Result<Vec<AuditRecord>, StoreError>;
    /// The chain head `(seq, hash)`; `(0, GENESIS)` for an empty chain.
    async fn audit_head(&self) -> Result<(i64, Hash), StoreError>;
    /// All checkpoints, by seq.
    async fn checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError>;
    /// Housekeeping off the request path: moves the SQLite WAL into the database file and
    /// removes sessions last used before `stale_before`. Returns the sessions removed.
    async fn maintain(&self, stale_before: Timestamp) -> Result<u64, StoreError>;
}

/// A write transaction. Dropping it without commit rolls back.
#[async_trait]
pub trait Tx:
    asset::AssetWrites
    + desk::DeskWrites
    + notify::NotifyWrites
    + schedule::ScheduleWrites
    + calibration::CalibrationWrites
    + Send
{
    /// Appends an audit record to the chain inside this transaction.
    async fn audit(&mut self, entry: AuditEntry, now: Timestamp) -> Result<AuditRecord, StoreError>;
    /// Commits. Refuses ([`StoreError::Unaudited`]) when no audit record was appended.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;

    /// Adds a park.
    async fn insert_park(&mut self, park: &Park, now: Timestamp) -> Result<(), StoreError>;
    /// Adds an organisation.
    async fn insert_org(&mut self, org: &Organisation, now: Timestamp) -> Result<(), StoreError>;
    /// Replaces an organisation's editable fields.
    async fn update_org(&mut self, org: &Organisation) -> Result<(), StoreError>;
    /// Adds a user with posts.
    async fn insert_user(&mut self, user: &UserRecord) -> Result<(), StoreError>;
    /// Replaces a user's profile fields and active flag.
    async fn update_user_profile(&mut self, user: &UserRecord) -> Result<(), StoreError>;
    /// Replaces a user's posts.
    async fn set_posts(&mut self, user: UserId, posts: &BTreeSet<Post>) -> Result<(), StoreError>;
    /// Sets a new password hash and keeps the old one in the history.
    async fn set_password(
        &mut self,
        user: UserId,
        hash: &str,
        must_change: bool,
        now: Timestamp,
    ) -> Result<(), StoreError>;
    /// Stores the failed-login state.
    async fn set_failures(&mut self, user: UserId, failures: LoginFailures) -> Result<(), StoreError>;
    /// Records a successful login.
    async fn set_last_login(&mut self, user: UserId, now: Timestamp) -> Result<(), StoreError>;
    /// Sets or clears the TOTP secret and the last accepted step.
    async fn set_totp(&mut self, user: UserId, secret: Option<&str>, last_step: i64) -> Result<(), StoreError>;
    /// Adds a session.
    async fn insert_session(&mut self, session: &SessionRecord) -> Result<(), StoreError>;
    /// Moves a session to another stage, with a fresh token hash (rotation).
    async fn advance_session(&mut self, old_hash: &str, new_hash: &str, stage: SessionStage) -> Result<(), StoreError>;
    /// Ends a session.
    async fn delete_session(&mut self, token_hash: &str) -> Result<(), StoreError>;
    /// Ends every session of a user; returns how many.
    async fn delete_sessions_of(&mut self, user: UserId) -> Result<u64, StoreError>;
    /// Adds an API token.
    async fn insert_api_token(&mut self, token: &ApiTokenRecord) -> Result<(), StoreError>;
    /// Revokes an API token of a user.
    async fn revoke_api_token(&mut self, id: ApiTokenId, user: UserId, now: Timestamp) -> Result<(), StoreError>;
    /// Adds a job description version.
    async fn insert_job_description(&mut self, jd: &JobDescriptionRecord) -> Result<(), StoreError>;
    /// Adds a security policy version.
    async fn insert_policy(&mut self, policy: &PolicyRecord) -> Result<(), StoreError>;
    /// Stores a signed checkpoint.
    async fn insert_checkpoint(&mut self, checkpoint: &Checkpoint) -> Result<(), StoreError>;
}
