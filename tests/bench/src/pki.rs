//! TLS files for the baselines: kmsd's dev PKI when it exists, else a throw-away one of the
//! same kind (ECDSA P-256 CA, server certificate for localhost, one client certificate), so the
//! echo baseline can still run when kmsd cannot.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, SanType,
};

/// Paths of a CA, a server pair and a client pair.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// CA certificate.
    pub ca: PathBuf,
    /// Server certificate.
    pub server_cert: PathBuf,
    /// Server key.
    pub server_key: PathBuf,
    /// Client certificate.
    pub client_cert: PathBuf,
    /// Client key.
    pub client_key: PathBuf,
}

impl TlsFiles {
    /// kmsd's dev PKI under `node_dir/pki`, when complete.
    pub fn of_kmsd(node_dir: &Path) -> Option<TlsFiles> {
        let pki = node_dir.join("pki");
        let files = TlsFiles {
            ca: pki.join("ca.crt"),
            server_cert: pki.join("server.crt"),
            server_key: pki.join("server.key"),
            client_cert: pki.join("admin.crt"),
            client_key: pki.join("admin.key"),
        };
        files.all().iter().all(|p| p.is_file()).then_some(files)
    }

    fn all(&self) -> [&Path; 5] {
        [
            &self.ca,
            &self.server_cert,
            &self.server_key,
            &self.client_cert,
            &self.client_key,
        ]
    }

    /// Generates a fresh PKI of the same kind as kmsd's under `dir`.
    pub fn generate(dir: &Path) -> Result<TlsFiles> {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let name = |cn: &str| {
            let mut dn = DistinguishedName::new();
            dn.push(DnType::CommonName, cn);
            dn
        };
        let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).context("CA key")?;
        let mut ca = CertificateParams::new(Vec::<String>::new()).context("CA params")?;
        ca.distinguished_name = name("keywarden bench CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca.self_signed(&ca_key).context("CA certificate")?;
        let issuer = Issuer::new(ca, ca_key);

        let leaf = |cn: &str, server: bool| -> Result<(String, String)> {
            let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).context("leaf key")?;
            let mut params = CertificateParams::new(Vec::<String>::new()).context("leaf params")?;
            params.distinguished_name = name(cn);
            params.is_ca = IsCa::ExplicitNoCa;
            params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            if server {
                params.subject_alt_names = vec![
                    SanType::DnsName("localhost".try_into().context("SAN")?),
                    SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()),
                ];
                params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            } else {
                params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            }
            let cert = params
                .signed_by(&key, &issuer)
                .context("leaf certificate")?;
            Ok((cert.pem(), key.serialize_pem()))
        };
        let (server_cert, server_key) = leaf("localhost", true)?;
        let (client_cert, client_key) = leaf("admin", false)?;
        let files = TlsFiles {
            ca: dir.join("ca.crt"),
            server_cert: dir.join("server.crt"),
            server_key: dir.join("server.key"),
            client_cert: dir.join("admin.crt"),
            client_key: dir.join("admin.key"),
        };
        for (path, text) in [
            (&files.ca, ca_cert.pem()),
            (&files.server_cert, server_cert),
            (&files.server_key, server_key),
            (&files.client_cert, client_cert),
            (&files.client_key, client_key),
        ] {
            fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
        }
        Ok(files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_files_load_into_both_tls_configs() {
        let dir = tempfile::tempdir().unwrap();
        let files = TlsFiles::generate(dir.path()).unwrap();
        crate::tls::server_config(&files.server_cert, &files.server_key, &files.ca).unwrap();
        keywarden_tests::client::mtls_client_config(
            &files.ca,
            &files.client_cert,
            &files.client_key,
        )
        .unwrap();
        assert!(
            TlsFiles::of_kmsd(dir.path()).is_none(),
            "no pki/ subdirectory there"
        );
    }
}
