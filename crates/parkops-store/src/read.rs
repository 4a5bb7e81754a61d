//! Reads: the [`Store`] half of the port.

use std::collections::BTreeMap;

use async_trait::async_trait;
use parkops_app::StoreError;
use parkops_app::ports::{
    ApiTokenRecord, AuditFilter, JobDescriptionRecord, OrgFilter, Page, PageRequest, PolicyRecord, SessionRecord,
    Store, Tx, UserFilter, UserRecord,
};
use parkops_domain::audit::{AuditRecord, Checkpoint, GENESIS, Hash};
use parkops_domain::id::{OrgId, ParkId, UserId};
use parkops_domain::org::{Organisation, Park};
use parkops_domain::time::Timestamp;
use sqlx::any::AnyRow;

use crate::rows::{self, AUDIT_COLUMNS, USER_COLUMNS};
use crate::{Db, Sql, map_err};

impl Db {
    pub(crate) async fn all(&self, sql: Sql) -> Result<Vec<AnyRow>, StoreError> {
        sql.build(self.backend()).fetch_all(&self.pool).await.map_err(map_err)
    }

    pub(crate) async fn count(&self, sql: Sql) -> Result<i64, StoreError> {
        let row = sql.build(self.backend()).fetch_one(&self.pool).await.map_err(map_err)?;
        rows::int(&row, "n")
    }

    /// Fills in the posts of users.
    async fn with_posts(&self, mut users: Vec<UserRecord>) -> Result<Vec<UserRecord>, StoreError> {
        if users.is_empty() {
            return Ok(users);
        }
        let mut sql = Sql::new("SELECT user_id, post FROM user_post WHERE user_id IN (");
        for (i, u) in users.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(u.id.to_string());
        }
        sql.push(")");
        let mut by_user: BTreeMap<UserId, Vec<_>> = BTreeMap::new();
        for row in self.all(sql).await? {
            let (user, post) = rows::post(&row)?;
            by_user.entry(user).or_default().push(post);
        }
        for u in &mut users {
            u.posts = by_user.remove(&u.id).unwrap_or_default().into_iter().collect();
        }
        Ok(users)
    }

    async fn one_user(&self, sql: Sql) -> Result<Option<UserRecord>, StoreError> {
        let rows = self.all(sql).await?;
        let users = rows.iter().map(rows::user).collect::<Result<Vec<_>, _>>()?;
        Ok(self.with_posts(users).await?.into_iter().next())
    }
}

/// `SELECT <columns> FROM` for a fixed column list (the lists are constants of this crate).
fn select(columns: &'static str, rest: &'static str) -> Sql {
    let mut s = Sql::new("SELECT ");
    s.push(columns).push(" ").push(rest);
    s
}

pub(crate) fn like(text: &str) -> String {
    like_pattern(&text.trim().to_lowercase())
}

