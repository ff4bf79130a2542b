//! Line prompts before the player starts (the screening, the daily check, pain before and where
//! it hurts) and for the weekly activity check (PSFS), and [`Wrap`], which word-wraps them.
//! Generic over reader and writer so tests can script the answers.

use std::io::{self, BufRead, IsTerminal, Write};

use anyhow::{Context, bail};
use supine_core::Answer;
use supine_core::safety::Question;
use supine_store::PainArea;

/// The widest lines get, even on a wide terminal: longer ones are hard to follow.
const MAX_WIDTH: usize = 100;

/// A writer that word-wraps what goes through it at `width` columns, so that the terminal never
/// breaks a word in two ("h|ard to pass urine"). Spaces inside a line are kept; a continuation
/// line keeps the indent of the line it continues; a word longer than a line is left whole.
///
/// Line prompts flush before they read an answer, and the answer's Enter moves the cursor to a
/// new line: so after a flush, the next text is taken to start at the beginning of a line.
pub struct Wrap<W: Write> {
    inner: W,
    width: usize,
    /// Columns used on the current line.
    col: usize,
    /// Leading spaces of the current line.
    indent: usize,
    /// Whether only spaces have been written on the current line so far.
    line_start: bool,
    word: String,
    spaces: usize,
    /// The start of a character split between two writes.
    partial: Vec<u8>,
}

impl<W: Write> Wrap<W> {
    /// Wraps at `width` columns (at least 20).
    pub fn new(inner: W, width: usize) -> Wrap<W> {
        Wrap {
            inner,
            width: width.max(20),
            col: 0,
            indent: 0,
            line_start: true,
            word: String::new(),
            spaces: 0,
            partial: Vec::new(),
        }
    }

    fn place_word(&mut self) -> io::Result<()> {
        if self.word.is_empty() {
            return Ok(());
        }
        let len = self.word.chars().count();
        if self.col > self.indent && self.col + self.spaces + len > self.width {
            write!(self.inner, "\n{:1$}", "", self.indent)?;
            self.col = self.indent;
        } else {
            write!(self.inner, "{:1$}", "", self.spaces)?;
            self.col += self.spaces;
        }
        self.spaces = 0;
        self.inner.write_all(self.word.as_bytes())?;
        self.col += len;
        self.word.clear();
        Ok(())
    }

    fn put(&mut self, c: char) -> io::Result<()> {
        match c {
            '\n' => {
                self.place_word()?;
                self.inner.write_all(b"\n")?;
                self.col = 0;
                self.indent = 0;
                self.spaces = 0;
                self.line_start = true;
            }
            ' ' if self.line_start => {
                self.inner.write_all(b" ")?;
                self.col += 1;
                self.indent = self.col;
            }
            ' ' => {
                self.place_word()?;
                self.spaces += 1;
            }
            c => {
                self.line_start = false;
                self.word.push(c);
            }
        }
        Ok(())
    }
}

impl Wrap<io::Stdout> {
    /// Wraps at the width of the terminal standard output is (less one column, and at most
    /// [`MAX_WIDTH`]); does not wrap at all when standard output is not a terminal.
    pub fn stdout() -> Wrap<io::Stdout> {
        let width = if io::stdout().is_terminal() {
            supine_tui::terminal_width()
                .map_or(80, |w| usize::from(w).saturating_sub(1))
                .min(MAX_WIDTH)
        } else {
            usize::MAX
        };
        Wrap::new(io::stdout(), width)
    }
}

impl<W: Write> Write for Wrap<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.partial.extend_from_slice(buf);
        let bytes = std::mem::take(&mut self.partial);
        let (text, rest) = match std::str::from_utf8(&bytes) {
            Ok(t) => (t.to_owned(), &[][..]),
            Err(e) if e.error_len().is_none() => {
                let (ok, rest) = bytes.split_at(e.valid_up_to());
                (String::from_utf8_lossy(ok).into_owned(), rest)
            }
            Err(_) => (String::from_utf8_lossy(&bytes).into_owned(), &[][..]),
        };
        self.partial = rest.to_vec();
        for c in text.chars() {
            self.put(c)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.place_word()?;
        write!(self.inner, "{:1$}", "", self.spaces)?;
        self.inner.flush()?;
        // A prompt waits for its answer here; the answer's Enter starts a new line.
        self.col = 0;
        self.indent = 0;
        self.spaces = 0;
        self.line_start = true;
        Ok(())
    }
}

impl<W: Write> Drop for Wrap<W> {
    fn drop(&mut self) {
        let _ = self.place_word();
        let _ = self.inner.flush();
    }
}

