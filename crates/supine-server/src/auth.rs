//! Sign-in beyond loopback. On 127.0.0.1 the server stays account-free for one person; on any
//! other address every route but the sign-in page, its assets and `POST /api/sign-in` needs a
//! signed-in session. Which applies is decided by the address the server listens on
//! ([`Access::for_listen`]), never by anything a request says about itself (its `Host`).
//!
//! Passwords are kept as Argon2id hashes (the `argon2` crate's default parameters); sessions
//! live in the server's memory through `tower-sessions` (so a restart signs everyone out, and
//! several servers would need a shared store); sign-in attempts are rate-limited per peer
//! address and per account name with `governor`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::{Deserialize, Serialize};
use supine_store::Role;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, MemoryStore, Session, SessionManagerLayer};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiJson};
use crate::limits::{
    SIGN_IN_ACCOUNT_BURST, SIGN_IN_ACCOUNT_EVERY, SIGN_IN_PEER_BURST, SIGN_IN_PEER_EVERY,
    SIGNED_IN_FOR,
};
use crate::openapi::{ErrorBody, foreign};
use crate::{AppState, Profile};

/// Who may use the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Listening on loopback only: anyone on this machine, no account (one person, as ever).
    Loopback,
    /// Listening beyond loopback: only signed-in accounts.
    SignIn {
        /// Whether the session cookie is marked `Secure` (sent over HTTPS only): set when the
        /// server is reached over TLS.
        secure_cookies: bool,
    },
}

impl Access {
    /// The access for a server listening on `ip`: [`Access::Loopback`] for 127.0.0.0/8 and
    /// ::1, sign-in for every other address (0.0.0.0 and :: included), without `Secure`
    /// cookies (there is no TLS yet).
    pub fn for_listen(ip: IpAddr) -> Access {
        if ip.is_loopback() {
            Access::Loopback
        } else {
            Access::SignIn {
                secure_cookies: false,
            }
        }
    }
}

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "supine_session";

/// The fewest characters a password has.
pub const PASSWORD_MIN_CHARS: usize = 8;

/// The most bytes of a password that are taken (longer is refused, not cut).
pub const PASSWORD_MAX_BYTES: usize = 1024;

/// Why a password cannot be set or checked.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The password is too short or too long.
    #[error(
        "a password needs at least {PASSWORD_MIN_CHARS} characters and at most {PASSWORD_MAX_BYTES} bytes"
    )]
    PasswordLength,
    /// Hashing failed inside the argon2 crate.
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

/// Checks a new password's length.
pub fn check_password(password: &str) -> Result<(), AuthError> {
    if password.chars().count() < PASSWORD_MIN_CHARS || password.len() > PASSWORD_MAX_BYTES {
        Err(AuthError::PasswordLength)
    } else {
        Ok(())
    }
}

/// The Argon2id hash of `password` with a fresh random salt, as a PHC string
/// (`$argon2id$v=19$m=19456,t=2,p=1$...`), for [`supine_store::Account::password_hash`].
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    check_password(password)?;
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string `hash`. A hash that does not parse matches
/// nothing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    if password.len() > PASSWORD_MAX_BYTES {
        return false;
    }
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash of no one's password, checked when the name matches no account, so that an unknown
/// name takes as long to refuse as a wrong password (no telling which names exist).
static DECOY_HASH: LazyLock<Option<String>> =
    LazyLock::new(|| hash_password("no account has this password").ok());

/// What a signed-in session holds: the account, and when it was made, so that an account
/// removed (and perhaps added again under the same name) ends the sessions it had.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SignedIn {
    name: String,
    created_at: String,
}

const SIGNED_IN_KEY: &str = "signed_in";

/// The per-peer and per-account limits on sign-in attempts.
pub(crate) struct Limiters {
    peer: DefaultKeyedRateLimiter<IpAddr>,
    account: DefaultKeyedRateLimiter<String>,
}

impl Limiters {
    pub(crate) fn new() -> Limiters {
        let quota = |every, burst: u32| {
            Quota::with_period(every)
                .expect("the sign-in limits are longer than zero")
                .allow_burst(NonZeroU32::new(burst).expect("the sign-in bursts are above zero"))
        };
        Limiters {
            peer: RateLimiter::keyed(quota(SIGN_IN_PEER_EVERY, SIGN_IN_PEER_BURST)),
            account: RateLimiter::keyed(quota(SIGN_IN_ACCOUNT_EVERY, SIGN_IN_ACCOUNT_BURST)),
        }
    }

