//! Client of `hsm-bridge`, used by `kmsd`.
//!
//! Owns the connection side of the unix-socket protocol: dialing lazily,
//! the Hello handshake, a small pool of idle connections, per-call
//! timeouts and one transparent retry on a fresh connection when the bridge
//! was restarted. It must never load a PKCS#11 module, never log key
//! material, and never hold an unwrapped KEK outside [`Zeroizing`] memory.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use hsm_proto::{
    PROTOCOL_VERSION, ProtoError, Request, Response, encode_frame, read_message, write_message,
};
use tokio::io::AsyncWriteExt;
use tokio::net::UnixStream;
use tracing::debug;
use zeroize::Zeroizing;

/// Types kmsd sees in answers, re-exported so it needs no direct dependency on the protocol crate.
pub use hsm_proto::{BridgeError, EpochKeyId, HealthReport, MAX_RANDOM};

/// Default time limit of one call, dialing and retry included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Idle connections kept for reuse.
const MAX_IDLE: usize = 16;

/// Why a call to the bridge failed.
#[derive(Debug, thiserror::Error)]
pub enum HsmError {
    /// The bridge or its token cannot be reached (socket absent or refused, timeout, token gone).
    #[error("HSM unavailable: {0}")]
    Unavailable(String),
    /// The bridge answered with an error.
    #[error(transparent)]
    Bridge(BridgeError),
    /// The bridge answered something this client does not understand.
    #[error("hsm-bridge protocol error: {0}")]
    Protocol(String),
}

/// A cheap, clonable handle on the bridge socket; connects on first use.
#[derive(Clone, Debug)]
pub struct HsmClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    socket: PathBuf,
    timeout: Duration,
    idle: Mutex<Vec<UnixStream>>,
    last_latency: Mutex<Option<Duration>>,
}

/// A failed exchange: transport failures are worth one retry on a fresh connection.
enum Failure {
    Transport(String),
    Fatal(HsmError),
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The guarded data (idle sockets, a duration) cannot be left half-updated.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn transport(e: ProtoError) -> Failure {
    match e {
        ProtoError::Io(e) => Failure::Transport(e.to_string()),
        other => Failure::Fatal(HsmError::Protocol(other.to_string())),
    }
}

impl HsmClient {
    /// A client for the bridge listening on `socket`; nothing is dialed until the first call.
    pub fn new(socket: PathBuf) -> HsmClient {
        HsmClient {
            inner: Arc::new(Inner {
                socket,
                timeout: DEFAULT_TIMEOUT,
                idle: Mutex::new(Vec::new()),
                last_latency: Mutex::new(None),
            }),
        }
    }

    /// The same client with another per-call time limit.
    pub fn with_timeout(self, timeout: Duration) -> HsmClient {
        HsmClient {
            inner: Arc::new(Inner {
                socket: self.inner.socket.clone(),
                timeout,
                idle: Mutex::new(Vec::new()),
                last_latency: Mutex::new(*lock(&self.inner.last_latency)),
            }),
        }
    }

    /// Round-trip time of the last successful call, for metrics.
    pub fn last_latency(&self) -> Option<Duration> {
        *lock(&self.inner.last_latency)
    }

    /// Health of the token as reported by the bridge.
    pub async fn health(&self) -> Result<HealthReport, HsmError> {
        match self.call(&Request::Health).await? {
            Response::Health(report) => Ok(report),
            other => Err(unexpected(&other)),
        }
    }

    /// Wraps a domain KEK under this node's HSM root key.
    pub async fn wrap_kek(&self, domain: &str, kek: &[u8]) -> Result<Vec<u8>, HsmError> {
        let request = Request::WrapKek {
            domain: domain.to_owned(),
            kek: Zeroizing::new(kek.to_vec()),
        };
        match self.call(&request).await? {
            Response::Wrapped { blob } => Ok(blob),
            other => Err(unexpected(&other)),
        }
    }

