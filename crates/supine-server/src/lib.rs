//! supine's web app: an axum router serving the page (plain HTML, CSS and JS modules embedded in
//! the binary) and a JSON API over the same core and journal as the terminal player.
//!
//! The server owns every session's state machine: the page sends events and receives
//! `{view, effects}` over a WebSocket; the timing, dose and safety logic stay in
//! `supine-core`. Records are written to the journal as they happen.
//!
//! Security: loopback by default, and beyond loopback nothing without signing in ([`Access`]:
//! decided by the listen address, never by the request); the `Host` header must name this
//! server (DNS rebinding);
//! requests that change state must come from the page itself (Origin check); every size and
//! time a client can use is bounded ([`limits`]); every error is JSON `{"error": ...}`.
#![warn(missing_docs)]

mod api;
mod assets;
mod auth;
mod camera;
mod carry;
mod error;
mod guard;
pub mod limits;
mod live;
mod observe;
mod openapi;
mod pair;
mod people;
pub mod progress;
mod serve;
mod settings;
mod tls;

use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use chrono::{Local, SecondsFormat};
use supine_core::Content;
use supine_store::{Journal, SessionId};

pub use auth::{
    Access, AuthError, PASSWORD_MAX_BYTES, PASSWORD_MIN_CHARS, SESSION_COOKIE, check_password,
    hash_password, verify_password,
};
pub use camera::{CameraMessage, PlacementView};
pub use error::{ApiError, ApiJson, JOURNAL_FULL, SessionPath, store_error};
pub use guard::HostAllowlist;
pub use limits::Timeouts;
pub use live::{Figure, Ring, Update};
pub use observe::Phase;
pub use pair::{DEVICE_COOKIE, NewPairingCode, grouped, make_pairing_code, pairing_url, qr_text};
pub use people::{INVITATION_LASTS, Invite, invitation_url, make_invitation};
pub use serve::serve;
pub use tls::{Identity, TlsError};

/// The session clock: monotonic milliseconds, optionally sped up (for tests and demos).
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    origin: Instant,
    speed: f64,
}

impl Clock {
    /// A clock running `speed` times faster than real time (1.0 for real use).
    pub fn new(speed: f64) -> Clock {
        let speed = if speed.is_finite() && speed > 0.0 {
            speed
        } else {
            1.0
        };
        Clock {
            origin: Instant::now(),
            speed,
        }
    }

    /// Session milliseconds since the clock started.
    pub fn now_ms(&self) -> u64 {
        (self.origin.elapsed().as_secs_f64() * 1000.0 * self.speed) as u64
    }

    /// Session milliseconds that `real_ms` of real time make.
    pub fn session_ms(&self, real_ms: u64) -> u64 {
        (real_ms as f64 * self.speed) as u64
    }

    /// Real milliseconds that `session_ms` of session time take.
    pub fn real_ms(&self, session_ms: u64) -> u64 {
        (session_ms as f64 / self.speed).ceil() as u64
    }

    /// How many times faster than real time.
    pub fn speed(&self) -> f64 {
        self.speed
    }
}

/// How the server is set up.
#[derive(Debug, Clone)]
pub struct Config {
    /// The port it listens on (for the Host and Origin checks).
    pub port: u16,
    /// Extra host names it answers to, besides the loopback ones.
    pub host_names: Vec<String>,
    /// Clock speed; 1.0 is real time.
    pub speed: f64,
    /// How long it waits for clients, and how often it sweeps; [`Timeouts::default`] for real
    /// use.
    pub timeouts: Timeouts,
    /// Whether requests need a signed-in account: [`Access::for_listen`] of the address it
    /// listens on.
    pub access: Access,
    /// The most live sessions it keeps in memory at once (at least 1);
    /// [`limits::LIVE_SESSIONS`] for one person's machine, more for a clinic's server.
    pub live_sessions: usize,
    /// HTTPS, when set (`supine serve --lan`): every connection is TLS with this set-up
    /// ([`Identity::server_config`]), and paired devices may sign in.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

/// Whose journal a request reads and writes: a profile's name. Every request carries one as
/// an extension, set by sign-in ([`auth::require`]): the signed-in account's profile, or the
/// server's own ([`AppState::own_profile`]) on loopback and for paired devices.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Profile(Arc<str>);

impl Profile {
    pub(crate) fn new(name: &str) -> Profile {
        Profile(Arc::from(name))
    }

