//! The operator's subcommands: `migrate` and `user create|list|reset-password`. Errors
//! come back as one sentence for `main` to print.

use std::io::{BufRead, IsTerminal};

use crate::config::{GlobalArgs, MailCommand, MailSettings, StorageConfig, UserCommand};
use crate::db::{self, DbConnection, DbPool};
use crate::domain::limits::MAX_NAME_CHARS;
use crate::domain::{Email, Role, counted, password};
use crate::error::AppError;
use crate::state;
use crate::store::password_resets::{self, ResetLink};
use crate::store::users::{self, NewUser};

/// `folio mail test`: one message sent now, not queued, and the server's answer printed.
pub fn mail(command: MailCommand) -> Result<(), String> {
    match command {
        MailCommand::Test { to, mail } => {
            let settings = MailSettings::from_args(&mail)?.ok_or(
                "no mail settings: set FOLIO_SMTP_URL and FOLIO_MAIL_FROM (or --smtp-url and --mail-from)",
            )?;
            let site = settings.from.name.clone().unwrap_or_else(|| "Folio".into());
            let message = crate::mail::test(&site)
                .to(to.trim())
                .map_err(|e| format!("cannot write the test message: {e}"))?;
            match crate::mail::send(&settings, &message) {
                Ok(answer) => {
                    println!(
                        "Sent a test message to {} through {}. The server answered: {answer}",
                        message.to,
                        settings.server()
                    );
                    Ok(())
                }
                Err(failure) => Err(format!(
                    "the test message was not sent: {}",
                    failure.message
                )),
            }
        }
    }
}

pub fn migrate(global: &GlobalArgs) -> Result<(), String> {
    let storage = StorageConfig::from_args(global)?;
    let (_, applied) = state::open_database(&storage, 1)?;
    if applied.is_empty() {
        println!("The database is up to date.");
    } else {
        println!(
            "Applied {}: {}",
            counted(applied.len(), "migration", "migrations"),
            applied.join(", ")
        );
    }
    Ok(())
}

pub fn export(
    global: &GlobalArgs,
    output: &std::path::Path,
    credentials: bool,
    force: bool,
) -> Result<(), String> {
    let storage = StorageConfig::from_args(global)?;
    let exported = crate::export::export(&storage, output, credentials, force)?;
    println!(
        "Exported {} to {}.",
        describe(&exported.counts),
        output.display()
    );
    if !exported.missing_media.is_empty() {
        println!(
            "{} missing from {} and not in the archive (their records are): {}",
            counted(
                exported.missing_media.len(),
                "media file was",
                "media files were"
            ),
            storage.media_dir.display(),
            exported.missing_media.join(", ")
        );
    }
    if !credentials {
        println!(
            "Password hashes were left out: after importing, users set a password with a reset link (folio user reset-password --link)."
        );
    }
    Ok(())
}

pub fn import(
    global: &GlobalArgs,
    input: &std::path::Path,
    options: &crate::export::ImportOptions,
) -> Result<(), String> {
    let storage = StorageConfig::from_args(global)?;
    let imported = crate::export::import(&storage, input, options)?;
    if imported.skipped.is_empty() {
        println!(
            "Imported {} from {}.",
            describe(&imported.counts),
            input.display()
        );
    } else {
        println!(
            "Merged {} (archive contents: {}). Left out, nothing overwritten:",
            input.display(),
            describe(&imported.counts)
        );
        for line in &imported.skipped {
            println!("  - {line}");
        }
    }
    println!("Accounts:");
    for line in &imported.accounts {
        println!("  - {line}");
    }
    for warning in &imported.warnings {
        println!("warning: {warning}");
    }
    Ok(())
}

pub fn import_wordpress(
    global: &GlobalArgs,
    input: &std::path::Path,
    uploads: Option<std::path::PathBuf>,
    author_role: Role,
    max_upload_mb: u64,
) -> Result<(), String> {
    let storage = StorageConfig::from_args(global)?;
    if let Some(dir) = &uploads
        && !dir.is_dir()
    {
        return Err(format!("--uploads {} is not a folder", dir.display()));
    }
    let media = crate::media::MediaConfig {
        storage: crate::media::storage::MediaStorage::open(&storage.media_dir)
            .map_err(|e| format!("cannot use the media directory: {e}"))?,
        max_upload_bytes: max_upload_mb * 1024 * 1024,
    };
    let pool = open(&storage)?;
    let mut conn = pool
        .get()
        .map_err(|e| format!("cannot reach the database: {e}"))?;
    let options = crate::wordpress::import::Options {
        uploads,
        author_role,
        importer_id: None,
        audit_address: None,
    };
    let report = crate::wordpress::import::import(
        &mut conn,
        &media,
        input,
        &input.display().to_string(),
        &options,
        &|_| {},
    )?;
    for line in report.lines() {
        println!("{line}");
    }
    Ok(())
}

