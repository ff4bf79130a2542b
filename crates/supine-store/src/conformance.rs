//! The behaviour every [`Journal`] backend must show, as stories that panic on the first
//! difference.
//!
//! Each story expects a fresh, empty journal of its own. A backend's tests run every entry of
//! [`STORIES`] (see `tests/main.rs` for SQLite):
//!
//! ```
//! use supine_store::{conformance, SqliteJournal};
//! for (_name, story) in conformance::STORIES {
//!     story(&mut SqliteJournal::open_in_memory().unwrap());
//! }
//! ```
//!
//! [`devices_belong_to_one_profile`] needs two journals of one store, opened for two
//! profiles, so it is not in [`STORIES`]; each backend's tests run it on their own. The stories
//! of one journal moving between profiles ([`use_profile_keeps_profiles_apart`]) are in it.

use serde_json::json;

use crate::{
    Account, AuditEntry, Device, Invitation, Journal, NewDevice, NewSession, PainArea, PairingCode,
    PsfsEntry, PsfsItem, Role, ScreeningKind, ScreeningRecord, SessionEvent, SessionFinish,
    SessionStatus, StoreError,
};

/// A story: runs against a fresh journal and panics where the journal misbehaves.
pub type Story = fn(&mut dyn Journal);

/// Every story, by name, in a stable order.
pub const STORIES: &[(&str, Story)] = &[
    ("session_lifecycle", session_lifecycle),
    (
        "closed_sessions_refuse_changes",
        closed_sessions_refuse_changes,
    ),
    ("interrupted_sessions", interrupted_sessions),
    (
        "segments_done_counts_distinct_indexes",
        segments_done_counts_distinct_indexes,
    ),
    ("screening_latest_by_kind", screening_latest_by_kind),
    (
        "screening_answers_are_validated",
        screening_answers_are_validated,
    ),
    ("settings_round_trip", settings_round_trip),
    ("pain_is_validated", pain_is_validated),
    ("unknown_ids_are_errors", unknown_ids_are_errors),
    ("newest_first_across_offsets", newest_first_across_offsets),
    (
        "malformed_timestamps_are_rejected",
        malformed_timestamps_are_rejected,
    ),
    ("pain_location_round_trip", pain_location_round_trip),
    (
        "history_is_oldest_first_without_events",
        history_is_oldest_first_without_events,
    ),
    ("psfs_round_trip", psfs_round_trip),
    ("import_adds_nothing_twice", import_adds_nothing_twice),
    (
        "uids_keep_sessions_apart_through_import",
        uids_keep_sessions_apart_through_import,
    ),
    (
        "old_exports_import_without_merging",
        old_exports_import_without_merging,
    ),
    (
        "ids_are_never_handed_out_twice",
        ids_are_never_handed_out_twice,
    ),
    ("screenings_round_trip", screenings_round_trip),
    (
        "settings_import_keeps_what_is_there",
        settings_import_keeps_what_is_there,
    ),
    ("a_fresh_journal_is_undamaged", a_fresh_journal_is_undamaged),
    ("accounts_round_trip", accounts_round_trip),
    ("claims_are_held_until_let_go", claims_are_held_until_let_go),
    (
        "events_are_kept_together_or_not_at_all",
        events_are_kept_together_or_not_at_all,
    ),
    (
        "pairing_codes_pair_once_and_expire",
        pairing_codes_pair_once_and_expire,
    ),
    (
        "a_taken_token_leaves_the_code_unused",
        a_taken_token_leaves_the_code_unused,
    ),
    ("devices_oldest_pairing_first", devices_oldest_pairing_first),
    ("revoking_a_device_forgets_it", revoking_a_device_forgets_it),
    (
        "device_seen_moves_forward_only",
        device_seen_moves_forward_only,
    ),
    ("pairing_input_is_validated", pairing_input_is_validated),
    (
        "use_profile_keeps_profiles_apart",
        use_profile_keeps_profiles_apart,
    ),
    (
        "assignments_link_clinicians_and_people",
        assignments_link_clinicians_and_people,
    ),
    (
        "an_invitation_makes_one_account",
        an_invitation_makes_one_account,
    ),
    (
        "invitations_are_refused_for_names_in_use",
        invitations_are_refused_for_names_in_use,
    ),
    (
        "invitation_input_is_validated",
        invitation_input_is_validated,
    ),
    (
        "the_audit_log_is_newest_first_per_profile",
        the_audit_log_is_newest_first_per_profile,
    ),
];

fn new_session(started_at: &str) -> NewSession {
    NewSession {
        started_at: started_at.to_owned(),
        routine_id: "supine-basics".to_owned(),
        routine_name: "Supine basics".to_owned(),
        settings: json!({ "breaths_per_min": 6, "bridge": "supported" }),
        plan_total_ms: 540_000,
        segments_total: 3,
        pain_before: Some(4),
        pain_areas: Vec::new(),
        pain_spreads: None,
    }
}

fn event(at: &str, kind: &str, data: serde_json::Value) -> SessionEvent {
    SessionEvent {
        at: at.to_owned(),
        kind: kind.to_owned(),
        data,
    }
}

fn finish(ended_at: &str, pain_after: Option<u8>) -> SessionFinish {
    SessionFinish {
        ended_at: ended_at.to_owned(),
        end_reason: "completed".to_owned(),
        pain_after,
    }
}

#[track_caller]
fn assert_invalid(result: Result<impl std::fmt::Debug, StoreError>, field: &str) {
    match result {
        Err(StoreError::InvalidValue { field: f, .. }) if f == field => {}
        other => panic!("expected InvalidValue for {field}, got {other:?}"),
    }
}

/// Start, record, heartbeat and finish a session; read it back by id and in the list.
pub fn session_lifecycle(j: &mut dyn Journal) {
    let s = new_session("2026-11-26T14:05:00+01:00");
    let id = j.start_session(&s).unwrap();

    let open = j
        .session(id)
        .unwrap()
        .expect("a started session can be read back");
    assert_eq!(open.id, id);
    assert_eq!(open.status, SessionStatus::Open);
    assert_eq!(open.started_at, s.started_at);
    assert_eq!(
        open.last_seen_at, s.started_at,
        "last_seen_at starts at the start"
    );
    assert_eq!(open.ended_at, None);
    assert_eq!(open.end_reason, None);
    assert_eq!(open.routine_id, s.routine_id);
    assert_eq!(open.routine_name, s.routine_name);
    assert_eq!(open.settings, s.settings);
    assert_eq!(open.pain_before, Some(4));
    assert_eq!(open.pain_after, None);
    assert_eq!(open.plan_total_ms, 540_000);
    assert_eq!(open.segments_total, 3);
    assert_eq!(open.segments_done, 0);
    assert!(open.events.is_empty());

    let events = [
        event(
            "2026-11-26T14:06:00+01:00",
            "segment_done",
            json!({"index": 0, "pose": "hip_rotations"}),
        ),
        event(
            "2026-11-26T14:07:30+01:00",
            "variant",
            json!({"pose": "bridge", "variant": "supported"}),
        ),
        event(
            "2026-11-26T14:09:00+01:00",
            "segment_done",
            json!({"index": 1, "pose": "bridge"}),
        ),
    ];
    for ev in &events {
        j.record_event(id, ev).unwrap();
    }
    let mid = j.session(id).unwrap().unwrap();
    assert_eq!(mid.events, events, "events come back as recorded, in order");
    assert_eq!(
        mid.last_seen_at, "2026-11-26T14:09:00+01:00",
        "an event moves last_seen_at"
    );
    assert_eq!(mid.segments_done, 2);

    j.heartbeat(id, "2026-11-26T14:10:00+01:00").unwrap();
    assert_eq!(
        j.session(id).unwrap().unwrap().last_seen_at,
        "2026-11-26T14:10:00+01:00"
    );

    j.finish_session(id, &finish("2026-11-26T14:14:00+01:00", Some(2)))
        .unwrap();
    let done = j.session(id).unwrap().unwrap();
    assert_eq!(done.status, SessionStatus::Finished);
    assert_eq!(done.ended_at.as_deref(), Some("2026-11-26T14:14:00+01:00"));
    assert_eq!(done.end_reason.as_deref(), Some("completed"));
    assert_eq!(done.pain_before, Some(4));
    assert_eq!(done.pain_after, Some(2));
    assert_eq!(done.events, events, "finishing keeps the events");

    let recent = j.recent_sessions(10).unwrap();
    assert_eq!(recent, vec![done]);
}

/// A finished or interrupted session takes no more events, heartbeats or finishes.
pub fn closed_sessions_refuse_changes(j: &mut dyn Journal) {
    let id = j
        .start_session(&new_session("2026-11-26T08:00:00+01:00"))
        .unwrap();
    j.finish_session(id, &finish("2026-11-26T08:10:00+01:00", None))
        .unwrap();
    let before = j.session(id).unwrap().unwrap();

    let again = j.finish_session(id, &finish("2026-11-26T08:20:00+01:00", Some(1)));
    assert!(
        matches!(again, Err(StoreError::SessionNotOpen { id: i, status: SessionStatus::Finished }) if i == id),
        "finishing twice: {again:?}"
    );
    let ev = event("2026-11-26T08:11:00+01:00", "hurt", json!({}));
    assert!(matches!(
        j.record_event(id, &ev),
        Err(StoreError::SessionNotOpen { .. })
    ));
    assert!(matches!(
        j.heartbeat(id, "2026-11-26T08:12:00+01:00"),
        Err(StoreError::SessionNotOpen { .. })
    ));
    assert_eq!(
        j.session(id).unwrap().unwrap(),
        before,
        "refused changes change nothing"
    );

    let id = j
        .start_session(&new_session("2026-11-26T09:00:00+01:00"))
        .unwrap();
    assert_eq!(
        j.mark_interrupted("2026-11-26T10:00:00+01:00")
            .unwrap()
            .len(),
        1
    );
    let again = j.finish_session(id, &finish("2026-11-26T09:30:00+01:00", None));
    assert!(
        matches!(
            again,
            Err(StoreError::SessionNotOpen {
                status: SessionStatus::Interrupted,
                ..
            })
        ),
        "finishing an interrupted session: {again:?}"
    );
    assert!(matches!(
        j.record_event(id, &ev),
        Err(StoreError::SessionNotOpen { .. })
    ));
}

