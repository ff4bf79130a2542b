//! Chimes and sound failures: chimes reach a WAV sink without espeak-ng, a failing player gives
//! way to the next, and a voice or chimes that fail are reported once. Fake players and engines
//! are shell scripts; the real `aplay` and `espeak-ng` are used when installed (required when
//! `SUPINE_REQUIRE_SOUND=1` / `SUPINE_REQUIRE_ESPEAK=1`, as in CI).
#![cfg(unix)]

use std::path::{Path, PathBuf};

use supine_core::plan::Chime;
use supine_tui::check::{check_chimes, check_voice};
use supine_tui::voice::{ChimeFiles, find_on_path};
use supine_tui::{Chimes, Espeak, Sound, SoundPlayer, Speaker, VoiceOptions};

use crate::common::{eventually, parse, script};

/// A player that copies the file it is given into `sink` as `0.wav`, `1.wav`, ...
fn copying_player(dir: &Path, sink: &Path) -> SoundPlayer {
    std::fs::create_dir_all(sink).unwrap();
    let program = dir.join("copy-player");
    script(
        &program,
        &format!(
            "for last; do :; done\nn=$(ls '{0}' | wc -l)\ncp \"$last\" '{0}'/$n.tmp && mv '{0}'/$n.tmp '{0}'/$n.wav",
            sink.display()
        ),
    );
    SoundPlayer {
        program,
        args: vec!["-q".into()],
    }
}

/// A player that fails as `aplay` does without a sound device.
fn failing_player(dir: &Path, name: &str) -> SoundPlayer {
    let program = dir.join(name);
    script(
        &program,
        "echo 'ALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown PCM default' >&2\n\
         echo 'aplay: main:831: audio open error: No such file or directory' >&2\nexit 1",
    );
    SoundPlayer {
        program,
        args: Vec::new(),
    }
}

/// The first problem `s` reports, waited for.
fn reported(s: &mut dyn Speaker) -> String {
    let mut problem = None;
    eventually("the failure is reported", || {
        problem = s.problem();
        problem.is_some()
    });
    problem.unwrap()
}

fn wavs(sink: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(sink)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.retain(|p| p.extension().is_some_and(|e| e == "wav"));
    v.sort();
    v
}

/// The chime's own samples, as the player is given them.
fn chime_samples(chime: Chime) -> Vec<i16> {
    let mut files = ChimeFiles::new();
    parse(&std::fs::read(files.file(chime).unwrap()).unwrap()).samples
}

#[test]
fn chimes_play_without_espeak_ng_and_reach_a_wav_sink() {
    let dir = tempfile::tempdir().unwrap();
    let sink = dir.path().join("sink");
    let chimes = Chimes::with_players(vec![copying_player(dir.path(), &sink)]);
    // No voice at all: chimes only.
    let mut sound = Sound::new(None, chimes);
    sound.speak("Settle in.");
    sound.chime(Chime::Start);
    eventually("the first chime reaches the sink", || {
        wavs(&sink).len() == 1
    });
    sound.chime(Chime::End);
    eventually("the second chime reaches the sink", || {
        wavs(&sink).len() == 2
    });
    for (file, chime) in wavs(&sink).iter().zip([Chime::Start, Chime::End]) {
        let wav = parse(&std::fs::read(file).unwrap());
        assert_eq!((wav.channels, wav.bits), (1, 16), "{wav:?}");
        let secs = wav.samples.len() as f64 / f64::from(wav.sample_rate);
        assert!((0.2..=2.0).contains(&secs), "{chime:?} lasts {secs} s");
        assert!(
            wav.samples.iter().any(|s| s.unsigned_abs() > 1000),
            "audible"
        );
        assert_eq!(wav.samples, chime_samples(chime));
    }
    assert_eq!(sound.problem(), None);
}

#[test]
fn chimes_reach_alsas_wav_file_sink_through_the_real_aplay() {
    let Some(aplay) = find_on_path("aplay") else {
        let required = std::env::var("SUPINE_REQUIRE_SOUND").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "SUPINE_REQUIRE_SOUND=1 but aplay is not on PATH (apt-get install alsa-utils)"
        );
        println!("skipped: aplay is not installed (set SUPINE_REQUIRE_SOUND=1 to require it)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sink = dir.path().join("sink.wav");
    // ALSA's `file` plugin as the default device: whatever is played is written to a WAV file.
    std::fs::write(
        dir.path().join(".asoundrc"),
        format!(
            "pcm.!default {{\n  type file\n  slave.pcm \"null\"\n  file \"{}\"\n  format \"wav\"\n}}\n",
            sink.display()
        ),
    )
    .unwrap();
    let wrapper = dir.path().join("aplay");
    script(
        &wrapper,
        &format!(
            "HOME='{}' exec '{}' \"$@\"",
            dir.path().display(),
            aplay.display()
        ),
    );
    let mut chimes = Chimes::with_players(vec![SoundPlayer {
        program: wrapper,
        args: vec!["-q".into()],
    }]);
    chimes.chime(Chime::Transition);
    let want = chime_samples(Chime::Transition);
    eventually("aplay has written the whole chime", || {
        std::fs::read(&sink).is_ok_and(|b| b.len() > 44 && parse(&b).samples.len() >= want.len())
    });
    let wav = parse(&std::fs::read(&sink).unwrap());
    assert_eq!((wav.channels, wav.sample_rate, wav.bits), (1, 22_050, 16));
    assert_eq!(&wav.samples[..want.len()], &want[..]);
    assert_eq!(chimes.problem(), None);
}

#[test]
fn a_failing_player_gives_way_to_the_next_and_the_last_failure_is_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let sink = dir.path().join("sink");
    let mut chimes = Chimes::with_players(vec![
        failing_player(dir.path(), "aplay"),
        copying_player(dir.path(), &sink),
    ]);
    // The first chime goes to the failing player; once it has failed, chimes go to the next.
    eventually("a chime reaches the second player", || {
        chimes.chime(Chime::Inhale);
        std::thread::sleep(std::time::Duration::from_millis(200));
        !wavs(&sink).is_empty()
    });
    assert_eq!(chimes.problem(), None, "one player still works");

    let mut chimes = Chimes::with_players(vec![failing_player(dir.path(), "aplay")]);
    chimes.chime(Chime::Start);
    let problem = reported(&mut chimes);
    assert_eq!(
        problem,
        "chimes are not working (aplay: ALSA: Unknown PCM default); the terminal bell rings instead"
    );
    chimes.chime(Chime::End);
    assert_eq!(chimes.problem(), None, "said once");
}

