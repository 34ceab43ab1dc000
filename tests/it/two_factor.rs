//! Two-factor sign-in (issue #18): setting it up with a real TOTP code, the login's second
//! step, replayed and wrong codes, recovery codes, throttling, turning it off, a role that
//! requires it, and `folio user reset-2fa`.

use crate::common;

use common::{Backend, Server, Site, client, get_page, input_value, log_in, logged_in, post_form};
use folio::domain::two_factor::{Authenticator, STEP_SECONDS};

on_both_backends!(
    setting_up_and_logging_in_with_a_code_or_a_recovery_code,
    wrong_codes_are_throttled_like_passwords,
    turning_it_off_needs_the_password_and_a_code,
    a_role_can_be_required_to_use_it,
    the_command_line_resets_it_for_a_locked_out_user,
);

const PASSWORD: &str = "correct horse battery staple";
const PAGE: &str = "/admin/profile/two-factor";

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The user's authenticator app, from the key the setup page shows.
fn app_for(setup_page: &str) -> Authenticator {
    let key = setup_page
        .split("<code class=\"secret-key\">")
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .expect("the key on the setup page")
        .replace(' ', "");
    Authenticator::new(&key, "Site", "someone@example.org").unwrap()
}

/// A 6-digit code that is none of the codes valid around now.
fn wrong_code(app: &Authenticator) -> String {
    let now = unix_now();
    let valid: Vec<String> = (0..5)
        .map(|i| app.code_at(now + i * STEP_SECONDS - 2 * STEP_SECONDS))
        .collect();
    (0..)
        .map(|n| format!("{:06}", 123_456 + n))
        .find(|code| !valid.contains(code))
        .unwrap()
}

/// Turns two-factor sign-in on for the logged-in client; returns its app and recovery codes.
async fn turn_on(
    server: &Server,
    user: &reqwest::Client,
    csrf: &str,
) -> (Authenticator, Vec<String>) {
    let setup = get_page(user, &server.url(PAGE), 200).await;
    assert!(setup.contains("<svg role=\"img\""), "a QR code: {setup}");
    let app = app_for(&setup);
    let refused = post_form(user, server, PAGE, csrf, &[("code", &wrong_code(&app))]).await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(page.contains("That code is not right"), "{page}");
    assert_eq!(
        app_for(&page).uri(),
        app.uri(),
        "the same key until confirmed"
    );

    let code = app.code_at(unix_now());
    let on = post_form(user, server, PAGE, csrf, &[("code", &code)]).await;
    assert_eq!(on.status(), 200);
    let page = on.text().await.unwrap();
    let codes: Vec<String> = page
        .split("<li><code>")
        .skip(1)
        .filter_map(|rest| rest.split("</code>").next())
        .map(str::to_owned)
        .collect();
    assert_eq!(codes.len(), 10, "{page}");
    assert!(page.contains("download=\"recovery-codes.txt\""));
    (app, codes)
}

/// The password step: answered with the way to the code step.
async fn password_step(server: &Server, email: &str) -> (reqwest::Client, String) {
    let browser = client();
    let response = log_in(&browser, server, email, PASSWORD).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/admin/login/code");
    let page = get_page(&browser, &server.url("/admin/login/code"), 200).await;
    assert!(page.contains("name=\"code\""));
    let csrf = input_value(&page, "csrf_token").unwrap();
    (browser, csrf)
}

async fn send_code(
    server: &Server,
    browser: &reqwest::Client,
    csrf: &str,
    code: &str,
) -> reqwest::Response {
    post_form(
        browser,
        server,
        "/admin/login/code",
        csrf,
        &[("code", code)],
    )
    .await
}

