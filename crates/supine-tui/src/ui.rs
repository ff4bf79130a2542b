//! What the player draws: one frame from the session's [`View`] and the little state the
//! terminal front end keeps itself ([`UiState`]: typed digits, notices, colour).
//!
//! Rendering reads and never mutates. The layout is built for someone glancing from the floor:
//! the instruction alone in a bordered box in bold, a breath shape that grows on the inhale and
//! shrinks on the exhale, and everything else quiet around it.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph, Widget};
use supine_core::Event;
use supine_core::plan::SegmentKind;
use supine_core::session::{EndReason, PromptKind, Screen, View};

use crate::keys::{Action, choice_key};

/// The smallest terminal the player draws in: the classic 80x24, which every terminal offers
/// and which fits the longest instruction, a prompt with three choices and the breath shape.
pub const MIN_WIDTH: u16 = 80;
/// See [`MIN_WIDTH`].
pub const MIN_HEIGHT: u16 = 24;

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

/// Height of the middle column while playing with a short instruction: heading, why, blank,
/// box, blank, breath label, breath shape (2), breath count, blank, time left.
const USUAL_HEIGHT: u16 = 3 + (MIN_BOX_LINES + 4) + 1 + 1 + 2 + 1 + 1 + 1;

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
            Screen::PainAfter => self.fg(Color::Green),
            Screen::Ended if stop_rule_ended(view) => self.fg(Color::LightRed),
            Screen::Ended => self.fg(Color::Green),
        }
    }
}

fn stop_rule_ended(view: &View) -> bool {
    view.end == Some(EndReason::StoppedForSafety)
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

/// A piece of the middle column, top to bottom.
enum Part {
    Blank,
    Line(Line<'static>),
    /// A line with one part on the left and one on the right of the column.
    Split(Line<'static>, Line<'static>),
    /// The bordered box with the instruction or the question.
    Box {
        title: String,
        style: Style,
        lines: Vec<Line<'static>>,
        /// Inner height it keeps even with fewer lines, so that the layout stays put.
        min_lines: u16,
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
    fn height(&self) -> u16 {
        match self {
            Part::Blank | Part::Line(_) | Part::Split(..) => 1,
            Part::Box {
                lines, min_lines, ..
            } => lines.len().max(usize::from(*min_lines)) as u16 + 4,
            Part::Breath { rows, .. } => *rows,
        }
    }
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
            help(view),
            Alignment::Center,
            Rect::new(area.x, help_y, area.width, 1),
            buf,
        );
        let notices: Vec<String> = self
            .ui
            .notices
            .iter()
            .flat_map(|n| wrap(n, usize::from(area.width.saturating_sub(2))))
            .collect();
        let notices_top = help_y.saturating_sub(notices.len() as u16);
        for (i, n) in notices.iter().enumerate() {
            let r = Rect::new(area.x, notices_top + i as u16, area.width, 1);
            line_at(Line::from(n.clone()), Alignment::Center, r, buf);
        }

        let mid_top = area.y + 1;
        let mid_h = notices_top.saturating_sub(mid_top);
        // Inside the box: block letters when there is room for a few lines of them.
        let box_rows = mid_h.saturating_sub(USUAL_HEIGHT - MIN_BOX_LINES);
        let big_cols = area.width.saturating_sub(10);
        let big = (big_cols >= BIG_MIN_COLS && box_rows >= BIG_MIN_ROWS).then_some(Big {
            cols: big_cols,
            rows: box_rows.min(BIG_MAX_ROWS),
        });
        // The column everything but the top and bottom lines sits in; normal text keeps to
        // lines short enough to take in at a glance.
        let col_w = match big {
            Some(_) => area.width - 4,
            None => area.width.saturating_sub(4).min(MAX_BOX_WIDTH),
        };
        let col_x = area.x + (area.width - col_w) / 2;
        let text_w = usize::from(col_w.min(MAX_BOX_WIDTH).saturating_sub(8));

        let parts = middle(view, self.ui, theme, text_w, big);
        let total: u16 = parts.iter().map(Part::height).sum();
        // The middle column is centred as if it were the usual playing screen, so the box and
        // the breath shape stay put from one instruction (or question) to the next; only a
        // taller box moves it up.
        let mut y = mid_top + mid_h.saturating_sub(total.max(USUAL_HEIGHT)) / 2;
        for part in &parts {
            let h = part.height().min(notices_top.saturating_sub(y));
            if h == 0 {
                break;
            }
            let r = Rect::new(col_x, y, col_w, h);
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
        Part::Line(l) => line_at(l.clone(), Alignment::Center, r, buf),
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
    let text = format!(
        "make the terminal at least {MIN_WIDTH}x{MIN_HEIGHT} (now {}x{})\n\npaused until it fits · q quit",
        area.width, area.height
    );
    let lines: Vec<Line<'static>> = wrap(&text, usize::from(area.width))
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                Line::styled(l, BOLD)
            } else {
                Line::from(l)
            }
        })
        .collect();
    let mut lines = lines;
    // Keep the blank line between the two messages when wrapping split them differently.
    if text.lines().count() > lines.len() {
        lines.insert(lines.len().saturating_sub(1), Line::default());
    }
    let h = (lines.len() as u16).min(area.height);
    let r = Rect::new(area.x, area.y + (area.height - h) / 2, area.width, h);
    Paragraph::new(lines)
        .alignment(Alignment::Center)
        .render(r, buf);
}

