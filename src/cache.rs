//! In-process caches. Each node keeps its own; a node's own writes replace its copy at
//! once, and other processes' writes empty it within `freshness::POLL_INTERVAL` (the
//! time-to-live is only a safety net).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use actix_web::http::header::{EntityTag, HeaderValue};
use actix_web::web::Bytes;
use tokio::sync::watch;

use crate::compression::Encoding;

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
/// What an entry costs beyond its key and bodies (the cache's slot, the header values,
/// the hash).
const ENTRY_OVERHEAD_BYTES: usize = 256;
/// How long a request waits for another request's render of the same page before it
/// renders the page itself.
pub const RENDER_WAIT: Duration = Duration::from_secs(5);

/// A rendered public page: the body as rendered and, once a client has asked for them,
/// the same body compressed — each coding compressed once and then served from here.
#[derive(Clone)]
pub struct CachedPage {
    pub content_type: HeaderValue,
    identity: Bytes,
    gzip: Option<Bytes>,
    brotli: Option<Bytes>,
    /// A digest of the rendered body: the identity ETag, and with a suffix each coding's.
    hash: Arc<str>,
    compressible: bool,
    rendered: Instant,
}

impl CachedPage {
    /// A page as rendered, not compressed yet.
    pub fn new(body: Bytes, content_type: HeaderValue) -> Self {
        // The ETag only has to change when the bytes do, the same on every node: a 128-bit
        // non-cryptographic hash does that at a small fraction of SHA-256's cost (which was
        // 44 % of an uncached article's instructions).
        let hash = format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&body));
        Self {
            compressible: content_type
                .to_str()
                .is_ok_and(crate::compression::is_compressible),
            content_type,
            // An exact-size copy: a rendered body may sit in a buffer up to twice its
            // length, which the byte bound would not see.
            identity: Bytes::copy_from_slice(&body),
            gzip: None,
            brotli: None,
            hash: Arc::from(hash),
            rendered: Instant::now(),
        }
    }

    /// The coding this page goes out in to a client that accepts `wanted` best (identity
    /// for a body not worth compressing).
    pub fn encoding_for(&self, wanted: Encoding) -> Encoding {
        if self.compressible {
            wanted
        } else {
            Encoding::Identity
        }
    }

    /// Whether the body depends on `Accept-Encoding` (for `Vary`).
    pub fn varies(&self) -> bool {
        self.compressible
    }

    /// The body in `encoding`, if this copy holds it (identity always).
    pub fn body(&self, encoding: Encoding) -> Option<&Bytes> {
        match encoding {
            Encoding::Identity => Some(&self.identity),
            Encoding::Gzip => self.gzip.as_ref(),
            Encoding::Brotli => self.brotli.as_ref(),
        }
    }

    /// A strong ETag per coding: the same page gzipped is another representation.
    pub fn etag(&self, encoding: Encoding) -> EntityTag {
        EntityTag::new_strong(format!("{}{}", self.hash, encoding.etag_suffix()))
    }

    /// This page also holding its body in `encoding` (compressed now, unless held).
    #[must_use]
    pub fn with(&self, encoding: Encoding) -> Self {
        let mut page = self.clone();
        if self.body(encoding).is_none() {
            let mut compressed = encoding.compress(&self.identity);
            compressed.shrink_to_fit(); // (the same: what is kept is what is weighed)
            let body = Some(Bytes::from(compressed));
            match encoding {
                Encoding::Identity => {}
                Encoding::Gzip => page.gzip = body,
                Encoding::Brotli => page.brotli = body,
            }
        }
        page
    }

    /// What it takes of the cache's byte bound.
    fn cost(&self) -> usize {
        self.identity.len()
            + self.gzip.as_ref().map_or(0, Bytes::len)
            + self.brotli.as_ref().map_or(0, Bytes::len)
            + self.content_type.len()
            + self.hash.len()
            + ENTRY_OVERHEAD_BYTES
    }
}

/// A page's place: the path with the parameters its route reads, in the generation it was
/// rendered in. A clear starts a new generation, so no request after it can find (or wait
/// for) a page rendered before it, even one stored late.
#[derive(Clone, PartialEq, Eq)]
struct PageKey {
    generation: u64,
    path: String,
}

