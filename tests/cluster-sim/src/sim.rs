//! The simulated cluster: nodes (the real [`Replica`] over a [`ModelStore`]), a network that
//! delays, drops, duplicates and reorders frames and can be partitioned between sites, crashes
//! that lose unsynced writes, restarts, skewed clocks, and clients writing on every node; then
//! a heal, and a history checker.

use std::collections::{BTreeMap, BTreeSet};

use keywarden_cluster::wire::{self, ClusterId, Limits};
use keywarden_cluster::{AckLevel, Action, ConnId, Member, Replica, ReplicaConfig};
use keywarden_store::{
    DomainKek, Hlc, IndexTerms, Lifecycle, LifecycleEvent, MaterialBinding, NodeId, ObjectRecord,
    Stamp, StoredAttribute,
};

use crate::model::ModelStore;
use crate::rng::SimRng;

/// Shape and fault rates of a run.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Sites.
    pub sites: usize,
    /// Nodes per site.
    pub nodes_per_site: usize,
    /// Milliseconds of writes and faults before the heal.
    pub chaos_ms: u64,
    /// Milliseconds the heal may take before the run fails as not converged.
    pub heal_limit_ms: u64,
    /// One-way delay between sites (ms); inside a site 1 ms.
    pub inter_site_ms: u64,
    /// Largest clock offset of a node (ms), either way.
    pub skew_ms: u64,
    /// Per mille, per node and ms: a client write.
    pub write_rate: u64,
    /// Per mille, per frame: lost.
    pub loss: u64,
    /// Per mille, per frame: delivered twice.
    pub duplication: u64,
    /// Per mille, per ms: a node crashes.
    pub crash_rate: u64,
    /// Per mille, per ms: a partition between groups of sites begins.
    pub partition_rate: u64,
    /// A bug planted on purpose, to show that the checker finds it.
    pub mutation: Option<Mutation>,
    /// A node of site 0 that joins with an empty store at the heal, after logs were
    /// truncated: it can only catch up from a snapshot.
    pub late_joiner: bool,
    /// At the heal one node is lost for good and removed from the cluster: its writes that
    /// reached site level must survive it, and truncation must go on without it.
    pub lose_a_node: bool,
}

/// Bugs the checker must find (its own tests plant them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutation {
    /// Stores replace a record with a received one instead of merging.
    LastArrivalWins,
    /// Nodes ship their own writes as soon as they are visible, before they are durable.
    ShipUnsynced,
    /// Nodes report every acknowledged write as multi-site at once.
    OverclaimLevel,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            sites: 3,
            nodes_per_site: 3,
            chaos_ms: 2_000,
            heal_limit_ms: 30_000,
            inter_site_ms: 25,
            skew_ms: 500,
            write_rate: 15,
            loss: 20,
            duplication: 20,
            crash_rate: 2,
            partition_rate: 1,
            mutation: None,
            late_joiner: true,
            lose_a_node: true,
        }
    }
}

/// What a run did, for the test's report.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Client writes acknowledged.
    pub acknowledged: usize,
    /// Client writes lost in a crash before their acknowledgement (never reported done).
    pub lost_unacknowledged: usize,
    /// Crashes.
    pub crashes: usize,
    /// Partitions.
    pub partitions: usize,
    /// Frames sent.
    pub frames: usize,
    /// Objects at the end.
    pub objects: usize,
    /// Writes whose reported acknowledgement level was checked against the nodes' state.
    pub levels_checked: usize,
    /// Milliseconds from the heal to convergence.
    pub converged_after_ms: u64,
    /// Snapshots begun (a peer behind a truncated log, or the node that joined late).
    pub snapshots: usize,
    /// Log truncations that dropped entries.
    pub truncations: usize,
}

/// A run that broke a guarantee.
#[derive(Clone, Debug)]
pub struct Failure {
    /// Simulated time of the failure (ms).
    pub at_ms: u64,
    /// What broke.
    pub what: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at {} ms: {}", self.at_ms, self.what)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Create,
    Activate,
    Compromise,
    Destroy,
    SetAttribute,
}

