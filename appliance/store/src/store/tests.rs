//! Store tests: behaviour, model-based proptest, group commit, crash safety, scale of Locate.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use proptest::prelude::*;

use super::*;
use crate::clock::{Hlc, Stamp};
use crate::journal::Journal;
use crate::oplog::LogOp;
use crate::record::{IndexTerms, Lifecycle, LifecycleEvent, Record};
use crate::seal::SealedMaterial;
use crate::testing::open_unlocked;

fn open(dir: &tempfile::TempDir) -> Store {
    open_unlocked(&dir.path().join("store.redb"), StoreOptions::default())
}

fn rec(store: &Store, uuid: &str, owner: &str, names: &[&str]) -> ObjectRecord {
    crate::record::test_record(store.clock().now(), uuid, owner, names)
}

fn event(store: &Store, effective: i64) -> Option<LifecycleEvent> {
    Some(LifecycleEvent {
        stamp: store.clock().now(),
        effective,
        reason: None,
        message: None,
    })
}

fn by_name(name: &str) -> LocateQuery {
    LocateQuery {
        name: Some(name.to_string()),
        ..LocateQuery::default()
    }
}

#[tokio::test]
async fn put_get_replace_keeps_indexes_exact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir);
    let mut a = rec(&store, "a", "alice", &["k1", "shared"]);
    let b = rec(&store, "b", "bob", &["k2", "shared"]);
    let info = store
        .commit(vec![
            WriteOp::PutObject(a.clone()),
            WriteOp::PutObject(b.clone()),
        ])
        .await
        .expect("commit");
    assert_eq!(info.seqs, vec![1, 2]);
    assert_eq!(store.get("a").expect("get").as_deref(), Some(&a));
    assert_eq!(store.get("missing").expect("get").as_deref(), None);
    assert_eq!(
        store.locate(&by_name("shared")).expect("locate").uuids,
        vec!["a", "b"]
    );

    // Rename and change owner: old terms must disappear.
    a.index.names = vec!["k3".to_string()];
    a.owner = "carol".to_string();
    a.updated = store.clock().now();
    store
        .commit(vec![WriteOp::PutObject(a.clone())])
        .await
        .expect("commit");
    assert_eq!(store.locate(&by_name("k1")).expect("locate").total, 0);
    assert_eq!(
        store.locate(&by_name("shared")).expect("locate").uuids,
        vec!["b"]
    );
    assert_eq!(
        store.locate(&by_name("k3")).expect("locate").uuids,
        vec!["a"]
    );
    let q = LocateQuery {
        owner: Some("alice".to_string()),
        ..LocateQuery::default()
    };
    assert_eq!(store.locate(&q).expect("locate").total, 0);
    store.verify_indexes().expect("indexes consistent");
    assert_eq!(store.stats().expect("stats").objects, 2);
}

