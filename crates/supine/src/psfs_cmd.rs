//! `supine psfs`: the weekly Patient-Specific Functional Scale.
//!
//! A subcommand of its own rather than questions inside `practice`: it is weekly, not daily, it
//! needs no terminal player, and a person (or a clinician sitting with them) can answer it on any
//! day. `practice` says when it is due.

use std::io::{self, Write};

use anyhow::{Context, bail};
use chrono::NaiveDate;
use supine_core::progress::psfs_trend;
use supine_store::progress::psfs_points;
use supine_store::{Journal, PSFS_MAX_ITEMS, PsfsEntry, PsfsItem};

use crate::cli::{Cli, PsfsArgs};
use crate::practice::{now, open_journal};
use crate::prompt;

/// Journal setting that remembers the activities between checks.
const ACTIVITIES_KEY: &str = "psfs_activities";

/// Days between checks.
const EVERY_DAYS: i64 = 7;

/// Whether a PSFS check is due: none yet, or the latest is a week old or more.
pub fn due(j: &dyn Journal, today: NaiveDate) -> anyhow::Result<bool> {
    let Some(last) = j.psfs_entries()?.pop() else {
        return Ok(true);
    };
    let Ok(taken) = chrono::DateTime::parse_from_rfc3339(&last.taken_at) else {
        return Ok(true);
    };
    Ok((today - taken.date_naive()).num_days() >= EVERY_DAYS)
}

fn clean_activities(given: &[String]) -> anyhow::Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for a in given {
        let a = a.trim().to_owned();
        if a.is_empty() {
            bail!("an --activity must not be empty");
        }
        if !out.contains(&a) {
            out.push(a);
        }
    }
    if out.len() > PSFS_MAX_ITEMS {
        bail!(
            "the activity check has at most {PSFS_MAX_ITEMS} activities (got {})",
            out.len()
        );
    }
    Ok(out)
}

/// Asks the check with line prompts and stores it. Returns the entry.
pub fn run(
    j: &mut dyn Journal,
    given: &[String],
    input: &mut dyn io::BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<PsfsEntry> {
    let given = clean_activities(given)?;
    let remembered: Option<Vec<String>> = j
        .load_setting(ACTIVITIES_KEY)?
        .and_then(|v| serde_json::from_value(v).ok())
        .filter(|v: &Vec<String>| !v.is_empty() && v.len() <= PSFS_MAX_ITEMS);
    let activities = match (given.is_empty(), remembered) {
        (false, _) => given,
        (true, Some(r)) => r,
        (true, None) => prompt::ask_activities(PSFS_MAX_ITEMS, input, out)?,
    };
    if activities.is_empty() {
        bail!("no activities were named, so nothing was saved");
    }
    let mut items = Vec::new();
    for activity in &activities {
        // A remembered activity comes from the journal (or an import): shown escaped.
        let score = prompt::ask_psfs_score(&crate::term_text::show(activity), input, out)?;
        items.push(PsfsItem {
            activity: activity.clone(),
            score,
        });
    }
    let entry = PsfsEntry {
        taken_at: now(),
        items,
    };
    j.save_psfs(&entry)?;
    j.save_setting(ACTIVITIES_KEY, &serde_json::to_value(&activities)?)?;
    Ok(entry)
}

/// `supine psfs`.
pub fn psfs(cli: &Cli, args: &PsfsArgs) -> anyhow::Result<()> {
    let mut j = open_journal(cli)?;
    let stdin = io::stdin();
    // Word-wrapped to the terminal, like every prompt.
    let mut out = prompt::Wrap::stdout();
    run(&mut *j, &args.activities, &mut stdin.lock(), &mut out)?;
    let entries = j.psfs_entries()?;
    let points = psfs_points(&entries);
    let trend = psfs_trend(&points);
    let last = trend.last().context("the entry just saved is missing")?;
    write!(out, "\nSaved. Your average today: {:.1} of 10", last.mean)?;
    if trend.len() > 1 {
        let first = &trend[0];
        write!(
            out,
            " (first check {}: {:.1}; {:+.1}{})",
            first.day,
            first.mean,
            last.change,
            if last.meaningful {
                ", a meaningful improvement"
            } else {
                ""
            }
        )?;
    }
    writeln!(out, ".")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use supine_store::SqliteJournal;

    #[test]
    fn activities_are_asked_once_then_remembered() {
        let mut j = SqliteJournal::open_in_memory().unwrap();
        let mut input = "sitting\nwalking\n\n4\n6\n".as_bytes();
        let e = run(&mut j, &[], &mut input, &mut Vec::new()).unwrap();
        let got: Vec<(&str, u8)> = e
            .items
            .iter()
            .map(|i| (i.activity.as_str(), i.score))
            .collect();
        assert_eq!(got, vec![("sitting", 4), ("walking", 6)]);
        // Next time: only the scores.
        let mut input = "5\n7\n".as_bytes();
        let mut out = Vec::new();
        let e = run(&mut j, &[], &mut input, &mut out).unwrap();
        assert_eq!(e.items[1].score, 7);
        assert!(!String::from_utf8(out).unwrap().contains("Name up to"));
        let taken = chrono::DateTime::parse_from_rfc3339(&e.taken_at)
            .unwrap()
            .date_naive();
        assert!(!due(&j, taken + chrono::Days::new(6)).unwrap());
        assert!(due(&j, taken + chrono::Days::new(7)).unwrap());
        let four: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        let err = run(&mut j, &four, &mut "".as_bytes(), &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("at most 3"), "{err}");
    }
}
