//! What readers can see: published, due, not trashed. Every query here filters with
//! [`visible`], so scheduling is decided at query time on every node.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::dialect::{self, SearchPage};
/// The markers around the matched words in a search hit's snippet.
pub use crate::db::dialect::{MARK_END, MARK_START};
use crate::db::schema::{post_tags, posts, redirects, tags, users};
use crate::db::{DbConnection, first_row, load_rows};
use crate::domain::post::Kind;
use crate::media::picture::Picture;
use crate::store::posts::Post;

/// `status = 'published' AND published_at <= now AND deleted_at IS NULL`.
#[diesel::dsl::auto_type]
fn visible(now: NaiveDateTime) -> _ {
    let published: &'static str = "published";
    posts::status
        .eq(published)
        .and(posts::published_at.le(now))
        .and(posts::deleted_at.is_null())
}

#[derive(Debug, Clone, Queryable)]
pub struct Author {
    pub id: i32,
    pub name: String,
    pub slug: String,
    pub bio: String,
}

#[derive(Debug, Clone, Queryable)]
pub struct TagLink {
    pub name: String,
    pub slug: String,
}

#[derive(Debug, Clone, Queryable)]
pub struct Tag {
    pub id: i32,
    pub name: String,
    pub slug: String,
    pub description: String,
}

/// A post with what its page or list entry shows around it.
#[derive(Debug, Clone)]
pub struct Published {
    pub post: Post,
    pub author: Author,
    pub tags: Vec<TagLink>,
    /// The featured image, if it is set and still in the library, and its caption.
    pub featured: Option<(Picture, String)>,
}

/// Which posts an archive lists.
#[derive(Debug, Clone, Copy)]
pub enum Archive {
    Home,
    Tag(i32),
    Author(i32),
}

/// One page of an archive, newest first, and whether another page follows (one row more
/// is read instead of counting every visible post on each request).
pub fn archive(
    conn: &mut DbConnection,
    which: Archive,
    now: NaiveDateTime,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<Published>, bool)> {
    let mut query = posts::table
        .filter(visible(now))
        .filter(posts::kind.eq(Kind::Post.as_str()))
        .into_boxed();
    match which {
        Archive::Home => {}
        Archive::Tag(tag_id) => {
            let tagged = post_tags::table
                .filter(post_tags::tag_id.eq(tag_id))
                .select(post_tags::post_id);
            query = query.filter(posts::id.eq_any(tagged));
        }
        Archive::Author(author_id) => {
            query = query.filter(posts::author_id.eq(author_id));
        }
    }
    let mut found: Vec<Post> = query
        .order((posts::published_at.desc(), posts::id.desc()))
        .offset(offset)
        .limit(limit + 1)
        .select(Post::as_select())
        .load(conn)?;
    let more = found.len() as i64 > limit;
    found.truncate(usize::try_from(limit).unwrap_or(0));
    Ok((with_authors_and_tags(conn, found)?, more))
}

fn with_authors_and_tags(conn: &mut DbConnection, found: Vec<Post>) -> QueryResult<Vec<Published>> {
    let ids: Vec<i32> = found.iter().map(|p| p.id).collect();
    let author_ids: Vec<i32> = found.iter().map(|p| p.author_id).collect();
    let authors: HashMap<i32, Author> = users::table
        .filter(users::id.eq_any(&author_ids))
        .select((users::id, users::display_name, users::slug, users::bio))
        .load::<Author>(conn)?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let mut tags_by_post: HashMap<i32, Vec<TagLink>> = HashMap::new();
    let rows: Vec<(i32, String, String)> = post_tags::table
        .inner_join(tags::table)
        .filter(post_tags::post_id.eq_any(&ids))
        .order(tags::name.asc())
        .select((post_tags::post_id, tags::name, tags::slug))
        .load(conn)?;
    for (post_id, name, slug) in rows {
        tags_by_post
            .entry(post_id)
            .or_default()
            .push(TagLink { name, slug });
    }
    let featured_ids: Vec<i32> = found.iter().filter_map(|p| p.featured_media_id).collect();
    let featured: HashMap<i32, (Picture, String)> = if featured_ids.is_empty() {
        HashMap::new()
    } else {
        crate::store::media::find_many(conn, &featured_ids)?
            .into_iter()
            .filter_map(|row| {
                let picture = Picture::of(&row)?;
                Some((row.id, (picture, row.caption)))
            })
            .collect()
    };
    Ok(found
        .into_iter()
        .filter_map(|post| {
            let author = authors.get(&post.author_id)?.clone();
            let tags = tags_by_post.remove(&post.id).unwrap_or_default();
            let featured = post
                .featured_media_id
                .and_then(|id| featured.get(&id).cloned());
            Some(Published {
                post,
                author,
                tags,
                featured,
            })
        })
        .collect())
}

