//! The binary's subcommands, run as processes with a temporary home.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// A temporary home so tests never touch the real journal or config.
pub struct Home {
    dir: TempDir,
}

impl Default for Home {
    fn default() -> Self {
        Self::new()
    }
}

impl Home {
    /// A new, empty home.
    pub fn new() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The home folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Where the journal lives by default.
    pub fn db(&self) -> PathBuf {
        self.path().join("data/supine/journal.db")
    }

    /// `supine ARGS` with only this home in its environment.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_supine"));
        c.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path())
            .env("XDG_DATA_HOME", self.path().join("data"))
            .env("XDG_CONFIG_HOME", self.path().join("config"));
        c
    }

    /// Runs `supine ARGS` to the end.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    /// Runs `supine ARGS` to the end with `input` on its standard input.
    pub fn run_with_input(&self, args: &[&str], input: &str) -> Output {
        use std::io::Write as _;
        use std::process::Stdio;
        let mut child = self
            .cmd(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }
}

/// What a run printed.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// What a run printed on stderr.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn plan_shows_both_directions_rounds_with_holds_and_both_sides() {
    let home = Home::new();
    let o = home.run(&["plan"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("5 circles clockwise, then 5 anticlockwise"),
        "{text}"
    );
    assert!(text.contains("3 rounds, hold 3 breaths"), "{text}");
    assert!(
        text.contains("left side, then right, hold 5 breaths each"),
        "{text}"
    );
    assert!(text.contains("circle 5 of 5, anticlockwise"));
    assert!(text.contains("right side"));
    assert!(!home.db().exists(), "plan never creates a journal");
}

