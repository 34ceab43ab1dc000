//! The forms the admin pages send and show again (with the user's input when it needs
//! fixing): the handlers read them, the page structs in `views` render them.

use std::collections::HashMap;

use askama::Template;
use chrono::TimeZone;
use serde::Deserialize;

use crate::domain::Role;
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
    /// Checkboxes: roles that must sign in with a second factor ("on" when ticked).
    #[serde(default)]
    pub two_factor_contributor: String,
    #[serde(default)]
    pub two_factor_author: String,
    #[serde(default)]
    pub two_factor_editor: String,
    #[serde(default)]
    pub two_factor_admin: String,
    /// A navigation row button pressed without JavaScript: `add`, `up-N`, `down-N` or
    /// `remove-N` (N counts rows from 0).
    #[serde(default)]
    pub nav_move: String,
    /// The navigation rows as sent (`nav_label_N`, `nav_url_N`) and anything unknown.
    #[serde(flatten)]
    pub other_fields: HashMap<String, String>,
    /// The navigation rows, in order: filled by `read_rows` or from the saved settings.
    #[serde(skip)]
    pub rows: Vec<(String, String)>,
    /// Whether the form sent rows; if not, `navigation` (one `Label = URL` per line) counts.
    #[serde(skip)]
    pub rows_sent: bool,
}

/// Most rows a form may send (more are ignored, so a crafted form can't make the page huge).
const MAX_NAV_ROWS: usize = site::MAX_NAV_LINKS + 5;

impl SettingsForm {
    /// Whether the two-factor checkbox `name` is ticked.
    pub fn is_ticked(&self, name: &str) -> bool {
        let value = match name {
            "two_factor_contributor" => &self.two_factor_contributor,
            "two_factor_author" => &self.two_factor_author,
            "two_factor_editor" => &self.two_factor_editor,
            "two_factor_admin" => &self.two_factor_admin,
            _ => return false,
        };
        !value.is_empty()
    }

    /// The roles ticked under "Two-factor sign-in".
    pub fn required_roles(&self) -> Vec<Role> {
        [
            (Role::Contributor, &self.two_factor_contributor),
            (Role::Author, &self.two_factor_author),
            (Role::Editor, &self.two_factor_editor),
            (Role::Admin, &self.two_factor_admin),
        ]
        .into_iter()
        .filter(|(_, ticked)| !ticked.is_empty())
        .map(|(role, _)| role)
        .collect()
    }

    /// Takes the navigation rows out of the fields sent, ordered by their number.
    pub fn read_rows(&mut self) {
        let mut numbered: Vec<(usize, String, String)> = Vec::new();
        for (key, value) in std::mem::take(&mut self.other_fields) {
            let (is_label, n) = if let Some(n) = key.strip_prefix("nav_label_") {
                (true, n)
            } else if let Some(n) = key.strip_prefix("nav_url_") {
                (false, n)
            } else {
                continue;
            };
            let Ok(n) = n.parse::<usize>() else { continue };
            self.rows_sent = true;
            let row = match numbered.iter_mut().find(|row| row.0 == n) {
                Some(row) => row,
                None => {
                    numbered.push((n, String::new(), String::new()));
                    let last = numbered.len() - 1;
                    &mut numbered[last]
                }
            };
            if is_label {
                row.1 = value;
            } else {
                row.2 = value;
            }
        }
        if !self.rows_sent {
            // Shown again as rows if the text needs fixing, so nothing typed is lost.
            self.rows = self
                .navigation
                .lines()
                .filter(|line| !line.trim().is_empty())
                .take(MAX_NAV_ROWS)
                .map(|line| match line.split_once('=') {
                    Some((label, url)) => (label.trim().to_owned(), url.trim().to_owned()),
                    None => (line.trim().to_owned(), String::new()),
                })
                .collect();
            return;
        }
        numbered.sort_by_key(|row| row.0);
        self.rows = numbered
            .into_iter()
            .take(MAX_NAV_ROWS)
            .map(|(_, label, url)| (label, url))
            .collect();
    }

