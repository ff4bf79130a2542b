//! The journal's exports: CSV (one row per session, formula-safe), FHIR R4 (a Bundle of
//! Observations for a clinician's system) and the JSON archive (`supine_store::archive`'s format),
//! and the file handling around them: an export is written whole or not at all, an import file
//! is refused over the size limit before it is read.

use std::borrow::Cow;
use std::io::{Read, Write};
use std::path::Path;

use serde_json::{Value, json};
use supine_store::archive::{self, Archive};
use supine_store::limits::IMPORT_MAX_BYTES;
use supine_store::{SessionRecord, SessionStatus};

use crate::ReportError;

/// Writes `bytes` to a temporary file beside `path`, flushes it to disk, then renames it over
/// `path`: either the whole export is there, or whatever was there before still is.
pub fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let fail = |source| ReportError::File {
        action: "write",
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".supine-export-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(fail)?;
    tmp.write_all(bytes).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

/// Reads an import file, refusing one over the limit before reading it.
pub fn read_limited(path: &Path) -> Result<Vec<u8>, ReportError> {
    let fail = |source| ReportError::File {
        action: "read",
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(fail)?;
    let size = file.metadata().map_err(fail)?.len();
    archive::check_size(size)?;
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    // A file that grows while it is read still stops one byte past the limit.
    file.take(IMPORT_MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(fail)?;
    archive::check_size(u64::try_from(bytes.len()).unwrap_or(u64::MAX))?;
    Ok(bytes)
}

/// A CSV cell a spreadsheet takes as text, never as a formula: one that starts with `=`, `+`,
/// `-`, `@`, a tab or a carriage return gets a leading `'`.
fn formula_safe(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// One row per session, oldest first. Cells of text from the journal are
/// [formula-safe](formula_safe); numbers are written as numbers (a relief of -2 stays -2).
pub fn csv(sessions: &[SessionRecord]) -> Result<String, ReportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "started_at",
        "ended_at",
        "status",
        "end_reason",
        "routine_id",
        "routine_name",
        "plan_minutes",
        "segments_done",
        "segments_total",
        "pain_before",
        "pain_after",
        "relief",
        "pain_areas",
        "pain_spreads",
        "uid",
    ])?;
    for s in sessions {
        let relief = match (s.pain_before, s.pain_after) {
            (Some(b), Some(a)) => (i32::from(b) - i32::from(a)).to_string(),
            _ => String::new(),
        };
        let areas: Vec<&str> = s.pain_areas.iter().map(|a| a.as_str()).collect();
        let text = |t: &str| formula_safe(t).into_owned();
        w.write_record([
            text(&s.started_at),
            text(s.ended_at.as_deref().unwrap_or_default()),
            s.status.to_string(),
            text(s.end_reason.as_deref().unwrap_or_default()),
            text(&s.routine_id),
            text(&s.routine_name),
            format!("{:.1}", s.plan_total_ms as f64 / 60_000.0),
            s.segments_done.to_string(),
            s.segments_total.to_string(),
            opt(s.pain_before),
            opt(s.pain_after),
            relief,
            areas.join(";"),
            opt(s.pain_spreads),
            text(&s.uid),
        ])?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ReportError::Csv(e.into_error().into()))?;
    String::from_utf8(bytes).map_err(|e| {
        ReportError::Csv(std::io::Error::new(std::io::ErrorKind::InvalidData, e).into())
    })
}

/// LOINC code for pain severity on the 0-10 numeric rating scale.
pub const LOINC_PAIN: &str = "72514-3";
const LOINC_PAIN_DISPLAY: &str = "Pain severity - 0-10 verbal numeric rating [Score] - Reported";

/// A stable `urn:uuid:` for `key` (a name-based UUID: the same record always gets the same id,
/// so a clinician's system can tell a re-sent observation from a new one).
fn urn(key: &str) -> String {
    // Two FNV-1a passes with different offsets make 128 bits.
    let fnv = |seed: u64| {
        key.bytes().fold(seed, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let (a, b) = (fnv(0xcbf2_9ce4_8422_2325), fnv(0x6c62_272e_07bb_0142));
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_be_bytes());
    bytes[8..].copy_from_slice(&b.to_be_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x80; // version 8: custom
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    let h: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn pain_observation(patient: &str, at: &str, value: u8, when: &str, key: &str) -> Value {
    json!({
        "fullUrl": urn(key),
        "resource": {
            "resourceType": "Observation",
            "status": "final",
            "category": [{
                "coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                    "code": "survey",
                    "display": "Survey"
                }]
            }],
            "code": {
                "coding": [{
                    "system": "http://loinc.org",
                    "code": LOINC_PAIN,
                    "display": LOINC_PAIN_DISPLAY
                }],
                "text": format!("Back pain {when} a supine session")
            },
            "subject": { "reference": patient },
            "effectiveDateTime": at,
            "valueInteger": value
        }
    })
}

/// A FHIR R4 Bundle (type collection): a Patient for the profile, an Observation for each pain
/// score (before and after each session, LOINC 72514-3), and one for each PSFS entry.
pub fn fhir(data: &Archive) -> Value {
    let patient = urn(&format!("supine/{}/patient", data.profile));
    let mut entries = vec![json!({
        "fullUrl": patient,
        "resource": {
            "resourceType": "Patient",
            "identifier": [{ "system": "urn:supine:profile", "value": data.profile }],
            "name": [{ "text": data.profile }]
        }
    })];
    for s in &data.sessions {
        let key = format!("supine/{}/session/{}", data.profile, s.uid);
        if let Some(p) = s.pain_before {
            entries.push(pain_observation(
                &patient,
                &s.started_at,
                p,
                "before",
                &format!("{key}/before"),
            ));
        }
        if let Some(p) = s.pain_after {
            let at = match s.status {
                SessionStatus::Finished => s.ended_at.as_deref().unwrap_or(&s.last_seen_at),
                _ => &s.last_seen_at,
            };
            entries.push(pain_observation(
                &patient,
                at,
                p,
                "after",
                &format!("{key}/after"),
            ));
        }
    }
    for e in &data.psfs {
        let components: Vec<Value> = e
            .items
            .iter()
            .map(|i| json!({ "code": { "text": i.activity }, "valueInteger": i.score }))
            .collect();
        entries.push(json!({
            "fullUrl": urn(&format!("supine/{}/psfs/{}", data.profile, e.taken_at)),
            "resource": {
                "resourceType": "Observation",
                "status": "final",
                "category": [{
                    "coding": [{
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "survey",
                        "display": "Survey"
                    }]
                }],
                "code": { "text": "Patient-Specific Functional Scale (0-10 per activity)" },
                "subject": { "reference": patient },
                "effectiveDateTime": e.taken_at,
                "component": components
            }
        }));
    }
    json!({
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": data.exported_at,
        "entry": entries
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_never_formulas() {
        for bad in [
            "=1+1",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "=HYPERLINK(\"x\")",
        ] {
            assert_eq!(formula_safe(bad), format!("'{bad}"), "{bad:?}");
        }
        for good in ["Supine basics", "2026-11-01T19:30:00+01:00", "a=b", ""] {
            assert_eq!(formula_safe(good), good);
        }
    }

    #[test]
    fn urns_are_stable_uuids() {
        let a = urn("supine/local/patient");
        assert_eq!(a, urn("supine/local/patient"));
        assert_ne!(a, urn("supine/anna/patient"));
        let hex = a.strip_prefix("urn:uuid:").unwrap();
        let groups: Vec<usize> = hex.split('-').map(str::len).collect();
        assert_eq!(groups, vec![8, 4, 4, 4, 12]);
        assert!(hex.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
    }
}
