//! A cluster: three (or two) real `folio serve` processes on one database, one data
//! directory (so one media directory and one session key). What is done through one node —
//! a login, a publish, an edit, an unpublish, a trash, a settings change, an upload, a
//! disable, a "log out everywhere", a password change — or by a CLI command against the
//! live database, shows on the others within 2 s, although their pages were cached first;
//! a scheduled post appears on every node within 2 s of its time.
//!
//! Each check prints how long it took (`cluster: …`), and each test its median and maximum,
//! so the figures can be collected from `cargo test --test it -- cluster:: --nocapture`.

use std::time::{Duration, Instant};

use chrono::Timelike;
use futures_util::future::join_all;

use crate::common;

use common::{
    Backend, Server, Site, client, log_in, logged_in, png, post_form, save_post, upload_api,
    write_post,
};

on_both_backends!(
    a_session_made_on_one_node_lives_and_ends_on_every_node,
    content_changes_on_one_node_show_on_every_other_node,
    a_scheduled_post_appears_on_every_node_at_its_time,
    an_upload_through_one_node_is_served_by_another,
    command_line_user_changes_reach_running_nodes,
);

const PASSWORD: &str = "correct horse battery staple";
const ADA: &str = "ada@example.org";

/// The bound: another node shows a change within 2 s of it (the poll interval is
/// 0.5 s).
const DEADLINE: Duration = Duration::from_secs(2);

/// A node of the cluster and the name the figures give it.
type Node<'a> = (&'static str, &'a Server);

/// What a page must look like once the change shows: a test on its status and body.
type Shows<'a> = &'a (dyn Fn(u16, &str) -> bool + Sync);

/// The figures of one test: how long each check took.
struct Timings {
    test: &'static str,
    took: Vec<Duration>,
}

impl Timings {
    fn new(test: &'static str) -> Self {
        Self {
            test,
            took: Vec::new(),
        }
    }

    /// Prints the median and maximum over the test's checks.
    fn report(mut self) {
        self.took.sort();
        let (Some(median), Some(max)) = (self.took.get(self.took.len() / 2), self.took.last())
        else {
            return;
        };
        eprintln!(
            "cluster: {}: {} checks, median {median:?}, max {max:?}",
            self.test,
            self.took.len()
        );
    }
}

/// Starts `count` nodes on the site at once (its migrations have run: a user exists).
async fn start_nodes(site: &Site, count: usize, env: &[(&str, &str)]) -> Vec<Server> {
    join_all((0..count).map(|_| site.start_with(env))).await
}

/// GETs `path` on `node` until it comes from the node's page cache, so the test knows the
/// old page is cached there before it changes anything; returns the cached body.
async fn cached((name, node): Node<'_>, path: &str) -> String {
    for _ in 0..5 {
        let response = client().get(node.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "GET {path} on {name}");
        let hit = response
            .headers()
            .get("x-cache")
            .is_some_and(|v| v == "HIT");
        let body = response.text().await.unwrap();
        if hit {
            return body;
        }
    }
    panic!("{path} is not served from {name}'s page cache");
}

