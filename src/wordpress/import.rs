//! Maps a WordPress export onto Folio's records. Two passes over the file: the first reads
//! it whole (nothing written) so a malformed or foreign file is refused before anything
//! changes, and collects the small things items refer to (authors, attachments); the
//! second writes every post in one transaction. Attachment files are copied into the media
//! library between the two (image variants take time; the write lock is not held for it).
//! What was made from which WordPress item is kept in `imported_items`, so importing the
//! same file again adds nothing twice.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::content;
use super::wxr::{Channel, Item, WxrReader};
use crate::db::schema::{imported_items, post_tags, redirects, tags, users};
use crate::db::{self, DbConnection};
use crate::domain::limits;
use crate::domain::post::{Kind, MAX_EXCERPT_CHARS, Status};
use crate::domain::slug::slugify;
use crate::domain::transition::Publication;
use crate::domain::{Email, Role, counted};
use crate::error::AppError;
use crate::media::{self, MediaConfig, Picture, Placed};
use crate::store;
use crate::store::editorial::{NewPost, Text};
use crate::store::users::NewUser;

/// How to import.
pub struct Options {
    /// The `wp-content/uploads` folder of the old site: attachments are copied from it.
    pub uploads: Option<PathBuf>,
    /// The role of the accounts made for WordPress authors.
    pub author_role: Role,
    /// Who imports (the admin in the dashboard); the CLI passes `None` and the first
    /// active admin is used. Posts whose author can't be made are theirs.
    pub importer_id: Option<i32>,
    /// The client address of a dashboard import: its audit record is written in the
    /// import's transaction. The CLI passes `None` (no audit record, as before).
    pub audit_address: Option<String>,
}

/// Where an import is, for the dashboard's progress bar.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Progress {
    pub phase: &'static str,
    pub done: usize,
    pub total: usize,
}

/// What an import did, by kind and stage, and what it left out and why.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Report {
    pub source: String,
    /// "post" / "page" → "published" / "scheduled" / "draft" / "pending review" / "trash" → count.
    pub imported: BTreeMap<String, BTreeMap<String, usize>>,
    pub already_imported: usize,
    pub media_copied: usize,
    /// Attachments left on the old site: "title: URL".
    pub media_linked: Vec<String>,
    pub users_created: Vec<String>,
    pub users_matched: Vec<String>,
    pub tags_created: usize,
    pub redirects: usize,
    pub skipped: Vec<String>,
    pub warnings: Vec<String>,
    pub seconds: f64,
}

impl Report {
    pub fn posts_imported(&self) -> usize {
        self.imported.values().flat_map(BTreeMap::values).sum()
    }

    /// The lists of the report, titled, and whether a reader should see them first.
    pub fn sections(&self) -> [(&'static str, &Vec<String>, bool); 5] {
        [
            ("Accounts created", &self.users_created, false),
            ("Matched to existing accounts", &self.users_matched, false),
            ("Skipped", &self.skipped, true),
            ("Warnings", &self.warnings, true),
            (
                "Attachments kept as links to the old site",
                &self.media_linked,
                false,
            ),
        ]
    }

    /// The report as lines of text, for the command line.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let imported = self.posts_imported();
        lines.push(format!(
            "Imported {} from {} in {:.1} s ({:.0} per second).",
            counted(imported, "post or page", "posts and pages"),
            self.source,
            self.seconds,
            imported as f64 / self.seconds.max(0.001)
        ));
        for (kind, stages) in &self.imported {
            let parts: Vec<String> = stages.iter().map(|(s, n)| format!("{n} {s}")).collect();
            lines.push(format!("  {kind}s: {}", parts.join(", ")));
        }
        if self.already_imported > 0 {
            lines.push(format!(
                "  {} imported before and left as they are.",
                counted(self.already_imported, "item was", "items were")
            ));
        }
        lines.push(format!(
            "  media: {} copied into the library, {} left on the old site",
            self.media_copied,
            self.media_linked.len()
        ));
        lines.push(format!(
            "  users: {} created (disabled, without a password, until you enable them and send a reset link), {} matched by email",
            self.users_created.len(),
            self.users_matched.len()
        ));
        lines.push(format!(
            "  tags: {} created; redirects from old addresses: {}",
            self.tags_created, self.redirects
        ));
        for (title, entries, _) in self.sections() {
            if !entries.is_empty() {
                lines.push(format!("{title}:"));
                lines.extend(entries.iter().map(|e| format!("  - {e}")));
            }
        }
        lines
    }
}

/// An attachment as the first pass found it.
#[derive(Debug, Clone)]
struct Attachment {
    title: String,
    url: String,
    /// Relative to the uploads folder: `2019/03/photo.jpg`.
    file: String,
    alt: String,
    caption: String,
    creator: String,
}

