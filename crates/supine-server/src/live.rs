//! Live sessions: the server owns each `Session` state machine, ticks it at breath boundaries,
//! writes its records to the journal as they happen, and pushes `{view, effects}` to the page.
//!
//! The table of live sessions has [`Config::live_sessions`](crate::Config::live_sessions)
//! places ([`LIVE_SESSIONS`](crate::limits::LIVE_SESSIONS) by default). Only a session that has ended or
//! that no page has watched or touched for the abandon time gives its place up; when every
//! place is in use, a new session is refused with 429, never given someone else's place.
//!
//! A record the journal cannot take (a full disk) is kept, in order, and written with the
//! next step or heartbeat; until then every update carries `error`, so the page can say the
//! session is not being saved.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use supine_core::plan::{Direction, SegmentKind};
use supine_core::replay::Input;
use supine_core::session::{Record, View};
use supine_core::{Effect, Event, Session};
use supine_store::{SessionEvent, SessionFinish, SessionId};
use tokio::sync::{Mutex, Notify, broadcast};

use crate::error::{ApiError, store_error};
use crate::limits::{HEARTBEAT, UNSAVED_RECORDS};
use crate::openapi::foreign;
use crate::{AppState, Phase, Profile, now_rfc3339};

/// What the pose figure should show, derived from the segment (the core's types stay as they
/// are): which pose, which movement, and the direction or side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Figure {
    /// Pose id, if this is a pose.
    pub pose: Option<String>,
    /// The segment kind.
    #[schema(value_type = foreign::SegmentKind)]
    pub kind: SegmentKind,
    /// Circle direction or twist side (serialised as `"clockwise"`, `"anticlockwise"`, `"left"`
    /// or `"right"`).
    #[schema(value_type = Option<foreign::Direction>)]
    pub direction: Option<Direction>,
}

impl Figure {
    /// The figure for the current moment of a view.
    pub fn of(view: &View, pose: Option<String>) -> Figure {
        Figure {
            pose,
            kind: view.kind,
            direction: view.direction,
        }
    }
}

/// The breath ring's next move, in real milliseconds (already divided by the clock's speed).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Ring {
    /// Breathing in (grow) or out (shrink).
    pub inhale: bool,
    /// Real milliseconds until this phase ends.
    pub left_ms: u64,
    /// Where the ring is now, 0 (empty) to 1 (full).
    pub fill: f64,
    /// Whether time is moving (the ring stays still when paused).
    pub moving: bool,
}

/// One message to the page: what to draw and what to do.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Update {
    /// The session's id.
    pub id: u64,
    /// What to draw.
    #[schema(value_type = foreign::View)]
    pub view: View,
    /// What to do now, in order (speak, chime, ...). Empty in a snapshot.
    #[schema(value_type = Vec<foreign::Effect>)]
    pub effects: Vec<Effect>,
    /// The pose figure.
    pub figure: Figure,
    /// The breath ring.
    pub ring: Ring,
    /// Real milliseconds the current segment lasts (for the figure's animation).
    pub segment_real_ms: u64,
    /// Real milliseconds left in the current segment.
    pub segment_left_real_ms: u64,
    /// Real milliseconds left in the routine.
    pub total_left_real_ms: u64,
    /// Whether the session is over.
    pub ended: bool,
    /// A monotonically increasing number, so the page can drop stale updates.
    pub seq: u64,
    /// Set while the journal cannot store this session's records: what went wrong and what to
    /// do, for the page to show. The records are kept and written once the journal works.
    pub error: Option<String>,
    /// Set while the server stops, and once it has: what the page should say and speak.
    /// The session goes on, saved as it goes, until the server stops.
    pub stopping: Option<String>,
}

