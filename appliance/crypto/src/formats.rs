//! Key and certificate formats: inspection, validation and conversion.
//!
//! DER structures are read and written with RustCrypto's `der`, `pkcs1`, `pkcs8`, `spki` and
//! `sec1`; every key that enters or leaves is also loaded by aws-lc, which checks it (RSA
//! consistency, EC point on curve, Ed25519 seed/public match). RSA keys must be 2048 to 8192 bits
//! (aws-lc-rs refuses others).

use aws_lc_rs::agreement::{self, ECDH_P256, ECDH_P384};
use aws_lc_rs::encoding::{AsBigEndian, AsDer, Curve25519SeedBin, EcPrivateKeyBin, Pkcs8V1Der};
use aws_lc_rs::rsa::PublicEncryptingKey;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair,
    EcdsaSigningAlgorithm, Ed25519KeyPair, KeyPair as _, RsaKeyPair,
};
use der::asn1::{AnyRef, BitStringRef, ObjectIdentifier, UintRef};
use der::{Decode, Encode};
use pkcs8::PrivateKeyInfo;
use spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};
use zeroize::Zeroizing;

use crate::CryptoError;

const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// Ed25519 public key and seed length.
const ED25519_LEN: usize = 32;

/// Asymmetric key type, as found in a key or certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AsymmetricKind {
    /// RSA.
    Rsa,
    /// EC on NIST P-256.
    EcP256,
    /// EC on NIST P-384.
    EcP384,
    /// Ed25519.
    Ed25519,
}

impl AsymmetricKind {
    /// Field size in bytes for EC kinds (scalar and coordinate length); `None` for RSA.
    pub fn ec_field_len(self) -> Option<usize> {
        match self {
            AsymmetricKind::EcP256 => Some(32),
            AsymmetricKind::EcP384 => Some(48),
            AsymmetricKind::Ed25519 => Some(ED25519_LEN),
            AsymmetricKind::Rsa => None,
        }
    }

    fn ecdsa_alg(self) -> Option<&'static EcdsaSigningAlgorithm> {
        match self {
            AsymmetricKind::EcP256 => Some(&ECDSA_P256_SHA256_ASN1_SIGNING),
            AsymmetricKind::EcP384 => Some(&ECDSA_P384_SHA384_ASN1_SIGNING),
            _ => None,
        }
    }

    fn ecdh_alg(self) -> Option<&'static agreement::Algorithm> {
        match self {
            AsymmetricKind::EcP256 => Some(&ECDH_P256),
            AsymmetricKind::EcP384 => Some(&ECDH_P384),
            _ => None,
        }
    }

    fn curve_oid(self) -> Option<ObjectIdentifier> {
        match self {
            AsymmetricKind::EcP256 => Some(OID_P256),
            AsymmetricKind::EcP384 => Some(OID_P384),
            _ => None,
        }
    }

    fn bits(self) -> u32 {
        match self {
            AsymmetricKind::EcP256 | AsymmetricKind::Ed25519 => 256,
            AsymmetricKind::EcP384 => 384,
            AsymmetricKind::Rsa => 0,
        }
    }
}

/// RSA private key in transparent form: big-endian unsigned integers without leading zeros.
pub struct RsaPrivateComponents {
    /// Modulus.
    pub n: Vec<u8>,
    /// Public exponent.
    pub e: Vec<u8>,
    /// Private exponent.
    pub d: Zeroizing<Vec<u8>>,
    /// First prime.
    pub p: Zeroizing<Vec<u8>>,
    /// Second prime.
    pub q: Zeroizing<Vec<u8>>,
    /// d mod (p-1).
    pub dp: Zeroizing<Vec<u8>>,
    /// d mod (q-1).
    pub dq: Zeroizing<Vec<u8>>,
    /// q^-1 mod p.
    pub qinv: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for RsaPrivateComponents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RsaPrivateComponents")
            .field("n_len", &self.n.len())
            .field("secrets", &"<redacted>")
            .finish()
    }
}

/// What a certificate says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    /// Subject distinguished name, RFC 4514 style.
    pub subject: String,
    /// Issuer distinguished name, RFC 4514 style.
    pub issuer: String,
    /// Serial number, big-endian bytes as encoded.
    pub serial: Vec<u8>,
    /// Start of validity, Unix seconds.
    pub not_before: i64,
    /// End of validity, Unix seconds.
    pub not_after: i64,
}

fn bad(format: &str, detail: impl std::fmt::Display) -> CryptoError {
    CryptoError::InvalidKey(format!("{format}: {detail}"))
}

fn curve_kind(oid: ObjectIdentifier, format: &str) -> Result<AsymmetricKind, CryptoError> {
    if oid == OID_P256 {
        Ok(AsymmetricKind::EcP256)
    } else if oid == OID_P384 {
        Ok(AsymmetricKind::EcP384)
    } else {
        Err(CryptoError::Unsupported(format!(
            "{format}: elliptic curve {oid}"
        )))
    }
}

fn algorithm_kind(
    alg: &AlgorithmIdentifierRef<'_>,
    format: &str,
) -> Result<AsymmetricKind, CryptoError> {
    if alg.oid == OID_RSA {
        Ok(AsymmetricKind::Rsa)
    } else if alg.oid == OID_ED25519 {
        Ok(AsymmetricKind::Ed25519)
    } else if alg.oid == OID_EC {
        let curve = alg.parameters_oid().map_err(|e| {
            bad(
                format,
                format_args!("EC parameters are not a named curve ({e})"),
            )
        })?;
        curve_kind(curve, format)
    } else {
        Err(CryptoError::Unsupported(format!(
            "{format}: key algorithm {}",
            alg.oid
        )))
    }
}

