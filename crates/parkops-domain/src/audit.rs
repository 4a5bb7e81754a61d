//! The tamper-evident record chain (R-8.1.2d; 等保 8.1.4.3c, 8.1.4.7b).
//!
//! Every mutation appends an [`AuditRecord`]. Each record's hash covers its own fields,
//! the SHA-256 digest of its detail and the previous record's hash, so editing,
//! deleting or reordering any record breaks the chain at that record
//! ([`ChainVerifier`]). Signed [`Checkpoint`]s (Ed25519, key held outside the
//! database) fix the chain head at intervals, so truncation behind a checkpoint and a
//! keyless rewrite of the whole chain are detected too.

use ed25519_dalek::{Signer, Verifier};
use sha2::{Digest, Sha256};

use crate::time::Timestamp;

/// A 32-byte SHA-256 value.
pub type Hash = [u8; 32];

/// The `prev_hash` of the first record.
pub const GENESIS: Hash = [0u8; 32];

/// Domain separation for record hashes; bump the version if the layout ever changes.
const RECORD_TAG: &[u8] = b"parkops-audit-record-v1\0";

/// Whether the recorded action succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The action took effect.
    Success,
    /// The action failed (for example a wrong password).
    Failure,
    /// The action was refused by access control.
    Denied,
}

impl Outcome {
    /// Every outcome.
    pub const ALL: [Self; 3] = [Self::Success, Self::Failure, Self::Denied];

    /// Stable storage code.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Denied => "denied",
        }
    }

    /// The outcome with this code.
    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.code() == code)
    }
}

/// What happened, before it is placed in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Acting user id (empty for the system itself).
    pub actor_id: String,
    /// Acting user's login name, or `system`.
    pub actor_name: String,
    /// Source address of the request, if any.
    pub source_ip: String,
    /// Request id for correlation with logs.
    pub request_id: String,
    /// Event type, e.g. `user.create`.
    pub action: String,
    /// Kind of object, e.g. `user`.
    pub entity_type: String,
    /// Object id.
    pub entity_id: String,
    /// Whether it succeeded.
    pub outcome: Outcome,
    /// The change itself as canonical JSON (never secrets).
    pub detail: String,
}

/// A record as stored in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Position in the chain, from 1 without gaps.
    pub seq: i64,
    /// When it was appended.
    pub at: Timestamp,
    /// The event.
    pub entry: AuditEntry,
    /// SHA-256 of `entry.detail`.
    pub detail_digest: Hash,
    /// The previous record's hash ([`GENESIS`] for seq 1).
    pub prev_hash: Hash,
    /// This record's hash.
    pub hash: Hash,
}

/// SHA-256 of a detail text.
#[must_use]
pub fn digest(detail: &str) -> Hash {
    Sha256::digest(detail.as_bytes()).into()
}

fn put(h: &mut Sha256, field: &str) {
    let len = u32::try_from(field.len()).unwrap_or(u32::MAX);
    h.update(len.to_be_bytes());
    h.update(field.as_bytes());
}

/// The hash of a record with these contents, linked to `prev_hash`.
#[must_use]
pub fn record_hash(seq: i64, at: Timestamp, entry: &AuditEntry, detail_digest: &Hash, prev_hash: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update(RECORD_TAG);
    h.update(seq.to_be_bytes());
    h.update(at.as_millis().to_be_bytes());
    put(&mut h, &entry.actor_id);
    put(&mut h, &entry.actor_name);
    put(&mut h, &entry.source_ip);
    put(&mut h, &entry.request_id);
    put(&mut h, &entry.action);
    put(&mut h, &entry.entity_type);
    put(&mut h, &entry.entity_id);
    put(&mut h, entry.outcome.code());
    h.update(detail_digest);
    h.update(prev_hash);
    h.finalize().into()
}

/// Places `entry` in the chain after a head `(prev_seq, prev_hash)`.
#[must_use]
pub fn seal(entry: AuditEntry, at: Timestamp, prev_seq: i64, prev_hash: Hash) -> AuditRecord {
    let seq = prev_seq + 1;
    let detail_digest = digest(&entry.detail);
    let hash = record_hash(seq, at, &entry, &detail_digest, &prev_hash);
    AuditRecord { seq, at, entry, detail_digest, prev_hash, hash }
}

