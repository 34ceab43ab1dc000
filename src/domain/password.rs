//! Password rules and bcrypt. Hashing is slow on purpose: call it on a blocking thread.

/// bcrypt work factor (DESIGN.md: at least 12).
pub const BCRYPT_COST: u32 = 12;
pub const MIN_CHARS: usize = 12;
/// bcrypt only reads the first 72 bytes; longer passwords would be silently truncated.
pub const MAX_BYTES: usize = 72;

/// Checks a new password and its confirmation, returning every problem as a sentence.
pub fn validate_new(password: &str, confirmation: &str) -> Result<(), String> {
    if password.chars().count() < MIN_CHARS {
        return Err(format!(
            "Choose a password of at least {MIN_CHARS} characters."
        ));
    }
    if password.len() > MAX_BYTES {
        return Err(format!(
            "A password can be at most {MAX_BYTES} bytes long (bcrypt ignores the rest)."
        ));
    }
    if password != confirmation {
        return Err("The two passwords do not match.".into());
    }
    Ok(())
}

pub fn hash(password: &str) -> Result<String, bcrypt::BcryptError> {
    bcrypt::hash(password, BCRYPT_COST)
}

/// False for a wrong password and for a malformed or missing stored hash. Costs one bcrypt
/// verification either way, so a login takes as long for an account without a password
/// (imported, invited) or with a broken hash as for one with a real password.
pub fn verify(password: &str, stored_hash: Option<&str>) -> bool {
    match stored_hash.filter(|stored| stored.parse::<bcrypt::HashParts>().is_ok()) {
        Some(stored) => bcrypt_verify(password, stored),
        None => {
            burn_verify_time(password);
            false
        }
    }
}

/// Verifies against a real hash of the same cost when there is nothing to verify against
/// (no such account, no password), so that a login takes the same time either way.
fn burn_verify_time(password: &str) {
    static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("folio timing equaliser").ok());
    if let Some(dummy) = dummy {
        bcrypt_verify(password, dummy);
    }
}

fn bcrypt_verify(password: &str, stored: &str) -> bool {
    #[cfg(test)]
    tests::VERIFICATIONS.with(|count| count.set(count.get() + 1));
    bcrypt::verify(password, stored).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        /// bcrypt verifications run on this thread.
        pub(super) static VERIFICATIONS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    fn verifications_of(f: impl FnOnce()) -> usize {
        let before = VERIFICATIONS.with(std::cell::Cell::get);
        f();
        VERIFICATIONS.with(std::cell::Cell::get) - before
    }

    #[test]
    fn every_refusal_costs_one_real_verification() {
        let stored = bcrypt::hash("correct horse battery", 4).unwrap();
        for (case, stored) in [
            ("a real hash", Some(stored.as_str())),
            ("no password", None),
            ("a malformed hash", Some("not a bcrypt hash")),
            ("an empty hash", Some("")),
        ] {
            let ran = verifications_of(|| {
                assert!(!verify("wrong horse battery", stored));
            });
            assert_eq!(ran, 1, "{case}");
        }
    }

    #[test]
    fn short_mismatched_and_overlong_passwords_are_refused() {
        assert!(validate_new("short", "short").is_err());
        assert!(validate_new("long enough password", "long enough passw0rd").is_err());
        let overlong = "x".repeat(MAX_BYTES + 1);
        assert!(validate_new(&overlong, &overlong).is_err());
        assert!(validate_new("long enough password", "long enough password").is_ok());
    }

    #[test]
    fn unicode_passwords_count_characters_not_bytes() {
        let pw = "éééééééééééé"; // 12 characters, 24 bytes
        assert!(validate_new(pw, pw).is_ok());
    }

    #[test]
    fn hash_verifies_only_the_right_password() {
        let stored = bcrypt::hash("correct horse battery", 4).unwrap();
        assert!(verify("correct horse battery", Some(&stored)));
        assert!(!verify("wrong horse battery", Some(&stored)));
        assert!(!verify("correct horse battery", None));
        assert!(!verify("anything", Some("not a bcrypt hash")));
    }
}
