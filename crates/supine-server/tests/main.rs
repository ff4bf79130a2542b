//! Router tests: the real router over an in-memory journal, called with `oneshot`; the modules
//! add journal faults, raw connections to a served port, and property tests.

mod auth;
mod camera;
mod carry;
mod errors;
mod faults;
mod net;
mod observe;
mod openapi;
mod pair;
mod people;
mod props;
mod sessions;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use supine_core::Content;
use supine_core::safety::QUESTIONS;
use supine_server::limits::BODY_BYTES;
use supine_server::{Access, AppState, Config, Timeouts, router};
use supine_store::{Journal, SqliteJournal};
use tower::ServiceExt;

const HOST: &str = "127.0.0.1:4321";
const ORIGIN: &str = "http://127.0.0.1:4321";

fn config(speed: f64, timeouts: Timeouts) -> Config {
    Config {
        port: 4321,
        host_names: vec!["yoga.lan".into()],
        speed,
        timeouts,
        access: Access::Loopback,
        live_sessions: supine_server::limits::LIVE_SESSIONS,
        tls: None,
    }
}

/// The state over any journal, with these timeouts.
fn state_over(journal: Box<dyn Journal>, speed: f64, timeouts: Timeouts) -> AppState {
    AppState::new(
        Arc::new(Content::builtin()),
        journal,
        &config(speed, timeouts),
    )
    .unwrap()
}

fn app_with(journal: SqliteJournal, speed: f64) -> Router {
    router(state_over(Box::new(journal), speed, Timeouts::default()))
}

fn app() -> Router {
    app_with(SqliteJournal::open_in_memory().unwrap(), 1.0)
}

/// Sends a request and returns the status and the JSON body (null when it is not JSON), after
/// checking the body against its schema in the API document.
async fn send(app: &Router, req: Request<Body>) -> (StatusCode, Value) {
    let (method, path) = (req.method().to_string(), req.uri().path().to_owned());
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let problems = openapi::check_response(
        openapi::document().await,
        &method,
        &path,
        status.as_u16(),
        &v,
    );
    assert!(
        problems.is_empty(),
        "the body of {method} {path} ({status}) does not match the API document:\n{}",
        problems.join("\n")
    );
    (status, v)
}

fn get(path: &str) -> Request<Body> {
    Request::get(path)
        .header(header::HOST, HOST)
        .body(Body::empty())
        .unwrap()
}

fn with_body(method: &str, path: &str, body: &Value) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn post(path: &str, body: Value) -> Request<Body> {
    with_body("POST", path, &body)
}

fn all_no() -> Value {
    let answers: serde_json::Map<String, Value> = QUESTIONS
        .iter()
        .map(|q| (q.id.to_owned(), json!("no")))
        .collect();
    json!({ "answers": answers })
}