async fn setting_up_and_logging_in_with_a_code_or_a_recovery_code(backend: Backend) {
    let site = Site::new(&backend);
    site.create_user("ada@example.org", "Ada", "admin", PASSWORD);
    let server = site.start().await;
    let (ada, csrf) = logged_in(&server, "ada@example.org", PASSWORD).await;
    let (app, recovery) = turn_on(&server, &ada, &csrf).await;
    let status = get_page(&ada, &server.url(PAGE), 200).await;
    assert!(
        status.contains("is <strong>on</strong>") && status.contains("10 of 10"),
        "{status}"
    );

    // The password alone is not a session.
    let (browser, csrf) = password_step(&server, "ada@example.org").await;
    let admin = browser.get(server.url("/admin")).send().await.unwrap();
    assert_eq!(admin.status(), 303, "not logged in between the steps");
    let wrong = send_code(&server, &browser, &csrf, &wrong_code(&app)).await;
    assert_eq!(wrong.status(), 401);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("That code is not right")
    );

    // The setup used this step's code: the next step's is accepted (one step of drift).
    let code = app.code_at(unix_now() + STEP_SECONDS);
    let in_ = send_code(&server, &browser, &csrf, &code).await;
    assert_eq!(in_.status(), 303);
    assert_eq!(in_.headers()["location"], "/admin");
    get_page(&browser, &server.url("/admin"), 200).await;

    // The same code again, from another browser with the right password: refused.
    let (thief, csrf) = password_step(&server, "ada@example.org").await;
    let replay = send_code(&server, &thief, &csrf, &code).await;
    assert_eq!(replay.status(), 401);
    assert!(replay.text().await.unwrap().contains("used already"));

    // A recovery code works once, typed in any case and spacing.
    let typed = recovery[3].to_uppercase().replace('-', " ");
    let used = send_code(&server, &thief, &csrf, &typed).await;
    assert_eq!(used.status(), 303);
    let dashboard = get_page(&thief, &server.url("/admin"), 200).await;
    assert!(dashboard.contains("9 remain"), "{dashboard}");
    let (other, csrf) = password_step(&server, "ada@example.org").await;
    let again = send_code(&server, &other, &csrf, &recovery[3]).await;
    assert_eq!(again.status(), 401);

    // No login waiting: the code step sends to the password step.
    let stranger = client();
    let nothing = stranger
        .get(server.url("/admin/login/code"))
        .send()
        .await
        .unwrap();
    assert_eq!(nothing.headers()["location"], "/admin/login");

    let audit = get_page(&ada, &server.url("/admin/audit"), 200).await;
    for action in [
        "two_factor.enabled",
        "login.code_failed",
        "login.password_accepted",
    ] {
        assert!(audit.contains(action), "{action} in the audit log");
    }
}

async fn wrong_codes_are_throttled_like_passwords(backend: Backend) {
    let site = Site::new(&backend);
    site.create_user("ada@example.org", "Ada", "admin", PASSWORD);
    let server = site.start().await;
    let (ada, csrf) = logged_in(&server, "ada@example.org", PASSWORD).await;
    let (app, _) = turn_on(&server, &ada, &csrf).await;
    let (browser, csrf) = password_step(&server, "ada@example.org").await;
    let wrong = wrong_code(&app);
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(
            send_code(&server, &browser, &csrf, &wrong)
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429], "five free tries");
    // Entering the password again doesn't start the count afresh.
    let again = log_in(&client(), &server, "ada@example.org", PASSWORD).await;
    assert_eq!(again.status(), 429);
    assert!(again.headers().contains_key("retry-after"));
    let locked = send_code(&server, &browser, &csrf, &app.code_at(unix_now() + 30)).await;
    assert_eq!(locked.status(), 429, "even a right code waits");
}

async fn turning_it_off_needs_the_password_and_a_code(backend: Backend) {
    let site = Site::new(&backend);
    site.create_user("ada@example.org", "Ada", "editor", PASSWORD);
    let server = site.start().await;
    let (elsewhere, _) = logged_in(&server, "ada@example.org", PASSWORD).await;
    let (ada, csrf) = logged_in(&server, "ada@example.org", PASSWORD).await;
    let (app, _) = turn_on(&server, &ada, &csrf).await;

    let off = "/admin/profile/two-factor/disable";
    let wrong_password = post_form(
        &ada,
        &server,
        off,
        &csrf,
        &[
            ("password", "not my password at all"),
            ("code", &wrong_code(&app)),
        ],
    )
    .await;
    assert_eq!(wrong_password.status(), 422);
    assert!(
        wrong_password
            .text()
            .await
            .unwrap()
            .contains("Your password is not right.")
    );
    let wrong = post_form(
        &ada,
        &server,
        off,
        &csrf,
        &[("password", PASSWORD), ("code", &wrong_code(&app))],
    )
    .await;
    assert_eq!(wrong.status(), 422);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("That code is not right")
    );
    get_page(&elsewhere, &server.url("/admin"), 200).await;

    // The code used to turn it on is spent; the next one works.
    let code = app.code_at(unix_now() + STEP_SECONDS);
    let done = post_form(
        &ada,
        &server,
        off,
        &csrf,
        &[("password", PASSWORD), ("code", &code)],
    )
    .await;
    assert_eq!(done.status(), 303);
    let page = get_page(&ada, &server.url(PAGE), 200).await;
    assert!(page.contains("Two-factor sign-in is off; your other sessions have ended."));
    let ended = elsewhere.get(server.url("/admin")).send().await.unwrap();
    assert_eq!(ended.status(), 303, "the other session ended");
    let plain = log_in(&client(), &server, "ada@example.org", PASSWORD).await;
    assert_eq!(
        plain.headers()["location"],
        "/admin",
        "the password alone again"
    );
}

