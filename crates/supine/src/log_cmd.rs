//! `supine log`: the recent sessions of a profile, as a table or as JSON.
//!
//! Reading never writes: the journal is opened read-only (no migration, no new profile), so
//! `log` works on a read-only file and on a full disk, and `--profile X` does not create X. A
//! session left open with no sign of life for [`STALE_MINUTES`] shows as interrupted without
//! being marked so; the next `practice` or `serve` marks it.
//!
//! What the camera saw is read out of each session's events by [`supine_store::seen`]: `--json`
//! gives every session a `seen` list (empty without the camera), and the table a line under each
//! session the camera watched.

use std::io::{self, Write};

use chrono::{DateTime, Duration, Local};
use serde::Serialize;
use supine_store::seen::{self, SeenPose};
use supine_store::{Journal, STALE_MINUTES, SessionRecord, SessionStatus, practice};

use crate::cli::{Cli, LogArgs};
use crate::files::journal_path;
use crate::plan_text::clock;
use crate::practice::short_date;
use crate::term_text::show;

/// Opens the journal (an SQLite file or a PostgreSQL database) for `--profile` for reading
/// only: nothing is written, a missing file or profile reads as empty.
pub fn open_read_only(cli: &Cli) -> anyhow::Result<Box<dyn Journal>> {
    let db = journal_path(cli.db.as_deref())?;
    Ok(supine_store::open_journal_read_only(&db, &cli.profile)?)
}

/// `supine log`.
pub fn log(cli: &Cli, args: &LogArgs) -> anyhow::Result<()> {
    let j = open_read_only(cli)?;
    let mut sessions = j.recent_sessions(args.limit)?;
    show_abandoned_as_interrupted(&mut sessions, Local::now().fixed_offset());
    let mut out = io::stdout().lock();
    if args.json {
        let shown: Vec<Logged> = sessions.iter().map(Logged::of).collect();
        serde_json::to_writer_pretty(&mut out, &shown)?;
        writeln!(out)?;
        return Ok(());
    }
    if sessions.is_empty() {
        writeln!(out, "No sessions yet. Start one with `supine practice`.")?;
    }
    for s in &sessions {
        writeln!(out, "{}", line(s))?;
        if let Some(camera) = camera_line(s) {
            writeln!(out, "{camera}")?;
        }
    }
    Ok(())
}

/// A session as `log --json` shows it: the stored record, and what the camera saw of each pose.
#[derive(Serialize)]
struct Logged<'a> {
    #[serde(flatten)]
    record: &'a SessionRecord,
    /// Pose by pose, in order; empty for a session without the camera.
    seen: Vec<SeenPose>,
}

impl Logged<'_> {
    fn of(record: &SessionRecord) -> Logged<'_> {
        Logged {
            record,
            seen: seen::session_seen(record),
        }
    }
}

/// The line under a session the camera watched, escaped like the rest of the table (pose ids
/// come from content files).
fn camera_line(s: &SessionRecord) -> Option<String> {
    seen::line(&seen::session_seen(s)).map(|l| format!("    camera: {}", show(&l)))
}

/// Open sessions not seen for [`STALE_MINUTES`] before `now` read as interrupted: their
/// terminal or server is gone (a crash, a closed lid), but nothing has marked them yet.
fn show_abandoned_as_interrupted(
    sessions: &mut [SessionRecord],
    now: DateTime<chrono::FixedOffset>,
) {
    let stale_before = now - Duration::minutes(STALE_MINUTES);
    for s in sessions
        .iter_mut()
        .filter(|s| s.status == SessionStatus::Open)
    {
        let seen = DateTime::parse_from_rfc3339(&s.last_seen_at);
        if seen.is_ok_and(|seen| seen < stale_before) {
            s.status = SessionStatus::Interrupted;
        }
    }
}

/// One session as a line of the table; text from the journal is shown with its control
/// characters escaped.
fn line(s: &SessionRecord) -> String {
    let status = match s.status {
        SessionStatus::Finished => {
            let reason = show(s.end_reason.as_deref().unwrap_or_default()).replace('_', " ");
            // A safety stop says which symptom stopped it, as the next check asks about it.
            match practice::last_session_of(s).and_then(|l| l.safety_stop) {
                Some(stop) => format!("{reason}: {}", stop.as_str().replace('_', " ")),
                None => reason,
            }
        }
        SessionStatus::Interrupted => "interrupted".into(),
        SessionStatus::Open => "in progress".into(),
    };
    let pain = match (s.pain_before, s.pain_after) {
        (Some(b), Some(a)) => format!("pain {b} -> {a}"),
        (Some(b), None) => format!("pain {b} before"),
        (None, Some(a)) => format!("pain {a} after"),
        (None, None) => String::new(),
    };
    let pain = pain + &where_it_hurt(&s.pain_areas, s.pain_spreads);
    format!(
        "{}  {:<18} {:<16} {:>3}/{:<3} parts  {:>5}  {}",
        show(&short_date(&s.started_at)),
        show(&s.routine_name),
        status,
        s.segments_done,
        s.segments_total,
        clock(s.plan_total_ms),
        pain
    )
}

