//! HTTP routes, one file per area. Handlers are thin: parse, authorise, call the store,
//! render.

pub mod admin;
pub mod api;
pub mod assets;
pub mod audit;
pub mod export;
pub mod feeds;
pub mod health;
pub mod links;
pub mod login;
pub mod media;
pub mod metrics;
pub mod posts;
pub mod preview;
pub mod profile;
pub mod public;
pub mod recovery;
pub mod respond;
pub mod revisions;
pub mod settings;
pub mod setup;
pub mod tags;
pub mod two_factor;
pub mod users;
pub mod wordpress;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(metrics::scrape)
        .service(assets::serve)
        .service(assets::favicon)
        .service(setup::show)
        .service(setup::submit)
        .service(login::show)
        .service(login::submit)
        .service(login::show_code)
        .service(login::submit_code)
        .service(login::logout)
        .service(recovery::show)
        .service(recovery::request)
        .service(admin::dashboard)
        .service(admin::mail_log)
        .service(users::list)
        .service(users::invite_form)
        .service(users::invite)
        .service(users::revoke_invitation)
        .service(users::resend_invitation)
        .service(users::edit)
        .service(users::change_role)
        .service(users::disable)
        .service(users::enable)
        .service(users::delete_form)
        .service(users::delete)
        .service(users::reset_link)
        .service(links::accept_form)
        .service(links::accept)
        .service(links::reset_form)
        .service(links::reset)
        .service(profile::show)
        .service(profile::update)
        .service(profile::change_password)
        .service(profile::logout_everywhere)
        .service(two_factor::show)
        .service(two_factor::enable)
        .service(two_factor::disable)
        .service(profile::update_mail)
        .service(audit::list)
        .service(posts::list_posts)
        .service(posts::list_pages)
        .service(posts::trash)
        .service(posts::new_post)
        .service(posts::new_page)
        .service(posts::create_post)
        .service(posts::create_page)
        .service(posts::edit)
        .service(posts::update)
        .service(posts::delete_confirm)
        .service(posts::delete)
        .service(posts::restore)
        .service(posts::empty_trash)
        .service(posts::preview)
        .service(revisions::list)
        .service(revisions::compare)
        .service(revisions::show)
        .service(revisions::restore)
        .service(revisions::autosave_new)
        .service(revisions::autosave)
        .service(revisions::discard_autosave)
        .service(api::session)
        .service(tags::list)
        // Before `edit`: "new" is not a tag's id.
        .service(tags::new)
        .service(tags::create)
        .service(tags::edit)
        .service(tags::update)
        .service(tags::delete_confirm)
        .service(tags::delete)
        .service(tags::merge)
        .service(preview::create)
        .service(preview::revoke)
        .service(preview::show)
        .service(media::library)
        .service(media::upload_form)
        .service(media::upload_api)
        .service(media::list_api)
        .service(media::show)
        .service(media::describe)
        .service(media::delete)
        .service(media::serve)
        .service(settings::show)
        .service(settings::update)
        .service(export::export_form)
        .service(export::start_export)
        .service(export::export_page)
        .service(export::download)
        .service(wordpress::import_form)
        .service(wordpress::start_import)
        .service(wordpress::import_page)
        .service(public::site_css)
        .service(feeds::atom)
        .service(feeds::rss)
        .service(feeds::json)
        .service(feeds::tag_atom)
        .service(feeds::tag_rss)
        .service(feeds::tag_json)
        .service(feeds::sitemap)
        .service(feeds::sitemap_file)
        .service(feeds::robots)
        .service(public::home)
        .service(public::tag)
        .service(public::author)
        .service(public::search)
        // Last: one path segment is a post or page slug.
        .service(public::article);
}

/// Everything no route claimed: trailing slashes redirect, the rest is the styled 404
/// page (JSON under `/api/`).
pub use public::fallback as not_found;
