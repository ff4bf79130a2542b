//! Voice and chimes: the [`Speaker`] the player talks through, and its implementations.
//!
//! - [`Sound`] is what the player uses: a voice, when `espeak-ng` is installed, and [`Chimes`].
//! - [`Espeak`] speaks with the `espeak-ng` program, one child process per utterance, so a new cue
//!   or a pause cuts the previous one off at once.
//! - [`Chimes`] plays soft tones with the first sound player found (`aplay`, `paplay` or
//!   `pw-play`), and rings the terminal bell when there is none or none of them works.
//! - [`Silent`] says nothing (voice off).
//! - [`Recording`] keeps every cue in order, for tests.
//!
//! Sound fails quietly in many ways: `espeak-ng` exits 0 and only prints ALSA errors when there
//! is no sound device, and a player exits 1. Both are watched (exit status and standard error),
//! and the first failure is handed to the player through [`Speaker::problem`] to be shown once.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
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
    /// A problem with the sound found since the last call (no sound device, a program that
    /// failed), in words to show on screen. Each problem is handed out once.
    fn problem(&mut self) -> Option<String> {
        None
    }
}

/// How the player should sound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceOptions {
    /// Speak the cues and play the chimes (false: no sound at all).
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

/// Errors from running `espeak-ng` or a sound player and waiting for it.
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
    /// The program ran and failed: a bad exit status, or (for sound) errors on standard error.
    #[error("{program} failed ({status}): {stderr}")]
    Failed {
        /// The program.
        program: String,
        /// Its exit status.
        status: ExitStatus,
        /// What it printed on standard error.
        stderr: String,
    },
    /// A chime could not be written to the temporary folder it is played from.
    #[error("could not write the chime sound: {0}")]
    Write(std::io::Error),
}

impl VoiceError {
    /// The failure in a few words: what the program said (ALSA's long lines shortened), or how
    /// it ended.
    pub fn detail(&self) -> String {
        match self {
            VoiceError::Spawn { source, .. } => source.to_string(),
            VoiceError::Failed { status, stderr, .. } => {
                failure_detail(*status, stderr).unwrap_or_else(|| status.to_string())
            }
            VoiceError::Write(e) => e.to_string(),
        }
    }
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

/// What a sound program's failure comes down to: its standard error in a few words (ALSA's
/// lines, which name a source file and function, cut to their message), or its exit status when
/// it said nothing. `None` when it exited well and said nothing.
pub fn failure_detail(status: ExitStatus, stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    // "ALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown PCM default" -> "Unknown PCM default".
    let alsa = lines.iter().rev().find_map(|l| {
        l.strip_prefix("ALSA lib ")
            .map(|rest| rest.split_once(") ").map_or(rest, |(_, msg)| msg))
    });
    let said = match alsa {
        Some(msg) => Some(format!("ALSA: {msg}")),
        None => lines.last().map(|l| (*l).to_owned()),
    };
    let said = said.map(|s| {
        if s.chars().count() > 80 {
            let cut: String = s.chars().take(79).collect();
            format!("{cut}…")
        } else {
            s
        }
    });
    match (status.success(), said) {
        (_, Some(s)) => Some(s),
        (false, None) => Some(format!("it {status}")),
        (true, None) => None,
    }
}

/// Runs a sound program to its end, failing on a bad exit status or anything on standard error.
fn run_to_end(mut cmd: Command, program: &Path) -> Result<(), VoiceError> {
    let program = program.display().to_string();
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|source| VoiceError::Spawn {
            program: program.clone(),
            source,
        })?;
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    if out.status.success() && stderr.is_empty() {
        Ok(())
    } else {
        Err(VoiceError::Failed {
            program,
            status: out.status,
            stderr,
        })
    }
}

/// A child process, with what it writes on standard error read on a thread of its own (so a
/// chatty child never blocks on a full pipe).
struct Watched {
    child: Child,
    stderr: Option<Receiver<String>>,
}