/// A session being played.
pub struct Live {
    /// The journal's id for it.
    pub journal_id: SessionId,
    /// Whose session it is: only requests for this profile see it, and its records go to
    /// this profile's journal.
    pub(crate) profile: Profile,
    session: Session,
    /// Its clock has started (the page connected, or sent `start`).
    started: bool,
    /// This server's clock (`Clock::now_ms`) when the session's clock read 0, from its first
    /// tick: the session is ticked with its own time, which the journal keeps with each input
    /// and another server carries on (see [`crate::carry`]).
    origin: Option<i64>,
    /// A task is ticking it and sending heartbeats.
    ticking: bool,
    /// Over, and everything it recorded is in the journal.
    finished: bool,
    pain_after: Option<u8>,
    seq: u64,
    tx: broadcast::Sender<Arc<str>>,
    wake: Arc<Notify>,
    last_contact: Instant,
    /// Records the journal has not taken yet, oldest first.
    unsaved: Vec<SessionEvent>,
    /// The session's end, once the machine has ended, until the journal takes it.
    unsaved_end: Option<SessionFinish>,
    /// Records dropped because [`UNSAVED_RECORDS`] were already waiting.
    dropped: usize,
    /// Why the journal did not take the last write, while it does not.
    error: Option<String>,
}

/// A shared handle to a live session.
pub type LiveRef = Arc<Mutex<Live>>;

impl Live {
    /// A session not yet started; it starts when the page connects (or on `start`).
    pub(crate) fn new(session: Session, journal_id: SessionId, profile: Profile) -> Live {
        let (tx, _) = broadcast::channel(64);
        Live {
            journal_id,
            profile,
            session,
            started: false,
            origin: None,
            ticking: false,
            finished: false,
            pain_after: None,
            seq: first_seq(),
            tx,
            wake: Arc::new(Notify::new()),
            last_contact: Instant::now(),
            unsaved: Vec::new(),
            unsaved_end: None,
            dropped: 0,
            error: None,
        }
    }

    /// A session carried on from the journal (see [`crate::carry`]): already started, its
    /// clock at `at_ms` now, with the records the journal lacks still to write, and its end
    /// if it has ended.
    pub(crate) fn carried(
        session: Session,
        journal_id: SessionId,
        at_ms: u64,
        unsaved: Vec<SessionEvent>,
        end: Option<SessionFinish>,
        state: &AppState,
        profile: Profile,
    ) -> Live {
        let mut l = Live::new(session, journal_id, profile);
        l.started = true;
        l.origin = Some(state.clock().now_ms() as i64 - at_ms as i64);
        l.pain_after = end.as_ref().and_then(|e| e.pain_after);
        l.unsaved = unsaved;
        l.unsaved_end = end;
        l
    }

    /// The session's clock now: milliseconds since its first tick (0 before it).
    fn session_ms(&self, state: &AppState) -> u64 {
        self.origin
            .map_or(0, |o| (state.clock().now_ms() as i64 - o).max(0) as u64)
    }

    /// Notes that the page asked about or sent something to this session.
    pub fn touch(&mut self) {
        self.last_contact = Instant::now();
    }

    /// Whether no page watches this session and none has touched it for `after`. A session
    /// with records the journal has not taken yet is never abandoned: it keeps trying.
    fn abandoned(&self, after: Duration) -> bool {
        self.tx.receiver_count() == 0 && !self.has_unsaved() && self.last_contact.elapsed() > after
    }

