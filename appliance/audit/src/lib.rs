//! The per-node audit log of Keywarden: every request, hash-chained, with signed checkpoints.
//!
//! Owns: the audit directory of a node (numbered segment files and the public key file), the
//! typed [`AuditEntry`] (time, identity, role, operation, objects, result and reason, client
//! address), the group-commit writer that gives entries their sequence number and chain hash
//! in one total order, checkpoint signing through the [`Signer`] trait, and the checks:
//! [`verify`] for the whole log and [`read`] for the auditor role. The file format, the chain
//! and checkpoint rules and the durability guarantees are in the crate README.
//!
//! Must never: record key material or any other secret (the entry type has no byte field, and
//! callers must not put secret-bearing text into its strings), answer a durable append before
//! its entry is synced, keep a batched entry unsynced longer than the sync interval it was
//! given, grow its queue without bound, panic or allocate without bound on bytes read from
//! disk, or silently drop records that were written before damage (a torn tail is cut off, damage
//! in front of good records fails the open).

mod chain;
mod entry;
mod error;
mod files;
mod format;
mod hex;
mod keyfile;
mod log;
mod queue;
mod read;
mod scan;
mod signer;
mod verify;
mod writer;

pub use chain::{ChainHash, HASH_LEN};
pub use entry::{
    AuditEntry, MAX_IDENTITY_LEN, MAX_MESSAGE_LEN, MAX_NAME_LEN, MAX_OBJECTS, ObjectIds, Outcome,
    ReasonMessage, Timestamp,
};
pub use error::{AuditError, Breakage, Problem, VerifyError};
pub use format::{CheckpointKind, MAX_RECORD_PAYLOAD, MAX_SEGMENT_FILE};
pub use keyfile::KEY_FILE;
/// The roles of the authorization file, recorded in entries by name.
pub use keywarden_authz::Role;
pub use log::{AuditLog, AuditOptions, AuditStats, Durability};
pub use read::{AuditRecord, MAX_READ, read};
pub use signer::{
    Ed25519Signer, KeyId, MAX_SIGNATURE_LEN, PublicKey, Signature, SignatureAlgorithm, Signer,
};
pub use verify::{TornTail, VerifyReport, verify};
