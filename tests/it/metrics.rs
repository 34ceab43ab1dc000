//! `GET /metrics`: the Prometheus text format, counters that move by what was asked (route
//! pattern and status, page-cache hits under their own label, latency buckets), the pool,
//! page-cache and build gauges, and who may read it (loopback, or the bearer token; a
//! client forwarded by a trusted proxy is judged by its own address).

use crate::common;

use std::collections::HashMap;

use common::{Backend, Site, client, random_hex};

on_both_backends!(
    counters_move_by_the_requests_made_under_their_route_pattern,
    loopback_or_the_bearer_token_may_scrape_and_nobody_else,
);

/// Sample lines by series (`name{labels}` as printed), after checking every line is in the
/// Prometheus text format: `# HELP`/`# TYPE` lines, or a series and a number.
fn parse(text: &str) -> HashMap<String, f64> {
    let valid_name = |name: &str| {
        !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    };
    let mut samples = HashMap::new();
    let mut typed = HashMap::new();
    assert!(text.ends_with('\n'), "ends with a newline");
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# ") {
            let mut words = rest.splitn(3, ' ');
            let (kind, name) = (words.next().unwrap(), words.next().unwrap_or_default());
            assert!(kind == "HELP" || kind == "TYPE", "{line}");
            assert!(valid_name(name), "{line}");
            if kind == "TYPE" {
                let kind = words.next().unwrap_or_default();
                assert!(
                    ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                    "{line}"
                );
                assert!(
                    typed.insert(name.to_owned(), kind.to_owned()).is_none(),
                    "{line}"
                );
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
        let name = series.split('{').next().unwrap();
        assert!(valid_name(name), "{line}");
        if let Some(labels) = series.strip_prefix(name).filter(|l| !l.is_empty()) {
            assert!(labels.starts_with('{') && labels.ends_with('}'), "{line}");
            for pair in labels[1..labels.len() - 1].split("\",") {
                let (label, quoted) = pair.split_once("=\"").unwrap_or_else(|| panic!("{line}"));
                assert!(valid_name(label) && !label.starts_with("__"), "{line}");
                assert!(!quoted.trim_end_matches('"').contains('"'), "{line}");
            }
        }
        let family = ["_bucket", "_sum", "_count", "_total", "_info"]
            .iter()
            .find_map(|suffix| {
                name.strip_suffix(suffix)
                    .filter(|base| typed.contains_key(*base))
            })
            .unwrap_or(name);
        assert!(
            typed.contains_key(family) || typed.contains_key(name),
            "a sample without a # TYPE before it: {line}"
        );
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("{line}"));
        assert!(samples.insert(series.to_owned(), value).is_none(), "{line}");
    }
    samples
}

fn value(samples: &HashMap<String, f64>, series: &str) -> f64 {
    samples.get(series).copied().unwrap_or(0.0)
}

