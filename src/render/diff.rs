//! Line-by-line diffs with word-level marks, for comparing revisions.
//!
//! A replaced line is shown as its old and new versions next to each other, with the
//! words that changed marked in both: within each changed block, old and new lines are
//! paired by the words they share (in order), and a pair is compared word by word.
//! Lines without a counterpart are plainly removed or added.
//!
//! Bounded in time and size, whatever the two texts are: the line comparison stops at a
//! deadline (two texts it can't finish in time are "too different to compare line by
//! line"), lines are only paired in changed blocks of limited size while time remains,
//! unchanged stretches are folded to a few lines of context, and the output stops at a
//! number of lines and bytes. It is CPU work: call it off the async threads.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use similar::{Algorithm, DiffOp, DiffTag, TextDiff};

/// Time for the line-by-line comparison.
pub const LINE_TIME_LIMIT: Duration = Duration::from_secs(1);
/// Time for the comparison, the pairing and the word-level marks together.
pub const TOTAL_TIME_LIMIT: Duration = Duration::from_secs(2);
/// Lines shown at most.
pub const MAX_LINES: usize = 2_000;
/// Text shown at most (bytes, before escaping).
pub const MAX_TEXT_BYTES: usize = 256 * 1024;
/// Unchanged lines shown around each change.
const CONTEXT_LINES: usize = 3;
/// Lines are paired only within changed blocks of at most this many lines a side.
const MAX_INLINE_LINES: usize = 100;
/// How alike (share of words in common, 0 to 1) two lines must be to be shown as one
/// line changed rather than one removed and another added.
const PAIRING_THRESHOLD: f64 = 0.5;

/// One line of a diff; `segments` mark the words that changed within it.
pub struct DiffLine {
    /// "equal", "insert", "delete", or "skip" (a run of unchanged lines not shown, its
    /// text says how many).
    pub kind: &'static str,
    /// The text in pieces, each `(changed, text)`; only a paired line has changed pieces.
    pub segments: Vec<(bool, String)>,
    /// Whether this is one side of a changed line: the old version (a "delete" right
    /// before its "insert") or the new one.
    pub paired: bool,
}

/// What the comparison page shows: the lines, and a note when that isn't the whole story.
pub struct Diff {
    pub lines: Vec<DiffLine>,
    pub notice: Option<String>,
    /// The two texts are the same (there are no lines then).
    pub same: bool,
}

pub fn lines(old: &str, new: &str) -> Diff {
    if old == new {
        return Diff {
            lines: Vec::new(),
            notice: None,
            same: true,
        };
    }
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
            same: false,
        };
    }
    let (old_lines, new_lines) = (diff.old_slices(), diff.new_slices());
    let mut out = Output::default();
    let mut shown_until = 0; // old lines before this index are shown or skipped
    'groups: for group in diff.grouped_ops(CONTEXT_LINES) {
        // A changed block: the old lines removed and the new ones added since the last
        // unchanged line (a replacement, or a removal next to an addition).
        let mut removed = 0..0;
        let mut added = 0..0;
        for op in &group {
            let old_range = op.old_range();
            if out
                .skip(old_range.start.saturating_sub(shown_until))
                .is_err()
            {
                break 'groups;
            }
            shown_until = old_range.end;
            if let DiffOp::Equal { .. } = op {
                let block = Block {
                    old: &old_lines[removed.clone()],
                    new: &new_lines[added.clone()],
                };
                if block.show(&mut out, total_deadline).is_err() {
                    break 'groups;
                }
                for line in &old_lines[old_range] {
                    if out
                        .push("equal", vec![(false, (*line).to_owned())], false)
                        .is_err()
                    {
                        break 'groups;
                    }
                }
                removed = op.old_range().end..op.old_range().end;
                added = op.new_range().end..op.new_range().end;
            } else {
                if removed.is_empty() {
                    removed = op.old_range();
                } else {
                    removed.end = op.old_range().end;
                }
                if added.is_empty() {
                    added = op.new_range();
                } else {
                    added.end = op.new_range().end;
                }
            }
        }
        let block = Block {
            old: &old_lines[removed],
            new: &new_lines[added],
        };
        if block.show(&mut out, total_deadline).is_err() {
            break 'groups;
        }
    }
    if !out.full {
        let _ = out.skip(old_lines.len().saturating_sub(shown_until));
    }
    let notice = out.full.then(|| {
        format!(
            "The changes are too long to show whole: this shows the first {} lines.",
            out.lines.len()
        )
    });
    Diff {
        lines: out.lines,
        notice,
        same: false,
    }
}

