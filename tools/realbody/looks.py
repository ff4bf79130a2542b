"""What a clip looks like: the person's skin, hair and clothes as per-vertex colours, the room
(floor, walls, mat, objects, lights) and the camera, all drawn from a seeded generator."""

from __future__ import annotations

import numpy as np

from scene import box, quad

# Skin tones, linear RGB (from light to dark, roughly the Fitzpatrick range).
SKIN = {
    "I": (0.80, 0.58, 0.48), "II": (0.72, 0.48, 0.36), "III": (0.58, 0.37, 0.25),
    "IV": (0.44, 0.26, 0.16), "V": (0.26, 0.14, 0.08), "VI": (0.12, 0.065, 0.04),
}
HAIR = {"black": (0.02, 0.018, 0.016), "brown": (0.09, 0.045, 0.02), "blond": (0.45, 0.30, 0.13),
        "grey": (0.38, 0.37, 0.36), "red": (0.30, 0.08, 0.03), "white": (0.65, 0.64, 0.62)}
CLOTH = {"navy": (0.02, 0.03, 0.09), "black": (0.015, 0.015, 0.017), "grey": (0.25, 0.25, 0.26),
         "white": (0.75, 0.75, 0.72), "red": (0.45, 0.04, 0.04), "teal": (0.03, 0.22, 0.22),
         "olive": (0.15, 0.17, 0.05), "pink": (0.70, 0.30, 0.38), "mustard": (0.55, 0.38, 0.05),
         "purple": (0.17, 0.06, 0.28), "sky": (0.30, 0.48, 0.70), "charcoal": (0.07, 0.07, 0.08),
         "maroon": (0.18, 0.02, 0.05), "sand": (0.50, 0.42, 0.30)}
IRIS = [(0.06, 0.03, 0.015), (0.03, 0.06, 0.12), (0.05, 0.07, 0.03)]


def _noise3(p, rng_seed, scale):
    r = np.random.default_rng(rng_seed)
    out = np.zeros(len(p))
    for _ in range(6):
        k = r.normal(size=3) * scale
        out += np.sin(p @ k + r.uniform(0, 2 * np.pi))
    return out / 6


def body_colors(shape, look, seed):
    """Per-vertex linear RGB of `shape` wearing `look` (dict: skin, hair, hair_style, top,
    top_kind, bottom, bottom_kind, socks, iris, pattern)."""
    s = shape
    n = len(s.vertices)
    rest = np.column_stack([s.rest_xy, s.rest_z])
    labels = s.labels
    dom = s.indices[np.arange(n), s.weights.argmax(1)]
    name = np.array(labels)[dom]
    starts = lambda *ps: np.array([any(x.startswith(p) for p in ps) for x in name])
    legs = starts("upperleg", "lowerleg", "foot", "toe")
    feet = starts("foot", "toe")
    torso = starts("root", "pelvis", "spine", "clavicle", "shoulder01")
    arms = starts("upperarm", "lowerarm")
    head = starts("head", "neck", "eye")
    rz = lambda b: -s.heads[s.bone(b)][0]  # standing height of a bone's head
    skin = np.array(SKIN[look["skin"]])
    col = np.tile(skin, (n, 1)) * (1 + 0.07 * _noise3(rest, seed, 25.0))[:, None]
    # A little redness at the lips, cheeks, knees, elbows, palms.
    part = np.array(s.part_names)[s.part]
    nose = s.keypoints["nose"] @ rest
    eyes = [s.keypoints[k] @ rest for k in ("left_eye", "right_eye")]
    eye_z = (eyes[0][2] + eyes[1][2]) / 2
    d_mouth = np.linalg.norm(rest - (nose + np.array([0, 0.005, -0.035])), axis=1)
    lips = (d_mouth < 0.022) & head & (rest[:, 1] < nose[1] + 0.02)
    col[lips] = col[lips] * np.array([1.05, 0.72, 0.72])
    for k in ("eye_cavity.L", "eye_cavity.R", "mouth_cavity", "eye_back.L", "eye_back.R", "tongue"):
        col[part == k] = skin * 0.15
    for k, e in (("eye_front.L", eyes[0]), ("eye_front.R", eyes[1])):
        m = part == k
        if m.any():
            centre = rest[m].mean(0)
            front = rest[m][:, 1].min()
            r = np.linalg.norm((rest - centre)[:, [0, 2]], axis=1)
            col[m] = (0.62, 0.6, 0.58)
            col[m & (r < 0.0065)] = IRIS[look["iris"]]
            col[m & (r < 0.0028)] = (0.01, 0.01, 0.01)
    hair = np.array(HAIR[look["hair"]])
    # Eyebrows.
    for e in eyes:
        d = rest - e
        brow = head & (d[:, 2] > 0.012) & (d[:, 2] < 0.024) & (np.abs(d[:, 0]) < 0.028) & (d[:, 1] < 0.01)
        col[brow] = hair * 1.1 + skin * 0.1
    # Hair: a cap over the top and back of the head, longer for some styles.
    style = look["hair_style"]
    if style != "bald":
        behind = rest[:, 1] - nose[1]
        cap = head & (((rest[:, 2] > eye_z + 0.045) & (behind > 0.035))
                      | (rest[:, 2] > eye_z + 0.075) | ((behind > 0.11) & (rest[:, 2] > eye_z - 0.03)))
        if style == "long":
            cap |= head & (behind > 0.085) & (rest[:, 2] > eye_z - 0.14)
        col[cap] = hair * (1 + 0.25 * _noise3(rest * np.array([1, 1, 0.1]), seed + 1, 400.0))[cap, None]
    # Clothes.
    waist = rz("spine04") + 0.02
    neck = rz("clavicle.L")
    top = np.array(CLOTH[look["top"]])
    bottom = np.array(CLOTH[look["bottom"]])
    weave = 1 + 0.05 * _noise3(rest, seed + 2, 300.0)
    if look.get("pattern") == "stripes":
        weave *= 1 + 0.35 * (np.sin(rest[:, 2] * 90) > 0.3)
    sh_joint = np.array([s.heads[s.bone("upperarm01.L")], s.heads[s.bone("upperarm01.R")]])
    upper = torso & (rest[:, 2] >= waist - 0.03) & ~((rest[:, 2] > neck - 0.06) & (np.abs(rest[:, 0]) < 0.075) & (rest[:, 1] < 0) & (look["top_kind"] != "long"))
    sleeve = {"tank": 0.0, "tee": 0.16, "long": 0.7}[look["top_kind"]]
    # Distance along the arm from the shoulder, in rest positions (W).
    arm_d = np.minimum(*[np.linalg.norm(s.vertices - j, axis=1) for j in sh_joint])
    upper |= arms & (arm_d < sleeve)
    if look["top_kind"] == "tank":
        upper &= ~(starts("shoulder01") & (rest[:, 2] > neck - 0.02))
    col[upper] = top * weave[upper, None]
    cut = {"shorts": rz("upperleg01.L") - 0.22, "capri": rz("lowerleg01.L") - 0.2,
           "leggings": rz("foot.L") + 0.04, "trousers": rz("foot.L") + 0.02}[look["bottom_kind"]]
    lower = (torso & (rest[:, 2] < waist + 0.01)) | (legs & ~feet & (rest[:, 2] > cut))
    col[lower] = bottom * weave[lower, None]
    if look["socks"]:
        sock = feet | (legs & (rest[:, 2] < rz("foot.L") + 0.08))
        col[sock & ~lower] = np.array(CLOTH[look["socks"]])
    return np.clip(col, 0, 1)


