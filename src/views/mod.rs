//! askama template structs, one per page, and the helpers to send them; the forms the
//! admin pages send back are in `forms`.

pub mod forms;
pub mod time_zones;

use actix_session::Session;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use chrono::NaiveDateTime;

use crate::auth;
use crate::domain::Role;
use crate::domain::permissions::{Action, Ownership, can};
use crate::error::AppResult;
use crate::state::AppState;
use crate::store::audit::AuditRow;
use crate::store::tokens::Token;
use crate::store::users::User;
use forms::{DescribeForm, EditorForm, SettingsForm};

/// Sends a rendered page with the given status.
pub fn html(status: StatusCode, page: &impl Template) -> AppResult<HttpResponse> {
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(page.render()?))
}

/// Per-field validation messages of a form, in the order the fields appear.
#[derive(Debug, Default)]
pub struct FormErrors(Vec<(&'static str, String)>);

impl FormErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, message)| message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &(&'static str, String)> {
        self.0.iter()
    }
}

#[derive(Template)]
#[template(path = "errors/error.html")]
pub struct ErrorPage {
    pub site: std::sync::Arc<crate::cache::Site>,
    pub status: u16,
    pub title: String,
    pub message: String,
    pub request_id: Option<String>,
}

/// A post as archives list it.
pub struct PostSummary {
    pub title: String,
    pub url: String,
    pub date: String,
    pub date_iso: String,
    pub author_name: String,
    pub author_url: String,
    pub tags: Vec<crate::store::public::TagLink>,
    pub excerpt: String,
    pub reading_minutes: usize,
    /// The featured image and its caption.
    pub featured: Option<(crate::media::Picture, String)>,
}

/// Words per minute for "n min read".
const READING_SPEED: usize = 220;

pub fn reading_minutes(markdown: &str) -> usize {
    crate::render::word_count(markdown)
        .div_ceil(READING_SPEED)
        .max(1)
}

impl PostSummary {
    /// A list entry: with its excerpt (written, or derived from the text).
    pub fn new(published: crate::store::public::Published, tz: chrono_tz::Tz) -> Self {
        let post = &published.post;
        let excerpt = if post.excerpt.trim().is_empty() {
            crate::render::excerpt(&post.body_markdown, 280)
        } else {
            post.excerpt.clone()
        };
        Self::with_excerpt(published, tz, excerpt)
    }

    /// The head of an article's own page, which shows the whole text and no excerpt
    /// (deriving one parses the Markdown's opening: not worth it for nothing).
    pub fn for_article(published: crate::store::public::Published, tz: chrono_tz::Tz) -> Self {
        Self::with_excerpt(published, tz, String::new())
    }

    fn with_excerpt(
        published: crate::store::public::Published,
        tz: chrono_tz::Tz,
        excerpt: String,
    ) -> Self {
        use chrono::TimeZone;
        let post = &published.post;
        let at = post.published_at.unwrap_or(post.created_at);
        let local = tz.from_utc_datetime(&at);
        Self {
            title: post.display_title().to_owned(),
            url: format!("/{}", post.slug),
            date: local.format("%-d %B %Y").to_string(),
            date_iso: local.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
            author_name: published.author.name.clone(),
            author_url: format!("/author/{}", published.author.slug),
            excerpt,
            reading_minutes: reading_minutes(&post.body_markdown),
            tags: published.tags,
            featured: published.featured,
        }
    }
}

/// The home page and the tag and author archives.
#[derive(Template)]
#[template(path = "site/archive.html")]
pub struct ArchivePage {
    pub site: std::sync::Arc<crate::cache::Site>,
    /// None on the home page; the tag or author otherwise.
    pub heading: Option<String>,
    pub description: String,
    pub posts: Vec<PostSummary>,
    pub page: i64,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
}

pub struct SearchResult {
    pub summary: PostSummary,
    /// Escaped text with `<mark>` around the matches.
    pub snippet_html: String,
}

#[derive(Template)]
#[template(path = "site/search.html")]
pub struct SearchPage {
    pub site: std::sync::Arc<crate::cache::Site>,
    pub q: String,
    pub searched: bool,
    pub shortened: bool,
    pub results: Vec<SearchResult>,
    pub total: i64,
    /// More posts matched than were ranked: the results are the best of the newest.
    pub capped: bool,
    pub page: i64,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
}