#[tokio::test]
async fn locate_by_each_criterion_state_paging_and_destroyed_flag() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir);
    let mut ops = Vec::new();
    let mut expected_active = Vec::new();
    for i in 0..10 {
        let mut r = rec(&store, &format!("u{i}"), "alice", &[]);
        r.object_type = if i % 2 == 0 { 2 } else { 7 };
        r.index.algorithm = Some(i % 3);
        r.index.custom = vec![(
            "x-tier".to_string(),
            vec![u8::try_from(i % 2).expect("small")],
        )];
        match i {
            0..=3 => {
                r.lifecycle.activated = event(&store, 100);
                expected_active.push(r.uuid.clone());
            }
            4 => r.lifecycle.activated = event(&store, 10_000), // future: pre-active
            5 => {
                r.lifecycle.activated = event(&store, 100);
                r.lifecycle.deactivated = event(&store, 500);
            }
            6 => {
                r.lifecycle.activated = event(&store, 100);
                r.lifecycle.compromised = event(&store, 150);
            }
            7 => r.lifecycle.destroyed = event(&store, 200),
            8 => {
                r.lifecycle.compromised = event(&store, 150);
                r.lifecycle.destroyed = event(&store, 200);
            }
            _ => {}
        }
        ops.push(WriteOp::PutObject(r));
    }
    store.commit(ops).await.expect("commit");
    let q = |state| LocateQuery {
        state: Some(state),
        now: 1_000,
        ..LocateQuery::default()
    };
    let active = store.locate(&q(LifecycleState::Active)).expect("locate");
    assert_eq!(active.uuids, expected_active);
    assert_eq!(active.total, 4);
    assert_eq!(
        store
            .locate(&q(LifecycleState::PreActive))
            .expect("l")
            .uuids,
        vec!["u4", "u9"]
    );
    assert_eq!(
        store
            .locate(&q(LifecycleState::Deactivated))
            .expect("l")
            .uuids,
        vec!["u5"]
    );
    assert_eq!(
        store
            .locate(&q(LifecycleState::Compromised))
            .expect("l")
            .uuids,
        vec!["u6"]
    );
    let destroyed = store.locate(&q(LifecycleState::Destroyed)).expect("l");
    assert_eq!(destroyed.uuids, vec!["u7"]);
    assert_eq!(destroyed.destroyed, vec!["u7"]);
    assert_eq!(
        store
            .locate(&q(LifecycleState::DestroyedCompromised))
            .expect("l")
            .uuids,
        vec!["u8"]
    );
    // Same object is Active earlier and Deactivated later: state is evaluated at `now`.
    let mut at_300 = q(LifecycleState::Active);
    at_300.now = 300;
    assert!(
        store
            .locate(&at_300)
            .expect("l")
            .uuids
            .contains(&"u5".to_string())
    );

    let all = store.locate(&LocateQuery::default()).expect("l");
    assert_eq!(all.total, 10);
    assert_eq!(all.destroyed, vec!["u7", "u8"]);
    let page = store
        .locate(&LocateQuery {
            object_type: Some(2),
            offset: 1,
            limit: Some(2),
            ..LocateQuery::default()
        })
        .expect("l");
    assert_eq!(
        (page.total, page.uuids),
        (5, vec!["u2".to_string(), "u4".to_string()])
    );
    let combo = store
        .locate(&LocateQuery {
            custom: vec![("x-tier".to_string(), vec![1])],
            algorithm: Some(0),
            ..LocateQuery::default()
        })
        .expect("l");
    assert_eq!(combo.uuids, vec!["u3", "u9"]);
    let none = store
        .locate(&LocateQuery {
            owner: Some("mallory".to_string()),
            ..LocateQuery::default()
        })
        .expect("l");
    assert_eq!(none, LocateResult::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_creation_stamp_fails_only_its_own_commit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir);
    let a = rec(&store, "a", "alice", &["n"]);
    let mut b = rec(&store, "b", "alice", &["n"]);
    b.created = a.created;
    store
        .commit(vec![WriteOp::PutObject(a.clone())])
        .await
        .expect("commit a");
    // Submit the bad commit among good ones so it may share a group with them.
    let mut tasks = Vec::new();
    for i in 0..8 {
        let s = store.clone();
        let r = if i == 4 {
            b.clone()
        } else {
            rec(&store, &format!("g{i}"), "bob", &[])
        };
        tasks.push(tokio::spawn(async move {
            s.commit(vec![WriteOp::PutObject(r)]).await
        }));
    }
    for (i, t) in tasks.into_iter().enumerate() {
        let res = t.await.expect("task");
        if i == 4 {
            assert!(
                matches!(
                    res,
                    Err(StoreError::Invalid {
                        field: "created",
                        ..
                    })
                ),
                "{res:?}"
            );
        } else {
            assert!(res.is_ok(), "good commit {i} failed: {res:?}");
        }
    }
    assert_eq!(store.get("b").expect("get").as_deref(), None);
    assert_eq!(
        store.locate(&by_name("n")).expect("locate").uuids,
        vec!["a"]
    );
    // Re-putting the same object with its own stamp is fine.
    store
        .commit(vec![WriteOp::PutObject(a)])
        .await
        .expect("replace a");
    store.verify_indexes().expect("indexes consistent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_applied_is_readable_at_once_durable_after_its_sync_and_fails_like_commit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store.redb");
    let store = open_unlocked(&path, StoreOptions::default());
    let a = rec(&store, "a", "alice", &["n"]);
    let applied = store
        .commit_applied(vec![WriteOp::PutObject(a.clone())])
        .await
        .expect("applied");
    // Applied: reads in this process see it before the caller learns it is durable.
    assert_eq!(store.get("a").expect("get").as_deref(), Some(&a));
    let info = applied.durable().await.expect("durable");
    assert_eq!(info.seqs.len(), 1);
    // A commit that cannot apply fails at once, as with `commit`, and does not stop the store.
    let mut dup = rec(&store, "b", "alice", &[]);
    dup.created = a.created;
    let refused = store
        .commit_applied(vec![WriteOp::PutObject(dup)])
        .await
        .expect_err("duplicate creation stamp");
    assert!(
        matches!(
            refused,
            StoreError::Invalid {
                field: "created",
                ..
            }
        ),
        "{refused:?}"
    );
    let c = rec(&store, "c", "bob", &[]);
    store
        .commit_applied(vec![WriteOp::PutObject(c.clone())])
        .await
        .expect("applied after a refusal")
        .durable()
        .await
        .expect("durable after a refusal");
    // What was reported durable is there after a reopen; the refused one never is.
    store.close().await;
    let store = open_unlocked(&path, StoreOptions::default());
    assert_eq!(store.get("a").expect("get").as_deref(), Some(&a));
    assert_eq!(store.get("c").expect("get").as_deref(), Some(&c));
    assert_eq!(store.get("b").expect("get"), None);
    // A closed store refuses before anything is applied.
    let clone = store.clone();
    store.close().await;
    let late = rec(&clone, "d", "bob", &[]);
    assert!(matches!(
        clone.commit_applied(vec![WriteOp::PutObject(late)]).await,
        Err(StoreError::Closed)
    ));
}

#[tokio::test]
async fn wrapped_keks_are_node_local_and_not_logged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir);
    store
        .commit(vec![WriteOp::PutWrappedKek {
            domain: "d1".to_string(),
            blob: vec![1, 2, 3],
        }])
        .await
        .expect("commit");
    assert_eq!(store.wrapped_kek("d1").expect("kek"), Some(vec![1, 2, 3]));
    assert_eq!(store.wrapped_kek("d2").expect("kek"), None);
    assert_eq!(store.wrapped_kek_domains().expect("domains"), vec!["d1"]);
    assert!(store.version_vector().expect("vv").is_empty());
    assert!(
        store
            .log_since(store.node_id(), 0, 10)
            .expect("log")
            .is_empty()
    );
}

#[tokio::test]
async fn invalid_commits_are_rejected_and_closed_store_refuses_writes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir);
    let bad = rec(&store, "", "alice", &[]);
    assert!(matches!(
        store.commit(vec![WriteOp::PutObject(bad)]).await,
        Err(StoreError::Invalid { field: "uuid", .. })
    ));
    let clone = store.clone();
    store.probe_writable().expect("writer runs");
    store.close().await;
    assert!(matches!(clone.probe_writable(), Err(StoreError::Closed)));
    let r = rec(&clone, "x", "alice", &[]);
    assert!(matches!(
        clone.commit(vec![WriteOp::PutObject(r)]).await,
        Err(StoreError::Closed)
    ));
}

