//! Reading never writes: `log`, `progress` and `export` leave the journal file exactly as it was
//! (SQLite may leave its empty write-ahead log beside it), create no profile, and work on a read-only disk and on a full one; an abandoned
//! session reads as interrupted without being marked.
//!
//! The read-only and full-disk cases mount a small tmpfs, which needs root (CI runs as root);
//! elsewhere they say on stderr that they are skipped, unless `SUPINE_REQUIRE_FAULTS=1`.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use super::{history, ok, write_json};
use crate::cli::{Home, stderr};

/// The journal file's size and a hash of its bytes, and the size of its write-ahead log if there
/// is one. A reader may leave SQLite's empty log and its index beside the file, never anything in
/// the log.
fn snapshot(db: &Path) -> (usize, u64, u64) {
    use std::hash::{Hash, Hasher};
    let bytes = std::fs::read(db).unwrap();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    let wal = std::fs::metadata(format!("{}-wal", db.display())).map_or(0, |m| m.len());
    (bytes.len(), h.finish(), wal)
}

fn profiles(db: &Path) -> Vec<String> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut stmt = conn
        .prepare("SELECT name FROM profiles ORDER BY name")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// `history()` plus a session left open, last seen long ago (its terminal was closed).
fn with_an_abandoned_session() -> Value {
    let mut data = history();
    let mut open = super::session("2026-11-22", 4, 0);
    for key in ["ended_at", "end_reason", "pain_after"] {
        open[key] = Value::Null;
    }
    open["status"] = json!("open");
    data["sessions"].as_array_mut().unwrap().push(open);
    data
}

#[test]
fn log_progress_and_export_write_nothing_and_create_no_profile() {
    // Issue 11, case 10: `log --profile X` created X; `log` marked sessions as it read.
    let home = Home::new();
    let file = home.path().join("history.json");
    write_json(&file, &with_an_abandoned_session());
    ok(&home, &["import", file.to_str().unwrap()]);
    let before = snapshot(&home.db());

    let text = ok(&home, &["log", "--limit", "1"]);
    assert!(text.contains("interrupted"), "an abandoned session: {text}");
    let sessions: Value = serde_json::from_str(&ok(&home, &["log", "--json"])).unwrap();
    assert_eq!(sessions[0]["status"], "interrupted");
    ok(&home, &["progress", "--json"]);
    ok(&home, &["export"]);
    let text = ok(&home, &["--profile", "someone", "log"]);
    assert!(text.contains("No sessions yet"), "{text}");
    let p: Value =
        serde_json::from_str(&ok(&home, &["--profile", "someone", "progress", "--json"])).unwrap();
    assert_eq!(p["sessions"], 0);
    let empty: Value =
        serde_json::from_str(&ok(&home, &["--profile", "someone", "export"])).unwrap();
    assert_eq!(empty["sessions"], json!([]));

    assert_eq!(
        snapshot(&home.db()),
        before,
        "reading changed the journal's files"
    );
    assert_eq!(profiles(&home.db()), ["local"], "reading created a profile");
    // Nor is a journal made where there is none.
    let fresh = Home::new();
    let text = ok(&fresh, &["log"]);
    assert!(text.contains("No sessions yet"), "{text}");
    ok(&fresh, &["progress"]);
    assert!(!fresh.db().exists());
}

/// Says why a fault test cannot run; fails instead when `SUPINE_REQUIRE_FAULTS=1`.
fn skip(test: &str, why: &str) {
    assert!(
        std::env::var("SUPINE_REQUIRE_FAULTS").as_deref() != Ok("1"),
        "SUPINE_REQUIRE_FAULTS=1 but {test} cannot run: {why}"
    );
    let _ = writeln!(
        std::io::stderr(),
        "skipping fault test {test}: {why} (run as root, or set SUPINE_REQUIRE_FAULTS=1 to fail)"
    );
}

/// A tmpfs on a folder of its own, unmounted when dropped.
pub(crate) struct Tmpfs(pub(crate) tempfile::TempDir);

impl Tmpfs {
    pub(crate) fn mount(test: &str, size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let o = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output();
        match o {
            Ok(o) if o.status.success() => Some(Tmpfs(dir)),
            Ok(o) => {
                skip(test, String::from_utf8_lossy(&o.stderr).trim());
                None
            }
            Err(e) => {
                skip(test, &e.to_string());
                None
            }
        }
    }

    fn remount(&self, how: &str) {
        let o = Command::new("mount")
            .args(["-o", &format!("remount,{how}")])
            .arg(self.0.path())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.0.path()).status();
    }
}

/// `log`, `progress` and `export` on the journal at `db` all work and agree.
fn reads_work(home: &Home, db: &str, what: &str) {
    let text = ok(home, &["--db", db, "log", "--limit", "2"]);
    assert!(text.contains("pain 3 -> 1"), "{what}: {text}");
    let p: Value = serde_json::from_str(&ok(
        home,
        &["--db", db, "progress", "--json", "--today", "2026-11-22"],
    ))
    .unwrap();
    assert_eq!(p["sessions"], 20, "{what}");
    let out = home.path().join("export.json");
    ok(home, &["--db", db, "export", "-o", out.to_str().unwrap()]);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["sessions"].as_array().unwrap().len(), 21, "{what}");
}

#[test]
fn reads_work_on_a_read_only_disk_and_a_full_one() {
    let Some(fs) = Tmpfs::mount("reads_on_read_only_and_full_disks", "1m") else {
        return;
    };
    let home = Home::new();
    let db = fs.0.path().join("journal.db");
    let db_arg = db.to_str().unwrap();
    let file = home.path().join("history.json");
    write_json(&file, &with_an_abandoned_session());
    ok(&home, &["--db", db_arg, "import", file.to_str().unwrap()]);

    fs.remount("ro");
    reads_work(&home, db_arg, "read-only disk");
    let o = home.run(&["--db", db_arg, "import", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("read-only"), "{}", stderr(&o));
    fs.remount("rw");

    // Fill the disk to the last byte.
    let mut filler = std::fs::File::create(fs.0.path().join("filler")).unwrap();
    while filler.write(&[0u8; 4096]).is_ok_and(|n| n > 0) {}
    let before = snapshot(&db);
    reads_work(&home, db_arg, "full disk");
    assert_eq!(
        snapshot(&db),
        before,
        "reading on a full disk changed the journal"
    );
    // A write says the journal is full, and what that means.
    let mut more = history();
    more["sessions"] = json!([super::session("2026-11-23", 3, 1)]);
    more["sessions"][0]["events"] =
        json!((0..2000)
        .map(|i| json!({"at": "2026-11-23T19:41:00.000+01:00", "kind": "note", "data": {"i": i}}))
        .collect::<Vec<_>>());
    let more_file = home.path().join("more.json");
    write_json(&more_file, &more);
    let o = home.run(&["--db", db_arg, "import", more_file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "the journal is full: free some disk space, then try again; nothing already saved \
             was lost"
        ),
        "{}",
        stderr(&o)
    );
    reads_work(&home, db_arg, "full disk, after a refused write");
}
