//! Resource bounds: input an attacker controls (a revision's size, the parts of an upload,
//! query parameters) costs a bounded amount of time and memory, and is refused clearly
//! beyond that — on both backends.

mod common;

use std::time::{Duration, Instant};

use diesel::prelude::*;
use folio::db::schema::revisions;

use common::{Backend, Site, client, get_page, input_value, logged_in, post_form};

on_both_backends!(two_huge_very_different_revisions_compare_in_bounded_time_and_size,);

const PASSWORD: &str = "correct horse battery staple";

fn site_with_author(backend: &Backend) -> Site {
    let site = Site::new(backend);
    site.create_user("ada@example.org", "Ada Lovelace", "author", PASSWORD);
    site
}

/// The id at the end of a `/admin/posts/{id}/edit` redirect.
fn created_id(response: &reqwest::Response) -> i32 {
    assert_eq!(response.status(), 303);
    response.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/admin/posts/")
        .trim_end_matches("/edit")
        .parse()
        .unwrap()
}

async fn two_huge_very_different_revisions_compare_in_bounded_time_and_size(backend: Backend) {
    let site = site_with_author(&backend);
    let server = site.start().await;
    let (author, csrf) = logged_in(&server, "ada@example.org", PASSWORD).await;
    // The reviewer's repro: 80,000 short lines, then the same lines reversed.
    let forwards: String = (0..80_000).map(|i| format!("{i:05}\n")).collect();
    let backwards: String = (0..80_000).rev().map(|i| format!("{i:05}\n")).collect();
    let created = post_form(
        &author,
        &server,
        "/admin/posts",
        &csrf,
        &[("title", "Long"), ("body", &forwards), ("action", "save")],
    )
    .await;
    let id = created_id(&created);
    let editor = get_page(
        &author,
        &server.url(&format!("/admin/posts/{id}/edit")),
        200,
    )
    .await;
    let version = input_value(&editor, "version").unwrap();
    let saved = post_form(
        &author,
        &server,
        &format!("/admin/posts/{id}"),
        &csrf,
        &[
            ("title", "Long"),
            ("slug", "long"),
            ("version", &version),
            ("body", &backwards),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(saved.status(), 303, "{}", saved.text().await.unwrap());
    let explicit: i64 = revisions::table
        .filter(revisions::post_id.eq(id))
        .count()
        .get_result(&mut site.connect())
        .unwrap();
    assert_eq!(explicit, 2);

    let started = Instant::now();
    let compared = author
        .get(server.url(&format!("/admin/posts/{id}/compare")))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("the comparison answers within 30 s");
    assert_eq!(compared.status(), 200);
    let page = compared.text().await.unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(page.len() < 2 * 1024 * 1024, "{} bytes", page.len());
    assert!(
        page.contains("too different to compare line by line")
            || page.contains("too long to show whole"),
        "says the comparison isn't whole"
    );

    // Meanwhile, and after, the server answers other requests.
    get_page(&client(), &server.url("/healthz"), 200).await;
}

