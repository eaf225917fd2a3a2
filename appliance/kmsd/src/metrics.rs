//! Connection metrics of the listeners, and a byte-counting wrapper for their sockets.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Which listener a metric is about.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Listener {
    /// KMIP over TLS.
    Kmip,
    /// HTTPS.
    Https,
}

/// Direction of counted bytes.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Direction {
    /// Received from clients.
    In,
    /// Sent to clients.
    Out,
}

impl EncodeLabelValue for Listener {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
        use std::fmt::Write;
        encoder.write_str(match self {
            Listener::Kmip => "kmip",
            Listener::Https => "https",
        })
    }
}

impl EncodeLabelValue for Direction {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
        use std::fmt::Write;
        encoder.write_str(match self {
            Direction::In => "in",
            Direction::Out => "out",
        })
    }
}

/// Label set `listener`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ListenerLabels {
    listener: Listener,
}

/// Label set `listener`, `direction`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ByteLabels {
    listener: Listener,
    direction: Direction,
}

/// The metric families, registered once.
#[derive(Clone, Debug, Default)]
pub struct ConnectionMetrics {
    open: Family<ListenerLabels, Gauge>,
    rejected: Family<ListenerLabels, Counter>,
    handshake_failures: Family<ListenerLabels, Counter>,
    budget_timeouts: Family<ListenerLabels, Counter>,
    bytes: Family<ByteLabels, Counter>,
}

impl ConnectionMetrics {
    /// Registers the families under `kmsd_` in `registry`.
    pub fn register(registry: &mut Registry) -> ConnectionMetrics {
        let metrics = ConnectionMetrics::default();
        let sub = registry.sub_registry_with_prefix("kmsd");
        sub.register(
            "connections_open",
            "Open client connections",
            metrics.open.clone(),
        );
        sub.register(
            "connections_rejected",
            "Connections closed at accept because the connection limit was reached",
            metrics.rejected.clone(),
        );
        sub.register(
            "tls_handshake_failures",
            "TLS handshakes that failed or timed out",
            metrics.handshake_failures.clone(),
        );
        sub.register(
            "request_budget_timeouts",
            "Requests answered unread because the request memory budget stayed spent for the read timeout",
            metrics.budget_timeouts.clone(),
        );
        sub.register(
            "bytes",
            "Bytes on client connections, TLS included",
            metrics.bytes.clone(),
        );
        metrics
    }

    /// The handles of one listener, fetched once so the hot path touches only atomics.
    pub fn listener(&self, listener: Listener) -> ListenerMetrics {
        let labels = ListenerLabels { listener };
        let bytes = |direction| {
            self.bytes
                .get_or_create(&ByteLabels {
                    listener,
                    direction,
                })
                .clone()
        };
        ListenerMetrics {
            open: self.open.get_or_create(&labels).clone(),
            rejected: self.rejected.get_or_create(&labels).clone(),
            handshake_failures: self.handshake_failures.get_or_create(&labels).clone(),
            budget_timeouts: self.budget_timeouts.get_or_create(&labels).clone(),
            bytes_in: bytes(Direction::In),
            bytes_out: bytes(Direction::Out),
        }
    }
}

/// The metrics of one listener (cheap clones of shared atomics).
#[derive(Clone, Debug)]
pub struct ListenerMetrics {
    open: Gauge,
    /// Connections refused at the limit.
    pub rejected: Counter,
    /// Failed or timed-out TLS handshakes.
    pub handshake_failures: Counter,
    /// Requests answered unread: the request memory budget stayed spent for the read timeout.
    pub budget_timeouts: Counter,
    bytes_in: Counter,
    bytes_out: Counter,
}

impl ListenerMetrics {
    /// Counts a connection as open until the guard drops.
    pub fn open_guard(&self) -> OpenGuard {
        self.open.inc();
        OpenGuard(self.open.clone())
    }

    /// Wraps a socket so its traffic is counted.
    pub fn count<T>(&self, inner: T) -> CountingIo<T> {
        CountingIo {
            inner,
            bytes_in: self.bytes_in.clone(),
            bytes_out: self.bytes_out.clone(),
        }
    }
}

/// Decrements the open-connections gauge on drop.
#[derive(Debug)]
pub struct OpenGuard(Gauge);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// A socket whose received and sent bytes are counted.
#[derive(Debug)]
pub struct CountingIo<T> {
    inner: T,
    bytes_in: Counter,
    bytes_out: Counter,
}

impl<T: AsyncRead + Unpin> AsyncRead for CountingIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        let read = buf.filled().len().saturating_sub(before);
        if read > 0 {
            self.bytes_in.inc_by(read as u64);
        }
        poll
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for CountingIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(written)) = poll {
            self.bytes_out.inc_by(written as u64);
        }
        poll
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(written)) = poll {
            self.bytes_out.inc_by(written as u64);
        }
        poll
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
