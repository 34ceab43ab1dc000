//! A WordPress post body as the importer stores and shows it: `content::convert` (wpautop,
//! shortcodes, block comments) then the Markdown renderer. Property: no panic, and the
//! page HTML is as safe as any other post's.
#![no_main]

use folio::render::markdown::{self, LibraryImages};
use folio::wordpress::content;
use folio_fuzz::assert_safe_html;
use libfuzzer_sys::fuzz_target;

fuzz_target!(init: folio_fuzz::self_test(), |data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let converted = content::convert(raw);
    let bases = ["https://old.example/wp-content/uploads".to_owned()];
    let (body, _) = content::replace_upload_urls(&converted.body, &bases, |relative| {
        (relative.len() % 2 == 0).then(|| format!("/media/{relative}"))
    });
    let html = markdown::render(&body, &LibraryImages::default());
    assert_safe_html(html.as_str(), "a converted WordPress post");
    let _ = content::plain_text(raw);
});
