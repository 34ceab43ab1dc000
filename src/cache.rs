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
    /// The logo, if one is set and still in the library.
    pub logo: Option<crate::media::Picture>,
}

impl Site {
    pub fn new(settings: SiteSettings) -> Self {
        use sha2::{Digest, Sha256};
        let hash = format!("{:x}", Sha256::digest(settings.stylesheet().as_bytes()));
        Self {
            css_version: hash[..16].to_owned(),
            settings,
            logo: None,
        }
    }

    /// The stored settings with the logo's record.
    pub fn load(conn: &mut db::DbConnection) -> diesel::QueryResult<Self> {
        let settings = settings::load(conn)?;
        let logo = match settings.logo_media_id {
            Some(id) => crate::store::media::find(conn, id)?
                .as_ref()
                .and_then(crate::media::Picture::of),
            None => None,
        };
        Ok(Self {
            logo,
            ..Self::new(settings)
        })
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
        let fresh = Arc::new(db::run(pool, |conn| Ok(Site::load(conn)?)).await?);
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

/// How long this node reuses a rendered public page. Bounds how stale a page can look
/// after *another* node's change; this node's own changes clear the cache at once, and
/// every page expires when the next scheduled post falls due.
pub const PAGE_TTL: Duration = Duration::from_secs(10);
/// Pages kept at most (search results make the key space open-ended); full → start over.
const MAX_PAGES: usize = 2_000;

/// A rendered public page as it was sent.
pub struct CachedPage {
    pub body: actix_web::web::Bytes,
    pub content_type: actix_web::http::header::HeaderValue,
    pub etag: actix_web::http::header::EntityTag,
}

#[derive(Default)]
struct Pages {
    entries: std::collections::HashMap<String, (Instant, Arc<CachedPage>)>,
    /// When the next scheduled post becomes public (None: none scheduled); unknown
    /// (`known == false`) right after a clear.
    next_publication: Option<Instant>,
    known: bool,
}

#[derive(Default)]
pub struct PageCache {
    pages: std::sync::Mutex<Pages>,
}

impl PageCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Pages> {
        self.pages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A fresh copy of the page at `key`, if there is one.
    pub fn get(&self, key: &str) -> Option<Arc<CachedPage>> {
        let mut pages = self.lock();
        let now = Instant::now();
        if pages.next_publication.is_some_and(|due| due <= now) {
            *pages = Pages::default();
            return None;
        }
        match pages.entries.get(key) {
            Some((stored, page)) if stored.elapsed() < PAGE_TTL => Some(Arc::clone(page)),
            _ => None,
        }
    }

    /// Whether `put` needs to be told when the next scheduled post falls due.
    pub fn needs_schedule(&self) -> bool {
        !self.lock().known
    }

    /// Keeps a page. `next_publication` (how long until the next scheduled post) is
    /// required after a clear; pass None when `needs_schedule` was false.
    pub fn put(
        &self,
        key: String,
        page: Arc<CachedPage>,
        next_publication: Option<Option<Duration>>,
    ) {
        let mut pages = self.lock();
        if let Some(next) = next_publication {
            pages.next_publication = next.map(|wait| Instant::now() + wait);
            pages.known = true;
        }
        if !pages.known {
            return;
        }
        if pages.entries.len() >= MAX_PAGES {
            pages.entries.clear();
        }
        pages.entries.insert(key, (Instant::now(), page));
    }

    /// After any change made through this node.
    pub fn clear(&self) {
        *self.lock() = Pages::default();
    }
}
