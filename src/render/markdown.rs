//! pulldown-cmark (tables, footnotes, strikethrough, task lists, smart punctuation,
//! heading anchors) followed by ammonia. Only a [`SafeHtml`] that came out of
//! [`render`] may be written into a page unescaped.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

use crate::domain::slug::slugify;
use crate::media::picture::{Picture, library_hash};

/// HTML that has passed the sanitiser.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SafeHtml(String);

impl SafeHtml {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For HTML that was sanitised when it was stored (the cached `body_html`).
    pub fn from_stored(html: String) -> Self {
        Self(html)
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for SafeHtml {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Embeds we let through: video players from these prefixes (also allowed by the CSP's
/// `frame-src`).
pub const IFRAME_PREFIXES: &[&str] = &[
    "https://www.youtube-nocookie.com/embed/",
    "https://www.youtube.com/embed/",
    "https://player.vimeo.com/video/",
];

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Images of the media library the text shows, by content hash, as pages should show them
/// (variants in `srcset`, width and height). `media::render_markdown` fills it from the
/// database.
#[derive(Debug, Default)]
pub struct LibraryImages {
    pub by_hash: HashMap<String, Picture>,
}

/// The `sizes` of library images: the width of the text column.
pub const IMAGE_SIZES: &str = "(max-width: 48rem) 100vw, 48rem";

/// Renders Markdown. An image whose URL names a library file (`/media/…`) is shown with
/// its variants when `images` knows its hash, and as its alt text when not (the file was
/// deleted): pass what `media::render_markdown` finds wherever a database is at hand.
pub fn render(markdown: &str, images: &LibraryImages) -> SafeHtml {
    let events = with_library_images(
        with_heading_anchors(Parser::new_ext(markdown, options())),
        images,
    );
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, events.into_iter());
    SafeHtml(SANITIZER.clean(&unsafe_html).to_string())
}

/// Gives every heading a stable, unique `id` made from its text (`#setup`, `#setup-2`),
/// unless the author set one with `{#id}`.
fn with_heading_anchors<'a>(parser: Parser<'a>) -> Vec<Event<'a>> {
    let mut events: Vec<Event<'a>> = Vec::new();
    let mut used: HashSet<String> = HashSet::new();
    let mut open_heading: Option<usize> = None;
    let mut heading_text = String::new();
    for event in parser {
        match &event {
            Event::Start(Tag::Heading { .. }) => {
                open_heading = Some(events.len());
                heading_text.clear();
            }
            Event::Text(text) | Event::Code(text) if open_heading.is_some() => {
                heading_text.push_str(text);
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(start) = open_heading.take()
                    && let Event::Start(Tag::Heading {
                        level,
                        id,
                        classes,
                        attrs,
                    }) = &events[start]
                {
                    let base = id
                        .as_deref()
                        .map(str::to_owned)
                        .or_else(|| slugify(&heading_text))
                        .unwrap_or_else(|| "section".to_owned());
                    let mut anchor = base.clone();
                    let mut n = 2;
                    while !used.insert(anchor.clone()) {
                        anchor = format!("{base}-{n}");
                        n += 1;
                    }
                    events[start] = Event::Start(Tag::Heading {
                        level: *level,
                        id: Some(CowStr::from(anchor)),
                        classes: classes.clone(),
                        attrs: attrs.clone(),
                    });
                }
            }
            _ => {}
        }
        events.push(event);
    }
    events
}

fn with_library_images<'a>(events: Vec<Event<'a>>, images: &LibraryImages) -> Vec<Event<'a>> {
    let mut out = Vec::with_capacity(events.len());
    let mut iter = events.into_iter();
    while let Some(event) = iter.next() {
        let Event::Start(Tag::Image {
            dest_url, title, ..
        }) = &event
        else {
            out.push(event);
            continue;
        };
        let Some(hash) = library_hash(dest_url) else {
            out.push(event);
            continue;
        };
        let picture = images.by_hash.get(hash);
        let title = title.to_string();
        // The alt text is the text up to the matching end of the image.
        let mut alt = String::new();
        let mut depth = 1;
        for inner in iter.by_ref() {
            match inner {
                Event::Start(Tag::Image { .. }) => depth += 1,
                Event::End(TagEnd::Image) => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                Event::Text(text) | Event::Code(text) => alt.push_str(&text),
                _ => {}
            }
        }
        match picture {
            Some(picture) => out.push(Event::InlineHtml(CowStr::from(img_tag(
                picture, &alt, &title,
            )))),
            None if alt.is_empty() => {}
            None => out.push(Event::Text(CowStr::from(alt))),
        }
    }
    out
}

