//! The public key file beside the segments: which key signs this log's checkpoints.
//!
//! `audit-key.json`: `{"algorithm":"ed25519","key_id":"<16 hex>","public_key":"<hex>"}`.
//! It lets `verify` check signatures without being told the key; an attacker who can write
//! the directory can replace it, which only pinning the expected key detects.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::files;
use crate::hex;
use crate::signer::{KeyId, PublicKey, SignatureAlgorithm};

/// File name of the public key file.
pub const KEY_FILE: &str = "audit-key.json";
/// Largest key file read.
const MAX_KEY_FILE: u64 = 16 * 1024;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFileV1 {
    algorithm: SignatureAlgorithm,
    key_id: KeyId,
    public_key: String,
}

/// Why the key file could not be used.
#[derive(Debug)]
pub(crate) enum KeyFileError {
    /// There is none.
    Missing,
    /// It could not be read.
    Io(io::Error),
    /// Its contents are wrong.
    Invalid(String),
}

impl std::fmt::Display for KeyFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyFileError::Missing => f.write_str("missing"),
            KeyFileError::Io(e) => write!(f, "cannot read it: {e}"),
            KeyFileError::Invalid(r) => write!(f, "invalid: {r}"),
        }
    }
}

/// The key file's path in `dir`.
pub(crate) fn path(dir: &Path) -> PathBuf {
    dir.join(KEY_FILE)
}

/// Reads the key in `dir`.
pub(crate) fn load(dir: &Path) -> Result<PublicKey, KeyFileError> {
    let bytes = match files::read_bounded(&path(dir), MAX_KEY_FILE) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(KeyFileError::Missing),
        Err(e) => return Err(KeyFileError::Io(e)),
    };
    let file: KeyFileV1 =
        serde_json::from_slice(&bytes).map_err(|e| KeyFileError::Invalid(e.to_string()))?;
    let raw = hex::decode(&file.public_key)
        .ok_or_else(|| KeyFileError::Invalid("public_key is not hex".into()))?;
    let key =
        PublicKey::new(file.algorithm, raw).map_err(|e| KeyFileError::Invalid(e.to_string()))?;
    if key.key_id() != file.key_id {
        return Err(KeyFileError::Invalid(format!(
            "key_id {} is not the id of the key ({})",
            file.key_id,
            key.key_id()
        )));
    }
    Ok(key)
}

/// Writes the key file in `dir`, durably.
pub(crate) fn store(dir: &Path, key: &PublicKey) -> io::Result<()> {
    let file = KeyFileV1 {
        algorithm: key.algorithm(),
        key_id: key.key_id(),
        public_key: hex::encode(key.as_bytes()),
    };
    let mut text = serde_json::to_vec_pretty(&file).map_err(io::Error::other)?;
    text.push(b'\n');
    files::create_whole(dir, KEY_FILE, &text).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Ed25519Signer, Signer};

    #[test]
    fn store_then_load() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(load(dir.path()), Err(KeyFileError::Missing)));
        let key = Ed25519Signer::generate().unwrap().public_key();
        store(dir.path(), &key).unwrap();
        assert_eq!(load(dir.path()).unwrap(), key);
    }

    #[test]
    fn a_wrong_key_id_or_garbage_is_invalid() {
        let dir = tempfile::tempdir().unwrap();
        let key = Ed25519Signer::generate().unwrap().public_key();
        let other = Ed25519Signer::generate().unwrap().public_key();
        let text = format!(
            "{{\"algorithm\":\"ed25519\",\"key_id\":\"{}\",\"public_key\":\"{}\"}}",
            other.key_id(),
            hex::encode(key.as_bytes())
        );
        std::fs::write(path(dir.path()), text).unwrap();
        assert!(matches!(load(dir.path()), Err(KeyFileError::Invalid(_))));
        std::fs::write(path(dir.path()), b"\xff\x00").unwrap();
        assert!(matches!(load(dir.path()), Err(KeyFileError::Invalid(_))));
    }
}
