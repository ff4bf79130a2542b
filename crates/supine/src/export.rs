//! `supine export` (CSV, JSON, FHIR R4) and `supine import` (a JSON export).

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use supine_store::{Journal, PsfsEntry, SessionRecord, SessionStatus};

use crate::cli::{Cli, ExportArgs, ExportFormat};
use crate::practice::{now, open_journal};

/// What a JSON export says it is.
pub const FORMAT: &str = "supine-journal";
/// The JSON export's version.
pub const VERSION: u32 = 1;

/// A JSON export: every session with its events, and every PSFS entry, of one profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`].
    pub version: u32,
    /// The profile it was exported from.
    pub profile: String,
    /// When it was written.
    pub exported_at: String,
    /// Sessions, oldest first.
    pub sessions: Vec<SessionRecord>,
    /// PSFS entries, oldest first.
    pub psfs: Vec<PsfsEntry>,
}

/// Everything in the journal for its profile.
pub fn collect(j: &dyn Journal) -> anyhow::Result<ExportFile> {
    let mut sessions = j.recent_sessions(usize::MAX)?;
    sessions.reverse();
    Ok(ExportFile {
        format: FORMAT.to_owned(),
        version: VERSION,
        profile: j.profile().to_owned(),
        exported_at: now(),
        sessions,
        psfs: j.psfs_entries()?,
    })
}

/// `supine export`.
pub fn export(cli: &Cli, args: &ExportArgs) -> anyhow::Result<()> {
    let j = open_journal(cli)?;
    let data = collect(&*j)?;
    let text = match args.format {
        ExportFormat::Json => serde_json::to_string_pretty(&data)? + "\n",
        ExportFormat::Csv => csv(&data.sessions),
        ExportFormat::Fhir => serde_json::to_string_pretty(&fhir(&data))? + "\n",
    };
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write the export to {}", path.display())),
        None => Ok(io::stdout().lock().write_all(text.as_bytes())?),
    }
}

/// What an import did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Imported {
    /// Sessions added.
    pub sessions: usize,
    /// Sessions already there.
    pub sessions_skipped: usize,
    /// PSFS entries added.
    pub psfs: usize,
    /// PSFS entries already there.
    pub psfs_skipped: usize,
}

/// Adds what `data` holds that the journal does not.
pub fn restore(j: &mut dyn Journal, data: &ExportFile) -> anyhow::Result<Imported> {
    let mut n = Imported::default();
    for s in &data.sessions {
        let added = j
            .import_session(s)
            .with_context(|| format!("cannot import the session of {}", s.started_at))?;
        if added {
            n.sessions += 1;
        } else {
            n.sessions_skipped += 1;
        }
    }
    for e in &data.psfs {
        let added = j
            .save_psfs(e)
            .with_context(|| format!("cannot import the activity check of {}", e.taken_at))?;
        if added {
            n.psfs += 1;
        } else {
            n.psfs_skipped += 1;
        }
    }
    Ok(n)
}

/// Reads a JSON export, checking that it is one.
pub fn read_export(path: &Path) -> anyhow::Result<ExportFile> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    if value.get("format").and_then(Value::as_str) != Some(FORMAT) {
        bail!(
            "{} is not a supine export (expected \"format\": \"{FORMAT}\"); write one with \
             `supine export --format json`",
            path.display()
        );
    }
    if value.get("version").and_then(Value::as_u64) != Some(u64::from(VERSION)) {
        bail!(
            "{} is a supine export of a version this supine does not know; upgrade supine",
            path.display()
        );
    }
    serde_json::from_value(value)
        .with_context(|| format!("{} is a damaged supine export", path.display()))
}

/// `supine import FILE`.
pub fn import(cli: &Cli, file: &Path) -> anyhow::Result<()> {
    let data = read_export(file)?;
    let mut j = open_journal(cli)?;
    let n = restore(&mut *j, &data)?;
    println!(
        "Imported {} session(s) and {} activity check(s) into profile {}; {} session(s) and {} \
         check(s) were already there.",
        n.sessions, n.psfs, cli.profile, n.sessions_skipped, n.psfs_skipped
    );
    Ok(())
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// One row per session, oldest first.
pub fn csv(sessions: &[SessionRecord]) -> String {
    let mut out = String::from(
        "started_at,ended_at,status,end_reason,routine_id,routine_name,plan_minutes,\
         segments_done,segments_total,pain_before,pain_after,relief,pain_areas,pain_spreads\n",
    );
    for s in sessions {
        let relief = match (s.pain_before, s.pain_after) {
            (Some(b), Some(a)) => (i32::from(b) - i32::from(a)).to_string(),
            _ => String::new(),
        };
        let areas: Vec<&str> = s.pain_areas.iter().map(|a| a.as_str()).collect();
        let fields = [
            s.started_at.clone(),
            opt(s.ended_at.as_deref()),
            s.status.to_string(),
            opt(s.end_reason.as_deref()),
            s.routine_id.clone(),
            s.routine_name.clone(),
            format!("{:.1}", s.plan_total_ms as f64 / 60_000.0),
            s.segments_done.to_string(),
            s.segments_total.to_string(),
            opt(s.pain_before),
            opt(s.pain_after),
            relief,
            areas.join(";"),
            opt(s.pain_spreads),
        ];
        let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        let _ = writeln!(out, "{}", row.join(","));
    }
    out
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
pub fn fhir(data: &ExportFile) -> Value {
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
        let key = format!(
            "supine/{}/session/{}/{}",
            data.profile, s.started_at, s.routine_id
        );
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
    fn csv_quotes_what_needs_quoting() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
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
