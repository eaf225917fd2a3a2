//! Per-origin replication log entries (ARCHITECTURE §5).

use serde::{Deserialize, Serialize};

use crate::clock::{NodeId, Stamp};
use crate::error::StoreError;
use crate::record::Record;

/// A replicated operation; variants are only ever appended (postcard tag = variant index).
///
/// An entry names the object it changed and never copies the record. Replication is
/// state-based: the sender ships the CURRENT record read from `objects` at send time, and the
/// receiver merges it. Merges are joins (commutative, associative, idempotent) and local
/// writes only move a record up the join order (the writer merges lifecycle facts into the
/// stored ones), so the current record subsumes every older state an earlier entry could have
/// carried; shipping it once for several entries loses nothing. Keeping copies would also keep
/// destroyed key material alive in the log long after Destroy removed it from the object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LogOp {
    /// A local write of this object (insert, update, lifecycle change or destroy).
    PutObject {
        /// UUID of the object, the key into `objects`.
        uuid: String,
    },
}

/// One entry of an origin's log: `(origin, seq)` is its identity, `stamp` its HLC time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    /// Node whose log this is.
    pub origin: NodeId,
    /// Position in the origin's log, starting at 1, contiguous.
    pub seq: u64,
    /// HLC stamp given by the origin when the operation committed.
    pub stamp: Stamp,
    /// The operation.
    pub op: LogOp,
}

/// The stored value of a log entry (origin and seq already are the key), behind a version
/// tag: variants are only ever appended, like [`Record`].
#[derive(Serialize, Deserialize)]
pub(crate) enum StoredLogEntry {
    /// First tagged layout: the op names the object, never copies it.
    V1 {
        /// HLC stamp of the commit.
        stamp: Stamp,
        /// The operation.
        op: LogOp,
    },
}

impl StoredLogEntry {
    pub fn stamp(&self) -> Stamp {
        match self {
            StoredLogEntry::V1 { stamp, .. } => *stamp,
        }
    }

    pub fn into_parts(self) -> (Stamp, LogOp) {
        match self {
            StoredLogEntry::V1 { stamp, op } => (stamp, op),
        }
    }

    pub fn encode(&self) -> Result<Vec<u8>, StoreError> {
        postcard::to_stdvec(self).map_err(|e| StoreError::Encode {
            what: "log entry",
            reason: e.to_string(),
        })
    }

    pub fn decode(b: &[u8]) -> Result<StoredLogEntry, StoreError> {
        postcard::from_bytes(b).map_err(|e| StoreError::Decode {
            what: "log entry",
            reason: e.to_string(),
        })
    }
}

/// Log entry layout of table format 1 (untagged, full record copy); read only to migrate.
#[derive(Serialize, Deserialize)]
pub(crate) struct LegacyLogEntry {
    pub stamp: Stamp,
    pub op: LegacyLogOp,
}

/// Operation of a format-1 log entry.
#[derive(Serialize, Deserialize)]
pub(crate) enum LegacyLogOp {
    PutObject(Record),
}

impl LegacyLogEntry {
    /// The same entry in the current layout: only the UUID of the copied record survives.
    pub fn decode_and_upgrade(b: &[u8]) -> Result<StoredLogEntry, StoreError> {
        let old: LegacyLogEntry = postcard::from_bytes(b).map_err(|e| StoreError::Decode {
            what: "format 1 log entry",
            reason: e.to_string(),
        })?;
        let LegacyLogOp::PutObject(rec) = old.op;
        Ok(StoredLogEntry::V1 {
            stamp: old.stamp,
            op: LogOp::PutObject {
                uuid: rec.into_current().uuid,
            },
        })
    }
}
