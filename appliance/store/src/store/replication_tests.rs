//! Entries replicated from another node: merged through the writer, logged under their origin,
//! idempotent, refused with a gap, and replayed from the journal after a crash.

use std::time::Duration;

use super::*;
use crate::clock::Stamp;
use crate::conflict::ConflictKind;
use crate::journal::Journal;
use crate::oplog::LogOp;
use crate::record::LifecycleEvent;
use crate::testing::open_unlocked;
use crate::types::ReplicatedEntries;

fn never_checkpoint() -> StoreOptions {
    StoreOptions {
        checkpoint_bytes: u64::MAX,
        checkpoint_interval: Duration::from_secs(3600),
        ..StoreOptions::default()
    }
}

fn event(store: &Store) -> Option<LifecycleEvent> {
    Some(LifecycleEvent {
        stamp: store.clock().now(),
        effective: 1,
        reason: None,
        message: None,
    })
}

/// What a peer ships: the origin's entries after `after` and the current records they name.
fn shipment(origin: &Store, after: u64) -> ReplicatedEntries {
    let log = origin.log_since(origin.node_id(), after, 100).expect("log");
    let mut records: Vec<ObjectRecord> = Vec::new();
    for e in &log {
        let LogOp::PutObject { uuid } = &e.op;
        if !records.iter().any(|r| &r.uuid == uuid) {
            records.push((*origin.get(uuid).expect("get").expect("stored")).clone());
        }
    }
    ReplicatedEntries {
        origin: origin.node_id(),
        first_seq: after + 1,
        entries: log
            .iter()
            .map(|e| {
                let LogOp::PutObject { uuid } = &e.op;
                (e.stamp, uuid.clone())
            })
            .collect(),
        records,
    }
}

fn by_name(name: &str) -> LocateQuery {
    LocateQuery {
        name: Some(name.to_string()),
        ..LocateQuery::default()
    }
}

