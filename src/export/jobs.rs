//! The site export started from the dashboard (Settings → “Download an export”), as a
//! durable job (`store::jobs`, kind [`KIND`], run by `crate::jobs` on whichever node claims
//! it). The archive is the same as `folio export` without credentials ([`super::write`]).
//!
//! Files, under the media directory that every node shares (`jobs/`):
//! - an attempt writes `export-<id>.<attempt>.tmp` (through `.partial`, see `write`) and
//!   renames it to `export-<id>.tar.gz` when complete, so a download never sees half a
//!   file, and two nodes that both believe they hold the job never write the same file;
//! - when an export is done, every other finished archive goes: only the newest export is
//!   kept (one archive of the site on disk at most, besides exports still being written),
//!   and so are the leftovers of its own earlier attempts;
//! - an export that failed for good or was interrupted leaves no file ([`discard`]).
//!
//! An export only reads: a failed attempt (the database unreachable, the disk full) is
//! tried again with backoff, and an attempt cut short by a crash simply runs again.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Counts;
use crate::db::{self, DbConnection};
use crate::media::storage::MediaStorage;
use crate::store::jobs::{self, Claim, Job};

/// The `kind` of these jobs.
pub const KIND: &str = "export";

/// Attempts (failures or crashed nodes) before an export is given up.
pub const MAX_ATTEMPTS: i32 = 3;

/// Where the archives are written, under the media directory (shared with other jobs).
const FOLDER: &str = "jobs";

/// What a finished export holds, stored as its job's result.
#[derive(Debug, Serialize, Deserialize)]
pub struct Summary {
    pub counts: Counts,
    /// Media records whose files were not on disk (exported without their file).
    pub missing_media: Vec<String>,
    /// The archive's size.
    pub bytes: u64,
}

impl Summary {
    pub fn of(job: &Job) -> Option<Summary> {
        serde_json::from_str(job.result.as_deref()?).ok()
    }

    /// The size for people: “3.2 MB”.
    pub fn size(&self) -> String {
        let tenths = self.bytes.saturating_mul(10) / (1024 * 1024);
        if tenths == 0 {
            format!("{} KB", self.bytes.div_ceil(1024))
        } else {
            format!("{}.{} MB", tenths / 10, tenths % 10)
        }
    }
}

/// Queues an export for `requested_by`, or, if one is queued and not started yet (it will
/// read the site as it is when it starts), returns that one. Returns the job's id.
pub fn enqueue(
    conn: &mut DbConnection,
    requested_by: i32,
    now: chrono::NaiveDateTime,
) -> diesel::QueryResult<i32> {
    db::write_transaction(conn, |conn| {
        let waiting = jobs::recent(conn, KIND, 10)?
            .into_iter()
            .find(|job| job.state == jobs::QUEUED && job.attempts == 0);
        match waiting {
            Some(job) => Ok(job.id),
            None => jobs::enqueue(conn, KIND, "{}", Some(requested_by), MAX_ATTEMPTS, now),
        }
    })
}

/// Where the finished archive of job `id` is.
pub fn archive_path(storage: &MediaStorage, id: i32) -> PathBuf {
    storage
        .root()
        .join(FOLDER)
        .join(format!("export-{id}.tar.gz"))
}

/// The finished archive of a done export, if it is still kept.
pub fn archive(storage: &MediaStorage, job: &Job) -> Option<PathBuf> {
    let path = archive_path(storage, job.id);
    (job.kind == KIND && job.state == jobs::DONE && path.is_file()).then_some(path)
}

/// The file name a download gets: `folio-export-<when it was made>.tar.gz`.
pub fn download_name(job: &Job) -> String {
    let made = job.finished_at.unwrap_or(job.created_at);
    format!("folio-export-{}.tar.gz", made.format("%Y%m%d-%H%M%S"))
}

/// How an export job ended on this node.
#[derive(Debug)]
pub enum Outcome {
    /// Written, and the job marked done.
    Done,
    /// Nothing kept. `retry`: worth another attempt.
    Failed { message: String, retry: bool },
}

