//! The event loop: the only place that touches the terminal, the clock and the speaker.
//!
//! [`run`] is generic over the ratatui backend, the key source and the clock, so the same loop
//! runs in a real terminal ([`crate::play`]), headless in tests (`TestBackend`, a script of keys
//! and a [`FakeClock`]) and in the lateness benchmark (`TestBackend` and the real clock).

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::Backend;
use supine_core::Event;
use supine_core::Session;
use supine_core::session::{Effect, Record};

use crate::camera::{CameraFeed, CameraNews, status_line};
use crate::keys::{Action, key_to_event};
use crate::ui::{UiState, draw};
use crate::voice::Speaker;
use crate::{PlayOutcome, SessionSink, TuiError};

/// Redraw at least this often while time runs, so the breath shape moves smoothly.
pub const FRAME_MS: u64 = 50;
/// How often to tell the sink the session is still alive.
pub const HEARTBEAT_MS: u64 = 30_000;
/// How long the end message stays up when no key is pressed.
pub const LINGER_MS: u64 = 3_000;
/// How long to wait for a key while time is stopped (paused, a question on screen).
const IDLE_POLL_MS: u64 = 250;

/// A monotonic clock in milliseconds.
pub trait Clock {
    /// Milliseconds since an origin of the clock's choosing.
    fn now_ms(&self) -> u64;
    /// Waits for `d` (a fake clock simply moves on).
    fn sleep(&self, d: Duration);
}

/// The real clock, counting from when it was made.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: Instant,
    speed: f64,
}

impl SystemClock {
    /// A clock reading 0 now.
    pub fn new() -> SystemClock {
        SystemClock::with_speed(1.0)
    }

    /// A clock reading 0 now that runs `speed` times faster than real time (for end-to-end tests
    /// that walk a whole session quickly; 1.0 is real time).
    pub fn with_speed(speed: f64) -> SystemClock {
        SystemClock {
            origin: Instant::now(),
            speed: if speed.is_finite() && speed > 0.0 {
                speed
            } else {
                1.0
            },
        }
    }

    /// The instant it reads 0 at.
    pub fn origin(&self) -> Instant {
        self.origin
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock::new()
    }
}

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        (self.origin.elapsed().as_secs_f64() * 1000.0 * self.speed) as u64
    }

    fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// A clock that only moves when told to (or when slept on). Clones share the same time.
#[derive(Debug, Clone, Default)]
pub struct FakeClock {
    now: Arc<AtomicU64>,
}

impl FakeClock {
    /// A clock reading 0.
    pub fn new() -> FakeClock {
        FakeClock::default()
    }

    /// Moves the clock on.
    pub fn advance(&self, ms: u64) {
        self.now.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for FakeClock {
    fn now_ms(&self) -> u64 {
        self.now.load(Ordering::SeqCst)
    }

    fn sleep(&self, d: Duration) {
        self.advance(d.as_millis() as u64);
    }
}

/// Where terminal events (keys, resizes) come from.
pub trait InputSource {
    /// Waits up to `timeout` for the next event; `None` if none came.
    fn next_event(&mut self, timeout: Duration) -> Result<Option<TermEvent>, TuiError>;
}

/// Keys from the real terminal, through crossterm.
#[derive(Debug, Clone, Copy, Default)]
pub struct CrosstermInput;

impl InputSource for CrosstermInput {
    fn next_event(&mut self, timeout: Duration) -> Result<Option<TermEvent>, TuiError> {
        if crossterm::event::poll(timeout).map_err(TuiError::Input)? {
            crossterm::event::read().map(Some).map_err(TuiError::Input)
        } else {
            Ok(None)
        }
    }
}

/// Events at set times on a [`Clock`], for tests and benchmarks. Waiting sleeps on the clock, so
/// with a [`FakeClock`] a whole session runs in moments and with the real one it runs in real time.
///
/// Once the script is used up and the clock has run on for [`ScriptedInput::idle_limit_ms`]
/// more, it answers with an error, so a session waiting for a key that never comes fails its test
/// instead of hanging it.
#[derive(Debug, Clone)]
pub struct ScriptedInput<C> {
    clock: C,
    script: VecDeque<(u64, TermEvent)>,
    last_at: u64,
    /// How long after the last scripted event to keep waiting before giving up.
    pub idle_limit_ms: u64,
}

impl<C: Clock> ScriptedInput<C> {
    /// An empty script on this clock.
    pub fn new(clock: C) -> ScriptedInput<C> {
        ScriptedInput {
            clock,
            script: VecDeque::new(),
            last_at: 0,
            idle_limit_ms: 10 * 60_000,
        }
    }

    /// Adds an event at `at_ms` (events must be added in time order).
    pub fn event_at(mut self, at_ms: u64, event: TermEvent) -> Self {
        let at_ms = at_ms.max(self.last_at);
        self.last_at = at_ms;
        self.script.push_back((at_ms, event));
        self
    }

    /// Adds a key press at `at_ms`.
    pub fn key_at(self, at_ms: u64, code: KeyCode) -> Self {
        self.event_at(
            at_ms,
            TermEvent::Key(KeyEvent::new(code, KeyModifiers::NONE)),
        )
    }

    /// Adds each character of `keys` as a key press at `at_ms`, with `\n` as Enter.
    pub fn type_at(self, at_ms: u64, keys: &str) -> Self {
        keys.chars().fold(self, |s, c| {
            let code = if c == '\n' {
                KeyCode::Enter
            } else {
                KeyCode::Char(c)
            };
            s.key_at(at_ms, code)
        })
    }

    /// Adds Ctrl-C at `at_ms`.
    pub fn ctrl_c_at(self, at_ms: u64) -> Self {
        self.event_at(
            at_ms,
            TermEvent::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        )
    }
}

impl<C: Clock> InputSource for ScriptedInput<C> {
    fn next_event(&mut self, timeout: Duration) -> Result<Option<TermEvent>, TuiError> {
        let now = self.clock.now_ms();
        let Some(&(at, _)) = self.script.front() else {
            if now > self.last_at + self.idle_limit_ms {
                return Err(TuiError::Input(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the input script ran out while the session was still waiting",
                )));
            }
            self.clock.sleep(timeout);
            return Ok(None);
        };
        if at > now {
            let wait = Duration::from_millis(at - now).min(timeout);
            self.clock.sleep(wait);
            if self.clock.now_ms() < at {
                return Ok(None);
            }
        }
        Ok(self.script.pop_front().map(|(_, e)| e))
    }
}

/// What the loop talks to besides the terminal.
pub struct Io<'a> {
    /// Keys and resizes.
    pub input: &'a mut dyn InputSource,
    /// Time.
    pub clock: &'a dyn Clock,
    /// Voice and chimes.
    pub speaker: &'a mut dyn Speaker,
    /// The journal.
    pub sink: &'a mut dyn SessionSink,
}

