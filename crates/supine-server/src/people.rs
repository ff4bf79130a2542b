//! Accounts with journals of their own: a clinician's people, the audit log of who read a
//! person's journal, and invitations by link.
//!
//! - Every account has a journal (a profile) of its own, or uses the server's (see
//!   `Account::profile`); every other route reads and writes only the asker's, so one person
//!   never sees another's.
//! - A clinician reads the journals of the people assigned to them (`supine admin assign`)
//!   through `/api/people`: each read is written to that person's audit log in the same turn on
//!   the journal, before anything is read, so there is no read without its entry. The person
//!   sees their log at `GET /api/audit`.
//! - An invitation is a link with 256 random bits in its fragment (`/invite.html#TOKEN`), kept
//!   as the token's SHA-256; it makes one account, once, within [`INVITATION_LASTS`].

use std::time::Duration;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Local};
use serde::{Deserialize, Serialize};
use supine_store::{AuditEntry, Invitation, Journal, Role, StoreError};
use tower_sessions::Session;
use utoipa::ToSchema;

use crate::api::SessionSummary;
use crate::auth::{AccountBody, Current};
use crate::error::{ApiError, ApiJson};
use crate::openapi::ErrorBody;
use crate::pair::{sha256_hex, stamp};
use crate::{AppState, Profile, progress};

/// An invitation works for 7 days, once.
pub const INVITATION_LASTS: Duration = Duration::from_secs(7 * 24 * 3600);

/// The most entries `GET /api/audit` gives.
const AUDIT_SHOWN: usize = 500;

/// Who an invitation is for.
#[derive(Debug, Clone)]
pub struct Invite {
    /// The account name it makes.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// Its journal: `None` for the server's own (see `Account::profile`).
    pub profile: Option<String>,
    /// A clinician the new person is assigned to.
    pub clinician: Option<String>,
}

/// Makes an invitation and keeps it; the token for its link (`/invite.html#TOKEN`) and when it
/// stops working, or `None` when the name has an account or an open invitation already.
pub fn make_invitation(
    journal: &mut dyn Journal,
    invite: &Invite,
    now: DateTime<Local>,
) -> Result<Option<(String, DateTime<Local>)>, StoreError> {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = data_encoding::BASE64URL_NOPAD.encode(&bytes);
    let expires = now + chrono::Duration::from_std(INVITATION_LASTS).unwrap_or_default();
    let added = journal.add_invitation(&Invitation {
        token_hash: sha256_hex(token.as_bytes()),
        name: invite.name.clone(),
        role: invite.role,
        profile: invite.profile.clone(),
        clinician: invite.clinician.clone(),
        created_at: stamp(now),
        expires_at: stamp(expires),
    })?;
    Ok(added.then_some((token, expires)))
}

/// The link an invitation's token makes on the server at `base` (such as
/// `https://clinic.example`).
pub fn invitation_url(base: &str, token: &str) -> String {
    format!("{}/invite.html#{token}", base.trim_end_matches('/'))
}

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/people", get(people))
        .route("/api/people/{name}/progress", get(person_progress))
        .route("/api/people/{name}/sessions", get(person_sessions))
        .route("/api/people/{name}/plan", axum::routing::put(change_plan))
        .route("/api/audit", get(audit))
        .route("/api/invitations/accept", post(accept))
}

/// One of a clinician's people, with their week at a glance.
#[derive(Serialize, ToSchema)]
#[schema(as = Person)]
pub(crate) struct PersonBody {
    /// Their account name.
    name: String,
    /// Sessions in the last 7 days.
    sessions_this_week: usize,
    /// When their last session started (RFC 3339), if any.
    last_session_at: Option<String>,
}

/// The clinician asking, and the person's journal, if the person is assigned to them.
async fn their_journal(
    state: &AppState,
    current: Option<&Current>,
    name: &str,
) -> Result<(String, Profile), ApiError> {
    let clinician = clinician(current)?;
    let (name, clinician_name) = (name.to_owned(), clinician.clone());
    let profile = state
        .with_journal(state.own_profile(), move |j| {
            if !j.people_of(&clinician_name)?.contains(&name) {
                return Ok(None);
            }
            Ok(j.account(&name)?.map(|a| a.profile))
        })
        .await?
        .ok_or_else(|| ApiError::NotFound("no one of that name is assigned to you".into()))?;
    Ok((clinician, state.account_profile(profile.as_deref())))
}

