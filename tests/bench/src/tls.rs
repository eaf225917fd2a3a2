//! The echo server's TLS configuration, a copy of kmsd's (`appliance/kmsd/src/tls.rs`) so the
//! baseline pays for exactly the same TLS: aws-lc-rs, X25519MLKEM768 first, TLS 1.3 and 1.2,
//! client certificates required and verified against the dev CA, stateless session tickets, no
//! ALPN. The client side, against kmsd and the echo server alike, is
//! `keywarden_tests::client::mtls_client_config`.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use keywarden_tests::client::{load_certs, load_key, load_roots};
use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::{NamedGroup, ServerConfig};

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

/// The server side: the configuration kmsd's KMIP listener builds, from these files.
pub fn server_config(cert: &Path, key_path: &Path, ca: &Path) -> Result<Arc<ServerConfig>> {
    let provider = provider()?;
    let verifier = WebPkiClientVerifier::builder_with_provider(
        Arc::new(load_roots(ca)?),
        Arc::clone(&provider),
    )
    .build()
    .context("client verifier")?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .context("protocol versions")?
        .with_client_cert_verifier(verifier)
        .with_single_cert(load_certs(cert)?, load_key(key_path)?)
        .context("server certificate and key")?;
    config.ticketer = rustls::crypto::aws_lc_rs::Ticketer::new().context("session ticketer")?;
    Ok(Arc::new(config))
}
