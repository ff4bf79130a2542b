//! Serving connections: HTTP/1.1 through hyper's connection builder, so that the limits of
//! [`crate::limits`] hold on every connection (`axum::serve` does not expose them): a
//! header-read timeout, an idle timeout, a bound on the request head, WebSocket upgrades and a
//! graceful shutdown.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

use crate::limits::{ACCEPT_BACKOFF, HEAD_BYTES, HEADERS, SOCKETS_CLOSE, Timeouts};
use crate::{AppState, Phase, live};

/// Serves the app on `listener` until `shutdown` completes, then stops gracefully:
///
/// 1. Stopping ([`Phase::Stopping`]): no new session starts (503), `/readyz` answers 503,
///    and each live session's pages are told. Connections are still taken, so the sessions
///    going on carry on with their pages, until none is going on, [`Timeouts::drain`] has
///    passed, or [`AppState::stop_now`] is called.
/// 2. Saving ([`Phase::Saving`]): every live session is moved to now and its records saved;
///    its pages are told supine has stopped.
/// 3. Stopped ([`Phase::Stopped`]): sockets close with 1001; the listener closes, each
///    connection finishes the request it is answering, and this returns.
///
/// Each connection gets [`Timeouts::header_read`] to send a request's head (counted again for
/// every request on a kept-alive connection) and is closed after [`Timeouts::idle`] with
/// nothing read or written. A failed `accept` (too many open files) is logged and retried
/// after [`ACCEPT_BACKOFF`]; it never stops the server.
pub async fn serve<F>(listener: TcpListener, state: AppState, shutdown: F) -> io::Result<()>
where
    F: Future<Output = ()> + Send,
{
    let timeouts = state.timeouts();
    // Dropping the sender tells every connection to finish up.
    let (stop, stopped) = watch::channel(());
    let mut taken = Taken {
        listener,
        tasks: tokio::task::JoinSet::new(),
        app: crate::router(state.clone()),
        tls: state.tls().map(tokio_rustls::TlsAcceptor::from),
        timeouts,
        stopped,
    };
    taken.until(shutdown).await;

    state.set_phase(Phase::Stopping);
    live::tell_all(&state).await;
    let going_on = live::going_on(&state);
    if going_on > 0 {
        tracing::info!(
            sessions = going_on,
            "stopping: waiting up to {} s for the sessions going on to end",
            timeouts.drain.as_secs()
        );
    }
    let ended = async {
        let mut check = tokio::time::interval(DRAIN_CHECK);
        while live::going_on(&state) > 0 {
            check.tick().await;
        }
    };
    taken
        .until(async {
            tokio::select! {
                () = tokio::time::sleep(timeouts.drain) => {}
                () = state.hurried() => {}
                () = ended => {}
            }
        })
        .await;
    state.set_phase(Phase::Saving);
    live::save_all(&state).await;
    state.set_phase(Phase::Stopped);
    let mut tasks = taken.tasks;
    drop(taken.listener);
    drop(stop);
    while tasks.join_next().await.is_some() {}
    // Each socket sends its last update and a close frame; a page that does not read them
    // does not hold the stop.
    let _ = tokio::time::timeout(SOCKETS_CLOSE, state.sockets_closed()).await;
    tracing::info!("stopped");
    Ok(())
}

/// How often a stop looks whether the live sessions have ended: every 250 ms.
const DRAIN_CHECK: Duration = Duration::from_millis(250);

/// The listener and the connections taken from it, each served in a task.
struct Taken {
    listener: TcpListener,
    tasks: tokio::task::JoinSet<()>,
    app: Router,
    /// Set when the server speaks HTTPS (`supine serve --lan`).
    tls: Option<tokio_rustls::TlsAcceptor>,
    timeouts: Timeouts,
    /// Changes (its sender dropped) when every connection should finish up.
    stopped: watch::Receiver<()>,
}

impl Taken {
    /// Takes connections until `until` completes. A failed `accept` (too many open files) is
    /// logged and followed by a pause.
    async fn until(&mut self, until: impl Future<Output = ()>) {
        let mut until = std::pin::pin!(until);
        loop {
            tokio::select! {
                () = &mut until => return,
                Some(_) = self.tasks.join_next(), if !self.tasks.is_empty() => {}
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let (app, stopped) = (self.app.clone(), self.stopped.clone());
                        let (tls, timeouts) = (self.tls.clone(), self.timeouts);
                        self.tasks.spawn(async move {
                            // Updates are small and prompt: send each at once.
                            let _ = stream.set_nodelay(true);
                            match tls {
                                None => connection(stream, peer, app, timeouts, stopped).await,
                                Some(tls) => {
                                    if let Some(stream) = handshake(stream, &tls, timeouts).await {
                                        connection(stream, peer, app, timeouts, stopped).await;
                                    }
                                }
                            }
                        });
                    }
                    Err(e) => {
                        tracing::warn!("cannot accept a connection: {e}");
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                    }
                },
            }
        }
    }
}

