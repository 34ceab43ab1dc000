//! Site settings as a validated value, with defaults and the rules for each field.

use std::collections::HashMap;

use super::Role;
use super::colour::Rgb;

/// Everything an admin can set on /admin/settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteSettings {
    pub title: String,
    pub description: String,
    /// `#rrggbb`.
    pub accent_colour: String,
    pub posts_per_page: u32,
    /// An IANA zone name, e.g. `Europe/Berlin`.
    pub time_zone: String,
    pub navigation: Vec<NavLink>,
    pub footer: String,
    pub custom_css: String,
    /// Feeds carry the full text (true) or the excerpt.
    pub feed_full_text: bool,
    /// A library image shown in the site header.
    pub logo_media_id: Option<i32>,
    /// Roles whose users must sign in with a second factor (set it up before anything else).
    pub two_factor_roles: Vec<Role>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NavLink {
    pub label: String,
    pub url: String,
}

impl Default for SiteSettings {
    fn default() -> Self {
        Self {
            title: "Folio".into(),
            description: "A new site built with Folio.".into(),
            accent_colour: "#2354c4".into(),
            posts_per_page: 10,
            time_zone: "UTC".into(),
            navigation: Vec::new(),
            footer: String::new(),
            custom_css: String::new(),
            feed_full_text: true,
            logo_media_id: None,
            two_factor_roles: Vec::new(),
        }
    }
}

pub const MAX_TITLE_CHARS: usize = 120;
pub const MAX_DESCRIPTION_CHARS: usize = 500;
pub const MAX_FOOTER_CHARS: usize = 2_000;
pub const MAX_CUSTOM_CSS_BYTES: usize = 100 * 1024;
pub const MAX_NAV_LINKS: usize = 20;

/// Keys in the settings table.
pub mod keys {
    pub const TITLE: &str = "site_title";
    pub const DESCRIPTION: &str = "site_description";
    pub const ACCENT: &str = "accent_colour";
    pub const PER_PAGE: &str = "posts_per_page";
    pub const TIME_ZONE: &str = "time_zone";
    pub const NAVIGATION: &str = "navigation";
    pub const FOOTER: &str = "footer";
    pub const CUSTOM_CSS: &str = "custom_css";
    pub const FEED_FULL_TEXT: &str = "feed_full_text";
    pub const LOGO: &str = "logo_media_id";
    pub const TWO_FACTOR_ROLES: &str = "two_factor_roles";
}

impl SiteSettings {
    /// Builds settings from stored values; anything missing or unreadable keeps its default
    /// (values are validated on the way in, so that only happens after manual edits).
    pub fn from_stored(values: &HashMap<String, String>) -> Self {
        let mut settings = Self::default();
        let get = |key: &str| values.get(key).cloned();
        if let Some(v) = get(keys::TITLE) {
            settings.title = v;
        }
        if let Some(v) = get(keys::DESCRIPTION) {
            settings.description = v;
        }
        if let Some(v) = get(keys::ACCENT).filter(|v| parse_colour(v).is_ok()) {
            settings.accent_colour = v;
        }
        if let Some(v) = get(keys::PER_PAGE)
            .and_then(|v| v.parse().ok())
            .filter(|n| (1..=100).contains(n))
        {
            settings.posts_per_page = v;
        }
        if let Some(v) = get(keys::TIME_ZONE).filter(|v| v.parse::<chrono_tz::Tz>().is_ok()) {
            settings.time_zone = v;
        }
        if let Some(v) = get(keys::NAVIGATION) {
            settings.navigation = parse_navigation(&v).unwrap_or_default();
        }
        if let Some(v) = get(keys::FOOTER) {
            settings.footer = v;
        }
        if let Some(v) = get(keys::CUSTOM_CSS) {
            settings.custom_css = v;
        }
        if let Some(v) = get(keys::FEED_FULL_TEXT) {
            settings.feed_full_text = v != "false";
        }
        settings.logo_media_id = get(keys::LOGO).and_then(|v| v.parse().ok());
        if let Some(v) = get(keys::TWO_FACTOR_ROLES) {
            settings.two_factor_roles = parse_roles(&v).unwrap_or_default();
        }
        settings
    }

