//! Line prompts before the player starts: the screening, the daily check and pain before.
//! Generic over reader and writer so tests can script the answers.

use std::io::{BufRead, Write};

use anyhow::{Context, bail};
use supine_core::Answer;
use supine_core::safety::Question;

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
    fn end_of_input_says_nothing_was_saved() {
        let mut input = "".as_bytes();
        let err = ask_answer(&DAILY_CHECK, None, &mut input, &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("nothing was saved"));
    }
}