/// The TLS handshake of a connection to an HTTPS server, within [`Timeouts::header_read`].
/// A connection that speaks plain HTTP instead is told, in plain HTTP, to use `https://`; one
/// that fails the handshake (a phone that has not accepted the certificate yet) is closed.
async fn handshake(
    mut stream: TcpStream,
    tls: &tokio_rustls::TlsAcceptor,
    timeouts: Timeouts,
) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
    let started = async {
        let mut first = [0u8; 1];
        // A TLS connection opens with a handshake record (type 22).
        if stream.peek(&mut first).await.ok()? == 1 && first[0] != TLS_HANDSHAKE {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            // What the client sent is read (and dropped) before the answer and after it, until
            // it closes: a socket closed with unread bytes resets, and the client would lose
            // the answer.
            let mut sink = [0u8; 4096];
            let _ = stream.read(&mut sink).await;
            let _ = stream.write_all(PLAIN_HTTP_ANSWER.as_bytes()).await;
            let _ = stream.shutdown().await;
            while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
            return None;
        }
        tls.accept(stream).await.ok()
    };
    tokio::time::timeout(timeouts.header_read, started)
        .await
        .ok()
        .flatten()
}

/// The first byte of a TLS handshake record.
const TLS_HANDSHAKE: u8 = 22;

/// What a plain-HTTP request to the HTTPS server gets.
const PLAIN_HTTP_ANSWER: &str = "HTTP/1.1 400 Bad Request\r\n\
    Content-Type: text/plain; charset=utf-8\r\n\
    Connection: close\r\n\
    Content-Length: 70\r\n\r\n\
    This supine speaks HTTPS: open the address with https:// at the start.";

/// One connection, to its end or until the server stops.
async fn connection<S>(
    stream: S,
    peer: SocketAddr,
    app: Router,
    timeouts: Timeouts,
    mut stopped: watch::Receiver<()>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let io = TokioIo::new(IdleTimeout::new(stream, timeouts.idle));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.header_read)
        .max_buf_size(HEAD_BYTES)
        .max_headers(HEADERS);
    // The peer's address, from the connection itself, for the sign-in rate limit.
    let app = app.map_request(move |mut req: axum::http::Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        req
    });
    let conn = builder
        .serve_connection(io, TowerToHyperService::new(app))
        .with_upgrades();
    let mut conn = std::pin::pin!(conn);
    // A connection that fails (a timeout, a malformed request) is simply closed: logging each
    // would let anyone fill the log.
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = stopped.changed() => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

/// A stream that fails with `TimedOut` once nothing has been read or written for `idle`.
///
/// The timer is only looked at when the stream is not ready, and moved on lazily, so a busy
/// connection pays one clock read per read or write.
struct IdleTimeout<S> {
    inner: S,
    idle: Duration,
    last: Instant,
    timer: Pin<Box<Sleep>>,
}

impl<S> IdleTimeout<S> {
    fn new(inner: S, idle: Duration) -> IdleTimeout<S> {
        let now = Instant::now();
        IdleTimeout {
            inner,
            idle,
            last: now,
            timer: Box::pin(tokio::time::sleep_until(now + idle)),
        }
    }

    /// Called when the stream is not ready: an error once it has been idle too long, else
    /// pending with the timer set to wake this task when it would be.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let deadline = self.last + self.idle;
        if self.timer.deadline() != deadline {
            self.timer.as_mut().reset(deadline);
        }
        match self.timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(io::Error::new(
                io::ErrorKind::TimedOut,
                "nothing was read or written for too long",
            )),
            Poll::Pending => Poll::Pending,
        }
    }

    fn moved(&mut self, n: usize) {
        if n > 0 {
            self.last = Instant::now();
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for IdleTimeout<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                this.moved(buf.filled().len() - before);
                Poll::Ready(r)
            }
            Poll::Pending => this.poll_idle(cx).map(Err),
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for IdleTimeout<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(r) => {
                this.moved(*r.as_ref().unwrap_or(&0));
                Poll::Ready(r)
            }
            Poll::Pending => this.poll_idle(cx).map(Err),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(r) => {
                this.moved(*r.as_ref().unwrap_or(&0));
                Poll::Ready(r)
            }
            Poll::Pending => this.poll_idle(cx).map(Err),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Ready(r) => Poll::Ready(r),
            Poll::Pending => this.poll_idle(cx).map(Err),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test(start_paused = true)]
    async fn a_stream_with_nothing_moving_times_out_and_one_in_use_does_not() {
        let (a, mut b) = tokio::io::duplex(64);
        let mut s = IdleTimeout::new(a, Duration::from_secs(60));
        let mut buf = [0u8; 8];
        // Traffic every 40 s keeps it open past the idle time.
        for _ in 0..3 {
            tokio::time::advance(Duration::from_secs(40)).await;
            b.write_all(b"x").await.unwrap();
            assert_eq!(s.read(&mut buf).await.unwrap(), 1);
        }
        // Then silence: the read fails once 60 s have passed.
        let e = s.read(&mut buf).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    }
}
