//! Realistic people: clips of skinned, clothed human bodies (`tools/realbody`, never used by the
//! analyzers' own tests before) doing the routine in rooms, from cameras in the advised
//! placement. What is committed is the landmark stream our own pipeline made of each clip (full
//! model, 10 analysed frames per second, as `supine analyze` does) and the clip's truth, in
//! `tests/fixtures/real/{tune,heldout}/`; these tests only read them, so they run in seconds.
//! Three short clips (`fixtures/real/e2e/`) keep their frames to prove the pipeline end to end.
//!
//! Two splits: tune on `tune/`, judge on `heldout/` (bodies, cameras and seeds that are never
//! used for tuning). The held-out scores are printed only by the ignored test
//! `real::heldout_split_meets_the_bar` (`-- --ignored --nocapture`), so that nobody tuning sees
//! them. Definitions of what is counted: `docs/definitions.md`.
//!
//! Regenerating the streams after rendering new frames (`tools/realbody/README.md`):
//! `SUPINE_REALBODY_FRAMES=/var/tmp/realbody-frames cargo test --release -p supine-vision --test
//! main real::make_streams -- --ignored --nocapture`.

use crate::common::{fixtures, percentiles};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde_json::Value;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use supine_vision::analyze::{self, Analysis, Body, Point, Sample, Seen, stream, twist::Side};
use supine_vision::landmarks::NUM_LANDMARKS;
use supine_vision::{LandmarkModel, PoseEstimator, PoseOptions};

/// The folder of one split's fixtures.
fn split_dir(split: &str) -> PathBuf {
    fixtures().join("real").join(split)
}

// --- the landmark stream format ---------------------------------------------------------------
//
// A gzip-compressed little-endian file: the magic `SLMS`, a version byte (1) and the frame count
// (u32); then per frame the time in milliseconds (u32) and a flag (u8, 1 when a person was
// found), followed for a person by the 33 image landmarks (x and y as i16 in 1/8 pixel,
// visibility as u8 in 1/255) and the 33 world landmarks (x, y, z as i16 in 1/10 mm).

const MAGIC: &[u8; 4] = b"SLMS";
const PX: f32 = 8.0;
const WORLD: f32 = 10_000.0;

fn q16(v: f32, scale: f32) -> i16 {
    (v * scale).round().clamp(i16::MIN as f32, i16::MAX as f32) as i16
}

/// The stream as bytes of the format above, compressed.
fn encode(samples: &[Sample]) -> Vec<u8> {
    let mut raw = Vec::with_capacity(samples.len() * 400);
    raw.extend_from_slice(MAGIC);
    raw.push(1);
    raw.extend_from_slice(&(samples.len() as u32).to_le_bytes());
    for s in samples {
        raw.extend_from_slice(&((s.t * 1000.0).round() as u32).to_le_bytes());
        let Some(b) = &s.body else {
            raw.push(0);
            continue;
        };
        raw.push(1);
        for p in &b.image {
            raw.extend_from_slice(&q16(p.x, PX).to_le_bytes());
            raw.extend_from_slice(&q16(p.y, PX).to_le_bytes());
            raw.push((p.visibility.clamp(0.0, 1.0) * 255.0).round() as u8);
        }
        for w in &b.world {
            for c in w {
                raw.extend_from_slice(&q16(*c, WORLD).to_le_bytes());
            }
        }
    }
    let mut z = GzEncoder::new(Vec::new(), Compression::best());
    z.write_all(&raw).expect("compress in memory");
    z.finish().expect("compress in memory")
}

/// Reads a stream written by [`encode`]; the error says what is wrong and where.
fn decode(path: &Path) -> Result<Vec<Sample>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut raw = Vec::new();
    GzDecoder::new(file)
        .read_to_end(&mut raw)
        .map_err(|e| format!("{}: not a gzip stream: {e}", path.display()))?;
    let mut at = 0usize;
    let mut take = |n: usize| -> Result<&[u8], String> {
        let s = raw
            .get(at..at + n)
            .ok_or_else(|| format!("{}: truncated at byte {at}", path.display()))?;
        at += n;
        Ok(s)
    };
    if take(4)? != MAGIC || take(1)? != [1] {
        return Err(format!(
            "{}: not a version 1 landmark stream",
            path.display()
        ));
    }
    let le16 = |b: &[u8]| i16::from_le_bytes([b[0], b[1]]);
    let n = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes")) as usize;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes")) as f64 / 1000.0;
        if take(1)?[0] == 0 {
            out.push(Sample { t, body: None });
            continue;
        }
        let mut image = [Point::default(); NUM_LANDMARKS];
        for p in image.iter_mut() {
            let b = take(5)?;
            *p = Point {
                x: le16(&b[0..2]) as f32 / PX,
                y: le16(&b[2..4]) as f32 / PX,
                visibility: b[4] as f32 / 255.0,
            };
        }
        let mut world = [[0.0f32; 3]; NUM_LANDMARKS];
        for w in world.iter_mut() {
            let b = take(6)?;
            for (k, c) in w.iter_mut().enumerate() {
                *c = le16(&b[2 * k..2 * k + 2]) as f32 / WORLD;
            }
        }
        out.push(Sample {
            t,
            body: Some(Body { image, world }),
        });
    }
    Ok(out)
}

