//! Key material in the server's canonical forms, its sealed-plaintext framing, and conversion
//! from and to the KMIP key formats.
//!
//! Canonical forms (those of `keywarden-crypto`): symmetric keys raw, private keys PKCS#8,
//! public keys SPKI, certificates X.509 DER. The format the object was registered or created in
//! travels with the material so Get without a Key Format Type answers in that format.

use crate::OpError;
use keywarden_crypto as crypto;
use keywarden_kmip::attributes::Attributes;
use keywarden_kmip::enums::{
    CertificateType, CryptographicAlgorithm, KeyFormatType, RecommendedCurve, SecretDataType,
};
use keywarden_kmip::message::ProtocolVersion;
use keywarden_kmip::objects::{KeyBlock, KeyMaterial, KeyValue, ManagedObject};
use zeroize::Zeroizing;

use crate::policy;

/// Version byte of the sealed plaintext framing.
const FRAME_VERSION: u8 = 1;

/// What kind of object the material belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Symmetric = 1,
    Private = 2,
    Public = 3,
    Certificate = 4,
    Secret = 5,
    Opaque = 6,
}

impl Kind {
    fn from_byte(b: u8) -> Option<Kind> {
        Some(match b {
            1 => Kind::Symmetric,
            2 => Kind::Private,
            3 => Kind::Public,
            4 => Kind::Certificate,
            5 => Kind::Secret,
            6 => Kind::Opaque,
            _ => return None,
        })
    }
}

/// Material in canonical form, with the format it came in and a type-specific subtype
/// (Secret Data Type, Opaque Data Type, Certificate Type; 0 otherwise).
pub(crate) struct Material {
    pub kind: Kind,
    pub native_format: u32,
    pub subtype: u32,
    pub bytes: Zeroizing<Vec<u8>>,
}

/// Facts about material the server derives its attributes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KeyFacts {
    pub algorithm: Option<CryptographicAlgorithm>,
    pub length: Option<i32>,
    pub curve: Option<RecommendedCurve>,
}

impl Material {
    /// The plaintext sealed under the domain KEK.
    pub(crate) fn frame(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(self.bytes.len() + 10));
        out.push(FRAME_VERSION);
        out.push(self.kind as u8);
        out.extend_from_slice(&self.native_format.to_be_bytes());
        out.extend_from_slice(&self.subtype.to_be_bytes());
        out.extend_from_slice(&self.bytes);
        out
    }

    /// Parses a sealed plaintext. The key bytes stay in `plain`'s allocation (the header is
    /// drained off in place) rather than being copied into a second one.
    pub(crate) fn unframe(mut plain: Zeroizing<Vec<u8>>) -> Result<Material, OpError> {
        let corrupt = || OpError::Failed("stored material is corrupt".to_owned());
        let head: [u8; 10] = plain
            .get(..10)
            .and_then(|h| h.try_into().ok())
            .ok_or_else(corrupt)?;
        if head[0] != FRAME_VERSION {
            return Err(corrupt());
        }
        let kind = Kind::from_byte(head[1]).ok_or_else(corrupt)?;
        let native_format = u32::from_be_bytes([head[2], head[3], head[4], head[5]]);
        let subtype = u32::from_be_bytes([head[6], head[7], head[8], head[9]]);
        // The bytes shifted out of the length stay in the spare capacity, which the
        // Zeroizing wrapper wipes along with the rest on drop.
        plain.drain(..10);
        Ok(Material {
            kind,
            native_format,
            subtype,
            bytes: plain,
        })
    }
}

/// Key material sent by the client that the crypto layer refuses.
fn invalid_material(e: crypto::CryptoError) -> OpError {
    OpError::Invalid(e.to_string())
}

