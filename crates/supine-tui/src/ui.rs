//! What the player draws: one frame from the session's [`View`] and the little state the
//! terminal front end keeps itself ([`UiState`]: typed digits, notices, colour).
//!
//! Rendering reads and never mutates. The layout is built for someone glancing from the floor:
//! the instruction alone in a bordered box in bold, a breath shape that grows on the inhale and
//! shrinks on the exhale, and everything else quiet around it. Every text is word-wrapped to the
//! terminal. From 80x24 up there is room to breathe between the parts; smaller terminals, down
//! to [`MIN_WIDTH`]x[`MIN_HEIGHT`], get a compact layout without the blank lines.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph, Widget};
use supine_core::Event;
use supine_core::plan::SegmentKind;
use supine_core::session::{HurtChoice, PromptKind, Screen, View};

use crate::keys::{Action, choice_key};

/// The smallest terminal the player draws in: 60x20, in the compact layout, still fits the
/// longest instruction, the safety advice with the pain question, and four choices.
pub const MIN_WIDTH: u16 = 60;
/// See [`MIN_WIDTH`].
pub const MIN_HEIGHT: u16 = 20;

/// The widest the instruction box grows, so lines stay short enough to read at a glance.
const MAX_BOX_WIDTH: u16 = 100;
/// Inner lines of the instruction box below which it does not shrink, so that the breath shape
/// stays in one place from one instruction to the next.
const MIN_BOX_LINES: u16 = 3;

/// Block letters are used when the box can be at least this wide inside (about 24 letters)...
const BIG_MIN_COLS: u16 = 100;
/// ...and this tall inside (four lines of block letters).
const BIG_MIN_ROWS: u16 = 15;
/// The box grows no taller than this inside (five lines of block letters, which hold the
/// longest built-in instruction at 160 columns).
const BIG_MAX_ROWS: u16 = 19;

/// Room for the instruction in block letters, when the terminal is large enough.
#[derive(Debug, Clone, Copy)]
struct Big {
    cols: u16,
    rows: u16,
}

/// Height of the middle column while playing with a short instruction, roomy: heading, why,
/// blank, box, blank, breath label, breath shape (2), breath count, blank, time left.
const USUAL_HEIGHT: u16 = 3 + (MIN_BOX_LINES + 4) + 1 + 1 + 2 + 1 + 1 + 1;
/// The same, compact: heading, why, box without padding, breath label, breath shape (1),
/// breath count, time left.
const COMPACT_HEIGHT: u16 = 2 + (MIN_BOX_LINES + 2) + 1 + 1 + 1 + 1;

/// The key help while playing.
pub const PLAYING_HELP: &str = "space pause · → next · ← back · h this hurts · q quit";

/// The terminal front end's own state: what has been typed into a pain score, notices to show,
/// whether colour is allowed, and whether the terminal is too small.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UiState {
    color: bool,
    pain_entry: String,
    notices: Vec<String>,
    too_small: bool,
    /// What the camera sees, in words, while there is one.
    camera: Option<String>,
}

impl UiState {
    /// A fresh state; `color: false` draws without any colour.
    pub fn new(color: bool) -> UiState {
        UiState {
            color,
            ..UiState::default()
        }
    }

    /// Whether colours are drawn.
    pub fn color(&self) -> bool {
        self.color
    }

    /// The digits typed so far into a pain score.
    pub fn pain_entry(&self) -> &str {
        &self.pain_entry
    }

    /// Shows a one-line notice under the main area for the rest of the session (once: the
    /// same text twice is shown once).
    pub fn notify(&mut self, text: impl Into<String>) {
        let text = text.into();
        if !self.notices.contains(&text) {
            self.notices.push(text);
        }
    }

    /// The notices shown.
    pub fn notices(&self) -> &[String] {
        &self.notices
    }

    /// Sets the camera's status line, shown above the notices (`None`: no camera, no line).
    pub fn set_camera_line(&mut self, line: Option<String>) {
        self.camera = line;
    }

    /// The camera's status line.
    pub fn camera_line(&self) -> Option<&str> {
        self.camera.as_deref()
    }

    /// Whether the terminal was too small at the last check.
    pub fn too_small(&self) -> bool {
        self.too_small
    }

    /// Records the terminal size; returns whether it is too small to play in.
    pub fn set_size(&mut self, width: u16, height: u16) -> bool {
        self.too_small = width < MIN_WIDTH || height < MIN_HEIGHT;
        self.too_small
    }

    /// The question on screen changed: forget half-typed answers.
    pub fn prompt_changed(&mut self) {
        self.pain_entry.clear();
    }

