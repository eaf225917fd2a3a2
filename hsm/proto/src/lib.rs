//! Wire protocol between `kmsd` and `hsm-bridge`.
//!
//! Owns the request/response types and their framing on the unix socket:
//! a 4-byte big-endian length followed by a postcard body, at most
//! [`MAX_FRAME`] bytes. It must never carry a key in clear except a domain
//! KEK travelling from the bridge to `kmsd` after unwrap, which is held in
//! [`zeroize::Zeroizing`] memory and never printed by `Debug`.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// Protocol version spoken by this build; a peer with another major refuses the session.
pub const PROTOCOL_VERSION: u16 = 1;

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
