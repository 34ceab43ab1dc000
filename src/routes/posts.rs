//! The editorial workflow: post and page lists, the editor with its actions (save,
//! submit, publish, schedule, update, unpublish, preview), the trash.
//! Every right follows `domain::permissions`; a stale form never overwrites a newer save.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::{NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;

use crate::auth::{self, CurrentUser};
use crate::db;
use crate::domain::permissions::{self, Action, Ownership};
use crate::domain::post::{self as rules, Kind, Stage, Status};
use crate::error::{AppError, AppResult};
use crate::media;
use crate::routes::respond::redirect;
use crate::state::AppState;
use crate::store::posts::{self, Content, ListFilter, Post, Sort, StageFilter};
use crate::store::users::User;
use crate::views::forms::EditorForm;
use crate::views::{
    self, AdminNav, EditorPage, FormErrors, PostListItem, PostListPage, TrashConfirmPage,
};

const PAGE_SIZE: i64 = 20;

/// The post with this id, or the 404 page.
pub async fn load_post(state: &AppState, id: i32) -> AppResult<Post> {
    db::run(&state.pool, move |conn| {
        posts::find(conn, id)?.ok_or_else(AppError::not_found)
    })
    .await
}

/// The trimmed text, with a message when it is longer than `max` characters.
fn trimmed_within(
    errors: &mut FormErrors,
    field: &'static str,
    raw: &str,
    max: usize,
    what: &str,
) -> String {
    let text = raw.trim().to_owned();
    if text.chars().count() > max {
        errors.add(field, format!("{what} has at most {max} characters."));
    }
    text
}

// ---------------------------------------------------------------- rights

fn ownership(user: &User, post: &Post) -> Ownership {
    if post.author_id == user.id {
        Ownership::Own
    } else {
        Ownership::Others
    }
}

/// May `user` open and save this post's content?
pub fn require_edit(user: &User, post: &Post) -> AppResult<()> {
    if post.kind() == Kind::Page {
        return auth::require(user, Action::ManagePages, Ownership::Site);
    }
    let own = ownership(user, post);
    match (own, post.status()) {
        // Changing what the public already sees is a publishing right.
        (Ownership::Own, Status::Published) => auth::require(user, Action::Publish, own),
        _ => auth::require(user, Action::WriteDraft, own),
    }
}

fn require_publish(user: &User, post: Option<&Post>, kind: Kind) -> AppResult<()> {
    if kind == Kind::Page {
        return auth::require(user, Action::ManagePages, Ownership::Site);
    }
    let own = post.map_or(Ownership::Own, |p| ownership(user, p));
    auth::require(user, Action::Publish, own)
}

pub fn require_create(user: &User, kind: Kind) -> AppResult<()> {
    match kind {
        Kind::Post => auth::require(user, Action::WriteDraft, Ownership::Own),
        Kind::Page => auth::require(user, Action::ManagePages, Ownership::Site),
    }
}

/// Whose posts the lists show: everyone's to editors, one's own to others.
fn list_scope(user: &User) -> Option<i32> {
    (!permissions::can(user.role(), Action::WriteDraft, Ownership::Others)).then_some(user.id)
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
    auth::require(&user.0, Action::DeletePost, Ownership::Others)?;
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
        author: list_scope(&user).or(author_filter),
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
    let sees_everyone = list_scope(&user).is_none();
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
        nav: AdminNav::new(&user, &session)?,
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
        AdminNav::new(&user, &session)?,
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
        AdminNav::new(&user, &session)?,
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
    form: web::Form<EditorForm>,
) -> AppResult<HttpResponse> {
    save(user.0, state, session, None, Kind::Post, form.into_inner()).await
}

#[post("/admin/pages")]
pub async fn create_page(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<EditorForm>,
) -> AppResult<HttpResponse> {
    save(user.0, state, session, None, Kind::Page, form.into_inner()).await
}

