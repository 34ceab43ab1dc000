//! The audit log: who did what to what, when, from where.

use chrono::Utc;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::audit_log;

/// One audit entry. `target` is the kind and id of what was acted on.
pub struct Entry<'a> {
    pub actor_id: Option<i32>,
    pub action: &'a str,
    pub target: (&'a str, Option<i32>),
    pub detail: &'a str,
    pub ip_address: Option<&'a str>,
}

pub fn record(conn: &mut DbConnection, entry: &Entry<'_>) -> QueryResult<usize> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::actor_id.eq(entry.actor_id),
            audit_log::action.eq(entry.action),
            audit_log::target_type.eq(entry.target.0),
            audit_log::target_id.eq(entry.target.1),
            audit_log::detail.eq(entry.detail),
            audit_log::ip_address.eq(entry.ip_address),
            audit_log::created_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)
}

/// The audit record of a WordPress import, written in the import's own transaction
/// (`crate::wordpress::import`): which file, how many posts and pages.
pub fn wordpress_import_finished(
    conn: &mut DbConnection,
    importer_id: Option<i32>,
    file_label: &str,
    posts_imported: usize,
    address: &str,
) -> QueryResult<usize> {
    record(
        conn,
        &Entry {
            actor_id: importer_id,
            action: "wordpress.import",
            target: ("site", None),
            detail: &format!(
                "{file_label}: {}",
                crate::domain::counted(posts_imported, "post or page", "posts and pages")
            ),
            ip_address: Some(address),
        },
    )
}

/// A line of the audit log page, with the actor's name (None once they're deleted).
#[derive(Debug, Queryable)]
pub struct AuditRow {
    pub id: i32,
    pub actor_name: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<i32>,
    pub detail: String,
    pub ip_address: Option<String>,
    pub created_at: chrono::NaiveDateTime,
}

/// Newest first; `user` matches what they did and what was done to them.
pub fn page(
    conn: &mut DbConnection,
    user: Option<i32>,
    action: Option<&str>,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    use crate::db::schema::users;
    let mut query = audit_log::table
        .left_join(users::table.on(audit_log::actor_id.eq(users::id.nullable())))
        .select((
            audit_log::id,
            users::display_name.nullable(),
            audit_log::action,
            audit_log::target_type,
            audit_log::target_id,
            audit_log::detail,
            audit_log::ip_address,
            audit_log::created_at,
        ))
        .order((audit_log::created_at.desc(), audit_log::id.desc()))
        .offset(offset)
        .limit(limit)
        .into_boxed();
    if let Some(user) = user {
        query = query.filter(
            audit_log::actor_id.eq(user).or(audit_log::target_type
                .eq("user")
                .and(audit_log::target_id.eq(user))),
        );
    }
    if let Some(action) = action {
        query = query.filter(audit_log::action.eq(action.to_owned()));
    }
    query.load(conn)
}

/// Every action name that occurs, for the filter.
pub fn actions(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    audit_log::table
        .select(audit_log::action)
        .distinct()
        .order(audit_log::action.asc())
        .load(conn)
}
