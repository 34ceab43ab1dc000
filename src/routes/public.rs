//! The reader's site: the home page, posts and pages, tag and author archives, old-slug
//! redirects, and the stylesheet made from the settings.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, EntityTag, IfNoneMatch};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, get, web};
use serde::Deserialize;

use crate::cache::Site;
use crate::db;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::public::{self, Archive};
use crate::views::{self, ArchivePage, ArticlePage, PostSummary};

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<String>,
}

/// The home page's query: a page number, or a WordPress address (`/?p=ID`, `/?page_id=ID`)
/// of an imported post.
#[derive(Deserialize)]
pub struct HomeQuery {
    page: Option<String>,
    p: Option<String>,
    page_id: Option<String>,
}

/// `?page=N`: 1 when absent; anything that isn't a page number is a page that doesn't exist.
fn page_number(query: &PageQuery) -> AppResult<i64> {
    match query.page.as_deref() {
        None => Ok(1),
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=1_000_000).contains(n))
            .ok_or_else(|| {
                AppError::NotFound(format!(
                    "There is no page “{}”.",
                    raw.chars().take(20).collect::<String>()
                ))
            }),
    }
}

#[get("/")]
pub async fn home(
    state: web::Data<AppState>,
    query: web::Query<HomeQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    if let Some(id) = query.p.or(query.page_id) {
        // WordPress numbers posts and pages alike: the importer records `/?p=ID` for both.
        let old = format!("/?p={}", id.trim());
        return redirect_for(&state, old)
            .await?
            .ok_or_else(AppError::not_found);
    }
    let page = page_number(&PageQuery { page: query.page })?;
    home_page(&state, page).await
}

#[get("/tag/{slug}")]
pub async fn tag(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let page = page_number(&query)?;
    let site = state.settings.get(&state.pool).await?;
    let (offset, limit) = window(&site, page);
    let wanted = slug.into_inner();
    let now = crate::clock::now();
    // The tag and its page of posts on one connection, in one trip to the blocking pool.
    let (tag, listed) = db::run(&state.pool, move |conn| {
        let Some(tag) = public::tag_by_slug(conn, &wanted, now)? else {
            return Ok(None);
        };
        let listed = public::archive(conn, Archive::Tag(tag.id), now, offset, limit)?;
        Ok(Some((tag, listed)))
    })
    .await?
    .ok_or_else(|| AppError::NotFound("There is no such tag.".into()))?;
    let base = format!("/tag/{}", tag.slug);
    archive_page(
        site,
        listed,
        &base,
        Some(format!("Tagged “{}”", tag.name)),
        tag.description,
        page,
    )
}

#[get("/author/{slug}")]
pub async fn author(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let page = page_number(&query)?;
    let site = state.settings.get(&state.pool).await?;
    let (offset, limit) = window(&site, page);
    let wanted = slug.into_inner();
    let now = crate::clock::now();
    let (author, listed) = db::run(&state.pool, move |conn| {
        let Some(author) = public::author_by_slug(conn, &wanted, now)? else {
            return Ok(None);
        };
        let listed = public::archive(conn, Archive::Author(author.id), now, offset, limit)?;
        Ok(Some((author, listed)))
    })
    .await?
    .ok_or_else(|| AppError::NotFound("There is no such author.".into()))?;
    let base = format!("/author/{}", author.slug);
    archive_page(site, listed, &base, Some(author.name), author.bio, page)
}

/// Which posts page `page` of an archive shows: (offset, limit).
fn window(site: &Site, page: i64) -> (i64, i64) {
    let per_page = i64::from(site.settings.posts_per_page);
    ((page - 1) * per_page, per_page)
}

/// The home page's list of posts (one page of it).
async fn home_page(state: &AppState, page: i64) -> AppResult<HttpResponse> {
    let site = state.settings.get(&state.pool).await?;
    let (offset, limit) = window(&site, page);
    let now = crate::clock::now();
    let listed = db::run(&state.pool, move |conn| {
        Ok(public::archive(conn, Archive::Home, now, offset, limit)?)
    })
    .await?;
    archive_page(site, listed, "/", None, String::new(), page)
}

fn archive_page(
    site: Arc<Site>,
    (found, more): (Vec<public::Published>, bool),
    base: &str,
    heading: Option<String>,
    description: String,
    page: i64,
) -> AppResult<HttpResponse> {
    // Page 1 always exists (an empty site shows a friendly page); later pages only when
    // there are posts on them.
    if page > 1 && found.is_empty() {
        return Err(AppError::NotFound(format!(
            "There is no page {page}: there are fewer posts than that."
        )));
    }
    let tz = site.settings.tz();
    let url_for = |n: i64| {
        if n == 1 {
            base.to_owned()
        } else {
            format!("{base}?page={n}")
        }
    };
    let view = ArchivePage {
        heading,
        description,
        posts: found.into_iter().map(|p| PostSummary::new(p, tz)).collect(),
        page,
        prev_url: (page > 1).then(|| url_for(page - 1)),
        next_url: more.then(|| url_for(page + 1)),
        site,
    };
    views::html(StatusCode::OK, &view)
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    page: Option<String>,
}

