//! Checkpoint signatures: the [`Signer`] a node key sits behind, public keys and key ids, and
//! the Ed25519 signer on aws-lc-rs used by default and in tests.

use std::fmt;
use std::str::FromStr;

use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use crate::error::AuditError;
use crate::hex;

/// Longest signature a checkpoint may carry (room for a post-quantum algorithm later).
pub const MAX_SIGNATURE_LEN: usize = 8192;

/// Bytes of an Ed25519 public key.
const ED25519_PUBLIC_LEN: usize = 32;

/// Signs checkpoints with the node key. The daemon's implementation holds the key sealed
/// under the HSM-wrapped KEK; [`Ed25519Signer`] holds it in memory.
pub trait Signer: Send + Sync {
    /// Signs `msg`, a checkpoint's signed bytes. A failure stops the log (it fails closed).
    fn sign(&self, msg: &[u8]) -> Result<Signature, AuditError>;
    /// The public half, stored beside the log so that `verify` can check signatures.
    fn public_key(&self) -> PublicKey;
}

/// A signature algorithm. Variants are only appended: the key file names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureAlgorithm {
    /// Ed25519 (RFC 8032).
    Ed25519,
}

impl SignatureAlgorithm {
    /// The name used in key files and in `ALGORITHM:HEX` key text.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureAlgorithm::Ed25519 => "ed25519",
        }
    }

    fn public_len(self) -> usize {
        match self {
            SignatureAlgorithm::Ed25519 => ED25519_PUBLIC_LEN,
        }
    }
}

/// A signature's bytes, at most [`MAX_SIGNATURE_LEN`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature(Vec<u8>);

