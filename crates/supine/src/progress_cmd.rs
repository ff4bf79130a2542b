//! `supine progress`: the journal's history (as `supine_store::progress` reads it) turned into
//! core progress maths, printed as a terminal summary with sparklines and bars, as JSON, or drawn
//! as charts. The journal is opened read-only.
//!
//! How much the camera watched over the last [`CAMERA_DAYS`] days comes from
//! `supine_store::seen` (`camera` in the JSON, a few lines in the summary once it has been used).

use std::fmt::Write as _;
use std::io::{self, Write};

use anyhow::Context;
use chrono::Local;
use serde::Serialize;
use supine_core::progress::{Change, Day, Progress, RELIEF_MARKS, progress};
use supine_report::chart;
use supine_store::progress::{day_of_date, psfs_points, session_points};
use supine_store::seen::{self, CameraUse};

use crate::cli::{Cli, ProgressArgs};
use crate::log_cmd::open_read_only;
use crate::term_text::show;

/// `supine progress`.
pub fn run(cli: &Cli, args: &ProgressArgs) -> anyhow::Result<()> {
    if let Some(path) = &args.chart {
        chart::chart_kind(path)?;
    }
    let today = match &args.today {
        Some(t) => Day::parse(t)
            .with_context(|| format!("--today must be a date like 2026-11-26 (got {t:?})"))?,
        None => day_of_date(Local::now().date_naive()).context("today is out of range")?,
    };
    // Reading never writes: a read-only file, a full disk or an unknown profile all read.
    let j = open_read_only(cli)?;
    let (history, psfs) = (j.history()?, j.psfs_entries()?);
    let p = progress(&session_points(&history), &psfs_points(&psfs), today);
    let camera = seen::camera_use_between(&*j, &history, today.plus(1 - CAMERA_DAYS), today)?;
    if let Some(path) = &args.chart {
        chart::draw(path, &p)?;
    }
    let mut out = io::stdout().lock();
    if args.json {
        let shown = Shown {
            progress: &p,
            camera: &camera,
        };
        serde_json::to_writer_pretty(&mut out, &shown)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", summary(&p, &camera, &cli.profile, args.weeks))?;
        if let Some(path) = &args.chart {
            writeln!(out, "\nCharts written to {}", path.display())?;
        }
    }
    Ok(())
}

/// How many days, up to today, the camera's share is counted over.
pub use seen::CAMERA_DAYS;

/// `progress --json`: the core report's fields, and `camera`.
#[derive(Serialize)]
struct Shown<'a> {
    #[serde(flatten)]
    progress: &'a Progress,
    /// Sessions the camera watched in the last [`CAMERA_DAYS`] days, and the latest of them.
    camera: &'a CameraUse,
}

/// The camera's lines of the summary: nothing until it has watched a session in the last
/// [`CAMERA_DAYS`] days.
fn camera_summary(c: &CameraUse) -> String {
    let (Some(last), Some(share)) = (&c.last, c.share()) else {
        return String::new();
    };
    let mut s = format!("\nCamera:    {} ({:.0}%)\n", c.watched(), share * 100.0);
    if let Some(line) = seen::line(&last.seen) {
        let _ = writeln!(
            s,
            "  latest, {}: {}",
            show(&crate::practice::short_date(&last.started_at)),
            show(&line)
        );
    }
    s
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

/// The terminal summary, with what the camera watched.
pub fn summary(p: &Progress, camera: &CameraUse, profile: &str, weeks: usize) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Progress for {}, as of {}\n", show(profile), p.today);
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
        let list: Vec<String> = last.iter().map(|r| r.short()).collect();
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
            "  average {mean:+.1} over {} session(s); {RELIEF_MARKS}",
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

    s += &camera_summary(camera);
    let _ = writeln!(s, "\n{}", p.advice.message());
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_camera_is_summed_up_once_it_has_watched_a_session() {
        use supine_core::session::PoseSeen;
        use supine_store::seen::{CameraSession, SeenPose};
        let none = CameraUse {
            sessions: 4,
            with_camera: 0,
            last: None,
        };
        assert_eq!(camera_summary(&none), "");
        let seen = vec![SeenPose {
            step: 2,
            pose: Some("bridge".into()),
            seen: PoseSeen {
                rounds: 3,
                holds_s: vec![4.0, 4.5, 3.75],
                ..PoseSeen::default()
            },
        }];
        let some = CameraUse {
            sessions: 3,
            with_camera: 2,
            last: Some(CameraSession {
                started_at: "2026-12-01T09:00:00+01:00".into(),
                totals: seen::totals(&seen),
                seen,
            }),
        };
        assert_eq!(
            camera_summary(&some),
            "\nCamera:    watched 2 of 3 sessions in the last 4 weeks (67%)\n  latest, \
             2026-12-01 09:00: bridge 3 rounds, held 4.0 4.5 3.8 s\n"
        );
    }

    #[test]
    fn sparklines_use_a_fixed_zero_to_ten_scale() {
        assert_eq!(sparkline([0.0, 5.0, 10.0, 12.0]), "▁▅██");
        assert_eq!(hours_minutes(125.4), "2 h 05 min");
        assert_eq!(hours_minutes(9.6), "10 min");
    }
}
