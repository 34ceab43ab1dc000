//! Who may call each admin route. The permission test (`access.rs`) walks this
//! table for every role, and the unit test below fails when a route under `/admin` or
//! `/api/admin` has no row — so a new route can't skip the check.

use folio::domain::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// No login needed (login, setup, links with a token): tested by their own suites.
    Public,
    LoggedIn,
    AtLeast(Role),
    /// The target's owner (any role), or anyone with at least this role.
    OwnerOr(Role),
}

/// What `{id}` in the path names; such routes are tried on one's own record and on
/// someone else's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    None,
    User,
    Invitation,
    /// A draft post, owned by the viewer ("own") or by someone else; `{rev}` in the path
    /// is one of its revisions.
    DraftPost,
    /// A post in the trash.
    TrashedPost,
    /// A tag (tag 1 always exists in the test, as a merge target).
    Tag,
    /// A media file, uploaded by the viewer ("own") or by someone else.
    Media,
    /// A dashboard export (a job the runner may have finished by the time it is asked for).
    Export,
}

#[derive(Debug)]
pub struct RouteAccess {
    pub method: &'static str,
    pub path: &'static str,
    pub who: Who,
    pub target: Target,
    /// A plausible form for POSTs.
    pub form: &'static [(&'static str, &'static str)],
}

const fn route(method: &'static str, path: &'static str, who: Who) -> RouteAccess {
    RouteAccess {
        method,
        path,
        who,
        target: Target::None,
        form: &[],
    }
}

const fn on(
    method: &'static str,
    path: &'static str,
    who: Who,
    target: Target,
    form: &'static [(&'static str, &'static str)],
) -> RouteAccess {
    RouteAccess {
        method,
        path,
        who,
        target,
        form,
    }
}

use Who::*;

