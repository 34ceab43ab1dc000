//! Links to the old site's uploads, pointed at the media library.

use regex::Regex;

/// Replaces links to the old site's uploads. For every occurrence of one of
/// `uploads_base_urls` (any of http, https or scheme-relative) followed by a relative path,
/// `new_url` is asked for the path of the original upload: the path as written, then
/// without a WordPress size suffix (`photo-300x200.jpg` → `photo.jpg`), then with
/// `-scaled` (`photo-scaled.jpg`, WordPress ≥ 5.3's big original), then without `-scaled`
/// (and the same percent-decoded when the path has `%`). When it answers, the absolute URL
/// and any query string are replaced by its answer, inserted as is (a `/media/…` path needs
/// no escaping). Returns the new text and how many URLs were replaced.
pub fn replace_upload_urls(
    body: &str,
    uploads_base_urls: &[String],
    new_url: impl Fn(&str) -> Option<String>,
) -> (String, usize) {
    let mut bases: Vec<String> = uploads_base_urls
        .iter()
        .filter_map(|base| without_scheme(base))
        .collect();
    if bases.is_empty() || !body.contains("//") {
        return (body.to_owned(), 0);
    }
    // Longest first, so `…/uploads/sites/2/` wins over `…/uploads/`.
    bases.sort_by_key(|base| std::cmp::Reverse(base.len()));
    bases.dedup();
    let alternatives: Vec<String> = bases.iter().map(|base| regex::escape(base)).collect();
    let Ok(pattern) = Regex::new(&format!("(?i)(?:https?:)?//(?:{})", alternatives.join("|")))
    else {
        return (body.to_owned(), 0);
    };

    let mut out = String::with_capacity(body.len());
    let mut copied = 0;
    let mut replaced = 0;
    for found in pattern.find_iter(body) {
        // Skip matches inside a URL already replaced (in its query string).
        if found.start() < copied {
            continue;
        }
        // `//host/…` after another scheme (`ftp://`) or inside a path is not ours.
        if found.as_str().starts_with("//")
            && body[..found.start()]
                .chars()
                .next_back()
                .is_some_and(|c| c == ':' || c == '/' || c.is_alphanumeric())
        {
            continue;
        }
        let path_end = found.end()
            + body[found.end()..]
                .find(ends_upload_path)
                .unwrap_or(body.len() - found.end());
        let relative = &body[found.end()..path_end];
        if relative.is_empty() {
            continue;
        }
        let end = if body[path_end..].starts_with('?') {
            query_end(body, path_end)
        } else {
            path_end
        };
        let Some(url) = upload_candidates(relative)
            .iter()
            .find_map(|candidate| new_url(candidate))
        else {
            continue;
        };
        out.push_str(&body[copied..found.start()]);
        out.push_str(&url);
        copied = end;
        replaced += 1;
    }
    out.push_str(&body[copied..]);
    (out, replaced)
}

/// `https://old.example/wp-content/uploads` → `old.example/wp-content/uploads/`.
fn without_scheme(base: &str) -> Option<String> {
    let base = base.trim();
    let lower = base.to_ascii_lowercase();
    let rest = ["https://", "http://", "//"]
        .iter()
        .find(|prefix| lower.starts_with(*prefix))
        .map_or(base, |prefix| &base[prefix.len()..]);
    let rest = rest.trim_end_matches('/');
    // A host alone is no uploads folder; an empty base would match every URL.
    if rest.is_empty() {
        return None;
    }
    Some(format!("{rest}/"))
}

/// Where an upload's path ends: quotes, whitespace, markup, and characters WordPress's
/// `sanitize_file_name` never leaves in a file name (`)`, `,`, `[`, `]`, `&`, `;`, `\`),
/// besides the query and fragment.
fn ends_upload_path(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '"' | '\'' | '<' | '>' | ')' | '?' | '#' | ',' | '[' | ']' | '&' | ';' | '\\'
        )
}