async fn scrape(client: &reqwest::Client, url: &str) -> HashMap<String, f64> {
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(
        headers["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    assert_eq!(headers["cache-control"], "no-store");
    assert!(
        headers.get("x-cache").is_none(),
        "never from the page cache"
    );
    assert!(headers.get("etag").is_none());
    parse(&response.text().await.unwrap())
}

async fn counters_move_by_the_requests_made_under_their_route_pattern(backend: Backend) {
    let site = Site::new(&backend);
    let server = site.start().await;
    let client = client();
    let metrics = server.url("/metrics");
    let before = scrape(&client, &metrics).await;

    // The home page three times: rendered once, then from the page cache.
    let mut hits = 0.0;
    for _ in 0..3 {
        let response = client
            .get(server.url("/?utm_source=x"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        if response.headers()["x-cache"] == "HIT" {
            hits += 1.0;
        }
    }
    assert_eq!(hits, 2.0, "the second and third come from the page cache");
    for _ in 0..2 {
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
    // A route that matched but found nothing, and paths no route matches: each its own
    // pattern, never the path itself.
    for path in ["/no-such-post", "/a/b/c", "/x/y/z"] {
        assert_eq!(
            client.get(server.url(path)).send().await.unwrap().status(),
            404
        );
    }
    assert_eq!(
        client
            .head(server.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let after = scrape(&client, &metrics).await;
    let moved = |series: &str| value(&after, series) - value(&before, series);
    let requests = |method: &str, route: &str, status: u16| {
        moved(&format!(
            "folio_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
        ))
    };
    assert_eq!(requests("GET", "/", 200), 1.0);
    assert_eq!(requests("GET", "page_cache", 200), 2.0);
    assert_eq!(requests("GET", "/healthz", 200), 2.0);
    assert_eq!(requests("HEAD", "/healthz", 200), 1.0);
    assert_eq!(requests("GET", "/{slug}", 404), 1.0);
    assert_eq!(requests("GET", "unmatched", 404), 2.0);
    assert_eq!(requests("GET", "/metrics", 200), 1.0, "the first scrape");
    for series in after.keys() {
        assert!(
            !series.contains("/a/b/c") && !series.contains("no-such-post"),
            "a raw path became a label: {series}"
        );
    }

    // Latency: every bucket of a route, cumulative, the last one counting all.
    let prefix =
        "folio_http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\",le=\"";
    let mut buckets: Vec<(f64, f64)> = after
        .keys()
        .filter_map(|series| {
            let le = series.strip_prefix(prefix)?.strip_suffix("\"}")?;
            let bound = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().unwrap()
            };
            Some((bound, moved(series)))
        })
        .collect();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    let bounds: Vec<f64> = buckets.iter().map(|(bound, _)| *bound).collect();
    assert_eq!(
        bounds,
        [
            0.000_05,
            0.000_1,
            0.000_25,
            0.000_5,
            0.001,
            0.002_5,
            0.005,
            0.01,
            0.025,
            0.05,
            0.1,
            0.25,
            0.5,
            1.0,
            2.5,
            10.0,
            f64::INFINITY
        ]
    );
    assert!(buckets.windows(2).all(|w| w[0].1 <= w[1].1), "{buckets:?}");
    assert_eq!(buckets.last().map(|(_, n)| *n), Some(2.0), "{buckets:?}");
    assert_eq!(
        moved("folio_http_request_duration_seconds_count{method=\"GET\",route=\"/healthz\"}"),
        2.0
    );
    let sum = moved("folio_http_request_duration_seconds_sum{method=\"GET\",route=\"/healthz\"}");
    assert!(sum > 0.0 && sum < 5.0, "{sum}");

    // The page cache: two hits; four public paths looked up and rendered (the home page
    // once, the three 404s); the home page held.
    assert_eq!(moved("folio_page_cache_hits_total"), 2.0);
    assert_eq!(moved("folio_page_cache_misses_total"), 4.0);
    assert!(value(&after, "folio_page_cache_entries") >= 1.0);
    assert!(value(&after, "folio_page_cache_bytes") > 1_000.0);
    assert_eq!(
        value(&after, "folio_page_cache_max_bytes"),
        24.0 * 1024.0 * 1024.0
    );

    // The pool: the render took connections; its size; nothing timed out.
    assert!(moved("folio_db_pool_checkout_duration_seconds_count") >= 1.0);
    assert_eq!(value(&after, "folio_db_pool_max_connections"), 10.0);
    let open = value(&after, "folio_db_pool_connections{state=\"in_use\"}")
        + value(&after, "folio_db_pool_connections{state=\"idle\"}");
    assert!((1.0..=10.0).contains(&open), "{open}");
    assert_eq!(value(&after, "folio_db_pool_timeouts_total"), 0.0);

    // Build and uptime.
    let backend_name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres(_) => "postgres",
    };
    let build = format!(
        "folio_build_info{{version=\"{}\",backend=\"{backend_name}\"}}",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(value(&after, &build), 1.0, "{build}");
    assert!(value(&after, "folio_uptime_seconds") > 0.0);
    server.stop().await;
}

async fn loopback_or_the_bearer_token_may_scrape_and_nobody_else(backend: Backend) {
    let site = Site::new(&backend);
    let token = random_hex(24);
    let status = |response: reqwest::Response| response.status().as_u16();
    let outside = "203.0.113.9";

    // Behind a trusted proxy, with a token.
    let server = site
        .start_with(&[
            ("FOLIO_TRUST_PROXY", "true"),
            ("FOLIO_METRICS_TOKEN", token.as_str()),
        ])
        .await;
    let client = client();
    let get = |forwarded: Option<&str>, authorization: Option<String>| {
        let mut request = client.get(server.url("/metrics"));
        if let Some(address) = forwarded {
            request = request.header("x-forwarded-for", address);
        }
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        request.send()
    };
    assert_eq!(
        status(get(None, None).await.unwrap()),
        200,
        "the peer is loopback"
    );
    assert_eq!(
        status(get(Some("127.0.0.5"), None).await.unwrap()),
        200,
        "forwarded from loopback"
    );
    let refused = get(Some(outside), None).await.unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(
        refused.headers()["www-authenticate"],
        "Bearer realm=\"metrics\""
    );
    assert!(!refused.text().await.unwrap().contains("folio_"));
    for wrong in [
        format!("Bearer {}", random_hex(24)),
        format!("Bearer {}", &token[..token.len() - 1]),
        format!("Basic {token}"),
        token.clone(),
    ] {
        assert_eq!(status(get(Some(outside), Some(wrong)).await.unwrap()), 401);
    }
    // The forwarded address is what counts, even with a loopback entry further left
    // (written by the client, so it proves nothing).
    assert_eq!(
        status(
            get(Some(&format!("127.0.0.1, {outside}")), None)
                .await
                .unwrap()
        ),
        401
    );
    for right in [format!("Bearer {token}"), format!("bearer {token}")] {
        let allowed = get(Some(outside), Some(right)).await.unwrap();
        assert_eq!(allowed.status(), 200);
        assert!(
            allowed
                .text()
                .await
                .unwrap()
                .contains("folio_uptime_seconds")
        );
    }
    server.stop().await;

    // Without a token, other clients don't learn it exists.
    let server = site.start_with(&[("FOLIO_TRUST_PROXY", "true")]).await;
    for authorization in [None, Some(format!("Bearer {token}"))] {
        let mut request = client
            .get(server.url("/metrics"))
            .header("x-forwarded-for", outside);
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        assert_eq!(status(request.send().await.unwrap()), 404);
    }
    // Loopback is all of 127.0.0.0/8: a client connecting from 127.0.0.2.
    let from_other_loopback = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    assert_eq!(
        status(
            from_other_loopback
                .get(server.url("/metrics"))
                .send()
                .await
                .unwrap()
        ),
        200
    );
    server.stop().await;

    // Without --trust-proxy the header is the client's word: the loopback peer counts.
    let server = site.start().await;
    let request = client
        .get(server.url("/metrics"))
        .header("x-forwarded-for", outside);
    assert_eq!(status(request.send().await.unwrap()), 200);
    server.stop().await;

    // A token too short to be safe is refused at start-up, with the reason.
    let mut command = site.command();
    command
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("FOLIO_METRICS_TOKEN", "short")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let output = command.output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("FOLIO_METRICS_TOKEN"), "{stderr}");
}
