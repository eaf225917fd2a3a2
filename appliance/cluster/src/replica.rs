//! The replication core of one node: who its peers are, what each holds, what to send next,
//! what to apply, and which acknowledgement level a local write has reached. No I/O and no
//! clock: the driver (tokio + rustls in production, the simulation in tests) feeds it events
//! and carries out the actions it returns, so both run exactly this code.
//!
//! Replication is state-based over per-origin logs (ARCHITECTURE §5): a log entry names the
//! object a change touched, and the sender ships the object's *current* record with it; the
//! receiver merges (a join) through its store's writer and records the entries in its own copy
//! of the origin's log, so it can pass them on to others. A sender only ships entries it holds
//! durably ([`Replica::local_durable`], [`Replica::applied`]); the driver reads records after
//! a durability barrier, so no state that a crash could still take back leaves the node.

use std::collections::{BTreeMap, BTreeSet};

use keywarden_store::{LogEntry, LogOp, NodeId};

use crate::error::PeerError;
use crate::vector::VersionVector;
use crate::wire::{
    Ack, ClusterId, Entries, EntryRef, Hello, MIN_PROTOCOL_VERSION, Message, PROTOCOL_VERSION,
    Refuse, RefuseReason, ShippedRecord, SnapshotAck, SnapshotPage,
};

/// A member of the cluster and its site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Its node id.
    pub node: NodeId,
    /// Its site label.
    pub site: String,
}

/// Settings of the core.
#[derive(Clone, Debug)]
pub struct ReplicaConfig {
    /// The cluster.
    pub cluster: ClusterId,
    /// This node.
    pub me: Member,
    /// The other members (this node, if listed, is ignored).
    pub members: Vec<Member>,
    /// Most entries in one [`Entries`] message.
    pub batch_entries: usize,
    /// Most entries sent to one peer and not yet acknowledged.
    pub window_entries: u64,
    /// How long sent entries may stay unacknowledged before they are sent again (ms).
    pub resend_after_ms: u64,
    /// A link on which this node sent nothing for this long gets an `Ack` (ms), so that a
    /// quiet cluster's links are not taken for dead by the driver's idle timeout.
    pub keepalive_ms: u64,
}

impl ReplicaConfig {
    /// Defaults for everything but identity and membership.
    pub fn new(cluster: ClusterId, me: Member, members: Vec<Member>) -> ReplicaConfig {
        ReplicaConfig {
            cluster,
            me,
            members,
            batch_entries: 256,
            window_entries: 4096,
            resend_after_ms: 2_000,
            keepalive_ms: 10_000,
        }
    }
}

/// A connection, named by the driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u64);

/// Where the core reads what it ships: the store in production, a model in the simulation.
pub trait LogSource {
    /// Why a read failed.
    type Error: std::fmt::Display;
    /// Entries of `origin`'s log after `after`, at most `max`, in order.
    fn entries(&self, origin: NodeId, after: u64, max: usize)
    -> Result<Vec<LogEntry>, Self::Error>;
    /// The current record of `uuid` in wire encoding, if stored.
    fn record(&self, uuid: &str) -> Result<Option<Vec<u8>>, Self::Error>;
    /// Current records of the objects after `after` in UUID order (from the first when
    /// `None`), at most `max`, in wire encoding: one page of a snapshot.
    fn snapshot_page(
        &self,
        after: Option<&str>,
        max: usize,
    ) -> Result<Vec<ShippedRecord>, Self::Error>;
}

/// A snapshot page received from a peer, for the driver to merge through the store's writer;
/// once durable it calls [`Replica::snapshot_applied`] (or [`Replica::snapshot_failed`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotApply {
    /// The peer that sent it.
    pub from: NodeId,
    /// Its number.
    pub page: u32,
    /// Records to merge.
    pub records: Vec<ShippedRecord>,
    /// On the last page: what this node holds once it is applied. The store raises its vector
    /// to it and keeps no log entries at or below it for origins it raises (they are in the
    /// records, not in the log).
    pub done: Option<VersionVector>,
}

/// Entries of one origin received from a peer, for the driver to merge through the store's
/// writer; once durable it calls [`Replica::applied`] (or [`Replica::apply_failed`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Apply {
    /// The peer that sent them.
    pub from: NodeId,
    /// Whose log.
    pub origin: NodeId,
    /// Sequence of the first entry; the store holds everything of `origin` before it.
    pub first_seq: u64,
    /// The entries, consecutive.
    pub entries: Vec<EntryRef>,
    /// The current records they name at the sender.
    pub records: Vec<ShippedRecord>,
}

impl Apply {
    /// Sequence of the last entry.
    pub fn last_seq(&self) -> u64 {
        self.first_seq + self.entries.len() as u64 - 1
    }
}

/// What the driver must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send `msg` on `conn` at protocol `version`.
    Send {
        /// The connection.
        conn: ConnId,
        /// Protocol version of the frame.
        version: u16,
        /// The message.
        msg: Message,
    },
    /// Merge received entries.
    Apply(Apply),
    /// Close `conn` (after the sends before it); `error` says why.
    Close {
        /// The connection.
        conn: ConnId,
        /// Why.
        error: PeerError,
    },
    /// This node's log of `origin` no longer reaches what `peer` holds: a snapshot to it
    /// began (for logs and metrics).
    SnapshotStarted {
        /// The peer.
        peer: NodeId,
        /// The origin whose log starts above what the peer holds.
        origin: NodeId,
    },
    /// Merge a received snapshot page.
    ApplySnapshot(SnapshotApply),
    /// A read of the local log or records failed; sending to `peer` pauses until the next
    /// [`Replica::poll`].
    SourceFailed {
        /// The peer.
        peer: NodeId,
        /// What failed.
        reason: String,
    },
}

