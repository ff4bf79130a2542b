//! Voice and chimes: the [`Speaker`] the player talks through, and its implementations.
//!
//! - [`Espeak`] speaks with the `espeak-ng` program, one child process per utterance, so a new cue
//!   or a pause cuts the previous one off at once. Chimes are soft tones played with `aplay` or
//!   `paplay` when one of them is installed, and the terminal bell otherwise.
//! - [`Silent`] says nothing (voice off).
//! - [`Recording`] keeps every cue in order, for tests.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use supine_core::plan::Chime;

use crate::tone;

/// Something that can speak cues and play chimes. Calls must return quickly: the player calls
/// them from its event loop.
pub trait Speaker {
    /// Say `text`, cutting off anything still being said.
    fn speak(&mut self, text: &str);
    /// Stop speaking now.
    fn stop(&mut self);
    /// Play a chime.
    fn chime(&mut self, chime: Chime);
}

/// How the player should sound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceOptions {
    /// Speak the cues (false: no speech and no chimes).
    pub enabled: bool,
    /// Speaking rate in words per minute.
    pub rate_wpm: u32,
    /// An `espeak-ng` voice name (e.g. `en-gb`), or the engine's default.
    pub voice: Option<String>,
    /// A soft chime at the start of every inhale. The player plays whatever chimes the session
    /// asks for, so the caller passes this on to `Session::new`.
    pub breath_chimes: bool,
}

impl Default for VoiceOptions {
    fn default() -> Self {
        VoiceOptions {
            enabled: true,
            rate_wpm: 150,
            voice: None,
            breath_chimes: false,
        }
    }
}

/// Errors from running `espeak-ng` directly.
#[derive(Debug, thiserror::Error)]
pub enum VoiceError {
    /// The program could not be started.
    #[error("could not run {program}: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// Why.
        source: std::io::Error,
    },
    /// The program ran and failed.
    #[error("{program} failed ({status}): {stderr}")]
    Failed {
        /// The program.
        program: String,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// What it printed on standard error.
        stderr: String,
    },
}

/// No sound at all.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Speaker for Silent {
    fn speak(&mut self, _text: &str) {}
    fn stop(&mut self) {}
    fn chime(&mut self, _chime: Chime) {}
}

/// One call made to a [`Recording`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cue {
    /// `speak(text)`.
    Speak(String),
    /// `stop()`.
    Stop,
    /// `chime(chime)`.
    Chime(Chime),
}

/// A speaker that records every call in order, for tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recording {
    /// Every call so far, oldest first.
    pub cues: Vec<Cue>,
}

impl Recording {
    /// An empty recording.
    pub fn new() -> Recording {
        Recording::default()
    }

    /// The texts spoken, in order.
    pub fn spoken(&self) -> Vec<&str> {
        self.cues
            .iter()
            .filter_map(|c| match c {
                Cue::Speak(s) => Some(s.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The chimes played, in order.
    pub fn chimes(&self) -> Vec<Chime> {
        self.cues
            .iter()
            .filter_map(|c| match c {
                Cue::Chime(c) => Some(*c),
                _ => None,
            })
            .collect()
    }
}

impl Speaker for Recording {
    fn speak(&mut self, text: &str) {
        self.cues.push(Cue::Speak(text.to_owned()));
    }

    fn stop(&mut self) {
        self.cues.push(Cue::Stop);
    }

    fn chime(&mut self, chime: Chime) {
        self.cues.push(Cue::Chime(chime));
    }
}

/// Finds an executable on `PATH`.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file() || p.with_extension("exe").is_file()
}

/// Work for the background thread that owns the child processes.
enum Job {
    /// Kill the current utterance and start this one.
    Speak(Command),
    /// Kill the current utterance.
    Stop,
    /// Start a chime tone.
    Tone(Command),
}

/// Speech through `espeak-ng`.
///
/// Starting and killing processes happens on a background thread, so [`Speaker`] calls only send
/// a message and never wait. Finished processes are reaped there. When an `Espeak` is dropped the
/// utterance in progress is allowed to finish (the last words of a session matter); call
/// [`Speaker::stop`] first to cut it off.
pub struct Espeak {
    program: PathBuf,
    rate_wpm: u32,
    voice: Option<String>,
    jobs: Sender<Job>,
    tones: Option<Tones>,
}

impl std::fmt::Debug for Espeak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Espeak")
            .field("program", &self.program)
            .field("rate_wpm", &self.rate_wpm)
            .field("voice", &self.voice)
            .field("tones", &self.tones.as_ref().map(|t| &t.player))
            .finish()
    }
}

impl Espeak {
    /// The program looked for on `PATH`.
    pub const PROGRAM: &'static str = "espeak-ng";

