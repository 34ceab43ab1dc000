//! Feeds, sitemap and robots.txt, parsed back with a real feed parser (feed-rs).

use crate::common;

use chrono::{TimeDelta, Utc};
use common::{Backend, Site, client, get_page};
use folio::domain::post::{Kind, Status};
use folio::store::posts::{self, Content};

on_both_backends!(
    feeds_carry_the_latest_published_posts_with_absolute_urls,
    feeds_follow_the_excerpt_setting_and_tags,
    sitemap_and_robots_list_every_public_address,
    a_site_of_more_than_fifty_thousand_addresses_gets_a_sitemap_index,
    feeds_carry_text_typed_as_text_never_as_markup,
);

fn add(
    site: &Site,
    title: &str,
    slug: &str,
    body: &str,
    status: Status,
    hours_ago: i64,
    tags: &[&str],
) {
    let mut conn = site.connect();
    let html = folio::render::render(body, &Default::default()).into_string();
    let content = Content {
        title,
        slug,
        body_markdown: body,
        body_html: &html,
        excerpt: "",
        meta_title: None,
        meta_description: None,
        canonical_url: None,
    };
    let at = Some(Utc::now().naive_utc() - TimeDelta::hours(hours_ago));
    let id = posts::create(&mut conn, Kind::Post, 1, &content, status, at).unwrap();
    posts::set_tags(
        &mut conn,
        id,
        &tags.iter().map(ToString::to_string).collect::<Vec<_>>(),
    )
    .unwrap();
}

fn site_with_posts(backend: &Backend) -> Site {
    let site = Site::new(backend);
    site.create_user(
        "ada@example.org",
        "Ada Lovelace",
        "admin",
        "correct horse battery staple",
    );
    for n in 1..=25 {
        add(
            &site,
            &format!("Note {n}"),
            &format!("note-{n}"),
            &format!("Note {n} links [home](/) and shows ![a](/media/a.png)."),
            Status::Published,
            100 - n,
            &["notes"],
        );
    }
    add(
        &site,
        "Secret draft",
        "secret-draft",
        "x",
        Status::Draft,
        0,
        &["notes"],
    );
    add(
        &site,
        "Rust news",
        "rust-news",
        "About *Rust*.",
        Status::Published,
        0,
        &["Rust"],
    );
    site
}

async fn parse(url: &str, content_type: &str) -> feed_rs::model::Feed {
    let response = client().get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with(content_type),
        "{url}"
    );
    let bytes = response.bytes().await.unwrap();
    feed_rs::parser::parse(&bytes[..]).unwrap_or_else(|e| panic!("{url} does not parse: {e}"))
}

async fn feeds_carry_the_latest_published_posts_with_absolute_urls(backend: Backend) {
    let site = site_with_posts(&backend);
    let server = site.start().await;
    for (path, content_type) in [
        ("/feed.xml", "application/atom+xml"),
        ("/rss.xml", "application/rss+xml"),
        ("/feed.json", "application/feed+json"),
    ] {
        let feed = parse(&server.url(path), content_type).await;
        assert_eq!(feed.entries.len(), 20, "{path}: the latest 20");
        let titles: Vec<_> = feed
            .entries
            .iter()
            .map(|e| e.title.as_ref().unwrap().content.clone())
            .collect();
        assert_eq!(titles[0], "Rust news", "{path}: newest first");
        assert_eq!(titles[1], "Note 25");
        assert!(
            !titles.iter().any(|t| t == "Secret draft"),
            "{path}: drafts stay out"
        );
        let first = &feed.entries[1];
        let link = &first.links[0].href;
        assert!(
            link.starts_with(&server.base) && link.ends_with("/note-25"),
            "{path}: {link}"
        );
        let body = first
            .content
            .as_ref()
            .and_then(|c| c.body.clone())
            .unwrap_or_default();
        assert!(
            body.contains(&format!("href=\"{}/\"", server.base)),
            "{path}: absolute links in {body}"
        );
        assert!(
            body.contains(&format!("src=\"{}/media/a.png\"", server.base)),
            "{path}: absolute images"
        );
    }
    let home = get_page(&client(), &server.url("/"), 200).await;
    for feed in ["/feed.xml", "/rss.xml", "/feed.json"] {
        assert!(
            home.contains("rel=\"alternate\" type=") && home.contains(&format!("href=\"{feed}\"")),
            "{feed} linked in <head>"
        );
    }
}

