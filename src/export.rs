//! `folio export` / `folio import`: one portable archive of a whole site — users, posts and
//! pages with their revisions, tags, media records and files, settings, redirects — that
//! loads into an empty database of either backend (the way to move from SQLite to
//! PostgreSQL). A `.tar.gz` holding `manifest.json` (format, version, counts, the SHA-256
//! of `content.json`), `content.json` (every record, ids kept, times to the microsecond so
//! both backends round-trip them alike) and `media/` (files named by their SHA-256, checked
//! on import). Login tokens, the audit log and throttles are not part of a site's content.
//!
//! An archive is untrusted input: its checksum lives in its own manifest, so it only
//! catches damage. Every entry's size is checked before it is read, every record by the
//! forms' rules (`check`), HTML and search text are made again from the Markdown, and a
//! merge brings accounts in disabled, without passwords, and admins only when asked.

mod check;
pub mod jobs;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;

use chrono::{NaiveDateTime, Timelike};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::StorageConfig;
use crate::db::schema::{media, post_tags, posts, redirects, revisions, settings, tags, users};
use crate::db::{self, DbConnection, dialect};
use crate::domain::{Role, counted};
use crate::error::AppError;
use crate::media::storage::{self, MediaStorage};

pub const FORMAT: &str = "folio-export";
/// The archive layout this Folio writes and the newest it reads.
pub const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    pub folio: String,
    pub created_at: String,
    pub includes_credentials: bool,
    pub content_sha256: String,
    pub counts: Counts,
    /// Files of media records that were not on disk when the export was made (their
    /// records are exported; the files can't be).
    #[serde(default)]
    pub missing_media: Vec<String>,
}

#[derive(Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Counts {
    pub users: usize,
    pub posts: usize,
    pub revisions: usize,
    pub tags: usize,
    pub media: usize,
    pub redirects: usize,
    pub settings: usize,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i32,
    pub email: String,
    pub display_name: String,
    pub slug: String,
    pub password_hash: Option<String>,
    pub role: String,
    pub status: String,
    pub bio: String,
    pub website: Option<String>,
    pub session_epoch: i32,
    pub last_login_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = posts)]
pub struct Post {
    pub id: i32,
    pub kind: String,
    pub status: String,
    pub title: String,
    pub slug: String,
    pub body_markdown: String,
    pub body_html: String,
    pub excerpt: String,
    pub author_id: i32,
    pub featured_media_id: Option<i32>,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub canonical_url: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
    pub deleted_at: Option<NaiveDateTime>,
    pub search_text: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = revisions)]
pub struct Revision {
    pub id: i32,
    pub post_id: i32,
    pub author_id: Option<i32>,
    pub title: String,
    pub body_markdown: String,
    pub is_autosave: bool,
    pub created_at: NaiveDateTime,
    /// What happened (`domain::revision::Event`); archives from before it was kept say
    /// nothing and read as saves.
    #[serde(default = "saved_event")]
    pub event: String,
}

fn saved_event() -> String {
    crate::domain::revision::Event::Saved.as_str().to_owned()
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = tags)]
pub struct Tag {
    pub id: i32,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = post_tags)]
pub struct PostTag {
    pub post_id: i32,
    pub tag_id: i32,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = media)]
pub struct Media {
    pub id: i32,
    pub uploader_id: Option<i32>,
    pub file_name: String,
    pub storage_key: String,
    pub sha256: String,
    pub mime_type: String,
    pub size_bytes: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub alt_text: String,
    pub caption: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = redirects)]
pub struct Redirect {
    pub id: i32,
    pub from_path: String,
    pub post_id: Option<i32>,
    pub to_path: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = settings)]
pub struct Setting {
    pub key: String,
    pub value: String,
    pub updated_at: NaiveDateTime,
}

/// Every record of a site.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Content {
    pub users: Vec<User>,
    pub tags: Vec<Tag>,
    pub media: Vec<Media>,
    pub posts: Vec<Post>,
    pub post_tags: Vec<PostTag>,
    pub revisions: Vec<Revision>,
    pub redirects: Vec<Redirect>,
    pub settings: Vec<Setting>,
}

