//! What every handler can reach (`AppState`), and opening the database it is built on.
//! Both sit below the routes, the middleware and the commands (`export`, `backup`, `cli`)
//! that use them; `startup` only builds and runs the app.

use crate::cache::{ChangesSeen, PageCache, SettingsCache};
use crate::config::{SessionPolicy, StorageConfig, TrustProxy};
use crate::db::{self, DatabaseUrl, DbPool, migrations};
use crate::error::AppResult;
use crate::media::MediaConfig;

/// What every handler can reach.
pub struct AppState {
    pub pool: DbPool,
    pub database: DatabaseUrl,
    pub base_url: url::Url,
    pub sessions: SessionPolicy,
    pub trust_proxy: TrustProxy,
    pub settings: SettingsCache,
    pub pages: PageCache,
    /// The change counter the caches last reflected (see `freshness`).
    pub changes: ChangesSeen,
    pub media: MediaConfig,
    pub jobs: Jobs,
    /// Outgoing mail (None: not configured; links are shown to copy instead).
    pub mail: Option<crate::config::MailSettings>,
}

/// This node's side of the job table (`store::jobs`, run by `jobs`): the id its claims
/// carry, and the bell that wakes its runner when a request queues a job.
pub struct Jobs {
    pub node: String,
    pub wake: tokio::sync::Notify,
}

impl Jobs {
    /// A new node id: the process id and random hex, unique per start.
    pub fn new() -> Jobs {
        let mut random = [0u8; 4];
        let _ = getrandom::fill(&mut random);
        let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
        Jobs {
            node: format!("node-{}-{hex}", std::process::id()),
            wake: tokio::sync::Notify::new(),
        }
    }
}

impl Default for Jobs {
    fn default() -> Self {
        Self::new()
    }
}

impl AppState {
    /// The site's time zone, from the settings cache (no query while it is fresh).
    pub async fn time_zone(&self) -> AppResult<chrono_tz::Tz> {
        Ok(self.settings.get(&self.pool).await?.settings.tz())
    }
}

/// Creates the data directory, opens the pool and applies pending migrations (filling the
/// search text of posts that predate it). Returns the pool and the migrations it applied.
pub fn open_database(
    storage: &StorageConfig,
    pool_size: u32,
) -> Result<(DbPool, Vec<String>), String> {
    open_database_with(storage, pool_size, db::DEFAULT_CONNECT_TIMEOUT)
}

/// [`open_database`] with a request's longest wait for a connection
/// (`FOLIO_DB_CONNECT_TIMEOUT`).
pub fn open_database_with(
    storage: &StorageConfig,
    pool_size: u32,
    connect_timeout: std::time::Duration,
) -> Result<(DbPool, Vec<String>), String> {
    std::fs::create_dir_all(&storage.data_dir).map_err(|e| {
        format!(
            "cannot create the data directory {}: {e}",
            storage.data_dir.display()
        )
    })?;
    let pool = db::build_pool_with(&storage.database, pool_size, connect_timeout)?;
    let mut conn = pool.get().map_err(|e| {
        format!(
            "cannot connect to the database {}: {e}",
            storage.database.redacted()
        )
    })?;
    let applied = migrations::run_pending(&mut conn)?;
    for version in &applied {
        tracing::info!(%version, "applied database migration");
    }
    if !applied.is_empty() {
        let filled = crate::store::posts::backfill_search_text(&mut conn)
            .map_err(|e| format!("cannot prepare the search index: {e}"))?;
        if filled > 0 {
            tracing::info!(posts = filled, "indexed existing posts for search");
        }
    }
    Ok((pool, applied))
}
