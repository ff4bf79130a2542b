//! Safety rules: red-flag screening, conditions that change the plan, the daily check, and the stop
//! rule applied when something hurts during a session.
//!
//! Sources are in `shared/docs/CLINICAL.md` (NICE NG59, NHS CKS, NHS inform, ACOG). The wording here
//! is ours: plain, calm, and with a clear next step.

use serde::{Deserialize, Serialize};

/// A condition that changes the plan (easier variant, smaller range, shorter holds, or a skipped pose).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// Osteoporosis or osteopenia.
    Osteoporosis,
    /// Pregnancy past the first trimester.
    Pregnancy,
    /// Back surgery or a back injury in the last 3 months.
    RecentSurgeryOrInjury,
    /// A slipped or herniated disc.
    DiscHerniation,
    /// A neck or shoulder injury.
    NeckOrShoulderInjury,
}

impl Condition {
    /// Every condition, in the order the screening asks about them.
    pub const ALL: [Condition; 5] = [
        Condition::Osteoporosis,
        Condition::Pregnancy,
        Condition::RecentSurgeryOrInjury,
        Condition::DiscHerniation,
        Condition::NeckOrShoulderInjury,
    ];

    /// Plain name for display.
    pub fn label(self) -> &'static str {
        match self {
            Condition::Osteoporosis => "osteoporosis or osteopenia",
            Condition::Pregnancy => "pregnancy past the first trimester",
            Condition::RecentSurgeryOrInjury => "back surgery or injury in the last 3 months",
            Condition::DiscHerniation => "a slipped or herniated disc",
            Condition::NeckOrShoulderInjury => "a neck or shoulder injury",
        }
    }
}

/// An answer to a screening question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// Yes.
    Yes,
    /// No.
    No,
    /// Not sure; treated with caution (as a yes for conditions, as "check first" for red flags).
    NotSure,
}

impl Answer {
    /// The stored form: "yes", "no" or "not_sure".
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Yes => "yes",
            Answer::No => "no",
            Answer::NotSure => "not_sure",
        }
    }

    /// Parses the stored form, or a typed reply (y, n, ?).
    pub fn parse(s: &str) -> Option<Answer> {
        match s.trim().to_lowercase().as_str() {
            "yes" | "y" => Some(Answer::Yes),
            "no" | "n" => Some(Answer::No),
            "not_sure" | "not sure" | "?" | "s" | "unsure" => Some(Answer::NotSure),
            _ => None,
        }
    }
}

/// How soon someone with a red flag should see a clinician.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// Talk to a doctor or physiotherapist before exercising.
    Soon,
    /// Get medical help today (possible cauda equina).
    Urgent,
}

/// What a "yes" to a question means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum QuestionKind {
    /// A red flag: no session starts.
    RedFlag(Urgency),
    /// A condition: the plan changes.
    Condition(Condition),
}

/// One screening question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Question {
    /// Stable id, stored with the answer.
    pub id: &'static str,
    /// The question, in plain words.
    pub text: &'static str,
    /// What a yes means.
    pub kind: QuestionKind,
}

impl Question {
    /// Whether this answer ends the screening at once: an emergency red flag (possible cauda
    /// equina) answered yes or "not sure". The urgent message is shown straight away; the
    /// questions after it are not asked.
    pub fn ends_screening(&self, answer: Answer) -> bool {
        matches!(self.kind, QuestionKind::RedFlag(Urgency::Urgent)) && answer != Answer::No
    }
}

const fn red(id: &'static str, text: &'static str, u: Urgency) -> Question {
    Question {
        id,
        text,
        kind: QuestionKind::RedFlag(u),
    }
}

const fn cond(id: &'static str, text: &'static str, c: Condition) -> Question {
    Question {
        id,
        text,
        kind: QuestionKind::Condition(c),
    }
}

