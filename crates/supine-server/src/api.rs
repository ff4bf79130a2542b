//! The JSON API. Every input is validated here; every error is `{"error": ...}`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{Query, State};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Local;
use serde::{Deserialize, Serialize};
use supine_core::progress::Day;
use supine_core::safety::{self, DAILY_CHECK, QUESTIONS, evaluate, evaluate_checks};
use supine_core::session::HurtChoice;
use supine_core::{Event, Outcome, Plan, Session, compile};
use supine_store::practice;
use supine_store::progress::day_of_date;
use supine_store::{NewSession, PainArea, SessionRecord, SessionStatus};
use tokio::sync::broadcast::error::RecvError;
use utoipa::{IntoParams, ToSchema};

use crate::camera::{self, Out};
use crate::error::{ApiError, ApiJson, SessionPath, shorten};
use crate::limits::{FRAME_BYTES, WS_CAMERA_BYTES, WS_MESSAGE_BYTES};
use crate::live::{self, Live, LiveRef, Update};
use crate::openapi::{ErrorBody, foreign};
use crate::settings::{self, ScreeningStatus, WebSettings};
use crate::{AppState, Profile, now_rfc3339, progress};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/today", get(today))
        .route("/api/screening", get(screening).post(post_screening))
        .route("/api/daily-check", post(post_daily_check))
        .route("/api/settings", get(get_settings).put(put_settings))
        .route("/api/plan", get(plan))
        .route("/api/sessions", get(list_sessions).post(start_session))
        .route("/api/sessions/{id}", get(get_session))
        .route("/api/sessions/{id}/events", post(post_event))
        .route("/api/sessions/{id}/ws", get(ws))
        .route("/api/camera/ws", get(crate::camera::setup_ws))
        .route("/api/progress", get(get_progress))
        .route("/api/openapi.json", get(openapi))
}

/// Any path the app does not have.
pub(crate) async fn not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(format!(
        "there is no page or API route at {}; the API is described at /api/openapi.json",
        shorten(uri.path(), 100)
    ))
}

/// A path the app has, asked with a method it does not take (`OPTIONS` included: the page
/// needs no cross-origin preflight). The router adds the `Allow` header.
pub(crate) async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!(
        "{method} is not allowed on {}; the Allow header lists the methods it takes",
        shorten(uri.path(), 100)
    ))
}

#[utoipa::path(get, tag = "api", path = "/api/openapi.json",
    responses((status = 200, description = "this document (OpenAPI 3.1)", body = Object)))]
pub(crate) async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(crate::openapi::document())
}

/// A session as listed (its events left out).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SessionSummary {
    id: i64,
    started_at: String,
    /// The last sign of life (start, event, heartbeat or end): an open session not heard of
    /// for 2 minutes was abandoned.
    last_seen_at: String,
    routine_name: String,
    status: String,
    end_reason: Option<String>,
    pain_before: Option<u8>,
    pain_after: Option<u8>,
    #[schema(value_type = Vec<foreign::PainArea>)]
    pain_areas: Vec<PainArea>,
    pain_spreads: Option<bool>,
    segments_done: u32,
    segments_total: u32,
    plan_total_ms: u64,
}

