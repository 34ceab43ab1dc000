//! One database layer over two backends. The backend is picked at run time from the
//! database URL; every query is written once against [`DbConnection`].

pub mod dialect;
pub mod migrations;
pub mod schema;

use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::query_dsl::LoadQuery;
use diesel::r2d2::{self, R2D2Connection};

use crate::error::AppError;

/// A connection to whichever backend the configuration chose.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Postgresql(PgConnection),
}

pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// Where the data lives, parsed from `FOLIO_DATABASE_URL` (or the default file path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    /// `sqlite://PATH`, `sqlite:PATH` or a plain path select SQLite; `postgres://` and
    /// `postgresql://` select PostgreSQL; any other scheme is refused.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("the database URL is empty".into());
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_owned()));
        }
        let path = if let Some(rest) = raw.strip_prefix("sqlite://") {
            rest
        } else if let Some(rest) = raw.strip_prefix("sqlite:") {
            rest
        } else if let Some((scheme, _)) = raw.split_once("://") {
            return Err(format!(
                "unsupported database URL scheme `{scheme}`: use sqlite://PATH, a file path, or postgres://USER@HOST/DB"
            ));
        } else {
            raw
        };
        if path.is_empty() {
            return Err("the SQLite database URL has no file path".into());
        }
        if path == ":memory:" {
            return Err("an in-memory SQLite database would lose everything on restart (and differ per pooled connection): give a file path".into());
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// The URL for logs: the PostgreSQL password is masked.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(raw) => match url::Url::parse(raw) {
                Ok(mut parsed) if parsed.password().is_some() => {
                    let _ = parsed.set_password(Some("***"));
                    parsed.to_string()
                }
                _ => raw.clone(),
            },
        }
    }
}

/// r2d2 manager that opens the backend named by the URL (diesel's derived `establish`
/// would try each backend in turn, and SQLite accepts any string).
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
    health: Arc<Health>,
}

/// How long a SQLite writer waits for the lock before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self::with_connect_timeout(url, DEFAULT_CONNECT_TIMEOUT)
    }

    /// A manager whose PostgreSQL connections give up on an unanswering server after
    /// `connect_timeout` (libpq's `connect_timeout`, unless the URL sets its own).
    pub fn with_connect_timeout(url: DatabaseUrl, connect_timeout: Duration) -> Self {
        let url = match url {
            DatabaseUrl::Postgres(raw) => {
                DatabaseUrl::Postgres(with_libpq_connect_timeout(&raw, connect_timeout))
            }
            sqlite => sqlite,
        };
        Self {
            url,
            health: Arc::new(Health::default()),
        }
    }

    pub fn establish(&self) -> ConnectionResult<DbConnection> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                refuse_read_only(&mut conn)?;
                // Per-connection settings: SQLite forgets them when the connection closes.
                // (WAL is a property of the file, switched on once in `build_pool`.)
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS};
                     PRAGMA synchronous = NORMAL;
                     PRAGMA foreign_keys = ON;"
                ))
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => {
                let mut conn = PgConnection::establish(url)?;
                conn.batch_execute("SET TIME ZONE 'UTC'")
                    .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Postgresql(conn))
            }
        }
    }
}