    /// Applies an action to the front end's state; returns the event to pass to the session, if
    /// any. [`Action::Dismiss`] and [`Action::Interrupt`] are for the event loop and give `None`.
    pub fn apply(&mut self, action: Action) -> Option<Event> {
        match action {
            Action::Session(
                Event::TogglePause | Event::Pause | Event::Resume | Event::Next | Event::Back,
            ) if self.too_small => None,
            Action::Session(e) => Some(e),
            Action::Digit(d) => {
                let mut candidate = self.pain_entry.clone();
                candidate.push(char::from(b'0' + d.min(9)));
                // "1" then "0" makes 10; anything that cannot be a score starts a new one, so a
                // slip of the finger is corrected by typing the right digit.
                let valid = candidate.parse::<u8>().is_ok_and(|n| n <= 10)
                    && !(candidate.len() > 1 && candidate.starts_with('0'));
                self.pain_entry = if valid {
                    candidate
                } else {
                    d.min(9).to_string()
                };
                None
            }
            Action::Erase => {
                self.pain_entry.pop();
                None
            }
            Action::Submit => {
                let pain = self.pain_entry.parse::<u8>().ok().filter(|&n| n <= 10)?;
                self.pain_entry.clear();
                Some(Event::Pain(pain))
            }
            Action::Dismiss | Action::Interrupt => None,
        }
    }
}

/// One frame of the player: the session's view plus the front end's state.
#[derive(Debug, Clone, Copy)]
pub struct PlayerView<'a> {
    /// What the session says to show.
    pub view: &'a View,
    /// The front end's own state.
    pub ui: &'a UiState,
}

/// Draws one frame over the whole of `frame`.
pub fn draw(frame: &mut Frame<'_>, view: &View, ui: &UiState) {
    let area = frame.area();
    frame.render_widget(&PlayerView { view, ui }, area);
}

/// Colours, used only as a hint: every state is also told by words, shapes or bold.
#[derive(Debug, Clone, Copy)]
struct Theme {
    color: bool,
}

impl Theme {
    fn fg(self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    fn accent(self) -> Style {
        self.fg(Color::Cyan)
    }

    fn track(self) -> Style {
        self.fg(Color::DarkGray)
    }

    fn breath(self, inhale: bool) -> Style {
        self.fg(if inhale {
            Color::LightCyan
        } else {
            Color::Cyan
        })
    }

    fn frame(self, view: &View) -> Style {
        match view.screen {
            Screen::Playing => self.accent(),
            Screen::Paused | Screen::ConfirmQuit => self.fg(Color::Yellow),
            Screen::Hurt => self.fg(Color::LightMagenta),
            Screen::PainAfter | Screen::Ended if safety_stopped(view) => self.fg(Color::LightRed),
            Screen::PainAfter | Screen::Ended => self.fg(Color::Green),
        }
    }
}

const BOLD: Style = Style::new().add_modifier(Modifier::BOLD);
const QUIET: Style = Style::new().add_modifier(Modifier::ITALIC);

/// Minutes and seconds, rounded up so "0:00" only shows when it is over.
fn mmss(ms: u64) -> String {
    let s = ms.div_ceil(1000);
    format!("{}:{:02}", s / 60, s % 60)
}

fn width(s: &str) -> usize {
    Span::raw(s).width()
}

/// Greedy word wrap; newlines start new lines, and a word longer than a line is cut.
fn wrap(text: &str, max: usize) -> Vec<String> {
    wrap_by(text, max, &width)
}

/// [`wrap`] with widths measured by `measure`.
fn wrap_by(text: &str, max: usize, measure: &dyn Fn(&str) -> usize) -> Vec<String> {
    let max = max.max(1);
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for word in para.split_whitespace() {
            let mut word = word.to_owned();
            while measure(&word) > max && word.chars().count() > 1 {
                if !line.is_empty() {
                    out.push(std::mem::take(&mut line));
                }
                let keep = (1..word.chars().count())
                    .rev()
                    .find(|&n| measure(&word.chars().take(n).collect::<String>()) <= max)
                    .unwrap_or(1);
                out.push(word.chars().take(keep).collect());
                word = word.chars().skip(keep).collect();
            }
            if line.is_empty() {
                line = word;
            } else if measure(&format!("{line} {word}")) <= max {
                line.push(' ');
                line.push_str(&word);
            } else {
                out.push(std::mem::replace(&mut line, word));
            }
        }
        if !line.is_empty() {
            out.push(line);
        }
    }
    out
}

