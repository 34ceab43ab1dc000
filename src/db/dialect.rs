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

/// Serialises transactions that read and then change login-failure counters, so that
/// concurrent logins can't all read "not locked" (or all insert the same new key).
/// SQLite's `BEGIN IMMEDIATE` already serialises writers.
pub fn lock_login_throttle(conn: &mut DbConnection) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(_) => Ok(()),
        DbConnection::Postgresql(inner) => {
            inner.batch_execute("LOCK TABLE login_throttle IN SHARE ROW EXCLUSIVE MODE")
        }
    }
}

/// Serialises WordPress imports' write transactions (two imports of one site at once would
/// both insert its items). SQLite's `BEGIN IMMEDIATE` already serialises writers.
pub fn lock_imported_items(conn: &mut DbConnection) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(_) => Ok(()),
        DbConnection::Postgresql(inner) => {
            inner.batch_execute("LOCK TABLE imported_items IN SHARE ROW EXCLUSIVE MODE")
        }
    }
}

/// Writes a consistent copy of a SQLite database to `path` (`VACUUM INTO` reads one
/// transaction's snapshot, so writers go on meanwhile). `None` on PostgreSQL.
pub fn sqlite_snapshot(conn: &mut DbConnection, path: &str) -> Option<QueryResult<()>> {
    use diesel::RunQueryDsl;
    match conn {
        DbConnection::Sqlite(inner) => Some(
            diesel::sql_query("VACUUM INTO ?")
                .bind::<diesel::sql_types::Text, _>(path)
                .execute(inner)
                .map(|_| ()),
        ),
        DbConnection::Postgresql(_) => None,
    }
}

/// After rows were inserted with their own ids (an import), PostgreSQL's id sequences
/// must continue after the largest — but never go back: an id handed out before and
/// deleted since must not come again (it may still be named by a link or a log).
/// SQLite's AUTOINCREMENT counters move past inserted ids by themselves.
pub fn reset_id_sequences(conn: &mut DbConnection) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(_) => Ok(()),
        DbConnection::Postgresql(inner) => {
            for table in IMPORTED_TABLES {
                inner.batch_execute(&format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST( \
                       COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, \
                       COALESCE(pg_sequence_last_value(pg_get_serial_sequence('{table}', 'id')::regclass) + 1, 1) \
                     ), false)"
                ))?;
            }
            Ok(())
        }
    }
}

/// Tables whose rows an import writes with ids.
const IMPORTED_TABLES: [&str; 6] = ["users", "posts", "tags", "media", "revisions", "redirects"];

#[derive(diesel::QueryableByName)]
struct NextId {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    id: i32,
}

/// An id for a new row of `table` (one of the imported tables) that no row has ever had:
/// PostgreSQL's sequence hands it out; on SQLite it is past both the largest id and, for
/// an AUTOINCREMENT table, the largest ever used (`sqlite_sequence`).
pub fn fresh_id(conn: &mut DbConnection, table: &str) -> QueryResult<i32> {
    use diesel::RunQueryDsl;
    let Some(table) = IMPORTED_TABLES.into_iter().find(|t| *t == table) else {
        return Err(diesel::result::Error::QueryBuilderError(
            format!("no ids are handed out for {table}").into(),
        ));
    };
    let found: NextId = match conn {
        DbConnection::Postgresql(inner) => diesel::sql_query(format!(
            "SELECT CAST(nextval(pg_get_serial_sequence('{table}', 'id')) AS INTEGER) AS id"
        ))
        .get_result(inner)?,
        DbConnection::Sqlite(inner) => {
            let has_sequences: NextId = diesel::sql_query(
                "SELECT COUNT(*) AS id FROM sqlite_master WHERE name = 'sqlite_sequence'",
            )
            .get_result(inner)?;
            let used = if has_sequences.id > 0 {
                format!("(SELECT seq FROM sqlite_sequence WHERE name = '{table}')")
            } else {
                "0".to_owned()
            };
            diesel::sql_query(format!(
                "SELECT CAST(MAX(COALESCE((SELECT MAX(id) FROM {table}), 0), COALESCE({used}, 0)) + 1 AS INTEGER) AS id"
            ))
            .get_result(inner)?
        }
    };
    Ok(found.id)
}

