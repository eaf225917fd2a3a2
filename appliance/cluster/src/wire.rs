//! The replication protocol on port 5432: versioned, length-framed postcard messages.
//!
//! Frame: `u32 BE body length | u16 BE protocol version | postcard Message`. The version in
//! every frame lets a receiver refuse a frame it cannot read instead of misreading it; the
//! `Hello` exchange picks the highest version both ends speak, and `Message` variants are only
//! ever appended (postcard tags are variant indexes), so an older node reads every message a
//! newer one may send it at the older version.

use keywarden_store::{NodeId, Stamp};
use serde::{Deserialize, Serialize};

use crate::error::WireError;
use crate::vector::VersionVector;

/// The newest protocol version this build speaks.
pub const PROTOCOL_VERSION: u16 = 1;
/// The oldest protocol version this build still speaks.
pub const MIN_PROTOCOL_VERSION: u16 = 1;
/// Bytes of a frame header.
pub const HEADER_LEN: usize = 6;

/// Bounds on what a peer may send; a frame beyond them is refused before it is decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest frame body.
    pub max_frame: usize,
    /// Most log entries (and records) in one batch.
    pub max_entries: usize,
    /// Most origins in a version vector (the cluster has at most 32 members, but origins of
    /// removed nodes stay in the vectors).
    pub max_origins: usize,
    /// Longest site name, UUID or reason text.
    pub max_text: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame: 16 << 20,
            max_entries: 4096,
            max_origins: 1024,
            max_text: 256,
        }
    }
}

/// Identity of a cluster: nodes of different clusters never exchange state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClusterId(pub [u8; 16]);

/// One message between two nodes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Message {
    /// First message on a connection, from both ends.
    Hello(Hello),
    /// Consecutive entries of one origin's log with the current records they name.
    Entries(Entries),
    /// What the sender now holds durably, and whether the receiver should resend from there.
    Ack(Ack),
    /// The sender will not talk to the receiver, and why; the connection closes after it.
    Refuse(Refuse),
    /// One page of a snapshot: the current records of every object, in UUID order, for a
    /// peer whose log position this node's logs no longer reach.
    SnapshotPage(SnapshotPage),
    /// The receiver applied a snapshot page durably.
    SnapshotAck(SnapshotAck),
}

/// A page of a snapshot. The records were read after `vector` was taken, so together they
/// hold at least every change that `vector` counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotPage {
    /// What the sender held durably when the snapshot began.
    pub vector: VersionVector,
    /// Number of the page, from 0.
    pub page: u32,
    /// Current records, in UUID order, after those of the previous page.
    pub records: Vec<ShippedRecord>,
    /// The last page: once it is applied the receiver holds everything `vector` counts.
    pub last: bool,
}

/// Acknowledgement of a snapshot page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotAck {
    /// The page applied.
    pub page: u32,
}

/// Who a node is and what it holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// Oldest protocol version the sender speaks.
    pub protocol_min: u16,
    /// Newest protocol version the sender speaks.
    pub protocol_max: u16,
    /// The cluster the sender belongs to.
    pub cluster: ClusterId,
    /// The sender's node id.
    pub node: NodeId,
    /// The sender's site.
    pub site: String,
    /// Everything the sender holds durably, per origin.
    pub durable: VersionVector,
}

/// Entries `first_seq ..` of `origin`'s log; `records` holds the current record of each object
/// they name, once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entries {
    /// Whose log.
    pub origin: NodeId,
    /// Sequence of the first entry (they are consecutive).
    pub first_seq: u64,
    /// The entries, in sequence order.
    pub entries: Vec<EntryRef>,
    /// Current records of the objects named, each once, in the sender's record encoding for
    /// the negotiated version (material sealed under the domain KEK, never under a node key).
    pub records: Vec<ShippedRecord>,
}

/// A log entry on the wire: its sequence is implied by its place in [`Entries`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryRef {
    /// HLC stamp the origin gave the change.
    pub stamp: Stamp,
    /// The object changed.
    pub uuid: String,
}

