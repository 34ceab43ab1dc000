//! What reaches people who should not have it: preview links after publishing, other
//! people's draft titles, invitations an editor may not touch, addresses a redirect holds,
//! metadata in uploaded originals, public pages for tags and accounts with nothing
//! public, and redirects built from the request path.

use crate::common;

use diesel::prelude::*;
use folio::db::schema::{posts, redirects, tokens};

use common::{
    Backend, Server, Site, client, get_page, logged_in, post_form, save_post, shown_link,
    upload_api, write_post,
};

on_both_backends!(
    a_preview_link_dies_for_good_once_the_post_is_public,
    an_editor_cannot_replace_an_admins_invitation,
    a_slug_held_by_a_redirect_stays_with_its_post,
    used_by_lists_only_what_the_viewer_may_see,
    uploaded_originals_lose_their_metadata,
    tag_and_author_pages_exist_only_with_public_posts,
    the_trailing_slash_fallback_redirects_only_to_clean_local_paths,
);

const PASSWORD: &str = "correct horse battery staple";

/// A site with one account per role (`contributor@example.org` …) and a second author,
/// `bob@example.org`.
async fn site_with_team(backend: &Backend) -> (Site, Server) {
    let site = Site::new(backend);
    for role in ["contributor", "author", "editor", "admin"] {
        site.create_user(
            &format!("{role}@example.org"),
            &format!("The {role}"),
            role,
            PASSWORD,
        );
    }
    site.create_user("bob@example.org", "Bob", "author", PASSWORD);
    let server = site.start().await;
    (site, server)
}

async fn status(client: &reqwest::Client, url: &str) -> u16 {
    client.get(url).send().await.unwrap().status().as_u16()
}

// ------------------------------------------------------------------ preview links

async fn a_preview_link_dies_for_good_once_the_post_is_public(backend: Backend) {
    let (site, server) = site_with_team(&backend).await;
    let (author, csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let reader = client();
    let make_link = |id: i32| {
        let (author, csrf, server) = (&author, &csrf, &server);
        async move {
            let response = post_form(
                author,
                server,
                &format!("/admin/posts/{id}/preview-link"),
                csrf,
                &[],
            )
            .await;
            assert_eq!(response.status(), 201);
            shown_link(&response.text().await.unwrap())
        }
    };

    // Published, then unpublished and rewritten: the old link stays dead.
    let id = write_post(
        &author,
        &server,
        &csrf,
        &[
            ("title", "Launch"),
            ("body", "First text."),
            ("action", "save"),
        ],
    )
    .await;
    let link = make_link(id).await;
    assert_eq!(status(&reader, &link).await, 200);
    assert_eq!(
        save_post(&author, &server, id, &[], "publish")
            .await
            .status(),
        303
    );
    assert_eq!(status(&reader, &link).await, 404, "published");
    assert_eq!(
        save_post(
            &author,
            &server,
            id,
            &[("body", "Second, secret text.")],
            "unpublish"
        )
        .await
        .status(),
        303
    );
    let again = reader.get(&link).send().await.unwrap();
    assert_eq!(again.status(), 404, "unpublished: the link stays dead");
    assert!(!again.text().await.unwrap().contains("Second, secret text."));

    // Scheduled: the link works until the time comes; after that it is dead for good,
    // even if nobody opened it while the post was public.
    let id = write_post(
        &author,
        &server,
        &csrf,
        &[("title", "Later"), ("body", "Soon."), ("action", "save")],
    )
    .await;
    let link = make_link(id).await;
    assert_eq!(
        save_post(
            &author,
            &server,
            id,
            &[("publish_at", "2099-01-01T09:00")],
            "schedule"
        )
        .await
        .status(),
        303
    );
    assert_eq!(
        status(&reader, &link).await,
        200,
        "scheduled: not public yet"
    );
    diesel::update(posts::table.find(id))
        .set(posts::published_at.eq(chrono::Utc::now().naive_utc() - chrono::TimeDelta::hours(1)))
        .execute(&mut site.connect())
        .unwrap();
    assert_eq!(
        save_post(
            &author,
            &server,
            id,
            &[("body", "Changed my mind.")],
            "unpublish"
        )
        .await
        .status(),
        303
    );
    assert_eq!(status(&reader, &link).await, 404, "it was public once");

    // A new link for the draft works (the rule is about links made before publishing).
    let fresh = make_link(id).await;
    assert_eq!(status(&reader, &fresh).await, 200);
}

// ------------------------------------------------------------------ invitations

async fn an_editor_cannot_replace_an_admins_invitation(backend: Backend) {
    let (site, server) = site_with_team(&backend).await;
    let (admin, admin_csrf) = logged_in(&server, "admin@example.org", PASSWORD).await;
    let (editor, editor_csrf) = logged_in(&server, "editor@example.org", PASSWORD).await;
    let invite = |client: &reqwest::Client, csrf: &str, email: &str, role: &str| {
        let (client, csrf, email, role) = (
            client.clone(),
            csrf.to_owned(),
            email.to_owned(),
            role.to_owned(),
        );
        let server = &server;
        async move {
            post_form(
                &client,
                server,
                "/admin/users/invite",
                &csrf,
                &[("email", email.as_str()), ("role", role.as_str())],
            )
            .await
        }
    };

    let response = invite(&admin, &admin_csrf, "new-admin@example.org", "admin").await;
    assert_eq!(response.status(), 201);
    let link = shown_link(&response.text().await.unwrap());

    let refused = invite(
        &editor,
        &editor_csrf,
        "new-admin@example.org",
        "contributor",
    )
    .await;
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("Only an admin"));
    let accept_page = get_page(&client(), &link, 200).await;
    assert!(
        accept_page.contains("name=\"token\""),
        "the admin's link still works"
    );
    let pending: Vec<Option<String>> = tokens::table
        .filter(tokens::email.eq("new-admin@example.org"))
        .filter(tokens::revoked_at.is_null())
        .select(tokens::role)
        .load(&mut site.connect())
        .unwrap();
    assert_eq!(pending, vec![Some("admin".to_owned())], "nothing changed");

    // What an editor could have made, an editor may replace.
    let first = invite(&editor, &editor_csrf, "writer@example.org", "contributor").await;
    assert_eq!(first.status(), 201);
    let first = shown_link(&first.text().await.unwrap());
    let second = invite(&editor, &editor_csrf, "writer@example.org", "author").await;
    assert_eq!(second.status(), 201);
    assert_eq!(status(&client(), &first).await, 410, "replaced");
}