    pub(crate) fn name(&self) -> &str {
        &self.0
    }
}

pub(crate) struct Inner {
    content: Arc<Content>,
    journal: Arc<Mutex<Held>>,
    /// The profile the server was started for.
    profile: Profile,
    /// Every profile a request has used since the start (the sweep looks after each).
    profiles_seen: Mutex<std::collections::HashSet<Profile>>,
    sessions: Mutex<live::Table>,
    cameras: Arc<camera::Pool>,
    clock: Clock,
    timeouts: Timeouts,
    live_sessions: usize,
    hosts: HostAllowlist,
    access: Access,
    tls: Option<Arc<rustls::ServerConfig>>,
    limiters: auth::Limiters,
    /// `GET /api/plan` without options, serialised, and when; see [`PLAN_CACHE`].
    plan_cache: Mutex<Option<(Instant, axum::body::Bytes)>>,
    /// Held while the plain plan is recomputed, so that a stale cache is refreshed once, not by
    /// every waiting request at the same moment.
    plan_refresh: tokio::sync::Mutex<()>,
    /// Where the server is in its life. Every open WebSocket holds a receiver, so the count
    /// of receivers is the count of sockets still open.
    phase: tokio::sync::watch::Sender<Phase>,
    /// Told when the stop should not wait any longer ([`AppState::stop_now`]).
    hurry: tokio::sync::Notify,
}

/// How long the plain plan reply is reused. Writes through this server clear it at once; the
/// limit bounds staleness from another process (the terminal) writing the same journal.
pub const PLAN_CACHE: std::time::Duration = std::time::Duration::from_secs(1);

/// Everything the handlers share: content, the journal, live sessions and the clock.
#[derive(Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Inner>,
}

impl AppState {
    /// Sets up the state. Sessions left open by a crash (no heartbeat for [`limits::STALE`])
    /// are marked interrupted first, keeping their events.
    ///
    /// Called inside a tokio runtime, it also starts the sweep: every
    /// [`Timeouts::sweep`], the sessions pages are using get a heartbeat and every other
    /// session gone stale is marked interrupted, so a session of a server that was
    /// killed is closed about [`limits::STALE`] after its last heartbeat, whatever happens
    /// next. The sweep ends when the last handle to the state is dropped.
    pub fn new(
        content: Arc<Content>,
        journal: Box<dyn Journal>,
        config: &Config,
    ) -> Result<AppState, supine_store::StoreError> {
        let mut journal = Held(Some(journal));
        off_runtime(|| journal.get().mark_interrupted(&stale_before()))?;
        let profile = Profile::new(journal.get().profile());
        let state = AppState {
            inner: Arc::new(Inner {
                content,
                journal: Arc::new(Mutex::new(journal)),
                profiles_seen: Mutex::new(std::iter::once(profile.clone()).collect()),
                profile,
                sessions: Mutex::new(live::Table::default()),
                cameras: Arc::new(camera::Pool::default()),
                clock: Clock::new(config.speed),
                timeouts: config.timeouts,
                live_sessions: config.live_sessions,
                hosts: HostAllowlist::new(config.port, &config.host_names),
                access: config.access,
                tls: config.tls.clone(),
                limiters: auth::Limiters::new(),
                plan_cache: Mutex::new(None),
                plan_refresh: tokio::sync::Mutex::new(()),
                phase: tokio::sync::watch::Sender::new(Phase::Serving),
                hurry: tokio::sync::Notify::new(),
            }),
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(sweep_every(
                Arc::downgrade(&state.inner),
                config.timeouts.sweep,
            ));
        }
        Ok(state)
    }

    /// Where the server is in its life.
    pub fn phase(&self) -> Phase {
        *self.inner.phase.borrow()
    }

    /// Ends a stop's wait for live sessions at once (a second Ctrl+C): their records are
    /// saved and the server stops. Before a stop has begun, the next one does not wait.
    pub fn stop_now(&self) {
        self.inner.hurry.notify_one();
    }