/// End of the query string starting at `start` (a `?`). A comma ends it only before
/// whitespace (`srcset="a.jpg?v=1 300w, b.jpg 600w"`), as `?resize=300,200` is one query.
fn query_end(body: &str, start: usize) -> usize {
    let mut chars = body[start..].char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let ends = c.is_whitespace()
            || matches!(c, '"' | '\'' | '<' | '>' | ')' | '#' | '[' | ']' | '\\')
            || (c == ',' && chars.peek().is_none_or(|&(_, next)| next.is_whitespace()));
        if ends {
            return start + i;
        }
    }
    body.len()
}

/// The paths under which the original of `relative` may be known, most likely first.
fn upload_candidates(relative: &str) -> Vec<String> {
    let mut candidates = Vec::new();
    let mut add = |path: &str| {
        if !candidates.iter().any(|c| c == path) {
            candidates.push(path.to_owned());
        }
    };
    let mut forms = vec![relative.to_owned()];
    if relative.contains('%')
        && let Some(decoded) = percent_decode(relative)
    {
        forms.push(decoded);
    }
    for path in &forms {
        add(path);
        let original = without_size_suffix(path);
        if let Some(original) = &original {
            add(original);
        }
        let original = original.as_deref().unwrap_or(path);
        if let Some((stem, ext)) = split_extension(original) {
            match stem.strip_suffix("-scaled") {
                Some(unscaled) => add(&format!("{unscaled}.{ext}")),
                None => add(&format!("{stem}-scaled.{ext}")),
            }
        }
    }
    candidates
}

/// `2020/01/photo.jpg` → `("2020/01/photo", "jpg")`; only when the last segment has one.
fn split_extension(path: &str) -> Option<(&str, &str)> {
    let (stem, ext) = path.rsplit_once('.')?;
    let valid = !ext.is_empty()
        && ext.len() <= 5
        && ext.bytes().all(|b| b.is_ascii_alphanumeric())
        && !stem.is_empty()
        && !stem.ends_with('/');
    valid.then_some((stem, ext))
}

/// `photo-300x200.jpg` → `photo.jpg` (the names WordPress gives resized copies).
fn without_size_suffix(path: &str) -> Option<String> {
    let (stem, ext) = split_extension(path)?;
    let (head, size) = stem.rsplit_once('-')?;
    let (width, height) = size.split_once('x')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(width) && digits(height) && !head.is_empty() && !head.ends_with('/'))
        .then(|| format!("{head}.{ext}"))
}

