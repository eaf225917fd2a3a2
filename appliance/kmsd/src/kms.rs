//! The wiring of the real key service into the listeners.

use std::sync::Arc;

use keywarden_kmip::ttlv::DecodeError;
use prometheus_client::registry::Registry;

use crate::config::ServerConfig;
use crate::error::Error;
use crate::service::{KmipService, Readiness};

// WIRING PENDING: keywarden-kms has not landed its `Kms` type yet. When it does, replace
// `NotWired` with `keywarden_kms::Kms`, implement `KmipService` for it by delegating to
// `Kms::{handle, frame_error, readiness, shutdown}`, and make `open` call
// `Kms::open(KmsConfig { data_dir, hsm_socket, admin_identities, limits }, registry)`.

/// Placeholder for the key service until `keywarden_kms::Kms` exists; it has no values.
pub enum NotWired {}

/// Opens the key service described by `config`, registering its metrics.
pub async fn open(
    _config: &ServerConfig,
    _registry: &mut Registry,
) -> Result<Arc<NotWired>, Error> {
    Err(Error::Kms(
        "keywarden-kms is not implemented yet; kmsd cannot serve without it".to_owned(),
    ))
}

impl KmipService for NotWired {
    type Caller = ();

    fn caller(&self, _identity: &str) -> Self::Caller {
        match *self {}
    }

    async fn handle(&self, _caller: &Self::Caller, _request: &[u8]) -> Vec<u8> {
        match *self {}
    }

    fn frame_error(&self, _error: &DecodeError) -> Vec<u8> {
        match *self {}
    }

    async fn readiness(&self) -> Readiness {
        match *self {}
    }

    async fn shutdown(&self) {
        match *self {}
    }
}
