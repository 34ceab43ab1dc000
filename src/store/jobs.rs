//! Durable jobs: work that outlives a request, kept in the `jobs` table so that any node can
//! run it, any node can show its progress, and a restart loses nothing.
//!
//! A job is `queued` until a node claims it (`running`, `claimed_by` that node, `attempts`
//! counted). While it runs, its node refreshes `heartbeat_at`; a running job whose heartbeat
//! is older than the lease belongs to a node that crashed: [`recover_expired`] queues it
//! again while attempts remain, else marks it `interrupted`. A claim is the triple (id,
//! node, attempt): every write a runner makes about its job is conditional on it, so a node
//! that lost its claim (its job was handed back or recovered) changes nothing.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::jobs;
use crate::db::{self, DbConnection, dialect};

pub const QUEUED: &str = "queued";
pub const RUNNING: &str = "running";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";
pub const INTERRUPTED: &str = "interrupted";

/// The states, in the order a page lists them.
pub const STATES: [&str; 5] = [QUEUED, RUNNING, DONE, FAILED, INTERRUPTED];

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = jobs)]
pub struct Job {
    pub id: i32,
    pub kind: String,
    pub state: String,
    pub payload: String,
    pub progress_phase: String,
    pub progress_done: i64,
    pub progress_total: i64,
    pub result: Option<String>,
    pub error: Option<String>,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_after: NaiveDateTime,
    pub claimed_by: Option<String>,
    pub heartbeat_at: Option<NaiveDateTime>,
    pub created_by: Option<i32>,
    pub created_at: NaiveDateTime,
    pub started_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

/// Who holds a running job: the node and the attempt it claimed.
#[derive(Debug, Clone)]
pub struct Claim {
    pub id: i32,
    pub node: String,
    pub attempt: i32,
}

impl Job {
    pub fn claim(&self) -> Option<Claim> {
        (self.state == RUNNING).then(|| Claim {
            id: self.id,
            node: self.claimed_by.clone().unwrap_or_default(),
            attempt: self.attempts,
        })
    }