/// Word wrap into as few lines as `wrap` at `max`, but with lines as even as possible, so that
/// centred text has no lonely last word.
fn wrap_balanced(text: &str, max: usize) -> Vec<String> {
    wrap_balanced_by(text, max, &width)
}

/// [`wrap_balanced`] with widths measured by `measure`.
pub(crate) fn wrap_balanced_by(
    text: &str,
    max: usize,
    measure: &dyn Fn(&str) -> usize,
) -> Vec<String> {
    let lines = wrap_by(text, max, measure);
    if lines.len() <= 1 {
        return lines;
    }
    // The narrowest width giving no more lines (line count only grows as the width shrinks).
    let (mut lo, mut hi) = (1, max);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if wrap_by(text, mid, measure).len() <= lines.len() {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    wrap_by(text, hi, measure)
}

/// How tightly the middle column is packed: the first that fits the terminal is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Density {
    /// Blank lines between the parts, padding in the box, a two-row breath shape, block letters
    /// when there is room.
    Roomy,
    /// No blank lines or padding, a one-row breath shape.
    Compact,
    /// Compact, without the lines that only help ("why it helps", "the routine waits").
    Tight,
}

/// Where the middle column goes and how wide its text is.
#[derive(Debug, Clone, Copy)]
struct Geometry {
    density: Density,
    /// Width of the column (and of the box, borders included).
    col_w: u16,
    /// Width of the text inside the box.
    text_w: usize,
    big: Option<Big>,
}

impl Geometry {
    fn new(density: Density, width: u16, mid_h: u16) -> Geometry {
        if density != Density::Roomy {
            let col_w = width.saturating_sub(2).min(MAX_BOX_WIDTH);
            return Geometry {
                density,
                col_w,
                text_w: usize::from(col_w.saturating_sub(4)),
                big: None,
            };
        }
        // Inside the box: block letters when there is room for a few lines of them.
        let box_rows = mid_h.saturating_sub(USUAL_HEIGHT - MIN_BOX_LINES);
        let big_cols = width.saturating_sub(10);
        let big = (big_cols >= BIG_MIN_COLS && box_rows >= BIG_MIN_ROWS).then_some(Big {
            cols: big_cols,
            rows: box_rows.min(BIG_MAX_ROWS),
        });
        // Normal text keeps to lines short enough to take in at a glance.
        let col_w = match big {
            Some(_) => width.saturating_sub(4),
            None => width.saturating_sub(4).min(MAX_BOX_WIDTH),
        };
        Geometry {
            density,
            col_w,
            text_w: usize::from(col_w.min(MAX_BOX_WIDTH).saturating_sub(8)),
            big,
        }
    }

    fn roomy(&self) -> bool {
        self.density == Density::Roomy
    }

    /// Whether lines that only help are drawn.
    fn helpers(&self) -> bool {
        self.density != Density::Tight
    }

    /// Rows of padding inside the box, above and below the text.
    fn pad(&self) -> u16 {
        u16::from(self.roomy())
    }

    /// Height of the usual playing screen, around which the column is centred.
    fn usual_height(&self) -> u16 {
        match self.density {
            Density::Roomy => USUAL_HEIGHT,
            Density::Compact => COMPACT_HEIGHT,
            Density::Tight => COMPACT_HEIGHT - 1,
        }
    }
}

/// A piece of the middle column, top to bottom.
enum Part {
    Blank,
    /// Centred lines.
    Lines(Vec<Line<'static>>),
    /// A line with one part on the left and one on the right of the column.
    Split(Line<'static>, Line<'static>),
    /// The bordered box with the instruction or the question.
    Box {
        title: String,
        style: Style,
        lines: Vec<Line<'static>>,
        /// Inner height it keeps even with fewer lines, so that the layout stays put.
        min_lines: u16,
        /// Empty rows inside the border, above and below the lines.
        pad: u16,
    },
    /// The breath shape, `fill` 0..1, this many rows tall, over a faint track.
    Breath {
        fill: f64,
        style: Style,
        track: Style,
        rows: u16,
    },
}

impl Part {
    fn line(line: impl Into<Line<'static>>) -> Part {
        Part::Lines(vec![line.into()])
    }

