//! Site settings: a key/value table, read and written as a whole `SiteSettings`.

use std::collections::HashMap;

use chrono::Utc;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::settings;
use crate::domain::site::SiteSettings;

pub fn load(conn: &mut DbConnection) -> QueryResult<SiteSettings> {
    let stored: Vec<(String, String)> = settings::table
        .select((settings::key, settings::value))
        .load(conn)?;
    let values: HashMap<String, String> = stored.into_iter().collect();
    Ok(SiteSettings::from_stored(&values))
}

/// Stores every setting. Call inside a write transaction.
pub fn save(conn: &mut DbConnection, site: &SiteSettings) -> QueryResult<()> {
    for (key, value) in site.to_stored() {
        set(conn, key, &value)?;
    }
    Ok(())
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
