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

/// False for a wrong password and for a malformed or missing stored hash.
pub fn verify(password: &str, stored_hash: Option<&str>) -> bool {
    match stored_hash {
        Some(stored) => bcrypt::verify(password, stored).unwrap_or(false),
        None => false,
    }
}

/// Verifies against a real hash of the same cost when an account doesn't exist, so that a
/// login takes the same time whether or not the email is known.
pub fn burn_verify_time(password: &str) {
    static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("folio timing equaliser").ok());
    verify(password, dummy.as_deref());
}

#[cfg(test)]
mod tests {
    use super::*;

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