    /// Subscribes to updates.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<str>> {
        self.tx.subscribe()
    }

    /// The current state, with no effects.
    pub fn snapshot(&self, id: u64, state: &AppState) -> Update {
        self.update(id, Vec::new(), state)
    }

    fn update(&self, id: u64, effects: Vec<Effect>, state: &AppState) -> Update {
        let view = self.session.view();
        let plan = self.session.plan();
        let pose = plan.segments[view.segment].pose.clone();
        let inhale_ms = u64::from(plan.settings.pace.inhale_ms);
        let into = self.session.position_ms() % plan.breath_ms;
        let left = if into < inhale_ms {
            inhale_ms - into
        } else {
            plan.breath_ms - into
        };
        let ring = Ring {
            inhale: view.breath.inhale,
            left_ms: state.clock().real_ms(left),
            fill: view.breath.fill,
            moving: self.session.is_running(),
        };
        let clock = state.clock();
        Update {
            id,
            segment_real_ms: clock.real_ms(plan.segments[view.segment].duration_ms),
            segment_left_real_ms: clock.real_ms(view.segment_left_ms),
            total_left_real_ms: clock.real_ms(view.total_left_ms),
            figure: Figure::of(&view, pose),
            ring,
            ended: self.session.is_ended(),
            view,
            effects,
            seq: self.seq,
            error: self.error.clone(),
            stopping: stopping_words(state),
        }
    }

    /// Sends the current state to every page watching, as a new update.
    fn tell(&mut self, id: u64, effects: Vec<Effect>, state: &AppState) -> Update {
        self.seq += 1;
        let update = self.update(id, effects, state);
        if let Ok(text) = serde_json::to_string(&update) {
            // No receivers is fine: the page may be polling or gone.
            let _ = self.tx.send(text.into());
        }
        update
    }

    /// Keeps a record for the journal, in order.
    fn keep(&mut self, ev: SessionEvent) {
        if self.unsaved.len() < UNSAVED_RECORDS {
            self.unsaved.push(ev);
        } else {
            self.dropped += 1;
            tracing::warn!(
                session = self.journal_id,
                "{} records wait for the journal; dropped one ({} so far)",
                UNSAVED_RECORDS,
                self.dropped
            );
        }
    }

    fn has_unsaved(&self) -> bool {
        !self.unsaved.is_empty() || self.unsaved_end.is_some()
    }

    /// Plan milliseconds until the next moment the page should hear about: the next breath
    /// boundary or the turn from inhale to exhale, or a camera deadline of the session's
    /// (`Session::next_tick_in_ms`). `None` when time is not moving.
    fn next_wake_ms(&self) -> Option<u64> {
        let boundary = self.session.next_boundary_ms()?;
        let plan = self.session.plan();
        let pos = self.session.position_ms();
        let turn = boundary - plan.breath_ms + u64::from(plan.settings.pace.inhale_ms);
        let at = if turn > pos { turn } else { boundary };
        // With a camera, sooner when a loss is to be said or a wait runs out.
        let camera = self.session.next_tick_in_ms().unwrap_or(u64::MAX);
        Some((at - pos).min(camera))
    }
}

/// Writes what the journal has not taken yet, in order, keeping whatever it still refuses.
async fn flush(state: &AppState, l: &mut Live) -> Result<(), ApiError> {
    if !l.has_unsaved() {
        return Ok(());
    }
    let journal_id = l.journal_id;
    let events = l.unsaved.clone();
    let end = l.unsaved_end.clone();
    let (saved, ended, result) = state
        .with_journal(&l.profile, move |j| {
            // One transaction for them all: one wait for the disk, not one per record.
            if let Err(e) = j.record_events(journal_id, &events) {
                return Ok((0, false, Err(e)));
            }
            let finished = match &end {
                Some(f) => match j.finish_session(journal_id, f) {
                    Ok(()) => {
                        // Over: no server plays it any more.
                        if let Err(e) = j.release_session(journal_id) {
                            tracing::warn!(session = journal_id, "letting go: {e}");
                        }
                        true
                    }
                    Err(e) => return Ok((events.len(), false, Err(e))),
                },
                None => false,
            };
            Ok((events.len(), finished, Ok(())))
        })
        .await?;
    l.unsaved.drain(..saved);
    if ended {
        l.unsaved_end = None;
        l.finished = true;
    }
    result.map_err(store_error)
}

