//! Failed-login counters in the database, so they hold across restarts and nodes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::login_throttle;
use crate::domain::throttle::Policy;

#[derive(Queryable, Selectable)]
#[diesel(table_name = login_throttle)]
struct Counter {
    failures: i32,
    last_failure_at: NaiveDateTime,
    locked_until: Option<NaiveDateTime>,
}

/// Keys are namespaced so an address can't collide with an account.
pub fn account_key(email: &str) -> String {
    // Bounded: the key is whatever was typed into the email field.
    let email: String = email.trim().to_lowercase().chars().take(320).collect();
    format!("account:{email}")
}

pub fn address_key(address: &str) -> String {
    format!("address:{address}")
}

/// Seconds until `key` may try again, if it is locked now.
pub fn locked_for(
    conn: &mut DbConnection,
    key: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<i64>> {
    let until: Option<Option<NaiveDateTime>> = login_throttle::table
        .find(key)
        .select(login_throttle::locked_until)
        .first(conn)
        .optional()?;
    Ok(until
        .flatten()
        .filter(|until| *until > now)
        .map(|until| ((until - now).num_milliseconds() + 999) / 1000))
}

/// Counts one more failure for `key` and locks it when the policy says so. Call inside a
/// write transaction.
pub fn record_failure(
    conn: &mut DbConnection,
    key: &str,
    policy: &Policy,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let existing: Option<Counter> = login_throttle::table
        .find(key)
        .select(Counter::as_select())
        .first(conn)
        .optional()?;
    let failures = match &existing {
        Some(counter) if now - counter.last_failure_at < policy.forget_after => {
            counter.failures + 1
        }
        _ => 1,
    };
    let locked_until = policy
        .lock_after(failures)
        .map(|lock| now + lock)
        .or(existing.and_then(|counter| counter.locked_until));
    let values = (
        login_throttle::failures.eq(failures),
        login_throttle::last_failure_at.eq(now),
        login_throttle::locked_until.eq(locked_until),
    );
    let updated = diesel::update(login_throttle::table.find(key))
        .set(values)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(login_throttle::table)
            .values((login_throttle::key.eq(key), values.0, values.1, values.2))
            .execute(conn)?;
    }
    Ok(())
}

/// A successful login forgets the account's failures.
pub fn reset(conn: &mut DbConnection, key: &str) -> QueryResult<usize> {
    diesel::delete(login_throttle::table.find(key)).execute(conn)
}
