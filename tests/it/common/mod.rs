//! Shared test harness: runs the real `folio` binary on 127.0.0.1:0 against a fresh SQLite
//! file or a fresh PostgreSQL database, and drives it over HTTP.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::{Connection, PgConnection, RunQueryDsl};
use tempfile::TempDir;

/// Runs each named `async fn(Backend)` once per backend, as `name::sqlite` and
/// `name::postgres`. The PostgreSQL half runs when `FOLIO_TEST_POSTGRES_URL` was set at
/// build time (build.rs); otherwise it is reported as ignored, with the reason, never as
/// passed. CI sets `FOLIO_TEST_REQUIRE_POSTGRES=1` too (building without the URL then
/// fails) and counts the passes on each backend.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::common::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(
                not(folio_test_postgres),
                ignore = "set FOLIO_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1/postgres) to run the PostgreSQL half"
            )]
            async fn postgres() {
                super::$name($crate::common::Backend::postgres()).await;
            }
        }
    )*};
}

#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    /// The server URL; each site gets its own database on it.
    Postgres(String),
}

impl Backend {
    /// The server in `FOLIO_TEST_POSTGRES_URL`. The PostgreSQL tests run only when it was
    /// set at build time, so it missing now (the test binary run by hand) is a failure.
    pub fn postgres() -> Backend {
        match std::env::var("FOLIO_TEST_POSTGRES_URL") {
            Ok(url) if !url.trim().is_empty() => Backend::Postgres(url),
            _ => panic!(
                "FOLIO_TEST_POSTGRES_URL was set when these tests were built but is not set now"
            ),
        }
    }
}

/// A site's data: a data directory and, on PostgreSQL, a database of its own (dropped
/// with the site).
pub struct Site {
    pub dir: TempDir,
    database_url: Option<String>,
    postgres: Option<(String, String)>, // (admin URL, database name)
    /// SQLite files made immutable by `take_database_down`, to undo when dropped.
    immutable: Mutex<Vec<PathBuf>>,
}

