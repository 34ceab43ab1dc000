//! WordPress imports started from the dashboard, as durable jobs (`store::jobs`, kind
//! [`KIND`]). The uploaded export is kept under the media directory (`jobs/`), which every
//! node shares, until the job ends; the job's row holds what the import needs (as JSON)
//! and, when it is done, the report.
//!
//! The whole import is one transaction, and the job is marked done inside it: a crash or a
//! shutdown part way leaves nothing imported and the job still `running` (or handed back),
//! so running it again is safe (and importing the same items twice adds nothing anyway).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use tempfile::NamedTempFile;

use super::import::{self, Options, Progress, Report};
use crate::db::DbConnection;
use crate::domain::Role;
use crate::error::AppError;
use crate::media::MediaConfig;
use crate::media::storage::MediaStorage;
use crate::store::jobs::{self, Claim, Job};

/// The `kind` of these jobs.
pub const KIND: &str = "wordpress_import";

/// Attempts before an import whose server keeps stopping is given up as interrupted.
pub const MAX_ATTEMPTS: i32 = 3;

/// Where the uploaded exports wait, under the media directory.
const FOLDER: &str = "jobs";

/// What an import job needs, stored as its payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Payload {
    /// The name the file was uploaded with (shown on the pages).
    pub file_name: String,
    /// The stored export, relative to the media directory (`jobs/import-….xml`).
    pub file: String,
    pub author_role: String,
    pub importer_id: i32,
    pub audit_address: String,
}

impl Payload {
    pub fn of(job: &Job) -> Option<Payload> {
        serde_json::from_str(&job.payload).ok()
    }
}

/// The file name of an import job, for its pages.
pub fn file_name(job: &Job) -> String {
    Payload::of(job).map_or_else(|| "(unknown file)".to_owned(), |p| p.file_name)
}

/// The report of a finished import.
pub fn report(job: &Job) -> Option<Report> {
    serde_json::from_str(job.result.as_deref()?).ok()
}

/// Who asked for an import, and how.
pub struct Requested<'a> {
    /// The uploaded file's name, as shown on the job's page.
    pub file_name: &'a str,
    pub author_role: Role,
    pub importer_id: i32,
    pub audit_address: &'a str,
}

/// Keeps the uploaded export under the media directory and queues its import. Returns the
/// job's id. The file goes again if the job can't be recorded.
pub fn enqueue(
    conn: &mut DbConnection,
    storage: &MediaStorage,
    upload: NamedTempFile,
    requested: &Requested<'_>,
    now: chrono::NaiveDateTime,
) -> Result<i32, AppError> {
    let Requested {
        file_name,
        author_role,
        importer_id,
        audit_address,
    } = *requested;
    let folder = storage.root().join(FOLDER);
    std::fs::create_dir_all(&folder)
        .map_err(|e| AppError::internal("cannot keep the export for its import", e))?;
    let mut random = [0u8; 12];
    getrandom::fill(&mut random)
        .map_err(|e| AppError::Internal(format!("no randomness for a file name: {e}")))?;
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let relative = format!("{FOLDER}/import-{hex}.xml");
    let path = storage.root().join(&relative);
    upload
        .persist(&path)
        .map_err(|e| AppError::internal("cannot keep the export for its import", e.error))?;
    let payload = Payload {
        file_name: file_name.to_owned(),
        file: relative,
        author_role: author_role.as_str().to_owned(),
        importer_id,
        audit_address: audit_address.to_owned(),
    };
    let text = serde_json::to_string(&payload)
        .map_err(|e| AppError::internal("cannot record the import", e))?;
    match jobs::enqueue(conn, KIND, &text, Some(importer_id), MAX_ATTEMPTS, now) {
        Ok(id) => Ok(id),
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            Err(e.into())
        }
    }
}

/// How an import job ended on this node.
#[derive(Debug)]
pub enum Outcome {
    /// Imported, and the job marked done in the same transaction.
    Done(Box<Report>),
    /// Refused or failed; nothing was imported. `retry`: worth another attempt.
    Failed { message: String, retry: bool },
}

/// Runs the import of `job` (claimed as `claim`), reporting progress as it goes.
pub fn run(
    conn: &mut DbConnection,
    media: &MediaConfig,
    job: &Job,
    claim: &Claim,
    progress: &dyn Fn(Progress),
) -> Outcome {
    let failed = |message: String| Outcome::Failed {
        message,
        retry: false,
    };
    let Some(payload) = Payload::of(job) else {
        return failed("this import's record is unreadable; nothing was imported".into());
    };
    let Ok(author_role) = payload.author_role.parse::<Role>() else {
        return failed(format!("unknown role {}", payload.author_role));
    };
    let path: PathBuf = media.storage.root().join(&payload.file);
    if !path.is_file() {
        return failed(format!(
            "the uploaded file is not in this server's media directory ({}); nothing was imported. Do all servers share one media directory (FOLIO_MEDIA_DIR)?",
            media.storage.root().display()
        ));
    }
    let options = Options {
        uploads: None,
        author_role,
        importer_id: Some(payload.importer_id),
        audit_address: Some(payload.audit_address.clone()),
    };
    let mark_done = |conn: &mut DbConnection, report: &Report| -> Result<(), AppError> {
        let result = serde_json::to_string(report)
            .map_err(|e| AppError::internal("cannot record the report", e))?;
        if jobs::finish(conn, claim, &result, jobs::now())? {
            Ok(())
        } else {
            Err(AppError::Conflict(
                "this import was handed to another server meanwhile".into(),
            ))
        }
    };
    match import::import_then(
        conn,
        media,
        &path,
        &payload.file_name,
        &options,
        progress,
        &mark_done,
    ) {
        Ok(report) => Outcome::Done(Box::new(report)),
        Err(message) => failed(message),
    }
}

/// Removes the stored export of a job that has ended (done, failed or interrupted).
pub fn discard_payload(storage: &MediaStorage, job: &Job) {
    let Some(payload) = Payload::of(job) else {
        return;
    };
    // Only names this module made: `jobs/import-<hex>.xml`.
    let valid = payload
        .file
        .strip_prefix("jobs/import-")
        .and_then(|rest| rest.strip_suffix(".xml"))
        .is_some_and(|hex| !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()));
    if valid {
        let _ = std::fs::remove_file(storage.root().join(&payload.file));
    }
}
