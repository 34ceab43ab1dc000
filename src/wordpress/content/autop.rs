//! wpautop: WordPress's paragraph and line-break filter, ported (see `autop`).

use regex::{Captures, Regex};

/// PHP's `trim()` characters.
pub(super) const PHP_TRIM: &[char] = &[' ', '\t', '\n', '\r', '\0', '\x0B'];

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
