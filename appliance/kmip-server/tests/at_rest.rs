//! The store's at-rest layer through the key service, on a real bridge and SoftHSM token:
//!
//! - after Destroy and an erase, the destroyed key's bytes cannot be recovered from any file of
//!   the data directory with any key the node or its HSM still holds (and before the erase
//!   they can, with the same search: the search works);
//! - a record altered in the database file while the node is stopped is refused by name,
//!   counted, and every other object serves;
//! - an erase interrupted at any step between its HSM and store halves is finished by the next
//!   start, and no live record is lost.
//!
//! The search is the attacker's: it parses the documented formats itself (store README, "At
//! rest"; hsm-bridge README) and gets keys only by asking the HSM to unwrap windows of the
//! files.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use common::*;
use hsm_client::HsmClient;
use keywarden_kmip::attributes::Attributes;
use keywarden_kmip::enums::{
    BlockCipherMode, CryptographicAlgorithm, KeyFormatType, ObjectType, ResultReason, ResultStatus,
};
use keywarden_kmip::message::ProtocolVersion;
use keywarden_kmip::objects::{
    CryptographicParameters, KeyBlock, KeyMaterial, KeyValue, ManagedObject,
};
use keywarden_kmip::payload::{RequestPayload, ResponsePayload};
use keywarden_kms::{Kms, KmsConfig, StoreOptions};
use prometheus_client::registry::Registry;
use zeroize::Zeroizing;

/// Most polls while waiting for a background erase; each sleeps [`POLL`].
const MAX_POLLS: u32 = 600;
const POLL: Duration = Duration::from_millis(50);

/// A key service with its metrics registry, on its own token and data directory.
struct Node {
    hsm: Hsm,
    data: tempfile::TempDir,
    kms: Arc<Kms>,
    registry: Registry,
    adjust: fn(&mut KmsConfig),
}

impl Node {
    async fn start(adjust: fn(&mut KmsConfig)) -> Node {
        let mut hsm = Hsm::new();
        hsm.start();
        let data = tempfile::tempdir().expect("data dir");
        let (kms, registry) = open_node(&hsm, data.path(), adjust).await;
        Node {
            hsm,
            data,
            kms,
            registry,
            adjust,
        }
    }

    fn config(&self) -> KmsConfig {
        let mut c = config(&self.hsm, self.data.path());
        (self.adjust)(&mut c);
        c
    }

    async fn stop(&self) {
        self.kms.shutdown().await;
    }

    /// Opens a new key service on the same directory (after [`Node::stop`]).
    async fn restart(&mut self) {
        let (kms, registry) = open_node(&self.hsm, self.data.path(), self.adjust).await;
        self.kms = kms;
        self.registry = registry;
    }

    fn client(&self, version: ProtocolVersion) -> Client {
        Client::new(
            Arc::clone(&self.kms),
            keywarden_kms::Caller::new("CN=alice", keywarden_kms::Role::CryptoUser),
            version,
        )
    }

    fn hsm_client(&self) -> HsmClient {
        HsmClient::new(self.hsm.socket())
    }