    fn height(&self) -> u16 {
        match self {
            Part::Blank | Part::Split(..) => 1,
            Part::Lines(lines) => lines.len() as u16,
            Part::Box {
                lines,
                min_lines,
                pad,
                ..
            } => lines.len().max(usize::from(*min_lines)) as u16 + 2 + 2 * pad,
            Part::Breath { rows, .. } => *rows,
        }
    }
}

fn total_height(parts: &[Part]) -> u16 {
    parts.iter().map(Part::height).sum()
}

impl Widget for &PlayerView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = Theme {
            color: self.ui.color,
        };
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            too_small(area, buf);
            return;
        }
        let view = self.view;
        top_line(view, theme, Rect::new(area.x, area.y, area.width, 1), buf);
        let help_y = area.bottom() - 1;
        line_at(
            help(view, usize::from(area.width)),
            Alignment::Center,
            Rect::new(area.x, help_y, area.width, 1),
            buf,
        );
        let notices: Vec<String> = self
            .ui
            .camera
            .iter()
            .chain(&self.ui.notices)
            .flat_map(|n| wrap(n, usize::from(area.width.saturating_sub(2))))
            .collect();
        let notices_top = help_y.saturating_sub(notices.len() as u16);
        for (i, n) in notices.iter().enumerate() {
            let r = Rect::new(area.x, notices_top + i as u16, area.width, 1);
            line_at(Line::from(n.clone()), Alignment::Center, r, buf);
        }

        let mid_top = area.y + 1;
        let mid_h = notices_top.saturating_sub(mid_top);
        // The roomiest layout that fits; the tightest one (clipped at the bottom) otherwise.
        let mut chosen = None;
        for density in [Density::Roomy, Density::Compact, Density::Tight] {
            let g = Geometry::new(density, area.width, mid_h);
            let parts = middle(view, self.ui, theme, &g);
            let fits = total_height(&parts) <= mid_h;
            chosen = Some((g, parts));
            if fits {
                break;
            }
        }
        let (g, parts) = chosen.expect("three densities were tried");
        let col_x = area.x + (area.width - g.col_w) / 2;
        let total = total_height(&parts);
        // The middle column is centred as if it were the usual playing screen, so the box and
        // the breath shape stay put from one instruction (or question) to the next; only a
        // taller box moves it up.
        let mut y = mid_top + mid_h.saturating_sub(total.max(g.usual_height())) / 2;
        for part in &parts {
            let h = part.height().min(notices_top.saturating_sub(y));
            if h == 0 {
                break;
            }
            let r = Rect::new(col_x, y, g.col_w, h);
            render_part(part, r, buf);
            y += h;
        }
    }
}

fn line_at(line: Line<'_>, align: Alignment, r: Rect, buf: &mut Buffer) {
    Paragraph::new(line).alignment(align).render(r, buf);
}

fn render_part(part: &Part, r: Rect, buf: &mut Buffer) {
    match part {
        Part::Blank => {}
        Part::Lines(lines) => Paragraph::new(lines.clone())
            .alignment(Alignment::Center)
            .render(r, buf),
        Part::Split(left, right) => {
            let inner = Rect::new(r.x + 2, r.y, r.width.saturating_sub(4), 1);
            line_at(left.clone(), Alignment::Left, inner, buf);
            line_at(right.clone(), Alignment::Right, inner, buf);
        }
        Part::Box {
            title,
            style,
            lines,
            ..
        } => {
            let block = Block::bordered()
                .border_type(BorderType::Rounded)
                .border_style(*style)
                .title(Line::from(Span::styled(title.clone(), *style)).centered());
            let inner = block.inner(r);
            block.render(r, buf);
            let h = lines.len() as u16;
            let top = inner.y + inner.height.saturating_sub(h) / 2;
            let text = Rect::new(inner.x, top, inner.width, h.min(inner.height));
            Paragraph::new(lines.clone())
                .alignment(Alignment::Center)
                .render(text, buf);
        }
        Part::Breath {
            fill,
            style,
            track,
            rows,
        } => {
            let w = (r.width.saturating_sub(16) / 2 * 2).min(64);
            let line = breath_shape(*fill, w, *style, *track);
            for row in 0..*rows {
                line_at(
                    line.clone(),
                    Alignment::Center,
                    Rect::new(r.x, r.y + row, r.width, 1),
                    buf,
                );
            }
        }
    }
}

/// The breath shape: a bar that grows out from the middle, in half-cell steps, over a faint track.
fn breath_shape(fill: f64, width: u16, style: Style, track: Style) -> Line<'static> {
    let half = usize::from(width / 2);
    let n = (fill.clamp(0.0, 1.0) * (half * 2) as f64).round() as usize;
    // Cell `d` away from the middle (0 = innermost): full, half or empty.
    let cell = |d: usize, half_glyph: &'static str| -> Span<'static> {
        if 2 * d + 2 <= n {
            Span::styled("█", style)
        } else if 2 * d + 1 == n {
            Span::styled(half_glyph, style)
        } else {
            Span::styled("─", track)
        }
    };
    let left = (0..half).rev().map(|d| cell(d, "▐"));
    let right = (0..half).map(|d| cell(d, "▌"));
    Line::from(left.chain(right).collect::<Vec<_>>())
}

