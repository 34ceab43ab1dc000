//! Embedded migrations, one tree per backend (`migrations/sqlite`, `migrations/postgres`),
//! paired by name.

use diesel::SqliteConnection;
use diesel::connection::SimpleConnection;
use diesel::migration::MigrationVersion;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::DbConnection;

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Applies every pending migration and returns the versions it applied (empty when the
/// database was already up to date, so running it twice is a no-op).
///
/// On SQLite the migrations run with foreign keys off: rebuilding a table (the only way
/// to change a column's definition there) drops the old one, and with foreign keys on
/// that would cascade-delete every row that refers to it. A migration that rebuilds
/// tables ends by checking every reference itself (`pragma_foreign_key_check`). The
/// pragma is a no-op inside a transaction, so it is set here, around diesel's
/// per-migration transactions, and switched back on before the connection is used again.
pub fn run_pending(conn: &mut DbConnection) -> Result<Vec<String>, String> {
    let applied = match conn {
        DbConnection::Sqlite(inner) => {
            set_sqlite_foreign_keys(inner, false)?;
            // Several processes may start at once on one file: the write lock taken first
            // makes the others wait, then find nothing pending (diesel's per-migration
            // transactions become savepoints inside this one).
            let applied = inner.immediate_transaction(|inner| {
                versions(inner.run_pending_migrations(SQLITE)).map_err(MigrationError::Failed)
            });
            set_sqlite_foreign_keys(inner, true)?;
            applied.map_err(|e| e.to_string())
        }
        DbConnection::Postgresql(inner) => {
            // Nodes of a cluster starting together: one applies, the others wait on this
            // lock and then find nothing pending, instead of failing on a duplicate table.
            // Session-level, so it is released with the connection even if we fail below.
            inner
                .batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
                .map_err(|e| format!("cannot take the migration lock: {e}"))?;
            let applied = versions(inner.run_pending_migrations(POSTGRES));
            let unlocked =
                inner.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
            let applied = applied?;
            unlocked.map_err(|e| format!("cannot release the migration lock: {e}"))?;
            Ok(applied)
        }
    };
    applied.map_err(|e| format!("database migration failed: {e}"))
}

/// The advisory lock key that serialises migrations across the nodes of a PostgreSQL
/// cluster ("folio-mi" in ASCII; any constant no other application on the database uses).
const MIGRATION_LOCK: i64 = 0x666f_6c69_6f2d_6d69;

/// A migration's failure or the enclosing SQLite transaction's.
#[derive(Debug)]
enum MigrationError {
    Failed(String),
    Database(diesel::result::Error),
}

impl From<diesel::result::Error> for MigrationError {
    fn from(e: diesel::result::Error) -> Self {
        MigrationError::Database(e)
    }
}

impl std::fmt::Display for MigrationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MigrationError::Failed(e) => f.write_str(e),
            MigrationError::Database(e) => e.fmt(f),
        }
    }
}

fn set_sqlite_foreign_keys(conn: &mut SqliteConnection, on: bool) -> Result<(), String> {
    let value = if on { "ON" } else { "OFF" };
    conn.batch_execute(&format!("PRAGMA foreign_keys = {value}"))
        .map_err(|e| format!("cannot switch SQLite foreign keys {value}: {e}"))
}

