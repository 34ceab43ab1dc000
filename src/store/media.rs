//! Media records. The files themselves are handled by `crate::media`.

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{media, posts, users};
use crate::media::types::Category;
use crate::store::audit;

#[derive(Debug, Clone, Queryable)]
pub struct MediaRow {
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

type Columns = (
    media::id,
    media::uploader_id,
    media::file_name,
    media::storage_key,
    media::sha256,
    media::mime_type,
    media::size_bytes,
    media::width,
    media::height,
    media::alt_text,
    media::caption,
    media::created_at,
);

const COLUMNS: Columns = (
    media::id,
    media::uploader_id,
    media::file_name,
    media::storage_key,
    media::sha256,
    media::mime_type,
    media::size_bytes,
    media::width,
    media::height,
    media::alt_text,
    media::caption,
    media::created_at,
);

pub struct NewMedia<'a> {
    pub uploader_id: i32,
    pub file_name: &'a str,
    pub storage_key: &'a str,
    pub sha256: &'a str,
    pub mime_type: &'a str,
    pub size_bytes: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
}

pub fn insert(conn: &mut DbConnection, new: &NewMedia<'_>) -> QueryResult<i32> {
    diesel::insert_into(media::table)
        .values((
            media::uploader_id.eq(new.uploader_id),
            media::file_name.eq(new.file_name),
            media::storage_key.eq(new.storage_key),
            media::sha256.eq(new.sha256),
            media::mime_type.eq(new.mime_type),
            media::size_bytes.eq(new.size_bytes),
            media::width.eq(new.width),
            media::height.eq(new.height),
            media::alt_text.eq(""),
            media::caption.eq(""),
            media::created_at.eq(chrono::Utc::now().naive_utc()),
        ))
        .returning(media::id)
        .get_result(conn)
}

pub fn find(conn: &mut DbConnection, id: i32) -> QueryResult<Option<MediaRow>> {
    media::table.find(id).select(COLUMNS).first(conn).optional()
}

pub fn find_many(conn: &mut DbConnection, ids: &[i32]) -> QueryResult<Vec<MediaRow>> {
    media::table
        .filter(media::id.eq_any(ids))
        .order(media::id)
        .select(COLUMNS)
        .load(conn)
}

/// The records of these files (for rendering library images with their sizes).
pub fn with_hashes(conn: &mut DbConnection, hashes: &[String]) -> QueryResult<Vec<MediaRow>> {
    if hashes.is_empty() {
        return Ok(Vec::new());
    }
    media::table
        .filter(media::sha256.eq_any(hashes))
        .select(COLUMNS)
        .load(conn)
}

pub struct ListFilter {
    pub category: Option<Category>,
    pub name_contains: Option<String>,
    pub offset: i64,
    pub limit: i64,
}

/// A record with its uploader's name (None once the uploader is deleted).
pub type WithUploader = (MediaRow, Option<String>);

/// A page of the library, newest first, with each uploader's name, and the total.
pub fn list(conn: &mut DbConnection, filter: &ListFilter) -> QueryResult<(Vec<WithUploader>, i64)> {
    let total = filtered(filter).select(count_star()).first(conn)?;
    let rows = filtered(filter)
        .order((media::created_at.desc(), media::id.desc()))
        .offset(filter.offset)
        .limit(filter.limit)
        .select((COLUMNS, users::display_name.nullable()))
        .load(conn)?;
    Ok((rows, total))
}

type Library = diesel::helper_types::LeftJoin<media::table, users::table>;

fn filtered(
    filter: &ListFilter,
) -> diesel::helper_types::IntoBoxed<'static, Library, crate::db::MultiBackend> {
    use crate::db::lower;
    let mut query = media::table.left_join(users::table).into_boxed();
    if let Some(category) = filter.category {
        query = match category {
            Category::Document => query.filter(media::mime_type.like("application/%")),
            other => query.filter(media::mime_type.like(format!("{}/%", other.as_str()))),
        };
    }
    if let Some(text) = &filter.name_contains {
        query = query.filter(
            lower(media::file_name)
                .like(crate::db::contains_pattern(text))
                .escape('\\'),
        );
    }
    query
}

/// How many recent images the featured-image and logo pickers offer.
const IMAGE_CHOICES: i64 = 100;

/// What the featured-image and logo pickers offer: the recent images, plus the chosen one
/// however old; and the chosen one's record, if it still exists.
pub fn image_choices(
    conn: &mut DbConnection,
    chosen: Option<i32>,
) -> QueryResult<(Vec<MediaRow>, Option<MediaRow>)> {
    let mut images: Vec<MediaRow> = media::table
        .filter(media::mime_type.like("image/%"))
        .order((media::created_at.desc(), media::id.desc()))
        .limit(IMAGE_CHOICES)
        .select(COLUMNS)
        .load(conn)?;
    let chosen = match chosen {
        Some(id) => find(conn, id)?,
        None => None,
    };
    if let Some(row) = &chosen
        && !images.iter().any(|image| image.id == row.id)
    {
        images.push(row.clone());
    }
    Ok((images, chosen))
}

