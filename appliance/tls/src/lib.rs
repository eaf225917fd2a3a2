//! The one TLS configuration of Keywarden, used by `kmsd`'s listeners, the bench and (next) the
//! cluster's peer links.
//!
//! It owns the crypto provider (aws-lc-rs, X25519MLKEM768 first), loading PEM certificates,
//! keys and CRLs, server configurations, the client-CA trust with CRLs that are re-read when
//! their files change ([`ClientTrust`]), and the caller [`Identity`] of a verified client
//! certificate (its whole subject DN, or one configured SAN). It must never accept a
//! certificate the current CRLs revoke, never derive an identity from a CN alone, and never
//! let a bad file be found at the first handshake instead of at start.

mod client;
mod error;
mod identity;
mod pem;
mod provider;
mod server;
mod trust;

pub use client::mutual_client_config;
pub use error::{IdentityError, TlsError};
pub use identity::{IdentitySource, peer_identity};
pub use keywarden_authz::Identity;
pub use pem::{load_certs, load_crls, load_key};
pub use provider::provider;
pub use server::{ClientAuth, ServerTls};
pub use trust::{ClientTrust, TrustGeneration};
