//! Carrying a live session on from the journal, when a page comes back to a session this server
//! does not play: the server was restarted (a crash, an upgrade, a stop that could not wait), or
//! another server on the same database played it and died.
//!
//! What the journal keeps makes it possible. When a session's clock starts, the server writes a
//! `started` record (with how it chimes); then every event from the page or the camera, with
//! the time on the session's clock at which it came (`supine_core::replay::Input`, kind
//! `input`), before the records the event made. [`find`] reads an open session's records back,
//! rebuilds the session with `Session::rebuild` up to now, writes whatever records the rebuild
//! made that the journal lacks (those the dead server made and did not write), and plays it on.
//!
//! "Now" on the session's clock is the last input's time plus the real time since it came (a
//! pause stays a pause): the person went on breathing while the server was away, so the session
//! goes on from where they are, not from where the server fell. A camera is off until the page
//! sends frames again, so the timer leads until then.
//!
//! One server plays a session at a time: each claims the sessions it plays in the journal
//! (`Journal::claim_session`; on PostgreSQL an advisory lock, let go the moment a server's
//! connection ends). A page that reaches another server while its own is alive (a load balancer
//! that lost its stickiness) is told to wait; once that server is dead, the claim is free.
//!
//! A session is carried on only if the rebuild agrees with the journal: each record the journal
//! holds must be the one the rebuild made at that place. It does not agree when the routines or
//! the code changed between the two servers; then the session is left as saved, and the page is
//! told so.

use chrono::DateTime;
use serde_json::{Value, json};
use supine_core::session::{Effect, Event, Record};
use supine_core::{PlanInput, Session, replay::Input};
use supine_store::{SessionEvent, SessionFinish, SessionId, SessionRecord, SessionStatus};

use crate::error::ApiError;
use crate::live::{self, Live, LiveRef};
use crate::{AppState, Profile, now_rfc3339};

/// The kind of the record that says a session's clock started here, and how it chimes.
pub(crate) const STARTED: &str = "started";

/// The record a server writes when a session's clock starts.
pub(crate) fn started_record(breath_chimes: bool) -> Value {
    json!({"kind": STARTED, "breath_chimes": breath_chimes})
}

/// The live session with this id: the one this server plays, or else one open in the journal,
/// carried on from it. Not found when the journal has no such session, when it has ended, or
/// when its clock never started (nothing happened in it; it is marked interrupted in time).
///
/// Only `profile`'s sessions are found: another person's session is not there for this one.
pub(crate) async fn find(
    state: &AppState,
    id: u64,
    profile: &Profile,
) -> Result<LiveRef, ApiError> {
    if let Some(live) = live::playing(state, id, profile)? {
        return Ok(live);
    }
    let journal_id = SessionId::try_from(id).map_err(|_| not_found(id))?;
    let record = state
        .with_journal(profile, move |j| {
            let record = j
                .session(journal_id)?
                .filter(|r| r.status == SessionStatus::Open);
            if record.is_some() && !j.claim_session(journal_id)? {
                return Err(ApiError::Conflict(format!(
                    "session {id} is going on on another supine server just now; it carries \
                     on here by itself if that server stops"
                )));
            }
            Ok(record)
        })
        .await?
        .ok_or_else(|| not_found(id))?;
    let Some(kept) = Kept::read(&record) else {
        let_go(state, journal_id, profile).await;
        return Err(not_found(id));
    };
    let live = kept.rebuild(state, &record, profile);
    if live.is_err() {
        let_go(state, journal_id, profile).await;
    }
    let live = live.map_err(|why| {
        tracing::warn!(session = id, "not carried on: {why}");
        ApiError::Conflict(format!(
            "session {id} is saved up to where it was, but this server cannot carry it on \
             ({why}); rest for a moment, then start a new session when you are ready"
        ))
    })?;
    let place = live::reserve(state)?;
    tracing::info!(session = id, "carried on from the journal");
    let live = place.fill(id, live)?;
    // Writes what the journal lacks, and tells the page at once.
    live::step(state, id, &live, None).await?;
    Ok(live)
}

/// Lets go of the claim on a session this server does not play after all.
async fn let_go(state: &AppState, id: SessionId, profile: &Profile) {
    if let Err(e) = state
        .with_journal(profile, move |j| Ok(j.release_session(id)?))
        .await
    {
        tracing::warn!(session = id, "letting go of the session: {e}");
    }
}

fn not_found(id: u64) -> ApiError {
    ApiError::NotFound(format!("no live session {id}"))
}

/// What the journal holds of a session a server played.
struct Kept {
    breath_chimes: bool,
    /// Each input, with when it came in real time (RFC 3339).
    inputs: Vec<(Input, String)>,
    /// When the clock started (RFC 3339).
    started_at: String,
    /// Every other record, in order, as stored.
    records: Vec<Value>,
}

