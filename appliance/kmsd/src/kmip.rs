//! The KMIP listener: binary TTLV over mutually authenticated TLS.
//!
//! Per connection: TLS handshake within a timeout, the caller identity from the client
//! certificate (its whole subject DN, or the configured SAN) and its role, then requests
//! strictly in order (a pipelining client simply finds its next request waiting in the
//! socket). A connection whose certificate a reloaded CRL revokes is closed as soon as the
//! reload is seen: while it waits for a request, while a request's body arrives (that request
//! is not executed), and between requests. Bodies are never logged.

use std::net::SocketAddr;
use std::sync::Arc;

use keywarden_kmip::ttlv::{Limits, peek_message_length};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsAcceptor;
use tracing::{Instrument, debug, info_span, warn};
use zeroize::{Zeroize, Zeroizing};

use crate::accept::Shutdown;
use crate::admission::Handshake;
use crate::budget::Budget;
use crate::config::Timeouts;
use crate::metrics::ListenerMetrics;
use crate::revocation::{peer_chain, until_revoked};
use crate::service::KmipService;
use keywarden_tls::{ClientTrust, IdentitySource, peer_identity};

/// Bytes of the TTLV header that carries the message length.
const HEADER_LEN: usize = 8;
/// A read buffer that grew past this is released after its request, so one large request does
/// not pin memory for the life of a connection.
const KEEP_BUFFER: usize = 64 * 1024;
/// Largest step by which the request buffer grows while a body arrives.
const READ_CHUNK: usize = 16 * 1024;
/// How long a close_notify may take.
const CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// Shared state of all KMIP connections.
pub struct KmipContext<S> {
    /// The key service.
    pub service: Arc<S>,
    /// TLS with client certificates required.
    pub acceptor: TlsAcceptor,
    /// The client CAs and their current CRLs.
    pub trust: Arc<ClientTrust>,
    /// Which part of the certificate is the caller identity.
    pub identity: IdentitySource,
    /// Message limits.
    pub limits: Limits,
    /// The process-wide budget of request bytes in memory.
    pub budget: Arc<Budget>,
    /// Timeouts.
    pub timeouts: Timeouts,
    /// Listener metrics.
    pub metrics: ListenerMetrics,
}

/// Serves one accepted TCP connection until the client leaves, misbehaves or shutdown.
pub async fn connection<S: KmipService>(
    ctx: Arc<KmipContext<S>>,
    tcp: TcpStream,
    peer: SocketAddr,
    shutdown: Shutdown,
    handshake: Handshake,
) {
    let _open = ctx.metrics.open_guard();
    let io = ctx.metrics.count(tcp);
    let mut tls = match timeout(ctx.timeouts.handshake, ctx.acceptor.accept(io)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            ctx.metrics.handshake_failures.inc();
            debug!(%peer, error = %e, "KMIP TLS handshake failed");
            return;
        }
        Err(_) => {
            ctx.metrics.handshake_failures.inc();
            debug!(%peer, "KMIP TLS handshake timed out");
            return;
        }
    };
    // The handshake is over: the connection no longer counts against the handshake limits.
    drop(handshake);
    let chain = peer_chain(tls.get_ref().1);
    // A resumed session skips certificate verification: the chain is checked against the
    // current CRLs here, for every connection.
    if !ctx.trust.still_trusted(&chain) {
        ctx.metrics.handshake_failures.inc();
        warn!(%peer, "client certificate no longer trusted (revoked or expired), closing");
        let _ = timeout(CLOSE_TIMEOUT, tls.shutdown()).await;
        return;
    }
    let identity = match chain.first() {
        Some(cert) => peer_identity(cert, ctx.identity).map_err(|e| e.to_string()),
        None => Err("no client certificate".to_owned()),
    };
    let identity = match identity {
        Ok(identity) => identity,
        Err(reason) => {
            warn!(%peer, reason, "client certificate gives no caller identity, closing");
            let _ = timeout(CLOSE_TIMEOUT, tls.shutdown()).await;
            return;
        }
    };
    let caller = ctx.service.caller(&identity, peer);
    let span = info_span!("kmip", %peer, caller = %identity);
    async {
        debug!("connection open");
        let revoked = until_revoked(&ctx.trust, &chain);
        serve_requests(&ctx, &caller, &mut tls, shutdown, revoked).await;
        let _ = timeout(CLOSE_TIMEOUT, tls.shutdown()).await;
        debug!("connection closed");
    }
    .instrument(span)
    .await;
}

