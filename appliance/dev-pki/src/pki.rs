//! The dev PKI directory: what is in it, how it is created or completed, and what else its CA
//! issues (client certificates of any subject, CRLs).
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

use crate::error::PkiError;
use crate::files::{KEY_MODE, PUBLIC_MODE, write_atomic};

/// Subject CN of the dev CA.
pub const CA_NAME: &str = "Keywarden dev CA";
/// Subject O of every dev certificate.
const ORGANIZATION: &str = "Keywarden dev";
/// How long dev certificates are valid.
const VALIDITY_DAYS: i64 = 3650;

/// One certificate and its key, by path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertPair {
    /// Certificate (PEM).
    pub cert: PathBuf,
    /// PKCS#8 private key (PEM, mode 0600).
    pub key: PathBuf,
}

/// The file layout of the dev PKI in one directory.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// Some leaf pairs (or the CRL) were issued from the existing CA.
    Completed,
    /// Everything existed and was reused.
    Reused,
}

/// A subject attribute of a client certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubjectAttr {
    /// `C`.
    Country,
    /// `O`.
    Organization,
    /// `OU`.
    OrganizationalUnit,
    /// `CN`.
    CommonName,
}

/// A subject alternative name of a client certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientSan {
    /// `rfc822Name`.
    Email(String),
    /// `dNSName`.
    Dns(String),
    /// `uniformResourceIdentifier`.
    Uri(String),
}

/// What a client certificate issued by [`DevPki::issue_client`] names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientCert {
    /// Subject attributes in certificate order (least specific first); empty: an empty subject.
    pub subject: Vec<(SubjectAttr, String)>,
    /// Subject alternative names.
    pub sans: Vec<ClientSan>,
}

impl ClientCert {
    /// The subject of the dev client certificates, `CN=<common_name>,O=Keywarden dev`.
    pub fn named(common_name: &str) -> ClientCert {
        ClientCert {
            subject: vec![
                (SubjectAttr::Organization, ORGANIZATION.to_owned()),
                (SubjectAttr::CommonName, common_name.to_owned()),
            ],
            sans: Vec::new(),
        }
    }

    /// This certificate with one more subject alternative name.
    pub fn with_san(mut self, san: ClientSan) -> ClientCert {
        self.sans.push(san);
        self
    }
}

/// What a leaf certificate is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Server,
    Client,
}

impl DevPki {
    /// The layout under `dir`.
    pub fn at(dir: &Path) -> DevPki {
        let pki = |name: &str| CertPair {
            cert: dir.join(format!("{name}.crt")),
            key: dir.join(format!("{name}.key")),
        };
        DevPki {
            dir: dir.to_path_buf(),
            ca: pki("ca"),
            server: pki("server"),
            admin: pki("admin"),
            user: pki("user"),
            crl: dir.join("ca.crl"),
        }
    }

    /// The pair `NAME.crt` / `NAME.key` in the directory, for [`DevPki::issue_client`].
    pub fn pair(&self, name: &str) -> CertPair {
        CertPair {
            cert: self.dir.join(format!("{name}.crt")),
            key: self.dir.join(format!("{name}.key")),
        }
    }

    /// Creates what is missing, reuses what exists, refuses half-written pairs.
    pub fn ensure(&self) -> Result<PkiOutcome, PkiError> {
        fs::create_dir_all(&self.dir).map_err(PkiError::io(&self.dir))?;
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
                    let params = match role {
                        Role::Server => server_params(pair)?,
                        Role::Client => client_params(pair, &ClientCert::named(name))?,
                    };
                    issue(pair, params, &issuer)?;
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
        if !self.crl.try_exists().map_err(PkiError::io(&self.crl))? {
            self.write_crl_with(&issuer, &[])?;
            issued = true;
        }
        Ok(match (created_ca, issued) {
            (true, _) => PkiOutcome::Created,
            (false, true) => PkiOutcome::Completed,
            (false, false) => PkiOutcome::Reused,
        })
    }