fn top_line(view: &View, theme: Theme, r: Rect, buf: &mut Buffer) {
    let left = format!(" {}", view.routine_name);
    let mut right = String::new();
    if let Some((k, n)) = view.pose_number {
        right.push_str(&format!("pose {k} of {n} · "));
    }
    if matches!(view.screen, Screen::PainAfter | Screen::Ended) {
        right.push_str("done ");
    } else {
        right.push_str(&format!("{} to go ", mmss(view.total_left_ms)));
    }
    let gauge_w = usize::from(r.width).saturating_sub(width(&left) + width(&right) + 4);
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

fn help(view: &View) -> Line<'static> {
    let fixed = |pairs: &[(&str, &'static str)]| -> Vec<(String, &'static str)> {
        pairs.iter().map(|&(k, w)| (k.to_owned(), w)).collect()
    };
    let pairs = match (&view.screen, view.prompt.as_ref().map(|p| &p.kind)) {
        (Screen::Ended, _) | (_, Some(PromptKind::Message)) => fixed(&[("any key", "to close")]),
        (Screen::PainAfter, _) => fixed(&[("0-10", "then Enter"), ("q", "skip")]),
        (_, Some(PromptKind::Pain)) => fixed(&[("0-10", "then Enter"), ("q", "quit")]),
        (Screen::ConfirmQuit, _) => fixed(&[
            ("y", "yes, end"),
            ("n", "no, carry on"),
            ("h", "this hurts"),
        ]),
        (_, Some(PromptKind::YesNo)) => fixed(&[("y", "yes"), ("n", "no"), ("q", "quit")]),
        (_, Some(PromptKind::Choices(choices))) => {
            let mut v: Vec<(String, &'static str)> = choices
                .iter()
                .map(|&c| (choice_key(c).to_string(), c.label()))
                .collect();
            v.push(("q".into(), "quit"));
            v
        }
        (Screen::Paused, None) => fixed(&[
            ("space", "carry on"),
            ("→", "next"),
            ("←", "back"),
            ("h", "this hurts"),
            ("q", "quit"),
        ]),
        (_, None) => fixed(&[
            ("space", "pause"),
            ("→", "next"),
            ("←", "back"),
            ("h", "this hurts"),
            ("q", "quit"),
        ]),
    };
    let mut spans = Vec::new();
    for (i, (key, what)) in pairs.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" · "));
        }
        spans.push(Span::styled(key, BOLD));
        spans.push(Span::raw(format!(" {what}")));
    }
    Line::from(spans)
}

/// The heading: title and counter.
fn heading(view: &View) -> Line<'static> {
    let title = match view.screen {
        Screen::PainAfter | Screen::Ended => view.routine_name.clone(),
        _ => view.title.clone(),
    };
    let mut spans = vec![Span::styled(title, BOLD)];
    if let Some(c) = &view.counter
        && !matches!(view.screen, Screen::PainAfter | Screen::Ended)
    {
        spans.push(Span::raw(format!("  ·  {c}")));
    }
    Line::from(spans)
}

fn wrapped(text: &str, w: usize, style: Style) -> Vec<Line<'static>> {
    wrap_balanced(text, w)
        .into_iter()
        .map(|l| Line::styled(l, style))
        .collect()
}

