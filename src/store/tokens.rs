//! One-time tokens. Only their SHA-256 is stored; the secret exists in the link alone.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::tokens;
use crate::error::{AppError, AppResult};
use crate::secrets;

pub const PURPOSE_SETUP: &str = "setup";

/// Creates a setup token (good until used) and returns the secret for the link. Earlier
/// unused setup tokens stay valid: several nodes may start before anyone sets up.
pub fn create_setup(conn: &mut DbConnection) -> AppResult<String> {
    let token = secrets::random_token()
        .map_err(|e| AppError::internal("no randomness for the setup token", e))?;
    diesel::insert_into(tokens::table)
        .values((
            tokens::purpose.eq(PURPOSE_SETUP),
            tokens::token_hash.eq(secrets::token_hash(&token)),
            tokens::created_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(token)
}

pub fn setup_token_is_valid(conn: &mut DbConnection, token: &str) -> QueryResult<bool> {
    let found: i64 = tokens::table
        .filter(unused_setup(secrets::token_hash(token)))
        .count()
        .get_result(conn)?;
    Ok(found == 1)
}

/// Marks the given setup token, and with it every other setup token, as used. Returns
/// false when the token was unknown or already used (e.g. by a concurrent request).
/// Call inside the transaction that creates the administrator.
pub fn consume_setup(conn: &mut DbConnection, token: &str) -> QueryResult<bool> {
    let now = Utc::now().naive_utc();
    let claimed = diesel::update(tokens::table.filter(unused_setup(secrets::token_hash(token))))
        .set(tokens::used_at.eq(now))
        .execute(conn)?;
    if claimed != 1 {
        return Ok(false);
    }
    diesel::update(
        tokens::table
            .filter(tokens::purpose.eq(PURPOSE_SETUP))
            .filter(tokens::used_at.is_null()),
    )
    .set(tokens::used_at.eq(now))
    .execute(conn)?;
    Ok(true)
}

/// The predicate for an unused setup token with this secret.
#[diesel::dsl::auto_type]
fn unused_setup(token_hash: String) -> _ {
    let purpose: &'static str = PURPOSE_SETUP;
    tokens::purpose
        .eq(purpose)
        .and(tokens::token_hash.eq(token_hash))
        .and(tokens::used_at.is_null())
}

pub const PURPOSE_INVITATION: &str = "invitation";
pub const PURPOSE_PASSWORD_RESET: &str = "password_reset";

/// How long invitations and reset links stay good.
pub const LINK_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::days(7);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tokens)]
pub struct Token {
    pub id: i32,
    pub purpose: String,
    pub user_id: Option<i32>,
    pub email: Option<String>,
    pub role: Option<String>,
    pub created_by: Option<i32>,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub post_id: Option<i32>,
}

/// Why a link can't be used; each gets its own sentence (the holder already has the
/// secret, so saying why reveals nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    Unknown,
    Used,
    Revoked,
    Expired,
}

impl Unusable {
    pub fn message(self, what: &str) -> String {
        match self {
            Unusable::Unknown => {
                format!("This {what} link is not valid. Check that you copied all of it.")
            }
            Unusable::Used => format!("This {what} link has already been used. Ask for a new one."),
            Unusable::Revoked => format!("This {what} link was withdrawn. Ask for a new one."),
            Unusable::Expired => format!("This {what} link has expired. Ask for a new one."),
        }
    }
}

/// A new single-use link of `purpose`, good for [`LINK_LIFETIME`].
pub struct NewLink<'a> {
    pub purpose: &'static str,
    pub user_id: Option<i32>,
    pub email: Option<&'a str>,
    pub role: Option<&'a str>,
    pub created_by: Option<i32>,
}

/// Stores the link's hash and returns the secret.
pub fn create_link(conn: &mut DbConnection, link: &NewLink<'_>) -> AppResult<String> {
    create_link_valid_for(conn, link, LINK_LIFETIME)
}

/// [`create_link`] good for `lifetime` instead.
pub fn create_link_valid_for(
    conn: &mut DbConnection,
    link: &NewLink<'_>,
    lifetime: chrono::TimeDelta,
) -> AppResult<String> {
    let token =
        secrets::random_token().map_err(|e| AppError::internal("no randomness for a link", e))?;
    let now = Utc::now().naive_utc();
    diesel::insert_into(tokens::table)
        .values((
            tokens::purpose.eq(link.purpose),
            tokens::token_hash.eq(secrets::token_hash(&token)),
            tokens::user_id.eq(link.user_id),
            tokens::email.eq(link.email),
            tokens::role.eq(link.role),
            tokens::created_by.eq(link.created_by),
            tokens::created_at.eq(now),
            tokens::expires_at.eq(now + lifetime),
        ))
        .execute(conn)?;
    Ok(token)
}

/// The token behind a link, if it can still be used.
pub fn find_usable(
    conn: &mut DbConnection,
    purpose: &str,
    token: &str,
) -> QueryResult<Result<Token, Unusable>> {
    let found: Option<Token> = tokens::table
        .filter(tokens::purpose.eq(purpose))
        .filter(tokens::token_hash.eq(secrets::token_hash(token)))
        .select(Token::as_select())
        .first(conn)
        .optional()?;
    let now = Utc::now().naive_utc();
    Ok(match found {
        None => Err(Unusable::Unknown),
        Some(t) if t.used_at.is_some() => Err(Unusable::Used),
        Some(t) if t.revoked_at.is_some() => Err(Unusable::Revoked),
        Some(t) if t.expires_at.is_some_and(|at| at <= now) => Err(Unusable::Expired),
        Some(t) => Ok(t),
    })
}

