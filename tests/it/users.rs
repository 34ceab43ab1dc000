//! Accounts and roles: invitations, role changes, disabling, deleting, reset links,
//! profiles and the audit log.

use crate::common;

use common::{
    Backend, Server, Site, client, get_page, input_value, log_in, logged_in, post_form, shown_link,
};

on_both_backends!(
    admin_invites_an_editor_and_a_contributor_who_see_only_their_share,
    editors_invite_only_contributors_and_authors,
    used_withdrawn_expired_and_unknown_invitations_are_refused,
    the_last_active_admin_stays_an_admin,
    role_changes_and_disabling_end_sessions,
    deleting_a_user_hands_their_posts_to_someone_chosen,
    reset_links_set_a_new_password_once,
    profile_changes_are_validated_and_password_change_needs_the_current_one,
    logging_out_everywhere_ends_other_sessions,
    the_audit_log_records_and_filters,
);

const ADMIN: &str = "admin@example.org";
const PASSWORD: &str = "correct horse battery staple";

async fn admin_site(backend: &Backend) -> (Site, Server) {
    let site = Site::new(backend);
    site.create_user(ADMIN, "Ada Admin", "admin", PASSWORD);
    let server = site.start().await;
    (site, server)
}

/// Creates an invitation as `client` and returns the link.
async fn invite(
    client: &reqwest::Client,
    server: &Server,
    csrf: &str,
    email: &str,
    role: &str,
) -> String {
    let response = post_form(
        client,
        server,
        "/admin/users/invite",
        csrf,
        &[("email", email), ("role", role)],
    )
    .await;
    assert_eq!(response.status(), 201, "invite {email} as {role}");
    shown_link(&response.text().await.unwrap())
}

