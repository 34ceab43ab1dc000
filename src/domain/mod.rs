//! Validated types and pure rules: no I/O, no HTTP.

pub mod colour;
pub mod email;
pub mod limits;
pub mod password;
pub mod permissions;
pub mod plural;
pub mod post;
pub mod reading;
pub mod revision;
pub mod role;
pub mod search;
pub mod session;
pub mod site;
pub mod slug;
pub mod throttle;
pub mod transition;
pub mod two_factor;

pub use email::Email;
pub use plural::counted;
pub use role::Role;