fn asym_facts(kind: crypto::AsymmetricKind, bits: u32) -> KeyFacts {
    use crypto::AsymmetricKind as K;
    let (algorithm, curve) = match kind {
        K::Rsa => (CryptographicAlgorithm::Rsa, None),
        K::EcP256 => (CryptographicAlgorithm::Ec, Some(RecommendedCurve::P256)),
        K::EcP384 => (CryptographicAlgorithm::Ec, Some(RecommendedCurve::P384)),
        K::Ed25519 => (
            CryptographicAlgorithm::Ed25519,
            Some(RecommendedCurve::Curve25519),
        ),
    };
    KeyFacts {
        algorithm: Some(algorithm),
        length: i32::try_from(bits).ok(),
        curve,
    }
}

/// Facts of a PKCS#8 private key.
pub(crate) fn private_facts(pkcs8: &[u8]) -> Result<KeyFacts, OpError> {
    let (kind, bits) = crypto::inspect_private_pkcs8(pkcs8).map_err(invalid_material)?;
    Ok(asym_facts(kind, bits))
}

/// Facts of an SPKI public key.
pub(crate) fn public_facts(spki: &[u8]) -> Result<KeyFacts, OpError> {
    let (kind, bits) = crypto::inspect_public_spki(spki).map_err(invalid_material)?;
    Ok(asym_facts(kind, bits))
}

fn curve_name(curve: RecommendedCurve) -> Result<crypto::AsymmetricKind, OpError> {
    match curve {
        RecommendedCurve::P256 => Ok(crypto::AsymmetricKind::EcP256),
        RecommendedCurve::P384 => Ok(crypto::AsymmetricKind::EcP384),
        RecommendedCurve::Curve25519 => Ok(crypto::AsymmetricKind::Ed25519),
        other => Err(OpError::Invalid(format!(
            "Recommended Curve {other} is not supported"
        ))),
    }
}

fn plain_material(block: &KeyBlock) -> Result<&KeyMaterial, OpError> {
    match &block.key_value {
        KeyValue::Plain { material, .. } => Ok(material),
        KeyValue::Wrapped(_) => Err(OpError::Unsupported(
            "registering wrapped key material is not supported; register it in clear".to_owned(),
        )),
    }
}

fn unsupported_format(format: KeyFormatType, what: &str) -> OpError {
    OpError::UnsupportedKeyFormat(format!(
        "Key Format Type {format} is not supported for {what}"
    ))
}