fn describe(c: &crate::export::Counts) -> String {
    format!(
        "{}, {} with {}, {}, {}, {}, {}",
        counted(c.users, "user", "users"),
        counted(c.posts, "post or page", "posts and pages"),
        counted(c.revisions, "revision", "revisions"),
        counted(c.tags, "tag", "tags"),
        counted(c.media, "media file", "media files"),
        counted(c.redirects, "redirect", "redirects"),
        counted(c.settings, "setting", "settings"),
    )
}

pub fn backup(global: &GlobalArgs, output: &std::path::Path, force: bool) -> Result<(), String> {
    let storage = StorageConfig::from_args(global)?;
    let started = std::time::Instant::now();
    match crate::backup::backup(&storage, output, force)? {
        crate::backup::Report::DataDirectory {
            database_bytes,
            media_files,
            media_gone,
        } => {
            println!(
                "Backed up the database ({:.1} MB) and {} to {} in {:.1} s.",
                database_bytes as f64 / 1_048_576.0,
                counted(media_files, "media file", "media files"),
                output.display(),
                started.elapsed().as_secs_f64()
            );
            if media_gone > 0 {
                println!(
                    "{} deleted while the backup ran and not in it.",
                    counted(media_gone, "media file was", "media files were")
                );
            }
            println!(
                "To restore: mkdir NEW-DATA-DIR && tar -xzf {} -C NEW-DATA-DIR, then run folio with FOLIO_DATA_DIR=NEW-DATA-DIR.",
                output.display()
            );
        }
        crate::backup::Report::Export(exported) => {
            println!(
                "Backed up {} to {} in {:.1} s.",
                describe(&exported.counts),
                output.display(),
                started.elapsed().as_secs_f64()
            );
            println!(
                "To restore: folio import {} into an empty database. For whole PostgreSQL clusters, use pg_dump.",
                output.display()
            );
        }
    }
    Ok(())
}

pub fn seed(global: &GlobalArgs, posts: u32, force: bool) -> Result<(), String> {
    let storage = StorageConfig::from_args(global)?;
    let pool = open(&storage)?;
    let started = std::time::Instant::now();
    let seeded = with_conn(&pool, |conn| crate::seed::seed(conn, posts as usize, force))?;
    println!(
        "Seeded {} posts by {} authors with {} tags in {:.1} s.",
        seeded.posts,
        seeded.authors,
        seeded.tags,
        started.elapsed().as_secs_f64()
    );
    let [common, rarer] = &seeded.search_terms;
    println!("Search terms to try: {common} (in most posts), {rarer} (in fewer).");
    Ok(())
}

pub fn user(global: &GlobalArgs, command: UserCommand) -> Result<(), String> {
    let storage = StorageConfig::from_args(global)?;
    match command {
        UserCommand::Create {
            email,
            name,
            role,
            password_stdin,
        } => create_user(&storage, &email, &name, role, password_stdin),
        UserCommand::List => list_users(&storage),
        UserCommand::ResetPassword {
            email,
            password_stdin,
            link: false,
            ..
        } => reset_password(&storage, &email, password_stdin),
        UserCommand::ResetPassword {
            email,
            base_url,
            link: true,
            ..
        } => print_reset_link(&storage, &email, &base_url),
        UserCommand::ResetTwoFactor { email } => reset_two_factor(&storage, &email),
    }
}

fn reset_two_factor(storage: &StorageConfig, email: &str) -> Result<(), String> {
    let email = Email::parse(email)?;
    let pool = open(storage)?;
    let user = with_conn(&pool, |conn| Ok(users::find_by_email(conn, &email)?))?
        .ok_or_else(|| format!("there is no account with the email {email}"))?;
    let was_on = with_conn(&pool, |conn| {
        crate::store::two_factor::disable(conn, user.id, None, "two_factor.reset", "command line")
    })?;
    if was_on {
        println!(
            "Turned two-factor sign-in off for {}; their sessions have ended. They can set it up again under Profile.",
            user.email
        );
    } else {
        println!(
            "{} does not use two-factor sign-in; nothing changed.",
            user.email
        );
    }
    Ok(())
}

