//! The editorial core's writes. [`save_post`] is the one way a post or page is created or
//! its content saved — from the editor, the autosave, a restored revision or an import —
//! and does everything that goes with a save in one transaction: the optimistic lock, the
//! slug (refusing one another post or an old address holds), the rendered Markdown, the
//! row, the redirect from a public post's old address, the end of its preview links, its
//! featured image and tags, the revision, and the audit record of a change of audience.
//! Plain data in, plain data out: no HTTP here, so the web forms, the importers and the
//! API share it.

use std::fmt;

use chrono::{NaiveDateTime, Utc};
use diesel::connection::{Connection, TransactionManager};
use diesel::result::Error as DieselError;

use crate::db::{self, DbConnection};
use crate::domain::post::{self as rules, Kind, Stage};
use crate::domain::transition::{Change, Publication};
use crate::media;
use crate::store::posts::{self, Content, Post, SlugHolder};
use crate::store::{audit, revisions, tokens};

/// Which post a save writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A new post or page.
    New(Kind),
    /// A saved one. `expected_version` is the version the editor's form was loaded at: a
    /// save over a newer version is refused ([`SaveRefusal::Stale`]). `None` saves over
    /// whatever is there (a restored revision is a new version of the current one).
    Existing {
        id: i32,
        expected_version: Option<i32>,
    },
}

/// Where the post's slug comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlugChoice<'a> {
    /// Exactly this (already normalised) slug, refused if another post or an old
    /// address holds it.
    Exactly(&'a str),
    /// Made from the title ("untitled" without one), numbered until it is free.
    FromTitle,
    /// This base, numbered until it is free.
    FreeFrom(&'a str),
    /// The post's slug as it is (from its title for a new post).
    Unchanged,
}

/// The text of a post, validated.
#[derive(Debug, Clone, Copy)]
pub struct Text<'a> {
    pub title: &'a str,
    pub body_markdown: &'a str,
    pub excerpt: &'a str,
    pub meta_title: Option<&'a str>,
    pub meta_description: Option<&'a str>,
    pub canonical_url: Option<&'a str>,
}

impl<'a> Text<'a> {
    /// Just a title and a body.
    pub fn plain(title: &'a str, body_markdown: &'a str) -> Self {
        Self {
            title,
            body_markdown,
            excerpt: "",
            meta_title: None,
            meta_description: None,
            canonical_url: None,
        }
    }
}

/// One save.
#[derive(Debug, Clone, Copy)]
pub struct SaveRequest<'a> {
    pub target: Target,
    /// Who saves: the author of a new post, and of the revision.
    pub actor: i32,
    pub text: Text<'a>,
    pub slug: SlugChoice<'a>,
    /// The status and publication time to save; `None` keeps them (a new post is a draft).
    pub publication: Option<Publication>,
    /// The editor's transition, if one: a change of who may see the post is recorded in
    /// the audit log, with `ip_address`.
    pub change: Option<Change>,
    pub ip_address: Option<&'a str>,
    /// The tags to set; `None` leaves them.
    pub tags: Option<&'a [String]>,
    /// The featured image to set (it must be an image in the library); `None` leaves it.
    pub featured: Option<Option<i32>>,
}

/// A save that was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub id: i32,
    pub slug: String,
}

/// Why a save was not made (nothing was written). Its text is the message the user sees.
#[derive(Debug, Clone)]
pub enum SaveRefusal {
    /// No such post (or revision to restore).
    NotFound,
    /// The post is in the trash.
    Trashed,
    /// Someone saved since the form was loaded: the newer save.
    Stale(Box<Post>),
    /// The slug is another post's, or an old address that redirects.
    SlugTaken { slug: String, holder: SlugHolder },
    /// The chosen featured image was deleted from the library.
    FeaturedImageGone,
}

impl SaveRefusal {
    /// The editor form's field the refusal is about, if one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            SaveRefusal::SlugTaken { .. } => Some("slug"),
            SaveRefusal::FeaturedImageGone => Some("featured_media_id"),
            _ => None,
        }
    }
}

