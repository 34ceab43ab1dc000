//! Brute-force protection rules for logins: after a few free failures, each further
//! failure locks the key for twice as long as the one before, up to a cap.

use chrono::TimeDelta;

#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Failures allowed before the first lock.
    pub free_failures: i32,
    pub first_lock: TimeDelta,
    pub max_lock: TimeDelta,
    /// A key that has been quiet this long starts counting from zero again.
    pub forget_after: TimeDelta,
}

/// Per account: a person mistyping gets five tries, a guesser gets very few per hour.
pub const PER_ACCOUNT: Policy = Policy {
    free_failures: 5,
    first_lock: TimeDelta::seconds(30),
    max_lock: TimeDelta::hours(1),
    forget_after: TimeDelta::hours(1),
};

/// Per client address: room for a shared office, not for spraying many accounts.
pub const PER_ADDRESS: Policy = Policy {
    free_failures: 20,
    first_lock: TimeDelta::seconds(30),
    max_lock: TimeDelta::hours(1),
    forget_after: TimeDelta::hours(1),
};

/// Password reset mails asked for one address (whether or not it has an account): a few
/// an hour, so nobody fills a mailbox with them.
pub const RESET_PER_ACCOUNT: Policy = Policy {
    free_failures: 3,
    first_lock: TimeDelta::minutes(15),
    max_lock: TimeDelta::hours(1),
    forget_after: TimeDelta::hours(1),
};

/// Password reset requests from one client address: room for a shared office, not for
/// mailing the whole user list.
pub const RESET_PER_ADDRESS: Policy = Policy {
    free_failures: 10,
    first_lock: TimeDelta::minutes(15),
    max_lock: TimeDelta::hours(1),
    forget_after: TimeDelta::hours(1),
};

impl Policy {
    /// How long to lock after the `failures`-th consecutive failure (None: not yet).
    pub fn lock_after(&self, failures: i32) -> Option<TimeDelta> {
        let beyond = failures - self.free_failures;
        if beyond < 0 {
            return None;
        }
        let doublings = u32::try_from(beyond).unwrap_or(0).min(16);
        let lock = self.first_lock * 2_i32.pow(doublings);
        Some(lock.min(self.max_lock))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_start_after_the_free_failures_and_double() {
        assert_eq!(PER_ACCOUNT.lock_after(4), None);
        assert_eq!(PER_ACCOUNT.lock_after(5), Some(TimeDelta::seconds(30)));
        assert_eq!(PER_ACCOUNT.lock_after(6), Some(TimeDelta::seconds(60)));
        assert_eq!(PER_ACCOUNT.lock_after(7), Some(TimeDelta::seconds(120)));
    }

    #[test]
    fn reset_mails_stop_after_three_an_hour_per_address() {
        assert_eq!(RESET_PER_ACCOUNT.lock_after(2), None);
        assert_eq!(
            RESET_PER_ACCOUNT.lock_after(3),
            Some(TimeDelta::minutes(15))
        );
        assert_eq!(RESET_PER_ACCOUNT.lock_after(9), Some(TimeDelta::hours(1)));
        assert_eq!(RESET_PER_ADDRESS.lock_after(9), None);
    }

    #[test]
    fn locks_are_capped() {
        assert_eq!(PER_ACCOUNT.lock_after(40), Some(TimeDelta::hours(1)));
        assert_eq!(PER_ACCOUNT.lock_after(i32::MAX), Some(TimeDelta::hours(1)));
    }
}
