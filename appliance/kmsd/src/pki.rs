//! The dev PKI: a CA, a server certificate and two client certificates, all ECDSA P-256, PEM.
//!
//! Idempotent: files that exist are reused, never overwritten. A missing leaf pair is issued
//! from the existing CA; a CA or a pair that is only half there is refused with a clear error,
//! because regenerating it would silently invalidate what was issued before.

use std::fs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    PKCS_ECDSA_P256_SHA256, RevokedCertParams, SanType, SerialNumber,
};
use time::{Duration, OffsetDateTime};

use crate::error::Error;
use crate::fsutil::{KEY_MODE, PUBLIC_MODE, write_atomic};

/// Subject CN of the dev CA.
const CA_NAME: &str = "Keywarden dev CA";
/// How long dev certificates are valid.
const VALIDITY_DAYS: i64 = 3650;

/// What a leaf certificate is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Server,
    Client,
}

/// One certificate and its key, by path.
#[derive(Clone, Debug)]
pub struct CertPair {
    /// Certificate (PEM).
    pub cert: PathBuf,
    /// PKCS#8 private key (PEM, mode 0600).
    pub key: PathBuf,
}

/// The file layout of the dev PKI in one directory.
#[derive(Clone, Debug)]
pub struct DevPki {
    /// The directory.
    pub dir: PathBuf,
    /// The CA.
    pub ca: CertPair,
    /// The server certificate: SAN localhost, 127.0.0.1, ::1.
    pub server: CertPair,
    /// Client certificate CN=admin.
    pub admin: CertPair,
    /// Client certificate CN=user.
    pub user: CertPair,
    /// The CA's CRL (PEM): empty when created; tests and operators replace it to revoke.
    pub crl: PathBuf,
}

/// What [`DevPki::ensure`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PkiOutcome {
    /// Every file was generated now.
    Created,
    /// Some leaf pairs were issued from the existing CA.
    Completed,
    /// Everything existed and was reused.
    Reused,
}

impl DevPki {
    /// The layout under `dir`.
    pub fn at(dir: &Path) -> DevPki {
        let pair = |name: &str| CertPair {
            cert: dir.join(format!("{name}.crt")),
            key: dir.join(format!("{name}.key")),
        };
        DevPki {
            dir: dir.to_path_buf(),
            ca: pair("ca"),
            server: pair("server"),
            admin: pair("admin"),
            user: pair("user"),
            crl: dir.join("ca.crl"),
        }
    }

    /// Creates what is missing, reuses what exists, refuses half-written pairs.
    pub fn ensure(&self) -> Result<PkiOutcome, Error> {
        fs::create_dir_all(&self.dir).map_err(Error::io(&self.dir))?;
        let leaves: [(&CertPair, &str, Role); 3] = [
            (&self.server, "localhost", Role::Server),
            (&self.admin, "admin", Role::Client),
            (&self.user, "user", Role::Client),
        ];
        let (issuer, created_ca) = match pair_state(&self.ca)? {
            PairState::Present => (self.load_ca()?, false),
            PairState::Absent => {
                if let Some((pair, _, _)) = leaves
                    .iter()
                    .find(|(pair, _, _)| pair.cert.exists() || pair.key.exists())
                {
                    return Err(self.refuse(format!(
                        "{} exists but the CA does not; remove {} to regenerate the dev PKI",
                        pair.cert.display(),
                        self.dir.display()
                    )));
                }
                (self.create_ca()?, true)
            }
            PairState::Half(missing) => {
                return Err(self.refuse(format!(
                    "{} is missing while its pair exists; remove {} to regenerate the dev PKI",
                    missing.display(),
                    self.dir.display()
                )));
            }
        };
        let mut issued = false;
        for (pair, name, role) in leaves {
            match pair_state(pair)? {
                PairState::Present => {}
                PairState::Absent => {
                    self.issue(pair, name, role, &issuer)?;
                    issued = true;
                }
                PairState::Half(missing) => {
                    return Err(self.refuse(format!(
                        "{} is missing while its pair exists; remove both files to reissue it",
                        missing.display()
                    )));
                }
            }
        }
        if !self.crl.try_exists().map_err(Error::io(&self.crl))? {
            self.write_crl(&issuer, &[])?;
            issued = true;
        }
        Ok(match (created_ca, issued) {
            (true, _) => PkiOutcome::Created,
            (false, true) => PkiOutcome::Completed,
            (false, false) => PkiOutcome::Reused,
        })
    }

    fn refuse(&self, detail: String) -> Error {
        Error::DevState {
            dir: self.dir.clone(),
            detail,
        }
    }

    fn pki_error(path: &Path, e: impl std::fmt::Display) -> Error {
        Error::Pki {
            path: path.to_path_buf(),
            detail: e.to_string(),
        }
    }

