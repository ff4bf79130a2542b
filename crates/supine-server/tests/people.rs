//! Accounts with journals of their own: one person never reads another's journal, a clinician
//! reads only the people assigned to them and each read is in that person's audit log, and an
//! invitation makes its account once.

use std::net::SocketAddr;
use std::path::Path;

use axum::extract::ConnectInfo;
use chrono::{Duration, Local};
use supine_server::{Invite, hash_password, make_invitation};
use supine_store::{Account, Role};

use super::auth::{PASSWORD, call, program, sign_in_request};
use super::*;

/// Adds an account with the test password; `own` gives it a journal of its own.
fn account(j: &mut SqliteJournal, name: &str, role: Role, own: bool) {
    assert!(
        j.add_account(&Account {
            name: name.into(),
            password_hash: hash_password(PASSWORD).unwrap(),
            role,
            created_at: "2026-12-02T05:00:00+01:00".into(),
            profile: own.then(|| name.to_owned()),
        })
        .unwrap()
    );
}

/// A server open to the network over the journal at `path`: ana and ben practise in journals
/// of their own, dr lee follows ana, and root uses the server's own journal.
fn clinic(path: &Path) -> Router {
    let mut j = SqliteJournal::open(path).unwrap();
    account(&mut j, "root", Role::Admin, false);
    account(&mut j, "ana", Role::Person, true);
    account(&mut j, "ben", Role::Person, true);
    account(&mut j, "dr lee", Role::Clinician, true);
    account(&mut j, "dr kim", Role::Clinician, true);
    assert!(j.assign("dr lee", "ana").unwrap());
    let mut c = config(1.0, Timeouts::default());
    c.access = Access::SignIn {
        secure_cookies: false,
    };
    router(AppState::new(Arc::new(Content::builtin()), Box::new(j), &c).unwrap())
}

