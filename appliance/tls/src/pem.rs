//! PEM files: certificates, private keys, CRLs.

use std::path::Path;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};

use crate::error::TlsError;

fn file_error(what: &'static str, path: &Path, reason: impl std::fmt::Display) -> TlsError {
    TlsError::File {
        what,
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// Reads every certificate of a PEM file; an empty file is an error.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| file_error("certificates", path, e))?;
    if certs.is_empty() {
        return Err(file_error("certificates", path, "no certificate found"));
    }
    Ok(certs)
}

/// Reads the first private key of a PEM file.
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| file_error("private key", path, e))
}

/// Largest CRL file read: far above the CRL of any private CA, small enough that a wrong path
/// (a disk image, a log) fails clearly instead of filling memory.
pub const MAX_CRL_FILE: u64 = 64 * 1024 * 1024;

/// Reads every CRL of a file, PEM (`X509 CRL`) or DER; a file with none is an error.
pub fn load_crls(path: &Path) -> Result<Vec<CertificateRevocationListDer<'static>>, TlsError> {
    let bytes = read_crl_file(path)?;
    crls_from_bytes(&bytes).map_err(|reason| file_error("CRL", path, reason))
}

/// The bytes of a CRL file, at most [`MAX_CRL_FILE`].
pub(crate) fn read_crl_file(path: &Path) -> Result<Vec<u8>, TlsError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| file_error("CRL", path, e))?;
    let mut bytes = Vec::new();
    file.take(MAX_CRL_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| file_error("CRL", path, e))?;
    if bytes.len() as u64 > MAX_CRL_FILE {
        return Err(file_error(
            "CRL",
            path,
            format!("larger than {MAX_CRL_FILE} bytes"),
        ));
    }
    Ok(bytes)
}

/// The CRLs of a file's content.
pub(crate) fn crls_from_bytes(
    bytes: &[u8],
) -> Result<Vec<CertificateRevocationListDer<'static>>, String> {
    if bytes.first() == Some(&0x30) {
        return Ok(vec![CertificateRevocationListDer::from(bytes.to_vec())]);
    }
    let crls = CertificateRevocationListDer::pem_slice_iter(bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    if crls.is_empty() {
        return Err("no CRL found (expected PEM \"X509 CRL\" blocks or DER)".to_owned());
    }
    Ok(crls)
}
