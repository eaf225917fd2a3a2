//! The echo server's TLS configuration: built by `keywarden-tls`, the crate kmsd's listeners
//! use, so the baseline pays for exactly the same TLS (aws-lc-rs, X25519MLKEM768 first, TLS 1.3
//! and 1.2, client certificates required and verified against the dev CA, stateless session
//! tickets, no ALPN). It loads no CRL; kmsd dev checks its (empty) one, and re-verifies a
//! client's chain once per connection, which persistent benchmark connections amortise. The
//! client side, against kmsd and the echo server alike, is
//! `keywarden_tests::client::mtls_client_config`.

use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use keywarden_tls::{ClientAuth, ClientTrust, ServerTls};
use rustls::ServerConfig;

/// The server side: the configuration kmsd's KMIP listener builds, from these files.
pub fn server_config(cert: &Path, key_path: &Path, ca: &Path) -> Result<Arc<ServerConfig>> {
    let provider = keywarden_tls::provider()?;
    let trust = ClientTrust::load(Arc::clone(&provider), ca, Vec::new())?;
    let tls = ServerTls::load(provider, trust, cert, key_path)?;
    Ok(tls.server_config(ClientAuth::Required, &[])?)
}