#[post("/admin/posts/{id}")]
pub async fn update(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<i32>,
    form: web::Form<EditorForm>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
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
        Some(existing),
        kind,
        form.into_inner(),
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
        Self {
            nav,
            kind,
            post_id: post.map(|p| p.id),
            stage,
            is_published: post.is_some_and(|p| p.status() == Status::Published),
            can_publish: require_publish(user, post, kind).is_ok(),
            can_delete: post.is_some_and(|p| require_trash(user, p).is_ok()),
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
    let (images, chosen_row) = db::run(&state.pool, move |conn| {
        Ok(crate::store::media::image_choices(conn, chosen)?)
    })
    .await?;
    let label = |row: &crate::store::media::MediaRow| match row.alt_text.trim() {
        "" => row.file_name.clone(),
        alt => format!("{} — {alt}", row.file_name),
    };
    page.images = images.iter().map(|row| (row.id, label(row))).collect();
    page.featured = chosen_row.as_ref().and_then(media::Picture::of);
    views::html(status, &page)
}

/// What an action does to status and publication time.
enum Plan {
    Keep,
    Draft,
    Submit,
    PublishNow,
    PublishAt(NaiveDateTime),
}

async fn save(
    user: User,
    state: web::Data<AppState>,
    session: Session,
    existing: Option<Post>,
    kind: Kind,
    form: EditorForm,
) -> AppResult<HttpResponse> {
    match &existing {
        Some(post) => require_edit(&user, post)?,
        None => require_create(&user, kind)?,
    }
    let tz = state.time_zone().await?;
    let now = Utc::now().naive_utc();
    let mut errors = FormErrors::default();
    let mut notice: Option<String> = None;

    // Which transition the button asks for, and whether this user may make it.
    let plan = match form.action.as_str() {
        "preview" => {
            let mut page = EditorPage::new(
                AdminNav::new(&user, &session)?,
                &user,
                kind,
                existing.as_ref(),
                form.clone(),
                tz,
            );
            let body = form.body.clone();
            let html = db::run(&state.pool, move |conn| {
                Ok(media::render_markdown(conn, &body)?)
            })
            .await?;
            page.preview = Some(html.into_string());
            return send_editor(&state, page, StatusCode::OK).await;
        }
        "" | "save" => match existing.as_ref().map(Post::status) {
            Some(Status::Published) | Some(Status::Pending) => Plan::Keep,
            _ => Plan::Draft,
        },
        "submit" => Plan::Submit,
        "publish" => {
            require_publish(&user, existing.as_ref(), kind)?;
            Plan::PublishNow
        }
        "schedule" => {
            require_publish(&user, existing.as_ref(), kind)?;
            match parse_local(&form.publish_at, tz) {
                Ok(at) if at <= now => {
                    notice = Some("The time you chose has passed, so it was published now.".into());
                    Plan::PublishNow
                }
                Ok(at) => Plan::PublishAt(at),
                Err(message) => {
                    errors.add("publish_at", message);
                    Plan::Keep
                }
            }
        }
        "unpublish" => {
            require_publish(&user, existing.as_ref(), kind)?;
            Plan::Draft
        }
        other => {
            return Err(AppError::BadRequest(format!(
                "Unknown editor action “{}”.",
                other.chars().take(40).collect::<String>()
            )));
        }
    };

    // Field rules; every problem is reported at once and the form comes back as typed.
    let title = trimmed_within(
        &mut errors,
        "title",
        &form.title,
        rules::MAX_TITLE_CHARS,
        "A title",
    );
    if title.is_empty() && !matches!(plan, Plan::Draft | Plan::Keep) {
        errors.add(
            "title",
            "Give it a title before it is submitted or published.",
        );
    }
    if form.body.len() > rules::MAX_BODY_BYTES {
        errors.add(
            "body",
            format!(
                "The text is {:.1} MB; the limit is {} MB. Nothing was saved.",
                form.body.len() as f64 / 1_048_576.0,
                rules::MAX_BODY_BYTES / 1_048_576
            ),
        );
    }
    let slug_input = form.slug.trim();
    let wanted_slug = if slug_input.is_empty() {
        None
    } else {
        match rules::normalise_slug(slug_input) {
            Ok(slug) => Some(slug),
            Err(message) => {
                errors.add("slug", message);
                None
            }
        }
    };
    let tags = rules::parse_tags(&form.tags).unwrap_or_else(|message| {
        errors.add("tags", message);
        Vec::new()
    });
    let canonical = rules::parse_canonical_url(&form.canonical_url).unwrap_or_else(|message| {
        errors.add("canonical_url", message);
        None
    });
    let excerpt = trimmed_within(
        &mut errors,
        "excerpt",
        &form.excerpt,
        rules::MAX_EXCERPT_CHARS,
        "An excerpt",
    );
    let meta_title = trimmed_within(
        &mut errors,
        "meta_title",
        &form.meta_title,
        rules::MAX_META_TITLE_CHARS,
        "A meta title",
    );
    let meta_description = trimmed_within(
        &mut errors,
        "meta_description",
        &form.meta_description,
        rules::MAX_META_DESCRIPTION_CHARS,
        "A meta description",
    );
    let featured = match form.featured_media_id.trim() {
        "" => None,
        raw => raw.parse::<i32>().ok().or_else(|| {
            errors.add(
                "featured_media_id",
                "Choose the featured image from the list.",
            );
            None
        }),
    };
    if existing.is_some() && form.version.is_none() {
        errors.add(
            "title",
            "The form is missing its version; reload the editor (your text is below).",
        );
    }
    if !errors.is_empty() {
        let mut page = EditorPage::new(
            AdminNav::new(&user, &session)?,
            &user,
            kind,
            existing.as_ref(),
            form,
            tz,
        );
        page.errors = errors;
        return send_editor(&state, page, StatusCode::UNPROCESSABLE_ENTITY).await;
    }

    let (status, published_at) = match (&plan, &existing) {
        (Plan::Keep, Some(post)) => (post.status(), post.published_at),
        (Plan::Keep, None) | (Plan::Draft, _) => (Status::Draft, None),
        (Plan::Submit, _) => (Status::Pending, None),
        (Plan::PublishNow, Some(post))
            if post.status() == Status::Published
                && post.published_at.is_some_and(|at| at <= now) =>
        {
            (Status::Published, post.published_at)
        }
        (Plan::PublishNow, _) => (Status::Published, Some(now)),
        (Plan::PublishAt(at), _) => (Status::Published, Some(*at)),
    };
    let author_id = user.id;
    let existing_id = existing.as_ref().map(|p| p.id);
    let old_slug = existing.as_ref().map(|p| p.slug.clone());
    let stage_before = existing.as_ref().map(|p| p.stage(now));
    let was_public = matches!(stage_before, Some(Stage::Published(_)));
    let ends_previews =
        rules::save_ends_previews(stage_before, rules::stage(status, published_at, None, now));
    let expected_version = form.version.unwrap_or(1);
    let saved_form = form.clone();

    let outcome = db::run(&state.pool, move |conn| {
        db::write_transaction(conn, |conn| {
            // Checked before anything is written.
            if let Some(image) = featured
                && !crate::store::media::find(conn, image)?
                    .is_some_and(|row| row.mime_type.starts_with("image/"))
            {
                let mut errors = FormErrors::default();
                errors.add(
                    "featured_media_id",
                    "That image is no longer in the library: choose another.",
                );
                return Ok(Saved::Invalid(errors));
            }
            let slug = match wanted_slug {
                Some(slug) => {
                    if let Some(holder) = posts::slug_holder(conn, &slug)?
                        && !holder.is(existing_id)
                    {
                        let mut errors = FormErrors::default();
                        errors.add("slug", slug_taken(&slug, &holder));
                        return Ok(Saved::Invalid(errors));
                    }
                    slug
                }
                None => {
                    let base =
                        rules::normalise_slug(&title).unwrap_or_else(|_| "untitled".to_owned());
                    posts::free_slug(conn, &base, existing_id)?
                }
            };
            let body_html = media::render_markdown(conn, &form.body)?.into_string();
            let content = Content {
                title: &title,
                slug: &slug,
                body_markdown: &form.body,
                body_html: &body_html,
                excerpt: &excerpt,
                meta_title: (!meta_title.is_empty()).then_some(meta_title.as_str()),
                meta_description: (!meta_description.is_empty())
                    .then_some(meta_description.as_str()),
                canonical_url: canonical.as_deref(),
            };
            let id = match existing_id {
                Some(id) => {
                    if !posts::update(conn, id, expected_version, &content, status, published_at)? {
                        let current = posts::find(conn, id)?.ok_or_else(AppError::not_found)?;
                        return Ok(Saved::Conflict(Box::new(current)));
                    }
                    if was_public
                        && let Some(old) = &old_slug
                        && *old != slug
                    {
                        posts::record_slug_change(conn, id, old, &slug)?;
                    }
                    id
                }
                None => posts::create(conn, kind, author_id, &content, status, published_at)?,
            };
            if ends_previews {
                crate::store::tokens::revoke_previews(conn, id)?;
            }
            posts::set_featured(conn, id, featured)?;
            posts::set_tags(conn, id, &tags)?;
            posts::add_revision(conn, id, author_id, &title, &form.body)?;
            Ok(Saved::Done(id))
        })
    })
    .await?;

    match outcome {
        Saved::Done(id) => {
            let message = notice.unwrap_or_else(|| match (&plan, status) {
                (Plan::Submit, _) => "Submitted for review. An editor will look at it.".to_owned(),
                (Plan::PublishAt(at), _) => {
                    format!("Scheduled for {}.", views::local_time(*at, tz))
                }
                (Plan::PublishNow, _) => "Published.".to_owned(),
                (_, Status::Published) => "Updated.".to_owned(),
                _ if form_action_is(&saved_form, "unpublish") => {
                    "Unpublished: it is a draft again.".to_owned()
                }
                _ => "Saved.".to_owned(),
            });
            auth::set_flash(&session, message)?;
            Ok(redirect(&format!("/admin/posts/{id}/edit")))
        }
        Saved::Invalid(errors) => {
            let mut page = EditorPage::new(
                AdminNav::new(&user, &session)?,
                &user,
                kind,
                existing.as_ref(),
                saved_form,
                tz,
            );
            page.errors = errors;
            send_editor(&state, page, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Saved::Conflict(current) => {
            // Keep the editor's text; show the newer save beside it; saving again is
            // based on the newer version, so it goes through once they have merged.
            let mut form = saved_form;
            form.version = Some(current.version);
            let mut page = EditorPage::new(
                AdminNav::new(&user, &session)?,
                &user,
                kind,
                Some(&current),
                form,
                tz,
            );
            page.conflict = Some((current.title.clone(), current.body_markdown.clone()));
            send_editor(&state, page, StatusCode::CONFLICT).await
        }
    }
}

/// Why the slug can't be had, naming who holds it.
fn slug_taken(slug: &str, holder: &posts::SlugHolder) -> String {
    let named = |title: &str| {
        if title.is_empty() {
            "another post".to_owned()
        } else {
            format!("“{title}”")
        }
    };
    match holder {
        posts::SlugHolder::Post { title, .. } => {
            format!("The slug “{slug}” is already used by {}.", named(title))
        }
        posts::SlugHolder::Redirect { title, .. } => format!(
            "The address /{slug} redirects to {} (it was its address before): choose another slug.",
            named(title)
        ),
    }
}

enum Saved {
    Done(i32),
    Invalid(FormErrors),
    Conflict(Box<Post>),
}

fn form_action_is(form: &EditorForm, action: &str) -> bool {
    form.action == action
}

/// Reads `2026-11-21T09:30` as a time in the site's zone, in UTC.
fn parse_local(raw: &str, tz: chrono_tz::Tz) -> Result<NaiveDateTime, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("Choose the date and time to publish.".into());
    }
    let local = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| {
            format!(
                "“{}” is not a date and time (expected e.g. 2026-12-24T09:00).",
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
    require_trash(&user.0, &post)?;
    let page = TrashConfirmPage {
        nav: AdminNav::new(&user.0, &session)?,
        id: post.id,
        title: post.display_title().to_owned(),
        kind: post.kind(),
    };
    views::html(StatusCode::OK, &page)
}

fn require_trash(user: &User, post: &Post) -> AppResult<()> {
    if post.kind() == Kind::Page {
        return auth::require(user, Action::ManagePages, Ownership::Site);
    }
    let own = ownership(user, post);
    if own == Ownership::Own && post.status() == Status::Published {
        return auth::require(user, Action::Publish, own);
    }
    auth::require(user, Action::DeletePost, own)
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
    require_trash(&user.0, &post)?;
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
    auth::require(&user.0, Action::DeletePost, Ownership::Others)?;
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
    auth::require(&user.0, Action::DeletePost, Ownership::Others)?;
    let kind = if query.kind == "page" {
        Kind::Page
    } else {
        Kind::Post
    };
    let removed = db::run(&state.pool, move |conn| Ok(posts::empty_trash(conn, kind)?)).await?;
    auth::set_flash(
        &session,
        format!("Deleted {removed} {}(s) for good.", kind.noun()),
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
