//! WordPress post HTML → the body Folio stores (see the module docs of `wordpress`).
//!
//! WordPress stores `post_content` as "almost HTML": a classic post relies on `wpautop` to
//! turn blank lines into paragraphs when the page is shown, a block post carries
//! `<!-- wp:… -->` delimiters, and both may hold shortcodes. [`convert`] produces the HTML a
//! WordPress reader saw, shaped so that our Markdown renderer passes it through untouched
//! (one CommonMark HTML block, see [`markdown_safe`]). Pure functions: no database, no I/O.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::{Captures, Regex};

use crate::render::markdown::{decode_entities, escape_html, html_text};

/// A post body ready to store as `body_markdown`, and the shortcodes left in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Converted {
    pub body: String,
    /// Names of shortcodes we could not render (they stay in the text as written), unique,
    /// in order of first appearance.
    pub shortcodes: Vec<String>,
}

/// A regex compiled once, on first use.
macro_rules! regex {
    ($pattern:expr) => {{
        static RE: LazyLock<Regex> =
            LazyLock::new(|| Regex::new($pattern).expect("static regex is valid"));
        &*RE
    }};
}

/// PCRE's `\s` as WordPress's patterns see it (no `u` flag): ASCII whitespace only, where
/// Rust's `\s` would also match U+00A0 and friends.
macro_rules! ws {
    () => {
        r"[\t\n\x0B\x0C\r ]"
    };
}

/// `$allblocks` of `wpautop` (WordPress 6.x: `math` moved to the newline-preserving list).
macro_rules! allblocks {
    () => {
        "(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre\
         |form|map|area|blockquote|address|style|p|h[1-6]|hr|fieldset|legend|section|article\
         |aside|hgroup|header|footer|nav|figure|figcaption|details|menu|summary)"
    };
}

/// Converts WordPress `post_content` (as in `<content:encoded>`) to the body we store.
pub fn convert(raw: &str) -> Converted {
    // CommonMark ends lines at "\r" too: settle line endings before anything counts lines.
    let text = raw.replace("\r\n", "\n").replace('\r', "\n");
    // WordPress's own test (`has_blocks`): block content is never run through wpautop.
    let has_blocks = text.contains("<!-- wp:");
    let text = if has_blocks {
        regex!(concat!(
            r"(?s)<!--",
            ws!(),
            r"+/?wp:[a-z][a-z0-9_-]*(?:/[a-z][a-z0-9_-]*)?(?:",
            ws!(),
            r"+.*?)?-->"
        ))
        .replace_all(&text, "")
        .into_owned()
    } else {
        text
    };
    let text = strip_more_tags(&text);
    let (text, shortcodes) = render_shortcodes(&text);
    let html = if has_blocks {
        link_block_embeds(&text)
    } else {
        autop(&text)
    };
    Converted {
        body: markdown_safe(&html),
        shortcodes,
    }
}

/// `<!--more-->`, `<!--noteaser-->` and `<!--nextpage-->` split a post into teaser and pages
/// on WordPress; we show the whole post on one page. Removed rather than left as comments
/// so that autop doesn't make an empty paragraph of them.
fn strip_more_tags(text: &str) -> String {
    regex!(r"(?s)<!--more.*?-->|<!--noteaser-->|<!--nextpage-->")
        .replace_all(text, "")
        .into_owned()
}

/// WordPress replaces the bare URL of an embed block with the provider's player when the
/// page is shown; we can't, so the URL becomes a link.
fn link_block_embeds(html: &str) -> String {
    regex!(concat!(
        r#"(<div class="wp-block-embed__wrapper">)"#,
        ws!(),
        r#"*(https?://[^\t\n\x0B\x0C\r <>"']+)"#,
        ws!(),
        "*(</div>)"
    ))
    .replace_all(html, |caps: &Captures| {
        format!("{}{}{}", &caps[1], embed_link(&caps[2]), &caps[3])
    })
    .into_owned()
}

// ---------------------------------------------------------------------------------------
// wpautop
// ---------------------------------------------------------------------------------------

/// PHP's `trim()` characters.
const PHP_TRIM: &[char] = &[' ', '\t', '\n', '\r', '\0', '\x0B'];

