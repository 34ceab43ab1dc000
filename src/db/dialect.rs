//! The few statements that must differ per backend, matched on the connection variant.

use diesel::QueryResult;
use diesel::connection::SimpleConnection;

use super::DbConnection;

/// Serialises transactions that change who is an administrator, so two admins demoting
/// each other at the same moment can't leave the site with none. SQLite's `BEGIN
/// IMMEDIATE` (see `write_transaction`) already serialises all writers; PostgreSQL needs a
/// table lock that conflicts with itself but not with readers.
pub fn lock_users_for_role_change(conn: &mut DbConnection) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(_) => Ok(()),
        DbConnection::Postgresql(inner) => {
            inner.batch_execute("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")
        }
    }
}
