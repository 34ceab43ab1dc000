//! Folio: a self-hosted, server-rendered CMS. The library builds the whole application;
//! `main.rs` only parses the command line and dispatches.

pub mod assets;
pub mod auth;
pub mod backup;
pub mod cache;
pub mod cli;
pub mod clock;
pub mod compression;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod export;
pub mod feeds;
pub mod freshness;
pub mod media;
pub mod middleware;
pub mod render;
pub mod routes;
pub mod secrets;
pub mod seed;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod views;
pub mod wordpress;