/// What the first pass learned.
struct Survey {
    channel: Channel,
    attachments: BTreeMap<i64, Attachment>,
    items: usize,
    comments: usize,
    skipped_types: BTreeMap<String, usize>,
    unknown_namespaces: Vec<String>,
}

/// The kinds of item we import as posts, and the ones we leave out on purpose (with why).
fn leave_out_reason(post_type: &str) -> Option<&'static str> {
    match post_type {
        "post" | "page" | "attachment" => None,
        "nav_menu_item" => Some("menus are not imported: Folio's navigation is set in Settings"),
        "revision" => {
            Some("WordPress revisions are not imported: each post starts its history here")
        }
        "wp_block"
        | "wp_template"
        | "wp_template_part"
        | "wp_global_styles"
        | "wp_navigation"
        | "custom_css"
        | "customize_changeset"
        | "oembed_cache"
        | "user_request"
        | "wp_font_family"
        | "wp_font_face" => Some("theme and editor data of WordPress, not content"),
        _ => Some("unknown post type (a plugin's); Folio has posts and pages only"),
    }
}

pub fn import(
    conn: &mut DbConnection,
    media_config: &MediaConfig,
    path: &Path,
    name: &str,
    options: &Options,
    progress: &dyn Fn(Progress),
) -> Result<Report, String> {
    import_then(
        conn,
        media_config,
        path,
        name,
        options,
        progress,
        &|_, _| Ok(()),
    )
}

