//! Settings of the replicator, validated when built so a bad one fails at start, named.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use keywarden_cluster::wire::{ClusterId, Limits};
use keywarden_cluster::{Member, ReplicaConfig};

use crate::error::NetError;

/// A peer and where it listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerAddress {
    /// Its id and site.
    pub member: Member,
    /// Its cluster listener.
    pub addr: SocketAddr,
}

/// Everything the replicator needs besides the store.
#[derive(Clone)]
pub struct NetConfig {
    /// The cluster.
    pub cluster: ClusterId,
    /// This node.
    pub me: Member,
    /// Where this node listens for peers (port 5432 on an appliance).
    pub listen: SocketAddr,
    /// The other members.
    pub peers: Vec<PeerAddress>,
    /// TLS for accepted links: the node certificate, client certificates required from the
    /// cluster CA.
    pub server: Arc<rustls::ServerConfig>,
    /// TLS for dialled links: the cluster CA as the only root, the node certificate presented.
    pub client: Arc<rustls::ClientConfig>,
    /// Frame limits.
    pub limits: Limits,
    /// How often the core's timers run.
    pub tick: Duration,
    /// Pause between attempts to reach a peer that is not connected.
    pub redial: Duration,
    /// Longest TCP connect plus TLS handshake.
    pub handshake_timeout: Duration,
    /// A link on which nothing arrives for this long is closed (acks flow at least every
    /// [`NetConfig::tick`] while entries are outstanding, and peers greet on every dial).
    pub idle_timeout: Duration,
    /// Frames queued for one link before it counts as stuck and is closed.
    pub send_queue: usize,
    /// Most entries in one message.
    pub batch_entries: usize,
    /// Entries sent to a peer and not yet acknowledged.
    pub window_entries: u64,
    /// Milliseconds before unacknowledged entries are sent again.
    pub resend_after_ms: u64,
    /// How often log entries that every member holds are dropped.
    pub truncate_every: Duration,
    /// A link on which this node sent nothing for this long gets an acknowledgement, so that
    /// the peer's idle timeout only closes links that are really dead.
    pub keepalive: Duration,
}

impl NetConfig {
    /// Defaults for timers and sizes.
    pub fn new(
        cluster: ClusterId,
        me: Member,
        listen: SocketAddr,
        peers: Vec<PeerAddress>,
        server: Arc<rustls::ServerConfig>,
        client: Arc<rustls::ClientConfig>,
    ) -> NetConfig {
        NetConfig {
            cluster,
            me,
            listen,
            peers,
            server,
            client,
            limits: Limits::default(),
            tick: Duration::from_millis(100),
            redial: Duration::from_millis(500),
            handshake_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(60),
            send_queue: 256,
            batch_entries: 256,
            window_entries: 4096,
            resend_after_ms: 5_000,
            truncate_every: Duration::from_secs(60),
            keepalive: Duration::from_secs(10),
        }
    }

    /// Checks the settings; names the first bad one.
    pub fn validate(&self) -> Result<(), NetError> {
        let bad = |field, reason: String| Err(NetError::Config { field, reason });
        let site_ok = |s: &str| {
            !s.is_empty()
                && s.len() <= 64
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        if !site_ok(&self.me.site) {
            return bad(
                "site",
                format!("{:?}: 1 to 64 of a-z, 0-9 and -", self.me.site),
            );
        }
        let mut seen = BTreeSet::from([self.me.node]);
        for p in &self.peers {
            if !seen.insert(p.member.node) {
                return bad(
                    "peers",
                    format!("node {} listed twice, or is this node", p.member.node),
                );
            }
            if !site_ok(&p.member.site) {
                return bad(
                    "peers.site",
                    format!(
                        "{:?} of node {}: 1 to 64 of a-z, 0-9 and -",
                        p.member.site, p.member.node
                    ),
                );
            }
        }
        if self.peers.len() > 31 {
            return bad(
                "peers",
                format!("{} peers, a cluster has at most 32 nodes", self.peers.len()),
            );
        }
        if self.batch_entries == 0 || self.batch_entries > self.limits.max_entries {
            return bad(
                "batch_entries",
                format!(
                    "{}, between 1 and {}",
                    self.batch_entries, self.limits.max_entries
                ),
            );
        }
        if self.window_entries < self.batch_entries as u64 {
            return bad("window_entries", "smaller than one batch".into());
        }
        for (field, d) in [
            ("tick", self.tick),
            ("redial", self.redial),
            ("handshake_timeout", self.handshake_timeout),
            ("idle_timeout", self.idle_timeout),
            ("truncate_every", self.truncate_every),
            ("keepalive", self.keepalive),
        ] {
            if d.is_zero() {
                return bad(field, "must be above zero".into());
            }
        }
        if self.idle_timeout <= self.tick * 2 {
            return bad("idle_timeout", "must be well above the tick".into());
        }
        if self.idle_timeout < (self.keepalive + self.tick) * 3 {
            return bad(
                "idle_timeout",
                format!(
                    "{:?} lets a quiet but live link close: at least three keepalives ({:?}) and ticks",
                    self.idle_timeout, self.keepalive
                ),
            );
        }
        if self.send_queue == 0 {
            return bad("send_queue", "must be above zero".into());
        }
        Ok(())
    }

    pub(crate) fn replica(&self) -> ReplicaConfig {
        let mut members: Vec<Member> = self.peers.iter().map(|p| p.member.clone()).collect();
        members.push(self.me.clone());
        let mut c = ReplicaConfig::new(self.cluster, self.me.clone(), members);
        c.batch_entries = self.batch_entries;
        c.window_entries = self.window_entries;
        c.resend_after_ms = self.resend_after_ms;
        c.keepalive_ms = u64::try_from(self.keepalive.as_millis()).unwrap_or(u64::MAX);
        c
    }
}
