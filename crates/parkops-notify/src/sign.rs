//! Request signatures, each exactly as its platform documents it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// HMAC-SHA256 of `message` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("hmac takes keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// DingTalk: `base64(HmacSHA256(key = secret, message = "{timestamp_ms}\n{secret}"))`,
/// sent URL-encoded in the `sign` query parameter beside `timestamp`.
pub(crate) fn dingtalk(secret: &str, timestamp_ms: i64) -> String {
    STANDARD.encode(hmac_sha256(secret.as_bytes(), format!("{timestamp_ms}\n{secret}").as_bytes()))
}

/// Feishu: `base64(HmacSHA256(key = "{timestamp_s}\n{secret}", message = ""))` — the
/// platform uses the string to sign as the key and signs nothing.
pub(crate) fn feishu(secret: &str, timestamp_s: i64) -> String {
    STANDARD.encode(hmac_sha256(format!("{timestamp_s}\n{secret}").as_bytes(), b""))
}

/// Generic webhook: `sha256=` and the hex HMAC-SHA256 of the exact body bytes.
pub(crate) fn webhook(secret: &str, body: &[u8]) -> String {
    format!("sha256={}", hex::encode(hmac_sha256(secret.as_bytes(), body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn signatures_are_base64_or_prefixed_hex() {
        assert_eq!(dingtalk("SEC1", 1_700_000_000_000).len(), 44);
        assert_eq!(feishu("s", 1_700_000_000).len(), 44);
        assert!(webhook("k", b"{}").starts_with("sha256="));
        assert_eq!(webhook("k", b"{}").len(), 7 + 64);
    }
}