    fn create_ca(&self) -> Result<Issuer<'static, KeyPair>, Error> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
            .map_err(|e| Self::pki_error(&self.ca.key, e))?;
        let mut params = base_params(CA_NAME).map_err(|e| Self::pki_error(&self.ca.cert, e))?;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params
            .self_signed(&key)
            .map_err(|e| Self::pki_error(&self.ca.cert, e))?;
        // Key before certificate: a crash in between leaves a detectable half pair, never a
        // certificate whose key is lost.
        write_atomic(&self.ca.key, key.serialize_pem().as_bytes(), KEY_MODE)?;
        write_atomic(&self.ca.cert, cert.pem().as_bytes(), PUBLIC_MODE)?;
        Ok(Issuer::new(params, key))
    }

    /// Writes the CA's CRL revoking `serials` (replacing the file atomically).
    pub fn write_crl(
        &self,
        issuer: &Issuer<'_, KeyPair>,
        serials: &[Vec<u8>],
    ) -> Result<(), Error> {
        let now = OffsetDateTime::now_utc();
        let number = u64::try_from(now.unix_timestamp_nanos() / 1000).unwrap_or(1);
        let params = CertificateRevocationListParams {
            this_update: now - Duration::minutes(1),
            next_update: now + Duration::days(VALIDITY_DAYS),
            // Increasing across rewrites, as RFC 5280 requires of a CRL number.
            crl_number: SerialNumber::from(number),
            issuing_distribution_point: None,
            revoked_certs: serials
                .iter()
                .map(|serial| RevokedCertParams {
                    serial_number: SerialNumber::from_slice(serial),
                    revocation_time: now - Duration::minutes(1),
                    reason_code: None,
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: rcgen::KeyIdMethod::Sha256,
        };
        let crl = params
            .signed_by(issuer)
            .and_then(|crl| crl.pem())
            .map_err(|e| Self::pki_error(&self.crl, e))?;
        write_atomic(&self.crl, crl.as_bytes(), PUBLIC_MODE)
    }

    /// The dev CA as an issuer (for CRLs and test certificates).
    pub fn load_ca(&self) -> Result<Issuer<'static, KeyPair>, Error> {
        let key_pem = zeroize::Zeroizing::new(
            fs::read_to_string(&self.ca.key).map_err(Error::io(&self.ca.key))?,
        );
        let key = KeyPair::from_pem(&key_pem).map_err(|e| Self::pki_error(&self.ca.key, e))?;
        let cert_pem = fs::read_to_string(&self.ca.cert).map_err(Error::io(&self.ca.cert))?;
        Issuer::from_ca_cert_pem(&cert_pem, key).map_err(|e| Self::pki_error(&self.ca.cert, e))
    }

    fn issue(
        &self,
        pair: &CertPair,
        name: &str,
        role: Role,
        issuer: &Issuer<'_, KeyPair>,
    ) -> Result<(), Error> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
            .map_err(|e| Self::pki_error(&pair.key, e))?;
        let mut params = base_params(name).map_err(|e| Self::pki_error(&pair.cert, e))?;
        params.is_ca = IsCa::ExplicitNoCa;
        params.use_authority_key_identifier_extension = true;
        match role {
            Role::Server => {
                params.subject_alt_names = vec![
                    SanType::DnsName(
                        "localhost"
                            .try_into()
                            .map_err(|e| Self::pki_error(&pair.cert, e))?,
                    ),
                    SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
                    SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)),
                ];
                params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
                params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            }
            Role::Client => {
                params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
                params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            }
        }
        let cert = params
            .signed_by(&key, issuer)
            .map_err(|e| Self::pki_error(&pair.cert, e))?;
        write_atomic(&pair.key, key.serialize_pem().as_bytes(), KEY_MODE)?;
        write_atomic(&pair.cert, cert.pem().as_bytes(), PUBLIC_MODE)?;
        Ok(())
    }
}

/// Issues a client certificate with an arbitrary subject from the dev CA, for tests of how
/// the listeners treat odd subjects.
#[cfg(test)]
pub(crate) fn issue_test_client(
    pki: &DevPki,
    pair: &CertPair,
    subject: DistinguishedName,
) -> Result<(), Error> {
    let issuer = pki.load_ca()?;
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
        .map_err(|e| DevPki::pki_error(&pair.key, e))?;
    let mut params = base_params("unused").map_err(|e| DevPki::pki_error(&pair.cert, e))?;
    params.distinguished_name = subject;
    params.is_ca = IsCa::ExplicitNoCa;
    params.use_authority_key_identifier_extension = true;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params
        .signed_by(&key, &issuer)
        .map_err(|e| DevPki::pki_error(&pair.cert, e))?;
    write_atomic(&pair.key, key.serialize_pem().as_bytes(), KEY_MODE)?;
    write_atomic(&pair.cert, cert.pem().as_bytes(), PUBLIC_MODE)?;
    Ok(())
}

