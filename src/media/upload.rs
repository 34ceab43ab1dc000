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
/// At most this many non-file fields in one request, together at most `MAX_FIELDS_BYTES`:
/// the forms that upload send two or three.
pub const MAX_FIELDS: usize = 32;
const MAX_FIELDS_BYTES: usize = 64 * 1024;
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

/// The parts of a multipart form: its files, and its small text fields by name.
pub struct Form {
    pub files: Vec<Received>,
    pub fields: Vec<(String, String)>,
}

impl Form {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads every part of `multipart`: file parts to temp files, parts without a file name
/// as small text fields; an empty file input (no file chosen) is ignored. Bounded: at most
/// `MAX_FILES` file parts (empty ones included) and `MAX_FIELDS` small fields; beyond that
/// the request is refused before the rest is read, and every temp file is deleted.
pub async fn receive(
    mut multipart: Multipart,
    storage: &MediaStorage,
    max_bytes: u64,
) -> AppResult<Form> {
    let mut files = Vec::new();
    let mut file_parts = 0;
    let mut fields = Vec::new();
    let mut fields_bytes = 0;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(malformed)?;
        let file_name = field
            .content_disposition()
            .and_then(|cd| cd.get_filename().map(str::to_owned));
        let Some(file_name) = file_name else {
            if fields.len() == MAX_FIELDS {
                return Err(AppError::PayloadTooLarge(format!(
                    "The upload has more than {MAX_FIELDS} form fields; nothing was saved."
                )));
            }
            let name = field.name().unwrap_or_default().to_owned();
            let mut value = Vec::new();
            while let Some(chunk) = field.next().await {
                value.extend_from_slice(&chunk.map_err(malformed)?);
                if value.len() > MAX_FIELD_BYTES {
                    return Err(AppError::PayloadTooLarge(
                        "A form field of the upload is too long; nothing was saved.".into(),
                    ));
                }
            }
            fields_bytes += name.len() + value.len();
            if fields_bytes > MAX_FIELDS_BYTES {
                return Err(AppError::PayloadTooLarge(
                    "The form fields of the upload are too long together; nothing was saved."
                        .into(),
                ));
            }
            fields.push((name, String::from_utf8_lossy(&value).into_owned()));
            continue;
        };
        file_parts += 1;
        if file_parts > MAX_FILES {
            return Err(AppError::PayloadTooLarge(format!(
                "Upload at most {MAX_FILES} files at once; nothing was saved."
            )));
        }
        let label = clean_label(&file_name);
        let received = stream_to_temp_file(&mut field, storage, max_bytes, &label).await?;
        if received.size == 0 && file_name.is_empty() {
            continue;
        }
        files.push(received);
    }
    Ok(Form { files, fields })
}

async fn stream_to_temp_file(
    field: &mut actix_multipart::Field,
    storage: &MediaStorage,
    max_bytes: u64,
    label: &str,
) -> AppResult<Received> {
    let file = storage
        .temp_file()
        .map_err(|e| AppError::internal("cannot create a temp file for an upload", e))?;
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
        .map_err(|e| AppError::internal("cannot write an upload to disk", e))?;
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

/// Takes a file already on this machine (an importer's) as if it had been uploaded:
/// copied to a temp file in the media directory and hashed on the way. `None` when it is
/// larger than `max_bytes`.
pub fn from_local_file(
    storage: &MediaStorage,
    path: &std::path::Path,
    max_bytes: u64,
) -> std::io::Result<Option<Received>> {
    use std::io::Read;
    let mut source = std::fs::File::open(path)?;
    if source.metadata()?.len() > max_bytes {
        return Ok(None);
    }
    let mut file = storage.temp_file()?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = source.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buffer[..n]);
        file.write_all(&buffer[..n])?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    Ok(Some(Received {
        label: clean_label(&name),
        file,
        size,
        sha256: format!("{:x}", hasher.finalize()),
    }))
}

/// Checks a request before its body is read: refuses one that declares a length above
/// `max_body_bytes` (413, naming `label` and its limit `max_file_bytes`), and says whether
/// it is a multipart form at all.
pub fn is_multipart_within(
    req: &actix_web::HttpRequest,
    max_body_bytes: u64,
    label: &str,
    max_file_bytes: u64,
) -> AppResult<bool> {
    use actix_web::http::header;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > max_body_bytes) {
        return Err(too_large(label, max_file_bytes));
    }
    Ok(req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data")))
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
