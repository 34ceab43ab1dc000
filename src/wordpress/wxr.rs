//! Reads a WordPress export (WXR 1.0–1.2: RSS 2.0 with the `wp:` namespace) as a stream,
//! one `<item>` at a time, so a 200 MB export needs the memory of its largest item, not of
//! the file. Elements are matched by namespace URI, not by prefix; elements of namespaces
//! we don't know (plugins add their own) are skipped and named in `unknown_namespaces`.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

/// The WXR versions this reader knows: the namespace is `http://wordpress.org/export/X/`.
const WXR_VERSIONS: &[&str] = &["1.0", "1.1", "1.2"];
const WP_PREFIX: &str = "http://wordpress.org/export/";
const CONTENT_NS: &str = "http://purl.org/rss/1.0/modules/content/";
const DC_NS: &str = "http://purl.org/dc/elements/1.1/";
/// Namespaces that appear in every WordPress export and carry nothing we import.
const IGNORED_NS: &[&str] = &[
    "http://wellformedweb.org/CommentAPI/",
    "http://www.w3.org/2005/Atom",
    "http://search.yahoo.com/mrss/",
    "http://purl.org/rss/1.0/modules/syndication/",
    "http://purl.org/rss/1.0/modules/slash/",
];
/// The most text one element may hold (a post's content): beyond it the file is refused
/// rather than held in memory.
pub const MAX_TEXT_BYTES: usize = 32 * 1024 * 1024;

/// Why a file can't be read as a WordPress export, in words for the person importing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WxrError(pub String);

impl std::fmt::Display for WxrError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Author {
    pub login: String,
    pub email: String,
    pub display_name: String,
    pub first_name: String,
    pub last_name: String,
}

/// A category or tag of the channel (`wp:category`, `wp:tag`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Term {
    pub slug: String,
    pub name: String,
    pub description: String,
}

/// What the export says about the site; filled as the reader passes the elements (WordPress
/// writes them before the items).
#[derive(Debug, Clone, Default)]
pub struct Channel {
    pub title: String,
    pub link: String,
    pub wxr_version: Option<String>,
    pub base_site_url: String,
    pub base_blog_url: String,
    pub authors: Vec<Author>,
    pub categories: Vec<Term>,
    pub tags: Vec<Term>,
}

/// A category or tag on an item: `<category domain="post_tag" nicename="slug">Name</category>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemTerm {
    pub domain: String,
    pub slug: String,
    pub name: String,
}

/// One `<item>`: a post, page, attachment, menu item, … (`post_type`).
#[derive(Debug, Clone, Default)]
pub struct Item {
    pub title: String,
    pub link: String,
    pub pub_date: String,
    pub creator: String,
    pub content: String,
    pub excerpt: String,
    pub wp_id: Option<i64>,
    pub post_date: String,
    pub post_date_gmt: String,
    pub post_name: String,
    pub status: String,
    pub post_parent: Option<i64>,
    pub post_type: String,
    pub post_password: String,
    pub attachment_url: String,
    pub terms: Vec<ItemTerm>,
    pub meta: Vec<(String, String)>,
    pub comments: usize,
}

