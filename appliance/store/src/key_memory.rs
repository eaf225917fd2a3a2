//! AES-256-GCM keys whose bytes sit in locked, zeroized memory: what a domain KEK and a
//! storage epoch data key are made of.

use std::ffi::c_void;
use std::ptr::NonNull;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use zeroize::{Zeroize, Zeroizing};

use crate::error::StoreError;

/// Length of every key held here (AES-256).
pub(crate) const KEY_LEN: usize = 32;

/// Length of the GCM tag appended to every ciphertext.
pub(crate) const TAG_LEN: usize = 16;

/// Size and alignment of the buffer holding key bytes: one 4 KiB page of its own.
const KEY_PAGE: usize = 4096;

/// A page-aligned, page-sized buffer, so `mlock`/`munlock` (which act on whole pages, and do
/// not nest) never touch a page shared with another allocation: unlocking one key can't unlock
/// another. On systems whose pages are larger than 4 KiB (some arm64 kernels) two keys may still
/// share a page; there, dropping one key unlocks the other's page (the bytes stay zeroized on
/// drop either way).
#[repr(C, align(4096))]
struct KeyPage([u8; KEY_PAGE]);

/// The key bytes, locked in RAM when the OS allows; zeroized and unlocked on drop, including
/// when constructing the key around them fails half way.
struct LockedKeyBytes {
    page: Box<KeyPage>,
    locked: bool,
}

impl LockedKeyBytes {
    fn new(key: &[u8; KEY_LEN]) -> LockedKeyBytes {
        // Built zeroed, then filled in place on the heap: the key never sits on the stack here.
        let mut page = Box::new(KeyPage([0u8; KEY_PAGE]));
        let locked = lock_memory(&mut page.0[..]);
        page.0[..KEY_LEN].copy_from_slice(key);
        LockedKeyBytes { page, locked }
    }

    fn key(&self) -> &[u8] {
        &self.page.0[..KEY_LEN]
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

/// An AES-256-GCM key: its bytes locked in RAM when the OS allows and zeroized on drop.
///
/// Only the raw key bytes are locked: aws-lc keeps its own expanded AES key schedule (from
/// which the key is recoverable) in the `LessSafeKey`'s `EVP_AEAD_CTX`, an ordinary C heap
/// allocation outside the locked page; aws-lc frees it (`EVP_AEAD_CTX_free`) when the key is
/// dropped, but until then it can be swapped out like any other page.
pub(crate) struct AeadKey {
    key: LessSafeKey,
    bytes: LockedKeyBytes,
}

/// Why a key could not be made; the caller names the kind of key.
pub(crate) enum KeyRejected {
    /// Not [`KEY_LEN`] bytes.
    Length(usize),
    /// aws-lc refused the key schedule.
    Schedule,
}

impl AeadKey {
    /// Takes a 32-byte key.
    pub(crate) fn new(bytes: &Zeroizing<Vec<u8>>) -> Result<AeadKey, KeyRejected> {
        Self::new_with(bytes, |k| UnboundKey::new(&AES_256_GCM, k))
    }

    /// `new` with the key schedule construction injected, so tests can make it fail.
    pub(crate) fn new_with(
        bytes: &Zeroizing<Vec<u8>>,
        make_key: impl FnOnce(&[u8]) -> Result<UnboundKey, aws_lc_rs::error::Unspecified>,
    ) -> Result<AeadKey, KeyRejected> {
        let key: &[u8; KEY_LEN] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| KeyRejected::Length(bytes.len()))?;
        // Owned by a guard from here on, so an error below still zeroizes and unlocks it.
        let locked = LockedKeyBytes::new(key);
        let unbound = make_key(locked.key()).map_err(|_| KeyRejected::Schedule)?;
        Ok(AeadKey {
            key: LessSafeKey::new(unbound),
            bytes: locked,
        })
    }

    /// Whether the key bytes are locked in RAM (mlock succeeded).
    pub(crate) fn is_memory_locked(&self) -> bool {
        self.bytes.locked
    }

    /// Encrypts `plaintext` under `nonce` and `aad`: ciphertext followed by the tag.
    pub(crate) fn seal(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, StoreError> {
        let mut buf = Vec::with_capacity(plaintext.len() + TAG_LEN);
        buf.extend_from_slice(plaintext);
        let res = self.key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut buf,
        );
        if res.is_err() {
            buf.zeroize();
            return Err(StoreError::Crypto {
                reason: "AES-256-GCM seal failed".to_string(),
            });
        }
        Ok(buf)
    }

    /// Decrypts ciphertext-and-tag; `None` unless nonce, AAD, ciphertext and tag all match.
    pub(crate) fn open(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        sealed: &[u8],
    ) -> Option<Zeroizing<Vec<u8>>> {
        let mut buf = Zeroizing::new(sealed.to_vec());
        let len = self
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut buf[..],
            )
            .ok()?
            .len();
        buf.truncate(len);
        Some(buf)
    }
}

/// A fresh random 96-bit GCM nonce.
pub(crate) fn random_nonce() -> Result<[u8; NONCE_LEN], StoreError> {
    let mut nonce = [0u8; NONCE_LEN];
    aws_lc_rs::rand::fill(&mut nonce).map_err(|_| StoreError::Crypto {
        reason: "random nonce generation failed".to_string(),
    })?;
    Ok(nonce)
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
pub(crate) mod tests {
    use super::*;

    thread_local! {
        /// How many key buffers this test thread zeroized and released.
        pub(crate) static WIPES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// How many key buffers this test thread wiped so far.
    pub(crate) fn wipes() -> usize {
        WIPES.with(std::cell::Cell::get)
    }

    fn key() -> AeadKey {
        let mut k = Zeroizing::new(vec![0u8; KEY_LEN]);
        aws_lc_rs::rand::fill(&mut k[..]).expect("rng");
        AeadKey::new(&k).ok().expect("key")
    }

    #[test]
    fn key_bytes_sit_alone_on_an_aligned_page() {
        let k = key();
        let page: &KeyPage = &k.bytes.page;
        assert_eq!(std::ptr::from_ref(page).addr() % KEY_PAGE, 0);
        assert_eq!(std::mem::size_of::<KeyPage>(), KEY_PAGE);
        assert!(page.0[KEY_LEN..].iter().all(|b| *b == 0));
    }

    #[test]
    fn wipe_zeroizes_the_whole_page() {
        let mut bytes = LockedKeyBytes::new(&[0xC3; KEY_LEN]);
        assert_eq!(bytes.key(), &[0xC3; KEY_LEN][..]);
        bytes.page.0[KEY_PAGE - 1] = 0xC3;
        bytes.wipe();
        assert!(bytes.page.0.iter().all(|b| *b == 0));
        assert!(!bytes.locked);
    }

    #[test]
    fn open_needs_the_same_nonce_aad_and_bytes() {
        let k = key();
        let sealed = k.seal([1; NONCE_LEN], b"aad", b"plain").expect("seal");
        assert_eq!(
            k.open([1; NONCE_LEN], b"aad", &sealed)
                .as_deref()
                .map(Vec::as_slice),
            Some(&b"plain"[..])
        );
        assert!(k.open([2; NONCE_LEN], b"aad", &sealed).is_none());
        assert!(k.open([1; NONCE_LEN], b"aaD", &sealed).is_none());
        let mut bad = sealed.clone();
        bad[0] ^= 1;
        assert!(k.open([1; NONCE_LEN], b"aad", &bad).is_none());
        assert!(key().open([1; NONCE_LEN], b"aad", &sealed).is_none());
    }
}
