//! Every limit the server puts on its clients, in one place: sizes it reads, how many sessions
//! it keeps, and how long it waits. ARCHITECTURE.md lists the same numbers.
//!
//! The timeouts are defaults of [`Timeouts`], which [`crate::Config`] carries so that tests can
//! shorten them.

use std::time::Duration;

/// The largest request body read: 64 KiB. A larger one is answered 413 with a JSON error.
pub const BODY_BYTES: usize = 64 * 1024;

/// The most bytes the server buffers while reading a request's line and headers: 32 KiB. A
/// longer head is refused (431) before it is all read.
pub const HEAD_BYTES: usize = 32 * 1024;

/// The most header fields one request may carry: 64 (a browser sends about 15).
pub const HEADERS: usize = 64;

/// The largest WebSocket message (and frame) taken from a page: 4 KiB. A larger one closes the
/// socket with code 1009 and a reason.
pub const WS_MESSAGE_BYTES: usize = 4 * 1024;

/// The largest camera frame taken from a page: 256 KiB (a 640x480 JPEG at quality 0.7 is
/// 30-60 KiB). A larger one is answered with an error and dropped; the socket stays open.
pub const FRAME_BYTES: usize = 256 * 1024;

/// The largest side of a camera frame, in pixels: 1920 (the pose pipeline's own downscale
/// size). A larger frame is answered with an error and dropped.
pub const FRAME_SIDE: u32 = 1920;

/// The largest binary message a socket reads before closing it with 1009: 1 MiB. Frames
/// between [`FRAME_BYTES`] and this get an error and the socket stays usable; text messages
/// keep the [`WS_MESSAGE_BYTES`] limit.
pub const WS_CAMERA_BYTES: usize = 1024 * 1024;

/// At most this many camera frames are analysed a second on one socket: 10 (the analyzers
/// count exactly at this rate, as `supine analyze` and `practice --camera` do). Frames coming
/// faster replace the one waiting.
pub const CAMERA_FPS: u32 = 10;

/// At most this many sockets have a camera at once: 2. Each holds a pose estimator (its
/// models and buffers; the whole server peaked at 122-149 MiB resident with two in the camera
/// e2e test); a further one is told so and its session runs timed.
pub const CAMERA_SESSIONS: usize = 2;

/// A camera that sends no frame for this long is off: 2 s. The session's timer leads, and the
/// page is told; frames again turn it on again.
pub const CAMERA_OFF_AFTER: Duration = Duration::from_secs(2);

/// At most this many live sessions are kept in memory by default: 32 (`supine serve
/// --live-sessions` sets another). When every place is taken by a session a page is using,
/// `POST /api/sessions` answers 429.
pub const LIVE_SESSIONS: usize = 32;

/// The most records one live session keeps in memory while the journal cannot take them
/// (a full disk): 1024 records. They are written, in order, as soon as the journal works.
pub const UNSAVED_RECORDS: usize = 1024;

/// How long a client has to send a request's line and headers, from when the connection is
/// ready for it (a new connection, or one kept alive after a reply): 10 s.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection on which nothing is read or written for this long is closed: 60 s. It ends
/// stalled bodies and readers that never read. WebSockets are pinged every third of it, and a
/// page that answers nothing for this long is taken for gone.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// A live session that no page watches and none has touched for this long is abandoned: 120 s.
/// Its clock stops ticking and sending heartbeats, so the journal finds it interrupted, as it
/// would a closed terminal; its place may go to a new session.
pub const ABANDONED: Duration = Duration::from_secs(120);

/// How often the server marks sessions with no heartbeat for [`STALE`] as interrupted: every
/// 60 s (and once at start).
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(60);

/// An open session with no heartbeat for this long counts as interrupted: 2 minutes (the same
/// cut-off as `supine practice`).
pub const STALE: Duration = Duration::from_secs(120);

/// How long a stop waits for the live sessions to end: 60 s. Meanwhile no new session starts,
/// the pages are told, and the sessions go on; then their records are saved, and a session
/// still going on is left open in the journal as after a crash (interrupted once [`STALE`]
/// passes). A second Ctrl+C stops at once, saving the same.
pub const DRAIN: Duration = Duration::from_secs(60);

/// How long a stop waits, after the sessions are saved, for the sockets to close: 2 s.
pub const SOCKETS_CLOSE: Duration = Duration::from_secs(2);

/// How often a live session tells the journal it is alive: every 30 s (as the terminal does).
pub const HEARTBEAT: Duration = Duration::from_secs(30);

/// How long the server waits before accepting again after `accept` fails (for instance, too
/// many open files): 100 ms.
pub const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Sign-in attempts from one peer address: up to 20 at once, then one every 6 s (10 a
/// minute). Enough for a household or a clinic behind one address to mistype now and then;
/// a guesser gets 14,400 tries a day at most, and each name has its own tighter limit.
pub const SIGN_IN_PEER_BURST: u32 = 20;

/// See [`SIGN_IN_PEER_BURST`].
pub const SIGN_IN_PEER_EVERY: Duration = Duration::from_secs(6);

/// Sign-in attempts for one account name, from anywhere: up to 5 at once, then one a minute.
/// Someone who forgot their password waits a minute after five tries; a guesser spread over
/// many addresses gets 1,440 tries a day at one name.
pub const SIGN_IN_ACCOUNT_BURST: u32 = 5;

/// See [`SIGN_IN_ACCOUNT_BURST`].
pub const SIGN_IN_ACCOUNT_EVERY: Duration = Duration::from_secs(60);

/// A signed-in session not used for this long ends: 7 days (a restart of the server ends
/// every session too: they are kept in memory).
pub const SIGNED_IN_FOR: Duration = Duration::from_secs(7 * 24 * 3600);

/// A pairing code works for 5 minutes after it is made, once.
pub const PAIRING_CODE_LASTS: Duration = Duration::from_secs(5 * 60);

/// A paired device's cookie is kept for 400 days (the most a browser keeps one); a device used
/// within that time is sent a fresh one, so only a device left unused for 400 days has to pair
/// again. Revoking it ends it at once either way.
pub const DEVICE_COOKIE_LASTS: Duration = Duration::from_secs(400 * 24 * 3600);

/// How often a device's "last seen" is written: at most once in 10 minutes per device, so
/// that a phone streaming camera frames does not write to the journal with each request.
pub const DEVICE_SEEN_EVERY: Duration = Duration::from_secs(10 * 60);

/// The server's timeouts; [`Timeouts::default`] gives the constants above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// See [`HEADER_READ_TIMEOUT`].
    pub header_read: Duration,
    /// See [`IDLE_TIMEOUT`].
    pub idle: Duration,
    /// See [`ABANDONED`].
    pub abandoned: Duration,
    /// See [`SWEEP_INTERVAL`].
    pub sweep: Duration,
    /// See [`DRAIN`].
    pub drain: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            header_read: HEADER_READ_TIMEOUT,
            idle: IDLE_TIMEOUT,
            abandoned: ABANDONED,
            sweep: SWEEP_INTERVAL,
            drain: DRAIN,
        }
    }
}

impl Timeouts {
    /// How often each WebSocket is pinged: a third of the idle timeout, so that a page that is
    /// still there answers well before its connection counts as idle.
    pub fn ws_ping(&self) -> Duration {
        self.idle / 3
    }
}
