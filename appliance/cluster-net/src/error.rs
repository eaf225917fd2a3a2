//! Errors of the replication driver.

/// Why the replicator could not start, or a setting is wrong.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// A setting is invalid; names the field.
    #[error("cluster setting {field}: {reason}")]
    Config {
        /// The setting.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The listener could not be bound.
    #[error("binding the cluster listener on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The store could not be read at start.
    #[error("reading the store: {0}")]
    Store(#[from] keywarden_store::StoreError),
}

/// Why received entries could not be applied.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApplyError {
    /// A shipped record does not decode.
    #[error("record {uuid} from {from}: {reason}")]
    Record {
        /// The object.
        uuid: String,
        /// The sending peer.
        from: keywarden_store::NodeId,
        /// What is wrong.
        reason: String,
    },
    /// The store refused or failed the write.
    #[error("store: {0}")]
    Store(#[from] keywarden_store::StoreError),
}
