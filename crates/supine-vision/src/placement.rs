//! Where the camera stands, judged from one frame's landmarks, in plain words: the camera
//! set-up screen's check before a session.
//!
//! The advice it checks is the placement study's (ARCHITECTURE.md, "Coaching from video"): the
//! whole body in the picture, the camera at the person's side, raised about 40 degrees (30-50).
//! Pure: one frame's landmarks in, a [`Placement`] out.
//!
//! Which way the camera looks is read from two lines on the body that lie at right angles on
//! the floor: the shoulder line (across the body) and the torso (along it). Seen from the side
//! at elevation `e`, the shoulder line is foreshortened to `W sin e` while the torso keeps its
//! length `T`; seen from the feet it is the other way round (`W` against `T sin e`). So with
//! `W = SHOULDERS_PER_TORSO * T`, the ratio `f = (shoulders / torso) / SHOULDERS_PER_TORSO`
//! in the picture is `sin e` at the side, exactly 1 turned 45 degrees towards the head or feet
//! (whatever the height), and `1 / sin e` at the feet.

use supine_core::seen::Part;

use crate::analyze::{Body, VISIBLE, landmarks};

/// The shoulder width (between MediaPipe's shoulder landmarks) over the torso length
/// (mid-shoulder to mid-hip) of an adult: about 0.37 m over 0.5 m (biacromial breadth over
/// the shoulder-to-hip-joint length); the capsule mannequin has 0.36 m over 0.5 m.
pub const SHOULDERS_PER_TORSO: f32 = 0.75;

/// The camera turned this far (degrees) from the person's side towards the head or feet is
/// too far: the placement study found no twist at 45 degrees, and every movement right at 25.
/// At 45 degrees the ratio `f` of the module's doc is 1 at any height.
pub const MAX_TURN_DEG: f32 = 45.0;

/// A camera at the side lower than this (degrees above the floor) is too low: the placement
/// study counted no circles at 0 and 15 degrees (seen edge-on) and all of them at 30; 25 lies
/// between, leaving the advised 30-50 a margin for the shoulder width's spread among people.
pub const MIN_ELEVATION_DEG: f32 = 25.0;

/// A landmark this close to the picture's edge (a share of its width or height) counts as cut
/// off: the landmark model still places joints just outside the picture, with a visibility
/// that may pass, and a joint on the edge is half out of sight. 2% of 640 px is 13 px, about a
/// knee's width at the advised distance.
pub const EDGE_MARGIN: f32 = 0.02;

/// What the check found, the first problem to fix first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// The whole body, from the side, with the camera raised.
    Ok,
    /// Nobody in the picture.
    NoPerson,
    /// More than one part out of the picture: too close.
    MoveBack,
    /// One part out of the picture.
    CantSee(Part),
    /// The camera looks along the body (from the head or feet).
    ToYourSide,
    /// The camera is at the side but too low.
    RaiseCamera,
}

impl Placement {
    /// Whether the placement is good.
    pub fn is_ok(self) -> bool {
        self == Placement::Ok
    }

    /// Which check it is, for programs: `ok`, `no_person`, `move_back`, `cant_see`,
    /// `to_your_side` or `raise_camera`.
    pub fn name(self) -> &'static str {
        match self {
            Placement::Ok => "ok",
            Placement::NoPerson => "no_person",
            Placement::MoveBack => "move_back",
            Placement::CantSee(_) => "cant_see",
            Placement::ToYourSide => "to_your_side",
            Placement::RaiseCamera => "raise_camera",
        }
    }

    /// The plain words the set-up screen shows.
    pub fn words(self) -> String {
        match self {
            Placement::Ok => "I can see all of you from the side".to_owned(),
            Placement::NoPerson => {
                "I can't see you yet: lie down on the mat, in the picture".to_owned()
            }
            Placement::MoveBack => "Move back so all of you is in the picture".to_owned(),
            Placement::CantSee(part) => format!("I can't see your {}", part.noun()),
            Placement::ToYourSide => "Move the camera to your side".to_owned(),
            Placement::RaiseCamera => "Raise the camera a little".to_owned(),
        }
    }
}

/// Checks one frame's person (`None`: nobody found) in a picture `width` by `height` pixels.
pub fn check(body: Option<&Body>, width: f32, height: f32) -> Placement {
    let Some(b) = body else {
        return Placement::NoPerson;
    };
    let in_picture = |i: usize| {
        let p = b.image[i];
        let (mx, my) = (EDGE_MARGIN * width, EDGE_MARGIN * height);
        p.visibility > VISIBLE && p.x >= mx && p.x <= width - mx && p.y >= my && p.y <= height - my
    };
    let sees = |part: Part| {
        let (l, r) = landmarks(part);
        in_picture(l) || in_picture(r)
    };
    // Feet first: the end most often cut off, and the one the circles and bridge need.
    let order = [Part::Ankles, Part::Knees, Part::Hips, Part::Shoulders];
    let missing: Vec<Part> = order.into_iter().filter(|p| !sees(*p)).collect();
    match missing.as_slice() {
        [] => {}
        [one] => return Placement::CantSee(*one),
        _ => return Placement::MoveBack,
    }
    // Both landmarks of each line are placed by the model even when one is hidden, and the
    // hidden one's place is what the line's length needs.
    let (ls, rs) = landmarks(Part::Shoulders);
    let shoulders = (b.image[ls].x - b.image[rs].x).hypot(b.image[ls].y - b.image[rs].y);
    // A torso under a pixel long counts as one: seen end on, along the body, the ratio is large.
    let f = shoulders / b.torso() / SHOULDERS_PER_TORSO;
    if f >= turn_ratio(MAX_TURN_DEG) {
        Placement::ToYourSide
    } else if f < MIN_ELEVATION_DEG.to_radians().sin() {
        Placement::RaiseCamera
    } else {
        Placement::Ok
    }
}

