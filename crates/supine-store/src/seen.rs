//! What the camera saw, read back from the journal for every front end.
//!
//! A camera-led session keeps one `"seen"` event per pose it watched
//! (`supine_core::session::Record::Seen`, stored through [`SessionEvent::from_record`]): the
//! routine step, the pose and a [`PoseSeen`] (circles per direction, bridge rounds, holds in
//! seconds, twist sides, the form cues said, whether the camera lost the person). This module
//! reads those events back ([`session_seen`]), adds a session's poses up ([`totals`]), says them
//! in a short line ([`line`]) and sums up how often the camera was used ([`camera_use`]).
//!
//! Reading is lenient: a session without the camera, or from before the camera, has no such
//! event and reads as nothing seen; an event that does not have the shape (written by another
//! version, or damaged) is passed over rather than failing the whole reading.
//!
//! [`SessionEvent::from_record`]: crate::SessionEvent::from_record

use serde::{Deserialize, Serialize};
use supine_core::progress::Day;
use supine_core::seen::Side;
use supine_core::session::{FormCue, PoseSeen};

use crate::progress::day_of;
use crate::{Journal, SessionRecord, SessionStatus, SessionSummary, StoreError};

/// The kind of the event a camera-led session keeps per pose.
pub const EVENT_KIND: &str = "seen";

/// What the camera saw of one pose of a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeenPose {
    /// The routine step (index in the routine).
    pub step: usize,
    /// The pose's id, if the step has one.
    pub pose: Option<String>,
    /// What was seen, its fields beside `step` and `pose`.
    #[serde(flatten)]
    pub seen: PoseSeen,
}

/// The `"seen"` event's data as the session keeps it (`kind` is the event's own).
#[derive(Deserialize)]
struct SeenEvent {
    step: usize,
    #[serde(default)]
    pose: Option<String>,
    seen: PoseSeen,
}

/// What the camera saw in a session, pose by pose in the order they were kept: empty for a
/// session without the camera.
pub fn session_seen(s: &SessionRecord) -> Vec<SeenPose> {
    s.events
        .iter()
        .filter(|e| e.kind == EVENT_KIND)
        .filter_map(|e| serde_json::from_value::<SeenEvent>(e.data.clone()).ok())
        .map(|e| SeenPose {
            step: e.step,
            pose: e.pose,
            seen: e.seen,
        })
        .collect()
}

/// A session's poses added up: circles and rounds summed, holds, sides and cues in order, lost
/// if the camera lost the person in any of them.
pub fn totals(poses: &[SeenPose]) -> PoseSeen {
    let mut t = PoseSeen::default();
    for p in poses {
        t.clockwise += p.seen.clockwise;
        t.anticlockwise += p.seen.anticlockwise;
        t.rounds += p.seen.rounds;
        t.holds_s.extend(&p.seen.holds_s);
        t.sides.extend(&p.seen.sides);
        t.cues.extend(&p.seen.cues);
        t.lost |= p.seen.lost;
    }
    t
}

