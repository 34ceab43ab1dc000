//! Secret draft preview links: `/preview/{token}` shows a post as it will look, to
//! someone without an account, until the link is revoked or the post is published (then
//! for good: unpublishing does not bring it back).

use actix_session::Session;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, post, web};
use chrono::Utc;

use crate::auth::{self, CurrentUser};
use crate::db;
use crate::domain::post::Stage;
use crate::error::{AppError, AppResult};
use crate::routes::posts::{load_post, require_edit};
use crate::routes::public::article_view;
use crate::routes::respond::redirect;
use crate::state::AppState;
use crate::store::public::Published;
use crate::store::{editorial, posts, tokens};
use crate::views::{self, AdminNav, LinkCreatedPage};

#[post("/admin/posts/{id}/preview-link")]
pub async fn create(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let post = load_post(&state, id).await?;
    require_edit(&user.0, &post)?;
    if matches!(
        post.stage(Utc::now().naive_utc()),
        Stage::Published(_) | Stage::Trashed
    ) {
        return Err(AppError::Conflict(
            "Preview links are for posts the public can't see yet.".into(),
        ));
    }
    let me = user.0.id;
    let token = db::run(&state.pool, move |conn| {
        editorial::create_preview_link(conn, id, me)
    })
    .await?;
    let page = LinkCreatedPage {
        nav: AdminNav::new(&user.0, &session, &state).await?,
        title: format!("Preview link for “{}”", post.display_title()),
        explanation: "Anyone with this link can read the post as it will look, without an account, until you revoke it or the post is published. Making a new link revokes this one.".into(),
        link: state
            .base_url
            .join(&format!("/preview/{token}"))
            .map_err(|e| AppError::internal("bad preview link", e))?
            .to_string(),
        back: (format!("/admin/posts/{id}/edit"), "Back to the editor".into()),
    };
    views::html(StatusCode::CREATED, &page)
}

#[post("/admin/posts/{id}/preview-link/revoke")]
pub async fn revoke(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let post = load_post(&state, id).await?;
    require_edit(&user.0, &post)?;
    db::run(&state.pool, move |conn| {
        Ok(tokens::revoke_previews(conn, id)?)
    })
    .await?;
    auth::set_flash(&session, "The preview link no longer works.")?;
    Ok(redirect(&format!("/admin/posts/{id}/edit")))
}

#[get("/preview/{token}")]
pub async fn show(state: web::Data<AppState>, token: web::Path<String>) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    let site = state.settings.get(&state.pool).await?;
    let now = Utc::now().naive_utc();
    let found = db::run(&state.pool, move |conn| {
        let Some(post_id) = tokens::preview_post(conn, &token)? else {
            return Ok(None);
        };
        let Some(post) = posts::find(conn, post_id)? else {
            return Ok(None);
        };
        let author = crate::store::public::author_by_id(conn, post.author_id)?;
        let tags = posts::tags_of(conn, post_id)?;
        let featured = crate::store::public::featured_of(conn, &post)?;
        Ok(author.map(|author| (post, author, tags, featured)))
    })
    .await?;
    let gone = || {
        AppError::NotFound("This preview link doesn't work (any more): it was revoked, or the post has been published.".into())
    };
    let (post, author, tags, featured) = found.ok_or_else(gone)?;
    match post.stage(now) {
        Stage::Published(_) => {
            // Public now (a scheduled post whose time came): the link ends for good, so
            // it can't show a later draft of the post.
            let id = post.id;
            db::run(&state.pool, move |conn| {
                Ok(tokens::revoke_previews(conn, id)?)
            })
            .await?;
            return Err(gone());
        }
        Stage::Trashed => return Err(gone()),
        _ => {}
    }
    let published = Published {
        tags: tags
            .into_iter()
            .map(|t| crate::store::public::TagLink {
                name: t.name,
                slug: t.slug,
            })
            .collect(),
        author,
        post,
        featured,
    };
    let mut view = article_view(site, &state.base_url, published, None, None);
    view.is_preview = true;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header(("x-robots-tag", "noindex"))
        .body(askama::Template::render(&view)?))
}
