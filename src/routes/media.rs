//! The media library: upload (a plain form, or one request per file from the page's
//! script), browse and filter, describe (alt text, caption), see where a file is used,
//! delete; and serving the files at `/media/…`.

use actix_files::NamedFile;
use actix_multipart::Multipart;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use serde_json::json;

use crate::auth::{self, CurrentUser};
use crate::db;
use crate::domain::counted;
use crate::domain::limits::{MAX_ALT_CHARS, MAX_CAPTION_CHARS};
use crate::domain::permissions::{self, Action, Ownership};
use crate::domain::post::Stage;
use crate::error::{AppError, AppResult};
use crate::media::types::{self, Category};
use crate::media::{self, Picture, storage, upload};
use crate::routes::respond::redirect;
use crate::state::AppState;
use crate::store::media::{self as store, ListFilter, MediaRow};
use crate::store::users::User;
use crate::views::forms::DescribeForm;
use crate::views::{
    self, AdminNav, FormErrors, MediaEditPage, MediaItem, MediaLibraryPage, UsedBy,
};

const PAGE_SIZE: i64 = 24;

#[derive(Debug, Deserialize)]
pub struct LibraryQuery {
    #[serde(default, rename = "type")]
    pub category: String,
    #[serde(default)]
    pub q: String,
    pub page: Option<i64>,
}

impl LibraryQuery {
    fn filter(&self) -> AppResult<ListFilter> {
        let page = self.page.unwrap_or(1);
        if !(1..=1_000_000).contains(&page) {
            return Err(AppError::NotFound(format!("There is no page {page}.")));
        }
        let category = match self.category.trim() {
            "" => None,
            raw => Some(Category::parse(raw).ok_or_else(|| {
                AppError::BadRequest("Filter by image, audio, video or document.".into())
            })?),
        };
        let q = self.q.trim();
        Ok(ListFilter {
            category,
            name_contains: (!q.is_empty()).then(|| q.chars().take(200).collect()),
            offset: (page - 1) * PAGE_SIZE,
            limit: PAGE_SIZE,
        })
    }
}

fn ownership(user: &User, row: &MediaRow) -> Ownership {
    permissions::ownership(user.id, row.uploader_id)
}

async fn load(state: &AppState, id: i32) -> AppResult<MediaRow> {
    db::run(&state.pool, move |conn| {
        store::find(conn, id)?.ok_or_else(|| AppError::NotFound("There is no such file.".into()))
    })
    .await
}

#[get("/admin/media")]
pub async fn library(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<LibraryQuery>,
) -> AppResult<HttpResponse> {
    let filter = query.filter()?;
    let page = query.page.unwrap_or(1);
    let (rows, total) = db::run(&state.pool, move |conn| Ok(store::list(conn, &filter)?)).await?;
    if rows.is_empty() && page > 1 {
        return Err(AppError::NotFound(format!("There is no page {page}.")));
    }
    let params = |page: i64| {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("type", &query.category)
            .append_pair("q", &query.q)
            .append_pair("page", &page.to_string())
            .finish()
    };
    let view = MediaLibraryPage {
        nav: AdminNav::new(&user.0, &session, &state).await?,
        items: rows
            .into_iter()
            .map(|(row, uploader)| MediaItem::new(row, uploader))
            .collect(),
        total,
        page,
        has_next: page * PAGE_SIZE < total,
        query_prev: params(page - 1),
        query_next: params(page + 1),
        category: query.category.clone(),
        q: query.q.clone(),
        accept: types::ACCEPT_ATTRIBUTE,
        accepted: types::ACCEPTED_SUMMARY,
        max_upload_mb: state.media.max_upload_bytes / (1024 * 1024),
    };
    views::html(StatusCode::OK, &view)
}

/// Receives, checks and stores every file of the request; all or nothing.
async fn accept_uploads(
    user: &User,
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
) -> AppResult<Vec<MediaRow>> {
    auth::require(user, Action::UploadMedia, Ownership::Own)?;
    let max = state.media.max_upload_bytes;
    let max_body = max * upload::MAX_FILES as u64 + 1024 * 1024;
    if !upload::is_multipart_within(req, max_body, "The upload", max)? {
        return Err(no_file());
    }
    let multipart = Multipart::new(req.headers(), payload);
    let storage = state.media.storage.clone();
    let received = upload::receive(multipart, &storage, max).await?.files;
    if received.is_empty() {
        return Err(no_file());
    }
    let prepared = web::block({
        let storage = storage.clone();
        move || {
            received
                .into_iter()
                .map(|file| media::prepare(&storage, file))
                .collect::<AppResult<Vec<_>>>()
        }
    })
    .await??;
    let uploader = user.id;
    let ip = auth::client_address(req, state.trust_proxy);
    db::run(&state.pool, move |conn| {
        media::save(conn, &storage, uploader, prepared, &ip)
    })
    .await
}

