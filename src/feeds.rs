//! Atom 1.0, RSS 2.0 and JSON Feed 1.1 for the latest posts, and the sitemap. Feeds carry
//! the full text or the excerpt as the settings say, with absolute URLs throughout.

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};

use crate::domain::site::SiteSettings;
use crate::render;
use crate::store::public::{Published, SitemapEntry};

/// How many entries a feed carries.
pub const FEED_LENGTH: i64 = 20;

/// What every feed format needs.
pub struct Feed<'a> {
    pub site: &'a SiteSettings,
    pub base: &'a url::Url,
    /// "Site title" or "Site title: Tag".
    pub title: String,
    /// The HTML page this feed mirrors, e.g. `/` or `/tag/rust`.
    pub page_path: String,
    /// This feed's own path, e.g. `/feed.xml`.
    pub self_path: String,
    pub posts: &'a [Published],
}

impl Feed<'_> {
    fn absolute(&self, path: &str) -> String {
        self.base
            .join(path)
            .map_or_else(|_| path.to_owned(), |u| u.to_string())
    }

    fn post_url(&self, entry: &Published) -> String {
        self.absolute(&format!("/{}", entry.post.slug))
    }

    /// The entry's body for the feed: full HTML with absolute URLs, or the excerpt.
    fn body(&self, entry: &Published) -> (bool, String) {
        if self.site.feed_full_text {
            (
                true,
                render::sanitize::with_absolute_urls(&entry.post.body_html, self.base),
            )
        } else {
            (false, excerpt(entry))
        }
    }

    fn updated(&self) -> NaiveDateTime {
        self.posts
            .iter()
            .map(|p| {
                p.post
                    .updated_at
                    .max(p.post.published_at.unwrap_or(p.post.updated_at))
            })
            .max()
            .unwrap_or_else(|| Utc::now().naive_utc())
    }
}

fn excerpt(entry: &Published) -> String {
    if entry.post.excerpt.trim().is_empty() {
        render::excerpt(&entry.post.body_markdown, 280)
    } else {
        entry.post.excerpt.clone()
    }
}

fn utc(at: NaiveDateTime) -> DateTime<FixedOffset> {
    at.and_utc().fixed_offset()
}