/// Open sessions not seen since `stale_before` become interrupted, with their events; fresh,
/// finished and already interrupted ones are left alone. Times compare as instants.
pub fn interrupted_sessions(j: &mut dyn Journal) {
    // Seen last at 08:20Z: stale.
    let stale = j
        .start_session(&new_session("2026-11-26T09:00:00+01:00"))
        .unwrap();
    let ev = event(
        "2026-11-26T09:20:00+01:00",
        "segment_done",
        json!({"index": 0}),
    );
    j.record_event(stale, &ev).unwrap();
    // Seen last at 08:50Z, written in a later-sorting offset text: stale too.
    let stale_too = j
        .start_session(&new_session("2026-11-26T10:40:00+02:00"))
        .unwrap();
    j.heartbeat(stale_too, "2026-11-26T10:50:00+02:00").unwrap();
    // Started long ago but seen at 09:30Z (a heartbeat keeps it alive).
    let alive = j
        .start_session(&new_session("2026-11-26T07:00:00Z"))
        .unwrap();
    j.heartbeat(alive, "2026-11-26T09:30:00Z").unwrap();
    // Exactly at the limit: not before it, so not stale.
    let edge = j
        .start_session(&new_session("2026-11-26T09:00:00Z"))
        .unwrap();
    // Finished sessions are never interrupted.
    let done = j
        .start_session(&new_session("2026-11-26T06:00:00Z"))
        .unwrap();
    j.finish_session(done, &finish("2026-11-26T06:10:00Z", None))
        .unwrap();

    let marked = j.mark_interrupted("2026-11-26T10:00:00+01:00").unwrap();
    let ids: Vec<_> = marked.iter().map(|r| r.id).collect();
    assert_eq!(
        ids,
        vec![stale_too, stale],
        "the stale sessions, newest start first"
    );
    assert!(
        marked
            .iter()
            .all(|r| r.status == SessionStatus::Interrupted)
    );
    assert_eq!(marked[1].events, vec![ev], "interrupting keeps the events");
    assert_eq!(marked[1].segments_done, 1);
    assert_eq!(marked[1].ended_at, None);

    for (id, status) in [
        (stale, SessionStatus::Interrupted),
        (stale_too, SessionStatus::Interrupted),
        (alive, SessionStatus::Open),
        (edge, SessionStatus::Open),
        (done, SessionStatus::Finished),
    ] {
        assert_eq!(
            j.session(id).unwrap().unwrap().status,
            status,
            "session {id}"
        );
    }
    assert_eq!(
        j.mark_interrupted("2026-11-26T10:00:00+01:00").unwrap(),
        Vec::new(),
        "a second pass finds nothing new"
    );
}

/// `segments_done` counts distinct indexes of `segment_done` events only; a `segment_done`
/// without a whole, non-negative index is refused.
pub fn segments_done_counts_distinct_indexes(j: &mut dyn Journal) {
    let id = j
        .start_session(&new_session("2026-11-26T14:05:00+01:00"))
        .unwrap();
    let at = "2026-11-26T14:06:00+01:00";
    for data in [
        json!({"index": 0}),
        json!({"index": 1, "pose": "bridge"}),
        json!({"index": 1, "pose": "bridge"}),
        json!({"index": 0}),
    ] {
        j.record_event(id, &event(at, "segment_done", data))
            .unwrap();
    }
    // Other kinds with an index do not count.
    j.record_event(id, &event(at, "skip", json!({"index": 2})))
        .unwrap();
    assert_eq!(j.session(id).unwrap().unwrap().segments_done, 2);

    for bad in [
        json!({}),
        json!({"index": -1}),
        json!({"index": "2"}),
        json!({"index": 1.5}),
        json!(null),
    ] {
        assert_invalid(
            j.record_event(id, &event(at, "segment_done", bad)),
            "segment_done data",
        );
    }
    j.record_event(id, &event(at, "segment_done", json!({"index": 2})))
        .unwrap();
    let record = j.session(id).unwrap().unwrap();
    assert_eq!(record.segments_done, 3);
    assert_eq!(record.events.len(), 6, "refused events are not stored");
}

/// The latest screening of each kind, by instant; answers come back in order.
pub fn screening_latest_by_kind(j: &mut dyn Journal) {
    assert_eq!(j.latest_screening(ScreeningKind::Full).unwrap(), None);
    let full = |taken_at: &str, outcome: &str| ScreeningRecord {
        taken_at: taken_at.to_owned(),
        kind: ScreeningKind::Full,
        answers: vec![
            ("bladder_bowel".to_owned(), "no".to_owned()),
            ("saddle_numbness".to_owned(), "no".to_owned()),
            ("fever".to_owned(), "not_sure".to_owned()),
        ],
        outcome: outcome.to_owned(),
    };
    let first = full("2026-11-20T09:00:00Z", "clear");
    // Later as an instant (10:30Z), earlier-sorting as text.
    let second = full("2026-11-20T11:30:00+01:00", "see_clinician");
    // Earlier as an instant (09:30Z), later-sorting as text.
    let third = full("2026-11-20T14:30:00+05:00", "clear");
    let daily = ScreeningRecord {
        taken_at: "2026-11-21T08:00:00+01:00".to_owned(),
        kind: ScreeningKind::Daily,
        answers: vec![("new_pain".to_owned(), "yes".to_owned())],
        outcome: "gentle".to_owned(),
    };
    for r in [&first, &second, &third, &daily] {
        j.save_screening(r).unwrap();
    }
    assert_eq!(
        j.latest_screening(ScreeningKind::Full).unwrap(),
        Some(second)
    );
    assert_eq!(
        j.latest_screening(ScreeningKind::Daily).unwrap(),
        Some(daily)
    );
}

/// Answers must be yes, no or not_sure, once per question; a refused screening stores nothing.
pub fn screening_answers_are_validated(j: &mut dyn Journal) {
    let with = |answers: &[(&str, &str)], outcome: &str| ScreeningRecord {
        taken_at: "2026-11-21T08:00:00+01:00".to_owned(),
        kind: ScreeningKind::Daily,
        answers: answers
            .iter()
            .map(|(q, a)| ((*q).to_owned(), (*a).to_owned()))
            .collect(),
        outcome: outcome.to_owned(),
    };
    assert_invalid(
        j.save_screening(&with(&[("fever", "maybe")], "clear")),
        "screening answer",
    );
    assert_invalid(
        j.save_screening(&with(&[("fever", "Yes")], "clear")),
        "screening answer",
    );
    assert_invalid(
        j.save_screening(&with(&[("fever", "no"), ("fever", "yes")], "clear")),
        "screening question id",
    );
    assert_invalid(
        j.save_screening(&with(&[("", "no")], "clear")),
        "screening question id",
    );
    assert_invalid(
        j.save_screening(&with(&[("fever", "no")], "")),
        "screening outcome",
    );
    assert_eq!(j.latest_screening(ScreeningKind::Daily).unwrap(), None);

    let ok = with(
        &[
            ("fever", "no"),
            ("weight_loss", "not_sure"),
            ("trauma", "yes"),
        ],
        "see_clinician",
    );
    j.save_screening(&ok).unwrap();
    assert_eq!(j.latest_screening(ScreeningKind::Daily).unwrap(), Some(ok));
    assert_eq!(j.latest_screening(ScreeningKind::Full).unwrap(), None);
}

/// Settings come back as saved; saving again replaces; missing keys are `None`.
pub fn settings_round_trip(j: &mut dyn Journal) {
    assert_eq!(j.load_setting("pace").unwrap(), None);
    let pace =
        json!({"breaths_per_min": 6, "exhale_ratio": 1.5, "voice": null, "poses": ["bridge"]});
    j.save_setting("pace", &pace).unwrap();
    j.save_setting("volume", &json!(0.8)).unwrap();
    assert_eq!(j.load_setting("pace").unwrap(), Some(pace));
    j.save_setting("pace", &json!("slow")).unwrap();
    assert_eq!(j.load_setting("pace").unwrap(), Some(json!("slow")));
    assert_eq!(j.load_setting("volume").unwrap(), Some(json!(0.8)));
    assert_eq!(
        j.load_setting("Pace").unwrap(),
        None,
        "keys are case-sensitive"
    );
    assert_invalid(j.save_setting("", &json!(1)), "setting key");
}

/// Pain is 0 to 10; a refused start stores nothing and a refused finish leaves the session open.
pub fn pain_is_validated(j: &mut dyn Journal) {
    let mut s = new_session("2026-11-26T14:05:00+01:00");
    s.pain_before = Some(11);
    assert_invalid(j.start_session(&s), "pain_before");
    assert!(j.recent_sessions(10).unwrap().is_empty(), "nothing stored");

    for pain in [0, 10] {
        s.pain_before = Some(pain);
        let id = j.start_session(&s).unwrap();
        assert_invalid(
            j.finish_session(id, &finish("2026-11-26T14:15:00+01:00", Some(11))),
            "pain_after",
        );
        assert_invalid(
            j.finish_session(id, &finish("2026-11-26T14:15:00+01:00", Some(255))),
            "pain_after",
        );
        assert_eq!(j.session(id).unwrap().unwrap().status, SessionStatus::Open);
        j.finish_session(id, &finish("2026-11-26T14:15:00+01:00", Some(pain)))
            .unwrap();
        let r = j.session(id).unwrap().unwrap();
        assert_eq!((r.pain_before, r.pain_after), (Some(pain), Some(pain)));
    }
    s.pain_before = None;
    let id = j.start_session(&s).unwrap();
    j.finish_session(id, &finish("2026-11-26T14:15:00+01:00", None))
        .unwrap();
    let r = j.session(id).unwrap().unwrap();
    assert_eq!((r.pain_before, r.pain_after), (None, None));
}

/// Ids that were never handed out are errors for writes and `None` for reads.
pub fn unknown_ids_are_errors(j: &mut dyn Journal) {
    let real = j
        .start_session(&new_session("2026-11-26T14:05:00+01:00"))
        .unwrap();
    for id in [real + 1, real + 1000, -1, 0] {
        let ev = event("2026-11-26T14:06:00+01:00", "hurt", json!({}));
        assert!(
            matches!(j.record_event(id, &ev), Err(StoreError::UnknownSession { id: i, .. }) if i == id),
            "record_event {id}"
        );
        assert!(matches!(
            j.heartbeat(id, "2026-11-26T14:06:00+01:00"),
            Err(StoreError::UnknownSession { .. })
        ));
        assert!(matches!(
            j.finish_session(id, &finish("2026-11-26T14:06:00+01:00", None)),
            Err(StoreError::UnknownSession { .. })
        ));
        assert_eq!(j.session(id).unwrap(), None);
    }
    assert!(j.session(real).unwrap().unwrap().events.is_empty());
}

/// `recent_sessions` orders by the instant a session started, whatever the offsets, and honours
/// the limit.
pub fn newest_first_across_offsets(j: &mut dyn Journal) {
    // (start, instant in UTC): the text order differs from the instant order.
    let starts = [
        "2026-11-26T10:00:00+02:00", // 08:00Z
        "2026-11-26T09:30:00Z",      // 09:30Z
        "2026-11-26T04:00:00-05:00", // 09:00Z
        "2026-11-26T18:45:00+09:00", // 09:45Z
        "2026-11-25T23:00:00-10:00", // 09:00Z on the 26th, same instant as the third
    ];
    let ids: Vec<_> = starts
        .iter()
        .map(|s| j.start_session(&new_session(s)).unwrap())
        .collect();
    let got: Vec<_> = j
        .recent_sessions(10)
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    // Equal instants: the later-recorded session first.
    assert_eq!(got, vec![ids[3], ids[1], ids[4], ids[2], ids[0]]);
    let got: Vec<_> = j.recent_sessions(2).unwrap().iter().map(|r| r.id).collect();
    assert_eq!(got, vec![ids[3], ids[1]]);
    assert!(j.recent_sessions(0).unwrap().is_empty());
    assert_eq!(j.recent_sessions(usize::MAX).unwrap().len(), 5);
}

