//! The sanitiser (ammonia) that rendered HTML passes before it reaches a page: which
//! tags, attributes, classes, embeds and image candidates may stay. Only a [`SafeHtml`]
//! that came out of it may be written into a page unescaped.

use std::sync::LazyLock;

use crate::media::picture::{IMAGE_SIZES, library_hash};

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

/// Sanitises HTML (what the Markdown renderer wrote).
pub fn clean(html: &str) -> SafeHtml {
    SafeHtml(SANITIZER.clean(html).to_string())
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
        .add_tags(["input", "label", "iframe"])
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embeds_keep_their_query_and_fragment() {
        assert_eq!(
            allowed_embed("https://player.vimeo.com/video/123?h=abc#t=1"),
            Some("https://player.vimeo.com/video/123?h=abc#t=1".to_owned())
        );
    }
}
