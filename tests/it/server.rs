//! The web skeleton: health checks, error pages, headers, static files, restarts and
//! graceful shutdown — on SQLite and on PostgreSQL.

use crate::common;

use common::{Backend, Site, client, get_page};

on_both_backends!(
    healthz_and_readyz_answer_ok,
    readyz_is_503_when_the_database_is_unreachable,
    unknown_page_gets_a_styled_404,
    unknown_api_route_gets_a_json_404,
    internal_errors_show_a_request_id_and_no_internals,
    responses_carry_security_headers_and_a_request_id,
    admin_pages_send_anonymous_visitors_to_login,
    static_files_are_fingerprinted_and_revalidated,
    sigterm_shuts_down_gracefully,
    json_logs_carry_the_request_id,
    restarting_on_the_same_data_keeps_it,
);

async fn healthz_and_readyz_answer_ok(backend: Backend) {
    let site = Site::new(&backend);
    let server = site.start().await;
    let client = client();

    let health = client.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = client.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
}

async fn readyz_is_503_when_the_database_is_unreachable(backend: Backend) {
    let site = Site::new(&backend);
    let server = site.start().await;
    let client = client();
    assert_eq!(
        client
            .get(server.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    site.make_database_unreachable();

    let ready = client.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    // The process itself is still up.
    assert_eq!(
        client
            .get(server.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

async fn unknown_page_gets_a_styled_404(backend: Backend) {
    let site = Site::new(&backend);
    let server = site.start().await;
    let response = client()
        .get(server.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "404 page is HTML"
    );
    let body = response.text().await.unwrap();
    assert!(body.contains("<h1>Page not found</h1>"), "{body}");
    assert!(
        body.contains("/static/folio.css?v="),
        "the page uses the stylesheet"
    );
}

async fn unknown_api_route_gets_a_json_404(backend: Backend) {
    let site = Site::new(&backend);
    let server = site.start().await;
    let response = client()
        .get(server.url("/api/v1/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("does not exist")
    );
}

async fn internal_errors_show_a_request_id_and_no_internals(backend: Backend) {
    let site = Site::new(&backend);
    site.create_user("ada@example.org", "Ada", "admin", "analytical engine 1843");
    let server = site.start().await;
    let client = client();
    let login_page = get_page(&client, &server.url("/admin/login"), 200).await;
    let csrf = common::input_value(&login_page, "csrf_token").unwrap();

    // Break the database under the running server: the next query that needs users fails.
    site.execute_sql("ALTER TABLE users RENAME TO users_gone");
    let response = client
        .post(server.url("/admin/login"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", "ada@example.org"),
            ("password", "analytical engine 1843"),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 500);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let page = response.text().await.unwrap();
    assert!(page.contains("Something went wrong"), "{page}");
    assert!(
        page.contains(&request_id),
        "the page quotes the request id: {page}"
    );
    for internal in ["users", "table", "relation", "diesel", "sqlite", "postgres"] {
        assert!(
            !page.to_lowercase().contains(internal),
            "page leaks {internal:?}: {page}"
        );
    }
    let log = server.log();
    let failure = log
        .lines()
        .find(|line| line.contains("request failed"))
        .unwrap_or_else(|| panic!("no failure logged: {log}"));
    assert!(
        failure.contains(&request_id),
        "the log line carries the id: {failure}"
    );
    assert!(
        failure.contains("database error"),
        "and the cause: {failure}"
    );
}

async fn responses_carry_security_headers_and_a_request_id(backend: Backend) {
    let site = Site::new(&backend);
    let server = site.start().await;
    let client = client();

    let home = client.get(server.url("/")).send().await.unwrap();
    assert_eq!(home.status(), 200);
    let headers = home.headers();
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers.contains_key("referrer-policy"));
    let first_id = headers["x-request-id"].to_str().unwrap().to_owned();
    assert!(first_id.len() >= 16, "{first_id}");

    let login = client.get(server.url("/admin/login")).send().await.unwrap();
    let csp = login.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'"),
        "admin pages can't be framed: {csp}"
    );
    assert_ne!(
        login.headers()["x-request-id"].to_str().unwrap(),
        first_id,
        "ids differ per request"
    );

    // Error pages get the headers too.
    let missing = client.get(server.url("/missing")).send().await.unwrap();
    assert!(missing.headers().contains_key("content-security-policy"));
    assert!(missing.headers().contains_key("x-request-id"));
}

async fn admin_pages_send_anonymous_visitors_to_login(backend: Backend) {
    let site = Site::new(&backend);
    let server = site.start().await;
    let response = client().get(server.url("/admin")).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/admin/login?next=%2Fadmin");
}

async fn static_files_are_fingerprinted_and_revalidated(backend: Backend) {
    let site = Site::new(&backend);
    let server = site.start().await;
    let client = client();
    let home = get_page(&client, &server.url("/"), 200).await;
    let start = home.find("/static/folio.css?v=").expect("stylesheet link");
    let href = &home[start..start + home[start..].find('"').unwrap()];

    let css = client.get(server.url(href)).send().await.unwrap();
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(
        css.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let etag = css.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"'), "strong ETag: {etag}");

    let again = client
        .get(server.url("/static/folio.css"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());

    let stale = client
        .get(server.url("/static/folio.css?v=0000000000000000"))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 200);
    assert!(
        !stale.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );

    let missing = client
        .get(server.url("/static/../Cargo.toml"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

async fn sigterm_shuts_down_gracefully(backend: Backend) {
    let site = Site::new(&backend);
    let server = site.start().await;
    assert_eq!(
        client()
            .get(server.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let log_path = server.log_path().to_owned();

    let status = server.stop().await;

    assert!(status.success(), "exit status {status:?}");
    let log = std::fs::read_to_string(log_path).unwrap();
    assert!(log.contains("database pool closed"), "{log}");
}

async fn restarting_on_the_same_data_keeps_it(backend: Backend) {
    let site = Site::new(&backend);
    let first = site.start().await;
    assert!(
        first.setup_url().is_some(),
        "fresh site prints a setup link"
    );
    first.stop().await;

    site.create_user(
        "ada@example.org",
        "Ada Lovelace",
        "admin",
        "analytical engine 1843",
    );
    let second = site.start().await;
    assert_eq!(second.setup_url(), None, "no setup link once a user exists");
    let client = client();
    let login = common::log_in(
        &client,
        &second,
        "ada@example.org",
        "analytical engine 1843",
    )
    .await;
    assert_eq!(login.status(), 303);
    second.stop().await;

    let third = site.start().await;
    let fresh = common::client();
    let login = common::log_in(&fresh, &third, "ada@example.org", "analytical engine 1843").await;
    assert_eq!(login.status(), 303, "the account survived two restarts");
}

async fn json_logs_carry_the_request_id(backend: Backend) {
    let site = Site::new(&backend);
    let server = site.start_with(&[("FOLIO_LOG_FORMAT", "json")]).await;
    let response = client().get(server.url("/healthz")).send().await.unwrap();
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();

    let log_path = server.log_path().to_owned();
    server.stop().await;
    let log = std::fs::read_to_string(log_path).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let request_line = lines
        .iter()
        .find(|line| line["message"] == "request" && line["path"] == "/healthz")
        .unwrap_or_else(|| panic!("no request line in {log}"));
    assert_eq!(request_line["status"], 200);
    assert_eq!(
        request_line["span"]["request_id"],
        request_id.as_str(),
        "{request_line}"
    );
}
