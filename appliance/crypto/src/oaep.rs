//! RSA-OAEP encryption (MGF1 with the same hash as the label hash).

use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OAEP_SHA384_MGF1SHA384, OAEP_SHA512_MGF1SHA512,
    OaepAlgorithm, OaepPrivateDecryptingKey, OaepPublicEncryptingKey, PrivateDecryptingKey,
    PublicEncryptingKey,
};
use zeroize::Zeroizing;

use crate::CryptoError;
use crate::formats::{AsymmetricKind, inspect_private_pkcs8, inspect_public_spki};

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
    let (kind, _) = inspect_private_pkcs8(pkcs8)?;
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
