//! Property tests of a camera-led session: whatever the camera sees, in whatever order, mixed
//! with keys, "this hurts" and the camera going on and off, the plan keeps its invariants, the
//! position only moves forward (but for "back"), no count passes the plan, and losing the
//! camera at any moment ends in the timer leading, never a stall: ticks alone reach the end.

use std::sync::Arc;

use proptest::prelude::*;
use supine_core::plan::Plan;
use supine_core::seen::{Direction, Observation, Part, Pose, Seen, Side};
use supine_core::session::{HurtChoice, LOST_MS, Record, Screen, WAIT_BREATHS};
use supine_core::{Content, Effect, Event, Session};

use crate::session_props::{Move, check_plan, check_rebuild, choice, hurt_events, input};

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Left), Just(Side::Right)]
}

fn part() -> impl Strategy<Value = Part> {
    proptest::sample::select(Part::ALL.to_vec())
}

/// Anything an analyzer may say, with fields from the plausible to the absurd.
fn seen() -> impl Strategy<Value = Seen> {
    let height = prop_oneof![0.0f32..0.6, Just(f32::NAN), Just(-1.0f32)];
    prop_oneof![
        6 => (
            prop_oneof![Just(Direction::Clockwise), Just(Direction::Counterclockwise)],
            0u32..30,
            -30.0f64..30.0,
            0.0f32..1.0,
            0.0f32..1.0,
        )
            .prop_map(|(direction, number, started, size, smoothness)| Seen::CircleDone {
                direction,
                number,
                started,
                size,
                smoothness,
            }),
        3 => (0u32..6).prop_map(|round| Seen::AtHeight { round }),
        2 => (prop_oneof![Just(Pose::Bridge), Just(Pose::Twist)], 0.0f64..60.0)
            .prop_map(|(pose, seconds)| Seen::HoldSoFar { pose, seconds }),
        1 => (0u32..6, 0.0f64..60.0).prop_map(|(round, hold_s)| Seen::Lowering { round, hold_s }),
        3 => (0u32..6, -5.0f64..60.0, height).prop_map(|(round, hold_s, height)| Seen::RoundDone {
            round,
            lifted: 0.0,
            top: 1.0,
            left_top: 2.0,
            hold_s,
            height,
            hips_level: true,
        }),
        3 => side().prop_map(|side| Seen::TwistReached { side }),
        3 => (side(), -5.0f64..60.0).prop_map(|(side, hold_s)| Seen::BackToMiddle {
            side,
            reached: 0.0,
            hold_s,
            angle_deg: 50.0,
        }),
        2 => side().prop_map(|side| Seen::ShoulderLifted { side }),
        1 => side().prop_map(|side| Seen::ShoulderDown { side }),
        2 => part().prop_map(|part| Seen::CantSee { part }),
        2 => part().prop_map(|part| Seen::SeeAgain { part }),
        1 => Just(Seen::EdgeOn),
        1 => Just(Seen::PersonLost),
        1 => Just(Seen::PersonFound),
    ]
}

fn observation() -> impl Strategy<Value = Observation> {
    (
        seen(),
        prop_oneof![0.0f64..6.0, Just(f64::NAN), Just(-3.0), Just(1e12)],
    )
        .prop_map(|(seen, lag)| Observation {
            t: 100.0 - lag,
            reported: 100.0,
            seen,
        })
}

#[derive(Debug, Clone)]
enum Step {
    Wait(u64),
    See(Observation),
    Send(Event),
    Hurt {
        pain: u8,
        spreading: bool,
        numb: bool,
        choice: HurtChoice,
    },
}

fn key() -> impl Strategy<Value = Event> {
    prop_oneof![
        Just(Event::Pause),
        Just(Event::Resume),
        Just(Event::Next),
        Just(Event::Back),
        Just(Event::Quit),
        any::<bool>().prop_map(Event::Answer),
        any::<bool>().prop_map(Event::Camera),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0u64..15_000).prop_map(Step::Wait),
        8 => observation().prop_map(Step::See),
        2 => key().prop_map(Step::Send),
        1 => (0u8..=10, prop::bool::weighted(0.1), prop::bool::weighted(0.1), choice())
            .prop_map(|(pain, spreading, numb, choice)| Step::Hurt { pain, spreading, numb, choice }),
    ]
}