impl Site {
    pub fn new(backend: &Backend) -> Site {
        let dir = tempfile::tempdir().expect("temporary directory");
        match backend {
            Backend::Sqlite => Site {
                dir,
                database_url: None,
                postgres: None,
                immutable: Mutex::default(),
            },
            Backend::Postgres(admin_url) => {
                let name = format!("folio_t_{}", random_hex(8));
                admin_sql(admin_url, &format!("CREATE DATABASE {name}"));
                let mut url = url::Url::parse(admin_url).expect("FOLIO_TEST_POSTGRES_URL is a URL");
                url.set_path(&name);
                Site {
                    dir,
                    database_url: Some(url.to_string()),
                    postgres: Some((admin_url.clone(), name)),
                    immutable: Mutex::default(),
                }
            }
        }
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn sqlite_file(&self) -> Option<PathBuf> {
        self.database_url
            .is_none()
            .then(|| self.data_dir().join("folio.db"))
    }

    /// The `folio` binary with this site's settings and nothing inherited from the
    /// developer's environment.
    pub fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_folio"));
        for (key, _) in std::env::vars() {
            if key.starts_with("FOLIO_") {
                command.env_remove(key);
            }
        }
        command
            .env("FOLIO_DATA_DIR", self.data_dir())
            .env("FOLIO_LOG", "info,actix_server=warn")
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null());
        if let Some(url) = &self.database_url {
            command.env("FOLIO_DATABASE_URL", url);
        }
        command
    }

    /// Runs a CLI command to completion, feeding `stdin` if given.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut command = self.command();
        command
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if stdin.is_some() {
            command.stdin(Stdio::piped());
        }
        let mut child = command.spawn().expect("start folio");
        if let Some(input) = stdin {
            use std::io::Write;
            let mut pipe = child.stdin.take().expect("stdin pipe");
            pipe.write_all(input.as_bytes()).expect("write stdin");
        }
        child.wait_with_output().expect("folio finished")
    }

    /// `folio user create` with a password on stdin; panics if it fails.
    pub fn create_user(&self, email: &str, name: &str, role: &str, password: &str) {
        let out = self.cli(
            &[
                "user",
                "create",
                "--email",
                email,
                "--name",
                name,
                "--role",
                role,
                "--password-stdin",
            ],
            Some(&format!("{password}\n")),
        );
        assert!(
            out.status.success(),
            "user create failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub async fn start(&self) -> Server {
        self.start_with(&[]).await
    }

    /// Starts `folio serve` on a free port and waits until it is listening.
    pub async fn start_with(&self, extra_env: &[(&str, &str)]) -> Server {
        let log_path = self
            .data_dir()
            .join(format!("server-{}.log", random_hex(4)));
        let log_file = std::fs::File::create(&log_path).expect("log file");
        let mut command = self.command();
        command
            .args(["serve", "--bind", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(log_file);
        for (key, value) in extra_env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("start folio serve");
        let stdout = child.stdout.take().expect("stdout pipe");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (ready_tx, ready_rx) = mpsc::channel();
        let collected = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("Folio is listening on ") {
                    let address = rest
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    let _ = ready_tx.send(address);
                }
                collected.lock().unwrap().push(line);
            }
        });
        let base =
            tokio::task::spawn_blocking(move || ready_rx.recv_timeout(Duration::from_secs(30)))
                .await
                .unwrap();
        let Ok(base) = base else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "folio serve did not start. Its log:\n{}",
                std::fs::read_to_string(&log_path).unwrap_or_default()
            );
        };
        Server {
            child: Some(child),
            base,
            stdout: lines,
            log_path,
        }
    }

    /// A clock for this site's server that the test moves instead of sleeping: start the
    /// server with `clock.env()` among its settings (`FOLIO_TEST_CLOCK_FILE`).
    pub fn test_clock(&self) -> TestClock {
        let clock = TestClock {
            file: self.data_dir().join("test-clock"),
            offset: Mutex::new(Duration::ZERO),
        };
        clock.write(Duration::ZERO);
        clock
    }

    /// The id of the account with `email`.
    pub fn user_id(&self, email: &str) -> i32 {
        use diesel::prelude::*;
        use folio::db::schema::users;
        users::table
            .filter(users::email.eq(email))
            .select(users::id)
            .first(&mut self.connect())
            .unwrap()
    }

    /// A direct connection to this site's database, through Folio's own data layer.
    pub fn connect(&self) -> folio::db::DbConnection {
        let url = match (&self.database_url, self.sqlite_file()) {
            (Some(url), _) => url.clone(),
            (None, Some(file)) => file.to_string_lossy().into_owned(),
            (None, None) => unreachable!("a site has SQLite or PostgreSQL"),
        };
        let url = folio::db::DatabaseUrl::parse(&url).unwrap();
        folio::db::ConnectionManager::new(url)
            .establish()
            .expect("connect to the site's database")
    }

    /// Runs SQL directly on this site's database, behind the server's back.
    pub fn execute_sql(&self, sql: &str) {
        match (&self.database_url, self.sqlite_file()) {
            (Some(url), _) => admin_sql(url, sql),
            (None, Some(file)) => {
                let mut conn = diesel::SqliteConnection::establish(&file.to_string_lossy())
                    .expect("open the SQLite file");
                diesel::sql_query(sql)
                    .execute(&mut conn)
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
            }
            (None, None) => unreachable!("a site has SQLite or PostgreSQL"),
        }
    }

    /// Makes the database unreachable under a running server: the SQLite file disappears,
    /// or the PostgreSQL database stops accepting connections and loses the open ones.
    pub fn make_database_unreachable(&self) {
        match &self.postgres {
            None => {
                let file = self.sqlite_file().unwrap();
                for suffix in ["", "-wal", "-shm"] {
                    let mut path = file.clone().into_os_string();
                    path.push(suffix);
                    let _ = std::fs::remove_file(path);
                }
            }
            Some((admin_url, name)) => {
                admin_sql(
                    admin_url,
                    &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"),
                );
                admin_sql(
                    admin_url,
                    &format!(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
                    ),
                );
            }
        }
    }
}

impl Site {
    /// A real outage under a running server, undone by [`Site::bring_database_back`]. On
    /// PostgreSQL the database refuses new connections and loses its open ones. On SQLite
    /// the data directory, the database file and its WAL become immutable (`chattr +i`:
    /// the tests run as root, whom a read-only mode doesn't stop), so every write fails
    /// with "disk I/O error" on the connections the server has open and a new connection
    /// opens read-only, while reads still work: a full or read-only disk. The `-shm` file
    /// stays writable: SQLite maps it into memory, and a write to an immutable mapping
    /// kills the process with SIGBUS. Without `chattr` (or the right to use it, as in a
    /// container without CAP_LINUX_IMMUTABLE) the test fails: it never passes untested.
    pub fn take_database_down(&self) {
        match &self.postgres {
            Some(_) => self.make_database_unreachable(),
            None => {
                let paths = self.sqlite_paths();
                chattr(&paths, "+i");
                *self.immutable.lock().unwrap() = paths;
            }
        }
    }

    /// Ends [`Site::take_database_down`].
    pub fn bring_database_back(&self) {
        match &self.postgres {
            Some((admin_url, name)) => admin_sql(
                admin_url,
                &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"),
            ),
            None => chattr(&std::mem::take(&mut *self.immutable.lock().unwrap()), "-i"),
        }
    }

