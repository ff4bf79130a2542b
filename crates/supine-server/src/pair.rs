//! Pairing a phone (or any device) with `supine serve --lan`: the person scans a QR code the
//! terminal shows, holding the page's address and a one-time code; the page sends the code to
//! `POST /api/pair`, and the device gets a cookie of its own that signs it in to this profile
//! from then on, until it is revoked (`DELETE /api/devices/{id}`, or `supine devices revoke`).
//!
//! - A code is 80 random bits, works once and for [`PAIRING_CODE_LASTS`]; the journal keeps
//!   only its SHA-256, and using it is one conditional write, so two servers cannot both use it.
//! - The code travels in the address's fragment (`/pair.html#CODE`), which browsers never send
//!   to a server, so it stays out of request logs and proxies; the page posts it.
//! - A device's token is 256 random bits in an HttpOnly, SameSite=Strict, Secure cookie
//!   ([`DEVICE_COOKIE`]); the journal keeps only its SHA-256, so a copy of the journal signs
//!   nobody in.
//! - Pairing needs HTTPS: without it the cookie would cross the network in the clear.

use std::net::SocketAddr;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chrono::{DateTime, Local, SecondsFormat};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use supine_store::{Device, Journal, NewDevice, PairingCode, StoreError};
use tower_sessions::cookie::{Cookie, SameSite};
use utoipa::ToSchema;

use crate::auth::Current;
use crate::error::{ApiError, ApiJson};
use crate::limits::{DEVICE_COOKIE_LASTS, DEVICE_SEEN_EVERY, PAIRING_CODE_LASTS};
use crate::openapi::ErrorBody;
use crate::{AppState, Profile};

/// The paired device's cookie.
pub const DEVICE_COOKIE: &str = "supine_device";

/// A new pairing code, kept (as its hash) in the journal: the code, to show, and when it
/// stops working.
#[derive(Debug, Clone)]
pub struct NewPairingCode {
    /// The code: 16 letters and digits (base32), shown in groups of four.
    pub code: String,
    /// When it stops working.
    pub expires_at: DateTime<Local>,
}

/// Makes a pairing code for the journal's profile and keeps it, working from `now` for
/// [`PAIRING_CODE_LASTS`].
pub fn make_pairing_code(
    journal: &mut dyn Journal,
    now: DateTime<Local>,
) -> Result<NewPairingCode, StoreError> {
    let code = data_encoding::BASE32_NOPAD.encode(&random::<10>());
    let expires_at = now
        + chrono::Duration::from_std(PAIRING_CODE_LASTS).unwrap_or(chrono::Duration::minutes(5));
    journal.add_pairing_code(&PairingCode {
        code_hash: code_hash(&code),
        created_at: stamp(now),
        expires_at: stamp(expires_at),
    })?;
    Ok(NewPairingCode { code, expires_at })
}

/// The address that pairs a device: the pairing page of the server at `base` (such as
/// `https://192.168.1.5:8770`), with the code in its fragment.
pub fn pairing_url(base: &str, code: &str) -> String {
    format!("{}/pair.html#{code}", base.trim_end_matches('/'))
}

/// `text` as a QR code drawn with block characters, two rows of modules to a line, light
/// modules drawn and dark ones left blank, for a terminal with light text on a dark
/// background (a phone's camera reads the inverse on a light one too); with the quiet zone.
pub fn qr_text(text: &str) -> Result<String, String> {
    use qrcode::render::unicode::Dense1x2;
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::L)
        .map_err(|e| e.to_string())?;
    Ok(code
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

/// The code in groups of four (`ABCD-EFGH-…`), for reading out or typing.
pub fn grouped(code: &str) -> String {
    code.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// The journal's key for a code: the SHA-256 of the code in capitals without spaces or dashes
/// (so that a typed `abcd-efgh …` is the same code).
fn code_hash(code: &str) -> String {
    let plain: String = code
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .flat_map(char::to_uppercase)
        .collect();
    sha256_hex(plain.as_bytes())
}

/// Lowercase hex SHA-256, as the journal keeps tokens and codes.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

/// RFC 3339 with milliseconds and the offset, as the journal keeps times.
pub(crate) fn stamp(t: DateTime<Local>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, false)
}

/// The routes for pairing and for the paired devices.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/pair", post(pair))
        .route("/api/devices", get(devices))
        .route("/api/devices/{id}", delete(revoke))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Pair)]
pub(crate) struct PairBody {
    /// The code from the pairing address.
    code: String,
    /// What to call this device, e.g. "Ana's phone"; "Phone" when empty.
    #[serde(default)]
    name: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = Device)]
