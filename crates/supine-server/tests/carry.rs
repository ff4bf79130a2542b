//! A session carried on after its server died (issue 14, part 5): another server on the same
//! journal rebuilds it from its journaled inputs when the page comes back, goes on from where
//! the person is, writes what the dead server had not, and keeps every input once.
//!
//! Each server runs in its own runtime; dropping the runtime ends its tasks at once, as a kill
//! does, so nothing more is written by it.

use std::path::Path;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use serde_json::{Value, json};
use supine_server::{Timeouts, router};
use supine_store::{Journal, SessionEvent, SessionRecord, SessionStatus, SqliteJournal};
use tokio::runtime::Runtime;

use super::{event, get, send, start, state_over};

/// 40 times real time: a second is 40 s of the routine.
const SPEED: f64 = 40.0;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn server(db: &Path) -> Router {
    router(state_over(
        Box::new(SqliteJournal::open(db).unwrap()),
        SPEED,
        Timeouts::default(),
    ))
}

fn record(db: &Path, id: u64) -> SessionRecord {
    SqliteJournal::open(db)
        .unwrap()
        .session(id as i64)
        .unwrap()
        .unwrap()
}

fn kinds(r: &SessionRecord, kind: &str) -> Vec<Value> {
    r.events
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.data.clone())
        .collect()
}

/// The events sent, in order, as the journal keeps them.
fn inputs(r: &SessionRecord) -> Vec<Value> {
    kinds(r, "input")
        .into_iter()
        .map(|v| v["event"].clone())
        .collect()
}

/// Every segment the journal says was done, in order.
fn segments_done(r: &SessionRecord) -> Vec<u64> {
    kinds(r, "segment_done")
        .iter()
        .map(|v| v["index"].as_u64().unwrap())
        .collect()
}

async fn ok(app: &Router, id: u64, ev: Value) -> Value {
    let (s, u) = event(app, id, ev).await;
    assert_eq!(s, StatusCode::OK, "{u}");
    u
}

#[test]
fn a_paused_session_goes_on_from_its_place_on_another_server_and_keeps_each_input_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("journal.db");
    let a = runtime();
    let (id, paused) = a.block_on(async {
        let app = server(&db);
        let id = start(&app, json!(3)).await;
        ok(&app, id, json!({"type": "start"})).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        ok(&app, id, json!({"type": "next"})).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        (id, ok(&app, id, json!({"type": "pause"})).await)
    });
    drop(a);
    let before = record(&db, id);
    assert_eq!(before.status, SessionStatus::Open);
    assert_eq!(before.events[0].kind, "started");

    let b = runtime();
    b.block_on(async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let app = server(&db);
        let (s, u) = send(&app, get(&format!("/api/sessions/{id}"))).await;
        assert_eq!(s, StatusCode::OK, "{u}");
        // Paused, so exactly where it was paused; numbered after everything the page saw.
        assert_eq!(u["view"], paused["view"]);
        assert!(u["seq"].as_u64() > paused["seq"].as_u64(), "{u}");
        let resumed = ok(&app, id, json!({"type": "resume"})).await;
        assert!(resumed["view"]["total_left_ms"] == paused["view"]["total_left_ms"]);
        tokio::time::sleep(Duration::from_millis(250)).await;
        let (_, u) = send(&app, get(&format!("/api/sessions/{id}"))).await;
        let gone = paused["view"]["total_left_ms"].as_u64().unwrap()
            - u["view"]["total_left_ms"].as_u64().unwrap();
        assert!((5_000..=30_000).contains(&gone), "it went on by {gone} ms");
        ok(&app, id, json!({"type": "quit"})).await;
        ok(&app, id, json!({"type": "answer", "value": true})).await;
        let end = ok(&app, id, json!({"type": "pain", "value": 1})).await;
        assert_eq!(end["ended"], true, "{end}");
    });
    drop(b);
    let after = record(&db, id);
    assert_eq!(after.status, SessionStatus::Finished);
    assert_eq!(after.pain_after, Some(1));
    assert_eq!(
        inputs(&after),
        [
            json!({"type": "next"}),
            json!({"type": "pause"}),
            json!({"type": "resume"}),
            json!({"type": "quit"}),
            json!({"type": "answer", "value": true}),
            json!({"type": "pain", "value": 1}),
        ]
    );
    assert_eq!(kinds(&after, "started").len(), 1);
    let done = segments_done(&after);
    assert!(!done.is_empty());
    assert!(done.windows(2).all(|w| w[0] < w[1]), "{done:?}");
    // Nothing the first server wrote was changed.
    assert_eq!(after.events[..before.events.len()], before.events[..]);
}