/// [`import`], calling `before_commit` with the finished report inside the import's
/// transaction: what it writes commits with the import, and its error rolls it all back
/// (a dashboard import marks its job done there, so "done" and the posts are one commit).
pub fn import_then(
    conn: &mut DbConnection,
    media_config: &MediaConfig,
    path: &Path,
    name: &str,
    options: &Options,
    progress: &dyn Fn(Progress),
    before_commit: &dyn Fn(&mut DbConnection, &Report) -> Result<(), AppError>,
) -> Result<Report, String> {
    let started = std::time::Instant::now();
    let survey = survey(path, name, progress)?;
    let source = source_of(&survey.channel);
    let mut report = Report {
        source: source.clone(),
        ..Report::default()
    };
    if survey.comments > 0 {
        report.skipped.push(format!(
            "{}: Folio has no comments",
            counted(survey.comments, "comment", "comments")
        ));
    }
    for (post_type, count) in &survey.skipped_types {
        let why = leave_out_reason(post_type).unwrap_or_default();
        report.skipped.push(format!(
            "{} of type {post_type}: {why}",
            counted(count, "item", "items")
        ));
    }
    if !survey.unknown_namespaces.is_empty() {
        report.warnings.push(format!(
            "Elements of namespaces this importer doesn't know were skipped: {}",
            survey.unknown_namespaces.join(", ")
        ));
    }

    let fallback_author = match options.importer_id {
        Some(id) => id,
        None => first_admin(conn)?,
    };
    let known = previously_imported(conn, &source).map_err(database)?;
    let mut placed_keys = Vec::new();
    let copied = copy_attachments(
        media_config,
        &survey,
        options.uploads.as_deref(),
        &known,
        &mut report,
        &mut placed_keys,
        progress,
    );
    let result = db::write_transaction(conn, |conn| -> Result<(), AppError> {
        // One import writes at a time (SQLite: the write lock; PostgreSQL: a table lock),
        // and what earlier imports made is read again under it: an import that ran
        // meanwhile (another node's job) is not imported twice or into a unique violation.
        db::dialect::lock_imported_items(conn)?;
        let known = previously_imported(conn, &source)?;
        write_all(
            conn,
            (path, name),
            &survey,
            copied,
            &known,
            options,
            fallback_author,
            &mut report,
            progress,
        )?;
        if let Some(address) = &options.audit_address {
            store::audit::wordpress_import_finished(
                conn,
                options.importer_id,
                name,
                report.posts_imported(),
                address,
            )?;
        }
        report.seconds = started.elapsed().as_secs_f64();
        before_commit(conn, &report)?;
        Ok(())
    });
    if let Err(err) = result {
        // Nothing was recorded: the files copied for it go too.
        let _ = media_config.storage.remove(&placed_keys);
        return Err(match err {
            AppError::Unprocessable(message) => message,
            other => format!("cannot import: {}; nothing was imported", other.detailed()),
        });
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

fn database(e: diesel::result::Error) -> String {
    format!("cannot read the database: {e}")
}

fn first_admin(conn: &mut DbConnection) -> Result<i32, String> {
    users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .filter(users::status.eq(store::users::STATUS_ACTIVE))
        .order(users::id.asc())
        .select(users::id)
        .first(conn)
        .optional()
        .map_err(database)?
        .ok_or_else(|| {
            "this site has no active admin yet: create one first (folio user create --role admin …), who will own posts whose author can't be imported".to_owned()
        })
}

/// The WordPress site an export comes from: what `imported_items` remembers it by.
fn source_of(channel: &Channel) -> String {
    [
        &channel.base_blog_url,
        &channel.base_site_url,
        &channel.link,
    ]
    .into_iter()
    .map(|url| url.trim().trim_end_matches('/'))
    .find(|url| !url.is_empty())
    .unwrap_or("(unnamed WordPress site)")
    .to_owned()
}

/// First pass: reads the whole file, writing nothing.
fn survey(path: &Path, name: &str, progress: &dyn Fn(Progress)) -> Result<Survey, String> {
    let mut reader = WxrReader::open_named(path, name).map_err(|e| e.to_string())?;
    let mut attachments = BTreeMap::new();
    let mut items = 0;
    let mut comments = 0;
    let mut skipped_types: BTreeMap<String, usize> = BTreeMap::new();
    while let Some(item) = reader.next_item().map_err(|e| e.to_string())? {
        items += 1;
        if items % 500 == 0 {
            progress(Progress {
                phase: "Reading the export",
                done: items,
                total: 0,
            });
        }
        comments += item.comments;
        if item.post_type == "attachment"
            && let Some(id) = item.wp_id
        {
            attachments.insert(
                id,
                Attachment {
                    title: item.title.trim().to_owned(),
                    url: item.attachment_url.clone(),
                    file: item
                        .meta("_wp_attached_file")
                        .unwrap_or_default()
                        .trim()
                        .to_owned(),
                    alt: item
                        .meta("_wp_attachment_image_alt")
                        .unwrap_or_default()
                        .trim()
                        .to_owned(),
                    caption: content::plain_text(&item.excerpt),
                    creator: item.creator.clone(),
                },
            );
        } else if leave_out_reason(&item.post_type).is_some() {
            *skipped_types.entry(item.post_type.clone()).or_default() += 1;
        }
    }
    Ok(Survey {
        channel: reader.channel().clone(),
        attachments,
        items,
        comments,
        skipped_types,
        unknown_namespaces: reader.unknown_namespaces().iter().cloned().collect(),
    })
}

/// What an earlier import of this site made: WordPress id → post or media id.
#[derive(Default)]
struct Known {
    posts: HashMap<i64, i32>,
    media: HashMap<i64, i32>,
}

fn previously_imported(conn: &mut DbConnection, source: &str) -> QueryResult<Known> {
    let rows: Vec<(i64, Option<i32>, Option<i32>)> = imported_items::table
        .filter(imported_items::source.eq(source))
        .select((
            imported_items::wp_id,
            imported_items::post_id,
            imported_items::media_id,
        ))
        .load(conn)?;
    let mut known = Known::default();
    for (wp_id, post_id, media_id) in rows {
        if let Some(id) = post_id {
            known.posts.insert(wp_id, id);
        }
        if let Some(id) = media_id {
            known.media.insert(wp_id, id);
        }
    }
    Ok(known)
}

/// An attachment whose files are in the library's folder, waiting for its record.
struct Copied {
    wp_id: i64,
    placed: Placed,
}

/// Copies attachments from the uploads folder into the media folder (variants made),
/// before the transaction. Attachments not copied are reported as links.
fn copy_attachments(
    media_config: &MediaConfig,
    survey: &Survey,
    uploads: Option<&Path>,
    known: &Known,
    report: &mut Report,
    placed_keys: &mut Vec<String>,
    progress: &dyn Fn(Progress),
) -> Vec<Copied> {
    let mut copied = Vec::new();
    let total = survey.attachments.len();
    for (n, (&wp_id, attachment)) in survey.attachments.iter().enumerate() {
        progress(Progress {
            phase: "Copying media",
            done: n,
            total,
        });
        if known.media.contains_key(&wp_id) {
            continue;
        }
        let name = if attachment.title.is_empty() {
            attachment.file.clone()
        } else {
            attachment.title.clone()
        };
        let Some(uploads) = uploads else {
            report
                .media_linked
                .push(format!("{name}: {}", attachment.url));
            continue;
        };
        match copy_one(media_config, uploads, attachment, placed_keys) {
            Ok(placed) => copied.push(Copied { wp_id, placed }),
            Err(why) => {
                report.warnings.push(format!(
                    "Attachment “{name}” (WordPress id {wp_id}) was not copied ({why}); it stays a link to {}",
                    attachment.url
                ));
                report
                    .media_linked
                    .push(format!("{name}: {}", attachment.url));
            }
        }
    }
    copied
}

fn copy_one(
    media_config: &MediaConfig,
    uploads: &Path,
    attachment: &Attachment,
    placed_keys: &mut Vec<String>,
) -> Result<Placed, String> {
    let relative = Path::new(&attachment.file);
    let inside = !attachment.file.is_empty()
        && relative
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
    if !inside {
        return Err(format!(
            "its file name “{}” is not a path inside the uploads folder",
            attachment.file
        ));
    }
    let path = uploads.join(relative);
    let received =
        media::upload::from_local_file(&media_config.storage, &path, media_config.max_upload_bytes)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .ok_or_else(|| {
                format!(
                    "it is larger than the upload limit of {} MB",
                    media_config.max_upload_bytes / (1024 * 1024)
                )
            })?;
    let prepared = media::prepare(&media_config.storage, received).map_err(|e| e.detailed())?;
    media::place(&media_config.storage, prepared, placed_keys).map_err(|e| e.detailed())
}

/// A library file an imported post can point at.
struct LibraryFile {
    media_id: i32,
}

/// How many posts the importer writes at a time: a few statements per batch instead of
/// several per post (PostgreSQL's bound parameters stay far under its limit).
const IMPORT_BATCH: usize = 200;

/// An item's post, prepared and waiting for its batch.
struct Pending {
    describe: String,
    kind: Kind,
    author: i32,
    title: String,
    body: String,
    excerpt: String,
    wanted: String,
    placement: Placement,
    created: NaiveDateTime,
    featured: Option<i32>,
    tag_ids: Vec<i32>,
    redirect_paths: Vec<String>,
    wp_id: Option<i64>,
    /// Where the warning that its address was taken goes among the report's warnings.
    slug_warning_at: usize,
}

/// Everything the second pass keeps track of while it writes.
struct Writer<'a> {
    pending: Vec<Pending>,
    survey: &'a Survey,
    options: &'a Options,
    tz: chrono_tz::Tz,
    authors: HashMap<String, i32>,
    fallback_author: i32,
    tags: HashMap<String, i32>,
    term_names: HashMap<String, (String, String)>,
    library: HashMap<i64, LibraryFile>,
    /// Relative upload path → library URL, for rewriting post HTML.
    library_urls: HashMap<String, String>,
    upload_bases: Vec<String>,
    missing_authors: HashSet<String>,
}

#[allow(clippy::too_many_arguments)]
fn write_all(
    conn: &mut DbConnection,
    (path, name): (&Path, &str),
    survey: &Survey,
    copied: Vec<Copied>,
    known: &Known,
    options: &Options,
    fallback_author: i32,
    report: &mut Report,
    progress: &dyn Fn(Progress),
) -> Result<(), AppError> {
    let mut writer = Writer {
        pending: Vec::new(),
        survey,
        options,
        tz: store::settings::time_zone(conn)?,
        authors: HashMap::new(),
        fallback_author,
        tags: HashMap::new(),
        term_names: HashMap::new(),
        library: HashMap::new(),
        library_urls: HashMap::new(),
        upload_bases: Vec::new(),
        missing_authors: HashSet::new(),
    };
    writer.authors(conn, report)?;
    writer.terms();
    writer.library(conn, copied, known, report)?;
    let mut reader =
        WxrReader::open_named(path, name).map_err(|e| AppError::Unprocessable(e.to_string()))?;
    let mut done = 0;
    while let Some(item) = reader
        .next_item()
        .map_err(|e| AppError::Unprocessable(e.to_string()))?
    {
        done += 1;
        if done % 100 == 0 {
            progress(Progress {
                phase: "Importing posts",
                done,
                total: survey.items,
            });
        }
        let Some(kind) = Kind::parse(&item.post_type) else {
            continue;
        };
        if let Some(wp_id) = item.wp_id
            && known.posts.contains_key(&wp_id)
        {
            report.already_imported += 1;
            continue;
        }
        if matches!(item.status.as_str(), "auto-draft" | "inherit") {
            report.skipped.push(format!(
                "{}: a WordPress {} (never written by anyone)",
                item.describe(),
                item.status
            ));
            continue;
        }
        writer.post(conn, &item, kind, report)?;
    }
    writer.flush(conn, report)
}

/// Where an imported post stands in Folio.
struct Placement {
    status: Status,
    published_at: Option<NaiveDateTime>,
    deleted_at: Option<NaiveDateTime>,
    stage: &'static str,
}

impl Writer<'_> {
    /// Accounts for the export's authors: matched by email, else made disabled and without
    /// a password (an admin enables them and sends a reset link).
    fn authors(&mut self, conn: &mut DbConnection, report: &mut Report) -> Result<(), AppError> {
        for author in &self.survey.channel.authors {
            let name = [
                author.display_name.trim().to_owned(),
                format!("{} {}", author.first_name.trim(), author.last_name.trim())
                    .trim()
                    .to_owned(),
                author.login.trim().to_owned(),
            ]
            .into_iter()
            .find(|n| !n.is_empty())
            .unwrap_or_else(|| "WordPress author".to_owned());
            let Ok(email) = Email::parse(&author.email) else {
                report.warnings.push(format!(
                    "Author {} ({}) has no usable email address (“{}”): their posts belong to the importing admin",
                    name, author.login, author.email
                ));
                continue;
            };
            let id = match store::users::find_by_email(conn, &email)? {
                Some(user) => {
                    report.users_matched.push(format!(
                        "{} → {} ({email})",
                        author.login, user.display_name
                    ));
                    user.id
                }
                None => {
                    let user = store::users::create(
                        conn,
                        &NewUser {
                            email: &email,
                            display_name: &truncate(&name, limits::MAX_NAME_CHARS),
                            password_hash: None,
                            role: self.options.author_role,
                        },
                    )?;
                    store::users::set_active(conn, user.id, false)?;
                    report.users_created.push(format!(
                        "{} ({email}) as {}",
                        user.display_name,
                        self.options.author_role.as_str()
                    ));
                    user.id
                }
            };
            self.authors.insert(author.login.clone(), id);
        }
        Ok(())
    }

    fn author_of(&mut self, item: &Item, report: &mut Report) -> i32 {
        if let Some(&id) = self.authors.get(&item.creator) {
            return id;
        }
        if self.missing_authors.insert(item.creator.clone())
            && !self
                .survey
                .channel
                .authors
                .iter()
                .any(|a| a.login == item.creator)
        {
            report.warnings.push(format!(
                "The author “{}” is not among the export's authors: their posts belong to the importing admin",
                item.creator
            ));
        }
        self.fallback_author
    }

    /// Names and descriptions of the channel's categories and tags, by slug.
    fn terms(&mut self) {
        let channel = &self.survey.channel;
        for term in channel.categories.iter().chain(&channel.tags) {
            if let Some(slug) = tag_slug(&term.slug, &term.name) {
                self.term_names
                    .entry(slug)
                    .or_insert((term.name.clone(), term.description.clone()));
            }
        }
    }

    /// Records the copied attachments and collects every library file posts may point at.
    fn library(
        &mut self,
        conn: &mut DbConnection,
        copied: Vec<Copied>,
        known: &Known,
        report: &mut Report,
    ) -> Result<(), AppError> {
        let now = Utc::now().naive_utc();
        let source = report.source.clone();
        for Copied { wp_id, placed } in copied {
            let Some(attachment) = self.survey.attachments.get(&wp_id) else {
                continue;
            };
            let uploader = self
                .authors
                .get(&attachment.creator)
                .copied()
                .unwrap_or(self.fallback_author);
            let id = media::record(conn, uploader, &placed)?;
            store::media::update_texts(conn, id, &attachment.alt, &attachment.caption)?;
            diesel::insert_into(imported_items::table)
                .values((
                    imported_items::source.eq(&source),
                    imported_items::wp_id.eq(wp_id),
                    imported_items::media_id.eq(id),
                    imported_items::created_at.eq(now),
                ))
                .execute(conn)?;
            report.media_copied += 1;
            self.add_library_file(wp_id, id, placed.display_url());
        }
        for (&wp_id, &media_id) in &known.media {
            if let Some(row) = store::media::find(conn, media_id)? {
                let url = Picture::of(&row)
                    .map(|p| p.src)
                    .unwrap_or_else(|| media::url_of(&row.storage_key));
                self.add_library_file(wp_id, media_id, url);
            }
        }
        Ok(())
    }

    fn add_library_file(&mut self, wp_id: i64, media_id: i32, url: String) {
        let Some(attachment) = self.survey.attachments.get(&wp_id) else {
            return;
        };
        if !attachment.file.is_empty() {
            self.library_urls.insert(attachment.file.clone(), url);
            if let Some(base) = attachment.url.strip_suffix(attachment.file.as_str())
                && !base.is_empty()
                && !self.upload_bases.iter().any(|b| b == base)
            {
                self.upload_bases.push(base.to_owned());
            }
        }
        self.library.insert(wp_id, LibraryFile { media_id });
    }

    /// Prepares an item's post; it is written with the next batch (see [`Writer::flush`]).
    fn post(
        &mut self,
        conn: &mut DbConnection,
        item: &Item,
        kind: Kind,
        report: &mut Report,
    ) -> Result<(), AppError> {
        let placement = self.placement(item, &mut |text: String| {
            report.warnings.push(format!("{}: {text}", item.describe()));
        });
        // Where a warning that the address is taken goes, once the save has chosen it.
        let slug_warning_at = report.warnings.len();
        let mut warn = |text: String| report.warnings.push(format!("{}: {text}", item.describe()));

        let title = content::plain_text(&item.title);
        let wanted = slug_of(item, &title);

        let converted = content::convert(&item.content);
        if !converted.shortcodes.is_empty() {
            warn(format!(
                "shortcodes Folio can't show were left as text: {}",
                converted
                    .shortcodes
                    .iter()
                    .map(|s| format!("[{s}]"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let body = if self.library_urls.is_empty() {
            converted.body
        } else {
            let urls = &self.library_urls;
            content::replace_upload_urls(&converted.body, &self.upload_bases, |relative| {
                urls.get(relative).cloned()
            })
            .0
        };
        if contains_script(&item.content) {
            warn("its <script> elements were removed (Folio never runs scripts in posts)".into());
        }
        let excerpt = truncate(&content::plain_text(&item.excerpt), MAX_EXCERPT_CHARS);

        let author = self.author_of(item, report);
        let created = placement
            .published_at
            .or_else(|| self.local_or_gmt(item))
            .unwrap_or_else(|| Utc::now().naive_utc());
        let featured = match item
            .meta("_thumbnail_id")
            .and_then(|v| v.trim().parse::<i64>().ok())
        {
            Some(wp_media) => match self.library.get(&wp_media) {
                Some(file) => Some(file.media_id),
                None => {
                    report.warnings.push(format!(
                        "{}: its featured image (WordPress id {wp_media}) is not in the library{}",
                        item.describe(),
                        if self.options.uploads.is_none() {
                            " (import with --uploads to copy it)"
                        } else {
                            ""
                        }
                    ));
                    None
                }
            },
            None => None,
        };
        let tag_ids = self.tag_ids(conn, item, report)?;
        let redirect_paths =
            if placement.status == Status::Published && placement.deleted_at.is_none() {
                Self::redirect_paths(item)
            } else {
                Vec::new()
            };
        self.pending.push(Pending {
            describe: item.describe(),
            kind,
            author,
            title,
            body,
            excerpt,
            wanted,
            placement,
            created,
            featured,
            tag_ids,
            redirect_paths,
            wp_id: item.wp_id,
            slug_warning_at,
        });
        if self.pending.len() >= IMPORT_BATCH {
            self.flush(conn, report)?;
        }
        Ok(())
    }

    /// Writes the prepared posts: the posts and their revisions through
    /// `store::editorial::create_posts`, then their tags, old addresses and
    /// `imported_items` rows, each in one multi-row insert for the batch.
    fn flush(&mut self, conn: &mut DbConnection, report: &mut Report) -> Result<(), AppError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        let batch: Vec<NewPost<'_>> = pending
            .iter()
            .map(|post| NewPost {
                kind: post.kind,
                author: post.author,
                text: Text {
                    excerpt: &post.excerpt,
                    ..Text::plain(&post.title, &post.body)
                },
                slug_base: &post.wanted,
                publication: Publication {
                    status: post.placement.status,
                    published_at: post.placement.published_at,
                },
                created_at: post.created,
                deleted_at: post.placement.deleted_at,
                featured: post.featured,
            })
            .collect();
        let saved = store::editorial::create_posts(conn, &batch)?;

        // Old addresses: one held by a redirect, by an earlier post of the batch or by
        // one's slug (chosen before the batch's redirects exist) is left to it.
        let wanted_paths: Vec<&str> = pending
            .iter()
            .flat_map(|post| post.redirect_paths.iter().map(String::as_str))
            .collect();
        let mut held: HashSet<String> = if wanted_paths.is_empty() {
            HashSet::new()
        } else {
            redirects::table
                .filter(redirects::from_path.eq_any(&wanted_paths))
                .select(redirects::from_path)
                .load::<String>(conn)?
                .into_iter()
                .collect()
        };
        held.extend(saved.iter().map(|s| format!("/{}", s.slug)));
        let now = Utc::now().naive_utc();
        let mut redirect_rows = Vec::new();
        let mut tag_rows = Vec::new();
        let mut imported_rows = Vec::new();
        let mut warnings_added = 0;
        for (post, saved) in pending.iter().zip(&saved) {
            if saved.slug != post.wanted {
                report.warnings.insert(
                    post.slug_warning_at + warnings_added,
                    format!(
                        "{}: the address /{} is taken: it is /{}",
                        post.describe, post.wanted, saved.slug
                    ),
                );
                warnings_added += 1;
            }
            for path in &post.redirect_paths {
                if path == "/" || !held.insert(path.clone()) {
                    continue;
                }
                redirect_rows.push((
                    redirects::from_path.eq(path.clone()),
                    redirects::post_id.eq(saved.id),
                    redirects::created_at.eq(now),
                ));
            }
            tag_rows.extend(
                post.tag_ids
                    .iter()
                    .map(|&tag| (post_tags::post_id.eq(saved.id), post_tags::tag_id.eq(tag))),
            );
            if let Some(wp_id) = post.wp_id {
                imported_rows.push((
                    imported_items::source.eq(report.source.clone()),
                    imported_items::wp_id.eq(wp_id),
                    imported_items::post_id.eq(saved.id),
                    imported_items::created_at.eq(now),
                ));
            }
            *report
                .imported
                .entry(post.kind.as_str().to_owned())
                .or_default()
                .entry(post.placement.stage.to_owned())
                .or_default() += 1;
        }
        report.redirects += redirect_rows.len();
        if !redirect_rows.is_empty() {
            db::dialect::insert_rows!(conn, redirects::table, redirect_rows)?;
        }
        if !tag_rows.is_empty() {
            db::dialect::insert_rows!(conn, post_tags::table, tag_rows)?;
        }
        if !imported_rows.is_empty() {
            db::dialect::insert_rows!(conn, imported_items::table, imported_rows)?;
        }
        Ok(())
    }

    /// Status, publication time and trash from WordPress's status and dates.
    fn placement(&self, item: &Item, warn: &mut dyn FnMut(String)) -> Placement {
        let date = self.local_or_gmt(item).or_else(|| {
            // The feed's date, unless it is WordPress's "no date" (the epoch).
            DateTime::parse_from_rfc2822(&item.pub_date)
                .ok()
                .map(|d| d.naive_utc())
                .filter(|d| d.and_utc().timestamp() != 0)
        });
        let protected = !item.post_password.trim().is_empty();
        let draft = |stage| Placement {
            status: Status::Draft,
            published_at: None,
            deleted_at: None,
            stage,
        };
        let status = if item.status == "trash" {
            item.meta("_wp_trash_meta_status")
                .unwrap_or("draft")
                .to_owned()
        } else {
            item.status.clone()
        };
        let mut placement = match status.as_str() {
            "publish" | "future" if protected => {
                warn("it was password-protected on WordPress: imported as a draft, so its text doesn't become public".into());
                draft("draft")
            }
            "publish" | "future" => match date {
                Some(at) => {
                    let now = Utc::now().naive_utc();
                    if status == "future" && at <= now {
                        warn("its scheduled time has passed: it is published".into());
                    }
                    Placement {
                        status: Status::Published,
                        published_at: Some(at),
                        deleted_at: None,
                        stage: if at > now { "scheduled" } else { "published" },
                    }
                }
                None => {
                    warn("it has no date: imported as a draft rather than published as new; set its date and publish it".into());
                    draft("draft")
                }
            },
            "pending" => Placement {
                status: Status::Pending,
                ..draft("pending review")
            },
            "private" => {
                warn("it was private on WordPress: imported as a draft".into());
                draft("draft")
            }
            "draft" => draft("draft"),
            other => {
                warn(format!(
                    "its status “{other}” is unknown: imported as a draft"
                ));
                draft("draft")
            }
        };
        if item.status == "trash" {
            let trashed_at = item
                .meta("_wp_trash_meta_time")
                .and_then(|t| t.trim().parse::<i64>().ok())
                .and_then(|t| DateTime::from_timestamp(t, 0))
                .map(|d| d.naive_utc())
                .unwrap_or_else(|| Utc::now().naive_utc());
            placement.deleted_at = Some(trashed_at);
            placement.stage = "trash";
        }
        placement
    }

    /// `post_date_gmt`, else `post_date` read in the site's time zone.
    fn local_or_gmt(&self, item: &Item) -> Option<NaiveDateTime> {
        parse_wp_date(&item.post_date_gmt).or_else(|| {
            let local = parse_wp_date(&item.post_date)?;
            self.tz
                .from_local_datetime(&local)
                .earliest()
                .map(|d| d.naive_utc())
        })
    }

    /// The tags of an item's categories and tags, made where the site has none yet.
    fn tag_ids(
        &mut self,
        conn: &mut DbConnection,
        item: &Item,
        report: &mut Report,
    ) -> Result<Vec<i32>, AppError> {
        let mut ids = Vec::new();
        for term in &item.terms {
            if term.domain != "category" && term.domain != "post_tag" {
                continue;
            }
            let Some(slug) = tag_slug(&term.slug, &term.name) else {
                continue;
            };
            // WordPress files every post without a category under "Uncategorized".
            if term.domain == "category" && slug == "uncategorized" {
                continue;
            }
            let id = match self.tags.get(&slug) {
                Some(&id) => id,
                None => {
                    let existing: Option<i32> = tags::table
                        .filter(tags::slug.eq(&slug))
                        .select(tags::id)
                        .first(conn)
                        .optional()?;
                    let id = match existing {
                        Some(id) => id,
                        None => {
                            let (name, description) = self
                                .term_names
                                .get(&slug)
                                .cloned()
                                .unwrap_or_else(|| (term.name.clone(), String::new()));
                            let name = if name.trim().is_empty() {
                                slug.clone()
                            } else {
                                content::plain_text(&name)
                            };
                            report.tags_created += 1;
                            diesel::insert_into(tags::table)
                                .values((
                                    tags::name.eq(&name),
                                    tags::slug.eq(&slug),
                                    tags::description.eq(content::plain_text(&description)),
                                    tags::created_at.eq(Utc::now().naive_utc()),
                                ))
                                .returning(tags::id)
                                .get_result(conn)?
                        }
                    };
                    self.tags.insert(slug, id);
                    id
                }
            };
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    /// Old addresses of a published item, to redirect to its post: `/?p=ID`,
    /// `/YYYY/MM/DD/slug/` and the item's own permalink (whatever structure the site
    /// used). Addresses already held are left to their holder (see [`Writer::flush`]).
    fn redirect_paths(item: &Item) -> Vec<String> {
        let mut paths = Vec::new();
        if let Some(wp_id) = item.wp_id {
            paths.push(format!("/?p={wp_id}"));
        }
        let name = decode(&item.post_name);
        if !name.is_empty()
            && let Some(local) = parse_wp_date(&item.post_date)
        {
            paths.push(local.format("/%Y/%m/%d/").to_string() + &name);
        }
        if let Some(path) = permalink_path(&item.link) {
            paths.push(path);
        }
        paths
    }
}

/// `2019-03-04 10:00:00`; WordPress writes zeros for "no date".
fn parse_wp_date(raw: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(raw.trim(), "%Y-%m-%d %H:%M:%S").ok()
}

/// Percent-decoded (WordPress stores non-ASCII slugs encoded).
fn decode(raw: &str) -> String {
    percent_encoding::percent_decode_str(raw.trim())
        .decode_utf8_lossy()
        .into_owned()
}

/// The path of a permalink, decoded, without its trailing slash: how the redirects table
/// stores old addresses (requests are matched the same way). Query-string permalinks are
/// covered by `/?p=ID`.
pub fn permalink_path(link: &str) -> Option<String> {
    let url = url::Url::parse(link.trim()).ok()?;
    if url.query().is_some() {
        return None;
    }
    let path = decode(url.path());
    let path = path.trim_end_matches('/');
    (!path.is_empty()).then(|| path.to_owned())
}

/// How a requested path is looked up among old addresses: decoded, without trailing
/// slashes (as `permalink_path` stores them).
pub fn old_address(request_path: &str) -> String {
    let decoded = decode(request_path);
    let trimmed = decoded.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".to_owned()
    } else {
        trimmed.to_owned()
    }
}

fn slug_of(item: &Item, title: &str) -> String {
    // WordPress renames the slugs of trashed posts `slug__trashed`.
    let name = decode(&item.post_name);
    slugify(name.trim_end_matches("__trashed"))
        .or_else(|| slugify(title))
        .or_else(|| item.wp_id.map(|id| format!("post-{id}")))
        .unwrap_or_else(|| "untitled".to_owned())
}

fn tag_slug(slug: &str, name: &str) -> Option<String> {
    slugify(&decode(slug)).or_else(|| slugify(&content::plain_text(name)))
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

fn contains_script(html: &str) -> bool {
    html.to_ascii_lowercase().contains("<script")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permalinks_become_decoded_paths() {
        assert_eq!(
            permalink_path("https://old.example/2019/03/04/hello-world/").as_deref(),
            Some("/2019/03/04/hello-world")
        );
        assert_eq!(
            permalink_path("https://old.example/%e6%97%a5%e6%9c%ac/").as_deref(),
            Some("/日本")
        );
        assert_eq!(permalink_path("https://old.example/?p=12"), None);
        assert_eq!(permalink_path("https://old.example/"), None);
        assert_eq!(permalink_path("not a url"), None);
    }

    #[test]
    fn wordpress_dates() {
        assert!(parse_wp_date("0000-00-00 00:00:00").is_none());
        assert!(parse_wp_date("").is_none());
        assert_eq!(
            parse_wp_date("2019-03-04 10:05:00").map(|d| d.to_string()),
            Some("2019-03-04 10:05:00".to_owned())
        );
    }

    #[test]
    fn every_post_type_is_imported_or_has_a_reason() {
        assert_eq!(leave_out_reason("post"), None);
        assert!(leave_out_reason("nav_menu_item").is_some_and(|r| r.contains("menus")));
        assert!(leave_out_reason("product").is_some_and(|r| r.contains("unknown post type")));
    }
}
