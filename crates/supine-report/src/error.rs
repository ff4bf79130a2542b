//! The one error type of this crate.

use std::path::PathBuf;

/// Why a chart, an export or a reminder could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file could not be read or written.
    #[error("cannot {action} {}", path.display())]
    File {
        /// `"read"` or `"write"`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The CSV could not be written.
    #[error("cannot write the CSV")]
    Csv(#[from] csv::Error),
    /// An import file over the size limit.
    #[error(transparent)]
    Import(#[from] supine_store::archive::ImportError),
    /// A time of day that is not 24-hour `HH:MM`.
    #[error("{0:?} is not a time like 19:30 (24-hour HH:MM)")]
    BadTime(String),
    /// A chart file whose name ends in neither `.svg` nor `.png`.
    #[error("--chart {} must end in .svg or .png", .0.display())]
    ChartKind(PathBuf),
    /// The chart font is missing or cannot be used; the text says which file.
    #[error("{0}")]
    Font(String),
    /// An SVG that cannot be drawn.
    #[error("cannot draw the chart: {0}")]
    Render(String),
    /// Drawing or writing the chart failed.
    #[error("cannot write the chart {}: {message}", path.display())]
    Chart {
        /// The chart file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}
