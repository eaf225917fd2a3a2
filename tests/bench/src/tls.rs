//! TLS for the bench: the client configuration used against kmsd and the echo server, and the
//! echo server's configuration, a copy of kmsd's (`appliance/kmsd/src/tls.rs`) so the baseline
//! pays for exactly the same TLS: aws-lc-rs, X25519MLKEM768 first, TLS 1.3 and 1.2, client
//! certificates required and verified against the dev CA, stateless session tickets, no ALPN.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, NamedGroup, RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// aws-lc-rs with X25519MLKEM768 first, as kmsd's `tls::provider`.
pub fn provider() -> Result<Arc<CryptoProvider>> {
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    let position = provider
        .kx_groups
        .iter()
        .position(|group| group.name() == NamedGroup::X25519MLKEM768)
        .context("the crypto provider lacks X25519MLKEM768")?;
    let group = provider.kx_groups.remove(position);
    provider.kx_groups.insert(0, group);
    Ok(Arc::new(provider))
}

fn certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("reading certificates {}", path.display()))?;
    anyhow::ensure!(!certs.is_empty(), "no certificate in {}", path.display());
    Ok(certs)
}

fn key(path: &Path) -> Result<PrivateKeyDer<'static>> {
    PrivateKeyDer::from_pem_file(path).with_context(|| format!("reading key {}", path.display()))
}

fn roots(ca: &Path) -> Result<Arc<RootCertStore>> {
    let mut roots = RootCertStore::empty();
    for cert in certs(ca)? {
        roots
            .add(cert)
            .with_context(|| format!("adding CA {}", ca.display()))?;
    }
    Ok(Arc::new(roots))
}

/// The server side: the configuration kmsd's KMIP listener builds, from these files.
pub fn server_config(cert: &Path, key_path: &Path, ca: &Path) -> Result<Arc<ServerConfig>> {
    let provider = provider()?;
    let verifier = WebPkiClientVerifier::builder_with_provider(roots(ca)?, Arc::clone(&provider))
        .build()
        .context("client verifier")?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .context("protocol versions")?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs(cert)?, key(key_path)?)
        .context("server certificate and key")?;
    config.ticketer = rustls::crypto::aws_lc_rs::Ticketer::new().context("session ticketer")?;
    Ok(Arc::new(config))
}

/// The client side: trusts `ca`, presents `cert`/`key`; TLS 1.3 is what gets negotiated.
pub fn client_config(ca: &Path, cert: &Path, key_path: &Path) -> Result<Arc<ClientConfig>> {
    let config = ClientConfig::builder_with_provider(provider()?)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_root_certificates(roots(ca)?)
        .with_client_auth_cert(certs(cert)?, key(key_path)?)
        .context("client certificate")?;
    Ok(Arc::new(config))
}
