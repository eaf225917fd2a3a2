//! Client configurations for links on which this side also proves who it is (the cluster's
//! peer links): the server must chain to the given roots and pass their CRLs, and this side
//! presents its own certificate.

use std::path::Path;
use std::sync::Arc;

use rustls::ClientConfig;
use rustls::RootCertStore;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls_pki_types::CertificateRevocationListDer;

use crate::error::TlsError;
use crate::pem::{load_certs, load_key};

/// A TLS 1.3 client configuration trusting only the CA certificates in `roots` (with `crls`)
/// and presenting the certificate chain `cert` with its key `key`.
pub fn mutual_client_config(
    provider: Arc<CryptoProvider>,
    roots: &Path,
    crls: Vec<CertificateRevocationListDer<'static>>,
    cert: &Path,
    key: &Path,
) -> Result<Arc<ClientConfig>, TlsError> {
    let config_error = |what: &'static str| {
        move |e: rustls::Error| TlsError::Config {
            what,
            reason: e.to_string(),
        }
    };
    let mut store = RootCertStore::empty();
    for ca in load_certs(roots)? {
        store
            .add(ca)
            .map_err(config_error("trusted CA certificate"))?;
    }
    let verifier =
        WebPkiServerVerifier::builder_with_provider(Arc::new(store), Arc::clone(&provider))
            .with_crls(crls)
            .build()
            .map_err(|e| TlsError::Config {
                what: "server certificate verifier",
                reason: e.to_string(),
            })?;
    let config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(config_error("protocol versions"))?
        .with_webpki_verifier(verifier)
        .with_client_auth_cert(load_certs(cert)?, load_key(key)?)
        .map_err(config_error("client certificate and key"))?;
    Ok(Arc::new(config))
}
