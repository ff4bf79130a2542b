//! Progress maths: streaks, weekly totals, the pain trend with its 7-day rolling mean, relief per
//! session, the Patient-Specific Functional Scale (PSFS) trend, meaningful-change markers and the
//! two-week rule.
//!
//! Pure: the caller turns its records into [`SessionPoint`]s and [`PsfsPoint`]s, with each day as
//! the person lived it (the calendar date in their own offset), and passes today in.
//!
//! Meaningful change (`shared/docs/CLINICAL.md`, Ostelo 2008): for pain 0-10, a change of 2 points
//! or 30% of the starting value. supine also asks at least 1 point before a 30% change counts, so
//! that 1 → 0.7 on a rolling mean is not called progress. For PSFS (Stratford 1995): 2 points on
//! the average, or 3 points for one activity.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

/// A calendar day, counted from 1970-01-01 (day 0), in the proleptic Gregorian calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i32);

impl Day {
    /// The day for a year, month (1-12) and day of month; `None` if there is no such date.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Day> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        // Howard Hinnant's days_from_civil.
        let y = i64::from(year) - i64::from(month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        i32::try_from(era * 146_097 + doe - 719_468).ok().map(Day)
    }

    /// Year, month (1-12) and day of month.
    pub fn ymd(self) -> (i32, u32, u32) {
        // Howard Hinnant's civil_from_days.
        let z = i64::from(self.0) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        // The casts cannot truncate: m is 1-12, d is 1-31 and |y| < 2^31 for any i32 day count.
        (y as i32, m as u32, d as u32)
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Day> {
        let mut parts = s.splitn(3, '-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if !(all_digits(y) && all_digits(m) && all_digits(d)) {
            return None;
        }
        Day::from_ymd(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
    }

    /// Day of the week, 0 = Monday … 6 = Sunday.
    pub fn weekday(self) -> u32 {
        // 1970-01-01 was a Thursday (3).
        (self.0 + 3).rem_euclid(7) as u32
    }

    /// The Monday that starts this day's week.
    pub fn week_start(self) -> Day {
        Day(self.0 - self.weekday() as i32)
    }

    /// The day `n` days later (earlier for negative `n`).
    pub fn plus(self, n: i32) -> Day {
        Day(self.0 + n)
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Day::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("not a date: {s:?}")))
    }
}

/// One session, as progress needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionPoint {
    /// The day it started, in the person's own calendar.
    pub day: Day,
    /// Whether it counts as practice (for streaks and weekly totals): the caller decides, e.g.
    /// finished sessions and interrupted ones that lasted a while.
    pub practised: bool,
    /// Minutes actually spent.
    pub minutes: f64,
    /// Pain before, 0-10.
    pub pain_before: Option<u8>,
    /// Pain after, 0-10.
    pub pain_after: Option<u8>,
}

/// One PSFS entry: up to three activities, each scored 0 (unable) to 10 (as before the problem).
#[derive(Debug, Clone, PartialEq)]
pub struct PsfsPoint {
    /// The day it was answered.
    pub day: Day,
    /// `(activity, score)` pairs.
    pub items: Vec<(String, u8)>,
}

/// Direction of a change that matters, compared with where the person started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Better by a meaningful amount.
    Better,
    /// No meaningful change.
    Same,
    /// Worse by a meaningful amount.
    Worse,
}

/// Whether going from `from` to `to` on the 0-10 pain scale is a meaningful change: at least
/// 2 points, or at least 30% of `from` and at least 1 point (from 0, only the 2 points count).
/// Lower pain is better.
pub fn pain_change(from: f64, to: f64) -> Change {
    const EPS: f64 = 1e-9;
    let diff = to - from;
    let size = diff.abs();
    let meaningful =
        size + EPS >= 2.0 || (from > 0.0 && size + EPS >= 1.0 && size + EPS >= 0.3 * from);
    match (meaningful, diff < 0.0) {
        (false, _) => Change::Same,
        (true, true) => Change::Better,
        (true, false) => Change::Worse,
    }
}

/// Totals for one week (Monday to Sunday).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekTotal {
    /// The Monday that starts the week.
    pub start: Day,
    /// Sessions practised.
    pub sessions: u32,
    /// Minutes practised.
    pub minutes: f64,
}