    /// Takes one attempt for this peer and this name; an error, with how long to wait, when
    /// either has used up its attempts.
    fn attempt(&self, peer: IpAddr, name: &str) -> Result<(), ApiError> {
        let now = DefaultClock::default().now();
        let wait = match (
            self.peer.check_key(&peer_key(peer)),
            self.account_check(name),
        ) {
            (Ok(()), Ok(())) => return Ok(()),
            (Err(n), _) | (_, Err(n)) => n.wait_time_from(now),
        };
        let seconds = wait.as_secs().max(1);
        Err(ApiError::TooManyAttempts(
            format!(
                "too many sign-in attempts: take a breath and try again in {}",
                if seconds < 90 {
                    format!("{seconds} seconds")
                } else {
                    format!("{} minutes", seconds.div_ceil(60))
                }
            ),
            seconds,
        ))
    }

    /// Takes one attempt for this peer alone (pairing: a code is too long to guess, so only
    /// the peer's pace is bounded).
    pub(crate) fn attempt_from(&self, peer: IpAddr) -> Result<(), ApiError> {
        let now = DefaultClock::default().now();
        match self.peer.check_key(&peer_key(peer)) {
            Ok(()) => Ok(()),
            Err(n) => {
                let seconds = n.wait_time_from(now).as_secs().max(1);
                Err(ApiError::TooManyAttempts(
                    format!("too many attempts: try again in {seconds} seconds"),
                    seconds,
                ))
            }
        }
    }

    fn account_check(
        &self,
        name: &str,
    ) -> Result<(), governor::NotUntil<<DefaultClock as Clock>::Instant>> {
        // Names are at most 64 characters; a longer one is keyed by its start, which bounds
        // what an attacker can make the server keep.
        let key: String = name.chars().take(supine_store::ACCOUNT_NAME_MAX).collect();
        self.account.check_key(&key)
    }

    /// Forgets peers and names whose attempts have all come back (called by the sweep).
    pub(crate) fn forget_old(&self) {
        self.peer.retain_recent();
        self.account.retain_recent();
        self.peer.shrink_to_fit();
        self.account.shrink_to_fit();
    }
}

/// The peer's address, from the connection; requests with none are this process's own (tests),
/// and share one bucket.
pub(crate) fn peer_ip(peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>) -> IpAddr {
    peer.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |p| p.0.0.ip())
}

/// The address attempts are counted under: an IPv4 address as it is, an IPv6 one by its /64
/// network (one household or machine has a whole /64 to pick addresses from).
fn peer_key(peer: IpAddr) -> IpAddr {
    let IpAddr::V6(v6) = peer else { return peer };
    match v6.to_ipv4_mapped() {
        Some(v4) => IpAddr::V4(v4),
        None => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    }
}

/// The session layer: an HttpOnly, SameSite=Strict cookie ([`SESSION_COOKIE`]), `Secure` when
/// asked, for sessions kept in memory that end after [`SIGNED_IN_FOR`] without use.
pub(crate) fn session_layer(access: Access) -> SessionManagerLayer<MemoryStore> {
    let secure = matches!(
        access,
        Access::SignIn {
            secure_cookies: true
        }
    );
    let inactive = tower_sessions::cookie::time::Duration::try_from(SIGNED_IN_FOR)
        .unwrap_or(tower_sessions::cookie::time::Duration::WEEK);
    SessionManagerLayer::new(MemoryStore::default())
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_secure(secure)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(inactive))
}

/// The sign-in routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/sign-in", post(sign_in))
        .route("/api/sign-out", post(sign_out))
        .route("/api/account", get(account))
}

/// What may be asked without signing in: the sign-in and pairing pages, what they load, and
/// signing in and pairing.
fn is_public(method: &Method, path: &str) -> bool {
    match *method {
        Method::GET | Method::HEAD => {
            matches!(
                path,
                "/signin.html"
                    | "/signin.js"
                    | "/pair.html"
                    | "/pair.js"
                    | "/invite.html"
                    | "/invite.js"
                    | "/form.js"
                    | "/style.css"
                    | "/icon.svg"
            )
        }
        Method::POST => matches!(
            path,
            "/api/sign-in" | "/api/pair" | "/api/invitations/accept"
        ),
        _ => false,
    }
}

