//! Browser checks of the admin on a phone (390×844) and in the dark colour scheme (issue #17).
//!
//! The menu collapses behind its button and opens again; list rows become cards that name
//! each cell; no admin or public page is wider than the phone; in the dark scheme the date
//! field and the other controls are dark and axe finds no serious or critical violation.
//! Screenshots go to target/shots/ for a person to look at.

use crate::browser::{PASSWORD, browser, browser_with_args, click, journey, log_in, tool};
use crate::common::{self, Backend, Server, Site};

use fantoccini::{Client, Locator, key::Key};
use serde_json::json;

const PHONE: (u32, u32) = (390, 844);

/// A long address without a break, in a post's text and as a media file's name.
const LONG: &str =
    "harbourpilotlogbookentriesfromthewinterofnineteenfiftythreetranscribedinfullwithnotes";

/// Every page type, filled: a published post with long unbroken addresses, a page, a tag, a
/// trashed post, an image with a very long file name and a document, an invitation.
struct Filled {
    _site: Site,
    server: Server,
    /// Admin and public paths worth checking (the audit log and trash have rows).
    pages: Vec<String>,
}

async fn filled_site() -> Filled {
    let site = Site::new(&Backend::Sqlite);
    site.create_user("admin@example.org", "Ada Admin", "admin", PASSWORD);
    site.create_user("author@example.org", "Ann Author", "author", PASSWORD);
    let server = site.start().await;
    let (http, csrf) = common::logged_in(&server, "admin@example.org", PASSWORD).await;

    let image_name = format!("{LONG}.png");
    let files: [(&str, &[u8]); 2] = [
        (&image_name, &common::png(900, 500)),
        ("menu.pdf", b"%PDF-1.4\n%%EOF\n"),
    ];
    let (status, uploaded) = common::upload_api(&http, &server, &csrf, &files).await;
    assert_eq!(status, 201, "{uploaded}");
    let image_id = uploaded["files"][0]["id"].as_i64().unwrap();
    let document_id = uploaded["files"][1]["id"].as_i64().unwrap();

    let body = format!(
        "See <https://example.org/{LONG}{LONG}> and https://example.org/{LONG}/{LONG}.\n\n\
         `{LONG}{LONG}`\n\n```\nlet the_line = \"{LONG}{LONG}\";\n```\n\n\
         | column | another |\n|---|---|\n| {LONG} | {LONG} |\n"
    );
    let post = common::write_post(
        &http,
        &server,
        &csrf,
        &[
            ("title", "Harbour walk"),
            ("body", &body),
            ("tags", "Travel"),
            ("action", "publish"),
        ],
    )
    .await;
    let gone = common::write_post(
        &http,
        &server,
        &csrf,
        &[
            ("title", "Thrown away"),
            ("body", "Soon in the trash."),
            ("action", "save"),
        ],
    )
    .await;
    let trashed = common::post_form(
        &http,
        &server,
        &format!("/admin/posts/{gone}/delete"),
        &csrf,
        &[],
    )
    .await;
    assert_eq!(trashed.status(), 303);
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
    let invited = common::post_form(
        &http,
        &server,
        "/admin/users/invite",
        &csrf,
        &[("email", "carl@example.org"), ("role", "contributor")],
    )
    .await;
    assert!(invited.status().is_success() || invited.status() == 303);
    let tags = common::get_page(&http, &server.url("/admin/tags"), 200).await;
    let tag_at = tags.find("href=\"/admin/tags/").expect("a tag") + "href=\"".len();
    let tag = &tags[tag_at..tag_at + tags[tag_at..].find('"').unwrap()];
    let author = site.user_id("author@example.org");

    let pages = [
        "/",
        "/harbour-walk",
        "/about",
        "/tag/travel",
        "/author/ada-admin",
        "/search?q=harbour",
        "/no-such-page",
        "/admin",
        "/admin/posts",
        "/admin/pages",
        "/admin/posts/new",
        &format!("/admin/posts/{post}/edit"),
        &format!("/admin/posts/{post}/revisions"),
        &format!("/admin/posts/{post}/delete"),
        "/admin/media",
        &format!("/admin/media/{image_id}"),
        &format!("/admin/media/{document_id}"),
        "/admin/users",
        "/admin/users/invite",
        &format!("/admin/users/{author}"),
        "/admin/tags",
        tag,
        "/admin/trash",
        "/admin/audit",
        "/admin/settings",
        "/admin/profile",
        "/admin/export",
        "/admin/import/wordpress",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    Filled {
        _site: site,
        server,
        pages,
    }
}

async fn phone_sized(client: &Client) {
    client.set_window_size(PHONE.0, PHONE.1).await.unwrap();
    let inner = client
        .execute("return window.innerWidth;", vec![])
        .await
        .unwrap();
    assert_eq!(inner, json!(PHONE.0), "the viewport is a phone's width");
}

async fn script(client: &Client, js: &str) -> serde_json::Value {
    client
        .execute(js, vec![])
        .await
        .unwrap_or_else(|e| panic!("{js}: {e}"))
}

/// Saves a screenshot of the viewport as target/shots/NAME.png.
async fn shot(client: &Client, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/shots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = client.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// The menu state as the page shows it: (aria-expanded, the button shown, the links shown).
async fn menu_state(client: &Client) -> (String, bool, bool) {
    let button = client.find(Locator::Css(".menu-toggle")).await.unwrap();
    let expanded = button
        .attr("aria-expanded")
        .await
        .unwrap()
        .unwrap_or_default();
    let settings = client
        .find(Locator::Css("#admin-nav a[href='/admin/settings']"))
        .await
        .unwrap();
    (
        expanded,
        button.is_displayed().await.unwrap(),
        settings.is_displayed().await.unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(folio_browser_tests),
    ignore = "set FOLIO_BROWSER_TESTS=1 (and install chromium, chromium-driver) to run the browser journeys"
)]
async fn on_a_phone_the_menu_collapses_and_lists_become_labelled_cards() {
    let Some(browser) = browser().await else {
        return;
    };
    let filled = filled_site().await;
    let server = &filled.server;
    journey("phone_menu", &browser, |client| async move {
        phone_sized(client).await;
        log_in(client, server, "admin@example.org").await;
        client.goto(&server.url("/admin/posts")).await.unwrap();

        // Collapsed: the header (site title and Menu) is one short row.
        assert_eq!(
            menu_state(client).await,
            ("false".into(), true, false),
            "collapsed at first"
        );
        let button = client.find(Locator::Css(".menu-toggle")).await.unwrap();
        assert_eq!(
            button.attr("aria-controls").await.unwrap().as_deref(),
            Some("admin-nav")
        );
        let header = script(
            client,
            "return document.querySelector('.admin-header').getBoundingClientRect().height;",
        )
        .await;
        assert!(header.as_f64().unwrap() <= 80.0, "header {header}px tall");
        shot(client, "phone-posts-menu-closed").await;

        // Open, then closed again.
        click(client, ".menu-toggle").await;
        assert_eq!(
            menu_state(client).await,
            ("true".into(), true, true),
            "opened"
        );
        shot(client, "phone-posts-menu-open").await;
        click(client, "#admin-nav a[href='/admin/tags']").await;
        assert_eq!(
            client.current_url().await.unwrap().path(),
            "/admin/tags",
            "a link in the open menu works"
        );
        click(client, ".menu-toggle").await;
        assert_eq!(menu_state(client).await.0, "true");
        click(client, ".menu-toggle").await;
        assert_eq!(
            menu_state(client).await,
            ("false".into(), true, false),
            "closed"
        );

        // Escape from a link in the open menu closes it and puts focus back on the button.
        click(client, ".menu-toggle").await;
        client
            .find(Locator::Css("#admin-nav a[href='/admin/media']"))
            .await
            .unwrap()
            .send_keys(&char::from(Key::Escape).to_string())
            .await
            .unwrap();
        assert_eq!(
            menu_state(client).await,
            ("false".into(), true, false),
            "Escape"
        );
        assert_eq!(
            script(client, "return document.activeElement.className;").await,
            json!("button menu-toggle")
        );

        // Each cell of a row names its column.
        client.goto(&server.url("/admin/posts")).await.unwrap();
        let labels = script(
            client,
            "const row = document.querySelector('.data-table tbody tr');
             return [...row.cells].map(c => getComputedStyle(c, '::before').content);",
        )
        .await;
        assert_eq!(
            labels,
            json!(["\"Title\"", "\"Author\"", "\"Status\"", "\"Last change\""]),
            "labels of the posts list's cells"
        );
        let display = script(
            client,
            "return getComputedStyle(document.querySelector('.data-table tr')).display;",
        )
        .await;
        assert_eq!(display, json!("block"), "a row is a card");

        // On a wide screen nothing changes: links in the header, a real table.
        client.set_window_size(1280, 1000).await.unwrap();
        client.refresh().await.unwrap();
        let (_, button_shown, links_shown) = menu_state(client).await;
        assert!(
            !button_shown && links_shown,
            "wide: no Menu button, the links shown"
        );
        let wide = script(
            client,
            "const cell = document.querySelector('.data-table tbody td');
             return [getComputedStyle(cell.closest('table')).display,
                     getComputedStyle(cell).display,
                     getComputedStyle(cell, '::before').content];",
        )
        .await;
        assert_eq!(wide, json!(["table", "table-cell", "none"]));
    })
    .await;
}

/// Without JavaScript there is no button to press, so the links must simply be there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(folio_browser_tests),
    ignore = "set FOLIO_BROWSER_TESTS=1 (and install chromium, chromium-driver) to run the browser journeys"
)]
async fn without_javascript_the_phone_menu_stays_open() {
    let Some(browser) = browser_with_args(&["--blink-settings=scriptEnabled=false"]).await else {
        return;
    };
    let filled = filled_site().await;
    let server = &filled.server;
    journey("phone_menu_no_js", &browser, |client| async move {
        client.set_window_size(PHONE.0, PHONE.1).await.unwrap();
        log_in(client, server, "admin@example.org").await;
        client.goto(&server.url("/admin/posts")).await.unwrap();
        let (_, button_shown, links_shown) = menu_state(client).await;
        assert!(
            !button_shown && links_shown,
            "no JavaScript: no dead button, the links shown"
        );
        // …in the phone layout (two columns of links), so the width did apply.
        let nav = client.find(Locator::Css("#admin-nav")).await.unwrap();
        assert_eq!(nav.css_value("display").await.unwrap(), "grid");
        assert_eq!(
            client
                .find(Locator::Css("html"))
                .await
                .unwrap()
                .attr("class")
                .await
                .unwrap(),
            None,
            "nav.js did not run"
        );
    })
    .await;
}

