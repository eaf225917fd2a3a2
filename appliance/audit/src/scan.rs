//! Walks one segment's bytes: checks every record against the chain and the checkpoints
//! against the key, and tells a torn last write from damage.
//!
//! A record that is not valid where one must start is a torn tail only in the newest segment,
//! only after its opening checkpoint, and only if no valid record follows anywhere after it: a
//! crash interrupts the last write and nothing is written after it, while damage in front of
//! good records means records that were written (and maybe acknowledged) were changed. Every
//! record can be checked without the ones in front of it, because its hash covers the 32
//! bytes right in front of it.

use std::ops::ControlFlow;
use std::path::Path;

use crate::chain::{ChainHash, HASH_LEN};
use crate::entry::AuditEntry;
use crate::error::{Breakage, Problem};
use crate::format::{
    Body, CheckpointKind, HEADER_LEN, LEN_PREFIX, MAX_RECORD_PAYLOAD, RECORD_OVERHEAD,
    SegmentHeader, decode_body,
};
use crate::signer::PublicKey;

/// One segment file's contents.
pub(crate) struct SegmentBytes<'a> {
    /// The file, for error messages.
    pub path: &'a Path,
    /// Its number, from the file name.
    pub number: u64,
    /// Its bytes.
    pub bytes: &'a [u8],
    /// True for the newest segment: only it may end in a torn write.
    pub is_last: bool,
}

/// Where the chain stands at the start of a segment.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Start {
    /// Continues a chain checked up to here.
    Chain {
        /// Sequence number of the next entry.
        next_seq: u64,
        /// Hash the previous segment ends with.
        prev: ChainHash,
    },
    /// Starts from the segment's own opening checkpoint, whose signature is checked.
    Anchor,
}

/// A valid record, handed to the caller's visitor.
#[expect(
    clippy::large_enum_variant,
    reason = "moved once per record into the visitor and never stored; boxing would allocate per record"
)]
pub(crate) enum Visit {
    /// An entry.
    Entry {
        /// Its sequence number.
        seq: u64,
        /// The entry.
        entry: AuditEntry,
        /// Chain hash in front of it.
        prev: ChainHash,
        /// Its chain hash.
        hash: ChainHash,
    },
    /// A checkpoint covering entries up to `covers`.
    Checkpoint {
        /// Last entry covered.
        covers: u64,
    },
}

/// What a segment holds, as far as it was scanned.
#[derive(Clone, Debug)]
pub(crate) struct Scanned {
    /// Sequence number the next entry must have.
    pub next_seq: u64,
    /// Hash of the last valid record.
    pub last_hash: ChainHash,
    /// End of the last valid record.
    pub valid_len: u64,
    /// Bytes after it that are a torn write (newest segment only).
    pub torn_bytes: u64,
    /// Entries.
    pub entries: u64,
    /// Checkpoints (the opening one included).
    pub checkpoints: u64,
    /// First entry's sequence number.
    pub first_seq: Option<u64>,
    /// Entries after the last checkpoint.
    pub since_checkpoint: u64,
    /// The last entry covered by a checkpoint.
    pub last_checkpoint_seq: u64,
    /// True when the last valid record is a closing checkpoint.
    pub ends_with_close: bool,
    /// Checkpoints written by a reopen after a crash.
    pub recoveries: u64,
    /// True when the visitor stopped the walk early.
    pub stopped: bool,
}

/// A record as found at one position.
enum Frame<'a> {
    /// Whole, and its hash matches.
    Valid {
        payload: &'a [u8],
        hash: ChainHash,
        end: usize,
    },
    /// Runs past the end of the bytes.
    Short,
    /// The length prefix is 0 or over the limit.
    BadLength(u32),
    /// Whole, but its hash does not match.
    Mismatch { payload: &'a [u8], end: usize },
}