/// Inserts many rows in one statement (`diesel::insert_into(table).values(rows)`): diesel's
/// multi-row insert doesn't compile through the two-backend connection, so it runs on the
/// concrete one. The rows must give every column a value (SQLite has no `DEFAULT` in a
/// multi-row `VALUES`); keep them to a few thousand bound parameters.
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {{
        use diesel::RunQueryDsl as _;
        match $conn {
            $crate::db::DbConnection::Postgresql(inner) => {
                diesel::insert_into($table).values($rows).execute(inner)
            }
            $crate::db::DbConnection::Sqlite(inner) => {
                diesel::insert_into($table).values($rows).execute(inner)
            }
        }
    }};
}
pub(crate) use insert_rows;

/// `count` ids for new rows of `table` (one of the imported tables) that no row has ever
/// had, in one round trip: PostgreSQL's sequence hands them out; on SQLite they follow
/// [`fresh_id`]'s, so this must run inside the write transaction that inserts them.
pub fn fresh_ids(conn: &mut DbConnection, table: &str, count: usize) -> QueryResult<Vec<i32>> {
    use diesel::RunQueryDsl;
    if count == 0 {
        return Ok(Vec::new());
    }
    let Some(table) = IMPORTED_TABLES.into_iter().find(|t| *t == table) else {
        return Err(diesel::result::Error::QueryBuilderError(
            format!("no ids are handed out for {table}").into(),
        ));
    };
    let count =
        i32::try_from(count).map_err(|e| diesel::result::Error::QueryBuilderError(e.into()))?;
    match conn {
        DbConnection::Postgresql(inner) => Ok(diesel::sql_query(format!(
            "SELECT CAST(nextval(pg_get_serial_sequence('{table}', 'id')) AS INTEGER) AS id \
             FROM generate_series(1, $1)"
        ))
        .bind::<diesel::sql_types::Integer, _>(count)
        .load::<NextId>(inner)?
        .into_iter()
        .map(|row| row.id)
        .collect()),
        DbConnection::Sqlite(_) => {
            let first = fresh_id(conn, table)?;
            Ok((first..first.saturating_add(count)).collect())
        }
    }
}

/// Makes the current transaction read every table from one snapshot. PostgreSQL's default
/// (read committed) takes a new snapshot per statement; SQLite's read transaction already
/// keeps the one of its first read.
pub fn snapshot_isolation(conn: &mut DbConnection) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(_) => Ok(()),
        DbConnection::Postgresql(inner) => {
            inner.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        }
    }
}

/// One search hit: the post and a snippet whose matches sit between
/// [`MARK_START`] and [`MARK_END`] (the caller escapes the text, then turns them into marks).
#[derive(Debug)]
pub struct SearchHit {
    pub id: i32,
    pub snippet: String,
}

pub const MARK_START: char = '\u{E000}';
pub const MARK_END: char = '\u{E001}';

/// How many matches search ranks at most: the newest ones. Ranking every match of a common
/// word in a large site costs far more than the budget (20 ms at 100,000 posts).
pub const SEARCH_CANDIDATES: i64 = 200;

/// A page of search results and what is known of the rest.
pub struct SearchPage {
    pub hits: Vec<SearchHit>,
    /// Visible matches among the candidates.
    pub total: i64,
    /// More posts match than were ranked (only the newest `SEARCH_CANDIDATES` were).
    pub capped: bool,
}

#[derive(diesel::QueryableByName)]
struct Candidate {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    id: i32,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    visible: bool,
}

/// Full-text search over visible posts and pages: the newest `SEARCH_CANDIDATES` matches,
/// best first (FTS5 bm25 with titles weighted 5× on SQLite, ts_rank on PostgreSQL's
/// GIN-indexed tsvector), and a highlighted snippet for the requested page. Whole words
/// are tried first; when they find few posts, words also match as prefixes ("engin" finds
/// "engines") — prefix lookups of common words are what is slow on large sites. `words`
/// come from `domain::search::terms`, so they hold only letters and digits.
pub fn search(
    conn: &mut DbConnection,
    words: &[String],
    now: chrono::NaiveDateTime,
    offset: i64,
    limit: i64,
) -> QueryResult<SearchPage> {
    use diesel::prelude::*;

    use crate::db::schema::posts;
    if words.is_empty() {
        return Ok(SearchPage {
            hits: Vec::new(),
            total: 0,
            capped: false,
        });
    }
    let mut candidates = ranked_candidates(conn, words, now, false)?;
    if (candidates.len() as i64) < SEARCH_CANDIDATES {
        candidates = ranked_candidates(conn, words, now, true)?;
    }
    let page = page_of(&candidates, offset, limit);
    let texts: Vec<(i32, String)> = posts::table
        .filter(posts::id.eq_any(&page))
        .select((posts::id, posts::search_text))
        .load(conn)?;
    let hits = page
        .iter()
        .filter_map(|id| {
            let (_, text) = texts.iter().find(|(t, _)| t == id)?;
            Some(SearchHit {
                id: *id,
                snippet: crate::domain::search::snippet(text, words, (MARK_START, MARK_END)),
            })
        })
        .collect();
    Ok(SearchPage {
        hits,
        total: candidates.iter().filter(|c| c.visible).count() as i64,
        capped: candidates.len() as i64 >= SEARCH_CANDIDATES,
    })
}

