//! Properties of the progress maths: streaks, weekly totals and the rolling mean against
//! straightforward reference versions.

use std::collections::BTreeSet;

use proptest::prelude::*;
use supine_core::progress::{Day, SessionPoint, rolling_mean, streak, weekly};

fn days() -> impl Strategy<Value = BTreeSet<i32>> {
    proptest::collection::btree_set(20_000i32..20_060, 0..50)
}

proptest! {
    #[test]
    fn streak_counts_back_from_today_or_yesterday(set in days(), today in 20_000i32..20_070) {
        let practised: BTreeSet<Day> = set.iter().copied().map(Day).collect();
        let got = streak(&practised, Day(today));
        // Reference: the longest run of consecutive days ending today, or ending yesterday.
        let run = |end: i32| (0..).take_while(|k| set.contains(&(end - k))).count() as u32;
        let want = if set.contains(&today) { run(today) } else { run(today - 1) };
        prop_assert_eq!(got, want);
        // Practising today never lowers the streak.
        let mut more = practised.clone();
        more.insert(Day(today));
        prop_assert!(streak(&more, Day(today)) >= got);
        prop_assert!(streak(&more, Day(today)) >= 1);
    }

    #[test]
    fn weeks_are_consecutive_mondays_and_add_up(set in days(), today in 20_000i32..20_070) {
        let sessions: Vec<SessionPoint> = set
            .iter()
            .map(|&d| SessionPoint {
                day: Day(d),
                practised: d % 3 != 0,
                minutes: 10.0,
                pain_before: None,
                pain_after: None,
            })
            .collect();
        let weeks = weekly(&sessions, Day(today));
        let practised = sessions.iter().filter(|s| s.practised).count() as u32;
        prop_assert_eq!(weeks.iter().map(|w| w.sessions).sum::<u32>(), practised);
        for w in &weeks {
            prop_assert_eq!(w.start.weekday(), 0);
            prop_assert!((w.minutes - 10.0 * f64::from(w.sessions)).abs() < 1e-9);
        }
        for pair in weeks.windows(2) {
            prop_assert_eq!(pair[1].start.0 - pair[0].start.0, 7);
        }
        if let Some(last) = weeks.last() {
            prop_assert!(last.start.0 <= today.max(*set.iter().max().unwrap()));
            prop_assert!(last.start.0 + 7 > today);
        }
    }

    #[test]
    fn rolling_mean_matches_the_mean_of_each_window(
        set in days(),
        values in proptest::collection::vec(0u8..=10, 50),
    ) {
        let points: Vec<(Day, f64)> = set
            .iter()
            .zip(&values)
            .map(|(&d, &v)| (Day(d), f64::from(v)))
            .collect();
        let got = rolling_mean(&points, 7);
        prop_assert_eq!(got.len(), points.len());
        for (i, &(day, _)) in points.iter().enumerate() {
            let window: Vec<f64> = points
                .iter()
                .filter(|(d, _)| d.0 > day.0 - 7 && d.0 <= day.0)
                .map(|&(_, v)| v)
                .collect();
            let want = window.iter().sum::<f64>() / window.len() as f64;
            prop_assert!((got[i] - want).abs() < 1e-9, "{} vs {}", got[i], want);
        }
    }
}
