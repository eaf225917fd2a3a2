//! The at-rest layer: records sealed under storage epochs, refused when altered, moved to a
//! new epoch by an erase, and the upgrade of a database written before epochs existed.

use std::path::Path;

use redb::{ReadableDatabase, ReadableTable};

use super::*;
use crate::error::RecordFault;
use crate::journal::{self, JournalGroup, JournalWrite};
use crate::record::{LifecycleEvent, Record};
use crate::testing::{epoch_key, open_unlocked, unlock_with_test_keys, wrapped_epoch_key};

fn rec(store: &Store, uuid: &str, owner: &str) -> ObjectRecord {
    crate::record::test_record(store.clock().now(), uuid, owner, &[uuid])
}

fn db_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("store.redb")
}

/// Every value of `objects`, read from a closed store's file with redb alone.
fn raw_objects(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let db = redb::Database::open(path).expect("raw open");
    let read = db.begin_read().expect("read");
    let objects = read.open_table(OBJECTS).expect("objects");
    objects
        .iter()
        .expect("iter")
        .map(|i| {
            let (k, v) = i.expect("entry");
            (k.value().to_string(), v.value().to_vec())
        })
        .collect()
}

/// Rewrites values of `objects` in a closed store's file.
fn write_raw_objects(path: &Path, values: &[(&str, Vec<u8>)]) {
    let db = redb::Database::open(path).expect("raw open");
    let txn = db.begin_write().expect("txn");
    {
        let mut objects = txn.open_table(OBJECTS).expect("objects");
        for (k, v) in values {
            objects.insert(*k, v.as_slice()).expect("insert");
        }
    }
    txn.commit().expect("commit");
}

fn rejected(r: Result<Option<Arc<ObjectRecord>>, StoreError>) -> (String, RecordFault) {
    match r {
        Err(StoreError::RecordRejected { uuid, fault }) => (uuid, fault),
        other => panic!("expected a rejected record, got {other:?}"),
    }
}

async fn new_epoch(store: &Store, epoch: u64) {
    store
        .begin_epoch(NewEpoch {
            epoch,
            wrapped: wrapped_epoch_key(epoch),
            key: epoch_key(epoch),
        })
        .await
        .expect("begin epoch");
}

/// Runs a whole re-seal pass in batches of `max`; returns the records it moved.
async fn reseal_all(store: &Store, max: usize) -> usize {
    let mut after = None;
    let mut moved = 0;
    loop {
        let batch = store.reseal(after, max).await.expect("reseal");
        moved += batch.resealed;
        match batch.next {
            Some(next) => after = Some(next),
            None => return moved,
        }
    }
}

#[tokio::test]
async fn records_are_sealed_at_rest_and_an_altered_one_is_refused_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db_path(&dir);
    let store = open_unlocked(&path, StoreOptions::default());
    let ops = ["a", "b", "c", "d"]
        .iter()
        .map(|u| WriteOp::PutObject(rec(&store, u, &format!("owner-of-{u}"))))
        .collect();
    store.commit(ops).await.expect("commit");
    let a = store.get("a").expect("get").expect("a");
    store.close().await;

    let raw = raw_objects(&path);
    for (uuid, v) in &raw {
        assert_eq!(v[0], envelope::SEALED_V1, "{uuid} is sealed");
        assert_eq!(envelope::epoch_of(v), Some(1));
        assert!(
            !v.windows(8).any(|w| w == b"owner-of"),
            "{uuid}: no plain field at rest"
        );
    }
    // a: one bit of its ciphertext; b: a plain record claiming another owner; c: d's sealed
    // bytes stored under c's key.
    let mut edited = raw["a"].clone();
    let last = edited.len() - 20;
    edited[last] ^= 0x04;
    let mut forged = (*a).clone();
    forged.uuid = "b".to_string();
    forged.owner = "mallory".to_string();
    let plain = Record::encode_current(&forged).expect("encode");
    write_raw_objects(
        &path,
        &[("a", edited), ("b", plain), ("c", raw["d"].clone())],
    );

    let store = open_unlocked(&path, StoreOptions::default());
    assert_eq!(
        rejected(store.get("a")),
        ("a".to_string(), RecordFault::Authentication { epoch: 1 })
    );
    assert_eq!(
        rejected(store.get("b")),
        ("b".to_string(), RecordFault::NotSealed)
    );
    assert_eq!(
        rejected(store.get("c")),
        ("c".to_string(), RecordFault::Authentication { epoch: 1 })
    );
    let d = store.get("d").expect("d serves").expect("d");
    assert_eq!(d.owner, "owner-of-d");
    // Refused on every read, never cached, and no write can build on it.
    assert!(store.get("a").is_err());
    let mut over = (*a).clone();
    over.updated = store.clock().now();
    match store.commit(vec![WriteOp::PutObject(over)]).await {
        Err(StoreError::RecordRejected { uuid, .. }) => assert_eq!(uuid, "a"),
        other => panic!("a write over a refused record: {other:?}"),
    }
    let e = rec(&store, "e", "x");
    store
        .commit(vec![WriteOp::PutObject(e)])
        .await
        .expect("other writes go on");
    assert!(matches!(
        store.verify_indexes(),
        Err(StoreError::RecordRejected { .. })
    ));
    store.close().await;
}

