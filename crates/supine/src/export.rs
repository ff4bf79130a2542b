//! `supine export` (CSV, JSON, FHIR R4) and `supine import` (a JSON export): the journal opened
//! and the counts printed here; the formats and the file handling are `supine_report::export`'s,
//! the JSON format, its limits and the import's checks `supine_store::archive`'s. Export reads
//! the journal read-only, checks it first (a damaged journal fails, naming the problem) and
//! writes a file only once all of it was read, whole or not at all.

use std::io::{self, Write};
use std::path::Path;

use anyhow::Context;
use chrono::Local;
use supine_report::export::{csv, fhir, read_limited, write_whole};
use supine_store::archive::{self, Counts};

use crate::cli::{Cli, ExportArgs, ExportFormat};
use crate::log_cmd::open_read_only;
use crate::practice::{now, open_journal};
use crate::term_text::show;

/// `supine export`.
pub fn export(cli: &Cli, args: &ExportArgs) -> anyhow::Result<()> {
    let j = open_read_only(cli)?;
    let data = archive::collect(&*j, &now()).context("nothing was exported")?;
    let text = match args.format {
        ExportFormat::Json => serde_json::to_string_pretty(&data)? + "\n",
        ExportFormat::Csv => csv(&data.sessions)?,
        ExportFormat::Fhir => serde_json::to_string_pretty(&fhir(&data))? + "\n",
    };
    match &args.output {
        Some(path) => write_whole(path, text.as_bytes())
            .with_context(|| format!("cannot write the export to {}", path.display())),
        None => Ok(io::stdout().lock().write_all(text.as_bytes())?),
    }
}

/// `supine import FILE`.
pub fn import(cli: &Cli, file: &Path) -> anyhow::Result<()> {
    let data = read_limited(file)
        .map_err(anyhow::Error::from)
        .and_then(|bytes| Ok(archive::parse(&bytes, Local::now().fixed_offset())?))
        .with_context(|| format!("cannot import {}; nothing was imported", file.display()))?;
    let mut j = open_journal(cli)?;
    let n = archive::restore(&mut *j, &data).with_context(|| {
        format!(
            "importing {} stopped; importing it again adds only what is still missing",
            file.display()
        )
    })?;
    let profile = show(&cli.profile);
    println!(
        "Imported {} session(s) and {} activity check(s) into profile {profile}; {} session(s) \
         and {} check(s) were already there.",
        n.sessions.added, n.psfs.added, n.sessions.already_there, n.psfs.already_there
    );
    if n.screenings != Counts::default() || n.settings != Counts::default() {
        println!(
            "Also {} screening(s) and {} setting(s); {} screening(s) were already there and {} \
             setting(s) already set (kept as they were).",
            n.screenings.added,
            n.settings.added,
            n.screenings.already_there,
            n.settings.already_there
        );
    }
    Ok(())
}