/// Reads one trimmed line; end of input is an error saying nothing was saved.
fn read_line(input: &mut dyn BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    let n = input
        .read_line(&mut line)
        .context("cannot read the answer")?;
    if n == 0 {
        bail!("input ended before the questions were answered; nothing was saved");
    }
    Ok(line.trim().to_owned())
}

/// Asks a yes / no / not sure question until it gets an answer.
pub fn ask_answer(
    q: &Question,
    number: Option<(usize, usize)>,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<Answer> {
    loop {
        if let Some((i, n)) = number {
            write!(out, "\n({i} of {n}) ")?;
        }
        write!(out, "{}\n  [y] yes   [n] no   [?] not sure: ", q.text)?;
        out.flush()?;
        let line = read_line(input)?;
        match Answer::parse(&line) {
            Some(a) => return Ok(a),
            None => writeln!(out, "  Please type y, n or ?.")?,
        }
    }
}

/// Asks for a pain score 0-10; an empty line skips (None).
pub fn ask_pain(
    text: &str,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<Option<u8>> {
    loop {
        write!(
            out,
            "{text}\n  0 = no pain, 10 = worst imaginable (Enter to skip): "
        )?;
        out.flush()?;
        let line = read_line(input)?;
        if line.is_empty() {
            return Ok(None);
        }
        match line.parse::<u8>() {
            Ok(p) if p <= 10 => return Ok(Some(p)),
            _ => writeln!(out, "  Please type a whole number from 0 to 10.")?,
        }
    }
}

/// Asks where it hurts: any of b (lower back), h (hips), l (leg); an empty line skips.
pub fn ask_pain_areas(
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<Vec<PainArea>> {
    loop {
        write!(
            out,
            "Where does it hurt? Type each letter that applies: b = lower back, h = hips, \
             l = leg (Enter to skip): "
        )?;
        out.flush()?;
        let line = read_line(input)?;
        let mut areas = Vec::new();
        let mut ok = true;
        for c in line.chars().filter(|c| !c.is_whitespace() && *c != ',') {
            match c.to_ascii_lowercase() {
                'b' => areas.push(PainArea::LowerBack),
                'h' => areas.push(PainArea::Hips),
                'l' => areas.push(PainArea::Leg),
                _ => ok = false,
            }
        }
        if ok {
            areas.sort();
            areas.dedup();
            return Ok(areas);
        }
        writeln!(out, "  Please type b, h and/or l, e.g. bl.")?;
    }
}

/// Asks a yes/no question; an empty line skips (None).
pub fn ask_yes_no(
    text: &str,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<Option<bool>> {
    loop {
        write!(out, "{text}\n  [y] yes   [n] no   (Enter to skip): ")?;
        out.flush()?;
        let line = read_line(input)?.to_lowercase();
        match line.as_str() {
            "" => return Ok(None),
            "y" | "yes" => return Ok(Some(true)),
            "n" | "no" => return Ok(Some(false)),
            _ => writeln!(out, "  Please type y or n.")?,
        }
    }
}

/// Asks for up to `max` activities, one a line, until an empty line.
pub fn ask_activities(
    max: usize,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<Vec<String>> {
    writeln!(
        out,
        "Name up to {max} everyday activities your back makes hard (for example \"sitting \
         through a film\" or \"putting on socks\"), one a line; an empty line when done."
    )?;
    let mut activities: Vec<String> = Vec::new();
    while activities.len() < max {
        write!(out, "  activity {}: ", activities.len() + 1)?;
        out.flush()?;
        let line = read_line(input)?;
        if line.is_empty() {
            break;
        }
        if activities.contains(&line) {
            writeln!(out, "  You named that one already.")?;
            continue;
        }
        activities.push(line);
    }
    Ok(activities)
}

/// Asks for a PSFS score 0-10 for one activity (no skipping: the scale needs a number).
pub fn ask_psfs_score(
    activity: &str,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    loop {
        write!(
            out,
            "How well can you do this today: {activity}?\n  0 = unable, 10 = as well as before \
             the problem: "
        )?;
        out.flush()?;
        match read_line(input)?.parse::<u8>() {
            Ok(s) if s <= 10 => return Ok(s),
            _ => writeln!(out, "  Please type a whole number from 0 to 10.")?,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use supine_core::safety::DAILY_CHECK;

    #[test]
    fn answers_are_asked_again_until_valid() {
        let mut input = "maybe\n?\n".as_bytes();
        let mut out = Vec::new();
        let a = ask_answer(&DAILY_CHECK, None, &mut input, &mut out).unwrap();
        assert_eq!(a, Answer::NotSure);
        assert!(
            String::from_utf8(out)
                .unwrap()
                .contains("Please type y, n or ?")
        );
    }

    #[test]
    fn pain_is_zero_to_ten_or_skipped() {
        let mut out = Vec::new();
        let mut input = "11\nten\n10\n".as_bytes();
        assert_eq!(ask_pain("Pain?", &mut input, &mut out).unwrap(), Some(10));
        let mut input = "\n".as_bytes();
        assert_eq!(ask_pain("Pain?", &mut input, &mut out).unwrap(), None);
    }

    #[test]
    fn pain_areas_are_letters_in_any_order_or_skipped() {
        let mut out = Vec::new();
        let mut input = "x\nl, b b\n".as_bytes();
        let areas = ask_pain_areas(&mut input, &mut out).unwrap();
        assert_eq!(areas, vec![PainArea::LowerBack, PainArea::Leg]);
        assert!(
            String::from_utf8(out)
                .unwrap()
                .contains("Please type b, h and/or l")
        );
        let mut input = "\n".as_bytes();
        assert!(
            ask_pain_areas(&mut input, &mut Vec::new())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn activities_stop_at_an_empty_line_or_the_maximum() {
        let mut input = "sitting\nsitting\nwalking\n\n".as_bytes();
        let got = ask_activities(3, &mut input, &mut Vec::new()).unwrap();
        assert_eq!(got, vec!["sitting", "walking"]);
        let mut input = "a\nb\nc\nd\n".as_bytes();
        assert_eq!(
            ask_activities(3, &mut input, &mut Vec::new())
                .unwrap()
                .len(),
            3
        );
        let mut input = "\n12\n7\n".as_bytes();
        assert_eq!(
            ask_psfs_score("sitting", &mut input, &mut Vec::new()).unwrap(),
            7
        );
        let mut input = "maybe\nY\n".as_bytes();
        assert_eq!(
            ask_yes_no("Spreads?", &mut input, &mut Vec::new()).unwrap(),
            Some(true)
        );
    }

    fn wrapped(width: usize, write: impl FnOnce(&mut Wrap<&mut Vec<u8>>)) -> String {
        let mut buf = Vec::new();
        {
            let mut w = Wrap::new(&mut buf, width);
            write(&mut w);
        }
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn prompts_wrap_between_words_never_inside_one() {
        let q = supine_core::safety::QUESTIONS
            .iter()
            .find(|q| q.text.contains("hard to pass urine"))
            .unwrap();
        let text = wrapped(40, |w| {
            ask_answer(q, Some((1, 17)), &mut "n\n".as_bytes(), w).unwrap();
        });
        assert!(text.lines().all(|l| l.chars().count() <= 40), "{text}");
        // Every word of the question is whole on some line.
        let words: Vec<&str> = text.split_whitespace().collect();
        for word in q.text.split_whitespace() {
            assert!(words.contains(&word), "{word:?} is broken in {text}");
        }
        assert!(
            text.contains("[y] yes   [n] no"),
            "inner spaces kept: {text}"
        );
    }

    #[test]
    fn wrapped_lines_keep_their_indent_and_a_flush_starts_a_new_line() {
        let text = wrapped(20, |w| {
            write!(w, "  Please type a whole number from 0 to 10.").unwrap();
            w.flush().unwrap();
            write!(w, "next").unwrap();
        });
        assert_eq!(text, "  Please type a\n  whole number from\n  0 to 10.next");
        let text = wrapped(20, |w| {
            write!(w, "aaaa ").unwrap();
            w.flush().unwrap();
            // After the answer (and its Enter) the line is empty again.
            write!(w, "bbbbbbbbbbbbbbbbbb").unwrap();
        });
        assert_eq!(text, "aaaa bbbbbbbbbbbbbbbbbb");
        let text = wrapped(20, |w| {
            w.write_all("é é".as_bytes()[..1].as_ref()).unwrap();
            w.write_all("é é".as_bytes()[1..].as_ref()).unwrap();
        });
        assert_eq!(text, "é é", "a character split between writes");
        let long = "x".repeat(30);
        assert_eq!(
            wrapped(20, |w| write!(w, "a {long} b").unwrap()),
            format!("a\n{long}\nb")
        );
    }

    #[test]
    fn end_of_input_says_nothing_was_saved() {
        let mut input = "".as_bytes();
        let err = ask_answer(&DAILY_CHECK, None, &mut input, &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("nothing was saved"));
    }
}
