//! Plays the default routine in this terminal, keeping the journal nowhere.
//!
//! `cargo run -p supine-tui --example demo [-- --fast] [--silent] [--breath-chimes]`
//!
//! `--fast` breathes 2 s in and 2 s out with the dose sized towards two minutes.

use std::collections::BTreeMap;
use std::sync::Arc;

use supine_core::session::Record;
use supine_core::{Content, DEFAULT_ROUTINE, Pace, PlanInput, Session, Settings};
use supine_tui::{PlayerOptions, SessionSink, VoiceOptions, play};

struct Nowhere;

impl SessionSink for Nowhere {
    fn record(&mut self, _r: &Record) -> Result<(), String> {
        Ok(())
    }
    fn heartbeat(&mut self) -> Result<(), String> {
        Ok(())
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    let mut settings = Settings::default();
    if has("--fast") {
        settings.pace = Pace {
            inhale_ms: 2000,
            exhale_ms: 2000,
        };
        settings.minutes = Some(2.0);
    }
    let input = PlanInput {
        routine_id: DEFAULT_ROUTINE.into(),
        settings,
        conditions: vec![],
        overrides: BTreeMap::new(),
    };
    let breath_chimes = has("--breath-chimes");
    let session = match Session::new(Arc::new(Content::builtin()), input, Some(3), breath_chimes) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let opts = PlayerOptions {
        voice: VoiceOptions {
            enabled: !has("--silent"),
            breath_chimes,
            ..VoiceOptions::default()
        },
        ..PlayerOptions::default()
    };
    match play(session, &opts, &mut Nowhere, None) {
        Ok(outcome) => println!("{outcome:?}"),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
