//! Random bytes, symmetric keys and key pairs.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair, Ed25519KeyPair,
    KeyPair as _, RsaKeyPair,
};
use zeroize::Zeroizing;

use crate::CryptoError;

/// Largest symmetric key `generate_symmetric` makes (bits); bounds allocations driven by requests.
const MAX_SYMMETRIC_BITS: u32 = 8192;

/// What key pair to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyPairSpec {
    /// RSA with this modulus size in bits: 2048, 3072 or 4096.
    Rsa(u32),
    /// ECDSA / ECDH on NIST P-256.
    EcP256,
    /// ECDSA / ECDH on NIST P-384.
    EcP384,
    /// Ed25519 signing key.
    Ed25519,
}

/// A freshly generated key pair in canonical storage forms.
pub struct GeneratedKeyPair {
    /// Private key, PKCS#8 v1 DER.
    pub private_pkcs8: Zeroizing<Vec<u8>>,
    /// Public key, SubjectPublicKeyInfo DER.
    pub public_spki: Vec<u8>,
}

impl std::fmt::Debug for GeneratedKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKeyPair")
            .field("private_pkcs8", &"<redacted>")
            .field("public_spki_len", &self.public_spki.len())
            .finish()
    }
}

/// `len` bytes from the system CSPRNG (aws-lc's DRBG).
pub fn random_bytes(len: usize) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let mut out = Zeroizing::new(vec![0u8; len]);
    aws_lc_rs::rand::fill(out.as_mut_slice()).map_err(|_| CryptoError::internal("random"))?;
    Ok(out)
}

/// A random symmetric key of `bits` bits: any multiple of 8 from 128 to 8192 (AES and HMAC keys).
///
/// AES callers should prefer [`generate_aes_key`], which only accepts 128, 192 or 256.
pub fn generate_symmetric(bits: u32) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if !bits.is_multiple_of(8) || !(128..=MAX_SYMMETRIC_BITS).contains(&bits) {
        return Err(CryptoError::InvalidParameters(format!(
            "key length {bits} bits: must be a multiple of 8 between 128 and {MAX_SYMMETRIC_BITS}"
        )));
    }
    random_bytes((bits / 8) as usize)
}

/// A random AES key of 128, 192 or 256 bits.
pub fn generate_aes_key(bits: u32) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    match bits {
        128 | 192 | 256 => random_bytes((bits / 8) as usize),
        _ => Err(CryptoError::InvalidParameters(format!(
            "AES key length {bits} bits: must be 128, 192 or 256"
        ))),
    }
}

/// Generates a key pair; the private half is PKCS#8 v1 DER, the public half SPKI DER.
pub fn generate_key_pair(spec: KeyPairSpec) -> Result<GeneratedKeyPair, CryptoError> {
    match spec {
        KeyPairSpec::Rsa(bits) => {
            let size = match bits {
                2048 => KeySize::Rsa2048,
                3072 => KeySize::Rsa3072,
                4096 => KeySize::Rsa4096,
                _ => {
                    return Err(CryptoError::InvalidParameters(format!(
                        "RSA modulus length {bits} bits: must be 2048, 3072 or 4096"
                    )));
                }
            };
            let pair =
                RsaKeyPair::generate(size).map_err(|_| CryptoError::internal("RSA keygen"))?;
            let private = pair
                .as_der()
                .map_err(|_| CryptoError::internal("RSA PKCS#8 encoding"))?;
            let public = pair
                .public_key()
                .as_der()
                .map_err(|_| CryptoError::internal("RSA SPKI encoding"))?;
            Ok(GeneratedKeyPair {
                private_pkcs8: Zeroizing::new(private.as_ref().to_vec()),
                public_spki: public.as_ref().to_vec(),
            })
        }
        KeyPairSpec::EcP256 | KeyPairSpec::EcP384 => {
            let alg = if spec == KeyPairSpec::EcP256 {
                &ECDSA_P256_SHA256_ASN1_SIGNING
            } else {
                &ECDSA_P384_SHA384_ASN1_SIGNING
            };
            let pair =
                EcdsaKeyPair::generate(alg).map_err(|_| CryptoError::internal("EC keygen"))?;
            let private = pair
                .to_pkcs8v1()
                .map_err(|_| CryptoError::internal("EC PKCS#8 encoding"))?;
            let public = pair
                .public_key()
                .as_der()
                .map_err(|_| CryptoError::internal("EC SPKI encoding"))?;
            Ok(GeneratedKeyPair {
                private_pkcs8: Zeroizing::new(private.as_ref().to_vec()),
                public_spki: public.as_ref().to_vec(),
            })
        }
        KeyPairSpec::Ed25519 => {
            let pair =
                Ed25519KeyPair::generate().map_err(|_| CryptoError::internal("Ed25519 keygen"))?;
            let private = pair
                .to_pkcs8v1()
                .map_err(|_| CryptoError::internal("Ed25519 PKCS#8 encoding"))?;
            let public = pair
                .public_key()
                .as_der()
                .map_err(|_| CryptoError::internal("Ed25519 SPKI encoding"))?;
            Ok(GeneratedKeyPair {
                private_pkcs8: Zeroizing::new(private.as_ref().to_vec()),
                public_spki: public.as_ref().to_vec(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::ALL_SPECS;
    use crate::{AsymmetricKind, inspect_private_pkcs8, inspect_public_spki, public_from_private};

    #[test]
    fn random_bytes_have_length_and_differ() {
        assert!(random_bytes(0).unwrap().is_empty());
        let a = random_bytes(32).unwrap();
        let b = random_bytes(32).unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }

    #[test]
    fn symmetric_key_lengths() {
        for bits in [128, 192, 256, 512, 1024] {
            assert_eq!(generate_symmetric(bits).unwrap().len() * 8, bits as usize);
        }
        for bits in [0, 64, 120, 129, 8200] {
            assert!(matches!(
                generate_symmetric(bits),
                Err(CryptoError::InvalidParameters(_))
            ));
        }
        for bits in [128, 192, 256] {
            assert_eq!(generate_aes_key(bits).unwrap().len() * 8, bits as usize);
        }
        assert!(
            matches!(generate_aes_key(512), Err(CryptoError::InvalidParameters(m)) if m.contains("512"))
        );
    }

    #[test]
    fn key_pairs_have_declared_kind_and_size() {
        for spec in ALL_SPECS {
            let pair = generate_key_pair(spec).unwrap();
            let want = match spec {
                KeyPairSpec::Rsa(bits) => (AsymmetricKind::Rsa, bits),
                KeyPairSpec::EcP256 => (AsymmetricKind::EcP256, 256),
                KeyPairSpec::EcP384 => (AsymmetricKind::EcP384, 384),
                KeyPairSpec::Ed25519 => (AsymmetricKind::Ed25519, 256),
            };
            assert_eq!(inspect_private_pkcs8(&pair.private_pkcs8).unwrap(), want);
            assert_eq!(inspect_public_spki(&pair.public_spki).unwrap(), want);
            assert_eq!(
                public_from_private(&pair.private_pkcs8).unwrap(),
                pair.public_spki
            );
            assert!(format!("{pair:?}").contains("<redacted>"));
        }
        assert!(matches!(
            generate_key_pair(KeyPairSpec::Rsa(1024)),
            Err(CryptoError::InvalidParameters(_))
        ));
    }
}