/// Validates a Register payload's object and converts it to canonical material.
pub(crate) fn from_object(object: &ManagedObject) -> Result<(Material, KeyFacts), OpError> {
    match object {
        ManagedObject::SymmetricKey(block) => {
            let key = match (block.key_format_type, plain_material(block)?) {
                (KeyFormatType::Raw, KeyMaterial::Bytes(b)) => b.clone(),
                (
                    KeyFormatType::TransparentSymmetricKey,
                    KeyMaterial::TransparentSymmetric { key },
                ) => key.clone(),
                (f, _) => return Err(unsupported_format(f, "a symmetric key")),
            };
            let algorithm = block.cryptographic_algorithm.ok_or_else(|| {
                policy::missing(
                    "Key Block: Cryptographic Algorithm is required for a symmetric key",
                )
            })?;
            let bits = i32::try_from(key.len() * 8).map_err(|_| policy::invalid("key too long"))?;
            if let Some(len) = block.cryptographic_length
                && len != bits
            {
                return Err(policy::invalid(format!(
                    "Key Block: Cryptographic Length {len} does not match the {bits}-bit key"
                )));
            }
            check_symmetric(algorithm, bits)?;
            let facts = KeyFacts {
                algorithm: Some(algorithm),
                length: Some(bits),
                curve: None,
            };
            Ok((
                Material {
                    kind: Kind::Symmetric,
                    native_format: block.key_format_type.value(),
                    subtype: 0,
                    bytes: key,
                },
                facts,
            ))
        }
        ManagedObject::PrivateKey(block) => {
            let pkcs8: Zeroizing<Vec<u8>> = match (block.key_format_type, plain_material(block)?) {
                (KeyFormatType::Pkcs8, KeyMaterial::Bytes(b)) => b.clone(),
                (KeyFormatType::Pkcs1, KeyMaterial::Bytes(b)) => {
                    crypto::rsa_private_pkcs1_to_pkcs8(b).map_err(invalid_material)?
                }
                (KeyFormatType::EcPrivateKey, KeyMaterial::Bytes(b)) => {
                    crypto::ec_private_sec1_to_pkcs8(b).map_err(invalid_material)?
                }
                (
                    KeyFormatType::TransparentRsaPrivateKey,
                    KeyMaterial::TransparentRsaPrivate {
                        modulus,
                        private_exponent,
                        public_exponent,
                        p,
                        q,
                        prime_exponent_p,
                        prime_exponent_q,
                        crt_coefficient,
                    },
                ) => {
                    let need = |v: &Option<Zeroizing<Vec<u8>>>, n: &str| {
                        v.clone().ok_or_else(|| {
                            policy::missing(format!("Transparent RSA Private Key: {n} is required"))
                        })
                    };
                    let comps = crypto::RsaPrivateComponents {
                        n: modulus.clone(),
                        e: public_exponent.clone().ok_or_else(|| {
                            policy::missing(
                                "Transparent RSA Private Key: Public Exponent is required",
                            )
                        })?,
                        d: need(private_exponent, "Private Exponent")?,
                        p: need(p, "P")?,
                        q: need(q, "Q")?,
                        dp: need(prime_exponent_p, "Prime Exponent P")?,
                        dq: need(prime_exponent_q, "Prime Exponent Q")?,
                        qinv: need(crt_coefficient, "CRT Coefficient")?,
                    };
                    crypto::rsa_private_from_components(&comps).map_err(invalid_material)?
                }
                (
                    KeyFormatType::TransparentEcPrivateKey
                    | KeyFormatType::TransparentEcdsaPrivateKey,
                    KeyMaterial::TransparentEcPrivate { curve, d },
                ) => crypto::ec_private_from_scalar(curve_name(*curve)?, d)
                    .map_err(invalid_material)?,
                (f, _) => return Err(unsupported_format(f, "a private key")),
            };
            let facts = private_facts(&pkcs8)?;
            check_block_facts(block, &facts)?;
            Ok((
                Material {
                    kind: Kind::Private,
                    native_format: block.key_format_type.value(),
                    subtype: 0,
                    bytes: pkcs8,
                },
                facts,
            ))
        }
        ManagedObject::PublicKey(block) => {
            let spki: Vec<u8> = match (block.key_format_type, plain_material(block)?) {
                (KeyFormatType::X509, KeyMaterial::Bytes(b)) => b.to_vec(),
                (KeyFormatType::Pkcs1, KeyMaterial::Bytes(b)) => {
                    crypto::rsa_public_pkcs1_to_spki(b).map_err(invalid_material)?
                }
                (
                    KeyFormatType::TransparentRsaPublicKey,
                    KeyMaterial::TransparentRsaPublic {
                        modulus,
                        public_exponent,
                    },
                ) => crypto::rsa_public_from_components(modulus, public_exponent)
                    .map_err(invalid_material)?,
                (
                    KeyFormatType::TransparentEcPublicKey
                    | KeyFormatType::TransparentEcdsaPublicKey,
                    KeyMaterial::TransparentEcPublic { curve, q_string },
                ) => crypto::ec_public_from_point(curve_name(*curve)?, q_string)
                    .map_err(invalid_material)?,
                (f, _) => return Err(unsupported_format(f, "a public key")),
            };
            let facts = public_facts(&spki)?;
            check_block_facts(block, &facts)?;
            Ok((
                Material {
                    kind: Kind::Public,
                    native_format: block.key_format_type.value(),
                    subtype: 0,
                    bytes: Zeroizing::new(spki),
                },
                facts,
            ))
        }
        ManagedObject::Certificate {
            certificate_type,
            value,
        } => {
            if *certificate_type != CertificateType::X509 {
                return Err(OpError::Unsupported(format!(
                    "Certificate Type {certificate_type} is not supported; only X.509"
                )));
            }
            let spki = crypto::certificate_public_key(value).map_err(invalid_material)?;
            let facts = public_facts(&spki).unwrap_or(KeyFacts {
                algorithm: None,
                length: None,
                curve: None,
            });
            Ok((
                Material {
                    kind: Kind::Certificate,
                    native_format: KeyFormatType::X509.value(),
                    subtype: certificate_type.value(),
                    bytes: Zeroizing::new(value.clone()),
                },
                KeyFacts {
                    algorithm: facts.algorithm,
                    length: facts.length,
                    curve: facts.curve,
                },
            ))
        }
        ManagedObject::SecretData {
            secret_data_type,
            key_block,
        } => {
            let bytes = match plain_material(key_block)? {
                KeyMaterial::Bytes(b) => b.clone(),
                KeyMaterial::TransparentSymmetric { key } => key.clone(),
                _ => return Err(unsupported_format(key_block.key_format_type, "secret data")),
            };
            if bytes.is_empty() {
                return Err(policy::invalid("Secret Data: the key material is empty"));
            }
            Ok((
                Material {
                    kind: Kind::Secret,
                    native_format: key_block.key_format_type.value(),
                    subtype: secret_data_type.value(),
                    bytes,
                },
                KeyFacts {
                    algorithm: None,
                    length: None,
                    curve: None,
                },
            ))
        }
        ManagedObject::OpaqueObject {
            opaque_data_type,
            value,
        } => Ok((
            Material {
                kind: Kind::Opaque,
                native_format: KeyFormatType::Opaque.value(),
                subtype: *opaque_data_type,
                bytes: value.clone(),
            },
            KeyFacts {
                algorithm: None,
                length: None,
                curve: None,
            },
        )),
    }
}

