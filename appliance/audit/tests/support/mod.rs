//! Test kit: a log directory with a fixed node key, entries that are easy to find, and an
//! independent reader of the segment byte layout (it does not use the crate's parser, so the
//! tests judge the files by the documented format, not by the code under test).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use keywarden_audit::{
    AuditEntry, AuditError, AuditLog, AuditOptions, Durability, Ed25519Signer, ObjectIds, Outcome,
    PublicKey, ReasonMessage, Role, Signature, Signer, Timestamp,
};
use uuid::Uuid;
use zeroize::Zeroizing;

/// Bytes of a segment header: magic, segment number, previous hash.
pub const HEADER: usize = 48;

/// The text of entry `n`'s message; fixed width, so one never contains another.
pub fn message(n: u64) -> String {
    format!("request {n:06}")
}

/// An entry whose message and object name `n`.
pub fn entry(n: u64) -> AuditEntry {
    AuditEntry {
        time: Timestamp::now(),
        identity: "CN=tester,O=Keywarden Test,C=DE".into(),
        role: Some(Role::CryptoUser),
        operation: "Encrypt".into(),
        objects: ObjectIds::one(Uuid::from_u128(u128::from(n))),
        outcome: Outcome::Success,
        message: ReasonMessage::new(message(n)),
        client: Some("192.0.2.7:40000".parse().expect("address")),
    }
}

/// Options with a checkpoint every 5 entries and nothing driven by time, so the layout of a
/// log written one durable append at a time is fixed.
pub fn every_5() -> AuditOptions {
    AuditOptions {
        checkpoint_entries: 5,
        checkpoint_interval: Duration::from_secs(3600),
        sync_interval: Duration::from_secs(3600),
        ..AuditOptions::default()
    }
}

/// A temporary log directory and the node key that signs it.
pub struct TestLog {
    pub dir: tempfile::TempDir,
    pkcs8: Zeroizing<Vec<u8>>,
}

impl TestLog {
    pub fn new() -> TestLog {
        TestLog {
            dir: tempfile::tempdir().expect("tempdir"),
            pkcs8: Ed25519Signer::generate_pkcs8().expect("key"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn signer(&self) -> Ed25519Signer {
        Ed25519Signer::from_pkcs8(&self.pkcs8).expect("key")
    }

    pub fn key(&self) -> PublicKey {
        self.signer().public_key()
    }

    pub fn open(&self, options: AuditOptions) -> AuditLog {
        AuditLog::open(self.path(), options, self.signer()).expect("open")
    }

    /// Segment files, oldest first.
    pub fn segments(&self) -> Vec<PathBuf> {
        segments(self.path())
    }
}

/// Segment files of `dir`, oldest first.
pub fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "audit"))
        .collect();
    out.sort();
    out
}

/// Appends entries `from..=to`, one at a time.
pub async fn fill(log: &AuditLog, from: u64, to: u64, durability: Durability) {
    for n in from..=to {
        log.append(entry(n), durability).await.expect("append");
    }
}

/// A closed log of entries 1..=20, each appended durably, with a checkpoint after every 5:
/// `[start] e1..e5 [cp] e6..e10 [cp] e11..e15 [cp] e16..e20 [cp] [close]`.
pub async fn twenty() -> TestLog {
    let t = TestLog::new();
    let log = t.open(every_5());
    fill(&log, 1, 20, Durability::Durable).await;
    log.close().expect("close");
    t
}

/// What a record is, read by the documented layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Entry,
    Checkpoint,
}

/// One record's place in a segment file.
#[derive(Clone, Copy, Debug)]
pub struct Rec {
    pub offset: usize,
    pub end: usize,
    pub payload: (usize, usize),
    pub kind: Kind,
    /// For an entry: its sequence number (the varint after the variant tag).
    pub seq: Option<u64>,
}

fn varint(bytes: &[u8]) -> u64 {
    let mut v = 0u64;
    for (i, b) in bytes.iter().take(10).enumerate() {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            break;
        }
    }
    v
}

