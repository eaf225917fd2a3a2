//! The one error type of this crate.

/// Why a cryptographic operation failed; each variant maps to one KMIP Result Reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The key bytes are malformed, of the wrong type or fail validation (names the format).
    #[error("invalid key: {0}")]
    InvalidKey(String),
    /// A parameter (IV, tag length, key size, data length...) is invalid; the message names it.
    #[error("invalid parameters: {0}")]
    InvalidParameters(String),
    /// The algorithm or combination is valid in general but not supported here.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// Integrity check failed: bad tag, bad padding, bad OAEP encoding or bad key-wrap check value.
    #[error("authentication failed")]
    AuthenticationFailed,
    /// The crypto library failed where it should not have.
    #[error("internal error: {0}")]
    Internal(String),
}

impl CryptoError {
    pub(crate) fn internal(what: &str) -> Self {
        Self::Internal(format!("{what} failed in aws-lc"))
    }
}
