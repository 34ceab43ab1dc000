//! Browser journeys of the writing surface (issue #17): the preview beside the text, the
//! toolbar and shortcuts, saving with Ctrl/⌘+S, the word count and the View link.

use crate::browser::{browser, eventually, fill, journey, log_in, started_site};

use diesel::prelude::*;
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use folio::db::schema::posts;

/// Where an element is on the page: (left, top, right, bottom), in CSS pixels.
async fn rect(client: &Client, css: &str) -> (f64, f64, f64, f64) {
    let value = client
        .execute(
            "const r = document.querySelector(arguments[0]).getBoundingClientRect(); \
             return [r.left, r.top, r.right, r.bottom];",
            vec![serde_json::json!(css)],
        )
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    let n = |i: usize| value[i].as_f64().unwrap();
    (n(0), n(1), n(2), n(3))
}

async fn script(client: &Client, js: &str) -> serde_json::Value {
    client.execute(js, Vec::new()).await.unwrap()
}

async fn displayed(client: &Client, css: &str) -> bool {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .is_displayed()
        .await
        .unwrap()
}

async fn body_text(client: &Client) -> String {
    crate::browser::body_value(client).await
}

/// Keeps a screenshot for the report (target/shots/).
async fn keep_screenshot(client: &Client, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/shots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = client.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// Sets the size of the page's viewport (the window is a little larger than it).
async fn set_viewport(client: &Client, width: u32, height: u32) {
    client.set_window_size(width, height).await.unwrap();
    let inner = script(client, "return [window.innerWidth, window.innerHeight];").await;
    let (w, h) = (inner[0].as_u64().unwrap(), inner[1].as_u64().unwrap());
    client
        .set_window_size(2 * width - w as u32, 2 * height - h as u32)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(folio_browser_tests),
    ignore = "set FOLIO_BROWSER_TESTS=1 (and install chromium, chromium-driver) to run the browser journeys"
)]
async fn on_a_wide_screen_the_preview_sits_beside_the_text() {
    let Some(browser) = browser().await else {
        return;
    };
    let (_site, server) = started_site().await;
    journey("editor_wide", &browser, |client| async move {
        set_viewport(client, 1280, 900).await;
        log_in(client, &server, "author@example.org").await;
        client.goto(&server.url("/admin/posts/new")).await.unwrap();
        fill(client, "#title", "Side by side").await;
        let paragraph = "A harbour pilot comes aboard at dawn and takes the ship in. ".repeat(8);
        let text = format!("# Side by side\n\n{}\n\n", paragraph).repeat(6);
        script(
            client,
            &format!(
                "const b = document.getElementById('body'); b.value = {}; \
                 b.dispatchEvent(new Event('input'));",
                serde_json::json!(text)
            ),
        )
        .await;
        eventually(client, "the live preview", 10, |page| {
            page.contains("<h1 id=\"side-by-side\">Side by side</h1>")
        })
        .await;

        let text_box = rect(client, "#body").await;
        let preview = rect(client, "#live-preview").await;
        assert!(
            preview.0 >= text_box.2,
            "the preview is right of the text: {preview:?} / {text_box:?}"
        );
        assert!(
            preview.1 < text_box.3 && preview.3 > text_box.1,
            "side by side, not under: {preview:?} / {text_box:?}"
        );
        assert!(
            (preview.3 - text_box.3).abs() < 2.0,
            "as tall as the text area: {preview:?} / {text_box:?}"
        );
        assert!(
            !displayed(client, "button[data-view=preview]").await,
            "no toggle when both show"
        );
        // The preview keeps roughly in step with the text's scrolling.
        script(
            client,
            "const b = document.getElementById('body'); b.scrollTop = b.scrollHeight; \
             b.dispatchEvent(new Event('scroll'));",
        )
        .await;
        let at_end = script(
            client,
            "const p = document.getElementById('live-preview'); \
             return p.scrollHeight - p.clientHeight - p.scrollTop;",
        )
        .await;
        assert!(
            at_end.as_f64().unwrap() < 5.0,
            "scrolled to the end too: {at_end}"
        );
        script(client, "window.scrollTo(0, 0);").await;
        // Save and Publish are in view without scrolling.
        let height = script(client, "return window.innerHeight;")
            .await
            .as_f64()
            .unwrap();
        for button in ["button[value=save]", "button[value=publish]"] {
            let (_, top, _, bottom) = rect(client, button).await;
            assert!(
                top >= 0.0 && bottom <= height,
                "{button}: {top}..{bottom} of {height}"
            );
        }
        keep_screenshot(client, "editor-1280").await;

        // Tab goes title → toolbar (one stop) → text → the fields → the actions; the
        // preview, though beside the text, comes last.
        let focused = || async move {
            script(
                client,
                "const e = document.activeElement; \
                 return e.id || e.getAttribute('aria-label') || e.value || e.textContent;",
            )
            .await
        };
        client
            .find(Locator::Css("#title"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let mut order = Vec::new();
        for _ in 0..6 {
            client
                .active_element()
                .await
                .unwrap()
                .send_keys(&Key::Tab.to_string())
                .await
                .unwrap();
            order.push(focused().await);
        }
        assert_eq!(
            serde_json::Value::from(order),
            serde_json::json!(["Bold", "body", "Insert an image or file", "tags", "slug", "featured_media_id"]),
            "the Tab order"
        );
        let after = script(
            client,
            "const last = document.querySelector('button[value=publish]'); \
             const pane = document.getElementById('live-preview'); \
             const focusable = Array.from(document.querySelectorAll('#editor button, #editor input, #editor select, #editor textarea, #editor summary, #editor a, #editor [tabindex]')); \
             return [focusable.indexOf(pane) > focusable.indexOf(last), focusable[focusable.length - 1] === pane];",
        )
        .await;
        assert_eq!(after, serde_json::json!([true, true]), "the preview is the last stop");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(folio_browser_tests),
    ignore = "set FOLIO_BROWSER_TESTS=1 (and install chromium, chromium-driver) to run the browser journeys"
)]
async fn the_toolbar_shortcuts_and_ctrl_s_format_count_and_save_in_place() {
    let Some(browser) = browser().await else {
        return;
    };
    let (site, server) = started_site().await;
    journey("editor_keys", &browser, |client| async move {
        log_in(client, &server, "author@example.org").await;
        client.goto(&server.url("/admin/posts/new")).await.unwrap();
        fill(client, "#title", "Keys and buttons").await;
        fill(client, "#body", "Hello world").await;

        // The toolbar's Bold wraps the selection; undo takes it back.
        script(
            client,
            "const b = document.getElementById('body'); b.focus(); b.setSelectionRange(6, 11);",
        )
        .await;
        client
            .find(Locator::Css("#format-toolbar button[aria-label=Bold]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        assert_eq!(body_text(client).await, "Hello **world**");
        let selected = script(
            client,
            "const b = document.getElementById('body'); \
             return b.value.slice(b.selectionStart, b.selectionEnd);",
        )
        .await;
        assert_eq!(selected, "world", "the text stays selected");
        let body = client.find(Locator::Css("#body")).await.unwrap();
        body.send_keys(&(Key::Control + "z")).await.unwrap();
        assert_eq!(body_text(client).await, "Hello world", "undo");

        // Ctrl+I and Ctrl+K on the selection.
        script(
            client,
            "const b = document.getElementById('body'); b.setSelectionRange(0, 5);",
        )
        .await;
        body.send_keys(&(Key::Control + "i")).await.unwrap();
        assert_eq!(body_text(client).await, "_Hello_ world");
        script(
            client,
            "const b = document.getElementById('body'); b.setSelectionRange(8, 13);",
        )
        .await;
        body.send_keys(&(Key::Control + "k")).await.unwrap();
        body.send_keys("https://example.org").await.unwrap();
        assert_eq!(
            body_text(client).await,
            "_Hello_ [world](https://example.org)"
        );

        // The count follows the text.
        body.send_keys(&(Key::End + "\n\n- one more line"))
            .await
            .unwrap();
        eventually(client, "the word count", 10, |page| {
            page.contains(">5 words · 1 min read</p>")
        })
        .await;

        // Ctrl+S saves where you are: no new page; the post exists with the text.
        script(client, "window.stillHere = 'yes';").await;
        body.send_keys(&(Key::Control + "s")).await.unwrap();
        eventually(client, "the save", 10, |page| page.contains("Saved at ")).await;
        assert_eq!(
            script(client, "return window.stillHere || 'reloaded';").await,
            "yes"
        );
        let url = client.current_url().await.unwrap();
        assert!(url.path().ends_with("/edit"), "{url}");
        let (id, saved): (i32, String) = posts::table
            .filter(posts::title.eq("Keys and buttons"))
            .select((posts::id, posts::body_markdown))
            .first(&mut site.connect())
            .unwrap();
        assert_eq!(
            saved,
            "_Hello_ [world](https://example.org)\n\n- one more line"
        );
        let copies: i64 = posts::table
            .filter(posts::title.eq("Keys and buttons"))
            .count()
            .get_result(&mut site.connect())
            .unwrap();
        assert_eq!(
            copies, 1,
            "saved to the draft the autosave made, not a new one"
        );

        // Again, on the saved post: the version moved on, so this is no conflict.
        body.send_keys(" and more").await.unwrap();
        script(
            client,
            "document.getElementById('autosave-status').textContent = '';",
        )
        .await;
        body.send_keys(&(Key::Control + "s")).await.unwrap();
        eventually(client, "the second save", 10, |page| {
            page.contains("Saved at ")
        })
        .await;
        let saved: String = posts::table
            .find(id)
            .select(posts::body_markdown)
            .first(&mut site.connect())
            .unwrap();
        assert!(saved.ends_with("one more line and more"), "{saved}");
        assert_eq!(
            script(client, "return window.stillHere || 'reloaded';").await,
            "yes"
        );
        // Times are the site's 24-hour ones.
        let status = client
            .find(Locator::Css("#autosave-status"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            regex::Regex::new(r"^Saved at \d\d:\d\d\.$")
                .unwrap()
                .is_match(&status),
            "{status}"
        );
        // Tags: saved with the keys too; the field then offers the site's tags to
        // complete the last term.
        fill(client, "#tags", "Harbour, Night walks").await;
        script(
            client,
            "document.getElementById('autosave-status').textContent = '';",
        )
        .await;
        body.send_keys(&(Key::Control + "s")).await.unwrap();
        eventually(client, "the tags' save", 10, |page| {
            page.contains("Saved at ")
        })
        .await;
        client.refresh().await.unwrap();
        let tags = client.find(Locator::Css("#tags")).await.unwrap();
        tags.clear().await.unwrap();
        tags.send_keys("Night walks, h").await.unwrap();
        let offered = script(
            client,
            "return Array.from(document.querySelectorAll('#tag-suggestions option'), o => o.value);",
        )
        .await;
        assert_eq!(offered, serde_json::json!(["Night walks, Harbour"]));

    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(folio_browser_tests),
    ignore = "set FOLIO_BROWSER_TESTS=1 (and install chromium, chromium-driver) to run the browser journeys"
)]
async fn on_a_phone_write_and_preview_toggle_and_the_actions_stay_in_reach() {
    let Some(browser) = browser().await else {
        return;
    };
    let (_site, server) = started_site().await;
    journey("editor_phone", &browser, |client| async move {
        log_in(client, &server, "author@example.org").await;
        set_viewport(client, 390, 844).await;
        client.goto(&server.url("/admin/posts/new")).await.unwrap();
        fill(client, "#title", "From a phone").await;
        fill(client, "#body", "## Small screens\n\nTyped with thumbs.").await;

        // Write and Preview take turns.
        assert!(displayed(client, "button[data-view=write]").await);
        assert!(!displayed(client, "#live-preview").await);
        let pressed = |css: &'static str| async move {
            client
                .find(Locator::Css(css))
                .await
                .unwrap()
                .attr("aria-pressed")
                .await
                .unwrap()
        };
        assert_eq!(
            pressed("button[data-view=write]").await.as_deref(),
            Some("true")
        );
        client
            .find(Locator::Css("button[data-view=preview]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        eventually(client, "the preview", 10, |page| {
            page.contains("<h2 id=\"small-screens\">Small screens</h2>")
        })
        .await;
        assert!(displayed(client, "#live-preview").await);
        assert!(!displayed(client, "#body").await, "the text gives way");
        assert_eq!(
            pressed("button[data-view=preview]").await.as_deref(),
            Some("true")
        );
        assert_eq!(
            pressed("button[data-view=write]").await.as_deref(),
            Some("false")
        );
        assert!(
            client.current_url().await.unwrap().path().ends_with("/new"),
            "no page was loaded"
        );
        keep_screenshot(client, "editor-390-preview").await;
        client
            .find(Locator::Css("button[data-view=write]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        assert!(displayed(client, "#body").await);
        assert!(!displayed(client, "#live-preview").await);

        // Save and Publish are on screen at the top of the page, under the text's start.
        script(client, "window.scrollTo(0, 0);").await;
        let height = script(client, "return window.innerHeight;")
            .await
            .as_f64()
            .unwrap();
        let width = script(client, "return document.documentElement.clientWidth;")
            .await
            .as_f64()
            .unwrap();
        for button in ["button[value=save]", "button[value=publish]"] {
            let (left, top, right, bottom) = rect(client, button).await;
            assert!(
                top >= 0.0 && bottom <= height && left >= 0.0 && right <= width,
                "{button} in view: {top}..{bottom} of {height}"
            );
            assert!(displayed(client, button).await);
        }
        let bar = rect(client, "#editor-actions").await;
        assert!(
            (bar.3 - height).abs() < 1.0,
            "the bar sits at the bottom: {bar:?}"
        );
        // Nothing is left under the bar at the end of the page.
        let no_sideways = script(
            client,
            "return document.documentElement.scrollWidth <= document.documentElement.clientWidth;",
        )
        .await;
        assert_eq!(no_sideways, true, "no horizontal scrolling");
        script(
            client,
            "window.scrollTo(0, document.documentElement.scrollHeight);",
        )
        .await;
        let last = script(
            client,
            "const items = document.querySelectorAll('.editor-side > :not(.editor-actions)'); \
             return items[items.length - 1].getBoundingClientRect().bottom;",
        )
        .await
        .as_f64()
        .unwrap();
        let bar = rect(client, "#editor-actions").await;
        assert!(
            last <= bar.1,
            "the last field ends above the bar: {last} / {bar:?}"
        );
        script(client, "window.scrollTo(0, 0);").await;
        keep_screenshot(client, "editor-390").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(folio_browser_tests),
    ignore = "set FOLIO_BROWSER_TESTS=1 (and install chromium, chromium-driver) to run the browser journeys"
)]
async fn after_publishing_the_view_links_lead_to_the_public_post() {
    let Some(browser) = browser().await else {
        return;
    };
    let (_site, server) = started_site().await;
    journey("editor_view_link", &browser, |client| async move {
        log_in(client, &server, "author@example.org").await;
        client.goto(&server.url("/admin/posts/new")).await.unwrap();
        fill(client, "#title", "Harbour lights").await;
        fill(client, "#body", "The lights come on at dusk.").await;
        assert!(
            client.find(Locator::Css(".view-link")).await.is_err(),
            "no View link while a draft"
        );
        client
            .find(Locator::Css("button[name=action][value=publish]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        eventually(client, "the publish confirmation", 15, |page| {
            page.contains("class=\"flash\"") && page.contains(">View post</a>")
        })
        .await;
        // The flash message's link, then the editor's button, lead to the public page.
        client
            .find(Locator::Css(".flash a"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        eventually(client, "the public post", 15, |page| {
            page.contains("The lights come on at dusk.") && !page.contains("class=\"flash\"")
        })
        .await;
        let url = client.current_url().await.unwrap();
        assert_eq!(url.path(), "/harbour-lights");
        client.back().await.unwrap();
        let href = script(client, "return document.querySelector('.editor .view-link').getAttribute('href');").await;
        assert_eq!(href, "/harbour-lights");
        // The posts list links to it too.
        client.goto(&server.url("/admin/posts")).await.unwrap();
        let listed = script(
            client,
            "return [...document.querySelectorAll('.data-table a.view-link')].map(a => a.getAttribute('href'));",
        )
        .await;
        assert_eq!(listed, serde_json::json!(["/harbour-lights"]));
    })
    .await;
}
