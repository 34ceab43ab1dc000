//! Uploaded media: receiving (`upload`), deciding the type (`types`), checking images and
//! making their variants (`images`), the files on disk (`storage`) and how pages address
//! and show them (`picture`). This module ties them to the database: a library record per
//! upload, while identical bytes share one file (and its variants) on disk, removed with
//! the last record that uses it.

pub mod images;
pub mod metadata;
pub mod picture;
pub mod storage;
pub mod types;
pub mod upload;

use std::io::Read;

use tempfile::NamedTempFile;

use crate::db::{self, DbConnection, dialect};
use crate::error::{AppError, AppResult};
use crate::store::media::{self as store, MediaRow, NewMedia};
use images::Dimensions;
use storage::MediaStorage;
use types::{Category, MediaType};
use upload::Received;

pub use picture::{Picture, url_of};

/// Where media live and how large an upload may be.
#[derive(Debug, Clone)]
pub struct MediaConfig {
    pub storage: MediaStorage,
    pub max_upload_bytes: u64,
}

/// An upload that passed every check, with its variants made, not yet stored.
pub struct Prepared {
    pub label: String,
    pub media_type: &'static MediaType,
    pub size: u64,
    pub sha256: String,
    pub dimensions: Option<Dimensions>,
    original: NamedTempFile,
    variants: Vec<(u32, NamedTempFile)>,
}

/// Decides the type by content, checks it against the name's claim, and for images reads
/// the dimensions and makes the variants. Runs on a blocking thread.
pub fn prepare(storage: &MediaStorage, received: Received) -> AppResult<Prepared> {
    let label = received.label;
    if received.size == 0 {
        return Err(AppError::Unprocessable(format!("{label} is empty.")));
    }
    let mut head = Vec::with_capacity(types::SNIFF_BYTES);
    received
        .file
        .reopen()
        .and_then(|f| f.take(types::SNIFF_BYTES as u64).read_to_end(&mut head))
        .map_err(|e| AppError::internal("cannot read back an upload", e))?;
    let Some(media_type) = types::sniff(&head) else {
        let seen = infer::get(&head)
            .map(|t| format!(" (its content is {})", t.mime_type()))
            .unwrap_or_default();
        return Err(AppError::UnsupportedMediaType(format!(
            "{label} is not a type of file Folio accepts{seen}. Accepted: {}.",
            types::ACCEPTED_SUMMARY
        )));
    };
    if let Some(claimed) = types::claimed_by_name(&label)
        && claimed != media_type
    {
        return Err(AppError::UnsupportedMediaType(format!(
            "{label} is named like {} but its content is {}. Rename it or upload the right file.",
            claimed.name, media_type.name
        )));
    }
    let (dimensions, variants) = if media_type.category == Category::Image {
        let processed = images::process(storage, received.file.path(), media_type.mime)
            .map_err(|problem| AppError::Unprocessable(problem.message(&label)))?;
        (Some(processed.dimensions), processed.variants)
    } else {
        (None, Vec::new())
    };
    // The variants were made from the original (with its orientation); what is kept
    // of the original itself is without its metadata, named by the hash of what is kept.
    let (original, size, sha256) =
        match without_metadata(storage, received.file.path(), media_type.mime)
            .map_err(|problem| AppError::Unprocessable(format!("{label} {problem}.")))?
        {
            Some(clean) => clean,
            None => (received.file, received.size, received.sha256),
        };
    Ok(Prepared {
        label,
        media_type,
        size,
        sha256,
        dimensions,
        original,
        variants,
    })
}