/// The ratio `f` of the module's doc for a camera turned `deg` from the side, at the advised
/// 40 degrees up (at 45 degrees it is 1 at any height).
fn turn_ratio(deg: f32) -> f32 {
    let (sa, ca) = deg.to_radians().sin_cos();
    let se = 40f32.to_radians().sin();
    (sa * sa + ca * ca * se * se).sqrt() / (ca * ca + sa * sa * se * se).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::Point;
    use crate::landmarks::{LANDMARK_NAMES, NUM_LANDMARKS};
    use supine_synth::math::v3;
    use supine_synth::{Camera, Mannequin, Posture};

    /// The capsule mannequin in `posture` seen by `camera`: its joints projected by the
    /// renderer's camera as landmarks, seen (visibility 1) wherever they project (the landmark
    /// model also places joints out of the picture), and the picture's size.
    fn seen_by(posture: Posture, camera: &Camera) -> (Body, f32, f32) {
        let mut image = [Point::default(); NUM_LANDMARKS];
        for j in &Mannequin::new(posture).joints {
            if let Some(i) = LANDMARK_NAMES.iter().position(|n| *n == j.name)
                && let Some((x, y)) = camera.project(j.at)
            {
                image[i] = Point {
                    x,
                    y,
                    visibility: 1.0,
                };
            }
        }
        let body = Body {
            image,
            world: [[0.0; 3]; NUM_LANDMARKS],
        };
        (body, camera.width as f32, camera.height as f32)
    }

    /// A side camera `elev` degrees up, `dist` metres from the body's middle.
    fn side_at(elev: f32, dist: f32) -> Camera {
        let (s, c) = elev.to_radians().sin_cos();
        Camera::side(0.18 + dist * s, dist * c, 320, 240)
    }

    fn placement(posture: Posture, camera: &Camera) -> Placement {
        let (b, w, h) = seen_by(posture, camera);
        check(Some(&b), w, h)
    }

    #[test]
    fn a_raised_camera_at_the_side_is_ok_in_every_posture() {
        for elev in [30.0, 40.0, 50.0] {
            for p in Posture::ALL {
                assert_eq!(
                    placement(p, &side_at(elev, 2.4)),
                    Placement::Ok,
                    "{p:?} at {elev} degrees"
                );
            }
        }
        assert_eq!(Placement::Ok.words(), "I can see all of you from the side");
    }

    #[test]
    fn a_camera_at_floor_level_is_asked_to_rise() {
        for elev in [0.0, 10.0] {
            let got = placement(Posture::KneesBent, &side_at(elev, 2.4));
            assert_eq!(got, Placement::RaiseCamera, "at {elev} degrees");
        }
        assert_eq!(Placement::RaiseCamera.words(), "Raise the camera a little");
    }

    #[test]
    fn a_camera_at_the_feet_is_sent_to_the_side() {
        // Beyond the feet (+x), raised 40 degrees, looking along the body.
        let feet = Camera {
            eye: v3(2.6, 1.7, 0.0),
            target: v3(-0.05, 0.18, 0.0),
            fov_deg: 62.0,
            width: 320,
            height: 240,
            roll_deg: 0.0,
        };
        for p in [Posture::Supine, Posture::KneesBent, Posture::Bridge] {
            assert_eq!(placement(p, &feet), Placement::ToYourSide, "{p:?}");
        }
        // Turned 60 degrees from the side towards the feet: still too far.
        let (s, c) = 60f32.to_radians().sin_cos();
        let turned = Camera {
            eye: v3(2.4 * 0.77 * s, 0.18 + 2.4 * 0.64, 2.4 * 0.77 * c),
            ..feet
        };
        assert_eq!(
            placement(Posture::KneesBent, &turned),
            Placement::ToYourSide
        );
    }

    #[test]
    fn a_body_cut_off_at_the_feet_names_them_and_one_cut_at_both_ends_asks_to_move_back() {
        // The camera looks at the upper body, close: the feet leave the picture.
        let mut cam = side_at(40.0, 1.6);
        cam.target = v3(-0.35, 0.18, 0.0);
        cam.eye = v3(-0.35, cam.eye.y, cam.eye.z);
        assert_eq!(
            placement(Posture::Supine, &cam),
            Placement::CantSee(Part::Ankles)
        );
        assert_eq!(
            Placement::CantSee(Part::Ankles).words(),
            "I can't see your feet"
        );
        // Very close to the middle: both ends out.
        let close = side_at(40.0, 0.5);
        assert_eq!(placement(Posture::Supine, &close), Placement::MoveBack);
    }

    #[test]
    fn hidden_parts_and_nobody_are_said() {
        let (mut b, w, h) = seen_by(Posture::KneesBent, &side_at(40.0, 2.4));
        for i in [25, 26] {
            b.image[i].visibility = 0.2;
        }
        assert_eq!(check(Some(&b), w, h), Placement::CantSee(Part::Knees));
        assert_eq!(check(None, w, h), Placement::NoPerson);
    }
}
