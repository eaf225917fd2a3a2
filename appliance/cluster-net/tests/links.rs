//! Real replicators over real TLS on loopback, each over its own store: writes travel to every
//! member and report their acknowledgement levels, a node that was away catches up, and a peer
//! whose Hello claims another node than its certificate is refused.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use keywarden_cluster::wire::ClusterId;
use keywarden_cluster::{AckLevel, Member, node_dns_name};
use keywarden_cluster_net::{NetConfig, PeerAddress, Replicator};
use keywarden_dev_pki::{CertPair, DevPki};
use keywarden_store::testing::{open_unlocked, test_record};
use keywarden_store::{Store, StoreOptions, WriteOp};
use keywarden_tls::{ClientAuth, ClientTrust, ServerTls, mutual_client_config};
use tokio::net::TcpListener;

const CLUSTER: ClusterId = ClusterId(*b"keywarden-test-1");
/// Bound of every wait: replication on loopback takes milliseconds.
const WAIT: Duration = Duration::from_secs(20);

struct Node {
    store: Arc<Store>,
    member: Member,
    pair: CertPair,
    addr: std::net::SocketAddr,
    listener: Option<TcpListener>,
}

async fn node(dir: &Path, pki: &DevPki, name: &str, site: &str) -> Node {
    let store = Arc::new(open_unlocked(
        &dir.join(format!("{name}.redb")),
        StoreOptions::default(),
    ));
    let pair = pki.pair(name);
    pki.issue_node(&pair, &node_dns_name(store.node_id()))
        .expect("node certificate");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    Node {
        member: Member {
            node: store.node_id(),
            site: site.into(),
        },
        addr: listener.local_addr().expect("addr"),
        listener: Some(listener),
        store,
        pair,
    }
}

/// A temporary directory with a dev PKI in it, for one test's nodes.
fn workspace() -> (tempfile::TempDir, DevPki) {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = DevPki::at(&dir.path().join("pki"));
    pki.ensure().expect("pki");
    (dir, pki)
}

/// The same node as another test's view of it: its identity and address, no listener.
fn copy(n: &Node) -> Node {
    Node {
        store: Arc::clone(&n.store),
        member: n.member.clone(),
        pair: n.pair.clone(),
        addr: n.addr,
        listener: None,
    }
}

fn config(pki: &DevPki, me: &Node, pair: &CertPair, all: &[&Node]) -> NetConfig {
    let provider = keywarden_tls::provider().expect("provider");
    let trust = ClientTrust::load(Arc::clone(&provider), &pki.ca.cert, Vec::new()).expect("trust");
    let server = ServerTls::load(Arc::clone(&provider), trust, &pair.cert, &pair.key)
        .expect("server tls")
        .server_config(ClientAuth::Required, &[])
        .expect("server config");
    let client = mutual_client_config(provider, &pki.ca.cert, Vec::new(), &pair.cert, &pair.key)
        .expect("client config");
    let peers = all
        .iter()
        .filter(|n| n.member.node != me.member.node)
        .map(|n| PeerAddress {
            member: n.member.clone(),
            addr: n.addr,
        })
        .collect();
    let mut c = NetConfig::new(CLUSTER, me.member.clone(), me.addr, peers, server, client);
    c.tick = Duration::from_millis(20);
    c.redial = Duration::from_millis(50);
    c.batch_entries = 16;
    c.window_entries = 64;
    c
}

async fn start(pki: &DevPki, me: &mut Node, all: &[&Node]) -> Replicator {
    let listener = match me.listener.take() {
        Some(l) => l,
        None => TcpListener::bind(me.addr).await.expect("rebind"),
    };
    let c = config(pki, me, &me.pair, all);
    Replicator::start_on(listener, c, Arc::clone(&me.store))
        .await
        .expect("start")
}