// ------------------------------------------------------------------ slugs and redirects

fn redirect_rows(site: &Site) -> Vec<(String, Option<i32>)> {
    redirects::table
        .order(redirects::from_path)
        .select((redirects::from_path, redirects::post_id))
        .load(&mut site.connect())
        .unwrap()
}

fn slug_of(site: &Site, id: i32) -> String {
    posts::table
        .find(id)
        .select(posts::slug)
        .first(&mut site.connect())
        .unwrap()
}

async fn a_slug_held_by_a_redirect_stays_with_its_post(backend: Backend) {
    let (site, server) = site_with_team(&backend).await;
    let (alice, alice_csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let (bob, bob_csrf) = logged_in(&server, "bob@example.org", PASSWORD).await;
    let original = write_post(
        &alice,
        &server,
        &alice_csrf,
        &[
            ("title", "Big news"),
            ("body", "Alice's story."),
            ("action", "publish"),
        ],
    )
    .await;
    assert_eq!(
        save_post(
            &alice,
            &server,
            original,
            &[("slug", "big-news-2026")],
            "save"
        )
        .await
        .status(),
        303
    );
    assert_eq!(
        redirect_rows(&site),
        vec![("/big-news".to_owned(), Some(original))]
    );

    // Bob can't take the old address, neither typed nor derived from his title.
    let response = post_form(
        &bob,
        &server,
        "/admin/posts",
        &bob_csrf,
        &[
            ("title", "Hijack"),
            ("slug", "big-news"),
            ("body", "Bob typed this."),
            ("action", "publish"),
        ],
    )
    .await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Bob typed this."),
        "the text comes back: {page}"
    );
    assert!(page.contains("redirects"), "says why: {page}");
    let bobs = write_post(
        &bob,
        &server,
        &bob_csrf,
        &[
            ("title", "Big news"),
            ("body", "Bob typed this."),
            ("action", "publish"),
        ],
    )
    .await;
    assert_ne!(slug_of(&site, bobs), "big-news");
    let moved = save_post(&bob, &server, bobs, &[("slug", "big-news")], "save").await;
    assert_eq!(moved.status(), 422);
    assert_eq!(
        redirect_rows(&site),
        vec![("/big-news".to_owned(), Some(original))]
    );
    let old = client().get(server.url("/big-news")).send().await.unwrap();
    assert_eq!(old.status(), 301);
    assert_eq!(old.headers()["location"], "/big-news-2026");

    // Alice may move back to her own old address: the redirect goes, a new one comes.
    assert_eq!(
        save_post(&alice, &server, original, &[("slug", "big-news")], "save")
            .await
            .status(),
        303
    );
    assert_eq!(slug_of(&site, original), "big-news");
    assert_eq!(
        redirect_rows(&site),
        vec![("/big-news-2026".to_owned(), Some(original))]
    );
    let page = get_page(&client(), &server.url("/big-news"), 200).await;
    assert!(page.contains("Alice"));
}