/// Writes the archive of `job` (claimed as `claim`) and marks the job done.
pub fn run(conn: &mut DbConnection, storage: &MediaStorage, job: &Job, claim: &Claim) -> Outcome {
    let failed = |message: String| Outcome::Failed {
        message,
        retry: true,
    };
    let folder = storage.root().join(FOLDER);
    if let Err(e) = std::fs::create_dir_all(&folder) {
        return failed(format!("cannot create {}: {e}", folder.display()));
    }
    let temp = folder.join(format!("export-{}.{}.tmp", job.id, claim.attempt));
    let exported = match super::write(conn, storage.root(), &temp, false) {
        Ok(exported) => exported,
        Err(message) => {
            let _ = std::fs::remove_file(&temp);
            return failed(message);
        }
    };
    let bytes = std::fs::metadata(&temp).map_or(0, |m| m.len());
    let target = archive_path(storage, job.id);
    if let Err(e) = std::fs::rename(&temp, &target) {
        let _ = std::fs::remove_file(&temp);
        return failed(format!(
            "cannot move the export to {}: {e}",
            target.display()
        ));
    }
    let summary = Summary {
        counts: exported.counts,
        missing_media: exported.missing_media,
        bytes,
    };
    let result = match serde_json::to_string(&summary) {
        Ok(result) => result,
        Err(e) => return failed(format!("cannot record the export: {e}")),
    };
    match jobs::finish(conn, claim, &result, jobs::now()) {
        Ok(true) => {
            keep_only(storage, job.id);
            Outcome::Done
        }
        // Another node holds the job now; its own attempt replaces the file.
        Ok(false) => Outcome::Failed {
            message: "this export was handed to another server meanwhile".into(),
            retry: false,
        },
        Err(e) => failed(format!("cannot record the export: {e}")),
    }
}

/// The job id of a file this module names (`export-<id>.…`), and whether it is a finished
/// archive (`export-<id>.tar.gz`).
fn parse_name(name: &str) -> Option<(i32, bool)> {
    let rest = name.strip_prefix("export-")?;
    let (id, tail) = rest.split_once('.')?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((id.parse().ok()?, tail == "tar.gz"))
}

/// Whether `relative` (a path under the media directory) is a file of a dashboard export:
/// a copy of the site, which backups leave out.
pub fn is_export_file(relative: &Path) -> bool {
    relative.parent() == Some(Path::new(FOLDER))
        && relative
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(parse_name)
            .is_some()
}

/// Removes the files of exports this module made for which `remove(id, finished)` says so.
fn remove_where(storage: &MediaStorage, remove: impl Fn(i32, bool) -> bool) {
    let Ok(entries) = std::fs::read_dir(storage.root().join(FOLDER)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some((id, finished)) = name.to_str().and_then(parse_name) else {
            continue;
        };
        if remove(id, finished) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// After export `id` is done: the other finished archives go (only the newest is kept),
/// and so do leftovers of its own earlier attempts. Exports still being written elsewhere
/// are left alone.
fn keep_only(storage: &MediaStorage, id: i32) {
    remove_where(
        storage,
        |of, finished| {
            if of == id { !finished } else { finished }
        },
    );
}

/// Removes every file of export `id` (it failed for good or was interrupted).
pub fn discard(storage: &MediaStorage, id: i32) {
    remove_where(storage, |of, _| of == id);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_this_module_makes_are_recognised() {
        assert_eq!(parse_name("export-12.tar.gz"), Some((12, true)));
        assert_eq!(parse_name("export-12.3.tmp"), Some((12, false)));
        assert_eq!(parse_name("export-12.3.partial"), Some((12, false)));
        assert_eq!(parse_name("import-ab12.xml"), None);
        assert_eq!(parse_name("export-.tar.gz"), None);
        assert_eq!(parse_name("export--1.tar.gz"), None);
        assert_eq!(parse_name("export-12"), None);
        assert!(is_export_file(Path::new("jobs/export-12.tar.gz")));
        assert!(!is_export_file(Path::new("jobs/import-ab.xml")));
        assert!(!is_export_file(Path::new("ab/cd/export-12.tar.gz")));
    }

    #[test]
    fn keeping_the_newest_removes_other_archives_and_own_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let storage = MediaStorage::open(dir.path()).unwrap();
        let folder = dir.path().join(FOLDER);
        std::fs::create_dir_all(&folder).unwrap();
        for name in [
            "export-1.tar.gz",
            "export-2.1.partial",
            "export-2.tar.gz",
            "export-3.1.tmp",
            "import-ab.xml",
        ] {
            std::fs::write(folder.join(name), b"x").unwrap();
        }
        keep_only(&storage, 2);
        let mut left: Vec<String> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["export-2.tar.gz", "export-3.1.tmp", "import-ab.xml"]);
        discard(&storage, 3);
        discard(&storage, 2);
        let left: Vec<_> = std::fs::read_dir(&folder).unwrap().collect();
        assert_eq!(left.len(), 1);
    }
}
