//! Export and import of the whole journal as a person runs them: every session (two of one
//! millisecond stay two), screenings and settings; a damaged journal fails the export and
//! leaves no file; impossible dates are refused; text from data never reaches the terminal as
//! control characters, and CSV cells are never formulas.

use std::path::Path;
use std::process::Stdio;

use serde_json::{Value, json};

use super::{ok, session, write_json};
use crate::cli::{Home, stderr, stdout};

/// A version 1 export (before uids) of `n` sessions that all started in the same millisecond,
/// each with its own exported id.
fn same_millisecond(n: usize) -> Value {
    let sessions: Vec<Value> = (0..n)
        .map(|i| {
            let mut s = session("2026-11-26", 5, 3);
            s["id"] = json!(i + 1);
            s
        })
        .collect();
    json!({
        "format": "supine-journal",
        "version": 1,
        "profile": "local",
        "exported_at": "2026-11-27T10:00:00+01:00",
        "sessions": sessions,
        "psfs": []
    })
}

/// The export at `path`, less what differs between journals (ids, the time of export).
fn comparable(path: &Path) -> Value {
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v.as_object_mut().unwrap().remove("exported_at");
    for s in v["sessions"].as_array_mut().unwrap() {
        s.as_object_mut().unwrap().remove("id");
    }
    v
}

#[test]
fn sessions_of_one_millisecond_screenings_and_settings_all_round_trip() {
    // Issue 11, case 5: 438 exported, 184 restored; screenings and settings left out.
    let home = Home::new();
    let file = home.path().join("old.json");
    write_json(&file, &same_millisecond(438));
    let out = ok(&home, &["import", file.to_str().unwrap()]);
    assert!(out.contains("Imported 438 session(s)"), "{out}");
    let out = ok(&home, &["import", file.to_str().unwrap()]);
    assert!(out.contains("Imported 0 session(s)"), "{out}");
    // A screening and remembered settings, as `practice` and `psfs` leave them.
    let mut extra: Value = json!({
        "format": "supine-journal", "version": 2, "profile": "local",
        "exported_at": "2026-11-27T10:00:00+01:00", "sessions": [], "psfs": [],
        "screenings": [{"taken_at": "2026-11-26T19:00:00+01:00", "kind": "full",
                        "answers": [["fever", "no"], ["numbness", "not_sure"]],
                        "outcome": "clear"}],
        "settings": {"practice": {"minutes": 12}, "psfs_activities": ["sitting"]}
    });
    let extra_file = home.path().join("extra.json");
    write_json(&extra_file, &extra);
    let out = ok(&home, &["import", extra_file.to_str().unwrap()]);
    assert!(
        out.contains("Also 1 screening(s) and 2 setting(s)"),
        "{out}"
    );

    let first = home.path().join("export.json");
    ok(&home, &["export", "-o", first.to_str().unwrap()]);
    let data: Value = serde_json::from_str(&std::fs::read_to_string(&first).unwrap()).unwrap();
    assert_eq!(data["version"], 2);
    assert_eq!(data["sessions"].as_array().unwrap().len(), 438);
    assert_eq!(data["screenings"], extra["screenings"]);
    assert_eq!(data["settings"], extra["settings"]);

    let other = Home::new();
    let out = ok(&other, &["import", first.to_str().unwrap()]);
    assert!(out.contains("Imported 438 session(s)"), "{out}");
    assert!(
        out.contains("Also 1 screening(s) and 2 setting(s)"),
        "{out}"
    );
    let out = ok(&other, &["import", first.to_str().unwrap()]);
    assert!(out.contains("Imported 0 session(s)"), "{out}");
    assert!(
        out.contains("1 screening(s) were already there and 2 setting(s) already set"),
        "{out}"
    );
    let second = other.path().join("export.json");
    ok(&other, &["export", "-o", second.to_str().unwrap()]);
    assert_eq!(comparable(&first), comparable(&second), "restored exactly");
    // The remembered settings were restored, not just stored.
    let plan: Value = serde_json::from_str(&ok(&other, &["plan", "--json"])).unwrap();
    let minutes = plan["total_ms"].as_f64().unwrap() / 60_000.0;
    assert!((10.0..=14.0).contains(&minutes), "{minutes} minutes");

    // An import never replaces a setting the journal has.
    extra["settings"]["practice"] = json!({"minutes": 30});
    write_json(&extra_file, &extra);
    ok(&other, &["import", extra_file.to_str().unwrap()]);
    let again: Value = serde_json::from_str(&ok(&other, &["export"])).unwrap();
    assert_eq!(again["settings"]["practice"], json!({"minutes": 12}));
}