fn img_tag(picture: &Picture, alt: &str, title: &str) -> String {
    let mut tag = format!("<img src=\"{}\"", attr(&picture.src));
    if !picture.srcset.is_empty() {
        tag.push_str(&format!(
            " srcset=\"{}\" sizes=\"{IMAGE_SIZES}\"",
            attr(&picture.srcset)
        ));
    }
    tag.push_str(&format!(
        " width=\"{}\" height=\"{}\" alt=\"{}\"",
        picture.width,
        picture.height,
        attr(alt)
    ));
    if !title.is_empty() {
        tag.push_str(&format!(" title=\"{}\"", attr(title)));
    }
    tag.push('>');
    tag
}

/// Escapes text for an element or a quoted attribute value: text stays text wherever
/// HTML is expected (feed descriptions, generated markup).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON with `<`, `>` and `&` written as `\u` escapes (they occur only inside strings,
/// where the escapes mean the same): safe inside a `<script>` element, and no markup
/// for anything that sniffs the document as HTML.
pub fn json_without_markup(value: &serde_json::Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn attr(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `srcset` is only kept when every candidate is a library file.
fn is_library_srcset(value: &str) -> bool {
    value.split(',').all(|candidate| {
        let mut parts = candidate.split_whitespace();
        let (Some(url), Some(width), None) = (parts.next(), parts.next(), parts.next()) else {
            return false;
        };
        library_hash(url).is_some()
            && width
                .strip_suffix('w')
                .is_some_and(|w| !w.is_empty() && w.bytes().all(|c| c.is_ascii_digit()))
    })
}

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(sanitizer);

/// Stored HTML with every relative link and image made absolute against `base` (feeds are
/// read away from the site). Runs the same sanitiser again, so nothing new gets through.
pub fn with_absolute_urls(html: &str, base: &url::Url) -> String {
    let mut builder = sanitizer();
    // Feed readers take `src` (the largest variant); relative candidates would not resolve.
    builder.rm_tag_attributes("img", ["srcset", "sizes"]);
    builder.url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone()));
    builder.clean(html).to_string()
}

fn sanitizer() -> ammonia::Builder<'static> {
    let mut builder = ammonia::Builder::default();
    builder
        .add_tags(["input", "iframe"])
        .add_tag_attributes("h1", ["id"])
        .add_tag_attributes("h2", ["id"])
        .add_tag_attributes("h3", ["id"])
        .add_tag_attributes("h4", ["id"])
        .add_tag_attributes("h5", ["id"])
        .add_tag_attributes("h6", ["id"])
        .add_tag_attributes("code", ["class"])
        .add_tag_attributes("sup", ["class", "id"])
        .add_tag_attributes("div", ["class", "id"])
        .add_tag_attributes("li", ["id"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_tag_attributes("img", ["srcset", "sizes"])
        .add_tag_attributes(
            "iframe",
            [
                "src",
                "width",
                "height",
                "title",
                "allowfullscreen",
                "loading",
            ],
        )
        .set_tag_attribute_value("img", "loading", "lazy")
        .set_tag_attribute_value("iframe", "loading", "lazy")
        .link_rel(Some("noopener"))
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            ("code", "class") => is_language_class(value).then_some(value.into()),
            ("sup" | "div", "class") => FOOTNOTE_CLASSES.contains(&value).then_some(value.into()),
            ("input", "type") => (value == "checkbox").then_some(value.into()),
            ("img", "srcset") => is_library_srcset(value).then_some(value.into()),
            ("img", "sizes") => (value == IMAGE_SIZES).then_some(value.into()),
            ("iframe", "src") => allowed_embed(value).map(Into::into),
            _ => Some(value.into()),
        });
    builder
}

