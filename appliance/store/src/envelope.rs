//! The at-rest form of an object record: its postcard bytes sealed under a storage epoch.
//!
//! Layout (what `objects` holds and what the commit journal carries):
//!
//! ```text
//! 0xE5 | epoch u64 BE | n u32 BE | nonce (12) | AES-256-GCM ciphertext and tag (n bytes)
//! ```
//!
//! AAD = `"keywarden/record/v1" | u32 BE length | "objects" | u32 BE length | UUID | epoch
//! u64 BE`: a record opens only as itself (its table and key), only under its own epoch. The
//! key material inside stays sealed under the domain KEK as before; this layer is node-local
//! and never replicated. A plain postcard [`crate::Record`] starts with its variant index
//! (below 0x80), so the first byte tells a sealed record from one written before storage
//! epochs existed (table format 2); a plain record is accepted only while such a database is
//! sealed at its first unlock.

use aws_lc_rs::aead::NONCE_LEN;

use crate::epoch::{EpochKey, Keyring};
use crate::error::{RecordFault, StoreError};
use crate::key_memory::{TAG_LEN, random_nonce};
use crate::record::{ObjectRecord, Record};

/// First byte of a sealed record, layout 1.
pub(crate) const SEALED_V1: u8 = 0xE5;

/// Bytes before the ciphertext.
pub(crate) const HEADER_LEN: usize = 1 + 8 + 4 + NONCE_LEN;

const AAD_CONTEXT: &[u8] = b"keywarden/record/v1";

/// The table whose records this layer seals (part of the AAD).
const TABLE: &str = "objects";

