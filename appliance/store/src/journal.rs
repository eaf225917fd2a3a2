//! The commit journal: what makes a group commit durable before redb's own durable commit.
//!
//! A durable redb commit writes every B-tree page the group touched (and, with quick repair,
//! the allocator state) and syncs twice: measured here, 100–600 KiB and 1.5–4 ms per group.
//! The writer instead applies a group to redb non-durably (visible to readers, not yet on
//! disk), appends the group's resolved writes to this journal as one checksummed frame, and
//! goes on with the next group while the syncer (see [`crate::syncer`]) syncs the small append
//! and only then acknowledges. A checkpoint (a durable redb commit,
//! after which the journal is emptied) runs every few megabytes or about once a second, and at
//! close. Opening a store replays every frame newer than the last group redb holds durably.
//!
//! Frame: `magic "KWJ1" | u32 BE payload length | SHA-256(length | payload) | payload`, the
//! payload a postcard [`JournalGroup`]. Unsynced appends reach the disk in any order and may be
//! torn, so after a power cut the file can end in a mix of whole, torn and missing frames, none
//! of them acknowledged. The first frame that is cut short or fails its digest is dropped with
//! everything after it, unless a later valid frame records a dropped group as durable: that is
//! damage to acknowledged writes, and the open fails instead of losing them silently. The file
//! and its directory are synced when it is created (see `Store::open`), and emptying it after a
//! checkpoint is synced before the next frame is written.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::clock::{NodeId, Stamp};
use crate::error::StoreError;
use crate::storage::{Storage, StoreFile};

const MAGIC: [u8; 4] = *b"KWJ1";
const DIGEST_LEN: usize = 32;
const HEADER_LEN: usize = MAGIC.len() + 4 + DIGEST_LEN;
/// Largest payload a frame may announce (a group of 512 commits of large batches fits).
pub(crate) const MAX_FRAME_PAYLOAD: usize = 256 << 20;

/// One group commit as the journal keeps it: the writes exactly as the writer resolved them,
/// so a replay reproduces the same records, log sequence numbers and stamps.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum JournalGroup {
    /// First frame layout; variants are only ever appended.
    V1 {
        /// Number of the group, strictly increasing; redb's `meta` holds the last one applied.
        id: u64,
        /// The group's writes, in the order they were applied.
        writes: Vec<JournalWrite>,
    },
    /// V1 and the durability watermark that tells a torn tail from damage.
    V2 {
        /// Number of the group, strictly increasing; redb's `meta` holds the last one applied.
        id: u64,
        /// The highest group whose frame was durable (its sync had returned) when this frame
        /// was written: a later frame proves that damage below it hit acknowledged writes.
        durable: u64,
        /// The group's writes, in the order they were applied.
        writes: Vec<JournalWrite>,
    },
}

/// A resolved write inside a [`JournalGroup`]; variants are only ever appended.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum JournalWrite {
    /// An object as a binary before storage epochs stored it (plain record); replayed only
    /// into a database of table format 2, which the same unlock then seals.
    Object {
        /// This node's log sequence number of the write.
        seq: u64,
        /// HLC stamp of the log entry.
        stamp: Stamp,
        /// Postcard-encoded [`crate::record::Record`].
        record: Vec<u8>,
    },
    /// A node-local wrapped domain KEK.
    WrappedKek {
        /// Domain name.
        domain: String,
        /// KEK wrapped under the HSM root key.
        blob: Vec<u8>,
    },
    /// An object as stored (lifecycle already merged), with its log position and stamp.
    SealedObject {
        /// This node's log sequence number of the write.
        seq: u64,
        /// HLC stamp of the log entry.
        stamp: Stamp,
        /// The object's UUID, its key in `objects` (and part of the seal's AAD).
        uuid: String,
        /// The bytes stored in `objects`: the record sealed under its storage epoch
        /// ([`crate::envelope`]).
        record: Vec<u8>,
    },
    /// A storage epoch became current.
    StorageEpoch {
        /// Its number.
        epoch: u64,
        /// Its data key, wrapped by the store's owner (node-local).
        wrapped: Vec<u8>,
        /// When it began (Unix seconds).
        started: i64,
    },
    /// Storage epochs whose keys the owner destroyed after an erase: their wrapped keys go.
    ForgetEpochs {
        /// The epochs.
        epochs: Vec<u64>,
        /// When the erase completed (Unix seconds).
        completed: i64,
    },
    /// An object as a merge with a peer's record left it (no entry in this node's own log).
    MergedObject {
        /// The object's UUID.
        uuid: String,
        /// The bytes stored in `objects`, sealed as in [`JournalWrite::SealedObject`].
        record: Vec<u8>,
    },
    /// Origins raised by a snapshot: their logs start above these sequences.
    AdoptVector {
        /// Per origin, the sequence reached.
        vector: Vec<(NodeId, u64)>,
    },
    /// Log entries dropped once every member held them.
    TruncateLogs {
        /// Per origin, the highest sequence dropped.
        below: Vec<(NodeId, u64)>,
    },
    /// A conflict found by a merge (its table key and stored value).
    Conflict {
        /// Key in `conflicts`.
        key: Vec<u8>,
        /// Stored value.
        value: Vec<u8>,
    },
    /// Entries appended to this node's copy of another origin's log.
    RemoteLog {
        /// Whose log.
        origin: NodeId,
        /// Sequence of the first entry.
        first_seq: u64,
        /// Stamp and object of each entry.
        entries: Vec<(Stamp, String)>,
    },
}

