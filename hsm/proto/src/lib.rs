//! Wire protocol between `kmsd` and `hsm-bridge`.
//!
//! Owns the request/response types and their framing on the unix socket:
//! a 4-byte big-endian length followed by a postcard body, at most
//! [`MAX_FRAME`] bytes. It must never carry a key in clear except a domain
//! KEK or a storage epoch data key travelling between `kmsd` and the bridge
//! for a wrap or after an unwrap, held in [`zeroize::Zeroizing`] memory and
//! never printed by `Debug`.
//!
//! Versions: enum variants are only ever appended (postcard tags are variant
//! indexes), and each request says in its doc from which protocol version on
//! a client may send it. A bridge serves every version from
//! [`MIN_PROTOCOL_VERSION`] to [`PROTOCOL_VERSION`] and answers `Hello` with
//! the client's version, so an older client keeps working against a newer
//! bridge; a client refuses a bridge that does not speak its version.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// Protocol version spoken by this build's client. 2 added the storage epoch requests.
pub const PROTOCOL_VERSION: u16 = 2;

/// Oldest client version a bridge of this build still serves (its requests are a subset).
pub const MIN_PROTOCOL_VERSION: u16 = 1;

/// Largest frame body either side accepts; anything larger is a protocol error.
pub const MAX_FRAME: usize = 64 * 1024;

/// Largest number of random bytes one request may ask for.
pub const MAX_RANDOM: u32 = 32 * 1024;

/// A request from `kmsd` to the bridge.
#[derive(Serialize, Deserialize, PartialEq, Eq)]
pub enum Request {
    /// Opens the session; the bridge answers [`Response::Hello`].
    Hello {
        /// Protocol version of the client.
        version: u16,
    },
    /// Reports the token's state without touching key material.
    Health,
    /// Wraps a domain KEK under the node root key (AES-256-GCM inside the token).
    WrapKek {
        /// Identifier of the domain, bound as additional authenticated data.
        domain: String,
        /// The KEK in clear; zeroized when the request is dropped.
        kek: Zeroizing<Vec<u8>>,
    },
    /// Unwraps a blob produced by [`Request::WrapKek`] for the same domain.
    UnwrapKek {
        /// Identifier of the domain the blob was wrapped for.
        domain: String,
        /// The wrapped blob.
        blob: Vec<u8>,
    },
    /// Returns random bytes from the token's generator.
    Random {
        /// Number of bytes, at most [`MAX_RANDOM`].
        len: u32,
    },
    /// (v2) Generates the key of storage epoch `epoch` of node `node` inside the token
    /// (AES-256, sensitive, never extractable); fails with [`BridgeError::EpochKeyExists`]
    /// if the token already holds it. Answered by [`Response::EpochKeyCreated`].
    CreateEpochKey {
        /// Store node id of the node whose epoch it is.
        node: u64,
        /// Epoch number.
        epoch: u64,
    },
    /// (v2) Wraps a 32-byte data key under an epoch key (AES-GCM inside the token).
    WrapEpochDataKey {
        /// Node of the epoch key.
        node: u64,
        /// Epoch number of the epoch key.
        epoch: u64,
        /// The data key in clear; zeroized when the request is dropped.
        key: Zeroizing<Vec<u8>>,
    },
    /// (v2) Unwraps a blob made by [`Request::WrapEpochDataKey`] for the same node and epoch.
    UnwrapEpochDataKey {
        /// Node of the epoch key.
        node: u64,
        /// Epoch number of the epoch key.
        epoch: u64,
        /// The wrapped blob.
        blob: Vec<u8>,
    },
    /// (v2) Destroys an epoch key in the token; answered by [`Response::EpochKeyDestroyed`].
    DestroyEpochKey {
        /// Node of the epoch key.
        node: u64,
        /// Epoch number.
        epoch: u64,
    },
    /// (v2) Lists the storage epoch keys the token holds, of every node.
    ListEpochKeys,
}

/// Names one storage epoch key in the token.
#[derive(Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Clone, Copy)]
pub struct EpochKeyId {
    /// Store node id of the node whose epoch it is.
    pub node: u64,
    /// Epoch number.
    pub epoch: u64,
}