fn no_file() -> AppError {
    AppError::Unprocessable("Choose at least one file to upload.".into())
}

/// The plain form (works without JavaScript): one image goes to its page to be
/// described; several go back to the library.
#[post("/admin/media")]
pub async fn upload_form(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let rows = accept_uploads(&user.0, &state, &req, payload).await?;
    match rows.as_slice() {
        [one] if one.mime_type.starts_with("image/") => {
            auth::set_flash(
                &session,
                format!(
                    "{} was uploaded. Describe it for people who can't see it: add its alt text.",
                    one.file_name
                ),
            )?;
            Ok(redirect(&format!("/admin/media/{}", one.id)))
        }
        rows => {
            auth::set_flash(
                &session,
                format!("{} uploaded.", counted(rows.len(), "file", "files")),
            )?;
            Ok(redirect("/admin/media"))
        }
    }
}

fn file_json(row: &MediaRow) -> serde_json::Value {
    let url = media::url_of(&row.storage_key);
    let is_image = row.mime_type.starts_with("image/");
    let markdown = if is_image {
        format!("![{}]({url})", markdown_text(&row.alt_text))
    } else {
        format!("[{}]({url})", markdown_text(&row.file_name))
    };
    json!({
        "id": row.id,
        "name": row.file_name,
        "url": url,
        "mime_type": row.mime_type,
        "size_bytes": row.size_bytes,
        "width": row.width,
        "height": row.height,
        "alt_text": row.alt_text,
        "thumbnail": Picture::of(row).map(|p| p.thumbnail_src()),
        "markdown": markdown,
        "edit_url": format!("/admin/media/{}", row.id),
    })
}

/// Text safe inside `[…]` of a Markdown link or image.
fn markdown_text(text: &str) -> String {
    text.replace(['[', ']', '\n', '\r'], " ")
}

/// One or more files from the page's script; answers with their records.
#[post("/api/admin/media")]
pub async fn upload_api(
    user: CurrentUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let rows = accept_uploads(&user.0, &state, &req, payload).await?;
    Ok(HttpResponse::Created().json(json!({
        "files": rows.iter().map(file_json).collect::<Vec<_>>()
    })))
}

/// The library as JSON, for the editor's picker.
#[get("/api/admin/media")]
pub async fn list_api(
    _user: CurrentUser,
    state: web::Data<AppState>,
    query: web::Query<LibraryQuery>,
) -> AppResult<HttpResponse> {
    let filter = query.filter()?;
    let (rows, total) = db::run(&state.pool, move |conn| Ok(store::list(conn, &filter)?)).await?;
    Ok(HttpResponse::Ok().json(json!({
        "total": total,
        "files": rows.iter().map(|(row, _)| file_json(row)).collect::<Vec<_>>(),
    })))
}

async fn edit_page(
    state: &AppState,
    user: &User,
    session: &Session,
    row: MediaRow,
    form: DescribeForm,
    errors: FormErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let lookup = row.clone();
    let (used_by, uploader) = db::run(&state.pool, move |conn| {
        let used_by = store::used_by(conn, &lookup)?;
        let uploader = match lookup.uploader_id {
            Some(id) => crate::store::users::find(conn, id)?.map(|u| u.display_name),
            None => None,
        };
        Ok((used_by, uploader))
    })
    .await?;
    let (used_by, hidden_uses) = visible_uses(user, used_by);
    let own = ownership(user, &row);
    let is_logo = state
        .settings
        .get(&state.pool)
        .await?
        .settings
        .logo_media_id
        == Some(row.id);
    let page = MediaEditPage {
        is_logo,
        nav: AdminNav::new(user, session, state).await?,
        can_edit: auth::require(user, Action::EditMedia, own).is_ok(),
        can_delete: auth::require(user, Action::DeleteMedia, own).is_ok(),
        item: MediaItem::new(row, uploader),
        used_by,
        hidden_uses,
        form,
        errors,
    };
    views::html(status, &page)
}

