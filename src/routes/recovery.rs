//! "Forgot password?": someone who can't log in asks for a reset link by mail. The answer
//! is the same page whatever the address, and it comes before the account is looked up:
//! the lookup, the link and the queued mail happen after the response, so neither the
//! words nor the time tell whether the address has an account. The link leads to the
//! reset page of `links` (the one admins' links use).

use actix_session::Session;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;

use crate::auth;
use crate::db;
use crate::domain::Email;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::password_resets;
use crate::views::{self, ForgotPasswordPage, FormErrors};

#[get("/admin/forgot-password")]
pub async fn show(state: web::Data<AppState>, session: Session) -> AppResult<HttpResponse> {
    let page = ForgotPasswordPage {
        csrf: auth::csrf_token(&session)?,
        email: String::new(),
        errors: FormErrors::default(),
        mail_configured: state.mail.is_some(),
        answer: None,
    };
    views::html(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

#[post("/admin/forgot-password")]
pub async fn request(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<ForgotForm>,
) -> AppResult<HttpResponse> {
    let typed = form.into_inner().email;
    let page = |errors: FormErrors, answer: Option<String>| -> AppResult<ForgotPasswordPage> {
        Ok(ForgotPasswordPage {
            csrf: auth::csrf_token(&session)?,
            email: typed.clone(),
            errors,
            mail_configured: state.mail.is_some(),
            answer,
        })
    };
    if state.mail.is_none() {
        return views::html(StatusCode::OK, &page(FormErrors::default(), None)?);
    }
    let email = match Email::parse(&typed) {
        Ok(email) => email,
        Err(message) => {
            let mut errors = FormErrors::default();
            errors.add("email", message);
            return views::html(StatusCode::UNPROCESSABLE_ENTITY, &page(errors, None)?);
        }
    };

    let address = auth::client_address(&req, state.trust_proxy);
    let (counted, from) = (email.to_string(), address.clone());
    let locked = db::run(&state.pool, move |conn| {
        password_resets::count_request(conn, &counted, &from)
    })
    .await?;
    if let Some(retry_after) = locked {
        let mut errors = FormErrors::default();
        errors.add(
            "email",
            format!(
                "Too many reset links were asked for, for this address or from your network. Try again in {} minutes.",
                (retry_after + 59) / 60
            ),
        );
        let mut response = views::html(StatusCode::TOO_MANY_REQUESTS, &page(errors, None)?)?;
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(retry_after));
        return Ok(response);
    }

    let answer = format!(
        "If {email} belongs to an account here, a link to choose a new password is on its way \
         to it. The link works once, within one hour. Nothing arrived? Check the spam folder, \
         or ask an administrator."
    );
    actix_web::rt::spawn(mail_link(state.clone(), email, address));
    views::html(StatusCode::OK, &page(FormErrors::default(), Some(answer))?)
}

/// After the answer: the link and its mail, if the address has an enabled account.
async fn mail_link(state: web::Data<AppState>, email: Email, address: String) {
    let site = match state.settings.get(&state.pool).await {
        Ok(site) => site.settings.title.clone(),
        Err(e) => {
            tracing::error!(error = %e.detailed(), "cannot mail a reset link: no site settings");
            return;
        }
    };
    let base = state.base_url.clone();
    let queued = db::run(&state.pool, move |conn| {
        password_resets::request_by_mail(conn, &email, &address, |token| {
            let mut link = base
                .join("/admin/reset")
                .map_err(|e| AppError::internal("bad reset link", e))?;
            link.query_pairs_mut().append_pair("token", token);
            crate::mail::password_reset(&site, link.as_str())
                .to(email.as_str())
                .map_err(AppError::from)
        })
    })
    .await;
    match queued {
        Ok(true) => state.jobs.wake.notify_one(),
        Ok(false) => {}
        Err(e) => tracing::error!(error = %e.detailed(), "cannot mail a reset link"),
    }
}