#[tokio::test]
async fn log_and_version_vector_follow_local_writes_and_survive_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir);
    let node = store.node_id();
    for i in 0..5 {
        let r = rec(&store, &format!("o{i}"), "alice", &[]);
        store
            .commit(vec![WriteOp::PutObject(r)])
            .await
            .expect("commit");
    }
    let log = store.log_since(node, 2, 10).expect("log");
    assert_eq!(log.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![3, 4, 5]);
    assert!(log.windows(2).all(|w| w[0].stamp < w[1].stamp));
    let ops: Vec<LogOp> = log.iter().map(|e| e.op.clone()).collect();
    let expected: Vec<LogOp> = (2..5)
        .map(|i| LogOp::PutObject {
            uuid: format!("o{i}"),
        })
        .collect();
    assert_eq!(ops, expected);
    assert_eq!(store.log_since(node, 0, 2).expect("log").len(), 2);
    assert_eq!(
        store.version_vector().expect("vv"),
        BTreeMap::from([(node, 5)])
    );
    let last_stamp = log[2].stamp;
    store.close().await;

    let store = open(&dir);
    assert_eq!(store.node_id(), node, "node id persists");
    assert!(
        store.clock().now() > last_stamp,
        "clock resumes after the last durable stamp"
    );
    let r = rec(&store, "o5", "alice", &[]);
    let info = store
        .commit(vec![WriteOp::PutObject(r)])
        .await
        .expect("commit");
    assert_eq!(info.seqs, vec![6]);
}

#[tokio::test]
async fn sealed_material_round_trips_through_the_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir);
    let kek = crate::seal::DomainKek::new(zeroize::Zeroizing::new(vec![7u8; 32]), 1).expect("kek");
    let mut r = rec(&store, "m1", "alice", &[]);
    let binding = crate::seal::MaterialBinding {
        uuid: "m1",
        object_type: r.object_type,
        algorithm: r.index.algorithm,
        length: r.index.length,
    };
    r.material = Some(kek.seal(&binding, b"key bytes").expect("seal"));
    store
        .commit(vec![WriteOp::PutObject(r)])
        .await
        .expect("commit");
    let got = store.get("m1").expect("get").expect("present");
    let sealed = got.material.as_ref().expect("material");
    assert_eq!(&kek.open(&binding, sealed).expect("open")[..], b"key bytes");
}

fn kek() -> crate::seal::DomainKek {
    crate::seal::DomainKek::new(zeroize::Zeroizing::new(vec![7u8; 32]), 1).expect("kek")
}

fn binding(r: &ObjectRecord) -> crate::seal::MaterialBinding<'_> {
    crate::seal::MaterialBinding {
        uuid: &r.uuid,
        object_type: r.object_type,
        algorithm: r.index.algorithm,
        length: r.index.length,
    }
}

fn seal_for(kek: &crate::seal::DomainKek, r: &ObjectRecord, plain: &[u8]) -> SealedMaterial {
    kek.seal(&binding(r), plain).expect("seal")
}

/// Whether any 16-byte window of `needle` (or all of it, if shorter) occurs in `hay`.
fn shares_bytes(hay: &[u8], needle: &[u8]) -> bool {
    let w = needle.len().min(16);
    w > 0 && needle.windows(w).any(|n| hay.windows(w).any(|h| h == n))
}

/// Raw values of every `origin_log` entry.
fn raw_log(store: &Store) -> Vec<Vec<u8>> {
    let log = store.table(ORIGIN_LOG).expect("log table");
    log.iter()
        .expect("iter")
        .map(|i| i.expect("entry").1.value().to_vec())
        .collect()
}

#[tokio::test]
async fn destroyed_material_survives_in_no_log_entry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir);
    let kek = kek();
    let mut r = rec(&store, "m1", "alice", &[]);
    let sealed = seal_for(&kek, &r, &[0x11; 32]);
    let ciphertext = sealed.ciphertext().to_vec();
    r.material = Some(sealed);
    store
        .commit(vec![WriteOp::PutObject(r.clone())])
        .await
        .expect("create");
    r.lifecycle.destroyed = event(&store, 100);
    r.material = None;
    r.updated = store.clock().now();
    store
        .commit(vec![WriteOp::PutObject(r)])
        .await
        .expect("destroy");

    assert_eq!(
        store.get("m1").expect("get").expect("tombstone").material,
        None
    );
    let raw = raw_log(&store);
    assert_eq!(raw.len(), 2);
    for v in &raw {
        assert!(
            !shares_bytes(v, &ciphertext),
            "ciphertext in a stored log entry"
        );
    }
    let entries = store.log_since(store.node_id(), 0, 10).expect("log");
    assert_eq!(entries.len(), 2);
    for e in &entries {
        let bytes = postcard::to_stdvec(&(e.stamp, &e.op)).expect("encode");
        assert!(
            !shares_bytes(&bytes, &ciphertext),
            "ciphertext in log_since"
        );
        assert_eq!(
            e.op,
            LogOp::PutObject {
                uuid: "m1".to_string()
            }
        );
    }
}

#[tokio::test]
async fn put_never_drops_lifecycle_facts_nor_revives_destroyed_material() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir);
    let mut r = rec(&store, "c1", "alice", &["n"]);
    r.lifecycle.compromised = event(&store, 50);
    store
        .commit(vec![WriteOp::PutObject(r.clone())])
        .await
        .expect("compromise");
    let mut stale = r.clone();
    stale.lifecycle = Lifecycle::default();
    stale.updated = store.clock().now();
    store
        .commit(vec![WriteOp::PutObject(stale)])
        .await
        .expect("stale put");
    let got = store.get("c1").expect("get").expect("present");
    assert_eq!(got.lifecycle.compromised, r.lifecycle.compromised);
    let q = LocateQuery {
        state: Some(LifecycleState::Compromised),
        ..LocateQuery::default()
    };
    assert_eq!(store.locate(&q).expect("locate").uuids, vec!["c1"]);

    // Destroyed, then a put that carries material and no destroy fact: still a tombstone.
    let mut d = ObjectRecord::clone(&got);
    d.lifecycle.destroyed = event(&store, 60);
    d.updated = store.clock().now();
    store
        .commit(vec![WriteOp::PutObject(d.clone())])
        .await
        .expect("destroy");
    let mut revive = d;
    revive.lifecycle = Lifecycle::default();
    revive.material = Some(seal_for(&kek(), &revive, &[0x22; 32]));
    revive.updated = store.clock().now();
    store
        .commit(vec![WriteOp::PutObject(revive)])
        .await
        .expect("revive attempt");
    let got = store.get("c1").expect("get").expect("present");
    assert!(got.lifecycle.destroyed.is_some());
    assert!(got.lifecycle.compromised.is_some());
    assert_eq!(got.material, None);
    store.verify_indexes().expect("indexes consistent");
}

