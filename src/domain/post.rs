//! Posts and pages: kinds, statuses, what the public sees, and the rules for slugs and
//! fields. Pure functions; the store and the handlers call them.

use chrono::NaiveDateTime;

use super::slug::slugify;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Post,
    Page,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Post => "post",
            Kind::Page => "page",
        }
    }

    pub fn parse(raw: &str) -> Option<Kind> {
        match raw {
            "post" => Some(Kind::Post),
            "page" => Some(Kind::Page),
            _ => None,
        }
    }

    /// `/admin/posts` or `/admin/pages`.
    pub fn admin_path(self) -> &'static str {
        match self {
            Kind::Post => "/admin/posts",
            Kind::Page => "/admin/pages",
        }
    }

    pub fn noun(self) -> &'static str {
        self.as_str()
    }

    /// "posts" or "pages".
    pub fn nouns(self) -> &'static str {
        match self {
            Self::Post => "posts",
            Self::Page => "pages",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Draft,
    Pending,
    Published,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Pending => "pending",
            Status::Published => "published",
        }
    }

    pub fn parse(raw: &str) -> Option<Status> {
        match raw {
            "draft" => Some(Status::Draft),
            "pending" => Some(Status::Pending),
            "published" => Some(Status::Published),
            _ => None,
        }
    }
}

/// Where a post stands, as the admin shows it. Decided at query time from status,
/// publication time and trash, so scheduling needs no job runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Draft,
    PendingReview,
    Scheduled(NaiveDateTime),
    Published(NaiveDateTime),
    Trashed,
}

pub fn stage(
    status: Status,
    published_at: Option<NaiveDateTime>,
    deleted_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Stage {
    if deleted_at.is_some() {
        return Stage::Trashed;
    }
    match (status, published_at) {
        (Status::Published, Some(at)) if at > now => Stage::Scheduled(at),
        (Status::Published, Some(at)) => Stage::Published(at),
        (Status::Published, None) => Stage::Published(now),
        (Status::Pending, _) => Stage::PendingReview,
        (Status::Draft, _) => Stage::Draft,
    }
}

/// Preview links are for what the public has not seen: once a post has been public, the
/// links made before stay dead, even if it goes back to draft (and changes) later. A save
/// ends them when the post was public before it or is public after it.
pub fn save_ends_previews(before: Option<Stage>, after: Stage) -> bool {
    matches!(before, Some(Stage::Published(_))) || matches!(after, Stage::Published(_))
}

/// Paths the site itself answers; no post or page may take them.
pub const RESERVED_SLUGS: &[&str] = &[
    "admin",
    "api",
    "static",
    "media",
    "tag",
    "tags",
    "author",
    "authors",
    "search",
    "feed",
    "feed-xml",
    "rss",
    "rss-xml",
    "feed-json",
    "sitemap",
    "sitemap-xml",
    "robots-txt",
    "healthz",
    "readyz",
    "preview",
    "page",
    "favicon-ico",
    "login",
    "logout",
];

/// Normalises what the editor typed (spaces, capitals, punctuation become hyphens) and
/// refuses what can't be a slug.
pub fn normalise_slug(raw: &str) -> Result<String, String> {
    let slug = slugify(raw).ok_or_else(|| {
        "Use letters or digits in the slug (it becomes the post's address).".to_owned()
    })?;
    if RESERVED_SLUGS.contains(&slug.as_str()) {
        return Err(format!(
            "“{slug}” is an address the site itself uses; choose another slug."
        ));
    }
    Ok(slug)
}

/// Limits on what an editor can type, each with its message.
pub const MAX_TITLE_CHARS: usize = 300;
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
pub const MAX_EXCERPT_CHARS: usize = 1_000;
pub const MAX_META_TITLE_CHARS: usize = 200;
pub const MAX_META_DESCRIPTION_CHARS: usize = 400;
pub const MAX_TAG_CHARS: usize = 100;
pub const MAX_TAGS: usize = 30;

/// Splits the comma-separated tag field into distinct, trimmed names.
pub fn parse_tags(raw: &str) -> Result<Vec<String>, String> {
    let mut names: Vec<String> = Vec::new();
    for name in raw.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if name.chars().count() > MAX_TAG_CHARS {
            let start: String = name.chars().take(30).collect();
            return Err(format!(
                "The tag “{start}…” is too long: a tag has at most {MAX_TAG_CHARS} characters."
            ));
        }
        if slugify(name).is_none() {
            return Err(format!(
                "The tag “{name}” needs at least one letter or digit."
            ));
        }
        if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            names.push(name.to_owned());
        }
    }
    if names.len() > MAX_TAGS {
        return Err(format!("A post can have at most {MAX_TAGS} tags."));
    }
    Ok(names)
}