pub fn atom(feed: &Feed<'_>) -> String {
    use atom_syndication::{Content, Entry, Link, Person, Text};
    let link = |href: String, rel: &str, mime: Option<&str>| Link {
        href,
        rel: rel.to_owned(),
        mime_type: mime.map(str::to_owned),
        ..Link::default()
    };
    let entries = feed
        .posts
        .iter()
        .map(|entry| {
            let (is_html, body) = feed.body(entry);
            let url = feed.post_url(entry);
            Entry {
                title: Text::plain(entry.post.display_title()),
                id: url.clone(),
                updated: utc(entry.post.updated_at),
                published: entry.post.published_at.map(utc),
                authors: vec![Person {
                    name: entry.author.name.clone(),
                    uri: Some(feed.absolute(&format!("/author/{}", entry.author.slug))),
                    ..Person::default()
                }],
                links: vec![link(url, "alternate", Some("text/html"))],
                summary: (!is_html).then(|| Text::plain(body.clone())),
                content: is_html.then(|| Content {
                    value: Some(body),
                    content_type: Some("html".to_owned()),
                    ..Content::default()
                }),
                categories: entry
                    .tags
                    .iter()
                    .map(|t| atom_syndication::Category {
                        term: t.slug.clone(),
                        label: Some(t.name.clone()),
                        ..Default::default()
                    })
                    .collect(),
                ..Entry::default()
            }
        })
        .collect();
    let document = atom_syndication::Feed {
        title: Text::plain(feed.title.clone()),
        id: feed.absolute(&feed.self_path),
        updated: utc(feed.updated()),
        subtitle: (!feed.site.description.is_empty())
            .then(|| Text::plain(feed.site.description.clone())),
        links: vec![
            link(
                feed.absolute(&feed.self_path),
                "self",
                Some("application/atom+xml"),
            ),
            link(
                feed.absolute(&feed.page_path),
                "alternate",
                Some("text/html"),
            ),
        ],
        generator: Some(atom_syndication::Generator {
            value: "Folio".into(),
            uri: None,
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        entries,
        ..atom_syndication::Feed::default()
    };
    document.to_string()
}

pub fn rss(feed: &Feed<'_>) -> String {
    let items = feed
        .posts
        .iter()
        .map(|entry| {
            // The description is the excerpt; the full text (when the settings say so)
            // goes in content:encoded, as feed readers expect.
            let (is_html, body) = feed.body(entry);
            let url = feed.post_url(entry);
            rss::Item {
                title: Some(entry.post.display_title().to_owned()),
                link: Some(url.clone()),
                // RSS descriptions are HTML: the excerpt is text, so it is escaped.
                description: Some(render::escape::escape_html(&excerpt(entry))),
                content: is_html.then_some(body),
                guid: Some(rss::Guid {
                    value: url,
                    permalink: true,
                }),
                pub_date: entry.post.published_at.map(|at| utc(at).to_rfc2822()),
                categories: entry
                    .tags
                    .iter()
                    .map(|t| rss::Category {
                        name: t.name.clone(),
                        domain: None,
                    })
                    .collect(),
                dublin_core_ext: Some(rss::extension::dublincore::DublinCoreExtension {
                    creators: vec![entry.author.name.clone()],
                    ..Default::default()
                }),
                ..rss::Item::default()
            }
        })
        .collect();
    let mut namespaces = std::collections::BTreeMap::new();
    namespaces.insert(
        "dc".to_owned(),
        rss::extension::dublincore::NAMESPACE.to_owned(),
    );
    namespaces.insert("atom".to_owned(), "http://www.w3.org/2005/Atom".to_owned());
    namespaces.insert(
        "content".to_owned(),
        "http://purl.org/rss/1.0/modules/content/".to_owned(),
    );
    let channel = rss::Channel {
        title: feed.title.clone(),
        link: feed.absolute(&feed.page_path),
        description: if feed.site.description.is_empty() {
            feed.title.clone()
        } else {
            feed.site.description.clone()
        },
        last_build_date: Some(utc(feed.updated()).to_rfc2822()),
        generator: Some("Folio".into()),
        atom_ext: Some(rss::extension::atom::AtomExtension {
            links: vec![atom_syndication::Link {
                href: feed.absolute(&feed.self_path),
                rel: "self".into(),
                mime_type: Some("application/rss+xml".into()),
                ..Default::default()
            }],
        }),
        namespaces,
        items,
        ..rss::Channel::default()
    };
    channel.to_string()
}

/// JSON Feed 1.1 (https://jsonfeed.org/version/1.1).
pub fn json(feed: &Feed<'_>) -> String {
    let items: Vec<serde_json::Value> = feed
        .posts
        .iter()
        .map(|entry| {
            let (is_html, body) = feed.body(entry);
            let url = feed.post_url(entry);
            let mut item = serde_json::json!({
                "id": url,
                "url": url,
                "title": entry.post.display_title(),
                "summary": excerpt(entry),
                "date_published": entry.post.published_at.map(|at| utc(at).to_rfc3339()),
                "date_modified": utc(entry.post.updated_at).to_rfc3339(),
                "authors": [{ "name": entry.author.name, "url": feed.absolute(&format!("/author/{}", entry.author.slug)) }],
                "tags": entry.tags.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
            });
            item[if is_html { "content_html" } else { "content_text" }] = serde_json::Value::String(body);
            item
        })
        .collect();
    let document = serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed.title,
        "home_page_url": feed.absolute(&feed.page_path),
        "feed_url": feed.absolute(&feed.self_path),
        "description": feed.site.description,
        "items": items,
    });
    render::escape::json_without_markup(&document)
}

/// The sitemap protocol's limit on the addresses of one file (and of the files of an index).
pub const SITEMAP_MAX_URLS: usize = 50_000;

/// The protocol's limit on one file's size, uncompressed. A `<url>` of a slug (at most
/// 91 characters, mostly ASCII) takes a few hundred bytes, so [`SITEMAP_MAX_URLS`] of them
/// stay far below it; only slugs of 91 characters outside the Basic Multilingual Plane
/// (12 bytes each once percent-encoded) could exceed it, and then the index is served.
pub const SITEMAP_MAX_BYTES: usize = 50 * 1024 * 1024;