fn check_block_facts(block: &KeyBlock, facts: &KeyFacts) -> Result<(), OpError> {
    if let (Some(given), Some(actual)) = (block.cryptographic_length, facts.length)
        && given != actual
    {
        return Err(policy::invalid(format!(
            "Key Block: Cryptographic Length {given} does not match the key ({actual} bits)"
        )));
    }
    if let (Some(given), Some(actual)) = (block.cryptographic_algorithm, facts.algorithm) {
        let ec_family = |a| {
            matches!(
                a,
                CryptographicAlgorithm::Ec
                    | CryptographicAlgorithm::Ecdsa
                    | CryptographicAlgorithm::Ecdh
            )
        };
        if given != actual && !(ec_family(given) && ec_family(actual)) {
            return Err(policy::invalid(format!(
                "Key Block: Cryptographic Algorithm {given} does not match the key ({actual})"
            )));
        }
    }
    Ok(())
}

/// Symmetric algorithms and lengths the server offers.
pub(crate) fn check_symmetric(algorithm: CryptographicAlgorithm, bits: i32) -> Result<(), OpError> {
    let ok = match algorithm {
        CryptographicAlgorithm::Aes => matches!(bits, 128 | 192 | 256),
        CryptographicAlgorithm::HmacSha1
        | CryptographicAlgorithm::HmacSha224
        | CryptographicAlgorithm::HmacSha256
        | CryptographicAlgorithm::HmacSha384
        | CryptographicAlgorithm::HmacSha512 => bits >= 112 && bits % 8 == 0 && bits <= 8192,
        _ => {
            return Err(OpError::Invalid(format!(
                "Cryptographic Algorithm {algorithm} is not supported for symmetric keys"
            )));
        }
    };
    if ok {
        Ok(())
    } else {
        Err(OpError::Invalid(format!(
            "Cryptographic Length {bits} is not valid for {algorithm}"
        )))
    }
}

