//! The subcommands that use the journal: plan, practice and screen.

use std::io::{self, IsTerminal, Write};
use std::sync::Arc;

use anyhow::{Context, bail};
use chrono::{Duration, Local, SecondsFormat};
use supine_core::plan::minutes_range;
use supine_core::safety::{DAILY_CHECK, QUESTIONS, evaluate, evaluate_daily};
use supine_core::session::Record;
use supine_core::{Condition, Content, Level, Outcome, Plan, Session, compile};
use supine_store::practice::{self, Remembered};
use supine_store::{Journal, NewSession, SessionEvent, SessionFinish, SessionId, is_postgres_url};
use supine_tui::{PlayerOptions, SessionSink, VoiceOptions};

use crate::cli::{Cli, LevelArg, PlanArgs, PracticeArgs, Switch};
use crate::files::{journal_path, load_content};
use crate::plan_text::render;
use crate::{Exit, exit, prompt};

/// How long an open session may go without a heartbeat before it counts as interrupted.
const STALE_MINUTES: i64 = 2;

/// The current local time as the journal stores it.
pub fn now() -> String {
    Local::now().to_rfc3339_opts(SecondsFormat::Millis, false)
}

/// Opens the journal (an SQLite file or a PostgreSQL database) for `--profile`.
pub fn open_journal(cli: &Cli) -> anyhow::Result<Box<dyn Journal>> {
    let db = journal_path(cli.db.as_deref())?;
    Ok(supine_store::open_journal(&db, &cli.profile)?)
}

/// Opens the journal only if it already exists (so `plan` never creates files). A PostgreSQL
/// database is always there.
pub fn open_existing_journal(cli: &Cli) -> anyhow::Result<Option<Box<dyn Journal>>> {
    let db = journal_path(cli.db.as_deref())?;
    let is_url = db.to_str().is_some_and(is_postgres_url);
    if !is_url && !db.exists() {
        return Ok(None);
    }
    Ok(Some(supine_store::open_journal(&db, &cli.profile)?))
}

fn seconds_to_ms(s: f64, what: &str) -> anyhow::Result<u32> {
    if !s.is_finite() || s <= 0.0 || s > 60.0 {
        bail!("--{what} must be a number of seconds, e.g. 4 (got {s})");
    }
    Ok((s * 1000.0).round() as u32)
}

/// Refuses an explicit `--minutes` that the routine cannot reach with these settings (its breath,
/// level and easier versions; conditions from the screening can only shorten it further, and the
/// plan then says how close it came): a usage error, exit 2, naming the range.
fn check_minutes(args: &PlanArgs, r: &Remembered, content: &Content) -> anyhow::Result<()> {
    let Some(m) = args.minutes else {
        return Ok(());
    };
    let input = r.plan_input(Vec::new());
    let range = minutes_range(content, &input)?;
    if range.contains(m) {
        return Ok(());
    }
    let pace = input.settings.pace;
    let message = format!(
        "--minutes {m}: this routine takes {range} at your breath ({} s in, {} s out); choose a \
         length in that range, or a slower breath (--inhale, --exhale) for a longer routine",
        f64::from(pace.inhale_ms) / 1000.0,
        f64::from(pace.exhale_ms) / 1000.0
    );
    // Said the way clap says its own usage errors, and before anything is asked.
    let _ = writeln!(io::stderr(), "error: {message}");
    Err(Exit(exit::USAGE).into())
}

/// `check_minutes` for a command that has not loaded its content and settings yet.
fn check_minutes_first(cli: &Cli, args: &PlanArgs) -> anyhow::Result<()> {
    if args.minutes.is_none() {
        return Ok(());
    }
    let content = load_content(cli.content.as_deref())?;
    let remembered = match open_existing_journal(cli)? {
        Some(j) => practice::load_remembered(&*j)?,
        None => Remembered::default(),
    };
    check_minutes(args, &merge_plan_args(remembered, args)?, &content)
}

/// Applies the given command-line options over the remembered ones.
fn merge_plan_args(mut r: Remembered, a: &PlanArgs) -> anyhow::Result<Remembered> {
    if let Some(x) = &a.routine {
        r.routine = Some(x.clone());
    }
    if let Some(m) = a.minutes {
        r.minutes = Some(m);
    }
    if let Some(l) = a.level {
        r.level = Some(match l {
            LevelArg::Gentle => Level::Gentle,
            LevelArg::Standard => Level::Standard,
        });
    }
    if let Some(s) = a.inhale {
        r.inhale_ms = Some(seconds_to_ms(s, "inhale")?);
    }
    if let Some(s) = a.exhale {
        r.exhale_ms = Some(seconds_to_ms(s, "exhale")?);
    }
    r.easier |= a.easier;
    Ok(r)
}

