//! Writing the log: durability of each kind of append, group commit under concurrency,
//! backpressure, reopening after a clean close or a crash, and failing closed.

mod support;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use keywarden_audit::{
    AuditError, AuditLog, AuditOptions, Durability, Ed25519Signer, MAX_READ, Problem, read, verify,
};
use support::{
    FailingSigner, Gate, GateSigner, TestLog, contains, entry, entry_rec, every_5, fill, message,
};

/// Polls `cond` every few milliseconds for at most a minute (the bound only turns a hang into
/// a failure; nothing is asserted about how long it takes).
async fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    for _ in 0..6000 {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    cond()
}

#[tokio::test]
async fn a_durable_append_is_on_disk_when_it_returns() {
    let t = TestLog::new();
    let log = t.open(AuditOptions {
        sync_interval: Duration::from_secs(3600),
        ..AuditOptions::default()
    });
    for n in 1..=3 {
        log.append(entry(n), Durability::Durable).await.unwrap();
        // Another handle on the file, opened after the answer, sees the entry...
        let bytes = std::fs::read(&t.segments()[0]).unwrap();
        assert!(contains(&bytes, message(n).as_bytes()), "entry {n}");
        // ...and the writer had synced it before answering.
        let s = log.stats();
        assert!(s.synced_seq >= n, "{s:?}");
        assert!(s.syncs >= n, "{s:?}");
    }
    log.close().unwrap();
}

#[tokio::test]
async fn batched_appends_are_synced_within_the_interval() {
    let t = TestLog::new();
    let log = t.open(AuditOptions {
        sync_interval: Duration::from_millis(50),
        checkpoint_interval: Duration::from_secs(3600),
        ..AuditOptions::default()
    });
    fill(&log, 1, 10, Durability::Batched).await;
    // No other append follows: only the interval can cause the sync.
    assert!(
        eventually(|| log.stats().synced_seq == 10).await,
        "{:?}",
        log.stats()
    );
    assert!(log.stats().syncs >= 1);
    log.close().unwrap();
}

#[tokio::test]
async fn batched_appends_do_not_sync_on_their_own() {
    let t = TestLog::new();
    let log = t.open(AuditOptions {
        sync_interval: Duration::from_secs(3600),
        checkpoint_interval: Duration::from_secs(3600),
        ..AuditOptions::default()
    });
    fill(&log, 1, 100, Durability::Batched).await;
    assert!(eventually(|| log.stats().last_seq == 100).await);
    let s = log.stats();
    assert_eq!((s.syncs, s.synced_seq), (0, 0), "{s:?}");
    // One durable append syncs everything written before it, in one sync.
    log.append(entry(101), Durability::Durable).await.unwrap();
    let s = log.stats();
    assert_eq!((s.syncs, s.synced_seq), (1, 101), "{s:?}");
    log.close().unwrap();
}

/// Nothing driven by time: batched entries wait for a durable one, a sync or a full batch.
fn no_timers() -> AuditOptions {
    AuditOptions {
        sync_interval: Duration::from_secs(3600),
        checkpoint_interval: Duration::from_secs(3600),
        write_delay: Duration::from_secs(3600),
        ..AuditOptions::default()
    }
}

#[tokio::test]
async fn batched_appends_wait_for_the_write_delay_and_sync_writes_them() {
    let t = TestLog::new();
    let log = t.open(no_timers());
    fill(&log, 1, 10, Durability::Batched).await;
    // Ten entries are far from a full batch and the delay is an hour: nothing is written.
    let s = log.stats();
    assert_eq!((s.writes, s.last_seq), (0, 0), "{s:?}");
    // A reader's sync makes all of them durable, in one write and one sync.
    log.sync().await.unwrap();
    let s = log.stats();
    assert_eq!((s.writes, s.syncs, s.synced_seq), (1, 1, 10), "{s:?}");
    // Nothing new: a second sync costs nothing.
    log.sync().await.unwrap();
    assert_eq!(log.stats().syncs, 1);
    log.close().unwrap();
    assert_eq!(verify(t.path(), None).unwrap().entries, 10);
}

#[tokio::test]
async fn a_durable_append_does_not_wait_for_the_write_delay() {
    let t = TestLog::new();
    let log = t.open(no_timers());
    fill(&log, 1, 3, Durability::Batched).await;
    // Answered at all means it did not wait the hour; it carries the batched ones with it.
    log.append(entry(4), Durability::Durable).await.unwrap();
    let s = log.stats();
    assert_eq!((s.synced_seq, s.syncs), (4, 1), "{s:?}");
    log.close().unwrap();
}