def room(rng, hip_x, camera_side):
    """Static triangles, patterns and lights of a room for one clip."""
    tris = []
    mat_t = rng.uniform(0.004, 0.009)
    floor_kind = rng.choice(["wood", "tiles", "carpet", "plain"])
    floor_col = {"wood": rng.uniform([0.25, 0.13, 0.05], [0.5, 0.3, 0.15]),
                 "tiles": rng.uniform([0.35, 0.33, 0.3], [0.75, 0.72, 0.68]),
                 "carpet": rng.uniform([0.08, 0.08, 0.08], [0.4, 0.35, 0.3]),
                 "plain": rng.uniform([0.2, 0.2, 0.2], [0.5, 0.48, 0.45])}[floor_kind]
    pat = {"wood": 1, "tiles": 2, "carpet": 3, "plain": 5}[floor_kind]
    y0 = -mat_t
    tris.append(quad(np.array([-5.0, y0, 5.0]), np.array([10.0, 0, 0]), np.array([0, 0, -10.0]), floor_col, pat))
    # Walls: behind the person (opposite the camera) and at one end.
    wall_col = rng.uniform([0.45, 0.42, 0.38], [0.85, 0.83, 0.8]) * rng.uniform(0.8, 1.0, 3)
    zb = -camera_side * rng.uniform(0.9, 2.0)
    tris.append(quad(np.array([-4.0, y0, zb]), np.array([8.0, 0, 0]), np.array([0, 2.7, 0]), wall_col, 5))
    xe = rng.choice([-1, 1]) * rng.uniform(1.9, 3.0)
    tris.append(quad(np.array([xe, y0, -4.0]), np.array([0, 0, 8.0]), np.array([0, 2.7, 0]), wall_col * rng.uniform(0.85, 1.0), 5))
    skirting = rng.uniform(0.6, 0.95, 3) * 0.8
    tris.append(box(np.array([0.0, y0 + 0.05, zb - camera_side * -0.01]), (8.0, 0.1, 0.02), skirting, 0))
    # A picture or a door on the back wall.
    px = rng.uniform(-1.5, 1.5)
    tris.append(box(np.array([px, rng.uniform(1.0, 1.6), zb + camera_side * 0.02]),
                    (rng.uniform(0.4, 0.9), rng.uniform(0.3, 0.7), 0.03), rng.uniform(0.05, 0.7, 3), 0))
    # The mat.
    mat_col = np.array(rng.choice([[0.35, 0.05, 0.35], [0.04, 0.15, 0.35], [0.05, 0.25, 0.12],
                                   [0.45, 0.12, 0.08], [0.2, 0.2, 0.22], [0.5, 0.35, 0.05],
                                   [0.12, 0.3, 0.4], [0.03, 0.03, 0.03]])) * rng.uniform(0.8, 1.2)
    mat_len = rng.uniform(1.75, 1.9)
    tris.append(box(np.array([hip_x - 0.15 + rng.uniform(-0.1, 0.1), -mat_t / 2, rng.uniform(-0.06, 0.06)]),
                    (mat_len, mat_t, rng.uniform(0.58, 0.66)), mat_col, 4, rng.uniform(-0.08, 0.08)))
    # A few objects: a cushion, a block, a plant pot, a chair-like box.
    for _ in range(rng.integers(1, 4)):
        size = rng.uniform([0.2, 0.1, 0.2], [0.5, 0.5, 0.45])
        x = rng.choice([-1, 1]) * rng.uniform(1.2, 1.8) + hip_x
        z = rng.uniform(-0.9, -0.45) * camera_side
        tris.append(box(np.array([x, y0 + size[1] / 2, z]), size, rng.uniform(0.05, 0.7, 3), 0, rng.uniform(0, 3)))
    # Lights: sun through a window, sky, a lamp.
    el = np.radians(rng.uniform(25, 65))
    az = rng.uniform(0, 2 * np.pi)
    sun_dir = -np.array([np.cos(el) * np.cos(az), np.sin(el), np.cos(el) * np.sin(az)])
    warm = rng.uniform(0, 1)
    sun_col = np.array([1.0, 0.93 - 0.1 * warm, 0.85 - 0.25 * warm]) * rng.uniform(0.9, 2.2)
    sky = np.array([0.75, 0.82, 1.0]) * rng.uniform(0.25, 0.6)
    ground = floor_col * 0.6 * rng.uniform(0.3, 0.7) + 0.05
    lamp = np.array([rng.uniform(-2, 2), rng.uniform(1.6, 2.4), camera_side * rng.uniform(-1, 2)])
    lamp_col = np.array([1.0, 0.85, 0.65]) * rng.uniform(0.0, 1.5)
    return {
        "triangles": np.concatenate(tris).astype("f4"),
        "sun_dir": sun_dir, "sun_col": sun_col, "sky_col": sky, "ground_col": ground,
        "lamp_pos": lamp, "lamp_col": lamp_col,
        "pat_a": (rng.uniform(0.1, 0.2), rng.uniform(0.8, 1.6), rng.uniform(20, 60), rng.uniform(0.3, 0.8))
        if floor_kind == "wood" else (rng.uniform(0.3, 0.6), 0, 0, 0),
        "pat_b": tuple(rng.uniform(0.3, 0.6, 3)) + (0.0,),
        "describe": {"floor": str(floor_kind), "mat_thickness_m": round(float(mat_t), 4),
                     "sun_elevation_deg": round(float(np.degrees(el)), 1),
                     "lamp": round(float(lamp_col[0]), 2)},
        "exposure": rng.uniform(0.8, 1.3),
    }