/// A port of WordPress's `wpautop( $text, $br = true )` (wp-includes/formatting.php,
/// 6.x): blank lines become paragraphs, single newlines `<br />`, block-level tags are left
/// unwrapped and `<pre>` content untouched. The steps and their order follow the PHP;
/// look-behinds and back-references, which the `regex` crate lacks, are done by hand.
pub fn autop(text: &str) -> String {
    if text.trim_matches(PHP_TRIM).is_empty() {
        return String::new();
    }
    // Just to make things a little easier, pad the end.
    let mut text = format!("{text}\n");

    // Pre tags shouldn't be touched: replace them with placeholders, restored at the end.
    let mut pre_tags: Vec<(String, String)> = Vec::new();
    if text.contains("<pre") {
        (text, pre_tags) = protect_pre_tags(&text);
    }

    // Change multiple <br>s into two line breaks, which will turn into paragraphs.
    text = replace_all(
        regex!(concat!("<br", ws!(), "*/?>", ws!(), "*<br", ws!(), "*/?>")),
        &text,
        "\n\n",
    );
    // Double line breaks above block-level opening tags and below closing ones, and after
    // (self-closing) hr tags.
    text = replace_all(
        regex!(concat!("(<", allblocks!(), r"[\t\n\x0B\x0C\r />])")),
        &text,
        "\n\n${1}",
    );
    text = replace_all(
        regex!(concat!("(</", allblocks!(), ">)")),
        &text,
        "${1}\n\n",
    );
    text = replace_all(regex!(concat!("(<hr", ws!(), "*?/?>)")), &text, "${1}\n\n");
    // Standardize newline characters to "\n".
    text = text.replace("\r\n", "\n").replace('\r', "\n");
    // Newlines inside tags and comments must not become paragraphs or <br>s.
    text = mark_newlines_in_tags(&text);

    // Collapse line breaks before and after <option> elements so they don't get autop'd.
    if text.contains("<option") {
        text = replace_all(regex!(concat!(ws!(), "*<option")), &text, "<option");
        text = replace_all(regex!(concat!("</option>", ws!(), "*")), &text, "</option>");
    }
    // Collapse line breaks inside <object> elements, before <param> and <embed> elements.
    if text.contains("</object>") {
        text = replace_all(
            regex!(concat!("(<object[^>]*>)", ws!(), "*")),
            &text,
            "${1}",
        );
        text = replace_all(regex!(concat!(ws!(), "*</object>")), &text, "</object>");
        text = replace_all(
            regex!(concat!(ws!(), "*(</?(?:param|embed)[^>]*>)", ws!(), "*")),
            &text,
            "${1}",
        );
    }
    // Collapse line breaks inside <audio> and <video> elements, around <source> and <track>.
    if text.contains("<source") || text.contains("<track") {
        text = replace_all(
            regex!(concat!(r"([<\[](?:audio|video)[^>\]]*[>\]])", ws!(), "*")),
            &text,
            "${1}",
        );
        text = replace_all(
            regex!(concat!(ws!(), r"*([<\[]/(?:audio|video)[>\]])")),
            &text,
            "${1}",
        );
        text = replace_all(
            regex!(concat!(ws!(), "*(<(?:source|track)[^>]*>)", ws!(), "*")),
            &text,
            "${1}",
        );
    }
    // Collapse line breaks before and after <figcaption> elements.
    if text.contains("<figcaption") {
        text = replace_all(
            regex!(concat!(ws!(), "*(<figcaption[^>]*>)")),
            &text,
            "${1}",
        );
        text = replace_all(
            regex!(concat!("</figcaption>", ws!(), "*")),
            &text,
            "</figcaption>",
        );
    }

    // Remove more than two contiguous line breaks, then wrap every chunk in a <p>.
    text = replace_all(regex!("\n\n+"), &text, "\n\n");
    let mut wrapped = String::with_capacity(text.len() + 64);
    for paragraph in regex!(concat!("\n", ws!(), "*\n"))
        .split(&text)
        .filter(|p| !p.is_empty())
    {
        wrapped.push_str("<p>");
        wrapped.push_str(paragraph.trim_matches('\n'));
        wrapped.push_str("</p>\n");
    }
    text = wrapped;

    // Under certain strange conditions it could create a P of entirely whitespace.
    text = replace_all(regex!(concat!("<p>", ws!(), "*</p>")), &text, "");
    // Add a closing <p> inside <div>, <address>, or <form> tag if missing.
    text = replace_all(
        regex!("<p>([^<]+)</(div|address|form)>"),
        &text,
        "<p>${1}</p></${2}>",
    );
    // If an opening or closing block element tag is wrapped in a <p>, unwrap it.
    text = replace_all(
        regex!(concat!(
            "<p>",
            ws!(),
            "*(</?",
            allblocks!(),
            "[^>]*>)",
            ws!(),
            "*</p>"
        )),
        &text,
        "${1}",
    );
    // In some cases <li> may get wrapped in <p>, fix them.
    text = replace_all(regex!("<p>(<li.+?)</p>"), &text, "${1}");
    // If a <blockquote> is wrapped with a <p>, move it inside the <blockquote>.
    text = replace_all(
        regex!("(?i:<p><blockquote)([^>]*)>"),
        &text,
        "<blockquote${1}><p>",
    );
    text = text.replace("</blockquote></p>", "</p></blockquote>");
    // If an opening or closing block element tag is preceded by an opening <p> tag, or
    // followed by a closing </p> tag, remove that.
    text = replace_all(
        regex!(concat!("<p>", ws!(), "*(</?", allblocks!(), "[^>]*>)")),
        &text,
        "${1}",
    );
    text = replace_all(
        regex!(concat!("(</?", allblocks!(), "[^>]*>)", ws!(), "*</p>")),
        &text,
        "${1}",
    );

    // Insert line breaks ($br = true), except inside script, style, svg and math.
    text = replace_all_with(
        regex!(r"(?s)<script.*?</script>|<style.*?</style>|<svg.*?</svg>|<math.*?</math>"),
        &text,
        |m| m.replace('\n', "<WPPreserveNewline />"),
    );
    text = text.replace("<br>", "<br />").replace("<br/>", "<br />");
    text = newlines_to_br(&text);
    text = text.replace("<WPPreserveNewline />", "\n");

    // If a <br /> tag is after an opening or closing block tag, remove it.
    text = replace_all(
        regex!(concat!("(</?", allblocks!(), "[^>]*>)", ws!(), "*<br />")),
        &text,
        "${1}",
    );
    // If a <br /> tag is before a subset of opening or closing block tags, remove it.
    text = replace_all(
        regex!(concat!(
            "<br />(",
            ws!(),
            "*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)"
        )),
        &text,
        "${1}",
    );
    // PHP's `$` also matches before a final newline.
    text = replace_all(regex!("\n</p>(\n?)\\z"), &text, "</p>${1}");

    for (placeholder, original) in &pre_tags {
        text = text.replace(placeholder.as_str(), original);
    }
    if text.contains("<!-- wpnl -->") {
        text = text
            .replace(" <!-- wpnl --> ", "\n")
            .replace("<!-- wpnl -->", "\n");
    }
    text
}

fn replace_all(re: &Regex, text: &str, replacement: &str) -> String {
    re.replace_all(text, replacement).into_owned()
}

fn replace_all_with(re: &Regex, text: &str, replace: impl Fn(&str) -> String) -> String {
    re.replace_all(text, |caps: &Captures| replace(&caps[0]))
        .into_owned()
}

