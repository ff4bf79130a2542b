//! A journal that fails as a full disk does: the server answers 507 with words a person can
//! act on, hands out no id for a session it did not store, and a live session says it is not
//! being saved, then saves what it kept once the disk has room.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::http::StatusCode;
use serde_json::{Value, json};
use supine_server::{JOURNAL_FULL, Timeouts, router};
use supine_store::{
    Account, AuditEntry, Device, Invitation, Journal, NewDevice, NewSession, PairingCode,
    PsfsEntry, ScreeningKind, ScreeningRecord, SessionEvent, SessionFinish, SessionId,
    SessionRecord, SessionStatus, SessionSummary, SqliteJournal, StoreError,
};

use super::{all_no, event, get, post, send, state_over, with_body};

/// What the journal does wrong, switched by the test.
#[derive(Default)]
struct Faults {
    /// Every write fails as on a full disk.
    full: AtomicBool,
    /// `start_session` answers an id without storing anything (issue 11's phantom sessions).
    phantom_starts: AtomicBool,
    /// The storage does not answer (a database server gone): `ping` fails.
    unreachable: AtomicBool,
}

/// An SQLite journal with [`Faults`].
struct Faulty {
    inner: SqliteJournal,
    faults: Arc<Faults>,
}

impl Faulty {
    fn write(&self) -> Result<(), StoreError> {
        if self.faults.full.load(Ordering::SeqCst) {
            Err(StoreError::DiskFull {
                location: "/tmp/test/journal.db".into(),
            })
        } else {
            Ok(())
        }
    }
}

