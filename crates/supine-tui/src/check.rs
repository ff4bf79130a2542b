//! The sound check behind `supine practice --test-sound`: a spoken sentence and a chime, each
//! played through the speakers and waited for, with what worked, what did not, and how to fix it.

use std::fmt;

use supine_core::plan::Chime;

use crate::voice::{ChimeFiles, Espeak, SoundPlayer, VoiceOptions};

/// Said by the sound check.
pub const TEST_SENTENCE: &str = "This is supine's voice. If you can hear this, the voice works.";

/// What to check when a program ran but the sound did not come out.
const DEVICE_FIX: &str = "check that speakers or headphones are connected, switched on and not \
     muted; `aplay -l` lists the sound cards the system sees (there are none in most containers \
     and remote sessions)";

/// One part of the sound check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckPart {
    /// What was checked: `"voice"` or `"chimes"`.
    pub what: &'static str,
    /// Whether it worked.
    pub worked: bool,
    /// What happened, in words.
    pub said: String,
    /// What to do about it, when it did not work.
    pub fix: Option<String>,
}

/// What the sound check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoundCheck {
    /// The voice, then the chimes.
    pub parts: Vec<CheckPart>,
    /// Whether the settings have sound turned off.
    pub sound_off: bool,
}

impl SoundCheck {
    /// Whether every part worked.
    pub fn all_worked(&self) -> bool {
        self.parts.iter().all(|p| p.worked)
    }
}

impl fmt::Display for SoundCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.parts {
            let verdict = if p.worked { "worked" } else { "did not work" };
            writeln!(f, "{}: {verdict}. {}", p.what, p.said)?;
            if let Some(fix) = &p.fix {
                writeln!(f, "  To fix: {fix}")?;
            }
        }
        if self.sound_off {
            writeln!(
                f,
                "Your settings have the sound off: `supine practice --voice on` turns it back on."
            )?;
        }
        write!(
            f,
            "If something worked but you heard nothing, turn the volume up and check which \
             output the system plays to."
        )
    }
}

/// Speaks [`TEST_SENTENCE`] with the voice in `opts` and plays a chime with each sound player in
/// turn until one works, waiting for each; the voice and the players are found as the player
/// finds them.
pub fn sound_check(opts: &VoiceOptions) -> SoundCheck {
    SoundCheck {
        parts: vec![
            check_voice(Espeak::detect(opts), opts),
            check_chimes(&SoundPlayer::detect()),
        ],
        sound_off: !opts.enabled,
    }
}

/// The voice part: `espeak` is the engine found, if any.
pub fn check_voice(espeak: Option<Espeak>, opts: &VoiceOptions) -> CheckPart {
    let part = |worked, said: String, fix: Option<String>| CheckPart {
        what: "voice",
        worked,
        said,
        fix,
    };
    let Some(mut espeak) = espeak else {
        return part(
            false,
            "espeak-ng, which speaks the cues, is not installed.".into(),
            Some("install it, e.g. `sudo apt-get install espeak-ng`.".into()),
        );
    };
    let mut unknown_voice = None;
    if let Some(name) = espeak.voice().map(str::to_owned)
        && espeak.check_voice().is_err()
    {
        espeak.use_default_voice();
        unknown_voice = Some(name);
    }
    let voice = espeak.voice().unwrap_or("default").to_owned();
    match (espeak.say_and_wait(TEST_SENTENCE), unknown_voice) {
        (Ok(()), None) => part(
            true,
            format!(
                "espeak-ng spoke a sentence (voice {voice}, {} words a minute).",
                opts.rate_wpm
            ),
            None,
        ),
        (Ok(()), Some(name)) => part(
            false,
            format!(
                "espeak-ng has no voice \"{name}\"; it spoke a sentence with its default voice."
            ),
            Some(
                "`espeak-ng --voices` lists the voices; choose one with `--voice-name`, or \
                 leave it out for the default."
                    .into(),
            ),
        ),
        (Err(e), _) => part(
            false,
            format!("espeak-ng could not play its sound ({}).", e.detail()),
            Some(format!("{DEVICE_FIX}.")),
        ),
    }
}

/// The chimes part, trying `players` in order.
pub fn check_chimes(players: &[SoundPlayer]) -> CheckPart {
    let part = |worked, said: String, fix: Option<String>| CheckPart {
        what: "chimes",
        worked,
        said,
        fix,
    };
    if players.is_empty() {
        return part(
            false,
            "no sound player is installed (aplay, paplay or pw-play), so the terminal bell \
             rings instead of the chimes."
                .into(),
            Some("install one, e.g. `sudo apt-get install alsa-utils` for aplay.".into()),
        );
    }
    let mut files = ChimeFiles::new();
    let file = match files.file(Chime::Start) {
        Ok(f) => f,
        Err(e) => return part(false, format!("{e}."), None),
    };
    let mut failures = Vec::new();
    for player in players {
        match player.play_and_wait(&file) {
            Ok(()) => {
                let mut said = format!("{} played a chime.", player.name());
                if !failures.is_empty() {
                    said = format!("{} {said}", failures.join(" "));
                }
                return part(true, said, None);
            }
            Err(e) => failures.push(format!("{} failed ({}).", player.name(), e.detail())),
        }
    }
    part(
        false,
        format!(
            "{} The terminal bell rings instead of the chimes.",
            failures.join(" ")
        ),
        Some(format!("{DEVICE_FIX}.")),
    )
}
