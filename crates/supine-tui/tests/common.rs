//! Shared helpers: sessions, a sink that remembers, and rendering a frame.

use std::collections::BTreeMap;
use std::sync::Arc;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use supine_core::session::Record;
use supine_core::{Content, DEFAULT_ROUTINE, Event, Pace, PlanInput, Session, Settings};
use supine_tui::{SessionSink, UiState, draw};

/// The default routine at the default pace, with pain 3 before.
pub fn session() -> Session {
    session_with(Settings::default())
}

/// The default routine with these settings, with pain 3 before.
pub fn session_with(settings: Settings) -> Session {
    let input = PlanInput {
        routine_id: DEFAULT_ROUTINE.into(),
        settings,
        conditions: vec![],
        overrides: BTreeMap::new(),
    };
    Session::new(Arc::new(Content::builtin()), input, Some(3), false).unwrap()
}

/// A short plan: 2 s in, 2 s out, as close to two minutes as the dose allows.
pub fn fast_settings() -> Settings {
    Settings {
        pace: Pace {
            inhale_ms: 2000,
            exhale_ms: 2000,
        },
        minutes: Some(2.0),
        ..Settings::default()
    }
}

/// Starts `s` and moves it to `pos_ms` in one tick.
pub fn at(mut s: Session, pos_ms: u64) -> Session {
    s.handle(Event::Tick(0));
    s.handle(Event::Tick(pos_ms));
    s
}

/// The start of the first segment matching `pred`.
pub fn start_of(s: &Session, pred: impl Fn(&supine_core::plan::Segment) -> bool) -> u64 {
    s.plan()
        .segments
        .iter()
        .find(|seg| pred(seg))
        .unwrap()
        .start_ms
}

/// Draws one frame of `s` at `w`x`h`.
pub fn frame(s: &Session, ui: &UiState, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    let view = s.view();
    t.draw(|f| draw(f, &view, ui)).unwrap();
    t
}

/// The frame as text, one line per row.
pub fn text(t: &Terminal<TestBackend>) -> String {
    t.backend().to_string()
}

/// A sink that remembers everything, and can be told to fail.
#[derive(Debug, Default)]
pub struct MemorySink {
    pub records: Vec<Record>,
    pub heartbeats: usize,
    pub fail: bool,
}

impl SessionSink for MemorySink {
    fn record(&mut self, r: &Record) -> Result<(), String> {
        if self.fail {
            return Err("database is locked".into());
        }
        self.records.push(r.clone());
        Ok(())
    }

    fn heartbeat(&mut self) -> Result<(), String> {
        self.heartbeats += 1;
        Ok(())
    }
}
