//! `folio backup`: a consistent snapshot of a site while it keeps serving and editors keep
//! saving. SQLite: the database copied with `VACUUM INTO` (one transaction's view), then
//! the media files, into one `.tar.gz` laid out like a data directory, so restoring is
//! `tar -xzf` into an empty directory. Written to `FILE.partial` and renamed when
//! complete, so a failed backup never leaves a file that looks whole.
//!
//! Media files are content-addressed and never change, so copying them after the database
//! snapshot is consistent, except for a file deleted in between: it is reported.
//!
//! PostgreSQL: the `folio export` archive with password hashes (read in one transaction),
//! restored with `folio import` into an empty database; `pg_dump` for whole clusters.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::config::StorageConfig;
use crate::db::{DatabaseUrl, dialect};

/// Version of the archive layout, in `manifest.json`.
pub const FORMAT_VERSION: u32 = 1;

pub enum Report {
    /// SQLite: the database file and the media directory.
    DataDirectory {
        database_bytes: u64,
        media_files: usize,
        /// Files listed at the start that were deleted before they could be copied.
        media_gone: usize,
    },
    /// PostgreSQL: a `folio export` archive with password hashes, restored with
    /// `folio import`.
    Export(crate::export::Exported),
}

pub fn backup(storage: &StorageConfig, output: &Path, force: bool) -> Result<Report, String> {
    if output.exists() && !force {
        return Err(format!(
            "{} already exists; choose another name, or add --force to replace it",
            output.display()
        ));
    }
    if matches!(storage.database, DatabaseUrl::Postgres(_)) {
        // The export reads every table in one transaction: a consistent snapshot.
        return crate::export::export(storage, output, true, force).map(Report::Export);
    }
    let dir = match output.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let work = tempfile::Builder::new()
        .prefix(".folio-backup-")
        .tempdir_in(&dir)
        .map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    let snapshot = work.path().join("folio.db");
    let snapshot_name = snapshot
        .to_str()
        .ok_or("the output directory's path is not valid UTF-8")?
        .to_owned();

    let (pool, _) = crate::state::open_database(storage, 1)?;
    let mut conn = pool
        .get()
        .map_err(|e| format!("cannot reach the database: {e}"))?;
    dialect::sqlite_snapshot(&mut conn, &snapshot_name)
        .unwrap_or_else(|| Ok(()))
        .map_err(|e| format!("cannot copy the database: {e}"))?;
    drop(conn);
    let database_bytes = std::fs::metadata(&snapshot)
        .map_err(|e| format!("cannot read the copy: {e}"))?
        .len();

    let partial = output.with_extension("partial");
    let result = write_archive(&partial, &snapshot, &storage.media_dir);
    let report = match result {
        Ok((media_files, media_gone)) => Report::DataDirectory {
            database_bytes,
            media_files,
            media_gone,
        },
        Err(err) => {
            let _ = std::fs::remove_file(&partial);
            return Err(err);
        }
    };
    std::fs::rename(&partial, output)
        .map_err(|e| format!("cannot move the backup to {}: {e}", output.display()))?;
    Ok(report)
}

fn write_archive(path: &Path, database: &Path, media: &Path) -> Result<(usize, usize), String> {
    let failed = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    let file = File::create(path).map_err(failed)?;
    let gzip = flate2::write::GzEncoder::new(BufWriter::new(file), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gzip);
    let manifest = serde_json::json!({
        "format": "folio-backup",
        "version": FORMAT_VERSION,
        "folio": env!("CARGO_PKG_VERSION"),
        "backend": "sqlite",
        "created_at": chrono::Utc::now().to_rfc3339(),
    })
    .to_string();
    crate::export::append_bytes(&mut tar, "manifest.json", manifest.as_bytes()).map_err(failed)?;
    tar.append_path_with_name(database, "folio.db")
        .map_err(failed)?;

    let mut files = Vec::new();
    if media.exists() {
        collect_files(media, media, &mut files)
            .map_err(|e| format!("cannot list the media: {e}"))?;
    }
    let (mut copied, mut gone) = (0, 0);
    for relative in files {
        match tar.append_path_with_name(media.join(&relative), Path::new("media").join(&relative)) {
            Ok(()) => copied += 1,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => gone += 1,
            Err(err) => return Err(failed(err)),
        }
    }
    let gzip = tar.into_inner().map_err(failed)?;
    let mut writer = gzip.finish().map_err(failed)?;
    writer.flush().map_err(failed)?;
    writer
        .into_inner()
        .map_err(|e| failed(e.into_error()))?
        .sync_all()
        .map_err(failed)?;
    Ok((copied, gone))
}

/// Files under `dir`, relative to `root`, without the temp directory of uploads and the
/// archives of dashboard exports (copies of the site, made again at will).
fn collect_files(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_name() == ".tmp" {
            continue;
        }
        if entry.file_type()?.is_dir() {
            collect_files(root, &path, out)?;
        } else if let Ok(relative) = path.strip_prefix(root)
            && !crate::export::jobs::is_export_file(relative)
        {
            out.push(relative.to_path_buf());
        }
    }
    Ok(())
}
