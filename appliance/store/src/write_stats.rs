//! Running totals of the write path (groups, journal syncs, checkpoints), kept in atomics by
//! the writer and syncer threads so a metrics scrape reads them without touching redb.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Totals since the store was opened, for metrics: the mean group size is
/// `commits / groups`, and the share of time the writer stood still for checkpoints is the
/// rate of `checkpoint_seconds`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct WriteStats {
    /// Durable transactions written (one journal frame each).
    pub groups: u64,
    /// Commits carried by those transactions.
    pub commits: u64,
    /// `fdatasync` calls on the journal.
    pub journal_syncs: u64,
    /// Time spent in them.
    pub journal_sync_seconds: f64,
    /// Checkpoints completed (durable redb commit, journal emptied).
    pub checkpoints: u64,
    /// Time the writer spent in checkpoints, during which no group is applied.
    pub checkpoint_seconds: f64,
}

/// The counters behind [`WriteStats`].
#[derive(Debug, Default)]
pub(crate) struct WriteCounters {
    groups: AtomicU64,
    commits: AtomicU64,
    journal_syncs: AtomicU64,
    journal_sync_nanos: AtomicU64,
    checkpoints: AtomicU64,
    checkpoint_nanos: AtomicU64,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl WriteCounters {
    /// One group of `commits` commits was applied and its frame written.
    pub fn group(&self, commits: usize) {
        self.groups.fetch_add(1, Ordering::Relaxed);
        self.commits.fetch_add(
            u64::try_from(commits).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// One journal sync took `took`.
    pub fn journal_sync(&self, took: Duration) {
        self.journal_syncs.fetch_add(1, Ordering::Relaxed);
        self.journal_sync_nanos
            .fetch_add(nanos(took), Ordering::Relaxed);
    }

    /// One checkpoint completed after `took`.
    pub fn checkpoint(&self, took: Duration) {
        self.checkpoints.fetch_add(1, Ordering::Relaxed);
        self.checkpoint_nanos
            .fetch_add(nanos(took), Ordering::Relaxed);
    }

    /// The totals now (each counter read on its own: a scrape may see one group ahead of its
    /// commits, which is fine for rates).
    pub fn snapshot(&self) -> WriteStats {
        let secs = |n: &AtomicU64| n.load(Ordering::Relaxed) as f64 / 1e9;
        WriteStats {
            groups: self.groups.load(Ordering::Relaxed),
            commits: self.commits.load(Ordering::Relaxed),
            journal_syncs: self.journal_syncs.load(Ordering::Relaxed),
            journal_sync_seconds: secs(&self.journal_sync_nanos),
            checkpoints: self.checkpoints.load(Ordering::Relaxed),
            checkpoint_seconds: secs(&self.checkpoint_nanos),
        }
    }
}
