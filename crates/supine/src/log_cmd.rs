//! `supine log`: the recent sessions of a profile, as a table or as JSON.

use std::io::{self, Write};

use supine_store::SessionStatus;

use crate::cli::{Cli, LogArgs};
use crate::plan_text::clock;
use crate::practice::{open_existing_journal, report_interrupted, short_date};

/// `supine log`.
pub fn log(cli: &Cli, args: &LogArgs) -> anyhow::Result<()> {
    let Some(mut j) = open_existing_journal(cli)? else {
        if args.json {
            println!("[]");
        } else {
            println!("No sessions yet. Start one with `supine practice`.");
        }
        return Ok(());
    };
    let mut out = io::stdout().lock();
    let mut note = Vec::new();
    report_interrupted(&mut *j, &mut note)?;
    let sessions = j.recent_sessions(args.limit)?;
    if args.json {
        serde_json::to_writer_pretty(&mut out, &sessions)?;
        writeln!(out)?;
        return Ok(());
    }
    if sessions.is_empty() {
        writeln!(out, "No sessions yet. Start one with `supine practice`.")?;
    }
    for s in &sessions {
        let status = match s.status {
            SessionStatus::Finished => s.end_reason.clone().unwrap_or_default().replace('_', " "),
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
        writeln!(
            out,
            "{}  {:<18} {:<16} {:>3}/{:<3} parts  {:>5}  {}",
            short_date(&s.started_at),
            s.routine_name,
            status,
            s.segments_done,
            s.segments_total,
            clock(s.plan_total_ms),
            pain
        )?;
    }
    Ok(())
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
}