#[tokio::test]
async fn a_large_batch_is_written_without_waiting_for_the_delay() {
    let t = TestLog::new();
    // Half the queue is a large batch: 4 of 8.
    let log = t.open(AuditOptions {
        queue_capacity: 8,
        ..no_timers()
    });
    fill(&log, 1, 4, Durability::Batched).await;
    assert!(
        eventually(|| log.stats().last_seq == 4).await,
        "{:?}",
        log.stats()
    );
    // Written, not synced: only the interval, a durable entry or a sync does that.
    assert_eq!(log.stats().syncs, 0);
    log.close().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_get_one_gap_free_order() {
    const TASKS: u64 = 16;
    const EACH: u64 = 200;
    let t = TestLog::new();
    let log = Arc::new(t.open(AuditOptions {
        segment_bytes: 64 * 1024,
        checkpoint_entries: 100,
        ..AuditOptions::default()
    }));
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let log = Arc::clone(&log);
        tasks.push(tokio::spawn(async move {
            for i in 0..EACH {
                let d = if i % 10 == 0 {
                    Durability::Durable
                } else {
                    Durability::Batched
                };
                log.append(entry(task * 1000 + i), d).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    log.close().unwrap();
    let report = verify(t.path(), Some(&t.key())).unwrap();
    assert_eq!(report.entries, TASKS * EACH);
    assert!(report.segments > 1, "rotation happened under load");
    assert!(report.closed_cleanly);

    let all = read(t.path(), 1, MAX_READ, None).unwrap();
    let seqs: Vec<u64> = all.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (1..=TASKS * EACH).collect::<Vec<_>>());
    // Every append is there once, and each task's appends are in the order it made them.
    let mut last: HashMap<u64, u64> = HashMap::new();
    for r in &all {
        let n: u64 = r.entry.message.as_str()["request ".len()..]
            .parse()
            .unwrap();
        let (task, i) = (n / 1000, n % 1000);
        let prev = last.insert(task, i);
        assert_eq!(prev.map_or(0, |p| p + 1), i, "task {task}");
    }
    assert!(last.values().all(|&i| i == EACH - 1));
}

#[tokio::test]
async fn a_full_queue_makes_appends_wait() {
    let t = TestLog::new();
    let gate = Arc::new(Gate::default());
    let signer = GateSigner {
        inner: t.signer(),
        gate: Arc::clone(&gate),
    };
    let log = AuditLog::open(
        t.path(),
        AuditOptions {
            queue_capacity: 4,
            checkpoint_entries: 1,
            ..AuditOptions::default()
        },
        signer,
    )
    .unwrap();
    // The writer takes entry 1 and stops at its checkpoint's signature.
    gate.shut();
    log.append(entry(1), Durability::Batched).await.unwrap();
    gate.wait_until_blocked();
    // The queue has room for 4 more; the next one must wait for the writer.
    fill(&log, 2, 5, Durability::Batched).await;
    let mut waiting = std::pin::pin!(log.append(entry(6), Durability::Batched));
    let polled = std::future::poll_fn(|cx| Poll::Ready(waiting.as_mut().poll(cx))).await;
    assert!(
        polled.is_pending(),
        "an append was queued beyond the capacity"
    );
    gate.open();
    waiting.await.unwrap();
    log.close().unwrap();
    assert_eq!(verify(t.path(), None).unwrap().entries, 6);
}

#[tokio::test]
async fn reopening_resumes_the_chain() {
    let t = TestLog::new();
    let log = t.open(every_5());
    fill(&log, 1, 7, Durability::Durable).await;
    log.close().unwrap();
    drop(log);
    let log = t.open(every_5());
    fill(&log, 8, 12, Durability::Batched).await;
    log.close().unwrap();
    let r = verify(t.path(), Some(&t.key())).unwrap();
    assert_eq!((r.entries, r.last_seq), (12, Some(12)));
    assert!(r.closed_cleanly);
    assert_eq!(r.crash_recoveries, 0);
    let all = read(t.path(), 1, 100, None).unwrap();
    assert!(
        all.iter()
            .all(|r| r.entry.message.as_str() == message(r.seq))
    );
}

#[tokio::test]
async fn a_crash_leaves_a_torn_tail_that_reopen_cuts_off() {
    let t = TestLog::new();
    let log = t.open(every_5());
    fill(&log, 1, 8, Durability::Durable).await;
    // What a crash now would leave, with the last write torn in the middle of entry 8.
    let crashed = TestLog::new();
    support::copy_dir(t.path(), crashed.path());
    drop(log);
    let seg = crashed.segments()[0].clone();
    let bytes = std::fs::read(&seg).unwrap();
    let e8 = entry_rec(&bytes, 8);
    std::fs::write(&seg, &bytes[..e8.offset + 20]).unwrap();

    let r = verify(crashed.path(), None).unwrap();
    assert_eq!(r.last_seq, Some(7));
    assert_eq!(
        r.torn_tail.as_ref().map(|t| t.offset),
        Some(e8.offset as u64)
    );

    let log = AuditLog::open(crashed.path(), every_5(), t.signer()).unwrap();
    assert_eq!(log.stats().last_seq, 7);
    fill(&log, 8, 9, Durability::Durable).await;
    log.close().unwrap();
    let r = verify(crashed.path(), Some(&t.key())).unwrap();
    assert_eq!((r.entries, r.last_seq), (9, Some(9)));
    assert_eq!(r.torn_tail, None);
    assert_eq!(r.crash_recoveries, 1);
    assert!(r.closed_cleanly);
}

#[tokio::test]
async fn damage_before_the_tail_fails_the_open() {
    let t = TestLog::new();
    let log = t.open(every_5());
    fill(&log, 1, 8, Durability::Durable).await;
    log.close().unwrap();
    drop(log);
    let seg = t.segments()[0].clone();
    let mut bytes = std::fs::read(&seg).unwrap();
    let e3 = entry_rec(&bytes, 3);
    bytes[e3.payload.0 + 5] ^= 0x10;
    std::fs::write(&seg, &bytes).unwrap();
    match AuditLog::open(t.path(), every_5(), t.signer()) {
        Err(AuditError::Corrupt(b)) => {
            assert_eq!((b.segment, b.offset), (seg, e3.offset as u64));
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[tokio::test]
async fn a_failing_signer_stops_the_log_and_nothing_is_answered_as_durable() {
    let t = TestLog::new();
    // The opening checkpoint is the only signature that works.
    let signer = FailingSigner {
        inner: t.signer(),
        works: Mutex::new(1),
    };
    let log = AuditLog::open(
        t.path(),
        AuditOptions {
            checkpoint_entries: 2,
            checkpoint_interval: Duration::from_secs(3600),
            ..AuditOptions::default()
        },
        signer,
    )
    .unwrap();
    log.append(entry(1), Durability::Durable).await.unwrap();
    let second = log.append(entry(2), Durability::Durable).await;
    assert!(
        matches!(second, Err(AuditError::Failed { .. })),
        "{second:?}"
    );
    assert!(matches!(
        log.append(entry(3), Durability::Batched).await,
        Err(AuditError::Failed { .. })
    ));
    assert!(log.failure().is_some());
    assert!(matches!(log.close(), Err(AuditError::Failed { .. })));
    drop(log);
    // What was durable is there; a reopen with a working key recovers the chain.
    let r = verify(t.path(), None).unwrap();
    assert_eq!(r.last_seq, Some(1));
    let log = t.open(AuditOptions::default());
    log.append(entry(2), Durability::Durable).await.unwrap();
    log.close().unwrap();
    assert_eq!(verify(t.path(), None).unwrap().crash_recoveries, 1);
}

#[tokio::test]
async fn appends_after_close_fail() {
    let t = TestLog::new();
    let log = t.open(AuditOptions::default());
    log.close().unwrap();
    log.close().unwrap();
    assert!(matches!(
        log.append(entry(1), Durability::Durable).await,
        Err(AuditError::Closed)
    ));
}

#[tokio::test]
async fn invalid_entries_are_refused_before_the_queue() {
    let t = TestLog::new();
    let log = t.open(AuditOptions::default());
    let mut e = entry(1);
    e.operation = "".into();
    assert!(matches!(
        log.append(e, Durability::Durable).await,
        Err(AuditError::Invalid {
            field: "operation",
            ..
        })
    ));
    log.append(entry(1), Durability::Durable).await.unwrap();
    assert_eq!(log.stats().last_seq, 1);
    log.close().unwrap();
}

#[test]
fn opening_with_another_key_or_without_the_key_file_is_refused() {
    let t = TestLog::new();
    drop(t.open(AuditOptions::default()));
    let stranger = Ed25519Signer::generate().unwrap();
    assert!(matches!(
        AuditLog::open(t.path(), AuditOptions::default(), stranger),
        Err(AuditError::SignerMismatch { .. })
    ));
    std::fs::remove_file(t.path().join(keywarden_audit::KEY_FILE)).unwrap();
    assert!(matches!(
        AuditLog::open(t.path(), AuditOptions::default(), t.signer()),
        Err(AuditError::KeyFile { .. })
    ));
}

#[test]
fn bad_options_fail_at_open() {
    let t = TestLog::new();
    for bad in [
        AuditOptions {
            segment_bytes: 10,
            ..AuditOptions::default()
        },
        AuditOptions {
            checkpoint_entries: 0,
            ..AuditOptions::default()
        },
        AuditOptions {
            queue_capacity: 0,
            ..AuditOptions::default()
        },
        AuditOptions {
            sync_interval: Duration::MAX,
            ..AuditOptions::default()
        },
        AuditOptions {
            sync_interval: Duration::from_millis(5),
            write_delay: Duration::from_millis(6),
            ..AuditOptions::default()
        },
    ] {
        assert!(matches!(
            AuditLog::open(t.path(), bad, t.signer()),
            Err(AuditError::Invalid { .. })
        ));
    }
}

#[tokio::test]
async fn a_missing_segment_fails_the_open() {
    let t = TestLog::new();
    let log = t.open(AuditOptions {
        segment_bytes: 1024,
        ..every_5()
    });
    fill(&log, 1, 30, Durability::Durable).await;
    log.close().unwrap();
    drop(log);
    let segs = t.segments();
    assert!(segs.len() >= 3);
    std::fs::remove_file(&segs[1]).unwrap();
    match AuditLog::open(t.path(), every_5(), t.signer()) {
        Err(AuditError::Corrupt(b)) => assert_eq!(b.problem, Problem::MissingSegment(2)),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}