/// Caches every path on every node; returns the cached bodies.
async fn cache_everywhere(nodes: &[Node<'_>], paths: &[&str]) -> Vec<String> {
    join_all(
        nodes
            .iter()
            .flat_map(|node| paths.iter().map(move |path| cached(*node, path))),
    )
    .await
}

/// Polls `path` on `node` until `shows` holds; returns how long that took after `since`,
/// and prints it. Fails past the deadline.
async fn shows_within(
    (name, node): Node<'_>,
    path: &str,
    what: &str,
    since: Instant,
    shows: Shows<'_>,
) -> Duration {
    let http = client();
    loop {
        let response = http.get(node.url(path)).send().await.unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        if shows(status, &body) {
            let took = since.elapsed();
            eprintln!("cluster: {what} showed on {name}'s {path} after {took:?}");
            return took;
        }
        assert!(
            since.elapsed() < DEADLINE,
            "{what}: {path} on {name} still {status} without the change after {DEADLINE:?}:\n{body}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every check on every node, polled concurrently.
async fn everywhere(
    timings: &mut Timings,
    nodes: &[Node<'_>],
    what: &str,
    since: Instant,
    checks: &[(&str, Shows<'_>)],
) {
    let polls = nodes.iter().flat_map(|node| {
        checks
            .iter()
            .map(move |(path, shows)| shows_within(*node, path, what, since, *shows))
    });
    timings.took.extend(join_all(polls).await);
}

/// Polls `/admin` with `session` on `node` until it is sent to log in (the session is
/// over); returns how long that took after `since`.
async fn session_ends_within(
    (name, node): Node<'_>,
    session: &reqwest::Client,
    what: &str,
    since: Instant,
) -> Duration {
    loop {
        let status = session
            .get(node.url("/admin"))
            .send()
            .await
            .unwrap()
            .status();
        if status == 303 {
            let took = since.elapsed();
            eprintln!("cluster: {what} ended the session on {name} after {took:?}");
            return took;
        }
        assert_eq!(status, 200, "/admin on {name}");
        assert!(
            since.elapsed() < DEADLINE,
            "{what}: the session still works on {name} after {DEADLINE:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn admin_status(session: &reqwest::Client, (_, node): Node<'_>) -> u16 {
    session
        .get(node.url("/admin"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The CSRF token the session has on `node`.
async fn csrf_on(session: &reqwest::Client, (_, node): Node<'_>) -> String {
    let answer: serde_json::Value = session
        .get(node.url("/api/admin/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["csrf_token"].as_str().unwrap().to_owned()
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

async fn a_session_made_on_one_node_lives_and_ends_on_every_node(backend: Backend) {
    let mut timings = Timings::new("sessions");
    let site = Site::new(&backend);
    site.create_user(ADA, "Ada", "admin", PASSWORD);
    site.create_user("bob@example.org", "Bob", "author", PASSWORD);
    let servers = start_nodes(&site, 3, &[]).await;
    let [a, b, c] = [("A", &servers[0]), ("B", &servers[1]), ("C", &servers[2])];

    // A login on A: its cookie (the client's jar sends it to every port of 127.0.0.1) is a
    // session on B and C, with the same CSRF token, which B accepts on a form.
    let (ada, csrf) = logged_in(a.1, ADA, PASSWORD).await;
    for node in [b, c] {
        assert_eq!(
            admin_status(&ada, node).await,
            200,
            "A's session on {}",
            node.0
        );
        assert_eq!(
            csrf_on(&ada, node).await,
            csrf,
            "the CSRF token on {}",
            node.0
        );
        assert_eq!(
            admin_status(&client(), node).await,
            303,
            "no cookie, no session"
        );
    }
    let draft = post_form(
        &ada,
        b.1,
        "/admin/posts",
        &csrf,
        &[("title", "Written on B"), ("action", "save")],
    )
    .await;
    assert_eq!(draft.status(), 303, "B takes A's CSRF token");

    // Ada disables Bob on A: Bob's session, made on A and used on B and C, ends there.
    let (bob, _) = logged_in(a.1, "bob@example.org", PASSWORD).await;
    assert_eq!(admin_status(&bob, b).await, 200);
    let bob_id = site.user_id("bob@example.org");
    let disabled = post_form(
        &ada,
        a.1,
        &format!("/admin/users/{bob_id}/disable"),
        &csrf,
        &[],
    )
    .await;
    assert_eq!(disabled.status(), 303);
    let since = Instant::now();
    timings
        .took
        .push(session_ends_within(b, &bob, "a disable on A", since).await);
    let refused = log_in(&client(), c.1, "bob@example.org", PASSWORD).await;
    assert!(refused.text().await.unwrap().contains("disabled"));

    // "Log out everywhere" on A ends Ada's sessions made on B and C, on every node.
    let (on_b, _) = logged_in(b.1, ADA, PASSWORD).await;
    let (on_c, _) = logged_in(c.1, ADA, PASSWORD).await;
    let out = post_form(&ada, a.1, "/admin/profile/logout-everywhere", &csrf, &[]).await;
    assert_eq!(out.status(), 303);
    let since = Instant::now();
    timings.took.extend(
        join_all([
            session_ends_within(b, &on_b, "a log out everywhere on A", since),
            session_ends_within(a, &on_c, "a log out everywhere on A", since),
        ])
        .await,
    );
    assert_eq!(admin_status(&ada, c).await, 303, "here too");

    // A password change on A ends her session made on C, on B; the session that changed it
    // goes on, on B as well.
    let (ada, csrf) = logged_in(a.1, ADA, PASSWORD).await;
    let (on_c, _) = logged_in(c.1, ADA, PASSWORD).await;
    assert_eq!(admin_status(&on_c, b).await, 200);
    let changed = post_form(
        &ada,
        a.1,
        "/admin/profile/password",
        &csrf,
        &[
            ("current_password", PASSWORD),
            ("new_password", "another good password"),
            ("new_password_confirmation", "another good password"),
        ],
    )
    .await;
    assert_eq!(changed.status(), 303);
    let since = Instant::now();
    timings
        .took
        .push(session_ends_within(b, &on_c, "a password change on A", since).await);
    assert_eq!(
        admin_status(&ada, b).await,
        200,
        "the changing session goes on"
    );
    assert_eq!(
        log_in(&client(), c.1, ADA, "another good password")
            .await
            .status(),
        303
    );
    timings.report();
}

async fn content_changes_on_one_node_show_on_every_other_node(backend: Backend) {
    let mut timings = Timings::new("content");
    let site = Site::new(&backend);
    site.create_user(ADA, "Ada", "admin", PASSWORD);
    let servers = start_nodes(&site, 3, &[]).await;
    let a = ("A", &servers[0]);
    let others = [("B", &servers[1]), ("C", &servers[2])];
    let (admin, csrf) = logged_in(a.1, ADA, PASSWORD).await;
    // A post that stays, so the site's pages are not empty.
    write_post(
        &admin,
        a.1,
        &csrf,
        &[
            ("title", "Standing post"),
            ("body", "Here to stay."),
            ("action", "publish"),
        ],
    )
    .await;

    // A publish on A: B's and C's cached home, feed and sitemap list it; its page shows.
    cache_everywhere(&others, &["/", "/feed.xml", "/sitemap.xml"]).await;
    let id = write_post(
        &admin,
        a.1,
        &csrf,
        &[
            ("title", "Fresh news"),
            ("body", "Hot."),
            ("action", "publish"),
        ],
    )
    .await;
    let listed = |s: u16, body: &str| s == 200 && body.contains("Fresh news");
    let linked = |s: u16, body: &str| s == 200 && body.contains("/fresh-news");
    everywhere(
        &mut timings,
        &others,
        "a publish on A",
        Instant::now(),
        &[
            ("/", &listed),
            ("/fresh-news", &listed),
            ("/feed.xml", &listed),
            ("/sitemap.xml", &linked),
        ],
    )
    .await;

    // An edit on A (title and address): the cached article, home, feed and sitemap follow;
    // the old address no longer shows the old article.
    for body in cache_everywhere(&others, &["/", "/fresh-news", "/feed.xml", "/sitemap.xml"]).await
    {
        assert!(
            body.contains("fresh-news"),
            "cached before the edit:\n{body}"
        );
    }
    let saved = save_post(
        &admin,
        a.1,
        id,
        &[("title", "Fresher news"), ("slug", "fresher-news")],
        "save",
    )
    .await;
    assert_eq!(saved.status(), 303);
    let retitled = |s: u16, body: &str| s == 200 && body.contains("Fresher news");
    let moved = |s: u16, body: &str| s != 200 || !body.contains("Fresh news");
    let relinked = |s: u16, body: &str| {
        s == 200 && body.contains("/fresher-news") && !body.contains("/fresh-news<")
    };
    everywhere(
        &mut timings,
        &others,
        "an edit on A",
        Instant::now(),
        &[
            ("/", &retitled),
            ("/fresher-news", &retitled),
            ("/fresh-news", &moved),
            ("/feed.xml", &retitled),
            ("/sitemap.xml", &relinked),
        ],
    )
    .await;

    // An unpublish on A: gone from every cached page.
    let pages = ["/", "/fresher-news", "/feed.xml", "/sitemap.xml"];
    for body in cache_everywhere(&others, &pages).await {
        assert!(
            body.contains("fresher-news"),
            "cached before the unpublish:\n{body}"
        );
    }
    let unpublished = save_post(&admin, a.1, id, &[], "unpublish").await;
    assert_eq!(unpublished.status(), 303);
    let unlisted = |s: u16, body: &str| {
        s == 200 && !body.contains("fresher-news") && !body.contains("Fresher news")
    };
    let gone = |s: u16, _: &str| s == 404;
    let gone_checks: [(&str, Shows<'_>); 4] = [
        ("/", &unlisted),
        ("/fresher-news", &gone),
        ("/feed.xml", &unlisted),
        ("/sitemap.xml", &unlisted),
    ];
    everywhere(
        &mut timings,
        &others,
        "an unpublish on A",
        Instant::now(),
        &gone_checks,
    )
    .await;

    // Published again, then trashed on A: gone again.
    let republished = save_post(&admin, a.1, id, &[], "publish").await;
    assert_eq!(republished.status(), 303);
    let relisted = |s: u16, body: &str| s == 200 && body.contains("fresher-news");
    everywhere(
        &mut timings,
        &others,
        "a second publish on A",
        Instant::now(),
        &[
            ("/", &retitled),
            ("/fresher-news", &retitled),
            ("/feed.xml", &retitled),
            ("/sitemap.xml", &relisted),
        ],
    )
    .await;
    for body in cache_everywhere(&others, &pages).await {
        assert!(
            body.contains("fresher-news"),
            "cached before the trash:\n{body}"
        );
    }
    let trashed = post_form(
        &admin,
        a.1,
        &format!("/admin/posts/{id}/delete"),
        &csrf,
        &[],
    )
    .await;
    assert_eq!(trashed.status(), 303);
    everywhere(
        &mut timings,
        &others,
        "a trash on A",
        Instant::now(),
        &gone_checks,
    )
    .await;

    // A settings change on A: every cached page carries the new site title.
    for body in cache_everywhere(&others, &["/", "/standing-post", "/feed.xml"]).await {
        assert!(!body.contains("Harbour Gazette"));
    }
    let saved = post_form(
        &admin,
        a.1,
        "/admin/settings",
        &csrf,
        &settings_form("Harbour Gazette"),
    )
    .await;
    assert_eq!(saved.status(), 303);
    let titled = |s: u16, body: &str| s == 200 && body.contains("Harbour Gazette");
    everywhere(
        &mut timings,
        &others,
        "a settings change on A",
        Instant::now(),
        &[
            ("/", &titled),
            ("/standing-post", &titled),
            ("/feed.xml", &titled),
        ],
    )
    .await;
    timings.report();
}

async fn a_scheduled_post_appears_on_every_node_at_its_time(backend: Backend) {
    let mut timings = Timings::new("scheduled");
    let site = Site::new(&backend);
    site.create_user(ADA, "Ada", "admin", PASSWORD);
    // Time moves on the servers' clock only (all follow the same file).
    let clock = site.test_clock();
    let servers = start_nodes(&site, 3, &[clock.env()]).await;
    let nodes = [("A", &servers[0]), ("B", &servers[1]), ("C", &servers[2])];
    let a = nodes[0];
    let (admin, csrf) = logged_in(a.1, ADA, PASSWORD).await;
    let id = write_post(
        &admin,
        a.1,
        &csrf,
        &[
            ("title", "Later news"),
            ("body", "Soon."),
            ("action", "save"),
        ],
    )
    .await;
    // B caches its home page before the scheduling; C never sees the request, and
    // caches its home page and feed only after it.
    cached(nodes[1], "/").await;
    let due = (chrono::Utc::now() + chrono::TimeDelta::minutes(5))
        .with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap();
    let scheduled = save_post(
        &admin,
        a.1,
        id,
        &[("publish_at", &due.format("%Y-%m-%dT%H:%M").to_string())],
        "schedule",
    )
    .await;
    assert_eq!(scheduled.status(), 303);
    // The scheduling itself changes no public page: B's and C's pages are cached again.
    cache_everywhere(&nodes, &["/", "/feed.xml"]).await;
    for node in nodes {
        assert!(!cached(node, "/").await.contains("Later news"));
    }

    // The servers' clock is moved to a second before the post's time.
    let lead = Duration::from_secs(1);
    let to_due = (due - chrono::Utc::now()).to_std().unwrap();
    clock.advance(to_due - lead);
    let due_at = Instant::now() + lead;
    let listed = |s: u16, body: &str| s == 200 && body.contains("Later news");
    let polls = nodes.iter().flat_map(|node| {
        ["/", "/feed.xml"].map(|path| async move {
            let took = shows_within(
                *node,
                path,
                "a scheduled post (from a second before its time)",
                due_at - lead,
                &listed,
            )
            .await;
            took.saturating_sub(lead)
        })
    });
    let took = join_all(polls).await;
    for late in &took {
        eprintln!("cluster: the scheduled post showed {late:?} after its time");
    }
    timings.took.extend(took);
    timings.report();
}

async fn an_upload_through_one_node_is_served_by_another(backend: Backend) {
    let mut timings = Timings::new("media");
    let site = Site::new(&backend);
    site.create_user(ADA, "Ada", "admin", PASSWORD);
    let servers = start_nodes(&site, 2, &[]).await;
    let [a, b] = [("A", &servers[0]), ("B", &servers[1])];
    let (admin, csrf) = logged_in(a.1, ADA, PASSWORD).await;
    let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    let picture = png(1200, 600);
    let (status, json) = upload_api(
        &admin,
        a.1,
        &csrf,
        &[("report.pdf", pdf), ("harbour.png", &picture)],
    )
    .await;
    assert_eq!(status, 201, "{json}");
    let since = Instant::now();
    let files = json["files"].as_array().unwrap();
    let document = files[0]["url"].as_str().unwrap();
    let image = files[1]["url"].as_str().unwrap();
    let thumbnail = files[1]["thumbnail"].as_str().unwrap();
    assert_ne!(image, thumbnail, "the image has variants");

    // B serves each file with A's bytes (those on disk) and type.
    let media = site.data_dir().join("media");
    for (url, expected_type) in [
        (document, "application/pdf"),
        (image, "image/png"),
        (thumbnail, "image/png"),
    ] {
        let from_b = client().get(b.1.url(url)).send().await.unwrap();
        assert_eq!(from_b.status(), 200, "{url} on B");
        assert_eq!(
            from_b.headers()["content-type"],
            expected_type,
            "{url} on B"
        );
        let bytes = from_b.bytes().await.unwrap();
        let on_disk = std::fs::read(media.join(url.trim_start_matches("/media/"))).unwrap();
        assert_eq!(bytes.as_ref(), on_disk.as_slice(), "{url} on B");
        let from_a = client().get(a.1.url(url)).send().await.unwrap();
        assert_eq!(from_a.bytes().await.unwrap(), bytes, "{url} on A and B");
        let took = since.elapsed();
        eprintln!("cluster: an upload through A was served by B ({url}) after {took:?}");
        timings.took.push(took);
    }
    assert_eq!(
        client()
            .get(b.1.url(document))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .as_ref(),
        pdf,
        "a document is kept as sent"
    );
    let decoded = image::load_from_memory(
        &client()
            .get(b.1.url(thumbnail))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(decoded.width() < 1200, "the thumbnail is a smaller variant");

    // A post written on A showing the image: B's page shows it, and serves it.
    let markdown = files[1]["markdown"].as_str().unwrap();
    write_post(
        &admin,
        a.1,
        &csrf,
        &[
            ("title", "Harbour view"),
            ("body", markdown),
            ("action", "publish"),
        ],
    )
    .await;
    let hash = image
        .rsplit('/')
        .next()
        .and_then(|name| name.split('.').next())
        .unwrap();
    let shows_image = |s: u16, body: &str| s == 200 && body.contains(hash);
    everywhere(
        &mut timings,
        &[b],
        "a post with an image on A",
        Instant::now(),
        &[("/harbour-view", &shows_image)],
    )
    .await;
    // Every size the page offers is served by B, the same as by A.
    let page = client()
        .get(b.1.url("/harbour-view"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let srcset_at = page.find("srcset=\"").unwrap() + "srcset=\"".len();
    let srcset = &page[srcset_at..srcset_at + page[srcset_at..].find('"').unwrap()];
    let sizes: Vec<&str> = srcset
        .split(", ")
        .filter_map(|entry| entry.split_whitespace().next())
        .collect();
    assert!(sizes.len() >= 2, "{srcset}");
    for url in sizes {
        let from_b = client().get(b.1.url(url)).send().await.unwrap();
        assert_eq!(from_b.status(), 200, "{url} on B");
        assert_eq!(from_b.headers()["content-type"], "image/png", "{url} on B");
        let bytes = from_b.bytes().await.unwrap();
        let from_a = client().get(a.1.url(url)).send().await.unwrap();
        assert_eq!(from_a.bytes().await.unwrap(), bytes, "{url} on A and B");
        image::load_from_memory(&bytes).unwrap();
    }

    // Deleted through A: B no longer serves it.
    let document_id = files[0]["id"].as_i64().unwrap();
    let deleted = post_form(
        &admin,
        a.1,
        &format!("/admin/media/{document_id}/delete"),
        &csrf,
        &[],
    )
    .await;
    assert_eq!(deleted.status(), 303);
    everywhere(
        &mut timings,
        &[b],
        "a media delete on A",
        Instant::now(),
        &[(document, &|s: u16, _: &str| s == 404)],
    )
    .await;
    timings.report();
}

async fn command_line_user_changes_reach_running_nodes(backend: Backend) {
    let mut timings = Timings::new("cli");
    let site = Site::new(&backend);
    site.create_user(ADA, "Ada", "admin", PASSWORD);
    let servers = start_nodes(&site, 2, &[]).await;
    let [a, b] = [("A", &servers[0]), ("B", &servers[1])];
    cache_everywhere(&[a], &["/", "/sitemap.xml"]).await;
    assert_eq!(
        client()
            .get(a.1.url("/author/grace-hopper"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // `folio user create` while the nodes serve: she logs in on B at once.
    site.create_user("grace@example.org", "Grace Hopper", "author", PASSWORD);
    // Her first attempt works: what it takes is the password check (Argon2), not
    // staleness, so the figure is when that attempt was sent.
    let since = Instant::now();
    let grace = client();
    let login = log_in(&grace, b.1, "grace@example.org", PASSWORD).await;
    let took = since.elapsed();
    assert_eq!(login.status(), 303, "{}", login.text().await.unwrap());
    eprintln!(
        "cluster: a `folio user create` logged in on B at the first attempt (the login took {took:?})"
    );
    timings.took.push(Duration::ZERO);

    // She publishes on B: her author page shows on A, and A's cached home and sitemap
    // list it.
    let csrf = csrf_on(&grace, b).await;
    write_post(
        &grace,
        b.1,
        &csrf,
        &[
            ("title", "Compilers"),
            ("body", "Notes."),
            ("action", "publish"),
        ],
    )
    .await;
    let by_her = |s: u16, body: &str| s == 200 && body.contains("Compilers");
    let her_page = |s: u16, body: &str| s == 200 && body.contains("/author/grace-hopper");
    everywhere(
        &mut timings,
        &[a],
        "a new author's first post on B",
        Instant::now(),
        &[
            ("/author/grace-hopper", &by_her),
            ("/", &by_her),
            ("/sitemap.xml", &her_page),
        ],
    )
    .await;

    // `folio user reset-password`: her session, made on B, ends on A and B; the new
    // password works.
    assert_eq!(admin_status(&grace, a).await, 200);
    let out = site.cli(
        &[
            "user",
            "reset-password",
            "--email",
            "grace@example.org",
            "--password-stdin",
        ],
        Some("a brand new password\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let since = Instant::now();
    timings.took.extend(
        join_all([
            session_ends_within(a, &grace, "a `folio user reset-password`", since),
            session_ends_within(b, &grace, "a `folio user reset-password`", since),
        ])
        .await,
    );
    assert_eq!(
        log_in(&client(), a.1, "grace@example.org", "a brand new password")
            .await
            .status(),
        303
    );

    // `folio import-wordpress` against the live database: the imported posts show on
    // both nodes' cached home page and feed.
    cache_everywhere(&[a, b], &["/", "/feed.xml"]).await;
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/wordpress.xml");
    let out = site.cli(&["import-wordpress", fixture], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let imported = |s: u16, body: &str| s == 200 && body.contains("the lighthouse");
    everywhere(
        &mut timings,
        &[a, b],
        "a `folio import-wordpress`",
        Instant::now(),
        &[("/", &imported), ("/feed.xml", &imported)],
    )
    .await;
    timings.report();
}