// ------------------------------------------------------------------ media "used by"

async fn used_by_lists_only_what_the_viewer_may_see(backend: Backend) {
    let (_site, server) = site_with_team(&backend).await;
    let (contributor, contributor_csrf) =
        logged_in(&server, "contributor@example.org", PASSWORD).await;
    let (status_code, body) = upload_api(
        &contributor,
        &server,
        &contributor_csrf,
        &[("dot.png", &common::png(8, 8))],
    )
    .await;
    assert_eq!(status_code, 201, "{body}");
    let id = body["files"][0]["id"].as_i64().unwrap();
    let markdown = body["files"][0]["markdown"].as_str().unwrap().to_owned();

    let (author, author_csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let (bob, bob_csrf) = logged_in(&server, "bob@example.org", PASSWORD).await;
    let (editor, _) = logged_in(&server, "editor@example.org", PASSWORD).await;
    let with_image = |title: &str| {
        let body = format!("Shows {markdown}");
        [
            ("title", title.to_owned()),
            ("body", body),
            ("action", "save".to_owned()),
        ]
    };
    for (client, csrf, title, action) in [
        (&author, &author_csrf, "Author secret plan", "save"),
        (&author, &author_csrf, "Author public note", "publish"),
        (&bob, &bob_csrf, "Bob hidden draft", "save"),
        (
            &contributor,
            &contributor_csrf,
            "Contributor own draft",
            "save",
        ),
    ] {
        let mut fields = with_image(title);
        fields[2].1 = action.to_owned();
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        write_post(client, &server, csrf, &fields).await;
    }

    let page_for = |client: &reqwest::Client| {
        let (client, url) = (client.clone(), server.url(&format!("/admin/media/{id}")));
        async move { get_page(&client, &url, 200).await }
    };
    let all = [
        "Author secret plan",
        "Author public note",
        "Bob hidden draft",
        "Contributor own draft",
    ];
    for (who, client, visible) in [
        (
            "contributor",
            &contributor,
            &["Author public note", "Contributor own draft"][..],
        ),
        (
            "author",
            &author,
            &["Author secret plan", "Author public note"][..],
        ),
        ("editor", &editor, &all[..]),
    ] {
        let page = page_for(client).await;
        for title in all {
            assert_eq!(
                page.contains(title),
                visible.contains(&title),
                "{who} sees {title}? {page}"
            );
        }
    }
}

// ------------------------------------------------------------------ media metadata

/// A JPEG carrying an EXIF block with GPS, an XMP packet, an IPTC block and a comment.
fn jpeg_with_metadata() -> Vec<u8> {
    let img = image::RgbImage::from_fn(2000, 1000, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut plain = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut plain),
        image::ImageFormat::Jpeg,
    )
    .unwrap();
    let segment = |marker: u8, payload: &[u8]| {
        let mut out = vec![0xFF, marker];
        out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(payload);
        out
    };
    // EXIF: one IFD0 entry pointing at a GPS IFD, whose one entry is a latitude ref.
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&[0, 1, 0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 26, 0, 0, 0, 0]);
    tiff.extend_from_slice(&[0, 1, 0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0, 0, 0, 0, 0]);
    tiff.extend_from_slice(b"GPS-SECRET 52.5200N 13.4050E");
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend_from_slice(&tiff);
    let mut out = plain[..2].to_vec(); // SOI
    out.extend(segment(0xE1, &exif));
    out.extend(segment(
        0xE1,
        b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>XMP-SECRET</x:xmpmeta>",
    ));
    out.extend(segment(0xED, b"Photoshop 3.0\08BIM IPTC-SECRET"));
    out.extend(segment(0xFE, b"COMMENT-SECRET"));
    out.extend_from_slice(&plain[2..]);
    out
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = 0xFFFF_FFFFu32;
    for &b in kind.iter().chain(data) {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    out.extend_from_slice(&(!crc).to_be_bytes());
    out
}