fn too_small(area: Rect, buf: &mut Buffer) {
    let w = usize::from(area.width);
    let ask = format!(
        "make the terminal at least {MIN_WIDTH}x{MIN_HEIGHT} (now {}x{})",
        area.width, area.height
    );
    let mut lines: Vec<Line<'static>> = wrap(&ask, w)
        .into_iter()
        .map(|l| Line::styled(l, BOLD))
        .collect();
    lines.push(Line::default());
    lines.extend(
        wrap("paused until it fits · q quit", w)
            .into_iter()
            .map(Line::from),
    );
    let h = (lines.len() as u16).min(area.height);
    let r = Rect::new(area.x, area.y + (area.height - h) / 2, area.width, h);
    Paragraph::new(lines)
        .alignment(Alignment::Center)
        .render(r, buf);
}

/// The routine's name, a progress gauge, and where we are; on a narrow terminal the gauge
/// goes first, then the pose number.
fn top_line(view: &View, theme: Theme, r: Rect, buf: &mut Buffer) {
    let left = format!(" {}", view.routine_name);
    let time = if matches!(view.screen, Screen::PainAfter | Screen::Ended) {
        "done ".to_owned()
    } else {
        format!("{} to go ", mmss(view.total_left_ms))
    };
    let full = match view.pose_number {
        Some((k, n)) => format!("pose {k} of {n} · {time}"),
        None => time.clone(),
    };
    let room = usize::from(r.width);
    let right = if width(&left) + width(&full) + 4 <= room {
        full
    } else {
        time
    };
    let gauge_w = room.saturating_sub(width(&left) + width(&right) + 4);
    let filled = ((view.progress.clamp(0.0, 1.0) * gauge_w as f64).round() as usize).min(gauge_w);
    let line = Line::from(vec![
        Span::styled(left, BOLD),
        Span::raw("  "),
        Span::styled("━".repeat(filled), theme.accent()),
        Span::styled("─".repeat(gauge_w - filled), theme.track()),
        Span::raw("  "),
        Span::raw(right),
    ]);
    line_at(line, Alignment::Left, r, buf);
}

/// The key help for what is on screen, as much of it as fits in `room` columns.
fn help(view: &View, room: usize) -> Line<'static> {
    let fixed = |pairs: &[(&str, &'static str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|&(k, w)| (k.to_owned(), w.to_owned()))
            .collect()
    };
    // Versions from the fullest to the shortest.
    let versions: Vec<Vec<(String, String)>> =
        match (&view.screen, view.prompt.as_ref().map(|p| &p.kind)) {
            (Screen::Ended, _) | (_, Some(PromptKind::Message)) => {
                vec![fixed(&[("any key", "to close")])]
            }
            (Screen::PainAfter, _) => vec![fixed(&[("0-10", "then Enter"), ("q", "skip")])],
            (_, Some(PromptKind::Pain)) => vec![fixed(&[("0-10", "then Enter"), ("q", "quit")])],
            (Screen::ConfirmQuit, _) => vec![fixed(&[
                ("y", "yes, end"),
                ("n", "no, carry on"),
                ("h", "this hurts"),
            ])],
            (_, Some(PromptKind::YesNo)) => {
                vec![fixed(&[("y", "yes"), ("n", "no"), ("q", "quit")])]
            }
            (_, Some(PromptKind::Choices(choices))) => {
                let mut all: Vec<(String, String)> = choices
                    .iter()
                    .map(|&c| (choice_key(c).to_string(), c.label().to_owned()))
                    .collect();
                all.push(("q".into(), "quit".into()));
                let mut short: Vec<(String, String)> = choices
                    .iter()
                    .map(|&c| (choice_key(c).to_string(), short_label(c).to_owned()))
                    .collect();
                short.push(("q".into(), "quit".into()));
                vec![all, short]
            }
            (Screen::Paused, None) => vec![
                fixed(&[
                    ("space", "carry on"),
                    ("→", "next"),
                    ("←", "back"),
                    ("h", "this hurts"),
                    ("q", "quit"),
                ]),
                fixed(&[("space", "carry on"), ("h", "this hurts"), ("q", "quit")]),
            ],
            (_, None) => vec![
                fixed(&[
                    ("space", "pause"),
                    ("→", "next"),
                    ("←", "back"),
                    ("h", "this hurts"),
                    ("q", "quit"),
                ]),
                fixed(&[("space", "pause"), ("h", "this hurts"), ("q", "quit")]),
            ],
        };
    let line = |pairs: &[(String, String)]| -> Line<'static> {
        let mut spans = Vec::new();
        for (i, (key, what)) in pairs.iter().enumerate() {
            if i > 0 {
                spans.push(Span::raw(" · "));
            }
            spans.push(Span::styled(key.clone(), BOLD));
            spans.push(Span::raw(format!(" {what}")));
        }
        Line::from(spans)
    };
    let lines: Vec<Line<'static>> = versions.iter().map(|v| line(v)).collect();
    let last = lines.len() - 1;
    lines
        .into_iter()
        .enumerate()
        .find(|(i, l)| *i == last || l.width() <= room)
        .map(|(_, l)| l)
        .expect("at least one version")
}

