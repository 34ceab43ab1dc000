//! The editorial core's writes. [`save_post`] is the one way a post or page is created or
//! its content saved — from the editor, the autosave, a restored revision or an import —
//! and does everything that goes with a save in one transaction: the optimistic lock, the
//! slug (refusing one another post or an old address holds), the rendered Markdown, the
//! row, the redirect from a public post's old address, the end of its preview links, its
//! featured image and tags, the revision (unless the text is unchanged), the alt text its
//! images lack in the library, and the audit record of a change of audience.
//! Plain data in, plain data out: no HTTP here, so the web forms, the importers and the
//! API share it.

use std::fmt;

use chrono::{NaiveDateTime, Utc};
use diesel::QueryResult;
use diesel::connection::{Connection, TransactionManager};
use diesel::result::Error as DieselError;

use crate::db::{self, DbConnection};
use crate::domain::post::{self as rules, Kind, Stage};
use crate::domain::revision::Event;
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

/// Saves a post or page: see the module's documentation. Inside a caller's transaction
/// (an import) it is a savepoint of it.
pub fn save_post(
    conn: &mut DbConnection,
    request: &SaveRequest<'_>,
) -> QueryResult<Result<Saved, SaveRefusal>> {
    split(atomically(conn, |conn| save(conn, request, None)))
}

/// [`save_post`], with its revision (if the text changed) saying `event` instead of what
/// the request's change implies: the first autosave of a new post is `Autosaved`.
pub fn save_post_as(
    conn: &mut DbConnection,
    request: &SaveRequest<'_>,
    event: Event,
) -> QueryResult<Result<Saved, SaveRefusal>> {
    split(atomically(conn, |conn| save(conn, request, Some(event))))
}

/// A new post or page for [`create_posts`]: what an import knows of it.
#[derive(Debug, Clone, Copy)]
pub struct NewPost<'a> {
    pub kind: Kind,
    /// Its author, and of its first revision.
    pub author: i32,
    pub text: Text<'a>,
    /// The slug wanted (normalised): numbered until free, as [`SlugChoice::FreeFrom`].
    pub slug_base: &'a str,
    pub publication: Publication,
    /// When it was first written (an import keeps the old site's date).
    pub created_at: NaiveDateTime,
    /// In the trash since then, if it was trashed.
    pub deleted_at: Option<NaiveDateTime>,
    /// A library image of the caller's.
    pub featured: Option<i32>,
}

