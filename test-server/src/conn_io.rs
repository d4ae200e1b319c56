//! The server end of a TCP connection, able to end with a reset (RST) instead of an orderly
//! close when an injected fault asks for it, so clients see a real "connection reset" in the
//! middle of sending a body. Plain byte forwarding otherwise.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A TCP stream that resets on drop once `reset` is set.
#[derive(Debug)]
pub struct ResetOnDrop {
    inner: TcpStream,
    reset: Arc<AtomicBool>,
}

impl ResetOnDrop {
    /// Wraps `inner`; setting `reset` makes the close a reset.
    pub fn new(inner: TcpStream, reset: Arc<AtomicBool>) -> Self {
        Self { inner, reset }
    }

    fn resetting(&self) -> bool {
        self.reset.load(Ordering::SeqCst)
    }
}

impl AsyncRead for ResetOnDrop {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ResetOnDrop {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.resetting() {
            // No FIN first: the drop sends the RST.
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

impl Drop for ResetOnDrop {
    fn drop(&mut self) {
        if self.resetting() {
            let _ = self.inner.set_zero_linger();
        }
    }
}
