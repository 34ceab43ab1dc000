use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{sessions, users};
use crate::domain::slug::{self, slugify};
use crate::domain::{Email, Role};
use crate::error::{AppError, AppResult};

pub const STATUS_ACTIVE: &str = "active";
pub const STATUS_DISABLED: &str = "disabled";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i32,
    pub email: String,
    pub display_name: String,
    pub slug: String,
    pub password_hash: Option<String>,
    pub role: String,
    pub status: String,
    pub bio: String,
    pub session_epoch: i32,
    pub last_login_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

impl User {
    /// The stored role; an unknown value (never written by Folio) grants the least.
    pub fn role(&self) -> Role {
        self.role.parse().unwrap_or(Role::Contributor)
    }

    pub fn is_active(&self) -> bool {
        self.status == STATUS_ACTIVE
    }
}

/// A validated new account.
pub struct NewUser<'a> {
    pub email: &'a Email,
    pub display_name: &'a str,
    pub password_hash: Option<&'a str>,
    pub role: Role,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
struct UserRow<'a> {
    email: &'a str,
    display_name: &'a str,
    slug: &'a str,
    password_hash: Option<&'a str>,
    role: &'a str,
    status: &'a str,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

pub fn find(conn: &mut DbConnection, id: i32) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_email(conn: &mut DbConnection, email: &Email) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email.as_str()))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// Everyone, in the order they joined.
pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<User>> {
    users::table
        .order((users::created_at.asc(), users::id.asc()))
        .select(User::as_select())
        .load(conn)
}

/// Inserts the account with a unique author slug. Call inside a write transaction so the
/// email and slug checks and the insert see the same data.
pub fn create(conn: &mut DbConnection, new: &NewUser<'_>) -> AppResult<User> {
    let display_name = new.display_name.trim();
    if find_by_email(conn, new.email)?.is_some() {
        return Err(AppError::Conflict(format!(
            "An account with the email {} already exists.",
            new.email
        )));
    }
    let base = slugify(display_name).unwrap_or_else(|| "author".to_owned());
    let slug = unused_slug(conn, &base)?;
    let now = Utc::now().naive_utc();
    let id: i32 = diesel::insert_into(users::table)
        .values(UserRow {
            email: new.email.as_str(),
            display_name,
            slug: &slug,
            password_hash: new.password_hash,
            role: new.role.as_str(),
            status: STATUS_ACTIVE,
            created_at: now,
            updated_at: now,
        })
        .returning(users::id)
        .get_result(conn)?;
    find(conn, id)?.ok_or(AppError::Database(diesel::result::Error::NotFound))
}

fn unused_slug(conn: &mut DbConnection, base: &str) -> QueryResult<String> {
    let mut attempt = 1;
    loop {
        let candidate = slug::numbered(base, attempt);
        let taken: i64 = users::table
            .filter(users::slug.eq(&candidate))
            .count()
            .get_result(conn)?;
        if taken == 0 {
            return Ok(candidate);
        }
        attempt += 1;
    }
}

/// Replaces the password and ends every existing session of the user.
pub fn set_password(conn: &mut DbConnection, id: i32, password_hash: &str) -> QueryResult<usize> {
    let updated = diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(password_hash),
            users::session_epoch.eq(users::session_epoch + 1),
            users::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    end_sessions(conn, id)?;
    Ok(updated)
}

pub fn record_login(conn: &mut DbConnection, id: i32) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::last_login_at.eq(Utc::now().naive_utc()))
        .execute(conn)
}

/// Ends every session of the user ("log out everywhere"; password and role changes and
/// disabling do the same): their rows in `sessions` go. The epoch only counts revocations
/// (it is part of the export format); it no longer authenticates anything.
pub fn bump_session_epoch(conn: &mut DbConnection, id: i32) -> QueryResult<usize> {
    let updated = diesel::update(users::table.find(id))
        .set((
            users::session_epoch.eq(users::session_epoch + 1),
            users::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    end_sessions(conn, id)?;
    Ok(updated)
}

/// Changes the role and ends the user's sessions.
pub fn set_role(conn: &mut DbConnection, id: i32, role: Role) -> QueryResult<usize> {
    let updated = diesel::update(users::table.find(id))
        .set((
            users::role.eq(role.as_str()),
            users::session_epoch.eq(users::session_epoch + 1),
            users::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    end_sessions(conn, id)?;
    Ok(updated)
}

/// Enables or disables the account; disabling ends its sessions.
pub fn set_active(conn: &mut DbConnection, id: i32, active: bool) -> QueryResult<usize> {
    let status = if active {
        STATUS_ACTIVE
    } else {
        STATUS_DISABLED
    };
    let epoch_step = if active { 0 } else { 1 };
    let updated = diesel::update(users::table.find(id))
        .set((
            users::status.eq(status),
            users::session_epoch.eq(users::session_epoch + epoch_step),
            users::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    if !active {
        end_sessions(conn, id)?;
    }
    Ok(updated)
}

pub fn active_admin_count(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .filter(users::status.eq(STATUS_ACTIVE))
        .count()
        .get_result(conn)
}

/// Posts and pages written by the user (any status, trash included).
pub fn post_count(conn: &mut DbConnection, id: i32) -> QueryResult<i64> {
    use crate::db::schema::posts;
    posts::table
        .filter(posts::author_id.eq(id))
        .count()
        .get_result(conn)
}

/// Gives the user's posts to `heir`, then deletes the user. Their revisions and uploads
/// stay, without an author (the foreign keys set it to NULL).
pub fn delete_reassigning(conn: &mut DbConnection, id: i32, heir: i32) -> QueryResult<usize> {
    use crate::db::schema::posts;
    let moved = diesel::update(posts::table.filter(posts::author_id.eq(id)))
        .set(posts::author_id.eq(heir))
        .execute(conn)?;
    diesel::delete(users::table.find(id)).execute(conn)?;
    Ok(moved)
}

pub fn find_by_slug(conn: &mut DbConnection, slug: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::slug.eq(slug))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// The editable part of one's own profile.
pub struct Profile<'a> {
    pub display_name: &'a str,
    pub slug: &'a str,
    pub bio: &'a str,
    pub email: &'a Email,
}

pub fn update_profile(
    conn: &mut DbConnection,
    id: i32,
    profile: &Profile<'_>,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::display_name.eq(profile.display_name),
            users::slug.eq(profile.slug),
            users::bio.eq(profile.bio),
            users::email.eq(profile.email.as_str()),
            users::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)
}

/// Ends every session of the user (password change, "log out everywhere", role change,
/// disabling): their rows in `sessions` go.
fn end_sessions(conn: &mut DbConnection, user_id: i32) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)
}
