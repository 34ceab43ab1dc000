//! Database outages (#15): a form sent while the database is down or refuses writes comes
//! back with the text as typed and a message, within the connect timeout, and sending it
//! again once the database is back saves it; requests fail fast during the outage;
//! `/readyz` is 503 while the database can't be reached or can't write.
//!
//! The outage is real (see `Site::take_database_down`): on PostgreSQL the database stops
//! accepting connections and loses the open ones; on SQLite its files become immutable, so
//! writes fail as on a full or read-only disk, while reads still work.
//!
//! The times printed are this test's measurements (`cargo test --test it -- outage::
//! --nocapture`); the only time asserted is a generous "does not hang".

use std::time::{Duration, Instant};

use crate::common;

use common::{Backend, Server, Site, get_page, input_value, logged_in, post_form, write_post};

on_both_backends!(
    a_save_during_an_outage_keeps_the_text_and_goes_through_afterwards,
    settings_sent_during_an_outage_keep_their_text,
    a_profile_sent_during_an_outage_keeps_its_text,
    a_tag_description_sent_during_an_outage_keeps_its_text,
    requests_fail_fast_while_the_database_is_down,
    every_connection_writes_again_after_the_outage,
);

const PASSWORD: &str = "correct horse battery staple";
/// `FOLIO_DB_CONNECT_TIMEOUT` of these servers, in seconds.
const CONNECT_TIMEOUT_SECS: u64 = 2;
/// Far above what any answer may take during an outage (the connect timeout, twice, plus
/// a loaded test machine), far below the hang this guards against.
const HANG: Duration = Duration::from_secs(3 * CONNECT_TIMEOUT_SECS + 4);

async fn start(site: &Site) -> Server {
    site.start_with(&[(
        "FOLIO_DB_CONNECT_TIMEOUT",
        &CONNECT_TIMEOUT_SECS.to_string(),
    )])
    .await
}

fn backend_name(backend: &Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres(_) => "postgres",
    }
}

/// Sends the form and returns the status, the page and how long the answer took.
async fn timed_post(
    client: &reqwest::Client,
    server: &Server,
    path: &str,
    csrf: &str,
    fields: &[(&str, &str)],
) -> (u16, String, Duration) {
    let started = Instant::now();
    let response = post_form(client, server, path, csrf, fields).await;
    let status = response.status().as_u16();
    let retry_after = response.headers().get("retry-after").cloned();
    let page = response.text().await.unwrap();
    let took = started.elapsed();
    if status == 503 {
        assert_eq!(retry_after.as_ref().map(|v| v.to_str().unwrap()), Some("5"));
    }
    (status, page, took)
}

