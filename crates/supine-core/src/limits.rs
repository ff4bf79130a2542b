//! Every limit on content, in one place: the dose ranges of `shared/docs/CLINICAL.md` where it
//! gives one, and hard ceilings everywhere else, so that no content file can make a plan that is
//! unsafe, absurdly long, or too big to hold in memory.
//!
//! [`Content::load`](crate::Content::load) checks every file against these; anything outside is
//! an error located at the value (`file:line:column: message (hint: ...)`) that names the allowed
//! range. With them, a compiled plan has at most [`MAX_SEGMENTS`] segments, each at most
//! [`MAX_SEGMENT_BREATHS`] breaths long, whatever the content and settings.

use std::fmt;

/// An inclusive range of whole numbers that a dose may take, and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DoseLimit {
    /// Smallest value allowed.
    pub lo: u32,
    /// Largest value allowed.
    pub hi: u32,
    /// What it counts, e.g. "rounds".
    pub unit: &'static str,
    /// Where the range comes from, in plain words.
    pub source: &'static str,
}

impl DoseLimit {
    /// Whether `v` lies in the range.
    pub fn allows(&self, v: u32) -> bool {
        (self.lo..=self.hi).contains(&v)
    }
}

impl fmt::Display for DoseLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.lo == self.hi {
            write!(f, "exactly {} {} ({})", self.lo, self.unit, self.source)
        } else {
            write!(
                f,
                "{} to {} {} ({})",
                self.lo, self.hi, self.unit, self.source
            )
        }
    }
}

/// Circles per direction for a `circles` pose. CLINICAL.md gives no count for knee circles (the
/// NHS starting dose for home back exercises is about 5 repetitions, adding 1-2 every few days);
/// 12 slow circles each way is a generous ceiling.
pub const CIRCLES: DoseLimit = DoseLimit {
    lo: 1,
    hi: 12,
    unit: "circles each way",
    source: "a ceiling: the NHS starts home back exercises at about 5 repetitions",
};

/// Rounds of a `rounds` pose: the bridge's 3-4 rounds (CLINICAL.md).
pub const ROUNDS: DoseLimit = DoseLimit {
    lo: 3,
    hi: 4,
    unit: "rounds",
    source: "the bridge is done in 3-4 rounds",
};

/// The hold of a `rounds` pose, in breaths: "hold a few breaths" is 3-5 breaths (CLINICAL.md).
pub const ROUND_HOLD_BREATHS: DoseLimit = DoseLimit {
    lo: 3,
    hi: 5,
    unit: "breaths",
    source: "a hold of a few breaths is 3-5 breaths",
};

/// The hold on each side of a `sides` pose, in breaths. CLINICAL.md asks for deep breathing in
/// the twist without a count; 12 breaths (2 minutes at 6 breaths a minute) is the ceiling.
pub const SIDE_HOLD_BREATHS: DoseLimit = DoseLimit {
    lo: 1,
    hi: 12,
    unit: "breaths",
    source: "a ceiling: about 2 minutes a side at a slow breath",
};

/// A `sides` pose is one hold per side: its repetitions, if given, are 1.
pub const SIDES_REPS: DoseLimit = DoseLimit {
    lo: 1,
    hi: 1,
    unit: "repetition",
    source: "a sides pose is one hold on each side",
};

/// A rest step, in breaths.
pub const REST_BREATHS: DoseLimit = DoseLimit {
    lo: 1,
    hi: 12,
    unit: "breaths",
    source: "a ceiling: about 2 minutes of rest at a slow breath",
};

/// The largest content file, in bytes (the built-in files are under 3 KiB).
pub const MAX_SOURCE_BYTES: usize = 64 * 1024;

/// The most content files one load reads.
pub const MAX_SOURCES: usize = 256;

/// The longest text (a name, a cue, a setup line, a reason), in characters.
pub const MAX_TEXT_CHARS: usize = 600;

/// The most items in any list of a content file: routine steps, setup lines, variants, cautions,
/// other names.
pub const MAX_ITEMS: usize = 24;

/// The most segments a routine step can have: a circles pose at its ceiling (an intro, each
/// circle both ways, the switch and the finish).
pub const MAX_STEP_SEGMENTS: usize = 3 + 2 * CIRCLES.hi as usize;

/// The most segments a compiled plan can have.
pub const MAX_SEGMENTS: usize = MAX_ITEMS * MAX_STEP_SEGMENTS;

/// The longest setup of a pose or variant, all its lines together, in characters: it is said in
/// full before the pose, so it sets how long getting into position takes (the built-in ones are
/// under 200 characters).
pub const MAX_SETUP_CHARS: usize = 1000;

/// The longest segment, in breaths: an intro that says the name and the longest setup at the
/// fastest pace (2 s in, 2 s out) and 2.5 words a second (a word is at least one character and
/// a space), or the longest hold or rest.
pub const MAX_SEGMENT_BREATHS: u32 = {
    let words = (MAX_TEXT_CHARS + MAX_SETUP_CHARS + 2) / 2 + 1;
    // ceil((words / 2.5 + 2) seconds / 4 seconds), with a breath to spare.
    let seconds = words * 2 / 5 + 3;
    let intro = seconds / 4 + 2;
    let rest = REST_BREATHS.hi as usize;
    (if intro > rest { intro } else { rest }) as u32
};