impl Signature {
    /// A signature from its bytes; an error when longer than [`MAX_SIGNATURE_LEN`].
    pub fn new(bytes: Vec<u8>) -> Result<Signature, AuditError> {
        if bytes.len() > MAX_SIGNATURE_LEN {
            return Err(AuditError::Signer {
                reason: format!(
                    "{}-byte signature, at most {MAX_SIGNATURE_LEN}",
                    bytes.len()
                ),
            });
        }
        Ok(Signature(bytes))
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

/// Short identifier of a public key: the first 8 bytes of SHA-256(algorithm name || 0 || key).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId([u8; 8]);

impl KeyId {
    /// The id's bytes.
    pub const fn as_bytes(&self) -> &[u8; 8] {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(&self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

impl Serialize for KeyId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        hex::serialize_array(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for KeyId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        hex::deserialize_array(d).map(KeyId)
    }
}

/// A public key that checkpoint signatures are checked with. Its text form is
/// `ALGORITHM:HEX`, e.g. `ed25519:3d40…`, for pinning it on a command line.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PublicKey {
    algorithm: SignatureAlgorithm,
    bytes: Vec<u8>,
}

impl PublicKey {
    /// A key from its algorithm and encoded bytes (32 bytes for Ed25519).
    pub fn new(algorithm: SignatureAlgorithm, bytes: Vec<u8>) -> Result<PublicKey, AuditError> {
        if bytes.len() != algorithm.public_len() {
            return Err(AuditError::Invalid {
                field: "public key",
                reason: format!(
                    "{} bytes, {} needs {}",
                    bytes.len(),
                    algorithm.as_str(),
                    algorithm.public_len()
                ),
            });
        }
        Ok(PublicKey { algorithm, bytes })
    }

    /// The algorithm.
    pub fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    /// The encoded key.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The key's id, recorded in every checkpoint it signs.
    pub fn key_id(&self) -> KeyId {
        let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        ctx.update(self.algorithm.as_str().as_bytes());
        ctx.update(&[0]);
        ctx.update(&self.bytes);
        let d = ctx.finish();
        let mut id = [0u8; 8];
        id.copy_from_slice(&d.as_ref()[..8]);
        KeyId(id)
    }

    /// True when `signature` is this key's signature of `msg`.
    pub fn verify(&self, msg: &[u8], signature: &[u8]) -> bool {
        match self.algorithm {
            SignatureAlgorithm::Ed25519 => UnparsedPublicKey::new(&ED25519, &self.bytes)
                .verify(msg, signature)
                .is_ok(),
        }
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}",
            self.algorithm.as_str(),
            hex::encode(&self.bytes)
        )
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

impl FromStr for PublicKey {
    type Err = AuditError;
    fn from_str(s: &str) -> Result<PublicKey, AuditError> {
        let bad = |reason: &str| AuditError::Invalid {
            field: "public key",
            reason: reason.to_string(),
        };
        let (alg, key) = s
            .split_once(':')
            .ok_or_else(|| bad("expected ALGORITHM:HEX"))?;
        let algorithm = match alg {
            "ed25519" => SignatureAlgorithm::Ed25519,
            _ => return Err(bad("unknown algorithm")),
        };
        // Only short keys are parsed, so this allocation is bounded by the check before it.
        if key.len() > 2 * algorithm.public_len() {
            return Err(bad("too long"));
        }
        let bytes = hex::decode(key).ok_or_else(|| bad("not hex"))?;
        PublicKey::new(algorithm, bytes)
    }
}

/// An Ed25519 node key held in memory.
pub struct Ed25519Signer {
    pair: Ed25519KeyPair,
    public: PublicKey,
}

impl Ed25519Signer {
    /// A fresh random key.
    pub fn generate() -> Result<Ed25519Signer, AuditError> {
        let pair = Ed25519KeyPair::generate().map_err(|_| AuditError::Signer {
            reason: "Ed25519 key generation failed".to_string(),
        })?;
        Ed25519Signer::from_pair(pair)
    }

    /// A fresh random key as PKCS#8 DER, for the caller to seal and later pass to
    /// [`Ed25519Signer::from_pkcs8`].
    pub fn generate_pkcs8() -> Result<Zeroizing<Vec<u8>>, AuditError> {
        let pair = Ed25519KeyPair::generate().map_err(|_| AuditError::Signer {
            reason: "Ed25519 key generation failed".to_string(),
        })?;
        let doc = pair.to_pkcs8().map_err(|_| AuditError::Signer {
            reason: "Ed25519 key export failed".to_string(),
        })?;
        Ok(Zeroizing::new(doc.as_ref().to_vec()))
    }

    /// The key in a PKCS#8 DER document.
    pub fn from_pkcs8(der: &[u8]) -> Result<Ed25519Signer, AuditError> {
        let pair = Ed25519KeyPair::from_pkcs8(der).map_err(|e| AuditError::Signer {
            reason: format!("not an Ed25519 PKCS#8 key: {e}"),
        })?;
        Ed25519Signer::from_pair(pair)
    }

    fn from_pair(pair: Ed25519KeyPair) -> Result<Ed25519Signer, AuditError> {
        let public = PublicKey::new(
            SignatureAlgorithm::Ed25519,
            pair.public_key().as_ref().to_vec(),
        )?;
        Ok(Ed25519Signer { pair, public })
    }
}

impl fmt::Debug for Ed25519Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ed25519Signer")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl Signer for Ed25519Signer {
    fn sign(&self, msg: &[u8]) -> Result<Signature, AuditError> {
        Signature::new(self.pair.sign(msg).as_ref().to_vec())
    }

    fn public_key(&self) -> PublicKey {
        self.public.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ed25519_signs_and_verifies() {
        let s = Ed25519Signer::generate().unwrap();
        let sig = s.sign(b"checkpoint").unwrap();
        let pk = s.public_key();
        assert!(pk.verify(b"checkpoint", sig.as_bytes()));
        assert!(!pk.verify(b"checkpoinT", sig.as_bytes()));
        let other = Ed25519Signer::generate().unwrap().public_key();
        assert!(!other.verify(b"checkpoint", sig.as_bytes()));
        assert_ne!(pk.key_id(), other.key_id());
    }

    #[test]
    fn pkcs8_roundtrip_keeps_the_key() {
        let der = Ed25519Signer::generate_pkcs8().unwrap();
        let a = Ed25519Signer::from_pkcs8(&der).unwrap();
        let b = Ed25519Signer::from_pkcs8(&der).unwrap();
        assert_eq!(a.public_key(), b.public_key());
        assert!(Ed25519Signer::from_pkcs8(b"not der").is_err());
    }

    #[test]
    fn public_key_text_roundtrip_and_rejects() {
        let pk = Ed25519Signer::generate().unwrap().public_key();
        let text = pk.to_string();
        assert!(text.starts_with("ed25519:"));
        assert_eq!(text.parse::<PublicKey>().unwrap(), pk);
        for bad in [
            "",
            "ed25519",
            "rsa:00",
            "ed25519:zz",
            "ed25519:00",
            &format!("{text}00"),
        ] {
            assert!(bad.parse::<PublicKey>().is_err(), "{bad:?}");
        }
    }
}