#[test]
fn a_voice_that_cannot_reach_a_sound_device_is_reported_but_cut_off_cues_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let program = dir.path().join("fake-espeak");
    // Like espeak-ng without a sound device, "Fail." prints ALSA's errors and exits 0; anything
    // else speaks for a long time (and is cut off).
    script(
        &program,
        &format!(
            "echo \"$*\" >> '{}'\ncase \"$*\" in\n  *Fail.*) echo 'ALSA lib confmisc.c:855:(parse_card) cannot find card 0' >&2; \
             echo 'ALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown PCM default' >&2; exit 0;;\nesac\nexec sleep 30",
            log.display()
        ),
    );
    let lines = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .count()
    };
    let mut e = Espeak::with_program(program, &VoiceOptions::default());
    e.speak("One.");
    eventually("the first cue starts", || lines() == 1);
    e.speak("Two.");
    eventually("the second cue starts", || lines() == 2);
    e.stop();
    e.speak("Fail.");
    eventually("the third cue starts", || lines() == 3);
    let problem = reported(&mut e);
    // The first problem is the real one: the two cues cut off (killed) were not failures.
    assert_eq!(
        problem,
        "the voice is not working (espeak-ng: ALSA: Unknown PCM default); the session goes on \
         with words on screen. `supine practice --test-sound` checks the sound"
    );
}

#[test]
fn the_real_espeak_ng_without_a_sound_device_is_reported() {
    let Some(espeak) = find_on_path("espeak-ng") else {
        let required = std::env::var("SUPINE_REQUIRE_ESPEAK").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "SUPINE_REQUIRE_ESPEAK=1 but espeak-ng is not on PATH"
        );
        println!("skipped: espeak-ng is not installed");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // A default device that does not exist, and no PulseAudio server to fall back on.
    std::fs::write(
        dir.path().join(".asoundrc"),
        "pcm.!default { type hw card 99 }\nctl.!default { type hw card 99 }\n",
    )
    .unwrap();
    let wrapper = dir.path().join("espeak-ng");
    script(
        &wrapper,
        &format!(
            "HOME='{}' PULSE_SERVER=unix:/nonexistent XDG_RUNTIME_DIR='{0}' exec '{}' \"$@\"",
            dir.path().display(),
            espeak.display()
        ),
    );
    let mut e = Espeak::with_program(wrapper, &VoiceOptions::default());
    e.speak("Settle in.");
    let problem = reported(&mut e);
    assert!(
        problem.starts_with("the voice is not working (espeak-ng: "),
        "{problem}"
    );
}

#[test]
fn the_sound_check_says_what_worked_and_how_to_fix_what_did_not() {
    let dir = tempfile::tempdir().unwrap();
    let opts = VoiceOptions::default();
    let missing = check_voice(None, &opts);
    assert!(!missing.worked);
    assert!(
        missing
            .fix
            .as_deref()
            .unwrap()
            .contains("apt-get install espeak-ng"),
        "{missing:?}"
    );

    let ok = dir.path().join("ok-espeak");
    script(&ok, "exit 0");
    let spoke = check_voice(Some(Espeak::with_program(ok, &opts)), &opts);
    assert!(spoke.worked, "{spoke:?}");
    assert!(spoke.said.contains("150 words a minute"), "{spoke:?}");

    let no_device = dir.path().join("no-device-espeak");
    script(
        &no_device,
        "echo 'ALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown PCM default' >&2",
    );
    let failed = check_voice(Some(Espeak::with_program(no_device, &opts)), &opts);
    assert!(!failed.worked);
    assert!(
        failed.said.contains("ALSA: Unknown PCM default"),
        "{failed:?}"
    );
    assert!(
        failed.fix.as_deref().unwrap().contains("aplay -l"),
        "{failed:?}"
    );

    let none = check_chimes(&[]);
    assert!(!none.worked);
    assert!(
        none.fix.as_deref().unwrap().contains("alsa-utils"),
        "{none:?}"
    );

    let sink = dir.path().join("sink");
    let second = check_chimes(&[
        failing_player(dir.path(), "aplay"),
        copying_player(dir.path(), &sink),
    ]);
    assert!(second.worked, "{second:?}");
    assert!(
        second
            .said
            .starts_with("aplay failed (ALSA: Unknown PCM default).")
    );
    assert!(
        second.said.ends_with("copy-player played a chime."),
        "{second:?}"
    );
    assert_eq!(wavs(&sink).len(), 1);

    let all_failed = check_chimes(&[failing_player(dir.path(), "aplay")]);
    assert!(!all_failed.worked);
    assert!(all_failed.said.contains("terminal bell"), "{all_failed:?}");
}
