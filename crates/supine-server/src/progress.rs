//! Progress for the web page: `supine_core::progress` computes every number (streak, weekly
//! totals, the 7-day mean, relief, meaningful-change markers, the two-week rule) from the
//! journal's history as `supine_store::progress` reads it, the same way `supine progress` does;
//! this module only adds the calendar and the words. The charts are `supine_report::chart`'s,
//! the same SVG `supine progress --chart` draws, styled here by the page's theme (CSS classes),
//! which suits both light and dark.

use std::collections::BTreeSet;

use serde::Serialize;
use supine_core::progress::{self as core, Change, Day};
use supine_report::chart;
use supine_store::progress::{psfs_points, session_points};
use supine_store::seen::{self, CameraUse};
use supine_store::{PsfsEntry, SessionSummary};
use utoipa::ToSchema;

use crate::openapi::foreign;

/// Everything the progress page shows: the core report, plus words and pictures for it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Progress {
    /// The core report (streak, sessions, minutes, weeks, baseline, daily pain with markers,
    /// relief, PSFS, advice), with the same field names as `supine progress --json`.
    #[serde(flatten)]
    #[schema(value_type = foreign::CoreProgress)]
    pub report: core::Progress,
    /// The two-week rule in plain words.
    pub advice_message: String,
    /// Whether the two-week rule says to see a clinician.
    pub see_clinician: bool,
    /// The days where the 7-day mean crossed a meaningful change, in words.
    pub markers: Vec<Marker>,
    /// The sessions that left the pain meaningfully better or worse, in words, in order.
    pub session_markers: Vec<Marker>,
    /// The last 35 days (5 weeks, Monday first), whether each had practice.
    #[schema(value_type = Vec<(foreign::Day, bool)>)]
    pub calendar: Vec<(Day, bool)>,
    /// Charts as SVG text.
    pub charts: Charts,
    /// Sessions the camera watched in the last 4 weeks ([`seen::CAMERA_DAYS`]), and the
    /// latest of them, as `supine progress --json` gives it.
    #[schema(value_type = foreign::CameraUse)]
    pub camera: CameraUse,
    /// The camera's use in words, once it has watched a session in those weeks.
    pub camera_words: Option<String>,
}

/// A meaningful-change marker on the pain trend, or on one session's relief.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Marker {
    /// The day the 7-day mean crossed, or the session's day.
    #[schema(value_type = foreign::Day)]
    pub day: Day,
    /// Which way it went, compared with the first week (or pain after with pain before).
    #[schema(value_type = foreign::Change)]
    pub change: Change,
    /// Plain words for it.
    pub message: String,
}

/// The charts, as SVG documents to place inline.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Charts {
    /// Pain before and after, per session.
    pub pain: String,
    /// Daily pain before sessions, its 7-day mean and the meaningful-change markers.
    pub trend: String,
    /// Sessions per week.
    pub weeks: String,
    /// Relief per session.
    pub relief: String,
    /// The streak calendar.
    pub calendar: String,
}

/// The core report alone, for pages that need only its numbers (Today's streak).
pub fn report(history: &[SessionSummary], psfs: &[PsfsEntry], today: Day) -> core::Progress {
    core::progress(&session_points(history), &psfs_points(psfs), today)
}

/// The camera's use in words: how many sessions it watched, and what it saw the latest time.
pub fn camera_words(c: &CameraUse) -> Option<String> {
    let last = c.last.as_ref()?;
    let mut words = format!("The camera {}.", c.watched());
    if let Some(line) = seen::line(&last.seen) {
        words.push_str(&format!(" The latest time it saw: {line}."));
    }
    Some(words)
}