impl fmt::Display for SaveRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let named = |title: &str| {
            if title.is_empty() {
                "another post".to_owned()
            } else {
                format!("“{title}”")
            }
        };
        match self {
            SaveRefusal::NotFound => f.write_str("The page you asked for does not exist."),
            SaveRefusal::Trashed => {
                f.write_str("This post is in the trash: restore it before editing.")
            }
            SaveRefusal::Stale(_) => {
                f.write_str("Someone saved this post after you opened it: compare and save again.")
            }
            SaveRefusal::SlugTaken {
                slug,
                holder: SlugHolder::Post { title, .. },
            } => write!(f, "The slug “{slug}” is already used by {}.", named(title)),
            SaveRefusal::SlugTaken {
                slug,
                holder: SlugHolder::Redirect { title, .. },
            } => write!(
                f,
                "The address /{slug} redirects to {} (it was its address before): choose another slug.",
                named(title)
            ),
            SaveRefusal::FeaturedImageGone => {
                f.write_str("That image is no longer in the library: choose another.")
            }
        }
    }
}

/// A refusal rolls the transaction back like a database error does.
enum Failure {
    Refused(SaveRefusal),
    Database(DieselError),
}

impl From<DieselError> for Failure {
    fn from(e: DieselError) -> Self {
        Failure::Database(e)
    }
}

impl From<SaveRefusal> for Failure {
    fn from(r: SaveRefusal) -> Self {
        Failure::Refused(r)
    }
}

/// The outer result is the database's; the inner one says whether the save was made.
fn split<T>(result: Result<T, Failure>) -> QueryResult<Result<T, SaveRefusal>> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(Failure::Refused(refusal)) => Ok(Err(refusal)),
        Err(Failure::Database(e)) => Err(e),
    }
}

type QueryResult<T> = diesel::QueryResult<T>;

/// Saves a post or page: see the module's documentation. Inside a caller's transaction
/// (an import) it is a savepoint of it.
pub fn save_post(
    conn: &mut DbConnection,
    request: &SaveRequest<'_>,
) -> QueryResult<Result<Saved, SaveRefusal>> {
    split(atomically(conn, |conn| save(conn, request)))
}

/// Puts revision `revision_id` back as post `post_id`'s title and text (a save like any
/// other: a new version, and a revision of its own). Gives when the revision was saved.
/// `reader` must be allowed to read it (someone else's autosave is not found).
pub fn restore_revision(
    conn: &mut DbConnection,
    post_id: i32,
    revision_id: i32,
    reader: i32,
) -> QueryResult<Result<NaiveDateTime, SaveRefusal>> {
    split(atomically(conn, |conn| {
        let revision = revisions::readable(conn, post_id, revision_id, reader)?
            .ok_or(SaveRefusal::NotFound)?;
        let post = posts::find(conn, post_id)?.ok_or(SaveRefusal::NotFound)?;
        let text = Text {
            title: &revision.title,
            body_markdown: &revision.body_markdown,
            excerpt: &post.excerpt,
            meta_title: post.meta_title.as_deref(),
            meta_description: post.meta_description.as_deref(),
            canonical_url: post.canonical_url.as_deref(),
        };
        save(
            conn,
            &SaveRequest {
                target: Target::Existing {
                    id: post_id,
                    expected_version: None,
                },
                actor: reader,
                text,
                slug: SlugChoice::Unchanged,
                publication: None,
                change: None,
                ip_address: None,
                tags: None,
                featured: None,
            },
        )?;
        Ok(revision.created_at)
    }))
}

/// A new secret preview link for a post (earlier ones stop working).
pub fn create_preview_link(
    conn: &mut DbConnection,
    post_id: i32,
    created_by: i32,
) -> crate::error::AppResult<String> {
    atomically(conn, |conn| {
        tokens::create_preview(conn, post_id, created_by)
    })
}

