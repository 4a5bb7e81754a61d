//! A PostgreSQL schema of the benchmark's own, dropped afterwards.

use anyhow::{Context, bail};
use parkops_store::{DatabaseUrl, Db};

/// A fresh schema `bench_<uuid>` on a PostgreSQL server and the URL that works in it.
pub struct FreshSchema {
    admin: Db,
    /// The schema's name.
    pub name: String,
    /// The server URL with `search_path` set to the schema (for `Db::connect` and
    /// `parkops --database-url`).
    pub url: String,
}

impl FreshSchema {
    /// Creates the schema.
    ///
    /// # Errors
    /// When `base` is not a `postgres://` URL or the server refuses.
    pub async fn create(base: &str) -> anyhow::Result<Self> {
        if !(base.starts_with("postgres://") || base.starts_with("postgresql://")) {
            bail!("--database-url must be a postgres:// URL");
        }
        let name = format!("bench_{}", uuid::Uuid::now_v7().simple());
        let admin = Db::connect(&DatabaseUrl::Postgres(base.to_owned())).await.context("connect to PostgreSQL")?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}"))).execute(admin.pool()).await?;
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{name}");
        Ok(Self { admin, name, url })
    }

    /// Drops the schema with everything in it.
    ///
    /// # Errors
    /// When the server refuses.
    pub async fn drop_now(self) -> anyhow::Result<()> {
        let dropped = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {} CASCADE", self.name)))
            .execute(self.admin.pool())
            .await;
        self.admin.pool().close().await;
        dropped.context("drop the benchmark schema")?;
        Ok(())
    }
}
