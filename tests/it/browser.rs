//! Browser journeys in a real headless Chromium (through chromedriver): first run, live
//! preview, autosave, the unsaved-changes prompt, uploading media, roles and review,
//! scheduling; and the HTML validity and accessibility checks of every page type.
//!
//! Runs when FOLIO_BROWSER_TESTS=1 was set at build time (build.rs; `bash .ci/run` installs
//! chromium and chromium-driver and sets it); otherwise each test is reported as ignored.
//! A failing journey leaves a screenshot in target/browser-screenshots/.

use crate::common;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Backend, Server, Site};
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;

pub(crate) const PASSWORD: &str = "correct horse battery staple";

pub(crate) struct Browser {
    pub(crate) client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) async fn browser() -> Option<Browser> {
    browser_with_args(&[]).await
}

/// [`browser`] with extra Chromium switches (e.g. `--force-dark-mode`).
pub(crate) async fn browser_with_args(extra: &[&str]) -> Option<Browser> {
    if std::env::var("FOLIO_BROWSER_TESTS").as_deref() != Ok("1") {
        eprintln!(
            "browser suite NOT RUN: set FOLIO_BROWSER_TESTS=1 with chromium and chromedriver installed (bash .ci/run does both)"
        );
        return None;
    }
    let port = free_port();
    let driver =
        Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver (apt-get install chromium-driver)");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let profile = tempfile::tempdir().unwrap();
    let mut capabilities = serde_json::json!({
        // Leave dialogs open (chromedriver accepts "leave this page?" by default) so the
        // tests can see and answer them.
        "unhandledPromptBehavior": { "default": "ignore", "beforeUnload": "ignore" },
        "goog:chromeOptions": {
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--window-size=1280,1000",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        },
    });
    if let Some(args) = capabilities["goog:chromeOptions"]["args"].as_array_mut() {
        args.extend(extra.iter().map(|arg| serde_json::json!(arg)));
    }
    let serde_json::Value::Object(capabilities) = capabilities else {
        unreachable!()
    };
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("open a Chromium session");
    Some(Browser {
        client,
        driver,
        _profile: profile,
    })
}

/// Runs a journey; on failure saves a screenshot and the page source, then fails.
pub(crate) async fn journey<'a, F, Fut>(name: &str, browser: &'a Browser, body: F)
where
    F: FnOnce(&'a Client) -> Fut,
    Fut: Future<Output = ()> + 'a,
{
    let outcome = AssertUnwindSafe(body(&browser.client)).catch_unwind().await;
    if let Err(panic) = outcome {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-screenshots");
        let _ = std::fs::create_dir_all(&dir);
        let _ = browser.client.accept_alert().await;
        if let Ok(png) = browser.client.screenshot().await {
            let _ = std::fs::write(dir.join(format!("{name}.png")), png);
        }
        if let Ok(html) = browser.client.source().await {
            let _ = std::fs::write(dir.join(format!("{name}.html")), html);
        }
        eprintln!("screenshot: {}", dir.join(format!("{name}.png")).display());
        std::panic::resume_unwind(panic);
    }
}

pub(crate) async fn log_in(client: &Client, server: &Server, email: &str) {
    client.goto(&server.url("/admin/login")).await.unwrap();
    client
        .find(Locator::Css("#email"))
        .await
        .unwrap()
        .send_keys(email)
        .await
        .unwrap();
    client
        .find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    client
        .find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Wait for the dashboard itself: the login page has an `h1` too, so waiting for any
    // heading raced the navigation when the machine was busy.
    eventually(client, "the dashboard after logging in", 15, |page| {
        page.contains("<h1>Dashboard</h1>")
    })
    .await;
}

/// Waits until `check` holds for the page, polling.
pub(crate) async fn eventually(
    client: &Client,
    what: &str,
    seconds: u64,
    check: impl Fn(&str) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        let source = client.source().await.unwrap_or_default();
        if check(&source) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub(crate) async fn body_value(client: &Client) -> String {
    client
        .find(Locator::Css("#body"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

pub(crate) async fn started_site() -> (Site, Server) {
    let site = Site::new(&Backend::Sqlite);
    site.create_user("author@example.org", "Ann Author", "author", PASSWORD);
    let server = site.start().await;
    (site, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(folio_browser_tests),
    ignore = "set FOLIO_BROWSER_TESTS=1 (and install chromium, chromium-driver) to run the browser journeys"
)]
async fn live_preview_shows_the_markdown_as_it_is_typed() {
    let Some(browser) = browser().await else {
        return;
    };
    let (_site, server) = started_site().await;
    journey("live_preview", &browser, |client| async move {
        log_in(client, &server, "author@example.org").await;
        client.goto(&server.url("/admin/posts/new")).await.unwrap();
        let body = client.find(Locator::Css("#body")).await.unwrap();
        body.send_keys("# Hello from Chromium\n\n- first item\n- second item\n")
            .await
            .unwrap();
        eventually(client, "the live preview", 10, |page| {
            page.contains("<h1 id=\"hello-from-chromium\">Hello from Chromium</h1>")
                && page.contains("<li>second item</li>")
        })
        .await;
        let pane = client.find(Locator::Css("#live-preview")).await.unwrap();
        assert!(
            pane.is_displayed().await.unwrap(),
            "the preview pane is visible"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(folio_browser_tests),
    ignore = "set FOLIO_BROWSER_TESTS=1 (and install chromium, chromium-driver) to run the browser journeys"
)]
async fn autosave_creates_the_draft_and_survives_a_reload() {
    let Some(browser) = browser().await else {
        return;
    };
    let (_site, server) = started_site().await;
    journey("autosave", &browser, |client| async move {
        log_in(client, &server, "author@example.org").await;
        client.goto(&server.url("/admin/posts/new")).await.unwrap();
        client
            .find(Locator::Css("#title"))
            .await
            .unwrap()
            .send_keys("Typed in the browser")
            .await
            .unwrap();
        client
            .find(Locator::Css("#body"))
            .await
            .unwrap()
            .send_keys("Words typed before any save.")
            .await
            .unwrap();
        eventually(client, "the first autosave", 15, |page| {
            page.contains("Draft created and saved")
        })
        .await;
        let url = client.current_url().await.unwrap();
        assert!(
            url.path().starts_with("/admin/posts/") && url.path().ends_with("/edit"),
            "{url}"
        );

        // Reloading shows the draft the autosave created.
        client.refresh().await.unwrap();
        assert_eq!(body_value(client).await, "Words typed before any save.");

        // Later changes go to the rolling autosave and are offered back after a reload.
        client
            .find(Locator::Css("#body"))
            .await
            .unwrap()
            .send_keys(" And more words.")
            .await
            .unwrap();
        eventually(client, "the next autosave", 15, |page| {
            page.contains("Changes autosaved")
        })
        .await;
        let _ = client.goto(url.as_str()).await;
        if client.get_alert_text().await.is_ok() {
            client.accept_alert().await.unwrap(); // "leave the page?" — yes, to test the offer
        }
        eventually(client, "the autosave offer", 10, |page| {
            page.contains("autosaved but not saved")
        })
        .await;
        client
            .find(Locator::LinkText("Restore them"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        eventually(client, "the restored text", 10, |page| {
            page.contains("And more words.")
        })
        .await;
        assert_eq!(
            body_value(client).await,
            "Words typed before any save. And more words."
        );

        // Save, publish, and read it on the public site.
        click(client, "button[value=save]").await;
        eventually(client, "the save", 10, |page| page.contains("Saved.")).await;
        click(client, "button[value=publish]").await;
        eventually(client, "publication", 10, |page| {
            page.contains("Published.")
        })
        .await;
        client
            .goto(&server.url("/typed-in-the-browser"))
            .await
            .unwrap();
        let page = client.source().await.unwrap();
        assert!(
            page.contains("<h1>Typed in the browser</h1>")
                && page.contains("Words typed before any save. And more words."),
            "{page}"
        );
    })
    .await;
}

/// WebDriver classic accepts "leave this page?" prompts by itself during navigation (the
/// spec says so, and chromedriver follows it), so the dialog can't be observed here. What
/// can: the page cancels a real `beforeunload` event while there are unsaved changes —
/// that is what makes the browser ask — and not when there are none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(folio_browser_tests),
    ignore = "set FOLIO_BROWSER_TESTS=1 (and install chromium, chromium-driver) to run the browser journeys"
)]
async fn leaving_with_unsaved_changes_asks_first() {
    let Some(browser) = browser().await else {
        return;
    };
    let (_site, server) = started_site().await;
    journey("unsaved_changes", &browser, |client| async move {
        const WOULD_ASK: &str = "const e = new Event('beforeunload', { cancelable: true }); \
             window.dispatchEvent(e); return e.defaultPrevented;";
        log_in(client, &server, "author@example.org").await;
        client.goto(&server.url("/admin/posts/new")).await.unwrap();
        client
            .wait()
            .for_element(Locator::Css("#body"))
            .await
            .unwrap();
        assert_eq!(
            client.execute(WOULD_ASK, vec![]).await.unwrap(),
            serde_json::json!(false),
            "nothing typed yet"
        );

        client
            .find(Locator::Css("#body"))
            .await
            .unwrap()
            .send_keys("Not saved yet")
            .await
            .unwrap();
        assert_eq!(
            client.execute(WOULD_ASK, vec![]).await.unwrap(),
            serde_json::json!(true),
            "typed: leaving asks first"
        );

        // Saving is leaving on purpose: no question.
        client
            .find(Locator::Css("#title"))
            .await
            .unwrap()
            .send_keys("Saved on purpose")
            .await
            .unwrap();
        client
            .find(Locator::Css("button[value=save]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        eventually(client, "the saved post", 10, |page| page.contains("Saved.")).await;
        assert_eq!(
            client.execute(WOULD_ASK, vec![]).await.unwrap(),
            serde_json::json!(false),
            "just saved"
        );
        assert_eq!(body_value(client).await, "Not saved yet");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(folio_browser_tests),
    ignore = "set FOLIO_BROWSER_TESTS=1 (and install chromium, chromium-driver) to run the browser journeys"
)]
async fn first_run_creates_the_administrator_from_the_setup_link() {
    let Some(browser) = browser().await else {
        return;
    };
    let site = Site::new(&Backend::Sqlite);
    let server = site.start().await;
    let setup = server.setup_url().expect("the server printed a setup link");
    journey("first_run", &browser, |client| async move {
        client.goto(&setup).await.unwrap();
        for (field, value) in [
            ("#email", "owner@example.org"),
            ("#name", "Olive Owner"),
            ("#password", PASSWORD),
            ("#password_confirmation", PASSWORD),
        ] {
            client
                .find(Locator::Css(field))
                .await
                .unwrap()
                .send_keys(value)
                .await
                .unwrap();
        }
        client
            .find(Locator::Css("button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        eventually(client, "the dashboard", 10, |page| {
            page.contains("<h1>Dashboard</h1>") || page.contains(">Dashboard</h1>")
        })
        .await;
        let url = client.current_url().await.unwrap();
        assert_eq!(url.path(), "/admin");
        let page = client.source().await.unwrap();
        assert!(page.contains("Olive Owner") && page.contains("admin"));
        // The site already has its welcome post.
        client.goto(&server.url("/")).await.unwrap();
        eventually(client, "the welcome post", 5, |page| {
            page.contains("Welcome to Folio")
        })
        .await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(folio_browser_tests),
    ignore = "set FOLIO_BROWSER_TESTS=1 (and install chromium, chromium-driver) to run the browser journeys"
)]
async fn an_uploaded_image_is_inserted_and_published_with_its_srcset() {
    let Some(browser) = browser().await else {
        return;
    };
    let (_site, server) = started_site().await;
    let fixture = tempfile::tempdir().unwrap();
    let photo = fixture.path().join("red-door.jpg");
    image::RgbImage::from_fn(1200, 800, |x, y| {
        image::Rgb([200, (x % 200) as u8, (y % 200) as u8])
    })
    .save(&photo)
    .unwrap();
    journey("media_upload", &browser, |client| async move {
        log_in(client, &server, "author@example.org").await;

        // Upload through the file input; the script sends it with a progress bar and
        // opens the new image's page to ask for its alt text.
        client.goto(&server.url("/admin/media")).await.unwrap();
        client
            .find(Locator::Css("#files"))
            .await
            .unwrap()
            .send_keys(&photo.display().to_string())
            .await
            .unwrap();
        client
            .find(Locator::Css("#upload-form button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let alt = client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css("#alt_text"))
            .await
            .unwrap();
        alt.send_keys("A red door").await.unwrap();
        client
            .find(Locator::Css("form.stacked-form button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        eventually(client, "the alt text saved", 10, |page| page.contains("was saved")).await;

        // Insert it into a new post from the editor's picker, then publish.
        client.goto(&server.url("/admin/posts/new")).await.unwrap();
        client
            .find(Locator::Css("#title"))
            .await
            .unwrap()
            .send_keys("A door in Lisbon")
            .await
            .unwrap();
        client
            .find(Locator::Css("#body"))
            .await
            .unwrap()
            .send_keys("Seen on a walk.")
            .await
            .unwrap();
        client
            .find(Locator::Css("#media-picker summary"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("#picker-results button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let body = body_value(client).await;
        assert!(
            body.starts_with("Seen on a walk.\n\n![A red door](/media/"),
            "{body}"
        );
        client
            .find(Locator::Css("button[value=publish]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        eventually(client, "publication", 10, |page| page.contains("Published.")).await;

        client.goto(&server.url("/a-door-in-lisbon")).await.unwrap();
        let img = client
            .find(Locator::Css(".prose img"))
            .await
            .unwrap();
        assert_eq!(img.attr("alt").await.unwrap().as_deref(), Some("A red door"));
        let srcset = img.attr("srcset").await.unwrap().unwrap_or_default();
        assert!(
            srcset.contains("-480.jpg 480w") && srcset.contains("-1200.jpg 1200w"),
            "{srcset}"
        );
        // The browser loaded one of the variants.
        let loaded: serde_json::Value = client
            .execute(
                "const i = document.querySelector('.prose img'); return i.complete && i.naturalWidth;",
                vec![],
            )
            .await
            .unwrap();
        assert!(loaded.as_u64().unwrap_or(0) >= 480, "{loaded}");
    })
    .await;
}

/// The checkers installed by `npm ci --prefix tests/tools` (`.ci/run` does it).
pub(crate) fn tool(path: &str) -> std::path::PathBuf {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/tools/node_modules")
        .join(path);
    assert!(
        full.exists(),
        "{} is missing: run `npm ci --prefix tests/tools` (bash .ci/run does)",
        full.display()
    );
    full
}

/// Every public and admin page type, filled with content: the Nu Html Checker must find
/// no error in the HTML the server sends, and axe-core (run in Chromium on the rendered
/// page) no violation of impact "serious" or "critical".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(folio_browser_tests),
    ignore = "set FOLIO_BROWSER_TESTS=1 (and install chromium, chromium-driver) to run the browser journeys"
)]
async fn every_page_type_is_valid_html_and_accessible() {
    let Some(browser) = browser().await else {
        return;
    };
    let vnu = tool("vnu-jar/build/dist/vnu.jar");
    let axe = std::fs::read_to_string(tool("axe-core/axe.min.js")).unwrap();
    let site = Site::new(&Backend::Sqlite);
    site.create_user("admin@example.org", "Ada Admin", "admin", PASSWORD);
    let server = site.start().await;

    // Content for every page type: a tagged post with a featured image and an image in
    // its text, a page, and a library with an image and a document.
    let (http, csrf) = common::logged_in(&server, "admin@example.org", PASSWORD).await;
    let mut photo = Vec::new();
    image::RgbImage::from_fn(800, 500, |x, _| image::Rgb([(x % 255) as u8, 90, 140]))
        .write_to(
            &mut std::io::Cursor::new(&mut photo),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    let files: [(&str, &[u8]); 2] = [("harbour.jpg", &photo), ("menu.pdf", b"%PDF-1.4\n%%EOF\n")];
    let (_, uploaded) = common::upload_api(&http, &server, &csrf, &files).await;
    let image_id = uploaded["files"][0]["id"].as_i64().unwrap().to_string();
    let image_url = uploaded["files"][0]["url"].as_str().unwrap().to_owned();
    common::post_form(
        &http,
        &server,
        &format!("/admin/media/{image_id}"),
        &csrf,
        &[("alt_text", "Boats in the harbour"), ("caption", "Morning")],
    )
    .await;
    let body = format!(
        "Intro with a [link](https://example.org).\n\n## Details\n\n![Boats at dawn]({image_url})\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```rust\nfn main() {{}}\n```\n"
    );
    let created = common::post_form(
        &http,
        &server,
        "/admin/posts",
        &csrf,
        &[
            ("title", "Harbour walk"),
            ("body", &body),
            ("tags", "Travel, Sea"),
            ("featured_media_id", &image_id),
            ("action", "publish"),
        ],
    )
    .await;
    assert_eq!(created.status(), 303);
    let edit = created.headers()["location"].to_str().unwrap().to_owned();
    // A second version, for the history and the comparison with marked words.
    let post_path = edit.trim_end_matches("/edit").to_owned();
    let post_id: i32 = post_path
        .trim_start_matches("/admin/posts/")
        .parse()
        .unwrap();
    let changed = common::save_post(
        &http,
        &server,
        post_id,
        &[("body", &body.replace("Intro with a", "An intro with one"))],
        "save",
    )
    .await;
    assert_eq!(changed.status(), 303);
    let page = common::post_form(
        &http,
        &server,
        "/admin/pages",
        &csrf,
        &[
            ("title", "About"),
            ("body", "About this site."),
            ("action", "publish"),
        ],
    )
    .await;
    assert_eq!(page.status(), 303);
    // A WordPress import, for its report page (with every section filled).
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/wordpress.xml");
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(std::fs::read(fixture).unwrap()).file_name("old.xml"),
    );
    let started = http
        .post(server.url(&format!("/admin/import/wordpress?csrf_token={csrf}")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 303);
    let import_report = started.headers()["location"].to_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let url = server.url(&import_report);
        let page = http.get(url).send().await.unwrap().text().await.unwrap();
        if page.contains("Done:") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the import did not finish: {page}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let pages: Vec<(&str, String)> = vec![
        ("home", "/".into()),
        ("article", "/harbour-walk".into()),
        ("page", "/about".into()),
        ("tag", "/tag/travel".into()),
        ("author", "/author/ada-admin".into()),
        ("search", "/search?q=harbour".into()),
        ("not-found", "/no-such-page".into()),
        ("dashboard", "/admin".into()),
        ("posts", "/admin/posts".into()),
        ("editor-new", "/admin/posts/new".into()),
        ("editor", edit.clone()),
        ("media", "/admin/media".into()),
        ("media-item", format!("/admin/media/{image_id}")),
        ("users", "/admin/users".into()),
        ("settings", "/admin/settings".into()),
        ("profile", "/admin/profile".into()),
        ("import", "/admin/import/wordpress".into()),
        ("import-report", import_report.clone()),
        ("revisions", format!("{post_path}/revisions")),
        ("compare", format!("{post_path}/compare")),
        ("tags", "/admin/tags".into()),
        ("tag-new", "/admin/tags/new".into()),
        ("audit", "/admin/audit".into()),
    ];

    // Nu Html Checker over the HTML as sent.
    let dir = tempfile::tempdir().unwrap();
    for (name, path) in &pages {
        let response = http.get(server.url(path)).send().await.unwrap();
        let expected = if *name == "not-found" { 404 } else { 200 };
        assert_eq!(response.status().as_u16(), expected, "{path}");
        std::fs::write(
            dir.path().join(format!("{name}.html")),
            response.text().await.unwrap(),
        )
        .unwrap();
    }
    let files: Vec<_> = pages
        .iter()
        .map(|(name, _)| dir.path().join(format!("{name}.html")))
        .collect();
    let output = Command::new("java")
        .arg("-jar")
        .arg(&vnu)
        .args(["--errors-only", "--format", "json", "--stdout"])
        .args(&files)
        .output()
        .expect("run java -jar vnu.jar (Java 11 or later)");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "vnu output: {e}: {}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    let errors: Vec<String> = report["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            format!(
                "{} line {}: {}",
                m["url"]
                    .as_str()
                    .unwrap_or_default()
                    .rsplit('/')
                    .next()
                    .unwrap_or_default(),
                m["lastLine"],
                m["message"].as_str().unwrap_or_default()
            )
        })
        .collect();
    assert!(
        errors.is_empty(),
        "Nu Html Checker errors:\n{}",
        errors.join("\n")
    );

    // axe-core in Chromium, logged in as the admin.
    let checked = pages.len();
    journey("accessibility", &browser, |client| async move {
        log_in(client, &server, "admin@example.org").await;
        const RUN_AXE: &str = "const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] }).then(r => done(
              r.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' at ' +
                     v.nodes.map(n => n.target.join(' ')).join(', '))));";
        // The checker itself: an image without alt text must be reported.
        client.goto(&server.url("/")).await.unwrap();
        client.execute(&axe, vec![]).await.unwrap();
        client
            .execute(
                "document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"/x.png\">')",
                vec![],
            )
            .await
            .unwrap();
        let planted = client.execute_async(RUN_AXE, vec![]).await.unwrap();
        assert!(planted.to_string().contains("image-alt"), "{planted}");

        let mut violations = Vec::new();
        for (name, path) in &pages {
            client.goto(&server.url(path)).await.unwrap();
            client.execute(&axe, vec![]).await.unwrap();
            let found = client.execute_async(RUN_AXE, vec![]).await.unwrap();
            for v in found.as_array().unwrap() {
                violations.push(format!("{name} ({path}): {}", v.as_str().unwrap()));
            }
        }
        assert!(
            violations.is_empty(),
            "axe violations:\n{}",
            violations.join("\n")
        );
    })
    .await;
    // For CI's summary (test output is captured when a test passes).
    let summary = format!(
        "quality checks: {checked} pages valid (Nu Html Checker), {checked} pages without serious or critical axe violations\n"
    );
    let target = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    let _ = std::fs::create_dir_all(&target);
    std::fs::write(target.join("quality-checks.txt"), &summary).unwrap();
    print!("{summary}");
}

pub(crate) async fn fill(client: &Client, css: &str, text: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .send_keys(text)
        .await
        .unwrap();
}

pub(crate) async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(folio_browser_tests),
    ignore = "set FOLIO_BROWSER_TESTS=1 (and install chromium, chromium-driver) to run the browser journeys"
)]
async fn an_invited_contributor_submits_and_an_editor_publishes() {
    let (Some(editor_browser), Some(contributor_browser)) = (browser().await, browser().await)
    else {
        return;
    };
    let site = Site::new(&Backend::Sqlite);
    site.create_user("editor@example.org", "Eve Editor", "editor", PASSWORD);
    let server = site.start().await;
    let server = &server;
    let contributor = &contributor_browser.client;

    journey("roles", &editor_browser, |editor| async move {
        // The editor invites a contributor.
        log_in(editor, server, "editor@example.org").await;
        editor
            .goto(&server.url("/admin/users/invite"))
            .await
            .unwrap();
        fill(editor, "#email", "carl@example.org").await;
        click(editor, "#role option[value=contributor]").await;
        click(editor, "form.stacked-form button[type=submit]").await;
        let link = editor
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("#link"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .unwrap();

        // In a second browser, the contributor accepts and writes.
        contributor.goto(&link).await.unwrap();
        fill(contributor, "#name", "Carl Contributor").await;
        fill(contributor, "#password", PASSWORD).await;
        fill(contributor, "#password_confirmation", PASSWORD).await;
        click(contributor, "form.stacked-form button[type=submit]").await;
        eventually(contributor, "the contributor's dashboard", 10, |page| {
            page.contains("Dashboard") && page.contains("Carl Contributor")
        })
        .await;
        let nav = contributor
            .find(Locator::Css("nav.admin-nav"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!nav.contains("Users") && !nav.contains("Settings"), "{nav}");
        for path in ["/admin/settings", "/admin/users"] {
            contributor.goto(&server.url(path)).await.unwrap();
            let page = contributor.source().await.unwrap();
            assert!(page.contains("403"), "{path}: {page}");
        }
        contributor
            .goto(&server.url("/admin/posts/new"))
            .await
            .unwrap();
        fill(contributor, "#title", "Notes from the new contributor").await;
        fill(contributor, "#body", "A first piece, for review.").await;
        assert!(
            contributor
                .find(Locator::Css("button[value=publish]"))
                .await
                .is_err(),
            "contributors can't publish"
        );
        click(contributor, "button[value=submit]").await;
        eventually(contributor, "the submission", 10, |page| {
            page.contains("Submitted for review")
        })
        .await;

        // The editor finds it in the review queue and publishes it.
        editor.goto(&server.url("/admin")).await.unwrap();
        let queued = editor
            .find(Locator::LinkText("Notes from the new contributor"))
            .await
            .expect("the post is in the review queue");
        queued.click().await.unwrap();
        click(editor, "button[value=publish]").await;
        eventually(editor, "publication", 10, |page| {
            page.contains("Published.")
        })
        .await;
        editor
            .goto(&server.url("/notes-from-the-new-contributor"))
            .await
            .unwrap();
        let page = editor.source().await.unwrap();
        assert!(
            page.contains("A first piece, for review.") && page.contains("Carl Contributor"),
            "{page}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(folio_browser_tests),
    ignore = "set FOLIO_BROWSER_TESTS=1 (and install chromium, chromium-driver) to run the browser journeys"
)]
async fn a_scheduled_post_appears_on_time_without_a_restart() {
    let Some(browser) = browser().await else {
        return;
    };
    let (_site, server) = started_site().await;
    journey("scheduling", &browser, |client| async move {
        log_in(client, &server, "author@example.org").await;
        client.goto(&server.url("/admin/posts/new")).await.unwrap();
        fill(client, "#title", "Right on time").await;
        fill(client, "#body", "Scheduled from the browser.").await;
        // The site's time zone is UTC; the field takes seconds too.
        let at = chrono::Utc::now() + chrono::Duration::seconds(5);
        client
            .execute(
                "document.getElementById('publish_at').value = arguments[0];",
                vec![serde_json::json!(
                    at.format("%Y-%m-%dT%H:%M:%S").to_string()
                )],
            )
            .await
            .unwrap();
        click(client, "button[value=schedule]").await;
        eventually(client, "the schedule", 10, |page| {
            page.contains("Scheduled for")
        })
        .await;

        client.goto(&server.url("/")).await.unwrap();
        assert!(
            !client.source().await.unwrap().contains("Right on time"),
            "not on the home page before its time"
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            client.goto(&server.url("/")).await.unwrap();
            if client.source().await.unwrap().contains("Right on time") {
                break;
            }
            assert!(Instant::now() < deadline, "the post never appeared");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        assert!(
            chrono::Utc::now() >= at,
            "it appeared at its time, not before"
        );
    })
    .await;
}