    pub fn is_pending(&self) -> bool {
        self.state == QUEUED || self.state == RUNNING
    }
}

/// Jobs keep real time (leases compare heartbeats across nodes), not the test clock.
pub fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// Adds a job to the queue, due now. Returns its id.
pub fn enqueue(
    conn: &mut DbConnection,
    kind: &str,
    payload: &str,
    created_by: Option<i32>,
    max_attempts: i32,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    diesel::insert_into(jobs::table)
        .values((
            jobs::kind.eq(kind),
            jobs::state.eq(QUEUED),
            jobs::payload.eq(payload),
            jobs::progress_phase.eq("Waiting to start"),
            jobs::progress_done.eq(0i64),
            jobs::progress_total.eq(0i64),
            jobs::attempts.eq(0),
            jobs::max_attempts.eq(max_attempts.max(1)),
            jobs::run_after.eq(now),
            jobs::created_by.eq(created_by),
            jobs::created_at.eq(now),
            jobs::updated_at.eq(now),
        ))
        .returning(jobs::id)
        .get_result(conn)
}

/// Claims the oldest due job for `node`: it becomes `running` with one more attempt.
/// Two nodes claiming at once never get the same job (see `dialect::next_queued_job`).
pub fn claim(conn: &mut DbConnection, node: &str, now: NaiveDateTime) -> QueryResult<Option<Job>> {
    // A read first, so idle nodes polling don't take SQLite's write lock every time.
    let due: i64 = jobs::table
        .filter(jobs::state.eq(QUEUED))
        .filter(jobs::run_after.le(now))
        .count()
        .get_result(conn)?;
    if due == 0 {
        return Ok(None);
    }
    db::write_transaction(conn, |conn| {
        let Some(id) = dialect::next_queued_job(conn, now)? else {
            return Ok(None);
        };
        diesel::update(jobs::table.find(id))
            .set((
                jobs::state.eq(RUNNING),
                jobs::claimed_by.eq(node),
                jobs::attempts.eq(jobs::attempts + 1),
                jobs::heartbeat_at.eq(now),
                jobs::started_at.eq(now),
                jobs::progress_phase.eq("Starting"),
                jobs::progress_done.eq(0i64),
                jobs::progress_total.eq(0i64),
                jobs::updated_at.eq(now),
            ))
            .execute(conn)?;
        jobs::table
            .find(id)
            .select(Job::as_select())
            .first(conn)
            .optional()
    })
}

/// The rows of `claim`'s job, while the claim still holds.
macro_rules! claimed {
    ($claim:expr) => {
        jobs::table
            .filter(jobs::id.eq($claim.id))
            .filter(jobs::state.eq(RUNNING))
            .filter(jobs::claimed_by.eq(&$claim.node))
            .filter(jobs::attempts.eq($claim.attempt))
    };
}

/// Refreshes the heartbeat and records progress. `false`: the claim was lost.
pub fn heartbeat(
    conn: &mut DbConnection,
    claim: &Claim,
    phase: &str,
    done: i64,
    total: i64,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(claimed!(claim))
        .set((
            jobs::heartbeat_at.eq(now),
            jobs::progress_phase.eq(phase),
            jobs::progress_done.eq(done),
            jobs::progress_total.eq(total),
            jobs::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Marks the job done with its result (JSON). Meant to run inside the transaction of the
/// job's own writes, so they and "done" commit together. `false`: the claim was lost (the
/// caller must roll back).
pub fn finish(
    conn: &mut DbConnection,
    claim: &Claim,
    result: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(claimed!(claim))
        .set((
            jobs::state.eq(DONE),
            jobs::result.eq(result),
            jobs::error.eq(None::<String>),
            jobs::progress_phase.eq("Done"),
            jobs::heartbeat_at.eq(None::<NaiveDateTime>),
            jobs::finished_at.eq(now),
            jobs::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// How long before attempt `attempts + 1` after a failure: 5 s, 10 s, 20 s … at most 5 min.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 6)).unwrap_or(6);
    Duration::seconds((5i64 << exponent).min(300))
}

/// Records a failure. With `retry` and attempts left, the job is queued again after
/// `wait` (normally [`backoff`]); otherwise it is `failed` for good. Returns the new state,
/// or `None` if the claim was lost.
pub fn fail(
    conn: &mut DbConnection,
    claim: &Claim,
    error: &str,
    retry: bool,
    wait: Duration,
    now: NaiveDateTime,
) -> QueryResult<Option<&'static str>> {
    db::write_transaction(conn, |conn| {
        let Some(max) = claimed!(claim)
            .select(jobs::max_attempts)
            .first::<i32>(conn)
            .optional()?
        else {
            return Ok(None);
        };
        let again = retry && claim.attempt < max;
        let state = if again { QUEUED } else { FAILED };
        diesel::update(claimed!(claim))
            .set((
                jobs::state.eq(state),
                jobs::error.eq(error),
                jobs::claimed_by.eq(None::<String>),
                jobs::heartbeat_at.eq(None::<NaiveDateTime>),
                jobs::run_after.eq(now + wait),
                jobs::progress_phase.eq(if again {
                    "Waiting to try again"
                } else {
                    "Failed"
                }),
                jobs::finished_at.eq((!again).then_some(now)),
                jobs::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(Some(state))
    })
}

/// Graceful shutdown: the job goes back to the queue, due at once, and the attempt does
/// not count (the node stopped it on purpose). `false`: the claim was already lost.
pub fn hand_back(conn: &mut DbConnection, claim: &Claim, now: NaiveDateTime) -> QueryResult<bool> {
    let changed = diesel::update(claimed!(claim))
        .set((
            jobs::state.eq(QUEUED),
            jobs::claimed_by.eq(None::<String>),
            jobs::heartbeat_at.eq(None::<NaiveDateTime>),
            jobs::attempts.eq(jobs::attempts - 1),
            jobs::run_after.eq(now),
            jobs::progress_phase.eq("Waiting to start (handed back by a server that stopped)"),
            jobs::progress_done.eq(0i64),
            jobs::progress_total.eq(0i64),
            jobs::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// What [`recover_expired`] did.
#[derive(Debug, Default)]
pub struct Recovered {
    /// Queued again (attempts left).
    pub requeued: Vec<i32>,
    /// Given up on: marked interrupted (their payloads may go).
    pub interrupted: Vec<Job>,
}

/// The message of a job given up on after its node stopped `attempts` times.
pub fn interrupted_message(attempts: i32) -> String {
    format!(
        "the server running it stopped before it finished ({}); nothing it did was kept",
        crate::domain::counted(attempts, "time", "times")
    )
}

/// Running jobs whose heartbeat is older than `lease` (their node crashed or was killed):
/// queued again while attempts remain, else marked interrupted. Safe to run on every node
/// at once: each update is conditional on the job still being running and stale.
pub fn recover_expired(
    conn: &mut DbConnection,
    lease: Duration,
    now: NaiveDateTime,
) -> QueryResult<Recovered> {
    let cutoff = now - lease;
    let stale: Vec<Job> = jobs::table
        .filter(jobs::state.eq(RUNNING))
        .filter(jobs::heartbeat_at.lt(cutoff))
        .select(Job::as_select())
        .load(conn)?;
    let mut recovered = Recovered::default();
    for job in stale {
        let Some(claim) = job.claim() else { continue };
        let again = job.attempts < job.max_attempts;
        let still_stale = claimed!(claim).filter(jobs::heartbeat_at.lt(cutoff));
        let message = if again {
            format!(
                "the server running it ({}) stopped answering; started again",
                claim.node
            )
        } else {
            interrupted_message(job.attempts)
        };
        let changed = diesel::update(still_stale)
            .set((
                jobs::state.eq(if again { QUEUED } else { INTERRUPTED }),
                jobs::error.eq(&message),
                jobs::claimed_by.eq(None::<String>),
                jobs::heartbeat_at.eq(None::<NaiveDateTime>),
                jobs::run_after.eq(now),
                jobs::progress_phase.eq(if again {
                    "Waiting to start again"
                } else {
                    "Interrupted"
                }),
                jobs::progress_done.eq(0i64),
                jobs::progress_total.eq(0i64),
                jobs::finished_at.eq((!again).then_some(now)),
                jobs::updated_at.eq(now),
            ))
            .execute(conn)?;
        if changed == 1 {
            if again {
                recovered.requeued.push(job.id);
            } else {
                recovered.interrupted.push(job);
            }
        }
    }
    Ok(recovered)
}

pub fn get(conn: &mut DbConnection, id: i32) -> QueryResult<Option<Job>> {
    jobs::table
        .find(id)
        .select(Job::as_select())
        .first(conn)
        .optional()
}

/// The newest `limit` jobs of `kind`, newest first.
pub fn recent(conn: &mut DbConnection, kind: &str, limit: i64) -> QueryResult<Vec<Job>> {
    jobs::table
        .filter(jobs::kind.eq(kind))
        .order(jobs::id.desc())
        .limit(limit)
        .select(Job::as_select())
        .load(conn)
}

/// How many jobs are in each state (for /metrics and the dashboard).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub queued: i64,
    pub running: i64,
    pub done: i64,
    pub failed: i64,
    pub interrupted: i64,
}

pub fn counts(conn: &mut DbConnection) -> QueryResult<Counts> {
    let rows: Vec<(String, i64)> = jobs::table
        .group_by(jobs::state)
        .select((jobs::state, diesel::dsl::count_star()))
        .load(conn)?;
    let mut counts = Counts::default();
    for (state, n) in rows {
        match state.as_str() {
            QUEUED => counts.queued = n,
            RUNNING => counts.running = n,
            DONE => counts.done = n,
            FAILED => counts.failed = n,
            INTERRUPTED => counts.interrupted = n,
            _ => {}
        }
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_five_minutes() {
        let secs: Vec<i64> = (1..=9).map(|a| backoff(a).num_seconds()).collect();
        assert_eq!(secs, [5, 10, 20, 40, 80, 160, 300, 300, 300]);
        assert_eq!(backoff(0).num_seconds(), 5);
    }
}