/// The upload rewritten without its metadata (a new temp file, its size and SHA-256), or
/// `None` when its type carries none we remove. Reads the file whole: it is at most the
/// upload limit, as the decoded image already was.
fn without_metadata(
    storage: &MediaStorage,
    path: &std::path::Path,
    mime: &str,
) -> Result<Option<(NamedTempFile, u64, String)>, String> {
    use sha2::{Digest, Sha256};
    use std::io::Write;
    let internal = |e: std::io::Error| format!("could not be rewritten without its metadata ({e})");
    if !metadata::handles(mime) {
        return Ok(None);
    }
    let bytes = std::fs::read(path).map_err(internal)?;
    let Some(clean) = metadata::strip(mime, &bytes)
        .map_err(|metadata::Malformed(why)| format!("could not be read as an image ({why})"))?
    else {
        return Ok(None);
    };
    let mut file = storage.temp_file().map_err(internal)?;
    file.write_all(&clean).map_err(internal)?;
    file.flush().map_err(internal)?;
    let sha256 = format!("{:x}", Sha256::digest(&clean));
    Ok(Some((file, clean.len() as u64, sha256)))
}

/// Stores prepared uploads: one record each, files moved into place, the audit records
/// beside them, all or nothing. Returns the new records in upload order.
pub fn save(
    conn: &mut DbConnection,
    storage: &MediaStorage,
    uploader_id: i32,
    uploads: Vec<Prepared>,
    address: &str,
) -> AppResult<Vec<MediaRow>> {
    let mut placed: Vec<String> = Vec::new();
    let result = db::write_transaction(conn, |conn| -> AppResult<Vec<MediaRow>> {
        dialect::lock_media_for_file_changes(conn)?;
        let mut ids = Vec::with_capacity(uploads.len());
        for upload in uploads {
            let stored = place(storage, upload, &mut placed)?;
            ids.push(record(conn, uploader_id, &stored)?);
        }
        Ok(store::record_uploads(conn, uploader_id, &ids, address)?)
    });
    if result.is_err() {
        // Nothing was recorded: take back the files this call put in place.
        let _ = storage.remove(&placed);
    }
    result
}

/// A prepared upload whose files are in place, not yet in the library.
pub struct Placed {
    pub label: String,
    pub media_type: &'static MediaType,
    pub size: u64,
    pub sha256: String,
    pub dimensions: Option<Dimensions>,
    pub key: String,
}

impl Placed {
    /// The URL pages should show: for images the largest variant, never the original.
    pub fn display_url(&self) -> String {
        match self.dimensions {
            Some(dims) if self.media_type.category == Category::Image => {
                Picture::from_parts(&self.key, &self.sha256, self.media_type.mime, dims, "").src
            }
            _ => url_of(&self.key),
        }
    }
}

/// Moves an upload's original and variants into place. Keys that did not exist before are
/// added to `placed`, so a caller whose records are not saved can take them back.
pub fn place(
    storage: &MediaStorage,
    upload: Prepared,
    placed: &mut Vec<String>,
) -> AppResult<Placed> {
    let key = storage::original_key(&upload.sha256, upload.media_type.ext);
    let ext = images::variant_ext(upload.media_type.mime).unwrap_or_default();
    let files = std::iter::once((key.clone(), upload.original)).chain(
        upload
            .variants
            .into_iter()
            .map(|(w, file)| (storage::variant_key(&upload.sha256, w, ext), file)),
    );
    for (file_key, file) in files {
        let existed = storage.path_of(&file_key).exists();
        storage
            .place(file, &file_key)
            .map_err(|e| AppError::internal(format!("cannot store {file_key}"), e))?;
        if !existed {
            placed.push(file_key);
        }
    }
    Ok(Placed {
        label: upload.label,
        media_type: upload.media_type,
        size: upload.size,
        sha256: upload.sha256,
        dimensions: upload.dimensions,
        key,
    })
}

/// The library record of placed files; returns its id.
pub fn record(conn: &mut DbConnection, uploader_id: i32, stored: &Placed) -> AppResult<i32> {
    let dims = stored.dimensions;
    Ok(store::insert(
        conn,
        &NewMedia {
            uploader_id,
            file_name: &stored.label,
            storage_key: &stored.key,
            sha256: &stored.sha256,
            mime_type: stored.media_type.mime,
            size_bytes: i64::try_from(stored.size).unwrap_or(i64::MAX),
            width: dims.and_then(|d| i32::try_from(d.width).ok()),
            height: dims.and_then(|d| i32::try_from(d.height).ok()),
        },
    )?)
}

