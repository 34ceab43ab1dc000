//! Every admin route × {anonymous, contributor, author, editor, admin} × {own, someone
//! else's} where a route names a user, walked from the table in `access_table`.
//! Allowed requests must get through; refused ones must answer 403 (or send the
//! anonymous to login) and leave the database exactly as it was.

use crate::common;

use crate::access_table::{ADMIN_ROUTES, RouteAccess, Target, Who};
use diesel::prelude::*;
use folio::db::schema::{posts, tokens, users};
use folio::domain::{Email, Role};
use folio::store::tokens::{NewLink, PURPOSE_INVITATION};
use folio::store::users::NewUser;

use common::{Backend, Server, Site, client, get_page, input_value, logged_in};

on_both_backends!(every_admin_route_answers_each_role_as_the_table_says);

const PASSWORD: &str = "correct horse battery staple";

/// id, email, role, status, epoch, password hash, name, slug, bio.
type UserFacts = (
    i32,
    String,
    String,
    String,
    i32,
    Option<String>,
    String,
    String,
    String,
);
/// id, used, revoked.
type LinkFacts = (
    i32,
    Option<chrono::NaiveDateTime>,
    Option<chrono::NaiveDateTime>,
);

/// id, author, status, title, version, trashed.
type PostFacts = (i32, i32, String, String, i32, Option<chrono::NaiveDateTime>);

/// Everything a refused request must not touch.
fn snapshot(site: &Site) -> String {
    let mut conn = site.connect();
    let people: Vec<UserFacts> = users::table
        .select((
            users::id,
            users::email,
            users::role,
            users::status,
            users::session_epoch,
            users::password_hash,
            users::display_name,
            users::slug,
            users::bio,
        ))
        .order(users::id)
        .load(&mut conn)
        .unwrap();
    let links: Vec<LinkFacts> = tokens::table
        .select((tokens::id, tokens::used_at, tokens::revoked_at))
        .order(tokens::id)
        .load(&mut conn)
        .unwrap();
    let writing: Vec<PostFacts> = posts::table
        .select((
            posts::id,
            posts::author_id,
            posts::status,
            posts::title,
            posts::version,
            posts::deleted_at,
        ))
        .order(posts::id)
        .load(&mut conn)
        .unwrap();
    let tagging: Vec<(i32, String, String)> = folio::db::schema::tags::table
        .select((
            folio::db::schema::tags::id,
            folio::db::schema::tags::name,
            folio::db::schema::tags::slug,
        ))
        .order(folio::db::schema::tags::id)
        .load(&mut conn)
        .unwrap();
    let files: Vec<(i32, String, String)> = folio::db::schema::media::table
        .select((
            folio::db::schema::media::id,
            folio::db::schema::media::alt_text,
            folio::db::schema::media::caption,
        ))
        .order(folio::db::schema::media::id)
        .load(&mut conn)
        .unwrap();
    format!("{people:?}\n{links:?}\n{writing:?}\n{tagging:?}\n{files:?}")
}

fn new_target_user(site: &Site, n: usize) -> i32 {
    let email = Email::parse(&format!("target{n}@example.org")).unwrap();
    let user = folio::store::users::create(
        &mut site.connect(),
        &NewUser {
            email: &email,
            display_name: &format!("Target {n}"),
            password_hash: None,
            role: Role::Contributor,
        },
    )
    .unwrap();
    user.id
}

fn new_post(site: &Site, n: usize, author: i32, trashed: bool) -> i32 {
    use folio::domain::post::{Kind, Status};
    use folio::store::posts::{self, Content};
    let mut conn = site.connect();
    let slug = format!("fixture-{n}");
    let content = Content {
        title: "Fixture",
        slug: &slug,
        body_markdown: "Text.",
        body_html: "<p>Text.</p>",
        excerpt: "",
        meta_title: None,
        meta_description: None,
        canonical_url: None,
    };
    let id = posts::create(&mut conn, Kind::Post, author, &content, Status::Draft, None).unwrap();
    if trashed {
        posts::set_trashed(&mut conn, id, true).unwrap();
    }
    id
}

fn new_tag(site: &Site, n: usize) -> i32 {
    use folio::db::schema::tags;
    diesel::insert_into(tags::table)
        .values((
            tags::name.eq(format!("Tag {n}")),
            tags::slug.eq(format!("tag-{n}")),
            tags::description.eq(""),
            tags::created_at.eq(chrono::Utc::now().naive_utc()),
        ))
        .returning(tags::id)
        .get_result(&mut site.connect())
        .unwrap()
}