#[tokio::test]
async fn a_store_is_locked_until_it_gets_its_current_epoch_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db_path(&dir);
    let store = open_unlocked(&path, StoreOptions::default());
    store
        .commit(vec![WriteOp::PutObject(rec(&store, "a", "o"))])
        .await
        .expect("commit");
    store.close().await;

    let store = Store::open(&path, StoreOptions::default()).expect("open");
    assert!(!store.is_unlocked());
    assert!(matches!(store.get("a"), Err(StoreError::Locked)));
    assert!(matches!(
        store.locate(&LocateQuery::default()),
        Err(StoreError::Locked)
    ));
    assert!(matches!(
        store
            .commit(vec![WriteOp::PutObject(rec(&store, "b", "o"))])
            .await,
        Err(StoreError::Locked)
    ));
    assert!(matches!(store.probe_writable(), Err(StoreError::Locked)));
    let state = store.storage_epochs().expect("readable while locked");
    assert_eq!(state.current, Some(1));
    assert_eq!(state.wrapped, vec![(1, wrapped_epoch_key(1))]);
    assert!(state.holds_objects && !state.plain_records);

    // Without the current key, or with a first epoch it does not need: still locked.
    assert!(matches!(
        store.unlock(Unlock::default()),
        Err(StoreError::EpochKeyMissing { epoch: 1 })
    ));
    let first = Unlock {
        keys: Vec::new(),
        first: Some(NewEpoch {
            epoch: 5,
            wrapped: wrapped_epoch_key(5),
            key: epoch_key(5),
        }),
    };
    assert!(matches!(
        store.unlock(first),
        Err(StoreError::EpochsInconsistent { .. })
    ));
    // The wrong key for epoch 1: unlocked, but its records do not authenticate.
    let wrong = Unlock {
        keys: vec![(1, epoch_key(2))],
        first: None,
    };
    store.unlock(wrong).expect("unlock with a wrong key");
    assert!(matches!(
        store.get("a"),
        Err(StoreError::RecordRejected {
            fault: RecordFault::Authentication { epoch: 1 },
            ..
        })
    ));
    store.close().await;

    let store = Store::open(&path, StoreOptions::default()).expect("open");
    unlock_with_test_keys(&store, &[]).expect("unlock");
    assert!(store.get("a").expect("get").is_some());
    assert!(matches!(
        unlock_with_test_keys(&store, &[]),
        Err(StoreError::Invalid { .. })
    ));
    store.close().await;
}

