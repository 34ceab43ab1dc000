//! The reader's site: home, posts, pages, archives, visibility, pagination, redirects.

use crate::common;

use chrono::{TimeDelta, Utc};
use common::{Backend, Site, client, get_page, input_value};
use folio::domain::post::{Kind, Status};
use folio::store::posts::{self, Content};

on_both_backends!(
    first_setup_publishes_a_welcome_post,
    only_published_and_due_content_is_public,
    a_scheduled_post_appears_on_time_without_a_restart,
    home_pages_through_posts_and_refuses_pages_past_the_end,
    tag_and_author_archives_list_their_posts,
    old_slugs_and_trailing_slashes_redirect_permanently,
    articles_link_to_their_neighbours_and_escape_titles,
    neighbours_break_ties_by_id_and_skip_what_readers_cannot_see,
    search_ranks_highlights_and_survives_any_input,
    pages_and_feeds_revalidate_with_etags_and_answer_head,
    articles_carry_sharing_and_structured_data,
    this_nodes_changes_show_at_once_despite_the_page_cache,
    search_of_a_common_word_ranks_the_newest_matches_and_says_so,
    pages_from_the_cache_carry_the_same_headers,
    every_page_has_an_icon_and_favicon_ico_answers,
);

const PASSWORD: &str = "correct horse battery staple";

/// Writes a post straight into the database (the editor has its own tests).
fn add(
    site: &Site,
    author: i32,
    kind: Kind,
    (title, slug): (&str, &str),
    status: Status,
    published: Option<TimeDelta>,
    tags: &[&str],
) -> i32 {
    let at = published.map(|offset| Utc::now().naive_utc() + offset);
    add_at(site, author, kind, (title, slug), status, at, tags)
}

/// [`add`] at an exact publication time.
fn add_at(
    site: &Site,
    author: i32,
    kind: Kind,
    (title, slug): (&str, &str),
    status: Status,
    at: Option<chrono::NaiveDateTime>,
    tags: &[&str],
) -> i32 {
    let mut conn = site.connect();
    let body = format!("# {title}\n\nBody of {title}.");
    let html = folio::render::render(&body, &Default::default()).into_string();
    let content = Content {
        title,
        slug,
        body_markdown: &body,
        body_html: &html,
        excerpt: "",
        meta_title: None,
        meta_description: None,
        canonical_url: None,
    };
    let id = posts::create(&mut conn, kind, author, &content, status, at).unwrap();
    let tags: Vec<String> = tags.iter().map(ToString::to_string).collect();
    posts::set_tags(&mut conn, id, &tags).unwrap();
    id
}

fn site_with_author(backend: &Backend) -> (Site, i32) {
    let site = Site::new(backend);
    site.create_user("ada@example.org", "Ada Lovelace", "admin", PASSWORD);
    (site, 1)
}

const AGO: Option<TimeDelta> = Some(TimeDelta::hours(-1));

async fn first_setup_publishes_a_welcome_post(backend: Backend) {
    let site = Site::new(&backend);
    let server = site.start().await;
    let browser = client();
    let setup = server.setup_url().unwrap();
    let page = get_page(&browser, &setup, 200).await;
    let form = [
        ("csrf_token", input_value(&page, "csrf_token").unwrap()),
        ("token", input_value(&page, "token").unwrap()),
        ("email", "ada@example.org".into()),
        ("name", "Ada Lovelace".into()),
        ("password", PASSWORD.into()),
        ("password_confirmation", PASSWORD.into()),
    ];
    assert_eq!(
        browser
            .post(server.url("/admin/setup"))
            .form(&form)
            .send()
            .await
            .unwrap()
            .status(),
        303
    );

    let home = get_page(&client(), &server.url("/"), 200).await;
    assert!(
        home.contains("href=\"/welcome-to-folio\">Welcome to Folio</a>"),
        "{home}"
    );
    assert!(home.contains("Ada Lovelace") && home.contains("Getting started"));
    let article = get_page(&client(), &server.url("/welcome-to-folio"), 200).await;
    assert!(
        article.contains("<h2 id=\"start-writing\">Start writing</h2>"),
        "{article}"
    );
    assert!(article.contains("<table>") && article.contains("footnote-definition"));
    assert!(article.contains("rel=\"canonical\" href=\"http://127.0.0.1:"));
    // Its task list ticks are labelled by their text (axe: every form field has a label).
    assert!(
        article.contains(
            "<label><input type=\"checkbox\" disabled=\"\" checked=\"\"> Task lists</label>"
        ),
        "{article}"
    );
}

