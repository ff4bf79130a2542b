//! Camera-led sessions: the session follows what the analyzers saw, as a front end feeds it.

use std::collections::BTreeMap;
use std::sync::Arc;

use supine_core::plan::SegmentKind;
use supine_core::seen::{Direction, Observation, Part, Seen, Side};
use supine_core::session::{EndReason, FormCue, HurtChoice, LOST_MS, Record, Screen, WAIT_BREATHS};
use supine_core::{Content, DEFAULT_ROUTINE, Effect, Event, Level, PlanInput, Session, Settings};

const BREATH: u64 = 10_000;

fn input() -> PlanInput {
    PlanInput {
        routine_id: DEFAULT_ROUTINE.into(),
        settings: Settings::default(),
        conditions: vec![],
        overrides: BTreeMap::new(),
    }
}

/// A session with a clock, as a front end drives it.
struct Run {
    s: Session,
    now: u64,
    fx: Vec<Effect>,
}

impl Run {
    fn new(input: PlanInput, camera: bool) -> Run {
        let mut s = Session::new(Arc::new(Content::builtin()), input, Some(3), false).unwrap();
        let mut fx = s.handle(Event::Tick(0));
        if camera {
            fx.extend(s.handle(Event::Camera(true)));
        }
        Run { s, now: 0, fx }
    }

    fn send(&mut self, e: Event) -> Vec<String> {
        let fx = self.s.handle(e);
        let said = spoken(&fx);
        self.fx.extend(fx);
        said
    }

    /// Lets `ms` pass in ticks of 500 ms; what was said.
    fn wait(&mut self, ms: u64) -> Vec<String> {
        let end = self.now + ms;
        let mut said = Vec::new();
        while self.now < end {
            self.now = (self.now + 500).min(end);
            said.extend(self.send(Event::Tick(self.now)));
        }
        said
    }

    /// Ticks to now and feeds what was seen, reported `lag_s` after it happened.
    fn see_late(&mut self, seen: Seen, lag_s: f64) -> Vec<String> {
        let mut said = self.send(Event::Tick(self.now));
        let reported = self.now as f64 / 1000.0;
        said.extend(self.send(Event::Seen(Observation {
            t: reported - lag_s,
            reported,
            seen,
        })));
        said
    }

    fn see(&mut self, seen: Seen) -> Vec<String> {
        self.see_late(seen, 0.0)
    }

    /// Presses "next" until the first segment of `kind` in pose `pose`.
    fn go_to(&mut self, pose: &str, kind: SegmentKind) {
        for _ in 0..200 {
            let v = self.s.view();
            let seg = &self.s.plan().segments[v.segment];
            if seg.pose.as_deref() == Some(pose) && seg.kind == kind {
                return;
            }
            self.send(Event::Next);
        }
        panic!("no {kind:?} in {pose}");
    }

    fn kind(&self) -> SegmentKind {
        self.s.view().kind
    }

    fn records(&self) -> Vec<&Record> {
        self.fx
            .iter()
            .filter_map(|e| match e {
                Effect::Record(r) => Some(r),
                _ => None,
            })
            .collect()
    }
}