#[derive(Template)]
#[template(path = "site/article.html")]
pub struct ArticlePage {
    pub site: std::sync::Arc<crate::cache::Site>,
    /// Shown through a secret preview link: not published yet.
    pub is_preview: bool,
    pub is_post: bool,
    pub summary: PostSummary,
    /// Sanitised when the post was saved.
    pub html: String,
    pub meta_title: String,
    pub meta_description: String,
    pub canonical: String,
    pub older: Option<(String, String)>,
    pub newer: Option<(String, String)>,
    /// schema.org `BlogPosting` (posts) or `WebPage`, as JSON safe to embed in `<script>`.
    pub json_ld: String,
    /// Absolute URL of the featured image, for link previews (empty without one).
    pub og_image: String,
}

#[derive(Template)]
#[template(path = "admin/setup.html")]
pub struct SetupPage {
    pub token: String,
    pub csrf: String,
    pub email: String,
    pub name: String,
    pub errors: FormErrors,
}

/// "Forgot password?": the form, or what happened to the request.
#[derive(Template)]
#[template(path = "admin/forgot_password.html")]
pub struct ForgotPasswordPage {
    pub csrf: String,
    pub email: String,
    pub errors: FormErrors,
    /// Whether this site sends mail at all (otherwise: ask an administrator).
    pub mail_configured: bool,
    /// The answer to a request, the same whether or not the address has an account.
    pub answer: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/login.html")]
pub struct LoginPage {
    pub csrf: String,
    /// A confirmation left by the previous page (e.g. "your password was changed").
    pub notice: Option<String>,
    pub email: String,
    pub next: String,
    pub error: Option<String>,
}

/// What every logged-in admin page shows around its content: the navigation (only the
/// links the role can use), the logout form and a confirmation left by the last action.
pub struct AdminNav {
    /// The site's title, shown in the header so editors see which site they are in.
    pub site_title: String,
    pub user_name: String,
    pub csrf: String,
    pub show_users: bool,
    pub show_audit: bool,
    /// Pages and the trash are editors' business.
    pub show_pages: bool,
    pub show_settings: bool,
    pub flash: Option<String>,
}

impl AdminNav {
    pub async fn new(user: &User, session: &Session, state: &AppState) -> AppResult<Self> {
        let site = state.settings.get(&state.pool).await?;
        Ok(Self {
            site_title: site.settings.title.clone(),
            user_name: user.display_name.clone(),
            csrf: auth::csrf_token(session)?,
            show_users: can(user.role(), Action::ListUsers, Ownership::Site),
            show_audit: can(user.role(), Action::ViewAuditLog, Ownership::Site),
            show_pages: can(user.role(), Action::ManagePages, Ownership::Site),
            show_settings: can(user.role(), Action::ManageSettings, Ownership::Site),
            flash: auth::take_flash(session)?,
        })
    }
}

/// A UTC time as the site shows it: `2026-11-21 10:30 CET`.
pub fn local_time(at: NaiveDateTime, tz: chrono_tz::Tz) -> String {
    use chrono::TimeZone;
    tz.from_utc_datetime(&at)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// A UTC time to the second as the site shows it, 24-hour: `2026-11-21 10:30:05 CET`
/// (the history of a post, where saves can be seconds apart).
pub fn local_time_to_second(at: NaiveDateTime, tz: chrono_tz::Tz) -> String {
    use chrono::TimeZone;
    tz.from_utc_datetime(&at)
        .format("%Y-%m-%d %H:%M:%S %Z")
        .to_string()
}

/// `2026-11-21 09:30` (UTC), or a dash.
pub fn datetime(at: &Option<NaiveDateTime>) -> String {
    at.map_or_else(
        || "—".to_owned(),
        |at| at.format("%Y-%m-%d %H:%M").to_string(),
    )
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
pub struct DashboardPage {
    pub nav: AdminNav,
    pub user: User,
    /// Drafts, pending, scheduled, published: the viewer's own, or everyone's for editors.
    pub counts: crate::store::posts::Counts,
    pub counts_are_everyones: bool,
    pub my_drafts: Vec<PostListItem>,
    /// Editors and admins only.
    pub review_queue: Option<Vec<PostListItem>>,
    pub upcoming: Option<Vec<PostListItem>>,
    pub can_write_pages: bool,
    /// Admins only: the outbox at a glance.
    pub mail: Option<MailSummary>,
}

/// The dashboard's line about mail.
pub struct MailSummary {
    /// The SMTP server without its password; None: this site sends no mail.
    pub server: Option<String>,
    pub counts: crate::store::outbox::Counts,
}

/// /admin/mail: recent messages and what the server answered.
#[derive(Template)]
#[template(path = "admin/mail.html")]
pub struct MailPage {
    pub nav: AdminNav,
    pub server: Option<String>,
    pub from: Option<String>,
    pub messages: Vec<crate::store::outbox::Entry>,
}

/// A post as lists show it.
pub struct PostListItem {
    pub id: i32,
    pub title: String,
    pub author: String,
    /// "Draft", "Pending review", "Scheduled for …", "Published …", "In the trash".
    pub stage: String,
    pub stage_class: &'static str,
    pub updated: String,
    /// Its public address, once the public can read it.
    pub public_path: Option<String>,
}

impl PostListItem {
    pub fn new(
        post: &crate::store::posts::Post,
        author: String,
        now: NaiveDateTime,
        tz: chrono_tz::Tz,
    ) -> Self {
        use crate::domain::post::Stage;
        let (stage, stage_class) = match post.stage(now) {
            Stage::Draft => ("Draft".to_owned(), "draft"),
            Stage::PendingReview => ("Pending review".to_owned(), "pending"),
            Stage::Scheduled(at) => (format!("Scheduled for {}", local_time(at, tz)), "scheduled"),
            Stage::Published(at) => (format!("Published {}", local_time(at, tz)), "published"),
            Stage::Trashed => ("In the trash".to_owned(), "trashed"),
        };
        Self {
            id: post.id,
            title: post.display_title().to_owned(),
            author,
            stage,
            stage_class,
            updated: local_time(post.updated_at, tz),
            public_path: public_path(post, now),
        }
    }
}

/// Where the public reads a post or page (`/{slug}`), once it is published and its time
/// has come; `None` before (a draft, pending, scheduled, trashed).
pub fn public_path(post: &crate::store::posts::Post, now: NaiveDateTime) -> Option<String> {
    matches!(post.stage(now), crate::domain::post::Stage::Published(_))
        .then(|| format!("/{}", post.slug))
}

#[derive(Template)]
#[template(path = "admin/posts.html")]
pub struct PostListPage {
    pub nav: AdminNav,
    pub kind: crate::domain::post::Kind,
    pub trashed: bool,
    pub items: Vec<PostListItem>,
    pub total: i64,
    pub page: i64,
    pub has_next: bool,
    pub query_prev: String,
    pub query_next: String,
    pub status: String,
    pub author: Option<i32>,
    /// Filled for viewers who see everyone's posts.
    pub authors: Vec<User>,
    pub tag: String,
    pub q: String,
    pub sort: String,
    pub can_empty_trash: bool,
}

#[derive(Template)]
#[template(path = "admin/editor.html")]
pub struct EditorPage {
    pub nav: AdminNav,
    pub kind: crate::domain::post::Kind,
    pub post_id: Option<i32>,
    /// "Draft", "Scheduled for …" etc. of the saved post.
    pub stage: Option<String>,
    /// Public now (published and its time has come).
    pub is_published: bool,
    /// Published at a time still to come.
    pub is_scheduled: bool,
    /// Waiting for an editor's review.
    pub is_pending: bool,
    /// Where the public reads it, when it is public.
    pub public_path: Option<String>,
    /// "312 words · 2 min read" of the text as the form holds it.
    pub text_stats: String,
    /// The site's tag names, suggested in the tags field.
    pub tag_names: Vec<String>,
    pub can_publish: bool,
    pub can_delete: bool,
    pub form: EditorForm,
    pub errors: FormErrors,
    pub preview: Option<String>,
    /// Title and text of a newer save that this form would have overwritten.
    pub conflict: Option<(String, String)>,
    /// When the user's autosave is newer than the saved post: when it was made.
    pub autosave_offer: Option<String>,
    /// When the post's live preview link was made, if it has one.
    pub preview_link_since: Option<String>,
    pub time_zone: String,
    /// Library images to choose the featured image from: id and label.
    pub images: Vec<(i32, String)>,
    /// The chosen featured image.
    pub featured: Option<crate::media::Picture>,
}

#[derive(Template)]
#[template(path = "admin/settings.html")]
pub struct SettingsPage {
    pub nav: AdminNav,
    pub form: SettingsForm,
    pub errors: FormErrors,
    pub time_zones: Vec<time_zones::ZoneGroup>,
    /// Said above the form when it comes back unsaved (a navigation row moved).
    pub notice: Option<&'static str>,
    /// Library images to choose the logo from: id and label.
    pub images: Vec<(i32, String)>,
    /// The newest exports, under the export button.
    pub exports: Vec<ExportSummary>,
}

impl SettingsPage {
    pub fn new(nav: AdminNav, form: SettingsForm, errors: FormErrors) -> Self {
        let time_zones = time_zones::grouped(&form.time_zone);
        Self {
            nav,
            form,
            errors,
            time_zones,
            notice: None,
            images: Vec::new(),
            exports: Vec::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/tags.html")]
pub struct TagsPage {
    pub nav: AdminNav,
    pub rows: Vec<(crate::store::tags::TagRow, i64)>,
}

#[derive(Template)]
#[template(path = "admin/tag_edit.html")]
pub struct TagEditPage {
    pub nav: AdminNav,
    pub tag: crate::store::tags::TagRow,
    pub name: String,
    pub slug: String,
    pub description: String,
    /// Tags this one can be merged into.
    pub others: Vec<crate::store::tags::TagRow>,
    pub errors: FormErrors,
}

#[derive(Template)]
#[template(path = "admin/tag_new.html")]
pub struct TagNewPage {
    pub nav: AdminNav,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub errors: FormErrors,
}

#[derive(Template)]
#[template(path = "admin/tag_delete.html")]
pub struct TagDeletePage {
    pub nav: AdminNav,
    pub tag: crate::store::tags::TagRow,
    pub count: i64,
}

#[derive(Template)]
#[template(path = "admin/trash_confirm.html")]
pub struct TrashConfirmPage {
    pub nav: AdminNav,
    pub id: i32,
    pub title: String,
    pub kind: crate::domain::post::Kind,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    pub nav: AdminNav,
    pub users: Vec<User>,
    pub invitations: Vec<Token>,
    /// Whether the viewer may manage users (admins), or only see and invite (editors).
    pub can_manage: bool,
}

#[derive(Template)]
#[template(path = "admin/invite.html")]
pub struct InvitePage {
    pub nav: AdminNav,
    pub email: String,
    pub role: String,
    pub roles: Vec<Role>,
    pub errors: FormErrors,
}

/// "Here is the link to hand over" (invitation or password reset).
#[derive(Template)]
#[template(path = "admin/link_created.html")]
pub struct LinkCreatedPage {
    pub nav: AdminNav,
    pub title: String,
    pub explanation: String,
    pub link: String,
    /// Where "back" goes, and what it says.
    pub back: (String, String),
}

#[derive(Template)]
#[template(path = "admin/user_edit.html")]
pub struct UserEditPage {
    pub nav: AdminNav,
    pub subject: User,
    pub is_self: bool,
    pub roles: Vec<Role>,
    pub post_count: i64,
}

#[derive(Template)]
#[template(path = "admin/user_delete.html")]
pub struct UserDeletePage {
    pub nav: AdminNav,
    pub subject: User,
    pub post_count: i64,
    pub heirs: Vec<User>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/accept_invite.html")]
pub struct AcceptInvitePage {
    pub csrf: String,
    pub token: String,
    pub email: String,
    pub role: String,
    pub name: String,
    pub errors: FormErrors,
}

#[derive(Template)]
#[template(path = "admin/reset_password.html")]
pub struct ResetPasswordPage {
    pub csrf: String,
    pub token: String,
    pub email: String,
    pub errors: FormErrors,
}

#[derive(Template)]
#[template(path = "admin/profile.html")]
pub struct ProfilePage {
    pub nav: AdminNav,
    pub display_name: String,
    pub slug: String,
    pub bio: String,
    pub email: String,
    pub role: String,
    pub errors: FormErrors,
    pub password_errors: FormErrors,
    /// The notification mails this user gets; None: the site sends no mail.
    pub mail_preferences: Option<crate::store::notifications::Preferences>,
    /// Editors and admins are asked about review requests.
    pub reviews: bool,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
pub struct AuditPage {
    pub nav: AdminNav,
    pub rows: Vec<AuditRow>,
    pub users: Vec<User>,
    /// Each action that occurs: its code (the filter's value) and its words.
    pub actions: Vec<(String, String)>,
    pub user_filter: Option<i32>,
    pub action_filter: String,
    pub page: i64,
    pub has_next: bool,
    pub query_prev: String,
    pub query_next: String,
}

pub struct RevisionItem {
    pub id: i32,
    pub title: String,
    pub author: String,
    /// When, to the second, in the site's time zone.
    pub saved: String,
    /// What happened ("Published", "Restored an earlier version" …).
    pub event: &'static str,
}

#[derive(Template)]
#[template(path = "admin/revisions.html")]
pub struct RevisionsPage {
    pub nav: AdminNav,
    pub post_id: i32,
    pub title: String,
    pub items: Vec<RevisionItem>,
}

#[derive(Template)]
#[template(path = "admin/revision.html")]
pub struct RevisionView {
    pub nav: AdminNav,
    pub post_id: i32,
    pub post_title: String,
    pub revision_id: i32,
    pub saved: String,
    pub title: String,
    pub body: String,
    /// Sanitised rendering of `body`.
    pub html: String,
}

#[derive(Template)]
#[template(path = "admin/compare.html")]
pub struct CompareView {
    pub nav: AdminNav,
    pub post_id: i32,
    pub post_title: String,
    pub from_label: String,
    pub to_label: String,
    pub title_change: Option<(String, String)>,
    pub lines: Vec<crate::render::diff::DiffLine>,
    /// Why the lines aren't the whole comparison, or that there is nothing to compare.
    pub notice: Option<String>,
}

/// A file as the media library shows it.
pub struct MediaItem {
    pub row: crate::store::media::MediaRow,
    pub url: String,
    pub picture: Option<crate::media::Picture>,
    /// "JPEG image · 1.2 MB · 4000 × 3000"
    pub facts: String,
    pub uploader: String,
    pub uploaded: String,
    pub needs_alt: bool,
}

impl MediaItem {
    pub fn new(row: crate::store::media::MediaRow, uploader: Option<String>) -> Self {
        let picture = crate::media::Picture::of(&row);
        let kind = crate::media::types::by_mime(&row.mime_type)
            .map_or(row.mime_type.as_str(), |t| {
                t.name.split_once(' ').map_or(t.name, |(_, n)| n)
            });
        let mut facts = format!("{kind} · {}", human_size(row.size_bytes));
        if let (Some(w), Some(h)) = (row.width, row.height) {
            facts.push_str(&format!(" · {w} × {h}"));
        }
        Self {
            url: crate::media::url_of(&row.storage_key),
            needs_alt: picture.is_some() && row.alt_text.trim().is_empty(),
            picture,
            facts,
            uploader: uploader.unwrap_or_else(|| "a deleted user".to_owned()),
            uploaded: row.created_at.format("%Y-%m-%d %H:%M").to_string(),
            row,
        }
    }
}

/// `1.2 MB`, `340 KB`, `12 bytes`.
pub fn human_size(bytes: i64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    if b >= KB * KB {
        format!("{:.1} MB", b / (KB * KB))
    } else if b >= KB {
        format!("{:.0} KB", b / KB)
    } else {
        format!("{bytes} bytes")
    }
}

#[derive(Template)]
#[template(path = "admin/media.html")]
pub struct MediaLibraryPage {
    pub nav: AdminNav,
    pub items: Vec<MediaItem>,
    pub total: i64,
    pub page: i64,
    pub has_next: bool,
    pub query_prev: String,
    pub query_next: String,
    pub category: String,
    pub q: String,
    pub accept: &'static str,
    pub accepted: &'static str,
    pub max_upload_mb: u64,
}

#[derive(Template)]
#[template(path = "admin/media_edit.html")]
pub struct MediaEditPage {
    pub nav: AdminNav,
    pub item: MediaItem,
    pub can_edit: bool,
    pub can_delete: bool,
    /// Posts and pages that show the file and that the viewer may see.
    pub used_by: Vec<UsedBy>,
    /// How many others show it (drafts of others the viewer can't open): counted for the
    /// deletion warning, never named.
    pub hidden_uses: usize,
    /// Whether it is the site's logo.
    pub is_logo: bool,
    pub form: DescribeForm,
    pub errors: FormErrors,
}

/// One entry of a file's "Used by": a title and where it opens (the editor, or the
/// public page for a post the viewer can't edit).
pub struct UsedBy {
    pub title: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "admin/import_wordpress.html")]
pub struct ImportPage {
    pub nav: AdminNav,
    pub error: Option<String>,
    pub roles: Vec<&'static str>,
    pub max_mb: u64,
    pub jobs: Vec<ImportSummary>,
}

/// A line of the recent imports list.
pub struct ImportSummary {
    pub id: i32,
    pub file_name: String,
    pub summary: String,
}

/// One import as its page shows it: waiting or running (with progress), failed,
/// interrupted, or done.
pub struct ImportJobView {
    pub file_name: String,
    pub running: bool,
    pub phase: String,
    pub done: i64,
    pub total: i64,
    /// A note while it runs (e.g. why it is running again).
    pub note: Option<String>,
    pub error: Option<String>,
    /// Its server stopped too often: nothing was imported, start again.
    pub interrupted: Option<String>,
    pub report: Option<crate::wordpress::import::Report>,
}

#[derive(Template)]
#[template(path = "admin/import_job.html")]
pub struct ImportJobPage {
    pub nav: AdminNav,
    pub job: ImportJobView,
}

/// One dashboard export as its page shows it: waiting or running, failed, interrupted,
/// done (with its download), or done and since replaced by a newer export.
pub struct ExportJobView {
    pub id: i32,
    pub running: bool,
    pub phase: String,
    /// A note while it runs (e.g. why it is running again).
    pub note: Option<String>,
    pub error: Option<String>,
    /// Its server stopped too often: nothing was kept, start again.
    pub interrupted: Option<String>,
    /// Done: what it holds; `file_name` is the download's name while the file is kept.
    pub summary: Option<crate::export::jobs::Summary>,
    pub file_name: Option<String>,
    pub finished: String,
}

/// A line of the recent exports list.
pub struct ExportSummary {
    pub id: i32,
    pub created: String,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "admin/export_job.html")]
pub struct ExportJobPage {
    pub nav: AdminNav,
    pub job: ExportJobView,
    pub recent: Vec<ExportSummary>,
}

/// The second step of logging in: a code from the authenticator app or a recovery code.
#[derive(Template)]
#[template(path = "admin/login_code.html")]
pub struct LoginCodePage {
    pub csrf: String,
    pub error: Option<String>,
}

/// `/admin/profile/two-factor`: set up, the recovery codes once, or turn off.
#[derive(Template)]
#[template(path = "admin/two_factor.html")]
pub struct TwoFactorPage {
    pub nav: AdminNav,
    /// The user's role must sign in with a second factor (site settings).
    pub required: bool,
    /// When it was turned on, as the site shows times; None while off.
    pub enabled_at: Option<String>,
    pub recovery_left: i64,
    /// While off: what the authenticator app needs.
    pub setup: Option<TwoFactorSetup>,
    /// Right after turning it on: the recovery codes, shown this once.
    pub recovery_codes: Vec<String>,
    pub errors: FormErrors,
}

pub struct TwoFactorSetup {
    /// The QR code of the otpauth:// address, an inline SVG.
    pub qr_svg: String,
    /// The secret in groups of four, to type in instead.
    pub secret: String,
}

impl TwoFactorPage {
    /// The recovery codes as a `data:` address for the download link (one per line).
    pub fn codes_download(&self) -> String {
        let text = format!(
            "Recovery codes for {} (each works once):\n\n{}\n",
            self.nav.site_title,
            self.recovery_codes.join("\n")
        );
        let encoded: String = url::form_urlencoded::byte_serialize(text.as_bytes())
            .collect::<String>()
            .replace('+', "%20");
        format!("data:text/plain;charset=utf-8,{encoded}")
    }
}
