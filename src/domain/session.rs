//! When a login session ends: after a quiet spell (idle timeout) or at a fixed age
//! (lifetime), whichever comes first.

use chrono::{NaiveDateTime, TimeDelta};

#[derive(Debug, Clone, Copy)]
pub struct Expiry {
    pub idle_timeout: TimeDelta,
    pub lifetime: TimeDelta,
}

#[derive(Debug, PartialEq, Eq)]
pub enum State {
    Expired,
    /// Alive; `touch` says the idle clock is due for a refresh (written now and then,
    /// not on every request).
    Live {
        touch: bool,
    },
}

impl Expiry {
    pub fn from_std(idle_timeout: std::time::Duration, lifetime: std::time::Duration) -> Self {
        let delta = |d| TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX);
        Self {
            idle_timeout: delta(idle_timeout),
            lifetime: delta(lifetime),
        }
    }

    pub fn state(
        &self,
        created_at: NaiveDateTime,
        last_seen_at: NaiveDateTime,
        now: NaiveDateTime,
    ) -> State {
        let idle = now - last_seen_at;
        if idle > self.idle_timeout || now - created_at > self.lifetime {
            return State::Expired;
        }
        // Half the idle timeout, at most a minute: precise enough, one write a minute.
        let refresh_every = (self.idle_timeout / 2).min(TimeDelta::minutes(1));
        State::Live {
            touch: idle >= refresh_every,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_700_000_000 + seconds, 0)
            .unwrap()
            .naive_utc()
    }

    const POLICY: Expiry = Expiry {
        idle_timeout: TimeDelta::seconds(600),
        lifetime: TimeDelta::seconds(3600),
    };

    #[test]
    fn a_quiet_session_expires_after_the_idle_timeout() {
        assert_eq!(
            POLICY.state(at(0), at(0), at(10)),
            State::Live { touch: false }
        );
        assert_eq!(
            POLICY.state(at(0), at(0), at(61)),
            State::Live { touch: true }
        );
        assert_eq!(POLICY.state(at(0), at(0), at(601)), State::Expired);
    }

    #[test]
    fn an_active_session_still_ends_at_its_lifetime() {
        assert_eq!(
            POLICY.state(at(0), at(3590), at(3600)),
            State::Live { touch: false }
        );
        assert_eq!(POLICY.state(at(0), at(3600), at(3601)), State::Expired);
    }

    #[test]
    fn huge_settings_do_not_overflow() {
        let forever = Expiry::from_std(
            std::time::Duration::from_secs(u64::MAX),
            std::time::Duration::from_secs(u64::MAX),
        );
        assert!(matches!(
            forever.state(at(0), at(0), at(1_000_000)),
            State::Live { .. }
        ));
    }
}
