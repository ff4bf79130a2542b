//! Benchmarks: compiling the default plan (target < 1 ms) and a plan sized with `--minutes`.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use supine_core::{Content, DEFAULT_ROUTINE, PlanInput, Settings, compile};

fn bench(c: &mut Criterion) {
    let content = Content::builtin();
    let input = PlanInput {
        routine_id: DEFAULT_ROUTINE.into(),
        settings: Settings::default(),
        conditions: vec![],
        overrides: BTreeMap::new(),
    };
    c.bench_function("compile default plan", |b| {
        b.iter(|| compile(black_box(&content), black_box(&input)).unwrap())
    });
    let mut sized = input.clone();
    sized.settings.minutes = Some(20.0);
    c.bench_function("compile plan sized to 20 minutes", |b| {
        b.iter(|| compile(black_box(&content), black_box(&sized)).unwrap())
    });
    c.bench_function("load built-in content", |b| b.iter(Content::builtin));
}

criterion_group!(benches, bench);
criterion_main!(benches);