/// The full screening, red flags first (NICE NG59, NHS CKS, AHCPR 1994), then conditions.
pub const QUESTIONS: [Question; 17] = [
    red(
        "bladder_bowel",
        "Since your back pain began, have you lost control of your bladder or bowels, or found it hard to pass urine?",
        Urgency::Urgent,
    ),
    red(
        "saddle_numbness",
        "Is there numbness around your groin, buttocks or inner thighs?",
        Urgency::Urgent,
    ),
    red(
        "leg_weakness",
        "Are your legs getting weaker, or is walking getting harder?",
        Urgency::Urgent,
    ),
    red(
        "fever",
        "Do you have a fever or chills, or feel generally unwell, along with the back pain?",
        Urgency::Soon,
    ),
    red(
        "infection_risk",
        "Is your immune system weakened (by illness or medicine), or do you inject drugs?",
        Urgency::Soon,
    ),
    red("cancer", "Have you ever had cancer?", Urgency::Soon),
    red(
        "weight_loss",
        "Have you lost weight recently without trying?",
        Urgency::Soon,
    ),
    red(
        "night_pain",
        "Is the pain constant at night, even when you lie still?",
        Urgency::Soon,
    ),
    red(
        "new_pain_age",
        "Is this back pain new, and are you under 20 or over 50?",
        Urgency::Soon,
    ),
    red(
        "trauma",
        "Did the pain start after a fall or an accident, or after a small knock if you have osteoporosis or take steroid tablets long-term?",
        Urgency::Soon,
    ),
    red(
        "worse_lying",
        "Is the pain worse when you lie on your back?",
        Urgency::Soon,
    ),
    red(
        "getting_worse",
        "Has the pain kept getting worse over several weeks?",
        Urgency::Soon,
    ),
    cond(
        "osteoporosis",
        "Do you have osteoporosis or osteopenia (thinning bones)?",
        Condition::Osteoporosis,
    ),
    cond(
        "pregnancy",
        "Are you pregnant, past the first three months?",
        Condition::Pregnancy,
    ),
    cond(
        "recent_surgery_or_injury",
        "Have you had back surgery or a back injury in the last 3 months?",
        Condition::RecentSurgeryOrInjury,
    ),
    cond(
        "disc_herniation",
        "Have you been told you have a slipped or herniated disc?",
        Condition::DiscHerniation,
    ),
    cond(
        "neck_or_shoulder_injury",
        "Do you have a neck or shoulder injury?",
        Condition::NeckOrShoulderInjury,
    ),
];

/// The one-line check asked before every session.
pub const DAILY_CHECK: Question = red(
    "daily_new_symptoms",
    "Anything new since last time: numbness, weaker legs, bladder or bowel changes, or a fever?",
    Urgency::Urgent,
);

/// How many days a full screening stays valid before it is asked again.
pub const SCREENING_VALID_DAYS: i64 = 90;

/// What the screening concluded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Fine to practise; the plan adapts to the listed conditions.
    Clear {
        /// Conditions that change the plan.
        conditions: Vec<Condition>,
    },
    /// Do not practise; see a clinician.
    SeeClinician {
        /// How soon.
        urgency: Urgency,
        /// Ids of the questions that raised it.
        flags: Vec<String>,
    },
}

impl Outcome {
    /// The stored name: "clear", "see_clinician" or "see_clinician_urgently".
    pub fn code(&self) -> &'static str {
        match self {
            Outcome::Clear { .. } => "clear",
            Outcome::SeeClinician {
                urgency: Urgency::Soon,
                ..
            } => "see_clinician",
            Outcome::SeeClinician {
                urgency: Urgency::Urgent,
                ..
            } => "see_clinician_urgently",
        }
    }

    /// The calm message shown and spoken for this outcome.
    pub fn message(&self) -> String {
        match self {
            Outcome::Clear { conditions } if conditions.is_empty() => {
                "Thank you. You're ready to start.".into()
            }
            Outcome::Clear { conditions } => format!(
                "Thank you. The routine will be adjusted for {}.",
                conditions
                    .iter()
                    .map(|c| c.label())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
            Outcome::SeeClinician {
                urgency: Urgency::Urgent,
                ..
            } => URGENT_MESSAGE.into(),
            Outcome::SeeClinician {
                urgency: Urgency::Soon,
                flags,
            } if !flags.is_empty() && flags.iter().all(|f| f.starts_with("follow_up_")) => {
                FOLLOW_UP_MESSAGE.into()
            }
            Outcome::SeeClinician {
                urgency: Urgency::Soon,
                ..
            } => SOON_MESSAGE.into(),
        }
    }
}

/// Shown when a possible cauda equina sign is reported.
pub const URGENT_MESSAGE: &str = "Please don't exercise today. What you describe can be a sign that nerves at the base of the spine are pressed, and that needs checking urgently. Please get medical help today: call your doctor's urgent line or your local emergency number, or go to an emergency department.";

/// Shown for the other red flags.
pub const SOON_MESSAGE: &str = "Exercise isn't the right first step for now. Please talk to a doctor or physiotherapist about your back pain before starting these exercises. Once they say it's fine, run the screening again with `supine screen`.";

