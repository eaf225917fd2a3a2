//! Tampering with a closed log: every edit, deletion, reordering, key swap or cut is found by
//! `verify`, at the first place it breaks the log.

mod support;

use std::path::Path;

use keywarden_audit::{
    AuditOptions, Breakage, Durability, Ed25519Signer, KEY_FILE, Problem, Signer, VerifyError,
    read, verify,
};
use proptest::prelude::*;
use support::{Kind, TestLog, entry_rec, every_5, fill, records, rehash_from, twenty};

fn broken(dir: &Path) -> Breakage {
    match verify(dir, None) {
        Err(VerifyError::Broken(b)) => b,
        other => panic!("expected a broken log, got {other:?}"),
    }
}

fn edit(path: &Path, f: impl FnOnce(&mut Vec<u8>)) {
    let mut bytes = std::fs::read(path).unwrap();
    f(&mut bytes);
    std::fs::write(path, bytes).unwrap();
}

#[tokio::test]
async fn an_untouched_log_verifies() {
    let t = twenty().await;
    let r = verify(t.path(), Some(&t.key())).unwrap();
    assert_eq!(r.segments, 1);
    assert_eq!(r.entries, 20);
    // Opening, one after every 5 entries, closing.
    assert_eq!(r.checkpoints, 6);
    assert_eq!((r.first_seq, r.last_seq), (Some(1), Some(20)));
    assert_eq!(r.last_checkpoint_seq, 20);
    assert_eq!(r.unsigned_tail, 0);
    assert!(r.closed_cleanly);
    assert_eq!(r.torn_tail, None);
    assert!(!r.tail_is_unsigned());
    assert_eq!(r.key_id, t.key().key_id());
}

#[tokio::test]
async fn editing_any_byte_of_an_entry_is_detected_at_that_entry() {
    let t = twenty().await;
    let seg = t.segments()[0].clone();
    let original = std::fs::read(&seg).unwrap();
    let rec = entry_rec(&original, 7);
    for at in rec.offset..rec.end {
        let mut bytes = original.clone();
        bytes[at] ^= 0x01;
        std::fs::write(&seg, &bytes).unwrap();
        let b = broken(t.path());
        assert_eq!(b.segment, seg, "byte {at}");
        assert_eq!(b.offset, rec.offset as u64, "byte {at}: {b}");
        assert_eq!(b.expected_seq, 7, "byte {at}: {b}");
    }
    // A byte of the message text: the entry still decodes, so the report names it.
    let mut bytes = original.clone();
    let (p0, p1) = rec.payload;
    let text = support::message(7);
    let i = (p0..p1)
        .find(|&i| bytes[i..].starts_with(text.as_bytes()))
        .unwrap();
    bytes[i] = b'R';
    std::fs::write(&seg, &bytes).unwrap();
    let b = broken(t.path());
    assert_eq!(b.problem, Problem::HashMismatch);
    assert_eq!(b.found_seq, Some(7));
}

#[tokio::test]
async fn deleting_an_entry_is_detected_as_a_gap() {
    let t = twenty().await;
    let seg = t.segments()[0].clone();
    let mut off = 0;
    edit(&seg, |bytes| {
        let rec = entry_rec(bytes, 7);
        off = rec.offset;
        bytes.drain(rec.offset..rec.end);
    });
    let b = broken(t.path());
    assert_eq!(b.offset, off as u64);
    assert_eq!(
        b.problem,
        Problem::SequenceGap {
            expected: 7,
            found: 8
        }
    );
}

#[tokio::test]
async fn swapping_two_entries_is_detected_as_reordered() {
    let t = twenty().await;
    let seg = t.segments()[0].clone();
    let mut off = 0;
    edit(&seg, |bytes| {
        let (a, b) = (entry_rec(bytes, 7), entry_rec(bytes, 8));
        off = a.offset;
        let first = bytes[a.offset..a.end].to_vec();
        let second = bytes[b.offset..b.end].to_vec();
        bytes.splice(a.offset..b.end, second.into_iter().chain(first));
    });
    let b = broken(t.path());
    assert_eq!(b.offset, off as u64);
    assert_eq!(
        b.problem,
        Problem::Reordered {
            expected: 7,
            found: 8
        }
    );
}

