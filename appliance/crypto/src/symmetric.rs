//! AES in GCM, CBC and CTR modes.
//!
//! GCM tags shorter than 16 bytes: aws-lc-rs AEAD only produces and checks 16-byte tags. Encrypt
//! truncates the tag. Decrypt with a truncated tag runs AES-CTR from the counter block
//! `IV || 00000002` (where GCM starts encrypting), re-seals the candidate plaintext with GCM to
//! recompute the full tag, and compares the prefix in constant time; the candidate plaintext is
//! only returned when the tags match and is zeroized otherwise. aws-lc's CTR increments the
//! whole 128-bit block while GCM increments the low 32 bits; they differ only after 2^32 blocks
//! (64 GiB), far beyond what a KMS request carries, and such lengths are rejected anyway.

use aws_lc_rs::aead::{AES_128_GCM, AES_192_GCM, AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::cipher::{
    AES_128, AES_192, AES_256, Algorithm, DecryptingKey, DecryptionContext, EncryptingKey,
    EncryptionContext, PaddedBlockDecryptingKey, PaddedBlockEncryptingKey, UnboundCipherKey,
};
use aws_lc_rs::iv::FixedLength;
use zeroize::Zeroizing;

use crate::CryptoError;
use crate::keygen::random_bytes;

/// AES-GCM nonce length; the only one accepted.
const GCM_IV_LEN: usize = 12;
/// AES-CBC IV and AES-CTR counter block length.
const BLOCK_LEN: usize = 16;
/// Full GCM tag length.
const GCM_TAG_LEN: usize = 16;
/// Messages above this are refused (GCM's limit is 2^36 - 32 bytes; keep far below it).
const MAX_MESSAGE_LEN: usize = 1 << 32;

/// Block-cipher mode for [`aes_encrypt`] / [`aes_decrypt`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SymmetricMode {
    /// AES-GCM with a 12-byte IV; `tag_len` from 12 to 16 bytes.
    Gcm {
        /// Authentication tag length in bytes (12..=16).
        tag_len: usize,
    },
    /// AES-CBC with a 16-byte IV; without PKCS#7 the data must be a multiple of 16 bytes.
    Cbc {
        /// Whether to apply / remove PKCS#7 padding.
        pkcs7: bool,
    },
    /// AES-CTR with a 16-byte initial counter block (big-endian 128-bit increment).
    Ctr,
}

/// Output of [`aes_encrypt`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encrypted {
    /// The IV / nonce / initial counter block used (generated when none was given).
    pub iv: Vec<u8>,
    /// The ciphertext (same length as the plaintext, except CBC with PKCS#7).
    pub ciphertext: Vec<u8>,
    /// The authentication tag, GCM only.
    pub tag: Option<Vec<u8>>,
}

fn block_algorithm(key: &[u8]) -> Result<&'static Algorithm, CryptoError> {
    match key.len() {
        16 => Ok(&AES_128),
        24 => Ok(&AES_192),
        32 => Ok(&AES_256),
        n => Err(CryptoError::InvalidKey(format!(
            "AES key length {n} bytes: must be 16, 24 or 32"
        ))),
    }
}

fn gcm_key(key: &[u8]) -> Result<LessSafeKey, CryptoError> {
    let alg = match key.len() {
        16 => &AES_128_GCM,
        24 => &AES_192_GCM,
        32 => &AES_256_GCM,
        n => {
            return Err(CryptoError::InvalidKey(format!(
                "AES key length {n} bytes: must be 16, 24 or 32"
            )));
        }
    };
    let unbound =
        UnboundKey::new(alg, key).map_err(|_| CryptoError::internal("AES-GCM key setup"))?;
    Ok(LessSafeKey::new(unbound))
}

fn cipher_key(key: &[u8]) -> Result<UnboundCipherKey, CryptoError> {
    UnboundCipherKey::new(block_algorithm(key)?, key)
        .map_err(|_| CryptoError::internal("AES key setup"))
}

