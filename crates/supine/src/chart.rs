//! Progress charts with plotters, as SVG or PNG: pain before sessions with its 7-day mean and the
//! meaningful-change markers, sessions per week, and relief per session.
//!
//! Text needs a font file: DejaVu Sans from Debian's `fonts-dejavu-core`
//! (`/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf`), or any TrueType font named by
//! `SUPINE_FONT`. It is read at run time, never downloaded.

use std::path::Path;
use std::sync::OnceLock;

use anyhow::{Context, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use supine_core::progress::{Change, Day, Progress, ReliefPoint};

use crate::progress_cmd::chart_kind;

const WIDTH: u32 = 1200;
const HEIGHT: u32 = 1000;
const DEFAULT_FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// The charts show the last 26 weeks: long enough to see a trend, short enough that each week's
/// bar and each session's relief stay visible (10 years of bars would be thinner than a pixel).
pub const CHART_DAYS: i32 = 26 * 7;

/// Colours, chosen to read well on white and for colour-blind people (Okabe-Ito).
const DAILY: RGBColor = RGBColor(153, 153, 153);
const MEAN: RGBColor = RGBColor(0, 114, 178);
const BETTER: RGBColor = RGBColor(0, 158, 115);
const WORSE: RGBColor = RGBColor(213, 94, 0);
const BARS: RGBColor = RGBColor(86, 180, 233);

fn register_font() -> anyhow::Result<()> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        let path = std::env::var("SUPINE_FONT").unwrap_or_else(|_| DEFAULT_FONT.to_owned());
        let bytes = std::fs::read(&path).map_err(|e| {
            format!(
                "charts need a font and {path} cannot be read ({e}); install it \
                 (apt-get install fonts-dejavu-core) or set SUPINE_FONT to a .ttf file"
            )
        })?;
        // Registered once for the life of the process, as plotters requires.
        let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
            .map_err(|_| format!("{path} is not a TrueType font that charts can use"))
    })
    .clone()
    .map_err(|e| anyhow!(e))
}

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("{e}")
}

/// The part of the report the charts show: the last [`CHART_DAYS`] days up to `today`.
pub fn recent(p: &Progress) -> Progress {
    let from = p.today.0 - CHART_DAYS + 1;
    let mut r = p.clone();
    r.pain.retain(|pt| pt.day.0 >= from);
    r.weeks.retain(|w| w.start.0 + 6 >= from);
    r.relief.retain(|x| x.day.0 >= from);
    r
}

/// Draws the three charts into one image; the format follows the extension (.svg or .png).
pub fn draw(path: &Path, p: &Progress) -> anyhow::Result<()> {
    let kind = chart_kind(path)?;
    let p = &recent(p);
    register_font()?;
    let what = || format!("cannot write the chart {}", path.display());
    match kind {
        "svg" => {
            let root = SVGBackend::new(path, (WIDTH, HEIGHT)).into_drawing_area();
            draw_on(&root, p).with_context(what)?;
            root.present().map_err(err).with_context(what)
        }
        _ => {
            let root = BitMapBackend::new(path, (WIDTH, HEIGHT)).into_drawing_area();
            draw_on(&root, p).with_context(what)?;
            root.present().map_err(err).with_context(what)
        }
    }
}

fn draw_on<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, p: &Progress) -> anyhow::Result<()> {
    root.fill(&WHITE).map_err(err)?;
    let areas = root.split_evenly((3, 1));
    pain_chart(&areas[0], p)?;
    weeks_chart(&areas[1], p)?;
    relief_chart(&areas[2], p)?;
    Ok(())
}

fn day_label(d: &i32) -> String {
    Day(*d).to_string()
}

/// The x range for a list of days, at least a week wide.
fn day_range(first: i32, last: i32) -> std::ops::Range<i32> {
    first - 1..(last + 1).max(first + 7)
}

fn empty_note<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    note: &str,
) -> anyhow::Result<()> {
    area.titled(title, ("sans-serif", 22)).map_err(err)?;
    area.draw_text(
        note,
        &("sans-serif", 16).into_font().color(&DAILY),
        (40, 60),
    )
    .map_err(err)?;
    Ok(())
}

