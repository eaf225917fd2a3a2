//! Signatures: RSA-PSS, RSA PKCS#1 v1.5, ECDSA (ASN.1 DER signatures) and Ed25519.
//!
//! Supported (what aws-lc-rs offers):
//! - sign: RSA-PSS and PKCS#1 v1.5 with SHA-256/384/512; ECDSA P-256 with SHA-256 and
//!   P-384 with SHA-384; Ed25519.
//! - verify: the above, plus RSA PKCS#1 v1.5 with SHA-1, ECDSA P-256 with SHA-1/384/512 and
//!   ECDSA P-384 with SHA-256/512.
//!
//! Anything else is `Unsupported`. RSA needs a modulus of 2048 to 8192 bits. PSS uses a salt as
//! long as the digest.

use aws_lc_rs::signature::{self as lc, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};

use crate::CryptoError;
use crate::formats::{
    AsymmetricKind, ec_public_point, inspect_public_spki, private_kind, rsa_public_spki_to_pkcs1,
};

/// Message digest for signatures and HMAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlg {
    /// SHA-1: HMAC and legacy verification only.
    Sha1,
    /// SHA-224: HMAC only.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

/// Signature algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureScheme {
    /// RSASSA-PSS, MGF1 with the same hash, salt length = digest length.
    RsaPss(HashAlg),
    /// RSASSA-PKCS1-v1_5.
    RsaPkcs1v15(HashAlg),
    /// ECDSA with ASN.1 DER (`Ecdsa-Sig-Value`) signatures.
    Ecdsa(HashAlg),
    /// Ed25519 (pure).
    Ed25519,
}

fn unsupported(scheme: SignatureScheme, kind: AsymmetricKind, what: &str) -> CryptoError {
    CryptoError::Unsupported(format!("{what} with {scheme:?} on a {kind:?} key"))
}

fn check_compatible(scheme: SignatureScheme, kind: AsymmetricKind) -> Result<(), CryptoError> {
    let ok = match scheme {
        SignatureScheme::RsaPss(_) | SignatureScheme::RsaPkcs1v15(_) => kind == AsymmetricKind::Rsa,
        SignatureScheme::Ecdsa(_) => {
            matches!(kind, AsymmetricKind::EcP256 | AsymmetricKind::EcP384)
        }
        SignatureScheme::Ed25519 => kind == AsymmetricKind::Ed25519,
    };
    if ok {
        Ok(())
    } else {
        Err(CryptoError::InvalidParameters(format!(
            "signature scheme {scheme:?} does not fit a {kind:?} key"
        )))
    }
}

/// Signs `data` with the private key `pkcs8` (PKCS#8 DER).
pub fn sign(pkcs8: &[u8], scheme: SignatureScheme, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    // aws-lc validates the key when loading it below.
    let kind = private_kind(pkcs8)?;
    check_compatible(scheme, kind)?;
    match scheme {
        SignatureScheme::RsaPss(h) | SignatureScheme::RsaPkcs1v15(h) => {
            let pss = matches!(scheme, SignatureScheme::RsaPss(_));
            let encoding: &'static dyn lc::RsaEncoding = match (pss, h) {
                (true, HashAlg::Sha256) => &lc::RSA_PSS_SHA256,
                (true, HashAlg::Sha384) => &lc::RSA_PSS_SHA384,
                (true, HashAlg::Sha512) => &lc::RSA_PSS_SHA512,
                (false, HashAlg::Sha256) => &lc::RSA_PKCS1_SHA256,
                (false, HashAlg::Sha384) => &lc::RSA_PKCS1_SHA384,
                (false, HashAlg::Sha512) => &lc::RSA_PKCS1_SHA512,
                _ => return Err(unsupported(scheme, kind, "signing")),
            };
            let pair = RsaKeyPair::from_pkcs8(pkcs8)
                .map_err(|e| CryptoError::InvalidKey(format!("RSA PKCS#8: {e}")))?;
            let mut sig = vec![0u8; pair.public_modulus_len()];
            pair.sign(
                encoding,
                &aws_lc_rs::rand::SystemRandom::new(),
                data,
                &mut sig,
            )
            .map_err(|_| CryptoError::internal("RSA sign"))?;
            Ok(sig)
        }
        SignatureScheme::Ecdsa(h) => {
            let alg = match (kind, h) {
                (AsymmetricKind::EcP256, HashAlg::Sha256) => &lc::ECDSA_P256_SHA256_ASN1_SIGNING,
                (AsymmetricKind::EcP384, HashAlg::Sha384) => &lc::ECDSA_P384_SHA384_ASN1_SIGNING,
                _ => return Err(unsupported(scheme, kind, "signing")),
            };
            let pair = EcdsaKeyPair::from_pkcs8(alg, pkcs8)
                .map_err(|e| CryptoError::InvalidKey(format!("EC PKCS#8: {e}")))?;
            let sig = pair
                .sign(&aws_lc_rs::rand::SystemRandom::new(), data)
                .map_err(|_| CryptoError::internal("ECDSA sign"))?;
            Ok(sig.as_ref().to_vec())
        }
        SignatureScheme::Ed25519 => {
            let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
                .map_err(|e| CryptoError::InvalidKey(format!("Ed25519 PKCS#8: {e}")))?;
            Ok(pair.sign(data).as_ref().to_vec())
        }
    }
}