/// Lets a request through when the server is on loopback, the route is public, or the request
/// carries the session of an account that still exists or the cookie of a device still paired
/// ([`crate::pair`]); else the page itself is sent to the sign-in page and everything else
/// gets 401.
pub(crate) async fn require(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    if state.access() == Access::Loopback || is_public(req.method(), req.uri().path()) {
        req.extensions_mut().insert(state.own_profile().clone());
        return next.run(req).await;
    }
    let session = req.extensions().get::<Session>().cloned();
    let token = crate::pair::device_token(&req);
    let signed_in = match signed_in_account(&state, session).await {
        Ok(None) => crate::pair::device_of(&state, token).await.map(|found| {
            found.map(|(device, renew)| {
                let current = Current {
                    name: device.name,
                    role: Role::Person,
                    device: Some(device.id),
                    profile: state.own_profile().clone(),
                };
                (current, renew)
            })
        }),
        other => other.map(|a| a.map(|a| (a, None))),
    };
    match signed_in {
        Ok(Some((current, renew))) => {
            req.extensions_mut().insert(current.profile.clone());
            req.extensions_mut().insert(current);
            let mut res = next.run(req).await;
            if let Some(token) = renew {
                crate::pair::set_cookie(res.headers_mut(), &crate::pair::device_cookie(token));
            }
            res
        }
        Ok(None) if req.method() == Method::GET && req.uri().path() == "/" => {
            Redirect::to("/signin.html").into_response()
        }
        Ok(None) => ApiError::SignInRequired(
            "sign in first: this supine is open to the network, so it needs your name and password"
                .into(),
        )
        .into_response(),
        Err(e) => e.into_response(),
    }
}

/// Who a request is signed in as: an account its session names, or a paired device (which
/// acts as the profile's person).
#[derive(Debug, Clone)]
pub(crate) struct Current {
    pub(crate) name: String,
    pub(crate) role: Role,
    /// The paired device's number, when it is one.
    pub(crate) device: Option<i64>,
    /// Whose journal it reads and writes as its own.
    pub(crate) profile: Profile,
}

async fn signed_in_account(
    state: &AppState,
    session: Option<Session>,
) -> Result<Option<Current>, ApiError> {
    let Some(session) = session else {
        return Ok(None);
    };
    let Some(signed_in) = session
        .get::<SignedIn>(SIGNED_IN_KEY)
        .await
        .map_err(ApiError::internal)?
    else {
        return Ok(None);
    };
    let name = signed_in.name.clone();
    let account = state
        .with_journal(state.own_profile(), move |j| Ok(j.account(&name)?))
        .await?
        .filter(|a| a.created_at == signed_in.created_at);
    match account {
        Some(a) => Ok(Some(Current {
            profile: state.account_profile(a.profile.as_deref()),
            name: a.name,
            role: a.role,
            device: None,
        })),
        None => {
            // The account is gone: so is this session.
            session.flush().await.map_err(ApiError::internal)?;
            Ok(None)
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SignIn)]
pub(crate) struct SignInBody {
    name: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = Account)]
pub(crate) struct AccountBody {
    /// Whether this server needs signing in (false on loopback).
    sign_in: bool,
    /// The signed-in account's name; none on loopback.
    name: Option<String>,
    /// Its role; none on loopback.
    #[schema(value_type = Option<foreign::Role>)]
    role: Option<Role>,
    /// Whether the request comes from a paired device (rather than a signed-in account).
    device: bool,
    /// Whether this server pairs devices (`supine serve --lan`).
    pairing: bool,
}

/// `POST /api/sign-in`: a name and password; on a match the session is renewed (a new id, so
/// that no id known before sign-in is worth anything) and holds the account.
#[utoipa::path(post, tag = "api", path = "/api/sign-in",
    summary = "Beyond 127.0.0.1: sign in with an account's name and password; sets the session cookie (HttpOnly, SameSite=Strict). Needs no session",
    request_body = SignInBody,
    responses(
        (status = 200, description = "signed in", body = AccountBody),
        (status = 401, description = "the name and password do not match an account", body = ErrorBody),
        (status = 409, description = "on 127.0.0.1 there is nothing to sign in to", body = ErrorBody),
        (status = 429, description = "too many attempts from this address or for this name (Retry-After says when)", body = ErrorBody)))]
pub(crate) async fn sign_in(
    State(state): State<AppState>,
    session: Option<axum::Extension<Session>>,
    peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    ApiJson(body): ApiJson<SignInBody>,
) -> Result<Json<AccountBody>, ApiError> {
    let Some(axum::Extension(session)) = session.filter(|_| state.access() != Access::Loopback)
    else {
        return Err(ApiError::Conflict(
            "there is nothing to sign in to: on 127.0.0.1 supine needs no account".into(),
        ));
    };
    state.limiters().attempt(peer_ip(peer), &body.name)?;
    let SignInBody { name, password } = body;
    let account = state
        .with_journal(
            state.own_profile(),
            move |j| match supine_store::validate_account_name(&name) {
                Ok(()) => Ok(j.account(&name)?),
                Err(_) => Ok(None),
            },
        )
        .await?;
    // Hashing takes a while on purpose: off the async threads, and not holding the journal.
    let found = tokio::task::spawn_blocking(move || {
        let matches = match &account {
            Some(a) => verify_password(&password, &a.password_hash),
            None => {
                if let Some(decoy) = DECOY_HASH.as_deref() {
                    verify_password(&password, decoy);
                }
                false
            }
        };
        account.filter(|_| matches)
    })
    .await
    .map_err(ApiError::internal)?;
    let Some(account) = found else {
        return Err(ApiError::SignInRequired(
            "that name and password do not match an account here; check them and try again".into(),
        ));
    };
    Ok(Json(signed_in(&state, &session, account).await?))
}