/// The elements that reach past the right edge, for the failure message.
const WIDER_THAN_THE_SCREEN: &str = "
    const width = window.innerWidth;
    if (document.documentElement.scrollWidth <= width) return [];
    return [...document.querySelectorAll('body *')]
      .filter(e => e.getBoundingClientRect().right > width + 0.5)
      .slice(0, 5)
      .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/ +/).join('.') : '') +
                ' right=' + Math.round(e.getBoundingClientRect().right))
      .concat(['scrollWidth=' + document.documentElement.scrollWidth]);";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(folio_browser_tests),
    ignore = "set FOLIO_BROWSER_TESTS=1 (and install chromium, chromium-driver) to run the browser journeys"
)]
async fn no_page_is_wider_than_a_phone() {
    let Some(browser) = browser().await else {
        return;
    };
    let filled = filled_site().await;
    let server = &filled.server;
    let pages = &filled.pages;
    journey("phone_widths", &browser, |client| async move {
        phone_sized(client).await;
        let mut wide = Vec::new();
        client.goto(&server.url("/admin/login")).await.unwrap();
        let login = script(client, WIDER_THAN_THE_SCREEN).await;
        if login != json!([]) {
            wide.push(format!("/admin/login: {login}"));
        }
        log_in(client, server, "admin@example.org").await;
        for path in pages {
            client.goto(&server.url(path)).await.unwrap();
            let found = script(client, WIDER_THAN_THE_SCREEN).await;
            if found != json!([]) {
                wide.push(format!("{path}: {found}"));
            }
            if path.starts_with("/admin/media/") || path.ends_with("/revisions") {
                let name = path.trim_start_matches('/').replace('/', "-");
                shot(client, &format!("phone-{name}")).await;
            }
            // With the menu open too.
            if client.find(Locator::Css(".menu-toggle")).await.is_ok() {
                click(client, ".menu-toggle").await;
                let found = script(client, WIDER_THAN_THE_SCREEN).await;
                if found != json!([]) {
                    wide.push(format!("{path} (menu open): {found}"));
                }
            }
        }
        assert!(
            wide.is_empty(),
            "pages wider than {}px:\n{}",
            PHONE.0,
            wide.join("\n")
        );
        // The check can fail: a planted wide element is found.
        client.goto(&server.url("/admin/posts")).await.unwrap();
        script(
            client,
            "const wide = document.createElement('div');
             wide.style.width = '600px';
             wide.textContent = 'Too wide';
             document.querySelector('main').append(wide);
             return 1;",
        )
        .await;
        assert_ne!(script(client, WIDER_THAN_THE_SCREEN).await, json!([]));
    })
    .await;
}