#[tokio::test]
async fn deleting_a_checkpoint_is_detected() {
    let t = twenty().await;
    let seg = t.segments()[0].clone();
    let mut off = 0;
    edit(&seg, |bytes| {
        // The checkpoint after entry 10.
        let e10 = entry_rec(bytes, 10);
        let cp = records(bytes)
            .into_iter()
            .find(|r| r.offset == e10.end)
            .unwrap();
        assert_eq!(cp.kind, Kind::Checkpoint);
        off = cp.offset;
        bytes.drain(cp.offset..cp.end);
    });
    let b = broken(t.path());
    assert_eq!(b.offset, off as u64);
    assert_eq!(b.problem, Problem::HashMismatch);
    assert_eq!(b.found_seq, Some(11));
}

#[tokio::test]
async fn a_recomputed_chain_is_caught_by_the_next_signed_checkpoint() {
    let t = twenty().await;
    let seg = t.segments()[0].clone();
    let mut cp_at = 0;
    edit(&seg, |bytes| {
        let rec = entry_rec(bytes, 7);
        let text = support::message(7);
        let i = (rec.payload.0..rec.payload.1)
            .find(|&i| bytes[i..].starts_with(text.as_bytes()))
            .unwrap();
        bytes[i] = b'R';
        rehash_from(bytes, rec.offset);
        cp_at = entry_rec(bytes, 10).end;
    });
    let b = broken(t.path());
    assert_eq!(b.offset, cp_at as u64, "{b}");
    assert_eq!(b.problem, Problem::CheckpointMismatch("chain hash"));
}

#[tokio::test]
async fn a_replaced_key_file_is_detected_when_the_key_is_pinned() {
    let t = twenty().await;
    let real = t.key();
    // Another node's key file dropped in: the checkpoints name another key.
    let other = TestLog::new();
    drop(other.open(AuditOptions::default()));
    std::fs::copy(other.path().join(KEY_FILE), t.path().join(KEY_FILE)).unwrap();
    let b = broken(t.path());
    assert_eq!(b.offset, support::HEADER as u64);
    assert!(matches!(b.problem, Problem::UnknownKey { .. }), "{b}");
    assert!(matches!(
        verify(t.path(), Some(&real)),
        Err(VerifyError::KeyNotPinned { .. })
    ));

    // A whole log forged with the attacker's own key is consistent; only the pin finds it.
    let forged = TestLog::new();
    let log = forged.open(every_5());
    fill(&log, 1, 20, Durability::Durable).await;
    log.close().unwrap();
    for p in t.segments() {
        std::fs::remove_file(p).unwrap();
    }
    support::copy_dir(forged.path(), t.path());
    assert!(verify(t.path(), None).is_ok());
    assert!(matches!(
        verify(t.path(), Some(&real)),
        Err(VerifyError::KeyNotPinned { .. })
    ));
    assert!(matches!(
        read(t.path(), 1, 10, Some(&real)),
        Err(VerifyError::KeyNotPinned { .. })
    ));
}

#[tokio::test]
async fn a_cut_tail_is_reported() {
    let t = twenty().await;
    let seg = t.segments()[0].clone();
    let original = std::fs::read(&seg).unwrap();
    let recs = records(&original);
    let close = *recs.last().unwrap();
    assert_eq!(close.kind, Kind::Checkpoint);

    // Cut in the middle of the closing checkpoint: a torn write.
    std::fs::write(&seg, &original[..close.offset + 10]).unwrap();
    let r = verify(t.path(), None).unwrap();
    let torn = r.torn_tail.clone().expect("torn tail reported");
    assert_eq!((torn.offset, torn.bytes), (close.offset as u64, 10));
    assert!(!r.closed_cleanly);
    assert!(r.tail_is_unsigned());

    // Cut at a record boundary after entry 18: nothing torn, but three unsigned entries and
    // no closing checkpoint.
    let e18 = entry_rec(&original, 18);
    std::fs::write(&seg, &original[..e18.end]).unwrap();
    let r = verify(t.path(), None).unwrap();
    assert_eq!(r.torn_tail, None);
    assert_eq!(r.last_seq, Some(18));
    assert_eq!(r.last_checkpoint_seq, 15);
    assert_eq!(r.unsigned_tail, 3);
    assert!(!r.closed_cleanly);
}