/// The embed URL to keep, if `value` is one of [`IFRAME_PREFIXES`] and stays under it: it
/// is parsed, and refused when anything could move it elsewhere once resolved — dot
/// segments (`/embed/../../redirect`), encoded dots, slashes or backslashes, a backslash,
/// credentials, a port. What is kept is the parsed URL, exactly what the browser loads.
fn allowed_embed(value: &str) -> Option<String> {
    let lower = value.to_ascii_lowercase();
    if ["%2e", "%2f", "%5c", "\\"]
        .iter()
        .any(|bad| lower.contains(bad))
        || value.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return None;
    }
    let raw_path = value
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .splitn(4, '/')
        .nth(3)
        .unwrap_or_default();
    if raw_path
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return None;
    }
    let url = url::Url::parse(value).ok()?;
    if url.scheme() != "https"
        || !url.username().is_empty()
        || url.password().is_some()
        || url.port().is_some()
    {
        return None;
    }
    let host = url.host_str()?;
    IFRAME_PREFIXES
        .iter()
        .filter_map(|prefix| url::Url::parse(prefix).ok())
        .any(|prefix| {
            prefix.host_str() == Some(host)
                && url.path().len() > prefix.path().len()
                && url.path().starts_with(prefix.path())
        })
        .then(|| url.to_string())
}

const FOOTNOTE_CLASSES: &[&str] = &[
    "footnote-reference",
    "footnote-definition",
    "footnote-definition-label",
];

/// `language-rust`, `language-c++`: what pulldown-cmark writes for fenced code.
fn is_language_class(value: &str) -> bool {
    value.strip_prefix("language-").is_some_and(|lang| {
        !lang.is_empty()
            && lang.len() <= 40
            && lang
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-#._".contains(c))
    })
}

/// The text of the Markdown without markup, for excerpts, reading time and search. Raw
/// HTML counts too (imported posts are stored as HTML): its tags are dropped, the content
/// of `<script>` and `<style>` skipped.
pub fn plain_text(markdown: &str) -> String {
    let mut text = String::with_capacity(markdown.len());
    // pulldown-cmark hands an HTML block over line by line and an inline `<script>`'s
    // content as Text between two InlineHtml events: one reader keeps the state across.
    let mut html = HtmlText::default();
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Html(chunk) | Event::InlineHtml(chunk) => html.push(&chunk, &mut text),
            Event::Text(t) | Event::Code(t) if html.takes_text() => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::End(_) if !text.ends_with(' ') => {
                text.push(' ');
            }
            _ => {}
        }
    }
    html.finish(&mut text);
    collapse_whitespace(&text)
}

/// The text of an HTML fragment: tags and comments removed, `<script>`/`<style>` content
/// dropped, entities decoded, whitespace collapsed. Block boundaries (`</p>`, `<br>`, …)
/// separate words.
pub fn html_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut reader = HtmlText::default();
    reader.push(html, &mut text);
    reader.finish(&mut text);
    collapse_whitespace(&text)
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads HTML that may arrive in pieces and writes out its text. A small tokenizer after
/// the HTML standard's, without a tree: enough for excerpts and search, not a sanitiser.
#[derive(Debug, Default)]
pub struct HtmlText {
    state: HtmlState,
    /// Lowercased name of the tag being read.
    tag_name: String,
    closing_tag: bool,
    /// Inside `<script>`/`<style>`: the end tag we wait for, and the last characters seen.
    raw_text_end: &'static str,
    raw_text_tail: String,
    /// Text not yet written out (entities are decoded a run at a time).
    pending: String,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum HtmlState {
    #[default]
    Text,
    /// After `<`.
    TagOpen,
    /// After `</`.
    EndTagOpen,
    /// After `<!` and this many dashes.
    MarkupDeclaration(u8),
    TagName,
    /// Among the attributes; `quote` is the open quote, `after_equals` when a value starts.
    Attributes {
        quote: Option<char>,
        after_equals: bool,
    },
    /// Inside `<!-- -->`, counting the dashes just seen.
    Comment(u8),
    /// `<!DOCTYPE …>`, `<?xml …>` and other oddities, up to `>`.
    BogusComment,
    /// The content of `<script>` or `<style>`.
    RawText,
}

/// Tags whose start or end separates words ("one</li><li>two").
const WORD_BREAKING_TAGS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "caption",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
];