/// Signs in as `name`; the cookie to send back.
async fn signed_in(app: &Router, name: &str, peer: &str) -> String {
    let (res, v) = call(app, sign_in_request(name, PASSWORD, peer)).await;
    assert_eq!(res.status(), StatusCode::OK, "{name}: {v}");
    let set = res.headers()[header::SET_COOKIE].to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

async fn as_(
    app: &Router,
    cookie: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let (res, v) = call(app, program(method, path, body, Some(cookie))).await;
    (res.status(), v)
}

/// Ana's journal with something in it: her settings, her screening and a session begun.
async fn ana_practises(app: &Router, ana: &str) -> u64 {
    let (_, mut settings) = as_(app, ana, "GET", "/api/settings", None).await;
    settings["minutes"] = json!(12);
    let (s, v) = as_(app, ana, "PUT", "/api/settings", Some(settings)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = as_(app, ana, "POST", "/api/screening", Some(all_no())).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = as_(
        app,
        ana,
        "POST",
        "/api/sessions",
        Some(json!({ "pain_before": 3 })),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_u64().unwrap()
}

#[tokio::test]
async fn one_person_cannot_read_or_touch_anothers_journal() {
    let dir = tempfile::tempdir().unwrap();
    let app = clinic(&dir.path().join("j.db"));
    let ana = signed_in(&app, "ana", "10.0.0.1:1").await;
    let id = ana_practises(&app, &ana).await;
    let (_, mine) = as_(&app, &ana, "GET", "/api/sessions", None).await;
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");

    for (who, peer) in [("ben", "10.0.0.2:1"), ("root", "10.0.0.3:1")] {
        let other = signed_in(&app, who, peer).await;
        let (_, v) = as_(&app, &other, "GET", "/api/sessions", None).await;
        assert_eq!(v, json!([]), "{who} sees ana's sessions");
        let (_, v) = as_(&app, &other, "GET", "/api/settings", None).await;
        assert_ne!(v["minutes"], 12, "{who} sees ana's settings: {v}");
        let (_, v) = as_(&app, &other, "GET", "/api/screening", None).await;
        assert_eq!(v["status"]["due"], true, "{who} sees ana's screening: {v}");
        // Her live session is not there for anyone else, by any route.
        let path = format!("/api/sessions/{id}");
        let (s, _) = as_(&app, &other, "GET", &path, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{who} reads ana's session");
        let (s, _) = as_(
            &app,
            &other,
            "POST",
            &format!("{path}/events"),
            Some(json!({ "type": "quit" })),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{who} ends ana's session");
        // Nor are a clinician's routes.
        let (s, _) = as_(&app, &other, "GET", "/api/people", None).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
        let (s, _) = as_(&app, &other, "GET", "/api/people/ana/progress", None).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
    }
    // Her session is still hers, going on.
    let (s, v) = as_(&app, &ana, "GET", &format!("/api/sessions/{id}"), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["ended"], false, "{v}");
    assert_eq!(
        v["total_left_real_ms"], 720_000,
        "12 minutes, as she set: {v}"
    );
}

#[tokio::test]
async fn a_clinician_sees_only_their_people_and_each_look_is_in_the_persons_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let app = clinic(&dir.path().join("j.db"));
    let ana = signed_in(&app, "ana", "10.0.0.1:1").await;
    ana_practises(&app, &ana).await;
    let (_, log) = as_(&app, &ana, "GET", "/api/audit", None).await;
    assert_eq!(log, json!([]));

    let lee = signed_in(&app, "dr lee", "10.0.0.4:1").await;
    let (s, people) = as_(&app, &lee, "GET", "/api/people", None).await;
    assert_eq!(s, StatusCode::OK, "{people}");
    assert_eq!(people.as_array().unwrap().len(), 1, "{people}");
    assert_eq!(people[0]["name"], "ana");
    assert_eq!(people[0]["sessions_this_week"], 1);
    let (s, v) = as_(&app, &lee, "GET", "/api/people/ana/sessions", None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v[0]["pain_before"], 3, "{v}");
    let (s, _) = as_(&app, &lee, "GET", "/api/people/ana/progress", None).await;
    assert_eq!(s, StatusCode::OK);
    // Not his: ben, and no one of an unknown name; the same answer for both.
    for name in ["ben", "nobody", "root"] {
        let (s, v) = as_(
            &app,
            &lee,
            "GET",
            &format!("/api/people/{name}/progress"),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{name}: {v}");
        let (s, _) = as_(
            &app,
            &lee,
            "GET",
            &format!("/api/people/{name}/sessions"),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{name}");
    }
    // Another clinician sees no one.
    let kim = signed_in(&app, "dr kim", "10.0.0.5:1").await;
    let (_, v) = as_(&app, &kim, "GET", "/api/people", None).await;
    assert_eq!(v, json!([]));
    let (s, _) = as_(&app, &kim, "GET", "/api/people/ana/progress", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Ana sees every look, newest first, and who looked.
    let (_, log) = as_(&app, &ana, "GET", "/api/audit", None).await;
    let log = log.as_array().unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "progress",
            "sessions",
            "sessions this week, in their list of people"
        ],
        "{log:?}"
    );
    assert!(log.iter().all(|e| e["actor"] == "dr lee"), "{log:?}");
    // Ben's log is his own, and empty.
    let ben = signed_in(&app, "ben", "10.0.0.2:1").await;
    let (_, v) = as_(&app, &ben, "GET", "/api/audit", None).await;
    assert_eq!(v, json!([]));
}

fn accept_request(token: &str, password: &str) -> Request<Body> {
    let mut req = program(
        "POST",
        "/api/invitations/accept",
        Some(json!({ "token": token, "password": password })),
        None,
    );
    let peer: SocketAddr = "10.0.0.9:1".parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(peer));
    req
}

#[tokio::test]
async fn an_invitation_makes_its_account_once_and_not_after_seven_days() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.db");
    let app = clinic(&path);
    let invite = |name: &str| Invite {
        name: name.into(),
        role: Role::Person,
        profile: Some(name.into()),
        clinician: Some("dr lee".into()),
    };
    let mut j = SqliteJournal::open(&path).unwrap();
    let (token, _) = make_invitation(&mut j, &invite("cat"), Local::now())
        .unwrap()
        .unwrap();
    // No second invitation for a name that has one working, or an account.
    assert!(
        make_invitation(&mut j, &invite("cat"), Local::now())
            .unwrap()
            .is_none()
    );
    assert!(
        make_invitation(&mut j, &invite("ana"), Local::now())
            .unwrap()
            .is_none()
    );
    let (old, _) = make_invitation(&mut j, &invite("dan"), Local::now() - Duration::days(7))
        .unwrap()
        .unwrap();

    let (res, v) = call(&app, accept_request(&token, "short")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (res, v) = call(&app, accept_request(&token, PASSWORD)).await;
    assert_eq!(res.status(), StatusCode::OK, "{v}");
    assert_eq!(v["name"], "cat");
    assert_eq!(v["role"], "person");
    let cookie = res.headers()[header::SET_COOKIE].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let (s, v) = as_(&app, &cookie, "GET", "/api/account", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["name"], "cat");
    // Used once; the week-old one not at all.
    for t in [&token, &old, &"not a token".to_owned()] {
        let (res, v) = call(&app, accept_request(t, "another calm password")).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{v}");
    }
    // Cat signs in with her password, and dr lee follows her.
    signed_in(&app, "cat", "10.0.0.6:1").await;
    let lee = signed_in(&app, "dr lee", "10.0.0.4:1").await;
    let (_, v) = as_(&app, &lee, "GET", "/api/people", None).await;
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ana", "cat"]);
}

#[tokio::test]
async fn a_clinician_changes_a_plan_with_a_note_the_person_sees_and_her_next_session_follows() {
    let dir = tempfile::tempdir().unwrap();
    let app = clinic(&dir.path().join("j.db"));
    let ana = signed_in(&app, "ana", "10.0.0.1:1").await;
    let lee = signed_in(&app, "dr lee", "10.0.0.4:1").await;
    let change = json!({ "level": "gentle", "inhale_ms": 5000, "exhale_ms": 7000,
        "note": "Gentler this week while your back settles." });
    // Only her clinician, and only with a note and values in range.
    let ben = signed_in(&app, "ben", "10.0.0.2:1").await;
    let (s, _) = as_(
        &app,
        &ben,
        "PUT",
        "/api/people/ana/plan",
        Some(change.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = as_(
        &app,
        &lee,
        "PUT",
        "/api/people/ben/plan",
        Some(change.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let mut no_note = change.clone();
    no_note["note"] = json!("  ");
    let (s, _) = as_(&app, &lee, "PUT", "/api/people/ana/plan", Some(no_note)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let mut too_fast = change.clone();
    too_fast["inhale_ms"] = json!(500);
    let (s, v) = as_(&app, &lee, "PUT", "/api/people/ana/plan", Some(too_fast)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (_, v) = as_(&app, &ana, "GET", "/api/today", None).await;
    assert_eq!(
        v["clinician_note"],
        Value::Null,
        "a refused change left a note: {v}"
    );

    let (s, v) = as_(
        &app,
        &lee,
        "PUT",
        "/api/people/ana/plan",
        Some(change.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["level"], "gentle");
    // The same again changes nothing, and says so.
    let (s, _) = as_(&app, &lee, "PUT", "/api/people/ana/plan", Some(change)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // Ana sees the note, her settings are the new ones, and the change is in her audit log.
    let (_, v) = as_(&app, &ana, "GET", "/api/today", None).await;
    let note = v["clinician_note"].as_str().unwrap();
    assert!(note.starts_with("dr lee changed your plan on "), "{note}");
    assert!(
        note.contains("level: gentle; breathe in for 5 s and out for 7 s"),
        "{note}"
    );
    assert!(
        note.contains("Gentler this week while your back settles."),
        "{note}"
    );
    let (_, v) = as_(&app, &ana, "GET", "/api/settings", None).await;
    assert_eq!(
        (v["level"].clone(), v["inhale_ms"].clone()),
        (json!("gentle"), json!(5000))
    );
    let (_, log) = as_(&app, &ana, "GET", "/api/audit", None).await;
    assert!(
        log[0]["action"]
            .as_str()
            .unwrap()
            .starts_with("plan, and changed it"),
        "{log}"
    );
    // Her next session breathes at the new pace.
    let id = ana_practises(&app, &ana).await;
    let (_, v) = as_(&app, &ana, "GET", &format!("/api/sessions/{id}"), None).await;
    assert_eq!(v["ring"]["left_ms"], 5000, "{v}");
    // Ben's plan is untouched.
    let (_, v) = as_(&app, &ben, "GET", "/api/today", None).await;
    assert_eq!(v["clinician_note"], Value::Null);
}
