//! The audit signing key and origin, kept in the data directory, outside the database, so
//! that whoever can rewrite the database still cannot sign a checkpoint over the rewrite.
//!
//! Files:
//! - `audit-signing.key`: the 32-byte Ed25519 seed in hex, mode 0600, created at first use;
//! - `audit-signing.pub`: the public key in hex, for verifiers;
//! - `audit-signing.origin`: the name checkpoints are signed for, fixed when first needed
//!   (the first park's code, or `parkops` on an empty installation) so it never changes
//!   under existing checkpoints when parks are added later.
//!
//! Several `serve` instances on one PostgreSQL must share these files.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use parkops_app::ports::Store;
use parkops_domain::audit::{SigningKey, VerifyingKey};

const KEY_FILE: &str = "audit-signing.key";
const PUB_FILE: &str = "audit-signing.pub";
const ORIGIN_FILE: &str = "audit-signing.origin";
/// The origin of an installation that had no park when its origin was fixed.
const DEFAULT_ORIGIN: &str = "parkops";

/// The key file's path in `data_dir`.
pub fn key_path(data_dir: &Path) -> PathBuf {
    data_dir.join(KEY_FILE)
}

/// Loads the signing key, creating it (and the public key file) if absent.
///
/// # Errors
/// When the file cannot be read or written, or holds something other than a 32-byte hex seed.
pub fn load_or_create_signing_key(data_dir: &Path) -> anyhow::Result<SigningKey> {
    let path = key_path(data_dir);
    let key = match read_signing_key(&path)? {
        Some(key) => key,
        None => create_signing_key(data_dir, &path)?,
    };
    let public = key.verifying_key().to_hex();
    let pub_path = data_dir.join(PUB_FILE);
    match fs::read_to_string(&pub_path) {
        Ok(text) if text.trim() == public => {}
        Ok(_) => bail!("{} does not match {}: restore the pair from a backup", pub_path.display(), path.display()),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            write_file(&pub_path, &format!("{public}\n"), 0o644)
                .with_context(|| format!("cannot write {}", pub_path.display()))?;
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", pub_path.display())),
    }
    Ok(key)
}

