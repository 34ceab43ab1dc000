//! Site settings: a key/value table. Typed access lives next to each setting's use.

use chrono::Utc;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::settings;

pub const TIME_ZONE: &str = "time_zone";

pub fn get(conn: &mut DbConnection, key: &str) -> QueryResult<Option<String>> {
    settings::table
        .find(key)
        .select(settings::value)
        .first(conn)
        .optional()
}

/// Sets a value (insert or update). Call inside a write transaction.
pub fn set(conn: &mut DbConnection, key: &str, value: &str) -> QueryResult<()> {
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
    Ok(get(conn, TIME_ZONE)?
        .and_then(|name| name.parse().ok())
        .unwrap_or(chrono_tz::UTC))
}