/// The first leaf page of the `sessions` table, overwritten with an empty leaf: its rows vanish
/// from a plain read without an error, as with the leaf pages overwritten in issue 11.
fn empty_a_sessions_leaf(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let root: i64 = conn
        .query_row(
            "SELECT rootpage FROM sqlite_schema WHERE name = 'sessions'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    // What an export reads: ids from the index, then each row by id.
    let found = |conn: &rusqlite::Connection| -> usize {
        let ids: Vec<i64> = conn
            .prepare("SELECT id FROM sessions INDEXED BY sessions_by_start WHERE profile_id = 1")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        ids.iter()
            .filter(|id| {
                conn.query_row(
                    "SELECT routine_name FROM sessions WHERE id = ?1",
                    [**id],
                    |r| r.get::<_, String>(0),
                )
                .is_ok()
            })
            .count()
    };
    let before = found(&conn);
    drop(conn);
    let mut bytes = std::fs::read(db).unwrap();
    let page_size = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
    let page = |n: i64| (usize::try_from(n).unwrap() - 1) * page_size;
    let at = page(root);
    assert_eq!(bytes[at], 0x05, "the sessions table spans several pages");
    // The first cell of the interior page starts with its left child's page number.
    let cell = usize::from(u16::from_be_bytes([bytes[at + 12], bytes[at + 13]]));
    let child = u32::from_be_bytes(bytes[at + cell..at + cell + 4].try_into().unwrap());
    let leaf = page(i64::from(child));
    assert_eq!(bytes[leaf], 0x0d, "a table leaf");
    bytes[leaf..leaf + page_size].fill(0);
    bytes[leaf] = 0x0d;
    bytes[leaf + 5..leaf + 7].copy_from_slice(&u16::try_from(page_size).unwrap().to_be_bytes());
    std::fs::write(db, &bytes).unwrap();
    let after = found(&rusqlite::Connection::open(db).unwrap());
    assert!(after < before, "the damage hides rows: {after} of {before}");
}

#[test]
fn a_damaged_journal_fails_the_export_and_leaves_no_file() {
    // Issue 11, case 7: exit 0 with 421 of 438 sessions.
    let home = Home::new();
    let file = home.path().join("old.json");
    write_json(&file, &same_millisecond(438));
    ok(&home, &["import", file.to_str().unwrap()]);
    empty_a_sessions_leaf(&home.db());
    let db_before = std::fs::read(home.db()).unwrap();

    let out_dir = home.path().join("exports");
    std::fs::create_dir(&out_dir).unwrap();
    let target = out_dir.join("journal.json");
    std::fs::write(&target, "last week's export\n").unwrap();
    for format in ["json", "csv", "fhir"] {
        let o = home.run(&["export", "--format", format, "-o", target.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{format}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.starts_with("error: nothing was exported: the journal at ")
                && err.contains("is damaged ("),
            "{format}: {err}"
        );
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "last week's export\n"
        );
        let o = home.run(&["export", "--format", format]);
        assert_eq!(o.status.code(), Some(1));
        assert!(o.stdout.is_empty(), "{format}: a partial export on stdout");
    }
    let left: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["journal.json"], "no temporary file is left behind");
    assert_eq!(
        std::fs::read(home.db()).unwrap(),
        db_before,
        "left untouched"
    );
}

