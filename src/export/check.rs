//! An archive is untrusted input: every record is checked by the rules the forms apply
//! (and normalised the way they store it) before anything is written. HTML and search
//! text are not taken from the archive at all: they are made again from the Markdown
//! when the posts are written.

use std::collections::{HashMap, HashSet};

use super::Content;
use crate::domain::post::{self, Kind, Status};
use crate::domain::{Email, Role, limits, site, slug};
use crate::media::{storage, types};

/// How many problems the refusal lists (the count says how many more there were).
const SHOWN: usize = 12;

/// Longest original file name kept (as the upload form keeps it).
const MAX_FILE_NAME_CHARS: usize = 200;
/// Largest image dimension a record may claim.
const MAX_DIMENSION: i32 = 100_000;

/// Checks every record and normalises what the forms normalise (emails, roles). The
/// error lists the records that would not be accepted.
pub(super) fn check(content: &mut Content) -> Result<(), String> {
    let mut problems = Vec::new();
    let mut add = |what: String| problems.push(what);
    let ids = Ids::of(content);

    let mut emails = HashSet::new();
    let mut user_slugs = HashSet::new();
    for user in &mut content.users {
        let who = format!("user {} <{}>", user.id, user.email);
        match Email::parse(&user.email) {
            Ok(email) => {
                user.email = email.as_str().to_owned();
                if !emails.insert(user.email.clone()) {
                    add(format!("{who}: the email is in the archive twice"));
                }
            }
            Err(message) => add(format!("{who}: the email is not valid ({message})")),
        }
        let name = user.display_name.trim();
        if name.is_empty() || name.chars().count() > limits::MAX_NAME_CHARS {
            add(format!(
                "{who}: a display name has 1 to {} characters",
                limits::MAX_NAME_CHARS
            ));
        }
        if !slug::is_slug(&user.slug) || !user_slugs.insert(user.slug.clone()) {
            add(format!("{who}: the slug “{}” is not valid here", user.slug));
        }
        match user.role.parse::<Role>() {
            Ok(role) => user.role = role.as_str().to_owned(),
            Err(message) => add(format!("{who}: {message}")),
        }
        if ![
            crate::store::users::STATUS_ACTIVE,
            crate::store::users::STATUS_DISABLED,
        ]
        .contains(&user.status.as_str())
        {
            add(format!("{who}: unknown status “{}”", user.status));
        }
        if user.bio.chars().count() > limits::MAX_BIO_CHARS {
            add(format!("{who}: the bio is too long"));
        }
        if let Some(website) = &user.website
            && post::parse_canonical_url(website).is_err()
        {
            add(format!("{who}: the website is not an http(s) address"));
        }
        if let Some(hash) = &user.password_hash
            && !is_bcrypt(hash)
        {
            add(format!("{who}: the password hash is not a bcrypt hash"));
        }
    }

    let mut tag_slugs = HashSet::new();
    for tag in &content.tags {
        let what = format!("tag {} “{}”", tag.id, tag.name);
        if post::parse_tags(&tag.name).map(|names| names.len()) != Ok(1)
            || tag.name.trim() != tag.name
        {
            add(format!("{what}: not a valid tag name"));
        }
        if !slug::is_slug(&tag.slug) || !tag_slugs.insert(tag.slug.clone()) {
            add(format!("{what}: the slug “{}” is not valid here", tag.slug));
        }
        if tag.description.chars().count() > limits::MAX_TAG_DESCRIPTION_CHARS {
            add(format!("{what}: the description is too long"));
        }
    }

    let mut sizes: HashMap<&str, i64> = HashMap::new();
    for file in &content.media {
        let what = format!("media {} “{}”", file.id, file.file_name);
        match media_key_problem(file) {
            Some(problem) => add(format!("{what}: {problem}")),
            None => {
                if *sizes
                    .entry(file.storage_key.as_str())
                    .or_insert(file.size_bytes)
                    != file.size_bytes
                {
                    add(format!(
                        "{what}: two records of one file disagree on its size in bytes"
                    ));
                }
            }
        }
        if file.size_bytes < 0 {
            add(format!("{what}: a negative size in bytes"));
        }
        let dimension_ok = |d: Option<i32>| d.is_none_or(|d| (1..=MAX_DIMENSION).contains(&d));
        if !dimension_ok(file.width) || !dimension_ok(file.height) {
            add(format!("{what}: impossible dimensions"));
        }
        let name_ok = !file.file_name.is_empty()
            && file.file_name.chars().count() <= MAX_FILE_NAME_CHARS
            && crate::media::upload::clean_label(&file.file_name) == file.file_name;
        if !name_ok {
            add(format!("{what}: not a file name the library would keep"));
        }
        if file.alt_text.chars().count() > limits::MAX_ALT_CHARS
            || file.caption.chars().count() > limits::MAX_CAPTION_CHARS
        {
            add(format!("{what}: the alt text or caption is too long"));
        }
        if file.uploader_id.is_some_and(|id| !ids.users.contains(&id)) {
            add(format!("{what}: its uploader is not in the archive"));
        }
    }

    let mut post_slugs = HashSet::new();
    for row in &mut content.posts {
        let what = format!("{} {} “{}”", row.kind, row.id, row.title);
        if Kind::parse(&row.kind).is_none() {
            add(format!("{what}: unknown kind “{}”", row.kind));
        }
        if Status::parse(&row.status).is_none() {
            add(format!("{what}: unknown status “{}”", row.status));
        }
        if row.title.chars().count() > post::MAX_TITLE_CHARS {
            add(format!("{what}: the title is too long"));
        }
        let slug_ok = slug::is_slug(&row.slug)
            && !post::RESERVED_SLUGS.contains(&row.slug.as_str())
            && post_slugs.insert(row.slug.clone());
        if !slug_ok {
            add(format!("{what}: the slug “{}” is not valid here", row.slug));
        }
        if row.body_markdown.len() > post::MAX_BODY_BYTES {
            add(format!("{what}: the text is too long"));
        }
        if row.excerpt.chars().count() > post::MAX_EXCERPT_CHARS
            || row
                .meta_title
                .as_ref()
                .is_some_and(|t| t.chars().count() > post::MAX_META_TITLE_CHARS)
            || row
                .meta_description
                .as_ref()
                .is_some_and(|d| d.chars().count() > post::MAX_META_DESCRIPTION_CHARS)
        {
            add(format!(
                "{what}: the excerpt, meta title or meta description is too long"
            ));
        }
        if let Some(url) = &row.canonical_url {
            match post::parse_canonical_url(url) {
                Ok(normalised) => row.canonical_url = normalised,
                Err(_) => add(format!(
                    "{what}: the canonical URL is not an http(s) address"
                )),
            }
        }
        if !ids.users.contains(&row.author_id) {
            add(format!("{what}: its author is not in the archive"));
        }
        if row
            .featured_media_id
            .is_some_and(|id| !ids.media.contains(&id))
        {
            add(format!("{what}: its featured image is not in the archive"));
        }
        if row.version < 1 {
            add(format!("{what}: an impossible version"));
        }
    }

    let mut links = HashSet::new();
    for link in &content.post_tags {
        if !ids.posts.contains(&link.post_id)
            || !ids.tags.contains(&link.tag_id)
            || !links.insert((link.post_id, link.tag_id))
        {
            add(format!(
                "the tag link {} → {} does not join a post and a tag of the archive once",
                link.post_id, link.tag_id
            ));
        }
    }

    for revision in &content.revisions {
        let what = format!("revision {}", revision.id);
        if !ids.posts.contains(&revision.post_id)
            || revision
                .author_id
                .is_some_and(|id| !ids.users.contains(&id))
        {
            add(format!("{what}: its post or author is not in the archive"));
        }
        if revision.title.chars().count() > post::MAX_TITLE_CHARS
            || revision.body_markdown.len() > post::MAX_BODY_BYTES
        {
            add(format!("{what}: the title or text is too long"));
        }
    }

    let mut from_paths = HashSet::new();
    for redirect in &content.redirects {
        let what = format!("redirect {} from {}", redirect.id, redirect.from_path);
        if !post::is_local_path(&redirect.from_path)
            || !from_paths.insert(redirect.from_path.as_str())
        {
            add(format!(
                "{what}: the old address must be a path on this site"
            ));
        }
        if redirect
            .to_path
            .as_deref()
            .is_some_and(|to| !post::is_local_path(to))
        {
            add(format!(
                "{what}: a redirect may only lead to a path on this site"
            ));
        }
        if redirect.post_id.is_some_and(|id| !ids.posts.contains(&id)) {
            add(format!("{what}: its post is not in the archive"));
        }
    }

    let mut keys = HashSet::new();
    for setting in &content.settings {
        if !keys.insert(setting.key.as_str()) {
            add(format!(
                "the setting {} is in the archive twice",
                setting.key
            ));
        }
        match site::check_stored(&setting.key, &setting.value) {
            Ok(Some(logo)) if !ids.images.contains(&logo) => add(format!(
                "the setting {}: the logo is not an image of the archive",
                setting.key
            )),
            Ok(_) => {}
            Err(message) => add(format!("the setting {}: {message}", setting.key)),
        }
    }

    if problems.is_empty() {
        return Ok(());
    }
    let more = problems.len().saturating_sub(SHOWN);
    let mut message = format!(
        "{} not what this Folio accepts:\n  - {}",
        crate::domain::counted(problems.len(), "record is", "records are"),
        problems[..problems.len().min(SHOWN)].join("\n  - ")
    );
    if more > 0 {
        message.push_str(&format!("\n  - and {more} more"));
    }
    Err(message)
}