pub fn update_texts(
    conn: &mut DbConnection,
    id: i32,
    alt_text: &str,
    caption: &str,
) -> QueryResult<usize> {
    diesel::update(media::table.find(id))
        .set((media::alt_text.eq(alt_text), media::caption.eq(caption)))
        .execute(conn)
}

/// Sets the alt text of the images with this content hash that have none (blank counts
/// as none); how many changed.
pub fn fill_missing_alt_text(
    conn: &mut DbConnection,
    sha256: &str,
    alt_text: &str,
) -> QueryResult<usize> {
    if alt_text.trim().is_empty() {
        return Ok(0);
    }
    let blank: Vec<i32> = media::table
        .filter(media::sha256.eq(sha256))
        .filter(media::mime_type.like("image/%"))
        .select((media::id, media::alt_text))
        .load::<(i32, String)>(conn)?
        .into_iter()
        .filter(|(_, alt)| alt.trim().is_empty())
        .map(|(id, _)| id)
        .collect();
    if blank.is_empty() {
        return Ok(0);
    }
    diesel::update(media::table.filter(media::id.eq_any(&blank)))
        .set(media::alt_text.eq(alt_text))
        .execute(conn)
}

/// The audit records of files `uploader_id` just added to the library, written inside
/// `crate::media::save`'s transaction; returns their records.
pub fn record_uploads(
    conn: &mut DbConnection,
    uploader_id: i32,
    ids: &[i32],
    address: &str,
) -> QueryResult<Vec<MediaRow>> {
    let rows = find_many(conn, ids)?;
    for row in &rows {
        record(conn, uploader_id, "media.upload", row, address)?;
    }
    Ok(rows)
}

/// The audit record of a file `actor_id` deleted, written inside `crate::media::delete`'s
/// transaction.
pub fn record_deletion(
    conn: &mut DbConnection,
    actor_id: i32,
    row: &MediaRow,
    address: &str,
) -> QueryResult<()> {
    record(conn, actor_id, "media.delete", row, address).map(|_| ())
}

fn record(
    conn: &mut DbConnection,
    actor_id: i32,
    action: &str,
    row: &MediaRow,
    address: &str,
) -> QueryResult<usize> {
    audit::record(
        conn,
        &audit::Entry {
            actor_id: Some(actor_id),
            action,
            target: ("media", Some(row.id)),
            detail: &row.file_name,
            ip_address: Some(address),
        },
    )
}

pub fn delete(conn: &mut DbConnection, id: i32) -> QueryResult<usize> {
    diesel::delete(media::table.find(id)).execute(conn)
}

/// How many records share the file with this hash.
pub fn count_with_hash(conn: &mut DbConnection, sha256: &str) -> QueryResult<i64> {
    media::table
        .filter(media::sha256.eq(sha256))
        .select(count_star())
        .first(conn)
}

/// A post or page that shows a file, with what decides who may see it listed.
#[derive(Debug, Clone, Queryable)]
pub struct UsingPost {
    pub id: i32,
    pub title: String,
    pub slug: String,
    pub kind: String,
    pub author_id: i32,
    pub status: String,
    pub published_at: Option<NaiveDateTime>,
    pub deleted_at: Option<NaiveDateTime>,
}

impl UsingPost {
    pub fn stage(&self, now: NaiveDateTime) -> crate::domain::post::Stage {
        let status = crate::domain::post::Status::parse(&self.status)
            .unwrap_or(crate::domain::post::Status::Draft);
        crate::domain::post::stage(status, self.published_at, self.deleted_at, now)
    }
}

/// Posts and pages (trash included) that show this file: as featured image, or in their
/// text. (The text is searched for the content hash, which every URL of the file and its
/// variants contains.) Everyone's: the caller shows each viewer only their share.
pub fn used_by(conn: &mut DbConnection, row: &MediaRow) -> QueryResult<Vec<UsingPost>> {
    posts::table
        .filter(
            posts::featured_media_id
                .eq(row.id)
                .or(posts::body_markdown.like(format!("%{}%", row.sha256))),
        )
        .order(posts::id)
        .select((
            posts::id,
            posts::title,
            posts::slug,
            posts::kind,
            posts::author_id,
            posts::status,
            posts::published_at,
            posts::deleted_at,
        ))
        .load(conn)
}

/// Ids of posts whose text mentions this hash (to re-render them when the file goes).
pub fn posts_mentioning(conn: &mut DbConnection, sha256: &str) -> QueryResult<Vec<i32>> {
    posts::table
        .filter(posts::body_markdown.like(format!("%{sha256}%")))
        .select(posts::id)
        .load(conn)
}