impl Content {
    fn counts(&self) -> Counts {
        Counts {
            users: self.users.len(),
            posts: self.posts.len(),
            revisions: self.revisions.len(),
            tags: self.tags.len(),
            media: self.media.len(),
            redirects: self.redirects.len(),
            settings: self.settings.len(),
        }
    }
}

/// To the microsecond: what PostgreSQL keeps.
fn us(at: NaiveDateTime) -> NaiveDateTime {
    at.with_nanosecond(at.nanosecond() / 1_000 * 1_000)
        .unwrap_or(at)
}

fn load(conn: &mut DbConnection, credentials: bool) -> QueryResult<Content> {
    let mut content = Content {
        users: users::table.order(users::id).load(conn)?,
        tags: tags::table.order(tags::id).load(conn)?,
        media: media::table.order(media::id).load(conn)?,
        posts: posts::table
            .order(posts::id)
            .select(Post::as_select())
            .load(conn)?,
        post_tags: post_tags::table
            .order((post_tags::post_id, post_tags::tag_id))
            .load(conn)?,
        revisions: revisions::table.order(revisions::id).load(conn)?,
        redirects: redirects::table.order(redirects::id).load(conn)?,
        settings: settings::table.order(settings::key).load(conn)?,
    };
    for user in &mut content.users {
        if !credentials {
            user.password_hash = None;
        }
        user.last_login_at = user.last_login_at.map(us);
        user.created_at = us(user.created_at);
        user.updated_at = us(user.updated_at);
    }
    for tag in &mut content.tags {
        tag.created_at = us(tag.created_at);
    }
    for file in &mut content.media {
        file.created_at = us(file.created_at);
    }
    for post in &mut content.posts {
        post.created_at = us(post.created_at);
        post.updated_at = us(post.updated_at);
        post.published_at = post.published_at.map(us);
        post.deleted_at = post.deleted_at.map(us);
    }
    for revision in &mut content.revisions {
        revision.created_at = us(revision.created_at);
    }
    for redirect in &mut content.redirects {
        redirect.created_at = us(redirect.created_at);
    }
    for setting in &mut content.settings {
        setting.updated_at = us(setting.updated_at);
    }
    Ok(content)
}

/// `folio export`: refuses to replace a file unless forced.
pub fn export(
    storage: &StorageConfig,
    output: &Path,
    credentials: bool,
    force: bool,
) -> Result<Exported, String> {
    if output.exists() && !force {
        return Err(format!(
            "{} already exists; choose another name, or add --force to replace it",
            output.display()
        ));
    }
    let (pool, _) = crate::state::open_database(storage, 1)?;
    let mut conn = pool
        .get()
        .map_err(|e| format!("cannot reach the database: {e}"))?;
    write(&mut conn, &storage.media_dir, output, credentials)
}

/// Writes the archive of the site to `output` (via `output.partial`, renamed when whole).
pub fn write(
    conn: &mut DbConnection,
    media_dir: &Path,
    output: &Path,
    credentials: bool,
) -> Result<Exported, String> {
    // One read transaction: every table from the same moment.
    let content = conn
        .transaction(|conn| {
            dialect::snapshot_isolation(conn)?;
            load(conn, credentials)
        })
        .map_err(|e| format!("cannot read the site: {e}"))?;
    let json = serde_json::to_vec(&content).map_err(|e| e.to_string())?;
    let mut keys: Vec<String> = content
        .media
        .iter()
        .map(|m| m.storage_key.clone())
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let (present, missing): (Vec<String>, Vec<String>) = keys
        .into_iter()
        .partition(|key| media_dir.join(key).is_file());
    let manifest = Manifest {
        missing_media: missing,
        format: FORMAT.into(),
        version: VERSION,
        folio: env!("CARGO_PKG_VERSION").into(),
        created_at: chrono::Utc::now().to_rfc3339(),
        includes_credentials: credentials,
        content_sha256: format!("{:x}", Sha256::digest(&json)),
        counts: content.counts(),
    };
    let partial = output.with_extension("partial");
    let written = write_archive(&partial, &manifest, &json, &present, media_dir);
    if let Err(err) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(err);
    }
    std::fs::rename(&partial, output)
        .map_err(|e| format!("cannot move the export to {}: {e}", output.display()))?;
    Ok(Exported {
        counts: manifest.counts,
        missing_media: manifest.missing_media,
    })
}