/// The two kinds of sitemap file behind an index: posts and pages
/// (`/sitemap-posts-N.xml`), and the home page with the tag and author archives
/// (`/sitemap-archives-N.xml`), each cut into files of [`SITEMAP_MAX_URLS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SitemapSection {
    Posts,
    Archives,
}

impl SitemapSection {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "posts" => Some(Self::Posts),
            "archives" => Some(Self::Archives),
            _ => None,
        }
    }

    /// The path of the section's file `number` (from 1).
    pub fn path(self, number: usize) -> String {
        let name = match self {
            Self::Posts => "posts",
            Self::Archives => "archives",
        };
        format!("/sitemap-{name}-{number}.xml")
    }
}

/// How many files a section of `count` addresses takes (at least one: an index always
/// lists the archives file, which holds the home page).
pub fn sitemap_files(count: usize) -> usize {
    count.div_ceil(SITEMAP_MAX_URLS).max(1)
}

/// The range of a section's addresses that its file `number` (from 1) holds; `None` for
/// a file the section doesn't have.
pub fn sitemap_file_range(count: usize, number: usize) -> Option<std::ops::Range<usize>> {
    (number >= 1 && number <= sitemap_files(count)).then(|| {
        let start = (number - 1) * SITEMAP_MAX_URLS;
        start..(start + SITEMAP_MAX_URLS).min(count)
    })
}

/// The sitemap protocol's XML, with absolute URLs: one `<url>` per entry.
pub fn sitemap(base: &url::Url, entries: &[SitemapEntry]) -> Result<String, std::io::Error> {
    sitemap_document(base, "urlset", "url", entries)
}

/// A sitemap index: one `<sitemap>` per file (its path and when its newest entry changed).
pub fn sitemap_index(base: &url::Url, files: &[SitemapEntry]) -> Result<String, std::io::Error> {
    sitemap_document(base, "sitemapindex", "sitemap", files)
}

fn sitemap_document(
    base: &url::Url,
    root: &str,
    element: &str,
    entries: &[SitemapEntry],
) -> Result<String, std::io::Error> {
    use quick_xml::Writer;
    use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
    fn io(e: impl std::fmt::Display) -> std::io::Error {
        std::io::Error::other(e.to_string())
    }
    let mut writer = Writer::new(Vec::with_capacity(64 + entries.len() * 128));
    writer
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .map_err(io)?;
    let mut start = BytesStart::new(root);
    start.push_attribute(("xmlns", "http://www.sitemaps.org/schemas/sitemap/0.9"));
    writer.write_event(Event::Start(start)).map_err(io)?;
    for entry in entries {
        let loc = base
            .join(&entry.path)
            .map_or_else(|_| entry.path.clone(), |u| u.to_string());
        let lastmod = utc(entry.last_modified)
            .format("%Y-%m-%dT%H:%M:%S%:z")
            .to_string();
        writer
            .create_element(element)
            .write_inner_content(|w| {
                w.create_element("loc")
                    .write_text_content(BytesText::new(&loc))?;
                w.create_element("lastmod")
                    .write_text_content(BytesText::new(&lastmod))?;
                Ok(())
            })
            .map_err(io)?;
    }
    writer
        .write_event(Event::End(BytesEnd::new(root)))
        .map_err(io)?;
    String::from_utf8(writer.into_inner()).map_err(io)
}

#[cfg(test)]
mod sitemap_tests {
    use super::*;

    #[test]
    fn sections_are_cut_into_files_of_the_protocols_limit() {
        assert_eq!(sitemap_files(0), 1);
        assert_eq!(sitemap_files(SITEMAP_MAX_URLS), 1);
        assert_eq!(sitemap_files(SITEMAP_MAX_URLS + 1), 2);
        assert_eq!(sitemap_file_range(10, 1), Some(0..10));
        assert_eq!(sitemap_file_range(10, 2), None);
        assert_eq!(sitemap_file_range(10, 0), None);
        assert_eq!(
            sitemap_file_range(SITEMAP_MAX_URLS + 1, 2),
            Some(SITEMAP_MAX_URLS..SITEMAP_MAX_URLS + 1)
        );
        assert_eq!(SitemapSection::Posts.path(3), "/sitemap-posts-3.xml");
        assert_eq!(
            SitemapSection::parse("archives"),
            Some(SitemapSection::Archives)
        );
        assert_eq!(SitemapSection::parse("pages"), None);
    }
}
