//! The charts' text, measured where a reader sees it: each SVG parsed with DejaVu Sans (as the
//! PNG is drawn), every text's box inside its chart, the date labels apart, each relief date
//! under its own bar, and a legend only for what is drawn.

use resvg::usvg;
use supine_core::progress::{Day, Progress, SessionPoint, progress};
use supine_report::chart::{self, H, W};

fn font() -> Vec<u8> {
    let (_, bytes) = chart::font().unwrap_or_else(|e| {
        panic!("these tests measure text in DejaVu Sans: {e} (apt-get install fonts-dejavu-core)")
    });
    bytes
}

/// Every drawn text of an SVG document: its words and its box (x0, y0, x1, y1).
fn texts(svg: &str) -> Vec<(String, [f32; 4])> {
    fn walk(g: &usvg::Group, out: &mut Vec<(String, [f32; 4])>) {
        for node in g.children() {
            match node {
                usvg::Node::Group(g) => walk(g, out),
                usvg::Node::Text(t) => {
                    let words: String = t.chunks().iter().map(|c| c.text()).collect();
                    let b = t.abs_bounding_box();
                    out.push((words, [b.left(), b.top(), b.right(), b.bottom()]));
                }
                _ => {}
            }
        }
    }
    let tree = chart::parse(svg, font()).unwrap();
    let mut out = Vec::new();
    walk(tree.root(), &mut out);
    out
}

fn inside(chart: &str, svg: &str, width: f32, height: f32) {
    let found = texts(svg);
    assert!(!found.is_empty(), "{chart} draws no text");
    for (words, [x0, y0, x1, y1]) in &found {
        assert!(
            *x0 >= 0.0 && *x1 <= width && *y0 >= 0.0 && *y1 <= height,
            "{chart}: {words:?} at {x0:.0}..{x1:.0} x {y0:.0}..{y1:.0} leaves the \
             {width}x{height} chart"
        );
    }
}

/// The texts along the bottom (the date labels), left to right.
fn bottom_labels(svg: &str) -> Vec<(String, [f32; 4])> {
    let mut v: Vec<_> = texts(svg)
        .into_iter()
        .filter(|(_, b)| b[1] > H as f32 - 30.0)
        .collect();
    v.sort_by(|a, b| a.1[0].total_cmp(&b.1[0]));
    v
}

fn apart(chart: &str, labels: &[(String, [f32; 4])]) {
    for pair in labels.windows(2) {
        assert!(
            pair[0].1[2] + 4.0 <= pair[1].1[0],
            "{chart}: {:?} and {:?} overlap",
            pair[0].0,
            pair[1].0
        );
    }
}

