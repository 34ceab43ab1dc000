//! One's own account: profile fields, password, "log out everywhere".

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;

use crate::auth::{self, CurrentUser};
use crate::db;
use crate::domain::limits::{MAX_BIO_CHARS, MAX_NAME_CHARS};
use crate::domain::{Email, password, slug};
use crate::error::AppResult;
use crate::routes::respond::{redirect, relogin};
use crate::state::AppState;
use crate::store::users::{Profile, User};
use crate::store::{notifications, profile};
use crate::views::{self, AdminNav, FormErrors, ProfilePage};

async fn page(me: &User, session: &Session, state: &AppState) -> AppResult<ProfilePage> {
    let mail_preferences = if state.mail.is_some() {
        let id = me.id;
        Some(db::run(&state.pool, move |conn| Ok(notifications::get(conn, id)?)).await?)
    } else {
        None
    };
    Ok(ProfilePage {
        mail_preferences,
        reviews: me.role() >= crate::domain::Role::Editor,
        nav: AdminNav::new(me, session, state).await?,
        display_name: me.display_name.clone(),
        slug: me.slug.clone(),
        bio: me.bio.clone(),
        email: me.email.clone(),
        role: me.role.clone(),
        errors: FormErrors::default(),
        password_errors: FormErrors::default(),
    })
}

#[get("/admin/profile")]
pub async fn show(
    CurrentUser(me): CurrentUser,
    session: Session,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    views::html(StatusCode::OK, &page(&me, &session, &state).await?)
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    bio: String,
    #[serde(default)]
    email: String,
}

#[post("/admin/profile")]
pub async fn update(
    CurrentUser(me): CurrentUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<ProfileForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let mut errors = FormErrors::default();
    let name = form.display_name.trim().to_owned();
    if name.is_empty() {
        errors.add("display_name", "Enter the name to show on your posts.");
    } else if name.chars().count() > MAX_NAME_CHARS {
        errors.add(
            "display_name",
            format!("A display name has at most {MAX_NAME_CHARS} characters."),
        );
    }
    let wanted_slug = form.slug.trim().to_owned();
    if slug::slugify(&wanted_slug).as_deref() != Some(wanted_slug.as_str()) {
        errors.add(
            "slug",
            "Use lower-case letters, digits and single hyphens, e.g. ada-lovelace.",
        );
    }
    let email = Email::parse(&form.email)
        .map_err(|message| errors.add("email", message))
        .ok();
    let bio = form.bio.trim().to_owned();
    if bio.chars().count() > MAX_BIO_CHARS {
        errors.add(
            "bio",
            format!("A bio has at most {MAX_BIO_CHARS} characters."),
        );
    }

    let conflicts = match (&email, errors.is_empty()) {
        (Some(email), true) => {
            let (new_email, new_slug, my_id) = (email.clone(), wanted_slug.clone(), me.id);
            let address = auth::client_address(&req, state.trust_proxy);
            let (name, bio) = (name.clone(), bio.clone());
            let outcome = db::run(&state.pool, move |conn| {
                let profile = Profile {
                    display_name: &name,
                    slug: &new_slug,
                    bio: &bio,
                    email: &new_email,
                };
                profile::update(conn, my_id, &profile, &address)
            })
            .await?;
            let mut conflicts = FormErrors::default();
            if outcome.email_taken {
                conflicts.add("email", format!("{email} belongs to another account."));
            }
            if outcome.slug_taken {
                conflicts.add(
                    "slug",
                    format!("“{wanted_slug}” is taken by another author."),
                );
            }
            conflicts
        }
        _ => FormErrors::default(),
    };
    if errors.is_empty() && conflicts.is_empty() {
        auth::set_flash(&session, "Your profile was saved.")?;
        return Ok(redirect("/admin/profile"));
    }
    let mut again = page(&me, &session, &state).await?;
    again.display_name = form.display_name;
    again.slug = form.slug;
    again.bio = form.bio;
    again.email = form.email;
    again.errors = if errors.is_empty() { conflicts } else { errors };
    views::html(StatusCode::UNPROCESSABLE_ENTITY, &again)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_confirmation: String,
}

#[post("/admin/profile/password")]
pub async fn change_password(
    CurrentUser(me): CurrentUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<PasswordForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let mut errors = FormErrors::default();
    if let Err(message) =
        password::validate_new(&form.new_password, &form.new_password_confirmation)
    {
        errors.add("new_password", message);
    }
    let stored = me.password_hash.clone();
    let new_password = form.new_password;
    let current = form.current_password;
    let (current_ok, new_hash) = web::block(
        move || -> Result<(bool, Option<String>), bcrypt::BcryptError> {
            let ok = password::verify(&current, stored.as_deref());
            let hash = if ok {
                Some(password::hash(&new_password)?)
            } else {
                None
            };
            Ok((ok, hash))
        },
    )
    .await??;
    if !current_ok {
        errors.add("current_password", "Your current password is not right.");
    }
    let (true, Some(hash)) = (errors.is_empty(), new_hash) else {
        let mut again = page(&me, &session, &state).await?;
        again.password_errors = errors;
        return views::html(StatusCode::UNPROCESSABLE_ENTITY, &again);
    };
    let address = auth::client_address(&req, state.trust_proxy);
    let my_id = me.id;
    db::run(&state.pool, move |conn| {
        profile::change_password(conn, my_id, &hash, &address)
    })
    .await?;
    // Every session ended with the password change; this browser gets a new one.
    let response = relogin(&state, &req, &session, me.id, "/admin/profile").await?;
    auth::set_flash(
        &session,
        "Your password was changed; your other sessions have ended.",
    )?;
    Ok(response)
}

#[post("/admin/profile/logout-everywhere")]
pub async fn logout_everywhere(
    CurrentUser(me): CurrentUser,
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
) -> AppResult<HttpResponse> {
    let address = auth::client_address(&req, state.trust_proxy);
    let my_id = me.id;
    db::run(&state.pool, move |conn| {
        profile::log_out_everywhere(conn, my_id, &address)
    })
    .await?;
    auth::log_out(&req, &session).await?;
    auth::set_flash(&session, "You were logged out everywhere, here too.")?;
    Ok(redirect("/admin/login"))
}

#[derive(Deserialize)]
pub struct MailForm {
    #[serde(default)]
    review_requests: Option<String>,
    #[serde(default)]
    own_published: Option<String>,
}

/// Which notification mails one gets (unticked boxes are not sent: off).
#[post("/admin/profile/mail")]
pub async fn update_mail(
    CurrentUser(me): CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<MailForm>,
) -> AppResult<HttpResponse> {
    let wanted = notifications::Preferences {
        review_requests: form.review_requests.is_some(),
        own_published: form.own_published.is_some(),
    };
    let id = me.id;
    db::run(&state.pool, move |conn| {
        Ok(notifications::set(conn, id, wanted)?)
    })
    .await?;
    auth::set_flash(&session, "Your mail choices were saved.")?;
    Ok(redirect("/admin/profile"))
}
