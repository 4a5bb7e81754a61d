//! Authentication: login with lockout, second factor, password change, sessions and API
//! tokens (R-9.1.2d, R-9.1.3.2k; 等保 8.1.4.1; ASVS V6, V7).

use parkops_domain::access::{Capability, Principal, Target};
use parkops_domain::audit::Outcome;
use parkops_domain::id::{ApiTokenId, UserId};
use parkops_domain::password::PasswordRule;
use parkops_domain::session::LoginFailures;
use parkops_domain::time::Timestamp;
use serde_json::json;

use crate::ports::{ApiTokenRecord, SessionRecord, SessionStage, UserRecord};
use crate::secret;
use crate::{App, AppError, Caller, FieldError};

/// A successful first step of login.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    /// The session token for the cookie (only its hash is stored).
    pub token: String,
    /// What the session may do yet.
    pub stage: SessionStage,
}

/// A session resolved from its cookie.
#[derive(Debug, Clone)]
pub struct ActiveSession {
    /// The stored session.
    pub session: SessionRecord,
    /// Who it belongs to.
    pub principal: Principal,
}

/// A freshly created API token; the secret is shown once.
#[derive(Debug, Clone)]
pub struct NewApiToken {
    /// The stored record.
    pub record: ApiTokenRecord,
    /// The secret, to be copied now.
    pub secret: String,
}

/// Log names are kept printable and short in audit records (no CR/LF injection, V16.4.1).
fn sanitise(name: &str) -> String {
    name.chars().filter(|c| !c.is_control()).take(64).collect()
}

fn unix_seconds(t: Timestamp) -> u64 {
    u64::try_from(t.as_millis() / 1000).unwrap_or(0)
}

impl App {
    /// The principal for a user record (with their organisation's type).
    ///
    /// # Errors
    /// [`AppError::NotFound`] if the organisation is gone.
    pub async fn principal_of(&self, user: &UserRecord) -> Result<Principal, AppError> {
        let org = self.store.org(user.org_id).await?.ok_or(AppError::NotFound)?;
        Ok(Principal {
            user_id: user.id,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            phone: user.phone.clone(),
            park_id: user.park_id,
            org_id: user.org_id,
            org_type: org.org_type,
            posts: user.posts.clone(),
        })
    }

