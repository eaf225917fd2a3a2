//! The production driver of the replication core ([`keywarden_cluster::Replica`]): peer links
//! over mutual TLS (node certificates from the cluster CA, TLS 1.3), the node's store as the
//! log it ships from and the writer it applies through, and the status the key service reads
//! (acknowledgement levels reached, peers connected).
//!
//! It owns the sockets and tasks of replication. It must never decide anything the core
//! decides (what to send, what to apply, which level a write reached: the simulation tests
//! that code, not this), never send a record before [`keywarden_store::Store::barrier`] says
//! what it read is durable, never take a peer's identity from anything but its verified
//! certificate, and never apply received entries out of order.

mod config;
mod error;
mod links;
mod metrics;
mod replicator;
mod source;

pub use config::{NetConfig, PeerAddress};
pub use error::NetError;
pub use replicator::{Replicator, Status};
