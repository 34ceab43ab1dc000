//! Durable jobs (`folio::store::jobs`, run by `folio::jobs`): a dashboard WordPress import
//! is a row of the `jobs` table, so its page reads the same on every node and it survives
//! a crash (another node takes it once the lease expires) or a shutdown (handed back).
//! The slow cases use `FOLIO_TEST_JOB_DELAY_MS` (tests only: a claimed job waits that long
//! before its work starts) and a short `FOLIO_JOB_LEASE`.

use std::time::{Duration, Instant};

use crate::common;

use common::{Backend, Server, Site, get_page, logged_in};
use diesel::prelude::*;
use folio::db::schema::{audit_log, jobs, posts};

on_both_backends!(
    a_dashboard_import_shows_its_report_on_another_node,
    a_node_killed_mid_import_leaves_the_job_to_another_node,
    sigterm_hands_a_running_job_back_to_the_queue,
    a_job_whose_nodes_keep_dying_is_marked_interrupted,
    three_nodes_run_each_of_ten_jobs_exactly_once,
);

const PASSWORD: &str = "correct horse battery staple";
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/wordpress.xml");

fn site_with_admin(backend: &Backend) -> Site {
    let site = Site::new(backend);
    site.create_user("admin@example.com", "Ada Admin", "admin", PASSWORD);
    site
}

