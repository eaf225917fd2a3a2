//! The error every KMIP-level failure becomes: a Result Reason and a message for the client.

use crate::enums::ResultReason;

/// A failure to report to the client as a KMIP Result Reason with a Result Message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason:?}: {message}")]
pub struct KmipError {
    /// The KMIP Result Reason.
    pub reason: ResultReason,
    /// Human-readable explanation naming the field or rule at fault; never contains secrets.
    pub message: String,
}

impl KmipError {
    /// Builds an error from a reason and a message.
    pub fn new(reason: ResultReason, message: impl Into<String>) -> Self {
        KmipError {
            reason,
            message: message.into(),
        }
    }
}
