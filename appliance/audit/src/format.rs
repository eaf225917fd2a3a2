//! The bytes of a segment file (the crate README draws them).
//!
//! `segment = header record*`, `header = "KWAUDIT1" | u64 BE segment number | prev hash (32)`,
//! `record = u32 BE payload length | payload | hash (32)`, where `hash = SHA-256(prev ||
//! payload)` and `prev` is the 32 bytes right in front of the record: the previous record's
//! hash, or the header's prev hash for the first record. So every record can be checked on
//! its own, which is what tells a torn tail from damage in front of good records.
//! The payload is a postcard [`Body`]: an entry with its sequence number, or a checkpoint.

use serde::{Deserialize, Serialize};

use crate::chain::{ChainHash, HASH_LEN};
use crate::entry::{AuditEntry, Timestamp};
use crate::signer::KeyId;

/// First bytes of every segment file.
pub(crate) const SEGMENT_MAGIC: [u8; 8] = *b"KWAUDIT1";
/// Bytes of the segment header.
pub(crate) const HEADER_LEN: usize = SEGMENT_MAGIC.len() + 8 + HASH_LEN;
/// Bytes of a record's length prefix.
pub(crate) const LEN_PREFIX: usize = 4;
/// Largest payload a record may have: a maximal entry is under 5 KiB, a checkpoint carries at
/// most an 8 KiB signature.
pub const MAX_RECORD_PAYLOAD: usize = 16 * 1024;
/// Largest segment file a reader accepts (the writer rotates far below this).
pub const MAX_SEGMENT_FILE: u64 = 1 << 30;
/// Bytes a record occupies around its payload.
pub(crate) const RECORD_OVERHEAD: usize = LEN_PREFIX + HASH_LEN;

/// The header of a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SegmentHeader {
    /// Number of the segment, also in its file name; the first is 1.
    pub number: u64,
    /// Chain hash in front of the segment's first record.
    pub prev: ChainHash,
}

impl SegmentHeader {
    /// The header's bytes.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[..8].copy_from_slice(&SEGMENT_MAGIC);
        out[8..16].copy_from_slice(&self.number.to_be_bytes());
        out[16..].copy_from_slice(self.prev.as_bytes());
        out
    }

    /// Parses the header at the start of a segment file.
    pub fn parse(bytes: &[u8]) -> Result<SegmentHeader, &'static str> {
        let Some(h) = bytes.get(..HEADER_LEN) else {
            return Err("file is shorter than a segment header");
        };
        if h[..8] != SEGMENT_MAGIC {
            return Err("not an audit segment (bad magic)");
        }
        let mut number = [0u8; 8];
        number.copy_from_slice(&h[8..16]);
        let mut prev = [0u8; HASH_LEN];
        prev.copy_from_slice(&h[16..]);
        Ok(SegmentHeader {
            number: u64::from_be_bytes(number),
            prev: ChainHash::from_bytes(prev),
        })
    }
}

/// Why a checkpoint was written. Variants are only appended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckpointKind {
    /// The first record of every segment: anchors it, so it can be read on its own.
    SegmentStart,
    /// Written every N entries or T seconds.
    Periodic,
    /// Written by a clean close; the log is whole up to here.
    Close,
    /// Written by an open that found no closing checkpoint (a crash or a kill).
    Recovered {
        /// Entries that were after the last checkpoint when the log was reopened, so were
        /// unsigned until now.
        unsigned_entries: u64,
        /// Bytes of a torn last write that the open cut off.
        torn_bytes: u64,
    },
}

impl CheckpointKind {
    fn code(self) -> (u8, u64, u64) {
        match self {
            CheckpointKind::SegmentStart => (0, 0, 0),
            CheckpointKind::Periodic => (1, 0, 0),
            CheckpointKind::Close => (2, 0, 0),
            CheckpointKind::Recovered {
                unsigned_entries,
                torn_bytes,
            } => (3, unsigned_entries, torn_bytes),
        }
    }
}

/// A signed statement that the chain up to `seq` ends in `hash`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Checkpoint {
    /// The segment holding it.
    pub segment: u64,
    /// The last entry it covers (0 before the first entry).
    pub seq: u64,
    /// Chain hash of the record in front of it.
    pub hash: ChainHash,
    /// When it was written.
    pub time: Timestamp,
    /// Why.
    pub kind: CheckpointKind,
    /// The signing key.
    pub key_id: KeyId,
    /// Signature of [`Checkpoint::signed_message`].
    pub signature: Vec<u8>,
}

/// Domain separation for checkpoint signatures.
const SIGNED_DOMAIN: &[u8; 30] = b"keywarden audit checkpoint v1\0";
/// Bytes of a checkpoint's signed message.
pub(crate) const SIGNED_LEN: usize = SIGNED_DOMAIN.len() + 8 + 8 + 8 + HASH_LEN + 8 + 1 + 8 + 8;

