//! The wiring of the real key service, `keywarden_kms::Kms`, into the listeners.

use std::sync::Arc;

use keywarden_kmip::ttlv::DecodeError;
use keywarden_kms::{Caller, Identity, Kms, KmsConfig, Policy, Role};
use prometheus_client::registry::Registry;

use crate::config::ServerConfig;
use crate::error::Error;
use crate::service::{KmipService, Readiness};

/// Opens the key service described by `config`, registering its metrics.
pub async fn open(config: &ServerConfig, registry: &mut Registry) -> Result<Arc<Kms>, Error> {
    let kms_config = KmsConfig {
        data_dir: config.data_dir.clone(),
        hsm_socket: config.hsm_socket.clone(),
        authorization: Policy::load(&config.authorization)?,
        limits: config.limits,
    };
    Kms::open(kms_config, registry)
        .await
        .map_err(|e| Error::Kms(e.to_string()))
}

impl KmipService for Kms {
    type Caller = Caller;

    fn caller(&self, identity: &Identity) -> Caller {
        Kms::caller(self, identity)
    }

    fn may_read_metrics(&self, caller: &Caller) -> bool {
        matches!(caller.role, Role::Admin | Role::Auditor)
    }

    async fn handle(&self, caller: &Caller, request: &[u8]) -> Vec<u8> {
        Kms::handle(self, caller, request).await
    }

    fn frame_error(&self, error: &DecodeError) -> Vec<u8> {
        Kms::frame_error(self, error)
    }

    async fn readiness(&self) -> Readiness {
        let readiness = Kms::readiness(self).await;
        Readiness {
            ready: readiness.ready,
            reasons: readiness.reasons,
        }
    }

    async fn shutdown(&self) {
        Kms::shutdown(self).await;
    }
}