impl From<&SessionRecord> for SessionSummary {
    fn from(s: &SessionRecord) -> Self {
        SessionSummary {
            id: s.id,
            started_at: s.started_at.clone(),
            last_seen_at: s.last_seen_at.clone(),
            routine_name: s.routine_name.clone(),
            status: s.status.as_str().to_owned(),
            end_reason: s.end_reason.clone(),
            pain_before: s.pain_before,
            pain_after: s.pain_after,
            pain_areas: s.pain_areas.clone(),
            pain_spreads: s.pain_spreads,
            segments_done: s.segments_done,
            segments_total: s.segments_total,
            plan_total_ms: s.plan_total_ms,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Today {
    streak: u32,
    practised_today: bool,
    routine_name: String,
    total_ms: u64,
    poses: Vec<String>,
    screening: ScreeningStatus,
    /// The check before a session: `"clear"` (answered, or a full screening just taken: start
    /// at once), `"not_today"` (it said not to exercise today) or `"due"` (ask `checks` from
    /// `GET /api/screening`).
    #[schema(value_type = foreign::CheckStatus)]
    check: &'static str,
    recent: Vec<SessionSummary>,
    settings: WebSettings,
    speed: f64,
    /// The last change a clinician who follows this person made to their plan, and their
    /// note, in one sentence.
    clinician_note: Option<String>,
}

/// The settings, screening and conditions on file, and the plan they make.
async fn current_plan(
    state: &AppState,
    me: &Profile,
    over: Option<WebSettings>,
) -> Result<(WebSettings, ScreeningStatus, Plan), ApiError> {
    let (remembered, screening) = state
        .with_journal(me, |j| {
            Ok((settings::load(j)?, settings::screening_status(j)?))
        })
        .await?;
    let s = over.unwrap_or_else(|| WebSettings::from_remembered(&remembered));
    let conditions = screening.conditions.iter().map(|c| c.id).collect();
    let plan = compile(state.content(), &s.plan_input(conditions))
        .map_err(|e| ApiError::Invalid(e.to_string()))?;
    Ok((s, screening, plan))
}

#[utoipa::path(get, tag = "api", path = "/api/today",
    summary = "Streak, today's routine and its length, recent sessions, screening status and settings",
    responses((status = 200, description = "today", body = Today)))]
pub(crate) async fn today(
    State(state): State<AppState>,
    axum::Extension(me): axum::Extension<Profile>,
) -> Result<Json<Today>, ApiError> {
    let (settings, screening, plan) = current_plan(&state, &me, None).await?;
    let (sessions, history, check, clinician) = state
        .with_journal(&me, |j| {
            Ok((
                j.recent_sessions(5)?,
                j.history()?,
                settings::daily_check_recent(j)?,
                practice::clinician_plan(j)?,
            ))
        })
        .await?;
    let p = progress::report(&history, &[], today_day()?);
    Ok(Json(Today {
        streak: p.streak,
        practised_today: p.practised_today,
        routine_name: plan.routine_name.clone(),
        total_ms: plan.total_ms,
        poses: plan
            .steps
            .iter()
            .filter(|s| s.pose.is_some() && !s.skipped)
            .map(|s| s.title.clone())
            .collect(),
        screening,
        check: match check {
            practice::CheckStatus::Clear => "clear",
            practice::CheckStatus::NotToday => "not_today",
            practice::CheckStatus::Due => "due",
        },
        recent: sessions.iter().take(5).map(SessionSummary::from).collect(),
        settings,
        speed: state.clock().speed(),
        clinician_note: clinician.map(|c| c.sentence()),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ScreeningQuestions {
    /// The full screening, in order. A yes or "not sure" to a question with `ends_screening`
    /// ends it at once: POST the answers given so far.
    questions: Vec<ScreeningQuestion>,
    /// The daily question.
    #[schema(value_type = foreign::Question)]
    daily: &'static safety::Question,
    /// The check before a session, in order: a follow-up on the last session when one is due
    /// (after a safety stop, or a session that left the pain worse), then `daily`.
    #[schema(value_type = Vec<foreign::Question>)]
    checks: Vec<safety::Question>,
    status: ScreeningStatus,
}

#[derive(Debug, Serialize, ToSchema)]
struct ScreeningQuestion {
    #[serde(flatten)]
    #[schema(value_type = foreign::Question)]
    question: safety::Question,
    /// Answers (other than "no") that end the screening at once with the urgent message.
    ends_screening: bool,
}

#[utoipa::path(get, tag = "api", path = "/api/screening",
    summary = "The red-flag screening questions, the daily check and the screening on file",
    responses((status = 200, description = "questions", body = ScreeningQuestions)))]
pub(crate) async fn screening(
    State(state): State<AppState>,
    axum::Extension(me): axum::Extension<Profile>,
) -> Result<Json<ScreeningQuestions>, ApiError> {
    let (status, follow_up) = state
        .with_journal(&me, |j| {
            Ok((
                settings::screening_status(j)?,
                practice::follow_up_due(&*j)?,
            ))
        })
        .await?;
    Ok(Json(ScreeningQuestions {
        questions: QUESTIONS
            .iter()
            .map(|q| ScreeningQuestion {
                question: *q,
                ends_screening: q.ends_screening(safety::Answer::Yes),
            })
            .collect(),
        daily: &DAILY_CHECK,
        checks: safety::daily_questions(follow_up),
        status,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScreeningAnswers {
    /// Question id -> "yes" | "no" | "not_sure".
    #[schema(value_type = BTreeMap<String, foreign::Answer>)]
    answers: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OutcomeReply {
    #[schema(value_type = foreign::Outcome)]
    outcome: Outcome,
    /// The stored name of the outcome.
    #[schema(value_type = foreign::OutcomeCode)]
    code: &'static str,
    clear: bool,
    message: String,
    conditions: Vec<settings::ConditionInfo>,
}

impl OutcomeReply {
    fn of(outcome: Outcome) -> OutcomeReply {
        let conditions = match &outcome {
            Outcome::Clear { conditions } => settings::condition_infos(conditions),
            Outcome::SeeClinician { .. } => Vec::new(),
        };
        OutcomeReply {
            code: outcome.code(),
            clear: matches!(outcome, Outcome::Clear { .. }),
            message: outcome.message().replace(
                "run the screening again with `supine screen`",
                "answer the safety questions again in supine",
            ),
            conditions,
            outcome,
        }
    }
}

fn parse_answer(q: &str, a: &str) -> Result<safety::Answer, ApiError> {
    match a {
        "yes" => Ok(safety::Answer::Yes),
        "no" => Ok(safety::Answer::No),
        "not_sure" => Ok(safety::Answer::NotSure),
        _ => Err(ApiError::Invalid(format!(
            "answer to \"{q}\" must be \"yes\", \"no\" or \"not_sure\" (got \"{}\")",
            shorten(a, 40)
        ))),
    }
}

#[utoipa::path(post, tag = "api", path = "/api/screening",
    summary = "Answer every screening question; returns the outcome and conditions that change the plan",
    request_body = ScreeningAnswers,
    responses(
        (status = 200, description = "outcome", body = OutcomeReply),
        (status = 422, description = "a missing, unknown or invalid answer", body = ErrorBody),
        (status = 507, description = "the journal is full (free disk space; nothing saved was lost)", body = ErrorBody)))]
pub(crate) async fn post_screening(
    State(state): State<AppState>,
    axum::Extension(me): axum::Extension<Profile>,
    ApiJson(body): ApiJson<ScreeningAnswers>,
) -> Result<Json<OutcomeReply>, ApiError> {
    let mut answers = Vec::new();
    // In the order asked, as the terminal stores them.
    for q in &QUESTIONS {
        if let Some(a) = body.answers.get(q.id) {
            answers.push((q.id.to_owned(), parse_answer(q.id, a)?));
        }
    }
    if let Some(unknown) = body
        .answers
        .keys()
        .find(|k| !QUESTIONS.iter().any(|q| q.id == k.as_str()))
    {
        return Err(ApiError::Invalid(format!(
            "unknown screening question \"{}\"",
            shorten(unknown, 40)
        )));
    }
    let outcome = evaluate(&answers).map_err(|e| ApiError::Invalid(e.to_string()))?;
    let record = practice::full_screening_record(now_rfc3339(), &answers, &outcome);
    state
        .with_journal(&me, move |j| Ok(j.save_screening(&record)?))
        .await?;
    state.forget_plan();
    Ok(Json(OutcomeReply::of(outcome)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DailyAnswer {
    /// The daily question's answer: "yes" | "no" | "not_sure".
    #[schema(value_type = foreign::Answer)]
    answer: String,
    /// Answers to the other questions of `checks` (question id -> answer): the follow-up on
    /// the last session, when one is due.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, foreign::Answer>)]
    answers: BTreeMap<String, String>,
}

#[utoipa::path(post, tag = "api", path = "/api/daily-check",
    summary = "Answer today's check (anything new since last time?)",
    request_body = DailyAnswer,
    responses(
        (status = 200, description = "outcome", body = OutcomeReply),
        (status = 422, description = "an invalid or missing answer", body = ErrorBody),
        (status = 507, description = "the journal is full (free disk space; nothing saved was lost)", body = ErrorBody)))]
pub(crate) async fn post_daily_check(
    State(state): State<AppState>,
    axum::Extension(me): axum::Extension<Profile>,
    ApiJson(body): ApiJson<DailyAnswer>,
) -> Result<Json<OutcomeReply>, ApiError> {
    let daily = parse_answer(DAILY_CHECK.id, &body.answer)?;
    let follow_up = state
        .with_journal(&me, |j| Ok(practice::follow_up_due(&*j)?))
        .await?;
    let mut answers = Vec::new();
    if let Some(q) = follow_up {
        let a = body.answers.get(q.id).ok_or_else(|| {
            ApiError::Invalid(format!(
                "answer the follow-up question \"{}\" too (in \"answers\")",
                q.id
            ))
        })?;
        answers.push((q, parse_answer(q.id, a)?));
    }
    if let Some(unknown) = body
        .answers
        .keys()
        .find(|k| follow_up.is_none_or(|q| q.id != k.as_str()))
    {
        return Err(ApiError::Invalid(format!(
            "\"{unknown}\" is not a question of today's check"
        )));
    }
    answers.push((DAILY_CHECK, daily));
    let outcome = evaluate_checks(&answers);
    let record = practice::checks_record(now_rfc3339(), &answers, &outcome);
    state
        .with_journal(&me, move |j| Ok(j.save_screening(&record)?))
        .await?;
    Ok(Json(OutcomeReply::of(outcome)))
}

#[utoipa::path(get, tag = "api", path = "/api/settings",
    summary = "Remembered settings (shared with the terminal)",
    responses((status = 200, description = "settings", body = WebSettings)))]
pub(crate) async fn get_settings(
    State(state): State<AppState>,
    axum::Extension(me): axum::Extension<Profile>,
) -> Result<Json<WebSettings>, ApiError> {
    let r = state.with_journal(&me, |j| settings::load(j)).await?;
    Ok(Json(WebSettings::from_remembered(&r)))
}

#[utoipa::path(put, tag = "api", path = "/api/settings",
    summary = "Replace the settings (validated; the plan must compile)",
    request_body = WebSettings,
    responses(
        (status = 200, description = "saved", body = WebSettings),
        (status = 422, description = "a value out of range", body = ErrorBody),
        (status = 507, description = "the journal is full (free disk space; nothing saved was lost)", body = ErrorBody)))]
pub(crate) async fn put_settings(
    State(state): State<AppState>,
    axum::Extension(me): axum::Extension<Profile>,
    ApiJson(s): ApiJson<WebSettings>,
) -> Result<Json<WebSettings>, ApiError> {
    s.validate()?;
    // Check the plan compiles before remembering the settings that make it.
    compile(state.content(), &s.plan_input(Vec::new()))
        .map_err(|e| ApiError::Invalid(e.to_string()))?;
    let saved = s.clone();
    state
        .with_journal(&me, move |j| {
            let r = saved.apply_to(settings::load(j)?);
            settings::save(j, &r)
        })
        .await?;
    state.forget_plan();
    Ok(Json(s))
}

/// Plan preview options; anything left out comes from the remembered settings.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlanQuery {
    /// Target minutes (1-60).
    minutes: Option<f64>,
    /// gentle or standard.
    #[param(value_type = Option<foreign::Level>)]
    level: Option<supine_core::Level>,
    /// Inhale, milliseconds (2000-8000).
    inhale_ms: Option<u32>,
    /// Exhale, milliseconds (2000-12000).
    exhale_ms: Option<u32>,
    /// Easier version of every pose.
    easier: Option<bool>,
    /// Routine id.
    routine: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PlanReply {
    #[schema(value_type = foreign::Plan)]
    plan: Plan,
    settings: WebSettings,
    conditions: Vec<settings::ConditionInfo>,
}

#[utoipa::path(get, tag = "api", path = "/api/plan",
    summary = "The compiled plan for the remembered settings, or for the given ones (preview)",
    params(PlanQuery),
    responses(
        (status = 200, description = "plan, settings and conditions", body = PlanReply),
        (status = 422, description = "a value out of range", body = ErrorBody)))]
pub(crate) async fn plan(
    State(state): State<AppState>,
    axum::Extension(me): axum::Extension<Profile>,
    query: Result<Query<PlanQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::Invalid(e.body_text().to_lowercase()))?;
    let plain = q.minutes.is_none()
        && q.level.is_none()
        && q.inhale_ms.is_none()
        && q.exhale_ms.is_none()
        && q.easier.is_none()
        && q.routine.is_none()
        // Kept for the server's own profile alone: one person's plan is never another's.
        && me == *state.own_profile();
    if plain && let Some(body) = state.cached_plan() {
        return Ok(json_bytes(body));
    }
    // One request refreshes the plain plan; the others wait for it and reuse its answer.
    let _refresh = if plain {
        let guard = state.plan_refresh().await;
        if let Some(body) = state.cached_plan() {
            return Ok(json_bytes(body));
        }
        Some(guard)
    } else {
        None
    };
    let (r, screening) = state
        .with_journal(&me, |j| {
            Ok((settings::load(j)?, settings::screening_status(j)?))
        })
        .await?;
    let mut s = WebSettings::from_remembered(&r);
    if q.minutes.is_some() {
        s.minutes = q.minutes;
    }
    s.level = q.level.unwrap_or(s.level);
    s.inhale_ms = q.inhale_ms.unwrap_or(s.inhale_ms);
    s.exhale_ms = q.exhale_ms.unwrap_or(s.exhale_ms);
    s.easier = q.easier.unwrap_or(s.easier);
    if let Some(r) = q.routine {
        s.routine = r;
    }
    s.validate()?;
    let conditions = screening.conditions.iter().map(|c| c.id).collect();
    let plan = compile(state.content(), &s.plan_input(conditions))
        .map_err(|e| ApiError::Invalid(e.to_string()))?;
    let reply = PlanReply {
        plan,
        settings: s,
        conditions: screening.conditions,
    };
    let body = axum::body::Bytes::from(serde_json::to_vec(&reply).map_err(ApiError::internal)?);
    if plain {
        state.cache_plan(body.clone());
    }
    Ok(json_bytes(body))
}