/// Errors in a set of screening answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScreeningError {
    /// An answer names a question that does not exist.
    #[error("unknown screening question \"{0}\"")]
    UnknownQuestion(String),
    /// A question was left unanswered.
    #[error("screening question \"{0}\" was not answered")]
    Missing(String),
}

/// Evaluates answers to [`QUESTIONS`]. Every question must be answered, up to the first one
/// whose answer [ends the screening](Question::ends_screening): the questions after an emergency
/// red flag are not asked, and need no answer.
///
/// A yes to any red flag means [`Outcome::SeeClinician`] (urgent if any urgent flag); "not sure" to a
/// red flag is treated the same, as a reason to check first. A yes or "not sure" to a condition adds
/// that condition.
pub fn evaluate(answers: &[(String, Answer)]) -> Result<Outcome, ScreeningError> {
    for (id, _) in answers {
        if !QUESTIONS.iter().any(|q| q.id == id) {
            return Err(ScreeningError::UnknownQuestion(id.clone()));
        }
    }
    let mut flags = Vec::new();
    let mut urgency = Urgency::Soon;
    let mut conditions = Vec::new();
    for q in &QUESTIONS {
        let answer = answers
            .iter()
            .find(|(id, _)| id == q.id)
            .map(|(_, a)| *a)
            .ok_or_else(|| ScreeningError::Missing(q.id.into()))?;
        if answer == Answer::No {
            continue;
        }
        match q.kind {
            QuestionKind::RedFlag(u) => {
                flags.push(q.id.to_owned());
                urgency = urgency.max(u);
            }
            QuestionKind::Condition(c) => conditions.push(c),
        }
        if q.ends_screening(answer) {
            // The questions after an emergency flag are never asked.
            break;
        }
    }
    Ok(if flags.is_empty() {
        Outcome::Clear { conditions }
    } else {
        Outcome::SeeClinician { urgency, flags }
    })
}

/// Evaluates the daily check: any answer but "no" stops today's session.
pub fn evaluate_daily(answer: Answer) -> Outcome {
    match answer {
        Answer::No => Outcome::Clear {
            conditions: Vec::new(),
        },
        _ => Outcome::SeeClinician {
            urgency: Urgency::Urgent,
            flags: vec![DAILY_CHECK.id.to_owned()],
        },
    }
}

/// What the last session left that the check before the next one asks about again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LastSession {
    /// The safety stop that ended it, if one did.
    pub safety_stop: Option<SafetyStop>,
    /// Pain before it, 0-10.
    pub pain_before: Option<u8>,
    /// Pain after it, 0-10.
    pub pain_after: Option<u8>,
}

impl LastSession {
    /// Whether the pain was meaningfully worse after the session than before it (2 points or
    /// 30% and at least 1 point, Ostelo 2008; see [`crate::progress::pain_change`]).
    pub fn worse(&self) -> bool {
        match (self.pain_before, self.pain_after) {
            (Some(b), Some(a)) => {
                crate::progress::pain_change(f64::from(b), f64::from(a))
                    == crate::progress::Change::Worse
            }
            _ => false,
        }
    }
}

/// Asked before the next session after a stop for numbness, tingling or weakness.
pub const FOLLOW_UP_NUMBNESS: Question = red(
    "follow_up_numbness",
    "Last time you stopped because of numbness, tingling or weakness in your legs. Is any of that still there?",
    Urgency::Soon,
);

/// Asked before the next session after a stop for pain spreading down a leg.
pub const FOLLOW_UP_SPREADING: Question = red(
    "follow_up_spreading_pain",
    "Last time you stopped because pain spread down a leg. Is it still spreading?",
    Urgency::Soon,
);

/// Asked before the next session after one that left the pain meaningfully worse.
pub const FOLLOW_UP_WORSE: Question = red(
    "follow_up_worse",
    "Your pain was worse after your last session. Is it still worse than it was before that session?",
    Urgency::Soon,
);

/// Every follow-up question, for looking one up by id.
pub const FOLLOW_UPS: [Question; 3] = [FOLLOW_UP_NUMBNESS, FOLLOW_UP_SPREADING, FOLLOW_UP_WORSE];

/// The question the next check asks about what the last session left: the symptom that stopped
/// it, or the pain it left worse; `None` when it ended well.
pub fn follow_up(last: &LastSession) -> Option<Question> {
    match last.safety_stop {
        Some(SafetyStop::Numbness) => Some(FOLLOW_UP_NUMBNESS),
        Some(SafetyStop::SpreadingPain) => Some(FOLLOW_UP_SPREADING),
        None if last.worse() => Some(FOLLOW_UP_WORSE),
        None => None,
    }
}

