//! supine's terminal player: a ratatui front end over the core session state machine, with voice
//! and chimes.
//!
//! It owns what is specific to a terminal: mapping keys to session events ([`keys`]), drawing a
//! frame from the session's view ([`ui`]), speaking cues through `espeak-ng` and playing
//! chimes through a sound player ([`voice`]), and the event loop that ties them to a clock
//! ([`player`]). All timing and dosing lives in
//! [`supine_core::Session`]; the player only passes time in and carries the effects out.
//!
//! The binary calls [`play`] with a session, the options and a [`SessionSink`] that writes the
//! journal.
#![warn(missing_docs)]

mod big;
pub mod camera;
pub mod check;
pub mod keys;
pub mod player;
mod terminal;
mod tone;
pub mod ui;
pub mod voice;

use std::io::IsTerminal;

use supine_core::Session;
use supine_core::safety::SafetyStop;
use supine_core::session::{EndReason, Record};

pub use camera::{CameraFeed, CameraNews, ChannelFeed, ScriptedFeed};
pub use check::{SoundCheck, sound_check};
pub use keys::{Action, key_to_event};
pub use player::{
    Clock, FakeClock, InputSource, Io, ScriptedInput, SystemClock, run, run_with_camera,
};
pub use ui::{PlayerView, UiState, draw};
pub use voice::{
    Chimes, Cue, Espeak, Recording, Silent, Sound, SoundPlayer, Speaker, VoiceOptions,
};

/// Shown when voice is on but `espeak-ng` is not installed.
pub const NO_SPEECH_ENGINE: &str =
    "no speech engine found (install espeak-ng); carrying on with chimes and words on screen";

/// Shown when sound is on but no program to play the chimes is installed.
pub const NO_CHIME_PLAYER: &str = "no sound player found for the chimes (install alsa-utils for \
                                   aplay); the terminal bell rings instead";

/// Where the player keeps what happened, as it happens.
pub trait SessionSink {
    /// Keeps a record now (before the next thing happens, so a crash loses nothing done).
    fn record(&mut self, r: &Record) -> Result<(), String>;
    /// Says the session is still going; called every 30 seconds.
    fn heartbeat(&mut self) -> Result<(), String>;
}

/// How the player looks and sounds.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayerOptions {
    /// Voice and chimes.
    pub voice: VoiceOptions,
    /// Draw colours (never when `NO_COLOR` is set, whatever this says).
    pub color: bool,
    /// How much faster than real time the session runs (1.0 in normal use; tests go faster).
    pub speed: f64,
}

impl Default for PlayerOptions {
    fn default() -> Self {
        PlayerOptions {
            voice: VoiceOptions::default(),
            color: color_from_env(),
            speed: 1.0,
        }
    }
}

/// The width of the terminal, in columns, if there is one to ask.
pub fn terminal_width() -> Option<u16> {
    crossterm::terminal::size()
        .ok()
        .map(|(w, _)| w)
        .filter(|&w| w > 0)
}

/// Whether the environment allows colour: not when `NO_COLOR` is set to anything but "".
pub fn color_from_env() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// How a played session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayOutcome {
    /// Why it ended.
    pub end: EndReason,
    /// Pain 0-10 reported at the end, if any.
    pub pain_after: Option<u8>,
    /// The safety stop that ended it, if the stop rule did.
    pub safety_stop: Option<SafetyStop>,
    /// The advice that came with a safety stop, to show again once the player is gone.
    pub advice: Option<String>,
}

/// Errors from the player.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    /// Standard output is not a terminal.
    #[error("the player needs a terminal, and standard output is not one")]
    NotATerminal,
    /// The terminal could not be set up or given back.
    #[error("could not set up the terminal: {0}")]
    Terminal(#[from] std::io::Error),
    /// Keys could not be read.
    #[error("could not read keys: {0}")]
    Input(std::io::Error),
    /// A frame could not be drawn.
    #[error("could not draw on the terminal: {0}")]
    Draw(String),
}

/// The voice and chimes installed here, with a notice in `ui` for each one missing.
fn sound(opts: &VoiceOptions, ui: &mut UiState) -> Sound {
    let voice = match Espeak::detect(opts) {
        Some(mut espeak) => {
            if let Some(name) = espeak.voice().map(str::to_owned)
                && espeak.check_voice().is_err()
            {
                espeak.use_default_voice();
                ui.notify(format!(
                    "espeak-ng has no voice \"{name}\"; using its default voice"
                ));
            }
            Some(espeak)
        }
        None => {
            ui.notify(NO_SPEECH_ENGINE);
            None
        }
    };
    let chimes = Chimes::detect();
    if chimes.players().is_empty() {
        ui.notify(NO_CHIME_PLAYER);
    }
    Sound::new(voice, chimes)
}

/// Plays a session in the terminal until it ends, speaking its cues and keeping its records in
/// `sink` as they happen.
///
/// The terminal is always given back (raw mode off, main screen, cursor shown), on return, on
/// error and on panic. A failing sink, a missing or failing voice and chimes that cannot be
/// played are each shown on screen once, and the session goes on. With a `camera` the session
/// follows what it sees ([`run_with_camera`]).
pub fn play(
    session: Session,
    opts: &PlayerOptions,
    sink: &mut dyn SessionSink,
    camera: Option<&mut dyn CameraFeed>,
) -> Result<PlayOutcome, TuiError> {
    if !std::io::stdout().is_terminal() {
        return Err(TuiError::NotATerminal);
    }
    let mut ui = UiState::new(opts.color && color_from_env());
    let mut speaker: Box<dyn Speaker> = if opts.voice.enabled {
        Box::new(sound(&opts.voice, &mut ui))
    } else {
        Box::new(Silent)
    };
    let mut guard = terminal::TerminalGuard::enter()?;
    let clock = SystemClock::with_speed(opts.speed);
    let mut input = player::CrosstermInput;
    let result = run_with_camera(
        guard.terminal(),
        session,
        ui,
        Io {
            input: &mut input,
            clock: &clock,
            speaker: speaker.as_mut(),
            sink,
        },
        camera,
    );
    if result.is_err() {
        speaker.stop();
    }
    let left = guard.leave();
    let outcome = result?;
    left?;
    Ok(outcome)
}
