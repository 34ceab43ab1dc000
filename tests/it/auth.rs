//! Logins editors can trust: throttling, sessions, CSRF, redirects back, bad input.

use crate::common;

use std::time::Duration;

use common::{
    Backend, Server, Site, client, form_of, get_page, input_value, log_in, logged_in, png,
};

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
    a_deleted_users_cookie_never_becomes_the_next_users_session,
    resetting_id_sequences_after_an_import_never_reuses_an_id,
    a_cookie_copied_before_logout_is_dead_after_it,
    concurrent_logins_cannot_outrun_the_throttle,
    accounts_without_a_password_take_as_long_to_refuse,
    tokens_never_reach_the_log,
    behind_a_proxy_the_address_is_the_one_the_proxy_saw,
    forwarded_host_headers_count_only_behind_a_trusted_proxy,
    the_csrf_token_rides_in_the_query_only_for_multipart,
    an_anonymous_logout_leaves_the_page_cache_alone,
    a_wrong_password_focuses_the_password_field,
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

async fn a_wrong_password_focuses_the_password_field(backend: Backend) {
    let site = site_with_user(&backend);
    let server = site.start().await;
    let fresh = get_page(&client(), &server.url("/admin/login"), 200).await;
    assert!(!fresh.contains("autofocus"), "{fresh}");

    let response = log_in(&client(), &server, EMAIL, "wrong password!!").await;
    assert_eq!(response.status(), 401);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("id=\"login-error\" role=\"alert\"")
            && page.contains(
                "autocomplete=\"current-password\" required autofocus aria-describedby=\"login-error\">"
            ),
        "{page}"
    );
    assert_eq!(input_value(&page, "email").as_deref(), Some(EMAIL));
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

