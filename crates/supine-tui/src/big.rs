//! Block letters for the instruction on large terminals.
//!
//! A small variable-width font, five pixels tall, drawn with half-block characters so that each
//! pixel is one column wide and half a row tall: square on most terminal fonts. A line of block
//! letters takes three rows, so it reads about two and a half times the size of normal text.
//! Upper case only; text with a character the font lacks is left to normal type.

/// Rows of cells per line of block letters (five pixels and one of space).
pub(crate) const ROWS_PER_LINE: usize = 3;
/// Empty rows between lines of block letters.
pub(crate) const LINE_GAP: usize = 1;

/// Glyphs as rows of pixels, `#` set. Widths vary: M and W need five columns to be read.
const GLYPHS: &[(char, [&str; 5])] = &[
    ('A', [".#.", "#.#", "###", "#.#", "#.#"]),
    ('B', ["##.", "#.#", "##.", "#.#", "##."]),
    ('C', [".##", "#..", "#..", "#..", ".##"]),
    ('D', ["##.", "#.#", "#.#", "#.#", "##."]),
    ('E', ["###", "#..", "##.", "#..", "###"]),
    ('F', ["###", "#..", "##.", "#..", "#.."]),
    ('G', [".###", "#...", "#.##", "#..#", ".###"]),
    ('H', ["#.#", "#.#", "###", "#.#", "#.#"]),
    ('I', ["###", ".#.", ".#.", ".#.", "###"]),
    ('J', ["..#", "..#", "..#", "#.#", ".#."]),
    ('K', ["#.#", "#.#", "##.", "#.#", "#.#"]),
    ('L', ["#..", "#..", "#..", "#..", "###"]),
    ('M', ["#...#", "##.##", "#.#.#", "#...#", "#...#"]),
    ('N', ["#..#", "##.#", "#.##", "#..#", "#..#"]),
    ('O', [".##.", "#..#", "#..#", "#..#", ".##."]),
    ('P', ["##.", "#.#", "##.", "#..", "#.."]),
    ('Q', [".##.", "#..#", "#..#", "#.#.", ".#.#"]),
    ('R', ["##.", "#.#", "##.", "#.#", "#.#"]),
    ('S', [".##", "#..", ".#.", "..#", "##."]),
    ('T', ["###", ".#.", ".#.", ".#.", ".#."]),
    ('U', ["#..#", "#..#", "#..#", "#..#", ".##."]),
    ('V', ["#.#", "#.#", "#.#", "#.#", ".#."]),
    ('W', ["#...#", "#...#", "#.#.#", "##.##", "#...#"]),
    ('X', ["#.#", "#.#", ".#.", "#.#", "#.#"]),
    ('Y', ["#.#", "#.#", ".#.", ".#.", ".#."]),
    ('Z', ["###", "..#", ".#.", "#..", "###"]),
    ('0', ["###", "#.#", "#.#", "#.#", "###"]),
    ('1', [".#.", "##.", ".#.", ".#.", "###"]),
    ('2', ["##.", "..#", ".#.", "#..", "###"]),
    ('3', ["##.", "..#", ".#.", "..#", "##."]),
    ('4', ["#.#", "#.#", "###", "..#", "..#"]),
    ('5', ["###", "#..", "##.", "..#", "##."]),
    ('6', [".##", "#..", "###", "#.#", "###"]),
    ('7', ["###", "..#", ".#.", ".#.", ".#."]),
    ('8', ["###", "#.#", "###", "#.#", "###"]),
    ('9', ["###", "#.#", "###", "..#", "##."]),
    ('.', [".", ".", ".", ".", "#"]),
    (',', ["..", "..", "..", ".#", "#."]),
    ('\'', ["#", "#", ".", ".", "."]),
    ('’', ["#", "#", ".", ".", "."]),
    ('-', ["...", "...", "###", "...", "..."]),
    ('?', ["##.", "..#", ".#.", "...", ".#."]),
    ('!', ["#", "#", "#", ".", "#"]),
    (':', [".", "#", ".", "#", "."]),
    (';', ["..", ".#", "..", ".#", "#."]),
    ('(', [".#", "#.", "#.", "#.", ".#"]),
    (')', ["#.", ".#", ".#", ".#", "#."]),
    ('/', ["..#", "..#", ".#.", "#..", "#.."]),
    ('"', ["#.#", "#.#", "...", "...", "..."]),
    (' ', [".", ".", ".", ".", "."]),
];

