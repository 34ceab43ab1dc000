//! The page cache and compression: normalised keys, the byte bound and 0 = off, no stale
//! page after this node's own write while readers race it, one render per page at a time,
//! and every response in the coding the client accepts (with its own ETag and `Vary`).
//! (The byte bound's eviction is also driven in `limits::the_page_cache_is_bounded_…`.)

use crate::common;

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use diesel::prelude::*;

use common::{Backend, Site, client, logged_in, post_form};

on_both_backends!(
    parameters_a_route_ignores_hit_and_the_ones_it_reads_do_not,
    with_the_cache_off_every_request_renders,
    no_stale_page_after_a_publish_while_readers_race_it,
    forty_requests_for_one_uncached_page_render_it_once,
    requests_for_a_page_that_is_not_kept_all_render_it,
    pages_go_out_in_the_coding_the_client_accepts,
    static_files_are_precompressed_and_media_left_alone,
    everything_else_is_compressed_with_weak_or_distinct_etags,
);

const PASSWORD: &str = "correct horse battery staple";

fn site_with_author(backend: &Backend) -> Site {
    let site = Site::new(backend);
    site.create_user("ada@example.org", "Ada Lovelace", "author", PASSWORD);
    site
}

async fn publish(
    author: &reqwest::Client,
    server: &common::Server,
    csrf: &str,
    title: &str,
    body: &str,
) {
    let published = post_form(
        author,
        server,
        "/admin/posts",
        csrf,
        &[("title", title), ("body", body), ("action", "publish")],
    )
    .await;
    assert_eq!(published.status(), 303, "publish {title}");
}

/// GET with headers; the status, the headers and the raw (still encoded) body.
async fn fetch(
    client: &reqwest::Client,
    url: &str,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = client.get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers.get(name).map_or("", |v| v.to_str().unwrap())
}

fn decoded(coding: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        "" => out.extend_from_slice(body),
        "gzip" => {
            flate2::read::GzDecoder::new(body)
                .read_to_end(&mut out)
                .unwrap();
        }
        "br" => {
            brotli::Decompressor::new(body, 4096)
                .read_to_end(&mut out)
                .unwrap();
        }
        other => panic!("unexpected coding {other}"),
    }
    out
}

async fn x_cache(client: &reqwest::Client, url: &str) -> String {
    let (status, headers, _) = fetch(client, url, &[]).await;
    assert_eq!(status, 200, "GET {url}");
    header(&headers, "x-cache").to_owned()
}

async fn parameters_a_route_ignores_hit_and_the_ones_it_reads_do_not(backend: Backend) {
    let site = site_with_author(&backend);
    let server = site.start().await;
    let client = client();
    assert_eq!(x_cache(&client, &server.url("/")).await, "MISS");
    assert_eq!(x_cache(&client, &server.url("/?cb=123")).await, "HIT");
    assert_eq!(
        x_cache(&client, &server.url("/?utm_source=x&fbclid=y")).await,
        "HIT"
    );
    assert_eq!(
        x_cache(&client, &server.url("/?page=1")).await,
        "MISS",
        "`page` is read by the home page"
    );
    assert_eq!(x_cache(&client, &server.url("/?cb=9&page=1")).await, "HIT");
    // Another coding of a cached page is the same entry, not a new render.
    let (_, headers, _) = fetch(&client, &server.url("/"), &[("accept-encoding", "br")]).await;
    assert_eq!(header(&headers, "x-cache"), "HIT");
    assert_eq!(header(&headers, "content-encoding"), "br");
}

async fn with_the_cache_off_every_request_renders(backend: Backend) {
    let site = site_with_author(&backend);
    let server = site.start_with(&[("FOLIO_PAGE_CACHE_MB", "0")]).await;
    let client = client();
    for _ in 0..3 {
        assert_eq!(x_cache(&client, &server.url("/")).await, "MISS");
    }
    // No waiting on each other either: concurrent requests each render.
    let requests: Vec<_> = (0..10)
        .map(|_| {
            let (client, url) = (client.clone(), server.url("/feed.xml"));
            tokio::spawn(async move { x_cache(&client, &url).await })
        })
        .collect();
    for request in requests {
        assert_eq!(request.await.unwrap(), "MISS");
    }
    // Still compressed, with the coding's ETag.
    let (status, headers, body) =
        fetch(&client, &server.url("/"), &[("accept-encoding", "gzip")]).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-encoding"), "gzip");
    assert!(header(&headers, "etag").ends_with("-gz\""));
    assert!(
        String::from_utf8(decoded("gzip", &body))
            .unwrap()
            .contains("<html")
    );
}