fn modulus_bits(n: &[u8]) -> u32 {
    match n.first() {
        Some(first) => (n.len() as u32 - 1) * 8 + (8 - first.leading_zeros()),
        None => 0,
    }
}

fn parse_pkcs8(der: &[u8]) -> Result<PrivateKeyInfo<'_>, CryptoError> {
    PrivateKeyInfo::from_der(der).map_err(|e| bad("PKCS#8 private key", e))
}

fn parse_spki(der: &[u8]) -> Result<SubjectPublicKeyInfoRef<'_>, CryptoError> {
    SubjectPublicKeyInfoRef::from_der(der).map_err(|e| bad("SPKI public key", e))
}

/// Key type named by a PKCS#8 key's algorithm identifier, without validating the key: for
/// callers that load the key into aws-lc right after (which validates it), to avoid checking an
/// RSA key twice on the signing path.
pub(crate) fn private_kind(der: &[u8]) -> Result<AsymmetricKind, CryptoError> {
    let info = parse_pkcs8(der)?;
    algorithm_kind(&info.algorithm, "PKCS#8 private key")
}

/// Checks a PKCS#8 private key and tells its type and size in bits (modulus or curve size).
pub fn inspect_private_pkcs8(der: &[u8]) -> Result<(AsymmetricKind, u32), CryptoError> {
    let info = parse_pkcs8(der)?;
    let kind = algorithm_kind(&info.algorithm, "PKCS#8 private key")?;
    match kind {
        AsymmetricKind::Rsa => {
            let inner = pkcs1::RsaPrivateKey::from_der(info.private_key)
                .map_err(|e| bad("PKCS#8 RSA private key", e))?;
            let bits = modulus_bits(inner.modulus.as_bytes());
            RsaKeyPair::from_pkcs8(der).map_err(|e| bad("PKCS#8 RSA private key", e))?;
            Ok((kind, bits))
        }
        AsymmetricKind::EcP256 | AsymmetricKind::EcP384 => {
            let alg = kind
                .ecdsa_alg()
                .ok_or_else(|| CryptoError::internal("EC algorithm"))?;
            EcdsaKeyPair::from_pkcs8(alg, der).map_err(|e| bad("PKCS#8 EC private key", e))?;
            Ok((kind, kind.bits()))
        }
        AsymmetricKind::Ed25519 => {
            Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
                .map_err(|e| bad("PKCS#8 Ed25519 private key", e))?;
            Ok((kind, kind.bits()))
        }
    }
}

/// Checks an SPKI public key and tells its type and size in bits.
pub fn inspect_public_spki(der: &[u8]) -> Result<(AsymmetricKind, u32), CryptoError> {
    let info = parse_spki(der)?;
    let kind = algorithm_kind(&info.algorithm, "SPKI public key")?;
    let key = info
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| bad("SPKI public key", "bit string has unused bits"))?;
    match kind {
        AsymmetricKind::Rsa => {
            let inner =
                pkcs1::RsaPublicKey::from_der(key).map_err(|e| bad("SPKI RSA public key", e))?;
            let bits = modulus_bits(inner.modulus.as_bytes());
            PublicEncryptingKey::from_der(der).map_err(|e| bad("SPKI RSA public key", e))?;
            Ok((kind, bits))
        }
        AsymmetricKind::EcP256 | AsymmetricKind::EcP384 => {
            let alg = kind
                .ecdh_alg()
                .ok_or_else(|| CryptoError::internal("EC algorithm"))?;
            agreement::ParsedPublicKey::try_from(&agreement::UnparsedPublicKey::new(alg, key))
                .map_err(|_| bad("SPKI EC public key", "point is not on the curve"))?;
            Ok((kind, kind.bits()))
        }
        AsymmetricKind::Ed25519 => {
            if key.len() != ED25519_LEN {
                return Err(bad(
                    "SPKI Ed25519 public key",
                    format_args!("{} bytes, expected {ED25519_LEN}", key.len()),
                ));
            }
            Ok((kind, kind.bits()))
        }
    }
}

/// The SPKI public key matching a PKCS#8 private key.
pub fn public_from_private(pkcs8: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let (kind, _) = inspect_private_pkcs8(pkcs8)?;
    let der = match kind {
        AsymmetricKind::Rsa => RsaKeyPair::from_pkcs8(pkcs8)
            .map_err(|e| bad("PKCS#8 RSA private key", e))?
            .public_key()
            .as_der()
            .map(|d| d.as_ref().to_vec()),
        AsymmetricKind::EcP256 | AsymmetricKind::EcP384 => {
            let alg = kind
                .ecdsa_alg()
                .ok_or_else(|| CryptoError::internal("EC algorithm"))?;
            EcdsaKeyPair::from_pkcs8(alg, pkcs8)
                .map_err(|e| bad("PKCS#8 EC private key", e))?
                .public_key()
                .as_der()
                .map(|d| d.as_ref().to_vec())
        }
        AsymmetricKind::Ed25519 => Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
            .map_err(|e| bad("PKCS#8 Ed25519 private key", e))?
            .public_key()
            .as_der()
            .map(|d| d.as_ref().to_vec()),
    };
    der.map_err(|_| CryptoError::internal("SPKI encoding"))
}