/// A library record (its file need not exist: deleting tolerates that).
fn new_media(site: &Site, n: usize, uploader: i32) -> i32 {
    let hash = format!("{n:064x}");
    folio::store::media::insert(
        &mut site.connect(),
        &folio::store::media::NewMedia {
            uploader_id: uploader,
            file_name: "fixture.pdf",
            storage_key: &folio::media::storage::original_key(&hash, "pdf"),
            sha256: &hash,
            mime_type: "application/pdf",
            size_bytes: 10,
            width: None,
            height: None,
        },
    )
    .unwrap()
}

/// A queued dashboard export (the server's runner takes it up).
fn new_export(site: &Site) -> i32 {
    folio::store::jobs::enqueue(
        &mut site.connect(),
        folio::export::jobs::KIND,
        "{}",
        None,
        folio::export::jobs::MAX_ATTEMPTS,
        folio::store::jobs::now(),
    )
    .unwrap()
}

/// A revision of the post (for paths with `{rev}`).
fn revision_of(site: &Site, post_id: i32) -> i32 {
    use folio::db::schema::revisions;
    let mut conn = site.connect();
    folio::store::posts::add_revision(&mut conn, post_id, 1, "Old title", "Old text.").unwrap();
    revisions::table
        .filter(revisions::post_id.eq(post_id))
        .order(revisions::id.desc())
        .select(revisions::id)
        .first(&mut conn)
        .unwrap()
}

fn new_invitation(site: &Site, n: usize) -> i32 {
    let mut conn = site.connect();
    let email = format!("invited{n}@example.org");
    folio::store::tokens::create_link(
        &mut conn,
        &NewLink {
            purpose: PURPOSE_INVITATION,
            user_id: None,
            email: Some(&email),
            role: Some("author"),
            created_by: None,
        },
    )
    .unwrap();
    tokens::table
        .filter(tokens::email.eq(&email))
        .select(tokens::id)
        .first(&mut conn)
        .unwrap()
}

struct Viewer {
    email: String,
    client: reqwest::Client,
    csrf: String,
    id: Option<i32>,
}

async fn viewer(server: &Server, site: &Site, role: Option<Role>) -> Viewer {
    match role {
        None => {
            let client = client();
            let page = get_page(&client, &server.url("/admin/login"), 200).await;
            let csrf = input_value(&page, "csrf_token").unwrap();
            Viewer {
                email: String::new(),
                client,
                csrf,
                id: None,
            }
        }
        Some(role) => {
            let email = format!("{role}@example.org");
            let (client, csrf) = logged_in(server, &email, PASSWORD).await;
            let id = users::table
                .filter(users::email.eq(&email))
                .select(users::id)
                .first(&mut site.connect())
                .unwrap();
            Viewer {
                email,
                client,
                csrf,
                id: Some(id),
            }
        }
    }
}

fn allowed(row: &RouteAccess, role: Option<Role>, own: bool) -> bool {
    match (row.who, role) {
        (Who::Public, _) => true,
        (Who::LoggedIn, Some(_)) => true,
        (Who::AtLeast(needed), Some(role)) => role >= needed,
        (Who::OwnerOr(needed), Some(role)) => own || role >= needed,
        (_, None) => false,
    }
}

