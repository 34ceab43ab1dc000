//! Line-by-line diffs with word-level highlights, for comparing revisions.
//!
//! Bounded in time and size, whatever the two texts are: the line comparison stops at a
//! deadline (two texts it can't finish in time are "too different to compare line by
//! line"), word-level highlights are only looked for in small changed blocks while time
//! remains, unchanged stretches are folded to a few lines of context, and the output
//! stops at a number of lines and bytes. It is CPU work: call it off the async threads.

use std::time::{Duration, Instant};

use similar::{ChangeTag, DiffOp, TextDiff};

/// Time for the line-by-line comparison.
pub const LINE_TIME_LIMIT: Duration = Duration::from_secs(1);
/// Time for the comparison and the word-level highlights together.
pub const TOTAL_TIME_LIMIT: Duration = Duration::from_secs(2);
/// Lines shown at most.
pub const MAX_LINES: usize = 2_000;
/// Text shown at most (bytes, before escaping).
pub const MAX_TEXT_BYTES: usize = 256 * 1024;
/// Unchanged lines shown around each change.
const CONTEXT_LINES: usize = 3;
/// Word-level highlights only within changed blocks of at most this many lines a side.
const MAX_INLINE_LINES: usize = 100;

/// One line of a diff; `segments` mark the words that changed within it.
pub struct DiffLine {
    /// "equal", "insert", "delete", or "skip" (a run of unchanged lines not shown, its
    /// text says how many).
    pub kind: &'static str,
    pub segments: Vec<(bool, String)>,
}

/// What the comparison page shows: the lines, and a note when that isn't the whole story.
pub struct Diff {
    pub lines: Vec<DiffLine>,
    pub notice: Option<String>,
}

pub fn lines(old: &str, new: &str) -> Diff {
    let started = Instant::now();
    let line_deadline = started + LINE_TIME_LIMIT;
    let total_deadline = started + TOTAL_TIME_LIMIT;
    let diff = TextDiff::configure()
        .deadline(line_deadline)
        .diff_lines(old, new);
    if Instant::now() > line_deadline {
        return Diff {
            lines: Vec::new(),
            notice: Some(
                "These two versions are too different to compare line by line. \
                 Open each one from the history to read it whole."
                    .to_owned(),
            ),
        };
    }
    let mut out = Output::default();
    let total_old_lines = diff.old_slices().len();
    let mut shown_until = 0; // old lines before this index are shown or skipped
    let mut changed = false;
    'groups: for group in diff.grouped_ops(CONTEXT_LINES) {
        for op in &group {
            let old_range = op.old_range();
            out.skip(old_range.start.saturating_sub(shown_until));
            shown_until = old_range.end;
            let (_, old_lines, new_lines) = op.as_tag_tuple();
            changed |= !matches!(op, DiffOp::Equal { .. });
            let highlight = matches!(op, DiffOp::Replace { .. })
                && old_lines.len() <= MAX_INLINE_LINES
                && new_lines.len() <= MAX_INLINE_LINES
                && Instant::now() < total_deadline;
            if highlight {
                for change in diff.iter_inline_changes_deadline(op, Some(total_deadline)) {
                    let segments = change
                        .iter_strings_lossy()
                        .map(|(emphasised, text)| (emphasised, text.into_owned()))
                        .collect();
                    if !out.push(change.tag(), segments) {
                        break 'groups;
                    }
                }
            } else {
                for change in diff.iter_changes(op) {
                    let segments = vec![(false, change.to_string_lossy().into_owned())];
                    if !out.push(change.tag(), segments) {
                        break 'groups;
                    }
                }
            }
        }
    }
    if !out.full {
        out.skip(total_old_lines.saturating_sub(shown_until));
    }
    let notice = if out.full {
        Some(format!(
            "The changes are too long to show whole: this shows the first {} lines.",
            out.lines.len()
        ))
    } else if !changed {
        Some("The text is the same in both versions.".to_owned())
    } else {
        None
    };
    Diff {
        lines: out.lines,
        notice,
    }
}

/// The lines so far, within `MAX_LINES` and `MAX_TEXT_BYTES`.
#[derive(Default)]
struct Output {
    lines: Vec<DiffLine>,
    bytes: usize,
    full: bool,
}