/// Progress from the journal's history and PSFS entries (any order) and the camera's use in
/// the last 4 weeks, as of `today`.
pub fn compute(
    history: &[SessionSummary],
    psfs: &[PsfsEntry],
    camera: CameraUse,
    today: Day,
) -> Progress {
    let points = session_points(history);
    let report = core::progress(&points, &psfs_points(psfs), today);
    let practised: BTreeSet<Day> = points
        .iter()
        .filter(|p| p.practised)
        .map(|p| p.day)
        .collect();
    let start = today.week_start().plus(-28);
    let calendar: Vec<(Day, bool)> = (0..35)
        .map(|i| {
            let d = start.plus(i);
            (d, practised.contains(&d))
        })
        .collect();
    let markers = report
        .pain
        .iter()
        .filter_map(|p| {
            let change = p.marker?;
            Some(Marker {
                day: p.day,
                change,
                message: chart::marker_message(change).to_owned(),
            })
        })
        .collect();
    let session_markers = report
        .relief
        .iter()
        .filter_map(|r| {
            Some(Marker {
                day: r.day,
                change: r.change,
                message: r.message()?,
            })
        })
        .collect();
    let shown = chart::recent(&report);
    let charts = Charts {
        pain: chart::pain(&shown.relief),
        trend: chart::trend(&shown.pain, shown.baseline),
        weeks: chart::weeks(&shown.weeks),
        relief: chart::relief(&shown.relief),
        calendar: chart::calendar(&calendar, today),
    };
    Progress {
        advice_message: report.advice.message(),
        see_clinician: report.advice.see_clinician(),
        markers,
        session_markers,
        calendar,
        charts,
        camera_words: camera_words(&camera),
        camera,
        report,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use supine_store::SessionStatus;

    /// No session the camera watched.
    fn none() -> CameraUse {
        CameraUse {
            sessions: 0,
            with_camera: 0,
            last: None,
        }
    }

    #[test]
    fn the_cameras_use_is_said_once_it_has_watched() {
        use supine_core::session::PoseSeen;
        use supine_store::seen::{CameraSession, SeenPose};
        assert_eq!(camera_words(&none()), None);
        let seen = vec![SeenPose {
            step: 0,
            pose: Some("knee-circles".into()),
            seen: PoseSeen {
                clockwise: 1,
                anticlockwise: 1,
                ..PoseSeen::default()
            },
        }];
        let c = CameraUse {
            sessions: 3,
            with_camera: 1,
            last: Some(CameraSession {
                started_at: "2026-12-02T09:00:00+01:00".into(),
                totals: seen::totals(&seen),
                seen,
            }),
        };
        assert_eq!(
            camera_words(&c).unwrap(),
            "The camera watched 1 of 3 sessions in the last 4 weeks. The latest time it saw: \
             knee-circles 1 clockwise, 1 anticlockwise."
        );
    }

    fn session(day: &str, before: Option<u8>, after: Option<u8>) -> SessionSummary {
        SessionSummary {
            id: 1,
            started_at: format!("{day}T08:00:00+01:00"),
            last_seen_at: format!("{day}T08:10:00+01:00"),
            ended_at: Some(format!("{day}T08:10:00+01:00")),
            status: SessionStatus::Finished,
            routine_id: "r".into(),
            pain_before: before,
            pain_after: after,
            pain_areas: Vec::new(),
            pain_spreads: None,
            plan_total_ms: 600_000,
        }
    }

    fn day(s: &str) -> Day {
        Day::parse(s).unwrap()
    }

    #[test]
    fn charts_and_calendar_follow_the_core_report() {
        let s = [
            session("2026-11-16", Some(6), Some(3)),
            session("2026-11-25", Some(4), Some(5)),
        ];
        let p = compute(&s, &[], none(), day("2026-11-26"));
        assert_eq!(
            p.report.streak, 1,
            "yesterday counts while today is to come"
        );
        assert_eq!(
            p.report.relief.iter().map(|x| x.relief).collect::<Vec<_>>(),
            vec![3, -1]
        );
        assert_eq!(p.calendar.iter().filter(|(_, on)| *on).count(), 2);
        assert_eq!(
            p.calendar[0].0,
            day("2026-10-26"),
            "five weeks, Monday first"
        );
        assert!(p.charts.pain.contains("<polyline"));
        assert!(p.charts.relief.contains("bar worse"));
        assert!(p.charts.trend.contains("class=\"line mean\""));
        assert!(!p.charts.calendar.contains("day on today"));
        assert_eq!(p.advice_message, p.report.advice.message());
    }

    #[test]
    fn meaningful_change_is_marked_in_words_and_on_the_trend() {
        let mut s = Vec::new();
        for d in 1..=7 {
            s.push(session(&format!("2026-11-{d:02}"), Some(6), Some(5)));
        }
        for d in 15..=21 {
            s.push(session(&format!("2026-11-{d:02}"), Some(3), Some(2)));
        }
        let p = compute(&s, &[], none(), day("2026-11-21"));
        assert_eq!(p.markers.len(), 1, "{:?}", p.markers);
        assert_eq!(p.markers[0].change, Change::Better);
        assert!(p.markers[0].message.contains("meaningfully better"));
        assert!(p.charts.trend.contains("class=\"marker better\""));
        assert!(!p.see_clinician);
        assert!(p.advice_message.contains("meaningful improvement"));
    }

    #[test]
    fn a_session_that_left_the_pain_worse_is_marked_like_one_that_helped() {
        let s = [
            session("2026-11-24", Some(6), Some(8)),
            session("2026-11-25", Some(6), Some(4)),
            session("2026-11-26", Some(6), Some(7)),
        ];
        let p = compute(&s, &[], none(), day("2026-11-26"));
        let words: Vec<(Change, &str)> = p
            .session_markers
            .iter()
            .map(|m| (m.change, m.message.as_str()))
            .collect();
        assert_eq!(
            words,
            vec![
                (
                    Change::Worse,
                    "pain meaningfully worse after the session (6 before, 8 after)"
                ),
                (
                    Change::Better,
                    "pain meaningfully better after the session (6 before, 4 after)"
                ),
            ]
        );
        let relief = &p.charts.relief;
        assert_eq!(
            relief.matches("class=\"marker worse\"").count(),
            1,
            "{relief}"
        );
        assert_eq!(
            relief.matches("class=\"marker better\"").count(),
            1,
            "{relief}"
        );
        assert!(relief.contains(">worse</text>") && relief.contains(">better</text>"));
        assert!(relief.contains("-2 (meaningfully worse)"), "{relief}");
        assert!(
            !relief.contains("-1 (meaningfully"),
            "1 point of 6 is not marked"
        );
        assert_eq!(p.report.sessions_worse, 1);
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["relief"][0]["change"], "worse");
        assert_eq!(json["session_markers"][0]["change"], "worse");
    }

    #[test]
    fn an_empty_journal_draws_empty_charts() {
        let p = compute(&[], &[], none(), day("2026-11-26"));
        assert_eq!(p.report.streak, 0);
        for c in [
            &p.charts.pain,
            &p.charts.trend,
            &p.charts.weeks,
            &p.charts.relief,
        ] {
            assert!(c.contains("No sessions yet"), "{c}");
        }
    }
}