/// The verifying key for `audit verify`: `--public-key`, else the public key file, else the
/// key file. Never creates anything.
///
/// # Errors
/// When no key is given or found, or the hex is malformed.
pub fn verifying_key(data_dir: &Path, given: Option<&str>) -> anyhow::Result<VerifyingKey> {
    if let Some(hex) = given {
        return VerifyingKey::from_hex(hex.trim()).context("--public-key is not a 32-byte hex Ed25519 public key");
    }
    let pub_path = data_dir.join(PUB_FILE);
    match fs::read_to_string(&pub_path) {
        Ok(text) => {
            return VerifyingKey::from_hex(text.trim())
                .with_context(|| format!("{} does not hold a hex Ed25519 public key", pub_path.display()));
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", pub_path.display())),
    }
    match read_signing_key(&key_path(data_dir))? {
        Some(key) => Ok(key.verifying_key()),
        None => bail!(
            "no audit public key: give --public-key or a --data-dir holding {PUB_FILE} (looked in {})",
            data_dir.display()
        ),
    }
}

/// The origin recorded in `data_dir`, if any.
///
/// # Errors
/// When the file exists but cannot be read or is empty.
pub fn recorded_origin(data_dir: &Path) -> anyhow::Result<Option<String>> {
    let path = data_dir.join(ORIGIN_FILE);
    match fs::read_to_string(&path) {
        Ok(text) => {
            let origin = text.trim().to_owned();
            if origin.is_empty() || origin.contains(char::is_whitespace) {
                bail!("{} must hold one word, the audit origin", path.display());
            }
            Ok(Some(origin))
        }
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// The origin an installation would get now: its first park's code, or `parkops`.
///
/// # Errors
/// When the database cannot be read.
pub async fn derived_origin(store: &dyn Store) -> anyhow::Result<String> {
    let parks = store.parks().await.context("cannot read the parks")?;
    Ok(parks.first().map_or_else(|| DEFAULT_ORIGIN.to_owned(), |p| p.code.clone()))
}

/// The recorded origin, or — at first use — the derived one, recorded from now on.
///
/// # Errors
/// When the file or the database cannot be read, or the file cannot be written.
pub async fn settle_origin(data_dir: &Path, store: &dyn Store) -> anyhow::Result<String> {
    if let Some(origin) = recorded_origin(data_dir)? {
        return Ok(origin);
    }
    let origin = derived_origin(store).await?;
    let path = data_dir.join(ORIGIN_FILE);
    match write_file(&path, &format!("{origin}\n"), 0o644) {
        Ok(()) => {
            tracing::info!(origin, file = %path.display(), "audit origin recorded");
            Ok(origin)
        }
        // Another process recorded it first: theirs holds.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            recorded_origin(data_dir)?.with_context(|| format!("{} vanished", path.display()))
        }
        Err(e) => Err(e).with_context(|| format!("cannot write {}", path.display())),
    }
}

/// Refuses a key or origin that did not sign the database's latest checkpoint: signing on
/// with them would make every earlier checkpoint fail verification.
///
/// # Errors
/// On a mismatch, with what to restore.
pub async fn check_matches_checkpoints(
    store: &dyn Store,
    key: &VerifyingKey,
    origin: &str,
    data_dir: &Path,
) -> anyhow::Result<()> {
    let checkpoints = store.checkpoints().await.context("cannot read the audit checkpoints")?;
    if let Some(last) = checkpoints.last()
        && !last.verify(key, origin)
    {
        bail!(
            "the audit key and origin in {} (public key {}, origin {origin}) did not sign the \
                 database's latest checkpoint (seq {}): restore {KEY_FILE}, {PUB_FILE} and {ORIGIN_FILE} \
                 from a backup or from the instance that created them",
            data_dir.display(),
            key.to_hex(),
            last.seq
        );
    }
    Ok(())
}

fn read_signing_key(path: &Path) -> anyhow::Result<Option<SigningKey>> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let mode = fs::metadata(path).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
    if mode & 0o077 != 0 {
        tracing::warn!(file = %path.display(), mode = format!("{mode:o}"), "the audit signing key is readable by others: chmod 600");
    }
    let seed: [u8; 32] = hex::decode(text.trim())
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .with_context(|| format!("{} does not hold a 32-byte hex seed", path.display()))?;
    Ok(Some(SigningKey::from_seed(seed)))
}

fn create_signing_key(data_dir: &Path, path: &Path) -> anyhow::Result<SigningKey> {
    fs::create_dir_all(data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no randomness for the audit key: {e}"))?;
    match write_file(path, &format!("{}\n", hex::encode(seed)), 0o600) {
        Ok(()) => {
            tracing::info!(file = %path.display(), "audit signing key created; back it up apart from the database");
            Ok(SigningKey::from_seed(seed))
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            read_signing_key(path)?.with_context(|| format!("{} vanished", path.display()))
        }
        Err(e) => Err(e).with_context(|| format!("cannot write {}", path.display())),
    }
}

/// Writes a new file (never replacing one) durably, with `mode`.
fn write_file(path: &Path, contents: &str, mode: u32) -> std::io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).mode(mode).open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("parkops-keys-{}", uuid_like()));
        fs::create_dir_all(&dir).expect("dir");
        dir
    }

    fn uuid_like() -> String {
        let mut b = [0u8; 8];
        getrandom::fill(&mut b).expect("random");
        hex::encode(b)
    }

    #[test]
    fn the_key_is_created_once_private_and_published() {
        let dir = temp_dir();
        let first = load_or_create_signing_key(&dir).expect("create");
        let again = load_or_create_signing_key(&dir).expect("load");
        assert_eq!(first.seed(), again.seed());
        let mode = fs::metadata(key_path(&dir)).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(verifying_key(&dir, None).expect("pub").to_hex(), first.verifying_key().to_hex());
        fs::remove_file(dir.join(PUB_FILE)).expect("rm pub");
        assert_eq!(verifying_key(&dir, None).expect("from key").to_hex(), first.verifying_key().to_hex());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_mismatched_public_key_file_is_refused() {
        let dir = temp_dir();
        load_or_create_signing_key(&dir).expect("create");
        fs::remove_file(dir.join(PUB_FILE)).expect("rm");
        fs::write(dir.join(PUB_FILE), SigningKey::from_seed([9; 32]).verifying_key().to_hex()).expect("write");
        assert!(load_or_create_signing_key(&dir).is_err());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn verifying_needs_a_key_and_never_creates_one() {
        let dir = temp_dir();
        assert!(verifying_key(&dir, None).is_err());
        assert!(!key_path(&dir).exists());
        assert!(verifying_key(&dir, Some("zz")).is_err());
        let hex = SigningKey::from_seed([1; 32]).verifying_key().to_hex();
        assert_eq!(verifying_key(&dir, Some(&hex)).expect("given").to_hex(), hex);
        let _ = fs::remove_dir_all(&dir);
    }
}
