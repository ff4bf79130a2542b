//! Keys to actions: a pure function of the key and what is on screen.
//!
//! Everything that plays is driven by a handful of big, forgiving keys (space, arrows, h, q);
//! prompts add digits and Enter, y/n, or a letter or number per choice.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use supine_core::Event;
use supine_core::session::{HurtChoice, PromptKind, Screen, View};

/// What a key asks the player to do.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    /// Pass this event to the session.
    Session(Event),
    /// A digit typed into a pain score.
    Digit(u8),
    /// Erase the last typed digit.
    Erase,
    /// Send the typed pain score.
    Submit,
    /// Close the end screen.
    Dismiss,
    /// Ctrl-C: end the session now, as if quitting had been confirmed.
    Interrupt,
}

/// The key for a choice after "this hurts", besides its number.
pub fn choice_key(choice: HurtChoice) -> char {
    match choice {
        HurtChoice::Easier => 'e',
        HurtChoice::Skip => 's',
        HurtChoice::End => 'x',
        HurtChoice::Resume => 'c',
    }
}

/// Maps a key to an action, given what is on screen. Key releases and repeats are ignored.
pub fn key_to_event(key: KeyEvent, view: &View) -> Option<Action> {
    if key.kind != KeyEventKind::Press {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && matches!(key.code, KeyCode::Char('c' | 'C')) {
        return Some(Action::Interrupt);
    }
    if ctrl || key.modifiers.contains(KeyModifiers::ALT) {
        return None;
    }
    let code = match key.code {
        KeyCode::Char(c) => KeyCode::Char(c.to_ascii_lowercase()),
        other => other,
    };
    let session = |e: Event| Some(Action::Session(e));
    if view.screen == Screen::Ended {
        return Some(Action::Dismiss);
    }
    let Some(prompt) = &view.prompt else {
        // Playing or paused.
        return match code {
            KeyCode::Char(' ' | 'p') => session(Event::TogglePause),
            KeyCode::Right => session(Event::Next),
            KeyCode::Left => session(Event::Back),
            KeyCode::Char('h') => session(Event::Hurt),
            KeyCode::Char('q') | KeyCode::Esc => session(Event::Quit),
            _ => None,
        };
    };
    match (&prompt.kind, code) {
        (PromptKind::Pain, KeyCode::Char(c @ '0'..='9')) => Some(Action::Digit(c as u8 - b'0')),
        (PromptKind::Pain, KeyCode::Backspace | KeyCode::Delete) => Some(Action::Erase),
        (PromptKind::Pain, KeyCode::Enter) => Some(Action::Submit),
        (PromptKind::YesNo, KeyCode::Char('y')) => session(Event::Answer(true)),
        (PromptKind::YesNo, KeyCode::Char('n')) => session(Event::Answer(false)),
        // "End the session?": Esc means no, and "this hurts" is still one key away.
        (PromptKind::YesNo, KeyCode::Esc) if view.screen == Screen::ConfirmQuit => {
            session(Event::Answer(false))
        }
        (PromptKind::YesNo, KeyCode::Char('h')) if view.screen == Screen::ConfirmQuit => {
            session(Event::Hurt)
        }
        (PromptKind::Choices(choices), KeyCode::Char(c)) if c.is_ascii_digit() => {
            let n = (c as u8 - b'0') as usize;
            let choice = choices.get(n.checked_sub(1)?)?;
            session(Event::Choose(*choice))
        }
        (PromptKind::Choices(choices), KeyCode::Char(c))
            if choices.iter().any(|&h| choice_key(h) == c) =>
        {
            let choice = choices.iter().find(|&&h| choice_key(h) == c)?;
            session(Event::Choose(*choice))
        }
        (PromptKind::Message, _) => Some(Action::Dismiss),
        // q asks to end (a second q confirms it); on "how is your pain now?" it skips the answer.
        (_, KeyCode::Char('q')) => session(Event::Quit),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use crossterm::event::KeyEventState;
    use supine_core::{Content, DEFAULT_ROUTINE, PlanInput, Session, Settings};

    use super::*;

    fn session() -> Session {
        let input = PlanInput {
            routine_id: DEFAULT_ROUTINE.into(),
            settings: Settings::default(),
            conditions: vec![],
            overrides: BTreeMap::new(),
        };
        let mut s = Session::new(Arc::new(Content::builtin()), input, Some(3), false).unwrap();
        s.handle(Event::Tick(0));
        s
    }

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn map(code: KeyCode, s: &Session) -> Option<Action> {
        key_to_event(key(code), &s.view())
    }

    fn ev(e: Event) -> Option<Action> {
        Some(Action::Session(e))
    }

    #[test]
    fn playing_keys_pause_move_hurt_and_quit() {
        let s = session();
        assert_eq!(map(KeyCode::Char(' '), &s), ev(Event::TogglePause));
        assert_eq!(map(KeyCode::Right, &s), ev(Event::Next));
        assert_eq!(map(KeyCode::Left, &s), ev(Event::Back));
        assert_eq!(map(KeyCode::Char('h'), &s), ev(Event::Hurt));
        assert_eq!(map(KeyCode::Char('H'), &s), ev(Event::Hurt), "caps lock");
        assert_eq!(map(KeyCode::Char('q'), &s), ev(Event::Quit));
        assert_eq!(map(KeyCode::Char('y'), &s), None);
        assert_eq!(map(KeyCode::Char('5'), &s), None);
        assert_eq!(map(KeyCode::Enter, &s), None);
    }

    #[test]
    fn ctrl_c_always_interrupts_and_other_chords_do_nothing() {
        let mut s = session();
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(key_to_event(ctrl_c, &s.view()), Some(Action::Interrupt));
        s.handle(Event::Hurt);
        assert_eq!(key_to_event(ctrl_c, &s.view()), Some(Action::Interrupt));
        let ctrl_q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::CONTROL);
        assert_eq!(key_to_event(ctrl_q, &s.view()), None);
    }

    #[test]
    fn releases_and_repeats_are_ignored() {
        let s = session();
        let mut k = key(KeyCode::Char(' '));
        k.kind = KeyEventKind::Release;
        assert_eq!(key_to_event(k, &s.view()), None);
        let k = KeyEvent {
            kind: KeyEventKind::Repeat,
            state: KeyEventState::NONE,
            ..key(KeyCode::Char(' '))
        };
        assert_eq!(key_to_event(k, &s.view()), None);
    }

    #[test]
    fn pain_prompt_takes_digits_erase_enter_and_q() {
        let mut s = session();
        s.handle(Event::Hurt);
        assert_eq!(map(KeyCode::Char('1'), &s), Some(Action::Digit(1)));
        assert_eq!(map(KeyCode::Char('0'), &s), Some(Action::Digit(0)));
        assert_eq!(map(KeyCode::Backspace, &s), Some(Action::Erase));
        assert_eq!(map(KeyCode::Enter, &s), Some(Action::Submit));
        assert_eq!(map(KeyCode::Char('q'), &s), ev(Event::Quit));
        assert_eq!(map(KeyCode::Char(' '), &s), None, "no pausing mid-question");
        assert_eq!(map(KeyCode::Right, &s), None);
    }

    #[test]
    fn yes_no_prompts_take_y_and_n() {
        let mut s = session();
        s.handle(Event::Hurt);
        s.handle(Event::Pain(4));
        assert_eq!(map(KeyCode::Char('y'), &s), ev(Event::Answer(true)));
        assert_eq!(map(KeyCode::Char('N'), &s), ev(Event::Answer(false)));
        assert_eq!(map(KeyCode::Esc, &s), None);
        assert_eq!(map(KeyCode::Char('h'), &s), None);
    }

    #[test]
    fn confirm_quit_takes_y_n_esc_second_q_and_still_offers_this_hurts() {
        let mut s = session();
        s.handle(Event::Quit);
        assert_eq!(map(KeyCode::Char('y'), &s), ev(Event::Answer(true)));
        assert_eq!(map(KeyCode::Char('n'), &s), ev(Event::Answer(false)));
        assert_eq!(map(KeyCode::Esc, &s), ev(Event::Answer(false)));
        assert_eq!(map(KeyCode::Char('q'), &s), ev(Event::Quit));
        assert_eq!(map(KeyCode::Char('h'), &s), ev(Event::Hurt));
    }

    #[test]
    fn choices_take_their_letter_or_number_and_carry_on_gently_is_one_key() {
        let mut s = session();
        // Into the first pose, which has an easier variant.
        while s.view().pose_number.is_none() {
            s.handle(Event::Next);
        }
        s.handle(Event::Hurt);
        // Mild and no worse than before: the stop rule allows carrying on gently.
        s.handle(Event::Pain(3));
        for _ in 0..3 {
            s.handle(Event::Answer(false));
        }
        let view = s.view();
        let Some(PromptKind::Choices(choices)) = view.prompt.as_ref().map(|p| p.kind.clone())
        else {
            panic!("choices expected, got {view:?}")
        };
        assert_eq!(
            choices,
            [
                HurtChoice::Resume,
                HurtChoice::Easier,
                HurtChoice::Skip,
                HurtChoice::End
            ]
        );
        assert_eq!(
            map(KeyCode::Char('c'), &s),
            ev(Event::Choose(HurtChoice::Resume))
        );
        assert_eq!(
            map(KeyCode::Char('1'), &s),
            ev(Event::Choose(HurtChoice::Resume))
        );
        assert_eq!(
            map(KeyCode::Char('e'), &s),
            ev(Event::Choose(HurtChoice::Easier))
        );
        assert_eq!(
            map(KeyCode::Char('s'), &s),
            ev(Event::Choose(HurtChoice::Skip))
        );
        assert_eq!(
            map(KeyCode::Char('x'), &s),
            ev(Event::Choose(HurtChoice::End))
        );
        assert_eq!(
            map(KeyCode::Char('4'), &s),
            ev(Event::Choose(HurtChoice::End))
        );
        assert_eq!(map(KeyCode::Char('5'), &s), None);
        assert_eq!(map(KeyCode::Char('0'), &s), None);
    }

    #[test]
    fn carry_on_gently_is_not_offered_when_it_hurts_more_than_mildly() {
        let mut s = session();
        while s.view().pose_number.is_none() {
            s.handle(Event::Next);
        }
        s.handle(Event::Hurt);
        // Sharp pain: beyond "adjust", so no carrying on.
        s.handle(Event::Pain(7));
        s.handle(Event::Answer(true));
        s.handle(Event::Answer(false));
        s.handle(Event::Answer(false));
        let view = s.view();
        let Some(PromptKind::Choices(choices)) = view.prompt.as_ref().map(|p| p.kind.clone())
        else {
            panic!("choices expected, got {view:?}")
        };
        assert_eq!(choices, [HurtChoice::Skip, HurtChoice::End]);
        assert_eq!(map(KeyCode::Char('c'), &s), None);
    }

    #[test]
    fn pain_after_q_skips_and_ended_any_key_closes() {
        let mut s = session();
        s.handle(Event::Quit);
        s.handle(Event::Quit);
        assert_eq!(s.view().screen, Screen::PainAfter);
        assert_eq!(map(KeyCode::Char('7'), &s), Some(Action::Digit(7)));
        assert_eq!(map(KeyCode::Char('q'), &s), ev(Event::Quit));
        s.handle(Event::Pain(2));
        assert_eq!(map(KeyCode::Char('z'), &s), Some(Action::Dismiss));
        assert_eq!(map(KeyCode::Enter, &s), Some(Action::Dismiss));
    }
}