const SEARCH_PAGE_SIZE: i64 = 10;

/// Full-text search over published posts and pages, best match first, with highlighted
/// snippets. Any input is safe: it is reduced to words before it reaches the database.
#[get("/search")]
pub async fn search(
    state: web::Data<AppState>,
    query: web::Query<SearchQuery>,
) -> AppResult<HttpResponse> {
    let SearchQuery { q, page } = query.into_inner();
    let page = page_number(&PageQuery { page })?;
    let site = state.settings.get(&state.pool).await?;
    let terms = crate::domain::search::terms(&q);
    let words = terms.words.clone();
    let now = crate::clock::now();
    let offset = (page - 1) * SEARCH_PAGE_SIZE;
    let (found, published) = db::run(&state.pool, move |conn| {
        Ok(public::search(conn, &words, now, offset, SEARCH_PAGE_SIZE)?)
    })
    .await?;
    let (hits, total) = (&found.hits, found.total);
    if page > 1 && hits.is_empty() {
        return Err(AppError::NotFound(format!(
            "There is no page {page} of these results."
        )));
    }
    let tz = site.settings.tz();
    let results = published
        .into_iter()
        .filter_map(|p| {
            let hit = hits.iter().find(|h| h.id == p.post.id)?;
            Some(views::SearchResult {
                snippet_html: highlight(&hit.snippet),
                summary: PostSummary::new(p, tz),
            })
        })
        .collect();
    let url_for = |n: i64| {
        let mut url = url::form_urlencoded::Serializer::new(String::from("/search?"));
        url.append_pair("q", &q);
        if n > 1 {
            url.append_pair("page", &n.to_string());
        }
        url.finish()
    };
    let view = views::SearchPage {
        searched: !q.trim().is_empty(),
        shortened: terms.shortened,
        results,
        total,
        capped: found.capped,
        page,
        prev_url: (page > 1).then(|| url_for(page - 1)),
        next_url: (page * SEARCH_PAGE_SIZE < total).then(|| url_for(page + 1)),
        q: q.chars().take(200).collect(),
        site,
    };
    views::html(StatusCode::OK, &view)
}

/// Escapes a snippet and turns the engine's markers into `<mark>`.
fn highlight(snippet: &str) -> String {
    use public::{MARK_END, MARK_START};
    ammonia::clean_text(snippet)
        .replace(MARK_START, "<mark>")
        .replace(MARK_END, "</mark>")
}

/// A post or page; an old slug answers 301 to the current one; anything else (drafts,
/// scheduled, trashed) is a plain 404 to the public.
#[get("/{slug}")]
pub async fn article(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let slug = slug.into_inner();
    let site = state.settings.get(&state.pool).await?;
    let now = crate::clock::now();
    let wanted = slug.clone();
    let found = db::run(&state.pool, move |conn| {
        match public::by_slug(conn, &wanted, now)? {
            Some(published) => {
                let neighbours = public::neighbours(conn, &published.post, now)?;
                Ok(Ok((published, neighbours)))
            }
            None => Ok(Err(public::redirect_target(
                conn,
                &format!("/{wanted}"),
                now,
            )?)),
        }
    })
    .await?;
    let (published, (older, newer)) = match found {
        Ok(found) => found,
        Err(Some(current)) => return Ok(permanent_redirect(&format!("/{current}"))),
        Err(None) => return Err(AppError::not_found()),
    };
    render_article(site, &state.base_url, published, older, newer)
}

pub fn render_article(
    site: Arc<Site>,
    base_url: &url::Url,
    published: public::Published,
    older: Option<(String, String)>,
    newer: Option<(String, String)>,
) -> AppResult<HttpResponse> {
    views::html(
        StatusCode::OK,
        &article_view(site, base_url, published, older, newer),
    )
}

pub fn article_view(
    site: Arc<Site>,
    base_url: &url::Url,
    mut published: public::Published,
    older: Option<(String, String)>,
    newer: Option<(String, String)>,
) -> ArticlePage {
    // The page's largest string: moved into the view, not copied.
    let html = std::mem::take(&mut published.post.body_html);
    let post = &published.post;
    let is_post = post.kind() == crate::domain::post::Kind::Post;
    let meta_title = post
        .meta_title
        .clone()
        .unwrap_or_else(|| post.display_title().to_owned());
    let meta_description = post
        .meta_description
        .clone()
        .or_else(|| (!post.excerpt.trim().is_empty()).then(|| post.excerpt.clone()))
        .unwrap_or_else(|| crate::render::excerpt(&post.body_markdown, 160));
    let canonical = post.canonical_url.clone().unwrap_or_else(|| {
        base_url
            .join(&post.slug)
            .map(|u| u.to_string())
            .unwrap_or_default()
    });
    let og_image = published
        .featured
        .as_ref()
        .and_then(|(picture, _)| base_url.join(&picture.src).ok())
        .map(|u| u.to_string())
        .unwrap_or_default();
    let tz = site.settings.tz();
    let json_ld = structured_data(&site, base_url, &published, &canonical, &meta_description);
    ArticlePage {
        og_image,
        is_preview: false,
        json_ld,
        is_post,
        html,
        meta_title,
        meta_description,
        canonical,
        older: older.map(|(title, slug)| (title, format!("/{slug}"))),
        newer: newer.map(|(title, slug)| (title, format!("/{slug}"))),
        summary: PostSummary::for_article(published, tz),
        site,
    }
}