    /// Issues a client certificate (client-auth only) from the dev CA to `pair`, which must not
    /// exist yet: tests use it for identities the dev set lacks (other subjects, SANs).
    pub fn issue_client(&self, pair: &CertPair, spec: &ClientCert) -> Result<(), PkiError> {
        if !matches!(pair_state(pair)?, PairState::Absent) {
            return Err(self.refuse(format!(
                "{} or {} exists; a client certificate is never overwritten",
                pair.cert.display(),
                pair.key.display()
            )));
        }
        let issuer = self.load_ca()?;
        issue(pair, client_params(pair, spec)?, &issuer)
    }

    /// Issues a cluster node certificate (server and client auth, one DNS name, the subject
    /// `CN=<dns_name>,O=Keywarden dev`) from the dev CA to `pair`, which must not exist yet: the
    /// peer links of a dev or test cluster use it both ways.
    pub fn issue_node(&self, pair: &CertPair, dns_name: &str) -> Result<(), PkiError> {
        if !matches!(pair_state(pair)?, PairState::Absent) {
            return Err(self.refuse(format!(
                "{} or {} exists; a node certificate is never overwritten",
                pair.cert.display(),
                pair.key.display()
            )));
        }
        let issuer = self.load_ca()?;
        let mut params = leaf_params(pair)?;
        params.distinguished_name = dev_subject(dns_name);
        params.subject_alt_names = vec![SanType::DnsName(
            dns_name
                .try_into()
                .map_err(|e| PkiError::generate(&pair.cert, e))?,
        )];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        issue(pair, params, &issuer)
    }

    /// Replaces the CA's CRL (atomically) with one revoking the certificates of `serials`
    /// (big-endian serial numbers, as in the certificates).
    pub fn write_crl(&self, serials: &[Vec<u8>]) -> Result<(), PkiError> {
        let issuer = self.load_ca()?;
        self.write_crl_with(&issuer, serials)
    }

    fn write_crl_with(
        &self,
        issuer: &Issuer<'_, KeyPair>,
        serials: &[Vec<u8>],
    ) -> Result<(), PkiError> {
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
            .map_err(|e| PkiError::generate(&self.crl, e))?;
        write_atomic(&self.crl, crl.as_bytes(), PUBLIC_MODE)
    }

    fn refuse(&self, detail: String) -> PkiError {
        PkiError::Refused {
            dir: self.dir.clone(),
            detail,
        }
    }

    fn create_ca(&self) -> Result<Issuer<'static, KeyPair>, PkiError> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
            .map_err(|e| PkiError::generate(&self.ca.key, e))?;
        let mut params = base_params(&self.ca)?;
        params.distinguished_name = dev_subject(CA_NAME);
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params
            .self_signed(&key)
            .map_err(|e| PkiError::generate(&self.ca.cert, e))?;
        // Key before certificate: a crash in between leaves a detectable half pair, never a
        // certificate whose key is lost.
        write_atomic(&self.ca.key, key.serialize_pem().as_bytes(), KEY_MODE)?;
        write_atomic(&self.ca.cert, cert.pem().as_bytes(), PUBLIC_MODE)?;
        Ok(Issuer::new(params, key))
    }

    fn load_ca(&self) -> Result<Issuer<'static, KeyPair>, PkiError> {
        let key_pem = zeroize::Zeroizing::new(
            fs::read_to_string(&self.ca.key).map_err(PkiError::io(&self.ca.key))?,
        );
        let key = KeyPair::from_pem(&key_pem).map_err(|e| PkiError::generate(&self.ca.key, e))?;
        let cert_pem = fs::read_to_string(&self.ca.cert).map_err(PkiError::io(&self.ca.cert))?;
        Issuer::from_ca_cert_pem(&cert_pem, key).map_err(|e| PkiError::generate(&self.ca.cert, e))
    }
}