    /// The data directory, the SQLite file and its WAL (not the `-shm`: see
    /// [`Site::take_database_down`]).
    fn sqlite_paths(&self) -> Vec<PathBuf> {
        let file = self.sqlite_file().expect("a SQLite site");
        let mut paths = vec![self.data_dir().to_path_buf()];
        for suffix in ["", "-wal"] {
            let mut path = file.clone().into_os_string();
            path.push(suffix);
            let path = PathBuf::from(path);
            if path.exists() {
                paths.push(path);
            }
        }
        paths
    }
}

fn chattr(paths: &[PathBuf], flag: &str) {
    let status = Command::new("chattr")
        .arg(flag)
        .args(paths)
        .status()
        .expect("run chattr (package e2fsprogs) to simulate a SQLite outage");
    assert!(
        status.success(),
        "chattr {flag} {paths:?} failed: the SQLite outage can't be simulated here (needs a file system with immutable files and CAP_LINUX_IMMUTABLE)"
    );
}

impl Drop for Site {
    fn drop(&mut self) {
        // Undo a `take_database_down` left in place (a failed test), or the directory stays.
        let immutable = std::mem::take(self.immutable.get_mut().unwrap_or_else(|e| e.into_inner()));
        if !immutable.is_empty() {
            let _ = Command::new("chattr").arg("-i").args(&immutable).status();
        }
        if let Some((admin_url, name)) = &self.postgres {
            admin_sql(
                admin_url,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            );
        }
    }
}

fn admin_sql(admin_url: &str, sql: &str) {
    let mut conn = PgConnection::establish(admin_url).expect("connect to FOLIO_TEST_POSTGRES_URL");
    diesel::sql_query(sql)
        .execute(&mut conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).unwrap();
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// The offset a test adds to its server's clock (session expiry, scheduled posts); see
/// `folio::clock`.
pub struct TestClock {
    file: PathBuf,
    offset: Mutex<Duration>,
}

impl TestClock {
    /// The server setting that makes it follow this clock.
    pub fn env(&self) -> (&'static str, &str) {
        (
            "FOLIO_TEST_CLOCK_FILE",
            self.file.to_str().expect("a UTF-8 temporary path"),
        )
    }

    /// Moves the server's clock forward, as if `by` had passed.
    pub fn advance(&self, by: Duration) {
        let mut offset = self.offset.lock().unwrap();
        *offset += by;
        self.write(*offset);
    }

    /// Replaces the file in one step, so the server never reads half of it.
    fn write(&self, offset: Duration) {
        let next = self.file.with_extension("next");
        std::fs::write(&next, offset.as_millis().to_string()).expect("write the test clock");
        std::fs::rename(&next, &self.file).expect("move the test clock into place");
    }
}

/// A running `folio serve`; killed when dropped.
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    stdout: Arc<Mutex<Vec<String>>>,
    log_path: PathBuf,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn stdout(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }

    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The setup link printed at start, if any.
    pub fn setup_url(&self) -> Option<String> {
        self.stdout().iter().find_map(|line| {
            let rest = line.strip_prefix("Open ")?;
            let url = rest.split_whitespace().next()?;
            url.contains("/admin/setup?token=").then(|| url.to_owned())
        })
    }

    /// SIGTERM, then wait for the process to exit.
    pub async fn stop(mut self) -> ExitStatus {
        let mut child = self.child.take().unwrap();
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        tokio::task::spawn_blocking(move || child.wait().expect("wait for folio"))
            .await
            .unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A browser-like client: keeps cookies, does not follow redirects (tests assert them).
/// Idle connections are dropped before the server's keep-alive (actix's default, 5 s)
/// would close them: on a loaded machine a test that prepares many clients and then sends
/// at once otherwise races the server's close and gets `IncompleteMessage`.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(Duration::from_secs(3))
        .build()
        .unwrap()
}

/// The value of a hidden (or any) input named `name` in a page.
pub fn input_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\"");
    let at = html.find(&marker)?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let value_at = tag.find("value=\"")? + "value=\"".len();
    let value_end = value_at + tag[value_at..].find('"')?;
    Some(tag[value_at..value_end].to_owned())
}