fn save(conn: &mut DbConnection, request: &SaveRequest<'_>) -> Result<Saved, Failure> {
    let now = Utc::now().naive_utc();
    let current = match request.target {
        Target::New(_) => None,
        Target::Existing { id, .. } => {
            let post = posts::find(conn, id)?.ok_or(SaveRefusal::NotFound)?;
            if post.deleted_at.is_some() {
                return Err(SaveRefusal::Trashed.into());
            }
            Some(post)
        }
    };
    let kind = match (&request.target, &current) {
        (_, Some(post)) => post.kind(),
        (Target::New(kind), None) => *kind,
        (Target::Existing { .. }, None) => return Err(SaveRefusal::NotFound.into()),
    };
    let existing_id = current.as_ref().map(|p| p.id);

    // Checked before anything is written.
    if let Some(Some(image)) = request.featured
        && !crate::store::media::find(conn, image)?
            .is_some_and(|row| row.mime_type.starts_with("image/"))
    {
        return Err(SaveRefusal::FeaturedImageGone.into());
    }
    let from_title =
        || rules::normalise_slug(request.text.title).unwrap_or_else(|_| "untitled".to_owned());
    let slug = match (request.slug, &current) {
        (SlugChoice::Exactly(slug), _) => {
            if let Some(holder) = posts::slug_holder(conn, slug)?
                && !holder.is(existing_id)
            {
                return Err(SaveRefusal::SlugTaken {
                    slug: slug.to_owned(),
                    holder,
                }
                .into());
            }
            slug.to_owned()
        }
        (SlugChoice::FreeFrom(base), _) => posts::free_slug(conn, base, existing_id)?,
        (SlugChoice::Unchanged, Some(post)) => post.slug.clone(),
        (SlugChoice::FromTitle | SlugChoice::Unchanged, _) => {
            posts::free_slug(conn, &from_title(), existing_id)?
        }
    };

    let text = &request.text;
    let body_html = media::render_markdown(conn, text.body_markdown)?.into_string();
    let content = Content {
        title: text.title,
        slug: &slug,
        body_markdown: text.body_markdown,
        body_html: &body_html,
        excerpt: text.excerpt,
        meta_title: text.meta_title,
        meta_description: text.meta_description,
        canonical_url: text.canonical_url,
    };
    let before = current.as_ref().map(|post| Publication {
        status: post.status(),
        published_at: post.published_at,
    });
    let Publication {
        status,
        published_at,
    } = request.publication.or(before).unwrap_or(Publication::DRAFT);
    let id = match &current {
        Some(post) => {
            let expected = match request.target {
                Target::Existing {
                    expected_version: Some(version),
                    ..
                } => version,
                _ => post.version,
            };
            if !posts::update(conn, post.id, expected, &content, status, published_at)? {
                let newer = posts::find(conn, post.id)?.ok_or(SaveRefusal::NotFound)?;
                return Err(SaveRefusal::Stale(Box::new(newer)).into());
            }
            // A public post's old address keeps working.
            if matches!(post.stage(now), Stage::Published(_)) && post.slug != slug {
                posts::record_slug_change(conn, post.id, &post.slug, &slug)?;
            }
            post.id
        }
        None => posts::create(conn, kind, request.actor, &content, status, published_at)?,
    };
    let stage_before = current.as_ref().map(|post| post.stage(now));
    if rules::save_ends_previews(stage_before, rules::stage(status, published_at, None, now)) {
        tokens::revoke_previews(conn, id)?;
    }
    if let Some(featured) = request.featured {
        posts::set_featured(conn, id, featured)?;
    }
    if let Some(tags) = request.tags {
        posts::set_tags(conn, id, tags)?;
    }
    posts::add_revision(conn, id, request.actor, text.title, text.body_markdown)?;
    if let Some(change) = request.change
        && let Some(action) = change.audit_action(kind)
    {
        let title = if text.title.is_empty() {
            "Untitled"
        } else {
            text.title
        };
        let detail = match change {
            Change::Scheduled(at) => format!("{title} (for {} UTC)", at.format("%Y-%m-%d %H:%M")),
            _ => title.to_owned(),
        };
        audit::record(
            conn,
            &audit::Entry {
                actor_id: Some(request.actor),
                action: &action,
                target: (kind.as_str(), Some(id)),
                detail: &detail,
                ip_address: request.ip_address,
            },
        )?;
    }
    Ok(Saved { id, slug })
}

/// Runs `f` in a write transaction, or in a savepoint of the caller's (an import writes
/// all its posts in one transaction).
fn atomically<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<DieselError>,
{
    let in_transaction =
        <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn)
            .transaction_depth()?
            .is_some();
    if in_transaction {
        conn.transaction(f)
    } else {
        db::write_transaction(conn, f)
    }
}
