//! Login sessions, kept server-side. The cookie holds a random token; this table holds
//! only its SHA-256, the user it belongs to and when it was made and last used. A session
//! is over when its row is gone: logging out deletes it, revoking a user's sessions
//! deletes all of theirs, and deleting the user deletes them with it (ON DELETE CASCADE).

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{sessions, users};
use crate::secrets;
use crate::store::users::User;

/// Longest user agent kept (it is only shown to the user, as a reminder of the device).
const MAX_USER_AGENT_CHARS: usize = 200;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
}

/// Where a login came from, for the row (and a future "your sessions" page).
pub struct Origin<'a> {
    pub user_agent: Option<&'a str>,
    pub ip_address: &'a str,
}

/// Stores a new session for `user_id` under the hash of `token`.
pub fn create(
    conn: &mut DbConnection,
    token: &str,
    user_id: i32,
    origin: &Origin<'_>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let user_agent: Option<String> = origin
        .user_agent
        .map(|agent| agent.chars().take(MAX_USER_AGENT_CHARS).collect());
    diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(secrets::token_hash(token)),
            sessions::user_id.eq(user_id),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
            sessions::user_agent.eq(user_agent),
            sessions::ip_address.eq(origin.ip_address),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The session named by `token` and its user, in one query.
pub fn find(conn: &mut DbConnection, token: &str) -> QueryResult<Option<(SessionRow, User)>> {
    sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(secrets::token_hash(token)))
        .select((SessionRow::as_select(), User::as_select()))
        .first(conn)
        .optional()
}

/// Marks the session as used now (keeps it from going idle).
pub fn touch(conn: &mut DbConnection, token: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(sessions::table.find(secrets::token_hash(token)))
        .set(sessions::last_seen_at.eq(now))
        .execute(conn)
}

/// Ends one session (log out). Ending all of a user's is `users::end_sessions`, beside
/// the changes that call for it.
pub fn delete(conn: &mut DbConnection, token: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.find(secrets::token_hash(token))).execute(conn)
}

/// Forgets sessions that have gone idle or outlived their lifetime (their cookies would be
/// refused anyway).
pub fn delete_expired(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    idle_timeout: TimeDelta,
    lifetime: TimeDelta,
) -> QueryResult<usize> {
    diesel::delete(
        sessions::table.filter(
            sessions::last_seen_at
                .lt(now - idle_timeout)
                .or(sessions::created_at.lt(now - lifetime)),
        ),
    )
    .execute(conn)
}

/// How many sessions the user has open.
pub fn count_of(conn: &mut DbConnection, user_id: i32) -> QueryResult<i64> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .count()
        .get_result(conn)
}