#[test]
fn an_export_replaces_the_file_whole() {
    let home = super::seeded();
    let target = home.path().join("journal.json");
    std::fs::write(&target, "x".repeat(1_000_000)).unwrap();
    ok(&home, &["export", "-o", target.to_str().unwrap()]);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    assert_eq!(v["sessions"].as_array().unwrap().len(), 20);
}

#[test]
fn impossible_dates_are_refused_and_nothing_is_imported() {
    // Issue 11, case 6: years 9999 and 0000 imported; progress showed weeks of 2998.
    let home = Home::new();
    for (day, record) in [("9999-01-01", "session 2"), ("0000-01-01", "session 2")] {
        let mut data = same_millisecond(3);
        data["sessions"][1]["started_at"] = json!(format!("{day}T19:30:00.000+01:00"));
        let file = home.path().join("bad.json");
        write_json(&file, &data);
        let o = home.run(&["import", file.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{day}");
        let err = stderr(&o);
        assert!(err.contains("nothing was imported"), "{err}");
        assert!(
            err.contains(&format!("{record} (started {day}")) && err.contains("started_at"),
            "{err}"
        );
    }
    assert!(!home.db().exists(), "no journal was even made");
    let text = ok(&home, &["log"]);
    assert!(text.contains("No sessions yet"), "{text}");
}

#[test]
fn a_file_too_large_is_refused_before_it_is_read() {
    let home = Home::new();
    let file = home.path().join("huge.json");
    let f = std::fs::File::create(&file).unwrap();
    // Sparse: no disk is used, but the size is past the limit.
    f.set_len(supine_store::limits::IMPORT_MAX_BYTES + 1)
        .unwrap();
    let o = home.run(&["import", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("more than a supine export can be"),
        "{}",
        stderr(&o)
    );
}

/// A session whose text fields hold escape sequences and a formula.
fn hostile() -> Value {
    let mut data = same_millisecond(1);
    let s = &mut data["sessions"][0];
    s["routine_name"] = json!("Basics\u{1b}[2J\u{1b}]0;pwned\u{7}");
    s["end_reason"] = json!("done\u{1b}[31m");
    s["routine_id"] = json!("=HYPERLINK(\"http://example.invalid\",\"x\")");
    data["version"] = json!(2);
    data["settings"] = json!({"psfs_activities": ["sitting\u{1b}[8m"]});
    data
}

#[test]
fn text_from_data_reaches_the_terminal_escaped_and_csv_is_formula_safe() {
    // Issue 11, case 8.
    let home = Home::new();
    let file = home.path().join("hostile.json");
    write_json(&file, &hostile());
    ok(&home, &["import", file.to_str().unwrap()]);

    let o = home.run(&["log"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        !o.stdout.contains(&0x1b) && !o.stdout.contains(&0x07),
        "raw escapes in log"
    );
    let text = stdout(&o);
    assert!(text.contains("Basics\\x1b[2J\\x1b]0;pwned\\x07"), "{text}");
    assert!(text.contains("done\\x1b[31m"), "{text}");

    let csv = ok(&home, &["export", "--format", "csv"]);
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let header = rows.headers().unwrap().clone();
    let row = rows.records().next().unwrap().unwrap();
    let cell = |name: &str| {
        row.get(header.iter().position(|h| h == name).unwrap())
            .unwrap()
    };
    assert_eq!(
        cell("routine_id"),
        "'=HYPERLINK(\"http://example.invalid\",\"x\")"
    );
    assert_eq!(cell("relief"), "2", "numbers stay numbers");
    assert_eq!(
        cell("routine_name"),
        "Basics\u{1b}[2J\u{1b}]0;pwned\u{7}",
        "the data is kept"
    );

    // The activity check asks about a remembered activity: shown escaped. The journal then
    // refuses to store it (no control characters), and says so, escaped too.
    let mut child = home
        .cmd(&["psfs"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child.stdin.take().unwrap().write_all(b"5\n").unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(
        !o.stdout.contains(&0x1b) && !o.stderr.contains(&0x1b),
        "raw escapes in psfs"
    );
    assert!(stdout(&o).contains("sitting\\x1b[8m"), "{}", stdout(&o));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}
