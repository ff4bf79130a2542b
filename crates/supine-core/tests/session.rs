//! Whole sessions driven by events, as a front end would.

use std::collections::BTreeMap;
use std::sync::Arc;

use supine_core::plan::{Chime, SegmentKind};
use supine_core::session::{EndReason, HurtChoice, PromptKind, Record, Screen};
use supine_core::{Content, DEFAULT_ROUTINE, Effect, Event, PlanInput, Session, Settings};

fn session(pain_before: Option<u8>) -> Session {
    let input = PlanInput {
        routine_id: DEFAULT_ROUTINE.into(),
        settings: Settings::default(),
        conditions: vec![],
        overrides: BTreeMap::new(),
    };
    Session::new(Arc::new(Content::builtin()), input, pain_before, false).unwrap()
}

fn spoken(fx: &[Effect]) -> Vec<String> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Speak(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

/// Ticks every 100 ms from `from` until `to`, collecting effects.
fn run(s: &mut Session, from: u64, to: u64) -> Vec<Effect> {
    (from..=to)
        .step_by(100)
        .flat_map(|t| s.handle(Event::Tick(t)))
        .collect()
}

/// Skips to the first segment of a pose.
fn skip_to(s: &mut Session, pose: &str) {
    while s.plan().segments[s.view().segment].pose.as_deref() != Some(pose) {
        s.handle(Event::Next);
    }
}

#[test]
fn a_whole_session_speaks_every_cue_in_order_and_asks_pain_after() {
    let mut s = session(Some(4));
    let total = s.plan().total_ms;
    let fx = run(&mut s, 0, total + 1000);
    let said = spoken(&fx);
    // Every non-empty cue of the plan is spoken exactly once, in plan order.
    let expected: Vec<String> = s
        .plan()
        .segments
        .iter()
        .flat_map(|seg| seg.speak.iter().filter(|t| !t.is_empty()).cloned())
        .collect();
    assert_eq!(&said[..expected.len()], &expected[..]);
    assert_eq!(
        said.last().unwrap(),
        "How is your pain now, from zero to ten?"
    );
    let done = fx
        .iter()
        .filter(|e| matches!(e, Effect::Record(Record::SegmentDone { .. })))
        .count();
    assert_eq!(done, s.plan().segments.len());
    assert!(fx.contains(&Effect::Chime(Chime::Start)));
    assert!(fx.contains(&Effect::Chime(Chime::End)));
    assert_eq!(s.view().screen, Screen::PainAfter);
    let fx = s.handle(Event::Pain(2));
    assert!(fx.contains(&Effect::Record(Record::PainAfter { pain: 2 })));
    assert!(fx.contains(&Effect::Ended(EndReason::Completed)));
    assert!(s.is_ended());
    assert!(
        s.handle(Event::Next).is_empty(),
        "an ended session ignores keys"
    );
}

#[test]
fn pause_stops_time_and_voice_and_resumes_exactly() {
    let mut s = session(None);
    run(&mut s, 0, 12_300);
    let pos = s.position_ms();
    let fx = s.handle(Event::TogglePause);
    assert_eq!(fx[0], Effect::StopSpeech);
    assert!(
        run(&mut s, 12_400, 60_000)
            .iter()
            .all(|e| !matches!(e, Effect::Speak(_)))
    );
    assert_eq!(s.position_ms(), pos, "time stands still while paused");
    let fx = s.handle(Event::TogglePause);
    assert!(matches!(
        &fx[..],
        [Effect::Show(Screen::Playing), Effect::Speak(_)]
    ));
    s.handle(Event::Tick(60_500));
    assert_eq!(s.position_ms(), pos + 500);
}

#[test]
fn next_and_back_move_between_segments() {
    let mut s = session(None);
    s.handle(Event::Tick(0));
    let fx = s.handle(Event::Next);
    assert_eq!(s.view().segment, 1);
    assert!(spoken(&fx)[0].starts_with("Hip rotations."));
    s.handle(Event::Tick(5_000));
    s.handle(Event::Back); // 5 s in: restart this segment
    assert_eq!(
        (s.view().segment, s.position_ms()),
        (1, s.plan().segments[1].start_ms)
    );
    s.handle(Event::Back); // just restarted: previous segment
    assert_eq!(s.view().segment, 0);
}

#[test]
fn counters_and_breath_counts_follow_the_plan() {
    let mut s = session(None);
    s.handle(Event::Tick(0));
    skip_to(&mut s, "bridge");
    s.handle(Event::Next); // first lift
    let v = s.view();
    assert_eq!(
        (v.kind, v.counter.as_deref()),
        (SegmentKind::Lift, Some("round 1 of 3"))
    );
    let start = s.position_ms();
    let fx = run(&mut s, 0, 10_000 * 2 + 100);
    let said = spoken(&fx);
    assert_eq!(said, ["Hold here and breathe. One.", "Two."]);
    assert!(s.position_ms() > start);
    assert_eq!(s.view().breath_number, 2);
}

#[test]
fn hurt_with_mild_pain_offers_an_easier_version_and_switches_to_it() {
    let mut s = session(Some(3));
    s.handle(Event::Tick(0));
    skip_to(&mut s, "bridge");
    s.handle(Event::Next);
    s.handle(Event::Hurt);
    assert_eq!(s.view().prompt.unwrap().kind, PromptKind::Pain);
    s.handle(Event::Pain(4));
    s.handle(Event::Answer(false));
    s.handle(Event::Answer(false));
    let fx = s.handle(Event::Answer(false));
    let prompt = s.view().prompt.unwrap();
    assert_eq!(
        prompt.kind,
        PromptKind::Choices(vec![HurtChoice::Easier, HurtChoice::Skip, HurtChoice::End])
    );
    assert!(spoken(&fx)[0].contains("easier version"));
    let fx = s.handle(Event::Choose(HurtChoice::Easier));
    assert!(fx.iter().any(|e| matches!(e, Effect::Record(Record::Choice { choice: HurtChoice::Easier, variant: Some(v), .. }) if v == "supported-bridge")));
    let v = s.view();
    assert_eq!(
        (v.title.as_str(), v.kind),
        ("Supported bridge", SegmentKind::Intro)
    );
    assert!(s.is_running());
    // Hurting again on the easier version no longer offers it.
    s.handle(Event::Hurt);
    s.handle(Event::Pain(4));
    for _ in 0..3 {
        s.handle(Event::Answer(false));
    }
    assert_eq!(
        s.view().prompt.unwrap().kind,
        PromptKind::Choices(vec![HurtChoice::Skip, HurtChoice::End])
    );
}

#[test]
fn sharp_or_rising_pain_stops_the_pose_and_skip_moves_on() {
    let mut s = session(Some(2));
    s.handle(Event::Tick(0));
    skip_to(&mut s, "knee-circles");
    s.handle(Event::Hurt);
    s.handle(Event::Pain(5)); // 3 points above before
    s.handle(Event::Answer(false));
    s.handle(Event::Answer(false));
    s.handle(Event::Answer(false));
    assert_eq!(
        s.view().prompt.unwrap().kind,
        PromptKind::Choices(vec![HurtChoice::Skip, HurtChoice::End])
    );
    assert!(
        s.handle(Event::Choose(HurtChoice::Easier)).is_empty(),
        "not offered, not taken"
    );
    s.handle(Event::Choose(HurtChoice::Skip));
    assert_eq!(s.view().title, "Bridge");
    assert!(
        !s.plan()
            .segments
            .iter()
            .any(|g| g.pose.as_deref() == Some("knee-circles"))
    );
}

#[test]
fn pain_down_the_leg_ends_the_session_with_the_stop_advice() {
    let mut s = session(None);
    s.handle(Event::Tick(0));
    skip_to(&mut s, "supine-twist");
    s.handle(Event::Hurt);
    s.handle(Event::Pain(3));
    s.handle(Event::Answer(false));
    s.handle(Event::Answer(true)); // spreading down a leg
    let fx = s.handle(Event::Answer(false));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Record(Record::Hurt { .. })))
    );
    assert!(fx.contains(&Effect::Ended(EndReason::StopRule)));
    assert!(spoken(&fx)[0].contains("doctor or physiotherapist"));
    assert!(s.is_ended());
    assert_eq!(s.view().end, Some(EndReason::StopRule));
}