/// What an export held.
pub struct Exported {
    pub counts: Counts,
    pub missing_media: Vec<String>,
}

fn write_archive(
    path: &Path,
    manifest: &Manifest,
    json: &[u8],
    keys: &[String],
    media_dir: &Path,
) -> Result<(), String> {
    let failed = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    let file = std::fs::File::create(path).map_err(failed)?;
    let gzip =
        flate2::write::GzEncoder::new(std::io::BufWriter::new(file), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gzip);
    let manifest = serde_json::to_vec_pretty(manifest).map_err(|e| e.to_string())?;
    append_bytes(&mut tar, "manifest.json", &manifest).map_err(failed)?;
    append_bytes(&mut tar, "content.json", json).map_err(failed)?;
    for key in keys {
        tar.append_path_with_name(media_dir.join(key), Path::new("media").join(key))
            .map_err(|e| format!("cannot add the media file {key}: {e}"))?;
    }
    let gzip = tar.into_inner().map_err(failed)?;
    let mut writer = gzip.finish().map_err(failed)?;
    writer.flush().map_err(failed)?;
    Ok(())
}

/// Adds a file made in memory to an archive (the manifests of exports and backups).
pub(crate) fn append_bytes<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    bytes: &[u8],
) -> std::io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(chrono::Utc::now().timestamp().max(0) as u64);
    header.set_cksum();
    tar.append_data(&mut header, name, bytes)
}

/// What an import did. With `--merge`, what it left out and why.
pub struct Imported {
    pub counts: Counts,
    pub skipped: Vec<String>,
    /// Images whose resized copies could not be made (the import itself stands).
    pub warnings: Vec<String>,
    /// One line per account of the archive: what it became here (role, status, password).
    pub accounts: Vec<String>,
}

/// How `folio import` treats an archive.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Add to a site that has content (accounts come in disabled, without passwords).
    pub merge: bool,
    /// With `merge`: keep the archive's admins as admins (otherwise contributors).
    pub allow_admins: bool,
    /// Largest `content.json` read (its size in the archive, before parsing).
    pub max_content_bytes: u64,
    /// Largest media file read (the site's upload limit).
    pub max_media_bytes: u64,
}

/// Largest `manifest.json` read: a few hundred bytes in practice.
const MAX_MANIFEST_BYTES: u64 = 64 * 1024;

fn mb(bytes: u64) -> u64 {
    bytes.div_ceil(1024 * 1024)
}

/// Loads an archive into an empty database, or with `merge` into one that has content.
/// The whole archive is read and checked before anything is written, in one transaction;
/// every entry's size is checked from its header before it is read.
pub fn import(
    storage: &StorageConfig,
    input: &Path,
    options: &ImportOptions,
) -> Result<Imported, String> {
    let media_storage = MediaStorage::open(&storage.media_dir)
        .map_err(|e| format!("cannot use the media directory: {e}"))?;
    let nothing = |why: String| format!("{}: {why}; nothing was imported", input.display());
    let read = read_archive(&media_storage, input, options).map_err(&nothing)?;
    let ReadArchive {
        manifest,
        content,
        files,
    } = read;

    let (pool, _) = crate::state::open_database(storage, 1).map_err(&nothing)?;
    let mut conn = pool
        .get()
        .map_err(|e| nothing(format!("cannot reach the database: {e}")))?;
    let (skipped, accounts) = db::write_transaction(&mut conn, |conn| -> Result<_, AppError> {
        let existing: i64 = users::table.count().get_result(conn)?;
        let posts_now: i64 = posts::table.count().get_result(conn)?;
        let done = if existing == 0 && posts_now == 0 {
            let accounts = content.users.iter().map(full_import_account).collect();
            insert_all(conn, &content)?;
            (Vec::new(), accounts)
        } else if options.merge {
            merge_into(conn, &content, options.allow_admins)?
        } else {
            return Err(AppError::Conflict(format!(
                "the database already has {} and {}; import into an empty database (a new FOLIO_DATA_DIR or PostgreSQL database), or add --merge to add what doesn't collide",
                counted(existing, "user", "users"),
                counted(posts_now, "post", "posts"),
            )));
        };
        dialect::reset_id_sequences(conn)?;
        Ok(done)
    })
    .map_err(|e| match e {
        AppError::Conflict(message) => nothing(message),
        other => nothing(format!("cannot import: {}", other.detailed())),
    })?;
    for (key, file) in files {
        media_storage.place(file, &key).map_err(|e| {
            format!(
                "the records were imported, but the media file {key} could not be stored: {e}; import again with --merge after fixing the media directory"
            )
        })?;
    }
    let warnings = remake_variants(&media_storage, &content.media);
    Ok(Imported {
        counts: manifest.counts,
        skipped,
        warnings,
        accounts,
    })
}