#[derive(Clone, Debug)]
struct Write {
    node: usize,
    seq: u64,
    uuid: String,
    kind: Kind,
    stamp: Stamp,
}

struct Node {
    id: NodeId,
    site: usize,
    replica: Replica,
    store: ModelStore,
    up: bool,
    restart_at: u64,
    skew: i64,
    hlc: Hlc,
    next_object: u64,
    /// Written, not yet durable: answered at the next sync, lost by a crash.
    unacked: Vec<Write>,
    /// Acknowledged writes whose level has not reached multi-site yet.
    watching: Vec<(u64, AckLevel)>,
    /// A member of the cluster (the late joiner is not, until the heal).
    joined: bool,
}

struct Frame {
    at: u64,
    order: u64,
    to_node: usize,
    conn: ConnId,
    bytes: Vec<u8>,
}

/// Base of simulated wall clocks (ms since 1970), so a negative skew stays positive.
const EPOCH_MS: u64 = 1_800_000_000_000;

/// One simulated cluster.
pub struct Sim {
    config: SimConfig,
    rng: SimRng,
    now: u64,
    nodes: Vec<Node>,
    cluster: ClusterId,
    kek: DomainKek,
    /// Open connections: conn → (owner node, peer node, the peer's end).
    conns: BTreeMap<ConnId, (usize, usize, ConnId)>,
    next_conn: u64,
    frames: Vec<Frame>,
    next_order: u64,
    /// Pairs of sites that cannot reach each other.
    cut: BTreeSet<(usize, usize)>,
    heal_at: u64,
    healing: bool,
    acknowledged: Vec<Write>,
    /// UUIDs any node ever held durably as compromised, or as destroyed.
    /// UUID → nodes that held a compromise of it, or a destroy, durably.
    ever_compromised: BTreeMap<String, BTreeSet<usize>>,
    ever_destroyed: BTreeMap<String, BTreeSet<usize>>,
    /// The highest level each own write reached: (node, seq) → level.
    levels: BTreeMap<(usize, u64), AckLevel>,
    /// The node lost for good at the heal.
    lost: Option<usize>,
    /// Every log entry that became durable anywhere: (origin, seq) → (object, stamp).
    issued: BTreeMap<(NodeId, u64), (String, Stamp)>,
    report: Report,
}

fn fail<T>(at_ms: u64, what: impl Into<String>) -> Result<T, Failure> {
    Err(Failure {
        at_ms,
        what: what.into(),
    })
}