/// The questions of the check before a session, in the order to ask them: the follow-up on the
/// last session, if one is due, then [`DAILY_CHECK`].
pub fn daily_questions(follow_up: Option<Question>) -> Vec<Question> {
    follow_up.into_iter().chain([DAILY_CHECK]).collect()
}

/// Evaluates the check before a session: any answer but "no" stops today's session, urgently for
/// [`DAILY_CHECK`] (new nerve symptoms), otherwise with advice to check with a clinician first.
pub fn evaluate_checks(answers: &[(Question, Answer)]) -> Outcome {
    let mut flags = Vec::new();
    let mut urgency = Urgency::Soon;
    for (q, a) in answers {
        if *a == Answer::No {
            continue;
        }
        flags.push(q.id.to_owned());
        if let QuestionKind::RedFlag(u) = q.kind {
            urgency = urgency.max(u);
        }
    }
    if flags.is_empty() {
        Outcome::Clear {
            conditions: Vec::new(),
        }
    } else {
        Outcome::SeeClinician { urgency, flags }
    }
}

/// Why the stop rule ended a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SafetyStop {
    /// Numbness, tingling or weakness in the legs.
    Numbness,
    /// Pain spreading down a leg.
    SpreadingPain,
}

impl SafetyStop {
    /// The stop a hurt report calls for, if any (numbness first: it is the more serious sign).
    pub fn of(report: &HurtReport) -> Option<SafetyStop> {
        if report.numb {
            Some(SafetyStop::Numbness)
        } else if report.spreading {
            Some(SafetyStop::SpreadingPain)
        } else {
            None
        }
    }

    /// The stored name: `"numbness"` or `"spreading_pain"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SafetyStop::Numbness => "numbness",
            SafetyStop::SpreadingPain => "spreading_pain",
        }
    }

    /// The stop with this stored name.
    pub fn parse(s: &str) -> Option<SafetyStop> {
        [SafetyStop::Numbness, SafetyStop::SpreadingPain]
            .into_iter()
            .find(|r| r.as_str() == s)
    }

    /// Plain words for the reason.
    pub fn label(self) -> &'static str {
        match self {
            SafetyStop::Numbness => "numbness, tingling or weakness in your legs",
            SafetyStop::SpreadingPain => "pain spreading down a leg",
        }
    }

    /// The advice shown and spoken when the session stops, kept on screen after it ends.
    pub fn advice(self) -> String {
        match self {
            SafetyStop::Numbness => format!("{STOP_NOW_MESSAGE} {NUMBNESS_URGENT}"),
            SafetyStop::SpreadingPain => STOP_NOW_MESSAGE.to_owned(),
        }
    }
}

/// Added to the stop advice after numbness: the emergency signs of the screening (NICE NG59).
pub const NUMBNESS_URGENT: &str = "If you notice numbness around your groin or buttocks, or trouble passing urine, get medical help today.";

/// Shown when the check before a session finds that what stopped or worsened the last session is
/// still there.
pub const FOLLOW_UP_MESSAGE: &str = "Let's not exercise today. What you describe since your last session is a reason to check with a doctor or physiotherapist first. Once they say it's fine, run the screening again with `supine screen`.";

/// What someone reported after pressing "this hurts".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HurtReport {
    /// Pain now, 0-10.
    pub pain: u8,
    /// Whether it is sharp.
    pub sharp: bool,
    /// Whether it spreads down a leg.
    pub spreading: bool,
    /// Whether there is numbness, tingling or weakness.
    pub numb: bool,
}

/// What the stop rule allows after a hurt report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopRule {
    /// Spreading pain, numbness or weakness: stop the session.
    StopNow,
    /// Sharp or clearly worse pain: stop this pose (skip it) or end.
    StopPose,
    /// Milder: an easier version, skip, or end.
    Adjust,
}

/// Pain at or above this, on its own, means the pose stops.
pub const SEVERE_PAIN: u8 = 7;

/// A rise of this many points over the pain before the session means the pose stops
/// (the meaningful change on the 0-10 scale, Ostelo 2008).
pub const MEANINGFUL_RISE: u8 = 2;

