//! Fault injection: a full disk, a read-only file, the journal replaced underfoot, a writer
//! killed mid-write (see `crash` for SQLite and `faults::pg` for PostgreSQL). Under each fault a
//! writer keeps going until 1000 writes were acknowledged; then every acknowledged write must be
//! there, nothing it was told failed may be, and SQLite's `integrity_check` must say ok.
//!
//! The full-disk and read-only cases mount a small tmpfs, which needs root (CI runs as root).
//! Elsewhere they say on stderr that they are skipped, unless `SUPINE_REQUIRE_FAULTS=1`, where
//! they fail.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use supine_store::{Journal, SessionStatus, SqliteJournal, StoreError};

use super::{new_session, tick};

/// Event `i` of a long session, `i` seconds after 10:00Z (any `i`, unlike `tick`).
fn event(i: usize) -> supine_store::SessionEvent {
    let at = chrono::DateTime::from_timestamp(1_795_687_200 + i as i64, 0).unwrap();
    supine_store::SessionEvent {
        at: at.to_rfc3339(),
        kind: "segment_done".to_owned(),
        data: serde_json::json!({ "index": i }),
    }
}

mod pg;

/// Writes acknowledged under each fault, in every test here.
pub const ACKED: usize = 1000;

/// The size of the small disk the full-disk tests fill: room for a new journal and little
/// more. Opening a new journal needs the most: its write-ahead log holds every migration until
/// the checkpoint copies them into the file, so log and file are both on the disk at once
/// (with the six SQLite migrations, 387 KB of log before the first checkpoint, and a file of 42
/// pages of 4 KB).
const SMALL_DISK: &str = "512k";

/// Says why a fault test cannot run here; fails instead when `SUPINE_REQUIRE_FAULTS=1`.
pub fn skip(test: &str, why: &str) {
    assert!(
        std::env::var("SUPINE_REQUIRE_FAULTS").as_deref() != Ok("1"),
        "SUPINE_REQUIRE_FAULTS=1 but {test} cannot run: {why}"
    );
    // Straight to stderr, past the test harness's capture, so the skip is seen.
    let _ = writeln!(
        std::io::stderr(),
        "skipping fault test {test}: {why} (run as root, or set SUPINE_REQUIRE_FAULTS=1 to fail)"
    );
}