/// Creates many new posts and pages at once: the importer's [`save_post`]. Each gets what
/// a save of a new post gets — a slug numbered until neither another post, nor an old
/// address, nor another post of the batch holds it; its Markdown rendered through the
/// media library; its first revision — in a handful of statements for the whole batch
/// instead of about eight per post: the wanted slugs are checked with one query (only a
/// taken one is numbered one query at a time), ids come from one query, rows go in
/// multi-row inserts. A new post's save has no preview links to end and no audit record
/// (the importer records the import). Runs in the caller's write transaction; gives the
/// posts' ids and slugs in the order of `posts`.
pub fn create_posts(conn: &mut DbConnection, batch: &[NewPost<'_>]) -> QueryResult<Vec<Saved>> {
    use std::collections::HashSet;

    use diesel::prelude::*;

    use crate::db::schema::{posts as p, redirects, revisions};

    if batch.is_empty() {
        return Ok(Vec::new());
    }
    // Slugs: one query for the wanted ones, then numbered (as `posts::free_slug`) where
    // the site or an earlier post of the batch holds them.
    let bases: Vec<&str> = batch.iter().map(|post| post.slug_base).collect();
    let paths: Vec<String> = bases.iter().map(|base| format!("/{base}")).collect();
    let mut taken: HashSet<String> = p::table
        .filter(p::slug.eq_any(&bases))
        .select(p::slug)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    taken.extend(
        redirects::table
            .filter(redirects::from_path.eq_any(&paths))
            .select(redirects::from_path)
            .load::<String>(conn)?
            .into_iter()
            .map(|path| path[1..].to_owned()),
    );
    let mut chosen: HashSet<String> = HashSet::with_capacity(batch.len());
    let mut slugs = Vec::with_capacity(batch.len());
    for post in batch {
        let mut attempt = 1;
        let slug = loop {
            let candidate = crate::domain::slug::numbered(post.slug_base, attempt);
            let free = !chosen.contains(&candidate)
                && if attempt == 1 {
                    !taken.contains(&candidate)
                } else {
                    posts::slug_holder(conn, &candidate)?.is_none()
                };
            if free {
                break candidate;
            }
            attempt += 1;
        };
        chosen.insert(slug.clone());
        slugs.push(slug);
    }

    // The library images the texts show, looked up once for the batch.
    let images = if batch
        .iter()
        .any(|post| post.text.body_markdown.contains("/media/"))
    {
        let all: Vec<&str> = batch.iter().map(|post| post.text.body_markdown).collect();
        media::library_images(conn, &all.join("\n"))?
    } else {
        crate::render::markdown::LibraryImages::default()
    };
    let ids = db::dialect::fresh_ids(conn, "posts", batch.len())?;
    let now = Utc::now().naive_utc();
    let mut rows = Vec::with_capacity(batch.len());
    for ((post, slug), &id) in batch.iter().zip(&slugs).zip(&ids) {
        let text = &post.text;
        rows.push((
            (
                p::id.eq(id),
                p::kind.eq(post.kind.as_str()),
                p::status.eq(post.publication.status.as_str()),
                p::title.eq(text.title),
                p::slug.eq(slug.as_str()),
                p::body_markdown.eq(text.body_markdown),
                p::body_html.eq(crate::render::render(text.body_markdown, &images).into_string()),
                p::excerpt.eq(text.excerpt),
                p::author_id.eq(post.author),
                p::featured_media_id.eq(post.featured),
            ),
            (
                p::meta_title.eq(text.meta_title),
                p::meta_description.eq(text.meta_description),
                p::canonical_url.eq(text.canonical_url),
                p::version.eq(1),
                p::created_at.eq(post.created_at),
                p::updated_at.eq(now),
                p::published_at.eq(post.publication.published_at),
                p::deleted_at.eq(post.deleted_at),
                p::search_text.eq(crate::render::markdown::plain_text(text.body_markdown)),
            ),
        ));
    }
    db::dialect::insert_rows!(conn, p::table, rows)?;
    let revision_rows: Vec<_> = batch
        .iter()
        .zip(&ids)
        .map(|(post, &id)| {
            (
                revisions::post_id.eq(id),
                revisions::author_id.eq(post.author),
                revisions::title.eq(post.text.title),
                revisions::body_markdown.eq(post.text.body_markdown),
                revisions::is_autosave.eq(false),
                revisions::created_at.eq(now),
                revisions::event.eq(Event::Imported.as_str()),
            )
        })
        .collect();
    db::dialect::insert_rows!(conn, revisions::table, revision_rows)?;
    Ok(ids
        .into_iter()
        .zip(slugs)
        .map(|(id, slug)| Saved { id, slug })
        .collect())
}

/// Puts revision `revision_id` back as post `post_id`'s title and text (a save like any
/// other: a new version, and a revision of its own saying `Restored`, unless the text is
/// already the newest revision's). Gives when the revision was saved.
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
            Some(Event::Restored),
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

fn save(
    conn: &mut DbConnection,
    request: &SaveRequest<'_>,
    event: Option<Event>,
) -> Result<Saved, Failure> {
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
    // Alt text typed in the Markdown fills the library's where it has none.
    media::adopt_alt_texts(conn, text.body_markdown)?;
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
    // (A new post has no preview links to end.)
    if let Some(post) = &current
        && rules::save_ends_previews(
            Some(post.stage(now)),
            rules::stage(status, published_at, None, now),
        )
    {
        tokens::revoke_previews(conn, id)?;
    }
    if let Some(featured) = request.featured {
        posts::set_featured(conn, id, featured)?;
    }
    if let Some(tags) = request.tags {
        posts::set_tags(conn, id, tags)?;
    }
    let event = event
        .or(request.change.map(Event::of_change))
        .unwrap_or(Event::Saved);
    revisions::record(
        conn,
        id,
        request.actor,
        text.title,
        text.body_markdown,
        event,
    )?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::schema::audit_log;
    use crate::db::{DatabaseUrl, migrations};
    use crate::domain::post::Status;
    use crate::domain::{Email, Role};
    use crate::store::users::{self, NewUser};
    use diesel::prelude::*;

    /// A migrated SQLite database in a temporary directory, and an author in it.
    fn database() -> (tempfile::TempDir, db::DbPool, i32) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("folio.db");
        let url = DatabaseUrl::parse(path.to_str().unwrap()).unwrap();
        let pool = db::build_pool(&url, 1).unwrap();
        let mut conn = pool.get().unwrap();
        migrations::run_pending(&mut conn).unwrap();
        let email = Email::parse("author@example.org").unwrap();
        let author = users::create(
            &mut conn,
            &NewUser {
                email: &email,
                display_name: "Author",
                password_hash: None,
                role: Role::Author,
            },
        )
        .unwrap();
        (dir, pool, author.id)
    }

    fn new_post<'a>(author: i32, title: &'a str, slug: SlugChoice<'a>) -> SaveRequest<'a> {
        SaveRequest {
            target: Target::New(Kind::Post),
            actor: author,
            text: Text::plain(title, "Some *text*."),
            slug,
            publication: None,
            change: None,
            ip_address: None,
            tags: None,
            featured: None,
        }
    }

    fn audit_actions(conn: &mut DbConnection) -> Vec<String> {
        audit_log::table
            .order(audit_log::id.asc())
            .select(audit_log::action)
            .load(conn)
            .unwrap()
    }

    #[test]
    fn a_save_writes_the_post_its_revision_and_the_audit_record_of_a_publication() {
        let (_dir, pool, author) = database();
        let conn = &mut pool.get().unwrap();
        let draft = save_post(conn, &new_post(author, "Hello", SlugChoice::FromTitle))
            .unwrap()
            .unwrap();
        assert_eq!(draft.slug, "hello");
        let post = posts::find(conn, draft.id).unwrap().unwrap();
        assert_eq!(post.status(), Status::Draft);
        assert!(post.body_html.contains("<em>text</em>"), "rendered");
        assert!(audit_actions(conn).is_empty(), "a draft is not audited");

        let now = Utc::now().naive_utc();
        let publish = SaveRequest {
            target: Target::Existing {
                id: draft.id,
                expected_version: Some(post.version),
            },
            publication: Some(Publication {
                status: Status::Published,
                published_at: Some(now),
            }),
            change: Some(Change::Published),
            ip_address: Some("192.0.2.1"),
            ..new_post(author, "Hello", SlugChoice::Unchanged)
        };
        save_post(conn, &publish).unwrap().unwrap();
        assert_eq!(audit_actions(conn), ["post.published"]);
        assert_eq!(
            posts::revision_count(conn, draft.id).unwrap(),
            1,
            "publishing the unchanged text adds no copy of it"
        );

        // The same form again is stale: nothing is written.
        match save_post(conn, &publish).unwrap() {
            Err(SaveRefusal::Stale(newer)) => assert_eq!(newer.version, post.version + 1),
            other => panic!("expected a stale save, got {other:?}"),
        }
        assert_eq!(audit_actions(conn), ["post.published"]);
        assert_eq!(posts::revision_count(conn, draft.id).unwrap(), 1);
    }

    /// The events of the post's history, oldest first.
    fn events(conn: &mut DbConnection, post_id: i32) -> Vec<String> {
        let mut events: Vec<String> = revisions::history(conn, post_id)
            .unwrap()
            .into_iter()
            .map(|(r, _)| r.event)
            .collect();
        events.reverse();
        events
    }

    #[test]
    fn each_revision_says_what_happened_and_unchanged_text_adds_none() {
        let (_dir, pool, author) = database();
        let conn = &mut pool.get().unwrap();
        let saved = save_post_as(
            conn,
            &new_post(author, "Draft", SlugChoice::FromTitle),
            Event::Autosaved,
        )
        .unwrap()
        .unwrap();
        let existing = |version: i32| Target::Existing {
            id: saved.id,
            expected_version: Some(version),
        };
        let published = SaveRequest {
            target: existing(1),
            text: Text::plain("Draft", "Changed *text*."),
            publication: Some(Publication {
                status: Status::Published,
                published_at: Some(Utc::now().naive_utc()),
            }),
            change: Some(Change::Published),
            ..new_post(author, "Draft", SlugChoice::Unchanged)
        };
        save_post(conn, &published).unwrap().unwrap();
        let unpublished = SaveRequest {
            target: existing(2),
            publication: Some(Publication::DRAFT),
            change: Some(Change::Unpublished),
            ..published
        };
        save_post(conn, &unpublished).unwrap().unwrap();
        assert_eq!(events(conn, saved.id), ["autosaved", "published"]);

        let first = revisions::history(conn, saved.id).unwrap()[1].0.id;
        restore_revision(conn, saved.id, first, author)
            .unwrap()
            .unwrap();
        assert_eq!(
            events(conn, saved.id),
            ["autosaved", "published", "restored"]
        );
        // Restoring what is already the newest text adds nothing either.
        let newest = revisions::history(conn, saved.id).unwrap()[0].0.id;
        restore_revision(conn, saved.id, newest, author)
            .unwrap()
            .unwrap();
        assert_eq!(events(conn, saved.id).len(), 3);
        assert_eq!(posts::find(conn, saved.id).unwrap().unwrap().version, 5);
    }

    #[test]
    fn a_taken_slug_is_refused_or_numbered() {
        let (_dir, pool, author) = database();
        let conn = &mut pool.get().unwrap();
        save_post(
            conn,
            &new_post(author, "First", SlugChoice::Exactly("same")),
        )
        .unwrap()
        .unwrap();
        let refused = save_post(
            conn,
            &new_post(author, "Second", SlugChoice::Exactly("same")),
        )
        .unwrap()
        .unwrap_err();
        assert_eq!(refused.field(), Some("slug"));
        assert_eq!(
            refused.to_string(),
            "The slug “same” is already used by “First”."
        );
        let numbered = save_post(
            conn,
            &new_post(author, "Second", SlugChoice::FreeFrom("same")),
        )
        .unwrap()
        .unwrap();
        assert_eq!(numbered.slug, "same-2");
    }

    #[test]
    fn inside_a_callers_transaction_a_refusal_undoes_only_its_own_save() {
        let (_dir, pool, author) = database();
        let conn = &mut pool.get().unwrap();
        let kept = db::write_transaction(conn, |conn| -> QueryResult<_> {
            let kept = save_post(conn, &new_post(author, "Kept", SlugChoice::Exactly("kept")))?;
            let refused = save_post(conn, &new_post(author, "Not", SlugChoice::Exactly("kept")))?;
            assert!(refused.is_err());
            Ok(kept)
        })
        .unwrap()
        .unwrap();
        assert!(posts::find(conn, kept.id).unwrap().is_some());
        assert_eq!(
            posts::slug_owner(conn, "kept").unwrap(),
            Some((kept.id, "Kept".into()))
        );
    }

    #[test]
    fn a_restored_revision_is_a_new_version_and_a_new_revision() {
        let (_dir, pool, author) = database();
        let conn = &mut pool.get().unwrap();
        let saved = save_post(conn, &new_post(author, "Old", SlugChoice::FromTitle))
            .unwrap()
            .unwrap();
        let first = revisions::history(conn, saved.id).unwrap()[0].0.clone();
        let edit = SaveRequest {
            target: Target::Existing {
                id: saved.id,
                expected_version: Some(1),
            },
            ..new_post(author, "New", SlugChoice::Unchanged)
        };
        save_post(conn, &edit).unwrap().unwrap();
        restore_revision(conn, saved.id, first.id, author)
            .unwrap()
            .unwrap();
        let post = posts::find(conn, saved.id).unwrap().unwrap();
        assert_eq!((post.title.as_str(), post.version), ("Old", 3));
        assert_eq!(post.slug, "old", "the slug stays");
        assert_eq!(posts::revision_count(conn, saved.id).unwrap(), 3);
        assert!(matches!(
            restore_revision(conn, saved.id, first.id + 100, author).unwrap(),
            Err(SaveRefusal::NotFound)
        ));
    }
}
