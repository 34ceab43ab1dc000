//! Site settings: validated, saved, and visible on the site at once.

use crate::common;

use common::{Backend, Site, client, get_page, input_value, logged_in, post_form};

on_both_backends!(
    saved_settings_show_on_the_site_at_once,
    bad_settings_are_explained_and_change_nothing,
    the_admin_header_shows_the_renamed_site,
    navigation_is_edited_as_rows_with_or_without_javascript,
    time_zones_are_grouped_with_the_current_one_first,
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
    // The saved zone leads the list, selected, labelled with its place and today's offset.
    let current = form
        .split("<optgroup label=\"Current\">")
        .nth(1)
        .expect("a Current group");
    assert!(
        current
            .trim_start()
            .starts_with("<option value=\"Europe/London\" selected>London (UTC+0"),
        "{current:.200}"
    );

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

/// The form's navigation rows as (label, address), in the page's order.
fn rows_on(page: &str) -> Vec<(String, String)> {
    (0..)
        .map_while(|n| {
            let label = input_value(page, &format!("nav_label_{n}"))?;
            let url = input_value(page, &format!("nav_url_{n}"))?;
            Some((label, url))
        })
        .collect()
}

fn row(label: &str, url: &str) -> (String, String) {
    (label.to_owned(), url.to_owned())
}

/// The settings fields with navigation sent as rows (as the page sends it), plus `extra`.
fn with_rows<'a>(
    rows: &'a [(String, String)],
    extra: &[(&'a str, &'a str)],
) -> Vec<(String, String)> {
    let mut form: Vec<(String, String)> = fields(&[])
        .into_iter()
        .filter(|(name, _)| *name != "navigation")
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    for (n, (label, url)) in rows.iter().enumerate() {
        form.push((format!("nav_label_{n}"), label.clone()));
        form.push((format!("nav_url_{n}"), url.clone()));
    }
    form.extend(
        extra
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
    );
    form
}

async fn post_rows(
    admin: &reqwest::Client,
    server: &common::Server,
    csrf: &str,
    form: &[(String, String)],
) -> reqwest::Response {
    let form: Vec<(&str, &str)> = form.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    post_form(admin, server, "/admin/settings", csrf, &form).await
}

