//! Every setting: a command-line flag with a `FOLIO_*` environment variable behind it,
//! parsed by clap and validated once into the structs the rest of the program uses.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::db::DatabaseUrl;
use crate::domain::Role;

#[derive(Debug, Parser)]
#[command(
    name = "folio",
    version,
    about = "Folio: a self-hosted CMS in one binary.",
    long_about = "Folio: a self-hosted CMS in one binary.\n\nWith no subcommand, `folio` runs `folio serve`. Every option can also be set with the environment variable shown beside it."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(flatten)]
    pub serve: ServeArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every subcommand understands.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Directory for the SQLite database, uploaded media and the session key; created if missing.
    #[arg(
        long,
        env = "FOLIO_DATA_DIR",
        default_value = "folio-data",
        global = true
    )]
    pub data_dir: PathBuf,

    /// Database: `sqlite://PATH` or a file path for SQLite, `postgres://USER:PASS@HOST/DB` for
    /// PostgreSQL. Default: `DATA_DIR/folio.db`.
    #[arg(
        long,
        env = "FOLIO_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    pub database_url: Option<String>,

    /// Directory of uploaded media. Every node of a cluster needs the same (shared) one.
    /// Default: `DATA_DIR/media`.
    #[arg(long, env = "FOLIO_MEDIA_DIR", global = true)]
    pub media_dir: Option<PathBuf>,

    /// Log format on standard error: `text` for people, `json` for log collectors.
    #[arg(long, env = "FOLIO_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// Which log lines to keep, as a tracing filter (e.g. `info`, `debug`, `info,folio=debug`).
    #[arg(long, env = "FOLIO_LOG", default_value = "info", global = true)]
    pub log: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Options of the web server.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on (port 0 picks a free one).
    #[arg(long, env = "FOLIO_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// Public URL of the site, used in links, feeds and the setup link (e.g.
    /// `https://blog.example.org`). Default: `http://` + the bound address. An https URL
    /// also marks the session cookie `Secure`.
    #[arg(long, env = "FOLIO_BASE_URL")]
    pub base_url: Option<String>,

    /// Number of HTTP worker threads. Default: one per CPU core.
    #[arg(long, env = "FOLIO_WORKERS")]
    pub workers: Option<usize>,

    /// Maximum number of database connections in the pool.
    #[arg(long, env = "FOLIO_DB_POOL_SIZE", default_value_t = 10)]
    pub db_pool_size: u32,

    /// Seconds a request waits for a database connection (and a new PostgreSQL connection
    /// waits for its server, as libpq's `connect_timeout` unless the URL sets one) before it
    /// fails with 503. While the database is unreachable, requests fail at once instead of
    /// each waiting this long; one request a second tries again.
    #[arg(long, env = "FOLIO_DB_CONNECT_TIMEOUT", default_value_t = 2,
          value_parser = clap::value_parser!(u64).range(1..=300))]
    pub db_connect_timeout: u64,

    /// Key that encrypts and signs session cookies: at least 64 random bytes, base64-encoded
    /// (`openssl rand -base64 64`). Every node of a cluster needs the same key. Default: a key
    /// generated once into `DATA_DIR/session.key` (mode 0600).
    #[arg(long, env = "FOLIO_SESSION_KEY", hide_env_values = true)]
    pub session_key: Option<String>,

    /// Seconds without any request after which a login session ends.
    #[arg(long, env = "FOLIO_SESSION_IDLE_TIMEOUT", default_value_t = 43_200)]
    pub session_idle_timeout: u64,

    /// Seconds after logging in after which a session ends, however active (default 14 days).
    #[arg(long, env = "FOLIO_SESSION_LIFETIME", default_value_t = 1_209_600)]
    pub session_lifetime: u64,

    /// Behind reverse proxies: take the client address (login throttling, audit log) from
    /// `X-Forwarded-For` — the entry the nearest proxy added, or with `--trust-proxy=N` the
    /// one N proxies back — and the public host from `X-Forwarded-Host`/`Forwarded` (CSRF
    /// origin check). Only behind proxies that set these headers: otherwise anyone can
    /// claim any address. `true` or a bare flag is one proxy; `false` or 0, none.
    #[arg(long, env = "FOLIO_TRUST_PROXY", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false",
          value_parser = parse_trust_proxy)]
    pub trust_proxy: TrustProxy,

    /// Largest file that may be uploaded, in megabytes (larger ones are refused with 413).
    #[arg(long, env = "FOLIO_MAX_UPLOAD_MB", default_value_t = 25,
          value_parser = clap::value_parser!(u64).range(1..=10_240))]
    pub max_upload_mb: u64,

    /// Memory for this node's cache of rendered public pages, in megabytes; when full, the
    /// least used pages make room. 0 turns the cache off.
    #[arg(long, env = "FOLIO_PAGE_CACHE_MB", default_value_t = 24,
          value_parser = clap::value_parser!(u64).range(0..=65_536))]
    pub page_cache_mb: u64,

    /// Bearer token that lets clients other than loopback read `/metrics`
    /// (`Authorization: Bearer TOKEN`): at least 16 printable ASCII characters, e.g.
    /// `openssl rand -hex 24`. Unset: `/metrics` answers loopback only (404 elsewhere).
    #[arg(long, env = "FOLIO_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Seconds that in-flight requests get to finish after SIGINT/SIGTERM.
    #[arg(long, env = "FOLIO_SHUTDOWN_TIMEOUT", default_value_t = 30)]
    pub shutdown_timeout: u64,

    /// Seconds without a heartbeat after which a running job (a dashboard import) is taken
    /// to belong to a server that crashed: it is queued again, or, after 3 such attempts,
    /// marked interrupted. Nodes refresh their heartbeat every quarter of this.
    #[arg(long, env = "FOLIO_JOB_LEASE", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(2..=3600))]
    pub job_lease: u64,

    /// For Folio's own tests only: milliseconds a claimed job waits before its work starts
    /// (heartbeats going on), so a test can stop the server while a job runs. No flag,
    /// hidden from --help, refused unless the server binds a loopback address.
    #[arg(skip = std::env::var("FOLIO_TEST_JOB_DELAY_MS").ok())]
    pub test_job_delay_ms: Option<String>,

    /// For Folio's own tests only: a file of milliseconds added to the server's clock, so a
    /// test moves time instead of sleeping (see `clock`). No flag, hidden from --help, and
    /// refused unless the server binds a loopback address.
    #[arg(skip = std::env::var_os("FOLIO_TEST_CLOCK_FILE").map(PathBuf::from))]
    pub test_clock_file: Option<PathBuf>,

    /// For Folio's own tests only: milliseconds before a failed job (a mail the server
    /// refused) is tried again, instead of 5 s doubling up to 5 min. No flag, hidden from
    /// --help, refused unless the server binds a loopback address.
    #[arg(skip = std::env::var("FOLIO_TEST_JOB_RETRY_MS").ok())]
    pub test_job_retry_ms: Option<String>,

    #[command(flatten)]
    pub mail: MailArgs,
}

