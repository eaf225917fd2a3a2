//! A node's store as the simulation models it: the records and per-origin logs it has made
//! visible, and the part of them that is durable. A sync makes everything visible durable; a
//! crash throws away what was not synced, as a power cut does.

use std::collections::BTreeMap;

use keywarden_cluster::wire::ShippedRecord;
use keywarden_cluster::{Apply, LogSource, SnapshotApply, VersionVector};
use keywarden_store::{LogEntry, LogOp, NodeId, ObjectRecord, Record, Stamp};

/// One origin's log as a node holds it: entries above `floor` (those at or below it were
/// dropped once every member held them, or came in a snapshot).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Log {
    /// Highest sequence no longer held as an entry.
    pub floor: u64,
    /// Entries `floor + 1 ..`.
    pub entries: Vec<LogEntry>,
}

impl Log {
    /// Highest sequence held.
    pub fn top(&self) -> u64 {
        self.floor + self.entries.len() as u64
    }
}

/// Records and logs of one node at one moment.
#[derive(Clone, Debug, Default)]
pub struct State {
    /// Current record of every object, by UUID.
    pub objects: BTreeMap<String, ObjectRecord>,
    /// Per origin, its log.
    pub logs: BTreeMap<NodeId, Log>,
    /// A planted bug (see [`crate::Mutation::LastArrivalWins`]): a received record replaces
    /// the stored one instead of being merged with it.
    pub last_arrival_wins: bool,
}

impl PartialEq for State {
    /// Same records and same vector: where each node's logs start is its own business.
    fn eq(&self, other: &State) -> bool {
        self.objects == other.objects && self.vector() == other.vector()
    }
}

impl State {
    /// Per origin, the number of entries held.
    pub fn vector(&self) -> VersionVector {
        self.logs.iter().map(|(o, l)| (*o, l.top())).collect()
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
        if entry.seq != log.top() + 1 {
            return Err(format!(
                "log of {} holds up to {}, entry {} does not follow",
                entry.origin,
                log.top(),
                entry.seq
            ));
        }
        log.entries.push(entry);
        Ok(())
    }

    /// Drops entries at or below `below` (what every member holds).
    fn truncate(&mut self, below: &VersionVector) {
        for (origin, log) in &mut self.logs {
            let cut = below.get(*origin).min(log.top());
            if cut > log.floor {
                let n = (cut - log.floor) as usize;
                log.entries.drain(..n);
                log.floor = cut;
            }
        }
    }

    /// After a snapshot: every origin raised to `vector`, its log starting above it.
    fn adopt(&mut self, vector: &VersionVector) {
        for (origin, seq) in vector.iter() {
            let log = self.logs.entry(origin).or_default();
            if seq > log.top() {
                log.entries.clear();
                log.floor = seq;
            }
        }
    }
}

/// Shipped records decoded, each checked to be the object it was shipped as.
fn decode(shipped: &[ShippedRecord]) -> Result<Vec<ObjectRecord>, String> {
    shipped
        .iter()
        .map(|r| {
            let rec = Record::decode(&r.record)
                .map_err(|e| format!("record {}: {e}", r.uuid))?
                .into_current();
            if rec.uuid == r.uuid {
                Ok(rec)
            } else {
                Err(format!("record shipped as {} is {}", r.uuid, rec.uuid))
            }
        })
        .collect()
}

/// One change to a [`State`], kept until a sync applies it to the durable state.
#[derive(Clone, Debug)]
enum Change {
    Put(Box<ObjectRecord>),
    Push(LogEntry),
    Adopt(VersionVector),
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
    /// Snapshot pages applied and not yet synced: (sender, page, vector of the last page).
    snapshots_unsynced: Vec<(NodeId, u32, Option<VersionVector>)>,
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
    /// Snapshot pages now durable: (sender, page, vector of the last page).
    pub snapshots: Vec<(NodeId, u32, Option<VersionVector>)>,
    /// Log entries now durable.
    pub entries: Vec<LogEntry>,
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
        let seq = self.visible.logs.get(&me).map_or(0, Log::top) + 1;
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
        for rec in decode(&a.records)? {
            self.visible.put(rec.clone())?;
            self.unsynced.push(Change::Put(Box::new(rec)));
        }
        // Entries held already (a snapshot brought them) are skipped, as the store does; a gap
        // is an error.
        let top = self.visible.logs.get(&a.origin).map_or(0, Log::top);
        for (i, e) in a.entries.iter().enumerate() {
            if a.first_seq + (i as u64) <= top {
                continue;
            }
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
        let mut entries = Vec::new();
        for c in self.unsynced.drain(..) {
            match c {
                Change::Put(rec) => {
                    changed.push(rec.uuid.clone());
                    self.durable.put(*rec)?;
                }
                Change::Push(e) => {
                    entries.push(e.clone());
                    self.durable.push(e)?;
                }
                Change::Adopt(v) => self.durable.adopt(&v),
            }
        }
        Ok(Synced {
            own_through: self.durable.logs.get(&me).map_or(0, Log::top),
            applied: std::mem::take(&mut self.applied_unsynced),
            changed,
            snapshots: std::mem::take(&mut self.snapshots_unsynced),
            entries,
        })
    }

    /// Merges a snapshot page, and after the last one raises the vector to the snapshot's.
    pub fn apply_snapshot(&mut self, a: &SnapshotApply) -> Result<(), String> {
        for rec in decode(&a.records)? {
            self.visible.put(rec.clone())?;
            self.unsynced.push(Change::Put(Box::new(rec)));
        }
        if let Some(v) = &a.done {
            self.visible.adopt(v);
            self.unsynced.push(Change::Adopt(v.clone()));
        }
        self.snapshots_unsynced
            .push((a.from, a.page, a.done.clone()));
        Ok(())
    }

    /// Drops log entries every member holds (durable already, so both views at once).
    pub fn truncate(&mut self, below: &VersionVector) {
        self.durable.truncate(below);
        self.visible.truncate(below);
    }

    /// A power cut: what was not synced is gone.
    pub fn crash(&mut self) {
        self.unsynced.clear();
        self.applied_unsynced.clear();
        self.snapshots_unsynced.clear();
        self.visible = self.durable.clone();
    }
}

impl LogSource for State {
    type Error = String;

    fn entries(&self, origin: NodeId, after: u64, max: usize) -> Result<Vec<LogEntry>, String> {
        let Some(log) = self.logs.get(&origin) else {
            return Ok(Vec::new());
        };
        // Below the floor the log starts later than asked: the core sees the gap.
        let skip = usize::try_from(after.saturating_sub(log.floor)).map_err(|e| e.to_string())?;
        Ok(log.entries.iter().skip(skip).take(max).cloned().collect())
    }

    fn snapshot_page(&self, after: Option<&str>, max: usize) -> Result<Vec<ShippedRecord>, String> {
        use std::ops::Bound;
        let from = match after {
            Some(a) => Bound::Excluded(a.to_owned()),
            None => Bound::Unbounded,
        };
        self.objects
            .range((from, Bound::Unbounded))
            .take(max)
            .map(|(uuid, r)| {
                Ok(ShippedRecord {
                    uuid: uuid.clone(),
                    record: Record::encode_current(r).map_err(|e| e.to_string())?,
                })
            })
            .collect()
    }

    fn record(&self, uuid: &str) -> Result<Option<Vec<u8>>, String> {
        self.objects
            .get(uuid)
            .map(|r| Record::encode_current(r).map_err(|e| e.to_string()))
            .transpose()
    }
}