/// How the chain is broken, always naming the first bad seq.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    /// A record is missing or out of place: `expected` was due, `found` came (deletion, reorder, renumbering).
    #[error("seq {expected}: record missing or out of order (found seq {found})")]
    Sequence {
        /// The seq that should come next.
        expected: i64,
        /// The seq that came instead.
        found: i64,
    },
    /// The detail does not match its digest (the detail was edited).
    #[error("seq {seq}: detail does not match its digest")]
    Detail {
        /// The bad record.
        seq: i64,
    },
    /// The record does not name its predecessor's hash (a record before it was removed or replaced).
    #[error("seq {seq}: link to the previous record is broken")]
    Link {
        /// The bad record.
        seq: i64,
    },
    /// The record's fields do not hash to its stored hash (a field was edited).
    #[error("seq {seq}: contents do not match the record hash")]
    Contents {
        /// The bad record.
        seq: i64,
    },
    /// The chain ends before a signed checkpoint (truncation).
    #[error("seq {seq}: chain ends before checkpoint at seq {checkpoint_seq}")]
    Truncated {
        /// The first missing seq.
        seq: i64,
        /// The checkpoint that proves it existed.
        checkpoint_seq: i64,
    },
    /// The chain differs from what a signed checkpoint fixed (a rewrite behind it).
    #[error(
        "chain at seq {checkpoint_seq} differs from its signed checkpoint; the rewrite lies in seq {from}..={checkpoint_seq}"
    )]
    Rewritten {
        /// First seq after the previous good checkpoint.
        from: i64,
        /// The checkpoint that disagrees.
        checkpoint_seq: i64,
    },
    /// A checkpoint's signature does not verify with the audit key.
    #[error("checkpoint at seq {checkpoint_seq} has an invalid signature")]
    BadSignature {
        /// The forged checkpoint.
        checkpoint_seq: i64,
    },
}

impl ChainBreak {
    /// The first seq that cannot be trusted.
    #[must_use]
    pub const fn first_bad_seq(&self) -> i64 {
        match *self {
            Self::Sequence { expected: seq, .. }
            | Self::Detail { seq }
            | Self::Link { seq }
            | Self::Contents { seq }
            | Self::Truncated { seq, .. } => seq,
            Self::Rewritten { from, .. } => from,
            Self::BadSignature { checkpoint_seq } => checkpoint_seq,
        }
    }
}

/// Checks records one by one, in seq order, holding only the running head.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    next_seq: i64,
    prev_hash: Hash,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self { next_seq: 1, prev_hash: GENESIS }
    }
}

impl ChainVerifier {
    /// Checks the next record.
    ///
    /// # Errors
    /// The first [`ChainBreak`] found; after an error the verifier should not be used further.
    pub fn push(&mut self, record: &AuditRecord) -> Result<(), ChainBreak> {
        if record.seq != self.next_seq {
            return Err(ChainBreak::Sequence { expected: self.next_seq, found: record.seq });
        }
        if digest(&record.entry.detail) != record.detail_digest {
            return Err(ChainBreak::Detail { seq: record.seq });
        }
        if record.prev_hash != self.prev_hash {
            return Err(ChainBreak::Link { seq: record.seq });
        }
        let expected = record_hash(record.seq, record.at, &record.entry, &record.detail_digest, &record.prev_hash);
        if expected != record.hash {
            return Err(ChainBreak::Contents { seq: record.seq });
        }
        self.next_seq += 1;
        self.prev_hash = record.hash;
        Ok(())
    }

    /// The number of records checked so far.
    #[must_use]
    pub const fn verified(&self) -> i64 {
        self.next_seq - 1
    }

    /// The hash of the last record checked ([`GENESIS`] before any).
    #[must_use]
    pub const fn head(&self) -> Hash {
        self.prev_hash
    }
}

