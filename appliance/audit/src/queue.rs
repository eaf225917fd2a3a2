//! The hand-off between request tasks and the writer thread: a bounded queue, and the
//! notification that answers durable appends once they are synced.
//!
//! An append takes a slot (waiting asynchronously when the queue is full), pushes its entry
//! under one short lock and gets a ticket, its place in the single total order. The writer
//! swaps the whole queue out at once and, after each sync, publishes the last ticket it
//! covers; a durable append waits until its ticket is published. No append allocates: no
//! channel per entry, no reply slot.
//!
//! Batched entries (reads) are not taken the moment they arrive: the writer lets them gather
//! for up to the write delay, or until a durable entry or a sizeable batch is queued. Waking
//! the writer per entry cost a futex wake, a context switch and a `write` per Get or Encrypt,
//! about a third of kmsd's CPU per read on two cores (measured with perf under the bench);
//! now a read pays for at most a share of two wake-ups per delay.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, Semaphore};

use crate::entry::AuditEntry;
use crate::error::AuditError;

/// What one [`Handoff::take`] handed to the writer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Taken {
    /// Entries taken.
    pub count: usize,
    /// True when one of them is durable.
    pub any_durable: bool,
    /// When the oldest of them was queued.
    pub first_at: Option<Instant>,
    /// Ticket of the last entry ever taken.
    pub last_ticket: u64,
    /// Close was asked: nothing more will be queued.
    pub closing: bool,
}

/// Totals of the write path, read by [`crate::AuditLog::stats`].
#[derive(Default)]
pub(crate) struct Counters {
    /// Sequence number of the last entry written.
    pub last_seq: AtomicU64,
    /// Sequence number of the last entry synced.
    pub synced_seq: AtomicU64,
    /// `fdatasync` calls on segments.
    pub syncs: AtomicU64,
    /// Writes to segments.
    pub writes: AtomicU64,
    /// Checkpoints written (opening ones included).
    pub checkpoints: AtomicU64,
    /// Number of the segment written to.
    pub segment: AtomicU64,
}

impl Counters {
    /// Sets a counter (only the writer thread writes them).
    pub fn set(counter: &AtomicU64, v: u64) {
        counter.store(v, Ordering::Relaxed);
    }

