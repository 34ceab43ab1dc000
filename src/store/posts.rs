//! Posts and pages, their tags, revisions and old-slug redirects.

use chrono::{NaiveDateTime, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{post_tags, posts, redirects, revisions, tags, users};
use crate::domain::permissions::PostFacts;
use crate::domain::post::{self, Kind, Stage, Status};
use crate::domain::slug::slugify;

use crate::db::lower;

#[derive(Debug, Clone, Queryable, Selectable)]
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
}

impl Post {
    pub fn kind(&self) -> Kind {
        Kind::parse(&self.kind).unwrap_or(Kind::Post)
    }

    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Draft)
    }

    pub fn stage(&self, now: NaiveDateTime) -> Stage {
        post::stage(self.status(), self.published_at, self.deleted_at, now)
    }

    /// What the permission and transition rules look at.
    pub fn facts(&self) -> PostFacts {
        PostFacts {
            kind: self.kind(),
            author_id: self.author_id,
            status: self.status(),
            published_at: self.published_at,
        }
    }

    pub fn display_title(&self) -> &str {
        if self.title.trim().is_empty() {
            "Untitled"
        } else {
            &self.title
        }
    }
}

/// The editable content of a post, validated and rendered.
pub struct Content<'a> {
    pub title: &'a str,
    pub slug: &'a str,
    pub body_markdown: &'a str,
    pub body_html: &'a str,
    pub excerpt: &'a str,
    pub meta_title: Option<&'a str>,
    pub meta_description: Option<&'a str>,
    pub canonical_url: Option<&'a str>,
}

pub fn find(conn: &mut DbConnection, id: i32) -> QueryResult<Option<Post>> {
    posts::table
        .find(id)
        .select(Post::as_select())
        .first(conn)
        .optional()
}

/// Who holds `slug` (any post or page, trash included), if anyone.
pub fn slug_owner(conn: &mut DbConnection, slug: &str) -> QueryResult<Option<(i32, String)>> {
    posts::table
        .filter(posts::slug.eq(slug))
        .select((posts::id, posts::title))
        .first(conn)
        .optional()
}

/// Who holds a slug: the post or page that has it, or an old address `/slug` that
/// redirects (to a post, or imported to another path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlugHolder {
    Post { id: i32, title: String },
    Redirect { post_id: Option<i32>, title: String },
}

impl SlugHolder {
    /// Whether the slug is `post`'s own: its current slug, or one of its old ones (a post
    /// may move back to an old address; nobody else may take it over).
    pub fn is(&self, post: Option<i32>) -> bool {
        match self {
            SlugHolder::Post { id, .. } => Some(*id) == post,
            SlugHolder::Redirect { post_id, .. } => post_id.is_some() && *post_id == post,
        }
    }
}

/// Who holds `slug` (posts and pages, trash included, then redirects), if anyone.
pub fn slug_holder(conn: &mut DbConnection, slug: &str) -> QueryResult<Option<SlugHolder>> {
    if let Some((id, title)) = slug_owner(conn, slug)? {
        return Ok(Some(SlugHolder::Post { id, title }));
    }
    let redirect: Option<(Option<i32>, Option<String>)> = redirects::table
        .left_join(posts::table)
        .filter(redirects::from_path.eq(format!("/{slug}")))
        .select((redirects::post_id, posts::title.nullable()))
        .first(conn)
        .optional()?;
    Ok(redirect.map(|(post_id, title)| SlugHolder::Redirect {
        post_id,
        title: title.unwrap_or_default(),
    }))
}

/// `base`, or `base-2`, `base-3`… whichever nobody else holds (see [`slug_holder`]).
pub fn free_slug(conn: &mut DbConnection, base: &str, except: Option<i32>) -> QueryResult<String> {
    let mut attempt = 1;
    loop {
        let candidate = crate::domain::slug::numbered(base, attempt);
        match slug_holder(conn, &candidate)? {
            Some(holder) if !holder.is(except) => attempt += 1,
            _ => return Ok(candidate),
        }
    }
}