/// The whole records of a segment file: `u32 BE length | payload | 32-byte hash`, after the
/// header; the payload's first byte is 0 for an entry, 1 for a checkpoint.
pub fn records(bytes: &[u8]) -> Vec<Rec> {
    let mut out = Vec::new();
    let mut pos = HEADER;
    while pos + 4 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[pos..pos + 4].try_into().expect("4")) as usize;
        let end = pos + 4 + len + 32;
        if len == 0 || end > bytes.len() {
            break;
        }
        let payload = &bytes[pos + 4..pos + 4 + len];
        let kind = match payload[0] {
            0 => Kind::Entry,
            1 => Kind::Checkpoint,
            t => panic!("record at {pos} has tag {t}"),
        };
        let seq = (kind == Kind::Entry).then(|| varint(&payload[1..]));
        out.push(Rec {
            offset: pos,
            end,
            payload: (pos + 4, pos + 4 + len),
            kind,
            seq,
        });
        pos = end;
    }
    out
}

/// The record of entry `seq`.
pub fn entry_rec(bytes: &[u8], seq: u64) -> Rec {
    records(bytes)
        .into_iter()
        .find(|r| r.seq == Some(seq))
        .unwrap_or_else(|| panic!("entry {seq} not found"))
}

/// What an attacker without the key can do: recompute every record hash from `from` on, so
/// the chain is consistent again.
pub fn rehash_from(bytes: &mut [u8], from: usize) {
    for r in records(bytes) {
        if r.offset < from {
            continue;
        }
        let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        ctx.update(&bytes[r.offset - 32..r.offset]);
        ctx.update(&bytes[r.payload.0..r.payload.1]);
        let d = ctx.finish();
        bytes[r.payload.1..r.end].copy_from_slice(d.as_ref());
    }
}

/// True when `needle` occurs in `hay`.
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Copies every file of `from` into `to` (a snapshot of what is on disk right now).
pub fn copy_dir(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).expect("dir") {
        let p = e.expect("entry").path();
        std::fs::copy(&p, to.join(p.file_name().expect("name"))).expect("copy");
    }
}

/// A gate a [`GateSigner`] waits at while it is shut.
#[derive(Default)]
pub struct Gate {
    state: Mutex<(bool, bool)>,
    changed: Condvar,
}

impl Gate {
    /// Shut: the next signature waits.
    pub fn shut(&self) {
        self.state.lock().expect("gate").0 = true;
    }

    /// Open: waiting signatures go on.
    pub fn open(&self) {
        self.state.lock().expect("gate").0 = false;
        self.changed.notify_all();
    }

    /// Waits (at most a minute, so a broken test fails instead of hanging) until a signer
    /// waits at the gate.
    pub fn wait_until_blocked(&self) {
        let st = self.state.lock().expect("gate");
        let (st, timeout) = self
            .changed
            .wait_timeout_while(st, Duration::from_secs(60), |s| !s.1)
            .expect("gate");
        assert!(
            !timeout.timed_out() && st.1,
            "the signer never reached the gate"
        );
    }
}

/// A signer that can be held at a [`Gate`], to stop the writer thread at a known point.
pub struct GateSigner {
    pub inner: Ed25519Signer,
    pub gate: Arc<Gate>,
}

impl Signer for GateSigner {
    fn sign(&self, msg: &[u8]) -> Result<Signature, AuditError> {
        let mut st = self.gate.state.lock().expect("gate");
        while st.0 {
            st.1 = true;
            self.gate.changed.notify_all();
            st = self.gate.changed.wait(st).expect("gate");
        }
        st.1 = false;
        drop(st);
        self.inner.sign(msg)
    }

    fn public_key(&self) -> PublicKey {
        self.inner.public_key()
    }
}

/// A signer that fails after `works` signatures.
pub struct FailingSigner {
    pub inner: Ed25519Signer,
    pub works: Mutex<u32>,
}

impl Signer for FailingSigner {
    fn sign(&self, msg: &[u8]) -> Result<Signature, AuditError> {
        let mut left = self.works.lock().expect("count");
        if *left == 0 {
            return Err(AuditError::Signer {
                reason: "test signer is out of order".to_string(),
            });
        }
        *left -= 1;
        self.inner.sign(msg)
    }

    fn public_key(&self) -> PublicKey {
        self.inner.public_key()
    }
}
