//! Site settings: validated, saved, and visible on the site at once.

use crate::common;

use common::{Backend, Site, client, get_page, input_value, logged_in, post_form};

on_both_backends!(
    saved_settings_show_on_the_site_at_once,
    bad_settings_are_explained_and_change_nothing,
    the_admin_header_shows_the_renamed_site,
);

const PASSWORD: &str = "correct horse battery staple";

fn fields<'a>(overrides: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("title", "Ada's Notebook"),
        ("description", "Engines and poetry."),
        ("accent_colour", "#AA3300"),
        ("posts_per_page", "5"),
        ("time_zone", "Europe/London"),
        (
            "navigation",
            "About = /about\nElsewhere = https://example.org/",
        ),
        ("footer", "© Ada"),
        ("custom_css", "body { letter-spacing: 0.01em; }"),
        ("feed_content", "excerpt"),
    ];
    for (name, value) in overrides {
        form.retain(|(n, _)| n != name);
        form.push((name, value));
    }
    form
}

async fn saved_settings_show_on_the_site_at_once(backend: Backend) {
    let site = Site::new(&backend);
    site.create_user("ada@example.org", "Ada", "admin", PASSWORD);
    let server = site.start().await;
    let (admin, csrf) = logged_in(&server, "ada@example.org", PASSWORD).await;

    let saved = post_form(&admin, &server, "/admin/settings", &csrf, &fields(&[])).await;
    assert_eq!(saved.status(), 303);
    let form = get_page(&admin, &server.url("/admin/settings"), 200).await;
    assert_eq!(
        input_value(&form, "accent_colour").as_deref(),
        Some("#aa3300"),
        "normalised"
    );
    assert!(form.contains("<option selected>Europe/London</option>"));

    let home = get_page(&client(), &server.url("/"), 200).await;
    assert!(
        home.contains("Ada&#39;s Notebook") || home.contains("Ada&#x27;s Notebook"),
        "{home}"
    );
    assert!(
        home.contains("href=\"/about\">About</a>") && home.contains("© Ada"),
        "{home}"
    );
    let start = home.find("/site.css?v=").unwrap();
    let href = &home[start..start + home[start..].find('"').unwrap()];
    let css = client().get(server.url(href)).send().await.unwrap();
    assert!(
        css.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let css = css.text().await.unwrap();
    assert!(
        css.contains("--accent: #aa3300") && css.contains("letter-spacing"),
        "{css}"
    );
    // #aa3300 is 2.2:1 on the dark background: the dark scheme gets a lighter variant
    // that reaches 4.5:1 (the default palette's own dark accent would be overridden).
    let dark = css
        .split("prefers-color-scheme: dark")
        .nth(1)
        .and_then(|rule| rule.split("--accent: ").nth(1))
        .map(|value| value[..7].to_owned())
        .unwrap_or_default();
    let dark = folio::domain::colour::Rgb::parse(&dark).expect(&css);
    assert!(
        dark.contrast(folio::domain::colour::Rgb(0x16, 0x18, 0x1c)) >= 4.5,
        "{css}"
    );

    // Error pages carry the settings too.
    let missing = client()
        .get(server.url("/nope"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(missing.contains("About</a>"), "{missing}");
}

async fn the_admin_header_shows_the_renamed_site(backend: Backend) {
    let site = Site::new(&backend);
    site.create_user("ada@example.org", "Ada", "admin", PASSWORD);
    let server = site.start().await;
    let (admin, csrf) = logged_in(&server, "ada@example.org", PASSWORD).await;

    let renamed = fields(&[("title", "Ada & <Babbage>")]);
    let saved = post_form(&admin, &server, "/admin/settings", &csrf, &renamed).await;
    assert_eq!(saved.status(), 303);

    for path in ["/admin", "/admin/posts", "/admin/profile"] {
        let page = get_page(&admin, &server.url(path), 200).await;
        let start = page
            .find("<a class=\"site-title\" href=\"/admin\">")
            .unwrap();
        let title = &page[start..start + page[start..].find("</a>").unwrap()];
        assert!(
            title.contains("Ada &") && title.contains("Babbage") && !title.contains("Folio"),
            "{path}: {title}"
        );
        assert!(!page.contains("<Babbage>"), "{path}: escaped");
    }
}

async fn bad_settings_are_explained_and_change_nothing(backend: Backend) {
    let site = Site::new(&backend);
    site.create_user("ada@example.org", "Ada", "admin", PASSWORD);
    let server = site.start().await;
    let (admin, csrf) = logged_in(&server, "ada@example.org", PASSWORD).await;
    let huge_css = "a{}".repeat(40_000);
    for (field, value, message) in [
        ("title", "", "1 to 120 characters"),
        (
            "accent_colour",
            "red; } body { display:none",
            "is not a colour",
        ),
        ("posts_per_page", "0", "from 1 to 100"),
        ("posts_per_page", "many", "from 1 to 100"),
        ("time_zone", "Mars/Olympus_Mons", "time zone from the list"),
        ("navigation", "Evil = javascript:alert(1)", "must be a path"),
        ("feed_content", "both", "full text or excerpts"),
        ("custom_css", huge_css.as_str(), "limited to 100 KB"),
    ] {
        let response = post_form(
            &admin,
            &server,
            "/admin/settings",
            &csrf,
            &fields(&[(field, value)]),
        )
        .await;
        assert_eq!(response.status(), 422, "{field}={value:.30}");
        let page = response.text().await.unwrap();
        assert!(page.contains(message), "{field}: expected {message:?}");
        assert!(
            page.contains("Engines and poetry."),
            "the rest of the form is kept"
        );
    }
    let home = get_page(&client(), &server.url("/"), 200).await;
    assert!(
        home.contains("<title>Home · Folio</title>"),
        "nothing was saved: {home}"
    );
}
