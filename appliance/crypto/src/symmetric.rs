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
use crate::nonce::public_random;

/// AES-GCM nonce length; the only one accepted.
const GCM_IV_LEN: usize = 12;
/// AES-CBC IV and AES-CTR counter block length.
const BLOCK_LEN: usize = 16;
/// Full GCM tag length.
const GCM_TAG_LEN: usize = 16;
/// Messages above this are refused (GCM's limit is 2^36 - 32 bytes; keep far below it).
const MAX_MESSAGE_LEN: usize = u32::MAX as usize;

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

/// The buffer a plaintext is encrypted in: wiped if encryption fails before it became
/// ciphertext, and sized up front (`headroom` for padding) so it never reallocates and leaves a
/// plaintext copy in freed memory. Take the ciphertext out with `std::mem::take` on success.
fn working_copy(plaintext: &[u8], headroom: usize) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(plaintext.len().saturating_add(headroom)));
    out.extend_from_slice(plaintext);
    out
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
    let aad = aad.filter(|a| !a.is_empty() || matches!(mode, SymmetricMode::Gcm { .. }));
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
            public_random(len)?
        }
    };
    match mode {
        SymmetricMode::Gcm { tag_len } => {
            AesGcmKey::new(key)?.encrypt(Some(&iv), aad.unwrap_or_default(), plaintext, tag_len)
        }
        SymmetricMode::Cbc { pkcs7: true } => {
            let key = PaddedBlockEncryptingKey::cbc_pkcs7(cipher_key(key)?)
                .map_err(|_| CryptoError::internal("AES-CBC key setup"))?;
            // Room for the padding block, so padding never reallocates and leaves a copy.
            let mut out = working_copy(plaintext, BLOCK_LEN);
            key.less_safe_encrypt(
                &mut *out,
                EncryptionContext::Iv128(FixedLength::from(block_iv(&iv)?)),
            )
            .map_err(|_| CryptoError::internal("AES-CBC encrypt"))?;
            Ok(Encrypted {
                iv,
                ciphertext: std::mem::take(&mut *out),
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
            let mut out = working_copy(plaintext, 0);
            if !out.is_empty() {
                key.less_safe_encrypt(
                    out.as_mut_slice(),
                    EncryptionContext::Iv128(FixedLength::from(block_iv(&iv)?)),
                )
                .map_err(|_| CryptoError::internal("AES-CBC encrypt"))?;
            }
            Ok(Encrypted {
                iv,
                ciphertext: std::mem::take(&mut *out),
                tag: None,
            })
        }
        SymmetricMode::Ctr => {
            let mut out = working_copy(plaintext, 0);
            ctr_apply(key, &block_iv(&iv)?, &mut out)?;
            Ok(Encrypted {
                iv,
                ciphertext: std::mem::take(&mut *out),
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
    let aad = aad.filter(|a| !a.is_empty() || matches!(mode, SymmetricMode::Gcm { .. }));
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
            AesGcmKey::new(key)?.decrypt(iv, aad.unwrap_or_default(), ciphertext, tag)
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

/// An AES-GCM key whose key schedule is computed once, for hot paths that encrypt many small
/// messages under one key (object key material under a domain KEK). `Send + Sync`.
pub struct AesGcmKey {
    aead: LessSafeKey,
    // The truncated-tag path needs AES-CTR under the same key.
    raw: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for AesGcmKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AesGcmKey")
            .field("bits", &(self.raw.len() * 8))
            .field("key", &"<redacted>")
            .finish()
    }
}

impl AesGcmKey {
    /// Prepares an AES-GCM key of 16, 24 or 32 bytes.
    pub fn new(key: &[u8]) -> Result<Self, CryptoError> {
        Ok(Self {
            aead: gcm_key(key)?,
            raw: Zeroizing::new(key.to_vec()),
        })
    }

    /// Encrypts with the given 12-byte IV (or a random one) and a tag of `tag_len` (12..=16) bytes.
    pub fn encrypt(
        &self,
        iv: Option<&[u8]>,
        aad: &[u8],
        plaintext: &[u8],
        tag_len: usize,
    ) -> Result<Encrypted, CryptoError> {
        check_len(plaintext.len())?;
        check_tag_len(tag_len)?;
        let iv = match iv {
            Some(iv) => {
                check_iv(SymmetricMode::Gcm { tag_len }, iv)?;
                iv.to_vec()
            }
            None => public_random(GCM_IV_LEN)?,
        };
        let mut out = working_copy(plaintext, 0);
        let tag = gcm_seal(&self.aead, &iv, aad, &mut out)?;
        let tag = tag
            .get(..tag_len)
            .ok_or_else(|| CryptoError::internal("GCM tag"))?
            .to_vec();
        Ok(Encrypted {
            iv,
            ciphertext: std::mem::take(&mut *out),
            tag: Some(tag),
        })
    }

    /// Decrypts and checks the tag (12..=16 bytes); a mismatch is `AuthenticationFailed`.
    pub fn decrypt(
        &self,
        iv: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
        tag: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        check_len(ciphertext.len())?;
        check_tag_len(tag.len())?;
        let iv12 = <[u8; GCM_IV_LEN]>::try_from(iv).map_err(|_| {
            CryptoError::InvalidParameters(format!(
                "IV length {}: AES-GCM needs 12 bytes",
                iv.len()
            ))
        })?;
        if tag.len() == GCM_TAG_LEN {
            let nonce = Nonce::assume_unique_for_key(iv12);
            let mut buf = Zeroizing::new(Vec::with_capacity(ciphertext.len() + GCM_TAG_LEN));
            buf.extend_from_slice(ciphertext);
            buf.extend_from_slice(tag);
            let len = self
                .aead
                .open_in_place(nonce, Aad::from(aad), &mut buf)
                .map_err(|_| CryptoError::AuthenticationFailed)?
                .len();
            buf.truncate(len);
            return Ok(buf);
        }
        // Truncated tag: see the module comment.
        let mut counter = [0u8; BLOCK_LEN];
        counter[..GCM_IV_LEN].copy_from_slice(&iv12);
        counter[BLOCK_LEN - 1] = 2;
        let mut plaintext = Zeroizing::new(ciphertext.to_vec());
        ctr_apply(&self.raw, &counter, &mut plaintext)?;
        let mut resealed = Zeroizing::new(plaintext.to_vec());
        let full_tag = gcm_seal(&self.aead, iv, aad, &mut resealed)?;
        let prefix = full_tag
            .get(..tag.len())
            .ok_or(CryptoError::AuthenticationFailed)?;
        aws_lc_rs::constant_time::verify_slices_are_equal(prefix, tag)
            .map_err(|_| CryptoError::AuthenticationFailed)?;
        Ok(plaintext)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keygen::random_bytes;
    use crate::testdata::hex;
    use proptest::prelude::*;

    const GCM_K: &str = "feffe9928665731c6d6a8f9467308308";
    const GCM_IV: &str = "cafebabefacedbaddecaf888";
    const GCM_P: &str = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
                         1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
    const GCM_C: &str = "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e\
                         21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985";
    const GCM_AAD: &str = "feedfacedeadbeeffeedfacedeadbeefabaddad2";

    fn gcm(tag_len: usize) -> SymmetricMode {
        SymmetricMode::Gcm { tag_len }
    }

    fn kat_gcm(k: &str, iv: &str, p: &str, aad: Option<&str>, c: &str, t: &str) {
        let (k, iv, p, c, t) = (hex(k), hex(iv), hex(p), hex(c), hex(t));
        let aad = aad.map(hex);
        let enc = aes_encrypt(&k, gcm(t.len()), Some(&iv), aad.as_deref(), &p).unwrap();
        assert_eq!(enc.ciphertext, c);
        assert_eq!(enc.tag.as_deref(), Some(t.as_slice()));
        assert_eq!(enc.iv, iv);
        let dec = aes_decrypt(&k, gcm(t.len()), &iv, aad.as_deref(), &c, Some(&t)).unwrap();
        assert_eq!(dec.as_slice(), p.as_slice());
    }

    // McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 1-4, 13, 14.
    #[test]
    fn gcm_known_answers() {
        let z16 = "00000000000000000000000000000000";
        let z12 = "000000000000000000000000";
        kat_gcm(z16, z12, "", None, "", "58e2fccefa7e3061367f1d57a4e7455a");
        kat_gcm(
            z16,
            z12,
            z16,
            None,
            "0388dace60b6a392f328c2b971b2fe78",
            "ab6e47d42cec13bdf53a67b21257bddf",
        );
        kat_gcm(
            GCM_K,
            GCM_IV,
            GCM_P,
            None,
            GCM_C,
            "4d5c2af327cd64a62cf35abd2ba6fab4",
        );
        kat_gcm(
            GCM_K,
            GCM_IV,
            &GCM_P[..120],
            Some(GCM_AAD),
            &GCM_C[..120],
            "5bc94fbc3221a5db94fae95ae7121a47",
        );
        let z32 = "0000000000000000000000000000000000000000000000000000000000000000";
        kat_gcm(z32, z12, "", None, "", "530f8afbc74536b9a963b4f1c4cb738b");
        kat_gcm(
            z32,
            z12,
            z16,
            None,
            "cea7403d4d606b6e074ec5d3baf39d18",
            "d0d1c8a799996bf0265b98b5d48ab919",
        );
    }

    #[test]
    fn cbc_padding_fits_the_working_copy_without_reallocating() {
        let key = [7u8; 32];
        for len in 0..=48usize {
            let plaintext = vec![0xA5u8; len];
            let mut out = working_copy(&plaintext, BLOCK_LEN);
            let (ptr, cap) = (out.as_ptr(), out.capacity());
            let cipher = PaddedBlockEncryptingKey::cbc_pkcs7(cipher_key(&key).unwrap()).unwrap();
            cipher
                .less_safe_encrypt(
                    &mut *out,
                    EncryptionContext::Iv128(FixedLength::from([0u8; BLOCK_LEN])),
                )
                .unwrap();
            // A reallocation would have left the plaintext in the old, unwiped allocation.
            assert_eq!((out.as_ptr(), out.capacity()), (ptr, cap), "length {len}");
            assert_eq!(out.len(), (len / BLOCK_LEN + 1) * BLOCK_LEN);
        }
    }

    #[test]
    fn encrypt_errors_after_the_copy_still_fail_cleanly() {
        // CTR checks the key after the plaintext was copied: the copy must be dropped wiped
        // (Zeroizing), and the caller sees the key error.
        let result = aes_encrypt(&[1u8; 15], SymmetricMode::Ctr, None, None, b"secret");
        assert!(
            matches!(result, Err(CryptoError::InvalidKey(_))),
            "{result:?}"
        );
    }

    #[test]
    fn reusable_gcm_key_matches_one_shot_and_is_shareable() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<AesGcmKey>();
        let k = hex(GCM_K);
        let key = AesGcmKey::new(&k).unwrap();
        assert!(format!("{key:?}").contains("<redacted>"));
        let (iv, aad) = (hex(GCM_IV), hex(GCM_AAD));
        let p = hex(&GCM_P[..120]);
        for tag_len in [12, 16] {
            let a = key.encrypt(Some(&iv), &aad, &p, tag_len).unwrap();
            let b = aes_encrypt(&k, gcm(tag_len), Some(&iv), Some(&aad), &p).unwrap();
            assert_eq!(a, b);
            let tag = a.tag.unwrap();
            assert_eq!(
                key.decrypt(&iv, &aad, &a.ciphertext, &tag)
                    .unwrap()
                    .as_slice(),
                p.as_slice()
            );
        }
        let err = key.decrypt(&iv, &aad, &p, &[0u8; 8]).unwrap_err();
        assert!(matches!(err, CryptoError::InvalidParameters(m) if m.contains("tag length 8")));
        let err = key.decrypt(&iv[..8], &aad, &p, &[0u8; 16]).unwrap_err();
        assert!(matches!(err, CryptoError::InvalidParameters(m) if m.contains("IV length 8")));
        assert!(matches!(
            AesGcmKey::new(&[0u8; 20]),
            Err(CryptoError::InvalidKey(_))
        ));
    }

    #[test]
    fn gcm_truncated_tags_known_answers() {
        let full = "5bc94fbc3221a5db94fae95ae7121a47";
        for tag_len in 12..=16 {
            kat_gcm(
                GCM_K,
                GCM_IV,
                &GCM_P[..120],
                Some(GCM_AAD),
                &GCM_C[..120],
                &full[..tag_len * 2],
            );
        }
    }

    #[test]
    fn gcm_rejects_tampering() {
        let k = hex(GCM_K);
        let aad = hex(GCM_AAD);
        for tag_len in [12, 14, 16] {
            let enc = aes_encrypt(&k, gcm(tag_len), None, Some(&aad), b"attack at dawn").unwrap();
            let tag = enc.tag.clone().unwrap();
            let open = |key: &[u8], aad: &[u8], ct: &[u8], tag: &[u8]| {
                aes_decrypt(key, gcm(tag_len), &enc.iv, Some(aad), ct, Some(tag))
            };
            assert_eq!(
                open(&k, &aad, &enc.ciphertext, &tag).unwrap().as_slice(),
                b"attack at dawn"
            );
            let mut bad_tag = tag.clone();
            bad_tag[0] ^= 1;
            assert_eq!(
                open(&k, &aad, &enc.ciphertext, &bad_tag),
                Err(CryptoError::AuthenticationFailed)
            );
            let mut bad_ct = enc.ciphertext.clone();
            bad_ct[3] ^= 0x80;
            assert_eq!(
                open(&k, &aad, &bad_ct, &tag),
                Err(CryptoError::AuthenticationFailed)
            );
            let truncated = &enc.ciphertext[..enc.ciphertext.len() - 1];
            assert_eq!(
                open(&k, &aad, truncated, &tag),
                Err(CryptoError::AuthenticationFailed)
            );
            assert_eq!(
                open(&k, b"other aad", &enc.ciphertext, &tag),
                Err(CryptoError::AuthenticationFailed)
            );
            let mut other_key = k.clone();
            other_key[0] ^= 1;
            assert_eq!(
                open(&other_key, &aad, &enc.ciphertext, &tag),
                Err(CryptoError::AuthenticationFailed)
            );
        }
    }

    #[test]
    fn gcm_parameter_errors_name_the_parameter() {
        let k = [7u8; 16];
        let err = aes_encrypt(&k, gcm(16), Some(&[0u8; 7]), None, b"x").unwrap_err();
        assert_eq!(
            err,
            CryptoError::InvalidParameters("IV length 7: AES-GCM needs 12 bytes".into())
        );
        let err = aes_encrypt(&k, gcm(11), None, None, b"x").unwrap_err();
        assert!(matches!(err, CryptoError::InvalidParameters(m) if m.contains("tag length 11")));
        let err = aes_encrypt(&[0u8; 15], gcm(16), None, None, b"x").unwrap_err();
        assert!(matches!(err, CryptoError::InvalidKey(m) if m.contains("15 bytes")));
        let err = aes_decrypt(&k, gcm(16), &[0u8; 12], None, b"x", None).unwrap_err();
        assert!(matches!(err, CryptoError::InvalidParameters(m) if m.contains("tag")));
        let err = aes_decrypt(&k, gcm(16), &[0u8; 12], None, b"x", Some(&[0u8; 12])).unwrap_err();
        assert!(matches!(err, CryptoError::InvalidParameters(m) if m.contains("tag length 12")));
        let err = aes_encrypt(&k, SymmetricMode::Ctr, None, Some(b"aad"), b"x").unwrap_err();
        assert!(matches!(err, CryptoError::InvalidParameters(m) if m.contains("additional")));
        // Empty AAD is the same as none, so a caller may always pass it.
        let enc = aes_encrypt(&k, SymmetricMode::Ctr, None, Some(b""), b"x").unwrap();
        let dec = aes_decrypt(
            &k,
            SymmetricMode::Ctr,
            &enc.iv,
            Some(b""),
            &enc.ciphertext,
            None,
        );
        assert_eq!(dec.unwrap().as_slice(), b"x");
    }

    const SP800_38A_KEY128: &str = "2b7e151628aed2a6abf7158809cf4f3c";
    const SP800_38A_KEY256: &str =
        "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";
    const SP800_38A_P: &str = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51\
                               30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
    const CBC_IV: &str = "000102030405060708090a0b0c0d0e0f";

    fn kat_unauthenticated(mode: SymmetricMode, k: &str, iv: &str, c: &str) {
        let (k, iv, p, c) = (hex(k), hex(iv), hex(SP800_38A_P), hex(c));
        let enc = aes_encrypt(&k, mode, Some(&iv), None, &p).unwrap();
        assert_eq!(enc.ciphertext, c);
        assert_eq!(enc.tag, None);
        assert_eq!(
            aes_decrypt(&k, mode, &iv, None, &c, None)
                .unwrap()
                .as_slice(),
            p.as_slice()
        );
    }

    // NIST SP 800-38A F.2.1, F.2.5 (CBC) and F.5.1, F.5.5 (CTR).
    #[test]
    fn cbc_and_ctr_known_answers() {
        let cbc = SymmetricMode::Cbc { pkcs7: false };
        kat_unauthenticated(
            cbc,
            SP800_38A_KEY128,
            CBC_IV,
            "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2\
             73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7",
        );
        kat_unauthenticated(
            cbc,
            SP800_38A_KEY256,
            CBC_IV,
            "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d\
             39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b",
        );
        let ctr_iv = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
        kat_unauthenticated(
            SymmetricMode::Ctr,
            SP800_38A_KEY128,
            ctr_iv,
            "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff\
             5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee",
        );
        kat_unauthenticated(
            SymmetricMode::Ctr,
            SP800_38A_KEY256,
            ctr_iv,
            "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5\
             2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6",
        );
    }

    #[test]
    fn cbc_pkcs7_pads_and_matches_unpadded_prefix() {
        let k = hex(SP800_38A_KEY128);
        let iv = hex(CBC_IV);
        let p = hex(SP800_38A_P);
        let padded =
            aes_encrypt(&k, SymmetricMode::Cbc { pkcs7: true }, Some(&iv), None, &p).unwrap();
        let raw =
            aes_encrypt(&k, SymmetricMode::Cbc { pkcs7: false }, Some(&iv), None, &p).unwrap();
        assert_eq!(padded.ciphertext.len(), p.len() + 16);
        assert_eq!(&padded.ciphertext[..p.len()], raw.ciphertext.as_slice());
        let back = aes_decrypt(
            &k,
            SymmetricMode::Cbc { pkcs7: true },
            &iv,
            None,
            &padded.ciphertext,
            None,
        );
        assert_eq!(back.unwrap().as_slice(), p.as_slice());
    }

    #[test]
    fn cbc_bad_padding_is_authentication_failure() {
        let k = [9u8; 32];
        let iv = [1u8; 16];
        // A block ending in 0x00 is never valid PKCS#7 padding once decrypted.
        let block = [0u8; 16];
        let enc = aes_encrypt(
            &k,
            SymmetricMode::Cbc { pkcs7: false },
            Some(&iv),
            None,
            &block,
        )
        .unwrap();
        let err = aes_decrypt(
            &k,
            SymmetricMode::Cbc { pkcs7: true },
            &iv,
            None,
            &enc.ciphertext,
            None,
        );
        assert_eq!(err, Err(CryptoError::AuthenticationFailed));
        let err = aes_decrypt(
            &k,
            SymmetricMode::Cbc { pkcs7: true },
            &iv,
            None,
            &enc.ciphertext[..15],
            None,
        );
        assert!(matches!(err, Err(CryptoError::InvalidParameters(_))));
        let err = aes_encrypt(
            &k,
            SymmetricMode::Cbc { pkcs7: false },
            None,
            None,
            &[0u8; 15],
        );
        assert!(
            matches!(err, Err(CryptoError::InvalidParameters(m)) if m.contains("multiple of 16"))
        );
        let err = aes_encrypt(
            &k,
            SymmetricMode::Cbc { pkcs7: true },
            Some(&[0u8; 12]),
            None,
            b"x",
        );
        assert!(
            matches!(err, Err(CryptoError::InvalidParameters(m)) if m.contains("IV length 12"))
        );
    }

    #[test]
    fn generated_ivs_have_mode_length_and_differ() {
        let k = [3u8; 16];
        for (mode, len) in [
            (gcm(16), 12),
            (SymmetricMode::Cbc { pkcs7: true }, 16),
            (SymmetricMode::Ctr, 16),
        ] {
            let a = aes_encrypt(&k, mode, None, None, b"same").unwrap();
            let b = aes_encrypt(&k, mode, None, None, b"same").unwrap();
            assert_eq!(a.iv.len(), len);
            assert_ne!(a.iv, b.iv);
        }
    }

    fn mode_strategy() -> impl Strategy<Value = SymmetricMode> {
        prop_oneof![
            (12usize..=16).prop_map(|tag_len| SymmetricMode::Gcm { tag_len }),
            any::<bool>().prop_map(|pkcs7| SymmetricMode::Cbc { pkcs7 }),
            Just(SymmetricMode::Ctr),
        ]
    }

    proptest! {
        #[test]
        fn round_trip(
            key_len in prop::sample::select(vec![16usize, 24, 32]),
            mode in mode_strategy(),
            data in prop::collection::vec(any::<u8>(), 0..300),
            aad in prop::option::of(prop::collection::vec(any::<u8>(), 0..40)),
        ) {
            let key = random_bytes(key_len).unwrap();
            let gcm = matches!(mode, SymmetricMode::Gcm { .. });
            let aad = if gcm { aad } else { None };
            let mut data = data;
            if mode == (SymmetricMode::Cbc { pkcs7: false }) {
                data.truncate(data.len() / 16 * 16);
            }
            let enc = aes_encrypt(&key, mode, None, aad.as_deref(), &data).unwrap();
            let dec = aes_decrypt(&key, mode, &enc.iv, aad.as_deref(), &enc.ciphertext, enc.tag.as_deref()).unwrap();
            prop_assert_eq!(dec.as_slice(), data.as_slice());
            if gcm {
                let mut tag = enc.tag.clone().unwrap();
                tag[0] ^= 0x40;
                let bad = aes_decrypt(&key, mode, &enc.iv, aad.as_deref(), &enc.ciphertext, Some(&tag));
                prop_assert_eq!(bad, Err(CryptoError::AuthenticationFailed));
            }
        }

        #[test]
        fn decrypt_never_panics(
            key in prop::collection::vec(any::<u8>(), 0..40),
            mode in mode_strategy(),
            iv in prop::collection::vec(any::<u8>(), 0..20),
            data in prop::collection::vec(any::<u8>(), 0..100),
            tag in prop::option::of(prop::collection::vec(any::<u8>(), 0..20)),
        ) {
            let _ = aes_decrypt(&key, mode, &iv, None, &data, tag.as_deref());
            let _ = aes_encrypt(&key, mode, Some(&iv), None, &data);
        }
    }
}
