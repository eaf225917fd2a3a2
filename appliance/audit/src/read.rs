//! [`read`]: verified entries for the auditor role.

use std::ops::ControlFlow;
use std::path::Path;

use serde::Serialize;

use crate::chain::ChainHash;
use crate::entry::AuditEntry;
use crate::error::{Breakage, Problem, VerifyError};
use crate::files;
use crate::format::HEADER_LEN;
use crate::scan::{self, START_PREFIX, SegmentBytes, Start, Visit};
use crate::signer::PublicKey;
use crate::verify::{load, segments_of, trusted_key};

/// Most entries one [`read`] returns.
pub const MAX_READ: usize = 10_000;

/// An entry as read back, with its place in the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    /// Sequence number (1, 2, … without gaps).
    pub seq: u64,
    /// The entry.
    pub entry: AuditEntry,
    /// Chain hash of the record before it.
    pub prev_hash: ChainHash,
    /// Its chain hash: SHA-256(prev_hash || its record payload).
    pub hash: ChainHash,
    /// True when a signed checkpoint after it covers it.
    pub checkpointed: bool,
}

/// Up to `limit` (at most [`MAX_READ`]) entries from sequence number `from_seq` on.
///
/// Each entry is checked against the chain from the opening checkpoint of its segment, whose
/// signature is checked with the log's key (which must be `pinned`, if given); the segments
/// before are not walked (that is [`crate::verify`]). Damage on the way fails the read.
pub fn read(
    dir: &Path,
    from_seq: u64,
    limit: usize,
    pinned: Option<&PublicKey>,
) -> Result<Vec<AuditRecord>, VerifyError> {
    let key = trusted_key(dir, pinned)?;
    let segments = segments_of(dir)?;
    if let Some(missing) = files::first_missing(&segments) {
        return Err(VerifyError::Broken(Breakage {
            segment: dir.join(files::segment_name(missing)),
            offset: 0,
            expected_seq: 0,
            found_seq: None,
            problem: Problem::MissingSegment(missing),
        }));
    }
    let limit = limit.min(MAX_READ);
    if limit == 0 {
        return Ok(Vec::new());
    }
    let from = from_seq.max(1);
    let first = locate(&segments, from)?;
    let mut out: Vec<AuditRecord> = Vec::with_capacity(limit.min(1024));
    let mut covered = 0u64;
    let mut start = Start::Anchor;
    for (i, (number, path)) in segments.iter().enumerate().skip(first) {
        let seg = load(*number, path.clone())?;
        let view = SegmentBytes {
            path: &seg.path,
            number: seg.number,
            bytes: &seg.bytes,
            is_last: i + 1 == segments.len(),
        };
        let s = scan::scan(&view, start, &key, &mut |v| {
            match v {
                Visit::Entry {
                    seq,
                    entry,
                    prev,
                    hash,
                } => {
                    if seq >= from && out.len() < limit {
                        out.push(AuditRecord {
                            seq,
                            entry,
                            prev_hash: prev,
                            hash,
                            checkpointed: false,
                        });
                    }
                }
                Visit::Checkpoint { covers } => {
                    covered = covers;
                    // Full, and now every entry returned is covered by a signature.
                    if out.len() == limit {
                        return ControlFlow::Break(());
                    }
                }
            }
            ControlFlow::Continue(())
        })
        .map_err(VerifyError::Broken)?;
        if s.stopped {
            break;
        }
        start = Start::Chain {
            next_seq: s.next_seq,
            prev: s.last_hash,
        };
    }
    for r in &mut out {
        r.checkpointed = r.seq <= covered;
    }
    Ok(out)
}

/// Index of the last segment whose first entry is at or before `from` (binary search over
/// the opening checkpoints, reading only the start of each file it looks at).
fn locate(segments: &[(u64, std::path::PathBuf)], from: u64) -> Result<usize, VerifyError> {
    let start_of = |i: usize| -> Result<u64, VerifyError> {
        let path = &segments[i].1;
        let prefix =
            files::read_prefix(path, START_PREFIX as u64).map_err(|source| VerifyError::Io {
                path: path.clone(),
                source,
            })?;
        scan::segment_start(&prefix).ok_or_else(|| {
            VerifyError::Broken(Breakage {
                segment: path.clone(),
                offset: HEADER_LEN as u64,
                expected_seq: 0,
                found_seq: None,
                problem: Problem::MissingCheckpoint,
            })
        })
    };
    let (mut lo, mut hi) = (0usize, segments.len());
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if start_of(mid)? <= from {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(lo)
}
