//! The writer thread: gives every entry its sequence number and chain hash, writes each batch
//! with one write, syncs when a durable entry or the batching interval asks for it, signs
//! checkpoints, and rotates segments.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::AuditOptions;
use crate::chain::ChainHash;
use crate::entry::{AuditEntry, Timestamp};
use crate::error::AuditError;
use crate::files;
use crate::format::{self, BodyRef, Checkpoint, CheckpointKind, HEADER_LEN, SegmentHeader};
use crate::queue::{Counters, Handoff, INITIAL_BATCH, Taken};
use crate::signer::{KeyId, Signer};

/// Bytes gathered before a write is issued even in the middle of a batch, so one write never
/// needs an unbounded buffer.
const WRITE_CHUNK: usize = 1 << 20;

/// The segment being appended to.
pub(crate) struct OpenSegment {
    /// Its number.
    pub number: u64,
    /// Its path.
    pub path: PathBuf,
    /// The file, open for writing.
    pub file: File,
    /// Bytes in it.
    pub len: u64,
}

/// Where the chain stands when the writer starts.
pub(crate) struct ChainTip {
    /// Sequence number of the last entry (0 if none).
    pub seq: u64,
    /// Hash of the last record.
    pub prev: ChainHash,
    /// Entries after the last checkpoint.
    pub since_checkpoint: u64,
}

