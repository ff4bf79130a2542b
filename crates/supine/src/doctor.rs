//! `supine doctor`: checks each part supine relies on, on this machine, and says how to fix what
//! fails. The content and the journal are essential (without them `supine practice` cannot
//! run); everything else has a fallback (chimes or the bell without a voice, the bell without a
//! sound player, `--port 0`, a recorded video instead of a camera), so it is reported but does
//! not fail the run.

use std::io::Write;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};

use serde::Serialize;
use supine_store::practice::{Remembered, load_remembered};
use supine_store::{SqliteJournal, is_postgres_url, open_journal_read_only};
use supine_tui::check::CheckPart;

use crate::cli::{Cli, DoctorArgs};
use crate::files::{journal_path, load_content};
use crate::{Exit, exit};

/// One thing checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked: `content`, `journal`, `voice`, `chimes`, `chart font`, `camera`,
    /// `port`, `onnxruntime`.
    pub name: &'static str,
    /// Whether `supine practice` needs it to work.
    pub essential: bool,
    /// Whether it passed.
    pub ok: bool,
    /// What was found, in words.
    pub found: String,
    /// How to fix it, when it did not pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    fn pass(name: &'static str, essential: bool, found: String) -> Check {
        Check {
            name,
            essential,
            ok: true,
            found,
            fix: None,
        }
    }

    fn fail(name: &'static str, essential: bool, found: String, fix: impl Into<String>) -> Check {
        Check {
            name,
            essential,
            ok: false,
            found,
            fix: Some(fix.into()),
        }
    }
}

/// Everything `doctor` found.
#[derive(Debug, Clone, Serialize)]
struct Report {
    /// Whether every essential check passed (the exit code is 0 then, else 1).
    essentials_ok: bool,
    checks: Vec<Check>,
}

/// `supine doctor [--json] [--port N]`.
pub fn doctor(cli: &Cli, args: &DoctorArgs) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if !args.json {
        writeln!(
            out,
            "Checking what supine uses on this machine (the voice check speaks a sentence and \
             plays a chime)."
        )?;
        out.flush()?;
    }
    let mut checks = vec![content(cli)];
    let (journal, remembered) = journal(cli);
    checks.push(journal);
    let sound = supine_tui::sound_check(&crate::practice::voice_options(&remembered));
    checks.extend(sound.parts.iter().map(sound_part));
    checks.push(chart_font());
    checks.push(cameras(Path::new("/dev")));
    checks.push(port(args.port));
    checks.push(onnxruntime());
    let report = Report {
        essentials_ok: checks.iter().all(|c| c.ok || !c.essential),
        checks,
    };
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        write_text(&mut out, &report)?;
    }
    out.flush()?;
    if report.essentials_ok {
        Ok(())
    } else {
        Err(Exit(exit::ERROR).into())
    }
}

fn write_text(out: &mut dyn Write, report: &Report) -> std::io::Result<()> {
    for c in &report.checks {
        let verdict = match (c.ok, c.essential) {
            (true, _) => "ok     ",
            (false, true) => "FAILED ",
            (false, false) => "missing",
        };
        writeln!(out, "{verdict} {}: {}", c.name, c.found)?;
        if let Some(fix) = &c.fix {
            writeln!(out, "        to fix: {fix}")?;
        }
    }
    let essential: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| c.essential)
        .map(|c| c.name)
        .collect();
    let failed = report
        .checks
        .iter()
        .filter(|c| !c.ok && c.essential)
        .count();
    if failed == 0 {
        writeln!(
            out,
            "The essentials ({}) are fine: supine practice can run. Anything missing above has \
             a fallback.",
            essential.join(" and ")
        )
    } else {
        writeln!(
            out,
            "{failed} essential check(s) failed ({} are essential): fix them before practising.",
            essential.join(" and ")
        )
    }
}

/// The built-in content, the user's content folder and `--content`, loaded as `practice` does.
fn content(cli: &Cli) -> Check {
    match load_content(cli.content.as_deref()) {
        Ok(c) => Check::pass(
            "content",
            true,
            format!(
                "{} poses and {} routines load.",
                c.poses.len(),
                c.routines.len()
            ),
        ),
        Err(e) => Check::fail(
            "content",
            true,
            format!("{e:#}."),
            "correct or remove the file named above (`supine check-content DIR` checks a folder).",
        ),
    }
}

