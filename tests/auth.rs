//! Logins editors can trust: throttling, sessions, CSRF, redirects back, bad input.

mod common;

use std::time::Duration;

use common::{Backend, Server, Site, client, get_page, input_value, log_in};

on_both_backends!(
    repeated_failures_lock_the_account_with_429,
    a_successful_login_resets_the_account_counter,
    many_failures_from_one_address_lock_it,
    locks_hold_across_restarts,
    disabled_accounts_cannot_log_in,
    login_returns_to_the_page_that_sent_you_but_never_off_site,
    idle_sessions_expire,
    sessions_end_at_their_lifetime,
    a_tampered_cookie_is_no_session,
    state_changes_need_the_csrf_token,
    admin_json_answers_401_when_anonymous,
    oversized_and_malformed_forms_get_4xx_and_change_nothing,
    the_session_cookie_is_secure_behind_https,
);

const EMAIL: &str = "ada@example.org";
const PASSWORD: &str = "analytical engine 1843";

fn site_with_user(backend: &Backend) -> Site {
    let site = Site::new(backend);
    site.create_user(EMAIL, "Ada", "admin", PASSWORD);
    site
}

async fn fail_logins(server: &Server, email: &str, times: usize) {
    let client = client();
    for attempt in 0..times {
        let response = log_in(&client, server, email, "wrong password!!").await;
        assert_eq!(response.status(), 401, "attempt {attempt} for {email}");
    }
}

async fn repeated_failures_lock_the_account_with_429(backend: Backend) {
    let site = site_with_user(&backend);
    let server = site.start().await;
    fail_logins(&server, EMAIL, 5).await;

    // Even the right password is refused while locked, with a clear message.
    let response = log_in(&client(), &server, EMAIL, PASSWORD).await;
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry_after), "{retry_after}");
    let page = response.text().await.unwrap();
    assert!(page.contains("Too many failed logins"), "{page}");
    assert!(page.contains("seconds"), "{page}");

    // Other accounts are unaffected.
    site.create_user("grace@example.org", "Grace", "editor", PASSWORD);
    assert_eq!(
        log_in(&client(), &server, "grace@example.org", PASSWORD)
            .await
            .status(),
        303
    );
}

async fn a_successful_login_resets_the_account_counter(backend: Backend) {
    let site = site_with_user(&backend);
    let server = site.start().await;
    fail_logins(&server, EMAIL, 4).await;
    assert_eq!(
        log_in(&client(), &server, EMAIL, PASSWORD).await.status(),
        303
    );
    fail_logins(&server, EMAIL, 4).await;
    // Eight failures in all, but never five in a row: not locked.
    assert_eq!(
        log_in(&client(), &server, EMAIL, PASSWORD).await.status(),
        303
    );
}

async fn many_failures_from_one_address_lock_it(backend: Backend) {
    let site = site_with_user(&backend);
    let server = site.start().await;
    for n in 0..20 {
        fail_logins(&server, &format!("nobody{n}@example.org"), 1).await;
    }
    let response = log_in(&client(), &server, EMAIL, PASSWORD).await;
    assert_eq!(
        response.status(),
        429,
        "the address is locked, whatever the account"
    );
    assert!(response.headers().contains_key("retry-after"));
}

async fn locks_hold_across_restarts(backend: Backend) {
    let site = site_with_user(&backend);
    let server = site.start().await;
    fail_logins(&server, EMAIL, 5).await;
    server.stop().await;

    let server = site.start().await;
    assert_eq!(
        log_in(&client(), &server, EMAIL, PASSWORD).await.status(),
        429
    );
}

async fn disabled_accounts_cannot_log_in(backend: Backend) {
    let site = site_with_user(&backend);
    site.execute_sql("UPDATE users SET status = 'disabled'");
    let server = site.start().await;
    let response = log_in(&client(), &server, EMAIL, PASSWORD).await;
    assert_eq!(response.status(), 401);
    assert!(response.text().await.unwrap().contains("disabled"));
    // A wrong password for a disabled account says only the generic thing.
    let response = log_in(&client(), &server, EMAIL, "wrong password!!").await;
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("email or password is wrong")
    );
}