fn json_bytes(body: axum::body::Bytes) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// How many, 1-500 (default 20).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
}

#[utoipa::path(get, tag = "api", path = "/api/sessions",
    summary = "Recent sessions from the journal",
    params(ListQuery),
    responses(
        (status = 200, description = "sessions, newest first", body = Vec<SessionSummary>),
        (status = 422, description = "limit out of range", body = ErrorBody)))]
pub(crate) async fn list_sessions(
    State(state): State<AppState>,
    axum::Extension(me): axum::Extension<Profile>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<SessionSummary>>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::Invalid(e.body_text().to_lowercase()))?;
    let limit = q.limit.unwrap_or(20);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::Invalid(format!(
            "limit must be from 1 to 500 (got {limit})"
        )));
    }
    let sessions = state
        .with_journal(&me, move |j| Ok(j.recent_sessions(limit)?))
        .await?;
    Ok(Json(sessions.iter().map(SessionSummary::from).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StartBody {
    /// Pain before, 0-10, or null to skip.
    #[schema(maximum = 10)]
    pain_before: Option<u8>,
    /// Where it hurts (asked, as in the terminal, only when there is pain); empty to skip.
    #[serde(default)]
    #[schema(value_type = Vec<foreign::PainArea>)]
    pain_areas: Vec<PainArea>,
    /// Whether the pain spreads down a leg, or null to skip.
    #[serde(default)]
    pain_spreads: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Started {
    id: u64,
    #[schema(value_type = foreign::Plan)]
    plan: Plan,
    update: Update,
}

fn check_pain(p: u8) -> Result<u8, ApiError> {
    if p > 10 {
        Err(ApiError::Invalid(format!(
            "pain must be a whole number from 0 (no pain) to 10 (worst imaginable); got {p}"
        )))
    } else {
        Ok(p)
    }
}

#[utoipa::path(post, tag = "api", path = "/api/sessions",
    summary = "Start a session (needs a clear screening and a clear daily check in the last hour)",
    request_body = StartBody,
    responses(
        (status = 201, description = "the session id, its plan and a first update", body = Started),
        (status = 403, description = "the screening advises seeing a clinician, or today's check said not to exercise", body = ErrorBody),
        (status = 409, description = "screening or daily check needed first", body = ErrorBody),
        (status = 422, description = "pain out of range", body = ErrorBody),
        (status = 429, description = "every place for a live session is in use by pages; end one or try again in a few minutes", body = ErrorBody),
        (status = 503, description = "the server is stopping, or the journal is busy or read-only", body = ErrorBody),
        (status = 507, description = "the journal is full (free disk space; nothing saved was lost)", body = ErrorBody)))]
pub(crate) async fn start_session(
    State(state): State<AppState>,
    axum::Extension(me): axum::Extension<Profile>,
    ApiJson(body): ApiJson<StartBody>,
) -> Result<(StatusCode, Json<Started>), ApiError> {
    let pain_before = body.pain_before.map(check_pain).transpose()?;
    // As in the terminal: where it hurts is asked only when it hurts.
    if pain_before.unwrap_or(0) == 0 && (!body.pain_areas.is_empty() || body.pain_spreads.is_some())
    {
        return Err(ApiError::Invalid(
            "pain_areas and pain_spreads need a pain_before above 0".into(),
        ));
    }
    let mut pain_areas = body.pain_areas;
    pain_areas.sort();
    pain_areas.dedup();
    let pain_spreads = body.pain_spreads;
    let (ready, daily, remembered) = state
        .with_journal(&me, |j| {
            Ok((
                settings::screening_status(j)?,
                settings::daily_check_recent(j)?,
                settings::load(j)?,
            ))
        })
        .await?;
    match &ready.outcome {
        _ if ready.due => {
            return Err(ApiError::Conflict(
                "answer the safety questions first (POST /api/screening)".into(),
            ));
        }
        Some(Outcome::SeeClinician { .. }) => {
            return Err(ApiError::Forbidden(ready.message.unwrap_or_default()));
        }
        _ => {}
    }
    match daily {
        practice::CheckStatus::Clear => {}
        practice::CheckStatus::NotToday => {
            return Err(ApiError::Forbidden(
                "today's check said not to exercise today; please follow its advice".into(),
            ));
        }
        practice::CheckStatus::Due => {
            return Err(ApiError::Conflict(
                "answer today's check first (POST /api/daily-check)".into(),
            ));
        }
    }
    let settings = WebSettings::from_remembered(&remembered);
    let conditions = ready.conditions.iter().map(|c| c.id).collect();
    let input = settings.plan_input(conditions);
    let session = Session::new(
        state.content().clone(),
        input.clone(),
        pain_before,
        settings.breath_chimes,
    )
    .map_err(|e| ApiError::Invalid(e.to_string()))?;
    let plan = session.plan().clone();
    let new = NewSession {
        started_at: now_rfc3339(),
        routine_id: plan.routine_id.clone(),
        routine_name: plan.routine_name.clone(),
        settings: serde_json::to_value(&input).map_err(ApiError::internal)?,
        plan_total_ms: plan.total_ms,
        segments_total: plan.segments.len() as u32,
        pain_before,
        pain_areas,
        pain_spreads,
    };
    // A place first, so that a full table refuses before anything is written.
    let place = live::reserve(&state)?;
    let journal_id = state
        .with_journal(&me, move |j| {
            let id = j.start_session(&new)?;
            // This server plays it (on a shared database, no other may while it does).
            j.claim_session(id)?;
            // Hand out only an id the journal has kept.
            match j.session(id)? {
                Some(s) if s.status == SessionStatus::Open => Ok(id),
                _ => Err(ApiError::JournalUnavailable(
                    "the journal did not keep the new session, so it was not started; try \
                     again, and check that the disk has space if it happens again"
                        .into(),
                )),
            }
        })
        .await?;
    let id = journal_id as u64;
    let live = Live::new(session, journal_id, me.clone());
    let update = live.snapshot(id, &state);
    place.fill(id, live)?;
    Ok((StatusCode::CREATED, Json(Started { id, plan, update })))
}

#[utoipa::path(get, tag = "api", path = "/api/sessions/{id}",
    summary = "The session's current update (view, figure, ring)",
    params(("id" = u64, Path, description = "the session id")),
    responses(
        (status = 200, description = "update", body = Update),
        (status = 400, description = "the id is not a whole number", body = ErrorBody),
        (status = 404, description = "no such live session", body = ErrorBody)))]
