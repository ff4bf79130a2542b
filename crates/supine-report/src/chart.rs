//! The progress charts, drawn once for every front end: SVG from the numbers of
//! `supine_core::progress`, styled by CSS classes (`axis`, `grid`, `line before`, `bar worse`,
//! `marker better`, ...). The web page places each chart inline and styles it with its own
//! theme; `supine progress --chart` puts three of them in one document with [`STYLE`] and, for
//! PNG, rasterises that same SVG with resvg.
//!
//! PNG text needs a font file: DejaVu Sans from Debian's `fonts-dejavu-core`
//! (`/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf`), or any TrueType font named by
//! `SUPINE_FONT`. It is read at run time, never downloaded; SVG needs none (the viewer draws
//! the text).

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use resvg::{tiny_skia, usvg};
use supine_core::progress::{Change, Day, PainPoint, Progress, ReliefPoint, WeekTotal};

use crate::ReportError;

const DEFAULT_FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// The trend shows the last 26 weeks: long enough to see a trend, short enough that each day
/// stays visible (10 years of days would be thinner than a pixel).
pub const CHART_DAYS: i32 = 26 * 7;
/// Sessions shown on the before/after and relief charts, the latest ones.
pub const CHART_SESSIONS: usize = 30;
/// Weeks shown on the sessions-per-week chart.
pub const CHART_WEEKS: usize = 8;

/// The charts' look when they stand alone (the page has its own, in `web/style.css`, with the
/// same font sizes): Okabe-Ito colours, which read well on white and for colour-blind people.
pub const STYLE: &str = "text{font-family:'DejaVu Sans',sans-serif;font-size:22px;fill:#222}\
.axis{fill:#555;font-size:18px}.muted{fill:#555;font-size:24px}.heading{font-size:20px;fill:#222}\
.grid{stroke:#bbb;stroke-width:1}.line{fill:none;stroke-width:3}\
.line.before{stroke:#d55e00}.line.after{stroke:#009e73}.line.mean{stroke:#0072b2}\
.dot.before{fill:#d55e00}.dot.after{fill:#009e73}.dot.daily{fill:#999;opacity:.6}\
.bar{fill:#56b4e9}.bar.worse{fill:#d55e00}\
.marker{stroke:#fff;stroke-width:2}.marker.better{fill:#009e73}.marker.worse{fill:#d55e00}\
.marker.same{fill:#999}";

/// Plain words for a meaningful-change marker on the pain trend.
pub fn marker_message(change: Change) -> &'static str {
    match change {
        Change::Better => "meaningfully better than the first week (2 points or 30%)",
        Change::Worse => "meaningfully worse than the first week",
        Change::Same => "no longer a meaningful change from the first week",
    }
}

/// The chrono date for a core day (for month and weekday names).
fn date(d: Day) -> NaiveDate {
    let (y, m, day) = d.ymd();
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
}

/// The part of the report the charts show: the trend's last [`CHART_DAYS`] days up to `today`,
/// the last [`CHART_WEEKS`] weeks and the last [`CHART_SESSIONS`] sessions with pain before and
/// after.
pub fn recent(p: &Progress) -> Progress {
    let from = p.today.0 - CHART_DAYS + 1;
    let mut r = p.clone();
    r.pain.retain(|pt| pt.day.0 >= from);
    r.weeks.drain(..r.weeks.len().saturating_sub(CHART_WEEKS));
    r.relief
        .drain(..r.relief.len().saturating_sub(CHART_SESSIONS));
    r
}

/// A chart's view box: width and height in SVG units.
pub const W: f64 = 600.0;
/// See [`W`].
pub const H: f64 = 240.0;
const PAD_L: f64 = 52.0;
const PAD_R: f64 = 16.0;
const PAD_T: f64 = 30.0;
const PAD_B: f64 = 44.0;

fn open(title: &str, desc: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" role=\"img\" \
         class=\"chart\"><title>{}</title><desc>{}</desc>",
        esc(title),
        esc(desc)
    )
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn empty(title: &str) -> String {
    let mut s = open(title, "No sessions with pain scores yet.");
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"{}\" class=\"muted\" text-anchor=\"middle\">No sessions yet</text></svg>",
        W / 2.0,
        H / 2.0
    );
    s
}

/// y for a 0-10 pain score.
fn y10(v: f64) -> f64 {
    PAD_T + (H - PAD_T - PAD_B) * (1.0 - v / 10.0)
}