/// The uses `user` may see (public ones, and those they may open in the editor), and
/// how many others there are.
fn visible_uses(user: &User, all: Vec<store::UsingPost>) -> (Vec<UsedBy>, usize) {
    let now = chrono::Utc::now().naive_utc();
    let total = all.len();
    let shown: Vec<UsedBy> = all
        .into_iter()
        .filter_map(|post| {
            let own = if post.author_id == user.id {
                Ownership::Own
            } else {
                Ownership::Others
            };
            let is_page = post.kind == crate::domain::post::Kind::Page.as_str();
            let is_public = matches!(post.stage(now), Stage::Published(_));
            let editable = permissions::may_see_post(user.role(), own, is_page, false);
            permissions::may_see_post(user.role(), own, is_page, is_public).then(|| UsedBy {
                href: if editable {
                    format!("/admin/posts/{}/edit", post.id)
                } else {
                    format!("/{}", post.slug)
                },
                title: post.title,
            })
        })
        .collect();
    let hidden = total - shown.len();
    (shown, hidden)
}

#[get("/admin/media/{id}")]
pub async fn show(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let row = load(&state, path.into_inner()).await?;
    let form = DescribeForm {
        alt_text: row.alt_text.clone(),
        caption: row.caption.clone(),
    };
    edit_page(
        &state,
        &user.0,
        &session,
        row,
        form,
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

#[post("/admin/media/{id}")]
pub async fn describe(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<i32>,
    form: web::Form<DescribeForm>,
) -> AppResult<HttpResponse> {
    let row = load(&state, path.into_inner()).await?;
    auth::require(&user.0, Action::EditMedia, ownership(&user.0, &row))?;
    let mut form = form.into_inner();
    form.alt_text = form.alt_text.trim().to_owned();
    form.caption = form.caption.trim().to_owned();
    let mut errors = FormErrors::default();
    if form.alt_text.chars().count() > MAX_ALT_CHARS {
        errors.add(
            "alt_text",
            format!("Keep the alt text under {MAX_ALT_CHARS} characters."),
        );
    }
    if form.caption.chars().count() > MAX_CAPTION_CHARS {
        errors.add(
            "caption",
            format!("Keep the caption under {MAX_CAPTION_CHARS} characters."),
        );
    }
    if !errors.is_empty() {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return edit_page(&state, &user.0, &session, row, form, errors, status).await;
    }
    let id = row.id;
    let (alt, caption) = (form.alt_text.clone(), form.caption.clone());
    db::run(&state.pool, move |conn| {
        Ok(store::update_texts(conn, id, &alt, &caption)?)
    })
    .await?;
    auth::set_flash(&session, format!("{} was saved.", row.file_name))?;
    Ok(redirect(&format!("/admin/media/{id}")))
}

#[post("/admin/media/{id}/delete")]
pub async fn delete(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    path: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let row = load(&state, path.into_inner()).await?;
    auth::require(&user.0, Action::DeleteMedia, ownership(&user.0, &row))?;
    let storage = state.media.storage.clone();
    let actor = user.0.id;
    let ip = auth::client_address(&req, state.trust_proxy);
    let name = row.file_name.clone();
    db::run(&state.pool, move |conn| {
        media::delete(conn, &storage, &row, actor, &ip)?;
        media::rerender_posts_showing(conn, &row.sha256)?;
        Ok(())
    })
    .await?;
    auth::set_flash(&session, format!("{name} was deleted."))?;
    Ok(redirect("/admin/media"))
}

/// A stored file. Only names of the exact shape we write are looked up; the name is a
/// content hash, so it can be cached for good.
#[get("/media/{key:.*}")]
pub async fn serve(
    state: web::Data<AppState>,
    req: HttpRequest,
    key: web::Path<String>,
) -> AppResult<HttpResponse> {
    let key = storage::parse_key(&key).ok_or_else(AppError::not_found)?;
    let ext = key.rsplit('.').next().unwrap_or_default();
    let media_type = types::by_ext(ext).ok_or_else(AppError::not_found)?;
    let path = state.media.storage.path_of(&key);
    let file = web::block(move || NamedFile::open(path))
        .await?
        .map_err(|_| AppError::not_found())?;
    let disposition = if media_type.category.is_inline() {
        DispositionType::Inline
    } else {
        DispositionType::Attachment
    };
    let name = key.rsplit('/').next().unwrap_or_default().to_owned();
    let mime: actix_web::mime::Mime = media_type
        .mime
        .parse()
        .map_err(|e| AppError::internal(format!("bad MIME type {}", media_type.mime), e))?;
    let mut response = file
        .set_content_type(mime)
        .set_content_disposition(ContentDisposition {
            disposition,
            parameters: vec![DispositionParam::Filename(name)],
        })
        .into_response(&req);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    Ok(response)
}
