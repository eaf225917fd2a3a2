//! `ServerConfig`: everything `serve` needs, whether it comes from dev provisioning or, later, a
//! production configuration file.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use crate::admission::AdmissionLimits;
pub use crate::budget::RequestBudget;
use keywarden_kmip::ttlv::Limits;
use keywarden_kms::HsmLossPolicy;
use keywarden_tls::IdentitySource;
use serde::Serialize;

/// The typed configuration of one running daemon.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// KMIP over TLS listener address (port 0: chosen by the OS).
    pub kmip_addr: SocketAddr,
    /// HTTPS listener address (port 0: chosen by the OS).
    pub https_addr: SocketAddr,
    /// Certificates and keys of both listeners.
    pub tls: TlsFiles,
    /// The authorization file: roles of client identities.
    pub authorization: PathBuf,
    /// Which part of a client certificate is the caller identity.
    pub identity: IdentitySource,
    /// Directory of the database.
    pub data_dir: PathBuf,
    /// Unix socket of `hsm-bridge`.
    pub hsm_socket: PathBuf,
    /// Decoding limits of KMIP messages.
    pub limits: Limits,
    /// What the key service does while the HSM does not answer.
    pub hsm_loss: HsmLossPolicy,
    /// How often the key service checks whether destroyed material must be erased (the bound
    /// on the time to erasure, plus one erase).
    pub erase_interval: Duration,
    /// Connection timeouts.
    pub timeouts: Timeouts,
    /// Most concurrent connections per listener; more are accepted and closed at once.
    pub max_connections: usize,
    /// Limits on connections that have not finished their TLS handshake.
    pub admission: AdmissionLimits,
    /// The bytes of KMIP requests held in memory at once, over all connections.
    pub request_budget: RequestBudget,
    /// Where to announce the endpoints once serving, if anywhere.
    pub ready_file: Option<ReadyFile>,
}

/// Longest accepted CRL poll interval and connection timeout: anything longer is a typo, not a
/// setting (a day-long read timeout would pin a request's memory for a day).
const MAX_INTERVAL: Duration = Duration::from_secs(24 * 3600);

impl ServerConfig {
    /// Checks every setting that the listeners and the key service would otherwise only trip
    /// over later (a zero interval makes a timer panic or a loop spin); the error names the
    /// field.
    pub fn validate(&self) -> Result<(), crate::error::Error> {
        let within = |field: &'static str, value: Duration, min: Duration| {
            if value < min || value > MAX_INTERVAL {
                Err(crate::error::Error::Config {
                    field,
                    reason: format!("{value:?} is not between {min:?} and {MAX_INTERVAL:?}"),
                })
            } else {
                Ok(())
            }
        };
        let ms = Duration::from_millis(1);
        within("tls.crl_poll", self.tls.crl_poll, ms)?;
        within(
            "erase_interval",
            self.erase_interval,
            Duration::from_secs(1),
        )?;
        let t = &self.timeouts;
        within("timeouts.handshake", t.handshake, ms)?;
        within("timeouts.idle", t.idle, ms)?;
        within("timeouts.read", t.read, ms)?;
        within("timeouts.write", t.write, ms)?;
        within("timeouts.shutdown_grace", t.shutdown_grace, Duration::ZERO)?;
        within("timeouts.https_lifetime", t.https_lifetime, ms)?;
        if self.max_connections == 0 {
            return Err(crate::error::Error::Config {
                field: "max_connections",
                reason: "must be at least 1".to_owned(),
            });
        }
        self.admission.validate(self.max_connections)?;
        self.request_budget.validate(&self.limits)
    }
}

/// PEM files of the TLS setup shared by both listeners.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// CA that client certificates must chain to.
    pub client_ca: PathBuf,
    /// Server certificate chain.
    pub server_cert: PathBuf,
    /// Server private key (PKCS#8).
    pub server_key: PathBuf,
    /// CRLs of the client CAs (PEM or DER), re-read when they change; empty: no revocation.
    pub client_crls: Vec<PathBuf>,
    /// How often the CRL files are checked for a change.
    pub crl_poll: Duration,
}

/// Connection timeouts; each bounds one wait on a client.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// From accept to the end of the TLS handshake.
    pub handshake: Duration,
    /// Waiting for the first bytes of the next request; closes silent clients.
    pub idle: Duration,
    /// Reading the rest of a request once its header arrived; cuts slow clients.
    pub read: Duration,
    /// Writing one response; cuts clients that do not read.
    pub write: Duration,
    /// How long in-flight requests may run after a shutdown signal.
    pub shutdown_grace: Duration,
    /// Longest life of one HTTPS connection; then it is closed gracefully (KMIP clients keep
    /// long-lived connections and are bounded by the other timeouts instead).
    pub https_lifetime: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            handshake: Duration::from_secs(10),
            idle: Duration::from_secs(60),
            read: Duration::from_secs(10),
            write: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(10),
            https_lifetime: Duration::from_secs(300),
        }
    }
}

/// The readiness file: written atomically once both listeners are bound and the key service is
/// open, removed on clean shutdown.
#[derive(Clone, Debug)]
pub struct ReadyFile {
    /// Where to write it.
    pub path: PathBuf,
    /// Dev-mode paths announced with the endpoints.
    pub dev: DevDetails,
}

/// Paths a dev-mode client needs, announced in `ready.json`.
#[derive(Clone, Debug, Serialize)]
pub struct DevDetails {
    /// The dev directory.
    pub dir: PathBuf,
    /// CA certificate of the dev PKI.
    pub ca_cert: PathBuf,
    /// Admin client certificate.
    pub admin_cert: PathBuf,
    /// Admin client key.
    pub admin_key: PathBuf,
    /// Non-admin client certificate.
    pub user_cert: PathBuf,
    /// Non-admin client key.
    pub user_key: PathBuf,
    /// SoftHSM configuration file.
    pub softhsm2_conf: PathBuf,
    /// The hsm-bridge socket.
    pub hsm_socket: PathBuf,
    /// SoftHSM token directory.
    pub token_dir: PathBuf,
}