/// How Folio sends mail (password recovery, invitations, notifications).
#[derive(Debug, Clone, Args)]
pub struct MailArgs {
    /// SMTP server for outgoing mail, as a URL: `smtps://USER:PASS@mail.example.org` (TLS
    /// from the start, port 465), `smtp://USER:PASS@mail.example.org:587?tls=required`
    /// (STARTTLS), or `smtp://127.0.0.1:25` for an unencrypted local relay. Unset: Folio
    /// sends no mail; links are shown to copy.
    #[arg(long, env = "FOLIO_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// Sender of Folio's mail, e.g. `Site Name <site@example.org>`. Needed with
    /// --smtp-url.
    #[arg(long, env = "FOLIO_MAIL_FROM")]
    pub mail_from: Option<String>,
}

// Parsed once at start: the size of the serve variant doesn't matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (the default).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit (the server also does this at start).
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Check the mail settings.
    #[command(subcommand)]
    Mail(MailCommand),
    /// Write the whole site (users, posts and pages with revisions, tags, media, settings,
    /// redirects) to one portable archive that `folio import` loads into either backend.
    Export {
        /// The archive to write (e.g. `site-export.tar.gz`).
        #[arg(long)]
        output: std::path::PathBuf,
        /// Also export password hashes (otherwise imported users set a password with a
        /// reset link).
        #[arg(long)]
        include_credentials: bool,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Load an archive made by `folio export` into an empty database.
    Import {
        /// The archive.
        file: std::path::PathBuf,
        /// Add the archive to a site that has content: users matched by email, tags by
        /// slug; posts whose slug is taken are left out and reported; nothing overwritten.
        #[arg(long)]
        merge: bool,
        /// With --merge: keep the archive's admins as admins (otherwise they become
        /// contributors). Merged accounts always come in disabled and without passwords.
        #[arg(long, requires = "merge")]
        allow_admins: bool,
        /// Largest content.json to read, in megabytes (an archive declaring more is
        /// refused before it is read).
        #[arg(long, env = "FOLIO_IMPORT_MAX_CONTENT_MB",
              default_value_t = DEFAULT_IMPORT_MAX_CONTENT_MB,
              value_parser = clap::value_parser!(u64).range(1..=65_536))]
        max_content_mb: u64,
        /// Largest media file to read, in megabytes (the upload limit of the site).
        #[arg(long, env = "FOLIO_MAX_UPLOAD_MB", default_value_t = 25,
              value_parser = clap::value_parser!(u64).range(1..=10_240))]
        max_upload_mb: u64,
    },
    /// Import a WordPress export (Tools → Export → All content in WordPress): posts, pages,
    /// authors, categories and tags, and with --uploads the media files. Importing the same
    /// file again adds nothing twice.
    ImportWordpress {
        /// The export file (WXR, .xml).
        file: std::path::PathBuf,
        /// The old site's `wp-content/uploads` folder: attachments are copied from it into
        /// the media library (otherwise they stay links to the old site).
        #[arg(long)]
        uploads: Option<std::path::PathBuf>,
        /// Role of the accounts made for WordPress authors (disabled until you enable them).
        #[arg(long, value_parser = parse_role, default_value = "author")]
        author_role: Role,
        /// Largest media file to copy, in megabytes (the upload limit of the site).
        #[arg(long, env = "FOLIO_MAX_UPLOAD_MB", default_value_t = 25,
              value_parser = clap::value_parser!(u64).range(1..=10_240))]
        max_upload_mb: u64,
    },
    /// Write a consistent backup of a running site (SQLite: the database and the media
    /// files, as a .tar.gz laid out like the data directory).
    Backup {
        /// The archive to write (e.g. `folio-backup.tar.gz`).
        #[arg(long)]
        output: std::path::PathBuf,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Fill an empty site with generated authors, tags and published posts (for
    /// benchmarks and demos).
    Seed {
        /// How many posts (about a thousand words each).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        posts: u32,
        /// Add to a database that already has posts.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is prompted for, or read from standard input.
    Create {
        /// Email address; also the login name.
        #[arg(long)]
        email: String,
        /// Name shown on the site and in the admin.
        #[arg(long)]
        name: String,
        /// contributor, author, editor or admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Read the password from the first line of standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List every account.
    List,
    /// Set a new password for an account (ending all of its sessions), or with `--link`
    /// print a one-time link (valid 7 days) that lets its owner choose one.
    ResetPassword {
        /// Email address of the account.
        #[arg(long)]
        email: String,
        /// Read the password from the first line of standard input instead of prompting.
        #[arg(long, conflicts_with = "link")]
        password_stdin: bool,
        /// Print a reset link instead of setting the password here.
        #[arg(long)]
        link: bool,
        /// Public URL of the site, for the link.
        #[arg(long, env = "FOLIO_BASE_URL", default_value = "http://127.0.0.1:8080")]
        base_url: String,
    },
    /// Turn two-factor sign-in off for an account whose owner lost their authenticator
    /// and recovery codes (ending its sessions); they can set it up again under Profile.
    #[command(name = "reset-2fa")]
    ResetTwoFactor {
        /// Email address of the account.
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Send one test message now (not through the queue) and print what the mail server
    /// answered; exits with 1 if it refused or could not be reached.
    Test {
        /// Where to send it.
        #[arg(long)]
        to: String,
        #[command(flatten)]
        mail: MailArgs,
    },
}

fn parse_role(raw: &str) -> Result<Role, String> {
    raw.parse()
}

/// Where the data lives, shared by every subcommand.
#[derive(Debug, Clone)]
pub struct StorageConfig {
    pub data_dir: PathBuf,
    pub database: DatabaseUrl,
    pub media_dir: PathBuf,
}

impl StorageConfig {
    pub fn from_args(global: &GlobalArgs) -> Result<Self, String> {
        let database = match &global.database_url {
            Some(raw) => DatabaseUrl::parse(raw).map_err(|e| format!("FOLIO_DATABASE_URL: {e}"))?,
            None => DatabaseUrl::Sqlite(global.data_dir.join("folio.db")),
        };
        Ok(Self {
            data_dir: global.data_dir.clone(),
            database,
            media_dir: global
                .media_dir
                .clone()
                .unwrap_or_else(|| global.data_dir.join("media")),
        })
    }
}

/// Validated settings of `folio serve`.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub storage: StorageConfig,
    pub bind: String,
    pub base_url: Option<url::Url>,
    pub workers: usize,
    pub db_pool_size: u32,
    /// How long a request waits for a database connection (see `db::PoolOptions`).
    pub db_connect_timeout: Duration,
    pub session_key: Option<Vec<u8>>,
    pub sessions: SessionPolicy,
    pub trust_proxy: TrustProxy,
    pub shutdown_timeout: Duration,
    /// A running job without a heartbeat for this long is recovered by other nodes.
    pub job_lease: Duration,
    /// Tests only: pause of a claimed job before its work (checked: loopback bind).
    pub test_job_delay: Duration,
    pub max_upload_bytes: u64,
    /// Bound of the page cache (0: off).
    pub page_cache_bytes: usize,
    /// Lets other clients than loopback read `/metrics` (None: loopback only).
    pub metrics_token: Option<String>,
    /// Tests only: the file that moves the clock (checked: loopback bind).
    pub test_clock_file: Option<PathBuf>,
    /// Tests only: a fixed wait before a failed job is retried (checked: loopback bind).
    pub test_job_retry: Option<Duration>,
    /// Outgoing mail; None: no mail is sent.
    pub mail: Option<MailSettings>,
}

/// Validated mail settings: the SMTP server and the sender.
#[derive(Clone)]
pub struct MailSettings {
    /// The URL as given (with its password): lettre builds the transport from it.
    pub smtp_url: String,
    pub from: lettre::message::Mailbox,
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field("smtp_url", &redact_url(&self.smtp_url))
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl MailSettings {
    /// Both settings or neither; each checked here, so a typo stops the start with one
    /// line instead of failing the first mail an hour later.
    pub fn from_args(args: &MailArgs) -> Result<Option<Self>, String> {
        let url = args
            .smtp_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty());
        let from = args
            .mail_from
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty());
        let (url, from) = match (url, from) {
            (None, None) => return Ok(None),
            (Some(_), None) => {
                return Err(
                    "FOLIO_MAIL_FROM: set the sender too, e.g. `Site Name <site@example.org>`"
                        .into(),
                );
            }
            (None, Some(_)) => {
                return Err("FOLIO_SMTP_URL: set the mail server too, e.g. `smtps://user:pass@mail.example.org`".into());
            }
            (Some(url), Some(from)) => (url, from),
        };
        let parsed = url::Url::parse(url).map_err(|e| {
            format!(
                "FOLIO_SMTP_URL: not a URL ({e}); expected e.g. smtps://user:pass@mail.example.org"
            )
        })?;
        if !matches!(parsed.scheme(), "smtp" | "smtps") {
            return Err(format!(
                "FOLIO_SMTP_URL: `{}` must start with smtp:// or smtps://",
                redact_url(url)
            ));
        }
        lettre::SmtpTransport::from_url(url)
            .map_err(|e| format!("FOLIO_SMTP_URL: `{}`: {e}", redact_url(url)))?;
        let from = from.parse::<lettre::message::Mailbox>().map_err(|e| {
            format!("FOLIO_MAIL_FROM: `{from}` is not an address ({e}); expected e.g. `Site Name <site@example.org>`")
        })?;
        Ok(Some(Self {
            smtp_url: url.to_owned(),
            from,
        }))
    }

    /// The server's URL without its password, for logs and pages.
    pub fn server(&self) -> String {
        redact_url(&self.smtp_url)
    }
}

/// A URL with its password replaced by `***`.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) => {
            if url.password().is_some() {
                let _ = url.set_password(Some("***"));
            }
            url.to_string()
        }
        Err(_) => "(not a URL)".into(),
    }
}