impl JournalGroup {
    /// Number of the group.
    pub fn id(&self) -> u64 {
        match self {
            JournalGroup::V1 { id, .. } | JournalGroup::V2 { id, .. } => *id,
        }
    }

    /// The durability watermark (0, proving nothing, for V1 frames).
    pub fn durable(&self) -> u64 {
        match self {
            JournalGroup::V1 { .. } => 0,
            JournalGroup::V2 { durable, .. } => *durable,
        }
    }

    /// The group's writes, in order.
    pub fn writes(&self) -> &[JournalWrite] {
        match self {
            JournalGroup::V1 { writes, .. } | JournalGroup::V2 { writes, .. } => writes,
        }
    }
}

fn digest(len: &[u8; 4], payload: &[u8]) -> [u8; DIGEST_LEN] {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    ctx.update(len);
    ctx.update(payload);
    let d = ctx.finish();
    let mut out = [0u8; DIGEST_LEN];
    out.copy_from_slice(d.as_ref());
    out
}

/// Encodes one frame.
pub(crate) fn encode_frame(group: &JournalGroup) -> Result<Vec<u8>, StoreError> {
    let payload = postcard::to_stdvec(group).map_err(|e| StoreError::Encode {
        what: "journal frame",
        reason: e.to_string(),
    })?;
    if payload.len() > MAX_FRAME_PAYLOAD {
        return Err(StoreError::Invalid {
            field: "group commit",
            reason: format!(
                "{} bytes of writes, at most {MAX_FRAME_PAYLOAD} per group",
                payload.len()
            ),
        });
    }
    let len = u32::try_from(payload.len())
        .unwrap_or(u32::MAX)
        .to_be_bytes();
    let mut frame = Vec::with_capacity(HEADER_LEN + payload.len());
    frame.extend_from_slice(&MAGIC);
    frame.extend_from_slice(&len);
    frame.extend_from_slice(&digest(&len, &payload));
    frame.extend_from_slice(&payload);
    Ok(frame)
}

/// What reading a journal found.
#[derive(Debug)]
pub(crate) struct Recovered {
    /// Valid frames, in file order.
    pub groups: Vec<JournalGroup>,
    /// Bytes dropped from the first damaged frame on (0 if the file ended cleanly).
    pub torn_bytes: u64,
    /// Whole frames among those bytes, written after the damaged one and never acknowledged.
    pub dropped_frames: usize,
}

/// The payload length claimed by a frame header at the start of `rest`, if the whole frame it
/// announces is present: only such a frame costs a digest to check.
fn whole_frame_len(rest: &[u8]) -> Option<usize> {
    if rest.len() < HEADER_LEN || rest[..4] != MAGIC {
        return None;
    }
    let len = u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
    (len <= MAX_FRAME_PAYLOAD && len <= rest.len() - HEADER_LEN).then_some(len)
}

/// The frame at the start of `rest`, if it is whole and its digest holds: `(payload, length)`.
fn frame_at(rest: &[u8]) -> Option<(&[u8], usize)> {
    let len = whole_frame_len(rest)?;
    let end = HEADER_LEN + len;
    let len_bytes: [u8; 4] = [rest[4], rest[5], rest[6], rest[7]];
    let payload = &rest[HEADER_LEN..end];
    (rest[8..HEADER_LEN] == digest(&len_bytes, payload)).then_some((payload, end))
}