/// The featured image of one post (for previews), if set and still in the library.
pub fn featured_of(conn: &mut DbConnection, post: &Post) -> QueryResult<Option<(Picture, String)>> {
    let Some(id) = post.featured_media_id else {
        return Ok(None);
    };
    Ok(
        crate::store::media::find(conn, id)?
            .and_then(|row| Some((Picture::of(&row)?, row.caption))),
    )
}

/// Visible posts and pages by id, in the order of `ids` (for search results).
pub fn by_ids(
    conn: &mut DbConnection,
    ids: &[i32],
    now: NaiveDateTime,
) -> QueryResult<Vec<Published>> {
    let found: Vec<Post> = posts::table
        .filter(visible(now))
        .filter(posts::id.eq_any(ids))
        .select(Post::as_select())
        .load(conn)?;
    let mut published = with_authors_and_tags(conn, found)?;
    published.sort_by_key(|p| ids.iter().position(|id| *id == p.post.id));
    Ok(published)
}

/// One page of full-text search results (see `dialect::search` for the ranking), and the
/// published posts and pages its hits name, in the same order.
pub fn search(
    conn: &mut DbConnection,
    words: &[String],
    now: NaiveDateTime,
    offset: i64,
    limit: i64,
) -> QueryResult<(SearchPage, Vec<Published>)> {
    let found = dialect::search(conn, words, now, offset, limit)?;
    let ids: Vec<i32> = found.hits.iter().map(|h| h.id).collect();
    let published = by_ids(conn, &ids, now)?;
    Ok((found, published))
}