/// A PNG with text chunks and an eXIf chunk before its image data.
fn png_with_metadata() -> Vec<u8> {
    let plain = common::png(40, 20);
    let ihdr_end = 8 + 8 + 13 + 4;
    let mut out = plain[..ihdr_end].to_vec();
    out.extend(png_chunk(b"tEXt", b"Comment\0PNG-TEXT-SECRET"));
    out.extend(png_chunk(
        b"iTXt",
        b"XML:com.adobe.xmp\0\0\0\0\0PNG-XMP-SECRET",
    ));
    out.extend(png_chunk(b"eXIf", b"MM\0\x2a\0\0\0\x08PNG-EXIF-SECRET"));
    out.extend_from_slice(&plain[ihdr_end..]);
    out
}

/// A GIF with a comment extension and an XMP application extension.
fn gif_with_metadata() -> Vec<u8> {
    let img = image::RgbaImage::from_fn(10, 10, |x, _| image::Rgba([x as u8 * 20, 0, 0, 255]));
    let mut plain = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut plain),
        image::ImageFormat::Gif,
    )
    .unwrap();
    // After the header, the logical screen descriptor and the global colour table.
    let packed = plain[10];
    let table = if packed & 0x80 != 0 {
        3 * (1usize << ((packed & 7) + 1))
    } else {
        0
    };
    let at = 13 + table;
    let mut out = plain[..at].to_vec();
    out.extend_from_slice(&[0x21, 0xFE, 18]);
    out.extend_from_slice(b"GIF-COMMENT-SECRET");
    out.push(0);
    out.extend_from_slice(&[0x21, 0xFF, 11]);
    out.extend_from_slice(b"XMP DataXMP");
    out.push(15);
    out.extend_from_slice(b"GIF-XMP-SECRET!");
    out.push(0);
    out.extend_from_slice(&plain[at..]);
    out
}

/// A lossless WebP with an EXIF chunk (and the VP8X header that announces it).
fn webp_with_metadata() -> Vec<u8> {
    let img = image::RgbaImage::from_fn(12, 6, |x, _| image::Rgba([x as u8 * 20, 0, 0, 255]));
    let mut plain = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut plain),
        image::ImageFormat::WebP,
    )
    .unwrap();
    assert_eq!(&plain[12..16], b"VP8L", "a simple lossless WebP");
    let image_chunk = &plain[12..];
    let mut vp8x = vec![0x08, 0, 0, 0]; // EXIF flag
    vp8x.extend_from_slice(&(12u32 - 1).to_le_bytes()[..3]);
    vp8x.extend_from_slice(&(6u32 - 1).to_le_bytes()[..3]);
    let chunk = |kind: &[u8; 4], data: &[u8]| {
        let mut out = kind.to_vec();
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
        if data.len() % 2 == 1 {
            out.push(0);
        }
        out
    };
    let mut body = b"WEBP".to_vec();
    body.extend(chunk(b"VP8X", &vp8x));
    body.extend_from_slice(image_chunk);
    body.extend(chunk(b"EXIF", b"MM\0\x2a\0\0\0\x08WEBP-EXIF-SECRET"));
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend(body);
    out
}

