//! Tags as editors manage them: counts, creation, renames, deletes, merges. The changes are
//! commands: each is whole in one statement or one write transaction.

use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::db::schema::{post_tags, posts, tags};
use crate::db::{self, DbConnection};

#[derive(Debug, Clone, Queryable)]
pub struct TagRow {
    pub id: i32,
    pub name: String,
    pub slug: String,
    pub description: String,
}

/// Every tag with the number of posts (not in the trash) that carry it, by name.
pub fn with_counts(conn: &mut DbConnection) -> QueryResult<Vec<(TagRow, i64)>> {
    let all: Vec<TagRow> = tags::table
        .order(tags::name.asc())
        .select((tags::id, tags::name, tags::slug, tags::description))
        .load(conn)?;
    let counts: Vec<(i32, i64)> = post_tags::table
        .inner_join(posts::table)
        .filter(posts::deleted_at.is_null())
        .group_by(post_tags::tag_id)
        .select((post_tags::tag_id, count_star()))
        .load(conn)?;
    Ok(all
        .into_iter()
        .map(|tag| {
            let n = counts
                .iter()
                .find(|(id, _)| *id == tag.id)
                .map_or(0, |(_, n)| *n);
            (tag, n)
        })
        .collect())
}

pub fn find(conn: &mut DbConnection, id: i32) -> QueryResult<Option<TagRow>> {
    tags::table
        .find(id)
        .select((tags::id, tags::name, tags::slug, tags::description))
        .first(conn)
        .optional()
}

fn slug_taken_by_other(conn: &mut DbConnection, slug: &str, id: i32) -> QueryResult<bool> {
    let n: i64 = tags::table
        .filter(tags::slug.eq(slug))
        .filter(tags::id.ne(id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// A tag's new name, slug and description (already checked against the form's rules).
pub struct TagEdit<'a> {
    pub name: &'a str,
    pub slug: &'a str,
    pub description: &'a str,
}

#[derive(Debug, PartialEq, Eq)]
pub enum RenameOutcome {
    Saved,
    /// Another tag has the slug; nothing was saved.
    SlugTaken,
}

#[derive(Debug, PartialEq, Eq)]
pub enum CreateOutcome {
    Created(i32),
    /// A tag has the slug already; nothing was saved.
    SlugTaken,
}

/// Creates a tag unless one has the slug (tags are one per slug: "Rust" and "rust" are
/// the same tag).
pub fn create(conn: &mut DbConnection, edit: &TagEdit<'_>) -> QueryResult<CreateOutcome> {
    db::write_transaction(conn, |conn| {
        let taken: i64 = tags::table
            .filter(tags::slug.eq(edit.slug))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            return Ok(CreateOutcome::SlugTaken);
        }
        let id = diesel::insert_into(tags::table)
            .values((
                tags::name.eq(edit.name),
                tags::slug.eq(edit.slug),
                tags::description.eq(edit.description),
                tags::created_at.eq(chrono::Utc::now().naive_utc()),
            ))
            .returning(tags::id)
            .get_result(conn)?;
        Ok(CreateOutcome::Created(id))
    })
}

/// Renames tag `id` unless another tag has the slug.
pub fn rename(conn: &mut DbConnection, id: i32, edit: &TagEdit<'_>) -> QueryResult<RenameOutcome> {
    db::write_transaction(conn, |conn| {
        if slug_taken_by_other(conn, edit.slug, id)? {
            return Ok(RenameOutcome::SlugTaken);
        }
        diesel::update(tags::table.find(id))
            .set((
                tags::name.eq(edit.name),
                tags::slug.eq(edit.slug),
                tags::description.eq(edit.description),
            ))
            .execute(conn)?;
        Ok(RenameOutcome::Saved)
    })
}

/// Removes the tag from every post and deletes it.
pub fn delete(conn: &mut DbConnection, id: i32) -> QueryResult<usize> {
    diesel::delete(tags::table.find(id)).execute(conn)
}

/// Gives `from`'s posts the tag `into` and deletes `from`, in one write transaction.
/// Returns how many posts moved.
pub fn merge(conn: &mut DbConnection, from: i32, into: i32) -> QueryResult<usize> {
    db::write_transaction(conn, |conn| merge_in(conn, from, into))
}

fn merge_in(conn: &mut DbConnection, from: i32, into: i32) -> QueryResult<usize> {
    let already: Vec<i32> = post_tags::table
        .filter(post_tags::tag_id.eq(into))
        .select(post_tags::post_id)
        .load(conn)?;
    let moving: Vec<i32> = post_tags::table
        .filter(post_tags::tag_id.eq(from))
        .filter(post_tags::post_id.ne_all(&already))
        .select(post_tags::post_id)
        .load(conn)?;
    for post_id in &moving {
        diesel::insert_into(post_tags::table)
            .values((post_tags::post_id.eq(post_id), post_tags::tag_id.eq(into)))
            .execute(conn)?;
    }
    delete(conn, from)?;
    Ok(moving.len())
}
