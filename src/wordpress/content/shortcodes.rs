//! Shortcodes: the few WordPress core ones we can show (caption, embed) become HTML; the
//! others stay as text and are reported.

use std::collections::HashMap;

use super::autop::PHP_TRIM;
use crate::render::markdown::{decode_entities, escape_html};

/// Shortcodes every WordPress registers: reported even without attributes.
const CORE_SHORTCODES: &[&str] = &[
    "gallery",
    "audio",
    "video",
    "playlist",
    "embed",
    "caption",
    "wp_caption",
];

/// Attributes longer than this are not a shortcode's (bounds the work a stray `[` costs).
const MAX_SHORTCODE_TAG_LEN: usize = 4096;

/// One shortcode found in the text, by byte offsets.
#[derive(Debug)]
struct Shortcode<'a> {
    name: &'a str,
    attrs: &'a str,
    self_closing: bool,
    /// Just after the opening tag's `]`.
    open_end: usize,
    /// Start and end of the `[/name]` closing tag, when there is one.
    closing: Option<(usize, usize)>,
}

impl Shortcode<'_> {
    /// End of the whole shortcode (closing tag included).
    fn end(&self) -> usize {
        self.closing.map_or(self.open_end, |(_, end)| end)
    }

    /// Whether this looks like a shortcode rather than prose in brackets ("[sic]").
    fn is_likely(&self) -> bool {
        CORE_SHORTCODES.contains(&self.name)
            || self.attrs.contains('=')
            || self.self_closing
            || self.closing.is_some()
    }
}

/// Renders `[caption]`/`[wp_caption]` and `[embed]`; other shortcodes stay as written and
/// are reported. `[[name]]`, WordPress's escape for a literal shortcode, becomes `[name]`.
/// Brackets inside HTML tags and comments (`<a title="[x]">`) are not looked at.
pub(super) fn render_shortcodes(text: &str) -> (String, Vec<String>) {
    if !text.contains('[') {
        return (text.to_owned(), Vec::new());
    }
    let closing_tags = closing_tags(text);
    // Where the last tag and comment close: a `<` after that can't start either, and
    // searching for their ends again for every such `<` would be quadratic.
    let last_tag_end = text.rfind('>');
    let last_comment_end = text.rfind("-->");
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut reported: Vec<String> = Vec::new();
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'<' => {
                let comment = text[i..].starts_with("<!--");
                let last_end = if comment {
                    last_comment_end
                } else {
                    last_tag_end
                };
                i += if last_end.is_some_and(|end| end > i) {
                    markup_len(&text[i..])
                } else {
                    1
                };
            }
            b'[' if bytes.get(i + 1) == Some(&b'[') => {
                match parse_shortcode(text, i + 1, &closing_tags) {
                    Some(code) if code.is_likely() && bytes.get(code.end()) == Some(&b']') => {
                        out.push_str(&text[copied..i]);
                        out.push_str(&text[i + 1..code.end()]);
                        copied = code.end() + 1;
                        i = copied;
                    }
                    // The second `[` may start a shortcode: look at it next.
                    _ => i += 1,
                }
            }
            b'[' => match parse_shortcode(text, i, &closing_tags) {
                Some(code) if code.is_likely() => match render_shortcode(text, &code) {
                    Some(html) => {
                        out.push_str(&text[copied..i]);
                        out.push_str(&html);
                        copied = code.end();
                        i = copied;
                    }
                    None => {
                        if !reported.iter().any(|name| name == code.name) {
                            reported.push(code.name.to_owned());
                        }
                        // Shortcodes nest: keep looking inside this one's content.
                        i = code.open_end;
                    }
                },
                _ => i += 1,
            },
            _ => i += 1,
        }
    }
    out.push_str(&text[copied..]);
    (out, reported)
}

/// Bytes to skip at a `<`: a whole comment or tag, or just the `<` when it starts neither.
fn markup_len(s: &str) -> usize {
    let starts_markup = s
        .as_bytes()
        .get(1)
        .is_some_and(|&b| b.is_ascii_alphabetic() || b == b'/' || b == b'!');
    if !starts_markup {
        return 1;
    }
    let end = if let Some(comment) = s.strip_prefix("<!--") {
        comment.find("-->").map(|i| "<!--".len() + i + "-->".len())
    } else {
        s.find('>').map(|i| i + 1)
    };
    // Unclosed: it was not markup after all.
    end.unwrap_or(1)
}

/// Positions of every `[/name]` by name, found in one pass (looking each one up per
/// shortcode would be quadratic on hostile input).
fn closing_tags(text: &str) -> HashMap<&str, Vec<usize>> {
    let mut found: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut from = 0;
    while let Some(offset) = text[from..].find("[/") {
        let start = from + offset;
        let name_start = start + 2;
        let name_len = shortcode_name_len(&text[name_start..]);
        if name_len > 0 && text[name_start + name_len..].starts_with(']') {
            found
                .entry(&text[name_start..name_start + name_len])
                .or_default()
                .push(start);
        }
        from = name_start;
    }
    found
}