/// Accepts an invitation in a fresh browser; returns that browser, logged in.
async fn accept(server: &Server, link: &str, name: &str) -> reqwest::Client {
    let browser = client();
    let page = get_page(&browser, link, 200).await;
    let csrf = input_value(&page, "csrf_token").unwrap();
    let token = input_value(&page, "token").unwrap();
    let response = browser
        .post(server.url("/admin/invite"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("token", token.as_str()),
            ("name", name),
            ("password", PASSWORD),
            ("password_confirmation", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "accepting {link}");
    browser
}

async fn admin_invites_an_editor_and_a_contributor_who_see_only_their_share(backend: Backend) {
    let (site, server) = admin_site(&backend).await;
    let (admin, csrf) = logged_in(&server, ADMIN, PASSWORD).await;

    let editor_link = invite(&admin, &server, &csrf, "ed@example.org", "editor").await;
    let contributor_link = invite(&admin, &server, &csrf, "cat@example.org", "contributor").await;
    assert!(editor_link.starts_with(&server.base) && editor_link.contains("/admin/invite?token="));
    let users_page = get_page(&admin, &server.url("/admin/users"), 200).await;
    assert!(users_page.contains("ed@example.org") && users_page.contains("Pending invitations"));

    let editor = accept(&server, &editor_link, "Ed Editor").await;
    let contributor = accept(&server, &contributor_link, "Cat Contributor").await;

    // The editor sees the users page but can't manage anyone; the contributor can't see it.
    let editor_dash = get_page(&editor, &server.url("/admin"), 200).await;
    assert!(editor_dash.contains("Ed Editor") && editor_dash.contains("href=\"/admin/users\""));
    assert!(!editor_dash.contains("href=\"/admin/audit\""));
    let editor_users = get_page(&editor, &server.url("/admin/users"), 200).await;
    assert!(
        !editor_users.contains("Manage<"),
        "editors get no manage links"
    );
    let contributor_dash = get_page(&contributor, &server.url("/admin"), 200).await;
    assert!(
        !contributor_dash.contains("href=\"/admin/users\""),
        "hidden from contributors"
    );
    let refused = contributor
        .get(server.url("/admin/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("editor account or higher")
    );
    let refused = editor.get(server.url("/admin/audit")).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("needs an admin account")
    );

    // The admin disables the contributor: logged out at their next request.
    let id = site.user_id("cat@example.org");
    let response = post_form(
        &admin,
        &server,
        &format!("/admin/users/{id}/disable"),
        &csrf,
        &[],
    )
    .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        contributor
            .get(server.url("/admin"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    let again = log_in(&client(), &server, "cat@example.org", PASSWORD).await;
    assert!(again.text().await.unwrap().contains("disabled"));
}

async fn editors_invite_only_contributors_and_authors(backend: Backend) {
    let (site, server) = admin_site(&backend).await;
    site.create_user("ed@example.org", "Ed", "editor", PASSWORD);
    let (editor, csrf) = logged_in(&server, "ed@example.org", PASSWORD).await;

    let form = get_page(&editor, &server.url("/admin/users/invite"), 200).await;
    assert!(form.contains("value=\"author\"") && !form.contains("value=\"admin\""));
    invite(&editor, &server, &csrf, "au@example.org", "author").await;
    for role in ["admin", "editor"] {
        let response = post_form(
            &editor,
            &server,
            "/admin/users/invite",
            &csrf,
            &[("email", "x@example.org"), ("role", role)],
        )
        .await;
        assert_eq!(response.status(), 403, "{role}");
        assert!(response.text().await.unwrap().contains("Only an admin"));
    }
    let bad = post_form(
        &editor,
        &server,
        "/admin/users/invite",
        &csrf,
        &[("email", "nope"), ("role", "author")],
    )
    .await;
    assert_eq!(bad.status(), 422);
    let taken = post_form(
        &editor,
        &server,
        "/admin/users/invite",
        &csrf,
        &[("email", ADMIN), ("role", "author")],
    )
    .await;
    assert_eq!(taken.status(), 422);
    assert!(
        taken
            .text()
            .await
            .unwrap()
            .contains("already has an account")
    );

    let users_page = get_page(&editor, &server.url("/admin/users"), 200).await;
    assert!(users_page.contains("au@example.org"));
    assert!(
        !users_page.contains("x@example.org"),
        "no invitation was created"
    );
}

async fn used_withdrawn_expired_and_unknown_invitations_are_refused(backend: Backend) {
    let (site, server) = admin_site(&backend).await;
    let (admin, csrf) = logged_in(&server, ADMIN, PASSWORD).await;

    let used = invite(&admin, &server, &csrf, "one@example.org", "author").await;
    accept(&server, &used, "One").await;
    let response = client().get(&used).send().await.unwrap();
    assert_eq!(response.status(), 410);
    assert!(response.text().await.unwrap().contains("already been used"));

    let withdrawn = invite(&admin, &server, &csrf, "two@example.org", "author").await;
    let users_page = get_page(&admin, &server.url("/admin/users"), 200).await;
    let at = users_page.find("/admin/invitations/").unwrap();
    let revoke_path = &users_page[at..at + users_page[at..].find('"').unwrap()];
    assert_eq!(
        post_form(&admin, &server, revoke_path, &csrf, &[])
            .await
            .status(),
        303
    );
    let response = client().get(&withdrawn).send().await.unwrap();
    assert_eq!(response.status(), 410);
    assert!(response.text().await.unwrap().contains("withdrawn"));

    let expired = invite(&admin, &server, &csrf, "three@example.org", "author").await;
    site.execute_sql("UPDATE tokens SET expires_at = created_at WHERE email = 'three@example.org'");
    let response = client().get(&expired).send().await.unwrap();
    assert_eq!(response.status(), 410);
    assert!(response.text().await.unwrap().contains("expired"));

    let unknown = client()
        .get(server.url("/admin/invite?token=made-up"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);

    // A replaced invitation stops working too.
    let first = invite(&admin, &server, &csrf, "four@example.org", "author").await;
    let _second = invite(&admin, &server, &csrf, "four@example.org", "editor").await;
    assert_eq!(client().get(&first).send().await.unwrap().status(), 410);

    // Nothing was created by any of them.
    let list = String::from_utf8(site.cli(&["user", "list"], None).stdout).unwrap();
    for email in ["two@", "three@", "four@"] {
        assert!(!list.contains(email), "{list}");
    }
}

async fn the_last_active_admin_stays_an_admin(backend: Backend) {
    let (site, server) = admin_site(&backend).await;
    let (admin, csrf) = logged_in(&server, ADMIN, PASSWORD).await;
    let me = site.user_id(ADMIN);

    let demote = post_form(
        &admin,
        &server,
        &format!("/admin/users/{me}/role"),
        &csrf,
        &[("role", "editor")],
    )
    .await;
    let status = demote.status();
    let body = demote.text().await.unwrap();
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("last active admin"));
    let own_disable = post_form(
        &admin,
        &server,
        &format!("/admin/users/{me}/disable"),
        &csrf,
        &[],
    )
    .await;
    assert_eq!(own_disable.status(), 409);
    let own_delete = post_form(
        &admin,
        &server,
        &format!("/admin/users/{me}/delete"),
        &csrf,
        &[],
    )
    .await;
    assert_eq!(own_delete.status(), 409);

    // With a second admin the first may step down; then the second is the last one.
    site.create_user("second@example.org", "Second", "admin", PASSWORD);
    let (second, second_csrf) = logged_in(&server, "second@example.org", PASSWORD).await;
    let demote = post_form(
        &admin,
        &server,
        &format!("/admin/users/{me}/role"),
        &csrf,
        &[("role", "editor")],
    )
    .await;
    assert_eq!(demote.status(), 303, "stepping down is allowed now");
    let dashboard = get_page(&admin, &server.url("/admin"), 200).await;
    assert!(dashboard.contains("editor"), "the new role applies at once");
    let second_id = site.user_id("second@example.org");
    let response = post_form(
        &second,
        &server,
        &format!("/admin/users/{second_id}/role"),
        &second_csrf,
        &[("role", "author")],
    )
    .await;
    assert_eq!(response.status(), 409);
    let list = String::from_utf8(site.cli(&["user", "list"], None).stdout).unwrap();
    assert_eq!(list.matches(" admin ").count(), 1, "{list}");
}

async fn role_changes_and_disabling_end_sessions(backend: Backend) {
    let (site, server) = admin_site(&backend).await;
    site.create_user("au@example.org", "Au", "author", PASSWORD);
    let (admin, csrf) = logged_in(&server, ADMIN, PASSWORD).await;
    let (author, _) = logged_in(&server, "au@example.org", PASSWORD).await;
    let id = site.user_id("au@example.org");

    let response = post_form(
        &admin,
        &server,
        &format!("/admin/users/{id}/role"),
        &csrf,
        &[("role", "editor")],
    )
    .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        author
            .get(server.url("/admin"))
            .send()
            .await
            .unwrap()
            .status(),
        303,
        "session ended"
    );
    let (author, _) = logged_in(&server, "au@example.org", PASSWORD).await;
    assert_eq!(
        author
            .get(server.url("/admin/users"))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "now an editor"
    );

    let bad_role = post_form(
        &admin,
        &server,
        &format!("/admin/users/{id}/role"),
        &csrf,
        &[("role", "owner")],
    )
    .await;
    assert_eq!(bad_role.status(), 400);
    let missing = post_form(
        &admin,
        &server,
        "/admin/users/99999/role",
        &csrf,
        &[("role", "author")],
    )
    .await;
    assert_eq!(missing.status(), 404);
    let not_a_number = post_form(
        &admin,
        &server,
        "/admin/users/abc/role",
        &csrf,
        &[("role", "author")],
    )
    .await;
    assert_eq!(not_a_number.status(), 404);

    assert_eq!(
        post_form(
            &admin,
            &server,
            &format!("/admin/users/{id}/disable"),
            &csrf,
            &[]
        )
        .await
        .status(),
        303
    );
    assert_eq!(
        author
            .get(server.url("/admin"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    assert_eq!(
        post_form(
            &admin,
            &server,
            &format!("/admin/users/{id}/enable"),
            &csrf,
            &[]
        )
        .await
        .status(),
        303
    );
    logged_in(&server, "au@example.org", PASSWORD).await;
}

async fn deleting_a_user_hands_their_posts_to_someone_chosen(backend: Backend) {
    let (site, server) = admin_site(&backend).await;
    site.create_user("writer@example.org", "Writer", "author", PASSWORD);
    site.create_user("heir@example.org", "Heir", "editor", PASSWORD);
    let writer = site.user_id("writer@example.org");
    let heir = site.user_id("heir@example.org");
    site.execute_sql(&format!(
        "INSERT INTO posts (kind, status, title, slug, author_id, created_at, updated_at) \
         VALUES ('post', 'draft', 'Kept', 'kept', {writer}, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
    ));
    let (admin, csrf) = logged_in(&server, ADMIN, PASSWORD).await;

    let confirm = get_page(
        &admin,
        &server.url(&format!("/admin/users/{writer}/delete")),
        200,
    )
    .await;
    assert!(confirm.contains("wrote 1 post") && confirm.contains("Heir"));
    let without_heir = post_form(
        &admin,
        &server,
        &format!("/admin/users/{writer}/delete"),
        &csrf,
        &[("heir", "")],
    )
    .await;
    assert_eq!(without_heir.status(), 422);
    assert!(
        without_heir
            .text()
            .await
            .unwrap()
            .contains("nothing is deleted silently")
    );
    let to_self = post_form(
        &admin,
        &server,
        &format!("/admin/users/{writer}/delete"),
        &csrf,
        &[("heir", &writer.to_string())],
    )
    .await;
    assert_eq!(to_self.status(), 400);

    let done = post_form(
        &admin,
        &server,
        &format!("/admin/users/{writer}/delete"),
        &csrf,
        &[("heir", &heir.to_string())],
    )
    .await;
    assert_eq!(done.status(), 303);
    use diesel::prelude::*;
    use folio::db::schema::posts;
    let author: i32 = posts::table
        .filter(posts::slug.eq("kept"))
        .select(posts::author_id)
        .first(&mut site.connect())
        .unwrap();
    assert_eq!(author, heir);
    let list = String::from_utf8(site.cli(&["user", "list"], None).stdout).unwrap();
    assert!(!list.contains("writer@example.org"));
}

async fn reset_links_set_a_new_password_once(backend: Backend) {
    let (site, server) = admin_site(&backend).await;
    site.create_user("au@example.org", "Au", "author", PASSWORD);
    let (admin, csrf) = logged_in(&server, ADMIN, PASSWORD).await;
    let id = site.user_id("au@example.org");
    let response = post_form(
        &admin,
        &server,
        &format!("/admin/users/{id}/reset-link"),
        &csrf,
        &[],
    )
    .await;
    assert_eq!(response.status(), 201);
    let link = shown_link(&response.text().await.unwrap());

    let browser = client();
    let page = get_page(&browser, &link, 200).await;
    assert!(page.contains("au@example.org"));
    let csrf_reset = input_value(&page, "csrf_token").unwrap();
    let token = input_value(&page, "token").unwrap();
    let new_password = "a brand new password";
    let short = browser
        .post(server.url("/admin/reset"))
        .form(&[
            ("csrf_token", csrf_reset.as_str()),
            ("token", token.as_str()),
            ("password", "short"),
            ("password_confirmation", "short"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(short.status(), 422);
    let done = browser
        .post(server.url("/admin/reset"))
        .form(&[
            ("csrf_token", csrf_reset.as_str()),
            ("token", token.as_str()),
            ("password", new_password),
            ("password_confirmation", new_password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 303);
    assert_eq!(
        browser
            .get(server.url("/admin"))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "logged in"
    );
    assert_eq!(
        log_in(&client(), &server, "au@example.org", PASSWORD)
            .await
            .status(),
        401
    );
    assert_eq!(
        log_in(&client(), &server, "au@example.org", new_password)
            .await
            .status(),
        303
    );
    assert_eq!(
        client().get(&link).send().await.unwrap().status(),
        410,
        "single use"
    );

    // The same from the shell.
    let out = site.cli(
        &[
            "user",
            "reset-password",
            "--email",
            "au@example.org",
            "--link",
            "--base-url",
            &server.base,
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    let cli_link = printed
        .lines()
        .find(|l| l.contains("/admin/reset?token="))
        .unwrap()
        .trim()
        .to_owned();
    assert_eq!(client().get(&cli_link).send().await.unwrap().status(), 200);
}

async fn profile_changes_are_validated_and_password_change_needs_the_current_one(backend: Backend) {
    let (site, server) = admin_site(&backend).await;
    site.create_user("other@example.org", "Other Person", "author", PASSWORD);
    let (admin, csrf) = logged_in(&server, ADMIN, PASSWORD).await;
    let profile = get_page(&admin, &server.url("/admin/profile"), 200).await;
    assert_eq!(input_value(&profile, "slug").as_deref(), Some("ada-admin"));

    let fields = |name: &'static str, slug: &'static str, email: &'static str| {
        vec![
            ("display_name", name),
            ("slug", slug),
            ("email", email),
            ("bio", "Writes about engines."),
        ]
    };
    for (form, message) in [
        (fields("", "ada", ADMIN), "Enter the name"),
        (fields("Ada", "Not A Slug!", ADMIN), "lower-case letters"),
        (fields("Ada", "other-person", ADMIN), "is taken"),
        (
            fields("Ada", "ada", "other@example.org"),
            "belongs to another account",
        ),
        (fields("Ada", "ada", "broken"), "not a valid email"),
    ] {
        let response = post_form(&admin, &server, "/admin/profile", &csrf, &form).await;
        assert_eq!(response.status(), 422, "{form:?}");
        let page = response.text().await.unwrap();
        assert!(page.contains(message), "{message}: {page}");
        assert_eq!(
            input_value(&page, "slug").as_deref(),
            Some(form[1].1),
            "input kept"
        );
    }
    let saved = post_form(
        &admin,
        &server,
        "/admin/profile",
        &csrf,
        &fields("Ada L.", "ada", "ada@example.org"),
    )
    .await;
    assert_eq!(saved.status(), 303);
    let profile = get_page(&admin, &server.url("/admin/profile"), 200).await;
    assert!(
        profile.contains("Your profile was saved") && profile.contains("Writes about engines.")
    );

    let wrong = post_form(
        &admin,
        &server,
        "/admin/profile/password",
        &csrf,
        &[
            ("current_password", "not it at all"),
            ("new_password", "another good password"),
            ("new_password_confirmation", "another good password"),
        ],
    )
    .await;
    assert_eq!(wrong.status(), 422);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("current password is not right")
    );
    let (other_session, _) = logged_in(&server, "ada@example.org", PASSWORD).await;
    let changed = post_form(
        &admin,
        &server,
        "/admin/profile/password",
        &csrf,
        &[
            ("current_password", PASSWORD),
            ("new_password", "another good password"),
            ("new_password_confirmation", "another good password"),
        ],
    )
    .await;
    assert_eq!(changed.status(), 303);
    assert_eq!(
        admin
            .get(server.url("/admin"))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "this session goes on"
    );
    assert_eq!(
        other_session
            .get(server.url("/admin"))
            .send()
            .await
            .unwrap()
            .status(),
        303,
        "others end"
    );
    assert_eq!(
        log_in(
            &client(),
            &server,
            "ada@example.org",
            "another good password"
        )
        .await
        .status(),
        303
    );
}

async fn logging_out_everywhere_ends_other_sessions(backend: Backend) {
    let (_site, server) = admin_site(&backend).await;
    let (first, csrf) = logged_in(&server, ADMIN, PASSWORD).await;
    let (second, _) = logged_in(&server, ADMIN, PASSWORD).await;
    let response = post_form(
        &first,
        &server,
        "/admin/profile/logout-everywhere",
        &csrf,
        &[],
    )
    .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        first
            .get(server.url("/admin"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    assert_eq!(
        second
            .get(server.url("/admin"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
}

async fn the_audit_log_records_and_filters(backend: Backend) {
    let (_site, server) = admin_site(&backend).await;
    assert_eq!(
        log_in(&client(), &server, ADMIN, "wrong password!!")
            .await
            .status(),
        401
    );
    let (admin, csrf) = logged_in(&server, ADMIN, PASSWORD).await;
    invite(&admin, &server, &csrf, "new@example.org", "author").await;

    let log = get_page(&admin, &server.url("/admin/audit"), 200).await;
    for action in ["login.failed", "login.succeeded", "invitation.created"] {
        assert!(log.contains(action), "{action} in {log}");
    }
    assert!(log.contains("127.0.0.1"), "client address recorded");
    let filtered = get_page(&admin, &server.url("/admin/audit?action=login.failed"), 200).await;
    assert!(filtered.contains("login.failed") && !filtered.contains(">invitation.created</td>"));
    assert_eq!(
        admin
            .get(server.url("/admin/audit?page=0"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        admin
            .get(server.url("/admin/audit?user=abc"))
            .send()
            .await
            .unwrap()
            .status(),
        400
    );

    // The filter offers words; its values stay the codes.
    assert!(
        log.contains("<option value=\"invitation.created\">Invitation created</option>"),
        "{log}"
    );
    assert!(log.contains("<option value=\"login.failed\">Login failed</option>"));
    assert!(
        filtered.contains("<option value=\"login.failed\" selected>Login failed</option>"),
        "{filtered}"
    );
}
