//! The group-commit writer: one thread applies every queued commit as one transaction, made
//! durable by one journal append (see [`crate::journal`]) before any of them is answered.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::thread::JoinHandle;
use std::time::Instant;

use redb::{Database, Durability, ReadableDatabase, ReadableTable, Table, WriteTransaction};
use tokio::sync::{oneshot, watch};

use crate::cache::RecordCache;
use crate::clock::Stamp;
use crate::clock::{HlcClock, NodeId, unix_now};
use crate::conflict::{Conflict, ConflictKind};
use crate::envelope;
use crate::epoch::{EpochKey, KeyCell, Keyring, ResealBatch};
use crate::error::{RecordFault, StoreError};
use crate::index;
use crate::journal::{self, Journal, JournalAppendError, JournalGroup, JournalWrite};
use crate::oplog::{LogOp, StoredLogEntry};
use crate::record::{ObjectRecord, Record};
use crate::syncer::{Ack, Syncer};
use crate::tables::{
    CONFLICTS, INDEX, INDEX_COUNTS, META, META_EPOCH, META_EPOCH_SINCE, META_ERASE_PENDING,
    META_JOURNAL_APPLIED, META_LAST_ERASE, OBJECTS, ORIGIN_LOG, STORAGE_EPOCHS, VERSION_VECTOR,
    WRAPPED_KEKS,
};
use crate::types::{CommitInfo, ReplicatedEntries, StoreOptions, WriteOp};
use crate::write_stats::WriteCounters;

/// Longest UUID, domain or owner accepted (they are index keys).
const MAX_KEY_TEXT: usize = 1024;

/// Where the answer to a durable write goes.
pub(crate) type Reply = oneshot::Sender<Result<CommitInfo, StoreError>>;

/// Where the writer says that a commit is applied (visible to reads here, not yet durable).
pub(crate) type AppliedSignal = oneshot::Sender<()>;

pub(crate) enum Msg {
    /// A commit, answered once durable.
    Commit(Pending),
    /// A storage epoch change: a group of its own, answered once durable.
    Epoch {
        change: EpochChange,
        reply: Reply,
    },
    /// Re-seal up to `max` records under an older epoch, from after `after` on.
    Reseal {
        after: Option<String>,
        max: usize,
        reply: oneshot::Sender<Result<ResealBatch, StoreError>>,
    },
    /// Prove that no record needs an older epoch, make that durable, name the older epochs.
    Settle {
        reply: oneshot::Sender<Result<Vec<u64>, StoreError>>,
    },
    Shutdown,
}

/// A change of the storage epochs, journaled like any write.
pub(crate) enum EpochChange {
    /// `epoch` becomes current: every later write is sealed under `key`.
    Begin {
        epoch: u64,
        wrapped: Vec<u8>,
        key: Arc<EpochKey>,
    },
    /// The owner destroyed these epochs' keys: their wrapped keys and data keys go.
    Forget { epochs: Vec<u64> },
}

/// Records a reseal batch reads per record it re-seals at most, so a batch over records that
/// are already current stays short too.
const RESEAL_SCAN_FACTOR: usize = 8;

/// One commit as the writer queues it.
pub(crate) struct Pending {
    pub ops: Vec<WriteOp>,
    pub reply: Reply,
    /// Told once the commit is applied, before it is durable; dropped unsent if it fails.
    pub applied: Option<AppliedSignal>,
}

impl Pending {
    /// Tells a caller that waits for it that the commit is applied.
    fn signal_applied(&mut self) {
        if let Some(signal) = self.applied.take() {
            let _ = signal.send(());
        }
    }
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
            WriteOp::PutObject(r) => check_record(r)?,
            WriteOp::PutWrappedKek { domain, blob } => {
                check_text("domain", domain, false)?;
                if blob.is_empty() {
                    return Err(StoreError::Invalid {
                        field: "blob",
                        reason: "wrapped KEK must not be empty".to_string(),
                    });
                }
            }
            WriteOp::Replicated(r) => validate_replicated(r)?,
            WriteOp::Snapshot { records, .. } => {
                for rec in records {
                    check_record(rec)?;
                }
            }
            WriteOp::TruncateLogs { .. } => {}
        }
    }
    Ok(())
}

/// What every stored record must satisfy, whoever wrote it.
fn check_record(r: &ObjectRecord) -> Result<(), StoreError> {
    check_text("uuid", &r.uuid, false)?;
    check_text("domain", &r.domain, true)?;
    check_text("owner", &r.owner, true)?;
    if r.updated < r.created {
        return Err(StoreError::Invalid {
            field: "updated",
            reason: "stamp is older than created".to_string(),
        });
    }
    Ok(())
}

fn validate_replicated(r: &ReplicatedEntries) -> Result<(), StoreError> {
    let invalid = |field, reason: String| Err(StoreError::Invalid { field, reason });
    if r.entries.is_empty() {
        return invalid("entries", "no entries".into());
    }
    if r.first_seq == 0 || r.first_seq.checked_add(r.entries.len() as u64).is_none() {
        return invalid("first_seq", format!("{} cannot start a run", r.first_seq));
    }
    for (stamp, uuid) in &r.entries {
        check_text("entries.uuid", uuid, false)?;
        if stamp.node != r.origin {
            return invalid(
                "entries.stamp",
                format!("stamped by {} in the log of {}", stamp.node, r.origin),
            );
        }
    }
    for rec in &r.records {
        check_record(rec)?;
        if !r.entries.iter().any(|(_, u)| *u == rec.uuid) {
            return invalid(
                "records",
                format!("{} is not named by the entries", rec.uuid),
            );
        }
    }
    Ok(())
}