/// Lines removed and lines added in one place.
struct Block<'a> {
    old: &'a [&'a str],
    new: &'a [&'a str],
}

/// In a block, what to show next: a pair of lines (old, new), or one line alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Pair(usize, usize),
    Removed(usize),
    Added(usize),
}

impl Block<'_> {
    fn show(&self, out: &mut Output, deadline: Instant) -> Result<(), Full> {
        for step in self.steps(deadline) {
            match step {
                Step::Removed(i) => {
                    out.push("delete", vec![(false, self.old[i].to_owned())], false)?;
                }
                Step::Added(j) => {
                    out.push("insert", vec![(false, self.new[j].to_owned())], false)?;
                }
                Step::Pair(i, j) => {
                    let (before, after) = word_marks(self.old[i], self.new[j], deadline);
                    out.push("delete", before, true)?;
                    out.push("insert", after, true)?;
                }
            }
        }
        Ok(())
    }

    /// The lines in the order to show them: paired lines by the words they share (the
    /// pairing that keeps the order of both sides and shares the most), the unpaired
    /// lines between two pairs removed ones first. Without time or for a large block,
    /// every old line and then every new one.
    fn steps(&self, deadline: Instant) -> Vec<Step> {
        let (n, m) = (self.old.len(), self.new.len());
        let unpaired = || {
            (0..n)
                .map(Step::Removed)
                .chain((0..m).map(Step::Added))
                .collect()
        };
        if n == 0 || m == 0 || n > MAX_INLINE_LINES || m > MAX_INLINE_LINES {
            return unpaired();
        }
        let old_words: Vec<HashMap<&str, usize>> =
            self.old.iter().map(|l| word_counts(l)).collect();
        let new_words: Vec<HashMap<&str, usize>> =
            self.new.iter().map(|l| word_counts(l)).collect();
        // best[i][j]: the most likeness pairing old[..i] with new[..j] can have.
        let mut best = vec![vec![0.0f64; m + 1]; n + 1];
        let mut paired = vec![vec![false; m + 1]; n + 1];
        for i in 1..=n {
            if Instant::now() > deadline {
                return unpaired();
            }
            for j in 1..=m {
                let mut value = best[i - 1][j].max(best[i][j - 1]);
                let score = likeness(&old_words[i - 1], &new_words[j - 1]);
                if score >= PAIRING_THRESHOLD && best[i - 1][j - 1] + score >= value {
                    value = best[i - 1][j - 1] + score;
                    paired[i][j] = true;
                }
                best[i][j] = value;
            }
        }
        let mut pairs = Vec::new();
        let (mut i, mut j) = (n, m);
        while i > 0 && j > 0 {
            if paired[i][j] {
                pairs.push((i - 1, j - 1));
                i -= 1;
                j -= 1;
            } else if best[i - 1][j] >= best[i][j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
        }
        pairs.reverse();
        let mut steps = Vec::with_capacity(n + m);
        let (mut next_old, mut next_new) = (0, 0);
        for (i, j) in pairs.into_iter().chain(std::iter::once((n, m))) {
            steps.extend((next_old..i).map(Step::Removed));
            steps.extend((next_new..j).map(Step::Added));
            if i < n && j < m {
                steps.push(Step::Pair(i, j));
            }
            (next_old, next_new) = (i + 1, j + 1);
        }
        steps
    }
}

/// The pieces of a line for comparing: runs of letters and digits, runs of whitespace,
/// and each other character alone (so "harbour," and "harbour." share "harbour").
fn tokens(line: &str) -> Vec<&str> {
    #[derive(PartialEq)]
    enum Class {
        Word,
        Space,
        Other,
    }
    let class = |c: char| {
        if c.is_alphanumeric() || c == '_' {
            Class::Word
        } else if c.is_whitespace() {
            Class::Space
        } else {
            Class::Other
        }
    };
    let mut out = Vec::new();
    let mut start = 0;
    let mut current: Option<Class> = None;
    for (at, c) in line.char_indices() {
        let this = class(c);
        let joins = current
            .as_ref()
            .is_some_and(|prev| *prev == this && this != Class::Other);
        if !joins && at > start {
            out.push(&line[start..at]);
            start = at;
        }
        current = Some(this);
    }
    if start < line.len() {
        out.push(&line[start..]);
    }
    out
}