/// A post's fields as the editor's form (or the API) sends them, untrimmed.
#[derive(Debug, Clone, Copy, Default)]
pub struct TypedFields<'a> {
    pub title: &'a str,
    pub slug: &'a str,
    pub body: &'a str,
    pub excerpt: &'a str,
    pub tags: &'a str,
    pub meta_title: &'a str,
    pub meta_description: &'a str,
    pub canonical_url: &'a str,
    /// A library image's id, or empty for none.
    pub featured_media_id: &'a str,
}

/// The fields, checked: trimmed, parsed, empty optional ones as `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields {
    pub title: String,
    /// `None`: none was typed (one is made from the title).
    pub slug: Option<String>,
    pub body: String,
    pub excerpt: String,
    pub tags: Vec<String>,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub canonical_url: Option<String>,
    pub featured_media_id: Option<i32>,
}

/// The problems with a form, by field, in the form's order.
pub type FieldErrors = Vec<(&'static str, String)>;

/// Checks every field at once (so the form can report every problem together).
/// `needs_title`: what is submitted or published must have a title.
pub fn check_fields(typed: &TypedFields<'_>, needs_title: bool) -> Result<Fields, FieldErrors> {
    let mut errors = FieldErrors::new();
    let title = trimmed_within(
        &mut errors,
        ("title", typed.title),
        MAX_TITLE_CHARS,
        "A title",
    );
    if title.is_empty() && needs_title {
        errors.push((
            "title",
            "Give it a title before it is submitted or published.".into(),
        ));
    }
    if typed.body.len() > MAX_BODY_BYTES {
        errors.push((
            "body",
            format!(
                "The text is {:.1} MB; the limit is {} MB. Nothing was saved.",
                typed.body.len() as f64 / 1_048_576.0,
                MAX_BODY_BYTES / 1_048_576
            ),
        ));
    }
    let slug = match typed.slug.trim() {
        "" => None,
        raw => normalise_slug(raw)
            .map_err(|message| errors.push(("slug", message)))
            .ok(),
    };
    let tags = parse_tags(typed.tags).unwrap_or_else(|message| {
        errors.push(("tags", message));
        Vec::new()
    });
    let canonical_url = parse_canonical_url(typed.canonical_url).unwrap_or_else(|message| {
        errors.push(("canonical_url", message));
        None
    });
    let excerpt = trimmed_within(
        &mut errors,
        ("excerpt", typed.excerpt),
        MAX_EXCERPT_CHARS,
        "An excerpt",
    );
    let meta_title = trimmed_within(
        &mut errors,
        ("meta_title", typed.meta_title),
        MAX_META_TITLE_CHARS,
        "A meta title",
    );
    let meta_description = trimmed_within(
        &mut errors,
        ("meta_description", typed.meta_description),
        MAX_META_DESCRIPTION_CHARS,
        "A meta description",
    );
    let featured_media_id = match typed.featured_media_id.trim() {
        "" => None,
        raw => raw.parse::<i32>().ok().or_else(|| {
            errors.push((
                "featured_media_id",
                "Choose the featured image from the list.".into(),
            ));
            None
        }),
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Fields {
        title,
        slug,
        body: typed.body.to_owned(),
        excerpt,
        tags,
        meta_title: (!meta_title.is_empty()).then_some(meta_title),
        meta_description: (!meta_description.is_empty()).then_some(meta_description),
        canonical_url,
        featured_media_id,
    })
}

/// The trimmed text, with a problem noted when it is longer than `max` characters.
fn trimmed_within(
    errors: &mut FieldErrors,
    (field, raw): (&'static str, &str),
    max: usize,
    what: &str,
) -> String {
    let text = raw.trim().to_owned();
    if text.chars().count() > max {
        errors.push((field, format!("{what} has at most {max} characters.")));
    }
    text
}

/// Longest old address a redirect keeps.
pub const MAX_PATH_BYTES: usize = 2_048;

/// Whether `raw` is an address on this site (`/old-post`, `/2019/03/04/hello`, `/?p=12`):
/// one leading slash (`//host` would leave the site), no backslashes, spaces or control
/// characters. For redirects that come from elsewhere (an imported archive).
pub fn is_local_path(raw: &str) -> bool {
    raw.len() <= MAX_PATH_BYTES
        && raw.starts_with('/')
        && !raw.starts_with("//")
        && !raw
            .chars()
            .any(|c| c == '\\' || c.is_whitespace() || c.is_control())
}

/// An absolute http(s) URL, or nothing.
pub fn parse_canonical_url(raw: &str) -> Result<Option<String>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    match url::Url::parse(raw) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
            Ok(Some(url.to_string()))
        }
        _ => Err(
            "The canonical URL must be a full address starting with https:// (or http://).".into(),
        ),
    }
}