/// A date label as the charts write it: day and month, one space between.
fn is_date(words: &str) -> bool {
    let mut parts = words.split(' ');
    let (Some(d), Some(m), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    (1..=2).contains(&d.len())
        && d.bytes().all(|b| b.is_ascii_digit())
        && m.len() == 3
        && m.starts_with(|c: char| c.is_ascii_uppercase())
}

/// Sessions every day from `from` for `days` days, pain before from `before(i)`, 2 less after;
/// reported on the last day.
fn history(from: &str, days: i32, before: impl Fn(i32) -> u8) -> Progress {
    let first = Day::parse(from).unwrap();
    let points: Vec<SessionPoint> = (0..days)
        .map(|i| SessionPoint {
            day: first.plus(i),
            practised: true,
            minutes: 10.0,
            pain_before: Some(before(i)),
            pain_after: Some(before(i).saturating_sub(if i % 3 == 0 { 3 } else { 1 })),
        })
        .collect();
    progress(&points, &[], first.plus(days - 1))
}

#[test]
fn every_text_stays_inside_its_chart_at_the_month_end_and_over_years() {
    // The last label is "1 Dec": in plotters it was cut off at the right edge.
    for p in [
        history("2026-10-01", 62, |i| if i < 7 { 6 } else { 3 }),
        history("2016-12-01", 3653, |i| u8::try_from(2 + i % 7).unwrap()),
        history("2026-12-01", 1, |_| 5),
    ] {
        let shown = chart::recent(&p);
        let (w, h) = (W as f32, H as f32);
        inside("trend", &chart::trend(&shown.pain, shown.baseline), w, h);
        inside("pain", &chart::pain(&shown.relief), w, h);
        inside("weeks", &chart::weeks(&shown.weeks), w, h);
        inside("relief", &chart::relief(&shown.relief), w, h);
        let doc = chart::document(&p);
        inside("the --chart document", &doc, w, 3.0 * (h + 40.0));
    }
}

#[test]
fn date_labels_are_dates_set_apart_and_the_last_one_is_drawn_whole() {
    let p = history("2026-10-01", 62, |i| if i < 7 { 6 } else { 3 });
    let shown = chart::recent(&p);
    for (name, svg) in [
        ("trend", chart::trend(&shown.pain, shown.baseline)),
        ("pain", chart::pain(&shown.relief)),
        ("weeks", chart::weeks(&shown.weeks)),
        ("relief", chart::relief(&shown.relief)),
    ] {
        let labels = bottom_labels(&svg);
        assert!(labels.len() >= 2, "{name}: {labels:?}");
        for (words, _) in &labels {
            assert!(is_date(words), "{name}: {words:?} is not a date label");
        }
        apart(name, &labels);
    }
    let trend = bottom_labels(&chart::trend(&shown.pain, shown.baseline));
    assert_eq!(trend.last().unwrap().0, "1 Dec", "{trend:?}");
}

#[test]
fn each_relief_date_is_under_its_own_bar() {
    // Three sessions on one day and one on the next: each bar has its label, centred under it.
    let day = Day::parse("2026-12-01").unwrap();
    let point = |d: Day, before, after| SessionPoint {
        day: d,
        practised: true,
        minutes: 10.0,
        pain_before: Some(before),
        pain_after: Some(after),
    };
    let p = progress(
        &[
            point(day, 6, 3),
            point(day, 6, 5),
            point(day, 5, 7),
            point(day.plus(1), 5, 2),
        ],
        &[],
        day.plus(1),
    );
    let svg = chart::relief(&p.relief);
    // Each bar's centre, from its rectangle.
    let attr = |tag: &str, name: &str| -> f32 {
        let start = tag.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        tag[start..].split('"').next().unwrap().parse().unwrap()
    };
    let bars: Vec<f32> = svg
        .split("<rect ")
        .skip(1)
        .map(|rest| {
            let tag = format!(" {}", rest.split('>').next().unwrap());
            attr(&tag, "x") + attr(&tag, "width") / 2.0
        })
        .collect();
    let labels = bottom_labels(&svg);
    let words: Vec<&str> = labels.iter().map(|(w, _)| w.as_str()).collect();
    assert_eq!(words, ["1 Dec", "1 Dec", "1 Dec", "2 Dec"], "{svg}");
    assert_eq!(bars.len(), 4, "one bar per session: {svg}");
    for ((words, b), bar) in labels.iter().zip(&bars) {
        let centre = (b[0] + b[2]) / 2.0;
        assert!(
            (centre - bar).abs() < 1.0,
            "{words:?} is centred at {centre:.1}, its bar at {bar:.1}"
        );
    }
}

#[test]
fn the_first_week_is_named_only_with_its_line_drawn() {
    let p = history("2026-10-01", 62, |i| if i < 7 { 6 } else { 3 });
    let b = p.baseline.unwrap();
    let svg = chart::trend(&p.pain, p.baseline);
    let label = format!("first week {b:.1}");
    let found: Vec<_> = texts(&svg)
        .into_iter()
        .filter(|(w, _)| *w == label)
        .collect();
    assert_eq!(found.len(), 1, "{svg}");
    assert_eq!(svg.matches("class=\"grid baseline\"").count(), 1, "{svg}");
    // The label sits just above its line, at the first week's mean.
    let y = 30.0 + (H - 30.0 - 44.0) * (1.0 - b / 10.0);
    let bottom = found[0].1[3] as f64;
    assert!(
        bottom <= y && bottom >= y - 12.0,
        "label bottom {bottom}, line {y}"
    );

    let without = chart::trend(&p.pain, None);
    assert!(!without.contains("baseline"), "{without}");
    assert!(
        texts(&without)
            .iter()
            .all(|(w, _)| !w.starts_with("first week")),
        "{without}"
    );
}

#[test]
fn png_is_the_svg_rasterised() {
    let p = history("2026-10-01", 62, |i| if i < 7 { 6 } else { 3 });
    let bytes = chart::png(&chart::document(&p), font()).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    // Width and height from the IHDR chunk: twice the SVG's size.
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    assert_eq!((be(16), be(20)), (1200, 1680));
}

#[test]
fn the_meaningful_marks_do_not_cover_the_numbers() {
    // Many narrow bars, up and down, most of them marked.
    let p = history("2026-10-01", 30, |i| if i % 4 == 0 { 3 } else { 6 });
    let svg = chart::relief(&chart::recent(&p).relief);
    // Each diamond's box, from its path's first point (its top) and its 7-unit half width.
    let pieces: Vec<&str> = svg.split("class=\"marker").collect();
    let marks: Vec<[f32; 4]> = pieces[..pieces.len() - 1]
        .iter()
        .map(|before| before.rsplit("<path d=\"M").next().unwrap())
        .map(|d| {
            let (cx, cy) = d.split(' ').next().unwrap().split_once(',').unwrap();
            let (cx, top): (f32, f32) = (cx.parse().unwrap(), cy.parse().unwrap());
            [cx - 7.0, top, cx + 7.0, top + 14.0]
        })
        .collect();
    assert!(marks.len() >= 10, "{svg}");
    for (words, t) in texts(&svg) {
        for m in &marks {
            let apart = t[2] <= m[0] || m[2] <= t[0] || t[3] <= m[1] || m[3] <= t[1];
            assert!(apart, "{words:?} at {t:?} is under a mark at {m:?}");
        }
    }
}
