-- Which notification mails a user wants (#18): an editor or admin is mailed when a post is
-- submitted for review, an author when someone else publishes their post. No row: both on.
CREATE TABLE mail_preferences (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    review_requests BOOLEAN NOT NULL,
    own_published BOOLEAN NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
