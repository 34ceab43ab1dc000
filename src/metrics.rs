//! The process's metrics, served as `GET /metrics` in the Prometheus text format (version
//! 0.0.4) by `routes::metrics`. One registry per process (prometheus-client): the request
//! layer, the pool's event handler and the page cache count into it as things happen; the
//! gauges that describe a state (pool connections, cache bytes, jobs, uptime) are read
//! when scraped ([`Snapshot`]).
//!
//! Labels come from bounded sets only: a route *pattern* (never the path), a method from a
//! fixed list, a status code. Nothing here reads the database or the configuration: the
//! callers hand over plain numbers, so every layer may count into it.

use std::borrow::Cow;
use std::sync::atomic::AtomicU64;
use std::sync::{LazyLock, OnceLock};
use std::time::{Duration, Instant};

use actix_web::http::Method;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

pub use prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// The route label of a request no route matched (a 404 for an unknown path).
pub const UNMATCHED: &str = "unmatched";
/// The route label of a request answered from the page cache before routing (see
/// `middleware::http_cache`): which route would have rendered it is not looked up there.
pub const PAGE_CACHE: &str = "page_cache";

/// Request latency buckets, in seconds: 50 µs to 10 s, dense where Folio's pages fall
/// (0.1–50 ms).
const LATENCY_BUCKETS: [f64; 16] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 10.0,
];
/// How long taking a connection from the pool took, in seconds: nearly always well under a
/// millisecond; seconds mean the pool was exhausted or the database unreachable.
const CHECKOUT_BUCKETS: [f64; 11] = [
    0.000_1, 0.000_5, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: Cow<'static, str>,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: Cow<'static, str>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
    backend: &'static str,
}

type HistogramFamily<S> = Family<S, Histogram, fn() -> Histogram>;

struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily<RouteLabels>,
    pool_connections: Family<StateLabels, Gauge>,
    pool_max: Gauge,
    pool_checkout: Histogram,
    pool_timeouts: Counter,
    cache_hits: Counter,
    cache_misses: Counter,
    cache_bytes: Gauge,
    cache_entries: Gauge,
    cache_max_bytes: Gauge,
    jobs: Family<StateLabels, Gauge>,
    build: Family<BuildLabels, Gauge>,
    uptime: Gauge<f64, AtomicU64>,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);
static STARTED: OnceLock<Instant> = OnceLock::new();

impl Metrics {
    fn new() -> Self {
        let latency: HistogramFamily<RouteLabels> =
            Family::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS));
        let pool_checkout = Histogram::new(CHECKOUT_BUCKETS);
        let metrics = Self {
            registry: Registry::with_prefix("folio"),
            requests: Family::default(),
            latency,
            pool_connections: Family::default(),
            pool_max: Gauge::default(),
            pool_checkout,
            pool_timeouts: Counter::default(),
            cache_hits: Counter::default(),
            cache_misses: Counter::default(),
            cache_bytes: Gauge::default(),
            cache_entries: Gauge::default(),
            cache_max_bytes: Gauge::default(),
            jobs: Family::default(),
            build: Family::default(),
            uptime: Gauge::default(),
        };
        let mut registry = Registry::with_prefix("folio");
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route pattern and status",
            metrics.requests.clone(),
        );
        registry.register_with_unit(
            "http_request_duration",
            "Time from receiving a request to its response being ready, by method and route pattern",
            Unit::Seconds,
            metrics.latency.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database connections open, by state (in_use, idle)",
            metrics.pool_connections.clone(),
        );
        registry.register(
            "db_pool_max_connections",
            "Most database connections the pool opens (FOLIO_DB_POOL_SIZE)",
            metrics.pool_max.clone(),
        );
        registry.register_with_unit(
            "db_pool_checkout_duration",
            "Time taken to get a database connection from the pool (waiting when all are in use)",
            Unit::Seconds,
            metrics.pool_checkout.clone(),
        );
        registry.register(
            "db_pool_timeouts",
            "Requests for a database connection that gave up (pool exhausted or database unreachable)",
            metrics.pool_timeouts.clone(),
        );
        registry.register(
            "page_cache_hits",
            "Public pages answered from this node's page cache",
            metrics.cache_hits.clone(),
        );
        registry.register(
            "page_cache_misses",
            "Public pages not in the page cache (rendered)",
            metrics.cache_misses.clone(),
        );
        registry.register_with_unit(
            "page_cache",
            "Memory the page cache holds (pages, their compressed copies and bookkeeping)",
            Unit::Bytes,
            metrics.cache_bytes.clone(),
        );
        registry.register(
            "page_cache_entries",
            "Entries in the page cache (one per page and query)",
            metrics.cache_entries.clone(),
        );
        registry.register(
            "page_cache_max_bytes",
            "The page cache's bound (FOLIO_PAGE_CACHE_MB; 0: off)",
            metrics.cache_max_bytes.clone(),
        );
        registry.register(
            "jobs",
            "Background jobs, by state (queued, running, failed)",
            metrics.jobs.clone(),
        );
        registry.register(
            "build_info",
            "The running version and the database backend (value 1)",
            metrics.build.clone(),
        );
        registry.register_with_unit(
            "uptime",
            "Time since the server started",
            Unit::Seconds,
            metrics.uptime.clone(),
        );
        Self {
            registry,
            ..metrics
        }
    }
}