/// axe's serious and critical violations on the current page (as browser.rs's check).
async fn axe_violations(client: &Client, axe: &str) -> Vec<String> {
    const RUN_AXE: &str = "const done = arguments[arguments.length - 1];
        axe.run(document, { resultTypes: ['violations'] }).then(r => done(
          r.violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' at ' +
                 v.nodes.map(n => n.target.join(' ')).join(', '))));";
    client.execute(axe, vec![]).await.unwrap();
    let found = client.execute_async(RUN_AXE, vec![]).await.unwrap();
    found
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Form controls left white (or near it) although the page is dark. The accent-coloured
/// primary buttons are light blue on purpose, with dark text.
const LIGHT_CONTROLS: &str = "
    const white = c => {
      const m = c.match(/[\\d.]+/g);
      if (!m || (m.length > 3 && Number(m[3]) === 0)) return false;
      return Math.min(...m.slice(0, 3).map(Number)) > 200;
    };
    return [...document.querySelectorAll('input, select, textarea, button')]
      .filter(e => e.type !== 'hidden' && e.getClientRects().length > 0)
      .filter(e => white(getComputedStyle(e).backgroundColor))
      .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '[' + e.type + '] ' +
                getComputedStyle(e).backgroundColor);";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(folio_browser_tests),
    ignore = "set FOLIO_BROWSER_TESTS=1 (and install chromium, chromium-driver) to run the browser journeys"
)]
async fn dark_mode_has_dark_controls_and_passes_axe() {
    let Some(browser) = browser_with_args(&[
        "--force-dark-mode",
        "--blink-settings=preferredColorScheme=0",
    ])
    .await
    else {
        return;
    };
    let axe = std::fs::read_to_string(tool("axe-core/axe.min.js")).unwrap();
    let filled = filled_site().await;
    let server = &filled.server;
    let axe = &axe;
    journey("dark_mode", &browser, |client| async move {
        log_in(client, server, "admin@example.org").await;
        assert_eq!(
            script(
                client,
                "return matchMedia('(prefers-color-scheme: dark)').matches;"
            )
            .await,
            json!(true),
            "the browser prefers the dark scheme"
        );

        // The date and time field follows the scheme: dark field, dark picker.
        client.goto(&server.url("/admin/posts/new")).await.unwrap();
        let field = script(
            client,
            "const s = getComputedStyle(document.getElementById('publish_at'));
             return [s.colorScheme, s.backgroundColor];",
        )
        .await;
        assert!(
            field[0].as_str().unwrap().contains("dark"),
            "color-scheme of the date field: {field}"
        );
        assert_eq!(
            field[1],
            json!("rgb(22, 24, 28)"),
            "the date field's background"
        );

        // No control left white, on the admin pages with forms.
        let mut light = Vec::new();
        for path in [
            "/admin/posts/new",
            "/admin/posts",
            "/admin/media",
            "/admin/settings",
            "/admin/profile",
            "/admin/users/invite",
            "/admin/audit",
            "/admin/import/wordpress",
        ] {
            client.goto(&server.url(path)).await.unwrap();
            let found = script(client, LIGHT_CONTROLS).await;
            for control in found.as_array().unwrap() {
                light.push(format!("{path}: {control}"));
            }
        }
        assert!(
            light.is_empty(),
            "light controls in dark mode:\n{}",
            light.join("\n")
        );

        // axe, with contrast checked against the dark palette.
        let mut violations = Vec::new();
        for path in [
            "/admin",
            "/admin/posts",
            "/admin/posts/new",
            "/admin/media",
            "/admin/users",
            "/admin/settings",
            "/admin/audit",
            "/",
            "/harbour-walk",
            "/search?q=harbour",
        ] {
            client.goto(&server.url(path)).await.unwrap();
            for v in axe_violations(client, axe).await {
                violations.push(format!("{path}: {v}"));
            }
        }
        assert!(
            violations.is_empty(),
            "axe in dark mode:\n{}",
            violations.join("\n")
        );

        // On the phone too: the cards and the open menu, dark.
        phone_sized(client).await;
        client.goto(&server.url("/harbour-walk")).await.unwrap();
        shot(client, "phone-article-dark").await;
        let mut violations = axe_violations(client, axe).await;
        client.goto(&server.url("/admin/posts")).await.unwrap();
        click(client, ".menu-toggle").await;
        shot(client, "phone-posts-dark").await;
        violations.extend(axe_violations(client, axe).await);
        assert!(
            violations.is_empty(),
            "axe in dark mode on a phone:\n{}",
            violations.join("\n")
        );
        client.goto(&server.url("/admin/posts/new")).await.unwrap();
        shot(client, "phone-editor-dark").await;
    })
    .await;
}

