//! Sealing of object key material under a domain KEK (AES-256-GCM, AAD bound to the object).

use std::ffi::c_void;
use std::ptr::NonNull;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::digest;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::error::StoreError;

/// Length of a domain KEK in bytes (AES-256).
pub const KEK_LEN: usize = 32;

const AAD_CONTEXT: &[u8] = b"keywarden/material/v1";

/// Key material sealed under a domain KEK. The only way to make one is [`DomainKek::seal`]
/// (or decoding a stored/replicated record), so an [`crate::ObjectRecord`] never holds clear material.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedMaterial {
    kek_version: u32,
    nonce: [u8; NONCE_LEN],
    ciphertext: Vec<u8>,
}

impl SealedMaterial {
    /// Version of the domain KEK that sealed this material.
    pub fn kek_version(&self) -> u32 {
        self.kek_version
    }

    /// The random 96-bit GCM nonce.
    pub fn nonce(&self) -> &[u8; 12] {
        &self.nonce
    }

    /// Ciphertext followed by the 16-byte GCM tag.
    pub fn ciphertext(&self) -> &[u8] {
        &self.ciphertext
    }
}

#[cfg(test)]
impl SealedMaterial {
    /// Test-only constructor for fixtures (golden encodings); production code must use `seal`.
    pub(crate) fn fixture(kek_version: u32, nonce: [u8; NONCE_LEN], ciphertext: Vec<u8>) -> Self {
        SealedMaterial {
            kek_version,
            nonce,
            ciphertext,
        }
    }
}

impl std::fmt::Debug for SealedMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedMaterial")
            .field("kek_version", &self.kek_version)
            .field("ciphertext_len", &self.ciphertext.len())
            .finish_non_exhaustive()
    }
}

/// The object attributes that sealed material is bound to (through the AAD).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaterialBinding<'a> {
    /// Object UUID.
    pub uuid: &'a str,
    /// KMIP Object Type value.
    pub object_type: u32,
    /// KMIP Cryptographic Algorithm value.
    pub algorithm: Option<u32>,
    /// Cryptographic Length.
    pub length: Option<i32>,
}

