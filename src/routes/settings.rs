//! Site settings (admins): title, description, accent colour, posts per page, time
//! zone, navigation, footer, custom CSS, feed content. Changes apply at once on this node
//! and within `cache::SETTINGS_TTL` on the others.

use std::sync::Arc;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};

use crate::auth::{self, CurrentUser};
use crate::cache::Site;
use crate::db;
use crate::domain::permissions::{Action, Ownership};
use crate::domain::site::{self, SiteSettings};
use crate::error::AppResult;
use crate::routes::respond::redirect;
use crate::state::AppState;
use crate::store::settings::{self, SaveOutcome};
use crate::views::forms::SettingsForm;
use crate::views::{self, AdminNav, FormErrors, SettingsPage};

/// Exports listed under the export button.
const RECENT_EXPORTS: i64 = 3;

#[get("/admin/settings")]
pub async fn show(
    user: CurrentUser,
    state: web::Data<AppState>,
    session: Session,
) -> AppResult<HttpResponse> {
    auth::require(&user.0, Action::ManageSettings, Ownership::Site)?;
    let current = db::run(&state.pool, |conn| Ok(settings::load(conn)?)).await?;
    let nav = AdminNav::new(&user.0, &session, &state).await?;
    let form = SettingsForm::from(&current);
    let page = settings_page(&state, nav, form, FormErrors::default()).await?;
    views::html(StatusCode::OK, &page)
}

/// The settings form, with the library's images to choose the logo from.
async fn send_page(
    state: &AppState,
    nav: AdminNav,
    form: SettingsForm,
    errors: FormErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let page = settings_page(state, nav, form, errors).await?;
    views::html(status, &page)
}

async fn settings_page(
    state: &AppState,
    nav: AdminNav,
    form: SettingsForm,
    errors: FormErrors,
) -> AppResult<SettingsPage> {
    let chosen = form.logo_media_id.trim().parse::<i32>().ok();
    let (images, _) = db::run(&state.pool, move |conn| {
        Ok(crate::store::media::image_choices(conn, chosen)?)
    })
    .await?;
    let mut page = SettingsPage::new(nav, form, errors);
    page.images = images
        .into_iter()
        .map(|row| (row.id, row.file_name))
        .collect();
    page.exports = super::export::recent(state, RECENT_EXPORTS).await?;
    Ok(page)
}

/// A navigation row's Up, Down, Remove or "Add a link" pressed without JavaScript: the
/// form comes back with the rows rearranged and everything else as typed, unsaved.
async fn moved_row(
    state: &AppState,
    nav: AdminNav,
    mut form: SettingsForm,
) -> AppResult<HttpResponse> {
    let notice = if form.move_row() {
        "Links rearranged, not saved yet: press Save settings to keep them."
    } else {
        "That link is no longer in the list: nothing changed."
    };
    form.nav_move.clear();
    let mut page = settings_page(state, nav, form, FormErrors::default()).await?;
    page.notice = Some(notice);
    views::html(StatusCode::OK, &page)
}

/// The value, or `None` with its message added to `errors`.
fn field<T>(errors: &mut FormErrors, name: &'static str, result: Result<T, String>) -> Option<T> {
    result.map_err(|message| errors.add(name, message)).ok()
}

/// The form's fields by the rules of `domain::site` (which also check imported settings).
fn validate(form: &SettingsForm) -> Result<SiteSettings, FormErrors> {
    let mut errors = FormErrors::default();
    let e = &mut errors;
    let title = field(e, "title", site::parse_title(&form.title));
    let description = field(e, "description", site::parse_description(&form.description));
    let accent_colour = field(e, "accent_colour", site::parse_colour(&form.accent_colour));
    let posts_per_page = field(
        e,
        "posts_per_page",
        site::parse_posts_per_page(&form.posts_per_page),
    );
    let time_zone = field(e, "time_zone", site::parse_time_zone(&form.time_zone));
    let navigation = if form.rows_sent {
        site::parse_navigation_rows(&form.rows)
    } else {
        site::parse_navigation(&form.navigation)
    };
    let navigation = field(e, "navigation", navigation);
    let footer = field(e, "footer", site::parse_footer(&form.footer));
    let custom_css = field(e, "custom_css", site::check_custom_css(&form.custom_css));
    let feed_full_text = match form.feed_content.as_str() {
        "full" => Ok(true),
        "excerpt" => Ok(false),
        _ => Err("Choose full text or excerpts.".to_owned()),
    };
    let feed_full_text = field(e, "feed_content", feed_full_text);
    let logo_media_id = match form.logo_media_id.trim() {
        "" => Ok(None),
        raw => raw
            .parse::<i32>()
            .map(Some)
            .map_err(|_| "Choose the logo from the list.".to_owned()),
    };
    let logo_media_id = field(e, "logo_media_id", logo_media_id);
    match (
        title,
        description,
        accent_colour,
        posts_per_page,
        time_zone,
        navigation,
        footer,
        custom_css,
        feed_full_text,
        logo_media_id,
    ) {
        (
            Some(title),
            Some(description),
            Some(accent_colour),
            Some(posts_per_page),
            Some(time_zone),
            Some(navigation),
            Some(footer),
            Some(()),
            Some(feed_full_text),
            Some(logo_media_id),
        ) => Ok(SiteSettings {
            logo_media_id,
            title,
            description,
            accent_colour,
            posts_per_page,
            time_zone,
            navigation,
            footer,
            custom_css: form.custom_css.clone(),
            feed_full_text,
            two_factor_roles: form.required_roles(),
        }),
        _ => Err(errors),
    }
}

#[post("/admin/settings")]
pub async fn update(
    user: CurrentUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<SettingsForm>,
) -> AppResult<HttpResponse> {
    auth::require(&user.0, Action::ManageSettings, Ownership::Site)?;
    let mut form = form.into_inner();
    form.read_rows();
    if !form.nav_move.is_empty() {
        let nav = AdminNav::new(&user.0, &session, &state).await?;
        return moved_row(&state, nav, form).await;
    }
    let new = match validate(&form) {
        Ok(new) => new,
        Err(errors) => {
            let nav = AdminNav::new(&user.0, &session, &state).await?;
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return send_page(&state, nav, form, errors, status).await;
        }
    };
    let address = auth::client_address(&req, state.trust_proxy);
    let actor = user.0.id;
    let stored = new.clone();
    let saved = db::run(&state.pool, move |conn| {
        match settings::save(conn, &stored, actor, &address)? {
            // What every page shows, read back as stored.
            SaveOutcome::Saved => Ok(Some(Site::load(conn)?)),
            SaveOutcome::LogoGone => Ok(None),
        }
    })
    .await?;
    let Some(site) = saved else {
        let mut errors = FormErrors::default();
        errors.add(
            "logo_media_id",
            "That image is no longer in the library: choose another.",
        );
        let nav = AdminNav::new(&user.0, &session, &state).await?;
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return send_page(&state, nav, form, errors, status).await;
    };
    state.settings.put(Arc::new(site));
    auth::set_flash(&session, "Settings saved. The site shows them now.")?;
    Ok(redirect("/admin/settings"))
}
