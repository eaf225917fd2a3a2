//! The key service: KMIP operation semantics over the store, the crypto layer and the HSM.
//!
//! Owns lifecycle rules, ownership and permissions, the domain KEK in memory, and the mapping of
//! every failure to a KMIP Result Reason. It never loads PKCS#11 (that is `hsm-bridge`), never
//! listens on a socket (that is `kmsd`), and never stores key material that is not sealed under
//! the domain KEK.
//!
//! API contract used by `kmsd` (bodies to be implemented by the kms owner):
//!
//! ```ignore
//! pub struct KmsConfig { pub data_dir: PathBuf, pub hsm_socket: PathBuf,
//!                        pub admin_identities: Vec<String>, pub limits: keywarden_kmip::ttlv::Limits }
//! pub struct Caller { pub identity: String }            // client certificate subject CN
//! pub struct Readiness { pub ready: bool, pub reasons: Vec<String> }
//! impl Kms {
//!     pub async fn open(config: KmsConfig, registry: &mut prometheus_client::registry::Registry)
//!         -> Result<std::sync::Arc<Kms>, KmsError>;   // does not fail when the HSM is down: not ready instead
//!     pub async fn handle(&self, caller: &Caller, request: &[u8]) -> Vec<u8>; // whole TTLV message in/out, never panics
//!     pub fn frame_error(&self, error: &keywarden_kmip::ttlv::DecodeError) -> Vec<u8>; // response to a bad header
//!     pub async fn readiness(&self) -> Readiness;
//!     pub async fn shutdown(&self);                      // flushes and closes the store
//! }
//! ```
