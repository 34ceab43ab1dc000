//! The mail outbox: each message waiting to go out is a durable job of kind [`KIND`] in the
//! `jobs` table (`store::jobs`), so it is queued in the transaction of the change that
//! causes it, sent by whichever node's runner claims it (`jobs` → `mail::run`), retried
//! with the jobs' backoff while the mail server is down or answers "try later", and never
//! lost on a restart. Its last error is the server's answer, shown to admins on
//! /admin/mail. A separate table would have repeated the claim, lease, retry and recovery
//! logic the job table already has.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::DbConnection;
use crate::db::schema::jobs as job_rows;
use crate::error::{AppError, AppResult};
use crate::store::jobs::{self, Claim, Job};

pub const KIND: &str = "mail";

/// Tries before a message is given up on: with the jobs' backoff (5 s doubling to 5 min)
/// about half an hour of a server that is down.
pub const MAX_ATTEMPTS: i32 = 12;

/// A message as it waits in the queue: already rendered (the site's name and the links in
/// it are those of the moment it was queued).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Outgoing {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Queues a message, due now (wake the runner after the transaction commits). Returns the
/// job's id.
pub fn queue(
    conn: &mut DbConnection,
    message: &Outgoing,
    created_by: Option<i32>,
) -> AppResult<i32> {
    let payload = serde_json::to_string(message)
        .map_err(|e| AppError::internal("cannot write a mail to the queue", e))?;
    Ok(jobs::enqueue(
        conn,
        KIND,
        &payload,
        created_by,
        MAX_ATTEMPTS,
        jobs::now(),
    )?)
}

/// The message of a queued job.
pub fn message(job: &Job) -> Result<Outgoing, String> {
    serde_json::from_str(&job.payload).map_err(|e| format!("the queued mail is unreadable: {e}"))
}

/// Marks a sent message done with the server's answer, and drops its body from the row:
/// the links in it (a password reset) should not outlive their delivery in the database
/// or its backups. `false`: the claim was lost.
pub fn sent(
    conn: &mut DbConnection,
    claim: &Claim,
    message: &Outgoing,
    answer: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    crate::db::write_transaction(conn, |conn| {
        let kept = Outgoing {
            text: String::new(),
            html: String::new(),
            ..message.clone()
        };
        let payload = serde_json::to_string(&kept).unwrap_or_else(|_| "{}".into());
        diesel::update(
            job_rows::table
                .filter(job_rows::id.eq(claim.id))
                .filter(job_rows::claimed_by.eq(&claim.node))
                .filter(job_rows::attempts.eq(claim.attempt)),
        )
        .set(job_rows::payload.eq(payload))
        .execute(conn)?;
        let result = serde_json::json!({ "answer": answer }).to_string();
        jobs::finish(conn, claim, &result, now)
    })
}

/// A message as admins see it in the outbox.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: i32,
    pub to: String,
    pub subject: String,
    pub state: String,
    pub attempts: i32,
    pub max_attempts: i32,
    /// The server's last answer: its acceptance when sent, else the last error.
    pub answer: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// When the next try is due (queued only).
    pub next_try: Option<NaiveDateTime>,
}

impl Entry {
    fn of(job: Job) -> Entry {
        let (to, subject) = match message(&job) {
            Ok(m) => (m.to, m.subject),
            Err(e) => (String::new(), e),
        };
        let answer = match (&job.result, &job.error) {
            (Some(result), _) if job.state == jobs::DONE => {
                serde_json::from_str::<serde_json::Value>(result)
                    .ok()
                    .and_then(|v| v["answer"].as_str().map(str::to_owned))
                    .unwrap_or_default()
            }
            (_, Some(error)) => error.clone(),
            _ => String::new(),
        };
        Entry {
            id: job.id,
            to,
            subject,
            next_try: (job.state == jobs::QUEUED).then_some(job.run_after),
            state: job.state,
            attempts: job.attempts,
            max_attempts: job.max_attempts,
            answer,
            created_at: job.created_at,
            updated_at: job.updated_at,
        }
    }

    pub fn is_failed(&self) -> bool {
        self.state == jobs::FAILED || self.state == jobs::INTERRUPTED
    }
}

/// The newest `limit` messages, newest first.
pub fn recent(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<Entry>> {
    Ok(jobs::recent(conn, KIND, limit)?
        .into_iter()
        .map(Entry::of)
        .collect())
}

/// Messages waiting (queued or being sent) and given up on, for the dashboard.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub waiting: i64,
    pub failed: i64,
}

pub fn counts(conn: &mut DbConnection) -> QueryResult<Counts> {
    let rows: Vec<(String, i64)> = job_rows::table
        .filter(job_rows::kind.eq(KIND))
        .group_by(job_rows::state)
        .select((job_rows::state, diesel::dsl::count_star()))
        .load(conn)?;
    let mut counts = Counts::default();
    for (state, n) in rows {
        match state.as_str() {
            jobs::QUEUED | jobs::RUNNING => counts.waiting += n,
            jobs::FAILED | jobs::INTERRUPTED => counts.failed += n,
            _ => {}
        }
    }
    Ok(counts)
}