fn spoken(fx: &[Effect]) -> Vec<String> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Speak(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

/// A circle of `seconds`, of an ordinary size.
fn circle(direction: Direction, seconds: f64) -> Seen {
    circle_of(direction, seconds, 0.25)
}

fn circle_of(direction: Direction, seconds: f64, size: f32) -> Seen {
    Seen::CircleDone {
        direction,
        number: 1,
        started: -seconds,
        size,
        smoothness: 0.9,
    }
}

/// `CircleDone` carries when the circle started on the stream's clock; `see` sets `t` to now.
fn see_circle(r: &mut Run, direction: Direction, seconds: f64, size: f32) -> Vec<String> {
    let Seen::CircleDone {
        number, smoothness, ..
    } = circle_of(direction, seconds, size)
    else {
        unreachable!()
    };
    let t = r.now as f64 / 1000.0;
    r.see(Seen::CircleDone {
        direction,
        number,
        started: t - seconds,
        size,
        smoothness,
    })
}

fn round_done(height: f32) -> Seen {
    Seen::RoundDone {
        round: 1,
        lifted: 0.0,
        top: 1.0,
        left_top: 20.0,
        hold_s: 19.0,
        height,
        hips_level: true,
    }
}

fn back(side: Side) -> Seen {
    Seen::BackToMiddle {
        side,
        reached: 0.0,
        hold_s: 40.0,
        angle_deg: 60.0,
    }
}

#[test]
fn circles_are_counted_as_seen_and_the_set_ends_when_the_plan_is_seen() {
    let mut r = Run::new(input(), true);
    r.go_to("knee-circles", SegmentKind::Circle);
    let start = r.s.position_ms();
    let first = r.s.plan().segments[r.s.view().segment].clone();
    // The start cue without a count: the counts are what is seen.
    assert!(
        r.fx.iter()
            .rev()
            .any(|e| *e == Effect::Speak(first.show.clone()))
    );
    assert_eq!(
        r.s.view().counter.as_deref(),
        Some("circle 1 of 5, clockwise")
    );
    let mut said = Vec::new();
    for _ in 0..4 {
        r.wait(4000);
        said.extend(see_circle(&mut r, Direction::Clockwise, 4.0, 0.25));
    }
    assert_eq!(said, ["One.", "Two.", "Three.", "Four."]);
    assert_eq!(
        r.s.view().counter.as_deref(),
        Some("circle 5 of 5, clockwise")
    );
    let cam = r.s.view().camera.unwrap();
    assert!(cam.following && cam.circles == Some((4, 5)), "{cam:?}");
    // The other way counts for nothing, and no breath count is said in between.
    assert!(r.see(circle(Direction::Counterclockwise, 4.0)).is_empty());
    assert!(r.wait(2000).is_empty());
    r.wait(2000);
    let said = see_circle(&mut r, Direction::Clockwise, 4.0, 0.25);
    assert_eq!(
        said,
        ["That's five. Pause in the middle. Now circle the other way."]
    );
    assert_eq!(r.kind(), SegmentKind::Switch);
    // Five circles in 20 s: the set ended there, not after its five breaths.
    assert_eq!(r.s.position_ms(), start + 5 * BREATH);
    assert!(r.s.position_ms() > start);
    // A circle past the plan, in the switch, counts for nothing.
    assert!(r.see(circle(Direction::Clockwise, 4.0)).is_empty());
    r.wait(BREATH);
    assert_eq!(r.kind(), SegmentKind::Circle);
    for _ in 0..5 {
        r.wait(3000);
        see_circle(&mut r, Direction::Counterclockwise, 3.0, 0.25);
    }
    assert_eq!(r.kind(), SegmentKind::Finish);
    let said = spoken(&r.fx);
    assert!(
        said.iter()
            .any(|s| s == "That's five. Let your feet come down to the floor."),
        "{said:?}"
    );
    // Every circle segment counts as played through.
    let done: Vec<usize> = r
        .records()
        .iter()
        .filter_map(|r| match r {
            Record::SegmentDone { index, .. } => Some(*index),
            _ => None,
        })
        .collect();
    let circles =
        r.s.plan()
            .segments
            .iter()
            .filter(|g| g.kind == SegmentKind::Circle)
            .map(|g| g.index);
    for c in circles {
        assert!(done.contains(&c), "circle segment {c} not done: {done:?}");
    }
}

#[test]
fn someone_slower_is_waited_for_and_the_wait_ends_by_itself() {
    let mut r = Run::new(input(), true);
    r.go_to("knee-circles", SegmentKind::Circle);
    let start = r.s.position_ms();
    // Two circles in five breaths: the session holds the set's end.
    r.wait(12_000);
    see_circle(&mut r, Direction::Clockwise, 12.0, 0.25);
    r.wait(12_000);
    see_circle(&mut r, Direction::Clockwise, 12.0, 0.25);
    r.wait(26_500);
    assert_eq!(
        r.s.position_ms(),
        start + 5 * BREATH,
        "held at the set's end"
    );
    assert_eq!(r.kind(), SegmentKind::Circle);
    assert!(r.s.view().camera.unwrap().waiting);
    // Each circle seen starts the wait again.
    r.wait(15_000);
    assert_eq!(
        see_circle(&mut r, Direction::Clockwise, 15.0, 0.25),
        ["Three."]
    );
    r.wait(15_000);
    assert_eq!(r.kind(), SegmentKind::Circle, "still waiting");
    // Nothing more seen for two breaths: the timer carries on.
    let said = r.wait(WAIT_BREATHS * BREATH - 15_000);
    assert_eq!(r.kind(), SegmentKind::Switch);
    assert_eq!(said, ["Pause in the middle. Now circle the other way."]);
    assert!(r.s.position_ms() >= start + 5 * BREATH);
}

#[test]
fn the_hold_counts_from_the_top_and_the_round_ends_when_the_hips_are_down() {
    let mut r = Run::new(input(), true);
    r.go_to("bridge", SegmentKind::Lift);
    let lift = r.s.view().segment;
    assert!(
        spoken(&r.fx)
            .last()
            .unwrap()
            .starts_with("Round one. Press into your heels")
    );
    // Slower than the breath: the lift's end is held until the hips are up.
    r.wait(BREATH + 5000);
    assert_eq!((r.s.view().segment, r.kind()), (lift, SegmentKind::Lift));
    let said = r.see(Seen::AtHeight { round: 1 });
    assert_eq!(said, ["Hold here and breathe. One."]);
    assert_eq!(r.kind(), SegmentKind::Hold);
    let hold_start = r.s.position_ms();
    // The hold's breaths count from the top.
    assert_eq!(r.wait(BREATH), ["Two."]);
    assert_eq!(r.wait(BREATH), ["Three."]);
    assert_eq!(r.wait(BREATH), ["Slowly lower your hips to the floor."]);
    assert_eq!(r.s.position_ms(), hold_start + 3 * BREATH);
    // Down sooner than the breath: the round ends now.
    r.wait(3000);
    let said = r.see(round_done(0.35));
    assert_eq!(said, ["Rest for a breath."]);
    assert_eq!(r.kind(), SegmentKind::Pause);
    // A round done again, or the hips up in the rest, is past the plan's round: nothing.
    assert!(r.see(round_done(0.35)).is_empty());
    assert!(r.see(Seen::AtHeight { round: 2 }).is_empty());
    assert_eq!(r.kind(), SegmentKind::Pause);
    // Hips up halfway through the lift's breath: the hold starts then.
    r.wait(BREATH + 4000);
    assert_eq!(r.kind(), SegmentKind::Lift);
    let lift_start = r.s.plan().segments[r.s.view().segment].start_ms;
    assert_eq!(
        r.see(Seen::AtHeight { round: 2 }),
        ["Hold here and breathe. One."]
    );
    assert_eq!(r.s.position_ms(), lift_start + BREATH);
}

#[test]
fn twist_sides_follow_the_knees_and_only_on_their_own_side() {
    let mut r = Run::new(input(), true);
    r.go_to("supine-twist", SegmentKind::Move);
    assert_eq!(r.s.view().counter.as_deref(), Some("left side"));
    r.wait(3000);
    assert!(r.see(Seen::TwistReached { side: Side::Right }).is_empty());
    assert_eq!(r.kind(), SegmentKind::Move);
    let said = r.see(Seen::TwistReached { side: Side::Left });
    assert_eq!(said, ["Breathe deeply and let your back soften. One."]);
    assert_eq!(r.kind(), SegmentKind::Hold);
    r.wait(2000);
    assert!(r.see(back(Side::Right)).is_empty(), "the other side");
    let said = r.see(back(Side::Left));
    assert!(
        said[0].starts_with("Slowly lower both knees to your right"),
        "{said:?}"
    );
    assert_eq!(r.s.view().counter.as_deref(), Some("right side"));
}

#[test]
fn form_cues_follow_a_count_at_most_every_eight_seconds_and_only_what_was_seen() {
    let mut r = Run::new(input(), true);
    r.go_to("supine-twist", SegmentKind::Move);
    r.see(Seen::TwistReached { side: Side::Left });
    r.wait(1000);
    // Said after the next count, not over it, and not at once.
    assert!(r.see(Seen::ShoulderLifted { side: Side::Right }).is_empty());
    let said = r.wait(BREATH);
    assert_eq!(said, ["Two. Keep both shoulders on the floor."]);
    // Again within 8 s: waits; a shoulder down again before then takes it back.
    r.see(Seen::ShoulderLifted { side: Side::Right });
    r.see(Seen::ShoulderDown { side: Side::Right });
    assert_eq!(r.wait(BREATH), ["Three."]);
    // Circles: a hurried one earns "slower" with its count.
    let mut r = Run::new(input(), true);
    r.go_to("knee-circles", SegmentKind::Circle);
    r.wait(1500);
    assert_eq!(
        see_circle(&mut r, Direction::Clockwise, 1.5, 0.25),
        ["One. A little slower."]
    );
    r.wait(1500);
    assert_eq!(
        see_circle(&mut r, Direction::Clockwise, 1.5, 0.25),
        ["Two."]
    );
    r.wait(9000);
    assert_eq!(
        see_circle(&mut r, Direction::Clockwise, 9.0, 0.7),
        ["Three. Bring your knees a little closer to your chest."]
    );
    r.wait(5000);
    assert_eq!(
        see_circle(&mut r, Direction::Clockwise, 5.0, 0.25),
        ["Four."]
    );
    // A low bridge earns "lift a little higher", at the next round's lift.
    let mut r = Run::new(input(), true);
    r.go_to("bridge", SegmentKind::Lift);
    r.see(Seen::AtHeight { round: 1 });
    r.wait(3 * BREATH + 2000);
    assert_eq!(r.see(round_done(0.15)), ["Rest for a breath."]);
    let said = r.wait(BREATH);
    assert_eq!(
        said,
        [
            "Round two. Press into your heels and slowly lift your hips. Lift a little higher, if that feels fine."
        ]
    );
    let seen = summary_of(&mut r, "bridge");
    assert_eq!(seen.cues, [FormCue::LiftHigher]);
    assert_eq!(seen.rounds, 1);
}

/// Ends the session and gives the camera's summary of `pose`.
fn summary_of(r: &mut Run, pose: &str) -> supine_core::session::PoseSeen {
    r.send(Event::Quit);
    r.send(Event::Answer(true));
    r.records()
        .into_iter()
        .find_map(|rec| match rec {
            Record::Seen { pose: p, seen, .. } if p.as_deref() == Some(pose) => Some(seen.clone()),
            _ => None,
        })
        .expect("a summary")
}

#[test]
fn an_easier_version_is_never_asked_for_more() {
    let mut i = input();
    i.settings.level = Level::Gentle;
    let mut r = Run::new(i, true);
    r.go_to("bridge", SegmentKind::Lift);
    r.see(Seen::AtHeight { round: 1 });
    r.wait(3 * BREATH + 2000);
    r.see(round_done(0.13));
    let said = r.wait(BREATH);
    assert!(!said.concat().contains("higher"), "{said:?}");
}

#[test]
fn losing_the_camera_says_what_it_cannot_see_and_the_timer_carries_on() {
    let mut r = Run::new(input(), true);
    r.go_to("knee-circles", SegmentKind::Circle);
    r.wait(4000);
    see_circle(&mut r, Direction::Clockwise, 4.0, 0.25);
    // The analyzer says after 1.5 s; the session after 3 s in all.
    assert!(
        r.see_late(Seen::CantSee { part: Part::Knees }, 1.5)
            .is_empty()
    );
    assert_eq!(
        r.s.next_tick_in_ms(),
        Some(LOST_MS - 1500),
        "a front end ticks when the loss is due"
    );
    let said = r.wait(1000);
    assert!(said.is_empty(), "{said:?}");
    let said = r.wait(500);
    assert_eq!(said, ["I can't see your knees. I'll keep count for you."]);
    let cam = r.s.view().camera.unwrap();
    assert!(!cam.following && cam.cant_see.as_deref() == Some("your knees"));
    // The timer counts as it would without a camera.
    let said = r.wait(BREATH);
    assert_eq!(said.len(), 1);
    assert!(["Two.", "Three."].contains(&said[0].as_str()), "{said:?}");
    // Seen again: the set carries on with the timer, the next one follows.
    r.see(Seen::SeeAgain { part: Part::Knees });
    assert!(r.see(circle(Direction::Clockwise, 4.0)).is_empty());
    while r.kind() != SegmentKind::Circle
        || r.s.view().direction != Some(supine_core::plan::Direction::Anticlockwise)
    {
        r.wait(500);
    }
    assert!(r.s.view().camera.unwrap().following);
    r.wait(3000);
    assert_eq!(
        see_circle(&mut r, Direction::Counterclockwise, 3.0, 0.25),
        ["One."]
    );
}

#[test]
fn a_part_the_set_does_not_need_changes_nothing_and_the_person_lost_is_said() {
    let mut r = Run::new(input(), true);
    r.go_to("knee-circles", SegmentKind::Circle);
    r.see_late(Seen::CantSee { part: Part::Ankles }, 1.5);
    assert!(r.wait(5000).is_empty());
    assert!(r.s.view().camera.unwrap().following, "circles need no feet");
    r.see_late(Seen::PersonLost, 1.5);
    assert_eq!(r.wait(1500), ["I can't see you. I'll keep count for you."]);
    // Lost for good: the session still reaches its end with ticks alone.
    for _ in 0..10_000 {
        if r.s.view().screen == Screen::PainAfter {
            break;
        }
        r.wait(BREATH);
    }
    assert_eq!(r.s.view().screen, Screen::PainAfter);
}

#[test]
fn a_camera_that_sees_nothing_never_stalls_the_session() {
    let mut r = Run::new(input(), true);
    let total = r.s.plan().total_ms;
    let sets =
        r.s.plan()
            .segments
            .iter()
            .filter(|g| {
                matches!(
                    g.kind,
                    SegmentKind::Lift | SegmentKind::Move | SegmentKind::Circle
                )
            })
            .count() as u64;
    r.wait(total + 2 * WAIT_BREATHS * BREATH * sets);
    assert_eq!(r.s.view().screen, Screen::PainAfter);
    r.send(Event::Pain(2));
    assert!(r.fx.contains(&Effect::Ended(EndReason::Completed)));
}

#[test]
fn nothing_seen_is_acted_on_while_paused_or_asked_about_pain() {
    let mut r = Run::new(input(), true);
    r.go_to("knee-circles", SegmentKind::Circle);
    r.send(Event::Pause);
    let pos = r.s.position_ms();
    assert!(see_circle(&mut r, Direction::Clockwise, 4.0, 0.25).is_empty());
    assert_eq!(r.s.view().camera.unwrap().circles, Some((0, 5)));
    r.send(Event::Resume);
    r.send(Event::Hurt);
    let prompt = r.s.view().prompt;
    for _ in 0..6 {
        assert!(see_circle(&mut r, Direction::Clockwise, 4.0, 0.25).is_empty());
    }
    r.see_late(Seen::PersonLost, 10.0);
    r.wait(20_000);
    assert_eq!(r.s.view().prompt, prompt);
    assert_eq!(r.s.view().screen, Screen::Hurt);
    assert_eq!(r.s.position_ms(), pos);
    // The stop rule is the same: numbness stops the session, whatever the camera.
    r.send(Event::Pain(3));
    r.send(Event::Answer(false));
    r.send(Event::Answer(false));
    r.send(Event::Answer(true));
    assert_eq!(r.s.view().screen, Screen::PainAfter);
    assert!(r.s.safety_stop().is_some());
    assert!(see_circle(&mut r, Direction::Clockwise, 4.0, 0.25).is_empty());
}

#[test]
fn without_a_camera_or_with_it_off_the_timer_leads() {
    let mut r = Run::new(input(), false);
    r.go_to("knee-circles", SegmentKind::Circle);
    let start = r.s.position_ms();
    for _ in 0..5 {
        assert!(see_circle(&mut r, Direction::Clockwise, 1.0, 0.9).is_empty());
    }
    assert_eq!(r.s.position_ms(), start);
    assert!(r.s.view().camera.is_none());
    assert_eq!(r.wait(BREATH), ["Two."]);
    // Off mid-wait: the timer goes on at once.
    let mut r = Run::new(input(), true);
    r.go_to("bridge", SegmentKind::Lift);
    r.wait(BREATH + 3000);
    assert!(r.s.view().camera.unwrap().waiting);
    assert_eq!(
        r.send(Event::Camera(false)),
        ["Hold here and breathe. One."]
    );
    assert!(r.s.view().camera.is_none());
    // Keys take the set from the camera: "next" into the middle of circles is timed.
    let mut r = Run::new(input(), true);
    r.go_to("knee-circles", SegmentKind::Circle);
    r.send(Event::Next);
    assert!(!r.s.view().camera.unwrap().following);
    assert!(see_circle(&mut r, Direction::Clockwise, 4.0, 0.25).is_empty());
}

#[test]
fn skipping_a_pose_after_it_hurt_keeps_its_summary_and_follows_the_next() {
    let mut r = Run::new(input(), true);
    r.go_to("knee-circles", SegmentKind::Circle);
    r.wait(4000);
    see_circle(&mut r, Direction::Clockwise, 4.0, 0.25);
    for e in [
        Event::Hurt,
        Event::Pain(3),
        Event::Answer(false),
        Event::Answer(false),
        Event::Answer(false),
        Event::Choose(HurtChoice::Skip),
    ] {
        r.send(e);
    }
    assert_eq!(
        r.s.plan().segments[r.s.view().segment].pose.as_deref(),
        Some("bridge")
    );
    let circles = r
        .records()
        .into_iter()
        .find_map(|rec| match rec {
            Record::Seen { pose, seen, .. } if pose.as_deref() == Some("knee-circles") => {
                Some(seen.clone())
            }
            _ => None,
        })
        .expect("the circles' summary");
    assert_eq!((circles.clockwise, circles.anticlockwise), (1, 0));
    r.go_to("bridge", SegmentKind::Lift);
    assert_eq!(
        r.see(Seen::AtHeight { round: 1 }),
        ["Hold here and breathe. One."]
    );
}

#[test]
fn the_summary_says_what_the_camera_saw_of_each_pose() {
    let mut r = Run::new(input(), true);
    r.go_to("supine-twist", SegmentKind::Move);
    for side in [Side::Left, Side::Right] {
        r.wait(2000);
        r.see(Seen::TwistReached { side });
        r.wait(5 * BREATH);
        r.see(back(side));
    }
    let seen = summary_of(&mut r, "supine-twist");
    assert_eq!(seen.sides, [Side::Left, Side::Right]);
    assert_eq!(seen.holds_s, [40.0, 40.0]);
    assert!(!seen.lost);
    let json = serde_json::to_value(&seen).unwrap();
    assert_eq!(json["sides"], serde_json::json!(["left", "right"]));
}

#[test]
fn camera_events_are_plain_json() {
    let e: Event = serde_json::from_str(
        r#"{"type":"seen","value":{"t":1.0,"reported":1.2,"kind":"at_height","round":1}}"#,
    )
    .unwrap();
    assert_eq!(
        e,
        Event::Seen(Observation {
            t: 1.0,
            reported: 1.2,
            seen: Seen::AtHeight { round: 1 }
        })
    );
    let on: Event = serde_json::from_str(r#"{"type":"camera","value":true}"#).unwrap();
    assert_eq!(on, Event::Camera(true));
    // A view without a camera is the JSON it always was.
    let r = Run::new(input(), false);
    assert!(
        serde_json::to_value(r.s.view())
            .unwrap()
            .get("camera")
            .is_none()
    );
}