fn pain_axis(s: &mut String) {
    for v in [0, 5, 10] {
        let y = y10(f64::from(v));
        let _ = write!(
            s,
            "<line x1=\"{PAD_L}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\" class=\"grid\"/>\
             <text x=\"{}\" y=\"{}\" class=\"axis\" text-anchor=\"end\">{v}</text>",
            W - PAD_R,
            PAD_L - 8.0,
            y + 5.0
        );
    }
}

fn x_at(i: usize, n: usize) -> f64 {
    if n <= 1 {
        (PAD_L + W - PAD_R) / 2.0
    } else {
        PAD_L + (W - PAD_L - PAD_R) * i as f64 / (n - 1) as f64
    }
}

fn short(d: Day) -> String {
    date(d).format("%-d %b").to_string()
}

/// Pain before and after each session, as two lines of dots.
pub fn pain(points: &[ReliefPoint]) -> String {
    let title = "Pain before and after each session";
    if points.is_empty() {
        return empty(title);
    }
    let desc = points
        .iter()
        .map(|p| format!("{}: {} before, {} after", short(p.day), p.before, p.after))
        .collect::<Vec<_>>()
        .join("; ");
    let mut s = open(title, &desc);
    pain_axis(&mut s);
    let n = points.len();
    for (class, get) in [
        (
            "before",
            (|p: &ReliefPoint| p.before) as fn(&ReliefPoint) -> u8,
        ),
        ("after", |p: &ReliefPoint| p.after),
    ] {
        let pts: Vec<String> = points
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{:.1},{:.1}", x_at(i, n), y10(f64::from(get(p)))))
            .collect();
        let _ = write!(
            s,
            "<polyline points=\"{}\" class=\"line {class}\"/>",
            pts.join(" ")
        );
        for (i, p) in points.iter().enumerate() {
            let _ = write!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"7\" class=\"dot {class}\"/>",
                x_at(i, n),
                y10(f64::from(get(p)))
            );
        }
    }
    for (i, p) in points.iter().enumerate() {
        if n <= 8 || i == 0 || i == n - 1 {
            // The end labels lean inwards so that they are never cut off.
            let anchor = match i {
                _ if n == 1 => "middle",
                0 => "start",
                _ if i == n - 1 => "end",
                _ => "middle",
            };
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{}\" class=\"axis\" text-anchor=\"{anchor}\">{}</text>",
                x_at(i, n),
                H - 10.0,
                short(p.day)
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// A generous width for an axis label (18 px text): DejaVu Sans's widest digits and letters
/// are about 0.7 em; most are narrower.
fn label_width(text: &str) -> f64 {
    text.chars().count() as f64 * 0.7 * 18.0
}

/// Bars with their values; `marks` puts a diamond on the bars whose change is meaningful
/// (above a bar that went up, below one that went down), with the word beside it.
fn bars(
    title: &str,
    desc: &str,
    labels: &[String],
    values: &[f64],
    marks: &[Option<Change>],
    max: f64,
) -> String {
    let mut s = open(title, desc);
    let n = values.len().max(1);
    let slot = ((W - PAD_L - PAD_R) / n as f64).min(120.0);
    let zero = PAD_T + (H - PAD_T - PAD_B) * max / (2.0 * max).max(1.0);
    let signed = values.iter().any(|v| *v < 0.0);
    let base = if signed { zero } else { H - PAD_B };
    let scale = if signed {
        (H - PAD_T - PAD_B) / (2.0 * max).max(1.0)
    } else {
        (H - PAD_T - PAD_B) / max.max(1.0)
    };
    let _ = write!(
        s,
        "<line x1=\"{PAD_L}\" x2=\"{}\" y1=\"{base}\" y2=\"{base}\" class=\"grid\"/>",
        W - PAD_R
    );
    for (i, v) in values.iter().enumerate() {
        let x = PAD_L + slot * i as f64 + slot * 0.2;
        let x = if n * 120 < 500 {
            x + (W - PAD_L - PAD_R - slot * n as f64) / 2.0
        } else {
            x
        };
        let h = v.abs() * scale;
        let y = if *v >= 0.0 { base - h } else { base };
        let class = if *v < 0.0 { "bar worse" } else { "bar" };
        let _ = write!(
            s,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{h:.1}\" rx=\"4\" class=\"{class}\"/>",
            slot * 0.6
        );
        let mark = marks
            .get(i)
            .copied()
            .flatten()
            .filter(|m| *m != Change::Same);
        if *v != 0.0 {
            let ty = if *v >= 0.0 { y - 6.0 } else { y + h + 16.0 };
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{ty:.1}\" class=\"axis\" text-anchor=\"middle\">{v}</text>",
                x + slot * 0.3
            );
        }
        if let Some(change) = mark {
            // Past the value's label: above a bar that went up, below one that went down;
            // the word too where the bars are wide enough for it.
            let up = *v >= 0.0;
            let cx = x + slot * 0.3;
            let cy = if up { y - 30.0 } else { y + h + 30.0 };
            let word = match change {
                Change::Worse => "worse",
                _ => "better",
            };
            let _ = write!(
                s,
                "<path d=\"M{cx:.1},{:.1} L{:.1},{cy:.1} L{cx:.1},{:.1} L{:.1},{cy:.1} Z\" \
                 class=\"marker {word}\"><title>meaningfully {word}</title></path>",
                cy - 7.0,
                cx + 7.0,
                cy + 7.0,
                cx - 7.0,
            );
            if n <= 8 {
                let wy = if up { cy - 12.0 } else { cy + 22.0 };
                let _ = write!(
                    s,
                    "<text x=\"{cx:.1}\" y=\"{wy:.1}\" class=\"axis\" text-anchor=\"middle\">{word}</text>"
                );
            }
        }
        if let Some(l) = labels.get(i).filter(|l| !l.is_empty()) {
            // Under its bar, moved in just enough at the ends to be drawn whole.
            let half = label_width(l) / 2.0;
            let cx = (x + slot * 0.3).clamp(half + 2.0, W - half - 2.0);
            let _ = write!(
                s,
                "<text x=\"{cx:.1}\" y=\"{}\" class=\"axis\" text-anchor=\"middle\">{}</text>",
                H - 10.0,
                esc(l)
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// Sessions per week, as bars.
pub fn weeks(weeks: &[WeekTotal]) -> String {
    if weeks.is_empty() {
        return empty("Sessions per week");
    }
    let labels: Vec<String> = weeks.iter().map(|w| short(w.start)).collect();
    let values: Vec<f64> = weeks.iter().map(|w| f64::from(w.sessions)).collect();
    let desc = weeks
        .iter()
        .map(|w| format!("week of {}: {}", short(w.start), w.sessions))
        .collect::<Vec<_>>()
        .join("; ");
    let max = values.iter().copied().fold(1.0, f64::max);
    bars("Sessions per week", &desc, &labels, &values, &[], max)
}

/// Relief per session (pain before minus after), as bars up or down, the meaningful ones
/// marked.
pub fn relief(points: &[ReliefPoint]) -> String {
    let title = "Relief per session (pain before minus after)";
    if points.is_empty() {
        return empty(title);
    }
    let labels: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if points.len() <= 8 || i == 0 || i == points.len() - 1 {
                short(p.day)
            } else {
                String::new()
            }
        })
        .collect();
    let values: Vec<f64> = points.iter().map(|p| f64::from(p.relief)).collect();
    let marks: Vec<Option<Change>> = points.iter().map(|p| Some(p.change)).collect();
    let desc = points
        .iter()
        .map(|p| {
            let mark = match p.change {
                Change::Better => " (meaningfully better)",
                Change::Worse => " (meaningfully worse)",
                Change::Same => "",
            };
            format!("{}: {}{mark}", short(p.day), p.relief)
        })
        .collect::<Vec<_>>()
        .join("; ");
    let max = values.iter().map(|v| v.abs()).fold(1.0, f64::max);
    // Room above and below the bars for the marks.
    let max = if points.iter().any(|p| p.change != Change::Same) {
        max * 1.6
    } else {
        max
    };
    bars(title, &desc, &labels, &values, &marks, max)
}

/// Daily pain before sessions (dots), its 7-day mean (a line), the first week's mean (a
/// labelled line across, when there is one) and a diamond where the mean crosses a meaningful
/// change from the first week.
pub fn trend(points: &[PainPoint], baseline: Option<f64>) -> String {
    let title = "Pain before sessions: each day and the 7-day mean";
    if points.is_empty() {
        return empty(title);
    }
    let desc = points
        .iter()
        .map(|p| {
            let mark = match p.marker {
                Some(Change::Better) => ", meaningfully better",
                Some(Change::Worse) => ", meaningfully worse",
                Some(Change::Same) => ", no longer a meaningful change",
                None => "",
            };
            format!(
                "{}: {:.1}, 7-day mean {:.1}{mark}",
                short(p.day),
                p.pain,
                p.rolling_mean
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let mut s = open(title, &desc);
    pain_axis(&mut s);
    if let Some(b) = baseline {
        // The label sits on its line, at the right, where the y axis's numbers are not.
        let y = y10(b);
        let _ = write!(
            s,
            "<line x1=\"{PAD_L}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" class=\"grid baseline\" \
             stroke-dasharray=\"6 4\"/><text x=\"{}\" y=\"{:.1}\" class=\"axis\" \
             text-anchor=\"end\">first week {b:.1}</text>",
            W - PAD_R,
            W - PAD_R,
            y - 6.0
        );
    }
    // Days are placed by date, so gaps between scores show as gaps.
    let (first, last) = (points[0].day.0, points[points.len() - 1].day.0);
    let span = usize::try_from(last - first).unwrap_or(0);
    let x = |d: Day| x_at(usize::try_from(d.0 - first).unwrap_or(0), span + 1);
    for p in points {
        let _ = write!(
            s,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" class=\"dot daily\"/>",
            x(p.day),
            y10(p.pain)
        );
    }
    let pts: Vec<String> = points
        .iter()
        .map(|p| format!("{:.1},{:.1}", x(p.day), y10(p.rolling_mean)))
        .collect();
    let _ = write!(
        s,
        "<polyline points=\"{}\" class=\"line mean\"/>",
        pts.join(" ")
    );
    for p in points {
        let Some(change) = p.marker else { continue };
        let (cx, cy) = (x(p.day), y10(p.rolling_mean));
        let class = match change {
            Change::Better => "better",
            Change::Worse => "worse",
            Change::Same => "same",
        };
        let _ = write!(
            s,
            "<path d=\"M{cx:.1},{:.1} L{:.1},{cy:.1} L{cx:.1},{:.1} L{:.1},{cy:.1} Z\" \
             class=\"marker {class}\"><title>{}: {}</title></path>",
            cy - 10.0,
            cx + 10.0,
            cy + 10.0,
            cx - 10.0,
            short(p.day),
            esc(marker_message(change))
        );
    }
    for (i, p) in [points.first(), points.last()]
        .into_iter()
        .flatten()
        .enumerate()
    {
        if i == 1 && points.len() == 1 {
            break;
        }
        let anchor = match i {
            _ if points.len() == 1 => "middle",
            0 => "start",
            _ => "end",
        };
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{}\" class=\"axis\" text-anchor=\"{anchor}\">{}</text>",
            x(p.day),
            H - 10.0,
            short(p.day)
        );
    }
    s.push_str("</svg>");
    s
}

/// The streak calendar: one square per day, Monday first, the practised ones filled.
pub fn calendar(days: &[(Day, bool)], today: Day) -> String {
    let done = days.iter().filter(|(_, b)| *b).count();
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 400 300\" role=\"img\" \
         class=\"chart calendar\"><title>The last five weeks</title><desc>{done} of {} days with a session</desc>",
        days.len()
    );
    for (i, name) in ["M", "T", "W", "T", "F", "S", "S"].iter().enumerate() {
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"20\" class=\"axis\" text-anchor=\"middle\">{name}</text>",
            30 + i * 56
        );
    }
    for (i, (d, on)) in days.iter().enumerate() {
        let (col, row) = (i % 7, i / 7);
        let (x, y) = (8 + col * 56, 32 + row * 52);
        let mut class = String::from(if *on { "day on" } else { "day" });
        if *d == today {
            class.push_str(" today");
        }
        if *d > today {
            class.push_str(" future");
        }
        let _ = write!(
            s,
            "<rect x=\"{x}\" y=\"{y}\" width=\"44\" height=\"44\" rx=\"8\" class=\"{class}\"><title>{}{}</title></rect>\
             <text x=\"{}\" y=\"{}\" class=\"daynum\" text-anchor=\"middle\">{}</text>",
            date(*d).format("%A %-d %B"),
            if *on { ": practised" } else { "" },
            x + 22,
            y + 28,
            date(*d).day()
        );
    }
    s.push_str("</svg>");
    s
}

/// The three charts of `supine progress --chart` (pain trend, sessions per week, relief per
/// session) over [`recent`] data, one under the other, each under its heading, on white: one
/// standalone SVG document.
pub fn document(p: &Progress) -> String {
    let p = recent(p);
    let charts = [
        (
            "Pain before sessions, 7-day mean, last 26 weeks",
            trend(&p.pain, p.baseline),
        ),
        ("Sessions per week", weeks(&p.weeks)),
        ("Relief per session (before minus after)", relief(&p.relief)),
    ];
    let band = 40.0;
    let height = (H + band) * charts.len() as f64;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{height}\" \
         viewBox=\"0 0 {W} {height}\"><style>{STYLE}</style>\
         <rect width=\"{W}\" height=\"{height}\" fill=\"#fff\"/>"
    );
    for (i, (heading, chart)) in charts.iter().enumerate() {
        let top = (H + band) * i as f64;
        let _ = write!(
            s,
            "<text x=\"12\" y=\"{:.1}\" class=\"heading\">{}</text>",
            top + 28.0,
            esc(heading)
        );
        // Each chart keeps its own view box, placed below its heading.
        let placed = chart.replacen(
            "<svg ",
            &format!(
                "<svg x=\"0\" y=\"{:.1}\" width=\"{W}\" height=\"{H}\" ",
                top + band
            ),
            1,
        );
        s.push_str(&placed);
    }
    s.push_str("</svg>");
    s
}

/// The font file the charts draw PNG text with (`SUPINE_FONT`, else DejaVu Sans), when it can
/// be read and is a TrueType or OpenType font.
pub fn font_path() -> Result<PathBuf, ReportError> {
    font().map(|(path, _)| path)
}

/// The chart font's file and bytes.
pub fn font() -> Result<(PathBuf, Vec<u8>), ReportError> {
    let path = std::env::var("SUPINE_FONT").unwrap_or_else(|_| DEFAULT_FONT.to_owned());
    let bytes = std::fs::read(&path)
        .map_err(|e| ReportError::Font(format!("{path} cannot be read ({e})")))?;
    let magic = bytes.get(..4).unwrap_or_default();
    if ![&[0, 1, 0, 0][..], b"true", b"OTTO"].contains(&magic) {
        return Err(ReportError::Font(format!(
            "{path} is not a TrueType or OpenType font"
        )));
    }
    Ok((path.into(), bytes))
}

/// How many pixels a PNG has per SVG unit: a 600-unit-wide chart becomes 1200 pixels.
const PNG_SCALE: f32 = 2.0;

/// Parses an SVG document with `font` as its only font (every family resolves to it).
pub fn parse(svg: &str, font: Vec<u8>) -> Result<usvg::Tree, ReportError> {
    let fail = |e: &str| ReportError::Render(e.to_owned());
    let mut db = usvg::fontdb::Database::new();
    db.load_font_data(font);
    let family = db
        .faces()
        .next()
        .and_then(|f| f.families.first())
        .map(|(name, _)| name.clone())
        .ok_or_else(|| fail("the font file holds no font face"))?;
    db.set_sans_serif_family(family.clone());
    let options = usvg::Options {
        font_family: family,
        fontdb: Arc::new(db),
        ..usvg::Options::default()
    };
    usvg::Tree::from_str(svg, &options).map_err(|e| fail(&e.to_string()))
}

/// Rasterises an SVG document to PNG bytes at twice its size, text in `font`.
pub fn png(svg: &str, font: Vec<u8>) -> Result<Vec<u8>, ReportError> {
    let fail = |e: &str| ReportError::Render(e.to_owned());
    let tree = parse(svg, font)?;
    let size = tree
        .size()
        .to_int_size()
        .scale_by(PNG_SCALE)
        .ok_or_else(|| fail("the chart has no size"))?;
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| fail("the chart is too large"))?;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(PNG_SCALE, PNG_SCALE),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| fail(&e.to_string()))
}

/// The chart format a path asks for by its extension: `"svg"` or `"png"`. Checked before any
/// work is done.
pub fn chart_kind(path: &Path) -> Result<&'static str, ReportError> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("svg") => Ok("svg"),
        Some("png") => Ok("png"),
        _ => Err(ReportError::ChartKind(path.to_path_buf())),
    }
}

/// Writes [`document`] to `path`, as SVG or, rasterised, as PNG (by the extension); whole or
/// not at all.
pub fn draw(path: &Path, p: &Progress) -> Result<(), ReportError> {
    let kind = chart_kind(path)?;
    let svg = document(p);
    let bytes = match kind {
        "svg" => svg.into_bytes(),
        _ => {
            let (_, font) = font().map_err(|e| {
                ReportError::Font(format!(
                    "PNG charts need a font and {e}; install it (apt-get install \
                     fonts-dejavu-core), set SUPINE_FONT to a .ttf file, or write an .svg"
                ))
            })?;
            png(&svg, font).map_err(|e| ReportError::Chart {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?
        }
    };
    crate::export::write_whole(path, &bytes)
}