/// Pain before sessions on one day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PainPoint {
    /// The day.
    pub day: Day,
    /// Mean pain before that day's sessions.
    pub pain: f64,
    /// Mean of the daily values in the 7 days ending this day (days without a score are left
    /// out, not counted as zero).
    pub rolling_mean: f64,
    /// The rolling mean compared with the baseline.
    pub change: Change,
    /// Set where `change` differs from the day before (the first day is never marked).
    pub marker: Option<Change>,
}

/// Relief in one session: pain before minus pain after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReliefPoint {
    /// The session's day.
    pub day: Day,
    /// Pain before.
    pub before: u8,
    /// Pain after.
    pub after: u8,
    /// `before - after`: positive is relief.
    pub relief: i32,
    /// Whether the relief is meaningful (see [`pain_change`]): pain meaningfully lower after.
    pub meaningful: bool,
    /// Pain after compared with before (see [`pain_change`]): `better` is the same as
    /// `meaningful`, `worse` is pain meaningfully higher after the session (6 -> 8).
    pub change: Change,
}

/// What the marks of [`ReliefPoint::short`] mean.
pub const RELIEF_MARKS: &str = "* = meaningfully better, ! = meaningfully worse (2 points or 30%)";

impl ReliefPoint {
    /// The relief as a list shows it: `+3*` (meaningfully better), `-2!` (meaningfully
    /// worse), `+1` or `0`; see [`RELIEF_MARKS`].
    pub fn short(&self) -> String {
        let mark = match self.change {
            Change::Better => "*",
            Change::Worse => "!",
            Change::Same => "",
        };
        format!("{:+}{mark}", self.relief)
    }

    /// Plain words for a meaningful change, e.g. "pain meaningfully worse after the session
    /// (6 before, 8 after)"; `None` when there was none.
    pub fn message(&self) -> Option<String> {
        let which = match self.change {
            Change::Better => "better",
            Change::Worse => "worse",
            Change::Same => return None,
        };
        Some(format!(
            "pain meaningfully {which} after the session ({} before, {} after)",
            self.before, self.after
        ))
    }
}

/// One PSFS entry on the trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PsfsTrendPoint {
    /// The day.
    pub day: Day,
    /// Mean score of the activities (0-10, higher is better).
    pub mean: f64,
    /// `mean` minus the first entry's mean.
    pub change: f64,
    /// 2 points on the mean, or 3 points for one activity, better than the first entry.
    pub meaningful: bool,
}

/// What the two-week rule says.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Advice {
    /// No pain scores yet.
    NoData,
    /// Fewer than 14 days between the first and latest pain score, and nothing meaningful yet.
    TooEarly {
        /// Days from the first to the latest score, both counted.
        days: u32,
    },
    /// Pain before sessions is meaningfully lower than at the start.
    Improving {
        /// Mean pain in the first 7 days.
        baseline: f64,
        /// Mean pain in the latest 7 days.
        recent: f64,
    },
    /// Two weeks or more, and no meaningful improvement: time to see a clinician.
    NoImprovement {
        /// Mean pain in the first 7 days.
        baseline: f64,
        /// Mean pain in the latest 7 days.
        recent: f64,
        /// Days from the first to the latest score, both counted.
        days: u32,
    },
    /// Pain is meaningfully worse than at the start (after at least a week): see a clinician.
    Worse {
        /// Mean pain in the first 7 days.
        baseline: f64,
        /// Mean pain in the latest 7 days.
        recent: f64,
    },
}

impl Advice {
    /// Whether the person should see a clinician.
    pub fn see_clinician(&self) -> bool {
        matches!(self, Advice::NoImprovement { .. } | Advice::Worse { .. })
    }