/// How long a login lasts.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// Ends after this long without a request.
    pub idle_timeout: Duration,
    /// Ends this long after login, whatever happens.
    pub lifetime: Duration,
}

/// How many reverse proxies in front of Folio may be believed about the client (0: none,
/// the peer address is the client).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrustProxy(u8);

impl TrustProxy {
    pub const MAX_HOPS: u8 = 10;

    pub fn hops(self) -> u8 {
        self.0
    }

    pub fn is_on(self) -> bool {
        self.0 > 0
    }
}

/// `true`/`yes`/`on` (one proxy), `false`/`no`/`off`/empty (none), or a number of proxies.
pub fn parse_trust_proxy(raw: &str) -> Result<TrustProxy, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" => Ok(TrustProxy(1)),
        "" | "false" | "no" | "off" => Ok(TrustProxy(0)),
        number => number
            .parse::<u8>()
            .ok()
            .filter(|hops| *hops <= TrustProxy::MAX_HOPS)
            .map(TrustProxy)
            .ok_or_else(|| {
                format!(
                    "`{raw}` is neither true/false nor a number of proxies (0–{})",
                    TrustProxy::MAX_HOPS
                )
            }),
    }
}

/// The shortest `FOLIO_METRICS_TOKEN` accepted.
pub const METRICS_TOKEN_MIN_CHARS: usize = 16;