/// schema.org data for search engines, escaped so it can't end its `<script>` element.
fn structured_data(
    site: &Site,
    base_url: &url::Url,
    published: &public::Published,
    canonical: &str,
    description: &str,
) -> String {
    let post = &published.post;
    let is_post = post.kind() == crate::domain::post::Kind::Post;
    let iso = |at: chrono::NaiveDateTime| at.and_utc().to_rfc3339();
    let author_url = base_url
        .join(&format!("/author/{}", published.author.slug))
        .map(|u| u.to_string())
        .unwrap_or_default();
    let data = serde_json::json!({
        "@context": "https://schema.org",
        "@type": if is_post { "BlogPosting" } else { "WebPage" },
        "headline": post.display_title(),
        "description": description,
        "url": canonical,
        "mainEntityOfPage": canonical,
        "datePublished": post.published_at.map(iso),
        "dateModified": iso(post.updated_at),
        // Only posts are in author archives: a page's author may have none.
        "author": if is_post {
            serde_json::json!({ "@type": "Person", "name": published.author.name, "url": author_url })
        } else {
            serde_json::json!({ "@type": "Person", "name": published.author.name })
        },
        "publisher": { "@type": "Organization", "name": site.settings.title },
        "keywords": published.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
    });
    crate::render::escape::json_without_markup(&data)
}

fn permanent_redirect(location: &str) -> HttpResponse {
    // Slugs may be non-ASCII (`/日本`): a header carries them percent-encoded.
    let location = percent_encoding::utf8_percent_encode(location, percent_encoding::CONTROLS);
    HttpResponse::MovedPermanently()
        .insert_header((header::LOCATION, location.to_string()))
        .finish()
}

/// The 301 to the visible post an old address now belongs to, if there is one.
async fn redirect_for(state: &AppState, old: String) -> AppResult<Option<HttpResponse>> {
    let now = crate::clock::now();
    let target = db::run(&state.pool, move |conn| {
        Ok(public::redirect_target(conn, &old, now)?)
    })
    .await?;
    Ok(target.map(|slug| permanent_redirect(&format!("/{slug}"))))
}

/// Everything no route claimed: an old address of a post (an imported site's permalinks
/// like `/2019/03/04/hello/`) redirects to it; `/about/` redirects to `/about`; the rest is
/// a 404.
pub async fn fallback(req: HttpRequest, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let path = req.path();
    let reading = req.method() == actix_web::http::Method::GET
        || req.method() == actix_web::http::Method::HEAD;
    if reading && !path.starts_with("/api/") && !path.starts_with("/admin/") {
        let old = crate::wordpress::import::old_address(path);
        if old.len() > 1
            && let Some(redirect) = redirect_for(&state, old).await?
        {
            return Ok(redirect);
        }
    }
    let trimmed = path.trim_end_matches('/');
    // `/about/` → `/about`; only ever to a clean path on this site (`/\evil.example/`
    // would otherwise send the browser to another host).
    if path.len() > 1
        && path.ends_with('/')
        && (trimmed.is_empty() || crate::domain::site::is_clean_local_path(trimmed))
    {
        let location = match req.query_string() {
            "" => trimmed.to_owned(),
            query => format!("{trimmed}?{query}"),
        };
        return Ok(permanent_redirect(if location.is_empty() {
            "/"
        } else {
            &location
        }));
    }
    Err(AppError::not_found())
}

/// The accent colour and the admin's custom CSS as a stylesheet (no inline styles under
/// the CSP); linked with its fingerprint, so it can be cached for a year.
#[get("/site.css")]
pub async fn site_css(req: HttpRequest, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let site = state.settings.get(&state.pool).await?;
    let etag = EntityTag::new_strong(site.css_version.clone());
    let fingerprinted = req.query_string() == format!("v={}", site.css_version);
    let unchanged = match req.get_header::<IfNoneMatch>() {
        Some(IfNoneMatch::Any) => true,
        Some(IfNoneMatch::Items(tags)) => tags.iter().any(|candidate| candidate.weak_eq(&etag)),
        None => false,
    };
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response.insert_header(header::ETag(etag)).insert_header((
        header::CACHE_CONTROL,
        if fingerprinted {
            "public, max-age=31536000, immutable"
        } else {
            "public, no-cache"
        },
    ));
    if unchanged {
        return Ok(response.finish());
    }
    Ok(response
        .content_type("text/css; charset=utf-8")
        .body(site.settings.stylesheet()))
}
