//! In-process caches. Each node keeps its own; a node's own writes replace its copy at
//! once, and other nodes see a change within the time-to-live.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::db::{self, DbPool};
use crate::domain::site::SiteSettings;
use crate::error::AppResult;
use crate::store::settings;

/// How stale another node's settings change may look here.
pub const SETTINGS_TTL: Duration = Duration::from_secs(5);

/// The settings plus what is derived from them once, not on every page.
#[derive(Debug, Default)]
pub struct Site {
    pub settings: SiteSettings,
    /// Fingerprint of the generated stylesheet, for `/site.css?v=…`.
    pub css_version: String,
}

impl Site {
    pub fn new(settings: SiteSettings) -> Self {
        use sha2::{Digest, Sha256};
        let hash = format!("{:x}", Sha256::digest(settings.stylesheet().as_bytes()));
        Self {
            css_version: hash[..16].to_owned(),
            settings,
        }
    }
}

#[derive(Default)]
pub struct SettingsCache {
    current: RwLock<Option<(Instant, Arc<Site>)>>,
}

impl SettingsCache {
    /// The settings, from the cache while fresh, otherwise from the database.
    pub async fn get(&self, pool: &DbPool) -> AppResult<Arc<Site>> {
        if let Some((loaded, settings)) = self.read().as_ref()
            && loaded.elapsed() < SETTINGS_TTL
        {
            return Ok(Arc::clone(settings));
        }
        let fresh = Arc::new(Site::new(
            db::run(pool, |conn| Ok(settings::load(conn)?)).await?,
        ));
        self.put(Arc::clone(&fresh));
        Ok(fresh)
    }

    /// After this node saved new settings.
    pub fn put(&self, settings: Arc<Site>) {
        if let Ok(mut slot) = self.current.write() {
            *slot = Some((Instant::now(), settings));
        }
    }

    /// Whatever is cached, without touching the database (for error pages).
    pub fn peek(&self) -> Arc<Site> {
        self.read()
            .as_ref()
            .map(|(_, settings)| Arc::clone(settings))
            .unwrap_or_default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Option<(Instant, Arc<Site>)>> {
        // A writer that panicked can't leave the value half-written: recover it.
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
