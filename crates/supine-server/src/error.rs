//! One error type for every handler, answered as JSON `{"error": "..."}`, and extractors whose
//! rejections use the same shape: a JSON body ([`ApiJson`]) and a session id in the path
//! ([`SessionPath`]).

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use supine_store::StoreError;

/// What the page is told when the journal cannot take a write because the disk is full.
pub const JOURNAL_FULL: &str =
    "the journal is full: free some disk space, then try again; nothing saved was lost";

/// An error answered to the client. Internal causes are logged, never sent.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request was malformed (bad JSON syntax, a missing header).
    #[error("{0}")]
    BadRequest(String),
    /// A value was well-formed but not acceptable (pain 11, an unknown question).
    #[error("{0}")]
    Invalid(String),
    /// Nothing here by that name.
    #[error("{0}")]
    NotFound(String),
    /// The route exists but does not take this method; `Allow` says which it takes.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// The request does not fit the current state (a session before the screening).
    #[error("{0}")]
    Conflict(String),
    /// Refused for safety or security (a foreign origin or host).
    #[error("{0}")]
    Forbidden(String),
    /// Beyond loopback: the request is not signed in, or the name and password did not match.
    #[error("{0}")]
    SignInRequired(String),
    /// Too many sign-in attempts from this peer or for this name; try again after the seconds
    /// given (sent as `Retry-After`).
    #[error("{0}")]
    TooManyAttempts(String, u64),
    /// Every place for a live session is taken by sessions that pages are using.
    #[error("{0}")]
    TooManySessions(String),
    /// The server is stopping: no new session starts (those going on carry on).
    #[error("{0}")]
    Stopping(String),
    /// The journal cannot store anything more: the disk is full.
    #[error("{JOURNAL_FULL}")]
    JournalFull,
    /// The journal cannot be written just now (busy, or made read-only); nothing was stored.
    #[error("{0}")]
    JournalUnavailable(String),
    /// A rejection from a body extractor, with its own status.
    #[error("{1}")]
    Rejected(StatusCode, String),
    /// Something went wrong inside; the cause goes to the log.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// The HTTP status for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::SignInRequired(_) => StatusCode::UNAUTHORIZED,
            ApiError::TooManyAttempts(..) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::TooManySessions(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Stopping(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::JournalFull => StatusCode::INSUFFICIENT_STORAGE,
            ApiError::JournalUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Rejected(s, _) => *s,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// An internal error from any displayable cause.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(cause.to_string())
    }

    /// Whether trying the same write again later may work (a full disk, a busy journal).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ApiError::JournalFull | ApiError::JournalUnavailable(_) | ApiError::Internal(_)
        )
    }
}

/// The one mapping from a journal failure to what the client is told.
///
/// A full disk is 507 with [`JOURNAL_FULL`]; a busy or read-only journal is 503; a bad value
/// is 422; a session the journal no longer takes is 409. Anything else is internal: its cause
/// (which names files) goes to the log only.
pub fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::DiskFull { .. } => ApiError::JournalFull,
        StoreError::Busy { .. } => ApiError::JournalUnavailable(
            "the journal is busy: another program is using it; try again in a moment".into(),
        ),
        StoreError::ReadOnly { .. } => ApiError::JournalUnavailable(
            "the journal cannot be written (it is read-only): make it writable, then try \
             again; nothing saved was lost"
                .into(),
        ),
        StoreError::InvalidValue { .. } => ApiError::Invalid(e.to_string()),
        StoreError::SessionNotOpen { .. } | StoreError::UnknownSession { .. } => {
            ApiError::Conflict(e.to_string())
        }
        other if storage_full(&other) => ApiError::JournalFull,
        other => ApiError::internal(other),
    }
}

/// Whether anything in the error's cause chain is an I/O error saying the storage is full
/// (for a backend that reports it as a plain I/O failure).
fn storage_full(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::StorageFull)
        {
            return true;
        }
        cause = c.source();
    }
    false
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        store_error(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!("internal error: {cause}");
        }
        let status = self.status();
        let mut res = (status, axum::Json(self.body())).into_response();
        let retry_after = match &self {
            ApiError::TooManyAttempts(_, seconds) => Some(*seconds),
            ApiError::TooManySessions(_) => Some(crate::limits::ABANDONED.as_secs()),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        res
    }
}

impl ApiError {
    /// The JSON body, `{"error": message}`.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({ "error": self.to_string() })
    }
}

/// Like `axum::Json`, but a body that does not parse is answered with `{"error": ...}`:
/// 400 for bad syntax, 415 without a JSON content type, 413 when too large, 422 for values of
/// the wrong shape. Syntax and shape errors name the field and the line and column.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(rejected(rejection)),
        }
    }
}

fn rejected(r: JsonRejection) -> ApiError {
    let text = match &r {
        JsonRejection::MissingJsonContentType(_) => {
            "send the body as JSON with content-type: application/json".to_owned()
        }
        JsonRejection::BytesRejection(_) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            format!(
                "the request body is too large: at most {} KiB",
                crate::limits::BODY_BYTES / 1024
            )
        }
        _ => r.body_text().to_lowercase(),
    };
    ApiError::Rejected(r.status(), text)
}

/// The `{id}` of a `/api/sessions/{id}/...` route: a whole number, or a JSON 400 naming what
/// was there instead.
#[derive(Debug, Clone, Copy)]
pub struct SessionPath(pub u64);

impl<S: Send + Sync> FromRequestParts<S> for SessionPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|r| ApiError::BadRequest(r.body_text().to_lowercase()))?;
        raw.parse().map(SessionPath).map_err(|_| {
            ApiError::BadRequest(format!(
                "the session id in the path must be a whole number, as POST /api/sessions \
                 returned it (got \"{}\")",
                shorten(&raw, 40)
            ))
        })
    }
}

/// `text` cut to at most `max` characters (with `…`), for echoing client input in a message.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_507_with_words_a_person_can_act_on() {
        let e = store_error(StoreError::DiskFull {
            location: "/home/a/.local/share/supine/journal.db".into(),
        });
        assert_eq!(e.status(), StatusCode::INSUFFICIENT_STORAGE);
        assert_eq!(e.body(), serde_json::json!({ "error": JOURNAL_FULL }));
        assert!(e.is_transient());
    }

    #[test]
    fn a_full_disk_reported_as_an_io_error_is_507_too() {
        let e = store_error(StoreError::Database {
            action: "recording an event",
            location: "journal".into(),
            source: Box::new(std::io::Error::from(std::io::ErrorKind::StorageFull)),
        });
        assert_eq!(e.status(), StatusCode::INSUFFICIENT_STORAGE);
        let other = store_error(StoreError::Database {
            action: "recording an event",
            location: "/secret/path".into(),
            source: Box::new(std::io::Error::other("boom")),
        });
        assert_eq!(other.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            !other.to_string().contains("secret"),
            "causes stay in the log"
        );
    }

    #[test]
    fn sessions_the_journal_no_longer_takes_are_a_conflict() {
        let e = store_error(StoreError::SessionNotOpen {
            id: 3,
            status: supine_store::SessionStatus::Interrupted,
        });
        assert_eq!(e.status(), StatusCode::CONFLICT);
        assert!(e.to_string().contains("start a new session"), "{e}");
        assert!(!e.is_transient());
    }
}