async fn navigation_is_edited_as_rows_with_or_without_javascript(backend: Backend) {
    let site = Site::new(&backend);
    site.create_user("ada@example.org", "Ada", "admin", PASSWORD);
    let server = site.start().await;
    let (admin, csrf) = logged_in(&server, "ada@example.org", PASSWORD).await;
    let saved = post_form(&admin, &server, "/admin/settings", &csrf, &fields(&[])).await;
    assert_eq!(saved.status(), 303, "the text form still works");

    let page = get_page(&admin, &server.url("/admin/settings"), 200).await;
    let about = row("About", "/about");
    let elsewhere = row("Elsewhere", "https://example.org/");
    assert_eq!(
        rows_on(&page),
        [about.clone(), elsewhere.clone(), row("", "")],
        "one row per link and an empty one to add a link"
    );

    // Up on the second row, without JavaScript: the page comes back rearranged, unsaved.
    let rows = rows_on(&page);
    let moved = post_rows(
        &admin,
        &server,
        &csrf,
        &with_rows(&rows, &[("nav_move", "up-1")]),
    )
    .await;
    assert_eq!(moved.status(), 200);
    let page = moved.text().await.unwrap();
    assert!(page.contains("Links rearranged, not saved yet"), "{page}");
    assert_eq!(
        rows_on(&page),
        [elsewhere.clone(), about.clone(), row("", "")]
    );
    assert!(
        page.contains("Engines and poetry."),
        "the other fields are kept"
    );
    let home = get_page(&client(), &server.url("/"), 200).await;
    assert!(
        home.find(">About<") < home.find(">Elsewhere<"),
        "not saved yet"
    );

    // "Add a link" gives a second empty row only once the first is filled.
    let mut rows = rows_on(&page);
    rows[2] = row("Shop", "/shop");
    let added = post_rows(
        &admin,
        &server,
        &csrf,
        &with_rows(&rows, &[("nav_move", "add")]),
    )
    .await;
    let page = added.text().await.unwrap();
    assert_eq!(rows_on(&page).len(), 4);
    assert_eq!(rows_on(&page)[2], row("Shop", "/shop"));

    // A row number from a stale page changes nothing.
    let stale = post_rows(
        &admin,
        &server,
        &csrf,
        &with_rows(&rows, &[("nav_move", "remove-9")]),
    )
    .await;
    assert_eq!(stale.status(), 200);
    let page = stale.text().await.unwrap();
    assert!(page.contains("no longer in the list: nothing changed"));
    assert_eq!(rows_on(&page)[..3], rows[..]);

    // Saving keeps the rows' order; an emptied row is dropped.
    let mut rows = rows_on(&page);
    rows[0] = row("", "");
    let saved = post_rows(&admin, &server, &csrf, &with_rows(&rows, &[])).await;
    assert_eq!(saved.status(), 303);
    let home = get_page(&client(), &server.url("/"), 200).await;
    let (a, s) = (home.find(">About<").unwrap(), home.find(">Shop<").unwrap());
    assert!(a < s && !home.contains(">Elsewhere<"), "{home}");

    // Bad rows are explained by number and come back as typed; nothing is saved.
    for (bad, message) in [
        (
            row("A = B", "/a"),
            "Link 2: “A = B”: a label may not contain “=”.",
        ),
        (
            row("", "/nameless"),
            "Link 2: a label has 1 to 60 characters.",
        ),
        (
            row("Evil", "javascript:alert(1)"),
            "Link 2: “javascript:alert(1)” must be a path",
        ),
    ] {
        let rows = [about.clone(), bad.clone()];
        let refused = post_rows(&admin, &server, &csrf, &with_rows(&rows, &[])).await;
        assert_eq!(refused.status(), 422, "{bad:?}");
        let page = refused.text().await.unwrap();
        assert!(page.contains(message), "{bad:?}: {page}");
        assert_eq!(rows_on(&page)[1], bad);
    }
    let home = get_page(&client(), &server.url("/"), 200).await;
    assert!(
        home.contains(">Shop<") && !home.contains("nameless"),
        "unchanged"
    );
}

async fn time_zones_are_grouped_with_the_current_one_first(backend: Backend) {
    let site = Site::new(&backend);
    site.create_user("ada@example.org", "Ada", "admin", PASSWORD);
    let server = site.start().await;
    let (admin, csrf) = logged_in(&server, "ada@example.org", PASSWORD).await;
    let page = get_page(&admin, &server.url("/admin/settings"), 200).await;
    let select = page
        .split("<select id=\"time_zone\" name=\"time_zone\">")
        .nth(1)
        .and_then(|rest| rest.split("</select>").next())
        .unwrap();
    let groups: Vec<&str> = select
        .split("<optgroup label=\"")
        .skip(1)
        .filter_map(|g| g.split('"').next())
        .collect();
    assert_eq!(groups.first(), Some(&"Current"));
    assert_eq!(groups.last(), Some(&"Other"));
    assert!(
        groups.contains(&"America") && groups.contains(&"Europe"),
        "{groups:?}"
    );
    assert_eq!(select.matches(" selected>").count(), 1, "one zone selected");
    assert!(select.contains("<option value=\"UTC\" selected>UTC (UTC+00:00)</option>"));
    assert!(select.contains(
        "<option value=\"America/Argentina/Buenos_Aires\">Argentina / Buenos Aires (UTC−03:00)</option>"
    ));

    let form = fields(&[("time_zone", "America/Argentina/Buenos_Aires")]);
    let saved = post_form(&admin, &server, "/admin/settings", &csrf, &form).await;
    assert_eq!(saved.status(), 303);
    let page = get_page(&admin, &server.url("/admin/settings"), 200).await;
    let current = page
        .split("<optgroup label=\"Current\">")
        .nth(1)
        .and_then(|rest| rest.split("</optgroup>").next())
        .unwrap();
    assert!(
        current.contains("<option value=\"America/Argentina/Buenos_Aires\" selected>"),
        "the saved zone leads: {current}"
    );
}
