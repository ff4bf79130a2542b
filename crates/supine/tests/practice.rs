//! `supine practice` in a real pseudo-terminal (through `script`): killed with SIGKILL midway
//! (the journal keeps what was done and the next run finds the session interrupted), stopped for
//! safety (the advice stays, exit 4, and the next check asks about it), refused before any
//! question for a bad option, and on a full disk; with a video as the camera (the whole routine
//! fast; one circle each way at a pace the pose pipeline keeps up with, counted from the video
//! and spoken; a video that ends mid-session), and a camera that cannot be used.

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
    practice_in_pty_at(40.0, home, db, args, cols, typescript)
}

/// [`practice_in_pty`] at `speed` times real time.
fn practice_in_pty_at(
    speed: f64,
    home: &Path,
    db: &Path,
    args: &str,
    cols: u16,
    typescript: &Path,
) -> Child {
    practice_in_pty_with(
        &format!("--voice off --speed {speed} {args}"),
        None,
        home,
        db,
        cols,
        typescript,
    )
}

/// `supine --db DB practice ARGS` in a `cols` x 24 pseudo-terminal, with the programs in `bin`
/// (if any) found first on `PATH`.
fn practice_in_pty_with(
    args: &str,
    bin: Option<&Path>,
    home: &Path,
    db: &Path,
    cols: u16,
    typescript: &Path,
) -> Child {
    let exe = env!("CARGO_BIN_EXE_supine");
    // script's pseudo-terminal has no size without a terminal on stdin: give it one, or the
    // player (rightly) waits for a bigger window.
    let inner = format!(
        "stty cols {cols} rows 24; exec {exe} --db {} practice {args}",
        db.display()
    );
    let mut path = std::env::var_os("PATH").unwrap_or_default();
    if let Some(bin) = bin {
        let mut dirs = vec![bin.to_path_buf()];
        dirs.extend(std::env::split_paths(&path));
        path = std::env::join_paths(dirs).unwrap();
    }
    Command::new("script")
        .args(["-qfec", &inner])
        .arg(typescript)
        .env("PATH", path)
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

/// What a terminal was sent, with each control sequence (a cursor move, a colour) read as a
/// space and then made [`flat`]: the words the screen showed, as far as they were written.
fn screen_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            if chars.next_if_eq(&'[').is_some() {
                // Parameters and intermediates, up to the final byte.
                while chars.next().is_some_and(|c| !('@'..='~').contains(&c)) {}
            }
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    flat(&out)
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
    /// `supine --db DB ARGS` run to its end.
    fn supine(&self, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_supine"))
            .arg("--db")
            .arg(self.db())
            .args(args)
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.path().join("config"))
            .output()
            .unwrap()
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
    let frames = clip_frames();
    let order: Vec<usize> = (0..frames.len()).chain(0..frames.len()).collect();
    write_y4m(&dir.join("circles.y4m"), &frames, &order)
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
    let mut child = practice_in_pty_at(20.0, home.path(), &db, &args, 100, &ts);
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

/// The e2e clip of knee circles (5 frames a second: lying down, one circle clockwise, one
/// anticlockwise, feet down) as a y4m video stretched to fit the routine of [`one_circle_content`]
/// at 2 s breaths: still, knees hugged, through the routine's 12 s setup, so that the clockwise
/// circle closes in that set (at about 17.7 s), and still again for 6 s after it, so that the
/// anticlockwise circle closes (at about 31 s) in the anticlockwise set however soon the session
/// moved on. A person holding still is what the camera sees of a real one waiting.
fn one_circle_video(dir: &Path) -> PathBuf {
    let frames = clip_frames();
    // Frame 16: in the pose, before the first circle (the clip's truth: in_pose from 3.11 s,
    // the clockwise circle 4.08-7.89 s, the anticlockwise 11.61-15.06 s).
    let order: Vec<usize> = (0..16)
        .chain(std::iter::repeat_n(16, 49))
        .chain(16..41)
        .chain(std::iter::repeat_n(41, 30))
        .chain(41..frames.len())
        .collect();
    write_y4m(&dir.join("one-circle.y4m"), &frames, &order)
}

/// The e2e circles clip's frames, in order.
fn clip_frames() -> Vec<PathBuf> {
    let frames_dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../supine-vision/tests/fixtures/real/e2e/circles");
    let mut frames: Vec<PathBuf> = std::fs::read_dir(&frames_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
        .collect();
    frames.sort();
    assert!(!frames.is_empty(), "no frames in {}", frames_dir.display());
    frames
}

/// The frames at `order` written as a y4m video at the clip's 5 frames a second.
fn write_y4m(path: &Path, frames: &[PathBuf], order: &[usize]) -> PathBuf {
    let images: Vec<image::RgbImage> = frames
        .iter()
        .map(|f| image::open(f).unwrap().to_rgb8())
        .collect();
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let (w, h) = images[0].dimensions();
    let mut y4m = supine_synth::y4m::Y4mWriter::new(file, w, h, 5, 1).unwrap();
    for &i in order {
        y4m.write(&images[i]).unwrap();
    }
    y4m.finish().unwrap();
    path.to_path_buf()
}

/// A content folder with a routine of hip rotations alone ("one-circle"), one circle each
/// way: the built-in pose with its dose made 1.
fn one_circle_content(dir: &Path) -> PathBuf {
    let root = dir.join("content");
    std::fs::create_dir_all(root.join("poses")).unwrap();
    std::fs::create_dir_all(root.join("routines")).unwrap();
    let builtin = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content/poses/knee-circles.toml"),
    )
    .unwrap();
    let pose = builtin.replace("default = 5\nmin = 3\n", "default = 1\nmin = 1\n");
    assert_ne!(
        pose, builtin,
        "the pose's dose is no longer where this test expects it"
    );
    std::fs::write(root.join("poses/knee-circles.toml"), pose).unwrap();
    std::fs::write(
        root.join("routines/one-circle.toml"),
        "id = \"one-circle\"\nname = \"One circle each way\"\n\
         summary = \"Hip rotations, one circle each way.\"\n\n[[steps]]\npose = \"knee-circles\"\n",
    )
    .unwrap();
    root
}

/// A folder with an `espeak-ng` that writes what it is asked to say, a line each, to `spoken`,
/// and an `aplay` that plays nothing.
fn recording_voice(dir: &Path, spoken: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let espeak = format!(
        "#!/bin/sh\nfor text; do :; done\nprintf '%s\\n' \"$text\" >> '{}'\n",
        spoken.display()
    );
    for (name, body) in [("espeak-ng", espeak.as_str()), ("aplay", "#!/bin/sh\n")] {
        let path = bin.join(name);
        std::fs::write(&path, body).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

/// Plays the one-circle routine to its end with `video` as the camera at `speed`, the voice
/// recorded; answers pain 0 before and 1 after. Returns the finished session, what was spoken
/// and what the terminal showed.
fn play_one_circle(
    home: &Home,
    video: &Path,
    speed: f64,
) -> (supine_store::SessionRecord, String, String) {
    let db = home.db();
    let spoken = home.path().join("spoken.txt");
    let bin = recording_voice(home.path(), &spoken);
    let content = one_circle_content(home.path());
    let ts = home.typescript("ts");
    let args = format!(
        "--content {} --routine one-circle --inhale 2 --exhale 2 --speed {speed} --camera {}",
        content.display(),
        video.display()
    );
    let mut child = practice_in_pty_with(&args, Some(&bin), home.path(), &db, 100, &ts);
    let mut answers = vec!["n"; 17];
    answers.push("0");
    answer_prompts(&mut child, &ts, &answers);
    loop {
        wait_for_segments(&db, 1);
        let j = SqliteJournal::open(&db).unwrap();
        let s = j.recent_sessions(1).unwrap().remove(0);
        if s.segments_done >= s.segments_total {
            break;
        }
    }
    type_in(&mut child, "1\r");
    let status = wait_for_exit(&mut child);
    let shown = String::from_utf8_lossy(&std::fs::read(&ts).unwrap()).replace('\r', "");
    assert_eq!(status.code(), Some(0), "{shown}");
    let j = SqliteJournal::open(&db).unwrap();
    let s = j.recent_sessions(1).unwrap().remove(0);
    assert_eq!(s.status, SessionStatus::Finished);
    assert_eq!(s.end_reason.as_deref(), Some("completed"));
    assert_eq!(s.pain_after, Some(1));
    let said = std::fs::read_to_string(&spoken).unwrap_or_default();
    (s, said, shown)
}

#[test]
fn practice_counts_the_circles_of_a_video_played_as_the_camera() {
    if !have_script() {
        println!("skipped: `script` (util-linux) is not installed");
        return;
    }
    let home = Home::new();
    let video = one_circle_video(home.path());
    // Quarter speed: the pose pipeline (about 0.2 s a frame in a debug build on a 2-core
    // machine, more while the other tests run beside it) analyses every frame of the 5 frames
    // a second, so the counts are the video's. At half speed it fell behind once under load.
    let (s, said, shown) = play_one_circle(&home, &video, 0.25);
    // Each set ended on the circle the camera saw, said as the count seen, before what comes
    // next (an utterance may join the next cue).
    assert_eq!(said.matches("That's one.").count(), 2, "spoken:\n{said}");
    let clockwise = said.find("circle your knees clockwise").unwrap();
    let first = said.find("That's one. Pause in the middle.").unwrap();
    let anticlockwise = said.find("circle your knees anticlockwise").unwrap();
    let second = said.find("That's one. Let your feet come down").unwrap();
    assert!(
        clockwise < first && first < anticlockwise && anticlockwise < second,
        "spoken:\n{said}"
    );
    assert!(screen_words(&shown).contains("sees you"), "{shown}");
    // The journal keeps what was seen of the pose, and `log` shows it.
    let seen = supine_store::seen::session_seen(&s);
    assert_eq!(seen.len(), 1, "{:?}", s.events);
    assert_eq!(seen[0].pose.as_deref(), Some("knee-circles"));
    assert_eq!((seen[0].seen.clockwise, seen[0].seen.anticlockwise), (1, 1));
    assert!(!seen[0].seen.lost, "{:?}", seen[0]);
    let log = home.supine(&["log", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&log.stdout).unwrap();
    assert_eq!(v[0]["seen"][0]["clockwise"], 1, "{v}");
    assert_eq!(v[0]["seen"][0]["anticlockwise"], 1, "{v}");
    let text = home.supine(&["log"]);
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(
        text.contains("camera: knee-circles 1 clockwise, 1 anticlockwise"),
        "{text}"
    );
}

#[test]
fn a_camera_that_stops_mid_session_leaves_the_timer_to_finish() {
    if !have_script() {
        println!("skipped: `script` (util-linux) is not installed");
        return;
    }
    let home = Home::new();
    // Two seconds of the person lying down: the video ends in the setup, long before a circle.
    let order: Vec<usize> = (0..10).collect();
    let video = write_y4m(&home.path().join("short.y4m"), &clip_frames(), &order);
    let (s, said, shown) = play_one_circle(&home, &video, 4.0);
    // The status line said so (drawn cell by cell: only the words that changed are written).
    let words = screen_words(&shown);
    assert!(
        words.contains("Camera lost:") && words.contains("timer leads now."),
        "{words}"
    );
    // Nothing was counted from the camera; the timer led both sets to the end.
    assert!(!said.contains("That's one."), "spoken:\n{said}");
    assert!(
        said.contains("Now circle the other way."),
        "spoken:\n{said}"
    );
    assert_eq!(s.segments_done, s.segments_total);
    let seen = supine_store::seen::session_seen(&s);
    assert_eq!(seen.len(), 1, "{:?}", s.events);
    assert_eq!((seen[0].seen.clockwise, seen[0].seen.anticlockwise), (0, 0));
}

#[test]
fn a_camera_that_is_missing_or_not_a_camera_is_refused_before_anything() {
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
    // A camera that is not there, and a device that is no camera: said plainly, exit 2.
    let o = home.run(&["practice", "--camera", "/dev/video-none"]);
    assert_eq!(o.status.code(), Some(2), "{}", crate::cli::stderr(&o));
    let err = crate::cli::stderr(&o);
    assert!(
        err.contains("--camera /dev/video-none: there is no such camera; plug one in"),
        "{err}"
    );
    let o = home.run(&["practice", "--camera", "/dev/null"]);
    assert_eq!(o.status.code(), Some(2), "{}", crate::cli::stderr(&o));
    let err = crate::cli::stderr(&o);
    assert!(
        err.contains("--camera /dev/null: is not a camera") || !cfg!(target_os = "linux"),
        "{err}"
    );
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