/// What a full import (into an empty site: the operator moving their own site) makes of
/// an account: everything as in the archive.
fn full_import_account(user: &User) -> String {
    let password = if user.password_hash.is_some() {
        "with the password from the archive"
    } else {
        "without a password (set one with `folio user reset-password --link`)"
    };
    format!("{}: {}, {}, {password}", user.email, user.role, user.status)
}

/// An archive read and its files checked, nothing written yet.
struct ReadArchive {
    manifest: Manifest,
    content: Content,
    /// Media files (checked against their names and records) waiting to be placed.
    files: Vec<(String, tempfile::NamedTempFile)>,
}

/// Reads the archive: `manifest.json`, then `content.json`, then the media files its
/// records name, each once. Entries are taken raw (no extension headers, which the tar
/// reader would load whole) and refused by their declared size before they are read.
fn read_archive(
    media_storage: &MediaStorage,
    input: &Path,
    options: &ImportOptions,
) -> Result<ReadArchive, String> {
    let file = std::fs::File::open(input).map_err(|e| format!("cannot open it: {e}"))?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let not_an_export = |why: String| format!("it is not a Folio export: {why}");
    let mut manifest: Option<Manifest> = None;
    let mut content: Option<Content> = None;
    // Each file's size by key, from the records; taken out when the file is read.
    let mut expected: HashMap<String, u64> = HashMap::new();
    let mut files: Vec<(String, tempfile::NamedTempFile)> = Vec::new();
    let entries = archive
        .entries()
        .map_err(|e| not_an_export(e.to_string()))?
        .raw(true);
    for entry in entries {
        let mut entry = entry.map_err(|e| not_an_export(e.to_string()))?;
        let name = entry
            .path()
            .map_err(|e| not_an_export(e.to_string()))?
            .to_string_lossy()
            .into_owned();
        if !entry.header().entry_type().is_file() {
            return Err(not_an_export(format!("{name} is not a plain file")));
        }
        let size = entry.size();
        match name.as_str() {
            "manifest.json" => {
                if manifest.is_some() || size > MAX_MANIFEST_BYTES {
                    return Err(not_an_export(
                        "its manifest is not the one of an export".into(),
                    ));
                }
                let found: Manifest = serde_json::from_reader((&mut entry).take(size))
                    .map_err(|e| not_an_export(format!("its manifest is unreadable ({e})")))?;
                if found.format != FORMAT {
                    return Err(not_an_export(format!("its format is “{}”", found.format)));
                }
                if found.version > VERSION {
                    return Err(format!(
                        "it was made by a newer Folio (archive version {}; this one reads up to {VERSION}): upgrade Folio to import it",
                        found.version
                    ));
                }
                manifest = Some(found);
            }
            "content.json" => {
                let Some(found) = manifest.as_ref() else {
                    return Err(not_an_export(
                        "content.json comes before the manifest".into(),
                    ));
                };
                if content.is_some() {
                    return Err(not_an_export("it has two content.json".into()));
                }
                if size > options.max_content_bytes {
                    return Err(format!(
                        "content.json is {} MB, more than the {} MB an import reads (if the archive is your own, raise the limit with --max-content-mb {})",
                        mb(size),
                        mb(options.max_content_bytes),
                        mb(size)
                    ));
                }
                let mut hashing = HashingReader {
                    inner: (&mut entry).take(size),
                    hasher: Sha256::new(),
                };
                let mut parsed: Content =
                    serde_json::from_reader(std::io::BufReader::new(&mut hashing))
                        .map_err(|e| not_an_export(format!("content.json is unreadable ({e})")))?;
                if format!("{:x}", hashing.hasher.finalize()) != found.content_sha256 {
                    return Err(
                        "content.json does not match its checksum in the manifest: the archive is damaged or was altered"
                            .into(),
                    );
                }
                // Before any media file is read: they are checked against these records.
                check::check(&mut parsed)?;
                for file in &parsed.media {
                    expected.insert(
                        file.storage_key.clone(),
                        u64::try_from(file.size_bytes).unwrap_or(u64::MAX),
                    );
                }
                content = Some(parsed);
            }
            other => {
                let key = other
                    .strip_prefix("media/")
                    .and_then(storage::parse_key)
                    .ok_or_else(|| not_an_export(format!("unexpected entry {other}")))?;
                if content.is_none() {
                    return Err(not_an_export(format!("{other} comes before content.json")));
                }
                let declared = expected.remove(&key).ok_or_else(|| {
                    not_an_export(format!(
                        "{other} is not the file of a media record, or is in it twice"
                    ))
                })?;
                if size != declared {
                    return Err(format!(
                        "the media file {key} has {size} bytes, its record says {declared} bytes: the archive is damaged or was altered"
                    ));
                }
                if size > options.max_media_bytes {
                    return Err(format!(
                        "the media file {key} is {} MB, more than the upload limit of {} MB (raise it with --max-upload-mb)",
                        mb(size),
                        mb(options.max_media_bytes)
                    ));
                }
                let media_type = content
                    .as_ref()
                    .and_then(|c| c.media.iter().find(|m| m.storage_key == key))
                    .and_then(|m| crate::media::types::by_mime(&m.mime_type));
                let temp = read_media_file(media_storage, &mut entry, size, &key, media_type)?;
                files.push((key, temp));
            }
        }
    }
    let manifest = manifest.ok_or_else(|| not_an_export("it has no manifest.json".into()))?;
    let content = content.ok_or_else(|| not_an_export("it has no content.json".into()))?;
    if content.counts() != manifest.counts {
        return Err(not_an_export("its counts do not match its content".into()));
    }
    Ok(ReadArchive {
        manifest,
        content,
        files,
    })
}