#[tokio::test]
async fn format_1_log_is_migrated_to_references_on_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store.redb");
    let store = open(&dir);
    let node = store.node_id();
    let mut r = rec(&store, "old", "alice", &[]);
    r.material = Some(seal_for(&kek(), &r, &[0x33; 32]));
    let ciphertext = r.material.as_ref().expect("material").ciphertext().to_vec();
    let stamp = store.clock().now();
    store.close().await;

    // Make the file look written by format-1 code: an untagged entry with a full record copy.
    {
        let db = redb::Database::open(&path).expect("raw open");
        let txn = db.begin_write().expect("txn");
        {
            let mut meta = txn.open_table(META).expect("meta");
            meta.insert(META_FORMAT, &1u32.to_be_bytes()[..])
                .expect("format");
            let legacy = crate::oplog::LegacyLogEntry {
                stamp,
                op: crate::oplog::LegacyLogOp::PutObject(Record::from_current(r.clone())),
            };
            let legacy = postcard::to_stdvec(&legacy).expect("encode");
            assert!(
                shares_bytes(&legacy, &ciphertext),
                "format 1 copied the material"
            );
            let mut log = txn.open_table(ORIGIN_LOG).expect("log");
            log.insert((node.0, 1), legacy.as_slice()).expect("insert");
            let mut vv = txn.open_table(VERSION_VECTOR).expect("vv");
            vv.insert(node.0, 1).expect("vv");
        }
        txn.commit().expect("commit");
    }

    let store = open(&dir);
    let entries = store.log_since(node, 0, 10).expect("log");
    assert_eq!(entries.len(), 1);
    assert_eq!((entries[0].seq, entries[0].stamp), (1, stamp));
    assert_eq!(
        entries[0].op,
        LogOp::PutObject {
            uuid: "old".to_string()
        }
    );
    for v in raw_log(&store) {
        assert!(!shares_bytes(&v, &ciphertext));
    }
    store.close().await;
    // Migrated once: the file is at the current format and opens again unchanged.
    let store = open(&dir);
    assert_eq!(store.log_since(node, 0, 10).expect("log"), entries);
}

fn golden_record() -> ObjectRecordV1 {
    let st = |w: u64, l: u32, n: u64| Stamp {
        hlc: Hlc {
            wall_ms: w,
            logical: l,
        },
        node: NodeId(n),
    };
    ObjectRecordV1 {
        uuid: "4b1f".to_string(),
        domain: "acme".to_string(),
        owner: "alice".to_string(),
        object_type: 2,
        origin: NodeId(9),
        created: st(1000, 1, 9),
        updated: st(2000, 0, 9),
        lifecycle: Lifecycle {
            activated: Some(LifecycleEvent {
                stamp: st(1500, 0, 9),
                effective: 1_700_000_000,
                reason: None,
                message: None,
            }),
            deactivated: None,
            compromised: Some(LifecycleEvent {
                stamp: st(1600, 2, 3),
                effective: -1,
                reason: Some(2),
                message: Some("leak".to_string()),
            }),
            destroyed: None,
        },
        material: Some(SealedMaterial::fixture(1, [5u8; 12], vec![0xAA, 0xBB])),
        attributes: vec![StoredAttribute {
            name: "Name".to_string(),
            index: 0,
            value: vec![0x42, 0x00],
            stamp: st(1000, 1, 9),
            deleted: false,
        }],
        links: vec![StoredLink {
            link_type: 0x0103,
            target: "pk".to_string(),
            stamp: st(1000, 1, 9),
            removed: true,
        }],
        index: IndexTerms {
            names: vec!["k".to_string()],
            algorithm: Some(3),
            length: Some(-256),
            custom: vec![("x".to_string(), vec![1])],
        },
    }
}

use crate::record::{ObjectRecordV1, StoredAttribute, StoredLink};

/// Bytes written by the V1 code; must decode forever (never regenerate this constant).
const GOLDEN_V1: &str = concat!(
    "0004346231660461636d6505616c6963650209e8070109d00f000901dc0b000980c49fd50c00000001c00c02",
    "0301010201046c65616b00010105050505050505050505050502aabb01044e616d6500024200e8070109000183",
    "0202706be80701090101016b010301ff030101780101"
);

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

#[test]
fn record_written_by_v1_code_decodes() {
    let decoded = Record::decode(&unhex(GOLDEN_V1)).expect("decode golden V1");
    assert_eq!(decoded, Record::V1(golden_record()));
    assert_eq!(decoded.into_current(), golden_record());
    // And the current encoder still writes the same bytes for a V1 record.
    assert_eq!(
        hex(&Record::V1(golden_record()).encode().expect("encode")),
        GOLDEN_V1
    );
    // The writer's borrowing encoder writes exactly what the owning one does.
    assert_eq!(
        hex(&Record::encode_current(&golden_record()).expect("encode")),
        GOLDEN_V1
    );
    // An unknown future version is a clear decode error, not a panic.
    let mut future = unhex(GOLDEN_V1);
    future[0] = 7;
    assert!(matches!(
        Record::decode(&future),
        Err(StoreError::Decode { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn group_commit_64_tasks_x_50_commits_all_durable_after_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir);
    let mut tasks = Vec::new();
    for t in 0..64 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut max_group = 0;
            for i in 0..50 {
                let r = rec(&s, &format!("t{t}-{i}"), &format!("owner{}", t % 4), &[]);
                let info = s.commit(vec![WriteOp::PutObject(r)]).await.expect("commit");
                assert_eq!(info.seqs.len(), 1);
                max_group = max_group.max(info.group_size);
            }
            max_group
        }));
    }
    let mut max_group = 0;
    for t in tasks {
        max_group = max_group.max(t.await.expect("task"));
    }
    // Concurrent writers share durable transactions: one journal sync answers several commits.
    let stats = store.write_stats();
    eprintln!("largest group: {max_group}, {stats:?}");
    assert_eq!(stats.commits, 64 * 50, "{stats:?}");
    assert!(max_group >= 2, "no two commits ever shared a group");
    assert!(stats.groups < stats.commits, "{stats:?}");
    let node = store.node_id();
    store.close().await;

    let store = open(&dir);
    assert_eq!(store.stats().expect("stats").objects, 64 * 50);
    for t in 0..64 {
        for i in 0..50 {
            assert!(
                store.get(&format!("t{t}-{i}")).expect("get").is_some(),
                "t{t}-{i}"
            );
        }
    }
    // Every local write got a distinct, contiguous log sequence.
    assert_eq!(store.version_vector().expect("vv").get(&node), Some(&3200));
    let log = store.log_since(node, 0, 10_000).expect("log");
    assert_eq!(log.len(), 3200);
    assert!(log.iter().enumerate().all(|(i, e)| e.seq == i as u64 + 1));
    let q = LocateQuery {
        owner: Some("owner1".to_string()),
        ..LocateQuery::default()
    };
    assert_eq!(store.locate(&q).expect("locate").total, 16 * 50);
    store.verify_indexes().expect("indexes consistent");
}