/// The journal: where it is, whether it can be written, its schema version and integrity, all
/// without writing to it. Also returns the remembered settings it holds, for the voice check.
fn journal(cli: &Cli) -> (Check, Remembered) {
    let fail = |found: String, fix: &str| {
        (
            Check::fail("journal", true, found, fix),
            Remembered::default(),
        )
    };
    let db = match journal_path(cli.db.as_deref()) {
        Ok(db) => db,
        Err(e) => return fail(format!("{e:#}."), "set HOME, or pass --db PATH."),
    };
    let is_url = db.to_str().is_some_and(is_postgres_url);
    let location = if is_url {
        "a PostgreSQL database".to_owned()
    } else {
        db.display().to_string()
    };
    let mut found = vec![location.clone()];
    if !is_url {
        match db.try_exists() {
            Ok(true) => {
                if let Err(e) = std::fs::OpenOptions::new().write(true).open(&db) {
                    return fail(
                        format!("{location} cannot be written ({e})."),
                        "give your user write access to the file and its folder, or choose \
                         another with --db PATH.",
                    );
                }
            }
            Ok(false) => {
                let Some(folder) = nearest_existing(&db) else {
                    return fail(
                        format!("{location}: no folder above it exists."),
                        "choose a journal in a folder that exists with --db PATH.",
                    );
                };
                if let Err(e) = tempfile::tempfile_in(&folder) {
                    return fail(
                        format!(
                            "{location} does not exist yet and {} cannot be written ({e}).",
                            folder.display()
                        ),
                        "give your user write access to that folder, or choose another with \
                         --db PATH.",
                    );
                }
                found.push("not created yet (the first practice creates it)".into());
                return (
                    Check::pass("journal", true, format!("{}.", found.join(", "))),
                    Remembered::default(),
                );
            }
            Err(e) => {
                return fail(
                    format!("{location} cannot be looked at ({e})."),
                    "give your user access to the folder, or choose another with --db PATH.",
                );
            }
        }
        if let Some(folder) = db.parent().filter(|p| !p.as_os_str().is_empty())
            && let Err(e) = tempfile::tempfile_in(folder)
        {
            return fail(
                format!(
                    "{location}: its folder {} cannot be written ({e}); SQLite keeps its log \
                     beside the file.",
                    folder.display()
                ),
                "give your user write access to the folder, or choose another with --db PATH.",
            );
        }
        found.push("writable".into());
        match SqliteJournal::schema_version_at(&db) {
            Ok(v) => found.push(match v.found {
                Some(f) if v.is_current() => format!("schema version {f}"),
                Some(f) => format!(
                    "schema version {f} (the next practice updates it to {})",
                    v.supported
                ),
                None => "empty".into(),
            }),
            Err(e) => {
                return fail(
                    format!("{e}."),
                    "if it is not your supine journal, choose another with --db PATH; if it is \
                     damaged, restore it from a copy or an export (`supine import FILE.json`).",
                );
            }
        }
    }
    let journal = match open_journal_read_only(&db, &cli.profile) {
        Ok(j) => j,
        Err(e) => {
            return fail(
                format!("{e}."),
                if is_url {
                    "check that the server is running and the URL, user and password are right."
                } else {
                    "if it is not your supine journal, choose another with --db PATH."
                },
            );
        }
    };
    if let Err(e) = journal.check_integrity() {
        return fail(
            format!("{e}."),
            "restore it from a copy or from an export (`supine import FILE.json` into a new \
             journal given with --db PATH).",
        );
    }
    found.push("integrity ok".into());
    let remembered = load_remembered(&*journal).unwrap_or_default();
    (
        Check::pass("journal", true, format!("{}.", found.join(", "))),
        remembered,
    )
}

/// The deepest folder above `path` that exists.
fn nearest_existing(path: &Path) -> Option<PathBuf> {
    path.ancestors()
        .skip(1)
        .map(|p| {
            if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            }
        })
        .find(|p| p.is_dir())
        .map(Path::to_path_buf)
}

/// The voice or the chimes, as `practice --test-sound` checks them.
fn sound_part(p: &CheckPart) -> Check {
    Check {
        name: p.what,
        essential: false,
        ok: p.worked,
        found: p.said.clone(),
        fix: p.fix.clone(),
    }
}

/// The font `supine progress --chart` draws its text with.
fn chart_font() -> Check {
    match supine_report::chart::font_path() {
        Ok(path) => Check::pass(
            "chart font",
            false,
            format!("{} is a font the PNG charts can use.", path.display()),
        ),
        Err(e) => Check::fail(
            "chart font",
            false,
            format!("{e}."),
            "`sudo apt-get install fonts-dejavu-core`, or set SUPINE_FONT to a .ttf file.",
        ),
    }
}