/// How far a local write has travelled (ARCHITECTURE §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AckLevel {
    /// Durable on this node only (its site has another node that answers and has not yet
    /// acknowledged it).
    Local,
    /// Durable here and on one more node of this site, or this site has no other node that
    /// answers.
    Site,
    /// `Site`, and durable on a node of another site.
    MultiSite,
}

/// Why an operation that needs a majority of sites cannot run here now.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("degraded: {} of {sites} sites unreachable ({}); this needs a majority of sites", unreachable.len(), unreachable.join(", "))]
pub struct Degraded {
    /// Sites of the cluster.
    pub sites: usize,
    /// Sites with no member reachable from this node.
    pub unreachable: Vec<String>,
}

/// Highest sequences of this node's own log at each acknowledgement level: a write with
/// sequence `s` is at `Site` when `s <= site`, at `MultiSite` when `s <= multi_site`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reached {
    /// Through here: `Site`.
    pub site: u64,
    /// Through here: `MultiSite`.
    pub multi_site: u64,
}

#[derive(Debug)]
struct Link {
    conn: ConnId,
    version: u16,
    /// What was sent on this connection, per origin (at least `acked`).
    sent: VersionVector,
    /// Our durable vector changed since the last Ack to this peer.
    ack_due: bool,
    /// The peer asked for a resend from its vector.
    resend_due: bool,
    /// Last time (ms) an ack from the peer moved, or entries were first outstanding.
    progress_ms: u64,
    /// A snapshot being sent to the peer: no entries go to it meanwhile.
    outgoing: Option<Outgoing>,
    /// Last time (ms) anything was sent on this link.
    sent_ms: u64,
}

/// A snapshot on its way to a peer, one page at a time.
#[derive(Debug)]
struct Outgoing {
    /// What this node held when it began.
    vector: VersionVector,
    /// UUID of the last record sent.
    after: Option<String>,
    /// Number of the page sent or to send.
    page: u32,
    /// When that page was sent, while it is not acknowledged.
    awaiting_since: Option<u64>,
    /// That page was the last.
    last: bool,
}

/// A snapshot being received.
#[derive(Debug)]
struct Incoming {
    from: NodeId,
    /// The page expected next.
    next: u32,
    /// A page handed to the driver and not yet reported applied.
    applying: Option<u32>,
}

#[derive(Debug)]
struct Peer {
    site: String,
    /// What the peer holds durably, as it last said.
    acked: VersionVector,
    link: Option<Link>,
}

/// The replication state machine of one node.
#[derive(Debug)]
pub struct Replica {
    config: ReplicaConfig,
    /// Everything held durably here, per origin.
    durable: VersionVector,
    /// Handed to the driver to apply, not yet reported durable.
    queued: VersionVector,
    peers: BTreeMap<NodeId, Peer>,
    /// Connections whose Hello has not arrived yet, with the node their certificate names.
    pending: BTreeMap<ConnId, Option<NodeId>>,
    /// The snapshot being received, from one peer at a time.
    incoming: Option<Incoming>,
    now_ms: u64,
}

impl Replica {
    /// A core that holds `durable` (read from the store at start).
    pub fn new(config: ReplicaConfig, durable: VersionVector) -> Replica {
        let peers = config
            .members
            .iter()
            .filter(|m| m.node != config.me.node)
            .map(|m| {
                (
                    m.node,
                    Peer {
                        site: m.site.clone(),
                        acked: VersionVector::new(),
                        link: None,
                    },
                )
            })
            .collect();
        Replica {
            queued: durable.clone(),
            durable,
            peers,
            pending: BTreeMap::new(),
            incoming: None,
            config,
            now_ms: 0,
        }
    }

    /// This node's id.
    pub fn me(&self) -> NodeId {
        self.config.me.node
    }

    /// Everything held durably here.
    pub fn durable(&self) -> &VersionVector {
        &self.durable
    }

    /// What `peer` last said it holds durably.
    pub fn peer_acked(&self, peer: NodeId) -> Option<&VersionVector> {
        self.peers.get(&peer).map(|p| &p.acked)
    }

