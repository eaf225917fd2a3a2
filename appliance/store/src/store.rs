//! The `Store` handle: open, reads, Locate, and the async write entry point.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;

use redb::{
    Database, Durability, ReadOnlyTable, ReadableDatabase, ReadableTable, ReadableTableMetadata,
    TableDefinition,
};

use crate::cache::RecordCache;
use crate::clock::{HlcClock, NodeId, unix_now};
use crate::conflict::Conflict;
use crate::envelope;
use crate::epoch::{EpochKey, KeyCell, Keyring, NewEpoch, ResealBatch, StorageEpochs, Unlock};
use crate::error::StoreError;
use crate::index;
use crate::journal::{Journal, JournalGroup, JournalWrite};
use crate::oplog::{LegacyLogEntry, LogEntry, StoredLogEntry};
use crate::record::{LifecycleState, ObjectRecord};
use crate::storage::{Backend, FsStorage, Storage};
use crate::tables::{
    CONFLICTS, INDEX, INDEX_COUNTS, META, META_EPOCH, META_EPOCH_SINCE, META_FORMAT,
    META_JOURNAL_APPLIED, META_LAST_ERASE, META_NODE_ID, OBJECTS, ORIGIN_LOG, STORAGE_EPOCHS,
    VERSION_VECTOR, WRAPPED_KEKS,
};
use crate::types::{CommitInfo, LocateQuery, LocateResult, StoreOptions, StoreStats, WriteOp};
use crate::write_stats::{WriteCounters, WriteStats};
use crate::writer::{self, EpochChange, Msg, Pending, WriterStart};

/// Layout version of the tables themselves (records carry their own version tag).
/// 2: `origin_log` values are tagged [`StoredLogEntry`]s naming the object (format 1 copied
/// the whole record, material included); a format-1 file is migrated once on open.
/// 3: every record in `objects` is sealed under a storage epoch ([`crate::envelope`]); a
/// format-2 file is sealed by its first unlock, which sets 3.
const FORMAT_VERSION: u32 = 3;
/// The last format whose records are plain.
const FORMAT_PLAIN_RECORDS: u32 = 2;

/// Work done by one Locate, for tests and diagnostics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct LocateCost {
    /// Index entries visited by the driving range scan.
    pub scanned: u64,
    /// Point lookups into other indexes.
    pub probes: u64,
    /// Records read and authenticated.
    pub records: u64,
}

/// What an open store keeps until it is unlocked: the journal, and its groups that redb does
/// not hold durably (replaying them needs the epoch keys).
struct Sealed {
    journal: Journal,
    pending: Vec<JournalGroup>,
    /// Number of the next group.
    next_group: u64,
}

pub(crate) struct Inner {
    pub db: Arc<Database>,
    node: NodeId,
    clock: Arc<HlcClock>,
    path: PathBuf,
    storage: Arc<dyn Storage>,
    options: StoreOptions,
    cache: Arc<RecordCache>,
    counters: Arc<WriteCounters>,
    /// The storage epoch keys; empty until [`Store::unlock`].
    keys: Arc<KeyCell>,
    /// Whether the next erase is due because older copies of a record would undo a change (see
    /// [`StorageEpochs::erase_pending`]). Held in memory only: nothing on disk can vouch for
    /// "nothing changed", since an older sealed copy of any marker still authenticates.
    erase_due: Arc<AtomicBool>,
    /// `Some` until unlocked.
    sealed: Mutex<Option<Sealed>>,
    /// The writer's queue, from unlock on.
    tx: OnceLock<mpsc::Sender<Msg>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    /// The highest sequence of this node's own log known durable (set at unlock, then raised
    /// by the syncer).
    own_durable: Arc<tokio::sync::watch::Sender<u64>>,
}

impl Inner {
    fn stop_writer(&self) {
        // A store closed while locked can never be unlocked.
        self.sealed.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(tx) = self.tx.get() {
            let _ = tx.send(Msg::Shutdown);
        }
        let handle = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = handle
            && h.join().is_err()
        {
            tracing::error!("store writer thread panicked");
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.stop_writer();
    }
}

/// A commit the writer applied (see [`Store::commit_applied`]) whose durability is still to
/// come. Dropping it does not undo the commit; it only stops waiting for its answer.
#[derive(Debug)]
#[must_use = "a write is not done until it is durable"]
pub struct Applied {
    reply: tokio::sync::oneshot::Receiver<Result<CommitInfo, StoreError>>,
}

impl Applied {
    /// Resolves once the commit is durable, or with the reason it never will be.
    pub async fn durable(self) -> Result<CommitInfo, StoreError> {
        self.reply.await.map_err(|_| StoreError::Closed)?
    }
}

/// The node's durable object store. Cheap to clone; all clones share one database and writer.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .field("node", &self.inner.node)
            .finish_non_exhaustive()
    }
}

fn read_u64(b: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(b.try_into().ok()?))
}

/// Rewrites every format-1 log entry (a full record copy) as a reference to its object, so
/// material a later Destroy removed from `objects` no longer survives in the log. Runs once,
/// inside the open transaction: a crash leaves the file at format 1 and the next open redoes it.
fn migrate_log_from_format_1(txn: &redb::WriteTransaction) -> Result<(), StoreError> {
    let mut log = txn.open_table(ORIGIN_LOG)?;
    let mut upgraded = Vec::new();
    for item in log.iter()? {
        let (k, v) = item?;
        upgraded.push((
            k.value(),
            LegacyLogEntry::decode_and_upgrade(v.value())?.encode()?,
        ));
    }
    for (key, value) in &upgraded {
        log.insert(*key, value.as_slice())?;
    }
    tracing::info!(
        entries = upgraded.len(),
        "origin log migrated from table format 1"
    );
    Ok(())
}

