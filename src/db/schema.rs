//! Hand-written diesel schema with types both backends share (see CONVENTIONS.md);
//! it must match `migrations/sqlite` and `migrations/postgres`.

diesel::table! {
    users (id) {
        id -> Integer,
        email -> Text,
        display_name -> Text,
        slug -> Text,
        password_hash -> Nullable<Text>,
        role -> Text,
        status -> Text,
        bio -> Text,
        website -> Nullable<Text>,
        session_epoch -> Integer,
        last_login_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    media (id) {
        id -> Integer,
        uploader_id -> Nullable<Integer>,
        file_name -> Text,
        storage_key -> Text,
        sha256 -> Text,
        mime_type -> Text,
        size_bytes -> BigInt,
        width -> Nullable<Integer>,
        height -> Nullable<Integer>,
        alt_text -> Text,
        caption -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    posts (id) {
        id -> Integer,
        kind -> Text,
        status -> Text,
        title -> Text,
        slug -> Text,
        body_markdown -> Text,
        body_html -> Text,
        excerpt -> Text,
        author_id -> Integer,
        featured_media_id -> Nullable<Integer>,
        meta_title -> Nullable<Text>,
        meta_description -> Nullable<Text>,
        canonical_url -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
        search_text -> Text,
    }
}

diesel::table! {
    tags (id) {
        id -> Integer,
        name -> Text,
        slug -> Text,
        description -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    post_tags (post_id, tag_id) {
        post_id -> Integer,
        tag_id -> Integer,
    }
}

diesel::table! {
    revisions (id) {
        id -> Integer,
        post_id -> Integer,
        author_id -> Nullable<Integer>,
        title -> Text,
        body_markdown -> Text,
        is_autosave -> Bool,
        created_at -> Timestamp,
        event -> Text,
    }
}

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Integer,
        actor_id -> Nullable<Integer>,
        action -> Text,
        target_type -> Text,
        target_id -> Nullable<Integer>,
        detail -> Text,
        ip_address -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    redirects (id) {
        id -> Integer,
        from_path -> Text,
        post_id -> Nullable<Integer>,
        to_path -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    tokens (id) {
        id -> Integer,
        purpose -> Text,
        token_hash -> Text,
        user_id -> Nullable<Integer>,
        email -> Nullable<Text>,
        role -> Nullable<Text>,
        created_by -> Nullable<Integer>,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        post_id -> Nullable<Integer>,
    }
}

diesel::table! {
    login_throttle (key) {
        key -> Text,
        failures -> Integer,
        last_failure_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    imported_items (source, wp_id) {
        source -> Text,
        wp_id -> BigInt,
        post_id -> Nullable<Integer>,
        media_id -> Nullable<Integer>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sessions (token_hash) {
        token_hash -> Text,
        user_id -> Integer,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        user_agent -> Nullable<Text>,
        ip_address -> Nullable<Text>,
    }
}

diesel::table! {
    /// One row (id 1): the site-wide change counter, bumped by triggers (see
    /// `store::changes`).
    site_changes (id) {
        id -> Integer,
        counter -> BigInt,
    }
}

diesel::table! {
    /// Durable jobs: work that outlives a request (see `store::jobs`).
    jobs (id) {
        id -> Integer,
        kind -> Text,
        state -> Text,
        payload -> Text,
        progress_phase -> Text,
        progress_done -> BigInt,
        progress_total -> BigInt,
        result -> Nullable<Text>,
        error -> Nullable<Text>,
        attempts -> Integer,
        max_attempts -> Integer,
        run_after -> Timestamp,
        claimed_by -> Nullable<Text>,
        heartbeat_at -> Nullable<Timestamp>,
        created_by -> Nullable<Integer>,
        created_at -> Timestamp,
        started_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    two_factor (user_id) {
        user_id -> Integer,
        secret -> Text,
        last_step -> BigInt,
        enabled_at -> Timestamp,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> Integer,
        user_id -> Integer,
        code_hash -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(posts -> users (author_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(media -> users (uploader_id));
diesel::joinable!(posts -> media (featured_media_id));
diesel::joinable!(post_tags -> posts (post_id));
diesel::joinable!(post_tags -> tags (tag_id));
diesel::joinable!(revisions -> posts (post_id));
diesel::joinable!(redirects -> posts (post_id));
diesel::joinable!(imported_items -> posts (post_id));
diesel::joinable!(imported_items -> media (media_id));

diesel::table! {
    /// Notification mails a user turned off or on (no row: all on).
    mail_preferences (user_id) {
        user_id -> Integer,
        review_requests -> Bool,
        own_published -> Bool,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(mail_preferences -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    media,
    posts,
    tags,
    post_tags,
    revisions,
    settings,
    audit_log,
    redirects,
    tokens,
    login_throttle,
    imported_items,
    sessions,
    jobs,
    two_factor,
    recovery_codes,
    mail_preferences,
);
