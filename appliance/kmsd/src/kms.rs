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

    async fn read_conflicts(
        &self,
        caller: &Caller,
        limit: usize,
    ) -> Result<serde_json::Value, Refusal> {
        use keywarden_kms::ConflictReadError as E;
        let result = match self.kms().read_conflicts(caller, limit) {
            Ok(found) => Ok(serde_json::Value::Array(
                found.iter().map(conflict_json).collect(),
            )),
            Err(e @ E::Forbidden(_)) => Err(Refusal::Forbidden(e.to_string())),
            Err(e @ E::Store(_)) => Err(Refusal::Unavailable(e.to_string())),
        };
        audited(self.kms(), caller, "Read Conflicts", false, result).await
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
/// A conflict as the API shows it: node ids in hex (a u64 does not survive a JSON number).
fn conflict_json(c: &keywarden_kms::Conflict) -> serde_json::Value {
    use keywarden_kms::ConflictKind as K;
    let mut v = serde_json::json!({
        "object": c.uuid,
        "detected_ms": c.detected.hlc.wall_ms,
        "detected_by": c.detected.node.to_string(),
    });
    let kind = match &c.kind {
        K::CompromiseDestroyRace {
            compromised_by,
            destroyed_by,
        } => serde_json::json!({
            "kind": "compromise-destroy-race",
            "resolution": "both kept: destroyed and compromised, material gone",
            "compromised_by": compromised_by.to_string(),
            "destroyed_by": destroyed_by.to_string(),
        }),
        K::DuplicateName { name, other } => serde_json::json!({
            "kind": "duplicate-name",
            "resolution": "both objects keep the name",
            "name": name,
            "other_object": other,
        }),
    };
    if let (Some(v), serde_json::Value::Object(k)) = (v.as_object_mut(), kind) {
        v.extend(k);
    }
    v
}

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

#[cfg(test)]
mod tests {
    use super::conflict_json;
    use keywarden_kms::{Conflict, ConflictKind, Hlc, NodeId, Stamp};

    #[test]
    fn conflicts_show_node_ids_in_hex_and_say_how_they_were_resolved() {
        let detected = Stamp {
            hlc: Hlc {
                wall_ms: 1_800_000_000_123,
                logical: 0,
            },
            node: NodeId(u64::MAX - 1),
        };
        let race = conflict_json(&Conflict {
            uuid: "u1".into(),
            kind: ConflictKind::CompromiseDestroyRace {
                compromised_by: NodeId(1),
                destroyed_by: NodeId(u64::MAX),
            },
            detected,
        });
        assert_eq!(
            race,
            serde_json::json!({
                "object": "u1",
                "detected_ms": 1_800_000_000_123u64,
                "detected_by": "fffffffffffffffe",
                "kind": "compromise-destroy-race",
                "resolution": "both kept: destroyed and compromised, material gone",
                "compromised_by": "0000000000000001",
                "destroyed_by": "ffffffffffffffff",
            })
        );
        let name = conflict_json(&Conflict {
            uuid: "u2".into(),
            kind: ConflictKind::DuplicateName {
                name: "payroll".into(),
                other: "u3".into(),
            },
            detected,
        });
        assert_eq!(name["kind"], "duplicate-name");
        assert_eq!(name["name"], "payroll");
        assert_eq!(name["other_object"], "u3");
    }
}