/// The request loop over an established stream, until the client leaves, shutdown, or
/// `revoked` resolves (watched while waiting for a request and while its body arrives).
pub async fn serve_requests<S, T>(
    ctx: &KmipContext<S>,
    caller: &S::Caller,
    stream: &mut T,
    mut shutdown: Shutdown,
    revoked: impl Future<Output = ()>,
) where
    S: KmipService,
    T: AsyncRead + AsyncWrite + Unpin,
{
    // Requests may carry key material (Register, Import): the buffer is wiped when released.
    let mut buf = Zeroizing::new(Vec::<u8>::new());
    // One wait for the whole connection, polled first at every request boundary: a new wait per
    // request registered and removed a waiter on the shutdown channel each time, about 2% of a
    // Get's server CPU.
    let stop = shutdown.wait();
    tokio::pin!(stop);
    tokio::pin!(revoked);
    loop {
        let mut header = [0u8; HEADER_LEN];
        let read = tokio::select! {
            biased;
            () = &mut stop => return,
            () = &mut revoked => {
                warn!("client certificate revoked by a reloaded CRL, closing");
                return;
            }
            read = timeout(ctx.timeouts.idle, stream.read_exact(&mut header)) => read,
        };
        match read {
            Ok(Ok(_)) => {}
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return,
            Ok(Err(e)) => {
                debug!(error = %e, "read failed");
                return;
            }
            Err(_) => {
                debug!(idle = ?ctx.timeouts.idle, "idle timeout, closing");
                return;
            }
        }
        let total = match peek_message_length(&header, &ctx.limits) {
            Ok(total) => total,
            Err(e) => {
                warn!(error = %e, "unacceptable message header, answering and closing");
                let response = ctx.service.frame_error(caller, &e).await;
                let _ = write_response(ctx, stream, &response).await;
                return;
            }
        };
        // Reserved before the body is read, held until its response is written. The wait is
        // this connection's own read timeout at most: past it the client learns that its
        // request was not read, rather than waiting on other connections' timeouts.
        let reservation = tokio::select! {
            biased;
            () = &mut stop => return,
            () = &mut revoked => {
                warn!("client certificate revoked by a reloaded CRL, closing");
                return;
            }
            reservation = timeout(ctx.timeouts.read, ctx.budget.reserve(total)) => reservation,
        };
        let _reservation = match reservation {
            Ok(Some(reservation)) => reservation,
            Ok(None) => return,
            Err(_) => {
                warn!(
                    len = total,
                    waited = ?ctx.timeouts.read,
                    "request memory budget spent for the whole read timeout, answering and closing"
                );
                ctx.metrics.budget_timeouts.inc();
                let response = ctx.service.busy(caller, total, ctx.timeouts.read).await;
                let _ = write_response(ctx, stream, &response).await;
                return;
            }
        };
        buf.clear();
        buf.extend_from_slice(&header);
        let body = tokio::select! {
            biased;
            () = &mut revoked => {
                warn!("client certificate revoked by a reloaded CRL while a request arrived, closing without executing it");
                return;
            }
            body = timeout(ctx.timeouts.read, read_message_rest(stream, &mut buf, total)) => body,
        };
        match body {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                debug!(error = %e, "connection lost inside a request");
                return;
            }
            Err(_) => {
                // The framing is intact up to here, so the client gets a KMIP answer saying
                // what was missing rather than a silent close.
                warn!(
                    len = total,
                    received = buf.len(),
                    "request body too slow, answering and closing"
                );
                let error = keywarden_kmip::ttlv::DecodeError::Truncated {
                    offset: buf.len(),
                    needed: total.saturating_sub(buf.len()),
                };
                let response = ctx.service.frame_error(caller, &error).await;
                let _ = write_response(ctx, stream, &response).await;
                return;
            }
        }
        let response = Zeroizing::new(ctx.service.handle(caller, &buf).await);
        release_if_large(&mut buf);
        if write_response(ctx, stream, &response).await.is_err() {
            return;
        }
    }
}