// --- clips and their truth --------------------------------------------------------------------

/// One committed clip: its truth and its landmark stream.
struct RealClip {
    truth: Value,
    samples: Vec<Sample>,
}

impl RealClip {
    fn id(&self) -> &str {
        self.truth["id"].as_str().unwrap_or("?")
    }
    fn kind(&self) -> &str {
        self.truth["kind"].as_str().unwrap_or("?")
    }
}

/// The truth files of `split`, in name order.
fn truth_files(split: &str) -> Vec<PathBuf> {
    let dir = split_dir(split);
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    names
}

/// Every clip of `split` that has its stream, in name order. A truth file whose stream is not
/// made yet (`make.py render` writes the truth, `make_streams` the stream afterwards) is left
/// out with a note here; [`streams_match_their_truth_and_splits_share_no_body`] requires
/// every one.
fn load_split(split: &str) -> Vec<RealClip> {
    truth_files(split)
        .iter()
        .filter(|p| {
            let made = p.with_extension("lms.gz").exists();
            if !made {
                println!("{}: no stream yet, left out", p.display());
            }
            made
        })
        .map(|p| {
            let text =
                std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let truth: Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let samples = decode(&p.with_extension("lms.gz")).unwrap_or_else(|e| panic!("{e}"));
            RealClip { truth, samples }
        })
        .collect()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

/// Phases in which nothing may be counted.
const NOT_A_POSE: [&str; 10] = [
    "settling",
    "getting_into",
    "getting_out",
    "resting",
    "sitting_up",
    "sitting",
    "lying_down",
    "rolling",
    "on_side",
    "fidget",
];

/// How a clip's analysis compares with its truth.
#[derive(Debug, Default)]
struct Score {
    counts_exact: bool,
    /// (holds within 0.5 s, holds judged).
    holds: (usize, usize),
    /// What was reported that the truth does not have.
    invented: Vec<String>,
    /// A lifted shoulder reported exactly when the truth has one.
    shoulders_right: bool,
    /// Human-readable differences.
    notes: Vec<String>,
}

const HOLD_TOLERANCE_S: f64 = 0.5;

fn score(truth: &Value, a: &Analysis) -> Score {
    let e = &truth["expected"];
    let mut s = Score::default();
    let want_cw = e["circles_cw"].as_u64().unwrap_or(0) as u32;
    let want_ccw = e["circles_ccw"].as_u64().unwrap_or(0) as u32;
    let want_rounds: Vec<f64> = e["bridge_holds_s"]
        .as_array()
        .map(|v| v.iter().map(f).collect())
        .unwrap_or_default();
    let want_twist: Vec<(String, f64)> = e["twist_holds"]
        .as_array()
        .map(|v| {
            v.iter()
                .map(|h| (h[0].as_str().unwrap_or("?").to_string(), f(&h[1])))
                .collect()
        })
        .unwrap_or_default();
    let sides: Vec<String> = a
        .twist
        .holds
        .iter()
        .map(|h| match h.side {
            Side::Left => "left".to_string(),
            Side::Right => "right".to_string(),
        })
        .collect();
    let (cw, ccw) = (a.circles.clockwise, a.circles.counterclockwise);
    let circles_ok = (cw, ccw) == (want_cw, want_ccw);
    let rounds_ok = a.bridge.rounds.len() == want_rounds.len();
    let want_sides: Vec<String> = want_twist.iter().map(|h| h.0.clone()).collect();
    let sides_ok = sides == want_sides;
    s.counts_exact = circles_ok && rounds_ok && sides_ok;
    if !circles_ok {
        s.notes
            .push(format!("circles {cw}/{ccw} want {want_cw}/{want_ccw}"));
    }
    if !rounds_ok {
        s.notes.push(format!(
            "rounds {} want {}",
            a.bridge.rounds.len(),
            want_rounds.len()
        ));
    } else {
        for (r, w) in a.bridge.rounds.iter().zip(&want_rounds) {
            s.holds.1 += 1;
            if (r.hold_s - w).abs() <= HOLD_TOLERANCE_S {
                s.holds.0 += 1;
            } else {
                s.notes
                    .push(format!("bridge hold {:.1} want {w:.1}", r.hold_s));
            }
        }
    }
    if !sides_ok {
        s.notes.push(format!("twist {sides:?} want {want_sides:?}"));
    } else {
        for (h, w) in a.twist.holds.iter().zip(&want_twist) {
            s.holds.1 += 1;
            if (h.hold_s - w.1).abs() <= HOLD_TOLERANCE_S {
                s.holds.0 += 1;
            } else {
                s.notes
                    .push(format!("twist hold {:.1} want {:.1}", h.hold_s, w.1));
            }
        }
    }
    // Invented movement: more than the truth has, or a count inside a phase that is no pose.
    if cw > want_cw || ccw > want_ccw {
        s.invented.push(format!("circles {cw}/{ccw}"));
    }
    if a.bridge.rounds.len() > want_rounds.len() {
        s.invented
            .push(format!("{} bridge rounds", a.bridge.rounds.len()));
    }
    if a.twist.holds.len() > want_twist.len() {
        s.invented
            .push(format!("{} twist holds", a.twist.holds.len()));
    }
    let phases: Vec<(String, f64, f64)> = truth["phases"]
        .as_array()
        .map(|v| {
            v.iter()
                .map(|p| {
                    (
                        p["phase"].as_str().unwrap_or("?").to_string(),
                        f(&p["t_start"]),
                        f(&p["t_end"]),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let outside_pose = |what: &str, t0: f64, t1: f64, out: &mut Vec<String>| {
        let span = (t1 - t0).max(1e-3);
        for (name, a0, a1) in &phases {
            let overlap = (t1.min(*a1) - t0.max(*a0)).max(0.0);
            if NOT_A_POSE.contains(&name.as_str()) && overlap > 0.5 * span {
                out.push(format!("{what} at {t0:.1}-{t1:.1} s while {name}"));
            }
        }
    };
    for c in &a.circles.circles {
        outside_pose("circle", c.t_start, c.t_end, &mut s.invented);
    }
    for r in &a.bridge.rounds {
        outside_pose("bridge round", r.t_lift, r.t_down, &mut s.invented);
    }
    for h in &a.twist.holds {
        outside_pose("twist hold", h.t_start, h.t_end, &mut s.invented);
    }
    let lifted = a.twist.holds.iter().any(|h| !h.shoulder_lifted.is_empty());
    let want_lifted = e["shoulder_lifted"].as_bool().unwrap_or(false);
    s.shoulders_right = lifted == want_lifted;
    if !s.shoulders_right {
        s.notes
            .push(format!("shoulder lifted {lifted} want {want_lifted}"));
        if lifted {
            s.invented.push("a lifted shoulder".into());
        }
    }
    s
}

/// The bound on reporting that the top of a bridge or twist was reached or left (seconds after
/// it happened, issue 16).
const TOP_LAG_S: f64 = 0.5;
/// The bound on counting a circle (seconds after it closed).
const CIRCLE_LAG_S: f64 = 1.0;

/// Seconds from each event of the truth to its report, where the analysis found as many as the
/// truth has: (circles counted, tops of a bridge or twist reached or left); and a note for each
/// event reported later than its bound (what, and when it happened).
fn lags(truth: &Value, a: &Analysis) -> (Vec<f64>, Vec<f64>, Vec<String>) {
    let events: &[Value] = truth["events"].as_array().map_or(&[], |v| v.as_slice());
    let of = |kind: &str, key: &str| -> Vec<f64> {
        events
            .iter()
            .filter(|e| e["event"] == kind)
            .map(|e| f(&e[key]))
            .collect()
    };
    let reported = |pick: &dyn Fn(&Seen) -> bool| -> Vec<f64> {
        a.observations
            .iter()
            .filter(|o| pick(&o.seen))
            .map(|o| o.reported)
            .collect()
    };
    let mut late = Vec::new();
    let mut paired = |what: &str, bound: f64, want: Vec<f64>, got: Vec<f64>, out: &mut Vec<f64>| {
        if want.len() == got.len() {
            for (r, t) in got.iter().zip(&want) {
                if r - t > bound {
                    late.push(format!("{what} at {t:.1} s reported {:.2} s late", r - t));
                }
                out.push(r - t);
            }
        }
    };
    let (mut circles, mut tops) = (Vec::new(), Vec::new());
    paired(
        "circle",
        CIRCLE_LAG_S,
        of("circle", "t_end"),
        reported(&|s| matches!(s, Seen::CircleDone { .. })),
        &mut circles,
    );
    for (kind, start, end, reached, left) in [
        (
            "bridge_round",
            "t_top",
            "t_leave_top",
            reported(&|s| matches!(s, Seen::AtHeight { .. })),
            reported(&|s| matches!(s, Seen::Lowering { .. })),
        ),
        (
            "twist_hold",
            "t_start",
            "t_end",
            reported(&|s| matches!(s, Seen::TwistReached { .. })),
            reported(&|s| matches!(s, Seen::BackToMiddle { .. })),
        ),
    ] {
        let what = kind.replace('_', " ");
        paired(
            &format!("{what} top"),
            TOP_LAG_S,
            of(kind, start),
            reached,
            &mut tops,
        );
        paired(
            &format!("{what} left"),
            TOP_LAG_S,
            of(kind, end),
            left,
            &mut tops,
        );
    }
    (circles, tops, late)
}

/// The totals of a split.
#[derive(Debug, Default)]
struct Totals {
    clips: usize,
    counts_exact: usize,
    holds: (usize, usize),
    invented: usize,
    shoulders_right: usize,
}

/// Analyses every clip of `split`, prints a row per clip and the totals, and returns them with
/// each clip's score.
fn report(split: &str) -> (Totals, Vec<(RealClip, Score)>) {
    let clips = load_split(split);
    println!("\n{split} split: {} clips", clips.len());
    println!(
        "{:<20} {:<11} {:<4} {:>9} {:<27} {:<6} {:<6} {:<9} {:<5} notes",
        "clip", "kind", "body", "size", "camera", "counts", "holds", "invented", "shldr"
    );
    let mut t = Totals::default();
    let mut out = Vec::new();
    let (mut circle_lags, mut top_lags) = (Vec::new(), Vec::new());
    for c in clips {
        let a = analyze::analyze(&c.samples);
        let s = score(&c.truth, &a);
        let (cl, tl, late) = lags(&c.truth, &a);
        circle_lags.extend(cl);
        top_lags.extend(tl);
        let spec = &c.truth["spec"];
        let cam = &spec["camera"];
        println!(
            "{:<20} {:<11} {:<4} {:>9} {:<27} {:<6} {:<6} {:<9} {:<5} {}",
            c.id(),
            c.kind(),
            spec["body"]["id"].as_str().unwrap_or("?"),
            format!("{}x{}", spec["width"], spec["height"]),
            format!(
                "{} {:.0} deg up {:.1} m",
                cam["side"].as_str().unwrap_or("?"),
                f(&cam["elevation_deg"]),
                f(&cam["distance_m"])
            ),
            if s.counts_exact { "ok" } else { "WRONG" },
            format!("{}/{}", s.holds.0, s.holds.1),
            if s.invented.is_empty() { "none" } else { "YES" },
            if s.shoulders_right { "ok" } else { "WRONG" },
            s.notes
                .iter()
                .chain(&s.invented)
                .chain(&late)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        );
        t.clips += 1;
        t.counts_exact += s.counts_exact as usize;
        t.holds.0 += s.holds.0;
        t.holds.1 += s.holds.1;
        t.invented += !s.invented.is_empty() as usize;
        t.shoulders_right += s.shoulders_right as usize;
        out.push((c, s));
    }
    let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
    println!(
        "{split} totals: counts exact {}/{} ({:.0}%), holds within {HOLD_TOLERANCE_S} s {}/{} ({:.0}%), clips with invented movement {}, lifted shoulders right {}/{}",
        t.counts_exact,
        t.clips,
        pct(t.counts_exact, t.clips),
        t.holds.0,
        t.holds.1,
        pct(t.holds.0, t.holds.1),
        t.invented,
        t.shoulders_right,
        t.clips
    );
    println!(
        "{split} lag from event to report: circles counted {}; tops reached or left (bridge, twist) {}",
        percentiles(circle_lags),
        percentiles(top_lags)
    );
    (t, out)
}

/// The tuning split: prints the score; asserts what today's analyzers already do on it.
#[test]
fn tune_split_scores() {
    let (t, clips) = report("tune");
    assert!(t.clips > 0, "the tuning split has no clips");
    for (c, _) in &clips {
        // The person is found in nearly every frame: the pipeline sees these people.
        let seen = c.samples.iter().filter(|s| s.body.is_some()).count();
        assert!(
            seen * 10 >= c.samples.len() * 9,
            "{}: person in {seen} of {} frames",
            c.id(),
            c.samples.len()
        );
    }
    // Every tuning clip is right (nothing invented, lifted shoulders right, counted exactly with
    // every hold within 0.5 s) except the ones of `TUNE_KNOWN_WRONG`, and those are still
    // wrong: a fix must take its clip off the list, a regression fails here.
    let mut wrong = Vec::new();
    for (c, s) in &clips {
        let right =
            s.invented.is_empty() && s.shoulders_right && s.counts_exact && s.holds.0 == s.holds.1;
        let id = c.id();
        let known = TUNE_KNOWN_WRONG
            .iter()
            .any(|(k, _)| id.ends_with(&format!("/{k}")));
        match (right, known) {
            (false, false) => wrong.push(format!("{id}: {:?}", s.notes)),
            (true, true) => wrong.push(format!("{id} is right now: take it off TUNE_KNOWN_WRONG")),
            _ => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Tuning clips of the second to fourth batches that today's analyzers still get wrong, and how.
/// They stay in the tuning split (they are what to work on next); the test checks they are still
/// wrong so that the list cannot go stale.
const TUNE_KNOWN_WRONG: &[(&str, &str)] = &[
    (
        "bridge-12",
        "its one round missed: the tracker loses the knees (said as can't see) through it",
    ),
    (
        "circles-05",
        "a stray loop where the direction changes: 4/1 counted, 3/2 done",
    ),
    ("twist-05", "both holds off (4.7 s for 4.0, 1.3 s for 3.5)"),
    ("twist-07", "a hold 0.6 s long"),
    (
        "twist_lift-04",
        "a hold 1.2 s short and the lifted shoulder missed",
    ),
    ("twist_lift-05", "a hold 0.8 s long"),
    ("twist_lift-06", "a hold 3.1 s short"),
    (
        "twist_lift-07",
        "the first side read twice: right, right, left",
    ),
    ("twist-10", "a hold 3.1 s short"),
    (
        "circles-22",
        "small narrow anticlockwise circles (0.08 along, 0.023 across) read as a line: 1+0 counted, 1+2 done",
    ),
    ("twist-11", "a hold 0.5 s short"),
    ("twist-12", "a hold 3.5 s short (1280x720)"),
    ("twist_lift-11", "a hold 0.7 s long"),
    (
        "twist_lift-12",
        "the second side split in two (the far side's reading drifts by 12 degrees while the knees keep still) and the lifted shoulder missed",
    ),
    (
        "twist_lift-10",
        "the first side (left) missed and the lifted shoulder with it",
    ),
];

/// Issue 13's lever "an analysis rate that follows the pose": each clip of a split analysed at
/// 10, 5, 3.3 and 2.5 frames a second (every first, second, third or fourth sample of its
/// stream), with the clips right (as [`tune_split_scores`] judges them) and the holds within
/// 0.5 s, by kind. Dev-time: it prints and asserts nothing. `SUPINE_RATE_SPLIT=heldout` scores
/// the held-out split, once a rate is chosen on the tuning one.
#[test]
#[ignore = "dev-time: counts and holds at lower analysis rates (issue 13); -- --ignored --nocapture"]
fn rate_study() {
    let split = std::env::var("SUPINE_RATE_SPLIT").unwrap_or_else(|_| "tune".to_owned());
    let clips = load_split(&split);
    println!(
        "\n{split} split: {} clips; right clips and holds within {HOLD_TOLERANCE_S} s, by kind",
        clips.len()
    );
    // 0: every sample in a pose, every fourth (2.5 a second) outside one (the truth's phases
    // where nothing may be counted), as live coaching would analyse while nothing is counted.
    for every in [1usize, 2, 3, 4, 0] {
        // kind -> (right, clips, holds within, holds)
        let mut by_kind: std::collections::BTreeMap<String, [usize; 4]> = Default::default();
        let mut wrong = Vec::new();
        let mut top_lags: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
        for c in &clips {
            let samples: Vec<Sample> = if every == 0 {
                outside_poses_at_quarter_rate(&c.truth, &c.samples)
            } else {
                c.samples.iter().step_by(every).cloned().collect()
            };
            let a = analyze::analyze(&samples);
            let s = score(&c.truth, &a);
            top_lags
                .entry(c.kind().to_owned())
                .or_default()
                .extend(lags(&c.truth, &a).1);
            let right = s.invented.is_empty()
                && s.shoulders_right
                && s.counts_exact
                && s.holds.0 == s.holds.1;
            let k = by_kind.entry(c.kind().to_owned()).or_default();
            k[0] += right as usize;
            k[1] += 1;
            k[2] += s.holds.0;
            k[3] += s.holds.1;
            if !right {
                wrong.push(c.id().rsplit('/').next().unwrap_or("?").to_owned());
            }
        }
        let row: Vec<String> = by_kind
            .iter()
            .map(|(kind, k)| format!("{kind} {}/{} (holds {}/{})", k[0], k[1], k[2], k[3]))
            .collect();
        match every {
            0 => println!("10 in poses, 2.5 outside: {}", row.join(", ")),
            n => println!("{:>4.1} fps: {}", 10.0 / n as f64, row.join(", ")),
        }
        println!("          wrong: {}", wrong.join(" "));
        for (kind, l) in top_lags.into_iter().filter(|(_, l)| !l.is_empty()) {
            println!("          {kind}: top reached or left {}", percentiles(l));
        }
    }
}

/// Every sample inside a pose, every fourth outside one (a phase of [`NOT_A_POSE`]).
fn outside_poses_at_quarter_rate(truth: &Value, samples: &[Sample]) -> Vec<Sample> {
    let outside: Vec<(f64, f64)> = truth["phases"]
        .as_array()
        .map(|v| {
            v.iter()
                .filter(|p| NOT_A_POSE.contains(&p["phase"].as_str().unwrap_or("?")))
                .map(|p| (f(&p["t_start"]), f(&p["t_end"])))
                .collect()
        })
        .unwrap_or_default();
    let mut kept = 0usize;
    samples
        .iter()
        .filter(|s| {
            let out = outside.iter().any(|&(a, b)| s.t >= a && s.t < b);
            kept += 1;
            !out || kept % 4 == 1
        })
        .cloned()
        .collect()
}

/// The bar of issue 16 on the held-out split: counts exact on at least 97% of clips, every hold
/// within 0.5 s, no invented movement on any clip.
#[test]
#[ignore = "held-out bar of issue 16, not met by today's analyzers; the lead decides when it becomes required (run with -- --ignored --nocapture; never while tuning)"]
fn heldout_split_meets_the_bar() {
    let (t, _) = report("heldout");
    assert!(t.clips >= 40, "the held-out split has {} clips", t.clips);
    assert!(
        t.counts_exact * 100 >= t.clips * 97,
        "counts exact on {}/{} clips",
        t.counts_exact,
        t.clips
    );
    assert_eq!(t.holds.0, t.holds.1, "holds within 0.5 s");
    assert_eq!(t.invented, 0, "clips with invented movement");
    assert_eq!(t.shoulders_right, t.clips, "lifted shoulders right");
}

/// Every truth file has its stream, at 10 frames per second over the clip, and the splits share
/// no body.
#[test]
fn streams_match_their_truth_and_splits_share_no_body() {
    let mut bodies = std::collections::BTreeMap::<String, String>::new();
    for split in ["tune", "heldout"] {
        for p in truth_files(split) {
            let stream = p.with_extension("lms.gz");
            assert!(stream.exists(), "{} has no stream", p.display());
        }
        for c in load_split(split) {
            let frames = c.truth["frames"].as_u64().unwrap_or(0) as usize;
            assert_eq!(c.samples.len(), frames, "{}", c.id());
            for (i, s) in c.samples.iter().enumerate() {
                assert!((s.t - i as f64 / 10.0).abs() < 1e-3, "{} frame {i}", c.id());
            }
            let body = c.truth["spec"]["body"]["id"]
                .as_str()
                .unwrap_or("?")
                .to_string();
            let prev = bodies.insert(body.clone(), split.to_string());
            assert!(
                prev.is_none_or(|p| p == split),
                "body {body} is in both splits"
            );
        }
    }
}

#[test]
fn a_stream_survives_encoding_to_within_its_resolution() {
    let clip = load_split("tune").into_iter().next().expect("a clip");
    let dir = tempfile::tempdir().expect("temp dir");
    let p = dir.path().join("x.lms.gz");
    std::fs::write(&p, encode(&clip.samples)).expect("write");
    let back = decode(&p).expect("decode");
    assert_eq!(back.len(), clip.samples.len());
    for (a, b) in back.iter().zip(&clip.samples) {
        assert_eq!(a.t, b.t);
        assert_eq!(a.body.is_some(), b.body.is_some());
        if let (Some(x), Some(y)) = (&a.body, &b.body) {
            for k in 0..NUM_LANDMARKS {
                assert!((x.image[k].x - y.image[k].x).abs() <= 0.5 / PX);
                assert!((x.world[k][2] - y.world[k][2]).abs() <= 0.5 / WORLD);
            }
        }
    }
    // A file that is not a stream says so and where.
    std::fs::write(&p, b"not gzip").expect("write");
    let err = decode(&p).expect_err("not a stream");
    assert!(err.contains("x.lms.gz") && err.contains("gzip"), "{err}");
}

// --- the pipeline, end to end, and making the streams ------------------------------------------

/// The landmark stream of a folder of frames (`frame_NNNNNN.jpg`, in name order) at `fps`,
/// tracked as `supine analyze` does: full model, every frame analysed.
fn track_folder(dir: &Path, fps: f64) -> Vec<Sample> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jpg"))
        .collect();
    files.sort();
    let mut est = PoseEstimator::new(PoseOptions {
        model: LandmarkModel::Full,
        ..PoseOptions::default()
    })
    .expect("models load");
    files
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let t = i as f64 / fps;
            let img = supine_vision::load_image(p).unwrap_or_else(|e| panic!("{e}"));
            let frame = est.track(&img, t).expect("frame");
            stream::sample(&frame, t)
        })
        .collect()
}

/// The counts an analysis reports: circles per direction, bridge rounds, twist sides.
fn counts(a: &Analysis) -> (u32, u32, usize, Vec<Side>) {
    (
        a.circles.clockwise,
        a.circles.counterclockwise,
        a.bridge.rounds.len(),
        a.twist.holds.iter().map(|h| h.side).collect(),
    )
}

/// Three short committed clips (320x240, every other frame: 5 fps) through the whole pipeline:
/// the landmarks match the committed stream within a pixel, so the committed streams are what
/// the pipeline makes of the frames; the analysis counts the same as on the committed stream
/// and invents nothing.
#[test]
fn short_real_clips_end_to_end() {
    let dir = split_dir("e2e");
    for c in load_split("e2e") {
        let name = c.id().rsplit('/').next().unwrap_or("?").to_string();
        let fps = c.truth["spec"]["fps"].as_f64().expect("fps");
        let got = track_folder(&dir.join(&name), fps);
        assert_eq!(got.len(), c.samples.len(), "{name}");
        for (a, b) in got.iter().zip(&c.samples) {
            match (&a.body, &b.body) {
                (Some(x), Some(y)) => {
                    for k in 0..NUM_LANDMARKS {
                        let d = (x.image[k].x - y.image[k].x).hypot(x.image[k].y - y.image[k].y);
                        assert!(
                            d < 1.0,
                            "{name} at {:.1} s landmark {k} moved {d:.2} px",
                            a.t
                        );
                    }
                }
                (None, None) => {}
                _ => panic!("{name} at {:.1} s: person found differs", a.t),
            }
        }
        let fresh = analyze::analyze(&got);
        assert_eq!(
            counts(&fresh),
            counts(&analyze::analyze(&c.samples)),
            "{name}"
        );
        let s = score(&c.truth, &fresh);
        println!(
            "{name}: counts {} {:?}",
            if s.counts_exact { "exact" } else { "wrong" },
            s.notes
        );
        assert!(s.invented.is_empty(), "{name}: {:?}", s.invented);
    }
}

/// Dev-time: makes the committed streams from rendered frames. With
/// `SUPINE_REALBODY_FRAMES=DIR` (as `tools/realbody/make.py` leaves it: `DIR/<split>/<id>/`
/// frames, the truth already in the fixtures), tracks every clip that has no stream yet, on two
/// threads, and writes `fixtures/real/<split>/<id>.lms.gz`.
#[test]
#[ignore = "dev-time: makes the committed landmark streams from rendered frames (SUPINE_REALBODY_FRAMES)"]
fn make_streams() {
    let root = PathBuf::from(
        std::env::var_os("SUPINE_REALBODY_FRAMES").expect("set SUPINE_REALBODY_FRAMES"),
    );
    let mut jobs = Vec::new();
    for split in ["e2e", "tune", "heldout"] {
        let Ok(rd) = std::fs::read_dir(split_dir(split)) else {
            continue;
        };
        let mut names: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        names.sort();
        for truth in names {
            let out = truth.with_extension("lms.gz");
            let id = truth.file_stem().expect("name").to_owned();
            let text = std::fs::read_to_string(&truth).expect("truth");
            let fps = serde_json::from_str::<Value>(&text).expect("truth")["spec"]["fps"]
                .as_f64()
                .expect("fps");
            // Committed frames (the short clips) first, else the rendered ones.
            let committed = split_dir(split).join(&id);
            let frames = if committed.is_dir() {
                committed
            } else {
                root.join(split).join(&id)
            };
            if !out.exists() && frames.is_dir() {
                jobs.push((frames, out, fps));
            }
        }
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some((frames, out, fps)) = jobs.get(i) else {
                        break;
                    };
                    let t = std::time::Instant::now();
                    let samples = track_folder(frames, *fps);
                    std::fs::write(out, encode(&samples)).expect("write stream");
                    println!(
                        "{} {} frames in {:.0} s ({:.0} ms/frame)",
                        out.display(),
                        samples.len(),
                        t.elapsed().as_secs_f64(),
                        1000.0 * t.elapsed().as_secs_f64() / samples.len().max(1) as f64
                    );
                }
            });
        }
    });
}

/// Dev-time: for the clips named in `SUPINE_REAL_CLIPS` (`tune/bridge-06,...`; tuning clips only
/// while tuning), prints every observation and, per frame, what the bridge and twist read (lift,
/// knees' turn, the knees' midpoint in torso lengths), beside the truth's events and phases.
#[test]
#[ignore = "dev-time: explains named clips (SUPINE_REAL_CLIPS)"]
fn explain() {
    let names = std::env::var("SUPINE_REAL_CLIPS").expect("set SUPINE_REAL_CLIPS");
    for name in names.split(',') {
        let (split, id) = name.split_once('/').expect("split/id");
        let c = load_split(split)
            .into_iter()
            .find(|c| c.id() == name)
            .unwrap_or_else(|| panic!("no clip {name}"));
        println!("\n== {} ({id}) expected {}", c.id(), c.truth["expected"]);
        for e in c.truth["events"].as_array().into_iter().flatten() {
            println!("truth event {e}");
        }
        for p in c.truth["phases"].as_array().into_iter().flatten() {
            println!(
                "truth phase {} {:.1}-{:.1}",
                p["phase"],
                f(&p["t_start"]),
                f(&p["t_end"])
            );
        }
        let a = analyze::analyze(&c.samples);
        for o in &a.observations {
            if !matches!(o.seen, Seen::HoldSoFar { .. }) {
                println!("obs t {:.2} reported {:.2} {:?}", o.t, o.reported, o.seen);
            }
        }
        for s in &c.samples {
            let Some(b) = &s.body else {
                println!("{:.1} none", s.t);
                continue;
            };
            let lift = analyze::bridge::lift(b).map(|h| h.lift_px / h.torso_px);
            let tw = analyze::twist::reading(b);
            let knees = b.mid(analyze::Part::Knees);
            // The knees' distance from the hip-ankle line, torso lengths (up in the picture).
            let (h, an) = (b.mid(analyze::Part::Hips), b.mid(analyze::Part::Ankles));
            let (lx, ly) = (an.0 - h.0, an.1 - h.1);
            let l = lx.hypot(ly).max(1.0);
            let kup = ((knees.0 - h.0) * ly - (knees.1 - h.1) * lx).abs() / l / b.torso();
            let hip_reach = l / b.torso();
            println!(
                "{:.1} kup {kup:.2} hreach {hip_reach:.2} sh {:>6} shw {:>6} lift {:>6} bent {:>5} psi {:>7} kgap {:>6} reach {:>5} knees {:.0},{:.0} torso {:.0} vis k {:.2}/{:.2} a {:.2}/{:.2}",
                s.t,
                tw.map_or("-".into(), |r| format!("{:.3}", r.shoulder_gap)),
                tw.map_or("-".into(), |r| format!(
                    "{:.0}",
                    r.world_shoulders.0.atan2(r.world_shoulders.1).to_degrees()
                )),
                lift.map_or("-".into(), |l| format!("{l:.3}")),
                analyze::bridge::lift(b).map_or("-".into(), |h| h.knees_bent.to_string()),
                tw.and_then(|r| r.psi)
                    .map_or("-".into(), |p| format!("{p:.1}")),
                tw.map_or("-".into(), |r| format!("{:.3}", r.knee_gap)),
                tw.map_or("-".into(), |r| format!("{:.2}", r.reach)),
                knees.0,
                knees.1,
                b.torso(),
                b.image[25].visibility,
                b.image[26].visibility,
                b.image[27].visibility,
                b.image[28].visibility,
            );
        }
    }
}

/// The browser's camera e2e (`web/e2e/camera.test.js`) plays the e2e circle clip's in-pose
/// stretch in a loop: from just before the first circle (3.8 s) to the end of the pose. Each
/// circle of every loop is counted, in its direction, before the loop jumps back and at most
/// 1.2 s after it closed (live coaching's bar for a spoken count; the knees settling slowly after
/// this clip's second circle delay its count by 1.1 s), at the clip's 5 frames a second and with every frame twice at 10 (the page
/// sends up to 10 a second from a 5 fps camera). A loop cut sooner after the second circle
/// left its count to the frames after the jump back.
#[test]
fn the_camera_e2e_loop_counts_each_circle_inside_the_loop() {
    let c = load_split("e2e")
        .into_iter()
        .find(|c| c.id() == "e2e/circles")
        .expect("the e2e circle clip");
    let fps = c.truth["spec"]["fps"].as_f64().expect("fps");
    let in_pose = c.truth["phases"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["phase"] == "in_pose"))
        .expect("the clip's in-pose phase");
    // As the e2e cuts it: frames from 3.8 s up to the last one in the pose.
    let from = (3.8 * fps).floor() as usize;
    let to = (f(&in_pose["t_end"]) * fps).floor() as usize + 1;
    let period = (to - from) as f64 / fps;
    let events = c.truth["events"].as_array().expect("events");
    for copies in [1, 2] {
        let step = 1.0 / (fps * copies as f64);
        let loops = 4;
        let samples: Vec<Sample> = (0..loops)
            .flat_map(|_| &c.samples[from..to])
            .flat_map(|s| std::iter::repeat_n(s, copies))
            .enumerate()
            .map(|(k, s)| Sample {
                t: k as f64 * step,
                body: s.body.clone(),
            })
            .collect();
        let a = analyze::analyze(&samples);
        let circles: Vec<_> = a
            .observations
            .iter()
            .filter_map(|o| match o.seen {
                Seen::CircleDone { direction, .. } => Some((direction, o.reported)),
                _ => None,
            })
            .collect();
        assert_eq!(circles.len(), 2 * loops, "{copies} copies: {circles:?}");
        for (k, (direction, reported)) in circles.iter().enumerate() {
            let e = &events[k % 2];
            let closed = f(&e["t_end"]) - from as f64 / fps + (k / 2) as f64 * period;
            let clockwise = *direction == analyze::Direction::Clockwise;
            assert_eq!(
                clockwise,
                e["clockwise"] == true,
                "{copies} copies, circle {k}"
            );
            // A circle counts once the knees are back within `circles::CLOSE` of its start (about a
            // quarter of a second before the truth's close at this pace).
            let lag = reported - closed;
            let wrap = ((k / 2) + 1) as f64 * period;
            assert!(
                (-0.5..=1.2).contains(&lag) && *reported < wrap,
                "{copies} copies, circle {k}: closed {closed:.2} s, reported {reported:.2} s, the loop jumps back at {wrap:.2} s"
            );
        }
    }
}