#[tokio::test]
async fn an_erase_moves_every_record_to_the_new_epoch_before_the_old_one_is_freed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db_path(&dir);
    let store = open_unlocked(&path, StoreOptions::default());
    for i in 0..40 {
        store
            .commit(vec![WriteOp::PutObject(rec(
                &store,
                &format!("r{i:02}"),
                "o",
            ))])
            .await
            .expect("commit");
    }
    new_epoch(&store, 2).await;
    // Written after the rotation: sealed under 2 already.
    store
        .commit(vec![WriteOp::PutObject(rec(&store, "late", "o"))])
        .await
        .expect("commit");
    let state = store.storage_epochs().expect("epochs");
    assert_eq!(state.current, Some(2));
    assert_eq!(state.older(), vec![1]);
    match store.settle().await {
        Err(StoreError::EraseIncomplete { remaining }) => assert_eq!(remaining, 40),
        other => panic!("settle before the re-seal: {other:?}"),
    }
    // In batches of 3: the cursor carries the pass across transactions.
    assert_eq!(reseal_all(&store, 3).await, 40);
    assert_eq!(
        reseal_all(&store, 3).await,
        0,
        "a second pass finds nothing"
    );
    assert_eq!(store.settle().await.expect("settle"), vec![1]);
    store.forget_epochs(vec![1]).await.expect("forget");
    let state = store.storage_epochs().expect("epochs");
    assert_eq!(state.wrapped, vec![(2, wrapped_epoch_key(2))]);
    assert!(state.last_erase.is_some());
    assert!(matches!(
        store.forget_epochs(vec![2]).await,
        Err(StoreError::Invalid { .. })
    ));
    assert!(matches!(
        store
            .begin_epoch(NewEpoch {
                epoch: 2,
                wrapped: wrapped_epoch_key(2),
                key: epoch_key(2)
            })
            .await,
        Err(StoreError::Invalid { .. })
    ));
    store.close().await;

    for (uuid, v) in raw_objects(&path) {
        assert_eq!(envelope::epoch_of(&v), Some(2), "{uuid}");
    }
    // Epoch 1's key is gone, and nothing needs it.
    let store = Store::open(&path, StoreOptions::default()).expect("open");
    unlock_with_test_keys(&store, &[1]).expect("unlock without epoch 1");
    for i in 0..40 {
        assert!(store.get(&format!("r{i:02}")).expect("get").is_some());
    }
    store.verify_indexes().expect("indexes");
    store.close().await;
}

#[tokio::test]
async fn a_destroy_marks_an_erase_due_until_the_next_epoch_begins() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db_path(&dir);
    let store = open_unlocked(&path, StoreOptions::default());
    let kek = crate::seal::DomainKek::new(zeroize::Zeroizing::new(vec![7u8; 32]), 1).expect("kek");
    let mut r = rec(&store, "k", "o");
    let binding = crate::seal::MaterialBinding {
        uuid: "k",
        object_type: r.object_type,
        algorithm: r.index.algorithm,
        length: r.index.length,
    };
    r.material = Some(kek.seal(&binding, &[9; 32]).expect("seal"));
    store
        .commit(vec![WriteOp::PutObject(r.clone())])
        .await
        .expect("create");
    assert!(!store.storage_epochs().expect("epochs").erase_pending);
    r.lifecycle.destroyed = Some(LifecycleEvent {
        stamp: store.clock().now(),
        effective: 1,
        reason: None,
        message: None,
    });
    r.material = None;
    r.updated = store.clock().now();
    store
        .commit(vec![WriteOp::PutObject(r)])
        .await
        .expect("destroy");
    assert!(store.storage_epochs().expect("epochs").erase_pending);
    store.close().await;
    let store = open_unlocked(&path, StoreOptions::default());
    assert!(
        store.storage_epochs().expect("epochs").erase_pending,
        "durable"
    );
    new_epoch(&store, 2).await;
    assert!(!store.storage_epochs().expect("epochs").erase_pending);
    store.close().await;
}

