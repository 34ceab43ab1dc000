//! What an editor's button does to a post: one pure function of (the action, the post as
//! it stands, who asks, now) that gives the post's next status and publication time, or
//! the refusal the user sees. The editor, the autosave and (next) the API all ask it.

use chrono::NaiveDateTime;

use super::permissions::{self, Actor, PostFacts, Refusal};
use super::post::{Kind, Status};

/// The editor's buttons that save (its "preview" button saves nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditorAction {
    /// Save the text; the status stays, except that a draft stays a draft.
    Save,
    /// Ask an editor to review it.
    Submit,
    /// Publish now (a post already public keeps its publication time).
    Publish,
    /// Publish at this time (`None`: the time typed couldn't be read; the form says why).
    Schedule(Option<NaiveDateTime>),
    /// Back to draft.
    Unpublish,
}

/// A post's status and publication time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Publication {
    pub status: Status,
    pub published_at: Option<NaiveDateTime>,
}

impl Publication {
    pub const DRAFT: Publication = Publication {
        status: Status::Draft,
        published_at: None,
    };
}

/// What a save did, as the user is told (and the audit log records).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Saved as a draft, or still pending review.
    Saved,
    /// A published (or scheduled) post's content changed.
    Updated,
    Submitted,
    Published,
    /// Scheduled for a time that had passed, so published now.
    PublishedAsTimePassed,
    Scheduled(NaiveDateTime),
    Unpublished,
    /// Nothing decided: the schedule's time couldn't be read.
    Undecided,
}

impl Change {
    /// Whether the post must have a title for this (what goes out to reviewers or the
    /// public needs one).
    pub fn needs_title(self) -> bool {
        matches!(
            self,
            Change::Submitted
                | Change::Published
                | Change::PublishedAsTimePassed
                | Change::Scheduled(_)
        )
    }

    /// The audit log's name for a change of who may see the post (`post.published`,
    /// `page.unpublished` …); `None` for saves that leave that as it was.
    pub fn audit_action(self, kind: Kind) -> Option<String> {
        let verb = match self {
            Change::Submitted => "submitted",
            Change::Published | Change::PublishedAsTimePassed => "published",
            Change::Scheduled(_) => "scheduled",
            Change::Unpublished => "unpublished",
            Change::Saved | Change::Updated | Change::Undecided => return None,
        };
        Some(format!("{}.{verb}", kind.as_str()))
    }
}

/// The outcome of an allowed action: the post's next status and publication time, and
/// what to tell the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub publication: Publication,
    pub change: Change,
}

/// What `action` does to `post` (`None`: a new post of `kind`) when `actor` asks at
/// `now`, or why they may not. Editing (or creating) is checked first, then the
/// publishing right for the buttons that need it.
pub fn decide(
    action: EditorAction,
    post: Option<&PostFacts>,
    kind: Kind,
    actor: Actor,
    now: NaiveDateTime,
) -> Result<Transition, Refusal> {
    match post {
        Some(post) => permissions::require_edit(actor, post)?,
        None => permissions::require_create(actor, kind)?,
    }
    if matches!(
        action,
        EditorAction::Publish | EditorAction::Schedule(_) | EditorAction::Unpublish
    ) {
        permissions::require_publish(actor, post, kind)?;
    }
    let current = post.map(|p| Publication {
        status: p.status,
        published_at: p.published_at,
    });
    let to = |status, published_at, change| Transition {
        publication: Publication {
            status,
            published_at,
        },
        change,
    };
    Ok(match action {
        EditorAction::Save => match current {
            Some(
                now_is @ Publication {
                    status: Status::Published,
                    ..
                },
            ) => Transition {
                publication: now_is,
                change: Change::Updated,
            },
            Some(
                now_is @ Publication {
                    status: Status::Pending,
                    ..
                },
            ) => Transition {
                publication: now_is,
                change: Change::Saved,
            },
            _ => to(Status::Draft, None, Change::Saved),
        },
        EditorAction::Submit => to(Status::Pending, None, Change::Submitted),
        EditorAction::Publish => publish_now(current, now, Change::Published),
        EditorAction::Schedule(Some(at)) if at <= now => {
            publish_now(current, now, Change::PublishedAsTimePassed)
        }
        EditorAction::Schedule(Some(at)) => to(Status::Published, Some(at), Change::Scheduled(at)),
        EditorAction::Schedule(None) => Transition {
            publication: current.unwrap_or(Publication::DRAFT),
            change: Change::Undecided,
        },
        EditorAction::Unpublish => to(Status::Draft, None, Change::Unpublished),
    })
}