impl Journal for Faulty {
    fn profile(&self) -> &str {
        self.inner.profile()
    }
    fn start_session(&mut self, s: &NewSession) -> Result<SessionId, StoreError> {
        self.write()?;
        if self.faults.phantom_starts.load(Ordering::SeqCst) {
            return Ok(1);
        }
        self.inner.start_session(s)
    }
    fn record_events(&mut self, id: SessionId, evs: &[SessionEvent]) -> Result<(), StoreError> {
        self.write()?;
        self.inner.record_events(id, evs)
    }
    fn heartbeat(&mut self, id: SessionId, at: &str) -> Result<(), StoreError> {
        self.write()?;
        self.inner.heartbeat(id, at)
    }
    fn finish_session(&mut self, id: SessionId, f: &SessionFinish) -> Result<(), StoreError> {
        self.write()?;
        self.inner.finish_session(id, f)
    }
    fn mark_interrupted(&mut self, stale_before: &str) -> Result<Vec<SessionRecord>, StoreError> {
        self.write()?;
        self.inner.mark_interrupted(stale_before)
    }
    fn session(&self, id: SessionId) -> Result<Option<SessionRecord>, StoreError> {
        self.inner.session(id)
    }
    fn recent_sessions(&self, limit: usize) -> Result<Vec<SessionRecord>, StoreError> {
        self.inner.recent_sessions(limit)
    }
    fn save_screening(&mut self, r: &ScreeningRecord) -> Result<(), StoreError> {
        self.write()?;
        self.inner.save_screening(r)
    }
    fn latest_screening(&self, kind: ScreeningKind) -> Result<Option<ScreeningRecord>, StoreError> {
        self.inner.latest_screening(kind)
    }
    fn save_setting(&mut self, key: &str, value: &Value) -> Result<(), StoreError> {
        self.write()?;
        self.inner.save_setting(key, value)
    }
    fn load_setting(&self, key: &str) -> Result<Option<Value>, StoreError> {
        self.inner.load_setting(key)
    }
    fn history(&self) -> Result<Vec<SessionSummary>, StoreError> {
        self.inner.history()
    }
    fn save_psfs(&mut self, entry: &PsfsEntry) -> Result<bool, StoreError> {
        self.write()?;
        self.inner.save_psfs(entry)
    }
    fn psfs_entries(&self) -> Result<Vec<PsfsEntry>, StoreError> {
        self.inner.psfs_entries()
    }
    fn import_session(&mut self, r: &SessionRecord) -> Result<bool, StoreError> {
        self.write()?;
        self.inner.import_session(r)
    }
    fn screenings(&self) -> Result<Vec<ScreeningRecord>, StoreError> {
        self.inner.screenings()
    }
    fn import_screening(&mut self, r: &ScreeningRecord) -> Result<bool, StoreError> {
        self.write()?;
        self.inner.import_screening(r)
    }
    fn settings(&self) -> Result<Vec<(String, Value)>, StoreError> {
        self.inner.settings()
    }
    fn import_setting(&mut self, key: &str, value: &Value) -> Result<bool, StoreError> {
        self.write()?;
        self.inner.import_setting(key, value)
    }
    fn check_integrity(&self) -> Result<(), StoreError> {
        self.inner.check_integrity()
    }
    fn ping(&self) -> Result<(), StoreError> {
        if self.faults.unreachable.load(Ordering::SeqCst) {
            return Err(StoreError::NotADatabase {
                location: "/tmp/test/journal.db".into(),
                reason: "the storage did not answer".into(),
            });
        }
        self.inner.ping()
    }
    fn add_account(&mut self, account: &Account) -> Result<bool, StoreError> {
        self.write()?;
        self.inner.add_account(account)
    }
    fn account(&self, name: &str) -> Result<Option<Account>, StoreError> {
        self.inner.account(name)
    }
    fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        self.inner.accounts()
    }
    fn remove_account(&mut self, name: &str) -> Result<bool, StoreError> {
        self.write()?;
        self.inner.remove_account(name)
    }
    fn add_pairing_code(&mut self, code: &PairingCode) -> Result<(), StoreError> {
        self.write()?;
        self.inner.add_pairing_code(code)
    }
    fn pair_device(
        &mut self,
        code_hash: &str,
        now: &str,
        device: &NewDevice,
    ) -> Result<Option<Device>, StoreError> {
        self.write()?;
        self.inner.pair_device(code_hash, now, device)
    }
    fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>, StoreError> {
        self.inner.device_by_token(token_hash)
    }
    fn devices(&self) -> Result<Vec<Device>, StoreError> {
        self.inner.devices()
    }
    fn revoke_device(&mut self, id: i64) -> Result<bool, StoreError> {
        self.write()?;
        self.inner.revoke_device(id)
    }
    fn device_seen(&mut self, id: i64, at: &str) -> Result<(), StoreError> {
        self.write()?;
        self.inner.device_seen(id, at)
    }
    fn use_profile(&mut self, profile: &str) -> Result<(), StoreError> {
        self.inner.use_profile(profile)
    }
    fn assign(&mut self, clinician: &str, person: &str) -> Result<bool, StoreError> {
        self.write()?;
        self.inner.assign(clinician, person)
    }
    fn unassign(&mut self, clinician: &str, person: &str) -> Result<bool, StoreError> {
        self.write()?;
        self.inner.unassign(clinician, person)
    }
    fn people_of(&self, clinician: &str) -> Result<Vec<String>, StoreError> {
        self.inner.people_of(clinician)
    }
    fn clinicians_of(&self, person: &str) -> Result<Vec<String>, StoreError> {
        self.inner.clinicians_of(person)
    }
    fn add_invitation(&mut self, invitation: &Invitation) -> Result<bool, StoreError> {
        self.write()?;
        self.inner.add_invitation(invitation)
    }
    fn accept_invitation(
        &mut self,
        token_hash: &str,
        now: &str,
        password_hash: &str,
    ) -> Result<Option<Account>, StoreError> {
        self.write()?;
        self.inner.accept_invitation(token_hash, now, password_hash)
    }
    fn open_invitations(&self, now: &str) -> Result<Vec<Invitation>, StoreError> {
        self.inner.open_invitations(now)
    }
    fn add_audit(&mut self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.write()?;
        self.inner.add_audit(entry)
    }
    fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        self.inner.audit_log(limit)
    }
}

/// The app over a faulty journal in `path`, the faults' switch, with the screening and
/// today's check done.
async fn faulty_app(path: &Path) -> (axum::Router, Arc<Faults>) {
    let faults = Arc::new(Faults::default());
    let journal = Faulty {
        inner: SqliteJournal::open(path).unwrap(),
        faults: faults.clone(),
    };
    let app = router(state_over(Box::new(journal), 1.0, Timeouts::default()));
    assert_eq!(
        send(&app, post("/api/screening", all_no())).await.0,
        StatusCode::OK
    );
    let (s, _) = send(&app, post("/api/daily-check", json!({"answer": "no"}))).await;
    assert_eq!(s, StatusCode::OK);
    (app, faults)
}

