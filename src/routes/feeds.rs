//! Feeds (Atom, RSS, JSON Feed — site-wide and per tag), the sitemap and robots.txt.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};

use crate::cache::Site;
use crate::db;
use crate::error::{AppError, AppResult};
use crate::feeds::{self, FEED_LENGTH, Feed, SITEMAP_MAX_BYTES, SITEMAP_MAX_URLS, SitemapSection};
use crate::state::AppState;
use crate::store::public::{self, Archive, SitemapEntry};

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

/// Every public address in one file — or, once there are more than the protocol allows in
/// one (`SITEMAP_MAX_URLS`), an index of the files that hold them (robots.txt always
/// names this one).
#[get("/sitemap.xml")]
pub async fn sitemap(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let now = crate::clock::now();
    let (dates, archives) = db::run(&state.pool, move |conn| {
        Ok((
            public::sitemap_post_dates(conn, now)?,
            public::sitemap_archives(conn, now)?,
        ))
    })
    .await?;
    let newest = dates
        .iter()
        .chain(archives.iter().map(|e| &e.last_modified))
        .max()
        .copied()
        .unwrap_or(now);
    // The index: each file dated by its newest entry.
    let mut files: Vec<SitemapEntry> = dates
        .chunks(SITEMAP_MAX_URLS)
        .enumerate()
        .map(|(n, chunk)| SitemapEntry {
            path: SitemapSection::Posts.path(n + 1),
            last_modified: chunk.iter().max().copied().unwrap_or(now),
        })
        .collect();
    let archive_count = 1 + archives.len();
    for number in 1..=feeds::sitemap_files(archive_count) {
        let range = feeds::sitemap_file_range(archive_count, number).unwrap_or_default();
        // The home page is the first address of the section (and the newest).
        let last_modified = if range.start == 0 {
            newest
        } else {
            archives[range.start - 1..range.end - 1]
                .iter()
                .map(|e| e.last_modified)
                .max()
                .unwrap_or(now)
        };
        files.push(SitemapEntry {
            path: SitemapSection::Archives.path(number),
            last_modified,
        });
    }
    if 1 + dates.len() + archives.len() <= SITEMAP_MAX_URLS {
        let count = i64::try_from(dates.len()).unwrap_or(i64::MAX);
        let posts = db::run(&state.pool, move |conn| {
            Ok(public::sitemap_posts(conn, now, 0, count)?)
        })
        .await?;
        let mut entries = Vec::with_capacity(1 + posts.len() + archives.len());
        entries.push(home(newest));
        entries.extend(posts);
        entries.extend(archives);
        let xml = feeds::sitemap(&state.base_url, &entries)
            .map_err(|e| AppError::internal("sitemap", e))?;
        if xml.len() <= SITEMAP_MAX_BYTES {
            return Ok(xml_response(xml));
        }
    }
    let xml = feeds::sitemap_index(&state.base_url, &files)
        .map_err(|e| AppError::internal("sitemap index", e))?;
    Ok(xml_response(xml))
}

/// One file of the sitemap index: `/sitemap-posts-N.xml` (posts and pages, oldest
/// first) or `/sitemap-archives-N.xml` (the home page, tags, authors). Served whatever the
/// site's size (the index only lists them once it needs them); a file the site doesn't
/// have is 404.
#[get("/sitemap-{section:posts|archives}-{number:[0-9]+}.xml")]
pub async fn sitemap_file(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (section, number) = path.into_inner();
    let not_found = || AppError::NotFound("This sitemap has no such file.".into());
    let section = SitemapSection::parse(&section).ok_or_else(not_found)?;
    let number: usize = number.parse().map_err(|_| not_found())?;
    let now = crate::clock::now();
    let entries = match section {
        SitemapSection::Posts => {
            let offset = number
                .checked_sub(1)
                .and_then(|n| n.checked_mul(SITEMAP_MAX_URLS))
                .and_then(|n| i64::try_from(n).ok())
                .ok_or_else(not_found)?;
            let limit = i64::try_from(SITEMAP_MAX_URLS).unwrap_or(i64::MAX);
            let entries = db::run(&state.pool, move |conn| {
                Ok(public::sitemap_posts(conn, now, offset, limit)?)
            })
            .await?;
            // The first file always exists (an empty site's is empty); others only with posts.
            if entries.is_empty() && number != 1 {
                return Err(not_found());
            }
            entries
        }
        SitemapSection::Archives => {
            let (newest, archives) = db::run(&state.pool, move |conn| {
                Ok((
                    public::sitemap_post_dates(conn, now)?.into_iter().max(),
                    public::sitemap_archives(conn, now)?,
                ))
            })
            .await?;
            let newest = archives
                .iter()
                .map(|e| e.last_modified)
                .chain(newest)
                .max()
                .unwrap_or(now);
            let count = 1 + archives.len();
            let range = feeds::sitemap_file_range(count, number).ok_or_else(not_found)?;
            let mut entries = Vec::with_capacity(range.len());
            if range.start == 0 {
                entries.push(home(newest));
            }
            let from = range.start.saturating_sub(1);
            entries.extend(archives.into_iter().take(range.end - 1).skip(from));
            entries
        }
    };
    let xml =
        feeds::sitemap(&state.base_url, &entries).map_err(|e| AppError::internal("sitemap", e))?;
    Ok(xml_response(xml))
}

fn home(last_modified: chrono::NaiveDateTime) -> SitemapEntry {
    SitemapEntry {
        path: "/".into(),
        last_modified,
    }
}

fn xml_response(xml: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/xml; charset=utf-8")
        .body(xml)
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
