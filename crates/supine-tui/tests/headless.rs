//! The event loop, run headless: a `TestBackend`, a script of keys and a fake clock.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use supine_core::plan::{Chime, Plan};
use supine_core::safety::StopRule;
use supine_core::session::{EndReason, HurtChoice, Record};
use supine_tui::player::HEARTBEAT_MS;
use supine_tui::{
    Cue, FakeClock, Io, PlayOutcome, Recording, ScriptedInput, Speaker, UiState, run,
};

use crate::common::{MemorySink, fast_settings, session_with, text};

/// A recording speaker that also notes the clock reading of every call.
struct Timed {
    clock: FakeClock,
    rec: Recording,
    at: Vec<u64>,
}

impl Speaker for Timed {
    fn speak(&mut self, text: &str) {
        self.at.push(supine_tui::Clock::now_ms(&self.clock));
        self.rec.speak(text);
    }
    fn stop(&mut self) {
        self.at.push(supine_tui::Clock::now_ms(&self.clock));
        self.rec.stop();
    }
    fn chime(&mut self, chime: Chime) {
        self.at.push(supine_tui::Clock::now_ms(&self.clock));
        self.rec.chime(chime);
    }
}

/// Every cue of the plan with the time it is due: the chime and first words of each segment at
/// its start, then the words of each later breath.
fn plan_cues(plan: &Plan) -> Vec<(u64, Cue)> {
    let mut out = Vec::new();
    for seg in &plan.segments {
        if let Some(c) = seg.chime {
            out.push((seg.start_ms, Cue::Chime(c)));
        }
        for (b, text) in seg.speak.iter().enumerate() {
            if !text.is_empty() {
                let at = seg.start_ms + b as u64 * plan.breath_ms;
                out.push((at, Cue::Speak(text.clone())));
            }
        }
    }
    out
}

fn terminal(w: u16, h: u16) -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(w, h)).unwrap()
}

#[test]
fn a_whole_session_speaks_every_cue_on_time_and_keeps_every_record() {
    let clock = FakeClock::new();
    let session = session_with(fast_settings());
    let plan = session.plan().clone();
    let total = plan.total_ms;
    // Keys that do nothing, at odd moments, put the frame ticks out of step with the breath:
    // cues are only on time if the loop wakes up for the boundaries themselves.
    let mut input = ScriptedInput::new(clock.clone())
        .type_at(1234, "z")
        .type_at(7777, "z")
        .type_at(total + 2000, "3\n");
    let mut speaker = Timed {
        clock: clock.clone(),
        rec: Recording::new(),
        at: Vec::new(),
    };
    let mut sink = MemorySink::default();
    let mut term = terminal(80, 24);
    let outcome = run(
        &mut term,
        session,
        UiState::new(true),
        Io {
            input: &mut input,
            clock: &clock,
            speaker: &mut speaker,
            sink: &mut sink,
        },
    )
    .unwrap();
    assert_eq!(
        outcome,
        PlayOutcome {
            end: EndReason::Completed,
            pain_after: Some(3),
            safety_stop: None,
            advice: None,
        }
    );

    // Every cue, in order, each at exactly the moment its breath begins.
    let expected = plan_cues(&plan);
    let got: Vec<(u64, Cue)> = speaker
        .at
        .iter()
        .copied()
        .zip(speaker.rec.cues.iter().cloned())
        .collect();
    assert_eq!(&got[..expected.len()], &expected[..]);
    let rest: Vec<&Cue> = got[expected.len()..].iter().map(|(_, c)| c).collect();
    assert_eq!(
        rest,
        [
            &Cue::Chime(Chime::End),
            &Cue::Speak(
                "That's the whole routine. Well done. How is your pain now, from zero to ten?"
                    .into()
            ),
            &Cue::Speak("Thank you. Well done for today.".into()),
        ]
    );
    assert_eq!(got[expected.len()].0, total, "the end chime is on time too");

    // Every segment is recorded as done, in order, then the pain after.
    let mut want: Vec<Record> = plan
        .segments
        .iter()
        .map(|s| Record::SegmentDone {
            index: s.index,
            step: s.step,
            pose: s.pose.clone(),
        })
        .collect();
    want.push(Record::PainAfter { pain: 3 });
    assert_eq!(sink.records, want);
    assert_eq!(sink.heartbeats as u64, (total + 2000) / HEARTBEAT_MS);

    // The last frame is the goodbye.
    assert!(text(&term).contains("Well done. That's today's routine."));
}