pub(crate) async fn get_session(
    State(state): State<AppState>,
    axum::Extension(me): axum::Extension<Profile>,
    SessionPath(id): SessionPath,
) -> Result<Json<Update>, ApiError> {
    let live = crate::carry::find(&state, id, &me).await?;
    live.lock().await.touch();
    // A page polling an abandoned session brings its clock back.
    live::resume(&state, id, &live).await?;
    Ok(Json(live.lock().await.snapshot(id, &state)))
}

/// Events the page may send: everything but `tick` (the server owns time), plus `start`.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub(crate) enum PageEvent {
    Start,
    Pause,
    Resume,
    TogglePause,
    Next,
    Back,
    Hurt,
    Quit,
    Answer(bool),
    Pain(u8),
    #[schema(value_type = foreign::HurtChoice)]
    Choose(HurtChoice),
}

impl PageEvent {
    fn to_core(self) -> Result<Option<Event>, ApiError> {
        Ok(Some(match self {
            PageEvent::Start => return Ok(None),
            PageEvent::Pause => Event::Pause,
            PageEvent::Resume => Event::Resume,
            PageEvent::TogglePause => Event::TogglePause,
            PageEvent::Next => Event::Next,
            PageEvent::Back => Event::Back,
            PageEvent::Hurt => Event::Hurt,
            PageEvent::Quit => Event::Quit,
            PageEvent::Answer(b) => Event::Answer(b),
            PageEvent::Pain(p) => Event::Pain(check_pain(p)?),
            PageEvent::Choose(c) => Event::Choose(c),
        }))
    }
}

