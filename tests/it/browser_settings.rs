//! Browser journey of the settings page (issue #17): the accent colour's picker follows the
//! text field and back, and navigation rows are added and moved in place, then saved.

use crate::browser::{PASSWORD, browser, click, eventually, fill, journey, log_in};
use crate::common::{Backend, Site};
use fantoccini::{Client, Locator};

async fn script(client: &Client, js: &str) -> serde_json::Value {
    client.execute(js, vec![]).await.unwrap()
}

async fn value_of(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(folio_browser_tests),
    ignore = "set FOLIO_BROWSER_TESTS=1 (and install chromium, chromium-driver) to run the browser journeys"
)]
async fn an_admin_picks_a_colour_and_orders_the_navigation() {
    let Some(browser) = browser().await else {
        return;
    };
    let site = Site::new(&Backend::Sqlite);
    site.create_user("admin@example.org", "Ada Admin", "admin", PASSWORD);
    let server = site.start().await;
    let server = &server;

    journey("settings", &browser, |client| async move {
        log_in(client, server, "admin@example.org").await;
        client.goto(&server.url("/admin/settings")).await.unwrap();

        // The picker appears with JavaScript and follows the text field, and back.
        let picker = client.find(Locator::Css("#accent_picker")).await.unwrap();
        assert!(picker.is_displayed().await.unwrap());
        assert_eq!(value_of(client, "#accent_picker").await, "#2354c4");
        let text = client.find(Locator::Css("#accent_colour")).await.unwrap();
        text.clear().await.unwrap();
        text.send_keys("#A30").await.unwrap();
        assert_eq!(value_of(client, "#accent_picker").await, "#aa3300");
        script(
            client,
            "const p = document.getElementById('accent_picker'); p.value = '#117733'; \
             p.dispatchEvent(new Event('input', {bubbles: true}));",
        )
        .await;
        assert_eq!(value_of(client, "#accent_colour").await, "#117733");

        // Rows are added and moved in place: the page is not sent (the marker survives).
        script(client, "window.folioMarker = 1;").await;
        fill(client, "#nav_label_0", "About").await;
        fill(client, "#nav_url_0", "/about").await;
        click(client, "button[data-move=add]").await;
        let focused = script(client, "return document.activeElement.id;").await;
        assert_eq!(focused, "nav_label_1", "focus goes to the new row");
        fill(client, "#nav_label_1", "Shop").await;
        fill(client, "#nav_url_1", "/shop").await;
        click(client, "button[value='up-1']").await;
        assert_eq!(value_of(client, "#nav_label_0").await, "Shop");
        assert_eq!(value_of(client, "#nav_url_1").await, "/about");
        let focused = script(client, "return document.activeElement.value;").await;
        assert_eq!(focused, "down-0", "Up is now disabled, so focus takes Down");
        let status = script(
            client,
            "return document.getElementById('nav-status').textContent;",
        )
        .await;
        assert!(status.as_str().unwrap().contains("moved up"), "{status}");
        let label = script(
            client,
            "return document.querySelector('label[for=nav_label_1]').textContent;",
        )
        .await;
        assert_eq!(label, "Label of link 2", "labels renumbered");
        assert_eq!(script(client, "return window.folioMarker;").await, 1);

        click(client, ".settings-form button.primary").await;
        eventually(client, "the settings saved", 15, |page| {
            page.contains("Settings saved.")
        })
        .await;
        client.goto(&server.url("/")).await.unwrap();
        let home = client.source().await.unwrap();
        let (shop, about) = (home.find(">Shop<"), home.find(">About<"));
        assert!(shop.is_some() && shop < about, "saved in order: {home}");
        client.goto(&server.url("/site.css")).await.unwrap();
        let css = client.source().await.unwrap();
        assert!(css.contains("#117733"), "the picked colour applies: {css}");
    })
    .await;
}
