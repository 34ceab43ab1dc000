//! Notification mails: who wants which (`mail_preferences`; no row means all on), and who
//! is told of a post's review request or publication.

use chrono::Utc;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{mail_preferences, users};
use crate::domain::Role;
use crate::store::users::STATUS_ACTIVE;

/// What a user wants to be mailed about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preferences {
    /// (Editors and admins) a post was submitted for review.
    pub review_requests: bool,
    /// Someone else published one's post.
    pub own_published: bool,
}

impl Default for Preferences {
    fn default() -> Self {
        Self {
            review_requests: true,
            own_published: true,
        }
    }
}

pub fn get(conn: &mut DbConnection, user_id: i32) -> QueryResult<Preferences> {
    let row: Option<(bool, bool)> = mail_preferences::table
        .find(user_id)
        .select((
            mail_preferences::review_requests,
            mail_preferences::own_published,
        ))
        .first(conn)
        .optional()?;
    Ok(
        row.map_or_else(Preferences::default, |(review_requests, own_published)| {
            Preferences {
                review_requests,
                own_published,
            }
        }),
    )
}

pub fn set(conn: &mut DbConnection, user_id: i32, wanted: Preferences) -> QueryResult<()> {
    let values = (
        mail_preferences::review_requests.eq(wanted.review_requests),
        mail_preferences::own_published.eq(wanted.own_published),
        mail_preferences::updated_at.eq(Utc::now().naive_utc()),
    );
    crate::db::write_transaction(conn, |conn| {
        let updated = diesel::update(mail_preferences::table.find(user_id))
            .set(values)
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(mail_preferences::table)
                .values((
                    mail_preferences::user_id.eq(user_id),
                    values.0,
                    values.1,
                    values.2,
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// Active editors and admins who want review requests, except `actor`: (email, name).
pub fn reviewers(conn: &mut DbConnection, actor: i32) -> QueryResult<Vec<(String, String)>> {
    let rows: Vec<(String, String, Option<bool>)> = users::table
        .left_join(mail_preferences::table)
        .filter(users::status.eq(STATUS_ACTIVE))
        .filter(users::role.eq_any([Role::Editor.as_str(), Role::Admin.as_str()]))
        .filter(users::id.ne(actor))
        .order(users::id)
        .select((
            users::email,
            users::display_name,
            mail_preferences::review_requests.nullable(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(_, _, wanted)| wanted.unwrap_or(true))
        .map(|(email, name, _)| (email, name))
        .collect())
}

/// The author of a post, if active and wanting to hear that it was published: (email, name).
pub fn author_to_tell(
    conn: &mut DbConnection,
    author_id: i32,
) -> QueryResult<Option<(String, String)>> {
    let row: Option<(String, String, String)> = users::table
        .find(author_id)
        .select((users::email, users::display_name, users::status))
        .first(conn)
        .optional()?;
    let wanted = get(conn, author_id)?.own_published;
    Ok(row
        .filter(|(_, _, status)| wanted && status == STATUS_ACTIVE)
        .map(|(email, name, _)| (email, name)))
}
