//! The site-wide change counter: one number in `site_changes`, bumped by database triggers
//! in the transaction of every write to what the public site shows — whoever makes it, this
//! node, another node, or a CLI command against the same database (migration
//! `2026-11-30-000000_site_changes`). `freshness` polls it to learn of other processes'
//! writes. On PostgreSQL the bump happens at commit (deferred triggers, once per
//! transaction); on SQLite once per written row.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::site_changes;

/// Tables whose writes bump the counter: what public pages, feeds, the sitemap and search
/// read. Posts only when the row is or was published; users only when a public column
/// changes (not at log-in).
pub const WATCHED: &[&str] = &[
    "posts",
    "tags",
    "post_tags",
    "media",
    "settings",
    "redirects",
    "users",
];

/// Tables the public site never reads, deliberately not watched (their writes — log-ins,
/// autosaves, audit records — are frequent and would empty every node's cache for nothing).
pub const NOT_WATCHED: &[&str] = &[
    "revisions",
    "audit_log",
    "tokens",
    "sessions",
    "login_throttle",
    "imported_items",
    "site_changes",
    "jobs",
    "mail_preferences",
    // Two-factor sign-in: checked on each login and admin request, never shown publicly.
    "two_factor",
    "recovery_codes",
];

/// The counter's current value (a primary-key read of one row).
pub fn counter(conn: &mut DbConnection) -> QueryResult<i64> {
    site_changes::table
        .find(1)
        .select(site_changes::counter)
        .first(conn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{ConnectionManager, DatabaseUrl, migrations};
    use diesel::connection::SimpleConnection;
    use diesel::dsl::sql;
    use diesel::sql_types::Text;

    fn migrated() -> (tempfile::TempDir, DbConnection) {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::Sqlite(dir.path().join("site.db"));
        let mut conn = ConnectionManager::new(url).establish().unwrap();
        migrations::run_pending(&mut conn).unwrap();
        (dir, conn)
    }

    fn texts(conn: &mut DbConnection, query: &str) -> Vec<String> {
        sql::<Text>(query).load(conn).unwrap()
    }

    /// A new table must be sorted into one list or the other, and a migration that rebuilds
    /// a watched table must create its triggers again.
    #[test]
    fn every_table_is_watched_or_deliberately_not() {
        let (_dir, mut conn) = migrated();
        let tables = texts(
            &mut conn,
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__diesel%' \
             AND name NOT LIKE 'posts_fts%' ORDER BY name",
        );
        for table in &tables {
            assert!(
                WATCHED.contains(&table.as_str()) || NOT_WATCHED.contains(&table.as_str()),
                "table {table}: add it to store::changes::WATCHED (with triggers) or NOT_WATCHED"
            );
        }
        for table in WATCHED {
            let triggers = texts(
                &mut conn,
                &format!(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' \
                     AND tbl_name = '{table}' AND sql LIKE '%site_changes%' ORDER BY name"
                ),
            );
            assert_eq!(triggers.len(), 3, "{table}: {triggers:?}");
        }
        // Every column of users bumps the counter except the log-in and session bookkeeping.
        let users_trigger = texts(
            &mut conn,
            "SELECT sql FROM sqlite_master WHERE name = 'users_site_changed_update'",
        )
        .remove(0);
        let private = [
            "id",
            "password_hash",
            "session_epoch",
            "last_login_at",
            "created_at",
            "updated_at",
        ];
        for column in texts(&mut conn, "SELECT name FROM pragma_table_info('users')") {
            assert_eq!(
                users_trigger.contains(&format!("new.{column} IS NOT old.{column}")),
                !private.contains(&column.as_str()),
                "users.{column}"
            );
        }
    }

    #[test]
    fn public_writes_bump_the_counter_and_bookkeeping_does_not() {
        let (_dir, mut conn) = migrated();
        let t = "'2026-01-01 00:00:00'";
        let bumps = |conn: &mut DbConnection, sql: &str| {
            let before = counter(conn).unwrap();
            conn.batch_execute(sql).unwrap();
            counter(conn).unwrap() - before
        };
        assert_eq!(counter(&mut conn).unwrap(), 0);
        let insert_user = format!(
            "INSERT INTO users (email, display_name, slug, role, created_at, updated_at) \
             VALUES ('ada@example.org', 'Ada', 'ada', 'admin', {t}, {t})"
        );
        assert_eq!(bumps(&mut conn, &insert_user), 1);
        let log_in = format!(
            "UPDATE users SET last_login_at = {t}, session_epoch = session_epoch + 1, updated_at = {t}"
        );
        assert_eq!(bumps(&mut conn, &log_in), 0, "a log-in");
        assert_eq!(
            bumps(&mut conn, "UPDATE users SET display_name = 'Ada L.'"),
            1
        );
        assert_eq!(
            bumps(&mut conn, "UPDATE users SET display_name = 'Ada L.'"),
            0
        );
        let draft = format!(
            "INSERT INTO posts (kind, status, title, slug, author_id, search_text, created_at, updated_at) \
             VALUES ('post', 'draft', 'Draft', 'draft', 1, '', {t}, {t})"
        );
        assert_eq!(bumps(&mut conn, &draft), 0, "a draft");
        assert_eq!(
            bumps(&mut conn, "UPDATE posts SET title = 'Still a draft'"),
            0
        );
        assert_eq!(
            bumps(
                &mut conn,
                &format!("UPDATE posts SET status = 'published', published_at = {t}")
            ),
            1,
            "publishing"
        );
        assert_eq!(
            bumps(&mut conn, "UPDATE posts SET status = 'draft'"),
            1,
            "unpublishing"
        );
        assert_eq!(
            bumps(
                &mut conn,
                &format!(
                    "INSERT INTO settings (key, value, updated_at) VALUES ('title', 'T', {t})"
                )
            ),
            1
        );
        assert_eq!(
            bumps(
                &mut conn,
                &format!(
                    "INSERT INTO audit_log (action, target_type, detail, created_at) VALUES ('x', 'y', '', {t})"
                )
            ),
            0
        );
    }
}