/// A new database is built under a temporary name and linked into place whole, so a crash
/// during its creation never leaves a file that no later open accepts.
#[tokio::test]
async fn a_new_database_appears_whole_and_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store.redb");
    let store = open_unlocked(&path, StoreOptions::default());
    let node = store.node_id();
    store.close().await;
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["store.redb", "store.redb-journal"]);
    let store = open_unlocked(&path, StoreOptions::default());
    assert_eq!(store.node_id(), node, "the same database, not a new one");
    store.close().await;
}

/// Options under which nothing reaches a checkpoint while a test runs.
fn never_checkpoint() -> StoreOptions {
    StoreOptions {
        checkpoint_bytes: u64::MAX,
        checkpoint_interval: Duration::from_secs(3600),
        ..StoreOptions::default()
    }
}

/// What a crash of the running store would leave: a copy of its files as they are on disk
/// now (redb's non-durable commits live only in memory until a checkpoint).
fn crash_image(from: &Path, to: &tempfile::TempDir, with_journal: bool) -> PathBuf {
    let db = to.path().join("store.redb");
    std::fs::copy(from, &db).expect("copy database");
    if with_journal {
        std::fs::copy(Journal::path_for(from), Journal::path_for(&db)).expect("copy journal");
    }
    db
}

/// A crash before the first checkpoint leaves the open transaction as the last durable
/// commit: it must carry the allocator state, or the next open does a full repair (measured:
/// 10.9 s at 1,000,000 objects).
#[tokio::test]
async fn a_crash_before_the_first_checkpoint_needs_no_full_repair() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store.redb");
    let store = open_unlocked(&path, never_checkpoint());
    for i in 0..50 {
        let r = rec(&store, &format!("q{i}"), "alice", &[]);
        store
            .commit(vec![WriteOp::PutObject(r)])
            .await
            .expect("commit");
    }
    let crashed = tempfile::tempdir().expect("tempdir");
    let image = crash_image(&path, &crashed, false);
    let repaired = std::rc::Rc::new(std::cell::Cell::new(false));
    let seen = std::rc::Rc::clone(&repaired);
    let db = redb::Builder::new()
        .set_repair_callback(move |_| seen.set(true))
        .create(&image)
        .expect("open the crash image");
    drop(db);
    assert!(!repaired.get(), "opening after the crash ran a full repair");
    store.close().await;
}

#[tokio::test]
async fn acknowledged_commits_outside_a_checkpoint_are_replayed_from_the_journal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store.redb");
    let store = open_unlocked(&path, never_checkpoint());
    let node = store.node_id();
    let kek = kek();
    for i in 0..20 {
        let mut r = rec(&store, &format!("j{i}"), "alice", &[&format!("name-{i}")]);
        r.material = Some(seal_for(&kek, &r, b"0123456789abcdef"));
        store
            .commit(vec![WriteOp::PutObject(r)])
            .await
            .expect("commit");
    }
    // A later write of the same object in another group: replay must merge it in order.
    let mut r = store
        .get("j3")
        .expect("get")
        .as_deref()
        .cloned()
        .expect("j3");
    r.lifecycle.compromised = event(&store, 1_700_000_000);
    r.updated = store.clock().now();
    store
        .commit(vec![
            WriteOp::PutObject(r),
            WriteOp::PutWrappedKek {
                domain: "d1".to_string(),
                blob: vec![7; 48],
            },
        ])
        .await
        .expect("commit");
    let expected_log = store.log_since(node, 0, 100).expect("log");
    let expected_j3 = store.get("j3").expect("get");

    // Without the journal the crash image lacks them: the test is not vacuous.
    let bare = tempfile::tempdir().expect("tempdir");
    let without = open_unlocked(&crash_image(&path, &bare, false), never_checkpoint());
    assert_eq!(without.get("j0").expect("get"), None);
    without.close().await;

    let image = tempfile::tempdir().expect("tempdir");
    let copy = crash_image(&path, &image, true);
    for round in 0..2 {
        // The second open finds an empty journal and must change nothing.
        let replayed = open_unlocked(&copy, never_checkpoint());
        assert_eq!(replayed.node_id(), node);
        assert_eq!(
            replayed.get("j3").expect("get"),
            expected_j3,
            "round {round}"
        );
        let j7 = replayed.get("j7").expect("get").expect("j7 replayed");
        let material = j7.material.as_ref().expect("material");
        assert_eq!(
            kek.open(&binding(&j7), material).expect("opens").as_slice(),
            b"0123456789abcdef"
        );
        assert_eq!(replayed.log_since(node, 0, 21).expect("log"), expected_log);
        assert_eq!(
            replayed.version_vector().expect("vv"),
            BTreeMap::from([(node, 21 + round)])
        );
        assert_eq!(
            replayed.wrapped_kek("d1").expect("kek").as_deref(),
            Some(&[7u8; 48][..])
        );
        assert_eq!(
            replayed.locate(&by_name("name-12")).expect("locate").total,
            1
        );
        replayed
            .verify_indexes()
            .expect("indexes exact after replay");
        assert!(
            replayed.clock().now() > expected_log.last().expect("entry").stamp,
            "clock resumes after the replayed stamps"
        );
        let info = replayed
            .commit(vec![WriteOp::PutObject(rec(
                &replayed,
                &format!("after-{round}"),
                "alice",
                &[],
            ))])
            .await
            .expect("commit after replay");
        assert_eq!(info.seqs, vec![22 + round]);
        // Close checkpoints: the journal is empty and the database holds everything.
        replayed.close().await;
        assert_eq!(
            std::fs::metadata(Journal::path_for(&copy))
                .expect("journal")
                .len(),
            0
        );
    }
    store.close().await;
}

