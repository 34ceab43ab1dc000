//! First run: the setup link, the administrator form and its refusals.

use crate::common;

use common::{Backend, Server, Site, client, get_page, input_value};

on_both_backends!(
    setup_link_creates_the_admin_and_logs_them_in,
    wrong_or_missing_setup_token_is_refused_and_creates_nobody,
    setup_form_keeps_input_and_explains_each_mistake,
    setup_without_csrf_token_or_from_another_site_is_refused,
    setup_is_gone_once_a_user_exists,
    racing_setup_submissions_create_one_admin,
);

const PASSWORD: &str = "correct horse battery staple";

async fn submit_setup(
    client: &reqwest::Client,
    server: &Server,
    setup_url: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let page = get_page(client, setup_url, 200).await;
    let csrf = input_value(&page, "csrf_token").expect("csrf field");
    let token = input_value(&page, "token").expect("token field");
    let mut form = vec![("csrf_token", csrf.as_str()), ("token", token.as_str())];
    form.extend_from_slice(fields);
    client
        .post(server.url("/admin/setup"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

fn user_list(site: &Site) -> String {
    let out = site.cli(&["user", "list"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

async fn setup_link_creates_the_admin_and_logs_them_in(backend: Backend) {
    let site = Site::new(&backend);
    let server = site.start().await;
    let setup_url = server.setup_url().expect("setup link on standard output");
    assert!(
        setup_url.starts_with(&server.base),
        "{setup_url} is absolute"
    );
    let client = client();

    let response = submit_setup(
        &client,
        &server,
        &setup_url,
        &[
            ("email", "Grace@Example.org"),
            ("name", "Grace Hopper"),
            ("password", PASSWORD),
            ("password_confirmation", PASSWORD),
        ],
    )
    .await;

    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/admin");
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        cookie.contains("httponly") && cookie.contains("samesite=lax"),
        "{cookie}"
    );
    let dashboard = get_page(&client, &server.url("/admin"), 200).await;
    assert!(dashboard.contains("Grace Hopper"), "{dashboard}");
    assert!(
        dashboard.contains("grace@example.org"),
        "email stored lower-cased"
    );
    assert!(dashboard.contains("admin"));
    assert!(user_list(&site).contains("grace@example.org"));

    // The link is single-use, and logging out ends the session.
    assert_eq!(client.get(&setup_url).send().await.unwrap().status(), 404);
    let csrf = input_value(&dashboard, "csrf_token").unwrap();
    let logout = client
        .post(server.url("/admin/logout"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 303);
    assert_eq!(
        client
            .get(server.url("/admin"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );

    // The password chosen at setup works at the login form; a wrong one doesn't.
    let wrong = common::log_in(&client, &server, "grace@example.org", "not the password").await;
    assert_eq!(wrong.status(), 401);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("email or password is wrong")
    );
    let right = common::log_in(&client, &server, "grace@example.org", PASSWORD).await;
    assert_eq!(right.status(), 303);
}

async fn wrong_or_missing_setup_token_is_refused_and_creates_nobody(backend: Backend) {
    let site = Site::new(&backend);
    let server = site.start().await;
    let real = server.setup_url().unwrap();
    let client = client();

    for url in [
        server.url("/admin/setup"),
        server.url("/admin/setup?token="),
        server.url("/admin/setup?token=forged-token-value"),
    ] {
        let response = client.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 403, "{url}");
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("setup link is not valid")
        );
    }

    // A POST with a forged token, even with a valid CSRF token, creates nobody.
    let page = get_page(&client, &real, 200).await;
    let csrf = input_value(&page, "csrf_token").unwrap();
    let response = client
        .post(server.url("/admin/setup"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("token", "forged-token-value"),
            ("email", "mallory@example.org"),
            ("name", "Mallory"),
            ("password", PASSWORD),
            ("password_confirmation", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(user_list(&site).contains("No users yet"));
}

async fn setup_form_keeps_input_and_explains_each_mistake(backend: Backend) {
    let site = Site::new(&backend);
    let server = site.start().await;
    let setup_url = server.setup_url().unwrap();
    let client = client();

    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[
                ("email", "not-an-email"),
                ("name", "Grace"),
                ("password", PASSWORD),
                ("password_confirmation", PASSWORD),
            ],
            "is not a valid email address",
        ),
        (
            &[
                ("email", "grace@example.org"),
                ("name", "   "),
                ("password", PASSWORD),
                ("password_confirmation", PASSWORD),
            ],
            "Enter the name",
        ),
        (
            &[
                ("email", "grace@example.org"),
                ("name", "Grace"),
                ("password", "short"),
                ("password_confirmation", "short"),
            ],
            "at least 12 characters",
        ),
        (
            &[
                ("email", "grace@example.org"),
                ("name", "Grace"),
                ("password", PASSWORD),
                ("password_confirmation", "something else entirely"),
            ],
            "do not match",
        ),
        (&[], "Enter an email address"),
    ];
    for (fields, message) in cases {
        let response = submit_setup(&client, &server, &setup_url, fields).await;
        assert_eq!(response.status(), 422, "{fields:?}");
        let page = response.text().await.unwrap();
        assert!(page.contains(message), "expected {message:?} in:\n{page}");
        // What was typed (except passwords) comes back.
        for (field, value) in fields.iter().filter(|(f, _)| *f == "email" || *f == "name") {
            assert_eq!(
                input_value(&page, field).as_deref(),
                Some(*value),
                "{field} kept"
            );
        }
        assert!(!page.contains(PASSWORD), "passwords are never echoed back");
    }

    // Hostile input is escaped, not executed.
    let response = submit_setup(
        &client,
        &server,
        &setup_url,
        &[
            ("email", "<script>alert(1)</script>"),
            ("name", "<img src=x onerror=alert(1)>"),
        ],
    )
    .await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(!page.contains("<img src=x"), "{page}");

    assert!(
        user_list(&site).contains("No users yet"),
        "nothing was created"
    );
    // The setup link still works after the mistakes.
    assert_eq!(client.get(&setup_url).send().await.unwrap().status(), 200);
}

async fn setup_without_csrf_token_or_from_another_site_is_refused(backend: Backend) {
    let site = Site::new(&backend);
    let server = site.start().await;
    let setup_url = server.setup_url().unwrap();
    let token = setup_url.split("token=").nth(1).unwrap().to_owned();
    let client = client();
    let page = get_page(&client, &setup_url, 200).await;
    let csrf = input_value(&page, "csrf_token").unwrap();
    let fields = [
        ("token", token.as_str()),
        ("email", "grace@example.org"),
        ("name", "Grace"),
        ("password", PASSWORD),
        ("password_confirmation", PASSWORD),
    ];

    let without_csrf = client
        .post(server.url("/admin/setup"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(without_csrf.status(), 403);

    let mut with_wrong = fields.to_vec();
    with_wrong.push(("csrf_token", "wrong"));
    let wrong_csrf = client
        .post(server.url("/admin/setup"))
        .form(&with_wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_csrf.status(), 403);

    let mut with_right = fields.to_vec();
    with_right.push(("csrf_token", csrf.as_str()));
    let cross_site = client
        .post(server.url("/admin/setup"))
        .header("origin", "https://evil.example")
        .form(&with_right)
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);

    // A fresh client (no session cookie) with a copied token is refused as well.
    let stranger = common::client()
        .post(server.url("/admin/setup"))
        .form(&with_right)
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), 403);

    assert!(user_list(&site).contains("No users yet"));
    // The same form from this site goes through.
    let same_site = client
        .post(server.url("/admin/setup"))
        .header("origin", &server.base)
        .form(&with_right)
        .send()
        .await
        .unwrap();
    assert_eq!(same_site.status(), 303);
}

async fn setup_is_gone_once_a_user_exists(backend: Backend) {
    let site = Site::new(&backend);
    let first = site.start().await;
    let old_link = first.setup_url().unwrap();
    first.stop().await;
    site.create_user("linus@example.org", "Linus", "editor", PASSWORD);

    let server = site.start().await;
    assert_eq!(server.setup_url(), None);
    assert!(
        !server.stdout().iter().any(|line| line.contains("setup")),
        "nothing about setup is printed: {:?}",
        server.stdout()
    );
    let old_link = old_link.replace(&old_link[..old_link.find("/admin").unwrap()], &server.base);
    assert_eq!(client().get(&old_link).send().await.unwrap().status(), 404);
    assert_eq!(
        client()
            .get(server.url("/admin/setup"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

async fn racing_setup_submissions_create_one_admin(backend: Backend) {
    let site = Site::new(&backend);
    let server = site.start().await;
    let setup_url = server.setup_url().unwrap();
    let token = setup_url.split("token=").nth(1).unwrap().to_owned();

    // Two visitors open the link, then submit at the same moment.
    let mut submissions = Vec::new();
    for (email, name) in [
        ("first@example.org", "First"),
        ("second@example.org", "Second"),
    ] {
        let client = client();
        let page = get_page(&client, &setup_url, 200).await;
        let csrf = input_value(&page, "csrf_token").unwrap();
        let form = vec![
            ("csrf_token".to_owned(), csrf),
            ("token".to_owned(), token.clone()),
            ("email".to_owned(), email.to_owned()),
            ("name".to_owned(), name.to_owned()),
            ("password".to_owned(), PASSWORD.to_owned()),
            ("password_confirmation".to_owned(), PASSWORD.to_owned()),
        ];
        submissions.push(client.post(server.url("/admin/setup")).form(&form).send());
    }
    let (a, b) = tokio::join!(submissions.remove(0), submissions.remove(0));
    let mut statuses = [a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
    statuses.sort();

    assert_eq!(statuses[0], 303, "one submission wins: {statuses:?}");
    assert!(
        matches!(statuses[1], 403 | 404),
        "the other is refused: {statuses:?}"
    );
    let list = user_list(&site);
    assert_eq!(list.lines().count(), 2, "exactly one administrator: {list}");
}
