//! The replicator of one node: one task owns the replication core and carries out what it
//! decides; another applies received entries through the store's writer, in order.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use keywarden_cluster::wire::{self, Message};
use keywarden_cluster::{
    AckLevel, Action, Apply, ConnId, Degraded, Member, Reached, Replica, SnapshotApply,
    VersionVector,
};
use keywarden_store::{NodeId, Store, WriteOp};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use crate::config::{NetConfig, PeerAddress};
use crate::error::NetError;
use crate::links;
use crate::metrics::{self, Metrics};
use crate::source::{StoreSource, replicated, snapshot};

/// What the links, the apply task and the API tell the core task.
pub(crate) enum Event {
    Opened {
        conn: ConnId,
        peer: NodeId,
        frames: mpsc::Sender<Vec<u8>>,
    },
    Frame {
        conn: ConnId,
        msg: Message,
    },
    Closed {
        conn: ConnId,
    },
    LocalDurable(u64),
    Applied {
        origin: NodeId,
        through: u64,
    },
    ApplyFailed {
        origin: NodeId,
        first_seq: u64,
        reason: String,
    },
    SnapshotApplied {
        from: NodeId,
        page: u32,
        done: Option<VersionVector>,
    },
    SnapshotFailed {
        from: NodeId,
        reason: String,
    },
    AddMember(PeerAddress),
    RemoveMember(NodeId),
}

/// Received state for the apply task, in the order the core handed it out.
pub(crate) enum Job {
    Entries(Apply),
    Snapshot(SnapshotApply),
}

/// What the replicator shows the rest of the node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// Levels reached by this node's own writes.
    pub reached: Reached,
    /// Peers with a greeted link.
    pub connected: Vec<NodeId>,
    /// Everything held durably here.
    pub durable: VersionVector,
    /// Why operations that need a majority of sites must fail now, if they must.
    pub degraded: Option<Degraded>,
}

/// A running replicator; stopped by [`Replicator::shutdown`] or on drop.
pub struct Replicator {
    events: mpsc::UnboundedSender<Event>,
    metrics: Metrics,
    status: watch::Receiver<Status>,
    tasks: Vec<JoinHandle<()>>,
    /// Where it listens (the port chosen when the configuration said 0).
    pub local_addr: std::net::SocketAddr,
}

impl Replicator {
    /// Validates `config`, binds the listener, and starts the core, the apply task and one
    /// dialer per peer with a higher node id.
    pub async fn start(config: NetConfig, store: Arc<Store>) -> Result<Replicator, NetError> {
        config.validate()?;
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| NetError::Bind {
                addr: config.listen,
                source,
            })?;
        Self::start_on(listener, config, store).await
    }

    /// [`Replicator::start`] on a listener already bound (`config.listen` is not used): a
    /// harness binds every node's listener first, to know the addresses before any starts.
    pub async fn start_on(
        listener: TcpListener,
        config: NetConfig,
        store: Arc<Store>,
    ) -> Result<Replicator, NetError> {
        config.validate()?;
        let local_addr = listener.local_addr().map_err(|source| NetError::Bind {
            addr: config.listen,
            source,
        })?;
        let durable: VersionVector = store.version_vector()?.into_iter().collect();
        let replica = Replica::new(config.replica(), durable.clone());
        let config = Arc::new(config);
        let (events, rx) = mpsc::unbounded_channel();
        let (status_tx, status) = watch::channel(Status {
            durable,
            ..Status::default()
        });
        let (apply_tx, apply_rx) = mpsc::unbounded_channel();
        let metrics = Metrics::default();
        let tasks = vec![
            tokio::spawn(core(
                replica,
                Arc::clone(&store),
                rx,
                apply_tx,
                status_tx,
                Arc::clone(&config),
                events.clone(),
                metrics.clone(),
            )),
            tokio::spawn(own_durable(store.own_durable(), events.clone())),
            tokio::spawn(apply(store, apply_rx, events.clone(), metrics.clone())),
            tokio::spawn(links::listen(listener, Arc::clone(&config), events.clone())),
        ];
        Ok(Replicator {
            events,
            metrics,
            status,
            tasks,
            local_addr,
        })
    }

    /// A member joined the cluster: links with it are accepted from now on (and dialled, when
    /// its id is the higher).
    pub fn add_member(&self, peer: PeerAddress) {
        let _ = self.events.send(Event::AddMember(peer));
    }

    /// Registers the replication metrics (`replication_*`) in `registry`.
    pub fn register_metrics(&self, registry: &mut prometheus_client::registry::Registry) {
        self.metrics.register(registry);
    }

    /// A member left the cluster: its link closes, it is no longer dialled, a Hello from it is
    /// refused, and it no longer holds back log truncation.
    pub fn remove_member(&self, node: NodeId) {
        let _ = self.events.send(Event::RemoveMember(node));
    }

    /// The current status.
    pub fn status(&self) -> Status {
        self.status.borrow().clone()
    }

    /// Waits until own write `seq` reached `level`, at most `within`; returns the level it
    /// reached.
    pub async fn wait_level(&self, seq: u64, level: AckLevel, within: Duration) -> AckLevel {
        let level_of = |s: &Status| {
            if seq <= s.reached.multi_site {
                AckLevel::MultiSite
            } else if seq <= s.reached.site {
                AckLevel::Site
            } else {
                AckLevel::Local
            }
        };
        let mut status = self.status.clone();
        let wait = status.wait_for(|s| level_of(s) >= level);
        let reached = match tokio::time::timeout(within, wait).await {
            Ok(Ok(s)) => level_of(&s),
            _ => level_of(&self.status.borrow()),
        };
        let name = match reached {
            AckLevel::Local => "local",
            AckLevel::Site => "site",
            AckLevel::MultiSite => "multi-site",
        };
        self.metrics
            .acknowledged
            .get_or_create(&vec![("level".to_owned(), name.to_owned())])
            .inc();
        reached
    }

    /// Stops every task; links close.
    pub async fn shutdown(mut self) {
        for t in self.tasks.drain(..) {
            t.abort();
            let _ = t.await;
        }
    }
}

