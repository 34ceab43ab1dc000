//! The job runner of `folio serve`: a background task that takes durable jobs from the
//! `jobs` table (`store::jobs`) and runs them, one at a time per node.
//!
//! - It polls every second, and wakes at once when this node queues a job.
//! - It first recovers jobs of crashed nodes (heartbeat older than the lease), then claims
//!   the oldest due job and runs it on a thread of its own, refreshing the heartbeat and
//!   writing the progress every `lease / 4`.
//! - On shutdown (SIGTERM/SIGINT, after in-flight requests), a job still running is handed
//!   back: queued again for the next node (or this one after its restart), the attempt not
//!   counted. Its thread is not waited for: it ends with the process, and its transaction
//!   with it — and a transaction that commits in the meantime finds its claim gone and
//!   rolls back, so a handed-back job never runs twice.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actix_web::web;
use tokio::sync::{oneshot, watch};

use crate::db;
use crate::export;
use crate::state::AppState;
use crate::store::jobs::{self, Job};
use crate::wordpress;

/// How the runner behaves.
#[derive(Debug, Clone, Copy)]
pub struct RunnerSettings {
    /// A running job whose heartbeat is older than this belongs to a node that stopped.
    pub lease: Duration,
    /// Idle polling interval (a job queued on this node wakes the runner at once).
    pub poll: Duration,
    /// Tests only (`FOLIO_TEST_JOB_DELAY_MS`): a pause after claiming a job, before its
    /// work starts, heartbeats going on, so a test can stop the node while a job runs.
    pub test_delay: Duration,
    /// Tests only (`FOLIO_TEST_JOB_RETRY_MS`): a fixed wait before a failed job is tried
    /// again, instead of `store::jobs::backoff`.
    pub test_retry: Option<Duration>,
}

/// The running runner: stop it with [`Runner::stop`].
pub struct Runner {
    stop: watch::Sender<bool>,
    task: actix_web::rt::task::JoinHandle<()>,
}

pub fn spawn(state: web::Data<AppState>, settings: RunnerSettings) -> Runner {
    let (stop, stopping) = watch::channel(false);
    let task = actix_web::rt::spawn(run(state, settings, stopping));
    Runner { stop, task }
}

impl Runner {
    /// Stops taking jobs and hands a running one back; returns when that is written.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the job runner stopped unexpectedly");
        }
    }
}

fn now() -> chrono::NaiveDateTime {
    jobs::now()
}

async fn run(
    state: web::Data<AppState>,
    settings: RunnerSettings,
    mut stopping: watch::Receiver<bool>,
) {
    let lease = chrono::Duration::from_std(settings.lease).unwrap_or(chrono::Duration::seconds(30));
    tracing::info!(node = %state.jobs.node, lease_s = settings.lease.as_secs_f64(), "job runner started");
    loop {
        if *stopping.borrow() {
            return;
        }
        recover(&state, lease).await;
        let node = state.jobs.node.clone();
        match db::run(&state.pool, move |conn| {
            Ok(jobs::claim(conn, &node, now())?)
        })
        .await
        {
            Ok(Some(job)) => {
                run_job(&state, job, settings, &mut stopping).await;
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e.detailed(), "cannot look for jobs"),
        }
        tokio::select! {
            _ = state.jobs.wake.notified() => {}
            _ = actix_web::rt::time::sleep(settings.poll) => {}
            _ = stopping.changed() => {}
        }
    }
}

/// Jobs of nodes that stopped answering: queued again, or given up (their files go).
async fn recover(state: &web::Data<AppState>, lease: chrono::Duration) {
    match db::run(&state.pool, move |conn| {
        Ok(jobs::recover_expired(conn, lease, now())?)
    })
    .await
    {
        Ok(recovered) => {
            for id in &recovered.requeued {
                tracing::warn!(job = id, "a job's server stopped answering: queued again");
            }
            for job in &recovered.interrupted {
                tracing::warn!(
                    job = job.id,
                    "a job's server stopped answering too often: interrupted"
                );
                discard_files(state, job);
            }
        }
        Err(e) => tracing::warn!(error = %e.detailed(), "cannot recover stale jobs"),
    }
}

/// The files of a job that ended without success: an import's uploaded export, an
/// export's (partial) archive.
fn discard_files(state: &AppState, job: &Job) {
    match job.kind.as_str() {
        wordpress::jobs::KIND => wordpress::jobs::discard_payload(&state.media.storage, job),
        export::jobs::KIND => export::jobs::discard(&state.media.storage, job.id),
        _ => {}
    }
}

/// Where the running job is, shared by its thread (writer) and the heartbeat (reader).
#[derive(Clone, Default)]
struct Current(Arc<Mutex<(String, i64, i64)>>);

impl Current {
    fn set(&self, phase: &str, done: usize, total: usize) {
        let mut current = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *current = (
            phase.to_owned(),
            i64::try_from(done).unwrap_or(i64::MAX),
            i64::try_from(total).unwrap_or(i64::MAX),
        );
    }