/// A choice in one word or two, for the key help on a narrow terminal (the box says it in full).
fn short_label(choice: HurtChoice) -> &'static str {
    match choice {
        HurtChoice::Resume => "carry on",
        HurtChoice::Easier => "easier",
        HurtChoice::Skip => "skip",
        HurtChoice::End => "end",
    }
}

/// The heading: title and counter, wrapped to the column.
fn heading(view: &View, w: usize) -> Vec<Line<'static>> {
    let ended = matches!(view.screen, Screen::PainAfter | Screen::Ended);
    let title = if ended {
        view.routine_name.clone()
    } else {
        view.title.clone()
    };
    match view.counter.as_ref().filter(|_| !ended) {
        Some(c) if width(&title) + width(c) + 5 <= w => vec![Line::from(vec![
            Span::styled(title, BOLD),
            Span::raw(format!("  ·  {c}")),
        ])],
        Some(c) => {
            let mut lines = wrapped(&title, w, BOLD);
            lines.extend(wrapped(c, w, Style::new()));
            lines
        }
        None => wrapped(&title, w, BOLD),
    }
}

fn wrapped(text: &str, w: usize, style: Style) -> Vec<Line<'static>> {
    wrap_balanced(text, w)
        .into_iter()
        .map(|l| Line::styled(l, style))
        .collect()
}

/// Whether the session was stopped for safety (its advice stays on screen).
fn safety_stopped(view: &View) -> bool {
    view.advice.is_some()
}

fn middle(view: &View, ui: &UiState, theme: Theme, g: &Geometry) -> Vec<Part> {
    // The heading may use the whole column; text inside the box keeps to the box.
    let wide = usize::from(g.col_w.saturating_sub(4));
    let mut parts = vec![Part::Lines(heading(view, wide))];
    match &view.prompt {
        None => {
            let why = view
                .why
                .as_ref()
                .filter(|_| view.kind == SegmentKind::Intro && view.screen == Screen::Playing)
                .filter(|_| g.helpers());
            match why {
                Some(w) => parts.push(Part::Lines(wrapped(w, wide, QUIET))),
                None if g.helpers() => parts.push(Part::Blank),
                None => {}
            }
            if g.roomy() {
                parts.push(Part::Blank);
            }
            if view.screen == Screen::Paused {
                paused(view, theme, g, &mut parts);
            } else {
                playing(view, theme, g, &mut parts);
            }
            if g.roomy() {
                parts.push(Part::Blank);
            }
            parts.push(time_left(view, wide));
        }
        Some(prompt) => {
            if g.roomy() {
                parts.push(Part::Blank);
                parts.push(Part::Blank);
            }
            let mut lines = Vec::new();
            // After a safety stop its advice stays above the pain question.
            if let Some(advice) = view
                .advice
                .as_ref()
                .filter(|_| view.screen == Screen::PainAfter)
            {
                lines.extend(wrapped(advice, g.text_w, Style::new()));
                lines.push(Line::default());
            }
            lines.extend(wrapped(&prompt.text, g.text_w, BOLD));
            answer_lines(&prompt.kind, ui, theme, g, &mut lines);
            let title = match view.screen {
                Screen::Hurt => " this hurts ",
                Screen::ConfirmQuit => " end the session? ",
                Screen::PainAfter | Screen::Ended if safety_stopped(view) => " time to stop ",
                Screen::PainAfter => " after the routine ",
                Screen::Ended => " well done ",
                Screen::Playing | Screen::Paused => "",
            };
            parts.push(Part::Box {
                title: title.into(),
                style: theme.frame(view),
                lines,
                min_lines: MIN_BOX_LINES,
                pad: g.pad(),
            });
            if g.roomy() {
                parts.push(Part::Blank);
            }
            let note = match view.screen {
                Screen::Hurt | Screen::ConfirmQuit => Some("the routine waits while you answer"),
                Screen::Ended if safety_stopped(view) => {
                    Some("this advice stays on your screen after you close")
                }
                _ => None,
            };
            if let Some(note) = note.filter(|_| g.helpers()) {
                parts.push(Part::Lines(wrapped(note, wide, QUIET)));
            }
        }
    }
    parts
}