pub(crate) struct DeviceBody {
    /// The device's number, to revoke it.
    id: i64,
    /// What it was called when paired.
    name: String,
    /// When it was paired (RFC 3339).
    paired_at: String,
    /// When it was last used, to within 10 minutes (RFC 3339).
    last_seen_at: String,
    /// Whether it is the device asking.
    this_device: bool,
}

impl DeviceBody {
    fn of(d: Device, asking: Option<i64>) -> DeviceBody {
        DeviceBody {
            this_device: asking == Some(d.id),
            id: d.id,
            name: d.name,
            paired_at: d.paired_at,
            last_seen_at: d.last_seen_at,
        }
    }
}

/// `POST /api/pair`: a pairing code, and a name for this device; on a code that works, the
/// device is paired and gets its cookie.
#[utoipa::path(post, tag = "api", path = "/api/pair",
    summary = "With `supine serve --lan`: pair this device with a one-time code; sets the device cookie (HttpOnly, SameSite=Strict, Secure). Needs no session",
    request_body = PairBody,
    responses(
        (status = 200, description = "paired", body = DeviceBody),
        (status = 400, description = "the name is not one a device can have", body = ErrorBody),
        (status = 401, description = "the code is not one that works: wrong, used already, or expired", body = ErrorBody),
        (status = 409, description = "this server does not pair devices (it is not serving HTTPS)", body = ErrorBody),
        (status = 429, description = "too many attempts from this address (Retry-After says when)", body = ErrorBody)))]
pub(crate) async fn pair(
    State(state): State<AppState>,
    peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    ApiJson(body): ApiJson<PairBody>,
) -> Result<Response, ApiError> {
    if state.tls().is_none() {
        return Err(ApiError::Conflict(
            "this supine does not pair devices: start it with `supine serve --lan` for that".into(),
        ));
    }
    state.limiters().attempt_from(crate::auth::peer_ip(peer))?;
    let name = match body.name.trim() {
        "" => "Phone".to_owned(),
        n => n.to_owned(),
    };
    if supine_store::validate_device_name(&name).is_err() {
        return Err(ApiError::Invalid(format!(
            "a device's name is at most {} characters, on one line",
            supine_store::DEVICE_NAME_MAX
        )));
    }
    let token = data_encoding::BASE64URL_NOPAD.encode(&random::<32>());
    let device = NewDevice {
        name,
        token_hash: sha256_hex(token.as_bytes()),
        paired_at: stamp(Local::now()),
    };
    let code = code_hash(&body.code);
    let paired = state
        .with_journal(state.own_profile(), move |j| {
            Ok(j.pair_device(&code, &device.paired_at, &device)?)
        })
        .await?;
    let Some(device) = paired else {
        return Err(ApiError::SignInRequired(
            "that pairing code does not work: it may have been used already or be more than 5 \
             minutes old. On the computer running supine, run `supine devices pair` for a new \
             one"
            .into(),
        ));
    };
    tracing::info!(device = device.id, "a device was paired");
    let id = device.id;
    let mut res = Json(DeviceBody::of(device, Some(id))).into_response();
    set_cookie(res.headers_mut(), &device_cookie(token));
    Ok(res)
}

/// `GET /api/devices`: the devices paired with this profile.
#[utoipa::path(get, tag = "api", path = "/api/devices",
    summary = "The devices paired with this profile, oldest first",
    responses(
        (status = 200, description = "the devices", body = Vec<DeviceBody>),
        (status = 401, description = "not signed in", body = ErrorBody),
        (status = 403, description = "an account with a journal of its own: devices are the server's person's", body = ErrorBody)))]
pub(crate) async fn devices(
    State(state): State<AppState>,
    axum::Extension(me): axum::Extension<Profile>,
    current: Option<axum::Extension<Current>>,
) -> Result<Json<Vec<DeviceBody>>, ApiError> {
    own_journal(&state, &me)?;
    let asking = current.and_then(|c| c.0.device);
    let devices = state
        .with_journal(state.own_profile(), |j| Ok(j.devices()?))
        .await?;
    Ok(Json(
        devices
            .into_iter()
            .map(|d| DeviceBody::of(d, asking))
            .collect(),
    ))
}

/// `DELETE /api/devices/{id}`: revokes a paired device; its cookie signs nobody in from the
/// next request on. Revoking the device asking also clears its cookie.
#[utoipa::path(delete, tag = "api", path = "/api/devices/{id}",
    summary = "Revoke a paired device",
    params(("id" = i64, Path, description = "the device's number")),
    responses(
        (status = 204, description = "revoked"),
        (status = 401, description = "not signed in", body = ErrorBody),
        (status = 403, description = "an account with a journal of its own: devices are the server's person's", body = ErrorBody),
        (status = 404, description = "no device of that number", body = ErrorBody)))]