    fn metrics(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry).expect("encode");
        text
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

fn no_change(_: &mut KmsConfig) {}

/// Nothing reaches a checkpoint on its own: what a Destroy replaced stays in the journal until
/// the erase (so the search before the erase has something to find, whatever the timing).
fn never_checkpoint(c: &mut KmsConfig) {
    c.store = StoreOptions {
        checkpoint_bytes: u64::MAX,
        checkpoint_interval: Duration::from_secs(3600),
        ..StoreOptions::default()
    };
}

fn register_aes(key: &[u8]) -> RequestPayload {
    RequestPayload::Register {
        object_type: ObjectType::SymmetricKey,
        attributes: Attributes(vec![
            alg(CryptographicAlgorithm::Aes),
            mask(
                keywarden_kmip::enums::CryptographicUsageMask::ENCRYPT
                    | keywarden_kmip::enums::CryptographicUsageMask::DECRYPT,
            ),
        ]),
        object: ManagedObject::SymmetricKey(KeyBlock {
            key_format_type: KeyFormatType::Raw,
            key_compression_type: None,
            key_value: KeyValue::Plain {
                material: KeyMaterial::Bytes(Zeroizing::new(key.to_vec())),
                attributes: Attributes::default(),
            },
            cryptographic_algorithm: Some(CryptographicAlgorithm::Aes),
            cryptographic_length: None,
            key_wrapping_data: None,
        }),
    }
}

fn gcm() -> Option<CryptographicParameters> {
    Some(CryptographicParameters {
        block_cipher_mode: Some(BlockCipherMode::Gcm),
        tag_length: Some(16),
        ..Default::default()
    })
}

/// A ciphertext made by key `uid` that Decrypt must turn back into `plain`.
struct Sealed {
    uid: String,
    plain: Vec<u8>,
    request: RequestPayload,
}

async fn encrypt(c: &Client, uid: &str, plain: &[u8]) -> Sealed {
    let answer = c
        .ok(RequestPayload::Encrypt {
            unique_identifier: Some(uid.to_owned()),
            parameters: gcm(),
            data: Zeroizing::new(plain.to_vec()),
            iv_counter_nonce: None,
            aad: None,
        })
        .await;
    let ResponsePayload::Encrypt {
        data,
        iv_counter_nonce,
        tag,
        ..
    } = answer
    else {
        panic!("not an Encrypt answer: {answer:?}")
    };
    Sealed {
        uid: uid.to_owned(),
        plain: plain.to_vec(),
        request: RequestPayload::Decrypt {
            unique_identifier: Some(uid.to_owned()),
            parameters: gcm(),
            data,
            iv_counter_nonce,
            aad: None,
            tag,
        },
    }
}

/// Checks that `s` decrypts at `c`'s version where that version has GCM (1.4 on). An older
/// version cannot write the tag, so it asks without one: 1.2 and 1.3 refuse GCM (Invalid
/// Field), 1.0 and 1.1 have no Decrypt at all.
async fn decrypts(c: &Client, s: &Sealed) {
    if c.version < ProtocolVersion::V1_4 {
        let mut untagged = s.request.clone();
        if let RequestPayload::Decrypt { tag, .. } = &mut untagged {
            *tag = None;
        }
        c.refuses(untagged, ResultReason::InvalidField).await;
        return;
    }
    match c.ok(s.request.clone()).await {
        ResponsePayload::Decrypt { data, .. } => {
            assert_eq!(
                &data[..],
                &s.plain[..],
                "{} decrypts its old ciphertext at {}",
                s.uid,
                c.version
            );
        }
        other => panic!("{other:?}"),
    }
}

fn random32() -> Vec<u8> {
    keywarden_crypto::random_bytes(32).expect("random").to_vec()
}

// ---- the attacker's search ----------------------------------------------------------------

/// Every regular file under `dir` with its bytes.
fn data_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            let meta = std::fs::symlink_metadata(&path).expect("metadata");
            if meta.is_dir() {
                todo.push(path);
            } else if meta.is_file() {
                out.push((path.clone(), std::fs::read(&path).expect("read file")));
            }
        }
    }
    out.sort();
    out
}

/// Length of a wrapped blob of a 32-byte key (hsm-bridge README): version, IV, ciphertext, tag.
const WRAPPED_LEN: usize = 1 + 12 + 32 + 16;

/// Every 32-byte key the HSM gives for some window of the files: as a domain KEK (the root key)
/// or as the data key of any epoch whose key the token holds.
async fn keys_from_hsm(files: &[(PathBuf, Vec<u8>)], hsm: &HsmClient) -> Vec<(String, Vec<u8>)> {
    let epochs = hsm.list_epoch_keys().await.expect("list epoch keys");
    let mut keys: Vec<(String, Vec<u8>)> = Vec::new();
    let mut add = |what: String, k: Zeroizing<Vec<u8>>| {
        if k.len() == 32 && !keys.iter().any(|(_, have)| have[..] == k[..]) {
            keys.push((what, k.to_vec()));
        }
    };
    for (path, bytes) in files {
        for i in 0..bytes.len().saturating_sub(WRAPPED_LEN - 1) {
            if bytes[i] != 1 {
                continue;
            }
            let window = &bytes[i..i + WRAPPED_LEN];
            if let Ok(k) = hsm.unwrap_kek(keywarden_kms::DEFAULT_DOMAIN, window).await {
                add(format!("domain KEK from {}+{i}", path.display()), k);
            }
            for id in &epochs {
                if let Ok(k) = hsm.unwrap_epoch_data_key(id.node, id.epoch, window).await {
                    add(
                        format!("epoch {} data key from {}+{i}", id.epoch, path.display()),
                        k,
                    );
                }
            }
        }
    }
    keys
}