/// Waits (at most 10 s, else fails with `what`) until a checkpoint emptied the journal.
async fn wait_for_checkpoint(db: &Path, what: &str) {
    let journal = Journal::path_for(db);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::fs::metadata(&journal).expect("journal").len() > 0 {
        assert!(std::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A store in `dir` that checkpoints after every group.
fn checkpointing_store(dir: &tempfile::TempDir) -> (std::path::PathBuf, Store) {
    let path = dir.path().join("store.redb");
    let options = StoreOptions {
        checkpoint_bytes: 1,
        ..StoreOptions::default()
    };
    let store = open_unlocked(&path, options);
    (path, store)
}

#[tokio::test]
async fn a_checkpoint_makes_groups_durable_in_the_database_itself() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, store) = checkpointing_store(&dir);
    store
        .commit(vec![WriteOp::PutObject(rec(&store, "c1", "alice", &[]))])
        .await
        .expect("commit");
    // The checkpoint runs right after the group's answer; wait until the journal is emptied.
    wait_for_checkpoint(&path, "no checkpoint").await;
    let image = tempfile::tempdir().expect("tempdir");
    let copy = crash_image(&path, &image, false);
    let reopened = open_unlocked(&copy, StoreOptions::default());
    assert!(reopened.get("c1").expect("get").is_some());
    reopened.close().await;
    store.close().await;
}

#[tokio::test]
async fn write_stats_count_groups_syncs_and_checkpoints() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_path, store) = checkpointing_store(&dir);
    assert_eq!(store.write_stats(), crate::WriteStats::default());
    // One at a time: each commit is its own group, answered after its own sync.
    for i in 0..3 {
        store
            .commit(vec![WriteOp::PutObject(rec(
                &store,
                &format!("w{i}"),
                "alice",
                &[],
            ))])
            .await
            .expect("commit");
    }
    // A checkpoint is counted after it has emptied the journal: wait for the count itself.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while store.write_stats().checkpoints == 0 {
        assert!(std::time::Instant::now() < deadline, "no checkpoint");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let stats = store.write_stats();
    assert_eq!((stats.groups, stats.commits), (3, 3), "{stats:?}");
    assert!(stats.journal_syncs >= 3, "{stats:?}");
    assert!(stats.journal_sync_seconds > 0.0, "{stats:?}");
    assert!(stats.checkpoints >= 1, "{stats:?}");
    assert!(stats.checkpoint_seconds > 0.0, "{stats:?}");
    store.close().await;
}

#[tokio::test]
async fn an_idle_store_checkpoints_within_the_interval() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store.redb");
    let options = StoreOptions {
        checkpoint_interval: Duration::from_millis(50),
        ..StoreOptions::default()
    };
    let store = open_unlocked(&path, options);
    store
        .commit(vec![WriteOp::PutObject(rec(&store, "i1", "alice", &[]))])
        .await
        .expect("commit");
    let journal = Journal::path_for(&path);
    assert!(std::fs::metadata(&journal).expect("journal").len() > 0);
    wait_for_checkpoint(&path, "idle store never checkpointed").await;
    store.close().await;
}

#[tokio::test]
async fn a_journal_damaged_before_its_end_refuses_to_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store.redb");
    let store = open_unlocked(&path, never_checkpoint());
    for i in 0..3 {
        store
            .commit(vec![WriteOp::PutObject(rec(
                &store,
                &format!("x{i}"),
                "a",
                &[],
            ))])
            .await
            .expect("commit");
    }
    let image = tempfile::tempdir().expect("tempdir");
    let copy = crash_image(&path, &image, true);
    store.close().await;
    let journal = Journal::path_for(&copy);
    let mut bytes = std::fs::read(&journal).expect("read journal");
    bytes[50] ^= 0x40;
    std::fs::write(&journal, &bytes).expect("write journal");
    match Store::open(&copy, never_checkpoint()) {
        Err(StoreError::JournalCorrupt { offset: 0, .. }) => {}
        other => panic!("expected JournalCorrupt at 0, got {other:?}"),
    }
    // A torn tail (the append a crash interrupted) is dropped, the rest replayed.
    let torn = tempfile::tempdir().expect("tempdir");
    let copy = torn.path().join("store.redb");
    std::fs::copy(image.path().join("store.redb"), &copy).expect("copy");
    bytes[50] ^= 0x40;
    let cut = bytes.len() - 10;
    std::fs::write(Journal::path_for(&copy), &bytes[..cut]).expect("write");
    let reopened = open_unlocked(&copy, never_checkpoint());
    assert!(reopened.get("x1").expect("get").is_some());
    assert_eq!(reopened.get("x2").expect("get"), None, "torn group dropped");
    reopened.verify_indexes().expect("indexes");
    reopened.close().await;
}

const CRASH_ENV: &str = "KEYWARDEN_STORE_CRASH_DB";

/// The child half of `sigkill_mid_stream_loses_no_acknowledged_commit`; run only by it.
#[test]
#[ignore = "child process of sigkill_mid_stream_loses_no_acknowledged_commit"]
fn crash_child_writer() {
    let path = std::env::var(CRASH_ENV).expect("run only by the crash test");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let store = open_unlocked(Path::new(&path), StoreOptions::default());
        let mut tasks = Vec::new();
        for t in 0..8 {
            let s = store.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..20_000 {
                    let uuid = format!("c{t}-{i}");
                    let r = rec(&s, &uuid, "alice", &[&uuid]);
                    s.commit(vec![WriteOp::PutObject(r)]).await.expect("commit");
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "ACK {uuid}").expect("stdout");
                    out.flush().expect("flush");
                }
            }));
        }
        for t in tasks {
            t.await.expect("task");
        }
    });
}

