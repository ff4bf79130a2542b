//! Progress for the web page: streak, sessions per week, pain before and after, relief, and a
//! calendar, with small hand-written SVG charts.
//!
//! Kept apart on purpose: `supine-core` is growing a `progress` module; when it lands, the sums
//! here give way to it and only the SVG stays. Hand-written SVG rather than plotters: four
//! simple charts need a few dozen lines, no dependency or font handling, and the page styles
//! them with its own theme (CSS classes, `currentColor`), which suits both light and dark.

use chrono::{DateTime, Datelike, Duration, NaiveDate};
use serde::Serialize;
use supine_store::{SessionRecord, SessionStatus};

/// One session's pain, for the charts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PainPoint {
    /// The day it started (its own local date).
    pub date: NaiveDate,
    /// Pain before, 0-10.
    pub before: u8,
    /// Pain after, 0-10.
    pub after: u8,
    /// Before minus after (positive is relief).
    pub relief: i16,
}

/// Sessions in one week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Week {
    /// The Monday that starts it.
    pub monday: NaiveDate,
    /// Sessions that did at least one part.
    pub sessions: u32,
}

/// Everything the progress page shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    /// Days in a row with a session, ending today (or yesterday, if today is still to come).
    pub streak: u32,
    /// Sessions that did at least one part.
    pub sessions: u32,
    /// The last 8 weeks, oldest first.
    pub weeks: Vec<Week>,
    /// Sessions with pain before and after, oldest first (at most 30).
    pub pain: Vec<PainPoint>,
    /// The last 35 days (5 weeks, Monday first), whether each had a session.
    pub calendar: Vec<(NaiveDate, bool)>,
    /// Charts as SVG text.
    pub charts: Charts,
}

/// The charts, as SVG documents to place inline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Charts {
    /// Pain before and after, per session.
    pub pain: String,
    /// Sessions per week.
    pub weeks: String,
    /// Relief per session.
    pub relief: String,
    /// The streak calendar.
    pub calendar: String,
}

fn day_of(s: &SessionRecord) -> Option<NaiveDate> {
    DateTime::parse_from_rfc3339(&s.started_at)
        .ok()
        .map(|t| t.date_naive())
}

/// Whether a session counts as practice: it did at least one part.
fn counts(s: &SessionRecord) -> bool {
    s.status == SessionStatus::Finished
        || (s.status == SessionStatus::Interrupted && s.segments_done > 0)
}

/// Progress from sessions (any order), as of `today`.
pub fn compute(sessions: &[SessionRecord], today: NaiveDate) -> Progress {
    let mut days: Vec<NaiveDate> = sessions
        .iter()
        .filter(|s| counts(s))
        .filter_map(day_of)
        .collect();
    days.sort();
    days.dedup();
    let has = |d: NaiveDate| days.binary_search(&d).is_ok();

    let mut streak = 0;
    let mut d = if has(today) {
        today
    } else {
        today - Duration::days(1)
    };
    while has(d) {
        streak += 1;
        d -= Duration::days(1);
    }

    let this_monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let weeks = (0..8)
        .rev()
        .map(|k| {
            let monday = this_monday - Duration::weeks(k);
            let sessions = sessions
                .iter()
                .filter(|s| counts(s))
                .filter_map(day_of)
                .filter(|d| *d >= monday && *d < monday + Duration::weeks(1))
                .count() as u32;
            Week { monday, sessions }
        })
        .collect::<Vec<_>>();

    let mut ordered: Vec<&SessionRecord> = sessions.iter().collect();
    ordered.sort_by(|a, b| a.started_at.cmp(&b.started_at));
    let mut pain: Vec<PainPoint> = ordered
        .iter()
        .filter_map(|s| {
            Some(PainPoint {
                date: day_of(s)?,
                before: s.pain_before?,
                after: s.pain_after?,
                relief: i16::from(s.pain_before?) - i16::from(s.pain_after?),
            })
        })
        .collect();
    if pain.len() > 30 {
        pain.drain(..pain.len() - 30);
    }

    let start = this_monday - Duration::weeks(4);
    let calendar: Vec<(NaiveDate, bool)> = (0..35)
        .map(|i| {
            let d = start + Duration::days(i);
            (d, has(d))
        })
        .collect();

    let charts = Charts {
        pain: svg::pain(&pain),
        weeks: svg::weeks(&weeks),
        relief: svg::relief(&pain),
        calendar: svg::calendar(&calendar, today),
    };
    Progress {
        streak,
        sessions: sessions.iter().filter(|s| counts(s)).count() as u32,
        weeks,
        pain,
        calendar,
        charts,
    }
}

