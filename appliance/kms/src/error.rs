//! Why the key service could not start.

use std::path::PathBuf;

/// A failure to open the key service (request-level failures are KMIP Result Reasons instead).
#[derive(Debug, thiserror::Error)]
pub enum KmsError {
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The store could not be opened.
    #[error("cannot open store {path}: {source}")]
    Store {
        /// The database file.
        path: PathBuf,
        /// The store error.
        source: keywarden_store::StoreError,
    },
    /// A blocking task failed.
    #[error("background task failed: {0}")]
    Task(String),
    /// The HSM failed a step of the storage epochs (unlock or erase); nothing a live record
    /// needs was destroyed.
    #[error("storage epochs: {step}: {source}")]
    EpochHsm {
        /// What was being done.
        step: &'static str,
        /// The HSM's answer.
        source: hsm_client::HsmError,
    },
    /// The store failed a step of the storage epochs (unlock or erase); nothing a live record
    /// needs was destroyed.
    #[error("storage epochs: {step}: {source}")]
    EpochStore {
        /// What was being done.
        step: &'static str,
        /// The store's error.
        source: keywarden_store::StoreError,
    },
    /// No random data key could be drawn for a new epoch.
    #[error("storage epochs: data key generation: {0}")]
    EpochKeyGeneration(keywarden_crypto::CryptoError),
    /// The database has plain records and no storage epoch, but the token holds epoch keys: a
    /// node that has them had sealed its records, so the database was replaced or its epochs
    /// removed. Its plain records are refused (not sealed and served as if they were ours).
    #[error(
        "the database has plain records and no storage epoch, but the HSM token holds {keys} \
         storage epoch keys: its records were sealed before, so the database was replaced or \
         altered; refusing to accept its plain records (an upgrade from a database written \
         before storage epochs needs a token without kw-epoch- keys)"
    )]
    EpochKeysWithoutEpochs {
        /// Epoch keys found in the token.
        keys: usize,
    },
    /// A setting of [`crate::KmsConfig`] is invalid; `field` names it.
    #[error("key service configuration {field}: {reason}")]
    Config {
        /// The setting.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// An erase cannot run now.
    #[error("storage erase unavailable: {0}")]
    EraseUnavailable(&'static str),
}

impl KmsError {
    /// Whether the failure is a dependency that is away now (the HSM does not answer, the
    /// store is not unlocked yet): retrying later may succeed.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            KmsError::EraseUnavailable(_)
                | KmsError::EpochHsm {
                    source: hsm_client::HsmError::Unavailable(_),
                    ..
                }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_hsm_away_is_unavailable_an_hsm_refusal_is_not() {
        let away = KmsError::EpochHsm {
            step: "creating the epoch key",
            source: hsm_client::HsmError::Unavailable("no socket".to_owned()),
        };
        assert!(away.is_unavailable());
        assert!(KmsError::EraseUnavailable("locked").is_unavailable());
        let refused = KmsError::EpochHsm {
            step: "destroying an older epoch key",
            source: hsm_client::HsmError::Bridge(hsm_client::BridgeError::Pkcs11(
                "CKR_GENERAL_ERROR".to_owned(),
            )),
        };
        assert!(!refused.is_unavailable());
        assert!(!KmsError::EpochKeysWithoutEpochs { keys: 1 }.is_unavailable());
    }
}