#[tokio::test]
async fn a_full_disk_is_507_with_what_to_do_and_no_session_id_is_handed_out() {
    let dir = tempfile::tempdir().unwrap();
    let (app, faults) = faulty_app(&dir.path().join("journal.db")).await;
    let (_, settings) = send(&app, get("/api/settings")).await;
    faults.full.store(true, Ordering::SeqCst);
    let full = json!({ "error": JOURNAL_FULL });
    let (s, v) = send(&app, post("/api/sessions", json!({"pain_before": 3}))).await;
    assert_eq!((s, &v), (StatusCode::INSUFFICIENT_STORAGE, &full));
    assert_eq!(
        send(&app, post("/api/screening", all_no())).await,
        (StatusCode::INSUFFICIENT_STORAGE, full.clone())
    );
    assert_eq!(
        send(&app, post("/api/daily-check", json!({"answer": "no"}))).await,
        (StatusCode::INSUFFICIENT_STORAGE, full.clone())
    );
    assert_eq!(
        send(&app, with_body("PUT", "/api/settings", &settings)).await,
        (StatusCode::INSUFFICIENT_STORAGE, full.clone())
    );
    // Reading still works, and with room again so does starting.
    let (s, list) = send(&app, get("/api/sessions")).await;
    assert_eq!((s, list), (StatusCode::OK, json!([])));
    faults.full.store(false, Ordering::SeqCst);
    let (s, v) = send(&app, post("/api/sessions", json!({"pain_before": 3}))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}

#[tokio::test]
async fn a_session_the_journal_did_not_keep_gets_no_id() {
    let dir = tempfile::tempdir().unwrap();
    let (app, faults) = faulty_app(&dir.path().join("journal.db")).await;
    faults.phantom_starts.store(true, Ordering::SeqCst);
    let (s, v) = send(&app, post("/api/sessions", json!({"pain_before": 3}))).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert!(v.get("id").is_none(), "{v}");
    assert!(v["error"].as_str().unwrap().contains("did not keep"), "{v}");
    // Nothing live was made under the id the journal gave.
    let (s, _) = send(&app, get("/api/sessions/1")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_live_session_says_it_is_not_saved_and_saves_what_it_kept_when_there_is_room() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let (app, faults) = faulty_app(&path).await;
    let (s, v) = send(&app, post("/api/sessions", json!({"pain_before": 4}))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_u64().unwrap();
    let (_, v) = event(&app, id, json!({"type": "start"})).await;
    assert_eq!(v["error"], Value::Null);
    faults.full.store(true, Ordering::SeqCst);
    // The events still happen (a "this hurts" never waits for a disk); the page is told.
    for ev in [json!({"type": "quit"}), json!({"type": "quit"})] {
        let (s, v) = event(&app, id, ev).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let (s, v) = event(&app, id, json!({"type": "pain", "value": 2})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["ended"], true);
    let error = v["error"]
        .as_str()
        .expect("the update says it is not saved");
    assert!(error.contains("journal is full"), "{error}");
    assert!(error.contains("free some disk space"), "{error}");
    let check = SqliteJournal::open(&path).unwrap();
    assert_eq!(
        check.session(id as i64).unwrap().unwrap().status,
        SessionStatus::Open
    );
    // Room again: the next step writes what was kept, in order, and the error goes.
    faults.full.store(false, Ordering::SeqCst);
    let (_, v) = event(&app, id, json!({"type": "pause"})).await;
    assert_eq!(v["error"], Value::Null, "{v}");
    let stored = check.session(id as i64).unwrap().unwrap();
    assert_eq!(stored.status, SessionStatus::Finished);
    assert_eq!(stored.end_reason.as_deref(), Some("quit"));
    assert_eq!(stored.pain_after, Some(2));
    let kinds: Vec<&str> = stored.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds.last(), Some(&"pain_after"), "{kinds:?}");
}

#[tokio::test]
async fn readiness_follows_the_journal_and_health_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let (app, faults) = faulty_app(&dir.path().join("journal.db")).await;
    let (s, v) = send(&app, get("/readyz")).await;
    assert_eq!((s, &v), (StatusCode::OK, &json!({ "status": "ready" })));
    faults.unreachable.store(true, Ordering::SeqCst);
    let (s, v) = send(&app, get("/readyz")).await;
    assert_eq!(
        (s, &v),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({ "status": "journal_unavailable" })
        )
    );
    // The process itself is fine: a process manager must not restart it for the journal.
    let (s, v) = send(&app, get("/healthz")).await;
    assert_eq!((s, &v), (StatusCode::OK, &json!({ "status": "ok" })));
    faults.unreachable.store(false, Ordering::SeqCst);
    assert_eq!(send(&app, get("/readyz")).await.0, StatusCode::OK);
}