async fn readyz(server: &Server) -> (u16, Duration) {
    let started = Instant::now();
    let status = common::client()
        .get(server.url("/readyz"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    (status, started.elapsed())
}

/// Sends the form until it is saved (the database came back), at most `HANG` long.
async fn send_until_saved(
    client: &reqwest::Client,
    server: &Server,
    path: &str,
    csrf: &str,
    fields: &[(&str, &str)],
) -> Duration {
    let started = Instant::now();
    loop {
        let (status, page, _) = timed_post(client, server, path, csrf, fields).await;
        if status == 303 {
            return started.elapsed();
        }
        assert_eq!(status, 503, "{page}");
        assert!(
            started.elapsed() < HANG,
            "still not saved after the database came back: {page}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn a_save_during_an_outage_keeps_the_text_and_goes_through_afterwards(backend: Backend) {
    let name = backend_name(&backend);
    let site = Site::new(&backend);
    site.create_user("ada@example.org", "Ada", "admin", PASSWORD);
    let server = start(&site).await;
    let (admin, csrf) = logged_in(&server, "ada@example.org", PASSWORD).await;
    let id = write_post(
        &admin,
        &server,
        &csrf,
        &[
            ("title", "Notes"),
            ("body", "First draft."),
            ("action", "save"),
        ],
    )
    .await;
    let editor = get_page(&admin, &server.url(&format!("/admin/posts/{id}/edit")), 200).await;
    let version = input_value(&editor, "version").expect("the editor's version");
    assert_eq!(readyz(&server).await.0, 200);

    site.take_database_down();

    let body = "The Analytical Engine weaves algebraic patterns\njust as the Jacquard loom weaves flowers and leaves.";
    let path = format!("/admin/posts/{id}");
    let fields = [
        ("version", version.as_str()),
        ("title", "Notes on the Engine"),
        ("slug", ""),
        ("body", body),
        ("tags", "engines, looms"),
        ("action", "save"),
    ];
    let (status, page, first) = timed_post(&admin, &server, &path, &csrf, &fields).await;
    assert_eq!(status, 503, "{page}");
    assert!(page.contains("Your text is below"), "{page}");
    assert!(page.contains(body), "the body as typed: {page}");
    assert!(page.contains("value=\"Notes on the Engine\""), "{page}");
    assert!(page.contains("value=\"engines, looms\""), "{page}");
    assert!(page.contains(&format!("action=\"{path}\"")), "{page}");
    assert!(page.contains(&format!("name=\"csrf_token\" value=\"{csrf}\"")));
    assert!(page.contains("name=\"action\" value=\"save\""), "{page}");
    // The editor's autosave (static/admin.js) gets a 503 at once, tells the writer the text
    // is still in the editor and tries again later: it must not hang or look saved.
    let started = Instant::now();
    let autosave = admin
        .post(server.url(&format!("/api/admin/posts/{id}/autosave")))
        .header("x-csrf-token", &csrf)
        .form(&[
            ("title", "Notes on the Engine"),
            ("body", body),
            ("kind", "post"),
        ])
        .send()
        .await
        .unwrap();
    let autosave_took = started.elapsed();
    assert_eq!(autosave.status(), 503, "autosave during the outage");
    // A second try while it is still down.
    let (status, page, second) = timed_post(&admin, &server, &path, &csrf, &fields).await;
    assert_eq!(status, 503);
    assert!(page.contains(body));
    let (ready, ready_took) = readyz(&server).await;
    assert_eq!(ready, 503, "readyz while the database is down");
    let (status, _, third) = timed_post(&admin, &server, &path, &csrf, &fields).await;
    assert_eq!(status, 503);
    println!(
        "outage figures ({name}, FOLIO_DB_CONNECT_TIMEOUT={CONNECT_TIMEOUT_SECS}): save answered in {:?}, autosave in {:?}, save again in {:?}, /readyz 503 in {:?}, a third save in {:?}",
        first, autosave_took, second, ready_took, third
    );
    for took in [first, autosave_took, second, ready_took, third] {
        assert!(took < HANG, "an answer took {took:?} during the outage");
    }

    site.bring_database_back();
    let recovered = send_until_saved(&admin, &server, &path, &csrf, &fields).await;
    println!("outage figures ({name}): saved {recovered:?} after the database came back");
    let editor = get_page(&admin, &server.url(&format!("/admin/posts/{id}/edit")), 200).await;
    assert!(editor.contains("Notes on the Engine"), "{editor}");
    assert!(editor.contains("just as the Jacquard loom"), "{editor}");
    assert_eq!(readyz(&server).await.0, 200, "readyz after the outage");
}

async fn settings_sent_during_an_outage_keep_their_text(backend: Backend) {
    let site = Site::new(&backend);
    site.create_user("ada@example.org", "Ada", "admin", PASSWORD);
    let server = start(&site).await;
    let (admin, csrf) = logged_in(&server, "ada@example.org", PASSWORD).await;
    let fields = [
        ("title", "Ada's Notebook"),
        ("description", "Engines, looms and poetry."),
        ("accent_colour", "#AA3300"),
        ("posts_per_page", "5"),
        ("time_zone", "Europe/London"),
        (
            "navigation",
            "About = /about\nElsewhere = https://example.org/",
        ),
        ("footer", "Written by candlelight"),
        ("custom_css", "body { letter-spacing: 0.01em; }"),
        ("feed_content", "excerpt"),
    ];

    site.take_database_down();
    let (status, page, _) = timed_post(&admin, &server, "/admin/settings", &csrf, &fields).await;
    assert_eq!(status, 503, "{page}");
    assert!(page.contains("Your text is below"), "{page}");
    assert!(page.contains("Engines, looms and poetry."), "{page}");
    assert!(page.contains("Written by candlelight"), "{page}");
    assert!(
        page.contains("About = /about\nElsewhere = https://example.org/"),
        "{page}"
    );

    site.bring_database_back();
    send_until_saved(&admin, &server, "/admin/settings", &csrf, &fields).await;
    let form = get_page(&admin, &server.url("/admin/settings"), 200).await;
    assert!(form.contains("Written by candlelight"), "{form}");
}

async fn a_profile_sent_during_an_outage_keeps_its_text(backend: Backend) {
    let site = Site::new(&backend);
    site.create_user("ada@example.org", "Ada", "admin", PASSWORD);
    let server = start(&site).await;
    let (admin, csrf) = logged_in(&server, "ada@example.org", PASSWORD).await;
    let bio = "Mathematician and writer.\nFirst to publish an algorithm for a machine.";
    let fields = [
        ("display_name", "Augusta Ada King"),
        ("slug", "ada-lovelace"),
        ("email", "ada@example.org"),
        ("bio", bio),
    ];

    site.take_database_down();
    let (status, page, _) = timed_post(&admin, &server, "/admin/profile", &csrf, &fields).await;
    assert_eq!(status, 503, "{page}");
    assert!(page.contains("Your text is below"), "{page}");
    assert!(page.contains("value=\"Augusta Ada King\""), "{page}");
    assert!(page.contains(bio), "{page}");

    site.bring_database_back();
    send_until_saved(&admin, &server, "/admin/profile", &csrf, &fields).await;
    let form = get_page(&admin, &server.url("/admin/profile"), 200).await;
    assert!(form.contains("First to publish an algorithm"), "{form}");
}

async fn a_tag_description_sent_during_an_outage_keeps_its_text(backend: Backend) {
    use diesel::prelude::*;
    use folio::db::schema::tags;
    let site = Site::new(&backend);
    site.create_user("ada@example.org", "Ada", "admin", PASSWORD);
    let server = start(&site).await;
    let (admin, csrf) = logged_in(&server, "ada@example.org", PASSWORD).await;
    write_post(
        &admin,
        &server,
        &csrf,
        &[("title", "Cards"), ("tags", "looms"), ("action", "save")],
    )
    .await;
    let id: i32 = tags::table
        .filter(tags::slug.eq("looms"))
        .select(tags::id)
        .first(&mut site.connect())
        .unwrap();
    let path = format!("/admin/tags/{id}");
    let description = "Jacquard looms read punched cards; so did the Engine.";
    let fields = [
        ("name", "Looms"),
        ("slug", "looms"),
        ("description", description),
    ];

    site.take_database_down();
    let (status, page, _) = timed_post(&admin, &server, &path, &csrf, &fields).await;
    assert_eq!(status, 503, "{page}");
    assert!(page.contains("Your text is below"), "{page}");
    assert!(page.contains(description), "{page}");

    site.bring_database_back();
    send_until_saved(&admin, &server, &path, &csrf, &fields).await;
    let form = get_page(&admin, &server.url(&path), 200).await;
    assert!(form.contains(description), "{form}");
}

/// Times `count` GETs of `path` one after another during the outage: each answer's time.
async fn timed_gets(
    client: &reqwest::Client,
    server: &Server,
    path: &str,
    count: usize,
) -> Vec<(u16, Duration)> {
    let mut answers = Vec::with_capacity(count);
    for _ in 0..count {
        let started = Instant::now();
        let response = client.get(server.url(path)).send().await.unwrap();
        let status = response.status().as_u16();
        response.bytes().await.unwrap();
        answers.push((status, started.elapsed()));
    }
    answers
}

async fn requests_fail_fast_while_the_database_is_down(backend: Backend) {
    let name = backend_name(&backend);
    let site = Site::new(&backend);
    site.create_user("ada@example.org", "Ada", "admin", PASSWORD);
    let server = start(&site).await;
    let (admin, _) = logged_in(&server, "ada@example.org", PASSWORD).await;
    let visitor = common::client();
    const COUNT: usize = 10;

    site.take_database_down();
    let started = Instant::now();
    let public = timed_gets(&visitor, &server, "/", COUNT).await;
    let admin_pages = timed_gets(&admin, &server, "/admin/posts", COUNT).await;
    let ready = timed_gets(&visitor, &server, "/readyz", COUNT).await;
    let all = started.elapsed();
    // /metrics answers during the outage (without the job counts, which need the
    // database) and counts the requests that found no connection.
    let metrics = common::get_page(&visitor, &server.url("/metrics"), 200).await;
    let timeouts: f64 = metrics
        .lines()
        .find_map(|line| line.strip_prefix("folio_db_pool_timeouts_total "))
        .and_then(|n| n.parse().ok())
        .unwrap_or(-1.0);
    if matches!(backend, Backend::Postgres(_)) {
        assert!(timeouts >= 1.0, "{metrics}");
    } else {
        assert!(timeouts >= 0.0, "{metrics}");
    }
    site.bring_database_back();

    for (what, answers) in [
        ("/", &public),
        ("/admin/posts", &admin_pages),
        ("/readyz", &ready),
    ] {
        let times: Vec<String> = answers
            .iter()
            .map(|(status, took)| format!("{status} in {} ms", took.as_millis()))
            .collect();
        println!(
            "outage figures ({name}, FOLIO_DB_CONNECT_TIMEOUT={CONNECT_TIMEOUT_SECS}): GET {what} x{COUNT}: {}",
            times.join(", ")
        );
        for (status, took) in answers {
            // SQLite still reads while it can't write; PostgreSQL can't be reached at all.
            assert!([200, 503].contains(status), "GET {what}: {status}");
            assert!(*took < HANG, "GET {what} took {took:?} during the outage");
        }
    }
    assert!(ready.iter().all(|(status, _)| *status == 503), "{ready:?}");
    println!("outage figures ({name}): {} requests in {all:?}", 3 * COUNT);
    // Before, each request that needed the database waited 5 s for the pool: 150 s here.
    assert!(all < 3 * HANG, "{} requests took {all:?}", 3 * COUNT);

    let deadline = Instant::now() + HANG;
    while readyz(&server).await.0 != 200 {
        assert!(
            Instant::now() < deadline,
            "readyz still 503 after the outage"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    get_page(&admin, &server.url("/admin/posts"), 200).await;
}

/// Connections opened during the outage don't outlive it broken: SQLite opens a file it
/// can't write read-only, and such a connection stays read-only after the file is
/// writable again, so the pool must not keep one.
async fn every_connection_writes_again_after_the_outage(backend: Backend) {
    let site = Site::new(&backend);
    site.create_user("ada@example.org", "Ada", "admin", PASSWORD);
    let server = start(&site).await;
    let (admin, csrf) = logged_in(&server, "ada@example.org", PASSWORD).await;
    const CONCURRENT: usize = 10;

    site.take_database_down();
    // Many requests at once make the pool open connections while the database is down.
    let pages = (0..CONCURRENT).map(|_| admin.get(server.url("/admin/posts")).send());
    for response in futures_util::future::join_all(pages).await {
        let status = response.unwrap().status().as_u16();
        assert!([200, 503].contains(&status), "{status}");
    }
    site.bring_database_back();

    let deadline = Instant::now() + HANG;
    while readyz(&server).await.0 != 200 {
        assert!(
            Instant::now() < deadline,
            "readyz still 503 after the outage"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let bios: Vec<String> = (0..CONCURRENT)
        .map(|i| format!("Bio number {i}."))
        .collect();
    let saves = bios.iter().map(|bio| {
        let fields = [
            ("display_name", "Ada"),
            ("slug", "ada"),
            ("email", "ada@example.org"),
            ("bio", bio.as_str()),
        ];
        let admin = admin.clone();
        let server = &server;
        let csrf = csrf.clone();
        async move {
            loop {
                let response = post_form(&admin, server, "/admin/profile", &csrf, &fields).await;
                let status = response.status().as_u16();
                let page = response.text().await.unwrap();
                if status == 303 {
                    return;
                }
                // For up to a second after the outage, a request that finds no idle
                // connection may still fail fast (one a second tries to connect): sent
                // again, it goes through. A connection that refuses to write never does.
                assert!(
                    status == 503 && page.contains("can&#39;t be reached"),
                    "a save after the outage failed: {page}"
                );
                assert!(Instant::now() < deadline, "still not saved: {page}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });
    futures_util::future::join_all(saves).await;
}
