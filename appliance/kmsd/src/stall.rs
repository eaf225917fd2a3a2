//! A socket adapter that fails writes which make no progress for too long.
//!
//! hyper has no write timeout: a client that sends requests but never reads the responses
//! leaves hyper's write pending forever, holding a connection slot. With this adapter such a
//! write ends in `TimedOut` once it has been stuck for the limit, and hyper closes the
//! connection. Any progress restarts the clock, so slow but live readers are unaffected.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// Wraps an I/O object; see the module documentation.
#[derive(Debug)]
pub struct WriteStallTimeout<T> {
    inner: T,
    limit: Duration,
    /// Armed at the first pending write of a stall, cleared by any completed write.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<T> WriteStallTimeout<T> {
    /// Wraps `inner`; a write (or flush, or shutdown) pending for `limit` fails.
    pub fn new(inner: T, limit: Duration) -> WriteStallTimeout<T> {
        WriteStallTimeout {
            inner,
            limit,
            stalled: None,
        }
    }

    fn on_poll<R>(
        &mut self,
        cx: &mut Context<'_>,
        poll: Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        match poll {
            Poll::Ready(result) => {
                self.stalled = None;
                Poll::Ready(result)
            }
            Poll::Pending => {
                let limit = self.limit;
                let timer = self
                    .stalled
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("peer has not accepted data for {limit:?}"),
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for WriteStallTimeout<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WriteStallTimeout<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.on_poll(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let poll = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.on_poll(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let poll = Pin::new(&mut this.inner).poll_flush(cx);
        this.on_poll(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let poll = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.on_poll(cx, poll)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test(start_paused = true)]
    async fn a_write_the_peer_never_takes_fails_after_the_limit() {
        let (near, _far) = tokio::io::duplex(64);
        let mut io = WriteStallTimeout::new(near, Duration::from_secs(5));
        // The paused clock auto-advances once every task waits, so this cannot hang.
        let result = io.write_all(&[0u8; 1024]).await;
        assert_eq!(result.map_err(|e| e.kind()), Err(io::ErrorKind::TimedOut));
    }

    #[tokio::test(start_paused = true)]
    async fn a_peer_that_keeps_reading_is_never_cut() {
        let (near, mut far) = tokio::io::duplex(64);
        let mut io = WriteStallTimeout::new(near, Duration::from_secs(5));
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            let mut chunk = [0u8; 16];
            loop {
                // Slower than nothing, faster than the limit, for each piece.
                tokio::time::sleep(Duration::from_secs(1)).await;
                match far.read(&mut chunk).await {
                    Ok(0) | Err(_) => return got,
                    Ok(n) => got.extend_from_slice(chunk.get(..n).unwrap_or_default()),
                }
            }
        });
        let data: Vec<u8> = (0..=255u8).collect();
        io.write_all(&data).await.unwrap();
        io.shutdown().await.unwrap();
        drop(io);
        assert_eq!(reader.await.unwrap(), data);
    }
}