/// A signed statement that the chain had `seq` records with head `hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Number of records covered.
    pub seq: i64,
    /// Hash of record `seq`.
    pub hash: Hash,
    /// When it was signed.
    pub at: Timestamp,
    /// Ed25519 signature over [`Checkpoint::message`].
    pub signature: [u8; 64],
}

impl Checkpoint {
    /// The signed text: origin, size, head hash and time, one per line.
    #[must_use]
    pub fn message(origin: &str, seq: i64, hash: &Hash, at: Timestamp) -> String {
        format!("parkops-audit-checkpoint-v1\n{origin}\n{seq}\n{}\n{}\n", hex::encode(hash), at.as_millis())
    }

    /// Signs the head `(seq, hash)` at `at`.
    #[must_use]
    pub fn sign(key: &SigningKey, origin: &str, seq: i64, hash: Hash, at: Timestamp) -> Self {
        let sig = key.0.sign(Self::message(origin, seq, &hash, at).as_bytes());
        Self { seq, hash, at, signature: sig.to_bytes() }
    }

    /// Whether the signature is valid for `origin` under `key`.
    #[must_use]
    pub fn verify(&self, key: &VerifyingKey, origin: &str) -> bool {
        let sig = ed25519_dalek::Signature::from_bytes(&self.signature);
        key.0.verify(Self::message(origin, self.seq, &self.hash, self.at).as_bytes(), &sig).is_ok()
    }
}

/// The audit signing key (Ed25519). Kept in a file outside the database.
pub struct SigningKey(ed25519_dalek::SigningKey);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(redacted)")
    }
}

impl SigningKey {
    /// The key with this 32-byte secret seed.
    #[must_use]
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    /// The secret seed, for writing the key file.
    #[must_use]
    pub fn seed(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The matching public key.
    #[must_use]
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey(self.0.verifying_key())
    }
}

/// The public half of the audit key, which a third party keeps to check checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyingKey(ed25519_dalek::VerifyingKey);

impl VerifyingKey {
    /// Parses 32 bytes of hex.
    #[must_use]
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes: [u8; 32] = hex::decode(text.trim()).ok()?.try_into().ok()?;
        ed25519_dalek::VerifyingKey::from_bytes(&bytes).ok().map(Self)
    }

    /// The key as hex.
    #[must_use]
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.as_bytes())
    }
}

/// Checks a chain's records against its checkpoints, in any order of arrival.
///
/// `head_at(seq)` answers the chain's hash at `seq` as recomputed by a [`ChainVerifier`]
/// (or `None` past its end); checkpoints are checked from the oldest, and the first
/// failure is returned.
///
/// # Errors
/// [`ChainBreak::BadSignature`], [`ChainBreak::Truncated`] or [`ChainBreak::Rewritten`].
pub fn check_checkpoints(
    checkpoints: &[Checkpoint],
    key: &VerifyingKey,
    origin: &str,
    chain_len: i64,
    head_at: impl Fn(i64) -> Option<Hash>,
) -> Result<(), ChainBreak> {
    let mut sorted: Vec<&Checkpoint> = checkpoints.iter().collect();
    sorted.sort_by_key(|c| c.seq);
    let mut last_good = 0;
    for cp in sorted {
        if !cp.verify(key, origin) {
            return Err(ChainBreak::BadSignature { checkpoint_seq: cp.seq });
        }
        if cp.seq > chain_len {
            return Err(ChainBreak::Truncated { seq: chain_len + 1, checkpoint_seq: cp.seq });
        }
        if head_at(cp.seq) != Some(cp.hash) {
            return Err(ChainBreak::Rewritten { from: last_good + 1, checkpoint_seq: cp.seq });
        }
        last_good = cp.seq;
    }
    Ok(())
}

/// Export format of checkpoints, a small text file a third party can keep:
///
/// ```text
/// parkops-audit-checkpoints v1
/// origin <origin>
/// key <hex public key>
/// <seq> <at ms> <hash hex> <signature hex>
/// ```
#[must_use]
pub fn export_checkpoints(origin: &str, key: &VerifyingKey, checkpoints: &[Checkpoint]) -> String {
    let mut out = format!("parkops-audit-checkpoints v1\norigin {origin}\nkey {}\n", key.to_hex());
    for c in checkpoints {
        out.push_str(&format!("{} {} {} {}\n", c.seq, c.at.as_millis(), hex::encode(c.hash), hex::encode(c.signature)));
    }
    out
}

