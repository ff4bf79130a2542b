//! Live sessions: the server owns each `Session` state machine, ticks it at breath boundaries,
//! writes its records to the journal as they happen, and pushes `{view, effects}` to the page.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use supine_core::plan::{Direction, SegmentKind};
use supine_core::session::{Record, View};
use supine_core::{Effect, Event, Session};
use supine_store::{SessionEvent, SessionFinish, SessionId};
use tokio::sync::{Mutex, Notify, broadcast};

use crate::error::ApiError;
use crate::{AppState, now_rfc3339};

/// How often an open session tells the journal it is alive (real time).
const HEARTBEAT: Duration = Duration::from_secs(30);

/// A session nobody has watched or touched for this long is left alone: no more ticks or
/// heartbeats, so the journal finds it interrupted, as it would a closed terminal.
const ABANDONED: Duration = Duration::from_secs(120);

/// What the pose figure should show, derived from the segment (the core's types stay as they
/// are): which pose, which movement, and the direction or side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Figure {
    /// Pose id, if this is a pose.
    pub pose: Option<String>,
    /// The segment kind.
    pub kind: SegmentKind,
    /// Circle direction or twist side (serialised as `"clockwise"`, `"anticlockwise"`, `"left"`
    /// or `"right"`).
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
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
pub struct Update {
    /// The session's id.
    pub id: u64,
    /// What to draw.
    pub view: View,
    /// What to do now, in order (speak, chime, ...). Empty in a snapshot.
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
}

/// A session being played.
pub struct Live {
    /// The journal's id for it.
    pub journal_id: SessionId,
    session: Session,
    started: bool,
    finished: bool,
    pain_after: Option<u8>,
    seq: u64,
    tx: broadcast::Sender<Arc<str>>,
    wake: Arc<Notify>,
    last_contact: std::time::Instant,
}

/// A shared handle to a live session.
pub type LiveRef = Arc<Mutex<Live>>;

impl Live {
    /// A session not yet started; it starts when the page connects (or on `start`).
    pub fn new(session: Session, journal_id: SessionId) -> Live {
        let (tx, _) = broadcast::channel(64);
        Live {
            journal_id,
            session,
            started: false,
            finished: false,
            pain_after: None,
            seq: 0,
            tx,
            wake: Arc::new(Notify::new()),
            last_contact: std::time::Instant::now(),
        }
    }

    /// Notes that the page asked about or sent something to this session.
    pub fn touch(&mut self) {
        self.last_contact = std::time::Instant::now();
    }

    /// Whether no page watches this session and none has touched it for [`ABANDONED`].
    fn abandoned(&self) -> bool {
        self.tx.receiver_count() == 0 && self.last_contact.elapsed() > ABANDONED
    }

    /// Subscribes to updates.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<str>> {
        self.tx.subscribe()
    }

    /// Whether the session's clock has started.
    pub fn is_started(&self) -> bool {
        self.started
    }

    /// Whether the session is over and stored.
    pub fn is_finished(&self) -> bool {
        self.finished
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
        }
    }

    /// Plan milliseconds until the next moment the page should hear about: the next breath
    /// boundary or the turn from inhale to exhale. `None` when time is not moving.
    fn next_wake_ms(&self) -> Option<u64> {
        let boundary = self.session.next_boundary_ms()?;
        let plan = self.session.plan();
        let pos = self.session.position_ms();
        let turn = boundary - plan.breath_ms + u64::from(plan.settings.pace.inhale_ms);
        let at = if turn > pos { turn } else { boundary };
        Some(at - pos)
    }
}

/// Moves a session to now, applies an event if any, stores its records, and pushes the result
/// to every page watching. Returns the update.
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
    if l.started {
        fx = l.session.handle(Event::Tick(state.clock().now_ms()));
    }
    if let Some(e) = event {
        fx.extend(l.session.handle(e));
    }
    // Keep every record at once, in order; end the journal's session when the machine ends.
    let mut events = Vec::new();
    let mut end = None;
    for e in &fx {
        match e {
            Effect::Record(r) => {
                if let Record::PainAfter { pain } = r {
                    l.pain_after = Some(*pain);
                }
                let data = serde_json::to_value(r).map_err(ApiError::internal)?;
                events.push(SessionEvent::from_record(now_rfc3339(), data));
            }
            Effect::Ended(reason) => end = Some(*reason),
            _ => {}
        }
    }
    if !events.is_empty() || end.is_some() {
        let journal_id = l.journal_id;
        let pain_after = l.pain_after;
        state
            .with_journal(move |j| {
                for ev in &events {
                    j.record_event(journal_id, ev)?;
                }
                if let Some(reason) = end {
                    j.finish_session(
                        journal_id,
                        &SessionFinish {
                            ended_at: now_rfc3339(),
                            end_reason: reason.as_str().to_owned(),
                            pain_after,
                        },
                    )?;
                }
                Ok(())
            })
            .await?;
        if end.is_some() {
            l.finished = true;
        }
    }
    l.seq += 1;
    let update = l.update(id, fx, state);
    if let Ok(text) = serde_json::to_string(&update) {
        // No receivers is fine: the page may be polling or gone.
        let _ = l.tx.send(text.into());
    }
    l.wake.notify_one();
    Ok(update)
}

/// Starts the session's clock (if not started) and a task that ticks it at breath boundaries and
/// sends heartbeats until it ends.
pub async fn start(state: &AppState, id: u64, live: &LiveRef) -> Result<(), ApiError> {
    {
        let mut l = live.lock().await;
        if l.started || l.finished {
            return Ok(());
        }
        l.started = true;
    }
    step(state, id, live, None).await?;
    let wake = live.lock().await.wake.clone();
    let (state, live) = (state.clone(), live.clone());
    tokio::spawn(async move {
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        heartbeat.tick().await;
        loop {
            let (wait, journal_id) = {
                let l = live.lock().await;
                if l.finished {
                    break;
                }
                (
                    l.next_wake_ms().map(|ms| state.clock().real_ms(ms) + 1),
                    l.journal_id,
                )
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
                        eprintln!("supine serve: session {id}: {e}");
                    }
                }
                () = wake.notified() => {}
                _ = heartbeat.tick() => {
                    if live.lock().await.abandoned() {
                        break;
                    }
                    let at = now_rfc3339();
                    let r = state.with_journal(move |j| Ok(j.heartbeat(journal_id, &at)?)).await;
                    if let Err(e) = r {
                        eprintln!("supine serve: session {id}: heartbeat: {e}");
                    }
                }
            }
        }
    });
    Ok(())
}
