//! Markdown → sanitised HTML (what every post body goes through). Property: whatever the
//! author wrote, the output carries no script, event handler, `javascript:`-style URL or
//! embed outside the allowlist — also after the feeds' absolute-URL rewrite. The text
//! helpers (excerpts, word counts) must not panic on the same input.
#![no_main]

use std::collections::HashMap;
use std::sync::LazyLock;

use folio::media::Picture;
use folio::media::images::Dimensions;
use folio::render::markdown::{self, LibraryImages};
use folio::render::{html_text, sanitize};
use folio_fuzz::assert_safe_html;
use libfuzzer_sys::fuzz_target;

const HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// One library image, so `![alt](/media/e3/b0/<HASH>.jpg "title")` takes the path that
/// writes its own `<img>` tag from the author's alt text and title.
static IMAGES: LazyLock<LibraryImages> = LazyLock::new(|| {
    let key = format!("e3/b0/{HASH}.jpg");
    let dims = Dimensions {
        width: 2000,
        height: 1000,
    };
    let picture = Picture::from_parts(&key, HASH, "image/jpeg", dims, "library alt");
    LibraryImages {
        by_hash: HashMap::from([(HASH.to_owned(), picture)]),
    }
});

static BASE: LazyLock<url::Url> =
    LazyLock::new(|| url::Url::parse("https://site.example/blog/").expect("static URL"));

fuzz_target!(init: folio_fuzz::self_test(), |data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let html = markdown::render(text, &IMAGES);
    assert_safe_html(html.as_str(), "render");
    assert_safe_html(
        &markdown::render(text, &LibraryImages::default()).into_string(),
        "render without library",
    );
    let absolute = sanitize::with_absolute_urls(html.as_str(), &BASE);
    assert_safe_html(&absolute, "with_absolute_urls");
    let _ = markdown::plain_text(text);
    let _ = html_text::html_text(text);
    let _ = markdown::excerpt(text, 160);
    let _ = markdown::word_count(text);
});
