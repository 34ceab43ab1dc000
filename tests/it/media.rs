//! Media: uploads (form and API), type and size checks, image variants, the library,
//! serving, and deleting — on both backends, with fixtures generated here.

use crate::common;

use std::path::PathBuf;

use diesel::prelude::*;
use folio::db::schema::media;
use reqwest::multipart::Form;

use common::{Backend, Server, Site, form_of, get_page, logged_in, png, post_form, upload_api};

on_both_backends!(
    an_image_is_stored_once_with_clean_variants_and_served_for_good,
    identical_uploads_share_one_file_until_the_last_is_deleted,
    bad_uploads_are_refused_clearly_and_leave_nothing_behind,
    an_upload_over_the_limit_is_refused_with_413,
    two_identical_uploads_at_the_same_moment_both_succeed,
    the_library_filters_searches_and_describes,
    posts_show_library_images_with_srcset_and_survive_their_deletion,
    media_paths_outside_the_library_are_not_found,
    a_featured_image_shows_on_lists_and_the_article_until_deleted,
    the_site_logo_is_picked_from_the_library,
    alt_text_typed_in_a_post_fills_the_librarys_when_it_has_none,
);

const PASSWORD: &str = "correct horse battery staple";

/// File names and contents of one upload request.
type Files<'a> = &'a [(&'a str, &'a [u8])];

// ------------------------------------------------------------------ fixtures

