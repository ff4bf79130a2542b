//! The real speech engine, speaking into a WAV file.
//!
//! Skipped (with a printed line) when `espeak-ng` is not installed, unless
//! `SUPINE_REQUIRE_ESPEAK=1` says it must be there, as in CI.

use supine_tui::{Espeak, VoiceOptions};

use crate::common::{eventually, parse};

/// The engine, or `None` to skip; panics when it is required and missing.
fn engine(opts: &VoiceOptions) -> Option<Espeak> {
    let e = Espeak::detect(opts);
    if e.is_none() {
        let required = std::env::var("SUPINE_REQUIRE_ESPEAK").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "SUPINE_REQUIRE_ESPEAK=1 but espeak-ng is not on PATH (apt-get install espeak-ng)"
        );
        println!("skipped: espeak-ng is not installed (set SUPINE_REQUIRE_ESPEAK=1 to require it)");
    }
    e
}

#[test]
fn espeak_speaks_a_cue_into_a_wav_file_with_real_audio() {
    let Some(espeak) = engine(&VoiceOptions::default()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cue.wav");
    let text = "Press into your heels and slowly lift your hips.";
    espeak.write_wav(text, &path).unwrap();
    let wav = parse(&std::fs::read(&path).unwrap());
    assert_eq!((wav.channels, wav.bits), (1, 16), "{wav:?}");
    let secs = wav.samples.len() as f64 / f64::from(wav.sample_rate);
    // Nine words at 150 a minute: a few seconds, not silence and not a minute.
    assert!((1.5..=8.0).contains(&secs), "lasts {secs:.2} s");
    let loud = wav
        .samples
        .iter()
        .filter(|s| s.unsigned_abs() > 500)
        .count();
    assert!(
        loud as f64 > wav.samples.len() as f64 * 0.2,
        "{loud} of {} samples are above the noise floor",
        wav.samples.len()
    );
}

#[test]
fn espeak_rate_changes_the_length_of_speech() {
    let slow = VoiceOptions {
        rate_wpm: 100,
        ..VoiceOptions::default()
    };
    let fast = VoiceOptions {
        rate_wpm: 250,
        ..VoiceOptions::default()
    };
    let (Some(slow), Some(fast)) = (engine(&slow), engine(&fast)) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let len = |e: &Espeak, name: &str| {
        let path = dir.path().join(name);
        e.write_wav("Slowly lower your hips to the floor.", &path)
            .unwrap();
        parse(&std::fs::read(&path).unwrap()).samples.len()
    };
    let (slow, fast) = (len(&slow, "slow.wav"), len(&fast, "fast.wav"));
    assert!(
        slow > fast * 3 / 2,
        "100 wpm: {slow} samples, 250 wpm: {fast}"
    );
}

#[test]
fn espeak_rejects_an_unknown_voice_so_the_player_can_fall_back() {
    let opts = VoiceOptions {
        // Not "no-…": espeak-ng would take that for Norwegian.
        voice: Some("zzz-notavoice".into()),
        ..VoiceOptions::default()
    };
    let Some(mut espeak) = engine(&opts) else {
        return;
    };
    assert!(espeak.check_voice().is_err());
    espeak.use_default_voice();
    espeak.check_voice().unwrap();
}

/// A stand-in for the engine that notes its pid and arguments, then "speaks" for a while.
#[cfg(unix)]
fn fake_engine(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let log = dir.join("log");
    let program = dir.join("fake-espeak");
    std::fs::write(
        &program,
        format!(
            "#!/bin/sh\necho \"$$ $*\" >> '{}'\nexec sleep 30\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    (program, log)
}

#[cfg(unix)]
#[test]
fn a_new_cue_or_stop_kills_the_utterance_and_reaps_it() {
    use supine_tui::Speaker;
    let dir = tempfile::tempdir().unwrap();
    let (program, log) = fake_engine(dir.path());
    let lines = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let pid = |line: &str| line.split(' ').next().unwrap().to_owned();
    // Gone from /proc means killed *and* reaped: a zombie still has an entry.
    let gone = |pid: &str| !std::path::Path::new(&format!("/proc/{pid}")).exists();
    let mut e = Espeak::with_program(program, &VoiceOptions::default());

    e.speak("One.");
    eventually("the first utterance starts", || lines().len() == 1);
    let first = lines()[0].clone();
    assert!(first.ends_with("-s 150 -- One."), "{first}");
    assert!(!gone(&pid(&first)));

    e.speak("Two.");
    eventually("the second utterance starts", || lines().len() == 2);
    eventually("the first is killed and reaped", || gone(&pid(&first)));
    let second = lines()[1].clone();
    assert!(!gone(&pid(&second)), "the new one speaks on");

    e.stop();
    eventually("stop kills and reaps it", || gone(&pid(&second)));
}