async fn uploaded_originals_lose_their_metadata(backend: Backend) {
    let (site, server) = site_with_team(&backend).await;
    let (client, csrf) = logged_in(&server, "contributor@example.org", PASSWORD).await;
    let files: Vec<(&str, Vec<u8>, &[&str])> = vec![
        (
            "holiday.jpg",
            jpeg_with_metadata(),
            &[
                "GPS-SECRET",
                "XMP-SECRET",
                "IPTC-SECRET",
                "COMMENT-SECRET",
                "Exif\0\0",
            ],
        ),
        (
            "chart.png",
            png_with_metadata(),
            &["PNG-TEXT-SECRET", "PNG-XMP-SECRET", "PNG-EXIF-SECRET"],
        ),
        (
            "anim.gif",
            gif_with_metadata(),
            &["GIF-COMMENT-SECRET", "GIF-XMP-SECRET"],
        ),
        ("pic.webp", webp_with_metadata(), &["WEBP-EXIF-SECRET"]),
    ];
    let anonymous = common::client();
    for (name, bytes, markers) in &files {
        for marker in *markers {
            assert!(
                bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
                "the fixture {name} carries {marker}"
            );
        }
        let (status_code, body) = upload_api(&client, &server, &csrf, &[(name, bytes)]).await;
        assert_eq!(status_code, 201, "{name}: {body}");
        let file = &body["files"][0];
        let id = file["id"].as_i64().unwrap();
        // Every public address of the file: the original and each variant.
        let key: String = {
            use folio::db::schema::media;
            media::table
                .find(id as i32)
                .select(media::storage_key)
                .first(&mut site.connect())
                .unwrap()
        };
        let stem = key.rsplit_once('.').unwrap().0.to_owned();
        let mut urls = vec![format!("/media/{key}")];
        urls.extend(
            common::files_under(&site.data_dir().join("media"))
                .into_iter()
                .filter(|path| path.starts_with(&format!("{stem}-")))
                .map(|path| format!("/media/{path}")),
        );
        urls.push(file["url"].as_str().unwrap().to_owned());
        for url in &urls {
            let response = anonymous.get(server.url(url)).send().await.unwrap();
            assert_eq!(response.status(), 200, "{url}");
            let served = response.bytes().await.unwrap();
            for marker in *markers {
                assert!(
                    !served.windows(marker.len()).any(|w| w == marker.as_bytes()),
                    "{name}: {url} still carries {marker}"
                );
            }
            let format = image::guess_format(&served).unwrap();
            let decoded = image::load_from_memory_with_format(&served, format)
                .unwrap_or_else(|e| panic!("{name}: {url} is no longer an image: {e}"));
            assert!(decoded.width() > 0);
        }
        // The name is the hash of the bytes kept.
        let stored = std::fs::read(site.data_dir().join("media").join(&key)).unwrap();
        let hash = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&stored));
        assert!(key.contains(&hash), "{key} names {hash}");
    }
}

// ------------------------------------------------------------------ public archives

async fn tag_and_author_pages_exist_only_with_public_posts(backend: Backend) {
    let (_site, server) = site_with_team(&backend).await;
    let (author, csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let draft = write_post(
        &author,
        &server,
        &csrf,
        &[
            ("title", "Plans"),
            ("body", "Not yet."),
            ("tags", "Secret Project"),
            ("action", "save"),
        ],
    )
    .await;
    let reader = client();
    for path in [
        "/tag/secret-project",
        "/tag/secret-project/feed.xml",
        "/tag/secret-project/rss.xml",
        "/tag/secret-project/feed.json",
        "/author/the-author",
        "/author/the-admin",
        "/author/the-editor",
    ] {
        assert_eq!(status(&reader, &server.url(path)).await, 404, "{path}");
    }
    let sitemap = get_page(&reader, &server.url("/sitemap.xml"), 200).await;
    assert!(!sitemap.contains("secret-project") && !sitemap.contains("the-author"));

    assert_eq!(
        save_post(&author, &server, draft, &[], "publish")
            .await
            .status(),
        303
    );
    for path in [
        "/tag/secret-project",
        "/tag/secret-project/feed.xml",
        "/tag/secret-project/rss.xml",
        "/tag/secret-project/feed.json",
        "/author/the-author",
    ] {
        assert_eq!(status(&reader, &server.url(path)).await, 200, "{path}");
    }
    assert_eq!(status(&reader, &server.url("/author/the-admin")).await, 404);
    let sitemap = get_page(&reader, &server.url("/sitemap.xml"), 200).await;
    assert!(sitemap.contains("/tag/secret-project") && sitemap.contains("/author/the-author"));
}

// ------------------------------------------------------------------ redirects from paths

/// Sends a request line as written (no client normalises it) and returns the status and
/// the `Location` header, if any.
async fn raw_get(server: &Server, target: &str) -> (u16, Option<String>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!("GET {target} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let location = text
        .lines()
        .take_while(|line| !line.is_empty())
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("location")
                .then(|| value.trim().to_owned())
        });
    (status, location)
}

async fn the_trailing_slash_fallback_redirects_only_to_clean_local_paths(backend: Backend) {
    let (_site, server) = site_with_team(&backend).await;
    for target in [
        "/\\evil.example/",
        "/\\/evil.example/",
        "/%5Cevil.example/",
        "/a//evil.example/",
        "/a\\b/",
    ] {
        let (status, location) = raw_get(&server, target).await;
        assert!(
            location.is_none() && (400..500).contains(&status),
            "{target}: {status} {location:?}"
        );
    }
    let (status, location) = raw_get(&server, "/about/?x=1").await;
    assert_eq!((status, location.as_deref()), (301, Some("/about?x=1")));
}