#[tokio::test]
async fn replicated_entries_merge_log_under_their_origin_and_survive_a_crash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = open_unlocked(&dir.path().join("a.redb"), StoreOptions::default());
    let b_path = dir.path().join("b.redb");
    let b = open_unlocked(&b_path, never_checkpoint());
    let a_node = a.node_id();

    let o1 = crate::record::test_record(a.clock().now(), "o1", "alice", &["one"]);
    let o2 = crate::record::test_record(a.clock().now(), "o2", "alice", &["two"]);
    a.commit(vec![WriteOp::PutObject(o1.clone()), WriteOp::PutObject(o2)])
        .await
        .expect("commit");
    let mut c1 = o1;
    c1.lifecycle.compromised = event(&a);
    c1.updated = a.clock().now();
    a.commit(vec![WriteOp::PutObject(c1)])
        .await
        .expect("commit");

    let batch = shipment(&a, 0);
    assert_eq!(batch.entries.len(), 3);
    let info = b
        .commit(vec![WriteOp::Replicated(batch.clone())])
        .await
        .expect("replicated commit");
    assert!(info.seqs.is_empty(), "nothing enters b's own log");
    for uuid in ["o1", "o2"] {
        assert_eq!(b.get(uuid).expect("get"), a.get(uuid).expect("get"));
    }
    assert!(
        b.get("o1")
            .expect("get")
            .expect("o1")
            .lifecycle
            .compromised
            .is_some()
    );
    assert_eq!(b.version_vector().expect("vv").get(&a_node), Some(&3));
    assert_eq!(
        b.log_since(a_node, 0, 10).expect("log"),
        a.log_since(a_node, 0, 10).expect("log")
    );
    assert_eq!(b.locate(&by_name("two")).expect("locate").uuids, vec!["o2"]);
    b.verify_indexes().expect("indexes of merged records");

    // The same entries again change nothing.
    b.commit(vec![WriteOp::Replicated(batch.clone())])
        .await
        .expect("duplicate");
    assert_eq!(b.version_vector().expect("vv").get(&a_node), Some(&3));

    // A gap and b's own log are refused, and the store goes on.
    let mut gap = batch.clone();
    gap.first_seq = 5;
    let err = b
        .commit(vec![WriteOp::Replicated(gap)])
        .await
        .expect_err("gap");
    assert!(
        matches!(
            err,
            StoreError::Invalid {
                field: "first_seq",
                ..
            }
        ),
        "{err}"
    );
    let mut own = batch.clone();
    own.origin = b.node_id();
    own.entries
        .iter_mut()
        .for_each(|(s, _)| s.node = b.node_id());
    let err = b
        .commit(vec![WriteOp::Replicated(own)])
        .await
        .expect_err("own origin");
    assert!(
        matches!(
            err,
            StoreError::Invalid {
                field: "origin",
                ..
            }
        ),
        "{err}"
    );

    // b destroys o2 locally; a stale copy with its material, shipped again, does not revive it.
    let mut d2 = (*b.get("o2").expect("get").expect("o2")).clone();
    d2.material = None;
    d2.lifecycle.destroyed = event(&b);
    d2.updated = b.clock().now();
    b.commit(vec![WriteOp::PutObject(d2)])
        .await
        .expect("destroy");
    b.commit(vec![WriteOp::Replicated(batch)])
        .await
        .expect("stale copy");
    let o2 = b.get("o2").expect("get").expect("o2");
    assert!(o2.lifecycle.destroyed.is_some() && o2.material.is_none());

    // A crash before any checkpoint: the journal alone brings the merges back.
    let crashed = tempfile::tempdir().expect("tempdir");
    let image = crashed.path().join("b.redb");
    std::fs::copy(&b_path, &image).expect("copy database");
    std::fs::copy(Journal::path_for(&b_path), Journal::path_for(&image)).expect("copy journal");
    let expected = (
        b.get("o1").expect("get"),
        b.get("o2").expect("get"),
        b.version_vector().expect("vv"),
    );
    let reopened = open_unlocked(&image, StoreOptions::default());
    assert_eq!(
        (
            reopened.get("o1").expect("get"),
            reopened.get("o2").expect("get"),
            reopened.version_vector().expect("vv")
        ),
        expected
    );
    assert_eq!(reopened.log_since(a_node, 0, 10).expect("log").len(), 3);
    reopened.verify_indexes().expect("indexes after replay");
    reopened.close().await;
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn a_barrier_resolves_after_what_was_visible_is_durable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open_unlocked(&dir.path().join("s.redb"), StoreOptions::default());
    let r = crate::record::test_record(store.clock().now(), "x", "alice", &[]);
    let applied = store
        .commit_applied(vec![WriteOp::PutObject(r)])
        .await
        .expect("applied");
    store.barrier().await.expect("barrier");
    // The write was visible before the barrier, so it is durable when the barrier returns.
    let durable = tokio::time::timeout(Duration::ZERO, applied.durable()).await;
    assert!(matches!(durable, Ok(Ok(_))), "{durable:?}");
    store.close().await;
}

#[tokio::test]
async fn malformed_replicated_entries_are_refused_before_the_writer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open_unlocked(&dir.path().join("s.redb"), StoreOptions::default());
    let other = crate::clock::NodeId(store.node_id().0 ^ 1);
    let stamp = Stamp {
        hlc: crate::clock::Hlc::default(),
        node: other,
    };
    let good = ReplicatedEntries {
        origin: other,
        first_seq: 1,
        entries: vec![(stamp, "u".into())],
        records: vec![],
    };
    let cases: Vec<(&str, ReplicatedEntries)> = vec![
        (
            "entries",
            ReplicatedEntries {
                entries: vec![],
                ..good.clone()
            },
        ),
        (
            "first_seq",
            ReplicatedEntries {
                first_seq: 0,
                ..good.clone()
            },
        ),
        (
            "entries.stamp",
            ReplicatedEntries {
                entries: vec![(
                    Stamp {
                        node: store.node_id(),
                        ..stamp
                    },
                    "u".into(),
                )],
                ..good.clone()
            },
        ),
        (
            "records",
            ReplicatedEntries {
                records: vec![crate::record::test_record(stamp, "not-named", "o", &[])],
                ..good.clone()
            },
        ),
    ];
    for (field, bad) in cases {
        let err = store
            .commit(vec![WriteOp::Replicated(bad)])
            .await
            .expect_err(field);
        assert!(
            matches!(&err, StoreError::Invalid { field: f, .. } if *f == field),
            "{field}: {err}"
        );
    }
    store
        .commit(vec![WriteOp::Replicated(good)])
        .await
        .expect("good");
    store.close().await;
}

