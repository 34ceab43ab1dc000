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

/// Words shorter than this never match as prefixes: "mit" would have to merge the index
/// entries of every word starting with it.
pub const MIN_PREFIX_CHARS: usize = 4;

fn as_prefix(word: &str, prefix: bool) -> bool {
    prefix && word.chars().count() >= MIN_PREFIX_CHARS
}

/// SQLite FTS5: every word as a quoted term (or prefix), all required.
pub fn fts5_query(words: &[String], prefix: bool) -> String {
    words
        .iter()
        .map(|w| format!("\"{w}\"{}", if as_prefix(w, prefix) { "*" } else { "" }))
        .collect::<Vec<_>>()
        .join(" ")
}

/// PostgreSQL `to_tsquery`: every word (or prefix), all required.
pub fn tsquery(words: &[String], prefix: bool) -> String {
    words
        .iter()
        .map(|w| format!("{w}{}", if as_prefix(w, prefix) { ":*" } else { "" }))
        .collect::<Vec<_>>()
        .join(" & ")
}

/// Words shown around the first match in a snippet.
const SNIPPET_WORDS: usize = 30;
/// Of those, how many come before the match.
const SNIPPET_LEAD: usize = 8;

/// A short extract of `text` around its first word that starts with one of `words`
/// (lowercase), with every such word between `mark.0` and `mark.1`, and "…" where cut.
pub fn snippet(text: &str, words: &[String], mark: (char, char)) -> String {
    // Byte ranges of the words of the text.
    let mut tokens: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (at, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(at),
            (false, Some(s)) => {
                tokens.push((s, at));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        tokens.push((s, text.len()));
    }
    let matches = |&(s, e): &(usize, usize)| {
        let token = text[s..e].to_lowercase();
        words.iter().any(|w| token.starts_with(w.as_str()))
    };
    let first = tokens.iter().position(matches).unwrap_or(0);
    let from = first.saturating_sub(SNIPPET_LEAD);
    let to = (from + SNIPPET_WORDS).min(tokens.len());
    let Some(&(begin, _)) = tokens.get(from) else {
        return String::new();
    };
    let end = tokens[to - 1].1;
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    let mut at = begin;
    for token in &tokens[from..to] {
        out.push_str(&text[at..token.0]);
        if matches(token) {
            out.push(mark.0);
            out.push_str(&text[token.0..token.1]);
            out.push(mark.1);
        } else {
            out.push_str(&text[token.0..token.1]);
        }
        at = token.1;
    }
    if to < tokens.len() {
        out.push('…');
    } else {
        out.push_str(&text[end..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_mark_matches_around_the_first_one() {
        let words = vec!["engine".to_owned(), "tab".to_owned()];
        let text =
            "One two three four five six seven eight nine ten. The Engines compute tables, engine!";
        let out = snippet(text, &words, ('[', ']'));
        assert_eq!(
            out,
            "…four five six seven eight nine ten. The [Engines] compute [tables], [engine]!"
        );
        assert_eq!(
            snippet("no match here", &words, ('[', ']')),
            "no match here"
        );
        assert_eq!(snippet("", &words, ('[', ']')), "");
        let long = "word ".repeat(100);
        assert!(snippet(&long, &words, ('[', ']')).ends_with('…'));
    }

    #[test]
    fn operators_quotes_and_markup_are_just_separators() {
        let t = terms("\"engine\" OR NEAR(x) <script>alert('1')</script> -- ; DROP TABLE");
        assert_eq!(
            t.words,
            [
                "engine", "or", "near", "x", "script", "alert", "1", "drop", "table"
            ]
        );
        assert_eq!(fts5_query(&t.words[..2], true), "\"engine\"* \"or\"");
        assert_eq!(fts5_query(&t.words[..2], false), "\"engine\" \"or\"");
        assert_eq!(tsquery(&t.words[..2], true), "engine:* & or");
        assert_eq!(tsquery(&t.words[..2], false), "engine & or");
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