fn pain_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &Progress,
) -> anyhow::Result<()> {
    let title = "Pain before sessions (0-10), with 7-day mean, last 26 weeks";
    let (Some(first), Some(last)) = (p.pain.first(), p.pain.last()) else {
        return empty_note(area, title, "No pain scores yet.");
    };
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 22))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(40)
        .build_cartesian_2d(day_range(first.day.0, last.day.0), 0f64..10.5)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_labels(8)
        .x_label_formatter(&day_label)
        .y_labels(6)
        .y_desc("pain")
        .light_line_style(WHITE)
        .draw()
        .map_err(err)?;
    if let Some(b) = p.baseline {
        chart
            .draw_series(LineSeries::new(
                [(first.day.0, b), (last.day.0, b)],
                DAILY.stroke_width(1),
            ))
            .map_err(err)?
            .label(format!("first week {b:.1}"))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], DAILY.stroke_width(1)));
    }
    chart
        .draw_series(
            p.pain
                .iter()
                .map(|pt| Circle::new((pt.day.0, pt.pain), 2, DAILY.filled())),
        )
        .map_err(err)?
        .label("each day")
        .legend(|(x, y)| Circle::new((x + 10, y), 3, DAILY.filled()));
    chart
        .draw_series(LineSeries::new(
            p.pain.iter().map(|pt| (pt.day.0, pt.rolling_mean)),
            MEAN.stroke_width(3),
        ))
        .map_err(err)?
        .label("7-day mean")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], MEAN.stroke_width(3)));
    for pt in p.pain.iter().filter(|pt| pt.marker.is_some()) {
        // Above the line for a change, below it where a change stops being meaningful.
        let (color, text, dy) = match pt.change {
            Change::Better => (BETTER, "better", -24),
            Change::Worse => (WORSE, "worse", -24),
            Change::Same => (DAILY, "no longer meaningful", 10),
        };
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((pt.day.0, pt.rolling_mean))
                    + TriangleMarker::new((0, 0), 9, color.filled())
                    + Text::new(
                        text.to_owned(),
                        (8, dy),
                        ("sans-serif", 15).into_font().color(&color),
                    ),
            ))
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(DAILY)
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    Ok(())
}

fn weeks_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &Progress,
) -> anyhow::Result<()> {
    let title = "Sessions per week";
    let (Some(first), Some(last)) = (p.weeks.first(), p.weeks.last()) else {
        return empty_note(area, title, "No sessions yet.");
    };
    let top = p.weeks.iter().map(|w| w.sessions).max().unwrap_or(0).max(7) + 1;
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 22))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(40)
        .build_cartesian_2d(first.start.0 - 1..last.start.0 + 8, 0u32..top)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_labels(8)
        .x_label_formatter(&day_label)
        .y_desc("sessions")
        .light_line_style(WHITE)
        .draw()
        .map_err(err)?;
    chart
        .draw_series(p.weeks.iter().filter(|w| w.sessions > 0).map(|w| {
            let mut bar =
                Rectangle::new([(w.start.0, 0), (w.start.0 + 6, w.sessions)], BARS.filled());
            bar.set_margin(0, 0, 1, 1);
            bar
        }))
        .map_err(err)?;
    Ok(())
}

fn relief_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &Progress,
) -> anyhow::Result<()> {
    // Darker: meaningfully better (green) or meaningfully worse (orange), alike.
    let title = "Relief per session (pain before minus after; darker = meaningful)";
    if p.relief.is_empty() {
        return empty_note(area, title, "No sessions with pain before and after yet.");
    }
    let lo = p.relief.iter().map(|r| r.relief).min().unwrap_or(0).min(-1) - 1;
    let hi = p.relief.iter().map(|r| r.relief).max().unwrap_or(0).max(3) + 1;
    let n = p.relief.len() as i32;
    let label = |i: &i32| {
        usize::try_from(*i)
            .ok()
            .and_then(|i| p.relief.get(i))
            .map_or_else(String::new, |r| r.day.to_string())
    };
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 22))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(40)
        .build_cartesian_2d(-1..n, lo..hi)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_labels(8)
        .x_label_formatter(&label)
        .y_desc("points")
        .light_line_style(WHITE)
        .draw()
        .map_err(err)?;
    chart
        .draw_series(LineSeries::new([(-1, 0), (n, 0)], BLACK.stroke_width(1)))
        .map_err(err)?;
    chart
        .draw_series(
            p.relief
                .iter()
                .enumerate()
                .filter(|(_, r)| r.relief != 0)
                .map(|(i, r)| {
                    let i = i as i32;
                    let (color, meaningful) = relief_style(r);
                    let style = if meaningful {
                        color.filled()
                    } else {
                        color.mix(0.5).filled()
                    };
                    let mut bar = Rectangle::new([(i, 0), (i + 1, r.relief)], style);
                    bar.set_margin(0, 0, 1, 1);
                    bar
                }),
        )
        .map_err(err)?;
    Ok(())
}

/// A relief bar's colour (by which way the pain went) and whether the change is meaningful:
/// pain meaningfully worse after a session is shown as plainly as pain meaningfully better.
fn relief_style(r: &ReliefPoint) -> (RGBColor, bool) {
    let color = if r.relief > 0 { BETTER } else { WORSE };
    (color, r.change != Change::Same)
}

#[cfg(test)]
mod tests {
    use super::*;
    use supine_core::progress::{SessionPoint, progress};

    #[test]
    fn worse_after_a_session_is_drawn_as_plainly_as_better() {
        let day = Day::parse("2026-11-20").unwrap();
        let point = |before, after| SessionPoint {
            day,
            practised: true,
            minutes: 10.0,
            pain_before: Some(before),
            pain_after: Some(after),
        };
        let p = progress(&[point(6, 8), point(6, 4), point(6, 7)], &[], day);
        let styles: Vec<_> = p.relief.iter().map(relief_style).collect();
        assert_eq!(styles, [(WORSE, true), (BETTER, true), (WORSE, false)]);
    }
}