    fn get(&self) -> (String, i64, i64) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// What a job's thread reports.
enum Ended {
    Done,
    Failed { message: String, retry: bool },
}

async fn run_job(
    state: &web::Data<AppState>,
    job: Job,
    settings: RunnerSettings,
    stopping: &mut watch::Receiver<bool>,
) {
    let Some(claim) = job.claim() else { return };
    tracing::info!(job = job.id, kind = %job.kind, attempt = claim.attempt, "job started");
    let current = Current::default();
    current.set("Starting", 0, 0);
    let (sender, mut ended) = oneshot::channel::<Ended>();
    let mut heartbeat =
        actix_web::rt::time::interval((settings.lease / 4).max(Duration::from_millis(100)));
    let mut started = settings.test_delay.is_zero();
    let delay = actix_web::rt::time::sleep(settings.test_delay);
    tokio::pin!(delay);
    let mut sender = Some(sender);
    loop {
        if started && let Some(sender) = sender.take() {
            start_thread(state, &job, &claim, current.clone(), sender);
        }
        tokio::select! {
            outcome = &mut ended => {
                let outcome = outcome.unwrap_or(Ended::Failed {
                    message: "the job stopped unexpectedly; nothing was kept".into(),
                    retry: false,
                });
                finish(state, &job, &claim, outcome, settings.test_retry).await;
                return;
            }
            () = &mut delay, if !started => started = true,
            _ = heartbeat.tick() => {
                let (phase, done, total) = current.get();
                let beat = claim.clone();
                match db::run(&state.pool, move |conn| {
                    Ok(jobs::heartbeat(conn, &beat, &phase, done, total, now())?)
                }).await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(job = job.id, "this node lost its claim on a job; its work will not be kept"),
                    // SQLite: the import's own transaction holds the write lock; next time.
                    Err(e) => tracing::debug!(job = job.id, error = %e.detailed(), "heartbeat not written"),
                }
            }
            _ = stopping.wait_for(|stop| *stop) => {
                let back = claim.clone();
                match db::run(&state.pool, move |conn| Ok(jobs::hand_back(conn, &back, now())?)).await {
                    Ok(true) => tracing::info!(job = job.id, "shutting down: the running job was handed back to the queue"),
                    Ok(false) => {}
                    Err(e) => tracing::warn!(job = job.id, error = %e.detailed(), "shutting down: cannot hand the running job back; another node takes it when its lease expires"),
                }
                return;
            }
        }
    }
}

/// Runs the job's work on a thread of its own (not the blocking pool: the process must be
/// able to exit without waiting for it, see the module notes).
fn start_thread(
    state: &web::Data<AppState>,
    job: &Job,
    claim: &jobs::Claim,
    current: Current,
    sender: oneshot::Sender<Ended>,
) {
    let state = state.clone();
    let id = job.id;
    let job = job.clone();
    let claim = claim.clone();
    let spawned = std::thread::Builder::new()
        .name(format!("job-{id}"))
        .spawn(move || {
            let ended = match state.pool.get() {
                Err(e) => Ended::Failed {
                    message: format!("cannot reach the database: {e}"),
                    retry: true,
                },
                Ok(mut conn) => match job.kind.as_str() {
                    wordpress::jobs::KIND => {
                        let progress =
                            |p: wordpress::import::Progress| current.set(p.phase, p.done, p.total);
                        match wordpress::jobs::run(&mut conn, &state.media, &job, &claim, &progress)
                        {
                            wordpress::jobs::Outcome::Done(_) => Ended::Done,
                            wordpress::jobs::Outcome::Failed { message, retry } => {
                                Ended::Failed { message, retry }
                            }
                        }
                    }
                    export::jobs::KIND => {
                        current.set("Writing the archive", 0, 0);
                        match export::jobs::run(&mut conn, &state.media.storage, &job, &claim) {
                            export::jobs::Outcome::Done => Ended::Done,
                            export::jobs::Outcome::Failed { message, retry } => {
                                Ended::Failed { message, retry }
                            }
                        }
                    }
                    crate::store::outbox::KIND => {
                        current.set("Sending", 0, 1);
                        match crate::mail::run(&mut conn, state.mail.as_ref(), &job, &claim) {
                            crate::mail::Outcome::Done => Ended::Done,
                            crate::mail::Outcome::Failed { message, retry } => {
                                Ended::Failed { message, retry }
                            }
                        }
                    }
                    other => Ended::Failed {
                        message: format!("this server does not know jobs of kind {other}"),
                        retry: false,
                    },
                },
            };
            let _ = sender.send(ended);
        });
    if let Err(e) = spawned {
        tracing::error!(job = id, error = %e, "cannot start a thread for a job");
    }
}

async fn finish(
    state: &web::Data<AppState>,
    job: &Job,
    claim: &jobs::Claim,
    outcome: Ended,
    test_retry: Option<Duration>,
) {
    match outcome {
        Ended::Done => {
            tracing::info!(job = job.id, kind = %job.kind, "job done");
            if job.kind == wordpress::jobs::KIND {
                // An import wrote content, the same as any write through this node:
                // caches emptied once. Its uploaded file is no longer needed.
                crate::freshness::after_own_write(state).await;
                wordpress::jobs::discard_payload(&state.media.storage, job);
            }
        }
        Ended::Failed { message, retry } => {
            let failed = claim.clone();
            let text = message.clone();
            let wait = test_retry
                .and_then(|wait| chrono::Duration::from_std(wait).ok())
                .unwrap_or_else(|| jobs::backoff(claim.attempt));
            match db::run(&state.pool, move |conn| {
                Ok(jobs::fail(conn, &failed, &text, retry, wait, now())?)
            })
            .await
            {
                Ok(Some(jobs::QUEUED)) => {
                    tracing::warn!(job = job.id, %message, "job failed; it will be tried again");
                }
                Ok(Some(_)) => {
                    tracing::info!(job = job.id, %message, "job failed");
                    discard_files(state, job);
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::error!(job = job.id, error = %e.detailed(), "cannot record a job's failure");
                }
            }
        }
    }
}
