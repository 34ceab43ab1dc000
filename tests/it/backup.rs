//! `folio backup`: a snapshot taken while editors keep publishing restores to a working
//! site; bad invocations are refused clearly.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use diesel::prelude::*;

use common::{Backend, Site, get_page, logged_in, png, upload_api};

on_both_backends!(backups_refuse_to_overwrite_and_postgres_ones_restore_with_import);

const PASSWORD: &str = "correct horse battery staple";

#[derive(QueryableByName)]
struct Check {
    #[diesel(sql_type = diesel::sql_types::Text)]
    integrity_check: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_editors_publish_restores_to_a_working_site() {
    let site = Site::new(&Backend::Sqlite);
    site.create_user("admin@example.org", "Ada Admin", "admin", PASSWORD);
    let server = site.start().await;
    let (client, csrf) = logged_in(&server, "admin@example.org", PASSWORD).await;

    // A file in the media library.
    let (_, uploaded) = upload_api(&client, &server, &csrf, &[("blue.png", &png(64, 32))]).await;
    let media_url = uploaded["files"][0]["url"].as_str().unwrap().to_owned();

    // An editor keeps publishing while the backup runs.
    let stop = Arc::new(AtomicBool::new(false));
    let published = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (stop, published, client, csrf) = (
            stop.clone(),
            published.clone(),
            client.clone(),
            csrf.clone(),
        );
        let base = server.base.clone();
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let title = format!("Busy post {n}");
                let response = client
                    .post(format!("{base}/admin/posts"))
                    .form(&[
                        ("csrf_token", csrf.as_str()),
                        ("title", title.as_str()),
                        ("body", "Written during the backup."),
                        ("action", "publish"),
                    ])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 303, "publishing {title}");
                published.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    while published.load(Ordering::SeqCst) < 3 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let archive = site.data_dir().join("site-backup.tar.gz");
    let output = tokio::task::block_in_place(|| {
        site.cli(&["backup", "--output", archive.to_str().unwrap()], None)
    });
    let during = published.load(Ordering::SeqCst);
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    let total = published.load(Ordering::SeqCst);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    assert!(
        stdout.contains("Backed up the database") && stdout.contains("tar -xzf"),
        "{stdout}"
    );
    assert!(during >= 3 && total >= during, "{during} / {total}");
    assert!(!archive.with_extension("partial").exists());

    // Restore into an empty data directory, as the message says.
    let restored = Site::new(&Backend::Sqlite);
    tar::Archive::new(flate2::read::GzDecoder::new(
        std::fs::File::open(&archive).unwrap(),
    ))
    .unpack(restored.data_dir())
    .unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(restored.data_dir().join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["format"], "folio-backup");
    let mut conn =
        diesel::SqliteConnection::establish(restored.sqlite_file().unwrap().to_str().unwrap())
            .unwrap();
    let check: Check = diesel::sql_query("PRAGMA integrity_check")
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(check.integrity_check, "ok");
    let busy: i64 = folio::db::schema::posts::table
        .filter(folio::db::schema::posts::title.like("Busy post %"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert!(
        (3..=total as i64).contains(&busy),
        "the snapshot holds {busy} of {total} posts: a moment during the writes"
    );
    drop(conn);

    let again = restored.start().await;
    let (client, _) = logged_in(&again, "admin@example.org", PASSWORD).await;
    let home = get_page(&client, &again.url("/"), 200).await;
    assert!(home.contains("Busy post"), "{home}");
    let media = client.get(again.url(&media_url)).send().await.unwrap();
    assert_eq!(media.status(), 200, "the media came along");
}

async fn backups_refuse_to_overwrite_and_postgres_ones_restore_with_import(backend: Backend) {
    let site = Site::new(&backend);
    site.create_user("admin@example.org", "Ada Admin", "admin", PASSWORD);
    let archive = site.data_dir().join("backup.tar.gz");
    let output = site.cli(&["backup", "--output", archive.to_str().unwrap()], None);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if matches!(backend, Backend::Postgres(_)) {
        // The export archive, restored with `folio import` into an empty database.
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stderr}");
        assert!(
            stdout.contains("folio import") && stdout.contains("pg_dump"),
            "{stdout}"
        );
        let restored = Site::new(&backend);
        let imported = restored.cli(&["import", archive.to_str().unwrap()], None);
        assert!(imported.status.success(), "{imported:?}");
        let server = restored.start().await;
        logged_in(&server, "admin@example.org", PASSWORD).await; // hashes included
        return;
    }
    assert!(output.status.success(), "{output:?}");
    let before = std::fs::read(&archive).unwrap();
    let again = site.cli(&["backup", "--output", archive.to_str().unwrap()], None);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(!again.status.success());
    assert!(
        stderr.contains("already exists") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&archive).unwrap(), before, "left as it was");
    let forced = site.cli(
        &["backup", "--output", archive.to_str().unwrap(), "--force"],
        None,
    );
    assert!(forced.status.success(), "{forced:?}");
    let nowhere = site.cli(&["backup", "--output", "/nonexistent-dir/x.tar.gz"], None);
    assert!(!nowhere.status.success());
    assert!(
        String::from_utf8_lossy(&nowhere.stderr).contains("/nonexistent-dir"),
        "{nowhere:?}"
    );
}