/// What the writer thread starts from: the database, and the journal left empty by recovery.
pub(crate) struct WriterStart {
    pub db: Arc<Database>,
    pub clock: Arc<HlcClock>,
    pub node: NodeId,
    pub options: StoreOptions,
    pub journal: Journal,
    /// Number of the next group (one above the last group redb holds).
    pub next_group: u64,
    /// The readers' record cache, invalidated after each commit.
    pub cache: Arc<RecordCache>,
    /// Totals of the write path, shared with the store for metrics.
    pub counters: Arc<WriteCounters>,
    /// Where readers find the keyring; the writer replaces it on an epoch change.
    pub keys: Arc<KeyCell>,
    /// Set once a write makes an erase due, cleared when an epoch begins.
    pub erase_due: Arc<AtomicBool>,
    /// The keyring at start.
    pub keyring: Arc<Keyring>,
    /// The highest sequence of this node's own log at start (all durable).
    pub own_seq: u64,
    /// Where the syncer publishes the highest own sequence made durable.
    pub own_durable: Arc<watch::Sender<u64>>,
}

pub(crate) fn spawn(start: WriterStart, rx: Receiver<Msg>) -> std::io::Result<JoinHandle<()>> {
    let syncer = Syncer::spawn(
        start.journal.sync_handle(),
        Arc::clone(&start.counters),
        start.next_group - 1,
        start.own_durable,
    )?;
    std::thread::Builder::new()
        .name("store-writer".to_string())
        .spawn(move || {
            let mut w = Writer {
                syncer,
                db: start.db,
                clock: start.clock,
                node: start.node,
                options: start.options,
                journal: start.journal,
                next_group: start.next_group,
                cache: start.cache,
                counters: start.counters,
                keys: start.keys,
                erase_due: start.erase_due,
                keyring: start.keyring,
                unchecked_since: None,
                own_seq: start.own_seq,
            };
            w.run(rx);
        })
}

struct Writer {
    syncer: Syncer,
    db: Arc<Database>,
    clock: Arc<HlcClock>,
    node: NodeId,
    options: StoreOptions,
    journal: Journal,
    next_group: u64,
    cache: Arc<RecordCache>,
    counters: Arc<WriteCounters>,
    keys: Arc<KeyCell>,
    erase_due: Arc<AtomicBool>,
    /// The keyring every write is sealed with (the current epoch's key) and old records
    /// opened with; the same snapshot readers get from `keys`.
    keyring: Arc<Keyring>,
    /// When the oldest write not yet in a checkpoint was applied; `None` when all are.
    unchecked_since: Option<Instant>,
    /// The highest sequence of this node's own log applied so far.
    own_seq: u64,
}

/// How applying a group failed.
enum GroupFailure {
    /// Applying the writes failed (bad input, redb refused it); nothing was journaled, so each
    /// commit can be retried alone.
    Apply(StoreError),
    /// The journal append failed and was undone; nothing of the group exists anywhere.
    NotDurable(StoreError),
    /// The store can no longer tell what is durable: no further write may be acknowledged.
    Fatal(String),
}

impl From<StoreError> for GroupFailure {
    fn from(e: StoreError) -> Self {
        GroupFailure::Apply(e)
    }
}

impl From<redb::Error> for GroupFailure {
    fn from(e: redb::Error) -> Self {
        GroupFailure::Apply(StoreError::Database(e))
    }
}

macro_rules! group_failure_from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for GroupFailure {
            fn from(e: $t) -> Self {
                GroupFailure::Apply(StoreError::from(e))
            }
        }
    )*};
}
group_failure_from_redb!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError
);

struct Tables<'t> {
    meta: Table<'t, &'static str, &'static [u8]>,
    objects: Table<'t, &'static str, &'static [u8]>,
    index: Table<'t, &'static [u8], &'static [u8]>,
    counts: Table<'t, &'static [u8], u64>,
    /// Net change of each term count in this transaction, written once at its end: every
    /// create touches the same few hot terms (owner, domain, type, state), so this is one
    /// read-modify-write per term per transaction instead of one per term per object.
    count_deltas: BTreeMap<Vec<u8>, i64>,
    log: Table<'t, (u64, u64), &'static [u8]>,
    vv: Table<'t, u64, u64>,
    keks: Table<'t, &'static str, &'static [u8]>,
    epochs: Table<'t, u64, &'static [u8]>,
    /// Opened on first use: conflicts are rare, and every group opening one more table costs
    /// every Create.
    conflicts: Option<Table<'t, &'static [u8], &'static [u8]>>,
    txn: &'t WriteTransaction,
    /// A write of this transaction changed what an older copy of its record would undo: an
    /// erase is due.
    erase_pending: bool,
}

impl<'t> Tables<'t> {
    fn open(txn: &'t WriteTransaction) -> Result<Tables<'t>, StoreError> {
        Ok(Tables {
            meta: txn.open_table(META)?,
            objects: txn.open_table(OBJECTS)?,
            index: txn.open_table(INDEX)?,
            counts: txn.open_table(INDEX_COUNTS)?,
            log: txn.open_table(ORIGIN_LOG)?,
            vv: txn.open_table(VERSION_VECTOR)?,
            keks: txn.open_table(WRAPPED_KEKS)?,
            epochs: txn.open_table(STORAGE_EPOCHS)?,
            conflicts: None,
            txn,
            count_deltas: BTreeMap::new(),
            erase_pending: false,
        })
    }

    fn conflicts(&mut self) -> Result<&mut Table<'t, &'static [u8], &'static [u8]>, StoreError> {
        if self.conflicts.is_none() {
            self.conflicts = Some(self.txn.open_table(CONFLICTS)?);
        }
        self.conflicts.as_mut().ok_or(StoreError::Commit {
            reason: "conflicts table not opened".into(),
        })
    }
}