/// The signed-in clinician's name; 403 for anyone else.
fn clinician(current: Option<&Current>) -> Result<String, ApiError> {
    match current {
        Some(c) if c.role == Role::Clinician && c.device.is_none() => Ok(c.name.clone()),
        _ => Err(ApiError::Forbidden(
            "only a clinician signed in with their account sees the people assigned to them".into(),
        )),
    }
}

/// Writes the read to the person's audit log (run first in the read's turn on the journal).
fn audited(
    actor: String,
    action: &'static str,
) -> impl FnOnce(&mut dyn Journal) -> Result<(), ApiError> + Send + 'static {
    move |j| {
        Ok(j.add_audit(&AuditEntry {
            at: stamp(Local::now()),
            actor,
            action: action.to_owned(),
        })?)
    }
}

/// `GET /api/people`: a clinician's people, each with sessions this week and the last one.
#[utoipa::path(get, tag = "api", path = "/api/people",
    summary = "A clinician's people, with sessions in the last 7 days; each person's audit log notes the read",
    responses(
        (status = 200, description = "the people, by name", body = Vec<PersonBody>),
        (status = 403, description = "not a clinician", body = ErrorBody)))]
pub(crate) async fn people(
    State(state): State<AppState>,
    current: Option<axum::Extension<Current>>,
) -> Result<Json<Vec<PersonBody>>, ApiError> {
    let clinician = clinician(current.as_deref())?;
    let asking = clinician.clone();
    let people = state
        .with_journal(state.own_profile(), move |j| {
            let mut people = Vec::new();
            for name in j.people_of(&asking)? {
                if let Some(a) = j.account(&name)? {
                    people.push((name, a.profile));
                }
            }
            Ok(people)
        })
        .await?;
    let week_ago = Local::now() - chrono::Duration::days(7);
    let mut out = Vec::with_capacity(people.len());
    for (name, profile) in people {
        let profile = state.account_profile(profile.as_deref());
        let first = audited(
            clinician.clone(),
            "sessions this week, in their list of people",
        );
        let recent = state
            .with_journal(&profile, move |j| {
                first(j)?;
                Ok(j.recent_sessions(50)?)
            })
            .await?;
        let this_week = recent
            .iter()
            .filter(|s| DateTime::parse_from_rfc3339(&s.started_at).is_ok_and(|t| t >= week_ago))
            .count();
        out.push(PersonBody {
            name,
            sessions_this_week: this_week,
            last_session_at: recent.first().map(|s| s.started_at.clone()),
        });
    }
    Ok(Json(out))
}

/// `GET /api/people/{name}/progress`: one of a clinician's people's progress page.
#[utoipa::path(get, tag = "api", path = "/api/people/{name}/progress",
    summary = "The progress of one of a clinician's people, as they see it; their audit log notes the read",
    params(("name" = String, Path, description = "the person's account name")),
    responses(
        (status = 200, description = "progress", body = progress::Progress),
        (status = 403, description = "not a clinician", body = ErrorBody),
        (status = 404, description = "no one of that name is assigned to this clinician", body = ErrorBody)))]
pub(crate) async fn person_progress(
    State(state): State<AppState>,
    current: Option<axum::Extension<Current>>,
    Path(name): Path<String>,
) -> Result<Json<progress::Progress>, ApiError> {
    let (clinician, profile) = their_journal(&state, current.as_deref(), &name).await?;
    let first = audited(clinician, "progress");
    Ok(Json(
        crate::api::progress_of(&state, &profile, first).await?,
    ))
}

/// `GET /api/people/{name}/sessions`: one of a clinician's people's recent sessions.
#[utoipa::path(get, tag = "api", path = "/api/people/{name}/sessions",
    summary = "The 50 latest sessions of one of a clinician's people; their audit log notes the read",
    params(("name" = String, Path, description = "the person's account name")),
    responses(
        (status = 200, description = "sessions, newest first", body = Vec<SessionSummary>),
        (status = 403, description = "not a clinician", body = ErrorBody),
        (status = 404, description = "no one of that name is assigned to this clinician", body = ErrorBody)))]
