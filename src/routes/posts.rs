//! The editorial workflow: post and page lists, the editor with its actions (save,
//! submit, publish, schedule, update, unpublish, preview), the trash.
//! Every right follows `domain::permissions`; a stale form never overwrites a newer save.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;

use crate::auth::{self, CurrentUser};
use crate::db;
use crate::domain::counted;
use crate::domain::permissions::{self, Action, Actor, Ownership, Refusal};
use crate::domain::post::{self as rules, Kind, Stage, TypedFields};
use crate::domain::reading;
use crate::domain::transition::{self, Change, EditorAction};
use crate::error::{AppError, AppResult};
use crate::media;
use crate::routes::respond::redirect;
use crate::state::AppState;
use crate::store::editorial::{self, SaveRefusal, SaveRequest, SlugChoice, Target, Text};
use crate::store::posts::{self, ListFilter, Post, Sort, StageFilter};
use crate::store::users::User;
use crate::views::forms::EditorForm;
use crate::views::{
    self, AdminNav, EditorPage, FormErrors, PostListItem, PostListPage, TrashConfirmPage,
};

const PAGE_SIZE: i64 = 20;
/// Tag names the editor's tags field suggests (the first, by name).
const MAX_TAG_SUGGESTIONS: i64 = 1_000;

/// The post with this id, or the 404 page.
pub async fn load_post(state: &AppState, id: i32) -> AppResult<Post> {
    db::run(&state.pool, move |conn| {
        posts::find(conn, id)?.ok_or_else(AppError::not_found)
    })
    .await
}

// ---------------------------------------------------------------- rights
// The rules are `domain::permissions`'s; these helpers only turn a refusal into the 403.

/// The signed-in user as the permission rules see them.
pub fn actor(user: &User) -> Actor {
    Actor {
        id: user.id,
        role: user.role(),
    }
}

/// A refused right as the 403 page that names the role needed.
pub fn forbidden(refusal: Refusal) -> AppError {
    AppError::Forbidden(refusal.to_string())
}

/// A save that was refused, for the pages that have no form to show it on.
pub fn refused(refusal: SaveRefusal) -> AppError {
    match refusal {
        SaveRefusal::NotFound => AppError::not_found(),
        other => AppError::Conflict(other.to_string()),
    }
}

/// May `user` open and save this post's content?
pub fn require_edit(user: &User, post: &Post) -> AppResult<()> {
    permissions::require_edit(actor(user), &post.facts()).map_err(forbidden)
}

pub fn require_create(user: &User, kind: Kind) -> AppResult<()> {
    permissions::require_create(actor(user), kind).map_err(forbidden)
}

// ---------------------------------------------------------------- lists

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    author: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: String,
    page: Option<i64>,
}

#[get("/admin/posts")]
pub async fn list_posts(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    list(
        user.0,
        state,
        session,
        query.into_inner(),
        Kind::Post,
        false,
    )
    .await
}

#[get("/admin/pages")]
pub async fn list_pages(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    auth::require(&user.0, Action::ManagePages, Ownership::Site)?;
    list(
        user.0,
        state,
        session,
        query.into_inner(),
        Kind::Page,
        false,
    )
    .await
}

#[derive(Deserialize)]
pub struct TrashQuery {
    #[serde(default)]
    kind: String,
}

#[get("/admin/trash")]
pub async fn trash(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<TrashQuery>,
) -> AppResult<HttpResponse> {
    let kind = if query.kind == "page" {
        Kind::Page
    } else {
        Kind::Post
    };
    permissions::require_manage_trash(actor(&user.0)).map_err(forbidden)?;
    let list_query = ListQuery {
        status: String::new(),
        author: String::new(),
        tag: String::new(),
        q: String::new(),
        sort: String::new(),
        page: None,
    };
    list(user.0, state, session, list_query, kind, true).await
}