/// Checks the table format, creates the node id and every table if missing, in one durable
/// commit; returns the node id.
fn prepare(db: &Database, options: &StoreOptions) -> Result<NodeId, StoreError> {
    let mut txn = db.begin_write()?;
    txn.set_durability(Durability::Immediate)?;
    // Until the first checkpoint this is the last durable commit: it must carry the
    // allocator state, or a crash before that checkpoint costs a full repair at the next
    // open (measured: 10.9 s for 1,000,000 objects instead of well under a second).
    txn.set_quick_repair(options.quick_repair);
    let node = {
        let mut meta = txn.open_table(META)?;
        let format = match meta.get(META_FORMAT)? {
            Some(v) => Some(v.value().try_into().map(u32::from_be_bytes).map_err(|_| {
                StoreError::Decode {
                    what: "meta format",
                    reason: "not 4 bytes".to_string(),
                }
            })?),
            None => None,
        };
        match format {
            Some(f) if f > FORMAT_VERSION => {
                return Err(StoreError::Invalid {
                    field: "database format",
                    reason: format!(
                        "version {f} is newer than this binary supports ({FORMAT_VERSION})"
                    ),
                });
            }
            // Format 2 becomes 3 only when its first unlock has sealed every record.
            Some(FORMAT_VERSION | FORMAT_PLAIN_RECORDS) => {}
            Some(1) => {
                meta.insert(META_FORMAT, &FORMAT_PLAIN_RECORDS.to_be_bytes()[..])?;
            }
            // A new database: sealed from its first record on.
            Some(_) | None => {
                meta.insert(META_FORMAT, &FORMAT_VERSION.to_be_bytes()[..])?;
            }
        }
        if format == Some(1) {
            migrate_log_from_format_1(&txn)?;
        }
        let existing = match meta.get(META_NODE_ID)? {
            Some(v) => Some(read_u64(v.value()).ok_or(StoreError::Decode {
                what: "meta node_id",
                reason: "not 8 bytes".to_string(),
            })?),
            None => None,
        };
        match existing {
            Some(id) => NodeId(id),
            None => {
                let id = NodeId::random();
                meta.insert(META_NODE_ID, &id.0.to_be_bytes()[..])?;
                id
            }
        }
    };
    // Create every table so readers never meet a missing one.
    txn.open_table(OBJECTS)?;
    txn.open_table(INDEX)?;
    txn.open_table(INDEX_COUNTS)?;
    txn.open_table(ORIGIN_LOG)?;
    txn.open_table(VERSION_VECTOR)?;
    txn.open_table(WRAPPED_KEKS)?;
    txn.open_table(STORAGE_EPOCHS)?;
    txn.commit()?;
    Ok(node)
}

/// The table format stored in `meta`.
fn read_format(read: &redb::ReadTransaction) -> Result<u32, StoreError> {
    let meta = read.open_table(META)?;
    let v = meta.get(META_FORMAT)?.ok_or(StoreError::Decode {
        what: "meta format",
        reason: "missing".to_string(),
    })?;
    v.value()
        .try_into()
        .map(u32::from_be_bytes)
        .map_err(|_| StoreError::Decode {
            what: "meta format",
            reason: "not 4 bytes".to_string(),
        })
}

fn read_i64(meta: &ReadOnlyTable<&str, &[u8]>, key: &str) -> Result<Option<i64>, StoreError> {
    match meta.get(key)? {
        Some(v) => Ok(Some(i64::from_be_bytes(v.value().try_into().map_err(
            |_| StoreError::Decode {
                what: "meta time",
                reason: "not 8 bytes".to_string(),
            },
        )?))),
        None => Ok(None),
    }
}

/// The storage epochs as redb holds them, and then as the journal groups `pending` (not yet
/// in redb) change them.
fn read_epochs(db: &Database, pending: &[JournalGroup]) -> Result<StorageEpochs, StoreError> {
    let read = db.begin_read()?;
    let format = read_format(&read)?;
    let meta = read.open_table(META)?;
    let mut rows: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    for item in read.open_table(STORAGE_EPOCHS)?.iter()? {
        let (k, v) = item?;
        rows.insert(k.value(), v.value().to_vec());
    }
    let mut state = StorageEpochs {
        current: match meta.get(META_EPOCH)? {
            Some(v) => Some(read_u64(v.value()).ok_or(StoreError::Decode {
                what: "meta storage_epoch",
                reason: "not 8 bytes".to_string(),
            })?),
            None => None,
        },
        current_since: read_i64(&meta, META_EPOCH_SINCE)?,
        wrapped: Vec::new(),
        plain_records: format <= FORMAT_PLAIN_RECORDS,
        holds_objects: !read.open_table(OBJECTS)?.is_empty()?,
        // Decided by `Store::storage_epochs`, never read from the file.
        erase_pending: false,
        last_erase: read_i64(&meta, META_LAST_ERASE)?,
    };
    for w in pending.iter().flat_map(JournalGroup::writes) {
        match w {
            JournalWrite::Object { .. }
            | JournalWrite::SealedObject { .. }
            | JournalWrite::MergedObject { .. } => {
                state.holds_objects = true;
            }
            JournalWrite::StorageEpoch {
                epoch,
                wrapped,
                started,
            } => {
                rows.insert(*epoch, wrapped.clone());
                state.current = Some(*epoch);
                state.current_since = Some(*started);
            }
            JournalWrite::ForgetEpochs { epochs, completed } => {
                for e in epochs {
                    rows.remove(e);
                }
                state.last_erase = Some(*completed);
            }
            JournalWrite::WrappedKek { .. }
            | JournalWrite::RemoteLog { .. }
            | JournalWrite::AdoptVector { .. }
            | JournalWrite::TruncateLogs { .. }
            | JournalWrite::Conflict { .. } => {}
        }
    }
    state.wrapped = rows.into_iter().collect();
    Ok(state)
}