/// Parameters common to every dev certificate: subject CN, validity from an hour ago.
fn base_params(common_name: &str) -> Result<CertificateParams, rcgen::Error> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    // Least specific first in the certificate, so RFC 4514 prints `CN=...,O=Keywarden dev`.
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "Keywarden dev");
    dn.push(DnType::CommonName, common_name);
    params.distinguished_name = dn;
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(VALIDITY_DAYS);
    Ok(params)
}

/// Whether both, none or one of a pair's files exist.
enum PairState {
    Present,
    Absent,
    Half(PathBuf),
}

fn pair_state(pair: &CertPair) -> Result<PairState, Error> {
    let exists = |p: &Path| p.try_exists().map_err(Error::io(p));
    Ok(match (exists(&pair.cert)?, exists(&pair.key)?) {
        (true, true) => PairState::Present,
        (false, false) => PairState::Absent,
        (true, false) => PairState::Half(pair.key.clone()),
        (false, true) => PairState::Half(pair.cert.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    use keywarden_tls::{IdentitySource, load_certs, peer_identity};

    #[test]
    fn generation_is_idempotent_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let pki = DevPki::at(&dir.path().join("pki"));
        assert_eq!(pki.ensure().unwrap(), PkiOutcome::Created);
        let before: Vec<Vec<u8>> = [&pki.ca, &pki.server, &pki.admin, &pki.user]
            .iter()
            .flat_map(|p| [fs::read(&p.cert).unwrap(), fs::read(&p.key).unwrap()])
            .collect();
        assert_eq!(pki.ensure().unwrap(), PkiOutcome::Reused);
        let after: Vec<Vec<u8>> = [&pki.ca, &pki.server, &pki.admin, &pki.user]
            .iter()
            .flat_map(|p| [fs::read(&p.cert).unwrap(), fs::read(&p.key).unwrap()])
            .collect();
        assert_eq!(before, after);
        for pair in [&pki.ca, &pki.server, &pki.admin, &pki.user] {
            let mode = fs::metadata(&pair.key).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", pair.key.display());
        }
    }

    #[test]
    fn client_certificates_carry_their_identity() {
        let dir = tempfile::tempdir().unwrap();
        let pki = DevPki::at(dir.path());
        pki.ensure().unwrap();
        let dn = |p: &Path| {
            peer_identity(&load_certs(p).unwrap()[0], IdentitySource::SubjectDn)
                .unwrap()
                .to_string()
        };
        assert_eq!(dn(&pki.admin.cert), "CN=admin,O=Keywarden dev");
        assert_eq!(dn(&pki.user.cert), "CN=user,O=Keywarden dev");
        assert_eq!(dn(&pki.ca.cert), format!("CN={CA_NAME},O=Keywarden dev"));
        // The CRL exists from the start, issued by the CA and revoking nothing.
        let crls = keywarden_tls::load_crls(&pki.crl).unwrap();
        assert_eq!(crls.len(), 1);
    }

    #[test]
    fn a_missing_leaf_pair_is_reissued_from_the_existing_ca() {
        let dir = tempfile::tempdir().unwrap();
        let pki = DevPki::at(dir.path());
        pki.ensure().unwrap();
        let ca = fs::read(&pki.ca.cert).unwrap();
        fs::remove_file(&pki.user.cert).unwrap();
        fs::remove_file(&pki.user.key).unwrap();
        assert_eq!(pki.ensure().unwrap(), PkiOutcome::Completed);
        assert_eq!(fs::read(&pki.ca.cert).unwrap(), ca);
        assert!(pki.user.cert.exists() && pki.user.key.exists());
    }

    #[test]
    fn half_pairs_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let pki = DevPki::at(dir.path());
        pki.ensure().unwrap();
        fs::remove_file(&pki.admin.key).unwrap();
        let admin_cert = fs::read(&pki.admin.cert).unwrap();
        assert!(matches!(pki.ensure(), Err(Error::DevState { .. })));
        assert_eq!(
            fs::read(&pki.admin.cert).unwrap(),
            admin_cert,
            "nothing overwritten"
        );

        let other = tempfile::tempdir().unwrap();
        let pki = DevPki::at(other.path());
        pki.ensure().unwrap();
        fs::remove_file(&pki.ca.cert).unwrap();
        assert!(matches!(pki.ensure(), Err(Error::DevState { .. })));
        fs::remove_file(&pki.ca.key).unwrap();
        assert!(
            matches!(pki.ensure(), Err(Error::DevState { .. })),
            "leaves without a CA"
        );
    }
}