/// Every timestamp a method takes is checked; a refused call changes nothing.
pub fn malformed_timestamps_are_rejected(j: &mut dyn Journal) {
    let bad = "26/11/2026 14:05";
    assert_invalid(j.start_session(&new_session(bad)), "started_at");
    assert_invalid(
        j.start_session(&new_session("2026-11-26T14:05:00")),
        "started_at",
    );
    assert!(j.recent_sessions(10).unwrap().is_empty());

    let id = j
        .start_session(&new_session("2026-11-26T14:05:00+01:00"))
        .unwrap();
    assert_invalid(
        j.record_event(id, &event(bad, "hurt", json!({}))),
        "event at",
    );
    assert_invalid(j.heartbeat(id, bad), "heartbeat at");
    assert_invalid(j.finish_session(id, &finish(bad, None)), "ended_at");
    assert_invalid(j.mark_interrupted(bad), "stale_before");
    let screening = ScreeningRecord {
        taken_at: bad.to_owned(),
        kind: ScreeningKind::Daily,
        answers: Vec::new(),
        outcome: "clear".to_owned(),
    };
    assert_invalid(j.save_screening(&screening), "taken_at");

    let r = j.session(id).unwrap().unwrap();
    assert_eq!(r.status, SessionStatus::Open);
    assert_eq!(r.last_seen_at, "2026-11-26T14:05:00+01:00");
    assert!(r.events.is_empty());
    assert_eq!(j.latest_screening(ScreeningKind::Daily).unwrap(), None);
}

/// Where it hurts and whether it spreads come back as given, areas sorted and each once.
pub fn pain_location_round_trip(j: &mut dyn Journal) {
    let mut s = new_session("2026-11-26T14:05:00+01:00");
    s.pain_areas = vec![PainArea::Leg, PainArea::LowerBack, PainArea::Leg];
    s.pain_spreads = Some(true);
    let id = j.start_session(&s).unwrap();
    let r = j.session(id).unwrap().unwrap();
    assert_eq!(r.pain_areas, vec![PainArea::LowerBack, PainArea::Leg]);
    assert_eq!(r.pain_spreads, Some(true));

    s.started_at = "2026-11-27T14:05:00+01:00".to_owned();
    s.pain_areas = vec![PainArea::Hips];
    s.pain_spreads = Some(false);
    let id2 = j.start_session(&s).unwrap();
    let plain = j
        .start_session(&new_session("2026-11-28T14:05:00+01:00"))
        .unwrap();
    let r2 = j.session(id2).unwrap().unwrap();
    assert_eq!(
        (r2.pain_areas, r2.pain_spreads),
        (vec![PainArea::Hips], Some(false))
    );
    let r3 = j.session(plain).unwrap().unwrap();
    assert_eq!((r3.pain_areas, r3.pain_spreads), (Vec::new(), None));
    let h = j.history().unwrap();
    assert_eq!(h[0].pain_areas, vec![PainArea::LowerBack, PainArea::Leg]);
    assert_eq!(h[0].pain_spreads, Some(true));
}

/// `history` lists every session of the profile, oldest start first (as instants), with the
/// fields progress needs.
pub fn history_is_oldest_first_without_events(j: &mut dyn Journal) {
    assert!(j.history().unwrap().is_empty());
    let late = j
        .start_session(&new_session("2026-11-26T10:00:00+02:00")) // 08:00Z
        .unwrap();
    let early = j
        .start_session(&new_session("2026-11-26T03:00:00-04:00")) // 07:00Z
        .unwrap();
    j.record_event(
        late,
        &event(
            "2026-11-26T10:01:00+02:00",
            "segment_done",
            json!({"index": 0}),
        ),
    )
    .unwrap();
    j.finish_session(late, &finish("2026-11-26T10:09:00+02:00", Some(1)))
        .unwrap();
    let h = j.history().unwrap();
    let ids: Vec<_> = h.iter().map(|s| s.id).collect();
    assert_eq!(ids, vec![early, late]);
    let last = &h[1];
    assert_eq!(last.status, SessionStatus::Finished);
    assert_eq!(last.ended_at.as_deref(), Some("2026-11-26T10:09:00+02:00"));
    assert_eq!(last.last_seen_at, "2026-11-26T10:09:00+02:00");
    assert_eq!((last.pain_before, last.pain_after), (Some(4), Some(1)));
    assert_eq!(last.plan_total_ms, 540_000);
    assert_eq!(last.routine_id, "supine-basics");
    assert_eq!(h[0].status, SessionStatus::Open);
}

fn psfs(taken_at: &str, items: &[(&str, u8)]) -> PsfsEntry {
    PsfsEntry {
        taken_at: taken_at.to_owned(),
        items: items
            .iter()
            .map(|(a, s)| PsfsItem {
                activity: (*a).to_owned(),
                score: *s,
            })
            .collect(),
    }
}

/// PSFS entries come back oldest first with their activities in order; malformed entries are
/// refused; an entry with the same time is not stored twice.
pub fn psfs_round_trip(j: &mut dyn Journal) {
    assert!(j.psfs_entries().unwrap().is_empty());
    let later = psfs(
        "2026-11-20T09:00:00+01:00",
        &[("sitting through a film", 6), ("walking the dog", 4)],
    );
    // Earlier as an instant, later as text.
    let earlier = psfs(
        "2026-11-19T23:00:00-05:00",
        &[
            ("walking the dog", 3),
            ("lifting a child", 2),
            ("sitting through a film", 5),
        ],
    );
    assert!(j.save_psfs(&later).unwrap());
    assert!(j.save_psfs(&earlier).unwrap());
    assert!(
        !j.save_psfs(&later).unwrap(),
        "the same entry twice is stored once"
    );
    assert_eq!(
        j.psfs_entries().unwrap(),
        vec![earlier.clone(), later.clone()]
    );

    let at = "2026-11-27T09:00:00+01:00";
    assert_invalid(j.save_psfs(&psfs(at, &[])), "psfs items");
    assert_invalid(
        j.save_psfs(&psfs(at, &[("a", 1), ("b", 2), ("c", 3), ("d", 4)])),
        "psfs items",
    );
    assert_invalid(j.save_psfs(&psfs(at, &[("sitting", 11)])), "psfs score");
    assert_invalid(j.save_psfs(&psfs(at, &[("", 1)])), "psfs activity");
    assert_invalid(j.save_psfs(&psfs(at, &[(" sitting", 1)])), "psfs activity");
    assert_invalid(
        j.save_psfs(&psfs(at, &[("sitting", 1), ("sitting", 2)])),
        "psfs activity",
    );
    assert_invalid(
        j.save_psfs(&psfs("today", &[("sitting", 1)])),
        "psfs taken_at",
    );
    assert_eq!(
        j.psfs_entries().unwrap().len(),
        2,
        "refused entries store nothing"
    );
}

/// Importing what a journal already holds adds nothing; a new session comes back whole, under
/// a new id; a malformed one is refused.
pub fn import_adds_nothing_twice(j: &mut dyn Journal) {
    let mut s = new_session("2026-11-26T14:05:00+01:00");
    s.pain_areas = vec![PainArea::Leg];
    s.pain_spreads = Some(true);
    let id = j.start_session(&s).unwrap();
    j.record_event(
        id,
        &event(
            "2026-11-26T14:06:00+01:00",
            "segment_done",
            json!({"index": 0}),
        ),
    )
    .unwrap();
    j.finish_session(id, &finish("2026-11-26T14:14:00+01:00", Some(2)))
        .unwrap();
    let existing = j.recent_sessions(10).unwrap();
    for r in &existing {
        assert!(!j.import_session(r).unwrap(), "already there");
    }
    assert_eq!(j.recent_sessions(10).unwrap(), existing, "nothing added");

    let mut other = existing[0].clone();
    other.uid = "0f0e0d0c-0b0a-4908-8706-050403020100".to_owned();
    other.started_at = "2026-11-25T14:05:00+01:00".to_owned();
    other.events.push(event(
        "2026-11-25T14:07:00+01:00",
        "segment_done",
        json!({"index": 2}),
    ));
    other.segments_done = 99;
    assert!(j.import_session(&other).unwrap());
    assert!(
        !j.import_session(&other).unwrap(),
        "importing twice adds it once"
    );
    let all = j.recent_sessions(10).unwrap();
    assert_eq!(all.len(), 2);
    let imported = &all[1];
    assert_ne!(imported.id, existing[0].id);
    assert_eq!(imported.segments_done, 2, "recomputed from the events");
    let mut expected = other.clone();
    expected.id = imported.id;
    expected.segments_done = 2;
    assert_eq!(imported, &expected);

    let mut open = other.clone();
    open.uid = "1f0e0d0c-0b0a-4908-8706-050403020100".to_owned();
    open.started_at = "2026-11-24T14:05:00+01:00".to_owned();
    open.status = SessionStatus::Open;
    assert_invalid(j.import_session(&open), "ended_at");
    let mut bad_pain = other.clone();
    bad_pain.uid = "2f0e0d0c-0b0a-4908-8706-050403020100".to_owned();
    bad_pain.started_at = "2026-11-23T14:05:00+01:00".to_owned();
    bad_pain.pain_after = Some(12);
    assert_invalid(j.import_session(&bad_pain), "pain_after");
    assert_eq!(j.recent_sessions(10).unwrap().len(), 2);
}

/// Whether `uid` looks like a version 4 UUID, lowercase and hyphenated.
fn is_v4_uid(uid: &str) -> bool {
    let groups: Vec<&str> = uid.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && uid
            .chars()
            .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c))
        && groups[2].starts_with('4')
        && groups[3].starts_with(['8', '9', 'a', 'b'])
}

/// Every session gets its own uid at start, kept as it is; sessions that started in the same
/// millisecond, even of the same routine, stay apart through import because their uids differ.
pub fn uids_keep_sessions_apart_through_import(j: &mut dyn Journal) {
    let at = "2026-11-26T14:05:00.123+01:00";
    let a = j.start_session(&new_session(at)).unwrap();
    let b = j.start_session(&new_session(at)).unwrap();
    let (ra, rb) = (
        j.session(a).unwrap().unwrap(),
        j.session(b).unwrap().unwrap(),
    );
    assert!(
        is_v4_uid(&ra.uid) && is_v4_uid(&rb.uid),
        "{} {}",
        ra.uid,
        rb.uid
    );
    assert_ne!(ra.uid, rb.uid, "two sessions, two uids");
    j.heartbeat(a, "2026-11-26T14:06:00+01:00").unwrap();
    assert_eq!(
        j.session(a).unwrap().unwrap().uid,
        ra.uid,
        "a uid never changes"
    );

    // The same two, exported from elsewhere: both already here.
    assert!(!j.import_session(&ra).unwrap());
    assert!(!j.import_session(&rb).unwrap());
    // Two more from another journal, same start and routine, their own uids: both added.
    let mut c = ra.clone();
    c.uid = "67e55044-10b1-426f-9247-bb680e5fe0c8".to_owned();
    let mut d = ra.clone();
    d.uid = "67E55044-10B1-426F-9247-BB680E5FE0C9".to_owned();
    assert!(j.import_session(&c).unwrap());
    assert!(j.import_session(&d).unwrap());
    assert!(!j.import_session(&d).unwrap(), "a uid matches in any case");
    let uids: Vec<String> = j
        .recent_sessions(10)
        .unwrap()
        .into_iter()
        .map(|r| r.uid)
        .collect();
    assert_eq!(uids.len(), 4, "{uids:?}");
    assert!(uids.contains(&"67e55044-10b1-426f-9247-bb680e5fe0c9".to_owned()));

    for bad in [
        "not-a-uid",
        "67e55044a10b1a426fa9247abb680e5fe0c8",
        "{67e55044-10b1-426f-9247-bb680e5fe0c8}",
    ] {
        let mut e = ra.clone();
        e.uid = bad.to_owned();
        assert_invalid(j.import_session(&e), "uid");
    }
    assert_eq!(
        j.recent_sessions(10).unwrap().len(),
        4,
        "refused imports store nothing"
    );
}