impl Watched {
    fn spawn(cmd: &mut Command) -> std::io::Result<Watched> {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn()?;
        let stderr = child.stderr.take().and_then(|mut pipe| {
            let (tx, rx) = mpsc::channel();
            std::thread::Builder::new()
                .name("supine-stderr".into())
                .spawn(move || {
                    let mut head = Vec::new();
                    let _ = pipe.by_ref().take(16 * 1024).read_to_end(&mut head);
                    // Drain the rest, so the child never waits on a full pipe.
                    let _ = std::io::copy(&mut pipe, &mut std::io::sink());
                    let _ = tx.send(String::from_utf8_lossy(&head).into_owned());
                })
                .ok()
                .map(|_| rx)
        });
        Ok(Watched { child, stderr })
    }

    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A process that ended by itself, whose standard error may still be on its way.
struct Ended {
    status: ExitStatus,
    stderr: Option<Receiver<String>>,
}

impl Ended {
    /// The failure it showed, once its standard error is in: `Some(None)` for none, `None` while
    /// waiting.
    fn verdict(&mut self) -> Option<Option<String>> {
        let text = match self.stderr.as_ref().map(Receiver::try_recv) {
            Some(Err(TryRecvError::Empty)) => return None,
            Some(Ok(text)) => text,
            None | Some(Err(TryRecvError::Disconnected)) => String::new(),
        };
        Some(failure_detail(self.status, &text))
    }
}

impl Watched {
    /// What became of it: `Ok` once it has ended by itself, `Err` (itself) while it runs.
    fn reap(mut self) -> Result<Ended, Watched> {
        match self.child.try_wait() {
            Ok(None) => Err(self),
            Ok(Some(status)) => Ok(Ended {
                status,
                stderr: self.stderr.take(),
            }),
            // Cannot be waited on: nothing more to learn from it.
            Err(_) => Ok(Ended {
                status: ExitStatus::default(),
                stderr: None,
            }),
        }
    }
}

/// Sends the first problem once; later ones are dropped.
struct Reporter {
    problems: Sender<String>,
    reported: bool,
}

impl Reporter {
    fn new(problems: Sender<String>) -> Reporter {
        Reporter {
            problems,
            reported: false,
        }
    }

    fn report(&mut self, text: String) {
        if !self.reported {
            self.reported = true;
            let _ = self.problems.send(text);
        }
    }
}

/// Work for the voice's background thread.
enum VoiceJob {
    /// Kill the current utterance and start this one.
    Speak(Command),
    /// Kill the current utterance.
    Stop,
}

/// How often the background threads look at their processes when nothing else happens.
const WATCH_MS: u64 = 100;

/// Speech through `espeak-ng`.
///
/// Starting and killing processes happens on a background thread, so [`Speaker`] calls only send
/// a message and never wait. Finished processes are reaped there, and the first one that failed
/// (a bad exit status, or errors on standard error, as when there is no sound device) is reported
/// through [`Speaker::problem`]; an utterance cut off by the next one does not count. When an
/// `Espeak` is dropped the utterance in progress is allowed to finish (the last words of a
/// session matter); call [`Speaker::stop`] first to cut it off.
pub struct Espeak {
    program: PathBuf,
    rate_wpm: u32,
    voice: Option<String>,
    jobs: Sender<VoiceJob>,
    problems: Receiver<String>,
}

impl std::fmt::Debug for Espeak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Espeak")
            .field("program", &self.program)
            .field("rate_wpm", &self.rate_wpm)
            .field("voice", &self.voice)
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
        let (problems_tx, problems) = mpsc::channel();
        std::thread::Builder::new()
            .name("supine-voice".into())
            .spawn(move || run_voice(&rx, Reporter::new(problems_tx)))
            .expect("a thread can be started");
        Espeak {
            program,
            rate_wpm: opts.rate_wpm.clamp(80, 450),
            voice: opts.voice.clone().filter(|v| !v.trim().is_empty()),
            jobs,
            problems,
        }
    }

    /// The program in use.
    pub fn program(&self) -> &Path {
        &self.program
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
        run_to_end(cmd, &self.program)
    }

    /// Speaks `text` through the speakers and waits until it has been said; fails when the
    /// engine fails or reports errors (no sound device, say).
    pub fn say_and_wait(&self, text: &str) -> Result<(), VoiceError> {
        run_to_end(self.command(text), &self.program)
    }

    /// Speaks `text` into a WAV file instead of the speakers, waiting for it to finish.
    pub fn write_wav(&self, text: &str, path: &Path) -> Result<(), VoiceError> {
        let mut cmd = Command::new(&self.program);
        cmd.args(self.base_args())
            .arg("-w")
            .arg(path)
            .arg("--")
            .arg(text);
        run_to_end(cmd, &self.program)
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
        // `--` so that a cue starting with a dash is spoken, not taken as an option.
        cmd.args(self.base_args()).arg("--").arg(text);
        cmd
    }
}