/// Published from now on, unless it already is public: then it keeps its time.
fn publish_now(current: Option<Publication>, now: NaiveDateTime, change: Change) -> Transition {
    let published_at = match current {
        Some(Publication {
            status: Status::Published,
            published_at: Some(at),
        }) if at <= now => at,
        _ => now,
    };
    Transition {
        publication: Publication {
            status: Status::Published,
            published_at: Some(published_at),
        },
        change,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Role::{self, *};
    use chrono::NaiveDate;

    const ME: i32 = 1;
    const SOMEONE: i32 = 2;

    fn at(h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 21)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
    }

    /// Now is 12:00; 9:00 is past, 15:00 to come.
    fn now() -> NaiveDateTime {
        at(12)
    }

    /// The states a post can be in: new, draft, pending, scheduled, published.
    fn states() -> [(&'static str, Option<Publication>); 5] {
        let publication = |status, published_at| Publication {
            status,
            published_at,
        };
        [
            ("new", None),
            ("draft", Some(publication(Status::Draft, None))),
            ("pending", Some(publication(Status::Pending, None))),
            (
                "scheduled",
                Some(publication(Status::Published, Some(at(15)))),
            ),
            (
                "published",
                Some(publication(Status::Published, Some(at(9)))),
            ),
        ]
    }

    fn actions() -> [EditorAction; 7] {
        [
            EditorAction::Save,
            EditorAction::Submit,
            EditorAction::Publish,
            EditorAction::Schedule(Some(at(18))),
            EditorAction::Schedule(Some(at(10))),
            EditorAction::Schedule(None),
            EditorAction::Unpublish,
        ]
    }

    /// What the action makes of the post, whoever may do it.
    fn expected(action: EditorAction, state: Option<Publication>) -> Transition {
        let publication = |status, published_at| Publication {
            status,
            published_at,
        };
        let was_public = state.is_some_and(|s| s.published_at.is_some_and(|t| t <= now()));
        let (publication, change) = match action {
            EditorAction::Save => match state {
                Some(s) if s.status == Status::Published => (s, Change::Updated),
                Some(s) if s.status == Status::Pending => (s, Change::Saved),
                _ => (Publication::DRAFT, Change::Saved),
            },
            EditorAction::Submit => (publication(Status::Pending, None), Change::Submitted),
            EditorAction::Publish => (
                publication(
                    Status::Published,
                    Some(if was_public { at(9) } else { now() }),
                ),
                Change::Published,
            ),
            EditorAction::Schedule(Some(time)) if time > now() => (
                publication(Status::Published, Some(time)),
                Change::Scheduled(time),
            ),
            EditorAction::Schedule(Some(_)) => (
                publication(
                    Status::Published,
                    Some(if was_public { at(9) } else { now() }),
                ),
                Change::PublishedAsTimePassed,
            ),
            EditorAction::Schedule(None) => {
                (state.unwrap_or(Publication::DRAFT), Change::Undecided)
            }
            EditorAction::Unpublish => (Publication::DRAFT, Change::Unpublished),
        };
        Transition {
            publication,
            change,
        }
    }

    /// The least role that may do `action` to a post (`own` or someone else's) in
    /// `state`, and the role the refusal names below it.
    fn least_role(action: EditorAction, kind: Kind, own: bool, state: &str) -> Role {
        let publishes = !matches!(action, EditorAction::Save | EditorAction::Submit);
        match (kind, own) {
            (Kind::Page, _) | (Kind::Post, false) => Editor,
            (Kind::Post, true) if publishes || matches!(state, "scheduled" | "published") => Author,
            (Kind::Post, true) => Contributor,
        }
    }

    #[test]
    fn every_action_on_every_state_for_every_role() {
        for kind in [Kind::Post, Kind::Page] {
            for (name, state) in states() {
                for own in [true, false] {
                    if state.is_none() && !own {
                        continue; // a new post is always one's own
                    }
                    let facts = state.map(|s| PostFacts {
                        kind,
                        author_id: if own { ME } else { SOMEONE },
                        status: s.status,
                        published_at: s.published_at,
                    });
                    for action in actions() {
                        let least = least_role(action, kind, own, name);
                        for role in Role::ALL {
                            let case = format!("{role} {action:?} {kind:?} {name} own={own}");
                            let answer =
                                decide(action, facts.as_ref(), kind, Actor { id: ME, role }, now());
                            if role >= least {
                                assert_eq!(answer, Ok(expected(action, state)), "{case}");
                            } else {
                                let refused = answer.expect_err(&case);
                                assert_eq!(
                                    refused.to_string(),
                                    format!(
                                        "This needs {} {least} account or higher.",
                                        if least == Contributor { "a" } else { "an" }
                                    ),
                                    "{case}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn publishing_a_public_post_again_keeps_its_time() {
        let published = PostFacts {
            kind: Kind::Post,
            author_id: ME,
            status: Status::Published,
            published_at: Some(at(9)),
        };
        let editor = Actor {
            id: ME,
            role: Editor,
        };
        let again = decide(
            EditorAction::Publish,
            Some(&published),
            Kind::Post,
            editor,
            now(),
        );
        assert_eq!(again.unwrap().publication.published_at, Some(at(9)));
        let scheduled = PostFacts {
            published_at: Some(at(15)),
            ..published
        };
        let early = decide(
            EditorAction::Publish,
            Some(&scheduled),
            Kind::Post,
            editor,
            now(),
        );
        assert_eq!(early.unwrap().publication.published_at, Some(now()));
    }

    #[test]
    fn what_goes_out_needs_a_title_and_changes_of_audience_are_audited() {
        for (change, needs_title, audited) in [
            (Change::Saved, false, None),
            (Change::Updated, false, None),
            (Change::Undecided, false, None),
            (Change::Submitted, true, Some("post.submitted")),
            (Change::Published, true, Some("post.published")),
            (Change::PublishedAsTimePassed, true, Some("post.published")),
            (Change::Scheduled(at(15)), true, Some("post.scheduled")),
            (Change::Unpublished, false, Some("post.unpublished")),
        ] {
            assert_eq!(change.needs_title(), needs_title, "{change:?}");
            assert_eq!(
                change.audit_action(Kind::Post).as_deref(),
                audited,
                "{change:?}"
            );
        }
        assert_eq!(
            Change::Published.audit_action(Kind::Page).as_deref(),
            Some("page.published")
        );
    }
}
