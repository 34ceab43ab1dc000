//! Revisions: one per explicit save that changed the text, plus at most one rolling
//! autosave per user and post. Each says what happened (`domain::revision::Event`).

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{revisions, users};
use crate::domain::revision::Event;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = revisions)]
pub struct Revision {
    pub id: i32,
    pub post_id: i32,
    pub author_id: Option<i32>,
    pub title: String,
    pub body_markdown: String,
    pub is_autosave: bool,
    pub created_at: NaiveDateTime,
    /// A `domain::revision::Event` name.
    pub event: String,
}

/// A revision as the history lists it, with its author's name (None once deleted).
pub type Listed = (Revision, Option<String>);

/// Explicit revisions of a post, newest first.
pub fn history(conn: &mut DbConnection, post_id: i32) -> QueryResult<Vec<Listed>> {
    revisions::table
        .left_join(users::table.on(revisions::author_id.eq(users::id.nullable())))
        .filter(revisions::post_id.eq(post_id))
        .filter(revisions::is_autosave.eq(false))
        .order((revisions::created_at.desc(), revisions::id.desc()))
        .select((Revision::as_select(), users::display_name.nullable()))
        .load(conn)
}

/// The newest explicit revision's title and text.
pub fn latest_text(conn: &mut DbConnection, post_id: i32) -> QueryResult<Option<(String, String)>> {
    revisions::table
        .filter(revisions::post_id.eq(post_id))
        .filter(revisions::is_autosave.eq(false))
        .order((revisions::created_at.desc(), revisions::id.desc()))
        .select((revisions::title, revisions::body_markdown))
        .first(conn)
        .optional()
}

/// Stores an explicit revision of the post, unless its title and text are those of the
/// newest one (publishing or re-saving an unchanged post adds no copy). Whether it was
/// stored.
pub fn record(
    conn: &mut DbConnection,
    post_id: i32,
    author_id: i32,
    title: &str,
    body_markdown: &str,
    event: Event,
) -> QueryResult<bool> {
    if latest_text(conn, post_id)?.is_some_and(|(t, b)| t == title && b == body_markdown) {
        return Ok(false);
    }
    diesel::insert_into(revisions::table)
        .values((
            revisions::post_id.eq(post_id),
            revisions::author_id.eq(author_id),
            revisions::title.eq(title),
            revisions::body_markdown.eq(body_markdown),
            revisions::is_autosave.eq(false),
            revisions::created_at.eq(Utc::now().naive_utc()),
            revisions::event.eq(event.as_str()),
        ))
        .execute(conn)?;
    Ok(true)
}

pub fn find(conn: &mut DbConnection, post_id: i32, id: i32) -> QueryResult<Option<Revision>> {
    revisions::table
        .find(id)
        .filter(revisions::post_id.eq(post_id))
        .select(Revision::as_select())
        .first(conn)
        .optional()
}

/// Revision `id` of post `post_id`, if `reader` may read it (someone else's autosave is
/// as absent as a revision of another post).
pub fn readable(
    conn: &mut DbConnection,
    post_id: i32,
    id: i32,
    reader: i32,
) -> QueryResult<Option<Revision>> {
    Ok(find(conn, post_id, id)?
        .filter(|r| crate::domain::post::may_read_revision(reader, r.author_id, r.is_autosave)))
}

pub fn autosave_of(
    conn: &mut DbConnection,
    post_id: i32,
    user_id: i32,
) -> QueryResult<Option<Revision>> {
    revisions::table
        .filter(revisions::post_id.eq(post_id))
        .filter(revisions::author_id.eq(user_id))
        .filter(revisions::is_autosave.eq(true))
        .select(Revision::as_select())
        .first(conn)
        .optional()
}

/// Replaces the user's rolling autosave of the post (in one transaction: there is never
/// more than one). Typing that is back to the newest saved text is nothing unsaved: the
/// autosave is then only discarded.
pub fn autosave(
    conn: &mut DbConnection,
    post_id: i32,
    user_id: i32,
    title: &str,
    body: &str,
) -> QueryResult<()> {
    crate::db::write_transaction(conn, |conn| {
        discard_autosave(conn, post_id, user_id)?;
        if latest_text(conn, post_id)?.is_some_and(|(t, b)| t == title && b == body) {
            return Ok(());
        }
        diesel::insert_into(revisions::table)
            .values((
                revisions::post_id.eq(post_id),
                revisions::author_id.eq(user_id),
                revisions::title.eq(title),
                revisions::body_markdown.eq(body),
                revisions::is_autosave.eq(true),
                revisions::created_at.eq(Utc::now().naive_utc()),
                revisions::event.eq(Event::Autosaved.as_str()),
            ))
            .execute(conn)?;
        Ok(())
    })
}

pub fn discard_autosave(conn: &mut DbConnection, post_id: i32, user_id: i32) -> QueryResult<usize> {
    diesel::delete(
        revisions::table
            .filter(revisions::post_id.eq(post_id))
            .filter(revisions::author_id.eq(user_id))
            .filter(revisions::is_autosave.eq(true)),
    )
    .execute(conn)
}
