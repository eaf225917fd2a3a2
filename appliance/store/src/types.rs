//! The store's public value types: its options, the writes of a commit and what a commit
//! reports, Locate queries and answers, and sizes.
//!
//! Kept apart from the `Store` handle so that the writer thread can use them without using
//! the handle that starts it.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::{NodeId, Stamp};
use crate::record::{IndexTerms, LifecycleState, ObjectRecord};

/// Computes a record's Locate terms from its attributes (the KMIP layer's rule; the store is
/// KMIP-agnostic). The writer applies it to every record a merge with a peer's produced, since
/// a merge can combine attributes that neither version's terms reflect.
#[derive(Clone)]
pub struct Indexer(pub Arc<dyn Fn(&ObjectRecord) -> IndexTerms + Send + Sync>);

impl Indexer {
    /// The terms of `rec`.
    pub fn terms(&self, rec: &ObjectRecord) -> IndexTerms {
        (self.0)(rec)
    }
}

impl std::fmt::Debug for Indexer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Indexer")
    }
}

impl PartialEq for Indexer {
    fn eq(&self, other: &Indexer) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Indexer {}

/// Tuning of a store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreOptions {
    /// Most commits applied in one durable transaction (default 512).
    pub group_commit_max_batch: usize,
    /// redb page cache size in bytes (default 64 MiB); bounds the store's share of RSS.
    pub cache_bytes: usize,
    /// Save allocator state with each checkpoint so start-up after a crash needs no full scan
    /// (default true; costs a second fsync per checkpoint, not per commit).
    pub quick_repair: bool,
    /// Journal size that triggers a checkpoint (default 8 MiB); bounds the replay at start-up.
    pub checkpoint_bytes: u64,
    /// Longest time a group stays only in the journal (default 1 s).
    pub checkpoint_interval: Duration,
    /// Decoded records kept for repeated reads of the same keys (default 4096; 0 = none).
    pub record_cache_entries: usize,
    /// Stored bytes of the records the cache may keep (default 8 MiB); records over 1/64 of
    /// it are not cached.
    pub record_cache_bytes: usize,
    /// Recomputes the terms of merged records (default none: a merge keeps the terms of the
    /// later version).
    pub indexer: Option<Indexer>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            group_commit_max_batch: 512,
            cache_bytes: 64 * 1024 * 1024,
            quick_repair: true,
            checkpoint_bytes: 8 << 20,
            checkpoint_interval: Duration::from_secs(1),
            record_cache_entries: 4096,
            record_cache_bytes: 8 << 20,
            indexer: None,
        }
    }
}

/// One write inside a commit.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // moved once into the writer; boxing would only add an allocation
pub enum WriteOp {
    /// Insert or replace an object (indexes updated, replication log entry appended).
    PutObject(ObjectRecord),
    /// Store the node-local wrapped KEK of a domain (never replicated).
    PutWrappedKek {
        /// Domain name.
        domain: String,
        /// KEK wrapped under this node's HSM root key.
        blob: Vec<u8>,
    },
    /// Entries of another node's log received from a peer, with the current records they name
    /// at that peer: the records are merged into the stored ones (the CRDT join), the entries
    /// appended to this node's copy of the origin's log, and the origin's version vector entry
    /// raised. Entries this node already holds are skipped; a gap is refused.
    Replicated(ReplicatedEntries),
    /// A page of a snapshot from a peer: its records are merged like replicated ones, and on
    /// the last page (`done`) each origin's vector entry is raised to the snapshot's, this
    /// node's copy of that origin's log then starting above it (the records hold what the
    /// entries below described).
    Snapshot {
        /// Current records at the sender.
        records: Vec<ObjectRecord>,
        /// On the last page: what the snapshot holds, per origin.
        done: Option<Vec<(NodeId, u64)>>,
    },
    /// Drops log entries at or below `below` of each origin: every member holds them (never
    /// above what this node holds).
    TruncateLogs {
        /// Per origin, the highest sequence to drop.
        below: Vec<(NodeId, u64)>,
    },
}

/// Consecutive entries of one origin's log as a peer shipped them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicatedEntries {
    /// Whose log (never this node: its own log is written only by its own writes).
    pub origin: NodeId,
    /// Sequence of the first entry.
    pub first_seq: u64,
    /// Stamp and object of each entry, consecutive from `first_seq`.
    pub entries: Vec<(Stamp, String)>,
    /// Current records at the sender of the objects the entries name.
    pub records: Vec<ObjectRecord>,
}

impl ReplicatedEntries {
    /// Sequence of the last entry (`first_seq - 1` when there is none).
    pub fn last_seq(&self) -> u64 {
        (self.first_seq + self.entries.len() as u64).saturating_sub(1)
    }
}

/// What a durable commit reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitInfo {
    /// Local replication-log sequence numbers given to this commit's `PutObject` ops, in order.
    pub seqs: Vec<u64>,
    /// How many commits shared the durable transaction (1 = no grouping).
    pub group_size: usize,
}

/// A Locate query; every `Some`/non-empty field must match, on the authenticated record (the
/// indexes only propose candidates).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LocateQuery {
    /// Owner; `None` = any owner (administrator).
    pub owner: Option<String>,
    /// Domain; `None` = any domain.
    pub domain: Option<String>,
    /// KMIP Object Type value.
    pub object_type: Option<u32>,
    /// KMIP state at `now`.
    pub state: Option<LifecycleState>,
    /// Exact Name value.
    pub name: Option<String>,
    /// Cryptographic Algorithm value.
    pub algorithm: Option<u32>,
    /// Cryptographic Length.
    pub length: Option<i32>,
    /// Custom index terms (attribute name, canonical value bytes); all must match.
    pub custom: Vec<(String, Vec<u8>)>,
    /// Matches to skip (KMIP Offset Items).
    pub offset: usize,
    /// Most UUIDs to return (KMIP Maximum Items); `None` = all.
    pub limit: Option<usize>,
    /// Unix seconds at which states are evaluated.
    pub now: i64,
    /// Most records read (and authenticated) to answer; `None` = no bound. Reaching it with
    /// candidates left makes the answer [`LocateResult::partial`].
    pub max_records: Option<usize>,
    /// Stop once the page is full: the caller does not need [`LocateResult::total`].
    pub page_only: bool,
}

/// Locate answer, in creation order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LocateResult {
    /// Number of matches before offset and limit (only among the records read when
    /// `partial`).
    pub total: usize,
    /// The matching UUIDs within offset and limit, ordered by creation stamp.
    pub uuids: Vec<String>,
    /// The subset of `uuids` that are destroyed (tombstones still locatable by state).
    pub destroyed: Vec<String>,
    /// The scan stopped before its last candidate ([`LocateQuery::max_records`] or
    /// [`LocateQuery::page_only`]): `total` is a lower bound, and with `max_records` the page
    /// may be short.
    pub partial: bool,
    /// Objects an index entry proposed whose authenticated record disagrees with it (or that do
    /// not exist): left out. Nonzero only if the plain index tables were altered or damaged.
    pub inconsistent: Vec<String>,
    /// Objects whose stored record failed authentication: left out, never served
    /// ([`crate::Store::get`] names the fault).
    pub rejected: Vec<String>,
}

/// Size of the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreStats {
    /// Objects stored, tombstones included.
    pub objects: u64,
    /// Database file size.
    pub file_bytes: u64,
}