/// wpautop's `<pre>` protection: every `<pre…>…</pre>` becomes `<pre wp-pre-tag-N></pre>`.
/// As in WordPress, a `</pre>` without an opening `<pre` before it is dropped.
fn protect_pre_tags(text: &str) -> (String, Vec<(String, String)>) {
    let mut parts: Vec<&str> = text.split("</pre>").collect();
    let last = parts.pop().unwrap_or_default();
    let mut out = String::with_capacity(text.len());
    let mut pre_tags = Vec::new();
    for part in parts {
        let Some(start) = part.find("<pre") else {
            out.push_str(part);
            continue;
        };
        let placeholder = format!("<pre wp-pre-tag-{}></pre>", pre_tags.len());
        out.push_str(&part[..start]);
        out.push_str(&placeholder);
        pre_tags.push((placeholder, format!("{}</pre>", &part[start..])));
    }
    out.push_str(last);
    (out, pre_tags)
}

/// `wp_replace_in_html_tags( $text, array( "\n" => ' <!-- wpnl --> ' ) )`: newlines inside
/// elements (tags, comments, CDATA, as `wp_html_split` finds them) become placeholders.
fn mark_newlines_in_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let element = &rest[lt..];
        let len = html_element_len(element);
        out.push_str(&element[..len].replace('\n', " <!-- wpnl --> "));
        rest = &element[len..];
    }
    out.push_str(rest);
    out
}

/// Length of the element `wp_html_split` sees at the start of `s` (which starts with `<`):
/// a comment up to its `-->`, CDATA up to its `]]>`, anything else up to `>`; all of the
/// rest when unclosed.
fn html_element_len(s: &str) -> usize {
    let (terminator, from) = if s.starts_with("<!--") {
        // `<!-->` is a whole comment: the search starts right after `<!`.
        ("-->", 2)
    } else if s.starts_with("<![CDATA[") {
        ("]]>", 9)
    } else {
        (">", 1)
    };
    s[from..]
        .find(terminator)
        .map_or(s.len(), |i| from + i + terminator.len())
}

fn is_pcre_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ')
}

/// `preg_replace( '|(?<!<br />)\s*\n|', "<br />\n", $text )`. At each position the greedy
/// `\s*\n` takes the whitespace up to the last newline of the run; where the look-behind
/// fails (right after `<br />`), the regex tries the next position, which starts inside the
/// run and so always passes it.
fn newlines_to_br(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 64);
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !is_pcre_space(bytes[i]) {
            i += 1;
            continue;
        }
        let run_end = i + bytes[i..].iter().take_while(|&&b| is_pcre_space(b)).count();
        let Some(last_newline) = bytes[i..run_end].iter().rposition(|&b| b == b'\n') else {
            i = run_end;
            continue;
        };
        let last_newline = i + last_newline;
        // Whitespace is ASCII, so `i` and `i + 1` are character boundaries.
        let start = if text[..i].ends_with("<br />") {
            i + 1
        } else {
            i
        };
        if start <= last_newline {
            out.push_str(&text[copied..start]);
            out.push_str("<br />\n");
            copied = last_newline + 1;
        }
        i = last_newline + 1;
    }
    out.push_str(&text[copied..]);
    out
}