def camera(rng, side, centre, size, elev=None, az=None, dist=None):
    """A camera in the advised placement: at the person's `side` (+1 right, -1 left), raised
    30-50 degrees, turned up to 25 degrees towards the feet, 1.5-3 m from the middle of the body,
    a little roll, a phone-like field of view widened until the whole body fits."""
    w, h = size
    e = np.radians(elev if elev is not None else rng.uniform(30, 50))
    a = np.radians(az if az is not None else rng.uniform(-5, 25))
    d = dist if dist is not None else rng.uniform(1.5, 3.0)
    roll = np.radians(rng.uniform(-5, 5))
    target = centre + rng.uniform([-0.08, -0.05, -0.08], [0.08, 0.05, 0.08])
    direction = np.array([np.sin(a) * np.cos(e), np.sin(e), side * np.cos(a) * np.cos(e)])
    eye = target + direction * d
    fov_h = np.radians(rng.uniform(55, 72))
    need = 2 * np.arctan(1.2 / d)
    fov_h = max(fov_h, min(need, np.radians(95)))
    fov_y = 2 * np.arctan(np.tan(fov_h / 2) * h / w)
    f = (target - eye) / np.linalg.norm(target - eye)
    up0 = np.array([0.0, 1.0, 0.0])
    c, s = np.cos(roll), np.sin(roll)
    k = np.array([[0, -f[2], f[1]], [f[2], 0, -f[0]], [-f[1], f[0], 0]])
    up = (np.eye(3) + s * k + (1 - c) * k @ k) @ up0
    return {
        "eye": eye, "target": target, "up": up, "fov_y": fov_y,
        "describe": {"side": "right" if side > 0 else "left", "elevation_deg": round(float(np.degrees(e)), 1),
                     "azimuth_deg": round(float(np.degrees(a)), 1), "distance_m": round(float(d), 2),
                     "roll_deg": round(float(np.degrees(roll)), 1), "fov_h_deg": round(float(np.degrees(fov_h)), 1)},
    }