    /// Unwraps a blob made by [`HsmClient::wrap_kek`] for the same domain.
    pub async fn unwrap_kek(
        &self,
        domain: &str,
        blob: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, HsmError> {
        let request = Request::UnwrapKek {
            domain: domain.to_owned(),
            blob: blob.to_vec(),
        };
        match self.call(&request).await? {
            Response::Unwrapped { kek } => Ok(kek),
            other => Err(unexpected(&other)),
        }
    }

    /// `len` random bytes from the token (at most [`MAX_RANDOM`]).
    pub async fn random(&self, len: usize) -> Result<Vec<u8>, HsmError> {
        let wire_len = u32::try_from(len)
            .ok()
            .filter(|l| *l <= MAX_RANDOM)
            .ok_or_else(|| {
                HsmError::Bridge(BridgeError::BadRequest(format!(
                    "random length {len} exceeds {MAX_RANDOM}"
                )))
            })?;
        match self.call(&Request::Random { len: wire_len }).await? {
            Response::Random { bytes } if bytes.len() == len => Ok(bytes),
            Response::Random { bytes } => Err(HsmError::Protocol(format!(
                "asked for {len} random bytes, got {}",
                bytes.len()
            ))),
            other => Err(unexpected(&other)),
        }
    }

    /// Generates the key of storage epoch `epoch` of node `node` in the token. A transport
    /// failure is retried once, so after a lost answer this can fail with
    /// [`BridgeError::EpochKeyExists`] for the key the first attempt made.
    pub async fn create_epoch_key(&self, node: u64, epoch: u64) -> Result<(), HsmError> {
        match self.call(&Request::CreateEpochKey { node, epoch }).await? {
            Response::EpochKeyCreated => Ok(()),
            other => Err(unexpected(&other)),
        }
    }

    /// Wraps a 32-byte data key under the key of a storage epoch.
    pub async fn wrap_epoch_data_key(
        &self,
        node: u64,
        epoch: u64,
        key: &[u8],
    ) -> Result<Vec<u8>, HsmError> {
        let request = Request::WrapEpochDataKey {
            node,
            epoch,
            key: Zeroizing::new(key.to_vec()),
        };
        match self.call(&request).await? {
            Response::Wrapped { blob } => Ok(blob),
            other => Err(unexpected(&other)),
        }
    }

    /// Unwraps a blob made by [`HsmClient::wrap_epoch_data_key`] for the same node and epoch;
    /// [`BridgeError::EpochKeyMissing`] once the epoch key is destroyed.
    pub async fn unwrap_epoch_data_key(
        &self,
        node: u64,
        epoch: u64,
        blob: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, HsmError> {
        let request = Request::UnwrapEpochDataKey {
            node,
            epoch,
            blob: blob.to_vec(),
        };
        match self.call(&request).await? {
            Response::DataKey { key } => Ok(key),
            other => Err(unexpected(&other)),
        }
    }

    /// Destroys the key of a storage epoch in the token; `Ok(false)` if it was not there.
    pub async fn destroy_epoch_key(&self, node: u64, epoch: u64) -> Result<bool, HsmError> {
        match self.call(&Request::DestroyEpochKey { node, epoch }).await? {
            Response::EpochKeyDestroyed { existed } => Ok(existed),
            other => Err(unexpected(&other)),
        }
    }

    /// Every storage epoch key the token holds, of every node.
    pub async fn list_epoch_keys(&self) -> Result<Vec<EpochKeyId>, HsmError> {
        match self.call(&Request::ListEpochKeys).await? {
            Response::EpochKeys { keys } => Ok(keys),
            other => Err(unexpected(&other)),
        }
    }

    /// Sends one request, retrying a transport failure once on a fresh connection. Every
    /// request is idempotent or says what a retry can answer ([`HsmClient::create_epoch_key`]).
    async fn call(&self, request: &Request) -> Result<Response, HsmError> {
        let frame = encode_frame(request).map_err(|e| HsmError::Protocol(e.to_string()))?;
        let timeout = self.inner.timeout;
        let start = Instant::now();
        let response = tokio::time::timeout(timeout, self.exchange_with_retry(&frame))
            .await
            .map_err(|_| {
                HsmError::Unavailable(format!("hsm-bridge did not answer within {timeout:?}"))
            })??;
        *lock(&self.inner.last_latency) = Some(start.elapsed());
        match response {
            Response::Error(BridgeError::TokenUnavailable(reason)) => {
                Err(HsmError::Unavailable(reason))
            }
            Response::Error(e) => Err(HsmError::Bridge(e)),
            other => Ok(other),
        }
    }

    async fn exchange_with_retry(&self, frame: &[u8]) -> Result<Response, HsmError> {
        let pooled = lock(&self.inner.idle).pop();
        let first = match pooled {
            Some(stream) => stream,
            None => match self.dial().await {
                Ok(s) => s,
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Transport(reason)) => return Err(self.unreachable(&reason)),
            },
        };
        match self.exchange(first, frame).await {
            Ok(response) => return Ok(response),
            Err(Failure::Fatal(e)) => return Err(e),
            Err(Failure::Transport(reason)) => {
                // The bridge probably restarted: every idle connection is dead too.
                debug!(%reason, "hsm-bridge connection lost, redialing once");
                lock(&self.inner.idle).clear();
            }
        }
        let fresh = self.dial().await.map_err(|f| self.fail(f))?;
        self.exchange(fresh, frame).await.map_err(|f| self.fail(f))
    }

    fn unreachable(&self, reason: &str) -> HsmError {
        HsmError::Unavailable(format!(
            "hsm-bridge at {}: {reason}",
            self.inner.socket.display()
        ))
    }

    fn fail(&self, failure: Failure) -> HsmError {
        match failure {
            Failure::Transport(reason) => self.unreachable(&reason),
            Failure::Fatal(e) => e,
        }
    }

    async fn exchange(&self, mut stream: UnixStream, frame: &[u8]) -> Result<Response, Failure> {
        stream
            .write_all(frame)
            .await
            .map_err(|e| Failure::Transport(e.to_string()))?;
        stream
            .flush()
            .await
            .map_err(|e| Failure::Transport(e.to_string()))?;
        let response = read_message::<_, Response>(&mut stream)
            .await
            .map_err(transport)?
            .ok_or_else(|| Failure::Transport("connection closed before the answer".to_owned()))?;
        let mut idle = lock(&self.inner.idle);
        if idle.len() < MAX_IDLE {
            idle.push(stream);
        }
        Ok(response)
    }

    async fn dial(&self) -> Result<UnixStream, Failure> {
        let mut stream = UnixStream::connect(&self.inner.socket)
            .await
            .map_err(|e| Failure::Transport(format!("cannot connect: {e}")))?;
        write_message(
            &mut stream,
            &Request::Hello {
                version: PROTOCOL_VERSION,
            },
        )
        .await
        .map_err(transport)?;
        let answer = read_message::<_, Response>(&mut stream)
            .await
            .map_err(transport)?
            .ok_or_else(|| Failure::Transport("connection closed during Hello".to_owned()))?;
        match answer {
            Response::Hello { version, token } if version == PROTOCOL_VERSION => {
                debug!(%token, "connected to hsm-bridge");
                Ok(stream)
            }
            Response::Hello { version, .. } => Err(Failure::Fatal(HsmError::Protocol(format!(
                "bridge speaks protocol {version}, this client speaks {PROTOCOL_VERSION}"
            )))),
            Response::Error(BridgeError::TokenUnavailable(reason)) => {
                Err(Failure::Fatal(HsmError::Unavailable(reason)))
            }
            Response::Error(e) => Err(Failure::Fatal(HsmError::Bridge(e))),
            other => Err(Failure::Fatal(unexpected(&other))),
        }
    }
}

fn unexpected(response: &Response) -> HsmError {
    HsmError::Protocol(format!("unexpected answer {response:?}"))
}

#[cfg(test)]
mod tests;
