//! Outgoing mail: the messages Folio writes ([`Letter`], in plain text with a simple HTML
//! alternative), sending one over SMTP ([`send`], with lettre), and the job that sends a
//! queued one (`store::outbox`, run by `jobs`). Requests only queue; nothing here runs
//! on a request's thread. A message never contains a password.

use std::time::Duration;

use askama::Template;
use lettre::message::{Mailbox, MultiPart};
use lettre::{Message, SmtpTransport, Transport};

use crate::config::MailSettings;
use crate::db::DbConnection;
use crate::store::jobs::{self, Claim, Job};
use crate::store::outbox::{self, Outgoing};

/// How long one SMTP conversation may take before the attempt counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// A message in Folio's one layout: a greeting, paragraphs, at most one button-like link
/// (also written out in full), and a footer naming the site.
#[derive(Template)]
#[template(path = "mail/letter.txt")]
struct PlainLetter<'a> {
    letter: &'a Letter,
}

#[derive(Template)]
#[template(path = "mail/letter.html")]
struct HtmlLetter<'a> {
    letter: &'a Letter,
}

#[derive(Debug, Clone)]
pub struct Letter {
    pub site: String,
    pub subject: String,
    pub paragraphs: Vec<String>,
    /// The link to follow: (what it does, URL).
    pub action: Option<(String, String)>,
    /// Said after the link (e.g. how long it works).
    pub after: Vec<String>,
}

impl Letter {
    /// The message to queue for `to`.
    pub fn to(&self, to: &str) -> Result<Outgoing, askama::Error> {
        Ok(Outgoing {
            to: to.to_owned(),
            subject: self.subject.clone(),
            text: PlainLetter { letter: self }.render()?,
            html: HtmlLetter { letter: self }.render()?,
        })
    }
}

/// "Choose a new password" for someone who asked on the login page.
pub fn password_reset(site: &str, link: &str) -> Letter {
    Letter {
        site: site.to_owned(),
        subject: format!("Choose a new password for {site}"),
        paragraphs: vec![format!(
            "Someone, probably you, asked to reset the password of your account on {site}."
        )],
        action: Some(("Choose a new password".into(), link.to_owned())),
        after: vec![
            "The link works once, within one hour. Using it ends your account's other sessions."
                .into(),
            "If you did not ask for this, ignore this message: your password stays as it is."
                .into(),
        ],
    }
}

/// An invitation to make an account.
pub fn invitation(site: &str, inviter: &str, role: &str, link: &str) -> Letter {
    Letter {
        site: site.to_owned(),
        subject: format!("{inviter} invited you to {site}"),
        paragraphs: vec![format!(
            "{inviter} invited you to write for {site} as {role}."
        )],
        action: Some(("Accept the invitation".into(), link.to_owned())),
        after: vec![
            "The link works once, within 7 days: it lets you choose your name and password.".into(),
        ],
    }
}

/// What `folio mail test` sends.
pub fn test(site: &str) -> Letter {
    Letter {
        site: site.to_owned(),
        subject: format!("Test message from {site}"),
        paragraphs: vec![
            format!("This is a test message from {site}: its mail settings work."),
            "Nothing needs doing.".into(),
        ],
        action: None,
        after: Vec::new(),
    }
}

/// "Please review": to an editor, when someone submits a post.
pub fn review_request(site: &str, who: &str, title: &str, link: &str, profile: &str) -> Letter {
    Letter {
        site: site.to_owned(),
        subject: format!("Review requested: {title}"),
        paragraphs: vec![format!("{who} submitted “{title}” for review on {site}.")],
        action: Some(("Open it in the editor".into(), link.to_owned())),
        after: vec![format!(
            "You get this as an editor of {site}. Turn these mails off on your profile: {profile}"
        )],
    }
}

/// "Your post is live": to its author, when someone else publishes it.
pub fn published(site: &str, who: &str, title: &str, link: &str, profile: &str) -> Letter {
    Letter {
        site: site.to_owned(),
        subject: format!("Published: {title}"),
        paragraphs: vec![format!("{who} published your post “{title}” on {site}.")],
        action: Some(("Read it on the site".into(), link.to_owned())),
        after: vec![format!("Turn these mails off on your profile: {profile}")],
    }
}

/// A post changed hands: what the mails about it need to know.
pub struct PostEvent {
    pub post_id: i32,
    pub title: String,
    pub slug: String,
    pub author_id: i32,
    /// Who made the change, and their name.
    pub actor_id: i32,
    pub actor_name: String,
    pub submitted: bool,
    pub published: bool,
}