/// A log over several segments.
async fn rotated(entries: u64) -> TestLog {
    let t = TestLog::new();
    let log = t.open(AuditOptions {
        segment_bytes: 1024,
        ..every_5()
    });
    fill(&log, 1, entries, Durability::Durable).await;
    log.close().unwrap();
    t
}

#[tokio::test]
async fn segment_damage_is_detected() {
    let t = rotated(40).await;
    let segs = t.segments();
    assert!(segs.len() >= 4, "{segs:?}");
    let r = verify(t.path(), None).unwrap();
    assert_eq!((r.entries, r.segments), (40, segs.len() as u64));

    // The opening checkpoint of segment 2 removed.
    let saved = std::fs::read(&segs[1]).unwrap();
    edit(&segs[1], |bytes| {
        let first = records(bytes)[0];
        assert_eq!(first.kind, Kind::Checkpoint);
        bytes.drain(first.offset..first.end);
    });
    let b = broken(t.path());
    assert_eq!((b.segment.clone(), b.offset), (segs[1].clone(), 48));
    std::fs::write(&segs[1], &saved).unwrap();

    // Segment 2 removed.
    std::fs::remove_file(&segs[1]).unwrap();
    let b = broken(t.path());
    assert_eq!(b.problem, Problem::MissingSegment(2));
    std::fs::write(&segs[1], &saved).unwrap();

    // Segments 2 and 3 swapped by name.
    let third = std::fs::read(&segs[2]).unwrap();
    std::fs::write(&segs[1], &third).unwrap();
    std::fs::write(&segs[2], &saved).unwrap();
    let b = broken(t.path());
    assert_eq!(b.segment, segs[1]);
    assert!(matches!(b.problem, Problem::BadHeader(_)), "{b}");
}

#[tokio::test]
async fn read_returns_verified_entries_across_segments() {
    let t = rotated(40).await;
    let got = read(t.path(), 7, 20, Some(&t.key())).unwrap();
    let seqs: Vec<u64> = got.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (7..=26).collect::<Vec<_>>());
    for r in &got {
        assert_eq!(r.entry.message.as_str(), support::message(r.seq));
        assert!(r.checkpointed);
    }
    // The hashes are the ones in the files: the record's own, and the 32 bytes in front of it.
    let files: Vec<Vec<u8>> = t
        .segments()
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    for r in &got {
        let (bytes, rec) = files
            .iter()
            .find_map(|b| {
                records(b)
                    .into_iter()
                    .find(|x| x.seq == Some(r.seq))
                    .map(|x| (b, x))
            })
            .unwrap();
        assert_eq!(&bytes[rec.end - 32..rec.end], r.hash.as_bytes());
        assert_eq!(&bytes[rec.offset - 32..rec.offset], r.prev_hash.as_bytes());
    }
    assert!(read(t.path(), 41, 10, None).unwrap().is_empty());
    assert_eq!(read(t.path(), 0, 3, None).unwrap()[0].seq, 1);

    // Damage inside the range read fails the read.
    let segs = t.segments();
    edit(&segs[1], |bytes| {
        let e = records(bytes)[1];
        bytes[e.payload.1 - 1] ^= 0x40;
    });
    assert!(matches!(
        read(t.path(), 1, 40, None),
        Err(VerifyError::Broken(_))
    ));
}

#[tokio::test]
async fn the_unsigned_tail_is_marked_in_reads() {
    let t = TestLog::new();
    let log = t.open(every_5());
    fill(&log, 1, 7, Durability::Durable).await;
    // Entries 6 and 7 are after the last checkpoint while the log is open.
    let got = read(t.path(), 1, 100, None).unwrap();
    let signed: Vec<bool> = got.iter().map(|r| r.checkpointed).collect();
    assert_eq!(signed, [true, true, true, true, true, false, false]);
    log.close().unwrap();
    assert!(
        read(t.path(), 1, 100, None)
            .unwrap()
            .iter()
            .all(|r| r.checkpointed)
    );
}

