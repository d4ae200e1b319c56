//! What the S3 server and the credential emulator share to serve HTTP on loopback: binding a
//! listener (errors back to the caller), a tokio runtime on its own thread running an accept
//! loop until told to stop, HTTP/1 on each connection, and the handle that stops it all and
//! joins the thread. What each connection carries (TLS, the S3 front door, the emulator's
//! routes) is the caller's.

use crate::Error;

use http::{Request, Response};
use hyper::body::Incoming;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::watch;

fn io_err(what: String) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Io { what, source }
}

/// Binds `addr` (non-blocking, for tokio) and returns the listener with its address; `name`
/// says whose it is in errors.
///
/// # Errors
/// The address cannot be bound or configured.
pub fn bind(addr: SocketAddr, name: &str) -> Result<(std::net::TcpListener, SocketAddr), Error> {
    let listener =
        std::net::TcpListener::bind(addr).map_err(io_err(format!("bind the {name} address")))?;
    listener
        .set_nonblocking(true)
        .map_err(io_err(format!("configure the {name} listener")))?;
    let bound = listener
        .local_addr()
        .map_err(io_err(format!("read the {name} address")))?;
    Ok((listener, bound))
}

/// How a server runs.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Name of its thread and runtime threads.
    pub name: &'static str,
    /// Runtime worker threads.
    pub workers: usize,
    /// At stop, how long open connections get to finish (`None`: they are dropped at once,
    /// with any request still unanswered).
    pub drain: Option<Duration>,
}

/// A running accept loop; stopping (or dropping) it ends the loop and joins its thread.
#[derive(Debug)]
pub struct Serving {
    stop: Option<watch::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Serving {
    /// Stops accepting, lets connections finish as the spec says, and joins the thread.
    pub fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(true);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs an accept loop on `listener` on a new runtime thread; each connection goes to
/// `serve(stream, remote, stop)`. `stop` is sent `true` at shutdown (its receivers, the
/// caller's too, see it).
///
/// # Errors
/// The runtime or the thread cannot be started.
pub fn start<C, F>(
    listener: std::net::TcpListener,
    spec: Spec,
    stop: watch::Sender<bool>,
    serve: C,
) -> Result<Serving, Error>
where
    C: Fn(tokio::net::TcpStream, SocketAddr, watch::Receiver<bool>) -> F + Send + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(spec.workers)
        .thread_name(spec.name)
        .enable_all()
        .build()
        .map_err(io_err(format!("start the {} runtime", spec.name)))?;
    let rx = stop.subscribe();
    let thread = std::thread::Builder::new()
        .name(spec.name.to_owned())
        .spawn(move || {
            runtime.block_on(accept_loop(listener, spec, serve, rx));
            runtime.shutdown_timeout(Duration::from_secs(1));
        })
        .map_err(io_err(format!("spawn the {} thread", spec.name)))?;
    Ok(Serving {
        stop: Some(stop),
        thread: Some(thread),
    })
}

async fn accept_loop<C, F>(
    listener: std::net::TcpListener,
    spec: Spec,
    serve: C,
    mut stop: watch::Receiver<bool>,
) where
    C: Fn(tokio::net::TcpStream, SocketAddr, watch::Receiver<bool>) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("test-server: {}: cannot use the listener: {e}", spec.name);
            return;
        }
    };
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => {
                    let _ = stream.set_nodelay(true);
                    conns.spawn(serve(stream, remote, stop.clone()));
                }
                Err(e) => {
                    eprintln!("test-server: {}: accept failed: {e}", spec.name);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    let Some(drain) = spec.drain else {
        conns.abort_all();
        return;
    };
    let drained = tokio::time::timeout(drain + Duration::from_secs(1), async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        conns.abort_all();
    }
}

/// Serves HTTP/1 (keep-alive) on one connection until it ends; when `stop` fires, it gets
/// `drain` to finish its current request.
pub async fn http1<I, S, B>(io: I, service: S, mut stop: watch::Receiver<bool>, drain: Duration)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: hyper::service::Service<Request<Incoming>, Response = Response<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stop.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(drain, conn.as_mut()).await;
        }
    }
}
