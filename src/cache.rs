//! In-process caches. Each node keeps its own; a node's own writes replace its copy at
//! once, and other processes' writes empty it within `freshness::POLL_INTERVAL` (the
//! time-to-live is only a safety net).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::db::{self, DbPool};
use crate::domain::site::SiteSettings;
use crate::error::AppResult;
use crate::store::settings;

/// How long settings are reused without a reload. Another process's settings change is
/// learned through `freshness` (within about half a second), so this only bounds a change
/// its triggers could not see (the database edited by hand).
pub const SETTINGS_TTL: Duration = Duration::from_secs(600);

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
    current: RwLock<Option<Loaded>>,
    /// Counts [`SettingsCache::forget`] and [`SettingsCache::put`]: a copy loaded before
    /// one of them is not used afterwards.
    generation: AtomicU64,
}

struct Loaded {
    at: Instant,
    generation: u64,
    site: Arc<Site>,
}

impl SettingsCache {
    /// The settings, from the cache while fresh, otherwise from the database.
    pub async fn get(&self, pool: &DbPool) -> AppResult<Arc<Site>> {
        let generation = self.generation.load(Ordering::Acquire);
        if let Some(loaded) = self.read().as_ref()
            && loaded.generation == generation
            && loaded.at.elapsed() < SETTINGS_TTL
        {
            return Ok(Arc::clone(&loaded.site));
        }
        let fresh = Arc::new(db::run(pool, |conn| Ok(Site::load(conn)?)).await?);
        self.store(Arc::clone(&fresh), generation);
        Ok(fresh)
    }

    /// After this node saved new settings.
    pub fn put(&self, settings: Arc<Site>) {
        let generation = self.generation.fetch_add(1, Ordering::AcqRel) + 1;
        self.store(settings, generation);
    }

