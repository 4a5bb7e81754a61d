//! User accounts and post assignment (R-8.1.1; 等保 8.1.4.2).

use std::collections::BTreeSet;

use parkops_domain::access::{self, Capability, Post, PostError, Scope, Target};
use parkops_domain::audit::Outcome;
use parkops_domain::id::{OrgId, UserId};
use parkops_domain::session::LoginFailures;
use serde_json::json;

use crate::ports::{Page, PageRequest, UserFilter, UserRecord};
use crate::{App, AppError, Caller, FieldError, StoreError, secret};

/// A new account, as submitted.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    /// Organisation.
    pub org_id: String,
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Phone.
    pub phone: String,
    /// E-mail.
    pub email: String,
    /// Post codes.
    pub posts: Vec<String>,
    /// Initial password; generated when empty.
    pub password: String,
}

/// Editable profile fields.
#[derive(Debug, Clone, Default)]
pub struct ProfileInput {
    /// Display name.
    pub display_name: String,
    /// Phone.
    pub phone: String,
    /// E-mail.
    pub email: String,
    /// Active flag.
    pub is_active: bool,
}

/// A created user with the initial password to hand over (shown once).
#[derive(Debug, Clone)]
pub struct CreatedUser {
    /// The account.
    pub user: UserRecord,
    /// The initial password, when it was generated.
    pub initial_password: Option<String>,
}