#[tokio::test]
async fn own_durable_follows_durable_own_writes_and_starts_where_the_log_ends() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.redb");
    let store = open_unlocked(&path, StoreOptions::default());
    let mut durable = store.own_durable();
    assert_eq!(*durable.borrow(), 0);
    let mut last = 0;
    for i in 0..3 {
        let r = crate::record::test_record(store.clock().now(), &format!("o{i}"), "alice", &[]);
        let info = store
            .commit(vec![WriteOp::PutObject(r)])
            .await
            .expect("commit");
        last = info.seqs[0];
        // Answered only after the sync that also raised the watermark.
        assert!(*durable.borrow_and_update() >= last);
    }
    // A replicated write moves nothing of this node's own log.
    let other = crate::clock::NodeId(store.node_id().0 ^ 1);
    let stamp = Stamp {
        hlc: crate::clock::Hlc::default(),
        node: other,
    };
    store
        .commit(vec![WriteOp::Replicated(ReplicatedEntries {
            origin: other,
            first_seq: 1,
            entries: vec![(stamp, "elsewhere".into())],
            records: vec![],
        })])
        .await
        .expect("replicated");
    assert_eq!(*store.own_durable().borrow(), last);
    store.close().await;
    let store = open_unlocked(&path, StoreOptions::default());
    assert_eq!(*store.own_durable().borrow(), last);
    store.close().await;
}

