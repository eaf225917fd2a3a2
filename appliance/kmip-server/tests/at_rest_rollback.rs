//! What an attacker who can write the database file gains by editing the plain tables or by
//! writing back older sealed copies of records, through the real key service on SoftHSM:
//!
//! - a forged index entry does not make a crypto-user's Locate list another identity's
//!   object: Locate believes no index entry that the authenticated record does not back, and
//!   the store reports the entry it dropped;
//! - an older copy of a record, written back after an erase, no longer authenticates: the key
//!   revoked as compromised is never served as Active again. Before the erase the same copy
//!   does authenticate (the window the store README names under "What is not covered");
//! - clearing the erase-pending flag in the file does not stop the erase a Destroy made due.
//!
//! Each test stops the node, edits the redb file with redb alone, and starts the node again.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use keywarden_kmip::attributes::{Attribute, Attributes};
use keywarden_kmip::enums::{
    CryptographicUsageMask, ObjectType, ResultReason, RevocationReasonCode, State,
};
use keywarden_kmip::payload::{RequestPayload, ResponsePayload};
use keywarden_kms::{Caller, Kms, KmsConfig, Role};
use prometheus_client::registry::Registry;
use redb::{ReadableDatabase, ReadableTable, TableDefinition};

const OBJECTS: TableDefinition<&str, &[u8]> = TableDefinition::new("objects");
const INDEX: TableDefinition<&[u8], &[u8]> = TableDefinition::new("index");
const INDEX_COUNTS: TableDefinition<&[u8], u64> = TableDefinition::new("index_counts");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// Owner index kind (store README, "Tables").
const KIND_OWNER: u8 = 1;

/// Most polls while waiting for the background loops; each sleeps [`POLL`].
const MAX_POLLS: u32 = 600;
const POLL: Duration = Duration::from_millis(50);

/// A key service with its metrics registry, on its own token and data directory.
struct Node {
    hsm: Hsm,
    data: tempfile::TempDir,
    kms: Arc<Kms>,
    registry: Registry,
}

impl Node {
    async fn start() -> Node {
        let mut hsm = Hsm::new();
        hsm.start();
        let data = tempfile::tempdir().expect("data dir");
        let (kms, registry) = open_node(&hsm, data.path(), |_| {}).await;
        Node {
            hsm,
            data,
            kms,
            registry,
        }
    }

    async fn stop(&self) {
        self.kms.shutdown().await;
    }

    /// Opens a new key service on the same directory (after [`Node::stop`]).
    async fn restart_with(&mut self, adjust: fn(&mut KmsConfig)) {
        let (kms, registry) = open_node(&self.hsm, self.data.path(), adjust).await;
        self.kms = kms;
        self.registry = registry;
    }

    async fn restart(&mut self) {
        self.restart_with(|_| {}).await;
    }

    fn user(&self, identity: &str) -> Client {
        Client::new(
            Arc::clone(&self.kms),
            Caller::new(identity, Role::CryptoUser),
            V21,
        )
    }

    fn admin(&self) -> Client {
        Client::new(
            Arc::clone(&self.kms),
            Caller::new("CN=admin", Role::Admin),
            V21,
        )
    }

    fn db(&self) -> std::path::PathBuf {
        self.data.path().join(keywarden_kms::DATABASE_FILE)
    }

    fn metrics(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry).expect("encode");
        text
    }

    /// Waits (bounded) until the metrics hold `line`.
    async fn wait_for_metric(&self, line: &str) {
        let mut metrics = String::new();
        for _ in 0..MAX_POLLS {
            metrics = self.metrics();
            if metrics.contains(line) {
                return;
            }
            tokio::time::sleep(POLL).await;
        }
        panic!("the metrics never held {line:?}:\n{metrics}");
    }
}

async fn open_node(hsm: &Hsm, data: &Path, adjust: fn(&mut KmsConfig)) -> (Arc<Kms>, Registry) {
    let mut c = config(hsm, data);
    adjust(&mut c);
    let mut registry = Registry::default();
    let kms = Kms::open(c, &mut registry).await.expect("Kms::open");
    wait_ready(&kms).await;
    (kms, registry)
}

async fn active_key(c: &Client) -> String {
    let uid = c
        .create_aes(
            256,
            vec![mask(
                CryptographicUsageMask::ENCRYPT | CryptographicUsageMask::DECRYPT,
            )],
        )
        .await;
    c.ok(RequestPayload::Activate {
        unique_identifier: Some(uid.clone()),
    })
    .await;
    uid
}

fn locate(attributes: Vec<Attribute>) -> RequestPayload {
    RequestPayload::Locate {
        maximum_items: None,
        offset_items: None,
        storage_status_mask: None,
        object_group_member: None,
        attributes: Attributes(attributes),
    }
}

async fn located(c: &Client, attributes: Vec<Attribute>) -> (Option<i32>, Vec<String>) {
    match c.ok(locate(attributes)).await {
        ResponsePayload::Locate {
            located_items,
            unique_identifiers,
        } => (located_items, unique_identifiers),
        other => panic!("{other:?}"),
    }
}

