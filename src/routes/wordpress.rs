//! Importing a WordPress export from the dashboard (admins only): the file is uploaded
//! (streamed to a temp file), the import runs in the background, and its page shows the
//! progress, then the report. Imports are tracked in this server's memory: the page of an
//! import lives on the node that ran it, until it restarts.

use actix_multipart::Multipart;
use actix_session::Session;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};

use crate::auth::{self, CurrentUser};
use crate::domain::Role;
use crate::domain::permissions::{Action, Ownership};
use crate::error::AppResult;
use crate::media::upload;
use crate::state::AppState;
use crate::views::{self, AdminNav, ImportJobPage, ImportJobView, ImportPage, ImportSummary};
use crate::wordpress::import::{self, Options, Progress};
use crate::wordpress::jobs::State;

/// Largest export accepted by upload (the file is streamed to disk, never held in memory).
pub const MAX_EXPORT_BYTES: u64 = 1024 * 1024 * 1024;
fn roles() -> Vec<&'static str> {
    Role::ALL.iter().map(|r| r.as_str()).collect()
}

fn form_page(
    state: &AppState,
    nav: AdminNav,
    error: Option<String>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let jobs = state
        .imports
        .recent()
        .into_iter()
        .map(|(id, job)| ImportSummary {
            id,
            summary: match &job.state {
                State::Running(p) => format!("{}…", p.phase),
                State::Done(report) => format!(
                    "{} post(s) and page(s) imported, {} warning(s)",
                    report.posts_imported(),
                    report.warnings.len()
                ),
                State::Failed(_) => "failed".to_owned(),
            },
            file_name: job.file_name,
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

#[get("/admin/import/wordpress")]
pub async fn import_form(
    CurrentUser(me): CurrentUser,
    state: web::Data<AppState>,
    session: Session,
) -> AppResult<HttpResponse> {
    auth::require(&me, Action::ImportContent, Ownership::Site)?;
    form_page(&state, AdminNav::new(&me, &session)?, None, StatusCode::OK)
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
    let again = |message: &str, status| {
        form_page(
            &state,
            AdminNav::new(&me, &session)?,
            Some(message.to_owned()),
            status,
        )
    };
    let max_body = MAX_EXPORT_BYTES + 1024 * 1024;
    if !upload::is_multipart_within(&req, max_body, "The export", MAX_EXPORT_BYTES)? {
        return again(
            "Choose the export file to upload.",
            StatusCode::UNPROCESSABLE_ENTITY,
        );
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
        );
    };
    let file = match form.files.len() {
        0 => {
            return again(
                "Choose the export file to upload.",
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
        1 => form.files.remove(0),
        _ => {
            return again(
                "Upload one export file at a time.",
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    let id = state.imports.start(file.label.clone());
    let address = auth::client_address(&req, state.trust_proxy);
    let options = Options {
        uploads: None,
        author_role,
        importer_id: Some(me.id),
        audit_address: Some(address),
    };
    let task_state = state.clone();
    actix_web::rt::spawn(async move {
        let state = task_state;
        let label = file.label.clone();
        let worker_state = state.clone();
        let outcome = web::block(move || {
            let state = worker_state;
            let mut conn = state
                .pool
                .get()
                .map_err(|e| format!("cannot reach the database: {e}"))?;
            let progress = |p: Progress| state.imports.set(id, State::Running(p));
            let report = import::import(
                &mut conn,
                &state.media,
                file.file.path(),
                &file.label,
                &options,
                &progress,
            )?;
            // `file` (the temp file) is dropped, and so deleted, here.
            Ok::<_, String>(report)
        })
        .await;
        let outcome = match outcome {
            Ok(Ok(report)) => {
                // The same as any write through this node: caches emptied once, the
                // counter recorded so the poller doesn't empty them again.
                crate::freshness::after_own_write(&state).await;
                State::Done(Box::new(report))
            }
            Ok(Err(message)) => {
                tracing::info!(file = %label, %message, "WordPress import refused");
                State::Failed(message)
            }
            Err(e) => {
                tracing::error!(error = %e, "WordPress import stopped");
                State::Failed("the import stopped unexpectedly; nothing was imported".into())
            }
        };
        state.imports.set(id, outcome);
    });
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
    let Some(job) = id.parse::<u64>().ok().and_then(|id| state.imports.get(id)) else {
        // Likely a page left open across a restart: back to the form, saying why.
        auth::set_flash(
            &session,
            "That import is not known to this server (imports are remembered until it restarts). Posts it imported are in the post list.",
        )?;
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/admin/import/wordpress"))
            .finish());
    };
    let mut view = ImportJobView {
        file_name: job.file_name,
        running: false,
        phase: "",
        done: 0,
        total: 0,
        error: None,
        report: None,
    };
    match job.state {
        State::Running(p) => {
            view.running = true;
            view.phase = p.phase;
            view.done = p.done;
            view.total = p.total;
        }
        State::Done(report) => view.report = Some(*report),
        State::Failed(message) => view.error = Some(message),
    }
    let page = ImportJobPage {
        nav: AdminNav::new(&me, &session)?,
        job: view,
    };
    views::html(StatusCode::OK, &page)
}
