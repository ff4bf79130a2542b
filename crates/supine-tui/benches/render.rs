//! Benchmarks: building the view and drawing one frame into a `TestBackend` at 60x20 (the
//! compact layout, which may try all three densities), 80x24 and 160x48 (target < 2 ms), as the
//! player does up to twenty times a second.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use supine_core::plan::SegmentKind;
use supine_core::{Content, DEFAULT_ROUTINE, Event, PlanInput, Session, Settings};
use supine_tui::{UiState, draw};

/// Two moments of a bridge hold half a second apart, so every frame changes the breath shape.
fn sessions() -> [Session; 2] {
    let input = PlanInput {
        routine_id: DEFAULT_ROUTINE.into(),
        settings: Settings::default(),
        conditions: vec![],
        overrides: BTreeMap::new(),
    };
    let s = Session::new(Arc::new(Content::builtin()), input, Some(3), false).unwrap();
    let hold = s
        .plan()
        .segments
        .iter()
        .find(|seg| seg.kind == SegmentKind::Hold)
        .unwrap()
        .start_ms;
    [hold + 1000, hold + 1500].map(|pos| {
        let mut s = s.clone();
        s.handle(Event::Tick(0));
        s.handle(Event::Tick(pos));
        s
    })
}

fn bench(c: &mut Criterion) {
    let sessions = sessions();
    let ui = UiState::new(true);
    for (w, h) in [(60, 20), (80, 24), (160, 48)] {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        let mut i = 0;
        c.bench_function(&format!("view + draw one frame at {w}x{h}"), |b| {
            b.iter(|| {
                i ^= 1;
                let view = black_box(&sessions[i]).view();
                term.draw(|f| draw(f, &view, &ui)).unwrap();
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