async fn list(
    user: User,
    state: web::Data<AppState>,
    session: Session,
    query: ListQuery,
    kind: Kind,
    trashed: bool,
) -> AppResult<HttpResponse> {
    let page = query.page.unwrap_or(1);
    if page < 1 {
        return Err(AppError::NotFound(format!("There is no page {page}.")));
    }
    let stage = match query.status.as_str() {
        "" => None,
        raw => Some(StageFilter::parse(raw).ok_or_else(|| {
            AppError::BadRequest("Filter by draft, pending, scheduled or published.".into())
        })?),
    };
    let author_filter = match query.author.trim() {
        "" => None,
        raw => Some(raw.parse::<i32>().map_err(|_| {
            AppError::BadRequest("The author filter must be chosen from the list.".into())
        })?),
    };
    let filter = ListFilter {
        kind,
        author: permissions::list_scope(actor(&user)).or(author_filter),
        stage,
        tag_slug: (!query.tag.trim().is_empty()).then(|| query.tag.trim().to_lowercase()),
        title_contains: (!query.q.trim().is_empty())
            .then(|| query.q.trim().chars().take(200).collect()),
        trashed,
        sort: if query.sort == "published" {
            Sort::Published
        } else {
            Sort::Updated
        },
        offset: (page - 1) * PAGE_SIZE,
        limit: PAGE_SIZE,
    };
    let now = Utc::now().naive_utc();
    let sees_everyone = permissions::list_scope(actor(&user)).is_none();
    let tz = state.time_zone().await?;
    let (rows, total, tz, authors) = db::run(&state.pool, move |conn| {
        let (rows, total) = posts::list(conn, &filter, now)?;
        Ok((
            rows,
            total,
            tz,
            // Only viewers who see everyone's posts get the author filter.
            if sees_everyone {
                crate::store::users::list(conn)?
            } else {
                Vec::new()
            },
        ))
    })
    .await?;
    let items = rows
        .into_iter()
        .map(|(post, author)| PostListItem::new(&post, author, now, tz))
        .collect();
    let params = |page: i64| {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("status", &query.status)
            .append_pair("author", &query.author)
            .append_pair("tag", &query.tag)
            .append_pair("q", &query.q)
            .append_pair("sort", &query.sort)
            .append_pair("page", &page.to_string())
            .finish()
    };
    let view = PostListPage {
        nav: AdminNav::new(&user, &session, &state).await?,
        kind,
        trashed,
        items,
        total,
        page,
        has_next: page * PAGE_SIZE < total,
        query_prev: params(page - 1),
        query_next: params(page + 1),
        status: query.status.clone(),
        author: author_filter,
        authors,
        tag: query.tag.clone(),
        q: query.q.clone(),
        sort: query.sort.clone(),
        can_empty_trash: trashed,
    };
    views::html(StatusCode::OK, &view)
}

// ---------------------------------------------------------------- editor

#[get("/admin/posts/new")]
pub async fn new_post(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
) -> AppResult<HttpResponse> {
    new_form(user.0, state, session, Kind::Post).await
}

#[get("/admin/pages/new")]
pub async fn new_page(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
) -> AppResult<HttpResponse> {
    new_form(user.0, state, session, Kind::Page).await
}