/// Applies an event from the page (by POST or over the WebSocket), starting the session first
/// if it has not started. The update says in `error` when the journal did not take it.
async fn apply(
    state: &AppState,
    id: u64,
    live: &LiveRef,
    event: PageEvent,
) -> Result<Update, ApiError> {
    let event = event.to_core()?;
    live.lock().await.touch();
    live::start(state, id, live).await?;
    match event {
        Some(e) => live::step(state, id, live, Some(e)).await,
        None => Ok(live.lock().await.snapshot(id, state)),
    }
}

#[utoipa::path(post, tag = "api", path = "/api/sessions/{id}/events",
    summary = "Send an event: start, pause, resume, toggle_pause, next, back, hurt, quit, answer (bool), pain (0-10), choose (easier|skip|end|resume)",
    params(("id" = u64, Path, description = "the session id")),
    request_body = PageEvent,
    responses(
        (status = 200, description = "the update after the event (its error field is set while the journal does not take the session's records)", body = Update),
        (status = 400, description = "the id is not a whole number", body = ErrorBody),
        (status = 404, description = "no such live session", body = ErrorBody),
        (status = 422, description = "an invalid event (pain 11, an unknown type, a tick)", body = ErrorBody)))]
pub(crate) async fn post_event(
    State(state): State<AppState>,
    axum::Extension(me): axum::Extension<Profile>,
    SessionPath(id): SessionPath,
    ApiJson(event): ApiJson<PageEvent>,
) -> Result<Json<Update>, ApiError> {
    let live = crate::carry::find(&state, id, &me).await?;
    Ok(Json(apply(&state, id, &live, event).await?))
}

