//! Open connections and CRL reloads: each connection keeps its verified chain and is closed
//! when a reload revokes it.

use keywarden_tls::ClientTrust;
use rustls_pki_types::CertificateDer;

/// The client's verified chain (leaf first), owned, for re-checks after CRL reloads.
pub fn peer_chain(conn: &rustls::ServerConnection) -> Vec<CertificateDer<'static>> {
    conn.peer_certificates()
        .map(|certs| certs.iter().map(|c| c.clone().into_owned()).collect())
        .unwrap_or_default()
}

/// Resolves once a CRL reload makes `chain` untrusted; never for an anonymous (empty) chain.
pub async fn until_revoked(trust: &ClientTrust, chain: &[CertificateDer<'static>]) {
    if chain.is_empty() {
        return std::future::pending().await;
    }
    let mut generation = trust.generation();
    loop {
        generation.changed().await;
        if !trust.still_trusted(chain) {
            return;
        }
    }
}
