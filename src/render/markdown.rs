//! Markdown to page HTML: pulldown-cmark (tables, footnotes, strikethrough, task lists,
//! smart punctuation, heading anchors, library images with their variants) followed by
//! the sanitiser (`sanitize`). And the text of Markdown without markup, for excerpts,
//! reading time and search.

use std::collections::{HashMap, HashSet};

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

use super::html_text::{HtmlText, collapse_whitespace, end_block, push_text};
use super::sanitize::{self, SafeHtml};
use crate::domain::slug::slugify;
use crate::media::picture::{IMAGE_SIZES, Picture, library_hash};

// Kept under their first path for the WordPress importer and the feed tests.
pub use super::entities::decode_entities;
pub use super::escape::escape_html;
pub use super::html_text::html_text;

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

/// Renders Markdown. An image whose URL names a library file (`/media/…`) is shown with
/// its variants when `images` knows its hash, and as its alt text when not (the file was
/// deleted): pass what `media::render_markdown` finds wherever a database is at hand.
pub fn render(markdown: &str, images: &LibraryImages) -> SafeHtml {
    let events = with_library_images(
        with_task_labels(with_heading_anchors(Parser::new_ext(markdown, options()))),
        images,
    );
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, events.into_iter());
    sanitize::clean(&unsafe_html)
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

/// Puts each task list checkbox in a `<label>` with the item's text, up to the first
/// block inside the item (a nested list, a second paragraph), so that screen readers
/// announce what is done. The checkbox stays disabled: readers cannot tick it.
fn with_task_labels(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let mut out = Vec::with_capacity(events.len());
    let mut label_open = false;
    for event in events {
        if let Event::TaskListMarker(checked) = event {
            let checked = if checked { " checked" } else { "" };
            out.push(Event::InlineHtml(CowStr::from(format!(
                "<label><input type=\"checkbox\" disabled{checked}> "
            ))));
            label_open = true;
            continue;
        }
        let ends_label = match &event {
            Event::End(end) => ends_block(*end),
            Event::Start(tag) => !is_inline(tag),
            Event::Html(_) | Event::Rule | Event::DisplayMath(_) => true,
            _ => false,
        };
        if label_open && ends_label {
            out.push(Event::InlineHtml(CowStr::Borrowed("</label>")));
            label_open = false;
        }
        out.push(event);
    }
    out
}

fn is_inline(tag: &Tag<'_>) -> bool {
    matches!(
        tag,
        Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough
            | Tag::Superscript
            | Tag::Subscript
            | Tag::Link { .. }
            | Tag::Image { .. }
    )
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
        let alt = read_alt(&mut iter);
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

/// The alt text of an image whose start was just read: its text up to the matching end
/// of the image (which is consumed too). What pages show and what the library adopts
/// (`library_image_alts`) are read the same way.
fn read_alt<'a>(events: &mut impl Iterator<Item = Event<'a>>) -> String {
    let mut alt = String::new();
    let mut depth = 1;
    for inner in events {
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
    alt
}

/// The alt text typed for each library image of the text (`![A harbour](/media/…)`), by
/// content hash, first typed first; images typed without alt text are left out, and a
/// file shown twice keeps its first alt text. `media::adopt_alt_texts` gives them to the
/// library files that have none.
pub fn library_image_alts(markdown: &str) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = Vec::new();
    let mut events = Parser::new_ext(markdown, options());
    while let Some(event) = events.next() {
        let Event::Start(Tag::Image { dest_url, .. }) = event else {
            continue;
        };
        let Some(hash) = library_hash(&dest_url).map(str::to_owned) else {
            continue;
        };
        let alt = read_alt(&mut events);
        let alt = alt.trim();
        if !alt.is_empty() && !found.iter().any(|(h, _)| *h == hash) {
            found.push((hash, alt.to_owned()));
        }
    }
    found
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

fn attr(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
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
            Event::Text(t) | Event::Code(t) if html.takes_text() => push_text(&mut text, &t),
            // Inline ends (emphasis, links…) add nothing: "a [link](/x), then" stays
            // "a link, then". Blocks end as sentences; a line break or a table cell is a
            // space.
            Event::End(end) if ends_block(end) => end_block(&mut text),
            Event::SoftBreak | Event::HardBreak | Event::End(TagEnd::TableCell)
                if !text.ends_with(' ') =>
            {
                text.push(' ');
            }
            _ => {}
        }
    }
    html.finish(&mut text);
    collapse_whitespace(&text)
}

