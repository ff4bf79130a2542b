//! Progress for the web page: `supine_core::progress` computes every number (streak, weekly
//! totals, the 7-day mean, relief, meaningful-change markers, the two-week rule) from the
//! journal's history as `supine_store::progress` reads it, the same way `supine progress` does;
//! this module only adds the calendar and draws small hand-written SVG charts.
//!
//! Hand-written SVG rather than plotters: five simple charts need a few dozen lines, no
//! dependency or font handling, and the page styles them with its own theme (CSS classes,
//! `currentColor`), which suits both light and dark.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::Serialize;
use supine_core::progress::{self as core, Change, Day};
use supine_store::progress::{psfs_points, session_points};
use supine_store::{PsfsEntry, SessionSummary};

/// Sessions shown on the before/after and relief charts, the latest ones.
const CHART_SESSIONS: usize = 30;
/// Weeks shown on the sessions-per-week chart.
const CHART_WEEKS: usize = 8;

/// Everything the progress page shows: the core report, plus words and pictures for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    /// The core report (streak, sessions, minutes, weeks, baseline, daily pain with markers,
    /// relief, PSFS, advice), with the same field names as `supine progress --json`.
    #[serde(flatten)]
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
    pub calendar: Vec<(Day, bool)>,
    /// Charts as SVG text.
    pub charts: Charts,
}

/// A meaningful-change marker on the pain trend, or on one session's relief.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Marker {
    /// The day the 7-day mean crossed, or the session's day.
    pub day: Day,
    /// Which way it went, compared with the first week (or pain after with pain before).
    pub change: Change,
    /// Plain words for it.
    pub message: String,
}

/// The charts, as SVG documents to place inline.
#[derive(Debug, Clone, PartialEq, Serialize)]
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

fn marker_message(change: Change) -> &'static str {
    match change {
        Change::Better => "meaningfully better than the first week (2 points or 30%)",
        Change::Worse => "meaningfully worse than the first week",
        Change::Same => "no longer a meaningful change from the first week",
    }
}

/// The core report alone, for pages that need only its numbers (Today's streak).
pub fn report(history: &[SessionSummary], psfs: &[PsfsEntry], today: Day) -> core::Progress {
    core::progress(&session_points(history), &psfs_points(psfs), today)
}

/// Progress from the journal's history and PSFS entries (any order), as of `today`.
pub fn compute(history: &[SessionSummary], psfs: &[PsfsEntry], today: Day) -> Progress {
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
                message: marker_message(change).to_owned(),
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
    let sessions = &report.relief[report.relief.len().saturating_sub(CHART_SESSIONS)..];
    let weeks = &report.weeks[report.weeks.len().saturating_sub(CHART_WEEKS)..];
    let charts = Charts {
        pain: svg::pain(sessions),
        trend: svg::trend(&report.pain),
        weeks: svg::weeks(weeks),
        relief: svg::relief(sessions),
        calendar: svg::calendar(&calendar, today),
    };
    Progress {
        advice_message: report.advice.message(),
        see_clinician: report.advice.see_clinician(),
        markers,
        session_markers,
        calendar,
        charts,
        report,
    }
}

/// The chrono date for a core day (for month and weekday names).
fn date(d: Day) -> NaiveDate {
    let (y, m, day) = d.ymd();
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
}

/// The SVG writer: fixed view boxes, styled by the page's CSS classes.
mod svg {
    use std::fmt::Write;

    use chrono::Datelike;
    use supine_core::progress::{Change, Day, PainPoint, ReliefPoint, WeekTotal};

    use super::date;

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

    fn short(d: Day) -> String {
        date(d).format("%-d %b").to_string()
    }