/// Parses a whole journal. Never allocates more than the bytes present. `applied` is the last
/// group redb holds durably: losing a frame at or below it loses nothing.
///
/// Where no valid frame starts, that frame and everything after it are dropped as writes a
/// crash cut short, unless a later valid frame proves that one of the dropped groups had been
/// acknowledged (see [`after_bad_frame`]): that is damage to acknowledged writes, and an
/// error rather than a silent loss.
pub(crate) fn parse(bytes: &[u8], applied: u64) -> Result<Recovered, StoreError> {
    let mut groups = Vec::new();
    let mut pos = 0usize;
    let mut last_id = 0u64;
    while pos < bytes.len() {
        let corrupt = |reason: String| StoreError::JournalCorrupt {
            offset: pos as u64,
            reason,
        };
        let Some((payload, used)) = frame_at(&bytes[pos..]) else {
            return after_bad_frame(bytes, pos, groups, last_id.max(applied));
        };
        let group: JournalGroup = postcard::from_bytes(payload)
            .map_err(|e| corrupt(format!("frame does not decode: {e}")))?;
        if group.id() <= last_id {
            return Err(corrupt(format!(
                "group {} follows group {last_id}",
                group.id()
            )));
        }
        last_id = group.id();
        groups.push(group);
        pos += used;
    }
    Ok(Recovered {
        groups,
        torn_bytes: 0,
        dropped_frames: 0,
    })
}

/// The end of a parse where no valid frame starts at `pos`: `groups` (the frames before it)
/// are kept, everything from `pos` on is dropped, unless a later frame proves that a group
/// above `settled` (the last group before `pos`, or redb's, whichever is higher) had been
/// acknowledged.
///
/// Unsynced appends reach the disk in any order, so after a power cut a later frame can be
/// whole where an earlier one is torn or missing; none of them was acknowledged (one sync
/// covers every earlier append, so an acknowledged frame has only acknowledged frames before
/// it), and dropping them all is right. Each frame records the highest group whose sync had
/// returned when it was written ([`JournalGroup::durable`]); a later frame recording a dropped
/// group as durable shows that the damaged bytes were acknowledged ones.
///
/// Each header announcing a whole frame costs a digest over that frame, so the search is
/// bounded: a torn tail holds at most a chance header or two, and a file that exhausts the
/// budget is damaged in a way the open must not guess about. Headers whose frame cannot be
/// whole are rejected without a digest and cost nothing, so a chance header with a random
/// length in a torn tail is no error.
fn after_bad_frame(
    bytes: &[u8],
    pos: usize,
    groups: Vec<JournalGroup>,
    settled: u64,
) -> Result<Recovered, StoreError> {
    let corrupt = |reason: String| StoreError::JournalCorrupt {
        offset: pos as u64,
        reason,
    };
    let mut budget = bytes.len().saturating_mul(4).saturating_add(1 << 20);
    let mut dropped_frames = 0;
    let mut i = pos + 1;
    while i < bytes.len() {
        let rest = &bytes[i..];
        let Some(claimed) = whole_frame_len(rest) else {
            i += 1;
            continue;
        };
        if claimed > budget {
            return Err(corrupt(
                "no valid frame here, and too many frame headers after it to tell a torn \
                 append from damage"
                    .to_string(),
            ));
        }
        budget -= claimed;
        let Some((payload, used)) = frame_at(rest) else {
            i += 1;
            continue;
        };
        // A whole frame of a layout this binary does not know proves nothing either way.
        if let Ok(group) = postcard::from_bytes::<JournalGroup>(payload) {
            if group.durable() > settled {
                return Err(corrupt(format!(
                    "no valid frame here, but the frame of group {} at offset {i} records \
                     group {} as durable",
                    group.id(),
                    group.durable()
                )));
            }
            dropped_frames += 1;
        }
        i += used;
    }
    Ok(Recovered {
        groups,
        torn_bytes: (bytes.len() - pos) as u64,
        dropped_frames,
    })
}

/// The open journal file, appended to by the writer thread only.
pub(crate) struct Journal {
    file: Arc<dyn StoreFile>,
    path: PathBuf,
    len: u64,
}

impl Journal {
    /// The journal file of the database at `db_path`.
    pub fn path_for(db_path: &Path) -> PathBuf {
        let mut name = db_path.as_os_str().to_owned();
        name.push("-journal");
        PathBuf::from(name)
    }