fn open_gcm(key: &[u8], nonce: &[u8], aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).ok()?);
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut buf = sealed.to_vec();
    let plain = key.open_in_place(nonce, Aad::from(aad), &mut buf).ok()?;
    Some(plain.to_vec())
}

/// The AAD material of a symmetric AES-256 key is sealed under (store README): context,
/// length-prefixed UUID, SHA-256 of object type, algorithm and length.
fn material_aad(uuid: &str) -> Vec<u8> {
    let mut attrs = Vec::new();
    attrs.extend_from_slice(&ObjectType::SymmetricKey.value().to_be_bytes());
    attrs.push(1);
    attrs.extend_from_slice(&CryptographicAlgorithm::Aes.value().to_be_bytes());
    attrs.push(1);
    attrs.extend_from_slice(&256i32.to_be_bytes());
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &attrs);
    let mut aad = b"keywarden/material/v1".to_vec();
    aad.extend_from_slice(&u32::try_from(uuid.len()).expect("short").to_be_bytes());
    aad.extend_from_slice(uuid.as_bytes());
    aad.extend_from_slice(digest.as_ref());
    aad
}

/// The AAD a record of `uuid` is sealed under at rest in `epoch` (store README, "At rest").
fn record_aad(uuid: &str, epoch: u64) -> Vec<u8> {
    let mut aad = b"keywarden/record/v1".to_vec();
    for part in ["objects", uuid] {
        aad.extend_from_slice(&u32::try_from(part.len()).expect("short").to_be_bytes());
        aad.extend_from_slice(part.as_bytes());
    }
    aad.extend_from_slice(&epoch.to_be_bytes());
    aad
}