/// Turns a closed store's file into what a binary before storage epochs wrote: table format
/// 2, plain records, no epoch; returns the plain bytes of every record.
fn downgrade_to_format_2(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let keys = Keyring::new(1, BTreeMap::from([(1, Arc::new(epoch_key(1)))])).expect("keyring");
    let plain: BTreeMap<String, Vec<u8>> = raw_objects(path)
        .into_iter()
        .map(|(k, v)| {
            let p = envelope::unseal(&keys, &k, &v, false).expect("unseal");
            (k, p)
        })
        .collect();
    let db = redb::Database::open(path).expect("raw open");
    let txn = db.begin_write().expect("txn");
    {
        let mut objects = txn.open_table(OBJECTS).expect("objects");
        for (k, v) in &plain {
            objects.insert(k.as_str(), v.as_slice()).expect("insert");
        }
        let mut meta = txn.open_table(META).expect("meta");
        meta.insert(META_FORMAT, &2u32.to_be_bytes()[..])
            .expect("format");
        meta.remove(META_EPOCH).expect("epoch");
        meta.remove(META_EPOCH_SINCE).expect("since");
        txn.open_table(STORAGE_EPOCHS)
            .expect("epochs")
            .remove(1)
            .expect("row");
    }
    txn.commit().expect("commit");
    plain
}

#[tokio::test]
async fn a_database_of_plain_records_is_sealed_by_its_first_unlock() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db_path(&dir);
    let store = open_unlocked(&path, StoreOptions::default());
    for u in ["p1", "p2"] {
        store
            .commit(vec![WriteOp::PutObject(rec(&store, u, "o"))])
            .await
            .expect("commit");
    }
    let node = store.node_id();
    let seq = store.version_vector().expect("vv")[&node];
    let p3 = rec(&store, "p3", "o");
    let p3_stamp = store.clock().now();
    store.close().await;
    downgrade_to_format_2(&path);
    // And a crash of the old binary left a plain frame in its journal.
    let applied = {
        let db = redb::Database::open(&path).expect("raw open");
        let read = db.begin_read().expect("read");
        let meta = read.open_table(META).expect("meta");
        read_u64(
            meta.get(META_JOURNAL_APPLIED)
                .expect("get")
                .expect("applied")
                .value(),
        )
        .expect("u64")
    };
    let frame = journal::encode_frame(&JournalGroup::V2 {
        id: applied + 1,
        durable: applied,
        writes: vec![JournalWrite::Object {
            seq: seq + 1,
            stamp: p3_stamp,
            record: Record::encode_current(&p3).expect("encode"),
        }],
    })
    .expect("frame");
    std::fs::write(Journal::path_for(&path), frame).expect("journal");

    let store = Store::open(&path, StoreOptions::default()).expect("open");
    let state = store.storage_epochs().expect("epochs");
    assert_eq!(
        (state.current, state.plain_records, state.holds_objects),
        (None, true, true)
    );
    unlock_with_test_keys(&store, &[]).expect("unlock seals");
    for u in ["p1", "p2", "p3"] {
        assert_eq!(store.get(u).expect("get").expect("present").uuid, u);
    }
    assert_eq!(store.log_since(node, seq, 10).expect("log").len(), 1);
    store.verify_indexes().expect("indexes");
    assert!(!store.storage_epochs().expect("epochs").plain_records);
    store.close().await;
    for (uuid, v) in raw_objects(&path) {
        assert_eq!(envelope::epoch_of(&v), Some(1), "{uuid} sealed");
    }
    // From now on a plain record is refused.
    write_raw_objects(
        &path,
        &[("p1", Record::encode_current(&p3).expect("encode"))],
    );
    let store = open_unlocked(&path, StoreOptions::default());
    assert_eq!(rejected(store.get("p1")).1, RecordFault::NotSealed);
    store.close().await;
}

#[tokio::test]
async fn a_sealed_database_whose_epochs_were_removed_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db_path(&dir);
    let store = open_unlocked(&path, StoreOptions::default());
    store
        .commit(vec![WriteOp::PutObject(rec(&store, "s", "o"))])
        .await
        .expect("commit");
    store.close().await;
    {
        let db = redb::Database::open(&path).expect("raw open");
        let txn = db.begin_write().expect("txn");
        {
            let mut meta = txn.open_table(META).expect("meta");
            meta.remove(META_EPOCH).expect("epoch");
            txn.open_table(STORAGE_EPOCHS)
                .expect("epochs")
                .remove(1)
                .expect("row");
        }
        txn.commit().expect("commit");
    }
    let store = Store::open(&path, StoreOptions::default()).expect("open");
    match unlock_with_test_keys(&store, &[]) {
        Err(StoreError::EpochsInconsistent { reason }) => {
            assert!(reason.contains("sealed records"), "{reason}");
        }
        other => panic!("expected the unlock to be refused, got {other:?}"),
    }
    assert!(!store.is_unlocked());
    store.close().await;
}