fn glyph(c: char) -> Option<&'static [&'static str; 5]> {
    GLYPHS.iter().find(|(g, _)| *g == c).map(|(_, rows)| rows)
}

/// Width in columns of `s` (already upper case), one column between glyphs.
fn measure(s: &str) -> usize {
    let (n, w) = s.chars().fold((0usize, 0usize), |(n, w), c| {
        (n + 1, w + glyph(c).map_or(3, |g| g[0].len()))
    });
    w + n.saturating_sub(1)
}

/// Draws one line of text as three rows of half blocks.
fn draw_line(s: &str) -> [String; ROWS_PER_LINE] {
    // Five pixel rows plus an empty sixth, so each pair of pixel rows makes one cell row.
    let mut px: [Vec<bool>; 6] = Default::default();
    for (i, c) in s.chars().enumerate() {
        let g = glyph(c).unwrap_or(&["...", "...", "...", "...", "..."]);
        for (row, bits) in px.iter_mut().zip(g.iter()) {
            if i > 0 {
                row.push(false);
            }
            row.extend(bits.chars().map(|b| b == '#'));
        }
        let width = g[0].len() + usize::from(i > 0);
        px[5].extend(std::iter::repeat_n(false, width));
    }
    std::array::from_fn(|r| {
        px[2 * r]
            .iter()
            .zip(&px[2 * r + 1])
            .map(|(&top, &bottom)| match (top, bottom) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            })
            // Not trimmed: the three rows of a line must be equally wide to stay aligned when
            // centred.
            .collect::<String>()
    })
}

/// `text` in block letters within `width` columns and `max_rows` rows, one string per row, or
/// `None` if it does not fit or uses a character the font lacks.
pub(crate) fn render(text: &str, width: usize, max_rows: usize) -> Option<Vec<String>> {
    let upper = text.to_uppercase();
    if upper
        .chars()
        .any(|c| !c.is_whitespace() && glyph(c).is_none())
    {
        return None;
    }
    if upper.split_whitespace().any(|w| measure(w) > width) {
        return None;
    }
    let lines = crate::ui::wrap_balanced_by(&upper, width, &measure);
    let rows = lines.len() * (ROWS_PER_LINE + LINE_GAP) - LINE_GAP;
    if lines.is_empty() || rows > max_rows {
        return None;
    }
    let mut out = Vec::with_capacity(rows);
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.extend(std::iter::repeat_n(String::new(), LINE_GAP));
        }
        out.extend(draw_line(line));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_glyph_is_five_rows_of_one_width() {
        for (c, rows) in GLYPHS {
            let w = rows[0].len();
            assert!(rows.iter().all(|r| r.len() == w), "{c:?}");
            assert!(rows.iter().all(|r| r.chars().all(|p| p == '#' || p == '.')));
        }
        for c in ('A'..='Z').chain('0'..='9') {
            assert!(glyph(c).is_some(), "{c:?} is missing");
        }
    }

    #[test]
    fn letters_become_half_blocks() {
        assert_eq!(draw_line("A"), ["▄▀▄", "█▀█", "▀ ▀"]);
        assert_eq!(draw_line("HI."), ["█ █ ▀█▀  ", "█▀█  █   ", "▀ ▀ ▀▀▀ ▀"]);
        assert_eq!(measure("HI."), 3 + 1 + 3 + 1 + 1);
    }

    #[test]
    fn text_that_does_not_fit_or_has_unknown_characters_is_refused() {
        // Three lines of three rows, with a row between them.
        let rows = render("Hold here and breathe.", 40, 12).unwrap();
        assert_eq!(rows.len(), 11);
        assert!(rows.iter().all(|r| r.chars().count() <= 40));
        assert!(
            render("Hold here and breathe.", 40, 10).is_none(),
            "too few rows"
        );
        assert!(
            render("Anticlockwise", 20, 12).is_none(),
            "a word wider than a line"
        );
        assert!(render("Détendez-vous", 80, 12).is_none(), "no glyph for é");
    }
}
