//! Resource bounds: input an attacker controls (a revision's size, the parts of an upload,
//! query parameters) costs a bounded amount of time and memory, and is refused clearly
//! beyond that — on both backends.

use crate::common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use folio::db::schema::{media, revisions};

use common::{Backend, Server, Site, client, get_page, input_value, logged_in, png, post_form};

on_both_backends!(
    two_huge_very_different_revisions_compare_in_bounded_time_and_size,
    an_upload_with_thousands_of_text_fields_is_refused_early_and_keeps_nothing,
    an_upload_with_thousands_of_empty_file_parts_is_refused_and_keeps_nothing,
    parameters_a_route_ignores_share_one_cached_page,
    the_page_cache_is_bounded_in_bytes_and_can_be_off,
);

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

/// A logged-in session usable from a raw socket: its cookie header and CSRF token.
async fn raw_session(server: &Server) -> (String, String) {
    let client = client();
    let response = common::log_in(&client, server, "ada@example.org", PASSWORD).await;
    assert_eq!(response.status(), 303);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let session: serde_json::Value = reqwest::Client::new()
        .get(server.url("/api/admin/session"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (cookie, session["csrf_token"].as_str().unwrap().to_owned())
}

/// What a streamed upload got back, and how much of the body was sent by then.
struct Streamed {
    status: u16,
    body: String,
    parts_sent: usize,
}

/// POSTs `parts` (multipart parts, each with its headers) to the media API as a chunked
/// body over a raw socket, one part per chunk, and reads the answer while still sending.
async fn stream_upload(server: &Server, parts: Vec<Vec<u8>>) -> Streamed {
    let (cookie, csrf) = raw_session(server).await;
    let address = server.base.trim_start_matches("http://").to_owned();
    tokio::task::spawn_blocking(move || {
        let mut socket = std::net::TcpStream::connect(&address).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let head = format!(
            "POST /api/admin/media HTTP/1.1\r\nHost: {address}\r\nCookie: {cookie}\r\n\
             X-CSRF-Token: {csrf}\r\nContent-Type: multipart/form-data; boundary=BOUNDARY\r\n\
             Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        );
        socket.write_all(head.as_bytes()).unwrap();
        let mut writer = socket.try_clone().unwrap();
        let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = std::sync::Arc::clone(&sent);
        let sending = std::thread::spawn(move || {
            for part in parts {
                let mut chunk = format!("{:x}\r\n", part.len()).into_bytes();
                chunk.extend_from_slice(&part);
                chunk.extend_from_slice(b"\r\n");
                if writer.write_all(&chunk).is_err() {
                    return; // the server stopped reading
                }
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            let _ = writer.write_all(b"0\r\n\r\n");
        });
        let mut answer = Vec::new();
        let mut buffer = [0u8; 16 * 1024];
        let mut parts_sent = None;
        loop {
            match socket.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => {
                    parts_sent.get_or_insert(sent.load(std::sync::atomic::Ordering::SeqCst));
                    answer.extend_from_slice(&buffer[..n]);
                }
                Err(_) if !answer.is_empty() => break,
                Err(e) => panic!("no answer to the upload: {e}"),
            }
        }
        let _ = socket.shutdown(std::net::Shutdown::Both);
        let _ = sending.join();
        let answer = String::from_utf8_lossy(&answer).into_owned();
        let status = answer
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("an HTTP answer: {answer}"));
        Streamed {
            status,
            body: answer,
            parts_sent: parts_sent.unwrap_or_default(),
        }
    })
    .await
    .unwrap()
}

fn text_part(name: &str, value: &[u8]) -> Vec<u8> {
    let mut part = format!("--BOUNDARY\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n")
        .into_bytes();
    part.extend_from_slice(value);
    part.extend_from_slice(b"\r\n");
    part
}

fn file_part(file_name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut part = format!(
        "--BOUNDARY\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{file_name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    part.extend_from_slice(bytes);
    part.extend_from_slice(b"\r\n");
    part
}

fn media_count(site: &Site) -> i64 {
    media::table
        .count()
        .get_result(&mut site.connect())
        .unwrap()
}

async fn an_upload_with_thousands_of_text_fields_is_refused_early_and_keeps_nothing(
    backend: Backend,
) {
    let site = site_with_author(&backend);
    let server = site.start().await;
    // 50,000 text fields of 1 KB (50 MB), then a real image.
    const FIELDS: usize = 50_000;
    let mut parts: Vec<Vec<u8>> = (0..FIELDS)
        .map(|i| text_part(&format!("f{i}"), &[b'x'; 1024]))
        .collect();
    parts.push(file_part("real.png", &png(8, 8)));
    parts.push(b"--BOUNDARY--\r\n".to_vec());

    let started = Instant::now();
    let answer = stream_upload(&server, parts).await;
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert!(answer.body.contains("form fields"), "{}", answer.body);
    assert!(
        answer.parts_sent < FIELDS,
        "refused before the body was read to its end ({} parts sent)",
        answer.parts_sent
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(media_count(&site), 0);
    assert!(
        common::files_under(&site.data_dir().join("media")).is_empty(),
        "{:?}",
        common::files_under(&site.data_dir().join("media"))
    );
    get_page(&client(), &server.url("/healthz"), 200).await;
}

async fn an_upload_with_thousands_of_empty_file_parts_is_refused_and_keeps_nothing(
    backend: Backend,
) {
    let site = site_with_author(&backend);
    let server = site.start().await;
    // "No file chosen" inputs send an empty part with an empty file name.
    let mut parts: Vec<Vec<u8>> = (0..2_000).map(|_| file_part("", b"")).collect();
    parts.push(file_part("real.png", &png(8, 8)));
    parts.push(b"--BOUNDARY--\r\n".to_vec());
    let answer = stream_upload(&server, parts).await;
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert!(answer.body.contains("at most 20 files"), "{}", answer.body);
    assert_eq!(media_count(&site), 0);
    assert!(common::files_under(&site.data_dir().join("media")).is_empty());

    // Within the bounds, a form with its few fields and files still works.
    let parts = vec![
        text_part("note", b"hello"),
        file_part("", b""),
        file_part("real.png", &png(8, 8)),
        b"--BOUNDARY--\r\n".to_vec(),
    ];
    let answer = stream_upload(&server, parts).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(media_count(&site), 1);
}

/// The `X-Cache` header of a GET.
async fn x_cache(client: &reqwest::Client, url: &str) -> String {
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {url}");
    response
        .headers()
        .get("x-cache")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_else(|| "none".to_owned())
}

async fn parameters_a_route_ignores_share_one_cached_page(backend: Backend) {
    let site = site_with_author(&backend);
    let server = site.start().await;
    let client = client();
    assert_eq!(x_cache(&client, &server.url("/sitemap.xml")).await, "MISS");
    // The reviewer's repro: 2,000 cache-busters, all answered from the one entry.
    let mut misses = 0;
    for n in 0..2_000 {
        let url = server.url(&format!("/sitemap.xml?cb={n}&utm_source=x{n}"));
        if x_cache(&client, &url).await != "HIT" {
            misses += 1;
        }
    }
    assert!(
        misses <= 1,
        "{misses} of 2,000 junk parameters made new entries"
    );

    // Parameters a route reads still make their own page, in any order.
    assert_eq!(
        x_cache(&client, &server.url("/search?q=rust")).await,
        "MISS"
    );
    assert_eq!(
        x_cache(&client, &server.url("/search?junk=1&q=rust")).await,
        "HIT"
    );
    assert_eq!(
        x_cache(&client, &server.url("/search?q=other")).await,
        "MISS"
    );
    assert_eq!(x_cache(&client, &server.url("/")).await, "MISS");
    assert_eq!(x_cache(&client, &server.url("/?ref=feed")).await, "HIT");
    // `/?p=ID` (an imported WordPress address) is not the cached home page.
    assert_eq!(
        client
            .get(server.url("/?p=12345"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // A parameter the route reads, given twice, is the route's to refuse.
    assert_eq!(
        client
            .get(server.url("/search?q=rust&q=other"))
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
}

async fn the_page_cache_is_bounded_in_bytes_and_can_be_off(backend: Backend) {
    let site = site_with_author(&backend);
    let server = site.start_with(&[("FOLIO_PAGE_CACHE_MB", "1")]).await;
    let (author, csrf) = logged_in(&server, "ada@example.org", PASSWORD).await;
    // Three articles of about 600 KB: any two are more than the 1 MB the cache may hold.
    let body = "All work and no play. ".repeat(28_000);
    for title in ["First", "Second", "Third"] {
        let published = post_form(
            &author,
            &server,
            "/admin/posts",
            &csrf,
            &[("title", title), ("body", &body), ("action", "publish")],
        )
        .await;
        created_id(&published);
    }
    let client = client();
    let [first, second, third] = ["/first", "/second", "/third"].map(|path| server.url(path));
    let started = Instant::now();
    assert_eq!(x_cache(&client, &first).await, "MISS");
    assert_eq!(x_cache(&client, &first).await, "HIT");
    assert_eq!(x_cache(&client, &second).await, "MISS");
    assert_eq!(
        x_cache(&client, &first).await,
        "MISS",
        "evicted by the second"
    );
    assert_eq!(x_cache(&client, &third).await, "MISS");
    assert_eq!(x_cache(&client, &third).await, "HIT", "the newest stays");
    assert!(
        started.elapsed() < folio::cache::PAGE_TTL,
        "too slow to tell eviction from expiry"
    );
    drop(server);

    let server = site.start_with(&[("FOLIO_PAGE_CACHE_MB", "0")]).await;
    let home = server.url("/");
    for _ in 0..3 {
        assert_eq!(x_cache(&client, &home).await, "MISS", "the cache is off");
    }
}
