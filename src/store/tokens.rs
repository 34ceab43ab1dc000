//! One-time tokens. Only their SHA-256 is stored; the secret exists in the link alone.

use chrono::Utc;
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
        .map_err(|e| AppError::Internal(format!("no randomness for the setup token: {e}")))?;
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
