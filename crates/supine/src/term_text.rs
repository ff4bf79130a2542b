//! Text from data, made safe to print on a terminal.
//!
//! Anything read from the journal or from an import file (routine names, end reasons,
//! activities, remembered settings) may hold control characters: an ESC sequence can move the
//! cursor, recolour or clear the screen, retitle the window, or hide text; a carriage return or
//! a bidirectional override can make a line read as something else. [`show`] writes every such
//! character as a visible escape instead (`\x1b`, `\r`, `\u{202e}`), and leaves all other text,
//! accents and emoji included, as it is.
//!
//! Used by `supine log` (routine names, how a session ended), `supine progress` (the profile
//! name), `supine psfs` (the remembered activities it asks about), `supine import` (the
//! profile) and every error message `main` prints ([`show_lines`]: a message may quote a value
//! from the journal, such as a remembered routine id).

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with every control character (C0, DEL, C1), and every invisible character that
/// reorders or hides text (bidirectional controls, zero-width joiners and spaces, the BOM, line
/// and paragraph separators), written as an escape. Text without them is borrowed unchanged.
pub fn show(text: &str) -> Cow<'_, str> {
    escape(text, needs_escape)
}

/// Like [`show`], but line breaks (`\n`) stay line breaks: for messages of several lines, such
/// as an error and its causes.
pub fn show_lines(text: &str) -> Cow<'_, str> {
    escape(text, |c| c != '\n' && needs_escape(c))
}

fn escape(text: &str, escaped: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(&escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !escaped(c) {
            out.push(c);
            continue;
        }
        let _ = match c {
            '\t' => write!(out, "\\t"),
            '\n' => write!(out, "\\n"),
            '\r' => write!(out, "\\r"),
            c if u32::from(c) < 0x100 => write!(out, "\\x{:02x}", u32::from(c)),
            c => write!(out, "\\u{{{:04x}}}", u32::from(c)),
        };
    }
    Cow::Owned(out)
}

/// Whether `c` must not reach a terminal as it is. A backslash is left alone: the escapes are
/// for reading, not for parsing back.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            // Zero-width space, joiners, marks; left-to-right and right-to-left marks.
            '\u{200b}'..='\u{200f}'
            // Line and paragraph separators; bidirectional embeddings and overrides.
            | '\u{2028}'..='\u{202e}'
            // Bidirectional isolates.
            | '\u{2066}'..='\u{2069}'
            // Byte order mark (zero-width no-break space).
            | '\u{feff}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_as_it_is() {
        for text in [
            "Supine basics",
            "Rückenübungen – sanft",
            "ヨガ 🧘",
            "a\\x1b b",
            "",
        ] {
            assert!(
                matches!(show(text), Cow::Borrowed(t) if t == text),
                "{text}"
            );
        }
    }

    #[test]
    fn escape_sequences_and_controls_are_made_visible() {
        assert_eq!(
            show("Basics\u{1b}[2J\u{1b}]0;owned\u{7}"),
            "Basics\\x1b[2J\\x1b]0;owned\\x07"
        );
        assert_eq!(show("a\tb\nc\rd"), "a\\tb\\nc\\rd");
        assert_eq!(show("del\u{7f} csi\u{9b}"), "del\\x7f csi\\x9b");
        assert_eq!(show("\u{202e}evil\u{2066}"), "\\u{202e}evil\\u{2066}");
        assert_eq!(
            show("zero\u{200b}width\u{feff}"),
            "zero\\u{200b}width\\u{feff}"
        );
    }

    #[test]
    fn messages_keep_their_lines() {
        assert_eq!(show_lines("one\ntwo\u{1b}[1m\r"), "one\ntwo\\x1b[1m\\r");
    }

    #[test]
    fn nothing_shown_is_a_control_character() {
        // Every code point below U+3000, the ranges above that matter, and a few beyond.
        let all: String = (0u32..0x3000)
            .chain(0xfe00..0xff00)
            .filter_map(char::from_u32)
            .collect();
        let shown = show(&all);
        assert!(
            !shown.chars().any(needs_escape),
            "a control character survived"
        );
        assert!(shown.contains('é') && shown.contains("\\x1b"));
    }
}