    /// Uses `espeak-ng` from `PATH` with these options, or `None` if it is not installed.
    pub fn detect(opts: &VoiceOptions) -> Option<Espeak> {
        find_on_path(Self::PROGRAM).map(|p| Espeak::with_program(p, opts))
    }

    /// Uses this `espeak-ng` program (or a compatible one).
    pub fn with_program(program: PathBuf, opts: &VoiceOptions) -> Espeak {
        let (jobs, rx) = mpsc::channel();
        let tone_failed = Arc::new(AtomicBool::new(false));
        let tones = ["aplay", "paplay"]
            .into_iter()
            .find_map(|name| find_on_path(name).map(|p| (name, p)))
            .map(|(name, player)| Tones::new(name, player, tone_failed.clone()));
        std::thread::Builder::new()
            .name("supine-voice".into())
            .spawn(move || run_jobs(&rx, &tone_failed))
            .expect("a thread can be started");
        Espeak {
            program,
            rate_wpm: opts.rate_wpm.clamp(80, 450),
            voice: opts.voice.clone().filter(|v| !v.trim().is_empty()),
            jobs,
            tones,
        }
    }

    /// The voice in use, if not the default.
    pub fn voice(&self) -> Option<&str> {
        self.voice.as_deref()
    }

    /// Uses the engine's default voice from now on.
    pub fn use_default_voice(&mut self) {
        self.voice = None;
    }

    /// Checks that the chosen voice exists, by asking the engine to say nothing with it. Blocks
    /// for a few tens of milliseconds.
    pub fn check_voice(&self) -> Result<(), VoiceError> {
        let mut cmd = Command::new(&self.program);
        cmd.args(self.base_args()).args(["-q", "--", ""]);
        self.run(cmd)
    }

    /// Speaks `text` into a WAV file instead of the speakers, waiting for it to finish.
    pub fn write_wav(&self, text: &str, path: &Path) -> Result<(), VoiceError> {
        let mut cmd = Command::new(&self.program);
        cmd.args(self.base_args())
            .arg("-w")
            .arg(path)
            .arg("--")
            .arg(text);
        self.run(cmd)
    }

    fn base_args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec!["-s".into(), self.rate_wpm.to_string().into()];
        if let Some(v) = &self.voice {
            args.extend(["-v".into(), v.into()]);
        }
        args
    }

    fn command(&self, text: &str) -> Command {
        let mut cmd = Command::new(&self.program);
        // `--` so that a cue starting with a dash is spoken, not taken as an option. The engine
        // and the sound system write warnings to stderr, which would scribble over the screen.
        cmd.args(self.base_args())
            .arg("--")
            .arg(text)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd
    }

    fn run(&self, mut cmd: Command) -> Result<(), VoiceError> {
        let program = self.program.display().to_string();
        let out = cmd
            .stdin(Stdio::null())
            .output()
            .map_err(|source| VoiceError::Spawn {
                program: program.clone(),
                source,
            })?;
        if out.status.success() {
            Ok(())
        } else {
            Err(VoiceError::Failed {
                program,
                status: out.status,
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            })
        }
    }
}

impl Speaker for Espeak {
    fn speak(&mut self, text: &str) {
        // The thread only ends when `jobs` is dropped, so sending cannot fail while `self` lives.
        let _ = self.jobs.send(Job::Speak(self.command(text)));
    }

    fn stop(&mut self) {
        let _ = self.jobs.send(Job::Stop);
    }

    fn chime(&mut self, chime: Chime) {
        match self.tones.as_mut().and_then(|t| t.command(chime)) {
            Some(cmd) => {
                let _ = self.jobs.send(Job::Tone(cmd));
            }
            None => bell(),
        }
    }
}

/// Rings the terminal bell.
pub fn bell() {
    let mut out = std::io::stdout();
    // A bell that cannot be rung is not worth stopping a session for.
    let _ = out.write_all(b"\x07").and_then(|()| out.flush());
}

/// Chime tones written once to a private temporary folder and played with `aplay` or `paplay`.
struct Tones {
    name: &'static str,
    player: PathBuf,
    dir: Option<PathBuf>,
    failed: Arc<AtomicBool>,
}

impl Tones {
    fn new(name: &'static str, player: PathBuf, failed: Arc<AtomicBool>) -> Tones {
        Tones {
            name,
            player,
            dir: None,
            failed,
        }
    }