/// Everything the loop holds while a session plays.
struct Player<'a, 'c> {
    session: Session,
    ui: UiState,
    io: Io<'a>,
    /// Clock reading of the last `Tick`.
    last_tick: u64,
    end: Option<supine_core::session::EndReason>,
    pain_after: Option<u8>,
    sink_failed: bool,
    /// Paused by the player because the terminal got too small (not by the person).
    auto_paused: bool,
    /// The camera, while it runs.
    camera: Option<&'c mut dyn CameraFeed>,
    /// Whether a camera was on at the start.
    had_camera: bool,
    /// Why the camera stopped, once it has ("the video ended" at its end).
    camera_stopped: Option<String>,
}

impl Player<'_, '_> {
    /// Carries out effects, in order.
    fn apply(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Speak(text) => self.io.speaker.speak(&text),
                Effect::StopSpeech => self.io.speaker.stop(),
                Effect::Chime(c) => self.io.speaker.chime(c),
                Effect::Show(_) => self.ui.prompt_changed(),
                Effect::Record(r) => {
                    if let Record::PainAfter { pain } = r {
                        self.pain_after = Some(pain);
                    }
                    let result = self.io.sink.record(&r);
                    self.sink_result(result);
                }
                Effect::Ended(reason) => self.end = Some(reason),
            }
        }
    }

    fn sink_result(&mut self, result: Result<(), String>) {
        if let Err(e) = result
            && !self.sink_failed
        {
            self.sink_failed = true;
            self.ui.notify(format!(
                "could not save to the journal ({e}); the session goes on"
            ));
        }
    }

    fn handle(&mut self, event: Event) {
        let fx = self.session.handle(event);
        self.apply(fx);
    }

    /// Shows a sound problem the speaker found (once each: the speaker hands each out once).
    fn sound_problems(&mut self) {
        while let Some(p) = self.io.speaker.problem() {
            self.ui.notify(p);
        }
    }

    fn tick(&mut self) {
        let now = self.io.clock.now_ms();
        self.last_tick = now;
        self.handle(Event::Tick(now));
    }

    /// Feeds the session what the camera saw since the last turn (after the tick, as the
    /// session wants). When the camera stops, the session hears it is off and the timer leads.
    fn camera_news(&mut self) {
        let Some(feed) = self.camera.as_mut() else {
            return;
        };
        for news in feed.poll(self.last_tick) {
            match news {
                CameraNews::Seen(o) => self.handle(Event::Seen(o)),
                CameraNews::Stopped(reason) => {
                    self.camera = None;
                    self.camera_stopped = Some(reason.unwrap_or_else(|| "the video ended".into()));
                    self.handle(Event::Camera(false));
                    break;
                }
            }
        }
    }

    /// The camera's status line, while there is a camera.
    fn camera_line(&self, view: &supine_core::session::View) -> Option<String> {
        if !self.had_camera {
            return None;
        }
        status_line(view.camera.as_ref(), self.camera_stopped.as_deref())
    }

    /// How long to wait for a key: until the session next needs a tick (the next breath
    /// boundary, or sooner a camera deadline), or a frame for the breath shape, whichever
    /// comes first.
    fn timeout(&self) -> Duration {
        let Some(next) = self.session.next_tick_in_ms() else {
            return Duration::from_millis(IDLE_POLL_MS);
        };
        let due = self.last_tick + next;
        let left = due.saturating_sub(self.io.clock.now_ms());
        Duration::from_millis(left.min(FRAME_MS))
    }

    /// Pauses while the terminal is too small to show anything useful, and carries on when it
    /// fits again (unless the person paused in the meantime).
    fn fit(&mut self, width: u16, height: u16) {
        let small = self.ui.set_size(width, height);
        if small && self.session.is_running() {
            self.auto_paused = true;
            self.handle(Event::Pause);
        } else if !small && self.auto_paused {
            self.auto_paused = false;
            if self.session.view().screen == supine_core::session::Screen::Paused {
                self.handle(Event::Resume);
            }
        }
    }

    /// Ctrl-C: confirm quitting and skip the pain question, then stop talking.
    fn interrupt(&mut self) {
        for _ in 0..4 {
            if self.session.is_ended() {
                break;
            }
            self.handle(Event::Quit);
        }
        self.io.speaker.stop();
    }
}

