//! Command-line definition.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Guided lying-down yoga for back pain: hip rotations, bridge and a gentle twist, paced by your
/// breath, spoken aloud so you can follow with your eyes closed.
#[derive(Debug, Parser)]
#[command(name = "supine", version, propagate_version = true)]
pub struct Cli {
    /// The journal: an SQLite file, or a PostgreSQL URL (postgres://user:password@host/db).
    /// Default: $SUPINE_DATABASE_URL if set, else $XDG_DATA_HOME/supine/journal.db.
    // hide_env_values: a URL may hold a password; --help must not print it.
    #[arg(
        long,
        global = true,
        env = "SUPINE_DB",
        hide_env_values = true,
        value_name = "PATH|URL"
    )]
    pub db: Option<PathBuf>,

    /// Whose journal: every record belongs to a profile (one "local" profile by default; a
    /// shared PostgreSQL database holds many).
    #[arg(
        long,
        global = true,
        env = "SUPINE_PROFILE",
        value_name = "NAME",
        default_value = "local"
    )]
    pub profile: String,

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
    /// Manage the accounts that may sign in to `supine serve` beyond 127.0.0.1.
    Admin {
        /// What to do.
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// The phones and tablets paired with `supine serve --lan`: list them (the default), pair
    /// another, or revoke one.
    Devices {
        /// What to do; without it, list them.
        #[command(subcommand)]
        command: Option<DevicesCommand>,
    },
    /// Find the person in an image and print the 33 body landmarks (BlazePose, on this machine).
    Pose {
        /// The image (PNG, JPEG, BMP, GIF, TIFF, WebP, PNM; any pixel format).
        image: PathBuf,
        /// Landmark model: lite (faster) or full (MediaPipe's default).
        #[arg(long, default_value = "full", value_parser = ["lite", "full"])]
        model: String,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Coach from a recorded video: knee circles per direction, bridge rounds and holds, twist
    /// sides and holds, with feedback and times. Place the camera at your side, raised about 40
    /// degrees, about 2 m away.
    Analyze {
        /// A .y4m video, a folder of images, an image, any video ffmpeg reads, or a camera
        /// (/dev/video0), read until Ctrl-C.
        input: PathBuf,
        /// Landmark model: lite (faster) or full.
        #[arg(long, default_value = "full", value_parser = ["lite", "full"])]
        model: String,
        /// Print JSON instead of a report.
        #[arg(long)]
        json: bool,
        /// Write each analysed frame with the skeleton drawn into this folder.
        #[arg(long, value_name = "DIR")]
        annotate: Option<PathBuf>,
        /// Analysis rate in frames per second.
        #[arg(long, default_value_t = crate::analyze_cmd::DEFAULT_FPS)]
        fps: f64,
        /// Threads to use [default: every core]. A y4m video or a folder of images is split
        /// into parts followed side by side; other videos and cameras share the threads within
        /// each frame.
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
        threads: Option<u16>,
    },
    /// Check a folder of content files and report the first problem with file:line:column.
    CheckContent {
        /// The folder, holding poses/*.toml and/or routines/*.toml.
        dir: PathBuf,
    },
    /// Your progress: streak, sessions per week, pain over time, relief per session, and
    /// whether it is time to see a clinician.
    Progress(ProgressArgs),
    /// The weekly activity check (Patient-Specific Functional Scale): up to 3 activities your
    /// back makes hard, each scored 0-10.
    Psfs(PsfsArgs),
    /// Write your journal as CSV, JSON (for `supine import`) or FHIR R4 (for a clinician).
    Export(ExportArgs),
    /// Restore a JSON export; what is already in the journal is not added twice.
    Import {
        /// A file written by `supine export --format json`.
        file: PathBuf,
    },
    /// Write a calendar event that reminds you every day (iCalendar, for any calendar app).
    Remind(RemindArgs),
    /// Check the voice, chimes, chart font, cameras, journal, port and onnxruntime on this
    /// machine, and say how to fix what fails (exit 1 when the content or the journal fails).
    Doctor(DoctorArgs),
    /// Print a shell completion script, e.g. `source <(supine completions bash)` in ~/.bashrc.
    Completions {
        /// bash, zsh or fish.
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// Print the manual page (roff), e.g. `supine man | man -l -`; with --out, write one page per
    /// command into a folder.
    Man {
        /// Write supine.1 and a supine-COMMAND.1 for each command into this folder instead.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

/// `supine devices` subcommands.
#[derive(Debug, Subcommand)]
pub enum DevicesCommand {
    /// List the paired devices: number, name, when paired and when last used.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Make a new pairing code for `supine serve --lan` running on this computer and show it
    /// as a QR code: it works once, for 5 minutes.
    Pair {
        /// The port `supine serve --lan` listens on.
        #[arg(long, default_value_t = DEFAULT_PORT)]
        port: u16,
        /// This computer's address on the network [default: the one its traffic leaves by].
        #[arg(long, value_name = "ADDR")]
        address: Option<String>,
    },
    /// Revoke a paired device by its number (from `supine devices`): it is signed out at its
    /// next request and must pair again.
    Revoke {
        /// The device's number.
        id: i64,
    },
}

/// `supine admin` subcommands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Add an account; asks for its password twice, without showing it.
    AddUser {
        /// The name to sign in with (1 to 64 characters).
        name: String,
        /// person, clinician or admin. Default: admin for the first account, person after.
        #[arg(long, value_enum)]
        role: Option<RoleArg>,
        /// Whose journal the account uses: `shared`, the journal of the person who runs
        /// supine (the profile `supine serve` is started for), or `own`, a journal of its
        /// own. Default: shared for the first account, own after.
        #[arg(long, value_enum)]
        journal: Option<JournalArg>,
        /// Read the password from the first line of standard input instead (for scripts).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Invite someone by link: they choose their own password. The link works once, for 7 days.
    Invite {
        /// The name they will sign in with (1 to 64 characters).
        name: String,
        /// person, clinician or admin.
        #[arg(long, value_enum, default_value = "person")]
        role: RoleArg,
        /// Whose journal the account uses (see add-user); default own.
        #[arg(long, value_enum, default_value = "own")]
        journal: JournalArg,
        /// A clinician who follows the new person.
        #[arg(long, value_name = "NAME")]
        clinician: Option<String>,
        /// The address people reach supine at, for the link.
        #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:8090")]
        url: String,
    },
    /// Let a clinician follow a person: the clinician sees their progress and sessions, and
    /// each look is written in the person's audit log, which they see.
    Assign {
        /// The clinician's account name.
        clinician: String,
        /// The person's account name.
        person: String,
    },
    /// Stop a clinician following a person.
    Unassign {
        /// The clinician's account name.
        clinician: String,
        /// The person's account name.
        person: String,
    },
    /// List the accounts: name, role and when each was added.
    ListUsers {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove an account; its sessions in a running server end at their next request.
    RemoveUser {
        /// The account's name.
        name: String,
    },
}

/// Whose journal an account uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum JournalArg {
    /// The journal of the person who runs supine.
    Shared,
    /// A journal of its own.
    Own,
}

/// An account's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Someone who practises.
    Person,
    /// Someone who follows people who practise.
    Clinician,
    /// Someone who manages accounts.
    Admin,
}

/// Options for `doctor`.
#[derive(Debug, Clone, Args)]
pub struct DoctorArgs {
    /// Print what was found as JSON.
    #[arg(long)]
    pub json: bool,
    /// The port to check for `supine serve`.
    #[arg(long, default_value_t = DEFAULT_PORT)]
    pub port: u16,
}

/// The port `supine serve` listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 8090;

/// Shells that `completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    /// GNU bash.
    Bash,
    /// zsh.
    Zsh,
    /// fish.
    Fish,
}

/// Options for `progress`.
#[derive(Debug, Clone, Args)]
pub struct ProgressArgs {
    /// Also draw the charts (pain trend, sessions per week, relief per session) to FILE.svg or
    /// FILE.png.
    #[arg(long, value_name = "FILE")]
    pub chart: Option<PathBuf>,
    /// Print every number as JSON.
    #[arg(long)]
    pub json: bool,
    /// The day to report as of (YYYY-MM-DD); default today.
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,
    /// How many weeks the terminal summary shows.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub weeks: usize,
}

/// Options for `psfs`.
#[derive(Debug, Clone, Args)]
pub struct PsfsArgs {
    /// An activity to score (repeat up to 3 times); replaces the remembered ones. Without it,
    /// supine asks about the activities you named last time, or asks you to name them.
    #[arg(long = "activity", value_name = "TEXT")]
    pub activities: Vec<String>,
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// One row per session.
    Csv,
    /// Everything, for `supine import`.
    Json,
    /// A FHIR R4 Bundle of Observations (pain scores, PSFS) for a clinician's system.
    Fhir,
}

/// Options for `export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// csv, json or fhir.
    #[arg(long, value_enum, default_value = "json")]
    pub format: ExportFormat,
    /// Write to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Options for `remind`.
#[derive(Debug, Clone, Args)]
pub struct RemindArgs {
    /// The time of day, 24-hour HH:MM, e.g. 19:30.
    #[arg(long, value_name = "HH:MM")]
    pub at: String,
    /// Where to write the event (`-` for standard output). Default:
    /// $XDG_DATA_HOME/supine/reminder.ics.
    #[arg(long, value_name = "FILE")]
    pub ics: Option<PathBuf>,
    /// The routine (default: the one you practise); the event lasts as long as it does.
    #[arg(long, value_name = "ID")]
    pub routine: Option<String>,
    /// Roughly how many minutes (default: what you practise).
    #[arg(long, value_name = "N", value_parser = parse_minutes)]
    pub minutes: Option<f64>,
}

/// A number of minutes within what any plan allows; what the routine can reach at the chosen
/// breath is checked once the breath is known (`practice::check_minutes`).
fn parse_minutes(s: &str) -> Result<f64, String> {
    let (lo, hi) = supine_core::plan::MINUTES_RANGE;
    let m: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("give a number of minutes from {lo} to {hi}"))?;
    if !(m.is_finite() && (lo..=hi).contains(&m)) {
        return Err(format!("give a number of minutes from {lo} to {hi}"));
    }
    Ok(m)
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
    /// Roughly how many minutes; the dose is scaled within safe bounds, so a routine reaches
    /// only so far (the built-in one 7.5 to 15.2 minutes at the default breath, 4 s in and 6 s
    /// out; longer at a slower breath). A length it cannot reach is refused, naming the range.
    #[arg(long, value_name = "N", value_parser = parse_minutes)]
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
    /// Use the easier version of every pose (remembered by practice).
    #[arg(long, overrides_with = "no_easier")]
    pub easier: bool,
    /// Back to the usual versions after `--easier`.
    #[arg(long, overrides_with = "easier")]
    pub no_easier: bool,
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
    /// Follow your movements with a camera (/dev/video0, in YUYV or MJPEG), or a video played
    /// as the camera in real time (y4m, or any video ffmpeg reads): the counts are what it sees.
    /// Frames stay in memory and are never written.
    #[arg(long, value_name = "CAMERA|FILE")]
    pub camera: Option<std::path::PathBuf>,
    /// Check the sound instead of practising: speak a sentence and play a chime, then say what
    /// worked, what did not, and how to fix it.
    #[arg(long)]
    pub test_sound: bool,
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
    #[arg(long, default_value_t = DEFAULT_PORT)]
    pub port: u16,
    /// Open the page in the browser (xdg-open).
    #[arg(long)]
    pub open: bool,
    /// Listen on this address instead of 127.0.0.1, e.g. 0.0.0.0 to open supine to your
    /// network on purpose: then everyone must sign in, so it needs an account first (`supine
    /// admin add-user`), and a warning is printed.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Serve HTTPS on your home network, so that a phone can be supine's screen and camera:
    /// listens on every address (or the one --listen names), makes a self-signed certificate
    /// on the first run (kept in $XDG_CONFIG_HOME/supine/tls; its fingerprint is printed),
    /// and prints a QR code that pairs a phone (once, within 5 minutes). Accounts, if any,
    /// may sign in too.
    #[arg(long)]
    pub lan: bool,
    /// Another host name the page may be reached by, e.g. yoga.local (repeatable). Given as
    /// NAME:PORT (clinic.example:443, 127.0.0.1:8000), it is a proxy's address in front of
    /// this server, accepted on that port only.
    #[arg(long = "host-name", value_name = "NAME[:PORT]")]
    pub host_names: Vec<String>,
    /// Run session time this many times faster (for tests).
    #[arg(long, hide = true)]
    pub speed: Option<f64>,
    /// When stopped (Ctrl+C, or SIGTERM from a service manager), wait up to this many seconds
    /// for the sessions going on to end before saving them and stopping; a second Ctrl+C
    /// stops at once. Nothing is lost either way.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub drain: u64,
    /// The most sessions going on at once on this server (a clinic's server may need more); a
    /// further one is refused until one ends.
    #[arg(long, value_name = "N",
          default_value_t = std::num::NonZeroUsize::new(supine_server::limits::LIVE_SESSIONS)
              .expect("LIVE_SESSIONS is above 0"))]
    pub live_sessions: std::num::NonZeroUsize,
    /// What the server logs on stderr: `warn` (problems only) on 127.0.0.1, `info` (a line
    /// per request: method, route, status and time, nothing personal) beyond it; or
    /// `error`, `debug`, `off`.
    #[arg(long, env = "SUPINE_LOG", value_name = "LEVEL")]
    pub log: Option<LogLevel>,
}

/// How much `supine serve` logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogLevel {
    /// Nothing.
    Off,
    /// Failures only.
    Error,
    /// Problems: failures, and what may need doing.
    Warn,
    /// A line per request (method, route, status, time), and the server's starts and stops.
    Info,
    /// More detail, for finding a fault.
    Debug,
}
