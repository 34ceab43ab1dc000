use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use chrono::Utc;

use crate::auth::{self, CurrentUser};
use crate::db;
use crate::domain::permissions::{Action, Ownership, can};
use crate::domain::post::Kind;
use crate::error::AppResult;
use crate::state::AppState;
use crate::store::outbox;
use crate::store::posts::{self, ListFilter, Sort, StageFilter};
use crate::views::{self, AdminNav, DashboardPage, MailPage, MailSummary, PostListItem};

/// Counts by status, one's recent drafts, and for editors the review queue and what is
/// scheduled.
#[get("/admin")]
pub async fn dashboard(
    CurrentUser(user): CurrentUser,
    state: web::Data<AppState>,
    session: Session,
) -> AppResult<HttpResponse> {
    let everyone = can(user.role(), Action::SeeReviewQueue, Ownership::Site);
    let me = user.id;
    let now = Utc::now().naive_utc();
    let filter = move |author: Option<i32>, stage, sort, limit| ListFilter {
        kind: Kind::Post,
        author,
        stage: Some(stage),
        tag_slug: None,
        title_contains: None,
        trashed: false,
        sort,
        offset: 0,
        limit,
    };
    let tz = state.time_zone().await?;
    let admin = can(user.role(), Action::ManageSettings, Ownership::Site);
    let (counts, drafts, queue, upcoming, tz, outbox_counts) = db::run(&state.pool, move |conn| {
        let counts = posts::counts(conn, Kind::Post, (!everyone).then_some(me), now)?;
        let drafts = posts::list(
            conn,
            &filter(Some(me), StageFilter::Draft, Sort::Updated, 5),
            now,
        )?
        .0;
        let (queue, upcoming) = if everyone {
            (
                Some(
                    posts::list(
                        conn,
                        &filter(None, StageFilter::Pending, Sort::Updated, 20),
                        now,
                    )?
                    .0,
                ),
                Some(
                    posts::list(
                        conn,
                        &filter(None, StageFilter::Scheduled, Sort::PublishedAscending, 20),
                        now,
                    )?
                    .0,
                ),
            )
        } else {
            (None, None)
        };
        let outbox_counts = if admin {
            Some(outbox::counts(conn)?)
        } else {
            None
        };
        Ok((counts, drafts, queue, upcoming, tz, outbox_counts))
    })
    .await?;
    let items = |rows: Vec<posts::ListRow>| {
        rows.into_iter()
            .map(|(post, author)| PostListItem::new(&post, author, now, tz))
            .collect::<Vec<_>>()
    };
    let page = DashboardPage {
        nav: AdminNav::new(&user, &session, &state).await?,
        counts,
        counts_are_everyones: everyone,
        my_drafts: items(drafts),
        review_queue: queue.map(items),
        upcoming: upcoming.map(items),
        can_write_pages: can(user.role(), Action::ManagePages, Ownership::Site),
        mail: outbox_counts.map(|counts| MailSummary {
            server: state.mail.as_ref().map(crate::config::MailSettings::server),
            counts,
        }),
        user,
    };
    views::html(StatusCode::OK, &page)
}

/// The outbox: the newest messages, whether they went out, and the mail server's last
/// answer (admins only).
#[get("/admin/mail")]
pub async fn mail_log(
    CurrentUser(user): CurrentUser,
    state: web::Data<AppState>,
    session: Session,
) -> AppResult<HttpResponse> {
    auth::require(&user, Action::ManageSettings, Ownership::Site)?;
    let messages = db::run(&state.pool, |conn| Ok(outbox::recent(conn, 100)?)).await?;
    let page = MailPage {
        nav: AdminNav::new(&user, &session, &state).await?,
        server: state.mail.as_ref().map(crate::config::MailSettings::server),
        from: state.mail.as_ref().map(|m| m.from.to_string()),
        messages,
    };
    views::html(StatusCode::OK, &page)
}
