//! The one TLS configuration builder of `kmsd`, used by every listener.
//!
//! Both listeners share one crypto provider (aws-lc-rs, X25519MLKEM768 first), the same server
//! certificate and the same client CA; they differ only in whether a client certificate is
//! required and in ALPN. Everything is checked here, at start, so a bad file fails the start and
//! never the first request.

use std::path::Path;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::{NamedGroup, RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::TlsFiles;
use crate::error::Error;

/// Whether a listener demands a client certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// No certificate, no connection (KMIP).
    Required,
    /// A certificate is verified if presented (HTTPS: health probes carry none).
    Optional,
}

/// The aws-lc-rs provider with the hybrid post-quantum group X25519MLKEM768 preferred.
///
/// The workspace enables rustls' `prefer-post-quantum`, which already puts it first; the order is
/// enforced here anyway so a feature change cannot silently downgrade key exchange.
pub fn provider() -> Result<Arc<CryptoProvider>, Error> {
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    let position = provider
        .kx_groups
        .iter()
        .position(|group| group.name() == NamedGroup::X25519MLKEM768)
        .ok_or_else(|| Error::Tls("the crypto provider lacks X25519MLKEM768".to_owned()))?;
    let group = provider.kx_groups.remove(position);
    provider.kx_groups.insert(0, group);
    Ok(Arc::new(provider))
}

/// Certificates and key loaded once, from which each listener's configuration is built.
#[derive(Debug)]
pub struct TlsMaterial {
    provider: Arc<CryptoProvider>,
    roots: Arc<RootCertStore>,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl TlsMaterial {
    /// Loads and checks the PEM files.
    pub fn load(files: &TlsFiles) -> Result<TlsMaterial, Error> {
        let mut roots = RootCertStore::empty();
        for cert in load_certs(&files.client_ca)? {
            roots
                .add(cert)
                .map_err(|e| Error::Tls(format!("client CA {}: {e}", files.client_ca.display())))?;
        }
        Ok(TlsMaterial {
            provider: provider()?,
            roots: Arc::new(roots),
            chain: load_certs(&files.server_cert)?,
            key: load_key(&files.server_key)?,
        })
    }

    /// Builds a server configuration: TLS 1.3 and 1.2, session resumption on.
    pub fn server_config(
        &self,
        auth: ClientAuth,
        alpn: &[&[u8]],
    ) -> Result<Arc<ServerConfig>, Error> {
        let builder = WebPkiClientVerifier::builder_with_provider(
            Arc::clone(&self.roots),
            Arc::clone(&self.provider),
        );
        let builder = match auth {
            ClientAuth::Required => builder,
            ClientAuth::Optional => builder.allow_unauthenticated(),
        };
        let verifier = builder
            .build()
            .map_err(|e| Error::Tls(format!("client verifier: {e}")))?;
        let mut config = ServerConfig::builder_with_provider(Arc::clone(&self.provider))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| Error::Tls(format!("protocol versions: {e}")))?
            .with_client_cert_verifier(verifier)
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .map_err(|e| Error::Tls(format!("server certificate and key: {e}")))?;
        // Stateless tickets for TLS 1.3 and 1.2 resumption; the default in-memory session
        // cache stays for TLS 1.2 session ids.
        config.ticketer = rustls::crypto::aws_lc_rs::Ticketer::new()
            .map_err(|e| Error::Tls(format!("session ticketer: {e}")))?;
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(Arc::new(config))
    }
}

/// Reads every certificate of a PEM file; an empty file is an error.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| Error::Tls(format!("certificates {}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(Error::Tls(format!(
            "certificates {}: no certificate found",
            path.display()
        )));
    }
    Ok(certs)
}

/// Reads the first private key of a PEM file.
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, Error> {
    PrivateKeyDer::from_pem_file(path)
        .map_err(|e| Error::Tls(format!("private key {}: {e}", path.display())))
}

/// The caller identity of a verified client certificate: its subject common name.
///
/// Refused (with the reason, for the log) when the certificate does not parse, or its subject
/// has no CN, more than one CN, a CN that is not UTF-8, or a CN that is empty or only
/// whitespace: each of those would map distinct certificates onto one ambiguous identity.
pub fn subject_common_name(cert: &CertificateDer<'_>) -> Result<String, &'static str> {
    let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref())
        .map_err(|_| "the certificate does not parse")?;
    let mut names = parsed.subject().iter_common_name();
    let cn = names.next().ok_or("the subject has no common name (CN)")?;
    if names.next().is_some() {
        return Err("the subject has more than one common name (CN)");
    }
    let cn = cn
        .as_str()
        .map_err(|_| "the subject common name (CN) is not a UTF-8 string")?;
    if cn.trim().is_empty() {
        return Err("the subject common name (CN) is empty");
    }
    Ok(cn.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hybrid_post_quantum_group_comes_first() {
        let provider = provider().unwrap();
        let names: Vec<NamedGroup> = provider.kx_groups.iter().map(|g| g.name()).collect();
        assert_eq!(
            names.first(),
            Some(&NamedGroup::X25519MLKEM768),
            "{names:?}"
        );
        assert!(
            names.contains(&NamedGroup::X25519),
            "classical fallback kept: {names:?}"
        );
    }

    fn cert_with_subject(dn: rcgen::DistinguishedName) -> CertificateDer<'static> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = dn;
        params.self_signed(&key).unwrap().der().clone()
    }

    fn cn(value: &str) -> rcgen::DistinguishedName {
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(rcgen::DnType::CommonName, value);
        dn
    }

    #[test]
    fn a_single_non_blank_common_name_is_the_identity() {
        assert_eq!(
            subject_common_name(&cert_with_subject(cn("alice"))),
            Ok("alice".to_owned())
        );
    }

    #[test]
    fn ambiguous_subjects_are_refused() {
        let mut no_cn = rcgen::DistinguishedName::new();
        no_cn.push(rcgen::DnType::OrganizationName, "Keywarden");
        assert!(subject_common_name(&cert_with_subject(no_cn)).is_err());
        assert!(subject_common_name(&cert_with_subject(cn(""))).is_err());
        assert!(subject_common_name(&cert_with_subject(cn(" \t "))).is_err());
        // A second CN attribute (rcgen keys its map by type, so the OID goes in as custom).
        let mut two = cn("alice");
        two.push(rcgen::DnType::CustomDnType(vec![2, 5, 4, 3]), "bob");
        let two = cert_with_subject(two);
        let (_, parsed) = x509_parser::parse_x509_certificate(two.as_ref()).unwrap();
        assert_eq!(parsed.subject().iter_common_name().count(), 2, "test input");
        assert!(subject_common_name(&two).is_err());
        assert!(subject_common_name(&CertificateDer::from(vec![0x30, 0x00])).is_err());
    }
}