/// The current state of one object as the sender stores it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippedRecord {
    /// The object.
    pub uuid: String,
    /// Its encoded record.
    pub record: Vec<u8>,
}

/// Acknowledgement of what is durable at the sender.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    /// Everything the sender holds durably, per origin.
    pub durable: VersionVector,
    /// The sender saw a gap: the receiver sends again from `durable` on.
    pub resend: bool,
}

/// Why a node refuses a peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RefuseReason {
    /// No protocol version in common.
    Protocol,
    /// Another cluster.
    Cluster,
    /// Not a member (removed, or never joined).
    NotMember,
    /// Something the peer sent could not be understood or applied.
    Invalid,
}

/// A refusal, with a human-readable detail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refuse {
    /// Why.
    pub reason: RefuseReason,
    /// What exactly, for the operator.
    pub detail: String,
}

/// Length of the frame body announced by `header`, checked against the limit.
pub fn peek_frame(header: &[u8; HEADER_LEN], limits: &Limits) -> Result<(usize, u16), WireError> {
    let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
    let version = u16::from_be_bytes([header[4], header[5]]);
    if len > limits.max_frame {
        return Err(WireError::TooLarge {
            len,
            max: limits.max_frame,
        });
    }
    if !(MIN_PROTOCOL_VERSION..=PROTOCOL_VERSION).contains(&version) {
        return Err(WireError::Version(version));
    }
    Ok((len, version))
}

/// Encodes `msg` as one frame at protocol `version`.
pub fn encode(msg: &Message, version: u16) -> Result<Vec<u8>, WireError> {
    let mut out = vec![0u8; HEADER_LEN];
    out = postcard::to_extend(msg, out).map_err(|e| WireError::Encode(e.to_string()))?;
    let len = u32::try_from(out.len() - HEADER_LEN).map_err(|_| WireError::TooLarge {
        len: out.len(),
        max: u32::MAX as usize,
    })?;
    out[..4].copy_from_slice(&len.to_be_bytes());
    out[4..HEADER_LEN].copy_from_slice(&version.to_be_bytes());
    Ok(out)
}

/// Decodes one whole frame (header and body) and checks it against `limits`; returns the
/// message and the frame's protocol version.
pub fn decode(frame: &[u8], limits: &Limits) -> Result<(Message, u16), WireError> {
    let header: &[u8; HEADER_LEN] = frame
        .get(..HEADER_LEN)
        .and_then(|h| h.try_into().ok())
        .ok_or(WireError::Truncated)?;
    let (len, version) = peek_frame(header, limits)?;
    let body = &frame[HEADER_LEN..];
    if body.len() != len {
        return Err(if body.len() < len {
            WireError::Truncated
        } else {
            WireError::Trailing
        });
    }
    let msg: Message = postcard::from_bytes(body).map_err(|e| WireError::Decode(e.to_string()))?;
    check(&msg, limits)?;
    Ok((msg, version))
}

fn text(field: &'static str, s: &str, limits: &Limits) -> Result<(), WireError> {
    if s.len() > limits.max_text {
        return Err(WireError::Field {
            field,
            reason: format!("{} bytes, at most {}", s.len(), limits.max_text),
        });
    }
    Ok(())
}

fn vector(field: &'static str, v: &VersionVector, limits: &Limits) -> Result<(), WireError> {
    if v.len() > limits.max_origins {
        return Err(WireError::Field {
            field,
            reason: format!("{} origins, at most {}", v.len(), limits.max_origins),
        });
    }
    if !v.is_normal() {
        return Err(WireError::Field {
            field,
            reason: "an origin at sequence 0".into(),
        });
    }
    Ok(())
}