/// Verifies `signature` over `data` with the public key `spki` (SPKI DER).
///
/// `Ok(false)` for a signature that does not verify; `Err` only for bad keys or parameters.
pub fn verify(
    spki: &[u8],
    scheme: SignatureScheme,
    data: &[u8],
    signature: &[u8],
) -> Result<bool, CryptoError> {
    let (kind, _) = inspect_public_spki(spki)?;
    check_compatible(scheme, kind)?;
    let (alg, key): (&'static dyn lc::VerificationAlgorithm, Vec<u8>) = match scheme {
        SignatureScheme::RsaPss(h) | SignatureScheme::RsaPkcs1v15(h) => {
            let pss = matches!(scheme, SignatureScheme::RsaPss(_));
            let alg: &'static dyn lc::VerificationAlgorithm = match (pss, h) {
                (true, HashAlg::Sha256) => &lc::RSA_PSS_2048_8192_SHA256,
                (true, HashAlg::Sha384) => &lc::RSA_PSS_2048_8192_SHA384,
                (true, HashAlg::Sha512) => &lc::RSA_PSS_2048_8192_SHA512,
                (false, HashAlg::Sha1) => &lc::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
                (false, HashAlg::Sha256) => &lc::RSA_PKCS1_2048_8192_SHA256,
                (false, HashAlg::Sha384) => &lc::RSA_PKCS1_2048_8192_SHA384,
                (false, HashAlg::Sha512) => &lc::RSA_PKCS1_2048_8192_SHA512,
                _ => return Err(unsupported(scheme, kind, "verification")),
            };
            (alg, rsa_public_spki_to_pkcs1(spki)?)
        }
        SignatureScheme::Ecdsa(h) => {
            let alg: &'static dyn lc::VerificationAlgorithm = match (kind, h) {
                (AsymmetricKind::EcP256, HashAlg::Sha1) => &lc::ECDSA_P256_SHA1_ASN1,
                (AsymmetricKind::EcP256, HashAlg::Sha256) => &lc::ECDSA_P256_SHA256_ASN1,
                (AsymmetricKind::EcP256, HashAlg::Sha384) => &lc::ECDSA_P256_SHA384_ASN1,
                (AsymmetricKind::EcP256, HashAlg::Sha512) => &lc::ECDSA_P256_SHA512_ASN1,
                (AsymmetricKind::EcP384, HashAlg::Sha256) => &lc::ECDSA_P384_SHA256_ASN1,
                (AsymmetricKind::EcP384, HashAlg::Sha384) => &lc::ECDSA_P384_SHA384_ASN1,
                (AsymmetricKind::EcP384, HashAlg::Sha512) => &lc::ECDSA_P384_SHA512_ASN1,
                _ => return Err(unsupported(scheme, kind, "verification")),
            };
            (alg, ec_public_point(spki)?.1)
        }
        SignatureScheme::Ed25519 => (&lc::ED25519, ec_public_point(spki)?.1),
    };
    Ok(lc::UnparsedPublicKey::new(alg, key)
        .verify(data, signature)
        .is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::*;
    use crate::{KeyPairSpec, generate_key_pair};

    #[test]
    fn verifies_openssl_signatures() {
        let cases: [(&[u8], SignatureScheme, &[u8]); 4] = [
            (
                RSA_SPKI,
                SignatureScheme::RsaPkcs1v15(HashAlg::Sha256),
                RSA_SIG_PKCS1V15_SHA256,
            ),
            (
                RSA_SPKI,
                SignatureScheme::RsaPss(HashAlg::Sha384),
                RSA_SIG_PSS_SHA384,
            ),
            (P256_SPKI, SignatureScheme::Ecdsa(HashAlg::Sha256), P256_SIG),
            (P384_SPKI, SignatureScheme::Ecdsa(HashAlg::Sha384), P384_SIG),
        ];
        for (spki, scheme, sig) in cases {
            assert!(verify(spki, scheme, MSG, sig).unwrap(), "{scheme:?}");
            assert!(
                !verify(spki, scheme, b"keywarden test messagf", sig).unwrap(),
                "{scheme:?}"
            );
            let mut bad = sig.to_vec();
            let last = bad.len() - 1;
            bad[last] ^= 1;
            assert!(!verify(spki, scheme, MSG, &bad).unwrap(), "{scheme:?}");
            assert!(!verify(spki, scheme, MSG, b"").unwrap(), "{scheme:?}");
            assert!(
                !verify(spki, scheme, MSG, &[0u8; 600]).unwrap(),
                "{scheme:?}"
            );
        }
    }

    // PKCS#1 v1.5 signatures are deterministic: ours must equal OpenSSL's byte for byte.
    #[test]
    fn pkcs1v15_signature_matches_openssl() {
        let sig = sign(
            RSA_PKCS8,
            SignatureScheme::RsaPkcs1v15(HashAlg::Sha256),
            MSG,
        )
        .unwrap();
        assert_eq!(sig, RSA_SIG_PKCS1V15_SHA256);
    }

    #[test]
    fn sign_and_verify_all_supported_schemes() {
        let rsa = generate_key_pair(KeyPairSpec::Rsa(2048)).unwrap();
        for h in [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512] {
            for scheme in [SignatureScheme::RsaPss(h), SignatureScheme::RsaPkcs1v15(h)] {
                let sig = sign(&rsa.private_pkcs8, scheme, MSG).unwrap();
                assert!(verify(&rsa.public_spki, scheme, MSG, &sig).unwrap());
                let other = if h == HashAlg::Sha256 {
                    HashAlg::Sha384
                } else {
                    HashAlg::Sha256
                };
                let other_scheme = match scheme {
                    SignatureScheme::RsaPss(_) => SignatureScheme::RsaPss(other),
                    _ => SignatureScheme::RsaPkcs1v15(other),
                };
                assert!(!verify(&rsa.public_spki, other_scheme, MSG, &sig).unwrap());
            }
        }
        let other = generate_key_pair(KeyPairSpec::EcP256).unwrap();
        let sig = sign(P256_PKCS8, SignatureScheme::Ecdsa(HashAlg::Sha256), MSG).unwrap();
        assert!(
            verify(
                P256_SPKI,
                SignatureScheme::Ecdsa(HashAlg::Sha256),
                MSG,
                &sig
            )
            .unwrap()
        );
        assert!(
            !verify(
                &other.public_spki,
                SignatureScheme::Ecdsa(HashAlg::Sha256),
                MSG,
                &sig
            )
            .unwrap()
        );
    }

    #[test]
    fn key_and_scheme_must_fit() {
        let err = sign(P256_PKCS8, SignatureScheme::RsaPss(HashAlg::Sha256), MSG).unwrap_err();
        assert!(matches!(err, CryptoError::InvalidParameters(_)));
        let err = verify(RSA_SPKI, SignatureScheme::Ecdsa(HashAlg::Sha256), MSG, b"x").unwrap_err();
        assert!(matches!(err, CryptoError::InvalidParameters(_)));
        let err = verify(P256_SPKI, SignatureScheme::Ed25519, MSG, b"x").unwrap_err();
        assert!(matches!(err, CryptoError::InvalidParameters(_)));
    }

    #[test]
    fn unsupported_hashes() {
        for scheme in [
            SignatureScheme::RsaPss(HashAlg::Sha1),
            SignatureScheme::RsaPkcs1v15(HashAlg::Sha1),
            SignatureScheme::RsaPkcs1v15(HashAlg::Sha224),
        ] {
            assert!(matches!(
                sign(RSA_PKCS8, scheme, MSG),
                Err(CryptoError::Unsupported(_))
            ));
        }
        let p256_sha512 = SignatureScheme::Ecdsa(HashAlg::Sha512);
        assert!(matches!(
            sign(P256_PKCS8, p256_sha512, MSG),
            Err(CryptoError::Unsupported(_))
        ));
        // ... but verification of that combination is available.
        assert!(!verify(P256_SPKI, p256_sha512, MSG, P256_SIG).unwrap());
        let err = verify(
            P384_SPKI,
            SignatureScheme::Ecdsa(HashAlg::Sha1),
            MSG,
            P384_SIG,
        );
        assert!(matches!(err, Err(CryptoError::Unsupported(_))));
    }

    #[test]
    fn bad_keys_are_errors_not_false() {
        let scheme = SignatureScheme::Ed25519;
        assert!(matches!(
            verify(b"junk", scheme, MSG, b"sig"),
            Err(CryptoError::InvalidKey(_))
        ));
        assert!(matches!(
            sign(b"junk", scheme, MSG),
            Err(CryptoError::InvalidKey(_))
        ));
    }
}