/// After a save: mails editors about a review request, or the author about their post's
/// publication by someone else, as each wants (`store::notifications`). Only queues; a
/// failure is logged, never the save's.
pub async fn after_post_change(state: &crate::state::AppState, event: PostEvent) {
    if state.mail.is_none() || !(event.submitted || event.published) {
        return;
    }
    let site = match state.settings.get(&state.pool).await {
        Ok(site) => site.settings.title.clone(),
        Err(e) => {
            tracing::warn!(error = %e.detailed(), "no notification mail: no site settings");
            return;
        }
    };
    let base = state.base_url.clone();
    let join = move |path: &str| base.join(path).map(String::from).unwrap_or_default();
    let profile = join("/admin/profile");
    let queued = crate::db::run(&state.pool, move |conn| {
        use crate::store::notifications;
        let title = if event.title.is_empty() {
            "Untitled".to_owned()
        } else {
            event.title.clone()
        };
        let mut messages = Vec::new();
        if event.submitted {
            let link = join(&format!("/admin/posts/{}/edit", event.post_id));
            let letter = review_request(&site, &event.actor_name, &title, &link, &profile);
            for (email, _) in notifications::reviewers(conn, event.actor_id)? {
                messages.push(letter.to(&email)?);
            }
        }
        if event.published
            && event.author_id != event.actor_id
            && let Some((email, _)) = notifications::author_to_tell(conn, event.author_id)?
        {
            let link = join(&format!("/{}", event.slug));
            messages.push(published(&site, &event.actor_name, &title, &link, &profile).to(&email)?);
        }
        let count = messages.len();
        crate::db::write_transaction(conn, |conn| {
            for message in &messages {
                outbox::queue(conn, message, Some(event.actor_id))?;
            }
            Ok::<_, crate::error::AppError>(())
        })?;
        Ok(count)
    })
    .await;
    match queued {
        Ok(0) => {}
        Ok(_) => state.jobs.wake.notify_one(),
        Err(e) => tracing::warn!(error = %e.detailed(), "cannot queue notification mail"),
    }
}

/// Why a message did not go out.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The server's answer, or why it could not be reached.
    pub message: String,
    /// The server refused for good (a 5xx answer, a bad address): trying again won't help.
    pub permanent: bool,
}

/// Sends one message now and returns the server's answer (e.g. `250 OK queued as …`).
pub fn send(settings: &MailSettings, message: &Outgoing) -> Result<String, Failure> {
    let permanent = |message: String| Failure {
        message,
        permanent: true,
    };
    let to = message
        .to
        .parse::<Mailbox>()
        .map_err(|e| permanent(format!("`{}` is not an address: {e}", message.to)))?;
    let email = Message::builder()
        .from(settings.from.clone())
        .to(to)
        .subject(message.subject.as_str())
        .multipart(MultiPart::alternative_plain_html(
            message.text.clone(),
            message.html.clone(),
        ))
        .map_err(|e| permanent(format!("cannot build the message: {e}")))?;
    let transport = SmtpTransport::from_url(&settings.smtp_url)
        .map_err(|e| permanent(format!("FOLIO_SMTP_URL: {e}")))?
        .timeout(Some(SMTP_TIMEOUT))
        .build();
    match transport.send(&email) {
        Ok(response) => {
            let text: Vec<&str> = response.message().collect();
            Ok(format!("{} {}", response.code(), text.join(" "))
                .trim()
                .to_owned())
        }
        Err(e) => Err(Failure {
            message: describe(&e, settings),
            permanent: e.is_permanent(),
        }),
    }
}

/// lettre's error with its causes ("Connection error: Connection refused (os error 111)").
fn describe(error: &lettre::transport::smtp::Error, settings: &MailSettings) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    format!("{text} (server {})", settings.server())
}

/// What running a mail job came to.
pub enum Outcome {
    Done,
    Failed { message: String, retry: bool },
}

/// Sends a queued message (a job of kind `outbox::KIND`) and records the answer.
pub fn run(
    conn: &mut DbConnection,
    settings: Option<&MailSettings>,
    job: &Job,
    claim: &Claim,
) -> Outcome {
    let message = match outbox::message(job) {
        Ok(message) => message,
        Err(message) => {
            return Outcome::Failed {
                message,
                retry: false,
            };
        }
    };
    let Some(settings) = settings else {
        // Another node (or this one after a restart) may have the settings.
        return Outcome::Failed {
            message: "this server has no mail settings (FOLIO_SMTP_URL, FOLIO_MAIL_FROM)".into(),
            retry: true,
        };
    };
    match send(settings, &message) {
        Ok(answer) => {
            tracing::info!(job = job.id, to = %message.to, %answer, "mail sent");
            match outbox::sent(conn, claim, &message, &answer, jobs::now()) {
                Ok(_) => Outcome::Done,
                Err(e) => {
                    // Sent, but not recorded: better a second copy than none.
                    Outcome::Failed {
                        message: format!("sent ({answer}) but not recorded: {e}"),
                        retry: true,
                    }
                }
            }
        }
        Err(failure) => Outcome::Failed {
            message: failure.message,
            retry: !failure.permanent,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_name_the_site_and_escape_it_in_html() {
        let letter = password_reset(
            "Tom & Jerry's <blog>",
            "https://example.org/admin/reset?token=abc&x=1",
        );
        let message = letter.to("ada@example.org").unwrap();
        assert_eq!(
            message.subject,
            "Choose a new password for Tom & Jerry's <blog>"
        );
        assert!(
            message.text.contains("Tom & Jerry's <blog>"),
            "{}",
            message.text
        );
        assert!(
            message
                .text
                .contains("https://example.org/admin/reset?token=abc&x=1")
        );
        assert!(!message.html.contains("<blog>"), "{}", message.html);
        assert!(
            message
                .html
                .contains("href=\"https://example.org/admin/reset?token=abc&#38;x=1\"")
                || message
                    .html
                    .contains("href=\"https://example.org/admin/reset?token=abc&amp;x=1\""),
            "{}",
            message.html
        );
        assert!(message.html.contains("one hour"));
    }
}
