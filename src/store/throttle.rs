//! Failed-login counters in the database, so they hold across restarts and nodes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::login_throttle;
use crate::db::{DbConnection, dialect};
use crate::domain::throttle::Policy;

#[derive(Clone, Queryable, Selectable)]
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

/// What a key's counter was before [`reserve`] counted an attempt, so [`release`] can put
/// it back.
pub struct Reservation {
    key: String,
    failures: i32,
    previous: Option<Counter>,
}

impl Reservation {
    pub fn key(&self) -> &str {
        &self.key
    }
}

/// Counts one more failure for `key` and locks it when the policy says so. A login
/// attempt is counted this way *before* the password is checked (inside the same write
/// transaction that found the key unlocked, serialised with [`lock_counters`]), so any
/// number of concurrent attempts can't get more tries than the policy allows; a success
/// then gives the try back with [`release`].
pub fn reserve(
    conn: &mut DbConnection,
    key: &str,
    policy: &Policy,
    now: NaiveDateTime,
) -> QueryResult<Reservation> {
    let previous: Option<Counter> = login_throttle::table
        .find(key)
        .select(Counter::as_select())
        .first(conn)
        .optional()?;
    let failures = match &previous {
        Some(counter) if now - counter.last_failure_at < policy.forget_after => {
            counter.failures.saturating_add(1)
        }
        _ => 1,
    };
    let locked_until = policy
        .lock_after(failures)
        .map(|lock| now + lock)
        .or(previous.as_ref().and_then(|counter| counter.locked_until));
    write(conn, key, failures, now, locked_until)?;
    Ok(Reservation {
        key: key.to_owned(),
        failures,
        previous,
    })
}

/// Gives back a try counted by [`reserve`] (the attempt succeeded). If nobody tried since,
/// the counter is exactly as before; otherwise one failure fewer, and any lock stays (the
/// attempts since were counted with this one and may have earned it).
pub fn release(conn: &mut DbConnection, reservation: &Reservation) -> QueryResult<()> {
    let key = reservation.key.as_str();
    let Some(current) = login_throttle::table
        .find(key)
        .select(Counter::as_select())
        .first::<Counter>(conn)
        .optional()?
    else {
        return Ok(());
    };
    if current.failures != reservation.failures {
        diesel::update(login_throttle::table.find(key))
            .set(login_throttle::failures.eq((current.failures - 1).max(0)))
            .execute(conn)?;
        return Ok(());
    }
    match &reservation.previous {
        Some(before) => write(
            conn,
            key,
            before.failures,
            before.last_failure_at,
            before.locked_until,
        ),
        None => reset(conn, key).map(|_| ()),
    }
}

fn write(
    conn: &mut DbConnection,
    key: &str,
    failures: i32,
    last_failure_at: NaiveDateTime,
    locked_until: Option<NaiveDateTime>,
) -> QueryResult<()> {
    let values = (
        login_throttle::failures.eq(failures),
        login_throttle::last_failure_at.eq(last_failure_at),
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

/// Serialises the transactions that read and then change counters (on SQLite, `BEGIN
/// IMMEDIATE` already does; PostgreSQL takes a table lock that only other counter changes
/// wait for). Call first thing in the write transaction.
pub fn lock_counters(conn: &mut DbConnection) -> QueryResult<()> {
    dialect::lock_login_throttle(conn)
}
