//! Browser checks of the admin on a phone (390×844) and in the dark colour scheme (issue #17).
