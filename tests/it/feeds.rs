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