/// Moves a session to now, applies an event if any, stores its records, and pushes the result
/// to every page watching. Returns the update. When the journal does not take the records they
/// are kept, and the update says so in `error`: the event has happened either way (a "this
/// hurts" must never wait for a disk).
pub async fn step(
    state: &AppState,
    id: u64,
    live: &LiveRef,
    event: Option<Event>,
) -> Result<Update, ApiError> {
    let mut l = live.lock().await;
    if event.is_some() {
        l.touch();
    }
    if l.finished {
        return Ok(l.snapshot(id, state));
    }
    let mut fx = Vec::new();
    if l.started && l.origin.is_none() {
        // The first tick: the session's clock starts at 0 now, and the journal says so.
        l.origin = Some(state.clock().now_ms() as i64);
        let chimes = l.session.breath_chimes();
        l.keep(SessionEvent::from_record(
            now_rfc3339(),
            crate::carry::started_record(chimes),
        ));
    }
    let now = l.session_ms(state);
    if l.started {
        fx = l.session.handle(Event::Tick(now));
    }
    if let Some(event) = event {
        // What came, and when on the session's clock, so that the session can be rebuilt;
        // nothing is done with an event after the end, and nothing is kept.
        if !l.session.is_ended() {
            let input =
                serde_json::to_value(Input { ms: now, event }).map_err(ApiError::internal)?;
            l.keep(SessionEvent::from_record(now_rfc3339(), input));
        }
        fx.extend(l.session.handle(event));
    }
    // Keep every record, in order; end the journal's session when the machine ends.
    let mut end = None;
    for e in &fx {
        match e {
            Effect::Record(r) => {
                if let Record::PainAfter { pain } = r {
                    l.pain_after = Some(*pain);
                }
                let data = serde_json::to_value(r).map_err(ApiError::internal)?;
                l.keep(SessionEvent::from_record(now_rfc3339(), data));
            }
            Effect::Ended(reason) => end = Some(*reason),
            _ => {}
        }
    }
    if let Some(reason) = end {
        l.unsaved_end = Some(SessionFinish {
            ended_at: now_rfc3339(),
            end_reason: reason.as_str().to_owned(),
            pain_after: l.pain_after,
        });
    }
    let flushed = flush(state, &mut l).await;
    let error = flushed.err().map(|e| unsaved_message(&e));
    if error.is_some() && error != l.error {
        tracing::warn!(session = id, "{}", error.as_deref().unwrap_or_default());
    }
    l.error = error;
    let update = l.tell(id, fx, state);
    l.wake.notify_one();
    Ok(update)
}

/// What the page says while the server stops and once it has, if it is stopping.
fn stopping_words(state: &AppState) -> Option<String> {
    match state.phase() {
        Phase::Serving => None,
        Phase::Stopping => Some(format!(
            "supine is being stopped on this computer. Everything so far is saved, and you can \
             carry on for up to {}.",
            duration_words(state.timeouts().drain)
        )),
        Phase::Saving | Phase::Stopped => Some(
            "supine has stopped. Your session is saved up to here. Rest for a moment, then start \
             supine again whenever you like."
                .to_owned(),
        ),
    }
}

/// A duration in whole seconds or minutes, in words.
fn duration_words(d: Duration) -> String {
    let s = d.as_secs().max(1);
    match s {
        1 => "a second".to_owned(),
        2..=119 => format!("{s} seconds"),
        _ => format!("{} minutes", s / 60),
    }
}

/// What the page shows while the journal does not take this session's records.
fn unsaved_message(e: &ApiError) -> String {
    match e {
        ApiError::JournalFull => "the journal is full, so this session is not being saved: free \
            some disk space and it will be saved from where it is; nothing saved before was lost"
            .to_owned(),
        // The journal closed it (after a long silence): the store says what to do.
        ApiError::Conflict(m) => m.clone(),
        other => format!(
            "this session is not being saved just now ({other}); it will be saved as soon as \
             the journal works again"
        ),
    }
}

/// Starts the session's clock (if not started) and a task that ticks it at breath boundaries and
/// sends heartbeats until it ends or is abandoned; a page coming back to an abandoned session
/// starts the task again.
pub async fn start(state: &AppState, id: u64, live: &LiveRef) -> Result<(), ApiError> {
    let (first, wake) = {
        let mut l = live.lock().await;
        if l.finished || l.ticking {
            return Ok(());
        }
        l.ticking = true;
        let first = !l.started;
        l.started = true;
        (first, l.wake.clone())
    };
    tokio::spawn(tick(state.clone(), id, live.clone(), wake));
    if first {
        step(state, id, live, None).await?;
    }
    Ok(())
}

