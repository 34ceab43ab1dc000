//! Site settings: a key/value table, read and written as a whole `SiteSettings`.

use std::collections::HashMap;

use chrono::Utc;
use diesel::prelude::*;

use crate::db::schema::settings;
use crate::db::{self, DbConnection};
use crate::domain::site::SiteSettings;
use crate::store::{audit, media};

pub fn load(conn: &mut DbConnection) -> QueryResult<SiteSettings> {
    let stored: Vec<(String, String)> = settings::table
        .select((settings::key, settings::value))
        .load(conn)?;
    let values: HashMap<String, String> = stored.into_iter().collect();
    Ok(SiteSettings::from_stored(&values))
}

#[derive(Debug, PartialEq, Eq)]
pub enum SaveOutcome {
    Saved,
    /// The chosen logo is no longer an image in the library; nothing was saved.
    LogoGone,
}

/// Saves the site settings an admin (`actor_id`, from `address`) entered, and the audit
/// record, in one write transaction.
pub fn save(
    conn: &mut DbConnection,
    site: &SiteSettings,
    actor_id: i32,
    address: &str,
) -> QueryResult<SaveOutcome> {
    db::write_transaction(conn, |conn| {
        if let Some(id) = site.logo_media_id
            && !media::find(conn, id)?.is_some_and(|row| row.mime_type.starts_with("image/"))
        {
            return Ok(SaveOutcome::LogoGone);
        }
        for (key, value) in site.to_stored() {
            set(conn, key, &value)?;
        }
        audit::record(
            conn,
            &audit::Entry {
                actor_id: Some(actor_id),
                action: "settings.updated",
                target: ("settings", None),
                detail: "",
                ip_address: Some(address),
            },
        )?;
        Ok(SaveOutcome::Saved)
    })
}

fn set(conn: &mut DbConnection, key: &str, value: &str) -> QueryResult<()> {
    let now = Utc::now().naive_utc();
    let updated = diesel::update(settings::table.find(key))
        .set((settings::value.eq(value), settings::updated_at.eq(now)))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(settings::table)
            .values((
                settings::key.eq(key),
                settings::value.eq(value),
                settings::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The site's time zone for entering and showing dates; UTC until an admin picks one.
pub fn time_zone(conn: &mut DbConnection) -> QueryResult<chrono_tz::Tz> {
    Ok(load(conn)?.tz())
}