fn validate_username(name: &str) -> bool {
    (3..=32).contains(&name.chars().count()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

fn validate_profile(display_name: &str, phone: &str, email: &str, errors: &mut Vec<FieldError>) {
    if display_name.trim().is_empty() || display_name.chars().count() > 50 {
        errors.push(FieldError::new("display_name", "err-required-50"));
    }
    if phone.chars().count() > 30 || !phone.chars().all(|c| c.is_ascii_digit() || "+-() ".contains(c)) {
        errors.push(FieldError::new("phone", "err-phone"));
    }
    if !email.is_empty() && (email.chars().count() > 100 || !email.contains('@') || email.contains(char::is_whitespace))
    {
        errors.push(FieldError::new("email", "err-email"));
    }
}

fn post_error(e: &PostError) -> FieldError {
    match *e {
        PostError::Empty => FieldError::new("posts", "err-posts-empty"),
        PostError::SeparationOfDuties { admin, other } => {
            FieldError::new("posts", "err-posts-separation").arg("admin", admin.code()).arg("other", other.code())
        }
        PostError::NotInOrganisation { post, org_type } => {
            FieldError::new("posts", "err-posts-org").arg("post", post.code()).arg("org_type", org_type.code())
        }
    }
}

/// A generated initial password that meets the default policy (upper, lower, digit, special).
fn generate_password() -> String {
    let raw = secret::random_token();
    let body: String = raw.chars().filter(char::is_ascii_alphanumeric).take(12).collect();
    format!("Pk{body}#7")
}

fn user_detail(u: &UserRecord) -> serde_json::Value {
    json!({
        "username": u.username, "display_name": u.display_name, "org_id": u.org_id.to_string(),
        "phone_set": !u.phone.is_empty(), "email_set": !u.email.is_empty(), "is_active": u.is_active,
        "posts": u.posts.iter().map(|p| p.code()).collect::<Vec<_>>(),
    })
}

impl App {
    /// Users visible to the caller.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without [`Capability::UserView`].
    pub async fn list_users(
        &self,
        caller: &Caller,
        mut filter: UserFilter,
        page: PageRequest,
    ) -> Result<Page<UserRecord>, AppError> {
        let p = caller.require_any(Capability::UserView)?;
        filter.park_id = Some(p.park_id);
        if p.scope_of(Capability::UserView) == Some(Scope::OwnOrganisation) {
            filter.org_id = Some(p.org_id);
        }
        Ok(self.store.users(&filter, page).await?)
    }

    /// One user, if visible to the caller.
    ///
    /// # Errors
    /// [`AppError::NotFound`] when absent or out of scope (no hint that it exists, V8.2.2).
    pub async fn get_user(&self, caller: &Caller, id: UserId) -> Result<UserRecord, AppError> {
        let u = self.store.user(id).await?.ok_or(AppError::NotFound)?;
        caller
            .require(Capability::UserView, Target { park_id: u.park_id, org_id: Some(u.org_id) })
            .map_err(|_| AppError::NotFound)?;
        Ok(u)
    }

    async fn validated_new_user(
        &self,
        input: &NewUser,
        check_assign: Option<&Caller>,
    ) -> Result<(UserRecord, Option<String>), AppError> {
        let mut errors = Vec::new();
        let username = input.username.trim().to_owned();
        if !validate_username(&username) {
            errors.push(FieldError::new("username", "err-username"));
        } else if self.store.user_by_username(&username).await?.is_some() {
            errors.push(FieldError::new("username", "err-username-taken"));
        }
        validate_profile(&input.display_name, &input.phone, &input.email, &mut errors);
        let org = match OrgId::parse(input.org_id.trim()) {
            Ok(id) => self.store.org(id).await?,
            Err(_) => None,
        };
        let Some(org) = org else {
            errors.push(FieldError::new("org_id", "err-org"));
            return Err(AppError::Invalid(errors));
        };
        let mut posts = BTreeSet::new();
        for code in &input.posts {
            match Post::parse(code) {
                Ok(p) => {
                    posts.insert(p);
                }
                Err(_) => errors.push(FieldError::new("posts", "err-post")),
            }
        }
        if let Err(e) = access::validate_posts(org.org_type, &posts) {
            errors.push(post_error(&e));
        }
        if let Some(caller) = check_assign {
            let target = Target { park_id: org.park_id, org_id: Some(org.id) };
            for &post in &posts {
                if !caller.principal()?.can_assign(post, target) {
                    let cap =
                        if post.is_admin() { Capability::PostAssignAdmin } else { Capability::PostAssignBusiness };
                    return Err(AppError::Forbidden { capability: cap });
                }
            }
        }
        let (password, generated) = if input.password.is_empty() {
            let p = generate_password();
            (p.clone(), Some(p))
        } else {
            let rules = self.password_violations(None, &username, &input.password).await?;
            errors.extend(Self::password_errors("password", &rules));
            (input.password.clone(), None)
        };
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let now = self.clock.now();
        let user = UserRecord {
            id: UserId::from_uuid(uuid::Uuid::now_v7()),
            park_id: org.park_id,
            org_id: org.id,
            username,
            display_name: input.display_name.trim().to_owned(),
            phone: input.phone.trim().to_owned(),
            email: input.email.trim().to_owned(),
            password_hash: secret::hash_password(&password),
            password_changed_at: now,
            must_change_password: true,
            is_active: true,
            failures: LoginFailures::default(),
            totp_secret: None,
            totp_last_step: 0,
            posts,
            created_at: now,
            last_login_at: None,
        };
        Ok((user, generated))
    }

    async fn insert_user_audited(&self, caller: &Caller, user: &UserRecord) -> Result<(), AppError> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.insert_user(user).await.map_err(|e| match e {
            StoreError::Conflict { .. } => AppError::field("username", "err-username-taken"),
            e => e.into(),
        })?;
        tx.audit(
            caller.entry("user.create", "user", &user.id.to_string(), Outcome::Success, user_detail(user).to_string()),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates an account. The initial password must be changed at first login.
    ///
    /// # Errors
    /// [`AppError::Invalid`] naming every refused field; [`AppError::Forbidden`] when the caller
    /// may not create users or assign one of the posts.
    pub async fn create_user(&self, caller: &Caller, input: NewUser) -> Result<CreatedUser, AppError> {
        caller.require_any(Capability::UserManage)?;
        let (user, initial_password) = self.validated_new_user(&input, Some(caller)).await?;
        caller.require(Capability::UserManage, Target { park_id: user.park_id, org_id: Some(user.org_id) })?;
        self.insert_user_audited(caller, &user).await?;
        Ok(CreatedUser { user, initial_password })
    }

    /// Creates an account from the command line (`parkops user create`): the operator at the
    /// console of the server is trusted, sets the password, and needs no first-login change.
    ///
    /// # Errors
    /// [`AppError::Invalid`] naming every refused field, including the password rules.
    pub async fn create_user_from_console(&self, input: NewUser) -> Result<UserRecord, AppError> {
        if input.password.is_empty() {
            return Err(AppError::field("password", "err-password-too_short"));
        }
        let (mut user, _) = self.validated_new_user(&input, None).await?;
        user.must_change_password = false;
        self.insert_user_audited(&Caller::command_line(), &user).await?;
        Ok(user)
    }

    /// Updates profile fields and the active flag. Disabling ends all the user's sessions.
    ///
    /// # Errors
    /// [`AppError::Invalid`], [`AppError::Forbidden`], [`AppError::NotFound`].
    pub async fn update_user(&self, caller: &Caller, id: UserId, input: ProfileInput) -> Result<UserRecord, AppError> {
        let before = self.store.user(id).await?.ok_or(AppError::NotFound)?;
        caller.require(Capability::UserManage, Target { park_id: before.park_id, org_id: Some(before.org_id) })?;
        let mut errors = Vec::new();
        validate_profile(&input.display_name, &input.phone, &input.email, &mut errors);
        if caller.principal()?.user_id == id && !input.is_active {
            errors.push(FieldError::new("is_active", "err-disable-self"));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let after = UserRecord {
            display_name: input.display_name.trim().to_owned(),
            phone: input.phone.trim().to_owned(),
            email: input.email.trim().to_owned(),
            is_active: input.is_active,
            ..before.clone()
        };
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.update_user_profile(&after).await?;
        let mut ended = 0;
        if before.is_active && !after.is_active {
            ended = tx.delete_sessions_of(id).await?;
        }
        let d = json!({ "before": user_detail(&before), "after": user_detail(&after), "sessions_ended": ended });
        tx.audit(caller.entry("user.update", "user", &id.to_string(), Outcome::Success, d.to_string()), now).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Replaces a user's posts. Each post added or removed must be assignable by the caller;
    /// the three administrators stay mutually exclusive.
    ///
    /// # Errors
    /// [`AppError::Invalid`], [`AppError::Forbidden`], [`AppError::NotFound`].
    pub async fn assign_posts(&self, caller: &Caller, id: UserId, codes: &[String]) -> Result<UserRecord, AppError> {
        let before = self.store.user(id).await?.ok_or(AppError::NotFound)?;
        let org = self.store.org(before.org_id).await?.ok_or(AppError::NotFound)?;
        let target = Target { park_id: before.park_id, org_id: Some(before.org_id) };
        let p = caller.principal()?;
        if !(p.can(Capability::PostAssignBusiness, target) || p.can(Capability::PostAssignAdmin, target)) {
            return Err(AppError::Forbidden { capability: Capability::PostAssignBusiness });
        }
        let mut posts = BTreeSet::new();
        for code in codes {
            posts.insert(Post::parse(code).map_err(|_| AppError::field("posts", "err-post"))?);
        }
        access::validate_posts(org.org_type, &posts).map_err(|e| AppError::Invalid(vec![post_error(&e)]))?;
        for changed in posts.symmetric_difference(&before.posts) {
            if !p.can_assign(*changed, target) {
                let cap = if changed.is_admin() { Capability::PostAssignAdmin } else { Capability::PostAssignBusiness };
                return Err(AppError::Forbidden { capability: cap });
            }
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.set_posts(id, &posts).await?;
        // New rights take effect at the next login (V7.2.4).
        let ended = tx.delete_sessions_of(id).await?;
        let codes = |s: &BTreeSet<Post>| s.iter().map(|p| p.code()).collect::<Vec<_>>();
        let d = json!({ "before": codes(&before.posts), "after": codes(&posts), "sessions_ended": ended });
        tx.audit(caller.entry("user.posts", "user", &id.to_string(), Outcome::Success, d.to_string()), now).await?;
        tx.commit().await?;
        Ok(UserRecord { posts, ..before })
    }

    /// Resets a user's password to a generated one that must be changed at next login,
    /// ends their sessions and clears the lockout. Returns the new password (shown once).
    ///
    /// # Errors
    /// [`AppError::Forbidden`], [`AppError::NotFound`].
    pub async fn reset_password(&self, caller: &Caller, id: UserId) -> Result<String, AppError> {
        let user = self.store.user(id).await?.ok_or(AppError::NotFound)?;
        caller.require(Capability::UserManage, Target { park_id: user.park_id, org_id: Some(user.org_id) })?;
        let password = generate_password();
        let hash = secret::hash_password(&password);
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.set_password(id, &hash, true, now).await?;
        tx.set_failures(id, LoginFailures::default()).await?;
        tx.delete_sessions_of(id).await?;
        tx.audit(
            caller.entry(
                "user.password_reset",
                "user",
                &id.to_string(),
                Outcome::Success,
                json!({ "username": user.username }).to_string(),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(password)
    }

    /// Sets a user's password from the command line (an operator recovering an account).
    ///
    /// # Errors
    /// [`AppError::Invalid`] naming each broken rule; [`AppError::NotFound`].
    pub async fn set_password_from_console(&self, username: &str, password: &str) -> Result<(), AppError> {
        let user = self.store.user_by_username(username).await?.ok_or(AppError::NotFound)?;
        let rules = self.password_violations(Some(&user), &user.username, password).await?;
        if !rules.is_empty() {
            return Err(AppError::Invalid(Self::password_errors("password", &rules)));
        }
        let hash = secret::hash_password(password);
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.set_password(user.id, &hash, false, now).await?;
        tx.set_failures(user.id, LoginFailures::default()).await?;
        tx.delete_sessions_of(user.id).await?;
        tx.audit(
            Caller::command_line().entry(
                "user.password_reset",
                "user",
                &user.id.to_string(),
                Outcome::Success,
                json!({ "username": user.username }).to_string(),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends every session of a user (security administrator; ASVS V7.4.5).
    ///
    /// # Errors
    /// [`AppError::Forbidden`], [`AppError::NotFound`].
    pub async fn end_sessions(&self, caller: &Caller, id: UserId) -> Result<u64, AppError> {
        let user = self.store.user(id).await?.ok_or(AppError::NotFound)?;
        caller.require(Capability::UserUnlock, Target { park_id: user.park_id, org_id: Some(user.org_id) })?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let n = tx.delete_sessions_of(id).await?;
        tx.audit(
            caller.entry(
                "user.sessions_end",
                "user",
                &id.to_string(),
                Outcome::Success,
                json!({ "ended": n }).to_string(),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_meet_the_default_policy() {
        let policy = parkops_domain::password::PasswordPolicy { require_digit: true, ..Default::default() };
        for _ in 0..20 {
            let p = generate_password();
            assert!(policy.violations(&p, "someone", false).is_empty(), "{p}");
        }
    }

    #[test]
    fn usernames_are_restricted() {
        assert!(validate_username("jb.tech01"));
        assert!(!validate_username("ab"));
        assert!(!validate_username("张三"));
        assert!(!validate_username("a b c"));
    }
}
