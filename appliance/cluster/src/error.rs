//! Errors of the replication protocol and core.

use keywarden_store::NodeId;

/// A frame that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The announced body is larger than the limit.
    #[error("frame of {len} bytes, at most {max}")]
    TooLarge {
        /// Announced length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A protocol version this build does not speak.
    #[error("protocol version {0} is not spoken here")]
    Version(u16),
    /// Fewer bytes than the header announced.
    #[error("frame cut short")]
    Truncated,
    /// More bytes than the header announced.
    #[error("bytes after the end of the frame")]
    Trailing,
    /// The body is not a message.
    #[error("undecodable message: {0}")]
    Decode(String),
    /// A message could not be encoded.
    #[error("message not encodable: {0}")]
    Encode(String),
    /// A field outside what the protocol allows.
    #[error("{field}: {reason}")]
    Field {
        /// Which field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

/// A peer the replication core will not talk to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeerError {
    /// No protocol version in common.
    #[error("peer speaks protocol {min}..={max}, this node {ours_min}..={ours_max}")]
    Protocol {
        /// Peer's oldest.
        min: u16,
        /// Peer's newest.
        max: u16,
        /// Our oldest.
        ours_min: u16,
        /// Our newest.
        ours_max: u16,
    },
    /// The peer belongs to another cluster.
    #[error("peer belongs to another cluster")]
    Cluster,
    /// The peer is not a member of this cluster.
    #[error("node {0} is not a member of this cluster")]
    NotMember(NodeId),
    /// The peer claims this node's own id.
    #[error("peer claims this node's id {0}")]
    SelfId(NodeId),
    /// The peer's site differs from the site membership records for it.
    #[error("node {node} says it is in site {said}, membership says {recorded}")]
    Site {
        /// The peer.
        node: NodeId,
        /// What it said.
        said: String,
        /// What membership records.
        recorded: String,
    },
    /// The peer's Hello names another node than its certificate.
    #[error("peer says it is node {said}, its certificate names node {certified}")]
    Identity {
        /// What the Hello said.
        said: NodeId,
        /// What the certificate names.
        certified: NodeId,
    },
    /// A message before the Hello, or a second Hello.
    #[error("protocol violation: {0}")]
    Violation(&'static str),
}
