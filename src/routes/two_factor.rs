//! Two-factor sign-in on one's own profile: set it up (QR code, confirm with a code, the
//! recovery codes once) and turn it off (password and a code). The login's second step is
//! in `login`.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;

use crate::auth::{self, CurrentUser};
use crate::db;
use crate::domain::password;
use crate::domain::two_factor::{self as rules, Authenticator};
use crate::error::{AppError, AppResult};
use crate::routes::respond::{redirect, relogin};
use crate::state::AppState;
use crate::store::two_factor;
use crate::store::users::User;
use crate::views::{self, AdminNav, FormErrors, TwoFactorPage, TwoFactorSetup};

/// The secret being set up, kept in the (encrypted, signed) session cookie until the
/// user confirms it with a code, so the QR code stays the same across reloads.
const SETUP_SECRET: &str = "two_factor_setup";
const PAGE: &str = "/admin/profile/two-factor";

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
}

/// Seconds since 1970 by the server's clock (tests may move it: `clock`).
pub fn unix_now() -> u64 {
    u64::try_from(crate::clock::now().and_utc().timestamp()).unwrap_or(0)
}

async fn page(user: &User, session: &Session, state: &AppState) -> AppResult<TwoFactorPage> {
    let nav = AdminNav::new(user, session, state).await?;
    let site = state.settings.get(&state.pool).await?;
    let required = site.settings.two_factor_roles.contains(&user.role());
    let user_id = user.id;
    let (row, recovery_left) = db::run(&state.pool, move |conn| {
        Ok((
            two_factor::find(conn, user_id)?,
            two_factor::unused_recovery_codes(conn, user_id)?,
        ))
    })
    .await?;
    let setup = match &row {
        Some(_) => None,
        None => {
            let secret = match session.get::<String>(SETUP_SECRET)? {
                Some(secret) => secret,
                None => {
                    let secret =
                        rules::new_secret().map_err(|e| AppError::internal("no randomness", e))?;
                    session.insert(SETUP_SECRET, &secret)?;
                    secret
                }
            };
            let authenticator = Authenticator::new(&secret, &site.settings.title, &user.email)
                .map_err(AppError::Internal)?;
            Some(TwoFactorSetup {
                qr_svg: qr_svg(&authenticator.uri())?,
                secret: rules::grouped(&secret),
            })
        }
    };
    Ok(TwoFactorPage {
        nav,
        required,
        enabled_at: row.map(|row| views::local_time(row.enabled_at, site.settings.tz())),
        recovery_left,
        setup,
        recovery_codes: Vec::new(),
        errors: FormErrors::default(),
    })
}

/// The otpauth:// address as an inline SVG, black on white, with a text alternative.
fn qr_svg(uri: &str) -> AppResult<String> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::new(uri.as_bytes()).map_err(|e| AppError::internal("QR code", e))?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    // Inline in HTML: no XML declaration; named for screen readers.
    let start = image.find("<svg").unwrap_or(0);
    Ok(image[start..].replacen(
        "<svg",
        "<svg role=\"img\" aria-label=\"QR code for your authenticator app\"",
        1,
    ))
}

#[get("/admin/profile/two-factor")]
pub async fn show(
    CurrentUser(me): CurrentUser,
    session: Session,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let page = page(&me, &session, &state).await?;
    views::html(StatusCode::OK, &page)
}

/// Confirms the secret being set up with a current code and turns two-factor sign-in on.
#[post("/admin/profile/two-factor")]
pub async fn enable(
    CurrentUser(me): CurrentUser,
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    form: web::Form<CodeForm>,
) -> AppResult<HttpResponse> {
    let Some(secret) = session.get::<String>(SETUP_SECRET)? else {
        auth::set_flash(
            &session,
            "Scan the QR code, then enter the code your app shows.",
        )?;
        return Ok(redirect(PAGE));
    };
    let authenticator =
        Authenticator::new(&secret, "Folio", &me.email).map_err(AppError::Internal)?;
    let Some(step) = authenticator.step_of(&form.code, unix_now()) else {
        let mut again = page(&me, &session, &state).await?;
        again.errors.add(
            "code",
            "That code is not right: enter the 6 digits your app shows now for this site.",
        );
        return views::html(StatusCode::UNPROCESSABLE_ENTITY, &again);
    };
    let codes = rules::new_recovery_codes().map_err(|e| AppError::internal("no randomness", e))?;
    let address = auth::client_address(&req, state.trust_proxy);
    let (user_id, stored_codes) = (me.id, codes.clone());
    let enabled = db::run(&state.pool, move |conn| {
        two_factor::enable(conn, user_id, &secret, step, &stored_codes, &address)
    })
    .await?;
    session.remove(SETUP_SECRET);
    if !enabled {
        auth::set_flash(&session, "Two-factor sign-in was already on.")?;
        return Ok(redirect(PAGE));
    }
    let mut done = page(&me, &session, &state).await?;
    done.recovery_codes = codes;
    views::html(StatusCode::OK, &done)
}

/// Turns two-factor sign-in off with the password and a current code; other sessions end.
#[post("/admin/profile/two-factor/disable")]
pub async fn disable(
    CurrentUser(me): CurrentUser,
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    form: web::Form<CodeForm>,
) -> AppResult<HttpResponse> {
    let CodeForm { code, password } = form.into_inner();
    let stored = me.password_hash.clone();
    let password_ok = web::block(move || password::verify(&password, stored.as_deref())).await?;
    let mut errors = FormErrors::default();
    if !password_ok {
        errors.add("password", "Your password is not right.");
    }
    let user_id = me.id;
    // The code is only spent once the password is right.
    let code_ok = password_ok
        && db::run(&state.pool, move |conn| {
            two_factor::confirm_authenticator(conn, user_id, &code, unix_now())
        })
        .await?;
    if password_ok && !code_ok {
        errors.add(
            "code",
            "That code is not right (or was used already): enter the one your app shows now.",
        );
    }
    if !errors.is_empty() {
        let mut again = page(&me, &session, &state).await?;
        again.errors = errors;
        return views::html(StatusCode::UNPROCESSABLE_ENTITY, &again);
    }
    let address = auth::client_address(&req, state.trust_proxy);
    db::run(&state.pool, move |conn| {
        two_factor::disable(
            conn,
            user_id,
            Some(user_id),
            "two_factor.disabled",
            &address,
        )
    })
    .await?;
    let response = relogin(&state, &req, &session, me.id, PAGE).await?;
    auth::set_flash(
        &session,
        "Two-factor sign-in is off; your other sessions have ended.",
    )?;
    Ok(response)
}