// ---------------------------------------------------------------------------------------
// Shortcodes
// ---------------------------------------------------------------------------------------

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
fn render_shortcodes(text: &str) -> (String, Vec<String>) {
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
fn embed_link(url: &str) -> String {
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

// ---------------------------------------------------------------------------------------
// Markdown safety
// ---------------------------------------------------------------------------------------

/// Tags that open a CommonMark HTML block of type 6 (pulldown-cmark's list): such a block
/// runs to the next blank line, and everything in it is passed through as is.
const BLOCK_START_TAGS: &[&str] = &[
    "address",
    "article",
    "aside",
    "base",
    "basefont",
    "blockquote",
    "body",
    "caption",
    "center",
    "col",
    "colgroup",
    "dd",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "frame",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hr",
    "html",
    "iframe",
    "legend",
    "li",
    "link",
    "main",
    "menu",
    "menuitem",
    "nav",
    "noframes",
    "ol",
    "optgroup",
    "option",
    "p",
    "param",
    "search",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "track",
    "ul",
];

/// Shapes HTML so CommonMark reads all of it as one HTML block, passed through verbatim:
/// no blank line anywhere (blank lines end the block, after which indentation, `*` and `_`
/// become Markdown), and a first line that opens a type-6 block.
///
/// Blank lines outside `<pre>`, `<textarea>`, `<script>` and `<style>` mean nothing in
/// HTML and are dropped. Inside them every newline counts: a blank line keeps its newline
/// as `&#10;` instead, so `a\n\nb` becomes `a\n&#10;b`, which renders the same.
///
/// A body that doesn't start with a type-6 tag is wrapped in a `<div>`. That includes one
/// starting with `<pre>`: its type-1 block would end at `</pre>` and leave the rest to
/// Markdown.
pub fn markdown_safe(html: &str) -> String {
    let html = html.trim_matches(|c: char| c.is_ascii_whitespace());
    if html.is_empty() {
        return String::new();
    }
    let protected = protected_ranges(html);
    let mut out = String::with_capacity(html.len() + 32);
    let mut line_start = 0;
    for line in html.split_inclusive('\n') {
        let start = line_start;
        line_start += line.len();
        let content = line.strip_suffix('\n').unwrap_or(line);
        if !is_blank(content) {
            out.push_str(line);
        } else if line.ends_with('\n') && protected.iter().any(|r| r.contains(&start)) {
            out.push_str(content);
            out.push_str("&#10;");
        }
        // Else a blank line outside those elements: dropped.
    }
    if starts_html_block(&out) {
        out
    } else {
        format!("<div>\n{}\n</div>", out.trim_end_matches('\n'))
    }
}

/// A blank line as pulldown-cmark sees one.
fn is_blank(line: &str) -> bool {
    line.chars()
        .all(|c| matches!(c, ' ' | '\t' | '\x0B' | '\x0C'))
}

/// Byte ranges of `<pre>`, `<textarea>`, `<script>` and `<style>` elements, from the start
/// of the opening tag to the end of the closing one (or of the text when unclosed).
fn protected_ranges(html: &str) -> Vec<std::ops::Range<usize>> {
    // ASCII lowercasing keeps byte offsets.
    let lower = html.to_ascii_lowercase();
    let open = regex!(r"<(pre|textarea|script|style)(?:[\t\n\x0B\x0C\r />]|\z)");
    let mut ranges = Vec::new();
    let mut from = 0;
    while let Some(caps) = open.captures_at(&lower, from) {
        let (Some(whole), Some(name)) = (caps.get(0), caps.get(1)) else {
            break;
        };
        let end_tag = format!("</{}", name.as_str());
        let end = lower[whole.end()..]
            .find(&end_tag)
            .map(|i| whole.end() + i + end_tag.len())
            .map_or(lower.len(), |i| {
                lower[i..].find('>').map_or(lower.len(), |gt| i + gt + 1)
            });
        ranges.push(whole.start()..end);
        from = end;
    }
    ranges
}

/// Whether the first line opens a CommonMark HTML block of type 6.
fn starts_html_block(html: &str) -> bool {
    let Some(rest) = html.strip_prefix('<') else {
        return false;
    };
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    let name_len = rest.bytes().take_while(u8::is_ascii_alphanumeric).count();
    let name = rest[..name_len].to_ascii_lowercase();
    if !BLOCK_START_TAGS.contains(&name.as_str()) {
        return false;
    }
    let after = &rest[name_len..];
    after.is_empty() || after.starts_with([' ', '\t', '\n', '>']) || after.starts_with("/>")
}

// ---------------------------------------------------------------------------------------
// Upload URLs and text
// ---------------------------------------------------------------------------------------

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

/// The text of an HTML fragment, for excerpts and search: tags removed, script, style and
/// comments dropped, entities decoded, whitespace collapsed; block ends separate words.
pub fn plain_text(html: &str) -> String {
    html_text(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a reader gets: the stored body through the real renderer (pulldown-cmark, then
    /// the sanitiser).
    fn rendered(body: &str) -> String {
        crate::render::render(body, &crate::render::markdown::LibraryImages::default())
            .into_string()
    }

    fn reader_html(raw: &str) -> String {
        rendered(&convert(raw).body)
    }

    fn has_blank_line(body: &str) -> bool {
        !body.is_empty() && body.split('\n').any(is_blank)
    }

    // wpautop, against the expectations of WordPress's own tests
    // (tests/phpunit/tests/formatting/wpAutop.php).

    #[test]
    fn autop_makes_paragraphs_and_line_breaks_like_wordpress() {
        let input = "\nWelcome to WordPress!  This post contains important information.\n\n\
                     First things first:\n<ul>\n<li><a href=\"%1$s\">Subscribe</a></li>\n</ul>\n\
                     As a subscriber, you will receive an email.\n\
                     When a new version is released, <a href=\"%2$s\">log in</a> and follow.\n\
                     Upgrading is a couple of clicks!\n\nThank you.\n";
        let expected = "<p>Welcome to WordPress!  This post contains important information.</p>\n\
                        <p>First things first:</p>\n<ul>\n<li><a href=\"%1$s\">Subscribe</a></li>\n</ul>\n\
                        <p>As a subscriber, you will receive an email.<br />\n\
                        When a new version is released, <a href=\"%2$s\">log in</a> and follow.<br />\n\
                        Upgrading is a couple of clicks!</p>\n<p>Thank you.</p>\n";
        assert_eq!(autop(input), expected);
    }

    #[test]
    fn autop_leaves_pre_content_alone() {
        let input = "Look at this code\n\n<pre>Line1<br />Line2<br>Line3<br/>Line4\n\
                     Actual Line 2\nActual Line 3</pre>\n\nCool, huh?";
        let expected = "<p>Look at this code</p>\n<pre>Line1<br />Line2<br>Line3<br/>Line4\n\
                        Actual Line 2\nActual Line 3</pre>\n<p>Cool, huh?</p>";
        assert_eq!(autop(input).trim(), expected);
        assert_eq!(autop("<pre>a\n\nb</pre>").trim(), "<pre>a\n\nb</pre>");
    }

    #[test]
    fn autop_treats_block_elements_as_blocks_and_inline_ones_as_inline() {
        let blocks = [
            "table", "thead", "tfoot", "caption", "col", "colgroup", "tbody", "tr", "td", "th",
            "div", "dl", "dd", "dt", "ul", "ol", "li", "pre", "form", "map", "area", "address",
            "style", "p", "h1", "h2", "h3", "h4", "h5", "h6", "fieldset", "legend", "section",
            "article", "aside", "hgroup", "header", "footer", "nav", "figure", "details", "menu",
            "summary",
        ];
        let elements: Vec<String> = blocks.iter().map(|b| format!("<{b}>foo</{b}>")).collect();
        let expected = elements.join("\n");
        assert_eq!(autop(&elements.join("\n\n")).trim(), expected);
        assert_eq!(autop(&elements.concat()).trim(), expected);
        let empty: Vec<String> = blocks.iter().map(|b| format!("<{b}/>")).collect();
        assert_eq!(autop(&empty.concat()).trim(), empty.join("\n"));
        let with_attrs: Vec<String> = blocks
            .iter()
            .map(|b| format!("<{b} attr='value'>foo</{b}>"))
            .collect();
        assert_eq!(autop(&with_attrs.concat()).trim(), with_attrs.join("\n"));

        let inlines = [
            "a", "em", "strong", "code", "span", "del", "noscript", "select",
        ];
        let input: Vec<String> = inlines.iter().map(|i| format!("<{i}>foo</{i}>")).collect();
        let expected: Vec<String> = inlines
            .iter()
            .map(|i| format!("<p><{i}>foo</{i}></p>"))
            .collect();
        assert_eq!(autop(&input.join("\n\n")).trim(), expected.join("\n"));
    }

    #[test]
    fn autop_puts_paragraphs_inside_blockquotes() {
        assert_eq!(
            autop("<blockquote>foo</blockquote>").trim(),
            "<blockquote><p>foo</p></blockquote>"
        );
    }

    #[test]
    fn autop_keeps_newlines_inside_tags_and_comments() {
        let cases = [
            (
                "Hello <a\nhref='world'>",
                "<p>Hello <a\nhref='world'></p>\n",
            ),
            (
                "Hello <!-- a\nhref='world' -->",
                "<p>Hello <!-- a\nhref='world' --></p>\n",
            ),
            (
                "Hello <!-- <object>\n<param>\n<param>\n<embed>\n</embed>\n</object>\n -->",
                "<p>Hello <!-- <object>\n<param>\n<param>\n<embed>\n</embed>\n</object>\n --></p>\n",
            ),
            (
                "Hello <![CDATA[ a\nhttps://youtu.be/jgz0uSaOZbE\n ]]>",
                "<p>Hello <![CDATA[ a\nhttps://youtu.be/jgz0uSaOZbE\n ]]></p>\n",
            ),
            (
                "Hello <![CDATA[ <!-- a\nhttps://youtu.be/jgz0uSaOZbE\n a\n9 ]]> -->",
                "<p>Hello <![CDATA[ <!-- a\nhttps://youtu.be/jgz0uSaOZbE\n a\n9 ]]> --></p>\n",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(autop(input), expected, "{input:?}");
        }
    }

    #[test]
    fn autop_handles_existing_br_tags() {
        assert_eq!(
            autop("\nline 1<br>\nline 2<br/>\nline 3<br />\nline 4\nline 5\n").trim(),
            "<p>line 1<br />\nline 2<br />\nline 3<br />\nline 4<br />\nline 5</p>"
        );
        assert_eq!(
            autop("\nline 1<br>\n<br/>\nline 2<br/>\n<br />\n").trim(),
            "<p>line 1</p>\n<p>line 2</p>"
        );
        let input = "Username: <input type=\"text\" id=\"username\" name=\"username\" /><br />\
                     Password: <input type=\"password\" id=\"password1\" name=\"password1\" />";
        assert_eq!(autop(input).trim(), format!("<p>{input}</p>"));
    }

    #[test]
    fn autop_wraps_text_around_blocks() {
        assert_eq!(autop("a<div>b</div>").trim(), "<p>a</p>\n<div>b</div>");
        assert_eq!(
            autop("paragraph1<hr>paragraph2").trim(),
            "<p>paragraph1</p>\n<hr>\n<p>paragraph2</p>"
        );
        let figure = "<figure><img src=\"example.jpg\" /><figcaption>Caption</figcaption></figure>";
        assert_eq!(autop(figure).trim(), figure);
        assert_eq!(
            autop(
                "<figure>\n<img src=\"example.jpg\" />\n<figcaption>Caption</figcaption>\n</figure>"
            )
            .trim(),
            "<figure>\n<img src=\"example.jpg\" /><figcaption>Caption</figcaption></figure>"
        );
    }

    #[test]
    fn autop_leaves_newlines_in_script_svg_and_math() {
        for input in [
            "<script type=\"text/javascript\">\n\t\t\t\tvar dummy = 1;\n\t\t\t</script>",
            "<svg xmlns=\"http://www.w3.org/2000/svg\">\n\t<circle cx=\"50\" r=\"30\"/>\n</svg>",
            "<math display=\"block\">\n\t<mtable>\n\t\t<mtr><mtd><mi>a</mi></mtd></mtr>\n\t</mtable>\n</math>",
            "<math><mrow><msup><mi>a</mi><mn>2</mn></msup></mrow></math>",
        ] {
            assert_eq!(autop(input).trim(), format!("<p>{input}</p>"), "{input:?}");
        }
    }

    #[test]
    fn autop_collapses_media_object_and_option_children() {
        let video = "Paragraph one.\n\n<video class=\"v\" controls=\"controls\">\n\n\
                     \t\t\t<source type=\"video/mp4\" src=\"http://domain.tld/xyz.mp4\" />\n\n\
                     \t\t\t<!-- WebM -->\n\t\t\t<source type=\"video/webm\" src=\"myvideo.webm\" />\n\n\
                     \t\t\t<track kind=\"subtitles\" src=\"subtitles.srt\" srclang=\"en\" />\n\n\
                     \t\t\t<a href=\"http://domain.tld/xyz.mp4\">http://domain.tld/xyz.mp4</a>\n\n\
                     \t\t\t</video>\n\nParagraph two.";
        assert_eq!(
            autop(video).trim(),
            "<p>Paragraph one.</p>\n<p><video class=\"v\" controls=\"controls\">\
             <source type=\"video/mp4\" src=\"http://domain.tld/xyz.mp4\" /><!-- WebM -->\
             <source type=\"video/webm\" src=\"myvideo.webm\" />\
             <track kind=\"subtitles\" src=\"subtitles.srt\" srclang=\"en\" />\
             <a href=\"http://domain.tld/xyz.mp4\">http://domain.tld/xyz.mp4</a></video></p>\n\
             <p>Paragraph two.</p>"
        );
        let object = "\nParagraph one.\n\n<object width=\"400\" height=\"224\">\n\
                      \t<param name=\"src\" value=\"xyz.swf\" />\n\
                      \t<param name=\"allowfullscreen\" value=\"true\" />\n\n\
                      \t<embed width=\"400\" src=\"xyz.swf\" />\n</object>\n\nParagraph two.";
        assert_eq!(
            autop(object).trim(),
            "<p>Paragraph one.</p>\n<p><object width=\"400\" height=\"224\">\
             <param name=\"src\" value=\"xyz.swf\" /><param name=\"allowfullscreen\" value=\"true\" />\
             <embed width=\"400\" src=\"xyz.swf\" /></object></p>\n<p>Paragraph two.</p>"
        );
        let select = "Country: <select id=\"state\" name=\"state\"><option value=\"1\">Alabama</option>\
                      <option value=\"2\">Alaska</option></select>";
        assert_eq!(autop(select).trim(), format!("<p>{select}</p>"));
    }

    #[test]
    fn autop_of_blank_text_is_empty() {
        assert_eq!(autop(""), "");
        assert_eq!(autop(" \n\t\r\n "), "");
    }

    // convert, as a reader sees the result.

    #[test]
    fn classic_paragraphs_and_single_line_breaks_render_as_on_wordpress() {
        let out = reader_html("First line\nsecond line\n\nSecond paragraph.");
        assert_eq!(
            out,
            "<p>First line<br>\nsecond line</p>\n<p>Second paragraph.</p>"
        );
    }

    #[test]
    fn classic_list_and_heading_between_paragraphs() {
        let out = reader_html(
            "Intro\n<h2>Heading</h2>\nMiddle text\n<ul>\n<li>One</li>\n<li>Two</li>\n</ul>\nOutro",
        );
        assert_eq!(
            out,
            "<p>Intro</p>\n<h2>Heading</h2>\n<p>Middle text</p>\n<ul>\n<li>One</li>\n\
             <li>Two</li>\n</ul>\n<p>Outro</p>"
        );
    }

    #[test]
    fn classic_blockquote_with_two_paragraphs() {
        let out = reader_html("<blockquote>Quote one\n\nQuote two</blockquote>\nAfter");
        assert_eq!(
            out,
            "<blockquote><p>Quote one</p>\n<p>Quote two</p></blockquote>\n<p>After</p>"
        );
    }

    #[test]
    fn pre_content_is_kept_verbatim() {
        let code = "fn main() {\n\n    let x = *stars*;\n  \n\n    _under_ `tick`\n}";
        let converted = convert(&format!("Code:\n\n<pre>{code}</pre>\n\nDone."));
        assert!(!has_blank_line(&converted.body), "{:?}", converted.body);
        let out = rendered(&converted.body);
        assert!(out.contains(&format!("<pre>{code}</pre>")), "{out}");
        assert!(!out.contains("<em>") && !out.contains("<code>"), "{out}");
        assert!(
            out.starts_with("<p>Code:</p>") && out.contains("<p>Done.</p>"),
            "{out}"
        );

        // Also when the body starts with the <pre> (a type-1 HTML block would end at
        // </pre> and leave the rest to Markdown).
        let out = reader_html(&format!("<pre>{code}</pre>\n\n    *not code*"));
        assert!(out.contains(&format!("<pre>{code}</pre>")), "{out}");
        assert!(out.contains("*not code*") && !out.contains("<em>"), "{out}");
    }

    #[test]
    fn markdown_syntax_in_classic_text_stays_text() {
        let out = reader_html(
            "Some *asterisks* and _underscores_ and **bold**.\n    indented line\n\
             # not a heading\n- not a list\n> not a quote\n[^1]: not a footnote\n\n\
             1. not a list either\n\n    indented paragraph",
        );
        for markup in [
            "<em>",
            "<strong>",
            "<code>",
            "<h1",
            "<ul>",
            "<ol>",
            "<li>",
            "footnote-",
        ] {
            assert!(!out.contains(markup), "{markup} in {out}");
        }
        assert!(
            out.contains("*asterisks*")
                && out.contains("_underscores_")
                && out.contains("**bold**"),
            "{out}"
        );
        assert!(out.contains("<p>1. not a list either</p>"), "{out}");
        // WordPress keeps the indentation (autop trims newlines only); no code block.
        assert!(out.contains("<p>    indented paragraph</p>"), "{out}");
    }

    #[test]
    fn gutenberg_block_comments_are_removed_without_extra_paragraphs() {
        let raw = "<!-- wp:paragraph -->\n<p>First *para*.</p>\n<!-- /wp:paragraph -->\n\n\
                   <!-- wp:heading {\"level\":3} -->\n<h3 class=\"wp-block-heading\">Title</h3>\n<!-- /wp:heading -->\n\n\
                   <!-- wp:list -->\n<ul><!-- wp:list-item -->\n<li>One</li>\n<!-- /wp:list-item --></ul>\n<!-- /wp:list -->\n\n\
                   <!-- wp:image {\"id\":12,\"sizeSlug\":\"large\"} -->\n<figure class=\"wp-block-image size-large\">\
                   <img src=\"/media/a.jpg\" alt=\"A\" class=\"wp-image-12\"/><figcaption>Cap</figcaption></figure>\n\
                   <!-- /wp:image -->\n\n<!-- wp:separator /-->\n\n<!-- wp:core/spacer {\"height\":\"20px\"} /-->\n\n\
                   <!-- wp:jetpack/slideshow {\"ids\":[1,2]} -->\n<div class=\"wp-block-jetpack-slideshow\">Slides</div>\n\
                   <!-- /wp:jetpack/slideshow -->\n\n<!-- wp:more -->\n<!--more-->\n<!-- /wp:more -->\n\n\
                   <!-- wp:code -->\n<pre class=\"wp-block-code\"><code>a\n\n  *b*</code></pre>\n<!-- /wp:code -->";
        let converted = convert(raw);
        assert!(!converted.body.contains("<!--"), "{}", converted.body);
        assert!(!has_blank_line(&converted.body), "{}", converted.body);
        let out = rendered(&converted.body);
        assert!(!out.contains("wp:") && !out.contains("<!--"), "{out}");
        assert_eq!(out.matches("<p>").count(), 1, "{out}");
        assert!(
            out.starts_with("<p>First *para*.</p>\n<h3>Title</h3>\n"),
            "{out}"
        );
        assert!(out.contains("<ul>\n<li>One</li>\n</ul>"), "{out}");
        assert!(
            out.contains("<figure><img src=\"/media/a.jpg\" alt=\"A\" loading=\"lazy\"><figcaption>Cap</figcaption></figure>"),
            "{out}"
        );
        assert!(out.contains("<div>Slides</div>"), "{out}");
        assert!(out.contains("<pre><code>a\n\n  *b*</code></pre>"), "{out}");
        assert!(converted.shortcodes.is_empty());
    }

    #[test]
    fn gutenberg_content_not_starting_with_a_block_tag_is_wrapped() {
        let raw = "<!-- wp:html -->\n<img src=\"/media/a.png\" alt=\"A\">\n<!-- /wp:html -->\n\n\
                   <!-- wp:paragraph -->\n<p>Text *x*</p>\n<!-- /wp:paragraph -->\n\n\
                   <!-- wp:embed {\"url\":\"https://www.youtube.com/watch?v=abc\"} -->\n\
                   <figure class=\"wp-block-embed\"><div class=\"wp-block-embed__wrapper\">\n\
                   https://www.youtube.com/watch?v=abc&amp;t=1\n</div></figure>\n<!-- /wp:embed -->";
        let converted = convert(raw);
        assert!(
            converted.body.starts_with("<div>\n<img"),
            "{}",
            converted.body
        );
        let out = rendered(&converted.body);
        assert!(out.contains("<img src=\"/media/a.png\""), "{out}");
        assert!(out.contains("<p>Text *x*</p>"), "{out}");
        assert!(
            out.contains(
                "<a href=\"https://www.youtube.com/watch?v=abc&amp;t=1\" rel=\"noopener\">"
            ),
            "{out}"
        );
    }

    #[test]
    fn caption_shortcode_becomes_a_figure() {
        let converted = convert(
            "Before.\n\n[caption id=\"attachment_5\" align=\"alignleft\" width=\"300\"]\
             <a href=\"/media/a.jpg\"><img src=\"/media/a-300.jpg\" alt=\"A\" width=\"300\" height=\"200\" /></a> \
             A <em>fine</em> caption[/caption]\n\nAfter.",
        );
        assert!(
            converted.shortcodes.is_empty(),
            "{:?}",
            converted.shortcodes
        );
        let out = rendered(&converted.body);
        assert_eq!(
            out,
            "<p>Before.</p>\n<figure><a href=\"/media/a.jpg\" rel=\"noopener\">\
             <img src=\"/media/a-300.jpg\" alt=\"A\" width=\"300\" height=\"200\" loading=\"lazy\"></a>\
             <figcaption>A <em>fine</em> caption</figcaption></figure>\n<p>After.</p>"
        );

        // The older form: caption in an attribute; and [wp_caption].
        let out = reader_html(
            "[wp_caption caption=\"Old style\" width=\"200\"]<img src=\"/media/b.jpg\" alt=\"\">[/wp_caption]",
        );
        assert!(
            out.starts_with("<figure><img src=\"/media/b.jpg\"")
                && out.contains("<figcaption>Old style</figcaption></figure>"),
            "{out}"
        );
        // Without caption text WordPress shows the image alone.
        let out =
            reader_html("[caption width=\"200\"]<img src=\"/media/c.jpg\" alt=\"\">[/caption]");
        assert!(!out.contains("<figure>") && out.contains("<img"), "{out}");
    }

    #[test]
    fn embed_shortcode_becomes_a_link() {
        let converted =
            convert("Watch:\n\n[embed]https://www.youtube.com/watch?v=abc&amp;t=1[/embed]");
        assert!(converted.shortcodes.is_empty());
        let out = rendered(&converted.body);
        assert_eq!(
            out,
            "<p>Watch:</p>\n<p><a href=\"https://www.youtube.com/watch?v=abc&amp;t=1\" rel=\"noopener\">\
             https://www.youtube.com/watch?v=abc&amp;t=1</a></p>"
        );

        let converted = convert("[embed]https://x.example/\"onmouseover=\"alert(1)[/embed]");
        assert!(
            converted.body.contains("&quot;onmouseover=&quot;"),
            "{}",
            converted.body
        );
        let out = rendered(&converted.body);
        assert!(!out.contains(" onmouseover"), "{out}");
    }

    #[test]
    fn other_shortcodes_are_reported_and_left_as_text() {
        let converted = convert(
            "Look:\n\n[gallery ids=\"1,2\"]\n\n[contact-form-7 id=\"5\" title=\"x\"]\n\n[gallery]\n\n\
             [box]Boxed [video src=\"/v.mp4\" /][/box] [spacer/]",
        );
        assert_eq!(
            converted.shortcodes,
            ["gallery", "contact-form-7", "box", "video", "spacer"]
        );
        let out = rendered(&converted.body);
        assert!(out.contains("<p>[gallery ids=\"1,2\"]</p>"), "{out}");
        assert!(
            out.contains("<p>[contact-form-7 id=\"5\" title=\"x\"]</p>"),
            "{out}"
        );
        assert!(
            out.contains("[box]Boxed [video src=\"/v.mp4\" /][/box]"),
            "{out}"
        );
    }

    #[test]
    fn bracketed_prose_is_not_a_shortcode() {
        let converted = convert(
            "[Note] this is odd [sic], see [1] and [x] or [link text](https://x.example) \
             <a title=\"[gallery]\" href=\"/\">a</a> [ ] [-x] [a.b]",
        );
        assert!(
            converted.shortcodes.is_empty(),
            "{:?}",
            converted.shortcodes
        );
        assert!(rendered(&converted.body).contains("[Note] this is odd [sic]"));
    }

    #[test]
    fn escaped_shortcodes_are_shown_literally_and_not_reported() {
        let converted = convert("Type [[gallery]] or [[caption]x[/caption]] to get one. [[Note]]");
        assert!(
            converted.shortcodes.is_empty(),
            "{:?}",
            converted.shortcodes
        );
        let out = rendered(&converted.body);
        assert!(
            out.contains("Type [gallery] or [caption]x[/caption] to get one. [[Note]]"),
            "{out}"
        );
    }

    #[test]
    fn scripts_do_not_reach_the_reader() {
        for raw in [
            "Hello\n<script>alert(1)</script>\nWorld",
            "<script>\nalert(1)\n\nalert(2)\n</script>",
            "<!-- wp:html -->\n<script>alert(1)</script>\n<!-- /wp:html -->",
            "<p onclick=\"alert(1)\">x</p><img src=x onerror=alert(1)>",
        ] {
            let out = reader_html(raw).to_lowercase();
            assert!(
                !out.contains("<script") && !out.contains("alert("),
                "{raw:?} gave {out}"
            );
        }
    }

    #[test]
    fn empty_content_gives_an_empty_body() {
        for raw in [
            "",
            "  \n\n\t ",
            "\r\n\r\n",
            "<!-- wp:paragraph -->\n<!-- /wp:paragraph -->",
        ] {
            assert_eq!(convert(raw), Converted::default(), "{raw:?}");
        }
    }

    #[test]
    fn more_tags_do_not_leave_empty_paragraphs() {
        let out = reader_html("Teaser\n\n<!--more-->\n\nRest<!--more Read on-->.\n<!--nextpage-->");
        assert_eq!(out, "<p>Teaser</p>\n<p>Rest.</p>");
    }

    #[test]
    fn bodies_have_no_blank_lines_and_open_an_html_block() {
        for raw in [
            "a\r\n\r\nb\rc",
            "<div>\n\n  x\n\n</div>",
            "<textarea>a\n\n\nb</textarea>",
            "<style>\n\np{}\n</style>\ntext",
            "<PRE>a\n \t\nb</PRE>",
            "<pre>unclosed\n\n\n",
            "plain <em>text</em>",
            "<!-- wp:paragraph -->\ntext only\n\n\n<!-- /wp:paragraph -->",
        ] {
            let body = convert(raw).body;
            assert!(!has_blank_line(&body), "{raw:?} gave {body:?}");
            assert!(starts_html_block(&body), "{raw:?} gave {body:?}");
        }
        assert_eq!(
            markdown_safe("<pre>a\n\nb</pre>"),
            "<div>\n<pre>a\n&#10;b</pre>\n</div>"
        );
        assert_eq!(
            markdown_safe("<p>a</p>\n  \n<p>b</p>"),
            "<p>a</p>\n<p>b</p>"
        );
        assert_eq!(
            markdown_safe("<p>x</p>\n<pre>a\n\t\n\nb</pre>"),
            "<p>x</p>\n<pre>a\n\t&#10;&#10;b</pre>"
        );
    }

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

    // plain_text

    #[test]
    fn plain_text_of_html() {
        assert_eq!(
            plain_text(
                "<p>Hello&nbsp;<strong>world</strong> &amp; friends&hellip;</p><p>Second</p>"
            ),
            "Hello world & friends… Second"
        );
        assert_eq!(
            plain_text(
                "<h2>Title</h2><script>var x = '<p>no</p>';</script><style>p{}</style><!-- hidden -->Text"
            ),
            "Title Text"
        );
        assert_eq!(
            plain_text("line<br>break<br />again</p>end"),
            "line break again end"
        );
        assert_eq!(
            plain_text(
                "&#8220;Quoted&#8221; &#x2014; &lsquo;single&rsquo; &mdash; &ndash; &quot;&apos;&lt;&gt;"
            ),
            "“Quoted” — ‘single’ — – \"'<>"
        );
        assert_eq!(plain_text("  spaced \n\n text  "), "spaced text");
        // What search and excerpts see of a stored body.
        let body = convert("Para *one*\nline\n\nPara two<script>x()</script>").body;
        assert_eq!(plain_text(&body), "Para *one* line Para two");
        assert_eq!(
            crate::render::markdown::plain_text(&body),
            "Para *one* line Para two"
        );
        assert_eq!(crate::render::excerpt(&body, 14), "Para *one*…");
    }

    // Robustness

    #[test]
    fn nasty_input_never_panics() {
        let mut inputs: Vec<String> = [
            "",
            "[",
            "[[",
            "]]",
            "[a",
            "[/a]",
            "[a]",
            "[a /]",
            "[a b=\"]",
            "<",
            ">",
            "&",
            "&#",
            "&#x;",
            "&#99999999999999999999;",
            "<pre",
            "</pre>",
            "<pre>",
            "<pre>\n\n",
            "<pre><pre></pre></pre>",
            "</pre></pre><pre>",
            "<script>",
            "<script>\n\n",
            "<!--",
            "<!-- wp:",
            "<!-- wp:paragraph",
            "<!-- wp:paragraph {\"a\":\"}",
            "<!-- /wp:x -->",
            "[caption]",
            "[caption]no image[/caption]",
            "[caption]<img src=x>[/caption]",
            "[embed][/embed]",
            "[embed]javascript:alert(1)[/embed]",
            "<br><br><br>",
            "\r\r\r",
            "💥\n\n💥",
            "a\u{2028}b\u{a0}\n\u{a0}\nc",
            "\0\n\n\0",
            "<p>é</p>\n\n<pre>é\n\n  é</pre>",
            "[é]",
            "[[é]]",
            "[a é=\"ü\"]ü[/a]",
            "<a\n\n",
            "<!-- wp:é -->",
            "https://old.example/wp-content/uploads/",
            "//old.example/wp-content/uploads/%",
            "%E9%",
            "https://old.example/wp-content/uploads/é-1x1.é?é,",
            "<blockquote>",
            "<p><blockquote>",
            "<li",
            "<p>",
            "</p>",
            "\n</p>\n",
            "<option>\n",
            "<object></object>",
            "<source",
            "[video]<source",
            "<figcaption",
            "<br />\n \n",
            "<br />",
            "a<br /> \n \nb",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        inputs.push("[a]".repeat(2000));
        inputs.push("[a ".repeat(30_000));
        inputs.push("[[gallery]".repeat(500));
        inputs.push("<".repeat(100_000));
        inputs.push("<!--x".repeat(20_000));
        inputs.push("<!-- wp:x ".repeat(500));
        inputs.push(format!("[caption]{}", "x".repeat(10_000)));
        inputs.push("é\n".repeat(1000));

        let bases = [BASE.to_owned(), "//old.example/".to_owned()];
        for input in &inputs {
            let converted = convert(input);
            assert!(!has_blank_line(&converted.body), "{input:?}");
            assert!(
                converted.body.is_empty() || starts_html_block(&converted.body),
                "{input:?}"
            );
            let _ = rendered(&converted.body);
            let _ = autop(input);
            let _ = replace_upload_urls(input, &bases, |p| Some(format!("/media/{p}")));
            let _ = replace_upload_urls(&converted.body, &bases, |_| None);
            let _ = plain_text(input);
            let _ = crate::render::markdown::plain_text(input);
        }
    }
}