impl Item {
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.meta
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// How the report names the item: its title and WordPress id.
    pub fn describe(&self) -> String {
        let title = if self.title.trim().is_empty() {
            "(untitled)"
        } else {
            self.title.trim()
        };
        match self.wp_id {
            Some(id) => format!("“{title}” (WordPress id {id})"),
            None => format!("“{title}”"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    /// No namespace: RSS's own elements.
    Rss,
    Wp,
    Excerpt,
    Content,
    Dc,
    Known,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Element {
    ns: Ns,
    local: String,
}

pub struct WxrReader {
    reader: NsReader<BufReader<File>>,
    path: PathBuf,
    name: String,
    buf: Vec<u8>,
    stack: Vec<Element>,
    text: String,
    channel: Channel,
    unknown_namespaces: BTreeSet<String>,
    seen_root: bool,
    finished: bool,
    // The channel-level record being read (author, category, tag) and the item's.
    author: Author,
    term: Term,
    item: Item,
    meta_key: String,
    meta_value: String,
}

impl WxrReader {
    pub fn open(path: &Path) -> Result<Self, WxrError> {
        Self::open_named(path, &path.display().to_string())
    }

    /// Opens `path`, calling it `name` in messages (an upload's temp file has the name the
    /// user knows it by).
    pub fn open_named(path: &Path, name: &str) -> Result<Self, WxrError> {
        let file = File::open(path).map_err(|e| WxrError(format!("cannot open {name}: {e}")))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        if size == 0 {
            return Err(WxrError(format!(
                "{name} is empty (0 bytes): export again from WordPress (Tools → Export → All content)"
            )));
        }
        let mut reader = NsReader::from_reader(BufReader::with_capacity(64 * 1024, file));
        reader.config_mut().expand_empty_elements = true;
        Ok(Self {
            reader,
            path: path.to_owned(),
            name: name.to_owned(),
            buf: Vec::with_capacity(64 * 1024),
            stack: Vec::new(),
            text: String::new(),
            channel: Channel::default(),
            unknown_namespaces: BTreeSet::new(),
            seen_root: false,
            finished: false,
            author: Author::default(),
            term: Term::default(),
            item: Item::default(),
            meta_key: String::new(),
            meta_value: String::new(),
        })
    }

    /// What the channel said so far (all of it once the first item was read).
    pub fn channel(&self) -> &Channel {
        &self.channel
    }

    /// Namespaces of elements that were skipped because we don't know them.
    pub fn unknown_namespaces(&self) -> &BTreeSet<String> {
        &self.unknown_namespaces
    }

    /// The next item, `None` at the end of a well-formed export.
    pub fn next_item(&mut self) -> Result<Option<Item>, WxrError> {
        while !self.finished {
            match self.read_step()? {
                Step::Start(element, term_attributes) => {
                    if !self.seen_root {
                        if element.ns != Ns::Rss || element.local != "rss" {
                            return Err(WxrError(format!(
                                "{} is not a WordPress export: it is an XML document whose root element is <{}>, not <rss>",
                                self.name, element.local
                            )));
                        }
                        self.seen_root = true;
                    }
                    self.text.clear();
                    self.start(element, term_attributes);
                }
                Step::End => {
                    let Some(element) = self.stack.pop() else {
                        continue;
                    };
                    if let Some(item) = self.end(element) {
                        return Ok(Some(item));
                    }
                }
                Step::Text(text) => self.push_text(&text)?,
                Step::Other => {}
                Step::Eof => {
                    self.finished = true;
                    if !self.seen_root {
                        return Err(WxrError(format!(
                            "{} is not a WordPress export: it holds no XML elements",
                            self.name
                        )));
                    }
                    if let Some(open) = self.stack.last() {
                        let at = self.reader.buffer_position();
                        let problem = format!(
                            "the file ends before <{}> is closed (it may have been cut off)",
                            open.local
                        );
                        return Err(self.malformed(at, &problem));
                    }
                    if self.channel.wxr_version.is_none() {
                        return Err(WxrError(format!(
                            "{} is an RSS feed, not a WordPress export (it has no wp:wxr_version): in WordPress, use Tools → Export → All content",
                            self.name
                        )));
                    }
                }
            }
        }
        Ok(None)
    }

    /// Reads one event and copies out what we need, so the reader's buffer is free again.
    fn read_step(&mut self) -> Result<Step, WxrError> {
        self.buf.clear();
        let read = self.reader.read_resolved_event_into(&mut self.buf);
        let failure = match read {
            Err(e) => Failure::At(self.reader.error_position(), e.to_string()),
            Ok((resolved, event)) => match step_of(resolved, event) {
                Ok((step, unknown_ns)) => {
                    if let Some(uri) = unknown_ns {
                        self.unknown_namespaces.insert(uri);
                    }
                    return Ok(step);
                }
                Err(failure) => failure,
            },
        };
        Err(match failure {
            Failure::At(at, problem) => self.malformed(at, &problem),
            Failure::Here(problem) => {
                let at = self.reader.buffer_position();
                self.malformed(at, &problem)
            }
            Failure::Refused(problem) => WxrError(format!("{} {problem}", self.name)),
        })
    }

    fn push_text(&mut self, text: &str) -> Result<(), WxrError> {
        if self.text.len() + text.len() > MAX_TEXT_BYTES {
            return Err(WxrError(format!(
                "{}: an element near byte {} holds more than {} MB of text; that is not a post WordPress would write",
                self.name,
                self.reader.buffer_position(),
                MAX_TEXT_BYTES / (1024 * 1024)
            )));
        }
        self.text.push_str(text);
        Ok(())
    }

    fn start(&mut self, element: Element, term_attributes: Option<(String, String)>) {
        let in_item = self.in_item();
        match (element.ns, element.local.as_str()) {
            (Ns::Rss, "item") if !in_item => self.item = Item::default(),
            (Ns::Wp, "author") if !in_item => self.author = Author::default(),
            (Ns::Wp, "category" | "tag") if !in_item => self.term = Term::default(),
            (Ns::Wp, "postmeta") if in_item => {
                self.meta_key.clear();
                self.meta_value.clear();
            }
            (Ns::Rss, "category") if in_item => {
                let (domain, slug) = term_attributes.unwrap_or_default();
                self.item.terms.push(ItemTerm {
                    domain,
                    slug,
                    name: String::new(),
                });
            }
            _ => {}
        }
        self.stack.push(element);
    }

    fn in_item(&self) -> bool {
        self.stack
            .iter()
            .any(|e| e.ns == Ns::Rss && e.local == "item")
    }

    /// Files the text of a closed element where it belongs; returns the item when `</item>`
    /// closes.
    fn end(&mut self, element: Element) -> Option<Item> {
        let text = std::mem::take(&mut self.text);
        let parent = self.stack.last().cloned();
        let parent = parent.as_ref().map(|p| (p.ns, p.local.as_str()));
        let in_item = self.in_item();
        match (element.ns, element.local.as_str()) {
            (Ns::Rss, "item") if !in_item => return Some(std::mem::take(&mut self.item)),
            (Ns::Wp, "author") if !in_item => {
                self.channel.authors.push(std::mem::take(&mut self.author));
            }
            (Ns::Wp, "category") if !in_item => {
                self.channel.categories.push(std::mem::take(&mut self.term));
            }
            (Ns::Wp, "tag") if !in_item => {
                self.channel.tags.push(std::mem::take(&mut self.term));
            }
            (Ns::Wp, "postmeta") if in_item => {
                let pair = (
                    std::mem::take(&mut self.meta_key),
                    std::mem::take(&mut self.meta_value),
                );
                self.item.meta.push(pair);
            }
            (Ns::Wp, "comment") if in_item => self.item.comments += 1,
            (ns, local) if in_item => self.item_field(ns, local, parent, text),
            (ns, local) => self.channel_field(ns, local, parent, text),
        }
        None
    }

    fn item_field(&mut self, ns: Ns, local: &str, parent: Option<(Ns, &str)>, text: String) {
        let item = &mut self.item;
        match parent {
            Some((Ns::Rss, "item")) => {}
            Some((Ns::Wp, "postmeta")) => {
                match (ns, local) {
                    (Ns::Wp, "meta_key") => self.meta_key = text,
                    (Ns::Wp, "meta_value") => self.meta_value = text,
                    _ => {}
                }
                return;
            }
            // Inside comments and anything else nested: nothing we import.
            _ => return,
        }
        match (ns, local) {
            (Ns::Rss, "title") => item.title = text,
            (Ns::Rss, "link") => item.link = text.trim().to_owned(),
            (Ns::Rss, "pubDate") => item.pub_date = text.trim().to_owned(),
            (Ns::Rss, "category") => {
                if let Some(term) = item.terms.last_mut() {
                    term.name = text.trim().to_owned();
                }
            }
            (Ns::Dc, "creator") => item.creator = text.trim().to_owned(),
            (Ns::Content, "encoded") => item.content = text,
            (Ns::Excerpt, "encoded") => item.excerpt = text,
            (Ns::Wp, "post_id") => item.wp_id = text.trim().parse().ok(),
            (Ns::Wp, "post_date") => item.post_date = text.trim().to_owned(),
            (Ns::Wp, "post_date_gmt") => item.post_date_gmt = text.trim().to_owned(),
            (Ns::Wp, "post_name") => item.post_name = text.trim().to_owned(),
            (Ns::Wp, "status") => item.status = text.trim().to_owned(),
            (Ns::Wp, "post_parent") => item.post_parent = text.trim().parse().ok(),
            (Ns::Wp, "post_type") => item.post_type = text.trim().to_owned(),
            (Ns::Wp, "post_password") => item.post_password = text,
            (Ns::Wp, "attachment_url") => item.attachment_url = text.trim().to_owned(),
            _ => {}
        }
    }

    fn channel_field(&mut self, ns: Ns, local: &str, parent: Option<(Ns, &str)>, text: String) {
        let value = text.trim().to_owned();
        match (parent, ns, local) {
            (Some((Ns::Rss, "channel")), Ns::Rss, "title") => self.channel.title = value,
            (Some((Ns::Rss, "channel")), Ns::Rss, "link") => self.channel.link = value,
            (Some((Ns::Rss, "channel")), Ns::Wp, "wxr_version") => {
                self.channel.wxr_version = Some(value);
            }
            (Some((Ns::Rss, "channel")), Ns::Wp, "base_site_url") => {
                self.channel.base_site_url = value;
            }
            (Some((Ns::Rss, "channel")), Ns::Wp, "base_blog_url") => {
                self.channel.base_blog_url = value;
            }
            (Some((Ns::Wp, "author")), Ns::Wp, field) => match field {
                "author_login" => self.author.login = value,
                "author_email" => self.author.email = value,
                "author_display_name" => self.author.display_name = value,
                "author_first_name" => self.author.first_name = value,
                "author_last_name" => self.author.last_name = value,
                _ => {}
            },
            (Some((Ns::Wp, "category")), Ns::Wp, field) => match field {
                "category_nicename" => self.term.slug = value,
                "cat_name" => self.term.name = value,
                "category_description" => self.term.description = value,
                _ => {}
            },
            (Some((Ns::Wp, "tag")), Ns::Wp, field) => match field {
                "tag_slug" => self.term.slug = value,
                "tag_name" => self.term.name = value,
                "tag_description" => self.term.description = value,
                _ => {}
            },
            _ => {}
        }
    }

    /// An XML error with the line and column it was found at (counted by reading the file
    /// again up to that byte: errors are rare, the count is not worth keeping up always).
    fn malformed(&self, byte: u64, problem: &str) -> WxrError {
        let (line, column) = line_and_column(&self.path, byte).unwrap_or((0, 0));
        WxrError(format!(
            "{} is not well-formed XML: line {line}, column {column}: {problem}. Nothing was imported.",
            self.name
        ))
    }
}

/// One event of the reader, owned.
enum Step {
    /// An element opens; for `<category>`, its `domain` and `nicename`.
    Start(Element, Option<(String, String)>),
    End,
    Text(String),
    Other,
    Eof,
}

enum Failure {
    /// Malformed at this byte.
    At(u64, String),
    /// Malformed where the reader is.
    Here(String),
    /// Well-formed, but not something we read (the sentence follows the file's name).
    Refused(String),
}

/// The step an event makes, and the namespace it used if we don't know it.
fn step_of(resolved: ResolveResult, event: Event) -> Result<(Step, Option<String>), Failure> {
    let (ns, unknown) = match &resolved {
        ResolveResult::Unbound => (Ns::Rss, None),
        ResolveResult::Bound(uri) => {
            let uri = String::from_utf8_lossy(uri.as_ref());
            if let Some(version) = wp_version(&uri)
                && !WXR_VERSIONS.contains(&version)
            {
                return Err(Failure::Refused(format!(
                    "uses WXR version {version} ({uri}), which this Folio doesn't know (it reads {}): upgrade Folio, or export from a WordPress that writes WXR 1.2",
                    WXR_VERSIONS.join(", ")
                )));
            }
            let ns = classify(&uri);
            (ns, (ns == Ns::Unknown).then(|| uri.into_owned()))
        }
        ResolveResult::Unknown(prefix) => {
            let prefix = String::from_utf8_lossy(prefix);
            return Err(Failure::Here(format!(
                "the prefix “{prefix}:” is used but never declared (xmlns:{prefix}=…)"
            )));
        }
    };
    let step = match event {
        Event::Start(start) => {
            let local = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
            let attributes =
                (ns == Ns::Rss && local == "category").then(|| category_attributes(&start));
            Step::Start(Element { ns, local }, attributes)
        }
        Event::End(_) => Step::End,
        Event::Text(text) => Step::Text(
            text.xml10_content()
                .map_err(|e| Failure::Here(e.to_string()))?
                .into_owned(),
        ),
        Event::CData(data) => Step::Text(
            data.xml10_content()
                .map_err(|e| Failure::Here(e.to_string()))?
                .into_owned(),
        ),
        Event::GeneralRef(reference) => match reference.resolve_char_ref() {
            Ok(Some(c)) => Step::Text(c.to_string()),
            Ok(None) => {
                let name = reference.decode().unwrap_or_default().into_owned();
                Step::Text(match name.as_str() {
                    "amp" => "&".into(),
                    "lt" => "<".into(),
                    "gt" => ">".into(),
                    "quot" => "\"".into(),
                    "apos" => "'".into(),
                    // Not an XML entity (an HTML one like &nbsp;): kept as written; the
                    // HTML it belongs to understands it.
                    _ => format!("&{name};"),
                })
            }
            Err(e) => return Err(Failure::Here(e.to_string())),
        },
        Event::Eof => Step::Eof,
        _ => Step::Other,
    };
    Ok((step, unknown))
}

fn category_attributes(start: &BytesStart) -> (String, String) {
    let (mut domain, mut slug) = (String::new(), String::new());
    for attribute in start.attributes().flatten() {
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map(std::borrow::Cow::into_owned)
            .unwrap_or_default();
        match attribute.key.local_name().as_ref() {
            b"domain" => domain = value,
            b"nicename" => slug = value,
            _ => {}
        }
    }
    (domain, slug)
}

fn classify(uri: &str) -> Ns {
    if uri == CONTENT_NS {
        Ns::Content
    } else if uri == DC_NS {
        Ns::Dc
    } else if uri.starts_with(WP_PREFIX) && uri.ends_with("/excerpt/") {
        Ns::Excerpt
    } else if wp_version(uri).is_some() {
        Ns::Wp
    } else if IGNORED_NS.contains(&uri) {
        Ns::Known
    } else {
        Ns::Unknown
    }
}

/// `1.2` of `http://wordpress.org/export/1.2/`.
fn wp_version(uri: &str) -> Option<&str> {
    let version = uri.strip_prefix(WP_PREFIX)?.strip_suffix('/')?;
    (!version.is_empty() && !version.contains('/')).then_some(version)
}

/// 1-based line and column (in characters) of a byte offset of the file.
fn line_and_column(path: &Path, byte: u64) -> std::io::Result<(u64, u64)> {
    let mut reader = BufReader::new(File::open(path)?).take(byte);
    let (mut line, mut column) = (1u64, 1u64);
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        for &b in chunk {
            if b == b'\n' {
                line += 1;
                column = 1;
            } else if b & 0xC0 != 0x80 {
                // Count characters, not the continuation bytes of UTF-8.
                column += 1;
            }
        }
        let n = chunk.len();
        reader.consume(n);
    }
    Ok((line, column))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(xml: &str) -> Result<(Channel, Vec<Item>, BTreeSet<String>), WxrError> {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(xml.as_bytes()).expect("write");
        let mut reader = WxrReader::open(file.path())?;
        let mut items = Vec::new();
        while let Some(item) = reader.next_item()? {
            items.push(item);
        }
        Ok((
            reader.channel().clone(),
            items,
            reader.unknown_namespaces().clone(),
        ))
    }

    const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
  xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/"
  xmlns:x="urn:example:plugin">
<channel><title>Old blog</title><link>https://old.example</link>
<wp:wxr_version>1.2</wp:wxr_version><wp:base_blog_url>https://old.example</wp:base_blog_url>
<wp:author><wp:author_id>1</wp:author_id><wp:author_login><![CDATA[ann]]></wp:author_login><wp:author_email>ann@example.com</wp:author_email><wp:author_display_name><![CDATA[Ann]]></wp:author_display_name></wp:author>
<wp:category><wp:term_id>3</wp:term_id><wp:category_nicename>news</wp:category_nicename><wp:cat_name><![CDATA[News]]></wp:cat_name></wp:category>
"#;

    #[test]
    fn reads_channel_and_items_by_namespace() {
        let xml = format!(
            "{HEAD}<item><title>Fish &amp; chips &#8217;n&nbsp;more</title><dc:creator>ann</dc:creator>
<content:encoded><![CDATA[<p>Body</p>]]></content:encoded><excerpt:encoded><![CDATA[Short]]></excerpt:encoded>
<wp:post_id>12</wp:post_id><wp:post_type>post</wp:post_type><wp:status>publish</wp:status>
<category domain=\"category\" nicename=\"news\"><![CDATA[News]]></category>
<x:rating>5</x:rating>
<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key><wp:meta_value>40</wp:meta_value></wp:postmeta>
<wp:comment><wp:comment_id>1</wp:comment_id><wp:comment_content>Hi</wp:comment_content></wp:comment>
</item></channel></rss>"
        );
        let (channel, items, unknown) = read_all(&xml).expect("reads");
        assert_eq!(channel.wxr_version.as_deref(), Some("1.2"));
        assert_eq!(channel.authors[0].login, "ann");
        assert_eq!(channel.categories[0].name, "News");
        let item = &items[0];
        assert_eq!(item.title, "Fish & chips \u{2019}n&nbsp;more");
        assert_eq!(item.content, "<p>Body</p>");
        assert_eq!(item.excerpt, "Short");
        assert_eq!(item.wp_id, Some(12));
        assert_eq!(item.meta("_thumbnail_id"), Some("40"));
        assert_eq!(item.comments, 1);
        assert_eq!(item.terms[0].slug, "news");
        assert_eq!(item.terms[0].name, "News");
        assert!(unknown.contains("urn:example:plugin"));
    }

    #[test]
    fn malformed_xml_names_line_and_column() {
        let xml = format!("{HEAD}<item><title>A</titel></item></channel></rss>");
        let error = read_all(&xml).expect_err("malformed");
        assert!(error.0.contains("line 10, column"), "{error}");
    }

    #[test]
    fn a_cut_off_file_is_refused() {
        let xml = format!("{HEAD}<item><title>A</title>");
        let error = read_all(&xml).expect_err("cut off");
        assert!(error.0.contains("ends before"), "{error}");
    }

    #[test]
    fn plain_rss_and_other_documents_are_not_exports() {
        let rss = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title>
<item><title>Hello</title></item></channel></rss>"#;
        assert!(
            read_all(rss)
                .expect_err("rss")
                .0
                .contains("RSS feed, not a WordPress export")
        );
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>"#;
        assert!(
            read_all(atom)
                .expect_err("atom")
                .0
                .contains("root element is <feed>")
        );
        assert!(
            read_all("just text")
                .expect_err("text")
                .0
                .contains("no XML elements")
        );
        let newer = HEAD.replace("export/1.2/\"\n", "export/1.3/\"\n");
        let newer = format!("{newer}</channel></rss>");
        assert!(
            read_all(&newer)
                .expect_err("newer")
                .0
                .contains("WXR version 1.3")
        );
        let undeclared = "<rss><channel><wp:wxr_version>1.2</wp:wxr_version></channel></rss>";
        assert!(
            read_all(undeclared)
                .expect_err("prefix")
                .0
                .contains("never declared")
        );
    }

    #[test]
    fn an_empty_file_is_refused() {
        let file = tempfile::NamedTempFile::new().expect("temp file");
        let error = WxrReader::open(file.path()).err().expect("empty");
        assert!(error.0.contains("is empty (0 bytes)"), "{error}");
    }
}
