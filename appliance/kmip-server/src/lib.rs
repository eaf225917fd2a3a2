//! The KMIP message layer of the server: one whole TTLV request message in, one whole TTLV
//! response message out, each batch item run through the key service's typed
//! [`Kms::execute`] and its [`keywarden_kms::OpError`] mapped to a Result Reason in one place
//! ([`reason`]).
//!
//! Owns version negotiation, the batch loop (ID Placeholder, Batch Error Continuation Option,
//! the message's deadline), Maximum Response Size and the encoding of the answer. It never
//! decides an operation's outcome (that is `keywarden-kms`), never touches a socket or TLS
//! (that is `kmsd`'s KMIP listener) and never answers a 1.x client with a reason its version
//! does not define.

mod batch;
pub mod reason;

use std::sync::Arc;
use std::time::Duration;

use keywarden_kmip::ttlv::{DecodeError, Limits};
use keywarden_kms::{Caller, Kms};

/// How long one request message may take by default: items not started by then answer
/// Operation Failed instead of running.
pub const DEFAULT_BATCH_DEADLINE: Duration = Duration::from_secs(10);

/// Settings of the message layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KmipConfig {
    /// Limits applied when decoding requests.
    pub limits: Limits,
    /// How long one request message may take: items not started by then answer Operation
    /// Failed (General Failure, saying so) instead of running.
    pub batch_deadline: Duration,
}

impl Default for KmipConfig {
    fn default() -> KmipConfig {
        KmipConfig {
            limits: Limits::default(),
            batch_deadline: DEFAULT_BATCH_DEADLINE,
        }
    }
}

/// The KMIP front of one key service.
#[derive(Debug)]
pub struct KmipServer {
    kms: Arc<Kms>,
    config: KmipConfig,
}

impl KmipServer {
    /// The KMIP front of `kms`.
    pub fn new(kms: Arc<Kms>, config: KmipConfig) -> KmipServer {
        KmipServer { kms, config }
    }

    /// The key service behind it.
    pub fn kms(&self) -> &Arc<Kms> {
        &self.kms
    }

    /// The settings in force.
    pub fn config(&self) -> &KmipConfig {
        &self.config
    }

    /// Answers one whole TTLV request message with one whole TTLV response message; never
    /// panics.
    pub async fn handle(&self, caller: &Caller, request: &[u8]) -> Vec<u8> {
        batch::handle(self, caller, request).await
    }

    /// The response to a message whose framing could not be decoded (its header, or a body
    /// that never arrived in full); the refusal is audited.
    pub async fn frame_error(&self, caller: &Caller, error: &DecodeError) -> Vec<u8> {
        batch::frame_error(self, caller, error).await
    }

    /// The response to a request of `len` bytes that was not read because the process-wide
    /// budget of request bytes stayed spent for `waited`; the refusal is audited.
    pub async fn busy(&self, caller: &Caller, len: usize, waited: std::time::Duration) -> Vec<u8> {
        batch::busy(self, caller, len, waited).await
    }
}
