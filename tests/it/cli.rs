//! The operator's command line: migrations, user management, and clear one-line errors.

use crate::common;

use common::{Backend, Site, client, logged_in};

on_both_backends!(
    migrate_twice_applies_once_and_changes_nothing,
    nodes_migrating_at_once_all_start,
    nodes_starting_at_once_share_one_generated_session_key,
    user_created_on_the_cli_can_log_in,
    reset_password_replaces_the_old_one,
    bad_cli_input_fails_with_one_line_and_changes_nothing,
    seed_fills_an_empty_site_and_refuses_a_used_one,
);

const PASSWORD: &str = "a long enough password";

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

async fn migrate_twice_applies_once_and_changes_nothing(backend: Backend) {
    let site = Site::new(&backend);
    let first = site.cli(&["migrate"], None);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stdout(&first).contains("Applied "), "{}", stdout(&first));

    site.create_user("ada@example.org", "Ada", "admin", PASSWORD);
    let second = site.cli(&["migrate"], None);
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(
        stdout(&second).contains("up to date"),
        "{}",
        stdout(&second)
    );

    let list = site.cli(&["user", "list"], None);
    assert!(
        stdout(&list).contains("ada@example.org"),
        "data kept: {}",
        stdout(&list)
    );
}

/// Nodes of a cluster started together on a new database: one applies the migrations, the
/// others wait for it and find nothing pending (without the lock all but one failed on a
/// duplicate table).
async fn nodes_migrating_at_once_all_start(backend: Backend) {
    let site = Site::new(&backend);
    let outputs: Vec<_> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| site.cli(&["migrate"], None)))
            .collect();
        runs.into_iter().map(|run| run.join().unwrap()).collect()
    });
    for out in &outputs {
        assert!(out.status.success(), "{}", stderr(out));
    }
    let applied = outputs
        .iter()
        .filter(|out| stdout(out).contains("Applied "))
        .count();
    assert_eq!(applied, 1, "exactly one process applies the migrations");
    site.create_user("ada@example.org", "Ada", "admin", PASSWORD);
}

/// Nodes started together on one data directory without `FOLIO_SESSION_KEY`: one
/// generates the key file, the others read it whole (never a file still being written),
/// so a login on one node is a session on the others.
async fn nodes_starting_at_once_share_one_generated_session_key(backend: Backend) {
    let site = Site::new(&backend);
    site.create_user("ada@example.org", "Ada", "admin", PASSWORD);
    let nodes = futures_util::future::join_all((0..4).map(|_| site.start())).await;
    let key = std::fs::read_to_string(site.data_dir().join("session.key")).unwrap();
    assert_eq!(key.trim().len(), 88, "64 bytes in base64: {key:?}");
    let leftovers: Vec<_> = std::fs::read_dir(site.data_dir())
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let (session, _) = logged_in(&nodes[0], "ada@example.org", PASSWORD).await;
    for node in &nodes[1..] {
        let status = session
            .get(node.url("/admin"))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200, "the session made on the first node");
    }
}

