//! Secrets: password hashing (argon2id), random tokens, TOTP (RFC 6238), and the
//! common-password check. Pure computation; the only outside input is the OS random source.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};

/// Hashes a password with argon2id (m=19 MiB, t=2, p=1: the OWASP profile, the crate default).
///
/// # Panics
/// Never in practice: hashing fails only when the OS random source does.
#[must_use]
pub fn hash_password(password: &str) -> String {
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .expect("argon2 with default parameters and an OS salt does not fail")
}

/// Checks a password against a stored PHC string, in constant time.
#[must_use]
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| argon2::Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A fixed hash to verify against when the user does not exist, so an unknown user costs
/// the same time as a wrong password (no user enumeration by timing, G9).
#[must_use]
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("dummy-Password#for-timing"))
}

/// `n` random bytes from the OS.
///
/// # Panics
/// When the OS random source fails, which leaves nothing safe to do.
#[must_use]
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).expect("the OS random source is available");
    buf
}

/// A 256-bit random token, URL-safe base64 without padding.
#[must_use]
pub fn random_token() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// SHA-256 of a token, hex: what is stored instead of the token.
#[must_use]
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether a password is common or trivially guessable (fewer than 10⁶ guesses by zxcvbn,
/// which carries the lists of common passwords, names and keyboard patterns).
#[must_use]
pub fn is_common_password(password: &str, user_inputs: &[&str]) -> bool {
    if password.is_empty() {
        return true;
    }
    zxcvbn::zxcvbn(password, user_inputs).guesses_log10() < 6.0
}

/// TOTP parameters: SHA-1, 6 digits, 30 s steps, ±1 step tolerance (RFC 6238 defaults,
/// which every authenticator app supports).
const TOTP_STEP_SECONDS: u64 = 30;

/// A new TOTP secret, base32 (160 bits).
#[must_use]
pub fn new_totp_secret() -> String {
    totp_rs::Secret::from(random_bytes::<20>()).to_base32()
}

fn totp(secret_b32: &str) -> Option<totp_rs::Totp> {
    let secret = totp_rs::Secret::try_from_base32(secret_b32).ok()?;
    totp_rs::Builder::new()
        .with_secret(secret)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(TOTP_STEP_SECONDS)
        .build()
        .ok()
}

/// The time step a code matches at `unix_seconds`, if any (within ±1 step).
#[must_use]
pub fn totp_step(secret_b32: &str, code: &str, unix_seconds: u64) -> Option<i64> {
    let t = totp(secret_b32)?;
    let counter = t.check(code.trim(), unix_seconds)?;
    i64::try_from(counter).ok()
}

/// The current code, for tests and the enrolment check.
#[must_use]
pub fn totp_code(secret_b32: &str, unix_seconds: u64) -> Option<String> {
    Some(totp(secret_b32)?.generate(unix_seconds).to_string())
}

/// The `otpauth://` URI an authenticator app imports.
#[must_use]
pub fn totp_uri(secret_b32: &str, issuer: &str, account: &str) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret_b32}&issuer={}&algorithm=SHA1&digits=6&period={TOTP_STEP_SECONDS}",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_round_trip() {
        let h = hash_password("Jiangbin@2026");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("Jiangbin@2026", &h));
        assert!(!verify_password("Jiangbin@2027", &h));
        assert!(!verify_password("x", "not a phc string"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = random_token();
        assert_ne!(a, random_token());
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a).len(), 64);
    }

    #[test]
    fn common_passwords_are_caught() {
        assert!(is_common_password("Password@1", &[]));
        assert!(is_common_password("P@ssw0rd", &[]));
        assert!(!is_common_password("Jiangbin@2026", &[]));
        assert!(!is_common_password("Tq7#vLm2@xZ", &[]));
    }

    #[test]
    fn totp_matches_rfc_6238_vector_and_steps() {
        // RFC 6238 appendix B, SHA-1 secret "12345678901234567890", T = 59 s → 94287082 (8 digits);
        // with 6 digits the code is the last six.
        let secret = totp_rs::Secret::from(*b"12345678901234567890").to_base32();
        assert_eq!(totp_code(&secret, 59).as_deref(), Some("287082"));
        assert_eq!(totp_step(&secret, "287082", 59), Some(1));
        assert_eq!(totp_step(&secret, "287082", 59 + 30), Some(1), "one step of tolerance");
        assert_eq!(totp_step(&secret, "287082", 59 + 90), None);
        assert_eq!(totp_step(&secret, "abc", 59), None);
    }
}