    /// How many live sessions are going on (started, not over, and followed by a page): what
    /// a stop waits for.
    pub fn sessions_going_on(&self) -> usize {
        live::going_on(self)
    }

    pub(crate) fn set_phase(&self, phase: Phase) {
        self.inner.phase.send_replace(phase);
    }

    /// A receiver of the phase, held by each open socket for as long as it is open.
    pub(crate) fn watch_phase(&self) -> tokio::sync::watch::Receiver<Phase> {
        self.inner.phase.subscribe()
    }

    /// Completes when [`AppState::stop_now`] is called (or has been).
    pub(crate) async fn hurried(&self) {
        self.inner.hurry.notified().await;
    }

    /// Completes once no socket is open.
    pub(crate) async fn sockets_closed(&self) {
        self.inner.phase.closed().await;
    }

    /// The most live sessions kept in memory at once ([`Config::live_sessions`]).
    pub(crate) fn live_sessions(&self) -> usize {
        self.inner.live_sessions
    }

    pub(crate) fn timeouts(&self) -> Timeouts {
        self.inner.timeouts
    }

    pub(crate) fn access(&self) -> Access {
        self.inner.access
    }

    pub(crate) fn tls(&self) -> Option<Arc<rustls::ServerConfig>> {
        self.inner.tls.clone()
    }

    pub(crate) fn limiters(&self) -> &auth::Limiters {
        &self.inner.limiters
    }

    pub(crate) fn cameras(&self) -> &Arc<camera::Pool> {
        &self.inner.cameras
    }

    pub(crate) fn clock(&self) -> Clock {
        self.inner.clock
    }

    pub(crate) fn cached_plan(&self) -> Option<axum::body::Bytes> {
        let c = self.inner.plan_cache.lock().ok()?;
        c.as_ref()
            .filter(|(at, _)| at.elapsed() < PLAN_CACHE)
            .map(|(_, b)| b.clone())
    }

    pub(crate) async fn plan_refresh(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.inner.plan_refresh.lock().await
    }

    pub(crate) fn cache_plan(&self, body: axum::body::Bytes) {
        if let Ok(mut c) = self.inner.plan_cache.lock() {
            *c = Some((Instant::now(), body));
        }
    }

    pub(crate) fn forget_plan(&self) {
        if let Ok(mut c) = self.inner.plan_cache.lock() {
            *c = None;
        }
    }

    pub(crate) fn content(&self) -> &Arc<Content> {
        &self.inner.content
    }

    /// The profile the server was started for: the journal of loopback, of paired devices
    /// and of accounts made before accounts had profiles of their own.
    pub(crate) fn own_profile(&self) -> &Profile {
        &self.inner.profile
    }

    /// The journal an account uses: its own profile, or the server's for an account without one
    /// (see `Account::profile`).
    pub(crate) fn account_profile(&self, profile: Option<&str>) -> Profile {
        profile.map_or_else(|| self.own_profile().clone(), Profile::new)
    }

    /// Runs `f` on a blocking thread on the journal of `profile`, and only that profile's.
    ///
    /// The journal is one connection shared by every profile, taken in turns: each turn first
    /// makes it act for `profile` ([`Journal::use_profile`]), so that no call ever reads or
    /// writes another person's records. The first turn of a profile in this process also marks
    /// its sessions left open by a crash as interrupted (as [`AppState::new`] does for the
    /// server's own), and the sweep looks after it from then on.
    pub(crate) async fn with_journal<T, F>(&self, profile: &Profile, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Journal) -> Result<T, ApiError> + Send + 'static,
    {
        let journal = self.inner.journal.clone();
        let profile = profile.clone();
        let first = self
            .inner
            .profiles_seen
            .lock()
            .map_err(|_| ApiError::internal("the profiles lock was poisoned"))?
            .insert(profile.clone());
        tokio::task::spawn_blocking(move || {
            let mut j = journal
                .lock()
                .map_err(|_| ApiError::internal("the journal lock was poisoned"))?;
            let j = j.get();
            if j.profile() != profile.name() {
                j.use_profile(profile.name())?;
            }
            if first {
                j.mark_interrupted(&stale_before())?;
            }
            f(j)
        })
        .await
        .map_err(ApiError::internal)?
    }