/// Where a block of text ends (a list or a table ends with its last item or row).
fn ends_block(end: TagEnd) -> bool {
    matches!(
        end,
        TagEnd::Paragraph
            | TagEnd::Heading(_)
            | TagEnd::Item
            | TagEnd::BlockQuote(_)
            | TagEnd::CodeBlock
            | TagEnd::TableHead
            | TagEnd::TableRow
            | TagEnd::FootnoteDefinition
            | TagEnd::DefinitionListTitle
            | TagEnd::DefinitionListDefinition
    )
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
    // One pass (every article page counts its whole text): a word is a run of
    // non-whitespace with at least one letter or digit, counted at its first one.
    let mut count = 0;
    let mut counted = false;
    for c in markdown.chars() {
        if c.is_whitespace() {
            counted = false;
        } else if !counted && c.is_alphanumeric() {
            count += 1;
            counted = true;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::sanitize::with_absolute_urls;

    fn html(markdown: &str) -> String {
        render(markdown, &LibraryImages::default()).into_string()
    }

    #[test]
    fn word_count_counts_runs_with_a_letter_or_digit() {
        for (text, words) in [
            ("", 0),
            ("one two  three\n", 3),
            ("## Heading - a list\n\n- item, **bold**", 5),
            ("  \t\u{a0}naïve café 日本語 -- 42 ", 4),
            ("trailing", 1),
        ] {
            let by_split = text
                .split_whitespace()
                .filter(|w| w.chars().any(char::is_alphanumeric))
                .count();
            assert_eq!((word_count(text), by_split), (words, words), "{text:?}");
        }
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
    fn task_list_checkboxes_are_labelled_by_their_item() {
        let out =
            html("- [x] done *well*\n- [ ] todo\n  - [ ] nested\n\n1. [ ] loose\n\n   more\n");
        assert!(
            out.contains(
                "<li><label><input type=\"checkbox\" disabled=\"\" checked=\"\"> done <em>well</em></label></li>"
            ),
            "{out}"
        );
        assert!(
            out.contains("<label><input type=\"checkbox\" disabled=\"\"> todo</label>\n<ul>"),
            "{out}"
        );
        assert!(
            out.contains("<label><input type=\"checkbox\" disabled=\"\"> nested</label></li>"),
            "{out}"
        );
        assert!(
            out.contains("<p><label><input type=\"checkbox\" disabled=\"\"> loose</label></p>"),
            "{out}"
        );
        assert_eq!(out.matches("<input").count(), 4, "{out}");
        assert_eq!(out.matches("</label>").count(), 4, "{out}");
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
    fn library_image_alts_are_read_as_pages_show_them() {
        let key = crate::media::storage::original_key(HASH, "jpg");
        let other = "ab".repeat(32);
        let other_key = crate::media::storage::original_key(&other, "png");
        let text = format!(
            "![A *red* \"door\"](/media/{key})\n\n![  ](/media/{other_key}) \
             ![Again](/media/{key}) ![Elsewhere](https://example.org/a.jpg)\n\n\
             `![Not an image](/media/{other_key})`"
        );
        assert_eq!(
            library_image_alts(&text),
            [(HASH.to_owned(), "A red “door”".to_owned())],
            "the first alt text of a file; blank alt text, other sites and code are skipped"
        );
        assert!(library_image_alts("No images.").is_empty());
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
    }

    #[test]
    fn excerpts_and_word_counts_use_plain_text() {
        let md =
            "# Title\n\nSome **bold** text with a [link](https://x.example).\n\nMore words here.";
        assert_eq!(
            plain_text(md),
            "Title. Some bold text with a link. More words here."
        );
        assert_eq!(word_count(md), 10);
        assert_eq!(excerpt(md, 18), "Title. Some bold…");
        assert_eq!(excerpt("short", 100), "short");
    }

    #[test]
    fn excerpts_keep_punctuation_and_block_boundaries() {
        // The cases found on the welcome post and the seed (issue #17).
        assert_eq!(
            plain_text("Ask [the harbour pilot](/pilot), who knows."),
            "Ask the harbour pilot, who knows."
        );
        assert_eq!(
            plain_text(
                "## Start writing\n\nOpen **the admin dashboard**, choose *New post*, write."
            ),
            "Start writing. Open the admin dashboard, choose New post, write."
        );
        assert_eq!(
            plain_text("### What to bring\n\n- A warm coat\n- A thermos\n\nSee you!"),
            "What to bring. A warm coat. A thermos. See you!"
        );
        assert_eq!(
            plain_text("> Quoted `code`?\n\n1. one;\n2. two\n\n| a | b |\n|---|---|\n| c | d |"),
            "Quoted code? one; two. a b. c d"
        );
        assert_eq!(
            plain_text("line one\nline two  \nline three"),
            "line one line two line three"
        );
        assert_eq!(
            excerpt("### What to bring\n\n- A warm coat\n- A thermos", 24),
            "What to bring. A warm…"
        );
        assert_eq!(plain_text(""), "");
    }

    #[test]
    fn plain_text_includes_raw_html_text() {
        assert_eq!(
            plain_text("<p>Hello <em>world</em></p>\n<ul><li>one</li></ul>"),
            "Hello world. one"
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
}
