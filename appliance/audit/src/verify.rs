//! [`verify`]: walks every segment from the genesis hash and checks the whole log.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use crate::chain::ChainHash;
use crate::error::{Breakage, Problem, VerifyError};
use crate::files;
use crate::format::MAX_SEGMENT_FILE;
use crate::keyfile;
use crate::scan::{self, SegmentBytes, Start};
use crate::signer::{KeyId, PublicKey};

/// What a verified log holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// Segment files.
    pub segments: u64,
    /// Entries.
    pub entries: u64,
    /// Checkpoints (each segment's opening one included).
    pub checkpoints: u64,
    /// First entry's sequence number (1 unless the log is empty).
    pub first_seq: Option<u64>,
    /// Last entry's sequence number.
    pub last_seq: Option<u64>,
    /// Entries up to this one are covered by a signed checkpoint.
    pub last_checkpoint_seq: u64,
    /// Entries after the last checkpoint: chained but unsigned, so their loss or
    /// replacement cannot be proven.
    pub unsigned_tail: u64,
    /// True when the log ends with a closing checkpoint. False for a log being written, or
    /// one whose writer crashed, or one cut short.
    pub closed_cleanly: bool,
    /// Bytes after the last valid record that look like a write torn by a crash.
    pub torn_tail: Option<TornTail>,
    /// Reopens after a crash (`Recovered` checkpoints).
    pub crash_recoveries: u64,
    /// The key the checkpoints are signed with.
    pub key_id: KeyId,
}

impl VerifyReport {
    /// True when the end of the log is not covered by a signature: unsigned entries, a torn
    /// write, or no closing checkpoint. Truncation there is reported, not provable.
    pub fn tail_is_unsigned(&self) -> bool {
        self.unsigned_tail > 0 || self.torn_tail.is_some() || !self.closed_cleanly
    }
}

/// A torn last write at the end of the newest segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TornTail {
    /// The segment file.
    pub segment: PathBuf,
    /// Where the torn bytes start (the end of the last valid record).
    pub offset: u64,
    /// How many bytes there are.
    pub bytes: u64,
}

/// A segment's bytes, read.
pub(crate) struct LoadedSegment {
    /// Its number, from the file name.
    pub number: u64,
    /// The file.
    pub path: PathBuf,
    /// Its contents.
    pub bytes: Vec<u8>,
}

/// The key to check signatures with: the key file's, which must be the pinned key if one is
/// given.
pub(crate) fn trusted_key(
    dir: &Path,
    pinned: Option<&PublicKey>,
) -> Result<PublicKey, VerifyError> {
    let stored = keyfile::load(dir).map_err(|e| VerifyError::KeyFile {
        path: keyfile::path(dir),
        reason: e.to_string(),
    })?;
    if let Some(p) = pinned
        && *p != stored
    {
        return Err(VerifyError::KeyNotPinned {
            found: stored.key_id(),
            pinned: p.key_id(),
        });
    }
    Ok(stored)
}

/// The segment files of `dir`; an error when there are none.
pub(crate) fn segments_of(dir: &Path) -> Result<Vec<(u64, PathBuf)>, VerifyError> {
    let segments = files::list_segments(dir).map_err(|source| VerifyError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    if segments.is_empty() {
        return Err(VerifyError::NoLog {
            dir: dir.to_path_buf(),
        });
    }
    Ok(segments)
}

/// Reads a segment, refusing files over the size limit.
pub(crate) fn load(number: u64, path: PathBuf) -> Result<LoadedSegment, VerifyError> {
    match files::read_bounded(&path, MAX_SEGMENT_FILE) {
        Ok(bytes) => Ok(LoadedSegment {
            number,
            path,
            bytes,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            Err(VerifyError::Broken(Breakage {
                segment: path,
                offset: MAX_SEGMENT_FILE,
                expected_seq: 0,
                found_seq: None,
                problem: Problem::Malformed(format!(
                    "segment file is larger than {MAX_SEGMENT_FILE} bytes"
                )),
            }))
        }
        Err(source) => Err(VerifyError::Io { path, source }),
    }
}

/// Checks the log in `dir`: the chain from the genesis hash through every segment, sequence
/// continuity, every checkpoint against the chain and its signature. With `pinned`, the key
/// file must hold that key. The error names the first broken place.
pub fn verify(dir: &Path, pinned: Option<&PublicKey>) -> Result<VerifyReport, VerifyError> {
    let key = trusted_key(dir, pinned)?;
    let segments = segments_of(dir)?;
    let count = segments.len();
    verify_segments(
        &key,
        count,
        segments.into_iter().map(|(n, path)| load(n, path)),
    )
}

/// [`verify`] over segments already listed; `count` of them, numbered from 1.
pub(crate) fn verify_segments(
    key: &PublicKey,
    count: usize,
    segments: impl Iterator<Item = Result<LoadedSegment, VerifyError>>,
) -> Result<VerifyReport, VerifyError> {
    let mut report = VerifyReport {
        segments: 0,
        entries: 0,
        checkpoints: 0,
        first_seq: None,
        last_seq: None,
        last_checkpoint_seq: 0,
        unsigned_tail: 0,
        closed_cleanly: false,
        torn_tail: None,
        crash_recoveries: 0,
        key_id: key.key_id(),
    };
    let mut start = Start::Chain {
        next_seq: 1,
        prev: ChainHash::GENESIS,
    };
    for (i, seg) in segments.enumerate() {
        let seg = seg?;
        let want = i as u64 + 1;
        let next_seq = match start {
            Start::Chain { next_seq, .. } => next_seq,
            Start::Anchor => 0,
        };
        if seg.number != want {
            return Err(VerifyError::Broken(Breakage {
                segment: seg.path,
                offset: 0,
                expected_seq: next_seq,
                found_seq: None,
                problem: Problem::MissingSegment(want),
            }));
        }
        let view = SegmentBytes {
            path: &seg.path,
            number: seg.number,
            bytes: &seg.bytes,
            is_last: i + 1 == count,
        };
        let s = scan::scan(&view, start, key, &mut |_| ControlFlow::Continue(()))
            .map_err(VerifyError::Broken)?;
        report.segments += 1;
        report.entries += s.entries;
        report.checkpoints += s.checkpoints;
        report.first_seq = report.first_seq.or(s.first_seq);
        report.last_seq = s.next_seq.checked_sub(1).filter(|&n| n > 0);
        report.last_checkpoint_seq = s.last_checkpoint_seq;
        report.unsigned_tail = s.since_checkpoint;
        report.closed_cleanly = s.ends_with_close;
        report.crash_recoveries += s.recoveries;
        if s.torn_bytes > 0 {
            report.torn_tail = Some(TornTail {
                segment: seg.path.clone(),
                offset: s.valid_len,
                bytes: s.torn_bytes,
            });
        }
        start = Start::Chain {
            next_seq: s.next_seq,
            prev: s.last_hash,
        };
    }
    Ok(report)
}
