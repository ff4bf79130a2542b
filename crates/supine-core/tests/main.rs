//! Integration tests for supine-core: plan properties, the content parser against hostile input,
//! and whole sessions driven by events.

mod camera;
mod camera_props;
mod content_props;
mod plan_props;
mod progress_props;
mod session;
mod session_props;
