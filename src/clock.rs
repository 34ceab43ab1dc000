//! The time the server goes by when it decides whether a session has expired or a
//! scheduled post is visible yet.
//!
//! In production this is the system clock, always. A test can move it forward instead of
//! sleeping: `FOLIO_TEST_CLOCK_FILE` (for tests only, refused unless the server binds a
//! loopback address) names a file holding an offset in milliseconds, read at every call,
//! which the test rewrites while the server runs.

use std::path::PathBuf;
use std::sync::OnceLock;

use chrono::{NaiveDateTime, TimeDelta, Utc};

static OFFSET_FILE: OnceLock<PathBuf> = OnceLock::new();

/// Now, in UTC.
pub fn now() -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    match OFFSET_FILE.get() {
        None => now,
        Some(file) => now + offset_in(file),
    }
}

/// From now on, `now()` adds the offset written in `file` (tests only: the caller has
/// checked that the server binds a loopback address). The first call wins.
pub fn follow_offset_file(file: PathBuf) {
    tracing::warn!(
        file = %file.display(),
        "FOLIO_TEST_CLOCK_FILE is set: this server's clock is moved by a test"
    );
    let _ = OFFSET_FILE.set(file);
}

/// The offset in the file; none while the file is missing or being replaced.
fn offset_in(file: &std::path::Path) -> TimeDelta {
    std::fs::read_to_string(file)
        .ok()
        .and_then(|text| text.trim().parse::<i64>().ok())
        .map(TimeDelta::milliseconds)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_file_holds_milliseconds_and_a_missing_one_means_none() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("clock");
        assert_eq!(offset_in(&file), TimeDelta::zero());
        std::fs::write(&file, "2500\n").unwrap();
        assert_eq!(offset_in(&file), TimeDelta::milliseconds(2500));
        std::fs::write(&file, "not a number").unwrap();
        assert_eq!(offset_in(&file), TimeDelta::zero());
    }
}