/// Length of the shortcode name at the start of `s`: a letter, then letters, digits, `_`, `-`.
fn shortcode_name_len(s: &str) -> usize {
    let bytes = s.as_bytes();
    if !bytes.first().is_some_and(u8::is_ascii_alphabetic) {
        return 0;
    }
    bytes
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_' || **b == b'-')
        .count()
}

/// The shortcode whose `[` is at `start`, if the text there has a shortcode's shape.
fn parse_shortcode<'a>(
    text: &'a str,
    start: usize,
    closing_tags: &HashMap<&str, Vec<usize>>,
) -> Option<Shortcode<'a>> {
    let name_start = start + 1;
    let name_len = shortcode_name_len(&text[name_start..]);
    if name_len == 0 {
        return None;
    }
    let name = &text[name_start..name_start + name_len];
    let attrs_start = name_start + name_len;
    let after_name = *text.as_bytes().get(attrs_start)?;
    if !(after_name.is_ascii_whitespace() || after_name == b']' || after_name == b'/') {
        return None;
    }
    // The attributes run to the first `]`; a `[` first means this was no tag.
    let window_end = text.len().min(attrs_start + MAX_SHORTCODE_TAG_LEN);
    let close = text.as_bytes()[attrs_start..window_end]
        .iter()
        .position(|&b| b == b']' || b == b'[')
        .map(|i| attrs_start + i)
        .filter(|&i| text.as_bytes()[i] == b']')?;
    let self_closing = text[attrs_start..close].ends_with('/');
    let attrs_end = if self_closing { close - 1 } else { close };
    let open_end = close + 1;
    let closing = if self_closing {
        None
    } else {
        closing_tags.get(name).and_then(|positions| {
            let first = positions.partition_point(|&p| p < open_end);
            positions
                .get(first)
                .map(|&p| (p, p + name.len() + "[/]".len()))
        })
    };
    Some(Shortcode {
        name,
        attrs: &text[attrs_start..attrs_end],
        self_closing,
        open_end,
        closing,
    })
}

/// The HTML for the shortcodes we render, `None` for the others.
fn render_shortcode(text: &str, code: &Shortcode) -> Option<String> {
    let (content_end, _) = code.closing?;
    let content = &text[code.open_end..content_end];
    match code.name {
        "caption" | "wp_caption" => Some(render_caption(code.attrs, content)),
        "embed" => Some(embed_link(content.trim())),
        _ => None,
    }
}

/// `img_caption_shortcode`: the caption is the `caption` attribute, or else the text after
/// the (possibly linked) image. Without caption text WordPress shows the content alone.
/// Sized, aligned `<figure class="wp-caption">` is left to our stylesheet.
fn render_caption(attrs: &str, content: &str) -> String {
    let (media, caption) = match shortcode_attr(attrs, "caption") {
        Some(caption) => (content.trim().to_owned(), caption),
        None => match regex!(concat!(
            r"(?is)((?:<a",
            ws!(),
            "[^>]+>",
            ws!(),
            "*)?<img",
            ws!(),
            "[^>]+>(?:",
            ws!(),
            "*</a>)?)(.*)"
        ))
        .captures(content)
        {
            Some(caps) => (
                caps[1].to_owned(),
                caps[2].trim_matches(PHP_TRIM).to_owned(),
            ),
            None => return content.to_owned(),
        },
    };
    if caption.is_empty() {
        return media;
    }
    format!("<figure>{media}<figcaption>{caption}</figcaption></figure>")
}

/// The value of attribute `name` in a shortcode's attribute text (`a="x" b='y' c=z`).
fn shortcode_attr(attrs: &str, name: &str) -> Option<String> {
    let caps = regex!(r#"([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s'"]+))"#);
    caps.captures_iter(attrs)
        .find(|c| c[1].eq_ignore_ascii_case(name))
        .and_then(|c| c.get(2).or(c.get(3)).or(c.get(4)))
        .map(|m| m.as_str().to_owned())
}

/// `[embed]URL[/embed]` and embed blocks: a paragraph with a link to the URL (WordPress
/// would show the provider's player).
pub(super) fn embed_link(url: &str) -> String {
    // Content may hold `&amp;` already: decode once, then escape once.
    let url = decode_entities(url.trim());
    if url.is_empty() {
        return String::new();
    }
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        format!(
            "<p><a href=\"{}\">{}</a></p>",
            escape_html(&url),
            escape_html(&url)
        )
    } else {
        format!("<p>{}</p>", escape_html(&url))
    }
}