/// The record at `pos` (at least [`HASH_LEN`], so the 32 bytes in front of it exist).
fn frame_at(bytes: &[u8], pos: usize) -> Frame<'_> {
    let Some(rest) = bytes.get(pos..) else {
        return Frame::Short;
    };
    let Some(len_bytes) = rest.get(..LEN_PREFIX) else {
        return Frame::Short;
    };
    let len = u32::from_be_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]]);
    let n = len as usize;
    if n == 0 || n > MAX_RECORD_PAYLOAD {
        return Frame::BadLength(len);
    }
    let Some(record) = rest.get(..RECORD_OVERHEAD + n) else {
        return Frame::Short;
    };
    let payload = &record[LEN_PREFIX..LEN_PREFIX + n];
    let stored = &record[LEN_PREFIX + n..];
    let hash = ChainHash::link(&bytes[pos - HASH_LEN..pos], payload);
    let end = pos + record.len();
    if hash.as_bytes().as_slice() == stored {
        Frame::Valid { payload, hash, end }
    } else {
        Frame::Mismatch { payload, end }
    }
}

/// The first position after `from` where a valid record starts, if any. Only positions whose
/// length prefix announces a whole record cost a hash, and their total is bounded: `Err` when
/// the bytes after `from` hold too many to tell a torn write from damage.
fn later_valid(bytes: &[u8], from: usize) -> Result<Option<usize>, ()> {
    let mut budget = bytes.len().saturating_mul(4).saturating_add(1 << 20);
    for i in from + 1..bytes.len() {
        let rest = &bytes[i..];
        if rest.len() < RECORD_OVERHEAD + 1 {
            break;
        }
        let n = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        if n == 0 || n > MAX_RECORD_PAYLOAD || rest.len() < RECORD_OVERHEAD + n {
            continue;
        }
        if n > budget {
            return Err(());
        }
        budget -= n;
        if matches!(frame_at(bytes, i), Frame::Valid { .. }) {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// The sequence number of the entry at `pos`, without checking its hash (for diagnosis only).
fn peek_seq(bytes: &[u8], pos: usize) -> Option<u64> {
    let rest = bytes.get(pos..)?;
    let n = u32::from_be_bytes(rest.get(..LEN_PREFIX)?.try_into().ok()?) as usize;
    if n > MAX_RECORD_PAYLOAD {
        return None;
    }
    match decode_body(rest.get(LEN_PREFIX..LEN_PREFIX + n)?) {
        Ok(Body::Entry { seq, .. }) => Some(seq),
        _ => None,
    }
}

/// Names a wrong sequence number: moved (the expected entry comes right after, or an earlier
/// one repeats) or missing.
fn seq_problem(expected: u64, found: u64, next: Option<u64>) -> Problem {
    let moved = found < expected || next.is_some_and(|n| n >= expected && n < found);
    if moved {
        Problem::Reordered { expected, found }
    } else {
        Problem::SequenceGap { expected, found }
    }
}

/// Scans a segment from its header. `visit` sees every valid record in order and may stop
/// the walk; the result then describes the part scanned.
pub(crate) fn scan(
    seg: &SegmentBytes<'_>,
    start: Start,
    key: &PublicKey,
    visit: &mut dyn FnMut(Visit) -> ControlFlow<()>,
) -> Result<Scanned, Breakage> {
    let bytes = seg.bytes;
    let mut next_seq = match start {
        Start::Chain { next_seq, .. } => next_seq,
        // Learned from the opening checkpoint.
        Start::Anchor => 0,
    };
    let broken = |pos: usize, next_seq: u64, found_seq: Option<u64>, problem: Problem| Breakage {
        segment: seg.path.to_path_buf(),
        offset: pos as u64,
        expected_seq: next_seq,
        found_seq,
        problem,
    };
    let header = SegmentHeader::parse(bytes)
        .map_err(|r| broken(0, next_seq, None, Problem::BadHeader(r.into())))?;
    if header.number != seg.number {
        return Err(broken(
            0,
            next_seq,
            None,
            Problem::BadHeader(format!(
                "it says segment {}, its file name says {}",
                header.number, seg.number
            )),
        ));
    }
    if let Start::Chain { prev, .. } = start
        && header.prev != prev
    {
        return Err(broken(
            0,
            next_seq,
            None,
            Problem::BadHeader(
                "its previous hash is not the hash the segment before ends with".into(),
            ),
        ));
    }
    let mut out = Scanned {
        next_seq,
        last_hash: header.prev,
        valid_len: HEADER_LEN as u64,
        torn_bytes: 0,
        entries: 0,
        checkpoints: 0,
        first_seq: None,
        since_checkpoint: 0,
        last_checkpoint_seq: 0,
        ends_with_close: false,
        recoveries: 0,
        stopped: false,
    };
    let mut pos = HEADER_LEN;
    let mut first = true;
    while pos < bytes.len() {
        let (payload, hash, end) = match frame_at(bytes, pos) {
            Frame::Valid { payload, hash, end } => (payload, hash, end),
            bad => {
                // A segment is created whole with its opening checkpoint, so only a record
                // after that, in the newest segment, can have been torn.
                let damaged = first
                    || !seg.is_last
                    || match later_valid(bytes, pos) {
                        Ok(later) => later.is_some(),
                        Err(()) => {
                            return Err(broken(
                                pos,
                                next_seq,
                                None,
                                Problem::Malformed(
                                    "no valid record here, and too many record headers after \
                                     it to tell a torn write from damage"
                                        .into(),
                                ),
                            ));
                        }
                    };
                if !damaged {
                    out.torn_bytes = (bytes.len() - pos) as u64;
                    break;
                }
                let (problem, found) = match bad {
                    Frame::Short => (Problem::Truncated, None),
                    Frame::BadLength(n) => (
                        Problem::Malformed(format!(
                            "length {n}, must be 1 to {MAX_RECORD_PAYLOAD}"
                        )),
                        None,
                    ),
                    Frame::Mismatch { payload, end } => match decode_body(payload) {
                        Ok(Body::Entry { seq, .. }) if first => {
                            (Problem::MissingCheckpoint, Some(seq))
                        }
                        Ok(Body::Entry { seq, .. }) if seq != next_seq => {
                            (seq_problem(next_seq, seq, peek_seq(bytes, end)), Some(seq))
                        }
                        Ok(Body::Entry { seq, .. }) => (Problem::HashMismatch, Some(seq)),
                        _ => (Problem::HashMismatch, None),
                    },
                    Frame::Valid { .. } => (Problem::HashMismatch, None),
                };
                return Err(broken(pos, next_seq, found, problem));
            }
        };
        let body =
            decode_body(payload).map_err(|r| broken(pos, next_seq, None, Problem::Malformed(r)))?;
        let visited = match body {
            Body::Entry { seq, entry } => {
                if first {
                    return Err(broken(pos, next_seq, Some(seq), Problem::MissingCheckpoint));
                }
                if seq != next_seq {
                    let problem = seq_problem(next_seq, seq, peek_seq(bytes, end));
                    return Err(broken(pos, next_seq, Some(seq), problem));
                }
                entry.validate().map_err(|e| {
                    broken(pos, next_seq, Some(seq), Problem::Malformed(e.to_string()))
                })?;
                out.first_seq.get_or_insert(seq);
                out.entries += 1;
                out.since_checkpoint += 1;
                out.ends_with_close = false;
                next_seq = seq.saturating_add(1);
                Visit::Entry {
                    seq,
                    entry,
                    prev: out.last_hash,
                    hash,
                }
            }
            Body::Checkpoint(cp) => {
                let opening = cp.kind == CheckpointKind::SegmentStart;
                if first && !opening {
                    return Err(broken(pos, next_seq, None, Problem::MissingCheckpoint));
                }
                if !first && opening {
                    return Err(broken(
                        pos,
                        next_seq,
                        None,
                        Problem::Malformed("a segment-start checkpoint inside a segment".into()),
                    ));
                }
                if first && matches!(start, Start::Anchor) {
                    next_seq = cp.seq.checked_add(1).ok_or_else(|| {
                        broken(
                            pos,
                            next_seq,
                            None,
                            Problem::CheckpointMismatch("sequence number"),
                        )
                    })?;
                }
                let mismatch = if cp.segment != seg.number {
                    Some("segment number")
                } else if cp.seq.checked_add(1) != Some(next_seq) {
                    Some("sequence number")
                } else if cp.hash != out.last_hash {
                    Some("chain hash")
                } else {
                    None
                };
                if let Some(what) = mismatch {
                    return Err(broken(
                        pos,
                        next_seq,
                        None,
                        Problem::CheckpointMismatch(what),
                    ));
                }
                if cp.key_id != key.key_id() {
                    return Err(broken(
                        pos,
                        next_seq,
                        None,
                        Problem::UnknownKey { key_id: cp.key_id },
                    ));
                }
                if !key.verify(&cp.signed_message(), &cp.signature) {
                    return Err(broken(pos, next_seq, None, Problem::BadSignature));
                }
                out.checkpoints += 1;
                out.since_checkpoint = 0;
                out.last_checkpoint_seq = cp.seq;
                out.ends_with_close = cp.kind == CheckpointKind::Close;
                if matches!(cp.kind, CheckpointKind::Recovered { .. }) {
                    out.recoveries += 1;
                }
                Visit::Checkpoint { covers: cp.seq }
            }
        };
        out.last_hash = hash;
        out.valid_len = end as u64;
        out.next_seq = next_seq;
        pos = end;
        first = false;
        if visit(visited).is_break() {
            out.stopped = true;
            return Ok(out);
        }
    }
    if first {
        return Err(broken(pos, next_seq, None, Problem::MissingCheckpoint));
    }
    out.next_seq = next_seq;
    Ok(out)
}

/// The sequence number of the first entry a segment may hold, from its opening checkpoint,
/// read from the start of the file only. The signature is not checked here: this only
/// chooses which segment to scan, and the scan checks it.
pub(crate) fn segment_start(prefix: &[u8]) -> Option<u64> {
    let n = u32::from_be_bytes(
        prefix
            .get(HEADER_LEN..HEADER_LEN + LEN_PREFIX)?
            .try_into()
            .ok()?,
    ) as usize;
    if n > MAX_RECORD_PAYLOAD {
        return None;
    }
    let payload = prefix.get(HEADER_LEN + LEN_PREFIX..HEADER_LEN + LEN_PREFIX + n)?;
    match decode_body(payload).ok()? {
        Body::Checkpoint(cp) if cp.kind == CheckpointKind::SegmentStart => cp.seq.checked_add(1),
        _ => None,
    }
}

/// Bytes [`segment_start`] needs at most.
pub(crate) const START_PREFIX: usize = HEADER_LEN + LEN_PREFIX + MAX_RECORD_PAYLOAD;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::{ObjectIds, Outcome, ReasonMessage, Timestamp};
    use crate::format::{BodyRef, Checkpoint, append_record};
    use crate::signer::{Ed25519Signer, Signer};
    use proptest::prelude::*;

    fn entry(n: u64) -> AuditEntry {
        AuditEntry {
            time: Timestamp::from_unix_nanos(n as i64),
            identity: "CN=t".into(),
            role: None,
            operation: "Get".into(),
            objects: ObjectIds::none(),
            outcome: Outcome::Success,
            message: ReasonMessage::new(format!("m{n}")),
            client: None,
        }
    }

    /// Segment 1 holding `n` entries, with a checkpoint after every 3 and a closing one.
    fn segment(signer: &Ed25519Signer, n: u64) -> Vec<u8> {
        let key_id = signer.public_key().key_id();
        let mut bytes = SegmentHeader {
            number: 1,
            prev: ChainHash::GENESIS,
        }
        .encode()
        .to_vec();
        let mut prev = ChainHash::GENESIS;
        let checkpoint = |bytes: &mut Vec<u8>, prev: &mut ChainHash, seq, kind| {
            let mut cp = Checkpoint {
                segment: 1,
                seq,
                hash: *prev,
                time: Timestamp::from_unix_nanos(0),
                kind,
                key_id,
                signature: vec![],
            };
            cp.signature = signer.sign(&cp.signed_message()).unwrap().into_bytes();
            *prev = append_record(bytes, prev, &BodyRef::Checkpoint(&cp)).unwrap();
        };
        checkpoint(&mut bytes, &mut prev, 0, CheckpointKind::SegmentStart);
        for seq in 1..=n {
            let e = entry(seq);
            prev = append_record(&mut bytes, &prev, &BodyRef::Entry { seq, entry: &e }).unwrap();
            if seq % 3 == 0 {
                checkpoint(&mut bytes, &mut prev, seq, CheckpointKind::Periodic);
            }
        }
        checkpoint(&mut bytes, &mut prev, n, CheckpointKind::Close);
        bytes
    }

    fn scan_bytes(bytes: &[u8], key: &PublicKey) -> Result<Scanned, Breakage> {
        let seg = SegmentBytes {
            path: Path::new("0000000001.audit"),
            number: 1,
            bytes,
            is_last: true,
        };
        let start = Start::Chain {
            next_seq: 1,
            prev: ChainHash::GENESIS,
        };
        scan(&seg, start, key, &mut |_| ControlFlow::Continue(()))
    }

    fn fixture() -> &'static (Vec<u8>, PublicKey) {
        static F: std::sync::OnceLock<(Vec<u8>, PublicKey)> = std::sync::OnceLock::new();
        F.get_or_init(|| {
            let s = Ed25519Signer::generate().unwrap();
            (segment(&s, 10), s.public_key())
        })
    }

    #[test]
    fn a_whole_segment_scans_clean() {
        let (bytes, key) = fixture();
        let s = scan_bytes(bytes, key).unwrap();
        assert_eq!((s.entries, s.next_seq, s.first_seq), (10, 11, Some(1)));
        assert_eq!(s.checkpoints, 1 + 3 + 1);
        assert!(s.ends_with_close);
        assert_eq!((s.torn_bytes, s.valid_len), (0, bytes.len() as u64));
    }

    #[test]
    fn zeros_after_the_last_record_are_a_torn_tail() {
        // The file size was updated by a crash but the data never landed.
        let (bytes, key) = fixture();
        let mut b = bytes.clone();
        b.extend_from_slice(&[0; 4096]);
        let s = scan_bytes(&b, key).unwrap();
        assert_eq!(s.torn_bytes, 4096);
        assert_eq!(s.valid_len, bytes.len() as u64);
    }

    #[test]
    fn a_segment_must_open_with_its_checkpoint() {
        let (bytes, key) = fixture();
        let header_only = &bytes[..HEADER_LEN];
        let b = scan_bytes(header_only, key).unwrap_err();
        assert_eq!(
            (b.offset, b.problem),
            (HEADER_LEN as u64, Problem::MissingCheckpoint)
        );
        // A cut inside the opening checkpoint is damage, not a torn write: segments are
        // created whole.
        let b = scan_bytes(&bytes[..HEADER_LEN + 10], key).unwrap_err();
        assert_eq!(b.offset, HEADER_LEN as u64);
    }

    #[test]
    fn the_anchor_start_learns_the_sequence_from_the_opening_checkpoint() {
        let (bytes, key) = fixture();
        let seg = SegmentBytes {
            path: Path::new("x"),
            number: 1,
            bytes,
            is_last: false,
        };
        let mut seen = Vec::new();
        let s = scan(&seg, Start::Anchor, key, &mut |v| {
            if let Visit::Entry { seq, .. } = v {
                seen.push(seq);
            }
            if seen.len() == 4 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
        assert!(s.stopped);
        assert_eq!(seen, [1, 2, 3, 4]);
        assert_eq!(segment_start(bytes), Some(1));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let (_, key) = fixture();
            let _ = scan_bytes(&bytes, key);
            let _ = segment_start(&bytes);
            let mut with_header = SegmentHeader { number: 1, prev: ChainHash::GENESIS }
                .encode()
                .to_vec();
            with_header.extend_from_slice(&bytes);
            let _ = scan_bytes(&with_header, key);
        }

        #[test]
        fn flipped_bytes_are_found_at_or_before_the_flip(
            at in any::<usize>(),
            x in 1u8..=255,
            garbage in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let (bytes, key) = fixture();
            let mut b = bytes.clone();
            let i = at % b.len();
            b[i] ^= x;
            match scan_bytes(&b, key) {
                Err(broken) => prop_assert!(broken.offset <= i as u64, "{broken} for a flip at {i}"),
                Ok(s) => prop_assert!(s.torn_bytes > 0 && s.valid_len <= i as u64),
            }
            // Garbage after a whole segment is a torn tail (or, by chance, damage), never a
            // longer log.
            let mut g = bytes.clone();
            g.extend_from_slice(&garbage);
            if let Ok(s) = scan_bytes(&g, key) {
                prop_assert_eq!(s.entries, 10);
                prop_assert_eq!(s.torn_bytes, garbage.len() as u64);
            }
        }
    }
}
