//! Mail (#18) against a real SMTP server: Python's aiosmtpd, started by each test on a free
//! port, writing what it receives into a maildir the test reads. Password recovery,
//! invitations, a mail server that is down, and `folio mail test`.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common;

use common::{
    Backend, Server, Site, client, get_page, input_value, log_in, logged_in, post_form, save_post,
    write_post,
};

on_both_backends!(
    a_reset_mail_arrives_and_its_link_works_exactly_once,
    unknown_and_disabled_addresses_get_the_same_answer_and_no_mail,
    reset_requests_are_rate_limited_per_address,
    invitations_are_mailed_and_can_be_resent,
    a_mail_server_that_is_down_holds_no_request_and_gets_the_mail_later,
    without_mail_settings_pages_say_to_ask_an_administrator,
    editors_hear_of_review_requests_and_authors_of_publication_unless_they_opt_out,
);

const ADMIN: &str = "ada@example.org";
const PASSWORD: &str = "correct horse battery staple";
const NEW_PASSWORD: &str = "a brand new passphrase for ada";
const FROM: &str = "Folio Tests <site@example.org>";

/// A free port on loopback (nothing listens on it once this returns).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// aiosmtpd on 127.0.0.1:`port`, storing every message it accepts in a maildir; killed
/// when dropped.
struct MailServer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
    maildir: PathBuf,
}

impl MailServer {
    fn start() -> MailServer {
        MailServer::start_on(free_port())
    }