/// Re-encodes a PKCS#8 private key in the canonical storage form (PKCS#8 v1, as aws-lc writes
/// it): drops optional attributes and the v2 public key, so equal keys store as equal bytes.
pub fn canonical_private_pkcs8(pkcs8: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let (kind, _) = inspect_private_pkcs8(pkcs8)?;
    let der = match kind {
        AsymmetricKind::Rsa => RsaKeyPair::from_pkcs8(pkcs8)
            .map_err(|e| bad("PKCS#8 RSA private key", e))?
            .as_der()
            .map(|d| d.as_ref().to_vec()),
        AsymmetricKind::EcP256 | AsymmetricKind::EcP384 => {
            let alg = kind
                .ecdsa_alg()
                .ok_or_else(|| CryptoError::internal("EC algorithm"))?;
            EcdsaKeyPair::from_pkcs8(alg, pkcs8)
                .map_err(|e| bad("PKCS#8 EC private key", e))?
                .to_pkcs8v1()
                .map(|d| d.as_ref().to_vec())
        }
        AsymmetricKind::Ed25519 => Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
            .map_err(|e| bad("PKCS#8 Ed25519 private key", e))?
            .to_pkcs8v1()
            .map(|d| d.as_ref().to_vec()),
    };
    der.map(Zeroizing::new)
        .map_err(|_| CryptoError::internal("PKCS#8 encoding"))
}

fn require_kind(
    got: AsymmetricKind,
    want: &[AsymmetricKind],
    format: &str,
) -> Result<(), CryptoError> {
    if want.contains(&got) {
        Ok(())
    } else {
        Err(bad(format, format_args!("holds a {got:?} key")))
    }
}

/// PKCS#8 RSA private key → PKCS#1 `RSAPrivateKey` DER.
pub fn rsa_private_pkcs8_to_pkcs1(pkcs8: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let (kind, _) = inspect_private_pkcs8(pkcs8)?;
    require_kind(kind, &[AsymmetricKind::Rsa], "PKCS#8 RSA private key")?;
    let info = parse_pkcs8(pkcs8)?;
    Ok(Zeroizing::new(info.private_key.to_vec()))
}

fn rsa_algorithm() -> AlgorithmIdentifierRef<'static> {
    AlgorithmIdentifierRef {
        oid: OID_RSA,
        parameters: Some(AnyRef::NULL),
    }
}

/// PKCS#1 `RSAPrivateKey` DER → PKCS#8 DER (validated).
pub fn rsa_private_pkcs1_to_pkcs8(pkcs1_der: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    pkcs1::RsaPrivateKey::from_der(pkcs1_der).map_err(|e| bad("PKCS#1 RSA private key", e))?;
    let info = PrivateKeyInfo::new(rsa_algorithm(), pkcs1_der);
    let der = Zeroizing::new(
        info.to_der()
            .map_err(|e| bad("PKCS#1 RSA private key", e))?,
    );
    RsaKeyPair::from_pkcs8(&der).map_err(|e| bad("PKCS#1 RSA private key", e))?;
    Ok(der)
}

/// SPKI RSA public key → PKCS#1 `RSAPublicKey` DER.
pub fn rsa_public_spki_to_pkcs1(spki_der: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let (kind, _) = inspect_public_spki(spki_der)?;
    require_kind(kind, &[AsymmetricKind::Rsa], "SPKI RSA public key")?;
    let info = parse_spki(spki_der)?;
    info.subject_public_key
        .as_bytes()
        .map(<[u8]>::to_vec)
        .ok_or_else(|| bad("SPKI RSA public key", "bit string has unused bits"))
}

/// PKCS#1 `RSAPublicKey` DER → SPKI DER (validated).
pub fn rsa_public_pkcs1_to_spki(pkcs1_der: &[u8]) -> Result<Vec<u8>, CryptoError> {
    pkcs1::RsaPublicKey::from_der(pkcs1_der).map_err(|e| bad("PKCS#1 RSA public key", e))?;
    let bits = BitStringRef::from_bytes(pkcs1_der).map_err(|e| bad("PKCS#1 RSA public key", e))?;
    let info = SubjectPublicKeyInfoRef {
        algorithm: rsa_algorithm(),
        subject_public_key: bits,
    };
    let der = info.to_der().map_err(|e| bad("PKCS#1 RSA public key", e))?;
    PublicEncryptingKey::from_der(&der).map_err(|e| bad("PKCS#1 RSA public key", e))?;
    Ok(der)
}

/// Big-endian bytes without leading zeros (DER INTEGERs may carry a sign byte).
fn uint(bytes: &[u8]) -> Vec<u8> {
    let first_nonzero = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes.get(first_nonzero..).unwrap_or_default().to_vec()
}

/// PKCS#8 RSA private key → transparent components.
pub fn rsa_private_components(pkcs8: &[u8]) -> Result<RsaPrivateComponents, CryptoError> {
    let (kind, _) = inspect_private_pkcs8(pkcs8)?;
    require_kind(kind, &[AsymmetricKind::Rsa], "PKCS#8 RSA private key")?;
    let info = parse_pkcs8(pkcs8)?;
    let key = pkcs1::RsaPrivateKey::from_der(info.private_key)
        .map_err(|e| bad("PKCS#8 RSA private key", e))?;
    if key.other_prime_infos.is_some() {
        return Err(CryptoError::Unsupported(
            "multi-prime RSA private key".into(),
        ));
    }
    Ok(RsaPrivateComponents {
        n: uint(key.modulus.as_bytes()),
        e: uint(key.public_exponent.as_bytes()),
        d: Zeroizing::new(uint(key.private_exponent.as_bytes())),
        p: Zeroizing::new(uint(key.prime1.as_bytes())),
        q: Zeroizing::new(uint(key.prime2.as_bytes())),
        dp: Zeroizing::new(uint(key.exponent1.as_bytes())),
        dq: Zeroizing::new(uint(key.exponent2.as_bytes())),
        qinv: Zeroizing::new(uint(key.coefficient.as_bytes())),
    })
}

