//! What a camera tells the player: the analyzers' observations as they come, and its end.
//!
//! The camera itself (reading frames, the pose pipeline, the analyzers) runs elsewhere, on its
//! own thread; the player only drains a [`CameraFeed`] each turn of its loop, after its tick.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, TryRecvError};

use supine_core::seen::Observation;
use supine_core::session::CameraView;

/// One piece of news from the camera.
#[derive(Debug, Clone, PartialEq)]
pub enum CameraNews {
    /// The analyzers saw this.
    Seen(Observation),
    /// The camera stopped for good: at the video's end (`None`) or for this reason.
    Stopped(Option<String>),
}

/// Where the camera's news comes from.
pub trait CameraFeed {
    /// Everything the camera has to tell by clock reading `now_ms`, in order (never waits).
    fn poll(&mut self, now_ms: u64) -> Vec<CameraNews>;
}

/// News sent over a channel by a camera thread. A thread that goes away without saying it
/// stopped is told as a stop with a reason, so the session never waits on it.
#[derive(Debug)]
pub struct ChannelFeed {
    rx: Receiver<CameraNews>,
    stopped: bool,
}

impl ChannelFeed {
    /// The news arriving on `rx`.
    pub fn new(rx: Receiver<CameraNews>) -> ChannelFeed {
        ChannelFeed { rx, stopped: false }
    }
}

impl CameraFeed for ChannelFeed {
    fn poll(&mut self, _now_ms: u64) -> Vec<CameraNews> {
        let mut out = Vec::new();
        while !self.stopped {
            match self.rx.try_recv() {
                Ok(news) => {
                    self.stopped = matches!(news, CameraNews::Stopped(_));
                    out.push(news);
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    self.stopped = true;
                    out.push(CameraNews::Stopped(Some("the camera stopped".into())));
                }
            }
        }
        out
    }
}

/// News at set clock readings, for tests: each is handed out once the clock reaches it.
#[derive(Debug, Clone, Default)]
pub struct ScriptedFeed {
    script: VecDeque<(u64, CameraNews)>,
}

impl ScriptedFeed {
    /// An empty script.
    pub fn new() -> ScriptedFeed {
        ScriptedFeed::default()
    }

    /// Adds news at `at_ms` (in time order).
    pub fn at(mut self, at_ms: u64, news: CameraNews) -> Self {
        self.script.push_back((at_ms, news));
        self
    }

    /// Adds an observation at `at_ms`.
    pub fn seen_at(self, at_ms: u64, o: Observation) -> Self {
        self.at(at_ms, CameraNews::Seen(o))
    }

    /// Whether everything scripted was handed out.
    pub fn is_empty(&self) -> bool {
        self.script.is_empty()
    }
}

impl CameraFeed for ScriptedFeed {
    fn poll(&mut self, now_ms: u64) -> Vec<CameraNews> {
        let mut out = Vec::new();
        while self.script.front().is_some_and(|(at, _)| *at <= now_ms) {
            if let Some((_, news)) = self.script.pop_front() {
                out.push(news);
            }
        }
        out
    }
}

/// The status line in plain words: what the camera sees (`camera`, from the session's view, while
/// it is on), or that it stopped and why (`stopped`).
pub fn status_line(camera: Option<&CameraView>, stopped: Option<&str>) -> Option<String> {
    if let Some(why) = stopped {
        return Some(format!("Camera lost: {why}. The timer leads now."));
    }
    let c = camera?;
    Some(match (&c.cant_see, c.following, c.waiting) {
        (Some(what), _, _) => format!("Camera: I can't see {what}. The timer leads for now."),
        (None, true, true) => "Camera: sees you, and waits for you to finish.".into(),
        (None, true, false) => "Camera: sees you.".into(),
        (None, false, _) => "Camera: on.".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;
    use supine_core::seen::Seen;

    #[test]
    fn a_thread_gone_without_a_word_is_a_stop() {
        let (tx, rx) = channel();
        let mut feed = ChannelFeed::new(rx);
        let o = Observation {
            t: 1.0,
            reported: 1.0,
            seen: Seen::PersonFound,
        };
        tx.send(CameraNews::Seen(o)).unwrap();
        drop(tx);
        assert_eq!(
            feed.poll(0),
            vec![
                CameraNews::Seen(o),
                CameraNews::Stopped(Some("the camera stopped".into()))
            ]
        );
        assert!(feed.poll(0).is_empty(), "said once");
    }

    #[test]
    fn the_status_line_says_what_the_camera_sees_in_words() {
        let view = |cant_see: Option<&str>, following, waiting| CameraView {
            following,
            waiting,
            cant_see: cant_see.map(str::to_owned),
            circles: None,
        };
        let line = |c: CameraView| status_line(Some(&c), None).unwrap();
        assert_eq!(line(view(None, true, false)), "Camera: sees you.");
        assert_eq!(
            line(view(None, true, true)),
            "Camera: sees you, and waits for you to finish."
        );
        assert_eq!(
            line(view(Some("your knees"), false, false)),
            "Camera: I can't see your knees. The timer leads for now."
        );
        assert_eq!(line(view(None, false, false)), "Camera: on.");
        assert_eq!(
            status_line(None, Some("the video ended")).unwrap(),
            "Camera lost: the video ended. The timer leads now."
        );
        assert_eq!(status_line(None, None), None);
    }

    #[test]
    fn scripted_news_comes_when_its_time_is_reached() {
        let mut feed = ScriptedFeed::new()
            .at(100, CameraNews::Stopped(None))
            .at(200, CameraNews::Stopped(None));
        assert!(feed.poll(99).is_empty());
        assert_eq!(feed.poll(150).len(), 1);
        assert_eq!(feed.poll(500).len(), 1);
        assert!(feed.is_empty());
    }
}