/// Makes `session` hold `account`: renewed first (a new id, so that no id known before is
/// worth anything).
pub(crate) async fn signed_in(
    state: &AppState,
    session: &Session,
    account: supine_store::Account,
) -> Result<AccountBody, ApiError> {
    session.cycle_id().await.map_err(ApiError::internal)?;
    session
        .insert(
            SIGNED_IN_KEY,
            SignedIn {
                name: account.name.clone(),
                created_at: account.created_at.clone(),
            },
        )
        .await
        .map_err(ApiError::internal)?;
    Ok(AccountBody {
        sign_in: true,
        name: Some(account.name),
        role: Some(account.role),
        device: false,
        pairing: state.tls().is_some(),
    })
}

/// `POST /api/sign-out`: ends this session (its cookie is cleared); on a paired device, the
/// device is revoked and its cookie cleared, so that it must pair again.
#[utoipa::path(post, tag = "api", path = "/api/sign-out",
    summary = "End this session and clear its cookie; a paired device is unpaired",
    responses(
        (status = 204, description = "signed out"),
        (status = 401, description = "not signed in", body = ErrorBody)))]
pub(crate) async fn sign_out(
    State(state): State<AppState>,
    session: Option<axum::Extension<Session>>,
    current: Option<axum::Extension<Current>>,
) -> Result<Response, ApiError> {
    if let Some(axum::Extension(session)) = session {
        session.flush().await.map_err(ApiError::internal)?;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    if let Some(id) = current.and_then(|c| c.0.device) {
        state
            .with_journal(state.own_profile(), move |j| Ok(j.revoke_device(id)?))
            .await?;
        tracing::info!(device = id, "a device signed out and was unpaired");
        crate::pair::set_cookie(res.headers_mut(), &crate::pair::removal_cookie());
    }
    Ok(res)
}

/// `GET /api/account`: whether sign-in is needed, and who is signed in.
#[utoipa::path(get, tag = "api", path = "/api/account",
    summary = "Whether this server needs sign-in, and who is signed in",
    responses(
        (status = 200, description = "the account", body = AccountBody),
        (status = 401, description = "not signed in", body = ErrorBody)))]
pub(crate) async fn account(
    State(state): State<AppState>,
    current: Option<axum::Extension<Current>>,
) -> Json<AccountBody> {
    let current = current.map(|c| c.0);
    Json(AccountBody {
        sign_in: state.access() != Access::Loopback,
        name: current.as_ref().map(|c| c.name.clone()),
        role: current.as_ref().map(|c| c.role),
        device: current.is_some_and(|c| c.device.is_some()),
        pairing: state.tls().is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_hashes_to_argon2id_and_verifies_only_itself() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("correct horsf", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
        // A fresh salt each time.
        assert_ne!(hash, hash_password("correct horse").unwrap());
        assert!(matches!(
            hash_password("short"),
            Err(AuthError::PasswordLength)
        ));
    }

    #[test]
    fn ipv6_peers_are_counted_by_their_64_bit_network() {
        let key = |s: &str| peer_key(s.parse().unwrap());
        assert_eq!(key("2001:db8:1:2::5"), key("2001:db8:1:2:ffff::9"));
        assert_ne!(key("2001:db8:1:2::5"), key("2001:db8:1:3::5"));
        assert_eq!(key("::ffff:192.168.1.20"), key("192.168.1.20"));
        assert_ne!(key("192.168.1.20"), key("192.168.1.21"));
    }

    #[test]
    fn loopback_listeners_need_no_account_and_every_other_does() {
        assert_eq!(
            Access::for_listen("127.0.0.1".parse().unwrap()),
            Access::Loopback
        );
        assert_eq!(Access::for_listen("::1".parse().unwrap()), Access::Loopback);
        for ip in ["0.0.0.0", "::", "192.168.1.20", "10.0.0.2"] {
            assert_eq!(
                Access::for_listen(ip.parse().unwrap()),
                Access::SignIn {
                    secure_cookies: false
                },
                "{ip}"
            );
        }
    }
}
