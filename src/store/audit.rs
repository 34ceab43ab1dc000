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
