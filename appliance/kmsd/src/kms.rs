//! The wiring of the real key service, `keywarden_kms::Kms`, into the listeners.

use std::sync::Arc;

use keywarden_kmip::ttlv::DecodeError;
use keywarden_kms::{Caller, Identity, Kms, KmsConfig, Policy, Role};
use prometheus_client::registry::Registry;

use crate::config::ServerConfig;
use crate::error::Error;
use crate::service::{EraseDone, KmipService, Readiness, Refusal};

/// Opens the key service described by `config`, registering its metrics.
pub async fn open(config: &ServerConfig, registry: &mut Registry) -> Result<Arc<Kms>, Error> {
    let kms_config = KmsConfig {
        data_dir: config.data_dir.clone(),
        hsm_socket: config.hsm_socket.clone(),
        authorization: Policy::load(&config.authorization)?,
        limits: config.limits,
        hsm_loss: config.hsm_loss,
        batch_deadline: keywarden_kms::DEFAULT_BATCH_DEADLINE,
        erase_interval: config.erase_interval,
        store: keywarden_kms::StoreOptions::default(),
    };
    Kms::open(kms_config, registry)
        .await
        .map_err(|e| Error::Kms(e.to_string()))
}

impl KmipService for Kms {
    type Caller = Caller;

    fn caller(&self, identity: &Identity, peer: std::net::SocketAddr) -> Caller {
        Caller {
            client: Some(peer),
            ..Kms::caller(self, identity)
        }
    }

    async fn read_audit(
        &self,
        caller: &Caller,
        from: u64,
        limit: usize,
    ) -> Result<serde_json::Value, Refusal> {
        use keywarden_kms::AuditReadError as E;
        match Kms::read_audit(self, caller, from, limit).await {
            Ok(records) => serde_json::to_value(records)
                .map_err(|e| Refusal::Failed(format!("encoding records: {e}"))),
            Err(e @ E::Forbidden(_)) => Err(Refusal::Forbidden(e.to_string())),
            Err(e @ E::NotOpen) => Err(Refusal::Unavailable(e.to_string())),
            Err(e @ (E::Verify(_) | E::Task(_))) => Err(Refusal::Failed(e.to_string())),
        }
    }

    async fn erase_storage(&self, caller: &Caller) -> Result<EraseDone, Refusal> {
        if caller.role != Role::Admin {
            return Err(Refusal::Forbidden(format!(
                "the {} role may not erase storage; it needs the admin role",
                caller.role
            )));
        }
        match Kms::erase_storage(self).await {
            Ok(r) => Ok(EraseDone {
                epoch: r.epoch,
                destroyed: r.destroyed,
                resealed: r.resealed,
            }),
            Err(e) if e.is_unavailable() => Err(Refusal::Unavailable(e.to_string())),
            Err(e) => Err(Refusal::Failed(e.to_string())),
        }
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
            hsm_loss: readiness.hsm_loss.as_str(),
        }
    }

    async fn shutdown(&self) {
        Kms::shutdown(self).await;
    }
}