/// Edits a closed store's index tables: entries to insert (with their term's count raised, as
/// a careful attacker would) and entry values to replace.
fn forge_index(path: &Path, add: &[Vec<u8>], replace: &[(Vec<u8>, Vec<u8>)]) {
    let db = redb::Database::open(path).expect("raw open");
    let txn = db.begin_write().expect("txn");
    {
        let mut idx = txn.open_table(INDEX).expect("index");
        let mut counts = txn.open_table(INDEX_COUNTS).expect("counts");
        for key in add {
            idx.insert(key.as_slice(), &[][..]).expect("insert");
            let term = &key[..key.len() - crate::clock::Stamp::ENCODED_LEN];
            let n = counts.get(term).expect("count").map_or(0, |v| v.value());
            counts.insert(term, n + 1).expect("count");
        }
        for (key, value) in replace {
            idx.insert(key.as_slice(), value.as_slice())
                .expect("replace");
        }
    }
    txn.commit().expect("commit");
}

fn owner_key(owner: &str, r: &ObjectRecord) -> Vec<u8> {
    let mut k = index::prefix(index::KIND_OWNER, owner.as_bytes());
    k.extend_from_slice(&r.created.to_be_bytes());
    k
}

fn event(store: &Store) -> LifecycleEvent {
    LifecycleEvent {
        stamp: store.clock().now(),
        effective: 1,
        reason: None,
        message: None,
    }
}

#[tokio::test]
async fn locate_believes_an_index_entry_only_when_the_authenticated_record_backs_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db_path(&dir);
    let store = open_unlocked(&path, StoreOptions::default());
    // Creation order (what Locate answers in): a0, bob's object, a1, a2.
    let a0 = rec(&store, "a0", "alice");
    let bob = rec(&store, "b", "bob");
    let a: Vec<ObjectRecord> = vec![a0, rec(&store, "a1", "alice"), rec(&store, "a2", "alice")];
    let mut compromised = rec(&store, "c", "alice");
    compromised.lifecycle.activated = Some(event(&store));
    compromised.lifecycle.compromised = Some(event(&store));
    let altered = rec(&store, "x", "alice");
    let mut ops: Vec<WriteOp> = a.iter().cloned().map(WriteOp::PutObject).collect();
    // Bob's object is created between alice's first and second.
    ops.insert(1, WriteOp::PutObject(bob.clone()));
    ops.push(WriteOp::PutObject(compromised.clone()));
    ops.push(WriteOp::PutObject(altered.clone()));
    store.commit(ops).await.expect("commit");
    store.close().await;

    // Alice's owner term gains bob's object; the compromised key's ALL entry says it is live
    // and active; alice's last object's record is damaged.
    let mut live = index::Facts::of(&compromised);
    live.class = index::CLASS_LIVE;
    let mut live_value = live.encode();
    live_value.extend_from_slice(b"c");
    let mut live_class = index::prefix(index::KIND_STATE, &[index::CLASS_LIVE]);
    live_class.extend_from_slice(&compromised.created.to_be_bytes());
    forge_index(
        &path,
        &[owner_key("alice", &bob), live_class],
        &[(index::all_key(&compromised.created), live_value)],
    );
    let mut stored = raw_objects(&path).remove("x").expect("stored");
    let last = stored.len() - 1;
    stored[last] ^= 1;
    write_raw_objects(&path, &[("x", stored)]);

    let store = open_unlocked(&path, StoreOptions::default());
    let alice = LocateQuery {
        owner: Some("alice".to_string()),
        ..LocateQuery::default()
    };
    let r = store.locate(&alice).expect("locate");
    assert_eq!(r.uuids, vec!["a0", "a1", "a2", "c"]);
    assert_eq!((r.total, r.partial), (4, false));
    assert_eq!(r.inconsistent, vec!["b"]);
    assert_eq!(r.rejected, vec!["x"]);
    // Paging counts what the records back: the dropped entry takes no place in a page.
    let page = store
        .locate(&LocateQuery {
            offset: 1,
            limit: Some(1),
            ..alice.clone()
        })
        .expect("locate");
    assert_eq!((page.uuids, page.total), (vec!["a1".to_string()], 4));
    // Bob still finds his own object.
    let by_bob = store
        .locate(&LocateQuery {
            owner: Some("bob".to_string()),
            ..LocateQuery::default()
        })
        .expect("locate");
    assert_eq!(
        (by_bob.uuids, by_bob.inconsistent.len()),
        (vec!["b".to_string()], 0)
    );
    // The compromised key is not listed as Active, whatever its ALL entry says.
    let active = store
        .locate(&LocateQuery {
            state: Some(LifecycleState::Active),
            now: 10,
            ..alice.clone()
        })
        .expect("locate");
    assert!(active.uuids.is_empty(), "{active:?}");
    assert_eq!(active.inconsistent, vec!["c"]);
    // The caller's own filter decides on the same records.
    let not_a1 = store
        .locate_where(&alice, |r| r.uuid != "a1")
        .expect("locate");
    assert_eq!(not_a1.uuids, vec!["a0", "a2", "c"]);
    store.close().await;
}