/// Everything that must hold across one event.
#[derive(Default)]
struct Watch {
    /// Each plan played, so that a summary is held to the circles, rounds and sides planned.
    plans: Vec<Plan>,
}

impl Watch {
    fn send(&mut self, s: &mut Session, event: Event) -> Result<Vec<Effect>, TestCaseError> {
        let (pos, total, left) = (s.position_ms(), s.plan().total_ms, s.view().total_left_ms);
        let fx = s.handle(event);
        if !self.plans.iter().any(|p| p == s.plan()) {
            self.plans.push(s.plan().clone());
        }
        let view = s.view();
        check_plan(s.plan())?;
        prop_assert!(s.position_ms() <= s.plan().total_ms);
        prop_assert!(view.segment < s.plan().segments.len());
        prop_assert!(s.plan().total_ms <= total, "the routine never gets longer");
        if event != Event::Back {
            prop_assert!(s.position_ms() >= pos, "position moved back on {:?}", event);
            prop_assert!(view.total_left_ms <= left, "time left grew on {:?}", event);
        }
        if let Some(cam) = &view.camera
            && let Some((seen, planned)) = cam.circles
        {
            prop_assert!(seen <= planned, "{} circles of {}", seen, planned);
        }
        if !matches!(event, Event::Seen(_) | Event::Tick(_) | Event::Camera(_)) {
            return Ok(fx);
        }
        for e in &fx {
            if let Effect::Record(Record::Seen { step, seen, .. }) = e {
                let planned: u32 = self
                    .plans
                    .iter()
                    .map(|p| p.steps[*step].reps.unwrap_or(0))
                    .sum();
                prop_assert!(seen.clockwise <= planned, "{:?}", seen);
                prop_assert!(seen.anticlockwise <= planned, "{:?}", seen);
                prop_assert!(seen.rounds <= planned, "{:?}", seen);
                let sides = self.plans.len() * 2;
                prop_assert!(seen.sides.len() <= sides, "{:?}", seen);
                prop_assert!(seen.holds_s.iter().all(|h| *h >= 0.0), "{:?}", seen);
            }
            // Nothing seen speaks over a question: while one is asked, observations are mute.
            if let (Event::Seen(_), Effect::Speak(_)) = (event, e) {
                prop_assert!(
                    matches!(view.screen, Screen::Playing | Screen::PainAfter),
                    "spoke on {:?} in {:?}",
                    event,
                    view.screen
                );
            }
        }
        Ok(fx)
    }
}

