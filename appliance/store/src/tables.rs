//! The redb tables of the store and the keys of its `meta` table: the on-disk schema, shared
//! by the `Store` handle (reads, open, migrations) and the writer thread (the only writer).
//!
//! A leaf: it uses no other module of the crate, so both sides can depend on it.

use redb::TableDefinition;

/// Node-local settings and markers, keyed by the `META_*` names below.
pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// uuid → sealed object record.
pub(crate) const OBJECTS: TableDefinition<&str, &[u8]> = TableDefinition::new("objects");
/// Locate index entries (see `index`).
pub(crate) const INDEX: TableDefinition<&[u8], &[u8]> = TableDefinition::new("index");
/// Number of entries per index term, so Locate can drive from the rarest.
pub(crate) const INDEX_COUNTS: TableDefinition<&[u8], u64> = TableDefinition::new("index_counts");
/// (origin node, sequence) → replication log entry.
pub(crate) const ORIGIN_LOG: TableDefinition<(u64, u64), &[u8]> =
    TableDefinition::new("origin_log");
/// origin node → highest sequence applied.
pub(crate) const VERSION_VECTOR: TableDefinition<u64, u64> = TableDefinition::new("version_vector");
/// Node-local: domain → its KEK wrapped by this node's HSM root key (never replicated).
pub(crate) const WRAPPED_KEKS: TableDefinition<&str, &[u8]> = TableDefinition::new("wrapped_keks");
/// Node-local: conflicts found by merges with peers' records (see `conflict`).
pub(crate) const CONFLICTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("conflicts");
/// Node-local: epoch → its data key wrapped by the store's owner (never replicated).
pub(crate) const STORAGE_EPOCHS: TableDefinition<u64, &[u8]> =
    TableDefinition::new("storage_epochs");

/// This node's id (u64 BE), generated at first open.
pub(crate) const META_NODE_ID: &str = "node_id";
/// Number of the last group commit applied (u64 BE); the journal replays only newer groups.
pub(crate) const META_JOURNAL_APPLIED: &str = "journal_applied";
/// Layout version of the tables (u32 BE; see `FORMAT_VERSION` in the store module).
pub(crate) const META_FORMAT: &str = "format";
/// The storage epoch new writes are sealed under (u64 BE).
pub(crate) const META_EPOCH: &str = "storage_epoch";
/// When the current storage epoch began (i64 BE Unix seconds).
pub(crate) const META_EPOCH_SINCE: &str = "storage_epoch_since";
/// A plain "erase pending" flag that earlier versions kept: anyone who can write the file can
/// clear it, so it is never read; beginning an epoch removes it.
pub(crate) const META_ERASE_PENDING: &str = "erase_pending";
/// When the last erase completed (i64 BE Unix seconds).
pub(crate) const META_LAST_ERASE: &str = "last_erase";
