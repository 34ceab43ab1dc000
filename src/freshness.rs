//! How a node learns of writes made by *other* processes — another `folio serve` on the same
//! database, or a CLI command (`folio import`, `import-wordpress`, `user`, `seed`) run
//! against a live site — so its page and settings caches can live long.
//!
//! Every write to what the public site shows bumps one counter in the database, inside the
//! writer's own transaction (triggers; see `store::changes`). Each node reads that counter
//! every [`POLL_INTERVAL`] on the blocking pool; when it moved, the node empties its page
//! cache and makes its settings reload. A change committed anywhere therefore shows on
//! every node within about half a second (plus the time to render the page). A write made
//! through this node empties its caches at once ([`after_own_write`]) and records the
//! counter it read after its commit, so the poller doesn't empty them a second time for it.
//!
//! While the counter cannot be read (database unreachable), a node keeps serving, but
//! trusts its caches only [`TRUST_UNCHECKED`] past the last read that worked: after that it
//! empties them at every poll, so pages are rendered (or the database error is shown)
//! rather than served stale. The first read that works again empties them once more.

use std::time::{Duration, Instant};

use actix_web::rt::time::{sleep, timeout};
use actix_web::web;

use crate::db;
use crate::state::AppState;
use crate::store::changes;

/// How often a node reads the change counter: one primary-key read of a one-row table.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// How long the caches are trusted after the last successful read of the counter. With
/// the poll interval this keeps the 2 s bound on another node's change even while reads
/// fail or hang.
pub const TRUST_UNCHECKED: Duration = Duration::from_millis(1500);

/// Starts watching the counter for this node's caches; the task runs until aborted (the
/// server aborts it when it stops) and never panics.
pub fn spawn(state: web::Data<AppState>) -> actix_web::rt::task::JoinHandle<()> {
    actix_web::rt::spawn(watch(state))
}

async fn watch(state: web::Data<AppState>) {
    let mut watcher = Watcher::new();
    loop {
        let read_at = Instant::now();
        let mut read = std::pin::pin!(db::run(&state.pool, |conn| Ok(changes::counter(conn)?)));
        // Waiting for an answer (a pool at its limit, a database that doesn't answer)
        // must not stretch the time the caches are trusted.
        let outcome = loop {
            match timeout(POLL_INTERVAL, read.as_mut()).await {
                Ok(outcome) => break outcome,
                Err(_) => watcher.unconfirmed(&state),
            }
        };
        match outcome {
            Ok(counter) => watcher.read(&state, counter, read_at),
            Err(err) => {
                watcher.failed(&state, &err.detailed());
                watcher.unconfirmed(&state);
            }
        }
        sleep(POLL_INTERVAL).await;
    }
}

/// The counter before the server starts (its caches are empty), so that pages cached
/// before the poller's first read are kept; None if it can't be read (the first poll then
/// empties the caches).
pub fn read_at_start(pool: &db::DbPool) -> Option<(i64, Instant)> {
    let read_at = Instant::now();
    let mut conn = pool.get().ok()?;
    match changes::counter(&mut conn) {
        Ok(counter) => Some((counter, read_at)),
        Err(error) => {
            tracing::warn!(%error, "cannot read the change counter at start");
            None
        }
    }
}

/// After a write made through this node committed: reads the counter, then empties the
/// caches and records that value (the caches now reflect every change it counts).
pub async fn after_own_write(state: &AppState) {
    let read_at = Instant::now();
    let counter = db::run(&state.pool, |conn| Ok(changes::counter(conn)?))
        .await
        .ok();
    state
        .changes
        .emptied_after(counter, read_at, || empty(state));
}

/// What the poller knows besides `AppState::changes`: when the last read that worked
/// began.
struct Watcher {
    confirmed: Instant,
    failing: bool,
}

impl Watcher {
    fn new() -> Self {
        Self {
            confirmed: Instant::now(),
            failing: false,
        }
    }

    /// Before the first read (and after a failed one) nothing is confirmed, so the first
    /// read that works empties the caches whatever it says.
    fn read(&mut self, state: &AppState, counter: i64, read_at: Instant) {
        // What the read saw is as old as when it began.
        self.confirmed = self.confirmed.max(read_at);
        if self.failing {
            self.failing = false;
            tracing::info!("the change counter can be read again; caches are trusted again");
        }
        state.changes.confirm(counter, read_at, || {
            tracing::debug!(
                counter,
                "the site changed (another process): emptying the page and settings caches"
            );
            empty(state);
        });
    }

    fn failed(&mut self, state: &AppState, error: &str) {
        state.changes.forget();
        if self.failing {
            tracing::debug!(%error, "the change counter still cannot be read");
        } else {
            self.failing = true;
            tracing::warn!(
                %error,
                trusted_ms = TRUST_UNCHECKED.as_millis() as u64,
                "cannot read the change counter: other processes' writes go unseen, so cached pages are dropped until it works again"
            );
        }
    }

    /// No read has confirmed the caches for a while: stop serving from them.
    fn unconfirmed(&mut self, state: &AppState) {
        if self.confirmed.elapsed() > TRUST_UNCHECKED {
            state.changes.forget();
            empty(state);
        }
    }
}

fn empty(state: &AppState) {
    state.pages.clear();
    state.settings.forget();
}