fn uint_ref<'a>(bytes: &'a [u8], field: &str) -> Result<UintRef<'a>, CryptoError> {
    UintRef::new(bytes).map_err(|e| bad("RSA private key components", format_args!("{field}: {e}")))
}

/// Transparent RSA components → PKCS#8 DER (validated: the components must form a real key).
pub fn rsa_private_from_components(
    c: &RsaPrivateComponents,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let key = pkcs1::RsaPrivateKey {
        modulus: uint_ref(&c.n, "n")?,
        public_exponent: uint_ref(&c.e, "e")?,
        private_exponent: uint_ref(&c.d, "d")?,
        prime1: uint_ref(&c.p, "p")?,
        prime2: uint_ref(&c.q, "q")?,
        exponent1: uint_ref(&c.dp, "dp")?,
        exponent2: uint_ref(&c.dq, "dq")?,
        coefficient: uint_ref(&c.qinv, "qinv")?,
        other_prime_infos: None,
    };
    let pkcs1_der = Zeroizing::new(
        key.to_der()
            .map_err(|e| bad("RSA private key components", e))?,
    );
    rsa_private_pkcs1_to_pkcs8(&pkcs1_der).map_err(|e| match e {
        CryptoError::InvalidKey(m) => CryptoError::InvalidKey(m.replace("PKCS#1", "components of")),
        other => other,
    })
}

/// SPKI RSA public key → (modulus, public exponent), big-endian without leading zeros.
pub fn rsa_public_components(spki_der: &[u8]) -> Result<(Vec<u8>, Vec<u8>), CryptoError> {
    let pkcs1_der = rsa_public_spki_to_pkcs1(spki_der)?;
    let key =
        pkcs1::RsaPublicKey::from_der(&pkcs1_der).map_err(|e| bad("SPKI RSA public key", e))?;
    Ok((
        uint(key.modulus.as_bytes()),
        uint(key.public_exponent.as_bytes()),
    ))
}

/// (modulus, public exponent) → SPKI DER (validated).
pub fn rsa_public_from_components(n: &[u8], e: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let key = pkcs1::RsaPublicKey {
        modulus: UintRef::new(n)
            .map_err(|err| bad("RSA public key components", format_args!("n: {err}")))?,
        public_exponent: UintRef::new(e)
            .map_err(|err| bad("RSA public key components", format_args!("e: {err}")))?,
    };
    let pkcs1_der = key
        .to_der()
        .map_err(|err| bad("RSA public key components", err))?;
    rsa_public_pkcs1_to_spki(&pkcs1_der)
}

/// PKCS#8 EC private key → SEC1 `ECPrivateKey` DER (with the named curve and public key).
pub fn ec_private_pkcs8_to_sec1(pkcs8: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let (kind, _) = inspect_private_pkcs8(pkcs8)?;
    let alg = kind.ecdsa_alg().ok_or_else(|| {
        bad(
            "PKCS#8 EC private key",
            format_args!("holds a {kind:?} key"),
        )
    })?;
    let pair = EcdsaKeyPair::from_pkcs8(alg, pkcs8).map_err(|e| bad("PKCS#8 EC private key", e))?;
    let der = pair
        .private_key()
        .as_der()
        .map_err(|_| CryptoError::internal("SEC1 encoding"))?;
    Ok(Zeroizing::new(der.as_ref().to_vec()))
}

/// SEC1 `ECPrivateKey` DER (must name its curve) → PKCS#8 DER (validated).
pub fn ec_private_sec1_to_pkcs8(sec1_der: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let key = sec1::EcPrivateKey::from_der(sec1_der).map_err(|e| bad("SEC1 EC private key", e))?;
    let curve = key
        .parameters
        .and_then(|p| p.named_curve())
        .ok_or_else(|| bad("SEC1 EC private key", "no named curve in the parameters"))?;
    let kind = curve_kind(curve, "SEC1 EC private key")?;
    let alg = kind
        .ecdsa_alg()
        .ok_or_else(|| CryptoError::internal("EC algorithm"))?;
    let pair = EcdsaKeyPair::from_private_key_der(alg, sec1_der)
        .map_err(|e| bad("SEC1 EC private key", e))?;
    let der = pair
        .to_pkcs8v1()
        .map_err(|_| CryptoError::internal("PKCS#8 encoding"))?;
    Ok(Zeroizing::new(der.as_ref().to_vec()))
}

/// EC private scalar (fixed field length, big-endian) or Ed25519 seed of a PKCS#8 private key.
pub fn ec_private_scalar(
    pkcs8: &[u8],
) -> Result<(AsymmetricKind, Zeroizing<Vec<u8>>), CryptoError> {
    let (kind, _) = inspect_private_pkcs8(pkcs8)?;
    match kind {
        AsymmetricKind::EcP256 | AsymmetricKind::EcP384 => {
            let alg = kind
                .ecdsa_alg()
                .ok_or_else(|| CryptoError::internal("EC algorithm"))?;
            let pair = EcdsaKeyPair::from_pkcs8(alg, pkcs8)
                .map_err(|e| bad("PKCS#8 EC private key", e))?;
            let bin: EcPrivateKeyBin<'static> = pair
                .private_key()
                .as_be_bytes()
                .map_err(|_| CryptoError::internal("EC scalar export"))?;
            Ok((kind, Zeroizing::new(bin.as_ref().to_vec())))
        }
        AsymmetricKind::Ed25519 => {
            let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
                .map_err(|e| bad("PKCS#8 Ed25519 private key", e))?;
            let seed: Curve25519SeedBin<'static> = pair
                .seed()
                .and_then(|s| s.as_be_bytes())
                .map_err(|_| CryptoError::internal("Ed25519 seed export"))?;
            Ok((kind, Zeroizing::new(seed.as_ref().to_vec())))
        }
        AsymmetricKind::Rsa => Err(bad("PKCS#8 EC private key", "holds an RSA key")),
    }
}