/// Every file of a record: the original and its variants.
pub fn file_keys(row: &MediaRow) -> Vec<String> {
    let mut keys = vec![row.storage_key.clone()];
    if let (Some(ext), Some(width)) = (images::variant_ext(&row.mime_type), row.width) {
        let width = u32::try_from(width).unwrap_or(0);
        keys.extend(
            images::variant_widths(&row.mime_type, width)
                .into_iter()
                .map(|w| storage::variant_key(&row.sha256, w, ext)),
        );
    }
    keys
}

/// Deletes a record (and its audit record beside it), and its files when no other record
/// shares them.
pub fn delete(
    conn: &mut DbConnection,
    storage: &MediaStorage,
    row: &MediaRow,
    actor_id: i32,
    address: &str,
) -> AppResult<()> {
    db::write_transaction(conn, |conn| -> AppResult<()> {
        dialect::lock_media_for_file_changes(conn)?;
        if store::delete(conn, row.id)? == 0 {
            return Err(AppError::NotFound("That file was already deleted.".into()));
        }
        store::record_deletion(conn, actor_id, row, address)?;
        if store::count_with_hash(conn, &row.sha256)? == 0 {
            storage
                .remove(&file_keys(row))
                .map_err(|e| AppError::internal("cannot remove media files", e))?;
        }
        Ok(())
    })
}

/// Renders Markdown with the library images it shows looked up (see `render::render`).
pub fn render_markdown(
    conn: &mut DbConnection,
    markdown: &str,
) -> diesel::QueryResult<crate::render::SafeHtml> {
    let images = library_images(conn, markdown)?;
    Ok(crate::render::render(markdown, &images))
}

/// Gives library images the alt text a post's Markdown types for them
/// (`![A harbour at dawn](/media/…)`) when they have none; alt text set in the library is
/// never replaced. Run with each save, so the library stops asking for alt text the
/// writer already gave. How many records got one.
pub fn adopt_alt_texts(conn: &mut DbConnection, markdown: &str) -> diesel::QueryResult<usize> {
    if !markdown.contains("/media/") {
        return Ok(0);
    }
    let mut adopted = 0;
    for (hash, alt) in crate::render::markdown::library_image_alts(markdown) {
        let alt: String = alt
            .chars()
            .take(crate::domain::limits::MAX_ALT_CHARS)
            .collect();
        adopted += store::fill_missing_alt_text(conn, &hash, alt.trim())?;
    }
    Ok(adopted)
}

/// Renders again the stored HTML of every post whose text shows this file (after it was
/// deleted: its images become their alt text instead of broken images).
pub fn rerender_posts_showing(conn: &mut DbConnection, sha256: &str) -> diesel::QueryResult<usize> {
    let ids = store::posts_mentioning(conn, sha256)?;
    for &id in &ids {
        let markdown = crate::store::posts::body_markdown(conn, id)?;
        let html = render_markdown(conn, &markdown)?;
        crate::store::posts::set_body_html(conn, id, html.as_str())?;
    }
    Ok(ids.len())
}

/// The library images a text refers to, by hash.
pub fn library_images(
    conn: &mut DbConnection,
    markdown: &str,
) -> diesel::QueryResult<crate::render::markdown::LibraryImages> {
    let mut hashes: Vec<String> = markdown
        .match_indices("/media/")
        .filter_map(|(at, _)| {
            let rest = &markdown[at..];
            let end = rest
                .find(|c: char| c.is_whitespace() || "()<>\"'".contains(c))
                .unwrap_or(rest.len());
            picture::library_hash(&rest[..end]).map(str::to_owned)
        })
        .collect();
    hashes.sort();
    hashes.dedup();
    let mut images = crate::render::markdown::LibraryImages::default();
    for row in store::with_hashes(conn, &hashes)? {
        if let Some(picture) = Picture::of(&row) {
            images.by_hash.entry(row.sha256.clone()).or_insert(picture);
        }
    }
    Ok(images)
}