/// How often each non-blank token occurs in a line.
fn word_counts(line: &str) -> HashMap<&str, usize> {
    let mut counts = HashMap::new();
    for token in tokens(line) {
        if !token.trim().is_empty() {
            *counts.entry(token).or_insert(0) += 1;
        }
    }
    counts
}

/// The share of tokens two lines have in common (Dice coefficient): 1 for the same
/// words, 0 for none in common; two blank lines are alike.
fn likeness(a: &HashMap<&str, usize>, b: &HashMap<&str, usize>) -> f64 {
    let total: usize = a.values().sum::<usize>() + b.values().sum::<usize>();
    if total == 0 {
        return 1.0;
    }
    let common: usize = a
        .iter()
        .map(|(token, n)| (*n).min(b.get(token).copied().unwrap_or(0)))
        .sum();
    2.0 * common as f64 / total as f64
}

/// The old and new line in pieces, with the tokens that differ marked.
fn word_marks(old: &str, new: &str, deadline: Instant) -> (Segments, Segments) {
    let trim = |line: &str| line.trim_end_matches(['\n', '\r']).len();
    let (old, new) = (&old[..trim(old)], &new[..trim(new)]);
    let (a, b) = (tokens(old), tokens(new));
    let ops = similar::capture_diff_slices_deadline(Algorithm::Myers, &a, &b, Some(deadline));
    let mut before = Pieces::default();
    let mut after = Pieces::default();
    for op in ops {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        let changed = tag != DiffTag::Equal;
        for token in &a[old_range] {
            before.add(changed, token);
        }
        for token in &b[new_range] {
            after.add(changed, token);
        }
    }
    (before.0, after.0)
}

/// A line in pieces, each `(changed, text)`.
type Segments = Vec<(bool, String)>;

/// Pieces of text, neighbours with the same mark joined.
#[derive(Default)]
struct Pieces(Segments);

impl Pieces {
    fn add(&mut self, changed: bool, text: &str) {
        match self.0.last_mut() {
            Some((mark, last)) if *mark == changed => last.push_str(text),
            _ => self.0.push((changed, text.to_owned())),
        }
    }
}

/// The output reached its limits.
struct Full;

/// The lines so far, within `MAX_LINES` and `MAX_TEXT_BYTES`.
#[derive(Default)]
struct Output {
    lines: Vec<DiffLine>,
    bytes: usize,
    full: bool,
}

impl Output {
    /// Adds a line; `Full` (and nothing added) once the output is full.
    fn push(
        &mut self,
        kind: &'static str,
        mut segments: Vec<(bool, String)>,
        paired: bool,
    ) -> Result<(), Full> {
        if let Some((_, last)) = segments.last_mut() {
            let kept = last.trim_end_matches(['\n', '\r']).len();
            last.truncate(kept);
        }
        let bytes: usize = segments.iter().map(|(_, text)| text.len()).sum();
        if self.full || self.lines.len() >= MAX_LINES || self.bytes + bytes > MAX_TEXT_BYTES {
            self.full = true;
            return Err(Full);
        }
        self.bytes += bytes;
        self.lines.push(DiffLine {
            kind,
            segments,
            paired,
        });
        Ok(())
    }