/// What a question wants, under its words: the pain scale, y/n, or the choices.
fn answer_lines(
    kind: &PromptKind,
    ui: &UiState,
    theme: Theme,
    g: &Geometry,
    lines: &mut Vec<Line<'static>>,
) {
    match kind {
        PromptKind::Pain => {
            if g.helpers() {
                lines.push(Line::default());
            }
            lines.push(pain_scale(ui.pain_entry(), theme, g.text_w + 4));
            if g.helpers() {
                lines.push(Line::default());
            }
            let entry = if ui.pain_entry().is_empty() {
                Span::raw("_")
            } else {
                Span::styled(ui.pain_entry().to_owned(), BOLD)
            };
            lines.push(Line::from(vec![
                Span::raw("type a number, then Enter:  "),
                entry,
            ]));
        }
        PromptKind::YesNo => {
            if g.helpers() {
                lines.push(Line::default());
            }
            lines.push(Line::from(vec![
                Span::styled("y", BOLD),
                Span::raw(" yes"),
                Span::raw("          "),
                Span::styled("n", BOLD),
                Span::raw(" no"),
            ]));
        }
        PromptKind::Choices(choices) => {
            if g.helpers() {
                lines.push(Line::default());
            }
            let label_w = choices.iter().map(|c| width(c.label())).max().unwrap_or(0);
            for (i, c) in choices.iter().enumerate() {
                lines.push(Line::from(vec![
                    Span::styled(format!("{}", i + 1), BOLD),
                    Span::raw(" or "),
                    Span::styled(choice_key(*c).to_string(), BOLD),
                    Span::raw(format!("   {:<label_w$}", c.label())),
                ]));
            }
        }
        PromptKind::Message => {}
    }
}

/// Time left in the current part, and what follows the current step, labelled so that neither
/// reads as a countdown to the other ("after Hip rotations: Bridge", not "next: Bridge").
fn time_left(view: &View, wide: usize) -> Part {
    let mut left = format!("{} left in this part", mmss(view.segment_left_ms));
    if view.screen == Screen::Paused {
        left.push_str(" · paused");
    }
    let right = match &view.next {
        Some(n) => Line::from(vec![
            Span::raw(format!("after {}: ", view.title)),
            Span::styled(n.clone(), BOLD),
        ]),
        None => Line::from("then you're done"),
    };
    let left = Line::from(left);
    if left.width() + right.width() + 2 <= wide {
        Part::Split(left, right)
    } else {
        Part::Lines(vec![left, right])
    }
}

fn playing(view: &View, theme: Theme, g: &Geometry, parts: &mut Vec<Part>) {
    let block_letters = g.big.and_then(|b| {
        crate::big::render(&view.instruction, usize::from(b.cols), usize::from(b.rows))
    });
    let lines = match block_letters {
        Some(rows) => rows.into_iter().map(|r| Line::styled(r, BOLD)).collect(),
        None => wrapped(&view.instruction, g.text_w, BOLD),
    };
    parts.push(Part::Box {
        title: String::new(),
        style: theme.frame(view),
        lines,
        min_lines: g.big.map_or(MIN_BOX_LINES, |b| b.rows),
        pad: g.pad(),
    });
    if g.roomy() {
        parts.push(Part::Blank);
    }
    let b = view.breath;
    let label = if b.inhale {
        "breathe in"
    } else {
        "breathe out"
    };
    parts.push(Part::line(Line::styled(
        label,
        theme.breath(b.inhale).add_modifier(Modifier::BOLD),
    )));
    parts.push(Part::Breath {
        fill: b.fill,
        style: theme.breath(b.inhale),
        track: theme.track(),
        rows: if g.roomy() { 2 } else { 1 },
    });
    parts.push(if view.kind == SegmentKind::Hold {
        Part::line(format!(
            "breath {} of {}",
            view.breath_number, view.breaths_in_segment
        ))
    } else {
        Part::Blank
    });
}

