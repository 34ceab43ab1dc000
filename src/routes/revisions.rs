//! History of a post: the list of revisions, one revision, a diff between two, restoring
//! one; and the rolling autosave the admin script writes while someone types.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use crate::auth::{self, CurrentUser};
use crate::db;
use crate::domain::post::{self as rules, Kind};
use crate::error::{AppError, AppResult};
use crate::routes::posts::{load_post, refused, require_create, require_edit};
use crate::routes::respond::redirect;
use crate::state::AppState;
use crate::store::editorial::{self, SaveRequest, SlugChoice, Target, Text};
use crate::store::posts::Post;
use crate::store::revisions::{self, Revision};
use crate::store::users::User;
use crate::views::{self, AdminNav, CompareView, RevisionItem, RevisionView, RevisionsPage};
use crate::{media, render};

/// The post, if `user` may edit it.
async fn editable(state: &AppState, user: &User, id: i32) -> AppResult<Post> {
    let post = load_post(state, id).await?;
    require_edit(user, &post)?;
    Ok(post)
}

#[get("/admin/posts/{id}/revisions")]
pub async fn list(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let post = editable(&state, &user.0, id.into_inner()).await?;
    let post_id = post.id;
    let tz = state.time_zone().await?;
    let (history, tz) = db::run(&state.pool, move |conn| {
        Ok((revisions::history(conn, post_id)?, tz))
    })
    .await?;
    let items = history
        .into_iter()
        .map(|(revision, author)| RevisionItem {
            id: revision.id,
            title: revision.title,
            author: author.unwrap_or_else(|| "a deleted user".to_owned()),
            saved: views::local_time_to_second(revision.created_at, tz),
            event: crate::domain::revision::label_of(&revision.event),
        })
        .collect();
    let page = RevisionsPage {
        nav: AdminNav::new(&user.0, &session, &state).await?,
        post_id,
        title: post.display_title().to_owned(),
        items,
    };
    views::html(StatusCode::OK, &page)
}

