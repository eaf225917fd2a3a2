//! RSA-OAEP encryption (MGF1 with the same hash as the label hash).

use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OAEP_SHA384_MGF1SHA384, OAEP_SHA512_MGF1SHA512,
    OaepAlgorithm, OaepPrivateDecryptingKey, OaepPublicEncryptingKey, PrivateDecryptingKey,
    PublicEncryptingKey,
};
use zeroize::Zeroizing;

use crate::CryptoError;
use crate::formats::{AsymmetricKind, inspect_public_spki, private_kind};

/// Hash for OAEP (used for both the label hash and MGF1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OaepHash {
    /// SHA-1 (legacy, still common for key transport).
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

fn algorithm(hash: OaepHash) -> &'static OaepAlgorithm {
    match hash {
        OaepHash::Sha1 => &OAEP_SHA1_MGF1SHA1,
        OaepHash::Sha256 => &OAEP_SHA256_MGF1SHA256,
        OaepHash::Sha384 => &OAEP_SHA384_MGF1SHA384,
        OaepHash::Sha512 => &OAEP_SHA512_MGF1SHA512,
    }
}

/// Encrypts `plaintext` to the RSA public key `spki` (SPKI DER) with OAEP and an optional label.
pub fn rsa_oaep_encrypt(
    spki: &[u8],
    hash: OaepHash,
    label: Option<&[u8]>,
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let (kind, _) = inspect_public_spki(spki)?;
    if kind != AsymmetricKind::Rsa {
        return Err(CryptoError::InvalidParameters(format!(
            "RSA-OAEP needs an RSA public key, got {kind:?}"
        )));
    }
    let public = PublicEncryptingKey::from_der(spki)
        .map_err(|e| CryptoError::InvalidKey(format!("RSA SPKI: {e}")))?;
    let key = OaepPublicEncryptingKey::new(public)
        .map_err(|_| CryptoError::InvalidKey("RSA SPKI: not usable for OAEP".into()))?;
    let alg = algorithm(hash);
    let max = key.max_plaintext_size(alg);
    if plaintext.len() > max {
        return Err(CryptoError::InvalidParameters(format!(
            "data length {}: RSA-OAEP with this key and hash takes at most {max} bytes",
            plaintext.len()
        )));
    }
    let mut out = vec![0u8; key.ciphertext_size()];
    let len = key
        .encrypt(alg, plaintext, &mut out, label)
        .map_err(|_| CryptoError::internal("RSA-OAEP encrypt"))?
        .len();
    out.truncate(len);
    Ok(out)
}

/// Decrypts an RSA-OAEP ciphertext with `pkcs8`; any decoding failure is `AuthenticationFailed`.
pub fn rsa_oaep_decrypt(
    pkcs8: &[u8],
    hash: OaepHash,
    label: Option<&[u8]>,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    // aws-lc validates the key when loading it below.
    let kind = private_kind(pkcs8)?;
    if kind != AsymmetricKind::Rsa {
        return Err(CryptoError::InvalidParameters(format!(
            "RSA-OAEP needs an RSA private key, got {kind:?}"
        )));
    }
    let private = PrivateDecryptingKey::from_pkcs8(pkcs8)
        .map_err(|e| CryptoError::InvalidKey(format!("RSA PKCS#8: {e}")))?;
    let key = OaepPrivateDecryptingKey::new(private)
        .map_err(|_| CryptoError::InvalidKey("RSA PKCS#8: not usable for OAEP".into()))?;
    if ciphertext.len() != key.key_size_bytes() {
        return Err(CryptoError::InvalidParameters(format!(
            "data length {}: RSA-OAEP ciphertext for this key is {} bytes",
            ciphertext.len(),
            key.key_size_bytes()
        )));
    }
    let mut out = Zeroizing::new(vec![0u8; key.min_output_size()]);
    let len = key
        .decrypt(algorithm(hash), ciphertext, &mut out, label)
        .map_err(|_| CryptoError::AuthenticationFailed)?
        .len();
    out.truncate(len);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::*;

    #[test]
    fn decrypts_openssl_ciphertexts() {
        let p = rsa_oaep_decrypt(
            RSA_PKCS8,
            OaepHash::Sha256,
            Some(b"label"),
            RSA_OAEP_SHA256_LABEL,
        )
        .unwrap();
        assert_eq!(p.as_slice(), MSG);
        let p = rsa_oaep_decrypt(RSA_PKCS8, OaepHash::Sha1, None, RSA_OAEP_SHA1).unwrap();
        assert_eq!(p.as_slice(), MSG);
    }

    #[test]
    fn wrong_label_hash_or_data_fail_authentication() {
        let fail = Err(CryptoError::AuthenticationFailed);
        assert_eq!(
            rsa_oaep_decrypt(
                RSA_PKCS8,
                OaepHash::Sha256,
                Some(b"lab"),
                RSA_OAEP_SHA256_LABEL
            ),
            fail
        );
        assert_eq!(
            rsa_oaep_decrypt(RSA_PKCS8, OaepHash::Sha256, None, RSA_OAEP_SHA256_LABEL),
            fail
        );
        assert_eq!(
            rsa_oaep_decrypt(
                RSA_PKCS8,
                OaepHash::Sha1,
                Some(b"label"),
                RSA_OAEP_SHA256_LABEL
            ),
            fail
        );
        let mut bad = RSA_OAEP_SHA1.to_vec();
        bad[100] ^= 1;
        assert_eq!(
            rsa_oaep_decrypt(RSA_PKCS8, OaepHash::Sha1, None, &bad),
            fail
        );
        let err = rsa_oaep_decrypt(RSA_PKCS8, OaepHash::Sha1, None, &RSA_OAEP_SHA1[..255]);
        assert!(matches!(err, Err(CryptoError::InvalidParameters(_))));
    }

    #[test]
    fn round_trips_every_hash() {
        for hash in [
            OaepHash::Sha1,
            OaepHash::Sha256,
            OaepHash::Sha384,
            OaepHash::Sha512,
        ] {
            for label in [None, Some(&b"a label"[..])] {
                let c =
                    rsa_oaep_encrypt(RSA_SPKI, hash, label, b"a 32-byte AES key goes in here..")
                        .unwrap();
                assert_eq!(c.len(), 256);
                let p = rsa_oaep_decrypt(RSA_PKCS8, hash, label, &c).unwrap();
                assert_eq!(p.as_slice(), b"a 32-byte AES key goes in here..");
            }
        }
    }

    #[test]
    fn parameter_errors() {
        // 2048-bit key, SHA-256: at most 256 - 2*32 - 2 = 190 bytes.
        assert!(rsa_oaep_encrypt(RSA_SPKI, OaepHash::Sha256, None, &[0u8; 190]).is_ok());
        let err = rsa_oaep_encrypt(RSA_SPKI, OaepHash::Sha256, None, &[0u8; 191]);
        assert!(matches!(err, Err(CryptoError::InvalidParameters(m)) if m.contains("190")));
        let err = rsa_oaep_encrypt(P256_SPKI, OaepHash::Sha256, None, b"x");
        assert!(matches!(err, Err(CryptoError::InvalidParameters(_))));
        let err = rsa_oaep_decrypt(P256_PKCS8, OaepHash::Sha256, None, b"x");
        assert!(matches!(err, Err(CryptoError::InvalidParameters(_))));
        assert!(matches!(
            rsa_oaep_encrypt(b"junk", OaepHash::Sha1, None, b"x"),
            Err(CryptoError::InvalidKey(_))
        ));
    }
}
