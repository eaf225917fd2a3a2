//! TLS files for the baselines: kmsd's dev PKI when it exists, else a fresh one from the same
//! generator (`keywarden-dev-pki`, through the test kit), so the echo baseline can still run
//! when kmsd cannot.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use keywarden_test_kit::DevPki;

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
    /// The files of a dev PKI, presenting its admin certificate.
    fn of(pki: &DevPki) -> TlsFiles {
        TlsFiles {
            ca: pki.ca.cert.clone(),
            server_cert: pki.server.cert.clone(),
            server_key: pki.server.key.clone(),
            client_cert: pki.admin.cert.clone(),
            client_key: pki.admin.key.clone(),
        }
    }

    /// kmsd's dev PKI under `node_dir/pki`, when complete.
    pub fn of_kmsd(node_dir: &Path) -> Option<TlsFiles> {
        let files = TlsFiles::of(&DevPki::at(&node_dir.join("pki")));
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

    /// Creates (or completes) a dev PKI under `dir`, as `kmsd dev` would.
    pub fn generate(dir: &Path) -> Result<TlsFiles> {
        let pki = DevPki::at(dir);
        pki.ensure()
            .with_context(|| format!("dev PKI in {}", dir.display()))?;
        Ok(TlsFiles::of(&pki))
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
