//! The text of HTML: a small tokenizer after the HTML standard's, without a tree, that
//! drops tags, comments and `<script>`/`<style>` content and decodes entities. Enough for
//! excerpts and search; not a sanitiser.

use super::entities::decode_entities;

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

/// Marks the end of a block in text being gathered (see [`end_block`]); NUL never stays in
/// text (the HTML reader and CommonMark both replace it with U+FFFD).
const BLOCK_END: char = '\0';

/// Whitespace collapsed to single spaces, and block ends (see [`end_block`]) turned into
/// sentence ends: a block that doesn't end a sentence gets a full stop when more text
/// follows, so blocks read as sentences on one line ("What to bring. A warm coat" rather
/// than "What to bring A warm coat"). The last block keeps its text as written.
pub(crate) fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for block in text.split(BLOCK_END) {
        let mut words = block.split_whitespace().peekable();
        if words.peek().is_none() {
            continue;
        }
        if !out.is_empty() {
            if !ends_sentence(&out) {
                out.push('.');
            }
            out.push(' ');
        }
        for (i, word) in words.enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    out
}

/// Whether the text ends with punctuation that ends a sentence or clause, maybe inside
/// closing quotes or brackets.
fn ends_sentence(text: &str) -> bool {
    text.chars()
        .rev()
        .find(|c| !matches!(c, '"' | '\'' | ')' | ']' | '”' | '’' | '»'))
        .is_some_and(|c| matches!(c, '.' | '!' | '?' | '…' | ':' | ';' | ','))
}

/// Ends a block of text (a paragraph, heading, list item…) being gathered in `out`, for
/// [`collapse_whitespace`].
pub(crate) fn end_block(out: &mut String) {
    out.push(BLOCK_END);
}

/// Text as it may be gathered: NUL, the block mark, becomes U+FFFD as HTML's parser does.
pub(crate) fn push_text(out: &mut String, text: &str) {
    if text.contains(BLOCK_END) {
        out.push_str(&text.replace(BLOCK_END, "\u{fffd}"));
    } else {
        out.push_str(text);
    }
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

/// Tags whose end ends a block of text, read as the end of a sentence (see [`end_block`]).
const BLOCK_ENDING_TAGS: &[&str] = &[
    "address",
    "blockquote",
    "caption",
    "dd",
    "div",
    "dt",
    "figcaption",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "p",
    "pre",
    "summary",
    "tr",
];

/// Tags whose start or end separates words ("one</td><td>two").
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
            push_text(out, &decode_entities(&self.pending));
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
        let name = self.tag_name.as_str();
        if self.closing_tag && BLOCK_ENDING_TAGS.contains(&name) {
            end_block(out);
        } else if WORD_BREAKING_TAGS.contains(&name) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_text_separates_blocks_and_decodes_entities() {
        assert_eq!(
            html_text("<p>one</p><p>two<br>three</p><ul><li>four</li><li>five</li></ul>"),
            "one. two three. four. five"
        );
        assert_eq!(
            html_text("<h2>What to bring</h2><ul><li>A warm coat</li><li>A thermos!</li></ul>"),
            "What to bring. A warm coat. A thermos!"
        );
        assert_eq!(html_text("a\0b</p>c"), "a\u{fffd}b. c");
        assert_eq!(
            html_text("<p>the <a href=\"/p\">harbour pilot</a>, who <em>knows</em>.</p>"),
            "the harbour pilot, who knows."
        );
        assert_eq!(
            html_text("<p>He said “ready.”</p><p>(See <b>below</b>)</p><div></div>"),
            "He said “ready.” (See below)"
        );
        assert_eq!(
            html_text("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>"),
            "a b. c"
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