#[utoipa::path(get, tag = "api", path = "/api/sessions/{id}/ws",
    summary = "WebSocket: a snapshot, then an Update (JSON text) on every change and at every breath turn; connecting starts the session. A text message is an event, as for POST .../events; one that is not is answered {\"error\": ...} on that socket only. A binary message is a camera frame (JPEG, at most 256 KiB and 1920 px a side; at most 10 analysed a second, the newest kept when the server falls behind, none stored): the session follows what it shows, and each frame analysed is answered with a CameraMessage (landmarks, placement, ms) on that socket; 2 s without a frame is a CameraMessage off and the timer leads; a third camera at once is refused. The server pings, and closes a socket whose page answers nothing for the idle timeout.",
    params(("id" = u64, Path, description = "the session id")),
    responses(
        (status = 101, description = "switching protocols"),
        (status = 404, description = "no such live session", body = ErrorBody)))]
pub(crate) async fn ws(
    State(state): State<AppState>,
    axum::Extension(me): axum::Extension<Profile>,
    SessionPath(id): SessionPath,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let live = crate::carry::find(&state, id, &me).await?;
    Ok(socket(upgrade)?
        .on_upgrade(move |socket| watch(socket, state, id, live))
        .into_response())
}

/// A WebSocket upgrade with the sockets' message limits (camera frames are the largest), or
/// the error for a request that is no WebSocket.
pub(crate) fn socket(
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<WebSocketUpgrade, ApiError> {
    let upgrade = upgrade.map_err(|r| {
        ApiError::Rejected(
            r.status(),
            format!(
                "{}; this address is a WebSocket (new WebSocket(...) in the page)",
                r.body_text().to_lowercase()
            ),
        )
    })?;
    Ok(upgrade
        .max_message_size(WS_CAMERA_BYTES)
        .max_frame_size(WS_CAMERA_BYTES))
}

/// Sends a snapshot, starts the session if it has not started, then forwards every update.
/// A text message from the page is an event, as for `POST .../events`; what is not a valid
/// event is answered `{"error": ...}` on that socket only.
async fn watch(socket: WebSocket, state: AppState, id: u64, live: LiveRef) {
    live.lock().await.touch();
    forward(socket, &state, id, &live).await;
    // The page has gone; the session is left alone after a while unless it comes back.
    live.lock().await.touch();
}

async fn forward(mut socket: WebSocket, state: &AppState, id: u64, live: &LiveRef) {
    let (mut rx, first) = {
        let l = live.lock().await;
        (l.subscribe(), l.snapshot(id, state))
    };
    let Ok(text) = serde_json::to_string(&first) else {
        return;
    };
    if socket.send(Message::Text(text.into())).await.is_err() {
        return;
    }
    if let Err(e) = live::start(state, id, live).await {
        tracing::warn!(session = id, "{e}");
    }
    let timeouts = state.timeouts();
    let mut ping = tokio::time::interval(timeouts.ws_ping());
    ping.tick().await;
    let mut heard = Instant::now();
    let mut camera = Camera::default();
    let mut phase = state.watch_phase();
    loop {
        tokio::select! {
            () = stopped(&mut phase) => {
                // The last updates (the session saved, the server stopped) first.
                while let Ok(text) = rx.try_recv() {
                    if socket.send(Message::Text(text.as_ref().into())).await.is_err() {
                        break;
                    }
                }
                close(&mut socket, close_code::AWAY, STOPPED).await;
                break;
            }
            msg = rx.recv() => match msg {
                Ok(text) => {
                    if socket.send(Message::Text(text.as_ref().into())).await.is_err() {
                        break;
                    }
                }
                Err(RecvError::Lagged(_)) => {
                    let snap = live.lock().await.snapshot(id, state);
                    let Ok(text) = serde_json::to_string(&snap) else { break };
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Err(RecvError::Closed) => break,
            },
            out = camera.feed.next() => {
                if let Some(reply) = camera.news(state, id, live, out).await
                    && socket.send(Message::Text(reply.into())).await.is_err()
                {
                    break;
                }
            }
            _ = ping.tick() => {
                if !keep_alive(&mut socket, heard, timeouts.idle).await {
                    break;
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None => break,
                Some(Err(e)) => {
                    read_failed(&mut socket, e).await;
                    break;
                }
                Some(Ok(Message::Text(t))) if t.len() > WS_MESSAGE_BYTES => {
                    text_too_large(&mut socket).await;
                    break;
                }
                Some(Ok(Message::Binary(frame))) => {
                    heard = Instant::now();
                    if let Some(reply) = camera.feed.frame_in(state, frame)
                        && socket.send(Message::Text(reply.into())).await.is_err()
                    {
                        break;
                    }
                }
                Some(Ok(message)) => {
                    heard = Instant::now();
                    if let Some(reply) = page_message(state, id, live, message).await
                        && socket.send(Message::Text(reply.into())).await.is_err()
                    {
                        break;
                    }
                }
            },
        }
    }
    // The page went with its camera: the timer leads.
    drop(camera.feed);
    if camera.on {
        tell(state, id, live, Event::Camera(false)).await;
    }
}

/// A session socket's camera: its frames, and whether the session has been told it is on.
#[derive(Default)]
struct Camera {
    feed: camera::Feed,
    on: bool,
}

/// Feeds `event` to the live session; a failure is the server's to log, not the page's.
async fn tell(state: &AppState, id: u64, live: &LiveRef, event: Event) {
    if let Err(e) = live::step(state, id, live, Some(event)).await {
        tracing::warn!(session = id, "{e}");
    }
}

impl Camera {
    /// Feeds what the camera saw to the session (`Camera(true)` first, when it comes on) and
    /// returns the message for this page.
    async fn news(
        &mut self,
        state: &AppState,
        id: u64,
        live: &LiveRef,
        out: Out,
    ) -> Option<String> {
        let message = match out {
            Out::Frame(message, seen) => {
                if !self.on {
                    self.on = true;
                    tell(state, id, live, Event::Camera(true)).await;
                }
                for o in seen {
                    tell(state, id, live, Event::Seen(o)).await;
                }
                message
            }
            Out::Off => {
                if self.on {
                    self.on = false;
                    tell(state, id, live, Event::Camera(false)).await;
                }
                camera::off()
            }
            Out::Bad(e) => return Some(ApiError::BadRequest(e).body().to_string()),
        };
        serde_json::to_string(&message).ok()
    }
}

/// What a message from the page does: an event is applied (its update reaches every page as
/// usual); anything else gets a JSON error, returned here for this socket only.
async fn page_message(state: &AppState, id: u64, live: &LiveRef, m: Message) -> Option<String> {
    let error = match m {
        Message::Text(text) => match serde_json::from_str::<PageEvent>(text.as_str()) {
            Ok(event) => match apply(state, id, live, event).await {
                Ok(_) => return None,
                Err(e) => e,
            },
            Err(e) => ApiError::BadRequest(format!("the message is not an event: {e}")),
        },
        // Camera frames are taken in `forward`.
        Message::Binary(_) => return None,
        Message::Ping(_) | Message::Pong(_) | Message::Close(_) => return None,
    };
    Some(error.body().to_string())
}

/// Whether a WebSocket read failed because a message or frame was over the size limit.
fn too_large(e: axum::Error) -> bool {
    e.into_inner()
        .downcast::<tungstenite::Error>()
        .is_ok_and(|e| matches!(*e, tungstenite::Error::Capacity(_)))
}

/// On a ping tick: closes a socket whose page has said nothing since `heard` for `idle`, else
/// pings it. False once the socket is done.
pub(crate) async fn keep_alive(socket: &mut WebSocket, heard: Instant, idle: Duration) -> bool {
    if heard.elapsed() > idle {
        close(socket, close_code::AWAY, "the page stopped answering").await;
        return false;
    }
    socket.send(Message::Ping(Default::default())).await.is_ok()
}

/// A socket whose read failed: closed with 1009 and the limits when the message was too
/// large (else it is gone already).
pub(crate) async fn read_failed(socket: &mut WebSocket, e: axum::Error) {
    if too_large(e) {
        let reason = format!(
            "a message was larger than {} KiB; events are small JSON texts and camera frames \
             at most {} KiB",
            WS_CAMERA_BYTES / 1024,
            FRAME_BYTES / 1024
        );
        close(socket, close_code::SIZE, &reason).await;
    }
}

/// A text message over [`WS_MESSAGE_BYTES`]: the socket is closed with 1009.
pub(crate) async fn text_too_large(socket: &mut WebSocket) {
    let reason = format!(
        "a text message was larger than {} KiB; events are small JSON texts",
        WS_MESSAGE_BYTES / 1024
    );
    close(socket, close_code::SIZE, &reason).await;
}

/// The close reason of every socket when the server stops.
pub(crate) const STOPPED: &str = "supine has stopped; everything so far is saved";

/// Completes once the server has stopped (or its state is gone).
pub(crate) async fn stopped(phase: &mut tokio::sync::watch::Receiver<crate::Phase>) {
    let _ = phase.wait_for(|p| *p == crate::Phase::Stopped).await;
}

pub(crate) async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

/// Today in the server's local calendar, as the core counts days.
fn today_day() -> Result<Day, ApiError> {
    day_of_date(Local::now().date_naive())
        .ok_or_else(|| ApiError::internal("today is out of range"))
}

#[utoipa::path(get, tag = "api", path = "/api/progress",
    summary = "The core progress report (streak, weeks, 7-day mean with meaningful-change markers, relief, PSFS, the two-week rule), its advice in words, a calendar, SVG charts, and the camera's use in the last 4 weeks (camera, as supine progress --json gives it)",
    responses((status = 200, description = "progress", body = progress::Progress)))]
pub(crate) async fn get_progress(
    State(state): State<AppState>,
    axum::Extension(me): axum::Extension<Profile>,
) -> Result<Json<progress::Progress>, ApiError> {
    Ok(Json(progress_of(&state, &me, |_| Ok(())).await?))
}

/// The progress page of `profile`'s journal; `first` runs on the journal in the same turn,
/// before anything is read (a clinician's read is written to the audit log there).
pub(crate) async fn progress_of(
    state: &AppState,
    profile: &Profile,
    first: impl FnOnce(&mut dyn supine_store::Journal) -> Result<(), ApiError> + Send + 'static,
) -> Result<progress::Progress, ApiError> {
    let today = today_day()?;
    let (history, psfs, camera) = state
        .with_journal(profile, move |j| {
            first(j)?;
            let history = j.history()?;
            let from = today.plus(1 - supine_store::seen::CAMERA_DAYS);
            let camera = supine_store::seen::camera_use_between(j, &history, from, today)?;
            Ok((history, j.psfs_entries()?, camera))
        })
        .await?;
    Ok(progress::compute(&history, &psfs, camera, today))
}
