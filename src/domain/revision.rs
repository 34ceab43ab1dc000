//! What happened at a revision of a post, as stored (`revisions.event`) and as the
//! history page says it.

use super::transition::Change;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Saved as a draft (or still pending review).
    Saved,
    /// A published or scheduled post's text changed.
    Updated,
    Submitted,
    Published,
    Scheduled,
    Unpublished,
    /// Written by the editor's autosave (the first autosave of a new post creates it).
    Autosaved,
    /// An earlier revision put back.
    Restored,
    /// Brought in by an importer (WordPress).
    Imported,
}

impl Event {
    const ALL: [Event; 9] = [
        Event::Saved,
        Event::Updated,
        Event::Submitted,
        Event::Published,
        Event::Scheduled,
        Event::Unpublished,
        Event::Autosaved,
        Event::Restored,
        Event::Imported,
    ];

    /// What the editor's transition stores as the revision's event.
    pub fn of_change(change: Change) -> Event {
        match change {
            Change::Saved | Change::Undecided => Event::Saved,
            Change::Updated => Event::Updated,
            Change::Submitted => Event::Submitted,
            Change::Published | Change::PublishedAsTimePassed => Event::Published,
            Change::Scheduled(_) => Event::Scheduled,
            Change::Unpublished => Event::Unpublished,
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Saved => "saved",
            Event::Updated => "updated",
            Event::Submitted => "submitted",
            Event::Published => "published",
            Event::Scheduled => "scheduled",
            Event::Unpublished => "unpublished",
            Event::Autosaved => "autosaved",
            Event::Restored => "restored",
            Event::Imported => "imported",
        }
    }

    /// The stored name read back; an unknown one (a newer version's, or an archive's)
    /// is `None`.
    pub fn parse(name: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.as_str() == name)
    }

    /// What the history page says.
    pub fn label(self) -> &'static str {
        match self {
            Event::Saved => "Saved",
            Event::Updated => "Updated",
            Event::Submitted => "Submitted for review",
            Event::Published => "Published",
            Event::Scheduled => "Scheduled",
            Event::Unpublished => "Unpublished",
            Event::Autosaved => "Autosaved",
            Event::Restored => "Restored an earlier version",
            Event::Imported => "Imported",
        }
    }
}

/// The history page's words for a stored event name (an unknown one says "Saved").
pub fn label_of(name: &str) -> &'static str {
    Event::parse(name).unwrap_or(Event::Saved).label()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_and_unknown_ones_read_as_saved() {
        for event in Event::ALL {
            assert_eq!(Event::parse(event.as_str()), Some(event));
        }
        assert_eq!(Event::parse("teleported"), None);
        assert_eq!(label_of("teleported"), "Saved");
        assert_eq!(label_of("restored"), "Restored an earlier version");
    }

    #[test]
    fn transitions_name_their_event() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 2)
            .and_then(|d| d.and_hms_opt(3, 4, 5))
            .unwrap();
        assert_eq!(Event::of_change(Change::Scheduled(at)), Event::Scheduled);
        assert_eq!(
            Event::of_change(Change::PublishedAsTimePassed),
            Event::Published
        );
        assert_eq!(Event::of_change(Change::Undecided), Event::Saved);
    }
}