/// The ids of the archive's records, for checking references.
struct Ids {
    users: HashSet<i32>,
    posts: HashSet<i32>,
    tags: HashSet<i32>,
    media: HashSet<i32>,
    images: HashSet<i32>,
}

impl Ids {
    fn of(content: &Content) -> Ids {
        Ids {
            users: content.users.iter().map(|u| u.id).collect(),
            posts: content.posts.iter().map(|p| p.id).collect(),
            tags: content.tags.iter().map(|t| t.id).collect(),
            media: content.media.iter().map(|m| m.id).collect(),
            images: content
                .media
                .iter()
                .filter(|m| m.mime_type.starts_with("image/"))
                .map(|m| m.id)
                .collect(),
        }
    }
}

/// What is wrong with a media record's file: its key must be exactly the name an upload
/// gets (`ab/cd/<sha256>.<ext>`, so it can't leave the media directory), agree with its
/// hash, and name the record's type.
fn media_key_problem(file: &super::Media) -> Option<String> {
    let Some(key) = storage::parse_key(&file.storage_key) else {
        return Some(format!(
            "the storage key “{}” is not a media file name",
            file.storage_key
        ));
    };
    let Some(media_type) = types::by_mime(&file.mime_type) else {
        return Some(format!("the type {} is not accepted", file.mime_type));
    };
    // Compared first: `original_key` slices the hash, which is then known to be 64 hex digits.
    if storage::hash_of(&key) != Some(file.sha256.as_str())
        || key != storage::original_key(&file.sha256, media_type.ext)
    {
        return Some(format!(
            "the storage key “{}” does not match its hash and type",
            file.storage_key
        ));
    }
    None
}

/// `$2b$12$` and 53 characters of bcrypt's base64, as `bcrypt` writes them.
fn is_bcrypt(hash: &str) -> bool {
    let bytes = hash.as_bytes();
    bytes.len() == 60
        && (hash.starts_with("$2a$") || hash.starts_with("$2b$") || hash.starts_with("$2y$"))
        && bytes[4..6].iter().all(u8::is_ascii_digit)
        && bytes[6] == b'$'
        && bytes[7..]
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'.' || c == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcrypt_hashes_are_recognised() {
        let hash = bcrypt::hash("a password", 4).unwrap();
        assert!(is_bcrypt(&hash), "{hash}");
        assert!(!is_bcrypt("plain"));
        assert!(!is_bcrypt(&hash.replace('$', "%")));
    }
}