impl MaterialBinding<'_> {
    /// Canonical AAD: context label, length-prefixed UUID, then SHA-256 of the bound attributes.
    pub fn aad(&self) -> Vec<u8> {
        let mut attrs = Vec::with_capacity(16);
        attrs.extend_from_slice(&self.object_type.to_be_bytes());
        match self.algorithm {
            Some(a) => {
                attrs.push(1);
                attrs.extend_from_slice(&a.to_be_bytes());
            }
            None => attrs.push(0),
        }
        match self.length {
            Some(l) => {
                attrs.push(1);
                attrs.extend_from_slice(&l.to_be_bytes());
            }
            None => attrs.push(0),
        }
        let d = digest::digest(&digest::SHA256, &attrs);
        let uuid = self.uuid.as_bytes();
        let mut out = Vec::with_capacity(AAD_CONTEXT.len() + 4 + uuid.len() + 32);
        out.extend_from_slice(AAD_CONTEXT);
        // A UUID longer than 4 GiB cannot come through any front end; saturate to stay total.
        out.extend_from_slice(&u32::try_from(uuid.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(uuid);
        out.extend_from_slice(d.as_ref());
        out
    }
}

/// Size and alignment of the buffer holding KEK bytes: one 4 KiB page of its own.
const KEY_PAGE: usize = 4096;

/// A page-aligned, page-sized buffer, so `mlock`/`munlock` (which act on whole pages, and do
/// not nest) never touch a page shared with another allocation: unlocking one KEK can't unlock
/// another. On systems whose pages are larger than 4 KiB (some arm64 kernels) two KEKs may still
/// share a page; there, dropping one KEK unlocks the other's page (the bytes stay zeroized on
/// drop either way).
#[repr(C, align(4096))]
struct KeyPage([u8; KEY_PAGE]);

/// The KEK bytes, locked in RAM when the OS allows; zeroized and unlocked on drop, including
/// when constructing the [`DomainKek`] around them fails half way.
struct LockedKeyBytes {
    page: Box<KeyPage>,
    locked: bool,
}

impl LockedKeyBytes {
    fn new(key: &[u8; KEK_LEN]) -> LockedKeyBytes {
        // Built zeroed, then filled in place on the heap: the key never sits on the stack here.
        let mut page = Box::new(KeyPage([0u8; KEY_PAGE]));
        let locked = lock_memory(&mut page.0[..]);
        page.0[..KEK_LEN].copy_from_slice(key);
        LockedKeyBytes { page, locked }
    }

    fn key(&self) -> &[u8] {
        &self.page.0[..KEK_LEN]
    }

    /// Zeroizes the whole page, then unlocks it.
    fn wipe(&mut self) {
        self.page.0.zeroize();
        if self.locked {
            unlock_memory(&mut self.page.0[..]);
            self.locked = false;
        }
    }
}

impl Drop for LockedKeyBytes {
    fn drop(&mut self) {
        self.wipe();
        #[cfg(test)]
        tests::WIPES.with(|w| w.set(w.get() + 1));
    }
}

/// An unwrapped domain KEK: zeroized on drop, locked in RAM when the OS allows, never printed.
///
/// Only the raw key bytes are locked: aws-lc keeps its own expanded AES key schedule (from
/// which the key is recoverable) in the `LessSafeKey`'s `EVP_AEAD_CTX`, an ordinary C heap
/// allocation outside the locked page; aws-lc frees it (`EVP_AEAD_CTX_free`) when the key is
/// dropped, but until then it can be swapped out like any other page.
pub struct DomainKek {
    key: LessSafeKey,
    bytes: LockedKeyBytes,
    version: u32,
}

impl DomainKek {
    /// Takes a 32-byte AES-256 key and its version.
    pub fn new(bytes: Zeroizing<Vec<u8>>, version: u32) -> Result<DomainKek, StoreError> {
        Self::new_with(bytes, version, |k| UnboundKey::new(&AES_256_GCM, k))
    }

    /// `new` with the key schedule construction injected, so tests can make it fail.
    fn new_with(
        bytes: Zeroizing<Vec<u8>>,
        version: u32,
        make_key: impl FnOnce(&[u8]) -> Result<UnboundKey, aws_lc_rs::error::Unspecified>,
    ) -> Result<DomainKek, StoreError> {
        let key: &[u8; KEK_LEN] =
            bytes
                .as_slice()
                .try_into()
                .map_err(|_| StoreError::InvalidKek {
                    reason: format!("key is {} bytes, expected {KEK_LEN}", bytes.len()),
                })?;
        // Owned by a guard from here on, so an error below still zeroizes and unlocks it.
        let locked = LockedKeyBytes::new(key);
        let unbound = make_key(locked.key()).map_err(|_| StoreError::InvalidKek {
            reason: "AES-256-GCM rejected the key".to_string(),
        })?;
        Ok(DomainKek {
            key: LessSafeKey::new(unbound),
            bytes: locked,
            version,
        })
    }

    /// The KEK version stamped into everything it seals.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Whether the key bytes are locked in RAM (mlock succeeded).
    pub fn is_memory_locked(&self) -> bool {
        self.bytes.locked
    }

    /// Seals `plaintext` for the object described by `binding`, with a fresh random nonce.
    pub fn seal(
        &self,
        binding: &MaterialBinding<'_>,
        plaintext: &[u8],
    ) -> Result<SealedMaterial, StoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| StoreError::Crypto {
            reason: "random nonce generation failed".to_string(),
        })?;
        let mut buf = Vec::with_capacity(plaintext.len() + AES_256_GCM.tag_len());
        buf.extend_from_slice(plaintext);
        let res = self.key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(binding.aad()),
            &mut buf,
        );
        if res.is_err() {
            buf.zeroize();
            return Err(StoreError::Crypto {
                reason: "AES-256-GCM seal failed".to_string(),
            });
        }
        Ok(SealedMaterial {
            kek_version: self.version,
            nonce,
            ciphertext: buf,
        })
    }

    /// Opens sealed material; fails unless the KEK version, binding, nonce and ciphertext all match.
    pub fn open(
        &self,
        binding: &MaterialBinding<'_>,
        sealed: &SealedMaterial,
    ) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        if sealed.kek_version != self.version {
            return Err(StoreError::KekVersionMismatch {
                expected: self.version,
                found: sealed.kek_version,
            });
        }
        let mut buf = Zeroizing::new(sealed.ciphertext.clone());
        let len = self
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(sealed.nonce),
                Aad::from(binding.aad()),
                &mut buf[..],
            )
            .map_err(|_| StoreError::MaterialAuthentication {
                uuid: binding.uuid.to_string(),
            })?
            .len();
        buf.truncate(len);
        Ok(buf)
    }
}

impl std::fmt::Debug for DomainKek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DomainKek")
            .field("version", &self.version)
            .field("bytes", &"<redacted>")
            .finish()
    }
}

// Best effort: without CAP_IPC_LOCK or with a low RLIMIT_MEMLOCK the key still works, unlocked.
#[allow(unsafe_code)]
fn lock_memory(buf: &mut [u8]) -> bool {
    let Some(ptr) = NonNull::new(buf.as_mut_ptr().cast::<c_void>()) else {
        return false;
    };
    // SAFETY: `ptr` and `buf.len()` describe a live heap allocation owned by the caller's Box,
    // which is not moved or freed while locked (LockedKeyBytes unlocks it in Drop before the
    // Box is freed).
    unsafe { nix::sys::mman::mlock(ptr, buf.len()) }.is_ok()
}