#[test]
fn sigkill_mid_stream_loses_no_acknowledged_commit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("crash.redb");
    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new(exe)
        .args([
            "--ignored",
            "--exact",
            "store::tests::crash_child_writer",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CRASH_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("child stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut acked = Vec::new();
    let mut killed = false;
    // Bounded: the child writes at most 160k lines, then exits and closes the pipe.
    for line in lines.by_ref() {
        let line = line.expect("read child stdout");
        if let Some(uuid) = line.strip_prefix("ACK ") {
            acked.push(uuid.to_string());
        }
        if acked.len() >= 300 && !killed {
            child.kill().expect("SIGKILL child");
            killed = true;
        }
    }
    child.wait().expect("reap child");
    assert!(killed, "child exited before it could be killed");
    assert!(
        acked.len() >= 300,
        "child acknowledged only {}",
        acked.len()
    );

    let store = open_unlocked(&path, StoreOptions::default());
    for uuid in &acked {
        assert!(
            store.get(uuid).expect("get").is_some(),
            "acknowledged {uuid} lost"
        );
    }
    store
        .verify_indexes()
        .expect("indexes consistent after crash");
}

#[tokio::test]
async fn locate_by_name_among_100k_objects_does_not_scan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir);
    let total = 100_000;
    for chunk in 0..100 {
        let mut ops = Vec::with_capacity(1000);
        for j in 0..1000 {
            let i = chunk * 1000 + j;
            let name = if i % 20_000 == 7 {
                "needle".to_string()
            } else {
                format!("obj-{i}")
            };
            let mut r = rec(
                &store,
                &format!("id-{i:06}"),
                &format!("owner{}", i % 10),
                &[&name],
            );
            r.object_type = 1 + (i % 3);
            if i % 25_000 == 3 {
                r.index.custom = vec![("x-app".to_string(), b"billing".to_vec())];
            }
            ops.push(WriteOp::PutObject(r));
        }
        store.commit(ops).await.expect("commit");
    }
    assert_eq!(store.stats().expect("stats").objects, total);

    let (res, cost) = store
        .locate_with_cost(&by_name("needle"), |_| true)
        .expect("locate");
    assert_eq!(res.total, 5);
    assert_eq!(
        res.uuids,
        vec![
            "id-000007",
            "id-020007",
            "id-040007",
            "id-060007",
            "id-080007"
        ]
    );
    assert_eq!(
        cost.scanned, 5,
        "name lookup visited only the name's entries"
    );

    // Name + owner + type: still driven by the name, other terms are point probes.
    let q = LocateQuery {
        name: Some("needle".to_string()),
        owner: Some("owner7".to_string()),
        object_type: Some(1 + (7 % 3)),
        ..LocateQuery::default()
    };
    let (res, cost) = store.locate_with_cost(&q, |_| true).expect("locate");
    // needles are i = 7 + 20_000k; object type 2 <=> i % 3 == 1: k = 0 and k = 3.
    assert_eq!(res.uuids, vec!["id-000007", "id-060007"]);
    assert!(cost.scanned <= 5 && cost.probes <= 3 + 5 * 3, "{cost:?}");

    let (res, cost) = store
        .locate_with_cost(&by_name("obj-54321"), |_| true)
        .expect("locate");
    assert_eq!(res.uuids, vec!["id-054321"]);
    assert_eq!(cost.scanned, 1);

    let q = LocateQuery {
        custom: vec![("x-app".to_string(), b"billing".to_vec())],
        owner: Some("owner3".to_string()),
        ..LocateQuery::default()
    };
    let (res, cost) = store.locate_with_cost(&q, |_| true).expect("locate");
    assert_eq!(res.total, 4);
    assert_eq!(cost.scanned, 4, "custom attribute drives the scan");

    // Every candidate is read to count the total (the counts table is as plain as the index);
    // a caller that needs only the page stops after it, and a cap on records read stops the
    // count and says so.
    let q = LocateQuery {
        owner: Some("owner2".to_string()),
        limit: Some(10),
        ..LocateQuery::default()
    };
    let (res, cost) = store.locate_with_cost(&q, |_| true).expect("locate");
    assert_eq!(
        (res.total, res.uuids.len(), res.partial),
        (10_000, 10, false)
    );
    assert_eq!((cost.scanned, cost.records), (10_000, 10_000));
    let page_only = LocateQuery {
        page_only: true,
        ..q.clone()
    };
    let (res, cost) = store
        .locate_with_cost(&page_only, |_| true)
        .expect("locate");
    assert_eq!((res.total, res.uuids.len(), res.partial), (10, 10, true));
    assert_eq!(cost.records, 10);
    let capped = LocateQuery {
        max_records: Some(100),
        ..q
    };
    let (res, cost) = store.locate_with_cost(&capped, |_| true).expect("locate");
    assert_eq!((res.total, res.uuids.len(), res.partial), (100, 10, true));
    assert_eq!(cost.records, 100);
}

// ---------- model-based property test ----------

#[derive(Clone, Debug)]
struct PutSpec {
    uuid: u8,
    keep_created: bool,
    owner: u8,
    object_type: u32,
    names: Vec<u8>,
    algorithm: Option<u32>,
    custom: Option<u8>,
    lifecycle: Lifecycle,
}

fn put_spec() -> impl Strategy<Value = PutSpec> {
    (
        0u8..8,
        any::<bool>(),
        0u8..3,
        1u32..4,
        proptest::collection::vec(0u8..4, 0..3),
        proptest::option::of(0u32..3),
        proptest::option::of(0u8..2),
        crate::record::tests::lifecycle(),
    )
        .prop_map(
            |(uuid, keep_created, owner, object_type, names, algorithm, custom, lifecycle)| {
                PutSpec {
                    uuid,
                    keep_created,
                    owner,
                    object_type,
                    names,
                    algorithm,
                    custom,
                    lifecycle,
                }
            },
        )
}