#[test]
fn a_running_session_goes_on_from_where_the_person_is_and_the_new_server_writes_what_was_missed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("journal.db");
    let a = runtime();
    let (id, last, seen_at) = a.block_on(async {
        let app = server(&db);
        let id = start(&app, json!(null)).await;
        ok(&app, id, json!({"type": "start"})).await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        let seen_at = Instant::now();
        let (_, u) = send(&app, get(&format!("/api/sessions/{id}"))).await;
        (id, u, seen_at)
    });
    drop(a);
    let before = record(&db, id);
    let b = runtime();
    let u = b.block_on(async {
        // A second away: 40 s of the routine, more than a segment.
        tokio::time::sleep(Duration::from_millis(1_000)).await;
        let app = server(&db);
        let (s, u) = send(&app, get(&format!("/api/sessions/{id}"))).await;
        assert_eq!(s, StatusCode::OK, "{u}");
        u
    });
    let away = seen_at.elapsed().as_secs_f64() * 1000.0 * SPEED;
    drop(b);
    let gone = (last["view"]["total_left_ms"].as_u64().unwrap()
        - u["view"]["total_left_ms"].as_u64().unwrap()) as f64;
    // Carried on by the time away, less what the rebuild took after it looked at the clock;
    // the first server's update was as of its last breath turn, up to a breath (10 s) before.
    assert!(
        gone <= away + 10_000.0 && gone >= away - 8_000.0,
        "away {away} ms of the routine, it went on by {gone} ms"
    );
    let after = record(&db, id);
    let (was, now) = (segments_done(&before), segments_done(&after));
    assert!(
        now.len() > was.len(),
        "segments done: {was:?} when the server died, {now:?} after"
    );
    assert_eq!(now[..was.len()], was[..]);
    assert!(now.windows(2).all(|w| w[0] < w[1]), "{now:?}");
    assert_eq!(after.status, SessionStatus::Open);
}

#[test]
fn a_session_the_journal_disagrees_with_is_left_as_saved_and_the_page_is_told_why() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("journal.db");
    let a = runtime();
    let (id, idle) = a.block_on(async {
        let app = server(&db);
        let id = start(&app, json!(2)).await;
        ok(&app, id, json!({"type": "start"})).await;
        ok(&app, id, json!({"type": "pause"})).await;
        // A second session, never started (its page never came).
        let (s, v) = send(&app, super::post("/api/sessions", json!({}))).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        (id, v["id"].as_u64().unwrap())
    });
    drop(a);
    // A record no rebuild makes, as if the routines had changed between the two servers.
    let odd = SessionEvent::from_record(
        chrono::Local::now().to_rfc3339(),
        json!({"kind": "segment_done", "index": 99, "step": 9, "pose": null}),
    );
    SqliteJournal::open(&db)
        .unwrap()
        .record_event(id as i64, &odd)
        .unwrap();
    let before = record(&db, id);
    let b = runtime();
    b.block_on(async {
        let app = server(&db);
        let (s, v) = send(&app, get(&format!("/api/sessions/{id}"))).await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        let words = v["error"].as_str().unwrap();
        assert!(words.contains("saved up to where it was"), "{words}");
        assert!(words.contains("cannot carry it on"), "{words}");
        // Nothing happened in the other; there is nothing to carry on.
        let (s, v) = send(&app, get(&format!("/api/sessions/{idle}"))).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
        let (s, _) = send(&app, get("/api/sessions/424242/ws")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    });
    drop(b);
    assert_eq!(record(&db, id), before);
}

