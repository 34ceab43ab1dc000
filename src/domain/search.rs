//! Turning whatever a reader typed into safe search terms: words of letters and digits
//! only, so quotes, operators and markup can never reach the search engine's syntax.

/// Words we search for at most; the rest of a long query is ignored (and the reader told).
pub const MAX_TERMS: usize = 12;
const MAX_TERM_CHARS: usize = 40;

pub struct Terms {
    pub words: Vec<String>,
    /// The query had more than [`MAX_TERMS`] words.
    pub shortened: bool,
}

pub fn terms(input: &str) -> Terms {
    let mut words: Vec<String> = Vec::new();
    let mut shortened = false;
    for word in input
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let word: String = word.to_lowercase().chars().take(MAX_TERM_CHARS).collect();
        if words.contains(&word) {
            continue;
        }
        if words.len() == MAX_TERMS {
            shortened = true;
            break;
        }
        words.push(word);
    }
    Terms { words, shortened }
}

/// SQLite FTS5: every word as a quoted prefix term, all required.
pub fn fts5_query(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("\"{w}\"*"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// PostgreSQL `to_tsquery`: every word as a prefix, all required.
pub fn tsquery(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("{w}:*"))
        .collect::<Vec<_>>()
        .join(" & ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_quotes_and_markup_are_just_separators() {
        let t = terms("\"engine\" OR NEAR(x) <script>alert('1')</script> -- ; DROP TABLE");
        assert_eq!(
            t.words,
            [
                "engine", "or", "near", "x", "script", "alert", "1", "drop", "table"
            ]
        );
        assert_eq!(fts5_query(&t.words[..2]), "\"engine\"* \"or\"*");
        assert_eq!(tsquery(&t.words[..2]), "engine:* & or:*");
    }

    #[test]
    fn unicode_words_survive_and_long_queries_are_shortened() {
        assert_eq!(
            terms("Ünïcode straße 東京").words,
            ["ünïcode", "straße", "東京"]
        );
        let long = "word ".repeat(2_000) + &(0..50).map(|n| format!("w{n} ")).collect::<String>();
        let t = terms(&long);
        assert_eq!(t.words.len(), MAX_TERMS);
        assert!(t.shortened);
        assert!(terms("   ").words.is_empty());
        assert!(terms("!!! ??? ***").words.is_empty());
    }
}