/// Time passes on the server's clock (`Site::test_clock`), by steps far larger than a
/// request takes, so a slow machine can't tip a step over the boundary.
async fn idle_sessions_expire(backend: Backend) {
    let site = site_with_user(&backend);
    let clock = site.test_clock();
    let server = site
        .start_with(&[("FOLIO_SESSION_IDLE_TIMEOUT", "200"), clock.env()])
        .await;
    let client = client();
    assert_eq!(
        log_in(&client, &server, EMAIL, PASSWORD).await.status(),
        303
    );
    // Activity keeps it alive past the idle timeout...
    for _ in 0..3 {
        clock.advance(Duration::from_secs(120));
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
    clock.advance(Duration::from_secs(310));
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
    let clock = site.test_clock();
    let server = site
        .start_with(&[("FOLIO_SESSION_LIFETIME", "300"), clock.env()])
        .await;
    let client = client();
    assert_eq!(
        log_in(&client, &server, EMAIL, PASSWORD).await.status(),
        303
    );
    for _ in 0..2 {
        clock.advance(Duration::from_secs(100));
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
    clock.advance(Duration::from_secs(210));
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

/// The `name=value` of the session cookie a response sets.
fn session_cookie(response: &reqwest::Response) -> String {
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
    set_cookie.split(';').next().unwrap().to_owned()
}

/// Status of `path` for a client that sends exactly `cookie` and keeps nothing.
async fn status_with_cookie(server: &Server, path: &str, cookie: &str) -> u16 {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(server.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn a_deleted_users_cookie_never_becomes_the_next_users_session(backend: Backend) {
    let site = site_with_user(&backend);
    site.create_user("carl@example.org", "Carl", "contributor", PASSWORD);
    let carl_id = site.user_id("carl@example.org");
    let server = site.start().await;
    let login = log_in(&client(), &server, "carl@example.org", PASSWORD).await;
    assert_eq!(login.status(), 303);
    let carls_cookie = session_cookie(&login);
    assert_eq!(
        status_with_cookie(&server, "/admin", &carls_cookie).await,
        200
    );

    let (admin, csrf) = logged_in(&server, EMAIL, PASSWORD).await;
    let deleted = common::post_form(
        &admin,
        &server,
        &format!("/admin/users/{carl_id}/delete"),
        &csrf,
        &[("heir", "")],
    )
    .await;
    assert_eq!(deleted.status(), 303);
    site.create_user("eve@example.org", "Eve", "admin", PASSWORD);

    assert_ne!(
        site.user_id("eve@example.org"),
        carl_id,
        "a deleted user's id is never handed out again"
    );
    for path in ["/api/admin/session", "/admin/settings", "/admin"] {
        let status = status_with_cookie(&server, path, &carls_cookie).await;
        assert!(
            status == 401 || status == 303,
            "{path} answered {status} to a deleted user's cookie"
        );
    }
}

async fn a_cookie_copied_before_logout_is_dead_after_it(backend: Backend) {
    let site = site_with_user(&backend);
    let server = site.start().await;
    let client = client();
    let login = log_in(&client, &server, EMAIL, PASSWORD).await;
    let copy = session_cookie(&login);
    assert_eq!(status_with_cookie(&server, "/admin", &copy).await, 200);
    let dashboard = get_page(&client, &server.url("/admin"), 200).await;
    let csrf = input_value(&dashboard, "csrf_token").unwrap();
    let logout = common::post_form(&client, &server, "/admin/logout", &csrf, &[]).await;
    assert_eq!(logout.status(), 303);

    assert_eq!(status_with_cookie(&server, "/admin", &copy).await, 303);
    assert_eq!(
        status_with_cookie(&server, "/api/admin/session", &copy).await,
        401
    );
}

/// 40 logins at once for one account, one of them with the right password: no more
/// get past the throttle than the free tries; then 40 at once for 40 unknown accounts
/// from one address: no more than the address's free tries.
async fn concurrent_logins_cannot_outrun_the_throttle(backend: Backend) {
    use folio::domain::throttle::{PER_ACCOUNT, PER_ADDRESS};
    let site = site_with_user(&backend);
    let server = site.start().await;

    async fn burst(server: &Server, attempts: Vec<(String, &'static str)>) -> Vec<u16> {
        let mut prepared = Vec::new();
        for (email, password) in attempts {
            let client = client();
            let page = get_page(&client, &server.url("/admin/login"), 200).await;
            let csrf = input_value(&page, "csrf_token").unwrap();
            prepared.push((client, csrf, email, password));
        }
        let url = server.url("/admin/login");
        let requests = prepared.into_iter().map(|(client, csrf, email, password)| {
            let url = url.clone();
            tokio::spawn(async move {
                client
                    .post(url)
                    .form(&[
                        ("csrf_token", csrf.as_str()),
                        ("email", email.as_str()),
                        ("password", password),
                    ])
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        });
        let mut statuses = Vec::new();
        for request in requests.collect::<Vec<_>>() {
            statuses.push(request.await.unwrap());
        }
        statuses
    }

    let mut attempts: Vec<(String, &'static str)> = (0..39)
        .map(|_| (EMAIL.to_owned(), "wrong password!!"))
        .collect();
    attempts.insert(20, (EMAIL.to_owned(), PASSWORD));
    let statuses = burst(&server, attempts).await;
    let let_through = statuses.iter().filter(|s| **s != 429).count();
    assert!(
        let_through <= PER_ACCOUNT.free_failures as usize,
        "{let_through} of 40 concurrent logins got past the account throttle: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [303, 401, 429].contains(s)),
        "{statuses:?}"
    );

    let spray = (0..40)
        .map(|n| (format!("nobody{n}@example.org"), "wrong password!!"))
        .collect();
    let statuses = burst(&server, spray).await;
    let let_through = statuses.iter().filter(|s| **s != 429).count();
    assert!(
        let_through <= PER_ADDRESS.free_failures as usize,
        "{let_through} of 40 concurrent logins got past the address throttle: {statuses:?}"
    );
}

/// A refused login costs the same bcrypt work whether the account has a password, has
/// none (imported authors), or doesn't exist: otherwise the time tells which.
async fn accounts_without_a_password_take_as_long_to_refuse(backend: Backend) {
    let site = site_with_user(&backend);
    site.create_user("imported@example.org", "Imported", "author", PASSWORD);
    site.execute_sql("UPDATE users SET password_hash = NULL WHERE email = 'imported@example.org'");
    let server = site.start().await;

    async fn median_ms(server: &Server, email: &str) -> f64 {
        let mut times = Vec::new();
        for _ in 0..3 {
            let client = client();
            let page = get_page(&client, &server.url("/admin/login"), 200).await;
            let csrf = input_value(&page, "csrf_token").unwrap();
            let started = std::time::Instant::now();
            let response = client
                .post(server.url("/admin/login"))
                .form(&[
                    ("csrf_token", csrf.as_str()),
                    ("email", email),
                    ("password", "wrong password!!"),
                ])
                .send()
                .await
                .unwrap();
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(response.status(), 401);
        }
        times.sort_by(f64::total_cmp);
        times[1]
    }
    let with_password = median_ms(&server, EMAIL).await;
    let without = median_ms(&server, "imported@example.org").await;
    // bcrypt at cost 12 takes hundreds of milliseconds; skipping it, a millisecond or two.
    // A coarse bound, robust on a busy machine.
    assert!(
        without > with_password / 4.0,
        "no password: {without:.1} ms, a password: {with_password:.1} ms"
    );
}

/// Setup, invitation, reset and preview tokens and CSRF tokens in URLs never reach the
/// log; a marker shows where they were.
async fn tokens_never_reach_the_log(backend: Backend) {
    let site = Site::new(&backend);
    let server = site.start().await;
    let setup_url = server.setup_url().expect("a setup link");
    let setup_token = setup_url.split("token=").nth(1).unwrap().to_owned();
    get_page(&client(), &setup_url, 200).await;
    server.stop().await;

    site.create_user(EMAIL, "Ada", "admin", PASSWORD);
    let server = site.start().await;
    let (admin, csrf) = logged_in(&server, EMAIL, PASSWORD).await;
    let secret = "s3cr3t-t0ken-value-that-must-not-be-logged";
    for path in [
        format!("/admin/invite?token={secret}"),
        format!("/admin/reset?token={secret}&x=1"),
        format!("/preview/{secret}"),
    ] {
        let status = admin.get(server.url(&path)).send().await.unwrap().status();
        assert!(status.is_client_error(), "{path}: {status}");
    }
    let upload = admin
        .post(server.url(&format!("/admin/media?csrf_token={csrf}")))
        .multipart(form_of(&[("a.png", &png(4, 4))]))
        .send()
        .await
        .unwrap();
    assert!(upload.status().as_u16() < 400, "{}", upload.status());

    // The log is written by another process: give it a moment.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = server.log();
    assert!(log.contains("/admin/media"), "the upload was logged: {log}");
    for secret in [setup_token.as_str(), secret, csrf.as_str()] {
        assert!(!log.contains(secret), "{secret} is in the log:\n{log}");
    }
    assert!(log.contains("[redacted]"), "{log}");
}

/// The address the nearest proxy saw is the rightmost `X-Forwarded-For` entry (a client
/// can put anything on the left); with `--trust-proxy=2`, the second from the right.
async fn behind_a_proxy_the_address_is_the_one_the_proxy_saw(backend: Backend) {
    use diesel::prelude::*;
    use folio::db::schema::audit_log;
    let site = site_with_user(&backend);
    let last_failure_address = || -> Option<String> {
        audit_log::table
            .filter(audit_log::action.eq("login.failed"))
            .order(audit_log::id.desc())
            .select(audit_log::ip_address)
            .first(&mut site.connect())
            .unwrap()
    };
    async fn fail_through_proxy(server: &Server, forwarded_for: &str) {
        let client = client();
        let page = get_page(&client, &server.url("/admin/login"), 200).await;
        let csrf = input_value(&page, "csrf_token").unwrap();
        let response = client
            .post(server.url("/admin/login"))
            .header("x-forwarded-for", forwarded_for)
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("email", EMAIL),
                ("password", "wrong password!!"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
    }

    let server = site.start().await;
    fail_through_proxy(&server, "198.51.100.7").await;
    assert_eq!(
        last_failure_address().as_deref(),
        Some("127.0.0.1"),
        "no proxy trusted"
    );
    server.stop().await;

    let server = site.start_with(&[("FOLIO_TRUST_PROXY", "true")]).await;
    fail_through_proxy(&server, "6.6.6.6, 203.0.113.9").await;
    assert_eq!(last_failure_address().as_deref(), Some("203.0.113.9"));
    server.stop().await;

    let server = site.start_with(&[("FOLIO_TRUST_PROXY", "2")]).await;
    fail_through_proxy(&server, "6.6.6.6, 198.51.100.7, 10.0.0.2").await;
    assert_eq!(last_failure_address().as_deref(), Some("198.51.100.7"));
}

async fn forwarded_host_headers_count_only_behind_a_trusted_proxy(backend: Backend) {
    let site = site_with_user(&backend);
    let server = site.start().await;
    let (client, csrf) = logged_in(&server, EMAIL, PASSWORD).await;
    for (name, value) in [
        ("x-forwarded-host", "evil.example"),
        ("forwarded", "host=evil.example"),
    ] {
        let response = client
            .post(server.url("/admin/logout"))
            .header("origin", "https://evil.example")
            .header(name, value)
            .form(&[("csrf_token", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{name}: {value}");
    }
    assert_eq!(
        client
            .get(server.url("/admin"))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "still logged in"
    );
    server.stop().await;

    // Behind a trusted proxy the public host is the forwarded one.
    let server = site.start_with(&[("FOLIO_TRUST_PROXY", "true")]).await;
    let (client, csrf) = logged_in(&server, EMAIL, PASSWORD).await;
    let response = client
        .post(server.url("/admin/logout"))
        .header("origin", "https://blog.example.org")
        .header("x-forwarded-host", "blog.example.org")
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
}

async fn the_csrf_token_rides_in_the_query_only_for_multipart(backend: Backend) {
    let site = site_with_user(&backend);
    let server = site.start().await;
    let (client, csrf) = logged_in(&server, EMAIL, PASSWORD).await;
    for content_type in ["text/plain", "application/json"] {
        let response = client
            .post(server.url(&format!("/admin/logout?csrf_token={csrf}")))
            .header("content-type", content_type)
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{content_type}");
    }
    let response = client
        .post(server.url(&format!("/admin/logout?csrf_token={csrf}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403, "no body at all");
    assert_eq!(
        client
            .get(server.url("/admin"))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "still logged in"
    );
    // Multipart uploads still carry it in the query.
    let response = client
        .post(server.url(&format!("/admin/media?csrf_token={csrf}")))
        .multipart(form_of(&[("a.png", &png(4, 4))]))
        .send()
        .await
        .unwrap();
    assert!(response.status().as_u16() < 400, "{}", response.status());
}

/// Counts the log lines of pages answered from the page cache.
fn cache_hits(server: &Server) -> usize {
    server
        .log()
        .lines()
        .filter(|line| line.contains("cached=true") || line.contains("\"cached\":true"))
        .count()
}

async fn an_anonymous_logout_leaves_the_page_cache_alone(backend: Backend) {
    let site = site_with_user(&backend);
    let server = site.start().await;
    let reader = client();
    get_page(&reader, &server.url("/"), 200).await;
    get_page(&reader, &server.url("/"), 200).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let hits = cache_hits(&server);
    assert!(hits >= 1, "the second request came from the cache");

    // Anyone can get a CSRF token for an anonymous session from the login form.
    let stranger = client();
    let page = get_page(&stranger, &server.url("/admin/login"), 200).await;
    let csrf = input_value(&page, "csrf_token").unwrap();
    // (Logging out last: it ends the anonymous session and its token with it.)
    for path in ["/admin/posts/1/delete", "/admin/settings", "/admin/logout"] {
        let response = common::post_form(&stranger, &server, path, &csrf, &[]).await;
        assert_eq!(response.status(), 303, "{path}");
    }

    get_page(&reader, &server.url("/"), 200).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        cache_hits(&server),
        hits + 1,
        "the page still came from the cache"
    );
}

/// After an import PostgreSQL's sequences are moved past the largest id; they must not move
/// back below an id that was handed out and deleted since.
async fn resetting_id_sequences_after_an_import_never_reuses_an_id(backend: Backend) {
    let site = site_with_user(&backend);
    site.create_user("carl@example.org", "Carl", "contributor", PASSWORD);
    let carl_id = site.user_id("carl@example.org");
    site.execute_sql("DELETE FROM users WHERE email = 'carl@example.org'");
    folio::db::dialect::reset_id_sequences(&mut site.connect()).unwrap();
    site.create_user("eve@example.org", "Eve", "admin", PASSWORD);
    assert!(site.user_id("eve@example.org") > carl_id);
}