#[get("/admin/posts/{id}/revisions/{rev}")]
pub async fn show(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<(i32, i32)>,
) -> AppResult<HttpResponse> {
    let (id, rev) = path.into_inner();
    let post = editable(&state, &user.0, id).await?;
    let tz = state.time_zone().await?;
    let reader = user.0.id;
    let (revision, html) = db::run(&state.pool, move |conn| {
        let revision =
            revisions::readable(conn, id, rev, reader)?.ok_or_else(AppError::not_found)?;
        let html = media::render_markdown(conn, &revision.body_markdown)?;
        Ok((revision, html))
    })
    .await?;
    let page = RevisionView {
        nav: AdminNav::new(&user.0, &session, &state).await?,
        post_id: post.id,
        post_title: post.display_title().to_owned(),
        revision_id: revision.id,
        saved: views::local_time_to_second(revision.created_at, tz),
        html: html.into_string(),
        title: revision.title,
        body: revision.body_markdown,
    };
    views::html(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct CompareQuery {
    from: Option<i32>,
    to: Option<i32>,
}

/// Diff between two revisions (by default the two newest).
#[get("/admin/posts/{id}/compare")]
pub async fn compare(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<i32>,
    query: web::Query<CompareQuery>,
) -> AppResult<HttpResponse> {
    let post = editable(&state, &user.0, id.into_inner()).await?;
    let post_id = post.id;
    let CompareQuery { from, to } = query.into_inner();
    let tz = state.time_zone().await?;
    let reader = user.0.id;
    let (old, new, tz) = db::run(&state.pool, move |conn| {
        let history = revisions::history(conn, post_id)?;
        let find = |conn: &mut db::DbConnection,
                    wanted: Option<i32>,
                    fallback: usize|
         -> AppResult<Option<Revision>> {
            match wanted {
                Some(id) => revisions::readable(conn, post_id, id, reader)?
                    .map(Some)
                    .ok_or_else(|| {
                        AppError::NotFound(format!("Revision {id} is not one of this post's."))
                    }),
                None => Ok(history.get(fallback).map(|(r, _)| r.clone())),
            }
        };
        let new = find(conn, to, 0)?;
        let old = find(conn, from, 1)?;
        Ok((old, new, tz))
    })
    .await?;
    // Comparing is CPU work, bounded in time and size: off the async threads.
    let diff = {
        let old_body = old
            .as_ref()
            .map(|r| r.body_markdown.clone())
            .unwrap_or_default();
        let new_body = new
            .as_ref()
            .map(|r| r.body_markdown.clone())
            .unwrap_or_default();
        web::block(move || render::diff::lines(&old_body, &new_body)).await?
    };
    let describe = |r: &Option<Revision>| {
        r.as_ref()
            .map(|r| views::local_time_to_second(r.created_at, tz))
            .unwrap_or_else(|| "nothing".to_owned())
    };
    let title_change = match (&old, &new) {
        (Some(a), Some(b)) if a.title != b.title => Some((a.title.clone(), b.title.clone())),
        _ => None,
    };
    let notice = match (diff.same, &title_change) {
        (true, None) => Some("No changes between these versions.".to_owned()),
        (true, Some(_)) => Some("Only the title changed; the text is the same.".to_owned()),
        (false, _) => diff.notice,
    };
    let page = CompareView {
        nav: AdminNav::new(&user.0, &session, &state).await?,
        post_id,
        post_title: post.display_title().to_owned(),
        from_label: describe(&old),
        to_label: describe(&new),
        title_change,
        lines: diff.lines,
        notice,
    };
    views::html(StatusCode::OK, &page)
}

#[post("/admin/posts/{id}/revisions/{rev}/restore")]
pub async fn restore(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<(i32, i32)>,
) -> AppResult<HttpResponse> {
    let (id, rev) = path.into_inner();
    let post = editable(&state, &user.0, id).await?;
    if post.deleted_at.is_some() {
        return Err(AppError::Conflict(
            "This post is in the trash: restore it before editing.".into(),
        ));
    }
    let reader = user.0.id;
    let saved = db::run(&state.pool, move |conn| {
        Ok(editorial::restore_revision(conn, id, rev, reader)?)
    })
    .await?
    .map_err(refused)?;
    let tz = state.time_zone().await?;
    auth::set_flash(
        &session,
        format!(
            "Restored the version saved {}.",
            views::local_time_to_second(saved, tz)
        ),
    )?;
    Ok(redirect(&format!("/admin/posts/{}/edit", post.id)))
}

#[derive(Deserialize)]
pub struct AutosaveForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    kind: String,
}

fn check_autosave(form: &AutosaveForm) -> AppResult<()> {
    if form.body.len() > rules::MAX_BODY_BYTES {
        return Err(AppError::PayloadTooLarge(format!(
            "The text is longer than {} MB; it was not autosaved.",
            rules::MAX_BODY_BYTES / 1_048_576
        )));
    }
    if form.title.chars().count() > rules::MAX_TITLE_CHARS {
        return Err(AppError::BadRequest(
            "The title is too long to autosave.".into(),
        ));
    }
    Ok(())
}

/// First autosave of a new post: creates it as a draft with what was typed.
#[post("/api/admin/posts/autosave")]
pub async fn autosave_new(
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<AutosaveForm>,
) -> AppResult<HttpResponse> {
    let user = user.0;
    let form = form.into_inner();
    check_autosave(&form)?;
    let kind = if form.kind == "page" {
        Kind::Page
    } else {
        Kind::Post
    };
    require_create(&user, kind)?;
    let author = user.id;
    let saved = db::run(&state.pool, move |conn| {
        let request = SaveRequest {
            target: Target::New(kind),
            actor: author,
            text: Text::plain(form.title.trim(), &form.body),
            slug: SlugChoice::FromTitle,
            publication: None,
            change: None,
            ip_address: None,
            tags: None,
            featured: None,
        };
        Ok(editorial::save_post_as(
            conn,
            &request,
            crate::domain::revision::Event::Autosaved,
        )?)
    })
    .await?
    .map_err(refused)?;
    let id = saved.id;
    Ok(HttpResponse::Created().json(json!({
        "id": id,
        "version": 1,
        "edit_url": format!("/admin/posts/{id}/edit"),
        "action": format!("/admin/posts/{id}"),
        "autosave_url": format!("/api/admin/posts/{id}/autosave"),
        "saved_at": Utc::now().to_rfc3339(),
    })))
}

/// The rolling autosave of an existing post: what the user typed, not yet saved.
#[post("/api/admin/posts/{id}/autosave")]
pub async fn autosave(
    user: CurrentUser,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    form: web::Form<AutosaveForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    check_autosave(&form)?;
    let post = editable(&state, &user.0, id.into_inner()).await?;
    let (post_id, author) = (post.id, user.0.id);
    db::run(&state.pool, move |conn| {
        Ok(revisions::autosave(
            conn,
            post_id,
            author,
            form.title.trim(),
            &form.body,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "saved_at": Utc::now().to_rfc3339() })))
}

#[post("/admin/posts/{id}/autosave/discard")]
pub async fn discard_autosave(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let post = editable(&state, &user.0, id.into_inner()).await?;
    let (post_id, author) = (post.id, user.0.id);
    db::run(&state.pool, move |conn| {
        Ok(revisions::discard_autosave(conn, post_id, author)?)
    })
    .await?;
    auth::set_flash(&session, "The unsaved changes were discarded.")?;
    Ok(redirect(&format!("/admin/posts/{post_id}/edit")))
}