/// A JPEG with an EXIF block that carries a fake GPS note.
fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut plain = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut plain),
        image::ImageFormat::Jpeg,
    )
    .unwrap();
    let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\0\0\0\0\0".to_vec();
    exif.extend_from_slice(b"GPS-SECRET 52.5200N 13.4050E");
    let len = (exif.len() + 2) as u16;
    let mut out = plain[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&exif);
    out.extend_from_slice(&plain[2..]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A valid PNG header claiming 50,000 × 50,000 pixels, with a tiny body.
fn png_bomb_header() -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&50_000u32.to_be_bytes());
    ihdr.extend_from_slice(&50_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    out.extend_from_slice(&13u32.to_be_bytes());
    out.extend_from_slice(&ihdr);
    out.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    out.extend_from_slice(&[0u8; 64]);
    out
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

// ------------------------------------------------------------------ helpers

async fn site_with_team(backend: &Backend, env: &[(&str, &str)]) -> (Site, Server) {
    let site = Site::new(backend);
    for role in ["contributor", "author", "editor", "admin"] {
        site.create_user(
            &format!("{role}@example.org"),
            &format!("The {role}"),
            role,
            PASSWORD,
        );
    }
    let server = site.start_with(env).await;
    (site, server)
}

/// Uploads through the plain form.
async fn upload(
    client: &reqwest::Client,
    server: &Server,
    csrf: &str,
    files: &[(&str, &[u8])],
) -> reqwest::Response {
    client
        .post(server.url(&format!("/admin/media?csrf_token={csrf}")))
        .multipart(form_of(files))
        .send()
        .await
        .unwrap()
}

fn media_dir(site: &Site) -> PathBuf {
    site.data_dir().join("media")
}

/// Every file under the media directory (relative paths), the temp directory included.
fn files_on_disk(site: &Site) -> Vec<String> {
    common::files_under(&media_dir(site))
}

fn media_count(site: &Site) -> i64 {
    media::table
        .count()
        .get_result(&mut site.connect())
        .unwrap()
}

/// id, file name, storage key, mime, width, height, size.
type Row = (i32, String, String, String, Option<i32>, Option<i32>, i64);

fn media_rows(site: &Site) -> Vec<Row> {
    media::table
        .order(media::id)
        .select((
            media::id,
            media::file_name,
            media::storage_key,
            media::mime_type,
            media::width,
            media::height,
            media::size_bytes,
        ))
        .load(&mut site.connect())
        .unwrap()
}

async fn status_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

// ------------------------------------------------------------------ tests

async fn an_image_is_stored_once_with_clean_variants_and_served_for_good(backend: Backend) {
    let (site, server) = site_with_team(&backend, &[]).await;
    let (client, csrf) = logged_in(&server, "contributor@example.org", PASSWORD).await;
    let original = jpeg(2000, 1000);

    let response = upload(&client, &server, &csrf, &[("Holiday photo.JPG", &original)]).await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let rows = media_rows(&site);
    assert_eq!(rows.len(), 1);
    let (id, name, key, mime, width, height, size) = rows[0].clone();
    assert_eq!(
        location,
        format!("/admin/media/{id}"),
        "one image: describe it next"
    );
    assert_eq!(name, "Holiday photo.JPG");
    assert_eq!(mime, "image/jpeg");
    assert_eq!((width, height), (Some(2000), Some(1000)));
    // The original is kept without its metadata, named by the hash of what is kept.
    let stored = std::fs::read(media_dir(&site).join(&key)).unwrap();
    assert!(
        !stored.windows(10).any(|w| w == b"GPS-SECRET"),
        "the original kept its EXIF block"
    );
    assert!(stored.len() < original.len());
    assert_eq!(size, stored.len() as i64);
    let hash = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&stored));
    assert_eq!(key, format!("{}/{}/{hash}.jpg", &hash[..2], &hash[2..4]));

    // The page prompts for alt text.
    let page = get_page(&client, &server.url(&location), 200).await;
    assert!(page.contains("add its alt text"), "{page}");
    assert!(page.contains("name=\"alt_text\""), "{page}");

    // Original plus 480, 960 and 1600 px variants; nothing left in the temp directory.
    let prefix = format!("{}/{}/{hash}", &hash[..2], &hash[2..4]);
    assert_eq!(
        files_on_disk(&site),
        vec![
            format!("{prefix}-1600.jpg"),
            format!("{prefix}-480.jpg"),
            format!("{prefix}-960.jpg"),
            format!("{prefix}.jpg"),
        ]
    );
    for width in [480u32, 960, 1600] {
        let bytes = std::fs::read(media_dir(&site).join(format!("{prefix}-{width}.jpg"))).unwrap();
        let variant = image::load_from_memory(&bytes).unwrap();
        assert_eq!((variant.width(), variant.height()), (width, width / 2));
        assert!(
            !bytes.windows(10).any(|w| w == b"GPS-SECRET"),
            "variant {width} kept the EXIF block"
        );
    }

    // Served with its type, for good, and in ranges.
    let anonymous = common::client();
    let response = anonymous
        .get(server.url(&format!("/media/{prefix}-960.jpg")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(
        headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline")
    );
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let again = anonymous
        .get(server.url(&format!("/media/{key}")))
        .header("range", "bytes=0-9")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 206);
    assert_eq!(again.bytes().await.unwrap().as_ref(), &stored[..10]);
    let cached = anonymous
        .get(server.url(&format!("/media/{prefix}-960.jpg")))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), 304);
    let head = anonymous
        .head(server.url(&format!("/media/{key}")))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(
        head.headers()["content-length"],
        stored.len().to_string().as_str()
    );

    // The upload is in the audit log.
    let logged: i64 = {
        use folio::db::schema::audit_log;
        audit_log::table
            .filter(audit_log::action.eq("media.upload"))
            .filter(audit_log::detail.eq("Holiday photo.JPG"))
            .count()
            .get_result(&mut site.connect())
            .unwrap()
    };
    assert_eq!(logged, 1);

    // Documents are downloads, not pages.
    let (status, body) = upload_api(&client, &server, &csrf, &[("report.pdf", &pdf())]).await;
    assert_eq!(status, 201, "{body}");
    let url = body["files"][0]["url"].as_str().unwrap().to_owned();
    assert_eq!(body["files"][0]["markdown"], format!("[report.pdf]({url})"));
    let response = anonymous.get(server.url(&url)).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
}

