//! Files on disk: `MEDIA_DIR/ab/cd/<sha256>.<ext>` for originals and
//! `…/<sha256>-<width>.<ext>` for image variants. Names come only from content hashes and
//! our own extensions; a user's file name never reaches a path. Files are written to
//! `MEDIA_DIR/.tmp` first and renamed into place when complete, so a reader never sees half
//! a file and a failed upload leaves nothing behind.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tempfile::NamedTempFile;

const TMP_DIR: &str = ".tmp";
/// Temp files older than this at start-up were left by a crash.
const STALE_TMP: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone)]
pub struct MediaStorage {
    root: PathBuf,
}

impl MediaStorage {
    /// Creates the directory (and its temp directory) if needed and clears stale temp files.
    pub fn open(root: &Path) -> io::Result<Self> {
        let storage = Self {
            root: root.to_path_buf(),
        };
        std::fs::create_dir_all(storage.tmp_dir())?;
        storage.remove_stale_temp_files();
        Ok(storage)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn tmp_dir(&self) -> PathBuf {
        self.root.join(TMP_DIR)
    }

    /// A new temp file on the same file system as the media (so `place` is a rename).
    pub fn temp_file(&self) -> io::Result<NamedTempFile> {
        tempfile::Builder::new()
            .prefix("upload-")
            .tempfile_in(self.tmp_dir())
    }

    /// Where a storage key lives. The key must come from [`original_key`],
    /// [`variant_key`] or [`parse_key`].
    pub fn path_of(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }

    /// Moves a finished temp file to `key`. The same bytes may already be there (an
    /// identical upload): then the temp file is simply dropped.
    pub fn place(&self, file: NamedTempFile, key: &str) -> io::Result<()> {
        let target = self.path_of(key);
        if target.exists() {
            return Ok(());
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        file.persist(&target).map_err(|e| e.error)?;
        Ok(())
    }

    /// Removes the files of `keys`; one already gone is not an error.
    pub fn remove(&self, keys: &[String]) -> io::Result<()> {
        for key in keys {
            match std::fs::remove_file(self.path_of(key)) {
                Ok(()) => {}
                Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }

    fn remove_stale_temp_files(&self) {
        let Ok(entries) = std::fs::read_dir(self.tmp_dir()) else {
            return;
        };
        let now = SystemTime::now();
        for entry in entries.flatten() {
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|at| now.duration_since(at).unwrap_or_default() > STALE_TMP);
            if stale {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// `ab/cd/abcd….jpg`
pub fn original_key(sha256: &str, ext: &str) -> String {
    format!("{}/{}/{sha256}.{ext}", &sha256[..2], &sha256[2..4])
}

/// `ab/cd/abcd…-960.jpg`
pub fn variant_key(sha256: &str, width: u32, ext: &str) -> String {
    format!("{}/{}/{sha256}-{width}.{ext}", &sha256[..2], &sha256[2..4])
}

/// A key from a request path (`/media/<key>`), only if it has exactly the shape we
/// write: anything else (`..`, encoded or doubled slashes, absolute paths, other names)
/// is `None`, so it can't name a file outside the media directory.
pub fn parse_key(raw: &str) -> Option<String> {
    let mut parts = raw.split('/');
    let (Some(a), Some(b), Some(name), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let (stem, ext) = name.split_once('.')?;
    let (hash, width) = match stem.split_once('-') {
        Some((hash, width)) => (hash, Some(width)),
        None => (stem, None),
    };
    let lower_hex = |s: &str| {
        s.bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
    };
    let valid = hash.len() == 64
        && lower_hex(hash)
        && a == &hash[..2]
        && b == &hash[2..4]
        && width.is_none_or(|w| {
            (1..=5).contains(&w.len())
                && w.bytes().all(|c| c.is_ascii_digit())
                && !w.starts_with('0')
        })
        && super::types::by_ext(ext).is_some_and(|t| t.ext == ext);
    valid.then(|| raw.to_owned())
}

/// The hash inside a key.
pub fn hash_of(key: &str) -> Option<&str> {
    let name = key.rsplit('/').next()?;
    name.get(..64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn keys_round_trip() {
        let key = original_key(HASH, "jpg");
        assert_eq!(key, format!("e3/b0/{HASH}.jpg"));
        assert_eq!(parse_key(&key), Some(key.clone()));
        let variant = variant_key(HASH, 960, "jpg");
        assert_eq!(parse_key(&variant), Some(variant.clone()));
        assert_eq!(hash_of(&variant), Some(HASH));
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "",
            "../etc/passwd",
            "e3/b0/../../folio.db",
            &format!("/e3/b0/{HASH}.jpg"),
            &format!("e3//b0/{HASH}.jpg"),
            &format!("e3/b0/{HASH}.jpg/x"),
            &format!("e3%2Fb0/{HASH}.jpg"),
            &format!("aa/b0/{HASH}.jpg"),
            &format!("e3/b0/{HASH}.JPG"),
            &format!("e3/b0/{HASH}.jpeg"),
            &format!("e3/b0/{HASH}.html"),
            &format!("e3/b0/{HASH}-0960.jpg"),
            &format!("e3/b0/{HASH}-.jpg"),
            &format!("e3/b0/{HASH}-96a.jpg"),
            &format!("e3/b0/{}.jpg", HASH.to_uppercase()),
            "session.key",
            ".tmp/upload-x",
        ] {
            assert_eq!(parse_key(bad), None, "{bad}");
        }
    }
}
