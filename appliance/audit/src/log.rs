//! [`AuditLog`]: opening (and resuming) a log, appending, closing.

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::chain::ChainHash;
use crate::entry::AuditEntry;
use crate::error::{AuditError, Breakage, Problem};
use crate::files;
use crate::format::{CheckpointKind, MAX_SEGMENT_FILE};
use crate::keyfile::{self, KeyFileError};
use crate::queue::Handoff;
use crate::scan::{self, SegmentBytes, Start};
use crate::signer::{PublicKey, Signer};
use crate::writer::{self, ChainTip, OpenSegment, Writer};

/// Smallest segment size accepted.
const MIN_SEGMENT_BYTES: u64 = 1024;
/// Largest segment size accepted: a segment may pass it by one write, and readers refuse
/// files over [`MAX_SEGMENT_FILE`].
const MAX_SEGMENT_BYTES: u64 = MAX_SEGMENT_FILE / 2;
/// Longest interval accepted for syncs and checkpoints.
const MAX_INTERVAL: Duration = Duration::from_secs(24 * 3600);
/// Largest queue accepted.
const MAX_QUEUE: usize = 1 << 20;

/// How an audit log is written.
#[derive(Clone, Debug)]
pub struct AuditOptions {
    /// A segment is closed and the next one started once it holds this many bytes.
    pub segment_bytes: u64,
    /// Longest time a batched entry stays written but unsynced.
    pub sync_interval: Duration,
    /// A checkpoint is written after this many entries…
    pub checkpoint_entries: u64,
    /// …or this long after the first entry it would cover, whichever comes first.
    pub checkpoint_interval: Duration,
    /// Entries queued for the writer at most; appends wait for room beyond it.
    pub queue_capacity: usize,
    /// Longest time a batched entry waits in the queue before it is written (durable entries
    /// never wait): one write then serves many reads. At most `sync_interval`.
    pub write_delay: Duration,
}

impl Default for AuditOptions {
    fn default() -> AuditOptions {
        AuditOptions {
            segment_bytes: 64 << 20,
            sync_interval: Duration::from_secs(1),
            checkpoint_entries: 65_536,
            checkpoint_interval: Duration::from_secs(1),
            queue_capacity: 16_384,
            write_delay: Duration::from_millis(10),
        }
    }
}

impl AuditOptions {
    /// Checks the options; [`AuditLog::open`] calls it, so a bad setting fails at start.
    pub fn validate(&self) -> Result<(), AuditError> {
        let bad = |field: &'static str, reason: String| Err(AuditError::Invalid { field, reason });
        if !(MIN_SEGMENT_BYTES..=MAX_SEGMENT_BYTES).contains(&self.segment_bytes) {
            return bad(
                "segment_bytes",
                format!(
                    "{}, must be {MIN_SEGMENT_BYTES} to {MAX_SEGMENT_BYTES}",
                    self.segment_bytes
                ),
            );
        }
        if self.sync_interval > MAX_INTERVAL {
            return bad("sync_interval", format!("at most {MAX_INTERVAL:?}"));
        }
        if self.checkpoint_interval > MAX_INTERVAL {
            return bad("checkpoint_interval", format!("at most {MAX_INTERVAL:?}"));
        }
        if self.write_delay > self.sync_interval {
            return bad(
                "write_delay",
                format!("at most sync_interval ({:?})", self.sync_interval),
            );
        }
        if self.checkpoint_entries == 0 {
            return bad("checkpoint_entries", "must be at least 1".into());
        }
        if !(1..=MAX_QUEUE).contains(&self.queue_capacity) {
            return bad("queue_capacity", format!("must be 1 to {MAX_QUEUE}"));
        }
        Ok(())
    }
}

/// When an append is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// After the entry is synced to disk: for state changes, before their response.
    Durable,
    /// Once queued; synced within [`AuditOptions::sync_interval`] (reads).
    Batched,
}

