//! `supine practice` in a real pseudo-terminal (through `script`): killed with SIGKILL midway
//! (the journal keeps what was done and the next run finds the session interrupted), stopped for
//! safety (the advice stays, exit 4, and the next check asks about it), refused before any
//! question for a bad option, and on a full disk; with a video as the camera, and a camera that
//! cannot be used.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use supine_core::safety::{self, SafetyStop};
use supine_store::{Journal, ScreeningKind, SessionStatus, SqliteJournal};

use crate::journal::reads::Tmpfs;

fn have_script() -> bool {
    Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `supine --db DB practice --voice off --speed 40 ARGS` in a `cols` x `rows` pseudo-terminal,
/// everything it shows kept in `typescript`.
fn practice_in_pty(home: &Path, db: &Path, args: &str, cols: u16, typescript: &Path) -> Child {
    practice_in_pty_at(40, home, db, args, cols, typescript)
}

/// [`practice_in_pty`] at `speed` times real time.
fn practice_in_pty_at(
    speed: u32,
    home: &Path,
    db: &Path,
    args: &str,
    cols: u16,
    typescript: &Path,
) -> Child {
    let exe = env!("CARGO_BIN_EXE_supine");
    // script's pseudo-terminal has no size without a terminal on stdin: give it one, or the
    // player (rightly) waits for a bigger window.
    let inner = format!(
        "stty cols {cols} rows 24; exec {exe} --db {} practice --voice off --speed {speed} {args}",
        db.display()
    );
    Command::new("script")
        .args(["-qfec", &inner])
        .arg(typescript)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("TERM", "xterm")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn type_in(child: &mut Child, keys: &str) {
    let stdin = child.stdin.as_mut().unwrap();
    stdin.write_all(keys.as_bytes()).unwrap();
    stdin.flush().unwrap();
}

/// Answers line prompts one at a time, each once it is on screen, as a person would (so what
/// the terminal echoes falls where it does for them).
fn answer_prompts(child: &mut Child, typescript: &Path, answers: &[&str]) {
    let read = || std::fs::read(typescript).unwrap_or_default();
    let mut seen = 0;
    for a in answers {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let now = read();
            // Every prompt ends with ": " and waits there.
            if now.len() > seen && now.ends_with(b": ") {
                seen = now.len();
                break;
            }
            assert!(
                Instant::now() < deadline,
                "no prompt for {a:?}: {}",
                String::from_utf8_lossy(&now)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        type_in(child, &format!("{a}\n"));
    }
}

/// Waits until the latest session has `n` segments done: the player is running.
fn wait_for_segments(db: &Path, n: u32) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        std::thread::sleep(Duration::from_millis(200));
        assert!(Instant::now() < deadline, "no segment was recorded in time");
        let Ok(j) = SqliteJournal::open(db) else {
            continue;
        };
        let Ok(recent) = j.recent_sessions(1) else {
            continue;
        };
        if let Some(s) = recent.first()
            && s.segments_done >= n
        {
            return s.segments_done;
        }
    }
}

fn wait_for_exit(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "supine did not finish in time");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// What the terminal showed before the player took over the screen, and after it gave it back.
fn before_and_after(typescript: &Path) -> (String, String) {
    let text = String::from_utf8_lossy(&std::fs::read(typescript).unwrap()).replace('\r', "");
    let before = text
        .split("\x1b[?1049h")
        .next()
        .unwrap_or_default()
        .to_owned();
    let after = text
        .rsplit_once("\x1b[?1049l")
        .map_or(String::new(), |(_, a)| a.to_owned());
    (before, after)
}

/// `text` with every run of whitespace made one space, so wrapped text reads as one line.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn db(&self) -> PathBuf {
        self.path().join("journal.db")
    }
    fn typescript(&self, name: &str) -> PathBuf {
        self.path().join(name)
    }
}

