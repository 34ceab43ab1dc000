//! Folio behind a real nginx (Debian's), configured by `docs/nginx.conf` itself: nginx
//! terminates https with a certificate made for the test, Folio runs with an https base
//! URL and `--trust-proxy`. Client addresses are the ones nginx saw, the session cookie is
//! `Secure`, large uploads pass, and nginx's request id reaches Folio's log and response.
//!
//! nginx must be installed (`apt-get install nginx-light`; `.ci/run` installs it): without
//! it these tests fail, they never skip.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::common::{Backend, Server, Site, form_of, input_value};

on_both_backends!(
    client_addresses_are_the_ones_nginx_saw,
    logins_over_https_get_a_secure_cookie_and_pass_the_origin_check,
    uploads_up_to_the_limit_pass_through_nginx,
    nginxs_request_id_reaches_folios_log_and_response,
);

const EMAIL: &str = "admin@example.org";
const PASSWORD: &str = "correct horse battery";
/// What a client writes into `X-Forwarded-For` to pass for someone else.
const FORGED: &str = "203.0.113.9";

/// The documented configuration, and the lines of it the test replaces (each must be
/// there: a test that quietly stopped using the documented file would prove nothing).
const DOCUMENTED: &str = include_str!("../../docs/nginx.conf");
const UPSTREAM: &str = "server 127.0.0.1:8080;";
const HTTPS_LISTEN: &str = "listen 443 ssl http2;";
const HTTPS_LISTEN_V6: &str = "listen [::]:443 ssl http2;";
const HTTP_LISTEN: &str = "listen 80;";
const HTTP_LISTEN_V6: &str = "listen [::]:80;";
const CERTIFICATE: &str = "/etc/letsencrypt/live/folio.example.com/fullchain.pem";
const PRIVATE_KEY: &str = "/etc/letsencrypt/live/folio.example.com/privkey.pem";
const ACCESS_LOG: &str = "/var/log/nginx/folio.access.log";

/// Folio (with an admin account) behind nginx.
struct Proxied {
    site: Site,
    server: Server,
    nginx: Nginx,
}

impl Proxied {
    async fn start(backend: &Backend) -> Proxied {
        let site = Site::new(backend);
        site.create_user(EMAIL, "Admin", "admin", PASSWORD);
        let https_port = free_port();
        let base_url = format!("https://127.0.0.1:{https_port}");
        let server = site
            .start_with(&[
                ("FOLIO_BASE_URL", base_url.as_str()),
                ("FOLIO_TRUST_PROXY", "true"),
            ])
            .await;
        let folio_port: u16 = server
            .base
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .expect("folio's port");
        let nginx = Nginx::start(folio_port, https_port);
        Proxied {
            site,
            server,
            nginx,
        }
    }