/// A session from an export written before uids (`uid` empty) gets a uid derived from its
/// exported id, start and routine: importing the file again adds nothing, and two sessions of
/// the old file that started in the same millisecond stay two.
pub fn old_exports_import_without_merging(j: &mut dyn Journal) {
    let id = j
        .start_session(&new_session("2026-11-20T09:00:00+01:00"))
        .unwrap();
    j.finish_session(id, &finish("2026-11-20T09:10:00+01:00", None))
        .unwrap();
    let template = j.session(id).unwrap().unwrap();
    let old = |exported_id: i64| {
        let mut r = template.clone();
        r.id = exported_id;
        r.uid = String::new();
        r.started_at = "2026-11-21T09:00:00+01:00".to_owned();
        r
    };
    let file = [old(7), old(8), old(9)];
    for r in &file {
        assert!(
            j.import_session(r).unwrap(),
            "session {} of the old file",
            r.id
        );
    }
    for r in &file {
        assert!(!j.import_session(r).unwrap(), "imported again: {}", r.id);
    }
    let all = j.recent_sessions(10).unwrap();
    assert_eq!(all.len(), 4, "three from the old file, one recorded here");
    let mut uids: Vec<&str> = all.iter().map(|r| r.uid.as_str()).collect();
    uids.sort_unstable();
    uids.dedup();
    assert_eq!(uids.len(), 4, "each its own uid");
}

/// Ids go to committed rows only and never twice: each start gets a higher id than any before,
/// a refused start uses none, and an id never handed out is no session.
pub fn ids_are_never_handed_out_twice(j: &mut dyn Journal) {
    let mut given = Vec::new();
    for i in 0..5 {
        let s = new_session(&format!("2026-11-26T1{i}:00:00+01:00"));
        given.push(j.start_session(&s).unwrap());
        let mut bad = new_session("2026-11-26T15:00:00+01:00");
        bad.pain_before = Some(11);
        assert_invalid(j.start_session(&bad), "pain_before");
    }
    assert!(given.windows(2).all(|w| w[0] < w[1]), "{given:?}");
    assert_eq!(j.history().unwrap().len(), 5, "refused starts left no row");
    let never = given.last().unwrap() + 1;
    let ev = event("2026-11-26T16:00:00+01:00", "hurt", json!({}));
    assert!(matches!(
        j.record_event(never, &ev),
        Err(StoreError::UnknownSession { .. })
    ));
    j.finish_session(given[0], &finish("2026-11-26T10:10:00+01:00", None))
        .unwrap();
    assert!(matches!(
        j.record_event(given[0], &ev),
        Err(StoreError::SessionNotOpen { .. })
    ));
    let next = j
        .start_session(&new_session("2026-11-26T17:00:00+01:00"))
        .unwrap();
    assert!(next > *given.last().unwrap());
}

/// Every screening comes back, oldest first, answers in order; importing one that is there adds
/// nothing, one that differs in any answer is added.
pub fn screenings_round_trip(j: &mut dyn Journal) {
    let full = ScreeningRecord {
        taken_at: "2026-11-26T09:00:00+01:00".to_owned(),
        kind: ScreeningKind::Full,
        answers: vec![
            ("fever".to_owned(), "no".to_owned()),
            ("numbness".to_owned(), "not_sure".to_owned()),
        ],
        outcome: "clear".to_owned(),
    };
    let daily = ScreeningRecord {
        taken_at: "2026-11-26T08:30:00Z".to_owned(),
        kind: ScreeningKind::Daily,
        answers: vec![("worse_today".to_owned(), "no".to_owned())],
        outcome: "clear".to_owned(),
    };
    assert!(j.screenings().unwrap().is_empty());
    j.save_screening(&daily).unwrap();
    j.save_screening(&full).unwrap();
    assert_eq!(
        j.screenings().unwrap(),
        vec![full.clone(), daily.clone()],
        "oldest first: 08:00Z before 08:30Z"
    );
    assert!(!j.import_screening(&full).unwrap());
    assert!(!j.import_screening(&daily).unwrap());
    let mut changed = full.clone();
    changed.answers[1].1 = "yes".to_owned();
    assert!(j.import_screening(&changed).unwrap());
    assert!(!j.import_screening(&changed).unwrap(), "added once");
    assert_eq!(j.screenings().unwrap().len(), 3);
    let mut bad = full.clone();
    bad.answers[0].1 = "maybe".to_owned();
    assert_invalid(j.import_screening(&bad), "screening answer");
}

/// Settings come back by key; an imported setting fills a gap and never replaces one.
pub fn settings_import_keeps_what_is_there(j: &mut dyn Journal) {
    j.save_setting("practice", &json!({"minutes": 12})).unwrap();
    assert!(
        !j.import_setting("practice", &json!({"minutes": 30}))
            .unwrap()
    );
    assert!(
        j.import_setting("psfs_activities", &json!(["sitting"]))
            .unwrap()
    );
    assert_eq!(
        j.settings().unwrap(),
        vec![
            ("practice".to_owned(), json!({"minutes": 12})),
            ("psfs_activities".to_owned(), json!(["sitting"])),
        ]
    );
    assert_invalid(j.import_setting(" ", &json!(1)), "setting key");
}

/// A journal just made passes its integrity check and answers a ping, before and after use.
pub fn a_fresh_journal_is_undamaged(j: &mut dyn Journal) {
    j.check_integrity().unwrap();
    j.ping().unwrap();
    let id = j
        .start_session(&new_session("2026-11-26T14:05:00+01:00"))
        .unwrap();
    j.record_event(id, &event("2026-11-26T14:06:00+01:00", "hurt", json!({})))
        .unwrap();
    j.check_integrity().unwrap();
    j.ping().unwrap();
}

fn account(name: &str, role: Role) -> Account {
    Account {
        name: name.to_owned(),
        // A well-formed PHC string; the journal stores hashes, it does not make or check them.
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ${name}"),
        role,
        created_at: "2026-12-02T05:00:00+01:00".to_owned(),
        profile: None,
    }
}

/// Accounts are added once by name, read back by name and in name order, and removed; names,
/// hashes and times are checked, and no message shows a hash.
pub fn accounts_round_trip(j: &mut dyn Journal) {
    assert!(j.accounts().unwrap().is_empty());
    assert_eq!(j.account("ana").unwrap(), None);
    assert!(j.add_account(&account("zoe", Role::Person)).unwrap());
    assert!(j.add_account(&account("ana", Role::Admin)).unwrap());
    assert!(j.add_account(&account("dr lee", Role::Clinician)).unwrap());
    // The same name again is refused and the first kept.
    assert!(!j.add_account(&account("ana", Role::Person)).unwrap());
    assert_eq!(j.account("ana").unwrap(), Some(account("ana", Role::Admin)));
    let names: Vec<String> = j.accounts().unwrap().into_iter().map(|a| a.name).collect();
    assert_eq!(names, ["ana", "dr lee", "zoe"]);

    assert_invalid(j.add_account(&account("", Role::Person)), "account name");
    assert_invalid(
        j.add_account(&account(" ana", Role::Person)),
        "account name",
    );
    assert_invalid(
        j.add_account(&account(&"a".repeat(65), Role::Person)),
        "account name",
    );
    let mut plain = account("plain", Role::Person);
    plain.password_hash = "hunter22".to_owned();
    match j.add_account(&plain) {
        Err(e @ StoreError::InvalidValue { .. }) => {
            assert!(!e.to_string().contains("hunter22"), "{e}");
        }
        other => panic!("a password that is not a hash was stored: {other:?}"),
    }
    let mut undated = account("undated", Role::Person);
    undated.created_at = "today".to_owned();
    assert_invalid(j.add_account(&undated), "created_at");

    // An account's own profile is kept; one without keeps none.
    let mut own = account("bea", Role::Person);
    own.profile = Some("Bea's back".to_owned());
    assert!(j.add_account(&own).unwrap());
    assert_eq!(j.account("bea").unwrap(), Some(own));
    assert_eq!(j.account("dr lee").unwrap().unwrap().profile, None);
    for bad in ["", " bea", "bea\n", &"p".repeat(65)] {
        let mut a = account("badprofile", Role::Person);
        a.profile = Some(bad.to_owned());
        assert_invalid(j.add_account(&a), "profile");
    }
    assert_eq!(j.account("badprofile").unwrap(), None);
    assert!(j.remove_account("bea").unwrap());

    assert!(j.remove_account("zoe").unwrap());
    assert!(!j.remove_account("zoe").unwrap());
    assert_eq!(j.account("zoe").unwrap(), None);
    assert_eq!(j.accounts().unwrap().len(), 2);
}

/// A journal claims a session for its server as often as asked, lets go of it, and claims it
/// again; letting go of one it does not hold is nothing.
pub fn claims_are_held_until_let_go(j: &mut dyn Journal) {
    let id = j
        .start_session(&new_session("2026-12-04T09:00:00+01:00"))
        .unwrap();
    assert!(j.claim_session(id).unwrap());
    assert!(j.claim_session(id).unwrap());
    j.release_session(id).unwrap();
    j.release_session(id).unwrap();
    assert!(j.claim_session(id).unwrap());
    j.release_session(id + 1).unwrap();
}

/// Events recorded together are kept in order, with `last_seen_at` at the last one; when one of
/// them is malformed, or the session is no longer open, none of them is kept.
pub fn events_are_kept_together_or_not_at_all(j: &mut dyn Journal) {
    let id = j
        .start_session(&new_session("2026-12-04T09:00:00+01:00"))
        .unwrap();
    j.record_events(id, &[]).unwrap();
    let evs = [
        event(
            "2026-12-04T09:00:10+01:00",
            "segment_done",
            json!({"index": 0}),
        ),
        event("2026-12-04T09:00:11+01:00", "input", json!({"ms": 11000})),
        event(
            "2026-12-04T09:00:20+01:00",
            "segment_done",
            json!({"index": 1}),
        ),
    ];
    j.record_events(id, &evs).unwrap();
    let s = j.session(id).unwrap().unwrap();
    assert_eq!(s.events, evs);
    assert_eq!(s.last_seen_at, evs[2].at);
    let bad = [
        event("2026-12-04T09:00:30+01:00", "hurt", json!({})),
        event("2026-12-04T09:00:31+01:00", "segment_done", json!({})),
    ];
    assert_invalid(j.record_events(id, &bad), "segment_done data");
    assert_eq!(
        j.session(id).unwrap().unwrap().events,
        evs,
        "none of them kept"
    );
    j.finish_session(id, &finish("2026-12-04T09:01:00+01:00", Some(2)))
        .unwrap();
    let r = j.record_events(id, &bad[..1]);
    assert!(matches!(r, Err(StoreError::SessionNotOpen { .. })), "{r:?}");
    assert_eq!(j.session(id).unwrap().unwrap().events, evs);
}

