//! The player with a camera, headless: a scripted feed of observations on the fake clock.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use supine_core::plan::{Chime, SegmentKind, number_word};
use supine_core::seen::{Direction, Observation, Seen};
use supine_core::session::{EndReason, Record};
use supine_tui::{
    CameraNews, Clock, Cue, FakeClock, Io, Recording, ScriptedFeed, ScriptedInput, Speaker,
    UiState, run_with_camera,
};

use crate::common::{MemorySink, fast_settings, session_with, text};

/// A recording speaker that notes the clock reading of every cue.
struct Timed {
    clock: FakeClock,
    rec: Recording,
    at: Vec<u64>,
}

impl Speaker for Timed {
    fn speak(&mut self, text: &str) {
        self.at.push(self.clock.now_ms());
        self.rec.speak(text);
    }
    fn stop(&mut self) {
        self.at.push(self.clock.now_ms());
        self.rec.stop();
    }
    fn chime(&mut self, chime: Chime) {
        self.at.push(self.clock.now_ms());
        self.rec.chime(chime);
    }
}

fn circle_at(at_ms: u64, number: u32, seconds: f64) -> Observation {
    let t = at_ms as f64 / 1000.0;
    Observation {
        t,
        reported: t,
        seen: Seen::CircleDone {
            direction: Direction::Clockwise,
            number,
            started: t - seconds,
            size: 0.25,
            smoothness: 0.9,
        },
    }
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

#[test]
fn the_count_spoken_is_the_count_seen_and_the_set_ends_when_seen_done() {
    let clock = FakeClock::new();
    let session = session_with(fast_settings());
    let plan = session.plan().clone();
    // The first circle set: clockwise, its planned circles one a breath.
    let first = plan
        .segments
        .iter()
        .position(|s| s.kind == SegmentKind::Circle)
        .expect("the routine has knee circles");
    let dir = plan.segments[first].direction;
    let planned = plan.segments[first..]
        .iter()
        .take_while(|s| s.kind == SegmentKind::Circle && s.direction == dir)
        .count() as u32;
    assert!(planned >= 2, "{planned}");
    let start = plan.segments[first].start_ms;
    // Circles seen quicker than the breath (but not hurried): one every 2.5 s.
    let every = 2500;
    let mut feed = ScriptedFeed::new();
    for k in 1..=planned {
        let at = start + u64::from(k) * every;
        feed = feed.seen_at(at, circle_at(at, k, 2.5));
    }
    let seen_done = start + u64::from(planned) * every;
    // The video ends a little later: the timer leads the rest.
    feed = feed.at(seen_done + 500, CameraNews::Stopped(None));
    let mut input = ScriptedInput::new(clock.clone()).type_at(plan.total_ms + 2000, "3\n");
    let mut speaker = Timed {
        clock: clock.clone(),
        rec: Recording::new(),
        at: Vec::new(),
    };
    let mut sink = MemorySink::default();
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let outcome = run_with_camera(
        &mut term,
        session,
        UiState::new(false),
        Io {
            input: &mut input,
            clock: &clock,
            speaker: &mut speaker,
            sink: &mut sink,
        },
        Some(&mut feed),
    )
    .unwrap();
    assert_eq!(outcome.end, EndReason::Completed);
    assert!(feed.is_empty());

    // The counts said in the set are the circles seen, each as it was seen; the last ends it.
    let said: Vec<(u64, String)> = speaker
        .at
        .iter()
        .copied()
        .zip(speaker.rec.cues.iter().cloned())
        .filter_map(|(at, c)| match c {
            Cue::Speak(s) if at > start && at <= seen_done => Some((at, s)),
            _ => None,
        })
        .collect();
    let want: Vec<(u64, String)> = (1..planned)
        .map(|k| {
            (
                start + u64::from(k) * every,
                format!("{}.", capital(&number_word(k))),
            )
        })
        .collect();
    assert_eq!(&said[..want.len()], &want[..], "{said:?}");
    let (at, last) = &said[want.len()];
    assert_eq!(*at, seen_done);
    assert!(
        last.starts_with(&format!("That's {}.", number_word(planned))),
        "{last}"
    );
    // The set ended when its circles were seen, before its breaths were up.
    let set_end_by_timer = start + u64::from(planned) * plan.breath_ms;
    assert!(seen_done < set_end_by_timer);
    let last_circle = first + planned as usize - 1;
    assert!(
        sink.records
            .iter()
            .any(|r| matches!(r, Record::SegmentDone { index, .. } if *index == last_circle)),
        "the last circle counts as done"
    );
    // The journal keeps what the camera saw of the pose.
    let seen: Vec<_> = sink
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Seen { seen, .. } => Some(seen.clone()),
            _ => None,
        })
        .collect();
    assert!(seen.iter().any(|s| s.clockwise == planned), "{seen:?}");
    // The status line says the camera is gone once the video ended.
    let screen = text(&term);
    assert!(
        screen.contains("Camera lost: the video ended. The timer leads now."),
        "{screen}"
    );
}

#[test]
fn a_camera_that_fails_at_once_leaves_the_timed_session_to_run_to_its_end() {
    let clock = FakeClock::new();
    let session = session_with(fast_settings());
    let total = session.plan().total_ms;
    let mut feed = ScriptedFeed::new().at(
        1000,
        CameraNews::Stopped(Some("frame 3 could not be read".into())),
    );
    let mut input = ScriptedInput::new(clock.clone()).type_at(total + 2000, "3\n");
    let mut speaker = Recording::new();
    let mut sink = MemorySink::default();
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let outcome = run_with_camera(
        &mut term,
        session,
        UiState::new(false),
        Io {
            input: &mut input,
            clock: &clock,
            speaker: &mut speaker,
            sink: &mut sink,
        },
        Some(&mut feed),
    )
    .unwrap();
    assert_eq!(outcome.end, EndReason::Completed);
    assert_eq!(outcome.pain_after, Some(3));
    // The timer led it, at the plan's pace.
    assert!(clock.now_ms() >= total);
    let screen = text(&term);
    assert!(
        screen.contains("Camera lost: frame 3 could not be read. The timer leads now."),
        "{screen}"
    );
}
