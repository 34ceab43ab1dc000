//! Importing a WordPress export from the dashboard (admins only): the file is uploaded
//! (streamed to a temp file under the media directory), kept there and queued as a durable
//! job (`wordpress::jobs`, run by `jobs` on whichever node claims it), and the import's
//! page shows its progress, then the report — read from the database, so any node shows
//! it, before and after restarts.

use actix_multipart::Multipart;
use actix_session::Session;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};

use crate::auth::{self, CurrentUser};
use crate::db;
use crate::domain::permissions::{Action, Ownership};
use crate::domain::{Role, counted};
use crate::error::AppResult;
use crate::media::upload;
use crate::state::AppState;
use crate::store::jobs::{self, Job};
use crate::views::{self, AdminNav, ImportJobPage, ImportJobView, ImportPage, ImportSummary};
use crate::wordpress;

/// Largest export accepted by upload (the file is streamed to disk, never held in memory).
pub const MAX_EXPORT_BYTES: u64 = 1024 * 1024 * 1024;
fn roles() -> Vec<&'static str> {
    Role::ALL.iter().map(|r| r.as_str()).collect()
}

/// Imports listed on the form's page.
const RECENT_IMPORTS: i64 = 20;

async fn form_page(
    state: &AppState,
    nav: AdminNav,
    error: Option<String>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let recent = db::run(&state.pool, |conn| {
        Ok(jobs::recent(conn, wordpress::jobs::KIND, RECENT_IMPORTS)?)
    })
    .await?;
    let jobs = recent
        .iter()
        .map(|job| ImportSummary {
            id: job.id,
            summary: summary(job),
            file_name: wordpress::jobs::file_name(job),
        })
        .collect();
    let view = ImportPage {
        nav,
        error,
        roles: roles(),
        max_mb: MAX_EXPORT_BYTES / (1024 * 1024),
        jobs,
    };
    views::html(status, &view)
}

/// One line about an import, for the list.
fn summary(job: &Job) -> String {
    match job.state.as_str() {
        jobs::QUEUED => "waiting to start…".to_owned(),
        jobs::RUNNING => format!("{}…", job.progress_phase),
        jobs::DONE => match wordpress::jobs::report(job) {
            Some(report) => format!(
                "{} imported, {}",
                counted(report.posts_imported(), "post or page", "posts and pages"),
                counted(report.warnings.len(), "warning", "warnings")
            ),
            None => "done".to_owned(),
        },
        jobs::INTERRUPTED => "interrupted: nothing was imported".to_owned(),
        _ => "failed: nothing was imported".to_owned(),
    }
}

#[get("/admin/import/wordpress")]
pub async fn import_form(
    CurrentUser(me): CurrentUser,
    state: web::Data<AppState>,
    session: Session,
) -> AppResult<HttpResponse> {
    auth::require(&me, Action::ImportContent, Ownership::Site)?;
    form_page(
        &state,
        AdminNav::new(&me, &session, &state).await?,
        None,
        StatusCode::OK,
    )
    .await
}

/// Receives the export and starts importing it; answers with the import's page.
#[post("/admin/import/wordpress")]
pub async fn start_import(
    CurrentUser(me): CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    auth::require(&me, Action::ImportContent, Ownership::Site)?;
    let again = async |message: &str, status| {
        form_page(
            &state,
            AdminNav::new(&me, &session, &state).await?,
            Some(message.to_owned()),
            status,
        )
        .await
    };
    let max_body = MAX_EXPORT_BYTES + 1024 * 1024;
    if !upload::is_multipart_within(&req, max_body, "The export", MAX_EXPORT_BYTES)? {
        return again(
            "Choose the export file to upload.",
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let multipart = Multipart::new(req.headers(), payload);
    let mut form = upload::receive(multipart, &state.media.storage, MAX_EXPORT_BYTES).await?;
    let Ok(author_role) = form
        .field("author_role")
        .unwrap_or("author")
        .parse::<Role>()
    else {
        return again(
            "Choose the role of imported authors from the list.",
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let file = match form.files.len() {
        0 => {
            return again(
                "Choose the export file to upload.",
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        1 => form.files.remove(0),
        _ => {
            return again(
                "Upload one export file at a time.",
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let address = auth::client_address(&req, state.trust_proxy);
    let storage = state.media.storage.clone();
    let importer = me.id;
    let id = db::run(&state.pool, move |conn| {
        wordpress::jobs::enqueue(
            conn,
            &storage,
            file.file,
            &wordpress::jobs::Requested {
                file_name: &file.label,
                author_role,
                importer_id: importer,
                audit_address: &address,
            },
            jobs::now(),
        )
    })
    .await?;
    // This node's runner starts it at once if it is idle; otherwise the first free node.
    state.jobs.wake.notify_one();
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/admin/import/wordpress/{id}")))
        .finish())
}

#[get("/admin/import/wordpress/{id}")]
pub async fn import_page(
    CurrentUser(me): CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    auth::require(&me, Action::ImportContent, Ownership::Site)?;
    let id = id.parse::<i32>().ok();
    let job = match id {
        Some(id) => db::run(&state.pool, move |conn| Ok(jobs::get(conn, id)?)).await?,
        None => None,
    };
    let Some(job) = job.filter(|job| job.kind == wordpress::jobs::KIND) else {
        auth::set_flash(&session, "There is no such import.")?;
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/admin/import/wordpress"))
            .finish());
    };
    let mut view = ImportJobView {
        file_name: wordpress::jobs::file_name(&job),
        running: job.is_pending(),
        phase: job.progress_phase.clone(),
        done: job.progress_done,
        total: job.progress_total,
        note: None,
        error: None,
        interrupted: None,
        report: None,
    };
    match job.state.as_str() {
        jobs::QUEUED | jobs::RUNNING => view.note = job.error.clone(),
        jobs::DONE => {
            view.report = wordpress::jobs::report(&job);
            if view.report.is_none() {
                view.error = Some("its report is unreadable".into());
            }
        }
        jobs::INTERRUPTED => {
            view.interrupted = Some(job.error.clone().unwrap_or_default());
        }
        _ => {
            view.error = Some(
                job.error
                    .clone()
                    .unwrap_or_else(|| "nothing was imported".to_owned()),
            );
        }
    }
    let page = ImportJobPage {
        nav: AdminNav::new(&me, &session, &state).await?,
        job: view,
    };
    views::html(StatusCode::OK, &page)
}
