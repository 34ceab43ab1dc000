//! Tells the integration tests (tests/it) which optional halves they can run, from the
//! environment they were built in: the PostgreSQL half when `FOLIO_TEST_POSTGRES_URL` is
//! set, the browser journeys when `FOLIO_BROWSER_TESTS=1`. A half that can't run is
//! reported as ignored, with the reason, never as passed. Cargo rebuilds when they change.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(folio_test_postgres)");
    println!("cargo::rustc-check-cfg=cfg(folio_browser_tests)");
    println!("cargo::rerun-if-env-changed=FOLIO_TEST_POSTGRES_URL");
    println!("cargo::rerun-if-env-changed=FOLIO_TEST_REQUIRE_POSTGRES");
    println!("cargo::rerun-if-env-changed=FOLIO_BROWSER_TESTS");

    let postgres_url = std::env::var("FOLIO_TEST_POSTGRES_URL").unwrap_or_default();
    if !postgres_url.trim().is_empty() {
        println!("cargo::rustc-cfg=folio_test_postgres");
    } else if std::env::var("FOLIO_TEST_REQUIRE_POSTGRES").as_deref() == Ok("1") {
        // CI: the PostgreSQL half must run, never be skipped.
        panic!("FOLIO_TEST_REQUIRE_POSTGRES=1 but FOLIO_TEST_POSTGRES_URL is not set");
    }
    if std::env::var("FOLIO_BROWSER_TESTS").as_deref() == Ok("1") {
        println!("cargo::rustc-cfg=folio_browser_tests");
    }
}
