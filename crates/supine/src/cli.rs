//! Command-line definition.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Guided lying-down yoga for back pain: hip rotations, bridge and a gentle twist, paced by your
/// breath, spoken aloud so you can follow with your eyes closed.
#[derive(Debug, Parser)]
#[command(name = "supine", version, propagate_version = true)]
pub struct Cli {
    /// The journal file (SQLite). Default: $XDG_DATA_HOME/supine/journal.db.
    #[arg(long, global = true, env = "SUPINE_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// A folder of extra or replacement content (poses/*.toml, routines/*.toml), read after the
    /// built-in content and $XDG_CONFIG_HOME/supine/content.
    #[arg(long, global = true, value_name = "DIR")]
    pub content: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Do today's routine, guided by voice and chimes in the terminal.
    Practice(PracticeArgs),
    /// Show the plan the routine will follow (add --json for the full timeline as JSON).
    Plan(PlanArgs),
    /// Answer the safety questions again (red flags and conditions that change the plan).
    Screen,
    /// List recent sessions.
    Log(LogArgs),
    /// Serve the web app on 127.0.0.1 (the same journal and content as the terminal).
    Serve(ServeArgs),
    /// Check a folder of content files and report the first problem with file:line:column.
    CheckContent {
        /// The folder, holding poses/*.toml and/or routines/*.toml.
        dir: PathBuf,
    },
}

/// Dose level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LevelArg {
    /// For recent pain: the smallest dose and the easier versions.
    Gentle,
    /// The routine's own dose.
    Standard,
}

/// On or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    /// On.
    On,
    /// Off.
    Off,
}

/// Options that shape the plan. Given options are remembered by `practice` for next time.
#[derive(Debug, Clone, Args, Default)]
pub struct PlanArgs {
    /// Which routine to follow.
    #[arg(long, value_name = "ID")]
    pub routine: Option<String>,
    /// Roughly how many minutes; the dose is scaled within safe bounds (1-60).
    #[arg(long, value_name = "N")]
    pub minutes: Option<f64>,
    /// gentle (for recent pain) or standard.
    #[arg(long, value_enum)]
    pub level: Option<LevelArg>,
    /// Seconds to breathe in (2-8). Default 4.
    #[arg(long, value_name = "SECONDS")]
    pub inhale: Option<f64>,
    /// Seconds to breathe out (2-12). Default 6.
    #[arg(long, value_name = "SECONDS")]
    pub exhale: Option<f64>,
    /// Use the easier version of every pose.
    #[arg(long)]
    pub easier: bool,
    /// Preview the plan for a condition (repeatable): osteoporosis, pregnancy,
    /// recent-surgery-or-injury, disc-herniation, neck-or-shoulder-injury.
    #[arg(long = "condition", value_name = "NAME")]
    pub conditions: Vec<String>,
    /// Print the whole plan as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Options for `practice`.
#[derive(Debug, Clone, Args)]
pub struct PracticeArgs {
    /// Plan options.
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Spoken cues through espeak-ng.
    #[arg(long, value_enum)]
    pub voice: Option<Switch>,
    /// Speaking rate in words per minute (80-300).
    #[arg(long, value_name = "WPM")]
    pub rate: Option<u32>,
    /// espeak-ng voice name, e.g. en-gb or en-us.
    #[arg(long, value_name = "NAME")]
    pub voice_name: Option<String>,
    /// A soft chime at the start of every inhale.
    #[arg(long, value_enum)]
    pub breath_chimes: Option<Switch>,
    /// Run the session this many times faster than real time (for end-to-end tests).
    #[arg(long, default_value_t = 1.0, hide = true)]
    pub speed: f64,
}

/// Options for `log`.
#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// How many sessions.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Options for `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Port to listen on (0 picks a free one; the address is printed).
    #[arg(long, default_value_t = 8090)]
    pub port: u16,
    /// Open the page in the browser (xdg-open).
    #[arg(long)]
    pub open: bool,
    /// Listen on this address instead of 127.0.0.1, e.g. 0.0.0.0 to open supine to your
    /// network on purpose (a warning is printed).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Another host name the page may be reached by, e.g. yoga.local (repeatable).
    #[arg(long = "host-name", value_name = "NAME")]
    pub host_names: Vec<String>,
    /// Run session time this many times faster (for tests).
    #[arg(long, hide = true)]
    pub speed: Option<f64>,
}
