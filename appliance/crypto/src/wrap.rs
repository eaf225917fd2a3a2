//! AES key wrap (RFC 3394) and key wrap with padding (RFC 5649).

use aws_lc_rs::key_wrap::{AES_128, AES_256, AesKek, KeyWrap, KeyWrapPadded};
use zeroize::Zeroizing;

use crate::CryptoError;

fn kek(key: &[u8]) -> Result<AesKek, CryptoError> {
    let cipher = match key.len() {
        16 => &AES_128,
        32 => &AES_256,
        24 => {
            return Err(CryptoError::Unsupported(
                "AES-192 key-encryption key: aws-lc key wrap supports AES-128 and AES-256".into(),
            ));
        }
        n => {
            return Err(CryptoError::InvalidKey(format!(
                "key-encryption key length {n} bytes: must be 16 or 32"
            )));
        }
    };
    AesKek::new(cipher, key).map_err(|_| CryptoError::internal("AES KEK setup"))
}

/// Wraps `key` under `kek` with RFC 3394; `key` must be a multiple of 8 bytes, at least 16.
pub fn aes_key_wrap(kek_bytes: &[u8], key: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if key.len() < 16 || !key.len().is_multiple_of(8) {
        return Err(CryptoError::InvalidParameters(format!(
            "key to wrap is {} bytes: RFC 3394 needs a multiple of 8, at least 16",
            key.len()
        )));
    }
    let kek = kek(kek_bytes)?;
    let mut out = vec![0u8; key.len() + 8];
    let len = kek
        .wrap(key, &mut out)
        .map_err(|_| CryptoError::internal("AES key wrap"))?
        .len();
    out.truncate(len);
    Ok(out)
}

/// Unwraps an RFC 3394 blob; a wrong KEK or altered blob gives `AuthenticationFailed`.
pub fn aes_key_unwrap(kek_bytes: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if wrapped.len() < 24 || !wrapped.len().is_multiple_of(8) {
        return Err(CryptoError::InvalidParameters(format!(
            "wrapped key is {} bytes: RFC 3394 needs a multiple of 8, at least 24",
            wrapped.len()
        )));
    }
    let kek = kek(kek_bytes)?;
    let mut out = Zeroizing::new(vec![0u8; wrapped.len()]);
    let len = kek
        .unwrap(wrapped, &mut out)
        .map_err(|_| CryptoError::AuthenticationFailed)?
        .len();
    out.truncate(len);
    Ok(out)
}

/// Wraps `key` (any non-empty length) under `kek` with RFC 5649 (AES-KWP).
pub fn aes_key_wrap_pad(kek_bytes: &[u8], key: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if key.is_empty() {
        return Err(CryptoError::InvalidParameters(
            "key to wrap is empty: RFC 5649 needs at least 1 byte".into(),
        ));
    }
    let kek = kek(kek_bytes)?;
    let mut out = vec![0u8; key.len() + 16];
    let len = kek
        .wrap_with_padding(key, &mut out)
        .map_err(|_| CryptoError::internal("AES key wrap with padding"))?
        .len();
    out.truncate(len);
    Ok(out)
}

/// Unwraps an RFC 5649 blob; a wrong KEK or altered blob gives `AuthenticationFailed`.
pub fn aes_key_unwrap_pad(
    kek_bytes: &[u8],
    wrapped: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if wrapped.len() < 16 || !wrapped.len().is_multiple_of(8) {
        return Err(CryptoError::InvalidParameters(format!(
            "wrapped key is {} bytes: RFC 5649 needs a multiple of 8, at least 16",
            wrapped.len()
        )));
    }
    let kek = kek(kek_bytes)?;
    let mut out = Zeroizing::new(vec![0u8; wrapped.len()]);
    let len = kek
        .unwrap_with_padding(wrapped, &mut out)
        .map_err(|_| CryptoError::AuthenticationFailed)?
        .len();
    out.truncate(len);
    Ok(out)
}
