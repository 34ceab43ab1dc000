//! URL slugs: lower-case letters and digits joined by single hyphens.

/// Longest slug we generate; long enough for any sensible title.
pub const MAX_LEN: usize = 80;

/// Turns a title or a name into a slug; `None` when nothing usable is left
/// (e.g. a title made only of punctuation).
pub fn slugify(text: &str) -> Option<String> {
    let mut slug = String::with_capacity(text.len());
    let mut pending_hyphen = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            if pending_hyphen && !slug.is_empty() {
                slug.push('-');
            }
            pending_hyphen = false;
            slug.push(c);
        } else {
            pending_hyphen = true;
        }
        if slug.chars().count() >= MAX_LEN {
            break;
        }
    }
    (!slug.is_empty()).then_some(slug)
}

/// Whether `raw` has the shape of a slug this site makes: lower-case letters and digits in
/// groups joined by single hyphens (as `slugify` and `numbered` write them), at most
/// `MAX_LEN` plus a numbering suffix. For slugs that come from elsewhere (an imported archive).
pub fn is_slug(raw: &str) -> bool {
    !raw.is_empty()
        && raw.chars().count() <= MAX_LEN + 11
        && raw
            .split('-')
            .all(|group| !group.is_empty() && group.chars().all(is_slug_char))
}

fn is_slug_char(c: char) -> bool {
    c.is_alphanumeric() && c.to_lowercase().eq(std::iter::once(c))
}

/// The `attempt`-th candidate for a unique slug: `base`, then `base-2`, `base-3`, …
pub fn numbered(base: &str, attempt: u32) -> String {
    if attempt <= 1 {
        base.to_owned()
    } else {
        format!("{base}-{attempt}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugify_joins_words_with_single_hyphens() {
        assert_eq!(slugify("Hello, World!").as_deref(), Some("hello-world"));
        assert_eq!(slugify("  --Rust   & SQL-- ").as_deref(), Some("rust-sql"));
        assert_eq!(slugify("Ünïcödé Straße").as_deref(), Some("ünïcödé-straße"));
        assert_eq!(slugify("!!!"), None);
        assert_eq!(slugify(""), None);
    }

    #[test]
    fn slugify_caps_the_length() {
        let slug = slugify(&"word ".repeat(100)).unwrap();
        assert!(slug.chars().count() <= MAX_LEN + 4, "{slug}");
        assert!(!slug.ends_with('-'));
    }

    #[test]
    fn slug_shapes_are_recognised() {
        for good in ["hello-world", "ünïcödé-straße", "a", "post-2", "日本"] {
            assert!(is_slug(good), "{good}");
            assert_eq!(slugify(good).as_deref(), Some(good));
        }
        for bad in [
            "",
            "-a",
            "a-",
            "a--b",
            "Hello",
            "/evil.example",
            "a/b",
            "a b",
            "..",
            "a.b",
            "a_b",
        ] {
            assert!(!is_slug(bad), "{bad}");
        }
        assert!(!is_slug(&"a".repeat(200)));
    }

    #[test]
    fn numbered_candidates_count_up_from_two() {
        let first: Vec<_> = (1..=3).map(|n| numbered("ada", n)).collect();
        assert_eq!(first, ["ada", "ada-2", "ada-3"]);
    }
}
