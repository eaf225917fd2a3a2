//! The caller identity of a verified client certificate.

use keywarden_authz::{AttrValue, Dn, DnAttribute, Identity, Rdn, SanKind};
use rustls_pki_types::CertificateDer;
use x509_parser::extensions::GeneralName;

use crate::error::IdentityError;

/// Which part of the certificate is the identity (a node setting).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IdentitySource {
    /// The whole subject DN (the default).
    #[default]
    SubjectDn,
    /// The one subject alternative name of this kind.
    San(SanKind),
}

impl IdentitySource {
    /// The setting's spelling: `subject-dn`, or `san:email`, `san:dns`, `san:uri`.
    pub fn name(self) -> String {
        match self {
            IdentitySource::SubjectDn => "subject-dn".to_owned(),
            IdentitySource::San(kind) => format!("san:{}", kind.as_str()),
        }
    }

    /// The source spelled `name` (as [`IdentitySource::name`] writes it), if it is one.
    pub fn from_name(name: &str) -> Option<IdentitySource> {
        match name.split_once(':') {
            None if name == "subject-dn" => Some(IdentitySource::SubjectDn),
            Some(("san", kind)) => SanKind::from_name(kind).map(IdentitySource::San),
            _ => None,
        }
    }
}

/// The identity of a certificate that the TLS verifier accepted.
///
/// The subject DN keeps every attribute in order (most specific first, as RFC 4514 prints it),
/// so two certificates whose subjects differ anywhere are two identities.
pub fn peer_identity(
    cert: &CertificateDer<'_>,
    source: IdentitySource,
) -> Result<Identity, IdentityError> {
    let (_, parsed) =
        x509_parser::parse_x509_certificate(cert.as_ref()).map_err(|_| IdentityError::Parse)?;
    match source {
        IdentitySource::SubjectDn => {
            let mut rdns = Vec::new();
            for rdn in parsed.subject().iter() {
                let mut attributes = Vec::new();
                for a in rdn.iter() {
                    let value = match a.as_str() {
                        Ok(text) => AttrValue::Text(text.to_owned()),
                        Err(_) => AttrValue::Der(a.attr_value().as_bytes().to_vec()),
                    };
                    let oid = a.attr_type().to_id_string();
                    attributes.push(DnAttribute::new(&oid, value).map_err(IdentityError::Subject)?);
                }
                rdns.push(Rdn(attributes));
            }
            if rdns.is_empty() {
                return Err(IdentityError::EmptySubject);
            }
            if rdns.iter().map(|r| r.0.len()).sum::<usize>() > keywarden_authz::MAX_DN_ATTRIBUTES {
                return Err(IdentityError::Subject(
                    keywarden_authz::DnError::TooManyAttributes {
                        max: keywarden_authz::MAX_DN_ATTRIBUTES,
                    },
                ));
            }
            // ASN.1 order is least specific first; RFC 4514 prints the reverse.
            rdns.reverse();
            Ok(Identity::Dn(Dn(rdns)))
        }
        IdentitySource::San(kind) => {
            let names: Vec<String> = parsed
                .subject_alternative_name()
                .ok()
                .flatten()
                .map(|ext| {
                    ext.value
                        .general_names
                        .iter()
                        .filter_map(|name| match (kind, name) {
                            (SanKind::Email, GeneralName::RFC822Name(v))
                            | (SanKind::Dns, GeneralName::DNSName(v))
                            | (SanKind::Uri, GeneralName::URI(v)) => Some((*v).to_owned()),
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default();
            match names.as_slice() {
                [] => Err(IdentityError::NoSan(kind.as_str())),
                [one] if !one.is_empty() => Ok(Identity::San(kind, one.clone())),
                [_] => Err(IdentityError::NoSan(kind.as_str())),
                many => Err(IdentityError::AmbiguousSan {
                    kind: kind.as_str(),
                    count: many.len(),
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, SanType};

    fn cert(dn: DistinguishedName, sans: Vec<SanType>) -> CertificateDer<'static> {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = dn;
        params.subject_alt_names = sans;
        params.self_signed(&key).unwrap().der().clone()
    }

    fn subject(pairs: &[(DnType, &str)]) -> DistinguishedName {
        let mut dn = DistinguishedName::new();
        for (t, v) in pairs {
            dn.push(t.clone(), *v);
        }
        dn
    }

    #[test]
    fn sources_are_named_as_the_settings_spell_them() {
        for source in [
            IdentitySource::SubjectDn,
            IdentitySource::San(SanKind::Email),
            IdentitySource::San(SanKind::Dns),
            IdentitySource::San(SanKind::Uri),
        ] {
            assert_eq!(IdentitySource::from_name(&source.name()), Some(source));
        }
        assert_eq!(
            IdentitySource::from_name("san:email"),
            Some(IdentitySource::San(SanKind::Email))
        );
        for bad in [
            "",
            "dn",
            "san",
            "san:",
            "san:bogus",
            "subject-dn:x",
            "SAN:email",
        ] {
            assert_eq!(IdentitySource::from_name(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_identity_is_the_whole_subject_in_rfc4514_order() {
        let c = cert(
            subject(&[
                (DnType::CountryName, "DE"),
                (DnType::OrganizationName, "Bank, AG"),
                (DnType::CommonName, "admin"),
            ]),
            vec![],
        );
        let id = peer_identity(&c, IdentitySource::SubjectDn).unwrap();
        assert_eq!(id.to_string(), r"CN=admin,O=Bank\, AG,C=DE");
    }

    #[test]
    fn the_same_cn_with_another_subject_is_another_identity() {
        let admin = cert(
            subject(&[
                (DnType::OrganizationName, "Keywarden dev"),
                (DnType::CommonName, "admin"),
            ]),
            vec![],
        );
        let impostor = cert(
            subject(&[
                (DnType::OrganizationName, "Impostor"),
                (DnType::CommonName, "admin"),
            ]),
            vec![],
        );
        let a = peer_identity(&admin, IdentitySource::SubjectDn).unwrap();
        let b = peer_identity(&impostor, IdentitySource::SubjectDn).unwrap();
        assert_ne!(a, b);
        assert_ne!(a.to_string(), b.to_string());
    }

    #[test]
    fn a_configured_san_is_the_identity_when_there_is_exactly_one() {
        let email = |v: &str| SanType::Rfc822Name(v.try_into().unwrap());
        let one = cert(
            subject(&[(DnType::CommonName, "x")]),
            vec![
                email("ops@example.com"),
                SanType::DnsName("h.example".try_into().unwrap()),
            ],
        );
        assert_eq!(
            peer_identity(&one, IdentitySource::San(SanKind::Email))
                .unwrap()
                .to_string(),
            "email:ops@example.com"
        );
        assert_eq!(
            peer_identity(&one, IdentitySource::San(SanKind::Dns))
                .unwrap()
                .to_string(),
            "dns:h.example"
        );
        assert_eq!(
            peer_identity(&one, IdentitySource::San(SanKind::Uri)),
            Err(IdentityError::NoSan("uri"))
        );
        let two = cert(
            subject(&[(DnType::CommonName, "x")]),
            vec![email("a@x"), email("b@x")],
        );
        assert_eq!(
            peer_identity(&two, IdentitySource::San(SanKind::Email)),
            Err(IdentityError::AmbiguousSan {
                kind: "email",
                count: 2
            })
        );
    }

    #[test]
    fn an_empty_subject_or_garbage_gives_no_identity() {
        let empty = cert(DistinguishedName::new(), vec![]);
        assert_eq!(
            peer_identity(&empty, IdentitySource::SubjectDn),
            Err(IdentityError::EmptySubject)
        );
        assert_eq!(
            peer_identity(
                &CertificateDer::from(vec![0x30, 0x00]),
                IdentitySource::SubjectDn
            ),
            Err(IdentityError::Parse)
        );
    }
}