/// The segment files of a rotated log and its public key, made once for every property case.
/// (The key file is not mutated: what it means is checked by pinning the key, and JSON has
/// byte changes that keep the meaning, such as the case of a hex digit.)
struct Sample {
    segments: Vec<(String, Vec<u8>)>,
    key: keywarden_audit::PublicKey,
    key_file: Vec<u8>,
}

fn sample() -> &'static Sample {
    static SAMPLE: std::sync::OnceLock<Sample> = std::sync::OnceLock::new();
    SAMPLE.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let t = rt.block_on(async {
            let t = TestLog::new();
            let log = t.open(AuditOptions {
                segment_bytes: 1024,
                ..every_5()
            });
            fill(&log, 1, 12, Durability::Durable).await;
            fill(&log, 13, 24, Durability::Batched).await;
            log.close().unwrap();
            t
        });
        let files = t
            .segments()
            .iter()
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read(p).unwrap(),
                )
            })
            .collect();
        let key_file = std::fs::read(t.path().join(KEY_FILE)).unwrap();
        Sample {
            segments: files,
            key: t.key(),
            key_file,
        }
    })
}

fn write_sample(dir: &Path, files: &[(String, Vec<u8>)], key_file: &[u8]) {
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    std::fs::write(dir.join(KEY_FILE), key_file).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Random byte flips anywhere in the log's files never panic the verifier or the reader,
    /// and are always detected, except that flips in the newest segment may be reported as a
    /// torn tail starting at or before the first flip there.
    #[test]
    fn mutations_are_detected_or_reported_as_a_torn_tail(
        flips in proptest::collection::vec((any::<usize>(), any::<usize>(), 1u8..=255), 1..4),
        from in 0u64..30,
    ) {
        let Sample { segments, key, key_file } = sample();
        let mut files = segments.clone();
        let mut hit: Vec<(usize, usize)> = Vec::new();
        for (f, at, x) in flips {
            let f = f % files.len();
            let at = at % files[f].1.len();
            files[f].1[at] ^= x;
            hit.push((f, at));
        }
        let dir = tempfile::tempdir().unwrap();
        write_sample(dir.path(), &files, key_file);
        let _ = read(dir.path(), from, 10, None);
        let newest = files.len() - 1;
        match verify(dir.path(), Some(key)) {
            Err(_) => {}
            Ok(report) => {
                prop_assert!(hit.iter().all(|&(f, _)| f == newest), "undetected: {hit:?}");
                let first = hit.iter().map(|&(_, at)| at).min().unwrap() as u64;
                let torn = report.torn_tail.expect("a flip that verifies must be a torn tail");
                prop_assert!(torn.offset <= first, "torn at {} but flipped at {first}", torn.offset);
            }
        }
    }

    /// Cutting the newest segment anywhere after its opening checkpoint verifies, and the cut
    /// is visible in the report.
    #[test]
    fn a_cut_anywhere_in_the_newest_segment_is_reported(cut in any::<usize>()) {
        let Sample { segments, key_file, .. } = sample();
        let mut files = segments.clone();
        let newest = files.len() - 1;
        let len = files[newest].1.len();
        let opening_end = records(&files[newest].1)[0].end;
        let keep = opening_end + cut % (len - opening_end + 1);
        files[newest].1.truncate(keep);
        let dir = tempfile::tempdir().unwrap();
        write_sample(dir.path(), &files, key_file);
        let report = verify(dir.path(), None).unwrap();
        prop_assert_eq!(report.tail_is_unsigned(), keep < len);
    }
}

#[test]
fn another_nodes_log_is_not_verified_by_this_nodes_key() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let t = rt.block_on(twenty());
    let stranger = Ed25519Signer::generate().unwrap().public_key();
    assert!(matches!(
        verify(t.path(), Some(&stranger)),
        Err(VerifyError::KeyNotPinned { .. })
    ));
    assert!(verify(t.path(), Some(&t.signer().public_key())).is_ok());
}
