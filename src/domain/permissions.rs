//! Who may do what: the roles table of DESIGN.md as one function of (role, action,
//! ownership). Handlers ask [`can`] (or [`require`]) before acting; templates ask it to
//! hide what the user can't do. Roles are cumulative — each can do everything the one
//! below it can — so every right is "at least this role".

use std::fmt;

use super::Role;
use super::post::{Kind, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Write and edit drafts; submit them for review.
    WriteDraft,
    /// Publish, schedule, unpublish; edit a published post.
    Publish,
    /// Move a post to the trash.
    DeletePost,
    /// Manage pages (as opposed to posts).
    ManagePages,
    ManageTags,
    SeeReviewQueue,
    UploadMedia,
    /// Edit a media item's alt text and caption.
    EditMedia,
    DeleteMedia,
    /// See the users page.
    ListUsers,
    /// Invite someone as a contributor or an author.
    InviteContributorOrAuthor,
    /// Invite editors and admins; change roles; disable, enable, delete users; reset links.
    ManageUsers,
    ManageSettings,
    ViewAuditLog,
    ExportAndBackup,
    /// Bring in another site's content (a WordPress export).
    ImportContent,
}

/// Whose thing the action touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ownership {
    Own,
    Others,
    /// Site-wide actions with no single owner (settings, users, tags …).
    Site,
}

/// The least role that may perform `action` on something of `ownership`.
pub fn required_role(action: Action, ownership: Ownership) -> Role {
    use Action::*;
    match (action, ownership) {
        (WriteDraft | DeletePost, Ownership::Own) => Role::Contributor,
        (Publish, Ownership::Own) => Role::Author,
        (WriteDraft | Publish | DeletePost, _) => Role::Editor,
        (UploadMedia, _) => Role::Contributor,
        (EditMedia | DeleteMedia, Ownership::Own) => Role::Contributor,
        (EditMedia | DeleteMedia, _) => Role::Editor,
        (ManagePages | ManageTags | SeeReviewQueue, _) => Role::Editor,
        (ListUsers | InviteContributorOrAuthor, _) => Role::Editor,
        (ManageUsers | ManageSettings | ViewAuditLog | ExportAndBackup | ImportContent, _) => {
            Role::Admin
        }
    }
}

pub fn can(role: Role, action: Action, ownership: Ownership) -> bool {
    role >= required_role(action, ownership)
}

/// Who may be invited with `role` by someone with `inviter`'s role.
pub fn may_invite(inviter: Role, role: Role) -> bool {
    match role {
        Role::Contributor | Role::Author => {
            can(inviter, Action::InviteContributorOrAuthor, Ownership::Site)
        }
        Role::Editor | Role::Admin => can(inviter, Action::ManageUsers, Ownership::Site),
    }
}

/// Whether a post or page is listed to someone outside the public site (e.g. under a
/// file's "Used by"): what the public can see, and what they may open in the editor —
/// never the title of someone else's draft they could not open.
pub fn may_see_post(role: Role, ownership: Ownership, is_page: bool, is_public: bool) -> bool {
    is_public
        || if is_page {
            can(role, Action::ManagePages, Ownership::Site)
        } else {
            can(role, Action::WriteDraft, ownership)
        }
}

/// Whether someone with `inviter`'s role may withdraw or replace a pending invitation
/// for `invited` (`None` when the stored role can't be read: treated as admin). Only what
/// one could have created oneself; re-inviting the same address replaces, so the same
/// rule guards both.
pub fn may_withdraw_invitation(inviter: Role, invited: Option<Role>) -> bool {
    may_invite(inviter, invited.unwrap_or(Role::Admin))
}

/// Whose a thing is to `actor`: their own when they are its owner (a thing whose owner
/// was deleted belongs to nobody, so it is someone else's).
pub fn ownership(actor: i32, owner: Option<i32>) -> Ownership {
    if owner == Some(actor) {
        Ownership::Own
    } else {
        Ownership::Others
    }
}

/// A right that was refused: what was asked, on whose thing. Shown as [`refusal`]'s
/// sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub action: Action,
    pub ownership: Ownership,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&refusal(self.action, self.ownership))
    }
}

