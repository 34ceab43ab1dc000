//! Rows and their synchronous queries, one module per aggregate. Functions take a
//! `&mut DbConnection` and know nothing of HTTP; call them through `db::run`.

pub mod audit;
pub mod editorial;
pub mod media;
pub mod posts;
pub mod public;
pub mod revisions;
pub mod sessions;
pub mod settings;
pub mod tags;
pub mod throttle;
pub mod tokens;
pub mod users;