/// Whether `reader` may read a revision of a post they may edit. An autosave is its
/// author's unsaved typing, not the post's history: nobody else reads it, editors and
/// admins included.
pub fn may_read_revision(reader: i32, author: Option<i32>, is_autosave: bool) -> bool {
    !is_autosave || author == Some(reader)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_autosave_is_read_only_by_its_author() {
        assert!(may_read_revision(1, Some(2), false));
        assert!(may_read_revision(1, None, false));
        assert!(may_read_revision(1, Some(1), true));
        assert!(!may_read_revision(1, Some(2), true));
        assert!(!may_read_revision(1, None, true));
    }
    use chrono::NaiveDate;

    fn at(h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 21)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
    }

    #[test]
    fn local_paths_stay_on_the_site() {
        for good in ["/old", "/2019/03/04/hello", "/?p=12", "/日本"] {
            assert!(is_local_path(good), "{good}");
        }
        for bad in [
            "",
            "old",
            "//evil.example",
            "/\\evil.example",
            "https://evil.example/",
            "/a b",
            "/a\nb",
        ] {
            assert!(!is_local_path(bad), "{bad}");
        }
        assert!(!is_local_path(&format!("/{}", "a".repeat(MAX_PATH_BYTES))));
    }

    #[test]
    fn previews_end_once_a_post_has_been_public() {
        let public = Stage::Published(at(9));
        assert!(save_ends_previews(None, public), "published on creation");
        assert!(save_ends_previews(Some(Stage::Draft), public), "published");
        assert!(
            save_ends_previews(Some(public), Stage::Draft),
            "unpublished"
        );
        assert!(save_ends_previews(Some(public), Stage::Scheduled(at(12))));
        assert!(!save_ends_previews(Some(Stage::Draft), Stage::Draft));
        assert!(!save_ends_previews(
            Some(Stage::Draft),
            Stage::Scheduled(at(12))
        ));
        assert!(!save_ends_previews(
            Some(Stage::Scheduled(at(12))),
            Stage::PendingReview
        ));
    }

    #[test]
    fn stage_is_decided_by_status_time_and_trash() {
        let now = at(12);
        assert_eq!(stage(Status::Draft, None, None, now), Stage::Draft);
        assert_eq!(
            stage(Status::Pending, None, None, now),
            Stage::PendingReview
        );
        assert_eq!(
            stage(Status::Published, Some(at(13)), None, now),
            Stage::Scheduled(at(13))
        );
        assert_eq!(
            stage(Status::Published, Some(at(11)), None, now),
            Stage::Published(at(11))
        );
        assert_eq!(
            stage(Status::Published, Some(at(11)), Some(at(12)), now),
            Stage::Trashed
        );
    }

    #[test]
    fn slugs_are_normalised_and_reserved_ones_refused() {
        assert_eq!(normalise_slug("  Hello World! ").unwrap(), "hello-world");
        assert_eq!(normalise_slug("Ünïcode Title").unwrap(), "ünïcode-title");
        assert!(
            normalise_slug("Admin")
                .unwrap_err()
                .contains("site itself uses")
        );
        assert!(normalise_slug("feed.xml").is_err());
        assert!(normalise_slug("!!!").is_err());
    }

    #[test]
    fn tags_are_split_trimmed_and_deduplicated() {
        assert_eq!(
            parse_tags(" Rust, web ,rust,, SQL").unwrap(),
            ["Rust", "web", "SQL"]
        );
        assert!(
            parse_tags(&"x".repeat(500))
                .unwrap_err()
                .contains("too long")
        );
        assert!(parse_tags("!!!").is_err());
        let many: Vec<String> = (0..40).map(|n| format!("t{n}")).collect();
        assert!(parse_tags(&many.join(",")).is_err());
    }

    #[test]
    fn fields_are_trimmed_and_parsed() {
        let typed = TypedFields {
            title: "  Hello  ",
            slug: " My Post ",
            body: "text",
            tags: "a, b",
            meta_title: "  ",
            featured_media_id: " 12 ",
            ..TypedFields::default()
        };
        let fields = check_fields(&typed, true).unwrap();
        assert_eq!(fields.title, "Hello");
        assert_eq!(fields.slug.as_deref(), Some("my-post"));
        assert_eq!(fields.tags, ["a", "b"]);
        assert_eq!(fields.meta_title, None, "blank is none");
        assert_eq!(fields.featured_media_id, Some(12));
        assert_eq!(
            check_fields(&TypedFields::default(), false).unwrap().slug,
            None
        );
    }

    #[test]
    fn every_field_problem_is_reported_in_the_forms_order() {
        let long = "x".repeat(MAX_META_DESCRIPTION_CHARS + 1);
        let typed = TypedFields {
            title: "",
            slug: "admin",
            tags: "!!!",
            canonical_url: "/relative",
            excerpt: &long,
            meta_title: &long,
            meta_description: &long,
            featured_media_id: "first",
            ..TypedFields::default()
        };
        let fields: Vec<&str> = check_fields(&typed, true)
            .unwrap_err()
            .iter()
            .map(|(field, _)| *field)
            .collect();
        assert_eq!(
            fields,
            [
                "title",
                "slug",
                "tags",
                "canonical_url",
                "meta_title",
                "meta_description",
                "featured_media_id"
            ]
        );
        let untitled = TypedFields::default();
        assert!(check_fields(&untitled, false).is_ok(), "a draft needs none");
        assert_eq!(
            check_fields(&untitled, true).unwrap_err(),
            [(
                "title",
                "Give it a title before it is submitted or published.".to_owned()
            )]
        );
    }

    #[test]
    fn canonical_urls_must_be_absolute_http() {
        assert_eq!(parse_canonical_url(""), Ok(None));
        assert!(
            parse_canonical_url("https://example.org/a")
                .unwrap()
                .is_some()
        );
        assert!(parse_canonical_url("/relative").is_err());
        assert!(parse_canonical_url("javascript:alert(1)").is_err());
    }
}
