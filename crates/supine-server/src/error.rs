//! One error type for every handler, answered as JSON `{"error": "..."}`, and a JSON extractor
//! whose rejections use the same shape.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

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
    /// The request does not fit the current state (a session before the screening).
    #[error("{0}")]
    Conflict(String),
    /// Refused for safety or security (a foreign origin or host).
    #[error("{0}")]
    Forbidden(String),
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
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Rejected(s, _) => *s,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// An internal error from any displayable cause.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(cause.to_string())
    }
}

impl From<supine_store::StoreError> for ApiError {
    fn from(e: supine_store::StoreError) -> ApiError {
        match e {
            supine_store::StoreError::InvalidValue { .. } => ApiError::Invalid(e.to_string()),
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            eprintln!("supine serve: internal error: {cause}");
        }
        let body = serde_json::json!({ "error": self.to_string() });
        (self.status(), axum::Json(body)).into_response()
    }
}

/// Like `axum::Json`, but a body that does not parse is answered with `{"error": ...}`:
/// 400 for bad syntax, 415 without a JSON content type, 413 when too large, 422 for values of
/// the wrong shape.
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
            "the request body is too large".to_owned()
        }
        _ => r.body_text().to_lowercase(),
    };
    ApiError::Rejected(r.status(), text)
}