/// EC private scalar (big-endian, left-padded if short) or Ed25519 seed → PKCS#8 DER.
pub fn ec_private_from_scalar(
    kind: AsymmetricKind,
    d: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let field = kind.ec_field_len().ok_or_else(|| {
        CryptoError::InvalidParameters("key kind RSA: expected an EC or Ed25519 kind".into())
    })?;
    if d.is_empty() || d.len() > field {
        return Err(bad(
            "EC private scalar",
            format_args!("{} bytes, expected 1 to {field} for {kind:?}", d.len()),
        ));
    }
    let mut padded = Zeroizing::new(vec![0u8; field]);
    if let Some(tail) = padded.get_mut(field - d.len()..) {
        tail.copy_from_slice(d);
    }
    match kind {
        AsymmetricKind::Ed25519 => {
            let pair =
                Ed25519KeyPair::from_seed_unchecked(&padded).map_err(|e| bad("Ed25519 seed", e))?;
            let der = pair
                .to_pkcs8v1()
                .map_err(|_| CryptoError::internal("PKCS#8 encoding"))?;
            Ok(Zeroizing::new(der.as_ref().to_vec()))
        }
        _ => {
            let ecdh = kind
                .ecdh_alg()
                .ok_or_else(|| CryptoError::internal("EC algorithm"))?;
            let key = agreement::PrivateKey::from_private_key(ecdh, &padded).map_err(|_| {
                bad(
                    "EC private scalar",
                    format_args!("not a valid {kind:?} scalar"),
                )
            })?;
            let der: Pkcs8V1Der<'static> = key
                .as_der()
                .map_err(|_| CryptoError::internal("PKCS#8 encoding"))?;
            let der = Zeroizing::new(der.as_ref().to_vec());
            inspect_private_pkcs8(&der)?;
            Ok(der)
        }
    }
}

/// EC public point (uncompressed SEC1 encoding) or raw Ed25519 public key of an SPKI key.
pub fn ec_public_point(spki_der: &[u8]) -> Result<(AsymmetricKind, Vec<u8>), CryptoError> {
    let (kind, _) = inspect_public_spki(spki_der)?;
    if kind == AsymmetricKind::Rsa {
        return Err(bad("SPKI EC public key", "holds an RSA key"));
    }
    let info = parse_spki(spki_der)?;
    let key = info
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| bad("SPKI EC public key", "bit string has unused bits"))?;
    Ok((kind, key.to_vec()))
}

/// EC public point (SEC1 encoding) or raw Ed25519 public key → SPKI DER (validated).
pub fn ec_public_from_point(kind: AsymmetricKind, q: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let algorithm = match kind {
        AsymmetricKind::Ed25519 => AlgorithmIdentifierRef {
            oid: OID_ED25519,
            parameters: None,
        },
        AsymmetricKind::EcP256 | AsymmetricKind::EcP384 => {
            let curve = kind
                .curve_oid()
                .ok_or_else(|| CryptoError::internal("EC curve"))?;
            let curve_der = curve.to_der().map_err(|e| bad("EC public point", e))?;
            let params = AnyRef::from_der(&curve_der).map_err(|e| bad("EC public point", e))?;
            let info = SubjectPublicKeyInfoRef {
                algorithm: AlgorithmIdentifierRef {
                    oid: OID_EC,
                    parameters: Some(params),
                },
                subject_public_key: BitStringRef::from_bytes(q)
                    .map_err(|e| bad("EC public point", e))?,
            };
            let der = info.to_der().map_err(|e| bad("EC public point", e))?;
            inspect_public_spki(&der)?;
            return Ok(der);
        }
        AsymmetricKind::Rsa => {
            return Err(CryptoError::InvalidParameters(
                "key kind RSA: expected an EC or Ed25519 kind".into(),
            ));
        }
    };
    let info = SubjectPublicKeyInfoRef {
        algorithm,
        subject_public_key: BitStringRef::from_bytes(q)
            .map_err(|e| bad("Ed25519 public key", e))?,
    };
    let der = info.to_der().map_err(|e| bad("Ed25519 public key", e))?;
    inspect_public_spki(&der)?;
    Ok(der)
}

fn parse_certificate(
    der: &[u8],
) -> Result<x509_parser::certificate::X509Certificate<'_>, CryptoError> {
    let (rest, cert) =
        x509_parser::parse_x509_certificate(der).map_err(|e| bad("X.509 certificate", e))?;
    if !rest.is_empty() {
        return Err(bad(
            "X.509 certificate",
            format_args!("{} trailing bytes", rest.len()),
        ));
    }
    Ok(cert)
}

/// The subject public key (SPKI DER) of an X.509 DER certificate.
pub fn certificate_public_key(der: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let cert = parse_certificate(der)?;
    Ok(cert.public_key().raw.to_vec())
}

