//! The real speech engine, speaking into a WAV file.
//!
//! Skipped (with a printed line) when `espeak-ng` is not installed, unless
//! `SUPINE_REQUIRE_ESPEAK=1` says it must be there, as in CI.

use supine_tui::{Espeak, VoiceOptions};

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

/// The parts of a PCM WAV file that matter here.
#[derive(Debug)]
struct Wav {
    channels: u16,
    sample_rate: u32,
    bits: u16,
    samples: Vec<i16>,
}

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

/// Reads the RIFF chunks: `fmt ` for the format and `data` for the samples. The engine writes
/// the data size as "unknown" when it streams, so a size past the end means "to the end".
fn parse(bytes: &[u8]) -> Wav {
    assert!(
        bytes.len() > 44,
        "too short for a WAV file: {} bytes",
        bytes.len()
    );
    assert_eq!(&bytes[0..4], b"RIFF");
    assert_eq!(&bytes[8..12], b"WAVE");
    let mut i = 12;
    let mut fmt = None;
    while i + 8 <= bytes.len() {
        let id = &bytes[i..i + 4];
        let len = u32_at(bytes, i + 4) as usize;
        let body = i + 8;
        if id == b"fmt " {
            fmt = Some((
                u16_at(bytes, body + 2),
                u32_at(bytes, body + 4),
                u16_at(bytes, body + 14),
            ));
            assert_eq!(u16_at(bytes, body), 1, "PCM");
        } else if id == b"data" {
            let (channels, sample_rate, bits) = fmt.expect("fmt chunk before data");
            let end = body.saturating_add(len).min(bytes.len());
            let samples = bytes[body..end]
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]))
                .collect();
            return Wav {
                channels,
                sample_rate,
                bits,
                samples,
            };
        }
        i = body + len + (len & 1);
    }
    panic!("no data chunk");
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

/// Waits up to five seconds for `f` to hold.
#[cfg(unix)]
fn eventually(what: &str, f: impl Fn() -> bool) {
    let start = std::time::Instant::now();
    while !f() {
        assert!(
            start.elapsed().as_secs() < 5,
            "timed out waiting until {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
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

    let t = std::time::Instant::now();
    e.speak("One.");
    assert!(
        t.elapsed().as_millis() < 20,
        "speaking never waits for the engine"
    );
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