    /// The command that plays `chime`, or `None` to fall back to the bell.
    fn command(&mut self, chime: Chime) -> Option<Command> {
        if self.failed.load(Ordering::Relaxed) {
            return None;
        }
        let file = match self.file(chime) {
            Ok(f) => f,
            Err(_) => {
                self.failed.store(true, Ordering::Relaxed);
                return None;
            }
        };
        let mut cmd = Command::new(&self.player);
        if self.name == "aplay" {
            cmd.arg("-q");
        }
        cmd.arg(file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        Some(cmd)
    }

    fn file(&mut self, chime: Chime) -> std::io::Result<PathBuf> {
        let dir = match &self.dir {
            Some(d) => d.clone(),
            None => {
                let d = std::env::temp_dir().join(format!("supine-chimes-{}", std::process::id()));
                // `create_dir`, not `create_dir_all`: never write into a folder someone else made.
                std::fs::create_dir(&d)?;
                self.dir = Some(d.clone());
                d
            }
        };
        let path = dir.join(format!("{chime:?}.wav").to_lowercase());
        if !path.exists() {
            let bytes = tone::wav(&tone::samples(chime), tone::SAMPLE_RATE);
            std::fs::File::create_new(&path)?.write_all(&bytes)?;
        }
        Ok(path)
    }
}

impl Drop for Tones {
    fn drop(&mut self) {
        if let Some(d) = &self.dir {
            // A player still reading a file keeps it open; removing the name is safe.
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

fn kill(child: &mut Option<Child>) {
    if let Some(mut c) = child.take() {
        let _ = c.kill();
        let _ = c.wait();
    }
}

/// The background thread: starts and kills utterances and tones, and reaps them.
fn run_jobs(rx: &Receiver<Job>, tone_failed: &AtomicBool) {
    let mut speech: Option<Child> = None;
    let mut tones: Vec<Child> = Vec::new();
    loop {
        let first = match rx.recv_timeout(Duration::from_millis(250)) {
            Ok(job) => Some(job),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => {
                // Let the last words finish, then reap everything.
                if let Some(mut c) = speech.take() {
                    let _ = c.wait();
                }
                for mut t in tones {
                    let _ = t.wait();
                }
                return;
            }
        };
        // Take everything already queued: only the latest speech instruction matters, so a burst
        // of cues never starts processes that would be killed straight away.
        let batch: Vec<Job> = first.into_iter().chain(rx.try_iter()).collect();
        let mut latest_speech = None;
        for job in batch {
            match job {
                Job::Tone(mut cmd) => match cmd.spawn() {
                    Ok(c) => tones.push(c),
                    Err(_) => tone_failed.store(true, Ordering::Relaxed),
                },
                job => latest_speech = Some(job),
            }
        }
        match latest_speech {
            Some(Job::Speak(mut cmd)) => {
                kill(&mut speech);
                speech = cmd.spawn().ok();
            }
            Some(_) => kill(&mut speech),
            None => {}
        }
        if let Some(c) = speech.as_mut()
            && !matches!(c.try_wait(), Ok(None))
        {
            speech = None;
        }
        tones.retain_mut(|c| match c.try_wait() {
            Ok(None) => true,
            Ok(Some(status)) => {
                if !status.success() {
                    // No sound device, say: use the bell from now on.
                    tone_failed.store(true, Ordering::Relaxed);
                }
                false
            }
            Err(_) => false,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recording_keeps_cues_in_order() {
        let mut r = Recording::new();
        r.chime(Chime::Start);
        r.speak("Settle in.");
        r.stop();
        r.speak("One.");
        assert_eq!(r.spoken(), ["Settle in.", "One."]);
        assert_eq!(r.chimes(), [Chime::Start]);
        assert_eq!(r.cues[2], Cue::Stop);
    }

    #[test]
    fn espeak_arguments_carry_rate_voice_and_protect_the_text() {
        let opts = VoiceOptions {
            rate_wpm: 140,
            voice: Some("en-gb".into()),
            ..VoiceOptions::default()
        };
        let e = Espeak::with_program("espeak-ng".into(), &opts);
        let cmd = e.command("-slowly");
        let args: Vec<_> = cmd.get_args().collect();
        assert_eq!(args, ["-s", "140", "-v", "en-gb", "--", "-slowly"]);
        let mut e = e;
        e.use_default_voice();
        let args: Vec<_> = e
            .command("x")
            .get_args()
            .map(|a| a.to_owned())
            .collect::<Vec<_>>();
        assert_eq!(args, ["-s", "140", "--", "x"]);
    }

    #[test]
    fn a_missing_program_is_an_error_not_a_panic() {
        let e = Espeak::with_program("/nonexistent/espeak-ng".into(), &VoiceOptions::default());
        let err = e.check_voice().unwrap_err();
        assert!(
            err.to_string()
                .starts_with("could not run /nonexistent/espeak-ng")
        );
        // Speaking through a missing program is silent, never a crash.
        let mut e = e;
        e.speak("hello");
        e.stop();
    }
}
