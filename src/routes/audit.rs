//! The audit log page (admins only): newest first, filter by user and action.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use serde::Deserialize;

use crate::auth::{self, CurrentUser};
use crate::db;
use crate::domain::permissions::{Action, Ownership};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::{audit, users};
use crate::views::{self, AdminNav, AuditPage};

const PAGE_SIZE: i64 = 50;
/// Deeper pages are refused rather than scanned.
const MAX_PAGE: i64 = 10_000;

#[derive(Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    user: String,
    #[serde(default)]
    action: String,
    page: Option<i64>,
}

#[get("/admin/audit")]
pub async fn list(
    CurrentUser(me): CurrentUser,
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<AuditQuery>,
) -> AppResult<HttpResponse> {
    auth::require(&me, Action::ViewAuditLog, Ownership::Site)?;
    let query = query.into_inner();
    let page = query.page.unwrap_or(1);
    if !(1..=MAX_PAGE).contains(&page) {
        return Err(AppError::NotFound(format!(
            "There is no page {page} of the audit log."
        )));
    }
    let user_filter = match query.user.trim() {
        "" => None,
        raw => Some(raw.parse::<i32>().map_err(|_| {
            AppError::BadRequest("The user filter must be chosen from the list.".into())
        })?),
    };
    let action = query.action.trim().to_owned();
    let action_filter = (!action.is_empty()).then(|| action.clone());
    let (mut rows, users, actions) = db::run(&state.pool, move |conn| {
        let rows = audit::page(
            conn,
            user_filter,
            action_filter.as_deref(),
            (page - 1) * PAGE_SIZE,
            PAGE_SIZE + 1,
        )?;
        Ok((rows, users::list(conn)?, audit::actions(conn)?))
    })
    .await?;
    let mut actions: Vec<(String, String)> = actions
        .into_iter()
        .map(|code| {
            let label = action_label(&code);
            (code, label)
        })
        .collect();
    actions.sort_by(|a, b| a.1.cmp(&b.1));
    let has_next = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let query_for = |page: i64| {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair(
                "user",
                &user_filter.map(|u| u.to_string()).unwrap_or_default(),
            )
            .append_pair("action", &action)
            .append_pair("page", &page.to_string())
            .finish()
    };
    let view = AuditPage {
        nav: AdminNav::new(&me, &session, &state).await?,
        rows,
        users,
        actions,
        user_filter,
        action_filter: action.clone(),
        page,
        has_next,
        query_prev: query_for(page - 1),
        query_next: query_for(page + 1),
    };
    views::html(StatusCode::OK, &view)
}

/// The words for an audit action code in the filter: `invitation.accepted` is
/// "Invitation accepted". Codes without words of their own read as their parts.
fn action_label(code: &str) -> String {
    let known = match code {
        "logout" => Some("Logged out"),
        "login.failed" => Some("Login failed"),
        "login.succeeded" => Some("Logged in"),
        "setup.admin_created" => Some("Administrator created at setup"),
        "wordpress.import" => Some("WordPress import"),
        "media.upload" => Some("File uploaded"),
        "media.delete" => Some("File deleted"),
        "password.changed" => Some("Password changed"),
        "profile.updated" => Some("Profile updated"),
        "sessions.revoked" => Some("Logged out everywhere"),
        "password_reset.created" => Some("Password reset link created"),
        "password_reset.used" => Some("Password reset link used"),
        "user.role_changed" => Some("User role changed"),
        "post.submitted" => Some("Post submitted for review"),
        "page.submitted" => Some("Page submitted for review"),
        _ => None,
    };
    if let Some(label) = known {
        return label.to_owned();
    }
    let words = code.replace(['.', '_'], " ");
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => code.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::action_label;

    #[test]
    fn actions_read_as_words() {
        assert_eq!(action_label("invitation.accepted"), "Invitation accepted");
        assert_eq!(action_label("user.role_changed"), "User role changed");
        assert_eq!(action_label("post.published"), "Post published");
        assert_eq!(action_label("wordpress.import"), "WordPress import");
        assert_eq!(action_label("something_new.done"), "Something new done");
        assert_eq!(action_label(""), "");
    }
}
