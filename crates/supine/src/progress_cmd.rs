//! `supine progress`: the journal's history turned into core progress maths, printed as a
//! terminal summary with sparklines and bars, as JSON, or drawn as charts.

use std::fmt::Write as _;
use std::io::{self, Write};

use anyhow::{Context, bail};
use chrono::{DateTime, Datelike, Local, NaiveDate};
use supine_core::progress::{Change, Day, Progress, PsfsPoint, SessionPoint, progress};
use supine_store::{PsfsEntry, SessionStatus, SessionSummary};

use crate::chart;
use crate::cli::{Cli, ProgressArgs};
use crate::practice::open_existing_journal;

/// An interrupted session counts as practice once it lasted this long.
const MIN_INTERRUPTED_MINUTES: f64 = 1.0;

/// The calendar day of an RFC 3339 timestamp, in its own offset (the day the person lived).
pub fn day_of(rfc3339: &str) -> Option<Day> {
    let t = DateTime::parse_from_rfc3339(rfc3339).ok()?;
    day_of_date(t.date_naive())
}

fn day_of_date(d: NaiveDate) -> Option<Day> {
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
/// that lasted at least a minute; open ones only give their pain score.
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

/// `supine progress`.
pub fn run(cli: &Cli, args: &ProgressArgs) -> anyhow::Result<()> {
    if let Some(path) = &args.chart {
        chart_kind(path)?;
    }
    let today = match &args.today {
        Some(t) => Day::parse(t)
            .with_context(|| format!("--today must be a date like 2026-11-26 (got {t:?})"))?,
        None => day_of_date(Local::now().date_naive()).context("today is out of range")?,
    };
    let (history, psfs) = match open_existing_journal(cli)? {
        Some(j) => (j.history()?, j.psfs_entries()?),
        None => (Vec::new(), Vec::new()),
    };
    let p = progress(&session_points(&history), &psfs_points(&psfs), today);
    if let Some(path) = &args.chart {
        chart::draw(path, &p)?;
    }
    let mut out = io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &p)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", summary(&p, &cli.profile, args.weeks))?;
        if let Some(path) = &args.chart {
            writeln!(out, "\nCharts written to {}", path.display())?;
        }
    }
    Ok(())
}

const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// One block per value on a fixed 0-10 scale.
fn sparkline(values: impl IntoIterator<Item = f64>) -> String {
    values
        .into_iter()
        .map(|v| BLOCKS[((v.clamp(0.0, 10.0) / 10.0) * 7.0).round() as usize])
        .collect()
}

fn hours_minutes(minutes: f64) -> String {
    let m = minutes.round() as u64;
    if m < 60 {
        format!("{m} min")
    } else {
        format!("{} h {:02} min", m / 60, m % 60)
    }
}

/// The terminal summary.
pub fn summary(p: &Progress, profile: &str, weeks: usize) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Progress for {profile}, as of {}\n", p.today);
    if p.sessions == 0 && p.pain.is_empty() {
        let _ = writeln!(s, "No sessions yet. Start one with `supine practice`.");
        return s;
    }
    let today_note = if p.practised_today {
        "including today"
    } else {
        "today not practised yet"
    };
    let _ = writeln!(
        s,
        "Streak:    {} day{} in a row ({today_note})",
        p.streak,
        if p.streak == 1 { "" } else { "s" }
    );
    let _ = writeln!(
        s,
        "Practice:  {} session{}, {} in all",
        p.sessions,
        if p.sessions == 1 { "" } else { "s" },
        hours_minutes(p.minutes)
    );

    let shown: Vec<_> = p.weeks.iter().rev().take(weeks).rev().collect();
    if !shown.is_empty() {
        let _ = writeln!(s, "\nSessions per week");
        for w in shown {
            let bar: String = "█".repeat(w.sessions.min(14) as usize);
            let _ = writeln!(
                s,
                "  week of {}  {:<14} {:>2}  {:>9}",
                w.start,
                bar,
                w.sessions,
                hours_minutes(w.minutes)
            );
        }
    }

    if !p.pain.is_empty() {
        let recent: Vec<_> = p
            .pain
            .iter()
            .filter(|pt| pt.day.0 > p.today.0 - 28)
            .collect();
        let _ = writeln!(
            s,
            "\nPain before sessions, last 4 weeks (▁ = 0, █ = 10; one mark a day with a score)"
        );
        let _ = writeln!(
            s,
            "  each day    {}",
            sparkline(recent.iter().map(|pt| pt.pain))
        );
        let _ = writeln!(
            s,
            "  7-day mean  {}",
            sparkline(recent.iter().map(|pt| pt.rolling_mean))
        );
        if let (Some(b), Some(last)) = (p.baseline, p.pain.last()) {
            let _ = writeln!(
                s,
                "  first week {b:.1}, now {:.1} (7-day mean on {})",
                last.rolling_mean, last.day
            );
        }
        for pt in p.pain.iter().filter(|pt| pt.marker.is_some()) {
            let what = match pt.change {
                Change::Better => "meaningfully better than the first week (2 points or 30%)",
                Change::Worse => "meaningfully worse than the first week",
                Change::Same => "no longer a meaningful change from the first week",
            };
            let _ = writeln!(s, "  ◆ {}: {what}", pt.day);
        }
    }

    if !p.relief.is_empty() {
        let last: Vec<_> = p.relief.iter().rev().take(10).rev().collect();
        let list: Vec<String> = last
            .iter()
            .map(|r| format!("{:+}{}", r.relief, if r.meaningful { "*" } else { "" }))
            .collect();
        let mean =
            p.relief.iter().map(|r| f64::from(r.relief)).sum::<f64>() / p.relief.len() as f64;
        let _ = writeln!(
            s,
            "\nRelief per session (before minus after), last {}: {}",
            last.len(),
            list.join(" ")
        );
        let _ = writeln!(
            s,
            "  average {mean:+.1} over {} session(s); * = meaningful (2 points or 30%)",
            p.relief.len()
        );
    }

    if let (Some(first), Some(last)) = (p.psfs.first(), p.psfs.last()) {
        let _ = writeln!(
            s,
            "\nActivities (PSFS, 0-10, higher is better): {} {:.1} -> {} {:.1} ({:+.1}{})",
            first.day,
            first.mean,
            last.day,
            last.mean,
            last.change,
            if last.meaningful { ", meaningful" } else { "" }
        );
    }

    let _ = writeln!(s, "\n{}", p.advice.message());
    s
}

/// Checks that a chart path ends in .svg or .png before any work is done.
pub fn chart_kind(path: &std::path::Path) -> anyhow::Result<&'static str> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("svg") => Ok("svg"),
        Some("png") => Ok("png"),
        _ => bail!("--chart {} must end in .svg or .png", path.display()),
    }
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
        ];
        let pts = session_points(&h);
        assert_eq!(pts[0].day.to_string(), "2026-11-25");
        assert!((pts[0].minutes - 12.5).abs() < 1e-9);
        assert!(!pts[1].practised, "30 s is not practice");
        assert!(pts[2].practised);
        assert!((pts[2].minutes - 4.0).abs() < 1e-9);
    }

    #[test]
    fn sparklines_use_a_fixed_zero_to_ten_scale() {
        assert_eq!(sparkline([0.0, 5.0, 10.0, 12.0]), "▁▅██");
        assert_eq!(hours_minutes(125.4), "2 h 05 min");
        assert_eq!(hours_minutes(9.6), "10 min");
    }
}