/// The most ticks a session may need to end: every segment could be a set whose end is held
/// twice (a lift, then a lowering), each hold ended by one tick.
fn tick_budget(s: &Session) -> usize {
    3 * s.plan().segments.len() + 10
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    /// A camera-led session rebuilt from its journaled events (what the camera saw among them)
    /// is the live session, whose server ticked it up to a second after each moment it asked
    /// for.
    #[test]
    fn a_camera_led_session_rebuilt_from_its_events_is_the_live_session(
        input in input(),
        steps in proptest::collection::vec(step(), 0..160),
        late in proptest::collection::vec(0u64..1000, 1..8),
        later in 0u64..60_000,
    ) {
        let mut moves = vec![Move::Events(vec![Event::Camera(true)])];
        moves.extend(steps.into_iter().map(|step| match step {
            Step::Wait(ms) => Move::Wait(ms),
            Step::See(o) => Move::Events(vec![Event::Seen(o)]),
            Step::Send(e) => Move::Events(vec![e]),
            Step::Hurt { pain, spreading, numb, choice } => {
                Move::Events(hurt_events(pain, false, spreading, numb, choice).to_vec())
            }
        }));
        check_rebuild(&input, Some(3), &moves, &late, later)?;
    }

    #[test]
    fn whatever_is_seen_the_plan_holds_and_no_count_passes_it(
        input in input(),
        steps in proptest::collection::vec(step(), 0..160),
    ) {
        let mut s = Session::new(Arc::new(Content::builtin()), input, Some(3), true).unwrap();
        let mut w = Watch::default();
        let mut now = 0;
        w.send(&mut s, Event::Tick(now))?;
        w.send(&mut s, Event::Camera(true))?;
        for step in steps {
            match step {
                Step::Wait(ms) => {
                    now += ms;
                    w.send(&mut s, Event::Tick(now))?;
                }
                Step::See(o) => {
                    w.send(&mut s, Event::Seen(o))?;
                }
                Step::Send(e) => {
                    w.send(&mut s, e)?;
                }
                Step::Hurt { pain, spreading, numb, choice } => {
                    let before = s.is_running();
                    let fx = w.send(&mut s, Event::Hurt)?;
                    if before {
                        prop_assert_eq!(s.view().screen, Screen::Hurt);
                        prop_assert!(fx.contains(&Effect::StopSpeech), "this hurts works as ever");
                    }
                    for e in [
                        Event::Pain(pain),
                        Event::Answer(false),
                        Event::Answer(spreading),
                        Event::Answer(numb),
                        Event::Choose(choice),
                    ] {
                        w.send(&mut s, e)?;
                    }
                    if before && (spreading || numb) {
                        prop_assert!(s.safety_stop().is_some(), "the stop rule is unchanged");
                    }
                }
            }
        }
        // Whatever came before, a running session reaches its end with ticks alone.
        if s.view().screen == Screen::Paused {
            w.send(&mut s, Event::Resume)?;
        }
        if s.view().screen == Screen::Playing {
            for _ in 0..tick_budget(&s) {
                now += s.plan().breath_ms * WAIT_BREATHS + 1;
                w.send(&mut s, Event::Tick(now))?;
                if s.view().screen != Screen::Playing {
                    break;
                }
            }
            prop_assert_eq!(s.view().screen, Screen::PainAfter, "ticks alone reach the end");
        }
    }

    #[test]
    fn losing_the_camera_at_any_moment_ends_with_the_timer_leading(
        input in input(),
        before in proptest::collection::vec(
            prop_oneof![
                (0u64..15_000).prop_map(Step::Wait),
                observation().prop_map(Step::See),
            ],
            0..80,
        ),
        lag in 0.0f64..5.0,
        ticks in proptest::collection::vec(1u64..25_000, 1..40),
    ) {
        let mut s = Session::new(Arc::new(Content::builtin()), input, None, false).unwrap();
        let mut w = Watch::default();
        let mut now = 0;
        w.send(&mut s, Event::Tick(now))?;
        w.send(&mut s, Event::Camera(true))?;
        for step in before {
            match step {
                Step::Wait(ms) => {
                    now += ms;
                    w.send(&mut s, Event::Tick(now))?;
                }
                Step::See(o) if !matches!(o.seen, Seen::PersonFound) => {
                    w.send(&mut s, Event::Seen(o))?;
                }
                _ => {}
            }
        }
        w.send(&mut s, Event::Seen(Observation { t: 100.0 - lag, reported: 100.0, seen: Seen::PersonLost }))?;
        let lost_at = now;
        // Ticks of any size, then as many as the budget needs.
        let mut ticks = ticks.into_iter();
        for _ in 0..tick_budget(&s) * 40 {
            if s.view().screen != Screen::Playing {
                break;
            }
            now += ticks.next().unwrap_or(s.plan().breath_ms * WAIT_BREATHS + 1);
            w.send(&mut s, Event::Tick(now))?;
            let cam = s.view().camera.expect("the camera is on");
            if now >= lost_at + LOST_MS {
                prop_assert!(!cam.following, "followed a lost camera at {}", now - lost_at);
                prop_assert!(!cam.waiting, "waited for a lost camera");
            }
        }
        prop_assert_eq!(s.view().screen, Screen::PainAfter, "ticks alone reach the end");
    }
}
