//! A bounded pool for CPU-heavy work (private-key operations), off the async workers.
//!
//! An RSA-4096 signature takes milliseconds of one core; run on an async worker it stalls every
//! connection that worker serves, and a burst of them would stall them all. Such work runs on
//! tokio's blocking threads instead, at most one per core at a time, so the async workers keep
//! answering cheap requests (Get, AES Encrypt) while the pool is busy.

use std::sync::Arc;

use crate::OpError;
use prometheus_client::metrics::counter::Counter;
use tokio::sync::Semaphore;

/// The pool of one key service; clones share it.
#[derive(Clone, Debug)]
pub(crate) struct CpuPool {
    permits: Arc<Semaphore>,
    /// Jobs run, for `/metrics` (and the tests that show which operations use the pool).
    jobs: Counter,
}

impl CpuPool {
    /// A pool as wide as the machine has cores.
    pub(crate) fn new() -> CpuPool {
        CpuPool::with_width(std::thread::available_parallelism().map_or(2, std::num::NonZero::get))
    }

    /// A pool running at most `width` jobs at once.
    pub(crate) fn with_width(width: usize) -> CpuPool {
        CpuPool {
            permits: Arc::new(Semaphore::new(width.max(1))),
            jobs: Counter::default(),
        }
    }

    /// The same pool, counting its jobs in `jobs`.
    pub(crate) fn counting(mut self, jobs: Counter) -> CpuPool {
        self.jobs = jobs;
        self
    }

    /// Runs `work` on a blocking thread once a slot is free.
    pub(crate) async fn run<T, F>(&self, work: F) -> Result<T, OpError>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, OpError> + Send + 'static,
    {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| OpError::Unavailable("key service is shutting down".to_owned()))?;
        self.jobs.inc();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|e| OpError::Failed(format!("cryptographic task failed: {e}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;
    use std::time::Duration;

    /// On a runtime with one thread, two jobs that each wait for the other still finish: they
    /// run on threads of their own, not on the async worker.
    #[test]
    fn jobs_run_off_the_async_worker_and_at_most_width_at_once() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let pool = Arc::new(CpuPool::with_width(2));
            let (to_b, from_a) = mpsc::channel::<()>();
            let (to_a, from_b) = mpsc::channel::<()>();
            let rendezvous = |tx: mpsc::Sender<()>, rx: mpsc::Receiver<()>| {
                move || {
                    tx.send(()).ok();
                    rx.recv_timeout(Duration::from_secs(30))
                        .map_err(|_| OpError::Failed("the other job never ran".to_owned()))
                }
            };
            let (a, b) = tokio::join!(
                pool.run(rendezvous(to_b, from_b)),
                pool.run(rendezvous(to_a, from_a))
            );
            a.unwrap();
            b.unwrap();

            let running = Arc::new(AtomicUsize::new(0));
            let most = Arc::new(AtomicUsize::new(0));
            let jobs: Vec<_> = (0..8)
                .map(|_| {
                    let (running, most, pool) =
                        (Arc::clone(&running), Arc::clone(&most), Arc::clone(&pool));
                    tokio::spawn(async move {
                        pool.run(move || {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(5));
                            running.fetch_sub(1, Ordering::SeqCst);
                            Ok(())
                        })
                        .await
                    })
                })
                .collect();
            for job in jobs {
                job.await.unwrap().unwrap();
            }
            let most = most.load(Ordering::SeqCst);
            assert!(most <= 2, "ran {most} at once, over the width of 2");
        });
    }
}
