//! The journal's history as `supine_core::progress` needs it, for every front end: each session
//! on the calendar day the person lived it, with the minutes actually spent, and whether it
//! counts as practice.

use chrono::{DateTime, Datelike, NaiveDate};
use supine_core::progress::{Day, PsfsPoint, SessionPoint};

use crate::{PsfsEntry, SessionStatus, SessionSummary};

/// An interrupted session counts as practice once it lasted this long.
pub const MIN_INTERRUPTED_MINUTES: f64 = 1.0;

/// The calendar day of an RFC 3339 timestamp, in its own offset (the day the person lived).
pub fn day_of(rfc3339: &str) -> Option<Day> {
    let t = DateTime::parse_from_rfc3339(rfc3339).ok()?;
    day_of_date(t.date_naive())
}

/// The core's day for a calendar date.
pub fn day_of_date(d: NaiveDate) -> Option<Day> {
    Day::from_ymd(d.year(), d.month(), d.day())
}

fn minutes_between(from: &str, to: &str) -> f64 {
    match (
        DateTime::parse_from_rfc3339(from),
        DateTime::parse_from_rfc3339(to),
    ) {
        (Ok(a), Ok(b)) => ((b - a).num_milliseconds().max(0) as f64) / 60_000.0,
        _ => 0.0,
    }
}

/// Sessions as progress needs them: finished sessions count as practice, and interrupted ones
/// that lasted at least [`MIN_INTERRUPTED_MINUTES`]; open ones only give their pain score.
/// Sessions whose start time does not parse are left out.
pub fn session_points(history: &[SessionSummary]) -> Vec<SessionPoint> {
    history
        .iter()
        .filter_map(|s| {
            let day = day_of(&s.started_at)?;
            let minutes = match s.status {
                SessionStatus::Finished => {
                    minutes_between(&s.started_at, s.ended_at.as_deref().unwrap_or(""))
                }
                SessionStatus::Interrupted => minutes_between(&s.started_at, &s.last_seen_at),
                SessionStatus::Open => 0.0,
            };
            let practised = match s.status {
                SessionStatus::Finished => true,
                SessionStatus::Interrupted => minutes >= MIN_INTERRUPTED_MINUTES,
                SessionStatus::Open => false,
            };
            Some(SessionPoint {
                day,
                practised,
                minutes: if practised { minutes } else { 0.0 },
                pain_before: s.pain_before,
                pain_after: s.pain_after,
            })
        })
        .collect()
}

/// PSFS entries as progress needs them.
pub fn psfs_points(entries: &[PsfsEntry]) -> Vec<PsfsPoint> {
    entries
        .iter()
        .filter_map(|e| {
            Some(PsfsPoint {
                day: day_of(&e.taken_at)?,
                items: e
                    .items
                    .iter()
                    .map(|i| (i.activity.clone(), i.score))
                    .collect(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary_row(
        started: &str,
        status: SessionStatus,
        end: Option<&str>,
        seen: &str,
    ) -> SessionSummary {
        SessionSummary {
            id: 1,
            started_at: started.into(),
            last_seen_at: seen.into(),
            ended_at: end.map(Into::into),
            status,
            routine_id: "r".into(),
            pain_before: Some(5),
            pain_after: None,
            pain_areas: Vec::new(),
            pain_spreads: None,
            plan_total_ms: 600_000,
        }
    }

    #[test]
    fn sessions_count_by_their_own_calendar_day_and_real_minutes() {
        let h = [
            // Late evening in New York is the next day in UTC: it counts on the 25th.
            summary_row(
                "2026-11-25T23:30:00-05:00",
                SessionStatus::Finished,
                Some("2026-11-25T23:42:30-05:00"),
                "2026-11-25T23:42:30-05:00",
            ),
            summary_row(
                "2026-11-26T08:00:00+01:00",
                SessionStatus::Interrupted,
                None,
                "2026-11-26T08:00:30+01:00",
            ),
            summary_row(
                "2026-11-27T08:00:00+01:00",
                SessionStatus::Interrupted,
                None,
                "2026-11-27T08:04:00+01:00",
            ),
            summary_row(
                "2026-11-28T08:00:00+01:00",
                SessionStatus::Open,
                None,
                "2026-11-28T08:04:00+01:00",
            ),
        ];
        let pts = session_points(&h);
        assert_eq!(pts[0].day.to_string(), "2026-11-25");
        assert!((pts[0].minutes - 12.5).abs() < 1e-9);
        assert!(!pts[1].practised, "30 s is not practice");
        assert!(pts[2].practised);
        assert!((pts[2].minutes - 4.0).abs() < 1e-9);
        assert!(!pts[3].practised, "an open session is not practice yet");
        assert_eq!(pts[3].pain_before, Some(5));
    }
}