/// `" (lower back, leg; spreads down a leg)"`, or nothing when not asked.
fn where_it_hurt(areas: &[supine_store::PainArea], spreads: Option<bool>) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !areas.is_empty() {
        let names: Vec<String> = areas.iter().map(|a| a.as_str().replace('_', " ")).collect();
        parts.push(names.join(", "));
    }
    if spreads == Some(true) {
        parts.push("spreads down a leg".to_owned());
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_says_where_it_hurt() {
        use supine_store::PainArea;
        assert_eq!(
            where_it_hurt(&[PainArea::LowerBack, PainArea::Leg], Some(true)),
            " (lower back, leg; spreads down a leg)"
        );
        assert_eq!(where_it_hurt(&[PainArea::Hips], Some(false)), " (hips)");
        assert_eq!(where_it_hurt(&[], None), "");
    }

    fn record(status: SessionStatus, last_seen_at: &str) -> SessionRecord {
        SessionRecord {
            id: 1,
            uid: String::new(),
            started_at: "2026-11-26T14:00:00+01:00".into(),
            last_seen_at: last_seen_at.into(),
            ended_at: None,
            routine_id: "supine-basics".into(),
            routine_name: "Supine basics".into(),
            settings: serde_json::json!({}),
            status,
            end_reason: None,
            pain_before: None,
            pain_after: None,
            pain_areas: Vec::new(),
            pain_spreads: None,
            plan_total_ms: 600_000,
            segments_total: 12,
            segments_done: 3,
            events: Vec::new(),
        }
    }

    #[test]
    fn an_open_session_silent_for_two_minutes_reads_as_interrupted() {
        let now = DateTime::parse_from_rfc3339("2026-11-26T14:10:00+01:00").unwrap();
        let mut sessions = vec![
            // Seen 2 min 1 s ago, in another offset: abandoned.
            record(SessionStatus::Open, "2026-11-26T13:07:59Z"),
            // Seen exactly 2 minutes ago: not yet.
            record(SessionStatus::Open, "2026-11-26T14:08:00+01:00"),
            // Finished long ago: stays finished.
            record(SessionStatus::Finished, "2026-11-26T14:01:00+01:00"),
        ];
        show_abandoned_as_interrupted(&mut sessions, now);
        let got: Vec<SessionStatus> = sessions.iter().map(|s| s.status).collect();
        assert_eq!(
            got,
            [
                SessionStatus::Interrupted,
                SessionStatus::Open,
                SessionStatus::Finished
            ]
        );
        assert!(line(&sessions[0]).contains("interrupted"));
        assert!(line(&sessions[1]).contains("in progress"));
    }

    #[test]
    fn text_from_the_journal_reaches_the_terminal_escaped() {
        let mut s = record(SessionStatus::Finished, "2026-11-26T14:10:00+01:00");
        s.routine_name = "Basics\u{1b}[2J\u{1b}]0;pwned\u{7}".into();
        s.end_reason = Some("done\u{1b}[31m".into());
        let shown = line(&s);
        assert!(
            !shown.contains('\u{1b}') && !shown.contains('\u{7}'),
            "{shown:?}"
        );
        assert!(
            shown.contains("Basics\\x1b[2J\\x1b]0;pwned\\x07"),
            "{shown}"
        );
        assert!(shown.contains("done\\x1b[31m"), "{shown}");
    }

    #[test]
    fn a_camera_led_session_gets_a_line_and_a_seen_list() {
        use supine_core::session::{PoseSeen, Record};
        let mut s = record(SessionStatus::Finished, "2026-11-26T14:10:00+01:00");
        assert_eq!(camera_line(&s), None);
        assert_eq!(
            serde_json::to_value(Logged::of(&s)).unwrap()["seen"],
            serde_json::json!([])
        );
        let r = Record::Seen {
            step: 1,
            pose: Some("knee-circles\u{1b}[2J".into()),
            seen: PoseSeen {
                clockwise: 5,
                anticlockwise: 5,
                ..PoseSeen::default()
            },
        };
        s.events.push(supine_store::SessionEvent::from_record(
            "2026-11-26T14:03:00+01:00".into(),
            serde_json::to_value(&r).unwrap(),
        ));
        assert_eq!(
            camera_line(&s).unwrap(),
            "    camera: knee-circles\\x1b[2J 5 clockwise, 5 anticlockwise"
        );
        let v = serde_json::to_value(Logged::of(&s)).unwrap();
        assert_eq!(v["routine_id"], "supine-basics");
        assert_eq!(v["events"].as_array().unwrap().len(), 1);
        assert_eq!(v["seen"][0]["step"], 1);
        assert_eq!(v["seen"][0]["clockwise"], 5);
    }

    #[test]
    fn a_safety_stop_says_which_symptom_stopped_it() {
        let mut s = record(SessionStatus::Finished, "2026-11-26T14:10:00+01:00");
        s.end_reason = Some("stopped_for_safety".into());
        let hurt = |numb: bool, spreading: bool| supine_store::SessionEvent {
            at: "2026-11-26T14:05:00+01:00".into(),
            kind: "hurt".into(),
            data: serde_json::json!({
                "report": {"pain": 6, "sharp": false, "spreading": spreading, "numb": numb}
            }),
        };
        s.events = vec![hurt(false, true)];
        assert!(
            line(&s).contains("stopped for safety: spreading pain"),
            "{}",
            line(&s)
        );
        s.events = vec![hurt(false, true), hurt(true, false)];
        assert!(
            line(&s).contains("stopped for safety: numbness"),
            "{}",
            line(&s)
        );
        s.end_reason = Some("completed".into());
        assert!(!line(&s).contains("numbness"), "{}", line(&s));
    }
}