impl Writer {
    fn run(&mut self, rx: Receiver<Msg>) {
        let max = self.options.group_commit_max_batch.max(1);
        let mut batch: Vec<Pending> = Vec::with_capacity(max);
        loop {
            let mut stop = false;
            let first = match self.unchecked_since {
                // Idle with groups outside a checkpoint: wake up to make one in time.
                Some(since) => {
                    let due = since + self.options.checkpoint_interval;
                    match rx.recv_timeout(due.saturating_duration_since(Instant::now())) {
                        Ok(m) => Some(m),
                        Err(RecvTimeoutError::Timeout) => None,
                        Err(RecvTimeoutError::Disconnected) => Some(Msg::Shutdown),
                    }
                }
                None => Some(rx.recv().unwrap_or(Msg::Shutdown)),
            };
            let mut control = None;
            match first {
                None => {
                    let _ = self.checkpoint();
                    continue;
                }
                Some(Msg::Commit(p)) => batch.push(p),
                Some(Msg::Shutdown) => break,
                Some(other) => control = Some(other),
            }
            // Everything that queued up during the previous group rides in this one; an epoch
            // change, reseal or settle waits for the commits queued before it.
            while control.is_none() && batch.len() < max {
                match rx.try_recv() {
                    Ok(Msg::Commit(p)) => batch.push(p),
                    Ok(Msg::Shutdown) => {
                        stop = true;
                        break;
                    }
                    Ok(other) => control = Some(other),
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                }
            }
            let processed = if batch.is_empty() {
                Ok(())
            } else {
                self.process(&mut batch)
            };
            if let Err(reason) = processed.and_then(|()| match control {
                Some(m) => self.control(m),
                None => Ok(()),
            }) {
                // Commits still queued are dropped unanswered: their callers see `Closed`, and
                // readiness reports the writer gone. A restart replays the journal.
                tracing::error!(%reason, "store writer stopped: no further write can be acknowledged");
                return;
            }
            if self.journal.len() >= self.options.checkpoint_bytes
                || self
                    .unchecked_since
                    .is_some_and(|t| t.elapsed() >= self.options.checkpoint_interval)
            {
                let _ = self.checkpoint();
            }
            if stop {
                break;
            }
        }
        // Commits queued after a shutdown are dropped unanswered: their callers see `Closed`.
        let _ = self.checkpoint();
    }

    /// Handles a message other than a commit; `Err` = the writer must stop.
    fn control(&mut self, msg: Msg) -> Result<(), String> {
        match msg {
            Msg::Epoch { change, reply } => self.change_epoch(change, reply),
            Msg::Reseal { after, max, reply } => {
                let _ = reply.send(self.reseal(after.as_deref(), max.max(1)));
                Ok(())
            }
            Msg::Settle { reply } => {
                let _ = reply.send(self.settle());
                Ok(())
            }
            // The run loop takes these itself.
            Msg::Commit(Pending { reply, .. }) => {
                let _ = reply.send(Err(StoreError::Closed));
                Ok(())
            }
            Msg::Shutdown => Ok(()),
        }
    }

    /// Applies an epoch change as a group of its own; answered by the syncer once durable.
    fn change_epoch(&mut self, change: EpochChange, reply: Reply) -> Result<(), String> {
        let current = self.keyring.current();
        let refused = match &change {
            EpochChange::Begin { epoch, .. } if *epoch <= current => Some(format!(
                "epoch {epoch} is not above the current epoch {current}"
            )),
            EpochChange::Forget { epochs } if epochs.contains(&current) => {
                Some(format!("epoch {current} is the current epoch"))
            }
            _ => None,
        };
        if let Some(reason) = refused {
            let _ = reply.send(Err(StoreError::Invalid {
                field: "storage epoch",
                reason,
            }));
            return Ok(());
        }
        match self.apply_group_with(&[], Some(&change)) {
            Ok((group, _)) => {
                self.counters.group(1);
                let ack = Ack {
                    reply,
                    info: CommitInfo {
                        seqs: Vec::new(),
                        group_size: 1,
                    },
                };
                self.syncer.submit(group, self.own_seq, vec![ack])
            }
            Err(GroupFailure::Apply(e) | GroupFailure::NotDurable(e)) => {
                let _ = reply.send(Err(e));
                Ok(())
            }
            Err(GroupFailure::Fatal(reason)) => {
                let _ = reply.send(Err(StoreError::Commit {
                    reason: reason.clone(),
                }));
                Err(reason)
            }
        }
    }