    /// Every peer: its id, whether a greeted link is open, and what it holds durably.
    pub fn peers(&self) -> impl Iterator<Item = (NodeId, bool, &VersionVector)> + '_ {
        self.peers
            .iter()
            .map(|(n, p)| (*n, p.link.is_some(), &p.acked))
    }

    /// Peers with an open, greeted connection.
    pub fn connected(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.peers
            .iter()
            .filter(|(_, p)| p.link.is_some())
            .map(|(n, _)| *n)
    }

    /// The Hello this node sends first on every connection, at the oldest version it speaks so
    /// that any peer can read it.
    pub fn hello(&self, conn: ConnId) -> Action {
        Action::Send {
            conn,
            version: MIN_PROTOCOL_VERSION,
            msg: Message::Hello(Hello {
                protocol_min: MIN_PROTOCOL_VERSION,
                protocol_max: PROTOCOL_VERSION,
                cluster: self.config.cluster,
                node: self.config.me.node,
                site: self.config.me.site.clone(),
                durable: self.durable.clone(),
            }),
        }
    }

    /// A new connection whose peer certificate names `certified` (when the driver knows): its
    /// Hello is awaited, and refused if it claims another node. Returns this node's Hello to
    /// send on it.
    pub fn open(&mut self, conn: ConnId, certified: Option<NodeId>) -> Action {
        self.pending.insert(conn, certified);
        self.hello(conn)
    }

    /// A connection closed (by either end).
    pub fn closed(&mut self, conn: ConnId) {
        self.pending.remove(&conn);
        for (node, p) in &mut self.peers {
            if p.link.as_ref().is_some_and(|l| l.conn == conn) {
                p.link = None;
                // Its sender starts over on the next link.
                if self.incoming.as_ref().is_some_and(|i| i.from == *node) {
                    self.incoming = None;
                }
            }
        }
    }

    /// A member joined: its links are accepted from now on. A member already known keeps its
    /// state.
    pub fn add_member(&mut self, m: Member) {
        if m.node != self.config.me.node {
            self.peers.entry(m.node).or_insert(Peer {
                site: m.site,
                acked: VersionVector::new(),
                link: None,
            });
        }
    }

    /// A member left the cluster (removed by an administrator, or lost for good): its link is
    /// closed, a Hello from it is refused from now on, and what it holds no longer holds back
    /// log truncation. Its writes that reached another node stay.
    pub fn remove_member(&mut self, node: NodeId) -> Vec<Action> {
        if self.incoming.as_ref().is_some_and(|i| i.from == node) {
            self.incoming = None;
        }
        match self.peers.remove(&node).and_then(|p| p.link) {
            Some(l) => vec![Action::Close {
                conn: l.conn,
                error: PeerError::NotMember(node),
            }],
            None => vec![],
        }
    }

    /// Per origin, what every member holds durably, this node included: log entries at or
    /// below it are needed by no member, and the store may drop them. A member never heard
    /// from holds nothing, so it keeps everything.
    pub fn truncatable(&self) -> VersionVector {
        self.peers
            .values()
            .fold(self.durable.clone(), |v, p| v.meet(&p.acked))
    }

    /// A snapshot page handed out by [`Action::ApplySnapshot`] is durable: it is acknowledged,
    /// and after the last page this node holds what the snapshot's vector counts.
    pub fn snapshot_applied(
        &mut self,
        from: NodeId,
        page: u32,
        done: Option<&VersionVector>,
    ) -> Vec<Action> {
        let Some(inc) = self.incoming.as_mut() else {
            return vec![];
        };
        if inc.from != from || inc.applying != Some(page) {
            return vec![];
        }
        inc.applying = None;
        inc.next = page + 1;
        if let Some(v) = done {
            self.incoming = None;
            self.durable.join(v);
            self.queued.join(v);
            for p in self.peers.values_mut() {
                if let Some(l) = p.link.as_mut() {
                    l.ack_due = true;
                }
            }
        }
        self.ack_page(from, page)
    }

    /// A `SnapshotAck` for `page` to `peer`, if it is still connected.
    fn ack_page(&self, peer: NodeId, page: u32) -> Vec<Action> {
        match self.peers.get(&peer).and_then(|p| p.link.as_ref()) {
            Some(l) => vec![Action::Send {
                conn: l.conn,
                version: l.version,
                msg: Message::SnapshotAck(SnapshotAck { page }),
            }],
            None => vec![],
        }
    }

    /// Applying a snapshot page failed: the snapshot is dropped; its sender starts over after
    /// the resend delay.
    pub fn snapshot_failed(&mut self, from: NodeId) {
        if self.incoming.as_ref().is_some_and(|i| i.from == from) {
            self.incoming = None;
            // What the last page promised is not there: take entries from what is durable.
            self.queued = self.durable.clone();
        }
    }

    /// Time moved on (ms, monotonic): entries outstanding for longer than the resend delay are
    /// sent again from what the peer acknowledged.
    pub fn tick(&mut self, now_ms: u64) {
        self.now_ms = self.now_ms.max(now_ms);
        let now = self.now_ms;
        let after = self.config.resend_after_ms;
        for p in self.peers.values_mut() {
            if let Some(l) = p.link.as_mut()
                && l.sent.lead_over(&p.acked) > 0
                && now.saturating_sub(l.progress_ms) >= after
            {
                l.sent = l.sent.meet(&p.acked);
                l.progress_ms = now;
            }
            if let Some(l) = p.link.as_mut()
                && now.saturating_sub(l.sent_ms) >= self.config.keepalive_ms
            {
                l.ack_due = true;
            }
            if let Some(out) = p.link.as_mut().and_then(|l| l.outgoing.as_mut())
                && out
                    .awaiting_since
                    .is_some_and(|t| now.saturating_sub(t) >= after)
            {
                // A page or its ack was lost: the snapshot starts over (merging is idempotent).
                *out = Outgoing {
                    vector: out.vector.clone(),
                    after: None,
                    page: 0,
                    awaiting_since: None,
                    last: false,
                };
            }
        }
    }

    /// This node's own writes are durable through `seq`.
    pub fn local_durable(&mut self, seq: u64) {
        let me = self.config.me.node;
        self.durable.raise(me, seq);
        self.queued.raise(me, seq);
    }

    /// Entries of `origin` handed out by [`Action::Apply`] are durable through `through`.
    pub fn applied(&mut self, origin: NodeId, through: u64) {
        if self.durable.raise(origin, through) {
            for p in self.peers.values_mut() {
                if let Some(l) = p.link.as_mut() {
                    l.ack_due = true;
                }
            }
        }
        self.queued.raise(origin, through);
    }

    /// Applying entries of `origin` from `first_seq` on failed: they will be taken again when
    /// a peer resends them.
    pub fn apply_failed(&mut self, origin: NodeId, first_seq: u64) {
        let back = first_seq.saturating_sub(1).max(self.durable.get(origin));
        self.queued.set(origin, back);
        // Ask every peer for what is missing: the one that sent it may be gone.
        for p in self.peers.values_mut() {
            if let Some(l) = p.link.as_mut() {
                l.ack_due = true;
                l.resend_due = true;
            }
        }
    }

    /// A message arrived on `conn`.
    pub fn receive(&mut self, conn: ConnId, msg: Message) -> Vec<Action> {
        if let Some(&certified) = self.pending.get(&conn) {
            return match msg {
                Message::Hello(h) => self.greet(conn, h, certified),
                Message::Refuse(_) => {
                    self.pending.remove(&conn);
                    vec![]
                }
                _ => self.refuse(conn, PeerError::Violation("a message before Hello")),
            };
        }
        let Some(peer) = self.peer_of(conn) else {
            // Closed or replaced meanwhile: nothing it says counts any more.
            return vec![];
        };
        match msg {
            Message::Hello(_) => self.refuse(conn, PeerError::Violation("a second Hello")),
            Message::Entries(e) => self.entries(peer, e),
            Message::Ack(a) => {
                self.ack(peer, a);
                vec![]
            }
            Message::Refuse(_) => {
                self.closed(conn);
                vec![]
            }
            Message::SnapshotPage(p) => self.snapshot_page(peer, p),
            Message::SnapshotAck(a) => {
                self.snapshot_ack(peer, a.page);
                vec![]
            }
        }
    }

    fn snapshot_page(&mut self, peer: NodeId, p: SnapshotPage) -> Vec<Action> {
        if p.page == 0 && self.incoming.as_ref().is_none_or(|i| i.from == peer) {
            self.incoming = Some(Incoming {
                from: peer,
                next: 0,
                applying: None,
            });
        }
        let Some(inc) = self.incoming.as_mut() else {
            return vec![];
        };
        if inc.from != peer {
            // One snapshot at a time; this sender times out and tries again.
            return vec![];
        }
        if p.page < inc.next {
            // Applied already; its ack was lost.
            return self.ack_page(peer, p.page);
        }
        if p.page > inc.next || inc.applying.is_some() {
            return vec![];
        }
        inc.applying = Some(p.page);
        if p.last {
            // Entries up to the vector are in these records: later ones need not wait for it,
            // and earlier ones must not be applied over it.
            self.queued.join(&p.vector);
        }
        vec![Action::ApplySnapshot(SnapshotApply {
            from: peer,
            page: p.page,
            records: p.records,
            done: p.last.then_some(p.vector),
        })]
    }

    fn snapshot_ack(&mut self, peer: NodeId, page: u32) {
        let now = self.now_ms;
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        let Some(l) = p.link.as_mut() else { return };
        let Some(out) = l.outgoing.as_mut() else {
            return;
        };
        if out.page != page || out.awaiting_since.is_none() {
            return;
        }
        if out.last {
            // The peer holds everything the vector counts, durably.
            p.acked.join(&out.vector);
            l.sent.join(&out.vector);
            l.outgoing = None;
            l.progress_ms = now;
        } else {
            out.page += 1;
            out.awaiting_since = None;
        }
    }

    /// What to send now: acks that are due, and the next entries each peer lacks, within its
    /// window, read from `source`.
    pub fn poll<S: LogSource>(&mut self, source: &S) -> Vec<Action> {
        let mut out = Vec::new();
        let batch = self.config.batch_entries.max(1);
        let window = self.config.window_entries.max(1);
        let now = self.now_ms;
        for (node, p) in &mut self.peers {
            let Some(l) = p.link.as_mut() else { continue };
            if l.ack_due || l.resend_due {
                out.push(Action::Send {
                    conn: l.conn,
                    version: l.version,
                    msg: Message::Ack(Ack {
                        durable: self.durable.clone(),
                        resend: l.resend_due,
                    }),
                });
                l.ack_due = false;
                l.resend_due = false;
            }
            let origins: Vec<(NodeId, u64, u64)> = if l.outgoing.is_some() {
                Vec::new()
            } else {
                self.durable.ahead_of(&l.sent).collect()
            };
            'origins: for (origin, sent, ours) in origins {
                let mut sent = sent;
                while sent < ours {
                    let outstanding = l.sent.lead_over(&p.acked);
                    if outstanding >= window {
                        break 'origins;
                    }
                    if outstanding == 0 {
                        l.progress_ms = now;
                    }
                    let room = (window - outstanding).min(batch as u64).min(ours - sent);
                    let entries = match source.entries(origin, sent, room as usize) {
                        Ok(e) => e,
                        Err(e) => {
                            out.push(Action::SourceFailed {
                                peer: *node,
                                reason: format!("log of {origin} after {sent}: {e}"),
                            });
                            break 'origins;
                        }
                    };
                    let consecutive = entries
                        .iter()
                        .enumerate()
                        .all(|(i, e)| e.origin == origin && e.seq == sent + 1 + i as u64);
                    if entries.is_empty() || !consecutive {
                        // The log no longer starts where the peer stands (truncated below it,
                        // or this node bootstrapped from a snapshot): only a snapshot helps.
                        out.push(Action::SnapshotStarted {
                            peer: *node,
                            origin,
                        });
                        l.outgoing = Some(Outgoing {
                            vector: self.durable.clone(),
                            after: None,
                            page: 0,
                            awaiting_since: None,
                            last: false,
                        });
                        break 'origins;
                    }
                    let mut records = Vec::new();
                    let mut named = BTreeSet::new();
                    let mut refs = Vec::with_capacity(entries.len());
                    let mut failed = None;
                    for e in &entries {
                        let LogOp::PutObject { uuid } = &e.op;
                        refs.push(EntryRef {
                            stamp: e.stamp,
                            uuid: uuid.clone(),
                        });
                        if !named.insert(uuid.as_str()) {
                            continue;
                        }
                        match source.record(uuid) {
                            Ok(Some(record)) => records.push(ShippedRecord {
                                uuid: uuid.clone(),
                                record,
                            }),
                            // An entry whose object is not stored: nothing to merge for it.
                            Ok(None) => {}
                            Err(e) => {
                                failed = Some(format!("record {uuid}: {e}"));
                                break;
                            }
                        }
                    }
                    if let Some(reason) = failed {
                        out.push(Action::SourceFailed {
                            peer: *node,
                            reason,
                        });
                        break 'origins;
                    }
                    let n = refs.len() as u64;
                    out.push(Action::Send {
                        conn: l.conn,
                        version: l.version,
                        msg: Message::Entries(Entries {
                            origin,
                            first_seq: sent + 1,
                            entries: refs,
                            records,
                        }),
                    });
                    sent += n;
                    l.sent.raise(origin, sent);
                }
            }
            if let Some(o) = l.outgoing.as_mut()
                && o.awaiting_since.is_none()
            {
                match source.snapshot_page(o.after.as_deref(), batch) {
                    Ok(records) => {
                        o.last = records.len() < batch;
                        if let Some(r) = records.last() {
                            o.after = Some(r.uuid.clone());
                        }
                        o.awaiting_since = Some(now);
                        out.push(Action::Send {
                            conn: l.conn,
                            version: l.version,
                            msg: Message::SnapshotPage(SnapshotPage {
                                vector: o.vector.clone(),
                                page: o.page,
                                records,
                                last: o.last,
                            }),
                        });
                    }
                    Err(e) => out.push(Action::SourceFailed {
                        peer: *node,
                        reason: format!("snapshot page after {:?}: {e}", o.after),
                    }),
                }
            }
        }
        for a in &out {
            if let Action::Send { conn, .. } = a
                && let Some(l) = self
                    .peers
                    .values_mut()
                    .filter_map(|p| p.link.as_mut())
                    .find(|l| l.conn == *conn)
            {
                l.sent_ms = now;
            }
        }
        out
    }

    /// The level a local write with log sequence `seq` has reached.
    pub fn level(&self, seq: u64) -> AckLevel {
        let me = self.config.me.node;
        let mine = &self.config.me.site;
        let has = |p: &Peer| p.acked.get(me) >= seq;
        let mut site_answering = false;
        let mut site_has = false;
        let mut other_has = false;
        for p in self.peers.values() {
            if &p.site == mine {
                site_answering |= p.link.is_some();
                site_has |= has(p);
            } else {
                other_has |= has(p);
            }
        }
        let site = site_has || !site_answering;
        match (site, other_has) {
            (true, true) => AckLevel::MultiSite,
            (true, false) => AckLevel::Site,
            (false, _) => AckLevel::Local,
        }
    }

    /// Up to which sequence this node's own writes reached each level.
    pub fn reached(&self) -> Reached {
        let me = self.config.me.node;
        let mine = &self.config.me.site;
        let mut site_answering = false;
        let mut site = 0;
        let mut other = 0;
        for p in self.peers.values() {
            let held = p.acked.get(me);
            if &p.site == mine {
                site_answering |= p.link.is_some();
                site = site.max(held);
            } else {
                other = other.max(held);
            }
        }
        let durable = self.durable.get(me);
        let site = if site_answering { site } else { durable }.min(durable);
        Reached {
            site,
            multi_site: site.min(other),
        }
    }

    /// Whether this node may do what needs global agreement (strictly unique names,
    /// membership changes, KEK and root-of-trust rotation): a majority of the cluster's sites
    /// must be reachable, this node's own counting as reached. Everything else works in any
    /// minority.
    pub fn agreement(&self) -> Result<(), Degraded> {
        let mut sites: BTreeMap<&str, bool> = BTreeMap::new();
        sites.insert(self.config.me.site.as_str(), true);
        for p in self.peers.values() {
            *sites.entry(p.site.as_str()).or_insert(false) |= p.link.is_some();
        }
        let reachable = sites.values().filter(|r| **r).count();
        if reachable * 2 > sites.len() {
            Ok(())
        } else {
            Err(Degraded {
                sites: sites.len(),
                unreachable: sites
                    .iter()
                    .filter(|(_, r)| !**r)
                    .map(|(s, _)| (*s).to_owned())
                    .collect(),
            })
        }
    }

    /// Whether any node of another site is connected (a `require_multi_site` write fails fast
    /// without one).
    pub fn other_site_connected(&self) -> bool {
        let mine = &self.config.me.site;
        self.peers
            .values()
            .any(|p| &p.site != mine && p.link.is_some())
    }

    fn peer_of(&self, conn: ConnId) -> Option<NodeId> {
        self.peers
            .iter()
            .find(|(_, p)| p.link.as_ref().is_some_and(|l| l.conn == conn))
            .map(|(n, _)| *n)
    }

    fn refuse(&mut self, conn: ConnId, error: PeerError) -> Vec<Action> {
        let reason = match &error {
            PeerError::Protocol { .. } => RefuseReason::Protocol,
            PeerError::Cluster => RefuseReason::Cluster,
            PeerError::NotMember(_)
            | PeerError::SelfId(_)
            | PeerError::Site { .. }
            | PeerError::Identity { .. } => RefuseReason::NotMember,
            PeerError::Violation(_) => RefuseReason::Invalid,
        };
        let version = self
            .peer_of(conn)
            .and_then(|n| self.peers.get(&n))
            .and_then(|p| p.link.as_ref())
            .map_or(MIN_PROTOCOL_VERSION, |l| l.version);
        self.closed(conn);
        vec![
            Action::Send {
                conn,
                version,
                msg: Message::Refuse(Refuse {
                    reason,
                    detail: error.to_string(),
                }),
            },
            Action::Close { conn, error },
        ]
    }

    fn greet(&mut self, conn: ConnId, h: Hello, certified: Option<NodeId>) -> Vec<Action> {
        self.pending.remove(&conn);
        if let Some(c) = certified
            && c != h.node
        {
            return self.refuse(
                conn,
                PeerError::Identity {
                    said: h.node,
                    certified: c,
                },
            );
        }
        if h.cluster != self.config.cluster {
            return self.refuse(conn, PeerError::Cluster);
        }
        let lo = h.protocol_min.max(MIN_PROTOCOL_VERSION);
        let hi = h.protocol_max.min(PROTOCOL_VERSION);
        if lo > hi {
            return self.refuse(
                conn,
                PeerError::Protocol {
                    min: h.protocol_min,
                    max: h.protocol_max,
                    ours_min: MIN_PROTOCOL_VERSION,
                    ours_max: PROTOCOL_VERSION,
                },
            );
        }
        if h.node == self.config.me.node {
            return self.refuse(conn, PeerError::SelfId(h.node));
        }
        let Some(p) = self.peers.get(&h.node) else {
            return self.refuse(conn, PeerError::NotMember(h.node));
        };
        if p.site != h.site {
            let error = PeerError::Site {
                node: h.node,
                said: h.site,
                recorded: p.site.clone(),
            };
            return self.refuse(conn, error);
        }
        let mut out = Vec::new();
        let now = self.now_ms;
        let p = self.peers.get_mut(&h.node).expect("looked up above");
        if let Some(old) = p.link.take() {
            // The newer connection wins; the driver closes the old one.
            out.push(Action::Close {
                conn: old.conn,
                error: PeerError::Violation("replaced by a newer connection"),
            });
        }
        // The peer's own word on what it holds replaces what we thought (it may have lost
        // unsynced writes, or come back from a backup).
        p.acked = h.durable.clone();
        p.link = Some(Link {
            conn,
            version: hi,
            sent: h.durable,
            ack_due: false,
            resend_due: false,
            progress_ms: now,
            outgoing: None,
            sent_ms: now,
        });
        out
    }

    fn entries(&mut self, peer: NodeId, e: Entries) -> Vec<Action> {
        let origin = e.origin;
        if origin == self.config.me.node {
            // Our own writes coming back: we hold them already (a node's own log is complete).
            return vec![];
        }
        let last = e.first_seq + e.entries.len() as u64 - 1;
        if let Some(p) = self.peers.get_mut(&peer) {
            // It ships only what it holds durably.
            p.acked.raise(origin, last);
            if let Some(l) = p.link.as_mut() {
                l.sent.raise(origin, last);
            }
        }
        let have = self.queued.get(origin).max(self.durable.get(origin));
        if e.first_seq > have + 1 {
            // A gap (an earlier message lost or reordered): ask for everything after what is held.
            if let Some(l) = self.peers.get_mut(&peer).and_then(|p| p.link.as_mut()) {
                l.resend_due = true;
            }
            return vec![];
        }
        if last <= have {
            return vec![];
        }
        let skip = (have + 1 - e.first_seq) as usize;
        let entries: Vec<EntryRef> = e.entries.into_iter().skip(skip).collect();
        let named: BTreeSet<&str> = entries.iter().map(|x| x.uuid.as_str()).collect();
        let records = e
            .records
            .into_iter()
            .filter(|r| named.contains(r.uuid.as_str()))
            .collect();
        self.queued.raise(origin, last);
        vec![Action::Apply(Apply {
            from: peer,
            origin,
            first_seq: have + 1,
            entries,
            records,
        })]
    }

    fn ack(&mut self, peer: NodeId, a: Ack) {
        let now = self.now_ms;
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        let before = p.acked.clone();
        p.acked.join(&a.durable);
        if let Some(l) = p.link.as_mut() {
            if p.acked != before {
                l.progress_ms = now;
            }
            if a.resend {
                // Send again from what it holds.
                l.sent = l.sent.meet(&a.durable);
                l.progress_ms = now;
            }
            l.sent.join(&a.durable);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Ack, Hello};

    const CLUSTER: ClusterId = ClusterId([1; 16]);

    /// A store with nothing in it.
    struct Nothing;

    impl LogSource for Nothing {
        type Error = String;
        fn entries(&self, _: NodeId, _: u64, _: usize) -> Result<Vec<LogEntry>, String> {
            Ok(vec![])
        }
        fn record(&self, _: &str) -> Result<Option<Vec<u8>>, String> {
            Ok(None)
        }
        fn snapshot_page(&self, _: Option<&str>, _: usize) -> Result<Vec<ShippedRecord>, String> {
            Ok(vec![])
        }
    }

    fn member(node: u64, site: &str) -> Member {
        Member {
            node: NodeId(node),
            site: site.into(),
        }
    }

    fn replica() -> Replica {
        Replica::new(
            ReplicaConfig::new(
                CLUSTER,
                member(1, "a"),
                vec![member(1, "a"), member(2, "a"), member(3, "b")],
            ),
            VersionVector::new(),
        )
    }

    fn hello(node: u64, site: &str) -> Hello {
        Hello {
            protocol_min: MIN_PROTOCOL_VERSION,
            protocol_max: PROTOCOL_VERSION,
            cluster: CLUSTER,
            node: NodeId(node),
            site: site.into(),
            durable: VersionVector::new(),
        }
    }

    fn refusal(actions: &[Action]) -> Option<&PeerError> {
        actions.iter().find_map(|a| match a {
            Action::Close { error, .. } => Some(error),
            _ => None,
        })
    }

    #[test]
    fn hellos_that_do_not_fit_are_refused_with_their_reason() {
        type Case = (Hello, Option<NodeId>, fn(&PeerError) -> bool);
        let cases: Vec<Case> = vec![
            (
                Hello {
                    cluster: ClusterId([2; 16]),
                    ..hello(2, "a")
                },
                None,
                |e| matches!(e, PeerError::Cluster),
            ),
            (
                Hello {
                    protocol_min: PROTOCOL_VERSION + 1,
                    protocol_max: PROTOCOL_VERSION + 2,
                    ..hello(2, "a")
                },
                None,
                |e| matches!(e, PeerError::Protocol { .. }),
            ),
            (hello(9, "a"), None, |e| {
                matches!(e, PeerError::NotMember(_))
            }),
            (hello(1, "a"), None, |e| matches!(e, PeerError::SelfId(_))),
            (hello(3, "a"), None, |e| matches!(e, PeerError::Site { .. })),
            (hello(2, "a"), Some(NodeId(3)), |e| {
                matches!(e, PeerError::Identity { .. })
            }),
        ];
        for (h, certified, expected) in cases {
            let mut r = replica();
            r.open(ConnId(7), certified);
            let out = r.receive(ConnId(7), Message::Hello(h.clone()));
            let error = refusal(&out).unwrap_or_else(|| panic!("{h:?} accepted"));
            assert!(expected(error), "{h:?}: {error}");
            assert!(
                out.iter().any(|a| matches!(
                    a,
                    Action::Send {
                        msg: Message::Refuse(_),
                        ..
                    }
                )),
                "the peer is told why"
            );
            assert_eq!(r.connected().count(), 0);
        }
    }

    #[test]
    fn a_newer_peer_is_spoken_to_at_the_newest_version_both_speak() {
        let mut r = replica();
        r.open(ConnId(1), Some(NodeId(2)));
        let newer = Hello {
            protocol_min: MIN_PROTOCOL_VERSION,
            protocol_max: PROTOCOL_VERSION + 2,
            ..hello(2, "a")
        };
        assert!(refusal(&r.receive(ConnId(1), Message::Hello(newer))).is_none());
        // A keepalive is due: whatever goes out goes at the negotiated version.
        r.tick(20_000);
        let sent: Vec<u16> = r
            .poll(&Nothing)
            .iter()
            .filter_map(|a| match a {
                Action::Send { version, .. } => Some(*version),
                _ => None,
            })
            .collect();
        assert!(!sent.is_empty());
        assert!(sent.iter().all(|v| *v == PROTOCOL_VERSION), "{sent:?}");
    }

    #[test]
    fn a_message_before_hello_or_a_second_hello_is_a_violation() {
        let mut r = replica();
        r.open(ConnId(1), None);
        let out = r.receive(
            ConnId(1),
            Message::Ack(Ack {
                durable: VersionVector::new(),
                resend: false,
            }),
        );
        assert!(matches!(refusal(&out), Some(PeerError::Violation(_))));
        r.open(ConnId(2), Some(NodeId(2)));
        assert!(refusal(&r.receive(ConnId(2), Message::Hello(hello(2, "a")))).is_none());
        assert_eq!(r.connected().collect::<Vec<_>>(), vec![NodeId(2)]);
        let out = r.receive(ConnId(2), Message::Hello(hello(2, "a")));
        assert!(matches!(refusal(&out), Some(PeerError::Violation(_))));
        assert_eq!(r.connected().count(), 0);
    }

    #[test]
    fn a_removed_member_is_closed_refused_and_no_longer_holds_back_truncation() {
        let mut r = replica();
        r.local_durable(9);
        r.open(ConnId(1), Some(NodeId(2)));
        let mut h = hello(2, "a");
        h.durable = [(NodeId(1), 9)].into_iter().collect();
        r.receive(ConnId(1), Message::Hello(h));
        // Node 3 never answered: nothing may be dropped.
        assert_eq!(r.truncatable().get(NodeId(1)), 0);
        let closed = r.remove_member(NodeId(3));
        assert!(closed.is_empty(), "it had no link");
        assert_eq!(r.truncatable().get(NodeId(1)), 9);
        let closed = r.remove_member(NodeId(2));
        assert!(matches!(
            closed.as_slice(),
            [Action::Close {
                conn: ConnId(1),
                error: PeerError::NotMember(NodeId(2))
            }]
        ));
        r.closed(ConnId(1));
        r.open(ConnId(2), Some(NodeId(2)));
        let out = r.receive(ConnId(2), Message::Hello(hello(2, "a")));
        assert!(matches!(refusal(&out), Some(PeerError::NotMember(_))));
    }

    #[test]
    fn agreement_needs_a_majority_of_sites() {
        let three = |site_of_me: &str| {
            Replica::new(
                ReplicaConfig::new(
                    CLUSTER,
                    member(1, site_of_me),
                    vec![member(2, "a"), member(3, "b"), member(4, "c")],
                ),
                VersionVector::new(),
            )
        };
        let mut r = three("a");
        let err = r.agreement().expect_err("alone in one of three sites");
        assert_eq!(err.unreachable, vec!["b".to_owned(), "c".to_owned()]);
        assert!(
            err.to_string().contains("2 of 3 sites unreachable (b, c)"),
            "{err}"
        );
        // Its own site's peer does not help; a second site does.
        r.open(ConnId(1), Some(NodeId(2)));
        r.receive(ConnId(1), Message::Hello(hello(2, "a")));
        assert!(r.agreement().is_err());
        r.open(ConnId(2), Some(NodeId(3)));
        r.receive(ConnId(2), Message::Hello(hello(3, "b")));
        assert_eq!(r.agreement(), Ok(()));
        r.closed(ConnId(2));
        assert!(r.agreement().is_err());
        // One site only: always a majority.
        let solo = Replica::new(
            ReplicaConfig::new(CLUSTER, member(1, "a"), vec![member(2, "a")]),
            VersionVector::new(),
        );
        assert_eq!(solo.agreement(), Ok(()));
    }

    #[test]
    fn a_quiet_link_gets_an_ack_every_keepalive() {
        let acks = |actions: &[Action]| {
            actions
                .iter()
                .filter(|a| {
                    matches!(
                        a,
                        Action::Send {
                            msg: Message::Ack(_),
                            ..
                        }
                    )
                })
                .count()
        };
        let mut r = replica();
        r.open(ConnId(1), Some(NodeId(2)));
        r.receive(ConnId(1), Message::Hello(hello(2, "a")));
        r.tick(1_000);
        assert_eq!(acks(&r.poll(&Nothing)), 0, "nothing to say yet");
        r.tick(10_000);
        assert_eq!(acks(&r.poll(&Nothing)), 1, "quiet for 10 s");
        r.tick(15_000);
        assert_eq!(acks(&r.poll(&Nothing)), 0, "just sent one");
        r.tick(20_000);
        assert_eq!(acks(&r.poll(&Nothing)), 1);
    }

    #[test]
    fn levels_follow_acks_and_who_answers() {
        let mut r = replica();
        r.local_durable(5);
        // Nobody of site a answers: site level at once; nobody of another site holds it.
        assert_eq!(r.level(5), AckLevel::Site);
        assert_eq!(
            r.reached(),
            Reached {
                site: 5,
                multi_site: 0
            }
        );
        r.open(ConnId(1), Some(NodeId(2)));
        r.receive(ConnId(1), Message::Hello(hello(2, "a")));
        // Node 2 of site a answers and holds nothing: back to local.
        assert_eq!(r.level(5), AckLevel::Local);
        r.receive(
            ConnId(1),
            Message::Ack(Ack {
                durable: [(NodeId(1), 3)].into_iter().collect(),
                resend: false,
            }),
        );
        assert_eq!(r.level(3), AckLevel::Site);
        assert_eq!(r.level(4), AckLevel::Local);
        r.open(ConnId(2), Some(NodeId(3)));
        let mut h = hello(3, "b");
        h.durable = [(NodeId(1), 5)].into_iter().collect();
        r.receive(ConnId(2), Message::Hello(h));
        assert_eq!(r.level(3), AckLevel::MultiSite);
        assert_eq!(r.level(5), AckLevel::Local);
        assert_eq!(
            r.reached(),
            Reached {
                site: 3,
                multi_site: 3
            }
        );
        assert!(r.other_site_connected());
    }
}