impl Sim {
    /// A cluster for `seed`: node ids, skews and every later choice come from it.
    pub fn new(seed: u64, config: SimConfig) -> Sim {
        let mut rng = SimRng::new(seed);
        let cluster = ClusterId(seed.to_be_bytes().repeat(2).try_into().unwrap_or([0; 16]));
        let mut members = Vec::new();
        for site in 0..config.sites {
            for _ in 0..config.nodes_per_site {
                members.push(Member {
                    node: NodeId(rng.bits() | 1),
                    site: format!("site-{site}"),
                });
            }
        }
        let founders = members.len();
        let mut everyone = members.clone();
        if config.late_joiner {
            everyone.push(Member {
                node: NodeId(rng.bits() | 1),
                site: "site-0".into(),
            });
        }
        let nodes = everyone
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let skew = rng.between(0, 2 * config.skew_ms) as i64 - config.skew_ms as i64;
                let founder = i < founders;
                Node {
                    id: m.node,
                    site: if founder {
                        i / config.nodes_per_site
                    } else {
                        0
                    },
                    replica: Replica::new(
                        Self::replica_config(cluster, m.clone(), &members),
                        Default::default(),
                    ),
                    store: ModelStore::with_last_arrival_wins(
                        config.mutation == Some(Mutation::LastArrivalWins),
                    ),
                    up: founder,
                    restart_at: if founder { 0 } else { u64::MAX },
                    skew,
                    hlc: Hlc::default(),
                    next_object: 0,
                    unacked: Vec::new(),
                    watching: Vec::new(),
                    joined: founder,
                }
            })
            .collect();
        let kek = DomainKek::new(zeroize::Zeroizing::new(vec![7u8; 32]), 1)
            .unwrap_or_else(|e| panic!("simulation KEK: {e}"));
        Sim {
            config,
            rng,
            now: 0,
            nodes,
            cluster,
            kek,
            conns: BTreeMap::new(),
            next_conn: 1,
            frames: Vec::new(),
            next_order: 0,
            cut: BTreeSet::new(),
            heal_at: 0,
            healing: false,
            acknowledged: Vec::new(),
            ever_compromised: BTreeMap::new(),
            ever_destroyed: BTreeMap::new(),
            levels: BTreeMap::new(),
            lost: None,
            issued: BTreeMap::new(),
            report: Report::default(),
        }
    }

    fn replica_config(cluster: ClusterId, me: Member, members: &[Member]) -> ReplicaConfig {
        let mut c = ReplicaConfig::new(cluster, me, members.to_vec());
        // Small batches and windows, so a short run exercises them.
        c.batch_entries = 8;
        c.window_entries = 32;
        c.resend_after_ms = 300;
        c
    }

    /// Runs the chaos phase, heals, waits for convergence and checks the history.
    pub fn run(mut self) -> Result<Report, Failure> {
        while self.now < self.config.chaos_ms {
            self.step()?;
        }
        self.healing = true;
        self.cut.clear();
        // The late joiner becomes a member; it starts (empty) in the next step.
        if let Some(j) = self.nodes.iter().position(|n| !n.joined) {
            self.nodes[j].joined = true;
            let member = Member {
                node: self.nodes[j].id,
                site: format!("site-{}", self.nodes[j].site),
            };
            for n in &mut self.nodes {
                n.replica.add_member(member.clone());
            }
        }
        if self.config.lose_a_node {
            // A founder of any site, chosen by the seed, is gone for good: down now, never
            // restarted, removed by every other member.
            let founders = self.config.sites * self.config.nodes_per_site;
            let k = self.rng.below(founders as u64) as usize;
            if self.nodes[k].up {
                self.crash(k);
            }
            self.lost = Some(k);
            let gone = self.nodes[k].id;
            for i in 0..self.nodes.len() {
                if i != k {
                    let actions = self.nodes[i].replica.remove_member(gone);
                    self.carry_out(i, actions)?;
                }
            }
        }
        let healed = self.now;
        loop {
            self.step()?;
            if self.now.is_multiple_of(50) && self.converged() {
                break;
            }
            if self.now - healed > self.config.heal_limit_ms {
                let vectors: Vec<String> = self
                    .nodes
                    .iter()
                    .map(|n| format!("{}: {:?}", n.id, n.store.durable.vector()))
                    .collect();
                return fail(
                    self.now,
                    format!(
                        "not converged {} ms after the heal; durable vectors: {}",
                        self.config.heal_limit_ms,
                        vectors.join("; ")
                    ),
                );
            }
        }
        self.report.converged_after_ms = self.now - healed;
        self.check_end()?;
        self.report.acknowledged = self.acknowledged.len();
        self.report.objects = self.nodes[0].store.durable.objects.len();
        Ok(self.report)
    }

    fn step(&mut self) -> Result<(), Failure> {
        self.now += 1;
        self.deliver()?;
        if !self.healing {
            self.faults();
        }
        for i in 0..self.nodes.len() {
            if !self.nodes[i].up {
                if Some(i) == self.lost {
                    continue;
                }
                if self.healing || self.now >= self.nodes[i].restart_at {
                    self.restart(i);
                }
                continue;
            }
            if !self.healing && self.rng.chance(self.config.write_rate) {
                self.client_write(i)?;
            }
            // A sync about every third ms, so writes wait for it as they wait for fdatasync.
            if self.rng.chance(350) {
                self.sync(i)?;
            }
            self.check_levels(i)?;
            if self.now.is_multiple_of(100) {
                let node = &mut self.nodes[i];
                let below = node.replica.truncatable();
                let before = node
                    .store
                    .durable
                    .logs
                    .values()
                    .map(|l| l.floor)
                    .sum::<u64>();
                node.store.truncate(&below);
                if node
                    .store
                    .durable
                    .logs
                    .values()
                    .map(|l| l.floor)
                    .sum::<u64>()
                    > before
                {
                    self.report.truncations += 1;
                }
            }
            let now = self.now;
            let node = &mut self.nodes[i];
            node.replica.tick(now);
            let actions = if self.config.mutation == Some(Mutation::ShipUnsynced) {
                node.replica.poll(&node.store.visible)
            } else {
                node.replica.poll(&node.store.durable)
            };
            self.carry_out(i, actions)?;
        }
        self.connect()?;
        Ok(())
    }

    fn faults(&mut self) {
        if self.rng.chance(self.config.crash_rate) {
            let i = self.rng.below(self.nodes.len() as u64) as usize;
            if self.nodes[i].up {
                self.crash(i);
            }
        }
        if self.cut.is_empty() && self.rng.chance(self.config.partition_rate) {
            // One site alone against the others, or every site alone.
            let sites = self.config.sites;
            let lonely = self.rng.below(sites as u64 + 1) as usize;
            for a in 0..sites {
                for b in a + 1..sites {
                    if lonely == sites || a == lonely || b == lonely {
                        self.cut.insert((a, b));
                    }
                }
            }
            self.heal_at = self.now + self.rng.between(200, 1200);
            self.report.partitions += 1;
            let doomed: Vec<ConnId> = self
                .conns
                .iter()
                .filter(|(_, (a, b, _))| self.is_cut(*a, *b))
                .map(|(c, _)| *c)
                .collect();
            for c in doomed {
                self.close(c);
            }
        } else if !self.cut.is_empty() && self.now >= self.heal_at {
            self.cut.clear();
        }
    }

    fn is_cut(&self, a: usize, b: usize) -> bool {
        let (sa, sb) = (self.nodes[a].site, self.nodes[b].site);
        self.cut.contains(&(sa.min(sb), sa.max(sb)))
    }

    fn crash(&mut self, i: usize) {
        self.report.crashes += 1;
        let node = &mut self.nodes[i];
        node.up = false;
        node.store.crash();
        self.report.lost_unacknowledged += node.unacked.len();
        node.unacked.clear();
        node.watching.clear();
        node.restart_at = self.now + self.rng.between(100, 800);
        let mine: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, (a, b, _))| *a == i || *b == i)
            .map(|(c, _)| *c)
            .collect();
        for c in mine {
            self.close(c);
        }
    }

    fn restart(&mut self, i: usize) {
        let members: Vec<Member> = self
            .nodes
            .iter()
            .filter(|n| n.joined)
            .map(|n| Member {
                node: n.id,
                site: format!("site-{}", n.site),
            })
            .collect();
        let node = &mut self.nodes[i];
        let me = members[i].clone();
        let config = Self::replica_config(self.cluster, me, &members);
        node.replica = Replica::new(config, node.store.durable.vector());
        node.up = true;
    }

    fn close(&mut self, c: ConnId) {
        if let Some((a, b, other)) = self.conns.remove(&c) {
            self.conns.remove(&other);
            self.nodes[a].replica.closed(c);
            self.nodes[b].replica.closed(other);
        }
    }

    fn connect(&mut self) -> Result<(), Failure> {
        let n = self.nodes.len();
        for a in 0..n {
            for b in a + 1..n {
                if !self.nodes[a].up || !self.nodes[b].up || self.is_cut(a, b) {
                    continue;
                }
                let linked = self
                    .conns
                    .values()
                    .any(|(x, y, _)| (*x, *y) == (a, b) || (*x, *y) == (b, a));
                if linked || !self.rng.chance(100) {
                    continue;
                }
                let (ca, cb) = (ConnId(self.next_conn), ConnId(self.next_conn + 1));
                self.next_conn += 2;
                self.conns.insert(ca, (a, b, cb));
                self.conns.insert(cb, (b, a, ca));
                let (ida, idb) = (self.nodes[a].id, self.nodes[b].id);
                let ha = self.nodes[a].replica.open(ca, Some(idb));
                let hb = self.nodes[b].replica.open(cb, Some(ida));
                self.carry_out(a, vec![ha])?;
                self.carry_out(b, vec![hb])?;
            }
        }
        Ok(())
    }

    fn carry_out(&mut self, i: usize, actions: Vec<Action>) -> Result<(), Failure> {
        for action in actions {
            match action {
                Action::Send { conn, version, msg } => {
                    let Some(&(_, peer, their)) = self.conns.get(&conn) else {
                        continue;
                    };
                    let bytes = wire::encode(&msg, version)
                        .or_else(|e| fail(self.now, format!("encoding a frame: {e}")))?;
                    self.report.frames += 1;
                    let lossy = !self.healing;
                    if lossy && self.rng.chance(self.config.loss) {
                        continue;
                    }
                    let copies = if lossy && self.rng.chance(self.config.duplication) {
                        2
                    } else {
                        1
                    };
                    for _ in 0..copies {
                        let base = if self.nodes[i].site == self.nodes[peer].site {
                            1
                        } else {
                            self.config.inter_site_ms
                        };
                        let at = self.now + base + self.rng.below(base.max(4));
                        self.frames.push(Frame {
                            at,
                            order: self.next_order,
                            to_node: peer,
                            conn: their,
                            bytes: bytes.clone(),
                        });
                        self.next_order += 1;
                    }
                }
                Action::Apply(a) => {
                    let node = &mut self.nodes[i];
                    if let Err(e) = node.store.apply(&a) {
                        return fail(self.now, format!("node {} applying {a:?}: {e}", node.id));
                    }
                    for r in &a.records {
                        if let Some(rec) = node.store.visible.objects.get(&r.uuid) {
                            observe(&mut node.hlc, rec.updated);
                        }
                    }
                }
                Action::Close { conn, .. } => self.close(conn),
                Action::SnapshotStarted { .. } => self.report.snapshots += 1,
                Action::ApplySnapshot(a) => {
                    let node = &mut self.nodes[i];
                    if let Err(e) = node.store.apply_snapshot(&a) {
                        return fail(
                            self.now,
                            format!(
                                "node {} applying snapshot page {} from {}: {e}",
                                node.id, a.page, a.from
                            ),
                        );
                    }
                }
                Action::SourceFailed { reason, .. } => {
                    return fail(self.now, format!("reading the model store: {reason}"));
                }
            }
        }
        Ok(())
    }

    fn deliver(&mut self) -> Result<(), Failure> {
        let now = self.now;
        let mut due: Vec<Frame> = Vec::new();
        let mut i = 0;
        while i < self.frames.len() {
            if self.frames[i].at <= now {
                due.push(self.frames.swap_remove(i));
            } else {
                i += 1;
            }
        }
        due.sort_by_key(|f| (f.at, f.order));
        for f in due {
            // A frame of a closed connection, or to a node that is down, is gone.
            if !self.conns.contains_key(&f.conn) || !self.nodes[f.to_node].up {
                continue;
            }
            let (msg, _) = wire::decode(&f.bytes, &Limits::default())
                .or_else(|e| fail(now, format!("a frame the sender made does not decode: {e}")))?;
            let actions = self.nodes[f.to_node].replica.receive(f.conn, msg);
            self.carry_out(f.to_node, actions)?;
        }
        Ok(())
    }

    fn stamp(&mut self, i: usize) -> Stamp {
        let node = &mut self.nodes[i];
        let wall = (EPOCH_MS + self.now).saturating_add_signed(node.skew);
        node.hlc = if wall > node.hlc.wall_ms {
            Hlc {
                wall_ms: wall,
                logical: 0,
            }
        } else {
            Hlc {
                wall_ms: node.hlc.wall_ms,
                logical: node.hlc.logical + 1,
            }
        };
        Stamp {
            hlc: node.hlc,
            node: node.id,
        }
    }

    fn client_write(&mut self, i: usize) -> Result<(), Failure> {
        let candidates: Vec<String> = self.nodes[i]
            .store
            .visible
            .objects
            .values()
            .filter(|r| r.lifecycle.destroyed.is_none())
            .map(|r| r.uuid.clone())
            .collect();
        let kind = if candidates.is_empty() {
            Kind::Create
        } else {
            match self.rng.below(10) {
                0..=3 => Kind::Create,
                4 => Kind::Activate,
                5 => Kind::Compromise,
                6 => Kind::Destroy,
                _ => Kind::SetAttribute,
            }
        };
        let stamp = self.stamp(i);
        let event = LifecycleEvent {
            stamp,
            effective: (stamp.hlc.wall_ms / 1000) as i64,
            reason: None,
            message: None,
        };
        let rec = if kind == Kind::Create {
            let node = &mut self.nodes[i];
            node.next_object += 1;
            let uuid = format!("{}-{}", node.id, node.next_object);
            let binding = MaterialBinding {
                uuid: &uuid,
                object_type: 2,
                algorithm: Some(3),
                length: Some(256),
            };
            let material = self
                .kek
                .seal(&binding, &stamp.hlc.wall_ms.to_be_bytes().repeat(4))
                .or_else(|e| fail(self.now, format!("sealing: {e}")))?;
            ObjectRecord {
                uuid,
                domain: "default".into(),
                owner: "CN=sim".into(),
                object_type: 2,
                origin: stamp.node,
                created: stamp,
                updated: stamp,
                lifecycle: Lifecycle::default(),
                material: Some(material),
                attributes: Vec::new(),
                links: Vec::new(),
                index: IndexTerms {
                    algorithm: Some(3),
                    length: Some(256),
                    ..Default::default()
                },
            }
        } else {
            let pick = candidates[self.rng.below(candidates.len() as u64) as usize].clone();
            let mut rec = self.nodes[i].store.visible.objects[&pick].clone();
            rec.updated = rec.updated.max(stamp);
            match kind {
                Kind::Activate => rec.lifecycle.activated = Some(event),
                Kind::Compromise => rec.lifecycle.compromised = Some(event),
                Kind::Destroy => {
                    rec.lifecycle.destroyed = Some(event);
                    rec.material = None;
                }
                Kind::SetAttribute => {
                    let value = self.rng.bits().to_be_bytes().to_vec();
                    rec.attributes.retain(|a| a.name != "x-sim");
                    rec.attributes.push(StoredAttribute {
                        name: "x-sim".into(),
                        index: 0,
                        value,
                        stamp,
                        deleted: false,
                    });
                }
                Kind::Create => unreachable!("handled above"),
            }
            rec
        };
        let node = &mut self.nodes[i];
        let uuid = rec.uuid.clone();
        let seq = node
            .store
            .write(node.id, stamp, rec)
            .or_else(|e| fail(self.now, e))?;
        if self.config.mutation == Some(Mutation::ShipUnsynced) {
            node.replica.local_durable(seq);
        }
        node.unacked.push(Write {
            node: i,
            seq,
            uuid,
            kind,
            stamp,
        });
        Ok(())
    }

    fn sync(&mut self, i: usize) -> Result<(), Failure> {
        let node = &mut self.nodes[i];
        let synced = node.store.sync(node.id).or_else(|e| fail(self.now, e))?;
        node.replica.local_durable(synced.own_through);
        for (origin, through) in synced.applied {
            node.replica.applied(origin, through);
        }
        // One origin never gives a sequence to two changes, wherever they become durable.
        for e in &synced.entries {
            let keywarden_store::LogOp::PutObject { uuid } = &e.op;
            match self.issued.get(&(e.origin, e.seq)) {
                Some((u, st)) if (u.as_str(), *st) != (uuid.as_str(), e.stamp) => {
                    return fail(
                        self.now,
                        format!(
                            "entry {} of {} is {uuid} on node {} but was {u} elsewhere",
                            e.seq, e.origin, node.id
                        ),
                    );
                }
                Some(_) => {}
                None => {
                    self.issued
                        .insert((e.origin, e.seq), (uuid.clone(), e.stamp));
                }
            }
        }
        let mut actions = Vec::new();
        for (from, page, done) in &synced.snapshots {
            actions.extend(node.replica.snapshot_applied(*from, *page, done.as_ref()));
        }
        for w in node.unacked.drain(..) {
            node.watching.push((w.seq, AckLevel::Local));
            self.acknowledged.push(w);
        }
        for r in synced
            .changed
            .iter()
            .filter_map(|u| node.store.durable.objects.get(u))
        {
            if r.lifecycle.compromised.is_some() {
                self.ever_compromised
                    .entry(r.uuid.clone())
                    .or_default()
                    .insert(i);
            }
            if r.lifecycle.destroyed.is_some() {
                self.ever_destroyed
                    .entry(r.uuid.clone())
                    .or_default()
                    .insert(i);
            }
        }
        self.carry_out(i, actions)
    }

    /// When a write's level rises, it must be true of the nodes' durable state right then.
    fn check_levels(&mut self, i: usize) -> Result<(), Failure> {
        let me = self.nodes[i].id;
        let site = self.nodes[i].site;
        let connected: BTreeSet<NodeId> = self.nodes[i].replica.connected().collect();
        let mut watching = std::mem::take(&mut self.nodes[i].watching);
        for (seq, seen) in &mut watching {
            let level = if self.config.mutation == Some(Mutation::OverclaimLevel) {
                AckLevel::MultiSite
            } else {
                self.nodes[i].replica.level(*seq)
            };
            let reached = self.nodes[i].replica.reached();
            let by_reached = if *seq <= reached.multi_site {
                AckLevel::MultiSite
            } else if *seq <= reached.site {
                AckLevel::Site
            } else {
                AckLevel::Local
            };
            if self.config.mutation.is_none() && by_reached != level {
                return fail(
                    self.now,
                    format!(
                        "node {me}: write {seq} is at {level:?}, but reached() says {by_reached:?} ({reached:?})"
                    ),
                );
            }
            if level <= *seen {
                continue;
            }
            *seen = level;
            self.levels.insert((i, *seq), level);
            self.report.levels_checked += 1;
            let holds = |n: &Node| n.store.durable.vector().get(me) >= *seq;
            let same_site: Vec<&Node> = self
                .nodes
                .iter()
                .filter(|n| n.site == site && n.id != me)
                .collect();
            let site_true = same_site.iter().any(|n| holds(n))
                || !same_site.iter().any(|n| connected.contains(&n.id));
            let other_true = self.nodes.iter().any(|n| n.site != site && holds(n));
            if level >= AckLevel::Site && !site_true {
                return fail(
                    self.now,
                    format!(
                        "node {me} reported write {seq} at site level, but no node of its site holds it and one answers"
                    ),
                );
            }
            if level == AckLevel::MultiSite && !other_true {
                return fail(
                    self.now,
                    format!(
                        "node {me} reported write {seq} at multi-site level, but no node of another site holds it"
                    ),
                );
            }
        }
        watching.retain(|(_, l)| *l < AckLevel::MultiSite);
        self.nodes[i].watching = watching;
        Ok(())
    }

    /// The nodes still in the cluster.
    fn live(&self) -> impl Iterator<Item = (usize, &Node)> {
        self.nodes
            .iter()
            .enumerate()
            .filter(move |(i, _)| Some(*i) != self.lost)
    }

    fn converged(&self) -> bool {
        let Some((_, first)) = self.live().next() else {
            return true;
        };
        let vector = first.store.durable.vector();
        self.live().all(|(_, n)| {
            n.up && n.store.visible.vector() == n.store.durable.vector()
                && n.store.durable.vector() == vector
        }) && self.live().all(|(_, n)| {
            n.store.visible == n.store.durable && n.store.durable == first.store.durable
        })
    }

    fn check_end(&self) -> Result<(), Failure> {
        let now = self.now;
        // Every node holds the same entry at each (origin, seq) that it still holds: one
        // origin never gave a sequence twice.
        let mut seen: BTreeMap<(NodeId, u64), (NodeId, &str, Stamp)> = BTreeMap::new();
        for n in &self.nodes {
            for (origin, log) in &n.store.durable.logs {
                for e in &log.entries {
                    let keywarden_store::LogOp::PutObject { uuid } = &e.op;
                    let here = (n.id, uuid.as_str(), e.stamp);
                    match seen.get(&(*origin, e.seq)) {
                        Some(there) if (there.1, there.2) != (here.1, here.2) => {
                            return fail(
                                now,
                                format!(
                                    "entry {} of {origin} is {} at {} on node {} but {} at {} on node {}",
                                    e.seq,
                                    here.1,
                                    here.2.hlc.wall_ms,
                                    n.id,
                                    there.1,
                                    there.2.hlc.wall_ms,
                                    there.0
                                ),
                            );
                        }
                        Some(_) => {}
                        None => {
                            seen.insert((*origin, e.seq), here);
                        }
                    }
                }
            }
        }
        let Some((_, first)) = self.live().next() else {
            return Ok(());
        };
        let objects = &first.store.durable.objects;
        for w in &self.acknowledged {
            // The lost node's writes must survive it only once they reached site level (held
            // durably by another node of its site, or its site had no other node answering).
            if Some(w.node) == self.lost
                && self
                    .levels
                    .get(&(w.node, w.seq))
                    .is_none_or(|l| *l < AckLevel::Site)
            {
                continue;
            }
            let Some(rec) = objects.get(&w.uuid) else {
                return fail(
                    now,
                    format!("acknowledged {:?} of {} is gone", w.kind, w.uuid),
                );
            };
            let ok = match w.kind {
                Kind::Create => true,
                Kind::Activate => rec.lifecycle.activated.is_some(),
                Kind::Compromise => rec.lifecycle.compromised.is_some(),
                Kind::Destroy => rec.lifecycle.destroyed.is_some() && rec.material.is_none(),
                Kind::SetAttribute => rec
                    .attributes
                    .iter()
                    .any(|a| a.name == "x-sim" && a.stamp >= w.stamp),
            };
            if !ok {
                return fail(
                    now,
                    format!(
                        "acknowledged {:?} of {} (node {}, seq {}) is lost: {rec:?}",
                        w.kind, w.uuid, self.nodes[w.node].id, w.seq
                    ),
                );
            }
        }
        let held_by_a_live_node =
            |nodes: &BTreeSet<usize>| nodes.iter().any(|i| Some(*i) != self.lost);
        for (uuid, _) in self
            .ever_compromised
            .iter()
            .filter(|(_, nodes)| held_by_a_live_node(nodes))
        {
            if objects
                .get(uuid)
                .is_none_or(|r| r.lifecycle.compromised.is_none())
            {
                return fail(now, format!("the compromise of {uuid} was lost"));
            }
        }
        for (uuid, _) in self
            .ever_destroyed
            .iter()
            .filter(|(_, nodes)| held_by_a_live_node(nodes))
        {
            if objects
                .get(uuid)
                .is_none_or(|r| r.lifecycle.destroyed.is_none() || r.material.is_some())
            {
                return fail(now, format!("destroyed {uuid} came back"));
            }
        }
        Ok(())
    }
}

fn observe(hlc: &mut Hlc, seen: Stamp) {
    if seen.hlc > *hlc {
        *hlc = seen.hlc;
    }
}
