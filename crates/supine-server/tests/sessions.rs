//! Live sessions: no one can take a session a page is using, the table refuses with 429 when
//! every place is in use, and the sweep closes sessions a killed server left open.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};
use supine_server::Timeouts;
use supine_server::limits::LIVE_SESSIONS;
use supine_store::{Journal, SessionStatus, SqliteJournal};

use super::{app, event, get, post, send, start, state_over};

/// Starts a session (screening and daily check already done) and its clock; its id, or the
/// refusal.
async fn start_another(app: &axum::Router) -> Result<u64, (StatusCode, Value)> {
    let (s, v) = send(app, post("/api/sessions", json!({ "pain_before": null }))).await;
    if s != StatusCode::CREATED {
        return Err((s, v));
    }
    let id = v["id"].as_u64().unwrap();
    let (s, _) = event(app, id, json!({ "type": "start" })).await;
    assert_eq!(s, StatusCode::OK);
    Ok(id)
}

async fn journal_sessions(app: &axum::Router) -> usize {
    let (_, list) = send(app, get("/api/sessions?limit=500")).await;
    list.as_array().unwrap().len()
}

#[tokio::test]
async fn a_full_table_refuses_new_sessions_and_never_takes_one_a_page_is_using() {
    let app = app();
    let mine = start(&app, json!(2)).await;
    let (s, _) = event(&app, mine, json!({ "type": "start" })).await;
    assert_eq!(s, StatusCode::OK);
    let mut refused = Vec::new();
    for _ in 0..LIVE_SESSIONS + 1 {
        if let Err(r) = start_another(&app).await {
            refused.push(r);
        }
    }
    // Mine and 31 others hold the 32 places; the last two starts are refused.
    assert_eq!(refused.len(), 2, "{refused:?}");
    for (s, v) in &refused {
        assert_eq!(*s, StatusCode::TOO_MANY_REQUESTS);
        let e = v["error"].as_str().unwrap();
        assert!(e.contains("end one of them"), "{e}");
    }
    // A refused start stored nothing.
    assert_eq!(journal_sessions(&app).await, LIVE_SESSIONS);
    // My session still answers.
    let (s, v) = event(&app, mine, json!({ "type": "pause" })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["view"]["screen"]["screen"], "paused");
}

#[tokio::test]
async fn ended_and_abandoned_sessions_give_their_places_up() {
    // Long enough for filling the table, short enough to wait for.
    let abandoned = Duration::from_secs(4);
    let timeouts = Timeouts {
        abandoned,
        ..Timeouts::default()
    };
    let state = state_over(
        Box::new(SqliteJournal::open_in_memory().unwrap()),
        1.0,
        timeouts,
    );
    let app = supine_server::router(state);
    let first = start(&app, json!(null)).await;
    let mut ids = vec![first];
    for _ in 1..LIVE_SESSIONS {
        ids.push(start_another(&app).await.unwrap());
    }
    assert!(start_another(&app).await.is_err(), "the table is full");
    // One ends: its place is free.
    for ev in [
        json!({"type": "quit"}),
        json!({"type": "quit"}),
        json!({"type": "pain", "value": 1}),
    ] {
        event(&app, ids[5], ev).await;
    }
    let (_, v) = send(&app, get(&format!("/api/sessions/{}", ids[5]))).await;
    assert_eq!(v["ended"], true, "{v}");
    let newer = start_another(&app).await.expect("an ended session's place");
    assert!(start_another(&app).await.is_err(), "full again");
    // Untouched past the abandon time, all but the one a page keeps asking about give way.
    for _ in 0..5 {
        tokio::time::sleep(abandoned / 4).await;
        send(&app, get(&format!("/api/sessions/{newer}"))).await;
    }
    for _ in 0..LIVE_SESSIONS - 1 {
        start_another(&app)
            .await
            .expect("an abandoned session's place");
    }
    assert!(start_another(&app).await.is_err(), "full again");
    let (s, v) = event(&app, newer, json!({ "type": "pause" })).await;
    assert_eq!(
        s,
        StatusCode::OK,
        "the session a page kept is still there: {v}"
    );
}

/// A session in the journal file as another process left it: open, last heard of `ago`.
fn left_open(path: &std::path::Path, ago: chrono::Duration) -> i64 {
    let mut j = SqliteJournal::open(path).unwrap();
    let at = (chrono::Local::now() - ago).to_rfc3339_opts(chrono::SecondsFormat::Millis, false);
    j.start_session(&supine_store::NewSession {
        started_at: at,
        routine_id: "r".into(),
        routine_name: "R".into(),
        settings: json!({}),
        plan_total_ms: 600_000,
        segments_total: 3,
        pain_before: None,
        pain_areas: Vec::new(),
        pain_spreads: None,
    })
    .unwrap()
}

#[tokio::test]
async fn the_sweep_closes_a_killed_servers_session_and_keeps_the_ones_pages_use() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let timeouts = Timeouts {
        sweep: Duration::from_millis(50),
        ..Timeouts::default()
    };
    // A session heard of a minute ago survives the sweep at start...
    let recent = left_open(&path, chrono::Duration::minutes(1));
    let state = state_over(Box::new(SqliteJournal::open(&path).unwrap()), 1.0, timeouts);
    let app = supine_server::router(state);
    let mine = start(&app, json!(null)).await;
    let check = SqliteJournal::open(&path).unwrap();
    let seen = |id: i64| check.session(id).unwrap().unwrap();
    assert_eq!(seen(recent).status, SessionStatus::Open);
    let mine_seen = seen(mine as i64).last_seen_at;
    // ...and one whose heartbeats stopped three minutes ago (its server was killed) is closed
    // by a later sweep, without another start.
    let killed = left_open(&path, chrono::Duration::minutes(3));
    let mut status = SessionStatus::Open;
    for _ in 0..200 {
        tokio::time::sleep(Duration::from_millis(25)).await;
        status = seen(killed).status;
        if status != SessionStatus::Open {
            break;
        }
    }
    assert_eq!(status, SessionStatus::Interrupted);
    assert_eq!(seen(recent).status, SessionStatus::Open, "not stale yet");
    // The session waiting for its page got heartbeats from the sweep, so it never goes stale.
    let mine_now = seen(mine as i64);
    assert_eq!(mine_now.status, SessionStatus::Open);
    assert!(mine_now.last_seen_at > mine_seen, "{mine_now:?}");
}