/// The markup the phone layout relies on, over HTTP on both backends: the menu button
/// names the links it controls, nav.js is served, and list cells carry their labels.
async fn admin_pages_carry_the_phone_markup(backend: Backend) {
    let site = Site::new(&backend);
    site.create_user("admin@example.org", "Ada Admin", "admin", PASSWORD);
    let server = site.start().await;
    let (http, csrf) = common::logged_in(&server, "admin@example.org", PASSWORD).await;
    common::write_post(
        &http,
        &server,
        &csrf,
        &[("title", "Listed"), ("body", "Text."), ("action", "save")],
    )
    .await;
    let page = common::get_page(&http, &server.url("/admin/posts"), 200).await;
    assert!(
        page.contains(r#"<button type="button" class="button menu-toggle" aria-expanded="false" aria-controls="admin-nav">Menu</button>"#)
            && page.contains(r#"<nav class="admin-nav" id="admin-nav" aria-label="Admin">"#),
        "{page}"
    );
    assert!(page.contains(r#"<td data-label="Title">"#), "{page}");
    let at = page.find("/static/nav.js?v=").expect("nav.js linked");
    let src = &page[at..at + page[at..].find('"').unwrap()];
    let script = http.get(server.url(src)).send().await.unwrap();
    assert_eq!(script.status(), 200);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    assert!(script.text().await.unwrap().contains("has-menu"));
    for path in ["/admin/users", "/admin/audit"] {
        let page = common::get_page(&http, &server.url(path), 200).await;
        assert!(page.contains("<td data-label="), "{path}: {page}");
    }
}

on_both_backends!(admin_pages_carry_the_phone_markup);
