//! Embedded migrations, one tree per backend (`migrations/sqlite`, `migrations/postgres`),
//! paired by name.

use diesel::migration::MigrationVersion;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::DbConnection;

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Applies every pending migration and returns the versions it applied (empty when the
/// database was already up to date, so running it twice is a no-op).
pub fn run_pending(conn: &mut DbConnection) -> Result<Vec<String>, String> {
    let applied = match conn {
        DbConnection::Sqlite(inner) => versions(inner.run_pending_migrations(SQLITE)),
        DbConnection::Postgresql(inner) => versions(inner.run_pending_migrations(POSTGRES)),
    };
    applied.map_err(|e| format!("database migration failed: {e}"))
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
