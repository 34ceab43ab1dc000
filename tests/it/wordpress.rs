//! `folio import-wordpress` and the dashboard's importer: a hand-written WordPress export
//! (tests/fixtures/wordpress.xml) covering every mapping, imported twice, bad files refused
//! with nothing imported, and a generated 10,000-post export.

use crate::common;

use std::io::Write;
use std::path::{Path, PathBuf};

use common::{Backend, Site, get_page, logged_in};
use diesel::prelude::*;
use folio::db::schema::{media, post_tags, posts, redirects, tags, users};

on_both_backends!(
    a_wordpress_export_is_imported_with_every_mapping,
    importing_the_same_export_again_adds_nothing,
    bad_exports_are_refused_and_change_nothing,
    an_admin_imports_from_the_dashboard_and_sees_the_report,
    a_ten_thousand_post_export_is_imported,
    imported_posts_written_in_batches_keep_every_slug_free,
);

const PASSWORD: &str = "correct horse battery staple";
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/wordpress.xml");

/// A site with an admin, and Ann (an editor) whose email the export's author "ann" has.
fn site_with_people(backend: &Backend) -> Site {
    let site = Site::new(backend);
    site.create_user("admin@example.com", "Admin", "admin", PASSWORD);
    site.create_user("ann@example.com", "Ann Existing", "editor", PASSWORD);
    site
}