fn key_block(format: KeyFormatType, material: KeyMaterial, facts: &KeyFacts) -> KeyBlock {
    KeyBlock {
        key_format_type: format,
        key_compression_type: None,
        key_value: KeyValue::Plain {
            material,
            attributes: Attributes::default(),
        },
        cryptographic_algorithm: facts.algorithm,
        cryptographic_length: facts.length,
        key_wrapping_data: None,
    }
}

/// The material as a managed object in `format` (the native one when `None`).
pub(crate) fn to_object(
    material: &Material,
    format: Option<KeyFormatType>,
    facts: &KeyFacts,
    version: ProtocolVersion,
) -> Result<ManagedObject, OpError> {
    let native = KeyFormatType::from_value(material.native_format).unwrap_or(KeyFormatType::Raw);
    let format = format.unwrap_or(native);
    let conv = |e: crypto::CryptoError| OpError::Crypto(e.to_string());
    let _ = version;
    match material.kind {
        Kind::Symmetric => {
            let m = match format {
                KeyFormatType::Raw => KeyMaterial::Bytes(material.bytes.clone()),
                KeyFormatType::TransparentSymmetricKey => KeyMaterial::TransparentSymmetric {
                    key: material.bytes.clone(),
                },
                f => return Err(unsupported_format(f, "a symmetric key")),
            };
            Ok(ManagedObject::SymmetricKey(key_block(format, m, facts)))
        }
        Kind::Private => {
            let pkcs8 = &material.bytes;
            let is_rsa = facts.algorithm == Some(CryptographicAlgorithm::Rsa);
            let m = match format {
                KeyFormatType::Pkcs8 => KeyMaterial::Bytes(pkcs8.clone()),
                KeyFormatType::Pkcs1 if is_rsa => {
                    KeyMaterial::Bytes(crypto::rsa_private_pkcs8_to_pkcs1(pkcs8).map_err(conv)?)
                }
                KeyFormatType::EcPrivateKey
                    if facts.algorithm == Some(CryptographicAlgorithm::Ec) =>
                {
                    KeyMaterial::Bytes(crypto::ec_private_pkcs8_to_sec1(pkcs8).map_err(conv)?)
                }
                KeyFormatType::TransparentRsaPrivateKey if is_rsa => {
                    let c = crypto::rsa_private_components(pkcs8).map_err(conv)?;
                    KeyMaterial::TransparentRsaPrivate {
                        modulus: c.n,
                        private_exponent: Some(c.d),
                        public_exponent: Some(c.e),
                        p: Some(c.p),
                        q: Some(c.q),
                        prime_exponent_p: Some(c.dp),
                        prime_exponent_q: Some(c.dq),
                        crt_coefficient: Some(c.qinv),
                    }
                }
                KeyFormatType::TransparentEcPrivateKey
                | KeyFormatType::TransparentEcdsaPrivateKey
                    if facts.curve.is_some() && !is_rsa =>
                {
                    let curve = facts
                        .curve
                        .ok_or_else(|| unsupported_format(format, "this private key"))?;
                    let (_, d) = crypto::ec_private_scalar(pkcs8).map_err(conv)?;
                    KeyMaterial::TransparentEcPrivate { curve, d }
                }
                f => return Err(unsupported_format(f, "this private key")),
            };
            Ok(ManagedObject::PrivateKey(key_block(format, m, facts)))
        }
        Kind::Public => {
            let spki = &material.bytes;
            let is_rsa = facts.algorithm == Some(CryptographicAlgorithm::Rsa);
            let m = match format {
                KeyFormatType::X509 => KeyMaterial::Bytes(spki.clone()),
                KeyFormatType::Pkcs1 if is_rsa => KeyMaterial::Bytes(Zeroizing::new(
                    crypto::rsa_public_spki_to_pkcs1(spki).map_err(conv)?,
                )),
                KeyFormatType::TransparentRsaPublicKey if is_rsa => {
                    let (modulus, public_exponent) =
                        crypto::rsa_public_components(spki).map_err(conv)?;
                    KeyMaterial::TransparentRsaPublic {
                        modulus,
                        public_exponent,
                    }
                }
                KeyFormatType::TransparentEcPublicKey
                | KeyFormatType::TransparentEcdsaPublicKey
                    if facts.curve.is_some() && !is_rsa =>
                {
                    let curve = facts
                        .curve
                        .ok_or_else(|| unsupported_format(format, "this public key"))?;
                    let (_, q_string) = crypto::ec_public_point(spki).map_err(conv)?;
                    KeyMaterial::TransparentEcPublic { curve, q_string }
                }
                f => return Err(unsupported_format(f, "this public key")),
            };
            Ok(ManagedObject::PublicKey(key_block(format, m, facts)))
        }
        Kind::Certificate => {
            if format != KeyFormatType::X509 {
                return Err(unsupported_format(format, "a certificate"));
            }
            Ok(ManagedObject::Certificate {
                certificate_type: CertificateType::from_value(material.subtype)
                    .unwrap_or(CertificateType::X509),
                value: material.bytes.to_vec(),
            })
        }
        Kind::Secret => {
            if format != native {
                return Err(unsupported_format(format, "secret data"));
            }
            Ok(ManagedObject::SecretData {
                secret_data_type: SecretDataType::from_value(material.subtype)
                    .unwrap_or(SecretDataType::Password),
                key_block: key_block(
                    format,
                    KeyMaterial::Bytes(material.bytes.clone()),
                    &KeyFacts {
                        algorithm: None,
                        length: None,
                        curve: None,
                    },
                ),
            })
        }
        Kind::Opaque => Ok(ManagedObject::OpaqueObject {
            opaque_data_type: material.subtype,
            value: material.bytes.clone(),
        }),
    }
}