/// The SVG writer: fixed view boxes, styled by the page's CSS classes.
mod svg {
    use std::fmt::Write;

    use chrono::{Datelike, NaiveDate};

    use super::{PainPoint, Week};

    const W: f64 = 600.0;
    const H: f64 = 240.0;
    const PAD_L: f64 = 52.0;
    const PAD_R: f64 = 16.0;
    const PAD_T: f64 = 30.0;
    const PAD_B: f64 = 44.0;

    fn open(title: &str, desc: &str) -> String {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" role=\"img\" \
             class=\"chart\"><title>{}</title><desc>{}</desc>",
            esc(title),
            esc(desc)
        )
    }

    fn esc(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    }

    fn empty(title: &str) -> String {
        let mut s = open(title, "No sessions with pain scores yet.");
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" class=\"muted\" text-anchor=\"middle\">No sessions yet</text></svg>",
            W / 2.0,
            H / 2.0
        );
        s
    }

    /// y for a 0-10 pain score.
    fn y10(v: f64) -> f64 {
        PAD_T + (H - PAD_T - PAD_B) * (1.0 - v / 10.0)
    }

    fn pain_axis(s: &mut String) {
        for v in [0, 5, 10] {
            let y = y10(f64::from(v));
            let _ = write!(
                s,
                "<line x1=\"{PAD_L}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\" class=\"grid\"/>\
                 <text x=\"{}\" y=\"{}\" class=\"axis\" text-anchor=\"end\">{v}</text>",
                W - PAD_R,
                PAD_L - 8.0,
                y + 5.0
            );
        }
    }

    fn x_at(i: usize, n: usize) -> f64 {
        if n <= 1 {
            (PAD_L + W - PAD_R) / 2.0
        } else {
            PAD_L + (W - PAD_L - PAD_R) * i as f64 / (n - 1) as f64
        }
    }

    fn short(d: NaiveDate) -> String {
        d.format("%-d %b").to_string()
    }

    pub fn pain(points: &[PainPoint]) -> String {
        let title = "Pain before and after each session";
        if points.is_empty() {
            return empty(title);
        }
        let desc = points
            .iter()
            .map(|p| format!("{}: {} before, {} after", short(p.date), p.before, p.after))
            .collect::<Vec<_>>()
            .join("; ");
        let mut s = open(title, &desc);
        pain_axis(&mut s);
        let n = points.len();
        for (class, get) in [
            ("before", (|p: &PainPoint| p.before) as fn(&PainPoint) -> u8),
            ("after", |p: &PainPoint| p.after),
        ] {
            let pts: Vec<String> = points
                .iter()
                .enumerate()
                .map(|(i, p)| format!("{:.1},{:.1}", x_at(i, n), y10(f64::from(get(p)))))
                .collect();
            let _ = write!(
                s,
                "<polyline points=\"{}\" class=\"line {class}\"/>",
                pts.join(" ")
            );
            for (i, p) in points.iter().enumerate() {
                let _ = write!(
                    s,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"7\" class=\"dot {class}\"/>",
                    x_at(i, n),
                    y10(f64::from(get(p)))
                );
            }
        }
        for (i, p) in points.iter().enumerate() {
            if n <= 8 || i == 0 || i == n - 1 {
                // The end labels lean inwards so that they are never cut off.
                let anchor = match i {
                    _ if n == 1 => "middle",
                    0 => "start",
                    _ if i == n - 1 => "end",
                    _ => "middle",
                };
                let _ = write!(
                    s,
                    "<text x=\"{:.1}\" y=\"{}\" class=\"axis\" text-anchor=\"{anchor}\">{}</text>",
                    x_at(i, n),
                    H - 10.0,
                    short(p.date)
                );
            }
        }
        s.push_str("</svg>");
        s
    }

    fn bars(title: &str, desc: &str, labels: &[String], values: &[f64], max: f64) -> String {
        let mut s = open(title, desc);
        let n = values.len().max(1);
        let slot = ((W - PAD_L - PAD_R) / n as f64).min(120.0);
        let zero = PAD_T + (H - PAD_T - PAD_B) * max / (2.0 * max).max(1.0);
        let signed = values.iter().any(|v| *v < 0.0);
        let base = if signed { zero } else { H - PAD_B };
        let scale = if signed {
            (H - PAD_T - PAD_B) / (2.0 * max).max(1.0)
        } else {
            (H - PAD_T - PAD_B) / max.max(1.0)
        };
        let _ = write!(
            s,
            "<line x1=\"{PAD_L}\" x2=\"{}\" y1=\"{base}\" y2=\"{base}\" class=\"grid\"/>",
            W - PAD_R
        );
        for (i, v) in values.iter().enumerate() {
            let x = PAD_L + slot * i as f64 + slot * 0.2;
            let x = if n * 120 < 500 {
                x + (W - PAD_L - PAD_R - slot * n as f64) / 2.0
            } else {
                x
            };
            let h = v.abs() * scale;
            let y = if *v >= 0.0 { base - h } else { base };
            let class = if *v < 0.0 { "bar worse" } else { "bar" };
            let _ = write!(
                s,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{h:.1}\" rx=\"4\" class=\"{class}\"/>",
                slot * 0.6
            );
            if *v != 0.0 {
                let ty = if *v >= 0.0 { y - 6.0 } else { y + h + 16.0 };
                let _ = write!(
                    s,
                    "<text x=\"{:.1}\" y=\"{ty:.1}\" class=\"axis\" text-anchor=\"middle\">{v}</text>",
                    x + slot * 0.3
                );
            }
            if let Some(l) = labels.get(i) {
                let _ = write!(
                    s,
                    "<text x=\"{:.1}\" y=\"{}\" class=\"axis\" text-anchor=\"middle\">{}</text>",
                    x + slot * 0.3,
                    H - 10.0,
                    esc(l)
                );
            }
        }
        s.push_str("</svg>");
        s
    }

    pub fn weeks(weeks: &[Week]) -> String {
        let labels: Vec<String> = weeks.iter().map(|w| short(w.monday)).collect();
        let values: Vec<f64> = weeks.iter().map(|w| f64::from(w.sessions)).collect();
        let desc = weeks
            .iter()
            .map(|w| format!("week of {}: {}", short(w.monday), w.sessions))
            .collect::<Vec<_>>()
            .join("; ");
        let max = values.iter().copied().fold(1.0, f64::max);
        bars("Sessions per week", &desc, &labels, &values, max)
    }

    pub fn relief(points: &[PainPoint]) -> String {
        let title = "Relief per session (pain before minus after)";
        if points.is_empty() {
            return empty(title);
        }
        let labels: Vec<String> = points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                if points.len() <= 8 || i == 0 || i == points.len() - 1 {
                    short(p.date)
                } else {
                    String::new()
                }
            })
            .collect();
        let values: Vec<f64> = points.iter().map(|p| f64::from(p.relief)).collect();
        let desc = points
            .iter()
            .map(|p| format!("{}: {}", short(p.date), p.relief))
            .collect::<Vec<_>>()
            .join("; ");
        let max = values.iter().map(|v| v.abs()).fold(1.0, f64::max);
        bars(title, &desc, &labels, &values, max)
    }

    pub fn calendar(days: &[(NaiveDate, bool)], today: NaiveDate) -> String {
        let done = days.iter().filter(|(_, b)| *b).count();
        let mut s = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 400 300\" role=\"img\" \
             class=\"chart calendar\"><title>The last five weeks</title><desc>{done} of {} days with a session</desc>",
            days.len()
        );
        for (i, name) in ["M", "T", "W", "T", "F", "S", "S"].iter().enumerate() {
            let _ = write!(
                s,
                "<text x=\"{}\" y=\"20\" class=\"axis\" text-anchor=\"middle\">{name}</text>",
                30 + i * 56
            );
        }
        for (i, (d, on)) in days.iter().enumerate() {
            let (col, row) = (i % 7, i / 7);
            let (x, y) = (8 + col * 56, 32 + row * 52);
            let mut class = String::from(if *on { "day on" } else { "day" });
            if *d == today {
                class.push_str(" today");
            }
            if *d > today {
                class.push_str(" future");
            }
            let _ = write!(
                s,
                "<rect x=\"{x}\" y=\"{y}\" width=\"44\" height=\"44\" rx=\"8\" class=\"{class}\"><title>{}{}</title></rect>\
                 <text x=\"{}\" y=\"{}\" class=\"daynum\" text-anchor=\"middle\">{}</text>",
                d.format("%A %-d %B"),
                if *on { ": practised" } else { "" },
                x + 22,
                y + 28,
                d.day()
            );
        }
        s.push_str("</svg>");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(day: &str, before: Option<u8>, after: Option<u8>) -> SessionRecord {
        SessionRecord {
            id: 1,
            started_at: format!("{day}T08:00:00+01:00"),
            last_seen_at: format!("{day}T08:10:00+01:00"),
            ended_at: Some(format!("{day}T08:10:00+01:00")),
            routine_id: "r".into(),
            routine_name: "R".into(),
            settings: serde_json::Value::Null,
            status: SessionStatus::Finished,
            end_reason: Some("completed".into()),
            pain_before: before,
            pain_after: after,
            pain_areas: Vec::new(),
            pain_spreads: None,
            plan_total_ms: 600_000,
            segments_total: 10,
            segments_done: 10,
            events: vec![],
        }
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn streak_counts_days_in_a_row_up_to_today_or_yesterday() {
        let s = [
            session("2026-11-23", Some(5), Some(3)),
            session("2026-11-24", Some(4), Some(4)),
            session("2026-11-25", Some(4), Some(2)),
            session("2026-11-25", None, None),
        ];
        assert_eq!(compute(&s, date("2026-11-25")).streak, 3);
        // Today not done yet: the streak is still alive.
        assert_eq!(compute(&s, date("2026-11-26")).streak, 3);
        // A missed day breaks it.
        assert_eq!(compute(&s, date("2026-11-27")).streak, 0);
    }

    #[test]
    fn relief_weeks_and_calendar_follow_the_sessions() {
        let s = [
            session("2026-11-16", Some(6), Some(3)),
            session("2026-11-25", Some(4), Some(5)),
        ];
        let p = compute(&s, date("2026-11-26"));
        assert_eq!(
            p.pain.iter().map(|x| x.relief).collect::<Vec<_>>(),
            vec![3, -1]
        );
        assert_eq!(p.weeks.len(), 8);
        assert_eq!(p.weeks[7].sessions, 1);
        assert_eq!(p.weeks[6].sessions, 1);
        assert_eq!(p.calendar.iter().filter(|(_, on)| *on).count(), 2);
        assert!(p.charts.pain.contains("<polyline"));
        assert!(p.charts.relief.contains("bar worse"));
        assert!(!p.charts.calendar.contains("day on today"));
    }
}
