//! Opens the database and builds the [`App`] from settings: the one place where the
//! store, the clock and the audit key meet.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use parkops_app::App;
use parkops_app::clock::SystemClock;
use parkops_store::{DatabaseUrl, Db};

use crate::config::DataSettings;
use crate::keys;

/// Connects and applies pending migrations.
///
/// # Errors
/// When the database cannot be opened or a migration fails.
pub async fn open_migrated(data: &DataSettings) -> anyhow::Result<Db> {
    let db = connect(&data.database).await?;
    db.migrate().await.with_context(|| format!("migrations failed on {:?}", data.database))?;
    tracing::info!(database = ?data.database, "database migrated");
    Ok(db)
}

/// Connects to an existing database without changing it (for read-only commands).
///
/// # Errors
/// When a SQLite file does not exist or the database cannot be opened.
pub async fn open_existing(data: &DataSettings) -> anyhow::Result<Db> {
    if let DatabaseUrl::Sqlite(path) = &data.database
        && !path.exists()
    {
        bail!("no database at {}", path.display());
    }
    connect(&data.database).await
}

async fn connect(url: &DatabaseUrl) -> anyhow::Result<Db> {
    Db::connect(url).await.with_context(|| format!("cannot open the database {url:?}"))
}

/// The application over `db`, signing with the key in `data_dir` (created at first use).
/// Its audit origin is left empty: call [`settle_origin`] once the park data is in place.
///
/// # Errors
/// When the key cannot be read or created.
pub fn app(db: &Db, data_dir: &Path, checkpoint_every: i64) -> anyhow::Result<App> {
    let key = keys::load_or_create_signing_key(data_dir)?;
    Ok(App {
        store: Arc::new(db.clone()),
        clock: Arc::new(SystemClock),
        audit_key: Arc::new(key),
        audit_origin: String::new(),
        checkpoint_every,
    })
}

/// Fixes the app's audit origin (recorded at first use) and checks that its key and origin
/// signed the latest stored checkpoint.
///
/// # Errors
/// When the origin cannot be settled or the key does not match the checkpoints.
pub async fn settle_origin(app: &mut App, data_dir: &Path) -> anyhow::Result<()> {
    app.audit_origin = keys::settle_origin(data_dir, app.store.as_ref()).await?;
    keys::check_matches_checkpoints(app.store.as_ref(), &app.audit_key.verifying_key(), &app.audit_origin, data_dir)
        .await
}