#[tokio::test]
async fn a_snapshot_raises_the_vector_and_truncation_drops_only_entries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = open_unlocked(&dir.path().join("a.redb"), StoreOptions::default());
    let b_path = dir.path().join("b.redb");
    let b = open_unlocked(&b_path, never_checkpoint());
    let a_node = a.node_id();
    for i in 0..3 {
        let r = crate::record::test_record(a.clock().now(), &format!("s{i}"), "alice", &["snap"]);
        a.commit(vec![WriteOp::PutObject(r)]).await.expect("commit");
    }
    // Two pages of at most two records, the vector on the last.
    let first = a.objects_page(None, 2).expect("page");
    let second = a
        .objects_page(first.last().map(|r| r.uuid.as_str()), 2)
        .expect("page");
    assert_eq!(
        (first.len(), second.len()),
        (2, 1),
        "pages follow UUID order"
    );
    let vector: Vec<(crate::clock::NodeId, u64)> =
        a.version_vector().expect("vv").into_iter().collect();
    for (page, done) in [(first, None), (second, Some(vector.clone()))] {
        b.commit(vec![WriteOp::Snapshot {
            records: page.iter().map(|r| (**r).clone()).collect(),
            done,
        }])
        .await
        .expect("snapshot page");
    }
    for i in 0..3 {
        let uuid = format!("s{i}");
        assert_eq!(b.get(&uuid).expect("get"), a.get(&uuid).expect("get"));
    }
    assert_eq!(b.version_vector().expect("vv").get(&a_node), Some(&3));
    assert!(
        b.log_since(a_node, 0, 10).expect("log").is_empty(),
        "the records hold them"
    );
    assert_eq!(b.locate(&by_name("snap")).expect("locate").total, 3);
    b.verify_indexes().expect("indexes");

    // Entries after the snapshot follow on.
    let r = crate::record::test_record(a.clock().now(), "s3", "alice", &[]);
    a.commit(vec![WriteOp::PutObject(r)]).await.expect("commit");
    b.commit(vec![WriteOp::Replicated(shipment(&a, 3))])
        .await
        .expect("entries after the snapshot");
    assert_eq!(b.version_vector().expect("vv").get(&a_node), Some(&4));
    assert_eq!(b.log_since(a_node, 0, 10).expect("log").len(), 1);

    // Truncation drops entries, never what the vector says is held.
    a.commit(vec![WriteOp::TruncateLogs {
        below: vec![(a_node, 2)],
    }])
    .await
    .expect("truncate");
    let left: Vec<u64> = a
        .log_since(a_node, 0, 10)
        .expect("log")
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(left, vec![3, 4]);
    assert_eq!(a.version_vector().expect("vv").get(&a_node), Some(&4));
    let r = crate::record::test_record(a.clock().now(), "s4", "alice", &[]);
    let info = a.commit(vec![WriteOp::PutObject(r)]).await.expect("commit");
    assert_eq!(info.seqs, vec![5], "sequences go on above the truncation");

    // The snapshot survives a crash before any checkpoint.
    let crashed = tempfile::tempdir().expect("tempdir");
    let image = crashed.path().join("b.redb");
    std::fs::copy(&b_path, &image).expect("copy database");
    std::fs::copy(Journal::path_for(&b_path), Journal::path_for(&image)).expect("copy journal");
    let reopened = open_unlocked(&image, StoreOptions::default());
    assert_eq!(
        reopened.version_vector().expect("vv"),
        b.version_vector().expect("vv")
    );
    assert_eq!(reopened.get("s2").expect("get"), b.get("s2").expect("get"));
    reopened.close().await;
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn merged_records_get_their_terms_from_the_indexer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = open_unlocked(&dir.path().join("a.redb"), StoreOptions::default());
    // Terms as the KMIP layer would give them: here, the names are the "Name" attributes.
    let indexer = crate::types::Indexer(std::sync::Arc::new(|r: &ObjectRecord| {
        crate::record::IndexTerms {
            names: r
                .attributes
                .iter()
                .filter(|x| x.name == "Name" && !x.deleted)
                .map(|x| String::from_utf8_lossy(&x.value).into_owned())
                .collect(),
            ..r.index.clone()
        }
    }));
    let with = open_unlocked(
        &dir.path().join("with.redb"),
        StoreOptions {
            indexer: Some(indexer),
            ..StoreOptions::default()
        },
    );
    let without = open_unlocked(&dir.path().join("without.redb"), StoreOptions::default());
    // a names the object "fresh"; the receivers changed it later in another way, so their
    // version wins the terms a plain merge keeps.
    let mut theirs = crate::record::test_record(a.clock().now(), "o", "alice", &[]);
    let named = a.clock().now();
    theirs.attributes.push(crate::record::StoredAttribute {
        name: "Name".into(),
        index: 0,
        value: b"fresh".to_vec(),
        stamp: named,
        deleted: false,
    });
    theirs.index.names = vec!["fresh".into()];
    theirs.updated = named;
    a.commit(vec![WriteOp::PutObject(theirs.clone())])
        .await
        .expect("commit");
    for store in [&with, &without] {
        let mut mine = theirs.clone();
        mine.attributes.clear();
        mine.index.names = vec!["old".into()];
        mine.updated = store.clock().now();
        // Stored as if the receiver had made it, before a's version arrives.
        store
            .commit(vec![WriteOp::Snapshot {
                records: vec![mine],
                done: None,
            }])
            .await
            .expect("receiver's version");
        store
            .commit(vec![WriteOp::Replicated(shipment(&a, 0))])
            .await
            .expect("replicated");
    }
    assert_eq!(
        with.locate(&by_name("fresh")).expect("locate").uuids,
        vec!["o"]
    );
    assert_eq!(with.locate(&by_name("old")).expect("locate").total, 0);
    assert_eq!(
        without.locate(&by_name("fresh")).expect("locate").total,
        0,
        "a plain merge keeps the later version's terms"
    );
    with.verify_indexes().expect("indexes");
    for s in [a, with, without] {
        s.close().await;
    }
}