fn paused(view: &View, theme: Theme, g: &Geometry, parts: &mut Vec<Part>) {
    let mut lines = vec![Line::styled(
        "  PAUSED  ",
        theme
            .frame(view)
            .add_modifier(Modifier::BOLD | Modifier::REVERSED),
    )];
    if g.roomy() {
        lines.push(Line::default());
    }
    lines.extend(wrapped(&view.instruction, g.text_w, Style::new()));
    parts.push(Part::Box {
        title: " paused ".into(),
        style: theme.frame(view),
        lines,
        min_lines: MIN_BOX_LINES,
        pad: g.pad(),
    });
    if g.roomy() {
        parts.push(Part::Blank);
    }
    parts.push(Part::line(vec![
        Span::raw("press "),
        Span::styled("space", BOLD),
        Span::raw(" to carry on"),
    ]));
    parts.push(Part::Blank);
    if g.roomy() {
        parts.push(Part::Blank);
    }
}

/// The 0-10 scale, the typed score highlighted; closer together when `room` is narrow.
fn pain_scale(entry: &str, theme: Theme, room: usize) -> Line<'static> {
    let picked = entry.parse::<u8>().ok();
    // Eleven numbers of three columns and ten gaps.
    let gap = if 33 + 10 * 2 <= room { "  " } else { " " };
    let mut spans = Vec::new();
    for n in 0..=10u8 {
        if n > 0 {
            spans.push(Span::raw(gap));
        }
        let style = if picked == Some(n) {
            theme
                .accent()
                .add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            Style::new()
        };
        spans.push(Span::styled(format!(" {n} "), style));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_on_words_keeps_newlines_and_cuts_long_words() {
        assert_eq!(
            wrap("Slowly lift your hips.\nHold.", 10),
            ["Slowly", "lift your", "hips.", "Hold."]
        );
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert!(wrap("", 10).is_empty());
    }

    #[test]
    fn balanced_wrap_leaves_no_lonely_last_word() {
        let text = "Let's pause for a moment. How strong is the pain now, from zero to ten?";
        assert_eq!(wrap(text, 68).last().unwrap(), "ten?");
        let lines = wrap_balanced(text, 68);
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| l.len() >= 30), "{lines:?}");
    }

    #[test]
    fn times_round_up_to_the_second() {
        assert_eq!(mmss(0), "0:00");
        assert_eq!(mmss(1), "0:01");
        assert_eq!(mmss(60_000), "1:00");
        assert_eq!(mmss(512_001), "8:33");
    }

    #[test]
    fn breath_shape_grows_from_the_middle_in_half_cells() {
        let s = |fill| breath_shape(fill, 8, Style::new(), Style::new()).to_string();
        assert_eq!(s(0.0), "────────");
        assert_eq!(s(0.125), "───▐▌───");
        assert_eq!(s(0.25), "───██───");
        assert_eq!(s(1.0), "████████");
    }

    #[test]
    fn pain_entry_takes_up_to_ten_and_restarts_on_impossible_scores() {
        let mut ui = UiState::new(false);
        ui.apply(Action::Digit(1));
        ui.apply(Action::Digit(0));
        assert_eq!(ui.pain_entry(), "10");
        ui.apply(Action::Digit(7));
        assert_eq!(ui.pain_entry(), "7", "107 is no score: start again at 7");
        ui.apply(Action::Erase);
        assert_eq!(ui.pain_entry(), "");
        assert_eq!(
            ui.apply(Action::Submit),
            None,
            "nothing typed, nothing sent"
        );
        ui.apply(Action::Digit(0));
        ui.apply(Action::Digit(4));
        assert_eq!(ui.pain_entry(), "4", "no leading zero");
        assert_eq!(ui.apply(Action::Submit), Some(Event::Pain(4)));
        assert_eq!(ui.pain_entry(), "");
    }

    #[test]
    fn a_too_small_terminal_blocks_keys_that_would_restart_time() {
        let mut ui = UiState::new(true);
        assert!(ui.set_size(59, 24));
        assert!(ui.set_size(80, 19));
        assert_eq!(ui.apply(Action::Session(Event::TogglePause)), None);
        assert_eq!(ui.apply(Action::Session(Event::Next)), None);
        assert_eq!(ui.apply(Action::Session(Event::Quit)), Some(Event::Quit));
        assert_eq!(ui.apply(Action::Session(Event::Hurt)), Some(Event::Hurt));
        assert!(!ui.set_size(60, 20));
        assert_eq!(
            ui.apply(Action::Session(Event::TogglePause)),
            Some(Event::TogglePause)
        );
    }

    #[test]
    fn notices_are_shown_once() {
        let mut ui = UiState::new(true);
        ui.notify("no speech engine");
        ui.notify("no speech engine");
        assert_eq!(ui.notices().len(), 1);
    }
}
