//! Whole sessions driven by events, as a front end would.

use std::collections::BTreeMap;
use std::sync::Arc;

use supine_core::plan::{Chime, SegmentKind};
use supine_core::safety::SafetyStop;
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
    // The ending and the pain question are one utterance, so neither cuts off the other.
    assert_eq!(
        said.last().unwrap(),
        "That's the whole routine. Well done. How is your pain now, from zero to ten?"
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
        PromptKind::Choices(vec![
            HurtChoice::Resume,
            HurtChoice::Easier,
            HurtChoice::Skip,
            HurtChoice::End
        ])
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
        PromptKind::Choices(vec![HurtChoice::Resume, HurtChoice::Skip, HurtChoice::End])
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

/// Says "this hurts" with these answers.
fn hurt(s: &mut Session, pain: u8, sharp: bool, spreading: bool, numb: bool) -> Vec<Effect> {
    s.handle(Event::Hurt);
    s.handle(Event::Pain(pain));
    s.handle(Event::Answer(sharp));
    s.handle(Event::Answer(spreading));
    s.handle(Event::Answer(numb))
}

#[test]
fn pain_down_the_leg_stops_the_session_keeps_the_advice_and_asks_pain_after() {
    let mut s = session(Some(6));
    s.handle(Event::Tick(0));
    skip_to(&mut s, "supine-twist");
    let fx = hurt(&mut s, 8, false, true, false);
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Record(Record::Hurt { .. })))
    );
    // The pain given in "this hurts" is not copied as pain after: it is asked.
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::Record(Record::PainAfter { .. })))
    );
    let said = spoken(&fx).join(" ");
    assert!(said.contains("doctor or physiotherapist"), "{said}");
    assert!(
        said.ends_with("How is your pain now, from zero to ten?"),
        "{said}"
    );
    assert!(!said.to_lowercase().contains("well done"), "{said}");
    let v = s.view();
    assert_eq!(v.screen, Screen::PainAfter);
    assert_eq!(v.safety_stop, Some(SafetyStop::SpreadingPain));
    assert!(
        v.advice
            .as_deref()
            .unwrap()
            .contains("spreading down a leg")
    );
    assert!(!s.is_ended(), "still asking pain after");

    let fx = s.handle(Event::Pain(7));
    assert!(fx.contains(&Effect::Record(Record::PainAfter { pain: 7 })));
    assert!(fx.contains(&Effect::Ended(EndReason::StoppedForSafety)));
    assert!(!spoken(&fx).join(" ").to_lowercase().contains("well done"));
    assert!(s.is_ended());
    let v = s.view();
    assert_eq!(v.end, Some(EndReason::StoppedForSafety));
    assert_eq!(s.safety_stop(), Some(SafetyStop::SpreadingPain));
    // The advice stays on screen once it is over.
    let text = v.prompt.unwrap().text;
    assert!(text.contains("doctor or physiotherapist"), "{text}");
    assert!(!text.to_lowercase().contains("well done"), "{text}");
    assert_eq!(v.advice.as_deref(), Some(text.as_str()));
}

#[test]
fn numbness_stops_the_session_with_the_emergency_signs_even_if_pain_after_is_skipped() {
    let mut s = session(None);
    s.handle(Event::Tick(0));
    skip_to(&mut s, "bridge");
    hurt(&mut s, 2, false, true, true);
    assert_eq!(s.view().safety_stop, Some(SafetyStop::Numbness));
    let fx = s.handle(Event::Quit); // no pain score given
    assert!(fx.contains(&Effect::Ended(EndReason::StoppedForSafety)));
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::Record(Record::PainAfter { .. })))
    );
    let text = s.view().prompt.unwrap().text;
    assert!(text.contains("groin or buttocks"), "{text}");
}

#[test]
fn mild_pain_in_a_pose_can_carry_on_gently_from_the_same_place() {
    let mut s = session(Some(4));
    s.handle(Event::Tick(0));
    skip_to(&mut s, "bridge");
    s.handle(Event::Tick(10_000));
    let at = s.position_ms();
    let fx = hurt(&mut s, 4, false, false, false);
    assert!(
        spoken(&fx)[0].contains("carry on gently"),
        "{:?}",
        spoken(&fx)
    );
    let Some(PromptKind::Choices(choices)) = s.view().prompt.map(|p| p.kind) else {
        panic!("choices expected");
    };
    assert_eq!(choices[0], HurtChoice::Resume);
    assert!(choices.contains(&HurtChoice::Skip) && choices.contains(&HurtChoice::End));
    let fx = s.handle(Event::Choose(HurtChoice::Resume));
    assert!(
        spoken(&fx)[0].starts_with("Carry on gently"),
        "{:?}",
        spoken(&fx)
    );
    assert!(s.is_running());
    assert_eq!(s.position_ms(), at, "carries on from where it was");
    assert!(fx.contains(&Effect::Record(Record::Choice {
        pose: Some("bridge".into()),
        choice: HurtChoice::Resume,
        variant: None,
    })));
}

