//! Lateness benchmark: plays a short session through the real event loop against the real clock
//! (really sleeping between wake-ups, as the player does between key polls), drawing into a
//! `TestBackend`, and measures for every chime and spoken cue how long after its breath boundary
//! the speaker was called. Target: p99 under 15 ms.
//!
//! It takes as long as the plan (about three minutes), so it only runs under `cargo bench`:
//! `cargo bench -p supine-tui --bench lateness`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use supine_core::plan::Chime;
use supine_core::session::Record;
use supine_core::{Content, DEFAULT_ROUTINE, Pace, PlanInput, Session, Settings};
use supine_tui::{Io, ScriptedInput, SessionSink, Speaker, SystemClock, UiState, run};

/// Notes when each call arrives, in milliseconds since the clock's origin.
struct Stamped {
    origin: Instant,
    at: Vec<(f64, String)>,
}

impl Stamped {
    fn stamp(&mut self, what: String) {
        self.at
            .push((self.origin.elapsed().as_secs_f64() * 1000.0, what));
    }
}

impl Speaker for Stamped {
    fn speak(&mut self, text: &str) {
        self.stamp(format!("speak {text:?}"));
    }
    fn stop(&mut self) {}
    fn chime(&mut self, chime: Chime) {
        self.stamp(format!("chime {chime:?}"));
    }
}

struct NullSink;

impl SessionSink for NullSink {
    fn record(&mut self, _r: &Record) -> Result<(), String> {
        Ok(())
    }
    fn heartbeat(&mut self) -> Result<(), String> {
        Ok(())
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("lateness: skipped outside `cargo bench` (it runs in real time)");
        return;
    }
    let input = PlanInput {
        routine_id: DEFAULT_ROUTINE.into(),
        settings: Settings {
            pace: Pace {
                inhale_ms: 2000,
                exhale_ms: 2000,
            },
            minutes: Some(2.0),
            ..Settings::default()
        },
        conditions: vec![],
        overrides: BTreeMap::new(),
    };
    let session = Session::new(Arc::new(Content::builtin()), input, Some(3), false).unwrap();
    let (total, breath) = (session.plan().total_ms, session.plan().breath_ms);
    println!(
        "lateness: playing {:.1} minutes in real time ({} segments, {} ms breaths)",
        total as f64 / 60_000.0,
        session.plan().segments.len(),
        breath
    );
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut sink = NullSink;
    let clock = SystemClock::new();
    let mut speaker = Stamped {
        origin: clock.origin(),
        at: Vec::new(),
    };
    // Answer "how is your pain now?" a little after the end.
    let mut keys = ScriptedInput::new(clock).type_at(total + 1500, "0\n");
    let started = Instant::now();
    run(
        &mut term,
        session,
        UiState::new(true),
        Io {
            input: &mut keys,
            clock: &clock,
            speaker: &mut speaker,
            sink: &mut sink,
        },
    )
    .unwrap();
    let wall = started.elapsed();

    // The first cue comes with the first tick, which is plan time 0.
    let t0 = speaker.at[0].0.floor();
    let mut late: Vec<f64> = speaker
        .at
        .iter()
        .map(|(t, _)| t - t0)
        // Cues after the end come from the pain answer (a key), not from a boundary.
        .filter(|&pos| pos < (total + 1000) as f64)
        .map(|pos| pos - (pos / breath as f64).floor() * breath as f64)
        .collect();
    late.sort_by(f64::total_cmp);
    let worst = speaker
        .at
        .iter()
        .map(|(t, what)| {
            let pos = t - t0;
            (pos - (pos / breath as f64).floor() * breath as f64, what)
        })
        .filter(|(l, _)| *l < 1000.0)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap();
    println!(
        "lateness: {} cues over {:.1} s: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (worst: {})",
        late.len(),
        wall.as_secs_f64(),
        percentile(&late, 0.5),
        percentile(&late, 0.99),
        late.last().unwrap(),
        worst.1
    );
}