impl std::error::Error for Refusal {}

/// [`can`], as a result that says what was refused.
pub fn require(role: Role, action: Action, ownership: Ownership) -> Result<(), Refusal> {
    if can(role, action, ownership) {
        Ok(())
    } else {
        Err(Refusal { action, ownership })
    }
}

// ---------------------------------------------------------------- posts and pages

/// Who asks: a signed-in user's id and role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub id: i32,
    pub role: Role,
}

/// A saved post or page as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostFacts {
    pub kind: Kind,
    pub author_id: i32,
    pub status: Status,
    pub published_at: Option<chrono::NaiveDateTime>,
}

impl PostFacts {
    fn ownership(&self, actor: Actor) -> Ownership {
        ownership(actor.id, Some(self.author_id))
    }
}

/// May `actor` start a new post or page?
pub fn require_create(actor: Actor, kind: Kind) -> Result<(), Refusal> {
    match kind {
        Kind::Post => require(actor.role, Action::WriteDraft, Ownership::Own),
        Kind::Page => require(actor.role, Action::ManagePages, Ownership::Site),
    }
}

/// May `actor` open this post in the editor and save its content (and its history,
/// autosave and preview links)?
pub fn require_edit(actor: Actor, post: &PostFacts) -> Result<(), Refusal> {
    if post.kind == Kind::Page {
        return require(actor.role, Action::ManagePages, Ownership::Site);
    }
    let own = post.ownership(actor);
    match (own, post.status) {
        // Changing what the public already sees is a publishing right.
        (Ownership::Own, Status::Published) => require(actor.role, Action::Publish, own),
        _ => require(actor.role, Action::WriteDraft, own),
    }
}

/// May `actor` publish, schedule or unpublish this post (`None`: one they are writing)?
pub fn require_publish(actor: Actor, post: Option<&PostFacts>, kind: Kind) -> Result<(), Refusal> {
    if kind == Kind::Page {
        return require(actor.role, Action::ManagePages, Ownership::Site);
    }
    let own = post.map_or(Ownership::Own, |p| p.ownership(actor));
    require(actor.role, Action::Publish, own)
}

/// May `actor` move this post to the trash?
pub fn require_trash(actor: Actor, post: &PostFacts) -> Result<(), Refusal> {
    if post.kind == Kind::Page {
        return require(actor.role, Action::ManagePages, Ownership::Site);
    }
    let own = post.ownership(actor);
    if own == Ownership::Own && post.status == Status::Published {
        return require(actor.role, Action::Publish, own);
    }
    require(actor.role, Action::DeletePost, own)
}

/// May `actor` see the trash, restore from it and empty it?
pub fn require_manage_trash(actor: Actor) -> Result<(), Refusal> {
    require(actor.role, Action::DeletePost, Ownership::Others)
}

/// Whose posts the admin lists show `actor`: everyone's (`None`) to those who may edit
/// others' drafts, their own to everyone else.
pub fn list_scope(actor: Actor) -> Option<i32> {
    (!can(actor.role, Action::WriteDraft, Ownership::Others)).then_some(actor.id)
}

