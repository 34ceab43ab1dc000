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

/// Serialises transactions that add or remove media files, so deleting the last record
/// of a file can't remove it while an identical upload is being stored. SQLite writers are
/// already serialised by `BEGIN IMMEDIATE`.
pub fn lock_media_for_file_changes(conn: &mut DbConnection) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(_) => Ok(()),
        DbConnection::Postgresql(inner) => {
            inner.batch_execute("LOCK TABLE media IN SHARE ROW EXCLUSIVE MODE")
        }
    }
}

/// One search hit: the post and a snippet whose matches sit between
/// [`MARK_START`] and [`MARK_END`] (the caller escapes the text, then turns them into marks).
#[derive(Debug, diesel::QueryableByName)]
pub struct SearchHit {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub id: i32,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub snippet: String,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

pub const MARK_START: char = '\u{E000}';
pub const MARK_END: char = '\u{E001}';

/// Full-text search over visible posts and pages, best match first: FTS5 with bm25 on
/// SQLite, a GIN-indexed tsvector with ts_rank on PostgreSQL. `words` come from
/// `domain::search::terms`, so they hold only letters and digits.
pub fn search(
    conn: &mut DbConnection,
    words: &[String],
    now: chrono::NaiveDateTime,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<SearchHit>, i64)> {
    use diesel::RunQueryDsl;
    use diesel::sql_types::{BigInt, Text, Timestamp};

    use crate::domain::search::{fts5_query, tsquery};
    if words.is_empty() {
        return Ok((Vec::new(), 0));
    }
    match conn {
        DbConnection::Sqlite(inner) => {
            const VISIBLE: &str = "posts_fts MATCH ? AND p.status = 'published' \
                AND p.published_at <= ? AND p.deleted_at IS NULL";
            let query = fts5_query(words);
            let hits = diesel::sql_query(format!(
                "SELECT p.id AS id, snippet(posts_fts, 1, char(57344), char(57345), '…', 24) AS snippet \
                 FROM posts_fts JOIN posts p ON p.id = posts_fts.rowid WHERE {VISIBLE} \
                 ORDER BY bm25(posts_fts, 5.0, 1.0), p.published_at DESC LIMIT ? OFFSET ?"
            ))
            .bind::<Text, _>(&query)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limit)
            .bind::<BigInt, _>(offset)
            .load::<SearchHit>(inner)?;
            let total = diesel::sql_query(format!(
                "SELECT COUNT(*) AS n FROM posts_fts JOIN posts p ON p.id = posts_fts.rowid WHERE {VISIBLE}"
            ))
            .bind::<Text, _>(&query)
            .bind::<Timestamp, _>(now)
            .get_result::<Count>(inner)?
            .n;
            Ok((hits, total))
        }
        DbConnection::Postgresql(inner) => {
            const VISIBLE: &str = "p.search_vector @@ q AND p.status = 'published' \
                AND p.published_at <= $2 AND p.deleted_at IS NULL";
            let query = tsquery(words);
            let hits = diesel::sql_query(format!(
                "SELECT p.id AS id, ts_headline('simple', p.search_text, q, \
                   'StartSel=' || chr(57344) || ', StopSel=' || chr(57345) || ', MaxWords=40, MinWords=15, MaxFragments=1') AS snippet \
                 FROM posts p, to_tsquery('simple', $1) q WHERE {VISIBLE} \
                 ORDER BY ts_rank(p.search_vector, q) DESC, p.published_at DESC LIMIT $3 OFFSET $4"
            ))
            .bind::<Text, _>(&query)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limit)
            .bind::<BigInt, _>(offset)
            .load::<SearchHit>(inner)?;
            let total = diesel::sql_query(format!(
                "SELECT COUNT(*) AS n FROM posts p, to_tsquery('simple', $1) q WHERE {VISIBLE}"
            ))
            .bind::<Text, _>(&query)
            .bind::<Timestamp, _>(now)
            .get_result::<Count>(inner)?
            .n;
            Ok((hits, total))
        }
    }
}