#[test]
fn a_session_killed_midway_is_kept_and_found_interrupted() {
    if !have_script() {
        println!("skipped: `script` (util-linux) is not installed");
        return;
    }
    let home = Home::new();
    let db = home.db();
    let mut child = practice_in_pty(home.path(), &db, "", 100, &home.typescript("ts"));
    // 17 screening answers (a fresh screening stands for the daily check), pain before 5, in the
    // lower back, not spreading.
    let mut answers = "n\n".repeat(17);
    answers.push_str("5\nb\nn\n");
    type_in(&mut child, &answers);

    // Wait until a few segments are in the journal, then kill the player hard.
    let done = wait_for_segments(&db, 3);
    // `script` runs supine as its child: find it in /proc and SIGKILL it (the shell's builtin kill
    // avoids depending on procps).
    let script_pid = child.id();
    let children =
        std::fs::read_to_string(format!("/proc/{script_pid}/task/{script_pid}/children")).unwrap();
    let pid = children
        .split_whitespace()
        .next()
        .expect("supine runs under script");
    let killed = Command::new("sh")
        .args(["-c", &format!("kill -9 {pid}")])
        .status()
        .unwrap();
    assert!(killed.success());
    let _ = child.kill();
    let _ = child.wait();

    let mut j = SqliteJournal::open(&db).unwrap();
    // Pretend the heartbeat window has passed: everything still open is stale.
    let stale = j.mark_interrupted("2999-01-01T00:00:00+00:00").unwrap();
    assert_eq!(stale.len(), 1);
    let s = &stale[0];
    assert_eq!(s.status, SessionStatus::Interrupted);
    assert_eq!(s.pain_before, Some(5));
    assert_eq!(s.pain_areas, vec![supine_store::PainArea::LowerBack]);
    assert_eq!(s.pain_spreads, Some(false));
    assert!(s.segments_done >= done, "{} < {done}", s.segments_done);
    assert!(s.events.iter().all(|e| e.kind == "segment_done"));

    let out = Command::new(env!("CARGO_BIN_EXE_supine"))
        .args(["--db", db.to_str().unwrap(), "log"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("interrupted"), "{text}");
}

#[test]
fn a_safety_stop_keeps_its_advice_exits_4_and_the_next_check_asks_about_it() {
    if !have_script() {
        println!("skipped: `script` (util-linux) is not installed");
        return;
    }
    let home = Home::new();
    let db = home.db();
    let cols = 70;
    let first = home.typescript("first");
    let mut child = practice_in_pty(home.path(), &db, "", cols, &first);
    // The screening, then pain before 6 in the lower back, not spreading.
    let mut answers = vec!["n"; 17];
    answers.extend(["6", "b", "n"]);
    answer_prompts(&mut child, &first, &answers);
    wait_for_segments(&db, 1);
    // This hurts: pain 5, not sharp, spreading down a leg, no numbness: the stop rule stops the
    // session. Then pain after: 8.
    type_in(&mut child, "h5\rnyn8\r");
    let status = wait_for_exit(&mut child);
    let (before, after) = before_and_after(&first);
    assert_eq!(status.code(), Some(4), "{after}");

    // The first run's screening stood for the daily check.
    assert!(!before.contains(safety::DAILY_CHECK.text), "{before}");
    // Prompts are wrapped between words to the terminal's width.
    // (`script` adds a line of its own at the top.)
    for line in before.lines().filter(|l| !l.starts_with("Script started")) {
        assert!(line.chars().count() <= usize::from(cols), "{line:?}");
    }
    let urine = safety::QUESTIONS
        .iter()
        .find(|q| q.text.contains("hard to pass urine"))
        .unwrap();
    assert!(flat(&before).contains(urine.text), "{before}");

    // After the player closed: the advice again, the pain, no "well done".
    let advice = SafetyStop::SpreadingPain.advice();
    let shown = flat(&after);
    assert!(shown.contains(&advice), "{after}");
    assert!(
        shown.contains("Pain before 6, after 8: worse than before."),
        "{after}"
    );
    assert!(!shown.contains("Well done"), "{after}");

    let j = SqliteJournal::open(&db).unwrap();
    let s = &j.recent_sessions(1).unwrap()[0];
    assert_eq!(s.status, SessionStatus::Finished);
    assert_eq!(s.end_reason.as_deref(), Some("stopped_for_safety"));
    assert_eq!(s.pain_after, Some(8), "asked, not copied from the 5");
    drop(j);

    // The next check asks about the spreading pain first; "still there" stops it.
    let second = home.typescript("second");
    let mut child = practice_in_pty(home.path(), &db, "", cols, &second);
    answer_prompts(&mut child, &second, &["y", "n"]);
    let status = wait_for_exit(&mut child);
    let (before, _) = before_and_after(&second);
    assert_eq!(status.code(), Some(3), "{before}");
    let shown = flat(&before);
    let follow_up = shown.find(safety::FOLLOW_UP_SPREADING.text).expect(&before);
    let daily = shown.find(safety::DAILY_CHECK.text).expect(&before);
    assert!(follow_up < daily, "{before}");
    assert!(shown.contains(safety::FOLLOW_UP_MESSAGE), "{before}");
    let j = SqliteJournal::open(&db).unwrap();
    let check = j.latest_screening(ScreeningKind::Daily).unwrap().unwrap();
    assert_eq!(
        check.answers,
        vec![
            ("follow_up_spreading_pain".to_owned(), "yes".to_owned()),
            (safety::DAILY_CHECK.id.to_owned(), "no".to_owned()),
        ]
    );
}

#[test]
fn a_bad_option_is_refused_in_a_terminal_before_any_question() {
    if !have_script() {
        println!("skipped: `script` (util-linux) is not installed");
        return;
    }
    let home = Home::new();
    let db = home.db();
    let ts = home.typescript("ts");
    let mut child = practice_in_pty(home.path(), &db, "--minutes 500", 80, &ts);
    let status = wait_for_exit(&mut child);
    let (before, _) = before_and_after(&ts);
    assert_eq!(status.code(), Some(2), "{before}");
    assert!(before.contains("--minutes"), "{before}");
    assert!(!before.contains("safety questions"), "{before}");
    assert!(!db.exists(), "no journal was made");
}

#[test]
fn on_a_full_disk_practice_says_so_before_the_routine_and_keeps_what_was_saved() {
    // Issue 11: a session acknowledged on a full disk was never stored, and the routine ran on
    // to fail with "there is no session 2" at its end.
    if !have_script() {
        println!("skipped: `script` (util-linux) is not installed");
        return;
    }
    let Some(fs) = Tmpfs::mount("practice_on_a_full_disk", "1m") else {
        return;
    };
    let home = Home::new();
    let db = fs.0.path().join("journal.db");
    // A clear screening on file, as a first run leaves it.
    let answers: Vec<(String, safety::Answer)> = safety::QUESTIONS
        .iter()
        .map(|q| (q.id.to_owned(), safety::Answer::No))
        .collect();
    let outcome = safety::evaluate(&answers).unwrap();
    let taken_at = chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, false);
    let record = supine_store::practice::full_screening_record(taken_at, &answers, &outcome);
    SqliteJournal::open(&db)
        .unwrap()
        .save_screening(&record)
        .unwrap();
    // Fill the disk to the last byte.
    let mut filler = std::fs::File::create(fs.0.path().join("filler")).unwrap();
    while filler.write(&[0u8; 4096]).is_ok_and(|n| n > 0) {}

    let ts = home.typescript("ts");
    let mut child = practice_in_pty(home.path(), &db, "", 80, &ts);
    // Whichever write comes first fails: remembering the settings, or starting the session
    // after the pain question (answered 0 if it is asked).
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut answered = false;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        let shown = std::fs::read(&ts).unwrap_or_default();
        if !answered && shown.ends_with(b": ") {
            type_in(&mut child, "0\n");
            answered = true;
        }
        assert!(Instant::now() < deadline, "supine did not finish in time");
        std::thread::sleep(Duration::from_millis(50));
    };
    let text = String::from_utf8_lossy(&std::fs::read(&ts).unwrap()).replace('\r', "");
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(
        flat(&text).contains("the journal is full: free some disk space, then try again"),
        "{text}"
    );
    assert!(!text.contains("\x1b[?1049h"), "the routine started: {text}");
    // Once there is space again, what was saved is all there, and no session was made up.
    drop(filler);
    std::fs::remove_file(fs.0.path().join("filler")).unwrap();
    let j = SqliteJournal::open(&db).unwrap();
    assert!(j.recent_sessions(10).unwrap().is_empty());
    assert_eq!(
        j.latest_screening(ScreeningKind::Full).unwrap(),
        Some(record)
    );
}