/// Resumes ticking a started session whose task stopped when it was abandoned (a page polling
/// it again). Does nothing to a session not yet started.
pub async fn resume(state: &AppState, id: u64, live: &LiveRef) -> Result<(), ApiError> {
    if live.lock().await.started {
        start(state, id, live).await
    } else {
        Ok(())
    }
}

/// The task of [`start`].
async fn tick(state: AppState, id: u64, live: LiveRef, wake: Arc<Notify>) {
    let abandon_after = state.timeouts().abandoned;
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.tick().await;
    loop {
        let wait = {
            let mut l = live.lock().await;
            if l.finished {
                l.ticking = false;
                return;
            }
            l.next_wake_ms().map(|ms| state.clock().real_ms(ms) + 1)
        };
        let sleep = async {
            match wait {
                Some(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = sleep => {
                if let Err(e) = step(&state, id, &live, None).await {
                    tracing::warn!(session = id, "{e}");
                }
            }
            () = wake.notified() => {}
            _ = heartbeat.tick() => {
                let mut l = live.lock().await;
                // Checked under the same lock as `start`, so a page arriving now either
                // keeps this task or starts a new one.
                if l.abandoned(abandon_after) || l.finished {
                    l.ticking = false;
                    return;
                }
                if l.has_unsaved() {
                    drop(l);
                    // Writing what waits is a heartbeat too.
                    if let Err(e) = step(&state, id, &live, None).await {
                        tracing::warn!(session = id, "{e}");
                    }
                    continue;
                }
                // Written under the session's lock, as its records are, so that a session
                // finishing meanwhile (a page's last answer) is not given a heartbeat after
                // its end: with a busy journal, that read as "not being saved" on a session
                // saved whole.
                let journal_id = l.journal_id;
                let at = now_rfc3339();
                let r = state
                    .with_journal(&l.profile, move |j| Ok(j.heartbeat(journal_id, &at)?))
                    .await;
                let error = r.err().map(|e| unsaved_message(&e));
                if error != l.error {
                    if let Some(e) = &error {
                        tracing::warn!(session = id, "heartbeat: {e}");
                    }
                    l.error = error;
                    l.tell(id, Vec::new(), &state);
                }
            }
        }
    }
}

/// The table of live sessions, by id, with places held for sessions being written to the
/// journal.
#[derive(Default)]
pub struct Table {
    /// Each live session, with whose it is (kept beside it, to be read without its lock).
    sessions: HashMap<u64, (Profile, LiveRef)>,
    reserved: usize,
}

/// A place in the table, held while a new session is written to the journal; given back if it
/// is dropped unfilled (the write failed, or the request went away).
pub struct Place {
    state: AppState,
    filled: bool,
}

fn table(state: &AppState) -> Result<std::sync::MutexGuard<'_, Table>, ApiError> {
    state
        .inner
        .sessions
        .lock()
        .map_err(|_| ApiError::internal("sessions lock poisoned"))
}

/// Holds a place for a new session: a free one, or one given up by a session that has ended
/// or been abandoned. Refused with 429 when every session holds its place.
pub fn reserve(state: &AppState) -> Result<Place, ApiError> {
    if state.phase() != Phase::Serving {
        return Err(ApiError::Stopping(
            "supine is being stopped, so a new session cannot start now; start it again once \
             supine is back"
                .into(),
        ));
    }
    let abandon_after = state.timeouts().abandoned;
    let most = state.live_sessions();
    let mut t = table(state)?;
    if t.sessions.len() + t.reserved >= most {
        // A session being stepped is locked: in use, so it stays.
        t.sessions.retain(|_, (_, l)| {
            l.try_lock()
                .map_or(true, |l| !(l.finished || l.abandoned(abandon_after)))
        });
    }
    if t.sessions.len() + t.reserved >= most {
        return Err(ApiError::TooManySessions(format!(
            "{most} sessions are already going on this server; end one of them, or \
             try again in a few minutes"
        )));
    }
    t.reserved += 1;
    Ok(Place {
        state: state.clone(),
        filled: false,
    })
}

impl Place {
    /// Puts the session in its place and returns its handle; if a session with this id is
    /// already there (two requests carried the same session on at once), that one, and the
    /// place is given back.
    pub fn fill(mut self, id: u64, live: Live) -> Result<LiveRef, ApiError> {
        let mut t = table(&self.state)?;
        t.reserved -= 1;
        self.filled = true;
        let profile = live.profile.clone();
        Ok(t.sessions
            .entry(id)
            .or_insert_with(|| (profile, Arc::new(Mutex::new(live))))
            .1
            .clone())
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        if !self.filled
            && let Ok(mut t) = table(&self.state)
        {
            t.reserved -= 1;
        }
    }
}

/// The first `seq` of a live session: microseconds since 1970, so that a session carried on by
/// another server (or this one restarted) goes on numbering its updates above every number the
/// page has seen, and the page, which drops an update numbered below the last, takes them.
fn first_seq() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// The live session with this id, if this server plays it for `profile` (see
/// [`crate::carry::find`] for one to carry on from the journal). Another profile's session is
/// not there for this one.
pub(crate) fn playing(
    state: &AppState,
    id: u64,
    profile: &Profile,
) -> Result<Option<LiveRef>, ApiError> {
    Ok(table(state)?
        .sessions
        .get(&id)
        .filter(|(owner, _)| owner == profile)
        .map(|(_, live)| live.clone()))
}

/// The journal ids of the live sessions a page is using (neither finished nor abandoned), with
/// whose they are.
pub(crate) fn in_use(state: &AppState) -> Result<Vec<(SessionId, Profile)>, ApiError> {
    let abandon_after = state.timeouts().abandoned;
    Ok(table(state)?
        .sessions
        .iter()
        .filter(|(_, (_, l))| {
            // Locked: being stepped right now, so in use.
            l.try_lock()
                .map_or(true, |l| !(l.finished || l.abandoned(abandon_after)))
        })
        .map(|(&id, (owner, _))| (id as SessionId, owner.clone()))
        .collect())
}

/// How many live sessions are going on: started, not over, and followed by a page (a socket
/// open, or an update asked for or an event sent in the last [`FOLLOWED_WITHIN`]). A stop waits
/// for them; one whose page has gone is not waited for.
pub fn going_on(state: &AppState) -> usize {
    table(state).map_or(0, |t| {
        t.sessions
            .values()
            .filter(|(_, l)| {
                // Locked: being stepped right now, so going on.
                l.try_lock().map_or(true, |l| {
                    l.started
                        && !l.finished
                        && (l.tx.receiver_count() > 0 || l.last_contact.elapsed() < FOLLOWED_WITHIN)
                })
            })
            .count()
    })
}

/// A page that polls (its socket would not open) asks for an update every second; one silent
/// for this long, 5 s, is not following its session.
const FOLLOWED_WITHIN: Duration = Duration::from_secs(5);

/// Every live session, to step or tell.
fn all(state: &AppState) -> Vec<(u64, LiveRef)> {
    table(state).map_or_else(
        |_| Vec::new(),
        |t| {
            t.sessions
                .iter()
                .map(|(&id, (_, l))| (id, l.clone()))
                .collect()
        },
    )
}

/// Tells every page watching a live session what is happening (the server's phase is in
/// each update).
pub async fn tell_all(state: &AppState) {
    for (id, live) in all(state) {
        let mut l = live.lock().await;
        if !l.finished {
            l.tell(id, Vec::new(), state);
        }
    }
}

/// Moves every live session to now and saves its records, telling its pages; a session the
/// journal refuses is logged (its records stay unsaved: the journal said why).
pub async fn save_all(state: &AppState) {
    for (id, live) in all(state) {
        match step(state, id, &live, None).await {
            Ok(update) if update.error.is_some() => tracing::warn!(
                session = id,
                "stopping with records unsaved: {}",
                update.error.unwrap_or_default()
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(session = id, "stopping: {e}"),
        }
    }
}

/// Lets go of sessions the journal has closed.
pub fn forget(state: &AppState, ids: impl Iterator<Item = SessionId>) {
    if let Ok(mut t) = table(state) {
        for id in ids {
            t.sessions.remove(&(id as u64));
        }
    }
}
