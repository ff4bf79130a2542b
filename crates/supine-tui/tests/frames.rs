//! Snapshots of frames at the moments that matter.

use insta::assert_snapshot;
use ratatui::style::Color;
use supine_core::Event;
use supine_core::plan::SegmentKind;
use supine_core::session::{HurtChoice, Screen};
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
    for c in [
        HurtChoice::Resume,
        HurtChoice::Easier,
        HurtChoice::Skip,
        HurtChoice::End,
    ] {
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

/// A bridge hold stopped by the stop rule: pain 4, spreading down a leg.
fn stopped_for_safety() -> supine_core::Session {
    let mut s = bridge_hold();
    s.handle(Event::Hurt);
    s.handle(Event::Pain(4));
    s.handle(Event::Answer(false));
    s.handle(Event::Answer(true));
    s.handle(Event::Answer(false));
    s
}

#[test]
fn a_safety_stop_keeps_its_advice_above_the_pain_question() {
    let s = stopped_for_safety();
    assert_eq!(s.view().screen, Screen::PainAfter);
    let advice = s.view().advice.expect("advice after a safety stop");
    for (w, h) in [(80, 24), (60, 20)] {
        let shown = text(&frame(&s, &ui(), w, h));
        assert!(shown.contains("time to stop"), "{shown}");
        assert!(words_whole(&shown, &advice), "{w}x{h}: {shown}");
        let question = s.view().prompt.expect("the pain question").text;
        assert!(words_whole(&shown, &question), "{shown}");
        assert!(shown.contains(" 10 "), "the whole scale: {shown}");
        assert!(!shown.contains("Well done"), "{shown}");
    }
    assert_snapshot!(text(&frame(&s, &ui(), 80, 24)));

    // The longest advice (numbness adds the emergency signs), with both sound notices, in the
    // smallest terminal.
    let mut s = bridge_hold();
    s.handle(Event::Hurt);
    s.handle(Event::Pain(4));
    s.handle(Event::Answer(false));
    s.handle(Event::Answer(false));
    s.handle(Event::Answer(true));
    let advice = s.view().advice.expect("advice after numbness");
    let mut noted = ui();
    noted.notify(supine_tui::NO_SPEECH_ENGINE);
    noted.notify(supine_tui::NO_CHIME_PLAYER);
    let shown = text(&frame(&s, &noted, 60, 20));
    assert!(words_whole(&shown, &advice), "{shown}");
    assert!(shown.contains(" 10 "), "the whole scale: {shown}");
    assert!(shown.contains("type a number"), "{shown}");
    assert!(shown.contains("the terminal bell rings instead"), "{shown}");
    assert_snapshot!("numbness_advice_with_notices_at_60x20", shown);
}

#[test]
fn ended_by_the_stop_rule() {
    let mut s = stopped_for_safety();
    s.handle(Event::Pain(6));
    assert!(s.is_ended());
    let t = frame(&s, &ui(), 80, 24);
    let shown = text(&t);
    assert!(
        shown.contains("this advice stays on your screen after you close"),
        "{shown}"
    );
    assert!(!shown.contains("Well done"), "{shown}");
    assert_snapshot!(shown);
}

#[test]
fn too_small_terminal() {
    let s = bridge_hold();
    let t = frame(&s, &ui(), 59, 20);
    let shown = text(&t);
    assert!(
        shown.contains("make the terminal at least 60x20 (now 59x20)"),
        "{shown}"
    );
    assert!(!shown.contains("Hold here"), "nothing else is drawn");
    assert_snapshot!(shown);
    let t = frame(&s, &ui(), 30, 6);
    assert_snapshot!("too_small_terminal_tiny", text(&t));
}

/// Whether every word of `text` is on screen whole (not broken across lines or cut off).
fn words_whole(shown: &str, text: &str) -> bool {
    let on_screen: Vec<&str> = shown
        .split(|c: char| c.is_whitespace() || "│╭╮╰╯─\"".contains(c))
        .collect();
    text.split_whitespace().all(|w| on_screen.contains(&w))
}

/// Everything a person needs on every screen, at 80x24 and at the sizes that used to be "too
/// small": 80x23 (80x24 with a tmux status line), 79x24, and the compact 60x20.
#[test]
fn every_part_of_the_routine_fits_compact_terminals_with_whole_words() {
    let s = session();
    let segments = s.plan().segments.clone();
    for (w, h) in [(80, 24), (80, 23), (79, 24), (60, 20)] {
        for seg in &segments {
            let s = at(session(), seg.start_ms + 500);
            let shown = text(&frame(&s, &ui(), w, h));
            let view = s.view();
            assert!(!shown.contains("paused until it fits"), "{w}x{h}: {shown}");
            assert!(
                words_whole(&shown, &view.instruction),
                "{w}x{h} segment {}: {shown}",
                seg.index
            );
            assert!(words_whole(&shown, &view.title), "{w}x{h}: {shown}");
            assert!(shown.contains("left in this part"), "{w}x{h}: {shown}");
            assert!(shown.contains("breathe"), "{w}x{h}: {shown}");
            assert!(shown.contains("h this hurts"), "{w}x{h}: {shown}");
            assert!(shown.contains('╰'), "the box is closed: {w}x{h}: {shown}");
        }
    }
}

#[test]
fn prompts_fit_compact_terminals_with_whole_words() {
    let s = session();
    let start = start_of(&s, |seg| seg.pose.as_deref() == Some("knee-circles"));
    let mut s = at(s, start + 3000);
    s.handle(Event::Hurt);
    let pain = s.clone();
    s.handle(Event::Pain(3));
    for _ in 0..3 {
        s.handle(Event::Answer(false));
    }
    let choices = s;
    let mut quit = at(session(), 1000);
    quit.handle(Event::Quit);
    let mut paused = bridge_hold();
    paused.handle(Event::Pause);
    for (w, h) in [(80, 23), (79, 24), (60, 20)] {
        for s in [&pain, &choices, &quit, &paused] {
            let view = s.view();
            let shown = text(&frame(s, &ui(), w, h));
            let words = view
                .prompt
                .as_ref()
                .map_or(view.instruction.clone(), |p| p.text.clone());
            assert!(words_whole(&shown, &words), "{w}x{h}: {shown}");
            assert!(shown.contains('╰'), "the box is closed: {w}x{h}: {shown}");
            let help = shown.lines().last().unwrap().trim_matches([' ', '"']);
            assert!(help.contains(" · "), "key help: {w}x{h}: {shown}");
        }
        let shown = text(&frame(&choices, &ui(), w, h));
        for c in [
            HurtChoice::Resume,
            HurtChoice::Easier,
            HurtChoice::Skip,
            HurtChoice::End,
        ] {
            assert!(shown.contains(c.label()), "{w}x{h}: {shown}");
        }
    }
    assert_snapshot!(
        "hurt_choices_at_60x20",
        text(&frame(&choices, &ui(), 60, 20))
    );
}

#[test]
fn a_compact_terminal_plays_the_longest_instruction() {
    // Getting into position for the first pose has the longest instruction.
    let s = session();
    let longest = s
        .plan()
        .segments
        .iter()
        .max_by_key(|seg| seg.show.len())
        .unwrap()
        .start_ms;
    let s = at(s, longest + 500);
    assert_snapshot!(
        "longest_instruction_at_60x20",
        text(&frame(&s, &ui(), 60, 20))
    );
    assert_snapshot!(
        "longest_instruction_at_80x23",
        text(&frame(&s, &ui(), 80, 23))
    );
}

#[test]
fn time_left_and_what_comes_next_cannot_be_read_as_one_countdown() {
    let s = session();
    let start = start_of(&s, |seg| {
        seg.counter.as_deref() == Some("circle 2 of 5, clockwise")
    });
    let shown = text(&frame(&at(s, start + 1000), &ui(), 80, 24));
    assert!(shown.contains("0:09 left in this part"), "{shown}");
    assert!(shown.contains("after Hip rotations: Bridge"), "{shown}");
    assert!(!shown.contains("next: Bridge"), "{shown}");
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