async fn every_admin_route_answers_each_role_as_the_table_says(backend: Backend) {
    let site = Site::new(&backend);
    for role in Role::ALL {
        site.create_user(
            &format!("{role}@example.org"),
            &format!("The {role}"),
            role.as_str(),
            PASSWORD,
        );
    }
    let server = site.start().await;
    let victim = new_target_user(&site, 0);
    let standing_invitation = new_invitation(&site, 0);
    // Someone else's draft and trashed post, for refused requests.
    let standing_draft = new_post(&site, 0, victim, false);
    let standing_trashed = new_post(&site, 1, victim, true);
    let merge_target = new_tag(&site, 0);
    assert_eq!(merge_target, 1, "the table's merge form names tag 1");
    let standing_tag = new_tag(&site, 1);
    let standing_media = new_media(&site, 0, victim);
    let standing_export = new_export(&site);
    let mut fixtures = 1;
    let mut checked = 0;

    for role in [
        None,
        Some(Role::Contributor),
        Some(Role::Author),
        Some(Role::Editor),
        Some(Role::Admin),
    ] {
        let mut who = viewer(&server, &site, role).await;
        for row in ADMIN_ROUTES.iter().filter(|row| row.who != Who::Public) {
            let owners: &[bool] = match (row.target, role) {
                (Target::User | Target::DraftPost | Target::Media, Some(_)) => &[true, false],
                _ => &[false],
            };
            for &own in owners {
                let may = allowed(row, role, own);
                fixtures += 1;
                let id = match (row.target, own) {
                    (Target::None, _) => None,
                    (Target::User, true) => who.id,
                    // Allowed requests may change their target: give each a fresh one.
                    (Target::User, false) if may => Some(new_target_user(&site, fixtures)),
                    (Target::User, false) => Some(victim),
                    (Target::Invitation, _) if may => Some(new_invitation(&site, fixtures)),
                    (Target::Invitation, _) => Some(standing_invitation),
                    (Target::DraftPost, true) => {
                        Some(new_post(&site, fixtures, who.id.unwrap(), false))
                    }
                    (Target::DraftPost, false) if may => {
                        Some(new_post(&site, fixtures, victim, false))
                    }
                    (Target::DraftPost, false) => Some(standing_draft),
                    (Target::TrashedPost, _) if may => {
                        Some(new_post(&site, fixtures, victim, true))
                    }
                    (Target::TrashedPost, _) => Some(standing_trashed),
                    (Target::Tag, _) if may => Some(new_tag(&site, fixtures)),
                    (Target::Tag, _) => Some(standing_tag),
                    (Target::Media, true) => Some(new_media(&site, fixtures, who.id.unwrap())),
                    (Target::Media, false) if may => Some(new_media(&site, fixtures, victim)),
                    (Target::Media, false) => Some(standing_media),
                    (Target::Export, _) if may => Some(new_export(&site)),
                    (Target::Export, _) => Some(standing_export),
                };
                let mut path = match id {
                    Some(id) => row.path.replace("{id}", &id.to_string()),
                    None => row.path.to_owned(),
                };
                if let (Some(id), true) = (id, path.contains("{rev}")) {
                    path = path.replace("{rev}", &revision_of(&site, id).to_string());
                }
                let label = format!("{} {path} as {role:?} (own: {own})", row.method);
                let before = snapshot(&site);
                let response = match row.method {
                    "GET" => who.client.get(server.url(&path)).send().await.unwrap(),
                    _ => {
                        let mut form = vec![("csrf_token", who.csrf.as_str())];
                        form.extend_from_slice(row.form);
                        who.client
                            .post(server.url(&path))
                            .form(&form)
                            .send()
                            .await
                            .unwrap()
                    }
                };
                let status = response.status().as_u16();
                let location = response
                    .headers()
                    .get("location")
                    .map(|l| l.to_str().unwrap().to_owned())
                    .unwrap_or_default();
                let body = response.text().await.unwrap();
                checked += 1;

                if may {
                    assert!(
                        matches!(status, 200 | 201 | 303 | 409 | 422)
                            && !location.starts_with("/admin/login?"),
                        "{label}: expected to get through, got {status} {location} {body}"
                    );
                } else {
                    match role {
                        None if path.starts_with("/api/") => assert_eq!(status, 401, "{label}"),
                        None => {
                            assert_eq!(status, 303, "{label}");
                            assert!(
                                location.starts_with("/admin/login?next="),
                                "{label}: {location}"
                            );
                        }
                        Some(_) => {
                            assert_eq!(status, 403, "{label}: {body}");
                            assert!(
                                body.contains("needs") || body.contains("Only an admin"),
                                "{label}: {body}"
                            );
                        }
                    }
                    assert_eq!(snapshot(&site), before, "{label} changed the database");
                }

                // Some allowed actions end the viewer's own session (log out everywhere,
                // own role change): log in again for the next route.
                if role.is_some() {
                    let alive = who
                        .client
                        .get(server.url("/api/admin/session"))
                        .send()
                        .await
                        .unwrap();
                    if alive.status() == 401 {
                        let (client, csrf) = logged_in(&server, &who.email, PASSWORD).await;
                        who.client = client;
                        who.csrf = csrf;
                    }
                }
            }
        }
    }
    assert!(checked > 100, "walked {checked} combinations");
}
