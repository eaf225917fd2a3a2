//! Server configurations of the listeners.

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::TlsError;
use crate::pem::{load_certs, load_key};
use crate::trust::ClientTrust;

/// Whether a listener demands a client certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// No certificate, no connection (KMIP, cluster).
    Required,
    /// A certificate is verified if presented (HTTPS: health probes carry none).
    Optional,
}

/// A server certificate and key with the client trust, loaded once at start.
#[derive(Debug)]
pub struct ServerTls {
    provider: Arc<CryptoProvider>,
    trust: Arc<ClientTrust>,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl ServerTls {
    /// Loads and checks the server certificate and key.
    pub fn load(
        provider: Arc<CryptoProvider>,
        trust: Arc<ClientTrust>,
        server_cert: &Path,
        server_key: &Path,
    ) -> Result<ServerTls, TlsError> {
        Ok(ServerTls {
            provider,
            trust,
            chain: load_certs(server_cert)?,
            key: load_key(server_key)?,
        })
    }

    /// The client trust shared by every configuration built here.
    pub fn trust(&self) -> &Arc<ClientTrust> {
        &self.trust
    }

    /// Builds a server configuration: TLS 1.3 and 1.2, session resumption on.
    pub fn server_config(
        &self,
        auth: ClientAuth,
        alpn: &[&[u8]],
    ) -> Result<Arc<ServerConfig>, TlsError> {
        let config_error = |what: &'static str| {
            move |e: rustls::Error| TlsError::Config {
                what,
                reason: e.to_string(),
            }
        };
        let mut config = ServerConfig::builder_with_provider(Arc::clone(&self.provider))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(config_error("protocol versions"))?
            .with_client_cert_verifier(self.trust.verifier(auth))
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .map_err(config_error("server certificate and key"))?;
        // Stateless tickets for TLS 1.3 and 1.2 resumption; the default in-memory session
        // cache stays for TLS 1.2 session ids. A resumed session skips client certificate
        // verification, so the listeners re-check resumed peers against the current CRLs
        // with `ClientTrust::still_trusted`.
        config.ticketer =
            rustls::crypto::aws_lc_rs::Ticketer::new().map_err(config_error("session ticketer"))?;
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(Arc::new(config))
    }
}
