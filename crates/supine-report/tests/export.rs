//! The CSV export, read back with the `csv` crate's reader as a spreadsheet would read it.

use supine_report::export::{csv, read_limited, write_whole};
use supine_store::{PainArea, SessionRecord, SessionStatus};

fn session(name: &str, before: Option<u8>, after: Option<u8>) -> SessionRecord {
    SessionRecord {
        id: 1,
        uid: "=uid".into(),
        started_at: "2026-11-01T19:30:00.000+01:00".into(),
        last_seen_at: "2026-11-01T19:41:00.000+01:00".into(),
        ended_at: Some("2026-11-01T19:41:00.000+01:00".into()),
        routine_id: "supine-basics".into(),
        routine_name: name.into(),
        settings: serde_json::json!({}),
        status: SessionStatus::Finished,
        end_reason: Some("completed".into()),
        pain_before: before,
        pain_after: after,
        pain_areas: vec![PainArea::LowerBack, PainArea::Leg],
        pain_spreads: Some(false),
        plan_total_ms: 600_000,
        segments_total: 12,
        segments_done: 12,
        events: Vec::new(),
    }
}

#[test]
fn csv_reads_back_cell_for_cell_and_no_cell_is_a_formula() {
    let text = csv(&[
        session("Supine basics, \"gentle\"\nevening", Some(6), Some(8)),
        session("+cmd|' /C calc'!A0", None, Some(2)),
    ])
    .unwrap();
    let mut r = ::csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<::csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        &rows[0][col("routine_name")],
        "Supine basics, \"gentle\"\nevening"
    );
    assert_eq!(&rows[0][col("relief")], "-2");
    assert_eq!(&rows[0][col("pain_areas")], "lower_back;leg");
    assert_eq!(&rows[0][col("plan_minutes")], "10.0");
    assert_eq!(&rows[0][col("uid")], "'=uid");
    assert_eq!(&rows[1][col("routine_name")], "'+cmd|' /C calc'!A0");
    assert_eq!(&rows[1][col("relief")], "");
    assert_eq!(&rows[1][col("pain_before")], "");
    for row in &rows {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '@', '\t', '\r'])
                    && (!cell.starts_with('-') || cell.parse::<f64>().is_ok()),
                "{cell:?} would be taken for a formula"
            );
        }
    }
}

#[test]
fn an_export_is_written_whole_and_an_import_file_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.csv");
    write_whole(&path, b"first").unwrap();
    write_whole(&path, b"second").unwrap();
    assert_eq!(read_limited(&path).unwrap(), b"second");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "a temporary file was left behind");
    let missing = read_limited(&dir.path().join("nope.json")).unwrap_err();
    assert!(missing.to_string().contains("cannot read"), "{missing}");
    assert!(missing.to_string().contains("nope.json"), "{missing}");
}