/// A form cue in a few words, as the journal's readers show it.
pub fn cue_words(cue: FormCue) -> &'static str {
    match cue {
        FormCue::LiftHigher => "lift higher",
        FormCue::ShouldersDown => "shoulders down",
        FormCue::Slower => "slower",
        FormCue::KneesCloser => "knees closer",
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What the camera saw of one pose in a few words: `"5 clockwise, 5 anticlockwise"`,
/// `"3 rounds, held 4.0 4.5 3.8 s"`, `"sides left, right, held 5.0 5.2 s; cue: shoulders
/// down"`, `"nothing counted"`; `"; lost from view, the timer led"` when the camera lost the
/// person.
pub fn pose_words(seen: &PoseSeen) -> String {
    let mut parts: Vec<String> = Vec::new();
    if seen.clockwise + seen.anticlockwise > 0 {
        parts.push(format!(
            "{} clockwise, {} anticlockwise",
            seen.clockwise, seen.anticlockwise
        ));
    }
    if seen.rounds > 0 {
        parts.push(plural(seen.rounds as usize, "round", "rounds"));
    }
    if !seen.sides.is_empty() {
        let sides: Vec<&str> = seen.sides.iter().map(|s: &Side| s.word()).collect();
        parts.push(format!(
            "{} {}",
            if sides.len() == 1 { "side" } else { "sides" },
            sides.join(", ")
        ));
    }
    if !seen.holds_s.is_empty() {
        let holds: Vec<String> = seen.holds_s.iter().map(|h| format!("{h:.1}")).collect();
        parts.push(format!("held {} s", holds.join(" ")));
    }
    let mut words = if parts.is_empty() {
        "nothing counted".to_owned()
    } else {
        parts.join(", ")
    };
    if !seen.cues.is_empty() {
        let cues: Vec<&str> = seen.cues.iter().map(|c| cue_words(*c)).collect();
        words += &format!(
            "; {}: {}",
            if cues.len() == 1 { "cue" } else { "cues" },
            cues.join(", ")
        );
    }
    if seen.lost {
        words += "; lost from view, the timer led";
    }
    words
}

/// A session's camera line, pose by pose: `"knee-circles 5 clockwise, 5 anticlockwise | bridge
/// 3 rounds, held 4.0 4.5 3.8 s"`; `None` for a session without the camera.
pub fn line(poses: &[SeenPose]) -> Option<String> {
    if poses.is_empty() {
        return None;
    }
    let each: Vec<String> = poses
        .iter()
        .map(|p| match &p.pose {
            Some(id) => format!("{id} {}", pose_words(&p.seen)),
            None => pose_words(&p.seen),
        })
        .collect();
    Some(each.join(" | "))
}

/// How much the camera was used over some sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CameraUse {
    /// Sessions practised (finished or interrupted; open ones are left out).
    pub sessions: usize,
    /// Of those, the ones the camera watched (that kept at least one `"seen"` event).
    pub with_camera: usize,
    /// The latest of those, if any.
    pub last: Option<CameraSession>,
}

impl CameraUse {
    /// The share of sessions the camera watched, 0 to 1; `None` without sessions.
    pub fn share(&self) -> Option<f64> {
        (self.sessions > 0).then(|| self.with_camera as f64 / self.sessions as f64)
    }

    /// "watched 1 of 3 sessions in the last 4 weeks": the words both front ends use for a use
    /// counted over the last [`CAMERA_DAYS`].
    pub fn watched(&self) -> String {
        format!(
            "watched {} of {} session{} in the last {} weeks",
            self.with_camera,
            self.sessions,
            if self.sessions == 1 { "" } else { "s" },
            CAMERA_DAYS / 7
        )
    }
}

/// A session the camera watched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CameraSession {
    /// When it started, as stored.
    pub started_at: String,
    /// Its poses added up ([`totals`]).
    pub totals: PoseSeen,
    /// What the camera saw of each pose.
    pub seen: Vec<SeenPose>,
}

/// How many days, up to today, progress counts the camera's share over (`supine progress` and
/// the web page alike): four weeks, as the pain sparkline shows.
pub const CAMERA_DAYS: i32 = 28;

/// How much the camera was used in `sessions` (any order; the latest is the one that started
/// last, by the instant its start names).
pub fn camera_use(sessions: &[SessionRecord]) -> CameraUse {
    let practised: Vec<&SessionRecord> = sessions
        .iter()
        .filter(|s| s.status != SessionStatus::Open)
        .collect();
    let watched: Vec<(&SessionRecord, Vec<SeenPose>)> = practised
        .iter()
        .map(|s| (*s, session_seen(s)))
        .filter(|(_, seen)| !seen.is_empty())
        .collect();
    // A start that does not read as an instant sorts first.
    let instant = |s: &SessionRecord| {
        crate::time::utc_millis("started_at", &s.started_at).unwrap_or(i64::MIN)
    };
    let last = watched
        .iter()
        .max_by_key(|(s, _)| (instant(s), s.id))
        .map(|(s, seen)| CameraSession {
            started_at: s.started_at.clone(),
            totals: totals(seen),
            seen: seen.clone(),
        });
    CameraUse {
        sessions: practised.len(),
        with_camera: watched.len(),
        last,
    }
}