fn create_user(
    storage: &StorageConfig,
    email: &str,
    name: &str,
    role: Role,
    password_stdin: bool,
) -> Result<(), String> {
    let email = Email::parse(email)?;
    let name = name.trim();
    if name.is_empty() {
        return Err("--name must not be empty".into());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!("--name has at most {MAX_NAME_CHARS} characters"));
    }
    let pool = open(storage)?;
    let password_hash = new_password_hash(password_stdin)?;
    let user = with_conn(&pool, |conn| {
        db::write_transaction(conn, |conn| {
            users::create(
                conn,
                &NewUser {
                    email: &email,
                    display_name: name,
                    password_hash: Some(&password_hash),
                    role,
                },
            )
        })
    })?;
    println!(
        "Created {} {} <{}>.",
        user.role, user.display_name, user.email
    );
    Ok(())
}

fn list_users(storage: &StorageConfig) -> Result<(), String> {
    let pool = open(storage)?;
    let all = with_conn(&pool, |conn| Ok(users::list(conn)?))?;
    if all.is_empty() {
        println!(
            "No users yet. Open the setup link that `folio serve` prints, or run `folio user create`."
        );
        return Ok(());
    }
    println!(
        "{:<5} {:<32} {:<24} {:<12} {:<9} LAST LOGIN (UTC)",
        "ID", "EMAIL", "NAME", "ROLE", "STATUS"
    );
    for user in all {
        let last_login = user.last_login_at.map_or_else(
            || "never".to_owned(),
            |at| at.format("%Y-%m-%d %H:%M").to_string(),
        );
        println!(
            "{:<5} {:<32} {:<24} {:<12} {:<9} {}",
            user.id, user.email, user.display_name, user.role, user.status, last_login
        );
    }
    Ok(())
}

fn reset_password(
    storage: &StorageConfig,
    email: &str,
    password_stdin: bool,
) -> Result<(), String> {
    let email = Email::parse(email)?;
    let pool = open(storage)?;
    let user = with_conn(&pool, |conn| Ok(users::find_by_email(conn, &email)?))?
        .ok_or_else(|| format!("there is no account with the email {email}"))?;
    let password_hash = new_password_hash(password_stdin)?;
    with_conn(&pool, |conn| {
        Ok(users::set_password(conn, user.id, &password_hash)?)
    })?;
    println!(
        "Changed the password of {}; their sessions have ended.",
        user.email
    );
    Ok(())
}

fn print_reset_link(storage: &StorageConfig, email: &str, base_url: &str) -> Result<(), String> {
    let base_url =
        crate::config::parse_base_url(base_url).map_err(|e| format!("--base-url: {e}"))?;
    let email = Email::parse(email)?;
    let pool = open(storage)?;
    let user = with_conn(&pool, |conn| Ok(users::find_by_email(conn, &email)?))?
        .ok_or_else(|| format!("there is no account with the email {email}"))?;
    let token = with_conn(&pool, |conn| {
        password_resets::create_link(
            conn,
            &ResetLink {
                user_id: user.id,
                email: &user.email,
                created_by: None,
                address: Some("command line"),
            },
        )
    })?;
    let mut link = base_url.join("/admin/reset").map_err(|e| e.to_string())?;
    link.query_pairs_mut().append_pair("token", &token);
    println!(
        "Password reset link for {} (one use, valid 7 days):\n{link}",
        user.email
    );
    Ok(())
}

fn open(storage: &StorageConfig) -> Result<DbPool, String> {
    state::open_database(storage, 1).map(|(pool, _)| pool)
}

fn with_conn<T>(
    pool: &DbPool,
    f: impl FnOnce(&mut DbConnection) -> Result<T, AppError>,
) -> Result<T, String> {
    let mut conn = pool
        .get()
        .map_err(|e| format!("cannot reach the database: {e}"))?;
    f(&mut conn).map_err(|e| match e {
        AppError::Conflict(message) => message,
        other => other.detailed(),
    })
}

/// Reads and checks a new password (from stdin or two prompts) and hashes it.
fn new_password_hash(from_stdin: bool) -> Result<String, String> {
    let (password, confirmation) = if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
        let password = line.trim_end_matches(['\r', '\n']).to_owned();
        if password.is_empty() {
            return Err("no password on standard input".into());
        }
        (password.clone(), password)
    } else if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
        let second = rpassword::prompt_password("Password again: ").map_err(|e| e.to_string())?;
        (first, second)
    } else {
        return Err(
            "standard input is not a terminal, so the password can't be prompted for: pipe it and pass --password-stdin".into(),
        );
    };
    password::validate_new(&password, &confirmation)?;
    password::hash(&password).map_err(|e| format!("cannot hash the password: {e}"))
}
