//! How long the text people type may be, for the fields no richer type holds (post fields
//! are in `post`, the site's settings in `site`). The forms, `folio user create` and the
//! importers (WordPress, archives) check the same numbers.

/// A display name: setup, profile, invitations, the CLI, imported authors.
pub const MAX_NAME_CHARS: usize = 100;
/// An author's bio.
pub const MAX_BIO_CHARS: usize = 2_000;
/// A tag's description.
pub const MAX_TAG_DESCRIPTION_CHARS: usize = 1_000;
/// A media file's alt text.
pub const MAX_ALT_CHARS: usize = 500;
/// A media file's caption.
pub const MAX_CAPTION_CHARS: usize = 2_000;
