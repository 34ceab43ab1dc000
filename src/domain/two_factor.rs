//! Two-factor sign-in rules: TOTP (RFC 6238: SHA-1, 6 digits, 30-second steps, one step of
//! clock drift either way) and single-use recovery codes.

use totp_rs::{Algorithm, TOTP};

/// Seconds per code.
pub const STEP_SECONDS: u64 = 30;
/// Recovery codes made when two-factor sign-in is turned on.
pub const RECOVERY_CODES: usize = 10;
/// Random bytes of a new secret (160 bits, RFC 4226's recommendation).
const SECRET_BYTES: usize = 20;
/// Letters and digits of recovery codes: 32 of them, without 0/o and 1/l.
const CODE_ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";

/// A user's authenticator: the secret and the names the app shows.
pub struct Authenticator {
    totp: TOTP,
}

impl Authenticator {
    /// From a secret in base32 (as stored); `issuer` is the site's name, `account` the email.
    pub fn new(secret_base32: &str, issuer: &str, account: &str) -> Result<Self, String> {
        let secret = totp_rs::Secret::Encoded(secret_base32.to_owned())
            .to_bytes()
            .map_err(|_| "the stored secret is not base32".to_owned())?;
        // The otpauth:// label can't hold a colon in either part.
        let issuer = issuer.replace(':', " ").trim().to_owned();
        let issuer = if issuer.is_empty() {
            "Folio".to_owned()
        } else {
            issuer
        };
        let totp = TOTP::new(
            Algorithm::SHA1,
            6,
            1,
            STEP_SECONDS,
            secret,
            Some(issuer),
            account.replace(':', " "),
        )
        .map_err(|e| format!("unusable secret: {e}"))?;
        Ok(Self { totp })
    }

    /// The `otpauth://totp/…` address the QR code carries.
    pub fn uri(&self) -> String {
        self.totp.get_url()
    }

    /// The time step `code` is valid for at `unix_seconds` (this step or one either side),
    /// if it is one of them. The caller refuses steps already used.
    pub fn step_of(&self, code: &str, unix_seconds: u64) -> Option<u64> {
        let code = normalise(code);
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let now = unix_seconds / STEP_SECONDS;
        // Every candidate is compared, so the time doesn't tell which matched.
        let mut found = None;
        for step in [now.saturating_sub(1), now, now + 1] {
            let expected = self.totp.generate(step * STEP_SECONDS);
            if crate::secrets::constant_time_eq(expected.as_bytes(), code.as_bytes()) {
                found = Some(step);
            }
        }
        found
    }

    /// The code for `unix_seconds` (the tests' authenticator app).
    pub fn code_at(&self, unix_seconds: u64) -> String {
        self.totp.generate(unix_seconds)
    }
}

/// A new random secret, base32 without padding (what authenticator apps accept typed in).
pub fn new_secret() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes)?;
    Ok(totp_rs::Secret::Raw(bytes.to_vec())
        .to_encoded()
        .to_string())
}

/// The secret in groups of four, easier to type: `ABCD EFGH …`.
pub fn grouped(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// New recovery codes, like `k7mfq-2hz9x` (50 random bits each).
pub fn new_recovery_codes() -> Result<Vec<String>, getrandom::Error> {
    let mut bytes = [0u8; RECOVERY_CODES * 10];
    getrandom::fill(&mut bytes)?;
    Ok(bytes
        .chunks(10)
        .map(|chunk| {
            let letters: String = chunk
                .iter()
                .map(|b| char::from(CODE_ALPHABET[usize::from(b & 31)]))
                .collect();
            format!("{}-{}", &letters[..5], &letters[5..])
        })
        .collect())
}

/// What a typed code is compared as: lower case, without spaces or dashes.
pub fn normalise(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .take(64)
        .collect()
}

/// Whether a typed code looks like a recovery code (rather than a TOTP code).
pub fn is_recovery_code(code: &str) -> bool {
    let code = normalise(code);
    code.len() == 10 && code.bytes().all(|b| CODE_ALPHABET.contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238's SHA-1 secret, "12345678901234567890", in base32.
    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn codes_match_rfc_6238() {
        let auth = Authenticator::new(RFC_SECRET, "Site", "ada@example.org").unwrap();
        // The RFC's 8-digit values end in these 6 digits.
        assert_eq!(auth.code_at(59), "287082");
        assert_eq!(auth.code_at(1_111_111_109), "081804");
        assert_eq!(auth.code_at(2_000_000_000), "279037");
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_named_by_its_step() {
        let auth = Authenticator::new(RFC_SECRET, "Site", "ada@example.org").unwrap();
        let now = 1_111_111_109;
        let step = now / STEP_SECONDS;
        assert_eq!(auth.step_of(&auth.code_at(now), now), Some(step));
        assert_eq!(auth.step_of("081 804", now), Some(step), "spaces ignored");
        assert_eq!(auth.step_of(&auth.code_at(now - 30), now), Some(step - 1));
        assert_eq!(auth.step_of(&auth.code_at(now + 30), now), Some(step + 1));
        assert_eq!(auth.step_of(&auth.code_at(now - 90), now), None);
        assert_eq!(auth.step_of("12345", now), None);
        assert_eq!(auth.step_of("abcdef", now), None);
    }

    #[test]
    fn the_uri_names_the_site_and_account() {
        let auth = Authenticator::new(RFC_SECRET, "Ada: Notes", "ada@example.org").unwrap();
        let uri = auth.uri();
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(
            uri.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
            "{uri}"
        );
        assert!(uri.contains("issuer=Ada"), "{uri}");
    }

    #[test]
    fn secrets_and_recovery_codes_are_random_and_well_formed() {
        let (a, b) = (new_secret().unwrap(), new_secret().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32, "160 bits in base32");
        assert!(Authenticator::new(&a, "Site", "x@example.org").is_ok());
        let codes = new_recovery_codes().unwrap();
        assert_eq!(codes.len(), RECOVERY_CODES);
        for code in &codes {
            assert_eq!(code.len(), 11);
            assert!(is_recovery_code(code), "{code}");
            assert!(is_recovery_code(&code.to_uppercase().replace('-', " ")));
        }
        assert!(!is_recovery_code("123456"));
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
    }
}