async fn user_created_on_the_cli_can_log_in(backend: Backend) {
    let site = Site::new(&backend);
    let out = site.cli(
        &[
            "user",
            "create",
            "--email",
            "Ada@Example.org",
            "--name",
            "Ada Lovelace",
            "--role",
            "editor",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Created editor Ada Lovelace <ada@example.org>"),
        "{}",
        stdout(&out)
    );

    let list = stdout(&site.cli(&["user", "list"], None));
    assert!(
        list.contains("ada@example.org") && list.contains("editor") && list.contains("never"),
        "{list}"
    );

    let server = site.start().await;
    let client = client();
    let login = common::log_in(&client, &server, "ada@example.org", PASSWORD).await;
    assert_eq!(login.status(), 303);
    assert_eq!(login.headers()["location"], "/admin");
    let dashboard = common::get_page(&client, &server.url("/admin"), 200).await;
    assert!(dashboard.contains("Ada Lovelace"));

    let list = stdout(&site.cli(&["user", "list"], None));
    assert!(!list.contains("never"), "last login recorded: {list}");
}

async fn reset_password_replaces_the_old_one(backend: Backend) {
    let site = Site::new(&backend);
    site.create_user("ada@example.org", "Ada", "author", PASSWORD);
    let server = site.start().await;
    let client = client();
    assert_eq!(
        common::log_in(&client, &server, "ada@example.org", PASSWORD)
            .await
            .status(),
        303
    );

    let new_password = "an even longer new password";
    let out = site.cli(
        &[
            "user",
            "reset-password",
            "--email",
            "ada@example.org",
            "--password-stdin",
        ],
        Some(&format!("{new_password}\n")),
    );
    assert!(out.status.success(), "{}", stderr(&out));

    // The old session has ended, the old password is refused, the new one works.
    assert_eq!(
        client
            .get(server.url("/admin"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    assert_eq!(
        common::log_in(&client, &server, "ada@example.org", PASSWORD)
            .await
            .status(),
        401
    );
    assert_eq!(
        common::log_in(&client, &server, "ada@example.org", new_password)
            .await
            .status(),
        303
    );
}

async fn bad_cli_input_fails_with_one_line_and_changes_nothing(backend: Backend) {
    let site = Site::new(&backend);
    site.create_user("ada@example.org", "Ada", "admin", PASSWORD);
    let password_line = format!("{PASSWORD}\n");

    let cases: Vec<(Vec<&str>, Option<&str>, &str)> = vec![
        (
            vec![
                "user",
                "create",
                "--email",
                "nope",
                "--name",
                "X",
                "--role",
                "author",
                "--password-stdin",
            ],
            Some(&password_line),
            "not a valid email",
        ),
        (
            vec![
                "user",
                "create",
                "--email",
                "b@example.org",
                "--name",
                "  ",
                "--role",
                "author",
                "--password-stdin",
            ],
            Some(&password_line),
            "--name",
        ),
        (
            vec![
                "user",
                "create",
                "--email",
                "b@example.org",
                "--name",
                "B",
                "--role",
                "owner",
                "--password-stdin",
            ],
            Some(&password_line),
            "unknown role",
        ),
        (
            vec![
                "user",
                "create",
                "--email",
                "b@example.org",
                "--name",
                "B",
                "--role",
                "author",
                "--password-stdin",
            ],
            Some("short\n"),
            "at least 12 characters",
        ),
        (
            vec![
                "user",
                "create",
                "--email",
                "b@example.org",
                "--name",
                "B",
                "--role",
                "author",
                "--password-stdin",
            ],
            Some(""),
            "no password",
        ),
        (
            vec![
                "user",
                "create",
                "--email",
                "b@example.org",
                "--name",
                "B",
                "--role",
                "author",
            ],
            None,
            "--password-stdin",
        ),
        (
            vec![
                "user",
                "create",
                "--email",
                "ADA@example.org",
                "--name",
                "Ada 2",
                "--role",
                "author",
                "--password-stdin",
            ],
            Some(&password_line),
            "already exists",
        ),
        (
            vec!["user", "create", "--name", "B", "--role", "author"],
            None,
            "--email",
        ),
        (
            vec![
                "user",
                "reset-password",
                "--email",
                "nobody@example.org",
                "--password-stdin",
            ],
            Some(&password_line),
            "no account",
        ),
        (
            vec!["user", "delete-everything"],
            None,
            "unrecognized subcommand",
        ),
        (
            vec!["--database-url", "mysql://localhost/folio", "user", "list"],
            None,
            "unsupported database URL scheme",
        ),
        (
            vec!["--log-format", "xml", "user", "list"],
            None,
            "invalid value",
        ),
        (vec!["serve", "--workers", "0"], None, "FOLIO_WORKERS"),
        (
            vec!["serve", "--base-url", "not a url"],
            None,
            "FOLIO_BASE_URL",
        ),
        (
            vec!["serve", "--session-key", "too-short"],
            None,
            "FOLIO_SESSION_KEY",
        ),
        (
            vec!["serve", "--bind", "999.1.1.1:80"],
            None,
            "cannot listen",
        ),
    ];
    for (args, input, expected) in cases {
        let out = site.cli(&args, input);
        let err = stderr(&out);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(
            err.contains(expected),
            "{args:?}: expected {expected:?} in {err:?}"
        );
        assert!(
            !err.contains("panicked") && !err.contains("backtrace"),
            "{args:?}: {err}"
        );
        let error_lines: Vec<_> = err.lines().filter(|l| l.starts_with("error")).collect();
        assert_eq!(error_lines.len(), 1, "{args:?}: one error line in {err:?}");
    }

    let list = stdout(&site.cli(&["user", "list"], None));
    assert_eq!(
        list.lines().count(),
        2,
        "still only the header and Ada: {list}"
    );
}

async fn seed_fills_an_empty_site_and_refuses_a_used_one(backend: Backend) {
    let site = Site::new(&backend);
    let out = site.cli(&["seed", "--posts", "30"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Seeded 30 posts"), "{}", stdout(&out));

    let again = site.cli(&["seed", "--posts", "5"], None);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("already has 30 posts") && stderr(&again).contains("--force"));
    let forced = site.cli(&["seed", "--posts", "5", "--force"], None);
    assert!(forced.status.success(), "{}", stderr(&forced));
    for bad in ["0", "-3", "many", "2000000"] {
        let out = site.cli(&["seed", "--posts", bad], None);
        assert!(!out.status.success(), "{bad}");
        assert!(!stderr(&out).contains("panicked"));
    }

    let server = site.start().await;
    let home = common::get_page(&client(), &server.url("/"), 200).await;
    assert!(
        home.contains("min read") && home.contains("rel=\"next\""),
        "{home:.500}"
    );
    let search = common::get_page(&client(), &server.url("/search?q=engine"), 200).await;
    assert!(search.contains(" result") && !search.contains("Nothing matches"));
}

/// `folio --help` lists each command with its own description (the doc comment of its
/// variant in `config.rs`, not its neighbour's).
#[test]
fn help_describes_each_command_on_its_own_line() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_folio"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let help = stdout(&out);
    let line = |command: &str| {
        help.lines()
            .find(|line| line.trim_start().starts_with(&format!("{command} ")))
            .unwrap_or_else(|| panic!("no line for {command}:\n{help}"))
            .to_owned()
    };
    for (command, says) in [
        ("serve", "Run the web server"),
        ("migrate", "Apply pending database migrations"),
        ("user", "Manage user accounts"),
        ("export", "Write the whole site"),
        ("import", "Load an archive made by `folio export`"),
        ("import-wordpress", "Import a WordPress export"),
        ("backup", "Write a consistent backup"),
        ("seed", "Fill an empty site with generated"),
    ] {
        let line = line(command);
        assert!(line.contains(says), "{command}: {line}");
    }
    assert!(!line("export").contains("Fill an empty site"));
}