    /// The values to store, by key.
    pub fn to_stored(&self) -> Vec<(&'static str, String)> {
        vec![
            (keys::TITLE, self.title.clone()),
            (keys::DESCRIPTION, self.description.clone()),
            (keys::ACCENT, self.accent_colour.clone()),
            (keys::PER_PAGE, self.posts_per_page.to_string()),
            (keys::TIME_ZONE, self.time_zone.clone()),
            (keys::NAVIGATION, format_navigation(&self.navigation)),
            (keys::FOOTER, self.footer.clone()),
            (keys::CUSTOM_CSS, self.custom_css.clone()),
            (keys::FEED_FULL_TEXT, self.feed_full_text.to_string()),
            (
                keys::LOGO,
                self.logo_media_id
                    .map(|id| id.to_string())
                    .unwrap_or_default(),
            ),
            (keys::TWO_FACTOR_ROLES, format_roles(&self.two_factor_roles)),
        ]
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::UTC)
    }

    /// The stylesheet made of the accent colour and the custom CSS, served as a file
    /// (the CSP allows no inline styles). The accent is adjusted per colour scheme until
    /// links and focus rings reach 4.5:1 on that scheme's backgrounds (folio.css's
    /// `--bg` and `--surface`), and button text is whichever of light and dark reads on it.
    pub fn stylesheet(&self) -> String {
        let Some(accent) = Rgb::parse(&self.accent_colour) else {
            return format!("{}\n", self.custom_css);
        };
        let (white, black) = (Rgb(0xff, 0xff, 0xff), Rgb(0, 0, 0));
        let (dark_text, light_text) = (Rgb(0x10, 0x13, 0x1a), white);
        let light = accent.readable_on(&[white, Rgb(0xf5, 0xf6, 0xf8)], black);
        let dark = accent.readable_on(&[Rgb(0x16, 0x18, 0x1c), Rgb(0x1f, 0x22, 0x27)], white);
        format!(
            ":root {{ --accent: {}; --accent-text: {}; }}\n\
             @media (prefers-color-scheme: dark) {{ :root {{ --accent: {}; --accent-text: {}; }} }}\n{}\n",
            light.hex(),
            light.text_on(light_text, dark_text).hex(),
            dark.hex(),
            dark.text_on(light_text, dark_text).hex(),
            self.custom_css
        )
    }
}

/// The site title, trimmed: 1 to `MAX_TITLE_CHARS` characters.
pub fn parse_title(raw: &str) -> Result<String, String> {
    let title = raw.trim();
    if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
        return Err(format!(
            "The site title has 1 to {MAX_TITLE_CHARS} characters."
        ));
    }
    Ok(title.to_owned())
}

/// The description, trimmed: at most `MAX_DESCRIPTION_CHARS` characters.
pub fn parse_description(raw: &str) -> Result<String, String> {
    let description = raw.trim();
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(format!(
            "The description has at most {MAX_DESCRIPTION_CHARS} characters."
        ));
    }
    Ok(description.to_owned())
}

pub fn parse_posts_per_page(raw: &str) -> Result<u32, String> {
    match raw.trim().parse::<u32>() {
        Ok(n) if (1..=100).contains(&n) => Ok(n),
        _ => Err("Posts per page is a number from 1 to 100.".into()),
    }
}

/// An IANA zone name.
pub fn parse_time_zone(raw: &str) -> Result<String, String> {
    let zone = raw.trim();
    if zone.parse::<chrono_tz::Tz>().is_err() {
        return Err("Choose a time zone from the list.".into());
    }
    Ok(zone.to_owned())
}

/// The footer, trimmed: at most `MAX_FOOTER_CHARS` characters.
pub fn parse_footer(raw: &str) -> Result<String, String> {
    let footer = raw.trim();
    if footer.chars().count() > MAX_FOOTER_CHARS {
        return Err(format!(
            "The footer has at most {MAX_FOOTER_CHARS} characters."
        ));
    }
    Ok(footer.to_owned())
}

pub fn check_custom_css(raw: &str) -> Result<(), String> {
    if raw.len() > MAX_CUSTOM_CSS_BYTES {
        return Err(format!(
            "Custom CSS is limited to {} KB.",
            MAX_CUSTOM_CSS_BYTES / 1024
        ));
    }
    Ok(())
}

/// A stored value that didn't come through the settings form (an imported archive),
/// checked by the form's rules. `Ok(Some(id))` for the logo: the caller checks that the
/// image exists.
pub fn check_stored(key: &str, value: &str) -> Result<Option<i32>, String> {
    let same = |normalised: String| {
        if normalised == value {
            Ok(None)
        } else {
            Err("not in the form the settings page stores".to_owned())
        }
    };
    match key {
        keys::TITLE => same(parse_title(value)?),
        keys::DESCRIPTION => same(parse_description(value)?),
        keys::ACCENT => same(parse_colour(value)?),
        keys::PER_PAGE => same(parse_posts_per_page(value)?.to_string()),
        keys::TIME_ZONE => same(parse_time_zone(value)?),
        keys::NAVIGATION => same(format_navigation(&parse_navigation(value)?)),
        keys::FOOTER => same(parse_footer(value)?),
        keys::CUSTOM_CSS => check_custom_css(value).map(|()| None),
        keys::FEED_FULL_TEXT => match value {
            "true" | "false" => Ok(None),
            _ => Err("is true or false".into()),
        },
        keys::LOGO => match value {
            "" => Ok(None),
            id => id
                .parse::<i32>()
                .map(Some)
                .map_err(|_| "is a media id or empty".into()),
        },
        keys::TWO_FACTOR_ROLES => same(format_roles(&parse_roles(value)?)),
        _ => Err("is not a setting of this Folio".into()),
    }
}

