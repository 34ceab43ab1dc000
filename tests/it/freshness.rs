//! Freshness across processes: a change made through one `folio serve`, or by a CLI command
//! against the same database, shows on another running node within 2 s, although that node
//! had the old page in its cache (the change counter of `folio::freshness`). Each test
//! prints how long the other node took.

use std::time::{Duration, Instant};

use crate::common;

use common::{
    Backend, Server, Site, client, get_page, logged_in, post_form, save_post, write_post,
};

on_both_backends!(
    changes_made_on_one_node_show_on_another_within_two_seconds,
    a_command_line_import_shows_on_a_running_node,
    a_post_scheduled_on_one_node_appears_on_another_at_its_time,
);

const PASSWORD: &str = "correct horse battery staple";
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/wordpress.xml");

/// How long a test waits for another node to show a change: the goal is 2 s (the poll
/// interval is 0.5 s); the old 10 s page lifetime would miss this.
const DEADLINE: Duration = Duration::from_secs(3);

/// GETs `path` until it comes from `node`'s page cache, so a test knows the old page is
/// cached there before it changes anything.
async fn cached(node: &Server, path: &str) -> String {
    for _ in 0..5 {
        let response = client().get(node.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        let hit = response
            .headers()
            .get("x-cache")
            .is_some_and(|v| v == "HIT");
        let body = response.text().await.unwrap();
        if hit {
            return body;
        }
    }
    panic!("{path} is not served from the page cache");
}

/// Polls `path` on `node` until `shows` holds for the status and body; returns how long
/// that took after `since`, and prints it.
async fn shows_within(
    node: &Server,
    path: &str,
    what: &str,
    since: Instant,
    shows: impl Fn(u16, &str) -> bool,
) -> Duration {
    let http = client();
    loop {
        let response = http.get(node.url(path)).send().await.unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        if shows(status, &body) {
            let took = since.elapsed();
            eprintln!("freshness: {what} showed on the other node after {took:?}");
            return took;
        }
        assert!(
            since.elapsed() < DEADLINE,
            "{what}: {path} still {status} without the change after {DEADLINE:?}:\n{body}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn settings_form(title: &str) -> Vec<(&str, &str)> {
    vec![
        ("title", title),
        ("description", "Engines and poetry."),
        ("accent_colour", "#AA3300"),
        ("posts_per_page", "5"),
        ("time_zone", "UTC"),
        ("navigation", ""),
        ("footer", ""),
        ("custom_css", ""),
        ("feed_content", "excerpt"),
    ]
}

async fn changes_made_on_one_node_show_on_another_within_two_seconds(backend: Backend) {
    let site = Site::new(&backend);
    site.create_user("ada@example.org", "Ada", "admin", PASSWORD);
    let a = site.start().await;
    let b = site.start().await;
    let (admin, csrf) = logged_in(&a, "ada@example.org", PASSWORD).await;

    // Publish on A: B's cached home page lists it.
    assert!(!cached(&b, "/").await.contains("Fresh news"));
    let id = write_post(
        &admin,
        &a,
        &csrf,
        &[
            ("title", "Fresh news"),
            ("body", "Hot."),
            ("action", "publish"),
        ],
    )
    .await;
    let published = Instant::now();
    shows_within(&b, "/", "a publish (home page)", published, |s, body| {
        s == 200 && body.contains("Fresh news")
    })
    .await;

    // Edit on A: B's cached article and feed follow.
    assert!(cached(&b, "/fresh-news").await.contains("Fresh news"));
    assert!(cached(&b, "/feed.xml").await.contains("Fresh news"));
    let saved = save_post(&admin, &a, id, &[("title", "Fresher news")], "save").await;
    assert_eq!(saved.status(), 303);
    let edited = Instant::now();
    shows_within(&b, "/fresh-news", "an edit (article)", edited, |s, body| {
        s == 200 && body.contains("Fresher news")
    })
    .await;
    shows_within(&b, "/feed.xml", "an edit (feed)", edited, |s, body| {
        s == 200 && body.contains("Fresher news")
    })
    .await;

    // Unpublish on A: gone from B's cached article and home page.
    assert!(cached(&b, "/fresh-news").await.contains("Fresher news"));
    assert!(cached(&b, "/").await.contains("Fresher news"));
    let unpublished = save_post(&admin, &a, id, &[], "unpublish").await;
    assert_eq!(unpublished.status(), 303);
    let since = Instant::now();
    shows_within(
        &b,
        "/fresh-news",
        "an unpublish (article)",
        since,
        |s, _| s == 404,
    )
    .await;
    shows_within(&b, "/", "an unpublish (home page)", since, |s, body| {
        s == 200 && !body.contains("Fresher news")
    })
    .await;

    // A settings change on A: B's pages carry the new site title.
    assert!(!cached(&b, "/").await.contains("Harbour Gazette"));
    let saved = post_form(
        &admin,
        &a,
        "/admin/settings",
        &csrf,
        &settings_form("Harbour Gazette"),
    )
    .await;
    assert_eq!(saved.status(), 303);
    shows_within(&b, "/", "a settings change", Instant::now(), |s, body| {
        s == 200 && body.contains("Harbour Gazette")
    })
    .await;
}

async fn a_command_line_import_shows_on_a_running_node(backend: Backend) {
    let site = Site::new(&backend);
    site.create_user("ada@example.org", "Ada", "admin", PASSWORD);
    let node = site.start().await;
    assert!(!cached(&node, "/").await.contains("Hello world, again"));

    let site = std::sync::Arc::new(site);
    let importer = std::sync::Arc::clone(&site);
    let out =
        tokio::task::spawn_blocking(move || importer.cli(&["import-wordpress", FIXTURE], None))
            .await
            .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    shows_within(
        &node,
        "/",
        "a `folio import-wordpress`",
        Instant::now(),
        |s, body| s == 200 && body.contains("Hello world, again"),
    )
    .await;
    drop(node);
}

async fn a_post_scheduled_on_one_node_appears_on_another_at_its_time(backend: Backend) {
    let site = Site::new(&backend);
    site.create_user("ada@example.org", "Ada", "admin", PASSWORD);
    // Time moves on the servers' clock only (both follow the same file).
    let clock = site.test_clock();
    let a = site.start_with(&[clock.env()]).await;
    let b = site.start_with(&[clock.env()]).await;
    let (admin, csrf) = logged_in(&a, "ada@example.org", PASSWORD).await;
    let id = write_post(
        &admin,
        &a,
        &csrf,
        &[
            ("title", "Later news"),
            ("body", "Soon."),
            ("action", "save"),
        ],
    )
    .await;
    assert!(!cached(&b, "/").await.contains("Later news"));

    let due = (chrono::Utc::now() + chrono::TimeDelta::minutes(5))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let scheduled = save_post(&admin, &a, id, &[("publish_at", &due)], "schedule").await;
    assert_eq!(scheduled.status(), 303);
    assert!(
        !get_page(&client(), &b.url("/"), 200)
            .await
            .contains("Later news")
    );

    clock.advance(Duration::from_secs(10 * 60));
    shows_within(
        &b,
        "/",
        "a scheduled post falling due",
        Instant::now(),
        |s, body| s == 200 && body.contains("Later news"),
    )
    .await;
}

/// On PostgreSQL the counter is bumped at commit: a long transaction that wrote to a
/// watched table (a big import) doesn't hold the counter's row lock while it runs, so other
/// writers go on, and other nodes see their changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(folio_test_postgres),
    ignore = "set FOLIO_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1/postgres) to run the PostgreSQL half"
)]
async fn a_long_transaction_does_not_hold_up_other_writers_on_postgres() {
    use diesel::connection::SimpleConnection;

    let site = Site::new(&Backend::postgres());
    site.create_user("ada@example.org", "Ada", "admin", PASSWORD);
    let a = site.start().await;
    let b = site.start().await;
    let (admin, csrf) = logged_in(&a, "ada@example.org", PASSWORD).await;
    let counter =
        |conn: &mut folio::db::DbConnection| folio::store::changes::counter(conn).unwrap();
    let mut importer = site.connect();
    let before = counter(&mut importer);
    importer
        .batch_execute(
            "BEGIN; INSERT INTO tags (name, slug, description, created_at) \
             VALUES ('Long', 'long', '', '2026-01-01 00:00:00')",
        )
        .unwrap();

    assert!(!cached(&b, "/").await.contains("Meanwhile"));
    let published = tokio::time::timeout(
        Duration::from_secs(10),
        write_post(
            &admin,
            &a,
            &csrf,
            &[
                ("title", "Meanwhile"),
                ("body", "Still going."),
                ("action", "publish"),
            ],
        ),
    )
    .await;
    assert!(
        published.is_ok(),
        "the publish waited for the open transaction"
    );
    shows_within(
        &b,
        "/",
        "a publish during a long transaction",
        Instant::now(),
        |s, body| s == 200 && body.contains("Meanwhile"),
    )
    .await;

    let mut other = site.connect();
    let meanwhile = counter(&mut other);
    assert!(
        meanwhile > before,
        "the publish counted while the other was open"
    );
    importer.batch_execute("COMMIT").unwrap();
    assert_eq!(
        counter(&mut other),
        meanwhile + 1,
        "the long transaction counted once, at its commit"
    );
}
