//! The daily reminder: an iCalendar event (RFC 5545) that repeats every day at the chosen time and
//! lasts as long as the routine, with an alarm, so any calendar app reminds the person.

use chrono::{NaiveDateTime, NaiveTime};

use crate::ReportError;

/// Parses a 24-hour `HH:MM`.
pub fn parse_time(s: &str) -> Result<NaiveTime, ReportError> {
    let bad = || ReportError::BadTime(s.to_owned());
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let ok = |p: &str| (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    if !ok(h) || m.len() != 2 || !ok(m) {
        return Err(bad());
    }
    let (h, m) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    NaiveTime::from_hms_opt(h, m, 0).ok_or_else(bad)
}

/// The next time the clock shows `at`, strictly after `now`.
pub fn next_occurrence(now: NaiveDateTime, at: NaiveTime) -> NaiveDateTime {
    let today = now.date().and_time(at);
    if today > now {
        today
    } else {
        today + chrono::Duration::days(1)
    }
}

/// Escapes TEXT values (RFC 5545 3.3.11).
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

/// Folds a content line at 75 octets, never inside a UTF-8 character (RFC 5545 3.1).
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut len = 0;
    for c in line.chars() {
        if len + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            len = 1;
        }
        out.push(c);
        len += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

/// What the event needs to say.
pub struct Reminder<'a> {
    /// First start, in floating local time (follows the device's time zone).
    pub start: NaiveDateTime,
    /// The routine's name.
    pub routine: &'a str,
    /// Its length in whole minutes (at least 1).
    pub minutes: u64,
    /// The profile, so that each profile's reminder has its own UID.
    pub profile: &'a str,
    /// Creation time, UTC, `YYYYMMDDTHHMMSSZ`.
    pub stamp: String,
}

/// The whole calendar file.
pub fn ics(r: &Reminder<'_>) -> String {
    let start = r.start.format("%Y%m%dT%H%M%S");
    let summary = format!("supine: {} ({} min)", r.routine, r.minutes);
    let description = format!(
        "Time for your lying-down back routine, {}: about {} minutes. Start it with \
         `supine practice`. If something hurts, ease off or stop.",
        r.routine, r.minutes
    );
    let mut s = String::new();
    for line in [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//supine//daily reminder//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        // The same UID each time, so importing a new reminder replaces the old one.
        format!("UID:daily-reminder-{}@supine", escape(r.profile)),
        format!("DTSTAMP:{}", r.stamp),
        format!("DTSTART:{start}"),
        format!("DURATION:PT{}M", r.minutes),
        "RRULE:FREQ=DAILY".to_owned(),
        format!("SUMMARY:{}", escape(&summary)),
        format!("DESCRIPTION:{}", escape(&description)),
        "BEGIN:VALARM".to_owned(),
        "ACTION:DISPLAY".to_owned(),
        "TRIGGER:PT0M".to_owned(),
        format!("DESCRIPTION:{}", escape(&summary)),
        "END:VALARM".to_owned(),
        "END:VEVENT".to_owned(),
        "END:VCALENDAR".to_owned(),
    ] {
        s.push_str(&fold(&line));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn times_are_24_hour_hh_mm() {
        assert_eq!(parse_time("19:30").unwrap(), at(19, 30));
        assert_eq!(parse_time("7:05").unwrap(), at(7, 5));
        for bad in ["24:00", "19:60", "1930", "7pm", "19:3", "", "-1:30"] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_first_reminder_is_the_next_time_the_clock_shows_it() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        let now = d.and_time(at(18, 0));
        assert_eq!(next_occurrence(now, at(19, 30)), d.and_time(at(19, 30)));
        let later = d.and_time(at(20, 0));
        assert_eq!(
            next_occurrence(later, at(19, 30)),
            NaiveDate::from_ymd_opt(2026, 11, 27)
                .unwrap()
                .and_time(at(19, 30))
        );
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_characters() {
        let line = format!("DESCRIPTION:{}", "é".repeat(60));
        let folded = fold(&line);
        for part in folded.split("\r\n").filter(|p| !p.is_empty()) {
            assert!(part.len() <= 75, "{part:?}");
        }
        let unfolded = folded.replace("\r\n ", "");
        assert_eq!(unfolded.trim_end(), line);
    }
}