    /// Applies `nav_move` to the rows; false if it names a row that isn't there (or
    /// nothing was pressed).
    pub fn move_row(&mut self) -> bool {
        let rows = &mut self.rows;
        // Row numbers are those of the page sent, so move first, then drop emptied rows.
        let (verb, n) = match self.nav_move.split_once('-') {
            Some((verb, n)) => (verb, n.parse::<usize>().ok()),
            None => (self.nav_move.as_str(), None),
        };
        let moved = match (verb, n) {
            ("add", None) => true,
            ("up", Some(n)) if n > 0 && n < rows.len() => {
                rows.swap(n - 1, n);
                true
            }
            ("down", Some(n)) if n + 1 < rows.len() => {
                rows.swap(n, n + 1);
                true
            }
            ("remove", Some(n)) if n < rows.len() => {
                rows.remove(n);
                true
            }
            _ => false,
        };
        rows.retain(|(label, url)| !(label.trim().is_empty() && url.trim().is_empty()));
        if verb == "add" && rows.len() < MAX_NAV_ROWS {
            rows.push(Default::default());
        }
        moved
    }

    /// The rows the page shows: those kept, and one empty row to add a link.
    pub fn rows_shown(&self) -> Vec<(String, String)> {
        let mut rows = self.rows.clone();
        if rows
            .last()
            .is_none_or(|(l, u)| !(l.is_empty() && u.is_empty()))
        {
            rows.push(Default::default());
        }
        rows
    }
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
            two_factor_contributor: ticked(s, Role::Contributor),
            two_factor_author: ticked(s, Role::Author),
            two_factor_editor: ticked(s, Role::Editor),
            two_factor_admin: ticked(s, Role::Admin),
            nav_move: String::new(),
            other_fields: HashMap::new(),
            rows: s
                .navigation
                .iter()
                .map(|link| (link.label.clone(), link.url.clone()))
                .collect(),
            rows_sent: true,
        }
    }
}

fn ticked(settings: &SiteSettings, role: Role) -> String {
    if settings.two_factor_roles.contains(&role) {
        "on".into()
    } else {
        String::new()
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

#[cfg(test)]
mod settings_form_tests {
    use super::*;

    use actix_web::FromRequest;

    /// The form as actix-web reads it from a request body.
    async fn sent(body: &str) -> SettingsForm {
        let (req, mut payload) = actix_web::test::TestRequest::post()
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(body.to_owned())
            .to_http_parts();
        let form = actix_web::web::Form::<SettingsForm>::from_request(&req, &mut payload);
        let mut form = form.await.unwrap().into_inner();
        form.read_rows();
        form
    }

    #[actix_web::test]
    async fn rows_are_read_in_number_order_and_moved() {
        let mut form = sent(
            "title=T&nav_label_10=C&nav_url_10=%2Fc&nav_label_2=B&nav_url_2=%2Fb\
             &nav_label_0=A&nav_url_0=%2Fa&nav_label_11=&nav_url_11=&nav_move=up-2",
        )
        .await;
        assert!(form.rows_sent);
        assert_eq!(form.title, "T");
        assert_eq!(form.rows.len(), 4);
        assert_eq!(form.rows[2], ("C".to_owned(), "/c".to_owned()));
        assert!(form.move_row());
        let labels: Vec<_> = form.rows.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(labels, ["A", "C", "B"]);
        form.nav_move = "remove-0".into();
        assert!(form.move_row());
        form.nav_move = "down-0".into();
        assert!(form.move_row());
        let labels: Vec<_> = form.rows.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(labels, ["B", "C"]);
        form.nav_move = "down-1".into();
        assert!(!form.move_row());
        form.nav_move = "remove-9".into();
        assert!(!form.move_row());
        form.nav_move = "add".into();
        assert!(form.move_row());
        assert_eq!(form.rows_shown().len(), 3);
    }

    #[actix_web::test]
    async fn a_form_without_rows_keeps_the_text_field() {
        let form = sent("navigation=About+%3D+%2Fabout&nav_label_x=ignored").await;
        assert!(!form.rows_sent);
        assert_eq!(form.navigation, "About = /about");
        assert_eq!(form.rows, [("About".to_owned(), "/about".to_owned())]);
        assert_eq!(form.rows_shown().len(), 2);
    }
}
