//! supine's web app: an axum router serving the page (plain HTML, CSS and JS modules embedded in
//! the binary) and a JSON API over the same core and journal as the terminal player.
//!
//! The server owns every session's state machine: the page sends events and receives
//! `{view, effects}` over a WebSocket; the timing, dose and safety logic stay in
//! `supine-core`. Records are written to the journal as they happen.
//!
//! Security: loopback by default; the `Host` header must name this server (DNS rebinding);
//! requests that change state must come from the page itself (Origin check); bodies are
//! limited to [`BODY_LIMIT`] bytes; every error is JSON `{"error": ...}`.
#![warn(missing_docs)]

mod api;
mod assets;
mod error;
mod guard;
mod live;
mod openapi;
pub mod progress;
mod settings;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use chrono::{Local, SecondsFormat};
use supine_core::Content;
use supine_store::Journal;

pub use axum::serve;
pub use error::{ApiError, ApiJson};
pub use guard::HostAllowlist;
pub use live::{Figure, Ring, Update};

/// The largest request body accepted, in bytes.
pub const BODY_LIMIT: usize = 16 * 1024;

/// How long an open session may go without a heartbeat before it counts as interrupted.
pub const STALE_MINUTES: i64 = 2;

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
}

pub(crate) struct Inner {
    content: Arc<Content>,
    journal: Arc<Mutex<Box<dyn Journal>>>,
    sessions: Mutex<HashMap<u64, live::LiveRef>>,
    clock: Clock,
    hosts: HostAllowlist,
    /// `GET /api/plan` without options, serialised, and when; see [`PLAN_CACHE`].
    plan_cache: Mutex<Option<(Instant, axum::body::Bytes)>>,
    /// Held while the plain plan is recomputed, so that a stale cache is refreshed once, not by
    /// every waiting request at the same moment.
    plan_refresh: tokio::sync::Mutex<()>,
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
    /// Sets up the state. Sessions left open by a crash (no heartbeat for [`STALE_MINUTES`]) are
    /// marked interrupted first, keeping their events.
    pub fn new(
        content: Arc<Content>,
        mut journal: Box<dyn Journal>,
        config: &Config,
    ) -> Result<AppState, supine_store::StoreError> {
        let stale = (Local::now() - chrono::Duration::minutes(STALE_MINUTES))
            .to_rfc3339_opts(SecondsFormat::Millis, false);
        journal.mark_interrupted(&stale)?;
        Ok(AppState {
            inner: Arc::new(Inner {
                content,
                journal: Arc::new(Mutex::new(journal)),
                sessions: Mutex::new(HashMap::new()),
                clock: Clock::new(config.speed),
                hosts: HostAllowlist::new(config.port, &config.host_names),
                plan_cache: Mutex::new(None),
                plan_refresh: tokio::sync::Mutex::new(()),
            }),
        })
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

    /// Runs `f` on the journal on a blocking thread.
    pub(crate) async fn with_journal<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Journal) -> Result<T, ApiError> + Send + 'static,
    {
        let journal = self.inner.journal.clone();
        tokio::task::spawn_blocking(move || {
            let mut j = journal
                .lock()
                .map_err(|_| ApiError::internal("the journal lock was poisoned"))?;
            f(j.as_mut())
        })
        .await
        .map_err(ApiError::internal)?
    }
}

/// The whole app: the page, its assets and the API, behind the Host/Origin guard and the body
/// limit.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api::routes())
        .merge(assets::routes())
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::guard,
        ))
        .with_state(state)
}

/// Now, as RFC 3339 with the local offset, as the journal wants it.
pub(crate) fn now_rfc3339() -> String {
    Local::now().to_rfc3339_opts(SecondsFormat::Millis, false)
}