/// A well-formed hash (64 lowercase hex characters) that stands for secret number `n`; the
/// journal stores hashes, it does not make or check them.
fn hash(n: u32) -> String {
    format!("{n:064x}")
}

fn pairing_code(n: u32, created_at: &str, expires_at: &str) -> PairingCode {
    PairingCode {
        code_hash: hash(n),
        created_at: created_at.to_owned(),
        expires_at: expires_at.to_owned(),
    }
}

/// A device whose token is secret number `token`.
fn new_device(name: &str, token: u32, paired_at: &str) -> NewDevice {
    NewDevice {
        name: name.to_owned(),
        token_hash: hash(token),
        paired_at: paired_at.to_owned(),
    }
}

/// The device `pair_device` should return for `d`, given its id.
fn paired(id: i64, d: &NewDevice) -> Device {
    Device {
        id,
        name: d.name.clone(),
        token_hash: d.token_hash.clone(),
        paired_at: d.paired_at.clone(),
        last_seen_at: d.paired_at.clone(),
    }
}

/// Adds code `n` (valid from `created_at` to `expires_at`) and pairs `d` with it at `now`.
#[track_caller]
fn pair_new(
    j: &mut dyn Journal,
    n: u32,
    (created_at, expires_at): (&str, &str),
    now: &str,
    d: &NewDevice,
) -> Device {
    j.add_pairing_code(&pairing_code(n, created_at, expires_at))
        .unwrap();
    j.pair_device(&hash(n), now, d)
        .unwrap()
        .expect("a fresh code pairs a device")
}

/// An unknown code pairs nothing; a valid one pairs one device, once; a code works up to the
/// instant before it expires and not from then on, and a try that fails uses nothing up. Adding
/// a code deletes the codes that have expired by its creation, and only those.
pub fn pairing_codes_pair_once_and_expire(j: &mut dyn Journal) {
    assert!(j.devices().unwrap().is_empty());
    let ana = new_device("Ana's phone", 100, "2026-12-05T10:01:00+01:00");
    assert_eq!(
        j.pair_device(&hash(1), "2026-12-05T10:01:00+01:00", &ana)
            .unwrap(),
        None,
        "a code never added pairs nothing"
    );
    assert_eq!(j.device_by_token(&hash(100)).unwrap(), None);

    let first = pairing_code(1, "2026-12-05T10:00:00+01:00", "2026-12-05T10:10:00+01:00");
    j.add_pairing_code(&first).unwrap();
    let device = j
        .pair_device(&hash(1), "2026-12-05T10:01:00+01:00", &ana)
        .unwrap()
        .expect("a valid code pairs");
    assert_eq!(
        device,
        paired(device.id, &ana),
        "last_seen_at starts at paired_at"
    );
    assert_eq!(j.devices().unwrap(), vec![device.clone()]);
    assert_eq!(j.device_by_token(&hash(100)).unwrap(), Some(device.clone()));

    let ben = new_device("Ben's phone", 101, "2026-12-05T10:02:00+01:00");
    assert_eq!(
        j.pair_device(&hash(1), "2026-12-05T10:02:00+01:00", &ben)
            .unwrap(),
        None,
        "a used code pairs nothing"
    );
    j.add_pairing_code(&first).unwrap();
    assert_eq!(
        j.pair_device(&hash(1), "2026-12-05T10:03:00+01:00", &ben)
            .unwrap(),
        None,
        "adding a used code again does not make it new"
    );
    assert_eq!(j.device_by_token(&hash(101)).unwrap(), None);
    assert_eq!(j.devices().unwrap(), vec![device.clone()]);

    // Expires at 09:20Z. At that instant (in another offset) and after it, the code is refused;
    // the refusals use nothing up, so a second before the end it still works.
    j.add_pairing_code(&pairing_code(
        2,
        "2026-12-05T10:05:00+01:00",
        "2026-12-05T10:20:00+01:00",
    ))
    .unwrap();
    for late in [
        "2026-12-05T09:20:00Z",
        "2026-12-05T11:20:00.001+02:00",
        "2027-01-01T00:00:00Z",
    ] {
        assert_eq!(
            j.pair_device(&hash(2), late, &ben).unwrap(),
            None,
            "at {late}"
        );
    }
    let ben_device = j
        .pair_device(&hash(2), "2026-12-05T10:19:59+01:00", &ben)
        .unwrap()
        .expect("a second before its end the code works");
    assert!(ben_device.id > device.id);

    // Code 3 expires exactly when code 5 is made (10:00Z, written in another offset), code 4 a
    // second later: adding code 5 deletes code 3 and keeps code 4. (Making code 3 deleted the
    // used codes 1 and 2, expired by then.)
    j.add_pairing_code(&pairing_code(
        3,
        "2026-12-05T10:20:00+01:00",
        "2026-12-05T10:00:00Z",
    ))
    .unwrap();
    j.add_pairing_code(&pairing_code(
        4,
        "2026-12-05T10:20:00+01:00",
        "2026-12-05T11:00:01+01:00",
    ))
    .unwrap();
    j.add_pairing_code(&pairing_code(
        5,
        "2026-12-05T11:00:00+01:00",
        "2026-12-05T11:10:00+01:00",
    ))
    .unwrap();
    let cai = new_device("Cai's tablet", 102, "2026-12-05T10:30:00+01:00");
    assert_eq!(
        j.pair_device(&hash(3), "2026-12-05T10:30:00+01:00", &cai)
            .unwrap(),
        None,
        "a code expired by the next one's making is gone, even asked before its end"
    );
    let cai_device = j
        .pair_device(&hash(4), "2026-12-05T10:30:00+01:00", &cai)
        .unwrap()
        .expect("a code still valid when the next is made stays");
    let dee = new_device("Dee's phone", 103, "2026-12-05T11:01:00+01:00");
    let dee_device = j
        .pair_device(&hash(5), "2026-12-05T11:01:00+01:00", &dee)
        .unwrap()
        .expect("the new code works");
    // Code 1, deleted with the expired ones, may be made again; it is a new code then.
    j.add_pairing_code(&pairing_code(
        1,
        "2026-12-05T12:00:00+01:00",
        "2026-12-05T12:10:00+01:00",
    ))
    .unwrap();
    let eve = new_device("Eve's phone", 104, "2026-12-05T12:01:00+01:00");
    let eve_device = j
        .pair_device(&hash(1), "2026-12-05T12:01:00+01:00", &eve)
        .unwrap()
        .expect("a code made again after it expired is new");
    assert_eq!(
        j.devices().unwrap(),
        vec![device, ben_device, cai_device, dee_device, eve_device]
    );
}

/// A device is refused when another device already has its token hash, and the code it came
/// with stays unused, so that the same code pairs the device once it has a token of its own.
pub fn a_taken_token_leaves_the_code_unused(j: &mut dyn Journal) {
    let window = ("2026-12-05T10:00:00+01:00", "2026-12-05T10:10:00+01:00");
    let now = "2026-12-05T10:01:00+01:00";
    let first = pair_new(j, 1, window, now, &new_device("Ana's phone", 100, now));
    j.add_pairing_code(&pairing_code(2, window.0, window.1))
        .unwrap();
    match j.pair_device(&hash(2), now, &new_device("Ben's phone", 100, now)) {
        Err(
            e @ StoreError::InvalidValue {
                field: "device token hash",
                ..
            },
        ) => {
            assert!(!e.to_string().contains(&hash(100)), "{e}");
        }
        other => panic!("a token hash paired twice: {other:?}"),
    }
    assert_eq!(j.devices().unwrap(), vec![first.clone()], "nothing stored");
    let ben = new_device("Ben's phone", 101, now);
    let second = j
        .pair_device(&hash(2), now, &ben)
        .unwrap()
        .expect("the code was left unused");
    assert_eq!(second, paired(second.id, &ben));
    assert_eq!(j.devices().unwrap(), vec![first, second]);
}

/// Devices are listed by the instant they were paired, whatever the offsets, and in the order
/// they were paired within one instant.
pub fn devices_oldest_pairing_first(j: &mut dyn Journal) {
    let window = ("2026-12-05T00:00:00Z", "2026-12-06T00:00:00Z");
    // (paired at, instant in UTC): the text order differs from the instant order.
    let times = [
        "2026-12-05T12:00:00+02:00", // 10:00Z
        "2026-12-05T09:30:00Z",      // 09:30Z
        "2026-12-05T04:00:00-05:00", // 09:00Z
        "2026-12-05T19:00:00+09:00", // 10:00Z, the same instant as the first
    ];
    let devices: Vec<Device> = times
        .iter()
        .zip(1u32..)
        .map(|(at, n)| {
            let d = new_device(&format!("phone {n}"), 100 + n, at);
            pair_new(j, n, window, "2026-12-05T11:00:00Z", &d)
        })
        .collect();
    let order: Vec<i64> = j.devices().unwrap().iter().map(|d| d.id).collect();
    assert_eq!(
        order,
        [devices[2].id, devices[1].id, devices[0].id, devices[3].id]
    );
}

/// A revoked device is gone: its token finds nothing, it is not listed, revoking it again is
/// `false`, and its id is never given to another device.
pub fn revoking_a_device_forgets_it(j: &mut dyn Journal) {
    let window = ("2026-12-05T10:00:00+01:00", "2026-12-05T10:10:00+01:00");
    let now = "2026-12-05T10:01:00+01:00";
    let ana = pair_new(j, 1, window, now, &new_device("Ana's phone", 100, now));
    let ben = pair_new(j, 2, window, now, &new_device("Ben's phone", 101, now));

    assert!(
        !j.revoke_device(ben.id + 1000).unwrap(),
        "an id never given"
    );
    assert_eq!(j.devices().unwrap(), vec![ana.clone(), ben.clone()]);
    assert!(j.revoke_device(ben.id).unwrap());
    assert_eq!(j.device_by_token(&ben.token_hash).unwrap(), None);
    assert_eq!(j.devices().unwrap(), vec![ana.clone()]);
    assert!(!j.revoke_device(ben.id).unwrap(), "revoked already");
    j.device_seen(ben.id, "2026-12-05T10:05:00+01:00").unwrap();
    assert_eq!(
        j.device_by_token(&ben.token_hash).unwrap(),
        None,
        "seeing a revoked device does not bring it back"
    );
    assert_eq!(
        j.device_by_token(&ana.token_hash).unwrap(),
        Some(ana.clone())
    );

    // The newest device was revoked; the next one still gets an id of its own.
    let cai = pair_new(j, 3, window, now, &new_device("Cai's tablet", 102, now));
    assert!(cai.id > ben.id, "{} was given to {ben:?} before", cai.id);
    assert!(j.revoke_device(ana.id).unwrap());
    assert_eq!(j.devices().unwrap(), vec![cai]);
}