fn versions<E: std::fmt::Display>(
    result: Result<Vec<MigrationVersion<'_>>, E>,
) -> Result<Vec<String>, String> {
    result
        .map(|applied| applied.iter().map(ToString::to_string).collect())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use diesel::connection::SimpleConnection;
    use diesel::dsl::sql;
    use diesel::migration::MigrationSource;
    use diesel::prelude::*;
    use diesel::sql_types::{BigInt, Integer, Text};
    use diesel::sqlite::Sqlite;
    use diesel_migrations::MigrationHarness;

    use crate::db::{ConnectionManager, DatabaseUrl, DbConnection};

    const STABLE_IDS: &str = "2026-11-21-051000";

    fn scalar_i64(conn: &mut SqliteConnection, query: &str) -> i64 {
        diesel::select(sql::<BigInt>(&format!("({query})")))
            .get_result(conn)
            .unwrap_or_else(|e| panic!("{query}: {e}"))
    }

    fn ids(conn: &mut SqliteConnection, query: &str) -> Vec<i32> {
        diesel::dsl::sql::<Integer>(query)
            .load(conn)
            .unwrap_or_else(|e| panic!("{query}: {e}"))
    }

    /// A database made before ids became AUTOINCREMENT, full of rows that point at each
    /// other, goes through the table rebuild with every row, id and reference intact,
    /// search still indexed and kept up to date, and from then on never reuses an id.
    #[test]
    fn the_stable_ids_migration_keeps_old_data_and_references() {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::Sqlite(dir.path().join("old.db"));
        // Like a pooled connection: foreign keys on.
        let mut conn = ConnectionManager::new(url).establish().unwrap();
        let DbConnection::Sqlite(inner) = &mut conn else {
            unreachable!()
        };
        let older: Vec<_> = MigrationSource::<Sqlite>::migrations(&super::SQLITE)
            .unwrap()
            .into_iter()
            .filter(|m| m.name().to_string().as_str() < STABLE_IDS)
            .collect();
        assert!(older.len() >= 6);
        diesel::migration::MigrationConnection::setup(inner).unwrap();
        for migration in &older {
            inner.run_migration(migration.as_ref()).unwrap();
        }
        let t = "'2026-01-01 00:00:00'";
        inner
            .batch_execute(&format!(
                "INSERT INTO users (id, email, display_name, slug, role, created_at, updated_at) VALUES
                   (1, 'ada@example.org', 'Ada', 'ada', 'admin', {t}, {t}),
                   (2, 'bob@example.org', 'Bob', 'bob', 'author', {t}, {t}),
                   (3, 'cy@example.org', 'Cy', 'cy', 'contributor', {t}, {t});
                 INSERT INTO media (id, uploader_id, file_name, storage_key, sha256, mime_type, size_bytes, created_at)
                   VALUES (1, 2, 'a.png', 'ab/cd.png', 'abcd', 'image/png', 10, {t});
                 INSERT INTO posts (id, kind, status, title, slug, author_id, featured_media_id, search_text, created_at, updated_at)
                   VALUES (1, 'post', 'published', 'Harbour lights', 'harbour', 2, 1, 'harbour lights at night', {t}, {t}),
                          (2, 'page', 'draft', 'About', 'about', 1, NULL, 'about us', {t}, {t});
                 INSERT INTO tags (id, name, slug, created_at) VALUES (1, 'Sea', 'sea', {t});
                 INSERT INTO post_tags (post_id, tag_id) VALUES (1, 1);
                 INSERT INTO revisions (id, post_id, author_id, title, body_markdown, created_at)
                   VALUES (1, 1, 2, 'Harbour', 'one', {t}), (2, 1, 1, 'Harbour lights', 'two', {t});
                 INSERT INTO redirects (id, from_path, post_id, created_at) VALUES (1, '/old-harbour', 1, {t});
                 INSERT INTO tokens (id, purpose, token_hash, user_id, created_by, post_id, created_at)
                   VALUES (1, 'preview', 'h1', NULL, 2, 1, {t}), (2, 'password_reset', 'h2', 3, 1, NULL, {t});
                 INSERT INTO audit_log (id, actor_id, action, created_at) VALUES (1, 2, 'post.published', {t});
                 INSERT INTO imported_items (source, wp_id, post_id, created_at) VALUES ('wp', 7, 1, {t});"
            ))
            .unwrap();
        let tables = [
            "users",
            "media",
            "posts",
            "tags",
            "post_tags",
            "revisions",
            "redirects",
            "tokens",
            "audit_log",
            "imported_items",
        ];
        let counts = |conn: &mut SqliteConnection| -> Vec<i64> {
            tables
                .iter()
                .map(|table| scalar_i64(conn, &format!("SELECT count(*) FROM {table}")))
                .collect()
        };
        let before = counts(inner);

        let applied = super::run_pending(&mut conn).unwrap();
        assert!(
            applied
                .iter()
                .any(|v| v.starts_with(&STABLE_IDS.replace('-', ""))),
            "{applied:?}"
        );
        let DbConnection::Sqlite(inner) = &mut conn else {
            unreachable!()
        };

        assert_eq!(counts(inner), before, "rows of {tables:?}");
        assert_eq!(
            scalar_i64(inner, "SELECT count(*) FROM pragma_foreign_key_check"),
            0
        );
        assert_eq!(
            scalar_i64(inner, "SELECT foreign_keys FROM pragma_foreign_keys"),
            1
        );
        assert_eq!(
            ids(
                inner,
                "SELECT id FROM revisions WHERE post_id = 1 ORDER BY id"
            ),
            [1, 2]
        );
        assert_eq!(
            ids(inner, "SELECT featured_media_id FROM posts WHERE id = 1"),
            [1]
        );
        assert_eq!(ids(inner, "SELECT post_id FROM tokens WHERE id = 1"), [1]);
        for table in [
            "users",
            "media",
            "posts",
            "tags",
            "revisions",
            "redirects",
            "tokens",
            "audit_log",
        ] {
            let definition: String = diesel::select(sql::<Text>(&format!(
                "(SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '{table}')"
            )))
            .get_result(inner)
            .unwrap();
            assert!(
                definition.contains("AUTOINCREMENT"),
                "{table}: {definition}"
            );
        }
        let indexes = scalar_i64(
            inner,
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN \
             ('users_role_idx', 'posts_public_idx', 'posts_visibility_idx', 'revisions_autosave_idx', \
              'tokens_post_idx', 'media_sha256_idx', 'audit_log_actor_idx', 'redirects_post_idx')",
        );
        assert_eq!(indexes, 8);

        // Search: the old index still answers, and the triggers keep it up to date.
        let matching = |conn: &mut SqliteConnection, word: &str| {
            ids(
                conn,
                &format!("SELECT rowid FROM posts_fts WHERE posts_fts MATCH '{word}'"),
            )
        };
        assert_eq!(matching(inner, "harbour"), [1]);
        inner
            .batch_execute("UPDATE posts SET title = 'Lighthouse' WHERE id = 1")
            .unwrap();
        assert_eq!(matching(inner, "lighthouse"), [1]);
        inner
            .batch_execute("DELETE FROM posts WHERE id = 2")
            .unwrap();
        assert!(matching(inner, "about").is_empty());

        // Ids are never handed out twice, not even the largest after it was deleted.
        inner
            .batch_execute(&format!(
                "DELETE FROM users WHERE id = 3;
                 INSERT INTO users (email, display_name, slug, role, created_at, updated_at)
                   VALUES ('eve@example.org', 'Eve', 'eve', 'admin', {t}, {t});
                 INSERT INTO posts (kind, title, slug, author_id, created_at, updated_at)
                   VALUES ('post', 'New', 'new', 1, {t}, {t});"
            ))
            .unwrap();
        assert_eq!(
            ids(
                inner,
                "SELECT id FROM users WHERE email = 'eve@example.org'"
            ),
            [4]
        );
        assert_eq!(ids(inner, "SELECT id FROM posts WHERE slug = 'new'"), [3]);
        // The reset link of the deleted user went with them; cascades still work.
        assert_eq!(
            scalar_i64(inner, "SELECT count(*) FROM tokens WHERE id = 2"),
            0
        );
        inner
            .batch_execute("DELETE FROM posts WHERE id = 1")
            .unwrap();
        assert_eq!(scalar_i64(inner, "SELECT count(*) FROM revisions"), 0);
        assert_eq!(scalar_i64(inner, "SELECT count(*) FROM post_tags"), 0);
    }

    fn names(tree: &str) -> BTreeSet<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(tree);
        std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn both_backends_have_the_same_migrations() {
        let sqlite = names("sqlite");
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, names("postgres"), "migration trees drifted apart");
        for tree in ["sqlite", "postgres"] {
            for name in &sqlite {
                let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("migrations")
                    .join(tree)
                    .join(name);
                assert!(dir.join("up.sql").is_file(), "{tree}/{name}/up.sql missing");
                assert!(
                    dir.join("down.sql").is_file(),
                    "{tree}/{name}/down.sql missing"
                );
            }
        }
    }
}
