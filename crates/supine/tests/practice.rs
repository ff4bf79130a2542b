//! `supine practice` in a real pseudo-terminal (through `script`), killed with SIGKILL midway:
//! the journal keeps what was done and the next run finds the session interrupted.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use supine_store::{Journal, SessionStatus, SqliteJournal};

fn have_script() -> bool {
    Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn a_session_killed_midway_is_kept_and_found_interrupted() {
    if !have_script() {
        println!("skipped: `script` (util-linux) is not installed");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("journal.db");
    let exe = env!("CARGO_BIN_EXE_supine");
    // script's pseudo-terminal has no size without a terminal on stdin: give it one, or the
    // player (rightly) waits for a bigger window.
    let inner = format!(
        "stty cols 100 rows 30; exec {exe} --db {} practice --voice off --speed 40",
        db.display()
    );
    let mut child = Command::new("script")
        .args(["-qfec", &inner, "/dev/null"])
        .env("HOME", home.path())
        .env("TERM", "xterm")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // 17 screening answers, the daily check, pain before 5, in the lower back, not spreading.
    let mut answers = "n\n".repeat(18);
    answers.push_str("5\nb\nn\n");
    child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(answers.as_bytes())
        .unwrap();

    // Wait until a few segments are in the journal, then kill the player hard.
    let deadline = Instant::now() + Duration::from_secs(60);
    let done = loop {
        std::thread::sleep(Duration::from_millis(200));
        assert!(Instant::now() < deadline, "no segment was recorded in time");
        let Ok(j) = SqliteJournal::open(&db) else {
            continue;
        };
        let Ok(recent) = j.recent_sessions(1) else {
            continue;
        };
        if let Some(s) = recent.first()
            && s.segments_done >= 3
        {
            break s.segments_done;
        }
    };
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

    let out = Command::new(exe)
        .args(["--db", db.to_str().unwrap(), "log"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("interrupted"), "{text}");
}