/// How much the camera was used in the sessions that started from day `from` to day `to`
/// (both included, as the person lived them), read from `journal` with its `history` (as
/// [`Journal::history`] gives it): only the sessions that may fall in those days are read with
/// their events.
pub fn camera_use_between(
    journal: &dyn Journal,
    history: &[SessionSummary],
    from: Day,
    to: Day,
) -> Result<CameraUse, StoreError> {
    let within = |s: &str| day_of(s).is_some_and(|d| d >= from && d <= to);
    // Newest first, so enough of them to reach back to `from`, and a day more: a day is read in
    // each session's own offset, an instant orders them.
    let reach = history
        .iter()
        .filter(|s| day_of(&s.started_at).is_some_and(|d| d >= from.plus(-1)))
        .count();
    let sessions: Vec<SessionRecord> = journal
        .recent_sessions(reach)?
        .into_iter()
        .filter(|s| within(&s.started_at))
        .collect();
    Ok(camera_use(&sessions))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SessionEvent;
    use serde_json::json;

    fn event(kind: &str, data: serde_json::Value) -> SessionEvent {
        SessionEvent {
            at: "2026-12-01T09:05:00+01:00".into(),
            kind: kind.into(),
            data,
        }
    }

    fn session(id: i64, started_at: &str, events: Vec<SessionEvent>) -> SessionRecord {
        SessionRecord {
            id,
            uid: String::new(),
            started_at: started_at.into(),
            last_seen_at: started_at.into(),
            ended_at: Some(started_at.into()),
            routine_id: "lying-down-relief".into(),
            routine_name: "Lying-down relief".into(),
            settings: json!({}),
            status: SessionStatus::Finished,
            end_reason: Some("completed".into()),
            pain_before: None,
            pain_after: None,
            pain_areas: Vec::new(),
            pain_spreads: None,
            plan_total_ms: 600_000,
            segments_total: 10,
            segments_done: 10,
            events,
        }
    }

    /// The records a camera-led session keeps, as the session makes them.
    fn seen_events() -> Vec<SessionEvent> {
        use supine_core::session::Record;
        let circles = PoseSeen {
            clockwise: 5,
            anticlockwise: 4,
            cues: vec![FormCue::Slower],
            ..PoseSeen::default()
        };
        let bridge = PoseSeen {
            rounds: 2,
            holds_s: vec![4.04, 3.5],
            lost: true,
            ..PoseSeen::default()
        };
        let twist = PoseSeen {
            holds_s: vec![5.0],
            sides: vec![Side::Left],
            ..PoseSeen::default()
        };
        [
            (1, "knee-circles", circles),
            (2, "bridge", bridge),
            (3, "supine-twist", twist),
        ]
        .into_iter()
        .map(|(step, pose, seen)| {
            let r = Record::Seen {
                step,
                pose: Some(pose.into()),
                seen,
            };
            SessionEvent::from_record("2026-12-01T09:05:00+01:00".into(), json!(r))
        })
        .collect()
    }

    #[test]
    fn the_sessions_seen_records_read_back_pose_by_pose() {
        let mut events = vec![event("segment_done", json!({"index": 0}))];
        events.extend(seen_events());
        let s = session(1, "2026-12-01T09:00:00+01:00", events);
        let seen = session_seen(&s);
        let poses: Vec<_> = seen.iter().map(|p| (p.step, p.pose.as_deref())).collect();
        assert_eq!(
            poses,
            [
                (1, Some("knee-circles")),
                (2, Some("bridge")),
                (3, Some("supine-twist"))
            ]
        );
        assert_eq!((seen[0].seen.clockwise, seen[0].seen.anticlockwise), (5, 4));
        let t = totals(&seen);
        assert_eq!((t.clockwise, t.anticlockwise, t.rounds), (5, 4, 2));
        assert_eq!(t.holds_s, [4.04, 3.5, 5.0]);
        assert_eq!(
            (t.sides.as_slice(), t.cues.len(), t.lost),
            (&[Side::Left][..], 1, true)
        );
        assert_eq!(
            line(&seen).unwrap(),
            "knee-circles 5 clockwise, 4 anticlockwise; cue: slower | bridge 2 rounds, held \
             4.0 3.5 s; lost from view, the timer led | supine-twist side left, held 5.0 s"
        );
        // The JSON a reader gets: the pose's fields beside its step and id.
        let v = json!(seen[1]);
        assert_eq!(v["pose"], "bridge");
        assert_eq!(v["rounds"], 2);
        assert_eq!(v["holds_s"], json!([4.04, 3.5]));
        assert_eq!(v["lost"], true);
        assert_eq!(serde_json::from_value::<SeenPose>(v).unwrap(), seen[1]);
    }

    #[test]
    fn a_session_without_the_camera_or_with_odd_events_reads_as_nothing_seen() {
        let plain = session(1, "2026-12-01T09:00:00+01:00", vec![]);
        assert!(session_seen(&plain).is_empty());
        assert_eq!(line(&session_seen(&plain)), None);
        // Another version's shape is passed over, the rest still read.
        let mut events = vec![
            event("seen", json!({"kind": "seen", "step": "one"})),
            event("seen", json!("garbage")),
        ];
        events.extend(seen_events());
        let odd = session(2, "2026-12-01T09:00:00+01:00", events);
        assert_eq!(session_seen(&odd).len(), 3);
        assert_eq!(pose_words(&PoseSeen::default()), "nothing counted");
    }

    #[test]
    fn camera_use_counts_practised_sessions_and_finds_the_latest_watched() {
        let mut open = session(4, "2026-12-03T09:00:00+01:00", seen_events());
        open.status = SessionStatus::Open;
        let sessions = vec![
            // Later by the clock though earlier by its text in another offset.
            session(1, "2026-12-02T08:30:00Z", seen_events()[..1].to_vec()),
            session(2, "2026-12-02T09:00:00+01:00", seen_events()),
            session(3, "2026-12-02T10:00:00+01:00", vec![]),
            open,
        ];
        let u = camera_use(&sessions);
        assert_eq!((u.sessions, u.with_camera), (3, 2));
        assert!((u.share().unwrap() - 2.0 / 3.0).abs() < 1e-12);
        let last = u.last.unwrap();
        assert_eq!(last.started_at, "2026-12-02T08:30:00Z");
        assert_eq!(last.seen.len(), 1);
        assert_eq!(last.totals.clockwise, 5);
        let none = camera_use(&[]);
        assert_eq!((none.sessions, none.share(), none.last), (0, None, None));
    }

    #[test]
    fn camera_use_between_reads_only_the_days_asked_for() {
        use crate::{Journal, NewSession, SessionFinish, SqliteJournal};
        let mut j = SqliteJournal::open_in_memory().unwrap();
        for (day, camera) in [(1, true), (10, false), (20, true), (28, false)] {
            let started_at = format!("2026-11-{day:02}T09:00:00+01:00");
            let id = j
                .start_session(&NewSession {
                    started_at: started_at.clone(),
                    routine_id: "lying-down-relief".into(),
                    routine_name: "Lying-down relief".into(),
                    settings: json!({}),
                    plan_total_ms: 600_000,
                    segments_total: 10,
                    pain_before: None,
                    pain_areas: Vec::new(),
                    pain_spreads: None,
                })
                .unwrap();
            if camera {
                for e in seen_events() {
                    j.record_event(id, &e).unwrap();
                }
            }
            let end = SessionFinish {
                ended_at: format!("2026-11-{day:02}T09:20:00+01:00"),
                end_reason: "completed".into(),
                pain_after: None,
            };
            j.finish_session(id, &end).unwrap();
        }
        let history = j.history().unwrap();
        let day = |d: u32| Day::from_ymd(2026, 11, d).unwrap();
        let u = camera_use_between(&j, &history, day(5), day(25)).unwrap();
        assert_eq!((u.sessions, u.with_camera), (2, 1));
        assert_eq!(u.last.unwrap().started_at, "2026-11-20T09:00:00+01:00");
        let u = camera_use_between(&j, &history, day(1), day(30)).unwrap();
        assert_eq!((u.sessions, u.with_camera), (4, 2));
        let u = camera_use_between(&j, &history, day(21), day(30)).unwrap();
        assert_eq!((u.sessions, u.with_camera, u.last), (1, 0, None));
    }
}
