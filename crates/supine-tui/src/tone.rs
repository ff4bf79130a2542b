//! Soft chime tones, synthesised as small WAV files in memory.
//!
//! Each chime is one to three sine notes with a gentle attack and a bell-like decay, quiet enough
//! not to startle someone lying still with their eyes closed.

use supine_core::plan::Chime;

/// Sample rate of the generated tones.
pub(crate) const SAMPLE_RATE: u32 = 22_050;

/// One note: frequency in Hz, start and length in seconds, peak level 0..1.
struct Note {
    freq: f64,
    at: f64,
    len: f64,
    level: f64,
}

const fn note(freq: f64, at: f64, len: f64, level: f64) -> Note {
    Note {
        freq,
        at,
        len,
        level,
    }
}

// Notes of a C major chord, which sounds settled rather than alarming.
const C5: f64 = 523.25;
const E5: f64 = 659.25;
const G5: f64 = 783.99;
const G4: f64 = 392.00;

fn notes(chime: Chime) -> Vec<Note> {
    match chime {
        Chime::Start => vec![note(C5, 0.0, 0.7, 0.30), note(G5, 0.22, 0.8, 0.28)],
        Chime::Transition => vec![note(E5, 0.0, 0.7, 0.28)],
        Chime::HoldEnd => vec![note(G5, 0.0, 0.6, 0.28), note(C5, 0.22, 0.8, 0.28)],
        Chime::Inhale => vec![note(G5, 0.0, 0.25, 0.12)],
        Chime::Pause => vec![note(G4, 0.0, 0.5, 0.25)],
        Chime::End => vec![
            note(C5, 0.0, 1.0, 0.26),
            note(E5, 0.25, 1.0, 0.24),
            note(G5, 0.5, 1.2, 0.24),
        ],
    }
}

/// The samples of a chime: mono, 16-bit, [`SAMPLE_RATE`].
pub(crate) fn samples(chime: Chime) -> Vec<i16> {
    let notes = notes(chime);
    let end = notes.iter().map(|n| n.at + n.len).fold(0.0, f64::max);
    let count = (end * f64::from(SAMPLE_RATE)).ceil() as usize;
    let rate = f64::from(SAMPLE_RATE);
    (0..count)
        .map(|i| {
            let t = i as f64 / rate;
            let v: f64 = notes
                .iter()
                .filter(|n| t >= n.at && t < n.at + n.len)
                .map(|n| {
                    let u = t - n.at;
                    // 8 ms attack, exponential decay, and a short fade so the note ends at zero.
                    let attack = (u / 0.008).min(1.0);
                    let decay = (-u / (n.len * 0.3)).exp();
                    let fade = ((n.at + n.len - t) / 0.02).min(1.0);
                    let phase = std::f64::consts::TAU * n.freq * u;
                    // A quiet octave partial makes it sound like a small bell, not a beep.
                    let wave = phase.sin() + 0.25 * (2.0 * phase).sin();
                    n.level * attack * decay * fade * wave / 1.25
                })
                .sum();
            (v.clamp(-1.0, 1.0) * f64::from(i16::MAX)) as i16
        })
        .collect()
}

/// A complete RIFF/WAVE file holding `samples` (mono, 16-bit PCM).
pub(crate) fn wav(samples: &[i16], sample_rate: u32) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVE");
    out.extend_from_slice(b"fmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&(sample_rate * 2).to_le_bytes()); // bytes per second
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Chime; 6] = [
        Chime::Start,
        Chime::Transition,
        Chime::HoldEnd,
        Chime::Inhale,
        Chime::Pause,
        Chime::End,
    ];

    #[test]
    fn every_chime_is_short_soft_audible_and_ends_in_silence() {
        for chime in ALL {
            let s = samples(chime);
            let secs = s.len() as f64 / f64::from(SAMPLE_RATE);
            assert!((0.2..=2.0).contains(&secs), "{chime:?} lasts {secs} s");
            let peak = s.iter().map(|v| v.unsigned_abs()).max().unwrap();
            assert!(peak > 1000, "{chime:?} is audible");
            assert!(peak < i16::MAX as u16 / 2, "{chime:?} is soft: {peak}");
            assert!(
                s.last().unwrap().unsigned_abs() < 50,
                "{chime:?} ends without a click"
            );
        }
    }

    #[test]
    fn wav_header_describes_the_samples() {
        let bytes = wav(&[0, 1000, -1000], SAMPLE_RATE);
        assert_eq!(&bytes[0..4], b"RIFF");
        assert_eq!(u32::from_le_bytes(bytes[4..8].try_into().unwrap()), 36 + 6);
        assert_eq!(&bytes[8..16], b"WAVEfmt ");
        assert_eq!(
            u32::from_le_bytes(bytes[24..28].try_into().unwrap()),
            SAMPLE_RATE
        );
        assert_eq!(&bytes[36..40], b"data");
        assert_eq!(u32::from_le_bytes(bytes[40..44].try_into().unwrap()), 6);
        assert_eq!(i16::from_le_bytes([bytes[46], bytes[47]]), 1000);
        assert_eq!(bytes.len(), 50);
    }
}