async fn identical_uploads_share_one_file_until_the_last_is_deleted(backend: Backend) {
    let (site, server) = site_with_team(&backend, &[]).await;
    let (author, author_csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let (editor, editor_csrf) = logged_in(&server, "editor@example.org", PASSWORD).await;
    let bytes = png(600, 400);

    let (status, first) = upload_api(&author, &server, &author_csrf, &[("a.png", &bytes)]).await;
    assert_eq!(status, 201, "{first}");
    let (status, second) =
        upload_api(&editor, &server, &editor_csrf, &[("same.png", &bytes)]).await;
    assert_eq!(status, 201, "{second}");
    assert_eq!(first["files"][0]["url"], second["files"][0]["url"]);
    assert_eq!(media_count(&site), 2, "one library entry per upload");
    let on_disk = files_on_disk(&site);
    assert_eq!(
        on_disk.len(),
        3,
        "one original, variants 480 and 600: {on_disk:?}"
    );

    // The author may not delete the editor's entry; the editor may delete the author's.
    let editors_id = second["files"][0]["id"].as_i64().unwrap();
    let authors_id = first["files"][0]["id"].as_i64().unwrap();
    let refused = post_form(
        &author,
        &server,
        &format!("/admin/media/{editors_id}/delete"),
        &author_csrf,
        &[],
    )
    .await;
    assert_eq!(refused.status(), 403);
    let response = post_form(
        &editor,
        &server,
        &format!("/admin/media/{authors_id}/delete"),
        &editor_csrf,
        &[],
    )
    .await;
    assert_eq!(response.status(), 303);
    assert_eq!(media_count(&site), 1);
    assert_eq!(
        files_on_disk(&site),
        on_disk,
        "still used by the other entry"
    );

    let response = post_form(
        &editor,
        &server,
        &format!("/admin/media/{editors_id}/delete"),
        &editor_csrf,
        &[],
    )
    .await;
    assert_eq!(response.status(), 303);
    assert_eq!(media_count(&site), 0);
    assert_eq!(
        files_on_disk(&site),
        Vec::<String>::new(),
        "files go with the last entry"
    );
    let gone = common::client()
        .get(server.url(second["files"][0]["url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
}

async fn bad_uploads_are_refused_clearly_and_leave_nothing_behind(backend: Backend) {
    let (site, server) = site_with_team(&backend, &[]).await;
    let (client, csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let html = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>".to_vec();
    let real_png = png(40, 30);
    let truncated = real_png[..real_png.len() / 2].to_vec();
    let mut fake_gif = b"GIF89a".to_vec();
    fake_gif.extend_from_slice(b"<script>alert(1)</script>");
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("empty.jpg", Vec::new(), 422, "empty.jpg is empty"),
        (
            "photo.jpg",
            html.clone(),
            415,
            "not a type of file Folio accepts",
        ),
        ("page.html", html.clone(), 415, "Accepted: JPEG, PNG"),
        (
            "picture.jpg",
            real_png.clone(),
            415,
            "named like a JPEG image but its content is a PNG image",
        ),
        ("cut.png", truncated, 422, "could not be read as an image"),
        ("bomb.png", png_bomb_header(), 422, "50000 × 50000 pixels"),
        ("polyglot.gif", fake_gif, 422, "polyglot.gif is"),
        (
            "drawing.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec(),
            415,
            "not a type",
        ),
    ];
    for (name, bytes, status, message) in &cases {
        let (got, body) = status_of(upload(&client, &server, &csrf, &[(name, bytes)]).await).await;
        assert_eq!(got, *status, "{name}: {body}");
        assert!(
            body.contains(message),
            "{name}: expected {message:?} in {body}"
        );
        let (got, json) = upload_api(&client, &server, &csrf, &[(name, bytes)]).await;
        assert_eq!(got, *status, "API {name}: {json}");
        assert!(
            json["error"]["message"].as_str().unwrap().contains(message),
            "API {name}: {json}"
        );
    }
    // A good file with a bad one: all or nothing.
    let (got, _) = upload_api(
        &client,
        &server,
        &csrf,
        &[("good.png", &real_png), ("bad.png", &html)],
    )
    .await;
    assert_eq!(got, 415);

    // 26 MB against the default limit of 25 MB.
    let mut huge = pdf();
    huge.resize(26 * 1024 * 1024, b' ');
    let (got, json) = upload_api(&client, &server, &csrf, &[("huge.pdf", &huge)]).await;
    assert_eq!(got, 413, "{json}");
    assert!(
        json["error"]["message"].as_str().unwrap().contains("25 MB"),
        "{json}"
    );

    // No file part, or not multipart at all.
    let no_file = client
        .post(server.url(&format!("/admin/media?csrf_token={csrf}")))
        .multipart(Form::new().text("note", "hello"))
        .send()
        .await
        .unwrap();
    let (got, body) = status_of(no_file).await;
    assert_eq!(got, 422, "{body}");
    assert!(body.contains("Choose at least one file"), "{body}");
    let (got, _) = status_of(post_form(&client, &server, "/admin/media", &csrf, &[]).await).await;
    assert_eq!(got, 422);
    // A malformed multipart body.
    let broken = client
        .post(server.url("/api/admin/media"))
        .header("x-csrf-token", &csrf)
        .header("content-type", "multipart/form-data; boundary=XYZ")
        .body("--XYZ\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.png\"\r\n\r\nabc")
        .send()
        .await
        .unwrap();
    let (got, body) = status_of(broken).await;
    assert!(got == 400 || got == 422, "{got} {body}");

    // Without a login or without the CSRF token: refused, nothing stored.
    let anonymous = common::client();
    let login = get_page(&anonymous, &server.url("/admin/login"), 200).await;
    let anonymous_csrf = common::input_value(&login, "csrf_token").unwrap();
    let (got, _) = status_of(
        anonymous
            .post(server.url("/api/admin/media"))
            .header("x-csrf-token", anonymous_csrf)
            .multipart(form_of(&[("ok.png", &real_png)]))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(got, 401);
    let (got, _) = status_of(
        client
            .post(server.url("/api/admin/media"))
            .multipart(form_of(&[("ok.png", &real_png)]))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(got, 403);

    assert_eq!(media_count(&site), 0);
    assert_eq!(files_on_disk(&site), Vec::<String>::new());

    // A real image with a page appended is stored, but pages only ever get the re-encoded
    // variants, and the original goes out as an image that browsers must not sniff.
    let mut polyglot = real_png.clone();
    polyglot.extend_from_slice(b"<html><script>alert(1)</script></html>");
    let (got, json) = upload_api(&client, &server, &csrf, &[("both.png", &polyglot)]).await;
    assert_eq!(got, 201, "{json}");
    for file in files_on_disk(&site).iter().filter(|f| f.contains('-')) {
        let bytes = std::fs::read(media_dir(&site).join(file)).unwrap();
        assert!(!bytes.windows(7).any(|w| w == b"<script"), "{file}");
    }
    let served = common::client()
        .get(server.url(json["files"][0]["url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.headers()["x-content-type-options"], "nosniff");

    // A hostile name is only a label.
    let (got, json) = upload_api(
        &client,
        &server,
        &csrf,
        &[("../../etc/pass\twd.png", &real_png)],
    )
    .await;
    assert_eq!(got, 201, "{json}");
    assert_eq!(json["files"][0]["name"], "passwd.png");
    assert!(files_on_disk(&site).iter().all(|f| !f.contains("passwd")));
}

async fn an_upload_over_the_limit_is_refused_with_413(backend: Backend) {
    let (site, server) = site_with_team(&backend, &[("FOLIO_MAX_UPLOAD_MB", "1")]).await;
    let (client, csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let mut big = pdf();
    big.resize(1024 * 1024 + 1, b' ');
    let (status, json) = upload_api(&client, &server, &csrf, &[("big.pdf", &big)]).await;
    assert_eq!(status, 413, "{json}");
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("larger than the upload limit of 1 MB"),
        "{json}"
    );
    let (status, body) =
        status_of(upload(&client, &server, &csrf, &[("big.pdf", &big)]).await).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(media_count(&site), 0);
    assert_eq!(
        files_on_disk(&site),
        Vec::<String>::new(),
        "no partial file"
    );

    // Exactly at the limit is fine.
    big.truncate(1024 * 1024);
    let (status, json) = upload_api(&client, &server, &csrf, &[("fits.pdf", &big)]).await;
    assert_eq!(status, 201, "{json}");
}

async fn two_identical_uploads_at_the_same_moment_both_succeed(backend: Backend) {
    let (site, server) = site_with_team(&backend, &[]).await;
    let (client, csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let bytes = jpeg(1200, 800);
    let one: Files = &[("one.jpg", &bytes)];
    let two: Files = &[("two.jpg", &bytes)];
    let (a, b) = tokio::join!(
        upload_api(&client, &server, &csrf, one),
        upload_api(&client, &server, &csrf, two),
    );
    assert_eq!((a.0, b.0), (201, 201), "{} {}", a.1, b.1);
    assert_eq!(media_count(&site), 2);
    assert_eq!(files_on_disk(&site).len(), 4, "{:?}", files_on_disk(&site));
}

async fn the_library_filters_searches_and_describes(backend: Backend) {
    let (_site, server) = site_with_team(&backend, &[]).await;
    let (client, csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let (status, json) = upload_api(
        &client,
        &server,
        &csrf,
        &[
            ("Red door.png", &png(50, 50)),
            ("Annual report.pdf", &pdf()),
        ],
    )
    .await;
    assert_eq!(status, 201, "{json}");
    let image_id = json["files"][0]["id"].as_i64().unwrap();

    let page = get_page(&client, &server.url("/admin/media"), 200).await;
    assert!(page.contains("Red door.png") && page.contains("Annual report.pdf"));
    assert!(
        page.contains("Needs alt text"),
        "images without alt text are marked"
    );
    let images = get_page(&client, &server.url("/admin/media?type=image"), 200).await;
    assert!(images.contains("Red door.png") && !images.contains("Annual report.pdf"));
    let found = get_page(&client, &server.url("/admin/media?q=REPORT"), 200).await;
    assert!(!found.contains("Red door.png") && found.contains("Annual report.pdf"));
    let none = get_page(&client, &server.url("/admin/media?q=%25_"), 200).await;
    assert!(none.contains("0 files."), "LIKE wildcards are literal");
    get_page(&client, &server.url("/admin/media?type=spreadsheet"), 400).await;
    get_page(&client, &server.url("/admin/media?page=9"), 404).await;
    get_page(&client, &server.url("/admin/media?page=0"), 404).await;
    let api: serde_json::Value = client
        .get(server.url("/api/admin/media?type=image"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["total"], 1);

    // Describe it; too long is a form message that keeps the text.
    let long = "x".repeat(501);
    let response = post_form(
        &client,
        &server,
        &format!("/admin/media/{image_id}"),
        &csrf,
        &[("alt_text", &long), ("caption", "Kept caption")],
    )
    .await;
    let (status, body) = status_of(response).await;
    assert_eq!(status, 422);
    assert!(body.contains("Keep the alt text under 500") && body.contains("Kept caption"));
    let response = post_form(
        &client,
        &server,
        &format!("/admin/media/{image_id}"),
        &csrf,
        &[("alt_text", " A red door "), ("caption", "Seen in Lisbon")],
    )
    .await;
    assert_eq!(response.status(), 303);
    let api: serde_json::Value = client
        .get(server.url("/api/admin/media?type=image"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["files"][0]["alt_text"], "A red door");
    assert_eq!(
        api["files"][0]["markdown"],
        format!(
            "![A red door]({})",
            api["files"][0]["url"].as_str().unwrap()
        )
    );
    let page = get_page(&client, &server.url("/admin/media"), 200).await;
    assert!(!page.contains("Needs alt text"));
    get_page(&client, &server.url("/admin/media/999999"), 404).await;
}

async fn posts_show_library_images_with_srcset_and_survive_their_deletion(backend: Backend) {
    let (_site, server) = site_with_team(&backend, &[]).await;
    let (client, csrf) = logged_in(&server, "editor@example.org", PASSWORD).await;
    let (_, json) = upload_api(&client, &server, &csrf, &[("door.jpg", &jpeg(1200, 600))]).await;
    let id = json["files"][0]["id"].as_i64().unwrap();
    let url = json["files"][0]["url"].as_str().unwrap().to_owned();
    let body = format!("Before.\n\n![A red door]({url})\n\nAfter.");
    let response = post_form(
        &client,
        &server,
        "/admin/posts",
        &csrf,
        &[
            ("title", "Doors of Lisbon"),
            ("body", &body),
            ("action", "publish"),
        ],
    )
    .await;
    assert_eq!(response.status(), 303);

    let page = get_page(&common::client(), &server.url("/doors-of-lisbon"), 200).await;
    let stem = url.trim_end_matches(".jpg");
    assert!(page.contains(&format!("src=\"{stem}-1200.jpg\"")), "{page}");
    assert!(
        page.contains(&format!(
            "srcset=\"{stem}-480.jpg 480w, {stem}-960.jpg 960w, {stem}-1200.jpg 1200w\""
        )),
        "{page}"
    );
    assert!(page.contains("width=\"1200\" height=\"600\""), "{page}");
    assert!(page.contains("alt=\"A red door\""), "{page}");

    // The library shows where it is used, and warns before deleting.
    let detail = get_page(&client, &server.url(&format!("/admin/media/{id}")), 200).await;
    assert!(detail.contains("Doors of Lisbon"), "{detail}");
    assert!(
        detail.contains("1 post or page above uses this file"),
        "{detail}"
    );
    let response = post_form(
        &client,
        &server,
        &format!("/admin/media/{id}/delete"),
        &csrf,
        &[],
    )
    .await;
    assert_eq!(response.status(), 303);

    let page = get_page(&common::client(), &server.url("/doors-of-lisbon"), 200).await;
    assert!(!page.contains(stem), "no broken image left: {page}");
    assert!(page.contains("A red door"), "its alt text stays: {page}");
}

async fn alt_text_typed_in_a_post_fills_the_librarys_when_it_has_none(backend: Backend) {
    let (site, server) = site_with_team(&backend, &[]).await;
    let (client, csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let (_, json) = upload_api(
        &client,
        &server,
        &csrf,
        &[("harbour.png", &png(40, 30)), ("door.png", &png(30, 40))],
    )
    .await;
    let file = |n: usize| {
        (
            json["files"][n]["id"].as_i64().unwrap() as i32,
            json["files"][n]["url"].as_str().unwrap().to_owned(),
        )
    };
    let ((harbour, harbour_url), (door, door_url)) = (file(0), file(1));
    let alt_of = |id: i32| -> String {
        media::table
            .find(id)
            .select(media::alt_text)
            .first(&mut site.connect())
            .unwrap()
    };
    // The door was described in the library; the harbour not yet.
    let response = post_form(
        &client,
        &server,
        &format!("/admin/media/{door}"),
        &csrf,
        &[("alt_text", "A green door"), ("caption", "")],
    )
    .await;
    assert_eq!(response.status(), 303);
    let page = get_page(&client, &server.url("/admin/media"), 200).await;
    assert_eq!(page.matches("Needs alt text").count(), 1, "{page}");

    let body = format!(
        "![A harbour at dawn]({harbour_url})\n\n![A red door]({door_url})\n\n![]({harbour_url})"
    );
    let id = common::write_post(
        &client,
        &server,
        &csrf,
        &[("title", "Mornings"), ("body", &body), ("action", "save")],
    )
    .await;
    assert_eq!(alt_of(harbour), "A harbour at dawn", "filled when empty");
    assert_eq!(alt_of(door), "A green door", "never overwritten");
    let page = get_page(&client, &server.url("/admin/media"), 200).await;
    assert!(!page.contains("Needs alt text"), "{page}");

    // Later texts don't replace it either.
    let response = common::save_post(
        &client,
        &server,
        id,
        &[("body", &format!("![Boats]({harbour_url})"))],
        "save",
    )
    .await;
    assert_eq!(response.status(), 303);
    assert_eq!(alt_of(harbour), "A harbour at dawn");
}

async fn media_paths_outside_the_library_are_not_found(backend: Backend) {
    let (_site, server) = site_with_team(&backend, &[]).await;
    let anonymous = common::client();
    for path in [
        "/media/../folio.db",
        "/media/..%2Ffolio.db",
        "/media/%2e%2e/%2e%2e/etc/passwd",
        "/media//etc/passwd",
        "/media/session.key",
        "/media/.tmp/x",
        "/media/",
        "/media/e3/b0/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.jpg",
        "/media/e3%2Fb0%2Fe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.jpg",
    ] {
        let response = anonymous.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
}

async fn a_featured_image_shows_on_lists_and_the_article_until_deleted(backend: Backend) {
    let (_site, server) = site_with_team(&backend, &[]).await;
    let (client, csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let (_, json) = upload_api(&client, &server, &csrf, &[("tram.jpg", &jpeg(2400, 1600))]).await;
    let image = json["files"][0]["id"].as_i64().unwrap().to_string();
    let stem = json["files"][0]["url"]
        .as_str()
        .unwrap()
        .trim_end_matches(".jpg")
        .to_owned();
    post_form(
        &client,
        &server,
        &format!("/admin/media/{image}"),
        &csrf,
        &[("alt_text", "A yellow tram"), ("caption", "Line 28")],
    )
    .await;

    // The editor offers it; a bad choice is a form message that keeps the text.
    let editor = get_page(&client, &server.url("/admin/posts/new"), 200).await;
    assert!(editor.contains("tram.jpg — A yellow tram"), "{editor}");
    let response = post_form(
        &client,
        &server,
        "/admin/posts",
        &csrf,
        &[
            ("title", "Trams"),
            ("body", "Kept text."),
            ("featured_media_id", "999999"),
            ("action", "publish"),
        ],
    )
    .await;
    let (status, body) = status_of(response).await;
    assert_eq!(status, 422);
    assert!(body.contains("no longer in the library") && body.contains("Kept text."));

    let response = post_form(
        &client,
        &server,
        "/admin/posts",
        &csrf,
        &[
            ("title", "Trams"),
            ("body", "Kept text."),
            ("featured_media_id", &image),
            ("action", "publish"),
        ],
    )
    .await;
    assert_eq!(response.status(), 303);
    let edit_url = response.headers()["location"].to_str().unwrap().to_owned();
    let editor = get_page(&client, &server.url(&edit_url), 200).await;
    assert!(
        editor.contains(&format!("<option value=\"{image}\" selected>")),
        "{editor}"
    );

    let srcset =
        format!("srcset=\"{stem}-480.jpg 480w, {stem}-960.jpg 960w, {stem}-1600.jpg 1600w\"");
    let home = get_page(&common::client(), &server.url("/"), 200).await;
    assert!(home.contains(&srcset), "{home}");
    let article = get_page(&common::client(), &server.url("/trams"), 200).await;
    assert!(article.contains(&srcset), "{article}");
    assert!(article.contains("alt=\"A yellow tram\""), "{article}");
    assert!(
        article.contains("<figcaption>Line 28</figcaption>"),
        "{article}"
    );
    assert!(
        article.contains("width=\"1600\" height=\"1066\""),
        "{article}"
    );
    assert!(
        article.contains(&format!(
            "<meta property=\"og:image\" content=\"{}{stem}-1600.jpg\">",
            server.base
        )),
        "{article}"
    );

    let detail = get_page(&client, &server.url(&format!("/admin/media/{image}")), 200).await;
    assert!(
        detail.contains("Trams"),
        "the library lists the post using it"
    );
    post_form(
        &client,
        &server,
        &format!("/admin/media/{image}/delete"),
        &csrf,
        &[],
    )
    .await;
    let article = get_page(&common::client(), &server.url("/trams"), 200).await;
    assert!(
        !article.contains(&stem) && !article.contains("<figure"),
        "{article}"
    );
}

async fn the_site_logo_is_picked_from_the_library(backend: Backend) {
    let (_site, server) = site_with_team(&backend, &[]).await;
    let (client, csrf) = logged_in(&server, "admin@example.org", PASSWORD).await;
    let (_, json) = upload_api(&client, &server, &csrf, &[("logo.png", &png(600, 200))]).await;
    let logo = json["files"][0]["id"].as_i64().unwrap().to_string();
    let stem = json["files"][0]["url"]
        .as_str()
        .unwrap()
        .trim_end_matches(".png")
        .to_owned();
    let settings = |logo: &str| {
        vec![
            ("title", "Trams weekly".to_owned()),
            ("description", "About trams.".to_owned()),
            ("accent_colour", "#2354c4".to_owned()),
            ("posts_per_page", "10".to_owned()),
            ("time_zone", "UTC".to_owned()),
            ("navigation", String::new()),
            ("footer", String::new()),
            ("custom_css", String::new()),
            ("feed_content", "full".to_owned()),
            ("logo_media_id", logo.to_owned()),
        ]
    };
    let page = get_page(&client, &server.url("/admin/settings"), 200).await;
    assert!(
        page.contains(&format!("<option value=\"{logo}\">logo.png</option>")),
        "{page}"
    );

    let save = |fields: Vec<(&'static str, String)>| {
        let client = client.clone();
        let url = server.url("/admin/settings");
        let csrf = csrf.clone();
        async move {
            let mut form = vec![("csrf_token", csrf)];
            form.extend(fields);
            client.post(url).form(&form).send().await.unwrap()
        }
    };
    let (status, body) = status_of(save(settings("424242")).await).await;
    assert_eq!(status, 422);
    assert!(body.contains("no longer in the library"), "{body}");
    assert_eq!(save(settings(&logo)).await.status(), 303);
    let home = get_page(&common::client(), &server.url("/"), 200).await;
    assert!(
        home.contains(&format!(
            "<img class=\"site-logo\" src=\"{stem}-480.png\" alt=\"\" width=\"600\" height=\"200\">"
        )),
        "{home}"
    );
    let detail = get_page(&client, &server.url(&format!("/admin/media/{logo}")), 200).await;
    assert!(detail.contains("This is the site logo"), "{detail}");
    assert_eq!(save(settings("")).await.status(), 303);
    let home = get_page(&common::client(), &server.url("/"), 200).await;
    assert!(!home.contains("site-logo"), "{home}");
}