/// Decodes `%XX` escapes; `None` when the result is not UTF-8 or an escape is malformed.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    // replace_upload_urls

    const BASE: &str = "https://old.example/wp-content/uploads/";

    fn library(path: &str) -> Option<String> {
        match path {
            "2020/01/photo.jpg" => Some("/media/photo.jpg".to_owned()),
            "2021/02/big-scaled.jpg" => Some("/media/big.jpg".to_owned()),
            "2022/03/café.png" => Some("/media/cafe.png".to_owned()),
            _ => None,
        }
    }

    fn replace(body: &str) -> (String, usize) {
        replace_upload_urls(body, &[BASE.to_owned()], library)
    }

    #[test]
    fn upload_urls_are_replaced_in_any_scheme() {
        let (out, n) = replace(
            "<img src=\"https://old.example/wp-content/uploads/2020/01/photo.jpg\"> \
             <a href='http://old.example/wp-content/uploads/2020/01/photo.jpg?ver=2#top'>x</a> \
             <img src=\"//OLD.example/wp-content/uploads/2020/01/photo.jpg\">",
        );
        assert_eq!(
            out,
            "<img src=\"/media/photo.jpg\"> <a href='/media/photo.jpg#top'>x</a> \
             <img src=\"/media/photo.jpg\">"
        );
        assert_eq!(n, 3);
    }

    #[test]
    fn resized_and_scaled_copies_map_to_the_original() {
        let (out, n) = replace(
            "<img src=\"https://old.example/wp-content/uploads/2020/01/photo-300x200.jpg\" \
             srcset=\"https://old.example/wp-content/uploads/2020/01/photo-300x200.jpg 300w, \
             https://old.example/wp-content/uploads/2020/01/photo-1024x683.jpg?resize=1024,683 1024w,\
             https://old.example/wp-content/uploads/2020/01/photo.jpg 2000w\"> \
             https://old.example/wp-content/uploads/2021/02/big-1536x1024.jpg \
             https://old.example/wp-content/uploads/2021/02/big.jpg \
             https://old.example/wp-content/uploads/2021/02/big-scaled.jpg",
        );
        assert_eq!(
            out,
            "<img src=\"/media/photo.jpg\" srcset=\"/media/photo.jpg 300w, /media/photo.jpg 1024w,\
             /media/photo.jpg 2000w\"> /media/big.jpg /media/big.jpg /media/big.jpg"
        );
        assert_eq!(n, 7);
    }

    #[test]
    fn upload_paths_end_where_urls_do() {
        let (out, n) = replace(
            "url(https://old.example/wp-content/uploads/2020/01/photo.jpg), \
             [audio mp3=\"https://old.example/wp-content/uploads/2020/01/photo.jpg\"] \
             [embed]https://old.example/wp-content/uploads/2020/01/photo.jpg[/embed] \
             {&quot;url&quot;:&quot;https://old.example/wp-content/uploads/2020/01/photo.jpg&quot;} \
             <a href=https://old.example/wp-content/uploads/2020/01/photo.jpg>x</a>, \
             https://old.example/wp-content/uploads/2022/03/caf%C3%A9.png.",
        );
        assert_eq!(
            out,
            "url(/media/photo.jpg), [audio mp3=\"/media/photo.jpg\"] [embed]/media/photo.jpg[/embed] \
             {&quot;url&quot;:&quot;/media/photo.jpg&quot;} <a href=/media/photo.jpg>x</a>, \
             https://old.example/wp-content/uploads/2022/03/caf%C3%A9.png."
        );
        assert_eq!(n, 5);
        // The trailing "." belonged to the sentence, but a path can't tell: "café.png." is
        // unknown. Without it the percent-decoded name is found.
        let (out, n) = replace("https://old.example/wp-content/uploads/2022/03/caf%C3%A9.png");
        assert_eq!((out.as_str(), n), ("/media/cafe.png", 1));
    }

    #[test]
    fn unknown_files_and_other_sites_are_left_alone() {
        let body = "https://other.example/wp-content/uploads/2020/01/photo.jpg \
                    https://old.example/wp-content/uploads/2020/01/missing.jpg \
                    ftp://old.example/wp-content/uploads/2020/01/photo.jpg \
                    https://old.example/wp-content/uploads/ \
                    https://old.example/wp-content/themes/x/photo.jpg";
        assert_eq!(replace(body), (body.to_owned(), 0));
        assert_eq!(
            replace_upload_urls(body, &[], library),
            (body.to_owned(), 0)
        );
        assert_eq!(
            replace_upload_urls(body, &[String::new(), "https://".to_owned()], library),
            (body.to_owned(), 0)
        );
    }

    #[test]
    fn several_bases_prefer_the_longest() {
        let bases = [
            "HTTPS://Old.Example/wp-content/uploads".to_owned(),
            "https://old.example/wp-content/uploads/sites/2/".to_owned(),
        ];
        let (out, n) = replace_upload_urls(
            "<img src=\"https://old.example/wp-content/uploads/sites/2/2020/01/photo.jpg\">",
            &bases,
            library,
        );
        assert_eq!((out.as_str(), n), ("<img src=\"/media/photo.jpg\">", 1));
    }

    #[test]
    fn upload_candidates_try_the_original_names() {
        assert_eq!(
            upload_candidates("2020/01/photo-300x200.jpg"),
            [
                "2020/01/photo-300x200.jpg",
                "2020/01/photo.jpg",
                "2020/01/photo-scaled.jpg"
            ]
        );
        assert_eq!(
            upload_candidates("2020/01/photo-scaled.jpg"),
            ["2020/01/photo-scaled.jpg", "2020/01/photo.jpg"]
        );
        assert_eq!(upload_candidates("2020/01/README"), ["2020/01/README"]);
        assert_eq!(
            upload_candidates("2020/01/-1x1.jpg"),
            ["2020/01/-1x1.jpg", "2020/01/-1x1-scaled.jpg"]
        );
    }
}
