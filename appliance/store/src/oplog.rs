//! Per-origin replication log entries (ARCHITECTURE §5).

use serde::{Deserialize, Serialize};

use crate::clock::{NodeId, Stamp};
use crate::error::StoreError;
use crate::record::Record;

/// A replicated operation; variants are only ever appended (postcard tag = variant index).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LogOp {
    /// The full object state after a local write (peers merge it as a CRDT).
    PutObject(Record),
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

/// The stored value of a log entry: origin and seq already are the key.
#[derive(Serialize, Deserialize)]
pub(crate) struct StoredLogEntry {
    pub stamp: Stamp,
    pub op: LogOp,
}

impl StoredLogEntry {
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