async fn login_returns_to_the_page_that_sent_you_but_never_off_site(backend: Backend) {
    let site = site_with_user(&backend);
    let server = site.start().await;
    let client = client();

    let bounce = client
        .get(server.url("/admin?tab=drafts"))
        .send()
        .await
        .unwrap();
    assert_eq!(bounce.status(), 303);
    let login_url = bounce.headers()["location"].to_str().unwrap().to_owned();
    let page = get_page(&client, &server.url(&login_url), 200).await;
    let next = input_value(&page, "next").unwrap();
    assert_eq!(next, "/admin?tab=drafts");
    let csrf = input_value(&page, "csrf_token").unwrap();
    let response = client
        .post(server.url("/admin/login"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", EMAIL),
            ("password", PASSWORD),
            ("next", next.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["location"], "/admin?tab=drafts");

    for evil in [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
    ] {
        let client = common::client();
        let page = get_page(&client, &server.url("/admin/login"), 200).await;
        let csrf = input_value(&page, "csrf_token").unwrap();
        let response = client
            .post(server.url("/admin/login"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("email", EMAIL),
                ("password", PASSWORD),
                ("next", evil),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["location"], "/admin", "{evil}");
    }
}

async fn idle_sessions_expire(backend: Backend) {
    let site = site_with_user(&backend);
    let server = site
        .start_with(&[("FOLIO_SESSION_IDLE_TIMEOUT", "2")])
        .await;
    let client = client();
    assert_eq!(
        log_in(&client, &server, EMAIL, PASSWORD).await.status(),
        303
    );
    // Activity keeps it alive past the idle timeout...
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(1200)).await;
        assert_eq!(
            client
                .get(server.url("/admin"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    // ...silence ends it.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(
        client
            .get(server.url("/admin"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
}

async fn sessions_end_at_their_lifetime(backend: Backend) {
    let site = site_with_user(&backend);
    let server = site.start_with(&[("FOLIO_SESSION_LIFETIME", "3")]).await;
    let client = client();
    assert_eq!(
        log_in(&client, &server, EMAIL, PASSWORD).await.status(),
        303
    );
    for _ in 0..2 {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert_eq!(
            client
                .get(server.url("/admin"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        client
            .get(server.url("/admin"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
}

async fn a_tampered_cookie_is_no_session(backend: Backend) {
    let site = site_with_user(&backend);
    let server = site.start().await;
    let login = log_in(&client(), &server, EMAIL, PASSWORD).await;
    let set_cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    let pair = set_cookie.split(';').next().unwrap();
    let (name, value) = pair.split_once('=').unwrap();

    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let genuine = plain
        .get(server.url("/admin"))
        .header("cookie", pair)
        .send()
        .await
        .unwrap();
    assert_eq!(genuine.status(), 200, "the untampered cookie works");

    let mut bytes = value.as_bytes().to_vec();
    let middle = bytes.len() / 2;
    bytes[middle] = if bytes[middle] == b'A' { b'B' } else { b'A' };
    let tampered = format!("{name}={}", String::from_utf8(bytes).unwrap());
    for cookie in [tampered.as_str(), "folio_session=garbage", "folio_session="] {
        let response = plain
            .get(server.url("/admin"))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "{cookie}");
    }
}

async fn state_changes_need_the_csrf_token(backend: Backend) {
    let site = site_with_user(&backend);
    let server = site.start().await;
    let client = client();
    assert_eq!(
        log_in(&client, &server, EMAIL, PASSWORD).await.status(),
        303
    );
    let dashboard = get_page(&client, &server.url("/admin"), 200).await;
    let csrf = input_value(&dashboard, "csrf_token").unwrap();

    // Without a token, with a wrong one, or from another origin: 403, still logged in.
    let refused = [
        client.post(server.url("/admin/logout")).form(&[("x", "y")]),
        client
            .post(server.url("/admin/logout"))
            .form(&[("csrf_token", "wrong")]),
        client
            .post(server.url("/admin/logout"))
            .header("x-csrf-token", "wrong"),
        client
            .post(server.url("/admin/logout"))
            .header("origin", "https://evil.example")
            .form(&[("csrf_token", csrf.as_str())]),
    ];
    for request in refused {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 403);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("nothing was changed")
        );
        assert_eq!(
            client
                .get(server.url("/admin"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    // The same token in the header (as the admin script sends it) is accepted.
    let response = client
        .post(server.url("/admin/logout"))
        .header("x-csrf-token", &csrf)
        .header("origin", &server.base)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(
        client
            .get(server.url("/admin"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );

    // The login form itself needs the token.
    let response = client
        .post(server.url("/admin/login"))
        .form(&[("email", EMAIL), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

async fn admin_json_answers_401_when_anonymous(backend: Backend) {
    let site = site_with_user(&backend);
    let server = site.start().await;
    let client = client();
    let response = client
        .get(server.url("/api/admin/session"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");

    assert_eq!(
        log_in(&client, &server, EMAIL, PASSWORD).await.status(),
        303
    );
    let body: serde_json::Value = client
        .get(server.url("/api/admin/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["user"]["email"], EMAIL);
    assert!(body["csrf_token"].as_str().unwrap().len() >= 32);
}

async fn oversized_and_malformed_forms_get_4xx_and_change_nothing(backend: Backend) {
    let site = site_with_user(&backend);
    let server = site.start().await;
    let client = client();
    let page = get_page(&client, &server.url("/admin/login"), 200).await;
    let csrf = input_value(&page, "csrf_token").unwrap();

    let huge = "x".repeat(10 * 1024 * 1024);
    let response = client
        .post(server.url("/admin/login"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", EMAIL),
            ("password", huge.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);

    let mut body = format!("csrf_token={csrf}&email=").into_bytes();
    body.extend_from_slice(b"%FF%FE\xff\xfe&password=x");
    let response = client
        .post(server.url("/admin/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_client_error(), "{}", response.status());
    assert_ne!(response.status(), 429);

    // Neither counted as a login failure: five real failures are still needed to lock.
    fail_logins(&server, EMAIL, 4).await;
    assert_eq!(
        log_in(&client, &server, EMAIL, PASSWORD).await.status(),
        303
    );
}

async fn the_session_cookie_is_secure_behind_https(backend: Backend) {
    let site = site_with_user(&backend);
    let plain = site.start().await;
    let cookie = client()
        .get(plain.url("/admin/login"))
        .send()
        .await
        .unwrap()
        .headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        cookie.contains("httponly") && cookie.contains("samesite=lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("secure"),
        "plain http: no Secure flag ({cookie})"
    );
    plain.stop().await;

    let behind_tls = site
        .start_with(&[("FOLIO_BASE_URL", "https://blog.example.org")])
        .await;
    let cookie = client()
        .get(behind_tls.url("/admin/login"))
        .send()
        .await
        .unwrap()
        .headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(cookie.contains("; secure"), "{cookie}");
    assert!(
        cookie.contains("max-age="),
        "persistent up to the session lifetime: {cookie}"
    );
}