impl Output {
    /// Adds a line; false (and nothing added) once the output is full.
    fn push(&mut self, tag: ChangeTag, mut segments: Vec<(bool, String)>) -> bool {
        if let Some((_, last)) = segments.last_mut() {
            let kept = last.trim_end_matches(['\n', '\r']).len();
            last.truncate(kept);
        }
        let bytes: usize = segments.iter().map(|(_, text)| text.len()).sum();
        if self.lines.len() >= MAX_LINES || self.bytes + bytes > MAX_TEXT_BYTES {
            self.full = true;
            return false;
        }
        self.bytes += bytes;
        let kind = match tag {
            ChangeTag::Equal => "equal",
            ChangeTag::Insert => "insert",
            ChangeTag::Delete => "delete",
        };
        self.lines.push(DiffLine { kind, segments });
        true
    }

    /// Notes `count` unchanged lines left out.
    fn skip(&mut self, count: usize) {
        if count == 0 || self.lines.len() >= MAX_LINES {
            return;
        }
        let text = match count {
            1 => "1 unchanged line".to_owned(),
            n => format!("{n} unchanged lines"),
        };
        self.lines.push(DiffLine {
            kind: "skip",
            segments: vec![(false, text)],
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(diff: &Diff) -> Vec<&'static str> {
        diff.lines.iter().map(|l| l.kind).collect()
    }

    #[test]
    fn changed_words_are_marked_within_changed_lines() {
        let diff = lines("one\ntwo three\nfour\n", "one\ntwo 3\nfour\nfive\n");
        assert_eq!(
            kinds(&diff),
            ["equal", "delete", "insert", "equal", "insert"]
        );
        assert!(diff.notice.is_none());
        let deleted = &diff.lines[1];
        assert!(
            deleted
                .segments
                .iter()
                .any(|(emph, text)| *emph && text == "three")
        );
        assert!(
            deleted
                .segments
                .iter()
                .any(|(emph, text)| !*emph && text.starts_with("two"))
        );
    }

    #[test]
    fn long_unchanged_stretches_are_folded_to_context() {
        let old: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let new = old.replace("line 50\n", "line fifty\n");
        let diff = lines(&old, &new);
        assert_eq!(
            kinds(&diff),
            [
                "skip", "equal", "equal", "equal", "delete", "insert", "equal", "equal", "equal",
                "skip"
            ]
        );
        assert_eq!(diff.lines[0].segments[0].1, "47 unchanged lines");
        assert_eq!(diff.lines[9].segments[0].1, "46 unchanged lines");
    }

    #[test]
    fn the_same_text_says_so() {
        let diff = lines("a\nb\n", "a\nb\n");
        assert_eq!(kinds(&diff), ["skip"]);
        assert_eq!(diff.lines[0].segments[0].1, "2 unchanged lines");
        assert_eq!(
            diff.notice.as_deref(),
            Some("The text is the same in both versions.")
        );
    }

    #[test]
    fn huge_reversed_texts_are_bounded_in_time_and_size() {
        let old: String = (0..80_000).map(|i| format!("{i:05}\n")).collect();
        let new: String = (0..80_000).rev().map(|i| format!("{i:05}\n")).collect();
        let started = Instant::now();
        let diff = lines(&old, &new);
        assert!(
            started.elapsed() < TOTAL_TIME_LIMIT + Duration::from_secs(3),
            "took {:?}",
            started.elapsed()
        );
        assert!(diff.lines.len() <= MAX_LINES);
        let bytes: usize = diff
            .lines
            .iter()
            .flat_map(|l| &l.segments)
            .map(|(_, t)| t.len())
            .sum();
        assert!(bytes <= MAX_TEXT_BYTES + 100);
        assert!(diff.notice.is_some());
    }

    #[test]
    fn long_diffs_stop_at_the_line_limit() {
        let old: String = (0..5_000).map(|i| format!("old {i}\n")).collect();
        let diff = lines(&old, "");
        assert_eq!(diff.lines.len(), MAX_LINES);
        assert!(diff.notice.unwrap().contains("too long to show whole"));
    }
}