    /// Opens (creating) the journal and reads every frame in it; `applied` is the last group
    /// redb holds durably.
    pub fn open(
        storage: &dyn Storage,
        path: &Path,
        applied: u64,
    ) -> Result<(Journal, Recovered), StoreError> {
        let io = |source| StoreError::Io {
            what: "commit journal",
            source,
        };
        let file = storage.open_journal(path).map_err(io)?;
        let bytes = read_all(file.as_ref()).map_err(io)?;
        if bytes.is_empty() {
            // Maybe just created: its inode durable now, its name with the directory sync the
            // store runs before acknowledging anything (POSIX promises neither otherwise).
            file.sync_data().map_err(io)?;
        }
        let recovered = parse(&bytes, applied)?;
        let journal = Journal {
            file,
            path: path.to_path_buf(),
            len: bytes.len() as u64,
        };
        Ok((journal, recovered))
    }

    /// Bytes in the journal since the last reset.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Another handle of the journal file, for the syncer thread.
    pub fn sync_handle(&self) -> Arc<dyn StoreFile> {
        Arc::clone(&self.file)
    }

    /// Writes one frame after the others, not yet durable (the syncer makes it so). On failure
    /// the file is cut back to its old length, so a half-written frame can never sit in front
    /// of later ones; if even that fails the journal is unusable and the error says so.
    pub fn write(&mut self, frame: &[u8]) -> Result<(), JournalAppendError> {
        match self.file.write_all_at(frame, self.len) {
            Ok(()) => {
                self.len += frame.len() as u64;
                Ok(())
            }
            Err(e) => match self.file.set_len(self.len) {
                Ok(()) => Err(JournalAppendError::NotWritten(e)),
                Err(undo) => Err(JournalAppendError::Unusable(format!(
                    "write to {} failed ({e}) and cutting it back failed ({undo})",
                    self.path.display()
                ))),
            },
        }
    }

    /// Empties the journal after a checkpoint made everything in it durable in redb.
    pub fn reset(&mut self) -> std::io::Result<()> {
        self.file.set_len(0)?;
        // Empty from here even if the sync fails: the next frame must go to offset 0, not
        // behind a hole of zeros that the next open would read as a damaged frame (and drop
        // or refuse what follows). The syncer's next sync carries the new length.
        self.len = 0;
        self.file.sync_data()
    }
}

/// The whole content of `file`, read at offsets (the handle keeps no position).
fn read_all(file: &dyn StoreFile) -> std::io::Result<Vec<u8>> {
    let len = usize::try_from(file.len()?).map_err(std::io::Error::other)?;
    let mut bytes = vec![0u8; len];
    let mut done = 0;
    while done < len {
        match file.read_at(&mut bytes[done..], done as u64)? {
            0 => break,
            n => done += n,
        }
    }
    bytes.truncate(done);
    Ok(bytes)
}