async fn feeds_follow_the_excerpt_setting_and_tags(backend: Backend) {
    let site = site_with_posts(&backend);
    site.execute_sql("INSERT INTO settings (key, value, updated_at) VALUES ('feed_full_text', 'false', '2026-01-01 00:00:00')");
    let server = site.start().await;
    let feed = parse(&server.url("/feed.json"), "application/feed+json").await;
    let first = &feed.entries[0];
    assert!(
        first.content.is_none()
            || first
                .content
                .as_ref()
                .unwrap()
                .body
                .as_deref()
                .is_some_and(|b| !b.contains("<em>")),
        "excerpts, not HTML"
    );
    let atom = client()
        .get(server.url("/feed.xml"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        atom.contains("<summary") && !atom.contains("<content"),
        "{atom:.400}"
    );

    let rust = parse(&server.url("/tag/rust/feed.xml"), "application/atom+xml").await;
    assert_eq!(rust.entries.len(), 1);
    assert!(rust.title.unwrap().content.ends_with("Rust"));
    assert_eq!(
        parse(&server.url("/tag/rust/rss.xml"), "application/rss+xml")
            .await
            .entries
            .len(),
        1
    );
    assert_eq!(
        parse(&server.url("/tag/rust/feed.json"), "application/feed+json")
            .await
            .entries
            .len(),
        1
    );
    assert_eq!(
        client()
            .get(server.url("/tag/none/feed.xml"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

async fn sitemap_and_robots_list_every_public_address(backend: Backend) {
    let site = site_with_posts(&backend);
    let server = site.start().await;
    let response = client()
        .get(server.url("/sitemap.xml"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let xml = response.text().await.unwrap();
    for path in [
        "/",
        "/note-1",
        "/rust-news",
        "/tag/notes",
        "/tag/rust",
        "/author/ada-lovelace",
    ] {
        assert!(
            xml.contains(&format!("<loc>{}{path}</loc>", server.base)),
            "{path} in {xml:.300}"
        );
    }
    assert!(!xml.contains("secret-draft"));
    assert_eq!(
        xml.matches("<lastmod>").count(),
        xml.matches("<loc>").count()
    );
    let robots = get_page(&client(), &server.url("/robots.txt"), 200).await;
    assert!(
        robots.contains("Disallow: /admin")
            && robots.contains(&format!("Sitemap: {}/sitemap.xml", server.base))
    );
}

/// A sitemap document's root element with its namespace, and each child's `<loc>` and
/// `<lastmod>`, read with an XML parser (so the document is well-formed).
fn read_sitemap(xml: &str, child: &str) -> (String, String, Vec<(String, String)>) {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let (mut root, mut namespace) = (String::new(), String::new());
    let mut entries: Vec<(String, String)> = Vec::new();
    let mut path: Vec<String> = Vec::new();
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                if path.is_empty() {
                    root.clone_from(&name);
                    namespace = e
                        .try_get_attribute("xmlns")
                        .unwrap()
                        .map(|a| String::from_utf8(a.value.to_vec()).unwrap())
                        .unwrap_or_default();
                } else if path.len() == 1 {
                    assert_eq!(name, child, "{xml:.300}");
                    entries.push(Default::default());
                }
                path.push(name);
            }
            Event::Text(t) => {
                let text = t.decode().unwrap().into_owned();
                let last = entries.last_mut();
                match (path.last().map(String::as_str), last) {
                    (Some("loc"), Some(entry)) => entry.0.push_str(&text),
                    (Some("lastmod"), Some(entry)) => entry.1.push_str(&text),
                    _ => {}
                }
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    for (loc, lastmod) in &entries {
        assert!(!loc.is_empty(), "a <{child}> without <loc>");
        assert!(
            chrono::DateTime::parse_from_rfc3339(lastmod).is_ok(),
            "{loc}: lastmod {lastmod:?}"
        );
    }
    (root, namespace, entries)
}

/// Past the protocol's 50,000 addresses a file, `/sitemap.xml` is an index of files of at
/// most 50,000 each. The rows are made with one SQL statement (50,001 posts through the
/// editor would take minutes): the real limit is tested, not a smaller one set for tests.
async fn a_site_of_more_than_fifty_thousand_addresses_gets_a_sitemap_index(backend: Backend) {
    const SITEMAP: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
    let site = site_with_posts(&backend);
    let numbers = match backend {
        Backend::Sqlite => {
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50001) "
        }
        Backend::Postgres(_) => "",
    };
    let (from, published) = match backend {
        Backend::Sqlite => ("n", "datetime('2001-01-01', '+' || i || ' minutes')"),
        Backend::Postgres(_) => (
            "generate_series(1, 50001) AS i",
            "TIMESTAMP '2001-01-01' + i * INTERVAL '1 minute'",
        ),
    };
    site.execute_sql(&format!(
        "{numbers}INSERT INTO posts (kind, status, title, slug, body_markdown, body_html, excerpt, author_id, version, created_at, updated_at, published_at, search_text) \
         SELECT 'post', 'published', 'Bulk ' || i, 'bulk-' || i, '', '', '', 1, 1, {published}, {published}, {published}, '' FROM {from}"
    ));
    let server = site.start().await;
    let client = client();

    let index = get_page(&client, &server.url("/sitemap.xml"), 200).await;
    let (root, namespace, files) = read_sitemap(&index, "sitemap");
    assert_eq!(
        (root.as_str(), namespace.as_str()),
        ("sitemapindex", SITEMAP)
    );
    let locs: Vec<&str> = files.iter().map(|(loc, _)| loc.as_str()).collect();
    let posts_1 = server.url("/sitemap-posts-1.xml");
    let posts_2 = server.url("/sitemap-posts-2.xml");
    let archives = server.url("/sitemap-archives-1.xml");
    assert_eq!(locs, [&posts_1, &posts_2, &archives]);

    // 50,001 + 26 published posts: 50,000 in the first file (the oldest), the rest in the second.
    let mut seen = 0;
    for (url, count) in [(&posts_1, 50_000), (&posts_2, 27)] {
        let response = client.get(url).send().await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/xml")
        );
        let xml = response.text().await.unwrap();
        assert!(xml.len() <= 50 * 1024 * 1024);
        let (root, namespace, urls) = read_sitemap(&xml, "url");
        assert_eq!((root.as_str(), namespace.as_str()), ("urlset", SITEMAP));
        assert_eq!(urls.len(), count, "{url}");
        seen += urls.len();
        if count == 50_000 {
            assert_eq!(urls[0].0, server.url("/bulk-1"));
            assert_eq!(urls[0].1, "2001-01-01T00:01:00+00:00");
        } else {
            assert!(urls.iter().any(|(loc, _)| *loc == server.url("/rust-news")));
            assert!(!urls.iter().any(|(loc, _)| loc.contains("secret-draft")));
        }
    }
    assert_eq!(seen, 50_027);
    let (_, _, archive_urls) = read_sitemap(&get_page(&client, &archives, 200).await, "url");
    let archive_locs: Vec<&str> = archive_urls.iter().map(|(loc, _)| loc.as_str()).collect();
    assert_eq!(
        archive_locs,
        [
            server.url("/"),
            server.url("/tag/notes"),
            server.url("/tag/rust"),
            server.url("/author/ada-lovelace"),
        ]
    );
    // Each file of the index is dated by its newest entry: the second and the archives
    // hold the newest post.
    assert_eq!(files[0].1, "2001-02-04T17:20:00+00:00");
    assert_eq!(files[1].1, files[2].1);
    assert_ne!(files[1].1, files[0].1);

    for missing in [
        "/sitemap-posts-3.xml",
        "/sitemap-posts-0.xml",
        "/sitemap-archives-2.xml",
        "/sitemap-pages-1.xml",
        "/sitemap-posts-99999999999999999999.xml",
    ] {
        let status = client
            .get(server.url(missing))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 404, "{missing}");
    }
    let robots = get_page(&client, &server.url("/robots.txt"), 200).await;
    assert!(robots.contains(&format!("Sitemap: {}/sitemap.xml", server.base)));
}

/// What a reader shows for a feed text: HTML-typed text is markup (and must carry no
/// script element), plain text is shown as it is.
fn shown(text: &feed_rs::model::Text, what: &str) -> String {
    if text.content_type.to_string().starts_with("text/html") {
        assert!(
            !text.content.to_ascii_lowercase().contains("<script"),
            "{what}: a live script element in {:?}",
            text.content
        );
        folio::render::markdown::decode_entities(&text.content).into_owned()
    } else {
        text.content.clone()
    }
}

async fn feeds_carry_text_typed_as_text_never_as_markup(backend: Backend) {
    let site = site_with_posts(&backend);
    let title = "Why <script>alert(1)</script> & friends fail";
    let excerpt = "Typed as text: <script>alert(2)</script> <b>bold?</b>";
    {
        let mut conn = site.connect();
        let body = "About &lt;script&gt;alert(3)&lt;/script&gt; in a sentence.";
        let html = folio::render::render(body, &Default::default()).into_string();
        let content = Content {
            title,
            slug: "script-tags",
            body_markdown: body,
            body_html: &html,
            excerpt,
            meta_title: None,
            meta_description: None,
            canonical_url: None,
        };
        let id = posts::create(
            &mut conn,
            Kind::Post,
            1,
            &content,
            Status::Published,
            Some(Utc::now().naive_utc()),
        )
        .unwrap();
        posts::set_tags(&mut conn, id, &["Rust".to_owned()]).unwrap();
    }
    for full_text in [true, false] {
        site.execute_sql("DELETE FROM settings WHERE key = 'feed_full_text'");
        site.execute_sql(&format!(
            "INSERT INTO settings (key, value, updated_at) VALUES ('feed_full_text', '{full_text}', '2026-01-01 00:00:00')"
        ));
        let server = site.start().await;
        for (path, content_type) in [
            ("/feed.xml", "application/atom+xml"),
            ("/rss.xml", "application/rss+xml"),
            ("/feed.json", "application/feed+json"),
            ("/tag/rust/feed.xml", "application/atom+xml"),
            ("/tag/rust/rss.xml", "application/rss+xml"),
            ("/tag/rust/feed.json", "application/feed+json"),
        ] {
            let what = format!("{path} (full text: {full_text})");
            let raw = get_page(&client(), &server.url(path), 200).await;
            assert!(
                !raw.contains("<script"),
                "{what}: a live script element in the document"
            );
            let feed = parse(&server.url(path), content_type).await;
            let entry = feed
                .entries
                .iter()
                .find(|e| e.links.iter().any(|l| l.href.ends_with("/script-tags")))
                .unwrap_or_else(|| panic!("{what}: the post is in the feed"));
            let entry_title = entry.title.as_ref().expect("a title");
            assert_eq!(shown(entry_title, &what), title, "{what}: title");
            match &entry.summary {
                Some(summary) => assert_eq!(shown(summary, &what), excerpt, "{what}: summary"),
                // Atom carries either the full text or the excerpt.
                None => assert!(full_text && path.ends_with("feed.xml"), "{what}: a summary"),
            }
            if let Some(content) = &entry.content
                && let Some(body) = &content.body
            {
                if content.content_type.to_string().starts_with("text/html") {
                    assert!(
                        !body.to_ascii_lowercase().contains("<script"),
                        "{what}: content {body}"
                    );
                } else {
                    assert_eq!(body, excerpt, "{what}: plain-text content");
                }
            }
        }
        server.stop().await;
    }
}