    fn start_on(port: u16) -> MailServer {
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("box");
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 with aiosmtpd (pip install aiosmtpd)");
        let mut server = MailServer {
            child,
            port,
            _dir: dir,
            maildir,
        };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("aiosmtpd exited with {status}: is it installed (pip install aiosmtpd)?");
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "aiosmtpd did not listen on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The messages received so far, oldest first, quoted-printable soft breaks undone.
    fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        let mut files: Vec<(std::time::SystemTime, String, PathBuf)> = entries
            .map_while(Result::ok)
            .map(|e| {
                let modified = e.metadata().and_then(|m| m.modified()).unwrap();
                (
                    modified,
                    e.file_name().to_string_lossy().into_owned(),
                    e.path(),
                )
            })
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|(_, _, path)| unfold(&std::fs::read_to_string(path).unwrap()))
            .collect()
    }

    /// Waits until `count` messages have arrived (and no more); fails after 20 s.
    async fn wait_for(&self, count: usize) -> Vec<String> {
        let started = Instant::now();
        loop {
            let messages = self.messages();
            assert!(
                messages.len() <= count,
                "more mail than expected: {messages:#?}"
            );
            if messages.len() == count {
                return messages;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{count} messages expected, {} arrived",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for MailServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Undoes quoted-printable line folding and `=3D`, enough to read links.
fn unfold(raw: &str) -> String {
    raw.replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
        .replace("\r\n", "\n")
}

/// The first link to `path` in a message (its plain-text part comes first).
fn link_in(message: &str, server: &Server, path: &str) -> String {
    let start = server.url(path);
    let at = message
        .find(&start)
        .unwrap_or_else(|| panic!("no {start} link in {message}"));
    let link: String = message[at..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<')
        .collect();
    link.replace("&amp;", "&")
}

fn header<'a>(message: &'a str, name: &str) -> &'a str {
    message
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{name}: ")))
        .unwrap_or_else(|| panic!("no {name} header in {message}"))
}

async fn site_with_mail(backend: &Backend, mail: &str, extra: &[(&str, &str)]) -> (Site, Server) {
    let site = Site::new(backend);
    site.create_user(ADMIN, "Ada Admin", "admin", PASSWORD);
    let mut env = vec![("FOLIO_SMTP_URL", mail), ("FOLIO_MAIL_FROM", FROM)];
    env.extend_from_slice(extra);
    let server = site.start_with(&env).await;
    (site, server)
}

/// Asks for a reset link for `email` in a fresh browser; returns the status and the page.
async fn forgot(server: &Server, email: &str) -> (u16, String, Duration) {
    let browser = client();
    let login = get_page(&browser, &server.url("/admin/login"), 200).await;
    assert!(login.contains("href=\"/admin/forgot-password\""), "{login}");
    let form = get_page(&browser, &server.url("/admin/forgot-password"), 200).await;
    let csrf = input_value(&form, "csrf_token").expect("a form");
    let started = Instant::now();
    let response = browser
        .post(server.url("/admin/forgot-password"))
        .form(&[("csrf_token", csrf.as_str()), ("email", email)])
        .send()
        .await
        .unwrap();
    let took = started.elapsed();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap(), took)
}

/// Sets a new password through a reset link; returns the status of the POST.
async fn use_reset_link(server: &Server, link: &str, password: &str) -> u16 {
    let browser = client();
    let page = browser.get(link).send().await.unwrap();
    if page.status() != 200 {
        return page.status().as_u16();
    }
    let page = page.text().await.unwrap();
    let csrf = input_value(&page, "csrf_token").unwrap();
    let token = input_value(&page, "token").unwrap();
    browser
        .post(server.url("/admin/reset"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("token", token.as_str()),
            ("password", password),
            ("password_confirmation", password),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn a_reset_mail_arrives_and_its_link_works_exactly_once(backend: Backend) {
    let mail = MailServer::start();
    let (_site, server) = site_with_mail(&backend, &mail.url(), &[]).await;
    let (elsewhere, _) = logged_in(&server, ADMIN, PASSWORD).await;

    let (status, page, _) = forgot(&server, ADMIN).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("on its way"), "{page}");

    let messages = mail.wait_for(1).await;
    let message = &messages[0];
    assert_eq!(header(message, "To"), ADMIN);
    assert!(header(message, "From").contains("site@example.org"));
    assert!(header(message, "Subject").starts_with("Choose a new password for "));
    assert!(message.contains("text/plain") && message.contains("text/html"));
    assert!(message.contains("within one hour"), "{message}");
    assert!(!message.contains(PASSWORD));
    let link = link_in(message, &server, "/admin/reset?token=");

    assert_eq!(use_reset_link(&server, &link, NEW_PASSWORD).await, 303);
    // Used once: the second time it is refused, and the password stays the new one.
    assert_eq!(
        use_reset_link(&server, &link, "yet another passphrase 123").await,
        410
    );
    assert_eq!(
        log_in(&client(), &server, ADMIN, PASSWORD).await.status(),
        401
    );
    assert_eq!(
        log_in(&client(), &server, ADMIN, NEW_PASSWORD)
            .await
            .status(),
        303
    );
    // The session that was open elsewhere has ended.
    let ended = elsewhere.get(server.url("/admin")).send().await.unwrap();
    assert_eq!(ended.status(), 303, "the other session ended");

    // Audit-logged; the outbox shows the message as sent, without its body.
    let (admin, _) = logged_in(&server, ADMIN, NEW_PASSWORD).await;
    let audit = get_page(&admin, &server.url("/admin/audit"), 200).await;
    assert!(audit.contains("password_reset.mailed"), "{audit}");
    let outbox = get_page(&admin, &server.url("/admin/mail"), 200).await;
    assert!(
        outbox.contains(ADMIN) && outbox.contains("sent") && outbox.contains("250"),
        "{outbox}"
    );
}

async fn unknown_and_disabled_addresses_get_the_same_answer_and_no_mail(backend: Backend) {
    let mail = MailServer::start();
    let (site, server) = site_with_mail(&backend, &mail.url(), &[]).await;
    site.create_user("gone@example.org", "Gone", "author", PASSWORD);
    let (admin, csrf) = logged_in(&server, ADMIN, PASSWORD).await;
    let gone = site.user_id("gone@example.org");
    let disabled = post_form(
        &admin,
        &server,
        &format!("/admin/users/{gone}/disable"),
        &csrf,
        &[],
    )
    .await;
    assert_eq!(disabled.status(), 303);

    let (known_status, known_page, _) = forgot(&server, ADMIN).await;
    let (unknown_status, unknown_page, _) = forgot(&server, "nobody@example.org").await;
    let (disabled_status, disabled_page, _) = forgot(&server, "gone@example.org").await;
    assert_eq!(
        (known_status, unknown_status, disabled_status),
        (200, 200, 200)
    );
    let same = |page: &str, email: &str| {
        page.replace(email, "EMAIL")
            .replace(&input_value(page, "csrf_token").unwrap_or_default(), "CSRF")
    };
    assert_eq!(
        same(&known_page, ADMIN),
        same(&unknown_page, "nobody@example.org")
    );
    assert_eq!(
        same(&known_page, ADMIN),
        same(&disabled_page, "gone@example.org")
    );

    // The known address was asked for first; a mail for the others would follow it. Ask
    // once more for the known one: exactly two messages, both to it.
    let (status, _, _) = forgot(&server, ADMIN).await;
    assert_eq!(status, 200);
    let messages = mail.wait_for(2).await;
    for message in &messages {
        assert_eq!(header(message, "To"), ADMIN, "{message}");
    }
    // A newer link replaces the older one.
    let first = link_in(&messages[0], &server, "/admin/reset?token=");
    let second = link_in(&messages[1], &server, "/admin/reset?token=");
    assert_eq!(client().get(&first).send().await.unwrap().status(), 410);
    assert_eq!(client().get(&second).send().await.unwrap().status(), 200);

    // A malformed address is a form error, not a request.
    let (status, page, _) = forgot(&server, "not an address").await;
    assert_eq!(status, 422, "{page}");
}

async fn reset_requests_are_rate_limited_per_address(backend: Backend) {
    let mail = MailServer::start();
    let (_site, server) = site_with_mail(&backend, &mail.url(), &[]).await;
    for _ in 0..3 {
        let (status, page, _) = forgot(&server, ADMIN).await;
        assert_eq!(status, 200, "{page}");
    }
    let (status, page, _) = forgot(&server, ADMIN).await;
    assert_eq!(status, 429, "the fourth request within the hour");
    assert!(page.contains("Too many reset links"), "{page}");
    // The same limit for an address without an account (it tells nothing), and another
    // address still gets its answer.
    for _ in 0..3 {
        assert_eq!(forgot(&server, "nobody@example.org").await.0, 200);
    }
    assert_eq!(forgot(&server, "nobody@example.org").await.0, 429);
    assert_eq!(forgot(&server, "someone@example.org").await.0, 200);
    mail.wait_for(3).await;
}

async fn invitations_are_mailed_and_can_be_resent(backend: Backend) {
    let mail = MailServer::start();
    let (_site, server) = site_with_mail(&backend, &mail.url(), &[]).await;
    let (admin, csrf) = logged_in(&server, ADMIN, PASSWORD).await;
    let response = post_form(
        &admin,
        &server,
        "/admin/users/invite",
        &csrf,
        &[("email", "bea@example.org"), ("role", "author")],
    )
    .await;
    assert_eq!(response.status(), 201);
    let page = response.text().await.unwrap();
    assert!(page.contains("on its way to bea@example.org"), "{page}");
    assert!(
        page.contains("data-copy=\"link\"") && page.contains("copy.js"),
        "{page}"
    );
    let shown = common::shown_link(&page);

    let messages = mail.wait_for(1).await;
    assert_eq!(header(&messages[0], "To"), "bea@example.org");
    assert!(header(&messages[0], "Subject").starts_with("Ada Admin invited you to "));
    assert_eq!(
        link_in(&messages[0], &server, "/admin/invite?token="),
        shown
    );

    // Resend: a new link, mailed again; the first one stops working.
    let users = get_page(&admin, &server.url("/admin/users"), 200).await;
    let start = users
        .find("/admin/invitations/")
        .expect("a pending invitation");
    let action: String = users[start..].chars().take_while(|c| *c != '"').collect();
    let action = action.replace("/revoke", "/resend");
    assert!(action.ends_with("/resend"), "{action}");
    let response = post_form(&admin, &server, &action, &csrf, &[]).await;
    assert_eq!(response.status(), 201);
    let again = common::shown_link(&response.text().await.unwrap());
    assert_ne!(again, shown);
    let messages = mail.wait_for(2).await;
    assert_eq!(
        link_in(&messages[1], &server, "/admin/invite?token="),
        again
    );
    assert_eq!(client().get(&shown).send().await.unwrap().status(), 410);
    assert_eq!(client().get(&again).send().await.unwrap().status(), 200);
}

async fn a_mail_server_that_is_down_holds_no_request_and_gets_the_mail_later(backend: Backend) {
    let port = free_port();
    let url = format!("smtp://127.0.0.1:{port}");
    let (_site, server) =
        site_with_mail(&backend, &url, &[("FOLIO_TEST_JOB_RETRY_MS", "300")]).await;
    let (admin, _) = logged_in(&server, ADMIN, PASSWORD).await;

    let (status, _, took) = forgot(&server, ADMIN).await;
    assert_eq!(status, 200);
    assert!(took < Duration::from_secs(2), "the request waited {took:?}");

    // Tried, refused, waiting to try again, with the reason on the admins' page.
    let started = Instant::now();
    loop {
        let outbox = get_page(&admin, &server.url("/admin/mail"), 200).await;
        if outbox.contains("waiting to try again") && outbox.contains("Connection refused") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{outbox}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let dashboard = get_page(&admin, &server.url("/admin"), 200).await;
    assert!(
        dashboard.contains("<strong>1</strong> waiting"),
        "{dashboard}"
    );

    // The server comes up: the next try delivers it, once.
    let mail = MailServer::start_on(port);
    let messages = mail.wait_for(1).await;
    assert_eq!(header(&messages[0], "To"), ADMIN);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(mail.messages().len(), 1);
    let outbox = get_page(&admin, &server.url("/admin/mail"), 200).await;
    assert!(outbox.contains("250"), "{outbox}");
}

async fn without_mail_settings_pages_say_to_ask_an_administrator(backend: Backend) {
    let site = Site::new(&backend);
    site.create_user(ADMIN, "Ada Admin", "admin", PASSWORD);
    let server = site.start().await;
    let page = get_page(&client(), &server.url("/admin/forgot-password"), 200).await;
    assert!(page.contains("Ask an administrator"), "{page}");
    assert!(!page.contains("name=\"email\""));
    let (admin, csrf) = logged_in(&server, ADMIN, PASSWORD).await;
    let response = post_form(
        &admin,
        &server,
        "/admin/users/invite",
        &csrf,
        &[("email", "bea@example.org"), ("role", "author")],
    )
    .await;
    assert_eq!(response.status(), 201);
    let page = response.text().await.unwrap();
    assert!(page.contains("this site does not send mail"), "{page}");
    let dashboard = get_page(&admin, &server.url("/admin"), 200).await;
    assert!(dashboard.contains("This site sends no mail"), "{dashboard}");
}

#[test]
fn folio_mail_test_prints_the_servers_answer() {
    let mail = MailServer::start();
    let site = Site::new(&Backend::Sqlite);
    let url = mail.url();
    let out = site.cli(
        &[
            "mail",
            "test",
            "--to",
            "ops@example.org",
            "--smtp-url",
            &url,
            "--mail-from",
            FROM,
        ],
        None,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("The server answered: 250"), "{stdout}");
    let messages = mail.messages();
    assert_eq!(messages.len(), 1, "sent before the command returned");
    assert_eq!(header(&messages[0], "To"), "ops@example.org");
    assert!(header(&messages[0], "Subject").starts_with("Test message from Folio Tests"));

    let closed = format!("smtp://127.0.0.1:{}", free_port());
    let out = site.cli(
        &[
            "mail",
            "test",
            "--to",
            "ops@example.org",
            "--smtp-url",
            &closed,
            "--mail-from",
            FROM,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not sent") && stderr.contains("Connection refused"),
        "{stderr}"
    );

    let out = site.cli(&["mail", "test", "--to", "ops@example.org"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("FOLIO_SMTP_URL"));
}

#[test]
fn bad_mail_settings_stop_the_start_with_one_line() {
    let site = Site::new(&Backend::Sqlite);
    let out = site.cli(
        &[
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--smtp-url",
            "smtp://127.0.0.1:2525",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("FOLIO_MAIL_FROM"), "{stderr}");
}

async fn editors_hear_of_review_requests_and_authors_of_publication_unless_they_opt_out(
    backend: Backend,
) {
    let mail = MailServer::start();
    let site = Site::new(&backend);
    site.create_user(ADMIN, "Ada Admin", "admin", PASSWORD);
    site.create_user("ed@example.org", "Ed Editor", "editor", PASSWORD);
    site.create_user("au@example.org", "Al Author", "author", PASSWORD);
    let url = mail.url();
    let server = site
        .start_with(&[("FOLIO_SMTP_URL", &url), ("FOLIO_MAIL_FROM", FROM)])
        .await;
    let (author, author_csrf) = logged_in(&server, "au@example.org", PASSWORD).await;
    let (editor, editor_csrf) = logged_in(&server, "ed@example.org", PASSWORD).await;

    let submit = async |title: &str| {
        let id = write_post(
            &author,
            &server,
            &author_csrf,
            &[("title", title), ("body", "Hello."), ("action", "save")],
        )
        .await;
        assert_eq!(
            save_post(&author, &server, id, &[], "submit")
                .await
                .status(),
            303
        );
        id
    };
    let first = submit("Spring").await;
    let messages = mail.wait_for(2).await;
    let mut to: Vec<&str> = messages.iter().map(|m| header(m, "To")).collect();
    to.sort_unstable();
    assert_eq!(to, [ADMIN, "ed@example.org"]);
    assert!(header(&messages[0], "Subject").contains("Review requested: Spring"));
    assert!(messages[0].contains(&server.url(&format!("/admin/posts/{first}/edit"))));

    assert_eq!(
        save_post(&editor, &server, first, &[], "publish")
            .await
            .status(),
        303
    );
    let messages = mail.wait_for(3).await;
    assert_eq!(header(&messages[2], "To"), "au@example.org");
    assert!(header(&messages[2], "Subject").contains("Published: Spring"));

    // Both opt out: the author of publications, the editor of review requests.
    let profile = get_page(&author, &server.url("/admin/profile"), 200).await;
    assert!(profile.contains("name=\"own_published\""), "{profile}");
    assert!(
        !profile.contains("name=\"review_requests\" type=\"checkbox\""),
        "authors review nothing"
    );
    let saved = post_form(&author, &server, "/admin/profile/mail", &author_csrf, &[]).await;
    assert_eq!(saved.status(), 303);
    let saved = post_form(
        &editor,
        &server,
        "/admin/profile/mail",
        &editor_csrf,
        &[("own_published", "on")],
    )
    .await;
    assert_eq!(saved.status(), 303);
    let profile = get_page(&editor, &server.url("/admin/profile"), 200).await;
    let at = profile
        .find("id=\"review_requests\"")
        .expect("editors choose");
    let tag = &profile[at..at + profile[at..].find('>').unwrap()];
    assert!(!tag.contains("checked"), "{tag}");

    let second = submit("Summer").await;
    assert_eq!(
        save_post(&editor, &server, second, &[], "publish")
            .await
            .status(),
        303
    );
    submit("Autumn").await;
    // Mail goes out in order: anything for the opted-out would come before the last one.
    let messages = mail.wait_for(5).await;
    let rest: Vec<(&str, &str)> = messages[3..]
        .iter()
        .map(|m| (header(m, "To"), header(m, "Subject")))
        .collect();
    assert_eq!(
        rest,
        [
            (ADMIN, "Review requested: Summer"),
            (ADMIN, "Review requested: Autumn")
        ]
    );
}