fn aad(uuid: &str, epoch: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(AAD_CONTEXT.len() + 8 + TABLE.len() + uuid.len() + 8);
    out.extend_from_slice(AAD_CONTEXT);
    for part in [TABLE.as_bytes(), uuid.as_bytes()] {
        // Key text is at most 1 KiB (the writer checks); saturate to stay total.
        out.extend_from_slice(&u32::try_from(part.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(part);
    }
    out.extend_from_slice(&epoch.to_be_bytes());
    out
}

/// A stored value taken apart.
pub(crate) enum Stored<'a> {
    /// Written before storage epochs.
    Plain(&'a [u8]),
    /// Sealed under `epoch`.
    Sealed {
        epoch: u64,
        nonce: [u8; NONCE_LEN],
        ciphertext: &'a [u8],
    },
}

/// Splits stored bytes; `Err` when they claim to be sealed but are cut or padded.
pub(crate) fn parse(stored: &[u8]) -> Result<Stored<'_>, RecordFault> {
    if stored.first() != Some(&SEALED_V1) {
        return Ok(Stored::Plain(stored));
    }
    let header = stored.get(..HEADER_LEN).ok_or(RecordFault::Malformed)?;
    let epoch = u64::from_be_bytes(
        header[1..9]
            .try_into()
            .map_err(|_| RecordFault::Malformed)?,
    );
    let n = u32::from_be_bytes(
        header[9..13]
            .try_into()
            .map_err(|_| RecordFault::Malformed)?,
    );
    let nonce: [u8; NONCE_LEN] = header[13..]
        .try_into()
        .map_err(|_| RecordFault::Malformed)?;
    let ciphertext = &stored[HEADER_LEN..];
    if usize::try_from(n).ok() != Some(ciphertext.len()) || ciphertext.len() < TAG_LEN {
        return Err(RecordFault::Malformed);
    }
    Ok(Stored::Sealed {
        epoch,
        nonce,
        ciphertext,
    })
}

/// The epoch stored bytes are sealed under; `None` for plain or malformed bytes.
pub(crate) fn epoch_of(stored: &[u8]) -> Option<u64> {
    match parse(stored) {
        Ok(Stored::Sealed { epoch, .. }) => Some(epoch),
        _ => None,
    }
}

/// Seals a record's postcard bytes under `epoch`'s key.
pub(crate) fn seal(
    key: &EpochKey,
    epoch: u64,
    uuid: &str,
    record: &[u8],
) -> Result<Vec<u8>, StoreError> {
    let nonce = random_nonce()?;
    let ciphertext = key.aead().seal(nonce, &aad(uuid, epoch), record)?;
    let n = u32::try_from(ciphertext.len()).map_err(|_| StoreError::Invalid {
        field: "record",
        reason: format!("{} bytes, more than a record may hold", ciphertext.len()),
    })?;
    let mut out = Vec::with_capacity(HEADER_LEN + ciphertext.len());
    out.push(SEALED_V1);
    out.extend_from_slice(&epoch.to_be_bytes());
    out.extend_from_slice(&n.to_be_bytes());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

/// Seals a record's postcard bytes under the current epoch.
pub(crate) fn seal_current(
    keys: &Keyring,
    uuid: &str,
    record: &[u8],
) -> Result<Vec<u8>, StoreError> {
    seal(keys.current_key(), keys.current(), uuid, record)
}

/// The postcard bytes of the record stored under `uuid`, authenticated. A plain record is
/// taken as it is only with `plain_allowed` (a database being sealed at its first unlock).
pub(crate) fn unseal(
    keys: &Keyring,
    uuid: &str,
    stored: &[u8],
    plain_allowed: bool,
) -> Result<Vec<u8>, RecordFault> {
    match parse(stored)? {
        Stored::Plain(bytes) if plain_allowed => Ok(bytes.to_vec()),
        Stored::Plain(_) => Err(RecordFault::NotSealed),
        Stored::Sealed {
            epoch,
            nonce,
            ciphertext,
        } => {
            let key = keys
                .key(epoch)
                .ok_or(RecordFault::EpochKeyUnavailable { epoch })?;
            // The record bytes hold material only sealed under the domain KEK: no need to
            // keep them in zeroized memory beyond the decryption buffer.
            key.aead()
                .open(nonce, &aad(uuid, epoch), ciphertext)
                .map(|plain| plain.to_vec())
                .ok_or(RecordFault::Authentication { epoch })
        }
    }
}

/// The record stored under `uuid`, authenticated and decoded.
pub(crate) fn open(
    keys: &Keyring,
    uuid: &str,
    stored: &[u8],
    plain_allowed: bool,
) -> Result<ObjectRecord, StoreError> {
    let rejected = |fault| StoreError::RecordRejected {
        uuid: uuid.to_string(),
        fault,
    };
    let bytes = unseal(keys, uuid, stored, plain_allowed).map_err(rejected)?;
    let rec = Record::decode(&bytes)?.into_current();
    // The AAD binds a sealed record to its key; a plain one only says whose it is.
    if rec.uuid != uuid {
        return Err(rejected(RecordFault::WrongObject));
    }
    Ok(rec)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use zeroize::Zeroizing;

    use super::*;

    fn key(b: u8) -> Arc<EpochKey> {
        Arc::new(EpochKey::new(Zeroizing::new(vec![b; 32])).expect("key"))
    }

    fn keyring(current: u64, epochs: &[(u64, u8)]) -> Keyring {
        let keys: BTreeMap<u64, Arc<EpochKey>> =
            epochs.iter().map(|(e, b)| (*e, key(*b))).collect();
        Keyring::new(current, keys).expect("keyring")
    }

    #[test]
    fn a_sealed_record_opens_only_as_itself_under_its_epoch() {
        let keys = keyring(2, &[(1, 1), (2, 2)]);
        let sealed = seal_current(&keys, "u-1", b"record bytes").expect("seal");
        assert_eq!(sealed[0], SEALED_V1);
        assert_eq!(epoch_of(&sealed), Some(2));
        assert_eq!(sealed.len(), HEADER_LEN + 12 + TAG_LEN);
        assert_eq!(
            unseal(&keys, "u-1", &sealed, false).expect("open"),
            b"record bytes"
        );
        assert_eq!(
            unseal(&keys, "u-2", &sealed, false),
            Err(RecordFault::Authentication { epoch: 2 }),
            "another object's key"
        );
        // Every single byte matters: header, nonce, ciphertext, tag.
        for i in 1..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(unseal(&keys, "u-1", &bad, false).is_err(), "byte {i}");
        }
        // Moved to another epoch number: that epoch's key (or none) does not open it.
        let mut moved = sealed.clone();
        moved[1..9].copy_from_slice(&1u64.to_be_bytes());
        assert_eq!(
            unseal(&keys, "u-1", &moved, false),
            Err(RecordFault::Authentication { epoch: 1 })
        );
        moved[1..9].copy_from_slice(&7u64.to_be_bytes());
        assert_eq!(
            unseal(&keys, "u-1", &moved, false),
            Err(RecordFault::EpochKeyUnavailable { epoch: 7 })
        );
        // Cut or padded.
        assert_eq!(
            unseal(&keys, "u-1", &sealed[..sealed.len() - 1], false),
            Err(RecordFault::Malformed)
        );
        let mut padded = sealed.clone();
        padded.push(0);
        assert_eq!(
            unseal(&keys, "u-1", &padded, false),
            Err(RecordFault::Malformed)
        );
        assert_eq!(
            unseal(&keys, "u-1", &sealed[..5], false),
            Err(RecordFault::Malformed)
        );
    }

    #[test]
    fn a_plain_record_is_refused_unless_plain_is_allowed() {
        let keys = keyring(1, &[(1, 1)]);
        let plain = [0u8, 1, 2];
        assert_eq!(
            unseal(&keys, "u-1", &plain, false),
            Err(RecordFault::NotSealed)
        );
        assert_eq!(unseal(&keys, "u-1", &plain, true).expect("upgrade"), plain);
        assert_eq!(epoch_of(&plain), None);
    }

    #[test]
    fn the_aad_separates_its_parts() {
        assert_ne!(aad("ab", 1), aad("a", 1));
        assert_ne!(aad("u", 1), aad("u", 2));
        assert!(aad("u", 1).starts_with(AAD_CONTEXT));
    }
}