/// Marks the token used; false if someone else used or revoked it first. Call inside the
/// write transaction that acts on it.
pub fn claim(conn: &mut DbConnection, id: i32) -> QueryResult<bool> {
    let claimed = diesel::update(
        tokens::table
            .find(id)
            .filter(tokens::used_at.is_null())
            .filter(tokens::revoked_at.is_null()),
    )
    .set(tokens::used_at.eq(Utc::now().naive_utc()))
    .execute(conn)?;
    Ok(claimed == 1)
}

pub fn find(conn: &mut DbConnection, id: i32) -> QueryResult<Option<Token>> {
    tokens::table
        .find(id)
        .select(Token::as_select())
        .first(conn)
        .optional()
}

/// Withdraws an unused link; false if it was already used or withdrawn.
pub fn revoke(conn: &mut DbConnection, id: i32) -> QueryResult<bool> {
    let revoked = diesel::update(
        tokens::table
            .find(id)
            .filter(tokens::used_at.is_null())
            .filter(tokens::revoked_at.is_null()),
    )
    .set(tokens::revoked_at.eq(Utc::now().naive_utc()))
    .execute(conn)?;
    Ok(revoked == 1)
}

/// Withdraws every unused link of `purpose` for an email or a user (a new link replaces
/// the old ones).
pub fn revoke_pending(
    conn: &mut DbConnection,
    purpose: &str,
    email: Option<&str>,
    user_id: Option<i32>,
) -> QueryResult<usize> {
    let pending = tokens::table
        .filter(tokens::purpose.eq(purpose.to_owned()))
        .filter(tokens::used_at.is_null())
        .filter(tokens::revoked_at.is_null());
    let now = Utc::now().naive_utc();
    match (email, user_id) {
        (Some(email), _) => diesel::update(pending.filter(tokens::email.eq(email.to_owned())))
            .set(tokens::revoked_at.eq(now))
            .execute(conn),
        (None, Some(user_id)) => diesel::update(pending.filter(tokens::user_id.eq(user_id)))
            .set(tokens::revoked_at.eq(now))
            .execute(conn),
        (None, None) => Ok(0),
    }
}

/// The roles of the invitations for `email` that could still be used (a new invitation
/// would replace them).
pub fn usable_invitation_roles(
    conn: &mut DbConnection,
    email: &str,
) -> QueryResult<Vec<Option<String>>> {
    tokens::table
        .filter(tokens::purpose.eq(PURPOSE_INVITATION))
        .filter(tokens::email.eq(email.to_owned()))
        .filter(tokens::used_at.is_null())
        .filter(tokens::revoked_at.is_null())
        .filter(tokens::expires_at.gt(Utc::now().naive_utc()))
        .select(tokens::role)
        .load(conn)
}

/// Invitations not yet used, withdrawn or expired, newest first.
pub fn pending_invitations(conn: &mut DbConnection) -> QueryResult<Vec<Token>> {
    let now = Utc::now().naive_utc();
    tokens::table
        .filter(tokens::purpose.eq(PURPOSE_INVITATION))
        .filter(tokens::used_at.is_null())
        .filter(tokens::revoked_at.is_null())
        .filter(tokens::expires_at.gt(now))
        .order((tokens::created_at.desc(), tokens::id.desc()))
        .select(Token::as_select())
        .load(conn)
}

pub const PURPOSE_PREVIEW: &str = "preview";

/// A new secret preview link for a post; earlier ones stop working.
pub fn create_preview(conn: &mut DbConnection, post_id: i32, created_by: i32) -> AppResult<String> {
    revoke_previews(conn, post_id)?;
    let token =
        secrets::random_token().map_err(|e| AppError::internal("no randomness for a link", e))?;
    diesel::insert_into(tokens::table)
        .values((
            tokens::purpose.eq(PURPOSE_PREVIEW),
            tokens::token_hash.eq(secrets::token_hash(&token)),
            tokens::post_id.eq(post_id),
            tokens::created_by.eq(created_by),
            tokens::created_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(token)
}

pub fn revoke_previews(conn: &mut DbConnection, post_id: i32) -> QueryResult<usize> {
    diesel::update(
        tokens::table
            .filter(tokens::purpose.eq(PURPOSE_PREVIEW))
            .filter(tokens::post_id.eq(post_id))
            .filter(tokens::revoked_at.is_null()),
    )
    .set(tokens::revoked_at.eq(Utc::now().naive_utc()))
    .execute(conn)
}

/// When the post's live preview link was made, if it has one.
pub fn active_preview_since(
    conn: &mut DbConnection,
    post_id: i32,
) -> QueryResult<Option<NaiveDateTime>> {
    tokens::table
        .filter(tokens::purpose.eq(PURPOSE_PREVIEW))
        .filter(tokens::post_id.eq(post_id))
        .filter(tokens::revoked_at.is_null())
        .select(tokens::created_at)
        .first(conn)
        .optional()
}

/// The post a preview link shows, if the link is live.
pub fn preview_post(conn: &mut DbConnection, token: &str) -> QueryResult<Option<i32>> {
    let found: Option<Option<i32>> = tokens::table
        .filter(tokens::purpose.eq(PURPOSE_PREVIEW))
        .filter(tokens::token_hash.eq(secrets::token_hash(token)))
        .filter(tokens::revoked_at.is_null())
        .select(tokens::post_id)
        .first(conn)
        .optional()?;
    Ok(found.flatten())
}