    async fn record_login_failure(
        &self,
        caller: &Caller,
        user: Option<&UserRecord>,
        name: &str,
        reason: &str,
    ) -> Result<(), AppError> {
        let now = self.clock.now();
        let policy = self.security_policy().await?;
        let mut tx = self.store.begin().await?;
        let mut locked_now = false;
        if let Some(u) = user {
            let after = policy.lockout.after_failure(u.failures, now);
            locked_now = policy.lockout.is_locked(after, now) && !policy.lockout.is_locked(u.failures, now);
            tx.set_failures(u.id, after).await?;
        }
        let entity = user.map(|u| u.id.to_string()).unwrap_or_default();
        let detail = json!({ "username": sanitise(name), "reason": reason }).to_string();
        let mut entry = caller.entry("auth.login", "user", &entity, Outcome::Failure, detail);
        entry.actor_name = sanitise(name);
        tx.audit(entry, now).await?;
        if locked_now {
            let detail = json!({ "username": sanitise(name), "minutes": policy.lockout.lock_minutes }).to_string();
            let mut entry = caller.entry("auth.lockout", "user", &entity, Outcome::Success, detail);
            entry.actor_name = "system".into();
            tx.audit(entry, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// First step of login: the password.
    ///
    /// Unknown users and wrong passwords get the same answer and cost the same time.
    ///
    /// # Errors
    /// [`AppError::LoginRefused`], or [`AppError::Locked`] once the account is locked.
    pub async fn login(&self, caller: &Caller, username: &str, password: &str) -> Result<LoginOutcome, AppError> {
        let now = self.clock.now();
        let policy = self.security_policy().await?;
        let Some(user) = self.store.user_by_username(username.trim()).await? else {
            let _ = secret::verify_password(password, secret::dummy_hash());
            self.record_login_failure(caller, None, username, "unknown_user").await?;
            return Err(AppError::LoginRefused);
        };
        if policy.lockout.is_locked(user.failures, now) {
            let minutes = user.failures.locked_until.map_or(0, |u| (u.since(now).num_seconds() + 59) / 60);
            let mut tx = self.store.begin().await?;
            let detail = json!({ "username": user.username, "reason": "locked" }).to_string();
            let mut entry = caller.entry("auth.login", "user", &user.id.to_string(), Outcome::Failure, detail);
            entry.actor_name = user.username.clone();
            tx.audit(entry, now).await?;
            tx.commit().await?;
            return Err(AppError::Locked { minutes });
        }
        if !secret::verify_password(password, &user.password_hash) {
            self.record_login_failure(caller, Some(&user), &user.username, "wrong_password").await?;
            let after = policy.lockout.after_failure(user.failures, now);
            if policy.lockout.is_locked(after, now) {
                return Err(AppError::Locked { minutes: i64::from(policy.lockout.lock_minutes) });
            }
            return Err(AppError::LoginRefused);
        }
        let org_active = self.store.org(user.org_id).await?.is_some_and(|o| o.is_active);
        if !user.is_active || !org_active {
            self.record_login_failure(caller, None, &user.username, "inactive").await?;
            return Err(AppError::LoginRefused);
        }
        let principal = self.principal_of(&user).await?;
        let stage = if user.totp_secret.is_some() {
            SessionStage::NeedsTotp
        } else if principal.requires_totp() || policy.totp_for_all {
            SessionStage::NeedsTotpEnrolment
        } else {
            self.stage_after_factors(&user, now).await?
        };
        let token = secret::random_token();
        let session = SessionRecord {
            token_hash: secret::token_hash(&token),
            user_id: user.id,
            stage,
            csrf_token: secret::random_token(),
            created_at: now,
            last_seen_at: now,
            ip: caller.ip.clone(),
        };
        let mut tx = self.store.begin().await?;
        tx.set_failures(user.id, LoginFailures::default()).await?;
        tx.set_last_login(user.id, now).await?;
        tx.insert_session(&session).await?;
        let detail = json!({ "stage": stage.code() }).to_string();
        let mut entry = caller.entry("auth.login", "user", &user.id.to_string(), Outcome::Success, detail);
        entry.actor_id = user.id.to_string();
        entry.actor_name.clone_from(&user.username);
        tx.audit(entry, now).await?;
        tx.commit().await?;
        Ok(LoginOutcome { token, stage })
    }

    async fn stage_after_factors(&self, user: &UserRecord, now: Timestamp) -> Result<SessionStage, AppError> {
        let policy = self.security_policy().await?;
        Ok(if user.must_change_password || policy.password.is_expired(user.password_changed_at, now) {
            SessionStage::NeedsPasswordChange
        } else {
            SessionStage::Full
        })
    }

    /// Resolves a session token, enforcing idle and absolute timeouts.
    ///
    /// # Errors
    /// [`AppError::Unauthenticated`] for an unknown, ended or timed-out session.
    pub async fn resolve_session(&self, token: &str) -> Result<ActiveSession, AppError> {
        let now = self.clock.now();
        let hash = secret::token_hash(token);
        let session = self.store.session(&hash).await?.ok_or(AppError::Unauthenticated)?;
        let policy = self.security_policy().await?;
        if policy.session.check(session.created_at, session.last_seen_at, now).is_err() {
            return Err(AppError::Unauthenticated);
        }
        let user = self.store.user(session.user_id).await?.ok_or(AppError::Unauthenticated)?;
        if !user.is_active {
            return Err(AppError::Unauthenticated);
        }
        // Touch at most every 30 seconds: the idle clock needs no finer grain.
        if now.since(session.last_seen_at) >= chrono::Duration::seconds(30) {
            self.store.touch_session(&hash, now).await?;
        }
        let principal = self.principal_of(&user).await?;
        Ok(ActiveSession { session, principal })
    }

    /// Second step of login: the TOTP code. A code is accepted once (replay is refused), and
    /// wrong codes count towards the lockout like wrong passwords.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a wrong code; [`AppError::Locked`] once locked.
    pub async fn verify_totp(&self, caller: &Caller, token: &str, code: &str) -> Result<LoginOutcome, AppError> {
        let now = self.clock.now();
        let hash = secret::token_hash(token);
        let session = self.store.session(&hash).await?.ok_or(AppError::Unauthenticated)?;
        if session.stage != SessionStage::NeedsTotp {
            return Err(AppError::Unauthenticated);
        }
        let user = self.store.user(session.user_id).await?.ok_or(AppError::Unauthenticated)?;
        let policy = self.security_policy().await?;
        if policy.lockout.is_locked(user.failures, now) {
            let minutes = user.failures.locked_until.map_or(0, |u| (u.since(now).num_seconds() + 59) / 60);
            return Err(AppError::Locked { minutes });
        }
        let secret_b32 = user.totp_secret.clone().unwrap_or_default();
        let step = secret::totp_step(&secret_b32, code, unix_seconds(now)).filter(|&s| s > user.totp_last_step);
        let Some(step) = step else {
            self.record_login_failure(caller, Some(&user), &user.username, "wrong_totp").await?;
            return Err(AppError::field("code", "err-totp-wrong"));
        };
        let next = self.stage_after_factors(&user, now).await?;
        let new_token = secret::random_token();
        let mut tx = self.store.begin().await?;
        tx.set_totp(user.id, Some(&secret_b32), step).await?;
        tx.set_failures(user.id, LoginFailures::default()).await?;
        tx.advance_session(&hash, &secret::token_hash(&new_token), next).await?;
        let mut entry = caller.entry(
            "auth.totp",
            "user",
            &user.id.to_string(),
            Outcome::Success,
            json!({ "stage": next.code() }).to_string(),
        );
        entry.actor_id = user.id.to_string();
        entry.actor_name.clone_from(&user.username);
        tx.audit(entry, now).await?;
        tx.commit().await?;
        Ok(LoginOutcome { token: new_token, stage: next })
    }

    /// Enrols a second factor: the user has scanned `secret_b32` and proves it with a code.
    /// Works in the enrolment stage of login and, for optional enrolment, in a full session.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a malformed secret or wrong code.
    pub async fn enrol_totp(
        &self,
        caller: &Caller,
        token: &str,
        secret_b32: &str,
        code: &str,
    ) -> Result<LoginOutcome, AppError> {
        let now = self.clock.now();
        let hash = secret::token_hash(token);
        let session = self.store.session(&hash).await?.ok_or(AppError::Unauthenticated)?;
        if !matches!(session.stage, SessionStage::NeedsTotpEnrolment | SessionStage::Full) {
            return Err(AppError::Unauthenticated);
        }
        let user = self.store.user(session.user_id).await?.ok_or(AppError::Unauthenticated)?;
        let Some(step) = secret::totp_step(secret_b32, code, unix_seconds(now)) else {
            return Err(AppError::field("code", "err-totp-wrong"));
        };
        let next = if session.stage == SessionStage::Full {
            SessionStage::Full
        } else {
            self.stage_after_factors(&user, now).await?
        };
        let new_token = secret::random_token();
        let mut tx = self.store.begin().await?;
        tx.set_totp(user.id, Some(secret_b32), step).await?;
        tx.advance_session(&hash, &secret::token_hash(&new_token), next).await?;
        let mut entry = caller.entry("auth.totp_enrol", "user", &user.id.to_string(), Outcome::Success, "{}".into());
        entry.actor_id = user.id.to_string();
        entry.actor_name.clone_from(&user.username);
        tx.audit(entry, now).await?;
        tx.commit().await?;
        Ok(LoginOutcome { token: new_token, stage: next })
    }

    /// The rules a new password breaks for `user`, including reuse of recent passwords.
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn password_violations(
        &self,
        user: Option<&UserRecord>,
        username: &str,
        candidate: &str,
    ) -> Result<Vec<PasswordRule>, AppError> {
        let policy = self.security_policy().await?;
        let mut inputs = vec![username];
        if let Some(u) = user {
            inputs.push(&u.display_name);
        }
        let mut v = policy.password.violations(candidate, username, secret::is_common_password(candidate, &inputs));
        if let Some(u) = user
            && policy.password.history_count > 0
        {
            let mut hashes = self.store.password_history(u.id, policy.password.history_count).await?;
            hashes.push(u.password_hash.clone());
            if hashes.iter().any(|h| secret::verify_password(candidate, h)) {
                v.push(PasswordRule::Reused { count: policy.password.history_count });
            }
        }
        Ok(v)
    }

    /// Field errors for password rule violations, keyed `err-password-<rule>`.
    #[must_use]
    pub fn password_errors(field: &'static str, rules: &[PasswordRule]) -> Vec<FieldError> {
        rules
            .iter()
            .map(|r| {
                let e = FieldError::new(field, format!("err-password-{}", r.code()));
                match *r {
                    PasswordRule::TooShort { min } => e.arg("min", min),
                    PasswordRule::TooLong { max } => e.arg("max", max),
                    PasswordRule::Reused { count } => e.arg("count", count),
                    PasswordRule::MissingUpper
                    | PasswordRule::MissingLower
                    | PasswordRule::MissingDigit
                    | PasswordRule::MissingSpecial
                    | PasswordRule::Common
                    | PasswordRule::ContainsUsername => e,
                }
            })
            .collect()
    }

    /// Changes the caller's own password: the current one is required (ASVS V6.2.3), the new
    /// one must meet the policy and not repeat recent ones. Other sessions of the user end.
    ///
    /// # Errors
    /// [`AppError::Invalid`] naming every broken rule; nothing changes then.
    pub async fn change_password(
        &self,
        caller: &Caller,
        token: &str,
        current: &str,
        new: &str,
        confirm: &str,
    ) -> Result<String, AppError> {
        let now = self.clock.now();
        let hash = secret::token_hash(token);
        let session = self.store.session(&hash).await?.ok_or(AppError::Unauthenticated)?;
        if !matches!(session.stage, SessionStage::NeedsPasswordChange | SessionStage::Full) {
            return Err(AppError::Unauthenticated);
        }
        let user = self.store.user(session.user_id).await?.ok_or(AppError::Unauthenticated)?;
        if !secret::verify_password(current, &user.password_hash) {
            return Err(AppError::field("current_password", "err-current-password"));
        }
        let mut errors = Vec::new();
        if new != confirm {
            errors.push(FieldError::new("confirm_password", "err-password-mismatch"));
        }
        let rules = self.password_violations(Some(&user), &user.username, new).await?;
        errors.extend(Self::password_errors("new_password", &rules));
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let new_token = secret::random_token();
        // Hash before taking the writer: argon2 costs ~70 ms and must not hold the database.
        let hash = secret::hash_password(new);
        let mut tx = self.store.begin().await?;
        tx.set_password(user.id, &hash, false, now).await?;
        let ended = tx.delete_sessions_of(user.id).await?;
        let new_session = SessionRecord {
            token_hash: secret::token_hash(&new_token),
            stage: SessionStage::Full,
            last_seen_at: now,
            ..session
        };
        tx.insert_session(&new_session).await?;
        let mut entry = caller.entry(
            "auth.password_change",
            "user",
            &user.id.to_string(),
            Outcome::Success,
            json!({ "other_sessions_ended": ended.saturating_sub(1) }).to_string(),
        );
        entry.actor_id = user.id.to_string();
        entry.actor_name.clone_from(&user.username);
        tx.audit(entry, now).await?;
        tx.commit().await?;
        Ok(new_token)
    }

    /// Ends a session (logout).
    ///
    /// # Errors
    /// [`AppError::Unavailable`].
    pub async fn logout(&self, caller: &Caller, token: &str) -> Result<(), AppError> {
        let hash = secret::token_hash(token);
        let Some(session) = self.store.session(&hash).await? else { return Ok(()) };
        let mut tx = self.store.begin().await?;
        tx.delete_session(&hash).await?;
        tx.audit(
            caller.entry("auth.logout", "user", &session.user_id.to_string(), Outcome::Success, "{}".into()),
            self.clock.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Resolves a bearer API token to its owner's principal.
    ///
    /// # Errors
    /// [`AppError::Unauthenticated`] for an unknown, revoked or expired token.
    pub async fn resolve_api_token(&self, token: &str) -> Result<Principal, AppError> {
        let now = self.clock.now();
        let rec = self.store.api_token(&secret::token_hash(token)).await?.ok_or(AppError::Unauthenticated)?;
        if rec.revoked_at.is_some() || now >= rec.expires_at {
            return Err(AppError::Unauthenticated);
        }
        let user = self.store.user(rec.user_id).await?.ok_or(AppError::Unauthenticated)?;
        if !user.is_active {
            return Err(AppError::Unauthenticated);
        }
        self.principal_of(&user).await
    }

    /// Creates an API token for the caller, valid for `days` (1–365).
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a bad name or lifetime.
    pub async fn create_api_token(&self, caller: &Caller, name: &str, days: i64) -> Result<NewApiToken, AppError> {
        let p = caller.principal()?;
        let name = name.trim();
        let mut errors = Vec::new();
        if name.is_empty() || name.chars().count() > 64 {
            errors.push(FieldError::new("name", "err-required-64"));
        }
        if !(1..=365).contains(&days) {
            errors.push(FieldError::new("days", "err-token-days"));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let now = self.clock.now();
        let secret = format!("pko_{}", secret::random_token());
        let record = ApiTokenRecord {
            id: ApiTokenId::from_uuid(uuid::Uuid::now_v7()),
            user_id: p.user_id,
            name: name.to_owned(),
            token_hash: secret::token_hash(&secret),
            prefix: secret.chars().take(10).collect(),
            created_at: now,
            expires_at: now.plus(chrono::Duration::days(days)),
            revoked_at: None,
        };
        let mut tx = self.store.begin().await?;
        tx.insert_api_token(&record).await?;
        tx.audit(
            caller.entry(
                "api_token.create",
                "api_token",
                &record.id.to_string(),
                Outcome::Success,
                json!({ "name": name, "days": days }).to_string(),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(NewApiToken { record, secret })
    }

    /// The caller's API tokens.
    ///
    /// # Errors
    /// [`AppError::Unauthenticated`].
    pub async fn my_api_tokens(&self, caller: &Caller) -> Result<Vec<ApiTokenRecord>, AppError> {
        let p = caller.principal()?;
        Ok(self.store.api_tokens_of(p.user_id).await?)
    }

    /// Revokes one of the caller's API tokens.
    ///
    /// # Errors
    /// [`AppError::NotFound`] if it is not theirs.
    pub async fn revoke_api_token(&self, caller: &Caller, id: ApiTokenId) -> Result<(), AppError> {
        let p = caller.principal()?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.revoke_api_token(id, p.user_id, now).await?;
        tx.audit(caller.entry("api_token.revoke", "api_token", &id.to_string(), Outcome::Success, "{}".into()), now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Unlocks an account and clears its failure count (security administrator).
    ///
    /// # Errors
    /// [`AppError::Forbidden`], [`AppError::NotFound`].
    pub async fn unlock_user(&self, caller: &Caller, id: UserId) -> Result<(), AppError> {
        let user = self.store.user(id).await?.ok_or(AppError::NotFound)?;
        caller.require(Capability::UserUnlock, Target { park_id: user.park_id, org_id: Some(user.org_id) })?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.set_failures(id, LoginFailures::default()).await?;
        tx.audit(
            caller.entry(
                "user.unlock",
                "user",
                &id.to_string(),
                Outcome::Success,
                json!({ "username": user.username }).to_string(),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Clears a user's second factor so they enrol again at next login, and ends their sessions.
    ///
    /// # Errors
    /// [`AppError::Forbidden`], [`AppError::NotFound`].
    pub async fn reset_totp(&self, caller: &Caller, id: UserId) -> Result<(), AppError> {
        let user = self.store.user(id).await?.ok_or(AppError::NotFound)?;
        caller.require(Capability::UserUnlock, Target { park_id: user.park_id, org_id: Some(user.org_id) })?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.set_totp(id, None, 0).await?;
        tx.delete_sessions_of(id).await?;
        tx.audit(
            caller.entry(
                "user.totp_reset",
                "user",
                &id.to_string(),
                Outcome::Success,
                json!({ "username": user.username }).to_string(),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