/// Copies one media file out of the archive into a temp file of the media directory,
/// checking its hash against its name and its content against its record's type (as an
/// upload is sniffed).
fn read_media_file(
    media_storage: &MediaStorage,
    entry: &mut impl Read,
    size: u64,
    key: &str,
    media_type: Option<&'static crate::media::types::MediaType>,
) -> Result<tempfile::NamedTempFile, String> {
    let mut temp = media_storage
        .temp_file()
        .map_err(|e| format!("cannot write to the media directory: {e}"))?;
    let mut hasher = Sha256::new();
    let mut head = Vec::with_capacity(crate::media::types::SNIFF_BYTES);
    let mut buffer = vec![0u8; 64 * 1024];
    let mut reader = entry.take(size);
    loop {
        let n = reader
            .read(&mut buffer)
            .map_err(|e| format!("it is not a Folio export: {e}"))?;
        if n == 0 {
            break;
        }
        let room = crate::media::types::SNIFF_BYTES.saturating_sub(head.len());
        head.extend_from_slice(&buffer[..n.min(room)]);
        hasher.update(&buffer[..n]);
        temp.write_all(&buffer[..n])
            .map_err(|e| format!("cannot write to the media directory: {e}"))?;
    }
    if Some(format!("{:x}", hasher.finalize()).as_str()) != storage::hash_of(key) {
        return Err(format!(
            "the media file {key} does not match its name: the archive is damaged or was altered"
        ));
    }
    let sniffed = crate::media::types::sniff(&head);
    if sniffed.is_none() || sniffed != media_type {
        return Err(format!(
            "the media file {key} is not the type its record says"
        ));
    }
    Ok(temp)
}