    pub fn pain(points: &[ReliefPoint]) -> String {
        let title = "Pain before and after each session";
        if points.is_empty() {
            return empty(title);
        }
        let desc = points
            .iter()
            .map(|p| format!("{}: {} before, {} after", short(p.day), p.before, p.after))
            .collect::<Vec<_>>()
            .join("; ");
        let mut s = open(title, &desc);
        pain_axis(&mut s);
        let n = points.len();
        for (class, get) in [
            (
                "before",
                (|p: &ReliefPoint| p.before) as fn(&ReliefPoint) -> u8,
            ),
            ("after", |p: &ReliefPoint| p.after),
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
                    short(p.day)
                );
            }
        }
        s.push_str("</svg>");
        s
    }

    /// Bars with their values; `marks` puts a diamond on the bars whose change is meaningful
    /// (above a bar that went up, below one that went down), with the word beside it.
    fn bars(
        title: &str,
        desc: &str,
        labels: &[String],
        values: &[f64],
        marks: &[Option<Change>],
        max: f64,
    ) -> String {
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
            let mark = marks
                .get(i)
                .copied()
                .flatten()
                .filter(|m| *m != Change::Same);
            if *v != 0.0 {
                let ty = if *v >= 0.0 { y - 6.0 } else { y + h + 16.0 };
                let _ = write!(
                    s,
                    "<text x=\"{:.1}\" y=\"{ty:.1}\" class=\"axis\" text-anchor=\"middle\">{v}</text>",
                    x + slot * 0.3
                );
            }
            if let Some(change) = mark {
                // Past the value's label: above a bar that went up, below one that went down;
                // the word too where the bars are wide enough for it.
                let up = *v >= 0.0;
                let cx = x + slot * 0.3;
                let cy = if up { y - 22.0 } else { y + h + 30.0 };
                let word = match change {
                    Change::Worse => "worse",
                    _ => "better",
                };
                let _ = write!(
                    s,
                    "<path d=\"M{cx:.1},{:.1} L{:.1},{cy:.1} L{cx:.1},{:.1} L{:.1},{cy:.1} Z\" \
                     class=\"marker {word}\"><title>meaningfully {word}</title></path>",
                    cy - 7.0,
                    cx + 7.0,
                    cy + 7.0,
                    cx - 7.0,
                );
                if n <= 8 {
                    let wy = if up { cy - 12.0 } else { cy + 22.0 };
                    let _ = write!(
                        s,
                        "<text x=\"{cx:.1}\" y=\"{wy:.1}\" class=\"axis\" text-anchor=\"middle\">{word}</text>"
                    );
                }
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

    pub fn weeks(weeks: &[WeekTotal]) -> String {
        if weeks.is_empty() {
            return empty("Sessions per week");
        }
        let labels: Vec<String> = weeks.iter().map(|w| short(w.start)).collect();
        let values: Vec<f64> = weeks.iter().map(|w| f64::from(w.sessions)).collect();
        let desc = weeks
            .iter()
            .map(|w| format!("week of {}: {}", short(w.start), w.sessions))
            .collect::<Vec<_>>()
            .join("; ");
        let max = values.iter().copied().fold(1.0, f64::max);
        bars("Sessions per week", &desc, &labels, &values, &[], max)
    }

    pub fn relief(points: &[ReliefPoint]) -> String {
        let title = "Relief per session (pain before minus after)";
        if points.is_empty() {
            return empty(title);
        }
        let labels: Vec<String> = points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                if points.len() <= 8 || i == 0 || i == points.len() - 1 {
                    short(p.day)
                } else {
                    String::new()
                }
            })
            .collect();
        let values: Vec<f64> = points.iter().map(|p| f64::from(p.relief)).collect();
        let marks: Vec<Option<Change>> = points.iter().map(|p| Some(p.change)).collect();
        let desc = points
            .iter()
            .map(|p| {
                let mark = match p.change {
                    Change::Better => " (meaningfully better)",
                    Change::Worse => " (meaningfully worse)",
                    Change::Same => "",
                };
                format!("{}: {}{mark}", short(p.day), p.relief)
            })
            .collect::<Vec<_>>()
            .join("; ");
        let max = values.iter().map(|v| v.abs()).fold(1.0, f64::max);
        // Room above and below the bars for the marks.
        let max = if points.iter().any(|p| p.change != Change::Same) {
            max * 1.6
        } else {
            max
        };
        bars(title, &desc, &labels, &values, &marks, max)
    }

    /// Daily pain before sessions (dots), its 7-day mean (a line) and a diamond where the mean
    /// crosses a meaningful change from the first week.
    pub fn trend(points: &[PainPoint]) -> String {
        let title = "Pain before sessions: each day and the 7-day mean";
        if points.is_empty() {
            return empty(title);
        }
        let desc = points
            .iter()
            .map(|p| {
                let mark = match p.marker {
                    Some(Change::Better) => ", meaningfully better",
                    Some(Change::Worse) => ", meaningfully worse",
                    Some(Change::Same) => ", no longer a meaningful change",
                    None => "",
                };
                format!(
                    "{}: {:.1}, 7-day mean {:.1}{mark}",
                    short(p.day),
                    p.pain,
                    p.rolling_mean
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        let mut s = open(title, &desc);
        pain_axis(&mut s);
        // Days are placed by date, so gaps between scores show as gaps.
        let (first, last) = (points[0].day.0, points[points.len() - 1].day.0);
        let span = usize::try_from(last - first).unwrap_or(0);
        let x = |d: Day| x_at(usize::try_from(d.0 - first).unwrap_or(0), span + 1);
        for p in points {
            let _ = write!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" class=\"dot daily\"/>",
                x(p.day),
                y10(p.pain)
            );
        }
        let pts: Vec<String> = points
            .iter()
            .map(|p| format!("{:.1},{:.1}", x(p.day), y10(p.rolling_mean)))
            .collect();
        let _ = write!(
            s,
            "<polyline points=\"{}\" class=\"line mean\"/>",
            pts.join(" ")
        );
        for p in points {
            let Some(change) = p.marker else { continue };
            let (cx, cy) = (x(p.day), y10(p.rolling_mean));
            let class = match change {
                Change::Better => "better",
                Change::Worse => "worse",
                Change::Same => "same",
            };
            let _ = write!(
                s,
                "<path d=\"M{cx:.1},{:.1} L{:.1},{cy:.1} L{cx:.1},{:.1} L{:.1},{cy:.1} Z\" \
                 class=\"marker {class}\"><title>{}: {}</title></path>",
                cy - 10.0,
                cx + 10.0,
                cy + 10.0,
                cx - 10.0,
                short(p.day),
                esc(super::marker_message(change))
            );
        }
        for (i, p) in [points.first(), points.last()]
            .into_iter()
            .flatten()
            .enumerate()
        {
            if i == 1 && points.len() == 1 {
                break;
            }
            let anchor = match i {
                _ if points.len() == 1 => "middle",
                0 => "start",
                _ => "end",
            };
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{}\" class=\"axis\" text-anchor=\"{anchor}\">{}</text>",
                x(p.day),
                H - 10.0,
                short(p.day)
            );
        }
        s.push_str("</svg>");
        s
    }

    pub fn calendar(days: &[(Day, bool)], today: Day) -> String {
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
                date(*d).format("%A %-d %B"),
                if *on { ": practised" } else { "" },
                x + 22,
                y + 28,
                date(*d).day()
            );
        }
        s.push_str("</svg>");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use supine_store::SessionStatus;

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
        let p = compute(&s, &[], day("2026-11-26"));
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
        let p = compute(&s, &[], day("2026-11-21"));
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
        let p = compute(&s, &[], day("2026-11-26"));
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
        let p = compute(&[], &[], day("2026-11-26"));
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
