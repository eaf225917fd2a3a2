//! The store as the replication core sees it: the log it ships from, the records it ships,
//! and received entries turned into a write for the store's writer.

use keywarden_cluster::wire::ShippedRecord;
use keywarden_cluster::{Apply, LogSource, SnapshotApply};
use keywarden_store::{
    LogEntry, NodeId, ObjectRecord, Record, ReplicatedEntries, Store, StoreError, WriteOp,
};

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

    fn snapshot_page(
        &self,
        after: Option<&str>,
        max: usize,
    ) -> Result<Vec<ShippedRecord>, StoreError> {
        self.0
            .objects_page(after, max)?
            .iter()
            .map(|r| {
                Ok(ShippedRecord {
                    uuid: r.uuid.clone(),
                    record: Record::encode_current(r)?,
                })
            })
            .collect()
    }
}

/// Decodes shipped records, each checked to be the object it was shipped as.
fn decode(from: NodeId, shipped: Vec<ShippedRecord>) -> Result<Vec<ObjectRecord>, ApplyError> {
    let mut records = Vec::with_capacity(shipped.len());
    for r in shipped {
        let rec = Record::decode(&r.record)
            .map_err(|e| ApplyError::Record {
                uuid: r.uuid.clone(),
                from,
                reason: e.to_string(),
            })?
            .into_current();
        if rec.uuid != r.uuid {
            return Err(ApplyError::Record {
                uuid: r.uuid,
                from,
                reason: format!("the record is of object {}", rec.uuid),
            });
        }
        records.push(rec);
    }
    Ok(records)
}

/// The write that merges a snapshot page (and, on the last, raises the vector).
pub(crate) fn snapshot(a: SnapshotApply) -> Result<WriteOp, ApplyError> {
    Ok(WriteOp::Snapshot {
        records: decode(a.from, a.records)?,
        done: a.done.map(|v| v.iter().collect()),
    })
}

/// The write that merges `a` into the store; a record that does not decode, or names another
/// object than it was shipped as, refuses the whole batch.
pub(crate) fn replicated(a: Apply) -> Result<ReplicatedEntries, ApplyError> {
    let records = decode(a.from, a.records)?;
    Ok(ReplicatedEntries {
        origin: a.origin,
        first_seq: a.first_seq,
        entries: a.entries.into_iter().map(|e| (e.stamp, e.uuid)).collect(),
        records,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use keywarden_cluster::wire::{EntryRef, ShippedRecord};
    use keywarden_store::{Hlc, Stamp};

    /// A record this build cannot read (a later record version, or garbage) refuses the whole
    /// batch with the object and the sender named: nothing of it reaches the store.
    #[test]
    fn a_record_of_an_unknown_version_refuses_the_batch() {
        let stamp = Stamp {
            hlc: Hlc::default(),
            node: NodeId(2),
        };
        // Postcard tag 7: a `Record` variant this build does not have.
        let unknown = vec![7u8, 1, 2, 3];
        let apply = Apply {
            from: NodeId(3),
            origin: NodeId(2),
            first_seq: 1,
            entries: vec![EntryRef {
                stamp,
                uuid: "u1".into(),
            }],
            records: vec![ShippedRecord {
                uuid: "u1".into(),
                record: unknown.clone(),
            }],
        };
        let err = replicated(apply).expect_err("unknown record version");
        let text = err.to_string();
        assert!(
            text.contains("u1") && text.contains(&NodeId(3).to_string()),
            "{text}"
        );
        let page = SnapshotApply {
            from: NodeId(3),
            page: 0,
            records: vec![ShippedRecord {
                uuid: "u1".into(),
                record: unknown,
            }],
            done: None,
        };
        assert!(snapshot(page).is_err());
    }
}
