//! The group-commit writer: one thread applies every queued commit in one durable transaction.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::thread::JoinHandle;

use redb::{Database, Durability, ReadableTable, Table, WriteTransaction};
use tokio::sync::oneshot;

use crate::clock::{HlcClock, NodeId};
use crate::error::StoreError;
use crate::index;
use crate::oplog::{LogOp, StoredLogEntry};
use crate::record::{ObjectRecord, Record};
use crate::store::{
    CommitInfo, INDEX, INDEX_COUNTS, OBJECTS, ORIGIN_LOG, StoreOptions, VERSION_VECTOR,
    WRAPPED_KEKS, WriteOp,
};

/// Longest UUID, domain or owner accepted (they are index keys).
const MAX_KEY_TEXT: usize = 1024;

pub(crate) enum Msg {
    Commit {
        ops: Vec<WriteOp>,
        reply: oneshot::Sender<Result<CommitInfo, StoreError>>,
    },
    Shutdown,
}

struct Pending {
    ops: Vec<WriteOp>,
    reply: oneshot::Sender<Result<CommitInfo, StoreError>>,
}

fn check_text(field: &'static str, v: &str, may_be_empty: bool) -> Result<(), StoreError> {
    if !may_be_empty && v.is_empty() {
        return Err(StoreError::Invalid {
            field,
            reason: "must not be empty".to_string(),
        });
    }
    if v.len() > MAX_KEY_TEXT {
        return Err(StoreError::Invalid {
            field,
            reason: format!("{} bytes, at most {MAX_KEY_TEXT}", v.len()),
        });
    }
    Ok(())
}

/// Rejects a commit before it reaches the writer, so one bad commit never fails a whole group.
pub(crate) fn validate(ops: &[WriteOp]) -> Result<(), StoreError> {
    for op in ops {
        match op {
            WriteOp::PutObject(r) => {
                check_text("uuid", &r.uuid, false)?;
                check_text("domain", &r.domain, true)?;
                check_text("owner", &r.owner, true)?;
                if r.updated < r.created {
                    return Err(StoreError::Invalid {
                        field: "updated",
                        reason: "stamp is older than created".to_string(),
                    });
                }
            }
            WriteOp::PutWrappedKek { domain, blob } => {
                check_text("domain", domain, false)?;
                if blob.is_empty() {
                    return Err(StoreError::Invalid {
                        field: "blob",
                        reason: "wrapped KEK must not be empty".to_string(),
                    });
                }
            }
        }
    }
    Ok(())
}

pub(crate) fn spawn(
    db: Arc<Database>,
    clock: Arc<HlcClock>,
    node: NodeId,
    options: StoreOptions,
    rx: Receiver<Msg>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("store-writer".to_string())
        .spawn(move || {
            let w = Writer {
                db,
                clock,
                node,
                options,
            };
            w.run(rx);
        })
}

struct Writer {
    db: Arc<Database>,
    clock: Arc<HlcClock>,
    node: NodeId,
    options: StoreOptions,
}

struct Tables<'t> {
    objects: Table<'t, &'static str, &'static [u8]>,
    index: Table<'t, &'static [u8], &'static [u8]>,
    counts: Table<'t, &'static [u8], u64>,
    log: Table<'t, (u64, u64), &'static [u8]>,
    vv: Table<'t, u64, u64>,
    keks: Table<'t, &'static str, &'static [u8]>,
}

impl Writer {
    fn run(&self, rx: Receiver<Msg>) {
        let max = self.options.group_commit_max_batch.max(1);
        let mut batch: Vec<Pending> = Vec::with_capacity(max);
        loop {
            let mut stop = false;
            match rx.recv() {
                Ok(Msg::Commit { ops, reply }) => batch.push(Pending { ops, reply }),
                Ok(Msg::Shutdown) | Err(_) => break,
            }
            // Everything that queued up during the previous fsync rides in this transaction.
            while batch.len() < max {
                match rx.try_recv() {
                    Ok(Msg::Commit { ops, reply }) => batch.push(Pending { ops, reply }),
                    Ok(Msg::Shutdown) => {
                        stop = true;
                        break;
                    }
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                }
            }
            self.process(&mut batch);
            if stop {
                break;
            }
        }
        // Commits queued after a shutdown are dropped unanswered: their callers see `Closed`.
    }

    fn process(&self, batch: &mut Vec<Pending>) {
        let group_size = batch.len();
        match self.apply_group(batch.iter().map(|p| p.ops.as_slice())) {
            Ok(seqs) => {
                for (p, seqs) in batch.drain(..).zip(seqs) {
                    let _ = p.reply.send(Ok(CommitInfo { seqs, group_size }));
                }
            }
            Err(e) if group_size > 1 => {
                // Retry one by one so a commit that cannot apply fails alone.
                tracing::warn!(error = %e, group_size, "group commit failed, retrying commits one by one");
                for p in batch.drain(..) {
                    let res = self
                        .apply_group(std::iter::once(p.ops.as_slice()))
                        .map(|mut s| CommitInfo {
                            seqs: s.pop().unwrap_or_default(),
                            group_size: 1,
                        });
                    let _ = p.reply.send(res);
                }
            }
            Err(e) => {
                if let Some(p) = batch.pop() {
                    let _ = p.reply.send(Err(e));
                }
            }
        }
    }

