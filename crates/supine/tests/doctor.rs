//! `supine doctor`: on this machine as it is, with a PATH that lacks espeak-ng or holds a fake
//! one, and with a journal that is not one.

use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde_json::Value;

use crate::cli::{Home, stderr, stdout};

const NAMES: [&str; 8] = [
    "content",
    "journal",
    "voice",
    "chimes",
    "chart font",
    "camera",
    "port",
    "onnxruntime",
];

/// `supine doctor --json ARGS` with `path` as PATH: the exit code and the checks by name.
fn doctor(home: &Home, path: Option<&Path>, args: &[&str]) -> (Option<i32>, Value) {
    let mut all = vec!["doctor", "--json"];
    all.extend(args);
    let mut cmd = home.cmd(&all);
    if let Some(p) = path {
        cmd.env("PATH", p);
    }
    let o = cmd.output().unwrap();
    let report: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&o), stderr(&o)));
    let names: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, NAMES, "{report:#}");
    for c in report["checks"].as_array().unwrap() {
        assert_eq!(
            c["ok"].as_bool().unwrap(),
            c.get("fix").is_none(),
            "a failed check says how to fix it, a passed one has nothing to fix: {c}"
        );
    }
    (o.status.code(), report)
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap()
}

/// A folder holding only an executable `name` that runs `body`.
fn fake_path(dir: &Path, name: &str, body: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let file = dir.join(name);
    std::fs::write(&file, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn on_this_machine_every_part_is_named_and_a_new_home_passes_the_essentials() {
    let home = Home::new();
    let (code, report) = doctor(&home, None, &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["essentials_ok"], true);
    let journal = check(&report, "journal");
    assert_eq!(journal["essential"], true);
    assert!(
        journal["found"]
            .as_str()
            .unwrap()
            .contains("not created yet"),
        "{journal}"
    );
    assert!(!home.db().exists(), "doctor created the journal");
    for name in [
        "voice",
        "chimes",
        "chart font",
        "camera",
        "port",
        "onnxruntime",
    ] {
        assert_eq!(check(&report, name)["essential"], false, "{name}");
    }

    // The same in words, each part on its own line, failures with what to do.
    let o = home.run(&["doctor"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    for name in NAMES {
        assert!(text.contains(&format!(" {name}: ")), "{name}:\n{text}");
    }
    let failed = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .count();
    assert_eq!(text.matches("to fix: ").count(), failed, "{text}");
    assert!(
        text.contains("essentials (content and journal) are fine"),
        "{text}"
    );
}

#[test]
fn without_espeak_ng_the_voice_says_to_install_it() {
    let home = Home::new();
    let bin = home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let (code, report) = doctor(&home, Some(&bin), &[]);
    assert_eq!(code, Some(0), "the voice is not essential: {report:#}");
    let voice = check(&report, "voice");
    assert_eq!(voice["ok"], false, "{voice}");
    assert!(
        voice["found"].as_str().unwrap().contains("espeak-ng"),
        "{voice}"
    );
    assert!(
        voice["fix"]
            .as_str()
            .unwrap()
            .contains("apt-get install espeak-ng"),
        "{voice}"
    );
    let chimes = check(&report, "chimes");
    assert_eq!(chimes["ok"], false, "{chimes}");
    assert!(
        chimes["fix"].as_str().unwrap().contains("alsa-utils"),
        "{chimes}"
    );
}

#[test]
fn an_espeak_ng_that_speaks_passes_through_the_players_code_path() {
    let home = Home::new();
    let bin = home.path().join("bin");
    let said = home.path().join("said.txt");
    // Records what it was asked to say, as the real one would speak it.
    fake_path(
        &bin,
        "espeak-ng",
        &format!("echo \"$@\" >> '{}'", said.display()),
    );
    let (_, report) = doctor(&home, Some(&bin), &[]);
    let voice = check(&report, "voice");
    assert_eq!(voice["ok"], true, "{voice}");
    let spoken = std::fs::read_to_string(&said).unwrap();
    assert!(spoken.contains("If you can hear this"), "{spoken}");
}

#[test]
fn a_file_that_is_not_a_journal_fails_the_essentials() {
    let home = Home::new();
    let db = home.path().join("notes.db");
    std::fs::write(&db, "shopping: milk, bread\n".repeat(200)).unwrap();
    let before = std::fs::read(&db).unwrap();
    let (code, report) = doctor(&home, None, &["--db", db.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(report["essentials_ok"], false);
    let journal = check(&report, "journal");
    assert_eq!(journal["ok"], false, "{journal}");
    assert!(
        journal["found"].as_str().unwrap().contains("notes.db"),
        "{journal}"
    );
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "doctor wrote to the file"
    );

    let o = home.run(&["doctor", "--db", db.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("FAILED  journal: "), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("1 essential check(s) failed"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_journal_in_use_reports_its_schema_and_integrity() {
    let home = Home::new();
    let export = home.path().join("mine.json");
    std::fs::write(
        &export,
        r#"{"format": "supine-journal", "version": 1, "profile": "local",
            "exported_at": "2026-11-22T10:00:00+01:00", "sessions": [], "psfs": []}"#,
    )
    .unwrap();
    let o = home.run(&["import", export.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (code, report) = doctor(&home, None, &[]);
    assert_eq!(code, Some(0), "{report:#}");
    let found = check(&report, "journal")["found"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(found.contains("journal.db"), "{found}");
    assert!(found.contains("writable"), "{found}");
    assert!(found.contains("schema version "), "{found}");
    assert!(found.contains("integrity ok"), "{found}");
}

#[test]
fn a_port_in_use_is_named_with_the_way_round_it() {
    let home = Home::new();
    let held = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = held.local_addr().unwrap().port().to_string();
    let (code, report) = doctor(&home, None, &["--port", &port]);
    assert_eq!(code, Some(0), "the port is not essential: {report:#}");
    let c = check(&report, "port");
    assert_eq!(c["ok"], false, "{c}");
    assert!(c["found"].as_str().unwrap().contains(&port), "{c}");
    assert!(c["fix"].as_str().unwrap().contains("--port 0"), "{c}");
}