/// What the types do not say: sizes, consecutive sequences, records matching entries.
fn check(msg: &Message, limits: &Limits) -> Result<(), WireError> {
    match msg {
        Message::Hello(h) => {
            if h.protocol_min > h.protocol_max {
                return Err(WireError::Field {
                    field: "hello.protocol_min",
                    reason: "above protocol_max".into(),
                });
            }
            text("hello.site", &h.site, limits)?;
            vector("hello.durable", &h.durable, limits)
        }
        Message::Entries(e) => {
            if e.entries.is_empty() || e.entries.len() > limits.max_entries {
                return Err(WireError::Field {
                    field: "entries.entries",
                    reason: format!(
                        "{} entries, between 1 and {}",
                        e.entries.len(),
                        limits.max_entries
                    ),
                });
            }
            if e.first_seq == 0
                || e.first_seq
                    .checked_add(e.entries.len() as u64 - 1)
                    .is_none()
            {
                return Err(WireError::Field {
                    field: "entries.first_seq",
                    reason: format!("{} cannot start a run of {}", e.first_seq, e.entries.len()),
                });
            }
            if e.records.len() > e.entries.len() {
                return Err(WireError::Field {
                    field: "entries.records",
                    reason: "more records than entries".into(),
                });
            }
            for entry in &e.entries {
                text("entries.entries.uuid", &entry.uuid, limits)?;
                if entry.stamp.node != e.origin {
                    return Err(WireError::Field {
                        field: "entries.entries.stamp",
                        reason: format!(
                            "stamped by {} in the log of {}",
                            entry.stamp.node, e.origin
                        ),
                    });
                }
            }
            let mut seen = std::collections::BTreeSet::new();
            for r in &e.records {
                text("entries.records.uuid", &r.uuid, limits)?;
                if !e.entries.iter().any(|x| x.uuid == r.uuid) || !seen.insert(r.uuid.as_str()) {
                    return Err(WireError::Field {
                        field: "entries.records.uuid",
                        reason: format!("{} is not named once by the entries", r.uuid),
                    });
                }
            }
            Ok(())
        }
        Message::Ack(a) => vector("ack.durable", &a.durable, limits),
        Message::Refuse(r) => text("refuse.detail", &r.detail, limits),
        Message::SnapshotPage(p) => {
            vector("snapshot.vector", &p.vector, limits)?;
            if p.records.len() > limits.max_entries {
                return Err(WireError::Field {
                    field: "snapshot.records",
                    reason: format!(
                        "{} records, at most {}",
                        p.records.len(),
                        limits.max_entries
                    ),
                });
            }
            for r in &p.records {
                text("snapshot.records.uuid", &r.uuid, limits)?;
            }
            if !p.records.windows(2).all(|w| w[0].uuid < w[1].uuid) {
                return Err(WireError::Field {
                    field: "snapshot.records",
                    reason: "not in strictly increasing UUID order".into(),
                });
            }
            Ok(())
        }
        Message::SnapshotAck(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keywarden_store::Hlc;
    use proptest::prelude::*;

    fn stamp(node: u64, ms: u64) -> Stamp {
        Stamp {
            hlc: Hlc {
                wall_ms: ms,
                logical: 0,
            },
            node: NodeId(node),
        }
    }

    fn message() -> impl Strategy<Value = Message> {
        let vv = proptest::collection::vec((1u64..5, 1u64..100), 0..4).prop_map(|v| {
            v.into_iter()
                .map(|(o, s)| (NodeId(o), s))
                .collect::<VersionVector>()
        });
        prop_oneof![
            (
                0u16..3,
                0u16..3,
                any::<[u8; 16]>(),
                1u64..9,
                "[a-z]{1,8}",
                vv.clone()
            )
                .prop_map(|(a, b, c, n, site, durable)| Message::Hello(Hello {
                    protocol_min: a.min(b),
                    protocol_max: a.max(b),
                    cluster: ClusterId(c),
                    node: NodeId(n),
                    site,
                    durable,
                })),
            (
                1u64..9,
                1u64..1000,
                proptest::collection::vec(("[a-f0-9]{4}", 0u64..99), 1..8),
                any::<Vec<u8>>()
            )
                .prop_map(|(origin, first_seq, names, bytes)| {
                    let entries: Vec<EntryRef> = names
                        .iter()
                        .map(|(u, ms)| EntryRef {
                            stamp: stamp(origin, *ms),
                            uuid: u.clone(),
                        })
                        .collect();
                    let mut uuids: Vec<String> = names.into_iter().map(|(u, _)| u).collect();
                    uuids.sort();
                    uuids.dedup();
                    let records = uuids
                        .into_iter()
                        .map(|uuid| ShippedRecord {
                            uuid,
                            record: bytes.clone(),
                        })
                        .collect();
                    Message::Entries(Entries {
                        origin: NodeId(origin),
                        first_seq,
                        entries,
                        records,
                    })
                }),
            (vv, any::<bool>()).prop_map(|(durable, resend)| Message::Ack(Ack { durable, resend })),
            "[ -~]{0,40}".prop_map(|detail| Message::Refuse(Refuse {
                reason: RefuseReason::Invalid,
                detail
            })),
        ]
    }

    proptest! {
        #[test]
        fn every_message_round_trips(msg in message()) {
            let frame = encode(&msg, PROTOCOL_VERSION).unwrap();
            prop_assert_eq!(decode(&frame, &Limits::default()).unwrap(), (msg, PROTOCOL_VERSION));
        }

        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut frame = (body.len() as u32).to_be_bytes().to_vec();
            frame.extend_from_slice(&PROTOCOL_VERSION.to_be_bytes());
            frame.extend_from_slice(&body);
            let _ = decode(&frame, &Limits::default());
        }

        #[test]
        fn a_mutated_frame_is_refused_or_still_within_limits(
            msg in message(), at in any::<prop::sample::Index>(), byte in any::<u8>()
        ) {
            let mut frame = encode(&msg, PROTOCOL_VERSION).unwrap();
            let i = at.index(frame.len());
            frame[i] = byte;
            if let Ok((m, _)) = decode(&frame, &Limits::default()) {
                prop_assert!(check(&m, &Limits::default()).is_ok());
            }
        }
    }

    #[test]
    fn limits_and_versions_are_enforced_before_decoding() {
        let limits = Limits::default();
        let mut header = [0u8; HEADER_LEN];
        header[..4].copy_from_slice(&(u32::try_from(limits.max_frame).unwrap() + 1).to_be_bytes());
        header[4..].copy_from_slice(&PROTOCOL_VERSION.to_be_bytes());
        assert!(matches!(
            peek_frame(&header, &limits),
            Err(WireError::TooLarge { .. })
        ));
        header[..4].copy_from_slice(&10u32.to_be_bytes());
        header[4..].copy_from_slice(&(PROTOCOL_VERSION + 1).to_be_bytes());
        assert_eq!(
            peek_frame(&header, &limits),
            Err(WireError::Version(PROTOCOL_VERSION + 1))
        );
    }

    #[test]
    fn entries_must_match_their_origin_and_records() {
        let limits = Limits::default();
        let good = Entries {
            origin: NodeId(1),
            first_seq: 1,
            entries: vec![EntryRef {
                stamp: stamp(1, 5),
                uuid: "a".into(),
            }],
            records: vec![ShippedRecord {
                uuid: "a".into(),
                record: vec![1],
            }],
        };
        assert!(check(&Message::Entries(good.clone()), &limits).is_ok());
        let mut foreign = good.clone();
        foreign.entries[0].stamp = stamp(2, 5);
        assert!(check(&Message::Entries(foreign), &limits).is_err());
        let mut stray = good.clone();
        stray.records[0].uuid = "b".into();
        assert!(check(&Message::Entries(stray), &limits).is_err());
        let mut twice = good.clone();
        twice.records.push(twice.records[0].clone());
        twice.entries.push(twice.entries[0].clone());
        assert!(check(&Message::Entries(twice), &limits).is_err());
        let mut empty = good;
        empty.entries.clear();
        empty.records.clear();
        assert!(check(&Message::Entries(empty), &limits).is_err());
    }
}