    /// After another process changed something: the next `get` reloads (what is cached
    /// stays for `peek`).
    pub fn forget(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Keeps `site`, loaded in `generation`, unless a newer copy is already there.
    fn store(&self, site: Arc<Site>, generation: u64) {
        if let Ok(mut slot) = self.current.write()
            && slot.as_ref().is_none_or(|old| old.generation <= generation)
        {
            *slot = Some(Loaded {
                at: Instant::now(),
                generation,
                site,
            });
        }
    }

    /// Whatever is cached, without touching the database (for error pages).
    pub fn peek(&self) -> Arc<Site> {
        self.read()
            .as_ref()
            .map(|loaded| Arc::clone(&loaded.site))
            .unwrap_or_default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Option<Loaded>> {
        // A writer that panicked can't leave the value half-written: recover it.
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The value of the site's change counter (`store::changes`) that this node's caches were
/// last emptied after, and when that read began; shared by the poller (`freshness`) and
/// this node's own writes. A write made here empties the caches itself, and with this the
/// poller doesn't empty them a second time when it sees the counter that write moved.
#[derive(Default)]
pub struct ChangesSeen(std::sync::Mutex<Option<(i64, Instant)>>);

impl ChangesSeen {
    /// Caches that are empty and so reflect what a read begun at `read_at` found (None:
    /// nothing read yet; the poller's first read then empties them).
    pub fn new(read: Option<(i64, Instant)>) -> Self {
        Self(std::sync::Mutex::new(read))
    }

    /// A read begun at `read_at` found `counter`: empties the caches (`empty`) unless they
    /// were emptied after a read of that value, or after a read begun later (this one
    /// then tells nothing new).
    pub fn confirm(&self, counter: i64, read_at: Instant, empty: impl FnOnce()) {
        let mut seen = self.lock();
        match *seen {
            Some((_, at)) if read_at < at => {}
            Some((value, _)) if value == counter => {}
            _ => {
                empty();
                *seen = Some((counter, read_at));
            }
        }
    }

    /// Empties the caches after a read begun at `read_at` found `counter` (None: the read
    /// failed, and the next `confirm` empties them again).
    pub fn emptied_after(&self, counter: Option<i64>, read_at: Instant, empty: impl FnOnce()) {
        let mut seen = self.lock();
        empty();
        match counter {
            None => *seen = None,
            Some(counter) => {
                if seen.is_none_or(|(_, at)| at <= read_at) {
                    *seen = Some((counter, read_at));
                }
            }
        }
    }

    /// Nothing confirmed: the next `confirm` empties the caches whatever it reads.
    pub fn forget(&self) {
        *self.lock() = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(i64, Instant)>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// How long this node reuses a rendered public page. This node's own changes clear the
/// cache at once, other processes' within about half a second (`freshness`), and every
/// page expires when the next scheduled post falls due; so this is only a safety net for
/// what the change counter cannot see (the database edited by hand with its triggers
/// dropped). Short enough that such a page doesn't linger, long enough that a page read
/// a few times an hour stays cached.
pub const PAGE_TTL: Duration = Duration::from_secs(600);
/// What an entry costs beyond its key and body (the map slot, the header values, the
/// eviction queue).
const ENTRY_OVERHEAD_BYTES: usize = 256;

/// A rendered public page as it was sent.
pub struct CachedPage {
    pub body: actix_web::web::Bytes,
    pub content_type: actix_web::http::header::HeaderValue,
    pub etag: actix_web::http::header::EntityTag,
}

impl CachedPage {
    fn cost(&self, key: &str) -> usize {
        key.len() + self.body.len() + self.content_type.len() + ENTRY_OVERHEAD_BYTES
    }
}

struct Entry {
    stored: Instant,
    page: Arc<CachedPage>,
    /// Which `put` stored it, to tell its place in the eviction queue from older ones.
    serial: u64,
}

#[derive(Default)]
struct Pages {
    entries: std::collections::HashMap<String, Entry>,
    /// Keys in the order they were stored, oldest first, with the serial of that `put`
    /// (a key stored again leaves a stale place behind, skipped when evicting).
    order: std::collections::VecDeque<(String, u64)>,
    bytes: usize,
    serial: u64,
    /// When the next scheduled post becomes public (None: none scheduled); unknown
    /// (`known == false`) right after a clear. On the server's clock, like the posts'
    /// publication times (`clock::now`).
    next_publication: Option<chrono::NaiveDateTime>,
    known: bool,
    /// Counts the clears: a page rendered while one happened may show what was there
    /// before the change, so it is not kept (see [`PageCache::generation`]).
    generation: u64,
}

impl Pages {
    /// Empty, in the next generation.
    fn reset(&mut self) {
        *self = Pages {
            generation: self.generation + 1,
            ..Pages::default()
        };
    }

    fn remove(&mut self, key: &str) {
        if let Some(old) = self.entries.remove(key) {
            self.bytes -= old.page.cost(key);
        }
    }

    /// Drops the oldest entries until `room` more bytes fit within `max_bytes`.
    fn make_room(&mut self, room: usize, max_bytes: usize) {
        while self.bytes + room > max_bytes {
            let Some((key, serial)) = self.order.pop_front() else {
                break;
            };
            if self.entries.get(&key).is_some_and(|e| e.serial == serial) {
                self.remove(&key);
            }
        }
        // Stale places of keys stored again: keep the queue proportional to the entries.
        if self.order.len() > 2 * self.entries.len() + 64 {
            let entries = &self.entries;
            self.order
                .retain(|(key, serial)| entries.get(key).is_some_and(|e| e.serial == *serial));
        }
    }
}

/// Rendered public pages of this node, bounded in bytes (keys, bodies and bookkeeping);
/// when full, the oldest pages make room. A bound of 0 turns it off.
pub struct PageCache {
    max_bytes: usize,
    pages: std::sync::Mutex<Pages>,
}

impl PageCache {
    pub fn new(max_bytes: usize) -> Self {
        Self {
            max_bytes,
            pages: std::sync::Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pages> {
        self.pages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A fresh copy of the page at `key`, if there is one.
    pub fn get(&self, key: &str) -> Option<Arc<CachedPage>> {
        if self.max_bytes == 0 {
            return None;
        }
        let mut pages = self.lock();
        let now = crate::clock::now();
        if pages.next_publication.is_some_and(|due| due <= now) {
            pages.reset();
            return None;
        }
        match pages.entries.get(key) {
            Some(entry) if entry.stored.elapsed() < PAGE_TTL => Some(Arc::clone(&entry.page)),
            _ => None,
        }
    }

    /// The ticket a render takes before it reads anything: `put` keeps the page only if
    /// no clear happened since, so a page read before a write can't be stored after the
    /// write emptied the cache (and then served stale until it expires).
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Whether `put` needs to be told when the next scheduled post falls due.
    pub fn needs_schedule(&self) -> bool {
        self.max_bytes > 0 && !self.lock().known
    }

    /// Keeps a page rendered under the ticket `rendered_in` (from [`Self::generation`]).
    /// `next_publication` (how long until the next scheduled post) is required after a
    /// clear; pass None when `needs_schedule` was false.
    pub fn put(
        &self,
        key: String,
        page: Arc<CachedPage>,
        next_publication: Option<Option<Duration>>,
        rendered_in: u64,
    ) {
        let cost = page.cost(&key);
        if cost > self.max_bytes {
            return; // also when the cache is off
        }
        let mut pages = self.lock();
        if pages.generation != rendered_in {
            return; // a change was made while it was rendered: it may predate it
        }
        if let Some(next) = next_publication {
            // (Beyond what a date can hold is as good as never.)
            let now = crate::clock::now();
            pages.next_publication = next
                .and_then(|wait| chrono::TimeDelta::from_std(wait).ok())
                .and_then(|wait| now.checked_add_signed(wait));
            pages.known = true;
        }
        if !pages.known {
            return;
        }
        pages.remove(&key);
        pages.make_room(cost, self.max_bytes);
        pages.serial += 1;
        let serial = pages.serial;
        pages.order.push_back((key.clone(), serial));
        pages.bytes += cost;
        pages.entries.insert(
            key,
            Entry {
                stored: Instant::now(),
                page,
                serial,
            },
        );
    }

    /// After any change made through this node.
    pub fn clear(&self) {
        self.lock().reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{EntityTag, HeaderValue};

    fn page(bytes: usize) -> Arc<CachedPage> {
        Arc::new(CachedPage {
            body: vec![b'x'; bytes].into(),
            content_type: HeaderValue::from_static("text/html"),
            etag: EntityTag::new_strong("e".into()),
        })
    }

    fn cache(max_bytes: usize) -> PageCache {
        let cache = PageCache::new(max_bytes);
        cache.put("/warm".into(), page(0), Some(None), cache.generation()); // learns the schedule
        cache.clear();
        cache.put("/warm".into(), page(0), Some(None), cache.generation());
        cache
    }

    #[test]
    fn the_oldest_pages_make_room_within_the_byte_bound() {
        let cache = cache(10_000);
        for i in 0..20 {
            cache.put(format!("/p{i}"), page(1_000), None, cache.generation());
            assert!(cache.lock().bytes <= 10_000);
        }
        assert!(cache.get("/p0").is_none(), "evicted");
        assert!(cache.get("/p19").is_some());
        let pages = cache.lock();
        let counted: usize = pages.entries.iter().map(|(k, e)| e.page.cost(k)).sum();
        assert_eq!(pages.bytes, counted);
    }

    #[test]
    fn storing_a_key_again_replaces_it_and_keeps_the_queue_short() {
        let cache = cache(100_000);
        for _ in 0..1_000 {
            cache.put("/same".into(), page(100), None, cache.generation());
        }
        let pages = cache.lock();
        assert_eq!(pages.entries.len(), 2);
        assert!(pages.order.len() <= 2 * 2 + 64 + 1);
        assert_eq!(pages.bytes, page(100).cost("/same") + page(0).cost("/warm"));
    }

    #[test]
    fn a_page_larger_than_the_cache_or_a_cache_of_zero_keeps_nothing() {
        let cache = cache(1_000);
        cache.put("/big".into(), page(5_000), None, cache.generation());
        assert!(cache.get("/big").is_none());
        let off = PageCache::new(0);
        off.put("/".into(), page(10), Some(None), off.generation());
        assert!(off.get("/").is_none());
        assert!(!off.needs_schedule());
    }

    #[test]
    fn a_page_rendered_while_a_change_emptied_the_cache_is_not_kept() {
        let cache = cache(100_000);
        let ticket = cache.generation();
        // A write commits and empties the cache while the page is being rendered.
        cache.clear();
        cache.put("/article".into(), page(100), Some(None), ticket);
        assert!(
            cache.get("/article").is_none(),
            "may show what was there before"
        );
        // Rendered after the change: kept.
        cache.put("/article".into(), page(100), Some(None), cache.generation());
        assert!(cache.get("/article").is_some());
        // A scheduled post falling due empties the cache too, in a new generation.
        let before = cache.generation();
        cache.lock().next_publication = Some(crate::clock::now());
        assert!(cache.get("/article").is_none());
        assert_ne!(cache.generation(), before);
    }
}