impl Hash for PageKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        KeyRef {
            generation: self.generation,
            path: &self.path,
        }
        .hash(state);
    }
}

/// A [`PageKey`] to look up without allocating.
#[derive(Hash)]
struct KeyRef<'a> {
    generation: u64,
    path: &'a str,
}

impl quick_cache::Equivalent<PageKey> for KeyRef<'_> {
    fn equivalent(&self, key: &PageKey) -> bool {
        self.generation == key.generation && self.path == key.path
    }
}

/// Weighs an entry in bytes: its key and every body it holds, plus bookkeeping.
#[derive(Clone)]
struct Weigher;

impl quick_cache::Weighter<PageKey, Arc<CachedPage>> for Weigher {
    fn weight(&self, key: &PageKey, page: &Arc<CachedPage>) -> u64 {
        u64::try_from(key.path.len() + page.cost()).unwrap_or(u64::MAX)
    }
}

type Pages = quick_cache::sync::Cache<PageKey, Arc<CachedPage>, Weigher>;

/// When the next scheduled post becomes public (None: none scheduled); unknown
/// (`known == false`) right after a clear. On the server's clock, like the posts'
/// publication times (`clock::now`).
#[derive(Default)]
struct Schedule {
    next_publication: Option<chrono::NaiveDateTime>,
    known: bool,
}

/// The page being rendered, for the requests waiting for it.
type Rendering = watch::Receiver<Option<Arc<CachedPage>>>;
type Renders = Arc<std::sync::Mutex<HashMap<PageKey, Rendering>>>;

/// Rendered public pages of this node, in a concurrent cache (quick_cache, CLOCK-Pro
/// eviction) bounded in bytes: keys, every body held and bookkeeping. A bound of 0 turns
/// it off. One render per page at a time: requests for a page being rendered wait for it.
pub struct PageCache {
    pages: Option<Pages>,
    /// Counts the clears: a page rendered while one happened may show what was there
    /// before the change, so it is not kept (see [`PageCache::generation`]).
    generation: AtomicU64,
    /// `schedule.next_publication` in milliseconds since the epoch (`i64::MAX`: none
    /// known), for the check on every lookup without taking the lock.
    due_millis: AtomicI64,
    schedule: std::sync::Mutex<Schedule>,
    renders: Renders,
}

/// What [`PageCache::lookup`] found.
pub enum Lookup {
    /// Cached, or just rendered by the request this one waited for.
    Hit(Arc<CachedPage>),
    /// Not cached and not being rendered: this request renders it, and the others for
    /// the same page wait for it ([`Render::share`]) until the `Render` is dropped.
    Render(Render),
    /// Render it without the others: the cache is off, waiting took longer than
    /// [`RENDER_WAIT`], or the render waited for did not give a page to share. The
    /// generation ticket for [`PageCache::put`].
    Bypass(u64),
}

/// The one render of a page under way; dropping it lets the waiting requests go.
pub struct Render {
    key: PageKey,
    page: watch::Sender<Option<Arc<CachedPage>>>,
    renders: Renders,
}

impl Render {
    /// The generation ticket, taken before the render read anything.
    pub fn generation(&self) -> u64 {
        self.key.generation
    }

    /// Hands the rendered page to the requests waiting for it.
    pub fn share(&self, page: &Arc<CachedPage>) {
        self.page.send_replace(Some(Arc::clone(page)));
    }
}

