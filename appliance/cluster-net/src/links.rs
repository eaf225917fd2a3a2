//! Peer links: the listener, the dialers, and per link a reader and a writer task. A link is
//! named by the node its verified certificate names (`<id>.node.keywarden`); the core refuses
//! a Hello that claims another node. The node with the lower id dials, so two nodes keep one
//! link between them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use keywarden_authz::SanKind;
use keywarden_cluster::wire::{self, HEADER_LEN, Limits, Message};
use keywarden_cluster::{ConnId, node_dns_name, node_of_dns_name};
use keywarden_store::NodeId;
use keywarden_tls::{Identity, IdentitySource, peer_identity};
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::time::timeout;
use tokio_rustls::{TlsAcceptor, TlsConnector};
use tracing::{debug, warn};

use crate::config::{NetConfig, PeerAddress};
use crate::replicator::Event;

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// The node a verified peer certificate names.
fn certified_node(chain: Option<&[CertificateDer<'_>]>) -> Result<NodeId, String> {
    let cert = chain
        .and_then(|c| c.first())
        .ok_or_else(|| "no peer certificate".to_string())?;
    match peer_identity(cert, IdentitySource::San(SanKind::Dns)) {
        Ok(Identity::San(_, name)) => {
            node_of_dns_name(&name).ok_or_else(|| format!("{name:?} is not a node name"))
        }
        Ok(other) => Err(format!("{other} is not a node name")),
        Err(e) => Err(e.to_string()),
    }
}

/// Starts the reader and writer tasks of an established link and tells the core; `ended`
/// fires when the link is gone.
fn start_link<S>(
    stream: S,
    peer: NodeId,
    config: &NetConfig,
    events: &mpsc::UnboundedSender<Event>,
) -> oneshot::Receiver<()>
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let conn = ConnId(NEXT_CONN.fetch_add(1, Ordering::Relaxed));
    let (mut rd, mut wr) = tokio::io::split(stream);
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(config.send_queue);
    let (ended_tx, ended) = oneshot::channel();
    let limits = config.limits;
    let idle = config.idle_timeout;
    // The core must know the link before its first frame: sent before the reader exists, so
    // no frame event can overtake it (a Hello taken for a closed link's would be dropped).
    let _ = events.send(Event::Opened {
        conn,
        peer,
        frames: tx,
    });
    let reader_events = events.clone();
    let reader = tokio::spawn(async move {
        let why = loop {
            match timeout(idle, read_frame(&mut rd, &limits)).await {
                Ok(Ok(msg)) => {
                    if reader_events.send(Event::Frame { conn, msg }).is_err() {
                        break "replicator stopped".to_string();
                    }
                }
                Ok(Err(e)) => break e,
                Err(_) => break format!("nothing received for {idle:?}"),
            }
        };
        debug!(%peer, conn = conn.0, reason = %why, "peer link closed");
        let _ = reader_events.send(Event::Closed { conn });
        let _ = ended_tx.send(());
    });
    let reader_abort = reader.abort_handle();
    tokio::spawn(async move {
        while let Some(frame) = rx.recv().await {
            if let Err(e) = wr.write_all(&frame).await {
                debug!(%peer, conn = conn.0, error = %e, "peer link write failed");
                break;
            }
            // Flush only when nothing else is queued, so a burst goes out in few records.
            if rx.is_empty()
                && let Err(e) = wr.flush().await
            {
                debug!(%peer, conn = conn.0, error = %e, "peer link flush failed");
                break;
            }
        }
        let _ = wr.shutdown().await;
        // The writer is gone (closed by the core, or the socket failed): so is the link.
        reader_abort.abort();
    });
    ended
}

/// One frame, within the limits; the error says why the link ends.
async fn read_frame<R: AsyncRead + Unpin>(rd: &mut R, limits: &Limits) -> Result<Message, String> {
    let mut header = [0u8; HEADER_LEN];
    rd.read_exact(&mut header)
        .await
        .map_err(|e| format!("reading a frame header: {e}"))?;
    let (len, _) = wire::peek_frame(&header, limits).map_err(|e| e.to_string())?;
    // The buffer grows as bytes arrive: an announced length costs memory only once sent.
    let mut frame = Vec::with_capacity(HEADER_LEN + len.min(64 * 1024));
    frame.extend_from_slice(&header);
    let got = rd
        .take(len as u64)
        .read_to_end(&mut frame)
        .await
        .map_err(|e| format!("reading a frame body: {e}"))?;
    if got < len {
        return Err(format!("frame cut short: {got} of {len} bytes"));
    }
    wire::decode(&frame, limits)
        .map(|(msg, _)| msg)
        .map_err(|e| format!("peer sent an unreadable frame: {e}"))
}

/// Handshakes in progress on the cluster listener.
#[derive(Default)]
struct Handshakes {
    by_ip: std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>,
}

/// Most handshakes in progress in total, and from one address.
const MAX_HANDSHAKES: usize = 64;
const MAX_HANDSHAKES_PER_IP: usize = 8;

/// One admitted handshake; its slot is freed on drop.
struct HandshakePermit {
    of: Arc<Handshakes>,
    ip: std::net::IpAddr,
}