async fn every_page_has_an_icon_and_favicon_ico_answers(backend: Backend) {
    let (site, _) = site_with_author(&backend);
    let server = site.start().await;
    for path in ["/", "/admin/login"] {
        let page = get_page(&client(), &server.url(path), 200).await;
        assert!(
            page.contains(
                "<link rel=\"icon\" type=\"image/svg+xml\" href=\"/static/favicon.svg?v="
            ),
            "{path}: {page}"
        );
    }

    let response = client()
        .get(server.url("/favicon.ico"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "image/svg+xml");
    assert_eq!(headers["cache-control"], "public, no-cache");
    let etag = headers["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"'), "strong ETag {etag}");
    assert!(headers.contains_key("content-security-policy"));
    assert!(response.text().await.unwrap().starts_with("<svg"));
    let again = client()
        .get(server.url("/favicon.ico"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
}

async fn only_published_and_due_content_is_public(backend: Backend) {
    let (site, author) = site_with_author(&backend);
    add(
        &site,
        author,
        Kind::Post,
        ("Public post", "public-post"),
        Status::Published,
        AGO,
        &[],
    );
    add(
        &site,
        author,
        Kind::Post,
        ("Draft post", "draft-post"),
        Status::Draft,
        None,
        &[],
    );
    add(
        &site,
        author,
        Kind::Post,
        ("Pending post", "pending-post"),
        Status::Pending,
        None,
        &[],
    );
    add(
        &site,
        author,
        Kind::Post,
        ("Future post", "future-post"),
        Status::Published,
        Some(TimeDelta::days(1)),
        &[],
    );
    let trashed = add(
        &site,
        author,
        Kind::Post,
        ("Trashed post", "trashed-post"),
        Status::Published,
        AGO,
        &[],
    );
    posts::set_trashed(&mut site.connect(), trashed, true).unwrap();
    add(
        &site,
        author,
        Kind::Page,
        ("About us", "about"),
        Status::Published,
        AGO,
        &[],
    );
    let server = site.start().await;

    let home = get_page(&client(), &server.url("/"), 200).await;
    assert!(home.contains("Public post"));
    for hidden in [
        "Draft post",
        "Pending post",
        "Future post",
        "Trashed post",
        "About us",
    ] {
        assert!(!home.contains(hidden), "{hidden} on the home page");
    }
    assert_eq!(
        client()
            .get(server.url("/public-post"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let about = get_page(&client(), &server.url("/about"), 200).await;
    assert!(
        about.contains("Body of About us") && !about.contains("min read"),
        "pages have no post meta"
    );
    for slug in ["draft-post", "pending-post", "future-post", "trashed-post"] {
        let response = client()
            .get(server.url(&format!("/{slug}")))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            404,
            "{slug} must be a plain 404, not 403"
        );
    }
}

async fn a_scheduled_post_appears_on_time_without_a_restart(backend: Backend) {
    let (site, author) = site_with_author(&backend);
    add(
        &site,
        author,
        Kind::Post,
        ("Soon", "soon"),
        Status::Published,
        Some(TimeDelta::seconds(200)),
        &[],
    );
    // Time moves on the server's clock only: far enough that a slow machine can't matter.
    let clock = site.test_clock();
    let server = site.start_with(&[clock.env()]).await;
    assert!(
        !get_page(&client(), &server.url("/"), 200)
            .await
            .contains("Soon")
    );
    assert_eq!(
        client()
            .get(server.url("/soon"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    clock.advance(std::time::Duration::from_secs(250));
    assert!(
        get_page(&client(), &server.url("/"), 200)
            .await
            .contains("Soon")
    );
    assert_eq!(
        client()
            .get(server.url("/soon"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

async fn home_pages_through_posts_and_refuses_pages_past_the_end(backend: Backend) {
    let (site, author) = site_with_author(&backend);
    site.execute_sql("INSERT INTO settings (key, value, updated_at) VALUES ('posts_per_page', '2', '2026-01-01 00:00:00')");
    for n in 1..=5 {
        add(
            &site,
            author,
            Kind::Post,
            (&format!("Post {n}"), &format!("post-{n}")),
            Status::Published,
            Some(TimeDelta::hours(-10 + n)),
            &[],
        );
    }
    let server = site.start().await;
    let first = get_page(&client(), &server.url("/"), 200).await;
    assert!(
        first.contains("Post 5") && first.contains("Post 4") && !first.contains("Post 3"),
        "newest first"
    );
    assert!(
        first.contains("<link rel=\"next\" href=\"/?page=2\">") && !first.contains("rel=\"prev\"")
    );
    let third = get_page(&client(), &server.url("/?page=3"), 200).await;
    assert!(
        third.contains("Post 1")
            && third.contains("<link rel=\"prev\" href=\"/?page=2\">")
            && !third.contains("rel=\"next\"")
    );
    for past in [
        "/?page=4",
        "/?page=0",
        "/?page=-1",
        "/?page=abc",
        "/?page=99999999999999999999",
    ] {
        assert_eq!(
            client()
                .get(server.url(past))
                .send()
                .await
                .unwrap()
                .status(),
            404,
            "{past}"
        );
    }
}

async fn tag_and_author_archives_list_their_posts(backend: Backend) {
    let (site, author) = site_with_author(&backend);
    site.create_user("bob@example.org", "Bob", "author", PASSWORD);
    add(
        &site,
        author,
        Kind::Post,
        ("Rusty", "rusty"),
        Status::Published,
        AGO,
        &["Rust"],
    );
    add(
        &site,
        author,
        Kind::Post,
        ("Webby", "webby"),
        Status::Published,
        AGO,
        &["Web"],
    );
    add(
        &site,
        2,
        Kind::Post,
        ("Bob writes", "bob-writes"),
        Status::Published,
        AGO,
        &["Rust"],
    );
    add(
        &site,
        author,
        Kind::Post,
        ("Draft rust", "draft-rust"),
        Status::Draft,
        None,
        &["Rust"],
    );
    let server = site.start().await;

    let rust = get_page(&client(), &server.url("/tag/rust"), 200).await;
    assert!(
        rust.contains("Tagged “Rust”") && rust.contains("Rusty") && rust.contains("Bob writes")
    );
    assert!(!rust.contains("Webby") && !rust.contains("Draft rust"));
    let bob = get_page(&client(), &server.url("/author/bob"), 200).await;
    assert!(bob.contains("Bob writes") && !bob.contains("Rusty"));
    assert_eq!(
        client()
            .get(server.url("/tag/nothing"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        client()
            .get(server.url("/author/nobody"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        client()
            .get(server.url("/tag/rust?page=2"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

async fn old_slugs_and_trailing_slashes_redirect_permanently(backend: Backend) {
    let (site, author) = site_with_author(&backend);
    let id = add(
        &site,
        author,
        Kind::Post,
        ("Moved", "new-home"),
        Status::Published,
        AGO,
        &[],
    );
    posts::record_slug_change(&mut site.connect(), id, "old-home", "new-home").unwrap();
    let server = site.start().await;

    let old = client().get(server.url("/old-home")).send().await.unwrap();
    assert_eq!(old.status(), 301);
    assert_eq!(old.headers()["location"], "/new-home");
    let slash = client()
        .get(server.url("/new-home/?x=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(slash.status(), 301);
    assert_eq!(slash.headers()["location"], "/new-home?x=1");
    let missing = client().get(server.url("/never-was")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("Page not found"));
}

async fn articles_link_to_their_neighbours_and_escape_titles(backend: Backend) {
    let (site, author) = site_with_author(&backend);
    add(
        &site,
        author,
        Kind::Post,
        ("First", "first"),
        Status::Published,
        Some(TimeDelta::hours(-3)),
        &[],
    );
    add(
        &site,
        author,
        Kind::Post,
        ("<script>alert(1)</script> Second", "second"),
        Status::Published,
        Some(TimeDelta::hours(-2)),
        &[],
    );
    add(
        &site,
        author,
        Kind::Post,
        ("Third", "third"),
        Status::Published,
        Some(TimeDelta::hours(-1)),
        &[],
    );
    let server = site.start().await;
    let second = get_page(&client(), &server.url("/second"), 200).await;
    assert!(
        second.contains("href=\"/first\" rel=\"prev\">First</a>")
            && second.contains("href=\"/third\" rel=\"next\">Third</a>"),
        "{second}"
    );
    assert!(!second.contains("<script>alert(1)"), "titles are escaped");
    let first = get_page(&client(), &server.url("/first"), 200).await;
    assert!(!first.contains("rel=\"prev\"") && first.contains("rel=\"next\""));
}

/// Neighbours follow (published_at, id): posts published at the same instant are ordered
/// by id, and drafts, pages, trashed and scheduled posts are stepped over (the page
/// "About", published among them, is no post's neighbour).
async fn neighbours_break_ties_by_id_and_skip_what_readers_cannot_see(backend: Backend) {
    let (site, author) = site_with_author(&backend);
    let now = Utc::now().naive_utc();
    let at = |hours: i64| Some(now - TimeDelta::hours(hours));
    let post = |title: &str, slug: &str, status: Status, when: Option<chrono::NaiveDateTime>| {
        add_at(&site, author, Kind::Post, (title, slug), status, when, &[])
    };
    post("Oldest", "oldest", Status::Published, at(5));
    post("Draft", "draft", Status::Draft, at(4));
    add_at(
        &site,
        author,
        Kind::Page,
        ("About", "about"),
        Status::Published,
        at(4),
        &[],
    );
    let trashed = post("Trashed", "trashed", Status::Published, at(4));
    posts::set_trashed(&mut site.connect(), trashed, true).unwrap();
    // Three posts at one instant: their order is their ids'.
    let tie = at(3);
    post("Tie one", "tie-one", Status::Published, tie);
    post("Tie two", "tie-two", Status::Published, tie);
    post("Tie three", "tie-three", Status::Published, tie);
    post("Newest", "newest", Status::Published, at(1));
    post(
        "Scheduled",
        "scheduled",
        Status::Published,
        Some(now + TimeDelta::hours(2)),
    );
    let server = site.start().await;
    let links = |page: &str| {
        let prev = page
            .split("rel=\"prev\">")
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .map(ToOwned::to_owned);
        let next = page
            .split("rel=\"next\">")
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .map(ToOwned::to_owned);
        (prev, next)
    };
    let expected = [
        ("oldest", None, Some("Tie one")),
        ("tie-one", Some("Oldest"), Some("Tie two")),
        ("tie-two", Some("Tie one"), Some("Tie three")),
        ("tie-three", Some("Tie two"), Some("Newest")),
        ("newest", Some("Tie three"), None),
    ];
    for (slug, prev, next) in expected {
        let page = get_page(&client(), &server.url(&format!("/{slug}")), 200).await;
        let (found_prev, found_next) = links(&page);
        assert_eq!(
            (found_prev.as_deref(), found_next.as_deref()),
            (prev, next),
            "/{slug}"
        );
    }
}

async fn search_ranks_highlights_and_survives_any_input(backend: Backend) {
    let (site, author) = site_with_author(&backend);
    let mut conn = site.connect();
    let mut write = |title: &str, slug: &str, body: &str, status: Status, at: Option<TimeDelta>| {
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
        posts::create(
            &mut conn,
            Kind::Post,
            author,
            &content,
            status,
            at.map(|d| Utc::now().naive_utc() + d),
        )
        .unwrap()
    };
    write(
        "Difference engines",
        "engines",
        "Babbage designed **machines** that compute tables.",
        Status::Published,
        AGO,
    );
    write(
        "Poetry",
        "poetry",
        "A note on engines in passing, and <script>alert(1)</script> as text.",
        Status::Published,
        AGO,
    );
    write(
        "Draft engines",
        "draft-engines",
        "engines engines engines",
        Status::Draft,
        None,
    );
    write(
        "Future engines",
        "future-engines",
        "engines",
        Status::Published,
        Some(TimeDelta::days(1)),
    );
    let trashed = write(
        "Trashed engines",
        "trashed-engines",
        "engines",
        Status::Published,
        AGO,
    );
    site.execute_sql(&format!(
        "UPDATE posts SET deleted_at = created_at WHERE id = {trashed}"
    ));
    for n in 0..12 {
        write(
            &format!("Filler {n}"),
            &format!("filler-{n}"),
            "A paragraph about looms.",
            Status::Published,
            AGO,
        );
    }
    drop(conn);
    let server = site.start().await;
    let search = |q: &str| {
        let url = server.url(&format!(
            "/search?q={}",
            url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
        ));
        async move { client().get(url).send().await.unwrap() }
    };

    let page = search("engines").await.text().await.unwrap();
    assert!(page.contains("2 results for"), "only visible posts: {page}");
    let title_hit = page.find("Difference engines").unwrap();
    let body_hit = page.find(">Poetry<").unwrap();
    assert!(title_hit < body_hit, "a title match ranks first");
    assert!(
        page.contains("<mark>engines</mark>"),
        "matches are highlighted: {page}"
    );
    assert!(!page.contains("<script>alert"), "snippets are escaped");
    assert!(
        search("engin")
            .await
            .text()
            .await
            .unwrap()
            .contains("2 results for"),
        "prefixes match"
    );
    assert!(
        search("MACHINES tables")
            .await
            .text()
            .await
            .unwrap()
            .contains("1 result for"),
        "all words, any case"
    );

    let looms = search("looms").await.text().await.unwrap();
    assert!(looms.contains("12 results for") && looms.contains("rel=\"next\""));
    assert_eq!(search("looms").await.status(), 200);
    let second = client()
        .get(server.url("/search?q=looms&page=2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(second.contains("Filler") && second.contains("rel=\"prev\""));
    assert_eq!(
        client()
            .get(server.url("/search?q=looms&page=3"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    let long = "engines ".repeat(1_300); // over 10 KB
    for hostile in [
        "\"",
        "\"engines",
        "engines\"*",
        "NEAR(engines poetry)",
        "engines OR",
        "-engines",
        "* AND *",
        "'; DROP TABLE posts; --",
        "%_\\",
        "東京 ünïcode",
        "",
        "   ",
        long.as_str(),
    ] {
        let response = search(hostile).await;
        assert_eq!(response.status(), 200, "{hostile:.40}");
    }
    assert!(
        search(&long)
            .await
            .text()
            .await
            .unwrap()
            .contains("2 results for")
    );
    let shortened = search(
        &(0..30)
            .map(|n| format!("w{n}"))
            .collect::<Vec<_>>()
            .join(" "),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(shortened.contains("only its first words were used"));

    let missing = client()
        .get(server.url("/no-such-page"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        missing.contains("action=\"/search\""),
        "the 404 page offers a search box"
    );
}

async fn pages_and_feeds_revalidate_with_etags_and_answer_head(backend: Backend) {
    let (site, author) = site_with_author(&backend);
    add(
        &site,
        author,
        Kind::Post,
        ("First", "first"),
        Status::Published,
        AGO,
        &[],
    );
    add(
        &site,
        author,
        Kind::Post,
        ("Due soon", "due-soon"),
        Status::Published,
        Some(TimeDelta::seconds(200)),
        &[],
    );
    // Time moves on the server's clock only: far enough that a slow machine can't matter.
    let clock = site.test_clock();
    let server = site.start_with(&[clock.env()]).await;
    for path in [
        "/",
        "/first",
        "/feed.xml",
        "/sitemap.xml",
        "/search?q=first",
    ] {
        let response = client().get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let etag = response.headers()["etag"].to_str().unwrap().to_owned();
        assert!(etag.starts_with('"'), "{path}: strong ETag {etag}");
        assert!(
            response.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("max-age=10")
        );
        let again = client()
            .get(server.url(path))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert!(again.headers().contains_key("content-security-policy"));

        let head = client().head(server.url(path)).send().await.unwrap();
        assert_eq!(head.status(), 200, "HEAD {path}");
        assert_eq!(
            head.headers()["etag"].to_str().unwrap(),
            etag,
            "HEAD {path} matches GET"
        );
        assert!(head.bytes().await.unwrap().is_empty());
    }

    // When the scheduled post falls due, the home page's ETag changes: revalidation shows it.
    let before = client()
        .get(server.url("/"))
        .send()
        .await
        .unwrap()
        .headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    clock.advance(std::time::Duration::from_secs(250));
    let after = client()
        .get(server.url("/"))
        .header("if-none-match", &before)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 200, "the old ETag no longer matches");
    assert!(after.text().await.unwrap().contains("Due soon"));

    // Admin pages are never cached this way.
    let admin = client()
        .get(server.url("/admin/login"))
        .send()
        .await
        .unwrap();
    assert!(!admin.headers().contains_key("etag"));
    assert_eq!(admin.headers()["cache-control"], "no-store");
}

async fn articles_carry_sharing_and_structured_data(backend: Backend) {
    let (site, author) = site_with_author(&backend);
    add(
        &site,
        author,
        Kind::Post,
        ("Title </script><script>alert(1)</script>", "shared"),
        Status::Published,
        AGO,
        &["Rust"],
    );
    let server = site.start().await;
    let page = get_page(&client(), &server.url("/shared"), 200).await;
    assert!(page.contains("<meta property=\"og:type\" content=\"article\">"));
    assert!(page.contains("<meta name=\"twitter:card\" content=\"summary\">"));
    assert!(page.contains(&format!(
        "<link rel=\"canonical\" href=\"{}/shared\">",
        server.base
    )));
    let start = page.find("<script type=\"application/ld+json\">").unwrap()
        + "<script type=\"application/ld+json\">".len();
    let end = start + page[start..].find("</script>").unwrap();
    let data: serde_json::Value = serde_json::from_str(&page[start..end])
        .expect("valid JSON-LD that doesn't end its element early");
    assert_eq!(data["@type"], "BlogPosting");
    assert_eq!(data["author"]["name"], "Ada Lovelace");
    assert!(data["headline"].as_str().unwrap().contains("alert(1)"));
    assert!(!page.contains("<script>alert(1)"));
}

async fn this_nodes_changes_show_at_once_despite_the_page_cache(backend: Backend) {
    let (site, author) = site_with_author(&backend);
    add(
        &site,
        author,
        Kind::Post,
        ("Cached one", "cached-one"),
        Status::Published,
        AGO,
        &[],
    );
    let server = site.start().await;
    let (admin, csrf) = common::logged_in(&server, "ada@example.org", PASSWORD).await;
    for _ in 0..3 {
        assert!(
            get_page(&client(), &server.url("/"), 200)
                .await
                .contains("Cached one")
        );
    }
    // Publish through this node: the cached home page must not hide it.
    let created = common::post_form(
        &admin,
        &server,
        "/admin/posts",
        &csrf,
        &[
            ("title", "Fresh news"),
            ("body", "Hot."),
            ("action", "publish"),
        ],
    )
    .await;
    assert_eq!(created.status(), 303);
    assert!(
        get_page(&client(), &server.url("/"), 200)
            .await
            .contains("Fresh news")
    );
    assert_eq!(
        client()
            .get(server.url("/fresh-news"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // Trash it: gone at once, page and listing.
    let id: i32 = {
        use diesel::prelude::*;
        use folio::db::schema::posts as p;
        p::table
            .filter(p::slug.eq("fresh-news"))
            .select(p::id)
            .first(&mut site.connect())
            .unwrap()
    };
    assert_eq!(
        common::post_form(
            &admin,
            &server,
            &format!("/admin/posts/{id}/delete"),
            &csrf,
            &[]
        )
        .await
        .status(),
        303
    );
    assert!(
        !get_page(&client(), &server.url("/"), 200)
            .await
            .contains("Fresh news")
    );
    assert_eq!(
        client()
            .get(server.url("/fresh-news"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

async fn search_of_a_common_word_ranks_the_newest_matches_and_says_so(backend: Backend) {
    let site = Site::new(&backend);
    let seeded = site.cli(&["seed", "--posts", "700"], None);
    assert!(seeded.status.success(), "{seeded:?}");
    let out = String::from_utf8_lossy(&seeded.stdout).to_string();
    let common = out
        .split("Search terms to try: ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap()
        .to_owned();
    let server = site.start().await;
    let client = common::client();

    let page = get_page(&client, &server.url(&format!("/search?q={common}")), 200).await;
    assert!(page.contains("Many posts match"), "{page}");
    assert!(page.contains("<mark>"), "snippets are highlighted: {page}");
    // Ten per page; the 200 ranked candidates end with page 20.
    let last = get_page(
        &client,
        &server.url(&format!("/search?q={common}&page=20")),
        200,
    )
    .await;
    assert!(last.contains("<mark>"), "{last}");
    get_page(
        &client,
        &server.url(&format!("/search?q={common}&page=21")),
        404,
    )
    .await;

    // A word in a few posts is ranked over all its matches and counted exactly.
    let rare = get_page(&client, &server.url("/search?q=kaloren"), 200).await;
    assert!(!rare.contains("Many posts match"), "{rare}");
}

async fn pages_from_the_cache_carry_the_same_headers(backend: Backend) {
    let (site, _) = site_with_author(&backend);
    let server = site.start().await;
    let first = client().get(server.url("/")).send().await.unwrap();
    let second = client().get(server.url("/")).send().await.unwrap();
    assert!(
        server.log().contains("cached=true") || server.log().contains("\"cached\":true"),
        "the second request came from the page cache: {}",
        server.log()
    );
    for name in [
        "content-security-policy",
        "x-content-type-options",
        "referrer-policy",
        "etag",
        "cache-control",
        "content-type",
        "x-request-id",
    ] {
        assert!(first.headers().contains_key(name), "first: {name}");
        assert_eq!(
            first.headers().get(name).is_some(),
            second.headers().get(name).is_some(),
            "{name}"
        );
    }
    for name in [
        "content-security-policy",
        "etag",
        "cache-control",
        "content-type",
    ] {
        assert_eq!(first.headers()[name], second.headers()[name], "{name}");
    }
    assert_ne!(
        first.headers()["x-request-id"],
        second.headers()["x-request-id"]
    );
    assert_eq!(first.text().await.unwrap(), second.text().await.unwrap());
}
