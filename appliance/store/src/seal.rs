//! Sealing of object key material under a domain KEK (AES-256-GCM, AAD bound to the object).

use aws_lc_rs::aead::{AES_256_GCM, NONCE_LEN, UnboundKey};
use aws_lc_rs::digest;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::StoreError;
use crate::key_memory::{AeadKey, KEY_LEN, KeyRejected, random_nonce};

/// Length of a domain KEK in bytes (AES-256).
pub const KEK_LEN: usize = KEY_LEN;

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

/// An unwrapped domain KEK: zeroized on drop, locked in RAM when the OS allows, never printed
/// (see [`AeadKey`] for what exactly is locked).
pub struct DomainKek {
    key: AeadKey,
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
        let key = AeadKey::new_with(&bytes, make_key).map_err(|e| StoreError::InvalidKek {
            reason: match e {
                KeyRejected::Length(n) => format!("key is {n} bytes, expected {KEK_LEN}"),
                KeyRejected::Schedule => "AES-256-GCM rejected the key".to_string(),
            },
        })?;
        Ok(DomainKek { key, version })
    }

    /// The KEK version stamped into everything it seals.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Whether the key bytes are locked in RAM (mlock succeeded).
    pub fn is_memory_locked(&self) -> bool {
        self.key.is_memory_locked()
    }

    /// Seals `plaintext` for the object described by `binding`, with a fresh random nonce.
    pub fn seal(
        &self,
        binding: &MaterialBinding<'_>,
        plaintext: &[u8],
    ) -> Result<SealedMaterial, StoreError> {
        let nonce = random_nonce()?;
        let ciphertext = self.key.seal(nonce, &binding.aad(), plaintext)?;
        Ok(SealedMaterial {
            kek_version: self.version,
            nonce,
            ciphertext,
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
        self.key
            .open(sealed.nonce, &binding.aad(), &sealed.ciphertext)
            .ok_or_else(|| StoreError::MaterialAuthentication {
                uuid: binding.uuid.to_string(),
            })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_key_schedule_still_wipes_the_kek_bytes() {
        let wipes = crate::key_memory::tests::wipes;
        let before = wipes();
        let res = DomainKek::new_with(Zeroizing::new(vec![0x5A; KEK_LEN]), 1, |k| {
            // The bytes handed to aws-lc are the caller's key, from the guarded buffer.
            assert_eq!(k, &[0x5A; KEK_LEN][..]);
            Err(aws_lc_rs::error::Unspecified)
        });
        assert!(matches!(res, Err(StoreError::InvalidKek { .. })));
        assert_eq!(wipes(), before + 1);

        let k = kek(1);
        assert_eq!(wipes(), before + 1);
        drop(k);
        assert_eq!(wipes(), before + 2);
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