/// A tmpfs of a given size on a folder of its own, unmounted when dropped.
pub struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts one of `size` (like `300k`), or says why not and returns `None`.
    pub fn mount(test: &str, size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(dir.path())
            .output();
        match mounted {
            Ok(o) if o.status.success() => Some(Tmpfs { dir }),
            Ok(o) => {
                skip(
                    test,
                    &format!(
                        "cannot mount a tmpfs: {}",
                        String::from_utf8_lossy(&o.stderr).trim()
                    ),
                );
                None
            }
            Err(e) => {
                skip(test, &format!("cannot run mount: {e}"));
                None
            }
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `mount -o remount,<how>`: `ro` or `rw`.
    pub fn remount(&self, how: &str) {
        let o = Command::new("mount")
            .args(["-o", &format!("remount,{how}")])
            .arg(self.path())
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "remount,{how}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazily: a server process may still hold a file open in it.
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

const ENOSPC: i32 = 28;

/// Grows `filler` with zeros until the disk is full.
pub fn fill(filler: &Path) -> File {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(filler)
        .unwrap();
    let block = [0u8; 4096];
    loop {
        match f.write(&block) {
            Ok(0) => return f,
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(ENOSPC) => return f,
            Err(e) => panic!("filling {}: {e}", filler.display()),
        }
    }
}

/// Frees `bytes` of the filler (or all of it).
pub fn free(f: &File, bytes: u64) {
    let len = f.metadata().unwrap().len();
    f.set_len(len.saturating_sub(bytes)).unwrap();
}

/// `PRAGMA integrity_check` of the file, through a connection of its own.
fn integrity(path: &Path) -> String {
    let raw = rusqlite::Connection::open(path).unwrap();
    raw.query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap()
}

/// The `index` of every event of session `id`, in order.
fn indexes(j: &dyn Journal, id: i64) -> Vec<usize> {
    j.session(id)
        .unwrap()
        .unwrap()
        .events
        .iter()
        .map(|e| e.data["index"].as_u64().unwrap() as usize)
        .collect()
}

/// What a writer saw under faults.
#[derive(Debug, Default)]
struct Tally {
    /// Indexes of the events acknowledged, in order.
    acked: Vec<usize>,
    /// Writes that failed with the expected error (none of them may be stored).
    refused: usize,
}

#[test]
fn full_disk_stores_every_acknowledged_write_and_nothing_else() {
    let Some(fs) = Tmpfs::mount("full_disk", SMALL_DISK) else {
        return;
    };
    let path = fs.path().join("journal.db");
    let filler_path = fs.path().join("filler");
    let mut j = SqliteJournal::open(&path).unwrap();
    let first = j
        .start_session(&new_session("2026-11-26T14:00:00+01:00"))
        .unwrap();
    let filler = fill(&filler_path);

    // A start on a full disk is refused, and no id is handed out for it (before: Ok(id) for a
    // row that was never committed, the same id again and again).
    let mut refused_starts = 0;
    for _ in 0..30 {
        match j.start_session(&new_session("2026-11-26T14:01:00+01:00")) {
            Err(e) => {
                assert!(e.is_disk_full(), "{e:?}");
                refused_starts += 1;
            }
            Ok(id) => {
                // Only while the checkpoint frees space; such a start must be real.
                assert!(j.session(id).unwrap().is_some(), "id {id} has no row");
                j.finish_session(
                    id,
                    &supine_store::SessionFinish {
                        ended_at: "2026-11-26T14:02:00+01:00".to_owned(),
                        end_reason: "completed".to_owned(),
                        pain_after: None,
                    },
                )
                .unwrap();
            }
        }
    }
    assert!(refused_starts > 0, "the disk never filled");
    let err = j
        .start_session(&new_session("2026-11-26T14:01:00+01:00"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the journal is full: free some disk space, then try again; nothing already saved was lost"
    );
    let started = j.history().unwrap().len();

    // Events: write on, freeing a little space whenever writes fail, until 1000 are acked.
    let mut t = Tally::default();
    let mut next = 0;
    let mut streak = 0;
    let mut rounds = 0;
    while t.acked.len() < ACKED {
        rounds += 1;
        if rounds == 50_000 {
            let sizes: Vec<(String, u64)> = std::fs::read_dir(fs.path())
                .unwrap()
                .map(|e| {
                    let e = e.unwrap();
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        e.metadata().unwrap().len(),
                    )
                })
                .collect();
            panic!("no progress: {t:?}; files {sizes:?}");
        }
        match j.record_event(first, &event(next)) {
            Ok(()) => {
                t.acked.push(next);
                streak = 0;
                if t.acked.len() % 100 == 0 {
                    // Fill up again: the next writes meet a full disk.
                    drop(fill(&filler_path));
                }
            }
            Err(e) => {
                assert!(e.is_disk_full(), "{e:?}");
                t.refused += 1;
                streak += 1;
                if streak == 5 {
                    free(&filler, 24 * 1024);
                    streak = 0;
                }
            }
        }
        next += 1;
    }
    // Reading works on the full disk too.
    drop(fill(&filler_path));
    let reader = SqliteJournal::open_read_only(&path, "local").unwrap();
    assert_eq!(indexes(&reader, first), t.acked);
    drop(reader);
    drop(j);
    free(&filler, u64::MAX);

    let j = SqliteJournal::open(&path).unwrap();
    assert_eq!(
        indexes(&j, first),
        t.acked,
        "every acknowledged event, and none of the {} refused",
        t.refused
    );
    assert!(
        t.refused >= 10,
        "the disk was full only {} times",
        t.refused
    );
    assert_eq!(
        j.history().unwrap().len(),
        started,
        "refused starts left no row"
    );
    assert_eq!(integrity(&path), "ok");
    eprintln!(
        "full disk (SQLite): {} events acknowledged, {} found; {} refused, 0 found; {refused_starts} \
         starts refused",
        t.acked.len(),
        indexes(&j, first).len(),
        t.refused
    );
}

#[test]
fn a_session_started_after_the_disk_was_full_is_its_own() {
    let Some(fs) = Tmpfs::mount("full_disk_then_space", SMALL_DISK) else {
        return;
    };
    let path = fs.path().join("journal.db");
    let mut j = SqliteJournal::open(&path).unwrap();
    let before = j
        .start_session(&new_session("2026-11-26T13:00:00+01:00"))
        .unwrap();
    let filler = fill(&fs.path().join("filler"));
    // Fill even the room a checkpoint can make.
    let mut handed_out = vec![before];
    for i in 0..200 {
        match j.start_session(&new_session("2026-11-26T14:00:00+01:00")) {
            Ok(id) => handed_out.push(id),
            Err(e) if e.is_disk_full() => {
                if i > 20 {
                    break;
                }
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    let phantom = j.start_session(&new_session("2026-11-26T14:00:00+01:00"));
    assert!(
        phantom.as_ref().is_err_and(StoreError::is_disk_full),
        "{phantom:?}"
    );
    free(&filler, u64::MAX);

    let real = j
        .start_session(&new_session("2026-11-26T15:00:00+01:00"))
        .unwrap();
    assert!(
        handed_out.iter().all(|&id| id < real),
        "{real} was handed out before: {handed_out:?}"
    );
    j.record_event(real, &tick(0)).unwrap();
    let r = j.session(real).unwrap().unwrap();
    assert_eq!(r.started_at, "2026-11-26T15:00:00+01:00");
    assert_eq!(r.events.len(), 1);
}

#[test]
fn a_read_only_file_is_read_and_never_written() {
    let Some(fs) = Tmpfs::mount("read_only", "2m") else {
        return;
    };
    let path = fs.path().join("journal.db");
    let mut t = Tally::default();
    let mut id = None;
    for round in 0..10 {
        {
            let mut j = SqliteJournal::open(&path).unwrap();
            let id = *id.get_or_insert_with(|| {
                j.start_session(&new_session("2026-11-26T14:00:00+01:00"))
                    .unwrap()
            });
            for _ in 0..ACKED / 10 {
                let i = t.acked.len();
                j.record_event(id, &tick(i)).unwrap();
                t.acked.push(i);
            }
        }
        fs.remount("ro");
        let bytes = std::fs::read(&path).unwrap();
        // Writing is refused at open, with a clear message.
        let err = SqliteJournal::open(&path).unwrap_err();
        assert!(matches!(err, StoreError::ReadOnly { .. }), "{err:?}");
        assert!(err.to_string().contains("read-only"), "{err}");
        t.refused += 1;
        // Reading works, and writes through the reader are refused too.
        let mut reader = SqliteJournal::open_read_only(&path, "local").unwrap();
        assert_eq!(indexes(&reader, id.unwrap()), t.acked, "round {round}");
        let err = reader.record_event(id.unwrap(), &tick(0)).unwrap_err();
        assert!(matches!(err, StoreError::ReadOnly { .. }), "{err:?}");
        // A profile that does not exist reads as empty, and is not created.
        let nobody = SqliteJournal::open_read_only(&path, "nobody").unwrap();
        assert!(nobody.history().unwrap().is_empty());
        drop((reader, nobody));
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "the file was changed");
        fs.remount("rw");
    }
    let j = SqliteJournal::open(&path).unwrap();
    assert_eq!(indexes(&j, id.unwrap()), t.acked);
    assert_eq!(
        j.session(id.unwrap()).unwrap().unwrap().status,
        SessionStatus::Open
    );
    assert_eq!(integrity(&path), "ok");
    let profiles: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT COUNT(*) FROM profiles WHERE name = 'nobody'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(profiles, 0, "reading created a profile");
    eprintln!(
        "read-only file (SQLite): {} events acknowledged, {} found; {} opens for writing refused",
        t.acked.len(),
        indexes(&j, id.unwrap()).len(),
        t.refused
    );
}

/// Moves `path` aside to `moved` and puts a copy of `replacement` in its place, as a person
/// restoring a backup would.
fn replace(path: &Path, moved: &Path, replacement: &Path) {
    std::fs::rename(path, moved).unwrap();
    let tmp = PathBuf::from(format!("{}.new", path.display()));
    std::fs::copy(replacement, &tmp).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[test]
fn a_journal_replaced_underfoot_takes_no_more_writes() {
    // No tmpfs needed: this runs everywhere.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let backup = dir.path().join("backup.db");
    drop(SqliteJournal::open(&backup).unwrap());
    let backup_bytes = std::fs::read(&backup).unwrap();

    let rounds = 4;
    let mut found = 0;
    let mut refused = 0;
    for round in 0..rounds {
        let moved = dir.path().join(format!("moved-{round}.db"));
        if round > 0 {
            // The file put in place last round opens as the journal it is: nothing of the old
            // one was read into it.
            let j = SqliteJournal::open(&path).unwrap();
            assert!(j.history().unwrap().is_empty(), "round {round}");
            assert_eq!(integrity(&path), "ok");
        }
        let mut j = SqliteJournal::open(&path).unwrap();
        let id = j
            .start_session(&new_session("2026-11-26T14:00:00+01:00"))
            .unwrap();
        let mut acked = Vec::new();
        for i in 0..ACKED / rounds {
            j.record_event(id, &tick(i)).unwrap();
            acked.push(i);
        }
        replace(&path, &moved, &backup);
        // Odd rounds are only closed after the replacement, with no write to notice it.
        if round % 2 == 0 {
            for i in 0..5 {
                let err = j.record_event(id, &tick(ACKED + i)).unwrap_err();
                assert!(matches!(err, StoreError::Replaced { .. }), "{err:?}");
                refused += 1;
            }
            let err = j.heartbeat(id, "2026-11-26T15:00:00+01:00").unwrap_err();
            assert!(err.to_string().contains("was replaced or deleted"), "{err}");
        }
        drop(j);
        // No write-ahead log of the old file is left to be read into the new one.
        let wal = PathBuf::from(format!("{}-wal", path.display()));
        let left = std::fs::metadata(&wal).map_or(0, |m| m.len());
        assert_eq!(left, 0, "round {round}: the old log beside the new file");
        // What was acknowledged is in the file that was moved away, whole.
        let old = SqliteJournal::open(&moved).unwrap();
        assert_eq!(indexes(&old, id), acked, "round {round}");
        assert_eq!(integrity(&moved), "ok");
        found += acked.len();
        // And the file put in its place was not written to.
        assert_eq!(std::fs::read(&path).unwrap(), backup_bytes, "round {round}");
    }

    // Deleted outright: refused as well.
    let mut j = SqliteJournal::open(&path).unwrap();
    let id = j
        .start_session(&new_session("2026-11-27T14:00:00+01:00"))
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    let err = j.record_event(id, &tick(0)).unwrap_err();
    assert!(matches!(err, StoreError::Replaced { .. }), "{err:?}");
    eprintln!(
        "journal replaced underfoot (SQLite): {ACKED} events acknowledged, {found} found in the \
         moved files; {refused} writes after the replacement refused, 0 written"
    );
}
