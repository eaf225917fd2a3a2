//! The one error type of the dev PKI.

use std::path::PathBuf;

/// Why the dev PKI could not be created, completed or used.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// A file or directory operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The directory is in a state the generator must not touch (a half pair, leaves without
    /// their CA, a file that would be overwritten); the detail says what to remove.
    #[error("dev directory {dir}: {detail}")]
    Refused {
        /// The directory at fault.
        dir: PathBuf,
        /// What is wrong and what to do.
        detail: String,
    },
    /// A key, certificate or CRL could not be generated or loaded.
    #[error("dev PKI {path}: {detail}")]
    Generate {
        /// The file at fault.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
}

impl PkiError {
    /// A closure turning an I/O error about `path` into a [`PkiError::Io`].
    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> PkiError + '_ {
        move |source| PkiError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A generation failure about `path`.
    pub(crate) fn generate(path: &std::path::Path, e: impl std::fmt::Display) -> PkiError {
        PkiError::Generate {
            path: path.to_path_buf(),
            detail: e.to_string(),
        }
    }
}
