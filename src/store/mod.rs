//! Rows and their synchronous queries, one module per aggregate, and the commands that
//! change them. Functions take a `&mut DbConnection` and know nothing of HTTP; call them
//! through `db::run`. A command (e.g. `invitations::invite`) makes a whole change and
//! writes its audit record in one write transaction, so every entry point (web forms,
//! CLI, API) makes that change the same way.

pub mod accounts;
pub mod audit;
pub mod changes;
pub mod editorial;
pub mod invitations;
pub mod jobs;
pub mod logins;
pub mod media;
pub mod notifications;
pub mod outbox;
pub mod password_resets;
pub mod posts;
pub mod profile;
pub mod public;
pub mod revisions;
pub mod sessions;
pub mod settings;
pub mod setup;
pub mod tags;
pub mod throttle;
pub mod tokens;
pub mod two_factor;
pub mod users;