#[test]
fn this_hurts_skip_and_ctrl_c_are_recorded_and_leave_nothing_playing() {
    let clock = FakeClock::new();
    let session = session_with(fast_settings());
    let plan = session.plan().clone();
    let circles = plan
        .segments
        .iter()
        .find(|s| s.pose.as_deref() == Some("knee-circles"))
        .unwrap();
    let hurt_at = circles.start_ms + 1000;
    let mut input = ScriptedInput::new(clock.clone())
        .type_at(hurt_at, "h")
        .type_at(hurt_at + 3000, "3\n")
        .type_at(hurt_at + 4000, "nnn")
        .type_at(hurt_at + 5000, "s")
        .ctrl_c_at(hurt_at + 30_000);
    let mut speaker = Recording::new();
    let mut sink = MemorySink::default();
    let mut term = terminal(100, 30);
    let outcome = run(
        &mut term,
        session,
        UiState::new(false),
        Io {
            input: &mut input,
            clock: &clock,
            speaker: &mut speaker,
            sink: &mut sink,
        },
    )
    .unwrap();
    assert_eq!(
        outcome,
        PlayOutcome {
            end: EndReason::Quit,
            pain_after: None,
            safety_stop: None,
            advice: None,
        }
    );
    let hurt = sink
        .records
        .iter()
        .find_map(|r| match r {
            Record::Hurt { pose, report, rule } => Some((pose.clone(), *report, *rule)),
            _ => None,
        })
        .expect("the hurt report is kept");
    assert_eq!(hurt.0.as_deref(), Some("knee-circles"));
    assert_eq!(hurt.1.pain, 3);
    assert_eq!(hurt.2, StopRule::Adjust);
    assert!(sink.records.contains(&Record::Choice {
        pose: Some("knee-circles".into()),
        choice: HurtChoice::Skip,
        variant: None,
    }));
    // Nothing of the skipped pose is done after the choice, and the bridge was started.
    let after: Vec<&Record> = sink
        .records
        .iter()
        .skip_while(|r| !matches!(r, Record::Choice { .. }))
        .collect();
    assert!(after.iter().all(|r| !matches!(
        r,
        Record::SegmentDone { pose: Some(p), .. } if p == "knee-circles"
    )));
    let spoken = speaker.spoken();
    assert!(
        spoken.iter().any(|s| s.starts_with("Bridge.")),
        "{spoken:?}"
    );
    // The question stopped the voice first; Ctrl-C stopped it last.
    let asked = speaker
        .cues
        .iter()
        .position(|c| matches!(c, Cue::Speak(s) if s.starts_with("Let's pause")))
        .unwrap();
    assert_eq!(speaker.cues[asked - 1], Cue::Stop);
    assert_eq!(speaker.cues.last(), Some(&Cue::Stop));
}

#[test]
fn a_failing_journal_is_shown_once_and_the_session_goes_on() {
    let clock = FakeClock::new();
    let session = session_with(fast_settings());
    let total = session.plan().total_ms;
    let mut input = ScriptedInput::new(clock.clone()).type_at(total + 1000, "2\n");
    let mut speaker = Recording::new();
    let mut sink = MemorySink {
        fail: true,
        ..MemorySink::default()
    };
    let mut term = terminal(80, 24);
    let outcome = run(
        &mut term,
        session,
        UiState::new(true),
        Io {
            input: &mut input,
            clock: &clock,
            speaker: &mut speaker,
            sink: &mut sink,
        },
    )
    .unwrap();
    assert_eq!(outcome.end, EndReason::Completed);
    assert_eq!(outcome.pain_after, Some(2));
    let shown = text(&term);
    let notice = "could not save to the journal (database is locked); the session goes on";
    assert_eq!(shown.matches(notice).count(), 1, "{shown}");
}

#[test]
fn a_too_small_terminal_keeps_the_session_paused() {
    let clock = FakeClock::new();
    let session = session_with(fast_settings());
    let mut input = ScriptedInput::new(clock.clone())
        .type_at(20_000, " ")
        .ctrl_c_at(60_000);
    let mut speaker = Recording::new();
    let mut sink = MemorySink::default();
    let mut term = terminal(59, 20);
    let outcome = run(
        &mut term,
        session,
        UiState::new(true),
        Io {
            input: &mut input,
            clock: &clock,
            speaker: &mut speaker,
            sink: &mut sink,
        },
    )
    .unwrap();
    assert_eq!(outcome.end, EndReason::Quit);
    // A minute went by, space was pressed, and still no segment was done: time never ran.
    assert!(
        !sink
            .records
            .iter()
            .any(|r| matches!(r, Record::SegmentDone { .. })),
        "{:?}",
        sink.records
    );
    assert_eq!(
        speaker.cues[..4],
        [
            Cue::Chime(Chime::Start),
            Cue::Speak(speaker.spoken()[0].to_owned()),
            Cue::Stop,
            Cue::Chime(Chime::Pause),
        ]
    );
    assert!(text(&term).contains("make the terminal at least 60x20 (now 59x20)"));
}

