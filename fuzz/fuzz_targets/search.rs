//! Search query reduction. Properties: at most MAX_TERMS words of letters and digits (and
//! the combining marks lowercasing adds: "İ" → "i̇"; PostgreSQL keeps them inside the
//! lexeme), so the FTS5 and tsquery strings made from them hold no operator or quote the
//! reader typed; snippets of any text never panic (char boundaries).
#![no_main]

use folio::domain::search;
use libfuzzer_sys::fuzz_target;

/// Never whitespace, control characters or ASCII punctuation (quotes, operators).
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || !(c.is_ascii() || c.is_whitespace() || c.is_control())
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    // The first line is the query, the rest a post's text.
    let (query, text) = input.split_once('\n').unwrap_or((input, input));
    let terms = search::terms(query);
    assert!(terms.words.len() <= search::MAX_TERMS);
    for word in &terms.words {
        assert!(!word.is_empty());
        assert!(word.chars().count() <= 40, "{word:?}");
        assert!(word.chars().all(is_word_char), "{word:?}");
    }
    for prefix in [false, true] {
        let fts = search::fts5_query(&terms.words, prefix);
        // Every quote is one we wrote around a word.
        assert_eq!(fts.matches('"').count(), 2 * terms.words.len(), "{fts:?}");
        let ts = search::tsquery(&terms.words, prefix);
        assert!(
            ts.chars().all(|c| is_word_char(c) || " &:*".contains(c)),
            "{ts:?}"
        );
    }
    let _ = search::snippet(text, &terms.words, ('[', ']'));
});