/// The value stored under `uuid` in `objects` of a stopped node's database file.
fn stored_value(db: &Path, uuid: &str) -> Vec<u8> {
    let db = redb::Database::open(db).expect("open the database file");
    let read = db.begin_read().expect("read");
    let table = read.open_table(OBJECTS).expect("objects table");
    let guard = table.get(uuid).expect("get").expect("stored");
    guard.value().to_vec()
}

/// Writes `value` under `uuid` in `objects` of a stopped node's database file.
fn write_value(db: &Path, uuid: &str, value: &[u8]) {
    let db = redb::Database::open(db).expect("open the database file");
    let txn = db.begin_write().expect("write");
    txn.open_table(OBJECTS)
        .expect("objects table")
        .insert(uuid, value)
        .expect("insert");
    txn.commit().expect("commit");
}

fn owner_prefix(owner: &str) -> Vec<u8> {
    let mut p = vec![KIND_OWNER];
    p.extend_from_slice(&u32::try_from(owner.len()).expect("short").to_be_bytes());
    p.extend_from_slice(owner.as_bytes());
    p
}

/// Copies every owner entry of `from` to the owner term of `to` (index key = kind | u32 len |
/// term | created stamp: the stamp names the object) and raises `to`'s count to match, as an
/// attacker editing the file would. Returns how many entries were copied.
fn give_objects_to(db: &Path, from: &str, to: &str) -> usize {
    let db = redb::Database::open(db).expect("open the database file");
    let (from, to) = (owner_prefix(from), owner_prefix(to));
    let txn = db.begin_write().expect("write");
    let copied = {
        let mut index = txn.open_table(INDEX).expect("index");
        let stamps: Vec<Vec<u8>> = index
            .range(from.as_slice()..)
            .expect("range")
            .map(|e| e.expect("entry").0.value().to_vec())
            .take_while(|k| k.starts_with(&from))
            .map(|k| k[from.len()..].to_vec())
            .collect();
        for stamp in &stamps {
            let mut key = to.clone();
            key.extend_from_slice(stamp);
            index.insert(key.as_slice(), &[][..]).expect("insert");
        }
        let mut counts = txn.open_table(INDEX_COUNTS).expect("counts");
        let n = counts
            .get(to.as_slice())
            .expect("count")
            .map_or(0, |v| v.value());
        counts
            .insert(to.as_slice(), n + stamps.len() as u64)
            .expect("count");
        stamps.len()
    };
    txn.commit().expect("commit");
    copied
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_owner_index_entry_does_not_list_another_identitys_object() {
    let mut node = Node::start().await;
    let alice_key = node.user("CN=alice").create_aes(256, vec![]).await;
    let bob_key = node.user("CN=bob").create_aes(256, vec![]).await;
    node.stop().await;

    assert_eq!(give_objects_to(&node.db(), "CN=bob", "CN=alice"), 1);
    node.restart().await;
    let (alice, bob) = (node.user("CN=alice"), node.user("CN=bob"));
    assert_eq!(
        located(&alice, vec![]).await,
        (Some(1), vec![alice_key.clone()])
    );
    // Nor a search that names the object's own terms.
    let symmetric = vec![Attribute::enumeration(
        "Object Type",
        ObjectType::SymmetricKey,
    )];
    assert_eq!(
        located(&alice, symmetric).await,
        (Some(1), vec![alice_key.clone()])
    );
    assert_eq!(
        located(&bob, vec![]).await,
        (Some(1), vec![bob_key.clone()])
    );
    let (_, all) = located(&node.admin(), vec![]).await;
    assert_eq!(all, vec![alice_key.clone(), bob_key.clone()]);
    // Each of alice's two Locates dropped the forged entry, and /metrics says so.
    assert!(
        node.metrics()
            .contains("store_index_inconsistent_total 2\n"),
        "{}",
        node.metrics()
    );
    // Nor does it change what Get answers: bob's key is as missing for alice as before.
    assert_eq!(
        alice
            .fail(RequestPayload::Get {
                unique_identifier: Some(bob_key.clone()),
                key_format_type: None,
                key_compression_type: None,
                key_wrapping_specification: None,
            })
            .await,
        ResultReason::ItemNotFound
    );
    node.stop().await;

    // The entry is still in the file (nothing repaired it behind the test's back), and the
    // store reports it as the inconsistency it dropped.
    let store = keywarden_kms::open_store(&config(&node.hsm, node.data.path()))
        .await
        .expect("open store");
    assert!(store.verify_indexes().is_err(), "the forged entry is there");
    let answer = store
        .locate(&keywarden_store::LocateQuery {
            owner: Some("CN=alice".to_owned()),
            domain: Some(keywarden_kms::DEFAULT_DOMAIN.to_owned()),
            ..keywarden_store::LocateQuery::default()
        })
        .expect("locate");
    assert_eq!(answer.uuids, vec![alice_key]);
    assert_eq!(answer.inconsistent, vec![bob_key]);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_copied_before_a_compromise_cannot_be_written_back_after_the_erase() {
    let mut node = Node::start().await;
    let uid = active_key(&node.user("CN=alice")).await;
    node.stop().await;
    let before = stored_value(&node.db(), &uid);
    node.restart().await;
    node.user("CN=alice")
        .ok(revoke(&uid, RevocationReasonCode::KeyCompromise))
        .await;
    assert_eq!(
        node.user("CN=alice").state(&uid).await,
        State::Compromised.value()
    );
    node.stop().await;
    let compromised = stored_value(&node.db(), &uid);

    // Before an erase the older copy still authenticates: written back, it un-compromises the
    // key (the window the store README documents). The restart marks an erase due.
    write_value(&node.db(), &uid, &before);
    node.restart().await;
    assert_eq!(
        node.user("CN=alice").state(&uid).await,
        State::Active.value()
    );
    node.wait_for_metric("store_erase_pending 1\n").await;
    node.stop().await;

    // Undo the attack, then erase: the epoch both copies are sealed under is destroyed.
    write_value(&node.db(), &uid, &compromised);
    node.restart().await;
    let alice = node.user("CN=alice");
    assert_eq!(alice.state(&uid).await, State::Compromised.value());
    node.wait_for_metric("store_erase_pending 1\n").await;
    let report = node.kms.erase_storage().await.expect("erase");
    assert!(!report.destroyed.is_empty(), "{report:?}");
    node.wait_for_metric("store_erase_pending 0\n").await;
    node.stop().await;

    for (what, copy) in [
        ("before the compromise", &before),
        ("compromised", &compromised),
    ] {
        write_value(&node.db(), &uid, copy);
        node.restart().await;
        let alice = node.user("CN=alice");
        let item = alice
            .one(RequestPayload::GetAttributes {
                unique_identifier: Some(uid.clone()),
                names: vec!["State".to_owned()],
            })
            .await;
        assert_refused_at_rest(&item, &uid, what);
        assert_eq!(
            alice
                .fail(RequestPayload::Encrypt {
                    unique_identifier: Some(uid.clone()),
                    parameters: None,
                    data: zeroize::Zeroizing::new(b"x".to_vec()),
                    iv_counter_nonce: None,
                    aad: None,
                })
                .await,
            ResultReason::GeneralFailure,
            "{what}"
        );
        let active = vec![Attribute::enumeration("State", State::Active)];
        assert_eq!(
            located(&alice, active).await.1,
            Vec::<String>::new(),
            "{what}"
        );
        assert_eq!(
            located(&alice, vec![]).await.1,
            Vec::<String>::new(),
            "{what}"
        );
        // Get Attributes, Encrypt and the Locate that read it (its index entries still say
        // Compromised, so the Active one never read it).
        let metrics = node.metrics();
        assert!(
            metrics.contains("store_records_rejected_total 3\n"),
            "{what}:\n{metrics}"
        );
        node.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clearing_the_erase_pending_flag_does_not_stop_the_erase_a_destroy_made_due() {
    fn often(c: &mut KmsConfig) {
        c.erase_interval = Duration::from_millis(200);
    }
    let mut node = Node::start().await;
    let hsm = hsm_client::HsmClient::new(node.hsm.socket());
    let alice = node.user("CN=alice");
    let revoked = active_key(&alice).await;
    let doomed = alice.create_aes(256, vec![]).await;
    // A new node's first epoch has nothing to erase (the gauges are set together); a Revoke
    // of any reason makes it due.
    node.wait_for_metric("store_storage_epoch 1\n").await;
    assert!(node.metrics().contains("store_erase_pending 0\n"));
    alice
        .ok(revoke(&revoked, RevocationReasonCode::CessationOfOperation))
        .await;
    node.wait_for_metric("store_erase_pending 1\n").await;
    alice
        .ok(RequestPayload::Destroy {
            unique_identifier: Some(doomed.clone()),
        })
        .await;
    node.stop().await;
    let epochs = hsm.list_epoch_keys().await.expect("list");
    assert_eq!(epochs.iter().map(|k| k.epoch).collect::<Vec<_>>(), vec![1]);

    // The attacker clears what earlier versions kept as the flag, and anything else under
    // that name.
    {
        let db = redb::Database::open(node.db()).expect("open the database file");
        let txn = db.begin_write().expect("write");
        txn.open_table(META)
            .expect("meta")
            .remove("erase_pending")
            .expect("remove");
        txn.commit().expect("commit");
    }
    node.restart_with(often).await;
    let mut last = Vec::new();
    for _ in 0..MAX_POLLS {
        last = hsm.list_epoch_keys().await.expect("list");
        if last.len() == 1 && last[0].epoch == 2 {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    assert_eq!(
        last.iter().map(|k| k.epoch).collect::<Vec<_>>(),
        vec![2],
        "the schedule erased epoch 1"
    );
    node.wait_for_metric("store_erases_total 1\n").await;
    let alice = node.user("CN=alice");
    assert_eq!(alice.state(&revoked).await, State::Deactivated.value());
    assert_eq!(alice.state(&doomed).await, State::Destroyed.value());
    node.stop().await;
}