impl Checkpoint {
    /// What the signature covers, in a fixed layout an outside verifier can rebuild:
    /// `domain | key id | segment BE | seq BE | hash | time (i64 ns BE) | kind code |
    /// unsigned entries BE | torn bytes BE`.
    pub fn signed_message(&self) -> [u8; SIGNED_LEN] {
        let (code, unsigned, torn) = self.kind.code();
        let mut out = [0u8; SIGNED_LEN];
        let mut at = 0;
        let mut put = |b: &[u8]| {
            out[at..at + b.len()].copy_from_slice(b);
            at += b.len();
        };
        put(SIGNED_DOMAIN);
        put(self.key_id.as_bytes());
        put(&self.segment.to_be_bytes());
        put(&self.seq.to_be_bytes());
        put(self.hash.as_bytes());
        put(&self.time.unix_nanos().to_be_bytes());
        put(&[code]);
        put(&unsigned.to_be_bytes());
        put(&torn.to_be_bytes());
        out
    }
}

/// A record's payload as written (borrowing the entry, so encoding copies nothing first).
#[derive(Serialize)]
pub(crate) enum BodyRef<'a> {
    /// An entry.
    Entry {
        /// Its sequence number.
        seq: u64,
        /// The entry.
        entry: &'a AuditEntry,
    },
    /// A checkpoint.
    Checkpoint(&'a Checkpoint),
}

/// A record's payload as read; the same layout as [`BodyRef`]. Variants are only appended.
#[derive(Debug, Deserialize)]
pub(crate) enum Body {
    /// An entry.
    Entry {
        /// Its sequence number.
        seq: u64,
        /// The entry.
        entry: AuditEntry,
    },
    /// A checkpoint.
    Checkpoint(Checkpoint),
}

/// Why a record could not be appended.
#[derive(Debug)]
pub(crate) enum EncodeError {
    /// postcard refused the value.
    Codec(postcard::Error),
    /// The payload is over [`MAX_RECORD_PAYLOAD`].
    TooLarge(usize),
}

impl std::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EncodeError::Codec(e) => write!(f, "cannot encode audit record: {e}"),
            EncodeError::TooLarge(n) => {
                write!(f, "{n}-byte audit record, at most {MAX_RECORD_PAYLOAD}")
            }
        }
    }
}

/// Appends the record of `body` after `prev` to `buf` and returns its hash. On error `buf`
/// is cut back to where it was.
pub(crate) fn append_record(
    buf: &mut Vec<u8>,
    prev: &ChainHash,
    body: &BodyRef<'_>,
) -> Result<ChainHash, EncodeError> {
    let start = buf.len();
    buf.extend_from_slice(&[0; LEN_PREFIX]);
    let mut out = match postcard::to_extend(body, std::mem::take(buf)) {
        Ok(out) => out,
        Err(e) => return Err(EncodeError::Codec(e)),
    };
    let len = out.len() - start - LEN_PREFIX;
    if len > MAX_RECORD_PAYLOAD {
        out.truncate(start);
        *buf = out;
        return Err(EncodeError::TooLarge(len));
    }
    // `len` fits: MAX_RECORD_PAYLOAD is far below u32::MAX.
    let len_bytes = u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes();
    out[start..start + LEN_PREFIX].copy_from_slice(&len_bytes);
    let hash = ChainHash::link(prev.as_bytes(), &out[start + LEN_PREFIX..]);
    out.extend_from_slice(hash.as_bytes());
    *buf = out;
    Ok(hash)
}