/// Totals of the write path, for metrics and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditStats {
    /// Sequence number of the last entry written (0 if none).
    pub last_seq: u64,
    /// Sequence number of the last entry synced.
    pub synced_seq: u64,
    /// `fdatasync` calls by the writer.
    pub syncs: u64,
    /// Writes by the writer.
    pub writes: u64,
    /// Checkpoints written since open (segment openings included).
    pub checkpoints: u64,
    /// Number of the segment being written.
    pub segment: u64,
}

/// A node's audit log, open for appending. Share it behind an `Arc`.
pub struct AuditLog {
    handoff: Arc<Handoff>,
    writer: Mutex<Option<JoinHandle<()>>>,
    public_key: PublicKey,
    dir: PathBuf,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("dir", &self.dir)
            .field("key_id", &self.public_key.key_id())
            .finish_non_exhaustive()
    }
}

impl AuditLog {
    /// Opens the log in `dir` (creating it), signing with `signer`. An existing log resumes
    /// after its last valid record: a torn last write is cut off, and a log that was not
    /// closed cleanly gets a `Recovered` checkpoint first. Damage in front of the tail of the
    /// newest segment fails the open (`verify` checks the older segments).
    pub fn open(
        dir: &Path,
        options: AuditOptions,
        signer: impl Signer + 'static,
    ) -> Result<AuditLog, AuditError> {
        options.validate()?;
        let io = |what: &'static str, path: &Path| {
            let path = path.to_path_buf();
            move |source| AuditError::Io { what, path, source }
        };
        let existed = dir.is_dir();
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(files::DIR_MODE)
            .create(dir)
            .map_err(io("directory", dir))?;
        if !existed && let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            // A new directory is durable only once its parent's entry is.
            files::sync_dir(parent).map_err(io("directory", parent))?;
        }
        files::remove_leftovers(dir).map_err(io("directory", dir))?;
        let segments = files::list_segments(dir).map_err(io("directory", dir))?;
        let key = signer.public_key();
        match keyfile::load(dir) {
            Ok(stored) if stored == key => {}
            Ok(stored) => {
                return Err(AuditError::SignerMismatch {
                    log: stored.key_id(),
                    signer: key.key_id(),
                });
            }
            Err(KeyFileError::Missing) if segments.is_empty() => {
                keyfile::store(dir, &key).map_err(io("key file", &keyfile::path(dir)))?;
            }
            Err(e) => {
                return Err(AuditError::KeyFile {
                    path: keyfile::path(dir),
                    reason: e.to_string(),
                });
            }
        }
        let signer: Box<dyn Signer> = Box::new(signer);
        let handoff = Arc::new(Handoff::new(options.queue_capacity, options.write_delay));
        let mut writer = match segments.last() {
            None => {
                let tip = ChainTip {
                    seq: 0,
                    prev: ChainHash::GENESIS,
                    since_checkpoint: 0,
                };
                let (segment, hash) = writer::create_segment(dir, 1, &tip, &*signer, key.key_id())?;
                let tip = ChainTip { prev: hash, ..tip };
                Writer::new(
                    Arc::clone(&handoff),
                    signer,
                    options,
                    dir.to_path_buf(),
                    segment,
                    tip,
                )
            }
            Some((number, path)) => {
                if let Some(missing) = files::first_missing(&segments) {
                    return Err(AuditError::Corrupt(Breakage {
                        segment: dir.join(files::segment_name(missing)),
                        offset: 0,
                        expected_seq: 0,
                        found_seq: None,
                        problem: Problem::MissingSegment(missing),
                    }));
                }
                let (segment, tip, recovery) = resume(*number, path, &key)?;
                let mut w = Writer::new(
                    Arc::clone(&handoff),
                    signer,
                    options,
                    dir.to_path_buf(),
                    segment,
                    tip,
                );
                if let Some(kind) = recovery {
                    w.checkpoint_now(kind)?;
                }
                w
            }
        };
        writer.rotate_if_full()?;
        let handle = writer.spawn().map_err(io("writer thread", dir))?;
        Ok(AuditLog {
            handoff,
            writer: Mutex::new(Some(handle)),
            public_key: key,
            dir: dir.to_path_buf(),
        })
    }

    /// Appends `entry`. `Durable` answers once the entry is on disk; `Batched` once it is
    /// queued. Waits for room when the queue is full. Never pass secret-bearing text in an
    /// entry: see [`AuditEntry`].
    pub async fn append(
        &self,
        entry: AuditEntry,
        durability: Durability,
    ) -> Result<(), AuditError> {
        entry.validate()?;
        self.handoff
            .append(entry, durability == Durability::Durable)
            .await
    }

    /// Makes every entry appended so far durable, batched ones included (one sync if any is
    /// not yet): what a reader calls before reading the files, so that it sees every request
    /// answered before it.
    pub async fn sync(&self) -> Result<(), AuditError> {
        self.handoff.sync_all().await
    }

    /// Write-path totals.
    pub fn stats(&self) -> AuditStats {
        let c = &self.handoff.counters;
        let get = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
        AuditStats {
            last_seq: get(&c.last_seq),
            synced_seq: get(&c.synced_seq),
            syncs: get(&c.syncs),
            writes: get(&c.writes),
            checkpoints: get(&c.checkpoints),
            segment: get(&c.segment),
        }
    }

    /// The key checkpoints are signed with.
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// The log's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Why the writer stopped, if it failed; appends then fail too.
    pub fn failure(&self) -> Option<String> {
        self.handoff.failure().map(str::to_string)
    }

    /// Stops accepting entries, writes and syncs everything queued and a closing checkpoint,
    /// and waits for the writer thread. Blocks (in async code, call it from
    /// `spawn_blocking`); calling it again does nothing.
    pub fn close(&self) -> Result<(), AuditError> {
        self.handoff.request_close();
        let handle = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = handle
            && h.join().is_err()
        {
            tracing::error!("audit writer thread panicked");
        }
        match self.handoff.failure() {
            Some(reason) => Err(AuditError::Failed {
                reason: reason.to_string(),
            }),
            None => Ok(()),
        }
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        if let Err(e) = self.close() {
            tracing::error!(error = %e, "audit log closed after a failure");
        }
    }
}