    /// One batch of the erase's re-seal pass: records under an older epoch, from after
    /// `after` on in key order, sealed again under the current epoch. Not journaled: a crash
    /// before the next checkpoint leaves them under their old epoch, whose key is still there.
    fn reseal(&mut self, after: Option<&str>, max: usize) -> Result<ResealBatch, StoreError> {
        let current = self.keyring.current();
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::None)?;
        let mut batch = ResealBatch::default();
        {
            let mut objects = txn.open_table(OBJECTS)?;
            let mut todo = Vec::new();
            let mut reached_end = true;
            let start = after.map_or(Bound::Unbounded, Bound::Excluded);
            let range = objects.range::<&str>((start, Bound::Unbounded))?;
            for (scanned, item) in range.enumerate() {
                if todo.len() >= max || scanned >= max.saturating_mul(RESEAL_SCAN_FACTOR) {
                    reached_end = false;
                    break;
                }
                let (k, v) = item?;
                batch.next = Some(k.value().to_string());
                if envelope::epoch_of(v.value()) != Some(current) {
                    todo.push((k.value().to_string(), v.value().to_vec()));
                }
            }
            if reached_end {
                batch.next = None;
            }
            for (uuid, stored) in todo {
                match envelope::unseal(&self.keyring, &uuid, &stored, false) {
                    Ok(plain) => {
                        let sealed = envelope::seal_current(&self.keyring, &uuid, &plain)?;
                        objects.insert(uuid.as_str(), sealed.as_slice())?;
                        batch.resealed += 1;
                    }
                    Err(fault) => {
                        tracing::warn!(%uuid, %fault, "record cannot be re-sealed: no key opens it");
                        batch.unreadable += 1;
                    }
                }
            }
        }
        if batch.resealed == 0 {
            txn.abort()?;
        } else {
            txn.commit()?;
            self.unchecked_since.get_or_insert_with(Instant::now);
        }
        Ok(batch)
    }

    /// The end of an erase: checks, on the state every later write builds on, that no record
    /// an older epoch's key opens is left, makes that state durable (checkpoint, journal
    /// emptied), and returns the older epochs, now free to destroy.
    fn settle(&mut self) -> Result<Vec<u64>, StoreError> {
        let current = self.keyring.current();
        let mut remaining = 0u64;
        {
            let read = self.db.begin_read()?;
            let objects = read.open_table(OBJECTS)?;
            for item in objects.iter()? {
                let (k, v) = item?;
                if envelope::epoch_of(v.value()) == Some(current) {
                    continue;
                }
                // One that no key opens is lost already; destroying keys cannot lose it.
                if envelope::unseal(&self.keyring, k.value(), v.value(), false).is_ok() {
                    remaining += 1;
                }
            }
        }
        if remaining > 0 {
            return Err(StoreError::EraseIncomplete { remaining });
        }
        self.checkpoint()?;
        Ok(self.keyring.older())
    }

    /// Applies a batch; failures are answered at once, successes by the syncer once durable.
    /// `Err` = the writer must stop.
    fn process(&mut self, batch: &mut Vec<Pending>) -> Result<(), String> {
        let group_size = batch.len();
        let ops: Vec<&[WriteOp]> = batch.iter().map(|p| p.ops.as_slice()).collect();
        match self.apply_group(&ops) {
            Ok((group, seqs)) => {
                self.counters.group(group_size);
                let acks = batch
                    .drain(..)
                    .zip(seqs)
                    .map(|(mut p, seqs)| {
                        p.signal_applied();
                        Ack {
                            reply: p.reply,
                            info: CommitInfo { seqs, group_size },
                        }
                    })
                    .collect();
                self.syncer.submit(group, self.own_seq, acks)
            }
            Err(GroupFailure::Apply(e)) if group_size > 1 => {
                // Retry one by one so a commit that cannot apply fails alone.
                tracing::warn!(error = %e, group_size, "group commit failed, retrying commits one by one");
                let mut fatal = None;
                for mut p in batch.drain(..) {
                    if let Some(reason) = &fatal {
                        let _ = p.reply.send(Err(StoreError::Commit {
                            reason: format!("store writer stopped: {reason}"),
                        }));
                        continue;
                    }
                    let res = match self.apply_group(&[p.ops.as_slice()]) {
                        Ok((group, mut s)) => {
                            p.signal_applied();
                            let ack = Ack {
                                reply: p.reply,
                                info: CommitInfo {
                                    seqs: s.pop().unwrap_or_default(),
                                    group_size: 1,
                                },
                            };
                            if let Err(reason) = self.syncer.submit(group, self.own_seq, vec![ack])
                            {
                                fatal = Some(reason);
                            }
                            continue;
                        }
                        Err(GroupFailure::Apply(e) | GroupFailure::NotDurable(e)) => Err(e),
                        Err(GroupFailure::Fatal(reason)) => {
                            let err = StoreError::Commit {
                                reason: reason.clone(),
                            };
                            fatal = Some(reason);
                            Err(err)
                        }
                    };
                    let _ = p.reply.send(res);
                }
                fatal.map_or(Ok(()), Err)
            }
            Err(GroupFailure::Apply(e) | GroupFailure::NotDurable(e)) => {
                let reason = e.to_string();
                let mut first = Some(e);
                for p in batch.drain(..) {
                    let e = first.take().unwrap_or_else(|| StoreError::Commit {
                        reason: reason.clone(),
                    });
                    let _ = p.reply.send(Err(e));
                }
                Ok(())
            }
            Err(GroupFailure::Fatal(reason)) => {
                for p in batch.drain(..) {
                    let _ = p.reply.send(Err(StoreError::Commit {
                        reason: reason.clone(),
                    }));
                }
                Err(reason)
            }
        }
    }

    /// Makes every applied write durable in redb itself and empties the journal. A failure
    /// leaves the journal as it is (still complete) and is retried after the interval.
    fn checkpoint(&mut self) -> Result<(), StoreError> {
        if self.unchecked_since.is_none() && self.journal.len() == 0 {
            return Ok(());
        }
        let began = Instant::now();
        // Answer what is pending first, so a failed sync is known before the journal goes.
        if let Err(reason) = self.syncer.drain() {
            tracing::error!(%reason, "no checkpoint: the journal could not be synced");
            return Err(StoreError::Commit { reason });
        }
        let committed = (|| -> Result<(), StoreError> {
            let mut txn = self.db.begin_write()?;
            txn.set_durability(Durability::Immediate)?;
            txn.set_quick_repair(self.options.quick_repair);
            txn.commit()?;
            Ok(())
        })();
        match committed {
            Ok(()) => {
                self.unchecked_since = None;
                // Frames left behind by a failed reset are at or below the applied group and
                // are skipped by the next open, so a failure here loses nothing.
                if let Err(e) = self.journal.reset() {
                    tracing::warn!(error = %e, "commit journal not emptied after checkpoint");
                }
                // The reset is part of the stall: no group is applied until it returns.
                self.counters.checkpoint(began.elapsed());
                Ok(())
            }
            Err(e) => {
                tracing::error!(error = %e, "store checkpoint failed; the journal keeps every write");
                self.unchecked_since = Some(Instant::now());
                Err(e)
            }
        }
    }

    /// One transaction for all `commits`, its frame written to the journal before it becomes
    /// visible; returns the group's number and the log seqs of each commit. It is durable once
    /// the syncer's next sync returns.
    fn apply_group(
        &mut self,
        commits: &[&[WriteOp]],
    ) -> Result<(u64, Vec<Vec<u64>>), GroupFailure> {
        self.apply_group_with(commits, None)
    }

    /// [`Writer::apply_group`] with an epoch change after the commits' writes.
    fn apply_group_with(
        &mut self,
        commits: &[&[WriteOp]],
        change: Option<&EpochChange>,
    ) -> Result<(u64, Vec<Vec<u64>>), GroupFailure> {
        let mut txn = self.db.begin_write()?;
        // Durable through the journal; redb writes its pages at the next checkpoint.
        txn.set_durability(Durability::None)?;
        let id = self.next_group;
        let mut writes = Vec::new();
        let applied = self
            .apply_in(&txn, commits, change, id, &mut writes)
            .and_then(|out| {
                Ok((
                    out,
                    journal::encode_frame(&JournalGroup::V2 {
                        id,
                        durable: self.syncer.durable_through(),
                        writes,
                    })?,
                ))
            });
        let ((out, erase_due), frame) = match applied {
            Ok(v) => v,
            Err(e) => {
                let _ = txn.abort();
                return Err(GroupFailure::Apply(e));
            }
        };
        match self.journal.write(&frame) {
            Ok(()) => {}
            Err(JournalAppendError::NotWritten(source)) => {
                let _ = txn.abort();
                return Err(GroupFailure::NotDurable(StoreError::Io {
                    what: "commit journal write",
                    source,
                }));
            }
            Err(JournalAppendError::Unusable(reason)) => {
                let _ = txn.abort();
                return Err(GroupFailure::Fatal(reason));
            }
        }
        self.next_group += 1;
        let committed = txn.commit();
        // Before the syncer can acknowledge the group, whether or not redb took it.
        // No allocation per op: every Create passes here.
        self.cache.invalidate(commits.iter().flat_map(|ops| {
            ops.iter().flat_map(|op| {
                let (one, many): (Option<&ObjectRecord>, &[ObjectRecord]) = match op {
                    WriteOp::PutObject(rec) => (Some(rec), &[]),
                    WriteOp::Replicated(r) => (None, &r.records),
                    WriteOp::Snapshot { records, .. } => (None, records),
                    WriteOp::PutWrappedKek { .. } | WriteOp::TruncateLogs { .. } => (None, &[]),
                };
                one.into_iter().chain(many).map(|r| r.uuid.as_str())
            })
        }));
        if let Err(e) = committed {
            // Journaled but not applied: answering would let readers miss a durable write,
            // and applying it later is what the replay at the next open does.
            return Err(GroupFailure::Fatal(format!(
                "group {id} is in the commit journal but redb refused it ({e}); restart to replay it"
            )));
        }
        // Later groups are sealed under a new epoch, and a forgotten one's key goes; readers
        // get the same keyring (a record under the new epoch exists only from later groups on).
        // Before the syncer can acknowledge it: a change answered as done is one the schedule
        // knows must be erased. Whatever was changed so far is under older epochs once one
        // begins (an epoch change is a group of its own).
        if erase_due {
            self.erase_due.store(true, Ordering::Release);
        }
        match change {
            Some(EpochChange::Begin { epoch, key, .. }) => {
                self.erase_due.store(false, Ordering::Release);
                self.keyring = Arc::new(self.keyring.with_current(*epoch, Arc::clone(key)));
                self.keys.set(Arc::clone(&self.keyring));
            }
            Some(EpochChange::Forget { epochs }) => {
                self.keyring = Arc::new(self.keyring.without(epochs));
                self.keys.set(Arc::clone(&self.keyring));
            }
            None => {}
        }
        self.unchecked_since.get_or_insert_with(Instant::now);
        if let Some(top) = out.iter().flatten().max() {
            self.own_seq = self.own_seq.max(*top);
        }
        Ok((id, out))
    }

    fn apply_in(
        &self,
        txn: &WriteTransaction,
        commits: &[&[WriteOp]],
        change: Option<&EpochChange>,
        group: u64,
        journal: &mut Vec<JournalWrite>,
    ) -> Result<(Vec<Vec<u64>>, bool), StoreError> {
        let mut t = Tables::open(txn)?;
        let mut seq = t.vv.get(self.node.0)?.map_or(0, |v| v.value());
        let start_seq = seq;
        let mut out = Vec::new();
        for ops in commits {
            let mut seqs = Vec::new();
            for op in *ops {
                match op {
                    WriteOp::PutObject(rec) => {
                        seq += 1;
                        journal.push(self.put_object(&mut t, rec, seq)?);
                        seqs.push(seq);
                    }
                    WriteOp::PutWrappedKek { domain, blob } => {
                        t.keks.insert(domain.as_str(), blob.as_slice())?;
                        journal.push(JournalWrite::WrappedKek {
                            domain: domain.clone(),
                            blob: blob.clone(),
                        });
                    }
                    WriteOp::Replicated(r) => self.put_replicated(&mut t, r, journal)?,
                    WriteOp::Snapshot { records, done } => {
                        for rec in records {
                            self.merge_record(&mut t, rec, journal)?;
                        }
                        if let Some(vector) = done {
                            let write = JournalWrite::AdoptVector {
                                vector: vector.clone(),
                            };
                            apply_log_write(&mut t, &write)?;
                            journal.push(write);
                        }
                    }
                    WriteOp::TruncateLogs { below } => {
                        let write = JournalWrite::TruncateLogs {
                            below: below.clone(),
                        };
                        apply_log_write(&mut t, &write)?;
                        journal.push(write);
                    }
                }
            }
            out.push(seqs);
        }
        if let Some(change) = change {
            let write = match change {
                EpochChange::Begin { epoch, wrapped, .. } => JournalWrite::StorageEpoch {
                    epoch: *epoch,
                    wrapped: wrapped.clone(),
                    started: unix_now(),
                },
                EpochChange::Forget { epochs } => JournalWrite::ForgetEpochs {
                    epochs: epochs.clone(),
                    completed: unix_now(),
                },
            };
            apply_epoch_write(&mut t, &write)?;
            journal.push(write);
        }
        finish_group(&mut t, self.node, seq, start_seq, group)?;
        Ok((out, t.erase_pending))
    }

    /// Merges a peer's records into the stored ones and appends the entries this node lacks
    /// to its copy of the origin's log; pushes what the journal keeps.
    fn put_replicated(
        &self,
        t: &mut Tables<'_>,
        r: &ReplicatedEntries,
        journal: &mut Vec<JournalWrite>,
    ) -> Result<(), StoreError> {
        if r.origin == self.node {
            return Err(StoreError::Invalid {
                field: "origin",
                reason: "this node's own log is written only by its own writes".into(),
            });
        }
        let have = t.vv.get(r.origin.0)?.map_or(0, |v| v.value());
        if r.first_seq > have + 1 {
            return Err(StoreError::Invalid {
                field: "first_seq",
                reason: format!(
                    "entries of {} start at {}, this node holds them through {have}",
                    r.origin, r.first_seq
                ),
            });
        }
        for theirs in &r.records {
            self.merge_record(t, theirs, journal)?;
        }
        let skip = usize::try_from(have + 1 - r.first_seq).unwrap_or(usize::MAX);
        let fresh: Vec<(Stamp, String)> = r.entries.iter().skip(skip).cloned().collect();
        if !fresh.is_empty() {
            let write = JournalWrite::RemoteLog {
                origin: r.origin,
                first_seq: have + 1,
                entries: fresh,
            };
            apply_remote_log(t, &write)?;
            journal.push(write);
        }
        Ok(())
    }

    /// Merges a peer's record into the stored one (the CRDT join) and writes the result if it
    /// changed anything.
    fn merge_record(
        &self,
        t: &mut Tables<'_>,
        theirs: &ObjectRecord,
        journal: &mut Vec<JournalWrite>,
    ) -> Result<(), StoreError> {
        self.clock.observe(theirs.updated);
        let old = load(t, &theirs.uuid, &self.keyring, false)?;
        let mut merged = match &old {
            Some(o) => o.merge(theirs)?,
            None => theirs.canonical(),
        };
        if let Some(indexer) = &self.options.indexer {
            merged.index = indexer.terms(&merged);
        }
        if old.as_ref() == Some(&merged) {
            return Ok(());
        }
        check_created_unique(t, old.as_ref(), &merged)?;
        for conflict in conflicts_found(t, old.as_ref(), theirs, &merged, &self.clock)? {
            let write = JournalWrite::Conflict {
                key: conflict.key(),
                value: conflict.encode()?,
            };
            apply_conflict(t, &write)?;
            journal.push(write);
        }
        let record = envelope::seal_current(
            &self.keyring,
            &merged.uuid,
            &Record::encode_current(&merged)?,
        )?;
        write_object_rows(t, old.as_ref(), &merged, &record)?;
        journal.push(JournalWrite::MergedObject {
            uuid: merged.uuid.clone(),
            record,
        });
        Ok(())
    }

    /// Resolves a local write against the stored object and applies it; returns it as the
    /// journal keeps it.
    fn put_object(
        &self,
        t: &mut Tables<'_>,
        rec: &ObjectRecord,
        seq: u64,
    ) -> Result<JournalWrite, StoreError> {
        self.clock.observe(rec.updated);
        let old = load(t, &rec.uuid, &self.keyring, false)?;
        // A new object is stored as given; only an update is merged, so only it is copied.
        let rec = match &old {
            None => std::borrow::Cow::Borrowed(rec),
            Some(o) => {
                let mut rec = rec.clone();
                // Lifecycle facts are grow-only: a write built from a stale read (or a buggy
                // caller) must not drop a compromise or a destroy. The same join merges replicas.
                rec.lifecycle.merge(&o.lifecycle);
                if o.lifecycle.destroyed.is_some() {
                    // A destroyed object's material never comes back.
                    rec.material = None;
                }
                std::borrow::Cow::Owned(rec)
            }
        };
        check_created_unique(t, old.as_ref(), &rec)?;
        let stamp = self.clock.now();
        let record =
            envelope::seal_current(&self.keyring, &rec.uuid, &Record::encode_current(&rec)?)?;
        write_object(t, old.as_ref(), &rec, &record, self.node, seq, stamp)?;
        Ok(JournalWrite::SealedObject {
            seq,
            stamp,
            uuid: rec.uuid.clone(),
            record,
        })
    }
}