fn parse_condition(name: &str) -> anyhow::Result<Condition> {
    let key = name.trim().to_lowercase().replace('-', "_");
    serde_json::from_value(serde_json::Value::String(key)).map_err(|_| {
        let known: Vec<String> = Condition::ALL
            .iter()
            .map(|c| {
                serde_json::to_value(c)
                    .ok()
                    .and_then(|v| v.as_str().map(|s| s.replace('_', "-")))
                    .unwrap_or_default()
            })
            .collect();
        anyhow::anyhow!("unknown condition \"{name}\"; known: {}", known.join(", "))
    })
}

/// Conditions from the latest full screening, if it was clear (however old: `plan` and
/// `remind` show what practice would adapt).
fn screened_conditions(j: &dyn Journal) -> anyhow::Result<Vec<Condition>> {
    Ok(practice::full_screening(j, Local::now().fixed_offset())?
        .map(|s| s.conditions())
        .unwrap_or_default())
}

/// The plan `practice` would follow with these options: for `remind`.
pub fn plan_for(cli: &Cli, args: &PlanArgs) -> anyhow::Result<Plan> {
    let content = load_content(cli.content.as_deref())?;
    let journal = open_existing_journal(cli)?;
    let (remembered, conditions) = match &journal {
        Some(j) => (practice::load_remembered(&**j)?, screened_conditions(&**j)?),
        None => (Remembered::default(), Vec::new()),
    };
    let r = merge_plan_args(remembered, args)?;
    check_minutes(args, &r, &content)?;
    let input = r.plan_input(conditions);
    Ok(compile(&content, &input)?)
}

/// `supine plan`.
pub fn plan(cli: &Cli, args: &PlanArgs) -> anyhow::Result<()> {
    let content = load_content(cli.content.as_deref())?;
    let journal = open_existing_journal(cli)?;
    let (remembered, mut conditions) = match &journal {
        Some(j) => (practice::load_remembered(&**j)?, screened_conditions(&**j)?),
        None => (Remembered::default(), Vec::new()),
    };
    for c in &args.conditions {
        let c = parse_condition(c)?;
        if !conditions.contains(&c) {
            conditions.push(c);
        }
    }
    let r = merge_plan_args(remembered, args)?;
    check_minutes(args, &r, &content)?;
    let input = r.plan_input(conditions);
    let plan = compile(&content, &input)?;
    let mut out = io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &plan)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", render(&plan))?;
    }
    Ok(())
}

/// Runs the full screening with line prompts and saves it. Returns the outcome.
fn run_screening(
    j: &mut dyn Journal,
    input: &mut dyn io::BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    writeln!(
        out,
        "A few safety questions first. They help decide whether these exercises are right for you \
         today, and adjust them if needed. Answer y (yes), n (no) or ? (not sure)."
    )?;
    let mut answers = Vec::new();
    for (i, q) in QUESTIONS.iter().enumerate() {
        let a = prompt::ask_answer(q, Some((i + 1, QUESTIONS.len())), input, out)?;
        answers.push((q.id.to_owned(), a));
    }
    let outcome = evaluate(&answers)?;
    j.save_screening(&practice::full_screening_record(now(), &answers, &outcome))?;
    writeln!(out, "\n{}", outcome.message())?;
    Ok(outcome)
}

/// `supine screen`.
pub fn screen(cli: &Cli) -> anyhow::Result<()> {
    let mut j = open_journal(cli)?;
    let stdin = io::stdin();
    let outcome = run_screening(&mut *j, &mut stdin.lock(), &mut io::stdout())?;
    if matches!(outcome, Outcome::SeeClinician { .. }) {
        return Err(Exit(exit::NOT_SAFE).into());
    }
    Ok(())
}

struct JournalSink<'a> {
    journal: &'a mut dyn Journal,
    id: SessionId,
}