fn query() -> impl Strategy<Value = LocateQuery> {
    (
        proptest::option::of(0u8..3),
        proptest::option::of(1u32..4),
        proptest::option::of(prop_oneof![
            Just(LifecycleState::PreActive),
            Just(LifecycleState::Active),
            Just(LifecycleState::Deactivated),
            Just(LifecycleState::Compromised),
            Just(LifecycleState::Destroyed),
            Just(LifecycleState::DestroyedCompromised),
        ]),
        proptest::option::of(0u8..4),
        proptest::option::of(0u32..3),
        proptest::option::of(0u8..2),
        0usize..3,
        proptest::option::of(0usize..4),
        -6i64..6,
    )
        .prop_map(
            |(owner, ty, state, name, alg, custom, offset, limit, now)| LocateQuery {
                owner: owner.map(|o| format!("owner{o}")),
                domain: None,
                object_type: ty,
                state,
                name: name.map(|n| format!("name{n}")),
                algorithm: alg,
                length: None,
                custom: custom
                    .map(|c| vec![("x-c".to_string(), vec![c])])
                    .unwrap_or_default(),
                offset,
                limit,
                now,
                max_records: None,
                page_only: false,
            },
        )
}

fn model_locate(model: &BTreeMap<String, ObjectRecord>, q: &LocateQuery) -> LocateResult {
    let mut hits: Vec<&ObjectRecord> = model
        .values()
        .filter(|r| q.owner.as_ref().is_none_or(|o| &r.owner == o))
        .filter(|r| q.object_type.is_none_or(|t| r.object_type == t))
        .filter(|r| q.state.is_none_or(|s| r.lifecycle.state(q.now) == s))
        .filter(|r| q.name.as_ref().is_none_or(|n| r.index.names.contains(n)))
        .filter(|r| q.algorithm.is_none_or(|a| r.index.algorithm == Some(a)))
        .filter(|r| q.custom.iter().all(|c| r.index.custom.contains(c)))
        .collect();
    hits.sort_by(|a, b| (a.created, &a.uuid).cmp(&(b.created, &b.uuid)));
    let page: Vec<&ObjectRecord> = hits
        .iter()
        .skip(q.offset)
        .take(q.limit.unwrap_or(usize::MAX))
        .copied()
        .collect();
    LocateResult {
        total: hits.len(),
        uuids: page.iter().map(|r| r.uuid.clone()).collect(),
        destroyed: page
            .iter()
            .filter(|r| r.lifecycle.destroyed.is_some())
            .map(|r| r.uuid.clone())
            .collect(),
        ..LocateResult::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn store_agrees_with_in_memory_model(
        batches in proptest::collection::vec(proptest::collection::vec(put_spec(), 1..4), 1..8),
        queries in proptest::collection::vec(query(), 1..12),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        let dir = tempfile::tempdir().expect("tempdir");
        let store = open(&dir);
        let mut model: BTreeMap<String, ObjectRecord> = BTreeMap::new();
        for batch in batches {
            let mut ops = Vec::new();
            for p in batch {
                let uuid = format!("u{}", p.uuid);
                let mut r = rec(&store, &uuid, &format!("owner{}", p.owner), &[]);
                if p.keep_created && let Some(old) = model.get(&uuid) {
                    r.created = old.created;
                }
                r.object_type = p.object_type;
                r.index.names = p.names.iter().map(|n| format!("name{n}")).collect();
                r.index.algorithm = p.algorithm;
                r.index.custom = p.custom.map(|c| vec![("x-c".to_string(), vec![c])]).unwrap_or_default();
                r.lifecycle = p.lifecycle.clone();
                let mut stored = r.clone();
                if let Some(old) = model.get(&uuid) {
                    stored.lifecycle.merge(&old.lifecycle);
                }
                model.insert(uuid, stored);
                ops.push(WriteOp::PutObject(r));
            }
            rt.block_on(store.commit(ops)).expect("commit");
        }
        for (uuid, r) in &model {
            let stored = store.get(uuid).expect("get");
            prop_assert_eq!(stored.as_deref(), Some(r));
        }
        prop_assert_eq!(store.stats().expect("stats").objects, model.len() as u64);
        for q in &queries {
            prop_assert_eq!(store.locate(q).expect("locate"), model_locate(&model, q), "{:?}", q);
        }
        store.verify_indexes().expect("no stale or missing index entries");
    }
}

#[test]
fn store_is_send_sync_and_clone() {
    fn check<T: Send + Sync + Clone + 'static>() {}
    check::<Store>();
}

/// The record cache never answers with a version older than the last acknowledged commit,
/// even while readers keep the key hot during the writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_reads_see_every_acknowledged_commit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir);
    let mut r = rec(&store, "hot", "alice", &["n0"]);
    store
        .commit(vec![WriteOp::PutObject(r.clone())])
        .await
        .expect("commit");
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (store, stop) = (store.clone(), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut reads = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) && reads < 5_000_000 {
                    store.get("hot").expect("get").expect("present");
                    reads += 1;
                }
            })
        })
        .collect();
    for i in 1..=200 {
        r.index.names = vec![format!("n{i}")];
        r.updated = store.clock().now();
        store
            .commit(vec![WriteOp::PutObject(r.clone())])
            .await
            .expect("commit");
        let got = store.get("hot").expect("get").expect("present");
        assert_eq!(got.index.names, r.index.names, "after commit {i}");
        assert_eq!(got.updated, r.updated);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in readers {
        t.join().expect("reader");
    }
    // Destroyed material is gone from every read at once.
    r.material = None;
    r.lifecycle.destroyed = event(&store, 1);
    store
        .commit(vec![WriteOp::PutObject(r.clone())])
        .await
        .expect("commit");
    assert!(
        store
            .get("hot")
            .expect("get")
            .expect("tombstone")
            .lifecycle
            .destroyed
            .is_some()
    );
}