fn check_tag_len(tag_len: usize) -> Result<(), CryptoError> {
    if (12..=GCM_TAG_LEN).contains(&tag_len) {
        Ok(())
    } else {
        Err(CryptoError::InvalidParameters(format!(
            "tag length {tag_len}: AES-GCM tags must be 12 to 16 bytes"
        )))
    }
}

fn check_iv(mode: SymmetricMode, iv: &[u8]) -> Result<(), CryptoError> {
    let (want, name) = match mode {
        SymmetricMode::Gcm { .. } => (GCM_IV_LEN, "AES-GCM"),
        SymmetricMode::Cbc { .. } => (BLOCK_LEN, "AES-CBC"),
        SymmetricMode::Ctr => (BLOCK_LEN, "AES-CTR"),
    };
    if iv.len() == want {
        Ok(())
    } else {
        Err(CryptoError::InvalidParameters(format!(
            "IV length {}: {name} needs {want} bytes",
            iv.len()
        )))
    }
}

fn block_iv(iv: &[u8]) -> Result<[u8; BLOCK_LEN], CryptoError> {
    <[u8; BLOCK_LEN]>::try_from(iv).map_err(|_| {
        CryptoError::InvalidParameters(format!("IV length {}: needs {BLOCK_LEN} bytes", iv.len()))
    })
}

fn check_len(len: usize) -> Result<(), CryptoError> {
    if len > MAX_MESSAGE_LEN {
        return Err(CryptoError::InvalidParameters(format!(
            "data length {len} bytes: at most {MAX_MESSAGE_LEN}"
        )));
    }
    Ok(())
}

/// Encrypts `plaintext` with AES (key of 16, 24 or 32 bytes) in `mode`.
///
/// `iv: None` generates a random IV of the mode's length; `aad` is only allowed with GCM.
pub fn aes_encrypt(
    key: &[u8],
    mode: SymmetricMode,
    iv: Option<&[u8]>,
    aad: Option<&[u8]>,
    plaintext: &[u8],
) -> Result<Encrypted, CryptoError> {
    check_len(plaintext.len())?;
    if aad.is_some() && !matches!(mode, SymmetricMode::Gcm { .. }) {
        return Err(CryptoError::InvalidParameters(
            "additional authenticated data: only AES-GCM accepts it".into(),
        ));
    }
    let iv: Vec<u8> = match iv {
        Some(iv) => {
            check_iv(mode, iv)?;
            iv.to_vec()
        }
        None => {
            let len = if matches!(mode, SymmetricMode::Gcm { .. }) {
                GCM_IV_LEN
            } else {
                BLOCK_LEN
            };
            random_bytes(len)?.to_vec()
        }
    };
    match mode {
        SymmetricMode::Gcm { tag_len } => {
            check_tag_len(tag_len)?;
            let key = gcm_key(key)?;
            let mut out = plaintext.to_vec();
            let tag = gcm_seal(&key, &iv, aad.unwrap_or_default(), &mut out)?;
            let tag = tag
                .get(..tag_len)
                .ok_or_else(|| CryptoError::internal("GCM tag"))?
                .to_vec();
            Ok(Encrypted {
                iv,
                ciphertext: out,
                tag: Some(tag),
            })
        }
        SymmetricMode::Cbc { pkcs7: true } => {
            let key = PaddedBlockEncryptingKey::cbc_pkcs7(cipher_key(key)?)
                .map_err(|_| CryptoError::internal("AES-CBC key setup"))?;
            let mut out = plaintext.to_vec();
            key.less_safe_encrypt(
                &mut out,
                EncryptionContext::Iv128(FixedLength::from(block_iv(&iv)?)),
            )
            .map_err(|_| CryptoError::internal("AES-CBC encrypt"))?;
            Ok(Encrypted {
                iv,
                ciphertext: out,
                tag: None,
            })
        }
        SymmetricMode::Cbc { pkcs7: false } => {
            if !plaintext.len().is_multiple_of(BLOCK_LEN) {
                return Err(CryptoError::InvalidParameters(format!(
                    "data length {}: AES-CBC without padding needs a multiple of 16 bytes",
                    plaintext.len()
                )));
            }
            let key = EncryptingKey::cbc(cipher_key(key)?)
                .map_err(|_| CryptoError::internal("AES-CBC key setup"))?;
            let mut out = plaintext.to_vec();
            if !out.is_empty() {
                key.less_safe_encrypt(
                    &mut out,
                    EncryptionContext::Iv128(FixedLength::from(block_iv(&iv)?)),
                )
                .map_err(|_| CryptoError::internal("AES-CBC encrypt"))?;
            }
            Ok(Encrypted {
                iv,
                ciphertext: out,
                tag: None,
            })
        }
        SymmetricMode::Ctr => {
            let mut out = plaintext.to_vec();
            ctr_apply(key, &block_iv(&iv)?, &mut out)?;
            Ok(Encrypted {
                iv,
                ciphertext: out,
                tag: None,
            })
        }
    }
}

