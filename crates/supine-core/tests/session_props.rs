//! Property tests of the session machine: whatever keys, ticks, "this hurts" answers and choices
//! come, at whatever moments, the plan keeps its invariants, the position never passes the end
//! nor moves back (but for "back"), the routine never gets longer, and the endings keep their
//! promises (pain after only from a pain answer, a safety stop always ends as one, with its
//! advice, and nothing happens after the end); and a session replayed from its events and their
//! times alone, as a journal would keep them, is the live session ([`check_rebuild`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;
use supine_core::plan::Plan;
use supine_core::replay::Input;
use supine_core::session::{EndReason, HurtChoice, Record, Screen};
use supine_core::{
    Condition, Content, DEFAULT_ROUTINE, Effect, Event, Level, Pace, PlanInput, Session, Settings,
};

/// What a front end may send, with "this hurts" as one whole exchange so that the choices
/// after it come often and at random moments.
#[derive(Debug, Clone)]
enum Step {
    /// Time passes by this many milliseconds.
    Wait(u64),
    /// One event as it comes.
    Send(Event),
    /// "This hurts", its four answers, then a choice.
    Hurt {
        pain: u8,
        sharp: bool,
        spreading: bool,
        numb: bool,
        choice: HurtChoice,
    },
}

/// "This hurts" and its answers, as a front end sends them.
pub(crate) fn hurt_events(
    pain: u8,
    sharp: bool,
    spreading: bool,
    numb: bool,
    choice: HurtChoice,
) -> [Event; 6] {
    [
        Event::Hurt,
        Event::Pain(pain),
        Event::Answer(sharp),
        Event::Answer(spreading),
        Event::Answer(numb),
        Event::Choose(choice),
    ]
}

pub(crate) fn choice() -> impl Strategy<Value = HurtChoice> {
    prop_oneof![
        Just(HurtChoice::Easier),
        Just(HurtChoice::Skip),
        Just(HurtChoice::End),
        Just(HurtChoice::Resume),
    ]
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        Just(Event::Pause),
        Just(Event::Resume),
        Just(Event::TogglePause),
        Just(Event::Next),
        Just(Event::Back),
        Just(Event::Hurt),
        Just(Event::Quit),
        any::<bool>().prop_map(Event::Answer),
        (0u8..=12).prop_map(Event::Pain),
        choice().prop_map(Event::Choose),
        (0u64..400_000).prop_map(Event::Tick),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0u64..40_000).prop_map(Step::Wait),
        4 => event().prop_map(Step::Send),
        3 => (0u8..=10, any::<bool>(), prop::bool::weighted(0.15), prop::bool::weighted(0.1), choice())
            .prop_map(|(pain, sharp, spreading, numb, choice)| Step::Hurt { pain, sharp, spreading, numb, choice }),
    ]
}

pub(crate) fn input() -> impl Strategy<Value = PlanInput> {
    (
        2u32..=8,
        2u32..=12,
        prop_oneof![Just(Level::Gentle), Just(Level::Standard)],
        proptest::option::of(1.0f64..=30.0),
        any::<bool>(),
        proptest::sample::subsequence(Condition::ALL.to_vec(), 0..=2),
    )
        .prop_map(|(i, e, level, minutes, easier, conditions)| PlanInput {
            routine_id: DEFAULT_ROUTINE.into(),
            settings: Settings {
                pace: Pace {
                    inhale_ms: i * 1000,
                    exhale_ms: e * 1000,
                },
                level,
                minutes,
                easier,
            },
            conditions,
            overrides: BTreeMap::new(),
        })
}

/// The plan's own invariants: segments tile its time in whole breaths, in order, each step's
/// segments where the step says.
pub(crate) fn check_plan(plan: &Plan) -> Result<(), TestCaseError> {
    let mut t = 0;
    for (i, g) in plan.segments.iter().enumerate() {
        prop_assert_eq!(g.index, i);
        prop_assert_eq!(g.start_ms, t);
        prop_assert!(g.breaths >= 1);
        prop_assert_eq!(g.duration_ms, u64::from(g.breaths) * plan.breath_ms);
        prop_assert_eq!(g.speak.len(), g.breaths as usize);
        prop_assert_eq!(g.start_ms % plan.breath_ms, 0);
        t += g.duration_ms;
    }
    prop_assert_eq!(plan.total_ms, t);
    let breaths: u64 = plan.steps.iter().map(|s| u64::from(s.breaths)).sum();
    prop_assert_eq!(breaths * plan.breath_ms, plan.total_ms);
    for s in &plan.steps {
        let mine = &plan.segments[s.first_segment..s.first_segment + s.segment_count];
        prop_assert!(mine.iter().all(|g| g.step == s.index));
        let ms: u64 = mine.iter().map(|g| g.duration_ms).sum();
        prop_assert_eq!(ms, u64::from(s.breaths) * plan.breath_ms);
    }
    prop_assert_eq!(
        plan.steps.iter().map(|s| s.segment_count).sum::<usize>(),
        plan.segments.len()
    );
    Ok(())
}

