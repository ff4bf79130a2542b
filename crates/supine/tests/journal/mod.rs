//! Progress, charts, export and import, the activity check, reminders, profiles, PostgreSQL and
//! two processes writing one journal: run as a person would, numbers checked.

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use serde_json::{Value, json};

use crate::cli::{Home, stderr, stdout};

mod archive;
pub(crate) mod reads;

/// A finished session of 11 minutes at 19:30 (+01:00) on `day`.
fn session(day: &str, before: u8, after: u8) -> Value {
    let start = format!("{day}T19:30:00.000+01:00");
    let end = format!("{day}T19:41:00.000+01:00");
    json!({
        "id": 0,
        "started_at": start,
        "last_seen_at": end,
        "ended_at": end,
        "routine_id": "supine-basics",
        "routine_name": "Supine basics",
        "settings": {"minutes": 10},
        "status": "finished",
        "end_reason": "completed",
        "pain_before": before,
        "pain_after": after,
        "pain_areas": ["lower_back", "leg"],
        "pain_spreads": false,
        "plan_total_ms": 600_000,
        "segments_total": 12,
        "segments_done": 1,
        "events": [{"at": end, "kind": "segment_done", "data": {"index": 0}}]
    })
}

/// 2026-11-01 (a Sunday) to 2026-11-21, except 11-10: pain 6 for the first week, then 3;
/// pain after is 2 less. Two PSFS entries, the mean up 2.
fn history() -> Value {
    let mut sessions = Vec::new();
    for d in 1..=21 {
        if d == 10 {
            continue;
        }
        let before = if d <= 7 { 6 } else { 3 };
        sessions.push(session(&format!("2026-11-{d:02}"), before, before - 2));
    }
    json!({
        "format": "supine-journal",
        "version": 1,
        "profile": "local",
        "exported_at": "2026-11-22T10:00:00+01:00",
        "sessions": sessions,
        "psfs": [
            {"taken_at": "2026-11-01T20:00:00+01:00",
             "items": [{"activity": "sitting", "score": 3}, {"activity": "walking", "score": 4}]},
            {"taken_at": "2026-11-15T20:00:00+01:00",
             "items": [{"activity": "sitting", "score": 5}, {"activity": "walking", "score": 6}]}
        ]
    })
}

fn write_json(path: &Path, v: &Value) {
    std::fs::write(path, serde_json::to_string_pretty(v).unwrap()).unwrap();
}

fn ok(home: &Home, args: &[&str]) -> String {
    let o = home.run(args);
    assert!(o.status.success(), "supine {args:?}: {}", stderr(&o));
    stdout(&o)
}

fn seeded() -> Home {
    let home = Home::new();
    let file = home.path().join("history.json");
    write_json(&file, &history());
    let out = ok(&home, &["import", file.to_str().unwrap()]);
    assert!(
        out.contains("Imported 20 session(s) and 2 activity check(s)"),
        "{out}"
    );
    home
}

fn progress_json(home: &Home, today: &str) -> Value {
    serde_json::from_str(&ok(home, &["progress", "--json", "--today", today])).unwrap()
}