    /// A plain sentence for the person.
    pub fn message(&self) -> String {
        match self {
            Advice::NoData => {
                "Rate your pain before sessions and supine will show how it changes.".into()
            }
            Advice::TooEarly { days } => format!(
                "{days} day(s) of pain scores so far; after two weeks supine can tell whether \
                 things are improving."
            ),
            Advice::Improving { baseline, recent } => format!(
                "Your pain before sessions has come down from {baseline:.1} to {recent:.1}: a \
                 meaningful improvement. Keep going."
            ),
            Advice::NoImprovement {
                baseline,
                recent,
                days,
            } => format!(
                "After {days} days your pain before sessions has not improved meaningfully \
                 ({baseline:.1} at the start, {recent:.1} now). It is time to see a doctor or \
                 physiotherapist about your back."
            ),
            Advice::Worse { baseline, recent } => format!(
                "Your pain before sessions has got worse ({baseline:.1} at the start, \
                 {recent:.1} now). Please see a doctor or physiotherapist before carrying on."
            ),
        }
    }
}

/// Everything `supine progress` shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    /// The day the report is for.
    pub today: Day,
    /// Days in a row with practice, ending today, or yesterday if today has none yet.
    pub streak: u32,
    /// Whether today has practice.
    pub practised_today: bool,
    /// Sessions practised in all.
    pub sessions: u32,
    /// Minutes practised in all.
    pub minutes: f64,
    /// Every week from the first practised one to today's, empty weeks included.
    pub weeks: Vec<WeekTotal>,
    /// Mean pain before sessions in the first 7 days with a score.
    pub baseline: Option<f64>,
    /// Pain before sessions, one point per day with a score.
    pub pain: Vec<PainPoint>,
    /// Relief in each session that has both scores, in order.
    pub relief: Vec<ReliefPoint>,
    /// How many of those sessions left the pain meaningfully worse.
    pub sessions_worse: u32,
    /// PSFS entries in order.
    pub psfs: Vec<PsfsTrendPoint>,
    /// The two-week rule.
    pub advice: Advice,
}

/// Days in a row with practice, ending today if practised, else ending yesterday: a day not yet
/// practised does not break the streak. Days after `today` are ignored.
pub fn streak(practised: &BTreeSet<Day>, today: Day) -> u32 {
    let mut day = if practised.contains(&today) {
        today
    } else {
        today.plus(-1)
    };
    let mut n = 0;
    while practised.contains(&day) {
        n += 1;
        day = day.plus(-1);
    }
    n
}

/// Sessions and minutes per week, from the week of the first practised session to the week of
/// `today` (or of the last session, if later), with empty weeks in between.
pub fn weekly(sessions: &[SessionPoint], today: Day) -> Vec<WeekTotal> {
    let practised: Vec<&SessionPoint> = sessions.iter().filter(|s| s.practised).collect();
    let Some(first) = practised.iter().map(|s| s.day).min() else {
        return Vec::new();
    };
    let last = practised
        .iter()
        .map(|s| s.day)
        .max()
        .unwrap_or(today)
        .max(today);
    let mut weeks: BTreeMap<Day, WeekTotal> = BTreeMap::new();
    let mut start = first.week_start();
    while start <= last {
        weeks.insert(
            start,
            WeekTotal {
                start,
                sessions: 0,
                minutes: 0.0,
            },
        );
        start = start.plus(7);
    }
    for s in practised {
        if let Some(w) = weeks.get_mut(&s.day.week_start()) {
            w.sessions += 1;
            w.minutes += s.minutes;
        }
    }
    weeks.into_values().collect()
}

/// For each `(day, value)` (sorted by day, one per day), the mean of the values in the `window`
/// days ending that day.
pub fn rolling_mean(points: &[(Day, f64)], window: i32) -> Vec<f64> {
    let mut out = Vec::with_capacity(points.len());
    let mut lo = 0;
    let mut sum = 0.0;
    for (hi, &(day, value)) in points.iter().enumerate() {
        sum += value;
        while points[lo].0.0 <= day.0 - window {
            sum -= points[lo].1;
            lo += 1;
        }
        out.push(sum / (hi + 1 - lo) as f64);
    }
    out
}

fn mean(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values
        .into_iter()
        .fold((0.0, 0u32), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / f64::from(n))
}