pub fn create(
    conn: &mut DbConnection,
    kind: Kind,
    author_id: i32,
    content: &Content<'_>,
    status: Status,
    published_at: Option<NaiveDateTime>,
) -> QueryResult<i32> {
    let now = Utc::now().naive_utc();
    diesel::insert_into(posts::table)
        .values((
            posts::kind.eq(kind.as_str()),
            posts::status.eq(status.as_str()),
            posts::title.eq(content.title),
            posts::slug.eq(content.slug),
            posts::body_markdown.eq(content.body_markdown),
            posts::body_html.eq(content.body_html),
            posts::excerpt.eq(content.excerpt),
            posts::author_id.eq(author_id),
            posts::meta_title.eq(content.meta_title),
            posts::meta_description.eq(content.meta_description),
            posts::canonical_url.eq(content.canonical_url),
            posts::version.eq(1),
            posts::created_at.eq(now),
            posts::updated_at.eq(now),
            posts::published_at.eq(published_at),
            posts::search_text.eq(crate::render::markdown::plain_text(content.body_markdown)),
        ))
        .returning(posts::id)
        .get_result(conn)
}

/// Saves over the post only if nobody saved since `expected_version` was loaded; false
/// means someone did (the caller shows both texts).
pub fn update(
    conn: &mut DbConnection,
    id: i32,
    expected_version: i32,
    content: &Content<'_>,
    status: Status,
    published_at: Option<NaiveDateTime>,
) -> QueryResult<bool> {
    let updated = diesel::update(
        posts::table
            .find(id)
            .filter(posts::version.eq(expected_version)),
    )
    .set((
        posts::status.eq(status.as_str()),
        posts::title.eq(content.title),
        posts::slug.eq(content.slug),
        posts::body_markdown.eq(content.body_markdown),
        posts::body_html.eq(content.body_html),
        posts::excerpt.eq(content.excerpt),
        posts::meta_title.eq(content.meta_title),
        posts::meta_description.eq(content.meta_description),
        posts::canonical_url.eq(content.canonical_url),
        posts::version.eq(expected_version + 1),
        posts::updated_at.eq(Utc::now().naive_utc()),
        posts::published_at.eq(published_at),
        posts::search_text.eq(crate::render::markdown::plain_text(content.body_markdown)),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Moves a post to the trash, or back out of it.
pub fn set_trashed(conn: &mut DbConnection, id: i32, trashed: bool) -> QueryResult<usize> {
    let now = Utc::now().naive_utc();
    diesel::update(posts::table.find(id))
        .set((
            posts::deleted_at.eq(trashed.then_some(now)),
            posts::updated_at.eq(now),
            posts::version.eq(posts::version + 1),
        ))
        .execute(conn)
}

/// Deletes trashed posts for good (tags, revisions and redirects go with them).
pub fn empty_trash(conn: &mut DbConnection, kind: Kind) -> QueryResult<usize> {
    diesel::delete(
        posts::table
            .filter(posts::kind.eq(kind.as_str()))
            .filter(posts::deleted_at.is_not_null()),
    )
    .execute(conn)
}

#[derive(Debug, Clone, Queryable)]
pub struct TagRow {
    pub id: i32,
    pub name: String,
    pub slug: String,
}

pub fn tags_of(conn: &mut DbConnection, post_id: i32) -> QueryResult<Vec<TagRow>> {
    tags::table
        .inner_join(post_tags::table)
        .filter(post_tags::post_id.eq(post_id))
        .order(tags::name.asc())
        .select((tags::id, tags::name, tags::slug))
        .load(conn)
}

/// The names of the site's tags, by name (at most `limit`): the editor suggests them.
pub fn tag_names(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<String>> {
    tags::table
        .order(tags::name.asc())
        .select(tags::name)
        .limit(limit)
        .load(conn)
}

/// Makes the post's tags exactly `names`, creating tags that don't exist yet (matched by
/// slug, so "Rust" and "rust" are one tag).
pub fn set_tags(conn: &mut DbConnection, post_id: i32, names: &[String]) -> QueryResult<()> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let Some(slug) = slugify(name) else { continue };
        let existing: Option<i32> = tags::table
            .filter(tags::slug.eq(&slug))
            .select(tags::id)
            .first(conn)
            .optional()?;
        let id = match existing {
            Some(id) => id,
            None => diesel::insert_into(tags::table)
                .values((
                    tags::name.eq(name),
                    tags::slug.eq(&slug),
                    tags::description.eq(""),
                    tags::created_at.eq(Utc::now().naive_utc()),
                ))
                .returning(tags::id)
                .get_result(conn)?,
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    diesel::delete(
        post_tags::table
            .filter(post_tags::post_id.eq(post_id))
            .filter(post_tags::tag_id.ne_all(&ids)),
    )
    .execute(conn)?;
    let present: Vec<i32> = post_tags::table
        .filter(post_tags::post_id.eq(post_id))
        .select(post_tags::tag_id)
        .load(conn)?;
    for id in ids.into_iter().filter(|id| !present.contains(id)) {
        diesel::insert_into(post_tags::table)
            .values((post_tags::post_id.eq(post_id), post_tags::tag_id.eq(id)))
            .execute(conn)?;
    }
    Ok(())
}

/// Stores a revision saying "saved", unless the text is the newest one's (see
/// `revisions::record`).
pub fn add_revision(
    conn: &mut DbConnection,
    post_id: i32,
    author_id: i32,
    title: &str,
    body_markdown: &str,
) -> QueryResult<bool> {
    super::revisions::record(
        conn,
        post_id,
        author_id,
        title,
        body_markdown,
        crate::domain::revision::Event::Saved,
    )
}

pub fn revision_count(conn: &mut DbConnection, post_id: i32) -> QueryResult<i64> {
    revisions::table
        .filter(revisions::post_id.eq(post_id))
        .filter(revisions::is_autosave.eq(false))
        .count()
        .get_result(conn)
}

/// The old address of a published post now answers 301 to the post; an old slug taken
/// back by its own post stops redirecting. (Another post's redirect is never removed here:
/// the editor refuses a slug another post's redirect holds.)
pub fn record_slug_change(
    conn: &mut DbConnection,
    post_id: i32,
    old_slug: &str,
    new_slug: &str,
) -> QueryResult<()> {
    let old_path = format!("/{old_slug}");
    diesel::delete(
        redirects::table
            .filter(redirects::from_path.eq(format!("/{new_slug}")))
            .filter(redirects::post_id.eq(post_id)),
    )
    .execute(conn)?;
    let updated = diesel::update(redirects::table.filter(redirects::from_path.eq(&old_path)))
        .set(redirects::post_id.eq(post_id))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(redirects::table)
            .values((
                redirects::from_path.eq(&old_path),
                redirects::post_id.eq(post_id),
                redirects::created_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Which posts the admin list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageFilter {
    Draft,
    Pending,
    Scheduled,
    Published,
}

impl StageFilter {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "draft" => Some(Self::Draft),
            "pending" => Some(Self::Pending),
            "scheduled" => Some(Self::Scheduled),
            "published" => Some(Self::Published),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Updated,
    Published,
    /// Soonest first: for upcoming scheduled posts.
    PublishedAscending,
}

pub struct ListFilter {
    pub kind: Kind,
    /// Only this author's posts (the viewer's own, for contributors and authors).
    pub author: Option<i32>,
    pub stage: Option<StageFilter>,
    pub tag_slug: Option<String>,
    pub title_contains: Option<String>,
    pub trashed: bool,
    pub sort: Sort,
    pub offset: i64,
    pub limit: i64,
}

/// A row of the admin list: the post and its author's name.
pub type ListRow = (Post, String);

pub fn list(
    conn: &mut DbConnection,
    filter: &ListFilter,
    now: NaiveDateTime,
) -> QueryResult<(Vec<ListRow>, i64)> {
    let query = filtered(filter, now);
    let query = match filter.sort {
        Sort::Updated => query.order((posts::updated_at.desc(), posts::id.desc())),
        Sort::Published => query.order((posts::published_at.desc(), posts::id.desc())),
        Sort::PublishedAscending => query.order((posts::published_at.asc(), posts::id.asc())),
    };
    let found: Vec<Post> = query
        .select(Post::as_select())
        .offset(filter.offset)
        .limit(filter.limit)
        .load(conn)?;
    let author_ids: Vec<i32> = found.iter().map(|p| p.author_id).collect();
    let names: Vec<(i32, String)> = users::table
        .filter(users::id.eq_any(&author_ids))
        .select((users::id, users::display_name))
        .load(conn)?;
    let rows = found
        .into_iter()
        .map(|post| {
            let name = names
                .iter()
                .find(|(id, _)| *id == post.author_id)
                .map_or_else(String::new, |(_, name)| name.clone());
            (post, name)
        })
        .collect();
    let total = filtered(filter, now).select(count_star()).first(conn)?;
    Ok((rows, total))
}

fn filtered<'a>(
    filter: &ListFilter,
    now: NaiveDateTime,
) -> posts::BoxedQuery<'a, crate::db::MultiBackend> {
    let mut query = posts::table
        .filter(posts::kind.eq(filter.kind.as_str()))
        .into_boxed();
    query = if filter.trashed {
        query.filter(posts::deleted_at.is_not_null())
    } else {
        query.filter(posts::deleted_at.is_null())
    };
    if let Some(author) = filter.author {
        query = query.filter(posts::author_id.eq(author));
    }
    query = match filter.stage {
        None => query,
        Some(StageFilter::Draft) => query.filter(posts::status.eq("draft")),
        Some(StageFilter::Pending) => query.filter(posts::status.eq("pending")),
        Some(StageFilter::Scheduled) => query
            .filter(posts::status.eq("published"))
            .filter(posts::published_at.gt(now)),
        Some(StageFilter::Published) => query
            .filter(posts::status.eq("published"))
            .filter(posts::published_at.le(now)),
    };
    if let Some(slug) = &filter.tag_slug {
        let tagged = post_tags::table
            .inner_join(tags::table)
            .filter(tags::slug.eq(slug.clone()))
            .select(post_tags::post_id);
        query = query.filter(posts::id.eq_any(tagged));
    }
    if let Some(text) = &filter.title_contains {
        query = query.filter(
            lower(posts::title)
                .like(crate::db::contains_pattern(text))
                .escape('\\'),
        );
    }
    query
}

/// Counts for the dashboard: drafts, pending, scheduled, published (trash excluded),
/// of one author or of everyone.
pub struct Counts {
    pub drafts: i64,
    pub pending: i64,
    pub scheduled: i64,
    pub published: i64,
}

pub fn counts(
    conn: &mut DbConnection,
    kind: Kind,
    author: Option<i32>,
    now: NaiveDateTime,
) -> QueryResult<Counts> {
    let mut count = |stage| {
        let filter = ListFilter {
            kind,
            author,
            stage: Some(stage),
            tag_slug: None,
            title_contains: None,
            trashed: false,
            sort: Sort::Updated,
            offset: 0,
            limit: 0,
        };
        filtered(&filter, now)
            .select(count_star())
            .first::<i64>(conn)
    };
    Ok(Counts {
        drafts: count(StageFilter::Draft)?,
        pending: count(StageFilter::Pending)?,
        scheduled: count(StageFilter::Scheduled)?,
        published: count(StageFilter::Published)?,
    })
}

/// The post a new site starts with: what Markdown can do and how to begin.
pub fn create_welcome(conn: &mut DbConnection, author_id: i32) -> QueryResult<i32> {
    const WELCOME: &str = include_str!("welcome.md");
    let title = "Welcome to Folio";
    let slug = free_slug(conn, "welcome-to-folio", None)?;
    let html = crate::render::render(WELCOME, &Default::default()).into_string();
    let content = Content {
        title,
        slug: &slug,
        body_markdown: WELCOME,
        body_html: &html,
        excerpt: "",
        meta_title: None,
        meta_description: None,
        canonical_url: None,
    };
    let id = create(
        conn,
        Kind::Post,
        author_id,
        &content,
        Status::Published,
        Some(Utc::now().naive_utc()),
    )?;
    set_tags(conn, id, &["Getting started".to_owned()])?;
    super::revisions::record(
        conn,
        id,
        author_id,
        title,
        WELCOME,
        crate::domain::revision::Event::Published,
    )?;
    Ok(id)
}

/// Fills `search_text` for posts written before it existed (once, at start-up).
pub fn backfill_search_text(conn: &mut DbConnection) -> QueryResult<usize> {
    let missing: Vec<(i32, String)> = posts::table
        .filter(posts::search_text.eq(""))
        .filter(posts::body_markdown.ne(""))
        .select((posts::id, posts::body_markdown))
        .load(conn)?;
    for (id, body) in &missing {
        diesel::update(posts::table.find(id))
            .set(posts::search_text.eq(crate::render::markdown::plain_text(body)))
            .execute(conn)?;
    }
    Ok(missing.len())
}

pub fn body_markdown(conn: &mut DbConnection, id: i32) -> QueryResult<String> {
    posts::table
        .find(id)
        .select(posts::body_markdown)
        .first(conn)
}

/// Replaces the cached HTML of a post (its text did not change: what it shows did).
pub fn set_body_html(conn: &mut DbConnection, id: i32, html: &str) -> QueryResult<usize> {
    diesel::update(posts::table.find(id))
        .set(posts::body_html.eq(html))
        .execute(conn)
}

pub fn set_featured(conn: &mut DbConnection, id: i32, media_id: Option<i32>) -> QueryResult<usize> {
    diesel::update(posts::table.find(id))
        .set(posts::featured_media_id.eq(media_id))
        .execute(conn)
}