/// Decrypts with AES in `mode`; a bad tag or bad PKCS#7 padding gives `AuthenticationFailed`.
///
/// `tag` is required for GCM (its length must equal `tag_len`) and refused otherwise.
pub fn aes_decrypt(
    key: &[u8],
    mode: SymmetricMode,
    iv: &[u8],
    aad: Option<&[u8]>,
    ciphertext: &[u8],
    tag: Option<&[u8]>,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    check_len(ciphertext.len())?;
    check_iv(mode, iv)?;
    if !matches!(mode, SymmetricMode::Gcm { .. }) {
        if aad.is_some() {
            return Err(CryptoError::InvalidParameters(
                "additional authenticated data: only AES-GCM accepts it".into(),
            ));
        }
        if tag.is_some() {
            return Err(CryptoError::InvalidParameters(
                "authentication tag: only AES-GCM uses one".into(),
            ));
        }
    }
    match mode {
        SymmetricMode::Gcm { tag_len } => {
            check_tag_len(tag_len)?;
            let tag = tag.ok_or_else(|| {
                CryptoError::InvalidParameters("authentication tag: AES-GCM needs one".into())
            })?;
            if tag.len() != tag_len {
                return Err(CryptoError::InvalidParameters(format!(
                    "tag length {}: expected {tag_len} bytes",
                    tag.len()
                )));
            }
            gcm_open(key, iv, aad.unwrap_or_default(), ciphertext, tag)
        }
        SymmetricMode::Cbc { pkcs7: true } => {
            if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(BLOCK_LEN) {
                return Err(CryptoError::InvalidParameters(format!(
                    "data length {}: AES-CBC ciphertext with PKCS#7 needs a non-zero multiple of 16 bytes",
                    ciphertext.len()
                )));
            }
            let dkey = PaddedBlockDecryptingKey::cbc_pkcs7(cipher_key(key)?)
                .map_err(|_| CryptoError::internal("AES-CBC key setup"))?;
            let mut buf = Zeroizing::new(ciphertext.to_vec());
            let len = dkey
                .decrypt(
                    &mut buf,
                    DecryptionContext::Iv128(FixedLength::from(block_iv(iv)?)),
                )
                .map_err(|_| CryptoError::AuthenticationFailed)?
                .len();
            buf.truncate(len);
            Ok(buf)
        }
        SymmetricMode::Cbc { pkcs7: false } => {
            if !ciphertext.len().is_multiple_of(BLOCK_LEN) {
                return Err(CryptoError::InvalidParameters(format!(
                    "data length {}: AES-CBC without padding needs a multiple of 16 bytes",
                    ciphertext.len()
                )));
            }
            let dkey = DecryptingKey::cbc(cipher_key(key)?)
                .map_err(|_| CryptoError::internal("AES-CBC key setup"))?;
            let mut buf = Zeroizing::new(ciphertext.to_vec());
            if !buf.is_empty() {
                dkey.decrypt(
                    &mut buf,
                    DecryptionContext::Iv128(FixedLength::from(block_iv(iv)?)),
                )
                .map_err(|_| CryptoError::internal("AES-CBC decrypt"))?;
            }
            Ok(buf)
        }
        SymmetricMode::Ctr => {
            let mut buf = Zeroizing::new(ciphertext.to_vec());
            ctr_apply(key, &block_iv(iv)?, &mut buf)?;
            Ok(buf)
        }
    }
}