/// Reopens the newest segment: scans it from its opening checkpoint, cuts a torn tail off,
/// and says which recovery checkpoint to write (none after a clean close).
fn resume(
    number: u64,
    path: &Path,
    key: &PublicKey,
) -> Result<(OpenSegment, ChainTip, Option<CheckpointKind>), AuditError> {
    let io = |what: &'static str| {
        let path = path.to_path_buf();
        move |source| AuditError::Io { what, path, source }
    };
    let bytes = files::read_bounded(path, MAX_SEGMENT_FILE).map_err(io("segment read"))?;
    let seg = SegmentBytes {
        path,
        number,
        bytes: &bytes,
        is_last: true,
    };
    let scanned = scan::scan(&seg, Start::Anchor, key, &mut |_| {
        std::ops::ControlFlow::Continue(())
    })
    .map_err(AuditError::Corrupt)?;
    drop(bytes);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(io("segment open"))?;
    if scanned.torn_bytes > 0 {
        tracing::warn!(
            segment = %path.display(),
            torn_bytes = scanned.torn_bytes,
            "audit log: cutting off a torn last write"
        );
        file.set_len(scanned.valid_len)
            .map_err(io("segment truncate"))?;
        file.sync_all().map_err(io("segment sync"))?;
    }
    let recovery = (!scanned.ends_with_close).then_some(CheckpointKind::Recovered {
        unsigned_entries: scanned.since_checkpoint,
        torn_bytes: scanned.torn_bytes,
    });
    let tip = ChainTip {
        seq: scanned.next_seq - 1,
        prev: scanned.last_hash,
        since_checkpoint: scanned.since_checkpoint,
    };
    let segment = OpenSegment {
        number,
        path: path.to_path_buf(),
        file,
        len: scanned.valid_len,
    };
    Ok((segment, tip, recovery))
}