pub(crate) async fn person_sessions(
    State(state): State<AppState>,
    current: Option<axum::Extension<Current>>,
    Path(name): Path<String>,
) -> Result<Json<Vec<SessionSummary>>, ApiError> {
    let (clinician, profile) = their_journal(&state, current.as_deref(), &name).await?;
    let first = audited(clinician, "sessions");
    let sessions = state
        .with_journal(&profile, move |j| {
            first(j)?;
            Ok(j.recent_sessions(50)?)
        })
        .await?;
    Ok(Json(sessions.iter().map(SessionSummary::from).collect()))
}

/// A clinician's change to a person's plan: what to change (anything left out stays as it
/// is), and a note for the person.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PlanChange)]
pub(crate) struct PlanChangeBody {
    /// gentle or standard.
    #[schema(value_type = Option<crate::openapi::foreign::Level>)]
    level: Option<supine_core::Level>,
    /// Breathe in, milliseconds (2000-8000).
    inhale_ms: Option<u32>,
    /// Breathe out, milliseconds (2000-12000).
    exhale_ms: Option<u32>,
    /// Target minutes (1-60).
    minutes: Option<f64>,
    /// The easier version of every pose.
    easier: Option<bool>,
    /// Why, in a few words, for the person (1-1000 characters).
    note: String,
}

/// The most characters a clinician's note has.
const NOTE_MAX: usize = 1000;

/// `PUT /api/people/{name}/plan`: a clinician changes one of their people's plan, with a note.
#[utoipa::path(put, tag = "api", path = "/api/people/{name}/plan",
    summary = "A clinician changes one of their people's plan (level, breath pace, minutes, the easier version) with a note the person sees; kept in their journal and their audit log",
    params(("name" = String, Path, description = "the person's account name")),
    request_body = PlanChangeBody,
    responses(
        (status = 200, description = "the person's settings now", body = crate::settings::WebSettings),
        (status = 403, description = "not a clinician", body = ErrorBody),
        (status = 404, description = "no one of that name is assigned to this clinician", body = ErrorBody),
        (status = 422, description = "a value out of range, no note, or nothing to change", body = ErrorBody)))]
pub(crate) async fn change_plan(
    State(state): State<AppState>,
    current: Option<axum::Extension<Current>>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<PlanChangeBody>,
) -> Result<Json<crate::settings::WebSettings>, ApiError> {
    let (clinician, profile) = their_journal(&state, current.as_deref(), &name).await?;
    let note = body.note.trim().to_owned();
    if note.is_empty() || note.chars().count() > NOTE_MAX {
        return Err(ApiError::Invalid(format!(
            "write a note for them of 1 to {NOTE_MAX} characters: what you changed and why"
        )));
    }
    let content = state.content().clone();
    let saved = state
        .with_journal(&profile, move |j| {
            let remembered = crate::settings::load(j)?;
            let mut s = crate::settings::WebSettings::from_remembered(&remembered);
            let mut changes = Vec::new();
            if let Some(level) = body.level.filter(|l| *l != s.level) {
                s.level = level;
                changes.push(format!("level: {}", level_word(level)));
            }
            let (inhale, exhale) = (
                body.inhale_ms.unwrap_or(s.inhale_ms),
                body.exhale_ms.unwrap_or(s.exhale_ms),
            );
            if (inhale, exhale) != (s.inhale_ms, s.exhale_ms) {
                (s.inhale_ms, s.exhale_ms) = (inhale, exhale);
                changes.push(format!(
                    "breathe in for {} s and out for {} s",
                    f64::from(inhale) / 1000.0,
                    f64::from(exhale) / 1000.0
                ));
            }
            if let Some(m) = body.minutes.filter(|m| Some(*m) != s.minutes) {
                s.minutes = Some(m);
                changes.push(format!("about {m} minutes"));
            }
            if let Some(e) = body.easier.filter(|e| *e != s.easier) {
                s.easier = e;
                changes.push(if e {
                    "the easier version of every pose".to_owned()
                } else {
                    "the usual version of each pose".to_owned()
                });
            }
            if changes.is_empty() {
                return Err(ApiError::Invalid(
                    "that is their plan already: change the level, breath, minutes or the easier version".into(),
                ));
            }
            s.validate()?;
            supine_core::compile(&content, &s.plan_input(Vec::new()))
                .map_err(|e| ApiError::Invalid(e.to_string()))?;
            let at = stamp(Local::now());
            let summary = changes.join("; ");
            // The audit entry, the new settings and the note, in that order: a change is never
            // kept without its entry.
            j.add_audit(&AuditEntry {
                at: at.clone(),
                actor: clinician.clone(),
                action: format!("plan, and changed it ({summary})"),
            })?;
            crate::settings::save(j, &s.apply_to(remembered))?;
            supine_store::practice::save_clinician_plan(
                j,
                &supine_store::practice::ClinicianPlan {
                    by: clinician,
                    at,
                    changes,
                    note,
                },
            )?;
            Ok(s)
        })
        .await?;
    if profile == *state.own_profile() {
        state.forget_plan();
    }
    tracing::info!("a clinician changed a plan");
    Ok(Json(saved))
}