/// Sends one event, checking everything that must hold across it.
fn send(s: &mut Session, event: Event, state: &mut Seen) -> Result<(), TestCaseError> {
    let before = (
        s.position_ms(),
        s.view().progress,
        s.view().total_left_ms,
        s.plan().total_ms,
    );
    let ended_before = s.is_ended();
    let view_before = s.view();
    let fx = s.handle(event);
    let view = s.view();
    if ended_before {
        prop_assert!(fx.is_empty(), "after the end nothing happens: {:?}", fx);
        prop_assert_eq!(view, view_before);
        return Ok(());
    }
    check_plan(s.plan())?;
    prop_assert!(s.position_ms() <= s.plan().total_ms);
    prop_assert!(view.segment < s.plan().segments.len());
    prop_assert!(
        s.plan().total_ms <= before.3,
        "the routine never gets longer"
    );
    if event != Event::Back {
        prop_assert!(
            s.position_ms() >= before.0,
            "position moved back on {:?}",
            event
        );
        prop_assert!(
            view.progress + 1e-12 >= before.1,
            "progress moved back on {:?}",
            event
        );
        prop_assert!(
            view.total_left_ms <= before.2,
            "time left grew on {:?}",
            event
        );
    }
    if let Event::Choose(HurtChoice::Easier) = event
        && fx.iter().any(|e| {
            matches!(
                e,
                Effect::Record(Record::Choice {
                    choice: HurtChoice::Easier,
                    ..
                })
            )
        })
    {
        prop_assert_eq!(
            s.plan().total_ms,
            before.3,
            "an easier version keeps the length"
        );
    }
    for e in &fx {
        match e {
            Effect::Record(Record::PainAfter { pain }) => {
                prop_assert!(
                    matches!(event, Event::Pain(p) if p == *pain),
                    "pain after from {:?}",
                    event
                );
                prop_assert!(!state.pain_after, "pain after is recorded once");
                state.pain_after = true;
            }
            Effect::Ended(reason) => {
                prop_assert!(state.ended.is_none(), "one ending");
                state.ended = Some(*reason);
                prop_assert!(s.is_ended());
                prop_assert_eq!(
                    *reason == EndReason::StoppedForSafety,
                    s.safety_stop().is_some(),
                    "a safety stop ends as one, and only it"
                );
            }
            _ => {}
        }
    }
    if let Some(stop) = state.safety_stop {
        prop_assert_eq!(s.safety_stop(), Some(stop), "a safety stop stays");
        prop_assert!(matches!(view.screen, Screen::PainAfter | Screen::Ended));
    }
    if let Some(stop) = s.safety_stop() {
        state.safety_stop = Some(stop);
        prop_assert_eq!(view.advice, Some(stop.advice()));
    }
    if s.is_ended() {
        prop_assert!(state.ended.is_some());
        prop_assert_eq!(view.end, state.ended);
        if let Some(stop) = s.safety_stop() {
            prop_assert_eq!(view.end, Some(EndReason::StoppedForSafety));
            prop_assert_eq!(view.prompt.map(|p| p.text), Some(stop.advice()));
        }
    }
    Ok(())
}

#[derive(Default)]
struct Seen {
    pain_after: bool,
    ended: Option<EndReason>,
    safety_stop: Option<supine_core::safety::SafetyStop>,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn any_sequence_of_events_keeps_the_plan_and_the_endings_true(
        input in input(),
        pain_before in proptest::option::of(0u8..=10),
        steps in proptest::collection::vec(step(), 0..120),
    ) {
        let mut s = Session::new(Arc::new(Content::builtin()), input, pain_before, true).unwrap();
        let mut state = Seen::default();
        let mut now = 0;
        send(&mut s, Event::Tick(now), &mut state)?;
        for step in steps {
            match step {
                Step::Wait(ms) => {
                    now += ms;
                    send(&mut s, Event::Tick(now), &mut state)?;
                }
                Step::Send(Event::Tick(ms)) => {
                    // A clock from any origin: it may also go back, which must change nothing.
                    send(&mut s, Event::Tick(ms), &mut state)?;
                    now = now.max(ms);
                }
                Step::Send(e) => send(&mut s, e, &mut state)?,
                Step::Hurt { pain, sharp, spreading, numb, choice } => {
                    for e in hurt_events(pain, sharp, spreading, numb, choice) {
                        send(&mut s, e, &mut state)?;
                    }
                }
            }
        }
        // Played out and answered, every session ends, once.
        for _ in 0..3 {
            now += s.plan().total_ms + 1;
            send(&mut s, Event::Tick(now), &mut state)?;
            send(&mut s, Event::Answer(true), &mut state)?;
            send(&mut s, Event::Quit, &mut state)?;
            send(&mut s, Event::Pain(4), &mut state)?;
        }
        prop_assert!(s.is_ended());
        prop_assert!(state.ended.is_some());
    }

