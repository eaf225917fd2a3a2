//! Multi-master replication between the nodes of a Keywarden cluster (ARCHITECTURE §5): the
//! protocol spoken on port 5432 ([`wire`]), version vectors ([`VersionVector`]) and the
//! replication core ([`Replica`]), a state machine without I/O that decides what each peer is
//! sent, what received entries are applied, and which acknowledgement level a write reached.
//!
//! It must never do I/O or read a clock (drivers feed it events and time, so the simulation
//! runs exactly the code production runs), never ship an entry this node does not hold
//! durably, never carry a key wrapped by a node's HSM (records travel with their material
//! sealed under the domain KEK only), and never let a peer it cannot understand change state:
//! such a peer is refused with a reason.

mod error;
mod names;
mod replica;
mod vector;
pub mod wire;

pub use error::{PeerError, WireError};
pub use names::{NODE_DNS_SUFFIX, node_dns_name, node_of_dns_name};
pub use replica::{
    AckLevel, Action, Apply, ConnId, Degraded, LogSource, Member, Reached, Replica, ReplicaConfig,
    SnapshotApply,
};
pub use vector::VersionVector;
