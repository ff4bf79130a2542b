//! The subcommands that use the journal: plan, practice and screen.

use std::io::{self, IsTerminal, Write};
use std::sync::Arc;

use anyhow::{Context, bail};
use chrono::{DateTime, Duration, FixedOffset, Local, SecondsFormat};
use supine_core::plan::minutes_range;
use supine_core::progress::{Change, pain_change};
use supine_core::safety::{self, QUESTIONS, evaluate};
use supine_core::session::{EndReason, Record};
use supine_core::{Condition, Content, Level, Outcome, Plan, Session, compile};
use supine_store::practice::{self, CheckStatus, Remembered};
use supine_store::{Journal, NewSession, SessionEvent, SessionFinish, SessionId, is_postgres_url};
use supine_tui::{CameraFeed, PlayOutcome, PlayerOptions, SessionSink, VoiceOptions};

use crate::cli::{Cli, LevelArg, PlanArgs, PracticeArgs, Switch};
use crate::files::{journal_path, load_content};
use crate::plan_text::render;
use crate::prompt::Wrap;
use crate::{Exit, Usage, exit, prompt, term_text};

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
    Err(Usage(message).into())
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
    if a.easier {
        r.easier = true;
    }
    if a.no_easier {
        r.easier = false;
    }
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
        Usage(format!(
            "--condition: unknown condition \"{name}\"; known: {}",
            known.join(", ")
        ))
        .into()
    })
}