#[test]
fn plan_json_is_the_full_timeline() {
    let home = Home::new();
    let o = home.run(&[
        "plan",
        "--json",
        "--minutes",
        "12",
        "--inhale",
        "3",
        "--exhale",
        "5",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let plan: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let total = plan["total_ms"].as_u64().unwrap();
    assert!((total as f64 - 12.0 * 60_000.0).abs() <= 8_000.0, "{total}");
    assert_eq!(plan["breath_ms"], 8000);
    let segments = plan["segments"].as_array().unwrap();
    assert_eq!(segments[0]["start_ms"], 0);
    let last = segments.last().unwrap();
    assert_eq!(
        last["start_ms"].as_u64().unwrap() + last["duration_ms"].as_u64().unwrap(),
        total
    );
}

#[test]
fn plan_adapts_to_conditions_and_says_why() {
    let home = Home::new();
    let o = home.run(&[
        "plan",
        "--condition",
        "recent-surgery-or-injury",
        "--condition",
        "neck-or-shoulder-injury",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("Gentle twist: left out (twisting is best left out"),
        "{text}"
    );
    assert!(text.contains("Bridge: Supported bridge instead"), "{text}");
    let o = home.run(&["plan", "--condition", "bad-knees"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with("error: --condition: unknown condition \"bad-knees\""),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bad_flags_get_usage_errors() {
    let home = Home::new();
    let o = home.run(&["plan", "--level", "extreme"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("invalid value 'extreme'"));
    let o = home.run(&["plan", "--inhale", "30"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--inhale: inhale must be 2-8 seconds"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn practice_checks_every_option_before_anything_else() {
    let mut cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["practice", "--minutes", "500"], "--minutes"),
        (vec!["practice", "--inhale", "0"], "--inhale"),
        (vec!["practice", "--exhale", "30"], "--exhale"),
        (vec!["practice", "--rate", "500"], "--rate"),
        (vec!["practice", "--routine", "nope"], "--routine"),
        (vec!["--content", "/nonexistent", "practice"], "--content"),
        (vec!["plan", "--minutes", "500"], "--minutes"),
        (vec!["plan", "--routine", "nope"], "--routine"),
    ];
    // A voice name can be checked when the engine is there.
    let espeak = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("espeak-ng").is_file()));
    if espeak {
        cases.push((
            vec!["practice", "--voice-name", "zzz-notavoice"],
            "--voice-name",
        ));
    }
    for (args, name) in cases {
        let home = Home::new();
        let o = home.run(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(err.contains(name), "{args:?}: {err}");
        assert!(!stdout(&o).contains("safety questions"), "{args:?}");
        assert!(!home.db().exists(), "{args:?}: nothing is written");
    }
    let o = Home::new().run(&["practice", "--routine", "nope"]);
    assert!(
        stderr(&o).contains("known: lying-down-relief"),
        "{}",
        stderr(&o)
    );
}

/// A folder holding `programs`, each a shell script with the given body.
fn fake_bin(home: &Home, programs: &[(&str, &str)]) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for (name, body) in programs {
        let path = bin.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

#[test]
fn test_sound_says_what_worked_what_did_not_and_how_to_fix_it() {
    // Nothing installed.
    let home = Home::new();
    let bin = fake_bin(&home, &[]);
    let o = home
        .cmd(&["practice", "--test-sound"])
        .env("PATH", &bin)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    assert!(text.contains("voice: did not work. espeak-ng"), "{text}");
    assert!(text.contains("sudo apt-get install espeak-ng"), "{text}");
    assert!(
        text.contains("chimes: did not work. no sound player"),
        "{text}"
    );
    assert!(text.contains("sudo apt-get install alsa-utils"), "{text}");
    assert!(
        stderr(&o).contains("the sound check found a problem"),
        "{}",
        stderr(&o)
    );
    assert!(!home.db().exists(), "the check writes no journal");

    // Both installed, no sound device.
    let home = Home::new();
    let alsa = "echo 'ALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown PCM default' >&2";
    let bin = fake_bin(
        &home,
        &[("espeak-ng", alsa), ("aplay", &format!("{alsa}\nexit 1"))],
    );
    let o = home
        .cmd(&["practice", "--test-sound"])
        .env("PATH", &bin)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    assert!(
        text.contains(
            "voice: did not work. espeak-ng could not play its sound (ALSA: Unknown PCM default)."
        ),
        "{text}"
    );
    assert!(
        text.contains("chimes: did not work. aplay failed (ALSA: Unknown PCM default)."),
        "{text}"
    );
    assert!(text.contains("To fix: check that speakers"), "{text}");

    // Both working.
    let home = Home::new();
    let bin = fake_bin(&home, &[("espeak-ng", "exit 0"), ("aplay", "exit 0")]);
    let o = home
        .cmd(&["practice", "--test-sound", "--rate", "120"])
        .env("PATH", &bin)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains(
            "voice: worked. espeak-ng spoke a sentence (voice default, 120 words a minute)."
        ),
        "{text}"
    );
    assert!(
        text.contains("chimes: worked. aplay played a chime."),
        "{text}"
    );
}

#[test]
fn broken_content_gets_a_located_error_and_check_content_validates() {
    let home = Home::new();
    let dir = home.path().join("mine");
    std::fs::create_dir_all(dir.join("poses")).unwrap();
    let file = dir.join("poses/bridge.toml");
    std::fs::write(&file, "id = \"bridge\"\nname = \"Bridge\"\nwhy = 3\n").unwrap();
    let o = home.run(&["check-content", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.starts_with(&format!("error: {}:3:7: invalid pose", file.display())),
        "{err}"
    );
    assert!(err.contains("hint:"));
    // The same error stops plan when the folder is passed with --content.
    let o = home.run(&["--content", dir.to_str().unwrap(), "plan"]);
    assert!(stderr(&o).contains("bridge.toml:3:7"), "{}", stderr(&o));

    let good = include_str!("../../../content/poses/bridge.toml")
        .replace("name = \"Bridge\"", "name = \"Easy bridge\"");
    std::fs::write(&file, good).unwrap();
    let o = home.run(&["check-content", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = home.run(&["--content", dir.to_str().unwrap(), "plan"]);
    assert!(stdout(&o).contains("Easy bridge"));
}

#[test]
fn user_content_folder_overrides_builtin() {
    let home = Home::new();
    let dir = home.path().join("config/supine/content/poses");
    std::fs::create_dir_all(&dir).unwrap();
    let text = include_str!("../../../content/poses/supine-twist.toml")
        .replace("hold_default = 5", "hold_default = 4");
    std::fs::write(dir.join("supine-twist.toml"), text).unwrap();
    let o = home.run(&["plan"]);
    assert!(stdout(&o).contains("hold 4 breaths each"), "{}", stdout(&o));
}

#[test]
fn practice_without_a_terminal_points_to_plan() {
    let home = Home::new();
    let o = home.run(&["practice"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("use `supine plan`"), "{}", stderr(&o));
}

#[test]
fn screen_with_a_red_flag_exits_3_and_practice_is_refused() {
    let home = Home::new();
    let mut child = home
        .cmd(&["screen"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let stdin = child.stdin.as_mut().unwrap();
        // First question (bladder or bowel) yes, the rest no.
        let mut answers = String::from("y\n");
        answers.push_str(&"n\n".repeat(16));
        stdin.write_all(answers.as_bytes()).unwrap();
    }
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(3));
    let text = stdout(&o);
    assert!(text.contains("urgently"), "{text}");
    // The emergency flag ended the questions: the second was never asked.
    assert!(!text.contains("(2 of 17)"), "{text}");
    let o = home.run(&["log", "--json"]);
    assert!(o.status.success());
    assert_eq!(stdout(&o).trim(), "[]");
}

#[test]
fn screen_stopped_halfway_saves_nothing() {
    let home = Home::new();
    let mut child = home
        .cmd(&["screen"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child.stdin.as_mut().unwrap().write_all(b"n\nn\n").unwrap();
    }
    drop(child.stdin.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("nothing was saved"));
}

#[test]
fn a_corrupt_journal_is_reported_and_left_untouched() {
    let home = Home::new();
    let db = home.path().join("broken.db");
    let garbage = b"this is not a database, but it is someone's file".repeat(100);
    std::fs::write(&db, &garbage).unwrap();
    let o = home.run(&["--db", db.to_str().unwrap(), "log"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("broken.db"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), garbage);
}

#[test]
fn log_on_a_new_machine_says_how_to_start() {
    let home = Home::new();
    let o = home.run(&["log"]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("supine practice"));
}

#[test]
fn broken_pipe_is_not_an_error() {
    let home = Home::new();
    let mut child = home
        .cmd(&["plan"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn minutes_the_routine_cannot_reach_are_refused_before_anything_is_asked() {
    let home = Home::new();
    // 20 minutes is in 1-60 but beyond the routine at the default breath: plan and practice
    // say so alike, exit 2, and practice asks nothing first.
    for command in ["plan", "practice"] {
        let o = home.run(&[command, "--minutes", "20"]);
        assert_eq!(o.status.code(), Some(2), "{command}: {}", stderr(&o));
        assert_eq!(
            stderr(&o).lines().next(),
            Some(
                "error: --minutes 20: this routine takes 7.5 to 15.2 minutes at your breath (4 s \
                 in, 6 s out); choose a length in that range, or a slower breath (--inhale, \
                 --exhale) for a longer routine"
            ),
            "{command}"
        );
        assert_eq!(stdout(&o), "", "{command} asked nothing");
        let o = home.run(&[command, "--minutes", "500"]);
        assert_eq!(o.status.code(), Some(2), "{command}");
        assert!(
            stderr(&o).contains("give a number of minutes from 1 to 60"),
            "{}",
            stderr(&o)
        );
    }
    assert!(!home.db().exists(), "nothing was written");
    // A slower breath reaches it, and the longest length at the default breath is kept.
    let o = home.run(&["plan", "--minutes", "20", "--inhale", "6", "--exhale", "9"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains(" · 20:00 · "), "{}", stdout(&o));
    let o = home.run(&["plan", "--minutes", "15.2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stdout(&o).contains("Note:"), "{}", stdout(&o));
}