/// The old site's uploads folder, holding the photo but not the PDF.
fn uploads(site: &Site) -> PathBuf {
    let root = site.data_dir().join("wp-uploads");
    let dir = root.join("2019/03");
    std::fs::create_dir_all(&dir).unwrap();
    let photo = image::RgbImage::from_fn(1200, 800, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    photo.save(dir.join("harbour.png")).unwrap();
    root
}

fn import(site: &Site, args: &[&str]) -> std::process::Output {
    let mut all = vec!["import-wordpress"];
    all.extend_from_slice(args);
    site.cli(&all, None)
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// (slug, kind, status, published?, trashed?, author email) of every post.
fn posts_of(site: &Site) -> Vec<(String, String, String, bool, bool, String)> {
    let mut conn = site.connect();
    posts::table
        .inner_join(users::table)
        .order(posts::slug)
        .select((
            posts::slug,
            posts::kind,
            posts::status,
            posts::published_at.is_not_null(),
            posts::deleted_at.is_not_null(),
            users::email,
        ))
        .load(&mut conn)
        .unwrap()
}

fn counts(site: &Site) -> [i64; 5] {
    let mut conn = site.connect();
    [
        posts::table.count().get_result(&mut conn).unwrap(),
        users::table.count().get_result(&mut conn).unwrap(),
        tags::table.count().get_result(&mut conn).unwrap(),
        media::table.count().get_result(&mut conn).unwrap(),
        redirects::table.count().get_result(&mut conn).unwrap(),
    ]
}

async fn location(client: &reqwest::Client, url: &str) -> (u16, String) {
    let response = client.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    (status, location)
}

async fn a_wordpress_export_is_imported_with_every_mapping(backend: Backend) {
    let site = site_with_people(&backend);
    let uploads = uploads(&site);
    let output = import(&site, &[FIXTURE, "--uploads", uploads.to_str().unwrap()]);
    let report = stdout(&output);
    assert!(output.status.success(), "{output:?}");

    // The report: counts by kind and stage, what was skipped and why, warnings per item.
    assert!(
        report.contains("Imported 11 posts and pages from https://old.example"),
        "{report}"
    );
    assert!(report.contains("pages: 1 published"), "{report}");
    assert!(
        report.contains("posts: 4 draft, 1 pending review, 3 published, 1 scheduled, 1 trash"),
        "{report}"
    );
    for expected in [
        "media: 1 copied into the library, 1 left on the old site",
        "Chart of the bay: https://old.example/wp-content/uploads/2019/03/chart.pdf",
        "2 comments: Folio has no comments",
        "1 item of type nav_menu_item: menus are not imported",
        "1 item of type product: unknown post type",
        "“Auto Draft” (WordPress id 32): a WordPress auto-draft",
        "urn:example:star-ratings-plugin",
        "Bob Quay (bob@example.com) as author",
        "ann → Ann Existing (ann@example.com)",
        "Author Carol (carol) has no usable email address",
        "The author “ghost” is not among the export's authors",
        "(WordPress id 12): shortcodes Folio can't show were left as text: [gallery]",
        "(WordPress id 12): its <script> elements were removed",
        "(WordPress id 18): the address /hello-world is taken: it is /hello-world-2",
        "(WordPress id 19): it has no date: imported as a draft",
        "(WordPress id 21): it was password-protected on WordPress: imported as a draft",
        "(WordPress id 16): it was private on WordPress: imported as a draft",
        "Attachment “Chart of the bay” (WordPress id 41) was not copied",
    ] {
        assert!(
            report.contains(expected),
            "missing “{expected}” in:\n{report}"
        );
    }

    let posts = posts_of(&site);
    let find = |slug: &str| {
        posts
            .iter()
            .find(|p| p.0 == slug)
            .unwrap_or_else(|| panic!("no post {slug} in {posts:?}"))
            .clone()
    };
    assert_eq!(posts.len(), 11, "{posts:?}");
    let hello = find("hello-world");
    assert_eq!(
        (hello.1.as_str(), hello.2.as_str(), hello.3),
        ("post", "published", true)
    );
    assert_eq!(
        hello.5, "ann@example.com",
        "mapped onto the existing account by email"
    );
    assert_eq!(
        find("summer-regatta").2,
        "published",
        "scheduled = published in the future"
    );
    assert_eq!(find("summer-regatta").5, "bob@example.com");
    assert_eq!(
        find("tide-tables-half-written").2,
        "draft",
        "slug from the title"
    );
    assert_eq!(find("harbour-fees-2024").2, "pending");
    assert_eq!(
        find("harbour-fees-2024").5,
        "admin@example.com",
        "Carol had no email"
    );
    assert_eq!(
        find("hello-world-2").5,
        "admin@example.com",
        "ghost is unknown"
    );
    assert_eq!(find("committee-notes").2, "draft");
    assert_eq!(find("members-prices").2, "draft");
    assert_eq!(find("undated").2, "draft");
    let ferry = find("ferry-timetable");
    assert!(ferry.4, "trashed: {ferry:?}");
    assert_eq!(find("about").1, "page");
    find("日本");

    let mut conn = site.connect();
    let bob: (Option<String>, String, String) = users::table
        .filter(users::email.eq("bob@example.com"))
        .select((users::password_hash, users::status, users::role))
        .first(&mut conn)
        .unwrap();
    assert_eq!(bob, (None, "disabled".to_owned(), "author".to_owned()));
    let tag_rows: Vec<(String, String, String)> = tags::table
        .order(tags::slug)
        .select((tags::slug, tags::name, tags::description))
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        tag_rows,
        vec![
            ("boats".to_owned(), "Boats".to_owned(), String::new()),
            (
                "news".to_owned(),
                "News & Events".to_owned(),
                "What happens at the harbour".to_owned()
            ),
        ],
        "categories and tags become tags; Uncategorized does not"
    );
    let hello_tags: i64 = post_tags::table
        .inner_join(posts::table)
        .filter(posts::slug.eq("hello-world"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(hello_tags, 2);
    let (featured, excerpt, title): (Option<i32>, String, String) = posts::table
        .filter(posts::slug.eq("hello-world"))
        .select((posts::featured_media_id, posts::excerpt, posts::title))
        .first(&mut conn)
        .unwrap();
    assert_eq!(title, "Hello world \u{2013} the lighthouse");
    assert_eq!(excerpt, "The lighthouse got a new coat.");
    let photo: (i32, String, String) = media::table
        .select((media::id, media::alt_text, media::caption))
        .first(&mut conn)
        .unwrap();
    assert_eq!(featured, Some(photo.0));
    assert_eq!(photo.1, "Fishing boats moored in the harbour");
    assert_eq!(photo.2, "Boats at dawn");

    let server = site.start().await;
    let client = common::client();
    let page = get_page(&client, &server.url("/hello-world"), 200).await;
    // WordPress's automatic paragraphs and line breaks, read the same.
    assert!(
        page.contains("<p>The lighthouse was painted this week.<br>"),
        "{page}"
    );
    assert!(
        page.contains("It took *three* days and 4 coats.</p>"),
        "Markdown left alone"
    );
    assert!(
        page.contains("<figcaption>Boats at dawn</figcaption>"),
        "{page}"
    );
    assert!(
        page.contains("src=\"/media/"),
        "the caption's image is the library copy"
    );
    assert!(!page.contains("harbour-1024x683.png"));
    assert!(page.contains("[gallery ids=\"40,41\"]"), "left as text");
    assert!(page.contains("href=\"https://old.example/wp-content/uploads/2019/03/chart.pdf\""));
    assert!(!page.contains("old analytics"), "script removed");
    let regatta_page = get_page(&client, &server.url("/summer-regatta"), 404).await;
    assert!(
        !regatta_page.contains("Keelboats"),
        "scheduled posts are not public yet"
    );
    let about = get_page(&client, &server.url("/about"), 200).await;
    assert!(about.contains("<p>We keep boats.</p>"), "{about}");

    // Old addresses answer with the new ones.
    for (old, new) in [
        ("/?p=12", "/hello-world"),
        ("/2019/03/04/hello-world/", "/hello-world"),
        ("/2019/03/04/hello-world", "/hello-world"),
        ("/?page_id=20", "/about"),
        ("/?p=20", "/about"),
        ("/about-us/", "/about"),
        ("/2020/01/02/hello-world/", "/hello-world-2"),
        ("/2021/07/08/%E6%97%A5%E6%9C%AC/", "/%E6%97%A5%E6%9C%AC"),
    ] {
        let (status, location) = location(&client, &server.url(old)).await;
        let location = location.replace("/日本", "/%E6%97%A5%E6%9C%AC");
        assert_eq!((status, location.as_str()), (301, new), "{old}");
    }
    // Not public, so not redirected to: a draft, a trashed post, an unknown id.
    for old in [
        "/?p=14",
        "/?p=17",
        "/?p=9999",
        "/?p=abc",
        "/2018/01/01/ferry-timetable",
    ] {
        let (status, _) = location(&client, &server.url(old)).await;
        assert_eq!(status, 404, "{old}");
    }
    // Imported HTML is searchable like any post.
    let results = get_page(&client, &server.url("/search?q=lighthouse"), 200).await;
    assert!(results.contains("href=\"/hello-world\""), "{results}");
    server.stop().await;
}

async fn importing_the_same_export_again_adds_nothing(backend: Backend) {
    let site = site_with_people(&backend);
    let uploads = uploads(&site);
    let args = [FIXTURE, "--uploads", uploads.to_str().unwrap()];
    assert!(import(&site, &args).status.success());
    let first = counts(&site);
    let posts_before = posts_of(&site);
    let media_files = common::files_under(&site.data_dir().join("media"));

    let again = import(&site, &args);
    assert!(again.status.success(), "{again:?}");
    let report = stdout(&again);
    assert!(report.contains("Imported 0 posts"), "{report}");
    assert!(report.contains("11 items were imported before"), "{report}");
    assert!(report.contains("media: 0 copied"), "{report}");
    assert_eq!(counts(&site), first);
    assert_eq!(posts_of(&site), posts_before);
    assert_eq!(
        common::files_under(&site.data_dir().join("media")),
        media_files
    );

    // A post deleted for good since comes back on the next import; nothing else does.
    site.execute_sql("DELETE FROM posts WHERE slug = 'summer-regatta'");
    let third = stdout(&import(&site, &args));
    assert!(third.contains("Imported 1 post or page"), "{third}");
    assert_eq!(counts(&site), first);
}

async fn bad_exports_are_refused_and_change_nothing(backend: Backend) {
    let site = site_with_people(&backend);
    let before = counts(&site);
    let dir = site.data_dir().join("bad");
    std::fs::create_dir_all(&dir).unwrap();
    let fixture = std::fs::read_to_string(FIXTURE).unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    // Broken near the end, after many good items: still nothing imported.
    let broken = fixture.replace(
        "<wp:post_type><![CDATA[page]]></wp:post_type>",
        "<wp:post_type><![CDATA[page]]></wp:post_typo>",
    );
    let broken_line = broken
        .lines()
        .position(|l| l.contains("</wp:post_typo>"))
        .unwrap()
        + 1;
    // Cut off after a whole item, as an interrupted download would be.
    let half = fixture.len() / 2;
    let cut = &fixture[..half + fixture[half..].find("</item>").unwrap() + "</item>".len()];
    let rss = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>A feed</title><item><title>Hi</title></item></channel></rss>"#;
    let newer = fixture.replace(
        "http://wordpress.org/export/1.2/\"",
        "http://wordpress.org/export/1.3/\"",
    );
    let cases = [
        (
            write("broken.xml", &broken),
            format!("line {broken_line}, column"),
        ),
        (write("cut.xml", cut), "it may have been cut off".to_owned()),
        (write("empty.xml", ""), "is empty (0 bytes)".to_owned()),
        (
            write("feed.xml", rss),
            "is an RSS feed, not a WordPress export".to_owned(),
        ),
        (
            write("page.html", "<html><body>Hi</body></html>"),
            "root element is <html>".to_owned(),
        ),
        (write("newer.xml", &newer), "WXR version 1.3".to_owned()),
        (
            write("text.xml", "hello"),
            "holds no XML elements".to_owned(),
        ),
        (
            dir.join("missing.xml").to_str().unwrap().to_owned(),
            "cannot open".to_owned(),
        ),
    ];
    for (path, expected) in &cases {
        let output = import(&site, &[path]);
        assert!(!output.status.success(), "{path}: {output:?}");
        let message = stderr(&output);
        assert!(
            message.contains(expected.as_str()),
            "{path}: expected “{expected}” in {message}"
        );
        assert!(!message.contains("panicked"), "{message}");
        assert_eq!(counts(&site), before, "{path} changed the database");
    }
    let output = import(&site, &[FIXTURE, "--author-role", "overlord"]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("overlord"), "{output:?}");
    let output = import(&site, &[FIXTURE, "--uploads", "/nonexistent/uploads"]);
    assert!(stderr(&output).contains("is not a folder"), "{output:?}");
    assert_eq!(counts(&site), before);
}

/// Uploads `xml` as `name` through the dashboard and returns the finished import's page.
async fn import_through_dashboard(
    server: &common::Server,
    client: &reqwest::Client,
    csrf: &str,
    name: &str,
    xml: Vec<u8>,
) -> String {
    let form = reqwest::multipart::Form::new()
        .text("author_role", "contributor")
        .part(
            "file",
            reqwest::multipart::Part::bytes(xml).file_name(name.to_owned()),
        );
    let response = client
        .post(server.url(&format!("/admin/import/wordpress?csrf_token={csrf}")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let job = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(job.starts_with("/admin/import/wordpress/"), "{job}");
    for _ in 0..600 {
        let page = get_page(client, &server.url(&job), 200).await;
        if !page.contains("http-equiv=\"refresh\"") {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the import did not finish in a minute");
}

async fn an_admin_imports_from_the_dashboard_and_sees_the_report(backend: Backend) {
    let site = site_with_people(&backend);
    let server = site.start().await;
    let (client, csrf) = logged_in(&server, "admin@example.com", PASSWORD).await;
    let form = get_page(&client, &server.url("/admin/import/wordpress"), 200).await;
    assert!(form.contains("name=\"file\""), "{form}");

    let before = counts(&site);
    let broken = std::fs::read_to_string(FIXTURE).unwrap().replace(
        "<title>Harbour Notes</title>",
        "<title>Harbour Notes</titl>",
    );
    let page =
        import_through_dashboard(&server, &client, &csrf, "harbour.xml", broken.into()).await;
    assert!(page.contains("The import failed"), "{page}");
    assert!(
        page.contains("harbour.xml is not well-formed XML: line 13, column"),
        "{page}"
    );
    assert_eq!(counts(&site), before);

    let page = import_through_dashboard(
        &server,
        &client,
        &csrf,
        "harbour.xml",
        std::fs::read(FIXTURE).unwrap(),
    )
    .await;
    assert!(page.contains("Done: 11 posts and pages imported"), "{page}");
    assert!(
        page.contains("<td>post</td><td>scheduled</td><td>1</td>"),
        "{page}"
    );
    assert!(
        page.contains("Bob Quay (bob@example.com) as contributor"),
        "{page}"
    );
    assert!(
        page.contains("it has no date: imported as a draft"),
        "{page}"
    );
    assert!(
        page.contains("Chart of the bay: https://old.example/"),
        "{page}"
    );
    assert!(!page.contains("<script>alert"), "report text is escaped");
    // The site shows the imported posts at once (the page cache was cleared).
    let home = get_page(&client, &server.url("/"), 200).await;
    assert!(home.contains("Hello world"), "{home}");
    let list = get_page(&client, &server.url("/admin/import/wordpress"), 200).await;
    assert!(list.contains("11 posts and pages imported"), "{list}");

    // No file chosen: the form again, saying so.
    let empty = reqwest::multipart::Form::new().text("author_role", "author");
    let response = client
        .post(server.url(&format!("/admin/import/wordpress?csrf_token={csrf}")))
        .multipart(empty)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Choose the export file")
    );
    server.stop().await;
}

/// A WordPress-shaped export of `posts` posts by 20 authors with 50 categories.
fn generate_export(path: &Path, posts: usize) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(
        out,
        r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Big blog</title><link>https://big.example</link>
<wp:wxr_version>1.2</wp:wxr_version><wp:base_site_url>https://big.example</wp:base_site_url><wp:base_blog_url>https://big.example</wp:base_blog_url>"#
    )
    .unwrap();
    for a in 0..20 {
        writeln!(out, "<wp:author><wp:author_login><![CDATA[writer{a}]]></wp:author_login><wp:author_email>writer{a}@big.example</wp:author_email><wp:author_display_name><![CDATA[Writer {a}]]></wp:author_display_name></wp:author>").unwrap();
    }
    for n in 0..posts {
        let day = 1 + n % 28;
        let month = 1 + (n / 28) % 12;
        let year = 1990 + n / 336;
        writeln!(
            out,
            r#"<item><title><![CDATA[Post number {n}]]></title><link>https://big.example/{year}/{month:02}/{day:02}/post-{n}/</link><dc:creator><![CDATA[writer{a}]]></dc:creator>
<content:encoded><![CDATA[Paragraph one of post {n}, about the harbour and its boats.
A second line.

<h2>Section</h2>
Paragraph two with <a href="https://example.com/{n}">a link</a> and <em>emphasis</em>.

<ul>
<li>one</li>
<li>two</li>
</ul>]]></content:encoded><excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>{id}</wp:post_id><wp:post_date><![CDATA[{year}-{month:02}-{day:02} 10:00:00]]></wp:post_date><wp:post_date_gmt><![CDATA[{year}-{month:02}-{day:02} 09:00:00]]></wp:post_date_gmt>
<wp:post_name><![CDATA[post-{n}]]></wp:post_name><wp:status><![CDATA[publish]]></wp:status><wp:post_type><![CDATA[post]]></wp:post_type><wp:post_password><![CDATA[]]></wp:post_password>
<category domain="category" nicename="topic-{c}"><![CDATA[Topic {c}]]></category><category domain="post_tag" nicename="tag-{t}"><![CDATA[Tag {t}]]></category>
<wp:postmeta><wp:meta_key><![CDATA[_edit_last]]></wp:meta_key><wp:meta_value><![CDATA[1]]></wp:meta_value></wp:postmeta>
</item>"#,
            a = n % 20,
            id = 1000 + n,
            c = n % 50,
            t = n % 200,
        )
        .unwrap();
    }
    writeln!(out, "</channel></rss>").unwrap();
}

async fn a_ten_thousand_post_export_is_imported(backend: Backend) {
    let site = site_with_people(&backend);
    let path = site.data_dir().join("big.xml");
    generate_export(&path, 10_000);
    let output = import(&site, &[path.to_str().unwrap()]);
    let report = stdout(&output);
    assert!(output.status.success(), "{output:?}");
    eprintln!(
        "10,000-post export: {}",
        report.lines().next().unwrap_or_default()
    );
    assert!(
        report.contains("Imported 10000 posts and pages"),
        "{report}"
    );
    assert!(report.contains("posts: 10000 published"), "{report}");
    assert!(report.contains("users: 20 created"), "{report}");
    assert!(
        report.contains("tags: 250 created; redirects from old addresses: 20000"),
        "{report}"
    );
    let [posts, users, tags, _, redirects] = counts(&site);
    assert_eq!((posts, users, tags, redirects), (10_000, 22, 250, 20_000));
    let server = site.start().await;
    let client = common::client();
    let (status, location) = location(&client, &server.url("/2019/10/04/post-9999/")).await;
    assert_eq!((status, location.as_str()), (301, "/post-9999"));
    server.stop().await;
}

/// The importer writes posts in batches (one query checks a batch's slugs): items that all
/// want one address — held by a post of the site, by an old address, by each other, within
/// a batch and across batches — still get distinct free slugs, each post its revision,
/// tags and `imported_items` row, and importing again adds nothing.
async fn imported_posts_written_in_batches_keep_every_slug_free(backend: Backend) {
    use folio::db::schema::{imported_items, revisions};
    let site = site_with_people(&backend);
    let admin = site.user_id("admin@example.com");
    site.execute_sql(&format!(
        "INSERT INTO posts (kind, status, title, slug, body_markdown, body_html, excerpt, author_id, version, created_at, updated_at, search_text) \
         VALUES ('post', 'draft', 'Ours', 'same', '', '', '', {admin}, 1, '2020-01-01 00:00:00', '2020-01-01 00:00:00', '')"
    ));
    site.execute_sql(
        "INSERT INTO redirects (from_path, to_path, created_at) VALUES ('/same-3', '/elsewhere', '2020-01-01 00:00:00')",
    );
    const ITEMS: usize = 230;
    let path = site.data_dir().join("same.xml");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(
        out,
        r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Same</title><link>https://same.example</link><wp:wxr_version>1.2</wp:wxr_version><wp:base_blog_url>https://same.example</wp:base_blog_url>"#
    )
    .unwrap();
    for n in 0..ITEMS {
        writeln!(
            out,
            r#"<item><title>Same {n}</title><link>https://same.example/?p={id}</link><dc:creator>nobody</dc:creator>
<content:encoded><![CDATA[Text {n}]]></content:encoded><excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>{id}</wp:post_id><wp:post_date>2019-01-01 10:00:00</wp:post_date><wp:post_date_gmt>2019-01-01 09:00:00</wp:post_date_gmt>
<wp:post_name>same</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>
<category domain="post_tag" nicename="tag-{t}"><![CDATA[Tag {t}]]></category></item>"#,
            id = 1 + n,
            t = n % 3,
        )
        .unwrap();
    }
    writeln!(out, "</channel></rss>").unwrap();
    drop(out);

    let output = import(&site, &[path.to_str().unwrap()]);
    let report = stdout(&output);
    assert!(output.status.success(), "{output:?}");
    assert!(
        report.contains(&format!("Imported {ITEMS} posts")),
        "{report}"
    );
    assert_eq!(
        report.matches("the address /same is taken").count(),
        ITEMS,
        "{report:.2000}"
    );
    let mut conn = site.connect();
    let mut slugs: Vec<String> = posts::table
        .filter(posts::title.ne("Ours"))
        .select(posts::slug)
        .load(&mut conn)
        .unwrap();
    slugs.sort_by_key(|s| s[5..].parse::<usize>().unwrap());
    let expected: Vec<String> = (2..=ITEMS + 2)
        .filter(|&n| n != 3)
        .map(|n| format!("same-{n}"))
        .collect();
    assert_eq!(slugs, expected, "numbered in order, the redirect's skipped");
    // The first item of the second batch follows the last of the first (items 0-199 took
    // same-2 and same-4 … same-202).
    let second_batch_first: String = posts::table
        .filter(posts::title.eq("Same 200"))
        .select(posts::slug)
        .first(&mut conn)
        .unwrap();
    assert_eq!(second_batch_first, "same-203");
    let revisions: i64 = revisions::table.count().get_result(&mut conn).unwrap();
    let tagged: i64 = post_tags::table.count().get_result(&mut conn).unwrap();
    let remembered: i64 = imported_items::table
        .filter(imported_items::post_id.is_not_null())
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(
        (revisions, tagged, remembered),
        (ITEMS as i64, ITEMS as i64, ITEMS as i64)
    );
    // Each post's old address `/?p=ID` leads to it.
    let redirected: i64 = redirects::table
        .inner_join(posts::table)
        .filter(redirects::from_path.eq(format!("/?p={ITEMS}")))
        .filter(posts::title.eq(format!("Same {}", ITEMS - 1)))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(redirected, 1);

    let before = counts(&site);
    let again = import(&site, &[path.to_str().unwrap()]);
    assert!(again.status.success(), "{again:?}");
    assert!(
        stdout(&again).contains(&format!("{ITEMS} items were imported before")),
        "{}",
        stdout(&again)
    );
    assert_eq!(counts(&site), before);
}
