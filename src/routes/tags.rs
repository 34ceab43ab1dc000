//! Tags (editors and admins): list with counts, create one, edit name/slug/description,
//! delete after confirmation, merge one into another.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;

use crate::auth::{self, CurrentUser};
use crate::db;
use crate::domain::counted;
use crate::domain::limits::MAX_TAG_DESCRIPTION_CHARS;
use crate::domain::permissions::{Action, Ownership};
use crate::domain::post::MAX_TAG_CHARS;
use crate::domain::slug::slugify;
use crate::error::{AppError, AppResult};
use crate::routes::respond::redirect;
use crate::state::AppState;
use crate::store::tags::{self, CreateOutcome, RenameOutcome, TagEdit, TagRow};
use crate::store::users::User;
use crate::views::{self, AdminNav, FormErrors, TagDeletePage, TagEditPage, TagNewPage, TagsPage};

fn require(user: &User) -> AppResult<()> {
    auth::require(user, Action::ManageTags, Ownership::Site)
}

async fn load(state: &AppState, id: i32) -> AppResult<TagRow> {
    db::run(&state.pool, move |conn| {
        tags::find(conn, id)?.ok_or_else(|| AppError::NotFound("There is no such tag.".into()))
    })
    .await
}

#[get("/admin/tags")]
pub async fn list(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
) -> AppResult<HttpResponse> {
    require(&user.0)?;
    let rows = db::run(&state.pool, |conn| Ok(tags::with_counts(conn)?)).await?;
    views::html(
        StatusCode::OK,
        &TagsPage {
            nav: AdminNav::new(&user.0, &session, &state).await?,
            rows,
        },
    )
}

fn new_page(
    nav: AdminNav,
    form: TagForm,
    errors: FormErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let page = TagNewPage {
        nav,
        name: form.name,
        slug: form.slug,
        description: form.description,
        errors,
    };
    views::html(status, &page)
}

#[get("/admin/tags/new")]
pub async fn new(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
) -> AppResult<HttpResponse> {
    require(&user.0)?;
    let form = TagForm {
        name: String::new(),
        slug: String::new(),
        description: String::new(),
    };
    let nav = AdminNav::new(&user.0, &session, &state).await?;
    new_page(nav, form, FormErrors::default(), StatusCode::OK)
}

#[post("/admin/tags")]
pub async fn create(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<TagForm>,
) -> AppResult<HttpResponse> {
    require(&user.0)?;
    let form = form.into_inner();
    let (checked, mut errors) = check(&form);
    if errors.is_empty() {
        let name = checked.name.clone();
        let outcome = db::run(&state.pool, move |conn| {
            let fields = TagEdit {
                name: &checked.name,
                slug: &checked.slug,
                description: &checked.description,
            };
            Ok((tags::create(conn, &fields)?, checked.slug))
        })
        .await?;
        match outcome {
            (CreateOutcome::Created(_), _) => {
                auth::set_flash(&session, format!("The tag “{name}” was created."))?;
                return Ok(redirect("/admin/tags"));
            }
            (CreateOutcome::SlugTaken, slug) => errors.add(
                "slug",
                format!(
                    "A tag with the slug “{slug}” exists already; choose another name or slug."
                ),
            ),
        }
    }
    let nav = AdminNav::new(&user.0, &session, &state).await?;
    new_page(nav, form, errors, StatusCode::UNPROCESSABLE_ENTITY)
}

async fn edit_page(
    state: &AppState,
    user: &User,
    session: &Session,
    tag: TagRow,
    form: TagForm,
    errors: FormErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let id = tag.id;
    let others = db::run(&state.pool, move |conn| Ok(tags::with_counts(conn)?))
        .await?
        .into_iter()
        .map(|(t, _)| t)
        .filter(|t| t.id != id)
        .collect();
    let page = TagEditPage {
        nav: AdminNav::new(user, session, state).await?,
        tag,
        name: form.name,
        slug: form.slug,
        description: form.description,
        others,
        errors,
    };
    views::html(status, &page)
}

