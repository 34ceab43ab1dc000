use std::time::Duration;

use actix_web::{HttpResponse, get, web};
use serde_json::json;

use crate::db::{self, DatabaseUrl};
use crate::state::AppState;

/// How long `/readyz` waits for a database connection before calling itself unready.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// The process is up.
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// The database answers a query against our schema: 200, otherwise 503.
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let state = state.into_inner();
    let outcome = web::block(move || -> Result<(), String> {
        // An open SQLite connection keeps working on a deleted file; check the path too.
        if let DatabaseUrl::Sqlite(path) = &state.database
            && !path.is_file()
        {
            return Err(format!("database file {} is missing", path.display()));
        }
        let mut conn = state
            .pool
            .get_timeout(READY_TIMEOUT)
            .map_err(|e| e.to_string())?;
        db::check_ready(&mut conn).map_err(|e| e.to_string())
    })
    .await
    .unwrap_or_else(|e| Err(e.to_string()));
    match outcome {
        Ok(()) => HttpResponse::Ok().json(json!({ "status": "ready" })),
        Err(reason) => {
            tracing::warn!(%reason, "not ready");
            HttpResponse::ServiceUnavailable()
                .json(json!({ "status": "unavailable", "reason": "database unreachable" }))
        }
    }
}
