//! Receiving uploads: each file part of a multipart body is streamed to a temp file while
//! it is hashed, never held whole in memory, and cut off as soon as it passes the size
//! limit. The writing and hashing run on a blocking thread, fed through a small channel.

use std::io::Write;

use actix_multipart::Multipart;
use actix_web::web;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use super::storage::MediaStorage;
use crate::error::{AppError, AppResult};

/// Largest non-file field we read (the CSRF token, a form flag).
const MAX_FIELD_BYTES: usize = 16 * 1024;
const MAX_LABEL_CHARS: usize = 200;
/// At most this many files in one request.
pub const MAX_FILES: usize = 20;

/// One file as it arrived, in the temp directory.
pub struct Received {
    /// The uploader's name for it, cleaned: shown as a label, never used as a path.
    pub label: String,
    pub file: NamedTempFile,
    pub size: u64,
    pub sha256: String,
}

/// Reads every file part of `multipart`. Parts without a file name are small form fields
/// and are skipped; an empty file input (no file chosen) is ignored.
pub async fn receive(
    mut multipart: Multipart,
    storage: &MediaStorage,
    max_bytes: u64,
) -> AppResult<Vec<Received>> {
    let mut files = Vec::new();
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(malformed)?;
        let file_name = field
            .content_disposition()
            .and_then(|cd| cd.get_filename().map(str::to_owned));
        let Some(file_name) = file_name else {
            let mut seen = 0;
            while let Some(chunk) = field.next().await {
                seen += chunk.map_err(malformed)?.len();
                if seen > MAX_FIELD_BYTES {
                    return Err(AppError::BadRequest(
                        "A form field of the upload is too long.".into(),
                    ));
                }
            }
            continue;
        };
        if files.len() == MAX_FILES {
            return Err(AppError::BadRequest(format!(
                "Upload at most {MAX_FILES} files at once."
            )));
        }
        let label = clean_label(&file_name);
        let received = stream_to_temp_file(&mut field, storage, max_bytes, &label).await?;
        if received.size == 0 && file_name.is_empty() {
            continue;
        }
        files.push(received);
    }
    Ok(files)
}

async fn stream_to_temp_file(
    field: &mut actix_multipart::Field,
    storage: &MediaStorage,
    max_bytes: u64,
    label: &str,
) -> AppResult<Received> {
    let file = storage
        .temp_file()
        .map_err(|e| AppError::Internal(format!("cannot create a temp file for an upload: {e}")))?;
    let (sender, mut chunks) = tokio::sync::mpsc::channel::<web::Bytes>(8);
    let writer = web::block(move || -> std::io::Result<(NamedTempFile, u64, String)> {
        let mut file = file;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        {
            let mut out = std::io::BufWriter::with_capacity(256 * 1024, file.as_file_mut());
            while let Some(chunk) = chunks.blocking_recv() {
                hasher.update(&chunk);
                out.write_all(&chunk)?;
                size += chunk.len() as u64;
            }
            out.flush()?;
        }
        Ok((file, size, format!("{:x}", hasher.finalize())))
    });

    let mut size = 0u64;
    let mut failure = None;
    while let Some(chunk) = field.next().await {
        match chunk {
            Ok(chunk) => {
                size += chunk.len() as u64;
                if size > max_bytes {
                    failure = Some(too_large(label, max_bytes));
                    break;
                }
                if sender.send(chunk).await.is_err() {
                    break; // the writer failed: its error is reported below
                }
            }
            Err(err) => {
                failure = Some(malformed(err));
                break;
            }
        }
    }
    drop(sender);
    // Dropping the temp file (on any error) deletes it.
    let (file, size, sha256) = writer
        .await?
        .map_err(|e| AppError::Internal(format!("cannot write an upload to disk: {e}")))?;
    if let Some(failure) = failure {
        return Err(failure);
    }
    Ok(Received {
        label: label.to_owned(),
        file,
        size,
        sha256,
    })
}

pub fn too_large(label: &str, max_bytes: u64) -> AppError {
    AppError::PayloadTooLarge(format!(
        "{label} is larger than the upload limit of {} MB.",
        max_bytes / (1024 * 1024)
    ))
}

fn malformed(err: actix_multipart::MultipartError) -> AppError {
    AppError::BadRequest(format!(
        "The upload could not be read ({err}). Send the files as multipart/form-data, from the upload form."
    ))
}

/// The last path component, without control characters, trimmed and shortened: safe to
/// show, never used as a path.
pub fn clean_label(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_LABEL_CHARS)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        "upload".to_owned()
    } else {
        cleaned.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_lose_paths_and_control_characters() {
        assert_eq!(clean_label("../../etc/passwd"), "passwd");
        assert_eq!(clean_label("C:\\Users\\me\\cat.jpg"), "cat.jpg");
        assert_eq!(clean_label("bad\u{0}\u{7}\nname.png"), "badname.png");
        assert_eq!(clean_label(".."), "upload");
        assert_eq!(clean_label("   "), "upload");
        assert_eq!(clean_label(".htaccess"), "htaccess");
        assert_eq!(
            clean_label(&"a".repeat(500)).chars().count(),
            MAX_LABEL_CHARS
        );
    }
}