impl Handshakes {
    fn admit(self: &Arc<Self>, ip: std::net::IpAddr) -> Option<HandshakePermit> {
        let mut by_ip = self.by_ip.lock().unwrap_or_else(|p| p.into_inner());
        let total: usize = by_ip.values().sum();
        let mine = by_ip.get(&ip).copied().unwrap_or(0);
        if total >= MAX_HANDSHAKES || mine >= MAX_HANDSHAKES_PER_IP {
            return None;
        }
        by_ip.insert(ip, mine + 1);
        Some(HandshakePermit {
            of: Arc::clone(self),
            ip,
        })
    }
}

impl Drop for HandshakePermit {
    fn drop(&mut self) {
        let mut by_ip = self.of.by_ip.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = by_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                by_ip.remove(&self.ip);
            }
        }
    }
}

/// Accepts peer links until the listener fails or the task is aborted.
pub(crate) async fn listen(
    listener: TcpListener,
    config: Arc<NetConfig>,
    events: mpsc::UnboundedSender<Event>,
) {
    let acceptor = TlsAcceptor::from(Arc::clone(&config.server));
    let handshakes = Arc::new(Handshakes::default());
    loop {
        let (tcp, addr) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                warn!(error = %e, "cluster listener accept failed");
                tokio::time::sleep(config.redial).await;
                continue;
            }
        };
        // Before the handshake nobody is known: bounded per address and in total, so that a
        // flood of idle connections cannot keep members out for long.
        let Some(permit) = handshakes.admit(addr.ip()) else {
            debug!(%addr, "too many cluster handshakes in progress, closing");
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let config = Arc::clone(&config);
        let events = events.clone();
        tokio::spawn(async move {
            let accepted = timeout(config.handshake_timeout, acceptor.accept(tcp)).await;
            drop(permit);
            let tls = match accepted {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => {
                    debug!(%addr, error = %e, "peer TLS handshake failed");
                    return;
                }
                Err(_) => {
                    debug!(%addr, "peer TLS handshake timed out");
                    return;
                }
            };
            match certified_node(tls.get_ref().1.peer_certificates()) {
                Ok(peer) => {
                    // The dialling side waits for the end of its link; the accepting side
                    // has nothing to do when it ends.
                    drop(start_link(tls, peer, &config, &events));
                }
                Err(reason) => warn!(%addr, reason, "peer certificate names no node, closing"),
            }
        });
    }
}

/// Keeps a link to `peer` (a node with a higher id) up: dials, waits until the link ends,
/// pauses, dials again.
pub(crate) async fn dial(
    peer: PeerAddress,
    config: Arc<NetConfig>,
    events: mpsc::UnboundedSender<Event>,
) {
    let connector = TlsConnector::from(Arc::clone(&config.client));
    let node = peer.member.node;
    let name = match ServerName::try_from(node_dns_name(node)) {
        Ok(n) => n,
        Err(e) => {
            warn!(%node, error = %e, "no server name for peer");
            return;
        }
    };
    loop {
        let attempt = async {
            let tcp = TcpStream::connect(peer.addr)
                .await
                .map_err(|e| format!("connecting to {}: {e}", peer.addr))?;
            let _ = tcp.set_nodelay(true);
            connector
                .connect(name.clone(), tcp)
                .await
                .map_err(|e| format!("TLS with {}: {e}", peer.addr))
        };
        match timeout(config.handshake_timeout, attempt).await {
            Ok(Ok(tls)) => {
                // The server certificate was verified for `name`: it is that node.
                let ended = start_link(tls, node, &config, &events);
                let _ = ended.await;
            }
            Ok(Err(reason)) => debug!(%node, reason, "peer not reached"),
            Err(_) => debug!(%node, "peer not reached in time"),
        }
        if events.is_closed() {
            return;
        }
        tokio::time::sleep(config.redial).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_frame_announcing_the_largest_length_and_cut_short_is_an_error() {
        let limits = Limits::default();
        let (mut client, mut server) = tokio::io::duplex(4096);
        let mut header = (u32::try_from(limits.max_frame).expect("fits"))
            .to_be_bytes()
            .to_vec();
        header.extend_from_slice(&wire::PROTOCOL_VERSION.to_be_bytes());
        client.write_all(&header).await.expect("header");
        client.write_all(&[1, 2, 3]).await.expect("body");
        drop(client);
        let err = read_frame(&mut server, &limits)
            .await
            .expect_err("cut short");
        assert!(err.contains("cut short"), "{err}");
    }

    #[test]
    fn handshakes_are_bounded_per_address_and_in_total() {
        let h = Arc::new(Handshakes::default());
        let one: std::net::IpAddr = "10.0.0.1".parse().expect("ip");
        let permits: Vec<_> = (0..MAX_HANDSHAKES_PER_IP)
            .map(|_| h.admit(one).expect("admitted"))
            .collect();
        assert!(h.admit(one).is_none(), "per address");
        let mut others = Vec::new();
        for i in 0..MAX_HANDSHAKES - MAX_HANDSHAKES_PER_IP {
            let ip = std::net::IpAddr::from([10, 1, (i / 200) as u8, (i % 200) as u8]);
            others.push(h.admit(ip).expect("admitted"));
        }
        assert!(
            h.admit("10.9.9.9".parse().expect("ip")).is_none(),
            "in total"
        );
        drop(permits);
        assert!(h.admit(one).is_some(), "freed on drop");
    }
}
