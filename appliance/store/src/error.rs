//! The store's error type.

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The redb database failed (I/O, corruption, transaction error).
    #[error("database error: {0}")]
    Database(#[from] redb::Error),
    /// A group-commit transaction failed; every commit in it failed with this message.
    #[error("commit failed: {reason}")]
    Commit {
        /// Underlying failure.
        reason: String,
    },
    /// The store was closed; no more writes are accepted.
    #[error("store is closed")]
    Closed,
    /// I/O outside redb (file metadata, writer thread start).
    #[error("I/O error on {what}: {source}")]
    Io {
        /// What was being accessed.
        what: &'static str,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A value could not be encoded.
    #[error("cannot encode {what}: {reason}")]
    Encode {
        /// Kind of value.
        what: &'static str,
        /// Codec message.
        reason: String,
    },
    /// Stored bytes could not be decoded (corruption, or a record version this binary does not know).
    #[error("cannot decode {what}: {reason}")]
    Decode {
        /// Kind of value.
        what: &'static str,
        /// Codec message.
        reason: String,
    },
    /// A write operation was rejected before touching the database.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// Offending field.
        field: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// The domain KEK is unusable.
    #[error("invalid domain KEK: {reason}")]
    InvalidKek {
        /// Why.
        reason: String,
    },
    /// Sealed material was made by another KEK version.
    #[error("KEK version mismatch: KEK is version {expected}, material sealed with {found}")]
    KekVersionMismatch {
        /// Version of the KEK used to open.
        expected: u32,
        /// Version recorded in the sealed material.
        found: u32,
    },
    /// Sealed material failed authentication (tampered, wrong object binding or wrong KEK).
    #[error("sealed material of object {uuid} failed authentication")]
    MaterialAuthentication {
        /// UUID the caller tried to open it for.
        uuid: String,
    },
    /// A cryptographic primitive failed.
    #[error("crypto failure: {reason}")]
    Crypto {
        /// Why.
        reason: String,
    },
    /// The commit journal holds damaged frames followed by valid ones: acknowledged writes
    /// would be lost, so the store refuses to open until an operator looks at the file.
    #[error("commit journal is corrupt at offset {offset}: {reason}")]
    JournalCorrupt {
        /// Byte offset of the first bad frame.
        offset: u64,
        /// What is wrong there.
        reason: String,
    },
    /// An index does not agree with the objects table (found by `verify_indexes`).
    #[error("index inconsistency: {reason}")]
    IndexInconsistent {
        /// What disagrees.
        reason: String,
    },
    /// The store is open but not unlocked yet: no record can be read or written before
    /// [`crate::Store::unlock`] got the storage epoch keys.
    #[error("store is locked: its storage epoch keys are not unwrapped yet")]
    Locked,
    /// A storage epoch data key is unusable.
    #[error("invalid storage epoch key: {reason}")]
    InvalidEpochKey {
        /// Why.
        reason: String,
    },
    /// The key of a storage epoch the store needs was not given.
    #[error("the key of storage epoch {epoch} is missing")]
    EpochKeyMissing {
        /// The epoch.
        epoch: u64,
    },
    /// A stored record failed authentication at rest (edited, moved, or under an epoch whose
    /// key is gone): it is never served.
    #[error("stored record of object {uuid} is refused: {fault}")]
    RecordRejected {
        /// The object's UUID (the key it is stored under).
        uuid: String,
        /// What is wrong with it.
        fault: RecordFault,
    },
    /// Records that an older storage epoch's key still opens remain: the older epochs are not
    /// free to destroy yet (re-seal and settle again).
    #[error("{remaining} records are still sealed under an older storage epoch")]
    EraseIncomplete {
        /// How many.
        remaining: u64,
    },
    /// The storage epochs stored do not fit the database (its records are sealed but no epoch
    /// is stored, or a first epoch is offered to a store that has one).
    #[error("storage epochs inconsistent: {reason}")]
    EpochsInconsistent {
        /// What does not fit.
        reason: String,
    },
}

/// Why a stored record is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordFault {
    /// A plain record in a database whose records are all sealed.
    #[error("it is not sealed, and every record of this database is")]
    NotSealed,
    /// The at-rest envelope is cut, padded or garbled.
    #[error("its at-rest envelope is malformed")]
    Malformed,
    /// It names a storage epoch whose key this node does not hold.
    #[error("it is sealed under storage epoch {epoch}, whose key this node does not hold")]
    EpochKeyUnavailable {
        /// The epoch it names.
        epoch: u64,
    },
    /// It does not authenticate under its epoch's key: altered at rest, or moved from another
    /// object.
    #[error("it fails authentication under storage epoch {epoch}")]
    Authentication {
        /// The epoch it names.
        epoch: u64,
    },
    /// It authenticates but holds another object's record (a plain record only).
    #[error("it holds the record of another object")]
    WrongObject,
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Database(redb::Error::from(e))
            }
        }
    )*};
}
from_redb!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError
);
