//! Integration tests for supine-core: plan properties and whole sessions driven by events.

mod plan_props;
mod progress_props;
mod session;