/// Fails when SQLite opened the file read-only. SQLite silently falls back to read-only
/// when it can't open the file for writing (a read-only file or file system), and such a
/// connection stays read-only after the file is writable again: kept in the pool, it
/// would refuse every write after the outage. A statement that writes to a table (and
/// deletes nothing) needs the write lock, which a read-only connection refuses at once
/// ("attempt to write a readonly database"; `BEGIN IMMEDIATE` alone would not tell, as it
/// quietly begins a read on such a connection). With no busy timeout set yet, a lock held
/// by another writer answers "locked" at once, which means the file is writable; a file
/// without the table yet (before the first migration) was just created, so writable too.
fn refuse_read_only(conn: &mut SqliteConnection) -> ConnectionResult<()> {
    conn.batch_execute("BEGIN")
        .map_err(ConnectionError::CouldntSetupConfiguration)?;
    let probe = conn.batch_execute("DELETE FROM site_changes WHERE 0");
    conn.batch_execute("ROLLBACK")
        .map_err(ConnectionError::CouldntSetupConfiguration)?;
    match probe {
        Err(e) if e.to_string().contains("readonly") => Err(ConnectionError::BadConnection(
            format!("the database file can't be written ({e})"),
        )),
        _ => Ok(()),
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        let connected = self.establish();
        self.health.connected(connected.is_ok());
        connected.map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

/// How long a request waits for a connection by default (`FOLIO_DB_CONNECT_TIMEOUT`).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// While connecting fails, how often one request may try again (and wait up to the
/// connect timeout); every other request in between fails at once.
const RETRY_EVERY: Duration = Duration::from_secs(1);

/// `url` with libpq's `connect_timeout` (whole seconds; libpq treats 1 as 2) added when it
/// has none, so a connection to a host that doesn't answer gives up instead of waiting for
/// the operating system's TCP timeout (minutes).
fn with_libpq_connect_timeout(raw: &str, timeout: Duration) -> String {
    let Ok(mut parsed) = url::Url::parse(raw) else {
        return raw.to_owned();
    };
    if parsed
        .query_pairs()
        .any(|(key, _)| key == "connect_timeout")
    {
        return raw.to_owned();
    }
    let seconds = timeout.as_secs().max(2).to_string();
    parsed
        .query_pairs_mut()
        .append_pair("connect_timeout", &seconds);
    parsed.to_string()
}

/// Whether the database could be reached the last time a connection was opened, shared by
/// the pool's manager (which opens connections) and [`DbPool::get`] (which fails fast
/// while connecting fails).
#[derive(Debug)]
struct Health {
    /// The last attempt to open a connection failed.
    failing: AtomicBool,
    /// Milliseconds after `epoch` when a request last went ahead to try again.
    last_try_ms: AtomicU64,
    epoch: Instant,
}

impl Default for Health {
    fn default() -> Self {
        Self {
            failing: AtomicBool::new(false),
            last_try_ms: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }
}

impl Health {
    fn connected(&self, ok: bool) {
        if !ok {
            // The next try is due a `RETRY_EVERY` after this failure, not at once.
            self.last_try_ms.store(self.now_ms(), Ordering::Relaxed);
        }
        let was_failing = self.failing.swap(!ok, Ordering::Relaxed);
        if was_failing && ok {
            tracing::info!("the database can be reached again");
        } else if !was_failing && !ok {
            tracing::warn!(
                "cannot connect to the database: requests fail at once until it is back"
            );
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// While connecting fails: whether this request may try (one a `RETRY_EVERY`).
    fn may_try(&self) -> bool {
        if !self.failing.load(Ordering::Relaxed) {
            return true;
        }
        let now = self.now_ms();
        let last = self.last_try_ms.load(Ordering::Relaxed);
        let every = u64::try_from(RETRY_EVERY.as_millis()).unwrap_or(u64::MAX);
        now.saturating_sub(last) >= every
            && self
                .last_try_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

/// The connection pool, with the connect timeout and fail-fast of `FOLIO_DB_CONNECT_TIMEOUT`.
/// Dereferences to the r2d2 pool for its state; take connections with [`DbPool::get`].
#[derive(Clone)]
pub struct DbPool {
    inner: r2d2::Pool<ConnectionManager>,
    health: Arc<Health>,
    connect_timeout: Duration,
}

impl Deref for DbPool {
    type Target = r2d2::Pool<ConnectionManager>;

    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl DbPool {
    /// A connection, waiting at most the connect timeout. While the database can't be
    /// reached (the last attempt to connect failed), fails at once with
    /// [`AppError::DatabaseUnreachable`], except for one request a second that tries again.
    pub fn get(&self) -> Result<PooledConnection, AppError> {
        self.get_timeout(self.connect_timeout)
    }

    /// [`DbPool::get`] waiting at most `timeout`.
    pub fn get_timeout(&self, timeout: Duration) -> Result<PooledConnection, AppError> {
        if !self.health.may_try() {
            // An idle connection that still works is fine to use; no waiting for a new one.
            return self.inner.try_get().ok_or_else(|| {
                crate::metrics::pool_timeout();
                AppError::DatabaseUnreachable
            });
        }
        Ok(self.inner.get_timeout(timeout)?)
    }

    /// Whether the last attempt to open a connection failed.
    pub fn is_failing(&self) -> bool {
        self.health.failing.load(Ordering::Relaxed)
    }

    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }
}

/// Opens the pool. For SQLite, creates the file's directory and switches the file to WAL
/// once, before concurrent connections would race for the lock that switch needs.
pub fn build_pool(url: &DatabaseUrl, max_size: u32) -> Result<DbPool, String> {
    build_pool_with(url, max_size, DEFAULT_CONNECT_TIMEOUT)
}

/// [`build_pool`] with a request's longest wait for a connection (`FOLIO_DB_CONNECT_TIMEOUT`).
pub fn build_pool_with(
    url: &DatabaseUrl,
    max_size: u32,
    connect_timeout: Duration,
) -> Result<DbPool, String> {
    let manager = ConnectionManager::with_connect_timeout(url.clone(), connect_timeout);
    let health = Arc::clone(&manager.health);
    if let DatabaseUrl::Sqlite(path) = url {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                format!(
                    "cannot create the database directory {}: {e}",
                    dir.display()
                )
            })?;
        }
        let mut conn = manager
            .establish()
            .map_err(|e| format!("cannot open the database {}: {e}", path.display()))?;
        conn.batch_execute("PRAGMA journal_mode = WAL")
            .map_err(|e| format!("cannot switch {} to WAL mode: {e}", path.display()))?;
    }
    let inner = r2d2::Pool::builder()
        .max_size(max_size)
        // Open connections on demand: start-up stays fast and idle nodes hold few.
        .min_idle(Some(1))
        .connection_timeout(connect_timeout)
        // r2d2 runs `SELECT 1` on every checkout by default. A SQLite connection is a file
        // handle in this process: nothing outside can close it, so that test is pure cost
        // on every request (`has_broken` still drops one left in a failed transaction).
        // A PostgreSQL connection can die with its server (restart, idle timeout), and
        // `has_broken` can't see that, so there the test stays: one round trip per
        // checkout buys never handing a request a dead connection.
        .test_on_check_out(matches!(url, DatabaseUrl::Postgres(_)))
        .event_handler(Box::new(PoolMetrics))
        .build(manager)
        .map_err(|e| format!("cannot connect to the database {}: {e}", url.redacted()))?;
    Ok(DbPool {
        inner,
        health,
        connect_timeout,
    })
}

/// Counts every checkout's wait and every timeout, wherever `pool.get()` is called.
#[derive(Debug)]
struct PoolMetrics;

impl r2d2::HandleEvent for PoolMetrics {
    fn handle_checkout(&self, event: r2d2::event::CheckoutEvent) {
        crate::metrics::pool_checkout(event.duration());
    }

    fn handle_timeout(&self, _event: r2d2::event::TimeoutEvent) {
        crate::metrics::pool_timeout();
    }
}

/// A case-insensitive `LIKE` pattern for "contains `text`" (compare with `lower(column)`
/// and `.escape('\\')`): `%` and `_` typed by a user match only themselves.
pub fn contains_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

diesel::define_sql_function!(
    /// SQL `lower()`: case-insensitive matching that behaves the same on both backends.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text
);

/// Runs `f` on a pooled connection on the blocking thread pool, never on an async worker.
pub async fn run<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await?
}

/// The rows of `query`, run on the backend's own connection rather than through the
/// [`DbConnection`] enum: diesel keeps a statement built without `into_boxed` or
/// `eq_any` prepared and finds it again by its type alone, while through the enum it
/// writes the statement's SQL out again on every execution (~50,000 instructions a
/// query, measured with callgrind: more than SQLite spends running it). For the queries
/// of the hottest pages.
pub fn load_rows<'query, Q, U>(conn: &mut DbConnection, query: Q) -> QueryResult<Vec<U>>
where
    Q: LoadQuery<'query, SqliteConnection, U> + LoadQuery<'query, PgConnection, U> + 'query,
{
    match conn {
        DbConnection::Sqlite(inner) => query.load(inner),
        DbConnection::Postgresql(inner) => query.load(inner),
    }
}

/// The first row of `query` (which orders its rows), as `.first(conn).optional()` would
/// give it, on the backend's own connection (see [`load_rows`]) and without binding a
/// `LIMIT` on SQLite.
///
/// SQLite (3.5x, bundled) reads a bound `LIMIT ?` while planning and marks the prepared
/// statement to be compiled again whenever that parameter is bound again: diesel binds
/// the limit of `.first()` on every execution, so every such statement was re-prepared on
/// every request (~150,000 instructions each, measured with callgrind), its cached plan
/// wasted. SQLite steps rows on demand, so reading one row of the unlimited statement and
/// dropping it costs what `LIMIT 1` costs. PostgreSQL sends every row of a result at once,
/// so there the query keeps its `LIMIT 1`.
pub fn first_row<'query, Q, U>(conn: &mut DbConnection, query: Q) -> QueryResult<Option<U>>
where
    Q: diesel::query_dsl::methods::LimitDsl
        + LoadQuery<'query, SqliteConnection, U>
        + RunQueryDsl<PgConnection>
        + 'query,
    diesel::dsl::Limit<Q>: LoadQuery<'query, PgConnection, U>,
    U: 'query,
{
    match conn {
        DbConnection::Sqlite(inner) => query
            .load_iter::<U, diesel::connection::DefaultLoadingMode>(inner)?
            .next()
            .transpose(),
        DbConnection::Postgresql(inner) => query.first(inner).optional(),
    }
}

/// A transaction that is about to write. On SQLite it starts with `BEGIN IMMEDIATE`, so
/// it takes the write lock up front and waits for it (busy_timeout) instead of failing
/// with "database is locked" when a read would later have to be upgraded to a write.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConnection::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
        }
        DbConnection::Postgresql(inner) => AnsiTransactionManager::begin_transaction(inner)?,
    }
    match f(conn) {
        Ok(value) => {
            <DbConnection as TransactionManager<DbConnection>>::commit_transaction(conn)?;
            Ok(value)
        }
        Err(err) => {
            // The original error matters more than a failed rollback; a broken
            // connection is detected and discarded by the pool.
            let _ = <DbConnection as TransactionManager<DbConnection>>::rollback_transaction(conn);
            Err(err)
        }
    }
}

