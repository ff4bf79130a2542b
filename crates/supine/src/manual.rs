//! `supine completions` and `supine man`: shell completions and the manual page, generated from
//! the same clap definition that parses the command line, so they cannot drift from it.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Cli, CompletionShell};

/// Writes the completion script for `shell` to `out`.
pub fn completions(shell: CompletionShell, out: &mut dyn Write) -> anyhow::Result<()> {
    let shell = match shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "supine", &mut script);
    out.write_all(&script)?;
    out.flush()?;
    Ok(())
}

/// Writes the manual page to `out`, or, given a folder, `supine.1` and one `supine-COMMAND.1`
/// per command into it (creating it), naming each file written on `log`.
pub fn man(dir: Option<&Path>, out: &mut dyn Write, log: &mut dyn Write) -> anyhow::Result<()> {
    let cmd = Cli::command();
    match dir {
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut page)?;
            out.write_all(&page)?;
            out.flush()?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the folder {}", dir.display()))?;
            clap_mangen::generate_to(cmd, dir)
                .with_context(|| format!("cannot write the manual pages into {}", dir.display()))?;
            let mut names: Vec<_> = std::fs::read_dir(dir)?
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("supine") && n.ends_with(".1"))
                .collect();
            names.sort();
            for name in names {
                writeln!(log, "wrote {}", dir.join(name).display())?;
            }
        }
    }
    Ok(())
}