/// The visible post or page at `/{slug}`, with its author (one joined query), its tags
/// and its featured image. Every statement here is built without `into_boxed` or
/// `eq_any`, so diesel keeps it prepared on the connection between requests.
pub fn by_slug(
    conn: &mut DbConnection,
    slug: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Published>> {
    // A `Post`'s columns, the same on either backend (`Post::as_select()` would tie the
    // query to one, and `load_rows` runs it on the backend's own connection).
    let post_columns = <Post as Selectable<diesel::sqlite::Sqlite>>::construct_selection();
    // Slugs are unique: no LIMIT (see `db::first_row` for what one costs on SQLite).
    let found: Option<(Post, Author)> = load_rows(
        conn,
        posts::table
            .inner_join(users::table)
            .filter(visible(now))
            .filter(posts::slug.eq(slug))
            .select((
                post_columns,
                (users::id, users::display_name, users::slug, users::bio),
            )),
    )?
    .pop();
    let Some((post, author)) = found else {
        return Ok(None);
    };
    let tags: Vec<TagLink> = load_rows(
        conn,
        post_tags::table
            .inner_join(tags::table)
            .filter(post_tags::post_id.eq(post.id))
            .order(tags::name.asc())
            .select((tags::name, tags::slug)),
    )?;
    let featured = featured_of(conn, &post)?;
    Ok(Some(Published {
        post,
        author,
        tags,
        featured,
    }))
}

/// Title and slug of an adjacent post.
pub type Neighbour = (String, String);

/// The neighbours of a post in publication order: (older, newer).
///
/// Each query's index range (`posts_public_idx`: kind, status, published_at, id) starts
/// at the post's own date, so it reads a row or two. Bounded by `published_at <= now`
/// instead, with the post's date only as a filter, SQLite walked the index from today
/// down to the post: 0.8 ms each in the middle of a 10,000-post archive.
pub fn neighbours(
    conn: &mut DbConnection,
    post: &Post,
    now: NaiveDateTime,
) -> QueryResult<(Option<Neighbour>, Option<Neighbour>)> {
    let Some(at) = post.published_at else {
        return Ok((None, None));
    };
    let published: &'static str = "published";
    let listed = || {
        posts::table
            .filter(posts::kind.eq(Kind::Post.as_str()))
            .filter(posts::status.eq(published))
            .filter(posts::deleted_at.is_null())
            .select((posts::title, posts::slug))
    };
    // Older: (published_at, id) < (at, id), and visible (`<= now` follows from `<= at`
    // for a visible post; `min` keeps it true for any other).
    let older = first_row(
        conn,
        listed()
            .filter(posts::published_at.le(at.min(now)))
            .filter(posts::published_at.lt(at).or(posts::id.lt(post.id)))
            .order((posts::published_at.desc(), posts::id.desc())),
    )?;
    // Newer: (published_at, id) > (at, id), and visible: between the post's date and now.
    let newer = first_row(
        conn,
        listed()
            .filter(posts::published_at.ge(at))
            .filter(posts::published_at.le(now))
            .filter(posts::published_at.gt(at).or(posts::id.gt(post.id)))
            .order((posts::published_at.asc(), posts::id.asc())),
    )?;
    Ok((older, newer))
}

/// Where an old address points now: the current slug of a visible post.
pub fn redirect_target(
    conn: &mut DbConnection,
    path: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<String>> {
    first_row(
        conn,
        redirects::table
            .inner_join(posts::table)
            .filter(redirects::from_path.eq(path))
            .filter(visible(now))
            .select(posts::slug),
    )
}

/// A tag with at least one visible post: a tag typed only into drafts (or scheduled
/// posts) has no public page or feed yet.
pub fn tag_by_slug(
    conn: &mut DbConnection,
    slug: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Tag>> {
    let tagged_public = post_tags::table
        .inner_join(posts::table)
        .filter(post_tags::tag_id.eq(tags::id))
        .filter(visible(now))
        .filter(posts::kind.eq(Kind::Post.as_str()));
    first_row(
        conn,
        tags::table
            .filter(tags::slug.eq(slug))
            .filter(diesel::dsl::exists(tagged_public))
            .select((tags::id, tags::name, tags::slug, tags::description)),
    )
}

pub fn author_by_id(conn: &mut DbConnection, id: i32) -> QueryResult<Option<Author>> {
    users::table
        .find(id)
        .select((users::id, users::display_name, users::slug, users::bio))
        .first(conn)
        .optional()
}

/// An account with at least one visible post: nobody else (admins who don't write,
/// imported authors of drafts) has a public page.
pub fn author_by_slug(
    conn: &mut DbConnection,
    slug: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Author>> {
    let written = posts::table
        .filter(posts::author_id.eq(users::id))
        .filter(visible(now))
        .filter(posts::kind.eq(Kind::Post.as_str()));
    first_row(
        conn,
        users::table
            .filter(users::slug.eq(slug))
            .filter(diesel::dsl::exists(written))
            .select((users::id, users::display_name, users::slug, users::bio)),
    )
}

/// One public address (a path) and when what it shows last changed.
pub struct SitemapEntry {
    pub path: String,
    pub last_modified: NaiveDateTime,
}

/// When each visible post or page last changed, in the sitemap's order (oldest
/// publication first, so the files of a sitemap index keep their posts as new ones come):
/// what the index needs to count its files and date each one, without the slugs.
pub fn sitemap_post_dates(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> QueryResult<Vec<NaiveDateTime>> {
    posts::table
        .filter(visible(now))
        .order((posts::published_at.asc(), posts::id.asc()))
        .select(posts::updated_at)
        .load(conn)
}

/// Visible posts and pages in the sitemap's order (see [`sitemap_post_dates`]): `limit`
/// of them from `offset`.
pub fn sitemap_posts(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<SitemapEntry>> {
    Ok(posts::table
        .filter(visible(now))
        .order((posts::published_at.asc(), posts::id.asc()))
        .select((posts::slug, posts::updated_at))
        .offset(offset)
        .limit(limit)
        .load::<(String, NaiveDateTime)>(conn)?
        .into_iter()
        .map(|(slug, at)| SitemapEntry {
            path: format!("/{slug}"),
            last_modified: at,
        })
        .collect())
}

/// The archive pages with something published: tags, then authors.
pub fn sitemap_archives(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> QueryResult<Vec<SitemapEntry>> {
    use diesel::dsl::max;
    let by_tag: Vec<(String, Option<NaiveDateTime>)> = post_tags::table
        .inner_join(tags::table)
        .inner_join(posts::table)
        .filter(visible(now))
        .filter(posts::kind.eq(Kind::Post.as_str()))
        .group_by(tags::slug)
        .select((tags::slug, max(posts::updated_at)))
        .order(tags::slug.asc())
        .load(conn)?;
    let by_author: Vec<(String, Option<NaiveDateTime>)> = posts::table
        .inner_join(users::table)
        .filter(visible(now))
        .filter(posts::kind.eq(Kind::Post.as_str()))
        .group_by(users::slug)
        .select((users::slug, max(posts::updated_at)))
        .order(users::slug.asc())
        .load(conn)?;
    let mut entries = Vec::with_capacity(by_tag.len() + by_author.len());
    for (prefix, rows) in [("/tag/", by_tag), ("/author/", by_author)] {
        entries.extend(rows.into_iter().filter_map(|(slug, at)| {
            Some(SitemapEntry {
                path: format!("{prefix}{slug}"),
                last_modified: at?,
            })
        }));
    }
    Ok(entries)
}

/// When the next scheduled post or page becomes public, if one is scheduled.
pub fn next_publication(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    posts::table
        .filter(posts::status.eq("published"))
        .filter(posts::published_at.gt(now))
        .filter(posts::deleted_at.is_null())
        .select(diesel::dsl::min(posts::published_at))
        .first(conn)
}