pub const ADMIN_ROUTES: &[RouteAccess] = &[
    route("GET", "/admin/setup", Public),
    route("POST", "/admin/setup", Public),
    route("GET", "/admin/login", Public),
    route("POST", "/admin/login", Public),
    route("GET", "/admin/login/code", Public),
    route("POST", "/admin/login/code", Public),
    route("GET", "/admin/forgot-password", Public),
    route("POST", "/admin/forgot-password", Public),
    route("POST", "/admin/logout", Public),
    route("GET", "/admin/invite", Public),
    route("POST", "/admin/invite", Public),
    route("GET", "/admin/reset", Public),
    route("POST", "/admin/reset", Public),
    route("GET", "/admin", LoggedIn),
    route("GET", "/api/admin/session", LoggedIn),
    route("GET", "/admin/profile", LoggedIn),
    on(
        "POST",
        "/admin/profile",
        LoggedIn,
        Target::None,
        &[("display_name", "")],
    ),
    on(
        "POST",
        "/admin/profile/password",
        LoggedIn,
        Target::None,
        &[("current_password", "nope")],
    ),
    route("POST", "/admin/profile/logout-everywhere", LoggedIn),
    route("GET", "/admin/profile/two-factor", LoggedIn),
    route("POST", "/admin/profile/mail", LoggedIn),
    route("GET", "/admin/mail", AtLeast(Role::Admin)),
    on(
        "POST",
        "/admin/profile/two-factor",
        LoggedIn,
        Target::None,
        &[("code", "000000")],
    ),
    on(
        "POST",
        "/admin/profile/two-factor/disable",
        LoggedIn,
        Target::None,
        &[("password", "nope"), ("code", "000000")],
    ),
    // A POST with the CSRF token queues an export job (303 to its page): building the
    // archive is heavy work. A GET leads to the settings page (303).
    route("GET", "/admin/export", AtLeast(Role::Admin)),
    route("POST", "/admin/export", AtLeast(Role::Admin)),
    on(
        "GET",
        "/admin/export/{id}",
        AtLeast(Role::Admin),
        Target::Export,
        &[],
    ),
    // The archive (200), or, while the export runs, its page (303).
    on(
        "GET",
        "/admin/export/{id}/download",
        AtLeast(Role::Admin),
        Target::Export,
        &[],
    ),
    route("GET", "/admin/import/wordpress", AtLeast(Role::Admin)),
    // A form without a file: admins get "choose the export file" (422).
    route("POST", "/admin/import/wordpress", AtLeast(Role::Admin)),
    // No such import: admins are sent back to the form (303).
    route("GET", "/admin/import/wordpress/{id}", AtLeast(Role::Admin)),
    route("GET", "/admin/media", LoggedIn),
    // A form without a file: allowed roles get "choose a file" (422).
    route("POST", "/admin/media", LoggedIn),
    route("GET", "/api/admin/media", LoggedIn),
    route("POST", "/api/admin/media", LoggedIn),
    on("GET", "/admin/media/{id}", LoggedIn, Target::Media, &[]),
    on(
        "POST",
        "/admin/media/{id}",
        OwnerOr(Role::Editor),
        Target::Media,
        &[("alt_text", "A description"), ("caption", "")],
    ),
    on(
        "POST",
        "/admin/media/{id}/delete",
        OwnerOr(Role::Editor),
        Target::Media,
        &[],
    ),
    route("GET", "/admin/users", AtLeast(Role::Editor)),
    route("GET", "/admin/users/invite", AtLeast(Role::Editor)),
    on(
        "POST",
        "/admin/users/invite",
        AtLeast(Role::Editor),
        Target::None,
        &[("email", "invitee@example.org"), ("role", "contributor")],
    ),
    on(
        "POST",
        "/admin/invitations/{id}/resend",
        AtLeast(Role::Editor),
        Target::Invitation,
        &[],
    ),
    on(
        "POST",
        "/admin/invitations/{id}/revoke",
        AtLeast(Role::Editor),
        Target::Invitation,
        &[],
    ),
    on(
        "GET",
        "/admin/users/{id}",
        AtLeast(Role::Admin),
        Target::User,
        &[],
    ),
    on(
        "POST",
        "/admin/users/{id}/role",
        AtLeast(Role::Admin),
        Target::User,
        &[("role", "author")],
    ),
    on(
        "POST",
        "/admin/users/{id}/disable",
        AtLeast(Role::Admin),
        Target::User,
        &[],
    ),
    on(
        "POST",
        "/admin/users/{id}/enable",
        AtLeast(Role::Admin),
        Target::User,
        &[],
    ),
    on(
        "GET",
        "/admin/users/{id}/delete",
        AtLeast(Role::Admin),
        Target::User,
        &[],
    ),
    on(
        "POST",
        "/admin/users/{id}/delete",
        AtLeast(Role::Admin),
        Target::User,
        &[("heir", "")],
    ),
    on(
        "POST",
        "/admin/users/{id}/reset-link",
        AtLeast(Role::Admin),
        Target::User,
        &[],
    ),
    route("GET", "/admin/audit", AtLeast(Role::Admin)),
    on(
        "POST",
        "/admin/posts/{id}/preview-link",
        OwnerOr(Role::Editor),
        Target::DraftPost,
        &[],
    ),
    on(
        "POST",
        "/admin/posts/{id}/preview-link/revoke",
        OwnerOr(Role::Editor),
        Target::DraftPost,
        &[],
    ),
    route("GET", "/admin/tags", AtLeast(Role::Editor)),
    route("GET", "/admin/tags/new", AtLeast(Role::Editor)),
    on(
        "POST",
        "/admin/tags",
        AtLeast(Role::Editor),
        Target::None,
        &[("name", "Created here")],
    ),
    on(
        "GET",
        "/admin/tags/{id}",
        AtLeast(Role::Editor),
        Target::Tag,
        &[],
    ),
    on(
        "POST",
        "/admin/tags/{id}",
        AtLeast(Role::Editor),
        Target::Tag,
        &[("name", "Renamed")],
    ),
    on(
        "GET",
        "/admin/tags/{id}/delete",
        AtLeast(Role::Editor),
        Target::Tag,
        &[],
    ),
    on(
        "POST",
        "/admin/tags/{id}/delete",
        AtLeast(Role::Editor),
        Target::Tag,
        &[],
    ),
    on(
        "POST",
        "/admin/tags/{id}/merge",
        AtLeast(Role::Editor),
        Target::Tag,
        &[("into", "1")],
    ),
    route("GET", "/admin/settings", AtLeast(Role::Admin)),
    on(
        "POST",
        "/admin/settings",
        AtLeast(Role::Admin),
        Target::None,
        &[("title", "")],
    ),
    route("GET", "/admin/posts", LoggedIn),
    route("GET", "/admin/pages", AtLeast(Role::Editor)),
    route("GET", "/admin/trash", AtLeast(Role::Editor)),
    route("GET", "/admin/posts/new", LoggedIn),
    route("GET", "/admin/pages/new", AtLeast(Role::Editor)),
    on(
        "POST",
        "/admin/posts",
        LoggedIn,
        Target::None,
        &[("title", "Access test"), ("action", "save")],
    ),
    on(
        "POST",
        "/admin/pages",
        AtLeast(Role::Editor),
        Target::None,
        &[("title", "Access page"), ("action", "save")],
    ),
    on(
        "POST",
        "/api/admin/preview",
        LoggedIn,
        Target::None,
        &[("body", "# Hi")],
    ),
    on(
        "POST",
        "/api/admin/posts/autosave",
        LoggedIn,
        Target::None,
        &[("title", "Typed"), ("body", "x")],
    ),
    on(
        "POST",
        "/api/admin/posts/{id}/autosave",
        OwnerOr(Role::Editor),
        Target::DraftPost,
        &[("title", "Typed"), ("body", "x")],
    ),
    on(
        "POST",
        "/admin/posts/{id}/autosave/discard",
        OwnerOr(Role::Editor),
        Target::DraftPost,
        &[],
    ),
    on(
        "GET",
        "/admin/posts/{id}/revisions",
        OwnerOr(Role::Editor),
        Target::DraftPost,
        &[],
    ),
    on(
        "GET",
        "/admin/posts/{id}/compare",
        OwnerOr(Role::Editor),
        Target::DraftPost,
        &[],
    ),
    on(
        "GET",
        "/admin/posts/{id}/revisions/{rev}",
        OwnerOr(Role::Editor),
        Target::DraftPost,
        &[],
    ),
    on(
        "POST",
        "/admin/posts/{id}/revisions/{rev}/restore",
        OwnerOr(Role::Editor),
        Target::DraftPost,
        &[],
    ),
    on(
        "POST",
        "/admin/trash/empty",
        AtLeast(Role::Editor),
        Target::None,
        &[],
    ),
    // A draft post: its author may edit and trash it, editors may too.
    on(
        "GET",
        "/admin/posts/{id}/edit",
        OwnerOr(Role::Editor),
        Target::DraftPost,
        &[],
    ),
    on(
        "POST",
        "/admin/posts/{id}",
        OwnerOr(Role::Editor),
        Target::DraftPost,
        &[("title", "Edited"), ("action", "save"), ("version", "1")],
    ),
    on(
        "GET",
        "/admin/posts/{id}/delete",
        OwnerOr(Role::Editor),
        Target::DraftPost,
        &[],
    ),
    on(
        "POST",
        "/admin/posts/{id}/delete",
        OwnerOr(Role::Editor),
        Target::DraftPost,
        &[],
    ),
    on(
        "POST",
        "/admin/posts/{id}/restore",
        AtLeast(Role::Editor),
        Target::TrashedPost,
        &[],
    ),
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::ADMIN_ROUTES;

    /// (METHOD, path) of every `#[get("…")]`/`#[post("…")]` route in src/routes.
    fn declared_routes() -> BTreeSet<(String, String)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes");
        let mut found = BTreeSet::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let source = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for line in source.lines().map(str::trim) {
                for method in ["get", "post", "put", "patch", "delete"] {
                    if let Some(rest) = line.strip_prefix(&format!("#[{method}(\"")) {
                        let path = rest.split('"').next().unwrap().to_owned();
                        found.insert((method.to_uppercase(), path));
                    }
                }
            }
        }
        found
    }

    #[test]
    fn every_admin_route_has_a_row_and_every_row_a_route() {
        let declared: BTreeSet<_> = declared_routes()
            .into_iter()
            .filter(|(_, path)| {
                path == "/admin" || path.starts_with("/admin/") || path.starts_with("/api/admin")
            })
            .collect();
        let table: BTreeSet<_> = ADMIN_ROUTES
            .iter()
            .map(|row| (row.method.to_owned(), row.path.to_owned()))
            .collect();
        let missing: Vec<_> = declared.difference(&table).collect();
        assert!(
            missing.is_empty(),
            "admin routes without a row in ADMIN_ROUTES: {missing:?}"
        );
        let stale: Vec<_> = table.difference(&declared).collect();
        assert!(
            stale.is_empty(),
            "rows for routes that don't exist: {stale:?}"
        );
        assert_eq!(table.len(), ADMIN_ROUTES.len(), "duplicate rows");
    }
}
