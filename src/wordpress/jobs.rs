//! The WordPress imports this server ran or is running, kept in memory for their pages:
//! the page of an import lives on the node that ran it, until it restarts.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use super::import::{Progress, Report};

/// Finished imports remembered for their pages.
const KEEP_FINISHED: usize = 20;

/// Where an import stands.
#[derive(Debug, Clone)]
pub enum State {
    Running(Progress),
    Done(Box<Report>),
    Failed(String),
}

/// One import: the file it reads and where it stands.
#[derive(Debug, Clone)]
pub struct Job {
    pub file_name: String,
    pub state: State,
}

/// The imports this server ran or is running, by id (newest has the highest).
#[derive(Default)]
pub struct ImportJobs {
    jobs: Mutex<BTreeMap<u64, Job>>,
}

impl ImportJobs {
    fn with<T>(&self, f: impl FnOnce(&mut BTreeMap<u64, Job>) -> T) -> T {
        // A panic while holding the lock can't leave a job half-written: take it anyway.
        let mut jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut jobs)
    }

    pub fn start(&self, file_name: String) -> u64 {
        self.with(|jobs| {
            let id = jobs.keys().next_back().map_or(1, |last| last + 1);
            jobs.insert(
                id,
                Job {
                    file_name,
                    state: State::Running(Progress {
                        phase: "Starting",
                        ..Progress::default()
                    }),
                },
            );
            let finished: Vec<u64> = jobs
                .iter()
                .filter(|(_, job)| !matches!(job.state, State::Running(_)))
                .map(|(&id, _)| id)
                .collect();
            for old in finished
                .iter()
                .take(finished.len().saturating_sub(KEEP_FINISHED))
            {
                jobs.remove(old);
            }
            id
        })
    }

    pub fn set(&self, id: u64, state: State) {
        self.with(|jobs| {
            if let Some(job) = jobs.get_mut(&id) {
                job.state = state;
            }
        });
    }

    pub fn get(&self, id: u64) -> Option<Job> {
        self.with(|jobs| jobs.get(&id).cloned())
    }

    pub fn recent(&self) -> Vec<(u64, Job)> {
        self.with(|jobs| {
            jobs.iter()
                .rev()
                .map(|(&id, job)| (id, job.clone()))
                .collect()
        })
    }
}