impl Drop for Render {
    fn drop(&mut self) {
        lock(&self.renders).remove(&self.key);
        // Dropping the sender then wakes every waiter that got no page.
    }
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Nothing is left half-done under these locks: recover from a panicked holder.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl PageCache {
    pub fn new(max_bytes: usize) -> Self {
        let pages = (max_bytes > 0).then(|| {
            // Each shard holds an equal part of the bound and admits pages up to 97 % of
            // its part: shards of at least 4 MB (at most 8), so a large page still fits.
            let shards = (max_bytes / (4 << 20)).clamp(1, 8);
            let options = quick_cache::OptionsBuilder::new()
                .estimated_items_capacity((max_bytes / 8192).max(32))
                .weight_capacity(u64::try_from(max_bytes).unwrap_or(u64::MAX))
                .shards(shards)
                .build();
            match options {
                Ok(options) => Pages::with_options(
                    options,
                    Weigher,
                    quick_cache::DefaultHashBuilder::default(),
                    quick_cache::sync::DefaultLifecycle::default(),
                ),
                // (Only when a required option is missing; both are set above.)
                Err(_) => Pages::with_weighter(32, u64::try_from(max_bytes).unwrap_or(0), Weigher),
            }
        });
        Self {
            pages,
            generation: AtomicU64::new(0),
            due_millis: AtomicI64::new(i64::MAX),
            schedule: std::sync::Mutex::default(),
            renders: Renders::default(),
        }
    }

    /// A fresh copy of the page at `key`, if there is one.
    pub fn get(&self, key: &str) -> Option<Arc<CachedPage>> {
        self.hit(key).map(|(page, _)| page)
    }

    /// A fresh copy of the page at `key` and the generation it was found in (the ticket
    /// for storing it again with another coding).
    pub fn hit(&self, key: &str) -> Option<(Arc<CachedPage>, u64)> {
        let pages = self.pages.as_ref()?;
        self.expire_when_due();
        let generation = self.generation.load(SeqCst);
        let page = pages.get(&KeyRef {
            generation,
            path: key,
        })?;
        (page.rendered.elapsed() < PAGE_TTL).then_some((page, generation))
    }

    /// The page at `key` from the cache, or from the request rendering it right now
    /// (waiting at most [`RENDER_WAIT`]), or the news that this request renders it.
    pub async fn lookup(&self, key: &str) -> Lookup {
        if self.pages.is_none() {
            return Lookup::Bypass(self.generation());
        }
        if let Some(page) = self.get(key) {
            return Lookup::Hit(page);
        }
        let key = PageKey {
            generation: self.generation(),
            path: key.to_owned(),
        };
        let rendering = {
            let mut renders = lock(&self.renders);
            if let Some(rendering) = renders.get(&key) {
                rendering.clone()
            } else {
                let (page, rendering) = watch::channel(None);
                renders.insert(key.clone(), rendering);
                drop(renders);
                let render = Render {
                    key,
                    page,
                    renders: Arc::clone(&self.renders),
                };
                // A render that finished between the first look and now has stored it.
                if let Some(page) = self.get(&render.key.path) {
                    return Lookup::Hit(page);
                }
                return Lookup::Render(render);
            }
        };
        let mut rendering = rendering;
        let waited = actix_web::rt::time::timeout(RENDER_WAIT, rendering.wait_for(Option::is_some));
        match waited.await {
            Ok(Ok(page)) => match page.as_ref() {
                Some(page) => Lookup::Hit(Arc::clone(page)),
                None => Lookup::Bypass(key.generation),
            },
            // Too slow, or the render gave nothing to share (an error, a cookie).
            _ => Lookup::Bypass(key.generation),
        }
    }

    /// Empties the cache when the next scheduled post has become public.
    fn expire_when_due(&self) {
        let now = crate::clock::now();
        if now.and_utc().timestamp_millis() < self.due_millis.load(SeqCst) {
            return;
        }
        let mut schedule = lock(&self.schedule);
        if schedule.next_publication.is_some_and(|due| due <= now) {
            self.reset(&mut schedule);
        }
    }

    /// A new generation with an unknown schedule; the pages go.
    fn reset(&self, schedule: &mut std::sync::MutexGuard<'_, Schedule>) {
        // First the generation, then the pages: a `put` either sees the new generation
        // when it checks again after inserting, or inserted before this clear.
        self.generation.fetch_add(1, SeqCst);
        **schedule = Schedule::default();
        self.due_millis.store(i64::MAX, SeqCst);
        if let Some(pages) = &self.pages {
            pages.clear();
        }
    }

    /// The ticket a render takes before it reads anything: `put` keeps the page only if
    /// no clear happened since, so a page read before a write can't be stored after the
    /// write emptied the cache (and then served stale until it expires).
    pub fn generation(&self) -> u64 {
        self.generation.load(SeqCst)
    }

    /// Whether `put` needs to be told when the next scheduled post falls due.
    pub fn needs_schedule(&self) -> bool {
        self.pages.is_some() && !lock(&self.schedule).known
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
        let Some(pages) = &self.pages else {
            return;
        };
        {
            let mut schedule = lock(&self.schedule);
            if self.generation() != rendered_in {
                return; // a change was made while it was rendered: it may predate it
            }
            if let Some(next) = next_publication {
                // (Beyond what a date can hold is as good as never.)
                let now = crate::clock::now();
                schedule.next_publication = next
                    .and_then(|wait| chrono::TimeDelta::from_std(wait).ok())
                    .and_then(|wait| now.checked_add_signed(wait));
                schedule.known = true;
                self.due_millis.store(
                    schedule
                        .next_publication
                        .map_or(i64::MAX, |due| due.and_utc().timestamp_millis()),
                    SeqCst,
                );
            }
            if !schedule.known {
                return;
            }
        }
        let path = key.clone();
        pages.insert(
            PageKey {
                generation: rendered_in,
                path: key,
            },
            Arc::clone(&page),
        );
        if self.generation() != rendered_in {
            // Cleared meanwhile: under its old key nobody finds it; don't let it take room.
            pages.remove_if(
                &KeyRef {
                    generation: rendered_in,
                    path: &path,
                },
                |kept| Arc::ptr_eq(kept, &page),
            );
        }
    }

    /// Bytes held (as weighed against the bound) and entries, for `/metrics`.
    pub fn usage(&self) -> (u64, u64) {
        self.pages.as_ref().map_or((0, 0), |pages| {
            (
                pages.weight(),
                u64::try_from(pages.len()).unwrap_or(u64::MAX),
            )
        })
    }

    /// After any change made through this node.
    pub fn clear(&self) {
        let mut schedule = lock(&self.schedule);
        self.reset(&mut schedule);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quick_cache::Weighter as _;

    fn page(bytes: usize) -> Arc<CachedPage> {
        Arc::new(CachedPage::new(
            vec![b'x'; bytes].into(),
            HeaderValue::from_static("text/html"),
        ))
    }

    fn weight(cache: &PageCache) -> u64 {
        cache.pages.as_ref().map_or(0, Pages::weight)
    }

    fn cache(max_bytes: usize) -> PageCache {
        let cache = PageCache::new(max_bytes);
        cache.put("/warm".into(), page(0), Some(None), cache.generation()); // learns the schedule
        cache.clear();
        cache.put("/warm".into(), page(0), Some(None), cache.generation());
        cache
    }

    #[test]
    fn pages_are_weighed_in_bytes_and_evicted_within_the_bound() {
        let cache = cache(100_000);
        for i in 0..500 {
            cache.put(format!("/p{i}"), page(1_000), None, cache.generation());
            assert!(weight(&cache) <= 100_000, "{}", weight(&cache));
        }
        let kept = (0..500)
            .filter(|i| cache.get(&format!("/p{i}")).is_some())
            .count();
        assert!(kept > 10 && kept < 100, "{kept} pages of ~1.3 KB in 100 KB");
        let one = page(1_000);
        assert_eq!(
            Weigher.weight(
                &PageKey {
                    generation: 0,
                    path: "/p1".into()
                },
                &one
            ),
            (3 + 1_000 + "text/html".len() + 32 + ENTRY_OVERHEAD_BYTES) as u64
        );
    }

    #[test]
    fn every_body_held_counts_toward_the_bound() {
        let body = "<p>Some words that compress well.</p>\n".repeat(250);
        let plain = CachedPage::new(body.into(), HeaderValue::from_static("text/html"));
        let both = plain.with(Encoding::Brotli).with(Encoding::Gzip);
        let (br, gz) = (
            both.body(Encoding::Brotli).map_or(0, Bytes::len),
            both.body(Encoding::Gzip).map_or(0, Bytes::len),
        );
        assert!(br > 0 && gz > 0 && br < 1_000 && gz < 1_000);
        assert_eq!(both.cost(), plain.cost() + br + gz);
        assert_ne!(both.etag(Encoding::Brotli), both.etag(Encoding::Gzip));
        assert_ne!(both.etag(Encoding::Identity), both.etag(Encoding::Gzip));
        // Not worth compressing: always identity.
        let png = CachedPage::new(vec![0; 100].into(), HeaderValue::from_static("image/png"));
        assert_eq!(png.encoding_for(Encoding::Brotli), Encoding::Identity);
    }

    #[test]
    fn storing_a_key_again_replaces_it() {
        let cache = cache(100_000);
        for _ in 0..1_000 {
            cache.put("/same".into(), page(100), None, cache.generation());
        }
        assert_eq!(cache.pages.as_ref().map(Pages::len), Some(2));
    }

    #[test]
    fn a_page_larger_than_the_cache_or_a_cache_of_zero_keeps_nothing() {
        let cache = cache(1_000);
        cache.put("/big".into(), page(5_000), None, cache.generation());
        assert!(cache.get("/big").is_none());
        assert!(weight(&cache) <= 1_000);
        let off = PageCache::new(0);
        off.put("/".into(), page(10), Some(None), off.generation());
        assert!(off.get("/").is_none());
        assert!(!off.needs_schedule());
    }

    #[test]
    fn a_page_rendered_while_a_change_emptied_the_cache_is_not_kept() {
        let cache = cache(100_000);
        let before = weight(&cache);
        let ticket = cache.generation();
        // A write commits and empties the cache while the page is being rendered.
        cache.clear();
        cache.put("/article".into(), page(100), Some(None), ticket);
        assert!(
            cache.get("/article").is_none(),
            "may show what was there before"
        );
        assert!(weight(&cache) <= before, "and takes no room");
        // Rendered after the change: kept.
        cache.put("/article".into(), page(100), Some(None), cache.generation());
        assert!(cache.get("/article").is_some());
        // A scheduled post falling due empties the cache too, in a new generation.
        let before = cache.generation();
        cache.put(
            "/article".into(),
            page(100),
            Some(Some(Duration::ZERO)),
            cache.generation(),
        );
        assert!(cache.get("/article").is_none());
        assert_ne!(cache.generation(), before);
        assert!(cache.needs_schedule());
    }

    #[tokio::test]
    async fn one_render_per_page_and_the_others_get_its_page() {
        let cache = Arc::new(cache(100_000));
        let Lookup::Render(render) = cache.lookup("/slow").await else {
            panic!("the first request renders");
        };
        let waiters: Vec<_> = (0..10)
            .map(|_| {
                let cache = Arc::clone(&cache);
                tokio::spawn(async move { cache.lookup("/slow").await })
            })
            .collect();
        tokio::task::yield_now().await;
        let rendered = page(100);
        render.share(&rendered);
        cache.put(
            "/slow".into(),
            Arc::clone(&rendered),
            None,
            render.generation(),
        );
        drop(render);
        for waiter in waiters {
            match waiter.await.unwrap() {
                Lookup::Hit(page) => assert!(Arc::ptr_eq(&page, &rendered)),
                _ => panic!("a waiter rendered again"),
            }
        }
    }

    #[tokio::test]
    async fn a_render_that_shares_nothing_lets_the_waiters_render() {
        let cache = Arc::new(cache(100_000));
        let Lookup::Render(render) = cache.lookup("/cookie").await else {
            panic!("the first request renders");
        };
        let waiter = {
            let cache = Arc::clone(&cache);
            tokio::spawn(async move { cache.lookup("/cookie").await })
        };
        tokio::task::yield_now().await;
        drop(render); // e.g. the page set a cookie, or failed
        assert!(matches!(waiter.await.unwrap(), Lookup::Bypass(_)));
        // And the next request leads a render of its own.
        assert!(matches!(cache.lookup("/cookie").await, Lookup::Render(_)));
    }

    #[tokio::test]
    async fn a_clear_starts_new_renders_instead_of_waiting_for_old_ones() {
        let cache = cache(100_000);
        let Lookup::Render(_old) = cache.lookup("/").await else {
            panic!("renders");
        };
        cache.clear();
        assert!(
            matches!(cache.lookup("/").await, Lookup::Render(_)),
            "a request after the write must not get the page read before it"
        );
    }

    #[tokio::test]
    async fn with_the_cache_off_every_request_renders() {
        let off = PageCache::new(0);
        assert!(matches!(off.lookup("/").await, Lookup::Bypass(_)));
        assert!(matches!(off.lookup("/").await, Lookup::Bypass(_)));
    }
}