impl Kept {
    /// `None` for a session whose clock no server started.
    fn read(r: &SessionRecord) -> Option<Kept> {
        let mut kept: Option<Kept> = None;
        for ev in &r.events {
            match (ev.kind.as_str(), kept.as_mut()) {
                (STARTED, None) => {
                    kept = Some(Kept {
                        breath_chimes: ev.data["breath_chimes"].as_bool().unwrap_or(true),
                        inputs: Vec::new(),
                        started_at: ev.at.clone(),
                        records: Vec::new(),
                    });
                }
                ("input", Some(k)) => {
                    let input = serde_json::from_value(ev.data.clone()).ok()?;
                    k.inputs.push((input, ev.at.clone()));
                }
                (_, Some(k)) => k.records.push(ev.data.clone()),
                // Records before the clock started (none are made): not a server's session.
                (_, None) => {}
            }
        }
        kept
    }

    /// The session, rebuilt to now, with the records it made that the journal lacks; or why it
    /// cannot be carried on.
    fn rebuild(
        self,
        state: &AppState,
        r: &SessionRecord,
        profile: &Profile,
    ) -> Result<Live, String> {
        let plan_input: PlanInput = serde_json::from_value(r.settings.clone())
            .map_err(|e| format!("its settings do not read back: {e}"))?;
        let (last_ms, last_at) = self
            .inputs
            .last()
            .map_or((0, self.started_at.as_str()), |(i, at)| (i.ms, at.as_str()));
        let since = DateTime::parse_from_rfc3339(last_at)
            .map(|t| {
                (chrono::Local::now().fixed_offset() - t)
                    .num_milliseconds()
                    .max(0)
            })
            .map_err(|e| format!("the time {last_at:?} does not read: {e}"))?;
        let now = last_ms + state.clock().session_ms(since as u64);
        let mut inputs: Vec<Input> = self.inputs.into_iter().map(|(i, _)| i).collect();
        // No camera is attached here yet: the timer leads until one sends frames.
        let camera_on = inputs.iter().rev().find_map(|i| match i.event {
            Event::Camera(on) => Some(on),
            _ => None,
        });
        let camera_off = (camera_on == Some(true)).then_some(Input {
            ms: now,
            event: Event::Camera(false),
        });
        inputs.extend(camera_off);
        let (session, fx) = Session::rebuild(
            state.content().clone(),
            plan_input,
            r.pain_before,
            self.breath_chimes,
            &inputs,
            now,
        )
        .map_err(|e| format!("its plan does not compile here: {e}"))?;
        let made = fx
            .iter()
            .filter_map(|e| match e {
                Effect::Record(rec) => Some(rec),
                _ => None,
            })
            .collect::<Vec<&Record>>();
        let missing = agree(&self.records, &made)?;
        let at = now_rfc3339();
        let mut unsaved: Vec<SessionEvent> = camera_off
            .map(|i| serde_json::to_value(i).map_err(|e| e.to_string()))
            .transpose()?
            .map(|v| SessionEvent::from_record(at.clone(), v))
            .into_iter()
            .collect();
        let mut pain_after = None;
        for rec in &made[made.len() - missing..] {
            if let Record::PainAfter { pain } = rec {
                pain_after = Some(*pain);
            }
            let v = serde_json::to_value(rec).map_err(|e| e.to_string())?;
            unsaved.push(SessionEvent::from_record(at.clone(), v));
        }
        let end = fx.iter().find_map(|e| match e {
            Effect::Ended(reason) => Some(SessionFinish {
                ended_at: at.clone(),
                end_reason: reason.as_str().to_owned(),
                pain_after: pain_after.or_else(|| journal_pain_after(&self.records)),
            }),
            _ => None,
        });
        Ok(Live::carried(
            session,
            r.id,
            now,
            unsaved,
            end,
            state,
            profile.clone(),
        ))
    }
}

/// How many of the rebuild's records the journal lacks, if every record it holds is the one the
/// rebuild made at that place.
fn agree(kept: &[Value], made: &[&Record]) -> Result<usize, String> {
    if kept.len() > made.len() {
        return Err(format!(
            "the journal holds more records than the rebuild made: {} against {}",
            kept.len(),
            made.len()
        ));
    }
    for (n, (k, m)) in kept.iter().zip(made).enumerate() {
        let m = serde_json::to_value(m).map_err(|e| e.to_string())?;
        if *k != m {
            return Err(format!(
                "record {} differs: the journal holds {k}, the rebuild made {m}",
                n + 1
            ));
        }
    }
    Ok(made.len() - kept.len())
}

/// The pain after that the journal already holds, if any.
fn journal_pain_after(records: &[Value]) -> Option<u8> {
    records
        .iter()
        .rev()
        .find(|v| v["kind"] == "pain_after")
        .and_then(|v| v["pain"].as_u64())
        .and_then(|p| u8::try_from(p).ok())
}