impl Speaker for Espeak {
    fn speak(&mut self, text: &str) {
        // The thread only ends when `jobs` is dropped, so sending cannot fail while `self` lives.
        let _ = self.jobs.send(VoiceJob::Speak(self.command(text)));
    }

    fn stop(&mut self) {
        let _ = self.jobs.send(VoiceJob::Stop);
    }

    fn chime(&mut self, _chime: Chime) {}

    fn problem(&mut self) -> Option<String> {
        self.problems.try_recv().ok()
    }
}

/// Said on screen when the voice fails.
fn voice_problem(detail: &str) -> String {
    format!(
        "the voice is not working (espeak-ng: {detail}); the session goes on with words on \
         screen. `supine practice --test-sound` checks the sound"
    )
}

/// The voice's background thread: starts and kills utterances, reaps them and reports the first
/// failure.
fn run_voice(rx: &Receiver<VoiceJob>, mut reporter: Reporter) {
    let mut speech: Option<Watched> = None;
    let mut ended: Vec<Ended> = Vec::new();
    loop {
        let first = match rx.recv_timeout(Duration::from_millis(WATCH_MS)) {
            Ok(job) => Some(job),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => {
                // Let the last words finish, then reap them.
                if let Some(mut w) = speech.take() {
                    let _ = w.child.wait();
                }
                return;
            }
        };
        // Only the latest instruction matters, so a burst of cues never starts processes that
        // would be killed straight away.
        if let Some(job) = first.into_iter().chain(rx.try_iter()).last() {
            // Cut off, not failed: what it would have said no longer matters.
            if let Some(w) = speech.take() {
                w.kill();
            }
            if let VoiceJob::Speak(mut cmd) = job {
                match Watched::spawn(&mut cmd) {
                    Ok(w) => speech = Some(w),
                    Err(e) => reporter.report(voice_problem(&e.to_string())),
                }
            }
        }
        if let Some(w) = speech.take() {
            match w.reap() {
                Ok(e) => ended.push(e),
                Err(w) => speech = Some(w),
            }
        }
        ended.retain_mut(|e| match e.verdict() {
            None => true,
            Some(failure) => {
                if let Some(f) = failure {
                    reporter.report(voice_problem(&f));
                }
                false
            }
        });
    }
}

/// A program that plays a WAV file named as its last argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoundPlayer {
    /// The program.
    pub program: PathBuf,
    /// Arguments before the file.
    pub args: Vec<String>,
}