/// Mean pain before sessions per day, sorted by day.
fn daily_pain(sessions: &[SessionPoint]) -> Vec<(Day, f64)> {
    let mut by_day: BTreeMap<Day, (f64, u32)> = BTreeMap::new();
    for s in sessions {
        if let Some(p) = s.pain_before {
            let e = by_day.entry(s.day).or_default();
            e.0 += f64::from(p);
            e.1 += 1;
        }
    }
    by_day
        .into_iter()
        .map(|(d, (sum, n))| (d, sum / f64::from(n)))
        .collect()
}

/// The two-week rule over daily pain: compares the mean of the first 7 days with a score against
/// the mean of the 7 days ending at the latest score.
pub fn two_week_rule(daily: &[(Day, f64)]) -> Advice {
    let (Some(&(first, _)), Some(&(last, _))) = (daily.first(), daily.last()) else {
        return Advice::NoData;
    };
    let span = last.0 - first.0;
    let days = u32::try_from(span + 1).unwrap_or(0);
    let in_window = |lo: i32, hi: i32| {
        mean(
            daily
                .iter()
                .filter(|(d, _)| d.0 >= lo && d.0 <= hi)
                .map(|&(_, p)| p),
        )
    };
    let baseline = in_window(first.0, first.0 + 6).unwrap_or(0.0);
    let recent = in_window(last.0 - 6, last.0).unwrap_or(0.0);
    if span < 7 {
        return Advice::TooEarly { days };
    }
    match pain_change(baseline, recent) {
        Change::Better => Advice::Improving { baseline, recent },
        Change::Worse => Advice::Worse { baseline, recent },
        Change::Same if span >= 13 => Advice::NoImprovement {
            baseline,
            recent,
            days,
        },
        Change::Same => Advice::TooEarly { days },
    }
}

/// The PSFS trend: each entry's mean, its change from the first entry, and whether that change
/// is meaningful. Entries may come in any order; empty ones are left out.
pub fn psfs_trend(entries: &[PsfsPoint]) -> Vec<PsfsTrendPoint> {
    let mut sorted: Vec<&PsfsPoint> = entries.iter().filter(|e| !e.items.is_empty()).collect();
    sorted.sort_by_key(|e| e.day);
    let Some(first) = sorted.first() else {
        return Vec::new();
    };
    let first_mean = mean(first.items.iter().map(|(_, s)| f64::from(*s))).unwrap_or(0.0);
    // Each activity's first score, to compare later scores of the same activity with.
    let mut first_scores: BTreeMap<&str, u8> = BTreeMap::new();
    sorted
        .iter()
        .map(|e| {
            let m = mean(e.items.iter().map(|(_, s)| f64::from(*s))).unwrap_or(0.0);
            let mut one_activity = false;
            for (activity, score) in &e.items {
                let start = *first_scores.entry(activity.as_str()).or_insert(*score);
                one_activity |= i32::from(*score) - i32::from(start) >= 3;
            }
            let change = m - first_mean;
            PsfsTrendPoint {
                day: e.day,
                mean: m,
                change,
                meaningful: change + 1e-9 >= 2.0 || one_activity,
            }
        })
        .collect()
}