#[allow(unsafe_code)]
fn unlock_memory(buf: &mut [u8]) {
    if let Some(ptr) = NonNull::new(buf.as_mut_ptr().cast::<c_void>()) {
        // SAFETY: same live allocation that `lock_memory` locked; munlock only changes paging.
        let _ = unsafe { nix::sys::mman::munlock(ptr, buf.len()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        /// How many KEK buffers this test thread zeroized and released.
        pub(super) static WIPES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    #[test]
    fn failed_key_schedule_still_wipes_the_kek_bytes() {
        let before = WIPES.with(std::cell::Cell::get);
        let res = DomainKek::new_with(Zeroizing::new(vec![0x5A; KEK_LEN]), 1, |k| {
            // The bytes handed to aws-lc are the caller's key, from the guarded buffer.
            assert_eq!(k, &[0x5A; KEK_LEN][..]);
            Err(aws_lc_rs::error::Unspecified)
        });
        assert!(matches!(res, Err(StoreError::InvalidKek { .. })));
        assert_eq!(WIPES.with(std::cell::Cell::get), before + 1);

        let k = kek(1);
        assert_eq!(WIPES.with(std::cell::Cell::get), before + 1);
        drop(k);
        assert_eq!(WIPES.with(std::cell::Cell::get), before + 2);
    }

    #[test]
    fn kek_bytes_sit_alone_on_an_aligned_page() {
        let k = kek(1);
        let page: &KeyPage = &k.bytes.page;
        assert_eq!(std::ptr::from_ref(page).addr() % KEY_PAGE, 0);
        assert_eq!(std::mem::size_of::<KeyPage>(), KEY_PAGE);
        assert!(page.0[KEK_LEN..].iter().all(|b| *b == 0));
    }

    #[test]
    fn wipe_zeroizes_the_whole_page() {
        let mut bytes = LockedKeyBytes::new(&[0xC3; KEK_LEN]);
        assert_eq!(bytes.key(), &[0xC3; KEK_LEN][..]);
        bytes.page.0[KEY_PAGE - 1] = 0xC3;
        bytes.wipe();
        assert!(bytes.page.0.iter().all(|b| *b == 0));
        assert!(!bytes.locked);
    }

    fn kek(v: u32) -> DomainKek {
        let mut k = Zeroizing::new(vec![0u8; 32]);
        aws_lc_rs::rand::fill(&mut k[..]).expect("rng");
        DomainKek::new(k, v).expect("kek")
    }

    fn binding(uuid: &str) -> MaterialBinding<'_> {
        MaterialBinding {
            uuid,
            object_type: 2,
            algorithm: Some(3),
            length: Some(256),
        }
    }

    #[test]
    fn seal_open_roundtrip_and_fresh_nonces() {
        let k = kek(1);
        let b = binding("u-1");
        let s1 = k.seal(&b, b"secret key bytes").expect("seal");
        let s2 = k.seal(&b, b"secret key bytes").expect("seal");
        assert_ne!(s1.nonce(), s2.nonce());
        assert_ne!(s1.ciphertext(), b"secret key bytes");
        assert_eq!(&k.open(&b, &s1).expect("open")[..], b"secret key bytes");
    }

    #[test]
    fn tampering_fails_to_open() {
        let k = kek(1);
        let b = binding("u-1");
        let s = k
            .seal(&b, b"0123456789abcdef0123456789abcdef")
            .expect("seal");

        assert!(k.open(&binding("u-2"), &s).is_err(), "uuid");
        let mut other_type = b;
        other_type.object_type = 3;
        assert!(k.open(&other_type, &s).is_err(), "object type");
        let mut other_alg = b;
        other_alg.algorithm = None;
        assert!(k.open(&other_alg, &s).is_err(), "algorithm");
        let mut other_len = b;
        other_len.length = Some(128);
        assert!(k.open(&other_len, &s).is_err(), "length");

        let mut ct = s.clone();
        ct.ciphertext[0] ^= 1;
        assert!(k.open(&b, &ct).is_err(), "ciphertext");
        let mut tag = s.clone();
        let last = tag.ciphertext.len() - 1;
        tag.ciphertext[last] ^= 0x80;
        assert!(k.open(&b, &tag).is_err(), "tag");
        let mut nonce = s.clone();
        nonce.nonce[11] ^= 1;
        assert!(k.open(&b, &nonce).is_err(), "nonce");
        let mut ver = s.clone();
        ver.kek_version = 2;
        assert!(matches!(
            k.open(&b, &ver),
            Err(StoreError::KekVersionMismatch {
                expected: 1,
                found: 2
            })
        ));
        assert!(kek(1).open(&b, &s).is_err(), "other key");
        assert!(k.open(&b, &s).is_ok());
    }

    #[test]
    fn kek_rejects_wrong_length_and_redacts_debug() {
        assert!(DomainKek::new(Zeroizing::new(vec![1u8; 16]), 1).is_err());
        let k = DomainKek::new(Zeroizing::new(vec![0xAB; 32]), 4).expect("kek");
        let dbg = format!("{k:?}");
        assert!(
            !dbg.contains("171") && !dbg.to_lowercase().contains("ab, "),
            "{dbg}"
        );
        assert!(dbg.contains("redacted"));
    }
}