/// `#abc` or `#aabbcc`, normalised to lower-case `#aabbcc`.
pub fn parse_colour(raw: &str) -> Result<String, String> {
    let hex = raw.trim().trim_start_matches('#');
    let full = match hex.len() {
        3 => hex.chars().flat_map(|c| [c, c]).collect::<String>(),
        6 => hex.to_owned(),
        _ => String::new(),
    };
    if full.len() == 6 && full.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(format!("#{}", full.to_ascii_lowercase()))
    } else {
        Err(format!(
            "“{}” is not a colour: use the form #2354c4.",
            raw.trim()
        ))
    }
}

/// One link per line, `Label = URL`; URLs are site paths (`/about`) or http(s) addresses.
pub fn parse_navigation(raw: &str) -> Result<Vec<NavLink>, String> {
    let mut links = Vec::new();
    for (n, line) in raw
        .lines()
        .map(str::trim)
        .enumerate()
        .filter(|(_, l)| !l.is_empty())
    {
        let Some((label, url)) = line.split_once('=') else {
            return Err(format!("Line {}: write links as “Label = /path”.", n + 1));
        };
        let link = parse_nav_link(label, url).map_err(|e| format!("Line {}: {e}", n + 1))?;
        links.push(link);
    }
    check_nav_count(links)
}

/// The settings form's rows of label and address, in order; rows with both fields empty
/// are skipped. Labels may not contain "=", the separator of the stored form.
pub fn parse_navigation_rows(rows: &[(String, String)]) -> Result<Vec<NavLink>, String> {
    let mut links = Vec::new();
    for (n, (label, url)) in rows.iter().enumerate() {
        let (label, url) = (label.trim(), url.trim());
        if label.is_empty() && url.is_empty() {
            continue;
        }
        if label.contains('=') {
            return Err(format!(
                "Link {}: “{label}”: a label may not contain “=”.",
                n + 1
            ));
        }
        let link = parse_nav_link(label, url).map_err(|e| format!("Link {}: {e}", n + 1))?;
        links.push(link);
    }
    check_nav_count(links)
}

/// One link's label (1–60 characters) and address (a site path or an http(s) URL).
fn parse_nav_link(label: &str, url: &str) -> Result<NavLink, String> {
    let (label, url) = (label.trim(), url.trim());
    if label.is_empty() || label.chars().count() > 60 {
        return Err("a label has 1 to 60 characters.".to_owned());
    }
    let site_path = url.starts_with('/') && !url.starts_with("//");
    let absolute = url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
    if !(site_path || absolute) || url.chars().any(char::is_whitespace) {
        return Err(format!(
            "“{url}” must be a path like /about or an https:// address."
        ));
    }
    Ok(NavLink {
        label: label.to_owned(),
        url: url.to_owned(),
    })
}

fn check_nav_count(links: Vec<NavLink>) -> Result<Vec<NavLink>, String> {
    if links.len() > MAX_NAV_LINKS {
        return Err(format!("At most {MAX_NAV_LINKS} navigation links."));
    }
    Ok(links)
}

pub fn format_navigation(links: &[NavLink]) -> String {
    links
        .iter()
        .map(|l| format!("{} = {}", l.label, l.url))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Role names separated by commas (as stored), e.g. `editor,admin`; empty for none.
pub fn parse_roles(raw: &str) -> Result<Vec<Role>, String> {
    let mut roles = raw
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::parse::<Role>)
        .collect::<Result<Vec<_>, _>>()?;
    roles.sort();
    roles.dedup();
    Ok(roles)
}