    /// One durable transaction for all `commits`; returns the log seqs of each commit.
    fn apply_group<'a>(
        &self,
        commits: impl Iterator<Item = &'a [WriteOp]>,
    ) -> Result<Vec<Vec<u64>>, StoreError> {
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        txn.set_quick_repair(self.options.quick_repair);
        let out = self.apply_in(&txn, commits)?;
        txn.commit()?;
        Ok(out)
    }

    fn apply_in<'a>(
        &self,
        txn: &WriteTransaction,
        commits: impl Iterator<Item = &'a [WriteOp]>,
    ) -> Result<Vec<Vec<u64>>, StoreError> {
        let mut t = Tables {
            objects: txn.open_table(OBJECTS)?,
            index: txn.open_table(INDEX)?,
            counts: txn.open_table(INDEX_COUNTS)?,
            log: txn.open_table(ORIGIN_LOG)?,
            vv: txn.open_table(VERSION_VECTOR)?,
            keks: txn.open_table(WRAPPED_KEKS)?,
        };
        let mut seq = t.vv.get(self.node.0)?.map_or(0, |v| v.value());
        let start_seq = seq;
        let mut out = Vec::new();
        for ops in commits {
            let mut seqs = Vec::new();
            for op in ops {
                match op {
                    WriteOp::PutObject(rec) => {
                        seq += 1;
                        self.put_object(&mut t, rec, seq)?;
                        seqs.push(seq);
                    }
                    WriteOp::PutWrappedKek { domain, blob } => {
                        t.keks.insert(domain.as_str(), blob.as_slice())?;
                    }
                }
            }
            out.push(seqs);
        }
        if seq != start_seq {
            t.vv.insert(self.node.0, seq)?;
        }
        Ok(out)
    }

    fn put_object(
        &self,
        t: &mut Tables<'_>,
        rec: &ObjectRecord,
        seq: u64,
    ) -> Result<(), StoreError> {
        self.clock.observe(rec.updated);
        let old = match t.objects.get(rec.uuid.as_str())? {
            Some(v) => Some(Record::decode(v.value())?.into_current()),
            None => None,
        };
        let mut rec = rec.clone();
        if let Some(o) = &old {
            // Lifecycle facts are grow-only: a write built from a stale read (or a buggy
            // caller) must not drop a compromise or a destroy. The same join merges replicas.
            rec.lifecycle.merge(&o.lifecycle);
            if o.lifecycle.destroyed.is_some() {
                // A destroyed object's material never comes back.
                rec.material = None;
            }
        }
        // The created stamp names the object inside every index, so it must be unique.
        if old.as_ref().is_none_or(|o| o.created != rec.created)
            && let Some(v) = t.index.get(index::all_key(&rec.created).as_slice())?
        {
            let holder = index::decode_all_value(v.value()).map(|(_, u)| u.to_string());
            if holder.as_deref() != Some(rec.uuid.as_str()) {
                return Err(StoreError::Invalid {
                    field: "created",
                    reason: format!(
                        "stamp of {} is already the creation stamp of {}",
                        rec.uuid,
                        holder.unwrap_or_default()
                    ),
                });
            }
        }
        let old_entries = old.as_ref().map(index::entries).unwrap_or_default();
        let new_entries = index::entries(&rec);
        for (key, e) in &old_entries {
            if !new_entries.contains_key(key) {
                t.index.remove(key.as_slice())?;
                adjust_count(&mut t.counts, &key[..e.prefix_len], -1)?;
            }
        }
        for (key, e) in &new_entries {
            match old_entries.get(key) {
                Some(o) if o.value == e.value => {}
                Some(_) => {
                    t.index.insert(key.as_slice(), e.value.as_slice())?;
                }
                None => {
                    t.index.insert(key.as_slice(), e.value.as_slice())?;
                    adjust_count(&mut t.counts, &key[..e.prefix_len], 1)?;
                }
            }
        }
        let uuid = rec.uuid.clone();
        let record = Record::from_current(rec);
        t.objects
            .insert(uuid.as_str(), record.encode()?.as_slice())?;
        let entry = StoredLogEntry::V1 {
            stamp: self.clock.now(),
            op: LogOp::PutObject { uuid },
        };
        t.log
            .insert((self.node.0, seq), entry.encode()?.as_slice())?;
        Ok(())
    }
}

fn adjust_count(
    counts: &mut Table<'_, &'static [u8], u64>,
    prefix: &[u8],
    delta: i64,
) -> Result<(), StoreError> {
    let current = counts.get(prefix)?.map_or(0, |v| v.value());
    let next = current.saturating_add_signed(delta);
    if next == 0 {
        counts.remove(prefix)?;
    } else {
        counts.insert(prefix, next)?;
    }
    Ok(())
}