#[test]
fn quit_asks_to_confirm_and_no_carries_on() {
    let mut s = session(None);
    s.handle(Event::Tick(0));
    s.handle(Event::Quit);
    assert_eq!(s.view().screen, Screen::ConfirmQuit);
    s.handle(Event::Tick(3_000));
    assert_eq!(s.position_ms(), 0, "time stops while asking");
    s.handle(Event::Answer(false));
    assert!(s.is_running());
    s.handle(Event::Quit);
    s.handle(Event::Quit); // a second q confirms
    assert_eq!(s.view().screen, Screen::PainAfter);
    let fx = s.handle(Event::Quit); // skip the pain question
    assert_eq!(fx.last(), Some(&Effect::Ended(EndReason::Quit)));
}

#[test]
fn a_long_stall_records_every_segment_but_speaks_only_the_latest() {
    let mut s = session(None);
    s.handle(Event::Tick(0));
    let fx = s.handle(Event::Tick(95_000));
    let done = fx
        .iter()
        .filter(|e| matches!(e, Effect::Record(Record::SegmentDone { .. })))
        .count();
    assert!(done >= 3);
    assert!(spoken(&fx).len() <= 1);
}

#[test]
fn pain_outside_zero_to_ten_is_ignored() {
    let mut s = session(None);
    s.handle(Event::Tick(0));
    s.handle(Event::Hurt);
    assert!(s.handle(Event::Pain(11)).is_empty());
    assert_eq!(s.view().prompt.unwrap().kind, PromptKind::Pain);
}