fn middle(view: &View, ui: &UiState, theme: Theme, text_w: usize, big: Option<Big>) -> Vec<Part> {
    let mut parts = vec![Part::Line(heading(view))];
    match &view.prompt {
        None => {
            let why = view
                .why
                .as_ref()
                .filter(|_| view.kind == SegmentKind::Intro && view.screen == Screen::Playing);
            parts.push(match why {
                Some(w) => Part::Line(Line::styled(w.clone(), QUIET)),
                None => Part::Blank,
            });
            parts.push(Part::Blank);
            if view.screen == Screen::Paused {
                paused(view, theme, text_w, &mut parts);
            } else {
                playing(view, theme, text_w, big, &mut parts);
            }
            parts.push(Part::Blank);
            let mut left = vec![Span::raw(format!("{} left", mmss(view.segment_left_ms)))];
            if view.screen == Screen::Paused {
                left.push(Span::raw(" · paused"));
            }
            let right = match &view.next {
                Some(n) => Line::from(vec![Span::raw("next: "), Span::styled(n.clone(), BOLD)]),
                None => Line::from("last one"),
            };
            parts.push(Part::Split(Line::from(left), right));
        }
        Some(prompt) => {
            parts.push(Part::Blank);
            parts.push(Part::Blank);
            let mut lines = wrapped(&prompt.text, text_w, BOLD);
            match &prompt.kind {
                PromptKind::Pain => {
                    lines.push(Line::default());
                    lines.push(pain_scale(ui.pain_entry(), theme));
                    lines.push(Line::default());
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
                    lines.push(Line::default());
                    lines.push(Line::from(vec![
                        Span::styled("y", BOLD),
                        Span::raw(" yes"),
                        Span::raw("          "),
                        Span::styled("n", BOLD),
                        Span::raw(" no"),
                    ]));
                }
                PromptKind::Choices(choices) => {
                    lines.push(Line::default());
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
            let title = match view.screen {
                Screen::Hurt => " this hurts ",
                Screen::ConfirmQuit => " end the session? ",
                Screen::PainAfter => " after the routine ",
                Screen::Ended if stop_rule_ended(view) => " time to stop ",
                Screen::Ended => " well done ",
                Screen::Playing | Screen::Paused => "",
            };
            parts.push(Part::Box {
                title: title.into(),
                style: theme.frame(view),
                lines,
                min_lines: MIN_BOX_LINES,
            });
            parts.push(Part::Blank);
            if matches!(view.screen, Screen::Hurt | Screen::ConfirmQuit) {
                parts.push(Part::Line(Line::styled(
                    "the routine waits while you answer",
                    QUIET,
                )));
            }
        }
    }
    parts
}

fn playing(view: &View, theme: Theme, text_w: usize, big: Option<Big>, parts: &mut Vec<Part>) {
    let block_letters = big.and_then(|b| {
        crate::big::render(&view.instruction, usize::from(b.cols), usize::from(b.rows))
    });
    let lines = match block_letters {
        Some(rows) => rows.into_iter().map(|r| Line::styled(r, BOLD)).collect(),
        None => wrapped(&view.instruction, text_w, BOLD),
    };
    parts.push(Part::Box {
        title: String::new(),
        style: theme.frame(view),
        lines,
        min_lines: big.map_or(MIN_BOX_LINES, |b| b.rows),
    });
    parts.push(Part::Blank);
    let b = view.breath;
    let label = if b.inhale {
        "breathe in"
    } else {
        "breathe out"
    };
    parts.push(Part::Line(Line::styled(
        label,
        theme.breath(b.inhale).add_modifier(Modifier::BOLD),
    )));
    parts.push(Part::Breath {
        fill: b.fill,
        style: theme.breath(b.inhale),
        track: theme.track(),
        rows: 2,
    });
    parts.push(if view.kind == SegmentKind::Hold {
        Part::Line(Line::from(format!(
            "breath {} of {}",
            view.breath_number, view.breaths_in_segment
        )))
    } else {
        Part::Blank
    });
}

fn paused(view: &View, theme: Theme, text_w: usize, parts: &mut Vec<Part>) {
    let mut lines = vec![
        Line::styled(
            "  PAUSED  ",
            theme
                .frame(view)
                .add_modifier(Modifier::BOLD | Modifier::REVERSED),
        ),
        Line::default(),
    ];
    lines.extend(wrapped(&view.instruction, text_w, Style::new()));
    parts.push(Part::Box {
        title: " paused ".into(),
        style: theme.frame(view),
        lines,
        min_lines: MIN_BOX_LINES,
    });
    parts.push(Part::Blank);
    parts.push(Part::Line(Line::from(vec![
        Span::raw("press "),
        Span::styled("space", BOLD),
        Span::raw(" to carry on"),
    ])));
    parts.push(Part::Blank);
    parts.push(Part::Blank);
}

fn pain_scale(entry: &str, theme: Theme) -> Line<'static> {
    let picked = entry.parse::<u8>().ok();
    let mut spans = Vec::new();
    for n in 0..=10u8 {
        if n > 0 {
            spans.push(Span::raw("  "));
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
        assert!(ui.set_size(79, 24));
        assert_eq!(ui.apply(Action::Session(Event::TogglePause)), None);
        assert_eq!(ui.apply(Action::Session(Event::Next)), None);
        assert_eq!(ui.apply(Action::Session(Event::Quit)), Some(Event::Quit));
        assert_eq!(ui.apply(Action::Session(Event::Hurt)), Some(Event::Hurt));
        assert!(!ui.set_size(80, 24));
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