/// Hashes what is read through it.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Adds the archive to a site that has content, overwriting nothing: users are matched by
/// email and tags by slug; a post whose slug is taken, and a redirect whose old address is
/// taken, are left out (with their revisions) and reported; settings are kept. Records get
/// new ids no row here ever had (`dialect::fresh_id`).
fn merge_into(
    conn: &mut DbConnection,
    content: &Content,
    allow_admins: bool,
) -> QueryResult<(Vec<String>, Vec<String>)> {
    let mut skipped = Vec::new();
    let mut accounts = Vec::new();

    let mut user_ids: HashMap<i32, i32> = HashMap::new();
    for user in &content.users {
        let found: Option<i32> = users::table
            .filter(users::email.eq(&user.email))
            .select(users::id)
            .first(conn)
            .optional()?;
        let id = match found {
            Some(id) => {
                accounts.push(format!(
                    "{}: already has an account here, left as it is",
                    user.email
                ));
                id
            }
            None => {
                let slug_taken: i64 = users::table
                    .filter(users::slug.eq(&user.slug))
                    .count()
                    .get_result(conn)?;
                let id = dialect::fresh_id(conn, "users")?;
                let (mut row, line) = merged_account(user, id, allow_admins);
                if slug_taken > 0 {
                    row.slug = format!("{}-{id}", user.slug);
                }
                diesel::insert_into(users::table)
                    .values(&row)
                    .execute(conn)?;
                accounts.push(line);
                row.id
            }
        };
        user_ids.insert(user.id, id);
    }

    let mut tag_ids: HashMap<i32, i32> = HashMap::new();
    for tag in &content.tags {
        let found: Option<i32> = tags::table
            .filter(tags::slug.eq(&tag.slug))
            .select(tags::id)
            .first(conn)
            .optional()?;
        let id = match found {
            Some(id) => id,
            None => {
                let id = dialect::fresh_id(conn, "tags")?;
                diesel::insert_into(tags::table)
                    .values(&Tag { id, ..tag.clone() })
                    .execute(conn)?;
                id
            }
        };
        tag_ids.insert(tag.id, id);
    }

    let mut media_ids: HashMap<i32, i32> = HashMap::new();
    for file in &content.media {
        let found: Option<i32> = media::table
            .filter(media::storage_key.eq(&file.storage_key))
            .select(media::id)
            .first(conn)
            .optional()?;
        let id = match found {
            Some(id) => id,
            None => {
                let mut row = file.clone();
                row.id = dialect::fresh_id(conn, "media")?;
                row.uploader_id = file.uploader_id.and_then(|u| user_ids.get(&u).copied());
                diesel::insert_into(media::table)
                    .values(&row)
                    .execute(conn)?;
                row.id
            }
        };
        media_ids.insert(file.id, id);
    }

    let mut post_ids: HashMap<i32, i32> = HashMap::new();
    for post in &content.posts {
        let holder: Option<String> = posts::table
            .filter(posts::slug.eq(&post.slug))
            .select(posts::title)
            .first(conn)
            .optional()?;
        if let Some(title) = holder {
            skipped.push(format!(
                "{} “{}”: the slug “{}” is taken here by “{title}”; not imported",
                post.kind, post.title, post.slug
            ));
            continue;
        }
        let Some(&author_id) = user_ids.get(&post.author_id) else {
            skipped.push(format!(
                "{} “{}”: its author is not in the archive",
                post.kind, post.title
            ));
            continue;
        };
        let mut row = rendered(conn, post)?;
        row.id = dialect::fresh_id(conn, "posts")?;
        row.author_id = author_id;
        row.featured_media_id = post
            .featured_media_id
            .and_then(|m| media_ids.get(&m).copied());
        diesel::insert_into(posts::table)
            .values(&row)
            .execute(conn)?;
        post_ids.insert(post.id, row.id);
    }
    for link in &content.post_tags {
        if let (Some(&post_id), Some(&tag_id)) =
            (post_ids.get(&link.post_id), tag_ids.get(&link.tag_id))
        {
            diesel::insert_into(post_tags::table)
                .values(&PostTag { post_id, tag_id })
                .execute(conn)?;
        }
    }
    for revision in &content.revisions {
        let Some(&post_id) = post_ids.get(&revision.post_id) else {
            continue;
        };
        diesel::insert_into(revisions::table)
            .values(&Revision {
                id: dialect::fresh_id(conn, "revisions")?,
                post_id,
                author_id: revision.author_id.and_then(|a| user_ids.get(&a).copied()),
                ..revision.clone()
            })
            .execute(conn)?;
    }
    for redirect in &content.redirects {
        let taken: i64 = redirects::table
            .filter(redirects::from_path.eq(&redirect.from_path))
            .count()
            .get_result(conn)?;
        let post_id = match redirect.post_id {
            Some(old) => match post_ids.get(&old) {
                Some(&id) => Some(id),
                None => continue, // its post was left out
            },
            None => None,
        };
        if taken > 0 {
            skipped.push(format!(
                "redirect from {}: that address already redirects here; not imported",
                redirect.from_path
            ));
            continue;
        }
        diesel::insert_into(redirects::table)
            .values(&Redirect {
                id: dialect::fresh_id(conn, "redirects")?,
                post_id,
                ..redirect.clone()
            })
            .execute(conn)?;
    }
    if !content.settings.is_empty() {
        skipped.push("settings: this site's own are kept".to_owned());
    }
    Ok((skipped, accounts))
}