/// Subject, issuer, serial and validity of an X.509 DER certificate.
pub fn certificate_info(der: &[u8]) -> Result<CertificateInfo, CryptoError> {
    let cert = parse_certificate(der)?;
    Ok(CertificateInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        serial: cert.raw_serial().to_vec(),
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::*;
    use crate::{
        GeneratedKeyPair, HashAlg, KeyPairSpec, SignatureScheme, generate_key_pair, sign, verify,
    };
    use proptest::prelude::*;

    #[test]
    fn inspects_foreign_keys() {
        assert_eq!(
            inspect_private_pkcs8(RSA_PKCS8).unwrap(),
            (AsymmetricKind::Rsa, 2048)
        );
        assert_eq!(
            inspect_public_spki(RSA_SPKI).unwrap(),
            (AsymmetricKind::Rsa, 2048)
        );
        assert_eq!(
            inspect_private_pkcs8(P256_PKCS8).unwrap(),
            (AsymmetricKind::EcP256, 256)
        );
        assert_eq!(
            inspect_public_spki(P256_SPKI).unwrap(),
            (AsymmetricKind::EcP256, 256)
        );
        assert_eq!(
            inspect_private_pkcs8(P384_PKCS8).unwrap(),
            (AsymmetricKind::EcP384, 384)
        );
        assert_eq!(
            inspect_public_spki(P384_SPKI).unwrap(),
            (AsymmetricKind::EcP384, 384)
        );
        assert_eq!(public_from_private(RSA_PKCS8).unwrap(), RSA_SPKI);
        assert_eq!(public_from_private(P256_PKCS8).unwrap(), P256_SPKI);
        assert_eq!(public_from_private(P384_PKCS8).unwrap(), P384_SPKI);
    }

    #[test]
    fn rsa_conversions_match_openssl() {
        assert_eq!(
            rsa_private_pkcs8_to_pkcs1(RSA_PKCS8).unwrap().as_slice(),
            RSA_PKCS1
        );
        let pkcs8 = rsa_private_pkcs1_to_pkcs8(RSA_PKCS1).unwrap();
        assert_eq!(pkcs8.as_slice(), RSA_PKCS8);
        assert_eq!(rsa_public_spki_to_pkcs1(RSA_SPKI).unwrap(), RSA_PUB_PKCS1);
        assert_eq!(rsa_public_pkcs1_to_spki(RSA_PUB_PKCS1).unwrap(), RSA_SPKI);
    }

    #[test]
    fn rsa_components_match_openssl() {
        let want = rsa_components();
        let c = rsa_private_components(RSA_PKCS8).unwrap();
        let got = [&c.n, &c.e, &*c.d, &*c.p, &*c.q, &*c.dp, &*c.dq, &*c.qinv];
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g.as_slice(), w.as_slice(), "component {i}");
        }
        assert_eq!(
            rsa_private_from_components(&c).unwrap().as_slice(),
            RSA_PKCS8
        );
        let (n, e) = rsa_public_components(RSA_SPKI).unwrap();
        assert_eq!((&n, &e), (&want[0], &want[1]));
        assert_eq!(rsa_public_from_components(&n, &e).unwrap(), RSA_SPKI);
        assert!(!format!("{c:?}").contains(&format!("{:?}", c.d.as_slice())));
    }

    #[test]
    fn rsa_components_are_validated() {
        let mut c = rsa_private_components(RSA_PKCS8).unwrap();
        let last = c.d.len() - 1;
        c.d[last] ^= 2;
        assert!(matches!(
            rsa_private_from_components(&c),
            Err(CryptoError::InvalidKey(_))
        ));
        let (n, _) = rsa_public_components(RSA_SPKI).unwrap();
        assert!(matches!(
            rsa_public_from_components(&n[..100], &[1, 0, 1]),
            Err(CryptoError::InvalidKey(_))
        ));
    }

    #[test]
    fn ec_conversions_match_openssl() {
        for (pkcs8, sec1, spki, point, scalar, kind) in [
            (
                P256_PKCS8,
                P256_SEC1,
                P256_SPKI,
                P256_POINT,
                P256_SCALAR,
                AsymmetricKind::EcP256,
            ),
            (
                P384_PKCS8,
                P384_SEC1,
                P384_SPKI,
                P384_POINT,
                P384_SCALAR,
                AsymmetricKind::EcP384,
            ),
        ] {
            let from_sec1 = ec_private_sec1_to_pkcs8(sec1).unwrap();
            assert_eq!(
                ec_private_scalar(&from_sec1).unwrap(),
                (kind, Zeroizing::new(scalar.to_vec()))
            );
            assert_eq!(
                ec_private_scalar(pkcs8).unwrap(),
                (kind, Zeroizing::new(scalar.to_vec()))
            );
            let to_sec1 = ec_private_pkcs8_to_sec1(pkcs8).unwrap();
            assert_eq!(ec_private_sec1_to_pkcs8(&to_sec1).unwrap(), from_sec1);
            assert_eq!(ec_public_point(spki).unwrap(), (kind, point.to_vec()));
            assert_eq!(ec_public_from_point(kind, point).unwrap(), spki);
            let from_scalar = ec_private_from_scalar(kind, scalar).unwrap();
            assert_eq!(public_from_private(&from_scalar).unwrap(), spki);
        }
    }

    // RFC 8032 section 7.1, test 1.
    #[test]
    fn ed25519_rfc8032_vector() {
        let seed = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        let public = hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        let sig = hex(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46b\
             d25bf5f0595bbe24655141438e7a100b",
        );
        let pkcs8 = ec_private_from_scalar(AsymmetricKind::Ed25519, &seed).unwrap();
        assert_eq!(
            ec_private_scalar(&pkcs8).unwrap(),
            (AsymmetricKind::Ed25519, Zeroizing::new(seed))
        );
        let spki = public_from_private(&pkcs8).unwrap();
        assert_eq!(
            ec_public_point(&spki).unwrap(),
            (AsymmetricKind::Ed25519, public.clone())
        );
        assert_eq!(
            ec_public_from_point(AsymmetricKind::Ed25519, &public).unwrap(),
            spki
        );
        assert_eq!(sign(&pkcs8, SignatureScheme::Ed25519, b"").unwrap(), sig);
        assert!(verify(&spki, SignatureScheme::Ed25519, b"", &sig).unwrap());
    }

    #[test]
    fn ec_scalar_and_point_validation() {
        let zero = [0u8; 32];
        assert!(matches!(
            ec_private_from_scalar(AsymmetricKind::EcP256, &zero),
            Err(CryptoError::InvalidKey(_))
        ));
        assert!(matches!(
            ec_private_from_scalar(AsymmetricKind::EcP256, &[1u8; 33]),
            Err(CryptoError::InvalidKey(_))
        ));
        assert!(matches!(
            ec_private_from_scalar(AsymmetricKind::Rsa, &[1u8; 32]),
            Err(CryptoError::InvalidParameters(_))
        ));
        // Short scalars are left-padded: scalar 1 gives the generator point.
        let one = ec_private_from_scalar(AsymmetricKind::EcP256, &[1]).unwrap();
        let (_, scalar) = ec_private_scalar(&one).unwrap();
        assert_eq!(scalar.len(), 32);
        assert_eq!(scalar[31], 1);
        let mut off_curve = P256_POINT.to_vec();
        off_curve[64] ^= 1;
        assert!(matches!(
            ec_public_from_point(AsymmetricKind::EcP256, &off_curve),
            Err(CryptoError::InvalidKey(_))
        ));
        assert!(matches!(
            ec_public_from_point(AsymmetricKind::EcP384, P256_POINT),
            Err(CryptoError::InvalidKey(_))
        ));
        assert!(matches!(
            ec_public_from_point(AsymmetricKind::Ed25519, &[0u8; 31]),
            Err(CryptoError::InvalidKey(_))
        ));
    }

    #[test]
    fn canonical_form_drops_v2_public_key_and_is_stable() {
        let pair = aws_lc_rs::signature::Ed25519KeyPair::generate().unwrap();
        let v2 = pair.to_pkcs8().unwrap();
        let v1 = pair.to_pkcs8v1().unwrap();
        assert_ne!(v2.as_ref(), v1.as_ref());
        assert_eq!(
            canonical_private_pkcs8(v2.as_ref()).unwrap().as_slice(),
            v1.as_ref()
        );
        for der in [RSA_PKCS8, P256_PKCS8, P384_PKCS8, v1.as_ref()] {
            let once = canonical_private_pkcs8(der).unwrap();
            assert_eq!(canonical_private_pkcs8(&once).unwrap(), once);
            assert_eq!(
                public_from_private(&once).unwrap(),
                public_from_private(der).unwrap()
            );
        }
        assert_eq!(
            canonical_private_pkcs8(RSA_PKCS8).unwrap().as_slice(),
            RSA_PKCS8
        );
    }

    #[test]
    fn wrong_kind_is_rejected() {
        assert!(matches!(
            rsa_private_pkcs8_to_pkcs1(P256_PKCS8),
            Err(CryptoError::InvalidKey(_))
        ));
        assert!(matches!(
            rsa_public_spki_to_pkcs1(P256_SPKI),
            Err(CryptoError::InvalidKey(_))
        ));
        assert!(matches!(
            rsa_private_components(P256_PKCS8),
            Err(CryptoError::InvalidKey(_))
        ));
        assert!(matches!(
            ec_private_pkcs8_to_sec1(RSA_PKCS8),
            Err(CryptoError::InvalidKey(_))
        ));
        assert!(matches!(
            ec_private_scalar(RSA_PKCS8),
            Err(CryptoError::InvalidKey(_))
        ));
        assert!(matches!(
            ec_public_point(RSA_SPKI),
            Err(CryptoError::InvalidKey(_))
        ));
        // A private key is not a public key and vice versa.
        assert!(matches!(
            inspect_public_spki(RSA_PKCS8),
            Err(CryptoError::InvalidKey(_))
        ));
        assert!(matches!(
            inspect_private_pkcs8(RSA_SPKI),
            Err(CryptoError::InvalidKey(_))
        ));
    }

    #[test]
    fn garbage_is_invalid_key_naming_the_format() {
        let garbage = b"this is not a key";
        let name = |r: Result<(), CryptoError>| match r {
            Err(CryptoError::InvalidKey(m)) => m,
            other => panic!("expected InvalidKey, got {other:?}"),
        };
        assert!(name(inspect_private_pkcs8(garbage).map(drop)).starts_with("PKCS#8"));
        assert!(name(inspect_public_spki(garbage).map(drop)).starts_with("SPKI"));
        assert!(
            name(rsa_private_pkcs1_to_pkcs8(garbage).map(drop)).starts_with("PKCS#1 RSA private")
        );
        assert!(name(rsa_public_pkcs1_to_spki(garbage).map(drop)).starts_with("PKCS#1 RSA public"));
        assert!(name(ec_private_sec1_to_pkcs8(garbage).map(drop)).starts_with("SEC1"));
        assert!(name(certificate_info(garbage).map(drop)).starts_with("X.509"));
        assert!(name(certificate_public_key(garbage).map(drop)).starts_with("X.509"));
    }

    #[test]
    fn certificate_fields() {
        let info = certificate_info(CERT_RSA).unwrap();
        assert_eq!(info.subject, "O=Keywarden, CN=crypto test");
        assert_eq!(info.issuer, "CN=test ca");
        assert_eq!(info.serial, vec![0x12, 0x34, 0xAB, 0xCD]);
        assert_eq!(info.not_before, 1_704_164_645);
        assert_eq!(info.not_after, 2_019_783_845);
        assert_eq!(certificate_public_key(CERT_RSA).unwrap(), RSA_SPKI);
        let mut trailing = CERT_RSA.to_vec();
        trailing.push(0);
        assert!(matches!(
            certificate_info(&trailing),
            Err(CryptoError::InvalidKey(_))
        ));
    }

    fn sign_scheme(spec: KeyPairSpec) -> SignatureScheme {
        match spec {
            KeyPairSpec::Rsa(_) => SignatureScheme::RsaPss(HashAlg::Sha256),
            KeyPairSpec::EcP256 => SignatureScheme::Ecdsa(HashAlg::Sha256),
            KeyPairSpec::EcP384 => SignatureScheme::Ecdsa(HashAlg::Sha384),
            KeyPairSpec::Ed25519 => SignatureScheme::Ed25519,
        }
    }

    /// Every private form of `pair` converted back to PKCS#8 and every public form back to SPKI.
    fn all_forms(
        spec: KeyPairSpec,
        pair: &GeneratedKeyPair,
    ) -> (Vec<Zeroizing<Vec<u8>>>, Vec<Vec<u8>>) {
        let pkcs8 = &pair.private_pkcs8;
        let spki = &pair.public_spki;
        let mut privates = vec![pkcs8.clone()];
        let mut publics = vec![spki.clone(), public_from_private(pkcs8).unwrap()];
        match spec {
            KeyPairSpec::Rsa(_) => {
                privates.push(
                    rsa_private_pkcs1_to_pkcs8(&rsa_private_pkcs8_to_pkcs1(pkcs8).unwrap())
                        .unwrap(),
                );
                privates.push(
                    rsa_private_from_components(&rsa_private_components(pkcs8).unwrap()).unwrap(),
                );
                publics.push(
                    rsa_public_pkcs1_to_spki(&rsa_public_spki_to_pkcs1(spki).unwrap()).unwrap(),
                );
                let (n, e) = rsa_public_components(spki).unwrap();
                publics.push(rsa_public_from_components(&n, &e).unwrap());
            }
            _ => {
                if spec != KeyPairSpec::Ed25519 {
                    privates.push(
                        ec_private_sec1_to_pkcs8(&ec_private_pkcs8_to_sec1(pkcs8).unwrap())
                            .unwrap(),
                    );
                }
                let (kind, d) = ec_private_scalar(pkcs8).unwrap();
                privates.push(ec_private_from_scalar(kind, &d).unwrap());
                let (kind, q) = ec_public_point(spki).unwrap();
                publics.push(ec_public_from_point(kind, &q).unwrap());
            }
        }
        (privates, publics)
    }

    #[test]
    fn every_generated_key_survives_every_conversion() {
        for spec in ALL_SPECS {
            let pair = generate_key_pair(spec).unwrap();
            let (privates, publics) = all_forms(spec, &pair);
            for p in &privates {
                assert_eq!(p.as_slice(), pair.private_pkcs8.as_slice(), "{spec:?}");
            }
            for p in &publics {
                assert_eq!(p, &pair.public_spki, "{spec:?}");
            }
            let scheme = sign_scheme(spec);
            for private in &privates {
                let sig = sign(private, scheme, MSG).unwrap();
                for public in &publics {
                    assert!(verify(public, scheme, MSG, &sig).unwrap(), "{spec:?}");
                    assert!(
                        !verify(public, scheme, b"other message", &sig).unwrap(),
                        "{spec:?}"
                    );
                }
            }
        }
    }

    fn never_panics(data: &[u8]) {
        let _ = inspect_private_pkcs8(data);
        let _ = inspect_public_spki(data);
        let _ = public_from_private(data);
        let _ = rsa_private_pkcs8_to_pkcs1(data);
        let _ = rsa_private_pkcs1_to_pkcs8(data);
        let _ = rsa_public_spki_to_pkcs1(data);
        let _ = rsa_public_pkcs1_to_spki(data);
        let _ = ec_private_pkcs8_to_sec1(data);
        let _ = ec_private_sec1_to_pkcs8(data);
        let _ = rsa_private_components(data);
        let _ = rsa_public_components(data);
        let _ = ec_private_scalar(data);
        let _ = ec_public_point(data);
        let _ = certificate_public_key(data);
        let _ = certificate_info(data);
        let _ = canonical_private_pkcs8(data);
        for kind in [
            AsymmetricKind::Rsa,
            AsymmetricKind::EcP256,
            AsymmetricKind::EcP384,
            AsymmetricKind::Ed25519,
        ] {
            let _ = ec_private_from_scalar(kind, data);
            let _ = ec_public_from_point(kind, data);
        }
        let _ = rsa_public_from_components(data, data);
    }

    const VALID: [&[u8]; 12] = [
        RSA_PKCS8,
        RSA_PKCS1,
        RSA_SPKI,
        RSA_PUB_PKCS1,
        P256_PKCS8,
        P256_SEC1,
        P256_SPKI,
        P384_PKCS8,
        P384_SEC1,
        P384_SPKI,
        CERT_RSA,
        P256_POINT,
    ];

    proptest! {
        #[test]
        fn parsers_never_panic_on_random_bytes(data in prop::collection::vec(any::<u8>(), 0..600)) {
            never_panics(&data);
        }

        #[test]
        fn parsers_never_panic_on_damaged_keys(
            which in 0..VALID.len(),
            pos in any::<prop::sample::Index>(),
            byte in any::<u8>(),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut data = VALID[which].to_vec();
            let i = pos.index(data.len());
            data[i] = byte;
            never_panics(&data);
            data.truncate(cut.index(data.len()));
            never_panics(&data);
        }
    }
}
