//! The journal syncer: makes written journal frames durable, and only then answers their commits.
//!
//! The writer thread applies a group, writes its frame and goes straight on to the next group;
//! this thread runs `fdatasync` and answers every commit whose frame was written before that
//! call began. A group's data is visible to readers of this process from its redb commit, just
//! before its answer (a crash in between loses it, and its caller was never told it succeeded);
//! frames are appended in order and one sync covers all earlier ones, so whatever a later
//! acknowledged commit depends on is durable too. Without this split the writer waited for
//! every sync: measured, that alone cost a quarter of the create rate.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use tokio::sync::{oneshot, watch};

use crate::error::StoreError;
use crate::storage::StoreFile;
use crate::types::CommitInfo;
use crate::write_stats::WriteCounters;

/// An answer to send once the frame holding its commit is durable.
pub(crate) struct Ack {
    /// Where the caller waits.
    pub reply: oneshot::Sender<Result<CommitInfo, StoreError>>,
    /// What the caller is told on success.
    pub info: CommitInfo,
}

#[derive(Default)]
struct State {
    queue: Vec<Ack>,
    /// The highest group whose answers were queued.
    queued_through: u64,
    /// The highest own log sequence in or before that group.
    queued_own: u64,
    syncing: bool,
    stop: bool,
    failed: Option<String>,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    /// The highest group whose frame a returned sync covered.
    durable: AtomicU64,
    /// The highest own log sequence a returned sync covered, for the replicator.
    own_durable: Arc<watch::Sender<u64>>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Handle of the syncer thread, owned by the writer.
pub(crate) struct Syncer {
    shared: Arc<Shared>,
    handle: Option<JoinHandle<()>>,
}

fn fail_all(acks: Vec<Ack>, reason: &str) {
    for a in acks {
        let _ = a.reply.send(Err(StoreError::Commit {
            reason: format!("not durable: {reason}"),
        }));
    }
}

impl Syncer {
    /// Starts the thread; `file` is the journal (another handle of the writer's file) and
    /// groups up to `durable` are durable already.
    pub fn spawn(
        file: Arc<dyn StoreFile>,
        counters: Arc<WriteCounters>,
        durable: u64,
        own_durable: Arc<watch::Sender<u64>>,
    ) -> std::io::Result<Syncer> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            durable: AtomicU64::new(durable),
            own_durable,
        });
        let theirs = Arc::clone(&shared);
        let handle = std::thread::Builder::new()
            .name("store-syncer".to_string())
            .spawn(move || run(&theirs, file.as_ref(), &counters))?;
        Ok(Syncer {
            shared,
            handle: Some(handle),
        })
    }

    /// Queues answers for the commits of `group`, whose frame is written; `own` is the highest
    /// sequence of this node's own log in or before it. If the syncer has failed, nothing is
    /// durable any more: the answers are errors, and so is the result.
    pub fn submit(&self, group: u64, own: u64, acks: Vec<Ack>) -> Result<(), String> {
        let mut st = self.shared.lock();
        if let Some(reason) = st.failed.clone() {
            drop(st);
            fail_all(acks, &reason);
            return Err(reason);
        }
        st.queue.extend(acks);
        st.queued_through = st.queued_through.max(group);
        st.queued_own = st.queued_own.max(own);
        drop(st);
        self.shared.changed.notify_all();
        Ok(())
    }

    /// The highest group known durable: every frame up to its frame was covered by a sync
    /// that returned (the watermark written into each new frame).
    pub fn durable_through(&self) -> u64 {
        self.shared.durable.load(Ordering::Acquire)
    }

    /// Waits until every queued answer was sent; `Err` if a sync failed.
    pub fn drain(&self) -> Result<(), String> {
        let mut st = self.shared.lock();
        while st.failed.is_none() && (st.syncing || !st.queue.is_empty()) {
            st = self
                .shared
                .changed
                .wait(st)
                .unwrap_or_else(|p| p.into_inner());
        }
        st.failed.clone().map_or(Ok(()), Err)
    }
}

