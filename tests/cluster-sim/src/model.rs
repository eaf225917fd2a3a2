//! A node's store as the simulation models it: the records and per-origin logs it has made
//! visible, and the part of them that is durable. A sync makes everything visible durable; a
//! crash throws away what was not synced, as a power cut does.

use std::collections::BTreeMap;

use keywarden_cluster::{Apply, LogSource, VersionVector};
use keywarden_store::{LogEntry, LogOp, NodeId, ObjectRecord, Record, Stamp};

/// Records and logs of one node at one moment.
#[derive(Clone, Debug, Default)]
pub struct State {
    /// Current record of every object, by UUID.
    pub objects: BTreeMap<String, ObjectRecord>,
    /// Per origin, its log from sequence 1 on.
    pub logs: BTreeMap<NodeId, Vec<LogEntry>>,
    /// A planted bug (see [`crate::Mutation::LastArrivalWins`]): a received record replaces
    /// the stored one instead of being merged with it.
    pub last_arrival_wins: bool,
}

impl PartialEq for State {
    fn eq(&self, other: &State) -> bool {
        self.objects == other.objects && self.logs == other.logs
    }
}

impl State {
    /// Per origin, the number of entries held.
    pub fn vector(&self) -> VersionVector {
        self.logs
            .iter()
            .map(|(o, l)| (*o, l.len() as u64))
            .collect()
    }

    fn put(&mut self, rec: ObjectRecord) -> Result<(), String> {
        let merged = match self.objects.get(&rec.uuid) {
            Some(_) if self.last_arrival_wins => rec,
            Some(old) => old.merge(&rec).map_err(|e| e.to_string())?,
            None => rec,
        };
        self.objects.insert(merged.uuid.clone(), merged);
        Ok(())
    }

    fn push(&mut self, entry: LogEntry) -> Result<(), String> {
        let log = self.logs.entry(entry.origin).or_default();
        if entry.seq != log.len() as u64 + 1 {
            return Err(format!(
                "log of {} holds {} entries, entry {} does not follow",
                entry.origin,
                log.len(),
                entry.seq
            ));
        }
        log.push(entry);
        Ok(())
    }
}

/// One change to a [`State`], kept until a sync applies it to the durable state.
#[derive(Clone, Debug)]
enum Change {
    Put(Box<ObjectRecord>),
    Push(LogEntry),
}

/// The durable state is what the replication core reads: the production driver reads records
/// after a durability barrier, so it never ships what a crash could take back.
#[derive(Debug, Default)]
pub struct ModelStore {
    /// What survives a crash.
    pub durable: State,
    /// What readers see.
    pub visible: State,
    unsynced: Vec<Change>,
    /// Entries applied from peers and not yet synced: (origin, last seq).
    applied_unsynced: Vec<(NodeId, u64)>,
}

/// What a sync made durable.
#[derive(Debug, Default)]
pub struct Synced {
    /// Highest sequence of this node's own log now durable.
    pub own_through: u64,
    /// Per origin, received entries now durable through this sequence.
    pub applied: Vec<(NodeId, u64)>,
    /// Objects whose durable record changed.
    pub changed: Vec<String>,
}

impl ModelStore {
    /// An empty store; `last_arrival_wins` plants [`crate::Mutation::LastArrivalWins`].
    pub fn with_last_arrival_wins(last_arrival_wins: bool) -> ModelStore {
        let mut s = ModelStore::default();
        s.durable.last_arrival_wins = last_arrival_wins;
        s.visible.last_arrival_wins = last_arrival_wins;
        s
    }

    /// A local write of `rec` by `me` at `stamp`: merged into the stored record (lifecycle
    /// facts only grow, as the store's writer does) and logged; returns its log sequence.
    pub fn write(&mut self, me: NodeId, stamp: Stamp, rec: ObjectRecord) -> Result<u64, String> {
        let seq = self.visible.logs.get(&me).map_or(0, Vec::len) as u64 + 1;
        let entry = LogEntry {
            origin: me,
            seq,
            stamp,
            op: LogOp::PutObject {
                uuid: rec.uuid.clone(),
            },
        };
        self.visible.put(rec.clone())?;
        self.visible.push(entry.clone())?;
        self.unsynced.push(Change::Put(Box::new(rec)));
        self.unsynced.push(Change::Push(entry));
        Ok(seq)
    }

    /// Merges received entries and records, as the store's writer does for a remote write.
    pub fn apply(&mut self, a: &Apply) -> Result<(), String> {
        let mut recs = Vec::with_capacity(a.records.len());
        for r in &a.records {
            let rec = Record::decode(&r.record)
                .map_err(|e| format!("record {}: {e}", r.uuid))?
                .into_current();
            if rec.uuid != r.uuid {
                return Err(format!("record shipped as {} is {}", r.uuid, rec.uuid));
            }
            recs.push(rec);
        }
        for rec in recs {
            self.visible.put(rec.clone())?;
            self.unsynced.push(Change::Put(Box::new(rec)));
        }
        for (i, e) in a.entries.iter().enumerate() {
            let entry = LogEntry {
                origin: a.origin,
                seq: a.first_seq + i as u64,
                stamp: e.stamp,
                op: LogOp::PutObject {
                    uuid: e.uuid.clone(),
                },
            };
            self.visible.push(entry.clone())?;
            self.unsynced.push(Change::Push(entry));
        }
        self.applied_unsynced.push((a.origin, a.last_seq()));
        Ok(())
    }

    /// Makes everything visible durable.
    pub fn sync(&mut self, me: NodeId) -> Result<Synced, String> {
        let mut changed = Vec::new();
        for c in self.unsynced.drain(..) {
            match c {
                Change::Put(rec) => {
                    changed.push(rec.uuid.clone());
                    self.durable.put(*rec)?;
                }
                Change::Push(e) => self.durable.push(e)?,
            }
        }
        Ok(Synced {
            own_through: self.durable.logs.get(&me).map_or(0, Vec::len) as u64,
            applied: std::mem::take(&mut self.applied_unsynced),
            changed,
        })
    }

    /// A power cut: what was not synced is gone.
    pub fn crash(&mut self) {
        self.unsynced.clear();
        self.applied_unsynced.clear();
        self.visible = self.durable.clone();
    }
}

impl LogSource for State {
    type Error = String;

    fn entries(&self, origin: NodeId, after: u64, max: usize) -> Result<Vec<LogEntry>, String> {
        let log = self.logs.get(&origin).map_or(&[][..], Vec::as_slice);
        let start = usize::try_from(after).map_err(|e| e.to_string())?;
        Ok(log.iter().skip(start).take(max).cloned().collect())
    }

    fn record(&self, uuid: &str) -> Result<Option<Vec<u8>>, String> {
        self.objects
            .get(uuid)
            .map(|r| Record::encode_current(r).map_err(|e| e.to_string()))
            .transpose()
    }
}