/// The bytes that a Key Wrapping Specification wraps: the key value in `format`.
pub(crate) fn wrap_input(object: &ManagedObject) -> Result<Zeroizing<Vec<u8>>, OpError> {
    let block = match object {
        ManagedObject::SymmetricKey(b)
        | ManagedObject::PrivateKey(b)
        | ManagedObject::PublicKey(b) => b,
        ManagedObject::SecretData { key_block, .. } => key_block,
        _ => {
            return Err(OpError::NotAllowed(
                "only keys and secret data can be wrapped".to_owned(),
            ));
        }
    };
    match &block.key_value {
        KeyValue::Plain {
            material: KeyMaterial::Bytes(b),
            ..
        } => Ok(b.clone()),
        KeyValue::Plain {
            material: KeyMaterial::TransparentSymmetric { key },
            ..
        } => Ok(key.clone()),
        _ => Err(OpError::UnsupportedKeyFormat(
            "wrapping needs a byte-string key format (Raw, PKCS#1, PKCS#8, X.509)".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_roundtrip() {
        let m = Material {
            kind: Kind::Secret,
            native_format: 2,
            subtype: 1,
            bytes: Zeroizing::new(vec![1, 2, 3]),
        };
        let back = Material::unframe(m.frame()).expect("frame decodes");
        assert_eq!(back.kind, Kind::Secret);
        assert_eq!(back.native_format, 2);
        assert_eq!(back.subtype, 1);
        assert_eq!(&back.bytes[..], &[1, 2, 3]);
        assert!(Material::unframe(Zeroizing::new(vec![9; 3])).is_err());
        assert!(Material::unframe(Zeroizing::new(vec![2, 1, 0, 0, 0, 0, 0, 0, 0, 0])).is_err());
    }

    #[test]
    fn symmetric_lengths() {
        assert!(check_symmetric(CryptographicAlgorithm::Aes, 256).is_ok());
        assert!(check_symmetric(CryptographicAlgorithm::Aes, 100).is_err());
        assert!(check_symmetric(CryptographicAlgorithm::HmacSha256, 256).is_ok());
        assert!(check_symmetric(CryptographicAlgorithm::Rsa, 2048).is_err());
    }
}