    /// Notes `count` unchanged lines left out.
    fn skip(&mut self, count: usize) -> Result<(), Full> {
        if count == 0 {
            return Ok(());
        }
        let text = match count {
            1 => "1 unchanged line".to_owned(),
            n => format!("{n} unchanged lines"),
        };
        self.push("skip", vec![(false, text)], false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(diff: &Diff) -> Vec<&'static str> {
        diff.lines.iter().map(|l| l.kind).collect()
    }

    /// The line with marked pieces in brackets: "two [three]".
    fn marked(line: &DiffLine) -> String {
        line.segments
            .iter()
            .map(|(changed, text)| {
                if *changed {
                    format!("[{text}]")
                } else {
                    text.clone()
                }
            })
            .collect()
    }

    #[test]
    fn changed_words_are_marked_within_changed_lines() {
        let diff = lines("one\ntwo three\nfour\n", "one\ntwo 3\nfour\nfive\n");
        assert_eq!(
            kinds(&diff),
            ["equal", "delete", "insert", "equal", "insert"]
        );
        assert!(diff.notice.is_none() && !diff.same);
        assert_eq!(marked(&diff.lines[1]), "two [three]");
        assert_eq!(marked(&diff.lines[2]), "two [3]");
        assert!(diff.lines[1].paired && diff.lines[2].paired);
        assert_eq!(marked(&diff.lines[4]), "five", "an added line has no marks");
        assert!(!diff.lines[4].paired);
    }

    #[test]
    fn a_replaced_line_is_shown_beside_its_new_version() {
        // A sentence changed in the second of three paragraphs, and a paragraph added
        // at the start: each old line sits right above its new version.
        let old =
            "The harbour at dawn.\n\nBoats leave early, before the sun.\n\nGulls follow them.\n";
        let new = "A new opening line.\n\nThe harbour at dusk.\n\nBoats leave late, after the sun.\n\nGulls follow them.\n";
        let diff = lines(old, new);
        let shown: Vec<(&str, String)> = diff.lines.iter().map(|l| (l.kind, marked(l))).collect();
        let changed: Vec<_> = shown.iter().filter(|(k, _)| *k != "equal").collect();
        assert_eq!(
            changed,
            [
                &("insert", "A new opening line.".to_owned()),
                &("insert", String::new()),
                &("delete", "The harbour at [dawn].".to_owned()),
                &("insert", "The harbour at [dusk].".to_owned()),
                &(
                    "delete",
                    "Boats leave [early], [before] the sun.".to_owned()
                ),
                &("insert", "Boats leave [late], [after] the sun.".to_owned()),
            ],
            "{shown:?}"
        );
    }

    #[test]
    fn unlike_lines_are_not_paired() {
        let diff = lines(
            "keep\nan old sentence here\nkeep too\n",
            "keep\ncompletely different words\nkeep too\n",
        );
        assert_eq!(kinds(&diff), ["equal", "delete", "insert", "equal"]);
        assert!(diff.lines[1..3].iter().all(|l| !l.paired));
        assert!(
            diff.lines
                .iter()
                .flat_map(|l| &l.segments)
                .all(|(changed, _)| !changed)
        );
    }

    #[test]
    fn lines_are_paired_in_order_with_the_most_alike() {
        let block = Block {
            old: &["alpha beta gamma\n", "delta epsilon\n"],
            new: &[
                "something new\n",
                "alpha beta gamma delta\n",
                "delta epsilon zeta\n",
            ],
        };
        let far = Instant::now() + Duration::from_secs(5);
        assert_eq!(
            block.steps(far),
            [Step::Added(0), Step::Pair(0, 1), Step::Pair(1, 2)]
        );
        // Out of time: no pairing at all, still every line.
        let past = Instant::now() - Duration::from_millis(1);
        assert_eq!(
            block.steps(past),
            [
                Step::Removed(0),
                Step::Removed(1),
                Step::Added(0),
                Step::Added(1),
                Step::Added(2)
            ]
        );
    }

    #[test]
    fn html_in_the_text_is_kept_as_text() {
        // The diff holds plain text; the template escapes it (see the compare page test).
        let diff = lines("<b>bold</b> & more\n", "<i>bold</i> & more\n");
        assert_eq!(marked(&diff.lines[0]), "<[b]>bold</[b]> & more");
        assert_eq!(marked(&diff.lines[1]), "<[i]>bold</[i]> & more");
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
        assert_eq!(marked(&diff.lines[5]), "line [fifty]");
    }

    #[test]
    fn the_same_text_has_no_lines() {
        let diff = lines("a\nb\n", "a\nb\n");
        assert!(diff.same);
        assert!(diff.lines.is_empty());
        assert!(diff.notice.is_none());
        assert!(lines("", "").same);
        assert!(
            !lines("a\n", "a").same,
            "a missing final newline is a change"
        );
    }

    #[test]
    fn tokens_split_words_spaces_and_punctuation() {
        assert_eq!(
            tokens("Hello,  wide world!!"),
            ["Hello", ",", "  ", "wide", " ", "world", "!", "!"]
        );
        assert_eq!(tokens("café x_y 42"), ["café", " ", "x_y", " ", "42"]);
        assert!(tokens("").is_empty());
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