pub fn format_roles(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Whether a path built from a request may go into a `Location` header: one leading `/`
/// and nothing a browser could read as another host or an escape — no `//` anywhere, no
/// backslash (browsers read `/\host` as `//host`), encoded or not, and no control
/// characters or spaces.
pub fn is_clean_local_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    path.starts_with('/')
        && !path.contains("//")
        && !path.contains('\\')
        && !lower.contains("%5c")
        && !lower.contains("%2f")
        && !path.chars().any(|c| c.is_control() || c.is_whitespace())
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_clean_local_paths_are_redirect_targets() {
        for good in ["/about", "/2019/03/04/hello", "/%E6%97%A5", "/a-b_c.d"] {
            assert!(super::is_clean_local_path(good), "{good}");
        }
        for bad in [
            "",
            "about",
            "//evil.example",
            "/\\evil.example",
            "/a\\b",
            "/%5Cevil.example",
            "/%2F%2Fevil.example",
            "/a//b",
            "/a\tb",
            "/a b",
            "https://evil.example",
        ] {
            assert!(!super::is_clean_local_path(bad), "{bad:?}");
        }
    }

    use super::*;

    #[test]
    fn colours_are_normalised() {
        assert_eq!(parse_colour("#ABC").unwrap(), "#aabbcc");
        assert_eq!(parse_colour("2354C4").unwrap(), "#2354c4");
        assert!(parse_colour("red").is_err());
        assert!(parse_colour("#12345g").is_err());
        assert!(parse_colour("#1234;}body{").is_err());
    }

    #[test]
    fn stored_values_are_checked_by_the_form_rules() {
        for (key, value) in SiteSettings::default().to_stored() {
            assert_eq!(check_stored(key, &value), Ok(None), "{key}");
        }
        assert_eq!(check_stored(keys::LOGO, "7"), Ok(Some(7)));
        for (key, value) in [
            (keys::ACCENT, "red;}body{display:none"),
            (keys::NAVIGATION, "X = //evil.example"),
            (keys::NAVIGATION, "X = javascript:alert(1)"),
            (keys::TIME_ZONE, "Mars/Olympus"),
            (keys::PER_PAGE, "0"),
            (keys::TITLE, ""),
            (keys::FEED_FULL_TEXT, "yes"),
            (keys::LOGO, "../x"),
            ("session_key", "x"),
        ] {
            assert!(check_stored(key, value).is_err(), "{key} = {value}");
        }
        let css = "a".repeat(MAX_CUSTOM_CSS_BYTES + 1);
        assert!(check_stored(keys::CUSTOM_CSS, &css).is_err());
    }

    #[test]
    fn required_roles_round_trip_sorted() {
        let roles = parse_roles("admin, editor,admin").unwrap();
        assert_eq!(roles, [Role::Editor, Role::Admin]);
        assert_eq!(format_roles(&roles), "editor,admin");
        assert_eq!(parse_roles("").unwrap(), []);
        assert!(parse_roles("owner").is_err());
        assert!(check_stored(keys::TWO_FACTOR_ROLES, "editor,admin").is_ok());
        assert!(check_stored(keys::TWO_FACTOR_ROLES, "admin,editor").is_err());
    }

    #[test]
    fn navigation_lines_round_trip() {
        let links =
            parse_navigation("About = /about\n\n Blog = https://example.org/blog ").unwrap();
        assert_eq!(links.len(), 2);
        assert_eq!(parse_navigation(&format_navigation(&links)).unwrap(), links);
        assert!(parse_navigation("no equals sign").is_err());
        assert!(parse_navigation("X = javascript:alert(1)").is_err());
        assert!(parse_navigation("X = //evil.example").is_err());
    }

    #[test]
    fn navigation_rows_keep_order_and_skip_empty_ones() {
        let row = |l: &str, u: &str| (l.to_owned(), u.to_owned());
        let links = parse_navigation_rows(&[
            row("Shop", "https://shop.example.org/?a=b"),
            row(" ", ""),
            row("About", " /about "),
        ])
        .unwrap();
        assert_eq!(links.len(), 2);
        assert_eq!(
            (links[0].label.as_str(), links[1].url.as_str()),
            ("Shop", "/about")
        );
        assert_eq!(parse_navigation(&format_navigation(&links)).unwrap(), links);
        let error = parse_navigation_rows(&[row("A = B", "/x")]).unwrap_err();
        assert!(error.starts_with("Link 1:"), "{error}");
        let error = parse_navigation_rows(&[row("", "/x"), row("X", "ftp://x")]).unwrap_err();
        assert!(error.contains("Link 1: a label has 1 to 60"), "{error}");
        let many = vec![row("X", "/x"); MAX_NAV_LINKS + 1];
        assert!(parse_navigation_rows(&many).is_err());
    }

    #[test]
    fn unreadable_stored_values_fall_back_to_defaults() {
        let mut stored = HashMap::new();
        stored.insert(keys::PER_PAGE.to_owned(), "0".to_owned());
        stored.insert(keys::TIME_ZONE.to_owned(), "Mars/Olympus".to_owned());
        stored.insert(keys::TITLE.to_owned(), "My site".to_owned());
        let settings = SiteSettings::from_stored(&stored);
        assert_eq!(settings.posts_per_page, 10);
        assert_eq!(settings.time_zone, "UTC");
        assert_eq!(settings.title, "My site");
    }
}