/// `%text%` for `LIKE … ESCAPE '\'`, with the pattern characters in `text` escaped.
pub(crate) fn like_pattern(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

pub(crate) fn page_clause(sql: &mut Sql, page: PageRequest) {
    sql.push(" LIMIT ").bind(page.per_page).push(" OFFSET ").bind(page.offset());
}

fn org_where(sql: &mut Sql, f: &OrgFilter) {
    sql.push(" WHERE 1 = 1");
    if let Some(p) = f.park_id {
        sql.push(" AND park_id = ").bind(p.to_string());
    }
    if let Some(o) = f.only {
        sql.push(" AND id = ").bind(o.to_string());
    }
    if let Some(t) = f.org_type.as_ref().filter(|t| !t.is_empty()) {
        sql.push(" AND org_type = ").bind(t.clone());
    }
    if let Some(t) = f.text.as_ref().filter(|t| !t.trim().is_empty()) {
        let pattern = like(t);
        sql.push(" AND (lower(name) LIKE ")
            .bind(pattern.clone())
            .push(" ESCAPE '\\' OR lower(code) LIKE ")
            .bind(pattern)
            .push(" ESCAPE '\\')");
    }
}

fn user_where(sql: &mut Sql, f: &UserFilter) {
    sql.push(" WHERE 1 = 1");
    if let Some(p) = f.park_id {
        sql.push(" AND park_id = ").bind(p.to_string());
    }
    if let Some(o) = f.org_id {
        sql.push(" AND org_id = ").bind(o.to_string());
    }
    if let Some(p) = f.post {
        sql.push(" AND id IN (SELECT user_id FROM user_post WHERE post = ").bind(p.code().to_owned()).push(")");
    }
    if let Some(a) = f.active {
        sql.push(" AND is_active = ").bind(i64::from(a));
    }
    if let Some(t) = f.text.as_ref().filter(|t| !t.trim().is_empty()) {
        let pattern = like(t);
        sql.push(" AND (username_key LIKE ")
            .bind(pattern.clone())
            .push(" ESCAPE '\\' OR lower(display_name) LIKE ")
            .bind(pattern)
            .push(" ESCAPE '\\')");
    }
}

fn audit_where(sql: &mut Sql, f: &AuditFilter) {
    sql.push(" WHERE 1 = 1");
    if let Some(a) = f.actor.as_ref().filter(|a| !a.is_empty()) {
        sql.push(" AND actor_name = ").bind(a.clone());
    }
    if let Some(a) = f.action.as_ref().filter(|a| !a.is_empty()) {
        let escaped = a.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        sql.push(" AND action LIKE ").bind(format!("{escaped}%")).push(" ESCAPE '\\'");
    }
    if let Some(o) = f.outcome.as_ref().filter(|o| !o.is_empty()) {
        sql.push(" AND outcome = ").bind(o.clone());
    }
    if let Some(e) = f.entity_id.as_ref().filter(|e| !e.is_empty()) {
        sql.push(" AND entity_id = ").bind(e.clone());
    }
    if let Some(t) = f.from {
        sql.push(" AND at >= ").bind(t.as_millis());
    }
    if let Some(t) = f.until {
        sql.push(" AND at < ").bind(t.as_millis());
    }
}

#[async_trait]
impl Store for Db {
    async fn begin(&self) -> Result<Box<dyn Tx>, StoreError> {
        Ok(Box::new(crate::tx::DbTx::begin(self).await?))
    }

    async fn parks(&self) -> Result<Vec<Park>, StoreError> {
        let rows = self.all(Sql::new("SELECT id, code, name FROM park ORDER BY code")).await?;
        rows.iter().map(rows::park).collect()
    }

    async fn org(&self, id: OrgId) -> Result<Option<Organisation>, StoreError> {
        let mut sql = Sql::new(
            "SELECT id, park_id, org_type, code, name, contact, phone, is_active FROM organisation WHERE id = ",
        );
        sql.bind(id.to_string());
        self.all(sql).await?.first().map(rows::org).transpose()
    }

    async fn orgs(&self, filter: &OrgFilter, page: PageRequest) -> Result<Page<Organisation>, StoreError> {
        let mut count = Sql::new("SELECT COUNT(*) AS n FROM organisation");
        org_where(&mut count, filter);
        let total = self.count(count).await?;
        let mut sql = Sql::new("SELECT id, park_id, org_type, code, name, contact, phone, is_active FROM organisation");
        org_where(&mut sql, filter);
        sql.push(" ORDER BY org_type, code");
        page_clause(&mut sql, page);
        let items = self.all(sql).await?.iter().map(rows::org).collect::<Result<_, _>>()?;
        Ok(Page { items, total, request: page })
    }

    async fn user(&self, id: UserId) -> Result<Option<UserRecord>, StoreError> {
        let mut sql = select(USER_COLUMNS, "FROM app_user WHERE id = ");
        sql.bind(id.to_string());
        self.one_user(sql).await
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        let mut sql = select(USER_COLUMNS, "FROM app_user WHERE username_key = ");
        sql.bind(username.trim().to_lowercase());
        self.one_user(sql).await
    }

    async fn users(&self, filter: &UserFilter, page: PageRequest) -> Result<Page<UserRecord>, StoreError> {
        let mut count = Sql::new("SELECT COUNT(*) AS n FROM app_user");
        user_where(&mut count, filter);
        let total = self.count(count).await?;
        let mut sql = select(USER_COLUMNS, "FROM app_user");
        user_where(&mut sql, filter);
        sql.push(" ORDER BY username_key");
        page_clause(&mut sql, page);
        let users = self.all(sql).await?.iter().map(rows::user).collect::<Result<Vec<_>, _>>()?;
        Ok(Page { items: self.with_posts(users).await?, total, request: page })
    }

    async fn count_users(&self) -> Result<i64, StoreError> {
        self.count(Sql::new("SELECT COUNT(*) AS n FROM app_user")).await
    }

    async fn password_history(&self, user: UserId, count: u32) -> Result<Vec<String>, StoreError> {
        let mut sql = Sql::new("SELECT password_hash FROM password_history WHERE user_id = ");
        sql.bind(user.to_string()).push(" ORDER BY replaced_at DESC LIMIT ").bind(i64::from(count));
        self.all(sql).await?.iter().map(|r| rows::text(r, "password_hash")).collect()
    }

    async fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let mut sql = Sql::new(
            "SELECT token_hash, user_id, stage, csrf_token, created_at, last_seen_at, ip FROM user_session WHERE token_hash = ",
        );
        sql.bind(token_hash.to_owned());
        self.all(sql).await?.first().map(rows::session).transpose()
    }

    async fn touch_session(&self, token_hash: &str, now: Timestamp) -> Result<(), StoreError> {
        let mut sql = Sql::new("UPDATE user_session SET last_seen_at = ");
        sql.bind(now.as_millis()).push(" WHERE token_hash = ").bind(token_hash.to_owned());
        sql.build(self.backend()).execute(&self.pool).await.map_err(map_err)?;
        Ok(())
    }

    async fn sessions_of(&self, user: UserId) -> Result<Vec<SessionRecord>, StoreError> {
        let mut sql = Sql::new(
            "SELECT token_hash, user_id, stage, csrf_token, created_at, last_seen_at, ip FROM user_session WHERE user_id = ",
        );
        sql.bind(user.to_string()).push(" ORDER BY created_at DESC");
        self.all(sql).await?.iter().map(rows::session).collect()
    }

    async fn api_token(&self, token_hash: &str) -> Result<Option<ApiTokenRecord>, StoreError> {
        let mut sql = Sql::new(
            "SELECT id, user_id, name, token_hash, prefix, created_at, expires_at, revoked_at FROM api_token WHERE token_hash = ",
        );
        sql.bind(token_hash.to_owned());
        self.all(sql).await?.first().map(rows::api_token).transpose()
    }

    async fn api_tokens_of(&self, user: UserId) -> Result<Vec<ApiTokenRecord>, StoreError> {
        let mut sql = Sql::new(
            "SELECT id, user_id, name, token_hash, prefix, created_at, expires_at, revoked_at FROM api_token WHERE user_id = ",
        );
        sql.bind(user.to_string()).push(" ORDER BY created_at DESC");
        self.all(sql).await?.iter().map(rows::api_token).collect()
    }

    async fn job_descriptions(&self, park: ParkId) -> Result<Vec<JobDescriptionRecord>, StoreError> {
        let mut sql = Sql::new(
            "SELECT id, park_id, post, version, title, content, change_note, created_by, created_at FROM job_description WHERE park_id = ",
        );
        sql.bind(park.to_string()).push(" ORDER BY post, version DESC");
        self.all(sql).await?.iter().map(rows::job_description).collect()
    }

    async fn policy(&self) -> Result<Option<PolicyRecord>, StoreError> {
        let sql =
            Sql::new("SELECT version, body, created_by, created_at FROM security_policy ORDER BY version DESC LIMIT 1");
        self.all(sql).await?.first().map(rows::policy).transpose()
    }

    async fn policy_history(&self) -> Result<Vec<PolicyRecord>, StoreError> {
        let sql = Sql::new("SELECT version, body, created_by, created_at FROM security_policy ORDER BY version DESC");
        self.all(sql).await?.iter().map(rows::policy).collect()
    }

    async fn audit_page(&self, filter: &AuditFilter, page: PageRequest) -> Result<Page<AuditRecord>, StoreError> {
        let mut count = Sql::new("SELECT COUNT(*) AS n FROM audit_event");
        audit_where(&mut count, filter);
        let total = self.count(count).await?;
        let mut sql = select(AUDIT_COLUMNS, "FROM audit_event");
        audit_where(&mut sql, filter);
        sql.push(" ORDER BY seq DESC");
        page_clause(&mut sql, page);
        let items = self.all(sql).await?.iter().map(rows::audit).collect::<Result<_, _>>()?;
        Ok(Page { items, total, request: page })
    }

    async fn audit_after(&self, after: i64, limit: i64) -> Result<Vec<AuditRecord>, StoreError> {
        let mut sql = select(AUDIT_COLUMNS, "FROM audit_event WHERE seq > ");
        sql.bind(after).push(" ORDER BY seq LIMIT ").bind(limit);
        self.all(sql).await?.iter().map(rows::audit).collect()
    }

    async fn audit_head(&self) -> Result<(i64, Hash), StoreError> {
        let rows = self.all(Sql::new("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1")).await?;
        head_of(rows.first())
    }

    async fn maintain(&self, stale_before: Timestamp) -> Result<u64, StoreError> {
        let mut sql = Sql::new("DELETE FROM user_session WHERE last_seen_at < ");
        sql.bind(stale_before.as_millis());
        let removed = sql.build(self.backend()).execute(&self.pool).await.map_err(map_err)?.rows_affected();
        self.checkpoint_wal().await?;
        self.optimize().await?;
        Ok(removed)
    }

    async fn checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError> {
        let rows = self.all(Sql::new("SELECT seq, at, hash, signature FROM audit_checkpoint ORDER BY seq")).await?;
        rows.iter().map(rows::checkpoint).collect()
    }
}

pub(crate) fn head_of(row: Option<&AnyRow>) -> Result<(i64, Hash), StoreError> {
    match row {
        None => Ok((0, GENESIS)),
        Some(r) => {
            let seq = rows::int(r, "seq")?;
            let hash = hex::decode(rows::text(r, "hash")?).ok().and_then(|b| b.try_into().ok()).unwrap_or([0xff; 32]);
            Ok((seq, hash))
        }
    }
}