/// Decodes a payload; the whole payload must be used.
pub(crate) fn decode_body(payload: &[u8]) -> Result<Body, String> {
    let (body, rest) =
        postcard::take_from_bytes::<Body>(payload).map_err(|e| format!("does not decode: {e}"))?;
    if !rest.is_empty() {
        return Err(format!("{} bytes after the record", rest.len()));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::{ObjectIds, Outcome, ReasonMessage};

    fn entry() -> AuditEntry {
        AuditEntry {
            time: Timestamp::from_unix_nanos(5),
            identity: "CN=a".into(),
            role: None,
            operation: "Get".into(),
            objects: ObjectIds::none(),
            outcome: Outcome::Success,
            message: ReasonMessage::empty(),
            client: None,
        }
    }

    #[test]
    fn body_ref_and_body_share_one_layout() {
        let e = entry();
        let bin = postcard::to_stdvec(&BodyRef::Entry { seq: 9, entry: &e }).unwrap();
        match decode_body(&bin).unwrap() {
            Body::Entry { seq, entry } => {
                assert_eq!(seq, 9);
                assert_eq!(entry, e);
            }
            other => panic!("{other:?}"),
        }
        let cp = Checkpoint {
            segment: 2,
            seq: 9,
            hash: ChainHash::from_bytes([3; 32]),
            time: Timestamp::from_unix_nanos(1),
            kind: CheckpointKind::Recovered {
                unsigned_entries: 4,
                torn_bytes: 10,
            },
            key_id: crate::Ed25519Signer::generate()
                .map(|s| crate::Signer::public_key(&s).key_id())
                .unwrap(),
            signature: vec![1, 2, 3],
        };
        let bin = postcard::to_stdvec(&BodyRef::Checkpoint(&cp)).unwrap();
        match decode_body(&bin).unwrap() {
            Body::Checkpoint(got) => assert_eq!(got, cp),
            other => panic!("{other:?}"),
        }
        let mut trailing = bin.clone();
        trailing.push(0);
        assert!(decode_body(&trailing).is_err());
    }

    #[test]
    fn the_entry_payload_is_the_documented_layout() {
        // The README's byte layout, field by field.
        let e = AuditEntry {
            time: Timestamp::from_unix_nanos(5),
            identity: "CN=a".into(),
            role: Some(crate::Role::Auditor),
            operation: "Get".into(),
            objects: ObjectIds::one(uuid::Uuid::from_u128(1)),
            outcome: Outcome::failure("X"),
            message: ReasonMessage::new("m"),
            client: Some("192.0.2.1:443".parse().unwrap()),
        };
        let bin = postcard::to_stdvec(&BodyRef::Entry { seq: 1, entry: &e }).unwrap();
        let mut want = vec![0x00, 0x01, 0x0a, 4, b'C', b'N', b'=', b'a', 0x01, 7];
        want.extend_from_slice(b"auditor");
        want.extend_from_slice(&[3, b'G', b'e', b't', 1, 0x10]);
        want.extend_from_slice(&1u128.to_be_bytes());
        want.extend_from_slice(&[0x01, 1, b'X', 1, b'm', 0x01, 0x00, 192, 0, 2, 1, 0xbb, 0x03]);
        assert_eq!(bin, want);
    }

    #[test]
    fn a_record_is_length_payload_hash() {
        let e = entry();
        let mut buf = vec![0xEE];
        let prev = ChainHash::from_bytes([1; 32]);
        let h = append_record(&mut buf, &prev, &BodyRef::Entry { seq: 1, entry: &e }).unwrap();
        let len = u32::from_be_bytes(buf[1..5].try_into().unwrap()) as usize;
        assert_eq!(buf.len(), 1 + LEN_PREFIX + len + HASH_LEN);
        let payload = &buf[5..5 + len];
        assert_eq!(ChainHash::link(prev.as_bytes(), payload), h);
        assert_eq!(&buf[5 + len..], h.as_bytes());
    }

    #[test]
    fn oversized_records_are_refused_and_undone() {
        let cp = Checkpoint {
            segment: 1,
            seq: 0,
            hash: ChainHash::GENESIS,
            time: Timestamp::from_unix_nanos(0),
            kind: CheckpointKind::Periodic,
            key_id: crate::Ed25519Signer::generate()
                .map(|s| crate::Signer::public_key(&s).key_id())
                .unwrap(),
            signature: vec![0; MAX_RECORD_PAYLOAD],
        };
        let mut buf = vec![7u8; 3];
        let r = append_record(&mut buf, &ChainHash::GENESIS, &BodyRef::Checkpoint(&cp));
        assert!(matches!(r, Err(EncodeError::TooLarge(_))));
        assert_eq!(buf, [7, 7, 7]);
    }

    #[test]
    fn header_roundtrip_and_rejects() {
        let h = SegmentHeader {
            number: 3,
            prev: ChainHash::from_bytes([9; 32]),
        };
        assert_eq!(SegmentHeader::parse(&h.encode()).unwrap(), h);
        assert!(SegmentHeader::parse(&h.encode()[..HEADER_LEN - 1]).is_err());
        let mut bad = h.encode();
        bad[0] = b'X';
        assert!(SegmentHeader::parse(&bad).is_err());
    }

    #[test]
    fn the_signed_message_covers_every_field_but_the_signature() {
        let base = Checkpoint {
            segment: 1,
            seq: 2,
            hash: ChainHash::from_bytes([4; 32]),
            time: Timestamp::from_unix_nanos(3),
            kind: CheckpointKind::Periodic,
            key_id: crate::Ed25519Signer::generate()
                .map(|s| crate::Signer::public_key(&s).key_id())
                .unwrap(),
            signature: vec![],
        };
        let m = base.signed_message();
        let variants = [
            Checkpoint {
                segment: 2,
                ..base.clone()
            },
            Checkpoint {
                seq: 3,
                ..base.clone()
            },
            Checkpoint {
                hash: ChainHash::GENESIS,
                ..base.clone()
            },
            Checkpoint {
                time: Timestamp::from_unix_nanos(4),
                ..base.clone()
            },
            Checkpoint {
                kind: CheckpointKind::Close,
                ..base.clone()
            },
            Checkpoint {
                kind: CheckpointKind::Recovered {
                    unsigned_entries: 0,
                    torn_bytes: 1,
                },
                ..base.clone()
            },
        ];
        for v in variants {
            assert_ne!(v.signed_message(), m, "{v:?}");
        }
        let resigned = Checkpoint {
            signature: vec![1],
            ..base.clone()
        };
        assert_eq!(resigned.signed_message(), m);
    }
}