async fn a_role_can_be_required_to_use_it(backend: Backend) {
    let site = Site::new(&backend);
    site.create_user("ada@example.org", "Ada", "admin", PASSWORD);
    site.create_user("eve@example.org", "Eve", "editor", PASSWORD);
    site.create_user("al@example.org", "Al", "author", PASSWORD);
    let server = site.start().await;
    let (ada, csrf) = logged_in(&server, "ada@example.org", PASSWORD).await;
    let settings = get_page(&ada, &server.url("/admin/settings"), 200).await;
    assert!(settings.contains("name=\"two_factor_editor\""));
    let saved = post_form(
        &ada,
        &server,
        "/admin/settings",
        &csrf,
        &[
            ("title", "Folio"),
            ("description", ""),
            ("accent_colour", "#2354c4"),
            ("posts_per_page", "10"),
            ("time_zone", "UTC"),
            ("feed_content", "full"),
            ("two_factor_editor", "on"),
        ],
    )
    .await;
    assert_eq!(saved.status(), 303);
    let settings = get_page(&ada, &server.url("/admin/settings"), 200).await;
    assert!(settings.contains("name=\"two_factor_editor\" value=\"on\" checked"));
    get_page(&ada, &server.url("/admin"), 200).await;

    // The editor can do nothing but set it up (and log out).
    let eve = client();
    assert_eq!(
        log_in(&eve, &server, "eve@example.org", PASSWORD)
            .await
            .status(),
        303
    );
    for path in ["/admin", "/admin/posts", "/admin/profile"] {
        let sent = eve.get(server.url(path)).send().await.unwrap();
        assert_eq!(sent.status(), 303, "{path}");
        assert_eq!(sent.headers()["location"], PAGE, "{path}");
    }
    let api = eve
        .get(server.url("/api/admin/session"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 403);
    let setup = get_page(&eve, &server.url(PAGE), 200).await;
    assert!(setup.contains("requires two-factor sign-in for your role"));
    let csrf = input_value(&setup, "csrf_token").unwrap();
    turn_on(&server, &eve, &csrf).await;
    get_page(&eve, &server.url("/admin/posts"), 200).await;

    // Authors aren't asked.
    let (al, _) = logged_in(&server, "al@example.org", PASSWORD).await;
    get_page(&al, &server.url("/admin"), 200).await;
}

async fn the_command_line_resets_it_for_a_locked_out_user(backend: Backend) {
    let site = Site::new(&backend);
    site.create_user("ada@example.org", "Ada", "author", PASSWORD);
    let server = site.start().await;
    let (ada, csrf) = logged_in(&server, "ada@example.org", PASSWORD).await;
    turn_on(&server, &ada, &csrf).await;

    let out = site.cli(&["user", "reset-2fa", "--email", "ada@example.org"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("Turned two-factor sign-in off for ada@example.org"),
        "{said}"
    );
    let ended = ada.get(server.url("/admin")).send().await.unwrap();
    assert_eq!(ended.status(), 303, "sessions ended");
    let plain = log_in(&client(), &server, "ada@example.org", PASSWORD).await;
    assert_eq!(plain.headers()["location"], "/admin");

    let again = site.cli(&["user", "reset-2fa", "--email", "ada@example.org"], None);
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing changed"));
    let unknown = site.cli(
        &["user", "reset-2fa", "--email", "nobody@example.org"],
        None,
    );
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("there is no account"));
}