/// The newest matches (at most `SEARCH_CANDIDATES`), best first, each marked visible or not.
fn ranked_candidates(
    conn: &mut DbConnection,
    words: &[String],
    now: chrono::NaiveDateTime,
    prefix: bool,
) -> QueryResult<Vec<Candidate>> {
    use diesel::RunQueryDsl;
    use diesel::sql_types::{BigInt, Text, Timestamp};

    use crate::domain::search::{fts5_query, tsquery};
    match conn {
        // FTS5 walks the matches newest id first and stops at the limit; bm25 is computed
        // for those only; visibility comes from a covering index, not the long rows.
        DbConnection::Sqlite(inner) => diesel::sql_query(
            "WITH c AS (SELECT rowid AS id, bm25(posts_fts, 5.0, 1.0) AS score \
               FROM posts_fts WHERE posts_fts MATCH ? ORDER BY rowid DESC LIMIT ?) \
             SELECT c.id AS id, \
               (p.status = 'published' AND p.published_at <= ? AND p.deleted_at IS NULL) AS visible \
             FROM c JOIN posts p INDEXED BY posts_visibility_idx ON p.id = c.id \
             ORDER BY c.score, p.published_at DESC, c.id DESC",
        )
        .bind::<Text, _>(fts5_query(words, prefix))
        .bind::<BigInt, _>(SEARCH_CANDIDATES)
        .bind::<Timestamp, _>(now)
        .load::<Candidate>(inner),
        // The GIN index finds the matches; they are ranked by the small `rank_vector`
        // (title and opening words), never by detoasting each one's full vector.
        DbConnection::Postgresql(inner) => diesel::sql_query(
            "WITH c AS MATERIALIZED ( \
               SELECT p.id, p.status, p.published_at, p.deleted_at, p.rank_vector \
               FROM posts p WHERE p.search_vector @@ to_tsquery('simple', $1) \
               ORDER BY p.id DESC LIMIT $2) \
             SELECT c.id AS id, \
               (c.status = 'published' AND c.published_at <= $3 AND c.deleted_at IS NULL) AS visible \
             FROM c ORDER BY ts_rank(c.rank_vector, to_tsquery('simple', $1)) DESC, \
               c.published_at DESC, c.id DESC",
        )
        .bind::<Text, _>(tsquery(words, prefix))
        .bind::<BigInt, _>(SEARCH_CANDIDATES)
        .bind::<Timestamp, _>(now)
        .load::<Candidate>(inner),
    }
}

/// The ids of one page of the visible candidates.
fn page_of(candidates: &[Candidate], offset: i64, limit: i64) -> Vec<i32> {
    candidates
        .iter()
        .filter(|c| c.visible)
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(0))
        .map(|c| c.id)
        .collect()
}

/// The id of the oldest queued job due at `now`, locked for this transaction, skipping
/// jobs another node's transaction has locked (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so two
/// nodes claiming at once never get the same job and never wait for each other). On SQLite
/// the caller holds the one write lock (`BEGIN IMMEDIATE`), so a plain query is enough.
/// Call inside a write transaction.
pub fn next_queued_job(
    conn: &mut DbConnection,
    now: chrono::NaiveDateTime,
) -> QueryResult<Option<i32>> {
    use diesel::RunQueryDsl;
    use diesel::sql_types::Timestamp;
    let sql_pg = "SELECT id FROM jobs WHERE state = 'queued' AND run_after <= $1 \
                  ORDER BY run_after, id LIMIT 1 FOR UPDATE SKIP LOCKED";
    let sql_sqlite = "SELECT id FROM jobs WHERE state = 'queued' AND run_after <= ? \
                      ORDER BY run_after, id LIMIT 1";
    let found: Vec<NextId> = match conn {
        DbConnection::Postgresql(inner) => diesel::sql_query(sql_pg)
            .bind::<Timestamp, _>(now)
            .load(inner)?,
        DbConnection::Sqlite(inner) => diesel::sql_query(sql_sqlite)
            .bind::<Timestamp, _>(now)
            .load(inner)?,
    };
    Ok(found.first().map(|row| row.id))
}