/// Uploads the fixture through `node`'s dashboard; returns the job's page path.
async fn start_import(node: &Server, client: &reqwest::Client, csrf: &str) -> String {
    let form = reqwest::multipart::Form::new()
        .text("author_role", "contributor")
        .part(
            "file",
            reqwest::multipart::Part::bytes(std::fs::read(FIXTURE).unwrap())
                .file_name("harbour.xml"),
        );
    let response = client
        .post(node.url(&format!("/admin/import/wordpress?csrf_token={csrf}")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let job = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(job.starts_with("/admin/import/wordpress/"), "{job}");
    job
}

fn job_id(page: &str) -> i32 {
    page.rsplit('/').next().unwrap().parse().unwrap()
}

/// (state, attempts, claimed_by) of a job, read from the database.
fn job_row(site: &Site, id: i32) -> (String, i32, Option<String>) {
    jobs::table
        .find(id)
        .select((jobs::state, jobs::attempts, jobs::claimed_by))
        .first(&mut site.connect())
        .unwrap()
}

/// Waits until the job is `state` in the database.
async fn wait_for_state(site: &Site, id: i32, state: &str) {
    let started = Instant::now();
    while job_row(site, id).0 != state {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "job {id} never became {state}: {:?}",
            job_row(site, id)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn post_count(site: &Site) -> i64 {
    posts::table
        .count()
        .get_result(&mut site.connect())
        .unwrap()
}

fn files_waiting(site: &Site) -> usize {
    let dir = site.data_dir().join("media").join("jobs");
    std::fs::read_dir(dir).map_or(0, Iterator::count)
}

async fn a_dashboard_import_shows_its_report_on_another_node(backend: Backend) {
    let site = site_with_admin(&backend);
    let first = site.start().await;
    let second = site.start().await;
    let (client, csrf) = logged_in(&first, "admin@example.com", PASSWORD).await;

    let job = start_import(&first, &client, &csrf).await;
    // The page of the job, read on the other node (the same session cookie works there).
    let page = common::settled_job_page(&second, &client, &job).await;
    assert!(page.contains("Done: 11 posts and pages imported"), "{page}");
    assert!(
        page.contains("Bob Quay (bob@example.com) as contributor"),
        "{page}"
    );
    let list = get_page(&client, &second.url("/admin/import/wordpress"), 200).await;
    assert!(list.contains("harbour.xml"), "{list}");
    assert!(list.contains("11 posts and pages imported"), "{list}");
    assert_eq!(job_row(&site, job_id(&job)).0, "done");
    assert_eq!(post_count(&site), 11);
    // The uploaded export was kept only while the job needed it.
    assert_eq!(files_waiting(&site), 0);

    // A restart forgets nothing: the page still shows the report.
    first.stop().await;
    let restarted = site.start().await;
    let page = get_page(&client, &restarted.url(&job), 200).await;
    assert!(page.contains("Done: 11 posts and pages imported"), "{page}");
    // An unknown import: back to the form, saying so.
    let response = client
        .get(restarted.url("/admin/import/wordpress/999999"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
}

async fn a_node_killed_mid_import_leaves_the_job_to_another_node(backend: Backend) {
    let site = site_with_admin(&backend);
    let slow = [
        ("FOLIO_TEST_JOB_DELAY_MS", "600000"),
        ("FOLIO_JOB_LEASE", "2"),
    ];
    let doomed = site.start_with(&slow).await;
    let (client, csrf) = logged_in(&doomed, "admin@example.com", PASSWORD).await;
    let job = start_import(&doomed, &client, &csrf).await;
    let id = job_id(&job);
    wait_for_state(&site, id, "running").await;
    let page = get_page(&client, &doomed.url(&job), 200).await;
    assert!(page.contains("http-equiv=\"refresh\""), "{page}");
    let metrics = get_page(&client, &doomed.url("/metrics"), 200).await;
    for line in [
        "folio_jobs{state=\"running\"} 1",
        "folio_jobs{state=\"queued\"} 0",
        "folio_jobs{state=\"failed\"} 0",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in {metrics}");
    }

    // kill -9: no chance to hand the job back.
    drop(doomed);
    assert_eq!(job_row(&site, id).0, "running");
    assert_eq!(post_count(&site), 0);

    // Another node sees the lease expire, queues the job again and runs it.
    let started = Instant::now();
    let other = site.start_with(&[("FOLIO_JOB_LEASE", "2")]).await;
    let page = common::settled_job_page(&other, &client, &job).await;
    eprintln!(
        "jobs: the other node finished the job {:?} after it started",
        started.elapsed()
    );
    assert!(page.contains("Done: 11 posts and pages imported"), "{page}");
    let (state, attempts, _) = job_row(&site, id);
    assert_eq!((state.as_str(), attempts), ("done", 2));
    assert_eq!(post_count(&site), 11, "imported once");
    assert_eq!(files_waiting(&site), 0);
}

async fn sigterm_hands_a_running_job_back_to_the_queue(backend: Backend) {
    let site = site_with_admin(&backend);
    let stopping = site
        .start_with(&[("FOLIO_TEST_JOB_DELAY_MS", "600000")])
        .await;
    let (client, csrf) = logged_in(&stopping, "admin@example.com", PASSWORD).await;
    let job = start_import(&stopping, &client, &csrf).await;
    let id = job_id(&job);
    wait_for_state(&site, id, "running").await;

    let started = Instant::now();
    let status = stopping.stop().await;
    assert!(status.success(), "{status:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the shutdown waited for the job: {:?}",
        started.elapsed()
    );
    // Handed back: queued, no attempt spent, nobody holding it, nothing imported.
    assert_eq!(job_row(&site, id), ("queued".to_owned(), 0, None));
    assert_eq!(post_count(&site), 0);
    assert_eq!(
        files_waiting(&site),
        1,
        "the export waits for the next node"
    );

    let next = site.start().await;
    let page = common::settled_job_page(&next, &client, &job).await;
    assert!(page.contains("Done: 11 posts and pages imported"), "{page}");
    assert_eq!(job_row(&site, id).1, 1);
    assert_eq!(post_count(&site), 11);
}

async fn three_nodes_run_each_of_ten_jobs_exactly_once(backend: Backend) {
    let site = site_with_admin(&backend);
    let nodes = [site.start().await, site.start().await, site.start().await];
    let (client, csrf) = logged_in(&nodes[0], "admin@example.com", PASSWORD).await;
    let mut ids = Vec::new();
    for n in 0..10 {
        let job = start_import(&nodes[n % 3], &client, &csrf).await;
        ids.push(job_id(&job));
    }
    for &id in &ids {
        wait_for_state(&site, id, "done").await;
    }
    let mut conn = site.connect();
    let rows: Vec<(i32, i32, Option<String>)> = jobs::table
        .filter(jobs::id.eq_any(&ids))
        .select((jobs::id, jobs::attempts, jobs::claimed_by))
        .load(&mut conn)
        .unwrap();
    assert_eq!(rows.len(), 10);
    for (id, attempts, node) in &rows {
        assert_eq!(*attempts, 1, "job {id} was claimed {attempts} times");
        assert!(node.is_some(), "job {id} names the node that ran it");
    }
    let mut ran_on: Vec<&String> = rows.iter().filter_map(|r| r.2.as_ref()).collect();
    ran_on.sort();
    ran_on.dedup();
    eprintln!(
        "jobs: 10 jobs ran on {} ",
        folio::domain::counted(ran_on.len(), "node", "nodes")
    );
    // Each import wrote its audit record once, in its transaction; the posts once in all.
    let imports: i64 = audit_log::table
        .filter(audit_log::action.eq("wordpress.import"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(imports, 10);
    assert_eq!(post_count(&site), 11);
    let counts = folio::store::jobs::counts(&mut conn).unwrap();
    assert_eq!((counts.done, counts.queued, counts.running), (10, 0, 0));
}

async fn a_job_whose_nodes_keep_dying_is_marked_interrupted(backend: Backend) {
    let site = site_with_admin(&backend);
    let slow = [
        ("FOLIO_TEST_JOB_DELAY_MS", "600000"),
        ("FOLIO_JOB_LEASE", "2"),
    ];
    let first = site.start_with(&slow).await;
    let (client, csrf) = logged_in(&first, "admin@example.com", PASSWORD).await;
    let job = start_import(&first, &client, &csrf).await;
    let id = job_id(&job);
    wait_for_state(&site, id, "running").await;
    drop(first);
    // Each node takes the job up once the lease lapses, and dies (kill -9) in its turn.
    for attempt in 2..=3 {
        let node = site.start_with(&slow).await;
        let started = Instant::now();
        while job_row(&site, id).1 < attempt {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "attempt {attempt} never started: {:?}",
                job_row(&site, id)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        drop(node);
    }
    // The third lapse: no attempts left. The next node marks it interrupted, and says
    // that nothing was imported.
    let last = site.start_with(&[("FOLIO_JOB_LEASE", "2")]).await;
    wait_for_state(&site, id, "interrupted").await;
    let page = common::settled_job_page(&last, &client, &job).await;
    assert!(
        page.contains("Nothing was imported: start it again"),
        "{page}"
    );
    assert_eq!(post_count(&site), 0);
    assert_eq!(files_waiting(&site), 0, "its export file is removed");
    let metrics = get_page(&client, &last.url("/metrics"), 200).await;
    assert!(
        metrics
            .lines()
            .any(|l| l == "folio_jobs{state=\"failed\"} 1"),
        "{metrics}"
    );
}