/// Whether the database answers, holds our schema and takes writes (for `/readyz`).
///
/// The write is real and committed: the change counter is raised and lowered again in
/// one transaction. A transaction rolled back would prove nothing on SQLite, which writes
/// to its file (the WAL) only at commit, so a full disk or a read-only file would pass;
/// nor would setting the counter to its own value, which SQLite notices and skips. Other
/// nodes polling the counter (`freshness`) never see the raised value, and no trigger
/// watches that table.
pub fn check_ready(conn: &mut DbConnection) -> QueryResult<()> {
    use diesel::dsl::count_star;
    use schema::site_changes;
    schema::settings::table
        .select(count_star())
        .first::<i64>(conn)
        .map(|_| ())?;
    write_transaction(conn, |conn| {
        let row = site_changes::table.filter(site_changes::id.eq(1));
        diesel::update(row)
            .set(site_changes::counter.eq(site_changes::counter + 1))
            .execute(conn)?;
        diesel::update(row)
            .set(site_changes::counter.eq(site_changes::counter - 1))
            .execute(conn)
            .map(|_| ())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_and_sqlite_urls_select_sqlite() {
        assert_eq!(
            DatabaseUrl::parse("folio-data/folio.db"),
            Ok(DatabaseUrl::Sqlite("folio-data/folio.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://site.db"),
            Ok(DatabaseUrl::Sqlite("site.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/folio/folio.db"),
            Ok(DatabaseUrl::Sqlite("/var/lib/folio/folio.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:rel.db"),
            Ok(DatabaseUrl::Sqlite("rel.db".into()))
        );
    }

    #[test]
    fn postgres_urls_select_postgres() {
        for url in ["postgres://u@localhost/db", "postgresql://localhost/db"] {
            assert_eq!(
                DatabaseUrl::parse(url),
                Ok(DatabaseUrl::Postgres(url.into()))
            );
        }
    }

    #[test]
    fn unknown_schemes_and_empty_urls_are_refused() {
        let err = DatabaseUrl::parse("mysql://localhost/db").unwrap_err();
        assert!(err.contains("`mysql`"), "{err}");
        assert!(DatabaseUrl::parse("  ").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
        assert!(DatabaseUrl::parse("sqlite://:memory:").is_err());
    }

    #[test]
    fn redacted_url_hides_the_password() {
        let url = DatabaseUrl::parse("postgres://folio:s3cret@db.example/folio").unwrap();
        let shown = url.redacted();
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("folio@db.example") || shown.contains("folio:***@"));
    }

    #[test]
    fn postgres_urls_get_libpq_connect_timeout_unless_they_set_one() {
        let secs = |s| Duration::from_secs(s);
        assert_eq!(
            with_libpq_connect_timeout("postgres://u@db/folio", secs(5)),
            "postgres://u@db/folio?connect_timeout=5"
        );
        assert_eq!(
            with_libpq_connect_timeout("postgres://u@db/folio?sslmode=require", secs(2)),
            "postgres://u@db/folio?sslmode=require&connect_timeout=2"
        );
        // libpq treats 1 as 2: say what it does.
        assert!(with_libpq_connect_timeout("postgres://db/f", secs(1)).ends_with("=2"));
        let own = "postgres://db/f?connect_timeout=30";
        assert_eq!(with_libpq_connect_timeout(own, secs(2)), own);
    }

    #[test]
    fn after_a_failed_connect_requests_fail_fast_until_one_succeeds() {
        let health = Health::default();
        assert!(health.may_try(), "healthy: everyone connects");
        health.connected(false);
        assert!(!health.may_try(), "just failed: no one waits");
        health.connected(true);
        assert!(health.may_try(), "back: everyone connects");
    }
}