#[get("/admin/tags/{id}")]
pub async fn edit(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    require(&user.0)?;
    let tag = load(&state, id.into_inner()).await?;
    let form = TagForm {
        name: tag.name.clone(),
        slug: tag.slug.clone(),
        description: tag.description.clone(),
    };
    edit_page(
        &state,
        &user.0,
        &session,
        tag,
        form,
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// A tag form's fields as they will be saved (trimmed, the slug made from the name when
/// left empty), and what is wrong with them.
struct Checked {
    name: String,
    slug: String,
    description: String,
}

fn check(form: &TagForm) -> (Checked, FormErrors) {
    let mut errors = FormErrors::default();
    let name = form.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_TAG_CHARS {
        errors.add(
            "name",
            format!("A tag name has 1 to {MAX_TAG_CHARS} characters."),
        );
    }
    let slug = match slugify(if form.slug.trim().is_empty() {
        &name
    } else {
        form.slug.trim()
    }) {
        Some(slug) => slug,
        None => {
            // An empty name already has its message.
            if !name.is_empty() || !form.slug.trim().is_empty() {
                errors.add("slug", "Use letters or digits in the slug.");
            }
            String::new()
        }
    };
    let description = form.description.trim().to_owned();
    if description.chars().count() > MAX_TAG_DESCRIPTION_CHARS {
        errors.add(
            "description",
            format!("A description has at most {MAX_TAG_DESCRIPTION_CHARS} characters."),
        );
    }
    (
        Checked {
            name,
            slug,
            description,
        },
        errors,
    )
}

#[derive(Deserialize)]
pub struct TagForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    description: String,
}

#[post("/admin/tags/{id}")]
pub async fn update(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<i32>,
    form: web::Form<TagForm>,
) -> AppResult<HttpResponse> {
    require(&user.0)?;
    let tag = load(&state, id.into_inner()).await?;
    let form = form.into_inner();
    let (
        Checked {
            name,
            slug,
            description,
        },
        mut errors,
    ) = check(&form);
    if errors.is_empty() {
        let (id, wanted) = (tag.id, slug.clone());
        let outcome = db::run(&state.pool, move |conn| {
            let changes = TagEdit {
                name: &name,
                slug: &wanted,
                description: &description,
            };
            Ok(tags::rename(conn, id, &changes)?)
        })
        .await?;
        if outcome == RenameOutcome::SlugTaken {
            errors.add(
                "slug",
                format!("Another tag already has the slug “{slug}”; merge them instead."),
            );
        }
    }
    if !errors.is_empty() {
        return edit_page(
            &state,
            &user.0,
            &session,
            tag,
            form,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    auth::set_flash(&session, "The tag was saved.")?;
    Ok(redirect("/admin/tags"))
}

#[get("/admin/tags/{id}/delete")]
pub async fn delete_confirm(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    require(&user.0)?;
    let tag = load(&state, id.into_inner()).await?;
    let tag_id = tag.id;
    let count = db::run(&state.pool, move |conn| Ok(tags::with_counts(conn)?))
        .await?
        .into_iter()
        .find(|(t, _)| t.id == tag_id)
        .map_or(0, |(_, n)| n);
    views::html(
        StatusCode::OK,
        &TagDeletePage {
            nav: AdminNav::new(&user.0, &session, &state).await?,
            tag,
            count,
        },
    )
}

#[post("/admin/tags/{id}/delete")]
pub async fn delete(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    require(&user.0)?;
    let tag = load(&state, id.into_inner()).await?;
    let tag_id = tag.id;
    db::run(&state.pool, move |conn| Ok(tags::delete(conn, tag_id)?)).await?;
    auth::set_flash(
        &session,
        format!(
            "The tag “{}” was deleted; its posts keep their other tags.",
            tag.name
        ),
    )?;
    Ok(redirect("/admin/tags"))
}

#[derive(Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    into: String,
}

#[post("/admin/tags/{id}/merge")]
pub async fn merge(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<i32>,
    form: web::Form<MergeForm>,
) -> AppResult<HttpResponse> {
    require(&user.0)?;
    let from = load(&state, id.into_inner()).await?;
    let into_id: i32 =
        form.into.trim().parse().map_err(|_| {
            AppError::BadRequest("Choose the tag to merge into from the list.".into())
        })?;
    if into_id == from.id {
        return Err(AppError::BadRequest(
            "A tag can't be merged into itself.".into(),
        ));
    }
    let into = load(&state, into_id).await?;
    let from_id = from.id;
    let moved = db::run(&state.pool, move |conn| {
        Ok(tags::merge(conn, from_id, into_id)?)
    })
    .await?;
    auth::set_flash(
        &session,
        format!(
            "“{}” was merged into “{}” ({} moved).",
            from.name,
            into.name,
            counted(moved, "post", "posts")
        ),
    )?;
    Ok(redirect("/admin/tags"))
}