/// Computes the whole report. `sessions` and `psfs` may come in any order.
pub fn progress(sessions: &[SessionPoint], psfs: &[PsfsPoint], today: Day) -> Progress {
    let mut sessions: Vec<SessionPoint> = sessions.to_vec();
    sessions.sort_by_key(|s| s.day);
    let practised: BTreeSet<Day> = sessions
        .iter()
        .filter(|s| s.practised)
        .map(|s| s.day)
        .collect();

    let daily = daily_pain(&sessions);
    let rolling = rolling_mean(&daily, 7);
    let baseline = daily.first().and_then(|&(first, _)| {
        mean(
            daily
                .iter()
                .take_while(|(d, _)| d.0 <= first.0 + 6)
                .map(|&(_, p)| p),
        )
    });
    let mut previous = Change::Same;
    let pain = daily
        .iter()
        .zip(&rolling)
        .map(|(&(day, p), &r)| {
            let change = baseline.map_or(Change::Same, |b| pain_change(b, r));
            let marker = (change != previous).then_some(change);
            previous = change;
            PainPoint {
                day,
                pain: p,
                rolling_mean: r,
                change,
                marker,
            }
        })
        .collect();

    let relief = sessions
        .iter()
        .filter_map(|s| {
            let (before, after) = (s.pain_before?, s.pain_after?);
            let change = pain_change(f64::from(before), f64::from(after));
            Some(ReliefPoint {
                day: s.day,
                before,
                after,
                relief: i32::from(before) - i32::from(after),
                meaningful: change == Change::Better,
                change,
            })
        })
        .collect::<Vec<ReliefPoint>>();
    let sessions_worse = u32::try_from(relief.iter().filter(|r| r.change == Change::Worse).count())
        .unwrap_or(u32::MAX);

    Progress {
        today,
        streak: streak(&practised, today),
        practised_today: practised.contains(&today),
        sessions: u32::try_from(sessions.iter().filter(|s| s.practised).count())
            .unwrap_or(u32::MAX),
        minutes: sessions
            .iter()
            .filter(|s| s.practised)
            .map(|s| s.minutes)
            .sum(),
        weeks: weekly(&sessions, today),
        baseline,
        pain,
        relief,
        sessions_worse,
        psfs: psfs_trend(psfs),
        advice: two_week_rule(&daily),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Day {
        Day::parse(s).unwrap()
    }

    fn session(day: &str, before: Option<u8>, after: Option<u8>) -> SessionPoint {
        SessionPoint {
            day: d(day),
            practised: true,
            minutes: 10.0,
            pain_before: before,
            pain_after: after,
        }
    }

    #[test]
    fn days_convert_to_and_from_dates() {
        assert_eq!(Day::from_ymd(1970, 1, 1), Some(Day(0)));
        assert_eq!(d("2000-03-01").0, 11_017);
        assert_eq!(d("2026-11-26").to_string(), "2026-11-26");
        assert_eq!(d("2024-02-29").plus(1).to_string(), "2024-03-01");
        assert_eq!(d("1969-12-31"), Day(-1));
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-1-01",
            "26-11-2026",
            "2026-11-2x",
            "",
        ] {
            assert_eq!(Day::parse(bad), None, "{bad}");
        }
        // 2026-11-26 is a Thursday; its week starts on Monday the 23rd.
        assert_eq!(d("2026-11-26").weekday(), 3);
        assert_eq!(d("2026-11-26").week_start(), d("2026-11-23"));
        assert_eq!(d("2026-11-23").week_start(), d("2026-11-23"));
        assert_eq!(d("2026-11-29").week_start(), d("2026-11-23"));
    }

    #[test]
    fn every_day_round_trips() {
        for n in -800_000..800_000 {
            let (y, m, dd) = Day(n).ymd();
            assert_eq!(Day::from_ymd(y, m, dd), Some(Day(n)));
        }
    }

    #[test]
    fn today_not_yet_practised_does_not_break_the_streak() {
        let days: BTreeSet<Day> = ["2026-11-23", "2026-11-24", "2026-11-25"]
            .map(d)
            .into_iter()
            .collect();
        assert_eq!(streak(&days, d("2026-11-26")), 3, "today not practised yet");
        assert_eq!(streak(&days, d("2026-11-25")), 3, "today practised");
        assert_eq!(streak(&days, d("2026-11-27")), 0, "yesterday missed");
        let mut gap = days.clone();
        gap.remove(&d("2026-11-24"));
        assert_eq!(streak(&gap, d("2026-11-26")), 1, "a gap breaks it");
        gap.insert(d("2026-11-26"));
        assert_eq!(streak(&gap, d("2026-11-26")), 2);
        assert_eq!(streak(&BTreeSet::new(), d("2026-11-26")), 0);
    }

    #[test]
    fn weeks_run_monday_to_sunday_and_keep_empty_weeks() {
        let mut sessions = vec![
            session("2026-11-01", None, None), // Sunday: week of 10-26
            session("2026-11-02", None, None), // Monday
            session("2026-11-02", None, None),
            session("2026-11-17", None, None),
        ];
        sessions.push(SessionPoint {
            practised: false,
            ..session("2026-11-18", None, None)
        });
        let weeks = weekly(&sessions, d("2026-11-26"));
        let got: Vec<(String, u32, f64)> = weeks
            .iter()
            .map(|w| (w.start.to_string(), w.sessions, w.minutes))
            .collect();
        assert_eq!(
            got,
            vec![
                ("2026-10-26".into(), 1, 10.0),
                ("2026-11-02".into(), 2, 20.0),
                ("2026-11-09".into(), 0, 0.0),
                ("2026-11-16".into(), 1, 10.0),
                ("2026-11-23".into(), 0, 0.0),
            ]
        );
        assert!(weekly(&[], d("2026-11-26")).is_empty());
    }

    #[test]
    fn the_rolling_mean_covers_seven_calendar_days_and_skips_missing_ones() {
        let pts: Vec<(Day, f64)> = [
            ("2026-11-01", 7.0),
            ("2026-11-02", 5.0),
            ("2026-11-07", 3.0),
            ("2026-11-08", 1.0), // 11-01 drops out: window is 11-02..11-08
            ("2026-11-20", 4.0), // alone in its window
        ]
        .iter()
        .map(|&(s, v)| (d(s), v))
        .collect();
        assert_eq!(rolling_mean(&pts, 7), vec![7.0, 6.0, 5.0, 3.0, 4.0]);
    }

    #[test]
    fn meaningful_change_is_two_points_or_thirty_percent() {
        assert_eq!(pain_change(6.0, 4.0), Change::Better);
        assert_eq!(pain_change(6.0, 4.5), Change::Same);
        assert_eq!(pain_change(4.0, 2.8), Change::Better, "30% of 4 is 1.2");
        assert_eq!(pain_change(4.0, 2.9), Change::Same);
        assert_eq!(pain_change(10.0, 8.0), Change::Better, "2 points of 10");
        assert_eq!(pain_change(2.0, 1.4), Change::Same, "30% but under 1 point");
        assert_eq!(pain_change(3.0, 2.0), Change::Better, "1 point is 33% of 3");
        assert_eq!(pain_change(3.0, 5.0), Change::Worse);
        assert_eq!(pain_change(0.0, 1.0), Change::Same);
        assert_eq!(pain_change(0.0, 2.0), Change::Worse);
    }

    #[test]
    fn markers_sit_where_the_rolling_mean_crosses_a_meaningful_change() {
        // Pain 6 for a week, then 3 for a week, then back to 6.
        let mut sessions = Vec::new();
        let start = d("2026-10-01");
        for i in 0..21 {
            let p = if (7..14).contains(&i) { 3 } else { 6 };
            sessions.push(SessionPoint {
                day: start.plus(i),
                ..session("2026-10-01", Some(p), Some(p.saturating_sub(1)))
            });
        }
        let pr = progress(&sessions, &[], start.plus(20));
        assert_eq!(pr.baseline, Some(6.0));
        let marks: Vec<(String, Change)> = pr
            .pain
            .iter()
            .filter_map(|p| p.marker.map(|m| (p.day.to_string(), m)))
            .collect();
        // Day 7: (6*6+3)/7 = 5.57; day 8: 5.14; day 9: 4.71; day 10: 4.29 (-1.71, 28.6%);
        // day 11: 3.86 (-2.14): better. Day 15: 3.86, still better; day 16: 4.29: not any more.
        assert_eq!(
            marks,
            vec![
                ("2026-10-12".to_owned(), Change::Better),
                ("2026-10-17".to_owned(), Change::Same),
            ]
        );
        assert!((pr.pain[11].rolling_mean - 27.0 / 7.0).abs() < 1e-9);
    }

    #[test]
    fn relief_is_before_minus_after() {
        let sessions = [
            session("2026-11-01", Some(6), Some(3)),
            session("2026-11-02", Some(4), Some(4)),
            session("2026-11-03", Some(3), Some(5)),
            session("2026-11-04", Some(5), None),
            session("2026-11-05", Some(3), Some(2)),
        ];
        let pr = progress(&sessions, &[], d("2026-11-05"));
        let got: Vec<(i32, bool)> = pr.relief.iter().map(|r| (r.relief, r.meaningful)).collect();
        assert_eq!(got, vec![(3, true), (0, false), (-2, false), (1, true)]);
    }

    #[test]
    fn a_session_that_left_the_pain_meaningfully_worse_is_marked_as_clearly_as_relief() {
        let sessions = [
            session("2026-11-01", Some(6), Some(8)), // 2 points worse
            session("2026-11-02", Some(6), Some(4)), // 2 points better
            session("2026-11-03", Some(6), Some(7)), // 1 point of 6: not meaningful
            session("2026-11-04", Some(3), Some(4)), // 1 point of 3 is 33%
        ];
        let pr = progress(&sessions, &[], d("2026-11-04"));
        let got: Vec<(Change, String)> = pr.relief.iter().map(|r| (r.change, r.short())).collect();
        assert_eq!(
            got,
            vec![
                (Change::Worse, "-2!".to_owned()),
                (Change::Better, "+2*".to_owned()),
                (Change::Same, "-1".to_owned()),
                (Change::Worse, "-1!".to_owned()),
            ]
        );
        assert_eq!(pr.sessions_worse, 2);
        assert_eq!(
            pr.relief[0].message().as_deref(),
            Some("pain meaningfully worse after the session (6 before, 8 after)")
        );
        assert_eq!(pr.relief[2].message(), None);
        let json = serde_json::to_value(&pr.relief[0]).unwrap();
        assert_eq!(
            (json["change"].as_str(), json["meaningful"].as_bool()),
            (Some("worse"), Some(false))
        );
    }

    fn daily(values: &[f64]) -> Vec<(Day, f64)> {
        let start = d("2026-10-01");
        values
            .iter()
            .enumerate()
            .map(|(i, &v)| (start.plus(i as i32), v))
            .collect()
    }

    #[test]
    fn two_weeks_without_improvement_means_see_a_clinician() {
        assert_eq!(two_week_rule(&[]), Advice::NoData);
        assert_eq!(
            two_week_rule(&daily(&[5.0; 13])),
            Advice::TooEarly { days: 13 },
            "13 days is not yet two weeks"
        );
        let a = two_week_rule(&daily(&[5.0; 14]));
        assert_eq!(
            a,
            Advice::NoImprovement {
                baseline: 5.0,
                recent: 5.0,
                days: 14
            }
        );
        assert!(a.see_clinician());
        assert!(a.message().contains("see a doctor or physiotherapist"));

        let mut better = vec![6.0; 7];
        better.extend([4.0; 7]);
        assert_eq!(
            two_week_rule(&daily(&better)),
            Advice::Improving {
                baseline: 6.0,
                recent: 4.0
            }
        );
        let mut worse = vec![3.0; 7];
        worse.extend([6.0; 4]);
        let a = two_week_rule(&daily(&worse));
        assert!(matches!(a, Advice::Worse { .. }), "{a:?}");
        assert!(a.see_clinician(), "worse pain is flagged before two weeks");
        // A small improvement is not enough after two weeks.
        let mut small = vec![6.0; 7];
        small.extend([5.0; 7]);
        assert!(two_week_rule(&daily(&small)).see_clinician());
    }

    #[test]
    fn psfs_counts_two_points_on_the_mean_or_three_for_one_activity() {
        let e = |day: &str, items: &[(&str, u8)]| PsfsPoint {
            day: d(day),
            items: items.iter().map(|(a, s)| ((*a).to_owned(), *s)).collect(),
        };
        let entries = [
            e(
                "2026-11-15",
                &[("sitting", 4), ("walking", 5), ("lifting", 2)],
            ),
            e(
                "2026-11-01",
                &[("sitting", 3), ("walking", 5), ("lifting", 1)],
            ),
            e(
                "2026-11-08",
                &[("sitting", 6), ("walking", 5), ("lifting", 1)],
            ),
            e(
                "2026-11-22",
                &[("sitting", 5), ("walking", 7), ("lifting", 3)],
            ),
        ];
        let t = psfs_trend(&entries);
        let got: Vec<(String, bool)> = t
            .iter()
            .map(|p| (p.day.to_string(), p.meaningful))
            .collect();
        assert_eq!(
            got,
            vec![
                ("2026-11-01".into(), false),
                ("2026-11-08".into(), true), // sitting +3
                ("2026-11-15".into(), false),
                ("2026-11-22".into(), true), // mean 3 -> 5
            ]
        );
        assert!((t[3].change - 2.0).abs() < 1e-9);
    }
}