/// At start-up of the server: what the build-info and cache-bound gauges say, and the
/// moment uptime counts from.
pub fn started(backend: &'static str, page_cache_max_bytes: usize) {
    let _ = STARTED.set(Instant::now());
    let metrics = &*METRICS;
    metrics
        .build
        .get_or_create(&BuildLabels {
            version: env!("CARGO_PKG_VERSION"),
            backend,
        })
        .set(1);
    metrics
        .cache_max_bytes
        .set(i64::try_from(page_cache_max_bytes).unwrap_or(i64::MAX));
}

/// One answered request. `route` is the matched pattern (e.g. `/tag/{slug}`), [`UNMATCHED`]
/// or [`PAGE_CACHE`], never a raw path.
/// `method` is from [`method_label`].
pub fn request(method: &'static str, route: Cow<'static, str>, status: u16, elapsed: Duration) {
    let metrics = &*METRICS;
    metrics
        .latency
        .get_or_create(&RouteLabels {
            method,
            route: route.clone(),
        })
        .observe(elapsed.as_secs_f64());
    metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            route,
            status,
        })
        .inc();
}

/// The method's label: methods outside the usual ones share one, as the method is the
/// client's choice.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// A public page was answered from the page cache.
pub fn page_cache_hit() {
    METRICS.cache_hits.inc();
}

/// A public page was looked up in the page cache and rendered.
pub fn page_cache_miss() {
    METRICS.cache_misses.inc();
}

/// A connection was taken from the pool after `waited`.
pub fn pool_checkout(waited: Duration) {
    METRICS.pool_checkout.observe(waited.as_secs_f64());
}

/// Getting a connection from the pool timed out.
pub fn pool_timeout() {
    METRICS.pool_timeouts.inc();
}

/// Background jobs by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub queued: i64,
    pub running: i64,
    /// Failed or interrupted: neither will run again by itself.
    pub failed: i64,
}

/// What the gauges describe at the moment of a scrape.
#[derive(Debug, Clone, Copy, Default)]
pub struct Snapshot {
    pub pool_connections: u32,
    pub pool_idle: u32,
    pub pool_max: u32,
    pub page_cache_bytes: u64,
    pub page_cache_entries: u64,
}

/// The whole exposition, in the Prometheus text format ([`CONTENT_TYPE`]).
pub fn render(snapshot: Snapshot, jobs: Option<JobCounts>) -> String {
    let metrics = &*METRICS;
    let in_use = snapshot.pool_connections.saturating_sub(snapshot.pool_idle);
    for (state, value) in [("in_use", in_use), ("idle", snapshot.pool_idle)] {
        metrics
            .pool_connections
            .get_or_create(&StateLabels { state })
            .set(i64::from(value));
    }
    metrics.pool_max.set(i64::from(snapshot.pool_max));
    let to_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    metrics.cache_bytes.set(to_i64(snapshot.page_cache_bytes));
    metrics
        .cache_entries
        .set(to_i64(snapshot.page_cache_entries));
    if let Some(jobs) = jobs {
        for (state, value) in [
            ("queued", jobs.queued),
            ("running", jobs.running),
            ("failed", jobs.failed),
        ] {
            metrics
                .jobs
                .get_or_create(&StateLabels { state })
                .set(value);
        }
    }
    metrics
        .uptime
        .set(STARTED.get().map_or(0.0, |at| at.elapsed().as_secs_f64()));
    let mut text = String::with_capacity(16 * 1024);
    // Writing into a String can't fail.
    let _ = prometheus_client::encoding::prometheus_text::encode(&mut text, &metrics.registry);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_route_pattern_and_status_with_latency_buckets() {
        request(
            method_label(&Method::GET),
            Cow::Borrowed("/unit/{slug}"),
            200,
            Duration::from_micros(700),
        );
        request(
            method_label(&Method::from_bytes(b"BREW").unwrap()),
            Cow::Owned("/unit/{slug}".to_owned()),
            404,
            Duration::from_millis(3),
        );
        let text = render(Snapshot::default(), None);
        assert!(
            text.contains(
                "folio_http_requests_total{method=\"GET\",route=\"/unit/{slug}\",status=\"200\"} 1\n"
            ),
            "{text}"
        );
        assert!(text.contains(
            "folio_http_requests_total{method=\"other\",route=\"/unit/{slug}\",status=\"404\"} 1\n"
        ));
        assert!(text.contains(
            "folio_http_request_duration_seconds_bucket{le=\"0.001\",method=\"GET\",route=\"/unit/{slug}\"} 1\n"
        ) || text.contains(
            "folio_http_request_duration_seconds_bucket{method=\"GET\",route=\"/unit/{slug}\",le=\"0.001\"} 1\n"
        ), "{text}");
        assert!(text.contains("# TYPE folio_http_request_duration_seconds histogram\n"));
    }
}