/// Screening and daily check done, a session started; returns its id.
async fn start(app: &Router, pain_before: Value) -> u64 {
    let (s, _) = send(app, post("/api/screening", all_no())).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = send(app, post("/api/daily-check", json!({"answer": "no"}))).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = send(
        app,
        post("/api/sessions", json!({ "pain_before": pain_before })),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_u64().unwrap()
}

async fn event(app: &Router, id: u64, ev: Value) -> (StatusCode, Value) {
    send(app, post(&format!("/api/sessions/{id}/events"), ev)).await
}

#[tokio::test]
async fn the_page_and_its_assets_are_served_from_the_binary() {
    let app = app();
    let res = app.clone().oneshot(get("/")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        res.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
    let html = res.into_body().collect().await.unwrap().to_bytes();
    let html = String::from_utf8_lossy(&html);
    assert!(html.contains("/app.js"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no CDN"
    );
    for path in [
        "/app.js",
        "/player.js",
        "/figures.js",
        "/sound.js",
        "/style.css",
    ] {
        let res = app.clone().oneshot(get(path)).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
    }
    let (s, v) = send(&app, get("/nope")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(v["error"].is_string());
}

#[tokio::test]
async fn foreign_hosts_are_refused_against_dns_rebinding() {
    let app = app();
    for host in ["evil.example", "evil.example:4321", "127.0.0.1:9999"] {
        let req = Request::get("/api/today")
            .header(header::HOST, host)
            .body(Body::empty())
            .unwrap();
        let (s, v) = send(&app, req).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{host}");
        assert!(v["error"].as_str().unwrap().contains("host"), "{v}");
    }
    // A configured name is accepted.
    let req = Request::get("/api/today")
        .header(header::HOST, "yoga.lan")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, req).await.0, StatusCode::OK);
}

#[tokio::test]
async fn state_changes_from_another_site_are_refused() {
    let app = app();
    let mut req = post("/api/daily-check", json!({"answer": "no"}));
    req.headers_mut()
        .insert(header::ORIGIN, "http://evil.example".parse().unwrap());
    let (s, v) = send(&app, req).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(v["error"].as_str().unwrap().contains("own page"));
    // A browser that sends no Origin still says cross-site in Sec-Fetch-Site.
    let mut req = post("/api/daily-check", json!({"answer": "no"}));
    req.headers_mut().remove(header::ORIGIN);
    req.headers_mut()
        .insert("sec-fetch-site", "cross-site".parse().unwrap());
    assert_eq!(send(&app, req).await.0, StatusCode::FORBIDDEN);
    // A form post (not JSON) cannot pass either.
    let req = Request::post("/api/daily-check")
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("answer=no"))
        .unwrap();
    let (s, v) = send(&app, req).await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(v["error"].as_str().unwrap().contains("application/json"));
}

#[tokio::test]
async fn invalid_input_is_a_json_error_with_a_message() {
    let app = app();
    let id = start(&app, json!(3)).await;
    let (s, v) = event(&app, id, json!({"type": "hurt"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = event(&app, id, json!({"type": "pain", "value": 11})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        v["error"].as_str().unwrap().contains("0 (no pain) to 10"),
        "{v}"
    );
    // The server owns time: a tick from the page is not an event it takes.
    let (s, _) = event(&app, id, json!({"type": "tick", "value": 99999})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, v) = send(&app, post("/api/sessions", json!({"pain_before": 11}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v["error"].as_str().unwrap().contains("got 11"));
    let req = Request::post("/api/sessions")
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{not json"))
        .unwrap();
    let (s, v) = send(&app, req).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["error"].is_string());
    let (s, v) = send(&app, post("/api/daily-check", json!({"answer": "perhaps"}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v["error"].as_str().unwrap().contains("not_sure"));
    let (s, v) = send(&app, get("/api/plan?minutes=500")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v["error"].as_str().unwrap().contains("from 1 to 60"));
    let (s, _) = send(&app, get("/api/sessions/999/events")).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    let (s, v) = event(&app, 999, json!({"type": "next"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(v["error"].as_str().unwrap().contains("999"));
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused() {
    let app = app();
    // Just under the limit is read (and refused for its value); just over is not read.
    let under = json!({ "answer": "x".repeat(BODY_BYTES - 100) });
    let (s, v) = send(&app, post("/api/daily-check", under)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let e = v["error"].as_str().unwrap();
    assert!(
        e.len() < 200,
        "what was sent is quoted short: {} bytes",
        e.len()
    );
    let big = json!({ "answer": "x".repeat(BODY_BYTES + 10) });
    let (s, v) = send(&app, post("/api/daily-check", big)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(v["error"].as_str().unwrap().contains("too large"));
    assert!(v["error"].as_str().unwrap().contains("64 KiB"), "{v}");
}

#[tokio::test]
async fn no_session_before_the_safety_questions_and_none_after_a_red_flag() {
    let app = app();
    let (s, v) = send(&app, post("/api/sessions", json!({"pain_before": 3}))).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(v["error"].as_str().unwrap().contains("safety questions"));
    let mut answers = all_no();
    answers["answers"]["saddle_numbness"] = json!("yes");
    let (s, v) = send(&app, post("/api/screening", answers)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["code"], "see_clinician_urgently");
    assert!(v["message"].as_str().unwrap().contains("today"));
    let (s, _) = send(&app, post("/api/daily-check", json!({"answer": "no"}))).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = send(&app, post("/api/sessions", json!({"pain_before": 3}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Missing answers are named.
    let (s, v) = send(
        &app,
        post("/api/screening", json!({"answers": {"fever": "no"}})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v["error"].as_str().unwrap().contains("not answered"), "{v}");
}

#[tokio::test]
async fn conditions_change_the_plan_with_a_reason() {
    let app = app();
    let mut answers = all_no();
    answers["answers"]["neck_or_shoulder_injury"] = json!("yes");
    let (_, v) = send(&app, post("/api/screening", answers)).await;
    assert_eq!(v["clear"], true);
    assert_eq!(v["conditions"][0]["id"], "neck_or_shoulder_injury");
    let (s, v) = send(&app, get("/api/plan")).await;
    assert_eq!(s, StatusCode::OK);
    let adaptations = v["plan"]["adaptations"].as_array().unwrap();
    assert!(
        adaptations
            .iter()
            .any(|a| a["why"].as_str().unwrap().contains("neck")),
        "{adaptations:?}"
    );
}

#[tokio::test]
async fn this_hurts_follows_the_stop_rule_and_the_journal_keeps_it() {
    let journal = SqliteJournal::open_in_memory().unwrap();
    let app = app_with(journal, 1.0);
    let id = start(&app, json!(2)).await;
    // Into the first pose, then "this hurts" with pain spreading down a leg.
    let (_, v) = event(&app, id, json!({"type": "next"})).await;
    assert_eq!(v["view"]["kind"], "intro");
    let (_, v) = event(&app, id, json!({"type": "hurt"})).await;
    assert_eq!(v["view"]["screen"]["screen"], "hurt");
    assert_eq!(v["view"]["prompt"]["kind"]["type"], "pain");
    assert!(
        v["effects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["effect"] == "stop_speech")
    );
    event(&app, id, json!({"type": "pain", "value": 4})).await;
    event(&app, id, json!({"type": "answer", "value": false})).await;
    let (_, v) = event(&app, id, json!({"type": "answer", "value": true})).await;
    assert_eq!(
        v["view"]["prompt"]["text"],
        "Any numbness, tingling or weakness in your legs?"
    );
    let (_, v) = event(&app, id, json!({"type": "answer", "value": false})).await;
    // Spreading pain stops the session: the advice is said and kept, and pain after is asked,
    // not copied from the "this hurts" answer.
    assert_eq!(v["view"]["screen"]["screen"], "pain_after", "{v}");
    assert_eq!(v["view"]["safety_stop"], "spreading_pain");
    assert!(
        v["view"]["advice"]
            .as_str()
            .unwrap()
            .contains("doctor or physiotherapist")
    );
    let spoken: Vec<&str> = v["effects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["effect"] == "speak")
        .filter_map(|e| e["value"].as_str())
        .collect();
    assert!(spoken.iter().any(|s| s.contains("stop here")), "{spoken:?}");
    assert!(
        !spoken
            .iter()
            .any(|s| s.to_lowercase().contains("well done")),
        "{spoken:?}"
    );
    let (_, v) = event(&app, id, json!({"type": "pain", "value": 5})).await;
    assert!(v["ended"].as_bool().unwrap(), "{v}");
    assert_eq!(v["view"]["screen"]["screen"], "ended");
    assert_eq!(v["view"]["end"], "stopped_for_safety");
    assert!(
        v["view"]["prompt"]["text"]
            .as_str()
            .unwrap()
            .contains("doctor or physiotherapist"),
        "the advice stays on screen: {v}"
    );
    // Stored as it happened.
    let (_, list) = send(&app, get("/api/sessions?limit=5")).await;
    assert_eq!(list[0]["status"], "finished");
    assert_eq!(list[0]["end_reason"], "stopped_for_safety");
    assert_eq!(list[0]["pain_before"], 2);
    assert_eq!(list[0]["pain_after"], 5);
}

#[tokio::test]
async fn an_emergency_flag_ends_the_screening_with_the_answers_so_far() {
    let app = app();
    let (_, v) = send(&app, get("/api/screening")).await;
    assert_eq!(v["questions"][0]["ends_screening"], true);
    let cancer = v["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == "cancer")
        .unwrap();
    assert_eq!(cancer["ends_screening"], false);
    let (s, v) = send(
        &app,
        post(
            "/api/screening",
            json!({"answers": {"bladder_bowel": "not_sure"}}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["code"], "see_clinician_urgently");
    assert!(v["message"].as_str().unwrap().contains("emergency"));
}

#[tokio::test]
async fn the_check_after_a_safety_stop_asks_about_it_first() {
    let app = app();
    let id = start(&app, json!(3)).await;
    event(&app, id, json!({"type": "next"})).await;
    event(&app, id, json!({"type": "hurt"})).await;
    event(&app, id, json!({"type": "pain", "value": 3})).await;
    event(&app, id, json!({"type": "answer", "value": false})).await;
    event(&app, id, json!({"type": "answer", "value": false})).await;
    event(&app, id, json!({"type": "answer", "value": true})).await; // numbness
    let (_, v) = event(&app, id, json!({"type": "pain", "value": 3})).await;
    assert_eq!(v["view"]["end"], "stopped_for_safety");
    // The clear check of a few minutes ago no longer counts: the follow-up comes first.
    let (s, v) = send(&app, post("/api/sessions", json!({"pain_before": 3}))).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (_, v) = send(&app, get("/api/today")).await;
    assert_eq!(v["check"], "due");
    assert!(v["recent"][0]["last_seen_at"].is_string(), "{v}");

    let (_, v) = send(&app, get("/api/screening")).await;
    let checks: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap())
        .collect();
    assert_eq!(checks, ["follow_up_numbness", "daily_new_symptoms"]);
    // The follow-up must be answered.
    let (s, v) = send(&app, post("/api/daily-check", json!({"answer": "no"}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["error"].as_str().unwrap().contains("follow_up_numbness"));
    // Still there: not today.
    let (s, v) = send(
        &app,
        post(
            "/api/daily-check",
            json!({"answer": "no", "answers": {"follow_up_numbness": "yes"}}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["clear"], false);
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("doctor or physiotherapist")
    );
    let (s, _) = send(&app, post("/api/sessions", json!({"pain_before": 3}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Settled: clear, and not asked again.
    let (_, v) = send(
        &app,
        post(
            "/api/daily-check",
            json!({"answer": "no", "answers": {"follow_up_numbness": "no"}}),
        ),
    )
    .await;
    assert_eq!(v["clear"], true, "{v}");
    let (_, v) = send(&app, get("/api/screening")).await;
    assert_eq!(v["checks"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_easier_version_is_offered_for_mild_pain() {
    let app = app();
    let id = start(&app, json!(3)).await;
    event(&app, id, json!({"type": "next"})).await;
    event(&app, id, json!({"type": "next"})).await;
    event(&app, id, json!({"type": "hurt"})).await;
    event(&app, id, json!({"type": "pain", "value": 3})).await;
    for _ in 0..3 {
        event(&app, id, json!({"type": "answer", "value": false})).await;
    }
    let (_, v) = send(&app, get(&format!("/api/sessions/{id}"))).await;
    let choices = &v["view"]["prompt"]["kind"]["choices"];
    assert!(choices.as_array().unwrap().contains(&json!("skip")), "{v}");
    let (_, v) = event(&app, id, json!({"type": "choose", "value": "skip"})).await;
    assert_eq!(v["view"]["screen"]["screen"], "playing");
    assert_ne!(v["view"]["title"], "Knee circles");
}

#[tokio::test]
async fn a_whole_session_plays_on_the_server_clock_and_shows_in_progress() {
    let app = app_with(SqliteJournal::open_in_memory().unwrap(), 2000.0);
    let id = start(&app, json!(5)).await;
    let (_, v) = event(&app, id, json!({"type": "start"})).await;
    assert_eq!(v["view"]["screen"]["screen"], "playing");
    // About ten minutes of plan at 2000x: a third of a second.
    let mut v = v;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        v = send(&app, get(&format!("/api/sessions/{id}"))).await.1;
        if v["view"]["screen"]["screen"] == "pain_after" {
            break;
        }
    }
    assert_eq!(v["view"]["screen"]["screen"], "pain_after", "{v}");
    let (_, v) = event(&app, id, json!({"type": "pain", "value": 2})).await;
    assert!(v["ended"].as_bool().unwrap());
    let (_, p) = send(&app, get("/api/progress")).await;
    assert_eq!(p["streak"], 1);
    assert_eq!(p["sessions"], 1);
    assert_eq!(p["relief"][0]["relief"], 3);
    assert_eq!(p["pain"][0]["pain"], 5.0);
    assert!(p["charts"]["pain"].as_str().unwrap().starts_with("<svg"));
    let (_, t) = send(&app, get("/api/today")).await;
    assert_eq!(t["streak"], 1);
    assert_eq!(t["recent"][0]["end_reason"], "completed");
}

#[tokio::test]
async fn pause_holds_time() {
    let app = app_with(SqliteJournal::open_in_memory().unwrap(), 200.0);
    let id = start(&app, json!(null)).await;
    event(&app, id, json!({"type": "start"})).await;
    let (_, v) = event(&app, id, json!({"type": "pause"})).await;
    assert_eq!(v["view"]["screen"]["screen"], "paused");
    let left = v["view"]["total_left_ms"].clone();
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    let (_, v) = send(&app, get(&format!("/api/sessions/{id}"))).await;
    assert_eq!(
        v["view"]["total_left_ms"], left,
        "paused time must not move"
    );
    let (_, v) = event(&app, id, json!({"type": "resume"})).await;
    assert_eq!(v["view"]["screen"]["screen"], "playing");
}

#[tokio::test]
async fn settings_are_validated_and_remembered() {
    let journal = SqliteJournal::open_in_memory().unwrap();
    let app = app_with(journal, 1.0);
    let (_, mut s) = send(&app, get("/api/settings")).await;
    // The plain plan is cached; saving settings must not leave it stale.
    let (_, p) = send(&app, get("/api/plan")).await;
    assert_eq!(p["plan"]["settings"]["pace"]["inhale_ms"], 4000);
    s["minutes"] = json!(6);
    s["inhale_ms"] = json!(5000);
    let (st, _) = send(&app, with_body("PUT", "/api/settings", &s)).await;
    assert_eq!(st, StatusCode::OK);
    let (_, back) = send(&app, get("/api/settings")).await;
    assert_eq!(back["minutes"], 6.0);
    assert_eq!(back["inhale_ms"], 5000);
    s["exhale_ms"] = json!(50_000);
    let (st, v) = send(&app, with_body("PUT", "/api/settings", &s)).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v["error"].as_str().unwrap().contains("exhale_ms"));
    let (_, p) = send(&app, get("/api/plan")).await;
    assert_eq!(p["plan"]["settings"]["pace"]["inhale_ms"], 5000);
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let app = app();
    let (s, doc) = send(&app, get("/api/openapi.json")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/api/today",
        "/api/screening",
        "/api/daily-check",
        "/api/settings",
        "/api/plan",
        "/api/sessions",
        "/api/sessions/{id}",
        "/api/sessions/{id}/events",
        "/api/sessions/{id}/ws",
        "/api/progress",
        "/api/openapi.json",
        "/api/sign-in",
        "/api/sign-out",
        "/api/account",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is not documented");
    }
}

#[test]
fn sessions_left_open_are_marked_interrupted_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let mut j = SqliteJournal::open(&path).unwrap();
    let id = j
        .start_session(&supine_store::NewSession {
            started_at: "2020-01-01T08:00:00+00:00".into(),
            routine_id: "r".into(),
            routine_name: "R".into(),
            settings: json!({}),
            plan_total_ms: 1000,
            segments_total: 3,
            pain_before: None,
            pain_areas: Vec::new(),
            pain_spreads: None,
        })
        .unwrap();
    let config = Config {
        port: 1,
        host_names: vec![],
        speed: 1.0,
        timeouts: Timeouts::default(),
        access: Access::Loopback,
        live_sessions: supine_server::limits::LIVE_SESSIONS,
        tls: None,
    };
    let _state = AppState::new(Arc::new(Content::builtin()), Box::new(j), &config).unwrap();
    let check = SqliteJournal::open(&path).unwrap();
    let s = check.session(id).unwrap().unwrap();
    assert_eq!(s.status, supine_store::SessionStatus::Interrupted);
}

/// A finished ten-minute session `days_ago` days before today (local time), at 08:00.
fn seed(j: &mut SqliteJournal, days_ago: i64, before: u8, after: u8) {
    let day = chrono::Local::now().date_naive() - chrono::Duration::days(days_ago);
    let at = |hm: &str| format!("{day}T{hm}:00+00:00");
    let id = j
        .start_session(&supine_store::NewSession {
            started_at: at("08:00"),
            routine_id: "r".into(),
            routine_name: "R".into(),
            settings: json!({}),
            plan_total_ms: 600_000,
            segments_total: 3,
            pain_before: Some(before),
            pain_areas: Vec::new(),
            pain_spreads: None,
        })
        .unwrap();
    j.finish_session(
        id,
        &supine_store::SessionFinish {
            ended_at: at("08:10"),
            end_reason: "completed".into(),
            pain_after: Some(after),
        },
    )
    .unwrap();
}

#[tokio::test]
async fn progress_on_a_seeded_journal_has_the_core_numbers_markers_and_advice() {
    let mut j = SqliteJournal::open_in_memory().unwrap();
    // A first week at 6, then a week at 2 up to yesterday: a meaningful improvement.
    for ago in 14..=20 {
        seed(&mut j, ago, 6, 5);
    }
    for ago in 1..=6 {
        seed(&mut j, ago, 2, 1);
    }
    let app = app_with(j, 1.0);
    let (s, p) = send(&app, get("/api/progress")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(p["streak"], 6, "yesterday back to six days ago");
    assert_eq!(p["practised_today"], false);
    assert_eq!(p["sessions"], 13);
    assert_eq!(p["minutes"], 130.0);
    assert_eq!(p["baseline"], 6.0);
    assert_eq!(p["relief"].as_array().unwrap().len(), 13);
    let weeks = p["weeks"].as_array().unwrap();
    let total: u64 = weeks.iter().map(|w| w["sessions"].as_u64().unwrap()).sum();
    assert_eq!(total, 13);
    assert_eq!(p["advice"]["kind"], "improving");
    assert_eq!(p["see_clinician"], false);
    assert!(
        p["advice_message"]
            .as_str()
            .unwrap()
            .contains("from 6.0 to 2.0"),
        "{p}"
    );
    let markers = p["markers"].as_array().unwrap();
    assert_eq!(markers.len(), 1, "{markers:?}");
    assert_eq!(markers[0]["change"], "better");
    assert!(
        p["charts"]["trend"]
            .as_str()
            .unwrap()
            .contains("marker better")
    );
    // The calendar holds this week and the four before it, Monday first.
    let today = chrono::Local::now().date_naive();
    let first = today
        - chrono::Duration::days(
            i64::from(chrono::Datelike::weekday(&today).num_days_from_monday()) + 28,
        );
    let seeded_in_calendar = (1..=20)
        .filter(|ago| !(7..=13).contains(ago))
        .filter(|ago| today - chrono::Duration::days(*ago) >= first)
        .count();
    let on = p["calendar"].as_array().unwrap();
    assert_eq!(on.len(), 35);
    assert_eq!(on[0][0], first.to_string());
    assert_eq!(
        on.iter().filter(|d| d[1] == true).count(),
        seeded_in_calendar
    );
    let (_, t) = send(&app, get("/api/today")).await;
    assert_eq!(t["streak"], 6, "Today shows the same streak");
    assert_eq!(t["practised_today"], false);
}

#[tokio::test]
async fn two_weeks_without_improvement_says_to_see_a_clinician() {
    let mut j = SqliteJournal::open_in_memory().unwrap();
    for ago in 0..=15 {
        seed(&mut j, ago, 5, 4);
    }
    let app = app_with(j, 1.0);
    let (_, p) = send(&app, get("/api/progress")).await;
    assert_eq!(p["streak"], 16);
    assert_eq!(p["practised_today"], true);
    assert_eq!(p["advice"]["kind"], "no_improvement");
    assert_eq!(p["see_clinician"], true);
    assert!(
        p["advice_message"]
            .as_str()
            .unwrap()
            .contains("physiotherapist")
    );
    assert!(p["markers"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn where_it_hurts_is_stored_with_the_session() {
    let app = app();
    let (s, _) = send(&app, post("/api/screening", all_no())).await;
    assert_eq!(s, StatusCode::OK);
    send(&app, post("/api/daily-check", json!({"answer": "no"}))).await;
    let (s, v) = send(
        &app,
        post(
            "/api/sessions",
            json!({"pain_before": 4, "pain_areas": ["leg", "lower_back", "leg"], "pain_spreads": true}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, list) = send(&app, get("/api/sessions?limit=1")).await;
    assert_eq!(list[0]["pain_areas"], json!(["lower_back", "leg"]));
    assert_eq!(list[0]["pain_spreads"], true);

    // Skipped: nothing stored, as in the terminal.
    let (s, _) = send(&app, post("/api/sessions", json!({"pain_before": 4}))).await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, list) = send(&app, get("/api/sessions?limit=1")).await;
    assert_eq!(list[0]["pain_areas"], json!([]));
    assert_eq!(list[0]["pain_spreads"], Value::Null);

    // Only asked when it hurts; unknown areas are refused in JSON.
    let (s, v) = send(
        &app,
        post(
            "/api/sessions",
            json!({"pain_before": 0, "pain_areas": ["hips"]}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(v["error"].as_str().unwrap().contains("above 0"), "{v}");
    let (s, v) = send(
        &app,
        post(
            "/api/sessions",
            json!({"pain_before": 3, "pain_areas": ["knee"]}),
        ),
    )
    .await;
    assert!(s.is_client_error(), "{s}");
    assert!(v["error"].as_str().unwrap().contains("knee"), "{v}");
}
