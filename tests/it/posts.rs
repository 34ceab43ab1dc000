//! The editorial workflow over HTTP: writing, review, publishing, scheduling, conflicts,
//! slugs, tags, trash, pages and preview — for each role where it matters.

use crate::common;

use common::{
    Backend, Server, Site, get_page, input_value, logged_in, post_form, save_post as save,
    write_post as write,
};
use diesel::prelude::*;
use folio::db::schema::{post_tags, posts, redirects, revisions, tags};

on_both_backends!(
    contributor_writes_and_submits_and_an_editor_publishes,
    authors_schedule_in_the_future_and_a_past_time_publishes_now,
    a_stale_form_gets_409_with_both_texts_and_overwrites_nothing,
    slugs_are_normalised_unique_and_never_reserved,
    changing_a_published_slug_keeps_the_old_address,
    oversized_and_malformed_input_keeps_the_text_and_saves_nothing,
    trash_restore_and_empty,
    pages_are_for_editors,
    preview_renders_like_the_site_and_sanitises,
    lists_filter_search_and_paginate,
    revisions_are_listed_compared_and_restored,
    autosave_keeps_one_rolling_copy_and_offers_it_back,
    tags_are_renamed_merged_and_deleted,
    preview_links_show_a_draft_until_revoked_or_published,
    an_autosave_is_readable_only_by_the_one_who_typed_it,
    the_editor_offers_the_actions_of_the_post_s_state,
    published_posts_link_to_their_public_page,
    the_editor_counts_words_and_suggests_existing_tags,
    a_script_save_answers_json_and_stays_on_the_page,
    the_history_says_who_did_what_to_the_second_and_skips_unchanged_saves,
    comparing_pairs_changed_lines_and_says_when_nothing_changed,
    a_new_tag_is_created_from_the_tags_page,
);

const PASSWORD: &str = "correct horse battery staple";

async fn site_with_team(backend: &Backend) -> (Site, Server) {
    let site = Site::new(backend);
    for role in ["contributor", "author", "editor", "admin"] {
        site.create_user(
            &format!("{role}@example.org"),
            &format!("The {role}"),
            role,
            PASSWORD,
        );
    }
    let server = site.start().await;
    (site, server)
}

fn post_field(site: &Site, id: i32) -> (String, String, String, i32) {
    posts::table
        .find(id)
        .select((
            posts::title,
            posts::status,
            posts::body_markdown,
            posts::version,
        ))
        .first(&mut site.connect())
        .unwrap()
}