/// `last_seen_at` moves on to a later instant and never back, whatever the offsets; an
/// unknown id is nothing; a malformed time is refused.
pub fn device_seen_moves_forward_only(j: &mut dyn Journal) {
    let window = ("2026-12-05T10:00:00+01:00", "2026-12-05T10:10:00+01:00");
    let now = "2026-12-05T10:01:00+01:00";
    let d = pair_new(j, 1, window, now, &new_device("Ana's phone", 100, now));
    let other = pair_new(j, 2, window, now, &new_device("Ben's phone", 101, now));
    let last_seen = |j: &dyn Journal| {
        j.device_by_token(&d.token_hash)
            .unwrap()
            .unwrap()
            .last_seen_at
    };

    j.device_seen(d.id, "2026-12-05T10:05:00+01:00").unwrap();
    assert_eq!(last_seen(j), "2026-12-05T10:05:00+01:00");
    // 09:04Z: earlier as an instant, later as text.
    j.device_seen(d.id, "2026-12-05T11:04:00+02:00").unwrap();
    assert_eq!(last_seen(j), "2026-12-05T10:05:00+01:00", "never back");
    // The same instant in another offset is not later.
    j.device_seen(d.id, "2026-12-05T09:05:00Z").unwrap();
    assert_eq!(last_seen(j), "2026-12-05T10:05:00+01:00");
    // 09:30Z: later as an instant, earlier as text.
    j.device_seen(d.id, "2026-12-05T09:30:00Z").unwrap();
    assert_eq!(last_seen(j), "2026-12-05T09:30:00Z");

    let seen = j.device_by_token(&d.token_hash).unwrap().unwrap();
    assert_eq!(seen.paired_at, d.paired_at, "pairing time kept");
    assert_eq!(
        j.devices().unwrap(),
        vec![seen, other.clone()],
        "only that device moved"
    );
    j.device_seen(other.id + 1000, "2026-12-05T11:00:00Z")
        .unwrap();
    assert_invalid(j.device_seen(d.id, "half past ten"), "device seen at");
    assert_eq!(last_seen(j), "2026-12-05T09:30:00Z");
    assert_eq!(j.device_by_token(&other.token_hash).unwrap(), Some(other));
}

/// Hashes, names and times are checked before anything is stored; a malformed hash is never
/// shown (it may be the secret itself); a refused pairing leaves its code unused.
pub fn pairing_input_is_validated(j: &mut dyn Journal) {
    #[track_caller]
    fn assert_hidden<T: std::fmt::Debug>(r: Result<T, StoreError>, field: &str, secret: &str) {
        match r {
            Err(e @ StoreError::InvalidValue { field: f, .. }) if f == field => {
                if !secret.is_empty() {
                    assert!(!e.to_string().contains(secret), "{e}");
                    assert!(!format!("{e:?}").contains(secret), "{e:?}");
                }
            }
            other => panic!("expected InvalidValue for {field}, got {other:?}"),
        }
    }
    let (created, expires) = ("2026-12-05T10:00:00+01:00", "2026-12-05T10:10:00+01:00");
    let now = "2026-12-05T10:01:00+01:00";
    let good = hash(0xc0ffee);
    let bad_hashes = [
        String::new(),
        "123456".to_owned(),
        good.to_uppercase(),
        good[1..].to_owned(),
        format!("{good}0"),
        format!("{}g", &good[1..]),
        format!("{}é", &good[2..]),
        format!(" {}", &good[1..]),
    ];
    for bad in &bad_hashes {
        let mut code = pairing_code(1, created, expires);
        code.code_hash = bad.clone();
        assert_hidden(j.add_pairing_code(&code), "pairing code hash", bad);
        assert_hidden(
            j.pair_device(bad, now, &new_device("Ana's phone", 100, now)),
            "pairing code hash",
            bad,
        );
        let mut d = new_device("Ana's phone", 100, now);
        d.token_hash = bad.clone();
        assert_hidden(j.pair_device(&hash(1), now, &d), "device token hash", bad);
        assert_hidden(j.device_by_token(bad), "device token hash", bad);
    }

    assert_invalid(
        j.add_pairing_code(&pairing_code(1, "today", expires)),
        "pairing code created_at",
    );
    assert_invalid(
        j.add_pairing_code(&pairing_code(1, created, "2026-12-05T10:10:00")),
        "pairing code expires_at",
    );
    // Ending when it starts (as the same text, or the same instant in another offset), or
    // before it (earlier as an instant, later as text): refused.
    for end in [created, "2026-12-05T09:00:00Z", "2026-12-05T10:59:00+02:00"] {
        assert_invalid(
            j.add_pairing_code(&pairing_code(2, created, end)),
            "pairing code expires_at",
        );
    }
    assert_eq!(
        j.pair_device(
            &hash(2),
            "2026-12-05T08:00:00Z",
            &new_device("Ana's phone", 100, now)
        )
        .unwrap(),
        None,
        "a refused code was not stored"
    );

    j.add_pairing_code(&pairing_code(1, created, expires))
        .unwrap();
    for bad in [
        "",
        " Ana",
        "Ana ",
        "Ana\nphone",
        "Ana\u{7f}",
        &"a".repeat(65),
    ] {
        assert_invalid(
            j.pair_device(&hash(1), now, &new_device(bad, 100, now)),
            "device name",
        );
    }
    assert_invalid(
        j.pair_device(&hash(1), now, &new_device("Ana's phone", 100, "yesterday")),
        "paired_at",
    );
    assert_invalid(
        j.pair_device(
            &hash(1),
            "2026-12-05 10:01",
            &new_device("Ana's phone", 100, now),
        ),
        "now",
    );
    assert!(
        j.devices().unwrap().is_empty(),
        "refused pairings store nothing"
    );
    // The longest name, in letters of more than one byte, is taken; the code was never used.
    let long = new_device(&"é".repeat(64), 100, now);
    let d = j
        .pair_device(&hash(1), now, &long)
        .unwrap()
        .expect("the refusals left the code unused");
    assert_eq!(j.devices().unwrap(), vec![paired(d.id, &long)]);
}

/// Devices and pairing codes belong to the profile the journal is opened for: `a` and `b`
/// are two journals of one store, opened for two different profiles, both without devices.
/// Neither sees, uses, moves or revokes the other's; a token hash is still the journal's
/// alone, across profiles.
pub fn devices_belong_to_one_profile(a: &mut dyn Journal, b: &mut dyn Journal) {
    assert_ne!(a.profile(), b.profile());
    let window = ("2026-12-05T10:00:00+01:00", "2026-12-05T10:10:00+01:00");
    let now = "2026-12-05T10:01:00+01:00";
    a.add_pairing_code(&pairing_code(1, window.0, window.1))
        .unwrap();
    assert_eq!(
        b.pair_device(&hash(1), now, &new_device("Ben's phone", 101, now))
            .unwrap(),
        None,
        "another profile's code pairs nothing"
    );
    let ana = a
        .pair_device(&hash(1), now, &new_device("Ana's phone", 100, now))
        .unwrap()
        .expect("the other profile's try left the code unused");

    // The same code hash in the other profile is a code of its own.
    let ben = pair_new(b, 1, window, now, &new_device("Ben's phone", 101, now));
    assert_eq!(a.devices().unwrap(), vec![ana.clone()]);
    assert_eq!(b.devices().unwrap(), vec![ben.clone()]);
    assert_eq!(b.device_by_token(&ana.token_hash).unwrap(), None);
    assert_eq!(a.device_by_token(&ben.token_hash).unwrap(), None);

    assert!(
        !b.revoke_device(ana.id).unwrap(),
        "another profile's device"
    );
    b.device_seen(ana.id, "2026-12-05T11:00:00+01:00").unwrap();
    assert_eq!(
        a.device_by_token(&ana.token_hash).unwrap(),
        Some(ana.clone()),
        "neither revoked nor moved by the other profile"
    );

    // Adding a code in `b` deletes none of `a`'s, even expired ones.
    a.add_pairing_code(&pairing_code(2, window.0, window.1))
        .unwrap();
    b.add_pairing_code(&pairing_code(
        3,
        "2026-12-06T10:00:00+01:00",
        "2026-12-06T10:10:00+01:00",
    ))
    .unwrap();
    let late = new_device("Ana's tablet", 102, "2026-12-05T10:02:00+01:00");
    let tablet = a
        .pair_device(&hash(2), "2026-12-05T10:02:00+01:00", &late)
        .unwrap()
        .expect("the other profile's new code deleted nothing here");

    // A token hash of `a`'s device is refused in `b` too.
    match b.pair_device(
        &hash(3),
        "2026-12-06T10:01:00+01:00",
        &new_device("Copy", 100, now),
    ) {
        Err(StoreError::InvalidValue {
            field: "device token hash",
            ..
        }) => {}
        other => panic!("one token hash paired in two profiles: {other:?}"),
    }
    assert_eq!(b.devices().unwrap(), vec![ben.clone()]);
    assert!(a.revoke_device(ana.id).unwrap());
    assert_eq!(a.devices().unwrap(), vec![tablet]);
    assert_eq!(b.devices().unwrap(), vec![ben]);
}

/// A screening of `kind` taken at `taken_at`, concluding `outcome`.
fn screening(taken_at: &str, kind: ScreeningKind, outcome: &str) -> ScreeningRecord {
    ScreeningRecord {
        taken_at: taken_at.to_owned(),
        kind,
        answers: vec![("night_pain".to_owned(), "no".to_owned())],
        outcome: outcome.to_owned(),
    }
}

fn audit(at: &str, actor: &str, action: &str) -> AuditEntry {
    AuditEntry {
        at: at.to_owned(),
        actor: actor.to_owned(),
        action: action.to_owned(),
    }
}

