//! Start-up: open and migrate the database, load the session key, build the App with its
//! middleware and routes, serve until SIGINT/SIGTERM. The state the handlers share and the
//! opening of the database live in `state`, below everything that uses them.

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::time::Instant;

use actix_session::SessionMiddleware;
use actix_session::config::{CookieContentSecurity, PersistentSession};
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use tracing_actix_web::TracingLogger;

use crate::config::{SESSION_KEY_MIN_BYTES, ServeConfig, SessionPolicy};
use crate::db::DbPool;
use crate::middleware::csrf::csrf;
use crate::middleware::http_cache::{cached_pages, http_cache};
use crate::middleware::security_headers::security_headers;
use crate::middleware::{error_pages::error_pages, request_log::request_log};
use crate::routes;
use crate::state::AppState;
use crate::store::{tokens, users};

/// Largest form or request body we read (uploads stream and get their own limit). Above
/// the editor's 2 MB text limit, so an over-long post comes back as a form message with
/// the text kept, not as a bare 413.
const FORM_LIMIT_BYTES: usize = 8 * 1024 * 1024;
const SESSION_COOKIE: &str = "folio_session";
const SESSION_KEY_FILE: &str = "session.key";

pub async fn serve(config: ServeConfig) -> Result<(), String> {
    let started = Instant::now();
    let (pool, _) = crate::state::open_database_with(
        &config.storage,
        config.db_pool_size,
        config.db_connect_timeout,
    )?;
    let key = session_key(&config)?;
    let media_storage = crate::media::storage::MediaStorage::open(&config.storage.media_dir)
        .map_err(|e| {
            format!(
                "cannot use the media directory {}: {e}",
                config.storage.media_dir.display()
            )
        })?;

    let listener = TcpListener::bind(&config.bind)
        .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
    let local_addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    let base_url = match &config.base_url {
        Some(url) => url.clone(),
        None => default_base_url(local_addr)?,
    };
    let secure_cookie = base_url.scheme() == "https";
    let setup_link = setup_link(&pool, &base_url)?;

    // The caches are empty: they reflect the change counter as it is now.
    let changes = crate::freshness::read_at_start(&pool);
    let state = web::Data::new(AppState {
        pool,
        database: config.storage.database.clone(),
        base_url: base_url.clone(),
        sessions: config.sessions,
        trust_proxy: config.trust_proxy,
        settings: crate::cache::SettingsCache::default(),
        pages: crate::cache::PageCache::new(config.page_cache_bytes),
        changes: crate::cache::ChangesSeen::new(changes),
        media: crate::media::MediaConfig {
            storage: media_storage,
            max_upload_bytes: config.max_upload_bytes,
        },
        jobs: crate::state::Jobs::new(),
        mail: config.mail.clone(),
    });
    crate::metrics::started(
        config.storage.database.backend_name(),
        config.page_cache_bytes,
    );
    let metrics_access = web::Data::new(routes::metrics::MetricsAccess {
        token: config.metrics_token.clone(),
    });
    let watched = state.clone();
    let job_state = state.clone();
    let sessions = config.sessions;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(metrics_access.clone())
            .app_data(web::FormConfig::default().limit(FORM_LIMIT_BYTES))
            .app_data(web::PayloadConfig::default().limit(FORM_LIMIT_BYTES))
            .configure(routes::configure)
            .default_service(web::to(routes::not_found))
            // The last `.wrap` is the outermost layer: requests pass these bottom-up.
            .wrap(from_fn(crate::middleware::keep_typed_text::keep_typed_text))
            .wrap(from_fn(csrf))
            .wrap(session_middleware(key.clone(), secure_cookie, sessions))
            .wrap(from_fn(error_pages))
            .wrap(from_fn(http_cache))
            .wrap(from_fn(security_headers))
            .wrap(from_fn(request_log))
            .wrap(TracingLogger::<crate::telemetry::RequestSpan>::new())
            .wrap(actix_web::middleware::Compress::default())
            .wrap(from_fn(crate::middleware::encoding::negotiate_encoding))
            .wrap(from_fn(cached_pages))
            .wrap(from_fn(crate::middleware::metrics::count_requests))
    })
    .workers(config.workers)
    .shutdown_timeout(config.shutdown_timeout.as_secs())
    .listen(listener)
    .map_err(|e| format!("cannot serve on {local_addr}: {e}"))?
    .run();
    // Learns of other processes' writes; stops with the server.
    let freshness = crate::freshness::spawn(watched);
    // Runs durable jobs; stopped after the server, handing a running job back.
    let runner = crate::jobs::spawn(
        job_state,
        crate::jobs::RunnerSettings {
            lease: config.job_lease,
            poll: std::time::Duration::from_secs(1),
            test_delay: config.test_job_delay,
            test_retry: config.test_job_retry,
        },
    );

    tracing::info!(
        address = %local_addr,
        database = %config.storage.database.redacted(),
        workers = config.workers,
        mail = %config.mail.as_ref().map_or_else(|| "off".to_owned(), crate::config::MailSettings::server),
        startup_ms = started.elapsed().as_millis() as u64,
        "ready"
    );
    // Operators (and the tests) read these lines on standard output.
    let mut out = std::io::stdout().lock();
    if let Some(link) = setup_link {
        let _ = writeln!(out, "Open {link} to create the administrator account");
    }
    let _ = writeln!(
        out,
        "Folio is listening on http://{local_addr} (site: {base_url})"
    );
    drop(out);

    let stopped = server.await;
    runner.stop().await;
    freshness.abort();
    stopped.map_err(|e| format!("the server stopped with an error: {e}"))?;
    tracing::info!("stopped: in-flight requests finished, database pool closed");
    Ok(())
}

