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