/// Distinguishes the temporary names of databases being created by this process.
static CREATING: AtomicU64 = AtomicU64::new(0);

/// Opens the database at `path`, creating it if missing. A new database is initialized under
/// a temporary name and linked into place only once [`prepare`] made it durable: redb writes
/// its magic number last, so a power cut inside its initialization leaves a file that every
/// later open would refuse ("not a redb database"), and the node could never start again.
fn open_database(
    storage: &dyn Storage,
    path: &Path,
    options: &StoreOptions,
) -> Result<Database, StoreError> {
    let mut builder = redb::Builder::new();
    builder.set_cache_size(options.cache_bytes);
    let io = |source| StoreError::Database(redb::DatabaseError::from(source).into());
    match storage.open_database(path, false) {
        Ok(backend) => return Ok(builder.create_with_backend(Backend(backend))?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    // Unique among live processes (pid) and within this one (counter): a file of that name
    // is left over from a dead process and free to reuse.
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(
        ".init-{}-{}",
        std::process::id(),
        CREATING.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp = PathBuf::from(tmp);
    let backend = storage.open_database(&tmp, true).map_err(io)?;
    backend.set_len(0).map_err(io)?;
    let db = builder.create_with_backend(Backend(backend))?;
    prepare(&db, options)?;
    match storage.link(&tmp, path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            // Another process created it meanwhile: open that one (redb's lock decides who
            // may write it).
            drop(db);
            if let Err(e) = storage.remove(&tmp) {
                tracing::warn!(error = %e, file = %tmp.display(), "unused new database not removed");
            }
            let backend = storage.open_database(path, false).map_err(io)?;
            return Ok(builder.create_with_backend(Backend(backend))?);
        }
        Err(e) => return Err(io(e)),
    }
    // Only a name: the database lives on under `path`. The directory sync that makes the
    // link durable comes with the journal's (see `recover_journal`).
    storage.remove(&tmp).map_err(io)?;
    Ok(db)
}

/// Opens the commit journal and reads the groups that redb does not hold durably (a crash
/// after their acknowledgement, before the next checkpoint); [`Store::unlock`] replays them.
fn read_journal(db: &Database, storage: &dyn Storage, path: &Path) -> Result<Sealed, StoreError> {
    let applied = {
        let read = db.begin_read()?;
        let meta = read.open_table(META)?;
        match meta.get(META_JOURNAL_APPLIED)? {
            Some(v) => read_u64(v.value()).ok_or(StoreError::Decode {
                what: "meta journal_applied",
                reason: "not 8 bytes".to_string(),
            })?,
            None => 0,
        }
    };
    let journal_path = Journal::path_for(path);
    let (journal, recovered) = Journal::open(storage, &journal_path, applied)?;
    // The database's name (just linked, on a first open) and the journal's (just created)
    // must be durable before anything relies on them: the reset after the replay, and the
    // first acknowledgement, after which a cut that took a name would take acknowledged
    // writes.
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    storage.sync_dir(dir).map_err(|source| StoreError::Io {
        what: "database directory sync",
        source,
    })?;
    if recovered.torn_bytes > 0 {
        tracing::warn!(
            bytes = recovered.torn_bytes,
            later_frames = recovered.dropped_frames,
            journal = %journal_path.display(),
            "dropped the torn end of the commit journal (never acknowledged)"
        );
    }
    let pending: Vec<_> = recovered
        .groups
        .into_iter()
        .filter(|g| g.id() > applied)
        .collect();
    let last = pending.last().map_or(applied, JournalGroup::id);
    Ok(Sealed {
        journal,
        pending,
        next_group: last + 1,
    })
}

impl Store {
    /// Opens (creating if needed) the database at `path` and starts the group-commit writer.
    /// Work is independent of the number of objects.
    pub fn open(path: &Path, options: StoreOptions) -> Result<Store, StoreError> {
        Store::open_with_storage(path, options, Arc::new(FsStorage))
    }

    /// [`Store::open`] with the files kept in `storage` instead of the file system (tests put
    /// a simulated disk there); `path` names the database within it.
    pub fn open_with_storage(
        path: &Path,
        options: StoreOptions,
        storage: Arc<dyn Storage>,
    ) -> Result<Store, StoreError> {
        if options.group_commit_max_batch == 0 {
            return Err(StoreError::Invalid {
                field: "group_commit_max_batch",
                reason: "must be at least 1".to_string(),
            });
        }
        let db = open_database(storage.as_ref(), path, &options)?;
        let node = prepare(&db, &options)?;

        let clock = Arc::new(HlcClock::new(node));
        let sealed = read_journal(&db, storage.as_ref(), path)?;
        // The clock must never issue a stamp below one already made durable, even if the wall
        // clock stepped back across a restart: observe the last stamp of our own log (the
        // replay observes the journal's).
        {
            let read = db.begin_read()?;
            let vv = read.open_table(VERSION_VECTOR)?;
            if let Some(seq) = vv.get(node.0)? {
                let log = read.open_table(ORIGIN_LOG)?;
                if let Some(v) = log.get((node.0, seq.value()))? {
                    clock.observe(StoredLogEntry::decode(v.value())?.stamp());
                }
            }
        }

        Ok(Store {
            inner: Arc::new(Inner {
                db: Arc::new(db),
                node,
                clock,
                path: path.to_path_buf(),
                storage,
                cache: Arc::new(RecordCache::new(
                    options.record_cache_entries,
                    options.record_cache_bytes,
                )),
                options,
                counters: Arc::new(WriteCounters::default()),
                keys: Arc::new(KeyCell::default()),
                erase_due: Arc::new(AtomicBool::new(false)),
                sealed: Mutex::new(Some(sealed)),
                tx: OnceLock::new(),
                writer: Mutex::new(None),
                own_durable: Arc::new(tokio::sync::watch::channel(0).0),
            }),
        })
    }

    fn sealed(&self) -> MutexGuard<'_, Option<Sealed>> {
        self.inner.sealed.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The storage epochs as stored (the journal's pending groups included while locked):
    /// what the owner unwraps before [`Store::unlock`], and what its erase schedule reads.
    pub fn storage_epochs(&self) -> Result<StorageEpochs, StoreError> {
        let sealed = self.sealed();
        let pending = sealed.as_ref().map_or(&[][..], |s| s.pending.as_slice());
        let mut state = read_epochs(&self.inner.db, pending)?;
        state.erase_pending = if self.is_unlocked() {
            self.inner.erase_due.load(Ordering::Acquire)
        } else {
            // What the unlock will decide.
            state.holds_objects && state.current.is_some()
        };
        Ok(state)
    }

    /// Whether [`Store::unlock`] succeeded: records can be read and written.
    pub fn is_unlocked(&self) -> bool {
        self.inner.keys.is_set()
    }

    /// Takes the storage epoch keys, replays the commit journal, seals the records of a
    /// database written before storage epochs (table format 2, with `unlock.first`), and
    /// starts the writer. Blocking; on failure the store stays locked and may be unlocked
    /// again.
    pub fn unlock(&self, unlock: Unlock) -> Result<(), StoreError> {
        let mut guard = self.sealed();
        let Some(mut sealed) = guard.take() else {
            if self.inner.tx.get().is_none() {
                return Err(StoreError::Closed);
            }
            return Err(StoreError::Invalid {
                field: "unlock",
                reason: "the store is unlocked already".to_string(),
            });
        };
        match self.unlock_sealed(&mut sealed, unlock) {
            Ok((keyring, erase_due)) => {
                self.inner.erase_due.store(erase_due, Ordering::Release);
                self.start_writer(sealed, keyring)
            }
            Err(e) => {
                *guard = Some(sealed);
                Err(e)
            }
        }
    }

    /// Returns the keyring and whether an erase is due from the start.
    fn unlock_sealed(
        &self,
        sealed: &mut Sealed,
        unlock: Unlock,
    ) -> Result<(Arc<Keyring>, bool), StoreError> {
        let db = &self.inner.db;
        let state = read_epochs(db, &sealed.pending)?;
        let plain_allowed = state.plain_records;
        let mut keys: BTreeMap<u64, Arc<EpochKey>> = unlock
            .keys
            .into_iter()
            .map(|(e, k)| (e, Arc::new(k)))
            .collect();
        let (current, first) = match (state.current, unlock.first) {
            (Some(current), None) => (current, None),
            (Some(current), Some(_)) => {
                return Err(StoreError::EpochsInconsistent {
                    reason: format!("a first epoch was offered, but epoch {current} is current"),
                });
            }
            (None, None) => {
                return Err(StoreError::EpochsInconsistent {
                    reason: "the store has no storage epoch yet: the first one must be given"
                        .to_string(),
                });
            }
            (None, Some(first)) => {
                if state.holds_objects && !plain_allowed {
                    // A database of format 3 got its first epoch in the transaction that
                    // created its first record.
                    return Err(StoreError::EpochsInconsistent {
                        reason: "the database holds sealed records but stores no storage \
                                 epoch: its epochs were removed or replaced"
                            .to_string(),
                    });
                }
                if first.epoch == 0 || first.wrapped.is_empty() {
                    return Err(StoreError::Invalid {
                        field: "first epoch",
                        reason: "epochs count from 1 and need a wrapped key".to_string(),
                    });
                }
                keys.insert(first.epoch, Arc::new(first.key));
                (first.epoch, Some((first.epoch, first.wrapped)))
            }
        };
        let keyring = Arc::new(Keyring::new(current, keys)?);
        // The process that wrote this epoch knew what changed in it; this one cannot tell from
        // the file (an old copy of any marker, or of a record, authenticates as well as the
        // last one), so it assumes something did. A first epoch seals its records now: no
        // older copy under it exists.
        let erase_due = state.holds_objects && first.is_none();
        if !sealed.pending.is_empty() || first.is_some() || plain_allowed {
            let mut txn = db.begin_write()?;
            txn.set_durability(Durability::Immediate)?;
            txn.set_quick_repair(self.inner.options.quick_repair);
            if !sealed.pending.is_empty() {
                let writes = writer::replay(
                    &txn,
                    self.inner.node,
                    &self.inner.clock,
                    &sealed.pending,
                    &keyring,
                    plain_allowed,
                )?;
                tracing::info!(
                    groups = sealed.pending.len(),
                    writes,
                    "replayed the commit journal after an unclean stop"
                );
            }
            {
                let mut meta = txn.open_table(META)?;
                if let Some((epoch, wrapped)) = &first {
                    txn.open_table(STORAGE_EPOCHS)?
                        .insert(*epoch, wrapped.as_slice())?;
                    meta.insert(META_EPOCH, &epoch.to_be_bytes()[..])?;
                    meta.insert(META_EPOCH_SINCE, &unix_now().to_be_bytes()[..])?;
                }
                if plain_allowed {
                    meta.insert(META_FORMAT, &FORMAT_VERSION.to_be_bytes()[..])?;
                }
            }
            if plain_allowed {
                let sealed_records = writer::seal_plain_records(&txn, &keyring)?;
                tracing::info!(
                    records = sealed_records,
                    epoch = current,
                    "sealed the records of a database written before storage epochs"
                );
            }
            txn.commit()?;
            sealed.pending.clear();
        }
        if sealed.journal.len() > 0 {
            sealed.journal.reset().map_err(|source| StoreError::Io {
                what: "commit journal reset",
                source,
            })?;
        }
        Ok((keyring, erase_due))
    }

    fn start_writer(&self, sealed: Sealed, keyring: Arc<Keyring>) -> Result<(), StoreError> {
        // Everything in redb is durable here: the replay before this committed durably.
        let own_seq = self
            .table(VERSION_VECTOR)?
            .get(self.inner.node.0)?
            .map_or(0, |v| v.value());
        self.inner.own_durable.send_replace(own_seq);
        let (tx, rx) = mpsc::channel();
        let handle = writer::spawn(
            WriterStart {
                db: Arc::clone(&self.inner.db),
                clock: Arc::clone(&self.inner.clock),
                node: self.inner.node,
                options: self.inner.options.clone(),
                journal: sealed.journal,
                next_group: sealed.next_group,
                cache: Arc::clone(&self.inner.cache),
                counters: Arc::clone(&self.inner.counters),
                keys: Arc::clone(&self.inner.keys),
                erase_due: Arc::clone(&self.inner.erase_due),
                keyring: Arc::clone(&keyring),
                own_seq,
                own_durable: Arc::clone(&self.inner.own_durable),
            },
            rx,
        )
        .map_err(|source| StoreError::Io {
            what: "store writer thread",
            source,
        })?;
        *self.inner.writer.lock().unwrap_or_else(|p| p.into_inner()) = Some(handle);
        // Set once: `sealed` was taken, so no other unlock gets here.
        let _ = self.inner.tx.set(tx);
        self.inner.keys.set(keyring);
        Ok(())
    }

    fn sender(&self) -> Result<&mpsc::Sender<Msg>, StoreError> {
        self.inner.tx.get().ok_or(StoreError::Locked)
    }

    /// Starts storage epoch `epoch.epoch` (above every earlier one): once this resolves, the
    /// new epoch and its wrapped key are durable and every later write is sealed under it.
    pub async fn begin_epoch(&self, epoch: NewEpoch) -> Result<(), StoreError> {
        if epoch.wrapped.is_empty() {
            return Err(StoreError::Invalid {
                field: "wrapped epoch key",
                reason: "must not be empty".to_string(),
            });
        }
        let (reply, rx) = tokio::sync::oneshot::channel();
        let change = EpochChange::Begin {
            epoch: epoch.epoch,
            wrapped: epoch.wrapped,
            key: Arc::new(epoch.key),
        };
        self.sender()?
            .send(Msg::Epoch { change, reply })
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?.map(|_| ())
    }

    /// Re-seals up to `max` records that an older epoch protects, in key order after `after`
    /// (`None`: from the first), under the current epoch; one bounded transaction of the
    /// writer, so commits queued meanwhile go on between batches.
    pub async fn reseal(
        &self,
        after: Option<String>,
        max: usize,
    ) -> Result<ResealBatch, StoreError> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.sender()?
            .send(Msg::Reseal { after, max, reply })
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Checks that no record an older epoch's key opens is left, makes the store durable in
    /// the database itself (checkpoint, journal emptied) and returns the older epochs: from
    /// then on no stored or journaled byte that any live record needs is under them, so
    /// their keys may be destroyed. [`StoreError::EraseIncomplete`] when records remain.
    pub async fn settle(&self) -> Result<Vec<u64>, StoreError> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.sender()?
            .send(Msg::Settle { reply })
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Forgets epochs whose keys the owner destroyed: their wrapped keys leave the store and
    /// their data keys its memory, and the erase's completion time is recorded. Durable once
    /// it resolves. The current epoch cannot be forgotten.
    pub async fn forget_epochs(&self, epochs: Vec<u64>) -> Result<(), StoreError> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        let change = EpochChange::Forget { epochs };
        self.sender()?
            .send(Msg::Epoch { change, reply })
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?.map(|_| ())
    }

    /// This node's id.
    pub fn node_id(&self) -> NodeId {
        self.inner.node
    }

    /// This node's hybrid logical clock (stamps for records, attributes and lifecycle facts).
    pub fn clock(&self) -> &HlcClock {
        &self.inner.clock
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    fn table<K: redb::Key + 'static, V: redb::Value + 'static>(
        &self,
        def: TableDefinition<K, V>,
    ) -> Result<ReadOnlyTable<K, V>, StoreError> {
        Ok(self.inner.db.begin_read()?.open_table(def)?)
    }

    /// The object with this UUID (tombstones included), upgraded to the current record version.
    /// Shared, because repeated reads of a hot key are answered from a cache; a caller that
    /// changes the record clones it (`Arc::make_mut`).
    /// A record that fails authentication at rest is [`StoreError::RecordRejected`], and is
    /// never cached.
    pub fn get(&self, uuid: &str) -> Result<Option<Arc<ObjectRecord>>, StoreError> {
        let generation = match self.inner.cache.get(uuid) {
            Ok(rec) => return Ok(Some(rec)),
            Err(generation) => generation,
        };
        let keys = self.inner.keys.get()?;
        let objects = self.table(OBJECTS)?;
        match objects.get(uuid)? {
            Some(v) => {
                let rec = Arc::new(envelope::open(&keys, uuid, v.value(), false)?);
                self.inner.cache.insert(generation, &rec, v.value().len());
                Ok(Some(rec))
            }
            None => Ok(None),
        }
    }

    /// The current records of the objects after `after` in UUID order (from the first when
    /// `None`), at most `max`, tombstones included: one page of a snapshot for a peer.
    pub fn objects_page(
        &self,
        after: Option<&str>,
        max: usize,
    ) -> Result<Vec<Arc<ObjectRecord>>, StoreError> {
        let keys = self.inner.keys.get()?;
        let objects = self.table(OBJECTS)?;
        let range = match after {
            Some(a) => {
                objects.range::<&str>((std::ops::Bound::Excluded(a), std::ops::Bound::Unbounded))?
            }
            None => objects.range::<&str>(..)?,
        };
        let mut out = Vec::new();
        for item in range.take(max) {
            let (k, v) = item?;
            out.push(Arc::new(envelope::open(
                &keys,
                k.value(),
                v.value(),
                false,
            )?));
        }
        Ok(out)
    }

    /// Conflicts that merges with peers' records found on this node, at most `max`, by object.
    pub fn conflicts(&self, max: usize) -> Result<Vec<Conflict>, StoreError> {
        let read = self.inner.db.begin_read()?;
        let table = match read.open_table(CONFLICTS) {
            Ok(t) => t,
            // No merge ever found one: the table was never created.
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut out = Vec::new();
        for item in table.iter()?.take(max) {
            let (_, v) = item?;
            out.push(Conflict::decode(v.value())?);
        }
        Ok(out)
    }

    /// The node-local wrapped KEK of a domain.
    pub fn wrapped_kek(&self, domain: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let t = self.table(WRAPPED_KEKS)?;
        Ok(t.get(domain)?.map(|v| v.value().to_vec()))
    }

    /// Domains that have a wrapped KEK on this node.
    pub fn wrapped_kek_domains(&self) -> Result<Vec<String>, StoreError> {
        let t = self.table(WRAPPED_KEKS)?;
        let mut out = Vec::new();
        for item in t.iter()? {
            let (k, _) = item?;
            out.push(k.value().to_string());
        }
        Ok(out)
    }

    /// Objects matching `query`, in creation order; driven by the most selective index, every
    /// candidate checked on its authenticated record.
    pub fn locate(&self, query: &LocateQuery) -> Result<LocateResult, StoreError> {
        self.locate_where(query, |_| true)
    }

    /// [`Store::locate`] keeping only the matches `accept` takes, decided on the authenticated
    /// record (the caller's visibility, attributes no index holds). Offset, limit and total
    /// count accepted matches only.
    pub fn locate_where(
        &self,
        query: &LocateQuery,
        accept: impl FnMut(&Arc<ObjectRecord>) -> bool,
    ) -> Result<LocateResult, StoreError> {
        self.locate_with_cost(query, accept).map(|(r, _)| r)
    }

    /// The indexes are plain tables: whoever can write the file can add, move or edit entries.
    /// So they only propose candidates; each is read, authenticated and checked against every
    /// condition of the query before it counts, and one whose record disagrees is left out.
    pub(crate) fn locate_with_cost(
        &self,
        q: &LocateQuery,
        mut accept: impl FnMut(&Arc<ObjectRecord>) -> bool,
    ) -> Result<(LocateResult, LocateCost), StoreError> {
        // Before the journal's replay the indexes may miss acknowledged writes.
        let keys = self.inner.keys.get()?;
        let read = self.inner.db.begin_read()?;
        let idx = read.open_table(INDEX)?;
        let counts = read.open_table(INDEX_COUNTS)?;
        let objects = read.open_table(OBJECTS)?;
        let mut cost = LocateCost::default();

        let mut prefixes: Vec<Vec<u8>> = Vec::new();
        if let Some(n) = &q.name {
            prefixes.push(index::prefix(index::KIND_NAME, n.as_bytes()));
        }
        for (name, value) in &q.custom {
            prefixes.push(index::prefix(
                index::KIND_CUSTOM,
                &index::custom_term(name, value),
            ));
        }
        if let Some(o) = &q.owner {
            prefixes.push(index::prefix(index::KIND_OWNER, o.as_bytes()));
        }
        if let Some(d) = &q.domain {
            prefixes.push(index::prefix(index::KIND_DOMAIN, d.as_bytes()));
        }
        if let Some(t) = q.object_type {
            prefixes.push(index::prefix(index::KIND_TYPE, &t.to_be_bytes()));
        }
        if let Some(a) = q.algorithm {
            prefixes.push(index::prefix(index::KIND_ALGORITHM, &a.to_be_bytes()));
        }
        if let Some(l) = q.length {
            prefixes.push(index::prefix(index::KIND_LENGTH, &l.to_be_bytes()));
        }
        if let Some(s) = q.state {
            prefixes.push(index::prefix(index::KIND_STATE, &[index::state_class(s)]));
        }
        let all_prefix = index::prefix(index::KIND_ALL, &[]);
        if prefixes.is_empty() {
            prefixes.push(all_prefix.clone());
        }
        let wanted = prefixes.clone();

        // Pick the rarest term to drive the scan; a missing term means no match at all.
        let mut driver = 0usize;
        let mut driver_count = u64::MAX;
        for (i, p) in prefixes.iter().enumerate() {
            let c = counts.get(p.as_slice())?.map_or(0, |v| v.value());
            cost.probes += 1;
            if c < driver_count {
                driver_count = c;
                driver = i;
            }
        }
        let mut result = LocateResult::default();
        if driver_count == 0 {
            return Ok((result, cost));
        }
        let driver_prefix = prefixes.swap_remove(driver);
        let others = prefixes;
        // Time-dependent states (PreActive/Active/Deactivated) share one class: the dates in
        // the ALL entry rule out most candidates before their record is read.
        let state_needs_facts = matches!(
            q.state,
            Some(LifecycleState::PreActive | LifecycleState::Active | LifecycleState::Deactivated)
        );
        let limit = q.limit.unwrap_or(usize::MAX);
        let max_records = q.max_records.unwrap_or(usize::MAX);
        let mut inconsistent = |what: &str, why: &str| {
            tracing::warn!(
                object = what,
                reason = why,
                "Locate left out an index entry that its authenticated record does not back: \
                 the index tables were altered or damaged"
            );
            result.inconsistent.push(what.to_string());
        };

        let mut key = Vec::with_capacity(128);
        let mut found = Vec::new();
        let mut rejected = Vec::new();
        let mut total = 0usize;
        let mut partial = false;
        for item in idx.range(driver_prefix.as_slice()..)? {
            let (k, v) = item?;
            let k = k.value();
            if !k.starts_with(&driver_prefix) {
                break;
            }
            cost.scanned += 1;
            let tail = &k[driver_prefix.len()..];
            let mut matched = true;
            for p in &others {
                key.clear();
                key.extend_from_slice(p);
                key.extend_from_slice(tail);
                cost.probes += 1;
                if idx.get(key.as_slice())?.is_none() {
                    matched = false;
                    break;
                }
            }
            if !matched {
                continue;
            }
            // The ALL entry gives lifecycle facts and the UUID.
            let all_value;
            let all_bytes = if driver_prefix == all_prefix {
                v.value()
            } else {
                key.clear();
                key.extend_from_slice(&all_prefix);
                key.extend_from_slice(tail);
                cost.probes += 1;
                all_value = idx.get(key.as_slice())?;
                all_value.as_ref().map_or(&[][..], |g| g.value())
            };
            let Some((facts, uuid)) = index::decode_all_value(all_bytes) else {
                inconsistent("(unnamed)", "an index entry without a valid ALL entry");
                continue;
            };
            if let Some(want) = q.state
                && state_needs_facts
                && facts.state(q.now) != want
            {
                continue;
            }
            if cost.records >= max_records as u64 {
                partial = true;
                break;
            }
            cost.records += 1;
            let Some(stored) = objects.get(uuid)? else {
                inconsistent(uuid, "the index names an object that is not stored");
                continue;
            };
            let rec = match envelope::open(&keys, uuid, stored.value(), false) {
                Ok(rec) => rec,
                Err(StoreError::RecordRejected { uuid, .. }) => {
                    rejected.push(uuid);
                    continue;
                }
                Err(e) => return Err(e),
            };
            // The created stamp names the object in every index: an entry moved onto another
            // object's stamp, or a term the record does not have, is not believed.
            let backed = tail == rec.created.to_be_bytes().as_slice()
                && index::holds_terms(&rec, &wanted)
                && q.state.is_none_or(|s| rec.lifecycle.state(q.now) == s);
            if !backed {
                inconsistent(uuid, "the record does not match the index entry");
                continue;
            }
            let rec = Arc::new(rec);
            if !accept(&rec) {
                continue;
            }
            if total >= q.offset && found.len() < limit {
                found.push(rec);
            }
            total += 1;
            if q.page_only && found.len() >= limit {
                partial = true;
                break;
            }
        }
        result.total = total;
        result.partial = partial;
        result.rejected = rejected;
        for rec in found {
            if rec.lifecycle.destroyed.is_some() {
                result.destroyed.push(rec.uuid.clone());
            }
            result.uuids.push(rec.uuid.clone());
        }
        Ok((result, cost))
    }

    /// Object count and file size.
    pub fn stats(&self) -> Result<StoreStats, StoreError> {
        let objects = self.table(OBJECTS)?.len()?;
        let file_bytes = self
            .inner
            .storage
            .file_len(&self.inner.path)
            .map_err(|source| StoreError::Io {
                what: "database file metadata",
                source,
            })?;
        Ok(StoreStats {
            objects,
            file_bytes,
        })
    }

    /// The highest sequence of this node's own log known durable, as it rises: what a
    /// replicator may ship (0 until unlocked).
    pub fn own_durable(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.own_durable.subscribe()
    }

    /// Resolves once everything readable now is durable (one group through the writer and the
    /// journal sync after it). A replicator reads the records it ships, then waits for this, so
    /// it never ships a state that a crash could still take back (see "Visibility").
    pub async fn barrier(&self) -> Result<(), StoreError> {
        self.commit(Vec::new()).await.map(|_| ())
    }

    /// Totals of the write path since open (groups, journal syncs, checkpoints); reads only
    /// counters, never the database.
    pub fn write_stats(&self) -> WriteStats {
        self.inner.counters.snapshot()
    }

    /// Entries of `origin`'s log after `after_seq` (exclusive), at most `max`, in sequence order.
    /// Entries name objects; a replicator ships their current record from [`Store::get`].
    pub fn log_since(
        &self,
        origin: NodeId,
        after_seq: u64,
        max: usize,
    ) -> Result<Vec<LogEntry>, StoreError> {
        self.inner.keys.get()?;
        let log = self.table(ORIGIN_LOG)?;
        let mut out = Vec::new();
        let Some(start) = after_seq.checked_add(1) else {
            return Ok(out);
        };
        for item in log.range((origin.0, start)..=(origin.0, u64::MAX))? {
            if out.len() >= max {
                break;
            }
            let (k, v) = item?;
            let (_, seq) = k.value();
            let (stamp, op) = StoredLogEntry::decode(v.value())?.into_parts();
            out.push(LogEntry {
                origin,
                seq,
                stamp,
                op,
            });
        }
        Ok(out)
    }

    /// Per origin, the highest contiguous log sequence stored here.
    pub fn version_vector(&self) -> Result<BTreeMap<NodeId, u64>, StoreError> {
        self.inner.keys.get()?;
        let vv = self.table(VERSION_VECTOR)?;
        let mut out = BTreeMap::new();
        for item in vv.iter()? {
            let (k, v) = item?;
            out.insert(NodeId(k.value()), v.value());
        }
        Ok(out)
    }

    /// `Ok` while the group-commit writer runs; [`StoreError::Locked`] before the unlock,
    /// [`StoreError::Closed`] once the store was closed or the writer thread died, when every
    /// commit would fail. No I/O: meant for readiness probes (it does not prove the disk
    /// accepts writes; a failing commit does that).
    pub fn probe_writable(&self) -> Result<(), StoreError> {
        let writer = self.inner.writer.lock().unwrap_or_else(|p| p.into_inner());
        if writer.is_none() && self.inner.tx.get().is_none() {
            return Err(StoreError::Locked);
        }
        match writer.as_ref() {
            Some(h) if !h.is_finished() => Ok(()),
            _ => Err(StoreError::Closed),
        }
    }

    /// Applies `ops` atomically; resolves only once the transaction holding them is durable.
    /// Concurrent commits share one transaction (group commit).
    pub async fn commit(&self, ops: Vec<WriteOp>) -> Result<CommitInfo, StoreError> {
        let rx = self.submit(ops, None)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Validates a commit and queues it for the writer; the receiver gets its durable answer.
    fn submit(
        &self,
        ops: Vec<WriteOp>,
        applied: Option<writer::AppliedSignal>,
    ) -> Result<tokio::sync::oneshot::Receiver<Result<CommitInfo, StoreError>>, StoreError> {
        writer::validate(&ops)?;
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.sender()?
            .send(Msg::Commit(Pending {
                ops,
                reply,
                applied,
            }))
            .map_err(|_| StoreError::Closed)?;
        Ok(rx)
    }

    /// Applies `ops` atomically like [`Store::commit`], but resolves as soon as the group
    /// holding them is applied: visible to reads in this process and in the journal, not yet
    /// synced. The caller must await [`Applied::durable`] before it tells anyone the write
    /// happened; meanwhile it can make other things durable (the audit entry of the same
    /// request), so the two syncs overlap instead of following each other.
    pub async fn commit_applied(&self, ops: Vec<WriteOp>) -> Result<Applied, StoreError> {
        let (applied, applied_rx) = tokio::sync::oneshot::channel();
        let rx = self.submit(ops, Some(applied))?;
        match applied_rx.await {
            Ok(()) => Ok(Applied { reply: rx }),
            // The writer drops the signal unsent when the commit fails; the reply says why.
            Err(_) => match rx.await {
                Ok(Err(e)) => Err(e),
                Ok(Ok(_)) | Err(_) => Err(StoreError::Closed),
            },
        }
    }

    /// Stops accepting writes, waits until every queued commit is durable, and stops the writer.
    /// Other clones of this handle then fail writes with [`StoreError::Closed`].
    pub async fn close(self) {
        let inner = self.inner;
        let joined = tokio::task::spawn_blocking(move || {
            inner.stop_writer();
            drop(inner);
        })
        .await;
        if joined.is_err() {
            tracing::error!("store close task failed");
        }
    }

    /// Full consistency check: every index entry and count matches the objects table.
    /// Reads every object; meant for tests and an operator's integrity check, not the hot path.
    pub fn verify_indexes(&self) -> Result<(), StoreError> {
        let keys = self.inner.keys.get()?;
        let read = self.inner.db.begin_read()?;
        let objects = read.open_table(OBJECTS)?;
        let idx = read.open_table(INDEX)?;
        let counts = read.open_table(INDEX_COUNTS)?;
        let mut expected: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        let mut expected_counts: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
        for item in objects.iter()? {
            let (k, v) = item?;
            let rec = envelope::open(&keys, k.value(), v.value(), false)?;
            if rec.uuid != k.value() {
                return Err(StoreError::IndexInconsistent {
                    reason: format!("object key {} holds record {}", k.value(), rec.uuid),
                });
            }
            for (key, e) in index::entries(&rec) {
                *expected_counts
                    .entry(key[..e.prefix_len].to_vec())
                    .or_default() += 1;
                expected.insert(key, e.value);
            }
        }
        let mut actual = BTreeMap::new();
        for item in idx.iter()? {
            let (k, v) = item?;
            actual.insert(k.value().to_vec(), v.value().to_vec());
        }
        if actual != expected {
            let stale = actual.keys().filter(|k| !expected.contains_key(*k)).count();
            let missing = expected.keys().filter(|k| !actual.contains_key(*k)).count();
            return Err(StoreError::IndexInconsistent {
                reason: format!(
                    "{stale} stale, {missing} missing, {} index entries in total",
                    actual.len()
                ),
            });
        }
        let mut actual_counts = BTreeMap::new();
        for item in counts.iter()? {
            let (k, v) = item?;
            actual_counts.insert(k.value().to_vec(), v.value());
        }
        if actual_counts != expected_counts {
            return Err(StoreError::IndexInconsistent {
                reason: "term counts disagree with the index".to_string(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod at_rest_tests;
#[cfg(test)]
mod replication_tests;
#[cfg(test)]
mod tests;