/// Video devices (`video*` under `dev`): each opened and started as `supine practice --camera`
/// would ([`crate::device::open`]: a camera that streams, is free and offers YUYV or MJPEG),
/// then closed again. No frame is read or kept. A camera's second, metadata node is passed over
/// without a word.
fn cameras(dev: &Path) -> Check {
    let mut nodes: Vec<PathBuf> = std::fs::read_dir(dev)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().starts_with("video"))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    nodes.sort();
    let without = "practice without one is timed as ever; or record the routine with any camera \
                   or phone and run `supine analyze VIDEO`.";
    if nodes.is_empty() {
        return Check::fail(
            "camera",
            false,
            format!("no camera found (no {}/video* device).", dev.display()),
            format!("connect a camera; {without}"),
        );
    }
    let mut usable = Vec::new();
    let mut refused = Vec::new();
    for node in &nodes {
        match crate::device::open(node) {
            Ok(capture) => usable.push((node.display().to_string(), capture.describe())),
            Err(crate::device::DeviceError::NoVideo) => {}
            Err(e) => refused.push(format!("{} {e}", node.display())),
        }
    }
    let Some((first, _)) = usable.first() else {
        let found = if refused.is_empty() {
            let names: Vec<String> = nodes.iter().map(|n| n.display().to_string()).collect();
            format!("no camera found (no video from {}).", names.join(", "))
        } else {
            format!("no usable camera: {}.", refused.join("; "))
        };
        return Check::fail("camera", false, found, without.to_owned());
    };
    let list: Vec<String> = usable.iter().map(|(n, d)| format!("{n} ({d})")).collect();
    let mut found = format!(
        "{} streams; use it with `supine practice --camera {first}`.",
        list.join(", ")
    );
    if !refused.is_empty() {
        found = format!("{found} Not usable: {}.", refused.join("; "));
    }
    Check::pass("camera", false, found)
}

/// Whether `supine serve` can listen on `port` of 127.0.0.1.
fn port(port: u16) -> Check {
    match TcpListener::bind((Ipv4Addr::LOCALHOST, port)) {
        Ok(_) => Check::pass(
            "port",
            false,
            format!("127.0.0.1:{port} is free for `supine serve`."),
        ),
        Err(e) => Check::fail(
            "port",
            false,
            format!(
                "127.0.0.1:{port} cannot be used ({e}); another program, or a running supine serve, may hold it."
            ),
            "stop that program, or run `supine serve --port 0` (it picks a free port and prints it).",
        ),
    }
}

/// onnxruntime, which the vision crate can use instead of tract when built with its `ort`
/// feature: looked up as that backend looks it up (the file `ORT_DYLIB_PATH` names), without
/// loading it.
fn onnxruntime() -> Check {
    let tract = "this build runs the pose models with tract (pure Rust), which needs nothing \
                 installed";
    match std::env::var_os("ORT_DYLIB_PATH") {
        None => Check::fail(
            "onnxruntime",
            false,
            format!("not found (ORT_DYLIB_PATH is not set); {tract}."),
            "nothing to do for this build; to try onnxruntime, build supine-vision with \
             `--features ort` and set ORT_DYLIB_PATH to libonnxruntime.so.",
        ),
        Some(path) if Path::new(&path).is_file() => Check::pass(
            "onnxruntime",
            false,
            format!(
                "ORT_DYLIB_PATH names {} (not loaded: {tract}).",
                Path::new(&path).display()
            ),
        ),
        Some(path) => Check::fail(
            "onnxruntime",
            false,
            format!(
                "ORT_DYLIB_PATH={} is not a file; {tract}.",
                Path::new(&path).display()
            ),
            "point ORT_DYLIB_PATH at libonnxruntime.so (the PyPI onnxruntime wheel ships it in \
             onnxruntime/capi/), or unset it.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_without_video_devices_has_no_camera() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("null"), b"").unwrap();
        let c = cameras(dir.path());
        assert!(!c.ok && !c.essential, "{c:?}");
        assert!(c.found.starts_with("no camera found"), "{c:?}");
        assert!(c.fix.unwrap().contains("supine analyze"));
    }

    #[test]
    fn a_video_node_that_is_no_camera_is_said_and_fails_softly() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("video0"), b"").unwrap();
        let c = cameras(dir.path());
        assert!(!c.ok && !c.essential, "{c:?}");
        assert!(c.found.starts_with("no usable camera"), "{c:?}");
        assert!(c.found.contains("video0 is not a camera"), "{c:?}");
        assert!(c.fix.unwrap().contains("timed as ever"));
    }

    #[test]
    fn a_port_in_use_says_how_to_pick_another() {
        let held = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let taken = held.local_addr().unwrap().port();
        let c = port(taken);
        assert!(!c.ok, "{c:?}");
        assert!(c.fix.unwrap().contains("--port 0"));
        drop(held);
        assert!(port(taken).ok);
    }

    #[test]
    fn nearest_existing_folder_of_a_new_journal() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("a/b/journal.db");
        assert_eq!(nearest_existing(&db).as_deref(), Some(dir.path()));
        assert_eq!(
            nearest_existing(Path::new("journal.db")).as_deref(),
            Some(Path::new("."))
        );
    }
}