/// One journal moved from profile to profile with `use_profile` sees only the records of the
/// profile it is on: sessions, history, settings, screenings, PSFS entries, devices and the
/// audit log. Accounts and assignments belong to the journal, and are seen from every profile.
pub fn use_profile_keeps_profiles_apart(j: &mut dyn Journal) {
    let first = j.profile().to_owned();
    j.use_profile(&first).unwrap();
    assert_eq!(
        j.profile(),
        first,
        "using the profile in use changes nothing"
    );

    j.use_profile("a").unwrap();
    assert_eq!(j.profile(), "a");
    let a_session = j
        .start_session(&new_session("2026-12-06T09:00:00+01:00"))
        .unwrap();
    j.record_event(
        a_session,
        &event(
            "2026-12-06T09:00:10+01:00",
            "segment_done",
            json!({"index": 0}),
        ),
    )
    .unwrap();
    j.save_setting("pace", &json!(6)).unwrap();
    j.save_screening(&screening(
        "2026-12-06T08:55:00+01:00",
        ScreeningKind::Full,
        "clear",
    ))
    .unwrap();
    assert!(
        j.save_psfs(&psfs("2026-12-06T08:50:00+01:00", &[("sitting", 4)]))
            .unwrap()
    );
    let window = ("2026-12-06T08:00:00+01:00", "2026-12-06T08:10:00+01:00");
    let a_phone = pair_new(
        j,
        1,
        window,
        "2026-12-06T08:01:00+01:00",
        &new_device("A's phone", 100, "2026-12-06T08:01:00+01:00"),
    );
    j.add_audit(&audit("2026-12-06T10:00:00+01:00", "dr lee", "progress"))
        .unwrap();
    assert!(j.add_account(&account("ana", Role::Person)).unwrap());
    let a_sessions = j.recent_sessions(10).unwrap();
    assert_eq!(a_sessions.len(), 1);

    j.use_profile("b").unwrap();
    assert_eq!(j.profile(), "b");
    assert!(j.recent_sessions(10).unwrap().is_empty());
    assert!(j.history().unwrap().is_empty());
    assert_eq!(j.session(a_session).unwrap(), None);
    assert!(matches!(
        j.heartbeat(a_session, "2026-12-06T09:01:00+01:00"),
        Err(StoreError::UnknownSession { .. })
    ));
    assert_eq!(j.load_setting("pace").unwrap(), None);
    assert!(j.settings().unwrap().is_empty());
    assert_eq!(j.latest_screening(ScreeningKind::Full).unwrap(), None);
    assert!(j.screenings().unwrap().is_empty());
    assert!(j.psfs_entries().unwrap().is_empty());
    assert!(j.devices().unwrap().is_empty());
    assert_eq!(j.device_by_token(&a_phone.token_hash).unwrap(), None);
    assert!(!j.revoke_device(a_phone.id).unwrap());
    assert!(j.audit_log(10).unwrap().is_empty());
    assert_eq!(
        j.pair_device(
            &hash(1),
            "2026-12-06T08:02:00+01:00",
            &new_device("B's phone", 101, "2026-12-06T08:02:00+01:00")
        )
        .unwrap(),
        None,
        "profile a's pairing code pairs nothing in b"
    );
    // Accounts belong to the journal.
    assert!(j.account("ana").unwrap().is_some());

    let b_session = j
        .start_session(&new_session("2026-12-06T11:00:00+01:00"))
        .unwrap();
    j.save_setting("pace", &json!(4)).unwrap();
    j.save_screening(&screening(
        "2026-12-06T10:55:00+01:00",
        ScreeningKind::Daily,
        "clear",
    ))
    .unwrap();
    j.add_audit(&audit("2026-12-06T12:00:00+01:00", "dr ng", "sessions"))
        .unwrap();
    assert_eq!(j.mark_interrupted("2030-01-01T00:00:00Z").unwrap().len(), 1);

    j.use_profile("a").unwrap();
    assert_eq!(j.profile(), "a");
    assert_eq!(
        j.recent_sessions(10).unwrap(),
        a_sessions,
        "a's session as it was"
    );
    assert_eq!(j.session(b_session).unwrap(), None);
    assert_eq!(j.load_setting("pace").unwrap(), Some(json!(6)));
    assert_eq!(j.latest_screening(ScreeningKind::Daily).unwrap(), None);
    assert_eq!(j.screenings().unwrap().len(), 1);
    assert_eq!(j.psfs_entries().unwrap().len(), 1);
    assert_eq!(j.devices().unwrap(), vec![a_phone]);
    assert_eq!(
        j.audit_log(10).unwrap(),
        vec![audit("2026-12-06T10:00:00+01:00", "dr lee", "progress")]
    );

    // A malformed name is refused and the journal stays where it was.
    for bad in ["", " a", "a\n", &"p".repeat(65)] {
        assert_invalid(j.use_profile(bad), "profile");
        assert_eq!(j.profile(), "a");
    }
    j.use_profile(&first).unwrap();
    assert!(j.recent_sessions(10).unwrap().is_empty());
    j.use_profile("b").unwrap();
    assert_eq!(j.history().unwrap().len(), 1);
    assert_eq!(j.load_setting("pace").unwrap(), Some(json!(4)));
}

/// A clinician follows the people assigned to them: assigned once, listed sorted both ways,
/// unassigned, and gone with either account. Only accounts that exist are assigned.
pub fn assignments_link_clinicians_and_people(j: &mut dyn Journal) {
    for (name, role) in [
        ("dr lee", Role::Clinician),
        ("Dr Ng", Role::Clinician),
        ("zoe", Role::Person),
        ("ana", Role::Person),
        ("ben", Role::Person),
    ] {
        assert!(j.add_account(&account(name, role)).unwrap());
    }
    assert!(j.people_of("dr lee").unwrap().is_empty());
    assert!(j.assign("dr lee", "zoe").unwrap());
    assert!(j.assign("dr lee", "ana").unwrap());
    assert!(!j.assign("dr lee", "zoe").unwrap(), "assigned already");
    assert!(j.assign("Dr Ng", "ana").unwrap());
    assert_eq!(j.people_of("dr lee").unwrap(), ["ana", "zoe"]);
    assert_eq!(j.people_of("Dr Ng").unwrap(), ["ana"]);
    assert_eq!(j.clinicians_of("ana").unwrap(), ["Dr Ng", "dr lee"]);
    assert_eq!(j.clinicians_of("zoe").unwrap(), ["dr lee"]);
    assert!(j.clinicians_of("ben").unwrap().is_empty());
    // Names are told apart exactly, case included.
    assert!(j.people_of("Dr Lee").unwrap().is_empty());

    // An unknown account, either way round, is a clear error, and nothing is stored.
    for (clinician, person, field) in [
        ("dr who", "ben", "clinician"),
        ("dr lee", "nobody", "person"),
    ] {
        match j.assign(clinician, person) {
            Err(e @ StoreError::InvalidValue { .. }) => {
                assert!(matches!(e, StoreError::InvalidValue { field: f, .. } if f == field));
                let missing = if field == "clinician" {
                    clinician
                } else {
                    person
                };
                assert!(
                    e.to_string()
                        .contains(&format!("there is no account called {missing:?}")),
                    "{e}"
                );
            }
            other => panic!("assigned {person} to {clinician}: {other:?}"),
        }
    }
    assert_invalid(j.assign("ben", "ben"), "person");
    assert_invalid(j.assign("", "ben"), "clinician");
    assert_invalid(j.assign("dr lee", "ben\n"), "person");
    assert!(j.clinicians_of("ben").unwrap().is_empty());
    assert!(j.people_of("dr who").unwrap().is_empty());
    assert!(!j.unassign("dr who", "ben").unwrap());

    assert!(j.unassign("dr lee", "zoe").unwrap());
    assert!(!j.unassign("dr lee", "zoe").unwrap());
    assert_eq!(j.people_of("dr lee").unwrap(), ["ana"]);
    assert!(j.assign("dr lee", "zoe").unwrap(), "assigned again");

    // Removing a person ends their assignments; the same name added again has none.
    assert!(j.remove_account("ana").unwrap());
    assert_eq!(j.people_of("dr lee").unwrap(), ["zoe"]);
    assert!(j.people_of("Dr Ng").unwrap().is_empty());
    assert!(j.clinicians_of("ana").unwrap().is_empty());
    assert!(j.add_account(&account("ana", Role::Person)).unwrap());
    assert!(j.clinicians_of("ana").unwrap().is_empty());
    // Removing a clinician ends theirs.
    assert!(j.assign("Dr Ng", "zoe").unwrap());
    assert!(j.remove_account("dr lee").unwrap());
    assert_eq!(j.clinicians_of("zoe").unwrap(), ["Dr Ng"]);
    assert!(j.people_of("dr lee").unwrap().is_empty());
    j.check_integrity().unwrap();
}

/// Invitation `n` for the account `name`: a person with a profile of the same name, made at
/// `created_at` and working until `expires_at`.
fn invitation(n: u32, name: &str, created_at: &str, expires_at: &str) -> Invitation {
    Invitation {
        token_hash: hash(n),
        name: name.to_owned(),
        role: Role::Person,
        profile: Some(name.to_owned()),
        clinician: None,
        created_at: created_at.to_owned(),
        expires_at: expires_at.to_owned(),
    }
}

/// A well-formed password hash, standing for the password `n`.
fn password(n: u32) -> String {
    format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$password{n}")
}

/// An invitation makes its account once, with its role and profile and its clinician's
/// assignment; it works up to the instant before it expires; it makes nothing, and stays as
/// it was, while its name is taken or its clinician gone.
pub fn an_invitation_makes_one_account(j: &mut dyn Journal) {
    let (made, ends) = ("2026-12-06T10:00:00+01:00", "2026-12-13T10:00:00+01:00");
    let now = "2026-12-07T09:30:00+01:00";
    assert!(j.add_account(&account("dr lee", Role::Clinician)).unwrap());
    assert!(j.open_invitations(now).unwrap().is_empty());
    let mut ana = invitation(1, "ana", made, ends);
    ana.clinician = Some("dr lee".to_owned());
    assert!(j.add_invitation(&ana).unwrap());
    let mut ben = invitation(2, "ben", "2026-12-06T11:00:00+01:00", ends);
    ben.role = Role::Clinician;
    ben.profile = None;
    assert!(j.add_invitation(&ben).unwrap());
    assert_eq!(j.open_invitations(now).unwrap(), [ana.clone(), ben.clone()]);
    assert_eq!(
        j.account("ana").unwrap(),
        None,
        "no account before it is used"
    );

    assert_eq!(
        j.accept_invitation(&hash(99), now, &password(1)).unwrap(),
        None,
        "an unknown invitation"
    );
    let made_ana = j
        .accept_invitation(&hash(1), now, &password(1))
        .unwrap()
        .expect("a fresh invitation makes its account");
    let expected = Account {
        name: "ana".to_owned(),
        password_hash: password(1),
        role: Role::Person,
        created_at: now.to_owned(),
        profile: Some("ana".to_owned()),
    };
    assert_eq!(made_ana, expected);
    assert_eq!(j.account("ana").unwrap(), Some(expected.clone()));
    assert_eq!(j.clinicians_of("ana").unwrap(), ["dr lee"]);
    assert_eq!(
        j.accept_invitation(&hash(1), now, &password(2)).unwrap(),
        None,
        "an invitation makes one account"
    );
    assert_eq!(
        j.account("ana").unwrap(),
        Some(expected),
        "the second try changed nothing"
    );
    assert_eq!(j.open_invitations(now).unwrap(), [ben.clone()]);

    // Working to the instant before it expires, in any offset, and not from then on.
    assert_eq!(
        j.accept_invitation(&hash(2), "2026-12-13T09:00:00Z", &password(3))
            .unwrap(),
        None,
        "expired"
    );
    assert_eq!(j.account("ben").unwrap(), None);
    assert!(
        j.open_invitations("2026-12-13T09:00:00Z")
            .unwrap()
            .is_empty()
    );
    let made_ben = j
        .accept_invitation(&hash(2), "2026-12-13T08:59:59.999Z", &password(3))
        .unwrap()
        .expect("the expired try used nothing up");
    assert_eq!((made_ben.role, made_ben.profile), (Role::Clinician, None));
    assert!(j.clinicians_of("ben").unwrap().is_empty(), "no clinician");

    // A name taken since the invitation was made: nothing is made, nothing changes.
    let carl = invitation(3, "carl", made, ends);
    assert!(j.add_invitation(&carl).unwrap());
    let mut taken = account("carl", Role::Admin);
    taken.profile = None;
    assert!(j.add_account(&taken).unwrap());
    assert_eq!(
        j.accept_invitation(&hash(3), now, &password(4)).unwrap(),
        None
    );
    assert_eq!(j.account("carl").unwrap(), Some(taken));
    assert_eq!(j.open_invitations(now).unwrap(), [carl], "still unused");
    assert!(j.remove_account("carl").unwrap());
    let made_carl = j
        .accept_invitation(&hash(3), now, &password(4))
        .unwrap()
        .expect("the name is free again");
    assert_eq!(made_carl.role, Role::Person);

    // A clinician removed since: the invitation naming them goes too.
    assert!(j.add_account(&account("dr ng", Role::Clinician)).unwrap());
    let mut dan = invitation(4, "dan", made, ends);
    dan.clinician = Some("dr ng".to_owned());
    assert!(j.add_invitation(&dan).unwrap());
    assert!(j.remove_account("dr ng").unwrap());
    assert!(j.open_invitations(now).unwrap().is_empty());
    assert_eq!(
        j.accept_invitation(&hash(4), now, &password(5)).unwrap(),
        None
    );
    assert_eq!(j.account("dan").unwrap(), None);

    // The people made by invitation are the journal's accounts like any other.
    assert!(j.remove_account("ana").unwrap());
    assert!(j.people_of("dr lee").unwrap().is_empty());
    let names: Vec<String> = j.accounts().unwrap().into_iter().map(|a| a.name).collect();
    assert_eq!(names, ["ben", "carl", "dr lee"]);
    j.check_integrity().unwrap();
}

