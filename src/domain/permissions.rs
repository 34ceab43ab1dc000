//! Who may do what: the roles table of DESIGN.md as one function of (role, action,
//! ownership). Handlers ask [`can`] (or [`require`]) before acting; templates ask it to
//! hide what the user can't do. Roles are cumulative — each can do everything the one
//! below it can — so every right is "at least this role".

use super::Role;

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
