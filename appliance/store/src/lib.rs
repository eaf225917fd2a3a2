//! Durable object store of a Keywarden node, on redb with group commit.
//!
//! Owns: the node's redb database (objects, Locate indexes, the per-origin replication log,
//! the version vector, node-local wrapped domain KEKs and storage epoch keys), the node id
//! and hybrid logical clock, the sealing of key material under domain KEKs, and the at-rest
//! layer: every stored record sealed and authenticated under the data key of a node-local
//! storage epoch, and the erase that moves records to a new epoch so the old epochs' keys
//! can be destroyed (see the README, "At rest"). It is KMIP-agnostic: KMIP enums are stored
//! as u32 values and attribute values as opaque TTLV bytes encoded by the caller. It never
//! sees how epoch keys are kept: its owner wraps them (in the HSM) and unlocks the store.
//! Its files go through a [`Storage`] ([`FsStorage`], the file system, unless a test passes
//! another): `testing::SimDisk` (feature `power-cut`) is a disk that loses power, and the
//! store's power-cut test holds it to its guarantees (see the README, "Power loss").
//!
//! Must never: hold or store clear key material (only [`SealedMaterial`] goes to disk),
//! write a record that is not sealed under the current storage epoch, serve a record that
//! does not authenticate, say an older epoch is free to destroy while a record it protects
//! is left or not yet durable elsewhere, acknowledge a write before its transaction is
//! durable, scan every object to open the database or to answer a Locate by name or custom
//! attribute, or replicate node-local tables.

mod cache;
mod clock;
mod conflict;
mod envelope;
mod epoch;
mod error;
mod index;
mod journal;
mod key_memory;
mod merge;
mod oplog;
mod record;
mod seal;
mod storage;
mod store;
mod syncer;
mod tables;
#[cfg(any(test, feature = "power-cut"))]
pub mod testing;
mod types;
mod write_stats;
mod writer;

pub use clock::{Hlc, HlcClock, NodeId, Stamp};
pub use conflict::{Conflict, ConflictKind};
pub use epoch::{EPOCH_KEY_LEN, EpochKey, NewEpoch, ResealBatch, StorageEpochs, Unlock};
pub use error::{RecordFault, StoreError};
pub use oplog::{LogEntry, LogOp};
pub use record::{
    IndexTerms, Lifecycle, LifecycleEvent, LifecycleState, ObjectRecord, ObjectRecordV1, Record,
    StoredAttribute, StoredLink,
};
pub use seal::{DomainKek, KEK_LEN, MaterialBinding, SealedMaterial};
pub use storage::{FsStorage, Storage, StoreFile};
pub use store::{Applied, Store};
pub use types::{
    CommitInfo, Indexer, LocateQuery, LocateResult, ReplicatedEntries, StoreOptions, StoreStats,
    WriteOp,
};
pub use write_stats::WriteStats;