impl SoundPlayer {
    /// The players looked for on `PATH`, in order, with their arguments: `aplay` (ALSA, from
    /// alsa-utils), `paplay` (PulseAudio, also served by PipeWire) and `pw-play` (PipeWire).
    pub const KNOWN: [(&'static str, &'static [&'static str]); 3] =
        [("aplay", &["-q"]), ("paplay", &[]), ("pw-play", &[])];

    /// The known players installed here, in order.
    pub fn detect() -> Vec<SoundPlayer> {
        Self::KNOWN
            .iter()
            .filter_map(|(name, args)| {
                find_on_path(name).map(|program| SoundPlayer {
                    program,
                    args: args.iter().map(|a| (*a).to_owned()).collect(),
                })
            })
            .collect()
    }

    /// The program's file name, for messages.
    pub fn name(&self) -> String {
        self.program.file_name().map_or_else(
            || self.program.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }

    fn command(&self, file: &Path) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args).arg(file);
        cmd
    }

    /// Plays `file` and waits until it has been played; fails when the player fails or reports
    /// errors.
    pub fn play_and_wait(&self, file: &Path) -> Result<(), VoiceError> {
        run_to_end(self.command(file), &self.program)
    }
}

/// The chime tones as WAV files in a private temporary folder, written on first use and removed
/// when dropped.
#[derive(Debug)]
pub struct ChimeFiles {
    dir: Option<PathBuf>,
}

impl ChimeFiles {
    /// Nothing written yet.
    pub fn new() -> ChimeFiles {
        ChimeFiles { dir: None }
    }

    /// The file holding `chime`, written now if it is not there yet.
    pub fn file(&mut self, chime: Chime) -> Result<PathBuf, VoiceError> {
        static SERIAL: AtomicU32 = AtomicU32::new(0);
        let dir = match &self.dir {
            Some(d) => d.clone(),
            None => {
                let n = SERIAL.fetch_add(1, Ordering::Relaxed);
                let d =
                    std::env::temp_dir().join(format!("supine-chimes-{}-{n}", std::process::id()));
                // `create_dir`, not `create_dir_all`: never write into a folder someone else made.
                std::fs::create_dir(&d).map_err(VoiceError::Write)?;
                self.dir = Some(d.clone());
                d
            }
        };
        let path = dir.join(format!("{chime:?}.wav").to_lowercase());
        if !path.exists() {
            let bytes = tone::wav(&tone::samples(chime), tone::SAMPLE_RATE);
            std::fs::File::create_new(&path)
                .and_then(|mut f| f.write_all(&bytes))
                .map_err(VoiceError::Write)?;
        }
        Ok(path)
    }
}

impl Default for ChimeFiles {
    fn default() -> Self {
        ChimeFiles::new()
    }
}

impl Drop for ChimeFiles {
    fn drop(&mut self) {
        if let Some(d) = &self.dir {
            // A player still reading a file keeps it open; removing the name is safe.
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// Work for the chimes' background thread.
struct Tone {
    /// Index of the player to use.
    player: usize,
    chime: Chime,
}

/// Chimes: soft tones played with a sound player, or the terminal bell.
///
/// Each chime is played by the first player that has not failed yet; a player that fails (a
/// bad exit status, as `aplay` gives without a sound device) is not used again, and when none is
/// left, or none was installed, the terminal bell rings instead. When the last player fails it
/// is reported once through [`Speaker::problem`].
pub struct Chimes {
    players: Vec<SoundPlayer>,
    jobs: Option<Sender<Tone>>,
    /// Index of the first player not known to fail.
    working: std::sync::Arc<AtomicU32>,
    problems: Receiver<String>,
}

impl std::fmt::Debug for Chimes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chimes")
            .field("players", &self.players)
            .finish()
    }
}

impl Chimes {
    /// Chimes through the sound players installed here ([`SoundPlayer::detect`]).
    pub fn detect() -> Chimes {
        Chimes::with_players(SoundPlayer::detect())
    }

    /// Chimes through these players, tried in order; none means the terminal bell.
    pub fn with_players(players: Vec<SoundPlayer>) -> Chimes {
        let (problems_tx, problems) = mpsc::channel();
        let working = std::sync::Arc::new(AtomicU32::new(0));
        let jobs = (!players.is_empty()).then(|| {
            let (tx, rx) = mpsc::channel();
            let list = players.clone();
            let working = working.clone();
            std::thread::Builder::new()
                .name("supine-chimes".into())
                .spawn(move || run_chimes(&rx, &list, &working, Reporter::new(problems_tx)))
                .expect("a thread can be started");
            tx
        });
        Chimes {
            players,
            jobs,
            working,
            problems,
        }
    }

    /// The players it tries, in order.
    pub fn players(&self) -> &[SoundPlayer] {
        &self.players
    }
}

impl Speaker for Chimes {
    fn speak(&mut self, _text: &str) {}

    fn stop(&mut self) {}

    fn chime(&mut self, chime: Chime) {
        let player = self.working.load(Ordering::Relaxed) as usize;
        match &self.jobs {
            Some(jobs) if player < self.players.len() => {
                let _ = jobs.send(Tone { player, chime });
            }
            _ => bell(),
        }
    }

    fn problem(&mut self) -> Option<String> {
        self.problems.try_recv().ok()
    }
}

/// The chimes' background thread: writes the tones, plays them, reaps the players and moves on
/// from a player that fails.
fn run_chimes(
    rx: &Receiver<Tone>,
    players: &[SoundPlayer],
    working: &AtomicU32,
    mut reporter: Reporter,
) {
    let mut files = ChimeFiles::new();
    // Running and ended tones, each with the index of its player.
    let mut playing: Vec<(usize, Watched)> = Vec::new();
    let mut ended: Vec<(usize, Ended)> = Vec::new();
    loop {
        let first = match rx.recv_timeout(Duration::from_millis(WATCH_MS)) {
            Ok(job) => Some(job),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => {
                for (_, mut w) in playing {
                    let _ = w.child.wait();
                }
                return;
            }
        };
        for tone in first.into_iter().chain(rx.try_iter()) {
            let Some(player) = players.get(tone.player) else {
                bell();
                continue;
            };
            let started = files.file(tone.chime).and_then(|file| {
                Watched::spawn(&mut player.command(&file)).map_err(|source| VoiceError::Spawn {
                    program: player.name(),
                    source,
                })
            });
            match started {
                Ok(w) => playing.push((tone.player, w)),
                Err(e) => {
                    bell();
                    give_up_on(tone.player, players, working, &mut reporter, &e.detail());
                }
            }
        }
        for (player, w) in std::mem::take(&mut playing) {
            match w.reap() {
                Ok(e) => ended.push((player, e)),
                Err(w) => playing.push((player, w)),
            }
        }
        ended.retain_mut(|(player, e)| match e.verdict() {
            None => true,
            Some(failure) => {
                if let Some(f) = failure {
                    give_up_on(*player, players, working, &mut reporter, &f);
                }
                false
            }
        });
    }
}

/// Stops using player `index` after it failed; when it was the last one, reports the chimes as
/// not working.
fn give_up_on(
    index: usize,
    players: &[SoundPlayer],
    working: &AtomicU32,
    reporter: &mut Reporter,
    detail: &str,
) {
    let next = index as u32 + 1;
    working.fetch_max(next, Ordering::Relaxed);
    if next as usize >= players.len() {
        let name = players
            .get(index)
            .map(SoundPlayer::name)
            .unwrap_or_default();
        reporter.report(format!(
            "chimes are not working ({name}: {detail}); the terminal bell rings instead"
        ));
    }
}

/// What the player sounds like: a voice, if there is one, and chimes.
#[derive(Debug)]
pub struct Sound {
    voice: Option<Espeak>,
    chimes: Chimes,
}

impl Sound {
    /// A voice (or none: chimes only) and chimes.
    pub fn new(voice: Option<Espeak>, chimes: Chimes) -> Sound {
        Sound { voice, chimes }
    }
}

impl Speaker for Sound {
    fn speak(&mut self, text: &str) {
        if let Some(v) = &mut self.voice {
            v.speak(text);
        }
    }

    fn stop(&mut self) {
        if let Some(v) = &mut self.voice {
            v.stop();
        }
    }

    fn chime(&mut self, chime: Chime) {
        self.chimes.chime(chime);
    }

    fn problem(&mut self) -> Option<String> {
        self.voice
            .as_mut()
            .and_then(Speaker::problem)
            .or_else(|| self.chimes.problem())
    }
}

/// Rings the terminal bell.
pub fn bell() {
    let mut out = std::io::stdout();
    // A bell that cannot be rung is not worth stopping a session for.
    let _ = out.write_all(b"\x07").and_then(|()| out.flush());
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

    #[cfg(unix)]
    fn status(code: i32) -> ExitStatus {
        use std::os::unix::process::ExitStatusExt;
        ExitStatus::from_raw(code << 8)
    }

    #[cfg(unix)]
    #[test]
    fn failures_come_down_to_a_few_words() {
        let alsa = "ALSA lib confmisc.c:855:(parse_card) cannot find card '0'\n\
                    ALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown PCM default\n\
                    error: No such file or directory\n";
        // espeak-ng exits 0 without a sound device: its errors alone tell.
        assert_eq!(
            failure_detail(status(0), alsa).as_deref(),
            Some("ALSA: Unknown PCM default")
        );
        assert_eq!(
            failure_detail(status(1), "aplay: main:831: audio open error\n").as_deref(),
            Some("aplay: main:831: audio open error")
        );
        assert_eq!(
            failure_detail(status(1), "").as_deref(),
            Some("it exit status: 1")
        );
        assert_eq!(failure_detail(status(0), "  \n"), None);
        let long = "x".repeat(200);
        assert_eq!(
            failure_detail(status(1), &long).unwrap().chars().count(),
            80
        );
    }
}