/// Applies the stop rule (NHS inform): stop if an exercise makes symptoms worse or causes new pain,
/// if pain spreads down the leg, or numbness or weakness appears.
pub fn stop_rule(report: &HurtReport, pain_before: Option<u8>) -> StopRule {
    let rose = pain_before.is_some_and(|b| report.pain >= b.saturating_add(MEANINGFUL_RISE));
    if report.spreading || report.numb {
        StopRule::StopNow
    } else if report.sharp || rose || report.pain >= SEVERE_PAIN {
        StopRule::StopPose
    } else {
        StopRule::Adjust
    }
}

/// Said when the stop rule ends the session.
pub const STOP_NOW_MESSAGE: &str = "Let's stop here for today. Pain spreading down a leg, numbness or weakness are signs to stop. Rest in a comfortable position. If it doesn't settle, or it keeps coming back, contact a doctor or physiotherapist.";

#[cfg(test)]
mod tests {
    use super::*;

    fn all(answer: Answer) -> Vec<(String, Answer)> {
        QUESTIONS
            .iter()
            .map(|q| (q.id.to_owned(), answer))
            .collect()
    }

    fn with(id: &str, a: Answer) -> Vec<(String, Answer)> {
        let mut v = all(Answer::No);
        v.iter_mut().find(|(q, _)| q == id).unwrap().1 = a;
        v
    }

    #[test]
    fn all_no_is_clear_without_conditions() {
        assert_eq!(
            evaluate(&all(Answer::No)).unwrap(),
            Outcome::Clear { conditions: vec![] }
        );
    }

    #[test]
    fn bladder_or_saddle_numbness_is_urgent() {
        for id in ["bladder_bowel", "saddle_numbness", "leg_weakness"] {
            let o = evaluate(&with(id, Answer::Yes)).unwrap();
            assert_eq!(o.code(), "see_clinician_urgently", "{id}");
            assert!(o.message().contains("today"));
        }
    }

    #[test]
    fn other_red_flags_and_not_sure_stop_practice() {
        let o = evaluate(&with("cancer", Answer::Yes)).unwrap();
        assert_eq!(o.code(), "see_clinician");
        let o = evaluate(&with("fever", Answer::NotSure)).unwrap();
        assert_eq!(o.code(), "see_clinician");
    }

    #[test]
    fn conditions_are_collected_and_not_sure_counts() {
        let mut a = with("osteoporosis", Answer::Yes);
        a.iter_mut().find(|(q, _)| q == "pregnancy").unwrap().1 = Answer::NotSure;
        assert_eq!(
            evaluate(&a).unwrap(),
            Outcome::Clear {
                conditions: vec![Condition::Osteoporosis, Condition::Pregnancy]
            }
        );
    }

    #[test]
    fn missing_and_unknown_answers_are_errors() {
        let mut a = all(Answer::No);
        a.pop();
        assert!(matches!(evaluate(&a), Err(ScreeningError::Missing(_))));
        let mut a = all(Answer::No);
        a.push(("typo".into(), Answer::No));
        assert!(matches!(
            evaluate(&a),
            Err(ScreeningError::UnknownQuestion(_))
        ));
    }

    #[test]
    fn daily_check_stops_on_anything_but_no() {
        assert_eq!(evaluate_daily(Answer::No).code(), "clear");
        assert_eq!(
            evaluate_daily(Answer::NotSure).code(),
            "see_clinician_urgently"
        );
    }

    #[test]
    fn stop_rule_follows_nhs_inform() {
        let r = |pain, sharp, spreading, numb| HurtReport {
            pain,
            sharp,
            spreading,
            numb,
        };
        assert_eq!(
            stop_rule(&r(2, false, true, false), Some(2)),
            StopRule::StopNow
        );
        assert_eq!(
            stop_rule(&r(2, false, false, true), None),
            StopRule::StopNow
        );
        assert_eq!(
            stop_rule(&r(3, true, false, false), Some(3)),
            StopRule::StopPose
        );
        assert_eq!(
            stop_rule(&r(5, false, false, false), Some(3)),
            StopRule::StopPose
        );
        assert_eq!(
            stop_rule(&r(7, false, false, false), None),
            StopRule::StopPose
        );
        assert_eq!(
            stop_rule(&r(4, false, false, false), Some(3)),
            StopRule::Adjust
        );
        assert_eq!(
            stop_rule(&r(4, false, false, false), None),
            StopRule::Adjust
        );
    }

