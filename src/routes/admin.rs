use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use chrono::Utc;

use crate::auth::CurrentUser;
use crate::db;
use crate::domain::permissions::{Action, Ownership, can};
use crate::domain::post::Kind;
use crate::error::AppResult;
use crate::state::AppState;
use crate::store::posts::{self, ListFilter, Sort, StageFilter};
use crate::views::{self, AdminNav, DashboardPage, PostListItem};

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
    let (counts, drafts, queue, upcoming, tz) = db::run(&state.pool, move |conn| {
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
        Ok((counts, drafts, queue, upcoming, tz))
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
        user,
    };
    views::html(StatusCode::OK, &page)
}