/// A checkpoint file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("checkpoint file line {line}: malformed")]
pub struct CheckpointFileError {
    /// 1-based line number.
    pub line: usize,
}

/// Parses [`export_checkpoints`] output into `(origin, key, checkpoints)`.
///
/// # Errors
/// [`CheckpointFileError`] naming the first bad line.
pub fn parse_checkpoints(text: &str) -> Result<(String, VerifyingKey, Vec<Checkpoint>), CheckpointFileError> {
    let mut lines = text.lines().enumerate();
    let bad = |line: usize| CheckpointFileError { line: line + 1 };
    match lines.next() {
        Some((_, "parkops-audit-checkpoints v1")) => {}
        _ => return Err(CheckpointFileError { line: 1 }),
    }
    let (i, l) = lines.next().ok_or(CheckpointFileError { line: 2 })?;
    let origin = l.strip_prefix("origin ").ok_or_else(|| bad(i))?.to_owned();
    let (i, l) = lines.next().ok_or(CheckpointFileError { line: 3 })?;
    let key = l.strip_prefix("key ").and_then(VerifyingKey::from_hex).ok_or_else(|| bad(i))?;
    let mut out = Vec::new();
    for (i, l) in lines {
        if l.trim().is_empty() {
            continue;
        }
        let parts: Vec<&str> = l.split(' ').collect();
        let [seq, at, hash, sig] = parts.as_slice() else { return Err(bad(i)) };
        let seq = seq.parse().map_err(|_| bad(i))?;
        let at = Timestamp::from_millis(at.parse().map_err(|_| bad(i))?);
        let hash: Hash = hex::decode(hash).ok().and_then(|b| b.try_into().ok()).ok_or_else(|| bad(i))?;
        let signature: [u8; 64] = hex::decode(sig).ok().and_then(|b| b.try_into().ok()).ok_or_else(|| bad(i))?;
        out.push(Checkpoint { seq, hash, at, signature });
    }
    Ok((origin, key, out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry(i: i64) -> AuditEntry {
        AuditEntry {
            actor_id: "u1".into(),
            actor_name: "张三".into(),
            source_ip: "127.0.0.1".into(),
            request_id: format!("r{i}"),
            action: "user.create".into(),
            entity_type: "user".into(),
            entity_id: format!("e{i}"),
            outcome: Outcome::Success,
            detail: format!("{{\"n\":{i}}}"),
        }
    }

    fn chain(n: i64) -> Vec<AuditRecord> {
        let mut out: Vec<AuditRecord> = Vec::new();
        for i in 1..=n {
            let (seq, prev) = out.last().map_or((0, GENESIS), |r| (r.seq, r.hash));
            out.push(seal(entry(i), Timestamp::from_millis(i * 1000), seq, prev));
        }
        out
    }

    fn verify(records: &[AuditRecord]) -> Result<(), ChainBreak> {
        let mut v = ChainVerifier::default();
        records.iter().try_for_each(|r| v.push(r))
    }

    #[test]
    fn intact_chain_verifies() {
        assert_eq!(verify(&chain(50)), Ok(()));
    }

    #[test]
    fn edit_is_found_at_its_seq() {
        let mut c = chain(20);
        c[6].entry.actor_name = "李四".into();
        assert_eq!(verify(&c).map_err(|e| e.first_bad_seq()), Err(7));
        let mut c = chain(20);
        c[9].entry.detail = "{\"n\":0}".into();
        assert_eq!(verify(&c), Err(ChainBreak::Detail { seq: 10 }));
    }

    #[test]
    fn deletion_and_reorder_are_found() {
        let mut c = chain(20);
        c.remove(4);
        assert_eq!(verify(&c).map_err(|e| e.first_bad_seq()), Err(5));
        let mut c = chain(20);
        c.swap(11, 12);
        assert_eq!(verify(&c).map_err(|e| e.first_bad_seq()), Err(12));
        // Renumbering after a deletion still breaks the link at the gap.
        let mut c = chain(20);
        c.remove(4);
        for r in c.iter_mut().skip(4) {
            r.seq -= 1;
        }
        assert_eq!(verify(&c), Err(ChainBreak::Link { seq: 5 }));
    }

    #[test]
    fn checkpoints_catch_truncation_and_rechain() {
        let key = SigningKey::from_seed([7; 32]);
        let vk = key.verifying_key();
        let c = chain(30);
        let cp = Checkpoint::sign(&key, "JB", 20, c[19].hash, Timestamp::from_millis(5));
        // Truncated to 15 records.
        let short = &c[..15];
        let head = |seq: i64| short.get(usize::try_from(seq - 1).ok()?).map(|r| r.hash);
        assert_eq!(
            check_checkpoints(std::slice::from_ref(&cp), &vk, "JB", 15, head),
            Err(ChainBreak::Truncated { seq: 16, checkpoint_seq: 20 })
        );
        // A keyless re-chain from seq 3 verifies as a chain but not against the checkpoint.
        let mut rechained = c[..2].to_vec();
        for i in 3..=30 {
            let mut e = entry(i);
            if i == 3 {
                e.actor_name = "forger".into();
            }
            let last = rechained.last().map(|r| (r.seq, r.hash)).unwrap_or((0, GENESIS));
            rechained.push(seal(e, Timestamp::from_millis(i * 1000), last.0, last.1));
        }
        assert_eq!(verify(&rechained), Ok(()));
        let head = |seq: i64| rechained.get(usize::try_from(seq - 1).ok()?).map(|r| r.hash);
        assert_eq!(
            check_checkpoints(std::slice::from_ref(&cp), &vk, "JB", 30, head),
            Err(ChainBreak::Rewritten { from: 1, checkpoint_seq: 20 })
        );
    }

    #[test]
    fn forged_checkpoint_is_refused() {
        let key = SigningKey::from_seed([7; 32]);
        let other = SigningKey::from_seed([8; 32]);
        let c = chain(5);
        let forged = Checkpoint::sign(&other, "JB", 5, c[4].hash, Timestamp::from_millis(1));
        let head = |seq: i64| c.get(usize::try_from(seq - 1).ok()?).map(|r| r.hash);
        assert_eq!(
            check_checkpoints(&[forged], &key.verifying_key(), "JB", 5, head),
            Err(ChainBreak::BadSignature { checkpoint_seq: 5 })
        );
    }

    #[test]
    fn checkpoint_file_round_trips() {
        let key = SigningKey::from_seed([1; 32]);
        let cps = vec![Checkpoint::sign(&key, "JB", 3, [9; 32], Timestamp::from_millis(77))];
        let text = export_checkpoints("JB", &key.verifying_key(), &cps);
        let (origin, vk, parsed) = parse_checkpoints(&text).expect("round trip");
        assert_eq!(origin, "JB");
        assert_eq!(vk, key.verifying_key());
        assert_eq!(parsed, cps);
        assert!(parse_checkpoints("garbage").is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_single_byte_edit_is_found_at_its_seq(idx in 0usize..30, byte in 0usize..8, flip in 1u8..=255) {
            let mut c = chain(30);
            let r = &mut c[idx];
            let mut bytes = r.entry.entity_id.clone().into_bytes();
            let at = byte % bytes.len();
            bytes[at] ^= flip & 0x3f;
            if let Ok(s) = String::from_utf8(bytes) {
                prop_assume!(s != r.entry.entity_id);
                r.entry.entity_id = s;
                let seq = i64::try_from(idx).expect("small") + 1;
                prop_assert_eq!(verify(&c).map_err(|e| e.first_bad_seq()), Err(seq));
            }
        }

        #[test]
        fn any_hash_bit_flip_is_found(idx in 0usize..30, bit in 0usize..256) {
            let mut c = chain(30);
            c[idx].hash[bit / 8] ^= 1 << (bit % 8);
            let seq = i64::try_from(idx).expect("small") + 1;
            prop_assert_eq!(verify(&c).map_err(|e| e.first_bad_seq()), Err(seq));
        }
    }
}