fn draw_err<E: std::fmt::Display>(e: E) -> TuiError {
    TuiError::Draw(e.to_string())
}

/// Plays `session` to its end on `terminal`: ticks the clock, draws, maps keys and carries out
/// the session's effects. Returns once the session has ended and its last message was shown.
pub fn run<B: Backend>(
    terminal: &mut Terminal<B>,
    session: Session,
    ui: UiState,
    io: Io<'_>,
) -> Result<PlayOutcome, TuiError> {
    run_with_camera(terminal, session, ui, io, None)
}

/// [`run`], with a camera: the session is told the camera is on at the start, and each turn of
/// the loop feeds it what the camera saw (after the tick). When the camera stops (the video's
/// end, a read error) the session is told it is off and the timer leads from there, and a
/// status line says what the camera sees.
pub fn run_with_camera<B: Backend>(
    terminal: &mut Terminal<B>,
    session: Session,
    ui: UiState,
    io: Io<'_>,
    camera: Option<&mut dyn CameraFeed>,
) -> Result<PlayOutcome, TuiError> {
    let had_camera = camera.is_some();
    let mut p = Player {
        session,
        ui,
        io,
        last_tick: 0,
        end: None,
        pain_after: None,
        sink_failed: false,
        auto_paused: false,
        camera,
        had_camera,
        camera_stopped: None,
    };
    if had_camera {
        p.handle(Event::Camera(true));
    }
    p.tick();
    p.camera_news();
    let mut last_heartbeat = p.last_tick;
    let mut interrupted = false;
    let end = loop {
        if let Some(end) = p.end {
            break end;
        }
        p.sound_problems();
        let size = terminal.size().map_err(draw_err)?;
        p.fit(size.width, size.height);
        let view = p.session.view();
        let line = p.camera_line(&view);
        p.ui.set_camera_line(line);
        terminal.draw(|f| draw(f, &view, &p.ui)).map_err(draw_err)?;
        let event = p.io.input.next_event(p.timeout())?;
        p.tick();
        p.camera_news();
        if p.last_tick.saturating_sub(last_heartbeat) >= HEARTBEAT_MS {
            last_heartbeat = p.last_tick;
            let result = p.io.sink.heartbeat();
            p.sink_result(result);
        }
        let Some(TermEvent::Key(key)) = event else {
            // Resizes are picked up by the next draw.
            continue;
        };
        match key_to_event(key, &p.session.view()) {
            Some(Action::Interrupt) => {
                p.interrupt();
                interrupted = true;
            }
            Some(action) => {
                if let Some(e) = p.ui.apply(action) {
                    p.handle(e);
                }
            }
            None => {}
        }
    };
    if !interrupted {
        // Show the last words until a key, or for a few seconds.
        let ended_at = p.io.clock.now_ms();
        loop {
            p.sound_problems();
            let view = p.session.view();
            terminal.draw(|f| draw(f, &view, &p.ui)).map_err(draw_err)?;
            let waited = p.io.clock.now_ms().saturating_sub(ended_at);
            if waited >= LINGER_MS {
                break;
            }
            let timeout = Duration::from_millis(LINGER_MS - waited);
            if let Some(TermEvent::Key(k)) = p.io.input.next_event(timeout)?
                && key_to_event(k, &view).is_some()
            {
                break;
            }
        }
    }
    Ok(PlayOutcome {
        end,
        pain_after: p.pain_after,
        safety_stop: p.session.safety_stop(),
        advice: p.session.view().advice,
    })
}