#[test]
fn a_finished_session_is_not_carried_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("journal.db");
    let a = runtime();
    let id = a.block_on(async {
        let app = server(&db);
        let id = start(&app, json!(2)).await;
        ok(&app, id, json!({"type": "quit"})).await;
        ok(&app, id, json!({"type": "answer", "value": true})).await;
        ok(&app, id, json!({"type": "pain", "value": 2})).await;
        id
    });
    drop(a);
    let b = runtime();
    b.block_on(async {
        let app = server(&db);
        let (s, v) = send(&app, get(&format!("/api/sessions/{id}"))).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    });
}

/// A PostgreSQL schema of its own for one test, dropped at the end; `None` (the test skipped)
/// without a test server, unless `SUPINE_REQUIRE_PG=1`.
struct PgSchema {
    url: String,
    name: String,
}

impl PgSchema {
    fn new() -> Option<PgSchema> {
        let url = std::env::var("SUPINE_TEST_PG_URL")
            .ok()
            .filter(|u| !u.is_empty());
        if url.is_none() {
            assert!(
                std::env::var("SUPINE_REQUIRE_PG").as_deref() != Ok("1"),
                "SUPINE_REQUIRE_PG=1 but SUPINE_TEST_PG_URL is not set"
            );
            eprintln!("skipping: set SUPINE_TEST_PG_URL=postgres://... to run it");
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Some(PgSchema {
            url: url?,
            name: format!("supine_carry_{}_{nanos}", std::process::id()),
        })
    }

    /// A journal in the schema; connected outside any runtime (the client runs its own).
    fn journal(&self) -> supine_store::PgJournal {
        supine_store::PgJournal::connect_in_schema(&self.url, "local", Some(&self.name)).unwrap()
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.url, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

#[test]
fn on_postgres_one_server_plays_a_session_and_another_carries_it_on_once_it_dies() {
    let Some(pg) = PgSchema::new() else {
        return;
    };
    let a = runtime();
    let b = runtime();
    let (ja, jb) = (pg.journal(), pg.journal());
    let over =
        |j: supine_store::PgJournal| router(state_over(Box::new(j), SPEED, Timeouts::default()));
    let (a_app, id) = a.block_on(async {
        let app = over(ja);
        let id = start(&app, json!(3)).await;
        ok(&app, id, json!({"type": "start"})).await;
        ok(&app, id, json!({"type": "next"})).await;
        (app, id)
    });
    let b_app = b.block_on(async { over(jb) });
    // While the first server plays it, the second does not take it.
    let (s, v) = b.block_on(send(&b_app, get(&format!("/api/sessions/{id}"))));
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("another supine server"),
        "{v}"
    );
    // The first server dies: its connection ends, and with it the claim.
    let paused = a.block_on(ok(&a_app, id, json!({"type": "pause"})));
    drop(a_app);
    drop(a);
    let u = b.block_on(async {
        let start = Instant::now();
        loop {
            let (s, u) = send(&b_app, get(&format!("/api/sessions/{id}"))).await;
            if s == StatusCode::OK {
                break u;
            }
            assert_eq!(s, StatusCode::CONFLICT, "{u}");
            assert!(
                start.elapsed() < Duration::from_secs(3),
                "not carried on in 3 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    assert_eq!(u["view"], paused["view"]);
    b.block_on(async {
        ok(&b_app, id, json!({"type": "quit"})).await;
        ok(&b_app, id, json!({"type": "answer", "value": true})).await;
        let end = ok(&b_app, id, json!({"type": "pain", "value": 2})).await;
        assert_eq!(end["ended"], true);
    });
    drop(b_app);
    drop(b);
    let r = pg.journal().session(id as i64).unwrap().unwrap();
    assert_eq!(r.status, SessionStatus::Finished);
    assert_eq!(
        inputs(&r),
        [
            json!({"type": "next"}),
            json!({"type": "pause"}),
            json!({"type": "quit"}),
            json!({"type": "answer", "value": true}),
            json!({"type": "pain", "value": 2}),
        ]
    );
    let done = segments_done(&r);
    assert!(done.windows(2).all(|w| w[0] < w[1]), "{done:?}");
}
