//! Where things live on disk (XDG folders), and reading content folders.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use supine_core::content::builtin_sources;
use supine_core::{Content, Source, SourceKind};

/// `$XDG_<VAR>` if set and absolute, else `$HOME/<fallback>`.
fn xdg(var: &str, fallback: &str) -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os(var).map(PathBuf::from)
        && dir.is_absolute()
    {
        return Ok(dir);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .context("neither $XDG_DATA_HOME/$XDG_CONFIG_HOME nor $HOME is set; pass --db PATH")?;
    Ok(home.join(fallback))
}

/// The journal, a path or a `postgres://` URL: `--db`/`SUPINE_DB`, else `$SUPINE_DATABASE_URL`,
/// else `$XDG_DATA_HOME/supine/journal.db`.
pub fn journal_path(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(url) = std::env::var_os("SUPINE_DATABASE_URL").filter(|u| !u.is_empty()) {
        return Ok(PathBuf::from(url));
    }
    Ok(data_dir()?.join("journal.db"))
}

/// supine's data folder, `$XDG_DATA_HOME/supine`.
pub fn data_dir() -> anyhow::Result<PathBuf> {
    Ok(xdg("XDG_DATA_HOME", ".local/share")?.join("supine"))
}

/// supine's config folder, `$XDG_CONFIG_HOME/supine`.
pub fn config_dir() -> anyhow::Result<PathBuf> {
    Ok(xdg("XDG_CONFIG_HOME", ".config")?.join("supine"))
}

/// The user's content folder, `$XDG_CONFIG_HOME/supine/content`.
fn user_content_dir() -> Option<PathBuf> {
    xdg("XDG_CONFIG_HOME", ".config")
        .ok()
        .map(|d| d.join("supine").join("content"))
}

/// Reads `poses/*.toml` and `routines/*.toml` from a folder, sorted by name.
fn read_dir_sources(dir: &Path) -> anyhow::Result<Vec<Source>> {
    let mut out = Vec::new();
    for (sub, kind) in [
        ("poses", SourceKind::Pose),
        ("routines", SourceKind::Routine),
    ] {
        let folder = dir.join(sub);
        if !folder.is_dir() {
            continue;
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .with_context(|| format!("cannot read content folder {}", folder.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read content file {}", path.display()))?;
            out.push(Source {
                name: path.display().to_string(),
                kind,
                text,
            });
        }
    }
    Ok(out)
}

/// Built-in content, then the user's content folder, then `--content DIR`; later files with the
/// same id replace earlier ones.
pub fn load_content(extra: Option<&Path>) -> anyhow::Result<Content> {
    let mut sources = builtin_sources();
    if let Some(dir) = user_content_dir().filter(|d| d.is_dir()) {
        sources.extend(read_dir_sources(&dir)?);
    }
    if let Some(dir) = extra {
        if !dir.is_dir() {
            bail!("content folder {} does not exist", dir.display());
        }
        sources.extend(read_dir_sources(dir)?);
    }
    Ok(Content::load(&sources)?)
}

/// `supine check-content DIR`.
pub fn check_content(dir: &Path) -> anyhow::Result<()> {
    if !dir.is_dir() {
        bail!("content folder {} does not exist", dir.display());
    }
    let extra = read_dir_sources(dir)?;
    if extra.is_empty() {
        bail!(
            "no content files in {}: expected poses/*.toml and/or routines/*.toml",
            dir.display()
        );
    }
    let count = extra.len();
    let mut sources = builtin_sources();
    sources.extend(extra);
    let content = Content::load(&sources)?;
    println!(
        "ok: {count} file(s) in {} checked; {} poses and {} routines available",
        dir.display(),
        content.poses.len(),
        content.routines.len()
    );
    Ok(())
}
