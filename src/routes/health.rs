use actix_web::{HttpResponse, get, web};
use serde_json::json;

use crate::db::{self, DatabaseUrl};
use crate::state::AppState;

/// The process is up.
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// The database answers a query against our schema and takes a write: 200, otherwise 503.
/// Answers within the connect timeout (`FOLIO_DB_CONNECT_TIMEOUT`), even when a write
/// waits longer for SQLite's lock; while the database can't be reached, at once.
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let state = state.into_inner();
    let bound = state.pool.connect_timeout();
    let check = web::block(move || -> Result<(), String> {
        // An open SQLite connection keeps working on a deleted file; check the path too.
        if let DatabaseUrl::Sqlite(path) = &state.database
            && !path.is_file()
        {
            return Err(format!("database file {} is missing", path.display()));
        }
        let mut conn = state.pool.get().map_err(|e| e.detailed())?;
        db::check_ready(&mut conn).map_err(|e| e.to_string())
    });
    let outcome = match actix_web::rt::time::timeout(bound, check).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(blocking)) => Err(blocking.to_string()),
        Err(_) => Err(format!(
            "no answer from the database within {} s",
            bound.as_secs()
        )),
    };
    match outcome {
        Ok(()) => HttpResponse::Ok().json(json!({ "status": "ready" })),
        Err(reason) => {
            tracing::warn!(%reason, "not ready");
            HttpResponse::ServiceUnavailable()
                .json(json!({ "status": "unavailable", "reason": "database unreachable or not writable" }))
        }
    }
}
