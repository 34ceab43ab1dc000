//! How long a text is to read: its words and minutes, as the editor shows them under the
//! text ("312 words · 2 min read"). `static/admin.js` counts the same way as you type.

use super::counted;

/// Words a minute of an adult reading on a screen (the usual estimate is 200–260).
pub const WORDS_PER_MINUTE: usize = 230;

/// The words of a Markdown text: runs separated by white space that hold a letter or a
/// digit (so `-`, `#`, `>` and `**` alone are not words), not counting link and image
/// addresses (`[text](address)` counts the text only).
pub fn word_count(markdown: &str) -> usize {
    without_link_targets(markdown)
        .split_whitespace()
        .filter(|word| word.chars().any(char::is_alphanumeric))
        .count()
}

/// Minutes to read `words`, rounded up; 0 for no words.
pub fn minutes(words: usize) -> usize {
    words.div_ceil(WORDS_PER_MINUTE)
}

/// "312 words · 2 min read", "1 word · 1 min read", "0 words".
pub fn summary(markdown: &str) -> String {
    let words = word_count(markdown);
    let counted_words = counted(words, "word", "words");
    match minutes(words) {
        0 => counted_words,
        n => format!("{counted_words} · {n} min read"),
    }
}

/// The text with every `](…)` (a link's or image's address) dropped.
fn without_link_targets(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut rest = markdown;
    while let Some(at) = rest.find("](") {
        out.push_str(&rest[..=at]);
        let after = &rest[at + 2..];
        match after.find(')') {
            Some(end) => rest = &after[end + 1..],
            None => {
                rest = after;
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_runs_with_a_letter_or_digit() {
        assert_eq!(word_count(""), 0);
        assert_eq!(word_count("  \n\n "), 0);
        assert_eq!(word_count("# Hello world\n\n- one\n- two 2"), 5);
        assert_eq!(word_count("**bold** and _italic_ — done."), 4);
        assert_eq!(
            word_count("> quoted *text*\n\n---\n\n```\nlet x = 1;\n```"),
            5
        );
        assert_eq!(word_count("Straße café naïve 東京"), 4);
    }

    #[test]
    fn link_and_image_addresses_are_not_words() {
        assert_eq!(word_count("See [the docs](https://example.org/a b) now"), 4);
        assert_eq!(word_count("![A harbour at dusk](/media/x.jpg)"), 4);
        assert_eq!(word_count("an unclosed [link](http://x"), 3);
    }

    #[test]
    fn reading_time_rounds_up_and_says_nothing_for_no_words() {
        assert_eq!(minutes(0), 0);
        assert_eq!(minutes(1), 1);
        assert_eq!(minutes(230), 1);
        assert_eq!(minutes(231), 2);
        assert_eq!(summary(""), "0 words");
        assert_eq!(summary("Hello"), "1 word · 1 min read");
        assert_eq!(summary(&"word ".repeat(312)), "312 words · 2 min read");
    }
}