impl SessionSink for JournalSink<'_> {
    fn record(&mut self, r: &Record) -> Result<(), String> {
        let data = serde_json::to_value(r).map_err(|e| e.to_string())?;
        self.journal
            .record_event(self.id, &SessionEvent::from_record(now(), data))
            .map_err(|e| e.to_string())
    }

    fn heartbeat(&mut self) -> Result<(), String> {
        self.journal
            .heartbeat(self.id, &now())
            .map_err(|e| e.to_string())
    }
}

pub(crate) fn report_interrupted(j: &mut dyn Journal, out: &mut dyn Write) -> anyhow::Result<()> {
    let stale = (Local::now() - Duration::minutes(STALE_MINUTES))
        .to_rfc3339_opts(SecondsFormat::Millis, false);
    for s in j.mark_interrupted(&stale)? {
        writeln!(
            out,
            "Your session of {} was interrupted after {} of {} parts; what you did is kept in your journal.",
            short_date(&s.started_at),
            s.segments_done,
            s.segments_total
        )?;
    }
    Ok(())
}

/// `2026-11-26 14:05` from an RFC 3339 timestamp, or the text as given.
pub fn short_date(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| rfc3339.to_owned())
}

/// `supine practice`.
pub fn practice(cli: &Cli, args: &PracticeArgs) -> anyhow::Result<()> {
    check_minutes_first(cli, &args.plan)?;
    if !io::stdin().is_terminal() || !io::stdout().is_terminal() {
        bail!(
            "practice needs an interactive terminal; to see the routine without one, use `supine plan`"
        );
    }
    let content = Arc::new(load_content(cli.content.as_deref())?);
    let mut journal = open_journal(cli)?;
    let mut out = io::stdout();
    let stdin = io::stdin();
    let mut input = stdin.lock();
    report_interrupted(&mut *journal, &mut out)?;

    // Safety first: the full screening when due, then the daily check.
    let on_file = practice::full_screening(&*journal, Local::now().fixed_offset())?;
    let current = match on_file {
        // A stored screening that cannot be read is an error, not a reason to ask again.
        Some(s) if s.fresh.clone()? => Some(s.outcome?),
        _ => None,
    };
    let outcome = match current {
        Some(o @ Outcome::Clear { .. }) => o,
        Some(o) => {
            writeln!(out, "{}", o.message())?;
            return Err(Exit(exit::NOT_SAFE).into());
        }
        None => run_screening(&mut *journal, &mut input, &mut out)?,
    };
    let Outcome::Clear { conditions } = outcome else {
        return Err(Exit(exit::NOT_SAFE).into());
    };
    writeln!(out)?;
    let daily = prompt::ask_answer(&DAILY_CHECK, None, &mut input, &mut out)?;
    let daily_outcome = evaluate_daily(daily);
    journal.save_screening(&practice::daily_check_record(now(), daily, &daily_outcome))?;
    if !matches!(daily_outcome, Outcome::Clear { .. }) {
        writeln!(out, "\n{}", daily_outcome.message())?;
        return Err(Exit(exit::NOT_SAFE).into());
    }

    // Settings: remembered, then today's options (which are remembered for next time).
    let mut r = merge_plan_args(practice::load_remembered(&*journal)?, &args.plan)?;
    if let Some(v) = args.voice {
        r.voice = Some(v == Switch::On);
    }
    if let Some(rate) = args.rate {
        if !(80..=300).contains(&rate) {
            bail!("--rate must be 80-300 words a minute (got {rate})");
        }
        r.rate = Some(rate);
    }
    if let Some(v) = &args.voice_name {
        r.voice_name = Some(v.clone());
    }
    if let Some(b) = args.breath_chimes {
        r.breath_chimes = Some(b == Switch::On);
    }
    let plan_input = r.plan_input(conditions);
    // Check the plan compiles before remembering the settings that made it.
    let plan: Plan = compile(&content, &plan_input)?;
    practice::save_remembered(&mut *journal, &r)?;

    writeln!(out)?;
    let pain_before = prompt::ask_pain(
        "How strong is your back pain right now?",
        &mut input,
        &mut out,
    )?;
    let (pain_areas, pain_spreads) = match pain_before {
        Some(p) if p > 0 => (
            prompt::ask_pain_areas(&mut input, &mut out)?,
            prompt::ask_yes_no("Does the pain spread down a leg?", &mut input, &mut out)?,
        ),
        _ => (Vec::new(), None),
    };
    drop(input);

    let breath_chimes = r.breath_chimes.unwrap_or(false);
    let session = Session::new(content, plan_input.clone(), pain_before, breath_chimes)?;
    let id = journal.start_session(&NewSession {
        started_at: now(),
        routine_id: plan.routine_id.clone(),
        routine_name: plan.routine_name.clone(),
        settings: serde_json::to_value(&plan_input)?,
        plan_total_ms: plan.total_ms,
        segments_total: plan.segments.len() as u32,
        pain_before,
        pain_areas,
        pain_spreads,
    })?;
    let opts = PlayerOptions {
        voice: VoiceOptions {
            enabled: r.voice.unwrap_or(true),
            rate_wpm: r.rate.unwrap_or(150),
            voice: r.voice_name.clone(),
            breath_chimes,
        },
        color: supine_tui::color_from_env(),
        speed: args.speed,
    };
    let mut sink = JournalSink {
        journal: &mut *journal,
        id,
    };
    let played = supine_tui::play(session, &opts, &mut sink);
    let (reason, pain_after) = match &played {
        Ok(o) => (o.end.as_str().to_owned(), o.pain_after),
        Err(_) => ("error".to_owned(), None),
    };
    journal.finish_session(
        id,
        &SessionFinish {
            ended_at: now(),
            end_reason: reason,
            pain_after,
        },
    )?;
    let outcome = played.context("the terminal player stopped")?;
    writeln!(out, "{}", summary(pain_before, outcome.pain_after))?;
    if crate::psfs_cmd::due(&*journal, Local::now().date_naive())? {
        writeln!(
            out,
            "Your weekly activity check is due: run `supine psfs` (about a minute)."
        )?;
    }
    Ok(())
}

