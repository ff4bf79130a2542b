//! Snapshots of frames at the moments that matter.

use insta::assert_snapshot;
use ratatui::style::Color;
use supine_core::Event;
use supine_core::plan::SegmentKind;
use supine_core::session::HurtChoice;
use supine_tui::{Action, UiState};

use crate::common::{at, frame, session, start_of, text};

fn ui() -> UiState {
    UiState::new(true)
}

#[test]
fn settle_in_start() {
    let s = at(session(), 1000);
    let t = frame(&s, &ui(), 80, 24);
    let shown = text(&t);
    assert!(shown.contains(supine_tui::ui::PLAYING_HELP), "{shown}");
    assert_snapshot!(shown);
}

#[test]
fn knee_circles_with_counter() {
    let s = session();
    let start = start_of(&s, |seg| {
        seg.counter.as_deref() == Some("circle 2 of 5, clockwise")
    });
    let s = at(s, start + 5000);
    let t = frame(&s, &ui(), 80, 24);
    assert_snapshot!(text(&t));
}

/// The second breath of the first bridge hold.
fn bridge_hold() -> supine_core::Session {
    let s = session();
    let start = start_of(&s, |seg| {
        seg.kind == SegmentKind::Hold && seg.pose.as_deref() == Some("bridge")
    });
    let breath = s.plan().breath_ms;
    at(s, start + breath + 2000)
}

#[test]
fn bridge_hold_with_breath_count() {
    let s = bridge_hold();
    let t = frame(&s, &ui(), 80, 24);
    let shown = text(&t);
    assert!(shown.contains("breath 2 of 3"), "{shown}");
    assert_snapshot!(shown);
}

#[test]
fn bridge_hold_at_160x48() {
    let t = frame(&bridge_hold(), &ui(), 160, 48);
    assert_snapshot!(text(&t));
}

#[test]
fn getting_into_position_shows_why_it_helps() {
    let s = session();
    let start = start_of(&s, |seg| {
        seg.kind == SegmentKind::Intro && seg.pose.as_deref() == Some("bridge")
    });
    let s = at(s, start + 1000);
    let t = frame(&s, &ui(), 80, 24);
    let shown = text(&t);
    assert!(shown.contains("Strengthens your back"), "{shown}");
    assert_snapshot!(shown);
}

#[test]
fn paused() {
    let mut s = bridge_hold();
    s.handle(Event::Pause);
    let t = frame(&s, &ui(), 80, 24);
    let shown = text(&t);
    assert!(shown.contains("PAUSED"), "{shown}");
    assert!(!shown.contains("breathe in"), "no breath cue while paused");
    assert_snapshot!(shown);
}

#[test]
fn hurt_pain_prompt_with_a_typed_score() {
    let mut s = bridge_hold();
    s.handle(Event::Hurt);
    let mut ui = ui();
    ui.apply(Action::Digit(1));
    ui.apply(Action::Digit(0));
    let t = frame(&s, &ui, 80, 24);
    assert_snapshot!(text(&t));
}

#[test]
fn hurt_choices() {
    let s = session();
    let start = start_of(&s, |seg| seg.pose.as_deref() == Some("knee-circles"));
    let mut s = at(s, start + 3000);
    s.handle(Event::Hurt);
    s.handle(Event::Pain(3));
    for _ in 0..3 {
        s.handle(Event::Answer(false));
    }
    let t = frame(&s, &ui(), 80, 24);
    let shown = text(&t);
    for c in [HurtChoice::Easier, HurtChoice::Skip, HurtChoice::End] {
        assert!(shown.contains(c.label()), "{shown}");
    }
    assert_snapshot!(shown);
}

#[test]
fn confirm_quit() {
    let mut s = at(session(), 1000);
    s.handle(Event::Quit);
    let t = frame(&s, &ui(), 80, 24);
    assert_snapshot!(text(&t));
}

#[test]
fn pain_after() {
    let s = session();
    let total = s.plan().total_ms;
    let s = at(s, total);
    let t = frame(&s, &ui(), 80, 24);
    assert_snapshot!(text(&t));
}

#[test]
fn ended() {
    let s = session();
    let total = s.plan().total_ms;
    let mut s = at(s, total);
    s.handle(Event::Pain(2));
    let t = frame(&s, &ui(), 80, 24);
    assert_snapshot!(text(&t));
}

#[test]
fn ended_by_the_stop_rule() {
    let mut s = bridge_hold();
    s.handle(Event::Hurt);
    s.handle(Event::Pain(4));
    s.handle(Event::Answer(false));
    s.handle(Event::Answer(true));
    s.handle(Event::Answer(false));
    assert!(s.is_ended());
    let t = frame(&s, &ui(), 80, 24);
    assert_snapshot!(text(&t));
}

#[test]
fn too_small_terminal() {
    let s = bridge_hold();
    let t = frame(&s, &ui(), 79, 24);
    let shown = text(&t);
    assert!(
        shown.contains("make the terminal at least 80x24 (now 79x24)"),
        "{shown}"
    );
    assert!(!shown.contains("Hold here"), "nothing else is drawn");
    assert_snapshot!(shown);
    let t = frame(&s, &ui(), 30, 6);
    assert_snapshot!("too_small_terminal_tiny", text(&t));
}

#[test]
fn no_color_draws_the_same_text_without_any_colour() {
    let s = bridge_hold();
    let coloured = frame(&s, &UiState::new(true), 80, 24);
    let plain = frame(&s, &UiState::new(false), 80, 24);
    assert_eq!(text(&coloured), text(&plain));
    let colours = |t: &ratatui::Terminal<ratatui::backend::TestBackend>| {
        t.backend()
            .buffer()
            .content()
            .iter()
            .filter(|c| c.fg != Color::Reset || c.bg != Color::Reset)
            .count()
    };
    assert!(colours(&coloured) > 0, "colour is used as a hint");
    assert_eq!(colours(&plain), 0, "NO_COLOR: no colour at all");
    assert_snapshot!(format!("{:?}", plain.backend().buffer()));
}

#[test]
fn large_terminals_show_the_instruction_in_block_letters() {
    let t = frame(&bridge_hold(), &ui(), 160, 48);
    let shown = text(&t);
    assert!(
        shown.contains('▀') && !shown.contains("Hold here and breathe."),
        "{shown}"
    );
    // The longest instruction, getting into position, fits too.
    let s = at(session(), 1000);
    let t = frame(&s, &ui(), 160, 48);
    let shown = text(&t);
    assert!(!shown.contains("Lie on your back"), "{shown}");
    assert_snapshot!(shown);
}

#[test]
fn block_letters_give_way_to_normal_text_when_they_do_not_fit() {
    // 110x33 has room for short instructions in block letters, not for the longest.
    let s = at(session(), 1000);
    let t = frame(&s, &ui(), 110, 33);
    let shown = text(&t);
    assert!(shown.contains("Lie on your back, knees bent"), "{shown}");
    assert_snapshot!(shown);
    let t = frame(&bridge_hold(), &ui(), 110, 33);
    assert!(!text(&t).contains("Hold here and breathe."));
}
