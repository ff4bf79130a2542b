//! The page's view of the remembered settings and the screening on file. Reading and writing
//! them is `supine_store::practice`, shared with the terminal's `practice`; this module only
//! shapes them for the page and checks what the page sends.

use std::collections::BTreeMap;

use chrono::Local;
use serde::{Deserialize, Serialize};
use supine_core::plan::MINUTES_RANGE;
use supine_core::{Condition, Level, Outcome, Pace, PlanInput, Settings};
use supine_store::Journal;
use supine_store::practice::{self, Remembered};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::openapi::foreign;

/// Settings as the page sees and sends them, every field filled in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebSettings {
    /// Routine id.
    pub routine: String,
    /// Target minutes (1-60), or null for the routine's own length.
    #[schema(minimum = 1, maximum = 60)]
    pub minutes: Option<f64>,
    /// gentle or standard.
    #[schema(value_type = foreign::Level)]
    pub level: Level,
    /// Inhale, milliseconds (2000-8000).
    #[schema(minimum = 2000, maximum = 8000)]
    pub inhale_ms: u32,
    /// Exhale, milliseconds (2000-12000).
    #[schema(minimum = 2000, maximum = 12000)]
    pub exhale_ms: u32,
    /// Easier version of every pose.
    pub easier: bool,
    /// Spoken cues.
    pub voice: bool,
    /// Words a minute, 80-300.
    #[schema(minimum = 80, maximum = 300)]
    pub rate: u32,
    /// Browser voice name, or null for the default.
    pub web_voice: Option<String>,
    /// A soft chime at every inhale.
    pub breath_chimes: bool,
}

impl WebSettings {
    /// Remembered settings with defaults filled in.
    pub fn from_remembered(r: &Remembered) -> WebSettings {
        let d = Pace::default();
        WebSettings {
            routine: r
                .routine
                .clone()
                .unwrap_or_else(|| supine_core::DEFAULT_ROUTINE.to_owned()),
            minutes: r.minutes,
            level: r.level.unwrap_or_default(),
            inhale_ms: r.inhale_ms.unwrap_or(d.inhale_ms),
            exhale_ms: r.exhale_ms.unwrap_or(d.exhale_ms),
            easier: r.easier,
            voice: r.voice.unwrap_or(true),
            rate: r.rate.unwrap_or(150),
            web_voice: r.web_voice.clone(),
            breath_chimes: r.breath_chimes.unwrap_or(false),
        }
    }

    /// Writes these over the remembered settings, keeping fields the page does not set.
    pub fn apply_to(&self, mut r: Remembered) -> Remembered {
        r.routine = Some(self.routine.clone());
        r.minutes = self.minutes;
        r.level = Some(self.level);
        r.inhale_ms = Some(self.inhale_ms);
        r.exhale_ms = Some(self.exhale_ms);
        r.easier = self.easier;
        r.voice = Some(self.voice);
        r.rate = Some(self.rate);
        r.web_voice = self.web_voice.clone();
        r.breath_chimes = Some(self.breath_chimes);
        r
    }

    /// Checks every value, with a message that says what is allowed.
    pub fn validate(&self) -> Result<(), ApiError> {
        let bad = |m: String| Err(ApiError::Invalid(m));
        if let Some(m) = self.minutes
            && !(m.is_finite() && (MINUTES_RANGE.0..=MINUTES_RANGE.1).contains(&m))
        {
            return bad(format!(
                "minutes must be from {} to {} (got {m})",
                MINUTES_RANGE.0, MINUTES_RANGE.1
            ));
        }
        let (lo, hi) = Pace::INHALE_MS;
        if !(lo..=hi).contains(&self.inhale_ms) {
            return bad(format!(
                "inhale_ms must be from {lo} to {hi} (got {})",
                self.inhale_ms
            ));
        }
        let (lo, hi) = Pace::EXHALE_MS;
        if !(lo..=hi).contains(&self.exhale_ms) {
            return bad(format!(
                "exhale_ms must be from {lo} to {hi} (got {})",
                self.exhale_ms
            ));
        }
        if !(80..=300).contains(&self.rate) {
            return bad(format!(
                "rate must be 80-300 words a minute (got {})",
                self.rate
            ));
        }
        if self.web_voice.as_ref().is_some_and(|v| v.len() > 200) {
            return bad("web_voice is too long".into());
        }
        Ok(())
    }

