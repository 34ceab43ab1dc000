//! Line-by-line diffs with word-level highlights, for comparing revisions.

use similar::{ChangeTag, TextDiff};

/// One line of a diff; `segments` mark the words that changed within it.
pub struct DiffLine {
    /// "equal", "insert" or "delete".
    pub kind: &'static str,
    pub segments: Vec<(bool, String)>,
}

pub fn lines(old: &str, new: &str) -> Vec<DiffLine> {
    let diff = TextDiff::from_lines(old, new);
    let mut out = Vec::new();
    for op in diff.ops() {
        for change in diff.iter_inline_changes(op) {
            let kind = match change.tag() {
                ChangeTag::Equal => "equal",
                ChangeTag::Insert => "insert",
                ChangeTag::Delete => "delete",
            };
            let segments = change
                .iter_strings_lossy()
                .map(|(emphasised, text)| (emphasised, text.trim_end_matches('\n').to_owned()))
                .collect();
            out.push(DiffLine { kind, segments });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_words_are_marked_within_changed_lines() {
        let diff = lines("one\ntwo three\nfour\n", "one\ntwo 3\nfour\nfive\n");
        let kinds: Vec<_> = diff.iter().map(|l| l.kind).collect();
        assert_eq!(kinds, ["equal", "delete", "insert", "equal", "insert"]);
        let deleted = &diff[1];
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
}
