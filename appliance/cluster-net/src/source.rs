//! The store as the replication core sees it: the log it ships from, the records it ships,
//! and received entries turned into a write for the store's writer.

use keywarden_cluster::{Apply, LogSource};
use keywarden_store::{LogEntry, NodeId, Record, ReplicatedEntries, Store, StoreError};

use crate::error::ApplyError;

/// Reads for the core. Records are read as they are visible: the driver waits for
/// [`Store::barrier`] before it sends what it read, so only durable state leaves the node.
pub(crate) struct StoreSource<'a>(pub &'a Store);

impl LogSource for StoreSource<'_> {
    type Error = StoreError;

    fn entries(&self, origin: NodeId, after: u64, max: usize) -> Result<Vec<LogEntry>, StoreError> {
        self.0.log_since(origin, after, max)
    }

    fn record(&self, uuid: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.0
            .get(uuid)?
            .map(|r| Record::encode_current(&r))
            .transpose()
    }
}

/// The write that merges `a` into the store; a record that does not decode, or names another
/// object than it was shipped as, refuses the whole batch.
pub(crate) fn replicated(a: Apply) -> Result<ReplicatedEntries, ApplyError> {
    let mut records = Vec::with_capacity(a.records.len());
    for r in a.records {
        let rec = Record::decode(&r.record)
            .map_err(|e| ApplyError::Record {
                uuid: r.uuid.clone(),
                from: a.from,
                reason: e.to_string(),
            })?
            .into_current();
        if rec.uuid != r.uuid {
            return Err(ApplyError::Record {
                uuid: r.uuid,
                from: a.from,
                reason: format!("the record is of object {}", rec.uuid),
            });
        }
        records.push(rec);
    }
    Ok(ReplicatedEntries {
        origin: a.origin,
        first_seq: a.first_seq,
        entries: a.entries.into_iter().map(|e| (e.stamp, e.uuid)).collect(),
        records,
    })
}
