//! The forms the admin pages send and show again (with the user's input when it needs
//! fixing): the handlers read them, the page structs in `views` render them.

use askama::Template;
use chrono::TimeZone;
use serde::Deserialize;

use crate::domain::site::{self, SiteSettings};
use crate::store::posts::{Post, TagRow};

/// The post and page editor.
#[derive(Deserialize, Default, Clone)]
pub struct EditorForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub excerpt: String,
    #[serde(default)]
    pub tags: String,
    #[serde(default)]
    pub meta_title: String,
    #[serde(default)]
    pub meta_description: String,
    #[serde(default)]
    pub canonical_url: String,
    /// `YYYY-MM-DD HH:MM` (24-hour; a `T` instead of the space and seconds are read too)
    /// in the site's time zone.
    #[serde(default)]
    pub publish_at: String,
    /// A library image's id, or empty for none.
    #[serde(default)]
    pub featured_media_id: String,
    #[serde(default)]
    pub version: Option<i32>,
    #[serde(default)]
    pub action: String,
}

impl EditorForm {
    /// The form as the editor opens for a saved post (its publication time in `tz`).
    pub fn from_post(post: &Post, tags: &[TagRow], tz: chrono_tz::Tz) -> Self {
        Self {
            title: post.title.clone(),
            slug: post.slug.clone(),
            body: post.body_markdown.clone(),
            excerpt: post.excerpt.clone(),
            tags: tags
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            meta_title: post.meta_title.clone().unwrap_or_default(),
            meta_description: post.meta_description.clone().unwrap_or_default(),
            canonical_url: post.canonical_url.clone().unwrap_or_default(),
            publish_at: post
                .published_at
                .map(|at| {
                    tz.from_utc_datetime(&at)
                        .format("%Y-%m-%d %H:%M")
                        .to_string()
                })
                .unwrap_or_default(),
            featured_media_id: post
                .featured_media_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            version: Some(post.version),
            action: String::new(),
        }
    }
}

/// The site settings page.
#[derive(Deserialize, Default)]
pub struct SettingsForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub accent_colour: String,
    #[serde(default)]
    pub posts_per_page: String,
    #[serde(default)]
    pub time_zone: String,
    #[serde(default)]
    pub navigation: String,
    #[serde(default)]
    pub footer: String,
    #[serde(default)]
    pub custom_css: String,
    #[serde(default)]
    pub feed_content: String,
    /// A library image's id, or empty for none.
    #[serde(default)]
    pub logo_media_id: String,
}

impl From<&SiteSettings> for SettingsForm {
    fn from(s: &SiteSettings) -> Self {
        Self {
            title: s.title.clone(),
            description: s.description.clone(),
            accent_colour: s.accent_colour.clone(),
            posts_per_page: s.posts_per_page.to_string(),
            time_zone: s.time_zone.clone(),
            navigation: site::format_navigation(&s.navigation),
            footer: s.footer.clone(),
            custom_css: s.custom_css.clone(),
            feed_content: if s.feed_full_text {
                "full".into()
            } else {
                "excerpt".into()
            },
            logo_media_id: s.logo_media_id.map(|id| id.to_string()).unwrap_or_default(),
        }
    }
}

/// A media file's alt text and caption.
#[derive(Debug, Default, Deserialize)]
pub struct DescribeForm {
    #[serde(default)]
    pub alt_text: String,
    #[serde(default)]
    pub caption: String,
}

/// A form the database failed, shown again with every field as it was sent (see
/// `middleware::keep_typed_text`): sending it again repeats the request.
#[derive(Template)]
#[template(path = "admin/kept_form.html")]
pub struct KeptFormPage {
    pub site: std::sync::Arc<crate::cache::Site>,
    pub message: &'static str,
    /// Where the form was sent (path and query).
    pub action: String,
    pub fields: Vec<KeptField>,
}

/// One field of a [`KeptFormPage`].
pub struct KeptField {
    pub name: String,
    pub label: String,
    pub value: String,
    pub shown: Shown,
}

/// How a kept field is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// Bookkeeping the user didn't type (the CSRF token, the version, the button).
    Hidden,
    Line,
    Text,
}

impl KeptField {
    pub fn new(name: String, value: String) -> Self {
        let shown = match name.as_str() {
            "csrf_token" | "version" | "action" | "kind" => Shown::Hidden,
            _ if value.contains('\n') || value.chars().count() > 80 => Shown::Text,
            _ => Shown::Line,
        };
        let label = name.replace('_', " ");
        Self {
            name,
            label,
            value,
            shown,
        }
    }

    pub fn is_hidden(&self) -> bool {
        self.shown == Shown::Hidden
    }

    pub fn is_text(&self) -> bool {
        self.shown == Shown::Text
    }
}