/// A bearer token as a client sends it (printable ASCII, no spaces), long enough not to be
/// guessed; empty is the same as unset.
pub fn parse_metrics_token(raw: &str) -> Result<Option<String>, String> {
    let token = raw.trim();
    if token.is_empty() {
        return Ok(None);
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("use printable ASCII characters without spaces".into());
    }
    if token.len() < METRICS_TOKEN_MIN_CHARS {
        return Err(format!(
            "too short: at least {METRICS_TOKEN_MIN_CHARS} characters (e.g. `openssl rand -hex 24`)"
        ));
    }
    Ok(Some(token.to_owned()))
}

/// actix-web's cookie key needs at least this much key material.
pub const SESSION_KEY_MIN_BYTES: usize = 64;

/// The default of `folio import --max-content-mb`: room for tens of thousands of long posts
/// with their revisions; an archive that declares more is refused before it is read.
pub const DEFAULT_IMPORT_MAX_CONTENT_MB: u64 = 512;

impl ServeConfig {
    pub fn from_args(global: &GlobalArgs, serve: &ServeArgs) -> Result<Self, String> {
        let storage = StorageConfig::from_args(global)?;
        if serve.bind.trim().is_empty() {
            return Err("FOLIO_BIND: give an address such as 127.0.0.1:8080".into());
        }
        let base_url = serve
            .base_url
            .as_deref()
            .map(parse_base_url)
            .transpose()
            .map_err(|e| format!("FOLIO_BASE_URL: {e}"))?;
        let workers = match serve.workers {
            Some(0) => return Err("FOLIO_WORKERS: must be at least 1".into()),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, usize::from),
        };
        if serve.db_pool_size == 0 {
            return Err("FOLIO_DB_POOL_SIZE: must be at least 1".into());
        }
        let session_key = serve
            .session_key
            .as_deref()
            .map(parse_session_key)
            .transpose()
            .map_err(|e| format!("FOLIO_SESSION_KEY: {e}"))?;
        if serve.session_idle_timeout == 0 {
            return Err("FOLIO_SESSION_IDLE_TIMEOUT: must be at least 1 second".into());
        }
        if serve.session_lifetime == 0 {
            return Err("FOLIO_SESSION_LIFETIME: must be at least 1 second".into());
        }
        if serve.test_clock_file.is_some() && !binds_loopback(&serve.bind) {
            return Err(
                "FOLIO_TEST_CLOCK_FILE is for tests only: refused unless FOLIO_BIND is a loopback address (127.0.0.1 or [::1])"
                    .into(),
            );
        }
        let test_job_delay = match serve.test_job_delay_ms.as_deref() {
            None => Duration::ZERO,
            Some(_) if !binds_loopback(&serve.bind) => {
                return Err("FOLIO_TEST_JOB_DELAY_MS is for tests only: refused unless FOLIO_BIND is a loopback address (127.0.0.1 or [::1])".into());
            }
            Some(ms) => Duration::from_millis(
                ms.trim()
                    .parse()
                    .map_err(|_| "FOLIO_TEST_JOB_DELAY_MS: a number of milliseconds".to_owned())?,
            ),
        };
        let test_job_retry = match serve.test_job_retry_ms.as_deref() {
            None => None,
            Some(_) if !binds_loopback(&serve.bind) => {
                return Err("FOLIO_TEST_JOB_RETRY_MS is for tests only: refused unless FOLIO_BIND is a loopback address (127.0.0.1 or [::1])".into());
            }
            Some(ms) => Some(Duration::from_millis(ms.trim().parse().map_err(|_| {
                "FOLIO_TEST_JOB_RETRY_MS: a number of milliseconds".to_owned()
            })?)),
        };
        let mail = MailSettings::from_args(&serve.mail)?;
        Ok(Self {
            storage,
            bind: serve.bind.trim().to_owned(),
            base_url,
            workers,
            db_pool_size: serve.db_pool_size,
            db_connect_timeout: Duration::from_secs(serve.db_connect_timeout),
            session_key,
            sessions: SessionPolicy {
                idle_timeout: Duration::from_secs(serve.session_idle_timeout),
                lifetime: Duration::from_secs(serve.session_lifetime),
            },
            trust_proxy: serve.trust_proxy,
            shutdown_timeout: Duration::from_secs(serve.shutdown_timeout),
            job_lease: Duration::from_secs(serve.job_lease),
            test_job_delay,
            max_upload_bytes: serve.max_upload_mb * 1024 * 1024,
            page_cache_bytes: usize::try_from(serve.page_cache_mb * 1024 * 1024)
                .map_err(|_| "FOLIO_PAGE_CACHE_MB: too large for this machine".to_owned())?,
            metrics_token: serve
                .metrics_token
                .as_deref()
                .map(parse_metrics_token)
                .transpose()
                .map_err(|e| format!("FOLIO_METRICS_TOKEN: {e}"))?
                .flatten(),
            test_clock_file: serve.test_clock_file.clone(),
            test_job_retry,
            mail,
        })
    }
}

