//! What the server tells the people who run it: a request log through `tracing` and
//! tower-http, `/healthz` and `/readyz` for a process manager or a load balancer, and the
//! server's [`Phase`], which the graceful stop of [`crate::serve`] moves through.
//!
//! The request log has no personal data: one line a request with its method, the route's
//! template (`/api/sessions/{id}`, never the id; `-` for a path no route has), the status
//! and the time taken. Never the query, a header, a cookie, a body, an account name or the
//! peer's address.

use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, State};
use axum::http::{Request, Response, StatusCode};
use axum::routing::get;
use axum::{Json, response::IntoResponse};
use serde::Serialize;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::{MakeSpan, OnResponse, TraceLayer};
use tracing::Span;

use crate::AppState;

/// Where the server is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Taking new sessions.
    Serving,
    /// Asked to stop: no new session starts, `/readyz` answers 503, and the sessions going
    /// on carry on, their pages told, until they end or the drain time runs out.
    Stopping,
    /// The wait is over: each live session is moved to now and its records saved, and its
    /// pages told that supine has stopped.
    Saving,
    /// Stopped: every session's records are in the journal and the sockets close with 1001.
    Stopped,
}

/// How long `/readyz` waits for the journal before saying it does not answer: 2 s.
pub const JOURNAL_ANSWER: Duration = Duration::from_secs(2);

/// The request log's layer: a span per request named by method and route, and one event
/// when it is answered.
pub(crate) fn request_log()
-> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, RouteSpan, (), LogAnswer, (), (), ()> {
    TraceLayer::new_for_http()
        .make_span_with(RouteSpan)
        .on_request(())
        .on_response(LogAnswer)
        .on_body_chunk(())
        .on_eos(())
        // The status is in the answer's line already; a second line for a 5xx says no more.
        .on_failure(())
}

/// A request's span: its method and its route's template, nothing from its path or headers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RouteSpan;

impl<B> MakeSpan<B> for RouteSpan {
    fn make_span(&mut self, req: &Request<B>) -> Span {
        let route = req
            .extensions()
            .get::<MatchedPath>()
            .map_or("-", MatchedPath::as_str);
        tracing::info_span!("request", method = %req.method(), route = %route)
    }
}

/// The line logged when a request is answered: its status and milliseconds taken.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LogAnswer;

impl<B> OnResponse<B> for LogAnswer {
    fn on_response(self, res: &Response<B>, latency: Duration, _span: &Span) {
        tracing::info!(
            status = res.status().as_u16(),
            ms = latency.as_millis() as u64,
            "answered"
        );
    }
}

/// The health routes. They are merged after every other layer, so they answer any Host,
/// without signing in, and stay out of the request log (a load balancer asks every few
/// seconds); they say nothing about anyone's journal.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// What `/healthz` and `/readyz` answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Health {
    /// `ok` (healthz), `ready`, `stopping` or `journal_unavailable` (readyz).
    #[schema(pattern = "^(ok|ready|stopping|journal_unavailable)$")]
    status: &'static str,
}

#[utoipa::path(get, tag = "health", path = "/healthz",
    summary = "Liveness: the process answers (any Host, no sign-in, not logged)",
    responses((status = 200, description = "the server is running", body = Health)))]
pub(crate) async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[utoipa::path(get, tag = "health", path = "/readyz",
    summary = "Readiness: the server takes new sessions and its journal answers (any Host, no sign-in, not logged)",
    responses(
        (status = 200, description = "ready for new sessions", body = Health),
        (status = 503, description = "stopping (sessions going on are finishing), or the journal did not answer within 2 s", body = Health)))]
pub(crate) async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let unready = |status| (StatusCode::SERVICE_UNAVAILABLE, Json(Health { status }));
    if state.phase() != Phase::Serving {
        return unready("stopping");
    }
    let ping = async {
        match state
            .with_journal(state.own_profile(), |j| Ok(j.ping()))
            .await
        {
            Ok(answer) => answer.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        }
    };
    match tokio::time::timeout(JOURNAL_ANSWER, ping).await {
        Ok(Ok(())) => (StatusCode::OK, Json(Health { status: "ready" })),
        Ok(Err(e)) => {
            tracing::warn!("not ready: the journal does not answer: {e}");
            unready("journal_unavailable")
        }
        Err(_) => {
            tracing::warn!(
                "not ready: the journal did not answer within {} s",
                JOURNAL_ANSWER.as_secs()
            );
            unready("journal_unavailable")
        }
    }
}