/// The current record stored under `uuid`, authenticated.
fn load(
    t: &Tables<'_>,
    uuid: &str,
    keys: &Keyring,
    plain_allowed: bool,
) -> Result<Option<ObjectRecord>, StoreError> {
    match t.objects.get(uuid)? {
        Some(v) => Ok(Some(envelope::open(keys, uuid, v.value(), plain_allowed)?)),
        None => Ok(None),
    }
}

/// Applies a storage epoch write to the tables (live and in the replay).
fn apply_epoch_write(t: &mut Tables<'_>, write: &JournalWrite) -> Result<(), StoreError> {
    match write {
        JournalWrite::StorageEpoch {
            epoch,
            wrapped,
            started,
        } => {
            t.epochs.insert(*epoch, wrapped.as_slice())?;
            t.meta.insert(META_EPOCH, &epoch.to_be_bytes()[..])?;
            t.meta
                .insert(META_EPOCH_SINCE, &started.to_be_bytes()[..])?;
            // The plain flag of earlier versions: anyone who can write the file could clear
            // it, so it is no longer read, and goes with the epoch it described.
            t.meta.remove(META_ERASE_PENDING)?;
            t.erase_pending = false;
        }
        JournalWrite::ForgetEpochs { epochs, completed } => {
            for e in epochs {
                t.epochs.remove(*e)?;
            }
            t.meta
                .insert(META_LAST_ERASE, &completed.to_be_bytes()[..])?;
        }
        JournalWrite::Object { .. }
        | JournalWrite::SealedObject { .. }
        | JournalWrite::WrappedKek { .. }
        | JournalWrite::MergedObject { .. }
        | JournalWrite::RemoteLog { .. }
        | JournalWrite::AdoptVector { .. }
        | JournalWrite::TruncateLogs { .. }
        | JournalWrite::Conflict { .. } => {}
    }
    Ok(())
}