/// An account of the archive new to this site, as a merge adds it: disabled and without
/// a password (an archive's hash is a password its maker knows; an admin enables the
/// account and sends a reset link), and an admin only with `--allow-admins` (otherwise a
/// contributor). With the report line that says so.
fn merged_account(user: &User, id: i32, allow_admins: bool) -> (User, String) {
    let mut row = user.clone();
    row.id = id;
    row.password_hash = None;
    row.status = crate::store::users::STATUS_DISABLED.to_owned();
    row.session_epoch = 0;
    row.last_login_at = None;
    let role = if user.role == Role::Admin.as_str() && !allow_admins {
        row.role = Role::Contributor.as_str().to_owned();
        "admin in the archive, imported as contributor (add --allow-admins to keep the role)"
            .to_owned()
    } else {
        user.role.clone()
    };
    let line = format!(
        "{}: {role}, disabled, without a password (enable the account and send a reset link to let them in)",
        user.email
    );
    (row, line)
}

/// A post of the archive with its HTML and search text made again from its Markdown, by
/// the editor's render path (sanitised; library images looked up in this database).
fn rendered(conn: &mut DbConnection, post: &Post) -> QueryResult<Post> {
    let mut row = post.clone();
    row.body_html = crate::media::render_markdown(conn, &post.body_markdown)?.into_string();
    row.search_text = crate::render::markdown::plain_text(&post.body_markdown);
    Ok(row)
}

/// The archive holds originals only (each checked against its name); the resized copies
/// pages use are made again here, as at upload. Runs after the import is committed, so a
/// file that can't be processed is reported rather than undoing the import.
fn remake_variants(storage: &MediaStorage, records: &[Media]) -> Vec<String> {
    let mut problems = Vec::new();
    for record in records {
        let Some(ext) = crate::media::images::variant_ext(&record.mime_type) else {
            continue;
        };
        let original = storage.path_of(&record.storage_key);
        if !original.is_file() {
            continue; // missing when exported: reported then
        }
        let processed = match crate::media::images::process(storage, &original, &record.mime_type) {
            Ok(processed) => processed,
            Err(problem) => {
                problems.push(problem.message(&format!("the imported image {}", record.file_name)));
                continue;
            }
        };
        for (width, file) in processed.variants {
            let key = storage::variant_key(&record.sha256, width, ext);
            if let Err(err) = storage.place(file, &key) {
                problems.push(format!("cannot store {key}: {err}"));
            }
        }
    }
    problems
}

fn insert_all(conn: &mut DbConnection, content: &Content) -> QueryResult<()> {
    // One row at a time: batch inserts of rows with optional fields don't go through the
    // two-backend connection.
    for row in &content.users {
        diesel::insert_into(users::table)
            .values(row)
            .execute(conn)?;
    }
    for row in &content.tags {
        diesel::insert_into(tags::table).values(row).execute(conn)?;
    }
    for row in &content.media {
        diesel::insert_into(media::table)
            .values(row)
            .execute(conn)?;
    }
    for post in &content.posts {
        diesel::insert_into(posts::table)
            .values(&rendered(conn, post)?)
            .execute(conn)?;
    }
    for row in &content.post_tags {
        diesel::insert_into(post_tags::table)
            .values(row)
            .execute(conn)?;
    }
    for row in &content.revisions {
        diesel::insert_into(revisions::table)
            .values(row)
            .execute(conn)?;
    }
    for row in &content.redirects {
        diesel::insert_into(redirects::table)
            .values(row)
            .execute(conn)?;
    }
    for row in &content.settings {
        diesel::delete(settings::table.filter(settings::key.eq(&row.key))).execute(conn)?;
        diesel::insert_into(settings::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}
