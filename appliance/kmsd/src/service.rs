//! What the listeners need from the key service, as a trait: the real `keywarden_kms::Kms` in
//! the daemon, a test double in unit tests.

use std::future::Future;
use std::net::SocketAddr;

use keywarden_kmip::ttlv::DecodeError;
use keywarden_tls::Identity;

/// Whether the node can serve, with the reasons when it cannot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Readiness {
    /// True when every dependency (HSM, KEKs, store) is usable.
    pub ready: bool,
    /// Why not, one short sentence each.
    pub reasons: Vec<String>,
    /// The HSM-loss policy in force (`keep-serving` or `refuse`), reported by `/readyz`.
    pub hsm_loss: &'static str,
}

/// Why an administrative request (audit read, storage erase) is refused or failed; each
/// maps to one HTTP status in the listener.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The caller's role may not do it (403).
    #[error("{0}")]
    Forbidden(String),
    /// Not possible now: the audit log is not open, the store is still locked, the HSM does
    /// not answer (503).
    #[error("{0}")]
    Unavailable(String),
    /// It failed: the records do not verify, or the erase failed with nothing a live record
    /// needs destroyed (500).
    #[error("{0}")]
    Failed(String),
}

/// What a completed storage erase reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EraseDone {
    /// The storage epoch every record is sealed under now.
    pub epoch: u64,
    /// The older epochs whose HSM keys the erase destroyed.
    pub destroyed: Vec<u64>,
    /// Records moved to the new epoch.
    pub resealed: u64,
}

/// The key service as seen by the listeners.
pub trait KmipService: Send + Sync + 'static {
    /// The authenticated caller of one connection, built once per connection.
    type Caller: Send + Sync + 'static;

    /// The caller of a verified client certificate's identity, with its role, connected from
    /// `peer` (recorded in the audit log).
    fn caller(&self, identity: &Identity, peer: SocketAddr) -> Self::Caller;

    /// Allows a read of `/metrics` to admins and auditors, recording it (or its refusal) in
    /// the audit log.
    fn read_metrics(
        &self,
        caller: &Self::Caller,
    ) -> impl Future<Output = Result<(), Refusal>> + Send;

    /// Answers one whole TTLV request message with one whole TTLV response; never fails.
    fn handle(&self, caller: &Self::Caller, request: &[u8])
    -> impl Future<Output = Vec<u8>> + Send;

    /// The response to a message whose framing is unacceptable (a bad header, a body that
    /// never arrived); the connection closes after it.
    fn frame_error(
        &self,
        caller: &Self::Caller,
        error: &DecodeError,
    ) -> impl Future<Output = Vec<u8>> + Send;

    /// The response to a request of `len` bytes that was never read because the process-wide
    /// budget of request bytes stayed spent for `waited`; the connection closes after it.
    fn busy(
        &self,
        caller: &Self::Caller,
        len: usize,
        waited: std::time::Duration,
    ) -> impl Future<Output = Vec<u8>> + Send;

    /// Audit records from sequence `from` on (at most `limit`), as JSON, for admins and
    /// auditors.
    fn read_audit(
        &self,
        caller: &Self::Caller,
        from: u64,
        limit: usize,
    ) -> impl Future<Output = Result<serde_json::Value, Refusal>> + Send;

    /// Conflicts that merges with peers' records found on this node (at most `limit`), as
    /// JSON, for admins and auditors. A service without storage has none to list.
    fn read_conflicts(
        &self,
        caller: &Self::Caller,
        limit: usize,
    ) -> impl Future<Output = Result<serde_json::Value, Refusal>> + Send {
        let _ = (caller, limit);
        async {
            Err(Refusal::Unavailable(
                "this key service has no storage to find conflicts in".to_owned(),
            ))
        }
    }

    /// Whether the node can serve.
    fn readiness(&self) -> impl Future<Output = Readiness> + Send;

    /// Erases now (admins only): destroyed material becomes unrecoverable from the data
    /// directory; answers once complete. A service without storage refuses.
    fn erase_storage(
        &self,
        caller: &Self::Caller,
    ) -> impl Future<Output = Result<EraseDone, Refusal>> + Send {
        let _ = caller;
        async {
            Err(Refusal::Unavailable(
                "this key service has no storage to erase".to_owned(),
            ))
        }
    }

    /// Flushes and closes; called once, after the listeners have drained.
    fn shutdown(&self) -> impl Future<Output = ()> + Send;
}
