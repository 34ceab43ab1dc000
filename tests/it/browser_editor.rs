//! Browser journeys of the writing surface (issue #17): the preview beside the text, the
//! toolbar and shortcuts, saving with Ctrl/⌘+S, the word count and the View link.
