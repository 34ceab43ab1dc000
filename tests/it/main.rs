//! Folio's integration tests: one test binary (linking the crate once, not once per suite),
//! one module per suite. Each test runs the real `folio` binary over HTTP; most run on both
//! backends as `suite::behaviour::sqlite` and `suite::behaviour::postgres` (see
//! `on_both_backends!` in `common`).

#[macro_use]
mod common;

mod access;
mod access_table;
mod auth;
mod backup;
mod browser;
mod browser_editor;
mod browser_phone;
mod browser_settings;
mod cli;
mod cluster;
mod export;
mod exposure;
mod feeds;
mod freshness;
mod jobs;
mod limits;
mod mail;
mod media;
mod metrics;
mod outage;
mod page_cache;
mod posts;
mod proxy;
mod server;
mod settings;
mod setup;
mod site;
mod two_factor;
mod users;
mod wordpress;