#[test]
fn sharp_pain_does_not_offer_to_carry_on_in_a_pose() {
    let mut s = session(Some(4));
    s.handle(Event::Tick(0));
    skip_to(&mut s, "bridge");
    hurt(&mut s, 4, true, false, false);
    let Some(PromptKind::Choices(choices)) = s.view().prompt.map(|p| p.kind) else {
        panic!("choices expected");
    };
    assert!(!choices.contains(&HurtChoice::Resume), "{choices:?}");
}

#[test]
fn ending_after_it_hurts_asks_pain_after_instead_of_copying_it() {
    let mut s = session(Some(3));
    s.handle(Event::Tick(0));
    skip_to(&mut s, "bridge");
    hurt(&mut s, 5, true, false, false);
    let fx = s.handle(Event::Choose(HurtChoice::End));
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::Record(Record::PainAfter { .. })))
    );
    assert_eq!(s.view().screen, Screen::PainAfter);
    let fx = s.handle(Event::Pain(4));
    assert!(fx.contains(&Effect::Record(Record::PainAfter { pain: 4 })));
    assert!(fx.contains(&Effect::Ended(EndReason::StoppedForPain)));
}

#[test]
fn a_routine_mostly_skipped_ends_partial_not_completed() {
    let mut s = session(None);
    s.handle(Event::Tick(0));
    let n = s.plan().segments.len();
    for _ in 0..n {
        s.handle(Event::Next);
    }
    assert_eq!(s.view().screen, Screen::PainAfter);
    let fx = s.handle(Event::Pain(3));
    assert!(fx.contains(&Effect::Ended(EndReason::Partial)), "{fx:?}");
    assert!(!spoken(&fx).join(" ").contains("Well done"));
}

