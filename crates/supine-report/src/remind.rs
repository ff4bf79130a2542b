//! The daily reminder: an iCalendar event (RFC 5545) that repeats every day at the chosen time and
//! lasts as long as the routine, with an alarm, so any calendar app reminds the person.

use chrono::{DateTime, Duration, NaiveDateTime, NaiveTime, Utc};
use icalendar::{Alarm, Calendar, Component, Event, EventLike, Property, Trigger};

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
    /// When the event was made (`DTSTAMP`).
    pub stamp: DateTime<Utc>,
}

/// The whole calendar file, written by the `icalendar` crate (which escapes the text and folds
/// long lines).
pub fn ics(r: &Reminder<'_>) -> String {
    let summary = format!("supine: {} ({} min)", r.routine, r.minutes);
    let description = format!(
        "Time for your lying-down back routine, {}: about {} minutes. Start it with \
         `supine practice`. If something hurts, ease off or stop.",
        r.routine, r.minutes
    );
    let event = Event::new()
        // The same UID each time, so importing a new reminder replaces the old one.
        .uid(&format!("daily-reminder-{}@supine", r.profile))
        .timestamp(r.stamp)
        // Floating local time: the reminder follows the device's time zone.
        .starts(r.start)
        .add_property("DURATION", format!("PT{}M", r.minutes))
        .add_property("RRULE", "FREQ=DAILY")
        .summary(&summary)
        .description(&description)
        .alarm(
            // The crate gives every component a UID and a DTSTAMP, a random UID unless one is
            // set: a fixed one keeps the file the same for the same reminder (RFC 9074).
            Alarm::display(&summary, Trigger::from(Duration::zero()))
                .uid(&format!("daily-reminder-{}-alarm@supine", r.profile))
                .timestamp(r.stamp)
                .done(),
        )
        .done();
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", "-//supine//daily reminder//EN"))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .push(event);
    calendar.to_string()
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
}