/// GETs a page and returns its body, asserting the status.
/// Polls a job's page (an import or an export) on `server` until it no longer refreshes
/// itself, i.e. the job has ended; fails after a minute.
pub async fn settled_job_page(server: &Server, client: &reqwest::Client, path: &str) -> String {
    let started = std::time::Instant::now();
    loop {
        let page = get_page(client, &server.url(path), 200).await;
        if !page.contains("http-equiv=\"refresh\"") {
            return page;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{path} did not finish in a minute: {page}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn get_page(client: &reqwest::Client, url: &str, status: u16) -> String {
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status().as_u16(), status, "GET {url}");
    response.text().await.unwrap()
}

/// Logs in through the form; returns the response to the POST.
pub async fn log_in(
    client: &reqwest::Client,
    server: &Server,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let page = get_page(client, &server.url("/admin/login"), 200).await;
    let csrf = input_value(&page, "csrf_token").expect("csrf token on login form");
    client
        .post(server.url("/admin/login"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", email),
            ("password", password),
            ("next", "/admin"),
        ])
        .send()
        .await
        .unwrap()
}

/// Logs in and returns the client and the session's CSRF token.
pub async fn logged_in(server: &Server, email: &str, password: &str) -> (reqwest::Client, String) {
    let client = client();
    let response = log_in(&client, server, email, password).await;
    assert_eq!(response.status(), 303, "login as {email}");
    let token: serde_json::Value = client
        .get(server.url("/api/admin/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let csrf = token["csrf_token"].as_str().unwrap().to_owned();
    (client, csrf)
}

/// POSTs a form with the session's CSRF token.
pub async fn post_form(
    client: &reqwest::Client,
    server: &Server,
    path: &str,
    csrf: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", csrf)];
    form.extend_from_slice(fields);
    client
        .post(server.url(path))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// The link shown on a "link created" page.
pub fn shown_link(page: &str) -> String {
    let start =
        page.find("readonly value=\"").expect("a link on the page") + "readonly value=\"".len();
    let end = start + page[start..].find('"').unwrap();
    page[start..end].replace("&#38;", "&").replace("&amp;", "&")
}

/// A PNG of the given size (half-transparent red stripes).
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(width, height, |x, _| image::Rgba([x as u8, 0, 0, 128]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// A multipart form with `files` as its file parts, as the media upload forms send them.
pub fn form_of(files: &[(&str, &[u8])]) -> reqwest::multipart::Form {
    files
        .iter()
        .fold(reqwest::multipart::Form::new(), |form, (name, bytes)| {
            form.part(
                "files",
                reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()),
            )
        })
}

/// Uploads through the media API; returns the status and the JSON answer.
pub async fn upload_api(
    client: &reqwest::Client,
    server: &Server,
    csrf: &str,
    files: &[(&str, &[u8])],
) -> (u16, serde_json::Value) {
    let response = client
        .post(server.url("/api/admin/media"))
        .header("x-csrf-token", csrf)
        .multipart(form_of(files))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Every file under `root`, as sorted paths relative to it.
pub fn files_under(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// Creates a post through the editor form (`fields` include `action`); returns its id.
pub async fn write_post(
    client: &reqwest::Client,
    server: &Server,
    csrf: &str,
    fields: &[(&str, &str)],
) -> i32 {
    let response = post_form(client, server, "/admin/posts", csrf, fields).await;
    assert_eq!(
        response.status(),
        303,
        "create {fields:?}: {}",
        response.text().await.unwrap()
    );
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    location
        .trim_start_matches("/admin/posts/")
        .trim_end_matches("/edit")
        .parse()
        .unwrap()
}

/// Loads the editor of post `id` and sends it back with `changes` and `action`, like a
/// browser would.
pub async fn save_post(
    client: &reqwest::Client,
    server: &Server,
    id: i32,
    changes: &[(&str, &str)],
    action: &str,
) -> reqwest::Response {
    let page = get_page(client, &server.url(&format!("/admin/posts/{id}/edit")), 200).await;
    let mut form: Vec<(String, String)> = [
        "csrf_token",
        "version",
        "title",
        "slug",
        "tags",
        "publish_at",
        "canonical_url",
        "meta_title",
    ]
    .iter()
    .filter_map(|name| {
        input_value(&page, name).map(|v| {
            (
                name.to_string(),
                v.replace("&#34;", "\"").replace("&#38;", "&"),
            )
        })
    })
    .collect();
    let body_start = page.find("name=\"body\"").unwrap();
    let text_start = body_start + page[body_start..].find('>').unwrap() + 1;
    let text_end = text_start + page[text_start..].find("</textarea>").unwrap();
    form.push(("body".into(), page[text_start..text_end].to_owned()));
    for (name, value) in changes {
        form.retain(|(n, _)| n != name);
        form.push((name.to_string(), value.to_string()));
    }
    form.push(("action".into(), action.into()));
    client
        .post(server.url(&format!("/admin/posts/{id}")))
        .form(&form)
        .send()
        .await
        .unwrap()
}