/// AES-CTR keystream XOR in place (encryption and decryption are the same operation).
fn ctr_apply(key: &[u8], counter: &[u8; BLOCK_LEN], data: &mut [u8]) -> Result<(), CryptoError> {
    if data.is_empty() {
        return Ok(());
    }
    let ekey = EncryptingKey::ctr(cipher_key(key)?)
        .map_err(|_| CryptoError::internal("AES-CTR key setup"))?;
    ekey.less_safe_encrypt(data, EncryptionContext::Iv128(FixedLength::from(*counter)))
        .map_err(|_| CryptoError::internal("AES-CTR"))?;
    Ok(())
}

/// Seals in place and returns the full 16-byte tag.
fn gcm_seal(
    key: &LessSafeKey,
    iv: &[u8],
    aad: &[u8],
    in_out: &mut [u8],
) -> Result<[u8; GCM_TAG_LEN], CryptoError> {
    let nonce = Nonce::try_assume_unique_for_key(iv).map_err(|_| {
        CryptoError::InvalidParameters(format!("IV length {}: AES-GCM needs 12 bytes", iv.len()))
    })?;
    let tag = key
        .seal_in_place_separate_tag(nonce, Aad::from(aad), in_out)
        .map_err(|_| CryptoError::internal("AES-GCM seal"))?;
    <[u8; GCM_TAG_LEN]>::try_from(tag.as_ref()).map_err(|_| CryptoError::internal("AES-GCM tag"))
}

fn gcm_open(
    key_bytes: &[u8],
    iv: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let key = gcm_key(key_bytes)?;
    if tag.len() == GCM_TAG_LEN {
        let nonce = Nonce::try_assume_unique_for_key(iv).map_err(|_| {
            CryptoError::InvalidParameters(format!(
                "IV length {}: AES-GCM needs 12 bytes",
                iv.len()
            ))
        })?;
        let mut buf = Zeroizing::new(Vec::with_capacity(ciphertext.len() + GCM_TAG_LEN));
        buf.extend_from_slice(ciphertext);
        buf.extend_from_slice(tag);
        let len = key
            .open_in_place(nonce, Aad::from(aad), &mut buf)
            .map_err(|_| CryptoError::AuthenticationFailed)?
            .len();
        buf.truncate(len);
        return Ok(buf);
    }
    // Truncated tag: see the module comment.
    let mut counter = [0u8; BLOCK_LEN];
    counter[..GCM_IV_LEN].copy_from_slice(iv);
    counter[BLOCK_LEN - 1] = 2;
    let mut plaintext = Zeroizing::new(ciphertext.to_vec());
    ctr_apply(key_bytes, &counter, &mut plaintext)?;
    let mut resealed = Zeroizing::new(plaintext.to_vec());
    let full_tag = gcm_seal(&key, iv, aad, &mut resealed)?;
    let prefix = full_tag
        .get(..tag.len())
        .ok_or(CryptoError::AuthenticationFailed)?;
    aws_lc_rs::constant_time::verify_slices_are_equal(prefix, tag)
        .map_err(|_| CryptoError::AuthenticationFailed)?;
    Ok(plaintext)
}
