//! Shared by the fuzz targets: the check that sanitised HTML is safe, and scratch space.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

/// Elements that must never come out of the sanitiser: they run script, load other
/// documents or styles, change how the rest of the page parses, or submit forms.
const FORBIDDEN_ELEMENTS: &[&str] = &[
    "script",
    "style",
    "noscript",
    "template",
    "object",
    "embed",
    "applet",
    "frame",
    "frameset",
    "form",
    "button",
    "base",
    "meta",
    "link",
    "svg",
    "math",
    "xmp",
    "noembed",
    "noframes",
    "plaintext",
    "textarea",
    "title",
    "select",
    "portal",
];

/// Attributes that hold a URL a browser may load or navigate to.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "poster",
    "cite",
    "background",
    "longdesc",
    "data",
    "xlink:href",
    "ping",
    "manifest",
    "lowsrc",
    "dynsrc",
    "codebase",
    "itemtype",
];

/// ammonia's default URL schemes: nothing else may appear in a link or source.
const SAFE_SCHEMES: &[&str] = &[
    "bitcoin",
    "ftp",
    "ftps",
    "geo",
    "git",
    "gopher",
    "http",
    "https",
    "im",
    "irc",
    "ircs",
    "magnet",
    "mailto",
    "mms",
    "mx",
    "news",
    "nntp",
    "openpgp4fpr",
    "sip",
    "sms",
    "smsto",
    "ssh",
    "tel",
    "url",
    "webcal",
    "wtai",
    "xmpp",
];

/// Problems found in HTML that came out of the sanitiser, in words (empty: safe). The HTML
/// is tokenized the way a browser's parser would in a page body with scripting on (the
/// content of `<iframe>`, `<noscript>`, `<style>`, … is raw text), so a tag that only
/// looks harmless to a naive reader is still seen for what the browser makes of it.
pub fn html_problems(html: &str) -> Vec<String> {
    let sink = Checker::default();
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.problems.take()
}

/// Panics (a fuzzer finding) when `html` is not safe; `what` says where it came from.
pub fn assert_safe_html(html: &str, what: &str) {
    let problems = html_problems(html);
    assert!(
        problems.is_empty(),
        "unsafe HTML from {what}: {problems:?}\n--- HTML ---\n{html}"
    );
}

#[derive(Default)]
struct Checker {
    problems: RefCell<Vec<String>>,
}

impl Checker {
    fn check_tag(&self, tag: &Tag) {
        let name: &str = &tag.name;
        let mut problems = self.problems.borrow_mut();
        if FORBIDDEN_ELEMENTS.contains(&name) {
            problems.push(format!("<{name}> element"));
        }
        for attr in &tag.attrs {
            let attr_name: &str = &attr.name.local;
            let value: &str = &attr.value;
            if attr_name.starts_with("on") {
                problems.push(format!("event handler {attr_name}=\"{value}\" on <{name}>"));
            }
            if matches!(attr_name, "style" | "srcdoc" | "http-equiv" | "formaction") {
                problems.push(format!("attribute {attr_name} on <{name}>"));
            }
            if URL_ATTRIBUTES.contains(&attr_name) {
                if let Some(problem) = url_problem(value) {
                    problems.push(format!("{attr_name}=\"{value}\" on <{name}>: {problem}"));
                }
            }
            if attr_name == "srcset" {
                for candidate in value.split(',') {
                    let url = candidate.split_whitespace().next().unwrap_or_default();
                    if let Some(problem) = url_problem(url) {
                        problems.push(format!("srcset candidate \"{url}\" on <{name}>: {problem}"));
                    }
                }
            }
            if name == "iframe" && attr_name == "src" && !is_allowed_embed(value) {
                problems.push(format!(
                    "<iframe src=\"{value}\"> outside the embed allowlist"
                ));
            }
        }
    }
}

/// What a browser would make of `value` as a URL on a page of an https site, if it is
/// not a link to something harmless.
fn url_problem(value: &str) -> Option<String> {
    let base = url::Url::parse("https://site.example/post/").ok()?;
    // An unparsable URL goes nowhere.
    let resolved = base.join(value).ok()?;
    let scheme = resolved.scheme();
    (!SAFE_SCHEMES.contains(&scheme)).then(|| format!("scheme {scheme}:"))
}

/// An embed is allowed when the URL the browser loads (after resolving `..`, `\`, `%2e`…)
/// is still under one of the allowed players' prefixes.
fn is_allowed_embed(src: &str) -> bool {
    let Ok(resolved) = url::Url::parse(src) else {
        return false;
    };
    folio::render::sanitize::IFRAME_PREFIXES
        .iter()
        .any(|prefix| src.starts_with(prefix) && resolved.as_str().starts_with(prefix))
}

impl TokenSink for Checker {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let Token::TagToken(tag) = token else {
            return TokenSinkResult::Continue;
        };
        self.check_tag(&tag);
        if tag.kind != TagKind::StartTag || tag.self_closing {
            return TokenSinkResult::Continue;
        }
        // What the tree builder tells a browser's tokenizer after these start tags.
        match &*tag.name {
            "title" | "textarea" => TokenSinkResult::RawData(RawKind::Rcdata),
            "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => {
                TokenSinkResult::RawData(RawKind::Rawtext)
            }
            "script" => TokenSinkResult::RawData(RawKind::ScriptData),
            "plaintext" => TokenSinkResult::Plaintext,
            _ => TokenSinkResult::Continue,
        }
    }
}

/// A scratch directory for one run, removed when dropped.
pub fn scratch() -> tempfile::TempDir {
    // The fuzzer runs for hours: a failure to create one is an environment problem.
    tempfile::Builder::new()
        .prefix("folio-fuzz-")
        .tempdir()
        .expect("cannot create a scratch directory")
}

/// Proves the checker before a run: each of these must be refused, each harmless one
/// accepted. The HTML targets call it on start-up, so a checker that went blind fails CI.
pub fn self_test() {
    for bad in [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\" jav&#x09;ascript:alert(1)\">x</a>",
        "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
        "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
        "<iframe src=\"https://www.youtube.com/embed/../../redirect?q=x\"></iframe>",
        "<iframe src=\"https://evil.example/\"></iframe>",
        "<img srcset=\"/a.png 1x, data:image/svg+xml,x 2x\">",
        "<p style=\"background:url(x)\">x</p>",
    ] {
        assert!(!html_problems(bad).is_empty(), "the checker misses {bad}");
    }
    for good in [
        "<p><a href=\"/x\" rel=\"noopener\">x</a> <a href=\"https://a.example/\">y</a></p>",
        "<iframe src=\"https://www.youtube.com/embed/abc\" loading=\"lazy\"></iframe>",
        "<p title=\"&lt;script&gt;\">&lt;script&gt;alert(1)&lt;/script&gt;</p>",
        "<a href=\"mailto:me@example.com\">m</a>",
    ] {
        assert_eq!(html_problems(good), Vec::<String>::new(), "{good}");
    }
}