impl Drop for Replicator {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

struct Links {
    frames: HashMap<ConnId, (NodeId, mpsc::Sender<Vec<u8>>)>,
    metrics: Metrics,
}

impl Links {
    /// Carries out `actions`: frames to their links, applies to the apply task.
    fn carry_out(
        &mut self,
        replica: &mut Replica,
        actions: Vec<Action>,
        apply: &mpsc::UnboundedSender<Job>,
    ) {
        for action in actions {
            match action {
                Action::Send { conn, version, msg } => {
                    let Some((peer, tx)) = self.frames.get(&conn) else {
                        continue;
                    };
                    let frame = match wire::encode(&msg, version) {
                        Ok(f) => f,
                        Err(e) => {
                            warn!(peer = %peer, error = %e, "replication message not encodable");
                            continue;
                        }
                    };
                    if tx.try_send(frame).is_err() {
                        // Stuck or gone: the link closes; the peer catches up on the next one.
                        warn!(peer = %peer, "peer link send queue full, closing it");
                        self.frames.remove(&conn);
                        replica.closed(conn);
                    }
                }
                Action::Apply(a) => {
                    let _ = apply.send(Job::Entries(a));
                }
                Action::ApplySnapshot(a) => {
                    let _ = apply.send(Job::Snapshot(a));
                }
                Action::Close { conn, error } => {
                    if let Some((peer, _)) = self.frames.remove(&conn) {
                        warn!(peer = %peer, %error, "closing peer link");
                    }
                    replica.closed(conn);
                }
                Action::SnapshotStarted { peer, origin } => {
                    self.metrics.snapshots_started.inc();
                    tracing::info!(%peer, %origin, "peer is behind this node's log of that origin: sending it a snapshot");
                }
                Action::SourceFailed { peer, reason } => {
                    warn!(%peer, reason, "reading the store for a peer failed");
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)] // one task's whole wiring, spelled out once
async fn core(
    mut replica: Replica,
    store: Arc<Store>,
    mut rx: mpsc::UnboundedReceiver<Event>,
    apply: mpsc::UnboundedSender<Job>,
    status: watch::Sender<Status>,
    config: Arc<NetConfig>,
    events: mpsc::UnboundedSender<Event>,
    metrics: Metrics,
) {
    let started = Instant::now();
    let mut last_metrics: Option<Instant> = None;
    let mut links = Links {
        frames: HashMap::new(),
        metrics: metrics.clone(),
    };
    let mut ticker = tokio::time::interval(config.tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut truncated = VersionVector::new();
    let mut last_truncation = Instant::now();
    // One dialer per member with a higher id (the lower id dials).
    let dial = |peer: PeerAddress| {
        AbortOnDrop(tokio::spawn(links::dial(
            peer,
            Arc::clone(&config),
            events.clone(),
        )))
    };
    let mut dialers: HashMap<NodeId, AbortOnDrop> = config
        .peers
        .iter()
        .filter(|p| p.member.node > config.me.node)
        .map(|p| (p.member.node, dial(p.clone())))
        .collect();
    loop {
        let first = tokio::select! {
            ev = rx.recv() => match ev {
                Some(ev) => Some(ev),
                None => break,
            },
            _ = ticker.tick() => None,
        };
        replica.tick(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
        let mut next = first;
        // Everything queued is taken before the next poll, so a burst costs one read pass.
        loop {
            if let Some(ev) = next.take() {
                let actions = match ev {
                    Event::Opened { conn, peer, frames } => {
                        links.frames.insert(conn, (peer, frames));
                        vec![replica.open(conn, Some(peer))]
                    }
                    Event::Frame { conn, msg } => replica.receive(conn, msg),
                    Event::Closed { conn } => {
                        links.frames.remove(&conn);
                        replica.closed(conn);
                        vec![]
                    }
                    Event::LocalDurable(seq) => {
                        replica.local_durable(seq);
                        vec![]
                    }
                    Event::Applied { origin, through } => {
                        replica.applied(origin, through);
                        vec![]
                    }
                    Event::ApplyFailed {
                        origin,
                        first_seq,
                        reason,
                    } => {
                        warn!(%origin, first_seq, reason, "replicated entries not applied; asking peers again");
                        replica.apply_failed(origin, first_seq);
                        vec![]
                    }
                    Event::SnapshotApplied { from, page, done } => {
                        replica.snapshot_applied(from, page, done.as_ref())
                    }
                    Event::SnapshotFailed { from, reason } => {
                        warn!(%from, reason, "snapshot page not applied; its sender starts over");
                        replica.snapshot_failed(from);
                        vec![]
                    }
                    Event::AddMember(peer) => {
                        replica.add_member(Member {
                            node: peer.member.node,
                            site: peer.member.site.clone(),
                        });
                        if peer.member.node > config.me.node {
                            let node = peer.member.node;
                            dialers.entry(node).or_insert_with(|| dial(peer));
                        }
                        vec![]
                    }
                    Event::RemoveMember(node) => {
                        dialers.remove(&node);
                        replica.remove_member(node)
                    }
                };
                links.carry_out(&mut replica, actions, &apply);
            }
            match rx.try_recv() {
                Ok(ev) => next = Some(ev),
                Err(_) => break,
            }
        }
        let actions = replica.poll(&StoreSource(&store));
        let ships = actions.iter().any(|a| {
            matches!(
                a,
                Action::Send {
                    msg: Message::Entries(_) | Message::SnapshotPage(_),
                    ..
                }
            )
        });
        // Records were read as visible; they leave only once durable.
        if ships && let Err(e) = store.barrier().await {
            warn!(error = %e, "store barrier failed; nothing is shipped");
            continue;
        }
        links.carry_out(&mut replica, actions, &apply);
        if last_truncation.elapsed() >= config.truncate_every {
            last_truncation = Instant::now();
            let below = replica.truncatable();
            if below != truncated && below.lead_over(&truncated) > 0 {
                truncated = below.clone();
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    let write = WriteOp::TruncateLogs {
                        below: below.iter().collect(),
                    };
                    if let Err(e) = store.commit(vec![write]).await {
                        warn!(error = %e, "log truncation failed; the entries stay");
                    }
                });
            }
        }
        let now = Status {
            reached: replica.reached(),
            connected: replica.connected().collect(),
            durable: replica.durable().clone(),
            degraded: replica.agreement().err(),
        };
        if last_metrics.is_none_or(|t| t.elapsed() >= METRICS_EVERY) {
            last_metrics = Some(Instant::now());
            update_metrics(&metrics, &replica, &store);
        }
        status.send_if_modified(|s| {
            if *s == now {
                false
            } else {
                *s = now;
                true
            }
        });
    }
    drop(dialers);
}

/// How often the gauges that read the store (lag in seconds, conflicts) are refreshed.
const METRICS_EVERY: Duration = Duration::from_secs(1);

/// Refreshes the gauges from the core and the store.
fn update_metrics(metrics: &Metrics, replica: &Replica, store: &Store) {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let mut connected = 0;
    for (peer, linked, acked) in replica.peers() {
        connected += i64::from(linked);
        let lag = replica.durable().lead_over(acked);
        metrics
            .lag_entries
            .get_or_create(&metrics::peer(peer))
            .set(i64::try_from(lag).unwrap_or(i64::MAX));
        // The oldest entry it lacks, over every origin (entries dropped by a truncation are
        // covered by a snapshot and do not count).
        let oldest = replica
            .durable()
            .ahead_of(acked)
            .filter_map(|(origin, theirs, _)| {
                store
                    .log_since(origin, theirs, 1)
                    .ok()?
                    .first()
                    .map(|e| e.stamp.hlc.wall_ms)
            })
            .min();
        let seconds = oldest.map_or(0.0, |ms| now_ms.saturating_sub(ms) as f64 / 1000.0);
        metrics
            .lag_seconds
            .get_or_create(&metrics::peer(peer))
            .set(seconds);
    }
    metrics.peers_connected.set(connected);
    metrics
        .degraded
        .set(i64::from(replica.agreement().is_err()));
    if let Ok(c) = store.conflicts(usize::MAX) {
        metrics
            .conflicts
            .set(i64::try_from(c.len()).unwrap_or(i64::MAX));
    }
}

/// A task that ends with its owner (the core task, aborted or not).
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Tells the core each time more of this node's own writes are durable (the store's syncer
/// raises the mark), so every write is shipped without the key service doing anything.
async fn own_durable(mut mark: watch::Receiver<u64>, events: mpsc::UnboundedSender<Event>) {
    loop {
        let seq = *mark.borrow_and_update();
        if events.send(Event::LocalDurable(seq)).is_err() || mark.changed().await.is_err() {
            return;
        }
    }
}

/// Applies received state in the order the core handed it out: each job is applied before the
/// next is submitted, and reported once durable.
async fn apply(
    store: Arc<Store>,
    mut rx: mpsc::UnboundedReceiver<Job>,
    events: mpsc::UnboundedSender<Event>,
    metrics: Metrics,
) {
    while let Some(job) = rx.recv().await {
        let (write, done, failed): (_, Event, Box<dyn Fn(String) -> Event + Send>) = match job {
            Job::Entries(a) => {
                let (origin, first_seq, through) = (a.origin, a.first_seq, a.last_seq());
                let failed = move |reason| Event::ApplyFailed {
                    origin,
                    first_seq,
                    reason,
                };
                match replicated(a) {
                    Ok(w) => (
                        WriteOp::Replicated(w),
                        Event::Applied { origin, through },
                        Box::new(failed),
                    ),
                    Err(e) => {
                        metrics.apply_failures.inc();
                        let _ = events.send(failed(e.to_string()));
                        continue;
                    }
                }
            }
            Job::Snapshot(a) => {
                let (from, page, vector) = (a.from, a.page, a.done.clone());
                let failed = move |reason| Event::SnapshotFailed { from, reason };
                match snapshot(a) {
                    Ok(w) => (
                        w,
                        Event::SnapshotApplied {
                            from,
                            page,
                            done: vector,
                        },
                        Box::new(failed),
                    ),
                    Err(e) => {
                        metrics.apply_failures.inc();
                        let _ = events.send(failed(e.to_string()));
                        continue;
                    }
                }
            }
        };
        match store.commit_applied(vec![write]).await {
            Ok(applied) => {
                let events = events.clone();
                let metrics = metrics.clone();
                tokio::spawn(async move {
                    let ev = match applied.durable().await {
                        Ok(_) => {
                            match &done {
                                Event::SnapshotApplied { .. } => {
                                    metrics.snapshot_pages_applied.inc()
                                }
                                _ => metrics.batches_applied.inc(),
                            };
                            done
                        }
                        Err(e) => {
                            metrics.apply_failures.inc();
                            failed(e.to_string())
                        }
                    };
                    let _ = events.send(ev);
                });
            }
            Err(e) => {
                debug!(error = %e, "received state refused by the store");
                metrics.apply_failures.inc();
                let _ = events.send(failed(e.to_string()));
            }
        }
    }
}