/// An invitation is refused for a name that has an account or an open invitation, and taken
/// again once that invitation has expired (which deletes it) or the account is removed; the
/// same invitation added twice is kept once.
pub fn invitations_are_refused_for_names_in_use(j: &mut dyn Journal) {
    let (made, ends) = ("2026-12-06T10:00:00+01:00", "2026-12-06T11:00:00+01:00");
    assert!(j.add_account(&account("zoe", Role::Person)).unwrap());
    assert!(!j.add_invitation(&invitation(1, "zoe", made, ends)).unwrap());
    assert!(j.open_invitations(made).unwrap().is_empty());
    assert_eq!(
        j.accept_invitation(&hash(1), made, &password(1)).unwrap(),
        None,
        "the refused invitation was not kept"
    );

    let ana = invitation(2, "ana", made, ends);
    assert!(j.add_invitation(&ana).unwrap());
    assert!(
        !j.add_invitation(&ana).unwrap(),
        "the same invitation again"
    );
    // Another invitation for the same name while the first works: refused, until the
    // instant the first expires.
    let mut other = invitation(
        3,
        "ana",
        "2026-12-06T10:59:59+01:00",
        "2026-12-07T10:00:00+01:00",
    );
    other.role = Role::Admin;
    assert!(!j.add_invitation(&other).unwrap());
    let mut other_token = invitation(2, "another", made, ends);
    other_token.profile = None;
    assert!(
        !j.add_invitation(&other_token).unwrap(),
        "a token hash that another invitation has"
    );
    assert_eq!(
        j.open_invitations(made).unwrap(),
        std::slice::from_ref(&ana)
    );
    other.created_at = "2026-12-06T10:00:00Z".to_owned();
    assert!(j.add_invitation(&other).unwrap(), "the first has expired");
    assert_eq!(
        j.accept_invitation(&hash(2), "2026-12-06T10:30:00+01:00", &password(2))
            .unwrap(),
        None,
        "the expired invitation was deleted"
    );
    assert_eq!(
        j.open_invitations("2026-12-06T10:00:00Z").unwrap(),
        [other.clone()]
    );
    let made_ana = j
        .accept_invitation(&hash(3), "2026-12-06T12:00:00+01:00", &password(3))
        .unwrap()
        .expect("the second invitation works");
    assert_eq!(made_ana.role, Role::Admin);

    // Used, it no longer holds the name; the account does, until it is removed.
    assert!(
        !j.add_invitation(&invitation(4, "ana", made, "2026-12-08T10:00:00+01:00"))
            .unwrap()
    );
    assert!(j.remove_account("ana").unwrap());
    assert!(
        j.add_invitation(&invitation(4, "ana", made, "2026-12-08T10:00:00+01:00"))
            .unwrap()
    );
    assert_eq!(
        j.open_invitations("2026-12-06T12:00:00+01:00")
            .unwrap()
            .len(),
        1
    );
}

/// Invitations are checked as accounts are, and no message shows a hash.
pub fn invitation_input_is_validated(j: &mut dyn Journal) {
    #[track_caller]
    fn assert_hidden<T: std::fmt::Debug>(r: Result<T, StoreError>, field: &str, secret: &str) {
        match r {
            Err(e @ StoreError::InvalidValue { field: f, .. }) if f == field => {
                if !secret.is_empty() {
                    assert!(!e.to_string().contains(secret), "{e}");
                    assert!(!format!("{e:?}").contains(secret), "{e:?}");
                }
            }
            other => panic!("expected InvalidValue for {field}, got {other:?}"),
        }
    }
    let (made, ends) = ("2026-12-06T10:00:00+01:00", "2026-12-13T10:00:00+01:00");
    let now = "2026-12-07T10:00:00+01:00";
    let good = invitation(1, "ana", made, ends);
    let shown = format!("{good:?}");
    assert!(!shown.contains(&good.token_hash), "{shown}");
    assert!(shown.contains("\"ana\""), "{shown}");

    for bad in [
        "",
        "123456",
        &hash(0xc0ffee).to_uppercase(),
        &format!("{}g", &hash(1)[1..]),
    ] {
        let mut i = good.clone();
        i.token_hash = bad.to_owned();
        assert_hidden(j.add_invitation(&i), "invitation token hash", bad);
        assert_hidden(
            j.accept_invitation(bad, now, &password(1)),
            "invitation token hash",
            bad,
        );
    }
    let with = |f: &dyn Fn(&mut Invitation)| {
        let mut i = good.clone();
        f(&mut i);
        i
    };
    assert_invalid(
        j.add_invitation(&with(&|i| i.name = " ana".to_owned())),
        "account name",
    );
    assert_invalid(
        j.add_invitation(&with(&|i| i.name = "a".repeat(65))),
        "account name",
    );
    assert_invalid(
        j.add_invitation(&with(&|i| i.profile = Some("ana\t".to_owned()))),
        "profile",
    );
    assert_invalid(
        j.add_invitation(&with(&|i| i.created_at = "today".to_owned())),
        "invitation created_at",
    );
    assert_invalid(
        j.add_invitation(&with(&|i| i.expires_at = "2026-12-13".to_owned())),
        "invitation expires_at",
    );
    for end in [made, "2026-12-06T09:00:00Z", "2026-12-06T10:59:00+02:00"] {
        assert_invalid(
            j.add_invitation(&with(&|i| i.expires_at = end.to_owned())),
            "invitation expires_at",
        );
    }
    match j.add_invitation(&with(&|i| i.clinician = Some("dr who".to_owned()))) {
        Err(
            e @ StoreError::InvalidValue {
                field: "clinician", ..
            },
        ) => assert!(
            e.to_string()
                .contains("there is no account called \"dr who\""),
            "{e}"
        ),
        other => panic!("an invitation named a clinician who is not there: {other:?}"),
    }
    assert_invalid(
        j.add_invitation(&with(&|i| i.clinician = Some("ana".to_owned()))),
        "clinician",
    );
    assert!(
        j.open_invitations(now).unwrap().is_empty(),
        "refused invitations store nothing"
    );
    assert_invalid(j.open_invitations("tomorrow"), "now");

    assert!(j.add_invitation(&good).unwrap());
    assert_hidden(
        j.accept_invitation(&hash(1), now, "hunter22"),
        "password hash",
        "hunter22",
    );
    assert_invalid(
        j.accept_invitation(&hash(1), "2026-12-07 10:00", &password(1)),
        "now",
    );
    assert_eq!(j.account("ana").unwrap(), None);
    assert!(
        j.accept_invitation(&hash(1), now, &password(1))
            .unwrap()
            .is_some(),
        "the refusals left the invitation unused"
    );
}

/// Each profile's audit log is its own, read newest first by instant (across offsets), at most
/// `limit` entries, and kept when the reader's account is removed.
pub fn the_audit_log_is_newest_first_per_profile(j: &mut dyn Journal) {
    assert!(j.audit_log(10).unwrap().is_empty());
    assert!(j.add_account(&account("dr lee", Role::Clinician)).unwrap());
    let entries = [
        audit("2026-12-06T10:00:00+01:00", "dr lee", "progress"),
        // Later as an instant, earlier as text.
        audit("2026-12-06T09:30:00Z", "dr lee", "sessions"),
        audit("2026-12-06T11:00:00+01:00", "dr ng", "screenings"),
        // The same instant as the first: the one added later is newer.
        audit("2026-12-06T09:00:00Z", "dr ng", "progress"),
    ];
    for e in &entries {
        j.add_audit(e).unwrap();
    }
    let newest_first = [
        entries[2].clone(),
        entries[1].clone(),
        entries[3].clone(),
        entries[0].clone(),
    ];
    assert_eq!(j.audit_log(10).unwrap(), newest_first);
    assert_eq!(j.audit_log(2).unwrap(), newest_first[..2]);
    assert!(j.audit_log(0).unwrap().is_empty());
    assert_eq!(j.audit_log(usize::MAX).unwrap().len(), 4);

    assert!(j.remove_account("dr lee").unwrap());
    assert_eq!(j.audit_log(10).unwrap(), newest_first, "kept");

    let home = j.profile().to_owned();
    j.use_profile("another person").unwrap();
    assert!(j.audit_log(10).unwrap().is_empty());
    let theirs = audit("2026-12-07T10:00:00+01:00", "dr lee", "progress");
    j.add_audit(&theirs).unwrap();
    assert_eq!(j.audit_log(10).unwrap(), [theirs]);
    j.use_profile(&home).unwrap();
    assert_eq!(j.audit_log(10).unwrap(), newest_first);

    assert_invalid(
        j.add_audit(&audit("yesterday", "dr lee", "progress")),
        "audit at",
    );
    assert_invalid(
        j.add_audit(&audit("2026-12-07T10:00:00+01:00", "", "progress")),
        "audit actor",
    );
    for bad in ["", " progress", "progress\nsessions", &"a".repeat(201)] {
        assert_invalid(
            j.add_audit(&audit("2026-12-07T10:00:00+01:00", "dr lee", bad)),
            "audit action",
        );
    }
    j.add_audit(&audit(
        "2026-12-07T10:00:00+01:00",
        "dr lee",
        &"é".repeat(200),
    ))
    .unwrap();
    assert_eq!(j.audit_log(10).unwrap().len(), 5);
}
