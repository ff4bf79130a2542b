//! Benchmarks: compiling the default plan (target < 1 ms) and a plan sized with `--minutes`; a
//! whole camera-led session as a front end at 10 frames a second drives it.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use supine_core::plan::{Direction as Planned, SegmentKind};
use supine_core::seen::{Direction, Observation, Seen, Side};
use supine_core::{Content, DEFAULT_ROUTINE, Event, PlanInput, Session, Settings, compile};

/// What the camera would see at the end of segment kind `kind`, if anything.
fn movement(kind: SegmentKind, direction: Option<Planned>, t: f64) -> Option<Seen> {
    let side = match direction {
        Some(Planned::Right) => Side::Right,
        _ => Side::Left,
    };
    Some(match kind {
        SegmentKind::Circle => Seen::CircleDone {
            direction: match direction {
                Some(Planned::Anticlockwise) => Direction::Counterclockwise,
                _ => Direction::Clockwise,
            },
            number: 1,
            started: t - 4.0,
            size: 0.25,
            smoothness: 0.9,
        },
        SegmentKind::Lift => Seen::AtHeight { round: 1 },
        SegmentKind::Lower => Seen::RoundDone {
            round: 1,
            lifted: t - 30.0,
            top: t - 28.0,
            left_top: t - 4.0,
            hold_s: 24.0,
            height: 0.3,
            hips_level: true,
        },
        SegmentKind::Move => Seen::TwistReached { side },
        SegmentKind::Return => Seen::BackToMiddle {
            side,
            reached: t - 40.0,
            hold_s: 36.0,
            angle_deg: 60.0,
        },
        _ => return None,
    })
}

/// Plays a whole camera-led session: a tick every 100 ms (a frame), and every 4 s what the
/// camera would see of the movement under way. Returns the events handled.
fn camera_session(content: &Arc<Content>, input: &PlanInput) -> usize {
    let mut s = Session::new(content.clone(), input.clone(), Some(3), false).unwrap();
    s.handle(Event::Tick(0));
    s.handle(Event::Camera(true));
    let mut events = 2;
    let mut now = 0u64;
    while s.is_running() {
        now += 100;
        s.handle(Event::Tick(now));
        events += 1;
        let v = s.view();
        let t = now as f64 / 1000.0;
        if now.is_multiple_of(4000)
            && let Some(seen) = movement(v.kind, v.direction, t)
        {
            s.handle(Event::Seen(Observation {
                t,
                reported: t + 0.2,
                seen,
            }));
            events += 1;
        }
    }
    events
}

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
    let shared = Arc::new(content.clone());
    println!(
        "camera-led session: {} events (ticks every 100 ms and observations)",
        camera_session(&shared, &input)
    );
    c.bench_function("whole camera-led session, 10 ticks a second", |b| {
        b.iter(|| camera_session(black_box(&shared), black_box(&input)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