/// Why an append failed.
#[derive(Debug)]
pub(crate) enum JournalAppendError {
    /// The frame is not in the journal; the journal is still good.
    NotWritten(std::io::Error),
    /// The journal may hold a partial frame: no further write may be acknowledged.
    Unusable(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Group `id`, written when every earlier group was durable.
    fn group(id: u64, n: usize) -> JournalGroup {
        group_seeing(id, id - 1, n)
    }

    fn group_seeing(id: u64, durable: u64, n: usize) -> JournalGroup {
        JournalGroup::V2 {
            id,
            durable,
            writes: (0..n)
                .map(|i| JournalWrite::WrappedKek {
                    domain: format!("d{i}"),
                    blob: vec![i as u8; 40],
                })
                .collect(),
        }
    }

    fn journal_of(groups: &[JournalGroup]) -> Vec<u8> {
        groups
            .iter()
            .flat_map(|g| encode_frame(g).unwrap())
            .collect()
    }

    #[test]
    fn frames_roundtrip_in_order() {
        let bytes = journal_of(&[group(1, 2), group(2, 0), group(5, 3)]);
        let r = parse(&bytes, 0).unwrap();
        assert_eq!(r.torn_bytes, 0);
        let ids: Vec<u64> = r.groups.iter().map(JournalGroup::id).collect();
        assert_eq!(ids, [1, 2, 5]);
    }

    #[test]
    fn a_torn_last_frame_is_dropped() {
        let full = journal_of(&[group(1, 2), group(2, 2)]);
        let first = encode_frame(&group(1, 2)).unwrap().len();
        for cut in first + 1..full.len() {
            let r = parse(&full[..cut], 0).unwrap();
            assert_eq!(r.groups.len(), 1, "cut at {cut}");
            assert_eq!(r.torn_bytes, (cut - first) as u64);
        }
        // Size updated but data never landed: zeros where the last frame should be.
        let mut zeroed = full.clone();
        zeroed[first..].fill(0);
        assert_eq!(parse(&zeroed, 0).unwrap().groups.len(), 1);
        // Last frame complete in size but its bytes garbled.
        let mut garbled = full.clone();
        let last = garbled.len() - 1;
        garbled[last] ^= 0xff;
        assert_eq!(parse(&garbled, 0).unwrap().groups.len(), 1);
    }

    #[test]
    fn corruption_before_later_frames_fails_loudly() {
        let mut bytes = journal_of(&[group(1, 2), group(2, 2), group(3, 2)]);
        bytes[HEADER_LEN + 3] ^= 0x01;
        let err = parse(&bytes, 0).unwrap_err();
        assert!(
            matches!(err, StoreError::JournalCorrupt { offset: 0, .. }),
            "{err}"
        );
        let mut bytes = journal_of(&[group(1, 2), group(2, 2)]);
        bytes[0] = b'X';
        assert!(matches!(
            parse(&bytes, 0),
            Err(StoreError::JournalCorrupt { .. })
        ));
    }

    #[test]
    fn unsynced_frames_landing_out_of_order_are_dropped() {
        // Groups 2 and 3 were written before any sync covered 2; 3 landed whole, 2 did not.
        let frames = [
            group_seeing(1, 0, 2),
            group_seeing(2, 0, 2),
            group_seeing(3, 1, 2),
        ];
        let first = encode_frame(&frames[0]).unwrap().len();
        let second = encode_frame(&frames[1]).unwrap().len();
        let mut bytes = journal_of(&frames);
        bytes[first..first + second].fill(0);
        let r = parse(&bytes, 0).expect("a torn tail, not corruption");
        assert_eq!(
            r.groups.iter().map(JournalGroup::id).collect::<Vec<_>>(),
            [1]
        );
        assert_eq!(r.dropped_frames, 1);
        assert_eq!(r.torn_bytes, (bytes.len() - first) as u64);

        // Group 3 saw group 1 durable, so damage to group 1 hit an acknowledged frame...
        let mut bytes = journal_of(&frames);
        bytes[HEADER_LEN + 1] ^= 0x40;
        let err = parse(&bytes, 0).unwrap_err();
        assert!(
            matches!(&err, StoreError::JournalCorrupt { offset: 0, reason } if reason.contains("group 1 as durable")),
            "{err}"
        );
        // ...which costs nothing once a checkpoint holds it.
        let r = parse(&bytes, 1).expect("group 1 is in redb");
        assert!(r.groups.is_empty());
        assert_eq!(r.dropped_frames, 2);

        // A V1 frame (no watermark) proves nothing.
        let mut bytes = journal_of(&[group(1, 1)]);
        bytes.extend_from_slice(&[0u8; 100]);
        let v1 = JournalGroup::V1 {
            id: 3,
            writes: Vec::new(),
        };
        bytes.extend_from_slice(&encode_frame(&v1).unwrap());
        assert_eq!(parse(&bytes, 0).unwrap().groups.len(), 1);
    }

    #[test]
    fn the_search_after_a_bad_frame_is_bounded() {
        let mut bytes = journal_of(&[group(1, 2)]);
        let good = bytes.len();
        // Frame headers every 40 bytes, each claiming the rest of the file: an unbounded search
        // would hash about (size^2 / 80) bytes.
        let size = 256 << 10;
        while bytes.len() < good + size {
            let claim = u32::try_from((good + size).saturating_sub(bytes.len() + HEADER_LEN))
                .expect("small")
                .to_be_bytes();
            bytes.extend_from_slice(&MAGIC);
            bytes.extend_from_slice(&claim);
            bytes.extend_from_slice(&[0xA5; 32]);
        }
        match parse(&bytes, 0) {
            Err(StoreError::JournalCorrupt { offset, reason }) => {
                assert_eq!(offset, good as u64);
                assert!(reason.contains("too many frame headers"), "{reason}");
            }
            other => panic!("expected JournalCorrupt, got {other:?}"),
        }
    }

    #[test]
    fn a_chance_header_in_a_torn_tail_is_not_corruption() {
        let mut bytes = journal_of(&[group(1, 2)]);
        let torn = journal_of(&[group(2, 3)]);
        // The torn last frame holds the magic followed by a length far beyond the file.
        let mut tail = torn[..torn.len() / 2].to_vec();
        tail.extend_from_slice(&MAGIC);
        tail.extend_from_slice(&u32::MAX.to_be_bytes());
        tail.extend_from_slice(&[0u8; 40]);
        bytes.extend_from_slice(&tail);
        let r = parse(&bytes, 0).expect("a torn tail, not corruption");
        assert_eq!(r.groups.len(), 1);
        assert_eq!(r.torn_bytes, tail.len() as u64);
    }

    #[test]
    fn group_ids_must_increase() {
        let bytes = journal_of(&[group(2, 1), group(2, 1)]);
        assert!(matches!(
            parse(&bytes, 0),
            Err(StoreError::JournalCorrupt { .. })
        ));
    }

    #[test]
    fn append_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = Journal::path_for(&dir.path().join("db.redb"));
        let fs = crate::storage::FsStorage;
        let (mut j, r) = Journal::open(&fs, &path, 0).unwrap();
        assert!(r.groups.is_empty());
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "journal is owner-only");
        j.write(&encode_frame(&group(1, 1)).unwrap()).unwrap();
        j.write(&encode_frame(&group(2, 1)).unwrap()).unwrap();
        j.sync_handle().sync_data().unwrap();
        drop(j);
        let (mut j, r) = Journal::open(&fs, &path, 0).unwrap();
        assert_eq!(r.groups.len(), 2);
        j.reset().unwrap();
        assert_eq!(j.len(), 0);
        drop(j);
        assert!(Journal::open(&fs, &path, 0).unwrap().1.groups.is_empty());
    }

    /// A journal file in memory whose syncs fail while `fail` is set.
    #[derive(Default)]
    struct FlakyFile {
        bytes: std::sync::Mutex<Vec<u8>>,
        fail: std::sync::atomic::AtomicBool,
    }

    impl StoreFile for FlakyFile {
        fn len(&self) -> std::io::Result<u64> {
            Ok(self.bytes.lock().unwrap().len() as u64)
        }
        fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
            let b = self.bytes.lock().unwrap();
            let at = (offset as usize).min(b.len());
            let n = buf.len().min(b.len() - at);
            buf[..n].copy_from_slice(&b[at..at + n]);
            Ok(n)
        }
        fn write_all_at(&self, buf: &[u8], offset: u64) -> std::io::Result<()> {
            let mut b = self.bytes.lock().unwrap();
            let end = offset as usize + buf.len();
            if b.len() < end {
                b.resize(end, 0);
            }
            b[offset as usize..end].copy_from_slice(buf);
            Ok(())
        }
        fn set_len(&self, len: u64) -> std::io::Result<()> {
            self.bytes.lock().unwrap().resize(len as usize, 0);
            Ok(())
        }
        fn sync_data(&self) -> std::io::Result<()> {
            if self.fail.load(std::sync::atomic::Ordering::Relaxed) {
                Err(std::io::Error::other("EIO"))
            } else {
                Ok(())
            }
        }
    }

    #[test]
    fn after_a_reset_whose_sync_failed_frames_start_at_zero() {
        let file = Arc::new(FlakyFile::default());
        let mut j = Journal {
            file: Arc::clone(&file) as Arc<dyn StoreFile>,
            path: PathBuf::from("flaky"),
            len: 0,
        };
        j.write(&encode_frame(&group(1, 3)).unwrap()).unwrap();
        file.fail.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(j.reset().is_err());
        file.fail.store(false, std::sync::atomic::Ordering::Relaxed);
        j.write(&encode_frame(&group(2, 1)).unwrap()).unwrap();
        let bytes = file.bytes.lock().unwrap().clone();
        let r = parse(&bytes, 1).expect("no hole before group 2");
        assert_eq!(
            r.groups.iter().map(JournalGroup::id).collect::<Vec<_>>(),
            [2]
        );
        assert_eq!(r.torn_bytes, 0);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse(&bytes, 0);
        }

        #[test]
        fn corrupted_journals_never_panic(
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
            cut in any::<usize>(),
        ) {
            let mut bytes = journal_of(&[group(1, 3), group(2, 1), group(3, 4)]);
            for (at, x) in flips {
                let i = at % bytes.len();
                bytes[i] ^= x;
            }
            let keep = cut % (bytes.len() + 1);
            if let Ok(r) = parse(&bytes[..keep], 0) {
                // Whatever survives is in increasing order.
                prop_assert!(r.groups.windows(2).all(|w| w[0].id() < w[1].id()));
            }
        }
    }
}
