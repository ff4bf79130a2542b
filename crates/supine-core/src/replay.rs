//! A session rebuilt from what a journal keeps of it, so that another process can carry it on
//! from the same place (a server restarted, or another server on the same database).
//!
//! A front end keeps each [`Input`] it gives the session: every event but the clock's ticks, with
//! the time on the session's own clock at which it came (milliseconds from the first tick, which
//! is 0). [`Session::rebuild`] plays a fresh session through the same inputs at the same times,
//! ticking it on time at every moment it asks for one (its breath boundaries and camera
//! deadlines, which nobody keeps). Ticks that came a little late in the live session change
//! nothing: the session does what ticks on time would have done (see `Session::tick`), so the
//! rebuilt session makes the same records and stands at the same place. The property tests in
//! `tests/session_props.rs` and `tests/camera_props.rs` hold it to that.

use serde::{Deserialize, Serialize};

use crate::content::Content;
use crate::plan::{PlanError, PlanInput};
use crate::session::{Effect, Event, Session};

/// One event given to a session, and when on the session's clock: what a journal keeps so that
/// the session can be rebuilt. Serialised with `"kind": "input"`, as a journal record.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename = "input")]
pub struct Input {
    /// Milliseconds on the session's clock, from its first tick (0).
    pub ms: u64,
    /// The event. Ticks are not inputs: a rebuild makes its own.
    pub event: Event,
}

impl Session {
    /// A session played from its first tick (at 0) through `inputs`, each applied after a tick
    /// to its time, on to `until` (at least the last input's time); with every effect it made
    /// on the way, records included, in order. Inputs out of order are taken at the latest
    /// time so far; ticks among them are ignored.
    pub fn rebuild(
        content: std::sync::Arc<Content>,
        input: PlanInput,
        pain_before: Option<u8>,
        breath_chimes: bool,
        inputs: &[Input],
        until: u64,
    ) -> Result<(Session, Vec<Effect>), PlanError> {
        let mut s = Session::new(content, input, pain_before, breath_chimes)?;
        let mut fx = s.handle(Event::Tick(0));
        let mut now = 0;
        for i in inputs {
            if matches!(i.event, Event::Tick(_)) {
                continue;
            }
            now = s.run_on_time(now, i.ms.max(now), &mut fx);
            fx.extend(s.handle(i.event));
        }
        s.run_on_time(now, until.max(now), &mut fx);
        Ok((s, fx))
    }

    /// Ticks from `now` to `until` at every moment the session asks for one
    /// ([`Session::next_tick_in_ms`]), then at `until`, keeping the effects. Returns `until`.
    fn run_on_time(&mut self, now: u64, until: u64, fx: &mut Vec<Effect>) -> u64 {
        let mut now = now;
        while let Some(next) = self.next_tick_in_ms().map(|d| now + d.max(1))
            && next < until
        {
            now = next;
            fx.extend(self.handle(Event::Tick(now)));
        }
        fx.extend(self.handle(Event::Tick(until)));
        until
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::session::Record;

    fn plain() -> PlanInput {
        PlanInput {
            routine_id: crate::DEFAULT_ROUTINE.into(),
            settings: crate::Settings::default(),
            conditions: Vec::new(),
            overrides: Default::default(),
        }
    }

    fn records(fx: &[Effect]) -> Vec<Record> {
        fx.iter()
            .filter_map(|e| match e {
                Effect::Record(r) => Some(r.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn an_input_reads_back_as_it_was_written_and_says_what_it_is() {
        let i = Input {
            ms: 12_345,
            event: Event::Pain(4),
        };
        let v = serde_json::to_value(i).unwrap();
        assert_eq!(v["kind"], "input");
        assert_eq!(v["ms"], 12_345);
        assert_eq!(serde_json::from_value::<Input>(v).unwrap(), i);
    }

    #[test]
    fn a_rebuilt_pause_holds_the_session_where_it_was_paused() {
        let content = Arc::new(Content::builtin());
        let inputs = [
            Input {
                ms: 20_000,
                event: Event::Pause,
            },
            // A tick among the inputs is not an input: ignored.
            Input {
                ms: 30_000,
                event: Event::Tick(99_999_999),
            },
        ];
        let (s, fx) =
            Session::rebuild(content.clone(), plain(), Some(2), true, &inputs, 600_000).unwrap();
        assert_eq!(s.position_ms(), 20_000);
        assert!(!s.is_running());
        // The same as a session played live to the pause.
        let mut live = Session::new(content, plain(), Some(2), true).unwrap();
        let mut want = live.handle(Event::Tick(0));
        for t in (1..=20).map(|k| k * 1_000) {
            want.extend(live.handle(Event::Tick(t)));
        }
        want.extend(live.handle(Event::Pause));
        assert_eq!(records(&fx), records(&want));
        assert_eq!(s.view(), live.view());
    }
}
