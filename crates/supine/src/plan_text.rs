//! The plan as text for `supine plan`.

use std::fmt::Write;

use supine_core::Plan;
use supine_core::plan::{PlannedStep, SegmentKind};

/// Formats milliseconds as m:ss.
pub fn clock(ms: u64) -> String {
    let s = ms / 1000;
    format!("{}:{:02}", s / 60, s % 60)
}

fn dose(step: &PlannedStep, plan: &Plan) -> String {
    if step.skipped {
        return "left out".into();
    }
    let first = &plan.segments[step.first_segment];
    let breaths = |n: u32| {
        if n == 1 {
            "1 breath".to_owned()
        } else {
            format!("{n} breaths")
        }
    };
    match (first.kind, step.reps, step.hold_breaths) {
        (SegmentKind::Rest, _, _) => breaths(step.breaths),
        (_, Some(r), None) => format!("{r} circles clockwise, then {r} anticlockwise"),
        (_, Some(r), Some(h)) => format!("{r} rounds, hold {}", breaths(h)),
        (_, None, Some(h)) => format!("left side, then right, hold {} each", breaths(h)),
        (_, None, None) => String::new(),
    }
}

/// The plan summary and its full timeline.
pub fn render(plan: &Plan) -> String {
    let mut s = String::new();
    let p = plan.settings.pace;
    let _ = writeln!(
        s,
        "{} · {} · breathe in {} s, out {} s ({:.0} breaths a minute) · {:?} level",
        plan.routine_name,
        clock(plan.total_ms),
        f64::from(p.inhale_ms) / 1000.0,
        f64::from(p.exhale_ms) / 1000.0,
        p.per_minute(),
        plan.settings.level
    );
    if !plan.adaptations.is_empty() {
        let _ = writeln!(s, "\nAdjusted for you:");
        for a in &plan.adaptations {
            let _ = writeln!(s, "  - {} ({})", a.line(), a.why);
        }
    }
    for n in &plan.notes {
        let _ = writeln!(s, "\nNote: {n}");
    }
    let _ = writeln!(s, "\nSteps:");
    for step in &plan.steps {
        let start = plan
            .segments
            .get(step.first_segment)
            .map_or(plan.total_ms, |g| g.start_ms);
        let _ = writeln!(
            s,
            "  {:>5}  {:<22} {}",
            if step.skipped {
                "-".into()
            } else {
                clock(start)
            },
            step.title,
            dose(step, plan)
        );
    }
    let _ = writeln!(s, "\nTimeline:");
    for seg in &plan.segments {
        let counter = seg.counter.as_deref().unwrap_or("");
        let _ = writeln!(
            s,
            "  {:>5}  {:<22} {:<28} {}",
            clock(seg.start_ms),
            seg.title,
            counter,
            seg.show.replace('\n', " ")
        );
    }
    s
}
