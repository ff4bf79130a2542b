//! Line prompts before the player starts (the screening, the daily check, pain before and where
//! it hurts) and for the weekly activity check (PSFS).
//! Generic over reader and writer so tests can script the answers.

use std::io::{BufRead, Write};

use anyhow::{Context, bail};
use supine_core::Answer;
use supine_core::safety::Question;
use supine_store::PainArea;

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

    #[test]
    fn end_of_input_says_nothing_was_saved() {
        let mut input = "".as_bytes();
        let err = ask_answer(&DAILY_CHECK, None, &mut input, &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("nothing was saved"));
    }
}