impl HtmlText {
    /// Reads the next piece of HTML, appending its text to `out`.
    pub fn push(&mut self, html: &str, out: &mut String) {
        for c in html.chars() {
            self.step(c, out);
        }
        self.flush(out);
    }

    /// Whether text outside HTML events (Markdown's own) is visible here: not inside a
    /// `<script>`, `<style>` or comment.
    pub fn takes_text(&self) -> bool {
        self.state == HtmlState::Text
    }

    /// Ends the input: a lone `<` at the very end was text.
    pub fn finish(&mut self, out: &mut String) {
        if self.state == HtmlState::TagOpen {
            self.pending.push('<');
            self.state = HtmlState::Text;
        }
        self.flush(out);
    }

    fn flush(&mut self, out: &mut String) {
        if !self.pending.is_empty() {
            out.push_str(&decode_entities(&self.pending));
            self.pending.clear();
        }
    }

    fn step(&mut self, c: char, out: &mut String) {
        use HtmlState::*;
        match self.state {
            Text => {
                if c == '<' {
                    self.flush(out);
                    self.state = TagOpen;
                } else {
                    self.pending.push(c);
                }
            }
            TagOpen => match c {
                c if c.is_ascii_alphabetic() => self.start_tag_name(c, false),
                '/' => self.state = EndTagOpen,
                '!' => self.state = MarkupDeclaration(0),
                '?' => self.state = BogusComment,
                // "a < b": not a tag.
                _ => {
                    self.pending.push('<');
                    self.state = Text;
                    self.step(c, out);
                }
            },
            EndTagOpen => match c {
                c if c.is_ascii_alphabetic() => self.start_tag_name(c, true),
                '>' => self.state = Text,
                _ => self.state = BogusComment,
            },
            MarkupDeclaration(0) if c == '-' => self.state = MarkupDeclaration(1),
            // Counting the opening dashes lets `<!-->` and `<!--->` end at once, as in browsers.
            MarkupDeclaration(_) if c == '-' => self.state = Comment(2),
            MarkupDeclaration(_) => self.state = if c == '>' { Text } else { BogusComment },
            TagName => match c {
                '>' => self.end_tag(out),
                '/' => {
                    self.state = Attributes {
                        quote: None,
                        after_equals: false,
                    }
                }
                c if c.is_whitespace() => {
                    self.state = Attributes {
                        quote: None,
                        after_equals: false,
                    }
                }
                c => {
                    // Tag names are short; don't let a hostile one grow without bound.
                    if self.tag_name.len() < 16 {
                        self.tag_name.push(c.to_ascii_lowercase());
                    }
                }
            },
            Attributes {
                quote: Some(q),
                after_equals,
            } => {
                if c == q {
                    self.state = Attributes {
                        quote: None,
                        after_equals,
                    };
                }
            }
            Attributes {
                quote: None,
                after_equals,
            } => match c {
                '>' => self.end_tag(out),
                '=' => {
                    self.state = Attributes {
                        quote: None,
                        after_equals: true,
                    }
                }
                c if c.is_whitespace() => {}
                // Quotes only open a value right after `=` (`<p don't>` is no quote).
                '"' | '\'' if after_equals => {
                    self.state = Attributes {
                        quote: Some(c),
                        after_equals: false,
                    }
                }
                _ => {
                    self.state = Attributes {
                        quote: None,
                        after_equals: false,
                    }
                }
            },
            Comment(dashes) => {
                self.state = match c {
                    '-' => Comment(dashes.saturating_add(1)),
                    '>' if dashes >= 2 => Text,
                    _ => Comment(0),
                }
            }
            BogusComment => {
                if c == '>' {
                    self.state = Text;
                }
            }
            RawText => {
                self.raw_text_tail.push(c.to_ascii_lowercase());
                if self.raw_text_tail.len() > self.raw_text_end.len() {
                    let cut = self.raw_text_tail.len() - self.raw_text_end.len();
                    // Only ASCII matters for the match; drop whole characters from the front.
                    let cut = (cut..=self.raw_text_tail.len())
                        .find(|&i| self.raw_text_tail.is_char_boundary(i))
                        .unwrap_or(self.raw_text_tail.len());
                    self.raw_text_tail.drain(..cut);
                }
                if self.raw_text_tail == self.raw_text_end {
                    // The rest of the end tag, up to `>`, is read as attributes.
                    self.raw_text_tail.clear();
                    self.tag_name.clear();
                    self.closing_tag = true;
                    self.state = Attributes {
                        quote: None,
                        after_equals: false,
                    };
                }
            }
        }
    }