async fn new_form(
    user: User,
    state: web::Data<AppState>,
    session: Session,
    kind: Kind,
) -> AppResult<HttpResponse> {
    require_create(&user, kind)?;
    let tz = state.time_zone().await?;
    let page = EditorPage::new(
        AdminNav::new(&user, &session, &state).await?,
        &user,
        kind,
        None,
        EditorForm::default(),
        tz,
    );
    send_editor(&state, page, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct EditQuery {
    #[serde(default)]
    restore: String,
}

/// The editor. When the user's autosave is newer than the saved post, it is offered
/// back (`?restore=autosave` loads it into the form).
#[get("/admin/posts/{id}/edit")]
pub async fn edit(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<i32>,
    query: web::Query<EditQuery>,
) -> AppResult<HttpResponse> {
    let user = user.0;
    let id = id.into_inner();
    let me = user.id;
    let tz = state.time_zone().await?;
    let (post, tags, tz, (autosave, preview_link)) = db::run(&state.pool, move |conn| {
        let post = posts::find(conn, id)?.ok_or_else(AppError::not_found)?;
        let autosave = crate::store::revisions::autosave_of(conn, id, me)?;
        let preview_link = crate::store::tokens::active_preview_since(conn, id)?;
        Ok((
            post,
            posts::tags_of(conn, id)?,
            tz,
            (autosave, preview_link),
        ))
    })
    .await?;
    require_edit(&user, &post)?;
    let newer_autosave = autosave.filter(|saved| {
        saved.created_at > post.updated_at
            && (saved.title != post.title || saved.body_markdown != post.body_markdown)
    });
    let mut form = EditorForm::from_post(&post, &tags, tz);
    let mut offer = None;
    match (newer_autosave, query.restore.as_str()) {
        (Some(saved), "autosave") => {
            form.title = saved.title;
            form.body = saved.body_markdown;
        }
        (Some(saved), _) => offer = Some(views::local_time(saved.created_at, tz)),
        (None, _) => {}
    }
    let mut page = EditorPage::new(
        AdminNav::new(&user, &session, &state).await?,
        &user,
        post.kind(),
        Some(&post),
        form,
        tz,
    );
    page.autosave_offer = offer;
    page.preview_link_since = preview_link.map(|at| views::local_time(at, tz));
    send_editor(&state, page, StatusCode::OK).await
}

#[post("/admin/posts")]
pub async fn create_post(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    form: web::Form<EditorForm>,
) -> AppResult<HttpResponse> {
    let ip_address = auth::client_address(&req, state.trust_proxy);
    save(
        user.0,
        state,
        session,
        ip_address,
        None,
        Kind::Post,
        form.into_inner(),
        wants_json(&req),
    )
    .await
}

#[post("/admin/pages")]
pub async fn create_page(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    form: web::Form<EditorForm>,
) -> AppResult<HttpResponse> {
    let ip_address = auth::client_address(&req, state.trust_proxy);
    save(
        user.0,
        state,
        session,
        ip_address,
        None,
        Kind::Page,
        form.into_inner(),
        wants_json(&req),
    )
    .await
}

#[post("/admin/posts/{id}")]
pub async fn update(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    id: web::Path<i32>,
    form: web::Form<EditorForm>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let ip_address = auth::client_address(&req, state.trust_proxy);
    let existing = load_post(&state, id).await?;
    if existing.deleted_at.is_some() {
        return Err(AppError::Conflict(
            "This post is in the trash: restore it before editing.".into(),
        ));
    }
    let kind = existing.kind();
    save(
        user.0,
        state,
        session,
        ip_address,
        Some(existing),
        kind,
        form.into_inner(),
        wants_json(&req),
    )
    .await
}

impl EditorPage {
    pub fn new(
        nav: AdminNav,
        user: &User,
        kind: Kind,
        post: Option<&Post>,
        form: EditorForm,
        tz: chrono_tz::Tz,
    ) -> Self {
        let now = Utc::now().naive_utc();
        let stage = post.map(|p| PostListItem::new(p, String::new(), now, tz).stage);
        let stage_is = |wanted: fn(&Stage) -> bool| post.is_some_and(|p| wanted(&p.stage(now)));
        Self {
            nav,
            kind,
            post_id: post.map(|p| p.id),
            stage,
            is_published: stage_is(|s| matches!(s, Stage::Published(_))),
            is_scheduled: stage_is(|s| matches!(s, Stage::Scheduled(_))),
            is_pending: stage_is(|s| matches!(s, Stage::PendingReview)),
            public_path: post.and_then(|p| views::public_path(p, now)),
            text_stats: reading::summary(&form.body),
            tag_names: Vec::new(),
            can_publish: permissions::require_publish(
                actor(user),
                post.map(Post::facts).as_ref(),
                kind,
            )
            .is_ok(),
            can_delete: post
                .is_some_and(|p| permissions::require_trash(actor(user), &p.facts()).is_ok()),
            form,
            errors: FormErrors::default(),
            preview: None,
            conflict: None,
            autosave_offer: None,
            preview_link_since: None,
            time_zone: tz.to_string(),
            images: Vec::new(),
            featured: None,
        }
    }
}

/// Sends the editor, with the library's recent images to pick a featured image from
/// (and the chosen one, however old).
async fn send_editor(
    state: &AppState,
    mut page: EditorPage,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let chosen = page.form.featured_media_id.trim().parse::<i32>().ok();
    let ((images, chosen_row), tag_names) = db::run(&state.pool, move |conn| {
        Ok((
            crate::store::media::image_choices(conn, chosen)?,
            posts::tag_names(conn, MAX_TAG_SUGGESTIONS)?,
        ))
    })
    .await?;
    page.tag_names = tag_names;
    let label = |row: &crate::store::media::MediaRow| match row.alt_text.trim() {
        "" => row.file_name.clone(),
        alt => format!("{} — {alt}", row.file_name),
    };
    page.images = images.iter().map(|row| (row.id, label(row))).collect();
    page.featured = chosen_row.as_ref().and_then(media::Picture::of);
    views::html(status, &page)
}

/// Whether the editor's script sent the form (Ctrl/⌘+S) and wants the outcome as JSON
/// rather than a redirect to the editor.
fn wants_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json"))
}

/// The editor's save: checks the form, asks `domain::transition` what the button does,
/// and hands the save to `store::editorial::save_post`; then shows the result (as JSON
/// for the script's save, which stays on the page; its refusals come back as pages, which
/// the script then asks for with a plain submit).
#[allow(clippy::too_many_arguments)]
async fn save(
    user: User,
    state: web::Data<AppState>,
    session: Session,
    ip_address: String,
    existing: Option<Post>,
    kind: Kind,
    form: EditorForm,
    json: bool,
) -> AppResult<HttpResponse> {
    let facts = existing.as_ref().map(Post::facts);
    let me = actor(&user);
    // Editing (or creating) first: the preview and an unknown button need it too.
    match &facts {
        Some(facts) => permissions::require_edit(me, facts),
        None => permissions::require_create(me, kind),
    }
    .map_err(forbidden)?;
    let tz = state.time_zone().await?;
    let now = Utc::now().naive_utc();
    let mut errors = FormErrors::default();

    // Which transition the button asks for, and whether this user may make it.
    let mut unreadable_time = None;
    let action = match form.action.as_str() {
        "preview" => return preview_in_editor(&user, &state, &session, existing, kind, form).await,
        "" | "save" => EditorAction::Save,
        "submit" => EditorAction::Submit,
        "publish" => EditorAction::Publish,
        "schedule" => EditorAction::Schedule(
            parse_local(&form.publish_at, tz)
                .map_err(|message| unreadable_time = Some(message))
                .ok(),
        ),
        "unpublish" => EditorAction::Unpublish,
        other => {
            return Err(AppError::BadRequest(format!(
                "Unknown editor action “{}”.",
                other.chars().take(40).collect::<String>()
            )));
        }
    };
    let transition =
        transition::decide(action, facts.as_ref(), kind, me, now).map_err(forbidden)?;
    if let Some(message) = unreadable_time {
        errors.add("publish_at", message);
    }

    // Field rules; every problem is reported at once and the form comes back as typed.
    let fields = rules::check_fields(
        &TypedFields {
            title: &form.title,
            slug: &form.slug,
            body: &form.body,
            excerpt: &form.excerpt,
            tags: &form.tags,
            meta_title: &form.meta_title,
            meta_description: &form.meta_description,
            canonical_url: &form.canonical_url,
            featured_media_id: &form.featured_media_id,
        },
        transition.change.needs_title(),
    )
    .map_err(|problems| {
        for (field, message) in problems {
            errors.add(field, message);
        }
    })
    .ok();
    if existing.is_some() && form.version.is_none() {
        errors.add(
            "title",
            "The form is missing its version; reload the editor (your text is below).",
        );
    }
    let (Some(fields), true) = (fields, errors.is_empty()) else {
        let mut page = EditorPage::new(
            AdminNav::new(&user, &session, &state).await?,
            &user,
            kind,
            existing.as_ref(),
            form,
            tz,
        );
        page.errors = errors;
        return send_editor(&state, page, StatusCode::UNPROCESSABLE_ENTITY).await;
    };

    let target = match &existing {
        Some(post) => Target::Existing {
            id: post.id,
            expected_version: Some(form.version.unwrap_or(1)),
        },
        None => Target::New(kind),
    };
    let author = user.id;
    let outcome = db::run(&state.pool, move |conn| {
        let request = SaveRequest {
            target,
            actor: author,
            text: Text {
                title: &fields.title,
                body_markdown: &fields.body,
                excerpt: &fields.excerpt,
                meta_title: fields.meta_title.as_deref(),
                meta_description: fields.meta_description.as_deref(),
                canonical_url: fields.canonical_url.as_deref(),
            },
            slug: fields
                .slug
                .as_deref()
                .map_or(SlugChoice::FromTitle, SlugChoice::Exactly),
            publication: Some(transition.publication),
            change: Some(transition.change),
            ip_address: Some(&ip_address),
            tags: Some(&fields.tags),
            featured: Some(fields.featured_media_id),
        };
        Ok(editorial::save_post(conn, &request)?)
    })
    .await?;

    match outcome {
        Ok(saved) if json => {
            let post = load_post(&state, saved.id).await?;
            let id = post.id;
            Ok(HttpResponse::Ok().json(serde_json::json!({
                "id": id,
                "version": post.version,
                "message": saved_message(transition.change, tz),
                "edit_url": format!("/admin/posts/{id}/edit"),
                "action": format!("/admin/posts/{id}"),
                "autosave_url": format!("/api/admin/posts/{id}/autosave"),
                "public_url": views::public_path(&post, Utc::now().naive_utc()),
            })))
        }
        Ok(saved) => {
            crate::mail::after_post_change(
                &state,
                crate::mail::PostEvent {
                    post_id: saved.id,
                    title: form.title.clone(),
                    slug: saved.slug.clone(),
                    author_id: existing.as_ref().map_or(user.id, |post| post.author_id),
                    actor_id: user.id,
                    actor_name: user.display_name.clone(),
                    submitted: matches!(transition.change, Change::Submitted),
                    published: matches!(
                        transition.change,
                        Change::Published | Change::PublishedAsTimePassed
                    ),
                },
            )
            .await;
            auth::set_flash(&session, saved_message(transition.change, tz))?;
            Ok(redirect(&format!("/admin/posts/{}/edit", saved.id)))
        }
        Err(SaveRefusal::Stale(current)) => {
            // Keep the editor's text; show the newer save beside it; saving again is
            // based on the newer version, so it goes through once they have merged.
            let mut form = form;
            form.version = Some(current.version);
            let mut page = EditorPage::new(
                AdminNav::new(&user, &session, &state).await?,
                &user,
                kind,
                Some(&current),
                form,
                tz,
            );
            page.conflict = Some((current.title.clone(), current.body_markdown.clone()));
            send_editor(&state, page, StatusCode::CONFLICT).await
        }
        Err(refusal) => {
            let Some(field) = refusal.field() else {
                return Err(refused(refusal));
            };
            let mut errors = FormErrors::default();
            errors.add(field, refusal.to_string());
            let mut page = EditorPage::new(
                AdminNav::new(&user, &session, &state).await?,
                &user,
                kind,
                existing.as_ref(),
                form,
                tz,
            );
            page.errors = errors;
            send_editor(&state, page, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// What the editor says after a save.
fn saved_message(change: Change, tz: chrono_tz::Tz) -> String {
    match change {
        Change::Submitted => "Submitted for review. An editor will look at it.".to_owned(),
        Change::Scheduled(at) => format!("Scheduled for {}.", views::local_time(at, tz)),
        Change::Published => "Published.".to_owned(),
        Change::PublishedAsTimePassed => {
            "The time you chose has passed, so it was published now.".to_owned()
        }
        Change::Updated => "Updated.".to_owned(),
        Change::Unpublished => "Unpublished: it is a draft again.".to_owned(),
        Change::Saved | Change::Undecided => "Saved.".to_owned(),
    }
}

/// The editor's "preview" button: the form as typed, with its text rendered beside it.
async fn preview_in_editor(
    user: &User,
    state: &AppState,
    session: &Session,
    existing: Option<Post>,
    kind: Kind,
    form: EditorForm,
) -> AppResult<HttpResponse> {
    let tz = state.time_zone().await?;
    let body = form.body.clone();
    let mut page = EditorPage::new(
        AdminNav::new(user, session, state).await?,
        user,
        kind,
        existing.as_ref(),
        form,
        tz,
    );
    let html = db::run(&state.pool, move |conn| {
        Ok(media::render_markdown(conn, &body)?)
    })
    .await?;
    page.preview = Some(html.into_string());
    send_editor(state, page, StatusCode::OK).await
}

/// Reads `2026-11-21 09:30` (24-hour; or `2026-11-21T09:30`, seconds allowed) as a time
/// in the site's zone, in UTC.
fn parse_local(raw: &str, tz: chrono_tz::Tz) -> Result<NaiveDateTime, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("Choose the date and time to publish.".into());
    }
    let local = [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(raw, format).ok())
    .ok_or_else(|| {
        format!(
            "“{}” is not a date and time (expected e.g. 2026-12-24 09:00, 24-hour).",
            raw.chars().take(40).collect::<String>()
        )
    })?;
    tz.from_local_datetime(&local)
        .earliest()
        .map(|at| at.naive_utc())
        .ok_or_else(|| {
            format!("{raw} does not exist in {tz} (a daylight-saving gap); pick another time.")
        })
}

// ---------------------------------------------------------------- trash

#[get("/admin/posts/{id}/delete")]
pub async fn delete_confirm(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let post = load_post(&state, id).await?;
    permissions::require_trash(actor(&user.0), &post.facts()).map_err(forbidden)?;
    let page = TrashConfirmPage {
        nav: AdminNav::new(&user.0, &session, &state).await?,
        id: post.id,
        title: post.display_title().to_owned(),
        kind: post.kind(),
    };
    views::html(StatusCode::OK, &page)
}

#[post("/admin/posts/{id}/delete")]
pub async fn delete(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let post = load_post(&state, id).await?;
    permissions::require_trash(actor(&user.0), &post.facts()).map_err(forbidden)?;
    db::run(&state.pool, move |conn| {
        Ok(posts::set_trashed(conn, id, true)?)
    })
    .await?;
    auth::set_flash(
        &session,
        format!(
            "“{}” was moved to the trash. Editors can restore it from there.",
            post.display_title()
        ),
    )?;
    Ok(redirect(post.kind().admin_path()))
}

#[post("/admin/posts/{id}/restore")]
pub async fn restore(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    permissions::require_manage_trash(actor(&user.0)).map_err(forbidden)?;
    let id = id.into_inner();
    let post = load_post(&state, id).await?;
    if post.deleted_at.is_none() {
        return Err(AppError::Conflict("That post is not in the trash.".into()));
    }
    db::run(&state.pool, move |conn| {
        Ok(posts::set_trashed(conn, id, false)?)
    })
    .await?;
    auth::set_flash(
        &session,
        format!("“{}” was restored.", post.display_title()),
    )?;
    Ok(redirect(&format!("/admin/posts/{id}/edit")))
}

#[post("/admin/trash/empty")]
pub async fn empty_trash(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<TrashQuery>,
) -> AppResult<HttpResponse> {
    permissions::require_manage_trash(actor(&user.0)).map_err(forbidden)?;
    let kind = if query.kind == "page" {
        Kind::Page
    } else {
        Kind::Post
    };
    let removed = db::run(&state.pool, move |conn| Ok(posts::empty_trash(conn, kind)?)).await?;
    auth::set_flash(
        &session,
        format!(
            "Deleted {} for good.",
            counted(removed, kind.noun(), kind.nouns())
        ),
    )?;
    Ok(redirect(&format!("/admin/trash?kind={}", kind.as_str())))
}

// ---------------------------------------------------------------- preview

#[derive(Deserialize)]
pub struct PreviewForm {
    #[serde(default)]
    body: String,
}

/// Renders Markdown exactly as the site will: the admin script's live preview.
#[post("/api/admin/preview")]
pub async fn preview(
    _user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<PreviewForm>,
) -> AppResult<HttpResponse> {
    if form.body.len() > rules::MAX_BODY_BYTES {
        return Err(AppError::PayloadTooLarge(format!(
            "The text is longer than {} MB.",
            rules::MAX_BODY_BYTES / 1_048_576
        )));
    }
    let body = form.into_inner().body;
    let html = db::run(&state.pool, move |conn| {
        Ok(media::render_markdown(conn, &body)?)
    })
    .await?
    .into_string();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "html": html })))
}
