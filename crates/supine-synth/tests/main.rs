//! Integration tests of the still renderer.

mod stills {
    use supine_synth::{Camera, Mannequin, Posture, render};

    #[test]
    fn every_posture_is_in_frame_and_differs_from_the_empty_room() {
        let cam = Camera::side(1.0, 2.6, 160, 120);
        let empty = render(None, &cam);
        assert!(empty.joints.is_empty());
        for p in Posture::ALL {
            let r = render(Some(&Mannequin::new(p)), &cam);
            assert_eq!(r.joints.len(), 21, "{p:?}");
            for j in &r.joints {
                assert!(
                    j.x > 0.0 && j.x < 160.0 && j.y > 0.0 && j.y < 120.0,
                    "{p:?} {} at {},{}",
                    j.name,
                    j.x,
                    j.y
                );
            }
            // The person covers a good part of the picture where the joints are.
            let knee = r.joints.iter().find(|j| j.name == "right_knee").unwrap();
            let (x, y) = (knee.x as u32, knee.y as u32);
            assert_ne!(
                r.image.get_pixel(x, y),
                empty.image.get_pixel(x, y),
                "{p:?}: knee not drawn"
            );
        }
    }

    #[test]
    fn raised_knees_are_higher_in_the_picture_than_the_hips() {
        let cam = Camera::side(1.0, 2.6, 160, 120);
        let r = render(Some(&Mannequin::new(Posture::KneesBent)), &cam);
        let y = |n: &str| r.joints.iter().find(|j| j.name == n).unwrap().y;
        assert!(y("right_knee") < y("right_hip") - 10.0);
        let flat = render(Some(&Mannequin::new(Posture::Supine)), &cam);
        let yf = |n: &str| flat.joints.iter().find(|j| j.name == n).unwrap().y;
        assert!((yf("right_knee") - yf("right_hip")).abs() < 10.0);
    }

    #[test]
    fn rendering_is_deterministic() {
        let cam = Camera::side(1.6, 2.6, 64, 48);
        let m = Mannequin::new(Posture::Bridge);
        assert_eq!(render(Some(&m), &cam).image, render(Some(&m), &cam).image);
    }
}