/// Checks each plan option on its own, before anything is asked or written, so that a bad one
/// is a usage error that names it (exit 2).
fn check_plan_args(content: &Content, a: &PlanArgs) -> anyhow::Result<()> {
    let alone = |name: &str, given: PlanArgs| -> anyhow::Result<()> {
        let r =
            merge_plan_args(Remembered::default(), &given).map_err(|e| Usage(format!("{e:#}")))?;
        compile(content, &r.plan_input(Vec::new())).map_err(|e| {
            let hint = match e {
                supine_core::PlanError::UnknownRoutine(_) => format!(
                    "; known: {}",
                    content
                        .routines
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                _ => String::new(),
            };
            Usage(format!("{name}: {e}{hint}"))
        })?;
        Ok(())
    };
    let none = PlanArgs::default;
    if a.routine.is_some() {
        alone(
            "--routine",
            PlanArgs {
                routine: a.routine.clone(),
                ..none()
            },
        )?;
    }
    if a.minutes.is_some() {
        alone(
            "--minutes",
            PlanArgs {
                minutes: a.minutes,
                ..none()
            },
        )?;
    }
    if a.inhale.is_some() {
        alone(
            "--inhale",
            PlanArgs {
                inhale: a.inhale,
                ..none()
            },
        )?;
    }
    if a.exhale.is_some() {
        alone(
            "--exhale",
            PlanArgs {
                exhale: a.exhale,
                ..none()
            },
        )?;
    }
    Ok(())
}

/// Loads the content, with a `--content` folder that is not there as a usage error.
fn content_for(cli: &Cli) -> anyhow::Result<Content> {
    if let Some(dir) = cli.content.as_deref()
        && !dir.is_dir()
    {
        return Err(Usage(format!(
            "--content: content folder {} does not exist",
            dir.display()
        ))
        .into());
    }
    load_content(cli.content.as_deref())
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
    let content = content_for(cli)?;
    check_plan_args(&content, args)?;
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
    let content = content_for(cli)?;
    check_plan_args(&content, args)?;
    let conditions_given = args
        .conditions
        .iter()
        .map(|c| parse_condition(c))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let journal = open_existing_journal(cli)?;
    let (remembered, mut conditions) = match &journal {
        Some(j) => (practice::load_remembered(&**j)?, screened_conditions(&**j)?),
        None => (Remembered::default(), Vec::new()),
    };
    let clinician = match &journal {
        Some(j) => practice::clinician_plan(&**j)?,
        None => None,
    };
    for c in conditions_given {
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
        if let Some(c) = &clinician {
            writeln!(out, "{}\n", term_text::show_lines(&c.sentence()))?;
        }
        write!(out, "{}", render(&plan))?;
    }
    Ok(())
}

/// Runs the full screening with line prompts and saves it. Returns the outcome. An emergency red
/// flag ends it at once: the urgent message is shown and the questions after it are not asked;
/// the answers given are saved.
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
        if q.ends_screening(a) {
            break;
        }
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
    let outcome = run_screening(&mut *j, &mut stdin.lock(), &mut Wrap::stdout())?;
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

/// The check before a session, with line prompts: the follow-up on the last session when one is
/// due (after a safety stop, or a session that left the pain worse), then the daily question;
/// every answer is saved. Not asked when a check or a full screening answered clear in the last
/// hour stands and there is nothing to follow up (the first run's screening asks everything the
/// daily question does).
fn run_checks(
    j: &mut dyn Journal,
    at: DateTime<FixedOffset>,
    input: &mut dyn io::BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let follow_up = practice::follow_up_due(j)?;
    if follow_up.is_none() && practice::check_status(j, at)? == CheckStatus::Clear {
        return Ok(Outcome::Clear {
            conditions: Vec::new(),
        });
    }
    let mut answers = Vec::new();
    for q in safety::daily_questions(follow_up) {
        writeln!(out)?;
        let a = prompt::ask_answer(&q, None, input, out)?;
        answers.push((q, a));
    }
    let outcome = safety::evaluate_checks(&answers);
    j.save_screening(&practice::checks_record(now(), &answers, &outcome))?;
    Ok(outcome)
}

/// Today's settings: the remembered ones with today's options over them. Bad options are usage
/// errors that name the option.
fn practice_settings(remembered: Remembered, args: &PracticeArgs) -> anyhow::Result<Remembered> {
    let mut r = merge_plan_args(remembered, &args.plan).map_err(|e| Usage(format!("{e:#}")))?;
    if let Some(v) = args.voice {
        r.voice = Some(v == Switch::On);
    }
    if let Some(rate) = args.rate {
        if !(80..=300).contains(&rate) {
            return Err(Usage(format!("--rate must be 80-300 words a minute (got {rate})")).into());
        }
        r.rate = Some(rate);
    }
    if let Some(v) = &args.voice_name {
        if v.trim().is_empty() {
            return Err(Usage("--voice-name must not be empty".into()).into());
        }
        r.voice_name = Some(v.clone());
    }
    if let Some(b) = args.breath_chimes {
        r.breath_chimes = Some(b == Switch::On);
    }
    if !(args.speed.is_finite() && args.speed > 0.0) {
        return Err(Usage(format!("--speed must be above 0 (got {})", args.speed)).into());
    }
    Ok(r)
}

pub(crate) fn voice_options(r: &Remembered) -> VoiceOptions {
    VoiceOptions {
        enabled: r.voice.unwrap_or(true),
        rate_wpm: r.rate.unwrap_or(150),
        voice: r.voice_name.clone(),
        breath_chimes: r.breath_chimes.unwrap_or(false),
    }
}

/// Checks a voice given with `--voice-name` against the installed engine, when there is one and
/// the voice is on. (A remembered voice that has gone falls back to the default in the player.)
fn check_voice_name(args: &PracticeArgs, r: &Remembered) -> anyhow::Result<()> {
    let Some(name) = &args.voice_name else {
        return Ok(());
    };
    let opts = voice_options(r);
    if !opts.enabled {
        return Ok(());
    }
    if let Some(espeak) = supine_tui::Espeak::detect(&opts)
        && espeak.check_voice().is_err()
    {
        return Err(Usage(format!(
            "--voice-name: espeak-ng has no voice \"{name}\"; `espeak-ng --voices` lists them"
        ))
        .into());
    }
    Ok(())
}

/// `supine practice --test-sound`: speaks a sentence and plays a chime, and says what worked.
fn test_sound(cli: &Cli, args: &PracticeArgs) -> anyhow::Result<()> {
    let remembered = match open_existing_journal(cli)? {
        Some(j) => practice::load_remembered(&*j)?,
        None => Remembered::default(),
    };
    let r = practice_settings(remembered, args)?;
    let opts = voice_options(&r);
    let mut out = Wrap::stdout();
    writeln!(out, "Checking the sound: a spoken sentence, then a chime.")?;
    out.flush()?;
    let check = supine_tui::sound_check(&opts);
    writeln!(out, "{check}")?;
    if !check.all_worked() {
        bail!("the sound check found a problem; see above for how to fix it");
    }
    Ok(())
}

/// `supine practice`.
pub fn practice(cli: &Cli, args: &PracticeArgs) -> anyhow::Result<()> {
    if args.test_sound {
        return test_sound(cli, args);
    }
    // Every option is checked before anything else, and long before the first question.
    let content = Arc::new(content_for(cli)?);
    check_plan_args(&content, &args.plan)?;
    let remembered = match open_existing_journal(cli)? {
        Some(j) => practice::load_remembered(&*j)?,
        None => Remembered::default(),
    };
    let r = practice_settings(remembered, args)?;
    check_voice_name(args, &r)?;
    check_minutes(&args.plan, &r, &content)?;
    // Remembered settings that no longer make a plan are an error too, found now.
    compile(&content, &r.plan_input(Vec::new()))?;
    // The camera's video is opened (and the pose models loaded) now, so a bad one stops here.
    let camera = args
        .camera
        .as_deref()
        .map(crate::camera::open)
        .transpose()?;
    if !io::stdin().is_terminal() || !io::stdout().is_terminal() {
        bail!(
            "practice needs an interactive terminal; to see the routine without one, use `supine plan`"
        );
    }

    let mut journal = open_journal(cli)?;
    let mut out = Wrap::stdout();
    let stdin = io::stdin();
    let mut input = stdin.lock();
    report_interrupted(&mut *journal, &mut out)?;
    if let Some(c) = practice::clinician_plan(&*journal)? {
        writeln!(out, "{}", term_text::show_lines(&c.sentence()))?;
    }

    // Safety first: the full screening when due, then the check before a session.
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
    let checks = run_checks(
        &mut *journal,
        Local::now().fixed_offset(),
        &mut input,
        &mut out,
    )?;
    if !matches!(checks, Outcome::Clear { .. }) {
        writeln!(out, "\n{}", checks.message())?;
        return Err(Exit(exit::NOT_SAFE).into());
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
    out.flush()?;

    let opts = PlayerOptions {
        voice: voice_options(&r),
        color: supine_tui::color_from_env(),
        speed: args.speed,
    };
    let session = Session::new(
        content,
        plan_input.clone(),
        pain_before,
        opts.voice.breath_chimes,
    )?;
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
    let mut sink = JournalSink {
        journal: &mut *journal,
        id,
    };
    // The video starts playing with the session.
    let (mut feed, running) = match camera {
        Some(c) => {
            let (feed, running) = c.start(args.speed)?;
            (Some(feed), Some(running))
        }
        None => (None, None),
    };
    let played = supine_tui::play(
        session,
        &opts,
        &mut sink,
        feed.as_mut().map(|f| f as &mut dyn CameraFeed),
    );
    drop(running);
    let (reason, pain_after) = match &played {
        Ok(o) => (o.end.as_str().to_owned(), o.pain_after),
        Err(_) => ("error".to_owned(), None),
    };
    // The reason for a safety stop (`played.safety_stop`) is kept in the session's events (its
    // "this hurts" report) until the journal has a column for it.
    journal.finish_session(
        id,
        &SessionFinish {
            ended_at: now(),
            end_reason: reason,
            pain_after,
        },
    )?;
    let outcome = played.context("the terminal player stopped")?;
    writeln!(out, "{}", summary(&outcome, pain_before))?;
    if outcome.end == EndReason::StoppedForSafety {
        return Err(Exit(exit::STOPPED_FOR_SAFETY).into());
    }
    if crate::psfs_cmd::due(&*journal, Local::now().date_naive())? {
        writeln!(
            out,
            "Your weekly activity check is due: run `supine psfs` (about a minute)."
        )?;
    }
    Ok(())
}

/// What is printed once the player has closed: after a safety stop its advice again (the player
/// showed it, but its screen is gone), then the pain before and after, with a meaningful
/// worsening said plainly; "well done" only when the session was practised and left the pain no
/// worse.
fn summary(o: &PlayOutcome, before: Option<u8>) -> String {
    let pains = before.zip(o.pain_after);
    let change = pains.map(|(b, a)| pain_change(f64::from(b), f64::from(a)));
    let pain_line = pains.map(|(b, a)| match change {
        Some(Change::Better) => format!("Pain before {b}, after {a}: {} less.", b - a),
        Some(Change::Worse) => format!("Pain before {b}, after {a}: worse than before."),
        _ => format!("Pain before {b}, after {a}."),
    });
    let mut out = Vec::new();
    if o.end == EndReason::StoppedForSafety {
        out.push(
            o.advice
                .clone()
                .unwrap_or_else(|| safety::STOP_NOW_MESSAGE.to_owned()),
        );
        out.extend(pain_line);
        out.push(
            "Your session is saved. Before your next one, supine asks whether this is still \
             there."
                .to_owned(),
        );
        return out.join("\n");
    }
    if change == Some(Change::Worse) {
        out.extend(pain_line);
        out.push(
            "Rest in a comfortable position. If it doesn't settle, contact a doctor or \
             physiotherapist. Before your next session, supine asks how it is."
                .to_owned(),
        );
        return out.join("\n");
    }
    let opening = match o.end {
        EndReason::Completed => "Well done.",
        EndReason::StoppedForPain => "Well done for listening to your body.",
        EndReason::Partial | EndReason::Quit | EndReason::StoppedForSafety => {
            "Your session is saved."
        }
    };
    match pain_line {
        Some(p) => format!("{opening} {p}"),
        None if opening.starts_with("Well done") => {
            format!("{opening} Your session is saved in your journal.")
        }
        None => opening.to_owned(),
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
    fn easier_is_remembered_until_turned_off() {
        let on = PlanArgs {
            easier: true,
            ..PlanArgs::default()
        };
        let r = merge_plan_args(Remembered::default(), &on).unwrap();
        assert!(r.easier);
        // Not given: the remembered choice stands.
        let r = merge_plan_args(r, &PlanArgs::default()).unwrap();
        assert!(r.easier);
        let off = PlanArgs {
            no_easier: true,
            ..PlanArgs::default()
        };
        assert!(!merge_plan_args(r, &off).unwrap().easier);
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

    fn played(end: EndReason, pain_after: Option<u8>) -> PlayOutcome {
        PlayOutcome {
            end,
            pain_after,
            safety_stop: None,
            advice: None,
        }
    }

    #[test]
    fn summary_reports_relief() {
        assert_eq!(
            summary(&played(EndReason::Completed, Some(3)), Some(5)),
            "Well done. Pain before 5, after 3: 2 less."
        );
        assert_eq!(
            summary(&played(EndReason::Completed, None), None),
            "Well done. Your session is saved in your journal."
        );
        assert_eq!(
            summary(&played(EndReason::Partial, Some(4)), Some(4)),
            "Your session is saved. Pain before 4, after 4."
        );
    }

    #[test]
    fn summary_says_worse_plainly_and_never_well_done_over_it() {
        for (b, a) in [(6, 8), (3, 4)] {
            let text = summary(&played(EndReason::Completed, Some(a)), Some(b));
            assert!(
                text.starts_with(&format!("Pain before {b}, after {a}: worse than before.")),
                "{text}"
            );
            assert!(text.contains("doctor or physiotherapist"), "{text}");
            assert!(!text.contains("Well done"), "{text}");
        }
        // 6 -> 7 is not a meaningful change.
        assert_eq!(
            summary(&played(EndReason::Completed, Some(7)), Some(6)),
            "Well done. Pain before 6, after 7."
        );
    }

    #[test]
    fn summary_after_a_safety_stop_repeats_the_advice_without_well_done() {
        let stop = safety::SafetyStop::Numbness;
        let o = PlayOutcome {
            end: EndReason::StoppedForSafety,
            pain_after: Some(8),
            safety_stop: Some(stop),
            advice: Some(stop.advice()),
        };
        let text = summary(&o, Some(6));
        assert!(text.starts_with(&stop.advice()), "{text}");
        assert!(
            text.contains("Pain before 6, after 8: worse than before."),
            "{text}"
        );
        assert!(!text.contains("Well done"), "{text}");
    }

    #[test]
    fn an_emergency_flag_ends_the_screening_at_once_and_keeps_the_answers() {
        let mut j = SqliteJournal::open_in_memory().unwrap();
        // "No" to the first question, "yes" to saddle numbness (the second), and nothing more.
        let mut out = Vec::new();
        let o = run_screening(&mut j, &mut "n\ny\n".as_bytes(), &mut out).unwrap();
        assert_eq!(o.code(), "see_clinician_urgently");
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(safety::URGENT_MESSAGE), "{text}");
        assert!(
            !text.contains("(3 of"),
            "no question after the flag: {text}"
        );
        let saved = j.latest_screening(ScreeningKind::Full).unwrap().unwrap();
        assert_eq!(saved.answers.len(), 2);
        assert_eq!(saved.outcome, "see_clinician_urgently");
    }

    fn clear_screening(j: &mut SqliteJournal, at: &str) {
        let answers: Vec<(String, safety::Answer)> = QUESTIONS
            .iter()
            .map(|q| (q.id.to_owned(), safety::Answer::No))
            .collect();
        let outcome = evaluate(&answers).unwrap();
        j.save_screening(&practice::full_screening_record(
            at.into(),
            &answers,
            &outcome,
        ))
        .unwrap();
    }

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn a_fresh_full_screening_stands_for_the_daily_check() {
        let mut j = SqliteJournal::open_in_memory().unwrap();
        clear_screening(&mut j, "2026-11-26T10:00:00+01:00");
        let mut out = Vec::new();
        // Nothing to read: asking anything would fail.
        let o = run_checks(
            &mut j,
            at("2026-11-26T10:01:00+01:00"),
            &mut "".as_bytes(),
            &mut out,
        )
        .unwrap();
        assert_eq!(o.code(), "clear");
        assert!(out.is_empty(), "{}", String::from_utf8_lossy(&out));
        // The next day the daily question is asked again.
        let mut out = Vec::new();
        let o = run_checks(
            &mut j,
            at("2026-11-27T10:00:00+01:00"),
            &mut "n\n".as_bytes(),
            &mut out,
        )
        .unwrap();
        assert_eq!(o.code(), "clear");
        assert!(
            String::from_utf8(out)
                .unwrap()
                .contains(safety::DAILY_CHECK.text)
        );
    }

    #[test]
    fn the_check_after_a_safety_stop_asks_about_it_first_and_keeps_both_answers() {
        let mut j = SqliteJournal::open_in_memory().unwrap();
        clear_screening(&mut j, "2026-11-20T09:00:00+01:00");
        let id = j
            .start_session(&NewSession {
                started_at: "2026-11-21T10:00:00+01:00".into(),
                routine_id: "lying-down-relief".into(),
                routine_name: "Lying-down relief".into(),
                settings: serde_json::json!({}),
                plan_total_ms: 600_000,
                segments_total: 10,
                pain_before: Some(4),
                pain_areas: Vec::new(),
                pain_spreads: None,
            })
            .unwrap();
        let hurt = Record::Hurt {
            pose: Some("bridge".into()),
            report: safety::HurtReport {
                pain: 5,
                sharp: false,
                spreading: false,
                numb: true,
            },
            rule: safety::StopRule::StopNow,
        };
        j.record_event(
            id,
            &SessionEvent::from_record(
                "2026-11-21T10:03:00+01:00".into(),
                serde_json::to_value(hurt).unwrap(),
            ),
        )
        .unwrap();
        j.finish_session(
            id,
            &SessionFinish {
                ended_at: "2026-11-21T10:04:00+01:00".into(),
                end_reason: EndReason::StoppedForSafety.as_str().into(),
                pain_after: Some(5),
            },
        )
        .unwrap();
        let mut out = Vec::new();
        let o = run_checks(
            &mut j,
            at("2026-11-22T10:00:00+01:00"),
            &mut "y\nn\n".as_bytes(),
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        let follow_up = text.find(safety::FOLLOW_UP_NUMBNESS.text).expect(&text);
        let daily = text.find(safety::DAILY_CHECK.text).expect(&text);
        assert!(follow_up < daily, "{text}");
        assert_eq!(o.code(), "see_clinician");
        assert_eq!(o.message(), safety::FOLLOW_UP_MESSAGE);
        let saved = j.latest_screening(ScreeningKind::Daily).unwrap().unwrap();
        assert_eq!(
            saved.answers,
            vec![
                ("follow_up_numbness".to_owned(), "yes".to_owned()),
                (safety::DAILY_CHECK.id.to_owned(), "no".to_owned()),
            ]
        );
    }
}