#[test]
fn end_reasons_keep_their_stored_names_and_read_old_ones() {
    for r in [
        EndReason::Completed,
        EndReason::Partial,
        EndReason::Quit,
        EndReason::StoppedForPain,
        EndReason::StoppedForSafety,
    ] {
        assert_eq!(EndReason::parse(r.as_str()), Some(r));
        assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
    }
    assert_eq!(
        EndReason::parse("stop_rule"),
        Some(EndReason::StoppedForSafety)
    );
    assert_eq!(
        serde_json::from_value::<EndReason>("stop_rule".into()).unwrap(),
        EndReason::StoppedForSafety
    );
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

/// Answers "this hurts" with mild pain (the stop rule allows carrying on) and chooses `choice`.
fn mild_hurt_then(s: &mut Session, choice: HurtChoice) -> Vec<Effect> {
    hurt(s, 3, false, false, false);
    s.handle(Event::Choose(choice))
}

#[test]
fn an_easier_version_fits_the_time_the_pose_had_left() {
    let mut s = session(Some(3));
    s.handle(Event::Tick(0));
    skip_to(&mut s, "bridge");
    let plan = s.plan().clone();
    let bridge_hold = plan
        .segments
        .iter()
        .position(|g| g.pose.as_deref() == Some("bridge") && g.kind == SegmentKind::Hold)
        .unwrap();
    // Into the first hold, one and a half breaths.
    while s.view().segment < bridge_hold {
        s.handle(Event::Next);
    }
    let start = s.position_ms();
    s.handle(Event::Tick(15_000));
    let (at, progress, left) = (s.position_ms(), s.view().progress, s.view().total_left_ms);
    assert_eq!(at, start + 15_000);
    let fx = mild_hurt_then(&mut s, HurtChoice::Easier);
    assert!(fx.iter().any(|e| matches!(e, Effect::Record(Record::Choice { variant: Some(v), .. }) if v == "supported-bridge")));
    let v = s.view();
    assert_eq!(
        (v.title.as_str(), v.kind),
        ("Supported bridge", SegmentKind::Intro)
    );
    assert_eq!(
        s.plan().total_ms,
        plan.total_ms,
        "the routine ends when it would have"
    );
    assert_eq!(s.position_ms(), start + 20_000, "from the next breath");
    assert!(
        v.progress >= progress && v.total_left_ms <= left,
        "the bar never jumps back"
    );
    // What came before and what comes after the bridge are untouched.
    let bridge = &plan.steps[2];
    let after = bridge.first_segment + bridge.segment_count;
    let now = &s.plan().steps[2];
    assert_eq!(
        &s.plan().segments[..bridge_hold],
        &plan.segments[..bridge_hold]
    );
    let moved: Vec<_> = s.plan().segments[now.first_segment + now.segment_count..]
        .iter()
        .map(|g| (g.start_ms, g.title.clone()))
        .collect();
    let before: Vec<_> = plan.segments[after..]
        .iter()
        .map(|g| (g.start_ms, g.title.clone()))
        .collect();
    assert_eq!(moved, before);
    // The supported bridge gets rounds of its own, holds within 3-5 breaths.
    let rounds: Vec<_> = s.plan().segments[s.view().segment..]
        .iter()
        .filter(|g| g.title == "Supported bridge" && g.kind == SegmentKind::Hold)
        .map(|g| g.breaths)
        .collect();
    assert!(
        !rounds.is_empty() && rounds.iter().all(|b| (3..=5).contains(b)),
        "{rounds:?}"
    );
    // Played out, it ends at the same moment as the original plan.
    let fx = run(&mut s, 2, plan.total_ms);
    assert!(fx.contains(&Effect::Chime(Chime::End)));
    assert_eq!(s.view().screen, Screen::PainAfter);
}

#[test]
fn an_easier_version_is_offered_only_when_it_fits_in_the_time_left() {
    let mut s = session(Some(3));
    s.handle(Event::Tick(0));
    skip_to(&mut s, "bridge");
    // The last breath of the bridge: no time for a supported bridge.
    let last = {
        let b = &s.plan().steps[2];
        b.first_segment + b.segment_count - 1
    };
    while s.view().segment < last {
        s.handle(Event::Next);
    }
    hurt(&mut s, 3, false, false, false);
    let Some(PromptKind::Choices(choices)) = s.view().prompt.map(|p| p.kind) else {
        panic!("choices expected");
    };
    assert_eq!(
        choices,
        [HurtChoice::Resume, HurtChoice::Skip, HurtChoice::End]
    );
}

#[test]
fn skipping_a_pose_keeps_what_was_played_and_moves_forward() {
    let mut s = session(Some(3));
    s.handle(Event::Tick(0));
    skip_to(&mut s, "bridge");
    s.handle(Event::Tick(1));
    s.handle(Event::Tick(25_001));
    let (at, progress, total) = (s.position_ms(), s.view().progress, s.plan().total_ms);
    mild_hurt_then(&mut s, HurtChoice::Skip);
    let v = s.view();
    assert_eq!(v.title, "Gentle twist");
    assert!(
        s.position_ms() >= at && v.progress >= progress,
        "forward, never back"
    );
    assert!(s.plan().total_ms < total);
    // "Back" does not lead into the pose that hurt.
    s.handle(Event::Back);
    assert_eq!(s.view().title, "Gentle twist");
}

#[test]
fn skipping_every_circle_is_partial_though_most_of_the_time_was_played() {
    // Every circle of the hip rotations (and the switch and finish between them) skipped with
    // "next", everything else played through: most of the time, but not of the parts.
    let mut s = session(None);
    let mut now = 0;
    s.handle(Event::Tick(now));
    let mut skipped = (0, 0);
    while !matches!(s.view().screen, Screen::PainAfter) {
        let seg = &s.plan().segments[s.view().segment];
        if seg.pose.as_deref() == Some("knee-circles") && seg.kind != SegmentKind::Intro {
            skipped = (skipped.0 + 1, skipped.1 + seg.duration_ms);
            s.handle(Event::Next);
        } else {
            now += seg.end_ms() - s.position_ms();
            s.handle(Event::Tick(now));
        }
    }
    let (parts, total) = (s.plan().segments.len(), s.plan().total_ms);
    assert!(
        (total - skipped.1) * 3 >= total * 2,
        "most of the time was played"
    );
    assert!(
        (parts - skipped.0) * 3 < parts * 2,
        "a third of the parts were not"
    );
    let fx = s.handle(Event::Pain(3));
    assert!(fx.contains(&Effect::Ended(EndReason::Partial)), "{fx:?}");
}

#[test]
fn replaying_one_part_over_and_over_does_not_make_a_session_complete() {
    let mut s = session(None);
    let mut now = 0;
    s.handle(Event::Tick(now));
    let settle = s.plan().segments[0].duration_ms;
    // Play the first part 40 times over, longer than the whole routine, then skip the rest.
    for _ in 0..40 {
        now += settle - 1;
        s.handle(Event::Tick(now));
        s.handle(Event::Back);
    }
    while !matches!(s.view().screen, Screen::PainAfter) {
        s.handle(Event::Next);
    }
    let fx = s.handle(Event::Pain(3));
    assert!(fx.contains(&Effect::Ended(EndReason::Partial)), "{fx:?}");
}

#[test]
fn a_pose_skipped_after_it_hurt_still_lets_the_rest_complete() {
    let mut s = session(Some(3));
    s.handle(Event::Tick(0));
    let total = s.plan().total_ms;
    let mut now = 0;
    // Play through to the bridge, skip it, play the rest.
    while s.plan().segments[s.view().segment].pose.as_deref() != Some("bridge") {
        now += 1000;
        s.handle(Event::Tick(now));
    }
    mild_hurt_then(&mut s, HurtChoice::Skip);
    let fx = run(&mut s, now, now + total);
    assert!(fx.contains(&Effect::Chime(Chime::End)));
    let fx = s.handle(Event::Pain(2));
    assert!(fx.contains(&Effect::Ended(EndReason::Completed)), "{fx:?}");
}