/// The sentence a 403 page shows.
pub fn refusal(action: Action, ownership: Ownership) -> String {
    let role = required_role(action, ownership);
    let article = if role.as_str().starts_with(['a', 'e']) {
        "an"
    } else {
        "a"
    };
    if role == Role::Admin {
        format!("This needs {article} {role} account.")
    } else {
        format!("This needs {article} {role} account or higher.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;
    use Ownership::*;
    use Role::*;

    /// DESIGN.md's roles table, row by row: (action, ownership, [contributor, author, editor, admin]).
    const TABLE: &[(Action, Ownership, [bool; 4])] = &[
        (WriteDraft, Own, [true, true, true, true]),
        (Publish, Own, [false, true, true, true]),
        (WriteDraft, Others, [false, false, true, true]),
        (Publish, Others, [false, false, true, true]),
        (DeletePost, Others, [false, false, true, true]),
        (ManagePages, Site, [false, false, true, true]),
        (ManageTags, Site, [false, false, true, true]),
        (SeeReviewQueue, Site, [false, false, true, true]),
        (UploadMedia, Own, [true, true, true, true]),
        (EditMedia, Own, [true, true, true, true]),
        (DeleteMedia, Own, [true, true, true, true]),
        (DeleteMedia, Others, [false, false, true, true]),
        (InviteContributorOrAuthor, Site, [false, false, true, true]),
        (ManageUsers, Site, [false, false, false, true]),
        (ManageSettings, Site, [false, false, false, true]),
        (ViewAuditLog, Site, [false, false, false, true]),
        (ExportAndBackup, Site, [false, false, false, true]),
        (ImportContent, Site, [false, false, false, true]),
    ];

    #[test]
    fn rights_follow_the_design_roles_table() {
        for (action, ownership, expected) in TABLE {
            for (role, allowed) in Role::ALL.iter().zip(expected) {
                assert_eq!(
                    can(*role, *action, *ownership),
                    *allowed,
                    "{role} {action:?} {ownership:?}"
                );
            }
        }
    }

    #[test]
    fn editors_invite_only_contributors_and_authors() {
        assert!(may_invite(Editor, Contributor));
        assert!(may_invite(Editor, Author));
        assert!(!may_invite(Editor, Editor));
        assert!(!may_invite(Editor, Admin));
        assert!(may_invite(Admin, Admin));
        assert!(!may_invite(Author, Contributor));
    }

    #[test]
    fn posts_are_listed_to_those_who_may_open_them_or_when_public() {
        // (role, ownership, page?, public?) → listed?
        for (role, own, page, public, listed) in [
            (Contributor, Others, false, false, false),
            (Contributor, Others, false, true, true),
            (Contributor, Own, false, false, true),
            (Author, Others, false, false, false),
            (Author, Own, true, false, false),
            (Author, Others, true, true, true),
            (Editor, Others, false, false, true),
            (Editor, Others, true, false, true),
            (Admin, Others, false, false, true),
        ] {
            assert_eq!(
                may_see_post(role, own, page, public),
                listed,
                "{role} {own:?} page={page} public={public}"
            );
        }
    }

    #[test]
    fn editors_withdraw_only_what_they_could_have_made() {
        assert!(may_withdraw_invitation(Editor, Some(Contributor)));
        assert!(may_withdraw_invitation(Editor, Some(Author)));
        assert!(!may_withdraw_invitation(Editor, Some(Editor)));
        assert!(!may_withdraw_invitation(Editor, Some(Admin)));
        assert!(!may_withdraw_invitation(Editor, None));
        assert!(may_withdraw_invitation(Admin, None));
        assert!(!may_withdraw_invitation(Author, Some(Contributor)));
    }

    /// Which post rule a row of [`POST_RULES`] asks.
    #[derive(Debug, Clone, Copy)]
    enum Rule {
        Create,
        Edit,
        /// Publish a saved post.
        Publish,
        /// Publish a post that is being written (not saved yet).
        PublishNew,
        Trash,
    }

    /// (rule, kind, whose, status) → the least role allowed, for every combination.
    const POST_RULES: &[(Rule, Kind, Ownership, Status, Role)] = &[
        (Rule::Create, Kind::Post, Own, Status::Draft, Contributor),
        (Rule::Create, Kind::Page, Own, Status::Draft, Editor),
        (Rule::Edit, Kind::Post, Own, Status::Draft, Contributor),
        (Rule::Edit, Kind::Post, Own, Status::Pending, Contributor),
        (Rule::Edit, Kind::Post, Own, Status::Published, Author),
        (Rule::Edit, Kind::Post, Others, Status::Draft, Editor),
        (Rule::Edit, Kind::Post, Others, Status::Pending, Editor),
        (Rule::Edit, Kind::Post, Others, Status::Published, Editor),
        (Rule::Edit, Kind::Page, Own, Status::Draft, Editor),
        (Rule::Edit, Kind::Page, Own, Status::Published, Editor),
        (Rule::Edit, Kind::Page, Others, Status::Pending, Editor),
        (Rule::Publish, Kind::Post, Own, Status::Draft, Author),
        (Rule::Publish, Kind::Post, Own, Status::Pending, Author),
        (Rule::Publish, Kind::Post, Own, Status::Published, Author),
        (Rule::Publish, Kind::Post, Others, Status::Draft, Editor),
        (Rule::Publish, Kind::Post, Others, Status::Pending, Editor),
        (Rule::Publish, Kind::Post, Others, Status::Published, Editor),
        (Rule::Publish, Kind::Page, Own, Status::Draft, Editor),
        (Rule::Publish, Kind::Page, Others, Status::Published, Editor),
        (Rule::PublishNew, Kind::Post, Own, Status::Draft, Author),
        (Rule::PublishNew, Kind::Page, Own, Status::Draft, Editor),
        (Rule::Trash, Kind::Post, Own, Status::Draft, Contributor),
        (Rule::Trash, Kind::Post, Own, Status::Pending, Contributor),
        (Rule::Trash, Kind::Post, Own, Status::Published, Author),
        (Rule::Trash, Kind::Post, Others, Status::Draft, Editor),
        (Rule::Trash, Kind::Post, Others, Status::Pending, Editor),
        (Rule::Trash, Kind::Post, Others, Status::Published, Editor),
        (Rule::Trash, Kind::Page, Own, Status::Draft, Editor),
        (Rule::Trash, Kind::Page, Others, Status::Published, Editor),
    ];

    fn ask(rule: Rule, actor: Actor, post: &PostFacts) -> Result<(), Refusal> {
        match rule {
            Rule::Create => require_create(actor, post.kind),
            Rule::Edit => require_edit(actor, post),
            Rule::Publish => require_publish(actor, Some(post), post.kind),
            Rule::PublishNew => require_publish(actor, None, post.kind),
            Rule::Trash => require_trash(actor, post),
        }
    }

    #[test]
    fn post_rules_follow_role_ownership_kind_and_status() {
        const ME: i32 = 7;
        for &(rule, kind, whose, status, least) in POST_RULES {
            let post = PostFacts {
                kind,
                author_id: if whose == Own { ME } else { ME + 1 },
                status,
                published_at: None,
            };
            for role in Role::ALL {
                let answer = ask(rule, Actor { id: ME, role }, &post);
                let case = format!("{role} {rule:?} {kind:?} {whose:?} {status:?}");
                if role >= least {
                    assert_eq!(answer, Ok(()), "{case}");
                } else {
                    let refused = answer.expect_err(&case);
                    assert_eq!(
                        required_role(refused.action, refused.ownership),
                        least,
                        "{case}"
                    );
                    assert_eq!(
                        refused.to_string(),
                        format!(
                            "This needs {} {least} account or higher.",
                            if least == Author || least == Editor {
                                "an"
                            } else {
                                "a"
                            }
                        ),
                        "{case}"
                    );
                }
            }
        }
    }

    #[test]
    fn ownership_is_being_the_owner() {
        assert_eq!(ownership(3, Some(3)), Own);
        assert_eq!(ownership(3, Some(4)), Others);
        assert_eq!(ownership(3, None), Others, "an owner who was deleted");
    }

    #[test]
    fn lists_show_editors_everyone_and_others_their_own() {
        for (role, scope) in [
            (Contributor, Some(5)),
            (Author, Some(5)),
            (Editor, None),
            (Admin, None),
        ] {
            assert_eq!(list_scope(Actor { id: 5, role }), scope, "{role}");
        }
    }

    #[test]
    fn only_editors_manage_the_trash() {
        for role in Role::ALL {
            assert_eq!(
                require_manage_trash(Actor { id: 1, role }).is_ok(),
                role >= Editor,
                "{role}"
            );
        }
    }

    #[test]
    fn refusals_name_the_role_needed() {
        assert_eq!(refusal(ManageUsers, Site), "This needs an admin account.");
        assert_eq!(
            refusal(SeeReviewQueue, Site),
            "This needs an editor account or higher."
        );
        assert_eq!(
            refusal(UploadMedia, Own),
            "This needs a contributor account or higher."
        );
    }
}
