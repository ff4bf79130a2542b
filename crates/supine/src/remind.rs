//! `supine remind`: the plan's length and the next time the clock shows `--at` turned into a
//! daily iCalendar event (`supine_report::remind`) and written where asked.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use chrono::{Local, Utc};
use supine_report::remind::{Reminder, ics, next_occurrence, parse_time};

use crate::cli::{Cli, PlanArgs, RemindArgs};
use crate::files::data_dir;
use crate::practice::plan_for;

/// `supine remind`.
pub fn remind(cli: &Cli, args: &RemindArgs) -> anyhow::Result<()> {
    let at = parse_time(&args.at).context("--at")?;
    let plan = plan_for(
        cli,
        &PlanArgs {
            routine: args.routine.clone(),
            minutes: args.minutes,
            ..PlanArgs::default()
        },
    )?;
    let minutes = plan.total_ms.div_ceil(60_000).max(1);
    let text = ics(&Reminder {
        start: next_occurrence(Local::now().naive_local(), at),
        routine: &plan.routine_name,
        minutes,
        profile: &cli.profile,
        stamp: Utc::now(),
    });
    let path = match &args.ics {
        Some(p) if p.as_os_str() == "-" => {
            print!("{text}");
            return Ok(());
        }
        Some(p) => p.clone(),
        None => data_dir()?.join("reminder.ics"),
    };
    write_file(&path, &text)?;
    let mut msg = String::new();
    let _ = write!(
        msg,
        "Wrote a daily reminder at {} ({}, {minutes} min) to {}.\nOpen it with your calendar \
         app (or import it) to be reminded every day.",
        at.format("%H:%M"),
        plan.routine_name,
        path.display()
    );
    println!("{msg}");
    Ok(())
}

fn write_file(path: &PathBuf, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}
