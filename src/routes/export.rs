//! The site export from the dashboard (admins): Settings' “Download an export” button
//! queues a durable job (`export::jobs`, run by `jobs` on whichever node claims it), its
//! page shows the progress and then a download link. The page and the download read the
//! job table and the shared media directory, so any node serves them, and a large site's
//! export doesn't depend on one request staying open.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpRequest, HttpResponse, get, post, web};

use crate::auth::{self, CurrentUser};
use crate::db;
use crate::domain::counted;
use crate::domain::permissions::{Action, Ownership};
use crate::error::{AppError, AppResult};
use crate::export::jobs::{self as export_jobs, Summary};
use crate::routes::respond::redirect;
use crate::state::AppState;
use crate::store::jobs::{self, Job};
use crate::views::{self, AdminNav, ExportJobPage, ExportJobView, ExportSummary};

/// Exports listed on an export's page.
const RECENT_EXPORTS: i64 = 5;

/// The export is a POST (below); a GET, e.g. an old bookmark, leads to the settings page
/// where its form is, and starts nothing.
#[get("/admin/export")]
pub async fn export_form(user: CurrentUser) -> AppResult<HttpResponse> {
    auth::require(&user.0, Action::ExportAndBackup, Ownership::Site)?;
    Ok(redirect("/admin/settings"))
}

/// Queues an export of the whole site (a `folio export` archive without password hashes)
/// and leads to its page. A POST from the settings page's form (CSRF-checked): building it
/// is heavy work, which a link, a prefetch or a cross-site image must not start.
#[post("/admin/export")]
pub async fn start_export(
    user: CurrentUser,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    auth::require(&user.0, Action::ExportAndBackup, Ownership::Site)?;
    let me = user.0.id;
    let id = db::run(&state.pool, move |conn| {
        Ok(export_jobs::enqueue(conn, me, jobs::now())?)
    })
    .await?;
    // This node's runner starts it at once if it is idle; otherwise the first free node.
    state.jobs.wake.notify_one();
    Ok(redirect(&format!("/admin/export/{id}")))
}

/// The export job `id` (as written in the path) and whether its archive is still kept;
/// `None` if there is no such export.
async fn find(state: &AppState, id: &str) -> AppResult<Option<(Job, bool)>> {
    let Ok(id) = id.parse::<i32>() else {
        return Ok(None);
    };
    let storage = state.media.storage.clone();
    db::run(&state.pool, move |conn| {
        let job = jobs::get(conn, id)?.filter(|job| job.kind == export_jobs::KIND);
        Ok(job.map(|job| {
            let kept = export_jobs::archive(&storage, &job).is_some();
            (job, kept)
        }))
    })
    .await
}

fn no_such_export() -> AppError {
    AppError::NotFound("There is no such export. Start one from Settings.".into())
}

fn when(at: chrono::NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// One line about an export, for the list.
fn summary(job: &Job) -> String {
    match job.state.as_str() {
        jobs::QUEUED => "waiting to start…".to_owned(),
        jobs::RUNNING => format!("{}…", job.progress_phase),
        jobs::DONE => Summary::of(job).map_or_else(
            || "done".to_owned(),
            |s| {
                let posts = counted(s.counts.posts, "post or page", "posts and pages");
                format!("done: {posts}, {}", s.size())
            },
        ),
        jobs::INTERRUPTED => "interrupted: no file was kept".to_owned(),
        _ => "failed: no file was kept".to_owned(),
    }
}

/// The newest `limit` exports, newest first (on their pages and the settings page).
pub async fn recent(state: &AppState, limit: i64) -> AppResult<Vec<ExportSummary>> {
    let jobs = db::run(&state.pool, move |conn| {
        Ok(jobs::recent(conn, export_jobs::KIND, limit)?)
    })
    .await?;
    Ok(jobs
        .iter()
        .map(|job| ExportSummary {
            id: job.id,
            created: when(job.created_at),
            summary: summary(job),
        })
        .collect())
}

#[get("/admin/export/{id}")]
pub async fn export_page(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    auth::require(&user.0, Action::ExportAndBackup, Ownership::Site)?;
    let (job, kept) = find(&state, &id).await?.ok_or_else(no_such_export)?;
    let mut view = ExportJobView {
        id: job.id,
        running: job.is_pending(),
        phase: job.progress_phase.clone(),
        note: None,
        error: None,
        interrupted: None,
        summary: None,
        file_name: None,
        finished: when(job.finished_at.unwrap_or(job.updated_at)),
    };
    match job.state.as_str() {
        jobs::QUEUED | jobs::RUNNING => view.note = job.error.clone(),
        jobs::DONE => {
            view.summary = Summary::of(&job);
            if view.summary.is_none() {
                view.error = Some("its record is unreadable".into());
            }
            view.file_name = kept.then(|| export_jobs::download_name(&job));
        }
        jobs::INTERRUPTED => view.interrupted = Some(job.error.clone().unwrap_or_default()),
        _ => {
            view.error = Some(
                job.error
                    .clone()
                    .unwrap_or_else(|| "it stopped unexpectedly".to_owned()),
            );
        }
    }
    let page = ExportJobPage {
        nav: AdminNav::new(&user.0, &session, &state).await?,
        job: view,
        recent: recent(&state, RECENT_EXPORTS).await?,
    };
    views::html(StatusCode::OK, &page)
}

/// The archive of a finished export, streamed from the shared media directory. One not
/// finished yet leads to its page; one failed or since replaced is gone (410).
#[get("/admin/export/{id}/download")]
pub async fn download(
    user: CurrentUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    auth::require(&user.0, Action::ExportAndBackup, Ownership::Site)?;
    let (job, _) = find(&state, &id).await?.ok_or_else(no_such_export)?;
    if job.is_pending() {
        return Ok(redirect(&format!("/admin/export/{}", job.id)));
    }
    if job.state != jobs::DONE {
        return Err(AppError::Gone(
            "This export did not finish, so there is nothing to download. Start a new one from Settings.".into(),
        ));
    }
    let path = export_jobs::archive_path(&state.media.storage, job.id);
    // Opened once: a newer export removing the file meanwhile doesn't cut this download.
    let opened = web::block(move || actix_files::NamedFile::open(path)).await?;
    let Ok(file) = opened else {
        return Err(AppError::Gone(
            "This export is no longer kept: a newer export replaced it. Start a new one from Settings.".into(),
        ));
    };
    let mime = "application/gzip"
        .parse()
        .map_err(|e| AppError::internal("bad MIME type", e))?;
    Ok(file
        .set_content_type(mime)
        .set_content_disposition(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(export_jobs::download_name(&job))],
        })
        .into_response(&req))
}