/// A response from the bridge to `kmsd`.
#[derive(Serialize, Deserialize, PartialEq, Eq)]
pub enum Response {
    /// Session accepted.
    Hello {
        /// Protocol version of the bridge.
        version: u16,
        /// Human-readable token description (label, manufacturer, model).
        token: String,
    },
    /// Health of the token.
    Health(HealthReport),
    /// A wrapped KEK.
    Wrapped {
        /// Opaque blob to store; only this node's root key can unwrap it.
        blob: Vec<u8>,
    },
    /// An unwrapped KEK; zeroized on drop.
    Unwrapped {
        /// The KEK in clear.
        kek: Zeroizing<Vec<u8>>,
    },
    /// Random bytes.
    Random {
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// The request failed.
    Error(BridgeError),
    /// (v2) The epoch key was generated.
    EpochKeyCreated,
    /// (v2) An unwrapped epoch data key; zeroized on drop.
    DataKey {
        /// The data key in clear.
        key: Zeroizing<Vec<u8>>,
    },
    /// (v2) The epoch key is gone from the token.
    EpochKeyDestroyed {
        /// Whether the token held it before this request.
        existed: bool,
    },
    /// (v2) The epoch keys in the token.
    EpochKeys {
        /// Every storage epoch key found, in no particular order.
        keys: Vec<EpochKeyId>,
    },
}

/// Health of the token as seen by the bridge.
#[derive(Serialize, Deserialize, PartialEq, Eq, Debug, Clone)]
pub struct HealthReport {
    /// True when the token answered and the root key is usable.
    pub ok: bool,
    /// Why the token is not usable, when `ok` is false.
    pub reason: Option<String>,
    /// Time the last token round trip took, in microseconds.
    pub latency_us: u64,
}

/// A failure reported by the bridge.
#[derive(Serialize, Deserialize, PartialEq, Eq, Debug, Clone, thiserror::Error)]
pub enum BridgeError {
    /// The token is absent, logged out or not answering.
    #[error("HSM token unavailable: {0}")]
    TokenUnavailable(String),
    /// The blob did not authenticate under this node's root key.
    #[error("wrapped KEK does not authenticate under this node's root key")]
    UnwrapFailed,
    /// The request was malformed or out of bounds.
    #[error("bad request to hsm-bridge: {0}")]
    BadRequest(String),
    /// The PKCS#11 module returned an error.
    #[error("PKCS#11 error: {0}")]
    Pkcs11(String),
    /// (v2) The token holds no key of this storage epoch (never made, or destroyed).
    #[error("the HSM holds no key of storage epoch {epoch} of node {node:016x}")]
    EpochKeyMissing {
        /// Node of the epoch.
        node: u64,
        /// Epoch number.
        epoch: u64,
    },
    /// (v2) The token already holds a key of this storage epoch.
    #[error("the HSM already holds a key of storage epoch {epoch} of node {node:016x}")]
    EpochKeyExists {
        /// Node of the epoch.
        node: u64,
        /// Epoch number.
        epoch: u64,
    },
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Request::Hello { version } => write!(f, "Hello {{ version: {version} }}"),
            Request::Health => f.write_str("Health"),
            Request::WrapKek { domain, .. } => {
                write!(f, "WrapKek {{ domain: {domain:?}, kek: <redacted> }}")
            }
            Request::UnwrapKek { domain, blob } => {
                write!(
                    f,
                    "UnwrapKek {{ domain: {domain:?}, blob: {} bytes }}",
                    blob.len()
                )
            }
            Request::Random { len } => write!(f, "Random {{ len: {len} }}"),
            Request::CreateEpochKey { node, epoch } => {
                write!(f, "CreateEpochKey {{ node: {node:016x}, epoch: {epoch} }}")
            }
            Request::WrapEpochDataKey { node, epoch, .. } => write!(
                f,
                "WrapEpochDataKey {{ node: {node:016x}, epoch: {epoch}, key: <redacted> }}"
            ),
            Request::UnwrapEpochDataKey { node, epoch, blob } => write!(
                f,
                "UnwrapEpochDataKey {{ node: {node:016x}, epoch: {epoch}, blob: {} bytes }}",
                blob.len()
            ),
            Request::DestroyEpochKey { node, epoch } => {
                write!(f, "DestroyEpochKey {{ node: {node:016x}, epoch: {epoch} }}")
            }
            Request::ListEpochKeys => f.write_str("ListEpochKeys"),
        }
    }
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Response::Hello { version, token } => {
                write!(f, "Hello {{ version: {version}, token: {token:?} }}")
            }
            Response::Health(h) => write!(f, "Health({h:?})"),
            Response::Wrapped { blob } => write!(f, "Wrapped {{ {} bytes }}", blob.len()),
            Response::Unwrapped { .. } => f.write_str("Unwrapped { kek: <redacted> }"),
            Response::Random { bytes } => write!(f, "Random {{ {} bytes }}", bytes.len()),
            Response::Error(e) => write!(f, "Error({e:?})"),
            Response::EpochKeyCreated => f.write_str("EpochKeyCreated"),
            Response::DataKey { .. } => f.write_str("DataKey { key: <redacted> }"),
            Response::EpochKeyDestroyed { existed } => {
                write!(f, "EpochKeyDestroyed {{ existed: {existed} }}")
            }
            Response::EpochKeys { keys } => write!(f, "EpochKeys({keys:?})"),
        }
    }
}

mod frame;

pub use frame::{
    LEN_PREFIX, ProtoError, decode_body, decode_frame, encode_frame, parse_len, read_frame,
    read_message, write_message,
};

#[cfg(test)]
mod tests;