/// Writes `n` objects named `prefix-i` on `node` (its replicator learns of them from the
/// store); returns the last seq.
async fn write(node: &Node, prefix: &str, n: usize) -> u64 {
    let mut last = 0;
    for i in 0..n {
        let info = node
            .store
            .commit(vec![WriteOp::PutObject(test_record(
                node.store.clock().now(),
                &format!("{prefix}-{i}"),
                "CN=test",
                &[],
            ))])
            .await
            .expect("commit");
        last = info.seqs.into_iter().max().unwrap_or(last);
    }
    last
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < WAIT, "not within {WAIT:?}: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn has_all(store: &Store, prefix: &str, n: usize) -> bool {
    (0..n).all(|i| store.get(&format!("{prefix}-{i}")).expect("get").is_some())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_reach_every_member_with_their_levels_and_an_absent_node_catches_up() {
    let (dir, pki) = workspace();
    let mut a = node(dir.path(), &pki, "a", "one").await;
    let mut b = node(dir.path(), &pki, "b", "one").await;
    let mut c = node(dir.path(), &pki, "c", "two").await;
    let shape = [copy(&a), copy(&b), copy(&c)];
    let all: Vec<&Node> = shape.iter().collect();
    let ra = start(&pki, &mut a, &all).await;
    let rb = start(&pki, &mut b, &all).await;
    let rc = start(&pki, &mut c, &all).await;
    let mut metrics_a = prometheus_client::registry::Registry::default();
    ra.register_metrics(&mut metrics_a);
    let mut metrics_b = prometheus_client::registry::Registry::default();
    rb.register_metrics(&mut metrics_b);

    let last = write(&a, "a", 40).await;
    until("a's writes on b and c", || {
        has_all(&b.store, "a", 40) && has_all(&c.store, "a", 40)
    })
    .await;
    assert_eq!(
        ra.wait_level(last, AckLevel::MultiSite, WAIT).await,
        AckLevel::MultiSite
    );
    let text = |r: &prometheus_client::registry::Registry| {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, r).expect("encode");
        out
    };
    until("a's metrics show its peers and no lag", || {
        let m = text(&metrics_a);
        m.contains("replication_peers_connected 2")
            && m.contains("replication_writes_acknowledged_total{level=\"multi-site\"} 1")
            && m.lines()
                .filter(|l| l.starts_with("replication_lag_entries{"))
                .all(|l| l.ends_with(" 0"))
    })
    .await;
    let mb = text(&metrics_b);
    assert!(
        mb.lines()
            .any(|l| l.starts_with("replication_batches_applied_total") && !l.ends_with(" 0")),
        "{mb}"
    );
    write(&c, "c", 10).await;
    until("c's writes on a and b", || {
        has_all(&a.store, "c", 10) && has_all(&b.store, "c", 10)
    })
    .await;
    assert_eq!(
        b.store.log_since(a.member.node, 0, 100).expect("log"),
        a.store.log_since(a.member.node, 0, 100).expect("log"),
        "b holds a's log as a wrote it"
    );

    // b goes away; a writes on; b comes back on the same address and catches up.
    rb.shutdown().await;
    until("a sees b gone", || {
        !ra.status().connected.contains(&b.member.node)
    })
    .await;
    let more = write(&a, "later", 25).await;
    // c (another site) acknowledges; b, a's only site peer, does not answer: site level holds.
    assert_eq!(
        ra.wait_level(more, AckLevel::MultiSite, WAIT).await,
        AckLevel::MultiSite
    );
    let rb = start(&pki, &mut b, &all).await;
    until("b catches up", || has_all(&b.store, "later", 25)).await;
    until("vectors agree", || {
        let va = a.store.version_vector().expect("vv");
        va == b.store.version_vector().expect("vv") && va == c.store.version_vector().expect("vv")
    })
    .await;
    for r in [ra, rb, rc] {
        r.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_claiming_another_node_than_its_certificate_is_refused() {
    let (dir, pki) = workspace();
    let mut a = node(dir.path(), &pki, "a", "one").await;
    let mut b = node(dir.path(), &pki, "b", "one").await;
    let mut c = node(dir.path(), &pki, "c", "one").await;
    let shape = [copy(&a), copy(&b), copy(&c)];
    let all: Vec<&Node> = shape.iter().collect();
    // c presents b's certificate: whoever it reaches sees node b certified and node c said.
    c.pair = b.pair.clone();
    let ra = start(&pki, &mut a, &all).await;
    let rb = start(&pki, &mut b, &all).await;
    let rc = start(&pki, &mut c, &all).await;
    write(&c, "c", 5).await;
    write(&a, "a", 5).await;
    until("a's writes on b", || has_all(&b.store, "a", 5)).await;
    // Give c time to try every link a few times.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !has_all(&a.store, "c", 1) && !has_all(&b.store, "c", 1),
        "c's writes got in"
    );
    assert!(!ra.status().connected.contains(&c.member.node));
    for r in [ra, rb, rc] {
        r.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_joining_after_the_logs_were_truncated_bootstraps_from_a_snapshot() {
    let (dir, pki) = workspace();
    let mut a = node(dir.path(), &pki, "a", "one").await;
    let mut b = node(dir.path(), &pki, "b", "two").await;
    let mut j = node(dir.path(), &pki, "j", "one").await;
    let founders = [copy(&a), copy(&b)];
    let two: Vec<&Node> = founders.iter().collect();
    let quick = |mut c: NetConfig| {
        c.truncate_every = Duration::from_millis(50);
        c
    };
    let start_with = |me: &mut Node, all: &[&Node]| {
        let listener = me.listener.take().expect("listener");
        let c = quick(config(&pki, me, &me.pair, all));
        Replicator::start_on(listener, c, Arc::clone(&me.store))
    };
    let ra = start_with(&mut a, &two).await.expect("start a");
    let rb = start_with(&mut b, &two).await.expect("start b");
    write(&a, "a", 300).await;
    write(&b, "b", 100).await;
    until("a and b agree", || {
        has_all(&b.store, "a", 300) && has_all(&a.store, "b", 100)
    })
    .await;
    // Every member holds everything: every copy of every log is dropped, so j can only be
    // brought up by a snapshot.
    until("every log truncated", || {
        [&a, &b].iter().all(|n| {
            [a.member.node, b.member.node].iter().all(|origin| {
                n.store
                    .log_since(*origin, 0, 1)
                    .expect("log")
                    .first()
                    .is_none_or(|e| e.seq > 1)
            })
        })
    })
    .await;

    let everyone = [copy(&a), copy(&b), copy(&j)];
    let three: Vec<&Node> = everyone.iter().collect();
    for r in [&ra, &rb] {
        r.add_member(PeerAddress {
            member: j.member.clone(),
            addr: j.addr,
        });
    }
    let rj = start_with(&mut j, &three).await.expect("start j");
    until("j bootstrapped", || {
        has_all(&j.store, "a", 300) && has_all(&j.store, "b", 100)
    })
    .await;
    until("j's vector reaches the others'", || {
        j.store.version_vector().expect("vv") == a.store.version_vector().expect("vv")
    })
    .await;
    // And it follows new writes as any member does.
    write(&b, "after", 5).await;
    until("new writes reach j", || has_all(&j.store, "after", 5)).await;
    for r in [ra, rb, rj] {
        r.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_link_stays_up_on_keepalives() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let (dir, pki) = workspace();
    let mut a = node(dir.path(), &pki, "a", "one").await;
    let mut b = node(dir.path(), &pki, "b", "two").await;
    let shape = [copy(&a), copy(&b)];
    let all: Vec<&Node> = shape.iter().collect();
    let mut starts = Vec::new();
    for me in [&mut a, &mut b] {
        let listener = me.listener.take().expect("listener");
        let mut c = config(&pki, me, &me.pair, &all);
        // Ten keepalives per idle timeout: a stall of a loaded test machine does not close
        // the link, a missing keepalive does.
        c.keepalive = Duration::from_millis(100);
        c.idle_timeout = Duration::from_millis(1000);
        starts.push(
            Replicator::start_on(listener, c, Arc::clone(&me.store))
                .await
                .expect("start"),
        );
    }
    let rb = starts.pop().expect("b");
    let ra = starts.pop().expect("a");
    until("linked", || ra.status().connected == vec![b.member.node]).await;
    // Nothing to replicate for three idle timeouts: the link must not drop once.
    let mut status = ra.status();
    let quiet = Instant::now();
    while quiet.elapsed() < Duration::from_millis(3000) {
        tokio::time::sleep(Duration::from_millis(10)).await;
        status = ra.status();
        assert_eq!(
            status.connected,
            vec![b.member.node],
            "link dropped while quiet"
        );
    }
    let _ = status;
    // A setting that would let a quiet link close is refused at start.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let mut bad = config(&pki, &a, &a.pair, &all);
    bad.keepalive = Duration::from_secs(30);
    bad.idle_timeout = Duration::from_secs(60);
    let err = Replicator::start_on(listener, bad, Arc::clone(&a.store))
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("idle_timeout"), "{err}");
    for r in [ra, rb] {
        r.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_member_is_cut_off_and_its_later_writes_stay_out() {
    let (dir, pki) = workspace();
    let mut a = node(dir.path(), &pki, "a", "one").await;
    let mut b = node(dir.path(), &pki, "b", "one").await;
    let mut c = node(dir.path(), &pki, "c", "two").await;
    let shape = [copy(&a), copy(&b), copy(&c)];
    let all: Vec<&Node> = shape.iter().collect();
    let ra = start(&pki, &mut a, &all).await;
    let rb = start(&pki, &mut b, &all).await;
    let rc = start(&pki, &mut c, &all).await;
    write(&c, "before", 3).await;
    until("c's first writes everywhere", || {
        has_all(&a.store, "before", 3) && has_all(&b.store, "before", 3)
    })
    .await;
    ra.remove_member(c.member.node);
    rb.remove_member(c.member.node);
    until("c gone from a and b", || {
        !ra.status().connected.contains(&c.member.node)
            && !rb.status().connected.contains(&c.member.node)
    })
    .await;
    write(&c, "after", 3).await;
    // c keeps dialling and is refused each time; give it several attempts.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !ra.status().connected.contains(&c.member.node),
        "a removed member linked again"
    );
    assert!(
        a.store.get("after-0").expect("get").is_none()
            && b.store.get("after-0").expect("get").is_none(),
        "a removed member's later writes got in"
    );
    // What it wrote before its removal stays.
    assert!(has_all(&a.store, "before", 3));
    for r in [ra, rb, rc] {
        r.shutdown().await;
    }
}