/// The server certificate: localhost by name and both loopback addresses.
fn server_params(pair: &CertPair) -> Result<CertificateParams, PkiError> {
    let mut params = leaf_params(pair)?;
    params.distinguished_name = dev_subject("localhost");
    params.subject_alt_names = vec![
        SanType::DnsName(
            "localhost"
                .try_into()
                .map_err(|e| PkiError::generate(&pair.cert, e))?,
        ),
        SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)),
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    Ok(params)
}

fn client_params(pair: &CertPair, spec: &ClientCert) -> Result<CertificateParams, PkiError> {
    let mut params = leaf_params(pair)?;
    let mut dn = DistinguishedName::new();
    for (attr, value) in &spec.subject {
        let kind = match attr {
            SubjectAttr::Country => DnType::CountryName,
            SubjectAttr::Organization => DnType::OrganizationName,
            SubjectAttr::OrganizationalUnit => DnType::OrganizationalUnitName,
            SubjectAttr::CommonName => DnType::CommonName,
        };
        dn.push(kind, value.as_str());
    }
    params.distinguished_name = dn;
    let bad = |e: rcgen::Error| PkiError::generate(&pair.cert, e);
    params.subject_alt_names = spec
        .sans
        .iter()
        .map(|san| {
            Ok(match san {
                ClientSan::Email(v) => SanType::Rfc822Name(v.as_str().try_into().map_err(bad)?),
                ClientSan::Dns(v) => SanType::DnsName(v.as_str().try_into().map_err(bad)?),
                ClientSan::Uri(v) => SanType::URI(v.as_str().try_into().map_err(bad)?),
            })
        })
        .collect::<Result<_, PkiError>>()?;
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    Ok(params)
}

/// A leaf: not a CA, signing only, naming its issuer's key.
fn leaf_params(pair: &CertPair) -> Result<CertificateParams, PkiError> {
    let mut params = base_params(pair)?;
    params.is_ca = IsCa::ExplicitNoCa;
    params.use_authority_key_identifier_extension = true;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    Ok(params)
}

/// Validity from an hour ago (clocks of a test machine and its containers differ a little).
fn base_params(pair: &CertPair) -> Result<CertificateParams, PkiError> {
    let mut params = CertificateParams::new(Vec::<String>::new())
        .map_err(|e| PkiError::generate(&pair.cert, e))?;
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(VALIDITY_DAYS);
    Ok(params)
}

/// `CN=<common_name>,O=Keywarden dev`: least specific first in the certificate, so RFC 4514
/// prints it in this order.
fn dev_subject(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, ORGANIZATION);
    dn.push(DnType::CommonName, common_name);
    dn
}

fn issue(
    pair: &CertPair,
    params: CertificateParams,
    issuer: &Issuer<'_, KeyPair>,
) -> Result<(), PkiError> {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
        .map_err(|e| PkiError::generate(&pair.key, e))?;
    let cert = params
        .signed_by(&key, issuer)
        .map_err(|e| PkiError::generate(&pair.cert, e))?;
    write_atomic(&pair.key, key.serialize_pem().as_bytes(), KEY_MODE)?;
    write_atomic(&pair.cert, cert.pem().as_bytes(), PUBLIC_MODE)?;
    Ok(())
}

/// Whether both, none or one of a pair's files exist.
enum PairState {
    Present,
    Absent,
    Half(PathBuf),
}

fn pair_state(pair: &CertPair) -> Result<PairState, PkiError> {
    let exists = |p: &Path| p.try_exists().map_err(PkiError::io(p));
    Ok(match (exists(&pair.cert)?, exists(&pair.key)?) {
        (true, true) => PairState::Present,
        (false, false) => PairState::Absent,
        (true, false) => PairState::Half(pair.key.clone()),
        (false, true) => PairState::Half(pair.cert.clone()),
    })
}

#[cfg(test)]
mod tests;
