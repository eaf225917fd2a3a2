//! The accept loop shared by the listeners: connection limit, the handshake limits of
//! [`crate::admission`], task tracking, graceful drain.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tracing::{debug, error, info, warn};

use crate::admission::{Admission, Handshake};
use crate::metrics::{Listener, ListenerMetrics};

/// At most one warning per interval about rejected connections, so a flood cannot flood the log.
const REJECTION_LOG_INTERVAL: Duration = Duration::from_secs(1);

/// Pause after an accept error (e.g. out of file descriptors) so the loop does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// A shutdown signal every task can wait on; cloning is cheap.
#[derive(Clone, Debug)]
pub struct Shutdown(watch::Receiver<bool>);

/// The sending side of [`Shutdown`].
#[derive(Debug)]
pub struct ShutdownTrigger(watch::Sender<bool>);

impl Shutdown {
    /// A new signal, not yet triggered.
    pub fn new() -> (ShutdownTrigger, Shutdown) {
        let (tx, rx) = watch::channel(false);
        (ShutdownTrigger(tx), Shutdown(rx))
    }

    /// Resolves once shutdown has been triggered (at once if it already was).
    pub async fn wait(&mut self) {
        // An error means the trigger was dropped, which also means: stop.
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

impl ShutdownTrigger {
    /// Tells every waiter to stop.
    pub fn trigger(&self) {
        self.0.send_replace(true);
    }
}

/// One listening socket with its limit and metrics.
#[derive(Debug)]
pub struct AcceptLoop {
    /// Which listener, for logs.
    pub name: Listener,
    /// The bound socket.
    pub tcp: TcpListener,
    /// Most concurrent connections.
    pub max_connections: usize,
    /// Limits on connections still in their TLS handshake.
    pub admission: Arc<Admission>,
    /// Its metrics.
    pub metrics: ListenerMetrics,
    /// How long open connections may finish after shutdown.
    pub grace: Duration,
}

impl AcceptLoop {
    /// Accepts until shutdown, runs `serve` on each connection within the limit, then waits
    /// up to the grace period for open connections and aborts the rest.
    pub async fn run<F, Fut>(self, mut shutdown: Shutdown, serve: F)
    where
        F: Fn(TcpStream, SocketAddr, Shutdown, Handshake) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let limit = Arc::new(Semaphore::new(self.max_connections));
        let mut tasks = JoinSet::new();
        let mut rejections = RejectionLog::default();
        let name = self.name;
        loop {
            tokio::select! {
                biased;
                () = shutdown.wait() => break,
                Some(done) = tasks.join_next(), if !tasks.is_empty() => log_task_end(name, done),
                accepted = self.tcp.accept() => {
                    let (tcp, peer) = match accepted {
                        Ok(accepted) => accepted,
                        Err(e) => {
                            warn!(listener = ?name, error = %e, "accept failed");
                            tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                            continue;
                        }
                    };
                    let Ok(permit) = Arc::clone(&limit).try_acquire_owned() else {
                        self.metrics.rejected.inc();
                        rejections.log(name, peer, "connection limit reached");
                        drop(tcp);
                        continue;
                    };
                    let handshake = match self.admission.admit(peer.ip()) {
                        Ok(handshake) => handshake,
                        Err(refusal) => {
                            self.metrics.rejected.inc();
                            rejections.log(name, peer, refusal.as_str());
                            drop(tcp);
                            continue;
                        }
                    };
                    if let Err(e) = tcp.set_nodelay(true) {
                        debug!(listener = ?name, %peer, error = %e, "cannot set TCP_NODELAY");
                    }
                    let connection = serve(tcp, peer, shutdown.clone(), handshake);
                    tasks.spawn(async move {
                        connection.await;
                        drop(permit);
                    });
                }
            }
        }
        drop(self.tcp);
        if !tasks.is_empty() {
            info!(listener = ?name, open = tasks.len(), "draining connections");
        }
        let drained = tokio::time::timeout(self.grace, async {
            while let Some(done) = tasks.join_next().await {
                log_task_end(name, done);
            }
        })
        .await;
        if drained.is_err() {
            warn!(listener = ?name, open = tasks.len(), "grace period over, aborting connections");
            tasks.shutdown().await;
        }
    }
}

/// Rate-limited logging of connections refused at the limit (the metric counts every one).
#[derive(Debug, Default)]
struct RejectionLog {
    last: Option<Instant>,
    suppressed: u64,
}

impl RejectionLog {
    fn log(&mut self, name: Listener, peer: SocketAddr, why: &'static str) {
        let now = Instant::now();
        if self
            .last
            .is_some_and(|last| now.duration_since(last) < REJECTION_LOG_INTERVAL)
        {
            self.suppressed += 1;
            return;
        }
        warn!(listener = ?name, %peer, why, suppressed_since_last = self.suppressed,
            "closing new connection");
        self.last = Some(now);
        self.suppressed = 0;
    }
}

fn log_task_end(name: Listener, done: Result<(), tokio::task::JoinError>) {
    if let Err(e) = done
        && e.is_panic()
    {
        error!(listener = ?name, "connection task panicked");
    }
}