fn level_word(level: supine_core::Level) -> &'static str {
    match level {
        supine_core::Level::Gentle => "gentle",
        supine_core::Level::Standard => "standard",
    }
}

/// One read of the asker's journal by someone else.
#[derive(Serialize, ToSchema)]
#[schema(as = AuditEntry)]
pub(crate) struct AuditBody {
    /// When (RFC 3339).
    at: String,
    /// Who: their account name.
    actor: String,
    /// What they read.
    action: String,
}

/// `GET /api/audit`: who has read the asker's journal, newest first.
#[utoipa::path(get, tag = "api", path = "/api/audit",
    summary = "Who has read your journal (a clinician you are assigned to), newest first, the last 500",
    responses((status = 200, description = "the reads", body = Vec<AuditBody>)))]
pub(crate) async fn audit(
    State(state): State<AppState>,
    axum::Extension(me): axum::Extension<Profile>,
) -> Result<Json<Vec<AuditBody>>, ApiError> {
    let log = state
        .with_journal(&me, |j| Ok(j.audit_log(AUDIT_SHOWN)?))
        .await?;
    Ok(Json(
        log.into_iter()
            .map(|e| AuditBody {
                at: e.at,
                actor: e.actor,
                action: e.action,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AcceptInvitation)]
pub(crate) struct AcceptBody {
    /// The token from the invitation's link.
    token: String,
    /// The password to sign in with from now on.
    password: String,
}

/// `POST /api/invitations/accept`: an invitation's token and a password; makes its account
/// and signs in as it.
#[utoipa::path(post, tag = "api", path = "/api/invitations/accept",
    summary = "Beyond 127.0.0.1: accept an invitation with a password of your choosing; makes the account and signs in (sets the session cookie). Needs no session",
    request_body = AcceptBody,
    responses(
        (status = 200, description = "the new account, signed in", body = AccountBody),
        (status = 401, description = "the invitation does not work: wrong, used already, or expired", body = ErrorBody),
        (status = 409, description = "on 127.0.0.1 there are no accounts to make", body = ErrorBody),
        (status = 422, description = "the password is too short or too long", body = ErrorBody),
        (status = 429, description = "too many attempts from this address (Retry-After says when)", body = ErrorBody)))]
pub(crate) async fn accept(
    State(state): State<AppState>,
    session: Option<axum::Extension<Session>>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    ApiJson(body): ApiJson<AcceptBody>,
) -> Result<Json<AccountBody>, ApiError> {
    let Some(axum::Extension(session)) =
        session.filter(|_| state.access() != crate::Access::Loopback)
    else {
        return Err(ApiError::Conflict(
            "there is nothing to accept: on 127.0.0.1 supine needs no account".into(),
        ));
    };
    state.limiters().attempt_from(crate::auth::peer_ip(peer))?;
    crate::check_password(&body.password).map_err(|e| ApiError::Invalid(e.to_string()))?;
    let password = body.password;
    let hash = tokio::task::spawn_blocking(move || crate::hash_password(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::Invalid(e.to_string()))?;
    let token_hash = sha256_hex(body.token.trim().as_bytes());
    let now = stamp(Local::now());
    let account = state
        .with_journal(state.own_profile(), move |j| {
            Ok(j.accept_invitation(&token_hash, &now, &hash)?)
        })
        .await?
        .ok_or_else(|| {
            ApiError::SignInRequired(
                "that invitation does not work: it may have been used already or be more than 7 \
                 days old; ask whoever invited you for a new one"
                    .into(),
            )
        })?;
    tracing::info!("an invitation was accepted");
    Ok(Json(
        crate::auth::signed_in(&state, &session, account).await?,
    ))
}