fn summary(before: Option<u8>, after: Option<u8>) -> String {
    match (before, after) {
        (Some(b), Some(a)) if a < b => {
            format!("Well done. Pain before {b}, after {a}: {} less.", b - a)
        }
        (Some(b), Some(a)) => format!("Well done. Pain before {b}, after {a}."),
        _ => "Well done. Your session is saved in your journal.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use supine_store::{ScreeningKind, SqliteJournal};

    #[test]
    fn options_override_remembered_settings() {
        let r = Remembered {
            minutes: Some(12.0),
            inhale_ms: Some(3000),
            ..Remembered::default()
        };
        let args = PlanArgs {
            exhale: Some(5.0),
            level: Some(LevelArg::Gentle),
            ..PlanArgs::default()
        };
        let s = merge_plan_args(r, &args).unwrap().settings();
        assert_eq!((s.pace.inhale_ms, s.pace.exhale_ms), (3000, 5000));
        assert_eq!((s.level, s.minutes), (Level::Gentle, Some(12.0)));
        let bad = PlanArgs {
            inhale: Some(-1.0),
            ..PlanArgs::default()
        };
        assert!(merge_plan_args(Remembered::default(), &bad).is_err());
    }

    #[test]
    fn conditions_parse_in_kebab_or_snake_case() {
        assert_eq!(
            parse_condition("neck-or-shoulder-injury").unwrap(),
            Condition::NeckOrShoulderInjury
        );
        assert_eq!(
            parse_condition("Osteoporosis").unwrap(),
            Condition::Osteoporosis
        );
        let e = parse_condition("knees").unwrap_err().to_string();
        assert!(e.contains("disc-herniation"), "{e}");
    }

    #[test]
    fn screening_is_saved_and_red_flags_are_reported() {
        let mut j = SqliteJournal::open_in_memory().unwrap();
        let answers = QUESTIONS
            .iter()
            .map(|q| {
                if q.id == "saddle_numbness" {
                    "y\n"
                } else {
                    "n\n"
                }
            })
            .collect::<String>();
        let mut out = Vec::new();
        let o = run_screening(&mut j, &mut answers.as_bytes(), &mut out).unwrap();
        assert_eq!(o.code(), "see_clinician_urgently");
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("emergency"), "{text}");
        let saved = j.latest_screening(ScreeningKind::Full).unwrap().unwrap();
        assert_eq!(saved.outcome, "see_clinician_urgently");
        assert!(screened_conditions(&j).unwrap().is_empty());
    }

    #[test]
    fn summary_reports_relief() {
        assert_eq!(
            summary(Some(5), Some(3)),
            "Well done. Pain before 5, after 3: 2 less."
        );
    }
}