#[tokio::test]
async fn merges_record_concurrent_compromise_and_destroy_and_duplicate_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = open_unlocked(&dir.path().join("a.redb"), StoreOptions::default());
    let b_path = dir.path().join("b.redb");
    let b = open_unlocked(&b_path, never_checkpoint());
    // x exists on both; a compromises it and b destroys it, neither seeing the other.
    let x = crate::record::test_record(a.clock().now(), "x", "alice", &[]);
    a.commit(vec![WriteOp::PutObject(x.clone())])
        .await
        .expect("x on a");
    b.commit(vec![WriteOp::Replicated(shipment(&a, 0))])
        .await
        .expect("x on b");
    let mut compromised = x.clone();
    compromised.lifecycle.compromised = event(&a);
    compromised.updated = a.clock().now();
    a.commit(vec![WriteOp::PutObject(compromised)])
        .await
        .expect("compromise");
    let mut destroyed = x.clone();
    destroyed.lifecycle.destroyed = event(&b);
    destroyed.updated = b.clock().now();
    b.commit(vec![WriteOp::PutObject(destroyed)])
        .await
        .expect("destroy");
    // Both name a new object "shared".
    let p = crate::record::test_record(a.clock().now(), "p", "alice", &["shared"]);
    a.commit(vec![WriteOp::PutObject(p)]).await.expect("p");
    let q = crate::record::test_record(b.clock().now(), "q", "bob", &["shared"]);
    b.commit(vec![WriteOp::PutObject(q)]).await.expect("q");
    assert!(
        b.conflicts(10).expect("conflicts").is_empty(),
        "local writes find none"
    );

    b.commit(vec![WriteOp::Replicated(shipment(&a, 1))])
        .await
        .expect("heal");
    let found = b.conflicts(10).expect("conflicts");
    let kinds: Vec<&ConflictKind> = found.iter().map(|c| &c.kind).collect();
    assert_eq!(
        kinds,
        vec![
            &ConflictKind::DuplicateName {
                name: "shared".into(),
                other: "q".into()
            },
            &ConflictKind::CompromiseDestroyRace {
                compromised_by: a.node_id(),
                destroyed_by: b.node_id()
            },
        ],
        "{found:?}"
    );
    let x = b.get("x").expect("get").expect("x");
    assert!(x.lifecycle.compromised.is_some() && x.lifecycle.destroyed.is_some());
    // Shipped again: nothing new.
    b.commit(vec![WriteOp::Replicated(shipment(&a, 1))])
        .await
        .expect("again");
    assert_eq!(b.conflicts(10).expect("conflicts").len(), 2);
    // A destroy made after seeing the compromise is no race.
    let c_dir = dir.path().join("c.redb");
    let c = open_unlocked(&c_dir, StoreOptions::default());
    let mut both = (*a.get("x").expect("get").expect("x")).clone();
    both.lifecycle.destroyed = event(&b);
    let made = a.clock().now();
    let y = ObjectRecord {
        uuid: "y".into(),
        created: made,
        updated: made,
        ..both.clone()
    };
    let y_only_compromised = ObjectRecord {
        lifecycle: crate::record::Lifecycle {
            destroyed: None,
            ..both.lifecycle.clone()
        },
        ..y.clone()
    };
    c.commit(vec![WriteOp::Snapshot {
        records: vec![y_only_compromised],
        done: None,
    }])
    .await
    .expect("y compromised");
    c.commit(vec![WriteOp::Snapshot {
        records: vec![y],
        done: None,
    }])
    .await
    .expect("y then destroyed");
    assert!(c.conflicts(10).expect("conflicts").is_empty());

    // The journal alone brings them back after a crash.
    let crashed = tempfile::tempdir().expect("tempdir");
    let image = crashed.path().join("b.redb");
    std::fs::copy(&b_path, &image).expect("copy database");
    std::fs::copy(Journal::path_for(&b_path), Journal::path_for(&image)).expect("copy journal");
    let reopened = open_unlocked(&image, StoreOptions::default());
    assert_eq!(reopened.conflicts(10).expect("conflicts"), found);
    reopened.close().await;
    for s in [a, b, c] {
        s.close().await;
    }
}