pub(crate) async fn revoke(
    State(state): State<AppState>,
    axum::Extension(me): axum::Extension<Profile>,
    current: Option<axum::Extension<Current>>,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    own_journal(&state, &me)?;
    if !state
        .with_journal(state.own_profile(), move |j| Ok(j.revoke_device(id)?))
        .await?
    {
        return Err(ApiError::NotFound(format!(
            "there is no paired device number {id}"
        )));
    }
    tracing::info!(device = id, "a device was revoked");
    let mut res = StatusCode::NO_CONTENT.into_response();
    if current.and_then(|c| c.0.device) == Some(id) {
        set_cookie(res.headers_mut(), &removal_cookie());
    }
    Ok(res)
}

/// Devices are paired with the server's own profile: only those who use its journal (on
/// loopback, a paired device, an account of that profile) see and revoke them.
fn own_journal(state: &AppState, me: &Profile) -> Result<(), ApiError> {
    if me == state.own_profile() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "the paired devices belong to the journal of the person who runs this supine".into(),
        ))
    }
}

/// The device a request's cookie signs in, if it names one that is still paired; with whether
/// its "last seen" was moved on (it was last written more than [`DEVICE_SEEN_EVERY`] ago), in
/// which case the response renews the cookie.
pub(crate) async fn device_of(
    state: &AppState,
    token: Option<String>,
) -> Result<Option<(Device, Option<String>)>, ApiError> {
    let Some(token) = token.filter(|_| state.tls().is_some()) else {
        return Ok(None);
    };
    let hash = sha256_hex(token.as_bytes());
    let now = Local::now();
    let every = chrono::Duration::from_std(DEVICE_SEEN_EVERY).unwrap_or_default();
    state
        .with_journal(state.own_profile(), move |j| {
            let Some(device) = j.device_by_token(&hash)? else {
                return Ok(None);
            };
            let stale = DateTime::parse_from_rfc3339(&device.last_seen_at)
                .map_or(true, |seen| now.signed_duration_since(seen) >= every);
            if !stale {
                return Ok(Some((device, None)));
            }
            j.device_seen(device.id, &stamp(now))?;
            Ok(Some((device, Some(token))))
        })
        .await
}

/// The device token a request's cookie holds, if any.
pub(crate) fn device_token(req: &Request) -> Option<String> {
    cookie(req.headers(), DEVICE_COOKIE)
}

/// The value of the cookie `name` among a request's `Cookie` headers.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// The device cookie holding `token`.
pub(crate) fn device_cookie(token: String) -> Cookie<'static> {
    let lasts = tower_sessions::cookie::time::Duration::try_from(DEVICE_COOKIE_LASTS)
        .unwrap_or(tower_sessions::cookie::time::Duration::WEEK);
    Cookie::build((DEVICE_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(true)
        .path("/")
        .max_age(lasts)
        .build()
}

/// A cookie that makes the browser forget the device cookie.
pub(crate) fn removal_cookie() -> Cookie<'static> {
    let mut c = device_cookie(String::new());
    c.make_removal();
    c
}

pub(crate) fn set_cookie(headers: &mut HeaderMap, cookie: &Cookie<'_>) {
    if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
        headers.append(header::SET_COOKIE, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_the_same_typed_in_any_case_with_or_without_dashes() {
        let code = "ABCDEFGHIJKLMNOP";
        assert_eq!(code_hash(code), code_hash("abcd-efgh-ijkl-mnop"));
        assert_eq!(code_hash(code), code_hash(" abcd efgh ijkl mnop "));
        assert_ne!(code_hash(code), code_hash("ABCDEFGHIJKLMNOQ"));
        assert_eq!(code_hash(code).len(), 64);
        assert_eq!(grouped(code), "ABCD-EFGH-IJKL-MNOP");
    }

    #[test]
    fn the_device_cookie_is_http_only_strict_and_secure() {
        let c = device_cookie("t".into()).to_string();
        for part in [
            "supine_device=t",
            "HttpOnly",
            "SameSite=Strict",
            "Secure",
            "Path=/",
        ] {
            assert!(c.contains(part), "{c} lacks {part}");
        }
    }

    #[test]
    fn a_pairing_address_carries_its_code_in_the_fragment_and_draws_as_a_qr_code() {
        let url = pairing_url("https://192.168.1.5:8770/", "ABCD");
        assert_eq!(url, "https://192.168.1.5:8770/pair.html#ABCD");
        let qr = qr_text(&url).unwrap();
        let lines: Vec<&str> = qr.lines().collect();
        // Square: as many columns as twice the lines (two module rows a line), give or take
        // the odd row.
        let width = lines[0].chars().count();
        assert!(width >= 21 + 8, "{width}");
        assert!(lines.iter().all(|l| l.chars().count() == width));
        assert!(lines.len() * 2 >= width && lines.len() * 2 <= width + 1);
    }
}
