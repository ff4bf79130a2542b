//! RFC 3339 timestamps: the caller's text is kept as given, and compared as UTC milliseconds.

use chrono::DateTime;

use crate::StoreError;

/// What a timestamp must look like, for error messages.
const EXPECTED: &str =
    "expected an RFC 3339 timestamp with an offset, like 2026-11-26T14:05:00+01:00";

/// Parses an RFC 3339 timestamp (offset required) into UTC unix milliseconds.
///
/// `field` names the value in the error, e.g. `"started_at"`.
pub(crate) fn utc_millis(field: &'static str, value: &str) -> Result<i64, StoreError> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.timestamp_millis())
        .map_err(|e| StoreError::invalid(field, value, format!("{EXPECTED} ({e})")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        utc_millis("t", s).unwrap()
    }

    #[test]
    fn the_same_instant_in_different_offsets_is_equal() {
        assert_eq!(ms("2026-11-26T14:05:00+01:00"), ms("2026-11-26T13:05:00Z"));
        assert_eq!(ms("2026-11-26T13:05:00Z"), ms("2026-11-26T08:05:00-05:00"));
        assert_eq!(ms("2026-11-26T13:05:00Z"), ms("2026-11-26T18:35:00+05:30"));
    }

    #[test]
    fn instants_compare_in_utc_not_as_text() {
        // Later as text, earlier in time.
        assert!(ms("2026-11-26T10:00:00+02:00") < ms("2026-11-26T09:30:00Z"));
        // A date-line crossing.
        assert!(ms("2026-11-27T00:30:00+14:00") < ms("2026-11-26T11:00:00Z"));
    }

    #[test]
    fn known_values_and_fractions() {
        assert_eq!(ms("1970-01-01T00:00:00Z"), 0);
        assert_eq!(ms("1970-01-01T01:00:00+01:00"), 0);
        assert_eq!(ms("2026-11-26T14:05:00.250+01:00"), 1_795_698_300_250);
        assert_eq!(ms("1969-12-31T23:59:59.5Z"), -500);
    }

    #[test]
    fn malformed_timestamps_are_rejected_with_a_clear_message() {
        for bad in [
            "",
            "yesterday",
            "2026-11-26",
            "2026-11-26T14:05:00",
            "2026-11-26 14:05",
            "2026-13-01T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-11-26T25:00:00Z",
            "2026-11-26T14:05:00+1:00",
            "  2026-11-26T14:05:00Z",
        ] {
            let err = utc_millis("started_at", bad).unwrap_err();
            assert!(
                matches!(
                    err,
                    StoreError::InvalidValue {
                        field: "started_at",
                        ..
                    }
                ),
                "{bad:?} gave {err:?}"
            );
            let msg = err.to_string();
            assert!(msg.starts_with("invalid started_at "), "{msg}");
            assert!(msg.contains("2026-11-26T14:05:00+01:00"), "{msg}");
        }
    }
}