fn io_error(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> AuditError {
    let path = path.to_path_buf();
    move |source| AuditError::Io { what, path, source }
}

fn encode_error(e: format::EncodeError) -> AuditError {
    AuditError::Failed {
        reason: e.to_string(),
    }
}

/// A checkpoint over the chain as it stands, signed.
fn signed_checkpoint(
    signer: &dyn Signer,
    key_id: KeyId,
    segment: u64,
    seq: u64,
    hash: ChainHash,
    kind: CheckpointKind,
) -> Result<Checkpoint, AuditError> {
    let mut cp = Checkpoint {
        segment,
        seq,
        hash,
        time: Timestamp::now(),
        kind,
        key_id,
        signature: Vec::new(),
    };
    cp.signature = signer.sign(&cp.signed_message())?.into_bytes();
    Ok(cp)
}

/// Creates segment `number` holding its header and opening checkpoint, durably (file and
/// directory synced); returns it with the opening checkpoint's hash.
pub(crate) fn create_segment(
    dir: &Path,
    number: u64,
    tip: &ChainTip,
    signer: &dyn Signer,
    key_id: KeyId,
) -> Result<(OpenSegment, ChainHash), AuditError> {
    let header = SegmentHeader {
        number,
        prev: tip.prev,
    };
    let cp = signed_checkpoint(
        signer,
        key_id,
        number,
        tip.seq,
        tip.prev,
        CheckpointKind::SegmentStart,
    )?;
    let mut bytes = Vec::with_capacity(HEADER_LEN + 256);
    bytes.extend_from_slice(&header.encode());
    let hash = format::append_record(&mut bytes, &tip.prev, &BodyRef::Checkpoint(&cp))
        .map_err(encode_error)?;
    let name = files::segment_name(number);
    let path = dir.join(&name);
    let file = files::create_whole(dir, &name, &bytes).map_err(io_error("segment", &path))?;
    Ok((
        OpenSegment {
            number,
            path,
            file,
            len: bytes.len() as u64,
        },
        hash,
    ))
}

/// The writer's state; it lives on the writer thread once [`Writer::spawn`] ran.
pub(crate) struct Writer {
    handoff: Arc<Handoff>,
    signer: Box<dyn Signer>,
    key_id: KeyId,
    options: AuditOptions,
    dir: PathBuf,
    segment: OpenSegment,
    seq: u64,
    prev: ChainHash,
    since_checkpoint: u64,
    /// When the first entry after the last checkpoint was queued.
    uncovered_since: Option<Instant>,
    /// When the oldest written but unsynced record was queued or made.
    unsynced_since: Option<Instant>,
    /// Bytes written since the last sync.
    dirty: bool,
    /// Ticket of the last entry written.
    written_ticket: u64,
    buf: Vec<u8>,
}

/// Fails the hand-off if the writer thread ends without finishing, even by a panic, so no
/// durable append waits forever.
struct StopGuard {
    handoff: Arc<Handoff>,
    finished: bool,
}

impl Drop for StopGuard {
    fn drop(&mut self) {
        if !self.finished {
            self.handoff
                .fail("the audit writer thread stopped unexpectedly".to_string());
        }
    }
}

impl Writer {
    /// A writer that appends to `segment` after `tip`.
    pub fn new(
        handoff: Arc<Handoff>,
        signer: Box<dyn Signer>,
        options: AuditOptions,
        dir: PathBuf,
        segment: OpenSegment,
        tip: ChainTip,
    ) -> Writer {
        let key_id = signer.public_key().key_id();
        Counters::set(&handoff.counters.segment, segment.number);
        Counters::set(&handoff.counters.last_seq, tip.seq);
        Counters::set(&handoff.counters.synced_seq, tip.seq);
        Writer {
            handoff,
            signer,
            key_id,
            options,
            dir,
            segment,
            seq: tip.seq,
            prev: tip.prev,
            since_checkpoint: tip.since_checkpoint,
            uncovered_since: (tip.since_checkpoint > 0).then(Instant::now),
            unsynced_since: None,
            dirty: false,
            written_ticket: 0,
            buf: Vec::with_capacity(64 * 1024),
        }
    }

    /// Writes a checkpoint of `kind` now and syncs it (used by open, before any append).
    pub fn checkpoint_now(&mut self, kind: CheckpointKind) -> Result<(), AuditError> {
        self.encode_checkpoint(kind)?;
        self.flush()?;
        self.sync()
    }

    /// Starts a new segment if the current one is full.
    pub fn rotate_if_full(&mut self) -> Result<(), AuditError> {
        if self.segment.len >= self.options.segment_bytes {
            self.rotate()?;
        }
        Ok(())
    }

    /// Runs the writer on its own thread.
    pub fn spawn(self) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new()
            .name("audit-writer".to_string())
            .spawn(move || self.run())
    }

    fn run(mut self) {
        let mut guard = StopGuard {
            handoff: Arc::clone(&self.handoff),
            finished: false,
        };
        let mut batch: Vec<AuditEntry> =
            Vec::with_capacity(self.options.queue_capacity.min(INITIAL_BATCH));
        loop {
            let taken = self.handoff.take(&mut batch, self.next_deadline());
            let mut done = self.step(&mut batch, &taken).map(|()| false);
            if matches!(done, Ok(false)) && taken.closing && taken.count == 0 {
                done = self.finish().map(|()| true);
            }
            match done {
                Ok(false) => {}
                Ok(true) => {
                    guard.finished = true;
                    return;
                }
                Err(e) => {
                    let reason = e.to_string();
                    tracing::error!(%reason, "audit log stopped: no further entry can be made durable");
                    self.handoff.fail(reason);
                    guard.finished = true;
                    return;
                }
            }
        }
    }

    /// When the writer must wake up with nothing queued: to sync batched entries in time, or
    /// to checkpoint entries in time.
    fn next_deadline(&self) -> Option<Instant> {
        let sync_at = self
            .unsynced_since
            .and_then(|t| t.checked_add(self.options.sync_interval));
        let checkpoint_at = (self.since_checkpoint > 0)
            .then_some(self.uncovered_since)
            .flatten()
            .and_then(|t| t.checked_add(self.options.checkpoint_interval));
        match (sync_at, checkpoint_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn step(&mut self, batch: &mut Vec<AuditEntry>, taken: &Taken) -> Result<(), AuditError> {
        let now = Instant::now();
        if taken.count > 0 {
            let queued_at = taken.first_at.unwrap_or(now);
            for entry in batch.drain(..) {
                self.encode_entry(&entry)?;
                self.uncovered_since.get_or_insert(queued_at);
                if self.since_checkpoint >= self.options.checkpoint_entries {
                    self.encode_checkpoint(CheckpointKind::Periodic)?;
                }
                if self.buf.len() >= WRITE_CHUNK {
                    self.flush()?;
                }
            }
            self.written_ticket = taken.last_ticket;
            self.unsynced_since.get_or_insert(queued_at);
        }
        if self.since_checkpoint > 0
            && self.uncovered_since.is_some_and(|t| {
                now.saturating_duration_since(t) >= self.options.checkpoint_interval
            })
        {
            self.encode_checkpoint(CheckpointKind::Periodic)?;
            self.unsynced_since.get_or_insert(now);
        }
        self.flush()?;
        let sync_due = self
            .unsynced_since
            .is_some_and(|t| now.saturating_duration_since(t) >= self.options.sync_interval);
        if taken.any_durable || sync_due {
            self.sync()?;
        }
        self.rotate_if_full()
    }

    fn encode_entry(&mut self, entry: &AuditEntry) -> Result<(), AuditError> {
        let seq = self.seq + 1;
        let hash = format::append_record(&mut self.buf, &self.prev, &BodyRef::Entry { seq, entry })
            .map_err(encode_error)?;
        self.seq = seq;
        self.prev = hash;
        self.since_checkpoint += 1;
        Ok(())
    }

    fn encode_checkpoint(&mut self, kind: CheckpointKind) -> Result<(), AuditError> {
        let cp = signed_checkpoint(
            &*self.signer,
            self.key_id,
            self.segment.number,
            self.seq,
            self.prev,
            kind,
        )?;
        self.prev = format::append_record(&mut self.buf, &self.prev, &BodyRef::Checkpoint(&cp))
            .map_err(encode_error)?;
        self.since_checkpoint = 0;
        self.uncovered_since = None;
        Counters::bump(&self.handoff.counters.checkpoints);
        Ok(())
    }

    /// Writes the gathered records at the end of the segment.
    fn flush(&mut self) -> Result<(), AuditError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        // A failed write may leave part of the records in the file; the writer stops, and the
        // next open cuts that torn tail off.
        self.segment
            .file
            .write_all_at(&self.buf, self.segment.len)
            .map_err(io_error("segment write", &self.segment.path))?;
        self.segment.len += self.buf.len() as u64;
        self.buf.clear();
        self.dirty = true;
        Counters::bump(&self.handoff.counters.writes);
        Counters::set(&self.handoff.counters.last_seq, self.seq);
        Ok(())
    }

    /// Makes everything written durable and answers the durable appends it covers. A failed
    /// sync is fatal: the kernel may have dropped the dirty pages, so nothing written since the
    /// last good sync can be called durable, now or later.
    fn sync(&mut self) -> Result<(), AuditError> {
        if self.dirty {
            self.segment
                .file
                .sync_data()
                .map_err(io_error("segment sync", &self.segment.path))?;
            self.dirty = false;
            Counters::bump(&self.handoff.counters.syncs);
        }
        self.unsynced_since = None;
        Counters::set(&self.handoff.counters.synced_seq, self.seq);
        self.handoff.mark_synced(self.written_ticket);
        Ok(())
    }

    /// Closes the full segment and opens the next, whose opening checkpoint covers the end of
    /// this one. The old segment is synced first, so a newer segment exists only after the
    /// older one is whole on disk.
    fn rotate(&mut self) -> Result<(), AuditError> {
        self.sync()?;
        let tip = ChainTip {
            seq: self.seq,
            prev: self.prev,
            since_checkpoint: self.since_checkpoint,
        };
        let (segment, hash) = create_segment(
            &self.dir,
            self.segment.number + 1,
            &tip,
            &*self.signer,
            self.key_id,
        )?;
        self.segment = segment;
        self.prev = hash;
        self.since_checkpoint = 0;
        self.uncovered_since = None;
        Counters::bump(&self.handoff.counters.checkpoints);
        Counters::set(&self.handoff.counters.segment, self.segment.number);
        Ok(())
    }

    /// The clean end: a closing checkpoint, synced.
    fn finish(&mut self) -> Result<(), AuditError> {
        self.checkpoint_now(CheckpointKind::Close)
    }
}
