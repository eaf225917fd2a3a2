//! The crate's errors: [`AuditError`] for writing the log, [`VerifyError`] for checking and
//! reading it, and [`Breakage`], the first damaged place both of them name.

use std::fmt;
use std::path::PathBuf;

use crate::signer::KeyId;

/// What went wrong while opening, appending to or closing an audit log.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// An entry, option or key was rejected before touching the log.
    #[error("invalid audit {field}: {reason}")]
    Invalid {
        /// Offending field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// A file operation failed.
    #[error("I/O error on audit {what} {}: {source}", path.display())]
    Io {
        /// What was being accessed.
        what: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The log is damaged before its tail; it is not opened, so nothing is lost silently.
    #[error("audit log damaged: {0}")]
    Corrupt(Breakage),
    /// The public key file is missing (next to existing segments) or unreadable.
    #[error("audit key file {}: {reason}", path.display())]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The log was signed by another key than the signer it is opened with.
    #[error("the audit log is signed by key {log}, the signer's key is {signer}")]
    SignerMismatch {
        /// Key id in the key file.
        log: KeyId,
        /// Key id of the signer given to `open`.
        signer: KeyId,
    },
    /// The signer failed.
    #[error("audit checkpoint signing failed: {reason}")]
    Signer {
        /// Why.
        reason: String,
    },
    /// The log was closed; nothing more is accepted.
    #[error("audit log is closed")]
    Closed,
    /// The writer stopped after a failure: nothing more can be made durable.
    #[error("audit log stopped: {reason}")]
    Failed {
        /// The failure that stopped it.
        reason: String,
    },
}

/// Why a log could not be verified or read.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// A file could not be read.
    #[error("I/O error on {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The directory holds no segment.
    #[error("no audit log segments in {}", dir.display())]
    NoLog {
        /// The directory.
        dir: PathBuf,
    },
    /// The public key file is missing or malformed.
    #[error("audit key file {}: {reason}", path.display())]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The key file holds another key than the pinned one.
    #[error("the audit key file holds key {found}, not the pinned key {pinned}")]
    KeyNotPinned {
        /// Key id in the key file.
        found: KeyId,
        /// Key id of the pinned key.
        pinned: KeyId,
    },
    /// The first place where the log is not what its writer wrote.
    #[error("{0}")]
    Broken(Breakage),
}

/// Where a log is first broken, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Breakage {
    /// The segment file.
    pub segment: PathBuf,
    /// Byte offset of the broken record (0 for the segment header).
    pub offset: u64,
    /// The sequence number the chain expected for the next entry at this place.
    pub expected_seq: u64,
    /// The sequence number the record claims, when it is an entry that still decodes.
    pub found_seq: Option<u64>,
    /// What is wrong.
    pub problem: Problem,
}

impl fmt::Display for Breakage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at offset {} (entry {} was due",
            self.segment.display(),
            self.offset,
            self.expected_seq
        )?;
        if let Some(found) = self.found_seq {
            write!(f, ", the record says entry {found}")?;
        }
        write!(f, "): {}", self.problem)
    }
}

impl std::error::Error for Breakage {}

/// What is wrong at a [`Breakage`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// The record's hash is not SHA-256 of the previous hash and its payload: it was edited,
    /// or a record in front of it was removed, inserted or moved.
    #[error("hash mismatch: the record or the one before it was changed, removed or moved")]
    HashMismatch,
    /// Entries are missing in front of this one.
    #[error("sequence gap: expected entry {expected}, found {found}")]
    SequenceGap {
        /// The sequence number due.
        expected: u64,
        /// The one found.
        found: u64,
    },
    /// An entry is out of order (moved or repeated).
    #[error("reordered: expected entry {expected}, found {found}")]
    Reordered {
        /// The sequence number due.
        expected: u64,
        /// The one found.
        found: u64,
    },
    /// A checkpoint's signature does not verify under the log's key.
    #[error("bad checkpoint signature")]
    BadSignature,
    /// A checkpoint names another key than the log's.
    #[error("checkpoint signed by unknown key {key_id}")]
    UnknownKey {
        /// The key id in the checkpoint.
        key_id: KeyId,
    },
    /// A checkpoint's sequence number, hash or segment disagrees with the chain.
    #[error("checkpoint does not match the chain: {0}")]
    CheckpointMismatch(&'static str),
    /// A segment does not start with its opening checkpoint.
    #[error("segment does not start with its checkpoint")]
    MissingCheckpoint,
    /// A record is cut short where the log cannot have been torn by a crash.
    #[error("truncated record")]
    Truncated,
    /// A segment file is missing from the numbered series.
    #[error("segment {0} is missing")]
    MissingSegment(u64),
    /// The segment header is wrong.
    #[error("bad segment header: {0}")]
    BadHeader(String),
    /// A record is not a valid record (length, encoding, limits).
    #[error("malformed record: {0}")]
    Malformed(String),
}