#[tokio::test]
async fn what_an_older_copy_would_undo_makes_an_erase_due_and_a_restart_assumes_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = db_path(&dir);
    let store = open_unlocked(&path, StoreOptions::default());
    let due = |s: &Store| s.storage_epochs().expect("epochs").erase_pending;
    let mut r = rec(&store, "k", "alice");
    store
        .commit(vec![WriteOp::PutObject(r.clone())])
        .await
        .expect("create");
    assert!(!due(&store), "a new object has no older copy");
    r.lifecycle.activated = Some(event(&store));
    r.updated = store.clock().now();
    store
        .commit(vec![WriteOp::PutObject(r.clone())])
        .await
        .expect("activate");
    assert!(
        !due(&store),
        "an activation undone only makes the key unusable"
    );

    let mut epoch = 1;
    type Change = fn(&mut ObjectRecord, LifecycleEvent);
    let changes: [(&str, Change); 4] = [
        ("deactivation", |r, e| r.lifecycle.deactivated = Some(e)),
        ("compromise", |r, e| r.lifecycle.compromised = Some(e)),
        ("owner", |r, _| r.owner = "mallory".to_string()),
        ("destroy", |r, e| r.lifecycle.destroyed = Some(e)),
    ];
    for (what, change) in changes {
        epoch += 1;
        new_epoch(&store, epoch).await;
        assert!(!due(&store), "{what}: a new epoch starts clean");
        change(&mut r, event(&store));
        r.updated = store.clock().now();
        store
            .commit(vec![WriteOp::PutObject(r.clone())])
            .await
            .expect("change");
        assert!(due(&store), "{what} makes an erase due");
    }
    new_epoch(&store, epoch + 1).await;
    assert!(!due(&store));
    store.close().await;

    // Nothing in the file can say "nothing changed": a restart assumes something did, whatever
    // the plain flag of earlier versions says.
    {
        let db = redb::Database::open(&path).expect("raw open");
        let txn = db.begin_write().expect("txn");
        txn.open_table(META)
            .expect("meta")
            .remove(crate::tables::META_ERASE_PENDING)
            .expect("remove");
        txn.commit().expect("commit");
    }
    let store = Store::open(&path, StoreOptions::default()).expect("open");
    assert!(due(&store), "before the unlock");
    unlock_with_test_keys(&store, &[]).expect("unlock");
    assert!(due(&store), "after the unlock");
    store.close().await;

    // A store without objects has nothing an older copy could undo.
    let empty = tempfile::tempdir().expect("tempdir");
    open_unlocked(&db_path(&empty), StoreOptions::default())
        .close()
        .await;
    let store = open_unlocked(&db_path(&empty), StoreOptions::default());
    assert!(!due(&store));
    store.close().await;
}