/// Reads until `buf` holds `total` bytes, growing it only as data arrives: an announced
/// length costs memory only once the client actually sends that much.
///
/// Cancellation-safe: reads go into the spare capacity (`read_buf`), so when a timeout drops
/// this future `buf` holds exactly the bytes received, never zero padding.
pub async fn read_message_rest<T: AsyncRead + Unpin>(
    stream: &mut T,
    buf: &mut Zeroizing<Vec<u8>>,
    total: usize,
) -> std::io::Result<()> {
    while buf.len() < total {
        let start = buf.len();
        if buf.capacity() <= start {
            // Grow by a chunk or double (bounded by `total`) for amortised copies, into a fresh
            // allocation so the old one is wiped rather than left behind by a realloc.
            let capacity = total.min(
                start
                    .saturating_add(READ_CHUNK)
                    .max(buf.capacity().saturating_mul(2)),
            );
            let mut grown = Vec::with_capacity(capacity);
            grown.extend_from_slice(buf);
            buf.zeroize();
            **buf = grown;
        }
        // Never past `total`: the next pipelined request stays in the socket.
        let want = total.min(buf.capacity()) - start;
        let n = stream
            .read_buf(&mut bytes::BufMut::limit(&mut **buf, want))
            .await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
    }
    Ok(())
}

/// Wipes and frees a buffer that one large request made big.
fn release_if_large(buf: &mut Zeroizing<Vec<u8>>) {
    if buf.capacity() > KEEP_BUFFER {
        buf.zeroize();
        **buf = Vec::new();
    }
}

/// One write of a whole response, bounded by the write timeout.
async fn write_response<S, T>(
    ctx: &KmipContext<S>,
    stream: &mut T,
    response: &[u8],
) -> Result<(), ()>
where
    T: AsyncWrite + Unpin,
{
    let write = async {
        stream.write_all(response).await?;
        stream.flush().await
    };
    match timeout(ctx.timeouts.write, write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => {
            debug!(error = %e, "write failed");
            Err(())
        }
        Err(_) => {
            warn!(
                len = response.len(),
                "client does not read its responses, closing"
            );
            Err(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_announced_length_is_not_allocated_before_the_bytes_arrive() {
        // Announces 1 MiB, sends 100 bytes, then goes away.
        let (mut client, mut server) = tokio::io::duplex(4096);
        client.write_all(&[7u8; 100]).await.unwrap();
        drop(client);
        let mut buf = Zeroizing::new(vec![1u8; HEADER_LEN]);
        let result = read_message_rest(&mut server, &mut buf, 1 << 20).await;
        assert_eq!(
            result.map_err(|e| e.kind()),
            Err(std::io::ErrorKind::UnexpectedEof)
        );
        assert_eq!(buf.len(), HEADER_LEN + 100);
        assert!(
            buf.capacity() <= READ_CHUNK + HEADER_LEN,
            "{}",
            buf.capacity()
        );
    }

    #[tokio::test]
    async fn a_message_arriving_in_pieces_is_read_whole() {
        let total = HEADER_LEN + 3 * READ_CHUNK + 5;
        let body: Vec<u8> = (0..total - HEADER_LEN).map(|i| (i % 251) as u8).collect();
        let (mut client, mut server) = tokio::io::duplex(1000);
        let sent = body.clone();
        let writer = tokio::spawn(async move {
            for piece in sent.chunks(777) {
                client.write_all(piece).await.unwrap();
            }
        });
        let mut buf = Zeroizing::new(vec![9u8; HEADER_LEN]);
        read_message_rest(&mut server, &mut buf, total)
            .await
            .unwrap();
        writer.await.unwrap();
        assert_eq!(buf.len(), total);
        assert_eq!(buf.get(HEADER_LEN..), Some(&body[..]));
        assert!(buf.capacity() >= total);
    }
}