/// Seals every plain record (a database of table format 2, at its first unlock) under the
/// current epoch; returns how many.
pub(crate) fn seal_plain_records(
    txn: &WriteTransaction,
    keys: &Keyring,
) -> Result<u64, StoreError> {
    let mut objects = txn.open_table(OBJECTS)?;
    let mut sealed = Vec::new();
    for item in objects.iter()? {
        let (k, v) = item?;
        if envelope::epoch_of(v.value()).is_some() {
            continue;
        }
        let uuid = k.value();
        let plain = envelope::unseal(keys, uuid, v.value(), true).map_err(|fault| {
            StoreError::RecordRejected {
                uuid: uuid.to_string(),
                fault,
            }
        })?;
        // Decoded once to refuse a record stored under another object's key.
        envelope::open(keys, uuid, &plain, true)?;
        sealed.push((
            uuid.to_string(),
            envelope::seal_current(keys, uuid, &plain)?,
        ));
    }
    for (uuid, bytes) in &sealed {
        objects.insert(uuid.as_str(), bytes.as_slice())?;
    }
    Ok(sealed.len() as u64)
}

/// Whether writing `new` over `old` is a change that an older sealed copy of the record,
/// written back into the file, would undo to an attacker's profit: material taken away, a
/// deactivation, compromise or destroy, a new owner or domain. Every older copy stays readable
/// until the next erase destroys its epoch's key, so such a change makes an erase due. An
/// activation is not one (undoing it only makes the key unusable), nor is a new object (there
/// is no older copy).
fn undone_by_an_older_copy(old: &ObjectRecord, new: &ObjectRecord) -> bool {
    let (a, b) = (&old.lifecycle, &new.lifecycle);
    (old.material.is_some() && new.material.is_none())
        || a.deactivated != b.deactivated
        || a.compromised != b.compromised
        || a.destroyed != b.destroyed
        || old.owner != new.owner
        || old.domain != new.domain
}

