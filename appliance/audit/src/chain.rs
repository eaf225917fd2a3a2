//! The hash chain: every record's hash covers the hash of the record before it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::hex;

/// Bytes of a chain hash (SHA-256).
pub const HASH_LEN: usize = 32;

/// SHA-256 chain value: `SHA-256(previous chain hash || record payload)`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChainHash([u8; HASH_LEN]);

impl ChainHash {
    /// What the first record of a log chains from.
    pub const GENESIS: ChainHash = ChainHash([0; HASH_LEN]);

    /// A hash from its bytes.
    pub const fn from_bytes(bytes: [u8; HASH_LEN]) -> ChainHash {
        ChainHash(bytes)
    }

    /// The hash's bytes.
    pub const fn as_bytes(&self) -> &[u8; HASH_LEN] {
        &self.0
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(&self.0)
    }

    /// The link after `prev` for a record whose payload is `payload`. `prev` is a slice so the
    /// scanner can pass the 32 bytes in front of a record without copying them.
    pub(crate) fn link(prev: &[u8], payload: &[u8]) -> ChainHash {
        let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        ctx.update(prev);
        ctx.update(payload);
        let d = ctx.finish();
        let mut out = [0u8; HASH_LEN];
        out.copy_from_slice(d.as_ref());
        ChainHash(out)
    }
}

impl fmt::Display for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChainHash({})", self.to_hex())
    }
}

impl Serialize for ChainHash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        hex::serialize_array(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for ChainHash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        hex::deserialize_array(d).map(ChainHash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_is_sha256_of_prev_then_payload() {
        // SHA-256 of 32 zero bytes followed by "abc", computed independently.
        let mut joined = vec![0u8; 32];
        joined.extend_from_slice(b"abc");
        let want = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &joined);
        let got = ChainHash::link(ChainHash::GENESIS.as_bytes(), b"abc");
        assert_eq!(got.as_bytes().as_slice(), want.as_ref());
    }

    #[test]
    fn serde_is_hex_in_json_and_raw_in_postcard() {
        let h = ChainHash::from_bytes([0xab; 32]);
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, format!("\"{}\"", "ab".repeat(32)));
        assert_eq!(serde_json::from_str::<ChainHash>(&json).unwrap(), h);
        let bin = postcard::to_stdvec(&h).unwrap();
        assert_eq!(bin, [0xab; 32]);
        assert_eq!(postcard::from_bytes::<ChainHash>(&bin).unwrap(), h);
    }
}
