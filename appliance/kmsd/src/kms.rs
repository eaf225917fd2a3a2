//! The wiring of the real key service, `keywarden_kms::Kms` behind its KMIP message layer
//! `keywarden_kmip_server::KmipServer`, into the listeners.

use keywarden_kmip::ttlv::DecodeError;
use keywarden_kmip_server::{KmipConfig, KmipServer};
use keywarden_kms::{Caller, Identity, Kms, KmsConfig, Policy, Role};
use prometheus_client::registry::Registry;

use crate::config::ServerConfig;
use crate::error::Error;
use crate::service::{EraseDone, KmipService, Readiness, Refusal};

/// Opens the key service described by `config` behind its KMIP front, registering its metrics.
pub async fn open(config: &ServerConfig, registry: &mut Registry) -> Result<KmipServer, Error> {
    let kms_config = KmsConfig {
        data_dir: config.data_dir.clone(),
        hsm_socket: config.hsm_socket.clone(),
        authorization: Policy::load(&config.authorization)?,
        hsm_loss: config.hsm_loss,
        erase_interval: config.erase_interval,
        store: keywarden_kms::StoreOptions::default(),
    };
    let kms = Kms::open(kms_config, registry)
        .await
        .map_err(|e| Error::Kms(e.to_string()))?;
    let kmip = KmipConfig {
        limits: config.limits,
        batch_deadline: keywarden_kmip_server::DEFAULT_BATCH_DEADLINE,
    };
    Ok(KmipServer::new(kms, kmip))
}

impl KmipService for KmipServer {
    type Caller = Caller;

    fn caller(&self, identity: &Identity, peer: std::net::SocketAddr) -> Caller {
        Caller {
            client: Some(peer),
            ..self.kms().caller(identity)
        }
    }

    async fn read_audit(
        &self,
        caller: &Caller,
        from: u64,
        limit: usize,
    ) -> Result<serde_json::Value, Refusal> {
        use keywarden_kms::AuditReadError as E;
        let result = match self.kms().read_audit(caller, from, limit).await {
            Ok(records) => serde_json::to_value(records)
                .map_err(|e| Refusal::Failed(format!("encoding records: {e}"))),
            Err(e @ E::Forbidden(_)) => Err(Refusal::Forbidden(e.to_string())),
            Err(e @ E::NotOpen) => Err(Refusal::Unavailable(e.to_string())),
            Err(e @ (E::Verify(_) | E::Task(_))) => Err(Refusal::Failed(e.to_string())),
        };
        audited(self.kms(), caller, "Read Audit Log", false, result).await
    }

    async fn erase_storage(&self, caller: &Caller) -> Result<EraseDone, Refusal> {
        let result = if caller.role == Role::Admin {
            match self.kms().erase_storage().await {
                Ok(r) => Ok(EraseDone {
                    epoch: r.epoch,
                    destroyed: r.destroyed,
                    resealed: r.resealed,
                }),
                Err(e) if e.is_unavailable() => Err(Refusal::Unavailable(e.to_string())),
                Err(e) => Err(Refusal::Failed(e.to_string())),
            }
        } else {
            Err(Refusal::Forbidden(format!(
                "the {} role may not erase storage; it needs the admin role",
                caller.role
            )))
        };
        // A state change: its entry is durable before the answer.
        audited(self.kms(), caller, "Erase Storage", true, result).await
    }

    async fn read_metrics(&self, caller: &Caller) -> Result<(), Refusal> {
        let result = if matches!(caller.role, Role::Admin | Role::Auditor) {
            Ok(())
        } else {
            Err(Refusal::Forbidden(format!(
                "the {} role may not read /metrics; it needs the admin or auditor role",
                caller.role
            )))
        };
        audited(self.kms(), caller, "Read Metrics", false, result).await
    }

    async fn handle(&self, caller: &Caller, request: &[u8]) -> Vec<u8> {
        KmipServer::handle(self, caller, request).await
    }

    async fn frame_error(&self, caller: &Caller, error: &DecodeError) -> Vec<u8> {
        KmipServer::frame_error(self, caller, error).await
    }

    async fn busy(&self, caller: &Caller, len: usize, waited: std::time::Duration) -> Vec<u8> {
        KmipServer::busy(self, caller, len, waited).await
    }

    async fn readiness(&self) -> Readiness {
        let readiness = self.kms().readiness().await;
        Readiness {
            ready: readiness.ready,
            reasons: readiness.reasons,
            hsm_loss: readiness.hsm_loss.as_str(),
        }
    }

    async fn shutdown(&self) {
        self.kms().shutdown().await;
    }
}

/// Records an administrative request and its outcome in the audit log, then hands the outcome
/// back.
async fn audited<T>(
    kms: &Kms,
    caller: &Caller,
    request: &'static str,
    durable: bool,
    result: Result<T, Refusal>,
) -> Result<T, Refusal> {
    let outcome = match &result {
        Ok(_) => Ok(()),
        Err(Refusal::Forbidden(why)) => Err(("denied", why.clone())),
        Err(Refusal::Unavailable(why)) => Err(("unavailable", why.clone())),
        Err(Refusal::Failed(why)) => Err(("failed", why.clone())),
    };
    kms.record_request(caller, request, outcome, durable).await;
    result
}