    /// The profiles used in this process, the server's own first.
    fn profiles_seen(&self) -> Vec<Profile> {
        let seen = self
            .inner
            .profiles_seen
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default();
        let own = self.own_profile().clone();
        std::iter::once(own.clone())
            .chain(seen.into_iter().filter(|p| *p != own))
            .collect()
    }
}

/// The journal, let go of on a thread of its own. A PostgreSQL client runs its own runtime and
/// blocks on it for every call, and to close its connection: on a thread of the server's
/// runtime that panics ("cannot start a runtime from within a runtime"). Calls run on blocking
/// threads ([`AppState::with_journal`]); the first and the last are made here.
struct Held(Option<Box<dyn Journal>>);

impl Held {
    fn get(&mut self) -> &mut dyn Journal {
        self.0
            .as_deref_mut()
            .expect("the journal is only taken when dropped")
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(j) = self.0.take() {
            let _ = std::thread::spawn(move || drop(j)).join();
        }
    }
}

/// Runs `f` on a thread outside any async runtime, and waits for it.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join()).unwrap_or_else(|e| std::panic::resume_unwind(e))
}

/// The whole app: the page, its assets and the API, behind the Host/Origin guard, sign-in
/// beyond loopback (sessions in a cookie, see [`Access`]) and the body limit
/// ([`limits::BODY_BYTES`]), with a request log; and `/healthz` and `/readyz` outside all of
/// them.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api::routes())
        .merge(auth::routes())
        .merge(pair::routes())
        .merge(people::routes())
        .merge(assets::routes())
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(DefaultBodyLimit::max(limits::BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require,
        ))
        .layer(auth::session_layer(state.access()))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::guard,
        ))
        .layer(observe::request_log())
        .merge(observe::routes())
        .with_state(state)
}

/// Now, as RFC 3339 with the local offset, as the journal wants it.
pub(crate) fn now_rfc3339() -> String {
    Local::now().to_rfc3339_opts(SecondsFormat::Millis, false)
}

/// The cut-off for [`Journal::mark_interrupted`]: [`limits::STALE`] ago.
fn stale_before() -> String {
    let stale = chrono::Duration::from_std(limits::STALE).unwrap_or(chrono::Duration::MAX);
    (Local::now() - stale).to_rfc3339_opts(SecondsFormat::Millis, false)
}

/// The sweep of [`AppState::new`], for as long as the state lives.
async fn sweep_every(state: Weak<Inner>, every: std::time::Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is now, and `new` has just swept.
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let Some(inner) = state.upgrade() else { return };
        let state = AppState { inner };
        if let Err(e) = state.sweep().await {
            tracing::warn!("marking interrupted sessions: {e}");
        }
    }
}

impl AppState {
    /// One sweep: a heartbeat for each live session a page is using (so that none of them is
    /// taken for interrupted, even one waiting for its page or one whose own heartbeats failed
    /// for a while), then every open session with no heartbeat for [`limits::STALE`] is marked
    /// interrupted and let go from memory.
    async fn sweep(&self) -> Result<(), ApiError> {
        let in_use = live::in_use(self)?;
        for profile in self.profiles_seen() {
            let ids: Vec<SessionId> = in_use
                .iter()
                .filter(|(_, p)| *p == profile)
                .map(|(id, _)| *id)
                .collect();
            let interrupted = self
                .with_journal(&profile, move |j| {
                    let at = now_rfc3339();
                    for id in ids {
                        // One that cannot take a heartbeat is swept below, or tells its page.
                        let _ = j.heartbeat(id, &at);
                    }
                    let interrupted = j.mark_interrupted(&stale_before())?;
                    for s in &interrupted {
                        // Closed: no server plays it any more.
                        let _ = j.release_session(s.id);
                    }
                    Ok(interrupted)
                })
                .await?;
            live::forget(self, interrupted.iter().map(|s| s.id));
        }
        self.inner.limiters.forget_old();
        Ok(())
    }
}
