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

/// The parts of a PCM WAV file that matter here.
#[derive(Debug)]
pub struct Wav {
    pub channels: u16,
    pub sample_rate: u32,
    pub bits: u16,
    pub samples: Vec<i16>,
}

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

/// Reads the RIFF chunks: `fmt ` for the format and `data` for the samples. The engine writes
/// the data size as "unknown" when it streams, so a size past the end means "to the end".
pub fn parse(bytes: &[u8]) -> Wav {
    assert!(
        bytes.len() > 44,
        "too short for a WAV file: {} bytes",
        bytes.len()
    );
    assert_eq!(&bytes[0..4], b"RIFF");
    assert_eq!(&bytes[8..12], b"WAVE");
    let mut i = 12;
    let mut fmt = None;
    while i + 8 <= bytes.len() {
        let id = &bytes[i..i + 4];
        let len = u32_at(bytes, i + 4) as usize;
        let body = i + 8;
        if id == b"fmt " {
            fmt = Some((
                u16_at(bytes, body + 2),
                u32_at(bytes, body + 4),
                u16_at(bytes, body + 14),
            ));
            assert_eq!(u16_at(bytes, body), 1, "PCM");
        } else if id == b"data" {
            let (channels, sample_rate, bits) = fmt.expect("fmt chunk before data");
            let end = body.saturating_add(len).min(bytes.len());
            let samples = bytes[body..end]
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]))
                .collect();
            return Wav {
                channels,
                sample_rate,
                bits,
                samples,
            };
        }
        i = body + len + (len & 1);
    }
    panic!("no data chunk");
}

/// Waits up to ten seconds for `f` to hold (for work done on other threads and processes; the
/// limit only keeps a broken test from hanging).
pub fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !f() {
        assert!(
            start.elapsed().as_secs() < 10,
            "timed out waiting until {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Writes an executable shell script.
#[cfg(unix)]
pub fn script(path: &std::path::Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}