    /// A timed session rebuilt from its journaled events is the live session, whose server
    /// ticked it up to a second after each moment it asked for.
    #[test]
    fn a_session_rebuilt_from_its_events_is_the_live_session(
        input in input(),
        pain_before in proptest::option::of(0u8..=10),
        steps in proptest::collection::vec(step(), 0..120),
        late in proptest::collection::vec(0u64..1000, 1..8),
        later in 0u64..60_000,
    ) {
        let moves: Vec<Move> = steps
            .into_iter()
            .map(|step| match step {
                // The server's clock only goes forward.
                Step::Wait(ms) | Step::Send(Event::Tick(ms)) => Move::Wait(ms % 40_000),
                Step::Send(e) => Move::Events(vec![e]),
                Step::Hurt { pain, sharp, spreading, numb, choice } => {
                    Move::Events(hurt_events(pain, sharp, spreading, numb, choice).to_vec())
                }
            })
            .collect();
        check_rebuild(&input, pain_before, &moves, &late, later)?;
    }
}

/// The records among `fx`.
fn records_of(fx: Vec<Effect>) -> impl Iterator<Item = Record> {
    fx.into_iter().filter_map(|e| match e {
        Effect::Record(r) => Some(r),
        _ => None,
    })
}

/// What happens to a session, as a server sees it: time passing, or events from the page or
/// the camera, one after the other at the same moment.
#[derive(Debug, Clone)]
pub(crate) enum Move {
    Wait(u64),
    Events(Vec<Event>),
}

/// Moves `s` from `now` to `until` as a server does: a tick at every moment the session asks
/// for one (`next_tick_in_ms`: breath boundaries and camera deadlines), each `late` ms after
/// it (a server's timer fires a little late), then one at `until`. Returns `until`.
fn advance(
    s: &mut Session,
    now: u64,
    until: u64,
    late: &mut impl Iterator<Item = u64>,
    records: &mut Vec<Record>,
) -> u64 {
    let mut now = now;
    while let Some(next) = s
        .next_tick_in_ms()
        .map(|d| now + d.max(1) + late.next().unwrap_or(0))
        && next < until
    {
        now = next;
        records.extend(records_of(s.handle(Event::Tick(now))));
    }
    records.extend(records_of(s.handle(Event::Tick(until))));
    until
}

/// Plays `moves` as a server does ([`advance`], its timer `late` by the given ms in turn) and
/// applies each event after a tick to its time; then rebuilds a session from only those events
/// and their times (what the journal keeps) with `Session::rebuild`, which ticks on time at the
/// session's own deadlines (which nobody journals), carries both on by `later` ms, and
/// checks that they agree: the same records, position and view. Issue 14, part 5: another
/// server carries a session on from its journal.
pub(crate) fn check_rebuild(
    input: &PlanInput,
    pain_before: Option<u8>,
    moves: &[Move],
    late: &[u64],
    later: u64,
) -> Result<(), TestCaseError> {
    let content = Arc::new(Content::builtin());
    let mut late = late.iter().copied().cycle();
    let mut live = Session::new(content.clone(), input.clone(), pain_before, true).unwrap();
    let mut log = Vec::new();
    let mut now = 0;
    let mut want: Vec<Record> = records_of(live.handle(Event::Tick(now))).collect();
    for m in moves {
        match m {
            Move::Wait(ms) => now = advance(&mut live, now, now + ms, &mut late, &mut want),
            Move::Events(events) => {
                for e in events {
                    want.extend(records_of(live.handle(Event::Tick(now))));
                    want.extend(records_of(live.handle(*e)));
                    log.push(Input { ms: now, event: *e });
                }
            }
        }
    }
    // Both carried on to the same later moment, as the server taking over does.
    let end = now + later;
    advance(&mut live, now, end, &mut late, &mut want);
    let (rebuilt, fx) =
        Session::rebuild(content, input.clone(), pain_before, true, &log, end).unwrap();
    let got: Vec<Record> = records_of(fx).collect();
    prop_assert_eq!(live.position_ms(), rebuilt.position_ms());
    prop_assert_eq!(live.is_ended(), rebuilt.is_ended());
    prop_assert_eq!(live.view(), rebuilt.view());
    prop_assert_eq!(want, got);
    Ok(())
}