/// The issue's race: a page rendered from a read that began before a write, stored after
/// the write emptied the cache, served stale for the whole TTL. Readers keep rendering the
/// home page — each request under a key of its own (`?page=01`, `?page=001`, …: the same
/// first page, so renders are always under way when a write commits) — while the author
/// publishes post after post. Once a publish has returned and every read in flight at that
/// moment has finished, each of the latest keys, `/` and `/feed.xml` must show the post.
/// (Against the code before generation tickets, this finds stale pages on most runs.)
async fn no_stale_page_after_a_publish_while_readers_race_it(backend: Backend) {
    const READERS: usize = 6;
    let site = site_with_author(&backend);
    let server = Arc::new(site.start().await);
    let (author, csrf) = logged_in(&server, "ada@example.org", PASSWORD).await;
    let stop = Arc::new(AtomicBool::new(false));
    let next_key = Arc::new(AtomicUsize::new(1));
    // Per reader: the number of the key of the last request it finished.
    let finished: Arc<Vec<AtomicUsize>> =
        Arc::new((0..READERS).map(|_| AtomicUsize::new(0)).collect());
    let home = |zeros: usize| format!("/?page={}1", "0".repeat(zeros));
    let readers: Vec<_> = (0..READERS)
        .map(|n| {
            let (server, stop, next_key, finished) = (
                Arc::clone(&server),
                Arc::clone(&stop),
                Arc::clone(&next_key),
                Arc::clone(&finished),
            );
            tokio::spawn(async move {
                let client = client();
                // Bounded: stops when told, or after 5,000 reads each.
                for _ in 0..5_000 {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let key = next_key.fetch_add(1, Ordering::SeqCst);
                    let path = if key % 4 == 0 {
                        "/feed.xml".to_owned()
                    } else {
                        home(key)
                    };
                    let response = client.get(server.url(&path)).send().await.unwrap();
                    assert_eq!(response.status(), 200, "{path}");
                    let _ = response.bytes().await.unwrap();
                    finished[n].store(key, Ordering::SeqCst);
                }
            })
        })
        .collect();
    let checker = client();
    let mut stale = Vec::new();
    for i in 0..15 {
        let title = format!("Breaking story {i}");
        publish(&author, &server, &csrf, &title, "News.").await;
        // Let every request that was under way when the publish returned finish (and
        // store what it rendered).
        let published_at_key = next_key.load(Ordering::SeqCst);
        for _ in 0..10_000 {
            if finished
                .iter()
                .all(|k| k.load(Ordering::SeqCst) >= published_at_key)
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        let latest = (published_at_key.saturating_sub(3 * READERS)..published_at_key)
            .filter(|key| key % 4 != 0)
            .map(home);
        for path in latest.chain(["/".to_owned(), "/feed.xml".to_owned()]) {
            for coding in ["identity", "br"] {
                let (status, headers, body) =
                    fetch(&checker, &server.url(&path), &[("accept-encoding", coding)]).await;
                assert_eq!(status, 200);
                let body = decoded(header(&headers, "content-encoding"), &body);
                if !String::from_utf8_lossy(&body).contains(&title) {
                    stale.push(format!(
                        "{} ({coding}) after publishing {title:?}",
                        &path[..path.len().min(20)]
                    ));
                }
            }
        }
    }
    stop.store(true, Ordering::SeqCst);
    for reader in readers {
        reader.await.unwrap();
    }
    assert!(
        next_key.load(Ordering::SeqCst) > 100,
        "the readers must have raced the writes"
    );
    assert!(stale.is_empty(), "stale pages served: {stale:#?}");
}

async fn forty_requests_for_one_uncached_page_render_it_once(backend: Backend) {
    let site = site_with_author(&backend);
    let server = site.start().await;
    let (author, csrf) = logged_in(&server, "ada@example.org", PASSWORD).await;
    let body = "Words to search for, and some more words to render. ".repeat(400);
    for i in 0..20 {
        publish(&author, &server, &csrf, &format!("Story {i}"), &body).await;
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(40));
    let requests: Vec<_> = (0..40)
        .map(|_| {
            let (client, url, barrier) = (
                client(),
                server.url("/search?q=words"),
                Arc::clone(&barrier),
            );
            tokio::spawn(async move {
                barrier.wait().await;
                fetch(&client, &url, &[]).await
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    let mut bodies = std::collections::HashSet::new();
    for request in requests {
        let (status, headers, body) = request.await.unwrap();
        assert_eq!(status, 200);
        outcomes.push(header(&headers, "x-cache").to_owned());
        bodies.insert(body);
    }
    let misses = outcomes.iter().filter(|o| *o == "MISS").count();
    assert_eq!(misses, 1, "one render for 40 requests: {outcomes:?}");
    assert_eq!(bodies.len(), 1, "and they all got its page");
}

async fn requests_for_a_page_that_is_not_kept_all_render_it(backend: Backend) {
    let site = site_with_author(&backend);
    let server = site.start().await;
    // A 404 is not kept: the requests waiting for the first one must render their own.
    let requests: Vec<_> = (0..20)
        .map(|_| {
            let (client, url) = (client(), server.url("/no-such-story"));
            tokio::spawn(async move { fetch(&client, &url, &[]).await })
        })
        .collect();
    for request in requests {
        let (status, headers, _) = request.await.unwrap();
        assert_eq!(status, 404);
        assert_ne!(header(&headers, "x-cache"), "HIT");
    }
}

async fn pages_go_out_in_the_coding_the_client_accepts(backend: Backend) {
    let site = site_with_author(&backend);
    let server = site.start().await;
    let (author, csrf) = logged_in(&server, "ada@example.org", PASSWORD).await;
    publish(
        &author,
        &server,
        &csrf,
        "A long read",
        &"A paragraph that repeats, as long articles do. ".repeat(200),
    )
    .await;
    let client = client();
    for path in ["/a-long-read", "/feed.xml", "/sitemap.xml"] {
        let url = server.url(path);
        let (_, plain_headers, plain) = fetch(&client, &url, &[]).await;
        assert_eq!(header(&plain_headers, "content-encoding"), "");
        assert_eq!(header(&plain_headers, "vary"), "Accept-Encoding");
        let plain_etag = header(&plain_headers, "etag").to_owned();
        assert!(!plain_etag.starts_with("W/"));
        let cases = [
            ("br", "br"),
            ("gzip, deflate, br, zstd", "br"),
            ("gzip", "gzip"),
            ("br;q=0, gzip", "gzip"),
            ("gzip;q=0.5, br;q=0.8", "br"),
            ("gzip;q=0", ""),
            ("identity", ""),
            ("*", "br"),
            ("*;q=0.5, br;q=0", "gzip"),
            ("deflate", ""),
        ];
        let mut etags = std::collections::HashMap::new();
        for (accept, coding) in cases {
            let (status, headers, body) =
                fetch(&client, &url, &[("accept-encoding", accept)]).await;
            assert_eq!(status, 200, "{path} {accept}");
            assert_eq!(
                header(&headers, "content-encoding"),
                coding,
                "{path} {accept}"
            );
            assert_eq!(header(&headers, "vary"), "Accept-Encoding");
            assert_eq!(decoded(coding, &body), plain, "{path} {accept}");
            if !coding.is_empty() {
                // A sitemap of two addresses is ~400 bytes, where gzip's own framing
                // weighs; the long article must shrink by more than half.
                let bound = if plain.len() > 2_000 {
                    plain.len() / 2
                } else {
                    plain.len() * 3 / 4
                };
                assert!(
                    body.len() < bound,
                    "{path} {accept} compressed: {} of {} bytes",
                    body.len(),
                    plain.len()
                );
            }
            let etag = header(&headers, "etag").to_owned();
            assert!(!etag.starts_with("W/"), "strong: {etag}");
            assert_eq!(*etags.entry(coding).or_insert_with(|| etag.clone()), etag);
        }
        assert_eq!(etags[""], plain_etag);
        assert_ne!(etags["br"], etags["gzip"]);
        assert_ne!(etags["br"], etags[""]);
        assert_ne!(etags["gzip"], etags[""]);

        // 304 for each coding's own ETag; another coding's tag is another representation.
        for (accept, coding) in [("br", "br"), ("gzip", "gzip"), ("identity", "")] {
            let (status, headers, body) = fetch(
                &client,
                &url,
                &[
                    ("accept-encoding", accept),
                    ("if-none-match", &etags[coding]),
                ],
            )
            .await;
            assert_eq!(status, 304, "{path} {accept}");
            assert!(body.is_empty());
            assert_eq!(header(&headers, "etag"), etags[coding]);
        }
        let (status, _, _) = fetch(
            &client,
            &url,
            &[("accept-encoding", "gzip"), ("if-none-match", &etags["br"])],
        )
        .await;
        assert_eq!(status, 200, "the br tag does not validate the gzip body");

        // HEAD: the headers of the GET in that coding, no body.
        let head = client
            .head(&url)
            .header("accept-encoding", "br")
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), 200);
        assert_eq!(header(head.headers(), "content-encoding"), "br");
        assert_eq!(header(head.headers(), "etag"), etags["br"]);
        assert!(head.bytes().await.unwrap().is_empty());
    }
}

async fn static_files_are_precompressed_and_media_left_alone(backend: Backend) {
    let site = site_with_author(&backend);
    let server = site.start().await;
    let client = client();
    let url = server.url("/static/folio.css");
    let (_, plain_headers, plain) = fetch(&client, &url, &[]).await;
    assert_eq!(header(&plain_headers, "content-encoding"), "");
    assert_eq!(header(&plain_headers, "vary"), "Accept-Encoding");
    let mut etags = Vec::new();
    for coding in ["br", "gzip"] {
        let (status, headers, body) = fetch(&client, &url, &[("accept-encoding", coding)]).await;
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "content-encoding"), coding);
        assert!(header(&headers, "content-type").starts_with("text/css"));
        assert_eq!(decoded(coding, &body), plain);
        assert!(
            body.len() < plain.len() / 3,
            "{coding}: {} of {}",
            body.len(),
            plain.len()
        );
        let etag = header(&headers, "etag").to_owned();
        assert!(!etag.starts_with("W/"));
        let (status, _, _) = fetch(
            &client,
            &url,
            &[("accept-encoding", coding), ("if-none-match", &etag)],
        )
        .await;
        assert_eq!(status, 304);
        etags.push(etag);
    }
    etags.push(header(&plain_headers, "etag").to_owned());
    etags.sort();
    etags.dedup();
    assert_eq!(etags.len(), 3, "one ETag per coding");

    // Media are sent as stored, whatever the client accepts (a PDF is not an image, and
    // would otherwise be compressed), and byte ranges keep working.
    let (author, csrf) = logged_in(&server, "ada@example.org", PASSWORD).await;
    let mut pdf = b"%PDF-1.4\n".to_vec();
    for i in 0..2_000 {
        pdf.extend_from_slice(format!("% a comment line that compresses well {i}\n").as_bytes());
    }
    pdf.extend_from_slice(
        b"1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
    );
    let (status, answer) =
        common::upload_api(&author, &server, &csrf, &[("notes.pdf", &pdf)]).await;
    assert_eq!(status, 201, "{answer}");
    let key: String = folio::db::schema::media::table
        .select(folio::db::schema::media::storage_key)
        .first(&mut site.connect())
        .unwrap();
    let media = server.url(&format!("/media/{key}"));
    let (status, headers, body) = fetch(&client, &media, &[("accept-encoding", "gzip, br")]).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-encoding"), "");
    assert_eq!(body, pdf);
    let (status, headers, body) = fetch(
        &client,
        &media,
        &[("accept-encoding", "gzip, br"), ("range", "bytes=0-8")],
    )
    .await;
    assert_eq!(status, 206);
    assert_eq!(header(&headers, "content-encoding"), "");
    assert_eq!(body, b"%PDF-1.4\n");
}

async fn everything_else_is_compressed_with_weak_or_distinct_etags(backend: Backend) {
    let site = site_with_author(&backend);
    let server = site.start().await;
    let (author, _) = logged_in(&server, "ada@example.org", PASSWORD).await;
    // An admin page (never cached): compressed by the general layer.
    let (status, headers, body) = fetch(
        &author,
        &server.url("/admin/posts"),
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-encoding"), "gzip");
    assert!(
        header(&headers, "vary")
            .to_ascii_lowercase()
            .contains("accept-encoding")
    );
    assert!(
        String::from_utf8(decoded("gzip", &body))
            .unwrap()
            .contains("<html")
    );
    // The site's stylesheet has a strong ETag as sent plain; compressed, it is weak.
    let url = server.url("/site.css");
    let (_, plain_headers, plain) = fetch(&author, &url, &[]).await;
    let plain_etag = header(&plain_headers, "etag").to_owned();
    assert!(!plain_etag.starts_with("W/"));
    assert!(
        header(&plain_headers, "vary")
            .to_ascii_lowercase()
            .contains("accept-encoding")
    );
    let (status, headers, body) = fetch(&author, &url, &[("accept-encoding", "br")]).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-encoding"), "br");
    assert_eq!(decoded("br", &body), plain);
    let etag = header(&headers, "etag").to_owned();
    assert_eq!(etag, format!("W/{plain_etag}"));
    // A client that refuses every coding gets the body as it is (no 406).
    let (status, headers, body) =
        fetch(&author, &url, &[("accept-encoding", "br;q=0, gzip;q=0")]).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-encoding"), "");
    assert_eq!(body, plain);
    // JSON from the API too.
    let (status, headers, body) = fetch(
        &author,
        &server.url("/api/admin/session"),
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(status, 200);
    let coding = header(&headers, "content-encoding").to_owned();
    let json: serde_json::Value = serde_json::from_slice(&decoded(&coding, &body)).unwrap();
    assert!(json["csrf_token"].is_string());
}