#[test]
fn a_script_that_runs_out_fails_instead_of_hanging() {
    let clock = FakeClock::new();
    let session = session_with(fast_settings());
    let mut input = ScriptedInput::new(clock.clone());
    let mut speaker = Recording::new();
    let mut sink = MemorySink::default();
    let err = run(
        &mut terminal(80, 24),
        session,
        UiState::new(true),
        Io {
            input: &mut input,
            clock: &clock,
            speaker: &mut speaker,
            sink: &mut sink,
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("input script ran out"), "{err}");
}

#[test]
fn a_safety_stop_asks_pain_after_and_keeps_the_advice_to_the_end() {
    let clock = FakeClock::new();
    let session = session_with(fast_settings());
    let bridge = session
        .plan()
        .segments
        .iter()
        .find(|s| s.pose.as_deref() == Some("bridge"))
        .unwrap()
        .start_ms;
    // Pain 5, not sharp, spreading down a leg, no numbness: the stop rule stops the session.
    // Pain after is 7: asked, not copied from the 5.
    let mut input = ScriptedInput::new(clock.clone())
        .type_at(bridge + 1000, "h")
        .type_at(bridge + 2000, "5\n")
        .type_at(bridge + 3000, "nyn")
        .type_at(bridge + 5000, "7\n");
    let mut speaker = Recording::new();
    let mut sink = MemorySink::default();
    let mut term = terminal(80, 24);
    let outcome = run(
        &mut term,
        session,
        UiState::new(false),
        Io {
            input: &mut input,
            clock: &clock,
            speaker: &mut speaker,
            sink: &mut sink,
        },
    )
    .unwrap();
    let stop = supine_core::safety::SafetyStop::SpreadingPain;
    assert_eq!(
        outcome,
        PlayOutcome {
            end: EndReason::StoppedForSafety,
            pain_after: Some(7),
            safety_stop: Some(stop),
            advice: Some(stop.advice()),
        }
    );
    let pains: Vec<&Record> = sink
        .records
        .iter()
        .filter(|r| matches!(r, Record::PainAfter { .. }))
        .collect();
    assert_eq!(pains, [&Record::PainAfter { pain: 7 }]);
    // The advice is spoken, and still on the last frame.
    assert!(
        speaker.spoken().iter().any(|s| s.contains(&stop.advice())),
        "{:?}",
        speaker.spoken()
    );
    let shown = text(&term);
    assert!(shown.contains("time to stop"), "{shown}");
    assert!(shown.contains("contact a doctor or"), "{shown}");
    assert!(!shown.contains("Well done"), "{shown}");
}

/// A speaker that finds a problem with the sound at its first word.
struct Failing {
    rec: Recording,
    problem: Option<String>,
}

impl Speaker for Failing {
    fn speak(&mut self, text: &str) {
        if self.rec.spoken().is_empty() {
            self.problem = Some("the voice is not working (espeak-ng: ALSA: no device)".into());
        }
        self.rec.speak(text);
    }
    fn stop(&mut self) {
        self.rec.stop();
    }
    fn chime(&mut self, chime: Chime) {
        self.rec.chime(chime);
    }
    fn problem(&mut self) -> Option<String> {
        self.problem.take()
    }
}

#[test]
fn a_sound_problem_is_shown_once_and_the_session_goes_on() {
    let clock = FakeClock::new();
    let session = session_with(fast_settings());
    let total = session.plan().total_ms;
    let mut input = ScriptedInput::new(clock.clone()).type_at(total + 1000, "2\n");
    let mut speaker = Failing {
        rec: Recording::new(),
        problem: None,
    };
    let mut sink = MemorySink::default();
    let mut term = terminal(80, 24);
    let outcome = run(
        &mut term,
        session,
        UiState::new(true),
        Io {
            input: &mut input,
            clock: &clock,
            speaker: &mut speaker,
            sink: &mut sink,
        },
    )
    .unwrap();
    assert_eq!(outcome.end, EndReason::Completed);
    let shown = text(&term);
    assert_eq!(
        shown
            .matches("the voice is not working (espeak-ng: ALSA: no device)")
            .count(),
        1,
        "{shown}"
    );
}