    /// The core's plan settings.
    pub fn plan_settings(&self) -> Settings {
        Settings {
            pace: Pace {
                inhale_ms: self.inhale_ms,
                exhale_ms: self.exhale_ms,
            },
            level: self.level,
            minutes: self.minutes,
            easier: self.easier,
        }
    }

    /// The plan input for these settings and conditions.
    pub fn plan_input(&self, conditions: Vec<Condition>) -> PlanInput {
        PlanInput {
            routine_id: self.routine.clone(),
            settings: self.plan_settings(),
            conditions,
            overrides: BTreeMap::new(),
        }
    }
}

/// Where the full screening stands.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ScreeningStatus {
    /// A full screening is needed (none on file, or older than 90 days).
    pub due: bool,
    /// The outcome on file, if not due.
    #[schema(value_type = Option<foreign::Outcome>)]
    pub outcome: Option<Outcome>,
    /// The message for that outcome.
    pub message: Option<String>,
    /// Conditions that change the plan, with their labels.
    pub conditions: Vec<ConditionInfo>,
}

/// A condition with its plain label.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ConditionInfo {
    /// Stable id.
    #[schema(value_type = foreign::Condition)]
    pub id: Condition,
    /// Plain words.
    pub label: &'static str,
}

/// Conditions with labels.
pub fn condition_infos(conditions: &[Condition]) -> Vec<ConditionInfo> {
    conditions
        .iter()
        .map(|&c| ConditionInfo {
            id: c,
            label: c.label(),
        })
        .collect()
}

/// The full screening on file, evaluated (due when missing, too old, or unreadable).
pub fn screening_status(j: &dyn Journal) -> Result<ScreeningStatus, ApiError> {
    let on_file = practice::full_screening(j, Local::now().fixed_offset())?;
    let Some(outcome) = on_file.as_ref().and_then(|s| s.current()).cloned() else {
        return Ok(ScreeningStatus {
            due: true,
            outcome: None,
            message: None,
            conditions: Vec::new(),
        });
    };
    let conditions = match &outcome {
        Outcome::Clear { conditions } => condition_infos(conditions),
        Outcome::SeeClinician { .. } => Vec::new(),
    };
    Ok(ScreeningStatus {
        due: false,
        message: Some(outcome.message()),
        outcome: Some(outcome),
        conditions,
    })
}

/// Whether a clear daily check was answered in the last
/// [`practice::DAILY_CHECK_VALID_MINUTES`].
pub fn daily_check_recent(j: &dyn Journal) -> Result<practice::CheckStatus, ApiError> {
    Ok(practice::check_status(j, Local::now().fixed_offset())?)
}

/// Loads the remembered settings (shared with the terminal).
pub fn load(j: &dyn Journal) -> Result<Remembered, ApiError> {
    Ok(practice::load_remembered(j)?)
}

/// Saves the remembered settings (shared with the terminal).
pub fn save(j: &mut dyn Journal, r: &Remembered) -> Result<(), ApiError> {
    Ok(practice::save_remembered(j, r)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_settings_write_over_remembered_ones_and_keep_the_rest() {
        let stored = serde_json::json!({
            "minutes": 12.0, "voice_name": "en-gb", "future_field": [1, 2]
        });
        let r: Remembered = serde_json::from_value(stored).unwrap();
        let mut w = WebSettings::from_remembered(&r);
        assert_eq!(w.minutes, Some(12.0));
        assert_eq!(
            w.plan_settings(),
            r.settings(),
            "the page plans as the terminal does"
        );
        w.rate = 120;
        let back = serde_json::to_value(w.apply_to(r)).unwrap();
        assert_eq!(back["voice_name"], "en-gb");
        assert_eq!(back["future_field"], serde_json::json!([1, 2]));
        assert_eq!(back["rate"], 120);
    }

    #[test]
    fn out_of_range_settings_are_refused_with_the_range() {
        let mut w = WebSettings::from_remembered(&Remembered::default());
        w.minutes = Some(90.0);
        let e = w.validate().unwrap_err().to_string();
        assert!(e.contains("from 1 to 60"), "{e}");
        w.minutes = None;
        w.exhale_ms = 100;
        assert!(w.validate().is_err());
    }
}