/// Whether `bind` is an IP address on the loopback interface (a host name is not).
fn binds_loopback(bind: &str) -> bool {
    bind.trim()
        .parse::<std::net::SocketAddr>()
        .is_ok_and(|address| address.ip().is_loopback())
}

/// An absolute http(s) URL without query or fragment; a trailing slash is dropped so
/// paths can be appended.
pub fn parse_base_url(raw: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(raw.trim()).map_err(|e| {
        format!("`{raw}` is not a URL ({e}); expected e.g. https://blog.example.org")
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("`{raw}` must start with http:// or https://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("`{raw}` has no host name"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("`{raw}` must not have a query string or fragment"));
    }
    Ok(url)
}

pub fn parse_session_key(raw: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(raw.trim())
        .map_err(|_| {
            "is not valid base64; generate one with `openssl rand -base64 64`".to_owned()
        })?;
    if bytes.len() < SESSION_KEY_MIN_BYTES {
        return Err(format!(
            "has {} bytes; at least {SESSION_KEY_MIN_BYTES} are needed (`openssl rand -base64 64`)",
            bytes.len()
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn base_url_must_be_absolute_http() {
        assert!(parse_base_url("https://blog.example.org").is_ok());
        assert!(parse_base_url("http://127.0.0.1:8080/").is_ok());
        assert!(parse_base_url("blog.example.org").is_err());
        assert!(parse_base_url("ftp://example.org").is_err());
        assert!(parse_base_url("https://example.org/?x=1").is_err());
    }

    #[test]
    fn session_key_needs_64_bytes_of_base64() {
        use base64::Engine;
        let good = base64::engine::general_purpose::STANDARD.encode([7u8; 64]);
        assert_eq!(parse_session_key(&good).unwrap().len(), 64);
        let short = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert!(parse_session_key(&short).unwrap_err().contains("32 bytes"));
        assert!(parse_session_key("not base64!").is_err());
    }

    #[test]
    fn metrics_tokens_are_long_printable_or_unset() {
        assert_eq!(parse_metrics_token("  "), Ok(None));
        assert_eq!(
            parse_metrics_token(" 0123456789abcdef "),
            Ok(Some("0123456789abcdef".to_owned()))
        );
        assert!(parse_metrics_token("short").is_err());
        assert!(parse_metrics_token("0123456789 abcdef").is_err());
        assert!(parse_metrics_token("0123456789abcdéf").is_err());
    }

    #[test]
    fn trust_proxy_is_a_flag_or_a_number_of_proxies() {
        let hops = |args: &[&str]| {
            let mut argv = vec!["folio"];
            argv.extend_from_slice(args);
            Cli::try_parse_from(argv).map(|cli| cli.serve.trust_proxy.hops())
        };
        assert_eq!(hops(&[]).unwrap(), 0);
        assert_eq!(hops(&["--trust-proxy"]).unwrap(), 1);
        assert_eq!(hops(&["--trust-proxy", "serve"]).unwrap(), 1);
        assert_eq!(hops(&["--trust-proxy=2"]).unwrap(), 2);
        assert_eq!(hops(&["--trust-proxy=false"]).unwrap(), 0);
        assert!(hops(&["--trust-proxy=many"]).is_err());
        assert!(hops(&["--trust-proxy=11"]).is_err());
        assert_eq!(parse_trust_proxy("TRUE"), Ok(TrustProxy(1)));
        assert_eq!(parse_trust_proxy(""), Ok(TrustProxy(0)));
    }

    #[test]
    fn no_subcommand_means_serve_with_defaults() {
        let cli = Cli::try_parse_from(["folio"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.serve.bind, "127.0.0.1:8080");
        let storage = StorageConfig::from_args(&cli.global).unwrap();
        assert_eq!(
            storage.database,
            DatabaseUrl::Sqlite(PathBuf::from("folio-data/folio.db"))
        );
    }

    #[test]
    fn mail_needs_a_server_and_a_sender_or_neither() {
        let settings = |url: Option<&str>, from: Option<&str>| {
            MailSettings::from_args(&MailArgs {
                smtp_url: url.map(str::to_owned),
                mail_from: from.map(str::to_owned),
            })
        };
        assert!(settings(None, None).unwrap().is_none());
        assert!(settings(Some(" "), None).unwrap().is_none());
        let both = settings(
            Some("smtps://user:secret@mail.example.org"),
            Some("My Site <site@example.org>"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(both.from.email.to_string(), "site@example.org");
        assert!(!both.server().contains("secret"), "{}", both.server());
        assert!(!format!("{both:?}").contains("secret"));
        assert!(settings(Some("smtp://127.0.0.1:2525"), Some("site@example.org")).is_ok());
        for (url, from, error) in [
            (Some("smtp://h"), None, "FOLIO_MAIL_FROM"),
            (None, Some("a@b.org"), "FOLIO_SMTP_URL"),
            (Some("mail.example.org"), Some("a@b.org"), "FOLIO_SMTP_URL"),
            (Some("https://mail.example.org"), Some("a@b.org"), "smtp://"),
            (
                Some("smtp://h?tls=sometimes"),
                Some("a@b.org"),
                "FOLIO_SMTP_URL",
            ),
            (Some("smtp://h"), Some("not an address"), "FOLIO_MAIL_FROM"),
        ] {
            let refused = settings(url, from).unwrap_err();
            assert!(refused.contains(error), "{url:?} {from:?}: {refused}");
            assert!(!refused.contains('\n'));
        }
    }

    #[test]
    fn the_test_clock_is_refused_unless_the_server_binds_loopback() {
        let mut cli = Cli::try_parse_from(["folio", "--bind", "0.0.0.0:8080"]).unwrap();
        cli.serve.test_clock_file = Some(PathBuf::from("clock"));
        let refused = ServeConfig::from_args(&cli.global, &cli.serve).unwrap_err();
        assert!(refused.contains("FOLIO_TEST_CLOCK_FILE"), "{refused}");
        for bind in ["localhost:8080", "192.168.1.2:80", "[::]:80"] {
            assert!(!binds_loopback(bind), "{bind}");
        }
        for bind in ["127.0.0.1:0", "[::1]:8080"] {
            assert!(binds_loopback(bind), "{bind}");
        }
    }
}
