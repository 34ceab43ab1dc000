//! WordPress post HTML → the body Folio stores (see the module docs of `wordpress`).
//!
//! WordPress stores `post_content` as "almost HTML": a classic post relies on `wpautop` to
//! turn blank lines into paragraphs when the page is shown, a block post carries
//! `<!-- wp:… -->` delimiters, and both may hold shortcodes. [`convert`] produces the HTML a
//! WordPress reader saw, shaped so that our Markdown renderer passes it through untouched
//! (one CommonMark HTML block, see [`markdown_safe`]). Pure functions: no database, no I/O.
//!
//! One module per algorithm: `autop` (wpautop), `shortcodes`, `markdown_safe` and
//! `uploads` (old upload URLs → the media library).

use regex::Captures;

use crate::render::markdown::html_text;

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
        static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            regex::Regex::new($pattern).expect("static regex is valid")
        });
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

// After the macros above, which they use.
mod autop;
mod markdown_safe;
mod shortcodes;
mod uploads;

pub use autop::autop;
pub use markdown_safe::markdown_safe;
use shortcodes::{embed_link, render_shortcodes};
pub use uploads::replace_upload_urls;

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
/// The text of an HTML fragment, for excerpts and search: tags removed, script, style and
/// comments dropped, entities decoded, whitespace collapsed; block ends separate words.
pub fn plain_text(html: &str) -> String {
    html_text(html)
}

#[cfg(test)]
mod tests {
    use super::markdown_safe::{is_blank, starts_html_block};
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
            "Title. Text"
        );
        assert_eq!(
            plain_text("line<br>break<br />again</p>end"),
            "line break again. end"
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
        assert_eq!(plain_text(&body), "Para *one* line. Para two");
        assert_eq!(
            crate::render::markdown::plain_text(&body),
            "Para *one* line. Para two"
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
        .map(ToString::to_string)
        .collect();
        inputs.push("[a]".repeat(2000));
        inputs.push("[a ".repeat(30_000));
        inputs.push("[[gallery]".repeat(500));
        inputs.push("<".repeat(100_000));
        inputs.push("<!--x".repeat(20_000));
        inputs.push("<!-- wp:x ".repeat(500));
        inputs.push(format!("[caption]{}", "x".repeat(10_000)));
        inputs.push("é\n".repeat(1000));

        let bases = [
            "https://old.example/wp-content/uploads/".to_owned(),
            "//old.example/".to_owned(),
        ];
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