/// A postcard varint u32 at the start of `b`: (value, bytes used).
fn varint(b: &[u8]) -> Option<(usize, usize)> {
    let mut v = 0usize;
    for (i, byte) in b.iter().take(5).enumerate() {
        v |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// Where the destroyed key's bytes come out of the files with `keys`.
fn search(
    files: &[(PathBuf, Vec<u8>)],
    keys: &[(String, Vec<u8>)],
    uuid: &str,
    known: &[u8],
) -> Vec<String> {
    let holds = |p: &[u8]| p.windows(known.len()).any(|w| w == known);
    let material_aad = material_aad(uuid);
    // The files, and every record envelope that some key opens (as the destroyed object).
    let mut sources: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(p, b)| (p.display().to_string(), b.clone()))
        .collect();
    for (path, b) in files {
        for i in 0..b.len().saturating_sub(25) {
            if b[i] != 0xE5 {
                continue;
            }
            let epoch = u64::from_be_bytes(b[i + 1..i + 9].try_into().expect("8"));
            let n = u32::from_be_bytes(b[i + 9..i + 13].try_into().expect("4")) as usize;
            if !(16..=1 << 20).contains(&n) || i + 25 + n > b.len() {
                continue;
            }
            let (nonce, ct) = (&b[i + 13..i + 25], &b[i + 25..i + 25 + n]);
            for (what, k) in keys {
                if let Some(p) = open_gcm(k, nonce, &record_aad(uuid, epoch), ct) {
                    sources.push((
                        format!("record at {}+{i} opened by {what}", path.display()),
                        p,
                    ));
                }
            }
        }
    }
    let mut found = Vec::new();
    for (where_, b) in &sources {
        // SealedMaterial as postcard: KEK version 1, nonce, length, ciphertext and tag.
        for i in 0..b.len().saturating_sub(14) {
            if b[i] != 1 {
                continue;
            }
            let Some((n, used)) = varint(&b[i + 13..]) else {
                continue;
            };
            let start = i + 13 + used;
            if !(16..=4096).contains(&n) || start + n > b.len() {
                continue;
            }
            for (what, k) in keys {
                if let Some(p) = open_gcm(k, &b[i + 1..i + 13], &material_aad, &b[start..start + n])
                    && holds(&p)
                {
                    found.push(format!("{where_}+{i} (sealed material) with {what}"));
                }
            }
        }
        // Any 16-byte-aligned window as nonce || ciphertext || tag at the sizes of a bare or
        // framed AES-256 key.
        for i in (0..b.len()).step_by(16) {
            for n in [32 + 16, 42 + 16] {
                if i + 12 + n > b.len() {
                    continue;
                }
                for (what, k) in keys {
                    if let Some(p) =
                        open_gcm(k, &b[i..i + 12], &material_aad, &b[i + 12..i + 12 + n])
                        && holds(&p)
                    {
                        found.push(format!("{where_}+{i} (raw window) with {what}"));
                    }
                }
            }
        }
        // Never in clear, anywhere.
        if holds(b) {
            found.push(format!("{where_} (in clear)"));
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroyed_material_cannot_be_recovered_from_the_data_directory_after_an_erase() {
    let node = Node::start(never_checkpoint).await;
    // What goes into the files is made at one version (GCM needs 1.4 on); what survives the
    // erase is read back at every version.
    let c = node.client(V21);
    let hsm = node.hsm_client();
    let known = random32();
    let doomed = uid_of(&c.ok(register_aes(&known)).await);
    // Live keys, and data they encrypted before the erase.
    let live_bytes = random32();
    let live = uid_of(&c.ok(register_aes(&live_bytes)).await);
    c.ok(RequestPayload::Activate {
        unique_identifier: Some(live.clone()),
    })
    .await;
    let created = c.active_aes().await;
    let sealed = [
        encrypt(&c, &live, b"before the erase").await,
        encrypt(&c, &created, b"also before").await,
    ];
    c.ok(RequestPayload::Destroy {
        unique_identifier: Some(doomed.clone()),
    })
    .await;

    // Before the erase: the same search finds the destroyed bytes with the node's keys.
    let files = data_files(node.data.path());
    let keys = keys_from_hsm(&files, &hsm).await;
    let found = search(&files, &keys, &doomed, &known);
    assert!(
        !found.is_empty(),
        "the search must find the destroyed key before the erase; keys tried: {:?}",
        keys.iter().map(|(w, _)| w).collect::<Vec<_>>()
    );

    let report = node.kms.erase_storage().await.expect("erase");
    assert_eq!((report.epoch, report.destroyed.clone()), (2, vec![1]));
    let epochs = hsm.list_epoch_keys().await.expect("list");
    assert_eq!(
        epochs.iter().map(|k| k.epoch).collect::<Vec<_>>(),
        vec![2],
        "only the new epoch's key is left in the token"
    );

    // After it, while running and once stopped: nothing, with every key the HSM still gives.
    for phase in ["running", "stopped"] {
        if phase == "stopped" {
            node.stop().await;
        }
        let files = data_files(node.data.path());
        let keys = keys_from_hsm(&files, &hsm).await;
        let names: Vec<&String> = keys.iter().map(|(w, _)| w).collect();
        assert!(
            names.iter().any(|w| w.starts_with("domain KEK"))
                && names.iter().any(|w| w.starts_with("epoch 2 data key")),
            "{phase}: the search still gets the node's live keys: {names:?}"
        );
        assert!(
            !names.iter().any(|w| w.starts_with("epoch 1")),
            "{phase}: {names:?}"
        );
        let found = search(&files, &keys, &doomed, &known);
        assert!(
            found.is_empty(),
            "{phase}: destroyed key recovered: {found:?}"
        );
    }

    // Live keys still decrypt what they encrypted before the erase, and still serve.
    let mut node = node;
    node.restart().await;
    for v in ALL_VERSIONS {
        let c = node.client(v);
        for s in &sealed {
            decrypts(&c, s).await;
        }
        assert_eq!(key_bytes(&c.ok(get(&live)).await), live_bytes, "{v}");
        assert_eq!(c.fail(get(&doomed)).await, destroyed_reason(v), "{v}");
    }
    let metrics = node.metrics();
    assert!(metrics.contains("store_storage_epoch 2\n"), "{metrics}");
    node.stop().await;
}

/// The value stored under `uuid` in `objects`, read from a stopped node's database file.
fn stored_value(db: &Path, uuid: &str) -> Vec<u8> {
    use redb::{ReadableDatabase, TableDefinition};
    let objects: TableDefinition<&str, &[u8]> = TableDefinition::new("objects");
    let db = redb::Database::open(db).expect("open the database file");
    let read = db.begin_read().expect("read");
    let table = read.open_table(objects).expect("objects table");
    let guard = table.get(uuid).expect("get").expect("stored");
    guard.value().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_altered_in_the_file_is_refused_by_name_and_the_others_serve() {
    let mut node = Node::start(no_change).await;
    // One key registered at each version.
    let mut keys = Vec::new();
    for v in ALL_VERSIONS {
        let bytes = random32();
        let c = node.client(v);
        keys.push((uid_of(&c.ok(register_aes(&bytes)).await), bytes));
    }
    let (victim, _) = keys[1].clone();
    node.stop().await;

    // Find the record's stored bytes in the file and flip one byte of its ciphertext in every
    // copy (the live page and any free page holding the same bytes).
    let db = node.data.path().join(keywarden_kms::DATABASE_FILE);
    let value = stored_value(&db, &victim);
    assert_eq!(value[0], 0xE5, "the record is sealed at rest");
    let mut file = std::fs::read(&db).expect("read db");
    let mut hits = 0;
    let mut i = 0;
    while let Some(at) = file[i..]
        .windows(value.len())
        .position(|w| w == value.as_slice())
    {
        let start = i + at;
        file[start + 25 + value.len() / 3 % (value.len() - 25)] ^= 0x20;
        hits += 1;
        i = start + value.len();
    }
    assert!(hits >= 1, "the stored record is in the file");
    std::fs::write(&db, &file).expect("write db");

    node.restart().await;
    // Refused at every version alike (General Failure exists in all), and counted each time.
    for (v, round) in ALL_VERSIONS.into_iter().zip(1..) {
        let c = node.client(v);
        let item = c.one(get(&victim)).await;
        assert_refused_at_rest(&item, &victim, &v.to_string());
        let metrics = node.metrics();
        assert!(
            metrics.contains(&format!("store_records_rejected_total {round}\n")),
            "{v}: {metrics}"
        );
    }
    for v in ALL_VERSIONS {
        let c = node.client(v);
        // Never served through another operation either.
        let item = c
            .one(RequestPayload::GetAttributes {
                unique_identifier: Some(victim.clone()),
                names: vec!["Cryptographic Usage Mask".to_owned()],
            })
            .await;
        assert_eq!(item.result_status, ResultStatus::OperationFailed, "{v}");
        for (uid, bytes) in keys.iter().filter(|(u, _)| *u != victim) {
            assert_eq!(
                &key_bytes(&c.ok(get(uid)).await),
                bytes,
                "{uid} serves at {v}"
            );
        }
    }
    let r = node.kms.readiness().await;
    assert!(r.ready, "readiness stays as it is: {r:?}");
    node.stop().await;
}

/// Where a crash can stop an erase between its HSM and store halves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Stop {
    /// The new epoch is durable; records are still under the older one.
    Begun,
    /// Every record is re-sealed and the settle returned; no key destroyed yet.
    Settled,
    /// The older epoch's HSM key is destroyed; its wrapped key is not forgotten yet.
    Destroyed,
}

/// Runs the first half of an erase on a stopped node's store, as the key service would, and
/// stops at `stop`; returns the new epoch.
async fn interrupted_erase(node: &Node, stop: Stop) -> u64 {
    let store = keywarden_kms::open_store(&node.config())
        .await
        .expect("open store");
    let hsm = node.hsm_client();
    let id = store.node_id().0;
    let next = store
        .storage_epochs()
        .expect("epochs")
        .current
        .expect("epoch")
        + 1;
    hsm.create_epoch_key(id, next)
        .await
        .expect("create epoch key");
    let dk = keywarden_crypto::random_bytes(32).expect("random");
    let wrapped = hsm.wrap_epoch_data_key(id, next, &dk).await.expect("wrap");
    store
        .begin_epoch(keywarden_store::NewEpoch {
            epoch: next,
            wrapped,
            key: keywarden_store::EpochKey::new(dk).expect("key"),
        })
        .await
        .expect("begin");
    if stop >= Stop::Settled {
        let mut after = None;
        loop {
            let b = store.reseal(after, 2).await.expect("reseal");
            match b.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        let older = store.settle().await.expect("settle");
        if stop >= Stop::Destroyed {
            for e in older {
                assert!(hsm.destroy_epoch_key(id, e).await.expect("destroy"));
            }
        }
    }
    store.close().await;
    next
}

/// Waits (bounded) until the token holds exactly `epoch`'s key.
async fn wait_for_only_key(hsm: &HsmClient, epoch: u64) {
    let mut last = Vec::new();
    for _ in 0..MAX_POLLS {
        last = hsm.list_epoch_keys().await.expect("list");
        if last.len() == 1 && last[0].epoch == epoch {
            return;
        }
        tokio::time::sleep(POLL).await;
    }
    panic!("the token never held only epoch {epoch}'s key: {last:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erase_interrupted_at_any_step_is_finished_by_the_next_start_and_loses_nothing() {
    let mut node = Node::start(no_change).await;
    let hsm = node.hsm_client();
    // One key registered and activated at each version; encrypted at 2.1, where GCM is.
    let gcm_client = node.client(V21);
    let mut live = Vec::new();
    for (i, v) in ALL_VERSIONS.into_iter().enumerate() {
        let c = node.client(v);
        let bytes = random32();
        let uid = uid_of(&c.ok(register_aes(&bytes)).await);
        c.ok(RequestPayload::Activate {
            unique_identifier: Some(uid.clone()),
        })
        .await;
        let sealed = encrypt(&gcm_client, &uid, format!("data {i}").as_bytes()).await;
        live.push((uid, bytes, sealed));
    }
    drop(gcm_client);
    for stop in [Stop::Begun, Stop::Settled, Stop::Destroyed] {
        node.stop().await;
        let epoch = interrupted_erase(&node, stop).await;
        node.restart().await;
        wait_for_only_key(&hsm, epoch).await;
        for v in ALL_VERSIONS {
            let c = node.client(v);
            for (uid, bytes, sealed) in &live {
                assert_eq!(
                    &key_bytes(&c.ok(get(uid)).await),
                    bytes,
                    "{stop:?}: {uid} at {v}"
                );
                decrypts(&c, sealed).await;
            }
        }
        // And the next erase runs normally from there.
        let report = node.kms.erase_storage().await.expect("erase");
        assert_eq!(report.destroyed, vec![epoch], "{stop:?}");
        wait_for_only_key(&hsm, epoch + 1).await;
    }

    // A key made in the token for an epoch the store never recorded (a crash after step 1
    // made it): the start leaves it (the database alone cannot prove it unused), the next
    // erase skips its number and destroys it with the older epochs.
    node.stop().await;
    let id = hsm.list_epoch_keys().await.expect("list")[0].node;
    let current = hsm.list_epoch_keys().await.expect("list")[0].epoch;
    hsm.create_epoch_key(id, current + 1).await.expect("orphan");
    node.restart().await;
    let mut keys: Vec<u64> = hsm
        .list_epoch_keys()
        .await
        .expect("list")
        .iter()
        .map(|k| k.epoch)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        vec![current, current + 1],
        "nothing destroyed at start"
    );
    let report = node.kms.erase_storage().await.expect("erase");
    assert_eq!(report.epoch, current + 2);
    assert_eq!(report.destroyed, vec![current, current + 1]);
    wait_for_only_key(&hsm, current + 2).await;
    for v in ALL_VERSIONS {
        let c = node.client(v);
        for (uid, bytes, sealed) in &live {
            assert_eq!(&key_bytes(&c.ok(get(uid)).await), bytes, "{uid} at {v}");
            decrypts(&c, sealed).await;
        }
    }
    node.stop().await;
    // What the erases left in the store: the current epoch alone.
    let store = keywarden_kms::open_store(&node.config())
        .await
        .expect("open store");
    let epochs: Vec<u64> = store
        .storage_epochs()
        .expect("epochs")
        .wrapped
        .iter()
        .map(|(e, _)| *e)
        .collect();
    assert_eq!(epochs, vec![current + 2]);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_whose_epochs_were_removed_is_refused_and_no_key_is_destroyed() {
    use redb::TableDefinition;
    let mut node = Node::start(no_change).await;
    // Made at one version, read back at every version.
    let c = node.client(V21);
    let bytes = random32();
    let uid = uid_of(&c.ok(register_aes(&bytes)).await);
    node.stop().await;
    let hsm = node.hsm_client();
    let before = hsm.list_epoch_keys().await.expect("list");
    let path = node.data.path().join(keywarden_kms::DATABASE_FILE);
    let saved = std::fs::read(&path).expect("read db");
    {
        let meta: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
        let epochs: TableDefinition<u64, &[u8]> = TableDefinition::new("storage_epochs");
        let db = redb::Database::open(&path).expect("open the database file");
        let txn = db.begin_write().expect("write");
        txn.open_table(meta)
            .expect("meta")
            .remove("storage_epoch")
            .expect("remove");
        txn.open_table(epochs)
            .expect("epochs")
            .remove(before[0].epoch)
            .expect("remove");
        txn.commit().expect("commit");
    }
    let mut registry = Registry::default();
    let kms = Kms::open(node.config(), &mut registry).await.expect("open");
    let mut reasons = Vec::new();
    for _ in 0..MAX_POLLS {
        reasons = kms.readiness().await.reasons;
        if reasons
            .iter()
            .any(|r| r.contains("stores no storage epoch"))
        {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("stores no storage epoch")),
        "{reasons:?}"
    );
    kms.shutdown().await;
    assert_eq!(
        hsm.list_epoch_keys().await.expect("list"),
        before,
        "the token keeps its keys"
    );
    // So the unaltered file still opens, with every key.
    std::fs::write(&path, saved).expect("restore db");
    node.restart().await;
    for v in ALL_VERSIONS {
        assert_eq!(key_bytes(&node.client(v).ok(get(&uid)).await), bytes, "{v}");
    }
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schedule_erases_within_its_interval_after_a_destroy() {
    fn often(c: &mut KmsConfig) {
        c.erase_interval = Duration::from_millis(200);
    }
    let node = Node::start(often).await;
    let hsm = node.hsm_client();
    // The schedule is below the KMIP layer: one Destroy, at any version, starts it, and more
    // Destroys at other versions would only start more erases.
    let c = node.client(V21);
    let uid = uid_of(&c.ok(register_aes(&random32())).await);
    c.ok(RequestPayload::Destroy {
        unique_identifier: Some(uid),
    })
    .await;
    wait_for_only_key(&hsm, 2).await;
    // The counter moves after the old key is destroyed: wait for it (bounded), do not race it.
    let mut metrics = node.metrics();
    for _ in 0..200 {
        if metrics.contains("store_erases_total 1\n") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        metrics = node.metrics();
    }
    assert!(metrics.contains("store_erases_total 1\n"), "{metrics}");
    node.stop().await;
}

/// Turns a stopped node's database into one written before storage epochs (table format 2,
/// plain records, no epoch), decrypting its records with the data key the HSM unwraps.
async fn downgrade_to_plain_records(node: &Node) {
    use redb::{ReadableDatabase, ReadableTable, TableDefinition};
    let objects: TableDefinition<&str, &[u8]> = TableDefinition::new("objects");
    let meta: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
    let epochs: TableDefinition<u64, &[u8]> = TableDefinition::new("storage_epochs");
    let hsm = node.hsm_client();
    let id = hsm.list_epoch_keys().await.expect("list")[0];
    let path = node.data.path().join(keywarden_kms::DATABASE_FILE);
    let db = redb::Database::open(&path).expect("open the database file");
    let (blob, sealed): (Vec<u8>, Vec<(String, Vec<u8>)>) = {
        let read = db.begin_read().expect("read");
        let blob = read
            .open_table(epochs)
            .expect("epochs")
            .get(id.epoch)
            .expect("get")
            .expect("row")
            .value()
            .to_vec();
        let sealed = read
            .open_table(objects)
            .expect("objects")
            .iter()
            .expect("iter")
            .map(|i| {
                let (k, v) = i.expect("entry");
                (k.value().to_owned(), v.value().to_vec())
            })
            .collect();
        (blob, sealed)
    };
    let dk = hsm
        .unwrap_epoch_data_key(id.node, id.epoch, &blob)
        .await
        .expect("unwrap");
    let txn = db.begin_write().expect("write");
    {
        let mut table = txn.open_table(objects).expect("objects");
        for (uuid, v) in &sealed {
            let plain = open_gcm(&dk, &v[13..25], &record_aad(uuid, id.epoch), &v[25..])
                .expect("the node's own record opens");
            table
                .insert(uuid.as_str(), plain.as_slice())
                .expect("insert");
        }
        let mut m = txn.open_table(meta).expect("meta");
        m.insert("format", &2u32.to_be_bytes()[..]).expect("format");
        m.remove("storage_epoch").expect("epoch");
        m.remove("storage_epoch_since").expect("since");
        txn.open_table(epochs)
            .expect("epochs")
            .remove(id.epoch)
            .expect("row");
    }
    txn.commit().expect("commit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_records_are_sealed_at_the_first_start_unless_the_token_holds_epoch_keys() {
    let mut node = Node::start(no_change).await;
    // Made at one version, read back at every version.
    let c = node.client(V21);
    let bytes = random32();
    let uid = uid_of(&c.ok(register_aes(&bytes)).await);
    node.stop().await;
    downgrade_to_plain_records(&node).await;

    // The token holds this node's epoch key: plain records now mean a replaced database.
    let mut registry = Registry::default();
    let kms = Kms::open(node.config(), &mut registry).await.expect("open");
    let mut reasons = Vec::new();
    for _ in 0..MAX_POLLS {
        reasons = kms.readiness().await.reasons;
        if reasons.iter().any(|r| r.contains("storage epoch keys")) {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    assert!(
        reasons.iter().any(|r| r.contains("plain records")),
        "{reasons:?}"
    );
    for v in ALL_VERSIONS {
        let refused = Client::new(
            Arc::clone(&kms),
            keywarden_kms::Caller::new("CN=alice", keywarden_kms::Role::CryptoUser),
            v,
        );
        assert_eq!(
            refused.fail(get(&uid)).await,
            ResultReason::GeneralFailure,
            "{v}"
        );
    }
    kms.shutdown().await;

    // A token without epoch keys (the upgrade of a node from before storage epochs): the first
    // start seals every record under epoch 1.
    let hsm = node.hsm_client();
    for k in hsm.list_epoch_keys().await.expect("list") {
        hsm.destroy_epoch_key(k.node, k.epoch)
            .await
            .expect("destroy");
    }
    node.restart().await;
    for v in ALL_VERSIONS {
        assert_eq!(key_bytes(&node.client(v).ok(get(&uid)).await), bytes, "{v}");
    }
    node.stop().await;
    let value = stored_value(&node.data.path().join(keywarden_kms::DATABASE_FILE), &uid);
    assert_eq!(value[0], 0xE5, "sealed by the upgrade");
    assert_eq!(u64::from_be_bytes(value[1..9].try_into().expect("8")), 1);
}