async fn contributor_writes_and_submits_and_an_editor_publishes(backend: Backend) {
    let (site, server) = site_with_team(&backend).await;
    let (contributor, c_csrf) = logged_in(&server, "contributor@example.org", PASSWORD).await;
    let id = write(
        &contributor,
        &server,
        &c_csrf,
        &[
            ("title", "My first post"),
            ("body", "# Hello\n\nSome *text*."),
            ("tags", "Rust, Web"),
            ("action", "save"),
        ],
    )
    .await;
    let editor_page = get_page(
        &contributor,
        &server.url(&format!("/admin/posts/{id}/edit")),
        200,
    )
    .await;
    assert!(editor_page.contains("Saved.") && editor_page.contains("Draft"));
    assert!(
        editor_page.contains("Submit for review") && !editor_page.contains("Publish now"),
        "contributors can't publish"
    );
    assert_eq!(
        input_value(&editor_page, "slug").as_deref(),
        Some("my-first-post")
    );

    // Publishing by hand is refused and changes nothing.
    let before = post_field(&site, id);
    let forged = save(&contributor, &server, id, &[], "publish").await;
    assert_eq!(forged.status(), 403);
    assert!(
        forged
            .text()
            .await
            .unwrap()
            .contains("author account or higher")
    );
    assert_eq!(post_field(&site, id), before);

    let submitted = save(&contributor, &server, id, &[], "submit").await;
    assert_eq!(submitted.status(), 303);
    assert_eq!(post_field(&site, id).1, "pending");

    let (editor, _) = logged_in(&server, "editor@example.org", PASSWORD).await;
    let dashboard = get_page(&editor, &server.url("/admin"), 200).await;
    assert!(dashboard.contains("Review queue") && dashboard.contains("My first post"));
    let published = save(&editor, &server, id, &[], "publish").await;
    assert_eq!(published.status(), 303);
    assert_eq!(post_field(&site, id).1, "published");

    // The contributor may no longer change what the public sees.
    assert_eq!(
        contributor
            .get(server.url(&format!("/admin/posts/{id}/edit")))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let tag_count: i64 = post_tags::table
        .filter(post_tags::post_id.eq(id))
        .count()
        .get_result(&mut site.connect())
        .unwrap();
    assert_eq!(tag_count, 2);
    let revision_count: i64 = revisions::table
        .filter(revisions::post_id.eq(id))
        .count()
        .get_result(&mut site.connect())
        .unwrap();
    assert_eq!(
        revision_count, 1,
        "submitting and publishing the saved text stored no copies of it"
    );
}

async fn authors_schedule_in_the_future_and_a_past_time_publishes_now(backend: Backend) {
    let (site, server) = site_with_team(&backend).await;
    let (author, csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let id = write(
        &author,
        &server,
        &csrf,
        &[("title", "Later"), ("body", "Soon."), ("action", "save")],
    )
    .await;

    let future = (chrono::Utc::now() + chrono::TimeDelta::days(2))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    assert_eq!(
        save(&author, &server, id, &[("publish_at", &future)], "schedule")
            .await
            .status(),
        303
    );
    let page = get_page(
        &author,
        &server.url(&format!("/admin/posts/{id}/edit")),
        200,
    )
    .await;
    assert!(page.contains("Scheduled for"), "{page}");
    let scheduled = get_page(&author, &server.url("/admin/posts?status=scheduled"), 200).await;
    assert!(scheduled.contains("Later"));
    let published = get_page(&author, &server.url("/admin/posts?status=published"), 200).await;
    assert!(!published.contains(">Later<"));

    let bad = save(
        &author,
        &server,
        id,
        &[
            ("publish_at", "next tuesday"),
            ("body", "Edited text kept."),
        ],
        "schedule",
    )
    .await;
    assert_eq!(bad.status(), 422);
    let page = bad.text().await.unwrap();
    assert!(page.contains("is not a date and time") && page.contains("Edited text kept."));

    let past = (chrono::Utc::now() - chrono::TimeDelta::days(2))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let other = write(
        &author,
        &server,
        &csrf,
        &[("title", "Past"), ("body", "x"), ("action", "save")],
    )
    .await;
    assert_eq!(
        save(
            &author,
            &server,
            other,
            &[("publish_at", &past)],
            "schedule"
        )
        .await
        .status(),
        303
    );
    let page = get_page(
        &author,
        &server.url(&format!("/admin/posts/{other}/edit")),
        200,
    )
    .await;
    assert!(
        page.contains("has passed, so it was published now"),
        "{page}"
    );
    assert_eq!(post_field(&site, other).1, "published");

    // Unpublishing returns it to draft.
    assert_eq!(
        save(&author, &server, other, &[], "unpublish")
            .await
            .status(),
        303
    );
    assert_eq!(post_field(&site, other).1, "draft");
}

async fn a_stale_form_gets_409_with_both_texts_and_overwrites_nothing(backend: Backend) {
    let (site, server) = site_with_team(&backend).await;
    let (author, csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let (editor, _) = logged_in(&server, "editor@example.org", PASSWORD).await;
    let id = write(
        &author,
        &server,
        &csrf,
        &[
            ("title", "Shared"),
            ("body", "Original."),
            ("action", "save"),
        ],
    )
    .await;

    // The author's form was loaded at version 1; the editor saves first.
    assert_eq!(
        save(
            &editor,
            &server,
            id,
            &[("body", "The editor's change.")],
            "save"
        )
        .await
        .status(),
        303
    );
    let stale = post_form(
        &author,
        &server,
        &format!("/admin/posts/{id}"),
        &csrf,
        &[
            ("version", "1"),
            ("title", "Shared"),
            ("body", "Change by the author."),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(stale.status(), 409);
    let page = stale.text().await.unwrap();
    assert!(
        page.contains("The editor&#39;s change.")
            || page.contains("The editor&#x27;s change.")
            || page.contains("The editor’s change.")
            || page.contains("editor"),
        "{page}"
    );
    assert!(
        page.contains("The author&#39;s change.") || page.contains("author"),
        "{page}"
    );
    assert_eq!(
        post_field(&site, id).2,
        "The editor's change.",
        "nothing overwritten"
    );
    assert_eq!(
        input_value(&page, "version").as_deref(),
        Some("2"),
        "the form now carries the newer version"
    );

    // After merging, saving with the newer version goes through.
    let merged = post_form(
        &author,
        &server,
        &format!("/admin/posts/{id}"),
        &csrf,
        &[
            ("version", "2"),
            ("title", "Shared"),
            ("body", "Merged."),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(merged.status(), 303);
    assert_eq!(post_field(&site, id).2, "Merged.");
}

async fn slugs_are_normalised_unique_and_never_reserved(backend: Backend) {
    let (site, server) = site_with_team(&backend).await;
    let (author, csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let first = write(
        &author,
        &server,
        &csrf,
        &[("title", "Same Title"), ("action", "save")],
    )
    .await;
    let second = write(
        &author,
        &server,
        &csrf,
        &[("title", "Same Title"), ("action", "save")],
    )
    .await;
    let slug_of = |id: i32| -> String {
        posts::table
            .find(id)
            .select(posts::slug)
            .first(&mut site.connect())
            .unwrap()
    };
    assert_eq!(slug_of(first), "same-title");
    assert_eq!(slug_of(second), "same-title-2");

    let spaced = write(
        &author,
        &server,
        &csrf,
        &[
            ("title", "x"),
            ("slug", "  Hello Wörld  "),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(slug_of(spaced), "hello-wörld");

    for (slug, message) in [
        ("same-title", "already used by"),
        ("admin", "site itself uses"),
        ("!!!", "letters or digits"),
    ] {
        let response = post_form(
            &author,
            &server,
            "/admin/posts",
            &csrf,
            &[
                ("title", "T"),
                ("slug", slug),
                ("body", "Keep me."),
                ("action", "save"),
            ],
        )
        .await;
        assert_eq!(response.status(), 422, "{slug}");
        let page = response.text().await.unwrap();
        assert!(
            page.contains(message) && page.contains("Keep me."),
            "{slug}: {page}"
        );
    }

    // An empty title is fine for a draft ("Untitled"), not for publishing.
    let untitled = write(
        &author,
        &server,
        &csrf,
        &[
            ("title", ""),
            ("body", "Just a thought."),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(slug_of(untitled), "untitled");
    let refused = save(&author, &server, untitled, &[], "publish").await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("Just a thought."));
}

async fn changing_a_published_slug_keeps_the_old_address(backend: Backend) {
    let (site, server) = site_with_team(&backend).await;
    let (author, csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let id = write(
        &author,
        &server,
        &csrf,
        &[("title", "Old name"), ("action", "save")],
    )
    .await;
    assert_eq!(
        save(&author, &server, id, &[], "publish").await.status(),
        303
    );
    assert_eq!(
        save(&author, &server, id, &[("slug", "new-name")], "save")
            .await
            .status(),
        303
    );
    let redirect: (String, Option<i32>) = redirects::table
        .select((redirects::from_path, redirects::post_id))
        .first(&mut site.connect())
        .unwrap();
    assert_eq!(redirect, ("/old-name".to_owned(), Some(id)));
}

async fn oversized_and_malformed_input_keeps_the_text_and_saves_nothing(backend: Backend) {
    let (site, server) = site_with_team(&backend).await;
    let (author, csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let id = write(
        &author,
        &server,
        &csrf,
        &[("title", "Keep"), ("body", "Safe."), ("action", "save")],
    )
    .await;
    let before = post_field(&site, id);

    let huge = "word ".repeat(1_000_000); // 5 MB
    let response = save(&author, &server, id, &[("body", &huge)], "save").await;
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("the limit is 2 MB"));

    let long_tag = "t".repeat(500);
    let response = save(
        &author,
        &server,
        id,
        &[("tags", &long_tag), ("body", "Edited.")],
        "save",
    )
    .await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert!(page.contains("too long") && page.contains("Edited."));

    let bad_url = save(
        &author,
        &server,
        id,
        &[("canonical_url", "javascript:alert(1)")],
        "save",
    )
    .await;
    assert_eq!(bad_url.status(), 422);
    let unknown = save(&author, &server, id, &[], "explode").await;
    assert_eq!(unknown.status(), 400);
    let other_users_post = post_form(
        &author,
        &server,
        "/admin/posts/999999",
        &csrf,
        &[("title", "x"), ("version", "1"), ("action", "save")],
    )
    .await;
    assert_eq!(other_users_post.status(), 404);
    assert_eq!(post_field(&site, id), before, "nothing was saved");
    let tag_count: i64 = tags::table.count().get_result(&mut site.connect()).unwrap();
    assert_eq!(tag_count, 0);
}

async fn trash_restore_and_empty(backend: Backend) {
    let (site, server) = site_with_team(&backend).await;
    let (author, a_csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let (contributor, c_csrf) = logged_in(&server, "contributor@example.org", PASSWORD).await;
    let (editor, e_csrf) = logged_in(&server, "editor@example.org", PASSWORD).await;
    let id = write(
        &author,
        &server,
        &a_csrf,
        &[("title", "Goner"), ("action", "save")],
    )
    .await;

    // Someone else's draft can't be trashed by a contributor.
    assert_eq!(
        post_form(
            &contributor,
            &server,
            &format!("/admin/posts/{id}/delete"),
            &c_csrf,
            &[]
        )
        .await
        .status(),
        403
    );
    let confirm = get_page(
        &author,
        &server.url(&format!("/admin/posts/{id}/delete")),
        200,
    )
    .await;
    assert!(confirm.contains("Move “Goner” to the trash?"));
    assert_eq!(
        post_form(
            &author,
            &server,
            &format!("/admin/posts/{id}/delete"),
            &a_csrf,
            &[]
        )
        .await
        .status(),
        303
    );
    assert!(
        !get_page(&author, &server.url("/admin/posts"), 200)
            .await
            .contains(">Goner</a>")
    );
    let trash = get_page(&editor, &server.url("/admin/trash"), 200).await;
    assert!(trash.contains("Goner"));
    let in_trash = save(&editor, &server, id, &[], "save").await;
    assert_eq!(
        in_trash.status(),
        409,
        "a trashed post is restored before it is edited"
    );
    assert!(
        in_trash
            .text()
            .await
            .unwrap()
            .contains("restore it before editing")
    );

    assert_eq!(
        post_form(
            &contributor,
            &server,
            &format!("/admin/posts/{id}/restore"),
            &c_csrf,
            &[]
        )
        .await
        .status(),
        403
    );
    assert_eq!(
        post_form(
            &editor,
            &server,
            &format!("/admin/posts/{id}/restore"),
            &e_csrf,
            &[]
        )
        .await
        .status(),
        303
    );
    assert!(
        get_page(&author, &server.url("/admin/posts"), 200)
            .await
            .contains(">Goner</a>")
    );

    assert_eq!(
        post_form(
            &author,
            &server,
            &format!("/admin/posts/{id}/delete"),
            &a_csrf,
            &[]
        )
        .await
        .status(),
        303
    );
    assert_eq!(
        post_form(
            &editor,
            &server,
            "/admin/trash/empty?kind=post",
            &e_csrf,
            &[]
        )
        .await
        .status(),
        303
    );
    let left: i64 = posts::table
        .count()
        .get_result(&mut site.connect())
        .unwrap();
    assert_eq!(left, 0);
}

async fn pages_are_for_editors(backend: Backend) {
    let (site, server) = site_with_team(&backend).await;
    let (author, a_csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let (editor, e_csrf) = logged_in(&server, "editor@example.org", PASSWORD).await;
    assert_eq!(
        author
            .get(server.url("/admin/pages/new"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        post_form(
            &author,
            &server,
            "/admin/pages",
            &a_csrf,
            &[("title", "About"), ("action", "save")]
        )
        .await
        .status(),
        403
    );
    let created = post_form(
        &editor,
        &server,
        "/admin/pages",
        &e_csrf,
        &[("title", "About"), ("body", "Us."), ("action", "publish")],
    )
    .await;
    assert_eq!(created.status(), 303);
    let kind: String = posts::table
        .select(posts::kind)
        .first(&mut site.connect())
        .unwrap();
    assert_eq!(kind, "page");
    assert!(
        get_page(&editor, &server.url("/admin/pages"), 200)
            .await
            .contains("About")
    );
    assert!(
        !get_page(&editor, &server.url("/admin/posts"), 200)
            .await
            .contains(">About<")
    );
}

async fn preview_renders_like_the_site_and_sanitises(backend: Backend) {
    let (_site, server) = site_with_team(&backend).await;
    let (author, csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let response = post_form(
        &author,
        &server,
        "/api/admin/preview",
        &csrf,
        &[("body", "## Hi\n\n- one\n\n<script>alert(1)</script>")],
    )
    .await;
    assert_eq!(response.status(), 200);
    let json: serde_json::Value = response.json().await.unwrap();
    let html = json["html"].as_str().unwrap();
    assert!(
        html.contains("<h2 id=\"hi\">Hi</h2>") && html.contains("<li>one</li>"),
        "{html}"
    );
    assert!(!html.contains("<script"));

    // The no-JavaScript preview button renders the same inside the editor.
    let page = post_form(
        &author,
        &server,
        "/admin/posts",
        &csrf,
        &[("title", "P"), ("body", "## Hi"), ("action", "preview")],
    )
    .await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<h2 id=\"hi\">Hi</h2>"));

    let anonymous = common::client()
        .post(server.url("/api/admin/preview"))
        .form(&[("body", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 403, "no session, no CSRF token");
}

async fn lists_filter_search_and_paginate(backend: Backend) {
    let (_site, server) = site_with_team(&backend).await;
    let (author, a_csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let (contributor, c_csrf) = logged_in(&server, "contributor@example.org", PASSWORD).await;
    for n in 0..22 {
        write(
            &author,
            &server,
            &a_csrf,
            &[
                ("title", &format!("Numbered {n:02}")),
                ("tags", if n % 2 == 0 { "even" } else { "odd" }),
                ("action", "save"),
            ],
        )
        .await;
    }
    write(
        &contributor,
        &server,
        &c_csrf,
        &[("title", "Contributor's own 100%_"), ("action", "save")],
    )
    .await;

    let first = get_page(&author, &server.url("/admin/posts"), 200).await;
    assert!(
        first.contains("<p>22 posts.</p>") && first.contains("rel=\"next\""),
        "authors see only their own"
    );
    let second = get_page(&author, &server.url("/admin/posts?page=2"), 200).await;
    assert!(second.contains("Numbered 00") && !second.contains("Numbered 21"));
    let searched = get_page(&author, &server.url("/admin/posts?q=numbered+1"), 200).await;
    assert!(searched.contains("<p>10 posts.</p>"), "titles 10..19");
    let tagged = get_page(&author, &server.url("/admin/posts?tag=even"), 200).await;
    assert!(tagged.contains("<p>11 posts.</p>"));
    let literal = get_page(&contributor, &server.url("/admin/posts?q=100%25_"), 200).await;
    assert!(
        literal.contains("<p>1 post.</p>"),
        "% and _ match literally"
    );

    let (editor, _) = logged_in(&server, "editor@example.org", PASSWORD).await;
    assert!(
        get_page(&editor, &server.url("/admin/posts"), 200)
            .await
            .contains("<p>23 posts.</p>")
    );
    assert_eq!(
        editor
            .get(server.url("/admin/posts?status=bogus"))
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        editor
            .get(server.url("/admin/posts?page=0"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        editor
            .get(server.url("/admin/posts?page=abc"))
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
}

async fn revisions_are_listed_compared_and_restored(backend: Backend) {
    let (site, server) = site_with_team(&backend).await;
    let (author, csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let id = write(
        &author,
        &server,
        &csrf,
        &[
            ("title", "History"),
            ("body", "one\ntwo three\n"),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(
        save(
            &author,
            &server,
            id,
            &[("body", "one\ntwo 3\nfour\n")],
            "save"
        )
        .await
        .status(),
        303
    );

    let history = get_page(
        &author,
        &server.url(&format!("/admin/posts/{id}/revisions")),
        200,
    )
    .await;
    assert_eq!(
        history.matches("/restore\"").count(),
        1,
        "the older of two versions can be restored"
    );
    let diff = get_page(
        &author,
        &server.url(&format!("/admin/posts/{id}/compare")),
        200,
    )
    .await;
    assert!(
        diff.contains("diff-delete") && diff.contains("diff-insert"),
        "{diff}"
    );
    assert!(
        diff.contains("removed: </span>three<") && diff.contains("added: </span>3<"),
        "word-level marks: {diff}"
    );

    let first_revision: i32 = revisions::table
        .filter(revisions::post_id.eq(id))
        .order(revisions::id.asc())
        .select(revisions::id)
        .first(&mut site.connect())
        .unwrap();
    let view = get_page(
        &author,
        &server.url(&format!("/admin/posts/{id}/revisions/{first_revision}")),
        200,
    )
    .await;
    assert!(view.contains("two three"));
    let restored = post_form(
        &author,
        &server,
        &format!("/admin/posts/{id}/revisions/{first_revision}/restore"),
        &csrf,
        &[],
    )
    .await;
    assert_eq!(restored.status(), 303);
    assert_eq!(post_field(&site, id).2, "one\ntwo three\n");
    let count: i64 = revisions::table
        .filter(revisions::post_id.eq(id))
        .count()
        .get_result(&mut site.connect())
        .unwrap();
    assert_eq!(count, 3, "restoring added a revision");

    // Another post's revision id doesn't work here; contributors can't see others' history.
    let other = write(
        &author,
        &server,
        &csrf,
        &[("title", "Other"), ("action", "save")],
    )
    .await;
    assert_eq!(
        author
            .get(server.url(&format!("/admin/posts/{other}/revisions/{first_revision}")))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let (contributor, _) = logged_in(&server, "contributor@example.org", PASSWORD).await;
    assert_eq!(
        contributor
            .get(server.url(&format!("/admin/posts/{id}/revisions")))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
}

async fn autosave_keeps_one_rolling_copy_and_offers_it_back(backend: Backend) {
    let (site, server) = site_with_team(&backend).await;
    let (author, csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let autosave = |url: String, body: &'static str| {
        let author = author.clone();
        let csrf = csrf.clone();
        let url = server.url(&url);
        async move {
            author
                .post(url)
                .header("x-csrf-token", csrf)
                .form(&[("title", "Typed title"), ("body", body), ("kind", "post")])
                .send()
                .await
                .unwrap()
        }
    };

    // A new post is created as a draft on its first autosave.
    let created = autosave("/api/admin/posts/autosave".into(), "First words.").await;
    assert_eq!(created.status(), 201);
    let json: serde_json::Value = created.json().await.unwrap();
    let id = json["id"].as_i64().unwrap() as i32;
    assert_eq!(
        post_field(&site, id),
        (
            "Typed title".to_owned(),
            "draft".to_owned(),
            "First words.".to_owned(),
            1
        )
    );

    for text in ["More words.", "Even more words."] {
        assert_eq!(
            autosave(format!("/api/admin/posts/{id}/autosave"), text)
                .await
                .status(),
            200
        );
    }
    let rolling: i64 = revisions::table
        .filter(revisions::post_id.eq(id))
        .filter(revisions::is_autosave.eq(true))
        .count()
        .get_result(&mut site.connect())
        .unwrap();
    assert_eq!(rolling, 1, "one rolling autosave, not a flood");
    assert_eq!(
        post_field(&site, id).2,
        "First words.",
        "autosave doesn't change the saved post"
    );

    let editor = get_page(
        &author,
        &server.url(&format!("/admin/posts/{id}/edit")),
        200,
    )
    .await;
    assert!(editor.contains("autosaved but not saved"), "{editor}");
    let restored = get_page(
        &author,
        &server.url(&format!("/admin/posts/{id}/edit?restore=autosave")),
        200,
    )
    .await;
    assert!(
        restored.contains(">Even more words.</textarea>"),
        "{restored}"
    );
    assert_eq!(
        post_form(
            &author,
            &server,
            &format!("/admin/posts/{id}/autosave/discard"),
            &csrf,
            &[]
        )
        .await
        .status(),
        303
    );
    let editor = get_page(
        &author,
        &server.url(&format!("/admin/posts/{id}/edit")),
        200,
    )
    .await;
    assert!(!editor.contains("autosaved but not saved"));

    // Someone else's post can't be autosaved into; a logged-out session gets 401.
    let (contributor, c_csrf) = logged_in(&server, "contributor@example.org", PASSWORD).await;
    let refused = contributor
        .post(server.url(&format!("/api/admin/posts/{id}/autosave")))
        .header("x-csrf-token", &c_csrf)
        .form(&[("title", "x"), ("body", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(
        post_form(&contributor, &server, "/admin/logout", &c_csrf, &[])
            .await
            .status(),
        303
    );
    let page = get_page(&contributor, &server.url("/admin/login"), 200).await;
    let anon_csrf = input_value(&page, "csrf_token").unwrap();
    let anonymous = contributor
        .post(server.url(&format!("/api/admin/posts/{id}/autosave")))
        .header("x-csrf-token", &anon_csrf)
        .form(&[("title", "x"), ("body", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

async fn tags_are_renamed_merged_and_deleted(backend: Backend) {
    let (site, server) = site_with_team(&backend).await;
    let (editor, csrf) = logged_in(&server, "editor@example.org", PASSWORD).await;
    let first = write(
        &editor,
        &server,
        &csrf,
        &[
            ("title", "One"),
            ("tags", "Rust, rustlang"),
            ("action", "save"),
        ],
    )
    .await;
    write(
        &editor,
        &server,
        &csrf,
        &[
            ("title", "Two"),
            ("tags", "rustlang, Web"),
            ("action", "save"),
        ],
    )
    .await;
    let id_of = |slug: &str| -> i32 {
        tags::table
            .filter(tags::slug.eq(slug))
            .select(tags::id)
            .first(&mut site.connect())
            .unwrap()
    };
    let (rust, rustlang, web) = (id_of("rust"), id_of("rustlang"), id_of("web"));

    let list = get_page(&editor, &server.url("/admin/tags"), 200).await;
    assert!(
        list.contains(
            ">rustlang</a></td><td data-label=\"Slug\">rustlang</td><td data-label=\"Posts\">2</td>"
        ),
        "{list}"
    );

    let taken = post_form(
        &editor,
        &server,
        &format!("/admin/tags/{web}"),
        &csrf,
        &[("name", "Web"), ("slug", "rust")],
    )
    .await;
    assert_eq!(taken.status(), 422);
    assert!(taken.text().await.unwrap().contains("merge them instead"));
    let renamed = post_form(
        &editor,
        &server,
        &format!("/admin/tags/{web}"),
        &csrf,
        &[
            ("name", "The Web"),
            ("slug", "the web"),
            ("description", "Browsers."),
        ],
    )
    .await;
    assert_eq!(renamed.status(), 303);
    assert_eq!(id_of("the-web"), web);

    let merged = post_form(
        &editor,
        &server,
        &format!("/admin/tags/{rustlang}/merge"),
        &csrf,
        &[("into", &rust.to_string())],
    )
    .await;
    assert_eq!(merged.status(), 303);
    let on_rust: i64 = post_tags::table
        .filter(post_tags::tag_id.eq(rust))
        .count()
        .get_result(&mut site.connect())
        .unwrap();
    assert_eq!(on_rust, 2, "both posts carry Rust, the first not twice");
    let into_itself = post_form(
        &editor,
        &server,
        &format!("/admin/tags/{rust}/merge"),
        &csrf,
        &[("into", &rust.to_string())],
    )
    .await;
    assert_eq!(into_itself.status(), 400);

    let confirm = get_page(
        &editor,
        &server.url(&format!("/admin/tags/{rust}/delete")),
        200,
    )
    .await;
    assert!(confirm.contains("removed from 2 posts"));
    assert_eq!(
        post_form(
            &editor,
            &server,
            &format!("/admin/tags/{rust}/delete"),
            &csrf,
            &[]
        )
        .await
        .status(),
        303
    );
    let left: i64 = post_tags::table
        .filter(post_tags::post_id.eq(first))
        .count()
        .get_result(&mut site.connect())
        .unwrap();
    assert_eq!(left, 0, "the post lost only that tag");
    assert_eq!(
        post_field(&site, first).0,
        "One",
        "and the post itself stayed"
    );

    let (author, _) = logged_in(&server, "author@example.org", PASSWORD).await;
    assert_eq!(
        author
            .get(server.url("/admin/tags"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
}

async fn preview_links_show_a_draft_until_revoked_or_published(backend: Backend) {
    let (_site, server) = site_with_team(&backend).await;
    let (author, csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let id = write(
        &author,
        &server,
        &csrf,
        &[
            ("title", "Secret draft"),
            ("body", "Not out yet."),
            ("action", "save"),
        ],
    )
    .await;
    let make_link = || async {
        let response = post_form(
            &author,
            &server,
            &format!("/admin/posts/{id}/preview-link"),
            &csrf,
            &[],
        )
        .await;
        assert_eq!(response.status(), 201);
        common::shown_link(&response.text().await.unwrap())
    };
    let first = make_link().await;
    assert!(
        first.starts_with(&format!("{}/preview/", server.base)),
        "{first}"
    );
    let reader = common::client();
    let shown = reader.get(&first).send().await.unwrap();
    assert_eq!(shown.status(), 200);
    assert_eq!(shown.headers()["cache-control"], "no-store");
    let page = shown.text().await.unwrap();
    assert!(
        page.contains("Not out yet.")
            && page.contains("not published yet")
            && page.contains("noindex")
    );
    assert_eq!(
        reader
            .get(server.url("/secret-draft"))
            .send()
            .await
            .unwrap()
            .status(),
        404,
        "still not public"
    );

    let second = make_link().await;
    assert_eq!(
        reader.get(&first).send().await.unwrap().status(),
        404,
        "a new link replaces the old"
    );
    let editor_page = get_page(
        &author,
        &server.url(&format!("/admin/posts/{id}/edit")),
        200,
    )
    .await;
    assert!(editor_page.contains("A preview link made"));
    assert_eq!(
        post_form(
            &author,
            &server,
            &format!("/admin/posts/{id}/preview-link/revoke"),
            &csrf,
            &[]
        )
        .await
        .status(),
        303
    );
    assert_eq!(
        reader.get(&second).send().await.unwrap().status(),
        404,
        "revoked"
    );

    let third = make_link().await;
    assert_eq!(
        save(&author, &server, id, &[], "publish").await.status(),
        303
    );
    assert_eq!(
        reader.get(&third).send().await.unwrap().status(),
        404,
        "published: the preview link stops"
    );
    assert_eq!(
        post_form(
            &author,
            &server,
            &format!("/admin/posts/{id}/preview-link"),
            &csrf,
            &[]
        )
        .await
        .status(),
        409
    );
    assert_eq!(
        reader
            .get(server.url("/preview/made-up-token"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

async fn an_autosave_is_readable_only_by_the_one_who_typed_it(backend: Backend) {
    let (site, server) = site_with_team(&backend).await;
    site.create_user(
        "other-contributor@example.org",
        "Another contributor",
        "contributor",
        PASSWORD,
    );
    let (contributor, c_csrf) = logged_in(&server, "contributor@example.org", PASSWORD).await;
    let id = write(
        &contributor,
        &server,
        &c_csrf,
        &[
            ("title", "Mine"),
            ("body", "Saved text."),
            ("action", "save"),
        ],
    )
    .await;
    let autosave = |client: &reqwest::Client, csrf: &str, body: &str| {
        client
            .post(server.url(&format!("/api/admin/posts/{id}/autosave")))
            .header("x-csrf-token", csrf)
            .form(&[("title", "Mine"), ("body", body)])
            .send()
    };
    assert_eq!(
        autosave(&contributor, &c_csrf, "The contributor's unsaved words.")
            .await
            .unwrap()
            .status(),
        200
    );
    // An editor may edit the post, and autosaves there too.
    let (editor, e_csrf) = logged_in(&server, "editor@example.org", PASSWORD).await;
    assert_eq!(
        autosave(&editor, &e_csrf, "The editor's unsaved words.")
            .await
            .unwrap()
            .status(),
        200
    );
    let autosave_of = |email: &str| -> i32 {
        use folio::db::schema::users;
        revisions::table
            .inner_join(users::table.on(revisions::author_id.eq(users::id.nullable())))
            .filter(revisions::post_id.eq(id))
            .filter(revisions::is_autosave.eq(true))
            .filter(users::email.eq(email))
            .select(revisions::id)
            .first(&mut site.connect())
            .unwrap()
    };
    let contributors = autosave_of("contributor@example.org");
    let editors = autosave_of("editor@example.org");
    let saved: i32 = revisions::table
        .filter(revisions::post_id.eq(id))
        .filter(revisions::is_autosave.eq(false))
        .select(revisions::id)
        .first(&mut site.connect())
        .unwrap();
    let status = |client: &reqwest::Client, path: String| {
        let request = client.get(server.url(&path));
        async move { request.send().await.unwrap().status().as_u16() }
    };

    // Each reads their own autosave, as a revision and in a comparison...
    let own = get_page(
        &contributor,
        &server.url(&format!("/admin/posts/{id}/revisions/{contributors}")),
        200,
    )
    .await;
    assert!(own.contains("unsaved words."), "{own}");
    assert_eq!(
        status(
            &editor,
            format!("/admin/posts/{id}/compare?from={saved}&to={editors}")
        )
        .await,
        200
    );
    // ...and nobody else's, by any id they guess.
    for (client, theirs) in [(&contributor, editors), (&editor, contributors)] {
        assert_eq!(
            status(client, format!("/admin/posts/{id}/revisions/{theirs}")).await,
            404
        );
        assert_eq!(
            status(
                client,
                format!("/admin/posts/{id}/compare?from={saved}&to={theirs}")
            )
            .await,
            404
        );
        assert_eq!(
            status(
                client,
                format!("/admin/posts/{id}/compare?from={theirs}&to={saved}")
            )
            .await,
            404
        );
    }
    let restored = post_form(
        &contributor,
        &server,
        &format!("/admin/posts/{id}/revisions/{editors}/restore"),
        &c_csrf,
        &[],
    )
    .await;
    assert_eq!(restored.status(), 404);
    assert_eq!(post_field(&site, id).2, "Saved text.");
    // Another contributor can't reach the post's history at all.
    let (other, _) = logged_in(&server, "other-contributor@example.org", PASSWORD).await;
    for rev in [contributors, editors, saved] {
        assert_eq!(
            status(&other, format!("/admin/posts/{id}/revisions/{rev}")).await,
            403
        );
    }
}

/// The editor's submit buttons as (action, label), in the page's order.
fn editor_buttons(page: &str) -> Vec<(String, String)> {
    page.split("<button type=\"submit\" name=\"action\" value=\"")
        .skip(1)
        .map(|rest| {
            let action = rest[..rest.find('"').unwrap()].to_owned();
            let label_at = rest.find('>').unwrap() + 1;
            let label = rest[label_at..label_at + rest[label_at..].find('<').unwrap()].to_owned();
            (action, label)
        })
        .collect()
}

fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, l)| (a.to_string(), l.to_string()))
        .collect()
}

async fn the_editor_offers_the_actions_of_the_post_s_state(backend: Backend) {
    let (site, server) = site_with_team(&backend).await;
    let (author, csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let edit_url = |id: i32| server.url(&format!("/admin/posts/{id}/edit"));
    let id = write(
        &author,
        &server,
        &csrf,
        &[("title", "States"), ("body", "Text."), ("action", "save")],
    )
    .await;

    // A draft: save it, publish it, or schedule it.
    let draft = get_page(&author, &edit_url(id), 200).await;
    assert_eq!(
        editor_buttons(&draft),
        labels(&[
            ("preview", "Preview"),
            ("schedule", "Schedule"),
            ("save", "Save draft"),
            ("publish", "Publish now"),
        ])
    );
    assert!(!draft.contains("View post"));
    // Without JavaScript: no toolbar (it needs the script), the Preview button submits.
    assert!(
        draft.contains("role=\"toolbar\" aria-label=\"Formatting\" aria-controls=\"body\" hidden>")
    );
    assert!(draft.contains("data-view=\"write\" aria-pressed=\"true\" hidden>Write</button>"));

    // Scheduled (the time typed as the page shows times: 24-hour, the site's zone): a
    // new time, or back to a draft — not "Unpublish"; saving updates it.
    let scheduled = save(
        &author,
        &server,
        id,
        &[("publish_at", "2099-06-01 15:30")],
        "schedule",
    )
    .await;
    assert_eq!(scheduled.status(), 303);
    let page = get_page(&author, &edit_url(id), 200).await;
    assert!(
        page.contains("Scheduled for 2099-06-01 15:30 UTC."),
        "{page}"
    );
    assert_eq!(
        editor_buttons(&page),
        labels(&[
            ("preview", "Preview"),
            ("schedule", "Reschedule"),
            ("unpublish", "Unschedule"),
            ("save", "Update"),
            ("publish", "Publish now"),
        ])
    );
    assert_eq!(
        input_value(&page, "publish_at").as_deref(),
        Some("2099-06-01 15:30")
    );
    assert!(
        page.contains("Scheduled for 2099-06-01 15:30 UTC</p>"),
        "the stage: {page}"
    );
    assert!(!page.contains(" PM") && !page.contains(" AM") && !page.contains("View post"));
    let unscheduled = save(&author, &server, id, &[], "unpublish").await;
    assert_eq!(unscheduled.status(), 303);
    assert_eq!(post_field(&site, id).1, "draft");

    // Published: update it or unpublish it; no schedule and no time field.
    assert_eq!(
        save(&author, &server, id, &[], "publish").await.status(),
        303
    );
    let page = get_page(&author, &edit_url(id), 200).await;
    assert_eq!(
        editor_buttons(&page),
        labels(&[
            ("preview", "Preview"),
            ("save", "Update"),
            ("unpublish", "Unpublish"),
        ])
    );
    assert!(!page.contains("name=\"publish_at\""));
    let published_at =
        regex::Regex::new(r"Published \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC</p>").unwrap();
    assert!(published_at.is_match(&page), "{page}");

    // Both spellings of a time are read; a 12-hour one is not a time.
    let other = write(
        &author,
        &server,
        &csrf,
        &[("title", "T form"), ("body", "x"), ("action", "save")],
    )
    .await;
    let with_t = save(
        &author,
        &server,
        other,
        &[("publish_at", "2099-06-01T07:05")],
        "schedule",
    )
    .await;
    assert_eq!(with_t.status(), 303);
    assert!(
        get_page(&author, &edit_url(other), 200)
            .await
            .contains("value=\"2099-06-01 07:05\"")
    );
    let twelve_hour = save(
        &author,
        &server,
        other,
        &[("publish_at", "2099-06-01 3:30 PM")],
        "schedule",
    )
    .await;
    assert_eq!(twelve_hour.status(), 422);
    assert!(twelve_hour.text().await.unwrap().contains("24-hour"));

    // Contributors submit; once pending, "Save" keeps it pending.
    let (contributor, c_csrf) = logged_in(&server, "contributor@example.org", PASSWORD).await;
    let theirs = write(
        &contributor,
        &server,
        &c_csrf,
        &[("title", "Review me"), ("body", "x"), ("action", "submit")],
    )
    .await;
    let pending = get_page(&contributor, &edit_url(theirs), 200).await;
    assert_eq!(
        editor_buttons(&pending),
        labels(&[
            ("preview", "Preview"),
            ("save", "Save"),
            ("submit", "Submit for review"),
        ])
    );
}

async fn published_posts_link_to_their_public_page(backend: Backend) {
    let (_site, server) = site_with_team(&backend).await;
    let (author, csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let id = write(
        &author,
        &server,
        &csrf,
        &[
            ("title", "Out now"),
            ("body", "Read me."),
            ("action", "publish"),
        ],
    )
    .await;
    let view = "<a class=\"button view-link\" href=\"/out-now\">View post</a>";

    // Right after publishing, the message says where it is; the editor keeps the link.
    let page = get_page(
        &author,
        &server.url(&format!("/admin/posts/{id}/edit")),
        200,
    )
    .await;
    assert!(
        page.contains(
            "<p class=\"flash\" role=\"status\">Published. <a href=\"/out-now\">View post</a></p>"
        ),
        "{page}"
    );
    assert!(page.contains(view), "{page}");
    let again = get_page(
        &author,
        &server.url(&format!("/admin/posts/{id}/edit")),
        200,
    )
    .await;
    assert!(again.contains(view) && !again.contains("class=\"flash\""));
    assert_eq!(
        author
            .get(server.url("/out-now"))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "the link leads to the post"
    );

    write(
        &author,
        &server,
        &csrf,
        &[("title", "Not yet"), ("body", "Draft."), ("action", "save")],
    )
    .await;
    // The list links the published post only.
    let list = get_page(&author, &server.url("/admin/posts"), 200).await;
    assert!(
        list.contains("<a class=\"view-link\" href=\"/out-now\">View post<span class=\"visually-hidden\"> “Out now”</span></a>"),
        "{list}"
    );
    assert_eq!(list.matches("class=\"view-link\"").count(), 1, "{list}");

    // Unpublished, the links go.
    assert_eq!(
        save(&author, &server, id, &[], "unpublish").await.status(),
        303
    );
    let page = get_page(
        &author,
        &server.url(&format!("/admin/posts/{id}/edit")),
        200,
    )
    .await;
    assert!(!page.contains("View post"), "{page}");
    let list = get_page(&author, &server.url("/admin/posts"), 200).await;
    assert!(!list.contains("view-link"));
}

async fn the_editor_counts_words_and_suggests_existing_tags(backend: Backend) {
    let (_site, server) = site_with_team(&backend).await;
    let (author, csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let body = format!(
        "# A heading\n\nSee [the docs](https://example.org/docs) — {}",
        "word ".repeat(307)
    );
    let id = write(
        &author,
        &server,
        &csrf,
        &[
            ("title", "Counted"),
            ("body", &body),
            ("tags", "Harbour, Night walks"),
            ("action", "save"),
        ],
    )
    .await;
    let page = get_page(
        &author,
        &server.url(&format!("/admin/posts/{id}/edit")),
        200,
    )
    .await;
    assert!(
        page.contains("aria-live=\"polite\" aria-atomic=\"true\">312 words · 2 min read</p>"),
        "{page}"
    );

    // A new post starts at nothing and is offered the tags that exist, by name.
    let new = get_page(&author, &server.url("/admin/posts/new"), 200).await;
    assert!(new.contains(">0 words</p>"), "{new}");
    assert!(new.contains("list=\"tag-suggestions\""));
    let list_at = new
        .find("<datalist id=\"tag-suggestions\">")
        .expect("a datalist");
    let list = &new[list_at..list_at + new[list_at..].find("</datalist>").unwrap()];
    let harbour = list
        .find("<option value=\"Harbour\">")
        .expect("Harbour suggested");
    let walks = list
        .find("<option value=\"Night walks\">")
        .expect("Night walks suggested");
    assert!(harbour < walks);
}

async fn a_script_save_answers_json_and_stays_on_the_page(backend: Backend) {
    let (site, server) = site_with_team(&backend).await;
    let (author, csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let json_save = |path: String, fields: Vec<(&'static str, String)>| {
        let mut form = vec![("csrf_token", csrf.clone()), ("action", "save".to_owned())];
        form.extend(fields);
        author
            .post(server.url(&path))
            .header("accept", "application/json")
            .form(&form)
            .send()
    };
    // A new post: created, with the addresses the script saves to next.
    let created = json_save(
        "/admin/posts".into(),
        vec![("title", "Saved by keys".into()), ("body", "First.".into())],
    )
    .await
    .unwrap();
    assert_eq!(created.status(), 200);
    let data: serde_json::Value = created.json().await.unwrap();
    let id = data["id"].as_i64().unwrap() as i32;
    assert_eq!(data["message"], "Saved.");
    assert_eq!(data["action"], format!("/admin/posts/{id}"));
    assert_eq!(data["edit_url"], format!("/admin/posts/{id}/edit"));
    assert!(data["public_url"].is_null());
    let version = data["version"].as_i64().unwrap();
    assert_eq!(post_field(&site, id).2, "First.");

    // Published, saving updates it and keeps it public; the version moves on.
    assert_eq!(
        save(&author, &server, id, &[], "publish").await.status(),
        303
    );
    let page = get_page(
        &author,
        &server.url(&format!("/admin/posts/{id}/edit")),
        200,
    )
    .await;
    assert!(page.contains("Published."), "the publication's own message");
    let version = version + 1;
    let updated = json_save(
        format!("/admin/posts/{id}"),
        vec![
            ("title", "Saved by keys".into()),
            ("body", "Second.".into()),
            ("version", version.to_string()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(updated.status(), 200);
    let data: serde_json::Value = updated.json().await.unwrap();
    assert_eq!(data["message"], "Updated.");
    assert_eq!(data["public_url"], "/saved-by-keys");
    assert_eq!(data["version"].as_i64().unwrap(), version + 1);
    let (_, status, body, _) = post_field(&site, id);
    assert_eq!((status.as_str(), body.as_str()), ("published", "Second."));
    // No flash was left for the next page: the script said it already.
    let page = get_page(
        &author,
        &server.url(&format!("/admin/posts/{id}/edit")),
        200,
    )
    .await;
    assert!(!page.contains("class=\"flash\""));

    // A stale version is refused as the form would be: the script then sends the form.
    let stale = json_save(
        format!("/admin/posts/{id}"),
        vec![
            ("title", "Saved by keys".into()),
            ("body", "Third.".into()),
            ("version", version.to_string()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(stale.status(), 409);
    assert_eq!(post_field(&site, id).2, "Second.");
}

/// The events of a post's explicit revisions, oldest first.
fn revision_events(site: &Site, post_id: i32) -> Vec<String> {
    revisions::table
        .filter(revisions::post_id.eq(post_id))
        .filter(revisions::is_autosave.eq(false))
        .order((revisions::created_at.asc(), revisions::id.asc()))
        .select(revisions::event)
        .load(&mut site.connect())
        .unwrap()
}

async fn the_history_says_who_did_what_to_the_second_and_skips_unchanged_saves(backend: Backend) {
    let site = Site::new(&backend);
    site.create_user("author@example.org", "Ann Author", "author", PASSWORD);
    // A zone with a half-hour offset: the history must not show UTC.
    site.execute_sql(
        "INSERT INTO settings (key, value, updated_at) \
         VALUES ('time_zone', 'Asia/Kolkata', '2026-01-01 00:00:00')",
    );
    let server = site.start().await;
    let (author, csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let id = write(
        &author,
        &server,
        &csrf,
        &[
            ("title", "Harbour"),
            ("body", "The harbour at dawn.\n\nBoats leave early.\n"),
            ("action", "save"),
        ],
    )
    .await;
    // Publishing, updating and unpublishing the same text store nothing new.
    for action in ["publish", "save", "unpublish", "publish"] {
        assert_eq!(save(&author, &server, id, &[], action).await.status(), 303);
    }
    assert_eq!(revision_events(&site, id), ["saved"]);
    let changed = save(
        &author,
        &server,
        id,
        &[("body", "The harbour at dusk.\n\nBoats leave early.\n")],
        "save",
    )
    .await;
    assert_eq!(changed.status(), 303);
    let changed = save(
        &author,
        &server,
        id,
        &[("title", "Harbour nights")],
        "unpublish",
    )
    .await;
    assert_eq!(changed.status(), 303);
    assert_eq!(
        revision_events(&site, id),
        ["saved", "updated", "unpublished"]
    );

    let first: i32 = revisions::table
        .filter(revisions::post_id.eq(id))
        .order(revisions::id.asc())
        .select(revisions::id)
        .first(&mut site.connect())
        .unwrap();
    let restored = post_form(
        &author,
        &server,
        &format!("/admin/posts/{id}/revisions/{first}/restore"),
        &csrf,
        &[],
    )
    .await;
    assert_eq!(restored.status(), 303);
    assert_eq!(
        revision_events(&site, id),
        ["saved", "updated", "unpublished", "restored"]
    );

    let history = get_page(
        &author,
        &server.url(&format!("/admin/posts/{id}/revisions")),
        200,
    )
    .await;
    for said in [
        ">Saved</td>",
        ">Updated</td>",
        ">Unpublished</td>",
        ">Restored an earlier version</td>",
    ] {
        assert!(history.contains(said), "{said} in {history}");
    }
    assert_eq!(history.matches(">Ann Author</td>").count(), 4);
    // Each time to the second, in the site's zone.
    let times: Vec<chrono::NaiveDateTime> = revisions::table
        .filter(revisions::post_id.eq(id))
        .select(revisions::created_at)
        .load(&mut site.connect())
        .unwrap();
    for at in times {
        use chrono::TimeZone;
        let local = chrono_tz::Asia::Kolkata
            .from_utc_datetime(&at)
            .format("%Y-%m-%d %H:%M:%S IST")
            .to_string();
        assert!(history.contains(&local), "{local} in {history}");
    }

    // The first save of a post made by the autosave says so.
    let created = author
        .post(server.url("/api/admin/posts/autosave"))
        .header("x-csrf-token", &csrf)
        .form(&[("title", "Typed"), ("body", "Words."), ("kind", "post")])
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let json: serde_json::Value = created.json().await.unwrap();
    let typed = json["id"].as_i64().unwrap() as i32;
    assert_eq!(revision_events(&site, typed), ["autosaved"]);
    let history = get_page(
        &author,
        &server.url(&format!("/admin/posts/{typed}/revisions")),
        200,
    )
    .await;
    assert!(history.contains(">Autosaved</td>"), "{history}");
}

async fn comparing_pairs_changed_lines_and_says_when_nothing_changed(backend: Backend) {
    let (site, server) = site_with_team(&backend).await;
    let (author, csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let id = write(
        &author,
        &server,
        &csrf,
        &[
            ("title", "Diff"),
            (
                "body",
                "<b>Bold</b> start.\n\nThe harbour at dawn, before the boats.\n\nLast line.\n",
            ),
            ("action", "save"),
        ],
    )
    .await;
    let response = save(
        &author,
        &server,
        id,
        &[(
            "body",
            "A new first paragraph.\n\n<i>Bold</i> start.\n\nThe harbour at dusk, before the boats.\n\nLast line.\n",
        )],
        "save",
    )
    .await;
    assert_eq!(response.status(), 303);
    let ids: Vec<i32> = revisions::table
        .filter(revisions::post_id.eq(id))
        .order(revisions::id.asc())
        .select(revisions::id)
        .load(&mut site.connect())
        .unwrap();
    let [old, new] = ids[..] else {
        panic!("two revisions: {ids:?}")
    };

    let diff = get_page(
        &author,
        &server.url(&format!("/admin/posts/{id}/compare?from={old}&to={new}")),
        200,
    )
    .await;
    // The changed sentence: its old version right above its new one, words marked.
    let before = diff
        .find("Changed line, before: </span>The harbour at <del>")
        .unwrap_or_else(|| panic!("{diff}"));
    let after = diff
        .find("Changed line, after: </span>The harbour at <ins>")
        .unwrap_or_else(|| panic!("{diff}"));
    assert!(before < after, "{diff}");
    assert_eq!(
        diff[before..after].matches("role=\"row\"").count(),
        1,
        "the new version is the very next line: {diff}"
    );
    assert!(diff.contains("[removed: </span>dawn<"), "{diff}");
    assert!(diff.contains("[added: </span>dusk<"), "{diff}");
    assert!(
        diff.contains("Added: </span>A new first paragraph."),
        "{diff}"
    );
    // Markup in the text is shown as text.
    assert!(!diff.contains("<b>") && !diff.contains("<i>"), "{diff}");
    assert!(!diff.contains("No changes between these versions."));

    for query in [
        format!("from={new}&to={new}"),
        format!("from={old}&to={old}"),
    ] {
        let same = get_page(
            &author,
            &server.url(&format!("/admin/posts/{id}/compare?{query}")),
            200,
        )
        .await;
        assert!(
            same.contains("No changes between these versions."),
            "{same}"
        );
        assert!(!same.contains("diff-line"), "no text shown: {same}");
    }
}

async fn a_new_tag_is_created_from_the_tags_page(backend: Backend) {
    let (site, server) = site_with_team(&backend).await;
    let (editor, csrf) = logged_in(&server, "editor@example.org", PASSWORD).await;
    let list = get_page(&editor, &server.url("/admin/tags"), 200).await;
    assert!(list.contains("href=\"/admin/tags/new\""), "{list}");
    let form = get_page(&editor, &server.url("/admin/tags/new"), 200).await;
    for field in ["name=\"name\"", "name=\"slug\"", "name=\"description\""] {
        assert!(form.contains(field), "{field} in {form}");
    }

    let created = post_form(
        &editor,
        &server,
        "/admin/tags",
        &csrf,
        &[
            ("name", "Harbour Life"),
            ("slug", ""),
            ("description", "Boats and people."),
        ],
    )
    .await;
    assert_eq!(created.status(), 303);
    assert_eq!(created.headers()["location"], "/admin/tags");
    let row: (String, String) = tags::table
        .filter(tags::slug.eq("harbour-life"))
        .select((tags::name, tags::description))
        .first(&mut site.connect())
        .unwrap();
    assert_eq!(row, ("Harbour Life".into(), "Boats and people.".into()));
    let list = get_page(&editor, &server.url("/admin/tags"), 200).await;
    assert!(
        list.contains("The tag “Harbour Life” was created."),
        "{list}"
    );
    assert!(
        list.contains(">Harbour Life</a></td>") && list.contains(">harbour-life</td>"),
        "{list}"
    );

    // Bad input comes back with messages and what was typed.
    let count = || -> i64 { tags::table.count().get_result(&mut site.connect()).unwrap() };
    for (fields, message) in [
        (
            [("name", "  "), ("slug", ""), ("description", "Kept text")],
            "A tag name has 1 to",
        ),
        (
            [
                ("name", "harbour life"),
                ("slug", ""),
                ("description", "Kept text"),
            ],
            "A tag with the slug “harbour-life” exists already",
        ),
        (
            [
                ("name", "Quays"),
                ("slug", "!!!"),
                ("description", "Kept text"),
            ],
            "Use letters or digits in the slug.",
        ),
    ] {
        let refused = post_form(&editor, &server, "/admin/tags", &csrf, &fields).await;
        assert_eq!(refused.status(), 422, "{fields:?}");
        let page = refused.text().await.unwrap();
        assert!(page.contains(message), "{message} in {page}");
        assert!(page.contains(">Kept text</textarea>"), "{page}");
    }
    assert_eq!(count(), 1);

    // Only those who may edit tags may create them.
    let (contributor, c_csrf) = logged_in(&server, "contributor@example.org", PASSWORD).await;
    assert_eq!(
        contributor
            .get(server.url("/admin/tags/new"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let refused = post_form(
        &contributor,
        &server,
        "/admin/tags",
        &c_csrf,
        &[("name", "Sneaky")],
    )
    .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(count(), 1);
}