    /// Adds one.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Entries a queue buffer holds before it first grows.
pub(crate) const INITIAL_BATCH: usize = 1024;

struct State {
    items: Vec<AuditEntry>,
    /// Ticket of the next append; tickets start at 1.
    next_ticket: u64,
    any_durable: bool,
    first_at: Option<Instant>,
    /// The writer waits on `wake`; only then does an append pay for a notify, and only when
    /// the writer has something to do now (see [`Handoff::append`]).
    writer_idle: bool,
    closing: bool,
}

/// Shared between [`crate::AuditLog`] and its writer thread.
pub(crate) struct Handoff {
    state: Mutex<State>,
    wake: Condvar,
    /// Free queue slots.
    room: Semaphore,
    /// Longest time a batched entry waits in the queue before the writer takes it.
    write_delay: Duration,
    /// Queue length at which the writer takes batched entries without waiting for the delay.
    wake_at: usize,
    /// Tickets up to this one are synced.
    synced_ticket: AtomicU64,
    synced: Notify,
    failure: OnceLock<String>,
    /// Write-path totals.
    pub counters: Counters,
}

impl Handoff {
    /// An empty hand-off with room for `capacity` entries, whose batched entries wait for the
    /// writer at most `write_delay`.
    pub fn new(capacity: usize, write_delay: Duration) -> Handoff {
        Handoff {
            state: Mutex::new(State {
                // Grows to the busiest batch seen, then the writer swaps the same two buffers.
                items: Vec::with_capacity(capacity.min(INITIAL_BATCH)),
                next_ticket: 1,
                any_durable: false,
                first_at: None,
                writer_idle: false,
                closing: false,
            }),
            wake: Condvar::new(),
            room: Semaphore::new(capacity),
            write_delay,
            // Half the queue at most, so appends never wait for room while the writer sleeps.
            wake_at: (capacity / 2).clamp(1, INITIAL_BATCH),
            synced_ticket: AtomicU64::new(0),
            synced: Notify::new(),
            failure: OnceLock::new(),
            counters: Counters::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Why nothing more is accepted.
    fn stopped(&self) -> AuditError {
        match self.failure.get() {
            Some(reason) => AuditError::Failed {
                reason: reason.clone(),
            },
            None => AuditError::Closed,
        }
    }

    /// Queues an entry; a durable one is answered once synced.
    pub async fn append(&self, entry: AuditEntry, durable: bool) -> Result<(), AuditError> {
        let permit = self.room.acquire().await.map_err(|_| self.stopped())?;
        // The writer gives the slot back when it takes the entry.
        permit.forget();
        let (ticket, wake) = {
            let mut st = self.lock();
            if st.closing {
                drop(st);
                return Err(self.stopped());
            }
            let first = st.items.is_empty();
            if first {
                st.first_at = Some(Instant::now());
            }
            st.items.push(entry);
            st.any_durable |= durable;
            let ticket = st.next_ticket;
            st.next_ticket += 1;
            // The first entry of a batch wakes the writer so that it starts the delay's timer;
            // later batched ones ride along without a wake-up until the batch is large.
            let wake = st.writer_idle && (durable || first || st.items.len() >= self.wake_at);
            if wake {
                st.writer_idle = false;
            }
            (ticket, wake)
        };
        if wake {
            self.wake.notify_one();
        }
        if durable {
            self.wait_synced(ticket).await
        } else {
            Ok(())
        }
    }

    /// Makes every entry queued so far durable: written and synced, as if the last of them
    /// had been a durable append.
    pub async fn sync_all(&self) -> Result<(), AuditError> {
        let (ticket, wake) = {
            let mut st = self.lock();
            if st.closing {
                drop(st);
                return Err(self.stopped());
            }
            let ticket = st.next_ticket - 1;
            if self.synced_ticket.load(Ordering::Acquire) >= ticket {
                return Ok(());
            }
            st.any_durable = true;
            (ticket, std::mem::take(&mut st.writer_idle))
        };
        if wake {
            self.wake.notify_one();
        }
        self.wait_synced(ticket).await
    }

    async fn wait_synced(&self, ticket: u64) -> Result<(), AuditError> {
        loop {
            // Registered before the check, so a sync published after it wakes this waiter.
            let notified = self.synced.notified();
            if self.synced_ticket.load(Ordering::Acquire) >= ticket {
                return Ok(());
            }
            if let Some(reason) = self.failure.get() {
                return Err(AuditError::Failed {
                    reason: reason.clone(),
                });
            }
            notified.await;
        }
    }

    /// For the writer: waits until there is work, then moves every queued entry into `into`
    /// (empty on entry) and frees their slots. Work is: close was asked, a durable entry or a
    /// sync was asked, the queue holds a large batch, its oldest entry waited the write delay,
    /// or `deadline` (the writer's own sync or checkpoint timer) passed.
    pub fn take(&self, into: &mut Vec<AuditEntry>, deadline: Option<Instant>) -> Taken {
        let mut st = self.lock();
        loop {
            if st.closing || st.any_durable || st.items.len() >= self.wake_at {
                break;
            }
            let now = Instant::now();
            let due = st.first_at.and_then(|t| t.checked_add(self.write_delay));
            let until = match (due, deadline) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            if until.is_some_and(|u| u <= now) {
                break;
            }
            st.writer_idle = true;
            st = match until {
                Some(u) => {
                    self.wake
                        .wait_timeout(st, u - now)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
                None => self.wake.wait(st).unwrap_or_else(|p| p.into_inner()),
            };
            st.writer_idle = false;
        }
        std::mem::swap(&mut st.items, into);
        let taken = Taken {
            count: into.len(),
            any_durable: std::mem::take(&mut st.any_durable),
            first_at: st.first_at.take(),
            last_ticket: st.next_ticket - 1,
            closing: st.closing,
        };
        drop(st);
        if taken.count > 0 {
            self.room.add_permits(taken.count);
        }
        taken
    }

    /// For the writer: every entry up to `ticket` is synced.
    pub fn mark_synced(&self, ticket: u64) {
        if self.synced_ticket.fetch_max(ticket, Ordering::AcqRel) < ticket {
            self.synced.notify_waiters();
        }
    }

    /// Stops accepting entries; the writer drains what is queued.
    pub fn request_close(&self) {
        self.lock().closing = true;
        self.room.close();
        self.wake.notify_all();
    }

    /// For the writer: it stopped on `reason`; every waiting and later append fails with it.
    pub fn fail(&self, reason: String) {
        let _ = self.failure.set(reason);
        let dropped = {
            let mut st = self.lock();
            st.closing = true;
            std::mem::take(&mut st.items)
        };
        drop(dropped);
        self.room.close();
        self.synced.notify_waiters();
        self.wake.notify_all();
    }

    /// The failure that stopped the writer, if any.
    pub fn failure(&self) -> Option<&str> {
        self.failure.get().map(String::as_str)
    }
}
