//! The reminder, read back by the `icalendar` crate's parser as a calendar app would read it.

use chrono::{NaiveDate, TimeZone, Utc};
use icalendar::{Calendar, CalendarComponent, CalendarDateTime, Component, DatePerhapsTime};
use supine_report::remind::{Reminder, ics};

fn reminder(routine: &str) -> String {
    ics(&Reminder {
        start: NaiveDate::from_ymd_opt(2026, 11, 26)
            .unwrap()
            .and_hms_opt(19, 30, 0)
            .unwrap(),
        routine,
        minutes: 11,
        profile: "anna",
        stamp: Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap(),
    })
}

#[test]
fn a_daily_event_as_long_as_the_routine_with_an_alarm_at_its_start() {
    let text = reminder("Supine basics");
    let cal: Calendar = text.parse().unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(cal.property_value("VERSION"), Some("2.0"));
    assert!(cal.property_value("PRODID").unwrap().contains("supine"));
    let events: Vec<_> = cal.events().collect();
    assert_eq!(events.len(), 1, "{text}");
    let e = events[0];
    assert_eq!(e.get_uid(), Some("daily-reminder-anna@supine"));
    assert_eq!(
        e.get_start(),
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Floating(
            NaiveDate::from_ymd_opt(2026, 11, 26)
                .unwrap()
                .and_hms_opt(19, 30, 0)
                .unwrap()
        ))),
        "floating local time, so it follows the device's zone: {text}"
    );
    assert_eq!(e.property_value("DURATION"), Some("PT11M"));
    assert_eq!(e.property_value("RRULE"), Some("FREQ=DAILY"));
    assert_eq!(e.get_summary(), Some("supine: Supine basics (11 min)"));
    assert!(
        e.get_description()
            .unwrap()
            .contains("about 11 minutes. Start it with `supine practice`."),
        "{text}"
    );
    assert_eq!(
        e.get_timestamp(),
        Some(Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap())
    );
    let alarms: Vec<_> = e
        .components()
        .iter()
        .filter(|c| c.component_kind() == "VALARM")
        .collect();
    assert_eq!(alarms.len(), 1, "{text}");
    assert_eq!(alarms[0].property_value("ACTION"), Some("DISPLAY"));
    let trigger = alarms[0].property_value("TRIGGER").unwrap();
    // A zero duration: the alarm goes off as the event starts.
    assert!(["P0D", "PT0S", "PT0M"].contains(&trigger), "{trigger}");
    assert_eq!(
        alarms[0].property_value("UID"),
        Some("daily-reminder-anna-alarm@supine")
    );
    assert_eq!(
        text,
        reminder("Supine basics"),
        "the same reminder, the same file"
    );
    // Content lines end in CRLF, as RFC 5545 says.
    assert!(text.ends_with("END:VCALENDAR\r\n"), "{text:?}");
    assert!(!text.replace("\r\n", "").contains('\n'), "{text:?}");
}

#[test]
fn a_routine_name_with_separators_and_accents_reads_back_as_written() {
    let name =
        "Rücken; sanft, mit \\ Pausen – ein sehr langer Name, der über 75 Oktette hinausgeht";
    let text = reminder(name);
    for line in text.split("\r\n") {
        assert!(line.len() <= 75, "a line longer than 75 octets: {line:?}");
    }
    let cal: Calendar = text.parse().unwrap_or_else(|e| panic!("{e}\n{text}"));
    let e = match &cal.components[..] {
        [CalendarComponent::Event(e)] => e,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        e.get_summary(),
        Some(format!("supine: {name} (11 min)").as_str())
    );
    assert!(e.get_description().unwrap().contains(name), "{text}");
}