/// The e2e clip of knee circles (frames as images) written twice over as one y4m video, so it
/// outlasts the routine's opening at the test's speed.
fn circles_video(dir: &Path) -> PathBuf {
    let frames_dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../supine-vision/tests/fixtures/real/e2e/circles");
    let mut frames: Vec<PathBuf> = std::fs::read_dir(&frames_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
        .collect();
    frames.sort();
    assert!(!frames.is_empty(), "no frames in {}", frames_dir.display());
    let first = image::open(&frames[0]).unwrap().to_rgb8();
    let path = dir.join("circles.y4m");
    let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    // The clip's own rate (its JSON says 5 frames a second).
    let mut y4m =
        supine_synth::y4m::Y4mWriter::new(file, first.width(), first.height(), 5, 1).unwrap();
    for _ in 0..2 {
        for f in &frames {
            y4m.write(&image::open(f).unwrap().to_rgb8()).unwrap();
        }
    }
    y4m.finish().unwrap();
    path
}

#[test]
fn practice_with_a_video_as_the_camera_keeps_what_it_saw_and_ends_normally() {
    if !have_script() {
        println!("skipped: `script` (util-linux) is not installed");
        return;
    }
    let home = Home::new();
    let db = home.db();
    let video = circles_video(home.path());
    let ts = home.typescript("ts");
    let args = format!(
        "--inhale 2 --exhale 2 --minutes 3.5 --camera {}",
        video.display()
    );
    let mut child = practice_in_pty_at(20, home.path(), &db, &args, 100, &ts);
    // The screening, then pain before 0 (no more questions about it).
    let mut answers = vec!["n"; 17];
    answers.push("0");
    answer_prompts(&mut child, &ts, &answers);
    // Once every segment is done the pain question is up: 2.
    let total = loop {
        wait_for_segments(&db, 1);
        let j = SqliteJournal::open(&db).unwrap();
        let id = j.recent_sessions(1).unwrap()[0].id;
        let s = j.session(id).unwrap().unwrap();
        if s.segments_done >= s.segments_total {
            break s.segments_total;
        }
    };
    assert!(total > 0);
    type_in(&mut child, "2\r");
    let status = wait_for_exit(&mut child);
    let (_, after) = before_and_after(&ts);
    assert_eq!(status.code(), Some(0), "{after}");
    let j = SqliteJournal::open(&db).unwrap();
    let id = j.recent_sessions(1).unwrap()[0].id;
    let s = j.session(id).unwrap().unwrap();
    assert_eq!(s.status, SessionStatus::Finished);
    assert_eq!(s.end_reason.as_deref(), Some("completed"));
    assert_eq!(s.pain_after, Some(2));
    // What the camera saw of the pose it watched is kept, as `seen`.
    let seen: Vec<_> = s.events.iter().filter(|e| e.kind == "seen").collect();
    assert!(!seen.is_empty(), "{:?}", s.events);
    assert!(seen[0].data["seen"]["clockwise"].is_u64(), "{:?}", seen[0]);
    for e in &seen {
        println!("seen: {}", e.data);
    }
    // The player said what the camera saw.
    let shown = String::from_utf8_lossy(&std::fs::read(&ts).unwrap()).into_owned();
    assert!(shown.contains("Camera"), "{shown}");
}

#[test]
fn a_camera_file_that_is_missing_or_a_live_device_is_refused_before_anything() {
    let home = crate::cli::Home::new();
    let missing = home.path().join("nowhere.y4m");
    let o = home.run(&["practice", "--camera", missing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", crate::cli::stderr(&o));
    let err = crate::cli::stderr(&o);
    assert!(
        err.contains(&format!(
            "--camera {}: there is no such file",
            missing.display()
        )),
        "{err}"
    );
    assert!(!home.db().exists(), "nothing was journaled");
    // A character device, as a live camera is: not supported yet, said plainly.
    let o = home.run(&["practice", "--camera", "/dev/null"]);
    assert_eq!(o.status.code(), Some(2), "{}", crate::cli::stderr(&o));
    let err = crate::cli::stderr(&o);
    assert!(err.contains("live cameras are not supported yet"), "{err}");
    // A file that is not a video.
    let text = home.path().join("notes.txt");
    std::fs::write(&text, "not a video").unwrap();
    let o = home.run(&["practice", "--camera", text.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", crate::cli::stderr(&o));
    assert!(
        crate::cli::stderr(&o).contains("--camera"),
        "{}",
        crate::cli::stderr(&o)
    );
    assert!(!home.db().exists(), "nothing was journaled");
}
