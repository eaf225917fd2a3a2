//! Storage epochs: the node-local keys of the store's at-rest layer.
//!
//! Every stored record is sealed under the data key of the epoch that was current when it
//! was written (see [`crate::envelope`]). The store never sees how a data key is kept: its
//! owner (`keywarden-kms`) wraps each one under a key of its own in the HSM, hands the store
//! the wrapped blob to keep in the node-local `storage_epochs` table, and unwraps them again
//! before [`crate::Store::unlock`]. Erasing starts a new epoch, re-seals what older epochs
//! still protect, makes that durable, and only then tells the owner that the older epochs'
//! keys may be destroyed (README, "At rest").

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use zeroize::Zeroizing;

use crate::error::StoreError;
use crate::key_memory::{AeadKey, KEY_LEN, KeyRejected};

/// Length of a storage epoch data key in bytes (AES-256).
pub const EPOCH_KEY_LEN: usize = KEY_LEN;

/// The unwrapped data key of one storage epoch: zeroized on drop, locked in RAM when the OS
/// allows, never printed.
pub struct EpochKey {
    key: AeadKey,
}

impl EpochKey {
    /// Takes a 32-byte AES-256 key.
    pub fn new(bytes: Zeroizing<Vec<u8>>) -> Result<EpochKey, StoreError> {
        let key = AeadKey::new(&bytes).map_err(|e| StoreError::InvalidEpochKey {
            reason: match e {
                KeyRejected::Length(n) => format!("key is {n} bytes, expected {EPOCH_KEY_LEN}"),
                KeyRejected::Schedule => "AES-256-GCM rejected the key".to_string(),
            },
        })?;
        Ok(EpochKey { key })
    }

    /// Whether the key bytes are locked in RAM (mlock succeeded).
    pub fn is_memory_locked(&self) -> bool {
        self.key.is_memory_locked()
    }

    pub(crate) fn aead(&self) -> &AeadKey {
        &self.key
    }
}

impl std::fmt::Debug for EpochKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EpochKey(<redacted>)")
    }
}

/// The storage epochs of a store as it holds them: what its owner unwraps before unlocking,
/// and what the erase schedule looks at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StorageEpochs {
    /// The epoch new writes are sealed under; `None` before the first unlock.
    pub current: Option<u64>,
    /// When the current epoch began (Unix seconds).
    pub current_since: Option<i64>,
    /// Every epoch with a wrapped data key stored here, ascending, with that wrapped key.
    pub wrapped: Vec<(u64, Vec<u8>)>,
    /// The database predates storage epochs (table format 2): its records are plain, and the
    /// first unlock seals them.
    pub plain_records: bool,
    /// The database (or its commit journal) holds at least one object.
    pub holds_objects: bool,
    /// A record lost its material (a Destroy) since the current epoch began.
    pub erase_pending: bool,
    /// When the last erase completed (Unix seconds).
    pub last_erase: Option<i64>,
}

impl StorageEpochs {
    /// The stored epochs older than the current one: an erase that has not finished.
    pub fn older(&self) -> Vec<u64> {
        self.wrapped
            .iter()
            .map(|(e, _)| *e)
            .filter(|e| self.current.is_some_and(|c| *e < c))
            .collect()
    }
}

/// A new storage epoch: its number, its data key, and that key wrapped by the owner.
#[derive(Debug)]
pub struct NewEpoch {
    /// Epoch number, above every epoch the store ever had.
    pub epoch: u64,
    /// The data key wrapped by the owner (kept in `storage_epochs`, never replicated).
    pub wrapped: Vec<u8>,
    /// The data key itself.
    pub key: EpochKey,
}

/// What [`crate::Store::unlock`] needs.
#[derive(Debug, Default)]
pub struct Unlock {
    /// The unwrapped data keys of the stored epochs. The current epoch's is required; one
    /// whose wrapping key is gone may be left out (records under it are then refused).
    pub keys: Vec<(u64, EpochKey)>,
    /// The first epoch, exactly when the store has none yet.
    pub first: Option<NewEpoch>,
}

/// What one call of [`crate::Store::reseal`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResealBatch {
    /// Records moved from an older epoch to the current one.
    pub resealed: usize,
    /// Records under an older epoch that do not authenticate (left as they are: no key could
    /// ever serve them).
    pub unreadable: usize,
    /// Where the next batch starts; `None` when the pass reached the last object.
    pub next: Option<String>,
}

/// The data keys the store holds now: readers and the writer share one snapshot at a time.
pub(crate) struct Keyring {
    current: u64,
    keys: BTreeMap<u64, Arc<EpochKey>>,
}

impl Keyring {
    /// A keyring whose current epoch is `current`; its key must be among `keys`.
    pub(crate) fn new(
        current: u64,
        keys: BTreeMap<u64, Arc<EpochKey>>,
    ) -> Result<Keyring, StoreError> {
        if !keys.contains_key(&current) {
            return Err(StoreError::EpochKeyMissing { epoch: current });
        }
        Ok(Keyring { current, keys })
    }

    /// The epoch new writes are sealed under.
    pub(crate) fn current(&self) -> u64 {
        self.current
    }

    /// The current epoch's key.
    pub(crate) fn current_key(&self) -> &EpochKey {
        // `new` and `with_current` keep the current key present.
        &self.keys[&self.current]
    }

    /// The key of `epoch`, if held.
    pub(crate) fn key(&self, epoch: u64) -> Option<&EpochKey> {
        self.keys.get(&epoch).map(|k| &**k)
    }

    /// Held epochs older than the current one.
    pub(crate) fn older(&self) -> Vec<u64> {
        self.keys.range(..self.current).map(|(e, _)| *e).collect()
    }

    /// This keyring with `epoch` added as the current one.
    pub(crate) fn with_current(&self, epoch: u64, key: Arc<EpochKey>) -> Keyring {
        let mut keys = self.keys.clone();
        keys.insert(epoch, key);
        Keyring {
            current: epoch,
            keys,
        }
    }

    /// This keyring without `epochs` (the current one always stays).
    pub(crate) fn without(&self, epochs: &[u64]) -> Keyring {
        let mut keys = self.keys.clone();
        for e in epochs {
            if *e != self.current {
                keys.remove(e);
            }
        }
        Keyring {
            current: self.current,
            keys,
        }
    }
}

/// Where the store keeps its keyring: empty until unlocked.
#[derive(Default)]
pub(crate) struct KeyCell(RwLock<Option<Arc<Keyring>>>);

impl KeyCell {
    /// The keyring, or [`StoreError::Locked`].
    pub(crate) fn get(&self) -> Result<Arc<Keyring>, StoreError> {
        self.0
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or(StoreError::Locked)
    }

    /// Replaces the keyring (the old one's keys are zeroized once no reader holds them).
    pub(crate) fn set(&self, keyring: Arc<Keyring>) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Some(keyring);
    }

    /// Whether the store is unlocked.
    pub(crate) fn is_set(&self) -> bool {
        self.0.read().unwrap_or_else(|p| p.into_inner()).is_some()
    }
}