#[test]
fn progress_numbers_for_a_seeded_history() {
    let home = seeded();
    let p = progress_json(&home, "2026-11-22");
    // 11-11 to 11-21; 11-22 (today) not practised yet does not break it.
    assert_eq!(p["streak"], 11);
    assert_eq!(p["practised_today"], false);
    assert_eq!(p["sessions"], 20);
    assert_eq!(p["minutes"], 220.0);
    let weeks: Vec<(String, u64, f64)> = p["weeks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["start"].as_str().unwrap().to_owned(),
                w["sessions"].as_u64().unwrap(),
                w["minutes"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        weeks,
        vec![
            ("2026-10-26".to_owned(), 1, 11.0),
            ("2026-11-02".to_owned(), 7, 77.0),
            ("2026-11-09".to_owned(), 6, 66.0),
            ("2026-11-16".to_owned(), 6, 66.0),
        ]
    );
    assert_eq!(p["baseline"], 6.0);
    let pain = p["pain"].as_array().unwrap();
    assert_eq!(pain.len(), 20);
    // 11-11: the window 11-05..11-11 has 6, 6, 6, 3, 3, 3 (11-10 missing): mean 4.5.
    let nov11 = pain.iter().find(|x| x["day"] == "2026-11-11").unwrap();
    assert_eq!(nov11["rolling_mean"], 4.5);
    // The first day the 7-day mean is 2 points (or 30%) under 6: 11-09, (6+6+3)/3... checked
    // by hand: 11-09 window 11-03..11-09 = 6,6,6,6,6,3,3 -> 4.714 (-1.29, 21%): not yet;
    // 11-11 -> 4.5 (25%): not yet; 11-12 window 11-06..11-12 = 6,6,3,3,3,3 -> 4.0: better.
    let marks: Vec<(&str, &str)> = pain
        .iter()
        .filter(|x| !x["marker"].is_null())
        .map(|x| (x["day"].as_str().unwrap(), x["marker"].as_str().unwrap()))
        .collect();
    assert_eq!(marks, vec![("2026-11-12", "better")]);
    let relief = p["relief"].as_array().unwrap();
    assert_eq!(relief.len(), 20);
    assert!(
        relief
            .iter()
            .all(|r| r["relief"] == 2 && r["meaningful"] == true)
    );
    assert_eq!(p["advice"]["kind"], "improving");
    assert_eq!(p["advice"]["baseline"], 6.0);
    assert_eq!(p["advice"]["recent"], 3.0);
    let psfs = p["psfs"].as_array().unwrap();
    assert_eq!(psfs[1]["change"], 2.0);
    assert_eq!(psfs[1]["meaningful"], true);

    let text = ok(&home, &["progress", "--today", "2026-11-22"]);
    assert!(
        text.contains("Streak:    11 days in a row (today not practised yet)"),
        "{text}"
    );
    assert!(text.contains("20 sessions, 3 h 40 min in all"), "{text}");
    assert!(text.contains("week of 2026-11-02  ███████"), "{text}");
    assert!(text.contains("◆ 2026-11-12: meaningfully better"), "{text}");
    assert!(text.contains("come down from 6.0 to 3.0"), "{text}");
    // A day later with no practice, the streak is broken.
    let p = progress_json(&home, "2026-11-23");
    assert_eq!(p["streak"], 0);
}

#[test]
fn two_weeks_without_improvement_says_to_see_a_clinician() {
    let home = Home::new();
    let sessions: Vec<Value> = (1..=14)
        .map(|d| session(&format!("2026-11-{d:02}"), 5, 5))
        .collect();
    let mut data = history();
    data["sessions"] = Value::Array(sessions);
    let file = home.path().join("flat.json");
    write_json(&file, &data);
    ok(&home, &["import", file.to_str().unwrap()]);
    let p = progress_json(&home, "2026-11-15");
    assert_eq!(p["advice"]["kind"], "no_improvement");
    assert_eq!(p["advice"]["days"], 14);
    let text = ok(&home, &["progress", "--today", "2026-11-15"]);
    assert!(
        text.contains("time to see a doctor or physiotherapist"),
        "{text}"
    );
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn charts_draw_the_numbers() {
    let home = seeded();
    let svg = home.path().join("progress.svg");
    ok(
        &home,
        &[
            "progress",
            "--today",
            "2026-11-22",
            "--chart",
            svg.to_str().unwrap(),
        ],
    );
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg"), "{}", &text[..100.min(text.len())]);
    for title in [
        "Pain before sessions, 7-day mean, last 26 weeks",
        "Sessions per week",
        "Relief per session (before minus after)",
    ] {
        assert!(text.contains(title), "missing {title}");
    }
    // The document, then the trend, the weeks and the relief charts, each its own <svg>.
    let charts: Vec<&str> = text.split("<svg ").skip(2).collect();
    assert_eq!(charts.len(), 3, "{text}");
    let (trend, weeks, relief) = (charts[0], charts[1], charts[2]);
    // One bar per week (4 of them), one per session with relief (all +2, all meaningful, so
    // each marked better).
    assert_eq!(count(weeks, "class=\"bar\""), 4, "weekly bars");
    assert_eq!(count(relief, "class=\"bar\""), 20, "relief bars");
    assert_eq!(count(relief, "class=\"marker better\""), 20, "relief marks");
    assert_eq!(count(relief, "class=\"bar worse\""), 0);
    // The 7-day mean is one line through the 20 days with a score, the first week's mean a
    // line with its label, and the trend's one marker is "better".
    let points = trend
        .split("class=\"line mean\"")
        .next()
        .and_then(|before| before.rsplit("points=\"").next())
        .and_then(|p| p.split('"').next())
        .expect("the 7-day mean line");
    assert_eq!(points.split_whitespace().count(), 20);
    assert!(trend.contains(">first week 6.0</text>"), "{trend}");
    assert_eq!(count(trend, "class=\"marker better\""), 1, "{trend}");

    let png = home.path().join("progress.png");
    ok(
        &home,
        &[
            "progress",
            "--today",
            "2026-11-22",
            "--chart",
            png.to_str().unwrap(),
        ],
    );
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!((width, height), (1200, 1680), "the SVG at twice its size");

    let o = home.run(&["progress", "--chart", "out.gif"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("must end in .svg or .png"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn export_and_import_round_trip_and_add_nothing_twice() {
    let home = seeded();
    let first = home.path().join("export.json");
    ok(
        &home,
        &["export", "--format", "json", "-o", first.to_str().unwrap()],
    );

    let other = Home::new();
    let out = ok(&other, &["import", first.to_str().unwrap()]);
    assert!(
        out.contains("Imported 20 session(s) and 2 activity check(s)"),
        "{out}"
    );
    let out = ok(&other, &["import", first.to_str().unwrap()]);
    assert!(
        out.contains("Imported 0 session(s) and 0 activity check(s)"),
        "{out}"
    );
    assert!(
        out.contains("20 session(s) and 2 check(s) were already there"),
        "{out}"
    );

    let second = other.path().join("export.json");
    ok(
        &other,
        &["export", "--format", "json", "-o", second.to_str().unwrap()],
    );
    let strip = |p: &Path| {
        let mut v: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        v.as_object_mut().unwrap().remove("exported_at");
        for s in v["sessions"].as_array_mut().unwrap() {
            s.as_object_mut().unwrap().remove("id");
        }
        v
    };
    let (a, b) = (strip(&first), strip(&second));
    assert_eq!(a, b, "an import restores the export exactly");
    assert_eq!(a["sessions"][0]["pain_areas"], json!(["lower_back", "leg"]));

    let bogus = home.path().join("bogus.json");
    std::fs::write(&bogus, r#"{"format": "something else"}"#).unwrap();
    let o = home.run(&["import", bogus.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("is not a supine export"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn csv_has_one_row_per_session() {
    let home = seeded();
    let text = ok(&home, &["export", "--format", "csv"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 21);
    let header: Vec<&str> = lines[0].split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let first: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(first[col("started_at")], "2026-11-01T19:30:00.000+01:00");
    assert_eq!(first[col("pain_before")], "6");
    assert_eq!(first[col("relief")], "2");
    assert_eq!(first[col("pain_areas")], "lower_back;leg");
    assert_eq!(first[col("status")], "finished");
}

/// Checks the structure a FHIR R4 reader relies on; returns the pain observations.
fn check_fhir_bundle(bundle: &Value) -> Vec<Value> {
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "collection");
    let entries = bundle["entry"].as_array().unwrap();
    let mut urls = std::collections::BTreeSet::new();
    for e in entries {
        let url = e["fullUrl"].as_str().unwrap();
        assert!(url.starts_with("urn:uuid:") && url.len() == 45, "{url}");
        assert!(urls.insert(url.to_owned()), "duplicate fullUrl {url}");
        assert!(e["resource"]["resourceType"].is_string());
    }
    let patients: Vec<&str> = entries
        .iter()
        .filter(|e| e["resource"]["resourceType"] == "Patient")
        .map(|e| e["fullUrl"].as_str().unwrap())
        .collect();
    assert_eq!(patients.len(), 1);
    let mut pain = Vec::new();
    for e in entries
        .iter()
        .filter(|e| e["resource"]["resourceType"] == "Observation")
    {
        let o = &e["resource"];
        assert_eq!(o["status"], "final");
        assert_eq!(
            o["subject"]["reference"], patients[0],
            "subject is the Patient"
        );
        let when = o["effectiveDateTime"].as_str().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(when).is_ok(), "{when}");
        let category = &o["category"][0]["coding"][0];
        assert_eq!(
            category["system"],
            "http://terminology.hl7.org/CodeSystem/observation-category"
        );
        assert!(o["code"].is_object());
        if o["code"]["coding"][0]["code"] == "72514-3" {
            assert_eq!(o["code"]["coding"][0]["system"], "http://loinc.org");
            assert_eq!(
                o["code"]["coding"][0]["display"],
                "Pain severity - 0-10 verbal numeric rating [Score] - Reported"
            );
            let v = o["valueInteger"].as_i64().unwrap();
            assert!((0..=10).contains(&v), "{v}");
            pain.push(o.clone());
        } else {
            for c in o["component"].as_array().unwrap() {
                assert!((0..=10).contains(&c["valueInteger"].as_i64().unwrap()));
            }
        }
    }
    pain
}

#[test]
fn fhir_export_is_a_bundle_of_pain_observations() {
    let home = seeded();
    let bundle: Value = serde_json::from_str(&ok(&home, &["export", "--format", "fhir"])).unwrap();
    let pain = check_fhir_bundle(&bundle);
    assert_eq!(pain.len(), 40, "before and after for 20 sessions");
    assert_eq!(
        pain[0]["effectiveDateTime"],
        "2026-11-01T19:30:00.000+01:00"
    );
    assert_eq!(pain[0]["valueInteger"], 6);
    assert_eq!(
        pain[1]["effectiveDateTime"],
        "2026-11-01T19:41:00.000+01:00"
    );
    assert_eq!(pain[1]["valueInteger"], 4);
    // The same journal exports the same ids, so a clinician's system can spot resends.
    let again: Value = serde_json::from_str(&ok(&home, &["export", "--format", "fhir"])).unwrap();
    assert_eq!(bundle["entry"][3]["fullUrl"], again["entry"][3]["fullUrl"]);
}

#[test]
fn psfs_asks_activities_once_then_scores_weekly() {
    let home = Home::new();
    let o = home.run_with_input(
        &["psfs"],
        "sitting through a film\nputting on socks\n\n4\n2\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("Your average today: 3.0 of 10"),
        "{}",
        stdout(&o)
    );
    let export: Value = serde_json::from_str(&ok(&home, &["export"])).unwrap();
    assert_eq!(
        export["psfs"][0]["items"],
        json!([{"activity": "sitting through a film", "score": 4},
               {"activity": "putting on socks", "score": 2}])
    );
}

#[test]
fn remind_writes_a_daily_icalendar_event_as_long_as_the_routine() {
    let home = Home::new();
    let file = home.path().join("remind.ics");
    let out = ok(
        &home,
        &["remind", "--at", "19:30", "--ics", file.to_str().unwrap()],
    );
    assert!(out.contains("daily reminder at 19:30"), "{out}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("\r\n"), "iCalendar lines end in CRLF");
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines[0], "BEGIN:VCALENDAR");
    assert!(lines.contains(&"RRULE:FREQ=DAILY"));
    let start = lines.iter().find(|l| l.starts_with("DTSTART:")).unwrap();
    assert!(start.ends_with("T193000") && start.len() == "DTSTART:20261126T193000".len());
    let plan: Value = serde_json::from_str(&ok(&home, &["plan", "--json"])).unwrap();
    let minutes = plan["total_ms"].as_u64().unwrap().div_ceil(60_000);
    assert!(
        lines.contains(&format!("DURATION:PT{minutes}M").as_str()),
        "{text}"
    );
    assert_eq!(count(&text, "BEGIN:VEVENT"), 1);
    assert_eq!(count(&text, "BEGIN:VALARM"), 1);

    let shorter = ok(
        &home,
        &["remind", "--at", "7:05", "--minutes", "8", "--ics", "-"],
    );
    assert!(shorter.contains("T070500\r\n"), "{shorter}");
    let o = home.run(&["remind", "--at", "7pm"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("like 19:30"), "{}", stderr(&o));
}

#[test]
fn profiles_keep_their_records_apart() {
    let home = Home::new();
    let file = home.path().join("history.json");
    write_json(&file, &history());
    ok(
        &home,
        &["--profile", "anna", "import", file.to_str().unwrap()],
    );
    let anna: Value =
        serde_json::from_str(&ok(&home, &["--profile", "anna", "progress", "--json"])).unwrap();
    assert_eq!(anna["sessions"], 20);
    let local: Value = serde_json::from_str(&ok(&home, &["progress", "--json"])).unwrap();
    assert_eq!(local["sessions"], 0);
    let text = ok(&home, &["log"]);
    assert!(text.contains("No sessions yet"), "{text}");
    let text = ok(&home, &["--profile", "anna", "log", "--limit", "1"]);
    assert!(text.contains("pain 3 -> 1 (lower back, leg)"), "{text}");
}

#[test]
fn two_processes_write_one_journal_at_once() {
    let home = Home::new();
    let mut files = Vec::new();
    for (n, month) in ["2025", "2024"].iter().enumerate() {
        let sessions: Vec<Value> = (0..300)
            .map(|i| {
                session(
                    &format!("{month}-{:02}-{:02}", 1 + i / 28, 1 + i % 28),
                    4,
                    2,
                )
            })
            .collect();
        let mut data = history();
        data["sessions"] = Value::Array(sessions);
        data["psfs"] = json!([]);
        let file = home.path().join(format!("part{n}.json"));
        write_json(&file, &data);
        files.push(file);
    }
    let children: Vec<_> = files
        .iter()
        .map(|f| {
            home.cmd(&["import", f.to_str().unwrap()])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(
            stdout(&o).contains("Imported 300 session(s)"),
            "{}",
            stdout(&o)
        );
    }
    let p: Value = serde_json::from_str(&ok(&home, &["progress", "--json"])).unwrap();
    assert_eq!(p["sessions"], 600);
}

#[test]
fn postgres_journal_by_url() {
    let Some(url) = ["SUPINE_TEST_PG_URL", "SUPINE_DATABASE_URL"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
    else {
        assert!(
            std::env::var("SUPINE_REQUIRE_PG").as_deref() != Ok("1"),
            "SUPINE_REQUIRE_PG=1 but SUPINE_TEST_PG_URL is not set"
        );
        let _ = writeln!(
            std::io::stderr(),
            "skipping postgres_journal_by_url: set SUPINE_TEST_PG_URL=postgres://... to run it"
        );
        return;
    };
    let home = Home::new();
    let file = home.path().join("history.json");
    write_json(&file, &history());
    // A profile of its own, so runs against a shared database do not see each other.
    let profile = format!(
        "e2e-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let args = |rest: &[&'static str]| {
        let mut v = vec!["--db", url.as_str(), "--profile", profile.as_str()];
        v.extend(rest);
        v
    };
    let mut import = args(&["import"]);
    import.push(file.to_str().unwrap());
    let out = ok(&home, &import);
    assert!(out.contains("Imported 20 session(s)"), "{out}");
    let p: Value = serde_json::from_str(&ok(
        &home,
        &args(&["progress", "--json", "--today", "2026-11-22"]),
    ))
    .unwrap();
    assert_eq!(p["streak"], 11);
    assert_eq!(p["sessions"], 20);
    assert_eq!(p["advice"]["kind"], "improving");
    // SUPINE_DATABASE_URL is honoured too.
    let o = home
        .cmd(&["--profile", profile.as_str(), "export", "--format", "fhir"])
        .env("SUPINE_DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let bundle: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(check_fhir_bundle(&bundle).len(), 40);
    assert!(!home.db().exists(), "no SQLite file was made");
}

/// A finished session on `day` that the camera watched: one bridge of 3 rounds seen, with a cue.
fn camera_session(day: &str) -> Value {
    let mut s = session(day, 4, 2);
    let at = format!("{day}T19:36:00.000+01:00");
    s["events"].as_array_mut().unwrap().push(json!({
        "at": at,
        "kind": "seen",
        "data": {"kind": "seen", "step": 2, "pose": "bridge", "seen": {
            "clockwise": 0, "anticlockwise": 0, "rounds": 3, "holds_s": [4.2, 4.0, 3.6],
            "sides": [], "cues": ["lift_higher"], "lost": false
        }}
    }));
    s
}

#[test]
fn what_the_camera_saw_shows_in_log_and_progress_and_old_journals_read_as_without_it() {
    // A journal from before the camera: nothing seen anywhere, nothing fails.
    let home = seeded();
    let p = progress_json(&home, "2026-11-22");
    assert_eq!(
        p["camera"],
        json!({"sessions": 20, "with_camera": 0, "last": null}),
        "{p}"
    );
    let text = ok(&home, &["progress", "--today", "2026-11-22"]);
    assert!(!text.contains("Camera"), "{text}");
    let log: Value = serde_json::from_str(&ok(&home, &["log", "--json"])).unwrap();
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .all(|s| s["seen"] == json!([])),
        "{log}"
    );

    // Two sessions the camera watched come in through an import, beside one it did not.
    let mut v = history();
    v["sessions"] = json!([
        camera_session("2026-11-24"),
        session("2026-11-25", 3, 3),
        camera_session("2026-11-26")
    ]);
    let file = home.path().join("camera.json");
    write_json(&file, &v);
    ok(&home, &["import", file.to_str().unwrap()]);
    let p = progress_json(&home, "2026-11-26");
    // The last 4 weeks: 2026-10-30 to 2026-11-26 hold the 20 seeded sessions and these 3.
    assert_eq!(p["camera"]["sessions"], 23, "{p}");
    assert_eq!(p["camera"]["with_camera"], 2, "{p}");
    let last = &p["camera"]["last"];
    assert_eq!(last["started_at"], "2026-11-26T19:30:00.000+01:00", "{p}");
    assert_eq!(last["totals"]["rounds"], 3, "{p}");
    assert_eq!(last["seen"][0]["pose"], "bridge", "{p}");
    // The streak and the rest are as without the camera.
    assert_eq!(p["sessions"], 23, "{p}");
    let text = ok(&home, &["progress", "--today", "2026-11-26"]);
    assert!(
        text.contains("Camera:    watched 2 of 23 sessions in the last 4 weeks (9%)"),
        "{text}"
    );
    assert!(
        text.contains(
            "latest, 2026-11-26 19:30: bridge 3 rounds, held 4.2 4.0 3.6 s; cue: lift higher"
        ),
        "{text}"
    );
    let log: Value = serde_json::from_str(&ok(&home, &["log", "--json", "--limit", "3"])).unwrap();
    assert_eq!(
        log[0]["seen"][0]["holds_s"],
        json!([4.2, 4.0, 3.6]),
        "{log}"
    );
    assert_eq!(log[1]["seen"], json!([]), "{log}");
    let table = ok(&home, &["log", "--limit", "3"]);
    assert_eq!(
        table.matches("    camera: bridge 3 rounds").count(),
        2,
        "{table}"
    );
    // The export keeps the events it came from.
    let out = home.path().join("again.json");
    ok(
        &home,
        &["export", "--format", "json", "-o", out.to_str().unwrap()],
    );
    let again: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let seen_events = again["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["events"].as_array().unwrap().iter())
        .filter(|e| e["kind"] == "seen")
        .count();
    assert_eq!(seen_events, 2);
}