/// `http://` + the bound address, with 127.0.0.1 for a wildcard bind so the link works.
fn default_base_url(addr: SocketAddr) -> Result<url::Url, String> {
    let host = match addr {
        SocketAddr::V4(v4) if v4.ip().is_unspecified() => format!("127.0.0.1:{}", v4.port()),
        SocketAddr::V6(v6) if v6.ip().is_unspecified() => format!("[::1]:{}", v6.port()),
        other => other.to_string(),
    };
    url::Url::parse(&format!("http://{host}")).map_err(|e| format!("bad base URL: {e}"))
}

/// While nobody has an account, a fresh one-time setup link.
fn setup_link(pool: &DbPool, base_url: &url::Url) -> Result<Option<String>, String> {
    let mut conn = pool
        .get()
        .map_err(|e| format!("cannot reach the database: {e}"))?;
    let nobody = users::count(&mut conn).map_err(|e| format!("cannot count users: {e}"))? == 0;
    if !nobody {
        return Ok(None);
    }
    let token = tokens::create_setup(&mut conn).map_err(|e| e.detailed())?;
    let mut link = base_url.join("/admin/setup").map_err(|e| e.to_string())?;
    link.query_pairs_mut().append_pair("token", &token);
    Ok(Some(link.to_string()))
}

fn session_middleware(
    key: Key,
    secure: bool,
    policy: SessionPolicy,
) -> SessionMiddleware<CookieSessionStore> {
    // The cookie outlives a browser restart but not the session's lifetime; idle and
    // absolute expiry are enforced from timestamps inside the (encrypted) cookie.
    let lifetime = i64::try_from(policy.lifetime.as_secs()).unwrap_or(i64::MAX);
    let persistent = PersistentSession::default()
        .session_ttl(actix_web::cookie::time::Duration::seconds(lifetime));
    SessionMiddleware::builder(CookieSessionStore::default(), key)
        .session_lifecycle(persistent)
        .cookie_name(SESSION_COOKIE.to_owned())
        .cookie_secure(secure)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .cookie_content_security(CookieContentSecurity::Private)
        .build()
}

/// The configured key, or the one kept in the data directory (generated on first start).
fn session_key(config: &ServeConfig) -> Result<Key, String> {
    let bytes = match &config.session_key {
        Some(bytes) => bytes.clone(),
        None => load_or_create_key_file(&config.storage.data_dir.join(SESSION_KEY_FILE))?,
    };
    Key::try_from(bytes.as_slice()).map_err(|e| format!("unusable session key: {e}"))
}

fn load_or_create_key_file(path: &Path) -> Result<Vec<u8>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            warn_if_readable_by_others(path);
            crate::config::parse_session_key(&text)
                .map_err(|e| format!("the session key in {} {e}", path.display()))
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let mut bytes = vec![0u8; SESSION_KEY_MIN_BYTES];
            getrandom::fill(&mut bytes)
                .map_err(|e| format!("no randomness for the session key: {e}"))?;
            match write_private_file(path, BASE64.encode(&bytes).as_bytes()) {
                Ok(()) => {
                    tracing::info!(path = %path.display(), "generated a new session key");
                    Ok(bytes)
                }
                // Another process sharing the data directory wrote it first: use theirs.
                Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                    load_or_create_key_file(path)
                }
                Err(err) => Err(format!(
                    "cannot write the session key {}: {err}",
                    path.display()
                )),
            }
        }
        Err(err) => Err(format!(
            "cannot read the session key {}: {err}",
            path.display()
        )),
    }
}

/// Writes `path` only if it doesn't exist (`AlreadyExists` otherwise), whole or not at all:
/// the key goes to a temporary file (mode 0600) that is then linked into place, so nodes
/// starting together on one data directory never read a key file still being written.
fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(contents)?;
    file.as_file().sync_all()?;
    file.persist_noclobber(path).map_err(|e| e.error)?;
    Ok(())
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(path = %path.display(), "the session key file is readable by other users; run chmod 600 on it");
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}
