//! Why the key service could not start.

use std::path::PathBuf;

/// A failure to open the key service (request-level failures are KMIP Result Reasons instead).
#[derive(Debug, thiserror::Error)]
pub enum KmsError {
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The store could not be opened.
    #[error("cannot open store {path}: {source}")]
    Store {
        /// The database file.
        path: PathBuf,
        /// The store error.
        source: keywarden_store::StoreError,
    },
    /// A blocking task failed.
    #[error("background task failed: {0}")]
    Task(String),
}