    #[test]
    fn an_emergency_flag_ends_the_screening_without_the_later_answers() {
        let q = &QUESTIONS[0];
        assert!(q.ends_screening(Answer::Yes) && q.ends_screening(Answer::NotSure));
        assert!(!q.ends_screening(Answer::No));
        assert!(
            QUESTIONS
                .iter()
                .filter(|q| q.ends_screening(Answer::Yes))
                .all(|q| q.kind == QuestionKind::RedFlag(Urgency::Urgent))
        );
        let cancer = QUESTIONS.iter().find(|q| q.id == "cancer").unwrap();
        assert!(!cancer.ends_screening(Answer::Yes), "not an emergency");
        // "No" to the first, "yes" to saddle numbness: nothing after it is needed.
        let partial = vec![
            ("bladder_bowel".to_owned(), Answer::No),
            ("saddle_numbness".to_owned(), Answer::Yes),
        ];
        let o = evaluate(&partial).unwrap();
        assert_eq!(o.code(), "see_clinician_urgently");
        assert_eq!(
            o,
            Outcome::SeeClinician {
                urgency: Urgency::Urgent,
                flags: vec!["saddle_numbness".into()]
            }
        );
        // Without an emergency flag, every question is still needed.
        let partial = vec![("bladder_bowel".to_owned(), Answer::No)];
        assert!(matches!(
            evaluate(&partial),
            Err(ScreeningError::Missing(_))
        ));
    }

    #[test]
    fn the_next_check_follows_up_a_safety_stop_or_a_worse_session() {
        let last = |stop, b, a| LastSession {
            safety_stop: stop,
            pain_before: b,
            pain_after: a,
        };
        assert_eq!(follow_up(&last(None, Some(6), Some(4))), None);
        assert_eq!(
            follow_up(&last(None, Some(6), Some(7))),
            None,
            "1 of 6 is not meaningful"
        );
        assert_eq!(
            follow_up(&last(None, Some(6), Some(8))),
            Some(FOLLOW_UP_WORSE),
            "6 -> 8 is worse"
        );
        assert_eq!(
            follow_up(&last(None, Some(3), Some(4))),
            Some(FOLLOW_UP_WORSE),
            "33%"
        );
        assert_eq!(
            follow_up(&last(Some(SafetyStop::Numbness), Some(3), Some(3))),
            Some(FOLLOW_UP_NUMBNESS)
        );
        assert_eq!(
            follow_up(&last(Some(SafetyStop::SpreadingPain), None, None)),
            Some(FOLLOW_UP_SPREADING)
        );
        let qs = daily_questions(Some(FOLLOW_UP_NUMBNESS));
        assert_eq!(qs, vec![FOLLOW_UP_NUMBNESS, DAILY_CHECK]);
        assert_eq!(daily_questions(None), vec![DAILY_CHECK]);

        let clear = evaluate_checks(&[(FOLLOW_UP_NUMBNESS, Answer::No), (DAILY_CHECK, Answer::No)]);
        assert_eq!(clear.code(), "clear");
        let still =
            evaluate_checks(&[(FOLLOW_UP_NUMBNESS, Answer::Yes), (DAILY_CHECK, Answer::No)]);
        assert_eq!(still.code(), "see_clinician");
        assert_eq!(still.message(), FOLLOW_UP_MESSAGE);
        let urgent = evaluate_checks(&[
            (FOLLOW_UP_WORSE, Answer::NotSure),
            (DAILY_CHECK, Answer::Yes),
        ]);
        assert_eq!(urgent.code(), "see_clinician_urgently");
        assert_eq!(urgent.message(), URGENT_MESSAGE);
    }

    #[test]
    fn safety_stops_name_their_reason_and_keep_stored_names() {
        let r = |spreading, numb| HurtReport {
            pain: 3,
            sharp: false,
            spreading,
            numb,
        };
        assert_eq!(SafetyStop::of(&r(false, false)), None);
        assert_eq!(
            SafetyStop::of(&r(true, false)),
            Some(SafetyStop::SpreadingPain)
        );
        assert_eq!(SafetyStop::of(&r(true, true)), Some(SafetyStop::Numbness));
        for s in [SafetyStop::Numbness, SafetyStop::SpreadingPain] {
            assert_eq!(SafetyStop::parse(s.as_str()), Some(s));
            assert!(s.advice().starts_with(STOP_NOW_MESSAGE));
        }
        assert!(SafetyStop::Numbness.advice().contains("groin"));
    }

    #[test]
    fn answers_parse_from_typed_replies() {
        assert_eq!(Answer::parse(" Y "), Some(Answer::Yes));
        assert_eq!(Answer::parse("?"), Some(Answer::NotSure));
        assert_eq!(Answer::parse("maybe"), None);
    }
}