/// Stores a resolved record `rec` (encoded as `record`) over `old`: index entries, term
/// counts, the object row and its log entry `(node, seq)` at `stamp`.
fn write_object(
    t: &mut Tables<'_>,
    old: Option<&ObjectRecord>,
    rec: &ObjectRecord,
    record: &[u8],
    node: NodeId,
    seq: u64,
    stamp: Stamp,
) -> Result<(), StoreError> {
    write_object_rows(t, old, rec, record)?;
    let entry = StoredLogEntry::V1 {
        stamp,
        op: LogOp::PutObject {
            uuid: rec.uuid.clone(),
        },
    };
    t.log.insert((node.0, seq), entry.encode()?.as_slice())?;
    Ok(())
}

/// The created stamp names the object inside every index, so it must be unique.
fn check_created_unique(
    t: &Tables<'_>,
    old: Option<&ObjectRecord>,
    rec: &ObjectRecord,
) -> Result<(), StoreError> {
    if old.is_none_or(|o| o.created != rec.created)
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
    Ok(())
}

/// Appends a [`JournalWrite::RemoteLog`]'s entries to the origin's log and raises its vector
/// entry (live and in the replay).
fn apply_remote_log(t: &mut Tables<'_>, write: &JournalWrite) -> Result<(), StoreError> {
    let JournalWrite::RemoteLog {
        origin,
        first_seq,
        entries,
    } = write
    else {
        return Ok(());
    };
    let mut seq = *first_seq;
    for (stamp, uuid) in entries {
        let entry = StoredLogEntry::V1 {
            stamp: *stamp,
            op: LogOp::PutObject { uuid: uuid.clone() },
        };
        t.log.insert((origin.0, seq), entry.encode()?.as_slice())?;
        seq += 1;
    }
    let last = seq - 1;
    if t.vv.get(origin.0)?.is_none_or(|v| v.value() < last) {
        t.vv.insert(origin.0, last)?;
    }
    Ok(())
}

/// What merging `theirs` into `old` (giving `merged`) reveals that two nodes did without
/// seeing each other's change.
fn conflicts_found(
    t: &Tables<'_>,
    old: Option<&ObjectRecord>,
    theirs: &ObjectRecord,
    merged: &ObjectRecord,
    clock: &HlcClock,
) -> Result<Vec<Conflict>, StoreError> {
    let mut out = Vec::new();
    // A compromise on one side and a destroy on the other, each side lacking the other's fact:
    // concurrent (a node that destroyed after seeing the compromise ships both).
    if let Some(o) = old {
        let (a, b) = (&o.lifecycle, &theirs.lifecycle);
        let race = match (
            (a.compromised.as_ref(), a.destroyed.as_ref()),
            (b.compromised.as_ref(), b.destroyed.as_ref()),
        ) {
            ((Some(c), None), (None, Some(d))) | ((None, Some(d)), (Some(c), None)) => {
                (c.stamp.node != d.stamp.node).then_some((c.stamp.node, d.stamp.node))
            }
            _ => None,
        };
        if let Some((compromised_by, destroyed_by)) = race {
            out.push(Conflict {
                uuid: merged.uuid.clone(),
                kind: ConflictKind::CompromiseDestroyRace {
                    compromised_by,
                    destroyed_by,
                },
                detected: clock.now(),
            });
        }
    }
    // A name this node did not know the object by, already carried by another object.
    for name in &merged.index.names {
        if old.is_some_and(|o| o.index.names.contains(name)) {
            continue;
        }
        let prefix = index::prefix(index::KIND_NAME, name.as_bytes());
        for item in t.index.range(prefix.as_slice()..)? {
            let (k, _) = item?;
            let Some(created) = k.value().strip_prefix(prefix.as_slice()) else {
                break;
            };
            if created == merged.created.to_be_bytes().as_slice() {
                continue;
            }
            let mut all = index::prefix(index::KIND_ALL, &[]);
            all.extend_from_slice(created);
            let other = t
                .index
                .get(all.as_slice())?
                .and_then(|v| index::decode_all_value(v.value()).map(|(_, u)| u.to_string()))
                .unwrap_or_default();
            out.push(Conflict {
                uuid: merged.uuid.clone(),
                kind: ConflictKind::DuplicateName {
                    name: name.clone(),
                    other,
                },
                detected: clock.now(),
            });
            break;
        }
    }
    Ok(out)
}

/// Records a conflict, unless one of the same key is recorded already (live and in the replay).
fn apply_conflict(t: &mut Tables<'_>, write: &JournalWrite) -> Result<(), StoreError> {
    if let JournalWrite::Conflict { key, value } = write {
        let table = t.conflicts()?;
        if table.get(key.as_slice())?.is_none() {
            table.insert(key.as_slice(), value.as_slice())?;
        }
    }
    Ok(())
}

