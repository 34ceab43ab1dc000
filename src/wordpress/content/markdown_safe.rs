//! Markdown safety: converted HTML shaped so that our Markdown renderer passes it through
//! untouched (one CommonMark HTML block).

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
pub(super) fn is_blank(line: &str) -> bool {
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
pub(super) fn starts_html_block(html: &str) -> bool {
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
