//! Feeds (Atom, RSS, JSON Feed — site-wide and per tag), the sitemap and robots.txt.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};

use crate::cache::Site;
use crate::db;
use crate::error::{AppError, AppResult};
use crate::feeds::{self, FEED_LENGTH, Feed};
use crate::state::AppState;
use crate::store::public::{self, Archive};

#[derive(Clone, Copy)]
enum Format {
    Atom,
    Rss,
    Json,
}

impl Format {
    fn file(self) -> &'static str {
        match self {
            Format::Atom => "feed.xml",
            Format::Rss => "rss.xml",
            Format::Json => "feed.json",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }
}

#[get("/feed.xml")]
pub async fn atom(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    site_feed(&state, Format::Atom).await
}

#[get("/rss.xml")]
pub async fn rss(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    site_feed(&state, Format::Rss).await
}

#[get("/feed.json")]
pub async fn json(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    site_feed(&state, Format::Json).await
}

#[get("/tag/{slug}/feed.xml")]
pub async fn tag_atom(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    tag_feed(&state, slug.into_inner(), Format::Atom).await
}

#[get("/tag/{slug}/rss.xml")]
pub async fn tag_rss(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    tag_feed(&state, slug.into_inner(), Format::Rss).await
}

#[get("/tag/{slug}/feed.json")]
pub async fn tag_json(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    tag_feed(&state, slug.into_inner(), Format::Json).await
}

async fn site_feed(state: &AppState, format: Format) -> AppResult<HttpResponse> {
    let site = state.settings.get(&state.pool).await?;
    let now = crate::clock::now();
    let (posts, _) = db::run(&state.pool, move |conn| {
        Ok(public::archive(conn, Archive::Home, now, 0, FEED_LENGTH)?)
    })
    .await?;
    let title = site.settings.title.clone();
    let self_path = format!("/{}", format.file());
    Ok(render(
        state,
        &site,
        format,
        &posts,
        title,
        "/".into(),
        self_path,
    ))
}

async fn tag_feed(state: &AppState, slug: String, format: Format) -> AppResult<HttpResponse> {
    let site = state.settings.get(&state.pool).await?;
    let now = crate::clock::now();
    // The tag and its newest posts on one connection, in one trip to the blocking pool.
    let (tag, (posts, _)) = db::run(&state.pool, move |conn| {
        let Some(tag) = public::tag_by_slug(conn, &slug, now)? else {
            return Ok(None);
        };
        let posts = public::archive(conn, Archive::Tag(tag.id), now, 0, FEED_LENGTH)?;
        Ok(Some((tag, posts)))
    })
    .await?
    .ok_or_else(|| AppError::NotFound("There is no such tag.".into()))?;
    let title = format!("{}: {}", site.settings.title, tag.name);
    let page = format!("/tag/{}", tag.slug);
    let own = format!("{page}/{}", format.file());
    Ok(render(state, &site, format, &posts, title, page, own))
}

fn render(
    state: &AppState,
    site: &Site,
    format: Format,
    posts: &[public::Published],
    title: String,
    page_path: String,
    self_path: String,
) -> HttpResponse {
    let feed = Feed {
        site: &site.settings,
        base: &state.base_url,
        title,
        page_path,
        self_path,
        posts,
    };
    let body = match format {
        Format::Atom => feeds::atom(&feed),
        Format::Rss => feeds::rss(&feed),
        Format::Json => feeds::json(&feed),
    };
    HttpResponse::Ok()
        .content_type(format.content_type())
        .body(body)
}

#[get("/sitemap.xml")]
pub async fn sitemap(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let now = crate::clock::now();
    let mut entries = db::run(&state.pool, move |conn| Ok(public::sitemap(conn, now)?)).await?;
    entries.insert(
        0,
        public::SitemapEntry {
            path: "/".into(),
            last_modified: entries.iter().map(|e| e.last_modified).max().unwrap_or(now),
        },
    );
    let xml =
        feeds::sitemap(&state.base_url, &entries).map_err(|e| AppError::internal("sitemap", e))?;
    Ok(HttpResponse::Ok()
        .content_type("application/xml; charset=utf-8")
        .body(xml))
}

#[get("/robots.txt")]
pub async fn robots(state: web::Data<AppState>) -> HttpResponse {
    let sitemap_url = state
        .base_url
        .join("/sitemap.xml")
        .map(|u| u.to_string())
        .unwrap_or_default();
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(format!("User-agent: *\nAllow: /\nDisallow: /admin\nDisallow: /api/\nDisallow: /preview/\n\nSitemap: {sitemap_url}\n"))
}