/// Applies a snapshot's vector or a truncation to the logs (live and in the replay).
fn apply_log_write(t: &mut Tables<'_>, write: &JournalWrite) -> Result<(), StoreError> {
    match write {
        JournalWrite::AdoptVector { vector } => {
            for (origin, seq) in vector {
                let have = t.vv.get(origin.0)?.map_or(0, |v| v.value());
                if *seq > have {
                    // The snapshot's records hold what these entries described; an entry left
                    // below the new top would claim a place in a log with a hole.
                    t.log
                        .retain_in((origin.0, 0)..=(origin.0, *seq), |_, _| false)?;
                    t.vv.insert(origin.0, *seq)?;
                }
            }
        }
        JournalWrite::TruncateLogs { below } => {
            for (origin, seq) in below {
                let have = t.vv.get(origin.0)?.map_or(0, |v| v.value());
                let cut = (*seq).min(have);
                if cut > 0 {
                    t.log
                        .retain_in((origin.0, 0)..=(origin.0, cut), |_, _| false)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Stores a resolved record `rec` (encoded as `record`) over `old`: index entries, term
/// counts and the object row, without a log entry.
fn write_object_rows(
    t: &mut Tables<'_>,
    old: Option<&ObjectRecord>,
    rec: &ObjectRecord,
    record: &[u8],
) -> Result<(), StoreError> {
    if old.is_some_and(|o| undone_by_an_older_copy(o, rec)) {
        t.erase_pending = true;
    }
    let old_entries = old.map(index::entries).unwrap_or_default();
    let new_entries = index::entries(rec);
    for (key, e) in &old_entries {
        if !new_entries.contains_key(key) {
            t.index.remove(key.as_slice())?;
            note_count(&mut t.count_deltas, &key[..e.prefix_len], -1);
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
                note_count(&mut t.count_deltas, &key[..e.prefix_len], 1);
            }
        }
    }
    t.objects.insert(rec.uuid.as_str(), record)?;
    Ok(())
}

/// End of a group's transaction: term counts, this node's version vector entry, and the
/// number of the last group applied (what a replay after a crash starts from).
fn finish_group(
    t: &mut Tables<'_>,
    node: NodeId,
    seq: u64,
    start_seq: u64,
    group: u64,
) -> Result<(), StoreError> {
    for (prefix, delta) in std::mem::take(&mut t.count_deltas) {
        apply_count_delta(&mut t.counts, &prefix, delta)?;
    }
    if seq != start_seq {
        t.vv.insert(node.0, seq)?;
    }
    t.meta
        .insert(META_JOURNAL_APPLIED, &group.to_be_bytes()[..])?;
    Ok(())
}

/// Re-applies journaled groups (those newer than redb's last applied group) after a crash,
/// with the same stored bytes; returns how many writes it replayed. The caller commits
/// durably. Plain records (written before storage epochs) are taken only with
/// `plain_allowed`, in a database of table format 2 that the same transaction seals.
pub(crate) fn replay(
    txn: &WriteTransaction,
    node: NodeId,
    clock: &HlcClock,
    groups: &[JournalGroup],
    keys: &Keyring,
    plain_allowed: bool,
) -> Result<usize, StoreError> {
    let mut t = Tables::open(txn)?;
    let start_seq = t.vv.get(node.0)?.map_or(0, |v| v.value());
    let mut seq = start_seq;
    let mut replayed = 0;
    for group in groups {
        for w in group.writes() {
            match w {
                JournalWrite::SealedObject {
                    seq: s,
                    stamp,
                    uuid,
                    record,
                } => {
                    let rec = envelope::open(keys, uuid, record, plain_allowed)?;
                    let old = load(&t, uuid, keys, plain_allowed)?;
                    clock.observe(*stamp);
                    write_object(&mut t, old.as_ref(), &rec, record, node, *s, *stamp)?;
                    seq = seq.max(*s);
                }
                JournalWrite::Object {
                    seq: s,
                    stamp,
                    record,
                } => {
                    let rec = Record::decode(record)?.into_current();
                    if !plain_allowed {
                        return Err(StoreError::RecordRejected {
                            uuid: rec.uuid,
                            fault: RecordFault::NotSealed,
                        });
                    }
                    let old = load(&t, &rec.uuid, keys, plain_allowed)?;
                    clock.observe(*stamp);
                    write_object(&mut t, old.as_ref(), &rec, record, node, *s, *stamp)?;
                    seq = seq.max(*s);
                }
                JournalWrite::WrappedKek { domain, blob } => {
                    t.keks.insert(domain.as_str(), blob.as_slice())?;
                }
                JournalWrite::StorageEpoch { .. } | JournalWrite::ForgetEpochs { .. } => {
                    apply_epoch_write(&mut t, w)?;
                }
                JournalWrite::MergedObject { uuid, record } => {
                    let rec = envelope::open(keys, uuid, record, plain_allowed)?;
                    let old = load(&t, uuid, keys, plain_allowed)?;
                    clock.observe(rec.updated);
                    write_object_rows(&mut t, old.as_ref(), &rec, record)?;
                }
                JournalWrite::RemoteLog { .. } => apply_remote_log(&mut t, w)?,
                JournalWrite::Conflict { .. } => apply_conflict(&mut t, w)?,
                JournalWrite::AdoptVector { .. } | JournalWrite::TruncateLogs { .. } => {
                    apply_log_write(&mut t, w)?;
                }
            }
            replayed += 1;
        }
        finish_group(&mut t, node, seq, start_seq, group.id())?;
    }
    Ok(replayed)
}

fn note_count(deltas: &mut BTreeMap<Vec<u8>, i64>, prefix: &[u8], delta: i64) {
    match deltas.get_mut(prefix) {
        Some(d) => *d += delta,
        None => {
            deltas.insert(prefix.to_vec(), delta);
        }
    }
}

fn apply_count_delta(
    counts: &mut Table<'_, &'static [u8], u64>,
    prefix: &[u8],
    delta: i64,
) -> Result<(), StoreError> {
    if delta == 0 {
        return Ok(());
    }
    let current = counts.get(prefix)?.map_or(0, |v| v.value());
    let next = current.saturating_add_signed(delta);
    if next == 0 {
        counts.remove(prefix)?;
    } else {
        counts.insert(prefix, next)?;
    }
    Ok(())
}