    /// `https://127.0.0.1:PORT` + `path`, through nginx.
    fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.nginx.https_port)
    }

    fn origin(&self) -> String {
        self.url("")
    }

    /// A browser-like client that trusts nginx's certificate (and nothing else).
    fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .tls_built_in_root_certs(false)
            .add_root_certificate(self.nginx.certificate.clone())
            .build()
            .unwrap()
    }

    /// Sends the login form as a browser on this site would (with its `Origin`).
    async fn log_in(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
        forwarded_for: Option<&str>,
    ) -> reqwest::Response {
        let page = client.get(self.url("/admin/login")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let csrf = input_value(&page.text().await.unwrap(), "csrf_token").expect("csrf token");
        let mut request = client
            .post(self.url("/admin/login"))
            .header("origin", self.origin())
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("email", email),
                ("password", password),
                ("next", "/admin"),
            ]);
        if let Some(forged) = forwarded_for {
            request = request.header("x-forwarded-for", forged);
        }
        request.send().await.unwrap()
    }

    /// Logs in as the admin; returns the client and the session's CSRF token.
    async fn admin(&self) -> (reqwest::Client, String) {
        let client = self.client();
        let response = self.log_in(&client, EMAIL, PASSWORD, None).await;
        assert_eq!(response.status(), 303, "log in through nginx");
        let session: serde_json::Value = client
            .get(self.url("/api/admin/session"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let csrf = session["csrf_token"]
            .as_str()
            .expect("csrf token")
            .to_owned();
        (client, csrf)
    }
}

/// A free port on 127.0.0.1 (released at once; nginx binds it a moment later).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}

/// An nginx master process of our own, on `docs/nginx.conf`, in a temporary directory;
/// stopped (by its PID) when dropped, a failing test included.
struct Nginx {
    child: Option<Child>,
    dir: TempDir,
    https_port: u16,
    http_port: u16,
    certificate: reqwest::Certificate,
}

impl Nginx {
    fn start(folio_port: u16, https_port: u16) -> Nginx {
        let binary = nginx_binary();
        let dir = tempfile::tempdir().expect("temp dir");
        // nginx started as root runs its workers as `nobody`: they must reach the dir.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod the nginx dir");
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        make_certificate(&cert, &key);
        let certificate = reqwest::Certificate::from_pem(&std::fs::read(&cert).unwrap())
            .expect("the test certificate");

        let http_port = free_port();
        let site_conf = dir.path().join("folio.conf");
        std::fs::write(
            &site_conf,
            documented_config(&[
                (UPSTREAM, format!("server 127.0.0.1:{folio_port};")),
                (
                    HTTPS_LISTEN,
                    format!("listen 127.0.0.1:{https_port} ssl http2;"),
                ),
                (HTTPS_LISTEN_V6, String::new()),
                (HTTP_LISTEN, format!("listen 127.0.0.1:{http_port};")),
                (HTTP_LISTEN_V6, String::new()),
                (CERTIFICATE, path(&cert)),
                (PRIVATE_KEY, path(&key)),
                (ACCESS_LOG, path(&dir.path().join("access.log"))),
            ]),
        )
        .unwrap();
        // What /etc/nginx/nginx.conf provides around the site's file, kept in the temp dir.
        let d = path(dir.path());
        let main_conf = dir.path().join("nginx.conf");
        std::fs::write(
            &main_conf,
            format!(
                "worker_processes 1;\n\
                 error_log {d}/error.log info;\n\
                 events {{ worker_connections 256; }}\n\
                 http {{\n\
                 \x20   access_log {d}/other.access.log;\n\
                 \x20   client_body_temp_path {d}/client_body;\n\
                 \x20   proxy_temp_path {d}/proxy;\n\
                 \x20   fastcgi_temp_path {d}/fastcgi;\n\
                 \x20   uwsgi_temp_path {d}/uwsgi;\n\
                 \x20   scgi_temp_path {d}/scgi;\n\
                 \x20   include {site};\n\
                 }}\n",
                site = path(&site_conf),
            ),
        )
        .unwrap();

        let child = Command::new(&binary)
            .args(["-p", d.as_str(), "-c", path(&main_conf).as_str(), "-g"])
            .arg(format!("daemon off; pid {d}/nginx.pid;"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let mut nginx = Nginx {
            child: Some(child),
            dir,
            https_port,
            http_port,
            certificate,
        };
        nginx.wait_until_listening();
        nginx
    }

    /// Waits for both ports; if nginx exits instead, fails with what it said.
    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let child = self.child.as_mut().unwrap();
            if let Some(status) = child.try_wait().unwrap() {
                let mut stderr = String::new();
                if let Some(mut pipe) = child.stderr.take() {
                    use std::io::Read;
                    let _ = pipe.read_to_string(&mut stderr);
                }
                panic!(
                    "nginx exited at start ({status}): {stderr}\nerror.log:\n{}",
                    self.error_log()
                );
            }
            let up = [self.https_port, self.http_port]
                .iter()
                .all(|port| std::net::TcpStream::connect(("127.0.0.1", *port)).is_ok());
            if up {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "nginx did not listen within 10 s:\n{}",
                self.error_log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("access.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    /// SIGTERM to the master (it stops its workers: SIGKILL would leave them serving),
    /// SIGKILL if it is still there after 5 s.
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// nginx on the PATH or in /usr/sbin (not on a normal user's PATH); a test that needs it
/// fails without it.
fn nginx_binary() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
        .map(|dir| dir.join("nginx"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "nginx is not installed, and the reverse-proxy tests need it \
                 (apt-get install nginx-light; .ci/run installs it)"
            )
        })
}

/// A self-signed certificate for 127.0.0.1, valid for a day, made by the openssl CLI.
fn make_certificate(cert: &Path, key: &Path) {
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(key)
        .arg("-out")
        .arg(cert)
        .output()
        .expect("the openssl command (package openssl) makes the test certificate");
    assert!(
        out.status.success(),
        "openssl req failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `docs/nginx.conf` with each documented value replaced by the test's.
fn documented_config(replacements: &[(&str, String)]) -> String {
    let mut conf = DOCUMENTED.to_owned();
    for (documented, ours) in replacements {
        assert!(
            conf.contains(documented),
            "docs/nginx.conf no longer contains `{documented}`: update tests/it/proxy.rs with it"
        );
        conf = conf.replace(documented, ours);
    }
    conf
}

fn path(path: &Path) -> String {
    path.to_str().expect("a UTF-8 temp path").to_owned()
}

/// The address of the most recent audit record of `action`.
fn last_address(site: &Site, action: &str) -> Option<String> {
    use diesel::prelude::*;
    use folio::db::schema::audit_log;
    audit_log::table
        .filter(audit_log::action.eq(action))
        .order(audit_log::id.desc())
        .select(audit_log::ip_address)
        .first::<Option<String>>(&mut site.connect())
        .unwrap()
}

// ------------------------------------------------------------------------------ tests

/// A client's forged `X-Forwarded-For` stays on the left of the entry nginx adds: the audit
/// log, the session and the log name the address nginx saw, and the address throttle
/// cannot be dodged by forging a new address for every try.
async fn client_addresses_are_the_ones_nginx_saw(backend: Backend) {
    use folio::domain::throttle::PER_ADDRESS;
    let proxied = Proxied::start(&backend).await;

    let client = proxied.client();
    let failed = proxied
        .log_in(&client, EMAIL, "wrong password!!", Some(FORGED))
        .await;
    assert_eq!(failed.status(), 401);
    assert_eq!(
        last_address(&proxied.site, "login.failed").as_deref(),
        Some("127.0.0.1"),
        "the audit log names the address nginx saw, not the forged one"
    );
    let response = proxied.log_in(&client, EMAIL, PASSWORD, Some(FORGED)).await;
    assert_eq!(response.status(), 303);
    let session_address: String = {
        use diesel::prelude::*;
        use folio::db::schema::sessions;
        sessions::table
            .select(sessions::ip_address)
            .first::<Option<String>>(&mut proxied.site.connect())
            .unwrap()
            .unwrap_or_default()
    };
    assert_eq!(session_address, "127.0.0.1", "the session's address");

    // Spray: a different unknown account and a different forged address every try. Every
    // failure still counts against 127.0.0.1: the try after its last free one is refused.
    // (Its counter is first brought to two failures short of the lock, so that the test
    // hashes three passwords rather than twenty.)
    {
        use diesel::prelude::*;
        use folio::db::schema::login_throttle;
        let key = folio::store::throttle::address_key("127.0.0.1");
        let mut conn = proxied.site.connect();
        diesel::delete(login_throttle::table.find(&key))
            .execute(&mut conn)
            .unwrap();
        diesel::insert_into(login_throttle::table)
            .values((
                login_throttle::key.eq(&key),
                login_throttle::failures.eq(PER_ADDRESS.free_failures - 2),
                login_throttle::last_failure_at.eq(chrono::Utc::now().naive_utc()),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    let mut statuses = Vec::new();
    for n in 0..3 {
        let client = proxied.client();
        let forged = format!("198.51.100.{n}");
        let response = proxied
            .log_in(
                &client,
                &format!("nobody{n}@example.org"),
                "wrong password!!",
                Some(forged.as_str()),
            )
            .await;
        statuses.push(response.status().as_u16());
    }
    assert_eq!(
        statuses,
        [401, 401, 429],
        "127.0.0.1 is locked after its free failures, whatever address each try claims"
    );

    // The log is written by another process: give it a moment.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = proxied.server.log();
    assert!(log.contains("client_ip=127.0.0.1"), "{log}");
    for forged in [FORGED, "198.51.100."] {
        assert!(!log.contains(forged), "{forged} is in Folio's log:\n{log}");
    }
}

/// With an https base URL the session cookie is `Secure` (and `HttpOnly`, `SameSite`);
/// a login through nginx works and is remembered; a POST from another site's origin is
/// refused; plain http is redirected to https.
async fn logins_over_https_get_a_secure_cookie_and_pass_the_origin_check(backend: Backend) {
    let proxied = Proxied::start(&backend).await;
    let client = proxied.client();

    let response = proxied.log_in(&client, EMAIL, PASSWORD, None).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/admin");
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("folio_session="))
        .expect("a session cookie")
        .to_owned();
    let attributes: Vec<String> = cookie
        .split(';')
        .skip(1)
        .map(|attribute| attribute.trim().to_ascii_lowercase())
        .collect();
    for expected in ["secure", "httponly", "samesite=lax", "path=/"] {
        assert!(
            attributes.iter().any(|a| a == expected),
            "{expected} missing: {cookie}"
        );
    }
    let dashboard = client.get(proxied.url("/admin")).send().await.unwrap();
    assert_eq!(dashboard.status(), 200, "logged in through nginx");

    // A form posted from another site is refused, with the right token even.
    let session: serde_json::Value = client
        .get(proxied.url("/api/admin/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let csrf = session["csrf_token"].as_str().unwrap();
    let post = |origin: String| {
        client
            .post(proxied.url("/admin/posts"))
            .header("origin", origin)
            .form(&[
                ("csrf_token", csrf),
                ("title", "Through the proxy"),
                ("body", "Hello"),
                ("action", "save"),
            ])
            .send()
    };
    let foreign = post("https://evil.example".into()).await.unwrap();
    assert_eq!(foreign.status(), 403);
    let own = post(proxied.origin()).await.unwrap();
    assert_eq!(
        own.status(),
        303,
        "a post from the site's own https origin: {}",
        own.text().await.unwrap()
    );

    // nginx's plain-http server only redirects.
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!(
            "http://127.0.0.1:{}/admin/login",
            proxied.nginx.http_port
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 301);
    assert_eq!(plain.headers()["location"], "https://127.0.0.1/admin/login");
}

/// A file of exactly Folio's default upload limit (25 MB) passes nginx and is stored; one
/// byte more gets Folio's own 413 and message, through nginx, and leaves nothing behind.
async fn uploads_up_to_the_limit_pass_through_nginx(backend: Backend) {
    let proxied = Proxied::start(&backend).await;
    let (client, csrf) = proxied.admin().await;
    let limit = 25 * 1024 * 1024;
    let mut pdf =
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
            .to_vec();
    pdf.resize(limit + 1, b' ');

    let upload = |name: &'static str, bytes: Vec<u8>| {
        client
            .post(proxied.url("/api/admin/media"))
            .header("x-csrf-token", &csrf)
            .header("origin", proxied.origin())
            .multipart(form_of(&[(name, &bytes)]))
            .send()
    };
    let response = upload("big.pdf", pdf.clone()).await.unwrap();
    let status = response.status();
    let json: serde_json::Value = response
        .json()
        .await
        .expect("Folio's JSON, not nginx's page");
    assert_eq!(status, 413, "{json}");
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("larger than the upload limit of 25 MB"),
        "{json}"
    );

    pdf.truncate(limit);
    let started = Instant::now();
    let response = upload("fits.pdf", pdf).await.unwrap();
    let status = response.status();
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{json}");
    assert_eq!(json["files"][0]["size_bytes"], limit, "{json}");
    eprintln!("25 MB through nginx in {:?}", started.elapsed());

    use diesel::prelude::*;
    use folio::db::schema::media;
    let stored: Vec<String> = media::table
        .select(media::file_name)
        .load(&mut proxied.site.connect())
        .unwrap();
    assert_eq!(stored, ["fits.pdf"], "only the file within the limit");
}

/// nginx's `$request_id` replaces whatever id the client sent; Folio logs it in the
/// request's line and returns it, for rendered pages and cached ones alike, so one id
/// finds a request in nginx's access log and in Folio's log.
async fn nginxs_request_id_reaches_folios_log_and_response(backend: Backend) {
    let proxied = Proxied::start(&backend).await;
    let client = proxied.client();
    let mut ids = Vec::new();
    // The home page twice: rendered, then from the page cache.
    for cache in ["MISS", "HIT"] {
        let response = client
            .get(proxied.url("/"))
            .header("x-request-id", "chosen-by-the-client")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["x-cache"], cache);
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "nginx's $request_id (32 hex digits), not the client's: {id}"
        );
        ids.push(id);
    }
    assert_ne!(ids[0], ids[1]);

    // The logs are written by other processes: give them a moment.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let folio_log = proxied.server.log();
    let access_log = proxied.nginx.access_log();
    for id in &ids {
        assert!(
            folio_log.contains(id.as_str()),
            "{id} is not in Folio's log:\n{folio_log}"
        );
        assert!(
            access_log.contains(&format!("request_id={id}")),
            "{id} is not in nginx's access log:\n{access_log}"
        );
    }
    assert!(!folio_log.contains("chosen-by-the-client"), "{folio_log}");
}