impl Drop for Syncer {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.changed.notify_all();
        if let Some(h) = self.handle.take()
            && h.join().is_err()
        {
            tracing::error!("store syncer thread panicked");
        }
    }
}

fn run(shared: &Shared, file: &dyn StoreFile, counters: &WriteCounters) {
    loop {
        let batch = {
            let mut st = shared.lock();
            while st.queue.is_empty() && !st.stop {
                st = shared.changed.wait(st).unwrap_or_else(|p| p.into_inner());
            }
            if st.queue.is_empty() {
                // Stopping with nothing left to answer.
                return;
            }
            st.syncing = true;
            (
                std::mem::take(&mut st.queue),
                st.queued_through,
                st.queued_own,
            )
        };
        let (batch, through, own) = batch;
        let began = std::time::Instant::now();
        let synced = file.sync_data();
        counters.journal_sync(began.elapsed());
        let mut st = shared.lock();
        st.syncing = false;
        match synced {
            Ok(()) => {
                shared.durable.fetch_max(through, Ordering::AcqRel);
                drop(st);
                shared.own_durable.send_if_modified(|v| {
                    let raised = own > *v;
                    *v = (*v).max(own);
                    raised
                });
                for a in batch {
                    let _ = a.reply.send(Ok(a.info));
                }
                shared.changed.notify_all();
            }
            Err(e) => {
                // After a failed fsync the kernel may have dropped the dirty pages: nothing
                // written so far can be called durable, now or by a later sync.
                let reason = format!("commit journal sync failed: {e}");
                tracing::error!(%reason, "store can no longer make writes durable");
                let queued = std::mem::take(&mut st.queue);
                st.failed = Some(reason.clone());
                drop(st);
                fail_all(batch, &reason);
                fail_all(queued, &reason);
                shared.changed.notify_all();
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;

    fn ack(seq: u64) -> (Ack, oneshot::Receiver<Result<CommitInfo, StoreError>>) {
        let (reply, rx) = oneshot::channel();
        let info = CommitInfo {
            seqs: vec![seq],
            group_size: 1,
        };
        (Ack { reply, info }, rx)
    }

    #[test]
    fn answers_once_synced_and_drains() {
        let file = tempfile::tempfile().expect("file");
        let counters = Arc::new(WriteCounters::default());
        let syncer =
            Syncer::spawn(Arc::new(file), Arc::clone(&counters), 4, Arc::default()).expect("spawn");
        assert_eq!(syncer.durable_through(), 4);
        let (a, mut ra) = ack(1);
        let (b, mut rb) = ack(2);
        syncer.submit(5, 0, vec![a]).expect("submit");
        syncer.submit(6, 0, vec![b]).expect("submit");
        syncer.drain().expect("drain");
        assert_eq!(syncer.durable_through(), 6);
        assert_eq!(ra.try_recv().expect("answered").expect("ok").seqs, [1]);
        assert_eq!(rb.try_recv().expect("answered").expect("ok").seqs, [2]);
        assert!(counters.snapshot().journal_syncs >= 1);
    }

    #[test]
    fn a_failed_sync_fails_its_commits_and_every_later_one() {
        // fdatasync on a character device fails (EINVAL): a stand-in for a disk error.
        let file = File::open("/dev/null").expect("/dev/null");
        assert!(
            file.sync_data().is_err(),
            "premise: syncing /dev/null fails"
        );
        let syncer =
            Syncer::spawn(Arc::new(file), Arc::default(), 0, Arc::default()).expect("spawn");
        let (a, mut ra) = ack(1);
        syncer
            .submit(1, 0, vec![a])
            .expect("queued before the failure is known");
        let reason = syncer.drain().expect_err("the sync failed");
        assert!(reason.contains("sync failed"), "{reason}");
        assert!(matches!(
            ra.try_recv().expect("answered"),
            Err(StoreError::Commit { .. })
        ));
        let (b, mut rb) = ack(2);
        assert!(syncer.submit(2, 0, vec![b]).is_err());
        assert_eq!(
            syncer.durable_through(),
            0,
            "a failed sync makes nothing durable"
        );
        assert!(rb.try_recv().expect("answered").is_err());
    }
}