    fn start_tag_name(&mut self, first: char, closing: bool) {
        self.tag_name.clear();
        self.tag_name.push(first.to_ascii_lowercase());
        self.closing_tag = closing;
        self.state = HtmlState::TagName;
    }

    fn end_tag(&mut self, out: &mut String) {
        if WORD_BREAKING_TAGS.contains(&self.tag_name.as_str()) {
            out.push(' ');
        }
        self.state = HtmlState::Text;
        if !self.closing_tag {
            match self.tag_name.as_str() {
                "script" => self.raw_text_end = "</script",
                "style" => self.raw_text_end = "</style",
                _ => return,
            }
            self.raw_text_tail.clear();
            self.state = HtmlState::RawText;
        }
    }
}

/// Decodes character references: decimal and hexadecimal ones, and the named ones
/// WordPress content commonly holds. Unknown names stay as written.
pub fn decode_entities(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('&') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        match decode_reference(after) {
            Some((decoded, used)) => {
                out.push_str(&decoded);
                rest = &after[used..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// The reference at the start of `s` (just after `&`): its text and how many bytes it used.
fn decode_reference(s: &str) -> Option<(String, usize)> {
    if let Some(number) = s.strip_prefix('#') {
        let (digits, radix, prefix) = match number.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, 16, 2),
            None => (number, 10, 1),
        };
        let len = digits
            .bytes()
            .take_while(|b| {
                if radix == 16 {
                    b.is_ascii_hexdigit()
                } else {
                    b.is_ascii_digit()
                }
            })
            .count();
        if len == 0 {
            return None;
        }
        let value = u32::from_str_radix(&digits[..len], radix).unwrap_or(u32::MAX);
        let semicolon = usize::from(digits[len..].starts_with(';'));
        return Some((
            numeric_reference(value).to_string(),
            prefix + len + semicolon,
        ));
    }
    let len = s.bytes().take_while(u8::is_ascii_alphanumeric).count();
    if len == 0 || !s[len..].starts_with(';') {
        return None;
    }
    let decoded = match &s[..len] {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        "nbsp" => "\u{a0}",
        "hellip" => "…",
        "mdash" => "—",
        "ndash" => "–",
        "lsquo" => "‘",
        "rsquo" => "’",
        "sbquo" => "‚",
        "ldquo" => "“",
        "rdquo" => "”",
        "bdquo" => "„",
        "laquo" => "«",
        "raquo" => "»",
        "lsaquo" => "‹",
        "rsaquo" => "›",
        "prime" => "′",
        "Prime" => "″",
        "bull" => "•",
        "middot" => "·",
        "copy" => "©",
        "reg" => "®",
        "trade" => "™",
        "deg" => "°",
        "euro" => "€",
        "pound" => "£",
        "yen" => "¥",
        "cent" => "¢",
        "sect" => "§",
        "para" => "¶",
        "shy" => "\u{ad}",
        "ensp" => "\u{2002}",
        "emsp" => "\u{2003}",
        "thinsp" => "\u{2009}",
        "zwnj" => "\u{200c}",
        "zwj" => "\u{200d}",
        "iexcl" => "¡",
        "iquest" => "¿",
        "frac12" => "½",
        "frac14" => "¼",
        "frac34" => "¾",
        name => {
            let letter = LATIN1_NAMES.iter().position(|n| *n == name)?;
            let letter = char::from_u32(0xC0 + letter as u32)?;
            return Some((letter.to_string(), len + 1));
        }
    };
    Some((decoded.to_owned(), len + 1))
}

/// Names of U+00C0–U+00FF (`&eacute;` and friends), in order.
const LATIN1_NAMES: [&str; 64] = [
    "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil", "Egrave", "Eacute",
    "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH", "Ntilde", "Ograve", "Oacute",
    "Ocirc", "Otilde", "Ouml", "times", "Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute",
    "THORN", "szlig", "agrave", "aacute", "acirc", "atilde", "auml", "aring", "aelig", "ccedil",
    "egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc", "iuml", "eth", "ntilde",
    "ograve", "oacute", "ocirc", "otilde", "ouml", "divide", "oslash", "ugrave", "uacute", "ucirc",
    "uuml", "yacute", "thorn", "yuml",
];

/// A numeric reference as browsers read it: 128–159 are Windows-1252 (old WordPress
/// content has `&#150;` for a dash), invalid values become U+FFFD.
fn numeric_reference(value: u32) -> char {
    const WINDOWS_1252: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match value {
        0 => '\u{fffd}',
        0x80..=0x9f => WINDOWS_1252[(value - 0x80) as usize],
        _ => char::from_u32(value).unwrap_or('\u{fffd}'),
    }
}

/// The first `max_chars` characters of the text, cut at a word boundary, with "…" when cut.
pub fn excerpt(markdown: &str, max_chars: usize) -> String {
    // Only the beginning can end up in the excerpt: don't parse the whole text (lists
    // show many excerpts per page).
    let mut end = markdown.len().min(max_chars * 8 + 64);
    while !markdown.is_char_boundary(end) {
        end -= 1;
    }
    let text = plain_text(&markdown[..end]);
    if text.chars().count() <= max_chars {
        return text;
    }
    let cut: String = text.chars().take(max_chars).collect();
    let at_word = cut.rfind(' ').map_or(cut.as_str(), |i| &cut[..i]);
    format!("{}…", at_word.trim_end_matches([',', ';', ':', '.', ' ']))
}

/// Words of the text, for reading time. Counted on the Markdown itself (markup tokens
/// like `-` or `##` count too): close enough for "n min read", and no parse per listing.
pub fn word_count(markdown: &str) -> usize {
    markdown
        .split_whitespace()
        .filter(|word| word.chars().any(char::is_alphanumeric))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(markdown: &str) -> String {
        render(markdown, &LibraryImages::default()).into_string()
    }

    #[test]
    fn renders_the_extensions() {
        let out = html(
            "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~gone~~\n\n- [x] done\n- [ ] todo\n\nNote[^1].\n\n[^1]: The note.\n",
        );
        assert!(
            out.contains("<table>") && out.contains("<td>1</td>"),
            "{out}"
        );
        assert!(out.contains("<del>gone</del>"), "{out}");
        assert!(
            out.contains("type=\"checkbox\"") && out.contains("checked"),
            "{out}"
        );
        assert!(
            out.contains("footnote-reference") && out.contains("footnote-definition"),
            "{out}"
        );
    }

    #[test]
    fn smart_punctuation() {
        assert!(html("\"Quotes\" -- and...").contains("“Quotes” – and…"));
    }

    #[test]
    fn headings_get_stable_unique_anchors() {
        let out = html("# Getting started\n\n## Setup\n\n## Setup\n\n## Custom {#mine}\n");
        assert!(out.contains("<h1 id=\"getting-started\">"), "{out}");
        assert!(
            out.contains("<h2 id=\"setup\">") && out.contains("<h2 id=\"setup-2\">"),
            "{out}"
        );
        assert!(
            out.contains("<h2 id=\"mine\">") || out.contains("id=\"custom"),
            "{out}"
        );
    }

    #[test]
    fn code_keeps_its_language_and_images_load_lazily() {
        let out = html("```rust\nfn main() {}\n```\n\n![A cat](/media/cat.jpg)");
        assert!(out.contains("<code class=\"language-rust\">"), "{out}");
        assert!(
            out.contains("loading=\"lazy\"") && out.contains("alt=\"A cat\""),
            "{out}"
        );
        let hostile = html("```\" onmouseover=\"alert(1)\nx\n```");
        assert!(!hostile.contains("onmouseover"), "{hostile}");
    }

    #[test]
    fn links_get_noopener() {
        let out = html("[site](https://example.org)");
        assert!(out.contains("rel=\"noopener\""), "{out}");
    }

    /// XSS payloads from the usual corpora: none may survive as markup.
    #[test]
    fn hostile_markdown_is_defused() {
        let payloads = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[click](javascript:alert(1))",
            "[click](JaVaScRiPt:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<svg onload=alert(1)><circle r=10 /></svg>",
            "<svg><script>alert(1)</script></svg>",
            "<!-- <script>alert(1)</script> -->",
            "<iframe src=\"https://evil.example/\"></iframe>",
            "<iframe src=\"javascript:alert(1)\"></iframe>",
            "<div><p>unclosed <b>nesting</div></p>",
            "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
            "<style>body{display:none}</style>",
            "<object data=\"x.swf\"></object><embed src=\"x.swf\">",
            "<form action=\"https://evil.example\"><input name=a></form>",
            "<img src=\"data:image/svg+xml;base64,PHN2Zz48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+\">",
            "<a href=\"vbscript:msgbox(1)\">x</a>",
            "![x](\"onerror=\"alert(1))",
            "<details open ontoggle=alert(1)>",
            "<input type=\"text\" autofocus onfocus=alert(1)>",
        ];
        for payload in payloads {
            let out = html(payload).to_lowercase();
            // Event handlers only matter as attributes (a space before them).
            for bad in [
                "<script",
                " onerror",
                " onload",
                " ontoggle",
                " onfocus",
                "javascript:",
                "vbscript:",
                "<svg",
                "<style",
                "<object",
                "<embed",
                "<form",
                "<!--",
                "data:image/svg",
                "evil.example",
            ] {
                assert!(!out.contains(bad), "{payload:?} left {bad:?} in {out}");
            }
        }
    }

    #[test]
    fn feed_html_gets_absolute_urls() {
        let base = url::Url::parse("https://blog.example.org/").unwrap();
        let html = html("[about](/about) ![x](/media/a.png) [ext](https://x.example/)");
        let out = with_absolute_urls(&html, &base);
        assert!(
            out.contains("href=\"https://blog.example.org/about\""),
            "{out}"
        );
        assert!(
            out.contains("src=\"https://blog.example.org/media/a.png\""),
            "{out}"
        );
        assert!(out.contains("href=\"https://x.example/\""), "{out}");
    }

    const HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn library_images_get_their_variants_and_size() {
        let key = crate::media::storage::original_key(HASH, "jpg");
        let mut images = LibraryImages::default();
        images.by_hash.insert(
            HASH.to_owned(),
            Picture::from_parts(
                &key,
                HASH,
                "image/jpeg",
                crate::media::images::Dimensions {
                    width: 2000,
                    height: 1000,
                },
                "",
            ),
        );
        let out = render(
            &format!("![A *red* \"door\"](/media/{key} \"Title\")"),
            &images,
        )
        .into_string();
        assert!(
            out.contains(&format!("src=\"/media/e3/b0/{HASH}-1600.jpg\"")),
            "{out}"
        );
        assert!(
            out.contains(&format!("/media/e3/b0/{HASH}-480.jpg 480w")),
            "{out}"
        );
        assert!(out.contains(&format!("sizes=\"{IMAGE_SIZES}\"")), "{out}");
        assert!(
            out.contains("width=\"1600\"") && out.contains("height=\"800\""),
            "{out}"
        );
        assert!(out.contains("alt=\"A red “door”\""), "{out}");
        assert!(out.contains("loading=\"lazy\""), "{out}");
        // A deleted file leaves its alt text, not a broken image.
        let gone = html(&format!("Look: ![A door](/media/{key})"));
        assert!(!gone.contains("<img"), "{gone}");
        assert!(gone.contains("Look: A door"), "{gone}");
    }

    #[test]
    fn only_library_urls_stay_in_srcset() {
        let out = html(&format!(
            "<img src=\"/media/e3/b0/{HASH}.jpg\" srcset=\"https://evil.example/x.jpg 480w\" sizes=\"100vw\">"
        ));
        assert!(!out.contains("srcset") && !out.contains("sizes"), "{out}");
    }

    #[test]
    fn allowed_embeds_pass() {
        let out = html(
            "<iframe src=\"https://www.youtube-nocookie.com/embed/abc\" title=\"Video\"></iframe>",
        );
        assert!(
            out.contains("src=\"https://www.youtube-nocookie.com/embed/abc\""),
            "{out}"
        );
    }

    #[test]
    fn embeds_that_could_leave_their_prefix_are_dropped() {
        for src in [
            "https://www.youtube.com/embed/../../redirect?q=https://evil.example",
            "https://www.youtube.com/embed/%2e%2e/%2E%2E/redirect",
            "https://www.youtube.com/embed/.%2e/redirect",
            "https://www.youtube.com/embed/..\\..\\redirect",
            "https://www.youtube.com/embed/abc/../../../redirect",
            "https://www.youtube.com/embed/%2fredirect",
            "https://user:pw@www.youtube.com/embed/abc",
            "https://www.youtube.com:8443/embed/abc",
            "https://www.youtube.com.evil.example/embed/abc",
            "https://www.youtube.com/embed/",
            "http://www.youtube.com/embed/abc",
            "https://www.youtube.com/embedder/abc",
            "https://www.youtube.com/EMBED/abc",
        ] {
            let out = html(&format!("<iframe src=\"{src}\"></iframe>"));
            assert!(!out.contains("src="), "{src} → {out}");
        }
        assert_eq!(
            allowed_embed("https://player.vimeo.com/video/123?h=abc#t=1"),
            Some("https://player.vimeo.com/video/123?h=abc#t=1".to_owned())
        );
    }

    #[test]
    fn excerpts_and_word_counts_use_plain_text() {
        let md =
            "# Title\n\nSome **bold** text with a [link](https://x.example).\n\nMore words here.";
        assert_eq!(
            plain_text(md),
            "Title Some bold text with a link . More words here."
        );
        assert_eq!(word_count(md), 10);
        assert_eq!(excerpt(md, 18), "Title Some bold…");
        assert_eq!(excerpt("short", 100), "short");
    }

    #[test]
    fn plain_text_includes_raw_html_text() {
        assert_eq!(
            plain_text("<p>Hello <em>world</em></p>\n<ul><li>one</li></ul>"),
            "Hello world one"
        );
        assert_eq!(
            plain_text("<p>Caf&eacute; &amp; tea&hellip; &#8220;hi&#8221; &times;</p>"),
            "Café & tea… “hi” ×"
        );
        // Markdown and inline HTML mixed.
        assert_eq!(
            plain_text("Some *text* with <b>bold</b> words."),
            "Some text with bold words."
        );
    }

    #[test]
    fn plain_text_never_shows_script_or_style_content() {
        let bodies = [
            "<p>Before</p>\n<script>\nvar secret = 1;\n\nalert(secret);\n</script>\n<p>After</p>",
            "Before <script>var secret = 1;</script> After",
            "<div>Before\n<style>\n.secret { color: red }\n</style>\nAfter</div>",
            "Before <!-- secret\ncomment --> After",
            "<p>Before</p>\n\n<script>\nsecret()\n\n\nsecret()</script>\n\nAfter",
        ];
        for body in bodies {
            let text = plain_text(body);
            assert!(!text.contains("secret"), "{body:?} gave {text:?}");
            assert!(
                text.starts_with("Before") && text.ends_with("After"),
                "{body:?} gave {text:?}"
            );
        }
    }

    #[test]
    fn html_text_separates_blocks_and_decodes_entities() {
        assert_eq!(
            html_text("<p>one</p><p>two<br>three</p><ul><li>four</li><li>five</li></ul>"),
            "one two three four five"
        );
        assert_eq!(
            html_text("a &lt; b &#x3E; c &#62; d &#150; e"),
            "a < b > c > d – e"
        );
        assert_eq!(html_text("<a title=\"x > y\" href='/'>link</a>"), "link");
        assert_eq!(html_text("1 < 2 and 3 > 2 <"), "1 < 2 and 3 > 2 <");
        assert_eq!(html_text("<p don't>text</p>"), "text");
        assert_eq!(html_text("a<!---->b<!-->c<!DOCTYPE html>d"), "abcd");
        assert_eq!(
            html_text("&#0; &#xD800; &#99999999999; &bogus;"),
            "\u{fffd} \u{fffd} \u{fffd} &bogus;"
        );
    }
}
